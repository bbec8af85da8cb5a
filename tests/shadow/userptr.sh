#!/bin/sh
# SPDX-License-Identifier: MIT
# userptr.sh VMMU TINY_VMM CASE: the shadow reads no more of the program's
# memory than KVM did (tiny_vmm.c's modes).
#   efault   arguments and bitmaps KVM could not read or write, a NULL
#            bitmap, a CLEAR far past the slot: COMMAND runs to its end,
#            no mismatch, the unreadable arguments counted as not mirrored,
#            and the trace replays without a divergence
#   as1-get  under 2 address spaces vmmu has a 16 GiB slot that KVM
#            refused: GETs of it are mismatches, and COMMAND runs to its end
# 77 without /dev/kvm.
set -u
vmmu=$1 vmm=$2 case=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $case: $*"; exit 1; }
case $case in
efault)
	out=$("$vmmu" shadow --record "$tmp/trace" -- "$vmm" efault 2>&1)
	rc=$?
	echo "$out"
	[ $rc -eq 77 ] && exit 77
	echo "$out" | grep -q "^shadow: COMMAND exited with status 0 " || fail "COMMAND failed"
	[ $rc -eq 0 ] || fail "exit $rc"
	echo "$out" | grep -Eq "^shadow: calls not mirrored .*: [45]$" ||
		fail "not 4 or 5 calls counted as not mirrored"
	cat "$tmp/trace"
	"$vmmu" replay "$tmp/trace" || fail "the trace does not replay"
	;;
as1-get)
	out=$("$vmmu" shadow --nr-address-spaces 2 -- "$vmm" as1-get 2>&1)
	rc=$?
	echo "$out"
	[ $rc -eq 77 ] && exit 77
	echo "$out" | grep -q "KVM_SET_USER_MEMORY_REGION slot=0x10001 .*: KVM -EINVAL, vmmu 0$" ||
		{ echo "SKIP: this kernel took the slot in address space 1"; exit 77; }
	echo "$out" | grep -q "^shadow: COMMAND exited with status 0 " || fail "COMMAND failed"
	[ $rc -eq 1 ] || fail "exit $rc, not 1"
	[ "$(echo "$out" | grep -c "KVM_GET_DIRTY_LOG slot=0x10001: KVM -EINVAL, vmmu 0$")" -eq 2 ] ||
		fail "not two GET mismatches"
	;;
*)
	echo "unknown case $case"; exit 2 ;;
esac
echo "ok: $case"
