// SPDX-License-Identifier: MIT
/*
 * MMU notifiers (docs/KVM-SEMANTICS.md, "MMU-notifier coherence"): keep vCPU translations coherent
 * with the host
 * memory behind the memslots.
 *
 * The protocol, with the fault side in mmu.c (kvm_tdp_page_fault):
 *
 *	notifier                             vCPU fault
 *	--------                             ----------
 *	start(): in_progress++,              seq = mmu_invalidate_seq
 *	  range += [gfns], zap, flush        slot lookup, hva -> host page
 *	(host memory changes)                (may resolve the OLD page)
 *	end(): seq++, in_progress--          mmu_lock; retry if in_progress
 *	                                       covers gfn or seq changed
 *
 * A fault whose host-page lookup overlapped any part of an invalidation sees
 * either in_progress (while it lasts) or a changed seq (after it), so it
 * never installs a translation of the old page.  The seq is bumped before
 * in_progress drops, so there is no instant at which both look clean.
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
	 * The caller keeps mn_active_invalidate_count raised for the whole
	 * walk (start(), end(), change_pte()), so no memslot set can be
	 * published meanwhile: the active set, and every slot in it, stays
	 * as it is, and the walk needs no RCU read section.
	 */
	bool in_bracket;
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
	/*
	 * Variant swap-ignores-active-invalidations publishes under a
	 * bracketed walk, so the walk keeps its read section there.
	 */
	bool rcu = !range->in_bracket || variant_is(SWAP_IGNORES_ACTIVE_INVALIDATIONS);

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
				vmmu_write_lock(&vm->mmu.mmu_lock);
				if (range->on_lock)
					range->on_lock(vm);
			}
			if (range->handler && range->handler(vm, &gfn_range)) {
				r.ret = true;
				flush_range_add(&flushed, as, gfn_range.start, gfn_range.end);
			}
		}
	}
	if (range->flush_on_ret && r.ret)
		kvm_flush_remote_tlbs_range(vm, flushed);
	if (r.found_memslot)
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
 *	lock mn_invalidate_lock              seq++ (mmu_lock)
 *	waiters++                            lock mn_invalidate_lock
 *	while seq == snap && in_progress     if waiters: broadcast
 *	      covers gfn:
 *	    cond_wait                        unlock
 *
 * end() bumps the seq before it takes mn_invalidate_lock, and the vCPU
 * tests it holding that lock, so either the vCPU sees the new seq or it is
 * counted and asleep when the broadcast comes: no lost wake-up.
 */
void kvm_mmu_invalidate_wait(struct vmmu_vm *vm, uint64_t mmu_seq, gfn_t gfn)
{
	bool waited = false;

	vmmu_mutex_lock(&vm->mn_invalidate_lock);
	vm->mn_end_waiters++;
	while (atomic_load_explicit(&vm->mmu_invalidate_seq, memory_order_acquire) == mmu_seq &&
	       mmu_invalidate_retry_gfn_unsafe(vm, mmu_seq, gfn)) {
		waited = true;
		vmmu_cond_wait(&vm->mn_invalidate_end_cond, &vm->mn_invalidate_lock);
	}
	vm->mn_end_waiters--;
	vmmu_mutex_unlock(&vm->mn_invalidate_lock);
	if (waited)
		VM_STAT_INC(vm, invalidate_waits);
}

/* Context: mmu_lock (write). */
static void kvm_mmu_invalidate_begin(struct vmmu_vm *vm)
{
	long n = atomic_load_explicit(&vm->mmu_invalidate_in_progress, memory_order_relaxed);

	lockdep_assert_held_write(&vm->mmu.mmu_lock);
	atomic_store_explicit(&vm->mmu_invalidate_in_progress, n + 1, memory_order_relaxed);
	if (n == 0) {
		atomic_store_explicit(&vm->mmu_invalidate_range_start, UINT64_MAX,
				      memory_order_relaxed);
		atomic_store_explicit(&vm->mmu_invalidate_range_end, UINT64_MAX,
				      memory_order_relaxed);
	}
}

/* Ranges accumulate (as their hull) until all concurrent invalidations end. */
static void kvm_mmu_invalidate_range_add(struct vmmu_vm *vm, gfn_t start, gfn_t end)
{
	gfn_t cur_start = atomic_load_explicit(&vm->mmu_invalidate_range_start, memory_order_relaxed);
	gfn_t cur_end = atomic_load_explicit(&vm->mmu_invalidate_range_end, memory_order_relaxed);

	lockdep_assert_held_write(&vm->mmu.mmu_lock);
	if (cur_start == UINT64_MAX) {
		cur_start = start;
		cur_end = end;
	} else {
		cur_start = start < cur_start ? start : cur_start;
		cur_end = end > cur_end ? end : cur_end;
	}
	atomic_store_explicit(&vm->mmu_invalidate_range_start, cur_start, memory_order_relaxed);
	atomic_store_explicit(&vm->mmu_invalidate_range_end, cur_end, memory_order_relaxed);
}

static bool kvm_mmu_unmap_gfn_range(struct vmmu_vm *vm, const struct kvm_gfn_range *range)
{
	kvm_mmu_invalidate_range_add(vm, range->start, range->end);
	return __kvm_tdp_mmu_zap_leafs(vm, range->as_id, range->start, range->end);
}

/* Context: mmu_lock (write). */
static void kvm_mmu_invalidate_end(struct vmmu_vm *vm)
{
	long n;

	lockdep_assert_held_write(&vm->mmu.mmu_lock);
	/*
	 * seq++ before in_progress--, release: pairs with the acquire
	 * snapshot in kvm_tdp_page_fault and the order of the retry checks
	 * (in_progress, then seq), so a racing fault sees one or the other.
	 */
	atomic_fetch_add_explicit(&vm->mmu_invalidate_seq, 1, memory_order_release);
	n = atomic_load_explicit(&vm->mmu_invalidate_in_progress, memory_order_relaxed);
	if (WARN_ON_ONCE(n <= 0))
		return;
	atomic_store_explicit(&vm->mmu_invalidate_in_progress, n - 1, memory_order_release);
	WARN_ON_ONCE(atomic_load_explicit(&vm->mmu_invalidate_range_start,
					  memory_order_relaxed) == UINT64_MAX);
}

/*
 * The open-bracket list (mn_invalidate_lock).  Brackets are few (one per
 * host thread changing memory at a time), so a flat array does.
 */
static void mn_bracket_add(struct vmmu_vm *vm, hva_t start, hva_t end)
{
	lockdep_assert_held(&vm->mn_invalidate_lock);
	if (vm->nr_mn_brackets == vm->mn_brackets_cap) {
		uint32_t cap = vm->mn_brackets_cap ? 2 * vm->mn_brackets_cap : 8;
		struct mn_bracket *b = realloc(vm->mn_brackets, cap * sizeof(*b));

		if (!b) {
			/* start() cannot fail: remember it only by count. */
			vm->mn_untracked++;
			return;
		}
		vm->mn_brackets = b;
		vm->mn_brackets_cap = cap;
	}
	vm->mn_brackets[vm->nr_mn_brackets++] = (struct mn_bracket){ start, end };
}

/* Remove the bracket [start, end); false if no open start() has that range. */
static bool mn_bracket_del(struct vmmu_vm *vm, hva_t start, hva_t end)
{
	lockdep_assert_held(&vm->mn_invalidate_lock);
	for (uint32_t i = 0; i < vm->nr_mn_brackets; i++) {
		if (vm->mn_brackets[i].start == start && vm->mn_brackets[i].end == end) {
			vm->mn_brackets[i] = vm->mn_brackets[--vm->nr_mn_brackets];
			return true;
		}
	}
	if (vm->mn_untracked) {
		vm->mn_untracked--;
		return true;
	}
	return false;
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
	const struct kvm_hva_range range = {
		.start = start,
		.end = end,
		.on_lock = kvm_mmu_invalidate_begin,
		.handler = kvm_mmu_unmap_gfn_range,
		.flush_on_ret = true,
		.in_bracket = true,
	};

	if (!vm)
		return;
	/* Pairs with the wait in kvm_swap_active_memslots(). */
	vmmu_mutex_lock(&vm->mn_invalidate_lock);
	vm->mn_active_invalidate_count++;
	mn_bracket_add(vm, start, end);
	vmmu_mutex_unlock(&vm->mn_invalidate_lock);
	hostmem_invalidate_begin(vm);
	sched_point(SP_NOTIFIER_COUNTED);

	kvm_handle_hva_range(vm, &range);
	sched_point(SP_NOTIFIER_BEGIN);
}

VMMU_API void vmmu_mmu_notifier_invalidate_range_end(struct vmmu_vm *vm, uint64_t start,
						      uint64_t end)
{
	const struct kvm_hva_range range = {
		.start = start,
		.end = end,
		.on_lock = kvm_mmu_invalidate_end,
		.in_bracket = true,
	};
	bool matched;

	if (!vm)
		return;
	/*
	 * An end() that no open start() has is the embedding program's bug.
	 * Applying it would drop in_progress under a bracket that is still
	 * open (faults there could then map the page being changed) or let
	 * memslot updates run inside it; so it changes nothing, and says so.
	 */
	vmmu_mutex_lock(&vm->mn_invalidate_lock);
	matched = mn_bracket_del(vm, start, end);
	vmmu_mutex_unlock(&vm->mn_invalidate_lock);
	if (WARN_ON_ONCE(!matched)) {
		VM_STAT_INC(vm, invalidate_end_unmatched);
		return;
	}
	sched_point(SP_NOTIFIER_END);
	kvm_handle_hva_range(vm, &range);
	/* After the range's end: see hostmem_invalidate_end(). */
	hostmem_invalidate_end(vm);

	vmmu_mutex_lock(&vm->mn_invalidate_lock);
	if (!WARN_ON_ONCE(vm->mn_active_invalidate_count <= 0))
		vm->mn_active_invalidate_count--;
	if (!vm->mn_active_invalidate_count)
		vmmu_cond_broadcast(&vm->mn_memslots_update_cond);
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

/* Is [start, end) of @as_id's gfns inside the range being invalidated?  mmu_lock. */
static bool kvm_mmu_invalidate_covers(struct vmmu_vm *vm, gfn_t start, gfn_t end)
{
	lockdep_assert_held_write(&vm->mmu.mmu_lock);
	return atomic_load_explicit(&vm->mmu_invalidate_in_progress, memory_order_relaxed) &&
	       start >= atomic_load_explicit(&vm->mmu_invalidate_range_start,
					     memory_order_relaxed) &&
	       end <= atomic_load_explicit(&vm->mmu_invalidate_range_end, memory_order_relaxed);
}

/*
 * kvm_set_spte_gfn(): re-point a present SPTE to the new host page; a
 * writable new page is not mapped writable behind the host's back, the SPTE
 * is just zapped and the next fault maps it.  The caller has checked that an
 * open bracket contains the page, so in_progress covers these gfns and a
 * racing fault that resolved the old page retries.  Context: mmu_lock (write).
 */
static bool kvm_set_spte_gfn(struct vmmu_vm *vm, const struct kvm_gfn_range *range)
{
	struct change_pte_arg *a = (struct change_pte_arg *)range->arg;
	uint64_t new_spte = 0;

	lockdep_assert_held_write(&vm->mmu.mmu_lock);
	/* Variant change-pte-unbracketed: no coverage test. */
	if (!variant_is(CHANGE_PTE_UNBRACKETED) &&
	    !kvm_mmu_invalidate_covers(vm, range->start, range->end)) {
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
	 * of its page; there, the raised in_progress already makes racing
	 * faults retry and no seq bump is needed.  The test is by host
	 * address against the open brackets themselves: the gfn hull that
	 * in_progress guards spans every open bracket of every address space,
	 * so a page inside it need not be changing at all (vmmu's defect 5).
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
