/* SPDX-License-Identifier: MIT */
/*
 * vmmu_vm_write_guest()/vmmu_vm_read_guest() from a device thread, which
 * has no vCPU, concurrently with a vCPU and with memslot updates.
 *
 * Slot 0 (dirty-logged, 16 pages) and slot 2 (4 pages) are adjacent in gpa;
 * slot 1 moves back and forth elsewhere, and slot 2 is split and merged by
 * atomic batches.  In each round the main thread picks a random set S of
 * slot 0's pages; the device thread writes the round number into the first
 * qword of each page of S (the last page's write crosses into slot 2) and
 * reads each back, while the main thread moves slot 1 and re-splits slot 2.
 * After the device is done, GET_DIRTY_LOG of slot 0 must report exactly S
 * (nothing else writes slot 0).  Meanwhile a vCPU reads slot 0's pages:
 * the value of a page never goes backwards, never exits to MMIO.
 *
 * Usage: test_device_rw [rounds]
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include <vmmu.h>

#include "../test_util.h"

#define PAGE	VMMU_PAGE_SIZE
#define NP	16u
#define GPA0	0x100000ull
#define GPA2	(GPA0 + NP * PAGE)
#define GPA1A	0x800000ull
#define GPA1B	0x900000ull

static struct vmmu_vm *vm;
static _Atomic uint64_t want;		/* round << 16 | page set; 0: idle */
static _Atomic uint64_t done_round;
static atomic_bool stop;
static _Atomic uint64_t bad;

static void fail(uint64_t code)
{
	uint64_t zero = 0;

	atomic_compare_exchange_strong(&bad, &zero, code);
}

static void *device_thread(void *arg)
{
	uint64_t seen = 0;

	(void)arg;
	while (!atomic_load(&stop)) {
		uint64_t w = atomic_load(&want), round = w >> 16;

		if (round == seen) {
			sched_yield();
			continue;
		}
		for (unsigned int p = 0; p < NP; p++) {
			uint64_t v[2] = { round, round }, back[2] = { 0, 0 };
			uint64_t gpa = GPA0 + p * PAGE;

			if (!(w & (1u << p)))
				continue;
			if (vmmu_vm_write_guest(vm, 0, gpa, v, 8))
				fail(0x100 | p);
			/* Page NP - 1 also gets a copy across into slot 2 (being re-split). */
			if (p == NP - 1 && vmmu_vm_write_guest(vm, 0, GPA2 - 8, v, 16))
				fail(0x200 | p);
			if (vmmu_vm_read_guest(vm, 0, gpa, back, 8) || back[0] != round)
				fail(0x300 | p);
		}
		seen = round;
		atomic_store(&done_round, round);
	}
	return NULL;
}

static void *vcpu_thread(void *arg)
{
	struct vmmu_vcpu *vcpu = arg;
	uint64_t last[NP] = { 0 };
	unsigned int i = 0;

	while (!atomic_load(&stop)) {
		unsigned int p = i++ % NP;
		struct vmmu_exit ex;
		uint64_t v;
		int r = vmmu_vcpu_access(vcpu, GPA0 + p * PAGE, &v, 8, 0, &ex);

		if (r)
			fail(0x400 | (uint32_t)-r);
		else if (v < last[p])
			fail(0x500 | p);
		else
			last[p] = v;
		if (!(i % 64))
			sched_yield();
	}
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned int rounds = argc > 1 ? (unsigned int)atoi(argv[1]) :
			      test_short_env() || TEST_TSAN ? 500 : 10000;
	uint8_t *mem = test_alloc_guest(32 * PAGE);
	struct vmmu_vcpu *vcpu;
	struct test_rng rng;
	pthread_t dt, vt;
	uint64_t bm;

	vm = test_vm_create(NULL);
	TEST_SET_REGION_OK(vm, 0, VMMU_MEM_LOG_DIRTY_PAGES, GPA0, NP * PAGE, mem);
	TEST_SET_REGION_OK(vm, 2, 0, GPA2, 4 * PAGE, mem + NP * PAGE);
	TEST_SET_REGION_OK(vm, 1, 0, GPA1A, 4 * PAGE, mem + 24 * PAGE);
	vcpu = test_vcpu_create(vm, 0);
	TEST_ASSERT_EQ(vmmu_get_dirty_log(vm, 0, &bm), 0);
	test_rng_init(&rng, test_seed(NULL));
	TEST_ASSERT_EQ(pthread_create(&dt, NULL, device_thread, NULL), 0);
	TEST_ASSERT_EQ(pthread_create(&vt, NULL, vcpu_thread, vcpu), 0);

	for (uint64_t round = 1; round <= rounds && !atomic_load(&bad); round++) {
		uint32_t set = (uint32_t)test_rng_below(&rng, 1u << NP) | 1u << (round % NP);
		const struct vmmu_userspace_memory_region split[] = {
			{ .slot = 2, .memory_size = 0, .guest_phys_addr = GPA2,
			  .userspace_addr = HVA(mem + NP * PAGE) },
			{ .slot = 2, .memory_size = PAGE, .guest_phys_addr = GPA2,
			  .userspace_addr = HVA(mem + NP * PAGE) },
			{ .slot = 3, .memory_size = 3 * PAGE, .guest_phys_addr = GPA2 + PAGE,
			  .userspace_addr = HVA(mem + (NP + 1) * PAGE) },
		};
		const struct vmmu_userspace_memory_region merge[] = {
			{ .slot = 3, .memory_size = 0, .guest_phys_addr = GPA2 + PAGE,
			  .userspace_addr = HVA(mem + (NP + 1) * PAGE) },
			{ .slot = 2, .memory_size = 0, .guest_phys_addr = GPA2,
			  .userspace_addr = HVA(mem + NP * PAGE) },
			{ .slot = 2, .memory_size = 4 * PAGE, .guest_phys_addr = GPA2,
			  .userspace_addr = HVA(mem + NP * PAGE) },
		};

		atomic_store(&want, round << 16 | set);
		/* Map changes while the device writes. */
		TEST_SET_REGION_OK(vm, 1, 0, round & 1 ? GPA1B : GPA1A, 4 * PAGE, mem + 24 * PAGE);
		TEST_ASSERT_EQ(vmmu_set_user_memory_regions(vm, round & 1 ? split : merge, 3), 0);
		while (atomic_load(&done_round) != round && !atomic_load(&bad))
			sched_yield();
		if (atomic_load(&bad))
			break;
		bm = 0;
		TEST_ASSERT_EQ(vmmu_get_dirty_log(vm, 0, &bm), 0);
		TEST_ASSERT(bm == set, "round %llu: dirty log 0x%llx, device wrote 0x%x",
			    (unsigned long long)round, (unsigned long long)bm, set);
	}
	atomic_store(&stop, true);
	pthread_join(dt, NULL);
	pthread_join(vt, NULL);
	TEST_ASSERT(!bad, "failure 0x%llx (1xx/2xx: write_guest of page xx failed, 3xx: read "
		    "back, 4xx: vCPU read returned -xx, 5xx: page xx went backwards)",
		    (unsigned long long)bad);
	printf("PASS %u rounds\n", rounds);
	vmmu_vcpu_destroy(vcpu);
	vmmu_vm_destroy(vm);
	munmap(mem, 32 * PAGE);
	return 0;
}
