// SPDX-License-Identifier: MIT
/*
 * The size-tagged structs of include/vmmu.h (struct vmmu_vm_config, struct
 * vmmu_stats): a program built against older or newer headers than the
 * library's is served the fields both know, with copy_struct_from_user()'s
 * rules for the bytes only one side knows.
 */
#include <errno.h>
#include <string.h>

#include "vmmu.h"
#include "test_util.h"

/* A newer program's config: this library's layout plus fields it does not know. */
struct newer_config {
	struct vmmu_vm_config known;
	uint32_t future[3];
};

static void test_config_in(void)
{
	struct vmmu_vm_config c = { .size = sizeof(c), .nr_address_spaces = 1 }, got;
	struct newer_config n = { .known = { .size = sizeof(n), .mmio_gen_bits = 3 } };
	struct vmmu_vm *vm;

	/* size 0: the first size-tagged layout */
	c.size = 0;
	TEST_ASSERT_EQ(vmmu_vm_create(&c, &vm), 0);
	vmmu_vm_destroy(vm);
	/* its own size */
	c.size = sizeof(c);
	TEST_ASSERT_EQ(vmmu_vm_create(&c, &vm), 0);
	memset(&got, 0xff, sizeof(got));
	got.size = sizeof(got);
	TEST_ASSERT_EQ(vmmu_vm_get_config(vm, &got), 0);
	TEST_ASSERT_EQ(got.size, sizeof(got));
	TEST_ASSERT_EQ(got.nr_address_spaces, 1);
	TEST_ASSERT_EQ(got.max_user_slots, VMMU_DEFAULT_USER_MEM_SLOTS);
	vmmu_vm_destroy(vm);

	/* below the first layout, or absurdly large */
	vm = NULL;
	for (uint32_t sz = 1; sz < VMMU_VM_CONFIG_SIZE_VER0; sz++) {
		c.size = sz;
		TEST_ASSERT_EQ(vmmu_vm_create(&c, &vm), -EINVAL);
	}
	c.size = 4097;
	TEST_ASSERT_EQ(vmmu_vm_create(&c, &vm), -E2BIG);
	TEST_ASSERT(vm == NULL, "a failed create wrote *vmp");

	/* a newer program: unknown fields zero -> accepted; any byte set -> -E2BIG */
	TEST_ASSERT_EQ(vmmu_vm_create(&n.known, &vm), 0);
	got.size = 0;
	TEST_ASSERT_EQ(vmmu_vm_get_config(vm, &got), 0);
	TEST_ASSERT_EQ(got.mmio_gen_bits, 3);
	TEST_ASSERT_EQ(got.size, VMMU_VM_CONFIG_SIZE_VER0);
	vmmu_vm_destroy(vm);
	for (size_t i = 0; i < sizeof(n.future); i++) {
		vm = NULL;
		memset(n.future, 0, sizeof(n.future));
		((unsigned char *)n.future)[i] = 1;
		TEST_ASSERT_EQ(vmmu_vm_create(&n.known, &vm), -E2BIG);
		TEST_ASSERT(vm == NULL, "a failed create wrote *vmp");
	}
}

/* A newer program's stats: this library's layout plus counters it does not know. */
struct newer_stats {
	struct vmmu_stats known;
	uint64_t future[4];
};

static void test_stats_out(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	struct newer_stats n;
	struct vmmu_stats s;

	memset(&n, 0xa5, sizeof(n));
	n.known.size = sizeof(n);
	TEST_ASSERT_EQ(vmmu_vm_get_stats(vm, &n.known), 0);
	TEST_ASSERT_EQ(n.known.size, sizeof(n.known));
	TEST_ASSERT_EQ(n.known.memslot_updates, 0);
	TEST_ASSERT_EQ(n.known.page_table_cap, 4096);
	for (size_t i = 0; i < 4; i++)
		TEST_ASSERT_EQ(n.future[i], 0xa5a5a5a5a5a5a5a5ull);

	memset(&s, 0xa5, sizeof(s));
	s.size = 0;
	TEST_ASSERT_EQ(vmmu_vm_get_stats(vm, &s), 0);
	TEST_ASSERT_EQ(s.size, VMMU_STATS_SIZE_VER0);
	TEST_ASSERT_EQ(s.tlb_fills, 0);
	s.size = 7;
	TEST_ASSERT_EQ(vmmu_vm_get_stats(vm, &s), -EINVAL);
	TEST_ASSERT_EQ(s.size, 7);
	s.size = 1u << 20;
	TEST_ASSERT_EQ(vmmu_vm_get_stats(vm, &s), -E2BIG);
	vmmu_vm_destroy(vm);
}

int main(void)
{
	test_config_in();
	test_stats_out();
	printf("test_sized: ok\n");
	return 0;
}
