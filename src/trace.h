/* SPDX-License-Identifier: MIT */
/*
 * USDT probes (provider "vmmu"), named after KVM's tracepoints where KVM has
 * one.  Built with <sys/sdt.h> when meson's 'usdt' feature is on (auto: when
 * the header is found); each probe is then one nop in the code and a note in
 * .note.stapsdt (`readelf -n libvmmu.so`), which a tracer (bpftrace
 * `usdt:PATH:vmmu:NAME`, perf, systemtap) turns into a breakpoint while it
 * is attached.  Without the feature the macros compile to nothing.  No
 * probe sits on the software-TLB, MMIO-cache or MMIO-SPTE hit paths: even a
 * nop there changes the counted hot paths.
 *
 *   probe                     where                                arguments
 *   mark_mmio_spte            an MMIO SPTE is made (fault path)    gfn, access, gen slice
 *   check_mmio_spte           an MMIO SPTE failed the gen check    spte, memslot gen
 *   handle_mmio_page_fault    an MMIO access served by the fault   gpa, gfn, vCPU id
 *   kvm_mmu_set_spte          a fault installed a leaf SPTE        as_id, gfn, old, new
 *   kvm_tdp_mmu_spte_changed  a range walk zapped/repointed a leaf gfn, old, new
 *   kvm_mmu_zap_all_fast      all roots obsoleted                  VM
 *   kvm_unmap_hva_range       invalidate_range_start()             start, end
 *   kvm_age_hva               clear/test young                     start, end
 *   kvm_mmio                  an MMIO exit left the fault path     is_write, len, gpa, data
 *   memslot_update            a memslot set was published          as_id, new generation
 *   remote_tlb_flush          kvm_flush_remote_tlbs_range()        VM, first gfn, last gfn
 */
#ifndef VMMU_TRACE_H
#define VMMU_TRACE_H

#if VMMU_USDT
#define SDT_USE_VARIADIC 1
#include <sys/sdt.h>
#define VMMU_PROBE(name, ...)	STAP_PROBEV(vmmu, name, ##__VA_ARGS__)
#else
#define VMMU_PROBE(name, ...)	do { } while (0)
#endif

#define trace_mark_mmio_spte(gfn, access, gen)	VMMU_PROBE(mark_mmio_spte, gfn, access, gen)
#define trace_check_mmio_spte(spte, gen)	VMMU_PROBE(check_mmio_spte, spte, gen)
#define trace_handle_mmio_page_fault(gpa, gfn, vcpu_id) \
	VMMU_PROBE(handle_mmio_page_fault, gpa, gfn, vcpu_id)
#define trace_kvm_mmu_set_spte(as_id, gfn, old, new) \
	VMMU_PROBE(kvm_mmu_set_spte, as_id, gfn, old, new)
#define trace_kvm_tdp_mmu_spte_changed(gfn, old, new) \
	VMMU_PROBE(kvm_tdp_mmu_spte_changed, gfn, old, new)
#define trace_kvm_mmu_zap_all_fast(vm)		VMMU_PROBE(kvm_mmu_zap_all_fast, vm)
#define trace_kvm_unmap_hva_range(start, end)	VMMU_PROBE(kvm_unmap_hva_range, start, end)
#define trace_kvm_age_hva(start, end)		VMMU_PROBE(kvm_age_hva, start, end)
#define trace_kvm_mmio(is_write, len, gpa, data) VMMU_PROBE(kvm_mmio, is_write, len, gpa, data)
#define trace_memslot_update(as_id, gen)	VMMU_PROBE(memslot_update, as_id, gen)
#define trace_remote_tlb_flush(vm, start, end)	VMMU_PROBE(remote_tlb_flush, vm, start, end)

#endif /* VMMU_TRACE_H */
