// SPDX-License-Identifier: MIT
/*
 * KVM_SET_USER_MEMORY_REGION2 (docs/KVM-SEMANTICS.md, "KVM_SET_USER_MEMORY_REGION2"):
 * the v2 struct on top of the v1 entry point.  vmmu has no guest_memfd, as
 * a KVM that reports KVM_CAP_GUEST_MEMFD 0: check_memory_region_flags()
 * then refuses KVM_MEM_GUEST_MEMFD with -EINVAL, and with the flag clear
 * the guest_memfd fields and the padding are not looked at.
 */
#include <errno.h>

#include "vmmu.h"

VMMU_API int vmmu_set_user_memory_region2(struct vmmu_vm *vm,
					  const struct vmmu_userspace_memory_region2 *mem)
{
	struct vmmu_userspace_memory_region v1;

	if (!vm || !mem)
		return -EINVAL;
	if (mem->flags & VMMU_MEM_GUEST_MEMFD)
		return -EINVAL;
	v1 = (struct vmmu_userspace_memory_region){
		.slot = mem->slot,
		.flags = mem->flags,
		.guest_phys_addr = mem->guest_phys_addr,
		.memory_size = mem->memory_size,
		.userspace_addr = mem->userspace_addr,
	};
	return vmmu_set_user_memory_region(vm, &v1);
}
