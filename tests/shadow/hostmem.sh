#!/bin/sh
# SPDX-License-Identifier: MIT
# hostmem.sh VMMU HOSTMEM_VMM: hostmem_vmm under `vmmu shadow`: no mismatch
# in its refused and accepted calls, and exactly its three host-memory
# changes under a live slot bracketed (the munmap after the delete
# of both slots over that memory is not).  77 without /dev/kvm.
set -u
out=$("$1" shadow -- "$2" 2>&1)
rc=$?
echo "$out"
[ $rc -eq 77 ] && exit 77
[ $rc -eq 0 ] || { echo "FAIL: exit $rc"; exit 1; }
echo "$out" | grep -q "madvise 1, munmap 1, mmap(MAP_FIXED) 1$" ||
	{ echo "FAIL: expected exactly one bracketed madvise, munmap and mmap"; exit 1; }
# 9 memslot calls, 12 where the kernel has KVM_SET_USER_MEMORY_REGION2
echo "$out" | grep -Eq "^shadow: (9|12) memslot calls, 8 dirty-log calls, 0 MMIO exits checked, 0 mismatches$" ||
	{ echo "FAIL: unexpected summary"; exit 1; }
echo "ok: hostmem"
