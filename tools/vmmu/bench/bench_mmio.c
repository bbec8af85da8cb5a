// SPDX-License-Identifier: MIT
/*
 * vmmu bench, mmio and invalidate suites.
 *
 * mmio: the rungs of the MMIO ladder (docs/DESIGN.md), each as ns per
 * 8-byte guest read of an unbacked gpa, beside the real KVM's MMIO exit:
 *   mmio-cache-hit   the same gfn again: the per-vCPU MMIO info cache
 *   mmio-spte-hit    two gfns in turn: the cache misses, the lockless walk
 *                    finds an MMIO SPTE of the current generation
 *   mmio-first-touch never-touched gfns: full fault, MMIO SPTE installed
 *   mmio-refill      gfns whose MMIO SPTEs predate a memslot update: the
 *                    generation check fails (RET_PF_INVALID), full fault
 * KVM: the guest (the flat harness guest, bench_kvm.h) reads the same way; every access is
 * KVM_EXIT_MMIO and KVM_RUN again, i.e. the round trip a VMM pays.  KVM's
 * cached figure is one gfn read repeatedly (its two cached rungs are not
 * separable from user space); first-touch and refill are measured as for
 * vmmu (refill: after creating an unrelated slot).
 *
 * invalidate: the cost of one memory-map change (CREATE of an unrelated
 * one-page slot) against the number of MMIO SPTEs cached, for the
 * generation design (default VM: the change only bumps the generation) and
 * for the zap-by-walk design (VMMU_VM_MMIO_ZAP_WALK: the change walks the
 * tables and zaps every MMIO SPTE, as KVM did before 2013).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmmu.h"
#include "bench.h"
#include "bench_kvm.h"

#define RAM_GPA			(1ull << 20)
#define RAM_SIZE		(2ull << 20)
#define MMIO_GPA		(1ull << 30)		/* the cached gfn(s) */
#define REFILL_GPA		(0xc0000000ull)	/* 512 MiB of gfns for refill */
#define REFILL_PAGES		8192u
#define FRESH_GPA		(0x48000000ull)	/* first-touch gfns, KVM (below 3 GiB) */
#define FRESH_PAGES		((REFILL_GPA - FRESH_GPA) / BENCH_PAGE)
#define VMMU_FRESH_GPA		(1ull << 36)	/* first-touch gfns, vmmu */
#define BUMP_SLOT		2u
#define BUMP_GPA		(0xf0000000ull)
#define CHUNK			4096u

/* ------------------------------------------------------------------------ */
/* vmmu side                                                                 */
/* ------------------------------------------------------------------------ */

struct mmio_vmmu {
	struct bench_vm b;
	uint8_t *bump_page;
	uint64_t fresh_next;	/* next never-touched gfn offset */
};

static int read8(struct vmmu_vcpu *vcpu, uint64_t gpa)
{
	struct vmmu_exit exit;
	uint64_t v;
	int r = vmmu_vcpu_access(vcpu, gpa, &v, 8, 0, &exit);

	return r == VMMU_EXIT_MMIO ? 0 : r ? r : -EIO;
}

/* One memory-map change that touches nothing the benchmark uses. */
static int vmmu_bump(struct vmmu_vm *vm, const void *page)
{
	int r = bench_set_region(vm, BUMP_SLOT, 0, BUMP_GPA, BENCH_PAGE, page);

	if (!r)
		r = bench_set_region(vm, BUMP_SLOT, 0, BUMP_GPA, 0, page);
	return r;
}

/* RAM_SIZE of RAM at RAM_GPA, one vCPU; the page after the RAM is the bump page. */
static int mmio_vmmu_open(struct mmio_vmmu *m, uint32_t flags)
{
	const struct bench_vm_spec spec = {
		.vm_flags = flags, .mem_size = RAM_SIZE + BENCH_PAGE, .gpa = RAM_GPA,
		.slot_size = RAM_SIZE, .nr_slots = 1, .nr_vcpus = 1,
	};
	int r = bench_vm_open(&m->b, &spec);

	if (r)
		return r;
	m->bump_page = m->b.mem + RAM_SIZE;
	return 0;
}

static void mmio_vmmu_close(struct mmio_vmmu *m)
{
	bench_vm_close(&m->b);
}

enum mmio_case { MC_CACHE_HIT, MC_SPTE_HIT, MC_FIRST_TOUCH, MC_REFILL, NR_MC };

static const char *const mc_name[NR_MC] = {
	[MC_CACHE_HIT] = "mmio-cache-hit",
	[MC_SPTE_HIT] = "mmio-spte-hit",
	[MC_FIRST_TOUCH] = "mmio-first-touch",
	[MC_REFILL] = "mmio-refill",
};

/* ns per access of @c on vmmu over about @budget seconds; < 0 on error. */
static double mmio_vmmu_case(struct mmio_vmmu *m, enum mmio_case c, double budget)
{
	uint64_t n = 0;
	double busy = 0;
	int r = 0;

	/* Untimed: make the cached rungs cached, and the refill gfns exist. */
	if (c == MC_CACHE_HIT || c == MC_SPTE_HIT)
		r = read8(m->b.vcpu[0], MMIO_GPA);
	if (c == MC_SPTE_HIT && !r)
		r = read8(m->b.vcpu[0], MMIO_GPA + BENCH_PAGE);
	for (uint32_t i = 0; c == MC_REFILL && !r && i < REFILL_PAGES; i++)
		r = read8(m->b.vcpu[0], REFILL_GPA + i * BENCH_PAGE);
	if (r)
		return r;

	while (busy < budget) {
		double t0;

		if (c == MC_REFILL) {
			r = vmmu_bump(m->b.vm, m->bump_page);	/* every SPTE is now stale */
			if (r)
				return r;
		}
		t0 = bench_now();
		switch (c) {
		case MC_CACHE_HIT:
			for (uint32_t i = 0; i < CHUNK && !r; i++)
				r = read8(m->b.vcpu[0], MMIO_GPA);
			n += CHUNK;
			break;
		case MC_SPTE_HIT:
			for (uint32_t i = 0; i < CHUNK && !r; i++)
				r = read8(m->b.vcpu[0], MMIO_GPA + (i & 1) * BENCH_PAGE);
			n += CHUNK;
			break;
		case MC_FIRST_TOUCH:
			for (uint32_t i = 0; i < CHUNK && !r; i++)
				r = read8(m->b.vcpu[0],
					  VMMU_FRESH_GPA + (m->fresh_next + i) * BENCH_PAGE);
			m->fresh_next += CHUNK;
			n += CHUNK;
			break;
		case MC_REFILL:
			for (uint32_t i = 0; i < REFILL_PAGES && !r; i++)
				r = read8(m->b.vcpu[0], REFILL_GPA + i * BENCH_PAGE);
			n += REFILL_PAGES;
			break;
		default:
			return -EINVAL;
		}
		busy += bench_now() - t0;
		if (r)
			return r;
	}
	return busy / n * 1e9;
}

/* ------------------------------------------------------------------------ */
/* KVM side (worker)                                                         */
/* ------------------------------------------------------------------------ */

static struct bkvm *mk;
static uint8_t *mk_ram;
static uint64_t mk_fresh_next;

static int kvm_mmio_setup(const int64_t *a, double *v)
{
	int r;

	(void)a;
	(void)v;
	mk_ram = bench_map(RAM_SIZE + BENCH_PAGE);
	if (!mk_ram)
		return -ENOMEM;
	r = bkvm_open(&mk, BKVM_FLAT);
	if (!r)
		r = bkvm_set_region(mk, 1, 0, RAM_GPA, RAM_SIZE, mk_ram);
	return r;
}

static int kvm_mmio_close(const int64_t *a, double *v)
{
	(void)a;
	(void)v;
	bkvm_close(mk);
	mk = NULL;
	bench_unmap(mk_ram, RAM_SIZE + BENCH_PAGE);
	mk_ram = NULL;
	return 0;
}

static int kvm_read(uint64_t gpa, uint64_t count, uint64_t stride)
{
	struct bench_gcmd c = { .len = 8, .gpa = gpa, .count = count, .stride = stride };

	bench_guest_post(mk->guest, &c);
	return bench_guest_wait(mk->guest);
}

/* a[0] = case, a[1] = budget us.  v[0] = ns per access. */
static int kvm_mmio_case(const int64_t *a, double *v)
{
	enum mmio_case c = (enum mmio_case)a[0];
	double budget = a[1] / 1e6, busy = 0;
	uint64_t n = 0;
	int r;

	if (!mk)
		return -ENODEV;
	r = kvm_read(MMIO_GPA, 1, 0);
	while (!r && busy < budget) {
		double t0;

		if (c == MC_REFILL) {
			/* Fresh MMIO SPTEs (a DELETE zapped them), then a CREATE. */
			r = kvm_read(REFILL_GPA, REFILL_PAGES, BENCH_PAGE);
			if (!r)
				r = bkvm_set_region(mk, BUMP_SLOT, 0, BUMP_GPA, BENCH_PAGE,
						    mk_ram + RAM_SIZE);
			if (r)
				break;
		}
		if (c == MC_FIRST_TOUCH && mk_fresh_next + CHUNK > FRESH_PAGES)
			mk_fresh_next = 0;	/* not expected within the budgets */
		t0 = bench_now();
		switch (c) {
		case MC_CACHE_HIT:
		case MC_SPTE_HIT:
			r = kvm_read(MMIO_GPA, CHUNK / 4, 0);
			n += CHUNK / 4;
			break;
		case MC_FIRST_TOUCH:
			r = kvm_read(FRESH_GPA + mk_fresh_next * BENCH_PAGE, CHUNK, BENCH_PAGE);
			mk_fresh_next += CHUNK;
			n += CHUNK;
			break;
		case MC_REFILL:
			r = kvm_read(REFILL_GPA, REFILL_PAGES, BENCH_PAGE);
			n += REFILL_PAGES;
			break;
		default:
			return -EINVAL;
		}
		busy += bench_now() - t0;
		if (c == MC_REFILL && !r)
			r = bkvm_set_region(mk, BUMP_SLOT, 0, BUMP_GPA, 0, mk_ram + RAM_SIZE);
	}
	v[0] = n ? busy / n * 1e9 : 0;
	return r;
}

int bench_mmio(const struct bench_opts *o)
{
	struct bench_samples sv[NR_MC], sk[NR_MC];
	bool kvm = bench_worker_alive();
	struct mmio_vmmu m;
	int r;

	memset(sv, 0, sizeof(sv));
	memset(sk, 0, sizeof(sk));
	r = mmio_vmmu_open(&m, 0);
	if (r) {
		bench_progress("mmio: vmmu setup failed: %s", vmmu_strerror(r));
		return r;
	}
	if (kvm && (r = bench_worker_call(kvm_mmio_setup, NULL, NULL))) {
		bench_progress("mmio: KVM setup failed: %s", strerror(-r));
		kvm = false;
	}
	for (unsigned int rep = 0; rep < o->reps; rep++) {
		for (int c = 0; c < NR_MC; c++) {
			int64_t a[BENCH_WORKER_ARGS] = { c, (int64_t)(o->budget * 1e6) };
			double v[BENCH_WORKER_ARGS], ns;

			if (kvm) {
				r = bench_worker_call(kvm_mmio_case, a, v);
				if (!r)
					bench_sample(&sk[c], v[0]);
				else
					bench_progress("mmio: KVM %s failed: %s", mc_name[c],
						       strerror(-r));
			}
			ns = mmio_vmmu_case(&m, (enum mmio_case)c, o->budget);
			if (ns >= 0)
				bench_sample(&sv[c], ns);
			else
				bench_progress("mmio: vmmu %s failed: %s", mc_name[c],
					       vmmu_strerror((int)ns));
		}
	}
	if (kvm)
		bench_worker_call(kvm_mmio_close, NULL, NULL);
	mmio_vmmu_close(&m);

	r = 0;
	for (int c = 0; c < NR_MC; c++) {
		struct bench_result *res = bench_result_add("mmio", mc_name[c], c, "ns", false, "%s",
							    mc_name[c]);

		bench_result_vmmu(res, &sv[c]);
		bench_result_kvm(res, &sk[c]);
		if (c <= MC_SPTE_HIT && res->kvm.state == SIDE_OK)
			snprintf(res->note, sizeof(res->note),
				 "KVM: cached MMIO exit round trip (KVM_EXIT_MMIO + KVM_RUN)");
		if (res->vmmu.state != SIDE_OK)
			r = -EIO;
	}
	bench_print_suite("mmio", "ns per 8-byte read of an unbacked gpa; KVM: guest read -> "
			  "KVM_EXIT_MMIO -> KVM_RUN again");
	return r;
}

/* ------------------------------------------------------------------------ */
/* invalidate                                                                */
/* ------------------------------------------------------------------------ */

/*
 * [design][0]: an update with N MMIO SPTEs cached, every cache made equally
 * cold first (populating N SPTEs pollutes the caches in proportion to N, so
 * without this the figure would measure the populating, not the update);
 * [design][1]: a second update right after it (warm caches: the update's
 * own work only; with zap-walk no MMIO SPTE is left by then, only tables).
 */
#define TRASH_BYTES	(64ull << 20)

/* Evict the data caches with a fixed sweep, the same for every N and design. */
static void trash_caches(void)
{
	static volatile uint8_t *buf;
	uint64_t sum = 0;

	if (!buf)
		buf = calloc(1, TRASH_BYTES);
	if (!buf)
		return;
	for (uint64_t i = 0; i < TRASH_BYTES; i += 64) {
		sum += buf[i];
		buf[i] = (uint8_t)sum;
	}
}
static const char *const inv_series[2][2] = {
	{ "generation", "generation-warm" },
	{ "zap-walk", "zap-walk-warm" },
};

/* Make sure gfns [0, n) of the MMIO window hold MMIO SPTEs of the current generation. */
static int populate(struct mmio_vmmu *m, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		int r = read8(m->b.vcpu[0], MMIO_GPA + i * BENCH_PAGE);

		if (r)
			return r;
	}
	return 0;
}

int bench_invalidate(const struct bench_opts *o)
{
	static const uint64_t full[] = { 1000, 3000, 10000, 30000, 100000, 300000, 1000000 };
	static const uint64_t quick[] = { 1000, 10000, 100000 };
	const uint64_t *sizes = o->quick ? quick : full;
	size_t ns = o->quick ? 3 : sizeof(full) / sizeof(full[0]);
	unsigned int reps = 3 * o->reps;
	struct mmio_vmmu m[2];
	int r;

	for (int d = 0; d < 2; d++) {
		r = mmio_vmmu_open(&m[d], d ? VMMU_VM_MMIO_ZAP_WALK : 0);
		if (r) {
			if (d)
				mmio_vmmu_close(&m[0]);
			bench_progress("invalidate: setup failed: %s", vmmu_strerror(r));
			return r;
		}
	}
	for (size_t i = 0; i < ns && !r; i++) {
		struct bench_samples s[2][2];

		memset(s, 0, sizeof(s));
		for (unsigned int rep = 0; rep < reps && !r; rep++) {
			for (int d = 0; d < 2 && !r; d++) {
				double t0, t1, t2, t3;

				r = populate(&m[d], sizes[i]);
				/* A no-op update warms the memslot path without a swap. */
				if (!r)
					r = bench_set_region(m[d].b.vm, 1, 0, RAM_GPA, RAM_SIZE,
							     m[d].b.mem);
				if (r)
					break;
				trash_caches();
				t0 = bench_now();
				r = bench_set_region(m[d].b.vm, BUMP_SLOT, 0, BUMP_GPA, BENCH_PAGE,
						     m[d].bump_page);
				t1 = bench_now();
				if (!r)
					r = bench_set_region(m[d].b.vm, BUMP_SLOT, 0, BUMP_GPA, 0,
							     m[d].bump_page);
				t2 = bench_now();
				if (!r)
					r = bench_set_region(m[d].b.vm, BUMP_SLOT, 0, BUMP_GPA, BENCH_PAGE,
							     m[d].bump_page);
				t3 = bench_now();
				if (!r)
					r = bench_set_region(m[d].b.vm, BUMP_SLOT, 0, BUMP_GPA, 0,
							     m[d].bump_page);
				bench_sample(&s[d][0], (t1 - t0) * 1e6);
				bench_sample(&s[d][1], (t3 - t2) * 1e6);
			}
		}
		for (int d = 0; d < 2; d++) {
			for (int w = 0; w < 2; w++) {
				struct bench_result *res;

				res = bench_result_add("invalidate", inv_series[d][w], (double)sizes[i],
						       "us", false, "%s@%" PRIu64, inv_series[d][w],
						       sizes[i]);
				bench_result_vmmu(res, &s[d][w]);
			}
		}
		bench_progress("invalidate: %" PRIu64 " MMIO SPTEs done", sizes[i]);
	}
	for (int d = 0; d < 2; d++) {
		struct vmmu_stats st = { .size = sizeof(st) };

		vmmu_vm_get_stats(m[d].b.vm, &st);
		bench_info("invalidate", d ? "zap-walk: MMIO SPTEs zapped (total)" :
			   "generation: MMIO SPTEs zapped (total)", (double)st.sptes_zapped, "");
		mmio_vmmu_close(&m[d]);
	}
	if (r) {
		bench_progress("invalidate: failed: %s", vmmu_strerror(r));
	} else {
		struct bench_result *lo = bench_result_find("invalidate", "generation@%" PRIu64,
							    sizes[0]);
		struct bench_result *hi = bench_result_find("invalidate", "generation@%" PRIu64,
							    sizes[ns - 1]);
		struct bench_result *wl = bench_result_find("invalidate", "zap-walk@%" PRIu64,
							    sizes[ns - 1]);
		struct bench_result *wlo = bench_result_find("invalidate", "generation-warm@%" PRIu64,
							     sizes[0]);
		struct bench_result *whi = bench_result_find("invalidate", "generation-warm@%" PRIu64,
							     sizes[ns - 1]);

		if (lo && hi && lo->vmmu.state == SIDE_OK && hi->vmmu.state == SIDE_OK) {
			double growth = hi->vmmu.fig.median / lo->vmmu.fig.median;

			/*
			 * Not a goal: from cold caches the time also grows with
			 * the memory the populating left behind (page tables),
			 * while the update's own instructions do not (callgrind:
			 * the same count per update at 10^3 and 10^6 SPTEs).
			 */
			bench_info("invalidate", "generation: cold-cache update growth 10^3 -> max",
				   growth, "x");
			bench_info("invalidate", "zap-walk: cold-cache update at max, us",
				   wl ? wl->vmmu.fig.median : NAN, "us");
		}
		if (wlo && whi && wlo->vmmu.state == SIDE_OK && whi->vmmu.state == SIDE_OK) {
			double growth = whi->vmmu.fig.median / wlo->vmmu.fig.median;

			bench_goal("invalidate", "generation-flat", growth <= 2, growth, 2,
				   "generation design, second update (warm caches): %.4g us with "
				   "%" PRIu64 " MMIO SPTEs vs %.4g us with %" PRIu64 ": x%.2f (flat: "
				   "<= x2)", whi->vmmu.fig.median, sizes[ns - 1], wlo->vmmu.fig.median,
				   sizes[0], growth);
		}
	}
	bench_print_suite("invalidate", "one memslot CREATE vs MMIO SPTEs cached, us "
			  "(generation: default VM; zap-walk: VMMU_VM_MMIO_ZAP_WALK)");
	return r;
}
