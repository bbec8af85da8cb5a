#!/bin/sh
# SPDX-License-Identifier: MIT
# calls.sh VMMU TINY_VMM CASE: calls the shadow must mirror as KVM takes them
# (tiny_vmm.c's modes); the trace must replay without a divergence.
#   cap-flags    KVM_ENABLE_CAP with flags: KVM refuses it, so must vmmu's
#                mirror (no mismatch)
#   madv-locked  MADV_DONTNEED_LOCKED under a live slot is bracketed with
#                vmmu's notifiers, as MADV_DONTNEED is
# 77 without /dev/kvm.
set -u
vmmu=$1 vmm=$2 case=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $case: $*"; exit 1; }
out=$("$vmmu" shadow --record "$tmp/trace" -- "$vmm" "$case" 2>&1)
rc=$?
echo "$out"
[ $rc -eq 77 ] && exit 77
[ $rc -eq 0 ] || fail "exit $rc"
echo "$out" | grep -q " 0 mismatches$" || fail "mismatches"
case $case in
cap-flags)
	grep -q "^cap 0 manual_protect=0x1 flags=0x1 kvm=-22 vmmu=-22$" "$tmp/trace" ||
		fail "no record of the refused ENABLE_CAP"
	;;
madv-locked)
	echo "$out" | grep -q "madvise 1, munmap 0, mmap(MAP_FIXED) 0$" ||
		fail "the madvise was not bracketed"
	;;
*)
	echo "unknown case $case"; exit 2 ;;
esac
"$vmmu" replay "$tmp/trace" || fail "the trace does not replay"
echo "ok: $case"
