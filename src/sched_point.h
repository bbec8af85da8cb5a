/* SPDX-License-Identifier: MIT */
/*
 * Schedule points: the protocol's critical steps.  In the release library
 * sched_point() compiles to nothing; in a checker build (-Dchecker=true) it
 * hands control to the deterministic scheduler of tools/vmmu/check, which
 * decides which thread runs next.  See docs/DESIGN.md, "Checking".
 */
#ifndef VMMU_SCHED_POINT_H
#define VMMU_SCHED_POINT_H

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
	SP_NR
};

#ifdef VMMU_CHECKER
void vmmu_sched_point(enum sched_point_id id);
#define sched_point(id)	vmmu_sched_point(id)
#else
#define sched_point(id)	do { } while (0)
#endif

#endif /* VMMU_SCHED_POINT_H */
