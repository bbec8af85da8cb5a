#!/bin/sh
# SPDX-License-Identifier: MIT
# reenter.sh VMMU HOSTMEM_VMM LIBREENTER MODE: hostmem_vmm under `vmmu
# shadow` with libreenter.so preloaded after the shadow's library (reenter.c):
#   getenv  the shadow's initialization re-enters its own mmap/munmap
#   ioctl   the kernel's call inside a mirrored call re-enters its madvise
# Either must run through (a hang is a deadlock in the shadow: `timeout`
# ends it, and the test fails) with no mismatch.  77 without /dev/kvm.
set -u
vmmu=$1 vmm=$2 lib=$3 mode=$4
out=$(REENTER=$mode LD_PRELOAD=$lib timeout 60 "$vmmu" shadow -- "$vmm" 2>&1)
rc=$?
echo "$out"
[ $rc -eq 77 ] && exit 77
[ $rc -eq 124 ] && { echo "FAIL: $mode: the shadow hung (deadlock)"; exit 1; }
[ $rc -eq 0 ] || { echo "FAIL: $mode: exit $rc"; exit 1; }
echo "$out" | grep -q "^shadow: 1 KVM VMs shadowed" || { echo "FAIL: $mode: the VM was not shadowed"; exit 1; }
echo "$out" | grep -q " 0 mismatches$" || { echo "FAIL: $mode: mismatches"; exit 1; }
echo "ok: $mode"
