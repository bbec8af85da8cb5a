/* SPDX-License-Identifier: MIT */
/*
 * The direct backend's cache of mapped spans (src/hostmem.c) under
 * concurrent fills and brackets.  Two 1 MiB slots whose host memory lies in
 * two 2 MiB regions 512 MiB apart: both regions map to the same cache bucket,
 * and each is only partly mapped (the slot's mapping starts 64 KiB into it),
 * so every fill writes a partial span and the two regions keep overwriting
 * each other's entry.  Slot 0's memory is writable, slot 1's read-only (a
 * read-only span must not run on over memory taken away either).  NR_VCPUS vCPU threads read random pages of both slots
 * while the host thread, round after round, brackets 16 pages of one slot
 * and, inside the bracket, takes one of them away (mprotect(PROT_NONE), or
 * munmap and a fresh mmap with its contents written back), then gives it
 * back in a second bracket:
 *
 *	ver[p]++ (odd)   start   take page p away        end
 *	  ... until the vCPUs have made progress ...
 *	                 start   give page p back        end   ver[p]++ (even)
 *
 * Every start() zaps the 16 pages and bumps the bucket's generation, so the
 * vCPUs' next faults there refill the bucket, from either region.
 *
 * Checked: no access ever touches memory that is gone (a SIGSEGV fails the
 * test: a stale "mapped" answer, or a lookup that paired one fill's span
 * with another's generation); an access that returns 0 read the page's own
 * tag; an access that returns -EFAULT overlapped a change of its page (its
 * ver[] was odd or moved during the access); the vCPUs made faults and the
 * backend made queries.
 *
 * Without PROCMAP_QUERY (before Linux 6.11) the backend sees only whether
 * memory is mapped (README, limits): then both slots are writable and pages
 * are taken away by munmap only.
 *
 * Usage: test_direct_cache [seed [rounds]]
 *	rounds defaults to 3000, or 400 when VMMU_TEST_SHORT=1 is set or in a
 *	sanitizer build.  Also VMMU_TEST_SEED.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <vmmu.h>

#include "../test_util.h"
#include "hostmem.h"	/* hostmem_direct_open(): the backend's PROCMAP_QUERY probe */

#define PAGE		VMMU_PAGE_SIZE
#define REGION		(2ull << 20)
#define APART		(512ull << 20)	/* 256 regions: the same bucket of 256 */
#define SLOT_PAGES	256u
#define NR_VCPUS	2u
#define GPA(s)		((uint64_t)((s) + 1) << 30)
#define PROT(s)		((s) && have_pmq ? PROT_READ : PROT_READ | PROT_WRITE)
#define TAG(s, p)	((uint64_t)0x5a5a000000000000 | ((uint64_t)(s) << 32) | (uint64_t)(p))

static bool have_pmq;	/* PROCMAP_QUERY: protection changes are seen */

struct ctx {
	struct vmmu_vm *vm;
	struct vmmu_vcpu *vcpu[NR_VCPUS];
	uint8_t *mem[2];
	_Atomic uint64_t ver[2][SLOT_PAGES];
	_Atomic uint64_t accesses, efaults;
	_Atomic bool stop;
	_Atomic int failed;
	uint64_t seed;
};

static void segv_handler(int sig, siginfo_t *si, void *uc)
{
	static const char msg[] = "test_direct_cache: SIGSEGV: an access touched memory that is gone\n";

	(void)sig;
	(void)si;
	(void)uc;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(KSFT_FAIL);
	_exit(KSFT_FAIL);
}

static void one_access(struct ctx *c, struct vmmu_vcpu *vcpu, struct test_rng *r)
{
	unsigned int s = (unsigned int)test_rng_below(r, 2);
	unsigned int p = (unsigned int)test_rng_below(r, SLOT_PAGES);
	uint64_t v1 = atomic_load_explicit(&c->ver[s][p], memory_order_acquire), v2, val = 0;
	struct vmmu_exit ex;
	int ret = vmmu_vcpu_access(vcpu, GPA(s) + p * PAGE + 8 * test_rng_below(r, 512), &val, 8,
				   0, &ex);

	v2 = atomic_load_explicit(&c->ver[s][p], memory_order_acquire);
	if (ret == 0 && val != TAG(s, p)) {
		fprintf(stderr, "slot %u page %u: read %#" PRIx64 ", want %#" PRIx64 "\n", s, p,
			val, TAG(s, p));
		atomic_store(&c->failed, 1);
	} else if (ret == -EFAULT) {
		atomic_fetch_add_explicit(&c->efaults, 1, memory_order_relaxed);
		if (!(v1 & 1) && v1 == v2) {
			fprintf(stderr, "slot %u page %u: -EFAULT while mapped (ver %" PRIu64 ")\n",
				s, p, v1);
			atomic_store(&c->failed, 1);
		}
	} else if (ret) {
		fprintf(stderr, "slot %u page %u: access returned %d\n", s, p, ret);
		atomic_store(&c->failed, 1);
	}
	atomic_fetch_add_explicit(&c->accesses, 1, memory_order_relaxed);
}

struct vcpu_arg {
	struct ctx *c;
	unsigned int id;
};

static void *vcpu_loop(void *arg)
{
	struct vcpu_arg *a = arg;
	struct test_rng r;

	test_rng_init(&r, a->c->seed * 31 + a->id);
	while (!atomic_load_explicit(&a->c->stop, memory_order_relaxed) &&
	       !atomic_load_explicit(&a->c->failed, memory_order_relaxed))
		one_access(a->c, a->c->vcpu[a->id], &r);
	return NULL;
}

static void fill_page(struct ctx *c, unsigned int s, unsigned int p)
{
	uint64_t *q = (uint64_t *)(c->mem[s] + (uint64_t)p * PAGE);

	for (unsigned int i = 0; i < PAGE / 8; i++)
		q[i] = TAG(s, p);
}

/* Take page @p of slot @s away (@remap: munmap) or give it back, in a bracket of 16 pages. */
static void change(struct ctx *c, unsigned int s, unsigned int p, bool away, bool remap)
{
	unsigned int first = p & ~15u;
	uint8_t *b = c->mem[s] + (uint64_t)first * PAGE, *pg = c->mem[s] + (uint64_t)p * PAGE;

	vmmu_mmu_notifier_invalidate_range_start(c->vm, HVA(b), HVA(b + 16 * PAGE));
	if (away && remap)
		TEST_ASSERT_EQ(munmap(pg, PAGE), 0);
	else if (away)
		TEST_ASSERT_EQ(mprotect(pg, PAGE, PROT_NONE), 0);
	else if (remap) {
		TEST_ASSERT(mmap(pg, PAGE, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == pg,
			    "mmap: %s", strerror(errno));
		fill_page(c, s, p);
		TEST_ASSERT_EQ(mprotect(pg, PAGE, PROT(s)), 0);
	} else {
		TEST_ASSERT_EQ(mprotect(pg, PAGE, PROT(s)), 0);
	}
	vmmu_mmu_notifier_invalidate_range_end(c->vm, HVA(b), HVA(b + 16 * PAGE));
}

static void wait_progress(struct ctx *c, uint64_t n)
{
	uint64_t a0 = atomic_load(&c->accesses);
	double end = test_now() + 10.0;

	while (atomic_load(&c->accesses) - a0 < n && !atomic_load(&c->failed)) {
		TEST_ASSERT(test_now() < end, "the vCPUs made no progress in 10 s");
		sched_yield();
	}
}

int main(int argc, char **argv)
{
	uint64_t rounds = argc > 2 ? strtoull(argv[2], NULL, 0)
				   : (test_short_env() || TEST_TSAN || TEST_ASAN) ? 400 : 3000;
	struct sigaction sa = { .sa_sigaction = segv_handler, .sa_flags = SA_SIGINFO };
	struct vcpu_arg args[NR_VCPUS];
	pthread_t thr[NR_VCPUS];
	static struct ctx c;
	struct vmmu_stats st0, st1;
	struct test_rng r;
	uint8_t *res, *base;
	int fd;

	c.seed = test_seed(argc > 1 ? argv[1] : NULL);
	fd = hostmem_direct_open();
	have_pmq = fd >= 0;
	hostmem_direct_close(fd);
	printf("# seed %#" PRIx64 ", %" PRIu64 " rounds%s\n", c.seed, rounds,
	       have_pmq ? "" : "; no PROCMAP_QUERY: munmap only, both slots writable");
	test_rng_init(&r, c.seed);
	TEST_ASSERT_EQ(sigaction(SIGSEGV, &sa, NULL), 0);
	TEST_ASSERT_EQ(sigaction(SIGBUS, &sa, NULL), 0);
	/* Reserve the address space, then map 1 MiB 64 KiB into each region. */
	res = mmap(NULL, APART + 2 * REGION, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		   -1, 0);
	TEST_ASSERT(res != MAP_FAILED, "mmap: %s", strerror(errno));
	base = (uint8_t *)(((uintptr_t)res + REGION - 1) & ~(uintptr_t)(REGION - 1));
	c.vm = test_vm_new(.flags = VMMU_VM_NO_PREFETCH);
	for (unsigned int s = 0; s < 2; s++) {
		c.mem[s] = base + s * APART + (64u << 10);
		TEST_ASSERT(mmap(c.mem[s], SLOT_PAGES * PAGE, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == c.mem[s],
			    "mmap: %s", strerror(errno));
		for (unsigned int p = 0; p < SLOT_PAGES; p++)
			fill_page(&c, s, p);
		TEST_ASSERT_EQ(mprotect(c.mem[s], SLOT_PAGES * PAGE, PROT(s)), 0);
		TEST_SET_REGION_OK(c.vm, SLOT(0, s), 0, GPA(s), SLOT_PAGES * PAGE, c.mem[s]);
	}
	for (unsigned int i = 0; i < NR_VCPUS; i++)
		c.vcpu[i] = test_vcpu_create(c.vm, i);
	st0 = test_vm_stats(c.vm);
	for (unsigned int i = 0; i < NR_VCPUS; i++) {
		args[i] = (struct vcpu_arg){ .c = &c, .id = i };
		TEST_ASSERT_EQ(pthread_create(&thr[i], NULL, vcpu_loop, &args[i]), 0);
	}
	for (uint64_t k = 0; k < rounds && !atomic_load(&c.failed); k++) {
		unsigned int s = (unsigned int)test_rng_below(&r, 2);
		unsigned int p = (unsigned int)test_rng_below(&r, SLOT_PAGES);
		bool remap = test_rng_below(&r, 2) || !have_pmq;

		atomic_fetch_add_explicit(&c.ver[s][p], 1, memory_order_release);	/* odd */
		change(&c, s, p, true, remap);
		wait_progress(&c, 200);
		change(&c, s, p, false, remap);
		atomic_fetch_add_explicit(&c.ver[s][p], 1, memory_order_release);	/* even */
		wait_progress(&c, 200);
	}
	atomic_store(&c.stop, true);
	for (unsigned int i = 0; i < NR_VCPUS; i++)
		pthread_join(thr[i], NULL);
	st1 = test_vm_stats(c.vm);
	printf("# %" PRIu64 " accesses, %" PRIu64 " -EFAULT, %" PRIu64 " faults, %" PRIu64
	       " host queries\n", atomic_load(&c.accesses), atomic_load(&c.efaults),
	       st1.pf_fixed - st0.pf_fixed, st1.host_queries - st0.host_queries);
	TEST_ASSERT(!atomic_load(&c.failed), "see above");
	TEST_ASSERT(st1.pf_fixed - st0.pf_fixed >= rounds, "too few faults: %" PRIu64,
		    st1.pf_fixed - st0.pf_fixed);
	TEST_ASSERT(st1.host_queries > st0.host_queries, "the backend asked the kernel nothing");
	vmmu_vm_destroy(c.vm);
	munmap(res, APART + 2 * REGION);
	printf("PASS\n");
	return 0;
}
