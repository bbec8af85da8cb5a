/* SPDX-License-Identifier: MIT */
/*
 * The one pseudo-random generator of the tools and tests: xorshift64*
 * (Marsaglia's xorshift with Vigna's multiplier), small, fast and
 * replayable from its 64-bit state.  Not for anything that needs real
 * randomness.
 */
#ifndef VMMU_TESTLIB_RNG_H
#define VMMU_TESTLIB_RNG_H

#include <stdint.h>

/* A state for @seed; a zero state would stay zero, so 0 maps to a constant. */
static inline uint64_t rng_seed(uint64_t seed)
{
	return seed ? seed : 0x9e3779b97f4a7c15ull;
}

/* Advance *@s (never 0) and return the next 64-bit value. */
static inline uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

/* A value in [0, @n); 0 when @n is 0. */
static inline uint64_t rng_below(uint64_t *s, uint64_t n)
{
	return n ? rng_next(s) % n : 0;
}

#endif /* VMMU_TESTLIB_RNG_H */
