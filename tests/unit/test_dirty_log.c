/* SPDX-License-Identifier: MIT */
/*
 * Dirty-logging unit tests (docs/KVM-SEMANTICS.md, "Dirty logging"), against the public API only:
 *
 *  - every errno of KVM_GET_DIRTY_LOG and KVM_CLEAR_DIRTY_LOG, in KVM's
 *    check order (each case is built so that a check made in the wrong
 *    order would return a different errno);
 *  - KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 flag rules;
 *  - GET without manual protect: snapshot, clear and re-protect;
 *  - GET with manual protect: copy only; CLEAR clears and re-protects only
 *    what it is asked to;
 *  - INITIALLY_SET: exactly npages bits set, nothing past the slot end;
 *  - bitmap layout: little-endian bit order, ALIGN(npages, 64) / 8 bytes
 *    written and not one more;
 *  - what marks a page (guest writes, kvm_vcpu_write_guest) and what does
 *    not (reads, read_guest);
 *  - LOG_DIRTY_PAGES off and on again (FLAGS_ONLY): the bitmap is freed and
 *    a fresh one allocated, and enabling write-protects live mappings;
 *  - a slot of 70 pages, with CLEAR ending exactly at the slot end;
 *  - address-space encoding of the slot argument;
 *  - CLEAR reads exactly ALIGN(num_pages, 64) / 8 bytes (guard page);
 *  - LOG_DIRTY_PAGES | READONLY slots log nothing.
 *
 * Usage: test_dirty_log [case-name-substring]
 */
#include <stdbool.h>

#include <vmmu.h>

#include "../test_util.h"

#define PAGE		VMMU_PAGE_SIZE
#define LOG		VMMU_MEM_LOG_DIRTY_PAGES
#define MANUAL		VMMU_DIRTY_LOG_MANUAL_PROTECT_ENABLE
#define INIT_SET	VMMU_DIRTY_LOG_INITIALLY_SET

/* Largest slot the bitmap helpers handle. */
#define MAX_PAGES	256u
#define MAX_WORDS	(MAX_PAGES / 64)
#define CANARY		0xa5a5a5a5a5a5a5a5ull

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

/* A bitmap in the user-visible layout: bytes, page i = bit i % 8 of byte i / 8. */
struct bm {
	uint8_t b[MAX_WORDS * 8 + 8];	/* + one canary word */
};

static void bm_zero(struct bm *m)
{
	memset(m->b, 0, sizeof(m->b));
}

static void bm_set(struct bm *m, uint64_t i)
{
	m->b[i / 8] |= (uint8_t)(1u << (i % 8));
}

static bool bm_test(const struct bm *m, uint64_t i)
{
	return m->b[i / 8] & (1u << (i % 8));
}

static size_t bm_bytes(uint64_t npages)
{
	return (npages + 63) / 64 * 8;
}

/* Bitmap with exactly @n listed pages set. */
static void bm_of(struct bm *m, const uint64_t *pages, size_t n)
{
	bm_zero(m);
	for (size_t i = 0; i < n; i++)
		bm_set(m, pages[i]);
}

/*
 * GET into a canary-guarded buffer: the call must write exactly
 * ALIGN(npages, 64) / 8 bytes.  Returns the errno; on success *@out holds
 * the bitmap (bytes past the slot's words zero).
 */
static int get_log(struct vmmu_vm *vm, uint32_t slot, uint64_t npages, struct bm *out)
{
	size_t n = bm_bytes(npages);
	struct bm buf;
	int r;

	TEST_ASSERT(npages <= MAX_PAGES, "helper limit");
	memset(buf.b, 0xa5, sizeof(buf.b));
	r = vmmu_get_dirty_log(vm, slot, buf.b);
	if (r) {
		for (size_t i = 0; i < sizeof(buf.b); i++)
			TEST_ASSERT(buf.b[i] == 0xa5, "failed GET (%d) wrote byte %zu", r, i);
		return r;
	}
	for (size_t i = n; i < sizeof(buf.b); i++)
		TEST_ASSERT(buf.b[i] == 0xa5, "GET of a %llu-page slot wrote byte %zu (only %zu "
			    "bytes are the bitmap)", (unsigned long long)npages, i, n);
	bm_zero(out);
	memcpy(out->b, buf.b, n);
	return 0;
}

static void __expect_log(const char *file, int line, struct vmmu_vm *vm, uint32_t slot,
			 uint64_t npages, const struct bm *want)
{
	struct bm got;
	int r = get_log(vm, slot, npages, &got);

	TEST_ASSERT(r == 0, "%s:%d: GET slot %#x: %d (%s)", file, line, slot, r,
		    vmmu_strerror(r));
	for (uint64_t i = 0; i < bm_bytes(npages) * 8; i++)
		TEST_ASSERT(bm_test(&got, i) == bm_test(want, i),
			    "%s:%d: GET slot %#x: page %llu is %s, expected %s", file, line, slot,
			    (unsigned long long)i, bm_test(&got, i) ? "dirty" : "clean",
			    bm_test(want, i) ? "dirty" : "clean");
}

#define expect_log(vm, slot, npages, want) \
	__expect_log(__FILE__, __LINE__, vm, slot, npages, want)

/* GET must report exactly the listed pages. */
#define expect_pages(vm, slot, npages, ...) do {				\
	const uint64_t __p[] = { __VA_ARGS__ };					\
	struct bm __w;								\
	bm_of(&__w, __p, ARRAY_SIZE(__p));				\
	expect_log(vm, slot, npages, &__w);					\
} while (0)

#define expect_clean(vm, slot, npages) do {					\
	struct bm __w;								\
	bm_zero(&__w);								\
	expect_log(vm, slot, npages, &__w);					\
} while (0)

static int clear_log(struct vmmu_vm *vm, uint32_t slot, uint64_t first, uint32_t num,
		     const uint64_t *pages, size_t n)
{
	struct bm m;

	bm_zero(&m);
	for (size_t i = 0; i < n; i++) {
		TEST_ASSERT(pages[i] >= first && pages[i] - first < MAX_PAGES, "helper limit");
		bm_set(&m, pages[i] - first);
	}
	return vmmu_clear_dirty_log(vm, slot, first, num, m.b);
}

#define CLEAR_OK(vm, slot, first, num, ...) do {				\
	const uint64_t __p[] = { __VA_ARGS__ };					\
	int __r = clear_log(vm, slot, first, num, __p,				\
			    ARRAY_SIZE(__p));			\
	TEST_ASSERT(__r == 0, "CLEAR slot %#x first %llu num %u: %d (%s)",	\
		    (unsigned int)(slot), (unsigned long long)(first),		\
		    (unsigned int)(num), __r, vmmu_strerror(__r));		\
} while (0)

#define EXPECT_ERR(expr, err) do {						\
	int __r = (expr);							\
	TEST_ASSERT(__r == (err), "%s: expected %d (%s), got %d (%s)", #expr,	\
		    (int)(err), vmmu_strerror(err), __r, vmmu_strerror(__r));	\
} while (0)

/* ------------------------------------------------------------------------ */
/* Errnos                                                                    */
/* ------------------------------------------------------------------------ */

/*
 * GET: as_id/id out of range -> -EINVAL; no slot or no bitmap -> -ENOENT;
 * bad buffer -> -EFAULT.  A NULL buffer is passed to every earlier row, so
 * checking the buffer too early would show up as -EFAULT.
 */
static void test_get_errnos(void)
{
	struct vmmu_vm *vm = test_vm_new(.nr_address_spaces = 2, .max_user_slots = 16);
	uint8_t *mem = test_alloc_guest(8 * PAGE);
	struct bm m;

	TEST_SET_REGION_OK(vm, SLOT(0, 0), 0, 0, 4 * PAGE, mem);			/* no LOG */
	TEST_SET_REGION_OK(vm, SLOT(0, 1), LOG, 0x100000, 2 * PAGE, mem + 4 * PAGE);
	TEST_SET_REGION_OK(vm, SLOT(1, 2), LOG, 0, 2 * PAGE, mem + 6 * PAGE);

	EXPECT_ERR(vmmu_get_dirty_log(NULL, SLOT(0, 1), m.b), -EINVAL);
	/* as_id >= nr_as */
	EXPECT_ERR(vmmu_get_dirty_log(vm, SLOT(2, 1), NULL), -EINVAL);
	EXPECT_ERR(vmmu_get_dirty_log(vm, SLOT(2, 1), m.b), -EINVAL);
	EXPECT_ERR(vmmu_get_dirty_log(vm, SLOT(0xffff, 1), m.b), -EINVAL);
	/* id >= the number of user slots (16 here) */
	EXPECT_ERR(vmmu_get_dirty_log(vm, SLOT(0, 16), NULL), -EINVAL);
	EXPECT_ERR(vmmu_get_dirty_log(vm, SLOT(0, 16), m.b), -EINVAL);
	EXPECT_ERR(vmmu_get_dirty_log(vm, SLOT(0, 0xffff), m.b), -EINVAL);
	/* no such slot: -ENOENT, before the buffer is looked at */
	EXPECT_ERR(vmmu_get_dirty_log(vm, SLOT(0, 3), NULL), -ENOENT);
	EXPECT_ERR(vmmu_get_dirty_log(vm, SLOT(0, 3), m.b), -ENOENT);
	EXPECT_ERR(vmmu_get_dirty_log(vm, SLOT(0, 15), m.b), -ENOENT);
	/* slot 2 lives in AS 1 only */
	EXPECT_ERR(vmmu_get_dirty_log(vm, SLOT(0, 2), m.b), -ENOENT);
	/* slot without LOG_DIRTY_PAGES */
	EXPECT_ERR(vmmu_get_dirty_log(vm, SLOT(0, 0), NULL), -ENOENT);
	EXPECT_ERR(vmmu_get_dirty_log(vm, SLOT(0, 0), m.b), -ENOENT);
	/* the buffer */
	EXPECT_ERR(vmmu_get_dirty_log(vm, SLOT(0, 1), NULL), -EFAULT);
	EXPECT_ERR(vmmu_get_dirty_log(vm, SLOT(1, 2), NULL), -EFAULT);
	/* and the good calls */
	EXPECT_ERR(get_log(vm, SLOT(0, 1), 2, &m), 0);
	EXPECT_ERR(get_log(vm, SLOT(1, 2), 2, &m), 0);

	/* After DELETE the slot is gone: -ENOENT. */
	TEST_SET_REGION_OK(vm, SLOT(0, 1), 0, 0x100000, 0, mem + 4 * PAGE);
	EXPECT_ERR(vmmu_get_dirty_log(vm, SLOT(0, 1), m.b), -ENOENT);

	/* Single address space: as_id 1 is out of range. */
	vmmu_vm_destroy(vm);
	vm = test_vm_new(.nr_address_spaces = 1);
	TEST_SET_REGION_OK(vm, SLOT(0, 0), LOG, 0, 2 * PAGE, mem);
	EXPECT_ERR(vmmu_get_dirty_log(vm, SLOT(1, 0), m.b), -EINVAL);
	EXPECT_ERR(vmmu_get_dirty_log(vm, SLOT(0, VMMU_DEFAULT_USER_MEM_SLOTS), m.b), -EINVAL);
	EXPECT_ERR(vmmu_get_dirty_log(vm, SLOT(0, VMMU_DEFAULT_USER_MEM_SLOTS - 1), m.b), -ENOENT);
	EXPECT_ERR(get_log(vm, SLOT(0, 0), 2, &m), 0);
	vmmu_vm_destroy(vm);
	munmap(mem, 8 * PAGE);
}

/*
 * CLEAR, in KVM's order: ids (-EINVAL); first_page % 64 (-EINVAL) BEFORE
 * the slot lookup; no slot / no bitmap (-ENOENT); first_page > npages,
 * num_pages > npages - first_page, num_pages not a multiple of 64 short of
 * the slot end (-EINVAL); the buffer (-EFAULT) last.
 */
static void test_clear_errnos(void)
{
	struct vmmu_vm *vm = test_vm_new(.nr_address_spaces = 2, .max_user_slots = 16);
	uint8_t *mem = test_alloc_guest(256 * PAGE);
	uint64_t ones[4] = { ~0ull, ~0ull, ~0ull, ~0ull };

	TEST_SET_REGION_OK(vm, SLOT(0, 0), 0, 0, 4 * PAGE, mem);			/* no LOG */
	TEST_SET_REGION_OK(vm, SLOT(0, 1), LOG, 0x100000, 70 * PAGE, mem + 4 * PAGE);
	TEST_SET_REGION_OK(vm, SLOT(0, 2), LOG, 0x200000, 128 * PAGE, mem + 80 * PAGE);

	EXPECT_ERR(vmmu_clear_dirty_log(NULL, SLOT(0, 1), 0, 64, ones), -EINVAL);

	/* 1. ids out of range: -EINVAL even with a NULL buffer */
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(2, 1), 0, 64, ones), -EINVAL);
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(2, 1), 0, 64, NULL), -EINVAL);
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 16), 0, 64, ones), -EINVAL);
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 16), 0, 64, NULL), -EINVAL);

	/* 2. first_page % 64 is checked before the slot: -EINVAL, not -ENOENT */
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 5), 1, 64, ones), -EINVAL);	/* no slot */
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 5), 63, 1, NULL), -EINVAL);
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 0), 32, 0, ones), -EINVAL);	/* no LOG */
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 1), 1, 6, ones), -EINVAL);
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 1), 65, 5, ones), -EINVAL);

	/* 3. no slot / no bitmap: -ENOENT, even for bad ranges or buffers */
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 5), 0, 64, ones), -ENOENT);
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 5), 0, 64, NULL), -ENOENT);
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 5), 1ull << 40, ~0u, NULL), -ENOENT);
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 0), 0, 4, ones), -ENOENT);
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 0), 64, 1000, NULL), -ENOENT);
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(1, 1), 0, 64, ones), -ENOENT);	/* other AS */

	/* 4. the range, on the 70-page slot: -EINVAL, checked before the buffer */
	/* first_page > npages */
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 1), 128, 0, ones), -EINVAL);
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 1), 128, 0, NULL), -EINVAL);
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 1), 1ull << 63, 64, ones), -EINVAL);
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 1), UINT64_MAX & ~63ull, 64, ones),
		   -EINVAL);
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 1), 0, 71, ones), -EINVAL);	/* too many */
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 1), 0, 128, ones), -EINVAL);
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 1), 64, 7, ones), -EINVAL);
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 1), 64, 64, NULL), -EINVAL);
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 1), 0, UINT32_MAX, ones), -EINVAL);
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 1), 0, 32, ones), -EINVAL);	/* not x64 */
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 1), 0, 1, ones), -EINVAL);
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 1), 0, 69, ones), -EINVAL);
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 1), 64, 5, ones), -EINVAL);
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 1), 64, 5, NULL), -EINVAL);
	/* ... and the good ranges */
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 1), 0, 70, ones), 0);	/* to the end */
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 1), 0, 64, ones), 0);	/* x64 */
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 1), 64, 6, ones), 0);	/* to the end */
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 1), 0, 0, ones), 0);
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 1), 64, 0, ones), 0);

	/* 128-page slot: first_page == npages is allowed (with 0 pages) */
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 2), 128, 0, ones), 0);
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 2), 128, 1, ones), -EINVAL);
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 2), 192, 0, ones), -EINVAL);
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 2), 64, 64, ones), 0);
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 2), 0, 128, ones), 0);
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 2), 0, 96, ones), -EINVAL);

	/*
	 * 5. the buffer: -EFAULT only for a range that passed every check.  A
	 * 0-page clear copies 0 bytes in KVM (copy_from_user of 0 bytes
	 * cannot fault), so NULL is fine there.
	 */
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 1), 0, 64, NULL), -EFAULT);
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 1), 0, 70, NULL), -EFAULT);
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 1), 64, 6, NULL), -EFAULT);
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 1), 64, 0, NULL), 0);
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 2), 128, 0, NULL), 0);

	vmmu_vm_destroy(vm);
	munmap(mem, 256 * PAGE);
}

/* KVM_ENABLE_CAP(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) argument rules. */
static void test_manual_cap_flags(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	uint8_t *mem = test_alloc_guest(64 * PAGE);

	EXPECT_ERR(vmmu_vm_enable_manual_dirty_log_protect(NULL, MANUAL), -EINVAL);
	EXPECT_ERR(vmmu_vm_enable_manual_dirty_log_protect(vm, INIT_SET), -EINVAL);
	EXPECT_ERR(vmmu_vm_enable_manual_dirty_log_protect(vm, 1ull << 2), -EINVAL);
	EXPECT_ERR(vmmu_vm_enable_manual_dirty_log_protect(vm, MANUAL | (1ull << 2)), -EINVAL);
	EXPECT_ERR(vmmu_vm_enable_manual_dirty_log_protect(vm, MANUAL | INIT_SET | (1ull << 63)),
		   -EINVAL);
	EXPECT_ERR(vmmu_vm_enable_manual_dirty_log_protect(vm, INIT_SET | (1ull << 5)), -EINVAL);
	EXPECT_ERR(vmmu_vm_enable_manual_dirty_log_protect(vm, ~0ull), -EINVAL);

	/* The rejected calls changed nothing: GET still clears (not manual). */
	TEST_SET_REGION_OK(vm, SLOT(0, 0), LOG, 0, 64 * PAGE, mem);
	expect_clean(vm, SLOT(0, 0), 64);		/* and INITIALLY_SET is not on */
	test_vcpu_write64(vcpu, 3 * PAGE, 1);
	expect_pages(vm, SLOT(0, 0), 64, 3);
	expect_clean(vm, SLOT(0, 0), 64);

	/* ENABLE: GET only copies. */
	EXPECT_ERR(vmmu_vm_enable_manual_dirty_log_protect(vm, MANUAL), 0);
	test_vcpu_write64(vcpu, 3 * PAGE, 2);
	expect_pages(vm, SLOT(0, 0), 64, 3);
	expect_pages(vm, SLOT(0, 0), 64, 3);

	/* 0 disables it again: GET takes and clears. */
	EXPECT_ERR(vmmu_vm_enable_manual_dirty_log_protect(vm, 0), 0);
	expect_pages(vm, SLOT(0, 0), 64, 3);
	expect_clean(vm, SLOT(0, 0), 64);

	EXPECT_ERR(vmmu_vm_enable_manual_dirty_log_protect(vm, MANUAL | INIT_SET), 0);
	expect_clean(vm, SLOT(0, 0), 64);	/* only NEW bitmaps start set */
	test_vcpu_write64(vcpu, 5 * PAGE, 2);
	expect_pages(vm, SLOT(0, 0), 64, 5);
	expect_pages(vm, SLOT(0, 0), 64, 5);
	EXPECT_ERR(vmmu_vm_enable_manual_dirty_log_protect(vm, 0), 0);
	expect_pages(vm, SLOT(0, 0), 64, 5);
	expect_clean(vm, SLOT(0, 0), 64);

	vmmu_vm_destroy(vm);
	munmap(mem, 64 * PAGE);
}

/* ------------------------------------------------------------------------ */
/* Protect modes                                                             */
/* ------------------------------------------------------------------------ */

/*
 * Without manual protect, GET snapshots the bits, clears them and
 * write-protects the pages, so the next write (even through a translation
 * the vCPU had cached as writable) is logged again.
 */
static void test_get_protect(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	uint8_t *mem = test_alloc_guest(128 * PAGE);
	const uint64_t base = 0x40000000;
	const uint32_t s = SLOT(0, 7);

	TEST_SET_REGION_OK(vm, s, LOG, base, 128 * PAGE, mem);
	expect_clean(vm, s, 128);

	test_vcpu_write64(vcpu, base + 0 * PAGE, 1);
	test_vcpu_write64(vcpu, base + 5 * PAGE + 8, 2);
	test_vcpu_write64(vcpu, base + 5 * PAGE + 16, 3);	/* same page twice: one bit */
	test_vcpu_write64(vcpu, base + 63 * PAGE, 4);
	test_vcpu_write64(vcpu, base + 64 * PAGE, 5);
	test_vcpu_write64(vcpu, base + 127 * PAGE + 4088, 6);
	expect_pages(vm, s, 128, 0, 5, 63, 64, 127);
	/* the second GET without writes returns zeros */
	expect_clean(vm, s, 128);
	expect_clean(vm, s, 128);

	/* each page was write-protected: writing it again is logged again */
	test_vcpu_write64(vcpu, base + 5 * PAGE, 7);
	expect_pages(vm, s, 128, 5);
	test_vcpu_write64(vcpu, base + 0 * PAGE, 8);
	test_vcpu_write64(vcpu, base + 127 * PAGE, 9);
	expect_pages(vm, s, 128, 0, 127);
	expect_clean(vm, s, 128);

	/* the data went to guest RAM */
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, base + 5 * PAGE), 7);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, base + 5 * PAGE + 16), 3);
	TEST_ASSERT_EQ(*(volatile uint64_t *)(mem + 127 * PAGE), 9);
	expect_clean(vm, s, 128);

	/* a write hitting a TLB entry cached writable before the GET */
	for (int round = 0; round < 4; round++) {
		test_vcpu_write64(vcpu, base + 9 * PAGE, round);
		test_vcpu_write64(vcpu, base + 9 * PAGE + 8, round);		/* TLB hit */
		expect_pages(vm, s, 128, 9);
		expect_clean(vm, s, 128);
	}
	vmmu_vm_destroy(vm);
	munmap(mem, 128 * PAGE);
}

/*
 * With manual protect, GET only copies; CLEAR clears exactly the requested
 * bits and re-protects those pages.
 */
static void test_manual_protect(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	uint8_t *mem = test_alloc_guest(128 * PAGE);
	const uint32_t s = SLOT(0, 1);

	EXPECT_ERR(vmmu_vm_enable_manual_dirty_log_protect(vm, MANUAL), 0);
	TEST_SET_REGION_OK(vm, s, LOG, 0, 128 * PAGE, mem);
	expect_clean(vm, s, 128);

	test_vcpu_write64(vcpu, 1 * PAGE, 1);
	test_vcpu_write64(vcpu, 2 * PAGE, 2);
	test_vcpu_write64(vcpu, 3 * PAGE, 3);
	test_vcpu_write64(vcpu, 100 * PAGE, 4);
	/* two GETs return the same bits */
	expect_pages(vm, s, 128, 1, 2, 3, 100);
	expect_pages(vm, s, 128, 1, 2, 3, 100);

	/* CLEAR page 2 only */
	CLEAR_OK(vm, s, 0, 64, 2);
	expect_pages(vm, s, 128, 1, 3, 100);
	/* clearing a clean page, or a range of the other word, changes nothing */
	CLEAR_OK(vm, s, 0, 64, 2, 40);
	CLEAR_OK(vm, s, 64, 64, 64, 65);
	expect_pages(vm, s, 128, 1, 3, 100);

	/* page 2 was re-protected: a write to it is logged again */
	test_vcpu_write64(vcpu, 2 * PAGE, 5);
	expect_pages(vm, s, 128, 1, 2, 3, 100);
	/* writes to pages still set leave them set */
	test_vcpu_write64(vcpu, 1 * PAGE + 8, 6);
	test_vcpu_write64(vcpu, 100 * PAGE + 8, 6);
	expect_pages(vm, s, 128, 1, 2, 3, 100);

	/* CLEAR of the second word only */
	CLEAR_OK(vm, s, 64, 64, 100);
	expect_pages(vm, s, 128, 1, 2, 3);
	/* clear everything; a page that had a writable TLB entry is protected */
	CLEAR_OK(vm, s, 0, 128, 1, 2, 3);
	expect_clean(vm, s, 128);
	test_vcpu_write64(vcpu, 1 * PAGE + 16, 7);
	expect_pages(vm, s, 128, 1);
	test_vcpu_write64(vcpu, 100 * PAGE + 16, 7);
	expect_pages(vm, s, 128, 1, 100);
	/* a page not cleared stays set however often GET runs */
	CLEAR_OK(vm, s, 64, 64, 100);
	for (int i = 0; i < 3; i++)
		expect_pages(vm, s, 128, 1);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, 1 * PAGE + 16), 7);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, 2 * PAGE), 5);

	vmmu_vm_destroy(vm);
	munmap(mem, 128 * PAGE);
}

/* CLEAR works without manual protect, as in KVM. */
static void test_clear_without_manual(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	uint8_t *mem = test_alloc_guest(64 * PAGE);
	const uint32_t s = SLOT(0, 0);

	TEST_SET_REGION_OK(vm, s, LOG, 0, 64 * PAGE, mem);
	test_vcpu_write64(vcpu, 10 * PAGE, 1);
	test_vcpu_write64(vcpu, 11 * PAGE, 1);
	CLEAR_OK(vm, s, 0, 64, 10);
	expect_pages(vm, s, 64, 11);
	expect_clean(vm, s, 64);
	/* page 10 was re-protected by CLEAR */
	test_vcpu_write64(vcpu, 10 * PAGE + 8, 2);
	expect_pages(vm, s, 64, 10);
	vmmu_vm_destroy(vm);
	munmap(mem, 64 * PAGE);
}

/*
 * INITIALLY_SET: a new bitmap has exactly npages bits set (KVM:
 * bitmap_set(dirty_bitmap, 0, npages)), nothing past the slot end.
 */
static void test_initially_set(void)
{
	static const uint64_t sizes[] = { 1, 63, 64, 65, 70, 128, 200, 255 };
	struct vmmu_vm *vm = test_vm_create(NULL);
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	uint8_t *mem = test_alloc_guest(1024 * PAGE);
	uint64_t gpa = 0, off = 0;
	struct bm want, got;

	EXPECT_ERR(vmmu_vm_enable_manual_dirty_log_protect(vm, MANUAL | INIT_SET), 0);
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		uint64_t n = sizes[i];

		TEST_SET_REGION_OK(vm, SLOT(0, i), LOG, gpa, n * PAGE, mem + off);
		bm_zero(&want);
		for (uint64_t p = 0; p < n; p++)
			bm_set(&want, p);
		expect_log(vm, SLOT(0, i), n, &want);
		/* The word-wise fill: exactly n bits over the whole buffer. */
		TEST_ASSERT(get_log(vm, SLOT(0, i), n, &got) == 0, "GET");
		{
			uint64_t bits = 0;

			for (size_t b = 0; b < sizeof(got.b); b++)
				bits += (uint64_t)__builtin_popcount(got.b[b]);
			TEST_ASSERT(bits == n, "INITIALLY_SET: %llu bits set for %llu pages",
				    (unsigned long long)bits, (unsigned long long)n);
		}
		gpa += 256 * PAGE;
		off += n * PAGE;
	}

	/* Enabling logging on an existing slot (FLAGS_ONLY) also starts all-ones. */
	TEST_SET_REGION_OK(vm, SLOT(0, 20), 0, 0x10000000, 70 * PAGE, mem + off);
	/* a writable mapping before logging */
	test_vcpu_write64(vcpu, 0x10000000 + 3 * PAGE, 1);
	EXPECT_ERR(vmmu_get_dirty_log(vm, SLOT(0, 20), got.b), -ENOENT);
	TEST_SET_REGION_OK(vm, SLOT(0, 20), LOG, 0x10000000, 70 * PAGE, mem + off);
	bm_zero(&want);
	for (uint64_t p = 0; p < 70; p++)
		bm_set(&want, p);
	expect_log(vm, SLOT(0, 20), 70, &want);

	/*
	 * Clearing re-protects: page 3 (mapped writable before logging was
	 * enabled, which with INITIALLY_SET write-protects nothing) is logged
	 * again after CLEAR.
	 */
	CLEAR_OK(vm, SLOT(0, 20), 0, 64, 3, 4);
	CLEAR_OK(vm, SLOT(0, 20), 64, 6, 64, 69);
	test_vcpu_write64(vcpu, 0x10000000 + 3 * PAGE + 8, 2);
	test_vcpu_write64(vcpu, 0x10000000 + 69 * PAGE, 2);
	bm_zero(&want);
	for (uint64_t p = 0; p < 70; p++)
		if (p != 4 && p != 64)
			bm_set(&want, p);
	expect_log(vm, SLOT(0, 20), 70, &want);
	/* clear all: zero, and nothing past page 69 was ever set */
	CLEAR_OK(vm, SLOT(0, 20), 0, 64, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
		 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35,
		 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55,
		 56, 57, 58, 59, 60, 61, 62, 63);
	CLEAR_OK(vm, SLOT(0, 20), 64, 6, 64, 65, 66, 67, 68, 69);
	expect_clean(vm, SLOT(0, 20), 70);

	/* Without manual protect INITIALLY_SET cannot be on: new bitmaps are zero. */
	EXPECT_ERR(vmmu_vm_enable_manual_dirty_log_protect(vm, 0), 0);
	TEST_SET_REGION_OK(vm, SLOT(0, 21), LOG, 0x20000000, 64 * PAGE, mem + off + 70 * PAGE);
	expect_clean(vm, SLOT(0, 21), 64);

	vmmu_vm_destroy(vm);
	munmap(mem, 1024 * PAGE);
}

/* Page i is bit i % 8 of byte i / 8 (set_bit_le). */
static void test_bit_order(void)
{
	static const uint64_t pages[] = { 0, 1, 7, 8, 9, 15, 16, 31, 32, 62, 63, 64, 69, 127,
					  128, 191, 199 };
	struct vmmu_vm *vm = test_vm_create(NULL);
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	uint8_t *mem = test_alloc_guest(200 * PAGE);
	const uint32_t s = SLOT(0, 0);
	struct bm got;

	TEST_SET_REGION_OK(vm, s, LOG, 0, 200 * PAGE, mem);
	for (size_t i = 0; i < ARRAY_SIZE(pages); i++) {
		uint64_t p = pages[i];

		test_vcpu_write64(vcpu, p * PAGE, p);
		TEST_ASSERT_EQ(get_log(vm, s, 200, &got), 0);
		for (size_t b = 0; b < bm_bytes(200); b++) {
			uint8_t want = b == p / 8 ? (uint8_t)(1u << (p % 8)) : 0;

			TEST_ASSERT(got.b[b] == want, "page %llu: byte %zu = %#x, expected %#x",
				    (unsigned long long)p, b, got.b[b], want);
		}
	}
	/* Several pages of one byte and of one 64-bit word at once. */
	test_vcpu_write64(vcpu, 8 * PAGE, 0);
	test_vcpu_write64(vcpu, 10 * PAGE, 0);
	test_vcpu_write64(vcpu, 15 * PAGE, 0);
	test_vcpu_write64(vcpu, 56 * PAGE, 0);
	TEST_ASSERT_EQ(get_log(vm, s, 200, &got), 0);
	TEST_ASSERT_EQ(got.b[1], 0x85);
	TEST_ASSERT_EQ(got.b[7], 0x01);
	for (size_t b = 0; b < bm_bytes(200); b++)
		if (b != 1 && b != 7)
			TEST_ASSERT(!got.b[b], "byte %zu = %#x", b, got.b[b]);
	vmmu_vm_destroy(vm);
	munmap(mem, 200 * PAGE);
}

/* ------------------------------------------------------------------------ */
/* What marks a page                                                         */
/* ------------------------------------------------------------------------ */

static void test_write_guest_marks(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	uint8_t *mem = test_alloc_guest(64 * PAGE);
	const uint32_t s = SLOT(0, 0);
	uint8_t buf[3 * PAGE];

	TEST_SET_REGION_OK(vm, s, LOG, 0, 64 * PAGE, mem);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 1);

	EXPECT_ERR(vmmu_vcpu_write_guest(vcpu, 4 * PAGE + 100, buf, 8), 0);
	expect_pages(vm, s, 64, 4);
	expect_clean(vm, s, 64);
	/* crossing a page boundary marks both pages */
	EXPECT_ERR(vmmu_vcpu_write_guest(vcpu, 10 * PAGE - 4, buf, 10), 0);
	expect_pages(vm, s, 64, 9, 10);
	/* three whole pages and a bit */
	EXPECT_ERR(vmmu_vcpu_write_guest(vcpu, 20 * PAGE + 1, buf, sizeof(buf)), 0);
	expect_pages(vm, s, 64, 20, 21, 22, 23);
	TEST_ASSERT(!memcmp(mem + 20 * PAGE + 1, buf, sizeof(buf)), "write_guest data");
	/* zero length marks nothing */
	EXPECT_ERR(vmmu_vcpu_write_guest(vcpu, 30 * PAGE, buf, 0), 0);
	expect_clean(vm, s, 64);
	/* write_guest and guest writes together, manual protect too */
	EXPECT_ERR(vmmu_vm_enable_manual_dirty_log_protect(vm, MANUAL), 0);
	EXPECT_ERR(vmmu_vcpu_write_guest(vcpu, 63 * PAGE, buf, 1), 0);
	test_vcpu_write64(vcpu, 62 * PAGE, 1);
	expect_pages(vm, s, 64, 62, 63);
	CLEAR_OK(vm, s, 0, 64, 62, 63);
	expect_clean(vm, s, 64);
	EXPECT_ERR(vmmu_vcpu_write_guest(vcpu, 62 * PAGE + 8, buf, 1), 0);
	expect_pages(vm, s, 64, 62);
	vmmu_vm_destroy(vm);
	munmap(mem, 64 * PAGE);
}

static void test_reads_do_not_mark(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	uint8_t *mem = test_alloc_guest(64 * PAGE);
	const uint32_t s = SLOT(0, 0);
	struct vmmu_exit ex;
	uint8_t buf[2 * PAGE];
	uint32_t v32;

	TEST_SET_REGION_OK(vm, s, LOG, 0, 64 * PAGE, mem);
	for (uint64_t p = 0; p < 64; p++) {
		(void)test_vcpu_read64(vcpu, p * PAGE);
		EXPECT_ERR(vmmu_vcpu_access(vcpu, p * PAGE + 4, &v32, 4, VMMU_ACCESS_FETCH, &ex),
			   0);
	}
	EXPECT_ERR(vmmu_vcpu_read_guest(vcpu, 10 * PAGE + 5, buf, sizeof(buf)), 0);
	expect_clean(vm, s, 64);
	/* a page mapped by a read fault is mapped read-only: its first write logs */
	test_vcpu_write64(vcpu, 7 * PAGE, 1);
	expect_pages(vm, s, 64, 7);
	(void)test_vcpu_read64(vcpu, 7 * PAGE);
	expect_clean(vm, s, 64);
	/* MMIO (no slot) writes mark nothing anywhere */
	{
		uint64_t v = 1;
		int r = vmmu_vcpu_access(vcpu, 0x80000000, &v, 8, VMMU_ACCESS_WRITE, &ex);

		TEST_ASSERT_EQ(r, VMMU_EXIT_MMIO);
	}
	expect_clean(vm, s, 64);
	vmmu_vm_destroy(vm);
	munmap(mem, 64 * PAGE);
}

/* ------------------------------------------------------------------------ */
/* Slot changes                                                              */
/* ------------------------------------------------------------------------ */

/*
 * LOG_DIRTY_PAGES off frees the bitmap (GET/CLEAR -ENOENT); on again gives a
 * fresh one (zeros, or all-ones with INITIALLY_SET) and write-protects the
 * pages written while logging was off.
 */
static void test_toggle_logging(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	uint8_t *mem = test_alloc_guest(70 * PAGE);
	const uint32_t s = SLOT(0, 3);
	const uint64_t base = 0x100000;
	uint64_t all[1] = { ~0ull };
	struct bm m, want;

	bm_zero(&m);
	TEST_SET_REGION_OK(vm, s, LOG, base, 70 * PAGE, mem);
	test_vcpu_write64(vcpu, base + 1 * PAGE, 1);
	test_vcpu_write64(vcpu, base + 69 * PAGE, 1);

	/* off: the bits go with the bitmap */
	TEST_SET_REGION_OK(vm, s, 0, base, 70 * PAGE, mem);
	EXPECT_ERR(vmmu_get_dirty_log(vm, s, m.b), -ENOENT);
	EXPECT_ERR(vmmu_clear_dirty_log(vm, s, 0, 64, all), -ENOENT);
	/* writes while off are not logged anywhere (and do not crash) */
	test_vcpu_write64(vcpu, base + 2 * PAGE, 2);
	test_vcpu_write64(vcpu, base + 1 * PAGE + 8, 2);
	EXPECT_ERR(vmmu_vcpu_write_guest(vcpu, base + 3 * PAGE, &m, 8), 0);

	/* on again: a fresh, clean bitmap */
	TEST_SET_REGION_OK(vm, s, LOG, base, 70 * PAGE, mem);
	expect_clean(vm, s, 70);
	/* pages mapped writable while off were write-protected by the enable */
	test_vcpu_write64(vcpu, base + 2 * PAGE + 8, 3);
	test_vcpu_write64(vcpu, base + 1 * PAGE + 16, 3);
	expect_pages(vm, s, 70, 1, 2);
	expect_clean(vm, s, 70);

	/* manual protect: off/on loses the set bits too */
	EXPECT_ERR(vmmu_vm_enable_manual_dirty_log_protect(vm, MANUAL), 0);
	test_vcpu_write64(vcpu, base + 5 * PAGE, 4);
	expect_pages(vm, s, 70, 5);
	TEST_SET_REGION_OK(vm, s, 0, base, 70 * PAGE, mem);
	TEST_SET_REGION_OK(vm, s, LOG, base, 70 * PAGE, mem);
	expect_clean(vm, s, 70);
	test_vcpu_write64(vcpu, base + 5 * PAGE + 8, 5);
	expect_pages(vm, s, 70, 5);

	/* INITIALLY_SET: the fresh bitmap is all ones again (70 bits) */
	EXPECT_ERR(vmmu_vm_enable_manual_dirty_log_protect(vm, MANUAL | INIT_SET), 0);
	TEST_SET_REGION_OK(vm, s, 0, base, 70 * PAGE, mem);
	TEST_SET_REGION_OK(vm, s, LOG, base, 70 * PAGE, mem);
	bm_zero(&want);
	for (uint64_t p = 0; p < 70; p++)
		bm_set(&want, p);
	expect_log(vm, s, 70, &want);

	/* a flags change that keeps LOG keeps the bitmap (no reset) */
	EXPECT_ERR(vmmu_vm_enable_manual_dirty_log_protect(vm, MANUAL), 0);
	CLEAR_OK(vm, s, 0, 64, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18,
		 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37,
		 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57,
		 58, 59, 60, 61, 62, 63);
	CLEAR_OK(vm, s, 64, 6, 64, 65, 66, 67, 68);
	expect_pages(vm, s, 70, 69);
	TEST_SET_REGION_OK(vm, s, LOG, base + 0x100000, 70 * PAGE, mem);	/* MOVE */
	expect_pages(vm, s, 70, 69);

	vmmu_vm_destroy(vm);
	munmap(mem, 70 * PAGE);
}

/*
 * A slot of 70 pages: the bitmap is two words, the second holds 6 pages;
 * CLEAR of (64, 6) ends exactly at the slot end.  Bits past the end in the
 * CLEAR buffer are harmless: the next slot (right after in gpa and hva)
 * keeps its bits and protection.
 */
static void test_odd_npages(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	uint8_t *mem = test_alloc_guest(140 * PAGE);
	const uint32_t a = SLOT(0, 0), b = SLOT(0, 1);
	uint64_t ones[2] = { ~0ull, ~0ull };

	EXPECT_ERR(vmmu_vm_enable_manual_dirty_log_protect(vm, MANUAL), 0);
	TEST_SET_REGION_OK(vm, a, LOG, 0, 70 * PAGE, mem);
	TEST_SET_REGION_OK(vm, b, LOG, 70 * PAGE, 70 * PAGE, mem + 70 * PAGE);

	test_vcpu_write64(vcpu, 0 * PAGE, 1);
	test_vcpu_write64(vcpu, 63 * PAGE, 1);
	test_vcpu_write64(vcpu, 64 * PAGE, 1);
	test_vcpu_write64(vcpu, 69 * PAGE, 1);
	test_vcpu_write64(vcpu, 70 * PAGE, 1);	/* slot b, page 0 */
	test_vcpu_write64(vcpu, 71 * PAGE, 1);	/* slot b, page 1 */
	expect_pages(vm, a, 70, 0, 63, 64, 69);
	expect_pages(vm, b, 70, 0, 1);

	/* pages 64 and 69 via a 6-page CLEAR ending at the slot end */
	CLEAR_OK(vm, a, 64, 6, 64, 69);
	expect_pages(vm, a, 70, 0, 63);
	/* all-ones buffer, 58 bits of it past the end of slot a */
	test_vcpu_write64(vcpu, 65 * PAGE, 2);
	expect_pages(vm, a, 70, 0, 63, 65);
	EXPECT_ERR(vmmu_clear_dirty_log(vm, a, 64, 6, ones), 0);
	expect_pages(vm, a, 70, 0, 63);
	expect_pages(vm, b, 70, 0, 1);
	/* slot b's page 0 is still writable-and-logged, not re-protected: a
	 * write to it keeps one bit; clearing it then re-protects it */
	CLEAR_OK(vm, b, 0, 64, 0);
	expect_pages(vm, b, 70, 1);
	test_vcpu_write64(vcpu, 70 * PAGE + 8, 3);
	expect_pages(vm, b, 70, 0, 1);

	CLEAR_OK(vm, a, 0, 70, 0, 63);
	expect_clean(vm, a, 70);
	/* re-protected: the last page of the slot logs again */
	test_vcpu_write64(vcpu, 69 * PAGE + 8, 4);
	test_vcpu_write64(vcpu, 64 * PAGE + 8, 4);
	expect_pages(vm, a, 70, 64, 69);
	EXPECT_ERR(vmmu_clear_dirty_log(vm, a, 0, 70, ones), 0);
	expect_clean(vm, a, 70);

	/* The same without manual protect. */
	EXPECT_ERR(vmmu_vm_enable_manual_dirty_log_protect(vm, 0), 0);
	test_vcpu_write64(vcpu, 69 * PAGE, 5);
	test_vcpu_write64(vcpu, 68 * PAGE, 5);
	expect_pages(vm, a, 70, 68, 69);
	expect_clean(vm, a, 70);
	test_vcpu_write64(vcpu, 69 * PAGE + 16, 6);
	expect_pages(vm, a, 70, 69);
	vmmu_vm_destroy(vm);
	munmap(mem, 140 * PAGE);
}

/* slot = as_id << 16 | id; each address space has its own bitmaps. */
static void test_address_spaces(void)
{
	struct vmmu_vm *vm = test_vm_new(.nr_address_spaces = 2);
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	uint8_t *mem = test_alloc_guest(128 * PAGE);

	TEST_SET_REGION_OK(vm, SLOT(0, 4), LOG, 0, 64 * PAGE, mem);
	TEST_SET_REGION_OK(vm, SLOT(1, 4), LOG, 0, 64 * PAGE, mem + 64 * PAGE);
	test_vcpu_write64(vcpu, 3 * PAGE, 1);
	EXPECT_ERR(vmmu_vcpu_set_address_space(vcpu, 1), 0);
	test_vcpu_write64(vcpu, 9 * PAGE, 1);
	expect_pages(vm, SLOT(0, 4), 64, 3);
	expect_pages(vm, SLOT(1, 4), 64, 9);
	CLEAR_OK(vm, SLOT(1, 4), 0, 64, 9);	/* no-op: GET already took it */
	test_vcpu_write64(vcpu, 9 * PAGE + 8, 2);
	expect_pages(vm, SLOT(1, 4), 64, 9);
	expect_clean(vm, SLOT(0, 4), 64);
	TEST_ASSERT_EQ(*(volatile uint64_t *)(mem + 64 * PAGE + 9 * PAGE + 8), 2);
	vmmu_vm_destroy(vm);
	munmap(mem, 128 * PAGE);
}

/*
 * CLEAR reads ALIGN(num_pages, 64) / 8 bytes of the buffer and GET writes
 * ALIGN(npages, 64) / 8 (the canary in get_log checks that): a buffer that
 * ends right before a PROT_NONE page must do.
 */
static void test_buffer_sizes(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	uint8_t *mem = test_alloc_guest(270 * PAGE);
	uint8_t *buf = test_alloc_guest(2 * PAGE);
	uint8_t *end = buf + PAGE;	/* the guard page starts here */
	const uint32_t s = SLOT(0, 0);

	TEST_ASSERT(mprotect(end, PAGE, PROT_NONE) == 0, "mprotect: %s", strerror(errno));
	EXPECT_ERR(vmmu_vm_enable_manual_dirty_log_protect(vm, MANUAL), 0);
	TEST_SET_REGION_OK(vm, s, LOG, 0, 70 * PAGE, mem);
	TEST_SET_REGION_OK(vm, SLOT(0, 1), LOG, 0x1000000, 200 * PAGE, mem + 70 * PAGE);
	test_vcpu_write64(vcpu, 65 * PAGE, 1);
	test_vcpu_write64(vcpu, 69 * PAGE, 1);
	test_vcpu_write64(vcpu, 3 * PAGE, 1);

	/* GET of a 70-page slot: 16 bytes */
	EXPECT_ERR(vmmu_get_dirty_log(vm, s, end - 16), 0);
	TEST_ASSERT_EQ(end[-16], 1 << 3);
	TEST_ASSERT_EQ(end[-8], (1 << 1) | (1 << 5));
	/* CLEAR (64, 6): 8 bytes; (0, 70): 16 bytes */
	memset(end - 8, 0, 8);
	end[-8] = 1 << 1;
	EXPECT_ERR(vmmu_clear_dirty_log(vm, s, 64, 6, end - 8), 0);
	expect_pages(vm, s, 70, 3, 69);
	memset(end - 16, 0xff, 16);
	EXPECT_ERR(vmmu_clear_dirty_log(vm, s, 0, 70, end - 16), 0);
	expect_clean(vm, s, 70);
	/* 200 pages: GET writes 32 bytes; CLEAR (192, 8) reads 8, (128, 72) reads 16 */
	test_vcpu_write64(vcpu, 0x1000000 + 199 * PAGE, 1);
	EXPECT_ERR(vmmu_get_dirty_log(vm, SLOT(0, 1), end - 32), 0);
	TEST_ASSERT_EQ(end[-8], 1 << 7);
	memset(end - 16, 0xff, 16);
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 1), 192, 8, end - 8), 0);
	EXPECT_ERR(vmmu_clear_dirty_log(vm, SLOT(0, 1), 128, 72, end - 16), 0);
	expect_clean(vm, SLOT(0, 1), 200);
	/* 0 pages: reads nothing */
	EXPECT_ERR(vmmu_clear_dirty_log(vm, s, 64, 0, end), 0);

	vmmu_vm_destroy(vm);
	munmap(buf, 2 * PAGE);
	munmap(mem, 270 * PAGE);
}

/*
 * LOG_DIRTY_PAGES | READONLY: writes exit to the VMM (or fail, for
 * write_guest) and mark nothing; reads mark nothing.
 */
static void test_readonly_slot(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	uint8_t *mem = test_alloc_guest(64 * PAGE);
	const uint32_t s = SLOT(0, 0);
	struct vmmu_exit ex;
	uint64_t v = 5;

	TEST_SET_REGION_OK(vm, s, LOG | VMMU_MEM_READONLY, 0, 64 * PAGE, mem);
	EXPECT_ERR(vmmu_vcpu_access(vcpu, 4 * PAGE, &v, 8, VMMU_ACCESS_WRITE, &ex), VMMU_EXIT_MMIO);
	TEST_ASSERT(ex.mmio.is_write && ex.mmio.phys_addr == 4 * PAGE, "MMIO exit fields");
	EXPECT_ERR(vmmu_vcpu_write_guest(vcpu, 5 * PAGE, &v, 8), -EFAULT);
	(void)test_vcpu_read64(vcpu, 6 * PAGE);
	expect_clean(vm, s, 64);
	TEST_ASSERT_EQ(*(volatile uint64_t *)(mem + 4 * PAGE), 0);
	vmmu_vm_destroy(vm);
	munmap(mem, 64 * PAGE);
}

static const struct test_case cases[] = {
	{ "get_errnos", test_get_errnos },
	{ "clear_errnos", test_clear_errnos },
	{ "manual_cap_flags", test_manual_cap_flags },
	{ "get_protect", test_get_protect },
	{ "manual_protect", test_manual_protect },
	{ "clear_without_manual", test_clear_without_manual },
	{ "initially_set", test_initially_set },
	{ "bit_order", test_bit_order },
	{ "write_guest_marks", test_write_guest_marks },
	{ "reads_do_not_mark", test_reads_do_not_mark },
	{ "toggle_logging", test_toggle_logging },
	{ "odd_npages", test_odd_npages },
	{ "address_spaces", test_address_spaces },
	{ "buffer_sizes", test_buffer_sizes },
	{ "readonly_slot", test_readonly_slot },
};

TEST_CASES_MAIN(cases)
