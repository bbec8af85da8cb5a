// SPDX-License-Identifier: MIT
/*
 * The direct backend's cache of mapped spans (src/hostmem.c,
 * direct_span_of()): what a fault learns from the kernel about the host
 * memory behind a slot (mapped? writable?) is remembered per 2 MiB region,
 * also for a region that mappings cover only in part, until a notifier
 * bracket over it.  host_queries in the VM's stats counts what it asks.
 *
 *  - partial_region: a slot whose host memory starts inside a region, after
 *    a hole: 256 faults (no prefetch) ask the kernel at most 3 times, and
 *    the hole's pages are memory-fault exits;
 *  - mixed_access: one region with writable, read-only and unmapped parts,
 *    accessed in an order that keeps moving between them (the bucket is
 *    refilled as it goes): every answer is the page's own, with and without
 *    prefetch.  Reads and writes of the writable parts work; writes of the
 *    read-only part and every access of the hole are -EFAULT with a
 *    memory-fault exit, and leave memory alone;
 *  - two_parts: faults alternating between a writable and a read-only part
 *    of one region stop asking the kernel once both parts are cached; a
 *    prefetch window across the two maps both (the writable part writable);
 *  - window_across_regions: a fault whose 64-page prefetch window spans two
 *    regions maps the pages of both, from either side, and with a hole in
 *    the window all the pages around it;
 *  - bracket: a neighbour accessed while a bracket is open, then the
 *    bracket's page unmapped: that page is -EFAULT afterwards, never a
 *    crash (vmmu's defect 3 in a partly mapped region), and its neighbours
 *    still work.
 *
 * Without PROCMAP_QUERY (before Linux 6.11) the backend can cache only
 * regions mincore() finds all mapped: the counts of queries are then not
 * checked, and the read-only cases are skipped.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <vmmu.h>
#include "../test_util.h"
#include "hostmem.h"	/* hostmem_direct_open(): the backend's PROCMAP_QUERY probe */

#define PAGE		4096ull
#define REGION		(2ull << 20)
#define GPA		(1ull << 30)	/* 2 MiB aligned */

/*
 * Does this kernel answer PROCMAP_QUERY (Linux 6.11)?  Without it the
 * direct backend sees only whether memory is mapped (README, limits), so
 * the read-only cases do not apply.  The backend's own probe says.
 */
static bool have_procmap_query(void)
{
	int fd = hostmem_direct_open();

	hostmem_direct_close(fd);
	return fd >= 0;
}

/* 8 MiB of anonymous memory and the 2 MiB-aligned address of its 2nd region. */
struct mem {
	uint8_t *base;
	uint8_t *r;
};

static struct mem mem_new(void)
{
	struct mem m = { .base = test_alloc_guest(4 * REGION) };

	m.r = (uint8_t *)((((uintptr_t)m.base + REGION) & ~(uintptr_t)(REGION - 1)));
	for (uint64_t p = 0; p < REGION / PAGE; p++)
		*(uint64_t *)(m.r + p * PAGE) = 7000 + p;
	return m;
}

static void mem_free(struct mem *m)
{
	munmap(m->base, 4 * REGION);
}

static uint64_t host_queries(struct vmmu_vm *vm)
{
	return test_vm_stats(vm).host_queries;
}

/* An access that must fail as a memory fault at @gpa's page. */
static void expect_efault(struct vmmu_vcpu *vcpu, uint64_t gpa, bool write)
{
	struct vmmu_exit ex;
	uint64_t v = 1;

	memset(&ex, 0, sizeof(ex));
	TEST_ASSERT_EQ(vmmu_vcpu_access(vcpu, gpa, &v, 8, write ? VMMU_ACCESS_WRITE : 0, &ex),
		       -EFAULT);
	TEST_ASSERT_EQ(ex.reason, VMMU_EXIT_MEMORY_FAULT);
	TEST_ASSERT_EQ(ex.memory_fault.gpa, gpa & ~(PAGE - 1));
}

static void test_partial_region(void)
{
	struct mem m = mem_new();
	struct vmmu_vm *vm = test_vm_new(.flags = VMMU_VM_NO_PREFETCH);
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	struct vmmu_stats a, b;

	/* pages 0-15 of the region go; the slot covers pages 0-271 */
	TEST_ASSERT_EQ(munmap(m.r, 16 * PAGE), 0);
	TEST_SET_REGION_OK(vm, SLOT(0, 0), 0, GPA, 272 * PAGE, m.r);
	a = test_vm_stats(vm);
	for (uint64_t p = 16; p < 272; p++)
		TEST_ASSERT_EQ(test_vcpu_read64(vcpu, GPA + p * PAGE), 7000 + p);
	b = test_vm_stats(vm);
	TEST_ASSERT_EQ(b.pf_fixed - a.pf_fixed, 256);
	TEST_ASSERT(!have_procmap_query() || b.host_queries - a.host_queries <= 3,
		    "256 faults in one partly mapped region asked the kernel %llu times",
		    (unsigned long long)(b.host_queries - a.host_queries));
	/* writes too: the span is writable */
	for (uint64_t p = 16; p < 272; p += 17)
		test_vcpu_write64(vcpu, GPA + p * PAGE, p);
	TEST_ASSERT_EQ(*(uint64_t *)(m.r + 33 * PAGE), 33);
	for (uint64_t p = 0; p < 16; p += 5) {
		expect_efault(vcpu, GPA + p * PAGE, false);
		expect_efault(vcpu, GPA + p * PAGE, true);
	}
	vmmu_vm_destroy(vm);
	mem_free(&m);
}

/*
 * Pages 0-99 and 300-511 of the region writable, 100-199 read-only,
 * 200-299 unmapped.
 */
enum part { RW, RO, HOLE };

static enum part part_of(uint64_t p)
{
	return p < 100 ? RW : p < 200 ? RO : p < 300 ? HOLE : RW;
}

static void mixed_access(uint32_t vm_flags)
{
	struct mem m = mem_new();
	struct vmmu_vm *vm = test_vm_new(.flags = vm_flags);
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	struct test_rng rng;

	TEST_ASSERT_EQ(mprotect(m.r + 100 * PAGE, 100 * PAGE, PROT_READ), 0);
	TEST_ASSERT_EQ(munmap(m.r + 200 * PAGE, 100 * PAGE), 0);
	TEST_SET_REGION_OK(vm, SLOT(0, 0), 0, GPA, REGION, m.r);
	test_rng_init(&rng, 42);
	for (unsigned int i = 0; i < 4000; i++) {
		uint64_t p = test_rng_below(&rng, REGION / PAGE), gpa = GPA + p * PAGE;
		bool write = test_rng_below(&rng, 2);

		switch (part_of(p)) {
		case RW:
			if (write) {
				test_vcpu_write64(vcpu, gpa, 7000 + p);
				TEST_ASSERT_EQ(*(uint64_t *)(m.r + p * PAGE), 7000 + p);
			} else {
				TEST_ASSERT_EQ(test_vcpu_read64(vcpu, gpa), 7000 + p);
			}
			break;
		case RO:
			if (write)
				expect_efault(vcpu, gpa, true);
			TEST_ASSERT_EQ(test_vcpu_read64(vcpu, gpa), 7000 + p);
			break;
		case HOLE:
			expect_efault(vcpu, gpa, write);
			break;
		}
	}
	vmmu_vm_destroy(vm);
	mem_free(&m);
}

static void test_mixed_access(void)
{
	if (!have_procmap_query())
		test_skip("no PROCMAP_QUERY: read-only host memory is not seen");
	mixed_access(0);
	mixed_access(VMMU_VM_NO_PREFETCH);
}

/*
 * A 64-page window whose pages 0-31 lie at the end of one region and 32-63
 * at the start of the next, with pages @hole_lo..@hole_hi - 1 unmapped
 * (none if equal); the fault is at page @fault.  Every mapped page of the
 * window is prefetched, and reads back right.
 */
static void window_case(unsigned int fault, unsigned int hole_lo, unsigned int hole_hi)
{
	struct mem m = mem_new();
	struct vmmu_vm *vm = test_vm_new();
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	uint8_t *hva = m.r + REGION - 32 * PAGE;
	struct vmmu_stats a, b;

	for (uint64_t p = 0; p < 64; p++)
		*(uint64_t *)(hva + p * PAGE) = 9000 + p;
	if (hole_hi > hole_lo)
		TEST_ASSERT_EQ(munmap(hva + hole_lo * PAGE, (hole_hi - hole_lo) * PAGE), 0);
	TEST_SET_REGION_OK(vm, SLOT(0, 0), 0, GPA, 64 * PAGE, hva);
	a = test_vm_stats(vm);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, GPA + fault * PAGE), 9000 + fault);
	b = test_vm_stats(vm);
	TEST_ASSERT_EQ(b.pf_fixed - a.pf_fixed, 1);
	TEST_ASSERT_EQ(b.pf_prefetched - a.pf_prefetched, 63 - (hole_hi - hole_lo));
	for (uint64_t p = 0; p < 64; p++) {
		if (p >= hole_lo && p < hole_hi)
			expect_efault(vcpu, GPA + p * PAGE, false);
		else
			TEST_ASSERT_EQ(test_vcpu_read64(vcpu, GPA + p * PAGE), 9000 + p);
	}
	TEST_ASSERT_EQ(test_vm_stats(vm).pf_fixed - a.pf_fixed, 1);
	vmmu_vm_destroy(vm);
	mem_free(&m);
}

static void test_window_across_regions(void)
{
	window_case(0, 0, 0);		/* the later region's span */
	window_case(63, 0, 0);		/* the earlier region's span */
	window_case(0, 40, 44);		/* a hole in the later region's part */
	window_case(63, 10, 12);	/* a hole in the earlier region's part */
}

/*
 * Pages 0-287 of a region writable, 288-511 read-only: faults alternating
 * between the two (no prefetch) ask the kernel only until both parts are
 * cached; a window over the boundary (the group of pages 256-319) maps
 * both parts, only the writable one writable.
 */
static void test_two_parts(void)
{
	struct mem m = mem_new();
	struct vmmu_vm *vm = test_vm_new(.flags = VMMU_VM_NO_PREFETCH), *vm2 = test_vm_new();
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0), *vcpu2 = test_vcpu_create(vm2, 0);
	struct vmmu_stats a, b;
	uint64_t q;

	if (!have_procmap_query())
		test_skip("no PROCMAP_QUERY: read-only host memory is not seen");
	TEST_ASSERT_EQ(mprotect(m.r + 288 * PAGE, 224 * PAGE, PROT_READ), 0);
	TEST_SET_REGION_OK(vm, SLOT(0, 0), 0, GPA, REGION, m.r);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, GPA), 7000);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, GPA + 300 * PAGE), 7300);
	q = host_queries(vm);
	for (uint64_t i = 1; i < 200; i++) {
		TEST_ASSERT_EQ(test_vcpu_read64(vcpu, GPA + i * PAGE), 7000 + i);
		TEST_ASSERT_EQ(test_vcpu_read64(vcpu, GPA + (300 + i) * PAGE), 7300 + i);
	}
	TEST_ASSERT_EQ(test_vm_stats(vm).pf_fixed, 400);
	TEST_ASSERT_EQ(host_queries(vm), q);

	TEST_SET_REGION_OK(vm2, SLOT(0, 0), 0, GPA, REGION, m.r);
	a = test_vm_stats(vm2);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu2, GPA + 260 * PAGE), 7260);
	b = test_vm_stats(vm2);
	TEST_ASSERT_EQ(b.pf_prefetched - a.pf_prefetched, 63);
	test_vcpu_write64(vcpu2, GPA + 280 * PAGE, 1);
	TEST_ASSERT_EQ(*(uint64_t *)(m.r + 280 * PAGE), 1);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu2, GPA + 300 * PAGE), 7300);
	expect_efault(vcpu2, GPA + 301 * PAGE, true);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu2, GPA + 301 * PAGE), 7301);
	TEST_ASSERT_EQ(test_vm_stats(vm2).pf_fixed - a.pf_fixed, 1);
	vmmu_vm_destroy(vm);
	vmmu_vm_destroy(vm2);
	mem_free(&m);
}

static void test_bracket(void)
{
	struct mem m = mem_new();
	struct vmmu_vm *vm = test_vm_new(.flags = VMMU_VM_NO_PREFETCH);
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	uint64_t q;

	TEST_ASSERT_EQ(munmap(m.r, 16 * PAGE), 0);
	TEST_SET_REGION_OK(vm, SLOT(0, 0), 0, GPA + 16 * PAGE, 64 * PAGE, m.r + 16 * PAGE);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, GPA + 16 * PAGE), 7016);
	q = host_queries(vm);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, GPA + 17 * PAGE), 7017);
	if (have_procmap_query())
		TEST_ASSERT_EQ(host_queries(vm), q);	/* the partial span is cached */
	vmmu_mmu_notifier_invalidate_range_start(vm, HVA(m.r + 20 * PAGE), HVA(m.r + 21 * PAGE));
	/* a neighbour in the same region while the bracket is open, before the munmap */
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, GPA + 22 * PAGE), 7022);
	TEST_ASSERT_EQ(munmap(m.r + 20 * PAGE, PAGE), 0);
	vmmu_mmu_notifier_invalidate_range_end(vm, HVA(m.r + 20 * PAGE), HVA(m.r + 21 * PAGE));
	expect_efault(vcpu, GPA + 20 * PAGE, false);
	expect_efault(vcpu, GPA + 20 * PAGE, true);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, GPA + 19 * PAGE), 7019);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, GPA + 21 * PAGE), 7021);
	expect_efault(vcpu, GPA + 20 * PAGE, false);
	vmmu_vm_destroy(vm);
	mem_free(&m);
}

static const struct test_case cases[] = {
	{ "partial_region", test_partial_region },
	{ "mixed_access", test_mixed_access },
	{ "two_parts", test_two_parts },
	{ "window_across_regions", test_window_across_regions },
	{ "bracket", test_bracket },
};

TEST_CASES_MAIN(cases)
