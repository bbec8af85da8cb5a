// SPDX-License-Identifier: MIT
/*
 * Memslot updates under a storm of overlapping invalidation brackets.
 *
 * A host thread keeps brackets open without pause on slot B (it starts the
 * next 64 KiB range before it ends the previous one, so in_progress never
 * drops to zero), as NUMA balancing or compaction can.  KVM's update waits
 * until no bracket is open, so it would wait as long as the storm lasts;
 * vmmu's publish extends the open brackets instead, and start()/end() step
 * aside for a publish that waits for mn_invalidate_lock (docs/DESIGN.md,
 * "No starvation").  So an update waits for the call in progress and, at
 * worst, for a call that passed the test just before the publish raised
 * its flag: of the publishes that found the lock taken (publish_waits),
 * each is overtaken by about one call per storm thread at most
 * (publish_overtaken, which the publish counts from the notifier's own
 * count of lock acquisitions, not from the flag).
 *
 *   moves_under_storm   MOVEs of slot C, away and back, while the storm
 *                       runs: every one completes, and overtaking calls
 *                       stay bounded (without the step-aside, or with a
 *                       publish that never raises the flag, the unfair
 *                       mutex lets the storm take the lock again and
 *                       again: several calls per waiting publish)
 *   delete_under_storm  the same for DELETE and CREATE of C
 *
 * The updates go on until MIN_WAITS publishes met the storm on the lock:
 * on a loaded machine the two threads may seldom run at the same time.
 * If that never happens within MAX_SECONDS the case says SKIP: it would
 * check nothing.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>

#include <vmmu.h>

#include "../test_util.h"

#define MiB		(1ull << 20)
#define GPA_B		(256 * MiB)
#define SIZE_B		(16 * MiB)
#define GPA_C		(512 * MiB)
#define GPA_AWAY	(1024 * MiB)
#define SIZE_C		MiB
#define RANGE		(64ull << 10)
#define MIN_WAITS	200
#define MAX_SECONDS	60

struct storm {
	struct vmmu_vm *vm;
	uint64_t base;
	_Atomic bool stop;
	_Atomic uint64_t calls;
};

static void *storm_main(void *arg)
{
	struct storm *s = arg;
	uint64_t x = 0x9e3779b97f4a7c15ull, prev = s->base;

	vmmu_mmu_notifier_invalidate_range_start(s->vm, prev, prev + RANGE);
	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		uint64_t next;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		next = s->base + (x % (SIZE_B / RANGE)) * RANGE;
		vmmu_mmu_notifier_invalidate_range_start(s->vm, next, next + RANGE);
		vmmu_mmu_notifier_invalidate_range_end(s->vm, prev, prev + RANGE);
		prev = next;
		atomic_fetch_add_explicit(&s->calls, 2, memory_order_relaxed);
	}
	vmmu_mmu_notifier_invalidate_range_end(s->vm, prev, prev + RANGE);
	return NULL;
}

/* @delete: DELETE and CREATE C; else MOVE it away and back. */
static void updates_under_storm(bool delete)
{
	uint8_t *mem = test_alloc_guest(SIZE_B + SIZE_C);
	struct vmmu_vm *vm = test_vm_create(NULL);
	struct storm s = { .stop = false };
	struct vmmu_stats before, now_st;
	uint64_t swaps, waits = 0, overtaken, done = 0;
	double t0;
	pthread_t t;

	TEST_SET_REGION_OK(vm, 1, 0, GPA_B, SIZE_B, mem);
	TEST_SET_REGION_OK(vm, 2, 0, GPA_C, SIZE_C, mem + SIZE_B);
	s.vm = vm;
	s.base = (uint64_t)(uintptr_t)mem;
	TEST_ASSERT(!pthread_create(&t, NULL, storm_main, &s), "pthread_create");
	/* The storm is running (its first pairs are done) before we start. */
	while (atomic_load_explicit(&s.calls, memory_order_relaxed) < 2000)
		;
	before = test_vm_stats(vm);
	t0 = test_now();
	for (;;) {
		for (unsigned int k = 0; k < 1000; k++, done++) {
			uint64_t gpa = (done & 1) ? GPA_C : GPA_AWAY;

			if (delete)
				TEST_SET_REGION_OK(vm, 2, 0, GPA_C, (done & 1) ? SIZE_C : 0,
						   mem + SIZE_B);
			else
				TEST_SET_REGION_OK(vm, 2, 0, gpa, SIZE_C, mem + SIZE_B);
		}
		now_st = test_vm_stats(vm);
		waits = now_st.publish_waits - before.publish_waits;
		if (waits >= MIN_WAITS || test_now() - t0 > MAX_SECONDS)
			break;
	}
	atomic_store_explicit(&s.stop, true, memory_order_relaxed);
	pthread_join(t, NULL);

	swaps = now_st.memslot_swaps - before.memslot_swaps;
	overtaken = now_st.publish_overtaken - before.publish_overtaken;
	printf("%" PRIu64 " updates, %" PRIu64 " publishes, %" PRIu64 " found the notifier lock "
	       "taken, %" PRIu64 " calls overtook them\n", done, swaps, waits, overtaken);
	/* Every update published: a DELETE twice, a CREATE once, a MOVE twice. */
	TEST_ASSERT(swaps >= done, "%" PRIu64 " publishes for %" PRIu64 " updates", swaps, done);
	TEST_ASSERT(waits <= swaps, "%" PRIu64 " waiting publishes of %" PRIu64, waits, swaps);
	vmmu_vm_destroy(vm);
	munmap(mem, SIZE_B + SIZE_C);
	if (waits < MIN_WAITS)
		test_skip("in %d s only %" PRIu64 " publishes met the storm on the notifier lock "
			  "(the machine ran the two threads apart): nothing to check", MAX_SECONDS,
			  waits);
	/*
	 * One storm thread: at most about one overtaking call per waiting
	 * publish, plus some slack for a preempted publisher (it raised the
	 * flag, then lost its CPU before its lock attempt).
	 */
	TEST_ASSERT(overtaken <= waits + waits / 4 + 16,
		    "%" PRIu64 " start()/end() calls overtook %" PRIu64 " waiting publishes",
		    overtaken, waits);
}

static void test_moves_under_storm(void)
{
	updates_under_storm(false);
}

static void test_delete_under_storm(void)
{
	updates_under_storm(true);
}

static const struct test_case cases[] = {
	{ "moves_under_storm", test_moves_under_storm },
	{ "delete_under_storm", test_delete_under_storm },
};

TEST_CASES_MAIN(cases)
