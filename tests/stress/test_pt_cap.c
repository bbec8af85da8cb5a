/* SPDX-License-Identifier: MIT */
/*
 * The page-table cap against a guest that scatters MMIO accesses.
 *
 * A VM with one small RAM slot reads 8 bytes at random gpas below 2^48
 * that no slot backs: each read exits (VMMU_EXIT_MMIO, the right gpa) and
 * installs an MMIO SPTE, up to three new tables each.  Without a cap the
 * tables would only grow; with it, page_tables never passes page_table_cap
 * (checked every 256 reads), the counters show the reclaims, the process's
 * resident memory grows by at most about the cap's worth of 4 KiB tables
 * (not checked under TSan, whose shadow memory dwarfs it),
 * and the RAM slot keeps reading back what was last written to it (a
 * write now and then, read back after the reclaims in between).
 *
 * Cases: the default cap (200,000 reads; 50,000 when VMMU_TEST_SHORT=1 or
 * under TSan), a configured cap of 256 tables, the config's lower bound, and
 * the default cap following CREATE, MOVE and DELETE, and reclaims under two
 * running vCPUs' paging-structure caches.
 *
 * Usage: test_pt_cap [case-name-substring]; VMMU_TEST_SEED=n.
 */
#include <pthread.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include <vmmu.h>

#include "../test_util.h"

#define PAGE		VMMU_PAGE_SIZE
#define SLOT_PAGES	16u
#define SLOT_GPA	0x100000ull
#define MiB		(1ull << 20)

/* Resident set size of this process, in bytes (/proc/self/statm). */
static uint64_t rss_bytes(void)
{
	unsigned long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	TEST_ASSERT(f, "open /proc/self/statm");
	TEST_ASSERT(fscanf(f, "%lu %lu", &size, &resident) == 2, "parse /proc/self/statm");
	fclose(f);
	return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

static void check_ram(struct vmmu_vcpu *vcpu, const uint64_t *want)
{
	for (uint32_t p = 0; p < SLOT_PAGES; p++) {
		uint64_t v = test_vcpu_read64(vcpu, SLOT_GPA + p * PAGE + 8);

		TEST_ASSERT(v == want[p], "RAM page %u reads %#llx, expected %#llx", p,
			    (unsigned long long)v, (unsigned long long)want[p]);
	}
}

/*
 * @nr_reads MMIO reads at random unbacked gpas on a VM with cap @cfg_cap
 * (0: the default, whose value @want_cap must then be).
 */
static void run_scatter(uint32_t cfg_cap, uint64_t want_cap, uint64_t nr_reads)
{
	struct vmmu_vm *vm = test_vm_new(.max_page_tables = cfg_cap);
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	uint8_t *mem = test_alloc_guest(SLOT_PAGES * PAGE);
	uint64_t want[SLOT_PAGES], rss0, rss1, max_tables = 0;
	uint64_t seed = test_seed(NULL);
	struct test_rng rng;
	struct vmmu_stats st;

	printf("seed %llu\n", (unsigned long long)seed);
	test_rng_init(&rng, seed);
	TEST_SET_REGION_OK(vm, SLOT(0, 0), 0, SLOT_GPA, SLOT_PAGES * PAGE, mem);
	for (uint32_t p = 0; p < SLOT_PAGES; p++) {
		want[p] = 0x72616d0000000000ull | p;
		test_vcpu_write64(vcpu, SLOT_GPA + p * PAGE + 8, want[p]);
	}
	st = test_vm_stats(vm);
	TEST_ASSERT(st.page_table_cap == want_cap, "page_table_cap %llu, expected %llu",
		    (unsigned long long)st.page_table_cap, (unsigned long long)want_cap);
	TEST_ASSERT_EQ(st.page_table_reclaims, 0);
	rss0 = rss_bytes();

	for (uint64_t i = 0; i < nr_reads; i++) {
		uint64_t gpa = test_rng_below(&rng, 1ull << 48) & ~7ull;
		struct vmmu_exit ex = { 0 };
		uint64_t v = 0;
		int r;

		if (gpa >= SLOT_GPA && gpa < SLOT_GPA + SLOT_PAGES * PAGE)
			continue;
		r = vmmu_vcpu_access(vcpu, gpa, &v, 8, 0, &ex);
		TEST_ASSERT(r == VMMU_EXIT_MMIO, "read %llu of gpa %#llx: %d (%s), expected MMIO",
			    (unsigned long long)i, (unsigned long long)gpa, r, vmmu_strerror(r));
		TEST_ASSERT(ex.reason == VMMU_EXIT_MMIO && ex.mmio.phys_addr == gpa &&
			    ex.mmio.len == 8 && !ex.mmio.is_write,
			    "read of gpa %#llx: exit reason %u gpa %#llx len %u write %u",
			    (unsigned long long)gpa, ex.reason,
			    (unsigned long long)ex.mmio.phys_addr, ex.mmio.len, ex.mmio.is_write);
		if (i % 256 == 255) {
			st = test_vm_stats(vm);
			TEST_ASSERT(st.page_tables <= st.page_table_cap,
				    "after %llu reads: %llu page tables, cap %llu",
				    (unsigned long long)i + 1, (unsigned long long)st.page_tables,
				    (unsigned long long)st.page_table_cap);
			if (st.page_tables > max_tables)
				max_tables = st.page_tables;
		}
		if (i % 4096 == 4095) {
			uint32_t p = (uint32_t)test_rng_below(&rng, SLOT_PAGES);

			check_ram(vcpu, want);
			want[p] = test_rng_next(&rng);
			test_vcpu_write64(vcpu, SLOT_GPA + p * PAGE + 8, want[p]);
		}
	}
	check_ram(vcpu, want);
	/* And the host memory behind the slot holds the same. */
	for (uint32_t p = 0; p < SLOT_PAGES; p++)
		TEST_ASSERT(test_guest_load64(mem + p * PAGE + 8) == want[p], "host page %u", p);

	rss1 = rss_bytes();
	st = test_vm_stats(vm);
	printf("cap %llu: %llu reads, max %llu tables, %llu reclaims freed %llu tables "
	       "(%llu zapped everything), RSS %+lld KiB\n",
	       (unsigned long long)st.page_table_cap, (unsigned long long)nr_reads,
	       (unsigned long long)max_tables, (unsigned long long)st.page_table_reclaims,
	       (unsigned long long)st.page_tables_reclaimed,
	       (unsigned long long)st.page_table_reclaim_zaps,
	       (long long)(rss1 - rss0) / 1024);
	TEST_ASSERT(st.page_tables <= st.page_table_cap, "page tables %llu > cap %llu",
		    (unsigned long long)st.page_tables, (unsigned long long)st.page_table_cap);
	TEST_ASSERT(st.page_table_reclaims > 0, "no reclaim after %llu scattered reads",
		    (unsigned long long)nr_reads);
	TEST_ASSERT(st.page_tables_reclaimed >= st.page_table_reclaims,
		    "%llu reclaims freed only %llu tables",
		    (unsigned long long)st.page_table_reclaims,
		    (unsigned long long)st.page_tables_reclaimed);
	/*
	 * Room for cap tables at their real size, and ASan's shadow slack.
	 * TSan keeps shadow and metadata for every page touched, several
	 * times its size: there the RSS says nothing about the tables.
	 */
	TEST_ASSERT(TEST_TSAN || rss1 < rss0 || rss1 - rss0 < st.page_table_cap * PAGE * 3 / 2 + 24 * MiB,
		    "RSS grew by %llu KiB with a cap of %llu tables",
		    (unsigned long long)(rss1 - rss0) / 1024,
		    (unsigned long long)st.page_table_cap);
	vmmu_vm_destroy(vm);
	munmap(mem, SLOT_PAGES * PAGE);
}

/* The default cap: max(4096, 2 * (tables for the slot + roots) + 1024) = 4096. */
static void test_default_cap(void)
{
	run_scatter(0, 4096, test_short_env() || TEST_TSAN ? 50000 : 200000);
}

static void test_configured_cap(void)
{
	run_scatter(256, 256, 20000);
}

/* Below 64 tables a fault could not be sure of room for its path. */
static void test_cap_bounds(void)
{
	struct vmmu_vm_config cfg = { .max_page_tables = 63 };
	struct vmmu_vm *vm = NULL;

	TEST_ASSERT_EQ(vmmu_vm_create(&cfg, &vm), -EINVAL);
	cfg.max_page_tables = 64;
	TEST_ASSERT_EQ(vmmu_vm_create(&cfg, &vm), 0);
	vmmu_vm_destroy(vm);
}

/*
 * The default follows the slots: a 2^20-page slot needs, per level below
 * the root, ((2^20 - 1) >> 9l) + 2 tables (2049, 5, 2), plus two roots:
 * cap 2 * 2058 + 1024 = 5140; deleting it brings back 4096.
 */
static void test_default_follows_slots(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	uint64_t size = (1ull << 20) * PAGE;
	uint8_t *mem = test_alloc_guest(size);

	TEST_ASSERT_EQ(test_vm_stats(vm).page_table_cap, 4096);
	TEST_SET_REGION_OK(vm, SLOT(0, 0), 0, 1ull << 32, size, mem);
	TEST_ASSERT_EQ(test_vm_stats(vm).page_table_cap, 5140);
	TEST_SET_REGION_OK(vm, SLOT(0, 0), 0, 1ull << 33, size, mem);	/* MOVE */
	TEST_ASSERT_EQ(test_vm_stats(vm).page_table_cap, 5140);
	TEST_SET_REGION_OK(vm, SLOT(0, 0), 0, 1ull << 33, 0, mem);	/* DELETE */
	TEST_ASSERT_EQ(test_vm_stats(vm).page_table_cap, 4096);
	vmmu_vm_destroy(vm);
	munmap(mem, size);
}

/*
 * Reclaims under running vCPUs' paging-structure caches: the cap at its
 * minimum, RAM in 48 slots one per 2 MiB (so each has its own leaf
 * table), and two vCPU threads reading RAM in bursts between MMIO reads
 * next to it and far away, which force reclaims (and, at the cap, the
 * fall-back zap of everything).  Every read must return its page's
 * contents: a vCPU that went on reading a leaf table freed and reused for
 * another 2 MiB would read another slot's page.
 */
#define PTC_REGIONS	48
#define PTC_PAGES	16u
#define SZ_2M		(2ull << 20)

struct ptc_vcpu {
	struct vmmu_vm *vm;
	pthread_barrier_t *go;
	uint64_t seed;
	uint32_t id;
	uint64_t bursts, errors;
};

static uint64_t ptc_want(uint32_t r, uint32_t p)
{
	return 0xabc0000000000000ull | (uint64_t)r << 8 | p;
}

static void *ptc_run(void *arg)
{
	struct ptc_vcpu *c = arg;
	struct vmmu_vcpu *v;
	struct test_rng rng;

	test_rng_init(&rng, c->seed * 2 + c->id);
	TEST_ASSERT_EQ(vmmu_vcpu_create(c->vm, c->id, &v), 0);
	pthread_barrier_wait(c->go);
	for (uint64_t b = 0; b < c->bursts; b++) {
		uint32_t r = (uint32_t)test_rng_below(&rng, PTC_REGIONS);
		struct vmmu_exit ex;
		uint64_t val, gpa;
		int rc;

		for (int k = 0; k < 64; k++) {
			uint32_t p = (uint32_t)test_rng_below(&rng, PTC_PAGES);

			rc = vmmu_vcpu_access(v, r * SZ_2M + p * PAGE, &val, 8, 0, &ex);
			c->errors += rc != 0 || val != ptc_want(r, p);
		}
		/* MMIO beside the slot, in the same 2 MiB, then far away. */
		gpa = r * SZ_2M + (PTC_PAGES + test_rng_below(&rng, 512 - PTC_PAGES)) * PAGE;
		rc = vmmu_vcpu_access(v, gpa, &val, 8, 0, &ex);
		c->errors += rc != VMMU_EXIT_MMIO || ex.mmio.phys_addr != gpa;
		gpa = PTC_REGIONS * SZ_2M + test_rng_below(&rng, 1ull << 35) * PAGE;
		rc = vmmu_vcpu_access(v, gpa, &val, 8, 0, &ex);
		c->errors += rc != VMMU_EXIT_MMIO || ex.mmio.phys_addr != gpa;
	}
	vmmu_vcpu_destroy(v);
	return NULL;
}

static void test_reclaim_under_vcpus(void)
{
	struct vmmu_vm *vm = test_vm_create(&(struct vmmu_vm_config){ .max_page_tables = 64 });
	uint8_t *mem = test_alloc_guest(PTC_REGIONS * PTC_PAGES * PAGE);
	struct ptc_vcpu c[2];
	pthread_barrier_t go;
	pthread_t t[2];
	struct vmmu_stats st;
	uint64_t seed = test_seed(NULL);

	printf("# seed %llu (VMMU_TEST_SEED)\n", (unsigned long long)seed);
	for (uint32_t r = 0; r < PTC_REGIONS; r++) {
		for (uint32_t p = 0; p < PTC_PAGES; p++)
			*(uint64_t *)(mem + (r * PTC_PAGES + p) * PAGE) = ptc_want(r, p);
		TEST_SET_REGION_OK(vm, SLOT(0, r), 0, r * SZ_2M, PTC_PAGES * PAGE,
				   mem + r * PTC_PAGES * PAGE);
	}
	pthread_barrier_init(&go, NULL, 2);
	for (uint32_t i = 0; i < 2; i++) {
		c[i] = (struct ptc_vcpu){ .vm = vm, .go = &go, .seed = seed, .id = i,
			.bursts = test_short_env() || TEST_TSAN ? 5000 : 50000 };
		TEST_ASSERT(!pthread_create(&t[i], NULL, ptc_run, &c[i]), "pthread_create");
	}
	for (uint32_t i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	st = test_vm_stats(vm);
	printf("# %llu bursts, %llu reclaims (%llu zapping everything), %llu tables reclaimed\n",
	       (unsigned long long)(c[0].bursts + c[1].bursts),
	       (unsigned long long)st.page_table_reclaims,
	       (unsigned long long)st.page_table_reclaim_zaps,
	       (unsigned long long)st.page_tables_reclaimed);
	TEST_ASSERT_EQ(c[0].errors + c[1].errors, 0);
	TEST_ASSERT(st.page_table_reclaims > 0, "no reclaim: the case tests nothing");
	pthread_barrier_destroy(&go);
	vmmu_vm_destroy(vm);
	munmap(mem, PTC_REGIONS * PTC_PAGES * PAGE);
}

static const struct test_case cases[] = {
	{ "reclaim_under_vcpus", test_reclaim_under_vcpus },
	{ "default_follows_slots", test_default_follows_slots },
	{ "default_cap", test_default_cap },
	{ "configured_cap", test_configured_cap },
	{ "cap_bounds", test_cap_bounds },
};

TEST_CASES_MAIN(cases)
