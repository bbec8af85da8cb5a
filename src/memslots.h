/* SPDX-License-Identifier: MIT */
/*
 * Memory slots: two sets per address space sharing slot objects, gfn-ordered
 * lookup, hva interval index, O(1) id lookup, and the generation protocol.
 * See docs/DESIGN.md ("Memslots and the generation") and docs/LOCKING.md.
 */
#ifndef VMMU_MEMSLOTS_H
#define VMMU_MEMSLOTS_H

#include <stdalign.h>

#include "avl.h"
#include "compiler.h"

struct vmmu_vm;

/* Internal flag, as KVM's: the slot is being deleted or moved. */
#define KVM_MEMSLOT_INVALID	(1u << 16)

enum kvm_mr_change {
	KVM_MR_CREATE,
	KVM_MR_DELETE,
	KVM_MR_MOVE,
	KVM_MR_FLAGS_ONLY,
};

/*
 * struct vmmu_memslot - one slot, linked into both sets of its address space.
 * Immutable once published, except dirty_bitmap contents (atomic bit ops).
 * Freed only after a grace period in which it was unreachable from both sets.
 */
struct vmmu_memslot {
	struct avl_node gfn_node[2];
	struct itree_node hva_node[2];
	gfn_t base_gfn;
	uint64_t npages;
	hva_t userspace_addr;
	uint32_t flags;
	uint16_t id;
	uint16_t as_id;
	/* 2 x (npages rounded up to 64) bits: live bitmap, then GET's scratch */
	_Atomic uint64_t *dirty_bitmap;
};

#define MEMSLOT_ID_CHUNK_SHIFT	8
#define MEMSLOT_ID_CHUNK	(1u << MEMSLOT_ID_CHUNK_SHIFT)
#define MEMSLOT_ID_CHUNKS	(65536u / MEMSLOT_ID_CHUNK)

/*
 * struct vmmu_memslots - one memslot set.  Only the inactive set is ever
 * modified, under slots_lock, and only after a grace period has passed since
 * it was last active, so readers never see a set change under them.
 */
struct vmmu_memslots {
	_Atomic uint64_t generation;
	_Atomic(struct vmmu_memslot *) last_used_slot;	/* VM-wide lookup cache */
	struct avl_root gfn_tree;
	struct itree_root hva_tree;
	/* pairs of slots whose host ranges overlap (slots_lock, with the set) */
	uint32_t nr_hva_overlaps;
	uint32_t nr_slots;
	int node_idx;		/* on the first line: faults read it with the roots */
	/* id -> slot, two levels, chunks allocated on first use (slots_lock) */
	struct vmmu_memslot **id_chunk[MEMSLOT_ID_CHUNKS];
	/*
	 * The node where the last bracket's lookup of this set ended
	 * (mn_invalidate_lock; reset by every edit of the set): host changes
	 * usually come in address order (notifier.c, mn_hva_first()).  On a
	 * line of its own, stored only when it changes: host threads write it,
	 * and the generation above is read by every fault and memslot update.
	 */
	alignas(64) struct itree_node *mn_hva_hint;
};

static inline struct vmmu_memslot *gfn_node_to_slot(struct avl_node *n, int idx)
{
	return (struct vmmu_memslot *)((char *)(n - idx) - offsetof(struct vmmu_memslot, gfn_node));
}

static inline struct vmmu_memslot *hva_node_to_slot(struct itree_node *n, int idx)
{
	return (struct vmmu_memslot *)((char *)(n - idx) - offsetof(struct vmmu_memslot, hva_node));
}

static inline bool try_get_memslot(struct vmmu_memslot *slot, gfn_t gfn)
{
	return slot && gfn >= slot->base_gfn && gfn - slot->base_gfn < slot->npages;
}

/* O(log n) descent of the gfn tree. */
static inline struct vmmu_memslot *search_memslots(struct vmmu_memslots *slots, gfn_t gfn)
{
	struct avl_node *n = slots->gfn_tree.node;
	int idx = slots->node_idx;

	while (n) {
		struct vmmu_memslot *s = gfn_node_to_slot(n, idx);

		if (gfn < s->base_gfn)
			n = n->left;
		else if (gfn - s->base_gfn >= s->npages)
			n = n->right;
		else
			return s;
	}
	return NULL;
}

/* ____gfn_to_memslot: the set's last-used cache, then the tree. */
static inline struct vmmu_memslot *__gfn_to_memslot(struct vmmu_memslots *slots, gfn_t gfn)
{
	struct vmmu_memslot *slot = atomic_load_explicit(&slots->last_used_slot,
							 memory_order_relaxed);

	if (try_get_memslot(slot, gfn))
		return slot;
	slot = search_memslots(slots, gfn);
	if (slot)
		atomic_store_explicit(&slots->last_used_slot, slot, memory_order_relaxed);
	return slot;
}

static inline hva_t __gfn_to_hva_memslot(const struct vmmu_memslot *slot, gfn_t gfn)
{
	return slot->userspace_addr + ((gfn - slot->base_gfn) << PAGE_SHIFT);
}

struct vmmu_memslot *id_to_memslot(struct vmmu_memslots *slots, uint16_t id);

/*
 * kvm_swap_active_memslots() - publish the inactive set of @as_id: tag it
 * with the in-progress generation, wait until no MMU-notifier invalidation
 * is active, publish, wait for RCU readers, run the MMIO wrap check and
 * store the final generation.  Context: slots_lock.
 */
void kvm_swap_active_memslots(struct vmmu_vm *vm, uint32_t as_id);

int memslots_init(struct vmmu_vm *vm);
void memslots_destroy(struct vmmu_vm *vm);

static inline uint64_t dirty_bitmap_words(uint64_t npages)
{
	return (npages + 63) / 64;
}

/*
 * Mark @gfn of @slot dirty.  Release: for kvm_vcpu_write_guest the data is
 * stored before the mark, so a GET that takes the bit (acquire) and then
 * copies the page sees the data, on any memory model.
 */
static inline void mark_page_dirty_in_slot(struct vmmu_memslot *slot, gfn_t gfn)
{
	uint64_t rel = gfn - slot->base_gfn;

	if (slot->dirty_bitmap && rel < slot->npages)
		atomic_fetch_or_explicit(&slot->dirty_bitmap[rel / 64], 1ull << (rel % 64),
					 memory_order_release);
}

#endif /* VMMU_MEMSLOTS_H */
