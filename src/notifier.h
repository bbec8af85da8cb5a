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

/* The bucket of (@as_id, @gfn). */
static inline struct mn_inv_bucket *mn_bucket(struct vmmu_vm *vm, uint32_t as_id, gfn_t gfn)
{
	return &vm->inv[mn_inv_bucket(as_id, gfn)];
}

/* The invalidation sequence of bucket @b: inv_seq_wide + b->seq. */
static inline uint64_t mmu_invalidate_read(struct vmmu_vm *vm, struct mn_inv_bucket *b)
{
	return atomic_load_explicit(&vm->inv_seq_wide, memory_order_acquire) +
	       atomic_load_explicit(&b->seq, memory_order_acquire);
}

/*
 * mmu_invalidate_snapshot() - the invalidation sequence of (@as_id, @gfn):
 * inv_seq_wide + inv[bucket].seq.  Both only grow, so the sum moves iff an
 * end() bumped either.  Acquire: pairs with the release bumps in
 * kvm_mmu_invalidate_end().  Take it before the memslot and host lookups.
 */
static inline uint64_t mmu_invalidate_snapshot(struct vmmu_vm *vm, uint32_t as_id, gfn_t gfn)
{
	return mmu_invalidate_read(vm, mn_bucket(vm, as_id, gfn));
}

/*
 * __mn_gfn_open() - does an open bracket's gfn ranges contain [@start, @end)
 * of @as_id (@overlap false), or meet it (@overlap true)?  No lock needed
 * (the bracket slots are read as struct mn_bracket says); exact under
 * mn_invalidate_lock.  An answer read while a bracket opens or closes is
 * either: the callers' ordering makes both safe (docs/LOCKING.md, "Brackets
 * without mmu_lock").
 */
static inline bool __mn_gfn_open(struct vmmu_vm *vm, uint32_t as_id, gfn_t start, gfn_t end,
				 bool overlap)
{
	uint32_t hwm;

	if (atomic_load_explicit(&vm->mn_untracked, memory_order_acquire))
		return true;
	hwm = atomic_load_explicit(&vm->mn_brackets_hwm, memory_order_acquire);
	for (uint32_t i = 0; i < hwm; i++) {
		const struct mn_bracket *b = &vm->mn_brackets[i];
		uint32_t n;

		if (!atomic_load_explicit(&b->active, memory_order_acquire))
			continue;
		if (atomic_load_explicit(&b->all, memory_order_acquire))
			return true;
		n = atomic_load_explicit(&b->nr_ranges, memory_order_acquire);
		for (uint32_t j = 0; j < n && j < MN_BRACKET_RANGES; j++) {
			const struct mn_gfn_range *r = &b->ranges[j];
			gfn_t rs, re;

			if (atomic_load_explicit(&r->as_id, memory_order_relaxed) != as_id)
				continue;
			rs = atomic_load_explicit(&r->start, memory_order_relaxed);
			re = atomic_load_explicit(&r->end, memory_order_relaxed);
			if (overlap ? rs < end && start < re : rs <= start && end <= re)
				return true;
		}
	}
	/*
	 * A "no": the scan may have read a reused slot's new fields (relaxed
	 * stores of a later start() or extension).  Acquire, pairing with the
	 * release fences before those stores (notifier.c): then the caller's
	 * re-read of the sum sees the bumps of the end() that freed the slot.
	 */
	smp_acquire_fence();
	return false;
}

/* mn_gfn_covered() - does one open bracket's range contain [@start, @end)? */
static inline bool mn_gfn_covered(struct vmmu_vm *vm, uint32_t as_id, gfn_t start, gfn_t end)
{
	return __mn_gfn_open(vm, as_id, start, end, false);
}

/* mn_gfn_touched() - does an open bracket's range meet [@start, @end)? */
static inline bool mn_gfn_touched(struct vmmu_vm *vm, uint32_t as_id, gfn_t start, gfn_t end)
{
	return __mn_gfn_open(vm, as_id, start, end, true);
}

/*
 * mn_bucket_enter() / mn_bucket_leave() - a fault (or a guest copy) of a gfn
 * of bucket @b is between its coverage check and its install (or copy):
 * entered before the check (seq_cst: with the loads of the check after it,
 * the fault's half of the Dekker pair with start(), which raises the open
 * count, then reads this), left after the install and the release of
 * mmu_lock (release: a start() that reads the count back down sees the
 * install).  docs/LOCKING.md, "Brackets without mmu_lock".
 */
static inline void mn_bucket_enter(struct mn_inv_bucket *b)
{
	atomic_fetch_add_explicit(&b->inflight, 1, memory_order_seq_cst);
}

static inline void mn_bucket_leave(struct mn_inv_bucket *b)
{
	atomic_fetch_sub_explicit(&b->inflight, 1, memory_order_release);
}

/*
 * mn_bucket_mark_mapped() - a fault is about to install an SPTE for a gfn
 * of bucket @b (inside it, before the install; mmu_lock read).  A start()
 * reads the mark after the bucket's in-flight count, so a fault that has
 * left the bucket marked it before; one that finds every bucket of its
 * ranges unmarked skips its walk.  A store only the first time.
 */
static inline void mn_bucket_mark_mapped(struct mn_inv_bucket *b)
{
	/* Variant fault-skips-mapped-mark: the hint says nothing is mapped. */
	if (variant_is(FAULT_SKIPS_MAPPED_MARK))
		return;
	if (!atomic_load_explicit(&b->mapped, memory_order_relaxed))
		atomic_store_explicit(&b->mapped, 1, memory_order_relaxed);
}

/*
 * mn_bucket_open() - may an open bracket cover a gfn of bucket @b?  No
 * when neither @b's open count nor inv_open_wide is non-zero.  seq_cst:
 * with mn_bucket_enter() before it, this is the fault's half of the
 * Dekker pair with start() (docs/LOCKING.md).
 */
static inline bool mn_bucket_open(struct vmmu_vm *vm, struct mn_inv_bucket *b)
{
	return atomic_load_explicit(&b->open, memory_order_seq_cst) |
	       atomic_load_explicit(&vm->inv_open_wide, memory_order_seq_cst);
}

/*
 * mmu_invalidate_retry_gfn() - must a fault (or a guest-memory copy) on
 * (@as_id, @gfn) whose snapshot (mmu_invalidate_snapshot()) was @mmu_seq
 * start over?  Yes if an open bracket covers the gfn, or an end() of a
 * range in its bucket (or a wide one) came since the snapshot.  The caller
 * entered the gfn's bucket (mn_bucket_enter()) before,
 * and holds mmu_lock (read) until it has installed or copied.
 */
static inline bool mmu_invalidate_retry_gfn(struct vmmu_vm *vm, uint64_t mmu_seq,
					    uint32_t as_id, gfn_t gfn)
{
	struct mn_inv_bucket *b = mn_bucket(vm, as_id, gfn);

	if (unlikely(mn_bucket_open(vm, b)) && mn_gfn_covered(vm, as_id, gfn, gfn + 1))
		return true;
	return mmu_invalidate_read(vm, b) != mmu_seq;
}

/* mmu_invalidate_retry_gfn() with (@as_id, @gfn)'s bucket @b found once. */
static inline bool __mmu_invalidate_retry_gfn(struct vmmu_vm *vm, uint64_t mmu_seq,
					      struct mn_inv_bucket *b, uint32_t as_id, gfn_t gfn)
{
	if (unlikely(mn_bucket_open(vm, b)) && mn_gfn_covered(vm, as_id, gfn, gfn + 1))
		return true;
	return mmu_invalidate_read(vm, b) != mmu_seq;
}

/*
 * mmu_invalidate_retry_gfn_unsafe() - lockless hint: has the snapshot of
 * (@as_id, @gfn) moved?  The bracket list cannot be read without a lock, so
 * it does not look at open brackets: false says nothing, true is exact.
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
 * must see open brackets.  Context: no mmu_lock held, an RCU read section.
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
