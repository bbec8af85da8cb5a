// SPDX-License-Identifier: MIT
/*
 * Dirty logging with KVM's semantics and errnos (docs/KVM-SEMANTICS.md, "Dirty logging").
 *
 * A slot with VMMU_MEM_LOG_DIRTY_PAGES has a bitmap of 2 x (npages rounded
 * up to 64) bits: the live bitmap, then GET's scratch copy.  A page's bit is
 * set under mmu_lock (read) when a fault makes its SPTE writable
 * (kvm_tdp_mmu_map) and by kvm_vcpu_write_guest; taking bits and
 * write-protecting their pages happen together under mmu_lock (write), so a
 * write is never both unlogged and unprotected.  With the dirty ring on
 * (dirty_ring.c) the same marks go to the vCPU's ring and both calls fail
 * with -ENXIO, as in KVM.
 */
#include <errno.h>
#include <string.h>

#include "dirty_ring.h"
#include "memslots.h"
#include "mmu.h"
#include "vm.h"

/* Write-protect the pages of @mask (bit i = page @first + i). mmu_lock (write). */
static bool wrprot_masked(struct vmmu_vm *vm, struct vmmu_memslot *slot, uint64_t first,
			  uint64_t mask)
{
	lockdep_assert_held_write(&vm->mmu.mmu_lock);
	return __kvm_tdp_mmu_wrprot_masked(vm, slot->as_id, slot->base_gfn + first, mask);
}

static struct vmmu_memslot *dirty_log_slot(struct vmmu_vm *vm, uint32_t slot, int *err)
{
	uint32_t as_id = slot >> 16;
	uint16_t id = (uint16_t)slot;

	if (as_id >= vm->nr_as || id >= vm->cfg.max_user_slots) {
		*err = -EINVAL;
		return NULL;
	}
	return id_to_memslot(__kvm_memslots(vm, as_id), id);
}

/* kvm_get_dirty_log_protect().  Context: slots_lock. */
static int __get_dirty_log(struct vmmu_vm *vm, uint32_t slot_arg, void *bitmap)
{
	struct vmmu_memslot *slot;
	lockdep_assert_held(&vm->slots_lock);
	uint64_t words, *snap;
	bool flush = false;
	int err = 0;

	/* The bitmap and the dirty ring exclude each other (kvm_use_dirty_bitmap). */
	if (kvm_dirty_ring_enabled(vm))
		return -ENXIO;
	slot = dirty_log_slot(vm, slot_arg, &err);
	if (err)
		return err;
	if (!slot || !slot->dirty_bitmap)
		return -ENOENT;
	words = dirty_bitmap_words(slot->npages);

	if (vm->manual_dirty_log_protect & VMMU_DIRTY_LOG_MANUAL_PROTECT_ENABLE) {
		if (!bitmap)
			return -EFAULT;
		for (uint64_t i = 0; i < words; i++) {
			uint64_t w = atomic_load_explicit(&slot->dirty_bitmap[i],
							  memory_order_relaxed);

			memcpy((uint8_t *)bitmap + i * 8, &w, 8);
		}
		return 0;
	}

	/* The scratch half holds the snapshot we hand out. */
	snap = (uint64_t *)(slot->dirty_bitmap + words);
	vmmu_write_lock(&vm->mmu.mmu_lock);
	for (uint64_t i = 0; i < words; i++) {
		uint64_t mask = 0;

		if (atomic_load_explicit(&slot->dirty_bitmap[i], memory_order_relaxed))
			/* Acquire: pairs with the release in mark_page_dirty_in_slot. */
			mask = atomic_exchange_explicit(&slot->dirty_bitmap[i], 0,
							memory_order_acquire);
		snap[i] = mask;
		if (mask)
			flush |= wrprot_masked(vm, slot, i * 64, mask);
	}
	/* Flush under the lock: no fault can re-install W before vCPUs drop
	 * their cached writable translations. */
	if (flush)
		kvm_flush_remote_tlbs_range(vm, flush_range_of_slot(slot));
	vmmu_write_unlock(&vm->mmu.mmu_lock);
	/*
	 * As KVM: the bits are taken (and their pages write-protected) before
	 * the copy-out, so a bad buffer loses them (copy_to_user -> -EFAULT).
	 */
	if (!bitmap)
		return -EFAULT;
	memcpy(bitmap, snap, words * 8);
	return 0;
}

VMMU_API int vmmu_get_dirty_log(struct vmmu_vm *vm, uint32_t slot, void *bitmap)
{
	int r;

	if (!vm)
		return -EINVAL;
	vmmu_mutex_lock(&vm->slots_lock);
	r = __get_dirty_log(vm, slot, bitmap);
	vmmu_mutex_unlock(&vm->slots_lock);
	return r;
}

/* kvm_clear_dirty_log_protect(), checks in KVM's order.  Context: slots_lock. */
static int __clear_dirty_log(struct vmmu_vm *vm, uint32_t slot_arg, uint64_t first_page,
			     uint32_t num_pages, const void *bitmap)
{
	struct vmmu_memslot *slot;
	bool flush = false;
	lockdep_assert_held(&vm->slots_lock);
	uint64_t words;
	int err = 0;

	if (kvm_dirty_ring_enabled(vm))
		return -ENXIO;
	if ((slot_arg >> 16) >= vm->nr_as || (uint16_t)slot_arg >= vm->cfg.max_user_slots)
		return -EINVAL;
	if (first_page & 63)
		return -EINVAL;
	slot = dirty_log_slot(vm, slot_arg, &err);
	if (!slot || !slot->dirty_bitmap)
		return -ENOENT;
	if (first_page > slot->npages || num_pages > slot->npages - first_page ||
	    (num_pages < slot->npages - first_page && (num_pages & 63)))
		return -EINVAL;
	if (!bitmap && num_pages)
		return -EFAULT;

	/*
	 * The caller's buffer holds ceil(num_pages / 8) bytes (KVM copies in
	 * whole 64-bit words; a buffer sized so works with both).  Read no
	 * more, and ignore bits past num_pages: num_pages is a multiple of 64
	 * unless the range ends at the slot end, where no page has a bit.
	 */
	words = (num_pages + 63) / 64;
	vmmu_write_lock(&vm->mmu.mmu_lock);
	for (uint64_t i = 0; i < words; i++) {
		uint64_t mask = 0, w = first_page / 64 + i;
		size_t bytes = (size_t)(num_pages - i * 64 + 7) / 8;

		memcpy(&mask, (const uint8_t *)bitmap + i * 8, bytes < 8 ? bytes : 8);
		if (num_pages - i * 64 < 64)
			mask &= (1ull << (num_pages - i * 64)) - 1;
		if (!mask)
			continue;
		/* Clear what was asked; re-protect only what was really set. */
		mask &= atomic_fetch_and_explicit(&slot->dirty_bitmap[w], ~mask,
						  memory_order_acquire);
		if (mask)
			flush |= wrprot_masked(vm, slot, w * 64, mask);
	}
	if (flush)
		kvm_flush_remote_tlbs_range(vm, flush_range_of_slot(slot));
	vmmu_write_unlock(&vm->mmu.mmu_lock);
	return 0;
}

VMMU_API int vmmu_clear_dirty_log(struct vmmu_vm *vm, uint32_t slot, uint64_t first_page,
				  uint32_t num_pages, void *bitmap)
{
	int r;

	if (!vm)
		return -EINVAL;
	vmmu_mutex_lock(&vm->slots_lock);
	r = __clear_dirty_log(vm, slot, first_page, num_pages, bitmap);
	vmmu_mutex_unlock(&vm->slots_lock);
	return r;
}

VMMU_API int vmmu_vm_enable_manual_dirty_log_protect(struct vmmu_vm *vm, uint64_t flags)
{
	uint64_t allowed = VMMU_DIRTY_LOG_MANUAL_PROTECT_ENABLE;

	if (!vm)
		return -EINVAL;
	if (flags & VMMU_DIRTY_LOG_MANUAL_PROTECT_ENABLE)
		allowed |= VMMU_DIRTY_LOG_INITIALLY_SET;
	if (flags & ~allowed)
		return -EINVAL;
	vmmu_mutex_lock(&vm->slots_lock);
	vm->manual_dirty_log_protect = flags;
	vmmu_mutex_unlock(&vm->slots_lock);
	return 0;
}
