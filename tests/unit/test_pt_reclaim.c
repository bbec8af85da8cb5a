/* SPDX-License-Identifier: MIT */
/*
 * Page-table reclaim keeps what maps RAM, written against the public API.
 *
 * With a cap of 64 tables, RAM pages in three different top-level regions
 * are mapped (and read: each has a present SPTE), then MMIO reads fill the
 * cap, some of them next to a RAM page (in the same leaf table) and the
 * rest far away.  The reclaims that follow must free only tables with no
 * present SPTE below them: after each one a RAM read takes no page fault
 * (pf_fixed unchanged) although its software-TLB entry was flushed (it
 * walks again: tlb_fills grows), and it returns what was written.  Nothing
 * here is enough to need the zap-all fallback, which must not run.
 *
 * Usage: test_pt_reclaim [case-name-substring]
 */
#include <sys/mman.h>

#include <vmmu.h>

#include "../test_util.h"

#define PAGE		VMMU_PAGE_SIZE
#define NR_RAM		3u

static const uint64_t ram_gpa[NR_RAM] = { 0x0, 1ull << 39, 3ull << 39 };

static void test_reclaim_keeps_ram(void)
{
	struct vmmu_vm *vm = test_vm_new(.nr_address_spaces = 1, .max_page_tables = 64);
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	uint8_t *mem = test_alloc_guest(NR_RAM * PAGE);
	uint64_t reclaims = 0, next = 1;
	struct vmmu_stats st;

	for (uint32_t i = 0; i < NR_RAM; i++) {
		TEST_SET_REGION_OK(vm, SLOT(0, i), 0, ram_gpa[i], PAGE, mem + i * PAGE);
		test_vcpu_write64(vcpu, ram_gpa[i], 0xabc0 + i);
	}
	/* Until enough reclaims: MMIO reads beside each RAM page, then far away. */
	for (uint64_t n = 0; reclaims < 20; n++) {
		struct vmmu_exit ex;
		uint64_t v, gpa, fixed;

		TEST_ASSERT(n < 100000, "no reclaims after %llu MMIO reads", (unsigned long long)n);
		if (n % 8 < NR_RAM)
			gpa = ram_gpa[n % 8] + PAGE * (1 + (n / 8) % 500);
		else
			gpa = ((next++ << 30) + 5 * PAGE) & ((1ull << 48) - 1);
		TEST_ASSERT(vmmu_vcpu_access(vcpu, gpa, &v, 8, 0, &ex) == VMMU_EXIT_MMIO,
			    "read %llu of gpa %#llx: not MMIO", (unsigned long long)n,
			    (unsigned long long)gpa);
		TEST_ASSERT_EQ(ex.mmio.phys_addr, gpa);
		st = test_vm_stats(vm);
		TEST_ASSERT(st.page_tables <= 64, "%llu tables", (unsigned long long)st.page_tables);
		if (st.page_table_reclaims == reclaims)
			continue;
		reclaims = st.page_table_reclaims;
		TEST_ASSERT_EQ(st.page_table_reclaim_zaps, 0);
		fixed = st.pf_fixed;
		for (uint32_t i = 0; i < NR_RAM; i++)
			TEST_ASSERT_EQ(test_vcpu_read64(vcpu, ram_gpa[i]), 0xabc0 + i);
		st = test_vm_stats(vm);
		TEST_ASSERT(st.pf_fixed == fixed,
			    "reclaim %llu freed a table mapping RAM: %llu RAM faults after it",
			    (unsigned long long)reclaims, (unsigned long long)(st.pf_fixed - fixed));
	}
	st = test_vm_stats(vm);
	TEST_ASSERT(st.page_tables_reclaimed > 0, "reclaims freed nothing");
	vmmu_vm_destroy(vm);
	munmap(mem, NR_RAM * PAGE);
}

/*
 * When the RAM alone fills the cap, MMIO-only tables are too few: the
 * fallback zaps everything, and RAM is faulted back in with its contents.
 */
static void test_reclaim_zap_all_fallback(void)
{
	struct vmmu_vm *vm = test_vm_new(.nr_address_spaces = 1, .max_page_tables = 64);
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	uint32_t nr = 40;	/* 40 RAM pages 1 GiB apart: 2 tables each, plus level 3 */
	uint8_t *mem = test_alloc_guest(nr * PAGE);
	struct vmmu_stats st;

	for (uint32_t i = 0; i < nr; i++) {
		uint64_t gpa = (uint64_t)i << 30;

		TEST_SET_REGION_OK(vm, SLOT(0, i), 0, gpa, PAGE, mem + i * PAGE);
		test_vcpu_write64(vcpu, gpa, 0x5a00 + i);
	}
	for (uint32_t i = 0; i < nr; i++)
		TEST_ASSERT_EQ(test_vcpu_read64(vcpu, (uint64_t)i << 30), 0x5a00 + i);
	st = test_vm_stats(vm);
	TEST_ASSERT(st.page_tables <= 64, "%llu tables", (unsigned long long)st.page_tables);
	TEST_ASSERT(st.page_table_reclaim_zaps > 0, "no zap-all with RAM over the cap");
	vmmu_vm_destroy(vm);
	munmap(mem, nr * PAGE);
}

static const struct test_case cases[] = {
	{ "reclaim_keeps_ram", test_reclaim_keeps_ram },
	{ "reclaim_zap_all_fallback", test_reclaim_zap_all_fallback },
};

TEST_CASES_MAIN(cases)
