#!/bin/sh
# SPDX-License-Identifier: MIT
# replay_bad.sh VMMU: malformed traces are refused with exit 2 and a message
# naming the line; none crashes the replay.
set -u
vmmu=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
magic='# vmmu shadow trace 1'
vm='vm 0 type=0 nr_slots=32764 nr_as=1 gpa_bits=52'

# bad NAME WANT_IN_STDERR LINES...
bad() {
	name=$1 want=$2; shift 2
	if [ $# -eq 0 ]; then : >"$tmp/t"; else printf '%s\n' "$@" >"$tmp/t"; fi
	"$vmmu" replay --no-kvm "$tmp/t" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc -ne 2 ] || ! grep -q -- "$want" "$tmp/err"; then
		echo "FAIL: $name: exit $rc, stderr: $(cat "$tmp/err")"
		fails=$((fails + 1))
	else
		echo "ok: $name: $(head -1 "$tmp/err")"
	fi
}
bad "empty file" "empty"
bad "no magic" "not a trace" "$vm"
bad "unknown record" "line 3" "$magic" "$vm" "frob 0 x=1"
bad "missing field" "line 3: missing or bad size" "$magic" "$vm" \
	"region 0 slot=0 flags=0 gpa=0 hva=0x1000 kvm=0 vmmu=0"
bad "bad number" "line 3: missing or bad gpa" "$magic" "$vm" \
	"region 0 slot=0 flags=0 gpa=12x size=0x1000 hva=0x1000 kvm=0 vmmu=0"
bad "no vm record" "line 2: VM 0 has no 'vm' record" "$magic" \
	"cap 0 manual_protect=0x3 kvm=0 vmmu=0"
bad "vm out of range" "line 2" "$magic" "vm 99 type=0 nr_slots=1 nr_as=1 gpa_bits=52"
bad "mmio length" "line 3: missing or bad len" "$magic" "$vm" \
	"mmio 0 vcpu=0 gpa=0xa0000 len=9 write=0 vmmu=6"
bad "get without bits" "line 3: missing or bad kbits" "$magic" "$vm" \
	"get 0 slot=0 pages=8 exact=0 kvm=0 vmmu=0"
"$vmmu" replay --no-kvm "$tmp/none" >/dev/null 2>&1
[ $? -eq 2 ] || { echo "FAIL: a missing file is not exit 2"; fails=$((fails + 1)); }
# a bitmap naming a page past the slot: a divergence of the record, not a crash
printf '%s\n' "$magic" "$vm" "cap 0 manual_protect=0x3 kvm=0 vmmu=0" \
	"region 0 slot=0 flags=0x1 gpa=0 size=0x8000 hva=0x7f0000000000 kvm=0 vmmu=0" \
	"get 0 slot=0 pages=8 exact=0 kvm=0 vmmu=0 kbits=0-99 vbits=0-7" >"$tmp/t"
"$vmmu" replay --no-kvm --no-shrink "$tmp/t" >"$tmp/out" 2>&1
rc=$?
if [ $rc -ne 1 ] || ! grep -q "bad kbits/vbits" "$tmp/out"; then
	echo "FAIL: out-of-range bitmap: exit $rc"; cat "$tmp/out"; fails=$((fails + 1))
else
	echo "ok: out-of-range bitmap is a divergence"
fi
[ $fails -eq 0 ]
