// SPDX-License-Identifier: MIT
/*
 * The TDP ("direct") MMU: per-address-space 4-level page tables built on
 * demand by the fault path, MMIO SPTEs tagged with the memslot generation,
 * zaps (slot, range, all-fast), write protection and the remote TLB flush.
 *
 * Concurrency (docs/LOCKING.md has the full cards):
 * - Faults hold mmu_lock for read and change SPTEs only with cmpxchg, as
 *   KVM's TDP MMU does; a lost cmpxchg means RET_PF_RETRY.
 * - Zaps and write protection hold mmu_lock for write, so no fault is
 *   installing while they run; lockless walkers (the vCPU fast paths) are
 *   fenced off by kvm_flush_remote_tlbs, which waits for every vCPU that was
 *   inside an access when the flush began.  Page tables are freed only after
 *   such a flush.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "check_hooks.h"
#include "dirty_ring.h"
#include "fence.h"
#include "memslots.h"
#include "mmu.h"
#include "notifier.h"
#include "spte.h"
#include "tdp_iter.h"
#include "vm.h"

/*
 * Page-table pages.  A table is one 4 KiB page, and should cost one: an
 * aligned_alloc() of a page costs about two.  Tables are carved from 2 MiB
 * mmap'd slabs, bumped out one page at a time (a page becomes resident
 * only when handed out), and freed tables go on a free list for reuse;
 * slabs go back to the host only with the VM.  Faults allocate under
 * mmu_lock (read), concurrently: the pool has its own small mutex, held
 * for a few instructions, and only when a table is built or freed (never
 * on a walk that finds its tables).
 */
#define PT_SLAB_PAGES	512u

struct pt_slab {
	struct pt_slab *next;
	void *base;
};

/* A free table page: its first word links the list (it is unreachable). */
struct pt_free {
	struct pt_free *next;
};

static void pt_pool_init(struct vmmu_mmu *mmu)
{
	pthread_mutex_init(&mmu->pt_pool_lock, NULL);
	mmu->pt_slabs = NULL;
	mmu->pt_free = NULL;
	mmu->pt_slab_used = 0;
}

static void pt_pool_destroy(struct vmmu_mmu *mmu)
{
	struct pt_slab *s, *next;

	for (s = mmu->pt_slabs; s; s = next) {
		next = s->next;
		munmap(s->base, (size_t)PT_SLAB_PAGES * PAGE_SIZE);
		free(s);
	}
	mmu->pt_slabs = NULL;
	mmu->pt_free = NULL;
	pthread_mutex_destroy(&mmu->pt_pool_lock);
}

/* A zeroed table page, or NULL.  Not counted: see alloc_pt(). */
static struct tdp_pt *pt_pool_get(struct vmmu_mmu *mmu)
{
	void *p = NULL;

	pthread_mutex_lock(&mmu->pt_pool_lock);
	if (mmu->pt_free) {
		p = mmu->pt_free;
		mmu->pt_free = mmu->pt_free->next;
	} else {
		if (!mmu->pt_slabs || mmu->pt_slab_used == PT_SLAB_PAGES) {
			struct pt_slab *s = malloc(sizeof(*s));
			void *base = MAP_FAILED;

			if (s)
				base = mmap(NULL, (size_t)PT_SLAB_PAGES * PAGE_SIZE,
					    PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
					    -1, 0);
			if (base == MAP_FAILED) {
				free(s);
				goto out;
			}
			s->base = base;
			s->next = mmu->pt_slabs;
			mmu->pt_slabs = s;
			mmu->pt_slab_used = 0;
		}
		p = (uint8_t *)mmu->pt_slabs->base + mmu->pt_slab_used++ * PAGE_SIZE;
	}
out:
	pthread_mutex_unlock(&mmu->pt_pool_lock);
	if (p)
		memset(p, 0, PAGE_SIZE);
	return p;
}

static void pt_pool_put(struct vmmu_mmu *mmu, struct tdp_pt *pt)
{
	struct pt_free *f = (struct pt_free *)pt;

	pthread_mutex_lock(&mmu->pt_pool_lock);
	f->next = mmu->pt_free;
	mmu->pt_free = f;
	pthread_mutex_unlock(&mmu->pt_pool_lock);
}

/* A table for a root: counted, not capped (a zap-all needs fresh roots). */
static struct tdp_pt *alloc_pt(struct vmmu_vm *vm)
{
	struct tdp_pt *pt = pt_pool_get(&vm->mmu);

	if (!pt)
		return NULL;
	atomic_fetch_add_explicit(&vm->mmu.nr_page_tables, 1, memory_order_relaxed);
	return pt;
}

/*
 * A table for a fault, within the cap: NULL with *@at_cap set if taking
 * it would pass vm->mmu.pt_cap, NULL alone if memory ran out.  The count
 * is reserved first, so concurrent faults never pass the cap together.
 */
static struct tdp_pt *alloc_pt_capped(struct vmmu_vm *vm, bool *at_cap)
{
	uint64_t n = atomic_fetch_add_explicit(&vm->mmu.nr_page_tables, 1, memory_order_relaxed);
	struct tdp_pt *pt;

	if (unlikely(n >= atomic_load_explicit(&vm->mmu.pt_cap, memory_order_relaxed))) {
		*at_cap = true;
		pt = NULL;
	} else {
		pt = pt_pool_get(&vm->mmu);
	}
	if (!pt)
		atomic_fetch_sub_explicit(&vm->mmu.nr_page_tables, 1, memory_order_relaxed);
	return pt;
}

static void free_pt(struct vmmu_vm *vm, struct tdp_pt *pt)
{
	pt_pool_put(&vm->mmu, pt);
	atomic_fetch_sub_explicit(&vm->mmu.nr_page_tables, 1, memory_order_relaxed);
}

/*
 * slot_pt_need() - an upper bound on the tables that map @npages
 * consecutive gfns at 4 KiB, wherever they start: at level l (1 = the
 * leaf tables) they span at most ((npages - 1) >> 9l) + 2 tables.  The
 * root is counted once per address space by the caller.
 */
static uint64_t slot_pt_need(const struct vmmu_vm *vm, uint64_t npages)
{
	uint64_t t = 0;

	if (!npages)
		return 0;
	for (int l = 1; l < vm->mmu.root_level; l++)
		t += ((npages - 1) >> (l * PT64_LEVEL_BITS)) + 2;
	return t;
}

/*
 * kvm_mmu_update_pt_cap() - the cap in force: the configured one, or
 * max(4096, 2 * (slot_pt_need + roots) + 1024), a margin of twice what the
 * slots need mapped fully, plus room for MMIO SPTEs.  Context: slots_lock
 * or VM creation.
 */
static void kvm_mmu_update_pt_cap(struct vmmu_vm *vm)
{
	uint64_t cap = vm->cfg.max_page_tables;

	if (!cap) {
		cap = 2 * (vm->mmu.slot_pt_need + vm->nr_as) + 1024;
		if (cap < 4096)
			cap = 4096;
	}
	atomic_store_explicit(&vm->mmu.pt_cap, cap, memory_order_relaxed);
}

/*
 * Free the tree under @root, bottom up: the pass at level l frees the
 * tables that level-l entries point to, whose own children went in the
 * pass before; it walks only tables of levels >= l, none freed yet.
 * Context: unreachable by faults and, after a remote TLB flush, by walkers.
 */
static void free_pt_tree(struct vmmu_vm *vm, struct tdp_pt *root, int root_level)
{
	struct tdp_iter it;

	for (int level = 2; level <= root_level; level++) {
		for_each_tdp_pte_min_level(it, root, root_level, level, 0, vm->max_gfn + 1) {
			/* Above the leaves an entry is a link or 0, never MMIO. */
			DEBUG_CHECK(!it.old_spte || is_shadow_present_pte(it.old_spte));
			if (it.level == level && is_shadow_present_pte(it.old_spte))
				free_pt(vm, spte_to_child(it.old_spte));
		}
	}
	free_pt(vm, root);
}

static struct tdp_root *alloc_root(struct vmmu_vm *vm)
{
	struct tdp_root *root = malloc(sizeof(*root));

	if (!root)
		return NULL;
	root->pt = alloc_pt(vm);
	if (!root->pt) {
		free(root);
		return NULL;
	}
	root->mmu_valid_gen = vm->mmu.mmu_valid_gen;
	return root;
}

static void free_root(struct vmmu_vm *vm, struct tdp_root *root)
{
	if (!root)
		return;
	free_pt_tree(vm, root->pt, vm->mmu.root_level);
	free(root);
}

int kvm_mmu_init_vm(struct vmmu_vm *vm)
{
	vmmu_rwlock_init(&vm->mmu.mmu_lock);
	pt_pool_init(&vm->mmu);
	/* 4 levels map 48 bits of gpa; a wider VM gets a 5th, as with LA57/5-level EPT. */
	vm->mmu.root_level = vm->cfg.max_gpa_bits > 48 ? 5 : PT64_ROOT_LEVEL;
	kvm_mmu_update_pt_cap(vm);
	for (uint32_t as = 0; as < vm->nr_as; as++) {
		struct tdp_root *root = alloc_root(vm);

		if (!root)
			return -ENOMEM;
		atomic_init(&vm->mmu.root[as], root);
	}
	return 0;
}

void kvm_mmu_uninit_vm(struct vmmu_vm *vm)
{
	for (uint32_t as = 0; as < VMMU_MAX_ADDRESS_SPACES; as++)
		free_root(vm, atomic_load_explicit(&vm->mmu.root[as], memory_order_relaxed));
	pt_pool_destroy(&vm->mmu);
	vmmu_rwlock_destroy(&vm->mmu.mmu_lock);
}

/* Is @t (an access_target) a valid target outside @r? */
static inline bool access_target_outside(uint64_t t, struct flush_range r)
{
	gfn_t gfn = (t & ~ACCESS_TARGET_VALID) >> ACCESS_TARGET_GFN_SHIFT;
	uint32_t as_id = t & ((1u << ACCESS_TARGET_GFN_SHIFT) - 1);

	if (!(t & ACCESS_TARGET_VALID))
		return false;
	/* Variant flush-skips-any-target: the range is not looked at. */
	if (variant_is(FLUSH_SKIPS_ANY_TARGET))
		return true;
	return !(r.as_mask & (1u << as_id)) || gfn < r.start || gfn >= r.end;
}

/* What a running flush waits for from one vCPU (vcpu->flush_wait). */
enum { FLUSH_WAIT_NONE, FLUSH_WAIT_ANSWER, FLUSH_WAIT_SEQ };

/*
 * Ask every vCPU whose entries do not fence (FAST) to fence once and
 * answer (REQ), and wait a short budget for the answers.  Marks the vCPUs
 * that the flush must still wait for by their access_seq (FLUSH_WAIT_SEQ);
 * returns whether one of them needs a membarrier() first.  Context:
 * vcpus_lock, after the tlb_gen bump.
 *
 *	flusher                              vCPU
 *	-------                              ----
 *	tlb_gen++ (seq_cst RMW)              access_seq = odd (plain)
 *	CAS fence_state FAST -> REQ          s = fence_state
 *	wait until fence_state != REQ        if s != FAST: fence_state &= ALWAYS
 *	                                       (a locked RMW: the fence)
 *	                                     gen = tlb_gen ...
 *
 * A vCPU's RMW that replaces our REQ read it, so it comes after our bump:
 * the vCPU loads the new tlb_gen from then on, and every access it began
 * before the RMW is over (its even store precedes the RMW).  OUTSIDE is the
 * same answer given in advance: the vCPU fenced after its last access and
 * fences again before its next one, so a flush that reads OUTSIDE after its
 * bump need not wait.
 *
 * REQ at the start is an earlier flush's request that nobody answered, so
 * that flush issued a membarrier(), and the vCPU has begun no access since
 * (its first would have answered): access_seq shows the truth (odd only for
 * an access older than that barrier, which made its odd store visible), and
 * we read it without another barrier.  An idle vCPU costs the first flush
 * after it went idle the budget and one membarrier(), and later ones
 * nothing.
 */
static bool flush_ask_vcpus(struct vmmu_vm *vm)
{
	uint32_t asked = 0;
	uint64_t t0 = 0;

	for (uint32_t i = 0; i < vm->nr_online; i++) {
		struct vmmu_vcpu *vcpu = vm->online[i];
		uint8_t s = FENCE_FAST;

		vcpu->flush_wait = FLUSH_WAIT_NONE;
		/* Variant flush-trusts-fast: a FAST vCPU counts as done. */
		if (variant_is(FLUSH_TRUSTS_FAST) &&
		    atomic_load_explicit(&vcpu->fence_state, memory_order_seq_cst) == FENCE_FAST)
			continue;
		if (atomic_compare_exchange_strong_explicit(&vcpu->fence_state, &s, FENCE_REQ,
							    memory_order_seq_cst,
							    memory_order_seq_cst)) {
			vcpu->flush_wait = FLUSH_WAIT_ANSWER;
			asked++;
		} else if (s != FENCE_OUTSIDE) {
			/* REQ (idle since an earlier flush's barrier), or ALWAYS. */
			vcpu->flush_wait = FLUSH_WAIT_SEQ;
		}
	}
	if (asked) {
		sched_point(SP_FLUSH_ASKED);
		/* The checker's budget is counted in rounds; see fence.c. */
		t0 = VMMU_IS_CHECKER ?
			atomic_load_explicit(&vm->stat.remote_tlb_flush_requests,
					     memory_order_relaxed) : vmmu_now_ns();
	}
	for (unsigned int spins = 0; asked; spins++) {
		for (uint32_t i = 0; i < vm->nr_online; i++) {
			struct vmmu_vcpu *vcpu = vm->online[i];

			if (vcpu->flush_wait == FLUSH_WAIT_ANSWER &&
			    atomic_load_explicit(&vcpu->fence_state, memory_order_seq_cst) !=
				    FENCE_REQ) {
				vcpu->flush_wait = FLUSH_WAIT_NONE;
				VM_STAT_INC(vm, remote_tlb_flush_answers);
				asked--;
			}
		}
		if (!asked)
			break;
		if (vmmu_flush_answer_expired(vm, spins, t0)) {
			/* No answer in time: fence them, then wait by access_seq. */
			for (uint32_t i = 0; i < vm->nr_online; i++)
				if (vm->online[i]->flush_wait == FLUSH_WAIT_ANSWER)
					vm->online[i]->flush_wait = FLUSH_WAIT_SEQ;
			return true;
		}
		vmmu_wait_relax(spins < 64 ? spins : 64);
	}
	return false;
}

/*
 * kvm_flush_remote_tlbs_range() - after it returns, no vCPU uses a
 * translation, page table or MMIO SPTE in @range that was removed before
 * it was called.
 *
 * Every vCPU's tlb_gen is bumped; then each vCPU must be known either to
 * see the new value in every access it may still be in or begin, or to
 * have left such an access.  Running vCPUs tell us so themselves
 * (flush_ask_vcpus(): the default, asymmetric mode).  For the others, and
 * in the symmetric mode, we read access_seq and wait for an odd one to
 * change:
 *
 *	flusher                              vCPU
 *	-------                              ----
 *	clear SPTE / unlink table            access_seq = odd   (*)
 *	vcpu->tlb_gen++ for all (seq_cst)    gen = tlb_gen      (seq_cst)
 *	membarrier()            (**)         TLB hit if entry.gen == gen, or walk
 *	s = access_seq          (seq_cst)    access_seq = even  (release)
 *	if s odd: wait until it changes
 *
 * Either the vCPU's "odd" store is ordered first (the flusher sees it and
 * waits for the release of the even value, which orders the vCPU's reads
 * before our return), or the flusher's tlb_gen++ is (the vCPU then loads
 * the new gen, so it neither hits a TLB entry of the old gen nor - by the
 * acquire it implies - misses the cleared SPTE in its walk).  The order is
 * given either by seq_cst on both sides (*: the symmetric mode's fence; no
 * **) or by the membarrier (**) against a plain store (*): see
 * vcpu_access_begin().  This is KVM_REQ_TLB_FLUSH with KVM_REQUEST_WAIT:
 * vCPUs are never interrupted, only asked or waited for.
 *
 * An access can block, though: its load or store of guest memory may take
 * a host page fault that another thread resolves (userfaultfd, post-copy
 * migration), and that thread may change the memory map first.  KVM's
 * flush waits only for vCPUs in guest mode, never for one in a host fault;
 * ours waits only for what @range needs.  vcpu_access_ram() publishes the
 * page it touches (access_target) after its walk and before the touch:
 *
 *	flusher                              vCPU (access s, odd)
 *	-------                              ----
 *	s = access_seq (odd)                 walk; access_target = T (release)
 *	t = access_target (acquire)          touch T's page (may block)
 *	if t valid, T outside @range and     access_target = 0 (release)
 *	   access_seq still s: skip          access_seq = s + 1
 *
 * A T read while access_seq is still s was stored in access s (the clear
 * of an earlier access precedes s's odd store, which we read first), so
 * the vCPU's walk is over and all that is left of access s is the touch
 * of T's page, through a translation this flush did not remove, and a TLB
 * entry tagged with a generation read before the walk.  Waiting for it
 * would add nothing; a flush covering T waits, as before.  (A blocked vCPU
 * does not answer a request; it costs the flush the answer budget and a
 * membarrier().)
 */
void kvm_flush_remote_tlbs_range(struct vmmu_vm *vm, struct flush_range range)
{
	bool waited = false, asym;

	trace_remote_tlb_flush(vm, range.start, range.end);
	VM_STAT_INC(vm, remote_tlb_flush_requests);

	vmmu_mutex_lock(&vm->vcpus_lock);
	for (uint32_t i = 0; i < vm->nr_online; i++)
		atomic_fetch_add_explicit(&vm->online[i]->tlb_gen, 1, memory_order_seq_cst);
	asym = atomic_load_explicit(&vm->asym_fence, memory_order_relaxed);
	if (!asym) {
		for (uint32_t i = 0; i < vm->nr_online; i++)
			vm->online[i]->flush_wait = FLUSH_WAIT_SEQ;
	} else if (flush_ask_vcpus(vm)) {
		VM_STAT_INC(vm, remote_tlb_flush_membarriers);
		vmmu_membarrier(vm);
	}
	for (uint32_t i = 0; i < vm->nr_online; i++) {
		struct vmmu_vcpu *vcpu = vm->online[i];
		uint64_t s;

		if (vcpu->flush_wait != FLUSH_WAIT_SEQ)
			continue;
		s = atomic_load_explicit(&vcpu->access_seq, memory_order_seq_cst);
		if (!(s & 1))
			continue;
		for (unsigned int spins = 0;
		     atomic_load_explicit(&vcpu->access_seq, memory_order_acquire) == s; spins++) {
			uint64_t t = atomic_load_explicit(&vcpu->access_target,
							  memory_order_acquire);

			if (unlikely(access_target_outside(t, range)) &&
			    atomic_load_explicit(&vcpu->access_seq, memory_order_seq_cst) == s) {
				VM_STAT_INC(vm, remote_tlb_flush_skips);
				break;
			}
			waited = true;
			vmmu_wait_relax(spins);
		}
	}
	vmmu_mutex_unlock(&vm->vcpus_lock);
	if (waited)
		VM_STAT_INC(vm, remote_tlb_flush);
}

/*
 * Range operations, mmu_lock held for write.  @op decides what to do with
 * one non-zero leaf SPTE.
 */
enum leaf_op { LEAF_ZAP, LEAF_ZAP_MMIO, LEAF_WRPROT, LEAF_AGE_CLEAR, LEAF_AGE_TEST, LEAF_REPOINT };

struct range_walk {
	gfn_t start, end;
	enum leaf_op op;
	uint64_t new_spte;	/* LEAF_REPOINT: the replacement */
	uint64_t mask;		/* if non-zero: only gfn start + i for bit i of mask */
	bool flush;		/* a present SPTE changed (or, aging: was young) */
	uint64_t zapped;
};

/* Apply @w->op to the leaf at @it (non-zero).  Context: mmu_lock (write). */
static void range_walk_leaf(struct range_walk *w, struct tdp_iter *it)
{
	uint64_t spte = it->old_spte;

	switch (w->op) {
	case LEAF_ZAP_MMIO:
		if (is_mmio_spte(spte)) {
			atomic_store_explicit(it->sptep, SHADOW_NONPRESENT_VALUE, memory_order_relaxed);
			w->zapped++;
		}
		return;
	case LEAF_ZAP:
		atomic_store_explicit(it->sptep, SHADOW_NONPRESENT_VALUE, memory_order_relaxed);
		trace_kvm_tdp_mmu_spte_changed(it->gfn, spte, SHADOW_NONPRESENT_VALUE);
		if (is_shadow_present_pte(spte)) {
			w->flush = true;
			w->zapped++;
		}
		return;
	default:
		break;
	}
	if (!is_shadow_present_pte(spte))
		return;
	switch (w->op) {
	case LEAF_REPOINT:
		DEBUG_CHECK(!w->new_spte || spte_writable_invariants_ok(w->new_spte));
		atomic_store_explicit(it->sptep, w->new_spte, memory_order_release);
		trace_kvm_tdp_mmu_spte_changed(it->gfn, spte, w->new_spte);
		w->flush = true;
		break;
	case LEAF_WRPROT:
		/* W goes, MW stays: the writable invariant still holds. */
		if (is_writable_pte(spte)) {
			atomic_store_explicit(it->sptep, spte & ~PT_WRITABLE_MASK,
					      memory_order_relaxed);
			w->flush = true;
		}
		break;
	case LEAF_AGE_CLEAR:
	case LEAF_AGE_TEST:
		if (!(spte & PT_ACCESSED_MASK))
			break;
		/*
		 * Faults set A with cmpxchg under mmu_lock (read), so clearing
		 * it must be atomic too.
		 */
		if (w->op == LEAF_AGE_CLEAR)
			atomic_fetch_and_explicit(it->sptep, ~PT_ACCESSED_MASK, memory_order_relaxed);
		w->flush = true;
		break;
	default:
		break;
	}
}

/* Walk the leaves of [w->start, w->end) of @as_id.  Context: mmu_lock (write). */
static void walk_range(struct vmmu_vm *vm, uint32_t as_id, struct range_walk *w)
{
	struct tdp_root *root = atomic_load_explicit(&vm->mmu.root[as_id], memory_order_relaxed);
	struct tdp_iter it;

	lockdep_assert_held_write(&vm->mmu.mmu_lock);
	if (w->end > vm->max_gfn + 1)
		w->end = vm->max_gfn + 1;
	for_each_tdp_leaf(it, root->pt, vm->mmu.root_level, w->start, w->end) {
		if (!it.old_spte)
			continue;
		if (w->mask && !((w->mask >> (it.gfn - w->start)) & 1))
			continue;
		range_walk_leaf(w, &it);
	}
	if (w->zapped)
		atomic_fetch_add_explicit(&vm->stat.sptes_zapped, w->zapped, memory_order_relaxed);
}

static bool tdp_mmu_range_op(struct vmmu_vm *vm, uint32_t as_id, gfn_t start, gfn_t end,
			     enum leaf_op op, uint64_t new_spte)
{
	struct range_walk w = { .start = start, .end = end, .op = op, .new_spte = new_spte };

	walk_range(vm, as_id, &w);
	return w.flush;
}

bool __kvm_tdp_mmu_zap_leafs(struct vmmu_vm *vm, uint32_t as_id, gfn_t start, gfn_t end)
{
	lockdep_assert_held_write(&vm->mmu.mmu_lock);
	return tdp_mmu_range_op(vm, as_id, start, end, LEAF_ZAP, 0);
}

bool kvm_tdp_mmu_range_has_present(struct vmmu_vm *vm, uint32_t as_id, gfn_t start, gfn_t end)
{
	struct tdp_root *root = atomic_load_explicit(&vm->mmu.root[as_id], memory_order_relaxed);
	struct tdp_iter it;

	lockdep_assert_held_read(&vm->mmu.mmu_lock);
	if (end > vm->max_gfn + 1)
		end = vm->max_gfn + 1;
	if (start >= end)
		return false;
	for_each_tdp_leaf(it, root->pt, vm->mmu.root_level, start, end)
		if (is_shadow_present_pte(it.old_spte))
			return true;
	return false;
}

bool __kvm_tdp_mmu_wrprot(struct vmmu_vm *vm, uint32_t as_id, gfn_t start, gfn_t end)
{
	lockdep_assert_held_write(&vm->mmu.mmu_lock);
	return tdp_mmu_range_op(vm, as_id, start, end, LEAF_WRPROT, 0);
}

/*
 * kvm_arch_mmu_enable_log_dirty_pt_masked(): write-protect gfn @base + i
 * for every bit i of @mask, in one walk.  mmu_lock (write).
 */
bool __kvm_tdp_mmu_wrprot_masked(struct vmmu_vm *vm, uint32_t as_id, gfn_t base, uint64_t mask)
{
	struct range_walk w = { .op = LEAF_WRPROT, .mask = mask };

	lockdep_assert_held_write(&vm->mmu.mmu_lock);
	if (!mask)
		return false;
	/* Walk only the span of set bits; w.start is the base of the mask. */
	w.start = base;
	w.end = base + 64 - __builtin_clzll(mask);
	walk_range(vm, as_id, &w);
	return w.flush;
}

bool kvm_tdp_mmu_age_range(struct vmmu_vm *vm, uint32_t as_id, gfn_t start, gfn_t end,
			   enum age_op op)
{
	lockdep_assert_held_write(&vm->mmu.mmu_lock);
	return tdp_mmu_range_op(vm, as_id, start, end,
				op == AGE_CLEAR ? LEAF_AGE_CLEAR : LEAF_AGE_TEST, 0);
}

/*
 * kvm_tdp_mmu_repoint() - change_pte's work: every present leaf in
 * [start, end) becomes @new_spte (0 zaps).  Non-present entries stay as they
 * are: change_pte only updates mappings that exist.  mmu_lock (write).
 */
bool kvm_tdp_mmu_repoint(struct vmmu_vm *vm, uint32_t as_id, gfn_t start, gfn_t end,
			 uint64_t new_spte)
{
	lockdep_assert_held_write(&vm->mmu.mmu_lock);
	return tdp_mmu_range_op(vm, as_id, start, end, LEAF_REPOINT, new_spte);
}

/*
 * kvm_mmu_zap_all_fast() - obsolete every page table at once.
 *
 * Under mmu_lock (write) each address space gets a fresh empty root and
 * mmu_valid_gen toggles, so the old roots are obsolete: no fault can reach
 * them any more (faults find roots under mmu_lock).  The lock is held only
 * for the pointer swap; the old trees are freed after the remote flush has
 * waited out lockless walkers, without the lock.  All SPTEs are gone before
 * we return, as KVM requires.  Context: slots_lock.
 */
/* Every bucket unmarked.  Context: mmu_lock (write), after a zap of everything. */
static void kvm_mmu_clear_mapped_marks(struct vmmu_vm *vm)
{
	lockdep_assert_held_write(&vm->mmu.mmu_lock);
	for (uint32_t b = 0; b < MN_INV_SEQ_BUCKETS; b++)
		if (atomic_load_explicit(&vm->inv[b].mapped, memory_order_relaxed))
			atomic_store_explicit(&vm->inv[b].mapped, 0, memory_order_release);
}

void kvm_mmu_zap_all_fast(struct vmmu_vm *vm)
{
	struct tdp_root *old[VMMU_MAX_ADDRESS_SPACES] = { 0 };
	struct tdp_root *fresh[VMMU_MAX_ADDRESS_SPACES] = { 0 };
	bool fallback = false;
	lockdep_assert_held(&vm->slots_lock);
	trace_kvm_mmu_zap_all_fast(vm);

	for (uint32_t as = 0; as < vm->nr_as; as++) {
		fresh[as] = alloc_root(vm);
		if (!fresh[as])
			fallback = true;
	}

	vmmu_write_lock(&vm->mmu.mmu_lock);
	/* The kept roots of the fallback stay valid: no generation toggle. */
	if (!fallback)
		vm->mmu.mmu_valid_gen ^= 1;
	for (uint32_t as = 0; as < vm->nr_as; as++) {
		if (fallback) {
			/* Out of memory for new roots: zap in place, same result. */
			__kvm_tdp_mmu_zap_leafs(vm, as, 0, vm->max_gfn + 1);
			continue;
		}
		fresh[as]->mmu_valid_gen = vm->mmu.mmu_valid_gen;
		old[as] = atomic_load_explicit(&vm->mmu.root[as], memory_order_relaxed);
		atomic_store_explicit(&vm->mmu.root[as], fresh[as], memory_order_release);
	}
	sched_point(SP_ZAP);
	/*
	 * Flush before dropping mmu_lock: once it is dropped, a notifier walk
	 * finds no SPTE left to zap and so does not flush itself; it must not
	 * return while a vCPU still holds a translation we removed.
	 */
	/* Variant zap-all-clears-marks-early: before the flush. */
	if (variant_is(ZAP_ALL_CLEARS_MARKS_EARLY))
		kvm_mmu_clear_mapped_marks(vm);
	kvm_flush_remote_tlbs(vm);
	/*
	 * Nothing is mapped now: clear the buckets' mapped marks, after the
	 * flush (release), since a start() that reads a clear mark takes no
	 * lock and relies on no vCPU holding a translation (notifier.c,
	 * mn_bracket_needs_zap()).  No fault runs meanwhile (we hold
	 * mmu_lock for write), so none is lost.
	 */
	if (!variant_is(ZAP_ALL_CLEARS_MARKS_EARLY))
		kvm_mmu_clear_mapped_marks(vm);
	vmmu_write_unlock(&vm->mmu.mmu_lock);

	for (uint32_t as = 0; as < vm->nr_as; as++) {
		free_root(vm, old[as]);
		if (fallback)
			free_root(vm, fresh[as]);
	}
	VM_STAT_INC(vm, zap_all_fast);
}

/*
 * Page-table reclaim at the cap.  Tables are found MMIO-only bottom up: a
 * leaf table whose entries are all MMIO SPTEs or 0, a table above whose
 * links all lead to such tables.  The highest such table on each path is
 * unlinked (so one record frees a whole subtree) and the subtrees are
 * freed after the remote TLB flush, as every zap frees tables.
 */
struct pt_reclaim {
	struct pt_subtree {
		struct tdp_pt *pt;
		int level;	/* of @pt's entries */
	} *v;
	size_t n, cap;
	uint64_t mmio_zapped;	/* MMIO SPTEs in unlinked leaf tables */
	uint64_t present_zapped;	/* present leaves (zap-all only) */
	uint64_t tables;	/* tables in the unlinked subtrees */
};

/* Unlink the entry @sptep to @child (entries at @level); false if no room to record it. */
static bool reclaim_unlink(struct pt_reclaim *rc, _Atomic uint64_t *sptep, struct tdp_pt *child,
			   int level)
{
	if (rc->n == rc->cap) {
		size_t cap = rc->cap ? 2 * rc->cap : 256;
		struct pt_subtree *v = realloc(rc->v, cap * sizeof(*v));

		if (!v)
			return false;
		rc->v = v;
		rc->cap = cap;
	}
	atomic_store_explicit(sptep, SHADOW_NONPRESENT_VALUE, memory_order_relaxed);
	rc->v[rc->n++] = (struct pt_subtree){ .pt = child, .level = level };
	return true;
}

/* Count the tables and leaves of the unlinked subtree @pt (entries at @level) into @rc. */
static void subtree_count(struct pt_reclaim *rc, struct tdp_pt *pt, int level)
{
	rc->tables++;
	for (unsigned int i = 0; i < PT64_ENT_PER_PAGE; i++) {
		uint64_t spte = atomic_load_explicit(&pt->spte[i], memory_order_relaxed);

		if (!spte)
			continue;
		if (level == 1) {
			if (is_shadow_present_pte(spte))
				rc->present_zapped++;
			else
				rc->mmio_zapped++;
		} else if (is_shadow_present_pte(spte)) {
			subtree_count(rc, spte_to_child(spte), level - 1);
		}
	}
}

/*
 * Does no present leaf lie under @pt (entries at @level)?  If some does,
 * the MMIO-only children of @pt are unlinked here (@pt stays); if none
 * does and @pt is not a root, the caller unlinks @pt whole.
 * Context: mmu_lock (write).
 */
static bool reclaim_mmio_only(struct pt_reclaim *rc, struct tdp_pt *pt, int level, bool is_root)
{
	uint8_t child_free[PT64_ENT_PER_PAGE / 8] = { 0 };
	bool mmio_only = true;

	for (unsigned int i = 0; i < PT64_ENT_PER_PAGE; i++) {
		uint64_t spte = atomic_load_explicit(&pt->spte[i], memory_order_relaxed);

		if (!spte)
			continue;
		if (level == 1) {
			if (is_shadow_present_pte(spte))
				mmio_only = false;
			continue;
		}
		/* Above the leaves an entry is a link or 0, never MMIO. */
		DEBUG_CHECK(is_shadow_present_pte(spte));
		if (reclaim_mmio_only(rc, spte_to_child(spte), level - 1, false))
			child_free[i / 8] |= (uint8_t)(1u << (i % 8));
		else
			mmio_only = false;
	}
	if (mmio_only && !is_root)
		return true;
	for (unsigned int i = 0; i < PT64_ENT_PER_PAGE; i++) {
		struct tdp_pt *child;

		if (!(child_free[i / 8] & (1u << (i % 8))))
			continue;
		child = spte_to_child(atomic_load_explicit(&pt->spte[i], memory_order_relaxed));
		if (!reclaim_unlink(rc, &pt->spte[i], child, level - 1))
			break;
		subtree_count(rc, child, level - 1);
	}
	return false;
}

/* Zap-all in place: unlink every table below @root.  Context: mmu_lock (write). */
static void reclaim_all(struct pt_reclaim *rc, struct tdp_pt *root, int root_level)
{
	for (unsigned int i = 0; i < PT64_ENT_PER_PAGE; i++) {
		uint64_t spte = atomic_load_explicit(&root->spte[i], memory_order_relaxed);

		if (!is_shadow_present_pte(spte))
			continue;
		if (!reclaim_unlink(rc, &root->spte[i], spte_to_child(spte), root_level - 1))
			break;
		subtree_count(rc, spte_to_child(spte), root_level - 1);
	}
}

/* Free an unlinked subtree.  Context: after the remote TLB flush. */
static uint64_t free_subtree(struct vmmu_vm *vm, struct tdp_pt *pt, int level)
{
	uint64_t n = 1;

	if (level > 1) {
		for (unsigned int i = 0; i < PT64_ENT_PER_PAGE; i++) {
			uint64_t spte = atomic_load_explicit(&pt->spte[i], memory_order_relaxed);

			if (is_shadow_present_pte(spte))
				n += free_subtree(vm, spte_to_child(spte), level - 1);
		}
	}
	free_pt(vm, pt);
	return n;
}

/*
 * kvm_mmu_reclaim_page_tables() - a fault needed a table at the cap.
 *
 * Under mmu_lock (write), unless another fault has made room already:
 * unlink every MMIO-only table (MMIO SPTEs can always go: the next access
 * faults and installs one again).  If that leaves more than 3/4 of the
 * cap, unlink every table below the roots as well, present leaves and all
 * (the result of kvm_mmu_zap_all_fast, done in place: the caller is a vCPU
 * that holds no lock, and taking slots_lock for the root swap would make
 * the fault wait on memslot updates, which may wait on notifier brackets
 * the same thread holds open).  The remote TLB flush comes before
 * mmu_lock is dropped, as for every zap, and the tables are freed after.
 * Context: no lock held, outside the vCPU's access bracket.
 */
void kvm_mmu_reclaim_page_tables(struct vmmu_vm *vm)
{
	uint64_t cap = atomic_load_explicit(&vm->mmu.pt_cap, memory_order_relaxed);
	struct pt_reclaim rc = { 0 };
	uint64_t freed = 0;
	bool zapped_all = false;

	vmmu_write_lock(&vm->mmu.mmu_lock);
	/* Room for a full path: someone else reclaimed, retry the fault. */
	if (atomic_load_explicit(&vm->mmu.nr_page_tables, memory_order_relaxed) +
	    (uint64_t)vm->mmu.root_level <= cap) {
		vmmu_write_unlock(&vm->mmu.mmu_lock);
		return;
	}
	for (uint32_t as = 0; as < vm->nr_as; as++) {
		struct tdp_root *root = atomic_load_explicit(&vm->mmu.root[as],
							     memory_order_relaxed);

		reclaim_mmio_only(&rc, root->pt, vm->mmu.root_level, true);
	}
	if (atomic_load_explicit(&vm->mmu.nr_page_tables, memory_order_relaxed) -
	    rc.tables > cap / 4 * 3) {
		zapped_all = true;
		for (uint32_t as = 0; as < vm->nr_as; as++) {
			struct tdp_root *root = atomic_load_explicit(&vm->mmu.root[as],
								     memory_order_relaxed);

			reclaim_all(&rc, root->pt, vm->mmu.root_level);
		}
	}
	sched_point(SP_ZAP);
	if (rc.n)
		kvm_flush_remote_tlbs(vm);
	vmmu_write_unlock(&vm->mmu.mmu_lock);

	for (size_t i = 0; i < rc.n; i++)
		freed += free_subtree(vm, rc.v[i].pt, rc.v[i].level);
	free(rc.v);
	VM_STAT_INC(vm, page_table_reclaims);
	if (zapped_all)
		VM_STAT_INC(vm, page_table_reclaim_zaps);
	atomic_fetch_add_explicit(&vm->stat.page_tables_reclaimed, freed, memory_order_relaxed);
	atomic_fetch_add_explicit(&vm->stat.sptes_zapped, rc.mmio_zapped + rc.present_zapped,
				  memory_order_relaxed);
}

/*
 * kvm_arch_memslots_updated() - called by every memslot swap with the new
 * generation, before it is stored.  MMIO SPTEs keep only the low
 * mmio_gen_bits bits; when that slice (with the address-space bits
 * stripped, so a wrap in any address space counts) comes back to 0, SPTEs
 * from the previous cycle could match again, so every one of them goes.
 */
void kvm_arch_memslots_updated(struct vmmu_vm *vm, uint64_t gen)
{
	lockdep_assert_held(&vm->slots_lock);
	WARN_ON_ONCE(gen & VMMU_MEMSLOT_GEN_UPDATE_IN_PROGRESS);
	gen &= vm->mmio_gen_mask;
	/* Variant wrap-check-keeps-as-bits: address space 1 never sees 0. */
	if (!variant_is(WRAP_CHECK_KEEPS_AS_BITS))
		gen &= ~((uint64_t)vm->nr_as - 1);
	/* Variant no-wrap-zap: the slice wraps, stale tags match. */
	if (variant_is(NO_WRAP_ZAP))
		gen = 1;
	if (unlikely(gen == 0)) {
		VM_STAT_INC(vm, mmio_wrap_zaps);
		kvm_mmu_zap_all_fast(vm);
	}
	if (vm->cfg.flags & VMMU_VM_MMIO_ZAP_WALK) {
		/* The pre-generation design: find every MMIO SPTE by walking. */
		vmmu_write_lock(&vm->mmu.mmu_lock);
		for (uint32_t as = 0; as < vm->nr_as; as++)
			tdp_mmu_range_op(vm, as, 0, vm->max_gfn + 1, LEAF_ZAP_MMIO, 0);
		vmmu_write_unlock(&vm->mmu.mmu_lock);
	}
}

/* DELETE/MOVE: the slot is INVALID in the active set; remove its mappings. */
void kvm_arch_flush_shadow_memslot(struct vmmu_vm *vm, struct vmmu_memslot *slot)
{
	bool flush;

	lockdep_assert_held(&vm->slots_lock);
	if (vm->cfg.flags & VMMU_VM_QUIRK_SLOT_ZAP_ALL) {
		kvm_mmu_zap_all_fast(vm);
		return;
	}
	vmmu_write_lock(&vm->mmu.mmu_lock);
	flush = __kvm_tdp_mmu_zap_leafs(vm, slot->as_id, slot->base_gfn,
					slot->base_gfn + slot->npages);
	sched_point(SP_ZAP);
	/*
	 * Only if something present was zapped: a TLB entry or an in-flight
	 * walk can only use a translation that was present, and every zap
	 * flushes before it drops mmu_lock (so whoever zapped an earlier one
	 * had flushed before we could see it gone).  The caller may unmap the
	 * memory as soon as the DELETE returns.
	 */
	if (flush)
		kvm_flush_remote_tlbs_range(vm, flush_range_of_slot(slot));
	vmmu_write_unlock(&vm->mmu.mmu_lock);
	VM_STAT_INC(vm, slot_zaps);
}

/*
 * kvm_mmu_slot_apply_flags() - enabling dirty logging write-protects the
 * slot so the next write to each page faults and marks it dirty (unless
 * manual protect with INITIALLY_SET and a bitmap, where every page starts
 * dirty).
 */
void kvm_mmu_slot_apply_flags(struct vmmu_vm *vm, struct vmmu_memslot *old,
			      const struct vmmu_memslot *new, enum kvm_mr_change change)
{
	bool flush;

	lockdep_assert_held(&vm->slots_lock);
	/* The default page-table cap follows the slots (MOVE keeps npages). */
	if (change == KVM_MR_CREATE)
		vm->mmu.slot_pt_need += slot_pt_need(vm, new->npages);
	else if (change == KVM_MR_DELETE)
		vm->mmu.slot_pt_need -= slot_pt_need(vm, old->npages);
	kvm_mmu_update_pt_cap(vm);
	if (change != KVM_MR_FLAGS_ONLY || (new->flags & VMMU_MEM_READONLY))
		return;
	if (!(new->flags & VMMU_MEM_LOG_DIRTY_PAGES) || (old->flags & VMMU_MEM_LOG_DIRTY_PAGES))
		return;
	/*
	 * INITIALLY_SET marks every page dirty in the bitmap, so nothing needs
	 * protecting.  The dirty ring has no bitmap to mark: there the slot is
	 * write-protected as without the option (KVM's ring, too, reports the
	 * first write after enabling), or a page that an earlier fault, or a
	 * prefetch, mapped writable would be written without an entry.
	 */
	if ((vm->manual_dirty_log_protect & VMMU_DIRTY_LOG_MANUAL_PROTECT_ENABLE) &&
	    (vm->manual_dirty_log_protect & VMMU_DIRTY_LOG_INITIALLY_SET) &&
	    !kvm_dirty_ring_enabled(vm))
		return;
	vmmu_write_lock(&vm->mmu.mmu_lock);
	flush = __kvm_tdp_mmu_wrprot(vm, new->as_id, new->base_gfn, new->base_gfn + new->npages);
	/* Under the lock, as every zap: see kvm_arch_flush_shadow_memslot(). */
	if (flush)
		kvm_flush_remote_tlbs_range(vm, flush_range_of_slot(new));
	vmmu_write_unlock(&vm->mmu.mmu_lock);
}

/* ---------------------------------------------------------------------- */
/* The page fault                                                          */
/* ---------------------------------------------------------------------- */

struct kvm_page_fault {
	gfn_t gfn;
	bool write;
	bool exec;
	struct vmmu_memslot *slot;
	uint64_t mmu_seq;
	hva_t hva;
	pfn_t pfn;
	bool map_writable;
	bool host_writable;
	bool noslot;
	uint64_t gen;		/* generation of the set the lookup used */
	uint64_t mmio_gen;	/* its slice, for an MMIO SPTE */
	bool at_cap;		/* a table was needed at the page-table cap */
	gfn_t around_gfn;	/* the first gfn of @around */
	/* neighbours to prefetch, or NULL (the caller's, left uninitialised
	 * until kvm_fault_prefetch_range(): it is 0.5 KiB) */
	struct hostmem_around *around;
#ifdef VMMU_CHECKER
	uint64_t chk_epoch;	/* checker: its count of end()s at the snapshot */
#endif
};

#ifdef VMMU_CHECKER
#define fault_chk_epoch(f)		((f)->chk_epoch)
#define fault_set_chk_epoch(f, vm)	((f)->chk_epoch = vmmu_checker_fault_snapshot(vm))
#else
#define fault_chk_epoch(f)		((void)(f), 0ull)
#define fault_set_chk_epoch(f, vm)	((void)(f), (void)(vm))
#endif

/*
 * kvm_vcpu_gfn_to_memslot(): the vCPU's last-used slot if @slots' generation
 * still matches, else a tree search (not updating the VM-wide cache, to
 * avoid thrashing it between vCPUs).
 */
static struct vmmu_memslot *kvm_vcpu_gfn_to_memslot(struct vmmu_vcpu *vcpu,
						    struct vmmu_memslots *slots,
						    uint64_t gen, gfn_t gfn)
{
	struct vmmu_memslot *slot;

	if (gen != vcpu->last_used_slot_gen) {
		vcpu->last_used_slot = NULL;
		vcpu->last_used_slot_gen = gen;
	}
	slot = vcpu->last_used_slot;
	if (try_get_memslot(slot, gfn))
		return slot;
	slot = search_memslots(slots, gfn);
	if (slot)
		vcpu->last_used_slot = slot;
	return slot;
}

static bool is_page_fault_stale(struct vmmu_vm *vm, struct tdp_root *root,
				const struct kvm_page_fault *fault, uint32_t as_id,
				struct mn_inv_bucket *inv_bucket)
{
	if (root->mmu_valid_gen != vm->mmu.mmu_valid_gen)
		return true;	/* obsolete root */
	/* Variant fault-no-seq-recheck: install whatever the lookup found. */
	if (variant_is(FAULT_NO_SEQ_RECHECK))
		return false;
	return __mmu_invalidate_retry_gfn(vm, fault->mmu_seq, inv_bucket, as_id,
					  fault->gfn);
}

/*
 * The rights of the leaf SPTE a RAM fault installs, keeping the writable
 * invariant (spte.h): MW where the slot is not READONLY and the host page
 * is writable, W only where the fault decided to map writable.
 */
static unsigned int kvm_fault_leaf_flags(const struct kvm_page_fault *fault)
{
	unsigned int flags = 0;

	if (fault->host_writable) {
		flags |= LEAF_SPTE_HOST_WRITABLE;
		if (!(fault->slot->flags & VMMU_MEM_READONLY))
			flags |= LEAF_SPTE_MMU_WRITABLE;
	}
	if (fault->map_writable)
		flags |= LEAF_SPTE_WRITABLE;
	return flags;
}

/*
 * The neighbours a RAM fault may prefetch (VMMU_VM_NO_PREFETCH): the other
 * pages of its notifier granule that its slot maps, and those of adjacent
 * slots that continue it (prefetch_joins()).  One granule is one bucket,
 * so the fault's own invalidation check covers them all, and lies within
 * one leaf table.  A VMM that maps guest RAM as many small slots back to
 * back then faults once per granule, as with one slot.  Not for a
 * dirty-logged slot (as KVM: a prefetched SPTE must not grant a write that
 * nobody logs, and a read-only one there would only move the fault to the
 * write).
 */
#define MN_GRANULE_PAGES	(1u << MN_GRANULE_SHIFT)
_Static_assert(MN_GRANULE_PAGES <= HOSTMEM_AROUND_MAX && MN_GRANULE_PAGES <= 64,
	       "a granule fits struct hostmem_around and its 64-bit masks");
_Static_assert(PT64_ENT_PER_PAGE % MN_GRANULE_PAGES == 0, "a granule lies in one leaf table");

/*
 * May a prefetch run on from slot @lo (its last page) into slot @hi (its
 * first), both of the fault's set?  Only if the gfns and the host
 * addresses both continue, and both slots' SPTEs would be made as @fslot's
 * are (the same flags, no dirty log): the window stays one run of host
 * memory whose SPTEs kvm_tdp_mmu_prefetch() makes alike.  The flags are
 * compared whole, internal ones too: @fslot is not KVM_MEMSLOT_INVALID,
 * so no INVALID copy of a slot being deleted or moved is ever joined.  That
 * copy's SPTEs were zapped after the grace period that followed its
 * publication; a fault that starts after that zap and joined it would
 * install an SPTE that outlives the DELETE.  Each SPTE belongs to the slot
 * that maps its gfn in the set the fault read, inside the fault's RCU read
 * section: a DELETE or MOVE of that slot zaps it after the grace period, as
 * for the fault's own page.
 */
static bool prefetch_joins(const struct vmmu_memslot *fslot, const struct vmmu_memslot *lo,
			   const struct vmmu_memslot *hi)
{
	bool logged = lo->dirty_bitmap || hi->dirty_bitmap;
	uint32_t mask = ~0u;

	/* Variant prefetch-joins-invalid-slot: the user's flags alone. */
	if (variant_is(PREFETCH_JOINS_INVALID_SLOT))
		mask = ~KVM_MEMSLOT_INVALID;
	/* Variant prefetch-joins-logged-slot: dirty logging is not looked at. */
	if (variant_is(PREFETCH_JOINS_LOGGED_SLOT)) {
		mask = ~VMMU_MEM_LOG_DIRTY_PAGES;
		logged = false;
	}
	if (hi->base_gfn != lo->base_gfn + lo->npages || logged ||
	    (lo->flags & mask) != (fslot->flags & mask) || (hi->flags & mask) != (fslot->flags & mask))
		return false;
	/* Variant prefetch-joins-any-slot: the host addresses are not compared. */
	return hi->userspace_addr == lo->userspace_addr + (lo->npages << PAGE_SHIFT) ||
	       variant_is(PREFETCH_JOINS_ANY_SLOT);
}

static void kvm_fault_prefetch_range(const struct vmmu_vm *vm, struct vmmu_memslots *slots,
				     struct kvm_page_fault *fault, struct hostmem_around *around)
{
	const struct vmmu_memslot *slot = fault->slot, *s;
	gfn_t glo = fault->gfn & ~(gfn_t)(MN_GRANULE_PAGES - 1), ghi = glo + MN_GRANULE_PAGES;
	gfn_t lo = slot->base_gfn, hi = slot->base_gfn + slot->npages;
	int idx = slots->node_idx;
	struct avl_node *n;

	if ((vm->cfg.flags & VMMU_VM_NO_PREFETCH) || slot->dirty_bitmap)
		return;
	for (s = slot; lo > glo; s = gfn_node_to_slot(n, idx), lo = s->base_gfn) {
		n = avl_prev(&s->gfn_node[idx]);
		if (!n || !prefetch_joins(slot, gfn_node_to_slot(n, idx), s))
			break;
	}
	for (s = slot; hi < ghi; s = gfn_node_to_slot(n, idx), hi = s->base_gfn + s->npages) {
		n = avl_next(&s->gfn_node[idx]);
		if (!n || !prefetch_joins(slot, s, gfn_node_to_slot(n, idx)))
			break;
	}
	if (lo < glo)
		lo = glo;
	if (hi > ghi)
		hi = ghi;
	if (hi - lo < 2)
		return;
	/* The window is one run of host memory: its hva, from the fault's slot. */
	around->start = __gfn_to_hva_memslot(slot, lo);
	around->n = (unsigned int)(hi - lo);
	around->present = around->writable = 0;
	fault->around_gfn = lo;
	fault->around = around;
}

/*
 * kvm_tdp_mmu_prefetch() - after @fault installed its leaf in table @pt,
 * map the neighbours its backend found there (fault->around) into the
 * entries of @pt that are empty.  Present entries are some fault's, and an
 * MMIO SPTE (a stale one, from before the slot) is left for the next fault
 * there to replace.  The SPTEs are made as the fault's own would be
 * (kvm_fault_leaf_flags(), with the neighbour's host permission) but not
 * accessed: aging sees only what the guest touched, and the first access
 * sets the bit as a CPU's walk does (vcpu.c).  The fault's invalidation
 * check, made after the backend's lookup under this same mmu_lock hold,
 * covers them: they share its bucket.  Returns the SPTEs installed.
 * Context: mmu_lock (read); the fault's bucket entered and marked mapped.
 */
static unsigned int kvm_tdp_mmu_prefetch(struct vmmu_vcpu *vcpu, struct tdp_pt *pt,
					 const struct kvm_page_fault *fault)
{
	const struct hostmem_around *a = fault->around;
	bool readonly = fault->slot->flags & VMMU_MEM_READONLY;
	unsigned int done = 0;

	for (unsigned int i = 0; i < a->n; i++) {
		gfn_t gfn = fault->around_gfn + i;
		_Atomic uint64_t *sptep = &pt->spte[SPTE_INDEX(gfn, 1)];
		unsigned int flags = 0;
		uint64_t old = 0, new;

		if (gfn == fault->gfn || !(a->present & (1ull << i)) ||
		    atomic_load_explicit(sptep, memory_order_relaxed))
			continue;
		if (a->writable & (1ull << i)) {
			flags |= LEAF_SPTE_HOST_WRITABLE;
			if (!readonly)
				flags |= LEAF_SPTE_MMU_WRITABLE | LEAF_SPTE_WRITABLE;
		}
		new = make_leaf_spte(a->pfn[i], flags) & ~PT_ACCESSED_MASK;
		vmmu_checker_fault_install(vcpu->vm, vcpu->as_id, gfn,
					   a->start + ((hva_t)i << PAGE_SHIFT), fault->mmu_seq,
					   fault_chk_epoch(fault));
		if (atomic_compare_exchange_strong_explicit(sptep, &old, new, memory_order_release,
							    memory_order_relaxed)) {
			trace_kvm_mmu_set_spte(vcpu->as_id, gfn, old, new);
			done++;
		}
	}
	return done;
}

/* kvm_tdp_mmu_map(): install the leaf for @fault.  Context: mmu_lock (read). */
static int kvm_tdp_mmu_map(struct vmmu_vcpu *vcpu, struct tdp_root *root,
			   struct kvm_page_fault *fault)
{
	struct vmmu_vm *vm = vcpu->vm;
	_Atomic uint64_t *sptep;
	struct tdp_walk w;
	uint64_t old, new;

	lockdep_assert_held_read(&vm->mmu.mmu_lock);
	/* Down to the leaf, linking a new table wherever one is missing. */
	for (w = tdp_walk_start(root->pt, vm->mmu.root_level, fault->gfn); !tdp_walk_at_leaf(&w);
	     tdp_walk_down(&w, old)) {
		struct tdp_pt *child;

		sptep = tdp_walk_sptep(&w);
		old = atomic_load_explicit(sptep, memory_order_acquire);
		if (likely(is_shadow_present_pte(old)))
			continue;
		child = alloc_pt_capped(vm, &fault->at_cap);
		if (!child)
			return fault->at_cap ? RET_PF_RETRY : -ENOMEM;
		new = make_nonleaf_spte(child);
		/* Release: the zeroed table is visible before the link. */
		if (atomic_compare_exchange_strong_explicit(sptep, &old, new,
				memory_order_release, memory_order_acquire)) {
			old = new;
			continue;
		}
		free_pt(vm, child);
		/* Lost the race: go on through the winner's table, if any. */
		if (!is_shadow_present_pte(old))
			return RET_PF_RETRY;
	}

	sptep = tdp_walk_sptep(&w);
	old = atomic_load_explicit(sptep, memory_order_acquire);
	if (fault->noslot) {
		/*
		 * A present SPTE here was installed by a fault that found a slot
		 * in a newer memslot set than the one this fault looked up (a
		 * CREATE was in flight; a slot that is gone had its SPTEs
		 * zapped before its removal was published).  Replacing it with
		 * an MMIO SPTE would take a translation away behind the vCPUs'
		 * TLBs, and a later zap would find nothing present to flush
		 * for: retry with the current set instead.
		 */
		/* Variant noslot-overwrites-present (vmmu's own defect 2). */
		if (is_shadow_present_pte(old) && !variant_is(NOSLOT_OVERWRITES_PRESENT)) {
			uint64_t cur = atomic_load_explicit(
				&__kvm_memslots(vm, vcpu->as_id)->generation, memory_order_acquire);

			/* No set published since the lookup: the SPTE is stale. */
			if (WARN_ON_ONCE(cur == fault->gen))
				return -EIO;
			return RET_PF_RETRY;
		}
		new = make_mmio_spte(fault->gfn, ACC_ALL, fault->mmio_gen);
	} else {
		new = make_leaf_spte(fault->pfn, kvm_fault_leaf_flags(fault));
		/* Notifiers zap before the host page changes; a different pfn
		 * here would mean a missed invalidation. */
		if (is_shadow_present_pte(old) && WARN_ON_ONCE(spte_to_pfn(old) != fault->pfn))
			return -EIO;
		/*
		 * A fault only adds access.  A read fault that finds the SPTE
		 * writable (it lost its accessed bit to aging) keeps W: W was
		 * granted after the page was marked dirty, and only a
		 * write-protect under mmu_lock (write), which flushes, may take
		 * it away.  Dropping it here would leave vCPUs writing through
		 * writable TLB entries that the next GET_DIRTY_LOG, finding no
		 * writable SPTE, neither logs nor flushes (vmmu's defect 1).
		 */
		/*
		 * The same holds for the host's permission: the SPTE's HW/MW
		 * come from a fault that saw the page writable after ours
		 * resolved it read-only (a write fault's wp_page_reuse makes the
		 * host PTE writable without a notifier; taking it away always
		 * goes through a bracket, which zaps).  With range-precise retry
		 * no unrelated end() makes this fault retry first, so the race
		 * shows: keep them with W, or W would lose its HW.
		 */
		/* Variant read-fault-downgrades-w (vmmu's own defect 1). */
		if (is_shadow_present_pte(old) && !variant_is(READ_FAULT_DOWNGRADES_W))
			new |= old & (PT_WRITABLE_MASK | PT_DIRTY_MASK | SPTE_HOST_WRITABLE |
				      SPTE_MMU_WRITABLE);
		if (WARN_ON_ONCE(!spte_writable_invariants_ok(new)))
			return -EIO;
	}

	if (old == new)
		return RET_PF_SPURIOUS;
	/* Already mapped as needed (by another vCPU); the accessed bit must be
	 * set too, or this fault is what sets it (aging cleared it). */
	if (is_shadow_present_pte(old) && !fault->noslot && (old & PT_ACCESSED_MASK) &&
	    (is_writable_pte(old) || !fault->map_writable))
		return RET_PF_SPURIOUS;

	/*
	 * As make_spte(): a writable SPTE for a dirty-logged slot marks the
	 * page dirty under mmu_lock (read), so GET_DIRTY_LOG's take-and-
	 * write-protect (mmu_lock write) sees either both or neither.
	 */
	if (!fault->noslot && fault->map_writable && fault->slot->dirty_bitmap)
		kvm_vcpu_mark_page_dirty(vcpu, fault->slot, fault->gfn);

	sched_point(SP_FAULT_INSTALL);
	vmmu_checker_fault_install(vm, vcpu->as_id, fault->gfn, fault->noslot ? 0 : fault->hva,
				   fault->mmu_seq, fault_chk_epoch(fault));
	if (!atomic_compare_exchange_strong_explicit(sptep, &old, new, memory_order_release,
						     memory_order_relaxed))
		return RET_PF_RETRY;
	trace_kvm_mmu_set_spte(vcpu->as_id, fault->gfn, old, new);
	/*
	 * The leaf-SPTE flush rule (docs/LOCKING.md): a change that removes
	 * access from a present SPTE must be flushed before anyone relies on
	 * it; every zap that skips its flush because it found nothing present
	 * relies on it.  The fault path is built never to make such a change
	 * (above); if it ever does, flush here, under mmu_lock (read), which
	 * no vCPU inside an access bracket waits for.
	 */
	/* Variants read-fault-downgrades-w and noslot-overwrites-present
	 * (defects 1 and 2): the designs that had them had no safety net. */
	if (unlikely(leaf_spte_change_needs_tlb_flush(old, new)) &&
	    !variant_is(READ_FAULT_DOWNGRADES_W) && !variant_is(NOSLOT_OVERWRITES_PRESENT)) {
		WARN_ON_ONCE(1);
		VM_STAT_INC(vm, fault_flushes);
		kvm_flush_remote_tlbs(vm);
	}
	if (fault->noslot) {
		VCPU_STAT_INC(vcpu, mmio_sptes_created);
		return RET_PF_EMULATE;
	}
	if (fault->around && fault->around->present) {
		sched_point(SP_FAULT_INSTALL);
		VCPU_STAT_ADD(vcpu, pf_prefetched, kvm_tdp_mmu_prefetch(vcpu, w.pt, fault));
	}
	return RET_PF_FIXED;
}

/*
 * kvm_tdp_page_fault() - the full fault path (docs/KVM-SEMANTICS.md, "MMIO SPTEs ..." and
 * "MMU-notifier coherence").
 *
 * The generation is read from the same memslot set the lookup uses: the
 * rule of never dereferencing the memslots pointer twice, whose breach is
 * the 2013 "stale MMIO exit forever" bug (checker variant
 * gen-before-publish).
 */
int kvm_tdp_page_fault(struct vmmu_vcpu *vcpu, gfn_t gfn, uint32_t access_flags)
{
	struct vmmu_vm *vm = vcpu->vm;
	struct kvm_page_fault fault = {
		.gfn = gfn,
		.write = access_flags & VMMU_ACCESS_WRITE,
		.exec = access_flags & VMMU_ACCESS_FETCH,
	};
	struct hostmem_around around;	/* fault.around, when it prefetches */
	/* &vm->inv[bucket(as, gfn)]: the fault's invalidation counters */
	struct mn_inv_bucket *inv_bucket;
	bool intent, stale;
	struct vmmu_memslots *slots;
	struct tdp_root *root;
	uint64_t gen;
	int r;

	vmmu_rcu_read_lock();
	slots = __kvm_memslots(vm, vcpu->as_id);
	sched_point(SP_FAULT_SLOTS_DEREF);
	gen = atomic_load_explicit(&slots->generation, memory_order_acquire);
	sched_point(SP_FAULT_GEN_READ);

	/*
	 * Snapshot of (as, gfn)'s invalidation counters before the lookup
	 * and the hva->pfn resolution; pairs with the release bumps in
	 * kvm_mmu_invalidate_end().  The fault stays in this RCU read section
	 * until it installs (model/notifier_rp.pml: a MOVE's zap of the old
	 * location waits for it).
	 */
	inv_bucket = mn_bucket(vm, vcpu->as_id, gfn);
	fault.mmu_seq = mmu_invalidate_read(vm, inv_bucket);
	fault_set_chk_epoch(&fault, vm);
	sched_point(SP_FAULT_SEQ_SNAPSHOT);

	fault.slot = gfn <= vm->max_gfn ? kvm_vcpu_gfn_to_memslot(vcpu, slots, gen, gfn) : NULL;
	sched_point(SP_FAULT_SLOT_LOOKUP);

	if (fault.slot && (fault.slot->flags & KVM_MEMSLOT_INVALID)) {
		VCPU_STAT_INC(vcpu, invalid_slot_retries);
		/* The caller waits for the update to publish its next set. */
		vcpu->retry_invalid_slot = true;
		vcpu->retry_gen = gen;
		r = RET_PF_RETRY;
		goto out;
	}

	/*
	 * Variants gen-before-publish and mmio-cache-ignores-in-
	 * progress: the generation is read again, from whatever
	 * set is published now, after the lookup used the one loaded above.
	 */
	if (variant_is(GEN_BEFORE_PUBLISH) || variant_is(MMIO_CACHE_IGNORES_IN_PROGRESS)) {
		uint64_t gen2 = atomic_load_explicit(&__kvm_memslots(vm, vcpu->as_id)->generation,
						     memory_order_acquire);

		sched_point(SP_FAULT_GEN_READ);
		if (!fault.slot && variant_is(MMIO_CACHE_IGNORES_IN_PROGRESS))
			vcpu_cache_mmio_info(vcpu, gfn, ACC_ALL, gen2);
		if (variant_is(GEN_BEFORE_PUBLISH))
			gen = gen2;
	}
	if (!fault.slot) {
		/* kvm_handle_noslot_fault() */
		if (!variant_is(MMIO_CACHE_IGNORES_IN_PROGRESS))
			vcpu_cache_mmio_info(vcpu, gfn, ACC_ALL, gen);
		if (gfn > vm->max_gfn || (gen & VMMU_MEMSLOT_GEN_UPDATE_IN_PROGRESS)) {
			/* No SPTE can hold it, or no tag is valid: exit uncached. */
			r = RET_PF_EMULATE;
			goto out;
		}
		fault.noslot = true;
		fault.gen = gen;
		fault.mmio_gen = gen & vm->mmio_gen_mask;
	} else {
		if (fault.write && (fault.slot->flags & VMMU_MEM_READONLY)) {
			/* KVM_PFN_ERR_RO_FAULT: the write is emulated as MMIO. */
			r = RET_PF_EMULATE;
			goto out;
		}
		fault.hva = __gfn_to_hva_memslot(fault.slot, gfn);
		if (mmu_invalidate_retry_gfn_unsafe(vm, fault.mmu_seq, vcpu->as_id, gfn)) {
			VCPU_STAT_INC(vcpu, notifier_retries);
			vcpu->retry_invalidate = true;
			vcpu->retry_seq = fault.mmu_seq;
			r = RET_PF_RETRY;
			goto out;
		}
		kvm_fault_prefetch_range(vm, slots, &fault, &around);
		r = vm->hostmem->faultin(vm, fault.hva, fault.write, &fault.pfn,
					 &fault.host_writable,
					 fault.around);
		sched_point(SP_FAULT_PFN_RESOLVED);
		/*
		 * Also after a failed lookup: a page found missing while an
		 * invalidation covers it, or after one ended, may be one the
		 * host is replacing inside a bracket.  The caller announced a
		 * transient change, so wait for end() and look again; -EFAULT
		 * only for memory that is gone with no invalidation racing.
		 * The fence orders the lookup (a system call for the direct
		 * backend) before the re-check, which then takes mmu_lock to
		 * see the open brackets.
		 */
		if (r)
			smp_mb();
		if (r ? mmu_invalidate_retry_gfn_locked(vm, fault.mmu_seq, vcpu->as_id, gfn) :
			mmu_invalidate_retry_gfn_unsafe(vm, fault.mmu_seq, vcpu->as_id, gfn)) {
			VCPU_STAT_INC(vcpu, notifier_retries);
			vcpu->retry_invalidate = true;
			vcpu->retry_seq = fault.mmu_seq;
			r = RET_PF_RETRY;
			goto out;
		}
		if (r)
			goto out;
		/*
		 * Map writable on any fault when the slot allows it, except
		 * while dirty logging: then only a write maps W, after the page
		 * has been marked dirty (so GET_DIRTY_LOG's write-protect
		 * cannot miss it).
		 */
		if (fault.write && !fault.host_writable) {
			/* The host page is read-only: as KVM, the access faults. */
			r = -EFAULT;
			goto out;
		}
		if (fault.slot->flags & VMMU_MEM_READONLY) {
			fault.map_writable = false;
		} else if (fault.slot->dirty_bitmap) {
			fault.map_writable = fault.write && fault.host_writable;
			/* The push this write needs must not go past the soft limit. */
			if (fault.map_writable && unlikely(kvm_dirty_ring_enabled(vm)) &&
			    kvm_dirty_ring_vcpu_soft_full(vcpu)) {
				r = RET_PF_DIRTY_RING_FULL;
				goto out;
			}
		} else {
			fault.map_writable = fault.host_writable;
		}
	}

	/*
	 * A RAM fault enters its bucket before its locked check and leaves
	 * it after the install: a start() over the bucket that would take no
	 * mmu_lock for write reads the count and zaps if it is up
	 * (notifier.c, mn_bracket_needs_zap()).
	 */
	intent = !fault.noslot;
	/* Variant fault-intent-after-check: entered after the check. */
	if (intent && !variant_is(FAULT_INTENT_AFTER_CHECK)) {
		mn_bucket_enter(inv_bucket);
		sched_point(SP_FAULT_INTENT);
	}
	vmmu_read_lock(&vm->mmu.mmu_lock);
	root = atomic_load_explicit(&vm->mmu.root[vcpu->as_id], memory_order_relaxed);
	stale = is_page_fault_stale(vm, root, &fault, vcpu->as_id, inv_bucket);
	if (intent && variant_is(FAULT_INTENT_AFTER_CHECK)) {
		sched_point(SP_FAULT_INTENT);
		mn_bucket_enter(inv_bucket);
	}
	/*
	 * The neighbours share the bucket, so its sequence covers them too,
	 * but not the check for open brackets, which looks at the gfn alone:
	 * with a bracket open over one of them, map only the page.  (One that
	 * opens after our check saw the bucket entered and zaps under the write
	 * lock, after this install.)
	 */
	/* Variant prefetch-ignores-open-brackets: the gfn's check only. */
	if (!stale && fault.around && fault.around->present &&
	    unlikely(mn_bucket_open(vm, inv_bucket)) &&
	    mn_gfn_touched(vm, vcpu->as_id, fault.around_gfn,
			   fault.around_gfn + fault.around->n) &&
	    !variant_is(PREFETCH_IGNORES_OPEN_BRACKETS))
		fault.around->present = 0;
	if (!stale && !fault.noslot)
		mn_bucket_mark_mapped(inv_bucket);
	if (stale) {
		if (!fault.noslot) {
			VCPU_STAT_INC(vcpu, notifier_retries);
			vcpu->retry_invalidate = true;
			vcpu->retry_seq = fault.mmu_seq;
		}
		r = RET_PF_RETRY;
	} else {
		r = kvm_tdp_mmu_map(vcpu, root, &fault);
	}
	vmmu_read_unlock(&vm->mmu.mmu_lock);
	if (intent)
		mn_bucket_leave(inv_bucket);
out:
	vmmu_rcu_read_unlock();
	/* At the page-table cap: make room, then retry (no lock held here). */
	if (unlikely(fault.at_cap))
		kvm_mmu_reclaim_page_tables(vm);
	return r;
}
