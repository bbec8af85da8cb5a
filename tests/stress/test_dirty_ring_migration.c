/* SPDX-License-Identifier: MIT */
/*
 * Live migration through the dirty ring (docs/KVM-SEMANTICS.md, "The dirty ring").
 *
 * Two vCPU threads write random values to random qwords of a dirty-logged
 * slot of 1024 pages (half of the writes to 16 hot pages) and read from it;
 * the last RO_PAGES pages are only read.  A vCPU whose access exits with
 * VMMU_EXIT_DIRTY_RING_FULL (or whose write_guest gets -EBUSY) waits until
 * the collector has reset the rings, then repeats the access.  Meanwhile the
 * collector thread (the test's main thread) plays the migration source, as
 * QEMU does with dirty-ring-size:
 *
 *	harvest: for each vCPU's ring, from its fetch index, while an entry
 *	         has DIRTY (acquire): note (slot, offset), store RESET (release)
 *	vmmu_vm_reset_dirty_rings()   (must return the number harvested)
 *	copy every harvested page to the "destination"
 *
 * When the vCPUs have stopped (flag, join) it does one final round; then
 * the destination must equal guest memory exactly (a write that was
 * neither copied nor pushed is a lost write), every entry must name the
 * slot and a written page, and the rings must be empty.
 *
 * Runs: ring of 4 KiB (soft limit 192 entries: full exits all the time) and
 * of 64 KiB, x {vmmu_vcpu_access, vmmu_vcpu_write_guest, both}.
 *
 * Usage: test_dirty_ring_migration [seed [rounds]]
 *	rounds (collector rounds per run that must harvest something) defaults
 *	to 150, or 25 when VMMU_TEST_SHORT=1 is set or in a sanitizer build.
 */
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <vmmu.h>

#include "../test_util.h"
#include "migration.h"

#define PAGE		VMMU_PAGE_SIZE
#define QWORDS		(PAGE / 8)
#define NPAGES		1024u
#define HOT_PAGES	16u
#define RO_PAGES	64u
#define RW_PAGES	(NPAGES - RO_PAGES)
#define BASE_GPA	0x80000000ull
#define SLOT_ARG	SLOT(0, 3)
#define NR_VCPUS	2u
#define RUN_DEADLINE_S	20.0
#define MIN_DIRTY_ROUNDS 10u

static const char *const writer_name[] = { "vcpu_access", "write_guest", "mixed" };

struct mig;

struct vcpu_thread {
	struct mig *m;
	struct vmmu_vcpu *vcpu;
	struct vmmu_dirty_gfn *ring;
	uint32_t nr, fetch;		/* the collector's fetch index */
	unsigned int id;
	uint64_t seed;
	pthread_t thr;
	_Atomic uint64_t writes;
	uint64_t full_exits, busy;
};

struct mig {
	struct vmmu_vm *vm;
	uint8_t *guest, *copy;
	enum mig_writer writer;
	pthread_barrier_t start;
	atomic_int stop;
	_Atomic uint64_t resets;	/* completed collector rounds */
	struct vcpu_thread vcpus[NR_VCPUS];
	uint64_t rounds, rounds_with_dirty, entries;
	uint8_t harvested[NPAGES];	/* this round */
	uint8_t ever[NPAGES];
};

/* Wait (spinning, yielding) until the collector completes a round, or stops. */
static void wait_for_reset(struct mig *m, uint64_t seen)
{
	while (atomic_load_explicit(&m->resets, memory_order_acquire) == seen &&
	       !atomic_load_explicit(&m->stop, memory_order_relaxed))
		sched_yield();
}

static void *vcpu_fn(void *arg)
{
	struct vcpu_thread *t = arg;
	struct mig *m = t->m;
	struct test_rng rng;
	uint64_t n = 0;

	test_rng_init(&rng, t->seed);
	pthread_barrier_wait(&m->start);
	while (!atomic_load_explicit(&m->stop, memory_order_relaxed)) {
		struct mig_op o = mig_next_op(&rng, m->writer, BASE_GPA, NPAGES, HOT_PAGES,
					      RW_PAGES);
		bool read = o.read, via_write_guest = o.via_write_guest;
		uint64_t gpa = o.gpa, v = o.value, d;
		struct vmmu_exit ex;
		int r;

		for (;;) {
			uint64_t seen = atomic_load_explicit(&m->resets, memory_order_acquire);

			d = v;
			if (!read && via_write_guest)
				r = vmmu_vcpu_write_guest(t->vcpu, gpa, &d, 8);
			else
				r = vmmu_vcpu_access(t->vcpu, gpa, &d, 8,
						     read ? 0 : VMMU_ACCESS_WRITE, &ex);
			if (r == VMMU_EXIT_DIRTY_RING_FULL) {
				TEST_ASSERT_EQ(ex.reason, VMMU_EXIT_DIRTY_RING_FULL);
				t->full_exits++;
			} else if (r == -EBUSY && via_write_guest && !read) {
				t->busy++;
			} else {
				break;
			}
			wait_for_reset(m, seen);
			if (atomic_load_explicit(&m->stop, memory_order_relaxed))
				goto out;
		}
		TEST_ASSERT(r == 0, "vCPU %u: %s of gpa %#" PRIx64 ": %d (%s)", t->id,
			    read ? "read" : via_write_guest ? "write_guest" : "write", gpa, r,
			    vmmu_strerror(r));
		if (!read && !(++n & 63))
			atomic_store_explicit(&t->writes, n, memory_order_relaxed);
	}
out:
	atomic_store_explicit(&t->writes, n, memory_order_relaxed);
	return NULL;
}

static bool ever_pushed(const void *arg, uint64_t p)
{
	return ((const struct mig *)arg)->ever[p];
}

/* One round: harvest every ring, reset, copy.  Returns the entries harvested. */
static uint64_t sync_round(struct mig *m)
{
	uint64_t n = 0;
	int r;

	memset(m->harvested, 0, sizeof(m->harvested));
	for (unsigned int i = 0; i < NR_VCPUS; i++) {
		struct vcpu_thread *t = &m->vcpus[i];

		for (;;) {
			struct vmmu_dirty_gfn *e = &t->ring[t->fetch % t->nr];

			if (!(__atomic_load_n(&e->flags, __ATOMIC_ACQUIRE) & VMMU_DIRTY_GFN_F_DIRTY))
				break;
			TEST_ASSERT(e->slot == SLOT_ARG && e->offset < RW_PAGES,
				    "vCPU %u entry %u: slot %#x offset %" PRIu64, i, t->fetch,
				    e->slot, e->offset);
			m->harvested[e->offset] = 1;
			__atomic_store_n(&e->flags, VMMU_DIRTY_GFN_F_RESET, __ATOMIC_RELEASE);
			t->fetch++;
			n++;
		}
	}
	r = vmmu_vm_reset_dirty_rings(m->vm);
	TEST_ASSERT(r >= 0 && (uint64_t)r == n, "reset recycled %d entries, %" PRIu64
		    " were harvested", r, n);
	/* Only now copy: a write after the harvest is in the copy or pushed again. */
	for (uint64_t p = 0; p < NPAGES; p++)
		if (m->harvested[p]) {
			mig_copy_page(m->copy + p * PAGE, m->guest + p * PAGE);
			m->ever[p] = 1;
		}
	m->rounds++;
	m->entries += n;
	atomic_fetch_add_explicit(&m->resets, 1, memory_order_release);
	return n;
}

static uint64_t total_writes(struct mig *m)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < NR_VCPUS; i++)
		n += atomic_load_explicit(&m->vcpus[i].writes, memory_order_relaxed);
	return n;
}

static void run(uint64_t seed, uint32_t ring_bytes, enum mig_writer writer, uint64_t min_rounds)
{
	struct mig *m = calloc(1, sizeof(*m));
	uint64_t min_writes = min_rounds * 200, full = 0, busy = 0;
	struct test_rng rng;
	double t0, t1;

	TEST_ASSERT(m, "calloc");
	m->writer = writer;
	m->guest = test_alloc_guest(NPAGES * PAGE);
	m->copy = test_alloc_guest(NPAGES * PAGE);
	atomic_init(&m->stop, 0);
	atomic_init(&m->resets, 0);
	test_rng_init(&rng, seed);
	for (uint64_t i = 0; i < NPAGES * QWORDS; i++)
		((uint64_t *)m->guest)[i] = test_rng_next(&rng);

	m->vm = test_vm_create(NULL);
	TEST_ASSERT_EQ(vmmu_vm_enable_dirty_ring(m->vm, ring_bytes), 0);
	TEST_SET_REGION_OK(m->vm, SLOT_ARG, VMMU_MEM_LOG_DIRTY_PAGES, BASE_GPA, NPAGES * PAGE,
			   m->guest);
	memcpy(m->copy, m->guest, NPAGES * PAGE);	/* the bulk copy */

	TEST_ASSERT_EQ(pthread_barrier_init(&m->start, NULL, NR_VCPUS + 1), 0);
	for (unsigned int i = 0; i < NR_VCPUS; i++) {
		struct vcpu_thread *t = &m->vcpus[i];

		t->m = m;
		t->id = i;
		t->seed = seed ^ ((i + 1) * 0x9e3779b97f4a7c15ull);
		atomic_init(&t->writes, 0);
		t->vcpu = test_vcpu_create(m->vm, i);
		TEST_ASSERT_EQ(vmmu_vcpu_get_dirty_ring(t->vcpu, &t->ring, &t->nr), 0);
		TEST_ASSERT_EQ(t->nr, ring_bytes / 16);
		TEST_ASSERT_EQ(pthread_create(&t->thr, NULL, vcpu_fn, t), 0);
	}

	t0 = test_now();
	pthread_barrier_wait(&m->start);
	while ((m->rounds_with_dirty < min_rounds || total_writes(m) < min_writes) &&
	       test_now() - t0 < RUN_DEADLINE_S) {
		if (sync_round(m))
			m->rounds_with_dirty++;
		else
			sched_yield();
	}
	atomic_store_explicit(&m->stop, 1, memory_order_relaxed);
	for (unsigned int i = 0; i < NR_VCPUS; i++) {
		TEST_ASSERT_EQ(pthread_join(m->vcpus[i].thr, NULL), 0);
		full += m->vcpus[i].full_exits;
		busy += m->vcpus[i].busy;
	}
	t1 = test_now();

	/* The final round, with the vCPUs stopped; then nothing is left. */
	sync_round(m);
	TEST_ASSERT_EQ(sync_round(m), 0);
	for (unsigned int i = 0; i < NR_VCPUS; i++)
		for (uint32_t k = 0; k < m->vcpus[i].nr; k++)
			TEST_ASSERT_EQ(__atomic_load_n(&m->vcpus[i].ring[k].flags,
						       __ATOMIC_ACQUIRE), 0);

	printf("  ring %6u B  %-12s %6" PRIu64 " rounds (%" PRIu64 " with entries), %8" PRIu64
	       " entries, %9" PRIu64 " writes, %6" PRIu64 " full exits, %4" PRIu64
	       " -EBUSY, %.2fs\n", ring_bytes, writer_name[writer], m->rounds,
	       m->rounds_with_dirty, m->entries, total_writes(m), full, busy, t1 - t0);

	for (uint64_t p = RW_PAGES; p < NPAGES; p++)
		TEST_ASSERT(!m->ever[p], "page %" PRIu64 " was only read but pushed", p);
	{
		char what[64];

		snprintf(what, sizeof(what), "ring %u/%s", ring_bytes, writer_name[writer]);
		mig_check_copy(m->guest, m->copy, NPAGES, what, seed, ever_pushed, m);
	}
	TEST_ASSERT(m->rounds_with_dirty >= MIN_DIRTY_ROUNDS && total_writes(m) >= min_writes / 4,
		    "ring %u/%s: only %" PRIu64 " rounds harvested entries and %" PRIu64
		    " writes were made in %.1f s", ring_bytes, writer_name[writer],
		    m->rounds_with_dirty, total_writes(m), t1 - t0);

	vmmu_vm_destroy(m->vm);
	pthread_barrier_destroy(&m->start);
	munmap(m->guest, NPAGES * PAGE);
	munmap(m->copy, NPAGES * PAGE);
	free(m);
}

int main(int argc, char **argv)
{
	bool short_run = TEST_TSAN || TEST_ASAN || test_short_env();
	uint64_t seed = test_seed(argc > 1 ? argv[1] : NULL);
	uint64_t rounds = argc > 2 ? strtoull(argv[2], NULL, 0) : short_run ? 25 : 150;
	static const struct {
		uint32_t bytes;
		enum mig_writer writer;
	} runs[] = {
		{ 4096, W_ACCESS },
		{ 4096, W_WRITE_GUEST },
		{ 4096, W_MIXED },
		{ 65536, W_ACCESS },
		{ 65536, W_MIXED },
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("test_dirty_ring_migration: seed %#" PRIx64 " (rerun: test_dirty_ring_migration %#"
	       PRIx64 " %" PRIu64 "), %u vCPUs, %u pages\n", seed, seed, rounds, NR_VCPUS, NPAGES);
	for (size_t i = 0; i < ARRAY_SIZE(runs); i++)
		run(seed + i, runs[i].bytes, runs[i].writer, rounds);
	printf("PASS\n");
	return KSFT_PASS;
}
