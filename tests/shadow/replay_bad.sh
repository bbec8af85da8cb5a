#!/bin/sh
# SPDX-License-Identifier: MIT
# replay_bad.sh VMMU SET: traces that cannot be replayed are refused with exit
# 3 and a message naming the line; none crashes the replay (the ASan+UBSan
# build runs this too), none is taken for a divergence (1).
#   malformed  records that are not the format, a file that is missing or
#              cannot be read, a VM that cannot be created; a bad command
#              line is exit 2
#   hostile    values out of their field's range (huge, negative, past 64
#              bits), truncated lines, a slot larger than the replay maps.
#              And well-formed records with huge page counts that both VMs
#              refuse, replayed without a buffer of that size (checked under
#              an address-space limit, except in a sanitizer build, whose
#              runtime reserves more than any such limit)
set -u
vmmu=$1 set=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
magic='# vmmu shadow trace 1'
vm='vm 0 type=0 nr_slots=32764 nr_as=1 gpa_bits=52'
slot='region 0 slot=0 flags=0x1 gpa=0 size=0x8000 hva=0x7f0000000000 kvm=0 vmmu=0'

# bad NAME WANT_IN_STDERR LINES...
bad() {
	name=$1 want=$2; shift 2
	if [ $# -eq 0 ]; then : >"$tmp/t"; else printf '%s\n' "$@" >"$tmp/t"; fi
	"$vmmu" replay --no-kvm "$tmp/t" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc -ne 3 ] || ! grep -q -- "$want" "$tmp/err"; then
		echo "FAIL: $name: exit $rc, stderr: $(head -c 2000 "$tmp/err")"
		fails=$((fails + 1))
	else
		echo "ok: $name: $(head -1 "$tmp/err")"
	fi
}

case $set in
malformed)
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
	# a bitmap naming a page past the slot: the trace is malformed
	bad "out-of-range bitmap" "line 5: missing or bad kbits/vbits" "$magic" "$vm" \
		"cap 0 manual_protect=0x3 kvm=0 vmmu=0" "$slot" \
		"get 0 slot=0 pages=8 exact=0 kvm=0 vmmu=0 kbits=0-99 vbits=0-7"
	# a VM vmmu cannot create (the shadow records only those it created)
	bad "vm vmmu cannot create" "line 2: vmmu_vm_create" "$magic" \
		"vm 0 type=0 nr_slots=32764 nr_as=1 gpa_bits=99"
	# where /dev/kvm opens: a VM type KVM refuses
	if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
		printf '%s\n' "$magic" "vm 0 type=4000 nr_slots=32764 nr_as=1 gpa_bits=52" >"$tmp/t"
		"$vmmu" replay "$tmp/t" >"$tmp/out" 2>"$tmp/err"
		rc=$?
		if [ $rc -ne 3 ] || ! grep -q "line 2: KVM_CREATE_VM(4000)" "$tmp/err"; then
			echo "FAIL: a VM type KVM refuses: exit $rc, stderr: $(cat "$tmp/err")"
			fails=$((fails + 1))
		else
			echo "ok: a VM type KVM refuses: $(cat "$tmp/err")"
		fi
	fi
	# a file that is missing, or cannot be read
	"$vmmu" replay --no-kvm "$tmp/none" >/dev/null 2>&1
	rc=$?
	[ $rc -eq 3 ] || { echo "FAIL: a missing file: exit $rc, not 3"; fails=$((fails + 1)); }
	"$vmmu" replay --no-kvm "$tmp" >/dev/null 2>"$tmp/err"
	rc=$?
	if [ $rc -ne 3 ] || ! grep -q "read error" "$tmp/err"; then
		echo "FAIL: a directory: exit $rc, stderr: $(cat "$tmp/err")"; fails=$((fails + 1))
	else
		echo "ok: a directory: $(cat "$tmp/err")"
	fi
	# the command line
	for args in "" "--frob $tmp/t" "$tmp/t $tmp/t"; do
		# shellcheck disable=SC2086
		"$vmmu" replay $args >/dev/null 2>&1
		rc=$?
		[ $rc -eq 2 ] || { echo "FAIL: 'replay $args': exit $rc, not 2"; fails=$((fails + 1)); }
	done
	;;
hostile)
	bad "negative slot" "line 3: missing or bad slot" "$magic" "$vm" \
		"region 0 slot=-1 flags=0 gpa=0 size=0x1000 hva=0x1000 kvm=0 vmmu=0"
	bad "negative size" "line 3: missing or bad size" "$magic" "$vm" \
		"region 0 slot=0 flags=0 gpa=0 size=-4096 hva=0x1000 kvm=-22 vmmu=-22"
	bad "slot past 32 bits" "line 3: missing or bad slot" "$magic" "$vm" \
		"region 0 slot=0x100000000 flags=0 gpa=0 size=0x1000 hva=0x1000 kvm=0 vmmu=0"
	bad "gpa past 64 bits" "line 3: missing or bad gpa" "$magic" "$vm" \
		"region 0 slot=0 flags=0 gpa=0x10000000000000000 size=0x1000 hva=0x1000 kvm=0 vmmu=0"
	bad "return value not an errno" "line 3: missing or bad kvm" "$magic" "$vm" \
		"region 0 slot=0 flags=0 gpa=0 size=0x1000 hva=0x1000 kvm=-99999 vmmu=0"
	bad "slot of 2 TiB that KVM took" "line 3: missing or bad size" "$magic" "$vm" \
		"region 0 slot=0 flags=0x1 gpa=0 size=0x20000000000 hva=0x1000 kvm=0 vmmu=0"
	bad "clear num past 32 bits" "line 4: missing or bad num" "$magic" "$vm" "$slot" \
		"clear 0 slot=0 first=0 num=0x100000008 bits=0-7 kvm=0 vmmu=0"
	bad "negative clear num" "line 4: missing or bad num" "$magic" "$vm" "$slot" \
		"clear 0 slot=0 first=0 num=-64 bits=- kvm=-22 vmmu=-22"
	bad "clear bits past num" "line 4: missing or bad bits" "$magic" "$vm" "$slot" \
		"clear 0 slot=0 first=0 num=8 bits=0-4294967295 kvm=0 vmmu=0"
	bad "bits past 64 bits" "line 4: missing or bad bits" "$magic" "$vm" "$slot" \
		"clear 0 slot=0 first=0 num=8 bits=0-99999999999999999999999 kvm=0 vmmu=0"
	bad "get pages past the largest slot" "line 4: missing or bad pages" "$magic" "$vm" "$slot" \
		"get 0 slot=0 pages=0x80000000 exact=0 kvm=0 vmmu=0 kbits=- vbits=-"
	bad "mmio len past 32 bits" "line 4: missing or bad len" "$magic" "$vm" \
		"vcpu 0 id=0 kvm=0 vmmu=0" "mmio 0 vcpu=0 gpa=0xa0000 len=0x100000001 write=0 vmmu=6"
	bad "exact not 0 or 1" "line 4: missing or bad exact" "$magic" "$vm" "$slot" \
		"get 0 slot=0 pages=8 exact=4294967296 kvm=0 vmmu=0 kbits=- vbits=-"
	bad "VM number past 32 bits" "line 2: expected 'KIND VM" "$magic" \
		"vm 99999999999999999999 type=0 nr_slots=1 nr_as=1 gpa_bits=52"
	bad "VM configuration out of range" "line 2: vmmu_vm_create" "$magic" \
		"vm 0 type=0 nr_slots=4294967295 nr_as=99 gpa_bits=999"
	bad "truncated line" "line 3: missing or bad size" "$magic" "$vm" \
		"region 0 slot=0 flags=0 gpa=0 si"
	bad "truncated number" "line 4: missing or bad kvm" "$magic" "$vm" "$slot" \
		"get 0 slot=0 pages=8 exact=0 kvm=- vmmu=0 kbits=- vbits=-"
	bad "truncated bitmap" "line 4: missing or bad bits" "$magic" "$vm" "$slot" \
		"clear 0 slot=0 first=0 num=8 bits=3- kvm=0 vmmu=0"
	bad "no VM number" "line 2: expected 'KIND VM" "$magic" "vm"

	# well-formed, refused by both, huge counts: no buffer of their size
	printf '%s\n' "$magic" "$vm" "$slot" \
		"clear 0 slot=0 first=0 num=4294967232 bits=0-4294967231 kvm=-22 vmmu=-22" \
		"clear 0 slot=0 first=0 num=4294967232 bits=? kvm=-22 vmmu=-22" \
		"get 0 slot=9 pages=2147483647 exact=0 kvm=-2 vmmu=-2 kbits=? vbits=?" >"$tmp/t"
	if grep -q __asan_init "$vmmu"; then
		"$vmmu" replay --no-kvm "$tmp/t" >"$tmp/out" 2>&1
	else
		(ulimit -v 262144 && exec "$vmmu" replay --no-kvm "$tmp/t") >"$tmp/out" 2>&1
	fi
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "FAIL: huge refused counts: exit $rc"; cat "$tmp/out"; fails=$((fails + 1))
	else
		echo "ok: huge refused counts replayed in 256 MiB of address space"
	fi
	;;
*)
	echo "unknown set $set"; exit 2 ;;
esac
[ $fails -eq 0 ]
