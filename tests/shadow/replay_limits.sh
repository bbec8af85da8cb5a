#!/bin/sh
# SPDX-License-Identifier: MIT
# replay_limits.sh VMMU: a trace with more slots and vCPUs than the replay
# once kept (4096 slots, 64 vCPUs): 4100 one-page slots with logging, a GET
# of the last, 70 vCPUs and an MMIO exit on the last.  No divergence.
set -u
vmmu=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
awk 'BEGIN {
	print "# vmmu shadow trace 1"
	print "vm 0 type=0 nr_slots=32764 nr_as=1 gpa_bits=52"
	for (i = 0; i < 4100; i++)
		printf "region 0 slot=%d flags=0x1 gpa=%#x size=0x1000 hva=%#x kvm=0 vmmu=0\n",
		       i, i * 4096, 268435456 + i * 4096
	print "get 0 slot=4099 pages=1 exact=1 kvm=0 vmmu=0 kbits=- vbits=-"
	for (i = 0; i < 70; i++)
		printf "vcpu 0 id=%d kvm=0 vmmu=0\n", i
	print "mmio 0 vcpu=69 gpa=0xfebf0000 len=4 write=0 vmmu=6"
}' >"$tmp/t"
"$vmmu" replay --no-kvm --no-shrink "$tmp/t"
rc=$?
[ $rc -eq 0 ] || { echo "FAIL: exit $rc"; exit 1; }
echo "ok: 4100 slots, 70 vCPUs"
