/* SPDX-License-Identifier: MIT */
/*
 * The fault side of the MMU-notifier protocol (notifier.c has the other):
 * the retry checks a fault or a guest-memory copy makes against the
 * invalidate state, and the wait for an end().  Inline: the fault path runs
 * them two or three times per fault.
 */
#ifndef VMMU_NOTIFIER_H
#define VMMU_NOTIFIER_H

#include "check_hooks.h"
#include "vm.h"

/*
 * mmu_invalidate_retry_gfn() - must a fault (or a guest-memory copy) on @gfn
 * that read mmu_invalidate_seq as @mmu_seq start over?  Exact under
 * mmu_lock (read), as the invalidate state changes only under mmu_lock
 * (write); elsewhere a hint.
 */
static inline bool mmu_invalidate_retry_gfn(struct vmmu_vm *vm, uint64_t mmu_seq, gfn_t gfn)
{
	if (unlikely(atomic_load_explicit(&vm->mmu_invalidate_in_progress, memory_order_relaxed))) {
		gfn_t start = atomic_load_explicit(&vm->mmu_invalidate_range_start,
						   memory_order_relaxed);
		gfn_t end = atomic_load_explicit(&vm->mmu_invalidate_range_end,
						 memory_order_relaxed);

		if (WARN_ON_ONCE(start == UINT64_MAX || end == UINT64_MAX))
			return true;
		if (gfn >= start && gfn < end)
			return true;
	}
	return atomic_load_explicit(&vm->mmu_invalidate_seq, memory_order_relaxed) != mmu_seq;
}

/* mmu_invalidate_retry_gfn_unsafe: lockless, may be wrong either way. */
static inline bool mmu_invalidate_retry_gfn_unsafe(struct vmmu_vm *vm, uint64_t mmu_seq, gfn_t gfn)
{
	/* Variant fault-no-seq-recheck: no check before or after the lookup. */
	if (variant_is(FAULT_NO_SEQ_RECHECK))
		return false;
	if (unlikely(atomic_load_explicit(&vm->mmu_invalidate_in_progress, memory_order_relaxed)) &&
	    gfn >= atomic_load_explicit(&vm->mmu_invalidate_range_start, memory_order_relaxed) &&
	    gfn < atomic_load_explicit(&vm->mmu_invalidate_range_end, memory_order_relaxed))
		return true;
	return atomic_load_explicit(&vm->mmu_invalidate_seq, memory_order_relaxed) != mmu_seq;
}

/*
 * kvm_mmu_invalidate_wait() - block until mmu_invalidate_seq moves past
 * @mmu_seq or no invalidation in progress covers @gfn.  Context: no lock,
 * no RCU read section, outside the access bracket.
 */
void kvm_mmu_invalidate_wait(struct vmmu_vm *vm, uint64_t mmu_seq, gfn_t gfn);

#endif /* VMMU_NOTIFIER_H */
