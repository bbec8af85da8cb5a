/* SPDX-License-Identifier: MIT */
/*
 * A tiny test harness in the style of KVM's selftests: TEST_ASSERT reports
 * the expression, file and line; pass, fail and skip are distinct exit codes
 * (0, 1, and 77, which meson reports as SKIP).
 */
#ifndef VMMU_TEST_UTIL_H
#define VMMU_TEST_UTIL_H

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

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

/* xorshift64*: small, fast, replayable from its seed. */
struct test_rng {
	uint64_t s;
};

static inline void test_rng_init(struct test_rng *r, uint64_t seed)
{
	r->s = seed ? seed : 0x9e3779b97f4a7c15ull;
}

static inline uint64_t test_rng_next(struct test_rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dull;
}

static inline uint64_t test_rng_below(struct test_rng *r, uint64_t n)
{
	return n ? test_rng_next(r) % n : 0;
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

#endif /* VMMU_TEST_UTIL_H */
