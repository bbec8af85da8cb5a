// SPDX-License-Identifier: MIT
/*
 * vmmu bench, dirty suite: dirty logging over a 1 GiB slot with manual
 * protect (KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2), on vmmu and on /dev/kvm.
 *
 * A round: the guest writes every page of the slot (each write after a
 * CLEAR faults on the write-protected page and marks it dirty), then the
 * host takes GET_DIRTY_LOG and CLEAR_DIRTY_LOG of the whole slot.  Cases:
 *   get         GET_DIRTY_LOG (manual protect: a copy of the bitmap)
 *   clear       CLEAR_DIRTY_LOG of every page (clear + write-protect)
 *   dirty-pass  the guest's writes, per page (the write-protect faults)
 * The first round (faulting everything in) is not timed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmmu.h"
#include "bench.h"
#include "bench_kvm.h"

#define SLOT_GPA	(1ull << 30)
#define SLOT_SIZE	(1ull << 30)
#define SLOT_PAGES	(SLOT_SIZE / BENCH_PAGE)
#define SLOT_ID		1u	/* bench_vm_open() numbers slots from 1 */

struct dirty_round {
	double pass;	/* seconds */
	double get;
	double clear;
	uint64_t bits;	/* dirty bits GET returned */
};

static uint64_t popcount_bitmap(const uint64_t *b, uint64_t words)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < words; i++)
		n += (uint64_t)__builtin_popcountll(b[i]);
	return n;
}

static const struct bench_gcmd dirty_cmd = {
	.write = true, .len = 8, .gpa = SLOT_GPA, .count = SLOT_PAGES, .stride = BENCH_PAGE,
	.value = 0x64697274,
};

/* ------------------------------------------------------------------------ */
/* vmmu                                                                      */
/* ------------------------------------------------------------------------ */

struct dirty_vmmu {
	struct bench_vm b;
	uint64_t *bitmap;
};

/* One dirty-logged slot (id SLOT_ID) of SLOT_SIZE at SLOT_GPA, manual protect, one vCPU. */
static int dv_open(struct dirty_vmmu *d)
{
	const struct bench_vm_spec spec = {
		.manual_protect = VMMU_DIRTY_LOG_MANUAL_PROTECT_ENABLE, .mem_size = SLOT_SIZE,
		.gpa = SLOT_GPA, .slot_size = SLOT_SIZE, .nr_slots = 1,
		.slot_flags = VMMU_MEM_LOG_DIRTY_PAGES, .nr_vcpus = 1,
	};
	int r;

	d->bitmap = calloc(SLOT_PAGES / 64, sizeof(uint64_t));
	if (!d->bitmap)
		return -ENOMEM;
	r = bench_vm_open(&d->b, &spec);
	if (r)
		free(d->bitmap);
	return r;
}

static void dv_close(struct dirty_vmmu *d)
{
	bench_vm_close(&d->b);
	free(d->bitmap);
}

static int dv_round(struct dirty_vmmu *d, struct dirty_round *res)
{
	uint64_t mm = 0, mmio = 0, passes = 0;
	_Atomic bool stop = false;
	double t0, t1, t2, t3;
	int r;

	t0 = bench_now();
	r = bench_vmmu_run_cmd(d->b.vcpu[0], &dirty_cmd, &stop, &mm, &mmio, &passes);
	t1 = bench_now();
	if (!r)
		r = vmmu_get_dirty_log(d->b.vm, SLOT_ID, d->bitmap);
	t2 = bench_now();
	if (!r)
		r = vmmu_clear_dirty_log(d->b.vm, SLOT_ID, 0, SLOT_PAGES, d->bitmap);
	t3 = bench_now();
	res->pass = t1 - t0;
	res->get = t2 - t1;
	res->clear = t3 - t2;
	res->bits = popcount_bitmap(d->bitmap, SLOT_PAGES / 64);
	return r;
}

/* ------------------------------------------------------------------------ */
/* KVM (worker)                                                              */
/* ------------------------------------------------------------------------ */

static struct bkvm *dk;
static uint8_t *dk_mem;
static uint64_t *dk_bitmap;

static int kvm_dirty_close(const int64_t *a, double *v)
{
	(void)a;
	(void)v;
	bkvm_close(dk);
	dk = NULL;
	bench_unmap(dk_mem, SLOT_SIZE);
	dk_mem = NULL;
	free(dk_bitmap);
	dk_bitmap = NULL;
	return 0;
}

static int kvm_dirty_setup(const int64_t *a, double *v)
{
	int r;

	dk_mem = bench_map(SLOT_SIZE);
	dk_bitmap = calloc(SLOT_PAGES / 64, sizeof(uint64_t));
	if (!dk_mem || !dk_bitmap)
		return -ENOMEM;
	r = bkvm_open(&dk, BKVM_FLAT);
	if (!r)
		r = bkvm_enable_manual_protect(dk);
	if (!r)
		r = bkvm_set_region(dk, SLOT_ID, 1u /* KVM_MEM_LOG_DIRTY_PAGES */, SLOT_GPA,
				    SLOT_SIZE, dk_mem);
	if (r)
		kvm_dirty_close(a, v);
	return r;
}

/* v = pass, get, clear (seconds), dirty bits. */
static int kvm_dirty_round(const int64_t *a, double *v)
{
	double t0, t1, t2, t3;
	int r;

	(void)a;
	if (!dk)
		return -ENODEV;
	t0 = bench_now();
	bench_guest_post(dk->guest, &dirty_cmd);
	r = bench_guest_wait(dk->guest);
	t1 = bench_now();
	if (!r)
		r = bkvm_get_dirty_log(dk, SLOT_ID, dk_bitmap);
	t2 = bench_now();
	if (!r)
		r = bkvm_clear_dirty_log(dk, SLOT_ID, 0, SLOT_PAGES, dk_bitmap);
	t3 = bench_now();
	v[0] = t1 - t0;
	v[1] = t2 - t1;
	v[2] = t3 - t2;
	v[3] = (double)popcount_bitmap(dk_bitmap, SLOT_PAGES / 64);
	return r;
}

/* ------------------------------------------------------------------------ */

int bench_dirty(const struct bench_opts *o)
{
	static const char *const names[3] = { "get", "clear", "dirty-pass" };
	static const char *const units[3] = { "ms", "ms", "ns" };
	struct bench_samples sv[3], sk[3];
	bool kvm = bench_worker_alive();
	uint64_t vbits = 0, kbits = 0;
	struct dirty_vmmu d;
	struct dirty_round dr;
	unsigned int reps = o->quick ? 2 : o->reps;
	int r;

	memset(sv, 0, sizeof(sv));
	memset(sk, 0, sizeof(sk));
	r = dv_open(&d);
	if (r) {
		bench_progress("dirty: setup failed: %s", vmmu_strerror(r));
		return r;
	}
	if (kvm && (r = bench_worker_call(kvm_dirty_setup, NULL, NULL))) {
		bench_progress("dirty: KVM setup failed: %s", strerror(-r));
		kvm = false;
	}
	r = 0;
	for (unsigned int rep = 0; rep <= reps && !r; rep++) {
		double v[BENCH_WORKER_ARGS];

		if (kvm) {
			int k = bench_worker_call(kvm_dirty_round, NULL, v);

			if (k) {
				bench_progress("dirty: KVM round failed: %s", strerror(-k));
				kvm = false;
			} else if (rep) {
				bench_sample(&sk[0], v[1] * 1e3);
				bench_sample(&sk[1], v[2] * 1e3);
				bench_sample(&sk[2], v[0] * 1e9 / SLOT_PAGES);
				kbits = (uint64_t)v[3];
			}
		}
		r = dv_round(&d, &dr);
		if (!r && rep) {
			bench_sample(&sv[0], dr.get * 1e3);
			bench_sample(&sv[1], dr.clear * 1e3);
			bench_sample(&sv[2], dr.pass * 1e9 / SLOT_PAGES);
			vbits = dr.bits;
		}
	}
	if (bench_worker_alive())
		bench_worker_call(kvm_dirty_close, NULL, NULL);
	dv_close(&d);
	for (int i = 0; i < 3; i++) {
		struct bench_result *res = bench_result_add("dirty", "", i, units[i], false, "%s",
							    names[i]);

		bench_result_vmmu(res, &sv[i]);
		bench_result_kvm(res, &sk[i]);
	}
	bench_info("dirty", "pages in the slot", (double)SLOT_PAGES, "");
	bench_info("dirty", "vmmu: dirty bits per GET (last round)", (double)vbits, "");
	if (kvm)
		bench_info("dirty", "KVM: dirty bits per GET (last round)", (double)kbits, "");
	if (!r && vbits != SLOT_PAGES) {
		bench_progress("dirty: vmmu GET returned %llu dirty pages, expected %llu",
			       (unsigned long long)vbits, (unsigned long long)SLOT_PAGES);
		r = -EIO;
	}
	if (r)
		bench_progress("dirty: failed: %s", vmmu_strerror(r));
	bench_print_suite("dirty", "1 GiB slot, manual protect; the guest dirties every page "
			  "between rounds (dirty-pass: ns per page)");
	return r;
}
