/* SPDX-License-Identifier: MIT */
/*
 * vmmu/hostmm.h - the simulated host MM (vmmu_hostmm_*) and the calls that
 * attach one to a VM.
 *
 * Part of the public API of libvmmu.  <vmmu.h> includes this header at its
 * end, so programs that include only <vmmu.h> keep seeing the whole API;
 * this header may also be included on its own (it includes <vmmu.h>).  The
 * declarations and their ABI are the ones vmmu.h carried before the split.
 */
#ifndef VMMU_HOSTMM_PUBLIC_H
#define VMMU_HOSTMM_PUBLIC_H

#include <stdint.h>

#include <vmmu.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A small model of one Linux process's anonymous private memory, for
 * driving the MMU notifiers exactly as Linux's mm does and for checking
 * that no vCPU ever uses host memory the host has taken back.
 *
 * - Address space: an MM hands out ranges of its own simulated address
 *   space (vmmu_hostmm_mmap).  These hvas are numbers in the user half, not
 *   pointers of this process; only the vmmu_hostmm_* calls and the VMs
 *   attached to the MM resolve them.  Once a VM is attached, the
 *   userspace_addr of its memslots are such simulated hvas.
 * - Memory: a pool of nr_frames page frames (one mmap of this process) and
 *   a swap area of nr_swap_slots pages.  A page is materialized on first
 *   touch as a zeroed frame, and can be migrated to another frame, swapped
 *   out and back in, merged with an identical page (KSM, read-only shared,
 *   copy-on-write), discarded or unmapped.
 * - Poison: a frame that is freed is filled with VMMU_HOSTMM_POISON_BYTE
 *   before it joins the (FIFO) free list, and checked when it is taken
 *   again; a vCPU that reads through a stale translation sees poison, and a
 *   vCPU that writes through one is counted in poison_corruptions.
 * - Notifiers: every change of a present host PTE is bracketed, on every
 *   attached VM, by vmmu_mmu_notifier_invalidate_range_start() before the
 *   change and _end() after it, as Linux does: munmap and
 *   madvise(MADV_DONTNEED), migration, swap-out, KSM (write protection,
 *   then replacement with vmmu_mmu_notifier_change_pte() inside the
 *   bracket) and the copy-on-write break of a shared page (wp_page_copy).
 *   Populating an absent page (first touch, swap-in) and re-enabling writes
 *   on an exclusive page (wp_page_reuse) notify nothing, as in Linux.
 *
 * Context: every call is thread-safe.  Calls on one MM serialize on its
 * lock, which an operation holds across its notifier calls, so each
 * operation is atomic with respect to the others and to vCPU faults on the
 * MM's memory.  vmmu_hostmm_destroy() must not race with any other call on
 * the MM.
 */
struct vmmu_hostmm;

#define VMMU_HOSTMM_POISON_BYTE		0xaau	/* like Linux's PAGE_POISON */
#define VMMU_HOSTMM_POISON		0xaaaaaaaaaaaaaaaaull	/* one poisoned word */
#define VMMU_HOSTMM_DEFAULT_FRAMES	4096u
#define VMMU_HOSTMM_MAX_FRAMES		(1ull << 24)	/* 64 GiB of frames */

/*
 * VMMU_HOSTMM_LEGACY_KSM: for tests of the detector only.  KSM replaces a
 * page and calls change_pte() without the invalidate_range_start/end
 * bracket, as Linux's KSM did before 2012.  vmmu follows today's
 * contract and refuses such a change_pte(), so a VM can keep a translation
 * of the freed frame: the vCPU then reads poison.
 */
#define VMMU_HOSTMM_LEGACY_KSM		(1u << 0)
#define VMMU_HOSTMM_VALID_FLAGS		(VMMU_HOSTMM_LEGACY_KSM)

/**
 * struct vmmu_hostmm_config - parameters of a new simulated MM
 * @nr_frames: page frames in the pool; 0 means VMMU_HOSTMM_DEFAULT_FRAMES,
 *	at most VMMU_HOSTMM_MAX_FRAMES.  Address space is reserved for all of
 *	them at once; a frame costs memory when first used.
 * @flags: VMMU_HOSTMM_* flags.
 * @nr_swap_slots: pages in the swap area; 0 means @nr_frames, at most
 *	VMMU_HOSTMM_MAX_FRAMES.
 *
 * Zero-initialise the struct; 0 always means "the default".
 */
struct vmmu_hostmm_config {
	uint64_t nr_frames;
	uint32_t flags;
	uint32_t pad;
	uint64_t nr_swap_slots;
};

/**
 * struct vmmu_hostmm_stats - the state and counters of a simulated MM
 *
 * The first group is the current state, the second counts events since
 * creation.  The values are one consistent snapshot (taken under the lock).
 */
struct vmmu_hostmm_stats {
	uint64_t nr_frames;		/* pool size */
	uint64_t free_frames;		/* frames on the free list or never used */
	uint64_t nr_swap_slots;		/* swap area size */
	uint64_t free_swap_slots;
	uint64_t resident_pages;	/* host PTEs mapping a frame */
	uint64_t swapped_pages;		/* host PTEs pointing into swap */
	uint64_t ksm_frames;		/* frames shared by KSM merges */
	uint64_t vmas;			/* mapped ranges */
	uint64_t attached_vms;
	/* events */
	uint64_t faults;		/* pages materialized on first touch (zeroed) */
	uint64_t swap_ins;
	uint64_t swap_outs;
	uint64_t migrations;
	uint64_t ksm_merges;		/* pages replaced by an identical page's frame */
	uint64_t ksm_merge_failed;	/* merges refused because the contents differed */
	uint64_t cow_breaks;		/* write to a shared page: copied (wp_page_copy) */
	uint64_t wp_reuses;		/* write to an exclusive RO page (wp_page_reuse) */
	uint64_t pages_unmapped;	/* resident or swapped pages dropped by munmap/dontneed */
	uint64_t invalidations;		/* start/end brackets issued, once per attached VM */
	uint64_t change_pte_calls;	/* change_pte calls made (once per attached VM) */
	uint64_t frames_freed;		/* frames poisoned and put on the free list */
	uint64_t poison_corruptions;	/* freed frames found modified when taken again */
	uint64_t oom;			/* allocations that found no free frame */
};

/**
 * vmmu_hostmm_create() - create a simulated host MM with an empty address
 * space
 * @cfg: configuration, or NULL for all defaults.
 * @mmp: on success, receives the MM.
 *
 * Return: 0; -EINVAL for a NULL @mmp, an out-of-range field or an unknown
 * flag; -ENOMEM when the pool, the swap area or the bookkeeping cannot be
 * allocated.  On failure *@mmp is left untouched.
 */
VMMU_API int vmmu_hostmm_create(const struct vmmu_hostmm_config *cfg, struct vmmu_hostmm **mmp);

/**
 * vmmu_hostmm_destroy() - free a simulated MM and all its memory
 * @mm: the MM, or NULL (no-op, returns 0).
 *
 * Every VM attached to @mm must have been destroyed or detached first.
 * Must not race with any other call on @mm.
 *
 * Return: 0; -EBUSY (nothing is freed) while a VM is still attached.
 */
VMMU_API int vmmu_hostmm_destroy(struct vmmu_hostmm *mm);

/**
 * vmmu_vm_attach_hostmm() - back a VM's memslots with a simulated MM, like
 * mmu_notifier_register() for the MM of the process that creates a KVM VM
 * @vm: the VM.
 * @mm: the MM.
 *
 * From then on the userspace_addr of @vm's memslots are addresses in @mm's
 * simulated address space, vCPU faults and vmmu_vcpu_read_guest/
 * write_guest resolve them through @mm, and every operation of @mm invokes
 * @vm's MMU notifiers.  Several VMs may share one MM.  vmmu_vm_destroy()
 * detaches.
 *
 * Context: thread-safe; takes @vm's slots_lock, then @mm's lock.
 *
 * Return: 0; -EINVAL for NULL arguments; -EBUSY if @vm has memslots or is
 * already attached to an MM; -ENOMEM.
 */
VMMU_API int vmmu_vm_attach_hostmm(struct vmmu_vm *vm, struct vmmu_hostmm *mm);

/**
 * vmmu_vm_detach_hostmm() - go back to the direct backend (guest RAM is
 * this process's own memory)
 * @vm: the VM.
 *
 * After it returns, @vm's MM calls none of @vm's notifiers any more.
 *
 * Context: thread-safe; takes @vm's slots_lock, then the MM's lock.
 *
 * Return: 0; -EINVAL if @vm is NULL or not attached; -EBUSY if @vm has
 * memslots.
 */
VMMU_API int vmmu_vm_detach_hostmm(struct vmmu_vm *vm);

/**
 * vmmu_hostmm_mmap() - map anonymous private memory, like mmap(MAP_PRIVATE
 * | MAP_ANONYMOUS)
 * @mm: the MM.
 * @len: bytes, rounded up to whole pages.
 * @hva: in: 0 to let the MM choose the address, or the page-aligned address
 *	wanted (then the range must be free, as with MAP_FIXED_NOREPLACE);
 *	out: the start of the new range.
 *
 * The MM places ranges it chooses from 16 TiB upwards with an unmapped
 * guard page between them.  Every page reads as zero until written.
 *
 * Return: 0; -EINVAL for a NULL argument, a zero @len or an unaligned
 * *@hva; -EPERM if *@hva is below 64 KiB (vm.mmap_min_addr); -EEXIST if the
 * wanted range overlaps a mapping; -ENOMEM if it ends beyond the user half
 * of the address space, no room is left, 65530 ranges are mapped already
 * (vm.max_map_count), or memory runs out.
 */
VMMU_API int vmmu_hostmm_mmap(struct vmmu_hostmm *mm, uint64_t len, uint64_t *hva);

/**
 * vmmu_hostmm_munmap() - unmap [@hva, @hva + @len), like munmap()
 * @mm: the MM.
 * @hva: page aligned.
 * @len: bytes, rounded up to whole pages.
 *
 * Pages in the range are dropped (frames freed and poisoned, swap slots
 * released) inside one invalidate_range_start/end bracket; ranges may be cut
 * or split.  Later accesses to the range fail with -EFAULT until it is
 * mapped again.  Unmapped parts of the range are ignored.
 *
 * Return: 0; -EINVAL for a NULL @mm, an unaligned @hva, a zero @len or a
 * range beyond the user half; -ENOMEM if a split needs memory that cannot be
 * had (nothing is changed).
 */
VMMU_API int vmmu_hostmm_munmap(struct vmmu_hostmm *mm, uint64_t hva, uint64_t len);

/**
 * vmmu_hostmm_madv_dontneed() - drop the pages of [@hva, @hva + @len), like
 * madvise(MADV_DONTNEED)
 * @mm: the MM.
 * @hva: page aligned.
 * @len: bytes, rounded up to whole pages; 0 does nothing.
 *
 * The range stays mapped; its pages read as zero until written, as
 * anonymous private memory does.  Notifies as munmap does.
 *
 * Return: 0; -EINVAL for a NULL @mm, an unaligned @hva or a range beyond
 * the user half; -ENOMEM if part of the range is not mapped (the mapped
 * parts are still dropped).
 */
VMMU_API int vmmu_hostmm_madv_dontneed(struct vmmu_hostmm *mm, uint64_t hva, uint64_t len);

/**
 * vmmu_hostmm_read() - read the MM's memory, as the process itself would
 * @mm: the MM.
 * @hva: start; any alignment.
 * @buf: destination.
 * @len: bytes; may cross pages and mappings.
 *
 * A page never touched (or dropped) reads as zero without being
 * materialized; a swapped-out page is swapped in.
 *
 * Return: 0; -EINVAL for a NULL @mm; -EFAULT for a NULL @buf with a
 * non-zero @len or when part of the range is not mapped (a prefix of @buf
 * may have been written); -ENOMEM when swapping in finds no free frame.
 */
VMMU_API int vmmu_hostmm_read(struct vmmu_hostmm *mm, uint64_t hva, void *buf, uint64_t len);

/**
 * vmmu_hostmm_write() - write the MM's memory, as the process itself would
 * @mm: the MM.
 * @hva: start; any alignment.
 * @buf: source.
 * @len: bytes; may cross pages and mappings.
 *
 * Pages are materialized, swapped in, or copied on write (a KSM page:
 * notified) as needed.  vCPUs that map a page see the write at once, as
 * they share the frame.
 *
 * Return: 0; -EINVAL for a NULL @mm; -EFAULT for a NULL @buf with a
 * non-zero @len or when part of the range is not mapped (a prefix may have
 * been written); -ENOMEM when no free frame is left.
 */
VMMU_API int vmmu_hostmm_write(struct vmmu_hostmm *mm, uint64_t hva, const void *buf,
			       uint64_t len);

/**
 * vmmu_hostmm_migrate() - move the page at @hva to another frame, as page
 * migration (compaction, NUMA balancing) does
 * @mm: the MM.
 * @hva: any address in the page.
 *
 * Inside one bracket: copy to a new frame, switch the PTE, free and poison
 * the old frame.
 *
 * Return: 0; -EINVAL for a NULL @mm; -EFAULT if @hva is not mapped;
 * -EAGAIN if the page is not resident (never touched, or swapped out);
 * -EBUSY if it is a KSM page shared by several PTEs; -ENOMEM if no frame is
 * free.
 */
VMMU_API int vmmu_hostmm_migrate(struct vmmu_hostmm *mm, uint64_t hva);

/**
 * vmmu_hostmm_ksm_merge() - merge two identical pages, as KSM does
 * @mm: the MM.
 * @hva_a: any address in the page whose frame is kept.
 * @hva_b: any address in the page that is re-pointed to it.
 *
 * Both pages are first write-protected (each writable one in its own
 * bracket, as write_protect_page), then compared.  If they are equal, @hva_b
 * is re-pointed to @hva_a's frame inside a bracket that also carries
 * vmmu_mmu_notifier_change_pte() (replace_page), and @hva_b's old frame is
 * freed once no PTE maps it.  The shared frame is read-only; the next write
 * to either page copies it (wp_page_copy).  If the pages differ they stay
 * write-protected, and the next write re-enables writes without a copy.
 *
 * Return: 0 when merged (or already sharing a frame); -EINVAL for a NULL
 * @mm or both addresses in one page; -EFAULT if either is not mapped;
 * -EAGAIN if either page is not resident or the contents differ.
 */
VMMU_API int vmmu_hostmm_ksm_merge(struct vmmu_hostmm *mm, uint64_t hva_a, uint64_t hva_b);

/**
 * vmmu_hostmm_swap_out() - write the page at @hva to swap and free its
 * frame, as reclaim does
 * @mm: the MM.
 * @hva: any address in the page.
 *
 * Inside one bracket: copy to a swap slot, point the PTE at it, free and
 * poison the frame.  The next access swaps the page in (no notifier).
 *
 * Return: 0; -EINVAL for a NULL @mm; -EFAULT if @hva is not mapped;
 * -EAGAIN if the page is not resident; -EBUSY if it is a KSM page shared by
 * several PTEs; -ENOSPC if the swap area is full.
 */
VMMU_API int vmmu_hostmm_swap_out(struct vmmu_hostmm *mm, uint64_t hva);

/**
 * vmmu_hostmm_get_stats() - read the MM's state and counters
 * @mm: the MM.
 * @st: receives them.
 *
 * Return: 0 or -EINVAL for NULL arguments.
 */
VMMU_API int vmmu_hostmm_get_stats(struct vmmu_hostmm *mm, struct vmmu_hostmm_stats *st);

#ifdef __cplusplus
}
#endif

#endif /* VMMU_HOSTMM_PUBLIC_H */
