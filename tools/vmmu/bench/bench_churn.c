// SPDX-License-Identifier: MIT
/*
 * vmmu bench, churn suite: vCPUs that keep running while the host churns
 * the memory behind them (invalidations, memslot updates, post-copy faults)
 * and a guest that scatters MMIO accesses.  Every pair of figures a goal
 * compares is measured in the same repetition, one right after the other.
 *
 * Layout (churn VM, default configuration): slot 1 "A" and slot 2 "B", 16
 * MiB each, back to back from 256 MiB; slot 3 "C", 1 MiB of its own memory,
 * used by nobody.
 *
 *   storm-same-{off,on}-accesses   vCPU 0 writes every page of A in a loop
 *                     (TLB hits once faulted in) while the main thread runs
 *                     start/end pairs on random 64 KiB ranges of A (on) or
 *                     nothing (off); accesses per second
 *   storm-other-{off,on}-faults    vCPU 0 faults A in page by page and then
 *                     invalidates all of A itself, in a loop, so every access
 *                     is a fault; the storm runs on random 64 KiB ranges of
 *                     B; faults per second
 *   overlap-uncovered-faults       the same vCPU loop while the main thread
 *                     keeps brackets on B open without pause (start the next
 *                     range, then end the previous one: at least one bracket
 *                     is always open)
 *   update-{idle,held,overlap}     latency of one MOVE of C, with no bracket
 *                     open, with one bracket on B open throughout (held),
 *                     and while another thread keeps brackets on B
 *                     overlapping; overlap-step: how long each of those
 *                     brackets stays open; overlap-publish-waits: the
 *                     publishes that found the notifier lock taken (%,
 *                     publish_waits); overlap-overtaken: start()/end()
 *                     calls that took it after such a publish arrived and
 *                     before it got it, per waiting publish
 *                     (publish_overtaken)
 *   line-transfer     one-way hand-off of a cache line between two
 *                     threads (a ping-pong, ns): what each cross-CPU touch
 *                     of shared state costs in this run.  This machine has
 *                     two modes (about 70 and about 240 ns); the figures
 *                     that move lines between CPUs follow it
 *   postcopy-update   vCPU 0 reads a page registered with userfaultfd
 *                     (missing mode) and blocks in the host fault; the
 *                     resolver DELETEs a mapped slot before UFFDIO_COPY:
 *                     the DELETE's latency (a deadlock shows as the 1 s the
 *                     resolver waits before it resolves the fault anyway)
 *   move-unused@1, move-used@N   one MOVE of a 1 MiB slot nobody uses / that
 *                     N vCPU threads read continuously (TLB hits), moved away
 *                     and back: the used one needs a remote TLB flush
 *   mmio-scatter      200,000 8-byte reads at random 48-bit gpas (no slot):
 *                     page tables against their cap, reclaims, RSS growth
 *   dirty-create-{plain,initially-set}   CREATE of a 2^24-page slot with
 *                     dirty logging, without and with INITIALLY_SET (whose
 *                     bitmap starts all-ones)
 *
 * No KVM column: these cases exercise vmmu's own internals (KVM's notifier
 * and flush run in the kernel); the memslot suite compares the whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vmmu.h"
#include "bench.h"
#include "rng.h"

#define GPA_A		(256ull << 20)
#define AREA		(16ull << 20)
#define GPA_B		(GPA_A + AREA)
#define GPA_C		(512ull << 20)
#define SIZE_C		(1ull << 20)
#define GPA_AWAY	(1ull << 30)
#define STORM_RANGE	(64ull << 10)
#define SLICE		0.01		/* storm progress: seconds per slice */
#define OVERLAP_SETTLE	0.05		/* seconds the overlapper runs before MOVEs are timed */
#define MAX_SLICES	256u
#define FLUSH_SLOT	(1ull << 20)
#define HIT_PAGES	16u		/* per vCPU thread: 64 KiB of TLB hits */
#define SCATTER_READS	200000u
#define DIRTY_PAGES	(1ull << 24)

/* ------------------------------------------------------------------------ */
/* vCPU threads                                                              */
/* ------------------------------------------------------------------------ */

enum cv_mode {
	CV_WRITE_LOOP,		/* write every page in a loop */
	CV_FAULT_LOOP,		/* write every page, then invalidate them all, loop */
	CV_READ_HIT,		/* read HIT_PAGES pages in a loop; MMIO exits allowed */
};

struct cv {
	struct vmmu_vm *vm;
	struct vmmu_vcpu *vcpu;
	enum cv_mode mode;
	uint64_t gpa, pages;
	uint64_t hva;			/* CV_FAULT_LOOP: the pages' host address */
	_Atomic bool *stop;
	pthread_barrier_t *go;
	uint64_t count;
	double *slices;			/* accesses at the end of each SLICE, or NULL */
	unsigned int nslices;
	int r;
	pthread_t tid;
};

static void cv_slice(struct cv *c, double t0, uint64_t n)
{
	double now = bench_now() - t0;

	while (c->nslices < MAX_SLICES && (c->nslices + 1) * SLICE <= now)
		c->slices[c->nslices++] = (double)n;
}

static void *cv_main(void *arg)
{
	struct cv *c = arg;
	struct vmmu_exit exit;
	uint64_t n = 0;
	double t0;

	pthread_barrier_wait(c->go);
	t0 = bench_now();
	while (!atomic_load_explicit(c->stop, memory_order_relaxed)) {
		for (uint64_t p = 0; p < c->pages; p++) {
			uint64_t v = p;
			int r = vmmu_vcpu_access(c->vcpu, c->gpa + p * BENCH_PAGE, &v, 8,
						 c->mode == CV_READ_HIT ? 0 : VMMU_ACCESS_WRITE,
						 &exit);

			if (r < 0 || (r > 0 && c->mode != CV_READ_HIT)) {
				c->r = r > 0 ? -EIO : r;
				atomic_store(c->stop, true);
				break;
			}
			if (c->slices && !(++n & 63))
				cv_slice(c, t0, n);
		}
		/* Atomic: move_loop() polls it to see that the pages are mapped. */
		__atomic_store_n(&c->count, c->count + c->pages, __ATOMIC_RELAXED);
		if (c->mode == CV_FAULT_LOOP) {
			uint64_t len = c->pages * BENCH_PAGE;

			vmmu_mmu_notifier_invalidate_range_start(c->vm, c->hva, c->hva + len);
			vmmu_mmu_notifier_invalidate_range_end(c->vm, c->hva, c->hva + len);
		}
	}
	return NULL;
}

/* Start @n threads of @cv (each already filled in); they wait on @go. */
static int cv_start(struct cv *cv, unsigned int n, _Atomic bool *stop, pthread_barrier_t *go)
{
	for (unsigned int i = 0; i < n; i++) {
		cv[i].stop = stop;
		cv[i].go = go;
		if (pthread_create(&cv[i].tid, NULL, cv_main, &cv[i])) {
			atomic_store(stop, true);
			return -EAGAIN;
		}
	}
	return 0;
}

static int cv_join(struct cv *cv, unsigned int n)
{
	int r = 0;

	for (unsigned int i = 0; i < n; i++) {
		pthread_join(cv[i].tid, NULL);
		if (cv[i].r && !r)
			r = cv[i].r;
	}
	return r;
}

/* ------------------------------------------------------------------------ */
/* Storms                                                                    */
/* ------------------------------------------------------------------------ */

enum storm_kind {
	STORM_OFF,
	STORM_PAIRS,		/* start+end pairs on random 64 KiB ranges */
	STORM_OVERLAP,		/* brackets open without pause */
};

static void pair(struct vmmu_vm *vm, uint64_t start, uint64_t len)
{
	vmmu_mmu_notifier_invalidate_range_start(vm, start, start + len);
	vmmu_mmu_notifier_invalidate_range_end(vm, start, start + len);
}

static uint64_t rand_range(uint64_t *s, uint64_t base)
{
	return base + rng_below(s, AREA / STORM_RANGE) * STORM_RANGE;
}

/*
 * Run @kind on the 16 MiB at host address @base until *@stop or @secs
 * passed; returns the brackets run.  An overlapping storm opens the next
 * bracket before it ends the previous one, so one is always open.
 */
static uint64_t storm(struct vmmu_vm *vm, enum storm_kind kind, uint64_t base, double secs,
		      _Atomic bool *stop)
{
	uint64_t s = 0x853c49e6748fea9bull, n = 0, prev = 0;
	double t0 = bench_now();

	if (kind == STORM_OVERLAP) {
		prev = rand_range(&s, base);
		vmmu_mmu_notifier_invalidate_range_start(vm, prev, prev + STORM_RANGE);
	}
	do {
		for (int i = 0; i < 64; i++) {
			uint64_t next = rand_range(&s, base);

			if (kind == STORM_PAIRS) {
				pair(vm, next, STORM_RANGE);
			} else if (kind == STORM_OVERLAP) {
				vmmu_mmu_notifier_invalidate_range_start(vm, next,
									 next + STORM_RANGE);
				vmmu_mmu_notifier_invalidate_range_end(vm, prev,
								       prev + STORM_RANGE);
				prev = next;
			}
		}
		if (kind != STORM_OFF)
			n += 64;
	} while (bench_now() - t0 < secs && !atomic_load_explicit(stop, memory_order_relaxed));
	if (kind == STORM_OVERLAP)
		vmmu_mmu_notifier_invalidate_range_end(vm, prev, prev + STORM_RANGE);
	return n;
}

/* Storm progress, for the plot: accesses (or faults) per SLICE, in M/s. */
enum { PROG_SAME_OFF, PROG_SAME_ON, PROG_OTHER_OFF, PROG_OTHER_ON, NR_PROG };
static double prog[NR_PROG][MAX_SLICES];
static unsigned int prog_n[NR_PROG];

size_t bench_churn_progress(unsigned int series, double slice[], size_t max)
{
	size_t n = series < NR_PROG ? prog_n[series] : 0;

	if (n > max)
		n = max;
	for (size_t i = 0; i < n; i++)
		slice[i] = prog[series][i];
	return n;
}

double bench_churn_slice(void)
{
	return SLICE;
}

struct storm_res {
	double rate;		/* vCPU accesses, M/s */
	double inval;		/* brackets, M/s */
	double retry_pct;	/* notifier_retries / (pf_fixed + notifier_retries) */
	double waits;		/* invalidate_waits per fault, % */
};

/*
 * One storm run on the churn VM @e: vCPU 0 in @mode on slot A while the main
 * thread storms @kind on slot @on_b ? B : A, for @secs.  @prog_series >= 0
 * records the progress per slice.
 */
static int storm_run(struct bench_vm *e, enum cv_mode mode, enum storm_kind kind, bool on_b,
		     double secs, int prog_series, struct storm_res *res)
{
	static double slices[MAX_SLICES];
	uint64_t hva_a = (uint64_t)(uintptr_t)e->mem;
	struct cv c = {
		.vm = e->vm, .vcpu = e->vcpu[0], .mode = mode, .gpa = GPA_A,
		.pages = AREA / BENCH_PAGE, .hva = hva_a,
		.slices = prog_series >= 0 ? slices : NULL,
	};
	_Atomic bool stop = false;
	pthread_barrier_t go;
	struct vmmu_stats a = { .size = sizeof(a) }, b = { .size = sizeof(b) };
	uint64_t n;
	double t0, t;
	int r;

	pthread_barrier_init(&go, NULL, 2);
	vmmu_vm_get_stats(e->vm, &a);
	r = cv_start(&c, 1, &stop, &go);
	if (r) {
		pthread_barrier_destroy(&go);
		return r;
	}
	pthread_barrier_wait(&go);
	t0 = bench_now();
	n = storm(e->vm, kind, on_b ? hva_a + AREA : hva_a, secs, &stop);
	atomic_store(&stop, true);
	r = cv_join(&c, 1);
	t = bench_now() - t0;
	vmmu_vm_get_stats(e->vm, &b);
	pthread_barrier_destroy(&go);
	{
		double fixed = (double)(b.pf_fixed - a.pf_fixed);
		double retries = (double)(b.notifier_retries - a.notifier_retries);

		res->rate = c.count / t / 1e6;
		res->inval = n / t / 1e6;
		res->retry_pct = fixed + retries > 0 ? 100 * retries / (fixed + retries) : 0;
		res->waits = fixed > 0 ? 100 * (double)(b.invalidate_waits - a.invalidate_waits) /
			     fixed : 0;
	}
	if (prog_series >= 0) {
		prog_n[prog_series] = c.nslices;
		for (unsigned int i = 0; i < c.nslices; i++)
			prog[prog_series][i] = (slices[i] - (i ? slices[i - 1] : 0)) / SLICE / 1e6;
	}
	return r;
}

/* ------------------------------------------------------------------------ */
/* Cache-line hand-off between two threads                                  */
/* ------------------------------------------------------------------------ */

#define PINGPONG_ROUNDS	20000u

struct pingpong {
	alignas(64) _Atomic uint64_t turn;
	pthread_t tid;
};

/* Wait for @p's turn to be @i; yield now and then, should both share a CPU. */
static void pingpong_wait(struct pingpong *p, uint64_t i)
{
	for (unsigned int spins = 1; atomic_load_explicit(&p->turn, memory_order_acquire) != i;
	     spins++)
		if (!(spins % 1024))
			sched_yield();
}

static void *pingpong_main(void *arg)
{
	struct pingpong *p = arg;

	for (uint64_t i = 1; i < 2 * PINGPONG_ROUNDS; i += 2) {
		pingpong_wait(p, i);
		atomic_store_explicit(&p->turn, i + 1, memory_order_release);
	}
	return NULL;
}

/*
 * ns per one-way hand-off of one line between this thread and another.  The
 * partner first waits (busy) for OVERLAP_SETTLE, as the overlapper does: a
 * new thread starts on its creator's CPU, and until the scheduler moves it
 * the two would time-share one CPU.
 */
static double line_transfer_ns(void)
{
	static struct pingpong p;
	double t0;

	atomic_store(&p.turn, 0);
	if (pthread_create(&p.tid, NULL, pingpong_main, &p))
		return NAN;
	for (t0 = bench_now(); bench_now() - t0 < OVERLAP_SETTLE;)
		sched_yield();
	t0 = bench_now();
	for (uint64_t i = 0; i < 2 * PINGPONG_ROUNDS; i += 2) {
		pingpong_wait(&p, i);
		atomic_store_explicit(&p.turn, i + 1, memory_order_release);
	}
	pingpong_wait(&p, 2 * PINGPONG_ROUNDS);
	pthread_join(p.tid, NULL);
	return (bench_now() - t0) / (2.0 * PINGPONG_ROUNDS) * 1e9;
}

/* ------------------------------------------------------------------------ */
/* Memslot update latency while brackets overlap                            */
/* ------------------------------------------------------------------------ */

struct overlapper {
	struct vmmu_vm *vm;
	uint64_t base;
	_Atomic bool stop;
	_Atomic bool running;
	uint64_t brackets;
	double secs;
	pthread_t tid;
};

static void *overlapper_main(void *arg)
{
	struct overlapper *o = arg;
	double t0 = bench_now();

	atomic_store(&o->running, true);
	o->brackets = storm(o->vm, STORM_OVERLAP, o->base, 1e9, &o->stop);
	o->secs = bench_now() - t0;
	return NULL;
}

/* Median us of @n MOVEs of slot C (away and back: 2 @n updates). */
static double moves_c(struct vmmu_vm *vm, uint8_t *mem_c, unsigned int n, int *err)
{
	struct bench_samples s = { .n = 0 };
	struct bench_fig f;

	for (unsigned int i = 0; i < n && i < BENCH_MAX_SAMPLES / 2; i++) {
		for (int k = 0; k < 2; k++) {
			double t0 = bench_now();
			int r = bench_set_region(vm, 3, 0, k ? GPA_C : GPA_AWAY, SIZE_C, mem_c);

			if (r) {
				*err = r;
				return NAN;
			}
			bench_sample(&s, (bench_now() - t0) * 1e6);
		}
	}
	bench_fig_reduce(&f, s.v, s.n);
	return f.median;
}

/* ------------------------------------------------------------------------ */
/* Post-copy: a memslot update while a vCPU is blocked in a host fault        */
/* ------------------------------------------------------------------------ */

#define PC_GPA_P	(256ull << 20)
#define PC_GPA_B	(PC_GPA_P + (1ull << 20))
#define PC_RESOLVE_AFTER	1.0	/* seconds the resolver waits for the update */

struct pc_updater {
	struct vmmu_vm *vm;
	_Atomic bool done;
	double us;
	int r;
	pthread_t tid;
};

static void *pc_update_main(void *arg)
{
	struct pc_updater *u = arg;
	double t0 = bench_now();

	u->r = bench_set_region(u->vm, 2, 0, PC_GPA_B, 0, NULL);	/* DELETE B */
	u->us = (bench_now() - t0) * 1e6;
	atomic_store(&u->done, true);
	return NULL;
}

static void *pc_reader_main(void *arg)
{
	struct cv *c = arg;
	struct vmmu_exit exit;
	uint64_t v = 0;

	c->r = vmmu_vcpu_access(c->vcpu, PC_GPA_P, &v, 8, 0, &exit);
	c->count = v;
	return NULL;
}

#define PC_PATTERN	0x706f7374636f7079ull

/*
 * One post-copy round: vCPU 0 blocks in a userfaultfd fault, the resolver
 * DELETEs the mapped slot B, waits up to PC_RESOLVE_AFTER for it, then
 * resolves.  *us gets the DELETE's latency, *before whether it completed
 * before the fault was resolved.  Returns 0, 77 when userfaultfd is not
 * available, or -errno.
 */
static int postcopy_round(double *us, bool *before)
{
	struct uffdio_api api = { .api = UFFD_API };
	uint8_t *p = NULL, *bmem = NULL, *src = NULL;
	struct vmmu_vm *vm = NULL;
	struct vmmu_vcpu *vcpu = NULL;
	struct pc_updater u = { .done = false };
	struct cv rd = { .r = 0 };
	struct uffd_msg msg;
	struct pollfd pfd;
	bool reader = false, updater = false;
	int uffd, r;

	uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0)
		return 77;
	if (ioctl(uffd, UFFDIO_API, &api)) {
		close(uffd);
		return 77;
	}
	p = bench_map(1ull << 20);
	bmem = bench_map(1ull << 20);
	src = bench_map(BENCH_PAGE);
	r = p && bmem && src ? 0 : -ENOMEM;
	if (!r) {
		struct uffdio_register reg = {
			.range = { .start = (uint64_t)(uintptr_t)p, .len = 1ull << 20 },
			.mode = UFFDIO_REGISTER_MODE_MISSING,
		};

		if (ioctl(uffd, UFFDIO_REGISTER, &reg))
			r = 77;
	}
	if (!r)
		r = vmmu_vm_create(NULL, &vm);
	if (!r)
		r = bench_set_region(vm, 1, 0, PC_GPA_P, 1ull << 20, p);
	if (!r)
		r = bench_set_region(vm, 2, 0, PC_GPA_B, 1ull << 20, bmem);
	if (!r)
		r = vmmu_vcpu_create(vm, 0, &vcpu);
	/* Map all of B, so that its DELETE zaps present SPTEs and must flush. */
	for (uint64_t off = 0; !r && off < (1ull << 20); off += BENCH_PAGE) {
		struct vmmu_exit exit;
		uint64_t v = 1;

		r = vmmu_vcpu_access(vcpu, PC_GPA_B + off, &v, 8, VMMU_ACCESS_WRITE, &exit);
		if (r > 0)
			r = -EIO;
	}
	if (!r) {
		rd.vcpu = vcpu;
		reader = !pthread_create(&rd.tid, NULL, pc_reader_main, &rd);
		r = reader ? 0 : -EAGAIN;
	}
	/* The fault message means that the vCPU is blocked inside its access. */
	pfd = (struct pollfd){ .fd = uffd, .events = POLLIN };
	if (!r && (poll(&pfd, 1, 5000) != 1 || read(uffd, &msg, sizeof(msg)) != sizeof(msg) ||
		   msg.event != UFFD_EVENT_PAGEFAULT))
		r = -ETIMEDOUT;
	if (!r) {
		double t0 = bench_now();

		u.vm = vm;
		updater = !pthread_create(&u.tid, NULL, pc_update_main, &u);
		r = updater ? 0 : -EAGAIN;
		while (updater && !atomic_load(&u.done) && bench_now() - t0 < PC_RESOLVE_AFTER)
			sched_yield();
		*before = atomic_load(&u.done);
	}
	if (reader) {
		struct uffdio_copy copy = {
			.dst = (uint64_t)(uintptr_t)p, .src = (uint64_t)(uintptr_t)src,
			.len = BENCH_PAGE,
		};

		*(uint64_t *)src = PC_PATTERN;
		if (ioctl(uffd, UFFDIO_COPY, &copy) && !r)
			r = -errno;
		pthread_join(rd.tid, NULL);
		if (!r && (rd.r || rd.count != PC_PATTERN))
			r = rd.r < 0 ? rd.r : -EIO;
	}
	if (updater) {
		pthread_join(u.tid, NULL);
		if (!r)
			r = u.r;
		*us = u.us;
	}
	if (vm)
		vmmu_vm_destroy(vm);
	close(uffd);
	bench_unmap(p, 1ull << 20);
	bench_unmap(bmem, 1ull << 20);
	bench_unmap(src, BENCH_PAGE);
	return r;
}

/* ------------------------------------------------------------------------ */
/* Remote flush against vCPU threads; MOVE of a used and an unused slot      */
/* ------------------------------------------------------------------------ */

#define FL_GPA_U	(256ull << 20)
#define FL_GPA_N	(FL_GPA_U + FLUSH_SLOT)

/*
 * us per MOVE of slot @slot (1: U, read by @nthreads vCPU threads; 2: N,
 * used by nobody while one vCPU thread reads U), away and back.
 */
static double move_loop(struct bench_vm *e, unsigned int nthreads, uint32_t slot, double budget,
			int *err)
{
	struct cv c[BENCH_VM_MAX_VCPUS];
	uint64_t gpa = slot == 1 ? FL_GPA_U : FL_GPA_N, it = 0;
	uint8_t *hva = e->mem + (gpa - FL_GPA_U);
	_Atomic bool stop = false;
	pthread_barrier_t go;
	double t0, t = 0;
	int r;

	memset(c, 0, sizeof(c));
	for (unsigned int i = 0; i < nthreads; i++)
		c[i] = (struct cv){
			.vm = e->vm, .vcpu = e->vcpu[i], .mode = CV_READ_HIT,
			.gpa = FL_GPA_U + (uint64_t)i * HIT_PAGES * BENCH_PAGE, .pages = HIT_PAGES,
		};
	pthread_barrier_init(&go, NULL, nthreads + 1);
	r = cv_start(c, nthreads, &stop, &go);
	if (r) {
		*err = r;
		return NAN;
	}
	pthread_barrier_wait(&go);
	/* Let every thread fault its pages in before the clock starts. */
	for (unsigned int i = 0; i < nthreads; i++)
		while (!atomic_load_explicit(&stop, memory_order_relaxed) &&
		       !__atomic_load_n(&c[i].count, __ATOMIC_RELAXED))
			sched_yield();
	t0 = bench_now();
	while (!r && !atomic_load_explicit(&stop, memory_order_relaxed)) {
		r = bench_set_region(e->vm, slot, 0, GPA_AWAY, FLUSH_SLOT, hva);
		if (!r)
			r = bench_set_region(e->vm, slot, 0, gpa, FLUSH_SLOT, hva);
		it++;
		t = bench_now() - t0;
		if (t >= budget && it >= 4)
			break;
	}
	atomic_store(&stop, true);
	if (cv_join(c, nthreads) && !r)
		r = -EIO;
	pthread_barrier_destroy(&go);
	if (r) {
		*err = r;
		return NAN;
	}
	return t / (2 * it) * 1e6;
}

/* ------------------------------------------------------------------------ */
/* MMIO scatter and the dirty bitmap                                         */
/* ------------------------------------------------------------------------ */

static double rss_mib(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long size = 0, res = 0;

	if (f) {
		if (fscanf(f, "%lu %lu", &size, &res) != 2)
			res = 0;
		fclose(f);
	}
	return (double)res * (double)sysconf(_SC_PAGESIZE) / (1 << 20);
}

struct scatter_res {
	double ns_per_read;
	double max_tables, cap, reclaims, reclaimed, reclaim_zaps, rss_growth;
};

static int mmio_scatter(struct scatter_res *sr)
{
	const struct bench_vm_spec spec = {
		.mem_size = 1ull << 20, .gpa = GPA_A, .slot_size = 1ull << 20, .nr_slots = 1,
		.nr_vcpus = 1,
	};
	uint64_t s = 0x6a09e667f3bcc909ull, max_tables = 0;
	struct vmmu_stats a = { .size = sizeof(a) }, b = { .size = sizeof(b) };
	struct bench_vm e;
	double rss0, t0, t;
	int r = bench_vm_open(&e, &spec);

	if (r)
		return r;
	vmmu_vm_get_stats(e.vm, &a);
	rss0 = rss_mib();
	t0 = bench_now();
	for (uint32_t i = 0; i < SCATTER_READS && !r; i++) {
		uint64_t gpa = rng_below(&s, 1ull << 45) << 3;	/* 8-byte aligned, < 2^48 */
		struct vmmu_exit exit;
		uint64_t v;

		if (gpa >= GPA_A && gpa < GPA_A + (1ull << 20))
			continue;
		r = vmmu_vcpu_access(e.vcpu[0], gpa, &v, 8, 0, &exit);
		r = r == VMMU_EXIT_MMIO ? 0 : r ? r : -EIO;
		if (!(i & 1023)) {
			vmmu_vm_get_stats(e.vm, &b);
			if (b.page_tables > max_tables)
				max_tables = b.page_tables;
		}
	}
	t = bench_now() - t0;
	vmmu_vm_get_stats(e.vm, &b);
	if (b.page_tables > max_tables)
		max_tables = b.page_tables;
	sr->ns_per_read = t / SCATTER_READS * 1e9;
	sr->max_tables = (double)max_tables;
	sr->cap = (double)b.page_table_cap;
	sr->reclaims = (double)(b.page_table_reclaims - a.page_table_reclaims);
	sr->reclaimed = (double)(b.page_tables_reclaimed - a.page_tables_reclaimed);
	sr->reclaim_zaps = (double)(b.page_table_reclaim_zaps - a.page_table_reclaim_zaps);
	sr->rss_growth = rss_mib() - rss0;
	bench_vm_close(&e);
	return r;
}

/* ms for one CREATE of a DIRTY_PAGES slot with dirty logging (then DELETEd). */
static double dirty_create(bool initially_set, int *err)
{
	uint64_t caps = VMMU_DIRTY_LOG_MANUAL_PROTECT_ENABLE |
			(initially_set ? VMMU_DIRTY_LOG_INITIALLY_SET : 0);
	uint8_t *mem = bench_map(DIRTY_PAGES * BENCH_PAGE);
	struct vmmu_vm *vm = NULL;
	double t = NAN, t0;
	int r = mem ? vmmu_vm_create(NULL, &vm) : -ENOMEM;

	if (!r)
		r = vmmu_vm_enable_manual_dirty_log_protect(vm, caps);
	if (!r) {
		t0 = bench_now();
		r = bench_set_region(vm, 1, VMMU_MEM_LOG_DIRTY_PAGES, 1ull << 32,
				     DIRTY_PAGES * BENCH_PAGE, mem);
		t = (bench_now() - t0) * 1e3;
	}
	if (vm)
		vmmu_vm_destroy(vm);
	bench_unmap(mem, DIRTY_PAGES * BENCH_PAGE);
	if (r) {
		*err = r;
		return NAN;
	}
	return t;
}

/* ------------------------------------------------------------------------ */

static struct bench_result *add(const char *series, double x, const char *unit, bool rate,
				const char *name, struct bench_samples *s)
{
	struct bench_result *res = bench_result_add("churn", series, x, unit, rate, "%s", name);

	bench_result_vmmu(res, s);
	return res;
}

static int churn_storms(const struct bench_opts *o)
{
	const struct bench_vm_spec spec = {
		.mem_size = 2 * AREA, .gpa = GPA_A, .slot_size = 2 * AREA, .nr_slots = 2,
		.nr_vcpus = 1,
	};
	struct bench_samples s[14];
	uint8_t *mem_c = bench_map(SIZE_C);
	struct bench_vm e;
	double secs = 2 * o->budget;
	int r = mem_c ? bench_vm_open(&e, &spec) : -ENOMEM;

	if (r) {
		bench_unmap(mem_c, SIZE_C);
		return r;
	}
	memset(s, 0, sizeof(s));
	r = bench_set_region(e.vm, 3, 0, GPA_C, SIZE_C, mem_c);
	/* Untimed: the host allocates A's pages and the vCPU maps them once. */
	if (!r) {
		struct storm_res warm;

		r = storm_run(&e, CV_WRITE_LOOP, STORM_OFF, false, o->budget / 4, -1, &warm);
	}
	for (unsigned int rep = 0; rep < o->reps && !r; rep++) {
		bool last = rep == o->reps - 1;
		struct storm_res sr[5];
		struct overlapper ov = { .vm = e.vm, .base = (uint64_t)(uintptr_t)e.mem + AREA };
		struct vmmu_stats st0, st1;
		double idle, held, busy;

		r = storm_run(&e, CV_WRITE_LOOP, STORM_OFF, false, secs, last ? PROG_SAME_OFF : -1,
			      &sr[0]);
		if (!r)
			r = storm_run(&e, CV_WRITE_LOOP, STORM_PAIRS, false, secs,
				      last ? PROG_SAME_ON : -1, &sr[1]);
		if (!r)
			r = storm_run(&e, CV_FAULT_LOOP, STORM_OFF, true, secs,
				      last ? PROG_OTHER_OFF : -1, &sr[2]);
		if (!r)
			r = storm_run(&e, CV_FAULT_LOOP, STORM_PAIRS, true, secs,
				      last ? PROG_OTHER_ON : -1, &sr[3]);
		if (!r)
			r = storm_run(&e, CV_FAULT_LOOP, STORM_OVERLAP, true, secs, -1, &sr[4]);
		if (r)
			break;
		bench_progress("churn: same slot %.3g -> %.3g M accesses/s (%.3g M pairs/s); other "
			       "slot %.3g -> %.3g M faults/s (%.3g M pairs/s, retries %.3g%%, waits "
			       "%.3g%%); overlapping %.3g M faults/s (%.3g M brackets/s, retries "
			       "%.3g%%, waits %.3g%%)", sr[0].rate, sr[1].rate, sr[1].inval,
			       sr[2].rate, sr[3].rate, sr[3].inval, sr[3].retry_pct, sr[3].waits,
			       sr[4].rate, sr[4].inval, sr[4].retry_pct, sr[4].waits);
		bench_sample(&s[0], sr[0].rate);
		bench_sample(&s[1], sr[1].rate);
		bench_sample(&s[2], sr[1].retry_pct);
		bench_sample(&s[3], sr[2].rate);
		bench_sample(&s[4], sr[3].rate);
		bench_sample(&s[5], sr[3].retry_pct);
		bench_sample(&s[6], sr[4].rate);

		/* The machine's mode, right before the figures that depend on it. */
		bench_sample(&s[10], line_transfer_ns());
		/* Memslot updates: no bracket open, then brackets overlapping on B. */
		idle = moves_c(e.vm, mem_c, 16, &r);
		/* One bracket open before the MOVEs and after them: KVM waits for it. */
		vmmu_mmu_notifier_invalidate_range_start(e.vm, ov.base, ov.base + STORM_RANGE);
		held = r ? NAN : moves_c(e.vm, mem_c, 16, &r);
		vmmu_mmu_notifier_invalidate_range_end(e.vm, ov.base, ov.base + STORM_RANGE);
		if (!r && pthread_create(&ov.tid, NULL, overlapper_main, &ov))
			r = -EAGAIN;
		if (r)
			break;
		while (!atomic_load(&ov.running))
			sched_yield();
		/*
		 * Let the overlapper settle first: a new thread starts on its
		 * creator's CPU, and until the scheduler moves it the MOVEs
		 * would measure time-sharing one CPU (5-13 us) instead of the
		 * protocol (about 1.3 us on 2 CPUs, this machine).
		 */
		for (double t0 = bench_now(); bench_now() - t0 < OVERLAP_SETTLE;)
			sched_yield();
		st0.size = st1.size = sizeof(st0);
		vmmu_vm_get_stats(e.vm, &st0);
		busy = moves_c(e.vm, mem_c, 16, &r);
		vmmu_vm_get_stats(e.vm, &st1);
		atomic_store(&ov.stop, true);
		pthread_join(ov.tid, NULL);
		bench_sample(&s[7], idle);
		bench_sample(&s[8], busy);
		bench_sample(&s[9], ov.brackets ? ov.secs / ov.brackets * 1e6 : NAN);
		bench_sample(&s[11], held);
		bench_sample(&s[12], st1.publish_waits > st0.publish_waits ?
					     (double)(st1.publish_overtaken - st0.publish_overtaken) /
						     (double)(st1.publish_waits - st0.publish_waits) :
					     NAN);
		bench_sample(&s[13], st1.memslot_swaps > st0.memslot_swaps ?
					     100.0 * (double)(st1.publish_waits - st0.publish_waits) /
						     (double)(st1.memslot_swaps - st0.memslot_swaps) :
					     NAN);
	}
	bench_vm_close(&e);
	bench_unmap(mem_c, SIZE_C);
	if (r)
		return r;
	add("", 0, "M/s", true, "storm-same-off-accesses", &s[0]);
	add("", 0, "M/s", true, "storm-same-on-accesses", &s[1]);
	add("", 0, "%", false, "storm-same-retry-rate", &s[2]);
	add("", 0, "M/s", true, "storm-other-off-faults", &s[3]);
	add("", 0, "M/s", true, "storm-other-on-faults", &s[4]);
	add("", 0, "%", false, "storm-other-retry-rate", &s[5]);
	add("", 0, "M/s", true, "overlap-uncovered-faults", &s[6]);
	add("", 0, "us", false, "update-idle", &s[7]);
	add("", 0, "us", false, "update-held", &s[11]);
	add("", 0, "us", false, "update-overlap", &s[8]);
	add("", 0, "us", false, "overlap-step", &s[9]);
	add("", 0, "ns", false, "line-transfer", &s[10]);
	add("", 0, "calls", false, "overlap-overtaken", &s[12]);
	add("", 0, "%", false, "overlap-publish-waits", &s[13]);
	return 0;
}

static int churn_flush(const struct bench_opts *o)
{
	static const unsigned int nthreads[] = { 1, 2, 4, 8 };
	const struct bench_vm_spec spec = {
		.mem_size = 2 * FLUSH_SLOT, .gpa = FL_GPA_U, .slot_size = 2 * FLUSH_SLOT,
		.nr_slots = 2, .nr_vcpus = BENCH_VM_MAX_VCPUS,
	};
	struct bench_samples s[5];
	struct bench_vm e;
	int r = bench_vm_open(&e, &spec);

	_Static_assert(8 * HIT_PAGES * BENCH_PAGE <= FLUSH_SLOT, "8 threads fit in slot U");
	if (r)
		return r;
	memset(s, 0, sizeof(s));
	for (unsigned int rep = 0; rep < o->reps && !r; rep++) {
		/* The goal's pair back to back: one vCPU thread, U used, N not. */
		bench_sample(&s[0], move_loop(&e, 1, 2, o->budget, &r));
		for (size_t i = 0; i < 4 && !r; i++)
			bench_sample(&s[1 + i], move_loop(&e, nthreads[i], 1, o->budget, &r));
	}
	bench_vm_close(&e);
	if (r)
		return r;
	add("", 1, "us", false, "move-unused@1", &s[0]);
	for (size_t i = 0; i < 4; i++) {
		char name[32];

		snprintf(name, sizeof(name), "move-used@%u", nthreads[i]);
		add("move-used", nthreads[i], "us", false, name, &s[1 + i]);
	}
	return 0;
}

int bench_churn(const struct bench_opts *o)
{
	struct bench_samples pc = { .n = 0 }, pcb = { .n = 0 }, dp = { .n = 0 },
			     di = { .n = 0 };
	struct scatter_res sr;
	int r, rr = 0;

	r = churn_storms(o);
	if (r) {
		bench_progress("churn: storms failed: %s", vmmu_strerror(r));
		rr = r;
	}
	bench_progress("churn: storms done");
	r = churn_flush(o);
	if (r) {
		bench_progress("churn: flush cases failed: %s", vmmu_strerror(r));
		rr = r;
	}
	bench_progress("churn: flush cases done");

	for (unsigned int rep = 0; rep < o->reps; rep++) {
		double us = NAN;
		bool before = false;

		r = postcopy_round(&us, &before);
		if (r)
			break;
		bench_sample(&pc, us);
		bench_sample(&pcb, before ? 1 : 0);
	}
	if (r == 77) {
		bench_info("churn", "postcopy-update: userfaultfd unavailable", 1, "");
	} else if (r) {
		bench_progress("churn: post-copy case failed: %s", vmmu_strerror(r));
		rr = r;
	} else {
		double before = 0;

		for (unsigned int i = 0; i < pcb.n; i++)
			before += pcb.v[i];
		add("", 0, "us", false, "postcopy-update", &pc);
		bench_info("churn", "postcopy-update: rounds", pcb.n, "");
		bench_info("churn", "postcopy-update: done before UFFDIO_COPY", before, "");
	}

	r = mmio_scatter(&sr);
	if (r) {
		bench_progress("churn: mmio-scatter failed: %s", vmmu_strerror(r));
		rr = r;
	} else {
		struct bench_samples s = { .n = 0 };

		bench_sample(&s, sr.ns_per_read);
		add("", 0, "ns", false, "mmio-scatter-read", &s);
		bench_info("churn", "mmio-scatter: reads", SCATTER_READS, "");
		bench_info("churn", "mmio-scatter: page tables, most seen", sr.max_tables, "");
		bench_info("churn", "mmio-scatter: page-table cap", sr.cap, "");
		bench_info("churn", "mmio-scatter: reclaims", sr.reclaims, "");
		bench_info("churn", "mmio-scatter: tables reclaimed", sr.reclaimed, "");
		bench_info("churn", "mmio-scatter: reclaims that zapped all", sr.reclaim_zaps, "");
		bench_info("churn", "mmio-scatter: RSS growth", sr.rss_growth, "MiB");
	}

	r = 0;
	for (unsigned int rep = 0; rep < o->reps && !r; rep++) {
		bench_sample(&dp, dirty_create(false, &r));
		if (!r)
			bench_sample(&di, dirty_create(true, &r));
	}
	if (r) {
		bench_progress("churn: dirty-create failed: %s", vmmu_strerror(r));
		rr = r;
	} else {
		add("", 0, "ms", false, "dirty-create-plain", &dp);
		add("", 0, "ms", false, "dirty-create-initially-set", &di);
		bench_info("churn", "dirty-create: pages in the slot", (double)DIRTY_PAGES, "");
	}
	bench_print_suite("churn", "vCPUs under host churn: storms, overlapping brackets, "
			  "memslot updates, post-copy, flush vs vCPU threads, MMIO scatter, "
			  "INITIALLY_SET");
	return rr;
}
