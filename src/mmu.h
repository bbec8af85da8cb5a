/* SPDX-License-Identifier: MIT */
/*
 * Inline pieces of the MMU that the vCPU fast paths need: the lockless
 * page-table walk and the MMIO info cache fill.
 */
#ifndef VMMU_MMU_H
#define VMMU_MMU_H

#include "sched_point.h"
#include "spte.h"
#include "vm.h"

/*
 * tdp_mmu_walk_lockless() - the leaf SPTE for @gfn, or 0 if a level is
 * missing.  Non-leaf levels hold only present entries or 0 (MMIO SPTEs live
 * at the leaf), so any non-present non-leaf entry ends the walk.
 * Context: inside the vCPU's access bracket, which keeps tables alive
 * (see kvm_flush_remote_tlbs); @gfn <= vm->max_gfn.
 */
static inline uint64_t tdp_mmu_walk_lockless(struct vmmu_vm *vm, uint32_t as_id, gfn_t gfn)
{
	struct tdp_root *root = atomic_load_explicit(&vm->mmu.root[as_id], memory_order_acquire);
	struct tdp_pt *pt = root->pt;
	uint64_t spte;

	/*
	 * Unrolled, with constant shifts.  Acquire loads pair with the
	 * release cmpxchg that linked each child table.
	 */
#define WALK_LEVEL(level) do {								\
	spte = atomic_load_explicit(&pt->spte[SPTE_INDEX(gfn, level)], memory_order_acquire);	\
	if (!is_shadow_present_pte(spte))						\
		return 0;								\
	pt = spte_to_child(spte);							\
} while (0)
	if (unlikely(vm->mmu.root_level == 5))
		WALK_LEVEL(5);
	WALK_LEVEL(4);
	WALK_LEVEL(3);
	WALK_LEVEL(2);
#undef WALK_LEVEL
	return atomic_load_explicit(&pt->spte[SPTE_INDEX(gfn, 1)], memory_order_acquire);
}

/*
 * vcpu_cache_mmio_info() - fill the per-vCPU MMIO info cache, unless the
 * generation it was derived under is in flux (kvm-facts 4.5): a lookup made
 * during a swap may have used either set, and the in-progress value is no
 * valid tag for either.
 */
static inline void vcpu_cache_mmio_info(struct vmmu_vcpu *vcpu, gfn_t gfn, unsigned int access,
					uint64_t gen)
{
#ifdef VMMU_VARIANTS
	/* Variant mmio-cache-ignores-in-progress (seed 000): no flag test. */
	if (!checker_variant(MMIO_CACHE_IGNORES_IN_PROGRESS))
#endif
	if (unlikely(gen & VMMU_MEMSLOT_GEN_UPDATE_IN_PROGRESS))
		return;
	sched_point(SP_MMIO_CACHE_FILL);
	vcpu->mmio_gfn = gfn;
	vcpu->mmio_access = access;
	vcpu->mmio_gen = gen;
}

#endif /* VMMU_MMU_H */
