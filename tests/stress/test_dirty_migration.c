/* SPDX-License-Identifier: MIT */
/*
 * Live migration through the dirty log (docs/KVM-SEMANTICS.md, "Dirty logging").
 *
 * Two vCPU threads write random values to random qwords of a dirty-logged
 * slot of 1024 pages (half of the writes go to 16 hot pages, so writes
 * race the host's GET/CLEAR on the same page all the time) and read from
 * it; the last RO_PAGES pages are only ever read.  Meanwhile the host thread
 * plays the migration source: it loops
 *
 *	GET_DIRTY_LOG                           (without manual protect:
 *	                                         snapshot + clear + re-protect)
 *	CLEAR_DIRTY_LOG of the bits it got      (manual protect only)
 *	copy every dirty page to the "destination" buffer
 *
 * When the vCPUs have stopped (atomic flag, join) the host does one final
 * round; then the destination must equal guest memory exactly: a write
 * that was neither copied nor logged is a lost write.  Also checked: pages
 * that are only read are never reported dirty; after the final round the
 * log is empty.
 *
 * Runs: {GET only, manual protect (GET + CLEAR), manual protect with
 * INITIALLY_SET (the destination starts empty and the first GET must
 * report every page)} x {writes by vmmu_vcpu_access, by
 * vmmu_vcpu_write_guest}, plus one run with both writers at once.
 *
 * Guest memory is touched by the host only with relaxed 8-byte atomics
 * while vCPUs run, so ThreadSanitizer sees no race in the test itself.
 *
 * Usage: test_dirty_migration [seed [rounds]]
 *	rounds (host rounds per run that must find dirty pages while the vCPUs
 *	run) defaults to 150, or 25 when VMMU_TEST_SHORT=1 is set or in a
 *	sanitizer build.  Also VMMU_TEST_SEED.
 */
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include <vmmu.h>

#include "../test_util.h"
#include "migration.h"

#define PAGE		VMMU_PAGE_SIZE
#define QWORDS		(PAGE / 8)
#define NPAGES		1024u
#define WORDS		(NPAGES / 64)
#define HOT_PAGES	16u
#define RO_PAGES	64u		/* the last 64 pages: read, never written */
#define RW_PAGES	(NPAGES - RO_PAGES)
#define BASE_GPA	0x80000000ull
#define SLOT_ID		3u
#define NR_VCPUS	2u
#define RUN_DEADLINE_S	20.0	/* per run; normally a run takes well under a second */
#define MIN_DIRTY_ROUNDS 10u

enum mode { MODE_GET, MODE_MANUAL, MODE_MANUAL_INIT_SET };

static const char *const mode_name[] = { "get", "manual", "manual+initially_set" };
static const char *const writer_name[] = { "vcpu_access", "write_guest", "mixed" };

struct mig;

struct vcpu_thread {
	struct mig *m;
	struct vmmu_vcpu *vcpu;
	unsigned int id;
	uint64_t seed;
	pthread_t thr;
	_Atomic uint64_t writes;	/* written by the vCPU, read by the host */
	uint64_t reads;
};

struct mig {
	struct vmmu_vm *vm;
	uint8_t *guest;		/* guest RAM (the slot's memory) */
	uint8_t *copy;		/* the migration destination */
	enum mode mode;
	enum mig_writer writer;
	pthread_barrier_t start;
	atomic_int stop;
	struct vcpu_thread vcpus[NR_VCPUS];
	/* host-side bookkeeping */
	uint64_t rounds, rounds_with_dirty, pages_copied;
	uint64_t ever_dirty[WORDS];
};

static void *vcpu_fn(void *arg)
{
	struct vcpu_thread *t = arg;
	struct mig *m = t->m;
	struct test_rng rng;
	uint64_t n = 0;

	test_rng_init(&rng, t->seed);
	pthread_barrier_wait(&m->start);
	while (!atomic_load_explicit(&m->stop, memory_order_relaxed)) {
		struct mig_op o = mig_next_op(&rng, m->writer, BASE_GPA, NPAGES, HOT_PAGES,
					      RW_PAGES);
		bool read = o.read, via_write_guest = o.via_write_guest;
		uint64_t gpa = o.gpa, v = o.value;
		struct vmmu_exit ex;
		int r;

		if (read) {
			r = vmmu_vcpu_access(t->vcpu, gpa, &v, 8, 0, &ex);
			TEST_ASSERT(r == 0, "vCPU %u: read of gpa %#" PRIx64 ": %d (%s)", t->id,
				    gpa, r, vmmu_strerror(r));
			t->reads++;
			continue;
		}
		if (via_write_guest)
			r = vmmu_vcpu_write_guest(t->vcpu, gpa, &v, 8);
		else
			r = vmmu_vcpu_access(t->vcpu, gpa, &v, 8, VMMU_ACCESS_WRITE, &ex);
		TEST_ASSERT(r == 0, "vCPU %u: write (%s) of gpa %#" PRIx64 ": %d (%s)", t->id,
			    via_write_guest ? "write_guest" : "access", gpa, r, vmmu_strerror(r));
		if (!(++n & 63))
			atomic_store_explicit(&t->writes, n, memory_order_relaxed);
	}
	atomic_store_explicit(&t->writes, n, memory_order_relaxed);
	return NULL;
}

static bool ever_dirty(const void *arg, uint64_t p)
{
	const struct mig *m = arg;

	return m->ever_dirty[p / 64] & (1ull << (p % 64));
}

/* One migration round: GET (+ CLEAR), copy the dirty pages.  Returns their number. */
static uint64_t sync_round(struct mig *m)
{
	const uint32_t slot = SLOT_ID;
	uint64_t bm[WORDS], n = 0;
	int r;

	r = vmmu_get_dirty_log(m->vm, slot, bm);
	TEST_ASSERT(r == 0, "GET_DIRTY_LOG: %d (%s)", r, vmmu_strerror(r));
	if (m->mode != MODE_GET) {
		r = vmmu_clear_dirty_log(m->vm, slot, 0, NPAGES, bm);
		TEST_ASSERT(r == 0, "CLEAR_DIRTY_LOG: %d (%s)", r, vmmu_strerror(r));
	}
	for (unsigned int w = 0; w < WORDS; w++) {
		uint64_t mask = bm[w];

		m->ever_dirty[w] |= mask;
		while (mask) {
			uint64_t page = w * 64 + __builtin_ctzll(mask);

			mig_copy_page(m->copy + page * PAGE, m->guest + page * PAGE);
			mask &= mask - 1;
			n++;
		}
	}
	m->rounds++;
	m->pages_copied += n;
	return n;
}

static uint64_t total_writes(struct mig *m)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < NR_VCPUS; i++)
		n += atomic_load_explicit(&m->vcpus[i].writes, memory_order_relaxed);
	return n;
}

static void run(uint64_t seed, enum mode mode, enum mig_writer writer, uint64_t min_rounds)
{
	struct mig *m = calloc(1, sizeof(*m));
	uint64_t min_writes = min_rounds * 200;
	uint64_t reads = 0;
	struct test_rng rng;
	struct vmmu_stats st;
	double t0, t1;

	TEST_ASSERT(m, "calloc");
	m->mode = mode;
	m->writer = writer;
	m->guest = test_alloc_guest(NPAGES * PAGE);
	m->copy = test_alloc_guest(NPAGES * PAGE);
	atomic_init(&m->stop, 0);

	/* Guest RAM starts with data: the destination must end up with it too. */
	test_rng_init(&rng, seed);
	for (uint64_t i = 0; i < NPAGES * QWORDS; i++)
		((uint64_t *)m->guest)[i] = test_rng_next(&rng);

	m->vm = test_vm_create(NULL);
	if (mode != MODE_GET) {
		uint64_t f = VMMU_DIRTY_LOG_MANUAL_PROTECT_ENABLE;

		if (mode == MODE_MANUAL_INIT_SET)
			f |= VMMU_DIRTY_LOG_INITIALLY_SET;
		TEST_ASSERT_EQ(vmmu_vm_enable_manual_dirty_log_protect(m->vm, f), 0);
	}
	TEST_SET_REGION_OK(m->vm, SLOT_ID, VMMU_MEM_LOG_DIRTY_PAGES, BASE_GPA, NPAGES * PAGE,
			   m->guest);
	/*
	 * The bulk copy.  With INITIALLY_SET there is none: the destination
	 * starts zeroed and the dirty log (all ones at first) drives it all.
	 */
	if (mode != MODE_MANUAL_INIT_SET)
		memcpy(m->copy, m->guest, NPAGES * PAGE);

	TEST_ASSERT_EQ(pthread_barrier_init(&m->start, NULL, NR_VCPUS + 1), 0);
	for (unsigned int i = 0; i < NR_VCPUS; i++) {
		struct vcpu_thread *t = &m->vcpus[i];

		t->m = m;
		t->id = i;
		t->seed = seed ^ ((i + 1) * 0x9e3779b97f4a7c15ull);
		atomic_init(&t->writes, 0);
		t->vcpu = test_vcpu_create(m->vm, i);
		TEST_ASSERT_EQ(pthread_create(&t->thr, NULL, vcpu_fn, t), 0);
	}

	t0 = test_now();
	pthread_barrier_wait(&m->start);
	if (mode == MODE_MANUAL_INIT_SET) {
		/* the first GET reports every page, written or not */
		uint64_t n = sync_round(m);

		TEST_ASSERT(n == NPAGES, "INITIALLY_SET: first round reported %" PRIu64
			    " dirty pages, expected all %u", n, NPAGES);
	}
	/*
	 * A round that finds nothing is quick, so with more threads than CPUs
	 * the host can do thousands of them while the vCPUs are not running;
	 * count the rounds that found dirty pages, and yield after a round
	 * that found none.  The deadline only stops a run whose rounds keep
	 * finding nothing (a broken re-protection, or a very loaded machine).
	 */
	while ((m->rounds_with_dirty < min_rounds || total_writes(m) < min_writes) &&
	       test_now() - t0 < RUN_DEADLINE_S) {
		if (sync_round(m))
			m->rounds_with_dirty++;
		else
			sched_yield();	/* let a vCPU that shares our CPU write */
	}
	atomic_store_explicit(&m->stop, 1, memory_order_relaxed);
	for (unsigned int i = 0; i < NR_VCPUS; i++) {
		TEST_ASSERT_EQ(pthread_join(m->vcpus[i].thr, NULL), 0);
		reads += m->vcpus[i].reads;
	}
	t1 = test_now();

	/* The final round, with the vCPUs stopped. */
	sync_round(m);
	/* Nothing is written any more: the log is empty now. */
	{
		uint64_t bm[WORDS];

		TEST_ASSERT_EQ(vmmu_get_dirty_log(m->vm, SLOT_ID, bm), 0);
		for (unsigned int w = 0; w < WORDS; w++)
			TEST_ASSERT(!bm[w], "%s/%s: pages still dirty after the final round: word "
				    "%u = %#" PRIx64, mode_name[mode], writer_name[writer], w,
				    bm[w]);
	}

	st = test_vm_stats(m->vm);
	printf("  %-21s %-12s %6" PRIu64 " rounds (%" PRIu64 " with dirty pages), %8" PRIu64
	       " pages copied, %9" PRIu64 " writes, %9" PRIu64 " reads, %.2fs; pf_fixed %"
	       PRIu64 " pf_spurious %" PRIu64 " pf_retry %" PRIu64 " tlb_fills %" PRIu64
	       " remote_tlb_flush %" PRIu64 "/%" PRIu64 "\n",
	       mode_name[mode], writer_name[writer], m->rounds, m->rounds_with_dirty,
	       m->pages_copied, total_writes(m), reads, t1 - t0, st.pf_fixed, st.pf_spurious,
	       st.pf_retry, st.tlb_fills, st.remote_tlb_flush, st.remote_tlb_flush_requests);

	/* Reads never dirty a page (except INITIALLY_SET's first round). */
	if (mode != MODE_MANUAL_INIT_SET)
		for (uint64_t p = RW_PAGES; p < NPAGES; p++)
			TEST_ASSERT(!(m->ever_dirty[p / 64] & (1ull << (p % 64))),
				    "%s/%s: page %" PRIu64 " was only read but reported dirty",
				    mode_name[mode], writer_name[writer], p);

	/* The destination is an exact copy. */
	{
		char what[64];

		snprintf(what, sizeof(what), "%s/%s", mode_name[mode], writer_name[writer]);
		mig_check_copy(m->guest, m->copy, NPAGES, what, seed, ever_dirty, m);
	}

	/*
	 * The run did race: rounds kept finding pages the vCPUs had written.
	 * (Normally min_rounds of them; only the deadline, on a very loaded
	 * machine, stops a healthy run earlier, and then with far more than
	 * MIN_DIRTY_ROUNDS.)
	 */
	TEST_ASSERT(m->rounds_with_dirty >= MIN_DIRTY_ROUNDS && total_writes(m) >= min_writes / 4,
		    "%s/%s: only %" PRIu64 " rounds saw dirty pages and %" PRIu64 " writes were "
		    "made in %.1f s", mode_name[mode], writer_name[writer], m->rounds_with_dirty,
		    total_writes(m), t1 - t0);

	vmmu_vm_destroy(m->vm);
	pthread_barrier_destroy(&m->start);
	munmap(m->guest, NPAGES * PAGE);
	munmap(m->copy, NPAGES * PAGE);
	free(m);
}

int main(int argc, char **argv)
{
	bool short_run = TEST_TSAN || TEST_ASAN || test_short_env();
	uint64_t seed = test_seed(argc > 1 ? argv[1] : NULL);
	uint64_t rounds = argc > 2 ? strtoull(argv[2], NULL, 0) : short_run ? 25 : 150;
	static const struct {
		enum mode mode;
		enum mig_writer writer;
	} runs[] = {
		{ MODE_GET, W_ACCESS },
		{ MODE_GET, W_WRITE_GUEST },
		{ MODE_MANUAL, W_ACCESS },
		{ MODE_MANUAL, W_WRITE_GUEST },
		{ MODE_MANUAL_INIT_SET, W_ACCESS },
		{ MODE_MANUAL_INIT_SET, W_WRITE_GUEST },
		{ MODE_GET, W_MIXED },
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("test_dirty_migration: seed %#" PRIx64 " (rerun: test_dirty_migration %#" PRIx64
	       " %" PRIu64 "), %u vCPUs, %u pages, >= %" PRIu64 " rounds per run\n", seed, seed,
	       rounds, NR_VCPUS, NPAGES, rounds);
	for (size_t i = 0; i < ARRAY_SIZE(runs); i++)
		run(seed + i, runs[i].mode, runs[i].writer, rounds);
	printf("PASS\n");
	return KSFT_PASS;
}
