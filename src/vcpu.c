// SPDX-License-Identifier: MIT
/*
 * vCPUs and guest accesses: the software TLB, the per-vCPU MMIO info cache,
 * handle_mmio_page_fault() on a lockless SPTE walk, and the fall-back to the
 * full fault path in mmu.c.
 *
 * An access runs in an "access bracket" (access_seq odd) whenever it reads
 * the TLB, SPTEs, page tables or guest memory without a lock; see
 * kvm_flush_remote_tlbs() for the protocol that makes this safe.  The
 * bracket is left before the full fault path takes any lock, so a flush that
 * waits for brackets never waits for a lock holder.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "check_hooks.h"
#include "dirty_ring.h"
#include "fence.h"
#include "mmu.h"
#include "notifier.h"
#include "spte.h"
#include "vcpu.h"
#include "vm.h"

static void vcpu_tlb_flush_local(struct vmmu_vcpu *vcpu)
{
	for (unsigned int i = 0; i < VCPU_TLB_SIZE; i++)
		vcpu->tlb[i].gen = UINT64_MAX;
	vcpu->mmio_gen = UINT64_MAX;
	vcpu->walk_pt_gen = UINT64_MAX;
	vcpu->last_used_slot = NULL;
	vcpu->last_used_slot_gen = UINT64_MAX;
}

VMMU_API int vmmu_vcpu_create(struct vmmu_vm *vm, uint32_t id, struct vmmu_vcpu **vcpup)
{
	struct vmmu_vcpu *vcpu;

	if (!vm || !vcpup || id >= VMMU_MAX_VCPUS)
		return -EINVAL;
	vcpu = aligned_alloc(64, (sizeof(*vcpu) + 63) & ~(size_t)63);
	if (!vcpu)
		return -ENOMEM;
	memset(vcpu, 0, sizeof(*vcpu));
	vcpu->vm = vm;
	vcpu->id = id;
	atomic_init(&vcpu->fence_state,
		    atomic_load_explicit(&vm->asym_fence, memory_order_relaxed) ? FENCE_FAST
										: FENCE_ALWAYS);
	vcpu_tlb_flush_local(vcpu);

	vmmu_mutex_lock(&vm->vcpus_lock);
	if (vm->vcpus[id]) {
		vmmu_mutex_unlock(&vm->vcpus_lock);
		free(vcpu);
		return -EEXIST;
	}
	vm->vcpus[id] = vcpu;
	vcpu->online_idx = vm->nr_online;
	vm->online[vm->nr_online++] = vcpu;
	vmmu_mutex_unlock(&vm->vcpus_lock);
	*vcpup = vcpu;
	return 0;
}

void kvm_vcpu_stats_add(struct vcpu_stats *dst, const struct vcpu_stats *src)
{
	const _Atomic uint64_t *s = (const _Atomic uint64_t *)src;
	_Atomic uint64_t *d = (_Atomic uint64_t *)dst;

	for (size_t i = 0; i < sizeof(*src) / sizeof(uint64_t); i++)
		atomic_fetch_add_explicit(&d[i], atomic_load_explicit(&s[i], memory_order_relaxed),
					  memory_order_relaxed);
}

VMMU_API void vmmu_vcpu_destroy(struct vmmu_vcpu *vcpu)
{
	struct vmmu_vm *vm;

	if (!vcpu)
		return;
	vm = vcpu->vm;
	vmmu_mutex_lock(&vm->vcpus_lock);
	if (vm->vcpus[vcpu->id] == vcpu) {
		vm->vcpus[vcpu->id] = NULL;
		/* Swap-remove from the dense list the flushes walk. */
		vm->online[vcpu->online_idx] = vm->online[--vm->nr_online];
		vm->online[vcpu->online_idx]->online_idx = vcpu->online_idx;
	}
	kvm_vcpu_stats_add(&vm->dead_vcpu_stats, &vcpu->stat);
	vmmu_mutex_unlock(&vm->vcpus_lock);
	kvm_dirty_ring_free(vcpu);
	free(vcpu);
}

VMMU_API int vmmu_vcpu_idle(struct vmmu_vcpu *vcpu)
{
	if (!vcpu)
		return -EINVAL;
	vcpu_fence_outside(vcpu);
	return 0;
}

VMMU_API int vmmu_vcpu_set_address_space(struct vmmu_vcpu *vcpu, uint32_t as_id)
{
	if (!vcpu || as_id >= vcpu->vm->nr_as)
		return -EINVAL;
	if (vcpu->as_id != as_id) {
		vcpu->as_id = as_id;
		vcpu_tlb_flush_local(vcpu);
	}
	return 0;
}

/*
 * The caller's buffer holds the access's bytes in guest memory order; the
 * guest is x86, so that is little-endian.  Every copy below moves bytes
 * (a load or store of the access's width, then a copy of its bytes), so it
 * is right on a host of either byte order, with no conversion: one load or
 * store per aligned 1, 2, 4 or 8-byte access, byte by byte otherwise.
 */

/*
 * The access's bytes in the first @len bytes of a u64, the rest zero.  On
 * a little-endian host that is the zero-extended value of the width, a
 * form that keeps the MMIO exit paths free of register saves.
 */
static inline uint64_t access_data(const void *data, uint32_t len)
{
	uint64_t v = 0;

	if (likely(len == 8)) {
		__builtin_memcpy(&v, data, 8);
		return v;
	}
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (len == 4) {
		uint32_t x;

		__builtin_memcpy(&x, data, 4);
		return x;
	}
	if (len == 2) {
		uint16_t x;

		__builtin_memcpy(&x, data, 2);
		return x;
	}
	if (len == 1)
		return *(const uint8_t *)data;
	for (uint32_t i = 0; i < len; i++)
		v |= (uint64_t)((const uint8_t *)data)[i] << (8 * i);
#else
	for (uint32_t i = 0; i < len; i++)
		((uint8_t *)&v)[i] = ((const uint8_t *)data)[i];
#endif
	return v;
}

/*
 * One guest load/store of 1..8 bytes within a page: single-copy atomic when
 * naturally aligned (as x86 guarantees), byte-wise otherwise.
 * guest_load_general()/guest_store_general() take any width;
 * guest_load()/guest_store() inline the aligned 8-byte case and call them,
 * out of line, for the rest; guest_load8()/guest_store8() are the TLB-hit
 * path's, for an aligned 8-byte access only (host pages are page-aligned,
 * so the gpa's alignment is the host address's), inline and call-free so
 * that the hit path stays a leaf function.  (In the checker, whose guest
 * memory hook may redirect a touch, guest_load8()/guest_store8() go
 * through guest_load()/guest_store(), which look at the pointer.)
 */
/* An aligned 8-byte load or store, single-copy atomic, bytes as in memory. */
static inline void guest_load_aligned8(void *data, const uint8_t *p)
{
	uint64_t v = __atomic_load_n((const uint64_t *)p, __ATOMIC_RELAXED);

	__builtin_memcpy(data, &v, 8);
}

static inline void guest_store_aligned8(uint8_t *p, const void *data)
{
	uint64_t v;

	__builtin_memcpy(&v, data, 8);
	__atomic_store_n((uint64_t *)p, v, __ATOMIC_RELAXED);
}

static inline void guest_load_general(void *data, const uint8_t *p, uint32_t len)
{
	if (len == 8 && !((uintptr_t)p & 7)) {
		guest_load_aligned8(data, p);
	} else if (len == 4 && !((uintptr_t)p & 3)) {
		uint32_t x = __atomic_load_n((const uint32_t *)p, __ATOMIC_RELAXED);

		__builtin_memcpy(data, &x, 4);
	} else if (len == 2 && !((uintptr_t)p & 1)) {
		uint16_t x = __atomic_load_n((const uint16_t *)p, __ATOMIC_RELAXED);

		__builtin_memcpy(data, &x, 2);
	} else if (len == 1) {
		*(uint8_t *)data = __atomic_load_n(p, __ATOMIC_RELAXED);
	} else {
		for (uint32_t i = 0; i < len; i++)
			((uint8_t *)data)[i] = __atomic_load_n(p + i, __ATOMIC_RELAXED);
	}
}

static inline void guest_store_general(uint8_t *p, const void *data, uint32_t len)
{
	if (len == 8 && !((uintptr_t)p & 7)) {
		guest_store_aligned8(p, data);
	} else if (len == 4 && !((uintptr_t)p & 3)) {
		uint32_t x;

		__builtin_memcpy(&x, data, 4);
		__atomic_store_n((uint32_t *)p, x, __ATOMIC_RELAXED);
	} else if (len == 2 && !((uintptr_t)p & 1)) {
		uint16_t x;

		__builtin_memcpy(&x, data, 2);
		__atomic_store_n((uint16_t *)p, x, __ATOMIC_RELAXED);
	} else if (len == 1) {
		__atomic_store_n(p, *(const uint8_t *)data, __ATOMIC_RELAXED);
	} else {
		for (uint32_t i = 0; i < len; i++)
			__atomic_store_n(p + i, ((const uint8_t *)data)[i], __ATOMIC_RELAXED);
	}
}

static __attribute__((noinline)) void guest_load_any(void *data, const uint8_t *p, uint32_t len)
{
	guest_load_general(data, p, len);
}

static __attribute__((noinline)) void guest_store_any(uint8_t *p, const void *data, uint32_t len)
{
	guest_store_general(p, data, len);
}

static inline void guest_load(void *data, const uint8_t *p, uint32_t len)
{
	p = vmmu_checker_guest_mem(p, len, false);
	if (likely(len == 8 && !((uintptr_t)p & 7)))
		guest_load_aligned8(data, p);
	else
		guest_load_any(data, p, len);
}

static inline void guest_store(uint8_t *p, const void *data, uint32_t len)
{
	p = vmmu_checker_guest_mem(p, len, true);
	if (likely(len == 8 && !((uintptr_t)p & 7)))
		guest_store_aligned8(p, data);
	else
		guest_store_any(p, data, len);
}

static inline void guest_load8(void *data, const uint8_t *p)
{
	if (VMMU_IS_CHECKER)
		guest_load(data, p, 8);
	else
		guest_load_aligned8(data, p);
}

static inline void guest_store8(uint8_t *p, const void *data)
{
	if (VMMU_IS_CHECKER)
		guest_store(p, data, 8);
	else
		guest_store_aligned8(p, data);
}

/* Fill *exit like kvm_run->mmio after KVM_EXIT_MMIO. */
static inline int vcpu_mmio_exit(struct vmmu_vcpu *vcpu, gpa_t gpa, const void *data, uint32_t len,
			  uint32_t flags, struct vmmu_exit *exit)
{
	uint64_t d = (flags & VMMU_ACCESS_WRITE) ? access_data(data, len) : 0;

	exit->reason = VMMU_EXIT_MMIO;
	exit->pad = 0;
	exit->mmio.phys_addr = gpa;
	__builtin_memcpy(exit->mmio.data, &d, 8);
	exit->mmio.len = len;
	exit->mmio.is_write = flags & VMMU_ACCESS_WRITE;
	VCPU_STAT_INC(vcpu, mmio_exits);
	return VMMU_EXIT_MMIO;
}

/*
 * check_mmio_spte(): the SPTE's generation slice must equal the current
 * generation's, and no update may be in progress (docs/KVM-SEMANTICS.md, "MMIO SPTEs and the
 * generation check").
 */
static inline bool check_mmio_spte(const struct vmmu_vm *vm, uint64_t gen, uint64_t spte)
{
	if (unlikely(gen & VMMU_MEMSLOT_GEN_UPDATE_IN_PROGRESS))
		return false;
	return get_mmio_spte_generation(spte) == (gen & vm->mmio_gen_mask);
}

static __noipa int
vcpu_access_fault(struct vmmu_vcpu *vcpu, gpa_t gpa, void *data, uint32_t len, uint32_t flags,
		  struct vmmu_exit *exit);

/* After a miss: enter the fault loop, or tell the one we are in to go round. */
static inline int vcpu_access_to_fault(struct vmmu_vcpu *vcpu, gpa_t gpa, void *data,
				       uint32_t len, uint32_t flags, struct vmmu_exit *exit)
{
	if (vcpu->in_fault_loop)
		return -EAGAIN;
	return vcpu_access_fault(vcpu, gpa, data, len, flags, exit);
}

/*
 * A guest that streams through pages misses the software TLB on each, and
 * each miss waits for its data: one access at a time cannot overlap the
 * cache misses as a CPU running the guest's loop would.  So, when the
 * stride between TLB misses repeats (a small one, either direction), the
 * same offset PREFETCH_AHEAD strides ahead is prefetched.  A prefetch
 * never faults, so it may name memory outside the slot, or none.
 */
#define PREFETCH_AHEAD		16
#define PREFETCH_MAX_STRIDE	16

static inline void vcpu_miss_prefetch(struct vmmu_vcpu *vcpu, gfn_t gfn, const uint8_t *p)
{
	int64_t stride = (int64_t)(gfn - vcpu->miss_gfn);

	if (stride == vcpu->miss_stride && stride && stride <= PREFETCH_MAX_STRIDE &&
	    stride >= -PREFETCH_MAX_STRIDE)
		__builtin_prefetch((const void *)((uintptr_t)p +
						  (uintptr_t)(stride * PREFETCH_AHEAD *
							      (int64_t)PAGE_SIZE)));
	vcpu->miss_gfn = gfn;
	vcpu->miss_stride = stride;
}

/*
 * vcpu_walk() - the leaf SPTE for @gfn, as tdp_mmu_walk_lockless() finds it,
 * through the vCPU's paging-structure cache: a walk remembers the leaf
 * table it reached, and the next walk within the same 2 MiB reads that
 * table's entry directly, as a CPU's PDE cache skips the upper levels.
 *
 * The cache is tagged like a TLB entry, with the tlb_gen read before the
 * walk that filled it (vcpu->walk_tlb_gen, which the caller has just
 * reloaded), and obeys the same rule: a table is unlinked before a remote
 * flush and freed only after that flush returns (LOCKING.md, "When a
 * changed SPTE needs a flush"); the flush bumps tlb_gen and waits for
 * every access that may have read the old value.  So while tlb_gen still
 * equals the tag, the table is alive; its entries are read fresh, with
 * the walk's acquire, so a leaf changed in place (zapped, write-protected)
 * is seen exactly as a full walk would see it.  An unlinked table not yet
 * freed gives at worst a translation the pending flush is still allowed
 * to leave in use, as a stale TLB entry would.  Context: inside the access
 * bracket.
 */
static __attribute__((noinline)) uint64_t vcpu_walk_fill(struct vmmu_vcpu *vcpu, gfn_t gfn)
{
	struct tdp_pt *pt = NULL;
	uint64_t spte = tdp_mmu_walk_lockless_leaf(vcpu->vm, vcpu->as_id, gfn, &pt);

	if (pt) {
		vcpu->walk_pt = pt;
		vcpu->walk_pt_base = gfn >> PT64_LEVEL_BITS;
		vcpu->walk_pt_gen = vcpu->walk_tlb_gen;
	}
	return spte;
}

static inline uint64_t vcpu_walk(struct vmmu_vcpu *vcpu, gfn_t gfn)
{
	/* Variant pt-cache-ignores-flush: the tag is not compared. */
	if (likely(vcpu->walk_pt_base == gfn >> PT64_LEVEL_BITS &&
		   (vcpu->walk_pt_gen == vcpu->walk_tlb_gen ||
		    (variant_is(PT_CACHE_IGNORES_FLUSH) && vcpu->walk_pt_gen != UINT64_MAX))))
		return tdp_walk_step(vcpu->walk_pt, gfn, 1);
	return vcpu_walk_fill(vcpu, gfn);
}

/*
 * A present SPTE that is not in the software TLB: use the translation that
 * vcpu_access_slow()'s walk found (vcpu->walk_spte) and cache it, tagged
 * with vcpu->walk_tlb_gen (passed in the vCPU, so that the call keeps six
 * arguments in registers and the MMIO paths before it stay a tail call).
 * Entered inside the access bracket; leaves it.
 *
 * The caller read the TLB generation before its walk: a flush that bumped it after
 * the bracket opened cleared its SPTEs before the bump, so a walk that
 * follows our read of the new value cannot see them, and the entry we tag
 * with that value holds only what the walk saw.
 */
static __noipa int
vcpu_access_ram(struct vmmu_vcpu *vcpu, gpa_t gpa, void *data, uint32_t len, uint32_t flags,
		struct vmmu_exit *exit)
{
	uint64_t tlb_gen = vcpu->walk_tlb_gen, spte = vcpu->walk_spte;
	bool write = flags & VMMU_ACCESS_WRITE;
	gfn_t gfn = gpa >> PAGE_SHIFT;

	/* The dirty ring reached its soft limit: the fault path decides. */
	if (unlikely(vcpu->dirty_ring_full) && !vcpu->in_fault_loop) {
		vcpu_access_end(vcpu);
		return vcpu_access_fault(vcpu, gpa, data, len, flags, exit);
	}

	/* An SPTE without the accessed bit (prefetched, or aged) gets it here,
	 * as a CPU's page walk sets it; if the SPTE changed meanwhile, the
	 * fault path decides. */
	if (likely(is_shadow_present_pte(spte) && (!write || is_writable_pte(spte))) &&
	    (likely(spte & PT_ACCESSED_MASK) ||
	     tdp_mmu_mark_accessed_lockless(vcpu->vm, vcpu->as_id, gfn, spte))) {
		uint8_t *host = (uint8_t *)(uintptr_t)(spte_to_pfn(spte) << PAGE_SHIFT);
		struct vcpu_tlb_entry *e = &vcpu->tlb[gfn % VCPU_TLB_SIZE];

		vcpu_miss_prefetch(vcpu, gfn, host + (gpa & ~PAGE_MASK));

		/*
		 * The walk is over: from here on only this page is touched, and
		 * its first touch may block in a host fault that another thread
		 * resolves (post-copy).  Flushes of other ranges need not wait
		 * (kvm_flush_remote_tlbs_range()).
		 */
		atomic_store_explicit(&vcpu->access_target, vcpu_access_target(vcpu->as_id, gfn),
				      memory_order_release);
		sched_point(SP_ACCESS_TARGET);
		if (write)
			guest_store(host + (gpa & ~PAGE_MASK), data, len);
		else
			guest_load(data, host + (gpa & ~PAGE_MASK), len);
		atomic_store_explicit(&vcpu->access_target, 0, memory_order_release);
		e->gfn = gfn;
		e->host = host;
		e->writable = is_writable_pte(spte);
		/* While the dirty ring is at its soft limit the TLB stays empty. */
		e->gen = unlikely(vcpu->dirty_ring_full) ? UINT64_MAX : tlb_gen;
		vcpu_access_end(vcpu);
		VCPU_STAT_INC(vcpu, tlb_fills);
		return 0;
	}
	vcpu_access_end(vcpu);
	return vcpu_access_to_fault(vcpu, gpa, data, len, flags, exit);
}

/*
 * handle_mmio_page_fault(), for an access whose TLB lookup missed: the MMIO
 * info cache, then the lockless walk.  Entered inside the access bracket;
 * leaves it (or hands it on).  Every way out is a return or a tail call, so
 * the MMIO fast paths stay free of register saves.
 */
static __noipa int
vcpu_access_slow(struct vmmu_vcpu *vcpu, gpa_t gpa, void *data, uint32_t len, uint32_t flags,
		 struct vmmu_exit *exit)
{
	struct vmmu_vm *vm = vcpu->vm;
	gfn_t gfn = gpa >> PAGE_SHIFT;
	uint64_t gen, spte;

	gen = atomic_load_explicit(&__kvm_memslots(vm, vcpu->as_id)->generation,
				   memory_order_acquire);

	/* Step 1: the MMIO info cache. */
	if (vcpu->mmio_gen == gen && vcpu->mmio_gfn == gfn) {
		vcpu_access_end(vcpu);
		VCPU_STAT_INC(vcpu, mmio_cache_hits);
		return vcpu_mmio_exit(vcpu, gpa, data, len, flags, exit);
	}
	if (unlikely(gfn > vm->max_gfn))
		goto fault;

	/* Before the walk, for a RAM translation: see vcpu_access_ram(). */
	vcpu->walk_tlb_gen = atomic_load_explicit(&vcpu->tlb_gen, memory_order_acquire);
	spte = vcpu_walk(vcpu, gfn);
	sched_point(SP_MMIO_SPTE_READ);
	if (is_mmio_spte(spte)) {
		/* Step 3: an MMIO SPTE, valid only if its generation matches. */
		if (likely(check_mmio_spte(vm, gen, spte))) {
			vcpu_cache_mmio_info(vcpu, get_mmio_spte_gfn(spte),
					     get_mmio_spte_access(spte), gen);
			vcpu_access_end(vcpu);
			VCPU_STAT_INC(vcpu, fast_mmio_hits);
			return vcpu_mmio_exit(vcpu, gpa, data, len, flags, exit);
		}
		VCPU_STAT_INC(vcpu, pf_invalid);	/* RET_PF_INVALID */
		trace_check_mmio_spte(spte, gen);
	} else if (is_shadow_present_pte(spte)) {
		vcpu->walk_spte = spte;
		return vcpu_access_ram(vcpu, gpa, data, len, flags, exit);
	}
fault:
	vcpu_access_end(vcpu);
	return vcpu_access_to_fault(vcpu, gpa, data, len, flags, exit);
}

/*
 * A fault met a KVM_MEMSLOT_INVALID slot (a DELETE or MOVE between its two
 * swaps): wait until the address space publishes another set, instead of
 * faulting again at once.  Every fault is an RCU read section, and each
 * one that ends while the update waits for a grace period wakes it (a
 * futex call), so retrying at full speed slowed the very update we wait
 * for (a MOVE of a slot a running vCPU uses: 14 us, against 1 us unused).
 * The sets live in the VM (vm->__memslots), so reading the active one's
 * generation needs no read section.  Outside every lock and read section.
 */
static void vcpu_wait_memslots_changed(struct vmmu_vcpu *vcpu)
{
	struct vmmu_vm *vm = vcpu->vm;

	for (unsigned int spins = 1;
	     atomic_load_explicit(&__kvm_memslots(vm, vcpu->as_id)->generation,
				  memory_order_acquire) == vcpu->retry_gen;
	     spins++)
		vmmu_wait_relax(spins);
}

/*
 * The full page fault and what follows it, outside the access bracket (the
 * fault takes locks).  Loops until the access is served or exits.
 */
static int vcpu_access_fault(struct vmmu_vcpu *vcpu, gpa_t gpa, void *data, uint32_t len,
			     uint32_t flags, struct vmmu_exit *exit)
{
	unsigned int retries = 0;
	int r;

	/* The dirty ring: its allocation, and the exit at the soft limit. */
	if (unlikely(kvm_dirty_ring_enabled(vcpu->vm))) {
		r = kvm_dirty_ring_vcpu_enter(vcpu, exit);
		if (r)
			return r;
	}
	vcpu->in_fault_loop = true;
	for (;;) {
		/*
		 * The fault may wait for mmu_lock, held by a flusher that
		 * would otherwise wait for our answer: answer in advance.
		 */
		vcpu_fence_outside(vcpu);
		r = kvm_tdp_page_fault(vcpu, gpa >> PAGE_SHIFT, flags);

		switch (r) {
		case RET_PF_EMULATE:
			VCPU_STAT_INC(vcpu, pf_emulate);
			trace_handle_mmio_page_fault(gpa, gpa >> PAGE_SHIFT, vcpu->id);
			r = vcpu_mmio_exit(vcpu, gpa, data, len, flags, exit);
			trace_kvm_mmio(exit->mmio.is_write, len, gpa, access_data(exit->mmio.data, 8));
			goto out;
		case RET_PF_FIXED:
			VCPU_STAT_INC(vcpu, pf_fixed);
			break;
		case RET_PF_SPURIOUS:
			VCPU_STAT_INC(vcpu, pf_spurious);
			break;
		case RET_PF_RETRY:
			VCPU_STAT_INC(vcpu, pf_retry);
			/*
			 * A memslot update or invalidation is in flight: let it
			 * run.  One that outlasts a short spin (the host is
			 * slow, or never ends its bracket) is slept out.
			 */
			if (vcpu->retry_invalid_slot)
				vcpu_wait_memslots_changed(vcpu);
			else if (vcpu->retry_invalidate && ++retries > 64)
				kvm_mmu_invalidate_wait(vcpu->vm, vcpu->retry_seq, vcpu->as_id,
							gpa >> PAGE_SHIFT);
			else
				vmmu_wait_relax(++retries);
			vcpu->retry_invalidate = false;
			vcpu->retry_invalid_slot = false;
			break;
		case RET_PF_DIRTY_RING_FULL:
			r = kvm_dirty_ring_full_exit(exit);
			goto out;
		case -EFAULT:
			/*
			 * KVM_CAP_MEMORY_FAULT_INFO: the page that could not be
			 * served, beside the errno (kvm_handle_error_pfn()).
			 */
			exit->reason = VMMU_EXIT_MEMORY_FAULT;
			exit->pad = 0;
			exit->memory_fault.flags = 0;
			exit->memory_fault.gpa = gpa & PAGE_MASK;
			exit->memory_fault.size = PAGE_SIZE;
			goto out;
		default:
			if (r >= 0) {
				WARN_ON_ONCE(1);
				r = -EIO;
			}
			goto out;
		}
		/*
		 * Let the "guest" retry the access, as after a fixed fault.  A
		 * map change that removed what the fault installed sends us
		 * round again.
		 */
		vcpu_access_begin(vcpu);
		r = vcpu_access_slow(vcpu, gpa, data, len, flags, exit);
		if (r != -EAGAIN)
			break;
	}
out:
	vcpu->in_fault_loop = false;
	return r;
}

/*
 * The TLB hit of an access other than an aligned 8-byte one: the same
 * entry, the general load or store.  The arguments are vmmu_vcpu_access()'s,
 * so that it reaches here by a tail call with no register moves.  Entered
 * inside the access bracket; leaves it.
 */
static __noipa int vcpu_access_hit_narrow(struct vmmu_vcpu *vcpu, gpa_t gpa, void *data,
					  uint32_t len, uint32_t flags, struct vmmu_exit *exit)
{
	uint8_t *p = vcpu->tlb[(gpa >> PAGE_SHIFT) % VCPU_TLB_SIZE].host + (gpa & ~PAGE_MASK);

	(void)exit;
	if (flags & VMMU_ACCESS_WRITE)
		guest_store_general(vmmu_checker_guest_mem(p, len, true), data, len);
	else
		guest_load_general(data, vmmu_checker_guest_mem(p, len, false), len);
	vcpu_access_end(vcpu);
	return 0;
}

VMMU_API int vmmu_vcpu_access(struct vmmu_vcpu *vcpu, uint64_t gpa, void *data, uint32_t len,
			      uint32_t flags, struct vmmu_exit *exit)
{
	const struct vcpu_tlb_entry *e;
	uint8_t *p;

	if (unlikely(!vcpu) || unlikely(!data) || unlikely(!exit))
		return -EINVAL;
	if (unlikely(len - 1 > 7) || unlikely((uint32_t)(gpa & ~PAGE_MASK) + len > PAGE_SIZE) ||
	    unlikely(flags > VMMU_ACCESS_FETCH))
		return -EINVAL;

	/*
	 * The software-TLB hit: one tag compare against the generation that
	 * remote flushes bump, then the access itself, inside the bracket.
	 */
	e = &vcpu->tlb[(gpa >> PAGE_SHIFT) % VCPU_TLB_SIZE];
	vcpu_access_begin(vcpu);
	if (unlikely(e->gfn != gpa >> PAGE_SHIFT) ||
	    unlikely(e->gen != atomic_load_explicit(&vcpu->tlb_gen, memory_order_seq_cst)))
		return vcpu_access_slow(vcpu, gpa, data, len, flags, exit);
	p = e->host + (gpa & ~PAGE_MASK);
	sched_point(SP_TLB_HIT);
	if (!(flags & VMMU_ACCESS_WRITE)) {
		if (unlikely(len != 8 || (gpa & 7)))
			return vcpu_access_hit_narrow(vcpu, gpa, data, len, flags, exit);
		guest_load8(data, p);
	} else {
		if (unlikely(!e->writable))
			return vcpu_access_slow(vcpu, gpa, data, len, flags, exit);
		if (unlikely(len != 8 || (gpa & 7)))
			return vcpu_access_hit_narrow(vcpu, gpa, data, len, flags, exit);
		guest_store8(p, data);
	}
	vcpu_access_end(vcpu);
	return 0;
}

/*
 * One page of kvm_vcpu_read_guest/write_guest.  The memslot lookup runs
 * under RCU (a DELETE cannot complete, and its caller unmap the memory,
 * while we copy).  A backend that copies with plain loads and stores
 * (hostmem_ops.rw_under_mmu_lock) also needs the host page to stay put, so
 * the copy runs under mmu_lock (read) and only while no invalidation covers
 * the gfn:
 *
 *	copier                               host
 *	------                               ----
 *	read_lock(mmu_lock)                  start(): write_lock(mmu_lock)
 *	retry if in_progress covers gfn        in_progress++, range += gfn
 *	copy                                 write_unlock; return
 *	read_unlock(mmu_lock)                munmap / mmap(MAP_FIXED) ...
 *
 * A start() that takes the lock first makes us wait for its end(); one that
 * comes later waits for the copy, and the host changes nothing before its
 * start() returns (vmmu's defect 4).  A slot being deleted or moved
 * (INVALID) is waited for, as a fault retries on it, so a gpa an atomic
 * batch keeps covered never fails.  Returns 0, -EFAULT, 1 (the slot is
 * INVALID: try again), or -EAGAIN with *@seq set: wait for an end() after
 * *@seq, then try again.  Shared by the vCPU and the VM-level copies.
 */
static int rw_guest_page(struct vmmu_vm *vm, struct vmmu_vcpu *vcpu, uint32_t as_id, gpa_t gpa,
			 uint8_t *p, size_t n, bool write, uint64_t *seq)
{
	bool locked = vm->hostmem->rw_under_mmu_lock;
	struct vmmu_memslots *slots;
	struct vmmu_memslot *slot;
	gfn_t gfn = gpa >> PAGE_SHIFT;
	int r;

	vmmu_rcu_read_lock();
	*seq = mmu_invalidate_snapshot(vm, as_id, gfn);
	slots = __kvm_memslots(vm, as_id);
	slot = __gfn_to_memslot(slots, gfn);
	if (slot && (slot->flags & KVM_MEMSLOT_INVALID)) {
		r = 1;
		goto out;
	}
	if (!slot || (write && (slot->flags & VMMU_MEM_READONLY))) {
		r = -EFAULT;
		goto out;
	}
	/*
	 * A dirty-logged page with the ring on needs a free entry of the
	 * writing vCPU's ring first.  A device thread has no ring to push to,
	 * and with no bitmap to fall back on (KVM's RING_WITH_BITMAP) its write
	 * would be lost to the collector: refused.
	 */
	if (write && slot->dirty_bitmap && unlikely(kvm_dirty_ring_enabled(vm))) {
		r = vcpu ? kvm_dirty_ring_reserve(vcpu) : -EOPNOTSUPP;
		if (r)
			goto out;
	}
	if (locked) {
		/*
		 * In flight in its bucket from before the coverage check to the
		 * end of the copy, as a fault: a start() that sees it takes
		 * mmu_lock for write, which waits for the copy.
		 */
		mn_bucket_enter(mn_bucket(vm, as_id, gfn));
		vmmu_read_lock(&vm->mmu.mmu_lock);
		/*
		 * Only coverage matters here (the copy itself checks that the
		 * page is mapped), so the snapshot is re-taken under the lock:
		 * an end() since the first one is no reason to retry.
		 */
		*seq = mmu_invalidate_snapshot(vm, as_id, gfn);
		/* Variant rw-ignores-invalidation (defect 4): copy regardless. */
		if (mmu_invalidate_retry_gfn(vm, *seq, as_id, gfn) &&
		    !variant_is(RW_IGNORES_INVALIDATION)) {
			vmmu_read_unlock(&vm->mmu.mmu_lock);
			mn_bucket_leave(mn_bucket(vm, as_id, gfn));
			r = -EAGAIN;
			goto out;
		}
	}
	r = vm->hostmem->rw(vm, __gfn_to_hva_memslot(slot, gfn) + (gpa & ~PAGE_MASK), p, n, write);
	if (locked) {
		vmmu_read_unlock(&vm->mmu.mmu_lock);
		mn_bucket_leave(mn_bucket(vm, as_id, gfn));
	}
	/*
	 * A backend without that exclusion (the simulated host MM serializes
	 * on its own lock) may find the page gone mid-replacement: as for a
	 * fault, -EFAULT only if no invalidation raced the lookup.
	 */
	if (r == -EFAULT && !locked) {
		smp_mb();
		if (mmu_invalidate_retry_gfn_locked(vm, *seq, as_id, gfn))
			r = -EAGAIN;
	}
	if (!r && write) {
		if (vcpu)
			kvm_vcpu_mark_page_dirty(vcpu, slot, gfn);
		else
			mark_page_dirty_in_slot(slot, gfn);
	}
out:
	vmmu_rcu_read_unlock();
	return r;
}

static int kvm_rw_guest(struct vmmu_vm *vm, struct vmmu_vcpu *vcpu, uint32_t as_id, gpa_t gpa,
			void *buf, size_t len, bool write)
{
	uint8_t *p = buf;
	unsigned int retries = 0;

	if (!buf && len)
		return -EINVAL;
	while (len) {
		size_t n = PAGE_SIZE - (gpa & ~PAGE_MASK);
		uint64_t seq;
		int r;

		if (n > len)
			n = len;
		if (gpa + n < gpa)
			return -EFAULT;
		r = rw_guest_page(vm, vcpu, as_id, gpa, p, n, write, &seq);
		if (r == -EAGAIN) {
			/* Outside every lock and read section, as a fault. */
			if (++retries > 64)
				kvm_mmu_invalidate_wait(vm, seq, as_id, gpa >> PAGE_SHIFT);
			else
				vmmu_wait_relax(retries);
			continue;
		}
		if (r == 1) {
			/* The memslot update in flight ends without us. */
			vmmu_wait_relax(++retries);
			continue;
		}
		if (r)
			return r;
		retries = 0;
		gpa += n;
		p += n;
		len -= n;
	}
	return 0;
}

VMMU_API int vmmu_vcpu_read_guest(struct vmmu_vcpu *vcpu, uint64_t gpa, void *buf, size_t len)
{
	if (!vcpu)
		return -EINVAL;
	return kvm_rw_guest(vcpu->vm, vcpu, vcpu->as_id, gpa, buf, len, false);
}

VMMU_API int vmmu_vcpu_write_guest(struct vmmu_vcpu *vcpu, uint64_t gpa, const void *buf,
				   size_t len)
{
	if (!vcpu)
		return -EINVAL;
	return kvm_rw_guest(vcpu->vm, vcpu, vcpu->as_id, gpa, (void *)buf, len, true);
}

VMMU_API int vmmu_vm_read_guest(struct vmmu_vm *vm, uint32_t as_id, uint64_t gpa, void *buf,
				size_t len)
{
	if (!vm || as_id >= vm->nr_as)
		return -EINVAL;
	return kvm_rw_guest(vm, NULL, as_id, gpa, buf, len, false);
}

VMMU_API int vmmu_vm_write_guest(struct vmmu_vm *vm, uint32_t as_id, uint64_t gpa,
				 const void *buf, size_t len)
{
	if (!vm || as_id >= vm->nr_as)
		return -EINVAL;
	return kvm_rw_guest(vm, NULL, as_id, gpa, (void *)buf, len, true);
}
