// SPDX-License-Identifier: MIT
/*
 * vmmu bench, access suite: guest RAM access through vmmu_vcpu_access().
 *
 *   ram-read-tlb-hit    8-byte reads over 64 pages, page k in its cache line
 *                       k % 64 (see access_loop; every access hits the
 *                       software TLB); KVM: the native guest reading one
 *                       address in a loop, i.e. the hardware's speed
 *   ram-write-tlb-hit   the same, writes
 *   ram-read-tlb-miss   8-byte reads striding 4 KiB over 16 MiB: every access
 *                       misses the 256-entry TLB and walks the table
 *   threads@N           TLB-hit reads on N vCPU threads (own vCPU, own 64
 *                       pages), total and per vCPU, against the cores present
 *   first-touch         faults per second: writes to pages whose SPTEs an
 *                       invalidation removed (host pages resident)
 *   first-touch-fresh   the same after MADV_DONTNEED, so the host allocates
 *                       each page too; KVM: the guest writing such pages
 *   read-guest-4k /     vmmu_vcpu_read_guest / write_guest of 4 KiB
 *   write-guest-4k
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmmu.h"
#include "bench.h"
#include "bench_kvm.h"

#define RAM_GPA		(1ull << 30)
#define RAM_SIZE	(256ull << 20)
#define HIT_PAGES	64u
#define MISS_AREA	(16ull << 20)
#define TOUCH_AREA	(64ull << 20)
#define MAX_THREADS	8u
#define CHUNK		8192u

_Static_assert(MAX_THREADS <= BENCH_VM_MAX_VCPUS, "one vCPU per thread");

/* One slot of RAM_SIZE at RAM_GPA, a vCPU per thread. */
static int acc_open(struct bench_vm *a)
{
	const struct bench_vm_spec spec = {
		.mem_size = RAM_SIZE, .gpa = RAM_GPA, .slot_size = RAM_SIZE, .nr_slots = 1,
		.nr_vcpus = MAX_THREADS,
	};

	return bench_vm_open(a, &spec);
}

/*
 * @n accesses cycling over @pages pages from @gpa; 0 or the vmmu error.
 * Page k is accessed in its cache line k % 64, not at one page offset for
 * all: 64 lines at the same page offset fall into one set of an 8-way L1
 * data cache, and the stores missed L1 every time (a write hit measured
 * 9.2 ns against 2.4 ns for a read; plain stores in that pattern cost
 * 10-15 ns on this machine without vmmu, 3 ns with the lines staggered).
 */
static int access_loop(struct vmmu_vcpu *vcpu, uint64_t gpa, uint32_t pages, uint64_t n,
		       uint32_t flags)
{
	struct vmmu_exit exit;
	uint64_t v = 0;

	for (uint64_t i = 0; i < n; i++) {
		uint64_t page = i % pages;
		int r = vmmu_vcpu_access(vcpu, gpa + page * BENCH_PAGE + (page & 63) * 64 +
					 8 * (i & 7), &v, 8, flags, &exit);

		if (r)
			return r > 0 ? -EIO : r;
	}
	return 0;
}

/* ns per access over about @budget seconds. */
static double timed_loop(struct vmmu_vcpu *vcpu, uint64_t gpa, uint32_t pages, uint32_t flags,
			 double budget)
{
	uint64_t n = 0;
	double t0, t;
	int r = access_loop(vcpu, gpa, pages, pages, flags);	/* warm: fault in, fill TLB */

	if (r)
		return r;
	t0 = bench_now();
	do {
		r = access_loop(vcpu, gpa, pages, CHUNK, flags);
		if (r)
			return r;
		n += CHUNK;
		t = bench_now() - t0;
	} while (t < budget);
	return t / n * 1e9;
}

/* Faults per second writing @pages pages after @prep made them fault. */
static double first_touch(struct bench_vm *a, bool fresh, double budget)
{
	uint64_t pages = TOUCH_AREA / BENCH_PAGE, n = 0;
	uint64_t start = (uint64_t)(uintptr_t)a->mem;
	double busy = 0;
	int r;

	while (busy < budget) {
		double t0;

		vmmu_mmu_notifier_invalidate_range_start(a->vm, start, start + TOUCH_AREA);
		if (fresh)
			madvise(a->mem, TOUCH_AREA, MADV_DONTNEED);
		vmmu_mmu_notifier_invalidate_range_end(a->vm, start, start + TOUCH_AREA);
		t0 = bench_now();
		r = access_loop(a->vcpu[0], RAM_GPA, (uint32_t)pages, pages, VMMU_ACCESS_WRITE);
		busy += bench_now() - t0;
		if (r)
			return r;
		n += pages;
	}
	return n / busy / 1e6;
}

static double rw_guest(struct bench_vm *a, bool write, double budget)
{
	static uint8_t buf[4096];
	uint64_t n = 0;
	double t0 = bench_now(), t;

	do {
		for (uint32_t i = 0; i < 256; i++) {
			uint64_t gpa = RAM_GPA + (i % HIT_PAGES) * BENCH_PAGE;
			int r = write ? vmmu_vcpu_write_guest(a->vcpu[0], gpa, buf, sizeof(buf)) :
				vmmu_vcpu_read_guest(a->vcpu[0], gpa, buf, sizeof(buf));

			if (r)
				return r;
		}
		n += 256;
		t = bench_now() - t0;
	} while (t < budget);
	return n * 4096.0 / t / 1e9;
}

/* ------------------------------------------------------------------------ */
/* Threads                                                                   */
/* ------------------------------------------------------------------------ */

struct thr {
	struct bench_vm *a;
	uint32_t idx;
	uint64_t n;
	pthread_barrier_t *go;
	double secs;
	int r;
	pthread_t tid;
};

static void *thr_main(void *arg)
{
	struct thr *t = arg;
	uint64_t gpa = RAM_GPA + (uint64_t)t->idx * HIT_PAGES * BENCH_PAGE;
	double t0;

	t->r = access_loop(t->a->vcpu[t->idx], gpa, HIT_PAGES, HIT_PAGES, 0);
	pthread_barrier_wait(t->go);
	t0 = bench_now();
	if (!t->r)
		t->r = access_loop(t->a->vcpu[t->idx], gpa, HIT_PAGES, t->n, 0);
	t->secs = bench_now() - t0;
	pthread_barrier_wait(t->go);
	return NULL;
}

/* Total and mean per-vCPU throughput (M accesses/s) with @nt threads. */
static int threads_run(struct bench_vm *a, uint32_t nt, uint64_t per_thread, double *total,
		       double *per_vcpu)
{
	struct thr t[MAX_THREADS];
	pthread_barrier_t go;
	double t0, wall, sum = 0;
	int r = 0;

	pthread_barrier_init(&go, NULL, nt + 1);
	for (uint32_t i = 0; i < nt; i++) {
		t[i] = (struct thr){ .a = a, .idx = i, .n = per_thread, .go = &go };
		pthread_create(&t[i].tid, NULL, thr_main, &t[i]);
	}
	pthread_barrier_wait(&go);
	t0 = bench_now();
	pthread_barrier_wait(&go);
	wall = bench_now() - t0;
	for (uint32_t i = 0; i < nt; i++) {
		pthread_join(t[i].tid, NULL);
		if (t[i].r)
			r = t[i].r;
		sum += per_thread / t[i].secs;
	}
	pthread_barrier_destroy(&go);
	*total = nt * per_thread / wall / 1e6;
	*per_vcpu = sum / nt / 1e6;
	return r;
}

/* ------------------------------------------------------------------------ */
/* KVM side (worker)                                                         */
/* ------------------------------------------------------------------------ */

/*
 * Two guests (bench_kvm.h): the flat one faults cheapest on KVM-PVM (first
 * touch), the native one runs its read loop at hardware speed.
 */
static struct bkvm *ak, *akn;
static uint8_t *ak_ram, *akn_ram;

static int kvm_acc_close(const int64_t *a, double *v)
{
	(void)a;
	(void)v;
	bkvm_close(ak);
	bkvm_close(akn);
	ak = akn = NULL;
	bench_unmap(ak_ram, TOUCH_AREA);
	bench_unmap(akn_ram, HIT_PAGES * BENCH_PAGE);
	ak_ram = akn_ram = NULL;
	return 0;
}

static int kvm_acc_setup(const int64_t *a, double *v)
{
	int r;

	ak_ram = bench_map(TOUCH_AREA);
	akn_ram = bench_map(HIT_PAGES * BENCH_PAGE);
	if (!ak_ram || !akn_ram)
		return -ENOMEM;
	r = bkvm_open(&ak, BKVM_FLAT);
	if (!r)
		r = bkvm_set_region(ak, 1, 0, RAM_GPA, TOUCH_AREA, ak_ram);
	if (!r)
		r = bkvm_open(&akn, BKVM_NATIVE);
	if (!r)
		r = bkvm_set_region(akn, 1, 0, RAM_GPA, HIT_PAGES * BENCH_PAGE, akn_ram);
	if (r)
		kvm_acc_close(a, v);
	return r;
}

static int kvm_cmd(struct bkvm *k, const struct bench_gcmd *c)
{
	bench_guest_post(k->guest, c);
	return bench_guest_wait(k->guest);
}

/* a[0]: 0 = read loop (ns/access), 1 = first-touch-fresh (M faults/s); a[1] = budget us. */
static int kvm_acc_case(const int64_t *a, double *v)
{
	double budget = a[1] / 1e6, busy = 0;
	uint64_t n = 0;
	int r = 0;

	if (!ak || !akn)
		return -ENODEV;
	if (a[0] == 0) {
		struct bench_gcmd c = { .len = 8, .gpa = RAM_GPA, .count = 1u << 22 };

		r = kvm_cmd(akn, &c);	/* warm */
		while (!r && busy < budget) {
			double t0 = bench_now();

			r = kvm_cmd(akn, &c);
			busy += bench_now() - t0;
			n += c.count;
		}
		v[0] = busy / n * 1e9;
		return r;
	}
	while (!r && busy < budget) {
		struct bench_gcmd c = {
			.write = true, .len = 8, .gpa = RAM_GPA, .count = TOUCH_AREA / BENCH_PAGE,
			.stride = BENCH_PAGE,
		};
		double t0;

		madvise(ak_ram, TOUCH_AREA, MADV_DONTNEED);
		t0 = bench_now();
		r = kvm_cmd(ak, &c);
		busy += bench_now() - t0;
		n += c.count;
	}
	v[0] = n / busy / 1e6;
	return r;
}

/* ------------------------------------------------------------------------ */

int bench_access(const struct bench_opts *o)
{
	static const uint32_t nthreads[] = { 1, 2, 4, 8 };
	enum { HIT_R, HIT_W, MISS_R, FT, FT_FRESH, RDG, WRG, NR_A };
	static const char *const names[NR_A] = {
		"ram-read-tlb-hit", "ram-write-tlb-hit", "ram-read-tlb-miss", "first-touch",
		"first-touch-fresh", "read-guest-4k", "write-guest-4k",
	};
	static const char *const units[NR_A] = { "ns", "ns", "ns", "M/s", "M/s", "GB/s", "GB/s" };
	struct bench_samples sv[NR_A], sk[NR_A];
	struct bench_samples tot[4], per[4];
	bool kvm = bench_worker_alive();
	struct bench_vm a;
	uint64_t per_thread;
	double ns;
	int r;

	memset(sv, 0, sizeof(sv));
	memset(sk, 0, sizeof(sk));
	memset(tot, 0, sizeof(tot));
	memset(per, 0, sizeof(per));
	r = acc_open(&a);
	if (r) {
		bench_progress("access: setup failed: %s", vmmu_strerror(r));
		return r;
	}
	if (kvm && (r = bench_worker_call(kvm_acc_setup, NULL, NULL))) {
		bench_progress("access: KVM setup failed: %s", strerror(-r));
		kvm = false;
	}
	r = 0;
	for (unsigned int rep = 0; rep < o->reps && !r; rep++) {
		int64_t args[BENCH_WORKER_ARGS] = { 0, (int64_t)(o->budget * 1e6) };
		double v[BENCH_WORKER_ARGS], x;

		if (kvm && !bench_worker_call(kvm_acc_case, args, v))
			bench_sample(&sk[HIT_R], v[0]);
		x = timed_loop(a.vcpu[0], RAM_GPA, HIT_PAGES, 0, o->budget);
		bench_sample(&sv[HIT_R], x);
		x = timed_loop(a.vcpu[0], RAM_GPA, HIT_PAGES, VMMU_ACCESS_WRITE, o->budget);
		bench_sample(&sv[HIT_W], x);
		x = timed_loop(a.vcpu[0], RAM_GPA, MISS_AREA / BENCH_PAGE, 0, o->budget);
		bench_sample(&sv[MISS_R], x);
		x = first_touch(&a, false, o->budget);
		bench_sample(&sv[FT], x);
		args[0] = 1;
		if (kvm && !bench_worker_call(kvm_acc_case, args, v))
			bench_sample(&sk[FT_FRESH], v[0]);
		x = first_touch(&a, true, o->budget);
		bench_sample(&sv[FT_FRESH], x);
		bench_sample(&sv[RDG], rw_guest(&a, false, o->budget));
		bench_sample(&sv[WRG], rw_guest(&a, true, o->budget));
		for (int i = 0; i < NR_A; i++)
			if (sv[i].n && sv[i].v[sv[i].n - 1] < 0)
				r = (int)sv[i].v[--sv[i].n];
	}
	if (kvm)
		bench_worker_call(kvm_acc_close, NULL, NULL);

	/* Threads: each does what one vCPU does in about one budget alone. */
	ns = sv[HIT_R].n ? sv[HIT_R].v[0] : 50;
	per_thread = (uint64_t)(o->budget / (ns * 1e-9));
	for (unsigned int rep = 0; rep < o->reps && !r; rep++) {
		for (size_t i = 0; i < 4 && !r; i++) {
			double t, p;

			r = threads_run(&a, nthreads[i], per_thread, &t, &p);
			bench_sample(&tot[i], t);
			bench_sample(&per[i], p);
		}
	}
	bench_vm_close(&a);

	for (int i = 0; i < NR_A; i++) {
		struct bench_result *res = bench_result_add("access", "", 0, units[i], i >= FT, "%s",
							    names[i]);

		bench_result_vmmu(res, &sv[i]);
		if (i == HIT_R || i == FT_FRESH)
			bench_result_kvm(res, &sk[i]);
		if (i == HIT_R && res->kvm.state == SIDE_OK)
			snprintf(res->note, sizeof(res->note),
				 "KVM: guest loop reading one address (hardware speed)");
	}
	for (size_t i = 0; i < 4; i++) {
		struct bench_result *res;

		res = bench_result_add("access", "total", nthreads[i], "M/s", true, "threads@%u-total",
				       nthreads[i]);
		bench_result_vmmu(res, &tot[i]);
		res = bench_result_add("access", "per-vcpu", nthreads[i], "M/s", true,
				       "threads@%u-per-vcpu", nthreads[i]);
		bench_result_vmmu(res, &per[i]);
	}
	bench_info("access", "cores online", (double)sysconf(_SC_NPROCESSORS_ONLN), "");
	if (r)
		bench_progress("access: failed: %s", vmmu_strerror(r));
	bench_print_suite("access", "guest RAM through vmmu_vcpu_access (8-byte accesses; "
			  "threads: TLB-hit reads, one vCPU per thread)");
	return r;
}
