// SPDX-License-Identifier: MIT
/*
 * Prefetch: a RAM fault also maps the other pages of its aligned 256 KiB
 * group (64 pages) that its slot maps and whose host memory is there
 * without a host fault (include/vmmu.h, VMMU_VM_NO_PREFETCH;
 * docs/KVM-SEMANTICS.md, "MMU-notifier coherence").
 *
 *  - one fault maps the group; the neighbours are not young until touched,
 *    and touching them is a TLB fill, not a fault;
 *  - VMMU_VM_NO_PREFETCH and dirty logging: one page per fault;
 *  - slot boundaries: a group shared by two slots maps the other slot's
 *    pages only where that slot continues the fault's in gfn and host
 *    address, with the same flags and no dirty log; one-page slots back to
 *    back fault once per group, and each SPTE still belongs to its slot;
 *  - READONLY: prefetched pages are read-only (a write exits MMIO and leaves
 *    memory alone);
 *  - the direct backend: a hole in the group (munmap) prefetches nothing
 *    and an access to the hole is -EFAULT, never a crash;
 *  - the simulated host MM: swapped-out and never-touched neighbours stay
 *    as they are (no swap-in, no first-touch fault for them), KSM-shared
 *    ones are mapped read-only, and a write to one breaks COW through the
 *    fault path.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <vmmu.h>
#include <vmmu/hostmm.h>
#include "../test_util.h"

#define PAGE		4096ull
#define GROUP		64u		/* pages per prefetch group */
#define GPA		(1ull << 30)	/* group aligned */

static void fill(uint8_t *mem, unsigned int pages)
{
	for (unsigned int p = 0; p < pages; p++)
		*(uint64_t *)(mem + p * PAGE) = 5000 + p;
}

static void test_group(void)
{
	struct vmmu_vm *vm = test_vm_new();
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	uint8_t *mem = test_alloc_guest(2 * GROUP * PAGE);
	struct vmmu_stats a, b;

	fill(mem, 2 * GROUP);
	TEST_SET_REGION_OK(vm, SLOT(0, 0), 0, GPA, 2 * GROUP * PAGE, mem);
	a = test_vm_stats(vm);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, GPA + 10 * PAGE), 5010);
	b = test_vm_stats(vm);
	TEST_ASSERT_EQ(b.pf_fixed - a.pf_fixed, 1);
	TEST_ASSERT_EQ(b.pf_prefetched - a.pf_prefetched, GROUP - 1);
	/* the next group is untouched */
	TEST_ASSERT_EQ(vmmu_mmu_notifier_test_young(vm, HVA(mem + GROUP * PAGE)), 0);
	/* neighbours: mapped, not young until touched; a touch is a fill */
	TEST_ASSERT_EQ(vmmu_mmu_notifier_test_young(vm, HVA(mem + 11 * PAGE)), 0);
	TEST_ASSERT_EQ(vmmu_mmu_notifier_test_young(vm, HVA(mem + 10 * PAGE)), 1);
	a = test_vm_stats(vm);
	for (unsigned int p = 0; p < GROUP; p++)
		test_vcpu_write64(vcpu, GPA + p * PAGE, 7000 + p);
	b = test_vm_stats(vm);
	TEST_ASSERT_EQ(b.pf_fixed, a.pf_fixed);
	TEST_ASSERT_EQ(b.tlb_fills - a.tlb_fills, GROUP - 1);	/* page 10 was cached */
	for (unsigned int p = 0; p < GROUP; p++) {
		TEST_ASSERT_EQ(*(uint64_t *)(mem + p * PAGE), 7000 + p);
		TEST_ASSERT_EQ(vmmu_mmu_notifier_test_young(vm, HVA(mem + p * PAGE)), 1);
	}
	/* an invalidation of a prefetched page zaps it like any other */
	vmmu_mmu_notifier_invalidate_range_start(vm, HVA(mem + 3 * PAGE), HVA(mem + 4 * PAGE));
	TEST_ASSERT_EQ(vmmu_mmu_notifier_test_young(vm, HVA(mem + 3 * PAGE)), 0);
	*(uint64_t *)(mem + 3 * PAGE) = 42;
	vmmu_mmu_notifier_invalidate_range_end(vm, HVA(mem + 3 * PAGE), HVA(mem + 4 * PAGE));
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, GPA + 3 * PAGE), 42);
	vmmu_vm_destroy(vm);
	munmap(mem, 2 * GROUP * PAGE);
}

static void one_page_per_fault(struct vmmu_vm *vm, uint8_t *mem, uint32_t flags)
{
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	struct vmmu_stats a, b;

	TEST_SET_REGION_OK(vm, SLOT(0, 0), flags, GPA, GROUP * PAGE, mem);
	a = test_vm_stats(vm);
	for (unsigned int p = 0; p < GROUP; p += 5)
		TEST_ASSERT_EQ(test_vcpu_read64(vcpu, GPA + p * PAGE), 5000 + p);
	b = test_vm_stats(vm);
	TEST_ASSERT_EQ(b.pf_fixed - a.pf_fixed, (GROUP + 4) / 5);
	TEST_ASSERT_EQ(b.pf_prefetched, a.pf_prefetched);
	TEST_ASSERT_EQ(vmmu_mmu_notifier_test_young(vm, HVA(mem + PAGE)), 0);
	vmmu_vm_destroy(vm);
}

static void test_no_prefetch(void)
{
	uint8_t *mem = test_alloc_guest(GROUP * PAGE);

	fill(mem, GROUP);
	one_page_per_fault(test_vm_new(.flags = VMMU_VM_NO_PREFETCH), mem, 0);
	one_page_per_fault(test_vm_new(), mem, VMMU_MEM_LOG_DIRTY_PAGES);
	munmap(mem, GROUP * PAGE);
}

/*
 * Two slots share one group, slot 0 on pages 0-19 and slot 1 on 43 pages
 * from 20 (or from 21, with @gfn_gap).  A fault maps the other slot's pages too only if slot 1 continues
 * slot 0 in host memory, with the same flags and no dirty log; otherwise
 * (@hva_gap: slot 1's host memory is elsewhere, @gfn_gap: one gfn between
 * them, @flags1: slot 1's flags) only its own slot's, and in a dirty-logged
 * slot only its own page.
 */
static void slot_pair(bool hva_gap, bool gfn_gap, uint32_t flags1)
{
	struct vmmu_vm *vm = test_vm_new();
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	uint8_t *mem = test_alloc_guest(2 * GROUP * PAGE);
	uint8_t *mem1 = mem + 20 * PAGE + (hva_gap ? GROUP * PAGE : 0);
	uint64_t gpa1 = GPA + 20 * PAGE + (gfn_gap ? PAGE : 0);
	bool joined = !hva_gap && !gfn_gap && !flags1;
	bool logged = flags1 & VMMU_MEM_LOG_DIRTY_PAGES;	/* slot 1: page by page */
	struct vmmu_stats a, b;

	fill(mem, 2 * GROUP);
	TEST_SET_REGION_OK(vm, SLOT(0, 0), 0, GPA, 20 * PAGE, mem);
	TEST_SET_REGION_OK(vm, SLOT(0, 1), flags1, gpa1, (GROUP - 21) * PAGE, mem1);
	a = test_vm_stats(vm);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, GPA + 2 * PAGE), 5002);
	b = test_vm_stats(vm);
	TEST_ASSERT_EQ(b.pf_fixed - a.pf_fixed, 1);
	TEST_ASSERT_EQ(b.pf_prefetched - a.pf_prefetched, joined ? GROUP - 2 : 19);
	TEST_ASSERT_EQ(vmmu_mmu_notifier_test_young(vm, HVA(mem1)), 0);
	/* slot 1's pages read their own host pages, prefetched or not */
	for (unsigned int p = 0; p < GROUP - 21; p++)
		TEST_ASSERT_EQ(test_vcpu_read64(vcpu, gpa1 + p * PAGE),
			       5000 + (uint64_t)(mem1 - mem) / PAGE + p);
	a = test_vm_stats(vm);
	TEST_ASSERT_EQ(a.pf_fixed - b.pf_fixed, joined ? 0 : logged ? GROUP - 21 : 1);
	/* the other way: a fault in slot 1 maps slot 0's pages when joined */
	vmmu_mmu_notifier_invalidate_range_start(vm, HVA(mem), HVA(mem + 2 * GROUP * PAGE));
	vmmu_mmu_notifier_invalidate_range_end(vm, HVA(mem), HVA(mem + 2 * GROUP * PAGE));
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, gpa1 + 3 * PAGE),
		       5000 + (uint64_t)(mem1 - mem) / PAGE + 3);
	b = test_vm_stats(vm);
	TEST_ASSERT_EQ(b.pf_prefetched - a.pf_prefetched,
		       joined ? GROUP - 2 : logged ? 0 : GROUP - 22);
	/* slot 0's page 0: prefetched (a fill, not young) only when joined */
	TEST_ASSERT_EQ(vmmu_mmu_notifier_test_young(vm, HVA(mem)), 0);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, GPA), 5000);
	a = test_vm_stats(vm);
	TEST_ASSERT_EQ(a.pf_fixed - b.pf_fixed, joined ? 0 : 1);
	vmmu_vm_destroy(vm);
	munmap(mem, 2 * GROUP * PAGE);
}

static void test_slot_boundary(void)
{
	slot_pair(false, false, 0);
	slot_pair(true, false, 0);
	slot_pair(false, true, 0);
	slot_pair(false, false, VMMU_MEM_READONLY);
	slot_pair(false, false, VMMU_MEM_LOG_DIRTY_PAGES);
}

/*
 * Guest RAM as one-page slots back to back (a VMM that maps many small
 * regions): one fault per group, as with one slot.  Each prefetched SPTE
 * belongs to its own slot: a DELETE of one slot exits MMIO there and
 * leaves the others mapped, a CREATE over other host memory reads that.
 */
static void test_one_page_slots(void)
{
	struct vmmu_vm *vm = test_vm_new();
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	uint8_t *mem = test_alloc_guest(2 * GROUP * PAGE);
	struct vmmu_stats a, b;
	struct vmmu_exit ex;
	uint64_t v;

	fill(mem, 2 * GROUP);
	for (unsigned int p = 0; p < 2 * GROUP; p++)
		TEST_SET_REGION_OK(vm, SLOT(0, p), 0, GPA + p * PAGE, PAGE, mem + p * PAGE);
	a = test_vm_stats(vm);
	for (unsigned int p = 0; p < 2 * GROUP; p++)
		TEST_ASSERT_EQ(test_vcpu_read64(vcpu, GPA + p * PAGE), 5000 + p);
	b = test_vm_stats(vm);
	TEST_ASSERT_EQ(b.pf_fixed - a.pf_fixed, 2);
	TEST_ASSERT_EQ(b.pf_prefetched - a.pf_prefetched, 2 * (GROUP - 1));
	TEST_SET_REGION_OK(vm, SLOT(0, 7), 0, GPA + 7 * PAGE, 0, mem + 7 * PAGE);
	TEST_ASSERT_EQ(vmmu_vcpu_access(vcpu, GPA + 7 * PAGE, &v, 8, 0, &ex), VMMU_EXIT_MMIO);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, GPA + 6 * PAGE), 5006);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, GPA + 8 * PAGE), 5008);
	TEST_SET_REGION_OK(vm, SLOT(0, 7), 0, GPA + 7 * PAGE, PAGE, mem + 100 * PAGE);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, GPA + 7 * PAGE), 5100);
	vmmu_vm_destroy(vm);
	munmap(mem, 2 * GROUP * PAGE);
}

/* A VM with one vCPU and one slot of one group of filled memory at GPA. */
struct env {
	struct vmmu_vm *vm;
	struct vmmu_vcpu *vcpu;
	uint8_t *mem;
};

static struct env env_new(uint32_t slot_flags)
{
	struct env e = { .vm = test_vm_new(), .mem = test_alloc_guest(GROUP * PAGE) };

	e.vcpu = test_vcpu_create(e.vm, 0);
	fill(e.mem, GROUP);
	TEST_SET_REGION_OK(e.vm, SLOT(0, 0), slot_flags, GPA, GROUP * PAGE, e.mem);
	return e;
}

static void env_free(struct env *e)
{
	vmmu_vm_destroy(e->vm);
	munmap(e->mem, GROUP * PAGE);
}

static void test_readonly(void)
{
	struct env e = env_new(VMMU_MEM_READONLY);
	struct vmmu_vcpu *vcpu = e.vcpu;
	struct vmmu_vm *vm = e.vm;
	uint8_t *mem = e.mem;
	struct vmmu_exit ex;
	uint64_t v = 99;

	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, GPA), 5000);
	TEST_ASSERT(test_vm_stats(vm).pf_prefetched > 0, "nothing prefetched");
	/* a prefetched page of a READONLY slot: reads work, a write exits */
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, GPA + 7 * PAGE), 5007);
	TEST_ASSERT_EQ(vmmu_vcpu_access(vcpu, GPA + 8 * PAGE, &v, 8, VMMU_ACCESS_WRITE, &ex),
		       VMMU_EXIT_MMIO);
	TEST_ASSERT_EQ(*(uint64_t *)(mem + 8 * PAGE), 5008);
	env_free(&e);
}

/* A hole in the group: no crash, -EFAULT for the hole, the rest works. */
static void test_direct_hole(void)
{
	struct env e = env_new(0);
	struct vmmu_vcpu *vcpu = e.vcpu;
	struct vmmu_vm *vm = e.vm;
	uint8_t *mem = e.mem;
	struct vmmu_exit ex;
	uint64_t v;

	/* the host drops page 9 (inside a bracket, as it must) */
	vmmu_mmu_notifier_invalidate_range_start(vm, HVA(mem + 9 * PAGE), HVA(mem + 10 * PAGE));
	TEST_ASSERT_EQ(munmap(mem + 9 * PAGE, PAGE), 0);
	vmmu_mmu_notifier_invalidate_range_end(vm, HVA(mem + 9 * PAGE), HVA(mem + 10 * PAGE));
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, GPA + 8 * PAGE), 5008);
	TEST_ASSERT_EQ(vmmu_vcpu_access(vcpu, GPA + 9 * PAGE, &v, 8, 0, &ex), -EFAULT);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, GPA + 10 * PAGE), 5010);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, GPA + 63 * PAGE), 5063);
	TEST_ASSERT_EQ(vmmu_vcpu_access(vcpu, GPA + 9 * PAGE, &v, 8, VMMU_ACCESS_WRITE, &ex),
		       -EFAULT);
	env_free(&e);
}

/* The simulated host MM: only pages present now are prefetched. */
static void test_hostmm(void)
{
	struct vmmu_hostmm_config cfg = { .nr_frames = 256, .nr_swap_slots = 64 };
	struct vmmu_hostmm_stats h0, h1;
	struct vmmu_hostmm *mm;
	struct vmmu_vm *vm = test_vm_new();
	struct vmmu_vcpu *vcpu;
	struct vmmu_stats a, b;
	uint64_t hva = 0, v = 1;	/* hva 0: the MM picks the address */

	TEST_ASSERT_EQ(vmmu_hostmm_create(&cfg, &mm), 0);
	TEST_ASSERT_EQ(vmmu_vm_attach_hostmm(vm, mm), 0);
	TEST_ASSERT_EQ(vmmu_hostmm_mmap(mm, GROUP * PAGE, &hva), 0);
	/* pages 0-31 present, 5 swapped out, 32-63 never touched */
	for (unsigned int p = 0; p < 32; p++) {
		v = 100 + p;
		TEST_ASSERT_EQ(vmmu_hostmm_write(mm, hva + p * PAGE, &v, 8), 0);
	}
	TEST_ASSERT_EQ(vmmu_hostmm_swap_out(mm, hva + 5 * PAGE), 0);
	/* pages 6 and 7 share one KSM frame (same contents) */
	v = 77;
	TEST_ASSERT_EQ(vmmu_hostmm_write(mm, hva + 6 * PAGE, &v, 8), 0);
	TEST_ASSERT_EQ(vmmu_hostmm_write(mm, hva + 7 * PAGE, &v, 8), 0);
	TEST_ASSERT_EQ(vmmu_hostmm_ksm_merge(mm, hva + 6 * PAGE, hva + 7 * PAGE), 0);
	TEST_SET_REGION_OK(vm, SLOT(0, 0), 0, GPA, GROUP * PAGE, (void *)(uintptr_t)hva);
	vcpu = test_vcpu_create(vm, 0);

	TEST_ASSERT_EQ(vmmu_hostmm_get_stats(mm, &h0), 0);
	a = test_vm_stats(vm);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, GPA), 100);
	b = test_vm_stats(vm);
	TEST_ASSERT_EQ(vmmu_hostmm_get_stats(mm, &h1), 0);
	TEST_ASSERT_EQ(b.pf_fixed - a.pf_fixed, 1);
	TEST_ASSERT_EQ(b.pf_prefetched - a.pf_prefetched, 30);	/* 1..31 but 5 */
	TEST_ASSERT_EQ(h1.swap_ins, h0.swap_ins);
	TEST_ASSERT_EQ(h1.faults, h0.faults);
	/* the swapped-out page and an untouched one fault as before */
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, GPA + 5 * PAGE), 105);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, GPA + 40 * PAGE), 0);
	a = test_vm_stats(vm);
	TEST_ASSERT_EQ(a.pf_fixed - b.pf_fixed, 2);
	/* the KSM page: read through the prefetched SPTE, a write breaks COW */
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, GPA + 7 * PAGE), 77);
	test_vcpu_write64(vcpu, GPA + 7 * PAGE, 78);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, GPA + 6 * PAGE), 77);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, GPA + 7 * PAGE), 78);
	TEST_ASSERT_EQ(vmmu_hostmm_read(mm, hva + 6 * PAGE, &v, 8), 0);
	TEST_ASSERT_EQ(v, 77);
	TEST_ASSERT_EQ(vmmu_hostmm_get_stats(mm, &h1), 0);
	TEST_ASSERT(h1.cow_breaks > h0.cow_breaks, "the write did not break COW");
	TEST_ASSERT_EQ(h1.poison_corruptions, 0);
	vmmu_vm_destroy(vm);
	vmmu_hostmm_destroy(mm);
}

static const struct test_case cases[] = {
	{ "group", test_group },
	{ "no_prefetch", test_no_prefetch },
	{ "slot_boundary", test_slot_boundary },
	{ "one_page_slots", test_one_page_slots },
	{ "readonly", test_readonly },
	{ "direct_hole", test_direct_hole },
	{ "hostmm", test_hostmm },
};

TEST_CASES_MAIN(cases)
