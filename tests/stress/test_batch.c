/* SPDX-License-Identifier: MIT */
/*
 * vmmu_set_user_memory_regions(): atomic memslot batches (docs/DESIGN.md,
 * "Atomic memslot batches").
 *
 * split-merge: one 64-page slot over host memory whose page k holds ID(k).
 *	The main thread splits it into two slots over the same host memory
 *	(DELETE, CREATE, CREATE, at a random page) and merges it back (DELETE,
 *	DELETE, CREATE), 10^4 batches, while a vCPU thread reads the first
 *	qword of pages across the range and a device thread copies ranges that
 *	cross the split point with vmmu_vm_read_guest().  Every access must hit
 *	RAM (never VMMU_EXIT_MMIO) and read ID(k); every copy must succeed with
 *	the right bytes.  The main thread starts a batch only after both
 *	readers have completed a read since the previous one, so every batch
 *	races reads.
 *	split-merge-zap-all: the same, 1000 pairs, with VMMU_VM_QUIRK_SLOT_ZAP_ALL.
 * all-or-nothing: a batch whose entry fails changes nothing: return value
 *	is the entry's errno, generations, slots and guest reads are as before,
 *	and vmmu_last_error() names the entry.
 * errnos: each invalid region gives the same errno in a batch as alone;
 *	NULL arguments; nr = 0.
 * vs-sequential: random batches give what the same single calls give.
 * semantics: entries see the state the earlier ones produce; one
 *	generation advance per address space touched, none for a net no-op;
 *	dirty bitmaps follow the entries (DELETE + CREATE starts afresh, MOVE
 *	keeps them).
 *
 * Usage: test_batch [case]
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include <vmmu.h>

#include "../test_util.h"

#define PAGE		VMMU_PAGE_SIZE
#define NPAGES		64ull
#define GPA		0x40000000ull
#define ID(k)		(0x5eed000000000000ull | (uint64_t)(k))

struct region {
	uint32_t slot, flags;
	uint64_t gpa, size;
	void *hva;
};

#define R(s, f, g, sz, h)	{ .slot = (s), .flags = (f), .guest_phys_addr = (g), \
				  .memory_size = (sz), .userspace_addr = HVA(h) }

static uint64_t gen(struct vmmu_vm *vm, uint32_t as)
{
	return vmmu_memslots_generation(vm, as);
}

static uint32_t nr_slots(struct vmmu_vm *vm, uint32_t as)
{
	uint32_t nr = UINT32_MAX;
	int r = vmmu_vm_get_slots(vm, as, NULL, 0, &nr);

	/* No room: 0 and nr = 0 for an empty address space, else -ENOSPC and the count. */
	TEST_ASSERT(r == 0 ? nr == 0 : r == -ENOSPC && nr > 0, "get_slots: %d, nr %u", r, nr);
	return nr;
}

/* ------------------------------------------------------------------------ */
/* split-merge                                                               */
/* ------------------------------------------------------------------------ */

static struct {
	struct vmmu_vm *vm;
	uint8_t *mem;
	atomic_bool stop;
	_Atomic uint64_t vcpu_reads, dev_reads;
	_Atomic uint64_t bad;		/* first failure, encoded; 0 if none */
} sm;

static void sm_fail(uint64_t code)
{
	uint64_t zero = 0;

	atomic_compare_exchange_strong(&sm.bad, &zero, code);
}

static void *sm_vcpu_thread(void *arg)
{
	struct vmmu_vcpu *vcpu = arg;
	struct test_rng rng;

	test_rng_init(&rng, 1);
	while (!atomic_load(&sm.stop)) {
		uint64_t k = test_rng_below(&rng, NPAGES), v = 0;
		struct vmmu_exit ex;
		int r = vmmu_vcpu_access(vcpu, GPA + k * PAGE, &v, 8, 0, &ex);

		if (r != 0)
			sm_fail(0x100000000ull | (uint32_t)r);	/* MMIO exit or error */
		else if (v != ID(k))
			sm_fail(0x200000000ull | k);
		/* Leave the CPU to the updater now and then (2 cores may be all there is). */
		if (!(atomic_fetch_add(&sm.vcpu_reads, 1) % 64))
			sched_yield();
	}
	return NULL;
}

static void *sm_device_thread(void *arg)
{
	uint64_t buf[2 * PAGE / 8];
	struct test_rng rng;

	(void)arg;
	test_rng_init(&rng, 2);
	while (!atomic_load(&sm.stop)) {
		/* Two pages from the middle of page k: crosses any split at k + 1. */
		uint64_t k = test_rng_below(&rng, NPAGES - 2);
		uint64_t off = PAGE - 8;
		int r = vmmu_vm_read_guest(sm.vm, 0, GPA + k * PAGE + off, buf, 16);

		if (r)
			sm_fail(0x300000000ull | (uint32_t)r);
		else if (buf[1] != ID(k + 1))
			sm_fail(0x400000000ull | k);
		if (!(atomic_fetch_add(&sm.dev_reads, 1) % 16))
			sched_yield();
	}
	return NULL;
}

static void wait_progress(uint64_t v0, uint64_t d0)
{
	while ((atomic_load(&sm.vcpu_reads) == v0 || atomic_load(&sm.dev_reads) == d0) &&
	       !atomic_load(&sm.bad))
		sched_yield();
}

static void split_merge(unsigned int iters, uint32_t vm_flags)
{
	struct vmmu_vcpu *vcpu;
	struct vmmu_stats st;
	pthread_t vt, dt;
	struct test_rng rng;
	uint64_t g0;

	memset(&sm, 0, sizeof(sm));
	sm.vm = test_vm_new(.flags = vm_flags);
	sm.mem = test_alloc_guest(NPAGES * PAGE);
	for (uint64_t k = 0; k < NPAGES; k++)
		test_guest_store64(sm.mem + k * PAGE, ID(k));
	TEST_SET_REGION_OK(sm.vm, 0, 0, GPA, NPAGES * PAGE, sm.mem);
	vcpu = test_vcpu_create(sm.vm, 0);
	g0 = gen(sm.vm, 0);
	test_rng_init(&rng, test_seed(NULL));
	TEST_ASSERT_EQ(pthread_create(&vt, NULL, sm_vcpu_thread, vcpu), 0);
	TEST_ASSERT_EQ(pthread_create(&dt, NULL, sm_device_thread, NULL), 0);

	for (unsigned int i = 0; i < iters && !atomic_load(&sm.bad); i++) {
		uint64_t split = 1 + test_rng_below(&rng, NPAGES - 1);
		const struct vmmu_userspace_memory_region split_b[] = {
			R(0, 0, GPA, 0, sm.mem),
			R(0, 0, GPA, split * PAGE, sm.mem),
			R(1, 0, GPA + split * PAGE, (NPAGES - split) * PAGE, sm.mem + split * PAGE),
		};
		const struct vmmu_userspace_memory_region merge_b[] = {
			R(1, 0, GPA + split * PAGE, 0, sm.mem + split * PAGE),
			R(0, 0, GPA, 0, sm.mem),
			R(0, 0, GPA, NPAGES * PAGE, sm.mem),
		};
		uint64_t v0 = atomic_load(&sm.vcpu_reads), d0 = atomic_load(&sm.dev_reads);

		wait_progress(v0, d0);
		TEST_ASSERT_EQ(vmmu_set_user_memory_regions(sm.vm, split_b, 3), 0);
		TEST_ASSERT_EQ(gen(sm.vm, 0), g0 + 2 * (2 * i + 1));
		TEST_ASSERT_EQ(nr_slots(sm.vm, 0), 2);
		v0 = atomic_load(&sm.vcpu_reads);
		d0 = atomic_load(&sm.dev_reads);
		wait_progress(v0, d0);
		TEST_ASSERT_EQ(vmmu_set_user_memory_regions(sm.vm, merge_b, 3), 0);
		TEST_ASSERT_EQ(gen(sm.vm, 0), g0 + 2 * (2 * i + 2));
		TEST_ASSERT_EQ(nr_slots(sm.vm, 0), 1);
	}
	atomic_store(&sm.stop, true);
	pthread_join(vt, NULL);
	pthread_join(dt, NULL);
	TEST_ASSERT(!sm.bad, "failure 0x%llx after %llu vCPU reads, %llu device reads "
		    "(1xxxxxxxx: vCPU access returned xxxxxxxx, 2: vCPU read wrong data at page, "
		    "3: read_guest returned, 4: read_guest wrong data)",
		    (unsigned long long)sm.bad, (unsigned long long)sm.vcpu_reads,
		    (unsigned long long)sm.dev_reads);
	st = test_vm_stats(sm.vm);
	printf("  %u split/merge pairs, %llu vCPU reads, %llu device reads, %llu MMIO exits, "
	       "%llu faults on INVALID slots, %llu faults fixed\n", iters,
	       (unsigned long long)sm.vcpu_reads, (unsigned long long)sm.dev_reads,
	       (unsigned long long)st.mmio_exits, (unsigned long long)st.invalid_slot_retries,
	       (unsigned long long)st.pf_fixed);
	TEST_ASSERT_EQ(st.mmio_exits, 0);
	vmmu_vcpu_destroy(vcpu);
	vmmu_vm_destroy(sm.vm);
	munmap(sm.mem, NPAGES * PAGE);
}

static void test_split_merge(void)
{
	split_merge(test_short_env() || TEST_TSAN ? 1000 : 10000, 0);
}

/* The same with KVM's default zap-all on DELETE/MOVE: one zap for the whole batch. */
static void test_split_merge_zap_all(void)
{
	split_merge(1000, VMMU_VM_QUIRK_SLOT_ZAP_ALL);
}

/* ------------------------------------------------------------------------ */
/* all-or-nothing, errnos, semantics                                         */
/* ------------------------------------------------------------------------ */

struct snap {
	uint64_t gen[2];
	uint32_t nr[2];
	struct vmmu_userspace_memory_region slots[2][8];
};

static void take_snap(struct vmmu_vm *vm, struct snap *s)
{
	memset(s, 0, sizeof(*s));
	for (uint32_t as = 0; as < 2; as++) {
		s->gen[as] = gen(vm, as);
		TEST_ASSERT_EQ(vmmu_vm_get_slots(vm, as, s->slots[as], 8, &s->nr[as]), 0);
	}
}

static void assert_same(const struct snap *a, const struct snap *b)
{
	TEST_ASSERT(!memcmp(a, b, sizeof(*a)), "state changed: gen %llx/%llx -> %llx/%llx, "
		    "slots %u/%u -> %u/%u", (unsigned long long)a->gen[0],
		    (unsigned long long)a->gen[1], (unsigned long long)b->gen[0],
		    (unsigned long long)b->gen[1], a->nr[0], a->nr[1], b->nr[0], b->nr[1]);
}

static void test_all_or_nothing(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	uint8_t *mem = test_alloc_guest(16 * PAGE);
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	struct snap before, after;

	for (int k = 0; k < 16; k++)
		test_guest_store64(mem + k * PAGE, ID(k));
	TEST_SET_REGION_OK(vm, 0, VMMU_MEM_LOG_DIRTY_PAGES, GPA, 4 * PAGE, mem);
	TEST_SET_REGION_OK(vm, 1, 0, GPA + 8 * PAGE, 4 * PAGE, mem + 8 * PAGE);
	TEST_SET_REGION_OK(vm, SLOT(1, 0), 0, GPA, 4 * PAGE, mem);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, GPA + PAGE), ID(1));
	take_snap(vm, &before);

	/* Entry 3 overlaps slot 1: -EEXIST, after a DELETE, a CREATE and an AS-1 MOVE. */
	{
		const struct vmmu_userspace_memory_region b[] = {
			R(0, 0, GPA, 0, mem),
			R(2, 0, GPA, 2 * PAGE, mem),
			R(SLOT(1, 0), 0, GPA + 32 * PAGE, 4 * PAGE, mem),
			R(3, 0, GPA + 10 * PAGE, 1 * PAGE, mem + 12 * PAGE),
			R(4, 0, GPA + 40 * PAGE, 1 * PAGE, mem + 12 * PAGE),
		};

		TEST_ASSERT_EQ(vmmu_set_user_memory_regions(vm, b, 5), -EEXIST);
		TEST_ASSERT(!strncmp(vmmu_last_error(), "entry 3: ", 9), "last error '%s'",
			    vmmu_last_error());
	}
	take_snap(vm, &after);
	assert_same(&before, &after);
	/* The failed batch's DELETE of slot 0 never took effect. */
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, GPA + PAGE), ID(1));
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, GPA + 9 * PAGE), ID(9));

	/* Failing first and last entries, -EINVAL. */
	{
		const struct vmmu_userspace_memory_region first[] = {
			R(5, 0, GPA + 100, PAGE, mem), R(6, 0, GPA + 64 * PAGE, PAGE, mem),
		};
		const struct vmmu_userspace_memory_region last[] = {
			R(1, 0, GPA + 8 * PAGE, 0, mem + 8 * PAGE),
			R(0, VMMU_MEM_READONLY | VMMU_MEM_LOG_DIRTY_PAGES, GPA, 4 * PAGE, mem),
		};

		TEST_ASSERT_EQ(vmmu_set_user_memory_regions(vm, first, 2), -EINVAL);
		TEST_ASSERT(strstr(vmmu_last_error(), "entry 0: guest_phys_addr"), "'%s'",
			    vmmu_last_error());
		TEST_ASSERT_EQ(vmmu_set_user_memory_regions(vm, last, 2), -EINVAL);
		TEST_ASSERT(strstr(vmmu_last_error(), "entry 1: slot 0 exists"), "'%s'",
			    vmmu_last_error());
	}
	take_snap(vm, &after);
	assert_same(&before, &after);
	/* Dirty logging of slot 0 still works: the failed batches left its bitmap. */
	test_vcpu_write64(vcpu, GPA + 2 * PAGE + 8, 7);
	{
		uint64_t bm = 0;

		TEST_ASSERT_EQ(vmmu_get_dirty_log(vm, 0, &bm), 0);
		TEST_ASSERT_EQ(bm, 1u << 2);
	}
	/* A successful batch after failures works. */
	{
		const struct vmmu_userspace_memory_region b[] = {
			R(1, 0, GPA + 8 * PAGE, 0, mem), R(1, 0, GPA + 4 * PAGE, 4 * PAGE, mem + 8 * PAGE),
		};

		TEST_ASSERT_EQ(vmmu_set_user_memory_regions(vm, b, 2), 0);
		TEST_ASSERT_EQ(vmmu_last_error()[0], 0);
		TEST_ASSERT_EQ(test_vcpu_read64(vcpu, GPA + 5 * PAGE), ID(9));
		TEST_ASSERT_EQ(gen(vm, 0), before.gen[0] + 2);
		TEST_ASSERT_EQ(gen(vm, 1), before.gen[1]);
	}
	vmmu_vm_destroy(vm);
	munmap(mem, 16 * PAGE);
}

static void test_errnos(void)
{
	struct vmmu_vm *vm = test_vm_new(.max_user_slots = 100);
	uint8_t *mem = test_alloc_guest(4 * PAGE);
	const struct vmmu_userspace_memory_region bad[] = {
		R(0, 1u << 5, GPA, PAGE, mem),			/* unknown flag */
		R(0, 0, GPA, PAGE + 1, mem),			/* size not a page multiple */
		R(0, 0, GPA + 1, PAGE, mem),			/* gpa unaligned */
		R(0, 0, GPA, PAGE, mem + 1),			/* hva unaligned */
		R(0, 0, GPA, PAGE, (void *)(uintptr_t)0xfffffffffffff000ull),	/* hva range */
		R(SLOT(2, 0), 0, GPA, PAGE, mem),		/* address space */
		R(100, 0, GPA, PAGE, mem),			/* beyond max_user_slots */
		R(0, 0, 0xfffffffffffff000ull, 2 * PAGE, mem),	/* gpa wraps */
		R(7, 0, GPA, 0, mem),				/* delete of a missing slot */
		R(1, 0, GPA, PAGE, mem + PAGE),			/* slot 1: hva change */
		R(1, 0, GPA, 2 * PAGE, mem),			/* slot 1: size change */
		R(1, VMMU_MEM_READONLY, GPA, PAGE, mem),	/* slot 1: READONLY change */
		R(2, 0, GPA, PAGE, mem + PAGE),			/* overlaps slot 1: -EEXIST */
		R(2, 0, 1ull << 50, PAGE, mem),			/* beyond max_gpa_bits */
	};
	uint64_t g0, g1;

	TEST_SET_REGION_OK(vm, 1, 0, GPA, PAGE, mem);
	g0 = gen(vm, 0);
	g1 = gen(vm, 1);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		const struct vmmu_userspace_memory_region two[] = {
			R(3, 0, GPA + 3 * PAGE, PAGE, mem + 3 * PAGE), bad[i],
		};
		int single = vmmu_set_user_memory_region(vm, &bad[i]);
		char msg[256];

		TEST_ASSERT(single < 0, "case %zu: single call returned %d", i, single);
		snprintf(msg, sizeof(msg), "%s", vmmu_last_error());
		TEST_ASSERT(msg[0], "case %zu: no last error", i);
		TEST_ASSERT_EQ(vmmu_set_user_memory_regions(vm, &bad[i], 1), single);
		TEST_ASSERT(!strncmp(vmmu_last_error(), "entry 0: ", 9) &&
			    !strcmp(vmmu_last_error() + 9, msg), "case %zu: '%s' vs '%s'", i,
			    vmmu_last_error(), msg);
		TEST_ASSERT_EQ(vmmu_set_user_memory_regions(vm, two, 2), single);
		TEST_ASSERT(!strncmp(vmmu_last_error(), "entry 1: ", 9), "case %zu: '%s'", i,
			    vmmu_last_error());
	}
	/* Each -EINVAL cause has its own message. */
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char mi[256];

		vmmu_set_user_memory_region(vm, &bad[i]);
		snprintf(mi, sizeof(mi), "%s", vmmu_last_error());
		for (size_t j = 0; j < i; j++) {
			vmmu_set_user_memory_region(vm, &bad[j]);
			if (!strcmp(mi, vmmu_last_error()))
				TEST_ASSERT(0, "cases %zu and %zu share the message '%s'", j, i, mi);
		}
	}
	TEST_ASSERT_EQ(gen(vm, 0), g0);
	TEST_ASSERT_EQ(gen(vm, 1), g1);
	TEST_ASSERT_EQ(nr_slots(vm, 0), 1);

	TEST_ASSERT_EQ(vmmu_set_user_memory_regions(NULL, bad, 1), -EINVAL);
	TEST_ASSERT_EQ(vmmu_set_user_memory_regions(vm, NULL, 1), -EINVAL);
	TEST_ASSERT_EQ(vmmu_set_user_memory_regions(vm, NULL, 0), 0);
	TEST_ASSERT_EQ(vmmu_set_user_memory_regions(vm, bad, 0), 0);
	TEST_ASSERT_EQ(vmmu_set_user_memory_region(NULL, bad), -EINVAL);
	TEST_ASSERT_EQ(vmmu_set_user_memory_region(vm, NULL), -EINVAL);
	TEST_ASSERT_EQ(gen(vm, 0), g0);
	/* A batch of no-ops (the slot as it is), and a create+delete: no generation move. */
	{
		const struct vmmu_userspace_memory_region same[] = {
			R(1, 0, GPA, PAGE, mem), R(1, 0, GPA, PAGE, mem),
		};
		const struct vmmu_userspace_memory_region cd[] = {
			R(9, 0, GPA + 8 * PAGE, PAGE, mem), R(9, 0, GPA + 8 * PAGE, 0, mem),
			R(SLOT(1, 9), 0, GPA, PAGE, mem), R(SLOT(1, 9), 0, GPA, 0, mem),
		};

		TEST_ASSERT_EQ(vmmu_set_user_memory_regions(vm, same, 2), 0);
		TEST_ASSERT_EQ(vmmu_set_user_memory_regions(vm, cd, 4), 0);
		TEST_ASSERT_EQ(gen(vm, 0), g0);
		TEST_ASSERT_EQ(gen(vm, 1), g1);
		TEST_ASSERT_EQ(nr_slots(vm, 0), 1);
		TEST_ASSERT_EQ(nr_slots(vm, 1), 0);
	}
	vmmu_vm_destroy(vm);
	munmap(mem, 4 * PAGE);
}

static void test_semantics(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	uint8_t *mem = test_alloc_guest(16 * PAGE);
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	struct vmmu_userspace_memory_region got;
	uint64_t g0 = gen(vm, 0), g1 = gen(vm, 1), bm;

	for (int k = 0; k < 16; k++)
		test_guest_store64(mem + k * PAGE, ID(k));
	/* Both address spaces touched: each advances by nr_as = 2, once. */
	{
		const struct vmmu_userspace_memory_region b[] = {
			R(0, VMMU_MEM_LOG_DIRTY_PAGES, GPA, 4 * PAGE, mem),
			R(1, 0, GPA + 4 * PAGE, 4 * PAGE, mem + 4 * PAGE),
			R(SLOT(1, 0), 0, GPA, 4 * PAGE, mem + 8 * PAGE),
			R(1, VMMU_MEM_LOG_DIRTY_PAGES, GPA + 4 * PAGE, 4 * PAGE, mem + 4 * PAGE),
			R(1, VMMU_MEM_LOG_DIRTY_PAGES, GPA + 12 * PAGE, 4 * PAGE, mem + 4 * PAGE),
		};

		TEST_ASSERT_EQ(vmmu_set_user_memory_regions(vm, b, ARRAY_SIZE(b)), 0);
		TEST_ASSERT_EQ(gen(vm, 0), g0 + 2);
		TEST_ASSERT_EQ(gen(vm, 1), g1 + 2);
	}
	/* Entries saw each other: slot 1 was created, re-flagged, then moved. */
	TEST_ASSERT_EQ(vmmu_vm_find_slot(vm, 0, GPA + 13 * PAGE, &got), 0);
	TEST_ASSERT_EQ(got.slot, 1);
	TEST_ASSERT_EQ(got.flags, VMMU_MEM_LOG_DIRTY_PAGES);
	TEST_ASSERT_EQ(got.guest_phys_addr, GPA + 12 * PAGE);
	TEST_ASSERT_EQ(vmmu_vm_find_slot(vm, 0, GPA + 5 * PAGE, &got), -ENOENT);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, GPA + 13 * PAGE), ID(5));

	/* Dirty bitmaps: MOVE keeps the bits, DELETE + CREATE starts afresh. */
	test_vcpu_write64(vcpu, GPA + 1 * PAGE + 8, 1);
	test_vcpu_write64(vcpu, GPA + 13 * PAGE + 8, 1);
	{
		const struct vmmu_userspace_memory_region b[] = {
			R(1, VMMU_MEM_LOG_DIRTY_PAGES, GPA + 4 * PAGE, 4 * PAGE, mem + 4 * PAGE),
			R(0, 0, GPA, 0, mem),
			R(0, VMMU_MEM_LOG_DIRTY_PAGES, GPA, 4 * PAGE, mem),
		};

		g0 = gen(vm, 0);
		g1 = gen(vm, 1);
		TEST_ASSERT_EQ(vmmu_set_user_memory_regions(vm, b, ARRAY_SIZE(b)), 0);
		TEST_ASSERT_EQ(gen(vm, 0), g0 + 2);
		TEST_ASSERT_EQ(gen(vm, 1), g1);
	}
	bm = 0;
	TEST_ASSERT_EQ(vmmu_get_dirty_log(vm, 1, &bm), 0);
	TEST_ASSERT_EQ(bm, 1u << 1);
	bm = 0;
	TEST_ASSERT_EQ(vmmu_get_dirty_log(vm, 0, &bm), 0);
	TEST_ASSERT_EQ(bm, 0);
	/* The re-created slot logs new writes (its old SPTEs were zapped). */
	test_vcpu_write64(vcpu, GPA + 1 * PAGE + 8, 2);
	TEST_ASSERT_EQ(vmmu_get_dirty_log(vm, 0, &bm), 0);
	TEST_ASSERT_EQ(bm, 1u << 1);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, GPA + 5 * PAGE), ID(5));

	/* A flags-only batch: one swap, no zap needed, logging enabled write-protects. */
	{
		const struct vmmu_userspace_memory_region b[] = {
			R(SLOT(1, 0), VMMU_MEM_LOG_DIRTY_PAGES, GPA, 4 * PAGE, mem + 8 * PAGE),
		};
		struct vmmu_stats s0 = test_vm_stats(vm), s1;

		vmmu_vcpu_set_address_space(vcpu, 1);
		test_vcpu_write64(vcpu, GPA + 8, 3);
		g1 = gen(vm, 1);
		TEST_ASSERT_EQ(vmmu_set_user_memory_regions(vm, b, 1), 0);
		s1 = test_vm_stats(vm);
		TEST_ASSERT_EQ(gen(vm, 1), g1 + 2);
		TEST_ASSERT_EQ(s1.memslot_swaps - s0.memslot_swaps, 1);	/* no INVALID step */
		test_vcpu_write64(vcpu, GPA + 8, 4);
		bm = 0;
		TEST_ASSERT_EQ(vmmu_get_dirty_log(vm, SLOT(1, 0), &bm), 0);
		TEST_ASSERT_EQ(bm, 1);
	}
	vmmu_vm_destroy(vm);
	munmap(mem, 16 * PAGE);
}

/*
 * vs-sequential: random batches against the same entries applied one by one
 * to a fresh VM rebuilt from the batch VM's slots: the same errno from the
 * same entry with the same cause, nothing changed on failure, the same slots
 * on success, and a generation advance of 0 or nr_as per address space.
 */
#define VS_HVAS		4
#define VS_SLOTS	5

static struct vmmu_vm *vs_rebuild(struct snap *s)
{
	struct vmmu_vm *vm = test_vm_create(NULL);

	for (uint32_t as = 0; as < 2; as++)
		for (uint32_t i = 0; i < s->nr[as]; i++)
			TEST_ASSERT_EQ(vmmu_set_user_memory_region(vm, &s->slots[as][i]), 0);
	return vm;
}

static void vs_random_region(struct test_rng *rng, uint8_t *mem,
			     struct vmmu_userspace_memory_region *r)
{
	uint32_t id = (uint32_t)test_rng_below(rng, VS_SLOTS);
	/* Mostly the same hva and size per id (so MOVE, FLAGS_ONLY); now and then not. */
	uint32_t h = test_rng_below(rng, 10) ? id % VS_HVAS : (uint32_t)test_rng_below(rng, VS_HVAS);
	uint64_t pages = 1 + (test_rng_below(rng, 10) ? id % 3 : test_rng_below(rng, 3));

	*r = (struct vmmu_userspace_memory_region){
		.slot = SLOT(test_rng_below(rng, 4) == 0, id),
		.flags = test_rng_below(rng, 3) == 0 ? VMMU_MEM_LOG_DIRTY_PAGES : 0,
		.guest_phys_addr = GPA + test_rng_below(rng, 24) * PAGE,
		.memory_size = test_rng_below(rng, 4) == 0 ? 0 : pages * PAGE,
		.userspace_addr = HVA(mem + h * 4 * PAGE),
	};
	if (test_rng_below(rng, 40) == 0)
		r->guest_phys_addr += 8;	/* now and then an -EINVAL */
}

static void test_vs_sequential(void)
{
	unsigned int iters = test_short_env() || TEST_TSAN ? 2000 : 20000;
	uint8_t *mem = test_alloc_guest(VS_HVAS * 4 * PAGE);
	struct vmmu_vm *vm = test_vm_create(NULL);
	struct test_rng rng;
	unsigned int ok = 0, failed = 0;

	test_rng_init(&rng, test_seed(NULL));
	for (unsigned int it = 0; it < iters; it++) {
		struct vmmu_userspace_memory_region b[6];
		uint32_t k = 1 + (uint32_t)test_rng_below(&rng, 4);
		struct snap before, after, want;
		struct vmmu_vm *seq;
		char msg[256] = "";
		int r, rs = 0;
		uint32_t fail_at = 0;

		for (uint32_t i = 0; i < k; i++)
			vs_random_region(&rng, mem, &b[i]);
		take_snap(vm, &before);
		seq = vs_rebuild(&before);
		for (uint32_t i = 0; i < k && !rs; i++) {
			rs = vmmu_set_user_memory_region(seq, &b[i]);
			fail_at = i;
			if (rs)
				snprintf(msg, sizeof(msg), "entry %u: %s", i, vmmu_last_error());
		}
		take_snap(seq, &want);
		vmmu_vm_destroy(seq);

		r = vmmu_set_user_memory_regions(vm, b, k);
		take_snap(vm, &after);
		TEST_ASSERT(r == rs, "iteration %u: batch %d, one by one %d (at entry %u)", it, r,
			    rs, fail_at);
		if (r) {
			TEST_ASSERT(!strcmp(vmmu_last_error(), msg), "iteration %u: '%s' vs '%s'",
				    it, vmmu_last_error(), msg);
			assert_same(&before, &after);
			failed++;
			continue;
		}
		ok++;
		for (uint32_t as = 0; as < 2; as++) {
			uint64_t d = after.gen[as] - before.gen[as];

			TEST_ASSERT_EQ(after.nr[as], want.nr[as]);
			TEST_ASSERT(!memcmp(after.slots[as], want.slots[as],
					    sizeof(after.slots[as])), "iteration %u: slots of "
				    "address space %u differ", it, as);
			TEST_ASSERT(d == 0 || d == 2, "iteration %u: generation of %u moved by %llu",
				    it, as, (unsigned long long)d);
			if (before.nr[as] != after.nr[as] ||
			    memcmp(before.slots[as], after.slots[as], sizeof(before.slots[as])))
				TEST_ASSERT_EQ(d, 2);
		}
	}
	printf("  %u batches applied, %u rejected\n", ok, failed);
	TEST_ASSERT(ok > iters / 10 && failed > iters / 10, "too few of one kind");
	vmmu_vm_destroy(vm);
	munmap(mem, VS_HVAS * 4 * PAGE);
}

static const struct test_case cases[] = {
	{ "all-or-nothing", test_all_or_nothing },
	{ "errnos", test_errnos },
	{ "semantics", test_semantics },
	{ "vs-sequential", test_vs_sequential },
	{ "split-merge", test_split_merge },
	{ "split-merge-zap-all", test_split_merge_zap_all },
};

TEST_CASES_MAIN(cases)
