#!/bin/sh
# SPDX-License-Identifier: MIT
# mismatch.sh VMMU HOSTMEM_VMM: hostmem_vmm under a shadow configured with 2
# address spaces (this kernel has 1, or 2 with SMM: then the slot in address
# space 1 is accepted by both and only the capability check can differ).
# The shadow must exit 1 and its messages must name what differed:
#  - the capability check compares what KVM reports on the VM fd with the
#    configuration vmmu reports for its VM (vmmu_vm_get_config());
#  - a memslot mismatch prints KVM's result and vmmu's, each its own.
# 77 without /dev/kvm.
set -u
out=$("$1" shadow --nr-address-spaces 2 -- "$2" 2>&1)
rc=$?
echo "$out"
[ $rc -eq 77 ] && exit 77
# KVM took the slot in address space 1: it has two (SMM), as configured
if [ $rc -eq 0 ] && ! echo "$out" | grep -q "slot=0x10003"; then
	echo "SKIP: this kernel has 2 address spaces"
	exit 77
fi
fails=0
[ $rc -eq 1 ] || { echo "FAIL: exit $rc, not 1"; fails=$((fails + 1)); }
echo "$out" | grep -q "^shadow: MISMATCH: vm 0: KVM_CHECK_EXTENSION(KVM_CAP_MULTI_ADDRESS_SPACE) on the VM fd: KVM [01], vmmu configured with 2$" ||
	{ echo "FAIL: no capability mismatch between KVM and vmmu's configuration"; fails=$((fails + 1)); }
# KVM (one address space) refuses the slot in address space 1, vmmu takes it
echo "$out" | grep -q "KVM_SET_USER_MEMORY_REGION slot=0x10003 .*: KVM -EINVAL, vmmu 0$" ||
	{ echo "FAIL: the memslot mismatch does not give KVM's and vmmu's results apart"; fails=$((fails + 1)); }
[ $fails -eq 0 ] && echo "ok: mismatch messages"
[ $fails -eq 0 ]
