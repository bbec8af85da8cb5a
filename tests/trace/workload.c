// SPDX-License-Identifier: MIT
/*
 * A small fixed workload that passes every USDT probe of src/trace.h, for
 * usdt.sh to count under bpftrace.  Linked against libvmmu.so, whose path
 * the probes are attached by.  Each step says which probes it fires; the
 * counts usdt.sh checks exactly are those this program decides alone.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "vmmu.h"

#define RAM_GPA		0x100000ull
#define RAM_SIZE	0x10000ull
#define MMIO_GPA	0xfee00000ull

static int fail(const char *what, int r)
{
	fprintf(stderr, "workload: %s: %s\n", what, vmmu_strerror(r));
	exit(1);
}

int main(void)
{
	struct vmmu_vm_config cfg = { .size = sizeof(cfg), .flags = VMMU_VM_QUIRK_SLOT_ZAP_ALL };
	struct vmmu_userspace_memory_region r0 = { .slot = 0, .guest_phys_addr = RAM_GPA,
						   .memory_size = RAM_SIZE };
	struct vmmu_userspace_memory_region r1 = { .slot = 1, .guest_phys_addr = 2 * RAM_GPA,
						   .memory_size = RAM_SIZE };
	struct vmmu_vm *vm;
	struct vmmu_vcpu *vcpu;
	struct vmmu_exit ex;
	uint64_t val = 0;
	uint8_t *mem;
	int r;

	mem = mmap(NULL, 2 * RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 1;
	r0.userspace_addr = (uint64_t)(uintptr_t)mem;
	r1.userspace_addr = (uint64_t)(uintptr_t)(mem + RAM_SIZE);
	if ((r = vmmu_vm_create(&cfg, &vm)))
		fail("vmmu_vm_create", r);
	/* memslot_update (CREATE: one publish) */
	if ((r = vmmu_set_user_memory_region(vm, &r0)))
		fail("CREATE slot 0", r);
	if ((r = vmmu_vcpu_create(vm, 0, &vcpu)))
		fail("vmmu_vcpu_create", r);
	/* kvm_mmu_set_spte: a RAM fault, and its prefetch of slot 0's other 15 pages */
	if ((r = vmmu_vcpu_access(vcpu, RAM_GPA, &val, 8, VMMU_ACCESS_WRITE, &ex)))
		fail("RAM write", r);
	/* mark_mmio_spte, handle_mmio_page_fault, kvm_mmio: an MMIO fault */
	if ((r = vmmu_vcpu_access(vcpu, MMIO_GPA, &val, 4, 0, &ex)) != VMMU_EXIT_MMIO)
		fail("MMIO read", r);
	/* memslot_update: the generation moves, the MMIO SPTE goes stale */
	if ((r = vmmu_set_user_memory_region(vm, &r1)))
		fail("CREATE slot 1", r);
	/* check_mmio_spte (generation miss), then the fault again */
	if ((r = vmmu_vcpu_access(vcpu, MMIO_GPA, &val, 4, VMMU_ACCESS_WRITE, &ex)) !=
	    VMMU_EXIT_MMIO)
		fail("MMIO write", r);
	/* kvm_unmap_hva_range x3; kvm_tdp_mmu_spte_changed and remote_tlb_flush
	 * (the first zaps slot 0's SPTE) */
	for (int i = 0; i < 3; i++) {
		vmmu_mmu_notifier_invalidate_range_start(vm, r0.userspace_addr,
							 r0.userspace_addr + RAM_SIZE);
		vmmu_mmu_notifier_invalidate_range_end(vm, r0.userspace_addr,
						       r0.userspace_addr + RAM_SIZE);
	}
	/* kvm_age_hva x2 */
	vmmu_mmu_notifier_clear_young(vm, r0.userspace_addr, r0.userspace_addr + RAM_SIZE);
	vmmu_mmu_notifier_test_young(vm, r0.userspace_addr);
	/* kvm_mmu_zap_all_fast: DELETE with the slot-zap-all quirk */
	r1.memory_size = 0;
	if ((r = vmmu_set_user_memory_region(vm, &r1)))
		fail("DELETE slot 1", r);
	vmmu_vm_destroy(vm);
	munmap(mem, 2 * RAM_SIZE);
	printf("workload: done\n");
	return 0;
}
