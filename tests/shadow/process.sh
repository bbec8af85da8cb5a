#!/bin/sh
# SPDX-License-Identifier: MIT
# process.sh VMMU TINY_VMM CASE: which processes `vmmu shadow` shadows
# (tiny_vmm.c's modes), and what it says when it shadowed nothing.
#   fork-first  the VMM forks before it has a VM and the child makes it
#               (-daemonize): shadowed
#   fork-after  a child forked after the VM exists: not shadowed, 1 VM
#   spawn       a program the VMM forks and execs: not shadowed, 1 VM
#   fd-swap     $VMMU_SHADOW_FD names some other file by the time the library
#               loads: it is not mapped (no crash); the run is counted in the
#               process, vmmu shadow saw no VM: exit 3 and a warning
#   no-vm       COMMAND makes no VM: exit 3 and a warning
# 77 without /dev/kvm.
set -u
vmmu=$1 vmm=$2 case=$3
if [ "$case" = no-vm ]; then
	out=$("$vmmu" shadow -- true 2>&1)
else
	out=$("$vmmu" shadow -- "$vmm" "$case" 2>&1)
fi
rc=$?
echo "$out"
[ $rc -eq 77 ] && exit 77
fail() { echo "FAIL: $case: $*"; exit 1; }
has() { echo "$out" | grep -q -- "$1"; }
case $case in
fork-first|fork-after|spawn)
	[ $rc -eq 0 ] || fail "exit $rc"
	has "^shadow: 1 KVM VMs shadowed (0 not)" || fail "not exactly 1 VM shadowed"
	has "^shadow: 2 memslot calls, 1 dirty-log calls, 0 MMIO exits checked, 0 mismatches$" ||
		fail "not exactly the calls of one basic run"
	;;
fd-swap)
	[ $rc -eq 3 ] || fail "exit $rc, not 3"
	has "^shadow: VMMU_SHADOW_FD=[0-9]* is not vmmu shadow's counters" ||
		fail "no word about the file in place of the counters"
	# the library counted in the process and said so at its exit
	has "^shadow: 2 memslot calls, 1 dirty-log calls, 0 MMIO exits checked, 0 mismatches$" ||
		fail "the library did not shadow the VM"
	has "^vmmu shadow: warning: no KVM VM was shadowed" || fail "no warning"
	;;
no-vm)
	[ $rc -eq 3 ] || fail "exit $rc, not 3"
	has "^vmmu shadow: warning: no KVM VM was shadowed" || fail "no warning"
	;;
*)
	echo "unknown case $case"; exit 2 ;;
esac
echo "ok: $case"
