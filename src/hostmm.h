/* SPDX-License-Identifier: MIT */
/*
 * Internals of the simulated host MM (hostmm.c): the host page table, the
 * frame pool, the swap area and the list of attached VMs.  All of it is
 * protected by mm->lock; see docs/LOCKING.md, "hostmm lock".
 *
 *   simulated hva page --host PTE--> frame      (HPTE_PRESENT, maybe HPTE_WRITE)
 *                                 -> swap slot  (HPTE_SWAP)
 *                                 -> nothing    (0: never touched, reads as zero)
 */
#ifndef VMMU_HOSTMM_H
#define VMMU_HOSTMM_H

#include "check_hooks.h"

#include "vmmu.h"
#include "compiler.h"
#include "hostmem.h"

/* A host PTE.  The index (bits 12..63) is a frame or a swap slot number. */
#define HPTE_PRESENT		BIT_ULL(0)
#define HPTE_WRITE		BIT_ULL(1)
#define HPTE_SWAP		BIT_ULL(2)
#define HPTE_INDEX_SHIFT	12

static inline uint64_t hpte_index(uint64_t pte)
{
	return pte >> HPTE_INDEX_SHIFT;
}

static inline uint64_t mk_hpte(uint64_t index, uint64_t bits)
{
	return (index << HPTE_INDEX_SHIFT) | bits;
}

#define FRAME_NONE	UINT32_MAX

/* struct hostmm_frame.flags */
#define FRAME_KSM	(1u << 0)	/* a KSM page: shared read-only, always COW */
#define FRAME_FREE	(1u << 1)	/* on the free list, poisoned */

/*
 * struct hostmm_frame - what the MM knows about one frame of the pool
 * @mapcount: host PTEs mapping it (more than 1 only for KSM frames).
 * @flags: FRAME_*.
 * @next: free-list link (FIFO, so a freed frame stays poisoned as long as
 *	possible before it is reused).
 */
struct hostmm_frame {
	uint32_t mapcount;
	uint32_t flags;
	uint32_t next;
};

/*
 * struct hostmm_pt - the PTEs of one mmap()ed range.  When munmap splits a
 * VMA the two pieces share the array (@refs), each using its own part.
 */
struct hostmm_pt {
	uint32_t refs;
	hva_t base;
	uint64_t pte[];
};

/* struct hostmm_vma - a mapped range [start, end) of the simulated space. */
struct hostmm_vma {
	hva_t start, end;
	struct hostmm_pt *pt;
};

static inline uint64_t *vma_pte(const struct hostmm_vma *vma, hva_t hva)
{
	return &vma->pt->pte[(hva - vma->pt->base) >> PAGE_SHIFT];
}

/* Cumulative counters, see struct vmmu_hostmm_stats.  mm->lock. */
struct hostmm_counters {
	uint64_t faults, swap_ins, swap_outs, migrations, ksm_merges, ksm_merge_failed,
		cow_breaks, wp_reuses, pages_unmapped, invalidations, change_pte_calls,
		frames_freed, poison_corruptions, oom;
};

struct vmmu_hostmm {
	/* lock: everything below; held across whole operations (LOCKING.md) */
	vmmu_mutex_t lock;
	struct vmmu_hostmm_config cfg;

	uint8_t *frames;		/* nr_frames pages, one mmap */
	struct hostmm_frame *frame;	/* nr_frames entries */
	uint64_t fresh;			/* frames [fresh, nr_frames) never used: zero */
	uint32_t free_head, free_tail;	/* FIFO of freed (poisoned) frames */
	uint64_t nr_free_frames;	/* free list + fresh */

	uint8_t *swap;			/* nr_swap_slots pages */
	uint32_t *swap_free;		/* stack of free slot numbers */
	uint64_t nr_swap_free;

	struct hostmm_vma **vma;	/* sorted by start, non-overlapping */
	uint32_t nr_vmas, vma_cap;
	hva_t next_hva;			/* where mmap looks for room first */

	struct vmmu_vm **vms;		/* attached VMs: every notifier goes to each */
	uint32_t nr_vms, vms_cap;

	uint64_t resident, swapped, ksm_frames;	/* gauges */
	struct hostmm_counters stat;
};

extern const struct hostmem_ops hostmem_hostmm_ops;

/*
 * hostmm_vm_destroy() - detach @vm from its simulated MM, if any, for
 * vmmu_vm_destroy().  After it returns the MM calls no notifier on @vm.
 */
void hostmm_vm_destroy(struct vmmu_vm *vm);

#endif /* VMMU_HOSTMM_H */
