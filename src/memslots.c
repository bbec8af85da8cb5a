// SPDX-License-Identifier: MIT
/*
 * Memory slots and the generation protocol.
 *
 * Each address space has two memslot sets that share slot objects: every
 * slot at rest is linked into both, through its gfn_node[idx] and
 * hva_node[idx].  An update edits the inactive set, swaps it in (publishing
 * it with RCU), waits for the readers of the old one, then applies the same
 * edit to the now-inactive set.  Only the slot being changed is ever copied,
 * so an update costs O(log n) plus one or two grace periods.
 *
 * The generation word of a set (include/vmmu.h draws it) advances on every
 * swap by nr_as, with bit 63 set in between, following docs/KVM-SEMANTICS.md, "Generation
 * arithmetic".
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_hooks.h"
#include "hostmem.h"
#include "memslots.h"
#include "mmu.h"
#include "notifier.h"
#include "vm.h"

/* x86-64 with 4-level paging: the highest user address plus one, minus a page. */
#define TASK_SIZE_MAX	((1ull << 47) - PAGE_SIZE)

_Static_assert(VMMU_MEMSLOT_GEN_UPDATE_IN_PROGRESS == (1ull << 63), "generation word layout");
_Static_assert(VMMU_MAX_ADDRESS_SPACES == 2, "nr_as is 1 or 2: a power of two");

static struct vmmu_memslots *kvm_get_inactive_memslots(struct vmmu_vm *vm, uint32_t as_id)
{
	struct vmmu_memslots *active = __kvm_memslots(vm, as_id);

	return &vm->__memslots[as_id][active->node_idx ^ 1];
}

struct vmmu_memslot *id_to_memslot(struct vmmu_memslots *slots, uint16_t id)
{
	struct vmmu_memslot **chunk = slots->id_chunk[id >> MEMSLOT_ID_CHUNK_SHIFT];

	return chunk ? chunk[id & (MEMSLOT_ID_CHUNK - 1)] : NULL;
}

/* Allocate the id chunk for @id in both sets of @as_id (before any change). */
static int memslot_id_chunk_prepare(struct vmmu_vm *vm, uint32_t as_id, uint16_t id)
{
	unsigned int c = id >> MEMSLOT_ID_CHUNK_SHIFT;

	for (int j = 0; j < 2; j++) {
		struct vmmu_memslots *slots = &vm->__memslots[as_id][j];

		if (slots->id_chunk[c])
			continue;
		slots->id_chunk[c] = calloc(MEMSLOT_ID_CHUNK, sizeof(struct vmmu_memslot *));
		if (!slots->id_chunk[c])
			return -ENOMEM;
	}
	return 0;
}

static void id_set(struct vmmu_memslots *slots, uint16_t id, struct vmmu_memslot *slot)
{
	slots->id_chunk[id >> MEMSLOT_ID_CHUNK_SHIFT][id & (MEMSLOT_ID_CHUNK - 1)] = slot;
}

/* Comparators for the gfn tree of a set using node index 0 or 1. */
static int gfn_node_cmp0(const struct avl_node *a, const struct avl_node *b)
{
	gfn_t ga = gfn_node_to_slot((struct avl_node *)a, 0)->base_gfn;
	gfn_t gb = gfn_node_to_slot((struct avl_node *)b, 0)->base_gfn;

	return ga < gb ? -1 : ga > gb;
}

static int gfn_node_cmp1(const struct avl_node *a, const struct avl_node *b)
{
	gfn_t ga = gfn_node_to_slot((struct avl_node *)a, 1)->base_gfn;
	gfn_t gb = gfn_node_to_slot((struct avl_node *)b, 1)->base_gfn;

	return ga < gb ? -1 : ga > gb;
}

/*
 * kvm_replace_memslot() - replace @old by @new in the inactive set of their
 * address space.  @old NULL: insert; @new NULL: remove.
 * Context: slots_lock; no reader can see the inactive set.
 */
/* How many nodes of @t intersect host range [start, last]? */
static uint32_t hva_overlaps(const struct itree_root *t, uint64_t start, uint64_t last)
{
	uint32_t k = 0;

	for (struct itree_node *n = itree_iter_first(t, start, last); n;
	     n = itree_iter_next(n, start, last))
		k++;
	return k;
}

static bool hva_nodes_meet(const struct avl_node *a, const struct itree_node *n)
{
	const struct itree_node *m = a ? container_of(a, const struct itree_node, avl) : NULL;

	return m && m->start <= n->last && n->start <= m->last;
}

/*
 * @n was just inserted into @slots' host-range tree: count the nodes it
 * meets into nr_hva_overlaps.  While no two ranges overlapped, only @n's
 * neighbours in start order can meet it (every node before its predecessor
 * ends before the predecessor starts, every node after its successor
 * starts after the successor), and they sit next to it in the tree: the
 * common case costs no second descent.
 */
static void hva_count_inserted(struct vmmu_memslots *slots, struct itree_node *n)
{
	if (!slots->nr_hva_overlaps && !hva_nodes_meet(avl_prev(&n->avl), n) &&
	    !hva_nodes_meet(avl_next(&n->avl), n))
		return;
	/* the tree's count includes @n itself */
	slots->nr_hva_overlaps += hva_overlaps(&slots->hva_tree, n->start, n->last) - 1;
}

static void kvm_replace_memslot(struct vmmu_vm *vm, struct vmmu_memslot *old,
				struct vmmu_memslot *new)
{
	uint32_t as_id = old ? old->as_id : new->as_id;
	struct vmmu_memslots *slots = kvm_get_inactive_memslots(vm, as_id);
	int idx = slots->node_idx;

	lockdep_assert_held(&vm->slots_lock);
	slots->mn_hva_hint = NULL;
	if (old) {
		id_set(slots, old->id, NULL);
		itree_remove(&slots->hva_tree, &old->hva_node[idx]);
		/* removing a range from disjoint ones leaves them disjoint */
		if (slots->nr_hva_overlaps)
			slots->nr_hva_overlaps -= hva_overlaps(&slots->hva_tree,
							       old->hva_node[idx].start,
							       old->hva_node[idx].last);
		if (atomic_load_explicit(&slots->last_used_slot, memory_order_relaxed) == old)
			atomic_store_explicit(&slots->last_used_slot, new, memory_order_relaxed);
		slots->nr_slots--;
		if (!new) {
			avl_erase(&slots->gfn_tree, &old->gfn_node[idx], NULL);
			return;
		}
	}

	new->hva_node[idx].start = new->userspace_addr;
	new->hva_node[idx].last = new->userspace_addr + (new->npages << PAGE_SHIFT) - 1;
	id_set(slots, new->id, new);
	itree_insert(&slots->hva_tree, &new->hva_node[idx]);
	hva_count_inserted(slots, &new->hva_node[idx]);
	slots->nr_slots++;

	if (old && old->base_gfn == new->base_gfn) {
		avl_replace(&slots->gfn_tree, &old->gfn_node[idx], &new->gfn_node[idx], NULL);
	} else {
		if (old)
			avl_erase(&slots->gfn_tree, &old->gfn_node[idx], NULL);
		avl_insert(&slots->gfn_tree, &new->gfn_node[idx], idx ? gfn_node_cmp1 : gfn_node_cmp0,
			   NULL);
	}
}

/*
 * kvm_publish_memslots() - tag the inactive set of @as_id with @tag and
 * publish it, its open-bracket extension done under the locks that start()
 * and end() change the bracket list under.  Context: slots_lock.
 */
static void kvm_publish_memslots(struct vmmu_vm *vm, uint32_t as_id, uint64_t tag)
{
	struct vmmu_memslots *slots = kvm_get_inactive_memslots(vm, as_id);
	uint64_t calls;
	bool held;

	lockdep_assert_held(&vm->slots_lock);
	atomic_store_explicit(&slots->generation, tag, memory_order_relaxed);
	sched_point(SP_MEMSLOT_GEN_IP);

	/*
	 * docs/INVARIANTS.md, 2: a publish extends the open brackets.  No
	 * wait for them (continuous brackets would starve the update): every
	 * open bracket gains the new set's ranges in its host range, so faults
	 * there retry until its end(), and that end() bumps them.  Both locks:
	 * start() and end() change the bracket list under the first.  Ahead
	 * of them: start() and end() let a waiting publish take the lock
	 * first (mn_lock_notifier()), so an update waits for the one bracket
	 * step in progress, not for a storm.
	 */
	/*
	 * The count is read after the flag is up (seq_cst, so not before it):
	 * a publisher preempted before raising it has not arrived yet, and
	 * the calls the storm makes meanwhile are not overtakes.
	 */
	atomic_fetch_add_explicit(&vm->mn_publish_waiting, 1, memory_order_seq_cst);
	calls = atomic_load_explicit(&vm->mn_lock_calls, memory_order_seq_cst);
	held = vmmu_mutex_is_held(&vm->mn_invalidate_lock);
	vmmu_mutex_lock(&vm->mn_invalidate_lock);
	atomic_fetch_sub_explicit(&vm->mn_publish_waiting, 1, memory_order_relaxed);
	/* The calls that took the lock after we read the count went first. */
	calls = atomic_load_explicit(&vm->mn_lock_calls, memory_order_relaxed) - calls;
	if (held || calls) {
		VM_STAT_INC_LOCKED(vm, publish_waits);
		VM_STAT_ADD_LOCKED(vm, publish_overtaken, calls);
	}
	vmmu_write_lock(&vm->mmu.mmu_lock);
	kvm_mmu_invalidate_extend(vm, as_id, slots);
	/* Release: pairs with the acquire in __kvm_memslots(). */
	vmmu_rcu_assign_pointer(vm->memslots[as_id], slots);
	vmmu_write_unlock(&vm->mmu.mmu_lock);
	vmmu_mutex_unlock(&vm->mn_invalidate_lock);
	sched_point(SP_MEMSLOT_PUBLISH);
	VM_STAT_INC_LOCKED(vm, memslot_swaps);
}

/*
 * kvm_swap_active_memslots() - publish the inactive set of @as_id
 *
 *	updater                              vCPU fault
 *	-------                              ----------
 *	inactive->gen = gen | IN_PROGRESS
 *	extend open brackets (no wait)
 *	publish inactive (release)  ------>  slots = rcu_dereference (acquire)
 *	                                     gen = slots->generation
 *	synchronize_rcu             <------  (read section ends)
 *	zap on MMIO-generation wrap
 *	slots->gen = gen + nr_as
 *
 * A fault that loads the new set sees IN_PROGRESS and caches nothing (no MMIO
 * SPTE, no MMIO-cache fill); a fault that loads the old set reads the old
 * generation, which no longer matches once the final store is made, and
 * synchronize_rcu guarantees it has finished before that store.
 *
 * Context: slots_lock.
 */
void kvm_swap_active_memslots(struct vmmu_vm *vm, uint32_t as_id)
{
	struct vmmu_memslots *slots = kvm_get_inactive_memslots(vm, as_id);
	uint64_t gen = atomic_load_explicit(&__kvm_memslots(vm, as_id)->generation,
					    memory_order_relaxed);

	WARN_ON_ONCE(gen & VMMU_MEMSLOT_GEN_UPDATE_IN_PROGRESS);
	lockdep_assert_held(&vm->slots_lock);
	/*
	 * Variant gen-before-publish (2013): no in-progress flag;
	 * the new set carries its final generation before it is published.
	 */
	if (variant_is(GEN_BEFORE_PUBLISH))
		kvm_publish_memslots(vm, as_id, gen + vm->nr_as);
	else
		kvm_publish_memslots(vm, as_id, gen | VMMU_MEMSLOT_GEN_UPDATE_IN_PROGRESS);

	vmmu_synchronize_rcu();
	sched_point(SP_MEMSLOT_SYNC);

	gen = (gen & ~VMMU_MEMSLOT_GEN_UPDATE_IN_PROGRESS) + vm->nr_as;
	kvm_arch_memslots_updated(vm, gen);
	/*
	 * Release, pairing with the acquire loads of the generation on the
	 * fast paths: whoever sees the final value also sees the zaps above.
	 * (Variant gen-before-publish: the generation was final all along.)
	 */
	if (!variant_is(GEN_BEFORE_PUBLISH))
		atomic_store_explicit(&slots->generation, gen, memory_order_release);
	sched_point(SP_MEMSLOT_GEN_FINAL);
	trace_memslot_update(as_id, gen);
}

static void kvm_activate_memslot(struct vmmu_vm *vm, struct vmmu_memslot *old,
				 struct vmmu_memslot *new)
{
	uint32_t as_id = old ? old->as_id : new->as_id;

	kvm_swap_active_memslots(vm, as_id);
	/* Bring the now-inactive (previously active) set in sync. */
	kvm_replace_memslot(vm, old, new);
}

static void kvm_copy_memslot(struct vmmu_memslot *dst, const struct vmmu_memslot *src)
{
	dst->base_gfn = src->base_gfn;
	dst->npages = src->npages;
	dst->dirty_bitmap = src->dirty_bitmap;
	dst->userspace_addr = src->userspace_addr;
	dst->flags = src->flags;
	dst->id = src->id;
	dst->as_id = src->as_id;
}

/*
 * Publish an INVALID copy of @old, then zap @old's translations.  From the
 * swap on, a fault that finds the slot retries instead of mapping it or
 * caching "no slot here" (docs/INVARIANTS.md, 6).
 */
static void kvm_invalidate_memslot(struct vmmu_vm *vm, struct vmmu_memslot *old,
				   struct vmmu_memslot *invalid_slot)
{
	kvm_copy_memslot(invalid_slot, old);
	invalid_slot->flags |= KVM_MEMSLOT_INVALID;
	kvm_replace_memslot(vm, old, invalid_slot);
	kvm_swap_active_memslots(vm, old->as_id);
	kvm_arch_flush_shadow_memslot(vm, old);
}

static _Atomic uint64_t *kvm_alloc_dirty_bitmap(uint64_t npages)
{
	return calloc(2 * dirty_bitmap_words(npages), sizeof(uint64_t));
}

static int kvm_prepare_memory_region(struct vmmu_vm *vm, const struct vmmu_memslot *old,
				     struct vmmu_memslot *new, enum kvm_mr_change change)
{
	if (change == KVM_MR_DELETE)
		return 0;
	if (!(new->flags & VMMU_MEM_LOG_DIRTY_PAGES)) {
		new->dirty_bitmap = NULL;
	} else if (old && old->dirty_bitmap) {
		new->dirty_bitmap = old->dirty_bitmap;
	} else {
		new->dirty_bitmap = kvm_alloc_dirty_bitmap(new->npages);
		if (!new->dirty_bitmap)
			return -ENOMEM;
		if (vm->manual_dirty_log_protect & VMMU_DIRTY_LOG_INITIALLY_SET) {
			/*
			 * Pages 0..npages-1 dirty: whole words, the last one
			 * masked.  The bitmap is not published yet, so plain
			 * (relaxed) stores do.
			 */
			uint64_t full = new->npages / 64, rem = new->npages % 64;

			for (uint64_t i = 0; i < full; i++)
				atomic_store_explicit(&new->dirty_bitmap[i], ~0ull,
						      memory_order_relaxed);
			if (rem)
				atomic_store_explicit(&new->dirty_bitmap[full], (1ull << rem) - 1,
						      memory_order_relaxed);
		}
	}
	return 0;
}

static void kvm_commit_memory_region(struct vmmu_vm *vm, struct vmmu_memslot *old,
				     const struct vmmu_memslot *new, enum kvm_mr_change change)
{
	bool old_log = old && (old->flags & VMMU_MEM_LOG_DIRTY_PAGES);
	bool new_log = new && (new->flags & VMMU_MEM_LOG_DIRTY_PAGES);

	if (change == KVM_MR_DELETE)
		vm->nr_memslot_pages -= old->npages;
	else if (change == KVM_MR_CREATE)
		vm->nr_memslot_pages += new->npages;

	if (change == KVM_MR_FLAGS_ONLY && old_log != new_log)
		vm->nr_memslots_dirty_logging += new_log ? 1 : -1;
	else if (change == KVM_MR_CREATE && new_log)
		vm->nr_memslots_dirty_logging++;
	else if (change == KVM_MR_DELETE && old_log)
		vm->nr_memslots_dirty_logging--;

	kvm_mmu_slot_apply_flags(vm, old, new, change);

	/* @old is unreachable from both sets and a grace period has passed. */
	switch (change) {
	case KVM_MR_CREATE:
		break;
	case KVM_MR_DELETE:
		free(old->dirty_bitmap);
		free(old);
		break;
	case KVM_MR_MOVE:
	case KVM_MR_FLAGS_ONLY:
		if (!new->dirty_bitmap)
			free(old->dirty_bitmap);
		free(old);
		break;
	}
}

/*
 * kvm_set_memslot() - carry out a validated change.  CREATE and FLAGS_ONLY
 * take one swap; DELETE and MOVE take two (INVALID copy first).
 * Context: slots_lock.
 */
static int kvm_set_memslot(struct vmmu_vm *vm, struct vmmu_memslot *old,
			   struct vmmu_memslot *new, enum kvm_mr_change change)
{
	struct vmmu_memslot *invalid_slot = NULL;
	int r;

	lockdep_assert_held(&vm->slots_lock);
	if (change == KVM_MR_DELETE || change == KVM_MR_MOVE) {
		invalid_slot = calloc(1, sizeof(*invalid_slot));
		if (!invalid_slot)
			return -ENOMEM;
		kvm_invalidate_memslot(vm, old, invalid_slot);
	}

	r = kvm_prepare_memory_region(vm, old, new, change);
	if (r) {
		if (invalid_slot) {
			/* Put @old back: a further swap, the generation moves on. */
			kvm_activate_memslot(vm, invalid_slot, old);
			free(invalid_slot);
		}
		return r;
	}

	switch (change) {
	case KVM_MR_CREATE:
		kvm_replace_memslot(vm, NULL, new);
		kvm_activate_memslot(vm, NULL, new);
		break;
	case KVM_MR_DELETE:
		kvm_replace_memslot(vm, old, NULL);
		kvm_activate_memslot(vm, invalid_slot, NULL);
		break;
	case KVM_MR_MOVE:
		kvm_replace_memslot(vm, old, new);
		kvm_activate_memslot(vm, invalid_slot, new);
		break;
	case KVM_MR_FLAGS_ONLY:
		kvm_replace_memslot(vm, old, new);
		kvm_activate_memslot(vm, old, new);
		break;
	}
	free(invalid_slot);
	kvm_commit_memory_region(vm, old, new, change);
	VM_STAT_INC_LOCKED(vm, memslot_updates);
	return 0;
}

/* First slot of @slots whose gfn range intersects [start, end), in gfn order. */
static struct vmmu_memslot *memslot_first_in_range(struct vmmu_memslots *slots, gfn_t start)
{
	struct avl_node *n = slots->gfn_tree.node, *best = NULL;
	int idx = slots->node_idx;
	struct vmmu_memslot *s;

	/* Last slot with base_gfn <= start, or the first one after it. */
	while (n) {
		s = gfn_node_to_slot(n, idx);
		if (s->base_gfn <= start) {
			best = n;
			n = n->right;
		} else {
			n = n->left;
		}
	}
	if (best) {
		s = gfn_node_to_slot(best, idx);
		if (start - s->base_gfn < s->npages)
			return s;
		best = avl_next(best);
	} else {
		best = avl_first(&slots->gfn_tree);
	}
	return best ? gfn_node_to_slot(best, idx) : NULL;
}

static bool kvm_check_memslot_overlap(struct vmmu_memslots *slots, uint16_t id,
				      gfn_t start, gfn_t end)
{
	struct vmmu_memslot *s = memslot_first_in_range(slots, start);
	int idx = slots->node_idx;

	while (s && s->base_gfn < end) {
		if (s->id != id)
			return true;
		struct avl_node *n = avl_next(&s->gfn_node[idx]);

		s = n ? gfn_node_to_slot(n, idx) : NULL;
	}
	return false;
}

static bool access_ok(uint64_t addr, uint64_t size)
{
	return size <= TASK_SIZE_MAX && addr <= TASK_SIZE_MAX - size;
}

/* A validated change: what kvm_set_memslot() or a batch carries out. */
struct mr_change {
	struct vmmu_memslot *old, *new;
	struct vmmu_memslot *invalid;	/* batch: INVALID copy of the slot at rest */
	enum kvm_mr_change change;
};

static int mr_einval(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* -EINVAL, with its cause as the thread's last error. */
static int mr_einval(const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vmmu_set_last_error("%s", msg);
	return -EINVAL;
}

/*
 * kvm_check_memory_region() - KVM_SET_USER_MEMORY_REGION's checks, in KVM's
 * order, against the active set of the region's address space or, for a
 * batch (@scratch), its inactive set, which then holds the state the
 * earlier entries produce.  @nr_pages: the pages all slots of that state
 * hold.  On success *@c holds the change, with a new, unpublished slot
 * object (no dirty bitmap yet) unless it is a DELETE.
 * Context: slots_lock.
 * Return: 0, 1 for a modification that changes nothing, or -errno.
 */
static int kvm_check_memory_region(struct vmmu_vm *vm,
				   const struct vmmu_userspace_memory_region *mem, bool scratch,
				   uint64_t nr_pages, struct mr_change *c)
{
	struct vmmu_memslot *old, *new;
	uint32_t as_id = mem->slot >> 16;
	uint16_t id = (uint16_t)mem->slot;
	struct vmmu_memslots *slots;
	enum kvm_mr_change change;
	uint64_t npages;
	gfn_t base_gfn;
	int r;

	lockdep_assert_held(&vm->slots_lock);
	if (mem->flags & ~(VMMU_MEM_LOG_DIRTY_PAGES | VMMU_MEM_READONLY))
		return mr_einval("flags 0x%x: unknown bits", mem->flags);
	if (mem->memory_size & (PAGE_SIZE - 1))
		return mr_einval("memory_size 0x%" PRIx64 " is not a multiple of the page size",
				 mem->memory_size);
	if (mem->guest_phys_addr & (PAGE_SIZE - 1))
		return mr_einval("guest_phys_addr 0x%" PRIx64 " is not page aligned",
				 mem->guest_phys_addr);
	if (mem->userspace_addr & (PAGE_SIZE - 1))
		return mr_einval("userspace_addr 0x%" PRIx64 " is not page aligned",
				 mem->userspace_addr);
	if (!access_ok(mem->userspace_addr, mem->memory_size))
		return mr_einval("userspace_addr range [0x%" PRIx64 ", +0x%" PRIx64 ") leaves the "
				 "user half of the address space", mem->userspace_addr,
				 mem->memory_size);
	if (as_id >= vm->nr_as)
		return mr_einval("address space %u out of range (the VM has %u)", as_id, vm->nr_as);
	if (id >= VMMU_MEM_SLOTS_NUM)
		return mr_einval("slot id %u out of range", id);
	if (mem->guest_phys_addr + mem->memory_size < mem->guest_phys_addr)
		return mr_einval("guest physical range [0x%" PRIx64 ", +0x%" PRIx64 ") wraps",
				 mem->guest_phys_addr, mem->memory_size);
	npages = mem->memory_size >> PAGE_SHIFT;
	if (npages > VMMU_MEM_MAX_NR_PAGES)
		return mr_einval("memory_size 0x%" PRIx64 ": more than 2^31 - 1 pages",
				 mem->memory_size);

	slots = scratch ? kvm_get_inactive_memslots(vm, as_id) : __kvm_memslots(vm, as_id);
	old = id_to_memslot(slots, id);
	*c = (struct mr_change){ .old = old };

	if (!mem->memory_size) {
		if (!old || !old->npages)
			return mr_einval("delete of slot %u of address space %u, which does not "
					 "exist", id, as_id);
		if (WARN_ON_ONCE(nr_pages < old->npages))
			return -EIO;
		c->change = KVM_MR_DELETE;
		return 0;
	}

	base_gfn = mem->guest_phys_addr >> PAGE_SHIFT;

	if (!old || !old->npages) {
		change = KVM_MR_CREATE;
		if (nr_pages + npages < nr_pages)
			return mr_einval("the VM's total of slot pages would overflow");
	} else {
		/* Only guest_phys_addr and LOG_DIRTY_PAGES of a slot may change. */
		if (mem->userspace_addr != old->userspace_addr)
			return mr_einval("slot %u exists: its userspace_addr cannot change", id);
		if (npages != old->npages)
			return mr_einval("slot %u exists: its memory_size cannot change", id);
		if ((mem->flags ^ old->flags) & VMMU_MEM_READONLY)
			return mr_einval("slot %u exists: its READONLY flag cannot change", id);
		if (base_gfn != old->base_gfn)
			change = KVM_MR_MOVE;
		else if (mem->flags != old->flags)
			change = KVM_MR_FLAGS_ONLY;
		else
			return 1;
	}

	if ((change == KVM_MR_CREATE || change == KVM_MR_MOVE) &&
	    kvm_check_memslot_overlap(slots, id, base_gfn, base_gfn + npages)) {
		vmmu_set_last_error("guest physical range [0x%" PRIx64 ", +0x%" PRIx64 ") "
				    "overlaps another slot of address space %u",
				    mem->guest_phys_addr, mem->memory_size, as_id);
		return -EEXIST;
	}

	/* x86's kvm_arch_prepare_memory_region: the TDP table must reach it. */
	if ((change == KVM_MR_CREATE || change == KVM_MR_MOVE) &&
	    base_gfn + npages - 1 > vm->max_gfn)
		return mr_einval("guest physical range ends beyond max_gpa_bits (gfn 0x%" PRIx64
				 ")", vm->max_gfn);

	if (change == KVM_MR_CREATE) {
		r = memslot_id_chunk_prepare(vm, as_id, id);
		if (r)
			return r;
	}

	new = calloc(1, sizeof(*new));
	if (!new)
		return -ENOMEM;
	new->as_id = as_id;
	new->id = id;
	new->base_gfn = base_gfn;
	new->npages = npages;
	new->flags = mem->flags;
	new->userspace_addr = mem->userspace_addr;
	c->new = new;
	c->change = change;
	return 0;
}

/* kvm_set_memory_region(): validation in KVM's order, then the change. */
static int __kvm_set_memory_region(struct vmmu_vm *vm,
				   const struct vmmu_userspace_memory_region *mem)
{
	struct mr_change c;
	int r;

	r = kvm_check_memory_region(vm, mem, false, vm->nr_memslot_pages, &c);
	if (r)
		return r < 0 ? r : 0;
	/*
	 * Host memory a new slot points at may have changed without a
	 * notifier (it was in no slot): forget what the direct backend
	 * remembers about it before the slot is published.  (A moved slot
	 * keeps its hva, whose changes had to be notified all along.)
	 */
	if (c.change == KVM_MR_CREATE)
		hostmem_invalidate(vm);

	r = kvm_set_memslot(vm, c.old, c.new, c.change);
	if (r)
		free(c.new);
	return r;
}

VMMU_API int vmmu_set_user_memory_region(struct vmmu_vm *vm,
					 const struct vmmu_userspace_memory_region *mem)
{
	int r;

	vmmu_clear_last_error();
	if (!vm || !mem)
		return mr_einval("NULL argument");
	/* kvm_vm_ioctl_set_memory_region: the id must be a user slot. */
	if ((uint16_t)mem->slot >= vm->cfg.max_user_slots)
		return mr_einval("slot id %u: at most %u user slots", (uint16_t)mem->slot,
				 vm->cfg.max_user_slots);
	vmmu_mutex_lock(&vm->slots_lock);
	r = __kvm_set_memory_region(vm, mem);
	vmmu_mutex_unlock(&vm->slots_lock);
	return r;
}

/*
 * Atomic batches (docs/DESIGN.md, "Atomic memslot batches").
 *
 * Validation runs the entries one by one on the inactive sets, which then
 * hold the state the earlier entries produce (no reader can see them), and
 * logs each change.  A failing entry undoes the log in reverse and frees
 * what it allocated: nothing was published.  Otherwise the log is undone
 * too, and the net change per slot id (the slot at rest, "orig", and the
 * last entry's result, "final") is installed as one update:
 *
 *	step 1 (only if some orig is deleted or moved, by any entry)
 *	  inactive: orig -> INVALID copy, for each such orig
 *	  publish, tagged G | IP, in each address space that has one
 *	  synchronize_rcu; zap each such orig's SPTEs, one flush for all
 *	step 2
 *	  inactive: every orig out, then every final in
 *	  publish, tagged (G + nr_as) | IP, in each address space touched
 *	  synchronize_rcu; wrap check; store G + nr_as
 *	  the other set: every INVALID copy or orig out, every final in
 *	commit: each logged change in entry order (accounting, dirty bitmaps,
 *	  write-protect on enabling dirty logging, frees)
 *
 * A gfn covered before and after is, at every instant, in a valid slot of
 * the old map, in an INVALID copy (faults retry, copies wait), or in a
 * slot of the new map: never in no slot, so it never exits to MMIO.  The
 * generation moves once per address space touched; the two tags differ, so
 * nothing cached under the intermediate set (a vCPU's last-used slot) is
 * taken for valid under the final one.
 */
struct batch_rec {
	struct mr_change c;
	uint32_t key;		/* as_id << 16 | slot id */
	uint32_t idx;		/* position in the log */
};

struct batch_slot {
	struct vmmu_memslot *orig, *final, *invalid;
	uint32_t as_id;
};

static int batch_key_cmp(const void *a, const void *b)
{
	const struct batch_rec *x = *(const struct batch_rec *const *)a;
	const struct batch_rec *y = *(const struct batch_rec *const *)b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* A slot object's dirty bitmap, unless it inherited @old's. */
static _Atomic uint64_t *batch_own_bitmap(const struct mr_change *c)
{
	if (!c->new || !c->new->dirty_bitmap)
		return NULL;
	return c->old && c->old->dirty_bitmap == c->new->dirty_bitmap ? NULL :
	       c->new->dirty_bitmap;
}

/* Undo the first @n logged edits of the inactive sets, last first. */
static void batch_undo(struct vmmu_vm *vm, struct batch_rec *recs, uint32_t n, bool free_new)
{
	while (n--) {
		struct mr_change *c = &recs[n].c;

		kvm_replace_memslot(vm, c->new, c->old);
		if (free_new) {
			free(batch_own_bitmap(c));
			free(c->new);
			free(c->invalid);
		}
	}
}

/* Validate entry @i on the inactive sets and log it.  Return 0, 1 (no-op), -errno. */
static int batch_check_entry(struct vmmu_vm *vm, const struct vmmu_userspace_memory_region *mem,
			     uint64_t *nr_pages, struct batch_rec *rec)
{
	struct mr_change *c = &rec->c;
	int r;

	if ((uint16_t)mem->slot >= vm->cfg.max_user_slots)
		return mr_einval("slot id %u: at most %u user slots", (uint16_t)mem->slot,
				 vm->cfg.max_user_slots);
	r = kvm_check_memory_region(vm, mem, true, *nr_pages, c);
	if (r)
		return r;
	r = kvm_prepare_memory_region(vm, c->old, c->new, c->change);
	if (!r && (c->change == KVM_MR_DELETE || c->change == KVM_MR_MOVE) &&
	    id_to_memslot(__kvm_memslots(vm, mem->slot >> 16), (uint16_t)mem->slot)) {
		/* The slot at rest will need an INVALID copy (step 1). */
		c->invalid = calloc(1, sizeof(*c->invalid));
		if (!c->invalid)
			r = -ENOMEM;
	}
	if (r) {
		free(batch_own_bitmap(c));
		free(c->new);
		return r;
	}
	rec->key = mem->slot;
	kvm_replace_memslot(vm, c->old, c->new);
	if (c->change == KVM_MR_CREATE)
		*nr_pages += c->new->npages;
	else if (c->change == KVM_MR_DELETE)
		*nr_pages -= c->old->npages;
	return 0;
}

/* The net change per slot id: @sorted holds the log in (key, idx) order. */
static uint32_t batch_net(struct batch_rec **sorted, uint32_t n, struct batch_slot *out)
{
	uint32_t ng = 0;

	for (uint32_t i = 0, j; i < n; i = j) {
		struct batch_slot g = {
			.orig = sorted[i]->c.old,
			.as_id = sorted[i]->key >> 16,
		};

		for (j = i; j < n && sorted[j]->key == sorted[i]->key; j++) {
			g.final = sorted[j]->c.new;
			/* One INVALID copy per slot at rest: keep the first, free the others. */
			if (!g.invalid)
				g.invalid = sorted[j]->c.invalid;
			else
				free(sorted[j]->c.invalid);
			sorted[j]->c.invalid = NULL;
		}
		if (g.orig || g.final)
			out[ng++] = g;
		else
			free(g.invalid);
	}
	return ng;
}

/*
 * Step 1's zaps: the SPTEs of every slot deleted or moved (now INVALID in
 * the active set), under one hold of mmu_lock and with one remote flush of
 * the hull of the ranges that had something present, before mmu_lock is
 * dropped (see kvm_arch_flush_shadow_memslot()).
 */
static void batch_zap_invalidated(struct vmmu_vm *vm, struct batch_slot *g, uint32_t ng)
{
	struct flush_range range = { 0 };

	if (vm->cfg.flags & VMMU_VM_QUIRK_SLOT_ZAP_ALL) {
		/* One zap of everything does for all of them. */
		for (uint32_t i = 0; i < ng; i++) {
			if (g[i].invalid) {
				kvm_arch_flush_shadow_memslot(vm, g[i].orig);
				return;
			}
		}
	}
	vmmu_write_lock(&vm->mmu.mmu_lock);
	for (uint32_t i = 0; i < ng; i++) {
		const struct vmmu_memslot *s = g[i].orig;

		if (!g[i].invalid)
			continue;
		if (__kvm_tdp_mmu_zap_leafs(vm, s->as_id, s->base_gfn, s->base_gfn + s->npages))
			flush_range_add(&range, s->as_id, s->base_gfn, s->base_gfn + s->npages);
		VM_STAT_INC(vm, slot_zaps);
	}
	sched_point(SP_ZAP);
	if (range.as_mask)
		kvm_flush_remote_tlbs_range(vm, range);
	vmmu_write_unlock(&vm->mmu.mmu_lock);
}

/* Steps 1 and 2 above.  Context: slots_lock; the inactive sets equal the active ones. */
static void batch_install(struct vmmu_vm *vm, struct batch_slot *g, uint32_t ng)
{
	uint64_t gen[VMMU_MAX_ADDRESS_SPACES];
	bool touched[VMMU_MAX_ADDRESS_SPACES] = { false }, step1[VMMU_MAX_ADDRESS_SPACES] = { false };
	bool any_step1 = false;

	for (uint32_t i = 0; i < ng; i++) {
		touched[g[i].as_id] = true;
		step1[g[i].as_id] |= g[i].invalid != NULL;
		any_step1 |= g[i].invalid != NULL;
	}
	for (uint32_t as = 0; as < vm->nr_as; as++) {
		gen[as] = atomic_load_explicit(&__kvm_memslots(vm, as)->generation,
					       memory_order_relaxed);
		WARN_ON_ONCE(gen[as] & VMMU_MEMSLOT_GEN_UPDATE_IN_PROGRESS);
	}

	if (any_step1) {
		for (uint32_t i = 0; i < ng; i++) {
			if (!g[i].invalid)
				continue;
			kvm_copy_memslot(g[i].invalid, g[i].orig);
			g[i].invalid->flags |= KVM_MEMSLOT_INVALID;
			kvm_replace_memslot(vm, g[i].orig, g[i].invalid);
		}
		for (uint32_t as = 0; as < vm->nr_as; as++)
			if (step1[as])
				kvm_publish_memslots(vm, as, gen[as] |
						     VMMU_MEMSLOT_GEN_UPDATE_IN_PROGRESS);
		vmmu_synchronize_rcu();
		sched_point(SP_MEMSLOT_SYNC);
		batch_zap_invalidated(vm, g, ng);
	}

	/* Step 2: every removal before any insertion (gfn keys are unique). */
	for (uint32_t i = 0; i < ng; i++)
		if (g[i].orig)
			kvm_replace_memslot(vm, g[i].orig, NULL);
	for (uint32_t i = 0; i < ng; i++)
		if (g[i].final)
			kvm_replace_memslot(vm, NULL, g[i].final);
	for (uint32_t as = 0; as < vm->nr_as; as++)
		if (touched[as])
			kvm_publish_memslots(vm, as, (gen[as] + vm->nr_as) |
					     VMMU_MEMSLOT_GEN_UPDATE_IN_PROGRESS);
	vmmu_synchronize_rcu();
	sched_point(SP_MEMSLOT_SYNC);
	for (uint32_t as = 0; as < vm->nr_as; as++)
		if (touched[as])
			kvm_arch_memslots_updated(vm, gen[as] + vm->nr_as);
	/* Release, as in kvm_swap_active_memslots(); no schedule point in between. */
	for (uint32_t as = 0; as < vm->nr_as; as++)
		if (touched[as])
			atomic_store_explicit(&__kvm_memslots(vm, as)->generation,
					      gen[as] + vm->nr_as, memory_order_release);
	sched_point(SP_MEMSLOT_GEN_FINAL);

	/* Bring the now-inactive sets in sync. */
	for (uint32_t i = 0; i < ng; i++) {
		struct vmmu_memslot *old = g[i].invalid ? g[i].invalid : g[i].orig;

		if (old)
			kvm_replace_memslot(vm, old, NULL);
	}
	for (uint32_t i = 0; i < ng; i++)
		if (g[i].final)
			kvm_replace_memslot(vm, NULL, g[i].final);
}

VMMU_API int vmmu_set_user_memory_regions(struct vmmu_vm *vm,
					  const struct vmmu_userspace_memory_region *regions,
					  uint32_t nr)
{
	struct batch_rec *recs = NULL, **sorted = NULL;
	struct batch_slot *net = NULL;
	uint64_t nr_pages;
	uint32_t n = 0, ng;
	bool create = false;
	char where[32];
	int r = 0;

	vmmu_clear_last_error();
	if (!vm || (!regions && nr))
		return mr_einval("NULL argument");
	if (!nr)
		return 0;
	recs = calloc(nr, sizeof(*recs));
	sorted = calloc(nr, sizeof(*sorted));
	net = calloc(nr, sizeof(*net));
	if (!recs || !sorted || !net) {
		vmmu_set_last_error("batch of %u entries: out of memory", nr);
		r = -ENOMEM;
		goto out_free;
	}

	vmmu_mutex_lock(&vm->slots_lock);
	nr_pages = vm->nr_memslot_pages;
	for (uint32_t i = 0; i < nr; i++) {
		recs[n].idx = n;
		r = batch_check_entry(vm, &regions[i], &nr_pages, &recs[n]);
		if (r == 1)
			continue;
		if (r) {
			batch_undo(vm, recs, n, true);
			vmmu_mutex_unlock(&vm->slots_lock);
			if (!vmmu_last_error()[0])
				vmmu_set_last_error("%s", r == -ENOMEM ? "out of memory" :
						    "internal error");
			snprintf(where, sizeof(where), "entry %u: ", i);
			vmmu_prefix_last_error(where);
			goto out_free;
		}
		create |= recs[n].c.change == KVM_MR_CREATE;
		sorted[n] = &recs[n];
		n++;
	}
	r = 0;
	if (!n)
		goto out_unlock;

	batch_undo(vm, recs, n, false);
	qsort(sorted, n, sizeof(*sorted), batch_key_cmp);
	ng = batch_net(sorted, n, net);
	/* As for a single CREATE (__kvm_set_memory_region). */
	if (create)
		hostmem_invalidate(vm);
	if (ng)
		batch_install(vm, net, ng);

	/* Everything replaced is unreachable from both sets, a grace period on. */
	for (uint32_t i = 0; i < n; i++) {
		kvm_commit_memory_region(vm, recs[i].c.old, recs[i].c.new, recs[i].c.change);
		VM_STAT_INC_LOCKED(vm, memslot_updates);
	}
	for (uint32_t i = 0; i < ng; i++)
		free(net[i].invalid);
out_unlock:
	vmmu_mutex_unlock(&vm->slots_lock);
out_free:
	free(net);
	free(sorted);
	free(recs);
	return r;
}

VMMU_API uint64_t vmmu_memslots_generation(struct vmmu_vm *vm, uint32_t as_id)
{
	if (!vm || as_id >= vm->nr_as)
		return UINT64_MAX;
	return atomic_load_explicit(&__kvm_memslots(vm, as_id)->generation, memory_order_acquire);
}

int memslots_init(struct vmmu_vm *vm)
{
	for (uint32_t i = 0; i < VMMU_MAX_ADDRESS_SPACES; i++) {
		for (int j = 0; j < 2; j++) {
			struct vmmu_memslots *slots = &vm->__memslots[i][j];

			atomic_init(&slots->generation, i);
			atomic_init(&slots->last_used_slot, NULL);
			slots->node_idx = j;
		}
		atomic_init(&vm->memslots[i], &vm->__memslots[i][0]);
	}
	return 0;
}

/* Context: no other thread uses @vm. */
void memslots_destroy(struct vmmu_vm *vm)
{
	for (uint32_t i = 0; i < VMMU_MAX_ADDRESS_SPACES; i++) {
		struct vmmu_memslots *slots = __kvm_memslots(vm, i);
		struct avl_node *n;

		/* Unlink before freeing: an in-order walk climbs through parents. */
		while ((n = avl_first(&slots->gfn_tree))) {
			struct vmmu_memslot *s = gfn_node_to_slot(n, slots->node_idx);

			avl_erase(&slots->gfn_tree, n, NULL);
			free(s->dirty_bitmap);
			free(s);
		}
		for (int j = 0; j < 2; j++)
			for (unsigned int c = 0; c < MEMSLOT_ID_CHUNKS; c++)
				free(vm->__memslots[i][j].id_chunk[c]);
	}
}

/* A slot as the program set it: INVALID (a DELETE or MOVE in flight) is the slot at rest. */
static void memslot_to_region(const struct vmmu_memslot *s,
			      struct vmmu_userspace_memory_region *out)
{
	*out = (struct vmmu_userspace_memory_region){
		.slot = (uint32_t)s->as_id << 16 | s->id,
		.flags = s->flags & (VMMU_MEM_LOG_DIRTY_PAGES | VMMU_MEM_READONLY),
		.guest_phys_addr = s->base_gfn << PAGE_SHIFT,
		.memory_size = s->npages << PAGE_SHIFT,
		.userspace_addr = s->userspace_addr,
	};
}

VMMU_API int vmmu_vm_find_slot(struct vmmu_vm *vm, uint32_t as_id, uint64_t gpa,
			       struct vmmu_userspace_memory_region *out)
{
	struct vmmu_memslot *slot;
	int r = -ENOENT;

	if (!vm || !out || as_id >= vm->nr_as)
		return -EINVAL;
	vmmu_rcu_read_lock();
	slot = search_memslots(__kvm_memslots(vm, as_id), gpa >> PAGE_SHIFT);
	if (slot) {
		memslot_to_region(slot, out);
		r = 0;
	}
	vmmu_rcu_read_unlock();
	return r;
}

VMMU_API int vmmu_vm_get_slots(struct vmmu_vm *vm, uint32_t as_id,
			       struct vmmu_userspace_memory_region *out, uint32_t max,
			       uint32_t *nr)
{
	struct vmmu_memslots *slots;
	struct avl_node *n;
	uint32_t i = 0;
	int r = 0;

	if (!vm || !nr || (!out && max) || as_id >= vm->nr_as)
		return -EINVAL;
	vmmu_rcu_read_lock();
	slots = __kvm_memslots(vm, as_id);
	/* nr_slots is the set's own count: it never changes while the set is active. */
	if (slots->nr_slots > max) {
		*nr = slots->nr_slots;
		r = -ENOSPC;
		goto out;
	}
	for (n = avl_first(&slots->gfn_tree); n; n = avl_next(n))
		memslot_to_region(gfn_node_to_slot(n, slots->node_idx), &out[i++]);
	*nr = i;
out:
	vmmu_rcu_read_unlock();
	return r;
}
