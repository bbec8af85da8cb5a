// SPDX-License-Identifier: MIT
/*
 * vmmu bench, notifier suite: the MMU-notifier entry points.
 *
 *   range-empty@B       one invalidate_range_start + _end pair over B bytes
 *                       of guest RAM with no SPTE present (100 slots)
 *   range-populated@B   the same over B bytes whose pages are all mapped, so
 *                       the pair zaps them and flushes
 *   slots@N             a 4 KiB pair with N slots over 512 MiB (the hva
 *                       interval-tree lookup)
 *   miss@N              a 4 KiB pair that hits no slot
 *   storm-*             a vCPU thread faulting pages of 16 MiB in while the
 *                       main thread invalidates random 64 KiB ranges of it:
 *                       accesses per second and the fault retry rate
 *                       (notifier_retries / (pf_fixed + notifier_retries))
 * No KVM column: KVM's notifier runs inside the kernel's mm; the memslot
 * suite's unmap cases compare the whole host-side cost against it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmmu.h"
#include "bench.h"
#include "rng.h"

#define MEM_GPA		(256ull << 20)
#define MEM_SIZE	(512ull << 20)
#define PAIRS		256u
#define STORM_AREA	(16ull << 20)
#define STORM_RANGE	(64ull << 10)

/* @nslots slots over @mem_size of memory from MEM_GPA, one vCPU. */
static int nt_open(struct bench_vm *e, uint64_t mem_size, uint32_t nslots)
{
	const struct bench_vm_spec spec = {
		.mem_size = mem_size, .gpa = MEM_GPA, .slot_size = mem_size, .nr_slots = nslots,
		.nr_vcpus = 1,
	};

	return bench_vm_open(e, &spec);
}

static void pair(struct vmmu_vm *vm, uint64_t start, uint64_t len)
{
	vmmu_mmu_notifier_invalidate_range_start(vm, start, start + len);
	vmmu_mmu_notifier_invalidate_range_end(vm, start, start + len);
}

/* us per pair over random @len-aligned ranges of the env (or, @miss, outside it). */
static double pairs_empty(struct bench_vm *e, uint64_t len, bool miss, double budget)
{
	uint64_t base = miss ? (uint64_t)(uintptr_t)e->mem + e->mem_size + (1ull << 30) :
		(uint64_t)(uintptr_t)e->mem;
	uint64_t slots = e->mem_size / len, s = 0x9e3779b97f4a7c15ull, n = 0;
	double t0 = bench_now(), t;

	do {
		for (uint32_t i = 0; i < PAIRS; i++)
			pair(e->vm, base + rng_below(&s, slots) * len, len);
		n += PAIRS;
		t = bench_now() - t0;
	} while (t < budget);
	return t / n * 1e6;
}

static int fault_in(struct bench_vm *e, uint64_t off, uint64_t len)
{
	struct bench_gcmd c = {
		.write = true, .len = 8, .gpa = MEM_GPA + off, .count = len / BENCH_PAGE,
		.stride = BENCH_PAGE,
	};
	uint64_t mm = 0, mmio = 0, passes = 0;
	_Atomic bool stop = false;

	return bench_vmmu_run_cmd(e->vcpu[0], &c, &stop, &mm, &mmio, &passes);
}

static double pairs_populated(struct bench_vm *e, uint64_t len, double budget)
{
	uint64_t slots = e->mem_size / len, s = 0x2545f4914f6cdd1dull, n = 0;
	double busy = 0, start = bench_now();

	/* Populating dominates for big ranges: bound the total time too. */
	while ((busy < budget && bench_now() - start < 4 * budget) || n < 4) {
		uint64_t off = rng_below(&s, slots) * len;
		double t0;
		int r = fault_in(e, off, len);

		if (r)
			return r;
		t0 = bench_now();
		pair(e->vm, (uint64_t)(uintptr_t)e->mem + off, len);
		busy += bench_now() - t0;
		n++;
	}
	return busy / n * 1e6;
}

/* ------------------------------------------------------------------------ */
/* Storm                                                                     */
/* ------------------------------------------------------------------------ */

struct storm {
	struct bench_vm *e;
	_Atomic bool stop;
	pthread_barrier_t go;
	uint64_t accesses;
	int r;
};

static void *storm_vcpu(void *arg)
{
	struct storm *st = arg;
	uint64_t pages = STORM_AREA / BENCH_PAGE, n = 0;
	struct vmmu_exit exit;

	pthread_barrier_wait(&st->go);
	while (!atomic_load_explicit(&st->stop, memory_order_relaxed)) {
		for (uint64_t p = 0; p < pages; p++) {
			uint64_t v = p;
			int r = vmmu_vcpu_access(st->e->vcpu[0], MEM_GPA + p * BENCH_PAGE, &v, 8,
						 VMMU_ACCESS_WRITE, &exit);

			if (r) {
				st->r = r > 0 ? -EIO : r;
				atomic_store(&st->stop, true);
				break;
			}
		}
		n += pages;
	}
	st->accesses = n;
	return NULL;
}

struct storm_res {
	double accesses;	/* M/s */
	double inval;		/* M/s */
	double faults;		/* M/s */
	double retry_pct;
};

static int storm_run(struct bench_vm *e, bool storm, double secs, struct storm_res *res)
{
	struct storm st = { .e = e };
	struct vmmu_stats a = { .size = sizeof(a) }, b = { .size = sizeof(b) };
	uint64_t s = 0x853c49e6748fea9bull, n = 0;
	uint64_t base = (uint64_t)(uintptr_t)e->mem;
	pthread_t tid;
	double t0, t;

	pthread_barrier_init(&st.go, NULL, 2);
	vmmu_vm_get_stats(e->vm, &a);
	pthread_create(&tid, NULL, storm_vcpu, &st);
	pthread_barrier_wait(&st.go);
	t0 = bench_now();
	do {
		if (storm) {
			for (int i = 0; i < 64; i++)
				pair(e->vm, base + rng_below(&s, STORM_AREA / STORM_RANGE) * STORM_RANGE,
				     STORM_RANGE);
			n += 64;
		}
		t = bench_now() - t0;
	} while (t < secs && !atomic_load_explicit(&st.stop, memory_order_relaxed));
	atomic_store(&st.stop, true);
	pthread_join(tid, NULL);
	t = bench_now() - t0;
	vmmu_vm_get_stats(e->vm, &b);
	pthread_barrier_destroy(&st.go);
	{
		double fixed = (double)(b.pf_fixed - a.pf_fixed);
		double retries = (double)(b.notifier_retries - a.notifier_retries);

		res->accesses = st.accesses / t / 1e6;
		res->inval = n / t / 1e6;
		res->faults = fixed / t / 1e6;
		res->retry_pct = fixed + retries > 0 ? 100 * retries / (fixed + retries) : 0;
	}
	return st.r;
}

/* ------------------------------------------------------------------------ */

int bench_notifier(const struct bench_opts *o)
{
	static const uint64_t lens[] = { 4096, 64 << 10, 2 << 20, 64 << 20 };
	static const uint32_t full[] = { 10, 100, 509, 4096, 32763 };
	static const uint32_t quick[] = { 10, 4096 };
	const uint32_t *counts = o->quick ? quick : full;
	size_t nc = o->quick ? 2 : sizeof(full) / sizeof(full[0]);
	struct storm_res sr[2];
	struct bench_vm e;
	int r;

	r = nt_open(&e, MEM_SIZE, 100);
	if (r) {
		bench_progress("notifier: setup failed: %s", vmmu_strerror(r));
		return r;
	}
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct bench_samples se = { .n = 0 }, sp = { .n = 0 };
		struct bench_result *res;

		for (unsigned int rep = 0; rep < o->reps && !r; rep++) {
			double x;

			bench_sample(&se, pairs_empty(&e, lens[i], false, o->budget));
			x = pairs_populated(&e, lens[i], o->budget);
			if (x < 0)
				r = (int)x;
			else
				bench_sample(&sp, x);
		}
		res = bench_result_add("notifier", "range-empty", (double)lens[i], "us", false,
				       "range-empty@%lluK", (unsigned long long)lens[i] >> 10);
		bench_result_vmmu(res, &se);
		res = bench_result_add("notifier", "range-populated", (double)lens[i], "us", false,
				       "range-populated@%lluK", (unsigned long long)lens[i] >> 10);
		bench_result_vmmu(res, &sp);
		bench_progress("notifier: %llu KiB ranges done", (unsigned long long)lens[i] >> 10);
	}
	bench_vm_close(&e);

	for (size_t i = 0; i < nc && !r; i++) {
		struct bench_samples ss = { .n = 0 }, sm = { .n = 0 };
		struct bench_result *res;

		r = nt_open(&e, MEM_SIZE, counts[i]);
		if (r)
			break;
		for (unsigned int rep = 0; rep < o->reps; rep++) {
			bench_sample(&ss, pairs_empty(&e, BENCH_PAGE, false, o->budget));
			bench_sample(&sm, pairs_empty(&e, BENCH_PAGE, true, o->budget));
		}
		bench_vm_close(&e);
		res = bench_result_add("notifier", "slots", counts[i], "us", false, "slots@%u",
				       counts[i]);
		bench_result_vmmu(res, &ss);
		res = bench_result_add("notifier", "miss", counts[i], "us", false, "miss@%u",
				       counts[i]);
		bench_result_vmmu(res, &sm);
		bench_progress("notifier: %u slots done", counts[i]);
	}

	if (!r)
		r = nt_open(&e, STORM_AREA, 1);
	if (!r) {
		struct bench_samples sa[2], sf[2], sretry = { .n = 0 }, sinv = { .n = 0 };

		memset(sa, 0, sizeof(sa));
		memset(sf, 0, sizeof(sf));
		for (unsigned int rep = 0; rep < o->reps && !r; rep++) {
			for (int storm = 0; storm < 2 && !r; storm++) {
				r = storm_run(&e, storm, 2 * o->budget, &sr[storm]);
				bench_progress("notifier: storm %s: %.3g M accesses/s, %.3g M "
					       "invalidations/s", storm ? "on" : "off",
					       sr[storm].accesses, sr[storm].inval);
				bench_sample(&sa[storm], sr[storm].accesses);
				bench_sample(&sf[storm], sr[storm].faults);
			}
			bench_sample(&sretry, sr[1].retry_pct);
			bench_sample(&sinv, sr[1].inval);
		}
		bench_vm_close(&e);
		if (!r) {
			static const char *const an[2] = { "storm-off-accesses", "storm-on-accesses" };
			static const char *const fn[2] = { "storm-off-faults", "storm-on-faults" };
			struct bench_result *res;

			for (int storm = 0; storm < 2; storm++) {
				res = bench_result_add("notifier", "", storm, "M/s", true, "%s", an[storm]);
				bench_result_vmmu(res, &sa[storm]);
				res = bench_result_add("notifier", "", storm, "M/s", true, "%s", fn[storm]);
				bench_result_vmmu(res, &sf[storm]);
			}
			res = bench_result_add("notifier", "", 0, "M/s", true, "storm-invalidations");
			bench_result_vmmu(res, &sinv);
			res = bench_result_add("notifier", "", 0, "%", false, "storm-retry-rate");
			bench_result_vmmu(res, &sretry);
		}
	}
	if (r)
		bench_progress("notifier: failed: %s", vmmu_strerror(r));
	bench_print_suite("notifier", "invalidate_range_start+end, us per pair; storm: a vCPU "
			  "faulting 16 MiB in against 64 KiB invalidations");
	return r;
}
