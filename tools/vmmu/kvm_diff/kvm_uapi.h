/* SPDX-License-Identifier: MIT */
/*
 * The KVM UAPI newer than the build host's <linux/kvm.h> (Debian 12 ships
 * the 6.1 headers): the values of the dirty ring, KVM_SET_USER_MEMORY_REGION2
 * and KVM_EXIT_MEMORY_FAULT, each defined only where the headers lack it.
 * Layouts are drawn and asserted; they are the ones in include/vmmu.h.
 */
#ifndef VMMU_KVM_UAPI_H
#define VMMU_KVM_UAPI_H

#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "vmmu.h"

#ifndef KVM_CAP_DIRTY_LOG_RING
#define KVM_CAP_DIRTY_LOG_RING			192
#endif
#ifndef KVM_CAP_DIRTY_LOG_RING_ACQ_REL
#define KVM_CAP_DIRTY_LOG_RING_ACQ_REL		223
#endif
#ifndef KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP
#define KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP	225
#endif
#ifndef KVM_CAP_USER_MEMORY2
#define KVM_CAP_USER_MEMORY2			231
#endif
#ifndef KVM_CAP_MEMORY_FAULT_INFO
#define KVM_CAP_MEMORY_FAULT_INFO		232
#endif
#ifndef KVM_CAP_GUEST_MEMFD
#define KVM_CAP_GUEST_MEMFD			234
#endif
#ifndef KVM_RESET_DIRTY_RINGS
#define KVM_RESET_DIRTY_RINGS			_IO(KVMIO, 0xc7)
#endif
/* x86: the ring is mmap()ed from the vCPU fd at this many pages */
#ifndef KVM_DIRTY_LOG_PAGE_OFFSET
#define KVM_DIRTY_LOG_PAGE_OFFSET		64
#endif
#ifndef KVM_EXIT_DIRTY_RING_FULL
#define KVM_EXIT_DIRTY_RING_FULL		31
#endif
#ifndef KVM_EXIT_MEMORY_FAULT
#define KVM_EXIT_MEMORY_FAULT			39
#endif
#ifndef KVM_MEM_GUEST_MEMFD
#define KVM_MEM_GUEST_MEMFD			(1u << 2)
#endif

_Static_assert(VMMU_EXIT_DIRTY_RING_FULL == KVM_EXIT_DIRTY_RING_FULL, "exit numbers");
_Static_assert(VMMU_EXIT_MEMORY_FAULT == KVM_EXIT_MEMORY_FAULT, "exit numbers");
_Static_assert(VMMU_MEM_GUEST_MEMFD == KVM_MEM_GUEST_MEMFD, "flag bits");

/*
 * struct kvm_userspace_memory_region2 (160 bytes): vmmu's struct has its
 * layout, asserted in include/vmmu.h; the ioctl is _IOW(KVMIO, 0x49, it).
 */
#define KD_SET_USER_MEMORY_REGION2 _IOW(KVMIO, 0x49, struct vmmu_userspace_memory_region2)
_Static_assert(KD_SET_USER_MEMORY_REGION2 == 0x40a0ae49, "KVM_SET_USER_MEMORY_REGION2");

/* struct kvm_dirty_gfn: vmmu's struct vmmu_dirty_gfn (16 bytes, same fields). */

/*
 * kvm_run->memory_fault: the first 24 bytes of the exit union, which starts
 * at offset 32 of struct kvm_run (where kvm_run->mmio is):
 *
 *   32: flags (u64)   40: gpa (u64)   48: size (u64)
 */
struct kd_memory_fault {
	uint64_t flags;
	uint64_t gpa;
	uint64_t size;
};
_Static_assert(offsetof(struct kvm_run, mmio) == 32, "the kvm_run exit union");

static inline const struct kd_memory_fault *kd_run_memory_fault(const struct kvm_run *run)
{
	return (const struct kd_memory_fault *)((const uint8_t *)run + offsetof(struct kvm_run, mmio));
}

#endif /* VMMU_KVM_UAPI_H */
