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
 * mmu_invalidate_snapshot() - the invalidation sequence of (@as_id, @gfn):
 * inv_seq_wide + inv_seq[bucket].  Both only grow, so the sum moves iff
 * an end() bumped either.  Acquire: pairs with the release bumps in
 * kvm_mmu_invalidate_end().  Take it before the memslot and host lookups.
 */
static inline uint64_t mmu_invalidate_snapshot(struct vmmu_vm *vm, uint32_t as_id, gfn_t gfn)
{
	return atomic_load_explicit(&vm->inv_seq_wide, memory_order_acquire) +
	       atomic_load_explicit(&vm->inv_seq[mn_inv_bucket(as_id, gfn)],
				    memory_order_acquire);
}

/* The same, with the bucket's counter found once (the fault path). */
static inline uint64_t mmu_invalidate_read(struct vmmu_vm *vm, _Atomic uint64_t *bucket)
{
	return atomic_load_explicit(&vm->inv_seq_wide, memory_order_acquire) +
	       atomic_load_explicit(bucket, memory_order_acquire);
}

/*
 * mn_gfn_covered() - does an open bracket's gfn ranges contain [@start,
 * @end) of @as_id?  Context: mmu_lock (read or write) or mn_invalidate_lock.
 */
static inline bool mn_gfn_covered(struct vmmu_vm *vm, uint32_t as_id, gfn_t start, gfn_t end)
{
	if (vm->mn_untracked)
		return true;
	for (uint32_t i = 0; i < vm->nr_mn_brackets; i++) {
		const struct mn_bracket *b = &vm->mn_brackets[i];

		if (b->all)
			return true;
		for (uint32_t j = 0; j < b->nr_ranges; j++)
			if (b->ranges[j].as_id == as_id && b->ranges[j].start <= start &&
			    end <= b->ranges[j].end)
				return true;
	}
	return false;
}

/*
 * mmu_invalidate_retry_gfn() - must a fault (or a guest-memory copy) on
 * (@as_id, @gfn) whose snapshot (mmu_invalidate_snapshot()) was @mmu_seq
 * start over?  Yes if an open bracket covers the gfn, or an end() of a
 * range in its bucket (or a wide one) came since the snapshot.  Exact
 * under mmu_lock (read): the state changes only under mmu_lock (write).
 */
static inline bool mmu_invalidate_retry_gfn(struct vmmu_vm *vm, uint64_t mmu_seq,
					    uint32_t as_id, gfn_t gfn)
{
	if (unlikely(atomic_load_explicit(&vm->mmu_invalidate_in_progress, memory_order_relaxed)) &&
	    mn_gfn_covered(vm, as_id, gfn, gfn + 1))
		return true;
	return mmu_invalidate_snapshot(vm, as_id, gfn) != mmu_seq;
}

/* mmu_invalidate_retry_gfn() with (@as_id, @gfn)'s counter @bucket found once. */
static inline bool __mmu_invalidate_retry_gfn(struct vmmu_vm *vm, uint64_t mmu_seq,
					      _Atomic uint64_t *bucket, uint32_t as_id, gfn_t gfn)
{
	if (unlikely(atomic_load_explicit(&vm->mmu_invalidate_in_progress, memory_order_relaxed)) &&
	    mn_gfn_covered(vm, as_id, gfn, gfn + 1))
		return true;
	return mmu_invalidate_read(vm, bucket) != mmu_seq;
}

/*
 * mmu_invalidate_retry_gfn_unsafe() - lockless hint: has the snapshot of
 * (@as_id, @gfn) moved?  The bracket list cannot be read without a lock, so
 * it does not see open brackets: false says nothing, true is exact.
 */
static inline bool mmu_invalidate_retry_gfn_unsafe(struct vmmu_vm *vm, uint64_t mmu_seq,
						   uint32_t as_id, gfn_t gfn)
{
	/* Variant fault-no-seq-recheck: no check before or after the lookup. */
	if (variant_is(FAULT_NO_SEQ_RECHECK))
		return false;
	return mmu_invalidate_snapshot(vm, as_id, gfn) != mmu_seq;
}

/*
 * mmu_invalidate_retry_gfn_locked() - mmu_invalidate_retry_gfn() taking
 * mmu_lock (read) itself: for the slow paths (a failed host lookup) that
 * must see open brackets.  Context: no mmu_lock held.
 */
bool mmu_invalidate_retry_gfn_locked(struct vmmu_vm *vm, uint64_t mmu_seq, uint32_t as_id,
				     gfn_t gfn);

/*
 * kvm_mmu_invalidate_wait() - block until the snapshot of (@as_id, @gfn)
 * moves past @mmu_seq or no open bracket covers the gfn.  Context: no
 * lock, no RCU read section, outside the access bracket.
 */
void kvm_mmu_invalidate_wait(struct vmmu_vm *vm, uint64_t mmu_seq, uint32_t as_id, gfn_t gfn);

/*
 * kvm_mmu_invalidate_extend() - before @slots (of @as_id) is published, add
 * the gfn ranges of its slots that each open bracket's host range
 * intersects to that bracket.  Context: mn_invalidate_lock and mmu_lock
 * (write), held across the publish.
 */
void kvm_mmu_invalidate_extend(struct vmmu_vm *vm, uint32_t as_id, struct vmmu_memslots *slots);

#endif /* VMMU_NOTIFIER_H */
