#!/bin/sh
# SPDX-License-Identifier: MIT
# usdt.sh WORKLOAD [LIBVMMU.so]: attach bpftrace to every USDT probe of
# WORKLOAD (tests/trace/workload.c, linked with libvmmu.a; provider vmmu,
# src/trace.h), run it under bpftrace, and check each probe's hit count
# (LIBVMMU.so, if given, must carry the same notes): exact where the
# workload alone decides it, at least 1 elsewhere.  Exits 77 (skipped), with
# the reason, where bpftrace is missing or cannot attach (not root, no BPF
# or uprobe support in the kernel, a locked-down container).
set -u
workload=$(readlink -f "$1") so=${2:-}
probes="mark_mmio_spte check_mmio_spte handle_mmio_page_fault kvm_mmu_set_spte
	kvm_tdp_mmu_spte_changed kvm_mmu_zap_all_fast kvm_unmap_hva_range kvm_age_hva
	kvm_mmio memslot_update remote_tlb_flush"
# probe=count checked exactly (the others must be > 0)
# (memslot_update: CREATE, CREATE, DELETE's two publishes; kvm_mmu_set_spte:
# the RAM fault, the 15 other pages of slot 0 that it prefetches, and the
# two MMIO SPTEs)
exact="handle_mmio_page_fault=2 kvm_mmio=2 kvm_unmap_hva_range=3 kvm_age_hva=2
	check_mmio_spte=1 kvm_mmu_zap_all_fast=1 mark_mmio_spte=2 memslot_update=4
	kvm_mmu_set_spte=18"

skip() { echo "SKIP: usdt.sh: $*"; exit 77; }
command -v bpftrace >/dev/null 2>&1 || skip "bpftrace not installed (apt-get install bpftrace)"
[ "$(id -u)" = 0 ] || skip "bpftrace needs root to attach uprobes"
for f in "$workload" $so; do
	for p in $probes; do
		readelf -n "$f" | grep -q "Name: $p\$" || { echo "FAIL: $f has no USDT note for $p"; exit 1; }
	done
done

attach=""
for p in $probes; do attach="$attach${attach:+,}usdt:$workload:vmmu:$p"; done
out=$(mktemp)
trap 'rm -f "$out"' EXIT
bpftrace -e "$attach { @[probe] = count(); }" -c "$workload" >"$out" 2>&1
rc=$?
if [ $rc != 0 ] || ! grep -q "workload: done" "$out"; then
	cat "$out"
	if grep -qiE "permission|operation not permitted|could not|failed to (attach|open|load)|bpf|kernel" "$out" &&
	   ! grep -q "workload: done" "$out"; then
		skip "bpftrace cannot attach here (exit $rc, output above)"
	fi
	echo "FAIL: bpftrace or the workload failed (exit $rc)"
	exit 1
fi
cat "$out"
bad=0
for p in $probes; do
	n=$(sed -n "s/^@\[usdt:.*:vmmu:$p\]: \([0-9]*\)\$/\1/p" "$out")
	n=${n:-0}
	want=""
	for e in $exact; do [ "${e%%=*}" = "$p" ] && want=${e#*=}; done
	if [ -n "$want" ]; then
		[ "$n" = "$want" ] || { echo "FAIL: $p hit $n times, expected $want"; bad=1; }
	else
		[ "$n" -gt 0 ] || { echo "FAIL: $p never hit"; bad=1; }
	fi
	echo "probe $p: $n${want:+ (expected $want)}"
done
exit $bad
