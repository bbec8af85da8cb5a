// SPDX-License-Identifier: MIT
/*
 * hostmem_vmm: a few lines of VMM for `vmmu shadow` to watch (hostmem.sh).
 * It makes the calls QEMU's firmware scenarios do not: host-memory changes
 * under a live slot (MADV_DONTNEED, mmap(MAP_FIXED), munmap) and memslot and
 * dirty-log requests that KVM refuses, each with its errno.  It checks only
 * that KVM behaves as this program expects (exit 1 otherwise, 77 without
 * /dev/kvm); the comparison with vmmu is the shadow's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "vmm_test.h"

#define PG	4096ul

#define NPAGES	128ul

int main(void)
{
	struct kvm_userspace_memory_region r = { 0 };
	struct kvm_enable_cap cap = { .cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, .args = { 3 } };
	uint64_t bitmap[NPAGES / 64] = { 0 }, ones[NPAGES / 64];
	struct kvm_dirty_log log = { .slot = 1, .dirty_bitmap = bitmap };
	struct kvm_clear_dirty_log clr = { .slot = 1, .num_pages = 64, .dirty_bitmap = ones };
	uint8_t *mem;
	int kvm, vm;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		printf("SKIP: /dev/kvm: %s\n", strerror(errno));
		return 77;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		printf("SKIP: KVM_CREATE_VM: %s\n", strerror(errno));
		return 77;
	}
	mem = mmap(NULL, NPAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 1;
	memset(ones, 0xff, sizeof(ones));
	expect("ENABLE_CAP(MANUAL_DIRTY_LOG_PROTECT2, 3)", ioctl(vm, KVM_ENABLE_CAP, &cap), 0);

	r = (struct kvm_userspace_memory_region){ .slot = 1, .flags = KVM_MEM_LOG_DIRTY_PAGES,
		.guest_phys_addr = 0x100000, .memory_size = NPAGES * PG,
		.userspace_addr = (uint64_t)(uintptr_t)mem };
	expect("create", ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r), 0);
	r.slot = 2;
	expect("overlapping create", ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r), EEXIST);
	r.slot = 3;
	r.guest_phys_addr = 0x1000000;
	r.flags = 0x80;
	expect("unknown flag", ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r), EINVAL);
	r.flags = 0;
	r.memory_size = PG + 1;
	expect("unaligned size", ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r), EINVAL);
	r.memory_size = PG;
	r.slot = 1u << 16 | 3;		/* address space 1: none on this kernel, or SMM */
	ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r);	/* either way: the shadow compares */
	r.slot = 4;
	expect("create, no logging", ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r), 0);
	/* REGION2 where the kernel has it (the shadow mirrors it only then) */
	if (ioctl(vm, KVM_CHECK_EXTENSION, CAP_USER_MEMORY2) > 0) {
		struct region2 r2 = { .slot = 5, .guest_phys_addr = 0x2000000,
			.memory_size = 4 * PG, .userspace_addr = (uint64_t)(uintptr_t)mem };

		expect("REGION2 create", ioctl(vm, SET_USER_MEMORY_REGION2, &r2), 0);
		r2.flags = 1u << 2;	/* KVM_MEM_GUEST_MEMFD: no guest_memfd here */
		r2.slot = 6;
		ioctl(vm, SET_USER_MEMORY_REGION2, &r2);	/* refused either way */
		r2.flags = 0;
		r2.slot = 5;
		r2.memory_size = 0;
		expect("REGION2 delete", ioctl(vm, SET_USER_MEMORY_REGION2, &r2), 0);
	}

	expect("GET", ioctl(vm, KVM_GET_DIRTY_LOG, &log), 0);
	log.slot = 4;
	expect("GET of a slot without logging", ioctl(vm, KVM_GET_DIRTY_LOG, &log), ENOENT);
	log.slot = 9;
	expect("GET of no slot", ioctl(vm, KVM_GET_DIRTY_LOG, &log), ENOENT);
	expect("CLEAR 0..63", ioctl(vm, KVM_CLEAR_DIRTY_LOG, &clr), 0);
	clr.first_page = 1;
	expect("CLEAR at page 1", ioctl(vm, KVM_CLEAR_DIRTY_LOG, &clr), EINVAL);
	clr.first_page = 64;
	clr.num_pages = 64;
	expect("CLEAR 64..127 (the slot end)", ioctl(vm, KVM_CLEAR_DIRTY_LOG, &clr), 0);
	log.slot = 1;
	expect("GET after CLEAR", ioctl(vm, KVM_GET_DIRTY_LOG, &log), 0);

	/* host memory changes under the live slot: each bracketed by the shadow */
	expect("madvise(DONTNEED)", madvise(mem + 8 * PG, 8 * PG, MADV_DONTNEED), 0);
	if (mmap(mem + 16 * PG, 4 * PG, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
		fails++;
	expect("munmap", munmap(mem + 120 * PG, 8 * PG), 0);

	/* flags-only change, then delete */
	r = (struct kvm_userspace_memory_region){ .slot = 1, .guest_phys_addr = 0x100000,
		.memory_size = NPAGES * PG, .userspace_addr = (uint64_t)(uintptr_t)mem };
	expect("flags-only change", ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r), 0);
	r.memory_size = 0;
	expect("delete", ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r), 0);
	r.slot = 4;
	expect("delete slot 4", ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r), 0);
	expect("munmap after the delete", munmap(mem, 120 * PG), 0);
	close(vm);
	close(kvm);
	return fails ? 1 : 0;
}
