/* SPDX-License-Identifier: MIT */
/*
 * MMU-notifier unit tests (docs/KVM-SEMANTICS.md, "MMU-notifier coherence"), direct backend, public
 * API, with a look at the brackets' internals where a case says so:
 *
 *  - start/end on host ranges that hit no slot (including the pages right
 *    before and after a slot) change nothing: no zap, no flush, no retry;
 *  - start() zaps exactly the gfns of the host range and flushes: a vCPU
 *    whose TLB cached a page refaults it;
 *  - a fault on a gfn inside an active invalidation retries until end()
 *    (deterministic: the access cannot complete while the bracket is open,
 *    and notifier_retries/pf_retry grow); a fault outside the range does not
 *    wait;
 *  - a memslot update does not wait for open brackets; a slot created
 *    inside a bracket over its memory is covered by it until end();
 *  - precision: a bracket on slot A, open or ending, makes no fault on
 *    slot B (another 256 KiB granule) wait or retry;
 *  - change_pte: -EINVAL and change_pte_unbracketed outside a bracket, 0
 *    inside; inside, it only re-points SPTEs that are present (none, after
 *    start()), so it installs nothing;
 *  - clear_young / test_young / clear_flush_young;
 *  - release() zaps everything; later accesses refault and work;
 *  - a start() over memory nothing maps takes no mmu_lock for write
 *    (invalidate_unlocked) and still covers it: a fault there waits for
 *    end(); a start() over a mapped page zaps it (the slow path); more
 *    open brackets than there are slots are still exact (untracked ones
 *    cover everything until their end());
 *  - a start() over many small slots zaps every page of each, whether
 *    their gfns follow each other (one walk) or not;
 *  - over random layouts (back to back, reversed, aliased, gapped, two
 *    address spaces, edges inside pages, a slot moved or created while the
 *    bracket is open), a fault retries exactly on the gfns whose host page
 *    meets the bracket, and end() makes all of their snapshots stale.
 *
 * Threads synchronize only through atomics; waits are bounded spins with
 * sched_yield and a clock deadline (a hang is reported, not waited out).
 *
 * Usage: test_notifier [case-name-substring]
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <vmmu.h>

#include "../test_util.h"
#include "vm.h"		/* the direct backend's bracket counters */
#include "notifier.h"	/* the fault's retry check, for bracket_coverage_random */

#define PAGE		VMMU_PAGE_SIZE

/* How long a spinning check waits for something that must happen. */
#define DEADLINE_S	20.0
/* How long a check spins to see that something does NOT happen. */
#define BLOCK_SPINS	20000

/* Spin (yielding) until *@flag is non-zero; false at the deadline. */
static bool wait_flag(atomic_int *flag, double seconds)
{
	double end = test_now() + seconds;

	for (unsigned int i = 0; !atomic_load_explicit(flag, memory_order_acquire); i++) {
		sched_yield();
		if (!(i & 255) && test_now() > end)
			return false;
	}
	return true;
}

/* Spin a bounded number of times; true if *@flag stayed zero throughout. */
static bool stays_zero(atomic_int *flag)
{
	for (unsigned int i = 0; i < BLOCK_SPINS; i++) {
		if (atomic_load_explicit(flag, memory_order_acquire))
			return false;
		sched_yield();
	}
	return !atomic_load_explicit(flag, memory_order_acquire);
}

/* ------------------------------------------------------------------------ */
/* A guest access on another thread                                          */
/* ------------------------------------------------------------------------ */

struct async_access {
	struct vmmu_vcpu *vcpu;
	uint64_t gpa;
	uint64_t val;		/* in: value to write; out: value read */
	bool write;
	int r;
	atomic_int entered, done;
	pthread_t thr;
};

static void *async_access_fn(void *arg)
{
	struct async_access *a = arg;
	struct vmmu_exit ex;

	atomic_store_explicit(&a->entered, 1, memory_order_release);
	a->r = vmmu_vcpu_access(a->vcpu, a->gpa, &a->val, 8, a->write ? VMMU_ACCESS_WRITE : 0,
				&ex);
	atomic_store_explicit(&a->done, 1, memory_order_release);
	return NULL;
}

static void async_access_start(struct async_access *a, struct vmmu_vcpu *vcpu, uint64_t gpa,
			       bool write, uint64_t val)
{
	memset(a, 0, sizeof(*a));
	a->vcpu = vcpu;
	a->gpa = gpa;
	a->write = write;
	a->val = val;
	atomic_init(&a->entered, 0);
	atomic_init(&a->done, 0);
	TEST_ASSERT_EQ(pthread_create(&a->thr, NULL, async_access_fn, a), 0);
	TEST_ASSERT(wait_flag(&a->entered, DEADLINE_S), "access thread did not start");
}

static void async_access_join(struct async_access *a)
{
	TEST_ASSERT(wait_flag(&a->done, DEADLINE_S),
		    "access to gpa %#llx did not complete in %.0f s (retrying forever?)",
		    (unsigned long long)a->gpa, DEADLINE_S);
	TEST_ASSERT_EQ(pthread_join(a->thr, NULL), 0);
	TEST_ASSERT(a->r == 0, "async access of gpa %#llx: %d (%s)", (unsigned long long)a->gpa,
		    a->r, vmmu_strerror(a->r));
}

/* ------------------------------------------------------------------------ */
/* Cases                                                                     */
/* ------------------------------------------------------------------------ */

/*
 * Ranges hitting no slot: no zap, no flush, no retry, no seq bump (a fault
 * running across such a bracket installs its SPTE), generation unchanged.
 */
static void test_nohit(void)
{
	struct vmmu_vm *vm = test_vm_new(.nr_address_spaces = 2);
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	/* [guard][slot: 8 pages][guard][other] */
	uint8_t *mem = test_alloc_guest(32 * PAGE);
	uint8_t *slot = mem + PAGE;
	uint64_t s0 = HVA(slot), s1 = HVA(slot + 8 * PAGE);
	const uint64_t ranges[][2] = {
		{ s0 - PAGE, s0 },			/* the page before the slot */
		{ s0 - 1, s0 },				/* its last byte */
		{ s1, s1 + PAGE },			/* the page after */
		{ s1, s1 + 1 },
		{ HVA(mem + 16 * PAGE), HVA(mem + 32 * PAGE) },
		{ 0, PAGE },
		{ s0 + PAGE, s0 + PAGE },		/* empty */
		{ s0 + 2 * PAGE, s0 + PAGE },		/* inverted */
	};
	struct vmmu_stats before, after;
	uint64_t gen0, gen1;

	TEST_SET_REGION_OK(vm, SLOT(0, 0), 0, 0x100000, 8 * PAGE, slot);
	for (int p = 0; p < 8; p++)
		test_vcpu_write64(vcpu, 0x100000 + p * PAGE, 100 + p);
	for (int p = 0; p < 8; p++)
		TEST_ASSERT_EQ(test_vcpu_read64(vcpu, 0x100000 + p * PAGE), 100 + p); /* TLB warm */
	gen0 = vmmu_memslots_generation(vm, 0);
	gen1 = vmmu_memslots_generation(vm, 1);
	before = test_vm_stats(vm);

	for (size_t i = 0; i < ARRAY_SIZE(ranges); i++) {
		vmmu_mmu_notifier_invalidate_range_start(vm, ranges[i][0], ranges[i][1]);
		vmmu_mmu_notifier_invalidate_range_end(vm, ranges[i][0], ranges[i][1]);
	}
	after = test_vm_stats(vm);
	TEST_ASSERT_EQ(after.sptes_zapped, before.sptes_zapped);
	TEST_ASSERT_EQ(after.remote_tlb_flush_requests, before.remote_tlb_flush_requests);
	TEST_ASSERT_EQ(vmmu_memslots_generation(vm, 0), gen0);
	TEST_ASSERT_EQ(vmmu_memslots_generation(vm, 1), gen1);
	/* every page is still mapped and cached: no fault, no TLB fill */
	for (int p = 0; p < 8; p++) {
		TEST_ASSERT_EQ(vmmu_mmu_notifier_test_young(vm, s0 + p * PAGE), 1);
		TEST_ASSERT_EQ(test_vcpu_read64(vcpu, 0x100000 + p * PAGE), 100 + p);
	}
	after = test_vm_stats(vm);
	TEST_ASSERT_EQ(after.pf_fixed, before.pf_fixed);
	TEST_ASSERT_EQ(after.tlb_fills, before.tlb_fills);

	/*
	 * A fault taken while a no-hit bracket is open does not retry (no
	 * in_progress, no seq bump) - it must complete before end().
	 */
	TEST_SET_REGION_OK(vm, SLOT(0, 1), 0, 0x200000, 4 * PAGE, mem + 20 * PAGE);
	before = test_vm_stats(vm);
	vmmu_mmu_notifier_invalidate_range_start(vm, s1, s1 + PAGE);
	test_vcpu_write64(vcpu, 0x200000, 7);		/* would spin forever if it retried */
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, 0x200000 + 8), 0);
	vmmu_mmu_notifier_invalidate_range_end(vm, s1, s1 + PAGE);
	after = test_vm_stats(vm);
	TEST_ASSERT_EQ(after.pf_retry, before.pf_retry);
	TEST_ASSERT_EQ(after.notifier_retries, before.notifier_retries);
	TEST_ASSERT(after.pf_fixed > before.pf_fixed, "the fault was not fixed");
	/* and the SPTE it installed survives end() */
	TEST_ASSERT_EQ(vmmu_mmu_notifier_test_young(vm, HVA(mem + 20 * PAGE)), 1);

	vmmu_vm_destroy(vm);
	munmap(mem, 32 * PAGE);
}

/*
 * start() zaps exactly the gfns covering [start, end) (partial pages
 * included) and flushes, so a vCPU refaults them; other pages stay mapped.
 */
static void test_zap_range(void)
{
	struct vmmu_vm *vm = test_vm_new(.nr_address_spaces = 2);
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	uint8_t *mem = test_alloc_guest(16 * PAGE);
	uint64_t h = HVA(mem);
	struct vmmu_stats before, after;

	/* the same memory in both address spaces: one host range, two slots */
	TEST_SET_REGION_OK(vm, SLOT(0, 0), 0, 0, 16 * PAGE, mem);
	TEST_SET_REGION_OK(vm, SLOT(1, 0), 0, 0x40000000, 16 * PAGE, mem);
	for (int p = 0; p < 16; p++)
		test_vcpu_write64(vcpu, p * PAGE, p);
	TEST_ASSERT_EQ(vmmu_vcpu_set_address_space(vcpu, 1), 0);
	for (int p = 0; p < 16; p++)
		TEST_ASSERT_EQ(test_vcpu_read64(vcpu, 0x40000000 + p * PAGE), p);
	TEST_ASSERT_EQ(vmmu_vcpu_set_address_space(vcpu, 0), 0);
	for (int p = 0; p < 16; p++)
		TEST_ASSERT_EQ(test_vcpu_read64(vcpu, p * PAGE), p);	/* TLB warm for AS 0 */

	/* bytes [page 3 + 5, page 5 + 1): pages 3, 4 and 5 */
	before = test_vm_stats(vm);
	vmmu_mmu_notifier_invalidate_range_start(vm, h + 3 * PAGE + 5, h + 5 * PAGE + 1);
	for (int p = 0; p < 16; p++)
		TEST_ASSERT(vmmu_mmu_notifier_test_young(vm, h + p * PAGE) == (p < 3 || p > 5),
			    "page %d young = %d inside the bracket", p,
			    vmmu_mmu_notifier_test_young(vm, h + p * PAGE));
	after = test_vm_stats(vm);
	TEST_ASSERT_EQ(after.sptes_zapped - before.sptes_zapped, 6);	/* 3 pages x 2 AS */
	TEST_ASSERT(after.remote_tlb_flush_requests > before.remote_tlb_flush_requests,
		    "start() zapped without flushing");
	/* pages outside the range are still served inside the bracket */
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, 2 * PAGE), 2);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, 6 * PAGE), 6);
	memcpy(mem + 4 * PAGE, "NEWDATA!", 8);		/* "the host page changed" */
	vmmu_mmu_notifier_invalidate_range_end(vm, h + 3 * PAGE + 5, h + 5 * PAGE + 1);

	/* one fault maps page 4 and prefetches 3 and 5 (their 256 KiB group's
	 * only empty entries), not young until the reads touch them */
	before = test_vm_stats(vm);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, 4 * PAGE), *(uint64_t *)"NEWDATA!");
	after = test_vm_stats(vm);
	TEST_ASSERT_EQ(after.pf_fixed - before.pf_fixed, 1);
	TEST_ASSERT_EQ(after.pf_prefetched - before.pf_prefetched, 2);
	TEST_ASSERT_EQ(vmmu_mmu_notifier_test_young(vm, h + 3 * PAGE), 0);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, 3 * PAGE), 3);
	TEST_ASSERT_EQ(vmmu_mmu_notifier_test_young(vm, h + 3 * PAGE), 1);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, 5 * PAGE), 5);
	after = test_vm_stats(vm);
	TEST_ASSERT_EQ(after.pf_fixed - before.pf_fixed, 1);
	vmmu_vm_destroy(vm);
	munmap(mem, 16 * PAGE);
}

/*
 * A fault on a gfn of an open invalidation retries until end(): the access
 * (to a page whose translation the vCPU had cached) cannot complete inside
 * the bracket and completes after it.  A fault outside the range completes
 * inside the bracket.
 */
static void test_fault_retries_in_bracket(void)
{
	struct vmmu_vm *vm = test_vm_new(.nr_address_spaces = 2);
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	uint8_t *mem = test_alloc_guest(64 * PAGE);
	uint64_t h = HVA(mem);
	struct vmmu_stats before, after;
	struct async_access a;
	double end;

	TEST_SET_REGION_OK(vm, SLOT(0, 0), 0, 0, 64 * PAGE, mem);
	for (int p = 0; p < 64; p++)
		test_vcpu_write64(vcpu, p * PAGE, p);

	for (int round = 0; round < 3; round++) {
		bool write = round & 1;
		uint64_t p = 10 + round;

		TEST_ASSERT_EQ(test_vcpu_read64(vcpu, p * PAGE), p);	/* cached in the TLB */
		before = test_vm_stats(vm);
		vmmu_mmu_notifier_invalidate_range_start(vm, h + 8 * PAGE, h + 16 * PAGE);
		async_access_start(&a, vcpu, p * PAGE, write, 1000 + p);
		/* positive evidence that it is retrying ... */
		end = test_now() + DEADLINE_S;
		do {
			after = test_vm_stats(vm);
			TEST_ASSERT(test_now() < end && !atomic_load(&a.done),
				    "round %d: access inside the bracket %s", round,
				    atomic_load(&a.done) ? "completed" : "never retried");
			sched_yield();
		} while (after.notifier_retries == before.notifier_retries ||
			 after.pf_retry == before.pf_retry);
		/* ... and that it keeps doing so */
		TEST_ASSERT(stays_zero(&a.done), "round %d: access completed inside the bracket",
			    round);
		vmmu_mmu_notifier_invalidate_range_end(vm, h + 8 * PAGE, h + 16 * PAGE);
		async_access_join(&a);
		if (!write)
			TEST_ASSERT_EQ(a.val, p);
		TEST_ASSERT_EQ(test_vcpu_read64(vcpu, p * PAGE), write ? 1000 + p : p);
	}

	/* outside the range: no waiting (range-based retry) */
	vmmu_mmu_notifier_invalidate_range_start(vm, h + 8 * PAGE, h + 16 * PAGE);
	async_access_start(&a, vcpu, 40 * PAGE, true, 4040);
	async_access_join(&a);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, 40 * PAGE), 4040);
	vmmu_mmu_notifier_invalidate_range_end(vm, h + 8 * PAGE, h + 16 * PAGE);

	/*
	 * Nested invalidations: the fault waits for the end() of the bracket
	 * that covers it, not for the other one's.
	 */
	vmmu_mmu_notifier_invalidate_range_start(vm, h + 20 * PAGE, h + 21 * PAGE);
	vmmu_mmu_notifier_invalidate_range_start(vm, h + 30 * PAGE, h + 31 * PAGE);
	async_access_start(&a, vcpu, 20 * PAGE, false, 0);
	TEST_ASSERT(stays_zero(&a.done), "access completed with two invalidations open");
	vmmu_mmu_notifier_invalidate_range_end(vm, h + 30 * PAGE, h + 31 * PAGE);
	TEST_ASSERT(stays_zero(&a.done), "access completed with one invalidation open");
	vmmu_mmu_notifier_invalidate_range_end(vm, h + 20 * PAGE, h + 21 * PAGE);
	async_access_join(&a);
	TEST_ASSERT_EQ(a.val, 20);

	vmmu_vm_destroy(vm);
	munmap(mem, 64 * PAGE);
}

struct async_region {
	struct vmmu_vm *vm;
	uint32_t slot;
	uint64_t gpa, size;
	void *hva;
	int r;
	atomic_int entered, done;
	pthread_t thr;
};

static void *async_region_fn(void *arg)
{
	struct async_region *a = arg;

	atomic_store_explicit(&a->entered, 1, memory_order_release);
	a->r = test_set_region(a->vm, a->slot, 0, a->gpa, a->size, a->hva);
	atomic_store_explicit(&a->done, 1, memory_order_release);
	return NULL;
}

/* Join @thr within @seconds (the failure detector for "does not wait"). */
static bool join_within(pthread_t thr, double seconds)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)seconds;
	return pthread_timedjoin_np(thr, NULL, &ts) == 0;
}

/*
 * No starvation (docs/DESIGN.md, "Range-precise retry"): a memslot update
 * does not wait for open brackets.  With a bracket open (start() without
 * end()) on slot 0's memory, CREATE and DELETE of another slot complete.
 * A slot created inside a bracket over its own memory is added to the
 * bracket: a fault there retries until end(), then completes.
 */
static void test_memslot_update_no_wait(void)
{
	struct vmmu_vm *vm = test_vm_new(.nr_address_spaces = 2);
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	uint8_t *mem = test_alloc_guest(64 * PAGE);
	uint64_t h = HVA(mem);
	const struct {
		const char *what;
		uint32_t slot;
		uint64_t gpa, size;	/* the update the thread makes; size 0: DELETE */
	} cases[] = {
		{ "CREATE", SLOT(0, 1), 0x100000, 4 * PAGE },
		{ "DELETE", SLOT(0, 1), 0x100000, 0 },
		{ "CREATE in AS 1", SLOT(1, 5), 0x200000, 4 * PAGE },
		{ "DELETE in AS 1", SLOT(1, 5), 0x200000, 0 },
	};
	struct async_access acc;

	TEST_SET_REGION_OK(vm, SLOT(0, 0), 0, 0, 16 * PAGE, mem);
	test_vcpu_write64(vcpu, 0, 1);

	vmmu_mmu_notifier_invalidate_range_start(vm, h, h + PAGE);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct async_region a = {
			.vm = vm,
			.slot = cases[i].slot,
			.gpa = cases[i].gpa,
			.size = cases[i].size,
			.hva = mem + 16 * PAGE,
		};
		uint64_t gen = vmmu_memslots_generation(vm, a.slot >> 16);

		atomic_init(&a.entered, 0);
		atomic_init(&a.done, 0);
		TEST_ASSERT_EQ(pthread_create(&a.thr, NULL, async_region_fn, &a), 0);
		TEST_ASSERT(join_within(a.thr, 10.0), "%s: memslot update still waiting after "
			    "10 s for the open bracket on slot 0", cases[i].what);
		TEST_ASSERT(a.r == 0, "%s: %d (%s)", cases[i].what, a.r, vmmu_strerror(a.r));
		TEST_ASSERT(vmmu_memslots_generation(vm, a.slot >> 16) > gen, "%s: no swap",
			    cases[i].what);
	}
	vmmu_mmu_notifier_invalidate_range_end(vm, h, h + PAGE);

	/* CREATE inside a bracket over the new slot's memory: the bracket covers it. */
	vmmu_mmu_notifier_invalidate_range_start(vm, h + 16 * PAGE, h + 20 * PAGE);
	{
		struct async_region a = {
			.vm = vm, .slot = SLOT(0, 1), .gpa = 0x100000, .size = 4 * PAGE,
			.hva = mem + 16 * PAGE,
		};

		atomic_init(&a.entered, 0);
		atomic_init(&a.done, 0);
		TEST_ASSERT_EQ(pthread_create(&a.thr, NULL, async_region_fn, &a), 0);
		TEST_ASSERT(join_within(a.thr, 10.0), "CREATE inside a bracket over its memory "
			    "still waiting after 10 s");
		TEST_ASSERT_EQ(a.r, 0);
	}
	async_access_start(&acc, vcpu, 0x100000 + PAGE, true, 77);
	TEST_ASSERT(stays_zero(&acc.done), "access to a slot created inside a bracket over its "
		    "memory completed before the bracket's end()");
	vmmu_mmu_notifier_invalidate_range_end(vm, h + 16 * PAGE, h + 20 * PAGE);
	async_access_join(&acc);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, 0x100000 + PAGE), 77);

	/* the VM still works */
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, 0), 1);
	vmmu_vm_destroy(vm);
	munmap(mem, 64 * PAGE);
}

struct storm {
	struct vmmu_vm *vm;
	uint64_t start, end;
	atomic_int stop;
	atomic_long rounds;
	pthread_t thr;
};

static void *storm_fn(void *arg)
{
	struct storm *s = arg;

	while (!atomic_load_explicit(&s->stop, memory_order_acquire)) {
		vmmu_mmu_notifier_invalidate_range_start(s->vm, s->start, s->end);
		vmmu_mmu_notifier_invalidate_range_end(s->vm, s->start, s->end);
		atomic_fetch_add_explicit(&s->rounds, 1, memory_order_release);
	}
	return NULL;
}

/*
 * Precision (docs/DESIGN.md, "Range-precise retry"): a bracket on slot A's
 * memory neither holds up nor retries a fault on slot B, open or ending.
 * A and B lie in different 256 KiB granules (different buckets).
 */
static void test_precise_retry(void)
{
	struct vmmu_vm *vm = test_vm_new(.nr_address_spaces = 2);
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	uint8_t *mem = test_alloc_guest(512 * PAGE);
	uint64_t h = HVA(mem);
	const uint64_t b_gpa = 0x1000000;
	struct vmmu_stats before, after;
	struct async_access acc;
	struct storm st = { .vm = vm, .start = h, .end = h + 16 * PAGE };

	TEST_SET_REGION_OK(vm, SLOT(0, 0), 0, 0, 16 * PAGE, mem);		/* A */
	TEST_SET_REGION_OK(vm, SLOT(0, 1), 0, b_gpa, 256 * PAGE, mem + 256 * PAGE);	/* B */
	test_vcpu_write64(vcpu, 0, 1);

	/* An open bracket on A: a first-touch fault on B completes, no retry. */
	vmmu_mmu_notifier_invalidate_range_start(vm, h, h + 16 * PAGE);
	before = test_vm_stats(vm);
	async_access_start(&acc, vcpu, b_gpa + 5 * PAGE, true, 55);
	TEST_ASSERT(join_within(acc.thr, 10.0), "access to slot B waited 10 s for a bracket "
		    "on slot A");
	TEST_ASSERT_EQ(acc.r, 0);
	after = test_vm_stats(vm);
	TEST_ASSERT(after.notifier_retries == before.notifier_retries &&
		    after.pf_retry == before.pf_retry,
		    "fault on slot B retried for a bracket on slot A (notifier_retries %llu -> "
		    "%llu, pf_retry %llu -> %llu)", (unsigned long long)before.notifier_retries,
		    (unsigned long long)after.notifier_retries,
		    (unsigned long long)before.pf_retry, (unsigned long long)after.pf_retry);
	vmmu_mmu_notifier_invalidate_range_end(vm, h, h + 16 * PAGE);

	/* end()s on A while B's pages are faulted in for the first time: no retry. */
	atomic_init(&st.stop, 0);
	atomic_init(&st.rounds, 0);
	TEST_ASSERT_EQ(pthread_create(&st.thr, NULL, storm_fn, &st), 0);
	while (atomic_load_explicit(&st.rounds, memory_order_acquire) < 1)
		sched_yield();
	before = test_vm_stats(vm);
	for (int p = 0; p < 256; p++)
		if (p != 5)
			test_vcpu_write64(vcpu, b_gpa + p * PAGE, 1000 + p);
	after = test_vm_stats(vm);
	atomic_store_explicit(&st.stop, 1, memory_order_release);
	TEST_ASSERT(join_within(st.thr, 10.0), "storm thread did not stop");
	TEST_ASSERT(after.notifier_retries == before.notifier_retries &&
		    after.pf_retry == before.pf_retry,
		    "faults on slot B retried for end()s on slot A (notifier_retries %llu -> "
		    "%llu, pf_retry %llu -> %llu, %ld brackets on A)",
		    (unsigned long long)before.notifier_retries,
		    (unsigned long long)after.notifier_retries,
		    (unsigned long long)before.pf_retry, (unsigned long long)after.pf_retry,
		    atomic_load(&st.rounds));
	for (int p = 0; p < 256; p++)
		TEST_ASSERT_EQ(test_vcpu_read64(vcpu, b_gpa + p * PAGE), p == 5 ? 55 : 1000 + p);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, 0), 1);
	vmmu_vm_destroy(vm);
	munmap(mem, 512 * PAGE);
}

/* change_pte outside a bracket is refused and counted; inside it is fine. */
static void test_change_pte(void)
{
	struct vmmu_vm *vm = test_vm_new(.nr_address_spaces = 2);
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	uint8_t *mem = test_alloc_guest(8 * PAGE);
	uint64_t h = HVA(mem);
	struct vmmu_stats st;

	TEST_SET_REGION_OK(vm, SLOT(0, 0), 0, 0, 8 * PAGE, mem);
	test_vcpu_write64(vcpu, 2 * PAGE, 22);
	TEST_ASSERT_EQ(test_vm_stats(vm).change_pte_unbracketed, 0);

	TEST_ASSERT_EQ(vmmu_mmu_notifier_change_pte(NULL, h, h, 1), -EINVAL);
	TEST_ASSERT_EQ(vmmu_mmu_notifier_change_pte(vm, h + 2 * PAGE + 8, h + 2 * PAGE, 1),
		       -EINVAL);
	TEST_ASSERT_EQ(test_vm_stats(vm).change_pte_unbracketed, 1);
	TEST_ASSERT_EQ(vmmu_mmu_notifier_change_pte(vm, h + 2 * PAGE, h + 2 * PAGE, 0), -EINVAL);
	TEST_ASSERT_EQ(vmmu_mmu_notifier_change_pte(vm, h + 5 * PAGE, h + 5 * PAGE, 0), -EINVAL);
	TEST_ASSERT_EQ(test_vm_stats(vm).change_pte_unbracketed, 3);
	/* refused means unchanged: still mapped, young, writable */
	TEST_ASSERT_EQ(vmmu_mmu_notifier_test_young(vm, h + 2 * PAGE), 1);
	st = test_vm_stats(vm);
	test_vcpu_write64(vcpu, 2 * PAGE + 8, 23);
	TEST_ASSERT_EQ(test_vm_stats(vm).pf_fixed, st.pf_fixed);

	/* inside a bracket covering the address */
	vmmu_mmu_notifier_invalidate_range_start(vm, h + 2 * PAGE, h + 3 * PAGE);
	TEST_ASSERT_EQ(vmmu_mmu_notifier_change_pte(vm, h + 2 * PAGE, h + 2 * PAGE, 1), 0);
	TEST_ASSERT_EQ(vmmu_mmu_notifier_change_pte(vm, h + 2 * PAGE + 100, h + 2 * PAGE, 0), 0);
	vmmu_mmu_notifier_invalidate_range_end(vm, h + 2 * PAGE, h + 3 * PAGE);
	TEST_ASSERT_EQ(test_vm_stats(vm).change_pte_unbracketed, 3);
	/* after end(): refused again */
	TEST_ASSERT_EQ(vmmu_mmu_notifier_change_pte(vm, h + 2 * PAGE, h + 2 * PAGE, 1), -EINVAL);
	TEST_ASSERT_EQ(test_vm_stats(vm).change_pte_unbracketed, 4);
	/* the page works for reads and writes */
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, 2 * PAGE), 22);
	test_vcpu_write64(vcpu, 2 * PAGE, 24);
	TEST_ASSERT_EQ(*(volatile uint64_t *)(mem + 2 * PAGE), 24);
	vmmu_vm_destroy(vm);
	munmap(mem, 8 * PAGE);
}

/*
 * Inside the bracket start() has zapped the page; change_pte "re-points
 * SPTEs still mapping the page" (vmmu.h), as KVM's kvm_set_spte_gfn only
 * touches present SPTEs: none, so no translation may appear inside the
 * bracket.  Observable: test_young stays 0 after change_pte.
 */
static void test_change_pte_no_install(void)
{
	struct vmmu_vm *vm = test_vm_new(.nr_address_spaces = 2);
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	uint8_t *mem = test_alloc_guest(8 * PAGE);
	uint64_t h = HVA(mem);

	TEST_SET_REGION_OK(vm, SLOT(0, 0), 0, 0, 8 * PAGE, mem);
	test_vcpu_write64(vcpu, 2 * PAGE, 22);
	vmmu_mmu_notifier_invalidate_range_start(vm, h + 2 * PAGE, h + 3 * PAGE);
	TEST_ASSERT_EQ(vmmu_mmu_notifier_test_young(vm, h + 2 * PAGE), 0);
	TEST_ASSERT_EQ(vmmu_mmu_notifier_change_pte(vm, h + 2 * PAGE, h + 2 * PAGE, 0), 0);
	TEST_ASSERT(vmmu_mmu_notifier_test_young(vm, h + 2 * PAGE) == 0,
		    "change_pte installed an SPTE for a gfn start() had zapped (KVM's "
		    "set_spte_gfn only re-points present SPTEs)");
	vmmu_mmu_notifier_invalidate_range_end(vm, h + 2 * PAGE, h + 3 * PAGE);
	test_vcpu_write64(vcpu, 2 * PAGE, 25);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, 2 * PAGE), 25);
	vmmu_vm_destroy(vm);
	munmap(mem, 8 * PAGE);
}

/*
 * A bracket whose range hits no slot is still a bracket (KVM warned on
 * !mn_active_invalidate_count, and returned quietly on !in_progress):
 * change_pte of an address inside it is not "unbracketed".
 */
static void test_change_pte_noslot_bracket(void)
{
	struct vmmu_vm *vm = test_vm_new(.nr_address_spaces = 2);
	uint8_t *mem = test_alloc_guest(8 * PAGE);
	uint64_t h = HVA(mem);

	TEST_SET_REGION_OK(vm, SLOT(0, 0), 0, 0, 4 * PAGE, mem);
	vmmu_mmu_notifier_invalidate_range_start(vm, h + 6 * PAGE, h + 7 * PAGE);
	TEST_ASSERT_EQ(vmmu_mmu_notifier_change_pte(vm, h + 6 * PAGE, h + 6 * PAGE, 1), 0);
	vmmu_mmu_notifier_invalidate_range_end(vm, h + 6 * PAGE, h + 7 * PAGE);
	TEST_ASSERT_EQ(test_vm_stats(vm).change_pte_unbracketed, 0);
	vmmu_vm_destroy(vm);
	munmap(mem, 8 * PAGE);
}

/*
 * Accessed bits.  clear_young does not flush: a vCPU may keep using its
 * cached translation without setting the bit again (as in KVM), so
 * test_young after such an access may be 0 or 1.  After a flush (or from a
 * vCPU with no cached translation) the access walks, finds A clear, takes
 * the fault path and sets it.
 */
static void test_aging(void)
{
	struct vmmu_vm *vm = test_vm_new(.nr_address_spaces = 2);
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	struct vmmu_vcpu *vcpu2 = test_vcpu_create(vm, 1);
	uint8_t *mem = test_alloc_guest(16 * PAGE);
	uint64_t h = HVA(mem), p = h + 3 * PAGE;
	int y;

	TEST_SET_REGION_OK(vm, SLOT(0, 0), 0, 0, 8 * PAGE, mem);
	/* not mapped / not in a slot: never young */
	TEST_ASSERT_EQ(vmmu_mmu_notifier_test_young(vm, p), 0);
	TEST_ASSERT_EQ(vmmu_mmu_notifier_test_young(vm, h + 12 * PAGE), 0);
	TEST_ASSERT_EQ(vmmu_mmu_notifier_clear_young(vm, h, h + 16 * PAGE), 0);
	TEST_ASSERT_EQ(vmmu_mmu_notifier_clear_flush_young(vm, h, h + 16 * PAGE), 0);
	TEST_ASSERT_EQ(vmmu_mmu_notifier_test_young(NULL, p), 0);

	/* a read maps the page young */
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, 3 * PAGE), 0);
	TEST_ASSERT_EQ(vmmu_mmu_notifier_test_young(vm, p), 1);
	TEST_ASSERT_EQ(vmmu_mmu_notifier_test_young(vm, p + PAGE - 1), 1);
	TEST_ASSERT_EQ(vmmu_mmu_notifier_test_young(vm, p + PAGE), 0);	/* page 4 */
	TEST_ASSERT_EQ(vmmu_mmu_notifier_test_young(vm, p), 1);	/* test does not clear */

	/* clear_flush_young: 1, then old; flushed, so the next access sets A */
	TEST_ASSERT_EQ(vmmu_mmu_notifier_clear_flush_young(vm, p, p + 1), 1);
	TEST_ASSERT_EQ(vmmu_mmu_notifier_test_young(vm, p), 0);
	TEST_ASSERT_EQ(vmmu_mmu_notifier_clear_flush_young(vm, p, p + PAGE), 0);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, 3 * PAGE + 8), 0);
	TEST_ASSERT_EQ(vmmu_mmu_notifier_test_young(vm, p), 1);

	/* clear_young: 1, then old */
	TEST_ASSERT_EQ(vmmu_mmu_notifier_clear_young(vm, h, h + 8 * PAGE), 1);
	TEST_ASSERT_EQ(vmmu_mmu_notifier_test_young(vm, p), 0);
	TEST_ASSERT_EQ(vmmu_mmu_notifier_clear_young(vm, h, h + 8 * PAGE), 0);
	/* the same vCPU, through its cached translation: 0 or 1 (no flush) */
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, 3 * PAGE + 16), 0);
	y = vmmu_mmu_notifier_test_young(vm, p);
	TEST_ASSERT(y == 0 || y == 1, "test_young = %d", y);
	printf("  after clear_young, an access through the cached translation left "
	       "test_young = %d (0 or 1 allowed)\n", y);
	/* a new translation (a vCPU that has none cached) sets it */
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu2, 3 * PAGE), 0);
	TEST_ASSERT_EQ(vmmu_mmu_notifier_test_young(vm, p), 1);

	/* writes make pages young too; ranges report any young page */
	TEST_ASSERT_EQ(vmmu_mmu_notifier_clear_flush_young(vm, h, h + 8 * PAGE), 1);
	test_vcpu_write64(vcpu, 5 * PAGE, 55);
	test_vcpu_write64(vcpu, 7 * PAGE, 77);
	TEST_ASSERT_EQ(vmmu_mmu_notifier_test_young(vm, h + 5 * PAGE), 1);
	TEST_ASSERT_EQ(vmmu_mmu_notifier_test_young(vm, h + 6 * PAGE), 0);
	TEST_ASSERT_EQ(vmmu_mmu_notifier_test_young(vm, h + 7 * PAGE), 1);
	TEST_ASSERT_EQ(vmmu_mmu_notifier_clear_young(vm, h + 6 * PAGE, h + 6 * PAGE + 1), 0);
	TEST_ASSERT_EQ(vmmu_mmu_notifier_clear_young(vm, h + 6 * PAGE, h + 8 * PAGE), 1);
	TEST_ASSERT_EQ(vmmu_mmu_notifier_test_young(vm, h + 5 * PAGE), 1);
	TEST_ASSERT_EQ(vmmu_mmu_notifier_test_young(vm, h + 7 * PAGE), 0);
	TEST_ASSERT_EQ(vmmu_mmu_notifier_clear_flush_young(vm, h + 5 * PAGE, h + 6 * PAGE), 1);
	TEST_ASSERT_EQ(vmmu_mmu_notifier_clear_flush_young(vm, h, h + 8 * PAGE), 0);
	/* aging never loses data or write access */
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, 5 * PAGE), 55);
	test_vcpu_write64(vcpu2, 7 * PAGE + 8, 78);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, 7 * PAGE + 8), 78);
	TEST_ASSERT_EQ(*(volatile uint64_t *)(mem + 7 * PAGE), 77);
	vmmu_vm_destroy(vm);
	munmap(mem, 16 * PAGE);
}

/* release() zaps every SPTE of every address space; the VM keeps working. */
static void test_release(void)
{
	struct vmmu_vm *vm = test_vm_new(.nr_address_spaces = 2);
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	uint8_t *mem = test_alloc_guest(64 * PAGE);
	uint64_t h = HVA(mem);
	struct vmmu_stats before, after;
	struct vmmu_exit ex;
	uint64_t v = 0;

	TEST_SET_REGION_OK(vm, SLOT(0, 0), 0, 0, 32 * PAGE, mem);
	TEST_SET_REGION_OK(vm, SLOT(1, 0), 0, 1ull << 32, 32 * PAGE, mem + 32 * PAGE);
	for (int p = 0; p < 32; p++)
		test_vcpu_write64(vcpu, p * PAGE, 1000 + p);
	TEST_ASSERT_EQ(vmmu_vcpu_access(vcpu, 0x10000000, &v, 8, 0, &ex), VMMU_EXIT_MMIO);
	TEST_ASSERT_EQ(vmmu_vcpu_set_address_space(vcpu, 1), 0);
	for (int p = 0; p < 32; p++)
		test_vcpu_write64(vcpu, (1ull << 32) + p * PAGE, 2000 + p);
	TEST_ASSERT_EQ(vmmu_vcpu_set_address_space(vcpu, 0), 0);
	TEST_ASSERT(test_vm_stats(vm).page_tables > 2, "no page tables were built");

	vmmu_mmu_notifier_release(vm);
	after = test_vm_stats(vm);
	TEST_ASSERT_EQ(after.page_tables, 2);	/* one empty root per address space */
	for (int p = 0; p < 64; p++)
		TEST_ASSERT_EQ(vmmu_mmu_notifier_test_young(vm, h + p * PAGE), 0);

	before = test_vm_stats(vm);
	for (int p = 0; p < 32; p++)
		TEST_ASSERT_EQ(test_vcpu_read64(vcpu, p * PAGE), 1000 + p);
	after = test_vm_stats(vm);
	/* refaulted: one fault per 256 KiB group, the rest prefetched */
	TEST_ASSERT_EQ(after.pf_fixed - before.pf_fixed, 1);
	TEST_ASSERT_EQ(after.pf_prefetched - before.pf_prefetched, 31);
	test_vcpu_write64(vcpu, 0, 1);
	TEST_ASSERT_EQ(*(volatile uint64_t *)mem, 1);
	TEST_ASSERT_EQ(vmmu_vcpu_access(vcpu, 0x10000000, &v, 8, 0, &ex), VMMU_EXIT_MMIO);
	TEST_ASSERT_EQ(vmmu_vcpu_set_address_space(vcpu, 1), 0);
	for (int p = 0; p < 32; p++)
		TEST_ASSERT_EQ(test_vcpu_read64(vcpu, (1ull << 32) + p * PAGE), 2000 + p);

	/* twice, and with nothing mapped */
	vmmu_mmu_notifier_release(vm);
	vmmu_mmu_notifier_release(vm);
	vmmu_mmu_notifier_release(NULL);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, (1ull << 32) + 5 * PAGE), 2005);
	/* memslots stay */
	TEST_ASSERT_EQ(test_set_region(vm, SLOT(0, 1), 0, 0, PAGE, mem + 63 * PAGE), -EEXIST);
	vmmu_vm_destroy(vm);
	munmap(mem, 64 * PAGE);
}

/*
 * start() on memory no SPTE maps opens its bracket without mmu_lock for
 * write; the bracket still holds faults off until end().  On mapped memory
 * it zaps.  70 brackets open at once (64 slots, then untracked ones) keep
 * every page covered and every end() matched.
 */
static void test_unlocked_start(void)
{
	struct vmmu_vm *vm = test_vm_new();
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	uint8_t *mem = test_alloc_guest(128 * PAGE);
	uint64_t h = HVA(mem);
	struct vmmu_stats before, after;
	struct async_access a;

	TEST_SET_REGION_OK(vm, SLOT(0, 0), 0, 0, 128 * PAGE, mem);
	memset(mem, 0, 128 * PAGE);

	/* nothing mapped: no write lock, no zap, no flush */
	before = test_vm_stats(vm);
	vmmu_mmu_notifier_invalidate_range_start(vm, h, h + 16 * PAGE);
	after = test_vm_stats(vm);
	TEST_ASSERT_EQ(after.invalidate_unlocked - before.invalidate_unlocked, 1);
	TEST_ASSERT_EQ(after.sptes_zapped, before.sptes_zapped);
	TEST_ASSERT_EQ(after.remote_tlb_flush_requests, before.remote_tlb_flush_requests);
	/* ... and covers: a fault inside waits for end() */
	async_access_start(&a, vcpu, 5 * PAGE, false, 0);
	TEST_ASSERT(stays_zero(&a.done), "a fault completed inside an unlocked bracket");
	*(uint64_t *)(mem + 5 * PAGE) = 0x5555;
	vmmu_mmu_notifier_invalidate_range_end(vm, h, h + 16 * PAGE);
	async_access_join(&a);
	TEST_ASSERT_EQ(a.r, 0);
	TEST_ASSERT_EQ(a.val, 0x5555);

	/* page 5 is mapped now: the slow path zaps it */
	before = test_vm_stats(vm);
	vmmu_mmu_notifier_invalidate_range_start(vm, h + 5 * PAGE, h + 6 * PAGE);
	after = test_vm_stats(vm);
	TEST_ASSERT_EQ(after.invalidate_unlocked, before.invalidate_unlocked);
	TEST_ASSERT_EQ(after.sptes_zapped - before.sptes_zapped, 1);
	TEST_ASSERT(!vmmu_mmu_notifier_test_young(vm, h + 5 * PAGE), "page 5 still mapped");
	vmmu_mmu_notifier_invalidate_range_end(vm, h + 5 * PAGE, h + 6 * PAGE);

	/* 70 one-page brackets open at once; each page is held off */
	for (int p = 0; p < 70; p++)
		vmmu_mmu_notifier_invalidate_range_start(vm, h + p * PAGE, h + (p + 1) * PAGE);
	async_access_start(&a, vcpu, 69 * PAGE, false, 0);
	TEST_ASSERT(stays_zero(&a.done), "a fault completed under an untracked bracket");
	for (int p = 0; p < 70; p++)
		vmmu_mmu_notifier_invalidate_range_end(vm, h + p * PAGE, h + (p + 1) * PAGE);
	async_access_join(&a);
	TEST_ASSERT_EQ(a.r, 0);
	after = test_vm_stats(vm);
	TEST_ASSERT_EQ(after.invalidate_end_unmatched, 0);
	/* everything closed: faults anywhere complete at once */
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, 100 * PAGE), 0);
	vmmu_vm_destroy(vm);
	munmap(mem, 128 * PAGE);
}

/*
 * One start() over many small slots, contiguous in hva; the first six also
 * contiguous in gfn (zapped in one walk), the last two each after a gap:
 * every page of every slot is zapped, and only those.
 */
static void test_zap_many_slots(void)
{
	struct vmmu_vm *vm = test_vm_new();
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	uint8_t *mem = test_alloc_guest(17 * PAGE);
	uint64_t h = HVA(mem), gpa[8];
	struct vmmu_stats before, after;

	for (int i = 0; i < 8; i++) {
		gpa[i] = i * 2 * PAGE + (i >= 6 ? (uint64_t)(i - 5) << 30 : 0);
		TEST_SET_REGION_OK(vm, SLOT(0, i), 0, gpa[i], 2 * PAGE, mem + i * 2 * PAGE);
	}
	for (int i = 0; i < 8; i++)
		for (int p = 0; p < 2; p++)
			test_vcpu_write64(vcpu, gpa[i] + p * PAGE, i * 2 + p);
	before = test_vm_stats(vm);
	vmmu_mmu_notifier_invalidate_range_start(vm, h, h + 17 * PAGE);
	after = test_vm_stats(vm);
	TEST_ASSERT_EQ(after.sptes_zapped - before.sptes_zapped, 16);
	for (int p = 0; p < 16; p++)
		TEST_ASSERT(!vmmu_mmu_notifier_test_young(vm, h + p * PAGE), "page %d still mapped",
			    p);
	vmmu_mmu_notifier_invalidate_range_end(vm, h, h + 17 * PAGE);
	for (int i = 0; i < 8; i++)
		TEST_ASSERT_EQ(test_vcpu_read64(vcpu, gpa[i] + PAGE), (uint64_t)(i * 2 + 1));
	vmmu_vm_destroy(vm);
	munmap(mem, 17 * PAGE);
}

/*
 * Brackets in address order over many one-page slots (start() resumes its
 * slot lookup where the previous one ended when no host ranges overlap):
 * each zaps exactly its pages, in every order, with aliased slots (the
 * lookup from the top again) and after slot edits.
 */
#define SEQ_SLOTS	48

static void seq_bracket(struct vmmu_vm *vm, struct vmmu_vcpu *vcpu, uint64_t h, int p0, int np,
			int alias_page, uint64_t alias_gpa)
{
	/* slot 20 is deleted halfway; with the alias, pages 6-8 are mapped
	 * through it only, so only the alias's range in the bracket makes
	 * start() look for (and zap) them */
	for (int p = 0; p < SEQ_SLOTS; p++)
		if (p != 20 && (alias_page < 0 || p < alias_page || p >= alias_page + 3))
			TEST_ASSERT_EQ(test_vcpu_read64(vcpu, (uint64_t)p * 4 * PAGE), 1000 + p);
	for (int i = 0; alias_page >= 0 && i < 3; i++)
		TEST_ASSERT_EQ(test_vcpu_read64(vcpu, alias_gpa + i * PAGE), 1000 + alias_page + i);
	vmmu_mmu_notifier_invalidate_range_start(vm, h + p0 * PAGE, h + (p0 + np) * PAGE);
	for (int p = 0; p < SEQ_SLOTS; p++) {
		bool in = p >= p0 && p < p0 + np;

		if (p == 20)
			continue;
		TEST_ASSERT(vmmu_mmu_notifier_test_young(vm, h + p * PAGE) == !in,
			    "bracket [%d, %d): page %d young = %d", p0, p0 + np, p,
			    vmmu_mmu_notifier_test_young(vm, h + p * PAGE));
	}
	vmmu_mmu_notifier_invalidate_range_end(vm, h + p0 * PAGE, h + (p0 + np) * PAGE);
}

static void seq_orders(struct vmmu_vm *vm, struct vmmu_vcpu *vcpu, uint64_t h, int alias_page,
		       uint64_t alias_gpa)
{
	uint64_t r = 12345;

	for (int p = 0; p < SEQ_SLOTS; p++)
		seq_bracket(vm, vcpu, h, p, 1, alias_page, alias_gpa);
	for (int p = 0; p + 3 <= SEQ_SLOTS; p += 3)
		seq_bracket(vm, vcpu, h, p, 3, alias_page, alias_gpa);
	for (int p = SEQ_SLOTS - 1; p >= 0; p--)
		seq_bracket(vm, vcpu, h, p, 1, alias_page, alias_gpa);
	for (int i = 0; i < 64; i++) {
		r = r * 6364136223846793005ull + 1442695040888963407ull;
		seq_bracket(vm, vcpu, h, (int)((r >> 33) % (SEQ_SLOTS - 4)), 1 + (int)((r >> 20) % 4),
			    alias_page, alias_gpa);
	}
}

static void test_sequential_brackets(void)
{
	struct vmmu_vm *vm = test_vm_new();
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	uint8_t *mem = test_alloc_guest(SEQ_SLOTS * PAGE);
	uint64_t h = HVA(mem), alias_gpa = 1ull << 30;

	for (int p = 0; p < SEQ_SLOTS; p++) {
		TEST_SET_REGION_OK(vm, SLOT(0, p), 0, (uint64_t)p * 4 * PAGE, PAGE, mem + p * PAGE);
		*(uint64_t *)(mem + p * PAGE) = 1000 + p;
	}
	seq_orders(vm, vcpu, h, -1, 0);
	/* an alias of pages 6-8: a bracket over one of them must zap both
	 * mappings, also when the previous bracket's lookup ended at page 7
	 * (the alias, starting at page 6, comes before page 8 in the tree) */
	TEST_SET_REGION_OK(vm, SLOT(0, 60), 0, alias_gpa, 3 * PAGE, mem + 6 * PAGE);
	vmmu_mmu_notifier_invalidate_range_start(vm, h + 6 * PAGE, h + 9 * PAGE);
	vmmu_mmu_notifier_invalidate_range_end(vm, h + 6 * PAGE, h + 9 * PAGE);
	seq_orders(vm, vcpu, h, 6, alias_gpa);
	TEST_SET_REGION_OK(vm, SLOT(0, 60), 0, alias_gpa, 0, mem + 6 * PAGE);
	/* a slot deleted from the middle, then everything again */
	TEST_SET_REGION_OK(vm, SLOT(0, 20), 0, 20 * 4 * PAGE, 0, mem + 20 * PAGE);
	seq_orders(vm, vcpu, h, -1, 0);
	vmmu_vm_destroy(vm);
	munmap(mem, SEQ_SLOTS * PAGE);
}

/* The direct backend's bracket counters, all of them back at zero? */
static bool direct_counters_zero(struct vmmu_vm *vm)
{
	if (atomic_load(&vm->hostmem_brackets))
		return false;
	for (unsigned int b = 0; b < DIRECT_MAPPED_CACHE; b++)
		if (atomic_load(&vm->direct[b].brackets))
			return false;
	return true;
}

/*
 * An end() that matches no tracked bracket while an untracked one is open
 * is taken as that one's partner, whatever its range (the embedding
 * program's bug, or a start()/end() pair split differently).  The direct
 * backend's region cache must come out balanced all the same: an
 * untracked bracket counts VM-wide.  Before, the untracked start() raised
 * its own region's count and the end() lowered another's: one region
 * never filled its cache entry again, the other wrapped.
 */
static void test_untracked_end_balances(void)
{
	struct vmmu_vm *vm = test_vm_new();
	const uint64_t r1 = 0x100000000ull, r2 = r1 + (8ull << 21), r3 = r1 + (16ull << 21);

	for (int p = 0; p < 64; p++)	/* every bracket slot taken, in region r1 */
		vmmu_mmu_notifier_invalidate_range_start(vm, r1 + p * PAGE, r1 + (p + 1) * PAGE);
	vmmu_mmu_notifier_invalidate_range_start(vm, r2, r2 + PAGE);	/* untracked */
	TEST_ASSERT(!direct_counters_zero(vm), "no bracket counted");
	vmmu_mmu_notifier_invalidate_range_end(vm, r3, r3 + PAGE);	/* its partner */
	for (int p = 0; p < 64; p++)
		vmmu_mmu_notifier_invalidate_range_end(vm, r1 + p * PAGE, r1 + (p + 1) * PAGE);
	TEST_ASSERT_EQ(test_vm_stats(vm).invalidate_end_unmatched, 0);
	TEST_ASSERT(direct_counters_zero(vm), "a region's bracket count left unbalanced");
	vmmu_vm_destroy(vm);
}

/*
 * The open bracket over host range [@start, ...): how many gfn ranges it
 * keeps, and the widest in 256 KiB granules (g1 - g0 + 1); -1 if it covers
 * every gfn.  Test-only look at vm->mn_brackets (no other bracket open).
 */
static int bracket_ranges(struct vmmu_vm *vm, uint64_t start, uint64_t *widest)
{
	for (unsigned int i = 0; i < MN_MAX_BRACKETS; i++) {
		struct mn_bracket *b = &vm->mn_brackets[i];
		uint32_t n;

		if (!atomic_load(&b->active) || b->start != start)
			continue;
		if (atomic_load(&b->all))
			return -1;
		n = atomic_load(&b->nr_ranges);
		*widest = 0;
		for (uint32_t j = 0; j < n; j++) {
			uint64_t g = ((atomic_load(&b->ranges[j].end) - 1) >> MN_GRANULE_SHIFT) -
				     (atomic_load(&b->ranges[j].start) >> MN_GRANULE_SHIFT) + 1;

			*widest = g > *widest ? g : *widest;
		}
		return (int)n;
	}
	TEST_ASSERT(false, "no open bracket starts at %#llx", (unsigned long long)start);
	return 0;
}

/*
 * A bracket over many slots back to back (64 one-page slots, one run of
 * host memory and gfns) stays precise: their gfns join into one range
 * instead of running out of the bracket's ranges and covering everything.
 * With the bracket open, a first-touch fault on a slot elsewhere completes
 * without a retry and start() took no mmu_lock (nothing was mapped there);
 * a fault on one of the bracketed slots retries until end().
 */
static void test_precise_many_slots(void)
{
	struct vmmu_vm *vm = test_vm_new();
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	uint8_t *mem = test_alloc_guest(128 * PAGE);
	uint64_t h = HVA(mem), far = 0x1000000;
	struct vmmu_stats before, after;
	struct async_access acc;
	uint64_t widest;

	for (unsigned int i = 0; i < 64; i++)
		TEST_SET_REGION_OK(vm, SLOT(0, i), 0, i * PAGE, PAGE, mem + i * PAGE);
	TEST_SET_REGION_OK(vm, SLOT(0, 100), 0, far, 64 * PAGE, mem + 64 * PAGE);
	before = test_vm_stats(vm);
	vmmu_mmu_notifier_invalidate_range_start(vm, h, h + 64 * PAGE);
	after = test_vm_stats(vm);
	TEST_ASSERT_EQ(after.invalidate_unlocked - before.invalidate_unlocked, 1);
	TEST_ASSERT_EQ(bracket_ranges(vm, h, &widest), 1);
	TEST_ASSERT_EQ(widest, 1);
	async_access_start(&acc, vcpu, far + 5 * PAGE, true, 55);
	TEST_ASSERT(join_within(acc.thr, 10.0), "a fault on another slot waited 10 s for a "
		    "bracket over 64 slots");
	TEST_ASSERT_EQ(acc.r, 0);
	after = test_vm_stats(vm);
	TEST_ASSERT_EQ(after.notifier_retries, before.notifier_retries);
	/* a fault under the bracket retries until end() */
	async_access_start(&acc, vcpu, 40 * PAGE, true, 66);
	for (double t0 = test_now(); test_vm_stats(vm).notifier_retries == before.notifier_retries &&
				      !atomic_load(&acc.done) && test_now() - t0 < DEADLINE_S;)
		sched_yield();
	TEST_ASSERT(!atomic_load(&acc.done), "a fault under an open bracket completed");
	TEST_ASSERT(test_vm_stats(vm).notifier_retries > before.notifier_retries,
		    "a fault under an open bracket did not retry");
	vmmu_mmu_notifier_invalidate_range_end(vm, h, h + 64 * PAGE);
	async_access_join(&acc);
	TEST_ASSERT_EQ(*(uint64_t *)(mem + 40 * PAGE), 66);
	TEST_ASSERT_EQ(*(uint64_t *)(mem + 69 * PAGE), 55);
	vmmu_vm_destroy(vm);
	munmap(mem, 128 * PAGE);
}

/*
 * Joined runs never turn wide: four 8 MiB slots back to back (32 MiB, 128
 * granules) under one bracket keep two ranges of 64 granules, as each slot
 * alone is not wide (a wide range's end() bumps inv_seq_wide, which every
 * fault in the VM sees).  A slot wide on its own stays one wide range.
 */
static void test_joined_runs_not_wide(void)
{
	const uint64_t slot = 8ull << 20, size = 4 * slot;
	struct vmmu_vm *vm = test_vm_new();
	uint8_t *mem = test_alloc_guest(size);
	uint64_t h = HVA(mem), widest;

	for (unsigned int i = 0; i < 4; i++)
		TEST_SET_REGION_OK(vm, SLOT(0, i), 0, i * slot, slot, mem + i * slot);
	vmmu_mmu_notifier_invalidate_range_start(vm, h, h + size);
	TEST_ASSERT_EQ(bracket_ranges(vm, h, &widest), 2);
	TEST_ASSERT_EQ(widest, MN_WIDE_GRANULES);
	vmmu_mmu_notifier_invalidate_range_end(vm, h, h + size);
	/* one 32 MiB slot: one wide range, as before */
	for (unsigned int i = 0; i < 4; i++)
		TEST_SET_REGION_OK(vm, SLOT(0, i), 0, i * slot, 0, mem + i * slot);
	TEST_SET_REGION_OK(vm, SLOT(0, 0), 0, 0, size, mem);
	vmmu_mmu_notifier_invalidate_range_start(vm, h, h + size);
	TEST_ASSERT_EQ(bracket_ranges(vm, h, &widest), 1);
	TEST_ASSERT_EQ(widest, 2 * MN_WIDE_GRANULES);
	vmmu_mmu_notifier_invalidate_range_end(vm, h, h + size);
	vmmu_vm_destroy(vm);
	munmap(mem, size);
}

/*
 * The invariant behind every bracket, over random layouts: while
 * start(a, b) is open, a fault on (as, gfn) must retry if a slot of
 * address space as maps gfn to a host page that meets [a, b) (soundness),
 * and, unless the bracket ran out of ranges and covers everything, no
 * other gfn retries (precision: its ranges are exact).  A memslot update
 * while it is open (a MOVE, a CREATE over bracketed memory) extends it:
 * the new slots' gfns retry too.  After end(), every gfn it had to cover
 * has a snapshot newer than any taken before start().  Layouts mix what
 * the join of slots into runs must get right: slots back to back in host
 * memory and gfns, gfn order reversed from host order, gaps, host
 * aliases, brackets with edges inside pages, two address spaces.
 */
#define COV_SLOTS	24
#define COV_HOST	(64ull << 20)
#define COV_GFNS	(1ull << 22)

struct cov_slot {
	bool used;
	uint32_t as;
	uint64_t gfn, npages, hva;
};

struct cov_layout {
	struct cov_slot s[COV_SLOTS + 1];	/* + 1: the slot an update creates */
};

/* Does a slot of @as map @gfn to a host page that meets [@a, @b)? */
static bool cov_truth(const struct cov_layout *l, uint32_t as, uint64_t gfn, uint64_t a, uint64_t b)
{
	for (unsigned int i = 0; i <= COV_SLOTS; i++) {
		const struct cov_slot *c = &l->s[i];
		uint64_t page;

		if (!c->used || c->as != as || gfn < c->gfn || gfn >= c->gfn + c->npages)
			continue;
		page = c->hva + (gfn - c->gfn) * PAGE;
		if (page < b && page + PAGE > a)
			return true;
	}
	return false;
}

static bool cov_gfn_free(const struct cov_layout *l, unsigned int skip, uint32_t as, uint64_t gfn,
			 uint64_t npages)
{
	if (gfn + npages > COV_GFNS)
		return false;
	for (unsigned int i = 0; i <= COV_SLOTS; i++) {
		const struct cov_slot *c = &l->s[i];

		if (i != skip && c->used && c->as == as && gfn < c->gfn + c->npages &&
		    c->gfn < gfn + npages)
			return false;
	}
	return true;
}

static int cov_set(struct vmmu_vm *vm, unsigned int id, const struct cov_slot *c)
{
	return test_set_region(vm, SLOT(c->as, id), 0, c->gfn * PAGE, c->npages * PAGE,
			       (void *)(uintptr_t)c->hva);
}

/* A random slot @id for @l, placed relative to slot @id - 1 as the dice say. */
static bool cov_place(struct cov_layout *l, unsigned int id, uint64_t host, struct test_rng *r)
{
	const struct cov_slot *prev = id ? &l->s[id - 1] : NULL;
	struct cov_slot c = { .used = true, .as = (uint32_t)test_rng_below(r, 2) };

	c.npages = 1 + test_rng_below(r, test_rng_below(r, 4) ? 64 : 2048);
	switch (prev && prev->used ? test_rng_below(r, 4) : 3) {
	case 0:		/* back to back with the previous one, host and gfns */
		c.as = prev->as;
		c.hva = prev->hva + prev->npages * PAGE;
		c.gfn = prev->gfn + prev->npages;
		break;
	case 1:		/* next in host memory, before it in gfns */
		c.as = prev->as;
		c.hva = prev->hva + prev->npages * PAGE;
		c.gfn = prev->gfn - c.npages;
		break;
	case 2:		/* an alias of part of the previous one's host memory */
		c.hva = prev->hva + test_rng_below(r, prev->npages) * PAGE;
		c.gfn = test_rng_below(r, COV_GFNS);
		break;
	default:
		c.hva = host + test_rng_below(r, COV_HOST / PAGE) * PAGE;
		c.gfn = test_rng_below(r, COV_GFNS);
		break;
	}
	if (c.hva + c.npages * PAGE > host + COV_HOST || c.gfn >= COV_GFNS ||
	    !cov_gfn_free(l, id, c.as, c.gfn, c.npages))
		return false;
	l->s[id] = c;
	return true;
}

/* Every gfn of every slot of @l, and the one on each side: @out, @n so far. */
static unsigned int cov_gfns(const struct cov_layout *l, uint64_t (*out)[2], unsigned int n,
			     unsigned int max)
{
	for (unsigned int i = 0; i <= COV_SLOTS; i++) {
		const struct cov_slot *c = &l->s[i];

		if (!c->used)
			continue;
		for (uint64_t g = c->gfn ? c->gfn - 1 : 0; g <= c->gfn + c->npages && n < max; g++) {
			out[n][0] = c->as;
			out[n++][1] = g;
		}
	}
	return n;
}

static void test_bracket_coverage_random(void)
{
	enum { MAX_GFNS = 2 * (COV_SLOTS + 1) * 2050 };
	static uint64_t gfns[MAX_GFNS][2], snap[MAX_GFNS];
	uint8_t *host = mmap(NULL, COV_HOST, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			     -1, 0);
	unsigned int trials = test_short_env() ? 60 : 300, all = 0, extended = 0;
	uint64_t seed = test_seed(NULL);
	struct test_rng r;

	TEST_ASSERT(host != MAP_FAILED, "mmap");
	test_rng_init(&r, seed);
	for (unsigned int t = 0; t < trials; t++) {
		struct vmmu_vm *vm = test_vm_new(.nr_address_spaces = 2);
		struct cov_layout l0 = { 0 }, l1;
		unsigned int n, upd = COV_SLOTS;
		uint64_t a, b, widest;
		bool is_all;

		for (unsigned int i = 0; i < COV_SLOTS; i++)
			if (cov_place(&l0, i, HVA(host), &r) && cov_set(vm, i, &l0.s[i]))
				l0.s[i].used = false;	/* refused (an overlap the model missed) */
		/* The bracket: page edges, or edges inside pages. */
		a = HVA(host) + test_rng_below(&r, COV_HOST / PAGE) * PAGE;
		b = a + (1 + test_rng_below(&r, test_rng_below(&r, 3) ? 64 : COV_HOST / PAGE)) * PAGE;
		if (test_rng_below(&r, 2)) {
			a += 1 + test_rng_below(&r, PAGE - 1);
			b -= test_rng_below(&r, PAGE);
			b = b > a ? b : a + 1;
		}
		/* The update made while it is open: a MOVE, or a CREATE over it. */
		l1 = l0;
		if (test_rng_below(&r, 2)) {
			upd = (unsigned int)test_rng_below(&r, COV_SLOTS);
			if (l1.s[upd].used)
				l1.s[upd].gfn = test_rng_below(&r, COV_GFNS);
		} else {
			l1.s[upd] = (struct cov_slot){
				.used = true, .as = (uint32_t)test_rng_below(&r, 2),
				.npages = 1 + test_rng_below(&r, 512),
				.hva = (a & ~(PAGE - 1)) - test_rng_below(&r, 8) * PAGE,
				.gfn = test_rng_below(&r, COV_GFNS),
			};
		}
		if (!l1.s[upd].used ||
		    l1.s[upd].hva < HVA(host) ||
		    l1.s[upd].hva + l1.s[upd].npages * PAGE > HVA(host) + COV_HOST ||
		    !cov_gfn_free(&l1, upd, l1.s[upd].as, l1.s[upd].gfn, l1.s[upd].npages))
			l1 = l0;	/* no update this time */

		n = cov_gfns(&l0, gfns, 0, MAX_GFNS);
		n = cov_gfns(&l1, gfns, n, MAX_GFNS);
		for (unsigned int i = 0; i < n; i++)
			snap[i] = mmu_invalidate_snapshot(vm, (uint32_t)gfns[i][0], gfns[i][1]);

		vmmu_mmu_notifier_invalidate_range_start(vm, a, b);
		is_all = bracket_ranges(vm, a, &widest) < 0;
		all += is_all;
		vmmu_read_lock(&vm->mmu.mmu_lock);
		for (unsigned int i = 0; i < n; i++) {
			uint32_t as = (uint32_t)gfns[i][0];
			bool truth = cov_truth(&l0, as, gfns[i][1], a, b);
			bool retry = mmu_invalidate_retry_gfn(vm, snap[i], as, gfns[i][1]);

			TEST_ASSERT(retry == truth || (is_all && retry),
				    "seed %#llx trial %u: bracket [%#llx, %#llx) open, gfn %#llx of as %u: "
				    "retry %d, but a slot maps it %s the range",
				    (unsigned long long)seed, t, (unsigned long long)(a - HVA(host)),
				    (unsigned long long)(b - HVA(host)),
				    (unsigned long long)gfns[i][1], as, retry, truth ? "into" : "outside");
		}
		vmmu_read_unlock(&vm->mmu.mmu_lock);

		if (memcmp(&l0, &l1, sizeof(l0))) {
			TEST_ASSERT_EQ(cov_set(vm, upd, &l1.s[upd]), 0);
			extended++;
			vmmu_read_lock(&vm->mmu.mmu_lock);
			for (unsigned int i = 0; i < n; i++) {
				uint32_t as = (uint32_t)gfns[i][0];

				if (cov_truth(&l1, as, gfns[i][1], a, b))
					TEST_ASSERT(mmu_invalidate_retry_gfn(vm, snap[i], as, gfns[i][1]),
						    "seed %#llx trial %u: slot %u updated under an open "
						    "bracket, its gfn %#llx of as %u does not retry",
						    (unsigned long long)seed, t, upd,
						    (unsigned long long)gfns[i][1], as);
			}
			vmmu_read_unlock(&vm->mmu.mmu_lock);
		}

		vmmu_mmu_notifier_invalidate_range_end(vm, a, b);
		for (unsigned int i = 0; i < n; i++) {
			uint32_t as = (uint32_t)gfns[i][0];

			if (cov_truth(&l0, as, gfns[i][1], a, b) || cov_truth(&l1, as, gfns[i][1], a, b))
				TEST_ASSERT(mmu_invalidate_snapshot(vm, as, gfns[i][1]) != snap[i],
					    "seed %#llx trial %u: after end(), gfn %#llx of as %u keeps "
					    "its snapshot from before start()",
					    (unsigned long long)seed, t, (unsigned long long)gfns[i][1], as);
		}
		TEST_ASSERT_EQ(test_vm_stats(vm).invalidate_end_unmatched, 0);
		vmmu_vm_destroy(vm);
	}
	printf("# %u layouts: %u brackets covered everything, %u updated a slot while open\n",
	       trials, all, extended);
	/* The check of precision must have run, and so must the updates. */
	TEST_ASSERT(all < trials / 2, "%u of %u brackets covered everything", all, trials);
	TEST_ASSERT(extended > trials / 4, "only %u of %u trials updated a slot", extended, trials);
	munmap(host, COV_HOST);
}

static const struct test_case cases[] = {
	{ "nohit", test_nohit },
	{ "zap_range", test_zap_range },
	{ "fault_retries_in_bracket", test_fault_retries_in_bracket },
	{ "memslot_update_no_wait", test_memslot_update_no_wait },
	{ "precise_retry", test_precise_retry },
	{ "precise_many_slots", test_precise_many_slots },
	{ "joined_runs_not_wide", test_joined_runs_not_wide },
	{ "change_pte", test_change_pte },
	{ "change_pte_no_install", test_change_pte_no_install },
	{ "change_pte_noslot_bracket", test_change_pte_noslot_bracket },
	{ "aging", test_aging },
	{ "release", test_release },
	{ "unlocked_start", test_unlocked_start },
	{ "zap_many_slots", test_zap_many_slots },
	{ "sequential_brackets", test_sequential_brackets },
	{ "untracked_end_balances", test_untracked_end_balances },
	{ "bracket_coverage_random", test_bracket_coverage_random },
};

TEST_CASES_MAIN(cases)
