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
 * The invalidation storms (a vCPU running while another thread invalidates)
 * are in the churn suite (bench_churn.c).
 * No KVM column: KVM's notifier runs inside the kernel's mm; the memslot
 * suite's unmap cases compare the whole host-side cost against it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmmu.h"
#include "bench.h"
#include "rng.h"

#define MEM_GPA		(256ull << 20)
#define MEM_SIZE	(512ull << 20)
#define PAIRS		256u

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

int bench_notifier(const struct bench_opts *o)
{
	static const uint64_t lens[] = { 4096, 64 << 10, 2 << 20, 64 << 20 };
	static const uint32_t full[] = { 10, 100, 509, 4096, 32763 };
	static const uint32_t quick[] = { 10, 4096 };
	const uint32_t *counts = o->quick ? quick : full;
	size_t nc = o->quick ? 2 : sizeof(full) / sizeof(full[0]);
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

	if (r)
		bench_progress("notifier: failed: %s", vmmu_strerror(r));
	bench_print_suite("notifier", "invalidate_range_start+end, us per pair");
	return r;
}
