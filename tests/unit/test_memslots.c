/* SPDX-License-Identifier: MIT */
/*
 * Memslot API unit tests, written against the public API only:
 *
 * - every applicable errno of KVM_SET_USER_MEMORY_REGION (docs/KVM-SEMANTICS.md, "The checks, in
 *    order"), each checked to leave the memslot generations untouched;
 *  - vmmu_vm_create() configuration validation;
 *  - the four change types and the no-op modification (docs/KVM-SEMANTICS.md, "Change types");
 *  - the generation arithmetic (docs/KVM-SEMANTICS.md, "Generation arithmetic");
 *  - the set_memory_region_test API cases (KVM's selftest: invalid flags,
 *    add max slots, overlap);
 *  - guest-visible effects through a vCPU: RAM, READONLY, MMIO exits, and
 *    the map after DELETE and MOVE.
 *
 * Usage: test_memslots [case-name-substring]
 */
#include <vmmu.h>

#include "../test_util.h"

#define PAGE		VMMU_PAGE_SIZE
#define SZ_2M		(2ull << 20)
/* The highest user address plus one, minus a page (x86-64, 4-level paging). */
#define USER_VA_MAX	((1ull << 47) - PAGE)
#define GEN_IP		VMMU_MEMSLOT_GEN_UPDATE_IN_PROGRESS

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

static uint32_t vm_nr_as(struct vmmu_vm *vm)
{
	struct vmmu_vm_config cfg = { .size = sizeof(cfg) };

	TEST_ASSERT_EQ(vmmu_vm_get_config(vm, &cfg), 0);
	return cfg.nr_address_spaces;
}

static uint64_t gen(struct vmmu_vm *vm, uint32_t as_id)
{
	return vmmu_memslots_generation(vm, as_id);
}

/* Generation invariants that must hold whenever no update is running. */
static void check_gens(struct vmmu_vm *vm)
{
	uint32_t nr_as = vm_nr_as(vm);

	for (uint32_t as = 0; as < nr_as; as++) {
		uint64_t g = gen(vm, as);

		TEST_ASSERT(!(g & GEN_IP), "AS%u generation %#llx has UPDATE_IN_PROGRESS set",
			    as, (unsigned long long)g);
		TEST_ASSERT(g % nr_as == as, "AS%u generation %llu is not as_id mod nr_as (%u)",
			    as, (unsigned long long)g, nr_as);
	}
	TEST_ASSERT_EQ(gen(vm, nr_as), UINT64_MAX);
}

struct gens {
	uint64_t g[VMMU_MAX_ADDRESS_SPACES];
};

static struct gens gens_snap(struct vmmu_vm *vm)
{
	struct gens s = { { 0 } };

	for (uint32_t as = 0; as < vm_nr_as(vm); as++)
		s.g[as] = gen(vm, as);
	return s;
}

/* Assert that a call succeeds and advances AS @as by @delta, others by 0. */
static void __expect_ok(const char *file, int line, struct vmmu_vm *vm, uint32_t slot,
			uint32_t flags, uint64_t gpa, uint64_t size, uint64_t hva,
			uint64_t delta)
{
	struct gens before = gens_snap(vm);
	int r = test_set_region(vm, slot, flags, gpa, size, hva);
	uint32_t nr_as = vm_nr_as(vm);

	TEST_ASSERT(r == 0, "%s:%d: slot %#x flags %#x gpa %#llx size %#llx hva %#llx: "
		    "expected 0, got %d (%s)", file, line, slot, flags,
		    (unsigned long long)gpa, (unsigned long long)size,
		    (unsigned long long)hva, r, vmmu_strerror(r));
	for (uint32_t as = 0; as < nr_as; as++) {
		uint64_t want = before.g[as] + (as == slot >> 16 ? delta : 0);

		TEST_ASSERT(gen(vm, as) == want, "%s:%d: AS%u generation %llu, expected %llu",
			    file, line, as, (unsigned long long)gen(vm, as),
			    (unsigned long long)want);
	}
	check_gens(vm);
}

/* Assert that a call fails with @err and changes no generation. */
static void __expect_err(const char *file, int line, struct vmmu_vm *vm, int err,
			 uint32_t slot, uint32_t flags, uint64_t gpa, uint64_t size,
			 uint64_t hva)
{
	struct gens before = gens_snap(vm);
	int r = test_set_region(vm, slot, flags, gpa, size, hva);
	uint32_t nr_as = vm_nr_as(vm);

	TEST_ASSERT(r == err, "%s:%d: slot %#x flags %#x gpa %#llx size %#llx hva %#llx: "
		    "expected %d (%s), got %d (%s)", file, line, slot, flags,
		    (unsigned long long)gpa, (unsigned long long)size,
		    (unsigned long long)hva, err, vmmu_strerror(err), r, vmmu_strerror(r));
	for (uint32_t as = 0; as < nr_as; as++)
		TEST_ASSERT(gen(vm, as) == before.g[as],
			    "%s:%d: rejected call moved AS%u generation %llu -> %llu",
			    file, line, as, (unsigned long long)before.g[as],
			    (unsigned long long)gen(vm, as));
	check_gens(vm);
}

#define expect_ok(vm, slot, flags, gpa, size, hva, delta) \
	__expect_ok(__FILE__, __LINE__, vm, slot, flags, gpa, size, hva, delta)
#define expect_err(vm, err, slot, flags, gpa, size, hva) \
	__expect_err(__FILE__, __LINE__, vm, err, slot, flags, gpa, size, hva)

/* Generation deltas per change type (docs/KVM-SEMANTICS.md, "Generation arithmetic"). */
#define D_CREATE(vm)	((uint64_t)vm_nr_as(vm))
#define D_FLAGS(vm)	((uint64_t)vm_nr_as(vm))
#define D_DELETE(vm)	(2ull * vm_nr_as(vm))
#define D_MOVE(vm)	(2ull * vm_nr_as(vm))

/* Fill @n bytes at @p with a pattern that identifies each 8-byte word. */
static void fill_pattern(void *p, size_t n, uint64_t salt)
{
	uint64_t *w = p;

	for (size_t i = 0; i < n / 8; i++)
		w[i] = ((uint64_t)(uintptr_t)&w[i]) ^ salt;
}

/* Expect a read of @len bytes at @gpa to exit MMIO with the fields filled. */
static void expect_mmio_read(struct vmmu_vcpu *vcpu, uint64_t gpa, uint32_t len)
{
	struct vmmu_exit ex;
	uint8_t buf[8];
	int r;

	memset(&ex, 0xa5, sizeof(ex));
	r = vmmu_vcpu_access(vcpu, gpa, buf, len, 0, &ex);
	TEST_ASSERT(r == VMMU_EXIT_MMIO, "read of gpa %#llx: expected MMIO exit, got %d (%s)",
		    (unsigned long long)gpa, r, vmmu_strerror(r));
	TEST_ASSERT_EQ(ex.reason, VMMU_EXIT_MMIO);
	TEST_ASSERT_EQ(ex.mmio.phys_addr, gpa);
	TEST_ASSERT_EQ(ex.mmio.len, len);
	TEST_ASSERT_EQ(ex.mmio.is_write, 0);
}

static void expect_mmio_write(struct vmmu_vcpu *vcpu, uint64_t gpa, uint64_t val, uint32_t len)
{
	struct vmmu_exit ex;
	int r;

	memset(&ex, 0xa5, sizeof(ex));
	r = vmmu_vcpu_access(vcpu, gpa, &val, len, VMMU_ACCESS_WRITE, &ex);
	TEST_ASSERT(r == VMMU_EXIT_MMIO, "write of gpa %#llx: expected MMIO exit, got %d (%s)",
		    (unsigned long long)gpa, r, vmmu_strerror(r));
	TEST_ASSERT_EQ(ex.reason, VMMU_EXIT_MMIO);
	TEST_ASSERT_EQ(ex.mmio.phys_addr, gpa);
	TEST_ASSERT_EQ(ex.mmio.len, len);
	TEST_ASSERT_EQ(ex.mmio.is_write, 1);
	TEST_ASSERT(memcmp(ex.mmio.data, &val, len) == 0,
		    "MMIO write data mismatch at gpa %#llx", (unsigned long long)gpa);
}

/* An address range that was mapped and is not any more. */
static uint64_t unmapped_hva(size_t size)
{
	void *p = test_alloc_guest(size);

	TEST_ASSERT(munmap(p, size) == 0, "munmap: %s", strerror(errno));
	return (uint64_t)(uintptr_t)p;
}

/* ------------------------------------------------------------------------ */
/* vmmu_vm_create configuration                                              */
/* ------------------------------------------------------------------------ */

static void expect_cfg_einval(const struct vmmu_vm_config *cfg, const char *what)
{
	struct vmmu_vm *vm = (struct vmmu_vm *)(uintptr_t)0xdead0000;
	int r = vmmu_vm_create(cfg, &vm);

	TEST_ASSERT(r == -EINVAL, "%s: expected -EINVAL, got %d", what, r);
	TEST_ASSERT(vm == (struct vmmu_vm *)(uintptr_t)0xdead0000,
		    "%s: *vmp changed on failure", what);
}

static void expect_cfg_ok(const struct vmmu_vm_config *cfg, const struct vmmu_vm_config *want,
			  const char *what)
{
	struct vmmu_vm_config got;
	struct vmmu_vm *vm = NULL;
	int r = vmmu_vm_create(cfg, &vm);

	TEST_ASSERT(r == 0 && vm, "%s: vmmu_vm_create = %d", what, r);
	memset(&got, 0xff, sizeof(got));
	got.size = sizeof(got);
	TEST_ASSERT_EQ(vmmu_vm_get_config(vm, &got), 0);
	TEST_ASSERT(got.nr_address_spaces == want->nr_address_spaces &&
		    got.max_user_slots == want->max_user_slots &&
		    got.mmio_gen_bits == want->mmio_gen_bits &&
		    got.flags == want->flags && got.max_gpa_bits == want->max_gpa_bits,
		    "%s: config {%u,%u,%u,%#x,%u}, expected {%u,%u,%u,%#x,%u}", what,
		    got.nr_address_spaces, got.max_user_slots, got.mmio_gen_bits, got.flags,
		    got.max_gpa_bits, want->nr_address_spaces, want->max_user_slots,
		    want->mmio_gen_bits, want->flags, want->max_gpa_bits);
	vmmu_vm_destroy(vm);
}

static void test_vm_config(void)
{
	const struct vmmu_vm_config defaults = {
		.nr_address_spaces = 2,
		.max_user_slots = VMMU_DEFAULT_USER_MEM_SLOTS,
		.mmio_gen_bits = VMMU_MAX_MMIO_GEN_BITS,
		.flags = 0,
		.max_gpa_bits = 48,
	};
	struct vmmu_vm_config cfg, want;
	struct vmmu_vm *vm = NULL;

	/* NULL cfg and an all-zero cfg both mean the defaults. */
	expect_cfg_ok(NULL, &defaults, "NULL cfg");
	memset(&cfg, 0, sizeof(cfg));
	expect_cfg_ok(&cfg, &defaults, "zero cfg");

	/* Boundaries that are accepted. */
	cfg = (struct vmmu_vm_config){ .nr_address_spaces = 1 };
	want = defaults;
	want.nr_address_spaces = 1;
	expect_cfg_ok(&cfg, &want, "nr_address_spaces 1");
	cfg = (struct vmmu_vm_config){ .nr_address_spaces = 2 };
	expect_cfg_ok(&cfg, &defaults, "nr_address_spaces 2");
	cfg = (struct vmmu_vm_config){ .max_user_slots = VMMU_MEM_SLOTS_NUM };
	want = defaults;
	want.max_user_slots = VMMU_MEM_SLOTS_NUM;
	expect_cfg_ok(&cfg, &want, "max_user_slots 32767");
	cfg = (struct vmmu_vm_config){ .max_user_slots = 1 };
	want = defaults;
	want.max_user_slots = 1;
	expect_cfg_ok(&cfg, &want, "max_user_slots 1");
	cfg = (struct vmmu_vm_config){ .mmio_gen_bits = 1 };
	want = defaults;
	want.mmio_gen_bits = 1;
	expect_cfg_ok(&cfg, &want, "mmio_gen_bits 1");
	cfg = (struct vmmu_vm_config){ .mmio_gen_bits = 19 };
	expect_cfg_ok(&cfg, &defaults, "mmio_gen_bits 19");
	cfg = (struct vmmu_vm_config){ .flags = VMMU_VM_QUIRK_SLOT_ZAP_ALL };
	want = defaults;
	want.flags = VMMU_VM_QUIRK_SLOT_ZAP_ALL;
	expect_cfg_ok(&cfg, &want, "flags QUIRK_SLOT_ZAP_ALL");
	cfg = (struct vmmu_vm_config){ .max_gpa_bits = 32 };
	want = defaults;
	want.max_gpa_bits = 32;
	expect_cfg_ok(&cfg, &want, "max_gpa_bits 32");
	cfg = (struct vmmu_vm_config){ .max_gpa_bits = 48 };
	expect_cfg_ok(&cfg, &defaults, "max_gpa_bits 48");
	cfg = (struct vmmu_vm_config){ .max_gpa_bits = 49 };
	want = defaults;
	want.max_gpa_bits = 49;
	expect_cfg_ok(&cfg, &want, "max_gpa_bits 49");
	cfg = (struct vmmu_vm_config){ .max_gpa_bits = 52 };
	want.max_gpa_bits = 52;
	expect_cfg_ok(&cfg, &want, "max_gpa_bits 52");

	/* Out of range. */
	cfg = (struct vmmu_vm_config){ .nr_address_spaces = 3 };
	expect_cfg_einval(&cfg, "nr_address_spaces 3");
	cfg = (struct vmmu_vm_config){ .nr_address_spaces = UINT32_MAX };
	expect_cfg_einval(&cfg, "nr_address_spaces UINT32_MAX");
	cfg = (struct vmmu_vm_config){ .mmio_gen_bits = 20 };
	expect_cfg_einval(&cfg, "mmio_gen_bits 20");
	cfg = (struct vmmu_vm_config){ .mmio_gen_bits = 64 };
	expect_cfg_einval(&cfg, "mmio_gen_bits 64");
	cfg = (struct vmmu_vm_config){ .max_user_slots = VMMU_MEM_SLOTS_NUM + 1 };
	expect_cfg_einval(&cfg, "max_user_slots 32768");
	cfg = (struct vmmu_vm_config){ .max_user_slots = UINT32_MAX };
	expect_cfg_einval(&cfg, "max_user_slots UINT32_MAX");
	cfg = (struct vmmu_vm_config){ .max_gpa_bits = 31 };
	expect_cfg_einval(&cfg, "max_gpa_bits 31");
	cfg = (struct vmmu_vm_config){ .max_gpa_bits = 53 };
	expect_cfg_einval(&cfg, "max_gpa_bits 53");
	cfg = (struct vmmu_vm_config){ .max_gpa_bits = 64 };
	expect_cfg_einval(&cfg, "max_gpa_bits 64");
	for (int bit = 0; bit < 32; bit++) {
		char what[32];

		if ((1u << bit) & VMMU_VM_VALID_FLAGS)
			continue;
		snprintf(what, sizeof(what), "flags bit %d", bit);
		cfg = (struct vmmu_vm_config){ .flags = 1u << bit };
		expect_cfg_einval(&cfg, what);
	}

	/* NULL arguments. */
	TEST_ASSERT_EQ(vmmu_vm_create(NULL, NULL), -EINVAL);
	TEST_ASSERT_EQ(vmmu_vm_create(&defaults, NULL), -EINVAL);
	TEST_ASSERT_EQ(vmmu_vm_get_config(NULL, &cfg), -EINVAL);
	TEST_ASSERT_EQ(vmmu_vm_create(NULL, &vm), 0);
	TEST_ASSERT_EQ(vmmu_vm_get_config(vm, NULL), -EINVAL);
	vmmu_vm_destroy(vm);
	vmmu_vm_destroy(NULL);
}

/* ------------------------------------------------------------------------ */
/* Errno table (KVM-SEMANTICS.md "The checks, in order") */
/* ------------------------------------------------------------------------ */

static void test_null_args(void)
{
	struct vmmu_userspace_memory_region mem = { .slot = 0, .memory_size = PAGE,
						    .userspace_addr = 0x100000 };
	struct vmmu_vm *vm = test_vm_create(NULL);

	TEST_ASSERT_EQ(vmmu_set_user_memory_region(NULL, &mem), -EINVAL);
	TEST_ASSERT_EQ(vmmu_set_user_memory_region(vm, NULL), -EINVAL);
	TEST_ASSERT_EQ(vmmu_set_user_memory_region(NULL, NULL), -EINVAL);
	TEST_ASSERT_EQ(vmmu_memslots_generation(NULL, 0), UINT64_MAX);
	TEST_ASSERT_EQ(vmmu_memslots_generation(NULL, 1), UINT64_MAX);
	TEST_ASSERT_EQ(gen(vm, 0), 0);
	TEST_ASSERT_EQ(gen(vm, 1), 1);
	check_gens(vm);
	vmmu_vm_destroy(vm);
}

/* set_memory_region_test: test_invalid_memory_region_flags (v1 ioctl). */
static void test_invalid_memory_region_flags(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	uint8_t *mem = test_alloc_guest(SZ_2M);
	uint64_t hva = (uint64_t)(uintptr_t)mem;
	uint32_t valid = VMMU_MEM_LOG_DIRTY_PAGES | VMMU_MEM_READONLY;

	for (int bit = 0; bit < 32; bit++) {
		uint32_t f = 1u << bit;

		if (f & valid)
			continue;
		/* CREATE, in both address spaces, alone and with valid bits. */
		expect_err(vm, -EINVAL, SLOT(0, 10), f, 0xc0000000, SZ_2M, hva);
		expect_err(vm, -EINVAL, SLOT(1, 10), f, 0xc0000000, SZ_2M, hva);
		expect_err(vm, -EINVAL, SLOT(0, 10), f | valid, 0xc0000000, SZ_2M, hva);
	}
	/* The supported flags work, alone and together. */
	expect_ok(vm, SLOT(0, 10), 0, 0xc0000000, SZ_2M, hva, D_CREATE(vm));
	for (int bit = 0; bit < 32; bit++) {
		uint32_t f = 1u << bit;

		if (f & valid)
			continue;
		/* FLAGS_ONLY, DELETE and MOVE of an existing slot too. */
		expect_err(vm, -EINVAL, SLOT(0, 10), f, 0xc0000000, SZ_2M, hva);
		expect_err(vm, -EINVAL, SLOT(0, 10), f, 0xc0000000, 0, hva);
		expect_err(vm, -EINVAL, SLOT(0, 10), f, 0xd0000000, SZ_2M, hva);
	}
	expect_ok(vm, SLOT(0, 10), VMMU_MEM_LOG_DIRTY_PAGES, 0xc0000000, SZ_2M, hva, D_FLAGS(vm));
	expect_ok(vm, SLOT(0, 10), 0, 0xc0000000, 0, hva, D_DELETE(vm));
	expect_ok(vm, SLOT(0, 10), VMMU_MEM_READONLY, 0xc0000000, SZ_2M, hva, D_CREATE(vm));
	expect_ok(vm, SLOT(0, 10), 0, 0xc0000000, 0, hva, D_DELETE(vm));
	expect_ok(vm, SLOT(0, 10), valid, 0xc0000000, SZ_2M, hva, D_CREATE(vm));
	expect_ok(vm, SLOT(0, 10), 0, 0xc0000000, 0, hva, D_DELETE(vm));
	/* The internal KVM_MEMSLOT_INVALID bit (16) is not a user flag either. */
	expect_err(vm, -EINVAL, SLOT(0, 10), 1u << 16, 0xc0000000, SZ_2M, hva);

	munmap(mem, SZ_2M);
	vmmu_vm_destroy(vm);
}

static void test_size_unaligned(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	uint8_t *mem = test_alloc_guest(16 * PAGE);
	uint64_t hva = (uint64_t)(uintptr_t)mem;
	static const uint64_t bad[] = { 1, 8, 512, PAGE - 1, PAGE + 1, PAGE + 2048,
					2 * PAGE - 1, 15 * PAGE + 1 };

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		expect_err(vm, -EINVAL, SLOT(0, 0), 0, 0x100000, bad[i], hva);
	/* Against an existing slot too (would otherwise be a size change). */
	expect_ok(vm, SLOT(0, 0), 0, 0x100000, 4 * PAGE, hva, D_CREATE(vm));
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		expect_err(vm, -EINVAL, SLOT(0, 0), 0, 0x100000, bad[i], hva);
	expect_err(vm, -EINVAL, SLOT(0, 0), 0, 0x100000, 4 * PAGE + 1, hva);
	munmap(mem, 16 * PAGE);
	vmmu_vm_destroy(vm);
}

static void test_gpa_unaligned(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	uint8_t *mem = test_alloc_guest(16 * PAGE);
	uint64_t hva = (uint64_t)(uintptr_t)mem;
	static const uint64_t bad[] = { 0x100001, 0x100800, 0x100fff, 0x1008, 1 };

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		expect_err(vm, -EINVAL, SLOT(0, 0), 0, bad[i], PAGE, hva);
	expect_ok(vm, SLOT(0, 0), 0, 0x100000, PAGE, hva, D_CREATE(vm));
	/* The alignment check applies to MOVE and even to DELETE. */
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		expect_err(vm, -EINVAL, SLOT(0, 0), 0, bad[i], PAGE, hva);
		expect_err(vm, -EINVAL, SLOT(0, 0), 0, bad[i], 0, hva);
	}
	expect_ok(vm, SLOT(0, 0), 0, 0x100000, 0, hva, D_DELETE(vm));
	munmap(mem, 16 * PAGE);
	vmmu_vm_destroy(vm);
}

static void test_hva_unaligned(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	uint8_t *mem = test_alloc_guest(16 * PAGE);
	uint64_t hva = (uint64_t)(uintptr_t)mem;
	static const uint64_t off[] = { 1, 8, 0x800, PAGE - 1, PAGE + 4 };

	for (size_t i = 0; i < ARRAY_SIZE(off); i++)
		expect_err(vm, -EINVAL, SLOT(0, 0), 0, 0x100000, PAGE, hva + off[i]);
	expect_ok(vm, SLOT(0, 0), 0, 0x100000, PAGE, hva, D_CREATE(vm));
	for (size_t i = 0; i < ARRAY_SIZE(off); i++) {
		expect_err(vm, -EINVAL, SLOT(0, 0), 0, 0x100000, PAGE, hva + off[i]);
		expect_err(vm, -EINVAL, SLOT(0, 0), 0, 0x100000, 0, hva + off[i]);
	}
	expect_ok(vm, SLOT(0, 0), 0, 0x100000, 0, hva, D_DELETE(vm));
	munmap(mem, 16 * PAGE);
	vmmu_vm_destroy(vm);
}

/* access_ok(hva, size): hva + size must not exceed USER_VA_MAX = (1 << 47) - 4096. */
static void test_hva_range(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	uint64_t um = unmapped_hva(64 * PAGE);

	/* The range may end exactly at USER_VA_MAX; one page further is out. */
	expect_ok(vm, SLOT(0, 0), 0, 0x100000, PAGE, USER_VA_MAX - PAGE, D_CREATE(vm));
	expect_ok(vm, SLOT(0, 0), 0, 0x100000, 0, 0, D_DELETE(vm));
	expect_ok(vm, SLOT(0, 0), 0, 0x100000, 16 * PAGE, USER_VA_MAX - 16 * PAGE, D_CREATE(vm));
	expect_ok(vm, SLOT(0, 0), 0, 0x100000, 0, 0, D_DELETE(vm));
	expect_err(vm, -EINVAL, SLOT(0, 0), 0, 0x100000, PAGE, USER_VA_MAX);
	expect_err(vm, -EINVAL, SLOT(0, 0), 0, 0x100000, 2 * PAGE, USER_VA_MAX - PAGE);
	expect_err(vm, -EINVAL, SLOT(0, 0), 0, 0x100000, 16 * PAGE, USER_VA_MAX - 15 * PAGE);
	expect_err(vm, -EINVAL, SLOT(0, 0), 0, 0x100000, PAGE, 1ull << 47);
	expect_err(vm, -EINVAL, SLOT(0, 0), 0, 0x100000, PAGE, 1ull << 48);
	/* The kernel half, and a range whose end wraps around 2^64. */
	expect_err(vm, -EINVAL, SLOT(0, 0), 0, 0x100000, PAGE, 0xffff800000000000ull);
	expect_err(vm, -EINVAL, SLOT(0, 0), 0, 0x100000, PAGE, 0xfffffffffffff000ull);
	expect_err(vm, -EINVAL, SLOT(0, 0), 0, 0x100000, 2 * PAGE, 0xfffffffffffff000ull);
	expect_err(vm, -EINVAL, SLOT(0, 0), 0, 0x100000, 0xfffffffffffff000ull, 2 * PAGE);
	/* A size alone larger than the user half. */
	expect_err(vm, -EINVAL, SLOT(0, 0), 0, 0x100000, USER_VA_MAX + PAGE, 0);

	/* An hva that is not mapped but in range is accepted ... */
	expect_ok(vm, SLOT(0, 1), 0, 0x200000, 64 * PAGE, um, D_CREATE(vm));
	/* ... and so is page 0 (KVM checks the range, not the mapping). */
	expect_ok(vm, SLOT(0, 2), 0, 0x400000, PAGE, 0, D_CREATE(vm));
	/* Guest accesses to unmapped host memory fail with -EFAULT. */
	{
		struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
		struct vmmu_exit ex;
		uint64_t v = 0;

		TEST_ASSERT_EQ(vmmu_vcpu_read_guest(vcpu, 0x200000, &v, 8), -EFAULT);
		TEST_ASSERT_EQ(vmmu_vcpu_access(vcpu, 0x200000, &v, 8, 0, &ex), -EFAULT);
		TEST_ASSERT_EQ(vmmu_vcpu_read_guest(vcpu, 0x400000, &v, 8), -EFAULT);
		vmmu_vcpu_destroy(vcpu);
	}

	/* DELETE runs the same check: size 0 puts the limit at hva itself. */
	expect_err(vm, -EINVAL, SLOT(0, 1), 0, 0x200000, 0, USER_VA_MAX + PAGE);
	expect_err(vm, -EINVAL, SLOT(0, 1), 0, 0x200000, 0, 0xffff800000000000ull);
	expect_ok(vm, SLOT(0, 1), 0, 0x200000, 0, USER_VA_MAX, D_DELETE(vm));
	expect_ok(vm, SLOT(0, 2), 0, 0x400000, 0, 0, D_DELETE(vm));
	vmmu_vm_destroy(vm);
}

static void test_as_id(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	uint8_t *mem = test_alloc_guest(16 * PAGE);
	uint64_t hva = (uint64_t)(uintptr_t)mem;

	expect_err(vm, -EINVAL, SLOT(2, 0), 0, 0x100000, PAGE, hva);
	expect_err(vm, -EINVAL, SLOT(3, 5), 0, 0x100000, PAGE, hva);
	expect_err(vm, -EINVAL, SLOT(0xffff, 0), 0, 0x100000, PAGE, hva);
	expect_err(vm, -EINVAL, SLOT(2, 0), 0, 0x100000, 0, hva);
	expect_ok(vm, SLOT(1, 0), 0, 0x100000, PAGE, hva, D_CREATE(vm));
	expect_ok(vm, SLOT(1, 0), 0, 0x100000, 0, hva, D_DELETE(vm));
	vmmu_vm_destroy(vm);

	/* With a single address space, AS 1 does not exist. */
	vm = test_vm_new(.nr_address_spaces = 1);
	expect_err(vm, -EINVAL, SLOT(1, 0), 0, 0x100000, PAGE, hva);
	expect_err(vm, -EINVAL, SLOT(1, 0), 0, 0x100000, 0, hva);
	expect_ok(vm, SLOT(0, 0), 0, 0x100000, PAGE, hva, D_CREATE(vm));
	/* Same id in the nonexistent AS: still rejected, not a MOVE of slot 0. */
	expect_err(vm, -EINVAL, SLOT(1, 0), 0, 0x200000, PAGE, hva);
	munmap(mem, 16 * PAGE);
	vmmu_vm_destroy(vm);
}

static void test_slot_id(void)
{
	uint8_t *mem = test_alloc_guest(16 * PAGE);
	uint64_t hva = (uint64_t)(uintptr_t)mem;
	struct vmmu_vm *vm = test_vm_create(NULL);
	uint32_t max = VMMU_DEFAULT_USER_MEM_SLOTS;

	expect_ok(vm, SLOT(0, max - 1), 0, 0x100000, PAGE, hva, D_CREATE(vm));
	expect_ok(vm, SLOT(1, max - 1), 0, 0x100000, PAGE, hva, D_CREATE(vm));
	expect_err(vm, -EINVAL, SLOT(0, max), 0, 0x200000, PAGE, hva);
	expect_err(vm, -EINVAL, SLOT(1, max), 0, 0x200000, PAGE, hva);
	expect_err(vm, -EINVAL, SLOT(0, VMMU_MEM_SLOTS_NUM - 1), 0, 0x200000, PAGE, hva);
	expect_err(vm, -EINVAL, SLOT(0, VMMU_MEM_SLOTS_NUM), 0, 0x200000, PAGE, hva);
	expect_err(vm, -EINVAL, SLOT(0, 0xffff), 0, 0x200000, PAGE, hva);
	expect_err(vm, -EINVAL, SLOT(0, max), 0, 0x200000, 0, hva);
	vmmu_vm_destroy(vm);

	/* A small limit: ids 0..9 only, in every address space. */
	vm = test_vm_new(.nr_address_spaces = 2, .max_user_slots = 10);
	for (uint32_t id = 0; id < 10; id++) {
		expect_ok(vm, SLOT(0, id), 0, 0x100000 + id * PAGE, PAGE, hva + id * PAGE,
			  D_CREATE(vm));
		expect_ok(vm, SLOT(1, id), 0, 0x100000 + id * PAGE, PAGE, hva + id * PAGE,
			  D_CREATE(vm));
	}
	for (uint32_t id = 10; id < 40; id++) {
		expect_err(vm, -EINVAL, SLOT(0, id), 0, 0x200000, PAGE, hva);
		expect_err(vm, -EINVAL, SLOT(1, id), 0, 0x200000, PAGE, hva);
		expect_err(vm, -EINVAL, SLOT(0, id), 0, 0x200000, 0, hva);
	}
	/* Nothing to do with the number of slots in use: free one, 10 still fails. */
	expect_ok(vm, SLOT(0, 3), 0, 0, 0, 0, D_DELETE(vm));
	expect_err(vm, -EINVAL, SLOT(0, 10), 0, 0x200000, PAGE, hva);
	expect_ok(vm, SLOT(0, 3), 0, 0x200000, PAGE, hva, D_CREATE(vm));
	vmmu_vm_destroy(vm);

	/* The largest limit: 32767 user slots, ids 0..32766. */
	vm = test_vm_new(.nr_address_spaces = 2, .max_user_slots = VMMU_MEM_SLOTS_NUM);
	expect_ok(vm, SLOT(0, VMMU_MEM_SLOTS_NUM - 1), 0, 0x100000, PAGE, hva, D_CREATE(vm));
	expect_err(vm, -EINVAL, SLOT(0, VMMU_MEM_SLOTS_NUM), 0, 0x200000, PAGE, hva);
	vmmu_vm_destroy(vm);
	munmap(mem, 16 * PAGE);
}

static void test_gpa_wrap(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	uint8_t *mem = test_alloc_guest(16 * PAGE);
	uint64_t hva = (uint64_t)(uintptr_t)mem;

	/* gpa + size == 2^64 wraps to 0. */
	expect_err(vm, -EINVAL, SLOT(0, 0), 0, 0xfffffffffffff000ull, PAGE, hva);
	expect_err(vm, -EINVAL, SLOT(0, 0), 0, 0xfffffffffffff000ull, 2 * PAGE, hva);
	expect_err(vm, -EINVAL, SLOT(0, 0), 0, 0xffffffffffff0000ull, 16 * PAGE, hva);
	expect_err(vm, -EINVAL, SLOT(0, 0), 0, 0x8000000000000000ull,
		   0x8000000000000000ull, 0);
	/* MOVE of an existing slot to a wrapping range. */
	expect_ok(vm, SLOT(0, 0), 0, 0x100000, 2 * PAGE, hva, D_CREATE(vm));
	expect_err(vm, -EINVAL, SLOT(0, 0), 0, 0xfffffffffffff000ull, 2 * PAGE, hva);
	/* DELETE with gpa at the very top: size 0 cannot wrap. */
	expect_ok(vm, SLOT(0, 0), 0, 0xfffffffffffff000ull, 0, hva, D_DELETE(vm));
	munmap(mem, 16 * PAGE);
	vmmu_vm_destroy(vm);
}

static void test_npages_max(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	uint64_t max_bytes = VMMU_MEM_MAX_NR_PAGES << VMMU_PAGE_SHIFT;
	/* Unmapped but user-addressable hva ranges; the size checks come first. */
	uint64_t hva = 1ull << 32;

	expect_err(vm, -EINVAL, SLOT(0, 0), 0, 0, max_bytes + PAGE, hva);
	expect_err(vm, -EINVAL, SLOT(0, 0), 0, 0, max_bytes + 2 * PAGE, hva);
	expect_err(vm, -EINVAL, SLOT(0, 0), 0, 0, 1ull << 44, hva);
	expect_err(vm, -EINVAL, SLOT(1, 0), 0, 0, max_bytes + PAGE, hva);
	/* Exactly KVM_MEM_MAX_NR_PAGES pages is fine (hva not mapped: no touch). */
	expect_ok(vm, SLOT(0, 0), 0, 0, max_bytes, hva, D_CREATE(vm));
	/* A MOVE of the big slot that now overlaps nothing but itself. */
	expect_ok(vm, SLOT(0, 0), 0, PAGE, max_bytes, hva, D_MOVE(vm));
	expect_err(vm, -EINVAL, SLOT(0, 0), 0, PAGE, max_bytes + PAGE, hva);
	expect_ok(vm, SLOT(0, 0), 0, 0, 0, 0, D_DELETE(vm));
	vmmu_vm_destroy(vm);
}

static void test_delete_nonexistent(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	uint8_t *mem = test_alloc_guest(16 * PAGE);
	uint64_t hva = (uint64_t)(uintptr_t)mem;

	expect_err(vm, -EINVAL, SLOT(0, 0), 0, 0, 0, 0);
	expect_err(vm, -EINVAL, SLOT(1, 0), 0, 0, 0, 0);
	expect_err(vm, -EINVAL, SLOT(0, 100), 0, 0x100000, 0, hva);
	expect_ok(vm, SLOT(0, 5), 0, 0x100000, 4 * PAGE, hva, D_CREATE(vm));
	/* Same id in the other AS does not exist. */
	expect_err(vm, -EINVAL, SLOT(1, 5), 0, 0x100000, 0, hva);
	/* DELETE ignores gpa, hva and (valid) flags of the request. */
	expect_ok(vm, SLOT(0, 5), VMMU_MEM_READONLY | VMMU_MEM_LOG_DIRTY_PAGES, 0x7000000, 0,
		  hva + 8 * PAGE, D_DELETE(vm));
	/* Deleting it again fails. */
	expect_err(vm, -EINVAL, SLOT(0, 5), 0, 0x100000, 0, hva);
	/* The id can be reused, with different parameters. */
	expect_ok(vm, SLOT(0, 5), VMMU_MEM_READONLY, 0x200000, 8 * PAGE, hva + 8 * PAGE,
		  D_CREATE(vm));
	expect_ok(vm, SLOT(0, 5), 0, 0, 0, 0, D_DELETE(vm));
	expect_err(vm, -EINVAL, SLOT(0, 5), 0, 0, 0, 0);
	munmap(mem, 16 * PAGE);
	vmmu_vm_destroy(vm);
}

static void test_modify_invalid(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	uint8_t *mem = test_alloc_guest(32 * PAGE);
	uint64_t hva = (uint64_t)(uintptr_t)mem;
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	const uint32_t RO = VMMU_MEM_READONLY, LD = VMMU_MEM_LOG_DIRTY_PAGES;

	fill_pattern(mem, 32 * PAGE, 0x1234);
	expect_ok(vm, SLOT(0, 1), 0, 0x100000, 4 * PAGE, hva, D_CREATE(vm));
	expect_ok(vm, SLOT(0, 2), RO, 0x200000, 4 * PAGE, hva + 8 * PAGE, D_CREATE(vm));

	/* hva changes, alone and with a move or a flag change. */
	expect_err(vm, -EINVAL, SLOT(0, 1), 0, 0x100000, 4 * PAGE, hva + PAGE);
	expect_err(vm, -EINVAL, SLOT(0, 1), 0, 0x100000, 4 * PAGE, hva + 16 * PAGE);
	expect_err(vm, -EINVAL, SLOT(0, 1), 0, 0x300000, 4 * PAGE, hva + PAGE);
	expect_err(vm, -EINVAL, SLOT(0, 1), LD, 0x100000, 4 * PAGE, hva + PAGE);
	/* Size changes, grow and shrink. */
	expect_err(vm, -EINVAL, SLOT(0, 1), 0, 0x100000, 5 * PAGE, hva);
	expect_err(vm, -EINVAL, SLOT(0, 1), 0, 0x100000, 3 * PAGE, hva);
	expect_err(vm, -EINVAL, SLOT(0, 1), 0, 0x300000, 3 * PAGE, hva);
	expect_err(vm, -EINVAL, SLOT(0, 1), LD, 0x100000, 5 * PAGE, hva);
	/* READONLY toggles, either way, alone or with other changes. */
	expect_err(vm, -EINVAL, SLOT(0, 1), RO, 0x100000, 4 * PAGE, hva);
	expect_err(vm, -EINVAL, SLOT(0, 1), RO | LD, 0x100000, 4 * PAGE, hva);
	expect_err(vm, -EINVAL, SLOT(0, 1), RO, 0x300000, 4 * PAGE, hva);
	expect_err(vm, -EINVAL, SLOT(0, 2), 0, 0x200000, 4 * PAGE, hva + 8 * PAGE);
	expect_err(vm, -EINVAL, SLOT(0, 2), LD, 0x200000, 4 * PAGE, hva + 8 * PAGE);
	expect_err(vm, -EINVAL, SLOT(0, 2), 0, 0x300000, 4 * PAGE, hva + 8 * PAGE);
	/* A modification of slot 1 that would also overlap slot 2: -EINVAL first. */
	expect_err(vm, -EINVAL, SLOT(0, 1), 0, 0x200000, 4 * PAGE, hva + PAGE);

	/* The slots are intact. */
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, 0x100000 + 3 * PAGE + 8),
		       *(uint64_t *)(mem + 3 * PAGE + 8));
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, 0x200000), *(uint64_t *)(mem + 8 * PAGE));
	expect_mmio_read(vcpu, 0x100000 + 4 * PAGE, 8);
	expect_mmio_write(vcpu, 0x200000 + 16, 0x1122334455667788ull, 8);
	/* The legal modifications still work. */
	expect_ok(vm, SLOT(0, 1), LD, 0x100000, 4 * PAGE, hva, D_FLAGS(vm));
	expect_ok(vm, SLOT(0, 2), RO | LD, 0x200000, 4 * PAGE, hva + 8 * PAGE, D_FLAGS(vm));
	vmmu_vcpu_destroy(vcpu);
	munmap(mem, 32 * PAGE);
	vmmu_vm_destroy(vm);
}

static void test_overlap(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	uint8_t *mem = test_alloc_guest(64 * PAGE);
	uint64_t hva = (uint64_t)(uintptr_t)mem;
	const uint64_t A = 0x100000, AS = 16 * PAGE;	/* slot 0: [A, A + 16 pages) */

	expect_ok(vm, SLOT(0, 0), 0, A, AS, hva, D_CREATE(vm));

	/* Every kind of intersection is -EEXIST ... */
	expect_err(vm, -EEXIST, SLOT(0, 1), 0, A, AS, hva);			/* equal */
	expect_err(vm, -EEXIST, SLOT(0, 1), 0, A - PAGE, 2 * PAGE, hva);	/* head */
	expect_err(vm, -EEXIST, SLOT(0, 1), 0, A + AS - PAGE, 2 * PAGE, hva);	/* tail */
	expect_err(vm, -EEXIST, SLOT(0, 1), 0, A + 4 * PAGE, PAGE, hva);	/* inside */
	expect_err(vm, -EEXIST, SLOT(0, 1), 0, A, PAGE, hva);			/* first */
	expect_err(vm, -EEXIST, SLOT(0, 1), 0, A + AS - PAGE, PAGE, hva);	/* last page */
	expect_err(vm, -EEXIST, SLOT(0, 1), 0, A - 4 * PAGE, AS + 8 * PAGE, hva); /* covers */
	/* ... the same hva in another slot is fine (only gpa ranges matter) ... */
	expect_ok(vm, SLOT(0, 1), 0, A - PAGE, PAGE, hva, D_CREATE(vm));	/* adjacent below */
	expect_ok(vm, SLOT(0, 2), 0, A + AS, PAGE, hva, D_CREATE(vm));		/* adj. above */
	/* ... and the other address space is unrelated. */
	expect_ok(vm, SLOT(1, 1), 0, A, AS, hva, D_CREATE(vm));
	expect_ok(vm, SLOT(1, 0), 0, A - 4 * PAGE, 4 * PAGE, hva, D_CREATE(vm));
	expect_err(vm, -EEXIST, SLOT(1, 2), 0, A + PAGE, PAGE, hva);

	/* MOVE onto another slot is -EEXIST ... */
	expect_err(vm, -EEXIST, SLOT(0, 2), 0, A + AS - PAGE, PAGE, hva);
	expect_err(vm, -EEXIST, SLOT(0, 1), 0, A, PAGE, hva);
	expect_err(vm, -EEXIST, SLOT(0, 0), 0, A - PAGE, AS, hva);
	/* ... a MOVE to free space is fine ... */
	expect_ok(vm, SLOT(0, 2), 0, A + AS + 8 * PAGE, PAGE, hva, D_MOVE(vm));
	/* ... and so is overlapping its own old range, either direction. */
	expect_ok(vm, SLOT(0, 0), 0, A + PAGE, AS, hva, D_MOVE(vm));
	expect_ok(vm, SLOT(0, 0), 0, A + 8 * PAGE, AS, hva, D_MOVE(vm));
	expect_ok(vm, SLOT(0, 0), 0, A + 7 * PAGE, AS, hva, D_MOVE(vm));
	/* Into the gap it left: slot 1 at A - PAGE may now grow a neighbour. */
	expect_ok(vm, SLOT(0, 3), 0, A, 7 * PAGE, hva, D_CREATE(vm));
	expect_err(vm, -EEXIST, SLOT(0, 4), 0, A + 6 * PAGE, PAGE, hva);
	/* A FLAGS_ONLY change never checks overlap (it cannot overlap). */
	expect_ok(vm, SLOT(0, 3), VMMU_MEM_LOG_DIRTY_PAGES, A, 7 * PAGE, hva, D_FLAGS(vm));
	/* After DELETE the range is free again. */
	expect_ok(vm, SLOT(0, 0), 0, 0, 0, 0, D_DELETE(vm));
	expect_ok(vm, SLOT(0, 4), 0, A + 7 * PAGE, AS, hva, D_CREATE(vm));
	munmap(mem, 64 * PAGE);
	vmmu_vm_destroy(vm);
}

/* The TDP reach (max_gpa_bits) is checked after the overlap check. */
static void test_max_gpa(void)
{
	struct vmmu_vm *vm = test_vm_new(.nr_address_spaces = 2, .max_gpa_bits = 32);
	uint8_t *mem = test_alloc_guest(16 * PAGE);
	uint64_t hva = (uint64_t)(uintptr_t)mem;
	const uint64_t top = 1ull << 32;

	/* The last gfn may be max_gfn itself. */
	expect_ok(vm, SLOT(0, 0), 0, top - 2 * PAGE, PAGE, hva, D_CREATE(vm));
	expect_ok(vm, SLOT(0, 1), 0, top - PAGE, PAGE, hva, D_CREATE(vm));
	expect_ok(vm, SLOT(1, 0), 0, top - 4 * PAGE, 4 * PAGE, hva, D_CREATE(vm));
	/* One page beyond. */
	expect_err(vm, -EINVAL, SLOT(0, 2), 0, top, PAGE, hva);
	expect_err(vm, -EINVAL, SLOT(1, 2), 0, top, 4 * PAGE, hva);
	expect_err(vm, -EINVAL, SLOT(0, 2), 0, 1ull << 40, PAGE, hva);
	expect_err(vm, -EINVAL, SLOT(0, 2), 0, 0xffffffffffffe000ull, PAGE, hva);
	/* Straddling the limit without overlap. */
	expect_ok(vm, SLOT(0, 1), 0, 0, 0, 0, D_DELETE(vm));
	expect_err(vm, -EINVAL, SLOT(0, 2), 0, top - PAGE, 2 * PAGE, hva);
	/* Overlapping AND beyond: the overlap check comes first, -EEXIST. */
	expect_err(vm, -EEXIST, SLOT(0, 2), 0, top - 2 * PAGE, 4 * PAGE, hva);
	expect_err(vm, -EEXIST, SLOT(1, 2), 0, top - PAGE, 2 * PAGE, hva);
	/* MOVE beyond the limit: -EINVAL; MOVE overlapping and beyond: -EEXIST. */
	expect_ok(vm, SLOT(0, 3), 0, 0x100000, 2 * PAGE, hva, D_CREATE(vm));
	expect_err(vm, -EINVAL, SLOT(0, 3), 0, top - PAGE, 2 * PAGE, hva);
	expect_err(vm, -EINVAL, SLOT(0, 3), 0, top, 2 * PAGE, hva);
	expect_err(vm, -EEXIST, SLOT(0, 3), 0, top - 2 * PAGE, 2 * PAGE, hva);
	expect_err(vm, -EEXIST, SLOT(0, 3), 0, top - 3 * PAGE, 2 * PAGE, hva);
	expect_ok(vm, SLOT(0, 1), 0, top - PAGE, PAGE, hva, D_CREATE(vm));
	expect_err(vm, -EEXIST, SLOT(0, 3), 0, top - PAGE, 2 * PAGE, hva);
	/* A CREATE that overlaps and goes beyond: -EEXIST as well. */
	expect_err(vm, -EEXIST, SLOT(0, 4), 0, top - 2 * PAGE, 4 * PAGE, hva);
	/* A FLAGS_ONLY change of a slot ending at the limit is fine. */
	expect_ok(vm, SLOT(0, 0), VMMU_MEM_LOG_DIRTY_PAGES, top - 2 * PAGE, PAGE, hva,
		  D_FLAGS(vm));
	vmmu_vm_destroy(vm);

	/* The default reach is 48 bits. */
	vm = test_vm_create(NULL);
	expect_ok(vm, SLOT(0, 0), 0, (1ull << 48) - PAGE, PAGE, hva, D_CREATE(vm));
	expect_err(vm, -EINVAL, SLOT(0, 1), 0, 1ull << 48, PAGE, hva);
	expect_err(vm, -EINVAL, SLOT(0, 1), 0, 1ull << 60, PAGE, hva);
	expect_err(vm, -EEXIST, SLOT(0, 1), 0, (1ull << 48) - PAGE, 2 * PAGE, hva + PAGE);
	expect_ok(vm, SLOT(0, 1), 0, (1ull << 48) - 16 * PAGE, 15 * PAGE, hva, D_CREATE(vm));
	vmmu_vm_destroy(vm);

	/* The widest reach, 52 bits (five-level table). */
	vm = test_vm_new(.nr_address_spaces = 2, .max_gpa_bits = 52);
	expect_ok(vm, SLOT(0, 0), 0, (1ull << 52) - PAGE, PAGE, hva, D_CREATE(vm));
	expect_ok(vm, SLOT(0, 1), 0, 1ull << 48, PAGE, hva, D_CREATE(vm));
	expect_err(vm, -EINVAL, SLOT(0, 2), 0, 1ull << 52, PAGE, hva);
	expect_err(vm, -EEXIST, SLOT(0, 2), 0, (1ull << 52) - PAGE, 2 * PAGE, hva);
	{
		struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);

		fill_pattern(mem, PAGE, 0x52);
		TEST_ASSERT_EQ(test_vcpu_read64(vcpu, (1ull << 52) - PAGE + 8),
			       *(uint64_t *)(mem + 8));
		TEST_ASSERT_EQ(test_vcpu_read64(vcpu, (1ull << 48) + 16), *(uint64_t *)(mem + 16));
		expect_mmio_read(vcpu, 1ull << 52, 8);
		expect_mmio_read(vcpu, (1ull << 52) - 2 * PAGE, 8);
		vmmu_vcpu_destroy(vcpu);
	}
	vmmu_vm_destroy(vm);
	munmap(mem, 16 * PAGE);
}

/* ------------------------------------------------------------------------ */
/* Change types and generations (KVM-SEMANTICS.md "Change types", "Generation arithmetic") */
/* ------------------------------------------------------------------------ */

static void test_gen_initial(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);

	TEST_ASSERT_EQ(gen(vm, 0), 0);
	TEST_ASSERT_EQ(gen(vm, 1), 1);
	TEST_ASSERT_EQ(gen(vm, 2), UINT64_MAX);
	TEST_ASSERT_EQ(gen(vm, UINT32_MAX), UINT64_MAX);
	vmmu_vm_destroy(vm);

	vm = test_vm_new(.nr_address_spaces = 2);
	TEST_ASSERT_EQ(gen(vm, 0), 0);
	TEST_ASSERT_EQ(gen(vm, 1), 1);
	vmmu_vm_destroy(vm);

	vm = test_vm_new(.nr_address_spaces = 1);
	TEST_ASSERT_EQ(gen(vm, 0), 0);
	TEST_ASSERT_EQ(gen(vm, 1), UINT64_MAX);
	TEST_ASSERT_EQ(gen(vm, 2), UINT64_MAX);
	vmmu_vm_destroy(vm);
}

/* One of each change type, in each AS, with exact generation checks. */
static void gen_arith_one(uint32_t nr_as)
{
	struct vmmu_vm *vm = test_vm_new(.nr_address_spaces = nr_as);
	uint8_t *mem = test_alloc_guest(16 * PAGE);
	uint64_t hva = (uint64_t)(uintptr_t)mem;
	uint64_t g[2] = { 0, 1 };
	uint64_t seen[64];
	unsigned int nseen = 0;

	for (uint32_t as = 0; as < nr_as; as++)
		TEST_ASSERT_EQ(gen(vm, as), g[as]);
	for (int round = 0; round < 3; round++) {
		for (uint32_t as = 0; as < nr_as; as++) {
			uint32_t s = SLOT(as, 7);

			/* CREATE, no-op, FLAGS_ONLY, no-op, FLAGS_ONLY: */
			expect_ok(vm, s, 0, 0x100000, 4 * PAGE, hva, nr_as);
			g[as] += nr_as;
			expect_ok(vm, s, 0, 0x100000, 4 * PAGE, hva, 0);
			expect_ok(vm, s, VMMU_MEM_LOG_DIRTY_PAGES, 0x100000, 4 * PAGE, hva, nr_as);
			g[as] += nr_as;
			expect_ok(vm, s, VMMU_MEM_LOG_DIRTY_PAGES, 0x100000, 4 * PAGE, hva, 0);
			expect_ok(vm, s, 0, 0x100000, 4 * PAGE, hva, nr_as);
			g[as] += nr_as;
			/* MOVE, two rejected calls, DELETE, a rejected DELETE: */
			expect_ok(vm, s, 0, 0x200000, 4 * PAGE, hva, 2 * nr_as);
			g[as] += 2 * nr_as;
			expect_err(vm, -EINVAL, s, 0, 0x200000, 5 * PAGE, hva);
			expect_err(vm, -EINVAL, s, 1u << 5, 0x200000, 4 * PAGE, hva);
			expect_ok(vm, s, 0, 0, 0, 0, 2 * nr_as);
			g[as] += 2 * nr_as;
			expect_err(vm, -EINVAL, s, 0, 0, 0, 0);
			for (uint32_t a = 0; a < nr_as; a++) {
				TEST_ASSERT_EQ(gen(vm, a), g[a]);
				TEST_ASSERT(nseen < 64, "seen[] overflow");
				seen[nseen++] = gen(vm, a);
			}
		}
	}
	/* No two (AS, generation) observations from different AS collide. */
	for (unsigned int i = 0; i < nseen; i++)
		for (unsigned int j = 0; j < nseen; j++)
			if (seen[i] % nr_as != seen[j] % nr_as)
				TEST_ASSERT(seen[i] != seen[j], "generation collision");
	/* 3 rounds per AS, each 3 x nr_as + 2 x 2 x nr_as. */
	for (uint32_t as = 0; as < nr_as; as++)
		TEST_ASSERT_EQ(gen(vm, as), as + 3ull * 7 * nr_as);
	munmap(mem, 16 * PAGE);
	vmmu_vm_destroy(vm);
}

static void test_gen_arith(void)
{
	gen_arith_one(2);
	gen_arith_one(1);
}

static void test_change_create(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	uint8_t *mem = test_alloc_guest(16 * PAGE);
	uint64_t hva = (uint64_t)(uintptr_t)mem;
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);

	fill_pattern(mem, 16 * PAGE, 0xc0ffee);
	/* Touch it first: an MMIO SPTE / MMIO cache entry must not survive CREATE. */
	expect_mmio_read(vcpu, 0x100000 + 8, 8);
	expect_mmio_read(vcpu, 0x100000 + 8, 8);
	expect_ok(vm, SLOT(0, 0), 0, 0x100000, 16 * PAGE, hva, D_CREATE(vm));
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, 0x100000 + 8), *(uint64_t *)(mem + 8));
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, 0x100000 + 15 * PAGE + 4088),
		       *(uint64_t *)(mem + 15 * PAGE + 4088));
	/* A CREATE in AS1 does not appear in AS0. */
	expect_mmio_read(vcpu, 0x400000, 4);
	expect_ok(vm, SLOT(1, 0), 0, 0x400000, PAGE, hva, D_CREATE(vm));
	expect_mmio_read(vcpu, 0x400000, 4);
	TEST_ASSERT_EQ(vmmu_vcpu_set_address_space(vcpu, 1), 0);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, 0x400000), *(uint64_t *)mem);
	expect_mmio_read(vcpu, 0x100000, 8);
	TEST_ASSERT_EQ(vmmu_vcpu_set_address_space(vcpu, 2), -EINVAL);
	TEST_ASSERT_EQ(vmmu_vcpu_set_address_space(vcpu, 0), 0);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, 0x100000), *(uint64_t *)mem);
	vmmu_vcpu_destroy(vcpu);
	munmap(mem, 16 * PAGE);
	vmmu_vm_destroy(vm);
}

static void test_change_delete(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	uint8_t *mem = test_alloc_guest(16 * PAGE);
	uint64_t hva = (uint64_t)(uintptr_t)mem;
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	uint64_t v;

	fill_pattern(mem, 16 * PAGE, 0xde1e7e);
	expect_ok(vm, SLOT(0, 3), 0, 0x100000, 16 * PAGE, hva, D_CREATE(vm));
	/* Populate the translation (and the vCPU's TLB). */
	for (int i = 0; i < 16; i++)
		TEST_ASSERT_EQ(test_vcpu_read64(vcpu, 0x100000 + i * PAGE),
			       *(uint64_t *)(mem + i * PAGE));
	expect_ok(vm, SLOT(0, 3), 0, 0x100000, 0, hva, D_DELETE(vm));
	for (int i = 0; i < 16; i++) {
		expect_mmio_read(vcpu, 0x100000 + i * PAGE, 8);
		expect_mmio_write(vcpu, 0x100000 + i * PAGE, 0xabcdef, 4);
		TEST_ASSERT_EQ(vmmu_vcpu_read_guest(vcpu, 0x100000 + i * PAGE, &v, 8), -EFAULT);
		TEST_ASSERT_EQ(vmmu_vcpu_write_guest(vcpu, 0x100000 + i * PAGE, &v, 8), -EFAULT);
	}
	/* The MMIO exits did not reach host memory. */
	TEST_ASSERT_EQ(*(uint64_t *)mem, (uint64_t)(uintptr_t)mem ^ 0xde1e7e);
	/* Recreate: RAM again (no stale MMIO SPTE). */
	expect_ok(vm, SLOT(0, 3), 0, 0x100000, 16 * PAGE, hva, D_CREATE(vm));
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, 0x100000 + 5 * PAGE), *(uint64_t *)(mem + 5 * PAGE));
	vmmu_vcpu_destroy(vcpu);
	munmap(mem, 16 * PAGE);
	vmmu_vm_destroy(vm);
}

static void test_change_move(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	uint8_t *mem = test_alloc_guest(8 * PAGE);
	uint64_t hva = (uint64_t)(uintptr_t)mem;
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	const uint64_t A = 0xc0000000, B = 0xc0000000 - PAGE, C = 0x10000000;
	uint8_t buf[8 * PAGE];

	fill_pattern(mem, 8 * PAGE, 0x0123);
	expect_ok(vm, SLOT(0, 10), 0, A, 8 * PAGE, hva, D_CREATE(vm));
	for (int i = 0; i < 8; i++)
		TEST_ASSERT_EQ(test_vcpu_read64(vcpu, A + i * PAGE + 64),
			       *(uint64_t *)(mem + i * PAGE + 64));
	/* As set_memory_region_test: move down by one page. */
	expect_ok(vm, SLOT(0, 10), 0, B, 8 * PAGE, hva, D_MOVE(vm));
	for (int i = 0; i < 8; i++)
		TEST_ASSERT_EQ(test_vcpu_read64(vcpu, B + i * PAGE + 64),
			       *(uint64_t *)(mem + i * PAGE + 64));
	expect_mmio_read(vcpu, A + 7 * PAGE, 8);
	TEST_ASSERT_EQ(vmmu_vcpu_read_guest(vcpu, B, buf, sizeof(buf)), 0);
	TEST_ASSERT(memcmp(buf, mem, sizeof(buf)) == 0, "read_guest after MOVE");
	/* Far away; writes through the new gpa land in the same host memory. */
	expect_ok(vm, SLOT(0, 10), 0, C, 8 * PAGE, hva, D_MOVE(vm));
	expect_mmio_read(vcpu, A, 8);
	expect_mmio_read(vcpu, B, 8);
	{
		uint64_t val = 0x5555aaaa5555aaaaull;
		struct vmmu_exit ex;

		TEST_ASSERT_EQ(vmmu_vcpu_access(vcpu, C + 3 * PAGE, &val, 8, VMMU_ACCESS_WRITE,
						&ex), 0);
		TEST_ASSERT_EQ(*(uint64_t *)(mem + 3 * PAGE), val);
	}
	/* And back. */
	expect_ok(vm, SLOT(0, 10), 0, A, 8 * PAGE, hva, D_MOVE(vm));
	expect_mmio_read(vcpu, C, 8);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, A + 3 * PAGE), 0x5555aaaa5555aaaaull);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, A), *(uint64_t *)mem);
	vmmu_vcpu_destroy(vcpu);
	munmap(mem, 8 * PAGE);
	vmmu_vm_destroy(vm);
}

static void test_change_flags_only(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	uint8_t *mem = test_alloc_guest(8 * PAGE);
	uint64_t hva = (uint64_t)(uintptr_t)mem;
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	const uint32_t LD = VMMU_MEM_LOG_DIRTY_PAGES;
	struct vmmu_exit ex;
	uint64_t v = 7;

	fill_pattern(mem, 8 * PAGE, 0xf1a9);
	expect_ok(vm, SLOT(1, 4), 0, 0x100000, 8 * PAGE, hva, D_CREATE(vm));
	TEST_ASSERT_EQ(vmmu_vcpu_set_address_space(vcpu, 1), 0);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, 0x100000), *(uint64_t *)mem);
	TEST_ASSERT_EQ(vmmu_vcpu_access(vcpu, 0x100000 + PAGE, &v, 8, VMMU_ACCESS_WRITE, &ex), 0);
	for (int i = 0; i < 4; i++) {
		uint32_t f = (i & 1) ? 0 : LD;

		expect_ok(vm, SLOT(1, 4), f, 0x100000, 8 * PAGE, hva, D_FLAGS(vm));
		/* Same flags again: no-op. */
		expect_ok(vm, SLOT(1, 4), f, 0x100000, 8 * PAGE, hva, 0);
		/* Memory stays reachable and writable. */
		TEST_ASSERT_EQ(test_vcpu_read64(vcpu, 0x100000 + PAGE), 7 + i);
		v = 8 + i;
		TEST_ASSERT_EQ(vmmu_vcpu_access(vcpu, 0x100000 + PAGE, &v, 8, VMMU_ACCESS_WRITE,
						&ex), 0);
		TEST_ASSERT_EQ(*(uint64_t *)(mem + PAGE), 8 + i);
		TEST_ASSERT_EQ(vmmu_vcpu_write_guest(vcpu, 0x100000 + 2 * PAGE, &v, 8), 0);
		TEST_ASSERT_EQ(*(uint64_t *)(mem + 2 * PAGE), 8 + i);
	}
	/* LOG_DIRTY on a READONLY slot is a FLAGS_ONLY change as well. */
	expect_ok(vm, SLOT(1, 5), VMMU_MEM_READONLY, 0x200000, PAGE, hva, D_CREATE(vm));
	expect_ok(vm, SLOT(1, 5), VMMU_MEM_READONLY | LD, 0x200000, PAGE, hva, D_FLAGS(vm));
	expect_ok(vm, SLOT(1, 5), VMMU_MEM_READONLY | LD, 0x200000, PAGE, hva, 0);
	expect_ok(vm, SLOT(1, 5), VMMU_MEM_READONLY, 0x200000, PAGE, hva, D_FLAGS(vm));
	vmmu_vcpu_destroy(vcpu);
	munmap(mem, 8 * PAGE);
	vmmu_vm_destroy(vm);
}

static void test_change_noop(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	uint8_t *mem = test_alloc_guest(8 * PAGE);
	uint64_t hva = (uint64_t)(uintptr_t)mem;
	struct vmmu_stats st0, st1;
	const uint32_t flags[] = { 0, VMMU_MEM_LOG_DIRTY_PAGES, VMMU_MEM_READONLY,
				   VMMU_MEM_READONLY | VMMU_MEM_LOG_DIRTY_PAGES };

	for (uint32_t i = 0; i < 4; i++) {
		expect_ok(vm, SLOT(i & 1, i), flags[i], 0x100000 + i * 0x100000, 8 * PAGE, hva,
			  D_CREATE(vm));
		st0 = test_vm_stats(vm);
		for (int k = 0; k < 5; k++)
			expect_ok(vm, SLOT(i & 1, i), flags[i], 0x100000 + i * 0x100000,
				  8 * PAGE, hva, 0);
		st1 = test_vm_stats(vm);
		TEST_ASSERT_EQ(st1.memslot_swaps, st0.memslot_swaps);
	}
	munmap(mem, 8 * PAGE);
	vmmu_vm_destroy(vm);
}

/* ------------------------------------------------------------------------ */
/* set_memory_region_test: add max memory regions                             */
/* ------------------------------------------------------------------------ */

static void test_add_max_memory_regions(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	struct vmmu_vm_config cfg = { .size = sizeof(cfg) };
	uint32_t max;
	size_t total;
	uint8_t *mem;
	struct vmmu_vcpu *vcpu;
	double t0, t1;

	TEST_ASSERT_EQ(vmmu_vm_get_config(vm, &cfg), 0);
	max = cfg.max_user_slots;
	TEST_ASSERT(max > 0, "KVM_CAP_NR_MEMSLOTS analogue must be > 0");
	TEST_ASSERT_EQ(max, VMMU_DEFAULT_USER_MEM_SLOTS);
	total = (size_t)max * SZ_2M;
	mem = test_alloc_guest(total);

	t0 = test_now();
	for (uint32_t s = 0; s < max; s++) {
		int r = test_set_region(vm, SLOT(0, s), 0, (uint64_t)s * SZ_2M, SZ_2M,
				   (uint64_t)(uintptr_t)mem + (uint64_t)s * SZ_2M);

		TEST_ASSERT(r == 0, "slot %u: %d (%s)", s, r, vmmu_strerror(r));
	}
	t1 = test_now();
	TEST_ASSERT_EQ(gen(vm, 0), 2ull * max);
	TEST_ASSERT_EQ(gen(vm, 1), 1);
	/* One more: -EINVAL, not -ENOSPC. */
	expect_err(vm, -EINVAL, SLOT(0, max), 0, (uint64_t)max * SZ_2M, SZ_2M,
		   (uint64_t)(uintptr_t)mem);
	/* The other AS is independent and has the same limit. */
	expect_ok(vm, SLOT(1, max - 1), 0, 0, SZ_2M, (uint64_t)(uintptr_t)mem, D_CREATE(vm));
	expect_err(vm, -EINVAL, SLOT(1, max), 0, SZ_2M, SZ_2M, (uint64_t)(uintptr_t)mem);
	/* The AS0 slots tile [0, max * 2 MiB): moving one onto a neighbour fails. */
	expect_err(vm, -EEXIST, SLOT(0, 0), 0, SZ_2M / 2, SZ_2M, (uint64_t)(uintptr_t)mem);

	/* Spot-check lookups across the whole set. */
	vcpu = test_vcpu_create(vm, 0);
	for (uint32_t s = 0; s < max; s += 997) {
		uint8_t *host = mem + (size_t)s * SZ_2M + 4096 * 3;
		uint64_t v = ((uint64_t)s << 32) | 0xa11;

		memcpy(host, &v, 8);
		TEST_ASSERT_EQ(test_vcpu_read64(vcpu, (uint64_t)s * SZ_2M + 4096 * 3), v);
	}
	expect_mmio_read(vcpu, (uint64_t)max * SZ_2M, 8);
	/* Delete from the middle, then the hole exits MMIO. */
	expect_ok(vm, SLOT(0, max / 2), 0, 0, 0, 0, D_DELETE(vm));
	expect_mmio_read(vcpu, (uint64_t)(max / 2) * SZ_2M + 16, 8);
	vmmu_vcpu_destroy(vcpu);

	printf("# add_max_memory_regions: %u slots created in %.3f s (%.1f us/slot)\n",
	       max, t1 - t0, (t1 - t0) * 1e6 / max);
	vmmu_vm_destroy(vm);
	munmap(mem, total);
}

/* ------------------------------------------------------------------------ */
/* Guest-visible data                                                        */
/* ------------------------------------------------------------------------ */

static void test_ram_access(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	uint8_t *mem = test_alloc_guest(16 * PAGE);
	uint64_t hva = (uint64_t)(uintptr_t)mem;
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	uint8_t buf[3 * PAGE], buf2[3 * PAGE];
	struct vmmu_exit ex;

	/* Two adjacent slots with non-adjacent host memory, then a hole. */
	expect_ok(vm, SLOT(0, 0), 0, 0x100000, 4 * PAGE, hva + 8 * PAGE, D_CREATE(vm));
	expect_ok(vm, SLOT(0, 1), 0, 0x100000 + 4 * PAGE, 2 * PAGE, hva, D_CREATE(vm));

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	/* Write across the slot boundary. */
	TEST_ASSERT_EQ(vmmu_vcpu_write_guest(vcpu, 0x100000 + 2 * PAGE + 100, buf, sizeof(buf)), 0);
	TEST_ASSERT(memcmp(mem + 10 * PAGE + 100, buf, 2 * PAGE - 100) == 0, "slot 0 part");
	TEST_ASSERT(memcmp(mem, buf + 2 * PAGE - 100, PAGE + 100) == 0, "slot 1 part");
	memset(buf2, 0, sizeof(buf2));
	TEST_ASSERT_EQ(vmmu_vcpu_read_guest(vcpu, 0x100000 + 2 * PAGE + 100, buf2, sizeof(buf2)),
		       0);
	TEST_ASSERT(memcmp(buf, buf2, sizeof(buf)) == 0, "read_guest round trip");
	/* Into the hole after slot 1: -EFAULT. */
	TEST_ASSERT_EQ(vmmu_vcpu_read_guest(vcpu, 0x100000 + 5 * PAGE, buf2, 2 * PAGE), -EFAULT);
	TEST_ASSERT_EQ(vmmu_vcpu_write_guest(vcpu, 0x100000 + 6 * PAGE - 4, buf, 8), -EFAULT);
	TEST_ASSERT_EQ(vmmu_vcpu_read_guest(vcpu, 0x100000 - 8, buf2, 16), -EFAULT);
	/* Zero-length and NULL arguments. */
	TEST_ASSERT_EQ(vmmu_vcpu_read_guest(vcpu, 0x100000, buf2, 0), 0);
	TEST_ASSERT_EQ(vmmu_vcpu_read_guest(NULL, 0x100000, buf2, 8), -EINVAL);
	TEST_ASSERT_EQ(vmmu_vcpu_read_guest(vcpu, 0x100000, NULL, 8), -EINVAL);

	/* vmmu_vcpu_access of every size, reads and writes, both slots. */
	for (uint32_t len = 1; len <= 8; len++) {
		uint64_t gpa = 0x100000 + 3 * PAGE + 200 + len * 16;
		uint8_t *host = mem + 11 * PAGE + 200 + len * 16;
		uint64_t v = 0, w = 0x0807060504030201ull * len;

		TEST_ASSERT_EQ(vmmu_vcpu_access(vcpu, gpa, &v, len, 0, &ex), 0);
		TEST_ASSERT(memcmp(&v, host, len) == 0, "access read len %u", len);
		TEST_ASSERT_EQ(vmmu_vcpu_access(vcpu, gpa, &w, len, VMMU_ACCESS_WRITE, &ex), 0);
		TEST_ASSERT(memcmp(&w, host, len) == 0, "access write len %u", len);
		TEST_ASSERT_EQ(vmmu_vcpu_access(vcpu, gpa, &v, len, VMMU_ACCESS_FETCH, &ex), 0);
		TEST_ASSERT(memcmp(&v, host, len) == 0, "access fetch len %u", len);
	}
	/* Host writes are visible to the guest and vice versa. */
	*(uint64_t *)(mem + PAGE + 8) = 0xfeedfacecafebeefull;
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, 0x100000 + 5 * PAGE + 8), 0xfeedfacecafebeefull);
	/* Bad accesses. */
	TEST_ASSERT_EQ(vmmu_vcpu_access(vcpu, 0x100000, buf, 0, 0, &ex), -EINVAL);
	TEST_ASSERT_EQ(vmmu_vcpu_access(vcpu, 0x100000, buf, 9, 0, &ex), -EINVAL);
	TEST_ASSERT_EQ(vmmu_vcpu_access(vcpu, 0x100000 + PAGE - 4, buf, 8, 0, &ex), -EINVAL);
	vmmu_vcpu_destroy(vcpu);
	munmap(mem, 16 * PAGE);
	vmmu_vm_destroy(vm);
}

static void test_readonly(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	uint8_t *mem = test_alloc_guest(4 * PAGE);
	uint64_t hva = (uint64_t)(uintptr_t)mem;
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	uint64_t v = 0x1122334455667788ull, snap;

	fill_pattern(mem, 4 * PAGE, 0x5eed);
	snap = *(uint64_t *)(mem + PAGE + 24);
	expect_ok(vm, SLOT(0, 2), VMMU_MEM_READONLY, 0x300000, 4 * PAGE, hva, D_CREATE(vm));
	/* Reads are RAM. */
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, 0x300000 + PAGE + 24), snap);
	TEST_ASSERT_EQ(vmmu_vcpu_read_guest(vcpu, 0x300000 + PAGE + 24, &v, 8), 0);
	TEST_ASSERT_EQ(v, snap);
	/* Writes exit MMIO (after a read mapped the page, and on a fresh page). */
	for (int k = 0; k < 2; k++) {
		expect_mmio_write(vcpu, 0x300000 + PAGE + 24, 0x1122334455667788ull, 8);
		expect_mmio_write(vcpu, 0x300000 + 3 * PAGE + 1, 0xa1b2, 2);
	}
	TEST_ASSERT_EQ(*(uint64_t *)(mem + PAGE + 24), snap);
	/* kvm_vcpu_write_guest to a READONLY slot: -EFAULT, memory untouched. */
	v = 42;
	TEST_ASSERT_EQ(vmmu_vcpu_write_guest(vcpu, 0x300000 + PAGE + 24, &v, 8), -EFAULT);
	TEST_ASSERT_EQ(*(uint64_t *)(mem + PAGE + 24), snap);
	/* Still readable after the failed writes; and with dirty logging on. */
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, 0x300000 + PAGE + 24), snap);
	expect_ok(vm, SLOT(0, 2), VMMU_MEM_READONLY | VMMU_MEM_LOG_DIRTY_PAGES, 0x300000,
		  4 * PAGE, hva, D_FLAGS(vm));
	expect_mmio_write(vcpu, 0x300000, 1, 1);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, 0x300000 + PAGE + 24), snap);
	/* Moved, still read-only. */
	expect_ok(vm, SLOT(0, 2), VMMU_MEM_READONLY | VMMU_MEM_LOG_DIRTY_PAGES, 0x500000,
		  4 * PAGE, hva, D_MOVE(vm));
	expect_mmio_write(vcpu, 0x500000 + PAGE + 24, 3, 4);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, 0x500000 + PAGE + 24), snap);
	vmmu_vcpu_destroy(vcpu);
	munmap(mem, 4 * PAGE);
	vmmu_vm_destroy(vm);
}

static void test_mmio_noslot(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	uint8_t *mem = test_alloc_guest(4 * PAGE);
	uint64_t hva = (uint64_t)(uintptr_t)mem;
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	uint64_t v;

	/* An empty VM: everything is MMIO, repeatedly (MMIO SPTE, then caches). */
	for (int k = 0; k < 3; k++) {
		for (uint32_t len = 1; len <= 8; len *= 2) {
			expect_mmio_read(vcpu, 0xfee00000 + len * 8, len);
			expect_mmio_write(vcpu, 0xfee00000 + len * 8, 0x0102030405060708ull, len);
		}
		expect_mmio_read(vcpu, 0, 1);
		expect_mmio_read(vcpu, (1ull << 48) - 8, 8);	/* last gfn of the TDP */
		expect_mmio_read(vcpu, 1ull << 48, 8);		/* beyond it */
		expect_mmio_write(vcpu, 0xffffffffffff0000ull, 0x99, 1);
		expect_mmio_read(vcpu, 0x100003, 3);		/* unaligned is fine */
	}
	TEST_ASSERT_EQ(vmmu_vcpu_read_guest(vcpu, 0xfee00000, &v, 8), -EFAULT);
	TEST_ASSERT_EQ(vmmu_vcpu_write_guest(vcpu, 0xfee00000, &v, 8), -EFAULT);
	/* A slot elsewhere changes nothing here; a slot here turns it into RAM. */
	expect_ok(vm, SLOT(0, 0), 0, 0x100000, PAGE, hva, D_CREATE(vm));
	expect_mmio_read(vcpu, 0xfee00000 + 8, 1);
	expect_ok(vm, SLOT(0, 1), 0, 0xfee00000, PAGE, hva + PAGE, D_CREATE(vm));
	*(uint64_t *)(mem + PAGE + 64) = 0x4242424242424242ull;
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, 0xfee00000 + 64), 0x4242424242424242ull);
	/* An AS1 vCPU still sees MMIO there. */
	TEST_ASSERT_EQ(vmmu_vcpu_set_address_space(vcpu, 1), 0);
	expect_mmio_read(vcpu, 0xfee00000 + 64, 8);
	vmmu_vcpu_destroy(vcpu);
	munmap(mem, 4 * PAGE);
	vmmu_vm_destroy(vm);
}

/* DELETE and MOVE, many times, with the MMIO caches hot on both sides. */
static void test_visibility_cycles(void)
{
	struct vmmu_vm *vm = test_vm_new(.mmio_gen_bits = 2);
	uint8_t *mem = test_alloc_guest(2 * PAGE);
	uint64_t hva = (uint64_t)(uintptr_t)mem;
	struct vmmu_vcpu *vcpu;
	uint64_t g0;

	vcpu = test_vcpu_create(vm, 3);
	fill_pattern(mem, 2 * PAGE, 0x77);
	g0 = gen(vm, 0);
	for (int i = 0; i < 64; i++) {
		uint64_t a = 0x100000 + (i % 3) * 0x10000, b = 0x100000 + ((i + 1) % 3) * 0x10000;

		expect_ok(vm, SLOT(0, 0), 0, a, 2 * PAGE, hva, D_CREATE(vm));
		TEST_ASSERT_EQ(test_vcpu_read64(vcpu, a + PAGE), *(uint64_t *)(mem + PAGE));
		expect_mmio_read(vcpu, b + PAGE, 8);
		expect_ok(vm, SLOT(0, 0), 0, b, 2 * PAGE, hva, D_MOVE(vm));
		TEST_ASSERT_EQ(test_vcpu_read64(vcpu, b + PAGE), *(uint64_t *)(mem + PAGE));
		expect_mmio_read(vcpu, a + PAGE, 8);
		expect_ok(vm, SLOT(0, 0), 0, 0, 0, 0, D_DELETE(vm));
		expect_mmio_read(vcpu, b + PAGE, 8);
		expect_mmio_read(vcpu, a + PAGE, 8);
	}
	TEST_ASSERT_EQ(gen(vm, 0), g0 + 64 * 5 * 2ull);
	vmmu_vcpu_destroy(vcpu);
	munmap(mem, 2 * PAGE);
	vmmu_vm_destroy(vm);
}

/* ------------------------------------------------------------------------ */

static const struct test_case cases[] = {
	{ "vm_config", test_vm_config },
	{ "null_args", test_null_args },
	{ "invalid_memory_region_flags", test_invalid_memory_region_flags },
	{ "size_unaligned", test_size_unaligned },
	{ "gpa_unaligned", test_gpa_unaligned },
	{ "hva_unaligned", test_hva_unaligned },
	{ "hva_range", test_hva_range },
	{ "as_id", test_as_id },
	{ "slot_id", test_slot_id },
	{ "gpa_wrap", test_gpa_wrap },
	{ "npages_max", test_npages_max },
	{ "delete_nonexistent", test_delete_nonexistent },
	{ "modify_invalid", test_modify_invalid },
	{ "overlap", test_overlap },
	{ "max_gpa", test_max_gpa },
	{ "gen_initial", test_gen_initial },
	{ "gen_arith", test_gen_arith },
	{ "change_create", test_change_create },
	{ "change_delete", test_change_delete },
	{ "change_move", test_change_move },
	{ "change_flags_only", test_change_flags_only },
	{ "change_noop", test_change_noop },
	{ "add_max_memory_regions", test_add_max_memory_regions },
	{ "ram_access", test_ram_access },
	{ "readonly", test_readonly },
	{ "mmio_noslot", test_mmio_noslot },
	{ "visibility_cycles", test_visibility_cycles },
};

TEST_CASES_MAIN(cases)
