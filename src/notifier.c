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
	/*
	 * The handler needs no slot: one call may cover the gfns of several
	 * slots that follow each other in both hva and gfn (a zap), so a range
	 * over many small slots costs one TDP walk, not one per slot.
	 */
	bool coalesce;
};

struct kvm_mmu_notifier_return {
	bool ret;
	bool found_memslot;
};

static gfn_t hva_to_gfn_memslot(hva_t hva, const struct vmmu_memslot *slot)
{
	return slot->base_gfn + ((hva - slot->userspace_addr) >> PAGE_SHIFT);
}

/* Run @range's handler on @g; note what it changed. */
static void kvm_handle_gfn_range(struct vmmu_vm *vm, const struct kvm_hva_range *range,
				 const struct kvm_gfn_range *g, struct kvm_mmu_notifier_return *r,
				 struct flush_range *flushed)
{
	if (range->handler && range->handler(vm, g)) {
		r->ret = true;
		flush_range_add(flushed, g->as_id, g->start, g->end);
	}
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
	struct kvm_gfn_range pending;		/* coalesce: not yet handled */
	bool have = false, rcu = !range->in_bracket;

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
			if (range->coalesce && have && pending.as_id == as &&
			    pending.end == gfn_range.start) {
				pending.end = gfn_range.end;
				continue;
			}
			if (have)
				kvm_handle_gfn_range(vm, range, &pending, &r, &flushed);
			pending = gfn_range;
			have = true;
		}
	}
	if (have)
		kvm_handle_gfn_range(vm, range, &pending, &r, &flushed);
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
		MN_STAT_INC(vm, invalidate_waits);
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
 * MN_LOCKED_ADD() - add @d to the atomic *@p with a plain load and store
 * (ordered @mo): every writer of the counters below holds
 * mn_invalidate_lock, so no update is lost, and faults only load them.
 * Saves a locked instruction per counter on every start()/end(); the
 * open-count increments stay seq_cst RMWs (their full fence is the
 * start()'s half of the Dekker pair).
 */
#define MN_LOCKED_ADD(p, d, mo)							\
	atomic_store_explicit((p), atomic_load_explicit((p), memory_order_relaxed) + (d), (mo))

/*
 * mn_open_range() - add @d (+1 or -1) to the open counts of [@start, @end)
 * of @as_id: its granules' buckets, or inv_open_wide for a wide range.
 * The increments are seq_cst: they publish a bracket's coverage, and a
 * start() reads the vCPUs' intents after them (the Dekker pair with the
 * fault's intent store and open load).  The decrements are release: they
 * follow the end()'s bumps.  Context: mn_invalidate_lock.
 */
static void mn_open_range(struct vmmu_vm *vm, uint32_t as_id, gfn_t start, gfn_t end, int d)
{
	memory_order mo = d > 0 ? memory_order_seq_cst : memory_order_release;
	gfn_t g0 = start >> MN_GRANULE_SHIFT, g1 = (end - 1) >> MN_GRANULE_SHIFT;

	if (g1 - g0 >= MN_WIDE_GRANULES) {
		if (d > 0)
			atomic_fetch_add_explicit(&vm->inv_open_wide, 1, mo);
		else
			MN_LOCKED_ADD(&vm->inv_open_wide, (uint64_t)-1, mo);
		return;
	}
	for (gfn_t g = g0; g <= g1; g++) {
		_Atomic uint64_t *open = &vm->inv[mn_inv_bucket(as_id, g << MN_GRANULE_SHIFT)].open;

		if (d > 0)
			atomic_fetch_add_explicit(open, 1, mo);
		else
			MN_LOCKED_ADD(open, (uint64_t)-1, mo);
	}
}

/* @b (active) covers everything from now on; inv_open_wide counts it. */
static void mn_bracket_set_all(struct vmmu_vm *vm, struct mn_bracket *b)
{
	if (atomic_load_explicit(&b->all, memory_order_relaxed))
		return;
	atomic_store_explicit(&b->all, true, memory_order_release);
	atomic_fetch_add_explicit(&vm->inv_open_wide, 1, memory_order_seq_cst);
}

/*
 * mn_bracket_add_range() - @b now covers [@start, @end) of @as_id (an exact
 * duplicate is skipped; a bracket out of room covers everything).  The
 * range is written, then counted (nr_ranges, release), then opened in its
 * buckets: a fault that sees the open count sees the range.
 * Context: mn_invalidate_lock.
 */
static void mn_bracket_add_range(struct vmmu_vm *vm, struct mn_bracket *b, uint32_t as_id,
				 gfn_t start, gfn_t end)
{
	uint32_t n = atomic_load_explicit(&b->nr_ranges, memory_order_relaxed);
	struct mn_gfn_range *r;

	lockdep_assert_held(&vm->mn_invalidate_lock);
	if (atomic_load_explicit(&b->all, memory_order_relaxed) || end <= start)
		return;
	for (uint32_t i = 0; i < n; i++) {
		r = &b->ranges[i];
		if (atomic_load_explicit(&r->as_id, memory_order_relaxed) == as_id &&
		    atomic_load_explicit(&r->start, memory_order_relaxed) <= start &&
		    end <= atomic_load_explicit(&r->end, memory_order_relaxed))
			return;
	}
	if (n == MN_BRACKET_RANGES) {
		mn_bracket_set_all(vm, b);
		return;
	}
	r = &b->ranges[n];
	/* Pairs with the acquire fence of a fault's "not covered" (notifier.h). */
	smp_release_fence();
	atomic_store_explicit(&r->as_id, as_id, memory_order_relaxed);
	atomic_store_explicit(&r->start, start, memory_order_relaxed);
	atomic_store_explicit(&r->end, end, memory_order_relaxed);
	atomic_store_explicit(&b->nr_ranges, n + 1, memory_order_release);
	mn_open_range(vm, as_id, start, end, 1);
}

/* Add to @b the gfns of @slots' slots that host range [@start, @end) intersects. */
/*
 * mn_hva_first() - itree_iter_first() of @slots' host ranges for [start,
 * last], starting from where the previous bracket's lookup ended when that
 * is exact.  It is when no two slots' host ranges overlap: the ranges,
 * sorted by start, are then sorted by end too, so a node that contains
 * @start is the leftmost one meeting [start, last] (every node before it
 * ends before it starts), and so is the hint's successor when the hint
 * ends before @start and the successor contains it.  Host changes usually
 * come in address order (a balloon, an unmap in chunks), and with tens of
 * thousands of slots the tree's descent is a walk through cache misses.
 * Context: mn_invalidate_lock; @slots is active (or about to be published
 * by the caller), so no edit runs.
 */
static struct itree_node *mn_hva_first(struct vmmu_memslots *slots, hva_t start, hva_t last)
{
	struct itree_node *h = slots->mn_hva_hint;

	if (h && !slots->nr_hva_overlaps) {
		if (h->last < start) {
			struct avl_node *next = avl_next(&h->avl);

			h = next ? container_of(next, struct itree_node, avl) : NULL;
		}
		if (h && h->start <= start && start <= h->last)
			return h;
	}
	return itree_iter_first(&slots->hva_tree, start, last);
}

static void mn_bracket_add_slots(struct vmmu_vm *vm, struct mn_bracket *b, uint32_t as_id,
				 struct vmmu_memslots *slots, hva_t start, hva_t end)
{
	int idx = slots->node_idx;
	struct itree_node *n, *seen = NULL;
	gfn_t run_start = 0, run_end = 0;	/* gfns not yet added: [run_start, run_end) */

	if (end <= start)
		return;
	/*
	 * Slots back to back in host memory and in gfns (a VMM that maps RAM
	 * as many small slots) come one after another here, host order: their
	 * gfns join into one range, so a bracket over many of them stays
	 * precise instead of running out of ranges and covering everything.
	 * A run stops growing before it would turn wide (more than
	 * MN_WIDE_GRANULES granules: end() would bump inv_seq_wide, which
	 * every fault sees), so no range is wide unless one slot's part of it
	 * is: never more ranges, nor a wider one, than one per slot.
	 * A bracket that covers everything needs no more ranges.
	 */
	for (n = mn_hva_first(slots, start, end - 1);
	     n && !atomic_load_explicit(&b->all, memory_order_relaxed);
	     seen = n, n = itree_iter_next(n, start, end - 1)) {
		struct vmmu_memslot *slot = hva_node_to_slot(n, idx);
		hva_t slot_end = slot->userspace_addr + (slot->npages << PAGE_SHIFT);
		hva_t s = start > slot->userspace_addr ? start : slot->userspace_addr;
		hva_t e = end < slot_end ? end : slot_end;
		gfn_t gs = hva_to_gfn_memslot(s, slot);
		gfn_t ge = hva_to_gfn_memslot(e + PAGE_SIZE - 1, slot);

		if (gs == run_end && ((ge - 1) >> MN_GRANULE_SHIFT) - (run_start >> MN_GRANULE_SHIFT) <
					     MN_WIDE_GRANULES) {
			run_end = ge;
			continue;
		}
		mn_bracket_add_range(vm, b, as_id, run_start, run_end);
		run_start = gs;
		run_end = ge;
	}
	/* Variant bracket-drops-last-run: the run the loop ended in is lost. */
	if (!variant_is(BRACKET_DROPS_LAST_RUN))
		mn_bracket_add_range(vm, b, as_id, run_start, run_end);
	if (seen && seen != slots->mn_hva_hint)
		slots->mn_hva_hint = seen;
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
	uint32_t hwm = atomic_load_explicit(&vm->mn_brackets_hwm, memory_order_relaxed);

	lockdep_assert_held(&vm->mn_invalidate_lock);
	lockdep_assert_held_write(&vm->mmu.mmu_lock);
	/* Variant swap-ignores-open-brackets: publish without extending. */
	if (variant_is(SWAP_IGNORES_OPEN_BRACKETS))
		return;
	for (uint32_t i = 0; i < hwm; i++) {
		struct mn_bracket *b = &vm->mn_brackets[i];

		if (atomic_load_explicit(&b->active, memory_order_relaxed))
			mn_bracket_add_slots(vm, b, as_id, slots, b->start, b->end);
	}
}

/* start()'s handler (its slow path): zap the range. */
static bool kvm_mmu_unmap_gfn_range(struct vmmu_vm *vm, const struct kvm_gfn_range *range)
{
	return __kvm_tdp_mmu_zap_leafs(vm, range->as_id, range->start, range->end);
}

/* Bump the counters of [start, end): its granules' buckets, or the wide one. */
static void kvm_mmu_invalidate_bump(struct vmmu_vm *vm, uint32_t as_id, gfn_t start, gfn_t end)
{
	gfn_t g0 = start >> MN_GRANULE_SHIFT, g1 = (end - 1) >> MN_GRANULE_SHIFT;

	if (g1 - g0 >= MN_WIDE_GRANULES) {
		MN_LOCKED_ADD(&vm->inv_seq_wide, 1, memory_order_release);
		return;
	}
	for (gfn_t g = g0; g <= g1; g++)
		MN_LOCKED_ADD(&vm->inv[mn_inv_bucket(as_id, g << MN_GRANULE_SHIFT)].seq, 1,
			      memory_order_release);
}

/* One range of a bracket, as values (read under mn_invalidate_lock). */
struct mn_range_val {
	uint32_t as_id;
	gfn_t start, end;
};

static struct mn_range_val mn_range(const struct mn_bracket *b, uint32_t j)
{
	const struct mn_gfn_range *r = &b->ranges[j];

	return (struct mn_range_val){
		atomic_load_explicit(&r->as_id, memory_order_relaxed),
		atomic_load_explicit(&r->start, memory_order_relaxed),
		atomic_load_explicit(&r->end, memory_order_relaxed),
	};
}

/*
 * kvm_mmu_invalidate_end() - bracket slot @idx (MN_MAX_BRACKETS: an
 * untracked one) ends: bump per range (a bracket that found no range bumps
 * nothing), count, close it.  The order is what a lockless fault needs:
 * the bumps (release), then the slot inactive (release), then its open
 * counts down (release): a fault that sees any of the later ones sees the
 * bumps.  Context: mn_invalidate_lock.
 */
static void kvm_mmu_invalidate_end(struct vmmu_vm *vm, uint32_t idx)
{
	struct mn_bracket *b = idx < MN_MAX_BRACKETS ? &vm->mn_brackets[idx] : NULL;
	bool all = !b || atomic_load_explicit(&b->all, memory_order_relaxed);
	uint32_t n = b ? atomic_load_explicit(&b->nr_ranges, memory_order_relaxed) : 0;
	long in_progress;

	lockdep_assert_held(&vm->mn_invalidate_lock);
	/* Variant end-skips-range-bump: the bracket goes, nothing is bumped. */
	if (!variant_is(END_SKIPS_RANGE_BUMP)) {
		if (all) {
			MN_LOCKED_ADD(&vm->inv_seq_wide, 1, memory_order_release);
		} else {
			for (uint32_t j = 0; j < n; j++) {
				struct mn_range_val r = mn_range(b, j);

				kvm_mmu_invalidate_bump(vm, r.as_id, r.start, r.end);
			}
		}
	}
	MN_LOCKED_ADD(&vm->mmu_invalidate_seq, 1, memory_order_release);
	if (b) {
		uint32_t hwm = atomic_load_explicit(&vm->mn_brackets_hwm, memory_order_relaxed);

		/*
		 * Another open bracket with the same host range may be the one
		 * this end() closes: it inherits this one's ranges (opened
		 * before ours close), so it covers at least what the closed
		 * start() covered.
		 */
		for (uint32_t i = 0; i < hwm; i++) {
			struct mn_bracket *o = &vm->mn_brackets[i];

			if (i == idx || !atomic_load_explicit(&o->active, memory_order_relaxed) ||
			    o->start != b->start || o->end != b->end)
				continue;
			if (all)
				mn_bracket_set_all(vm, o);
			for (uint32_t j = 0; j < n; j++) {
				struct mn_range_val r = mn_range(b, j);

				mn_bracket_add_range(vm, o, r.as_id, r.start, r.end);
			}
		}
		atomic_store_explicit(&b->active, false, memory_order_release);
		for (uint32_t j = 0; j < n; j++) {
			struct mn_range_val r = mn_range(b, j);

			mn_open_range(vm, r.as_id, r.start, r.end, -1);
		}
		if (all)
			MN_LOCKED_ADD(&vm->inv_open_wide, (uint64_t)-1, memory_order_release);
		vm->nr_mn_brackets--;
	} else {
		MN_LOCKED_ADD(&vm->mn_untracked, (uint32_t)-1, memory_order_release);
		MN_LOCKED_ADD(&vm->inv_open_wide, (uint64_t)-1, memory_order_release);
	}
	in_progress = atomic_load_explicit(&vm->mmu_invalidate_in_progress, memory_order_relaxed);
	if (WARN_ON_ONCE(in_progress <= 0))
		return;
	MN_LOCKED_ADD(&vm->mmu_invalidate_in_progress, -1, memory_order_release);
}

/*
 * mn_lock_notifier() - mn_invalidate_lock for start() or end(), after any
 * memslot publish waiting for it: a host thread in a tight loop of
 * brackets would otherwise take the lock again and again while the update
 * spins (the mutex is not fair), and the update would wait for the storm
 * instead of for the step in progress.  The publish holds the lock only
 * to extend the brackets and swap one pointer, and publishes are few (one
 * or two per update, under slots_lock), so the deferral is short.  A call
 * that passed the test just before a publish raised the flag can still
 * take the lock first; the publish counts those from mn_lock_calls
 * (publish_overtaken; the bench and test_update_storm check that they
 * stay at about one per waiting publish and thread).  The caller holds
 * no lock.
 */
static void mn_lock_notifier(struct vmmu_vm *vm)
{
	for (unsigned int spins = 0;
	     atomic_load_explicit(&vm->mn_publish_waiting, memory_order_relaxed); spins++)
		vmmu_wait_relax(spins);
	vmmu_mutex_lock(&vm->mn_invalidate_lock);
	STAT_INC_LOCKED(vm->mn_lock_calls);
}

/*
 * mn_bracket_add() - open a bracket for host range [start, end) in a free
 * slot, covering the gfns of the active memslots it intersects; returns
 * it, or NULL if every slot is taken (then it is counted untracked and
 * covers everything).  The slot is written while inactive, made active
 * (release), then its ranges are opened one by one (mn_bracket_add_range).
 * Context: mn_invalidate_lock.
 */
static struct mn_bracket *mn_bracket_add(struct vmmu_vm *vm, hva_t start, hva_t end)
{
	struct mn_bracket *b = NULL;
	uint32_t i;

	lockdep_assert_held(&vm->mn_invalidate_lock);
	for (i = 0; i < MN_MAX_BRACKETS; i++) {
		if (!atomic_load_explicit(&vm->mn_brackets[i].active, memory_order_relaxed)) {
			b = &vm->mn_brackets[i];
			break;
		}
	}
	if (!b) {
		/* start() cannot fail: remember it only by count. */
		atomic_fetch_add_explicit(&vm->mn_untracked, 1, memory_order_seq_cst);
		atomic_fetch_add_explicit(&vm->inv_open_wide, 1, memory_order_seq_cst);
		return NULL;
	}
	if (i >= atomic_load_explicit(&vm->mn_brackets_hwm, memory_order_relaxed))
		atomic_store_explicit(&vm->mn_brackets_hwm, i + 1, memory_order_release);
	b->start = start;
	b->end = end;
	b->id = ++vm->mn_bracket_ids;
	/*
	 * A fault may still be scanning the slot's previous bracket: one that
	 * reads a field stored below sees that bracket's end() bumps (the
	 * acquire fence of its "not covered", notifier.h).
	 */
	smp_release_fence();
	atomic_store_explicit(&b->all, false, memory_order_relaxed);
	atomic_store_explicit(&b->nr_ranges, 0, memory_order_relaxed);
	atomic_store_explicit(&b->active, true, memory_order_release);
	vm->nr_mn_brackets++;
	for (uint32_t as = 0; as < vm->nr_as; as++)
		mn_bracket_add_slots(vm, b, as, __kvm_memslots(vm, as), start, end);
	return b;
}

/*
 * The slot index of the open bracket [start, end), MN_MAX_BRACKETS for an
 * untracked one, or -1 if no open start() has that range.
 */
static long mn_bracket_find(struct vmmu_vm *vm, hva_t start, hva_t end)
{
	uint32_t hwm = atomic_load_explicit(&vm->mn_brackets_hwm, memory_order_relaxed);

	lockdep_assert_held(&vm->mn_invalidate_lock);
	for (uint32_t i = 0; i < hwm; i++) {
		const struct mn_bracket *b = &vm->mn_brackets[i];

		if (atomic_load_explicit(&b->active, memory_order_relaxed) && b->start == start &&
		    b->end == end)
			return i;
	}
	return atomic_load_explicit(&vm->mn_untracked, memory_order_relaxed) ? MN_MAX_BRACKETS
									    : -1;
}

/* Does an open bracket contain host range [start, end)?  (Untracked ones may.) */
static bool mn_bracket_covers(struct vmmu_vm *vm, hva_t start, hva_t end)
{
	uint32_t hwm = atomic_load_explicit(&vm->mn_brackets_hwm, memory_order_relaxed);

	lockdep_assert_held(&vm->mn_invalidate_lock);
	if (atomic_load_explicit(&vm->mn_untracked, memory_order_relaxed))
		return true;
	for (uint32_t i = 0; i < hwm; i++) {
		const struct mn_bracket *b = &vm->mn_brackets[i];

		if (atomic_load_explicit(&b->active, memory_order_relaxed) && b->start <= start &&
		    end <= b->end)
			return true;
	}
	return false;
}

/*
 * mn_bracket_needs_zap() - must start() take mmu_lock for write and zap
 * bracket @b?  Not if no SPTE maps one of its gfns and none can appear:
 *
 *	start()                              fault on gfn g, bucket(g) = k
 *	-------                              -----------------------------
 *	open count of each bucket of b++     inflight[k]++      (seq_cst RMW)
 *	  (seq_cst RMWs)                     mmu_lock (read)
 *	for each bucket of b: inflight,      if open[k] (or the wide count)
 *	  then mapped (seq_cst, acquire)       and a bracket covers g: retry
 *	if some bucket is marked mapped:     mapped[k] = 1      (first time)
 *	  mmu_lock (read), walk b's gfns     install the SPTE
 *	  for a present SPTE                 mmu_lock (read) released
 *	                                     inflight[k]--      (release)
 *
 * Either the fault's increment is ordered first, and we see it and zap
 * under mmu_lock (write), which waits for the install, or our open count
 * is, and the fault retries.  A fault whose increment we read undone has
 * installed and marked (release/acquire); with no bucket marked the walk
 * is skipped, and with it mmu_lock; else the walk sees the SPTE.  Marks
 * are cleared only by a zap-all, after its flush (release; acquire here),
 * so a clear mark also means no vCPU still holds a translation there.
 * Only faults make an SPTE present (zaps, write-protection, aging and
 * change_pte change present ones; they flush before mmu_lock is released,
 * so no TLB entry outlives an SPTE the walk finds absent).  Guest copies
 * enter their bucket the same way; their count sends us to the zap, whose
 * write lock waits for the copy.  A wide range (or an "all" bracket) always
 * zaps.  Context: mn_invalidate_lock.
 */
static bool mn_bracket_needs_zap(struct vmmu_vm *vm, struct mn_bracket *b)
{
	uint32_t n = atomic_load_explicit(&b->nr_ranges, memory_order_relaxed);
	bool mapped = false, zap = false;

	lockdep_assert_held(&vm->mn_invalidate_lock);
	if (atomic_load_explicit(&b->all, memory_order_relaxed))
		return true;
	for (uint32_t j = 0; j < n; j++) {
		struct mn_range_val r = mn_range(b, j);
		gfn_t g0 = r.start >> MN_GRANULE_SHIFT, g1 = (r.end - 1) >> MN_GRANULE_SHIFT;

		if (g1 - g0 >= MN_WIDE_GRANULES)
			return true;
		for (gfn_t g = g0; g <= g1; g++) {
			struct mn_inv_bucket *k = mn_bucket(vm, r.as_id, g << MN_GRANULE_SHIFT);

			/* Variant start-skips-intent-scan: only the marks and the walk decide. */
			if (!variant_is(START_SKIPS_INTENT_SCAN) &&
			    atomic_load_explicit(&k->inflight, memory_order_seq_cst))
				return true;
			if (atomic_load_explicit(&k->mapped, memory_order_acquire))
				mapped = true;
		}
	}
	sched_point(SP_NOTIFIER_INTENTS);
	if (!mapped)
		return false;
	vmmu_read_lock(&vm->mmu.mmu_lock);
	for (uint32_t j = 0; j < n && !zap; j++) {
		struct mn_range_val r = mn_range(b, j);

		zap = kvm_tdp_mmu_range_has_present(vm, r.as_id, r.start, r.end);
	}
	vmmu_read_unlock(&vm->mmu.mmu_lock);
	return zap;
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
		.coalesce = true,
	};
	struct mn_bracket *b;

	if (!vm)
		return;
	trace_kvm_unmap_hva_range(start, end);
	/*
	 * Open the bracket over the gfns of the active slots: faults there
	 * retry from now on, and a memslot swap extends it.  Then zap what
	 * maps the range, if anything does or may (mmu_lock for write);
	 * mn_invalidate_lock keeps the active set as it is meanwhile.
	 */
	mn_lock_notifier(vm);
	vm->mn_active_invalidate_count++;
	b = mn_bracket_add(vm, start, end);
	hostmem_invalidate_begin(vm, start, end, !b);
	MN_LOCKED_ADD(&vm->mmu_invalidate_in_progress, 1, memory_order_relaxed);
	sched_point(SP_NOTIFIER_COUNTED);
	if (!b || mn_bracket_needs_zap(vm, b)) {
		vmmu_write_lock(&vm->mmu.mmu_lock);
		kvm_handle_hva_range(vm, &range);
		vmmu_checker_invalidate_started(vm, start, end);
		vmmu_write_unlock(&vm->mmu.mmu_lock);
	} else {
		STAT_INC_LOCKED(vm->mn_stat.invalidate_unlocked);
		vmmu_checker_invalidate_started(vm, start, end);
	}
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
	mn_lock_notifier(vm);
	idx = mn_bracket_find(vm, start, end);
	if (WARN_ON_ONCE(idx < 0)) {
		vmmu_mutex_unlock(&vm->mn_invalidate_lock);
		MN_STAT_INC(vm, invalidate_end_unmatched);
		return;
	}
	sched_point(SP_NOTIFIER_END);
	/* No mmu_lock: faults read the bracket state locklessly, in order. */
	kvm_mmu_invalidate_end(vm, (uint32_t)idx);
	hostmem_invalidate_end(vm, start, end, idx == MN_MAX_BRACKETS);
	vmmu_checker_invalidate_ended(vm, start, end);
	if (!WARN_ON_ONCE(vm->mn_active_invalidate_count <= 0))
		vm->mn_active_invalidate_count--;
	/* Pairs with the test in kvm_mmu_invalidate_wait(). */
	if (vm->mn_end_waiters)
		vmmu_cond_broadcast(&vm->mn_invalidate_end_cond);
	vmmu_mutex_unlock(&vm->mn_invalidate_lock);
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
	uint32_t hwm = atomic_load_explicit(&vm->mn_brackets_hwm, memory_order_relaxed);
	gfn_t lo = UINT64_MAX, hi = 0;

	for (uint32_t i = 0; i < hwm; i++) {
		const struct mn_bracket *b = &vm->mn_brackets[i];
		uint32_t n = atomic_load_explicit(&b->nr_ranges, memory_order_relaxed);

		if (!atomic_load_explicit(&b->active, memory_order_relaxed))
			continue;
		for (uint32_t j = 0; j < n; j++) {
			struct mn_range_val r = mn_range(b, j);

			lo = r.start < lo ? r.start : lo;
			hi = r.end > hi ? r.end : hi;
		}
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
		MN_STAT_INC(vm, change_pte_unbracketed);
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
