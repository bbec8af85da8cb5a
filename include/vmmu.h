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
 *   pointer does in KVM.  On failure, output parameters are left untouched
 *   (one exception: vmmu_vcpu_access() describes a -EFAULT in its @exit).
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
 * @max_page_tables: cap on the 4 KiB page-table pages the VM's faults may
 *	build (roots included); 0 means the default, recomputed as slots come
 *	and go: max(4096, 2 * T + 1024), where T bounds the tables that map
 *	every slot page at 4 KiB (per slot of n pages and per level l below
 *	the root, ((n - 1) >> 9l) + 2 tables, plus one root per address
 *	space).  Otherwise at least 64.  At the cap a fault first reclaims the
 *	tables that hold no present SPTE (only MMIO SPTEs, or nothing) and, if
 *	that frees too little, zaps everything (kvm_mmu_zap_all_fast); it never
 *	grows past the cap (a zap-all briefly holds a second set of roots).
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
	uint32_t max_page_tables;
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

/*
 * KVM_SET_USER_MEMORY_REGION2.  VMMU_MEM_GUEST_MEMFD is KVM's flag bit 2; vmmu,
 * like a KVM without KVM_CAP_GUEST_MEMFD, has no guest_memfd and rejects it.
 */
#define VMMU_MEM_GUEST_MEMFD		(1u << 2)	/* KVM_MEM_GUEST_MEMFD */

/**
 * struct vmmu_userspace_memory_region2 - same layout and meaning as
 * struct kvm_userspace_memory_region2 (160 bytes)
 * @slot: as in struct vmmu_userspace_memory_region (the first five fields
 *	are that struct, at the same offsets).
 * @flags: as there; VMMU_MEM_GUEST_MEMFD is refused.
 * @guest_phys_addr: as there.
 * @memory_size: as there.
 * @userspace_addr: as there.
 * @guest_memfd_offset: only meaningful with VMMU_MEM_GUEST_MEMFD; ignored.
 * @guest_memfd: likewise.
 * @pad1: not looked at, as in KVM.
 * @pad2: not looked at, as in KVM.
 *
 *   0 slot  4 flags  8 guest_phys_addr  16 memory_size  24 userspace_addr
 *  32 guest_memfd_offset  40 guest_memfd  44 pad1  48 pad2[14] ... 160
 */
struct vmmu_userspace_memory_region2 {
	uint32_t slot;
	uint32_t flags;
	uint64_t guest_phys_addr;
	uint64_t memory_size;
	uint64_t userspace_addr;
	uint64_t guest_memfd_offset;
	uint32_t guest_memfd;
	uint32_t pad1;
	uint64_t pad2[14];
};
#if !defined(__cplusplus) && defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
_Static_assert(sizeof(struct vmmu_userspace_memory_region2) == 160, "region2 is 160 bytes");
_Static_assert(offsetof(struct vmmu_userspace_memory_region2, userspace_addr) ==
	       offsetof(struct vmmu_userspace_memory_region, userspace_addr) &&
	       offsetof(struct vmmu_userspace_memory_region2, guest_memfd) == 40 &&
	       offsetof(struct vmmu_userspace_memory_region2, pad2) == 48, "region2 layout");
#endif

/**
 * vmmu_set_user_memory_region2() - KVM_SET_USER_MEMORY_REGION2
 * @vm: the VM.
 * @mem: the region.
 *
 * Exactly vmmu_set_user_memory_region() on the first five fields, with the
 * same checks, errnos and effects, except that VMMU_MEM_GUEST_MEMFD in
 * @flags gives -EINVAL (no guest_memfd support, as in a KVM that reports
 * KVM_CAP_GUEST_MEMFD 0).  The guest_memfd fields and the padding are not
 * looked at, as in KVM.
 *
 * Context: as vmmu_set_user_memory_region().
 *
 * Return: 0 or -errno (-EINVAL also for a NULL argument).
 */
VMMU_API int vmmu_set_user_memory_region2(struct vmmu_vm *vm,
					  const struct vmmu_userspace_memory_region2 *mem);

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
#define VMMU_EXIT_DIRTY_RING_FULL	31	/* KVM_EXIT_DIRTY_RING_FULL (see the dirty ring) */
#define VMMU_EXIT_MEMORY_FAULT		39	/* KVM_EXIT_MEMORY_FAULT */

/* vmmu_exit.memory_fault.flags (KVM_MEMORY_EXIT_FLAG_PRIVATE; vmmu never sets it) */
#define VMMU_MEMORY_EXIT_FLAG_PRIVATE	(1ull << 3)

/**
 * struct vmmu_exit - why a guest access left vmmu, like struct kvm_run
 * @reason: VMMU_EXIT_MMIO, VMMU_EXIT_DIRTY_RING_FULL (no payload) or
 *	VMMU_EXIT_MEMORY_FAULT.
 * @mmio: the access, as kvm_run->mmio: a write's bytes are in @data.
 * @memory_fault: as kvm_run->memory_fault with KVM_CAP_MEMORY_FAULT_INFO:
 *	the guest-physical range [@gpa, @gpa + @size) that could not be
 *	served (@gpa page aligned, @size one page) and @flags (0).
 *
 *   offset  0: reason   4: pad   8: union { mmio (24 bytes), memory_fault (24 bytes) }
 */
/* The anonymous union is C11; __extension__ keeps stricter modes quiet. */
#if defined(__GNUC__) && !defined(__cplusplus)
#define VMMU_ANON_UNION	__extension__ union
#else
#define VMMU_ANON_UNION	union
#endif

struct vmmu_exit {
	uint32_t reason;
	uint32_t pad;
	VMMU_ANON_UNION {
		struct {
			uint64_t phys_addr;
			uint8_t data[8];
			uint32_t len;
			uint8_t is_write;
		} mmio;
		struct {
			uint64_t flags;
			uint64_t gpa;
			uint64_t size;
		} memory_fault;
	};
};
#if !defined(__cplusplus) && defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
_Static_assert(sizeof(struct vmmu_exit) == 32, "struct vmmu_exit layout");
_Static_assert(offsetof(struct vmmu_exit, mmio.phys_addr) == 8 &&
	       offsetof(struct vmmu_exit, memory_fault.gpa) == 16, "struct vmmu_exit layout");
#endif

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
 * VMMU_EXIT_DIRTY_RING_FULL when the dirty ring is on and the vCPU's ring
 * is at its soft limit (the access was not made; see
 * vmmu_vm_enable_dirty_ring()), -EINVAL for a bad length, flag or
 * page-crossing access, -EFAULT when the host memory behind a slot is not
 * mapped (and no invalidation raced the lookup) or a write meets a
 * read-only host page - then @exit also holds a VMMU_EXIT_MEMORY_FAULT
 * exit naming the page (KVM_CAP_MEMORY_FAULT_INFO), -ENOMEM when a page table
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
 * Opens a bracket covering the gfns the active memslots map [@start, @end)
 * to (memslot updates made while it is open extend it), zaps the SPTEs
 * mapping them and flushes TLBs.  Faults on those gfns retry until end();
 * faults elsewhere and memslot updates do not wait for it.
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
 * Bumps the invalidation counters of the bracket's gfns (so faults on them
 * that raced the invalidation retry; faults on other gfns do not), closes
 * the bracket and wakes vCPUs waiting for it.  An end()
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
 * As in Linux since 2012, change_pte is only valid inside an
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
 * Return: 0; -ENXIO (the dirty ring is on); -EINVAL (address space or id
 * out of range); -ENOENT (no such slot, or the slot does not log dirty
 * pages); -EFAULT (@bitmap NULL).  As
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
 * Return: 0; -ENXIO (the dirty ring is on); -EINVAL (ids out of range,
 * @first_page not a multiple of 64 or
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
/* The dirty ring (KVM_CAP_DIRTY_LOG_RING_ACQ_REL)                           */
/* ------------------------------------------------------------------------ */

/*
 * struct vmmu_dirty_gfn - one ring entry, struct kvm_dirty_gfn:
 *
 *   offset  0: flags (u32)   bit 0 DIRTY: published by vmmu
 *                            bit 1 RESET: harvested by the program
 *   offset  4: slot (u32)    as_id << 16 | slot id
 *   offset  8: offset (u64)  page index inside the slot
 *
 * Protocol, per entry: vmmu writes @slot and @offset, then stores
 * flags = DIRTY with release.  The program loads @flags with acquire; when
 * DIRTY is set it reads @slot and @offset, then stores flags = RESET with
 * release.  vmmu_vm_reset_dirty_rings() recycles the RESET entries (flags
 * back to 0) and write-protects their pages again.  Entries are used in
 * order; the program keeps its own fetch index (modulo the entry count).
 */
#define VMMU_DIRTY_GFN_F_DIRTY		(1u << 0)
#define VMMU_DIRTY_GFN_F_RESET		(1u << 1)
#define VMMU_DIRTY_GFN_F_MASK		0x3u

struct vmmu_dirty_gfn {
	uint32_t flags;
	uint32_t slot;
	uint64_t offset;
};
#if !defined(__cplusplus) && defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
_Static_assert(sizeof(struct vmmu_dirty_gfn) == 16, "struct kvm_dirty_gfn is 16 bytes");
#endif

/* KVM_DIRTY_RING_MAX_ENTRIES * 16: what KVM_CAP_DIRTY_LOG_RING reports */
#define VMMU_DIRTY_RING_MAX_BYTES	(65536u * 16u)
/* KVM_DIRTY_RING_RSVD_ENTRIES: the soft limit is this many entries short of full */
#define VMMU_DIRTY_RING_RSVD_ENTRIES	64u

/**
 * vmmu_vm_enable_dirty_ring() - KVM_ENABLE_CAP of KVM_CAP_DIRTY_LOG_RING_ACQ_REL
 * @vm: the VM.
 * @bytes: size of each vCPU's ring in bytes (args[0]): a power of two, at
 *	least one page (and VMMU_DIRTY_RING_RSVD_ENTRIES entries), at most
 *	VMMU_DIRTY_RING_MAX_BYTES.
 *
 * From then on, dirty-logged slots (VMMU_MEM_LOG_DIRTY_PAGES) report
 * written pages through per-vCPU rings instead of the bitmap: the write
 * that makes a page writable again pushes (slot, offset) to the ring of the
 * vCPU that made it (vmmu_vcpu_write_guest() too).  vmmu_get_dirty_log()
 * and vmmu_clear_dirty_log() fail with -ENXIO.  When a vCPU's ring holds
 * @bytes / 16 - VMMU_DIRTY_RING_RSVD_ENTRIES entries (its soft limit) its
 * accesses exit with VMMU_EXIT_DIRTY_RING_FULL until the program harvests
 * and calls vmmu_vm_reset_dirty_rings().
 *
 * Context: thread-safe.  As in KVM: only before the first vCPU is created,
 * and only once.
 *
 * Return: 0; -EINVAL (not a power of two, below a page, a vCPU exists, or
 * already enabled); -E2BIG (above VMMU_DIRTY_RING_MAX_BYTES).
 */
VMMU_API int vmmu_vm_enable_dirty_ring(struct vmmu_vm *vm, uint32_t bytes);

/**
 * vmmu_vcpu_get_dirty_ring() - the vCPU's ring, like mmap() of the vCPU fd
 * at KVM_DIRTY_LOG_PAGE_OFFSET
 * @vcpu: the vCPU.
 * @ring: receives the entries (valid until vmmu_vcpu_destroy()).
 * @nr_entries: receives their number (a power of two), or NULL.
 *
 * Context: any thread; the entries follow the protocol drawn above
 * struct vmmu_dirty_gfn.
 *
 * Return: 0; -EINVAL (NULL argument, or the dirty ring is not enabled);
 * -ENOMEM.
 */
VMMU_API int vmmu_vcpu_get_dirty_ring(struct vmmu_vcpu *vcpu, struct vmmu_dirty_gfn **ring,
				      uint32_t *nr_entries);

/**
 * vmmu_vm_reset_dirty_rings() - KVM_RESET_DIRTY_RINGS
 * @vm: the VM.
 *
 * For each vCPU's ring, from its oldest entry on and while the entries are
 * marked RESET: clears them for reuse and write-protects their pages, so
 * the next write to each is pushed again; stops at the first entry not
 * marked RESET.  Remote TLBs are flushed before it returns.  A program
 * migrating memory copies a harvested page only after this call: a write
 * made between the harvest and the reset is then in the copy, and one made
 * after it is pushed again.
 *
 * Context: thread-safe; serialized with memslot updates (slots_lock).
 *
 * Return: the number of entries recycled (>= 0); -EINVAL (@vm NULL or the
 * dirty ring not enabled).
 */
VMMU_API int vmmu_vm_reset_dirty_rings(struct vmmu_vm *vm);

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
	uint64_t remote_tlb_flush_skips;	/* vCPUs a flush did not wait for: inside an access
						 * to a page outside the flushed range */
	uint64_t page_table_cap;	/* the cap on page_tables in force (max_page_tables) */
	uint64_t page_table_reclaims;	/* faults at the cap that reclaimed MMIO-only tables */
	uint64_t page_tables_reclaimed;	/* tables those reclaims freed */
	uint64_t page_table_reclaim_zaps;	/* reclaims that freed too little and zapped
						 * everything (also counted in zap_all_fast) */
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

/* The simulated host MM (vmmu_hostmm_*, vmmu_vm_attach_hostmm) has its own header. */
#include "vmmu/hostmm.h"

#endif /* VMMU_H */
