/* SPDX-License-Identifier: MIT */
/*
 * SPTE layout: MMIO SPTE packing and unpacking at every mmio_gen_bits, the
 * kind predicates, and present-SPTE construction.
 */
#include "spte.h"
#include "../test_util.h"

static void test_mmio_gen_roundtrip(void)
{
	struct test_rng rng;

	test_rng_init(&rng, 42);
	for (unsigned int bits = 1; bits <= 19; bits++) {
		uint64_t mask = (1ull << bits) - 1;

		for (int i = 0; i < 20000; i++) {
			uint64_t gen = test_rng_next(&rng) & mask;
			gfn_t gfn = test_rng_next(&rng) & ((1ull << 40) - 1);
			unsigned int acc = test_rng_below(&rng, 8);
			uint64_t spte = make_mmio_spte(gfn, acc, gen);

			TEST_ASSERT(is_mmio_spte(spte), "bits=%u spte=%#llx", bits,
				    (unsigned long long)spte);
			TEST_ASSERT(!is_shadow_present_pte(spte), "MMIO SPTE must not be present");
			TEST_ASSERT_EQ(get_mmio_spte_generation(spte), gen);
			TEST_ASSERT_EQ(get_mmio_spte_gfn(spte), gfn);
			TEST_ASSERT_EQ(get_mmio_spte_access(spte), acc);
			/* A narrower generation leaves the unused upper bits clear. */
			TEST_ASSERT((get_mmio_spte_generation(spte) & ~mask) == 0, "bits=%u", bits);
		}
		/* Every single generation bit lands where the layout says. */
		for (unsigned int b = 0; b < bits; b++) {
			uint64_t spte = make_mmio_spte(0, 0, 1ull << b);
			unsigned int pos = b < 8 ? 3 + b : 52 + (b - 8);

			TEST_ASSERT_EQ(spte, SPTE_MMIO_VALUE | (1ull << pos));
		}
	}
	printf("PASS mmio_gen_roundtrip (mmio_gen_bits 1..19)\n");
}

static void test_layout_constants(void)
{
	TEST_ASSERT_EQ(MMIO_SPTE_GEN_LOW_MASK, 0x7f8ull);
	TEST_ASSERT_EQ(MMIO_SPTE_GEN_HIGH_MASK, 0x7ff0000000000000ull);
	TEST_ASSERT_EQ(MMIO_SPTE_GEN_HIGH_SHIFT, 44);
	TEST_ASSERT_EQ(get_mmio_spte_generation(MMIO_SPTE_GEN_LOW_MASK | MMIO_SPTE_GEN_HIGH_MASK),
		       0x7ffff);
	printf("PASS layout_constants\n");
}

static void test_present_spte(void)
{
	pfn_t pfn = 0x123456789ull;
	uint64_t ro = make_leaf_spte(pfn, LEAF_SPTE_HOST_WRITABLE | LEAF_SPTE_MMU_WRITABLE);
	uint64_t rw = make_leaf_spte(pfn, LEAF_SPTE_WRITABLE | LEAF_SPTE_HOST_WRITABLE | LEAF_SPTE_MMU_WRITABLE);
	uint64_t nonleaf;
	static uint64_t child[512] __attribute__((aligned(4096)));

	TEST_ASSERT(is_shadow_present_pte(ro) && !is_mmio_spte(ro), "ro=%#llx",
		    (unsigned long long)ro);
	TEST_ASSERT(!is_writable_pte(ro), "read-only leaf must not be writable");
	TEST_ASSERT(is_writable_pte(rw) && (rw & PT_DIRTY_MASK), "writable leaf is W and D");
	TEST_ASSERT_EQ(spte_to_pfn(ro), pfn);
	TEST_ASSERT(ro & SPTE_HOST_WRITABLE, "host writable");
	TEST_ASSERT(!(make_leaf_spte(pfn, 0) & (SPTE_HOST_WRITABLE | SPTE_MMU_WRITABLE)),
		    "no writable bits");
	nonleaf = make_nonleaf_spte(child);
	TEST_ASSERT(is_shadow_present_pte(nonleaf) && !is_mmio_spte(nonleaf), "non-leaf");
	TEST_ASSERT(spte_to_child(nonleaf) == (void *)child, "child pointer round trip");
	TEST_ASSERT(!is_shadow_present_pte(SHADOW_NONPRESENT_VALUE) &&
		    !is_mmio_spte(SHADOW_NONPRESENT_VALUE), "0 is neither present nor MMIO");
	printf("PASS present_spte\n");
}

static void test_spte_index(void)
{
	gfn_t gfn = (5ull << 27) | (6ull << 18) | (7ull << 9) | 8ull;

	TEST_ASSERT_EQ(SPTE_INDEX(gfn, 4), 5);
	TEST_ASSERT_EQ(SPTE_INDEX(gfn, 3), 6);
	TEST_ASSERT_EQ(SPTE_INDEX(gfn, 2), 7);
	TEST_ASSERT_EQ(SPTE_INDEX(gfn, 1), 8);
	printf("PASS spte_index\n");
}

int main(void)
{
	test_layout_constants();
	test_mmio_gen_roundtrip();
	test_present_spte();
	test_spte_index();
	return 0;
}
