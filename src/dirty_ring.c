// SPDX-License-Identifier: MIT
/*
 * The dirty ring: enabling, the per-vCPU rings, pushes and
 * KVM_RESET_DIRTY_RINGS (docs/KVM-SEMANTICS.md, "The dirty ring"; the
 * protocol is drawn in dirty_ring.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check_hooks.h"
#include "dirty_ring.h"

static struct kvm_dirty_ring *dirty_ring_alloc(uint32_t bytes)
{
	struct kvm_dirty_ring *ring = calloc(1, sizeof(*ring));

	if (!ring)
		return NULL;
	ring->dirty_gfns = aligned_alloc(PAGE_SIZE, bytes);
	if (!ring->dirty_gfns) {
		free(ring);
		return NULL;
	}
	memset(ring->dirty_gfns, 0, bytes);
	ring->size = bytes / sizeof(struct vmmu_dirty_gfn);
	ring->soft_limit = ring->size - VMMU_DIRTY_RING_RSVD_ENTRIES;
	return ring;
}

static void dirty_ring_release(struct kvm_dirty_ring *ring)
{
	if (ring)
		free(ring->dirty_gfns);
	free(ring);
}

/* The vCPU's ring, allocated by whoever asks first.  NULL: -ENOMEM. */
static struct kvm_dirty_ring *dirty_ring_get(struct vmmu_vcpu *vcpu)
{
	struct kvm_dirty_ring *ring = atomic_load_explicit(&vcpu->dirty_ring, memory_order_acquire);
	struct kvm_dirty_ring *none = NULL;

	if (likely(ring))
		return ring;
	ring = dirty_ring_alloc(atomic_load_explicit(&vcpu->vm->dirty_ring_size,
						     memory_order_relaxed));
	if (!ring)
		return NULL;
	/* Release: the zeroed entries are visible before the pointer. */
	if (!atomic_compare_exchange_strong_explicit(&vcpu->dirty_ring, &none, ring,
						     memory_order_acq_rel, memory_order_acquire)) {
		dirty_ring_release(ring);
		return none;
	}
	return ring;
}

VMMU_API int vmmu_vm_enable_dirty_ring(struct vmmu_vm *vm, uint32_t bytes)
{
	int r = 0;

	if (!vm)
		return -EINVAL;
	/* kvm_vm_ioctl_enable_dirty_log_ring(): the checks in KVM's order. */
	if (!bytes || (bytes & (bytes - 1)))
		return -EINVAL;
	if (bytes < VMMU_DIRTY_RING_RSVD_ENTRIES * sizeof(struct vmmu_dirty_gfn) ||
	    bytes < PAGE_SIZE)
		return -EINVAL;
	if (bytes > VMMU_DIRTY_RING_MAX_BYTES)
		return -E2BIG;
	/* vcpus_lock orders this against vmmu_vcpu_create(). */
	vmmu_mutex_lock(&vm->vcpus_lock);
	if (atomic_load_explicit(&vm->dirty_ring_size, memory_order_relaxed) || vm->nr_online)
		r = -EINVAL;	/* only once; never after a vCPU was created */
	else
		atomic_store_explicit(&vm->dirty_ring_size, bytes, memory_order_relaxed);
	vmmu_mutex_unlock(&vm->vcpus_lock);
	return r;
}

VMMU_API int vmmu_vcpu_get_dirty_ring(struct vmmu_vcpu *vcpu, struct vmmu_dirty_gfn **ringp,
				      uint32_t *nr_entries)
{
	struct kvm_dirty_ring *ring;

	if (!vcpu || !ringp || !kvm_dirty_ring_enabled(vcpu->vm))
		return -EINVAL;
	ring = dirty_ring_get(vcpu);
	if (!ring)
		return -ENOMEM;
	*ringp = ring->dirty_gfns;
	if (nr_entries)
		*nr_entries = ring->size;
	return 0;
}

int kvm_dirty_ring_full_exit(struct vmmu_exit *exit)
{
	exit->reason = VMMU_EXIT_DIRTY_RING_FULL;
	exit->pad = 0;
	return VMMU_EXIT_DIRTY_RING_FULL;
}

int kvm_dirty_ring_vcpu_enter(struct vmmu_vcpu *vcpu, struct vmmu_exit *exit)
{
	struct kvm_dirty_ring *ring = dirty_ring_get(vcpu);

	if (!ring)
		return -ENOMEM;
	if (unlikely(vcpu->dirty_ring_full)) {
		/* KVM_REQ_DIRTY_RING_SOFT_FULL, checked at entry. */
		if (kvm_dirty_ring_used(ring) >= ring->soft_limit)
			return kvm_dirty_ring_full_exit(exit);
		vcpu->dirty_ring_full = false;
	}
	return 0;
}

bool kvm_dirty_ring_vcpu_soft_full(struct vmmu_vcpu *vcpu)
{
	struct kvm_dirty_ring *ring = atomic_load_explicit(&vcpu->dirty_ring,
							   memory_order_acquire);

	return !ring || kvm_dirty_ring_used(ring) >= ring->soft_limit;
}

int kvm_dirty_ring_reserve(struct vmmu_vcpu *vcpu)
{
	struct kvm_dirty_ring *ring = dirty_ring_get(vcpu);

	if (!ring)
		return -ENOMEM;
	return kvm_dirty_ring_used(ring) >= ring->size ? -EBUSY : 0;
}

void kvm_dirty_ring_push(struct vmmu_vcpu *vcpu, const struct vmmu_memslot *slot, gfn_t gfn)
{
	struct kvm_dirty_ring *ring = atomic_load_explicit(&vcpu->dirty_ring,
							   memory_order_acquire);
	uint64_t rel = gfn - slot->base_gfn;
	struct vmmu_dirty_gfn *e;
	uint32_t idx;

	if (!slot->dirty_bitmap || rel >= slot->npages)
		return;
	/* The callers reserved room; a push into a full ring would lose an entry. */
	if (WARN_ON_ONCE(!ring || kvm_dirty_ring_used(ring) >= ring->size))
		return;
	idx = atomic_load_explicit(&ring->dirty_index, memory_order_relaxed);
	e = &ring->dirty_gfns[idx & (ring->size - 1)];
	e->slot = (uint32_t)slot->as_id << 16 | slot->id;
	e->offset = rel;
	/*
	 * dirty_index first: a reset that finds the entry RESET (which the
	 * program can only do after seeing DIRTY) must also find it pushed.
	 * Release on both: slot and offset before DIRTY (the program
	 * acquires flags), and the index before DIRTY.
	 */
	if (variant_is(RING_PUSH_FLAG_FIRST)) {
		/* Variant ring-push-flag-first: DIRTY, then the index. */
		__atomic_store_n(&e->flags, VMMU_DIRTY_GFN_F_DIRTY, __ATOMIC_RELEASE);
		sched_point(SP_RING_PUSH);
		atomic_store_explicit(&ring->dirty_index, idx + 1, memory_order_release);
	} else {
		atomic_store_explicit(&ring->dirty_index, idx + 1, memory_order_release);
		sched_point(SP_RING_PUSH);
		__atomic_store_n(&e->flags, VMMU_DIRTY_GFN_F_DIRTY, __ATOMIC_RELEASE);
	}
	if (kvm_dirty_ring_used(ring) >= ring->soft_limit) {
		/*
		 * The next RAM access must exit: drop the vCPU's TLB (a tlb_gen
		 * bump invalidates every entry) and MMIO info; vcpu_access_ram()
		 * fills no entry while the flag is set.
		 */
		vcpu->dirty_ring_full = true;
		atomic_fetch_add_explicit(&vcpu->tlb_gen, 1, memory_order_seq_cst);
		vcpu->mmio_gen = UINT64_MAX;
	}
}

void kvm_dirty_ring_free(struct vmmu_vcpu *vcpu)
{
	struct kvm_dirty_ring *ring;

	if (!atomic_load_explicit(&vcpu->dirty_ring, memory_order_acquire))
		return;
	/* A reset that found this vCPU before it left the table may still use the ring. */
	vmmu_mutex_lock(&vcpu->vm->slots_lock);
	ring = atomic_exchange_explicit(&vcpu->dirty_ring, NULL, memory_order_acq_rel);
	vmmu_mutex_unlock(&vcpu->vm->slots_lock);
	dirty_ring_release(ring);
}

/*
 * kvm_reset_dirty_gfn(): write-protect the pages of @mask (bit i = page
 * @offset + i) of the slot named like a ring entry.  Entries naming a slot
 * that is gone, or pages beyond its end, are ignored, as in KVM, but only
 * those bits: a mask coalesced from a deleted slot's stale entries and the
 * entries of a new, smaller slot under the same id still protects the new
 * slot's pages (mainline KVM drops the whole mask, and the next writes to
 * those pages push nothing).
 * Context: slots_lock, mmu_lock (write).  Returns whether to flush.
 */
static bool kvm_reset_dirty_gfn(struct vmmu_vm *vm, uint32_t slot_arg, uint64_t offset,
				uint64_t mask, struct flush_range *range)
{
	uint32_t as_id = slot_arg >> 16;
	uint16_t id = (uint16_t)slot_arg;
	struct vmmu_memslot *slot;

	if (!mask || as_id >= vm->nr_as || id >= vm->cfg.max_user_slots)
		return false;
	slot = id_to_memslot(__kvm_memslots(vm, as_id), id);
	if (!slot || offset >= slot->npages)
		return false;
	if (slot->npages - offset < 64)
		mask &= (1ull << (slot->npages - offset)) - 1;
	if (!mask)
		return false;
	if (!__kvm_tdp_mmu_wrprot_masked(vm, as_id, slot->base_gfn + offset, mask))
		return false;
	flush_range_add(range, as_id, slot->base_gfn + offset,
			slot->base_gfn + offset + 64 - __builtin_clzll(mask));
	return true;
}

/*
 * kvm_dirty_ring_reset() - recycle the ring's entries marked RESET, oldest
 * first, stopping at the first one that is not; neighbouring offsets of
 * one slot are write-protected together (one 64-page mask).
 * Context: slots_lock, mmu_lock (write).  Returns the entries recycled.
 */
static uint32_t kvm_dirty_ring_reset(struct vmmu_vm *vm, struct kvm_dirty_ring *ring,
				     struct flush_range *range, bool *flush)
{
	uint32_t start = atomic_load_explicit(&ring->reset_index, memory_order_relaxed);
	uint32_t end = atomic_load_explicit(&ring->dirty_index, memory_order_acquire);
	uint32_t idx = start, cur_slot = 0;
	uint64_t cur_offset = 0, mask = 0;

	for (;; idx++) {
		struct vmmu_dirty_gfn *e = &ring->dirty_gfns[idx & (ring->size - 1)];
		uint32_t flags = __atomic_load_n(&e->flags, __ATOMIC_ACQUIRE);
		uint32_t slot;
		uint64_t offset;

		/*
		 * Variant ring-reset-unharvested: recycle every pushed entry,
		 * also those the program has not harvested yet.
		 */
		if (!(flags & VMMU_DIRTY_GFN_F_RESET) && !variant_is(RING_RESET_UNHARVESTED))
			break;
		/*
		 * Only pushed entries: the acquire of RESET makes a push the
		 * program harvested visible in dirty_index (the push stores the
		 * index before DIRTY), so a second look settles an entry the
		 * first snapshot did not cover; RESET written by the program
		 * on an entry never pushed is ignored.
		 */
		if (idx == end) {
			end = atomic_load_explicit(&ring->dirty_index, memory_order_acquire);
			if (idx == end)
				break;
		}
		slot = e->slot;
		offset = e->offset;
		__atomic_store_n(&e->flags, 0, __ATOMIC_RELAXED);
		if (mask && slot == cur_slot) {
			if (offset >= cur_offset && offset - cur_offset < 64) {
				mask |= 1ull << (offset - cur_offset);
				continue;
			}
			if (offset < cur_offset && cur_offset - offset < 64 &&
			    !(mask >> (64 - (cur_offset - offset)))) {
				mask = mask << (cur_offset - offset) | 1;
				cur_offset = offset;
				continue;
			}
		}
		*flush |= kvm_reset_dirty_gfn(vm, cur_slot, cur_offset, mask, range);
		cur_slot = slot;
		cur_offset = offset;
		mask = 1;
	}
	*flush |= kvm_reset_dirty_gfn(vm, cur_slot, cur_offset, mask, range);
	return idx - start;
}

VMMU_API int vmmu_vm_reset_dirty_rings(struct vmmu_vm *vm)
{
	struct kvm_dirty_ring *rings[VMMU_MAX_VCPUS];
	uint32_t done[VMMU_MAX_VCPUS];
	struct flush_range range = { 0 };
	uint32_t n = 0;
	bool flush = false;
	uint64_t cleared = 0;

	if (!vm || !kvm_dirty_ring_enabled(vm))
		return -EINVAL;
	vmmu_mutex_lock(&vm->slots_lock);
	vmmu_mutex_lock(&vm->vcpus_lock);
	for (uint32_t i = 0; i < vm->nr_online; i++) {
		struct kvm_dirty_ring *ring = atomic_load_explicit(&vm->online[i]->dirty_ring,
								   memory_order_acquire);

		if (ring)
			rings[n++] = ring;
	}
	vmmu_mutex_unlock(&vm->vcpus_lock);

	vmmu_write_lock(&vm->mmu.mmu_lock);
	for (uint32_t i = 0; i < n; i++) {
		done[i] = kvm_dirty_ring_reset(vm, rings[i], &range, &flush);
		cleared += done[i];
	}
	/*
	 * Flush under the lock, before the entries are handed back: a vCPU
	 * must not keep writing through a writable translation of a page
	 * whose entry it could no longer push (see __get_dirty_log()).
	 */
	if (flush)
		kvm_flush_remote_tlbs_range(vm, range);
	for (uint32_t i = 0; i < n; i++)
		atomic_fetch_add_explicit(&rings[i]->reset_index, done[i], memory_order_release);
	vmmu_write_unlock(&vm->mmu.mmu_lock);
	vmmu_mutex_unlock(&vm->slots_lock);
	return cleared > INT32_MAX ? INT32_MAX : (int)cleared;
}
