/* SPDX-License-Identifier: MIT */
/*
 * What the live-migration tests share (test_dirty_migration through the
 * bitmap, test_dirty_ring_migration through the ring): the vCPUs' random
 * operations, the page copy and the final comparison.
 */
#ifndef VMMU_TEST_MIGRATION_H
#define VMMU_TEST_MIGRATION_H

#include <inttypes.h>
#include <stdbool.h>

#include "../test_util.h"

#define MIG_QWORDS	(VMMU_PAGE_SIZE / 8)

enum mig_writer { W_ACCESS, W_WRITE_GUEST, W_MIXED };

/* One vCPU operation: a read of any page or a write (half to the hot pages). */
struct mig_op {
	bool read, via_write_guest;
	uint64_t gpa, value;
};

static inline struct mig_op mig_next_op(struct test_rng *rng, enum mig_writer writer,
					uint64_t base_gpa, uint64_t npages, uint64_t hot_pages,
					uint64_t rw_pages)
{
	uint64_t op = test_rng_next(rng);
	bool hot = op & 1;
	struct mig_op o = {
		.read = ((op >> 1) & 3) == 0,
		.via_write_guest = writer == W_WRITE_GUEST || (writer == W_MIXED && ((op >> 3) & 1)),
	};
	uint64_t page = o.read ? test_rng_below(rng, npages) :
			hot ? test_rng_below(rng, hot_pages) : test_rng_below(rng, rw_pages);

	o.gpa = base_gpa + page * VMMU_PAGE_SIZE + test_rng_below(rng, MIG_QWORDS) * 8;
	o.value = test_rng_next(rng);
	return o;
}

/* Copy one guest page with relaxed 8-byte loads (vCPUs may be writing it). */
static inline void mig_copy_page(uint8_t *dst_page, const uint8_t *src_page)
{
	const uint64_t *src = (const uint64_t *)src_page;
	uint64_t *dst = (uint64_t *)dst_page;

	for (unsigned int i = 0; i < MIG_QWORDS; i++)
		dst[i] = test_guest_load64(&src[i]);
}

/* The destination must be an exact copy; @reported(p) says whether page p was ever. */
static inline void mig_check_copy(const uint8_t *guest, const uint8_t *copy, uint64_t npages,
				  const char *run, uint64_t seed,
				  bool (*reported)(const void *arg, uint64_t page), const void *arg)
{
	for (uint64_t p = 0; p < npages; p++) {
		const uint64_t *g = (const uint64_t *)(guest + p * VMMU_PAGE_SIZE);
		const uint64_t *c = (const uint64_t *)(copy + p * VMMU_PAGE_SIZE);

		for (unsigned int i = 0; i < MIG_QWORDS; i++)
			TEST_ASSERT(g[i] == c[i], "%s seed %#" PRIx64 ": lost write: page %" PRIu64
				    " qword %u: guest %#" PRIx64 ", copy %#" PRIx64 " (page %s "
				    "reported dirty)", run, seed, p, i, g[i], c[i],
				    reported(arg, p) ? "was" : "never");
	}
}

#endif /* VMMU_TEST_MIGRATION_H */
