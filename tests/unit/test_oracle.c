// SPDX-License-Identifier: MIT
/*
 * The access oracle (testlib/oracle.c): exact and interval stamps, stale
 * states, host page versions, READONLY writes, logs verified afterwards.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "vmmu.h"
#include "oracle.h"

static int failures;

#define TEST_ASSERT(cond, fmt, ...) do {					\
	if (!(cond)) {								\
		fprintf(stderr, "%s:%d: FAIL: %s: " fmt "\n", __FILE__, __LINE__,	\
			#cond, ##__VA_ARGS__);					\
		failures++;							\
	}									\
} while (0)

#define GPA	0x10000ull
#define HVA	0x7f0000000000ull

static struct oracle_access acc(uint64_t b, uint64_t e, enum oracle_outcome oc)
{
	return (struct oracle_access){
		.t_begin = b, .t_end = e, .gpa = GPA, .outcome = (uint8_t)oc, .hva = HVA,
	};
}

static bool ok(struct oracle *o, struct oracle_access a)
{
	char why[512];
	bool r = oracle_check(o, &a, why, sizeof(why));

	if (!r && getenv("V"))
		fprintf(stderr, "  why: %s\n", why);
	return r;
}

/* Exact stamps: map empty until 10, slot at GPA from 10, gone at 20. */
static void test_exact(void)
{
	struct oracle *o = oracle_create(1);
	const struct oracle_slot s = { .base_gfn = GPA >> 12, .npages = 1, .hva = HVA };

	oracle_map_set(o, 0, 10, 10, &s, 1);
	oracle_map_set(o, 0, 20, 20, NULL, 0);

	TEST_ASSERT(ok(o, acc(1, 2, ORACLE_MMIO)), "MMIO before the create");
	TEST_ASSERT(!ok(o, acc(1, 2, ORACLE_RAM_READ)), "RAM before the create");
	TEST_ASSERT(ok(o, acc(9, 11, ORACLE_MMIO)), "MMIO across the create");
	TEST_ASSERT(ok(o, acc(9, 11, ORACLE_RAM_READ)), "RAM across the create");
	TEST_ASSERT(!ok(o, acc(11, 12, ORACLE_MMIO)), "stale MMIO after the create");
	TEST_ASSERT(ok(o, acc(11, 12, ORACLE_RAM_READ)), "RAM after the create");
	TEST_ASSERT(ok(o, acc(11, 12, ORACLE_RAM_WRITE)), "write after the create");
	TEST_ASSERT(!ok(o, acc(21, 22, ORACLE_RAM_READ)), "stale RAM after the delete");
	TEST_ASSERT(ok(o, acc(19, 21, ORACLE_RAM_READ)), "RAM across the delete");
	TEST_ASSERT(!ok(o, acc(11, 12, ORACLE_POISON)), "poison is never explained");

	struct oracle_access wrong = acc(11, 12, ORACLE_RAM_READ);

	wrong.hva = HVA + 4096;
	TEST_ASSERT(!ok(o, wrong), "RAM from the wrong host page");
	oracle_destroy(o);
}

/* Interval stamps: the create became visible somewhere in [10, 30]. */
static void test_intervals(void)
{
	struct oracle *o = oracle_create(2);
	const struct oracle_slot s = { .base_gfn = GPA >> 12, .npages = 1, .hva = HVA,
				       .flags = VMMU_MEM_READONLY };
	struct oracle_access w = acc(40, 41, ORACLE_MMIO);

	struct oracle_access a1 = acc(25, 26, ORACLE_MMIO);

	oracle_map_set(o, 1, 10, 30, &s, 1);
	a1.as_id = 1;
	TEST_ASSERT(ok(o, a1), "MMIO inside the update's interval");
	a1.outcome = ORACLE_RAM_READ;
	TEST_ASSERT(ok(o, a1), "RAM inside the interval");
	TEST_ASSERT(!ok(o, acc(25, 26, ORACLE_RAM_READ)), "address space 0 has no slot");
	a1 = acc(31, 32, ORACLE_MMIO);
	a1.as_id = 1;
	TEST_ASSERT(!ok(o, a1), "stale MMIO after the update returned");
	w.as_id = 1;
	w.write = 1;
	TEST_ASSERT(ok(o, w), "a write to a READONLY slot exits MMIO");
	w.outcome = ORACLE_RAM_WRITE;
	TEST_ASSERT(!ok(o, w), "a write to a READONLY slot never lands in RAM");
	oracle_destroy(o);
}

/* Host versions: page replaced (v1) at 15; v0 freed. */
static void test_host_versions(void)
{
	struct oracle *o = oracle_create(1);
	const struct oracle_slot s = { .base_gfn = GPA >> 12, .npages = 1, .hva = HVA };
	struct oracle_access a = acc(12, 14, ORACLE_RAM_READ);

	oracle_map_set(o, 0, 10, 10, &s, 1);
	oracle_host_page(o, HVA, 1, 15, 15);
	TEST_ASSERT(ok(o, a), "v0 before the replace");
	a.t_begin = 16;
	a.t_end = 17;
	TEST_ASSERT(!ok(o, a), "v0 after the replace: stale translation");
	a.version = 1;
	TEST_ASSERT(ok(o, a), "v1 after the replace");
	a.t_begin = 12;
	a.t_end = 14;
	TEST_ASSERT(!ok(o, a), "v1 before the replace");
	oracle_destroy(o);
}

/* Logs checked afterwards; reset forgets everything. */
static void test_logs(void)
{
	struct oracle *o = oracle_create(1);
	struct oracle_log *l1 = oracle_log_create(o), *l2 = oracle_log_create(o);
	const struct oracle_slot s = { .base_gfn = GPA >> 12, .npages = 1, .hva = HVA };
	uint64_t t0 = oracle_stamp(o), t1 = oracle_stamp(o), b;
	struct oracle_access a;

	TEST_ASSERT(t1 == t0 + 1, "stamps increase by one");
	b = oracle_stamp(o);
	oracle_map_set(o, 0, b, oracle_stamp(o), &s, 1);
	b = oracle_stamp(o);
	a = acc(b, oracle_stamp(o), ORACLE_RAM_READ);
	oracle_log_access(l1, &a);
	b = oracle_stamp(o);
	a = acc(b, oracle_stamp(o), ORACLE_MMIO);
	oracle_log_access(l2, &a);
	oracle_log_access(l2, &a);
	TEST_ASSERT(oracle_verify(o, NULL, NULL, 0) == 2, "two stale MMIO exits");
	oracle_reset(o);
	TEST_ASSERT(oracle_verify(o, NULL, NULL, 0) == 0, "reset empties the logs");
	TEST_ASSERT(oracle_stamp(o) == 1, "reset restarts the clock");
	oracle_destroy(o);
}

int main(void)
{
	test_exact();
	test_intervals();
	test_host_versions();
	test_logs();
	if (failures) {
		printf("test_oracle: %d failure(s)\n", failures);
		return 1;
	}
	printf("test_oracle: all passed\n");
	return 0;
}
