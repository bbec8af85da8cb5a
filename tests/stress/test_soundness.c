/* SPDX-License-Identifier: MIT */
/*
 * Regression tests for soundness defects of the coherence protocols, driven
 * through the public API only (guest RAM is this process's own memory, the
 * direct backend, unless stated).
 *
 *   dirty_clear_young	  a read fault re-installs a writable SPTE read-only
 *			  without a flush, so GET_DIRTY_LOG skips its flush and
 *			  a stale writable TLB entry loses the next write
 *   dirty_clear_young_manual  the same with manual protect + CLEAR_DIRTY_LOG
 *   delete_race	  a no-slot fault of the old memslot set overwrites a
 *			  RAM SPTE with an MMIO one without a flush; DELETE
 *			  then finds nothing present and does not flush: a
 *			  vCPU keeps reading the slot after DELETE returned
 *			  (the interleaving staged step by step)
 *   delete_race_stress	  the same left to chance (CREATE/DELETE loop, two
 *			  readers, aging of another slot)
 *   direct_cache	  the direct backend's "2 MiB region is mapped" cache,
 *			  refilled inside a bracket and kept after end(), makes
 *			  an access of an unmapped page SIGSEGV instead of
 *			  returning -EFAULT
 *   rw_guest_replace	  read_guest/write_guest against a bracketed
 *			  munmap+mmap(MAP_FIXED) (or a bare MAP_FIXED) of the
 *			  page: SIGSEGV, -EFAULT, torn reads, lost writes
 *   change_pte_other_as  change_pte of a page no open bracket covers (an
 *			  open bracket of the same gfn in the other AS) accepted
 *   change_pte_hull	  change_pte of a page inside the gfn hull of two open
 *			  brackets, but in neither, accepted
 *   access_replace	  vmmu_vcpu_access racing a bracketed replacement of
 *			  the host page returns -EFAULT (staged, then free-running)
 *   end_unmatched_slot	  start(A); end(B), B in a memslot: must be ignored
 *   end_unmatched_noslot start(A); end(B), B in no memslot: must be ignored
 *   end_twice		  start(A); end(A); end(A): the second is unmatched
 *   clear_dirty_bitmap_size  CLEAR_DIRTY_LOG reads its bitmap in 64-bit
 *			  words past a buffer of ceil(num_pages / 8) bytes
 *   membarrier_fallback  membarrier() denied by seccomp after the VM was
 *			  created: symmetric fences, counted, still coherent
 *
 * Every case runs in a forked child, so that a SIGSEGV, an abort or a
 * sanitizer report fails that case with a message instead of killing the
 * runner; the crash-prone parts of direct_cache and rw_guest_replace run in
 * further children.  The staged cases hold threads at chosen points with
 * signal handlers that wait (SIGSEGV on a PROT_NONE page inside an access,
 * SIGUSR1), seen from /proc/self/task/<tid>/stat; TSan defers such signals,
 * so delete_race skips there and access_replace runs only free.
 *
 * Usage: test_soundness [case-substring|all [seed]]
 *	Seed also from VMMU_TEST_SEED; stress cases run a few seconds each,
 *	less with VMMU_TEST_SHORT=1 or in sanitizer builds;
 *	VMMU_TEST_SECONDS=<s> overrides the duration of each stress case.
 * Exit: 0 all selected cases passed (some may have skipped), 1 a case
 * failed, 77 every selected case skipped.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/membarrier.h>
#include <linux/seccomp.h>

#include <vmmu.h>

#include "../test_util.h"

#define PAGE		VMMU_PAGE_SIZE
#define QWORDS		(PAGE / 8)
#define HUGE_2M		(2ull << 20)

static uint64_t g_seed;

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

/* vmmu_vm_get_stats() into a zeroed struct (fields the library does not
 * know stay 0). */
static struct vmmu_stats stats(struct vmmu_vm *vm)
{
	struct vmmu_stats st;

	memset(&st, 0, sizeof(st));
	TEST_ASSERT_EQ(vmmu_vm_get_stats(vm, &st), 0);
	return st;
}

static bool short_run(void)
{
	return test_short_env() || TEST_TSAN || TEST_ASAN;
}

/* Duration of a stress case. */
static double stress_seconds(double release_s, double short_s)
{
	const char *env = getenv("VMMU_TEST_SECONDS");

	if (env && *env)
		return strtod(env, NULL);
	return short_run() ? short_s : release_s;
}

/* @len bytes of anonymous memory aligned to @align. */
static uint8_t *map_aligned(size_t len, size_t align)
{
	uint8_t *p = mmap(NULL, len + align, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uintptr_t a;

	TEST_ASSERT(p != MAP_FAILED, "mmap: %s", strerror(errno));
	a = ((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1);
	if (a > (uintptr_t)p)
		munmap(p, a - (uintptr_t)p);
	if ((uintptr_t)p + len + align > a + len)
		munmap((void *)(a + len), (uintptr_t)p + len + align - (a + len));
	return (uint8_t *)a;
}

/*
 * Guest memory of which the host unmaps a page and maps it again (munmap,
 * then mmap at the same address).  In between, the one-page hole is free
 * address space: a page that another thread maps meanwhile (malloc, a
 * sanitizer's bookkeeping) could land there, and a MAP_FIXED would then
 * clobber it.  The kernel fills the highest (or, bottom-up, the lowest)
 * fitting gap first, so one-page decoy holes on both sides of the guest
 * pages take such mappings; and the page is mapped back with
 * MAP_FIXED_NOREPLACE, so that a collision is reported, never clobbered.
 */
#define DECOYS		64u
#define DECOY_SPAN	(2 * DECOYS * PAGE)

static uint8_t *alloc_with_decoys(size_t len)
{
	uint8_t *p = mmap(NULL, len + 2 * DECOY_SPAN, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	TEST_ASSERT(p != MAP_FAILED, "mmap: %s", strerror(errno));
	for (unsigned int i = 0; i < DECOYS; i++) {
		munmap(p + (2 * i + 1) * PAGE, PAGE);
		munmap(p + DECOY_SPAN + len + (2 * i + 1) * PAGE, PAGE);
	}
	return p + DECOY_SPAN;
}

static void free_with_decoys(uint8_t *mem, size_t len)
{
	munmap(mem - DECOY_SPAN, len + 2 * DECOY_SPAN);
}

/* Map a fresh anonymous page at @page: replacing what is there (@over), or
 * into the hole a munmap left. */
static void map_fixed_page(void *page, bool over)
{
	void *p = mmap(page, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
		       (over ? MAP_FIXED : MAP_FIXED_NOREPLACE), -1, 0);

	if (p != page) {
		if (p != MAP_FAILED)
			munmap(p, PAGE);	/* a kernel without NOREPLACE took it as a hint */
		printf("  test harness: another mapping took the hole at %p before it could be "
		       "mapped again; the run is void\n", page);
		fflush(stdout);
		_exit(KSFT_SKIP);
	}
}

static void fill_page(void *page, uint64_t v)
{
	for (unsigned int i = 0; i < QWORDS; i++)
		test_guest_store64((uint64_t *)page + i, v);
}

static int access8(struct vmmu_vcpu *vcpu, uint64_t gpa, uint64_t *v, bool write)
{
	struct vmmu_exit ex;

	return vmmu_vcpu_access(vcpu, gpa, v, 8, write ? VMMU_ACCESS_WRITE : 0, &ex);
}

/* Async-signal-safe SIGSEGV/SIGBUS report for the children (not under ASan,
 * whose own report has the stack). */
static const char *volatile segv_what = "";

static void put_str(const char *s)
{
	ssize_t n = write(2, s, strlen(s));

	(void)n;
}

static void segv_handler(int sig, siginfo_t *si, void *uc)
{
	char hex[19] = "0x";
	uintptr_t a = (uintptr_t)si->si_addr;

	(void)uc;
	for (int i = 0; i < 16; i++)
		hex[2 + i] = "0123456789abcdef"[(a >> (60 - 4 * i)) & 15];
	hex[18] = 0;
	put_str("==== Test Assertion Failure ====\n  ");
	put_str(sig == SIGBUS ? "SIGBUS" : "SIGSEGV");
	put_str(" at ");
	put_str(hex);
	put_str(": ");
	put_str(segv_what);
	put_str("\n");
	/* SA_RESETHAND: returning re-executes the access, which now kills us
	 * with the signal, so the parent reports it as such. */
}

static void install_segv_handler(const char *what)
{
	struct sigaction sa;

	segv_what = what;
	if (TEST_ASAN)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = segv_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

/*
 * Run @fn(@arg) in a child; return its exit code, or 128 + signal.  Prints
 * a line naming @what when the child died of a signal.
 */
static int run_child(const char *what, int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork: %s", strerror(errno));
	if (!pid) {
		int rc = fn(arg);

		fflush(stdout);
		fflush(stderr);
		exit(rc);
	}
	while (waitpid(pid, &status, 0) < 0)
		TEST_ASSERT(errno == EINTR, "waitpid: %s", strerror(errno));
	if (WIFSIGNALED(status)) {
		printf("  %s: killed by signal %d (%s)\n", what, WTERMSIG(status),
		       strsignal(WTERMSIG(status)));
		return 128 + WTERMSIG(status);
	}
	return WEXITSTATUS(status);
}

/*
 * Holding a thread at an arbitrary point: pthread_kill(SIGUSR1) and the
 * handler waits until hold_release is set.  (Not under TSan, which defers
 * asynchronous signals to points of its choosing.)
 */
static atomic_int hold_in, hold_release;

static void hold_handler(int sig)
{
	(void)sig;
	atomic_store(&hold_in, 1);
	while (!atomic_load(&hold_release))
		sched_yield();
	atomic_store(&hold_in, 0);
}

/* Spin (yielding) until *@flag is set or @seconds pass; true if set. */
static bool wait_flag(atomic_int *flag, double seconds)
{
	double deadline = test_now() + seconds;

	while (!atomic_load_explicit(flag, memory_order_acquire)) {
		if (test_now() > deadline)
			return false;
		sched_yield();
	}
	return true;
}

/* ------------------------------------------------------------------------ */
/* 1. Lost dirty page: a read fault write-protects without a flush          */
/* ------------------------------------------------------------------------ */

#define DIRTY_GPA	0x100000ull
#define DIRTY_PAGES	4u

static int dirty_clear_young_common(bool manual)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	uint8_t *mem = test_alloc_guest(DIRTY_PAGES * PAGE);
	struct vmmu_vcpu *v1, *v2;
	uint64_t bm, v;
	int r;

	if (manual)
		TEST_ASSERT_EQ(vmmu_vm_enable_manual_dirty_log_protect(vm,
				VMMU_DIRTY_LOG_MANUAL_PROTECT_ENABLE), 0);
	TEST_SET_REGION_OK(vm, 0, VMMU_MEM_LOG_DIRTY_PAGES, DIRTY_GPA, DIRTY_PAGES * PAGE, mem);
	v1 = test_vcpu_create(vm, 1);
	v2 = test_vcpu_create(vm, 2);

	/* vCPU 2 writes page 0: its SPTE and TLB entry become writable. */
	test_vcpu_write64(v2, DIRTY_GPA, 1);
	/* Aging clears the accessed bit, without a flush. */
	r = vmmu_mmu_notifier_clear_young(vm, HVA(mem), HVA(mem) + PAGE);
	TEST_ASSERT(r == 1, "clear_young of the written page: %d, expected 1 (young)", r);
	/* vCPU 1 reads page 0: its fault re-installs the SPTE. */
	TEST_ASSERT_EQ(test_vcpu_read64(v1, DIRTY_GPA), 1);

	/* First harvest: page 0 is dirty. */
	bm = 0;
	TEST_ASSERT_EQ(vmmu_get_dirty_log(vm, 0, &bm), 0);
	TEST_ASSERT(bm & 1, "first harvest: page 0 not dirty (bitmap %#" PRIx64 ")", bm);
	if (manual) {
		uint64_t clr = 1;

		TEST_ASSERT_EQ(vmmu_clear_dirty_log(vm, 0, 0, DIRTY_PAGES, &clr), 0);
	}

	/* vCPU 2 writes page 0 again. */
	test_vcpu_write64(v2, DIRTY_GPA, 2);
	v = test_guest_load64(mem);
	TEST_ASSERT(v == 2, "the second write did not reach guest memory: %#" PRIx64, v);

	/* Second harvest: the second write must be logged. */
	bm = 0;
	TEST_ASSERT_EQ(vmmu_get_dirty_log(vm, 0, &bm), 0);
	TEST_ASSERT(bm & 1, "lost dirty page: vCPU 2 wrote page 0 after the %s, but the "
		    "second GET_DIRTY_LOG reports it clean (bitmap %#" PRIx64 "): the read "
		    "fault of vCPU 1 made the SPTE read-only without a flush, so the "
		    "harvest skipped its flush and vCPU 2 wrote through its stale "
		    "writable TLB entry", manual ? "GET+CLEAR" : "first GET", bm);

	vmmu_vm_destroy(vm);
	munmap(mem, DIRTY_PAGES * PAGE);
	return KSFT_PASS;
}

static int case_dirty_clear_young(void)
{
	return dirty_clear_young_common(false);
}

static int case_dirty_clear_young_manual(void)
{
	return dirty_clear_young_common(true);
}

/* ------------------------------------------------------------------------ */
/* 2. A translation outlives DELETE                                          */
/* ------------------------------------------------------------------------ */

#define DR_GPA		0x10000000ull		/* the slot created and deleted */
#define DR_OTHER_GPA	0x40000000ull		/* another slot */
#define DR_OTHER_PAGES	512u
#define DR_PATTERN	0x5a17ed0bad5eed00ull
#define DR_READERS	2u
#define DR_EMULATE_NS	10000u			/* max. "MMIO emulation" time */

/*
 * 2a. The interleaving, staged.  Threads are held at known points: a vCPU
 * inside an access by a fault on a PROT_NONE page (its SIGSEGV handler
 * waits), the flush of clear_flush_young, which waits for that vCPU while
 * holding mmu_lock, and a vCPU blocked on mmu_lock in its fault by a
 * SIGUSR1 handler that waits.  One round:
 *
 *   R3: access of a PROT_NONE page of the other slot: held inside the access
 *   W:  clear_flush_young(other slot): holds mmu_lock, waits for R3
 *   R1: read of G (no slot): its fault looked up the memslot set without G,
 *       blocks on mmu_lock; SIGUSR1 holds it there (in its RCU section)
 *   release R3, W finishes
 *   U:  CREATE of a slot at G: published, waits for R1's grace period
 *   R2: read of G: faults under the new set, maps RAM, fills its TLB
 *   release R1: its fault completes (on HEAD: an MMIO SPTE over R2's RAM
 *       SPTE, without a flush); U's CREATE returns
 *   DELETE of the slot; then R2 and R1 read G: both must exit to MMIO.
 *
 * A step whose precondition cannot be seen within a bound (a library whose
 * locking changed may not block where HEAD does) ends the round as "not
 * staged"; every hold is always released.
 */

struct dr_worker {
	pthread_t thr;
	struct vmmu_vcpu *vcpu;
	atomic_int tid;
	atomic_int cmd;			/* 0 idle, 1 read 8 bytes at gpa, 2 exit */
	uint64_t gpa;			/* written before cmd = 1 (release) */
	int r;				/* results, read after done (acquire) */
	uint64_t v;
	atomic_uint done;
};

static void *dr_worker_fn(void *arg)
{
	struct dr_worker *w = arg;

	atomic_store(&w->tid, (int)syscall(SYS_gettid));
	for (;;) {
		int cmd = atomic_load_explicit(&w->cmd, memory_order_acquire);

		if (!cmd) {
			sched_yield();
			continue;
		}
		if (cmd == 2)
			return NULL;
		w->r = access8(w->vcpu, w->gpa, &w->v, false);
		atomic_store_explicit(&w->cmd, 0, memory_order_relaxed);
		atomic_fetch_add_explicit(&w->done, 1, memory_order_release);
	}
}

static unsigned int dr_worker_submit(struct dr_worker *w, uint64_t gpa)
{
	unsigned int d = atomic_load_explicit(&w->done, memory_order_acquire);

	w->gpa = gpa;
	atomic_store_explicit(&w->cmd, 1, memory_order_release);
	return d;
}

/* Wait up to @seconds for the command submitted when done was @d. */
static bool dr_worker_wait(struct dr_worker *w, unsigned int d, double seconds)
{
	double deadline = test_now() + seconds;

	while (atomic_load_explicit(&w->done, memory_order_acquire) == d) {
		if (test_now() > deadline)
			return false;
		sched_yield();
	}
	return true;
}

/* Is thread @tid of this process asleep (blocked in the kernel)? */
static bool thread_sleeping(int tid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && (p[2] == 'S' || p[2] == 'D');
}

/* The holds: R3's trap page and R1's SIGUSR1. */
static _Atomic(uint8_t *) dr_trap_page;
static atomic_int dr_trap_hit, dr_trap_release;

static void dr_trap_handler(int sig, siginfo_t *si, void *uc)
{
	uint8_t *page = atomic_load(&dr_trap_page), *a = si->si_addr;

	(void)uc;
	if (page && a >= page && a < page + PAGE) {
		atomic_store(&dr_trap_hit, 1);
		while (!atomic_load(&dr_trap_release))
			sched_yield();
		mprotect(page, PAGE, PROT_READ | PROT_WRITE);
		return;		/* the access is retried and succeeds */
	}
	put_str("==== Test Assertion Failure ====\n  unexpected SIGSEGV in delete_race\n");
	signal(sig, SIG_DFL);
}


static bool dr_wait(atomic_int *flag, double seconds)
{
	return wait_flag(flag, seconds);
}

struct dr_thread_arg {
	struct vmmu_vm *vm;
	uint64_t a, b;
	int r;
	atomic_int entered, done;
};

static void *dr_flush_young_fn(void *arg)
{
	struct dr_thread_arg *t = arg;

	atomic_store(&t->entered, 1);
	t->r = vmmu_mmu_notifier_clear_flush_young(t->vm, t->a, t->b);
	atomic_store_explicit(&t->done, 1, memory_order_release);
	return NULL;
}

static void *dr_create_fn(void *arg)
{
	struct dr_thread_arg *t = arg;

	t->r = test_set_region(t->vm, 0, 0, DR_GPA, PAGE, t->a);
	atomic_store_explicit(&t->done, 1, memory_order_release);
	return NULL;
}

static int case_delete_race(void)
{
	unsigned int rounds = short_run() ? 4 : 16, staged = 0, violations = 0;
	const double bound = 2.0;	/* seconds any one step may take */
	struct dr_worker r1 = { 0 }, r2 = { 0 }, r3 = { 0 };
	struct dr_worker *ws[3] = { &r1, &r2, &r3 };
	struct sigaction sa;
	struct vmmu_vm *vm;
	uint8_t *victim, *other;

	if (TEST_TSAN) {
		/* TSan defers asynchronous signals and runs atomics in its runtime,
		 * where a thread cannot be held by a signal handler. */
		printf("  delete_race: the staged interleaving is not run under TSan\n");
		return KSFT_SKIP;
	}
	vm = test_vm_create(NULL);
	victim = test_alloc_guest(PAGE);
	other = test_alloc_guest(DR_OTHER_PAGES * PAGE);
	test_guest_store64(victim, DR_PATTERN);
	TEST_SET_REGION_OK(vm, 1, 0, DR_OTHER_GPA, DR_OTHER_PAGES * PAGE, other);

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = dr_trap_handler;
	sa.sa_flags = SA_SIGINFO;
	TEST_ASSERT_EQ(sigaction(SIGSEGV, &sa, NULL), 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = hold_handler;
	TEST_ASSERT_EQ(sigaction(SIGUSR1, &sa, NULL), 0);

	for (unsigned int i = 0; i < 3; i++) {
		ws[i]->vcpu = test_vcpu_create(vm, i + 1);
		TEST_ASSERT_EQ(pthread_create(&ws[i]->thr, NULL, dr_worker_fn, ws[i]), 0);
		/* Warm up (registers the thread with RCU): a RAM page of the other slot. */
		TEST_ASSERT(dr_worker_wait(ws[i], dr_worker_submit(ws[i],
				DR_OTHER_GPA + (DR_OTHER_PAGES - 1) * PAGE), 10.0), "warm-up");
		TEST_ASSERT_EQ(ws[i]->r, 0);
		while (!atomic_load(&ws[i]->tid))
			sched_yield();
	}

	for (unsigned int round = 0; round < rounds; round++) {
		uint8_t *trap = other + round * PAGE;
		struct dr_thread_arg w = { .vm = vm, .a = HVA(other),
					   .b = HVA(other) + DR_OTHER_PAGES * PAGE };
		struct dr_thread_arg u = { .vm = vm, .a = HVA(victim) };
		unsigned int d1, d2, d3;
		pthread_t wt, ut;
		const char *fail = NULL;
		bool r2_ram = false;
		uint64_t vr1, vr2;
		int rr1, rr2;

		atomic_store(&dr_trap_hit, 0);
		atomic_store(&dr_trap_release, 0);
		atomic_store(&hold_release, 0);
		/* A new generation: R1's MMIO SPTE and cache for G go stale, so its
		 * next read of G takes the no-slot fault. */
		TEST_SET_REGION_OK(vm, 2, 0, DR_GPA + 16 * PAGE, PAGE, victim);
		TEST_SET_REGION_OK(vm, 2, 0, DR_GPA + 16 * PAGE, 0, victim);
		/* R3: held inside an access of a fresh (young) page of the other slot. */
		TEST_ASSERT_EQ(mprotect(trap, PAGE, PROT_NONE), 0);
		atomic_store(&dr_trap_page, trap);
		d3 = dr_worker_submit(&r3, DR_OTHER_GPA + round * PAGE);
		if (!dr_wait(&dr_trap_hit, bound))
			fail = "R3 did not fault on the PROT_NONE page inside an access";
		/* W: holds mmu_lock (write) in the flush that waits for R3. */
		TEST_ASSERT_EQ(pthread_create(&wt, NULL, dr_flush_young_fn, &w), 0);
		/*
		 * R1: its no-slot fault of G blocks on mmu_lock (which only W can
		 * hold now); hold it there.  (No memslot update may run here: W
		 * is inside an RCU read section.)
		 */
		if (!fail) {
			double deadline = test_now() + bound;

			while (!atomic_load(&w.entered) && test_now() < deadline)
				sched_yield();
			/* W takes mmu_lock right after it entered; give it the CPU. */
			for (unsigned int i = 0; i < 100; i++)
				sched_yield();
		}
		d1 = dr_worker_submit(&r1, DR_GPA);
		if (!fail) {
			double deadline = test_now() + bound;

			while (!thread_sleeping(r1.tid) && test_now() < deadline &&
			       atomic_load(&r1.done) == d1)
				sched_yield();
			if (atomic_load(&r1.done) != d1 || !thread_sleeping(r1.tid))
				fail = "R1's fault did not block on mmu_lock behind clear_flush_young";
		}
		if (!fail) {
			pthread_kill(r1.thr, SIGUSR1);
			if (!dr_wait(&hold_in, bound))
				fail = "R1 was not held by SIGUSR1";
		}
		/* Release R3 and W. */
		atomic_store(&dr_trap_release, 1);
		TEST_ASSERT(dr_worker_wait(&r3, d3, 10.0), "R3 did not complete after its release");
		TEST_ASSERT(r3.r == 0 || r3.r == -EFAULT, "R3: %d", r3.r);
		pthread_join(wt, NULL);
		/* U: CREATE at G, published while R1 is still in its fault. */
		TEST_ASSERT_EQ(pthread_create(&ut, NULL, dr_create_fn, &u), 0);
		if (!fail) {
			double deadline = test_now() + bound;

			while (!(vmmu_memslots_generation(vm, 0) & VMMU_MEMSLOT_GEN_UPDATE_IN_PROGRESS) &&
			       !atomic_load(&u.done) && test_now() < deadline)
				sched_yield();
			if (!(vmmu_memslots_generation(vm, 0) & VMMU_MEMSLOT_GEN_UPDATE_IN_PROGRESS))
				fail = "the CREATE did not wait for R1's grace period";
		}
		/* R2: maps G under the new set while R1 is held. */
		d2 = dr_worker_submit(&r2, DR_GPA);
		if (!dr_worker_wait(&r2, d2, bound) && !fail)
			fail = "R2's read of G did not complete while R1 was held";
		/* Release R1; U's CREATE completes. */
		atomic_store(&hold_release, 1);
		TEST_ASSERT(dr_worker_wait(&r1, d1, 10.0), "R1 did not complete after its release");
		TEST_ASSERT(dr_worker_wait(&r2, d2, 10.0), "R2 did not complete");
		pthread_join(ut, NULL);
		TEST_ASSERT(u.r == 0, "CREATE: %d (%s)", u.r, vmmu_strerror(u.r));
		r2_ram = r2.r == 0;
		TEST_ASSERT(r1.r == 0 || r1.r == VMMU_EXIT_MMIO, "R1: %d", r1.r);
		TEST_ASSERT(r2.r == 0 || r2.r == VMMU_EXIT_MMIO, "R2: %d", r2.r);

		/* DELETE; from its return on, G is MMIO for every vCPU. */
		TEST_SET_REGION_OK(vm, 0, 0, DR_GPA, 0, victim);
		d2 = dr_worker_submit(&r2, DR_GPA);
		TEST_ASSERT(dr_worker_wait(&r2, d2, 10.0), "R2 did not complete");
		rr2 = r2.r;
		vr2 = r2.v;
		d1 = dr_worker_submit(&r1, DR_GPA);
		TEST_ASSERT(dr_worker_wait(&r1, d1, 10.0), "R1 did not complete");
		rr1 = r1.r;
		vr1 = r1.v;
		if (!fail && r2_ram)
			staged++;
		else if (!fail)
			fail = "R2's read of G exited to MMIO";
		if (rr1 != VMMU_EXIT_MMIO || rr2 != VMMU_EXIT_MMIO) {
			violations++;
			printf("  delete_race round %u: after DELETE returned, R2 read G -> %d "
			       "(%#" PRIx64 "), R1 -> %d (%#" PRIx64 "); expected VMMU_EXIT_MMIO "
			       "(%d) for both\n",
			       round, rr2, vr2, rr1, vr1, VMMU_EXIT_MMIO);
		}
		if (fail)
			printf("  delete_race round %u: not staged: %s\n", round, fail);
		atomic_store(&dr_trap_page, NULL);
	}
	printf("  delete_race: %u rounds, %u staged as intended, %u with a vCPU reading the "
	       "deleted slot after DELETE returned\n", rounds, staged, violations);
	TEST_ASSERT(violations == 0, "in %u of %u rounds a vCPU still read the deleted slot's "
		    "memory after DELETE returned (a RAM SPTE overwritten by a stale no-slot "
		    "fault's MMIO SPTE without a flush left its TLB entry alive)",
		    violations, rounds);

	for (unsigned int i = 0; i < 3; i++) {
		atomic_store_explicit(&ws[i]->cmd, 2, memory_order_release);
		pthread_join(ws[i]->thr, NULL);
		vmmu_vcpu_destroy(ws[i]->vcpu);
	}
	vmmu_vm_destroy(vm);
	munmap(victim, PAGE);
	munmap(other, DR_OTHER_PAGES * PAGE);
	return KSFT_PASS;
}

/*
 * 2b. The same race left to chance: thread U CREATEs and DELETEs a slot at
 * G in a loop, two vCPU threads read G, and a third thread ages another
 * slot (clear_young takes mmu_lock for write) so that faults line up behind
 * mmu_lock.  A read that starts after a DELETE returned (and ends before the
 * next CREATE began) must exit to MMIO.  The slot's memory stays mapped, so
 * a violation reads the slot's pattern instead of crashing.
 */
struct dr_ctx {
	struct vmmu_vm *vm;
	uint8_t *victim;		/* the slot's memory: stays mapped */
	uint8_t *other;
	/*
	 * Odd: a CREATE is about to start or the slot exists; even: a DELETE
	 * returned and no CREATE has started since.  Release stores by U,
	 * acquire loads by the readers.
	 */
	_Atomic uint64_t epoch;
	atomic_int stop;
	pthread_barrier_t go;
	double t0;
	_Atomic uint64_t first_violation_us;	/* UINT64_MAX: none */
};

struct dr_reader {
	struct dr_ctx *c;
	struct vmmu_vcpu *vcpu;
	unsigned int id;
	uint64_t seed;
	pthread_t thr;
	uint64_t reads, ram, mmio, checked, violations;
};

static void *dr_reader_fn(void *arg)
{
	struct dr_reader *t = arg;
	struct dr_ctx *c = t->c;
	struct test_rng rng;

	test_rng_init(&rng, t->seed);
	pthread_barrier_wait(&c->go);
	while (!atomic_load_explicit(&c->stop, memory_order_relaxed)) {
		uint64_t e1, e2, v = 0;
		int r;

		e1 = atomic_load_explicit(&c->epoch, memory_order_acquire);
		r = access8(t->vcpu, DR_GPA, &v, false);
		e2 = atomic_load_explicit(&c->epoch, memory_order_acquire);
		TEST_ASSERT(r == 0 || r == VMMU_EXIT_MMIO, "reader %u: read of gpa %#llx: %d (%s)",
			    t->id, DR_GPA, r, vmmu_strerror(r));
		t->reads++;
		if (r == 0) {
			t->ram++;
			TEST_ASSERT(v == DR_PATTERN, "reader %u: RAM read returned %#" PRIx64
				    ", not the slot's pattern", t->id, v);
		} else {
			t->mmio++;
		}
		/* The whole read ran after a DELETE returned and before the next CREATE began. */
		if (!(e1 & 1) && e1 == e2) {
			t->checked++;
			if (r == 0) {
				uint64_t us = (uint64_t)((test_now() - c->t0) * 1e6), none = UINT64_MAX;

				t->violations++;
				atomic_compare_exchange_strong(&c->first_violation_us, &none, us);
			}
		}
		/*
		 * "Emulate" the MMIO access for a random few microseconds, as a
		 * VMM would: a vCPU whose no-slot fault just installed an MMIO
		 * SPTE then leaves it alone while the next DELETE begins.
		 */
		if (r == VMMU_EXIT_MMIO) {
			double until = test_now() + test_rng_below(&rng, DR_EMULATE_NS) * 1e-9;

			while (test_now() < until)
				;
		}
		if (!(t->reads & 1023))
			sched_yield();
	}
	return NULL;
}

static void *dr_aging_fn(void *arg)
{
	struct dr_ctx *c = arg;
	uint64_t h = HVA(c->other);

	pthread_barrier_wait(&c->go);
	while (!atomic_load_explicit(&c->stop, memory_order_relaxed))
		vmmu_mmu_notifier_clear_young(c->vm, h, h + DR_OTHER_PAGES * PAGE);
	return NULL;
}

static int case_delete_race_stress(void)
{
	double secs = stress_seconds(3.0, 0.5), deadline;
	struct dr_reader rd[DR_READERS];
	struct dr_ctx c;
	pthread_t aging;
	uint64_t cycles = 0, violations = 0, checked = 0, ram = 0, reads = 0;
	struct vmmu_vcpu *pre;

	memset(&c, 0, sizeof(c));
	c.vm = test_vm_create(NULL);
	c.victim = test_alloc_guest(PAGE);
	c.other = test_alloc_guest(DR_OTHER_PAGES * PAGE);
	test_guest_store64(c.victim, DR_PATTERN);
	atomic_init(&c.first_violation_us, UINT64_MAX);
	TEST_SET_REGION_OK(c.vm, 1, 0, DR_OTHER_GPA, DR_OTHER_PAGES * PAGE, c.other);
	/* Populate the other slot, so that each aging walk holds mmu_lock a while. */
	pre = test_vcpu_create(c.vm, 0);
	for (unsigned int i = 0; i < DR_OTHER_PAGES; i++)
		test_vcpu_read64(pre, DR_OTHER_GPA + i * PAGE);
	vmmu_vcpu_destroy(pre);

	pthread_barrier_init(&c.go, NULL, DR_READERS + 2);
	for (unsigned int i = 0; i < DR_READERS; i++) {
		rd[i] = (struct dr_reader){ .c = &c, .id = i + 1, .seed = g_seed + i };
		rd[i].vcpu = test_vcpu_create(c.vm, i + 1);
		TEST_ASSERT_EQ(pthread_create(&rd[i].thr, NULL, dr_reader_fn, &rd[i]), 0);
	}
	TEST_ASSERT_EQ(pthread_create(&aging, NULL, dr_aging_fn, &c), 0);
	pthread_barrier_wait(&c.go);
	c.t0 = test_now();
	deadline = c.t0 + secs;

	/* Thread U: CREATE and DELETE the slot at DR_GPA. */
	while (test_now() < deadline) {
		atomic_store_explicit(&c.epoch, 2 * cycles + 1, memory_order_release);
		TEST_SET_REGION_OK(c.vm, 0, 0, DR_GPA, PAGE, c.victim);
		TEST_SET_REGION_OK(c.vm, 0, 0, DR_GPA, 0, c.victim);
		atomic_store_explicit(&c.epoch, 2 * cycles + 2, memory_order_release);
		cycles++;
	}
	atomic_store(&c.stop, 1);
	for (unsigned int i = 0; i < DR_READERS; i++) {
		pthread_join(rd[i].thr, NULL);
		violations += rd[i].violations;
		checked += rd[i].checked;
		ram += rd[i].ram;
		reads += rd[i].reads;
	}
	pthread_join(aging, NULL);

	printf("  delete_race_stress: %" PRIu64 " CREATE/DELETE cycles in %.1f s, %" PRIu64
	       " reads (%" PRIu64 " RAM), %" PRIu64 " after a DELETE returned: %" PRIu64
	       " read the deleted slot's memory", cycles, secs, reads, ram, checked, violations);
	if (violations)
		printf(" (first after %.3f s)", atomic_load(&c.first_violation_us) / 1e6);
	printf("\n");
	TEST_ASSERT(violations == 0, "%" PRIu64 " reads that started after a DELETE returned "
		    "(and before the next CREATE began) read the deleted slot's memory instead "
		    "of exiting with VMMU_EXIT_MMIO", violations);

	for (unsigned int i = 0; i < DR_READERS; i++)
		vmmu_vcpu_destroy(rd[i].vcpu);
	pthread_barrier_destroy(&c.go);
	vmmu_vm_destroy(c.vm);
	munmap(c.victim, PAGE);
	munmap(c.other, DR_OTHER_PAGES * PAGE);
	return KSFT_PASS;
}

/* ------------------------------------------------------------------------ */
/* 3. The direct backend's mapped-region cache: SIGSEGV instead of -EFAULT   */
/* ------------------------------------------------------------------------ */

#define DC_GPA		0x40000000ull
#define DC_P		7u	/* the page that is unmapped */
#define DC_N		300u	/* its neighbour in the same 2 MiB region */

struct dc_scenario {
	bool neighbour_read_guest;	/* fill the cache with read_guest, else an access */
	bool munmap_inside;		/* munmap(P) inside the bracket, else after end() */
	bool final_read_guest;		/* touch P with read_guest, else an access */
	char name[128];
};

static int dc_child(void *arg)
{
	struct dc_scenario *s = arg;
	uint8_t *base = map_aligned(HUGE_2M, HUGE_2M);
	uint8_t *p = base + DC_P * PAGE;
	uint64_t hp = HVA(p), v = 0;
	struct vmmu_vcpu *vcpu;
	struct vmmu_vm *vm;
	int r;

	vm = test_vm_create(NULL);
	TEST_SET_REGION_OK(vm, 0, 0, DC_GPA, HUGE_2M, base);
	vcpu = test_vcpu_create(vm, 0);
	test_guest_store64(p, 0x1111);
	test_guest_store64(base + DC_N * PAGE, 0x2222);
	/* P mapped by the vCPU (start() zaps it); N never touched. */
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, DC_GPA + DC_P * PAGE), 0x1111);

	vmmu_mmu_notifier_invalidate_range_start(vm, hp, hp + PAGE);
	/* Inside the bracket: a fault / read_guest of the neighbour. */
	if (s->neighbour_read_guest)
		r = vmmu_vcpu_read_guest(vcpu, DC_GPA + DC_N * PAGE, &v, 8);
	else
		r = access8(vcpu, DC_GPA + DC_N * PAGE, &v, false);
	TEST_ASSERT(r == 0 && v == 0x2222, "%s: neighbour read: %d (%s), %#" PRIx64, s->name,
		    r, vmmu_strerror(r), v);
	if (s->munmap_inside) {
		TEST_ASSERT_EQ(munmap(p, PAGE), 0);
		vmmu_mmu_notifier_invalidate_range_end(vm, hp, hp + PAGE);
	} else {
		vmmu_mmu_notifier_invalidate_range_end(vm, hp, hp + PAGE);
		TEST_ASSERT_EQ(munmap(p, PAGE), 0);
	}

	install_segv_handler("the library dereferenced the unmapped guest page instead of "
			     "returning -EFAULT (stale 'region mapped' cache of the direct backend)");
	if (s->final_read_guest)
		r = vmmu_vcpu_read_guest(vcpu, DC_GPA + DC_P * PAGE, &v, 8);
	else
		r = access8(vcpu, DC_GPA + DC_P * PAGE, &v, false);
	TEST_ASSERT(r == -EFAULT, "%s: %s of the unmapped page returned %d (%s), expected "
		    "-EFAULT", s->name, s->final_read_guest ? "read_guest" : "access", r,
		    vmmu_strerror(r));

	vmmu_vm_destroy(vm);
	munmap(base, HUGE_2M);
	return KSFT_PASS;
}

static int case_direct_cache(void)
{
	unsigned int bad = 0, n = 0;

	for (unsigned int i = 0; i < 8; i++) {
		struct dc_scenario s = {
			.neighbour_read_guest = i & 1,
			.munmap_inside = i & 2,
			.final_read_guest = i & 4,
		};
		int rc;

		snprintf(s.name, sizeof(s.name), "start(P); %s of neighbour; %s; %s of P",
			 s.neighbour_read_guest ? "read_guest" : "access",
			 s.munmap_inside ? "munmap(P); end(P)" : "end(P); munmap(P)",
			 s.final_read_guest ? "read_guest" : "access");
		rc = run_child(s.name, dc_child, &s);
		n++;
		if (rc) {
			bad++;
			printf("  direct_cache: FAILED (%s): %s\n",
			       rc >= 128 ? strsignal(rc - 128) : "assertion", s.name);
		}
	}
	printf("  direct_cache: %u of %u scenarios failed\n", bad, n);
	TEST_ASSERT(bad == 0, "%u scenarios did not return -EFAULT for an unmapped page", bad);
	return KSFT_PASS;
}

/* ------------------------------------------------------------------------ */
/* 4. read_guest/write_guest vs a bracketed replacement of the page          */
/* ------------------------------------------------------------------------ */

#define RG_GPA		0x20000000ull
#define RG_PAGES	16u
#define RG_P		3u
#define RG_PAT(k)	(0x7e57000000000000ull | ((uint64_t)(k) << 8) | 0x5a)
#define RG_PAT_OK(x)	(((x) & 0xffff0000000000ffull) == 0x7e5700000000005aull)
#define RG_PAT_VER(x)	(((x) >> 8) & 0xffffffffffull)

struct rg_ctx {
	struct vmmu_vm *vm;
	uint8_t *mem, *p;
	bool bare_map_fixed;		/* no munmap first: mmap(MAP_FIXED) over the page */
	atomic_int stop;
	pthread_barrier_t go;
	_Atomic uint64_t version;	/* the version whose end() returned (release) */
	/* outcomes */
	_Atomic uint64_t reads, read_efault, torn, stale, writes, write_efault, lost_writes;
	_Atomic uint64_t last_written;
};

static void *rg_reader_fn(void *arg)
{
	struct rg_ctx *c = arg;
	struct vmmu_vcpu *vcpu = NULL;
	uint64_t buf[QWORDS];

	TEST_ASSERT_EQ(vmmu_vcpu_create(c->vm, 1, &vcpu), 0);
	/* Warm up before the replacements start (first RCU use maps memory). */
	TEST_ASSERT_EQ(vmmu_vcpu_read_guest(vcpu, RG_GPA, buf, 8), 0);
	pthread_barrier_wait(&c->go);
	while (!atomic_load_explicit(&c->stop, memory_order_relaxed)) {
		uint64_t k = atomic_load_explicit(&c->version, memory_order_acquire), v;
		int r = vmmu_vcpu_read_guest(vcpu, RG_GPA + RG_P * PAGE, buf, PAGE);
		bool torn = false;

		atomic_fetch_add_explicit(&c->reads, 1, memory_order_relaxed);
		if (r == -EFAULT) {
			atomic_fetch_add_explicit(&c->read_efault, 1, memory_order_relaxed);
			continue;
		}
		TEST_ASSERT(r == 0, "read_guest: %d (%s)", r, vmmu_strerror(r));
		/* Word 0 is the writer's; the rest is one version's pattern. */
		v = buf[1];
		for (unsigned int i = 1; i < QWORDS; i++)
			torn |= buf[i] != v;
		if (torn || !RG_PAT_OK(v))
			atomic_fetch_add_explicit(&c->torn, 1, memory_order_relaxed);
		else if (RG_PAT_VER(v) < k)
			atomic_fetch_add_explicit(&c->stale, 1, memory_order_relaxed);
	}
	vmmu_vcpu_destroy(vcpu);
	return NULL;
}

static void *rg_writer_fn(void *arg)
{
	struct rg_ctx *c = arg;
	struct vmmu_vcpu *vcpu = NULL;
	uint64_t i = 0;

	TEST_ASSERT_EQ(vmmu_vcpu_create(c->vm, 2, &vcpu), 0);
	TEST_ASSERT_EQ(vmmu_vcpu_read_guest(vcpu, RG_GPA, &i, 8), 0);
	i = 0;
	pthread_barrier_wait(&c->go);
	while (!atomic_load_explicit(&c->stop, memory_order_relaxed)) {
		uint64_t back = 0, n = i + 1;
		int r = vmmu_vcpu_write_guest(vcpu, RG_GPA + RG_P * PAGE, &n, 8);

		atomic_fetch_add_explicit(&c->writes, 1, memory_order_relaxed);
		if (r == -EFAULT) {
			atomic_fetch_add_explicit(&c->write_efault, 1, memory_order_relaxed);
			continue;
		}
		TEST_ASSERT(r == 0, "write_guest: %d (%s)", r, vmmu_strerror(r));
		i = n;
		atomic_store_explicit(&c->last_written, i, memory_order_relaxed);
		/* Only this thread writes word 0 and every replacement copies it. */
		r = vmmu_vcpu_read_guest(vcpu, RG_GPA + RG_P * PAGE, &back, 8);
		if (r == -EFAULT) {
			atomic_fetch_add_explicit(&c->read_efault, 1, memory_order_relaxed);
			continue;
		}
		TEST_ASSERT(r == 0, "read_guest: %d (%s)", r, vmmu_strerror(r));
		if (back != i)
			atomic_fetch_add_explicit(&c->lost_writes, 1, memory_order_relaxed);
	}
	vmmu_vcpu_destroy(vcpu);
	return NULL;
}

static int rg_child(void *arg)
{
	bool bare = *(bool *)arg;
	double secs = stress_seconds(1.5, 0.3), t0, deadline;
	uint64_t hp, k = 0, word0, final0, bad;
	pthread_t reader, writer;
	struct rg_ctx c;

	memset(&c, 0, sizeof(c));
	c.bare_map_fixed = bare;
	c.vm = test_vm_create(NULL);
	c.mem = alloc_with_decoys(RG_PAGES * PAGE);
	c.p = c.mem + RG_P * PAGE;
	hp = HVA(c.p);
	fill_page(c.p, RG_PAT(0));
	test_guest_store64(c.p, 0);
	TEST_SET_REGION_OK(c.vm, 0, 0, RG_GPA, RG_PAGES * PAGE, c.mem);
	install_segv_handler("read_guest/write_guest touched the guest page while the host "
			     "had it unmapped inside an invalidate_range_start/end bracket");

	pthread_barrier_init(&c.go, NULL, 3);
	TEST_ASSERT_EQ(pthread_create(&reader, NULL, rg_reader_fn, &c), 0);
	TEST_ASSERT_EQ(pthread_create(&writer, NULL, rg_writer_fn, &c), 0);
	pthread_barrier_wait(&c.go);
	t0 = test_now();
	deadline = t0 + secs;
	while (test_now() < deadline) {
		k++;
		vmmu_mmu_notifier_invalidate_range_start(c.vm, hp, hp + PAGE);
		/* A migration: carry the old page's content over to the new one. */
		word0 = test_guest_load64(c.p);
		if (!bare)
			TEST_ASSERT_EQ(munmap(c.p, PAGE), 0);
		map_fixed_page(c.p, bare);
		fill_page(c.p, RG_PAT(k));
		test_guest_store64(c.p, word0);
		vmmu_mmu_notifier_invalidate_range_end(c.vm, hp, hp + PAGE);
		atomic_store_explicit(&c.version, k, memory_order_release);
		/* Let the others run into the next replacement. */
		if (!(k & 15))
			sched_yield();
	}
	atomic_store(&c.stop, 1);
	pthread_join(reader, NULL);
	pthread_join(writer, NULL);
	final0 = test_guest_load64(c.p);

	bad = c.read_efault + c.torn + c.stale + c.write_efault + c.lost_writes +
	      (final0 != c.last_written);
	printf("  rw_guest_replace (%s): %" PRIu64 " replacements in %.1f s; %" PRIu64
	       " reads: %" PRIu64 " -EFAULT, %" PRIu64 " torn/zero pages, %" PRIu64
	       " older than the last end(); %" PRIu64 " writes: %" PRIu64 " -EFAULT, %" PRIu64
	       " lost; final word %" PRIu64 " (last written %" PRIu64 ")\n",
	       bare ? "mmap(MAP_FIXED)" : "munmap+mmap(MAP_FIXED)", k, secs,
	       (uint64_t)c.reads, (uint64_t)c.read_efault, (uint64_t)c.torn,
	       (uint64_t)c.stale, (uint64_t)c.writes, (uint64_t)c.write_efault,
	       (uint64_t)c.lost_writes, final0, (uint64_t)c.last_written);
	TEST_ASSERT(bad == 0, "%" PRIu64 " bad outcomes of read_guest/write_guest against a "
		    "bracketed replacement of the page", bad);

	pthread_barrier_destroy(&c.go);
	vmmu_vm_destroy(c.vm);
	free_with_decoys(c.mem, RG_PAGES * PAGE);
	return KSFT_PASS;
}

static int case_rw_guest_replace(void)
{
	bool bare[2] = { false, true };
	int bad = 0, skipped = 0;

	for (int i = 0; i < 2; i++) {
		int rc = run_child(bare[i] ? "rw_guest_replace, mmap(MAP_FIXED)" :
				   "rw_guest_replace, munmap+mmap(MAP_FIXED)", rg_child, &bare[i]);

		skipped += rc == KSFT_SKIP;
		bad += rc != 0 && rc != KSFT_SKIP;
	}
	TEST_ASSERT(bad == 0, "%d of 2 variants failed", bad);
	return skipped == 2 ? KSFT_SKIP : KSFT_PASS;
}

/* ------------------------------------------------------------------------ */
/* 5. change_pte of a page no open bracket covers                            */
/* ------------------------------------------------------------------------ */

#define CP_PAT(p)	(0xc4a6e0000000ull | (p))
#define CP_OTHER	0x07e4e4e4e4e4e4e4ull

static int case_change_pte_other_as(void)
{
	struct vmmu_vm *vm = test_vm_new(.nr_address_spaces = 2);
	uint8_t *a = test_alloc_guest(PAGE), *b = test_alloc_guest(PAGE);
	uint8_t *other = test_alloc_guest(PAGE);
	struct vmmu_stats st0, st1;
	struct vmmu_vcpu *vcpu;
	uint64_t v;
	int r;

	test_guest_store64(a, 0xaaaa);
	test_guest_store64(b, 0xbbbb);
	test_guest_store64(other, CP_OTHER);
	TEST_SET_REGION_OK(vm, SLOT(1, 0), 0, 0, PAGE, a);	/* slot A, address space 1 */
	TEST_SET_REGION_OK(vm, SLOT(0, 0), 0, 0, PAGE, b);	/* slot B, address space 0 */
	vcpu = test_vcpu_create(vm, 0);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, 0), 0xbbbb);

	st0 = stats(vm);
	vmmu_mmu_notifier_invalidate_range_start(vm, HVA(a), HVA(a) + PAGE);
	r = vmmu_mmu_notifier_change_pte(vm, HVA(b), HVA(other), 0);
	st1 = stats(vm);
	vmmu_mmu_notifier_invalidate_range_end(vm, HVA(a), HVA(a) + PAGE);
	v = test_vcpu_read64(vcpu, 0);

	printf("  change_pte_other_as: change_pte -> %d, change_pte_unbracketed +%" PRIu64
	       ", AS 0 vCPU reads %#" PRIx64 " (slot B holds 0xbbbb)\n", r,
	       st1.change_pte_unbracketed - st0.change_pte_unbracketed, v);
	TEST_ASSERT(r == -EINVAL, "change_pte of slot B's page (address space 0), with only "
		    "slot A's page (address space 1, same gfn) bracketed, returned %d, expected "
		    "-EINVAL", r);
	TEST_ASSERT(st1.change_pte_unbracketed == st0.change_pte_unbracketed + 1,
		    "change_pte_unbracketed went from %" PRIu64 " to %" PRIu64,
		    st0.change_pte_unbracketed, st1.change_pte_unbracketed);
	TEST_ASSERT(v == 0xbbbb, "a vCPU in address space 0 reads %#" PRIx64 " instead of slot "
		    "B's own memory (0xbbbb): the refused change_pte re-pointed its page", v);

	vmmu_vm_destroy(vm);
	munmap(a, PAGE);
	munmap(b, PAGE);
	munmap(other, PAGE);
	return KSFT_PASS;
}

#define CH_PAGES	16u

static int case_change_pte_hull(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	uint8_t *mem = test_alloc_guest(CH_PAGES * PAGE), *other = test_alloc_guest(PAGE);
	uint64_t h0 = HVA(mem), h10 = HVA(mem) + 10 * PAGE, v;
	struct vmmu_stats st0, st1;
	struct vmmu_vcpu *vcpu;
	int r;

	for (unsigned int i = 0; i < CH_PAGES; i++)
		test_guest_store64(mem + i * PAGE, CP_PAT(i));
	test_guest_store64(other, CP_OTHER);
	TEST_SET_REGION_OK(vm, 0, 0, 0, CH_PAGES * PAGE, mem);
	vcpu = test_vcpu_create(vm, 0);
	for (unsigned int i = 0; i < CH_PAGES; i++)
		TEST_ASSERT_EQ(test_vcpu_read64(vcpu, i * PAGE), CP_PAT(i));

	st0 = stats(vm);
	vmmu_mmu_notifier_invalidate_range_start(vm, h0, h0 + PAGE);
	vmmu_mmu_notifier_invalidate_range_start(vm, h10, h10 + PAGE);
	r = vmmu_mmu_notifier_change_pte(vm, HVA(mem) + 5 * PAGE, HVA(other), 0);
	st1 = stats(vm);
	vmmu_mmu_notifier_invalidate_range_end(vm, h10, h10 + PAGE);
	vmmu_mmu_notifier_invalidate_range_end(vm, h0, h0 + PAGE);
	v = test_vcpu_read64(vcpu, 5 * PAGE);

	printf("  change_pte_hull: change_pte(page 5) -> %d, change_pte_unbracketed +%" PRIu64
	       ", vCPU reads %#" PRIx64 " at page 5 (own: %#llx)\n", r,
	       st1.change_pte_unbracketed - st0.change_pte_unbracketed, v, CP_PAT(5));
	TEST_ASSERT(r == -EINVAL, "change_pte of page 5 with brackets open on pages 0 and 10 "
		    "only returned %d, expected -EINVAL", r);
	TEST_ASSERT(st1.change_pte_unbracketed == st0.change_pte_unbracketed + 1,
		    "change_pte_unbracketed went from %" PRIu64 " to %" PRIu64,
		    st0.change_pte_unbracketed, st1.change_pte_unbracketed);
	TEST_ASSERT(v == CP_PAT(5), "the vCPU reads %#" PRIx64 " at page 5 instead of its own "
		    "memory: the refused change_pte re-pointed it", v);
	for (unsigned int i = 0; i < CH_PAGES; i++)
		TEST_ASSERT_EQ(test_vcpu_read64(vcpu, i * PAGE), CP_PAT(i));

	vmmu_vm_destroy(vm);
	munmap(mem, CH_PAGES * PAGE);
	munmap(other, PAGE);
	return KSFT_PASS;
}

/* ------------------------------------------------------------------------ */
/* 6. vmmu_vcpu_access racing a bracketed replacement: -EFAULT               */
/* ------------------------------------------------------------------------ */

#define AR_GPA		0x30000000ull
#define AR_PAGES	8u
#define AR_P		2u
#define AR_READERS	1u

struct ar_ctx {
	struct vmmu_vm *vm;
	uint8_t *mem, *p;
	atomic_int stop;
	pthread_barrier_t go;
	_Atomic uint64_t version;
	_Atomic uint64_t completed;	/* reads completed by all readers */
	_Atomic uint64_t efault, bad_value, stale;	/* bad outcomes, all readers */
	double t0;
	_Atomic uint64_t first_bad_us;
};

struct ar_reader {
	struct ar_ctx *c;
	struct vmmu_vcpu *vcpu;
	unsigned int id;
	uint64_t seed;
	pthread_t thr;
	atomic_int tid;
	uint64_t reads;
};

static void *ar_reader_fn(void *arg)
{
	struct ar_reader *t = arg;
	struct ar_ctx *c = t->c;
	struct test_rng rng;

	test_rng_init(&rng, t->seed);
	atomic_store(&t->tid, (int)syscall(SYS_gettid));
	/* Warm up before the replacements start (first RCU use maps memory). */
	test_vcpu_read64(t->vcpu, AR_GPA);
	pthread_barrier_wait(&c->go);
	while (!atomic_load_explicit(&c->stop, memory_order_relaxed)) {
		uint64_t k = atomic_load_explicit(&c->version, memory_order_acquire), v = 0;
		unsigned int q = test_rng_below(&rng, QWORDS);
		int r = access8(t->vcpu, AR_GPA + AR_P * PAGE + q * 8, &v, false);

		t->reads++;
		if (r) {
			uint64_t us = (uint64_t)((test_now() - c->t0) * 1e6), none = UINT64_MAX;

			TEST_ASSERT(r == -EFAULT, "vCPU %u: read: %d (%s)", t->id, r,
				    vmmu_strerror(r));
			atomic_fetch_add_explicit(&c->efault, 1, memory_order_relaxed);
			atomic_compare_exchange_strong(&c->first_bad_us, &none, us);
		} else if (!RG_PAT_OK(v)) {
			atomic_fetch_add_explicit(&c->bad_value, 1, memory_order_relaxed);
		} else if (RG_PAT_VER(v) < k) {
			atomic_fetch_add_explicit(&c->stale, 1, memory_order_relaxed);
		}
		atomic_fetch_add_explicit(&c->completed, 1, memory_order_relaxed);
		if (!(t->reads & 1023))
			sched_yield();
	}
	return NULL;
}

/* A thread that calls start(P) / end(P) when told, so the caller can give
 * up waiting for it. */
struct ar_helper {
	struct vmmu_vm *vm;
	uint64_t hp;
	pthread_t thr;
	atomic_int cmd;		/* 0 idle, 1 start(P), 2 end(P), 3 exit */
	atomic_uint done;
};

static void *ar_helper_fn(void *arg)
{
	struct ar_helper *h = arg;

	for (;;) {
		int cmd = atomic_load_explicit(&h->cmd, memory_order_acquire);

		if (!cmd) {
			sched_yield();
			continue;
		}
		if (cmd == 3)
			return NULL;
		if (cmd == 1)
			vmmu_mmu_notifier_invalidate_range_start(h->vm, h->hp, h->hp + PAGE);
		else
			vmmu_mmu_notifier_invalidate_range_end(h->vm, h->hp, h->hp + PAGE);
		atomic_store_explicit(&h->cmd, 0, memory_order_relaxed);
		atomic_fetch_add_explicit(&h->done, 1, memory_order_release);
	}
}

/* Tell @h to run @cmd; wait up to @seconds; true if it completed. */
static bool ar_helper_run(struct ar_helper *h, int cmd, double seconds, unsigned int *d)
{
	double deadline = test_now() + seconds;

	*d = atomic_load_explicit(&h->done, memory_order_acquire);
	atomic_store_explicit(&h->cmd, cmd, memory_order_release);
	while (atomic_load_explicit(&h->done, memory_order_acquire) == *d) {
		if (test_now() > deadline)
			return false;
		sched_yield();
	}
	return true;
}

/*
 * A thread that keeps this process's mmap_lock held for writing for long
 * stretches: mprotect() of a large populated range changes every PTE under
 * it.  A mincore() (which takes it for reading) then blocks in the kernel.
 */
#define HOG_LEN		(8ull << 20)

struct mm_hog {
	uint8_t *mem;
	atomic_int stop;
	pthread_t thr;
};

static void *mm_hog_fn(void *arg)
{
	struct mm_hog *m = arg;

	while (!atomic_load_explicit(&m->stop, memory_order_relaxed)) {
		mprotect(m->mem, HOG_LEN, PROT_READ);
		mprotect(m->mem, HOG_LEN, PROT_READ | PROT_WRITE);
	}
	return NULL;
}

/*
 * The staged phase.  Force the reader into a fault (start(P); end(P) zaps
 * its SPTE) while the hog holds mmap_lock: the fault passes its first
 * invalidation check and blocks in the kernel in its mincore() of P's host
 * region (HEAD's direct backend), which the test sees as the thread
 * sleeping.  SIGUSR1 then holds it as soon as that system call returns;
 * meanwhile start(P) and munmap(P), then release it.  HEAD's fault goes on
 * to check P itself, finds it unmapped and returns -EFAULT; a correct one
 * sees the invalidation and retries.  A hold elsewhere that start() must
 * wait for (an access, mmu_lock) wastes the attempt.
 */
static void ar_staged(struct ar_ctx *c, struct ar_reader *rd, uint64_t *k, double secs,
		      uint64_t *attempts, uint64_t *held)
{
	struct ar_helper h = { .vm = c->vm, .hp = HVA(c->p) };
	struct mm_hog m = { 0 };
	double deadline;
	uint64_t hp = HVA(c->p);
	struct sigaction sa;
	unsigned int d;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = hold_handler;
	TEST_ASSERT_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
	m.mem = mmap(NULL, HOG_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(m.mem != MAP_FAILED, "mmap: %s", strerror(errno));
	memset(m.mem, 1, HOG_LEN);
	TEST_ASSERT_EQ(pthread_create(&h.thr, NULL, ar_helper_fn, &h), 0);
	TEST_ASSERT_EQ(pthread_create(&m.thr, NULL, mm_hog_fn, &m), 0);
	deadline = test_now() + secs;
	while (test_now() < deadline && *held < 100) {
		uint64_t done = atomic_load_explicit(&c->completed, memory_order_relaxed);
		double limit = test_now() + 0.01;

		(*attempts)++;
		/* The reader's next access faults. */
		vmmu_mmu_notifier_invalidate_range_start(c->vm, hp, hp + PAGE);
		vmmu_mmu_notifier_invalidate_range_end(c->vm, hp, hp + PAGE);
		while (!thread_sleeping(rd->tid) && test_now() < limit &&
		       atomic_load_explicit(&c->completed, memory_order_relaxed) == done)
			sched_yield();
		if (!thread_sleeping(rd->tid))
			continue;
		atomic_store(&hold_release, 0);
		pthread_kill(rd->thr, SIGUSR1);
		TEST_ASSERT(wait_flag(&hold_in, 10.0), "SIGUSR1 did not hold the reader");
		(*k)++;
		if (!ar_helper_run(&h, 1, 0.02, &d)) {
			/* start() waits for the held reader: let it go. */
			limit = test_now() + 10.0;
			atomic_store(&hold_release, 1);
			while (atomic_load_explicit(&h.done, memory_order_acquire) == d) {
				TEST_ASSERT(test_now() < limit, "start() hangs after the reader's release");
				sched_yield();
			}
			fill_page(c->p, RG_PAT(*k));
		} else {
			(*held)++;
			TEST_ASSERT_EQ(munmap(c->p, PAGE), 0);
			done = atomic_load_explicit(&c->completed, memory_order_relaxed);
			atomic_store(&hold_release, 1);
			/* Give the reader a moment to run into the hole. */
			limit = test_now() + 0.002;
			while (atomic_load_explicit(&c->completed, memory_order_relaxed) == done &&
			       test_now() < limit)
				sched_yield();
			map_fixed_page(c->p, false);
			fill_page(c->p, RG_PAT(*k));
		}
		vmmu_mmu_notifier_invalidate_range_end(c->vm, hp, hp + PAGE);
		atomic_store_explicit(&c->version, *k, memory_order_release);
		while (atomic_load(&hold_in))
			sched_yield();
	}
	atomic_store(&m.stop, 1);
	pthread_join(m.thr, NULL);
	munmap(m.mem, HOG_LEN);
	atomic_store_explicit(&h.cmd, 3, memory_order_release);
	pthread_join(h.thr, NULL);
}

static int case_access_replace(void)
{
	double secs = stress_seconds(2.0, 0.5), staged_secs = short_run() ? 0.3 : 1.5, deadline;
	struct ar_reader rd[AR_READERS];
	uint64_t hp, k = 0, k_staged = 0, reads = 0, staged = 0;
	uint64_t ef1 = 0, bv1 = 0, st1 = 0, ef2, bv2, st2;
	uint64_t last_done = 0;
	unsigned int starved = 0;
	struct test_rng rng;
	struct ar_ctx c;

	memset(&c, 0, sizeof(c));
	c.vm = test_vm_create(NULL);
	c.mem = alloc_with_decoys(AR_PAGES * PAGE);
	c.p = c.mem + AR_P * PAGE;
	hp = HVA(c.p);
	atomic_init(&c.first_bad_us, UINT64_MAX);
	fill_page(c.p, RG_PAT(0));
	TEST_SET_REGION_OK(c.vm, 0, 0, AR_GPA, AR_PAGES * PAGE, c.mem);
	install_segv_handler("a vCPU access touched the guest page while the host had it "
			     "unmapped inside an invalidate_range_start/end bracket");

	pthread_barrier_init(&c.go, NULL, AR_READERS + 1);
	for (unsigned int i = 0; i < AR_READERS; i++) {
		rd[i] = (struct ar_reader){ .c = &c, .id = i + 1, .seed = g_seed + i };
		rd[i].vcpu = test_vcpu_create(c.vm, i + 1);
		TEST_ASSERT_EQ(pthread_create(&rd[i].thr, NULL, ar_reader_fn, &rd[i]), 0);
	}
	pthread_barrier_wait(&c.go);
	c.t0 = test_now();

	/* Phase 1: staged (not under TSan, see hold_handler). */
	if (!TEST_TSAN && staged_secs > 0) {
		uint64_t attempts = 0;

		while (!atomic_load(&rd[0].tid))
			sched_yield();
		ar_staged(&c, &rd[0], &k, staged_secs, &attempts, &staged);
		k_staged = k;
		ef1 = atomic_load(&c.efault);
		bv1 = atomic_load(&c.bad_value);
		st1 = atomic_load(&c.stale);
		printf("  access_replace, staged: %" PRIu64 " attempts, %" PRIu64 " with the reader "
		       "held in its fault across start()+munmap(): %" PRIu64 " -EFAULT, %" PRIu64
		       " not a pattern, %" PRIu64 " older than the last end()\n",
		       attempts, staged, ef1, bv1, st1);
	}

	/* Phase 2: free-running. */
	deadline = test_now() + secs;
	test_rng_init(&rng, g_seed ^ 0xacce55);
	while (test_now() < deadline) {
		uint64_t done = atomic_load_explicit(&c.completed, memory_order_relaxed);
		double until;

		k++;
		vmmu_mmu_notifier_invalidate_range_start(c.vm, hp, hp + PAGE);
		TEST_ASSERT_EQ(munmap(c.p, PAGE), 0);
		map_fixed_page(c.p, false);
		fill_page(c.p, RG_PAT(k));
		vmmu_mmu_notifier_invalidate_range_end(c.vm, hp, hp + PAGE);
		atomic_store_explicit(&c.version, k, memory_order_release);
		/*
		 * The next start() should land inside the fault a reader takes
		 * now (it found the page zapped): wait a random 0-4 us.  And
		 * so that back-to-back brackets do not starve the readers, now
		 * and then wait until one completes a read.
		 */
		until = test_now() + test_rng_below(&rng, 4000) * 1e-9;
		while (test_now() < until)
			;
		if (done == last_done && ++starved >= 32) {
			double limit = test_now() + 1.0;

			while (atomic_load_explicit(&c.completed, memory_order_relaxed) == done &&
			       test_now() < limit)
				sched_yield();
			starved = 0;
		} else if (done != last_done) {
			starved = 0;
		}
		last_done = done;
	}
	atomic_store(&c.stop, 1);
	for (unsigned int i = 0; i < AR_READERS; i++) {
		pthread_join(rd[i].thr, NULL);
		reads += rd[i].reads;
	}
	ef2 = atomic_load(&c.efault) - ef1;
	bv2 = atomic_load(&c.bad_value) - bv1;
	st2 = atomic_load(&c.stale) - st1;
	printf("  access_replace, free-running: %" PRIu64 " replacements in %.1f s: %" PRIu64
	       " -EFAULT, %" PRIu64 " not a pattern (zero/partly filled page), %" PRIu64
	       " older than the last end(); %" PRIu64 " reads in all", k - k_staged, secs, ef2,
	       bv2, st2, reads);
	if (ef1 + ef2)
		printf("; first -EFAULT (either phase) after %.3f s",
		       atomic_load(&c.first_bad_us) / 1e6);
	printf("\n");
	TEST_ASSERT(ef1 + bv1 + st1 + ef2 + bv2 + st2 == 0, "%" PRIu64 " vCPU reads of a page "
		    "the host replaced inside brackets failed (-EFAULT) or read a wrong value",
		    ef1 + bv1 + st1 + ef2 + bv2 + st2);

	for (unsigned int i = 0; i < AR_READERS; i++)
		vmmu_vcpu_destroy(rd[i].vcpu);
	pthread_barrier_destroy(&c.go);
	vmmu_vm_destroy(c.vm);
	free_with_decoys(c.mem, AR_PAGES * PAGE);
	return KSFT_PASS;
}

/* ------------------------------------------------------------------------ */
/* 7. Unmatched end()                                                        */
/* ------------------------------------------------------------------------ */

#define EU_GPA		0x50000000ull
#define EU_PAGES	4u
#define EU_GPA2		0x60000000ull
/* How long an access or a memslot update must stay blocked to count as such. */
#define EU_BLOCK_S	(short_run() ? 0.1 : 0.25)

struct eu_access {
	struct vmmu_vm *vm;
	struct vmmu_vcpu *vcpu;
	uint64_t gpa;
	pthread_t thr;
	atomic_int started, done;
	int r;
	uint64_t v;
};

static void *eu_access_fn(void *arg)
{
	struct eu_access *a = arg;

	atomic_store_explicit(&a->started, 1, memory_order_release);
	a->r = access8(a->vcpu, a->gpa, &a->v, false);
	atomic_store_explicit(&a->done, 1, memory_order_release);
	return NULL;
}

struct eu_update {
	struct vmmu_vm *vm;
	uint8_t *mem;
	pthread_t thr;
	atomic_int done;
	int r;
};

static void *eu_update_fn(void *arg)
{
	struct eu_update *u = arg;

	u->r = test_set_region(u->vm, 1, 0, EU_GPA2, PAGE, u->mem);
	atomic_store_explicit(&u->done, 1, memory_order_release);
	return NULL;
}

/*
 * Start a vCPU thread reading @gpa and a thread creating slot 1; wait until
 * the access shows it is held up (retries or a blocking wait counted), or it
 * completes, or EU_BLOCK_S pass.  Returns how many of the two completed.
 */
static int eu_start_blocked(struct vmmu_vm *vm, struct eu_access *a, struct eu_update *u,
			    bool with_update)
{
	struct vmmu_stats st0 = stats(vm);
	double deadline;

	TEST_ASSERT_EQ(pthread_create(&a->thr, NULL, eu_access_fn, a), 0);
	if (with_update)
		TEST_ASSERT_EQ(pthread_create(&u->thr, NULL, eu_update_fn, u), 0);
	TEST_ASSERT(wait_flag(&a->started, 10.0), "the vCPU thread did not start");
	deadline = test_now() + EU_BLOCK_S;
	while (test_now() < deadline) {
		bool a_done = atomic_load_explicit(&a->done, memory_order_acquire);
		bool u_done = !with_update || atomic_load_explicit(&u->done, memory_order_acquire);
		struct vmmu_stats st = stats(vm);

		if (a_done && u_done)
			break;
		/* Clear evidence that the access is held up: stop waiting early. */
		if (!with_update && (st.invalidate_waits > st0.invalidate_waits ||
				     st.pf_retry >= st0.pf_retry + 1000))
			break;
		sched_yield();
	}
	return atomic_load_explicit(&a->done, memory_order_acquire) +
	       (with_update && atomic_load_explicit(&u->done, memory_order_acquire));
}

static int end_unmatched_common(bool b_in_slot)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	uint8_t *mem = test_alloc_guest(EU_PAGES * PAGE), *mem2 = test_alloc_guest(PAGE);
	uint8_t *noslot = test_alloc_guest(PAGE);
	uint64_t ha = HVA(mem), hb = b_in_slot ? HVA(mem) + PAGE : HVA(noslot);
	struct eu_access acc = { 0 };
	struct eu_update upd = { 0 };
	struct vmmu_stats st0, st1;
	bool access_done, update_done;
	struct vmmu_vcpu *vcpu;
	unsigned int bad = 0;

	test_guest_store64(mem, 0x1234);
	TEST_SET_REGION_OK(vm, 0, 0, EU_GPA, EU_PAGES * PAGE, mem);
	vcpu = test_vcpu_create(vm, 0);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, EU_GPA), 0x1234);
	st0 = stats(vm);

	vmmu_mmu_notifier_invalidate_range_start(vm, ha, ha + PAGE);	/* A */
	vmmu_mmu_notifier_invalidate_range_end(vm, hb, hb + PAGE);	/* B: unmatched */

	acc = (struct eu_access){ .vm = vm, .vcpu = vcpu, .gpa = EU_GPA };
	upd = (struct eu_update){ .vm = vm, .mem = mem2 };
	eu_start_blocked(vm, &acc, &upd, true);
	access_done = atomic_load_explicit(&acc.done, memory_order_acquire);
	update_done = atomic_load_explicit(&upd.done, memory_order_acquire);
	/* The host changes A's memory inside the bracket. */
	test_guest_store64(mem, 0x5678);
	vmmu_mmu_notifier_invalidate_range_end(vm, ha, ha + PAGE);	/* A */
	pthread_join(acc.thr, NULL);
	pthread_join(upd.thr, NULL);
	st1 = stats(vm);

	printf("  end_unmatched_%s: after end(B): access of A %s, memslot update %s; after "
	       "end(A): access -> %d, %#" PRIx64 "; update -> %d; invalidate_end_unmatched +%"
	       PRIu64 "\n", b_in_slot ? "slot" : "noslot",
	       access_done ? "COMPLETED" : "held up", update_done ? "COMPLETED" : "held up",
	       acc.r, acc.v, upd.r, st1.invalidate_end_unmatched - st0.invalidate_end_unmatched);
	if (access_done) {
		bad++;
		printf("  FAIL: a vCPU access of A's gfn completed (-> %d, %#" PRIx64 ") while "
		       "start(A) was unmatched: end(B) ended A's invalidation\n", acc.r, acc.v);
	}
	/* Range-precise retry: memslot updates never wait for open brackets. */
	if (!update_done) {
		bad++;
		printf("  FAIL: a memslot update waited for the open bracket of A\n");
	}
	if (acc.r != 0 || acc.v != 0x5678) {
		bad++;
		printf("  FAIL: the access after end(A) returned %d, %#" PRIx64 ", expected 0, "
		       "0x5678 (the memory as of end(A))\n", acc.r, acc.v);
	}
	if (upd.r != 0) {
		bad++;
		printf("  FAIL: the memslot update returned %d\n", upd.r);
	}
	if (st1.invalidate_end_unmatched != st0.invalidate_end_unmatched + 1) {
		bad++;
		printf("  FAIL: invalidate_end_unmatched went from %" PRIu64 " to %" PRIu64
		       ", expected +1\n", st0.invalidate_end_unmatched,
		       st1.invalidate_end_unmatched);
	}
	TEST_ASSERT(bad == 0, "%u checks failed after an unmatched end()", bad);
	/* Still consistent: no invalidation left in progress. */
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, EU_GPA), 0x5678);
	TEST_SET_REGION_OK(vm, 1, 0, EU_GPA2, 0, mem2);

	vmmu_vm_destroy(vm);
	munmap(mem, EU_PAGES * PAGE);
	munmap(mem2, PAGE);
	munmap(noslot, PAGE);
	return KSFT_PASS;
}

static int case_end_unmatched_slot(void)
{
	return end_unmatched_common(true);
}

static int case_end_unmatched_noslot(void)
{
	return end_unmatched_common(false);
}

static int case_end_twice(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	uint8_t *mem = test_alloc_guest(EU_PAGES * PAGE), *mem2 = test_alloc_guest(PAGE);
	uint64_t ha = HVA(mem);
	struct eu_access acc;
	struct eu_update upd;
	struct vmmu_stats st0, st1;
	struct vmmu_vcpu *vcpu;
	bool access_done, update_done;

	test_guest_store64(mem, 0x1234);
	TEST_SET_REGION_OK(vm, 0, 0, EU_GPA, EU_PAGES * PAGE, mem);
	vcpu = test_vcpu_create(vm, 0);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, EU_GPA), 0x1234);

	st0 = stats(vm);
	vmmu_mmu_notifier_invalidate_range_start(vm, ha, ha + PAGE);
	vmmu_mmu_notifier_invalidate_range_end(vm, ha, ha + PAGE);
	vmmu_mmu_notifier_invalidate_range_end(vm, ha, ha + PAGE);	/* unmatched */
	st1 = stats(vm);
	printf("  end_twice: invalidate_end_unmatched +%" PRIu64 "\n",
	       st1.invalidate_end_unmatched - st0.invalidate_end_unmatched);
	TEST_ASSERT(st1.invalidate_end_unmatched == st0.invalidate_end_unmatched + 1,
		    "the second end() of one start() was not counted as unmatched: "
		    "invalidate_end_unmatched went from %" PRIu64 " to %" PRIu64,
		    st0.invalidate_end_unmatched, st1.invalidate_end_unmatched);
	/* Nothing in progress now; the vCPU and memslot updates work. */
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, EU_GPA), 0x1234);
	TEST_SET_REGION_OK(vm, 1, 0, EU_GPA2, PAGE, mem2);
	TEST_SET_REGION_OK(vm, 1, 0, EU_GPA2, 0, mem2);

	/* The extra end() left no debt: a new start() still holds the vCPU (not updates). */
	vmmu_mmu_notifier_invalidate_range_start(vm, ha, ha + PAGE);
	acc = (struct eu_access){ .vm = vm, .vcpu = vcpu, .gpa = EU_GPA };
	upd = (struct eu_update){ .vm = vm, .mem = mem2 };
	eu_start_blocked(vm, &acc, &upd, true);
	access_done = atomic_load_explicit(&acc.done, memory_order_acquire);
	update_done = atomic_load_explicit(&upd.done, memory_order_acquire);
	test_guest_store64(mem, 0x5678);
	vmmu_mmu_notifier_invalidate_range_end(vm, ha, ha + PAGE);
	pthread_join(acc.thr, NULL);
	pthread_join(upd.thr, NULL);
	TEST_ASSERT(!access_done, "after start(); end(); end(), a new start() no longer holds "
		    "up vCPU faults on its range");
	TEST_ASSERT(update_done, "a memslot update waited for an open bracket (range-precise "
		    "retry: swaps extend brackets instead)");
	TEST_ASSERT(acc.r == 0 && acc.v == 0x5678, "access after end(): %d, %#" PRIx64,
		    acc.r, acc.v);
	TEST_ASSERT_EQ(upd.r, 0);

	vmmu_vm_destroy(vm);
	munmap(mem, EU_PAGES * PAGE);
	munmap(mem2, PAGE);
	return KSFT_PASS;
}

/* ------------------------------------------------------------------------ */
/* 8. CLEAR_DIRTY_LOG reads exactly ceil(num_pages / 8) bitmap bytes         */
/* ------------------------------------------------------------------------ */

#define CD_GPA		0x70000000ull

static bool bit(const uint64_t *bm, unsigned int i)
{
	return (bm[i / 64] >> (i % 64)) & 1;
}

/* A slot of @npages, pages @dirty[] written; CLEAR(@first, @num) of @clr_byte
 * from a buffer of exactly one byte at @buf. */
static void cd_run(const char *what, unsigned int npages, const unsigned int *dirty,
		   unsigned int nr_dirty, uint64_t first, uint32_t num, uint8_t clr_byte,
		   uint8_t *buf)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	uint8_t *mem = test_alloc_guest((size_t)npages * PAGE);
	uint64_t bm[2] = { 0, 0 }, want[2] = { 0, 0 };
	struct vmmu_vcpu *vcpu;

	TEST_ASSERT(npages <= 128 && num <= 8, "test bug");
	TEST_ASSERT_EQ(vmmu_vm_enable_manual_dirty_log_protect(vm,
			VMMU_DIRTY_LOG_MANUAL_PROTECT_ENABLE), 0);
	TEST_SET_REGION_OK(vm, 0, VMMU_MEM_LOG_DIRTY_PAGES, CD_GPA, (uint64_t)npages * PAGE, mem);
	vcpu = test_vcpu_create(vm, 0);
	for (unsigned int i = 0; i < nr_dirty; i++) {
		test_vcpu_write64(vcpu, CD_GPA + (uint64_t)dirty[i] * PAGE, dirty[i] + 1);
		want[dirty[i] / 64] |= 1ull << (dirty[i] % 64);
	}
	TEST_ASSERT_EQ(vmmu_get_dirty_log(vm, 0, bm), 0);
	TEST_ASSERT(bm[0] == want[0] && bm[1] == want[1], "%s: GET before CLEAR: %#" PRIx64
		    " %#" PRIx64 ", expected %#" PRIx64 " %#" PRIx64, what, bm[0], bm[1],
		    want[0], want[1]);

	*buf = clr_byte;
	TEST_ASSERT_EQ(vmmu_clear_dirty_log(vm, 0, first, num, buf), 0);
	for (unsigned int i = 0; i < num; i++)
		if ((clr_byte >> i) & 1)
			want[(first + i) / 64] &= ~(1ull << ((first + i) % 64));
	bm[0] = bm[1] = 0;
	TEST_ASSERT_EQ(vmmu_get_dirty_log(vm, 0, bm), 0);
	TEST_ASSERT(bm[0] == want[0] && bm[1] == want[1], "%s: after CLEAR(first %" PRIu64
		    ", num %u, bitmap %#x): %#" PRIx64 " %#" PRIx64 ", expected %#" PRIx64
		    " %#" PRIx64, what, first, num, clr_byte, bm[0], bm[1], want[0], want[1]);
	/* The cleared pages are write-protected again: their next write is logged. */
	for (unsigned int i = 0; i < num; i++) {
		if (!((clr_byte >> i) & 1))
			continue;
		test_vcpu_write64(vcpu, CD_GPA + (first + i) * PAGE, 0x77);
		bm[0] = bm[1] = 0;
		TEST_ASSERT_EQ(vmmu_get_dirty_log(vm, 0, bm), 0);
		TEST_ASSERT(bit(bm, first + i), "%s: a write to page %" PRIu64 " after its CLEAR "
			    "was not logged", what, first + i);
	}
	vmmu_vm_destroy(vm);
	munmap(mem, (size_t)npages * PAGE);
}

static int case_clear_dirty_bitmap_size(void)
{
	static const unsigned int dirty70[] = { 0, 5, 63, 64, 66, 69 };
	static const unsigned int dirty3[] = { 0, 1, 2 };
	uint8_t *guard, *heap;

	/* A one-byte heap buffer: ASan reports a read past it. */
	heap = malloc(1);
	TEST_ASSERT(heap, "malloc");
	cd_run("70 pages, heap", 70, dirty70, ARRAY_SIZE(dirty70), 64, 6, 0x05, heap);
	cd_run("3 pages, heap", 3, dirty3, ARRAY_SIZE(dirty3), 0, 3, 0x02, heap);
	free(heap);

	/* The byte just before a PROT_NONE page: a read past it faults in any build. */
	guard = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(guard != MAP_FAILED, "mmap");
	TEST_ASSERT_EQ(mprotect(guard + PAGE, PAGE, PROT_NONE), 0);
	install_segv_handler("vmmu_clear_dirty_log read its bitmap past ceil(num_pages / 8) "
			     "bytes, into the PROT_NONE page after the buffer");
	cd_run("70 pages, guard page", 70, dirty70, ARRAY_SIZE(dirty70), 64, 6, 0x05,
	       guard + PAGE - 1);
	cd_run("3 pages, guard page", 3, dirty3, ARRAY_SIZE(dirty3), 0, 3, 0x02,
	       guard + PAGE - 1);
	munmap(guard, 2 * PAGE);
	return KSFT_PASS;
}

/* ------------------------------------------------------------------------ */
/* 9. membarrier() fails after VM creation: fall back to symmetric fences    */
/* ------------------------------------------------------------------------ */

#if defined(__x86_64__)
#define SECCOMP_ARCH	AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SECCOMP_ARCH	AUDIT_ARCH_AARCH64
#endif

#define MB_GPA		0x10000000ull
#define MB_PATTERN	0x3e3b0a771e500000ull

#ifdef SECCOMP_ARCH
/* 0, or -errno (-ENOSYS, -EINVAL, -EACCES...) if seccomp is unavailable. */
static int deny_membarrier(void)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SECCOMP_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_membarrier, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = ARRAY_SIZE(filter), .filter = filter };
	long r;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	r = syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog);
	if (r < 0)
		return -errno;
	TEST_ASSERT(r == 0, "seccomp TSYNC failed for thread %ld", r);
	return 0;
}
#endif

struct mb_ctx {
	struct vmmu_vm *vm;
	struct vmmu_vcpu *vcpu;
	atomic_int stop;
	_Atomic uint64_t epoch;	/* odd: the slot may exist; even: DELETE returned */
	atomic_int ready;
	_Atomic uint64_t progress;	/* reads checked so far */
	uint64_t reads, checked, violations;
};

static void *mb_reader_fn(void *arg)
{
	struct mb_ctx *c = arg;

	while (!atomic_load_explicit(&c->stop, memory_order_relaxed)) {
		uint64_t e1, e2, v = 0;
		int r;

		e1 = atomic_load_explicit(&c->epoch, memory_order_acquire);
		r = access8(c->vcpu, MB_GPA, &v, false);
		e2 = atomic_load_explicit(&c->epoch, memory_order_acquire);
		TEST_ASSERT(r == 0 || r == VMMU_EXIT_MMIO, "reader: %d (%s)", r, vmmu_strerror(r));
		TEST_ASSERT(r != 0 || v == MB_PATTERN, "reader: RAM read %#" PRIx64, v);
		c->reads++;
		if (r == 0)
			atomic_store_explicit(&c->ready, 1, memory_order_release);
		if (!(e1 & 1) && e1 == e2) {
			c->checked++;
			c->violations += r == 0;
			atomic_store_explicit(&c->progress, c->checked, memory_order_relaxed);
		}
		if (!(c->reads & 1023))
			sched_yield();
	}
	return NULL;
}

static int case_membarrier_fallback(void)
{
#ifndef SECCOMP_ARCH
	test_skip("no seccomp architecture constant for this machine");
#else
	const char *env = getenv("VMMU_NO_MEMBARRIER");
	unsigned int rounds = short_run() ? 50 : 300;
	struct vmmu_vcpu *idle;
	struct vmmu_stats st;
	uint64_t v = 0;
	uint8_t *mem;
	struct mb_ctx c;
	pthread_t thr;
	long q;
	int r;

	if (TEST_TSAN)
		test_skip("TSan build: vmmu never uses membarrier()");
#ifdef VMMU_SEQCST_BRACKET
	test_skip("seqcst_bracket build: vmmu never uses membarrier()");
#endif
	if (env && *env && strcmp(env, "0"))
		test_skip("VMMU_NO_MEMBARRIER is set: vmmu does not use membarrier()");
	q = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0u, 0);
	if (q < 0 || !(q & MEMBARRIER_CMD_PRIVATE_EXPEDITED))
		test_skip("membarrier(PRIVATE_EXPEDITED) not available");

	memset(&c, 0, sizeof(c));
	c.vm = test_vm_create(NULL);	/* asymmetric fences */
	mem = test_alloc_guest(PAGE);
	test_guest_store64(mem, MB_PATTERN);
	c.vcpu = test_vcpu_create(c.vm, 0);
	atomic_init(&c.epoch, 1);
	TEST_SET_REGION_OK(c.vm, 0, 0, MB_GPA, PAGE, mem);
	/*
	 * A second vCPU that made one access and then stopped: it never
	 * answers a flush's request, so the first flush falls back to
	 * membarrier() for it (the running reader answers by itself).
	 */
	idle = test_vcpu_create(c.vm, 1);
	TEST_ASSERT_EQ(access8(idle, MB_GPA, &v, false), 0);
	TEST_ASSERT_EQ(pthread_create(&thr, NULL, mb_reader_fn, &c), 0);
	TEST_ASSERT(wait_flag(&c.ready, 10.0), "the vCPU never read the slot");

	/* From now on membarrier() fails with EPERM, in every thread. */
	r = deny_membarrier();
	if (r) {
		atomic_store(&c.stop, 1);
		pthread_join(thr, NULL);
		test_skip("seccomp filter unavailable: %s", strerror(-r));
	}
	TEST_ASSERT(syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0u, 0) == -1 && errno == EPERM,
		    "the seccomp filter does not deny membarrier()");

	for (unsigned int i = 0; i < rounds; i++) {
		if (i) {
			atomic_store_explicit(&c.epoch, 2 * i + 1, memory_order_release);
			TEST_SET_REGION_OK(c.vm, 0, 0, MB_GPA, PAGE, mem);
			atomic_store_explicit(&c.ready, 0, memory_order_relaxed);
			TEST_ASSERT(wait_flag(&c.ready, 10.0), "the vCPU never read the slot");
		}
		/* DELETE while the vCPU reads: its flush needs a fence. */
		TEST_SET_REGION_OK(c.vm, 0, 0, MB_GPA, 0, mem);
		atomic_store_explicit(&c.epoch, 2 * i + 2, memory_order_release);
		/* Let the vCPU read a while after the DELETE. */
		{
			uint64_t p0 = atomic_load_explicit(&c.progress, memory_order_relaxed);
			double deadline = test_now() + 10.0;

			while (atomic_load_explicit(&c.progress, memory_order_relaxed) < p0 + 100 &&
			       test_now() < deadline)
				sched_yield();
		}
	}
	atomic_store(&c.stop, 1);
	pthread_join(thr, NULL);
	st = stats(c.vm);
	printf("  membarrier_fallback: %u DELETEs with membarrier() denied, fence_fallbacks %"
	       PRIu64 ", %" PRIu64 " reads, %" PRIu64 " after a DELETE returned, %" PRIu64
	       " of them read the deleted slot\n", rounds, st.fence_fallbacks, c.reads,
	       c.checked, c.violations);
	TEST_ASSERT(c.violations == 0, "%" PRIu64 " reads after DELETE returned read the "
		    "deleted slot's memory", c.violations);
	TEST_ASSERT(c.checked > 0, "no read ran after a DELETE returned");
	TEST_ASSERT(st.fence_fallbacks >= 1, "membarrier() failed but stats.fence_fallbacks "
		    "is %" PRIu64 ": the VM did not switch to symmetric fences",
		    st.fence_fallbacks);
	vmmu_vm_destroy(c.vm);
	munmap(mem, PAGE);
	return KSFT_PASS;
#endif
}

/* ------------------------------------------------------------------------ */
/* Runner                                                                    */
/* ------------------------------------------------------------------------ */

struct scase {
	const char *name;
	int (*fn)(void);
};

static const struct scase cases[] = {
	{ "dirty_clear_young", case_dirty_clear_young },
	{ "dirty_clear_young_manual", case_dirty_clear_young_manual },
	{ "delete_race", case_delete_race },
	{ "delete_race_stress", case_delete_race_stress },
	{ "direct_cache", case_direct_cache },
	{ "rw_guest_replace", case_rw_guest_replace },
	{ "change_pte_other_as", case_change_pte_other_as },
	{ "change_pte_hull", case_change_pte_hull },
	{ "access_replace", case_access_replace },
	{ "end_unmatched_slot", case_end_unmatched_slot },
	{ "end_unmatched_noslot", case_end_unmatched_noslot },
	{ "end_twice", case_end_twice },
	{ "clear_dirty_bitmap_size", case_clear_dirty_bitmap_size },
	{ "membarrier_fallback", case_membarrier_fallback },
};

static int case_trampoline(void *arg)
{
	const struct scase *sc = arg;

	return sc->fn();
}

int main(int argc, char **argv)
{
	const char *filter = argc > 1 && strcmp(argv[1], "all") ? argv[1] : NULL;
	unsigned int pass = 0, fail = 0, skip = 0;
	bool exact = false;

	setvbuf(stdout, NULL, _IOLBF, 0);
	g_seed = test_seed(argc > 2 ? argv[2] : NULL);
	printf("test_soundness: seed %" PRIu64 "%s\n", g_seed, short_run() ? " (short run)" : "");
	/* An exact name runs that case only (dirty_clear_young vs ..._manual). */
	for (size_t i = 0; filter && i < ARRAY_SIZE(cases); i++)
		exact |= !strcmp(cases[i].name, filter);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		double t0;
		int rc;

		if (filter && (exact ? strcmp(cases[i].name, filter) : !strstr(cases[i].name, filter)))
			continue;
		t0 = test_now();
		rc = run_child(cases[i].name, case_trampoline, (void *)&cases[i]);
		if (rc == KSFT_PASS) {
			pass++;
			printf("PASS %s (%.2f s)\n", cases[i].name, test_now() - t0);
		} else if (rc == KSFT_SKIP) {
			skip++;
			printf("SKIP %s\n", cases[i].name);
		} else {
			fail++;
			printf("FAIL %s (%s %d, %.2f s)\n", cases[i].name,
			       rc >= 128 ? "signal" : "exit", rc >= 128 ? rc - 128 : rc,
			       test_now() - t0);
		}
	}
	printf("test_soundness: %u passed, %u failed, %u skipped\n", pass, fail, skip);
	if (!pass && !fail && !skip)
		test_skip("no case matches '%s'", filter);
	if (fail)
		return KSFT_FAIL;
	return pass ? KSFT_PASS : KSFT_SKIP;
}
