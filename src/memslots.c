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
static void kvm_replace_memslot(struct vmmu_vm *vm, struct vmmu_memslot *old,
				struct vmmu_memslot *new)
{
	uint32_t as_id = old ? old->as_id : new->as_id;
	struct vmmu_memslots *slots = kvm_get_inactive_memslots(vm, as_id);
	int idx = slots->node_idx;

	lockdep_assert_held(&vm->slots_lock);
	if (old) {
		id_set(slots, old->id, NULL);
		itree_remove(&slots->hva_tree, &old->hva_node[idx]);
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
		atomic_store_explicit(&slots->generation, gen + vm->nr_as, memory_order_relaxed);
	else
		atomic_store_explicit(&slots->generation, gen | VMMU_MEMSLOT_GEN_UPDATE_IN_PROGRESS,
				      memory_order_relaxed);
	sched_point(SP_MEMSLOT_GEN_IP);

	/*
	 * docs/INVARIANTS.md, 2: a publish extends the open brackets.  No
	 * wait for them (continuous brackets would starve the update): every
	 * open bracket gains the new set's ranges in its host range, so faults
	 * there retry until its end(), and that end() bumps them.  Both locks:
	 * start() and end() change the bracket list under them.
	 */
	vmmu_mutex_lock(&vm->mn_invalidate_lock);
	vmmu_write_lock(&vm->mmu.mmu_lock);
	kvm_mmu_invalidate_extend(vm, as_id, slots);
	/* Release: pairs with the acquire in __kvm_memslots(). */
	vmmu_rcu_assign_pointer(vm->memslots[as_id], slots);
	vmmu_write_unlock(&vm->mmu.mmu_lock);
	vmmu_mutex_unlock(&vm->mn_invalidate_lock);
	sched_point(SP_MEMSLOT_PUBLISH);

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
	VM_STAT_INC(vm, memslot_swaps);
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
	VM_STAT_INC(vm, memslot_updates);
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

/* kvm_set_memory_region(): validation in KVM's order, then the change. */
static int __kvm_set_memory_region(struct vmmu_vm *vm,
				   const struct vmmu_userspace_memory_region *mem)
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
		return -EINVAL;
	if (mem->memory_size & (PAGE_SIZE - 1))
		return -EINVAL;
	if (mem->guest_phys_addr & (PAGE_SIZE - 1))
		return -EINVAL;
	if ((mem->userspace_addr & (PAGE_SIZE - 1)) ||
	    !access_ok(mem->userspace_addr, mem->memory_size))
		return -EINVAL;
	if (as_id >= vm->nr_as || id >= VMMU_MEM_SLOTS_NUM)
		return -EINVAL;
	if (mem->guest_phys_addr + mem->memory_size < mem->guest_phys_addr)
		return -EINVAL;
	npages = mem->memory_size >> PAGE_SHIFT;
	if (npages > VMMU_MEM_MAX_NR_PAGES)
		return -EINVAL;

	slots = __kvm_memslots(vm, as_id);
	old = id_to_memslot(slots, id);

	if (!mem->memory_size) {
		if (!old || !old->npages)
			return -EINVAL;
		if (WARN_ON_ONCE(vm->nr_memslot_pages < old->npages))
			return -EIO;
		return kvm_set_memslot(vm, old, NULL, KVM_MR_DELETE);
	}

	base_gfn = mem->guest_phys_addr >> PAGE_SHIFT;

	if (!old || !old->npages) {
		change = KVM_MR_CREATE;
		if (vm->nr_memslot_pages + npages < vm->nr_memslot_pages)
			return -EINVAL;
	} else {
		if (mem->userspace_addr != old->userspace_addr || npages != old->npages ||
		    ((mem->flags ^ old->flags) & VMMU_MEM_READONLY))
			return -EINVAL;
		if (base_gfn != old->base_gfn)
			change = KVM_MR_MOVE;
		else if (mem->flags != old->flags)
			change = KVM_MR_FLAGS_ONLY;
		else
			return 0;
	}

	if ((change == KVM_MR_CREATE || change == KVM_MR_MOVE) &&
	    kvm_check_memslot_overlap(slots, id, base_gfn, base_gfn + npages))
		return -EEXIST;

	/* x86's kvm_arch_prepare_memory_region: the TDP table must reach it. */
	if ((change == KVM_MR_CREATE || change == KVM_MR_MOVE) &&
	    base_gfn + npages - 1 > vm->max_gfn)
		return -EINVAL;

	if (change == KVM_MR_CREATE) {
		r = memslot_id_chunk_prepare(vm, as_id, id);
		if (r)
			return r;
	}

	new = calloc(1, sizeof(*new));
	if (!new)
		return -ENOMEM;
	/*
	 * Host memory a new slot points at may have changed without a
	 * notifier (it was in no slot): forget what the direct backend
	 * remembers about it before the slot is published.  (A moved slot
	 * keeps its hva, whose changes had to be notified all along.)
	 */
	if (change == KVM_MR_CREATE)
		hostmem_invalidate(vm);
	new->as_id = as_id;
	new->id = id;
	new->base_gfn = base_gfn;
	new->npages = npages;
	new->flags = mem->flags;
	new->userspace_addr = mem->userspace_addr;

	r = kvm_set_memslot(vm, old, new, change);
	if (r)
		free(new);
	return r;
}

VMMU_API int vmmu_set_user_memory_region(struct vmmu_vm *vm,
					 const struct vmmu_userspace_memory_region *mem)
{
	int r;

	if (!vm || !mem)
		return -EINVAL;
	/* kvm_vm_ioctl_set_memory_region: the id must be a user slot. */
	if ((uint16_t)mem->slot >= vm->cfg.max_user_slots)
		return -EINVAL;
	vmmu_mutex_lock(&vm->slots_lock);
	r = __kvm_set_memory_region(vm, mem);
	vmmu_mutex_unlock(&vm->slots_lock);
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
