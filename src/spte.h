/* SPDX-License-Identifier: MIT */
/*
 * The shadow (TDP) page-table entry: one 64-bit word, three kinds.
 *
 * Present SPTE (leaf or non-leaf), SPTE_MMU_PRESENT set:
 *
 *   63 62   59 58 57 56   52 51                                12 11 10  9  8 7   3  2  1  0
 *  +--+-------+--+--+-------+------------------------------------+--+--+--+--+-----+--+--+--+
 *  | 0|  --   |MW|HW|  --   | pfn: host frame, or child table    | P|--| D| A| --  | X| W| R|
 *  +--+-------+--+--+-------+------------------------------------+--+--+--+--+-----+--+--+--+
 *    R/W/X  access the guest may do without a fault
 *    A, D   accessed / dirty (A is what the aging notifiers test and clear)
 *    P      SPTE_MMU_PRESENT (bit 11): the entry maps something
 *    HW     SPTE_HOST_WRITABLE (bit 57): the host mapping allows writes
 *    MW     SPTE_MMU_WRITABLE (bit 58): the MMU allows W (clear for a
 *           READONLY slot or a read-only host page; it stays set while W is
 *           cleared for dirty logging).  W implies MW, MW implies HW:
 *           spte_writable_invariants_ok()
 *    For a leaf, pfn is the host page (host virtual address >> 12 for the
 *    direct backend); for a non-leaf it is the child table's address >> 12.
 *
 * MMIO SPTE (cached "this gfn has no memslot"), SPTE_MMU_PRESENT clear,
 * SPTE_MMIO_VALUE (bit 63) set:
 *
 *   63 62          52 51                                12 11 10           3  2   0
 *  +--+--------------+------------------------------------+--+--------------+-----+
 *  | 1| gen[18:8]    | gfn                                | 0| gen[7:0]     | acc |
 *  +--+--------------+------------------------------------+--+--------------+-----+
 *    acc    ACC_EXEC/ACC_WRITE/ACC_USER of the faulting access
 *    gen    the low mmio_gen_bits bits of the memslot generation (bit 63,
 *           update-in-progress, is never stored: no MMIO SPTE is created
 *           while it is set), split across two ranges as on x86.  A VM with
 *           mmio_gen_bits < 19 stores gen & ((1 << mmio_gen_bits) - 1), so
 *           the upper bits of the ranges stay zero.
 *
 * Non-present SPTE: 0.  (KVM uses bit 63 for TDX's suppress-#VE here; vmmu
 * has no such hardware and uses 0, so bit 63 alone can mark MMIO.)
 */
#ifndef VMMU_SPTE_H
#define VMMU_SPTE_H

#include <stdint.h>

#include "compiler.h"
#include "trace.h"
#include "warn.h"

#define PT_READABLE_MASK		BIT_ULL(0)
#define PT_WRITABLE_MASK		BIT_ULL(1)
#define PT_EXEC_MASK			BIT_ULL(2)
#define PT_ACCESSED_MASK		BIT_ULL(8)
#define PT_DIRTY_MASK			BIT_ULL(9)
#define SPTE_MMU_PRESENT_MASK		BIT_ULL(11)
#define SPTE_HOST_WRITABLE		BIT_ULL(57)
#define SPTE_MMU_WRITABLE		BIT_ULL(58)
#define SPTE_PFN_MASK			GENMASK_ULL(51, 12)
#define SHADOW_NONPRESENT_VALUE		0ull

/* Access bits, as KVM's ACC_*_MASK. */
#define ACC_EXEC_MASK			1u
#define ACC_WRITE_MASK			2u
#define ACC_USER_MASK			4u
#define ACC_ALL				(ACC_EXEC_MASK | ACC_WRITE_MASK | ACC_USER_MASK)

#define SPTE_MMIO_VALUE			BIT_ULL(63)
#define SPTE_MMIO_MASK			(BIT_ULL(63) | SPTE_MMU_PRESENT_MASK)
#define SPTE_MMIO_ACCESS_MASK		GENMASK_ULL(2, 0)
#define SPTE_MMIO_GFN_MASK		GENMASK_ULL(51, 12)

#define MMIO_SPTE_GEN_LOW_START		3
#define MMIO_SPTE_GEN_LOW_END		10
#define MMIO_SPTE_GEN_HIGH_START	52
#define MMIO_SPTE_GEN_HIGH_END		62
#define MMIO_SPTE_GEN_LOW_BITS		(MMIO_SPTE_GEN_LOW_END - MMIO_SPTE_GEN_LOW_START + 1)
#define MMIO_SPTE_GEN_HIGH_BITS		(MMIO_SPTE_GEN_HIGH_END - MMIO_SPTE_GEN_HIGH_START + 1)
#define MMIO_SPTE_GEN_LOW_MASK		GENMASK_ULL(MMIO_SPTE_GEN_LOW_END, MMIO_SPTE_GEN_LOW_START)
#define MMIO_SPTE_GEN_HIGH_MASK		GENMASK_ULL(MMIO_SPTE_GEN_HIGH_END, MMIO_SPTE_GEN_HIGH_START)
#define MMIO_SPTE_GEN_LOW_SHIFT		MMIO_SPTE_GEN_LOW_START
#define MMIO_SPTE_GEN_HIGH_SHIFT	(MMIO_SPTE_GEN_HIGH_START - MMIO_SPTE_GEN_LOW_BITS)
#define MMIO_SPTE_GEN_MASK		GENMASK_ULL(MMIO_SPTE_GEN_LOW_BITS + MMIO_SPTE_GEN_HIGH_BITS - 1, 0)

_Static_assert(MMIO_SPTE_GEN_LOW_BITS == 8, "gen[7:0] in bits 3-10");
_Static_assert(MMIO_SPTE_GEN_HIGH_BITS == 11, "gen[18:8] in bits 52-62");
_Static_assert(MMIO_SPTE_GEN_MASK == 0x7ffffull, "19-bit MMIO generation");
_Static_assert(MMIO_SPTE_GEN_LOW_MASK == 0x7f8ull, "low range");
_Static_assert(MMIO_SPTE_GEN_HIGH_MASK == 0x7ff0000000000000ull, "high range");
_Static_assert((MMIO_SPTE_GEN_LOW_MASK & MMIO_SPTE_GEN_HIGH_MASK) == 0, "ranges disjoint");
_Static_assert(((MMIO_SPTE_GEN_LOW_MASK | MMIO_SPTE_GEN_HIGH_MASK) &
		(SPTE_MMIO_MASK | SPTE_MMIO_GFN_MASK | SPTE_MMIO_ACCESS_MASK)) == 0,
	       "MMIO generation overlaps the MMIO marker, gfn or access bits");
_Static_assert((SPTE_MMIO_GFN_MASK & (SPTE_MMIO_MASK | SPTE_MMIO_ACCESS_MASK)) == 0,
	       "MMIO gfn overlaps marker or access bits");
_Static_assert((SPTE_MMIO_VALUE & SPTE_MMU_PRESENT_MASK) == 0, "MMIO SPTEs are never present");
_Static_assert(((PT_READABLE_MASK | PT_WRITABLE_MASK | PT_EXEC_MASK | PT_ACCESSED_MASK |
		 PT_DIRTY_MASK | SPTE_MMU_PRESENT_MASK | SPTE_HOST_WRITABLE |
		 SPTE_MMU_WRITABLE) & SPTE_PFN_MASK) == 0, "present bits overlap pfn");
_Static_assert(((PT_READABLE_MASK | PT_WRITABLE_MASK | PT_EXEC_MASK | PT_ACCESSED_MASK |
		 PT_DIRTY_MASK | SPTE_MMU_PRESENT_MASK | SPTE_HOST_WRITABLE |
		 SPTE_MMU_WRITABLE | SPTE_PFN_MASK) & SPTE_MMIO_VALUE) == 0,
	       "a present SPTE never has the MMIO marker");
_Static_assert(SPTE_HOST_WRITABLE == BIT_ULL(57) && SPTE_MMU_WRITABLE == BIT_ULL(58) &&
	       SPTE_MMU_PRESENT_MASK == BIT_ULL(11) && PT_DIRTY_MASK == BIT_ULL(9) &&
	       PT_ACCESSED_MASK == BIT_ULL(8), "present SPTE bits where the drawing puts them");
_Static_assert(ACC_ALL == SPTE_MMIO_ACCESS_MASK, "access bits fit the MMIO access field");

static inline bool is_shadow_present_pte(uint64_t spte)
{
	return spte & SPTE_MMU_PRESENT_MASK;
}

static inline bool is_mmio_spte(uint64_t spte)
{
	return (spte & SPTE_MMIO_MASK) == SPTE_MMIO_VALUE;
}

static inline bool is_writable_pte(uint64_t spte)
{
	return spte & PT_WRITABLE_MASK;
}

static inline pfn_t spte_to_pfn(uint64_t spte)
{
	return (spte & SPTE_PFN_MASK) >> PAGE_SHIFT;
}

static inline uint64_t generation_mmio_spte_mask(uint64_t gen)
{
	return ((gen << MMIO_SPTE_GEN_LOW_SHIFT) & MMIO_SPTE_GEN_LOW_MASK) |
	       ((gen << MMIO_SPTE_GEN_HIGH_SHIFT) & MMIO_SPTE_GEN_HIGH_MASK);
}

static inline uint64_t get_mmio_spte_generation(uint64_t spte)
{
	return ((spte & MMIO_SPTE_GEN_LOW_MASK) >> MMIO_SPTE_GEN_LOW_SHIFT) |
	       ((spte & MMIO_SPTE_GEN_HIGH_MASK) >> MMIO_SPTE_GEN_HIGH_SHIFT);
}

/*
 * make_mmio_spte() - an MMIO SPTE for @gfn
 * @gen_slice: the memslot generation already masked to the VM's
 *	mmio_gen_bits (and so without the in-progress bit).
 */
static inline uint64_t make_mmio_spte(gfn_t gfn, unsigned int access, uint64_t gen_slice)
{
	trace_mark_mmio_spte(gfn, access, gen_slice);
	return SPTE_MMIO_VALUE | generation_mmio_spte_mask(gen_slice) |
	       ((gfn << PAGE_SHIFT) & SPTE_MMIO_GFN_MASK) | (access & SPTE_MMIO_ACCESS_MASK);
}

static inline gfn_t get_mmio_spte_gfn(uint64_t spte)
{
	return (spte & SPTE_MMIO_GFN_MASK) >> PAGE_SHIFT;
}

static inline unsigned int get_mmio_spte_access(uint64_t spte)
{
	return spte & SPTE_MMIO_ACCESS_MASK;
}

/*
 * The writable invariant (as KVM's check_spte_writable_invariants()):
 *
 *	W  => MW	the MMU grants write only where it allows it
 *	MW => HW	and it allows it only where the host mapping does
 *
 * MW stays set while W is cleared for dirty logging (a write fault may
 * restore W once the page is logged); HW clear means the host page is
 * read-only (a KSM or COW page), so neither W nor MW may be set.  Checked
 * where leaf SPTEs are made (make_leaf_spte, and the fault's merge with the
 * old SPTE in kvm_tdp_mmu_map).
 */
static inline bool spte_writable_invariants_ok(uint64_t spte)
{
	if (spte & SPTE_MMU_WRITABLE)
		return spte & SPTE_HOST_WRITABLE;
	return !is_writable_pte(spte);
}

/* What a leaf SPTE grants, for make_leaf_spte(): named, never bare booleans. */
enum leaf_spte_flags {
	LEAF_SPTE_WRITABLE	= 1u << 0,	/* W (and D): the guest may write now */
	LEAF_SPTE_HOST_WRITABLE	= 1u << 1,	/* HW: the host page is writable */
	LEAF_SPTE_MMU_WRITABLE	= 1u << 2,	/* MW: the MMU may grant W (slot not READONLY) */
};

/*
 * make_leaf_spte() - a leaf SPTE mapping host frame @pfn with @flags
 * (enum leaf_spte_flags).  A combination that breaks the writable
 * invariant warns and is made without the rights it could not have.
 */
static inline uint64_t make_leaf_spte(pfn_t pfn, unsigned int flags)
{
	uint64_t spte = SPTE_MMU_PRESENT_MASK | PT_READABLE_MASK | PT_EXEC_MASK |
			PT_ACCESSED_MASK | ((pfn << PAGE_SHIFT) & SPTE_PFN_MASK);

	if (flags & LEAF_SPTE_HOST_WRITABLE)
		spte |= SPTE_HOST_WRITABLE;
	if (flags & LEAF_SPTE_MMU_WRITABLE)
		spte |= SPTE_MMU_WRITABLE;
	if (flags & LEAF_SPTE_WRITABLE)
		spte |= PT_WRITABLE_MASK | PT_DIRTY_MASK;
	if (WARN_ON_ONCE(!spte_writable_invariants_ok(spte)))
		spte &= ~(PT_WRITABLE_MASK | PT_DIRTY_MASK | SPTE_MMU_WRITABLE);
	return spte;
}

/*
 * leaf_spte_change_needs_tlb_flush() - would replacing leaf @old_spte with
 * @new_spte take access away from a vCPU that cached @old_spte?  True when
 * @old_spte was present and the new one is not present (zapped, or MMIO),
 * maps another frame, or is no longer writable.  Clearing the accessed or
 * dirty bit needs no flush (a stale TLB entry grants nothing more).
 */
static inline bool leaf_spte_change_needs_tlb_flush(uint64_t old_spte, uint64_t new_spte)
{
	if (!is_shadow_present_pte(old_spte))
		return false;
	if (!is_shadow_present_pte(new_spte) || spte_to_pfn(old_spte) != spte_to_pfn(new_spte))
		return true;
	return is_writable_pte(old_spte) && !is_writable_pte(new_spte);
}

static inline uint64_t make_nonleaf_spte(void *child)
{
	return SPTE_MMU_PRESENT_MASK | PT_READABLE_MASK | PT_WRITABLE_MASK | PT_EXEC_MASK |
	       ((uint64_t)(uintptr_t)child & SPTE_PFN_MASK);
}

static inline void *spte_to_child(uint64_t spte)
{
	return (void *)(uintptr_t)(spte & SPTE_PFN_MASK);
}

/* Four levels of 512 entries map 48 bits of gpa, as x86 4-level EPT; VMs
 * configured wider get a fifth level. */
#define PT64_ROOT_LEVEL		4
#define PT64_ENT_PER_PAGE	512
#define PT64_LEVEL_BITS		9
#define SPTE_INDEX(gfn, level)	(((gfn) >> (((level) - 1) * PT64_LEVEL_BITS)) & (PT64_ENT_PER_PAGE - 1))

#endif /* VMMU_SPTE_H */
