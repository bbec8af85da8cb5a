/* SPDX-License-Identifier: MIT */
/*
 * The TDP MMU (mmu.c): page tables, the fault path, zaps, write
 * protection, aging and the remote TLB flush; plus the inline pieces the
 * vCPU fast paths need (the lockless walk, in tdp_iter.h, and the MMIO info
 * cache fill).
 */
#ifndef VMMU_MMU_H
#define VMMU_MMU_H

#include "check_hooks.h"
#include "memslots.h"
#include "spte.h"
#include "tdp_iter.h"
#include "vm.h"

/* RET_PF_* as in KVM's mmu_internal.h (v6.12+). */
enum {
	RET_PF_CONTINUE = 0,
	RET_PF_RETRY,
	RET_PF_EMULATE,
	RET_PF_WRITE_PROTECTED,
	RET_PF_INVALID,
	RET_PF_FIXED,
	RET_PF_SPURIOUS,
};

/* What kvm_tdp_mmu_age_range() does with the accessed bits it finds. */
enum age_op {
	AGE_CLEAR,	/* clear_young / clear_flush_young */
	AGE_TEST,	/* test_young: only look */
};

/* Create the roots of every address space (-ENOMEM); free them all. */
int kvm_mmu_init_vm(struct vmmu_vm *vm);
void kvm_mmu_uninit_vm(struct vmmu_vm *vm);

/*
 * kvm_arch_memslots_updated() - every memslot swap, with the new generation
 * @gen before it is stored: zaps all when the MMIO generation slice wraps.
 * Context: slots_lock.
 */
void kvm_arch_memslots_updated(struct vmmu_vm *vm, uint64_t gen);
/* DELETE/MOVE: remove the translations of the INVALID @slot.  Context: slots_lock. */
void kvm_arch_flush_shadow_memslot(struct vmmu_vm *vm, struct vmmu_memslot *slot);
/* FLAGS_ONLY: write-protect a slot whose dirty logging was just enabled.  slots_lock. */
void kvm_mmu_slot_apply_flags(struct vmmu_vm *vm, struct vmmu_memslot *old,
			      const struct vmmu_memslot *new, enum kvm_mr_change change);
/* Swap every root for an empty one, flush, free the old trees.  Context: slots_lock. */
void kvm_mmu_zap_all_fast(struct vmmu_vm *vm);

/*
 * vcpu->access_target, the page a vCPU touches after its walk:
 *
 *	 63  62                                8  7        0
 *	+---+-----------------------------------+----------+
 *	| 1 |               gfn                 |  as_id   |
 *	+---+-----------------------------------+----------+
 *
 * Bit 63 marks it valid (0 = no target: the vCPU may be anywhere in its
 * access, so a flush waits for it).  A gfn has at most 52 - 12 bits.
 */
#define ACCESS_TARGET_VALID	(1ull << 63)
#define ACCESS_TARGET_GFN_SHIFT	8
_Static_assert(VMMU_MAX_ADDRESS_SPACES <= (1u << ACCESS_TARGET_GFN_SHIFT), "as_id field");
_Static_assert(ACCESS_TARGET_GFN_SHIFT + 52 - 12 <= 63, "gfn field");

static inline uint64_t vcpu_access_target(uint32_t as_id, gfn_t gfn)
{
	return ACCESS_TARGET_VALID | gfn << ACCESS_TARGET_GFN_SHIFT | as_id;
}

/*
 * What a remote TLB flush covers: gfns [start, end) of the address spaces
 * in @as_mask.  A vCPU whose access touches a page outside it (and has
 * finished its walk) is not waited for.  FLUSH_ALL covers everything.
 */
struct flush_range {
	uint32_t as_mask;
	gfn_t start, end;
};
#define FLUSH_ALL	((struct flush_range){ .as_mask = ~0u, .start = 0, .end = ~(gfn_t)0 })

static inline struct flush_range flush_range_of(uint32_t as_id, gfn_t start, gfn_t end)
{
	return (struct flush_range){ .as_mask = 1u << as_id, .start = start, .end = end };
}

/* All of @slot's gfns. */
static inline struct flush_range flush_range_of_slot(const struct vmmu_memslot *slot)
{
	return flush_range_of(slot->as_id, slot->base_gfn, slot->base_gfn + slot->npages);
}

/* Grow @r (as_mask 0: empty) to cover gfns [start, end) of @as_id too. */
static inline void flush_range_add(struct flush_range *r, uint32_t as_id, gfn_t start, gfn_t end)
{
	if (!r->as_mask || start < r->start)
		r->start = start;
	if (!r->as_mask || end > r->end)
		r->end = end;
	r->as_mask |= 1u << as_id;
}

/*
 * kvm_flush_remote_tlbs_range() - after it returns, no vCPU uses a
 * translation, page table or MMIO SPTE in @range that was removed before
 * it was called.  May be called with or without mmu_lock; takes
 * vcpus_lock.  kvm_flush_remote_tlbs() covers everything.
 */
void kvm_flush_remote_tlbs_range(struct vmmu_vm *vm, struct flush_range range);

static inline void kvm_flush_remote_tlbs(struct vmmu_vm *vm)
{
	kvm_flush_remote_tlbs_range(vm, FLUSH_ALL);
}

/*
 * kvm_tdp_mmu_range_has_present() - does a present leaf SPTE map a gfn of
 * [start, end) of @as_id?  Context: mmu_lock (read or write).
 */
bool kvm_tdp_mmu_range_has_present(struct vmmu_vm *vm, uint32_t as_id, gfn_t start, gfn_t end);

/* Zap leaf SPTEs mapping gfns [start, end) of @as_id; true if a present one
 * went (flush needed).  Context: mmu_lock held for write. */
bool __kvm_tdp_mmu_zap_leafs(struct vmmu_vm *vm, uint32_t as_id, gfn_t start, gfn_t end);
/* Write-protect [start, end) of @as_id; true if a writable SPTE changed.
 * Context: mmu_lock held for write. */
bool __kvm_tdp_mmu_wrprot(struct vmmu_vm *vm, uint32_t as_id, gfn_t start, gfn_t end);
/* Write-protect @base + i for each bit i of @mask.  Context: mmu_lock held for write. */
bool __kvm_tdp_mmu_wrprot_masked(struct vmmu_vm *vm, uint32_t as_id, gfn_t base, uint64_t mask);
/* Test (AGE_TEST) or test and clear (AGE_CLEAR) the accessed bits of
 * [start, end); true if any was young.  Context: mmu_lock held for write. */
bool kvm_tdp_mmu_age_range(struct vmmu_vm *vm, uint32_t as_id, gfn_t start, gfn_t end,
			   enum age_op op);
/* change_pte: every present leaf of [start, end) becomes @new_spte (0 zaps).
 * Context: mmu_lock held for write. */
bool kvm_tdp_mmu_repoint(struct vmmu_vm *vm, uint32_t as_id, gfn_t start, gfn_t end,
			 uint64_t new_spte);

/*
 * kvm_mmu_reclaim_page_tables() - make room at the page-table cap: free the
 * tables that hold no present SPTE, or, if too few, every table below the
 * roots.  Context: no lock held, outside the vCPU's access bracket.
 */
void kvm_mmu_reclaim_page_tables(struct vmmu_vm *vm);

/* The TDP page fault: returns RET_PF_* or -errno (-EFAULT, -ENOMEM).
 * Context: outside the vCPU's access bracket, no lock held. */
int kvm_tdp_page_fault(struct vmmu_vcpu *vcpu, gfn_t gfn, uint32_t access_flags);

/*
 * vcpu_cache_mmio_info() - fill the per-vCPU MMIO info cache, unless the
 * generation it was derived under is in flux (docs/KVM-SEMANTICS.md, "The per-vCPU MMIO info
 * cache"): a lookup made
 * during a swap may have used either set, and the in-progress value is no
 * valid tag for either.
 */
static inline void vcpu_cache_mmio_info(struct vmmu_vcpu *vcpu, gfn_t gfn, unsigned int access,
					uint64_t gen)
{
	/* Variant mmio-cache-ignores-in-progress: no flag test. */
	if (!variant_is(MMIO_CACHE_IGNORES_IN_PROGRESS) &&
	    unlikely(gen & VMMU_MEMSLOT_GEN_UPDATE_IN_PROGRESS))
		return;
	sched_point(SP_MMIO_CACHE_FILL);
	vcpu->mmio_gfn = gfn;
	vcpu->mmio_access = access;
	vcpu->mmio_gen = gen;
}

#endif /* VMMU_MMU_H */
