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
#include "vmmu/hostmm.h"
#include "compiler.h"
#include "hostmem.h"

#define HOSTMM_VA_BASE		0x100000000000ull		/* 16 TiB */
#define HOSTMM_VA_END		((1ull << 47) - PAGE_SIZE)	/* TASK_SIZE_MAX */
#define HOSTMM_MMAP_MIN_ADDR	0x10000ull			/* vm.mmap_min_addr */
#define HOSTMM_MAX_MAP_COUNT	65530u				/* vm.max_map_count */
#define WORDS_PER_PAGE		(PAGE_SIZE / 8)

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
#define FRAME_REPLACED	(1u << 2)	/* unmapped by hostmm_step_replace(), not yet freed */

/*
 * struct hostmm_frame - what the MM knows about one frame of the pool
 * @mapcount: host PTEs mapping it (more than 1 only for KSM frames).
 * @flags: FRAME_*.
 * @next: free-list link (FIFO, so a freed frame stays poisoned as long as
 *	possible before it is reused); for a FRAME_REPLACED frame, the link
 *	of mm->replaced.
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
	uint32_t replaced;		/* FRAME_REPLACED frames, linked by next */

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

/* Frames and swap slots (hostmm.c).  Context: mm->lock. */
static inline uint8_t *frame_addr(const struct vmmu_hostmm *mm, uint64_t f)
{
	return mm->frames + (f << PAGE_SHIFT);
}

static inline _Atomic uint64_t *frame_words(const struct vmmu_hostmm *mm, uint64_t f)
{
	return (_Atomic uint64_t *)frame_addr(mm, f);
}

static inline uint8_t *swap_addr(const struct vmmu_hostmm *mm, uint64_t slot)
{
	return mm->swap + (slot << PAGE_SHIFT);
}

void hostmm_frame_copy(struct vmmu_hostmm *mm, uint64_t dst, uint64_t src);
bool hostmm_frame_equal(struct vmmu_hostmm *mm, uint64_t a, uint64_t b);
uint32_t hostmm_frame_alloc(struct vmmu_hostmm *mm, bool zero);
void hostmm_frame_put(struct vmmu_hostmm *mm, uint32_t f);
void hostmm_frame_set_ksm(struct vmmu_hostmm *mm, uint32_t f);
void hostmm_swap_slot_free(struct vmmu_hostmm *mm, uint64_t slot);

/* VMAs and the page table (hostmm.c).  Context: mm->lock. */
uint32_t hostmm_vma_first_above(const struct vmmu_hostmm *mm, hva_t hva);
uint64_t *hostmm_hva_to_pte(const struct vmmu_hostmm *mm, hva_t hva);
int hostmm_vma_reserve(struct vmmu_hostmm *mm, uint32_t n);
void hostmm_vma_insert_at(struct vmmu_hostmm *mm, uint32_t i, struct hostmm_vma *vma);
void hostmm_pt_put(struct hostmm_pt *pt);
hva_t hostmm_get_unmapped_area(struct vmmu_hostmm *mm, uint64_t len);

/* Notifiers on every attached VM (hostmm.c).  Context: mm->lock. */
void hostmm_mn_invalidate_start(struct vmmu_hostmm *mm, hva_t start, hva_t end);
void hostmm_mn_invalidate_end(struct vmmu_hostmm *mm, hva_t start, hva_t end);
void hostmm_mn_change_pte(struct vmmu_hostmm *mm, hva_t hva, uint32_t f, bool writable);

/*
 * hostmm_access_page() - one access of the process within one page, faulting
 * it in as needed (hostmm.c).  Returns 0, -EFAULT or -ENOMEM.  Context:
 * mm->lock.
 */
int hostmm_access_page(struct vmmu_hostmm *mm, hva_t hva, void *buf, size_t len, bool write);

/*
 * The MM one step at a time (hostmm_step.c), for checkers and emulators
 * that must schedule other threads between the steps of one host operation,
 * or make the host break the notifier contract on purpose.  Every other
 * operation of the MM runs its steps in one go under mm->lock; these take
 * the lock for one step each and leave the protocol to the caller.  A
 * correct caller replaces a page as Linux's mm does:
 *
 *	hostmm_step_invalidate_start(mm, page, page + PAGE_SIZE);
 *	hostmm_step_replace(mm, page);
 *	(optionally) change_pte of page, read-only
 *	hostmm_step_invalidate_end(mm, page, page + PAGE_SIZE);
 *	hostmm_step_release(mm);
 *
 * and a checker may call them in any other order.  Not part of the public
 * API: the library's own operations never use them.
 */

/* invalidate_range_start/end of [@start, @end) on every attached VM. */
void hostmm_step_invalidate_start(struct vmmu_hostmm *mm, hva_t start, hva_t end);
void hostmm_step_invalidate_end(struct vmmu_hostmm *mm, hva_t start, hva_t end);

/*
 * hostmm_step_replace() - point the PTE of the present, exclusive page at
 * @hva to a copy of its frame in a new frame (keeping its write bit).  The
 * old frame is kept, FRAME_REPLACED, until hostmm_step_release(): a stale
 * translation still reaches its old contents until then, poison after.
 * Notifies nothing.  Returns 0, -EFAULT (not mapped), -EAGAIN (not
 * present), -EBUSY (shared) or -ENOMEM (no free frame).
 */
int hostmm_step_replace(struct vmmu_hostmm *mm, hva_t hva);

/* hostmm_step_release() - free (poison) every frame replaced so far. */
void hostmm_step_release(struct vmmu_hostmm *mm);

/*
 * hostmm_step_reset() - put @mm back in the state vmmu_hostmm_create() left
 * it in (no mappings, every frame and swap slot unused, counters zero), so
 * that a checker can run the next schedule on the same MM and still have
 * every run start from the same state.  -EBUSY if a VM is attached.
 * Context: no other thread uses @mm.
 */
int hostmm_step_reset(struct vmmu_hostmm *mm);

/*
 * hostmm_frame_of() - the address of the frame the PTE of @hva maps, or
 * NULL if it is not present.  Context: mm->lock, or no other thread
 * running (a checker's model).
 */
void *hostmm_frame_of(const struct vmmu_hostmm *mm, hva_t hva);

/*
 * hostmm_vm_destroy() - detach @vm from its simulated MM, if any, for
 * vmmu_vm_destroy().  After it returns the MM calls no notifier on @vm.
 */
void hostmm_vm_destroy(struct vmmu_vm *vm);

#endif /* VMMU_HOSTMM_H */
