/* SPDX-License-Identifier: MIT */
/*
 * MMU unit tests, written against the public API only.  The counters of
 * vmmu_vm_get_stats() tell which path of the fault handling served an access
 * (docs/KVM-SEMANTICS.md, "MMIO SPTEs and the generation check" and the next section):
 *
 *	mmio_cache_hits	per-vCPU MMIO info cache hit (RET_PF_EMULATE, no walk)
 *	fast_mmio_hits	MMIO SPTE whose generation matches (RET_PF_EMULATE)
 *	pf_invalid	MMIO SPTE with a stale generation (RET_PF_INVALID)
 *	pf_emulate	the full fault path ended in RET_PF_EMULATE
 *	mmio_sptes_created, pf_fixed, tlb_fills
 *
 * Cases: first/second MMIO access, generation miss, slot over an MMIO SPTE,
 * RAM and the software TLB, READONLY, DELETE/MOVE (slot zap and zap-all),
 * address spaces, bad input, bulk copies, MMIO generation wrap (every
 * access checked against a model of the SPTEs and the MMIO cache), and VM
 * and vCPU lifetime.
 *
 * Usage: test_mmu [case-name-substring]; VMMU_TEST_SEED=n changes the
 * update sequence of the wrap case (default: a fixed seed).
 */
#include <stdbool.h>

#include <vmmu.h>

#include "../test_util.h"

#define PAGE		VMMU_PAGE_SIZE
#define SZ_2M		(2ull << 20)

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

/* Little-endian bytes of @v, independent of the host byte order. */
static void put_le(uint8_t *buf, uint64_t v, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *buf, uint32_t len)
{
	uint64_t v = 0;

	for (uint32_t i = 0; i < len; i++)
		v |= (uint64_t)buf[i] << (8 * i);
	return v;
}

static uint64_t len_mask(uint32_t len)
{
	return len == 8 ? ~0ull : (1ull << (8 * len)) - 1;
}

/*
 * One access.  @ex is poisoned first so the checks below prove the library
 * wrote every field they look at.  A read returns the bytes in *@val.
 */
static int do_access(struct vmmu_vcpu *vcpu, uint64_t gpa, uint32_t len, uint32_t flags,
		     uint64_t *val, struct vmmu_exit *ex)
{
	uint8_t buf[8];
	int r;

	memset(ex, 0xa5, sizeof(*ex));
	/* A read's buffer holds junk: nothing of it may reach the exit. */
	memset(buf, 0x5a, sizeof(buf));
	if (flags & VMMU_ACCESS_WRITE)
		put_le(buf, *val, len);
	r = vmmu_vcpu_access(vcpu, gpa, buf, len, flags, ex);
	if (!(flags & VMMU_ACCESS_WRITE))
		*val = get_le(buf, len);
	return r;
}

/* Check *@ex against kvm_run->mmio for the access (docs/KVM-SEMANTICS.md, "KVM_EXIT_MMIO"). */
static void __check_mmio_exit(int line, const struct vmmu_exit *ex, uint64_t gpa, uint32_t len,
			      bool write, uint64_t wval)
{
	TEST_ASSERT(ex->reason == VMMU_EXIT_MMIO, "line %d: exit reason %u", line, ex->reason);
	TEST_ASSERT(ex->mmio.phys_addr == gpa, "line %d: phys_addr %#llx, expected %#llx",
		    line, (unsigned long long)ex->mmio.phys_addr, (unsigned long long)gpa);
	TEST_ASSERT(ex->mmio.len == len, "line %d: len %u, expected %u", line, ex->mmio.len, len);
	TEST_ASSERT(ex->mmio.is_write == write, "line %d: is_write %u, expected %u", line,
		    ex->mmio.is_write, write);
	if (write) {
		TEST_ASSERT(get_le(ex->mmio.data, len) == (wval & len_mask(len)),
			    "line %d: write data %#llx, expected %#llx", line,
			    (unsigned long long)get_le(ex->mmio.data, len),
			    (unsigned long long)(wval & len_mask(len)));
	} else {
		TEST_ASSERT(get_le(ex->mmio.data, 8) == 0, "line %d: read exit data %#llx, not 0",
			    line, (unsigned long long)get_le(ex->mmio.data, 8));
	}
}

/* Expect an access to exit MMIO with the fields filled. */
static void __expect_mmio(int line, struct vmmu_vcpu *vcpu, uint64_t gpa, uint32_t len,
			  uint32_t flags, uint64_t wval)
{
	struct vmmu_exit ex;
	uint64_t v = wval;
	int r = do_access(vcpu, gpa, len, flags, &v, &ex);

	TEST_ASSERT(r == VMMU_EXIT_MMIO, "line %d: access gpa %#llx len %u flags %#x: expected "
		    "VMMU_EXIT_MMIO, got %d (%s)", line, (unsigned long long)gpa, len, flags, r,
		    vmmu_strerror(r));
	__check_mmio_exit(line, &ex, gpa, len, flags & VMMU_ACCESS_WRITE, wval);
}

#define expect_mmio_read(vcpu, gpa, len)	__expect_mmio(__LINE__, vcpu, gpa, len, 0, 0)
#define expect_mmio_write(vcpu, gpa, len, v)	__expect_mmio(__LINE__, vcpu, gpa, len, \
						      VMMU_ACCESS_WRITE, v)

static uint64_t __ram_read(int line, struct vmmu_vcpu *vcpu, uint64_t gpa, uint32_t len,
			   uint32_t flags)
{
	struct vmmu_exit ex;
	uint64_t v = 0;
	int r = do_access(vcpu, gpa, len, flags, &v, &ex);

	TEST_ASSERT(r == 0, "line %d: read gpa %#llx len %u: expected RAM (0), got %d (%s)",
		    line, (unsigned long long)gpa, len, r, vmmu_strerror(r));
	return v;
}

static void __ram_write(int line, struct vmmu_vcpu *vcpu, uint64_t gpa, uint32_t len, uint64_t v)
{
	struct vmmu_exit ex;
	int r = do_access(vcpu, gpa, len, VMMU_ACCESS_WRITE, &v, &ex);

	TEST_ASSERT(r == 0, "line %d: write gpa %#llx len %u: expected RAM (0), got %d (%s)",
		    line, (unsigned long long)gpa, len, r, vmmu_strerror(r));
}

#define ram_read(vcpu, gpa, len)	__ram_read(__LINE__, vcpu, gpa, len, 0)
#define ram_fetch(vcpu, gpa, len)	__ram_read(__LINE__, vcpu, gpa, len, VMMU_ACCESS_FETCH)
#define ram_write(vcpu, gpa, len, v)	__ram_write(__LINE__, vcpu, gpa, len, v)

/*
 * Which path served the accesses between two snapshots: the change of every
 * vCPU-side counter must equal the expectation.  pf_retry, pf_spurious and
 * the retry counters must stay 0 (single-threaded, no notifiers).
 */
struct path {
	int64_t cache, fast, invalid, created, emulate, fixed, exits;
};

static void __check_path(int line, const char *ctx, const struct vmmu_stats *b,
			 const struct vmmu_stats *a, struct path p)
{
	struct path got = {
		.cache = (int64_t)(a->mmio_cache_hits - b->mmio_cache_hits),
		.fast = (int64_t)(a->fast_mmio_hits - b->fast_mmio_hits),
		.invalid = (int64_t)(a->pf_invalid - b->pf_invalid),
		.created = (int64_t)(a->mmio_sptes_created - b->mmio_sptes_created),
		.emulate = (int64_t)(a->pf_emulate - b->pf_emulate),
		.fixed = (int64_t)(a->pf_fixed - b->pf_fixed),
		.exits = (int64_t)(a->mmio_exits - b->mmio_exits),
	};

	TEST_ASSERT(!memcmp(&got, &p, sizeof(p)) && a->pf_retry == b->pf_retry &&
		    a->pf_spurious == b->pf_spurious &&
		    a->invalid_slot_retries == b->invalid_slot_retries &&
		    a->notifier_retries == b->notifier_retries,
		    "line %d%s%s: path counters (cache, fast, pf_invalid, created, pf_emulate, "
		    "pf_fixed, mmio_exits):\n    got      %lld %lld %lld %lld %lld %lld %lld\n"
		    "    expected %lld %lld %lld %lld %lld %lld %lld\n    retries %llu->%llu, "
		    "spurious %llu->%llu", line, ctx ? ": " : "", ctx ? ctx : "",
		    (long long)got.cache, (long long)got.fast, (long long)got.invalid,
		    (long long)got.created, (long long)got.emulate, (long long)got.fixed,
		    (long long)got.exits, (long long)p.cache, (long long)p.fast,
		    (long long)p.invalid, (long long)p.created, (long long)p.emulate,
		    (long long)p.fixed, (long long)p.exits,
		    (unsigned long long)b->pf_retry, (unsigned long long)a->pf_retry,
		    (unsigned long long)b->pf_spurious, (unsigned long long)a->pf_spurious);
}

#define check_path(b, a, ...)	__check_path(__LINE__, NULL, b, a, (struct path){ __VA_ARGS__ })

/* The paths of one MMIO access. */
#define P_MMIO_NEW	.created = 1, .emulate = 1, .exits = 1	/* fault, fresh SPTE */
#define P_MMIO_INVALID	.invalid = 1, P_MMIO_NEW		/* stale SPTE rebuilt */
#define P_MMIO_CACHE	.cache = 1, .exits = 1
#define P_MMIO_FAST	.fast = 1, .exits = 1

/* ------------------------------------------------------------------------ */
/* 1. First access to an unbacked gpa                                        */
/* ------------------------------------------------------------------------ */

static void test_mmio_first_access(void)
{
	static const uint32_t lens[] = { 1, 2, 4, 8, 3, 5, 7 };
	struct vmmu_vm *vm = test_vm_create(NULL);
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	struct vmmu_stats s0, s1;

	/* A read: exit filled, data zero, one SPTE, one full fault. */
	s0 = test_vm_stats(vm);
	expect_mmio_read(vcpu, 0x1234, 4);
	s1 = test_vm_stats(vm);
	check_path(&s0, &s1, P_MMIO_NEW);
	TEST_ASSERT(s1.page_tables > s0.page_tables, "an MMIO SPTE needs page tables");

	/* A first write to another page: the bytes written are in the exit. */
	s0 = test_vm_stats(vm);
	expect_mmio_write(vcpu, 0x5ff8, 8, 0x1122334455667788ull);
	s1 = test_vm_stats(vm);
	check_path(&s0, &s1, P_MMIO_NEW);

	/* Every length, at an offset, as read and write; each its own page. */
	for (unsigned int i = 0; i < ARRAY_SIZE(lens); i++) {
		uint64_t gpa = 0x100000 + 2 * i * PAGE + 0x7f0 + i;

		s0 = test_vm_stats(vm);
		expect_mmio_read(vcpu, gpa, lens[i]);
		expect_mmio_write(vcpu, gpa + PAGE, lens[i], 0xf0e1d2c3b4a59687ull + i);
		s1 = test_vm_stats(vm);
		check_path(&s0, &s1, .created = 2, .emulate = 2, .exits = 2);
	}
	/* A fetch from an unbacked gpa exits as a read. */
	s0 = test_vm_stats(vm);
	__expect_mmio(__LINE__, vcpu, 0x900000, 2, VMMU_ACCESS_FETCH, 0);
	s1 = test_vm_stats(vm);
	check_path(&s0, &s1, P_MMIO_NEW);
	vmmu_vm_destroy(vm);
}

/* ------------------------------------------------------------------------ */
/* 2. Second access: MMIO info cache, then the MMIO SPTE from another vCPU   */
/* ------------------------------------------------------------------------ */

static void test_mmio_second_access(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	struct vmmu_vcpu *v0 = test_vcpu_create(vm, 0), *v1 = test_vcpu_create(vm, 1);
	struct vmmu_stats s0, s1;
	const uint64_t a = 0xfee00000, b = 0xfee01000;

	expect_mmio_read(v0, a, 4);

	/* Same vCPU, same gfn (other offset, a write): the MMIO info cache. */
	s0 = test_vm_stats(vm);
	expect_mmio_read(v0, a, 4);
	expect_mmio_write(v0, a + 0x30, 4, 0xdeadbeef);
	s1 = test_vm_stats(vm);
	check_path(&s0, &s1, .cache = 2, .exits = 2);

	/* Another vCPU: its cache is empty, the SPTE serves it without a fault. */
	s0 = test_vm_stats(vm);
	expect_mmio_write(v1, a + 8, 8, 0x0123456789abcdefull);
	s1 = test_vm_stats(vm);
	check_path(&s0, &s1, P_MMIO_FAST);
	/* ... and filled its cache. */
	s0 = test_vm_stats(vm);
	expect_mmio_read(v1, a, 1);
	s1 = test_vm_stats(vm);
	check_path(&s0, &s1, P_MMIO_CACHE);

	/* The cache holds one gfn: after b, a is served by its SPTE again. */
	expect_mmio_read(v0, b, 4);
	s0 = test_vm_stats(vm);
	expect_mmio_read(v0, a, 4);
	s1 = test_vm_stats(vm);
	check_path(&s0, &s1, P_MMIO_FAST);
	TEST_ASSERT_EQ(s1.mmio_sptes_created, 2);
	vmmu_vm_destroy(vm);
}

/* ------------------------------------------------------------------------ */
/* 3. A memslot change elsewhere: generation miss, rebuilt, then hits        */
/* ------------------------------------------------------------------------ */

static void gen_miss_once(struct vmmu_vm *vm, struct vmmu_vcpu *v0, struct vmmu_vcpu *v1,
			  uint64_t gpa, bool zap_all)
{
	struct vmmu_stats s0, s1;

	/* Both caches and the SPTE are stale; v0 comes first. */
	s0 = test_vm_stats(vm);
	expect_mmio_read(v0, gpa, 8);
	s1 = test_vm_stats(vm);
	if (zap_all)
		check_path(&s0, &s1, P_MMIO_NEW);	/* the SPTE is gone */
	else
		check_path(&s0, &s1, P_MMIO_INVALID);
	s0 = test_vm_stats(vm);
	expect_mmio_read(v0, gpa, 8);
	s1 = test_vm_stats(vm);
	check_path(&s0, &s1, P_MMIO_CACHE);
	/* v1's cache is stale, the SPTE v0 rebuilt is current. */
	s0 = test_vm_stats(vm);
	expect_mmio_write(v1, gpa, 2, 0xabcd);
	s1 = test_vm_stats(vm);
	check_path(&s0, &s1, P_MMIO_FAST);
}

static void test_mmio_generation_miss(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	struct vmmu_vm *vmq = test_vm_new(.flags = VMMU_VM_QUIRK_SLOT_ZAP_ALL);
	struct vmmu_vcpu *v0 = test_vcpu_create(vm, 0), *v1 = test_vcpu_create(vm, 1);
	struct vmmu_vcpu *q0 = test_vcpu_create(vmq, 0), *q1 = test_vcpu_create(vmq, 1);
	uint8_t *mem = test_alloc_guest(4 * PAGE);
	const uint64_t gpa = 0xd0000000;

	for (int q = 0; q < 2; q++) {
		struct vmmu_vm *m = q ? vmq : vm;
		struct vmmu_vcpu *a = q ? q0 : v0, *b = q ? q1 : v1;

		expect_mmio_read(a, gpa, 8);
		expect_mmio_read(b, gpa, 8);

		/* CREATE of an unrelated slot. */
		TEST_SET_REGION_OK(m, SLOT(0, 1), 0, 0x100000, 2 * PAGE, mem);
		gen_miss_once(m, a, b, gpa, false);
		/* FLAGS_ONLY of it. */
		TEST_SET_REGION_OK(m, SLOT(0, 1), VMMU_MEM_LOG_DIRTY_PAGES, 0x100000, 2 * PAGE,
				   mem);
		gen_miss_once(m, a, b, gpa, false);
		/* MOVE and DELETE zap only the slot's range, unless the quirk zaps all. */
		TEST_SET_REGION_OK(m, SLOT(0, 1), VMMU_MEM_LOG_DIRTY_PAGES, 0x200000, 2 * PAGE,
				   mem);
		gen_miss_once(m, a, b, gpa, q);
		TEST_SET_REGION_OK(m, SLOT(0, 1), 0, 0, 0, mem);
		gen_miss_once(m, a, b, gpa, q);
		/* A second slot in another address space changes nothing here. */
		TEST_SET_REGION_OK(m, SLOT(1, 1), 0, 0x100000, 2 * PAGE, mem);
		{
			struct vmmu_stats s0 = test_vm_stats(m), s1;

			expect_mmio_read(a, gpa, 8);
			s1 = test_vm_stats(m);
			check_path(&s0, &s1, P_MMIO_CACHE);
		}
	}
	vmmu_vm_destroy(vm);
	vmmu_vm_destroy(vmq);
	munmap(mem, 4 * PAGE);
}

/* ------------------------------------------------------------------------ */
/* 4. CREATE over a gpa that had an MMIO SPTE                                */
/* ------------------------------------------------------------------------ */

static void test_slot_over_mmio_spte(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	struct vmmu_vcpu *v0 = test_vcpu_create(vm, 0), *v1 = test_vcpu_create(vm, 1);
	uint8_t *mem = test_alloc_guest(2 * PAGE);
	const uint64_t gpa = 0x80000000;
	struct vmmu_stats s0, s1;

	/* An MMIO SPTE and both MMIO caches for the page. */
	expect_mmio_read(v0, gpa + 0x10, 8);
	expect_mmio_read(v1, gpa + PAGE, 8);
	expect_mmio_read(v1, gpa + 0x10, 8);

	memcpy(mem + 0x10, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
	memcpy(mem + PAGE + 0x20, "\xaa\xbb\xcc\xdd", 4);
	TEST_SET_REGION_OK(vm, SLOT(0, 3), 0, gpa, 2 * PAGE, mem);

	s0 = test_vm_stats(vm);
	TEST_ASSERT_EQ(ram_read(v0, gpa + 0x10, 8), 0x8877665544332211ull);
	s1 = test_vm_stats(vm);
	/* The stale MMIO SPTE was seen and replaced by a RAM SPTE. */
	check_path(&s0, &s1, .invalid = 1, .fixed = 1);
	TEST_ASSERT_EQ(ram_read(v1, gpa + 0x10, 4), 0x44332211);
	TEST_ASSERT_EQ(ram_read(v1, gpa + PAGE + 0x20, 4), 0xddccbbaa);
	ram_write(v1, gpa + 0x18, 8, 0x0102030405060708ull);
	TEST_ASSERT_EQ(*(volatile uint64_t *)(mem + 0x18), 0x0102030405060708ull);
	TEST_ASSERT_EQ(ram_read(v0, gpa + 0x18, 8), 0x0102030405060708ull);
	s1 = test_vm_stats(vm);
	TEST_ASSERT_EQ(s1.mmio_exits, s0.mmio_exits);
	vmmu_vm_destroy(vm);
	munmap(mem, 2 * PAGE);
}

/* ------------------------------------------------------------------------ */
/* 5. RAM and the software TLB                                               */
/* ------------------------------------------------------------------------ */

static void test_ram_and_tlb(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	struct vmmu_vcpu *v0 = test_vcpu_create(vm, 0), *v1 = test_vcpu_create(vm, 1);
	uint8_t *mem = test_alloc_guest(4 * PAGE);
	const uint64_t gpa = 0x10000;
	struct vmmu_stats s0, s1;

	for (size_t i = 0; i < 4 * PAGE; i++)
		mem[i] = (uint8_t)(i * 7 + 3);
	TEST_SET_REGION_OK(vm, SLOT(0, 0), 0, gpa, 4 * PAGE, mem);

	/* First access: RET_PF_FIXED, then the translation is cached; the
	 * fault also maps the slot's other three pages (prefetch). */
	s0 = test_vm_stats(vm);
	TEST_ASSERT_EQ(ram_read(v0, gpa + 8, 8), get_le(mem + 8, 8));
	s1 = test_vm_stats(vm);
	check_path(&s0, &s1, .fixed = 1);
	TEST_ASSERT_EQ(s1.tlb_fills - s0.tlb_fills, 1);
	TEST_ASSERT_EQ(s1.pf_prefetched - s0.pf_prefetched, 3);
	TEST_ASSERT(s1.page_tables > 0, "page_tables %llu", (unsigned long long)s1.page_tables);

	/*
	 * Software-TLB hits.  vmmu_stats has no hit counter (the header: the
	 * hit path counts nothing), so a hit shows as no counter moving at
	 * all: no fill, no fault, no walk.
	 */
	s0 = test_vm_stats(vm);
	for (uint32_t off = 0; off + 8 <= PAGE; off += 8)
		TEST_ASSERT_EQ(ram_read(v0, gpa + off, 8), get_le(mem + off, 8));
	TEST_ASSERT_EQ(ram_read(v0, gpa + 0xffd, 3), get_le(mem + 0xffd, 3));
	TEST_ASSERT_EQ(ram_read(v0, gpa + 0x101, 7), get_le(mem + 0x101, 7));
	TEST_ASSERT_EQ(ram_fetch(v0, gpa + 0x20, 2), get_le(mem + 0x20, 2));
	s1 = test_vm_stats(vm);
	TEST_ASSERT(!memcmp(&s0, &s1, sizeof(s0)), "TLB hits moved a counter");

	/* A write through the vCPU is visible through the host mapping... */
	ram_write(v0, gpa + 0x40, 8, 0xfeedfacecafef00dull);
	TEST_ASSERT_EQ(*(volatile uint64_t *)(mem + 0x40), 0xfeedfacecafef00dull);
	ram_write(v0, gpa + 0x4b, 3, 0x332211);
	TEST_ASSERT(mem[0x4b] == 0x11 && mem[0x4c] == 0x22 && mem[0x4d] == 0x33 &&
		    mem[0x4a] == (uint8_t)(0x4a * 7 + 3) && mem[0x4e] == (uint8_t)(0x4e * 7 + 3),
		    "unaligned write touched its neighbours");
	/* ... and a host write through the vCPU, on the TLB-hit path. */
	s0 = test_vm_stats(vm);
	*(volatile uint32_t *)(mem + 0x80) = 0x5a5a1234;
	TEST_ASSERT_EQ(ram_read(v0, gpa + 0x80, 4), 0x5a5a1234);
	s1 = test_vm_stats(vm);
	TEST_ASSERT_EQ(s1.tlb_fills, s0.tlb_fills);
	TEST_ASSERT_EQ(s1.pf_fixed, s0.pf_fixed);

	/* A first write to another page of the slot: prefetched (writable,
	 * not accessed), so the access sets the accessed bit and fills the
	 * TLB with no fault. */
	s0 = test_vm_stats(vm);
	ram_write(v0, gpa + 3 * PAGE + 0xff8, 8, 0x8877665544332211ull);
	s1 = test_vm_stats(vm);
	check_path(&s0, &s1, .fixed = 0);
	TEST_ASSERT_EQ(s1.tlb_fills - s0.tlb_fills, 1);
	TEST_ASSERT_EQ(*(volatile uint64_t *)(mem + 3 * PAGE + 0xff8), 0x8877665544332211ull);

	/* Another vCPU: the SPTE exists, so no fault, only a TLB fill. */
	s0 = test_vm_stats(vm);
	TEST_ASSERT_EQ(ram_read(v1, gpa + 0x40, 8), 0xfeedfacecafef00dull);
	s1 = test_vm_stats(vm);
	check_path(&s0, &s1, .fixed = 0);
	TEST_ASSERT_EQ(s1.tlb_fills - s0.tlb_fills, 1);
	ram_write(v1, gpa + 0x80, 4, 0x77665544);
	TEST_ASSERT_EQ(ram_read(v0, gpa + 0x80, 4), 0x77665544);

	/* gfns that share a TLB index must not alias (256-entry TLB or not). */
	{
		uint8_t *big = test_alloc_guest(512 * PAGE);

		TEST_SET_REGION_OK(vm, SLOT(0, 1), 0, 0x1000000, 512 * PAGE, big);
		for (uint64_t i = 0; i < 512; i++)
			ram_write(v0, 0x1000000 + i * PAGE, 8, 0xa000000000000000ull | i);
		for (uint64_t i = 0; i < 512; i++) {
			TEST_ASSERT_EQ(ram_read(v0, 0x1000000 + i * PAGE, 8),
				       0xa000000000000000ull | i);
			TEST_ASSERT_EQ(*(volatile uint64_t *)(big + i * PAGE),
				       0xa000000000000000ull | i);
		}
		vmmu_vm_destroy(vm);
		munmap(big, 512 * PAGE);
	}
	munmap(mem, 4 * PAGE);
}

/* ------------------------------------------------------------------------ */
/* 6. READONLY                                                               */
/* ------------------------------------------------------------------------ */

/*
 * Every width (1..8 bytes) at every offset 0..15 and at the page's end, on
 * the TLB-hit path and on the miss path (two pages 256 apart evict each
 * other from the direct-mapped software TLB): a read returns exactly the
 * guest's bytes, little-endian, and leaves the rest of the caller's buffer
 * alone; a write changes exactly its bytes.  The hit path takes the aligned
 * 8-byte access inline and every other one out of line.
 */
static void test_widths(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	struct vmmu_vcpu *v0 = test_vcpu_create(vm, 0);
	uint8_t *mem = test_alloc_guest(260 * PAGE);
	const uint64_t gpa = 0x100000;
	static const uint32_t page_of[2] = { 1, 257 };
	uint64_t n = 0;

	TEST_SET_REGION_OK(vm, SLOT(0, 0), 0, gpa, 260 * PAGE, mem);
	for (uint32_t len = 1; len <= 8; len++) {
		for (uint32_t k = 0; k < 17; k++) {
			uint32_t off = k < 16 ? k : PAGE - len;

			for (int hit = 0; hit < 2; hit++) {
				for (int pg = 0; pg < 2; pg++) {
					uint64_t g = gpa + page_of[pg] * PAGE + off;
					uint8_t *h = mem + page_of[pg] * PAGE + off;
					uint8_t before[24], buf[8];
					struct vmmu_exit ex;
					uint64_t v = 0x0102030405060708ull * (++n);

					/* Miss: touch the other page first, it evicts ours. */
					if (!hit)
						TEST_ASSERT_EQ(ram_read(v0, gpa + page_of[!pg] * PAGE, 8),
							       get_le(mem + page_of[!pg] * PAGE, 8));
					else
						(void)ram_read(v0, g & ~(uint64_t)7, 1);
					for (uint32_t i = 0; i < len; i++)
						h[i] = (uint8_t)(v >> (8 * ((i + 3) % 8)));
					memset(buf, 0x5a, sizeof(buf));
					TEST_ASSERT_EQ(vmmu_vcpu_access(v0, g, buf, len, 0, &ex), 0);
					TEST_ASSERT_EQ(get_le(buf, len), get_le(h, len));
					for (uint32_t i = len; i < 8; i++)
						TEST_ASSERT(buf[i] == 0x5a, "len %u off %u: a read wrote byte %u "
							    "of the buffer", len, off, i);

					if (!hit)
						(void)ram_read(v0, gpa + page_of[!pg] * PAGE, 8);
					memcpy(before, h - (off < 8 ? off : 8), sizeof(before));
					put_le(buf, ~v, len);
					TEST_ASSERT_EQ(vmmu_vcpu_access(v0, g, buf, len, VMMU_ACCESS_WRITE,
									&ex), 0);
					TEST_ASSERT_EQ(get_le(h, len), ~v & len_mask(len));
					for (uint32_t i = 0; i < (off < 8 ? off : 8); i++)
						TEST_ASSERT(h[-(int)(i + 1)] ==
							    before[(off < 8 ? off : 8) - i - 1],
							    "len %u off %u: a write changed a byte before it",
							    len, off);
					if (off + len < PAGE)
						TEST_ASSERT(h[len] == before[(off < 8 ? off : 8) + len],
							    "len %u off %u: a write changed the byte after it",
							    len, off);
				}
			}
		}
	}
	vmmu_vm_destroy(vm);
}

static void test_readonly(void)
{
	struct vmmu_vm *vm = test_vm_new(.flags = VMMU_VM_NO_PREFETCH);	/* page 1 stays unmapped */
	struct vmmu_vcpu *v0 = test_vcpu_create(vm, 0), *v1 = test_vcpu_create(vm, 1);
	uint8_t *mem = test_alloc_guest(2 * PAGE);
	const uint64_t gpa = 0xe0000;
	struct vmmu_stats s0, s1;

	memset(mem, 0x3c, 2 * PAGE);
	TEST_SET_REGION_OK(vm, SLOT(0, 2), VMMU_MEM_READONLY, gpa, 2 * PAGE, mem);

	/* Read: RAM. */
	s0 = test_vm_stats(vm);
	TEST_ASSERT_EQ(ram_read(v0, gpa + 0x10, 8), 0x3c3c3c3c3c3c3c3cull);
	s1 = test_vm_stats(vm);
	check_path(&s0, &s1, .fixed = 1);

	/* Write after a read: exits MMIO with the data, memory untouched. */
	for (int i = 0; i < 3; i++) {
		s0 = test_vm_stats(vm);
		expect_mmio_write(v0, gpa + 0x10, 8, 0x1122334455667788ull + i);
		s1 = test_vm_stats(vm);
		check_path(&s0, &s1, .emulate = 1, .exits = 1);
		TEST_ASSERT_EQ(*(volatile uint64_t *)(mem + 0x10), 0x3c3c3c3c3c3c3c3cull);
	}
	/* The MMIO info cache was not filled: reads still see RAM. */
	s0 = test_vm_stats(vm);
	TEST_ASSERT_EQ(ram_read(v0, gpa + 0x10, 4), 0x3c3c3c3c);
	s1 = test_vm_stats(vm);
	TEST_ASSERT_EQ(s1.mmio_exits, s0.mmio_exits);

	/* Write as the first access to a page (no SPTE yet), from v1. */
	s0 = test_vm_stats(vm);
	expect_mmio_write(v1, gpa + PAGE + 0x7fe, 2, 0xbeef);
	s1 = test_vm_stats(vm);
	check_path(&s0, &s1, .emulate = 1, .exits = 1);
	TEST_ASSERT(mem[PAGE + 0x7fe] == 0x3c && mem[PAGE + 0x7ff] == 0x3c, "RO page modified");
	s0 = test_vm_stats(vm);
	TEST_ASSERT_EQ(ram_read(v1, gpa + PAGE + 0x7fe, 2), 0x3c3c);
	expect_mmio_write(v1, gpa + PAGE + 0x7fe, 1, 0x99);
	s1 = test_vm_stats(vm);
	check_path(&s0, &s1, .fixed = 1, .emulate = 1, .exits = 1);

	/* Host writes stay visible to the guest. */
	*(volatile uint32_t *)(mem + 0x100) = 0xcafe0001;
	TEST_ASSERT_EQ(ram_read(v0, gpa + 0x100, 4), 0xcafe0001);
	TEST_ASSERT_EQ(ram_fetch(v1, gpa + 0x100, 4), 0xcafe0001);
	TEST_ASSERT_EQ(test_vm_stats(vm).mmio_sptes_created, 0);
	vmmu_vm_destroy(vm);
	munmap(mem, 2 * PAGE);
}

/* ------------------------------------------------------------------------ */
/* 7. DELETE and MOVE, slot-only zap and zap-all quirk                       */
/* ------------------------------------------------------------------------ */

static void check_zaps(struct vmmu_vm *vm, const struct vmmu_stats *b, bool zap_all, int n)
{
	struct vmmu_stats a = test_vm_stats(vm);

	if (zap_all) {
		TEST_ASSERT_EQ(a.zap_all_fast - b->zap_all_fast, n);
		TEST_ASSERT_EQ(a.slot_zaps - b->slot_zaps, 0);
	} else {
		TEST_ASSERT_EQ(a.slot_zaps - b->slot_zaps, n);
		TEST_ASSERT_EQ(a.zap_all_fast - b->zap_all_fast, 0);
	}
	TEST_ASSERT_EQ(a.mmio_wrap_zaps, b->mmio_wrap_zaps);
}

static void delete_move(uint32_t flags)
{
	bool zap_all = flags & VMMU_VM_QUIRK_SLOT_ZAP_ALL;
	struct vmmu_vm *vm = test_vm_new(.flags = flags);
	struct vmmu_vcpu *v0 = test_vcpu_create(vm, 0), *v1 = test_vcpu_create(vm, 1);
	uint8_t *mem = test_alloc_guest(4 * PAGE);
	uint8_t *other = test_alloc_guest(PAGE);
	const uint64_t gpa = 0xc0000000, gpa2 = 0xc0200000;
	struct vmmu_stats s0;

	*(volatile uint64_t *)(other + 0x8) = 0x0ddba11;
	TEST_SET_REGION_OK(vm, SLOT(0, 0), 0, 0x1000, PAGE, other);	/* an unrelated slot */
	TEST_ASSERT_EQ(ram_read(v0, 0x1008, 8), 0x0ddba11);

	for (int i = 0; i < 4; i++)
		*(volatile uint64_t *)(mem + i * PAGE) = 0x1000 + i;
	TEST_SET_REGION_OK(vm, SLOT(0, 10), 0, gpa, 4 * PAGE, mem);
	/* Fill both TLBs and the SPTEs. */
	for (int i = 0; i < 4; i++) {
		TEST_ASSERT_EQ(ram_read(v0, gpa + i * PAGE, 8), 0x1000 + i);
		TEST_ASSERT_EQ(ram_read(v1, gpa + i * PAGE, 8), 0x1000 + i);
	}

	/* DELETE: every page of the slot exits MMIO, from every vCPU. */
	s0 = test_vm_stats(vm);
	TEST_SET_REGION_OK(vm, SLOT(0, 10), 0, gpa, 0, mem);
	check_zaps(vm, &s0, zap_all, 1);
	for (int i = 0; i < 4; i++) {
		expect_mmio_read(v0, gpa + i * PAGE, 8);
		expect_mmio_write(v1, gpa + i * PAGE, 8, 0x42);
	}
	TEST_ASSERT_EQ(*(volatile uint64_t *)mem, 0x1000);
	/* The unrelated slot still reads RAM. */
	TEST_ASSERT_EQ(ram_read(v1, 0x1008, 8), 0x0ddba11);

	/* Re-create: RAM again (the MMIO SPTEs of the hole do not survive). */
	TEST_SET_REGION_OK(vm, SLOT(0, 10), 0, gpa, 4 * PAGE, mem);
	for (int i = 0; i < 4; i++) {
		TEST_ASSERT_EQ(ram_read(v0, gpa + i * PAGE, 8), 0x1000 + i);
		TEST_ASSERT_EQ(ram_read(v1, gpa + i * PAGE, 8), 0x1000 + i);
	}

	/* MOVE: the old gpa exits MMIO, the new one reads the same memory. */
	s0 = test_vm_stats(vm);
	TEST_SET_REGION_OK(vm, SLOT(0, 10), 0, gpa2, 4 * PAGE, mem);
	check_zaps(vm, &s0, zap_all, 1);
	for (int i = 0; i < 4; i++) {
		expect_mmio_read(v0, gpa + i * PAGE, 8);
		expect_mmio_read(v1, gpa + i * PAGE, 4);
		TEST_ASSERT_EQ(ram_read(v0, gpa2 + i * PAGE, 8), 0x1000 + i);
		TEST_ASSERT_EQ(ram_read(v1, gpa2 + i * PAGE, 8), 0x1000 + i);
	}
	ram_write(v0, gpa2 + 2 * PAGE + 0x10, 8, 0x5555aaaa);
	TEST_ASSERT_EQ(*(volatile uint64_t *)(mem + 2 * PAGE + 0x10), 0x5555aaaa);

	/* MOVE back by one page (overlapping its own range). */
	s0 = test_vm_stats(vm);
	TEST_SET_REGION_OK(vm, SLOT(0, 10), 0, gpa2 - PAGE, 4 * PAGE, mem);
	check_zaps(vm, &s0, zap_all, 1);
	expect_mmio_read(v0, gpa2 + 3 * PAGE, 8);
	for (int i = 0; i < 4; i++) {
		TEST_ASSERT_EQ(ram_read(v0, gpa2 - PAGE + i * PAGE, 8), 0x1000 + i);
		TEST_ASSERT_EQ(ram_read(v1, gpa2 - PAGE + i * PAGE, 8), 0x1000 + i);
	}

	/*
	 * When DELETE returns no vCPU may use a translation of the slot, so
	 * the memory may go away at once: unmap it, then access it.
	 */
	s0 = test_vm_stats(vm);
	TEST_SET_REGION_OK(vm, SLOT(0, 10), 0, gpa2 - PAGE, 0, mem);
	check_zaps(vm, &s0, zap_all, 1);
	munmap(mem, 4 * PAGE);
	for (int i = 0; i < 4; i++) {
		expect_mmio_read(v0, gpa2 - PAGE + i * PAGE, 8);
		expect_mmio_write(v1, gpa2 - PAGE + i * PAGE, 4, 0x77);
	}
	TEST_ASSERT_EQ(ram_read(v0, 0x1008, 8), 0x0ddba11);
	vmmu_vm_destroy(vm);
	munmap(other, PAGE);
}

static void test_delete_move(void)
{
	delete_move(0);
}

static void test_delete_move_zap_all(void)
{
	delete_move(VMMU_VM_QUIRK_SLOT_ZAP_ALL);
}

/* ------------------------------------------------------------------------ */
/* 8. Address spaces                                                         */
/* ------------------------------------------------------------------------ */

static void test_address_spaces(void)
{
	struct vmmu_vm *vm = test_vm_new(.nr_address_spaces = 2);
	struct vmmu_vm *vm1 = test_vm_new(.nr_address_spaces = 1);
	struct vmmu_vcpu *v0 = test_vcpu_create(vm, 0), *v1 = test_vcpu_create(vm, 1);
	struct vmmu_vcpu *w = test_vcpu_create(vm1, 0);
	uint8_t *m0 = test_alloc_guest(PAGE), *m1 = test_alloc_guest(PAGE);
	const uint64_t gpa = 0xa0000;
	uint8_t buf[8];

	*(volatile uint64_t *)m0 = 0xa50a50a50;
	*(volatile uint64_t *)m1 = 0xa51a51a51;
	TEST_SET_REGION_OK(vm, SLOT(0, 0), 0, gpa, PAGE, m0);

	TEST_ASSERT_EQ(ram_read(v0, gpa, 8), 0xa50a50a50);
	/* AS1 does not see AS0's slot (TLB, SPTE or cache of AS0 unused). */
	TEST_ASSERT_EQ(vmmu_vcpu_set_address_space(v0, 1), 0);
	expect_mmio_read(v0, gpa, 8);
	TEST_ASSERT_EQ(vmmu_vcpu_read_guest(v0, gpa, buf, 8), -EFAULT);
	TEST_ASSERT_EQ(ram_read(v1, gpa, 8), 0xa50a50a50);
	/* Back in AS0: RAM again (its MMIO cache entry from AS1 unused). */
	TEST_ASSERT_EQ(vmmu_vcpu_set_address_space(v0, 0), 0);
	TEST_ASSERT_EQ(ram_read(v0, gpa, 8), 0xa50a50a50);
	TEST_ASSERT_EQ(vmmu_vcpu_set_address_space(v0, 0), 0);
	TEST_ASSERT_EQ(ram_read(v0, gpa, 8), 0xa50a50a50);

	/* AS1 gets its own slot at the same gpa, over other memory. */
	TEST_ASSERT_EQ(vmmu_vcpu_set_address_space(v1, 1), 0);
	expect_mmio_read(v1, gpa, 8);
	TEST_SET_REGION_OK(vm, SLOT(1, 0), 0, gpa, PAGE, m1);
	TEST_ASSERT_EQ(ram_read(v1, gpa, 8), 0xa51a51a51);
	TEST_ASSERT_EQ(ram_read(v0, gpa, 8), 0xa50a50a50);
	ram_write(v1, gpa + 8, 8, 0x1111);
	ram_write(v0, gpa + 8, 8, 0x2222);
	TEST_ASSERT_EQ(*(volatile uint64_t *)(m1 + 8), 0x1111);
	TEST_ASSERT_EQ(*(volatile uint64_t *)(m0 + 8), 0x2222);
	/* Swap both vCPUs' address spaces: each now sees the other's view. */
	TEST_ASSERT_EQ(vmmu_vcpu_set_address_space(v0, 1), 0);
	TEST_ASSERT_EQ(vmmu_vcpu_set_address_space(v1, 0), 0);
	TEST_ASSERT_EQ(ram_read(v0, gpa + 8, 8), 0x1111);
	TEST_ASSERT_EQ(ram_read(v1, gpa + 8, 8), 0x2222);

	/* Deleting AS0's slot leaves AS1's. */
	TEST_SET_REGION_OK(vm, SLOT(0, 0), 0, gpa, 0, m0);
	expect_mmio_read(v1, gpa, 8);
	TEST_ASSERT_EQ(ram_read(v0, gpa, 8), 0xa51a51a51);

	/* Out-of-range address spaces; a rejected switch leaves the vCPU as it was. */
	TEST_ASSERT_EQ(vmmu_vcpu_set_address_space(v0, 2), -EINVAL);
	TEST_ASSERT_EQ(vmmu_vcpu_set_address_space(v0, UINT32_MAX), -EINVAL);
	TEST_ASSERT_EQ(ram_read(v0, gpa, 8), 0xa51a51a51);
	TEST_ASSERT_EQ(vmmu_vcpu_set_address_space(w, 1), -EINVAL);
	TEST_ASSERT_EQ(vmmu_vcpu_set_address_space(w, 0), 0);
	TEST_ASSERT_EQ(vmmu_vcpu_set_address_space(NULL, 0), -EINVAL);
	expect_mmio_read(w, gpa, 8);

	vmmu_vm_destroy(vm);
	vmmu_vm_destroy(vm1);
	munmap(m0, PAGE);
	munmap(m1, PAGE);
}

/* ------------------------------------------------------------------------ */
/* 9. Bad input                                                              */
/* ------------------------------------------------------------------------ */

static void test_bad_input(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	struct vmmu_vcpu *v0 = test_vcpu_create(vm, 0), *v = NULL, *dup = NULL;
	uint8_t *mem = test_alloc_guest(PAGE);
	struct vmmu_stats s0, s1;
	struct vmmu_exit ex;
	uint64_t data = 0;

	TEST_SET_REGION_OK(vm, SLOT(0, 0), 0, 0, PAGE, mem);
	s0 = test_vm_stats(vm);
	for (int ram = 0; ram < 2; ram++) {
		uint64_t base = ram ? 0 : 0x100000;	/* RAM, then unbacked */

		TEST_ASSERT_EQ(vmmu_vcpu_access(v0, base, &data, 0, 0, &ex), -EINVAL);
		TEST_ASSERT_EQ(vmmu_vcpu_access(v0, base, &data, 9, 0, &ex), -EINVAL);
		TEST_ASSERT_EQ(vmmu_vcpu_access(v0, base, &data, 16, VMMU_ACCESS_WRITE, &ex), -EINVAL);
		TEST_ASSERT_EQ(vmmu_vcpu_access(v0, base, &data, UINT32_MAX, 0, &ex), -EINVAL);
		TEST_ASSERT_EQ(vmmu_vcpu_access(v0, base + 0xffc, &data, 8, 0, &ex), -EINVAL);
		TEST_ASSERT_EQ(vmmu_vcpu_access(v0, base + 0xfff, &data, 2, VMMU_ACCESS_WRITE, &ex),
			       -EINVAL);
		TEST_ASSERT_EQ(vmmu_vcpu_access(v0, base, &data, 4, 1u << 2, &ex), -EINVAL);
		TEST_ASSERT_EQ(vmmu_vcpu_access(v0, base, &data, 4, 1u << 31, &ex), -EINVAL);
		TEST_ASSERT_EQ(vmmu_vcpu_access(v0, base, &data, 4,
						VMMU_ACCESS_WRITE | VMMU_ACCESS_FETCH, &ex), -EINVAL);
		TEST_ASSERT_EQ(vmmu_vcpu_access(v0, base, NULL, 4, 0, &ex), -EINVAL);
		TEST_ASSERT_EQ(vmmu_vcpu_access(v0, base, NULL, 4, VMMU_ACCESS_WRITE, &ex), -EINVAL);
		TEST_ASSERT_EQ(vmmu_vcpu_access(v0, base, &data, 4, 0, NULL), -EINVAL);
		TEST_ASSERT_EQ(vmmu_vcpu_access(NULL, base, &data, 4, 0, &ex), -EINVAL);
	}
	/* 2^64 - 1: the page-crossing check must not wrap. */
	TEST_ASSERT_EQ(vmmu_vcpu_access(v0, UINT64_MAX, &data, 2, 0, &ex), -EINVAL);
	/* Rejected accesses did nothing. */
	s1 = test_vm_stats(vm);
	TEST_ASSERT(!memcmp(&s0, &s1, sizeof(s0)), "a rejected access moved a counter");

	/* The boundaries that are valid. */
	mem[0xff8] = 0x99;
	TEST_ASSERT_EQ(ram_read(v0, 0xff8, 8), 0x99);
	TEST_ASSERT_EQ(ram_read(v0, 0xfff, 1), 0);
	expect_mmio_read(v0, 0x100ff8, 8);
	expect_mmio_read(v0, UINT64_MAX, 1);

	/* vCPU creation. */
	TEST_ASSERT_EQ(vmmu_vcpu_create(vm, 0, &v), -EEXIST);
	TEST_ASSERT(v == NULL, "*vcpup written on failure");
	TEST_ASSERT_EQ(vmmu_vcpu_create(vm, VMMU_MAX_VCPUS, &v), -EINVAL);
	TEST_ASSERT_EQ(vmmu_vcpu_create(vm, UINT32_MAX, &v), -EINVAL);
	TEST_ASSERT_EQ(vmmu_vcpu_create(NULL, 1, &v), -EINVAL);
	TEST_ASSERT_EQ(vmmu_vcpu_create(vm, 1, NULL), -EINVAL);
	TEST_ASSERT(v == NULL, "*vcpup written on failure");
	v = test_vcpu_create(vm, VMMU_MAX_VCPUS - 1);
	TEST_ASSERT_EQ(vmmu_vcpu_create(vm, VMMU_MAX_VCPUS - 1, &dup), -EEXIST);
	TEST_ASSERT(dup == NULL, "*vcpup written on failure");
	TEST_ASSERT_EQ(ram_read(v, 0xff8, 1), 0x99);
	/* A destroyed vCPU's id can be reused. */
	vmmu_vcpu_destroy(v);
	v = test_vcpu_create(vm, VMMU_MAX_VCPUS - 1);
	TEST_ASSERT_EQ(ram_read(v, 0xff8, 1), 0x99);

	TEST_ASSERT_EQ(vmmu_vm_get_stats(NULL, &s0), -EINVAL);
	TEST_ASSERT_EQ(vmmu_vm_get_stats(vm, NULL), -EINVAL);
	vmmu_vcpu_destroy(NULL);
	vmmu_vm_destroy(NULL);
	vmmu_vm_destroy(vm);
	munmap(mem, PAGE);
}

/* An unbacked gpa above max_gpa_bits exits MMIO; no SPTE can hold it. */
static void test_mmio_beyond_max_gpa(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	struct vmmu_vcpu *v0 = test_vcpu_create(vm, 0), *v1 = test_vcpu_create(vm, 1);
	const uint64_t gpa = 1ull << 48;
	struct vmmu_stats s0, s1;

	s0 = test_vm_stats(vm);
	expect_mmio_read(v0, gpa + 8, 8);
	s1 = test_vm_stats(vm);
	check_path(&s0, &s1, .emulate = 1, .exits = 1);
	/* The MMIO info cache may still hold it (kvm_handle_noslot_fault). */
	s0 = test_vm_stats(vm);
	expect_mmio_write(v0, gpa, 4, 0x12345678);
	s1 = test_vm_stats(vm);
	check_path(&s0, &s1, P_MMIO_CACHE);
	s0 = test_vm_stats(vm);
	expect_mmio_read(v1, UINT64_MAX - 7, 8);
	s1 = test_vm_stats(vm);
	check_path(&s0, &s1, .emulate = 1, .exits = 1);
	vmmu_vm_destroy(vm);
}

/* ------------------------------------------------------------------------ */
/* 10. Bulk copies                                                           */
/* ------------------------------------------------------------------------ */

static void test_bulk_copy(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	struct vmmu_vcpu *v0 = test_vcpu_create(vm, 0);
	/* Two separate mappings: adjacent in the guest, not in the host. */
	uint8_t *ma = test_alloc_guest(2 * PAGE), *mb = test_alloc_guest(2 * PAGE);
	uint8_t *ro = test_alloc_guest(PAGE);
	const uint64_t ga = 0x200000, gb = ga + 2 * PAGE, gro = 0x300000;
	uint8_t src[3 * PAGE], dst[3 * PAGE + 16];

	TEST_SET_REGION_OK(vm, SLOT(0, 1), 0, ga, 2 * PAGE, ma);
	TEST_SET_REGION_OK(vm, SLOT(0, 2), 0, gb, 2 * PAGE, mb);
	TEST_SET_REGION_OK(vm, SLOT(0, 3), VMMU_MEM_READONLY, gro, PAGE, ro);
	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 13 + 1);

	/* Across a page boundary inside one slot. */
	TEST_ASSERT_EQ(vmmu_vcpu_write_guest(v0, ga + PAGE - 5, src, 37), 0);
	TEST_ASSERT(!memcmp(ma + PAGE - 5, src, 37), "write across a page");
	memset(dst, 0, sizeof(dst));
	TEST_ASSERT_EQ(vmmu_vcpu_read_guest(v0, ga + PAGE - 5, dst, 37), 0);
	TEST_ASSERT(!memcmp(dst, src, 37), "read across a page");

	/* Across two slots: 3 pages from the middle of the first page. */
	TEST_ASSERT_EQ(vmmu_vcpu_write_guest(v0, ga + 0x800, src, sizeof(src)), 0);
	TEST_ASSERT(!memcmp(ma + 0x800, src, 2 * PAGE - 0x800), "first slot part");
	TEST_ASSERT(!memcmp(mb, src + 2 * PAGE - 0x800, PAGE + 0x800), "second slot part");
	memset(dst, 0, sizeof(dst));
	TEST_ASSERT_EQ(vmmu_vcpu_read_guest(v0, ga + 0x800, dst, sizeof(src)), 0);
	TEST_ASSERT(!memcmp(dst, src, sizeof(src)), "read across slots");
	/* The same bytes through single accesses. */
	TEST_ASSERT_EQ(ram_read(v0, gb + 0x10, 8), get_le(src + 2 * PAGE - 0x800 + 0x10, 8));
	ram_write(v0, gb - 8, 8, 0x0123456789abcdefull);
	TEST_ASSERT_EQ(vmmu_vcpu_read_guest(v0, gb - 4, dst, 8), 0);
	TEST_ASSERT_EQ(get_le(dst, 8), 0x01234567ull | (get_le(mb, 4) << 32));
	/* The whole of both slots; a zero-length copy. */
	TEST_ASSERT_EQ(vmmu_vcpu_read_guest(v0, ga, dst, 3 * PAGE), 0);
	TEST_ASSERT_EQ(vmmu_vcpu_read_guest(v0, ga, dst, 0), 0);
	TEST_ASSERT_EQ(vmmu_vcpu_write_guest(v0, ga, src, 0), 0);

	/* Any part not RAM: -EFAULT. */
	TEST_ASSERT_EQ(vmmu_vcpu_read_guest(v0, gb + PAGE, dst, PAGE + 1), -EFAULT);
	TEST_ASSERT_EQ(vmmu_vcpu_read_guest(v0, ga - 1, dst, 2), -EFAULT);
	TEST_ASSERT_EQ(vmmu_vcpu_read_guest(v0, 0x900000, dst, 1), -EFAULT);
	TEST_ASSERT_EQ(vmmu_vcpu_write_guest(v0, ga - 8, src, 16), -EFAULT);
	TEST_ASSERT_EQ(vmmu_vcpu_write_guest(v0, gb + 2 * PAGE - 8, src, 16), -EFAULT);
	TEST_ASSERT_EQ(vmmu_vcpu_write_guest(v0, UINT64_MAX - 3, src, 8), -EFAULT);
	TEST_ASSERT_EQ(vmmu_vcpu_read_guest(v0, UINT64_MAX - 3, dst, 8), -EFAULT);

	/* READONLY: reads work, writes fail and change nothing. */
	memset(ro, 0x6b, PAGE);
	TEST_ASSERT_EQ(vmmu_vcpu_read_guest(v0, gro + 100, dst, 200), 0);
	TEST_ASSERT(dst[0] == 0x6b && dst[199] == 0x6b, "read of READONLY");
	TEST_ASSERT_EQ(vmmu_vcpu_write_guest(v0, gro, src, 8), -EFAULT);
	TEST_ASSERT_EQ(vmmu_vcpu_write_guest(v0, gro + PAGE - 1, src, 1), -EFAULT);
	for (size_t i = 0; i < PAGE; i++)
		TEST_ASSERT(ro[i] == 0x6b, "READONLY byte %zu written", i);

	/* NULL arguments. */
	TEST_ASSERT_EQ(vmmu_vcpu_read_guest(NULL, ga, dst, 8), -EINVAL);
	TEST_ASSERT_EQ(vmmu_vcpu_write_guest(NULL, ga, src, 8), -EINVAL);
	TEST_ASSERT_EQ(vmmu_vcpu_read_guest(v0, ga, NULL, 8), -EINVAL);
	TEST_ASSERT_EQ(vmmu_vcpu_write_guest(v0, ga, NULL, 8), -EINVAL);

	/* After DELETE the range is no longer RAM. */
	TEST_SET_REGION_OK(vm, SLOT(0, 2), 0, gb, 0, mb);
	TEST_ASSERT_EQ(vmmu_vcpu_read_guest(v0, ga + 0x800, dst, sizeof(src)), -EFAULT);
	TEST_ASSERT_EQ(vmmu_vcpu_read_guest(v0, ga + 0x800, dst, 2 * PAGE - 0x800), 0);
	vmmu_vm_destroy(vm);
	munmap(ma, 2 * PAGE);
	munmap(mb, 2 * PAGE);
	munmap(ro, PAGE);
}

/* ------------------------------------------------------------------------ */
/* 11. MMIO generation wrap                                                  */
/* ------------------------------------------------------------------------ */

/*
 * A model of what the MMU must hold, from which every access's path is
 * predicted exactly:
 *
 * - the per-vCPU MMIO info cache: one (gfn, generation) pair, filled by
 *   every MMIO exit (not by a cache hit), valid while the vCPU's address
 * space keeps that generation (docs/KVM-SEMANTICS.md, "The per-vCPU MMIO info cache"; vmmu tags it
 *   with the vCPU's own address space);
 * - per tracked (AS, gfn), whether an MMIO SPTE exists, the full generation
 *   it was made under and the wrap-zap count at that time.  A wrap zap
 *   (zap_all_fast) removes it; so does a RAM SPTE replacing it or a DELETE
 *   of a slot over it.
 *
 * An access then goes: cache hit if the cache matches; else, an SPTE that
 * exists was either made under the current generation (fast hit) or not
 * (pf_invalid and a fresh SPTE: a stale SPTE is never honoured, whatever its
 * generation bits say); no SPTE: a fresh one.
 */
#define WRAP_MAX_TRACK	16

struct wrap_track {
	uint32_t as;
	uint64_t gfn;
	bool present;
	uint64_t gen;
	uint64_t zaps;
};

struct wrap_ctx {
	struct vmmu_vm *vm;
	uint32_t nr_as, bits;
	uint64_t expect_wrap_zaps;
	uint64_t swaps;
	struct vmmu_vcpu *vcpu[VMMU_MAX_ADDRESS_SPACES];
	bool cache_valid[VMMU_MAX_ADDRESS_SPACES];
	uint64_t cache_gfn[VMMU_MAX_ADDRESS_SPACES], cache_gen[VMMU_MAX_ADDRESS_SPACES];
	struct wrap_track track[WRAP_MAX_TRACK];
	unsigned int nr_track;
	char where[160];
};

static struct wrap_track *wrap_track(struct wrap_ctx *c, uint32_t as, uint64_t gpa)
{
	uint64_t gfn = gpa / PAGE;

	for (unsigned int i = 0; i < c->nr_track; i++)
		if (c->track[i].as == as && c->track[i].gfn == gfn)
			return &c->track[i];
	TEST_ASSERT(c->nr_track < WRAP_MAX_TRACK, "too many tracked gfns");
	c->track[c->nr_track] = (struct wrap_track){ .as = as, .gfn = gfn };
	return &c->track[c->nr_track++];
}

static uint64_t as_gen(struct wrap_ctx *c, uint32_t as)
{
	uint64_t g = vmmu_memslots_generation(c->vm, as);

	TEST_ASSERT(!(g & VMMU_MEMSLOT_GEN_UPDATE_IN_PROGRESS) && g % c->nr_as == as,
		    "%s: AS%u generation %#llx", c->where, as, (unsigned long long)g);
	return g;
}

/* A new generation @g wraps the MMIO generation when this is 0 (docs/KVM-SEMANTICS.md). */
static bool wrap_point(const struct wrap_ctx *c, uint64_t g)
{
	return ((g & ((1ull << c->bits) - 1)) & ~(uint64_t)(c->nr_as - 1)) == 0;
}

static void wrap_check_zaps(struct wrap_ctx *c)
{
	struct vmmu_stats s = test_vm_stats(c->vm);

	TEST_ASSERT(s.mmio_wrap_zaps == c->expect_wrap_zaps,
		    "%s: mmio_wrap_zaps %llu, expected %llu from the generation trail",
		    c->where, (unsigned long long)s.mmio_wrap_zaps,
		    (unsigned long long)c->expect_wrap_zaps);
	/* No quirk: the wrap is the only source of zap-all. */
	TEST_ASSERT(s.zap_all_fast == c->expect_wrap_zaps, "%s: zap_all_fast %llu, expected %llu",
		    c->where, (unsigned long long)s.zap_all_fast,
		    (unsigned long long)c->expect_wrap_zaps);
	TEST_ASSERT_EQ(s.memslot_swaps, c->swaps);
}

/* One successful memslot update of @nswaps swaps; the wrap zaps it must do. */
static void wrap_update(struct wrap_ctx *c, uint32_t slot, uint32_t flags, uint64_t gpa,
			uint64_t size, void *hva, unsigned int nswaps)
{
	uint32_t as = slot >> 16;
	uint64_t before[VMMU_MAX_ADDRESS_SPACES], g;

	for (uint32_t a = 0; a < c->nr_as; a++)
		before[a] = as_gen(c, a);
	TEST_SET_REGION_OK(c->vm, slot, flags, gpa, size, hva);
	for (uint32_t a = 0; a < c->nr_as; a++) {
		g = as_gen(c, a);
		TEST_ASSERT(g == before[a] + (a == as ? nswaps * c->nr_as : 0),
			    "%s: AS%u generation %llu -> %llu after a %u-swap update of AS%u",
			    c->where, a, (unsigned long long)before[a], (unsigned long long)g,
			    nswaps, as);
	}
	for (unsigned int k = 1; k <= nswaps; k++)
		if (wrap_point(c, before[as] + k * c->nr_as))
			c->expect_wrap_zaps++;
	c->swaps += nswaps;
	wrap_check_zaps(c);
}

/* After updates: SPTEs a wrap zap removed are gone from the model. */
static void wrap_model_zaps(struct wrap_ctx *c)
{
	uint64_t z = test_vm_stats(c->vm).mmio_wrap_zaps;

	for (unsigned int i = 0; i < c->nr_track; i++)
		if (c->track[i].present && c->track[i].zaps != z)
			c->track[i].present = false;
}

/* Predict and check one MMIO access of the vCPU in @as to @gpa. */
static void wrap_mmio_access(struct wrap_ctx *c, uint32_t as, uint64_t gpa, bool write)
{
	struct wrap_track *t = wrap_track(c, as, gpa);
	uint64_t g = as_gen(c, as);
	struct vmmu_stats s0, s1;
	struct path p = { .exits = 1 };
	char ctx[256];

	wrap_model_zaps(c);
	s0 = test_vm_stats(c->vm);
	if (c->cache_valid[as] && c->cache_gfn[as] == t->gfn && c->cache_gen[as] == g) {
		p.cache = 1;
	} else if (t->present && t->gen == g) {
		p.fast = 1;
	} else {
		/* Stale (generation miss) or absent: the full fault makes one. */
		p.invalid = t->present;
		p.created = 1;
		p.emulate = 1;
	}
	snprintf(ctx, sizeof(ctx), "%s, AS%u gpa %#llx gen %llu (SPTE %s, made at gen %llu)",
		 c->where, as, (unsigned long long)gpa, (unsigned long long)g,
		 t->present ? "present" : "absent", (unsigned long long)t->gen);

	if (write)
		__expect_mmio(__LINE__, c->vcpu[as], gpa, 4, VMMU_ACCESS_WRITE, 0xc0ffee);
	else
		__expect_mmio(__LINE__, c->vcpu[as], gpa, 4, 0, 0);
	s1 = test_vm_stats(c->vm);
	__check_path(__LINE__, ctx, &s0, &s1, p);

	if (p.created) {
		t->present = true;
		t->gen = g;
		t->zaps = s1.mmio_wrap_zaps;
	}
	c->cache_valid[as] = true;
	c->cache_gfn[as] = t->gfn;
	c->cache_gen[as] = g;
}

#define WRAP_MMIO(as)	(0x7000000ull + (as) * 0x10000ull)	/* the probed gpa */
#define WRAP_SPILL(as)	(0x7400000ull + (as) * 0x10000ull)	/* evicts the MMIO cache */
#define WRAP_RAM(as)	(0x7800000ull + (as) * 0x10000ull)	/* MMIO, then RAM, then MMIO */
#define WRAP_DUMMY	0x40000000ull
#define WRAP_DUMMY_ID	1
#define WRAP_RAM_ID	2

/* Probe every address space after an update of AS @changed. */
static void wrap_probe_all(struct wrap_ctx *c, int changed, unsigned int i)
{
	wrap_model_zaps(c);
	for (uint32_t a = 0; a < c->nr_as; a++) {
		struct vmmu_stats s0 = test_vm_stats(c->vm), s1;

		/* The first access after a change of its own map: never a hit. */
		wrap_mmio_access(c, a, WRAP_MMIO(a), i & 1);
		s1 = test_vm_stats(c->vm);
		if ((int)a == changed)
			TEST_ASSERT(s1.fast_mmio_hits == s0.fast_mmio_hits &&
				    s1.mmio_cache_hits == s0.mmio_cache_hits,
				    "%s: AS%u: first access after its map changed was a hit",
				    c->where, a);
		else
			TEST_ASSERT(s1.pf_invalid == s0.pf_invalid,
				    "%s: AS%u: generation miss without a change of AS%u",
				    c->where, a, a);
		/* And through the SPTE, with the cache pointed elsewhere. */
		wrap_mmio_access(c, a, WRAP_SPILL(a), false);
		wrap_mmio_access(c, a, WRAP_MMIO(a), !(i & 1));
	}
}

static void wrap_one(uint32_t bits, uint32_t nr_as, uint64_t seed)
{
	struct wrap_ctx c = { .nr_as = nr_as, .bits = bits };
	uint8_t *dummy = test_alloc_guest(VMMU_MAX_ADDRESS_SPACES * PAGE);
	uint8_t *ram = test_alloc_guest(VMMU_MAX_ADDRESS_SPACES * PAGE);
	int dstate[VMMU_MAX_ADDRESS_SPACES] = { 0 };	/* 0 none, 1 plain, 2 dirty-logged */
	const unsigned int period = (1u << bits) / nr_as;	/* swaps of one AS per cycle */
	unsigned int i, j;
	struct test_rng rng;

	test_rng_init(&rng, seed);
	c.vm = test_vm_new(.nr_address_spaces = nr_as, .mmio_gen_bits = bits);
	for (uint32_t a = 0; a < nr_as; a++) {
		c.vcpu[a] = test_vcpu_create(c.vm, a);
		TEST_ASSERT_EQ(vmmu_vcpu_set_address_space(c.vcpu[a], a), 0);
	}
	snprintf(c.where, sizeof(c.where), "bits %u nr_as %u: start", bits, nr_as);
	wrap_check_zaps(&c);
	for (uint32_t a = 0; a < nr_as; a++) {
		wrap_mmio_access(&c, a, WRAP_MMIO(a), false);
		wrap_mmio_access(&c, a, WRAP_SPILL(a), false);
		wrap_mmio_access(&c, a, WRAP_RAM(a), false);
	}

	/*
	 * Part 1: 200 updates of a dummy slot (CREATE 1 swap, FLAGS_ONLY 1,
	 * DELETE 2) in a random address space; after each, every AS's MMIO
	 * gpa still exits MMIO, on the predicted path.
	 */
	for (i = 0; i < 200; i++) {
		uint32_t as = test_rng_below(&rng, nr_as);
		uint32_t slot = SLOT(as, WRAP_DUMMY_ID);
		void *hva = dummy + as * PAGE;

		snprintf(c.where, sizeof(c.where), "bits %u nr_as %u seed %#llx: update %u (AS%u)",
			 bits, nr_as, (unsigned long long)seed, i, as);
		if (dstate[as] == 0) {
			wrap_update(&c, slot, 0, WRAP_DUMMY, PAGE, hva, 1);
			dstate[as] = 1;
		} else if (test_rng_below(&rng, 3) == 0) {
			wrap_update(&c, slot, 0, WRAP_DUMMY, 0, hva, 2);
			dstate[as] = 0;
		} else {
			dstate[as] = 3 - dstate[as];
			wrap_update(&c, slot, dstate[as] == 2 ? VMMU_MEM_LOG_DIRTY_PAGES : 0,
				    WRAP_DUMMY, PAGE, hva, 1);
		}
		wrap_probe_all(&c, (int)as, i);
	}

	/*
	 * Part 2: an MMIO SPTE made at generation G must never be honoured once
	 * a slot exists at its gpa.  Between making it and creating the slot,
	 * j = 0..period+1 single-swap updates run in the same AS, or in the
	 * other one, so the slot's CREATE lands on every generation slice,
	 * including G's own slice one full cycle later.
	 */
	for (i = 0; i < 6; i++) {
		for (j = 0; j <= period + 1; j++) {
			for (uint32_t as = 0; as < nr_as; as++) {
				uint32_t other = (i & 1) ? (as + 1) % nr_as : as;
				uint64_t gpa = WRAP_RAM(as) + (i % 4) * 0x100;
				uint64_t marker = ((uint64_t)bits << 48) | ((uint64_t)i << 32) |
						  (j << 8) | as;
				struct wrap_track *t = wrap_track(&c, as, gpa);
				struct vmmu_stats s0, s1;
				bool survived;
				char ctx[256];

				snprintf(c.where, sizeof(c.where),
					 "bits %u nr_as %u: part 2 round %u, %u swaps of AS%u "
					 "before the CREATE in AS%u", bits, nr_as, i, j, other, as);
				/* The MMIO SPTE at G (or the cache; then the SPTE via spill). */
				wrap_mmio_access(&c, as, gpa, false);
				wrap_mmio_access(&c, as, WRAP_SPILL(as), false);
				wrap_mmio_access(&c, as, gpa, true);
				TEST_ASSERT(t->present, "%s: no MMIO SPTE to test", c.where);
				for (unsigned int k = 0; k < j; k++) {
					dstate[other] = dstate[other] == 1 ? 2 : 1;
					wrap_update(&c, SLOT(other, WRAP_DUMMY_ID),
						    dstate[other] == 2 ? VMMU_MEM_LOG_DIRTY_PAGES : 0,
						    WRAP_DUMMY, PAGE, dummy + other * PAGE, 1);
				}
				*(volatile uint64_t *)(ram + as * PAGE + (gpa & (PAGE - 1))) = marker;
				wrap_update(&c, SLOT(as, WRAP_RAM_ID), 0, WRAP_RAM(as), PAGE,
					    ram + as * PAGE, 1);
				wrap_model_zaps(&c);
				survived = t->present;

				/* RAM, for every generation: the stale SPTE is not used. */
				snprintf(ctx, sizeof(ctx), "%s (SPTE made at gen %llu, %s; gen now %llu)",
					 c.where, (unsigned long long)t->gen,
					 survived ? "not zapped" : "wrap-zapped",
					 (unsigned long long)as_gen(&c, as));
				s0 = test_vm_stats(c.vm);
				{
					struct vmmu_exit ex;
					uint64_t v = 0;
					int r = do_access(c.vcpu[as], gpa, 8, 0, &v, &ex);

					TEST_ASSERT(r == 0, "%s: read of the new slot: %d (%s), "
						    "exit reason %u", ctx, r, vmmu_strerror(r),
						    ex.reason);
					TEST_ASSERT(v == marker, "%s: read %#llx, expected %#llx",
						    ctx, (unsigned long long)v,
						    (unsigned long long)marker);
				}
				s1 = test_vm_stats(c.vm);
				__check_path(__LINE__, ctx, &s0, &s1,
					     (struct path){ .invalid = survived, .fixed = 1 });
				t->present = false;	/* replaced by the RAM SPTE */
				ram_write(c.vcpu[as], gpa, 8, ~marker);
				TEST_ASSERT(*(volatile uint64_t *)(ram + as * PAGE + (gpa & (PAGE - 1)))
					    == ~marker, "%s: write to the new slot", ctx);
				/* Another AS does not see the slot. */
				if (nr_as > 1)
					wrap_mmio_access(&c, (as + 1) % nr_as, gpa, false);

				/* DELETE: MMIO again (the slot zap removed the RAM SPTE). */
				wrap_update(&c, SLOT(as, WRAP_RAM_ID), 0, WRAP_RAM(as), 0,
					    ram + as * PAGE, 2);
				wrap_model_zaps(&c);
				wrap_mmio_access(&c, as, gpa, true);
			}
		}
	}

	TEST_ASSERT(c.expect_wrap_zaps > 0, "no wrap zap happened");
	snprintf(c.where, sizeof(c.where), "bits %u nr_as %u: end", bits, nr_as);
	wrap_check_zaps(&c);
	printf("    bits %u nr_as %u: %llu swaps, %llu wrap zaps\n", bits, nr_as,
	       (unsigned long long)c.swaps, (unsigned long long)c.expect_wrap_zaps);
	vmmu_vm_destroy(c.vm);
	munmap(dummy, VMMU_MAX_ADDRESS_SPACES * PAGE);
	munmap(ram, VMMU_MAX_ADDRESS_SPACES * PAGE);
}

static void test_mmio_gen_wrap(void)
{
	uint64_t seed = getenv("VMMU_TEST_SEED") ? test_seed(NULL) : 0x5eed0001ull;

	printf("    seed %#llx\n", (unsigned long long)seed);
	for (uint32_t bits = 2; bits <= 4; bits++)
		for (uint32_t nr_as = 1; nr_as <= 2; nr_as++)
			wrap_one(bits, nr_as, seed + bits * 16 + nr_as);
}

/* ------------------------------------------------------------------------ */
/* 12. Lifetime and leaks                                                    */
/* ------------------------------------------------------------------------ */

#define LT_PAGES	1000u
#define LT_VCPUS	4u

static void lifetime_one(bool destroy_vcpus)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	struct vmmu_vcpu *v[LT_VCPUS];
	uint8_t *mem = test_alloc_guest(LT_PAGES * PAGE);
	const uint64_t ram = 0x100000000ull, mmio = 0x200000000ull;
	struct vmmu_stats s;

	for (uint32_t i = 0; i < LT_VCPUS; i++)
		v[i] = test_vcpu_create(vm, i * 100);
	TEST_SET_REGION_OK(vm, SLOT(0, 5), 0, ram, LT_PAGES * PAGE, mem);
	for (uint64_t p = 0; p < LT_PAGES; p++)
		ram_write(v[p % LT_VCPUS], ram + p * PAGE + 8, 8, p * 3 + 1);
	/* MMIO SPTEs spread 2 MiB apart: one leaf table each. */
	for (uint64_t p = 0; p < LT_PAGES; p++)
		expect_mmio_read(v[(p + 1) % LT_VCPUS], mmio + p * SZ_2M, 4);
	for (uint64_t p = 0; p < LT_PAGES; p += 97)
		TEST_ASSERT_EQ(*(volatile uint64_t *)(mem + p * PAGE + 8), p * 3 + 1);

	s = test_vm_stats(vm);
	/* one fault per 256 KiB group maps it all (prefetch) */
	TEST_ASSERT_EQ(s.pf_fixed, (LT_PAGES + 63) / 64);
	TEST_ASSERT_EQ(s.pf_fixed + s.pf_prefetched, LT_PAGES);
	TEST_ASSERT_EQ(s.mmio_sptes_created, LT_PAGES);
	TEST_ASSERT_EQ(s.mmio_exits, LT_PAGES);
	TEST_ASSERT(s.page_tables > LT_PAGES, "page_tables %llu with %u MMIO leaf tables",
		    (unsigned long long)s.page_tables, LT_PAGES);

	if (destroy_vcpus) {
		for (uint32_t i = 0; i < LT_VCPUS; i++)
			vmmu_vcpu_destroy(v[i]);
		/* Counters include destroyed vCPUs; the page tables stay. */
		s = test_vm_stats(vm);
		TEST_ASSERT_EQ(s.pf_fixed + s.pf_prefetched, LT_PAGES);
		TEST_ASSERT_EQ(s.mmio_sptes_created, LT_PAGES);
		TEST_ASSERT(s.page_tables > LT_PAGES, "page_tables %llu",
			    (unsigned long long)s.page_tables);
		/* A new vCPU on an old id uses what is left. */
		v[0] = test_vcpu_create(vm, 0);
		TEST_ASSERT_EQ(ram_read(v[0], ram + 7 * PAGE + 8, 8), 7 * 3 + 1);
		expect_mmio_read(v[0], mmio + 7 * SZ_2M, 4);
		s = test_vm_stats(vm);
		TEST_ASSERT_EQ(s.pf_fixed + s.pf_prefetched, LT_PAGES);
		TEST_ASSERT_EQ(s.fast_mmio_hits, 1);
		vmmu_vcpu_destroy(v[0]);
	}
	/* Else: vmmu_vm_destroy() destroys the live vCPUs. */
	vmmu_vm_destroy(vm);
	munmap(mem, LT_PAGES * PAGE);
}

static void test_lifetime_vm_destroys_vcpus(void)
{
	lifetime_one(false);
}

static void test_lifetime_vcpus_destroyed_first(void)
{
	lifetime_one(true);
}

/* Page tables come and go with zaps; none are lost. */
static void test_lifetime_page_tables(void)
{
	struct vmmu_vm *vm = test_vm_new(.nr_address_spaces = 1, .mmio_gen_bits = 2);
	struct vmmu_vcpu *v0 = test_vcpu_create(vm, 0);
	uint8_t *mem = test_alloc_guest(PAGE);
	uint64_t base = test_vm_stats(vm).page_tables;

	TEST_ASSERT(base > 0, "no root table");
	for (uint64_t p = 0; p < 64; p++)
		expect_mmio_read(v0, 0x300000000ull + p * SZ_2M, 1);
	TEST_ASSERT(test_vm_stats(vm).page_tables > base + 64, "page tables");
	/* bits 2, one AS: the 4th swap wraps; zap_all_fast frees the old tree. */
	for (int i = 0; i < 4; i++) {
		TEST_SET_REGION_OK(vm, SLOT(0, 0), i & 1 ? VMMU_MEM_LOG_DIRTY_PAGES : 0, 0, PAGE,
				   mem);
	}
	TEST_ASSERT_EQ(test_vm_stats(vm).mmio_wrap_zaps, 1);
	TEST_ASSERT_EQ(test_vm_stats(vm).page_tables, base);
	vmmu_vm_destroy(vm);
	munmap(mem, PAGE);
}

/* ------------------------------------------------------------------------ */

static const struct test_case cases[] = {
	{ "mmio_first_access", test_mmio_first_access },
	{ "mmio_second_access", test_mmio_second_access },
	{ "mmio_generation_miss", test_mmio_generation_miss },
	{ "slot_over_mmio_spte", test_slot_over_mmio_spte },
	{ "ram_and_tlb", test_ram_and_tlb },
	{ "widths", test_widths },
	{ "readonly", test_readonly },
	{ "delete_move", test_delete_move },
	{ "delete_move_zap_all", test_delete_move_zap_all },
	{ "address_spaces", test_address_spaces },
	{ "bad_input", test_bad_input },
	{ "mmio_beyond_max_gpa", test_mmio_beyond_max_gpa },
	{ "bulk_copy", test_bulk_copy },
	{ "mmio_gen_wrap", test_mmio_gen_wrap },
	{ "lifetime_vm_destroys_vcpus", test_lifetime_vm_destroys_vcpus },
	{ "lifetime_vcpus_destroyed_first", test_lifetime_vcpus_destroyed_first },
	{ "lifetime_page_tables", test_lifetime_page_tables },
};

TEST_CASES_MAIN(cases)
