/* SPDX-License-Identifier: MIT */
/*
 * The TDP page-table walker: one iterator over the SPTEs that map a gfn
 * range, in pre-order (a non-leaf entry, then the table it points to), used
 * by every walk of the MMU: the fault's install (kvm_tdp_mmu_map), the
 * range operations (zap, write-protect, age, change_pte), the teardown of a
 * tree (free_pt_tree) and, through the same per-level step, the vCPU's
 * lockless walk.
 *
 *	level 4 (root)   [ e0 | e1 | ... | e511 ]      each entry spans 2^27 gfns
 *	                          |
 *	level 3                [ ... ]                 2^18
 *	level 2                [ ... ]                 2^9
 *	level 1 (leaf)         [ ... ]                 1 gfn: leaf SPTEs, MMIO SPTEs
 *
 * A "level" is the level of the entries of a table: the root table's
 * entries are at vm->mmu.root_level (4, or 5 above 48 gpa bits), leaf SPTEs
 * at level 1.  Today a leaf is exactly a level-1 entry (tdp_iter_is_leaf());
 * huge pages will make a present entry with a size bit a leaf at level 2 or
 * 3, and only tdp_iter_is_leaf() and tdp_iter_step_down() need to learn it.
 *
 * Locking is the caller's: under mmu_lock (write) nothing else changes
 * tables; under mmu_lock (read) faults link tables with cmpxchg, which the
 * acquire loads here pair with; the lockless walk relies on the vCPU's
 * access bracket to keep tables alive.
 */
#ifndef VMMU_TDP_ITER_H
#define VMMU_TDP_ITER_H

#include "spte.h"
#include "vm.h"

#define TDP_MAX_LEVEL		5

_Static_assert(PT64_ENT_PER_PAGE == 1 << PT64_LEVEL_BITS, "a table is 2^9 entries");
_Static_assert(sizeof(struct tdp_pt) == PAGE_SIZE, "a table is one page");
_Static_assert(TDP_MAX_LEVEL * PT64_LEVEL_BITS + PAGE_SHIFT >= 52, "5 levels map 52 gpa bits");

/* Number of gfns below one entry at @level: 1, 512, 512^2, ... */
static inline gfn_t tdp_level_span(int level)
{
	return 1ull << ((level - 1) * PT64_LEVEL_BITS);
}

/* The entry of table @pt, at @level, on the path to @gfn. */
static inline _Atomic uint64_t *tdp_sptep(struct tdp_pt *pt, gfn_t gfn, int level)
{
	return &pt->spte[SPTE_INDEX(gfn, level)];
}

/*
 * tdp_walk_step() - one step of every walk: load the entry of @pt at @level
 * on the path to @gfn (acquire: pairs with the release cmpxchg that linked
 * a child table or installed a leaf).
 */
static inline uint64_t tdp_walk_step(struct tdp_pt *pt, gfn_t gfn, int level)
{
	return atomic_load_explicit(tdp_sptep(pt, gfn, level), memory_order_acquire);
}

/*
 * struct tdp_walk - a descent to one gfn: the table @pt whose entries are
 * at level @shift / 9 + 1, on the path to @gfn.  The iterator below
 * generalises it to a range; the fault's install (kvm_tdp_mmu_map) uses it
 * as it is, since it goes down one path on the fault's hot path (the range
 * iterator, which keeps its path in memory, measured about 5 instructions
 * a level more), and tdp_mmu_walk_lockless() is the same descent unrolled
 * with constant levels.
 */
struct tdp_walk {
	struct tdp_pt *pt;
	gfn_t gfn;
	unsigned int shift;	/* (level - 1) * 9: the level, as the index wants it */
};

static inline struct tdp_walk tdp_walk_start(struct tdp_pt *root, int root_level, gfn_t gfn)
{
	return (struct tdp_walk){ .pt = root, .gfn = gfn,
				  .shift = (root_level - 1) * PT64_LEVEL_BITS };
}

/* Is @w at the leaf level (level 1)? */
static inline bool tdp_walk_at_leaf(const struct tdp_walk *w)
{
	return w->shift == 0;
}

/* The current entry of @w. */
static inline _Atomic uint64_t *tdp_walk_sptep(const struct tdp_walk *w)
{
	return &w->pt->spte[(w->gfn >> w->shift) & (PT64_ENT_PER_PAGE - 1)];
}

/* One level down, through present non-leaf @spte (the current entry's value). */
static inline void tdp_walk_down(struct tdp_walk *w, uint64_t spte)
{
	w->pt = spte_to_child(spte);
	w->shift -= PT64_LEVEL_BITS;
}

/*
 * struct tdp_iter - position of a walk over gfns [start, end).
 * @pt_path:	pt_path[l] is the table whose entries are at level l
 * @gfn:	first gfn mapped by the current entry
 * @next_gfn:	the lowest gfn the walk has not yet passed (>= start)
 * @sptep, @old_spte: the current entry and the value loaded from it; a
 *		caller that changes the entry updates @old_spte, and a descent
 *		follows @old_spte
 */
struct tdp_iter {
	struct tdp_pt *pt_path[TDP_MAX_LEVEL + 1];
	gfn_t gfn, next_gfn, end;
	int level, min_level, root_level;
	_Atomic uint64_t *sptep;
	uint64_t old_spte;
	bool valid;
};

static inline void tdp_iter_read(struct tdp_iter *it)
{
	it->sptep = tdp_sptep(it->pt_path[it->level], it->gfn, it->level);
	it->old_spte = atomic_load_explicit(it->sptep, memory_order_acquire);
}

/* Is the current entry a leaf (maps a page, or caches MMIO)? */
static inline bool tdp_iter_is_leaf(const struct tdp_iter *it)
{
	return it->level == 1;
}

/*
 * tdp_iter_start() - position @it at the root entry covering @start.
 * @min_level: the walk does not descend below entries of this level.
 * @end must not exceed the gfns the root maps (vm->max_gfn + 1).
 */
static inline void tdp_iter_start(struct tdp_iter *it, struct tdp_pt *root, int root_level,
				  int min_level, gfn_t start, gfn_t end)
{
	it->root_level = root_level;
	it->min_level = min_level;
	it->level = root_level;
	it->pt_path[root_level] = root;
	it->next_gfn = start;
	it->end = end;
	it->gfn = start & ~(tdp_level_span(root_level) - 1);
	it->valid = start < end;
	it->sptep = NULL;
	it->old_spte = 0;
	if (it->valid)
		tdp_iter_read(it);
}

/*
 * __tdp_iter_step_down() - into the table the current entry points to.
 * The caller has checked that there is one (tdp_iter_step_down()).
 */
static inline void __tdp_iter_step_down(struct tdp_iter *it)
{
	struct tdp_pt *child = spte_to_child(it->old_spte);

	it->level--;
	it->pt_path[it->level] = child;
	it->gfn = it->next_gfn & ~(tdp_level_span(it->level) - 1);
	tdp_iter_read(it);
}

/* Into the table the current entry points to, if there is one to enter. */
static inline bool tdp_iter_step_down(struct tdp_iter *it)
{
	if (it->level == it->min_level || tdp_iter_is_leaf(it) ||
	    !is_shadow_present_pte(it->old_spte))
		return false;
	__tdp_iter_step_down(it);
	return true;
}

/* To the next entry of the same table, if the table has one. */
static inline bool tdp_iter_step_side(struct tdp_iter *it)
{
	if (SPTE_INDEX(it->gfn, it->level) == PT64_ENT_PER_PAGE - 1)
		return false;
	it->gfn += tdp_level_span(it->level);
	it->next_gfn = it->gfn;
	tdp_iter_read(it);
	return true;
}

/* Back to the entry that points to the current table. */
static inline bool tdp_iter_step_up(struct tdp_iter *it)
{
	if (it->level == it->root_level)
		return false;
	it->level++;
	it->gfn &= ~(tdp_level_span(it->level) - 1);
	return true;
}

/* tdp_iter_next() - the next entry in pre-order; clears @valid at the end. */
static inline void tdp_iter_next(struct tdp_iter *it)
{
	if (tdp_iter_step_down(it))
		return;
	do {
		if (tdp_iter_step_side(it))
			return;
	} while (tdp_iter_step_up(it));
	it->valid = false;
}

/*
 * for_each_tdp_pte_min_level() - every entry, at levels root..@min_level,
 * of the tables that map [@start, @end) under root table @root.
 */
#define for_each_tdp_pte_min_level(_it, _root, _root_level, _min_level, _start, _end)	\
	for (tdp_iter_start(&(_it), (_root), (_root_level), (_min_level), (_start), (_end));	\
	     (_it).valid && (_it).gfn < (_it).end;					\
	     tdp_iter_next(&(_it)))

/* for_each_tdp_pte() - every entry, down to the leaves. */
#define for_each_tdp_pte(_it, _root, _root_level, _start, _end)			\
	for_each_tdp_pte_min_level(_it, _root, _root_level, 1, _start, _end)

/* for_each_tdp_leaf() - only the leaf entries (present or not) of [start, end). */
#define for_each_tdp_leaf(_it, _root, _root_level, _start, _end)			\
	for_each_tdp_pte(_it, _root, _root_level, _start, _end)			\
		if (!tdp_iter_is_leaf(&(_it))) {} else

/*
 * tdp_mmu_walk_lockless_leaf() - the leaf SPTE for @gfn, or 0 if a level
 * is missing; when the walk reaches the last level, *@leaf receives the
 * leaf table (for the vCPU's paging-structure cache, vcpu_walk()).
 * Non-leaf levels hold only present entries or 0 (MMIO SPTEs live at the
 * leaf), so any non-present non-leaf entry ends the walk.
 *
 * The iterator's descent specialised for a single gfn: tdp_walk_step() at
 * each level, unrolled with constant levels because this is on the vCPU's
 * TLB-miss path.
 * Context: inside the vCPU's access bracket, which keeps tables alive
 * (see kvm_flush_remote_tlbs); @gfn <= vm->max_gfn.
 */
static inline uint64_t tdp_mmu_walk_lockless_leaf(struct vmmu_vm *vm, uint32_t as_id, gfn_t gfn,
						  struct tdp_pt **leaf)
{
	struct tdp_root *root = atomic_load_explicit(&vm->mmu.root[as_id], memory_order_acquire);
	struct tdp_pt *pt = root->pt;
	uint64_t spte;

#define TDP_WALK_DOWN(level) do {					\
	spte = tdp_walk_step(pt, gfn, level);				\
	if (!is_shadow_present_pte(spte))				\
		return 0;						\
	pt = spte_to_child(spte);					\
} while (0)
	if (unlikely(vm->mmu.root_level == 5))
		TDP_WALK_DOWN(5);
	TDP_WALK_DOWN(4);
	TDP_WALK_DOWN(3);
	TDP_WALK_DOWN(2);
#undef TDP_WALK_DOWN
	*leaf = pt;
	return tdp_walk_step(pt, gfn, 1);
}

/* tdp_mmu_walk_lockless() - tdp_mmu_walk_lockless_leaf() without the table. */
static inline uint64_t tdp_mmu_walk_lockless(struct vmmu_vm *vm, uint32_t as_id, gfn_t gfn)
{
	struct tdp_pt *leaf;

	return tdp_mmu_walk_lockless_leaf(vm, as_id, gfn, &leaf);
}

/*
 * tdp_mmu_mark_accessed_lockless() - set the accessed bit of @gfn's leaf
 * SPTE if it still holds @spte (present, without the bit), as a CPU's page
 * walk does on an access: prefetched SPTEs start without it and aging
 * clears it.  False if the entry changed under us (a zap, a write-protect):
 * the caller takes the fault path.  The bit grants nothing, so setting it
 * needs no lock and no flush.  Context: as tdp_mmu_walk_lockless().
 */
static inline bool tdp_mmu_mark_accessed_lockless(struct vmmu_vm *vm, uint32_t as_id, gfn_t gfn,
						  uint64_t spte)
{
	struct tdp_root *root = atomic_load_explicit(&vm->mmu.root[as_id], memory_order_acquire);
	struct tdp_walk w = tdp_walk_start(root->pt, vm->mmu.root_level, gfn);

	while (!tdp_walk_at_leaf(&w)) {
		uint64_t e = atomic_load_explicit(tdp_walk_sptep(&w), memory_order_acquire);

		if (!is_shadow_present_pte(e))
			return false;
		tdp_walk_down(&w, e);
	}
	return atomic_compare_exchange_strong_explicit(tdp_walk_sptep(&w), &spte,
						       spte | PT_ACCESSED_MASK,
						       memory_order_relaxed, memory_order_relaxed);
}

#endif /* VMMU_TDP_ITER_H */
