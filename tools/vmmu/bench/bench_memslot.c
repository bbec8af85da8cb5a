// SPDX-License-Identifier: MIT
/*
 * vmmu bench, memslot suite: the cases of KVM's memslot_perf_test
 * (KVM selftest memslot_perf_test), run with the same slot layout on vmmu and on /dev/kvm.
 *
 * Layout: guest memory of MEM_SIZE (512 MiB + 64 KiB) at MEM_GPA (256 MiB),
 * split evenly over slots 1..N, the remainder pages going to the last slot;
 * the test area starts 64 KiB in.  Slot 0 is the KVM guest's (its code,
 * mailbox and page tables), as the framework's slot 0 in the selftest; vmmu gets no
 * slot 0, so both sides have N slots over the test memory.  The map case
 * uses 32 MiB + 64 KiB split over at most MAP_MAX_SLOTS slots.
 *
 * Cases (time per iteration):
 *   setup          create the N slots (also reported per slot)
 *   map            guest writes every page of one 16 MiB half (faulting it
 *                  in) while the host MADV_DONTNEEDs the other half
 *   unmap          guest touches one page of a 64 MiB half, the host unmaps
 *                  the half in 4 KiB chunks (the notifier's hva->slot walk)
 *   unmap-chunked  the same in 2 MiB chunks
 *   move-active    the host moves the last slot away and back while the
 *                  guest loops over 192 KiB, half of it in that slot
 *   move-inactive  the same with the guest's area outside the slot
 *   rw             host writes the middle of every page, guest reads and
 *                  checks each, writes back, host checks (512 MiB)
 *
 * The vmmu "guest" is a thread calling vmmu_vcpu_access(); the host side
 * brackets each madvise(MADV_DONTNEED) with vmmu's invalidate_range_start
 * and _end, as Linux's mm calls KVM's notifier around it.  The KVM guest
 * (bench_kvm.h) is the flat one for the map layout (fault-bound) and the
 * native one for the main layout (rw is access-bound; unmap and move are
 * host-bound).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vmmu.h"
#include "bench.h"
#include "bench_kvm.h"

#define MEM_GPA			(256ull << 20)
#define MEM_EXTRA		(64ull << 10)
#define MEM_SIZE		((512ull << 20) + MEM_EXTRA)
#define MEM_SIZE_MAP		((32ull << 20) + MEM_EXTRA)
#define TEST_GPA		(MEM_GPA + MEM_EXTRA)
#define MAP_AREA		(32ull << 20)
#define UNMAP_AREA		(128ull << 20)
#define UNMAP_CHUNK		(2ull << 20)
#define MOVE_AREA		(192ull << 10)
#define RW_AREA			(512ull << 20)
#define RW_OFFSET		2048u
#define MAP_MAX_SLOTS		8194u	/* the selftest's limit for its map case */
#define KVM_MAX_TEST_SLOTS	32763u	/* KVM_CAP_NR_MEMSLOTS - 1 (slot 0: the guest) */

enum ms_case {
	MS_MAP,
	MS_UNMAP,
	MS_UNMAP_CHUNKED,
	MS_MOVE_ACTIVE,
	MS_MOVE_INACTIVE,
	MS_RW,
	NR_MS_CASES
};

static const char *const ms_case_name[NR_MS_CASES] = {
	[MS_MAP] = "map",
	[MS_UNMAP] = "unmap",
	[MS_UNMAP_CHUNKED] = "unmap-chunked",
	[MS_MOVE_ACTIVE] = "move-active",
	[MS_MOVE_INACTIVE] = "move-inactive",
	[MS_RW] = "rw",
};

/* One side: a VM with its guest and the host memory behind its slots. */
struct ms_env {
	struct bkvm *k;			/* KVM side, or */
	struct vmmu_vm *vm;		/* vmmu side */
	struct vmmu_vcpu *vcpu;
	struct bench_guest *guest;
	uint8_t *mem;
	uint64_t mem_size;
	uint32_t nslots;
	uint64_t slot_pages;		/* pages per slot but the last */
	uint64_t last_pages;
	bool bare_unmap;		/* vmmu: madvise without the notifier (baseline) */
	bool rw_warm;			/* the RW area has been faulted in */
};

static int env_open(struct ms_env *e, bool kvm, uint64_t mem_size, enum bkvm_mode mode)
{
	int r;

	memset(e, 0, sizeof(*e));
	e->mem_size = mem_size;
	e->mem = bench_map(mem_size);
	if (!e->mem)
		return -ENOMEM;
	if (kvm) {
		r = bkvm_open(&e->k, mode);
		if (r)
			goto fail;
		e->guest = e->k->guest;
		return 0;
	}
	r = vmmu_vm_create(NULL, &e->vm);
	if (r)
		goto fail;
	r = vmmu_vcpu_create(e->vm, 0, &e->vcpu);
	if (r)
		goto fail;
	r = bench_guest_start(&e->guest, &bench_vmmu_guest_ops, e->vcpu);
	if (r)
		goto fail;
	return 0;
fail:
	if (e->vm)
		vmmu_vm_destroy(e->vm);
	bench_unmap(e->mem, mem_size);
	memset(e, 0, sizeof(*e));
	return r;
}

static void env_close(struct ms_env *e)
{
	if (e->k) {
		bkvm_close(e->k);
	} else if (e->vm) {
		bench_guest_end(e->guest);
		vmmu_vm_destroy(e->vm);
	}
	bench_unmap(e->mem, e->mem_size);
	memset(e, 0, sizeof(*e));
}

static int env_set_region(struct ms_env *e, uint32_t slot, uint64_t gpa, uint64_t size,
			  const void *hva)
{
	if (e->k)
		return bkvm_set_region(e->k, slot, 0, gpa, size, hva);
	return bench_set_region(e->vm, slot, 0, gpa, size, hva);
}

/* The host drops memory behind guest RAM, as memslot_perf_test does. */
static void env_unmap(struct ms_env *e, uint8_t *hva, uint64_t len)
{
	uint64_t start = (uint64_t)(uintptr_t)hva;
	bool notify = e->vm && !e->bare_unmap;

	if (notify)
		vmmu_mmu_notifier_invalidate_range_start(e->vm, start, start + len);
	madvise(hva, len, MADV_DONTNEED);
	if (notify)
		vmmu_mmu_notifier_invalidate_range_end(e->vm, start, start + len);
}

static uint64_t slot_gpa(const struct ms_env *e, uint32_t i)
{
	return MEM_GPA + (uint64_t)(i - 1) * e->slot_pages * BENCH_PAGE;
}

/* Create slots 1..@n over the env's memory; returns seconds or -errno. */
static double env_create_slots(struct ms_env *e, uint32_t n)
{
	uint64_t pages = e->mem_size / BENCH_PAGE;
	double t0, t1;

	e->nslots = n;
	e->slot_pages = pages / n;
	e->last_pages = e->slot_pages + pages % n;
	t0 = bench_now();
	for (uint32_t i = 1; i <= n; i++) {
		uint64_t np = i == n ? e->last_pages : e->slot_pages;
		uint64_t off = (uint64_t)(i - 1) * e->slot_pages * BENCH_PAGE;
		int r = env_set_region(e, i, MEM_GPA + off, np * BENCH_PAGE, e->mem + off);

		if (r)
			return r;
	}
	t1 = bench_now();
	return t1 - t0;
}

static int guest_do(struct ms_env *e, const struct bench_gcmd *c)
{
	bench_guest_post(e->guest, c);
	return bench_guest_wait(e->guest);
}

static uint8_t *gpa_to_hva(const struct ms_env *e, uint64_t gpa)
{
	return e->mem + (gpa - MEM_GPA);
}

/*
 * Run @c for at least @budget seconds (and at least @min_iters iterations);
 * each iteration is one call of the case body.  *per_iter gets seconds per
 * iteration.
 */
struct ms_result {
	double per_iter;
	uint64_t iters;
	uint64_t errors;
};

static int case_map(struct ms_env *e, double budget, struct ms_result *res)
{
	uint64_t half = MAP_AREA / 2;
	double t0 = 0, t;
	int r = 0;

	for (uint64_t it = 0;; it++) {
		unsigned int h = it & 1;
		struct bench_gcmd c = {
			.write = true, .len = 8, .gpa = TEST_GPA + h * half,
			.count = half / BENCH_PAGE, .stride = BENCH_PAGE, .value = it,
		};

		if (it == 1)
			t0 = bench_now();	/* iteration 0 faulted in half 0 untimed */
		bench_guest_post(e->guest, &c);
		env_unmap(e, gpa_to_hva(e, TEST_GPA + (h ^ 1) * half), half);
		r = bench_guest_wait(e->guest);
		if (r)
			return r;
		if (it >= 2 && !(it & 1)) {
			t = bench_now() - t0;
			if (t >= budget) {
				res->iters = it;
				res->per_iter = t / it;
				return 0;
			}
		}
	}
}

/*
 * The floor under map for any MMU: the same two threads and the same
 * hand-off as case_map(), but the "guest" stores into the host pages
 * directly (the kernel allocates and zeroes them) and the host's madvise()
 * runs without the notifier.  What is left above it is the MMU's work.
 *
 * A second floor makes each store in a called function, as any MMU
 * library makes the guest's stores (vmmu_vcpu_access() is a call).  On
 * some hosts a page fault taken inside a callee costs much more than one
 * taken in the loop itself (measured here: about 0.4 us more per fault in
 * this nested VM, with no MMU at all); this floor shows that part of
 * map's excess over the first apart from the MMU's work.
 */
static __attribute__((noinline)) void host_store_called(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
	__asm__ volatile("" ::: "memory");
}

/* @called is a constant at each call: the inline floor keeps its plain loop. */
static inline int host_guest_stores(const struct ms_env *e, const struct bench_gcmd *c,
				    uint64_t *passes, bool called)
{
	for (uint64_t i = 0; i < c->count; i++) {
		uint64_t *p = (uint64_t *)gpa_to_hva(e, c->gpa + i * c->stride);

		if (called)
			host_store_called(p, c->value);
		else
			__atomic_store_n(p, c->value, __ATOMIC_RELAXED);
	}
	(*passes)++;
	return 0;
}

static int host_guest_run(void *ctx, const struct bench_gcmd *c, const _Atomic bool *stop,
			  uint64_t *mismatches, uint64_t *mmio_exits, uint64_t *passes)
{
	(void)stop;
	(void)mismatches;
	(void)mmio_exits;
	return host_guest_stores(ctx, c, passes, false);
}

static int host_guest_run_called(void *ctx, const struct bench_gcmd *c, const _Atomic bool *stop,
				 uint64_t *mismatches, uint64_t *mmio_exits, uint64_t *passes)
{
	(void)stop;
	(void)mismatches;
	(void)mmio_exits;
	return host_guest_stores(ctx, c, passes, true);
}

static const struct bench_guest_ops host_guest_ops = { .run = host_guest_run };
static const struct bench_guest_ops host_guest_called_ops = { .run = host_guest_run_called };

static double map_floor_ops(struct ms_env *e, double budget, const struct bench_guest_ops *ops)
{
	struct bench_guest *vmmu_guest = e->guest, *g;
	struct ms_result res;
	int r = bench_guest_start(&g, ops, e);

	if (r)
		return r;
	e->guest = g;
	e->bare_unmap = true;
	r = case_map(e, budget, &res);
	e->bare_unmap = false;
	e->guest = vmmu_guest;
	bench_guest_end(g);
	return r ? r : res.per_iter;
}

static double map_floor(struct ms_env *e, double budget)
{
	return map_floor_ops(e, budget, &host_guest_ops);
}

static int case_unmap(struct ms_env *e, double budget, uint64_t chunk, struct ms_result *res)
{
	uint64_t half = UNMAP_AREA / 2;
	double t0 = bench_now(), t;

	for (uint64_t it = 1;; it++) {
		unsigned int h = it & 1;
		struct bench_gcmd c = {
			.write = true, .len = 8, .gpa = TEST_GPA + h * half, .count = 1,
			.value = it,
		};
		uint8_t *hva = gpa_to_hva(e, TEST_GPA + h * half);
		int r = guest_do(e, &c);

		if (r)
			return r;
		for (uint64_t off = 0; off < half; off += chunk)
			env_unmap(e, hva + off, chunk);
		t = bench_now() - t0;
		if (t >= budget && !(it & 1)) {
			res->iters = it;
			res->per_iter = t / it;
			return 0;
		}
	}
}

static int case_move(struct ms_env *e, double budget, bool active, struct ms_result *res)
{
	uint32_t last = e->nslots;
	uint64_t src = slot_gpa(e, last), dst = MEM_GPA + e->mem_size;
	uint64_t size = e->last_pages * BENCH_PAGE;
	uint8_t *hva = gpa_to_hva(e, src);
	struct bench_gcmd c = {
		.write = true, .len = 8,
		.gpa = active ? src - MOVE_AREA / 2 : src - MOVE_AREA,
		.count = MOVE_AREA / BENCH_PAGE, .stride = BENCH_PAGE, .loop = true,
	};
	uint64_t it = 0;
	double t0, t;
	int r = 0;

	if (size < MOVE_AREA / 2 || c.gpa < TEST_GPA)
		return -EINVAL;
	/* Fault the area in first, so the loop measures the moves. */
	c.loop = false;
	r = guest_do(e, &c);
	if (r)
		return r;
	c.loop = true;
	bench_guest_post(e->guest, &c);
	t0 = bench_now();
	for (;;) {
		r = env_set_region(e, last, dst, size, hva);
		if (!r)
			r = env_set_region(e, last, src, size, hva);
		if (r)
			break;
		it++;
		t = bench_now() - t0;
		if (t >= budget && it >= 2) {
			res->iters = it;
			res->per_iter = t / it;
			break;
		}
	}
	bench_guest_stop_loop(e->guest);
	if (bench_guest_wait(e->guest) && !r)
		r = -EIO;
	return r;
}

/* One RW iteration: host writes, guest checks and writes back, host checks. */
static int rw_iter(struct ms_env *e, uint64_t it, uint64_t *errors)
{
	uint64_t pages = RW_AREA / BENCH_PAGE;
	uint8_t *base = gpa_to_hva(e, TEST_GPA);
	uint32_t v = (uint32_t)(it * 0x9e3779b1u) | 1;
	struct bench_gcmd rd = {
		.len = 4, .gpa = TEST_GPA + RW_OFFSET, .count = pages,
		.stride = BENCH_PAGE, .value = v, .verify = true,
	};
	struct bench_gcmd wr = rd;
	int r;

	wr.write = true;
	wr.verify = false;
	wr.value = ~v;
	for (uint64_t p = 0; p < pages; p++)
		__atomic_store_n((uint32_t *)(base + p * BENCH_PAGE + RW_OFFSET), v,
				 __ATOMIC_RELAXED);
	r = guest_do(e, &rd);
	if (!r)
		r = guest_do(e, &wr);
	if (r)
		return r;
	for (uint64_t p = 0; p < pages; p++)
		if (__atomic_load_n((uint32_t *)(base + p * BENCH_PAGE + RW_OFFSET),
				    __ATOMIC_RELAXED) != ~v)
			(*errors)++;
	return 0;
}

/*
 * The first iteration on a fresh env faults every page in (and allocates
 * the host pages); it runs untimed, so the figure is the steady state on
 * both sides.
 */
static int case_rw(struct ms_env *e, double budget, struct ms_result *res)
{
	uint64_t m0 = bench_guest_mismatches(e->guest);
	double t0, t;
	int r;

	if (!e->rw_warm) {
		r = rw_iter(e, 0, &res->errors);
		if (r)
			return r;
		e->rw_warm = true;
	}
	t0 = bench_now();
	for (uint64_t it = 1;; it++) {
		r = rw_iter(e, it, &res->errors);
		if (r)
			return r;
		t = bench_now() - t0;
		if (t >= budget) {
			res->iters = it;
			res->per_iter = t / it;
			res->errors += bench_guest_mismatches(e->guest) - m0;
			return 0;
		}
	}
}

static int run_case(struct ms_env *e, enum ms_case c, double budget, struct ms_result *res)
{
	memset(res, 0, sizeof(*res));
	switch (c) {
	case MS_MAP:
		return case_map(e, budget, res);
	case MS_UNMAP:
		return case_unmap(e, budget, BENCH_PAGE, res);
	case MS_UNMAP_CHUNKED:
		return case_unmap(e, budget, UNMAP_CHUNK, res);
	case MS_MOVE_ACTIVE:
		return case_move(e, budget, true, res);
	case MS_MOVE_INACTIVE:
		return case_move(e, budget, false, res);
	case MS_RW:
		return case_rw(e, budget, res);
	default:
		return -EINVAL;
	}
}

/* ------------------------------------------------------------------------ */
/* The KVM worker's side: one env, driven by requests                       */
/* ------------------------------------------------------------------------ */

static struct ms_env kvm_env;

/* a[0] = memory size, a[1] = slots, a[2] = guest mode.  v[0] = setup seconds. */
static int kvm_ms_setup(const int64_t *a, double *v)
{
	double t;
	int r;

	env_close(&kvm_env);
	r = env_open(&kvm_env, true, (uint64_t)a[0], (enum bkvm_mode)a[2]);
	if (r)
		return r;
	t = env_create_slots(&kvm_env, (uint32_t)a[1]);
	if (t < 0) {
		env_close(&kvm_env);
		return (int)t;
	}
	v[0] = t;
	return 0;
}

/* a[0] = case, a[1] = budget in microseconds.  v = per_iter, iters, errors. */
static int kvm_ms_run(const int64_t *a, double *v)
{
	struct ms_result res;
	int r;

	if (!kvm_env.k)
		return -ENODEV;
	r = run_case(&kvm_env, (enum ms_case)a[0], a[1] / 1e6, &res);
	v[0] = res.per_iter;
	v[1] = (double)res.iters;
	v[2] = (double)res.errors;
	return r;
}

static int kvm_ms_close(const int64_t *a, double *v)
{
	(void)a;
	(void)v;
	env_close(&kvm_env);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* The driver                                                                */
/* ------------------------------------------------------------------------ */

struct ms_side {
	struct ms_env env;	/* vmmu (parent) */
	bool kvm_ok;		/* the worker has an env */
	bool floors;		/* also sample each case's host-only floor */
};

static double rw_floor(struct ms_env *e, double budget);
static double map_floor(struct ms_env *e, double budget);

/*
 * The host-only floor of case @c, in seconds per iteration, or a negative
 * value: the same host work without the MMU (map: host stores instead of
 * the guest; unmap: madvise without the notifier; rw: the host's own
 * passes).  Sampled right after the case's vmmu sample of the same
 * repetition, so that both see the same machine.
 */
static double case_floor(struct ms_env *e, enum ms_case c, double budget)
{
	struct ms_result mr;
	int r;

	switch (c) {
	case MS_MAP:
		return map_floor(e, budget);
	case MS_UNMAP:
	case MS_UNMAP_CHUNKED:
		e->bare_unmap = true;
		r = run_case(e, c, budget, &mr);
		e->bare_unmap = false;
		return r ? r : mr.per_iter;
	case MS_RW:
		return rw_floor(e, budget);
	default:
		return -EINVAL;
	}
}

static const char *const floor_name[NR_MS_CASES] = {
	[MS_MAP] = "host-only floor (no MMU)",
	[MS_UNMAP] = "madvise only (no notifier)",
	[MS_UNMAP_CHUNKED] = "madvise only (no notifier)",
	[MS_RW] = "host-only floor (no guest)",
};

static void kvm_close_env(void)
{
	if (bench_worker_alive())
		bench_worker_call(kvm_ms_close, NULL, NULL);
}

/*
 * Set both sides up @reps times (interleaved) with @n slots over @mem
 * bytes, recording the setup times when @rec; both envs stay open.
 */
static int setup_both(struct ms_side *s, uint64_t mem, uint32_t n, unsigned int reps,
		      struct bench_samples *sv, struct bench_samples *sk, bool kvm)
{
	for (unsigned int rep = 0; rep < reps; rep++) {
		int64_t a[BENCH_WORKER_ARGS] = {
			(int64_t)mem, n, mem == MEM_SIZE ? BKVM_NATIVE : BKVM_FLAT,
		};
		double v[BENCH_WORKER_ARGS];
		double t;
		int r;

		s->kvm_ok = false;
		if (kvm && bench_worker_alive()) {
			r = bench_worker_call(kvm_ms_setup, a, v);
			if (!r) {
				s->kvm_ok = true;
				if (sk)
					bench_sample(sk, v[0]);
			} else {
				bench_progress("memslot: KVM setup of %u slots failed: %s", n,
					       strerror(-r));
			}
		}
		env_close(&s->env);
		r = env_open(&s->env, false, mem, BKVM_FLAT);
		if (r)
			return r;
		t = env_create_slots(&s->env, n);
		if (t < 0)
			return (int)t;
		if (sv)
			bench_sample(sv, t);
	}
	return 0;
}

/* The median of a floor's samples, as the info line "CASE@N @name". */
static void floor_info(struct bench_samples *s, enum ms_case c, uint32_t n,
		       const char *name)
{
	struct bench_fig f;
	char key[96];

	if (!s->n)
		return;
	bench_fig_reduce(&f, s->v, s->n);
	snprintf(key, sizeof(key), "%s@%u %s", ms_case_name[c], n, name);
	bench_info("memslot", key, f.median, "ms");
}

static void run_interleaved(struct ms_side *s, enum ms_case c, uint32_t n,
			    const struct bench_opts *o)
{
	struct bench_samples sv = { .n = 0 }, sk = { .n = 0 }, sf = { .n = 0 }, sc = { .n = 0 };
	struct bench_result *res;
	uint64_t verrors = 0, kerrors = 0;
	bool floor = s->floors && floor_name[c];

	res = bench_result_add("memslot", ms_case_name[c], n, "ms", false, "%s@%u",
			       ms_case_name[c], n);
	for (unsigned int rep = 0; rep < o->reps; rep++) {
		struct ms_result mr;
		int r;

		if (s->kvm_ok && bench_worker_alive()) {
			int64_t a[BENCH_WORKER_ARGS] = { c, (int64_t)(o->budget * 1e6) };
			double v[BENCH_WORKER_ARGS];

			r = bench_worker_call(kvm_ms_run, a, v);
			if (!r) {
				bench_sample(&sk, v[0] * 1e3);
				kerrors += (uint64_t)v[2];
			} else {
				bench_progress("memslot: KVM %s@%u failed: %s", ms_case_name[c], n,
					       strerror(-r));
				s->kvm_ok = false;
			}
		}
		r = run_case(&s->env, c, o->budget, &mr);
		if (!r) {
			bench_sample(&sv, mr.per_iter * 1e3);
			verrors += mr.errors;
		} else {
			bench_progress("memslot: vmmu %s@%u failed: %s", ms_case_name[c], n,
				       vmmu_strerror(r));
		}
		if (floor) {
			double x = case_floor(&s->env, c, o->budget);

			if (x > 0)
				bench_sample(&sf, x * 1e3);
			if (c == MS_MAP) {
				x = map_floor_ops(&s->env, o->budget, &host_guest_called_ops);
				if (x > 0)
					bench_sample(&sc, x * 1e3);
			}
		}
	}
	floor_info(&sc, c, n, MAP_FLOOR_CALLED);
	if (floor)
		floor_info(&sf, c, n, floor_name[c]);
	bench_result_vmmu(res, &sv);
	bench_result_kvm(res, &sk);
	if (verrors || kerrors) {
		snprintf(res->note, sizeof(res->note), "data errors: vmmu %" PRIu64 ", KVM %" PRIu64,
			 verrors, kerrors);
		if (verrors)
			res->vmmu.state = SIDE_FAILED;
	}
	bench_progress("memslot: %-14s %5u slots: vmmu %.4g ms, KVM %s", ms_case_name[c], n,
		       res->vmmu.fig.median, res->kvm.state == SIDE_OK ? "ok" : "-");
}

/* The floor under rw for any MMU: the host's own write and check passes. */
static double rw_floor(struct ms_env *e, double budget)
{
	uint64_t pages = RW_AREA / BENCH_PAGE, it, bad = 0;
	uint8_t *base = gpa_to_hva(e, TEST_GPA);
	double t0 = bench_now(), t;

	for (it = 1;; it++) {
		uint32_t v = (uint32_t)it;

		for (uint64_t p = 0; p < pages; p++)
			__atomic_store_n((uint32_t *)(base + p * BENCH_PAGE + RW_OFFSET), v,
					 __ATOMIC_RELAXED);
		for (uint64_t p = 0; p < pages; p++)
			bad += __atomic_load_n((uint32_t *)(base + p * BENCH_PAGE + RW_OFFSET),
					       __ATOMIC_RELAXED) != v;
		t = bench_now() - t0;
		if (t >= budget)
			return bad ? -1 : t / it;
	}
}

static void memslot_goals(const uint32_t *counts, size_t nc, bool quick)
{
	uint32_t top = counts[nc - 1], base = counts[0];
	const char *names[NR_MS_CASES + 1];
	size_t nn = 0;

	for (size_t i = 0; i < nc; i++)
		if (counts[i] == 100)
			base = 100;
	names[nn++] = "setup-per-slot";
	for (int c = 0; c < NR_MS_CASES; c++)
		names[nn++] = ms_case_name[c];

	for (size_t i = 0; i < nn; i++) {
		uint32_t t = top, b = base;
		struct bench_result *rt, *rb;
		char goal[64];

		if (!strcmp(names[i], "map")) {
			t = top < MAP_MAX_SLOTS ? top : MAP_MAX_SLOTS;
			b = base < MAP_MAX_SLOTS ? base : MAP_MAX_SLOTS;
		}
		rt = bench_result_find("memslot", "%s@%u", names[i], t);
		rb = bench_result_find("memslot", "%s@%u", names[i], b);
		if (!rt || rt->vmmu.state != SIDE_OK)
			continue;
		snprintf(goal, sizeof(goal), "%s-5x-kvm@%u", names[i], t);
		if (rt->kvm.state == SIDE_OK) {
			double speedup = rt->kvm.fig.median / rt->vmmu.fig.median;
			char how[48];

			if (speedup >= 5)
				snprintf(how, sizeof(how), "met");
			else
				snprintf(how, sizeof(how), "missed by a factor of %.2f", 5 / speedup);
			bench_goal("memslot", goal, speedup >= 5, speedup, 5,
				   "%s at %u slots: vmmu %.4g %s, KVM %.4g %s: vmmu %.2fx faster "
				   "(target 5x: %s; on the minima %.2fx)", names[i], t,
				   rt->vmmu.fig.median, rt->unit, rt->kvm.fig.median, rt->unit, speedup,
				   how, rt->kvm.fig.min / rt->vmmu.fig.min);
		} else {
			bench_goal("memslot", goal, false, NAN, 5, "%s at %u slots: no KVM figure (%s)",
				   names[i], t, rt->note[0] ? rt->note : bench_worker_why());
		}
		if (!rb || rb->vmmu.state != SIDE_OK || b == t)
			continue;
		snprintf(goal, sizeof(goal), "%s-scaling-%u/%u", names[i], t, b);
		{
			double growth = rt->vmmu.fig.median / rb->vmmu.fig.median;

			bench_goal("memslot", goal, growth <= 2, growth, 2,
				   "vmmu %s: %.4g %s at %u slots vs %.4g at %u: x%.2f (limit x2; on "
				   "the minima x%.2f)%s", names[i], rt->vmmu.fig.median, rt->unit, t,
				   rb->vmmu.fig.median, b, growth, rt->vmmu.fig.min / rb->vmmu.fig.min,
				   quick && b != 100 ? " [quick: base is not 100 slots]" : "");
		}
	}
}

int bench_memslot(const struct bench_opts *o)
{
	static const uint32_t full[] = { 10, 100, 509, 4096, KVM_MAX_TEST_SLOTS };
	static const uint32_t quick[] = { 10, 509 };
	const uint32_t *counts = o->nr_slots ? o->slots : o->quick ? quick : full;
	size_t nc = o->nr_slots ? o->nr_slots : o->quick ? sizeof(quick) / sizeof(quick[0]) :
		    sizeof(full) / sizeof(full[0]);
	bool kvm = bench_worker_alive();
	struct ms_side s;
	int r = 0;

	memset(&s, 0, sizeof(s));
	for (size_t i = 0; i < nc; i++) {
		uint32_t n = counts[i];
		uint32_t nmap = n < MAP_MAX_SLOTS ? n : MAP_MAX_SLOTS;
		struct bench_samples sv = { .n = 0 }, sk = { .n = 0 };
		struct bench_samples pv = { .n = 0 }, pk = { .n = 0 };
		struct bench_result *res, *per;

		bench_progress("memslot: %u slots", n);
		r = setup_both(&s, MEM_SIZE, n, o->reps, &sv, &sk, kvm);
		if (r) {
			bench_progress("memslot: vmmu setup of %u slots failed: %s", n,
				       vmmu_strerror(r));
			break;
		}
		for (unsigned int k = 0; k < sv.n; k++)
			bench_sample(&pv, sv.v[k] * 1e6 / n);
		for (unsigned int k = 0; k < sk.n; k++)
			bench_sample(&pk, sk.v[k] * 1e6 / n);
		for (unsigned int k = 0; k < sv.n; k++)
			sv.v[k] *= 1e3;
		for (unsigned int k = 0; k < sk.n; k++)
			sk.v[k] *= 1e3;
		res = bench_result_add("memslot", "setup", n, "ms", false, "setup@%u", n);
		bench_result_vmmu(res, &sv);
		bench_result_kvm(res, &sk);
		per = bench_result_add("memslot", "setup-per-slot", n, "us", false,
				       "setup-per-slot@%u", n);
		bench_result_vmmu(per, &pv);
		bench_result_kvm(per, &pk);

		s.floors = i == nc - 1;
		for (int c = MS_UNMAP; c < NR_MS_CASES; c++)
			run_interleaved(&s, (enum ms_case)c, n, o);
		kvm_close_env();
		env_close(&s.env);

		/* The map case has its own, smaller layout. */
		if (i > 0 && nmap == (counts[i - 1] < MAP_MAX_SLOTS ? counts[i - 1] : MAP_MAX_SLOTS))
			continue;
		r = setup_both(&s, MEM_SIZE_MAP, nmap, 1, NULL, NULL, kvm);
		if (r)
			break;
		run_interleaved(&s, MS_MAP, nmap, o);
		kvm_close_env();
		env_close(&s.env);
	}
	env_close(&s.env);
	kvm_close_env();
	memslot_goals(counts, nc, o->quick);
	bench_print_suite("memslot", "memslot_perf_test cases, time per iteration "
			  "(setup: all slots; KVM/vmmu > 1: vmmu faster)");
	return r;
}
