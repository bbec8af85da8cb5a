/* SPDX-License-Identifier: MIT */
/*
 * Schedule points: the protocol's critical steps.  In the release library
 * sched_point() compiles to nothing; in the checker's twin of the library
 * (the vmmu_checker static library, built with -DVMMU_CHECKER=1 and linked
 * only into vmmu-check) it hands control to the deterministic scheduler of
 * tools/vmmu/check, which decides which thread runs next.  See
 * docs/CHECKER.md.
 */
#ifndef VMMU_SCHED_POINT_H
#define VMMU_SCHED_POINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sched_point_id {
	SP_MEMSLOT_GEN_IP,	/* inactive set tagged gen | IN_PROGRESS */
	SP_MEMSLOT_PUBLISH,	/* new set published */
	SP_MEMSLOT_SYNC,	/* grace period over */
	SP_MEMSLOT_GEN_FINAL,	/* final generation stored */
	SP_FAULT_SLOTS_DEREF,	/* fault loaded the memslot set */
	SP_FAULT_GEN_READ,	/* fault read the generation */
	SP_FAULT_SLOT_LOOKUP,	/* fault looked the gfn up */
	SP_FAULT_SEQ_SNAPSHOT,	/* fault took mmu_invalidate_seq */
	SP_FAULT_PFN_RESOLVED,	/* fault resolved hva -> host page */
	SP_FAULT_INSTALL,	/* fault is about to install an SPTE */
	SP_MMIO_SPTE_READ,	/* fast path read an MMIO SPTE */
	SP_MMIO_CACHE_FILL,	/* MMIO info cache about to be filled */
	SP_NOTIFIER_BEGIN,	/* invalidate_range_start done with the MMU */
	SP_NOTIFIER_END,	/* invalidate_range_end about to end */
	SP_ZAP,			/* a zap cleared SPTEs */
	SP_TLB_HIT,		/* software-TLB tag matched, guest load/store next */
	SP_NOTIFIER_COUNTED,	/* start() raised mn_active_invalidate_count */
	SP_MEMBARRIER,		/* a flush's membarrier() (checker: drains store buffers) */
	SP_NR
};

#ifdef VMMU_CHECKER
/* The checker library also carries the variants. */
#ifndef VMMU_VARIANTS
#define VMMU_VARIANTS 1
#endif
void vmmu_sched_point(enum sched_point_id id);
#define sched_point(id)	vmmu_sched_point(id)

struct vmmu_vm;
/* A fault is about to install an SPTE for @gfn (mmu_lock held for read);
 * @mmu_seq is its mmu_invalidate_seq snapshot. */
void vmmu_checker_fault_install(struct vmmu_vm *vm, uint64_t gfn, uint64_t mmu_seq);
/* The library is about to touch guest memory [@p, @p + @len): returns the
 * pointer to use (the checker's host-safety monitor redirects a touch of
 * memory that is not mapped to a scratch page instead of crashing). */
void *vmmu_checker_guest_mem(const void *p, size_t len, bool write);
struct vmmu_memslot;
/* change_pte is about to re-point gfns [@start, @end) of @slot in @as_id
 * (mmu_lock held for write): the bracket-coverage monitor. */
void vmmu_checker_change_pte(struct vmmu_vm *vm, uint32_t as_id,
			     const struct vmmu_memslot *slot, uint64_t start, uint64_t end);
/*
 * The asymmetric fence, modelled (docs/CHECKER.md, "Fences"): a vCPU's
 * plain increment entering its access bracket sits in its store buffer,
 * invisible to other threads, until the vCPU fences, leaves the bracket,
 * or a flusher's membarrier() drains every buffer.
 */
struct vmmu_vcpu;
void vmmu_checker_access_begin(struct vmmu_vcpu *vcpu);
void vmmu_checker_access_end(struct vmmu_vcpu *vcpu);
void vmmu_checker_fence(struct vmmu_vcpu *vcpu);
void vmmu_checker_membarrier(void);
#else
#define sched_point(id)	do { } while (0)
#endif

#ifdef VMMU_VARIANTS
/*
 * Variant builds only (the checker library, and the library behind the
 * vmmu-variant tool): the historical or plausible wrong designs that the
 * race checker and the KVM differential test must catch (docs/CHECKER.md).
 * Each is rebuilt in place, in an #ifdef VMMU_VARIANTS block naming it;
 * VARIANT_NONE is the real design.  The release library has none of this.
 */
enum vmmu_checker_variant {
	VARIANT_NONE,
	VARIANT_GEN_BEFORE_PUBLISH,		/* seed 002 / 004 */
	VARIANT_NO_WRAP_ZAP,			/* seed 001 */
	VARIANT_WRAP_CHECK_KEEPS_AS_BITS,
	VARIANT_FAULT_NO_SEQ_RECHECK,		/* seed 003 */
	VARIANT_SWAP_IGNORES_ACTIVE_INVALIDATIONS,
	VARIANT_CHANGE_PTE_UNBRACKETED,		/* seed 003 */
	VARIANT_MMIO_CACHE_IGNORES_IN_PROGRESS,	/* seed 000 */
	/* vmmu's own bug history (docs/DESIGN.md, "Defects found in use") */
	VARIANT_READ_FAULT_DOWNGRADES_W,	/* defect 1: lost dirty page */
	VARIANT_NOSLOT_OVERWRITES_PRESENT,	/* defect 2: translation outlives DELETE */
	VARIANT_DIRECT_CACHE_FILLS_IN_BRACKET,	/* defect 3: stale "region mapped" cache */
	VARIANT_RW_IGNORES_INVALIDATION,	/* defect 4: read/write_guest vs a bracket */
	VARIANT_CHANGE_PTE_HULL_COVERAGE,	/* defect 5: change_pte checked against the hull */
	VARIANT_FLUSH_WITHOUT_MEMBARRIER,	/* a flush that skips the asymmetric fence */
	VARIANT_NR
};
extern enum vmmu_checker_variant vmmu_checker_variant;
#define checker_variant(v)	(vmmu_checker_variant == VARIANT_##v)
#endif

#endif /* VMMU_SCHED_POINT_H */
