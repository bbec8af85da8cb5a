/* SPDX-License-Identifier: MIT */
/*
 * The dirty ring (KVM_CAP_DIRTY_LOG_RING_ACQ_REL): per-vCPU rings of
 * (slot, offset) entries that replace the dirty bitmap when enabled.
 * docs/KVM-SEMANTICS.md, "The dirty ring"; the entry protocol is drawn
 * above struct vmmu_dirty_gfn in include/vmmu.h.
 *
 *	vCPU (push, mmu_lock read)          program               reset (slots_lock,
 *	--------------------------          -------               mmu_lock write)
 *	e = gfns[dirty_index % size]        f = e.flags (acquire)  f = e.flags (acquire)
 *	e.slot, e.offset = ...              if DIRTY: read e,      while RESET (and
 *	dirty_index++ (release)               e.flags = RESET        pushed): wrprot,
 *	e.flags = DIRTY (release)             (release)              e.flags = 0
 *	install the writable SPTE                                  flush TLBs
 *	                                                           reset_index += n (release)
 *
 * The index goes up before DIRTY is set, so a reset that acquires RESET
 * (set after DIRTY was seen) also sees the index past the entry: an entry
 * can never be harvested and then skipped by the reset (a page copied
 * before it is write-protected again would lose the writes in between).
 *
 * The slot keeps its (unused) bitmap: slot->dirty_bitmap still says "this
 * slot is dirty-logged" to the fault path; with the ring on, no bit is set.
 */
#ifndef VMMU_DIRTY_RING_H
#define VMMU_DIRTY_RING_H

#include "memslots.h"
#include "mmu.h"
#include "vm.h"

/*
 * struct kvm_dirty_ring - one vCPU's ring.  @dirty_index and @reset_index
 * run freely (mod 2^32); used = dirty_index - reset_index <= size.
 */
struct kvm_dirty_ring {
	_Atomic uint32_t dirty_index;	/* written by the vCPU's thread (release) */
	_Atomic uint32_t reset_index;	/* written by reset, under slots_lock (release) */
	uint32_t size;			/* entries, a power of two */
	uint32_t soft_limit;		/* size - VMMU_DIRTY_RING_RSVD_ENTRIES */
	struct vmmu_dirty_gfn *dirty_gfns;
};

/* kvm_tdp_page_fault(): a write fault would push to a ring at its soft limit. */
#define RET_PF_DIRTY_RING_FULL	32
_Static_assert(RET_PF_DIRTY_RING_FULL > RET_PF_SPURIOUS, "a RET_PF_* value of its own");

static inline bool kvm_dirty_ring_enabled(const struct vmmu_vm *vm)
{
	return atomic_load_explicit(&vm->dirty_ring_size, memory_order_relaxed) != 0;
}

static inline uint32_t kvm_dirty_ring_used(struct kvm_dirty_ring *ring)
{
	/* Acquire: the entries the reset recycled are free before we reuse them. */
	return atomic_load_explicit(&ring->dirty_index, memory_order_relaxed) -
	       atomic_load_explicit(&ring->reset_index, memory_order_acquire);
}

/*
 * kvm_dirty_ring_vcpu_enter() - at the start of an access's fault path:
 * allocate the vCPU's ring on first use; exit while it is at its soft limit.
 * Context: the vCPU's thread, no lock.  Return: 0, VMMU_EXIT_DIRTY_RING_FULL
 * (@exit filled), -ENOMEM.
 */
int kvm_dirty_ring_vcpu_enter(struct vmmu_vcpu *vcpu, struct vmmu_exit *exit);

/* Fill @exit for VMMU_EXIT_DIRTY_RING_FULL; returns that value. */
int kvm_dirty_ring_full_exit(struct vmmu_exit *exit);

/* Is the vCPU's ring at its soft limit (or missing)?  The vCPU's thread. */
bool kvm_dirty_ring_vcpu_soft_full(struct vmmu_vcpu *vcpu);

/*
 * kvm_dirty_ring_reserve() - before vmmu_vcpu_write_guest() writes a
 * dirty-logged page: 0 if the ring has a free entry, -EBUSY if it is full,
 * -ENOMEM.  The vCPU's thread.
 */
int kvm_dirty_ring_reserve(struct vmmu_vcpu *vcpu);

/*
 * kvm_dirty_ring_push() - publish (@slot, @gfn) on the vCPU's ring (which
 * the callers above made sure exists and has room).  A push that reaches
 * the soft limit drops the vCPU's TLB, so its next RAM access exits.
 * Context: the vCPU's thread; mmu_lock (read) for a fault.
 */
void kvm_dirty_ring_push(struct vmmu_vcpu *vcpu, const struct vmmu_memslot *slot, gfn_t gfn);

/* vmmu_vcpu_destroy(): free the ring (takes slots_lock, which resets hold). */
void kvm_dirty_ring_free(struct vmmu_vcpu *vcpu);

/*
 * kvm_vcpu_mark_page_dirty() - mark_page_dirty_in_slot() with a vCPU: to
 * its ring when the dirty ring is on, else to the slot's bitmap.
 */
static inline void kvm_vcpu_mark_page_dirty(struct vmmu_vcpu *vcpu, struct vmmu_memslot *slot,
					    gfn_t gfn)
{
	if (unlikely(kvm_dirty_ring_enabled(vcpu->vm)))
		kvm_dirty_ring_push(vcpu, slot, gfn);
	else
		mark_page_dirty_in_slot(slot, gfn);
}

#endif /* VMMU_DIRTY_RING_H */
