/* SPDX-License-Identifier: MIT */
/*
 * vmmu - a user-space software MMU with KVM's memslot, MMIO-SPTE generation
 * and MMU-notifier coherence protocols.
 *
 * Conventions
 * -----------
 * - Every function that can fail returns 0 (or a documented positive value)
 *   on success and a negative errno on failure.  Where KVM defines the errno
 *   for the same condition, vmmu returns the same one.
 * - Bad input never aborts the process: NULL pointers give -EINVAL, except
 *   the bitmap of the dirty-log calls, which gives -EFAULT as a bad user
 *   pointer does in KVM.  On failure, output parameters are left untouched.
 * - Thread safety: all VM-level calls (vmmu_vm_*, vmmu_set_user_memory_region,
 *   vmmu_memslots_generation, the notifier and dirty-log calls) may be made
 *   concurrently from any threads.  A vCPU (struct vmmu_vcpu) is used by one
 *   thread at a time; which thread may change between calls.  No call ever
 *   asks the caller to register threads with vmmu or with liburcu.
 * - vmmu_vm_destroy() and vmmu_vcpu_destroy() must not race with any other
 *   call on the same object.
 */
#ifndef VMMU_H
#define VMMU_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && !defined(VMMU_API)
#define VMMU_API __attribute__((visibility("default")))
#elif !defined(VMMU_API)
#define VMMU_API
#endif

#define VMMU_VERSION_MAJOR 0
#define VMMU_VERSION_MINOR 1

struct vmmu_vm;
struct vmmu_vcpu;

/* ------------------------------------------------------------------------ */
/* VM                                                                        */
/* ------------------------------------------------------------------------ */

/*
 * vmmu_vm_config.flags
 *
 * VMMU_VM_QUIRK_SLOT_ZAP_ALL: DELETE and MOVE zap every SPTE of the VM (fast,
 *	by obsoleting all page tables) instead of only the leaf SPTEs of the
 *	slot.  This is KVM's default behaviour (KVM_X86_QUIRK_SLOT_ZAP_ALL);
 *	vmmu's default is the slot-only zap that KVM uses when the quirk is
 *	disabled.
 */
#define VMMU_VM_QUIRK_SLOT_ZAP_ALL	(1u << 0)
/*
 * VMMU_VM_MMIO_ZAP_WALK: for comparison only (benchmarks).  Every memslot
 * update also walks the page tables and zaps every MMIO SPTE, as KVM did
 * before MMIO SPTEs carried a generation (kvm_mmu_zap_mmio_sptes); the cost
 * of an update then grows with the number of cached MMIO SPTEs.
 */
#define VMMU_VM_MMIO_ZAP_WALK		(1u << 1)
/*
 * VMMU_VM_SYMMETRIC_FENCE: vCPUs fence themselves when an access begins (a
 * locked instruction, a few ns per access) and remote TLB flushes send no
 * IPI.  By default, where the kernel offers membarrier(), an access begins
 * with no fence and each flush issues one membarrier() (an IPI to every CPU
 * running a thread of the process) instead: best when accesses outnumber
 * flushes by thousands to one, as in most guests; this flag is better for
 * workloads that change the map or the host memory constantly.  The
 * environment variable VMMU_NO_MEMBARRIER=1 sets it for every VM.
 */
#define VMMU_VM_SYMMETRIC_FENCE		(1u << 2)
#define VMMU_VM_VALID_FLAGS		(VMMU_VM_QUIRK_SLOT_ZAP_ALL | VMMU_VM_MMIO_ZAP_WALK | \
					 VMMU_VM_SYMMETRIC_FENCE)

/* Limits, as on x86 KVM. */
#define VMMU_MEM_SLOTS_NUM		32767u	/* KVM_MEM_SLOTS_NUM (SHRT_MAX) */
#define VMMU_DEFAULT_USER_MEM_SLOTS	32764u	/* x86 KVM_USER_MEM_SLOTS */
#define VMMU_MEM_MAX_NR_PAGES		((1ull << 31) - 1) /* KVM_MEM_MAX_NR_PAGES */
#define VMMU_MAX_ADDRESS_SPACES		2u
#define VMMU_MAX_MMIO_GEN_BITS		19u
#define VMMU_MAX_VCPUS			1024u
#define VMMU_PAGE_SHIFT			12
#define VMMU_PAGE_SIZE			(1ull << VMMU_PAGE_SHIFT)

/**
 * struct vmmu_vm_config - parameters of a new VM
 * @nr_address_spaces: 1 or 2; 0 means 2 (address space 1 is SMM-like).
 * @max_user_slots: number of user memslots per address space (the value
 *	KVM_CAP_NR_MEMSLOTS reports); 0 means 32764, at most 32767.
 * @mmio_gen_bits: number of low bits of the memslot generation that an MMIO
 *	SPTE keeps; 0 means 19, valid range 1..19.  Fewer bits make the MMIO
 *	generation wrap (and the zap-all that goes with it) happen sooner.
 * @flags: VMMU_VM_* flags.
 * @max_gpa_bits: guest-physical address width the TDP table maps, like the
 *	host MAXPHYADDR from which KVM derives kvm_mmu_max_gfn(); 0 means 48,
 *	valid range 32..52 (above 48 the page table gets a fifth level; a
 *	shadow-paging KVM accepts gpas up to 2^52).  Creating or moving a slot whose last gfn lies beyond
 *	it fails with -EINVAL (after the overlap check), as in KVM.
 *
 * Zero-initialise the struct; fields added later go after these and 0 always
 * means "the default".
 */
struct vmmu_vm_config {
	uint32_t nr_address_spaces;
	uint32_t max_user_slots;
	uint32_t mmio_gen_bits;
	uint32_t flags;
	/* new fields go after these */
	uint32_t max_gpa_bits;
};

/**
 * vmmu_vm_create() - create a VM with an empty guest-physical memory map
 * @cfg: configuration, or NULL for all defaults.
 * @vmp: on success, receives the new VM.
 *
 * The memslot generation of address space N starts at N.
 *
 * Return: 0, -EINVAL for a NULL @vmp or an out-of-range field or unknown
 * flag in @cfg, -ENOMEM.  On failure *@vmp is left untouched.
 */
VMMU_API int vmmu_vm_create(const struct vmmu_vm_config *cfg, struct vmmu_vm **vmp);

/**
 * vmmu_vm_destroy() - destroy a VM, its vCPUs, memslots and page tables
 * @vm: the VM, or NULL (no-op).
 *
 * Any vCPU still alive is destroyed too.  Guest RAM is the caller's memory
 * and is not touched; a VM attached to a simulated host MM is detached from
 * it first.  Must not race with any other call on @vm.
 */
VMMU_API void vmmu_vm_destroy(struct vmmu_vm *vm);

/**
 * vmmu_vm_get_config() - the effective configuration (defaults filled in)
 * @vm: the VM.
 * @cfg: receives the configuration.
 *
 * Return: 0 or -EINVAL for NULL arguments.
 */
VMMU_API int vmmu_vm_get_config(struct vmmu_vm *vm, struct vmmu_vm_config *cfg);

/* ------------------------------------------------------------------------ */
/* Memory slots                                                              */
/* ------------------------------------------------------------------------ */

#define VMMU_MEM_LOG_DIRTY_PAGES	(1u << 0)	/* KVM_MEM_LOG_DIRTY_PAGES */
#define VMMU_MEM_READONLY		(1u << 1)	/* KVM_MEM_READONLY */

/**
 * struct vmmu_userspace_memory_region - same layout and meaning as
 * struct kvm_userspace_memory_region
 * @slot: bits 0-15 slot id, bits 16-31 address-space id.
 * @flags: VMMU_MEM_LOG_DIRTY_PAGES, VMMU_MEM_READONLY.
 * @guest_phys_addr: guest physical base, page aligned.
 * @memory_size: bytes, a multiple of the page size; 0 deletes the slot.
 * @userspace_addr: host virtual address of the memory, page aligned, in the
 *	user half of the address space.  It need not be mapped yet, but must be
 *	mapped (readable, and writable unless READONLY) when a vCPU touches it.
 */
struct vmmu_userspace_memory_region {
	uint32_t slot;
	uint32_t flags;
	uint64_t guest_phys_addr;
	uint64_t memory_size;
	uint64_t userspace_addr;
};

/**
 * vmmu_set_user_memory_region() - create, delete, move or re-flag a memslot
 * @vm: the VM.
 * @mem: the region, as for KVM_SET_USER_MEMORY_REGION.
 *
 * Checks run in KVM's order with KVM's errnos: unknown flags, a size that is
 * not a page multiple, an unaligned gpa or hva, an hva range outside the
 * user half of the address space, an address-space or slot id out of range,
 * a gpa range that wraps, too many pages, deleting a slot that does not
 * exist, and changing the hva, size or READONLY flag of an existing slot all
 * give -EINVAL; a gpa range that overlaps another slot of the same address
 * space gives -EEXIST; -ENOMEM on allocation failure.  A modification that
 * changes nothing returns 0 without touching the generation.
 *
 * On success the generation of the slot's address space has advanced by
 * nr_address_spaces (CREATE, FLAGS_ONLY) or twice that (DELETE, MOVE, which
 * first publish an INVALID copy of the slot).  When the call returns, no
 * vCPU can use a translation or an MMIO SPTE made under the old map; an
 * access that was already in flight may still complete under the old map,
 * as with KVM.  A rejected call changes nothing.
 *
 * Context: thread-safe; calls are serialized by the VM's slots_lock.  Waits
 * for an RCU grace period and for active MMU-notifier invalidations.
 *
 * Return: 0 or -errno.
 */
VMMU_API int vmmu_set_user_memory_region(struct vmmu_vm *vm,
				const struct vmmu_userspace_memory_region *mem);

/*
 * The memslot generation word (one per address space):
 *
 *   63   62                                                   0
 *  +----+------------------------------------------------------+
 *  | IP |  generation number: as_id + k * nr_address_spaces    |
 *  +----+------------------------------------------------------+
 *
 *  IP (bit 63) = VMMU_MEMSLOT_GEN_UPDATE_IN_PROGRESS, set only between the
 *  publication of a new memslot set and the end of the grace period that
 *  follows it.  The low bits of the number modulo nr_address_spaces are the
 *  address-space id, so generations are unique across address spaces.
 */
#define VMMU_MEMSLOT_GEN_UPDATE_IN_PROGRESS	(1ull << 63)

/**
 * vmmu_memslots_generation() - the current memslot generation of an AS
 * @vm: the VM.
 * @as_id: the address space.
 *
 * Return: the generation word, possibly with
 * VMMU_MEMSLOT_GEN_UPDATE_IN_PROGRESS set while an update is in flight;
 * UINT64_MAX when @vm is NULL or @as_id is out of range (a value no valid
 * generation can take, since bit 63 is only ever set on an in-range one
 * whose low bits are below 2^62).
 */
VMMU_API uint64_t vmmu_memslots_generation(struct vmmu_vm *vm, uint32_t as_id);

/* KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 flags (see the dirty-log calls) */
#define VMMU_DIRTY_LOG_MANUAL_PROTECT_ENABLE	(1ull << 0)
#define VMMU_DIRTY_LOG_INITIALLY_SET		(1ull << 1)

/* ------------------------------------------------------------------------ */
/* vCPUs and guest accesses                                                  */
/* ------------------------------------------------------------------------ */

/**
 * vmmu_vcpu_create() - create a vCPU
 * @vm: the VM.
 * @id: vCPU id, below VMMU_MAX_VCPUS and unique in the VM.
 * @vcpup: receives the vCPU.
 *
 * The vCPU starts in address space 0.
 *
 * Return: 0, -EINVAL (NULL argument, id out of range), -EEXIST (id in use),
 * -ENOMEM.
 */
VMMU_API int vmmu_vcpu_create(struct vmmu_vm *vm, uint32_t id, struct vmmu_vcpu **vcpup);

/**
 * vmmu_vcpu_destroy() - destroy a vCPU
 * @vcpu: the vCPU, or NULL (no-op).  Must not be in use by another thread.
 */
VMMU_API void vmmu_vcpu_destroy(struct vmmu_vcpu *vcpu);

/**
 * vmmu_vcpu_set_address_space() - switch the vCPU's address space
 * @vcpu: the vCPU.
 * @as_id: the new address space (like entering, 1, or leaving, 0, SMM).
 *
 * Return: 0 or -EINVAL if @as_id is out of range.
 */
VMMU_API int vmmu_vcpu_set_address_space(struct vmmu_vcpu *vcpu, uint32_t as_id);

#define VMMU_EXIT_MMIO	6	/* same number as KVM_EXIT_MMIO */

/**
 * struct vmmu_exit - why a guest access left vmmu, like struct kvm_run
 * @reason: VMMU_EXIT_MMIO.
 * @mmio: the access, as kvm_run->mmio: a write's bytes are in @data.
 */
struct vmmu_exit {
	uint32_t reason;
	uint32_t pad;
	struct {
		uint64_t phys_addr;
		uint8_t data[8];
		uint32_t len;
		uint8_t is_write;
	} mmio;
};

#define VMMU_ACCESS_WRITE	(1u << 0)
#define VMMU_ACCESS_FETCH	(1u << 1)

/**
 * vmmu_vcpu_access() - one guest access
 * @vcpu: the vCPU (used by one thread at a time).
 * @gpa: guest physical address.
 * @data: a read fills @len bytes here; a write takes them from here.
 * @len: 1..8 bytes; the access must not cross a 4 KiB page.
 * @flags: 0 (read), VMMU_ACCESS_WRITE or VMMU_ACCESS_FETCH (not both).
 * @exit: filled when the access exits to the VMM.
 *
 * Resolves @gpa in the vCPU's address space exactly as KVM's TDP fault path
 * does: RAM is read or written in place; an address without a memslot, or a
 * write to a READONLY slot, exits with VMMU_EXIT_MMIO (the VMM completes the
 * access, as after KVM_EXIT_MMIO).  The first access to an unbacked address
 * installs an MMIO SPTE tagged with the memslot generation, so later ones
 * exit without a slot lookup until the memory map changes.
 *
 * While an MMU-notifier invalidation covers the page (between start() and
 * end()), the access waits - spinning briefly, then sleeping until an
 * end() - and then reads the new host memory: a bracketed replacement is
 * seen only as delay.
 *
 * Return: 0 when guest RAM served the access, VMMU_EXIT_MMIO when it exits,
 * -EINVAL for a bad length, flag or page-crossing access, -EFAULT when the
 * host memory behind a slot is not mapped (and no invalidation raced the
 * lookup) or a write meets a read-only host page, -ENOMEM when a page table
 * cannot be allocated, -EIO when an internal invariant is broken (a warning
 * names it; the library stays usable).
 */
VMMU_API int vmmu_vcpu_access(struct vmmu_vcpu *vcpu, uint64_t gpa, void *data,
		     uint32_t len, uint32_t flags, struct vmmu_exit *exit);

/**
 * vmmu_vcpu_read_guest() - copy a range of guest RAM out, like
 * kvm_vcpu_read_guest()
 * @vcpu: the vCPU (its address space is used).
 * @gpa: start.
 * @buf: destination.
 * @len: bytes; may cross pages and slots.
 *
 * A page that an MMU-notifier invalidation covers is copied only after its
 * end(), as for vmmu_vcpu_access().
 *
 * Return: 0, -EFAULT if any part of the range is not RAM (no slot, an
 * INVALID slot being deleted or moved, or unmapped host memory), -EINVAL
 * for NULL arguments.  On -EFAULT a prefix of @buf may have been written.
 */
VMMU_API int vmmu_vcpu_read_guest(struct vmmu_vcpu *vcpu, uint64_t gpa, void *buf, size_t len);

/**
 * vmmu_vcpu_write_guest() - copy into guest RAM, like kvm_vcpu_write_guest()
 * @vcpu: the vCPU.
 * @gpa: start.
 * @buf: source.
 * @len: bytes.
 *
 * Writes to a READONLY slot fail with -EFAULT, as in KVM.  Dirty logging
 * marks the pages written.
 *
 * Return: 0, -EFAULT, -EINVAL.
 */
VMMU_API int vmmu_vcpu_write_guest(struct vmmu_vcpu *vcpu, uint64_t gpa, const void *buf, size_t len);

/* ------------------------------------------------------------------------ */
/* MMU notifiers: host memory coherence                                      */
/* ------------------------------------------------------------------------ */

/*
 * The embedding program calls these around any change of the host memory
 * behind guest RAM, as Linux's mm calls a secondary MMU's notifiers: e.g.
 * start() before munmap/madvise(MADV_DONTNEED)/mremap/mmap(MAP_FIXED) of a
 * range it gave as userspace_addr, end() after.  [start, end) are host
 * virtual addresses.  Ranges that hit no memslot cost one interval-tree
 * lookup per address space and touch no state, as in KVM.
 *
 * Between start() and the matching end(), a vCPU fault on an affected gfn
 * retries instead of installing a translation; after start() returns, no
 * vCPU uses a translation of the range; after end() returns, accesses see
 * the new host memory.  Memslot updates wait while any start() is
 * unmatched.  Every start() must be paired with an end() of the same range;
 * the host may change memory only between them.
 *
 * Context: thread-safe; may be called from any thread, concurrently.
 */

/**
 * vmmu_mmu_notifier_invalidate_range_start() - host memory in [@start, @end)
 * is about to change
 * @vm: the VM.
 * @start: first host address.
 * @end: one past the last host address.
 *
 * Bumps mmu_invalidate_in_progress, widens the invalidated gfn range, zaps
 * the SPTEs mapping the range and flushes TLBs.
 */
VMMU_API void vmmu_mmu_notifier_invalidate_range_start(struct vmmu_vm *vm, uint64_t start,
							uint64_t end);

/**
 * vmmu_mmu_notifier_invalidate_range_end() - the change of [@start, @end)
 * is complete
 * @vm: the VM.
 * @start: as passed to start().
 * @end: as passed to start().
 *
 * Bumps mmu_invalidate_seq (so faults that raced the invalidation retry),
 * drops mmu_invalidate_in_progress and wakes vCPUs waiting for it.  An end()
 * whose range matches no open start() exactly (never started, or ended
 * already) changes nothing: it warns once and counts
 * invalidate_end_unmatched in vmmu_stats.
 */
VMMU_API void vmmu_mmu_notifier_invalidate_range_end(struct vmmu_vm *vm, uint64_t start,
						      uint64_t end);

/**
 * vmmu_mmu_notifier_change_pte() - the host page behind @address was
 * replaced in place (KSM merge, copy-on-write break)
 * @vm: the VM.
 * @address: host virtual address (any byte in the page).
 * @new_page: host address of the page that now backs @address.
 * @writable: whether the new host mapping allows writes.
 *
 * As in Linux since 2012 (seed 003), change_pte is only valid inside an
 * invalidate_range_start/end bracket covering @address; there, SPTEs still
 * mapping the page are re-pointed to @new_page (normally there are none, as
 * start() zapped them).  The page must lie inside the host range of an open
 * start() on @vm; otherwise the call is refused: it warns once, counts
 * change_pte_unbracketed, changes nothing and returns -EINVAL.  (A bracket
 * on another range, or in another address space, does not make it valid.)
 * Inside a bracket, an address outside every memslot is accepted and
 * changes nothing.
 *
 * Return: 0 or -EINVAL.
 */
VMMU_API int vmmu_mmu_notifier_change_pte(struct vmmu_vm *vm, uint64_t address,
					  uint64_t new_page, int writable);

/**
 * vmmu_mmu_notifier_clear_flush_young() - test and clear the accessed bits
 * of SPTEs mapping [@start, @end), flushing TLBs if any was young
 * @vm: the VM.
 * @start: first host address.
 * @end: one past the last.
 *
 * Return: 1 if any page in the range was young, else 0.
 */
VMMU_API int vmmu_mmu_notifier_clear_flush_young(struct vmmu_vm *vm, uint64_t start,
						  uint64_t end);

/**
 * vmmu_mmu_notifier_clear_young() - as clear_flush_young, without the flush
 * @vm: the VM.
 * @start: first host address.
 * @end: one past the last.
 *
 * A vCPU may keep using a cached translation without setting the bit again
 * until the next flush, as in KVM.
 *
 * Return: 1 if any page was young, else 0.
 */
VMMU_API int vmmu_mmu_notifier_clear_young(struct vmmu_vm *vm, uint64_t start, uint64_t end);

/**
 * vmmu_mmu_notifier_test_young() - is the page at @address young?
 * @vm: the VM.
 * @address: host virtual address.
 *
 * Return: 1 if an SPTE mapping it has the accessed bit set, else 0.
 */
VMMU_API int vmmu_mmu_notifier_test_young(struct vmmu_vm *vm, uint64_t address);

/**
 * vmmu_mmu_notifier_release() - the host address space is going away
 * @vm: the VM.
 *
 * Zaps every SPTE (kvm_flush_shadow_all); memslots stay.  Later faults
 * rebuild translations, so a caller may keep using the VM if the memory is
 * in fact still there.
 */
VMMU_API void vmmu_mmu_notifier_release(struct vmmu_vm *vm);

/* ------------------------------------------------------------------------ */
/* Dirty logging                                                             */
/* ------------------------------------------------------------------------ */

/**
 * vmmu_get_dirty_log() - KVM_GET_DIRTY_LOG
 * @vm: the VM.
 * @slot: bits 0-15 slot id, bits 16-31 address-space id.
 * @bitmap: receives one bit per page of the slot, little-endian bit order
 *	(page i is bit i % 8 of byte i / 8), rounded up to 64-bit words.
 *
 * Without manual protect: atomically takes and clears the dirty bits and
 * write-protects the pages that were dirty, so their next write is logged
 * again.  With manual protect (vmmu_vm_enable_manual_dirty_log_protect):
 * only copies the bitmap; vmmu_clear_dirty_log() clears and re-protects.
 *
 * Return: 0; -EINVAL (address space or id out of range); -ENOENT (no such
 * slot, or the slot does not log dirty pages); -EFAULT (@bitmap NULL).  As
 * in KVM, without manual protect the bits are taken before the copy-out, so
 * a call that fails with -EFAULT has still consumed them.
 */
VMMU_API int vmmu_get_dirty_log(struct vmmu_vm *vm, uint32_t slot, void *bitmap);

/**
 * vmmu_clear_dirty_log() - KVM_CLEAR_DIRTY_LOG
 * @vm: the VM.
 * @slot: as for vmmu_get_dirty_log().
 * @first_page: first page of the slot to clear; a multiple of 64.
 * @num_pages: pages; a multiple of 64 unless the range ends at the slot end.
 * @bitmap: which of those pages to clear (bit 0 = @first_page); vmmu reads
 *	exactly ceil(@num_pages / 8) bytes and ignores bits past @num_pages.
 *	KVM reads the buffer in whole 64-bit words, so a buffer rounded up to
 *	a multiple of 8 bytes works with both.
 *
 * Clears the requested bits that are set and write-protects those pages.
 * Works with or without manual protect, as in KVM.
 *
 * Return: 0; -EINVAL (ids out of range, @first_page not a multiple of 64 or
 * beyond the slot, @num_pages too large or not a multiple of 64 short of
 * the end); -ENOENT; -EFAULT (@bitmap NULL).
 */
VMMU_API int vmmu_clear_dirty_log(struct vmmu_vm *vm, uint32_t slot, uint64_t first_page,
				  uint32_t num_pages, void *bitmap);

/**
 * vmmu_vm_enable_manual_dirty_log_protect() - KVM_ENABLE_CAP of
 * KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2
 * @vm: the VM.
 * @flags: 0 (disable), VMMU_DIRTY_LOG_MANUAL_PROTECT_ENABLE, optionally
 *	with VMMU_DIRTY_LOG_INITIALLY_SET (new dirty bitmaps start all-ones
 *	and enabling logging write-protects nothing).
 *
 * Return: 0 or -EINVAL for unknown bits or INITIALLY_SET without ENABLE.
 */
VMMU_API int vmmu_vm_enable_manual_dirty_log_protect(struct vmmu_vm *vm, uint64_t flags);

/* ------------------------------------------------------------------------ */
/* Simulated host MM                                                         */
/* ------------------------------------------------------------------------ */

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
 * bracket, as Linux's KSM did before 2012 (seed 003).  vmmu follows today's
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

/* ------------------------------------------------------------------------ */
/* Statistics                                                                */
/* ------------------------------------------------------------------------ */

/**
 * struct vmmu_stats - counters named after KVM's concepts
 *
 * All counters are cumulative since VM creation; vCPU counters include
 * destroyed vCPUs.  Values read while vCPUs run are a consistent-enough
 * snapshot for reporting (each counter is exact, the set is not atomic).
 */
struct vmmu_stats {
	/* vCPU side (the software-TLB hit path counts nothing: it is the hot path) */
	uint64_t tlb_fills;		/* translations cached in a vCPU's software TLB */
	uint64_t mmio_exits;		/* returned VMMU_EXIT_MMIO */
	uint64_t mmio_cache_hits;	/* per-vCPU MMIO info cache hit (RET_PF_EMULATE) */
	uint64_t fast_mmio_hits;	/* MMIO SPTE with matching generation */
	uint64_t pf_invalid;		/* RET_PF_INVALID: MMIO SPTE generation miss */
	uint64_t pf_retry;		/* RET_PF_RETRY */
	uint64_t pf_fixed;		/* RET_PF_FIXED: a RAM SPTE installed */
	uint64_t pf_spurious;		/* RET_PF_SPURIOUS: already fixed by another vCPU */
	uint64_t pf_emulate;		/* full fault path ended in RET_PF_EMULATE */
	uint64_t mmio_sptes_created;	/* MMIO SPTEs installed */
	uint64_t invalid_slot_retries;	/* faults that found a KVM_MEMSLOT_INVALID slot */
	uint64_t notifier_retries;	/* faults that lost a race with an invalidation */
	/* VM side */
	uint64_t memslot_updates;	/* successful vmmu_set_user_memory_region calls */
	uint64_t memslot_swaps;		/* active/inactive set swaps */
	uint64_t zap_all_fast;		/* kvm_mmu_zap_all_fast runs */
	uint64_t mmio_wrap_zaps;	/* zaps because the MMIO generation wrapped */
	uint64_t slot_zaps;		/* slot-only zaps (DELETE/MOVE) */
	uint64_t sptes_zapped;		/* leaf SPTEs cleared by zaps */
	uint64_t remote_tlb_flush_requests;
	uint64_t remote_tlb_flush;	/* flushes that had to wait for a vCPU */
	uint64_t page_tables;		/* page-table pages currently allocated */
	uint64_t change_pte_unbracketed;	/* change_pte refused: no open start() covers the page */
	uint64_t invalidate_end_unmatched;	/* end() with no open start() of that range: ignored */
	uint64_t invalidate_waits;	/* faults that blocked until an invalidation ended */
	uint64_t fault_flushes;		/* faults that removed access from a present SPTE and
					 * flushed (by design 0; each one also warns) */
	uint64_t fence_fallbacks;	/* membarrier() failed: the VM switched to symmetric fences */
};

/**
 * vmmu_vm_get_stats() - read the VM's counters
 * @vm: the VM.
 * @stats: receives the counters.
 *
 * Return: 0 or -EINVAL for NULL arguments.
 */
VMMU_API int vmmu_vm_get_stats(struct vmmu_vm *vm, struct vmmu_stats *stats);

/**
 * vmmu_strerror() - a short description of a vmmu return value
 * @ret: 0, a positive result (VMMU_EXIT_MMIO) or a negative errno.
 *
 * Return: a static string.
 */
VMMU_API const char *vmmu_strerror(int ret);

#ifdef __cplusplus
}
#endif

#endif /* VMMU_H */
