// SPDX-License-Identifier: MIT
/*
 * MMU notifiers (docs/KVM-SEMANTICS.md, "MMU-notifier coherence"): keep vCPU translations coherent
 * with the host
 * memory behind the memslots.
 *
 * The protocol, range-precise (docs/DESIGN.md, "Range-precise retry"; the
 * Promela model model/notifier_rp.pml), with the fault side in mmu.c
 * (kvm_tdp_page_fault):
 *
 *	notifier                             vCPU fault on (as, gfn)
 *	--------                             -----------------------
 *	start(): register the bracket;       s = inv_seq_wide + inv_seq[bucket]
 *	  its gfn ranges from the active     slot lookup, hva -> host page
 *	  slots, in_progress++, zap, flush   (may resolve the OLD page)
 *	(host memory changes)
 *	end(): bump inv_seq[bucket] of       mmu_lock; retry if an open
 *	  every granule of its ranges (or      bracket's ranges contain gfn,
 *	  inv_seq_wide for a wide range),      or the sum moved from s
 *	  then remove it, in_progress--
 *
 * A fault whose host-page lookup overlapped any part of an invalidation of
 * its gfn sees either the open bracket (while it lasts) or a moved sum
 * (after it); the bumps precede the removal.  An end() elsewhere moves
 * neither, so it does not make the fault retry.  Memslot swaps do not
 * wait for brackets: they add the new slot's ranges to every open bracket
 * whose host range it intersects (kvm_swap_active_memslots).
 */
#include <errno.h>
#include <stdlib.h>

#include "check_hooks.h"
#include "hostmem.h"
#include "mmu.h"
#include "notifier.h"
#include "spte.h"
#include "vm.h"

struct kvm_gfn_range {
	struct vmmu_memslot *slot;
	uint32_t as_id;
	gfn_t start, end;
	const void *arg;
};

typedef bool (*gfn_handler_t)(struct vmmu_vm *vm, const struct kvm_gfn_range *range);
typedef void (*on_lock_fn_t)(struct vmmu_vm *vm);

/* Describes one walk, as KVM's struct kvm_hva_range: no boolean arguments. */
struct kvm_hva_range {
	hva_t start, end;
	on_lock_fn_t on_lock;
	gfn_handler_t handler;
	const void *arg;
	bool flush_on_ret;
	/*
	 * The caller holds mn_invalidate_lock for the whole walk (start(),
	 * change_pte()), so no memslot set can be published meanwhile (swaps
	 * publish under it): the active set, and every slot in it, stays as
	 * it is, and the walk needs no RCU read section.
	 */
	bool in_bracket;
	/* The caller holds mmu_lock (write) already: take it not, no on_lock. */
	bool mmu_locked;
};

struct kvm_mmu_notifier_return {
	bool ret;
	bool found_memslot;
};

static gfn_t hva_to_gfn_memslot(hva_t hva, const struct vmmu_memslot *slot)
{
	return slot->base_gfn + ((hva - slot->userspace_addr) >> PAGE_SHIFT);
}

/*
 * kvm_handle_hva_range(): for every slot of every address space whose host
 * range intersects [start, end), run the handler on the matching gfns.
 * mmu_lock (write) is taken at the first matching slot, and on_lock runs
 * then; a range that hits no slot takes no lock and runs nothing.
 */
static struct kvm_mmu_notifier_return kvm_handle_hva_range(struct vmmu_vm *vm,
							   const struct kvm_hva_range *range)
{
	struct kvm_mmu_notifier_return r = { 0 };
	struct flush_range flushed = { 0 };	/* what the handlers changed */
	bool rcu = !range->in_bracket;

	if (range->end <= range->start)
		return r;
	if (rcu)
		vmmu_rcu_read_lock();
	for (uint32_t as = 0; as < vm->nr_as; as++) {
		struct vmmu_memslots *slots = __kvm_memslots(vm, as);
		int idx = slots->node_idx;
		struct itree_node *n;

		for (n = itree_iter_first(&slots->hva_tree, range->start, range->end - 1); n;
		     n = itree_iter_next(n, range->start, range->end - 1)) {
			struct vmmu_memslot *slot = hva_node_to_slot(n, idx);
			hva_t slot_end = slot->userspace_addr + (slot->npages << PAGE_SHIFT);
			hva_t hva_start = range->start > slot->userspace_addr ?
					  range->start : slot->userspace_addr;
			hva_t hva_end = range->end < slot_end ? range->end : slot_end;
			struct kvm_gfn_range gfn_range = {
				.slot = slot,
				.as_id = as,
				.start = hva_to_gfn_memslot(hva_start, slot),
				.end = hva_to_gfn_memslot(hva_end + PAGE_SIZE - 1, slot),
				.arg = range->arg,
			};

			if (!r.found_memslot) {
				r.found_memslot = true;
				if (!range->mmu_locked) {
					vmmu_write_lock(&vm->mmu.mmu_lock);
					if (range->on_lock)
						range->on_lock(vm);
				}
			}
			if (range->handler && range->handler(vm, &gfn_range)) {
				r.ret = true;
				flush_range_add(&flushed, as, gfn_range.start, gfn_range.end);
			}
		}
	}
	if (range->flush_on_ret && r.ret)
		kvm_flush_remote_tlbs_range(vm, flushed);
	if (r.found_memslot && !range->mmu_locked)
		vmmu_write_unlock(&vm->mmu.mmu_lock);
	if (rcu)
		vmmu_rcu_read_unlock();
	return r;
}

/*
 * kvm_mmu_invalidate_wait() - a vCPU whose fault keeps losing to an
 * invalidation sleeps until some end() instead of spinning: the host may
 * take long (a page being read in, a post-copy fetch) or, if the embedding
 * program lost an end(), forever; either way no CPU is burnt.
 *
 *	vCPU                                 end()
 *	----                                 -----
 *	lock mn_invalidate_lock              lock mn_invalidate_lock
 *	waiters++                            bumps, remove bracket (mmu_lock)
 *	while sum == snap && an open         if waiters: broadcast
 *	      bracket covers gfn:            unlock
 *	    cond_wait
 *
 * The brackets and their ranges change only under mn_invalidate_lock, and
 * end() bumps and broadcasts inside it, so the test is exact and no
 * wake-up is lost.
 */
void kvm_mmu_invalidate_wait(struct vmmu_vm *vm, uint64_t mmu_seq, uint32_t as_id, gfn_t gfn)
{
	bool waited = false;

	vmmu_mutex_lock(&vm->mn_invalidate_lock);
	vm->mn_end_waiters++;
	while (mmu_invalidate_snapshot(vm, as_id, gfn) == mmu_seq &&
	       mn_gfn_covered(vm, as_id, gfn, gfn + 1)) {
		waited = true;
		vmmu_cond_wait(&vm->mn_invalidate_end_cond, &vm->mn_invalidate_lock);
	}
	vm->mn_end_waiters--;
	vmmu_mutex_unlock(&vm->mn_invalidate_lock);
	if (waited)
		VM_STAT_INC(vm, invalidate_waits);
}

bool mmu_invalidate_retry_gfn_locked(struct vmmu_vm *vm, uint64_t mmu_seq, uint32_t as_id,
				     gfn_t gfn)
{
	bool r;

	if (variant_is(FAULT_NO_SEQ_RECHECK))
		return false;
	vmmu_read_lock(&vm->mmu.mmu_lock);
	r = mmu_invalidate_retry_gfn(vm, mmu_seq, as_id, gfn);
	vmmu_read_unlock(&vm->mmu.mmu_lock);
	return r;
}

/*
 * mn_bracket_add_range() - @b now covers [@start, @end) of @as_id (an exact
 * duplicate is skipped; a bracket out of room covers everything).
 * Context: mn_invalidate_lock and mmu_lock (write).
 */
static void mn_bracket_add_range(struct mn_bracket *b, uint32_t as_id, gfn_t start, gfn_t end)
{
	if (b->all || end <= start)
		return;
	for (uint32_t i = 0; i < b->nr_ranges; i++)
		if (b->ranges[i].as_id == as_id && b->ranges[i].start <= start &&
		    end <= b->ranges[i].end)
			return;
	if (b->nr_ranges == MN_BRACKET_RANGES) {
		b->all = true;
		return;
	}
	b->ranges[b->nr_ranges++] = (struct mn_gfn_range){ as_id, start, end };
}

/*
 * kvm_mmu_invalidate_extend() - a memslot swap is about to publish @slots
 * (of @as_id): every open bracket gains the ranges of the new set's slots
 * its host range intersects, so a fault that finds such a slot retries
 * until the bracket's end(), and that end() bumps them.  No zap: the new
 * location has no SPTE the bracket has not zapped (a slot's gfns are
 * zapped when it is deleted or moved away), and faults there retry.
 * Context: mn_invalidate_lock and mmu_lock (write).
 */
void kvm_mmu_invalidate_extend(struct vmmu_vm *vm, uint32_t as_id, struct vmmu_memslots *slots)
{
	int idx = slots->node_idx;

	lockdep_assert_held(&vm->mn_invalidate_lock);
	lockdep_assert_held_write(&vm->mmu.mmu_lock);
	/* Variant swap-ignores-open-brackets: publish without extending. */
	if (variant_is(SWAP_IGNORES_OPEN_BRACKETS))
		return;
	for (uint32_t i = 0; i < vm->nr_mn_brackets; i++) {
		struct mn_bracket *b = &vm->mn_brackets[i];
		struct itree_node *n;

		if (b->end <= b->start)
			continue;
		for (n = itree_iter_first(&slots->hva_tree, b->start, b->end - 1); n;
		     n = itree_iter_next(n, b->start, b->end - 1)) {
			struct vmmu_memslot *slot = hva_node_to_slot(n, idx);
			hva_t slot_end = slot->userspace_addr + (slot->npages << PAGE_SHIFT);
			hva_t s = b->start > slot->userspace_addr ? b->start : slot->userspace_addr;
			hva_t e = b->end < slot_end ? b->end : slot_end;

			mn_bracket_add_range(b, as_id, hva_to_gfn_memslot(s, slot),
					     hva_to_gfn_memslot(e + PAGE_SIZE - 1, slot));
		}
	}
}

/* Context: mmu_lock (write), mn_invalidate_lock. */
static void kvm_mmu_invalidate_begin(struct vmmu_vm *vm)
{
	long n = atomic_load_explicit(&vm->mmu_invalidate_in_progress, memory_order_relaxed);

	lockdep_assert_held_write(&vm->mmu.mmu_lock);
	atomic_store_explicit(&vm->mmu_invalidate_in_progress, n + 1, memory_order_relaxed);
}

/* start()'s handler: the bracket (range->arg; NULL if untracked) covers the range, zapped. */
static bool kvm_mmu_unmap_gfn_range(struct vmmu_vm *vm, const struct kvm_gfn_range *range)
{
	struct mn_bracket *b = (struct mn_bracket *)range->arg;

	if (b)
		mn_bracket_add_range(b, range->as_id, range->start, range->end);
	return __kvm_tdp_mmu_zap_leafs(vm, range->as_id, range->start, range->end);
}

/* Bump the counters of [start, end): its granules' buckets, or the wide one. */
static void kvm_mmu_invalidate_bump(struct vmmu_vm *vm, uint32_t as_id, gfn_t start, gfn_t end)
{
	gfn_t g0 = start >> MN_GRANULE_SHIFT, g1 = (end - 1) >> MN_GRANULE_SHIFT;

	if (g1 - g0 >= MN_WIDE_GRANULES) {
		atomic_fetch_add_explicit(&vm->inv_seq_wide, 1, memory_order_release);
		return;
	}
	for (gfn_t g = g0; g <= g1; g++)
		atomic_fetch_add_explicit(&vm->inv_seq[mn_inv_bucket(as_id, g << MN_GRANULE_SHIFT)],
					  1, memory_order_release);
}

/*
 * kvm_mmu_invalidate_end() - bracket @b (NULL: an untracked one) ends: bump
 * per range (a bracket that found no range bumps nothing), count, remove
 * it.  The bumps come first, release: a lockless reader that sees the
 * bracket gone sees them.  Context: mmu_lock (write), mn_invalidate_lock.
 */
static void kvm_mmu_invalidate_end(struct vmmu_vm *vm, uint32_t idx)
{
	struct mn_bracket *b = idx < vm->nr_mn_brackets ? &vm->mn_brackets[idx] : NULL;
	long n;

	lockdep_assert_held_write(&vm->mmu.mmu_lock);
	/* Variant end-skips-range-bump: the bracket goes, nothing is bumped. */
	if (!variant_is(END_SKIPS_RANGE_BUMP)) {
		if (!b || b->all)
			atomic_fetch_add_explicit(&vm->inv_seq_wide, 1, memory_order_release);
		else
			for (uint32_t i = 0; i < b->nr_ranges; i++)
				kvm_mmu_invalidate_bump(vm, b->ranges[i].as_id, b->ranges[i].start,
							b->ranges[i].end);
	}
	atomic_fetch_add_explicit(&vm->mmu_invalidate_seq, 1, memory_order_release);
	if (b) {
		/*
		 * Another open bracket with the same host range may be the one
		 * this end() closes: it inherits this one's ranges, so it
		 * covers at least what the closed start() covered.
		 */
		for (uint32_t i = 0; i < vm->nr_mn_brackets; i++) {
			struct mn_bracket *o = &vm->mn_brackets[i];

			if (i == idx || o->start != b->start || o->end != b->end)
				continue;
			o->all |= b->all;
			for (uint32_t j = 0; j < b->nr_ranges; j++)
				mn_bracket_add_range(o, b->ranges[j].as_id, b->ranges[j].start,
						     b->ranges[j].end);
		}
		vm->mn_brackets[idx] = vm->mn_brackets[--vm->nr_mn_brackets];
	}
	else
		vm->mn_untracked--;
	n = atomic_load_explicit(&vm->mmu_invalidate_in_progress, memory_order_relaxed);
	if (WARN_ON_ONCE(n <= 0))
		return;
	atomic_store_explicit(&vm->mmu_invalidate_in_progress, n - 1, memory_order_release);
}

/*
 * The open-bracket list (mn_invalidate_lock and mmu_lock for write: faults
 * scan it under mmu_lock for read).  Brackets are few (one per host thread
 * changing memory at a time), so a flat array does.  Returns the new
 * bracket, or NULL if it could not be allocated (then counted untracked).
 */
static struct mn_bracket *mn_bracket_add(struct vmmu_vm *vm, hva_t start, hva_t end)
{
	lockdep_assert_held(&vm->mn_invalidate_lock);
	lockdep_assert_held_write(&vm->mmu.mmu_lock);
	if (vm->nr_mn_brackets == vm->mn_brackets_cap) {
		uint32_t cap = vm->mn_brackets_cap ? 2 * vm->mn_brackets_cap : 8;
		struct mn_bracket *b = realloc(vm->mn_brackets, cap * sizeof(*b));

		if (!b) {
			/* start() cannot fail: remember it only by count. */
			vm->mn_untracked++;
			return NULL;
		}
		vm->mn_brackets = b;
		vm->mn_brackets_cap = cap;
	}
	vm->mn_brackets[vm->nr_mn_brackets] = (struct mn_bracket){
		.start = start, .end = end, .id = ++vm->mn_bracket_ids,
	};
	return &vm->mn_brackets[vm->nr_mn_brackets++];
}

/*
 * The index of the open bracket [start, end), nr_mn_brackets for an
 * untracked one, or -1 if no open start() has that range.
 */
static long mn_bracket_find(struct vmmu_vm *vm, hva_t start, hva_t end)
{
	lockdep_assert_held(&vm->mn_invalidate_lock);
	for (uint32_t i = 0; i < vm->nr_mn_brackets; i++)
		if (vm->mn_brackets[i].start == start && vm->mn_brackets[i].end == end)
			return i;
	return vm->mn_untracked ? (long)vm->nr_mn_brackets : -1;
}

/* Does an open bracket contain [start, end)?  (Untracked ones may.) */
static bool mn_bracket_covers(struct vmmu_vm *vm, hva_t start, hva_t end)
{
	lockdep_assert_held(&vm->mn_invalidate_lock);
	if (vm->mn_untracked)
		return true;
	for (uint32_t i = 0; i < vm->nr_mn_brackets; i++)
		if (vm->mn_brackets[i].start <= start && end <= vm->mn_brackets[i].end)
			return true;
	return false;
}

VMMU_API void vmmu_mmu_notifier_invalidate_range_start(struct vmmu_vm *vm, uint64_t start,
							uint64_t end)
{
	struct kvm_hva_range range = {
		.start = start,
		.end = end,
		.handler = kvm_mmu_unmap_gfn_range,
		.flush_on_ret = true,
		.in_bracket = true,
		.mmu_locked = true,
	};
	struct mn_bracket *b;
	uint64_t id = 0;

	if (!vm)
		return;
	trace_kvm_unmap_hva_range(start, end);
	/* Register: a memslot swap from now on extends this bracket. */
	vmmu_mutex_lock(&vm->mn_invalidate_lock);
	vm->mn_active_invalidate_count++;
	vmmu_write_lock(&vm->mmu.mmu_lock);
	b = mn_bracket_add(vm, start, end);
	if (b)
		id = b->id;
	vmmu_write_unlock(&vm->mmu.mmu_lock);
	vmmu_mutex_unlock(&vm->mn_invalidate_lock);
	hostmem_invalidate_begin(vm, start, end);
	sched_point(SP_NOTIFIER_COUNTED);

	/*
	 * Its gfn ranges from the active slots (INVALID copies included),
	 * counted, zapped.  mn_invalidate_lock keeps the bracket where it is
	 * (the array moves only under it) and the active set as it is.
	 */
	vmmu_mutex_lock(&vm->mn_invalidate_lock);
	b = NULL;
	for (uint32_t i = 0; id && i < vm->nr_mn_brackets; i++)
		if (vm->mn_brackets[i].id == id)
			b = &vm->mn_brackets[i];
	range.arg = b;
	vmmu_write_lock(&vm->mmu.mmu_lock);
	kvm_mmu_invalidate_begin(vm);
	kvm_handle_hva_range(vm, &range);
	vmmu_checker_invalidate_started(vm, start, end);
	vmmu_write_unlock(&vm->mmu.mmu_lock);
	vmmu_mutex_unlock(&vm->mn_invalidate_lock);
	sched_point(SP_NOTIFIER_BEGIN);
}

VMMU_API void vmmu_mmu_notifier_invalidate_range_end(struct vmmu_vm *vm, uint64_t start,
						      uint64_t end)
{
	long idx;

	if (!vm)
		return;
	/*
	 * An end() that no open start() has is the embedding program's bug.
	 * Applying it would drop in_progress under a bracket that is still
	 * open (faults there could then map the page being changed); so it
	 * changes nothing, and says so.
	 */
	vmmu_mutex_lock(&vm->mn_invalidate_lock);
	idx = mn_bracket_find(vm, start, end);
	if (WARN_ON_ONCE(idx < 0)) {
		vmmu_mutex_unlock(&vm->mn_invalidate_lock);
		VM_STAT_INC(vm, invalidate_end_unmatched);
		return;
	}
	sched_point(SP_NOTIFIER_END);
	/* Both locks: the swap walks the bracket list under mn_invalidate_lock. */
	vmmu_write_lock(&vm->mmu.mmu_lock);
	kvm_mmu_invalidate_end(vm, (uint32_t)idx);
	vmmu_checker_invalidate_ended(vm, start, end);
	vmmu_write_unlock(&vm->mmu.mmu_lock);
	if (!WARN_ON_ONCE(vm->mn_active_invalidate_count <= 0))
		vm->mn_active_invalidate_count--;
	/* Pairs with the test in kvm_mmu_invalidate_wait(). */
	if (vm->mn_end_waiters)
		vmmu_cond_broadcast(&vm->mn_invalidate_end_cond);
	vmmu_mutex_unlock(&vm->mn_invalidate_lock);
	/* After the range's end: see hostmem_invalidate_end(). */
	hostmem_invalidate_end(vm, start, end);
}

struct change_pte_arg {
	pfn_t pfn;
	bool writable;
	bool refused;		/* out: a gfn of the page was not being invalidated */
};

/*
 * Variant change-pte-hull-coverage (defect 5): coverage by the gfn hull of
 * every open bracket's ranges, of any address space.
 */
static bool mn_hull_covers(struct vmmu_vm *vm, gfn_t start, gfn_t end)
{
	gfn_t lo = UINT64_MAX, hi = 0;

	for (uint32_t i = 0; i < vm->nr_mn_brackets; i++)
		for (uint32_t j = 0; j < vm->mn_brackets[i].nr_ranges; j++) {
			const struct mn_gfn_range *r = &vm->mn_brackets[i].ranges[j];

			lo = r->start < lo ? r->start : lo;
			hi = r->end > hi ? r->end : hi;
		}
	return start >= lo && end <= hi;
}

/* Is [start, end) of @as_id's gfns covered by an open bracket?  mmu_lock (write). */
static bool kvm_mmu_invalidate_covers(struct vmmu_vm *vm, uint32_t as_id, gfn_t start, gfn_t end)
{
	lockdep_assert_held_write(&vm->mmu.mmu_lock);
	if (!atomic_load_explicit(&vm->mmu_invalidate_in_progress, memory_order_relaxed))
		return false;
	if (variant_is(CHANGE_PTE_HULL_COVERAGE))
		return mn_hull_covers(vm, start, end);
	return mn_gfn_covered(vm, as_id, start, end);
}

/*
 * kvm_set_spte_gfn(): re-point a present SPTE to the new host page; a
 * writable new page is not mapped writable behind the host's back, the SPTE
 * is just zapped and the next fault maps it.  The caller has checked that an
 * open bracket contains the page, so that bracket's ranges cover these gfns
 * and a racing fault that resolved the old page retries.  Context: mmu_lock (write).
 */
static bool kvm_set_spte_gfn(struct vmmu_vm *vm, const struct kvm_gfn_range *range)
{
	struct change_pte_arg *a = (struct change_pte_arg *)range->arg;
	uint64_t new_spte = 0;

	lockdep_assert_held_write(&vm->mmu.mmu_lock);
	/* Variant change-pte-unbracketed: no coverage test. */
	if (!variant_is(CHANGE_PTE_UNBRACKETED) &&
	    !kvm_mmu_invalidate_covers(vm, range->as_id, range->start, range->end)) {
		a->refused = true;
		return false;
	}
	/*
	 * The new page is read-only in the host (a KSM page): neither W nor
	 * MW, and no HW (the writable invariant, spte.h).
	 */
	if (!a->writable && !(range->slot->flags & KVM_MEMSLOT_INVALID))
		new_spte = make_leaf_spte(a->pfn, 0);
	vmmu_checker_change_pte(vm, range->as_id, range->slot, range->start, range->end);
	return kvm_tdp_mmu_repoint(vm, range->as_id, range->start, range->end, new_spte);
}

VMMU_API int vmmu_mmu_notifier_change_pte(struct vmmu_vm *vm, uint64_t address,
					  uint64_t new_page, int writable)
{
	struct change_pte_arg arg = {
		.pfn = new_page >> PAGE_SHIFT,
		.writable = writable,
	};
	struct kvm_hva_range range = {
		.start = address & PAGE_MASK,
		.end = (address & PAGE_MASK) + PAGE_SIZE,
		.handler = kvm_set_spte_gfn,
		.arg = &arg,
		.flush_on_ret = true,
		.in_bracket = true,
	};
	bool covered;

	if (!vm)
		return -EINVAL;
	/*
	 * Variant change-pte-unbracketed: the pre-2012 callback
	 * without its seq bump: accepted outside start()/end(), and nothing
	 * tells a racing fault that the page changed.
	 */
	if (variant_is(CHANGE_PTE_UNBRACKETED)) {
		range.in_bracket = false;
		kvm_handle_hva_range(vm, &range);
		return 0;
	}
	/*
	 * Seed 003: change_pte is valid only inside a start()/end() bracket
	 * of its page; there, the bracket's ranges already make racing
	 * faults retry and no bump is needed.  The test is by host address
	 * against the open brackets themselves, not by a gfn hull of all of
	 * them: a page inside such a hull need not be changing at all
	 * (vmmu's defect 5).
	 * mn_invalidate_lock is held across the walk, so the bracket cannot
	 * end under it (end() takes the lock first).
	 */
	vmmu_mutex_lock(&vm->mn_invalidate_lock);
	/* Variant change-pte-hull-coverage (defect 5): any open bracket will do. */
	if (variant_is(CHANGE_PTE_HULL_COVERAGE))
		covered = vm->mn_active_invalidate_count > 0;
	else
		covered = mn_bracket_covers(vm, range.start, range.end);
	if (covered)
		kvm_handle_hva_range(vm, &range);
	vmmu_mutex_unlock(&vm->mn_invalidate_lock);
	if (WARN_ON_ONCE(!covered || arg.refused)) {
		VM_STAT_INC(vm, change_pte_unbracketed);
		return -EINVAL;
	}
	return 0;
}

static bool kvm_age_gfn(struct vmmu_vm *vm, const struct kvm_gfn_range *range)
{
	return kvm_tdp_mmu_age_range(vm, range->as_id, range->start, range->end, AGE_CLEAR);
}

static bool kvm_test_age_gfn(struct vmmu_vm *vm, const struct kvm_gfn_range *range)
{
	return kvm_tdp_mmu_age_range(vm, range->as_id, range->start, range->end, AGE_TEST);
}

static int mmu_notifier_age(struct vmmu_vm *vm, hva_t start, hva_t end, gfn_handler_t handler,
			    bool flush)
{
	const struct kvm_hva_range range = {
		.start = start,
		.end = end,
		.handler = handler,
		.flush_on_ret = flush,
	};

	if (!vm)
		return 0;
	trace_kvm_age_hva(start, end);
	return kvm_handle_hva_range(vm, &range).ret;
}

VMMU_API int vmmu_mmu_notifier_clear_flush_young(struct vmmu_vm *vm, uint64_t start, uint64_t end)
{
	return mmu_notifier_age(vm, start, end, kvm_age_gfn, true);
}

VMMU_API int vmmu_mmu_notifier_clear_young(struct vmmu_vm *vm, uint64_t start, uint64_t end)
{
	return mmu_notifier_age(vm, start, end, kvm_age_gfn, false);
}

VMMU_API int vmmu_mmu_notifier_test_young(struct vmmu_vm *vm, uint64_t address)
{
	return mmu_notifier_age(vm, address, address + 1, kvm_test_age_gfn, false);
}

VMMU_API void vmmu_mmu_notifier_release(struct vmmu_vm *vm)
{
	if (!vm)
		return;
	vmmu_mutex_lock(&vm->slots_lock);
	kvm_mmu_zap_all_fast(vm);
	vmmu_mutex_unlock(&vm->slots_lock);
}
