/* SPDX-License-Identifier: MIT */
/*
 * A tiny test harness in the style of KVM's selftests: TEST_ASSERT reports
 * the expression, file and line; pass, fail and skip are distinct exit codes
 * (0, 1, and 77, which meson reports as SKIP).  Also the helpers the vmmu
 * tests share: VM, vCPU and memslot set-up that fails the test on error,
 * guest accesses, a runner for tables of named cases, and the knobs of the
 * stress tests (clock, short runs, sanitizer builds, relaxed guest memory).
 */
#ifndef VMMU_TEST_UTIL_H
#define VMMU_TEST_UTIL_H

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <vmmu.h>

#include "rng.h"	/* testlib */

#define KSFT_PASS 0
#define KSFT_FAIL 1
#define KSFT_SKIP 77

#define TEST_ASSERT(cond, fmt, ...) do {					\
	if (!(cond)) {								\
		fprintf(stderr, "==== Test Assertion Failure ====\n"		\
			"  %s:%d: %s\n  " fmt "\n", __FILE__, __LINE__, #cond,	\
			##__VA_ARGS__);						\
		exit(KSFT_FAIL);						\
	}									\
} while (0)

#define TEST_ASSERT_EQ(a, b) do {						\
	long long __a = (long long)(a), __b = (long long)(b);			\
	TEST_ASSERT(__a == __b, "%s = %lld, %s = %lld", #a, __a, #b, __b);	\
} while (0)

static inline void __attribute__((noreturn, format(printf, 1, 2))) test_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stdout, "SKIP: ");
	vfprintf(stdout, fmt, ap);
	fprintf(stdout, "\n");
	va_end(ap);
	exit(KSFT_SKIP);
}

/* The tools' xorshift64* (testlib/rng.h), wrapped: replayable from its seed. */
struct test_rng {
	uint64_t s;
};

static inline void test_rng_init(struct test_rng *r, uint64_t seed)
{
	r->s = rng_seed(seed);
}

static inline uint64_t test_rng_next(struct test_rng *r)
{
	return rng_next(&r->s);
}

static inline uint64_t test_rng_below(struct test_rng *r, uint64_t n)
{
	return rng_below(&r->s, n);
}

/* Seed from $VMMU_TEST_SEED, else argv-style string, else the clock. */
static inline uint64_t test_seed(const char *arg)
{
	const char *env = getenv("VMMU_TEST_SEED");
	struct timespec ts;

	if (arg)
		return strtoull(arg, NULL, 0);
	if (env)
		return strtoull(env, NULL, 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000007ull + (uint64_t)ts.tv_nsec;
}

/* Anonymous memory for guest RAM; NORESERVE so huge ranges cost nothing. */
static inline void *test_alloc_guest(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	TEST_ASSERT(p != MAP_FAILED, "mmap %zu bytes: %s", size, strerror(errno));
	return p;
}

/* Same definition as src/compiler.h, which some white-box tests include too. */
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* The slot argument of the memslot calls: slot @id of address space @as. */
#define SLOT(as, id)	(((uint32_t)(as) << 16) | (uint32_t)(id))

/* A pointer as the uint64_t host virtual address the API takes. */
#define HVA(p)		((uint64_t)(uintptr_t)(p))

/* TEST_TSAN, TEST_ASAN: 1 in a ThreadSanitizer / AddressSanitizer build, else 0. */
#if defined(__SANITIZE_THREAD__)
#define TEST_TSAN	1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TEST_TSAN	1
#endif
#endif
#ifndef TEST_TSAN
#define TEST_TSAN	0
#endif

#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN	1
#endif
#endif
#ifndef TEST_ASAN
#define TEST_ASAN	0
#endif

/* True if $VMMU_TEST_SHORT asks for a short run (set, non-empty and not "0"). */
static inline bool test_short_env(void)
{
	const char *env = getenv("VMMU_TEST_SHORT");

	return env && *env && strcmp(env, "0");
}

/* CLOCK_MONOTONIC in seconds. */
static inline double test_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Relaxed 8-byte atomic store to memory that vCPU threads may access concurrently. */
static inline void test_guest_store64(void *p, uint64_t v)
{
	__atomic_store_n((uint64_t *)p, v, __ATOMIC_RELAXED);
}

/* Relaxed 8-byte atomic load of memory that vCPU threads may write concurrently. */
static inline uint64_t test_guest_load64(const void *p)
{
	return __atomic_load_n((const uint64_t *)p, __ATOMIC_RELAXED);
}

/* vmmu_vm_create() from @cfg (NULL: the defaults); fails the test on error. */
static inline struct vmmu_vm *test_vm_create(const struct vmmu_vm_config *cfg)
{
	const struct vmmu_vm_config none = { 0 };
	const struct vmmu_vm_config *c = cfg ? cfg : &none;
	struct vmmu_vm *vm = NULL;
	int r = vmmu_vm_create(cfg, &vm);

	TEST_ASSERT(r == 0 && vm, "vmmu_vm_create(%s: nr_as %u, max_slots %u, gen_bits %u, "
		    "flags %#x, gpa_bits %u): %d (%s)", cfg ? "cfg" : "NULL",
		    c->nr_address_spaces, c->max_user_slots, c->mmio_gen_bits, c->flags,
		    c->max_gpa_bits, r, vmmu_strerror(r));
	return vm;
}

/* test_vm_create() of a config given as designated initializers (at least one). */
#define test_vm_new(...)	test_vm_create(&(const struct vmmu_vm_config){ __VA_ARGS__ })

/* vmmu_vcpu_create() of vCPU @id; fails the test on error. */
static inline struct vmmu_vcpu *test_vcpu_create(struct vmmu_vm *vm, uint32_t id)
{
	struct vmmu_vcpu *vcpu = NULL;
	int r = vmmu_vcpu_create(vm, id, &vcpu);

	TEST_ASSERT(r == 0 && vcpu, "vmmu_vcpu_create(%u): %d (%s)", id, r, vmmu_strerror(r));
	return vcpu;
}

/* Backend of test_set_region(): the region from its fields; 0 or -errno. */
static inline int __test_set_region(struct vmmu_vm *vm, uint32_t slot, uint32_t flags,
				    uint64_t gpa, uint64_t size, uint64_t hva)
{
	struct vmmu_userspace_memory_region mem = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = hva,
	};

	return vmmu_set_user_memory_region(vm, &mem);
}

/* Backend of TEST_SET_REGION_OK(): fails the test, naming @file:@line, unless 0. */
static inline void __test_set_region_ok(const char *file, int line, struct vmmu_vm *vm,
					uint32_t slot, uint32_t flags, uint64_t gpa,
					uint64_t size, uint64_t hva)
{
	int r = __test_set_region(vm, slot, flags, gpa, size, hva);

	TEST_ASSERT(r == 0, "%s:%d: set_region(slot %#x flags %#x gpa %#llx size %#llx hva %#llx): "
		    "%d (%s)", file, line, slot, flags, (unsigned long long)gpa,
		    (unsigned long long)size, (unsigned long long)hva, r, vmmu_strerror(r));
}

/* vmmu_set_user_memory_region() from its fields (@hva: pointer or address); 0 or -errno. */
#define test_set_region(vm, slot, flags, gpa, size, hva) \
	__test_set_region(vm, slot, flags, gpa, size, HVA(hva))

/* test_set_region() that must succeed; a failure names the caller's line. */
#define TEST_SET_REGION_OK(vm, slot, flags, gpa, size, hva) \
	__test_set_region_ok(__FILE__, __LINE__, vm, slot, flags, gpa, size, HVA(hva))

/* vmmu_vm_get_stats(); fails the test on error. */
static inline struct vmmu_stats test_vm_stats(struct vmmu_vm *vm)
{
	struct vmmu_stats st = { .size = sizeof(st) };

	TEST_ASSERT_EQ(vmmu_vm_get_stats(vm, &st), 0);
	return st;
}

/* A guest load of 8 bytes at @gpa through @vcpu, which must hit RAM. */
static inline uint64_t test_vcpu_read64(struct vmmu_vcpu *vcpu, uint64_t gpa)
{
	struct vmmu_exit ex;
	uint64_t v = 0;
	int r = vmmu_vcpu_access(vcpu, gpa, &v, 8, 0, &ex);

	TEST_ASSERT(r == 0, "read of gpa %#llx: expected RAM (0), got %d (%s)",
		    (unsigned long long)gpa, r, vmmu_strerror(r));
	return v;
}

/* A guest store of the 8 bytes @v at @gpa through @vcpu, which must hit RAM. */
static inline void test_vcpu_write64(struct vmmu_vcpu *vcpu, uint64_t gpa, uint64_t v)
{
	struct vmmu_exit ex;
	int r = vmmu_vcpu_access(vcpu, gpa, &v, 8, VMMU_ACCESS_WRITE, &ex);

	TEST_ASSERT(r == 0, "write of gpa %#llx: expected RAM (0), got %d (%s)",
		    (unsigned long long)gpa, r, vmmu_strerror(r));
}

/* One named case of a test program's table. */
struct test_case {
	const char *name;
	void (*fn)(void);
};

/* Run the @cases whose name contains argv[1] (all without it); SKIP if none matches. */
static inline int test_run_cases(const struct test_case *cases, size_t nr, int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	unsigned int ran = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < nr; i++) {
		if (filter && !strstr(cases[i].name, filter))
			continue;
		cases[i].fn();
		printf("PASS %s\n", cases[i].name);
		ran++;
	}
	if (!ran)
		test_skip("no case matches '%s'", filter);
	return KSFT_PASS;
}

/* Define main() as test_run_cases() of the table @cases (cf. kselftest's TEST_HARNESS_MAIN). */
#define TEST_CASES_MAIN(cases)							\
int main(int argc, char **argv)							\
{										\
	return test_run_cases(cases, ARRAY_SIZE(cases), argc, argv);		\
}

#endif /* VMMU_TEST_UTIL_H */
