/* SPDX-License-Identifier: MIT */
/*
 * MMU-notifier coherence with the direct backend (docs/KVM-SEMANTICS.md, "MMU-notifier coherence").
 *
 * Guest RAM is the test's own MAP_SHARED mapping of a memfd that holds two
 * copies of the region.  NR_VCPUS vCPU threads read qwords of random pages
 * of the slot in a loop, while the host thread replaces the memory behind
 * them round after round, as the kernel's mm would:
 *
 *	write the round's tags into the copy that is NOT mapped
 *	vmmu_mmu_notifier_invalidate_range_start(hva, hva + len)
 *	[replace variant: sched_yield(); gap variant: mprotect(hva, len,
 *	 PROT_NONE), then wait until a vCPU fault has retried]
 *	mmap(MAP_FIXED) that copy at the same hva
 *	vmmu_mmu_notifier_invalidate_range_end(hva, hva + len)
 *	round = k                                  (release)
 *
 * Every tagged qword of page p holds TAG(k, p) in round k.  A vCPU loads
 * `round` (acquire) BEFORE each access, so an access that read round k
 * started after the k-th end() returned, and must see the contents of
 * round k or of a later one: tag round >= k, and the page it asked for.
 *
 * With the direct backend a translation's host address is the hva itself,
 * so in the plain "replace" variant a stale translation would still read
 * whatever is mapped at the hva now; there the tags catch translations to
 * the wrong page and the counters show the protocol ran.  The "gap"
 * variant makes the range PROT_NONE inside the bracket and keeps it so
 * until a vCPU fault has been seen retrying: a translation that survived
 * start(), or one a fault installed inside the bracket, touches PROT_NONE
 * memory and the SIGSEGV handler fails the test.
 *
 * Between rounds the host waits (atomics, yielding) until a vCPU has
 * completed an access of the new round, so every round invalidates freshly
 * faulted pages and races the vCPUs' faults.
 *
 * Also: faults racing an invalidation must retry: notifier_retries and
 * pf_retry must grow over each run (extra rounds are run until they do,
 * up to a bound), invalidations must zap, vCPU accesses never fail.
 *
 * Usage: test_notifier_direct [seed [rounds]]
 *	rounds (per variant) defaults to 2000, or 300 when VMMU_TEST_SHORT=1
 *	is set or in a sanitizer build.  Also VMMU_TEST_SEED.
 */
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <vmmu.h>

#include "../test_util.h"

#define PAGE		VMMU_PAGE_SIZE
#define QWORDS		(PAGE / 8)
#define NPAGES		128u
#define LEN		(NPAGES * PAGE)
#define BASE_GPA	0x100000000ull
#define NR_VCPUS	3u
#define TAG(k, p)	(((uint64_t)(k) << 20) | 0x80000 | (uint64_t)(p))
#define TAG_ROUND(t)	((t) >> 20)
#define TAG_PAGE(t)	((t) & 0x7ffff)
#define TAG_OK(t)	(((t) & 0x80000) != 0)
/* How long the host waits for the vCPUs before calling it a livelock. */
#define PROGRESS_DEADLINE_S	20.0
/* Gap variant: at most this many yields waiting for a retry inside the gap. */
#define GAP_MAX_SPINS	20000u

/* The qwords of each page the host tags and the vCPUs read. */
static const unsigned int tagged_qword[] = { 0, 1, 255, 511 };
#define NR_TAGGED	ARRAY_SIZE(tagged_qword)

struct ctx;

struct vcpu_thread {
	struct ctx *c;
	struct vmmu_vcpu *vcpu;
	unsigned int id;
	uint64_t seed;
	pthread_t thr;
	uint64_t accesses, newer;	/* newer: saw a round later than the one it loaded */
	/* the round loaded before its last completed access (relaxed: no edge) */
	_Atomic uint64_t done_round;
};

struct ctx {
	struct vmmu_vm *vm;
	int fd;
	uint8_t *hva;		/* the guest RAM mapping (remapped every round) */
	uint8_t *staging;	/* the whole memfd (both copies), for the host's writes */
	bool gap;
	pthread_barrier_t start;
	atomic_int stop;
	_Atomic uint64_t round;
	uint64_t gap_retried, gap_timeouts;
	struct vcpu_thread vcpus[NR_VCPUS];
};

/* For the SIGSEGV handler: the range that is PROT_NONE in the gap variant. */
static _Atomic uintptr_t guard_lo, guard_hi;

static void segv_handler(int sig, siginfo_t *si, void *uc)
{
	static const char msg_in[] =
		"==== Test Assertion Failure ====\n  test_notifier_direct: SIGSEGV in guest RAM "
		"while it was PROT_NONE inside an invalidation: a translation survived start() "
		"or a fault installed one inside the bracket\n";
	static const char msg_out[] = "test_notifier_direct: SIGSEGV outside guest RAM\n";
	uintptr_t a = (uintptr_t)si->si_addr;
	bool in = a >= atomic_load(&guard_lo) && a < atomic_load(&guard_hi);
	ssize_t n;

	(void)uc;
	(void)sig;
	n = write(2, in ? msg_in : msg_out, in ? sizeof(msg_in) - 1 : sizeof(msg_out) - 1);
	(void)n;
	_exit(KSFT_FAIL);
}

static void *vcpu_fn(void *arg)
{
	struct vcpu_thread *t = arg;
	struct ctx *c = t->c;
	struct test_rng rng;

	test_rng_init(&rng, t->seed);
	pthread_barrier_wait(&c->start);
	while (!atomic_load_explicit(&c->stop, memory_order_relaxed)) {
		uint64_t p = test_rng_below(&rng, NPAGES);
		unsigned int q = tagged_qword[test_rng_below(&rng, NR_TAGGED)];
		uint64_t gpa = BASE_GPA + p * PAGE + q * 8;
		uint64_t k, v = 0;
		struct vmmu_exit ex;
		int r;

		/* The round whose end() returned before this access starts. */
		k = atomic_load_explicit(&c->round, memory_order_acquire);
		r = vmmu_vcpu_access(t->vcpu, gpa, &v, 8, 0, &ex);
		TEST_ASSERT(r == 0, "vCPU %u: read of gpa %#" PRIx64 " in round %" PRIu64
			    ": %d (%s)", t->id, gpa, k, r, vmmu_strerror(r));
		TEST_ASSERT(TAG_OK(v) && TAG_PAGE(v) == p,
			    "vCPU %u: page %" PRIu64 " qword %u read %#" PRIx64
			    ", which is not a tag of this page (round %" PRIu64 ")",
			    t->id, p, q, v, k);
		TEST_ASSERT(TAG_ROUND(v) >= k,
			    "vCPU %u: page %" PRIu64 " qword %u: an access that started after "
			    "end() of round %" PRIu64 " returned read the contents of round %"
			    PRIu64, t->id, p, q, k, (uint64_t)TAG_ROUND(v));
		t->accesses++;
		t->newer += TAG_ROUND(v) > k;
		atomic_store_explicit(&t->done_round, k, memory_order_relaxed);
		/*
		 * Yield now and then, outside any access: with more threads
		 * than CPUs a vCPU preempted inside an access makes start()'s
		 * TLB flush wait for a whole time slice (milliseconds).
		 */
		if (!(t->accesses & 1023))
			sched_yield();
	}
	return NULL;
}

/* Tag every tagged qword of copy @which (0 or 1) for round @k. */
static void write_tags(struct ctx *c, unsigned int which, uint64_t k)
{
	uint64_t *base = (uint64_t *)(c->staging + (size_t)which * LEN);

	for (uint64_t p = 0; p < NPAGES; p++)
		for (unsigned int i = 0; i < NR_TAGGED; i++)
			test_guest_store64(&base[p * QWORDS + tagged_qword[i]], TAG(k, p));
}

static uint64_t retries(struct ctx *c)
{
	return test_vm_stats(c->vm).pf_retry;
}

static void one_round(struct ctx *c, uint64_t k)
{
	uint64_t h = (uint64_t)(uintptr_t)c->hva;
	unsigned int which = k & 1;
	void *p;

	write_tags(c, which, k);
	vmmu_mmu_notifier_invalidate_range_start(c->vm, h, h + LEN);
	if (c->gap) {
		uint64_t r0 = retries(c);
		unsigned int i;

		TEST_ASSERT(mprotect(c->hva, LEN, PROT_NONE) == 0, "mprotect: %s",
			    strerror(errno));
		for (i = 0; i < GAP_MAX_SPINS && retries(c) == r0; i++)
			sched_yield();
		if (i < GAP_MAX_SPINS)
			c->gap_retried++;
		else
			c->gap_timeouts++;
	} else {
		/* give a vCPU the chance to fault inside the bracket */
		sched_yield();
	}
	p = mmap(c->hva, LEN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, c->fd,
		 (off_t)which * LEN);
	TEST_ASSERT(p == c->hva, "mmap(MAP_FIXED) round %" PRIu64 ": %s", k, strerror(errno));
	vmmu_mmu_notifier_invalidate_range_end(c->vm, h, h + LEN);
	atomic_store_explicit(&c->round, k, memory_order_release);
}

/*
 * Let the vCPUs run between rounds: wait (yielding) until one of them has
 * completed an access that started after round @k ended, so each round
 * invalidates pages the vCPUs have just faulted in again and the next
 * start() races their faults.  Without this, on a machine with fewer CPUs
 * than threads the host can run hundreds of rounds while no vCPU runs.
 * The loads are relaxed, so ThreadSanitizer gets no extra happens-before
 * edge from the handshake.  A vCPU that cannot make progress for
 * PROGRESS_DEADLINE_S after end() returned is a livelock: fail.
 */
static void wait_vcpu_progress(struct ctx *c, uint64_t k)
{
	double deadline = 0;

	for (unsigned int spins = 0;; spins++) {
		for (unsigned int i = 0; i < NR_VCPUS; i++) {
			_Atomic uint64_t *done = &c->vcpus[i].done_round;

			if (atomic_load_explicit(done, memory_order_relaxed) >= k)
				return;
		}
		sched_yield();
		if (!(spins & 1023)) {
			if (!deadline)
				deadline = test_now() + PROGRESS_DEADLINE_S;
			TEST_ASSERT(test_now() < deadline, "no vCPU completed an access in %.0f s "
				    "after end() of round %" PRIu64, PROGRESS_DEADLINE_S, k);
		}
	}
}

static void run(uint64_t seed, uint64_t rounds, bool gap)
{
	uint64_t max_rounds = rounds * 20, k, accesses = 0, newer = 0;
	const char *name = gap ? "gap" : "replace";
	struct ctx *c = calloc(1, sizeof(*c));
	struct vmmu_stats st0, st;
	double t0, t1;
	int r;

	TEST_ASSERT(c, "calloc");
	c->gap = gap;
	c->fd = memfd_create("vmmu-notifier-direct", 0);
	if (c->fd < 0)
		test_skip("memfd_create: %s", strerror(errno));
	TEST_ASSERT(ftruncate(c->fd, 2 * LEN) == 0, "ftruncate: %s", strerror(errno));
	c->staging = mmap(NULL, 2 * LEN, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
	TEST_ASSERT(c->staging != MAP_FAILED, "mmap staging: %s", strerror(errno));
	write_tags(c, 0, 0);
	c->hva = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
	TEST_ASSERT(c->hva != MAP_FAILED, "mmap guest: %s", strerror(errno));
	atomic_store(&guard_lo, (uintptr_t)c->hva);
	atomic_store(&guard_hi, (uintptr_t)c->hva + LEN);
	atomic_init(&c->stop, 0);
	atomic_init(&c->round, 0);

	c->vm = test_vm_create(NULL);
	TEST_SET_REGION_OK(c->vm, 0, 0, BASE_GPA, LEN, c->hva);

	TEST_ASSERT_EQ(pthread_barrier_init(&c->start, NULL, NR_VCPUS + 1), 0);
	for (unsigned int i = 0; i < NR_VCPUS; i++) {
		struct vcpu_thread *t = &c->vcpus[i];

		t->c = c;
		t->id = i;
		t->seed = seed ^ ((i + 1) * 0x9e3779b97f4a7c15ull);
		atomic_init(&t->done_round, 0);
		t->vcpu = test_vcpu_create(c->vm, i);
		TEST_ASSERT_EQ(pthread_create(&t->thr, NULL, vcpu_fn, t), 0);
	}
	st0 = test_vm_stats(c->vm);

	t0 = test_now();
	pthread_barrier_wait(&c->start);
	for (k = 1; k <= rounds; k++) {
		one_round(c, k);
		wait_vcpu_progress(c, k);
	}
	/* Until a fault has been seen losing a race with an invalidation. */
	for (;; k++) {
		st = test_vm_stats(c->vm);
		if (st.notifier_retries > st0.notifier_retries && st.pf_retry > st0.pf_retry)
			break;
		TEST_ASSERT(k <= max_rounds, "%s: no fault retried in %" PRIu64 " invalidations "
			    "of pages the vCPUs were faulting in (notifier_retries %" PRIu64
			    ", pf_retry %" PRIu64 ")", name, k - 1, st.notifier_retries,
			    st.pf_retry);
		one_round(c, k);
		wait_vcpu_progress(c, k);
	}
	atomic_store_explicit(&c->stop, 1, memory_order_relaxed);
	for (unsigned int i = 0; i < NR_VCPUS; i++) {
		TEST_ASSERT_EQ(pthread_join(c->vcpus[i].thr, NULL), 0);
		accesses += c->vcpus[i].accesses;
		newer += c->vcpus[i].newer;
	}
	t1 = test_now();
	st = test_vm_stats(c->vm);

	printf("  %-8s %5" PRIu64 " rounds, %9" PRIu64 " accesses (%" PRIu64 " saw a later round)"
	       ", %.2fs; notifier_retries %" PRIu64 " pf_retry %" PRIu64 " pf_fixed %" PRIu64
	       " sptes_zapped %" PRIu64 " remote_tlb_flush %" PRIu64 "/%" PRIu64, name, k - 1,
	       accesses, newer, t1 - t0, st.notifier_retries, st.pf_retry, st.pf_fixed,
	       st.sptes_zapped, st.remote_tlb_flush, st.remote_tlb_flush_requests);
	if (gap)
		printf("; gaps with a retry seen %" PRIu64 ", without %" PRIu64, c->gap_retried,
		       c->gap_timeouts);
	printf("\n");

	TEST_ASSERT(accesses > 0, "%s: no access", name);
	TEST_ASSERT(st.sptes_zapped > 0, "%s: no invalidation zapped anything", name);
	TEST_ASSERT(st.pf_fixed > NPAGES, "%s: pages were not refaulted after invalidations "
		    "(pf_fixed %" PRIu64 ")", name, st.pf_fixed);
	if (gap)
		TEST_ASSERT(c->gap_retried > 0, "gap: no fault was seen retrying in any gap");

	/* Quiescent: a last access of each page sees the last round's tags. */
	for (uint64_t p = 0; p < NPAGES; p++) {
		struct vmmu_exit ex;
		uint64_t v = 0;

		r = vmmu_vcpu_access(c->vcpus[0].vcpu, BASE_GPA + p * PAGE, &v, 8, 0, &ex);
		TEST_ASSERT(r == 0 && v == TAG(k - 1, p), "%s: page %" PRIu64 ": r %d value %#"
			    PRIx64 ", expected %#" PRIx64, name, p, r, v, TAG(k - 1, p));
	}

	vmmu_vm_destroy(c->vm);
	pthread_barrier_destroy(&c->start);
	atomic_store(&guard_lo, 0);
	atomic_store(&guard_hi, 0);
	munmap(c->hva, LEN);
	munmap(c->staging, 2 * LEN);
	close(c->fd);
	free(c);
}

int main(int argc, char **argv)
{
	bool short_run = TEST_TSAN || TEST_ASAN || test_short_env();
	uint64_t seed = test_seed(argc > 1 ? argv[1] : NULL);
	uint64_t rounds = argc > 2 ? strtoull(argv[2], NULL, 0) : short_run ? 300 : 2000;
	struct sigaction sa;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("test_notifier_direct: seed %#" PRIx64 " (rerun: test_notifier_direct %#" PRIx64
	       " %" PRIu64 "), %u vCPUs, %u pages, %" PRIu64 " rounds per variant\n", seed, seed,
	       rounds, NR_VCPUS, NPAGES, rounds);

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = segv_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	TEST_ASSERT(sigaction(SIGSEGV, &sa, NULL) == 0, "sigaction: %s", strerror(errno));

	run(seed, rounds, false);
	run(seed + 1, rounds, true);
	printf("PASS\n");
	return KSFT_PASS;
}
