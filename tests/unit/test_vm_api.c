/* SPDX-License-Identifier: MIT */
/*
 * The VM-level calls a device model uses: vmmu_vm_read_guest/write_guest
 * (crossing slots, holes, READONLY, dirty logging, argument errors),
 * vmmu_vm_find_slot/get_slots (lookup, order, -ENOSPC, address spaces),
 * the log callback and the per-thread last error.
 */
#include <pthread.h>

#include <vmmu.h>

#include "../test_util.h"

#define PAGE	VMMU_PAGE_SIZE
#define GPA	0x100000ull

/* The 8 bytes at @p, whatever its alignment. */
static uint64_t u64_at(const void *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static void test_rw(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	uint8_t *mem = test_alloc_guest(8 * PAGE), buf[3 * PAGE], out[4 * PAGE];
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	uint64_t bm;

	/* Slots 0 and 1 back-to-back in gpa over distant host pages; slot 2 READONLY. */
	TEST_SET_REGION_OK(vm, 0, VMMU_MEM_LOG_DIRTY_PAGES, GPA, 2 * PAGE, mem + 4 * PAGE);
	TEST_SET_REGION_OK(vm, 1, VMMU_MEM_LOG_DIRTY_PAGES, GPA + 2 * PAGE, 2 * PAGE, mem);
	TEST_SET_REGION_OK(vm, 2, VMMU_MEM_READONLY, GPA + 8 * PAGE, PAGE, mem + 6 * PAGE);
	TEST_SET_REGION_OK(vm, SLOT(1, 0), 0, GPA, PAGE, mem + 7 * PAGE);

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 1);
	/* A write from the middle of slot 0's page 1 into slot 1's page 1, crossing slots. */
	TEST_ASSERT_EQ(vmmu_vm_write_guest(vm, 0, GPA + PAGE + 100, buf, 2 * PAGE), 0);
	TEST_ASSERT(!memcmp(mem + 5 * PAGE + 100, buf, PAGE - 100), "slot 0 part");
	TEST_ASSERT(!memcmp(mem, buf + PAGE - 100, PAGE), "slot 1 page 0");
	TEST_ASSERT(!memcmp(mem + PAGE, buf + 2 * PAGE - 100, 100), "slot 1 page 1");
	memset(out, 0, sizeof(out));
	TEST_ASSERT_EQ(vmmu_vm_read_guest(vm, 0, GPA + PAGE + 100, out, 2 * PAGE), 0);
	TEST_ASSERT(!memcmp(out, buf, 2 * PAGE), "read back");
	/* What a vCPU reads agrees. */
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, GPA + 2 * PAGE), u64_at(buf + PAGE - 100));

	/* Dirty bits: slot 0 page 1, slot 1 pages 0 and 1. */
	bm = 0;
	TEST_ASSERT_EQ(vmmu_get_dirty_log(vm, 0, &bm), 0);
	TEST_ASSERT_EQ(bm, 2);
	bm = 0;
	TEST_ASSERT_EQ(vmmu_get_dirty_log(vm, 1, &bm), 0);
	TEST_ASSERT_EQ(bm, 3);
	/* A read marks nothing. */
	TEST_ASSERT_EQ(vmmu_vm_read_guest(vm, 0, GPA, out, 4 * PAGE), 0);
	TEST_ASSERT_EQ(vmmu_get_dirty_log(vm, 0, &bm), 0);
	TEST_ASSERT_EQ(bm, 0);

	/* Holes: any byte without a slot gives -EFAULT. */
	TEST_ASSERT_EQ(vmmu_vm_read_guest(vm, 0, GPA + 4 * PAGE - 8, out, 16), -EFAULT);
	TEST_ASSERT_EQ(vmmu_vm_read_guest(vm, 0, GPA - 1, out, 2), -EFAULT);
	TEST_ASSERT_EQ(vmmu_vm_write_guest(vm, 0, 0xfee00000, buf, 4), -EFAULT);
	TEST_ASSERT_EQ(vmmu_vm_read_guest(vm, 0, UINT64_MAX - 3, out, 8), -EFAULT);
	/* READONLY: readable, not writable. */
	test_guest_store64(mem + 6 * PAGE, 0x1234);
	TEST_ASSERT_EQ(vmmu_vm_read_guest(vm, 0, GPA + 8 * PAGE, out, 8), 0);
	TEST_ASSERT_EQ(u64_at(out), 0x1234);
	TEST_ASSERT_EQ(vmmu_vm_write_guest(vm, 0, GPA + 8 * PAGE, buf, 8), -EFAULT);
	/* Address space 1 resolves in its own map. */
	test_guest_store64(mem + 7 * PAGE + 8, 0xa51);
	TEST_ASSERT_EQ(vmmu_vm_read_guest(vm, 1, GPA + 8, out, 8), 0);
	TEST_ASSERT_EQ(u64_at(out), 0xa51);
	TEST_ASSERT_EQ(vmmu_vm_read_guest(vm, 1, GPA + PAGE, out, 8), -EFAULT);
	/* Argument errors. */
	TEST_ASSERT_EQ(vmmu_vm_read_guest(NULL, 0, GPA, out, 8), -EINVAL);
	TEST_ASSERT_EQ(vmmu_vm_read_guest(vm, 2, GPA, out, 8), -EINVAL);
	TEST_ASSERT_EQ(vmmu_vm_write_guest(vm, 7, GPA, buf, 8), -EINVAL);
	TEST_ASSERT_EQ(vmmu_vm_read_guest(vm, 0, GPA, NULL, 8), -EINVAL);
	TEST_ASSERT_EQ(vmmu_vm_read_guest(vm, 0, GPA, NULL, 0), 0);
	TEST_ASSERT_EQ(vmmu_vm_write_guest(vm, 0, 0xfee00000, buf, 0), 0);
	vmmu_vm_destroy(vm);
	munmap(mem, 8 * PAGE);
}

static void test_find_get_slots(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	uint8_t *mem = test_alloc_guest(8 * PAGE);
	struct vmmu_userspace_memory_region s, all[4];
	uint32_t nr = 99;

	TEST_ASSERT_EQ(vmmu_vm_get_slots(vm, 0, all, 4, &nr), 0);
	TEST_ASSERT_EQ(nr, 0);
	TEST_ASSERT_EQ(vmmu_vm_find_slot(vm, 0, GPA, &s), -ENOENT);
	/* Created out of gpa order: get_slots reports them in gpa order. */
	TEST_SET_REGION_OK(vm, 7, 0, GPA + 4 * PAGE, 2 * PAGE, mem + 4 * PAGE);
	TEST_SET_REGION_OK(vm, 3, VMMU_MEM_LOG_DIRTY_PAGES, GPA, 2 * PAGE, mem);
	TEST_SET_REGION_OK(vm, 5, VMMU_MEM_READONLY, GPA + 2 * PAGE, PAGE, mem + 2 * PAGE);
	TEST_SET_REGION_OK(vm, SLOT(1, 2), 0, GPA, PAGE, mem);

	TEST_ASSERT_EQ(vmmu_vm_find_slot(vm, 0, GPA + 5 * PAGE + 17, &s), 0);
	TEST_ASSERT_EQ(s.slot, 7);
	TEST_ASSERT_EQ(s.guest_phys_addr, GPA + 4 * PAGE);
	TEST_ASSERT_EQ(s.memory_size, 2 * PAGE);
	TEST_ASSERT_EQ(s.userspace_addr, HVA(mem + 4 * PAGE));
	TEST_ASSERT_EQ(s.flags, 0);
	TEST_ASSERT_EQ(vmmu_vm_find_slot(vm, 0, GPA + 3 * PAGE, &s), -ENOENT);
	TEST_ASSERT_EQ(vmmu_vm_find_slot(vm, 0, GPA + 6 * PAGE, &s), -ENOENT);
	TEST_ASSERT_EQ(vmmu_vm_find_slot(vm, 1, GPA + 8, &s), 0);
	TEST_ASSERT_EQ(s.slot, SLOT(1, 2));

	TEST_ASSERT_EQ(vmmu_vm_get_slots(vm, 0, all, 4, &nr), 0);
	TEST_ASSERT_EQ(nr, 3);
	TEST_ASSERT_EQ(all[0].slot, 3);
	TEST_ASSERT_EQ(all[0].flags, VMMU_MEM_LOG_DIRTY_PAGES);
	TEST_ASSERT_EQ(all[1].slot, 5);
	TEST_ASSERT_EQ(all[1].flags, VMMU_MEM_READONLY);
	TEST_ASSERT_EQ(all[2].slot, 7);
	/* Too small: -ENOSPC, the count, and @out untouched. */
	memset(all, 0xee, sizeof(all));
	TEST_ASSERT_EQ(vmmu_vm_get_slots(vm, 0, all, 2, &nr), -ENOSPC);
	TEST_ASSERT_EQ(nr, 3);
	TEST_ASSERT_EQ(all[0].slot, 0xeeeeeeee);
	TEST_ASSERT_EQ(vmmu_vm_get_slots(vm, 1, all, 1, &nr), 0);
	TEST_ASSERT_EQ(nr, 1);
	TEST_ASSERT_EQ(all[0].slot, SLOT(1, 2));

	TEST_ASSERT_EQ(vmmu_vm_find_slot(NULL, 0, GPA, &s), -EINVAL);
	TEST_ASSERT_EQ(vmmu_vm_find_slot(vm, 2, GPA, &s), -EINVAL);
	TEST_ASSERT_EQ(vmmu_vm_find_slot(vm, 0, GPA, NULL), -EINVAL);
	TEST_ASSERT_EQ(vmmu_vm_get_slots(vm, 0, NULL, 1, &nr), -EINVAL);
	TEST_ASSERT_EQ(vmmu_vm_get_slots(vm, 0, all, 4, NULL), -EINVAL);
	TEST_ASSERT_EQ(vmmu_vm_get_slots(vm, 5, all, 4, &nr), -EINVAL);
	vmmu_vm_destroy(vm);
	munmap(mem, 8 * PAGE);
}

static struct {
	int calls, level;
	char msg[256];
	void *opaque;
} logged;

static void log_cb(int level, const char *msg, void *opaque)
{
	logged.calls++;
	logged.level = level;
	snprintf(logged.msg, sizeof(logged.msg), "%s", msg);
	logged.opaque = opaque;
}

static void test_log_callback(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	int token;

	vmmu_set_log_callback(log_cb, &token);
	/* An end() that matches no start(): warns (once per process) and is ignored. */
	vmmu_mmu_notifier_invalidate_range_end(vm, 0x1000, 0x2000);
	TEST_ASSERT_EQ(logged.calls, 1);
	TEST_ASSERT_EQ(logged.level, VMMU_LOG_WARNING);
	TEST_ASSERT(strstr(logged.msg, "WARNING at"), "message '%s'", logged.msg);
	TEST_ASSERT(logged.opaque == &token, "opaque");
	TEST_ASSERT_EQ(test_vm_stats(vm).invalidate_end_unmatched, 1);
	vmmu_set_log_callback(NULL, NULL);
	vmmu_vm_destroy(vm);
}

static void *other_thread(void *arg)
{
	struct vmmu_userspace_memory_region bad = { .slot = 0, .memory_size = 123 };

	TEST_ASSERT_EQ(vmmu_last_error()[0], 0);
	TEST_ASSERT_EQ(vmmu_set_user_memory_region(arg, &bad), -EINVAL);
	TEST_ASSERT(strstr(vmmu_last_error(), "memory_size"), "'%s'", vmmu_last_error());
	return NULL;
}

static void test_last_error(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	struct vmmu_userspace_memory_region bad = { .slot = 0, .guest_phys_addr = 5 };
	pthread_t t;

	TEST_ASSERT_EQ(vmmu_set_user_memory_region(vm, &bad), -EINVAL);
	TEST_ASSERT(strstr(vmmu_last_error(), "guest_phys_addr"), "'%s'", vmmu_last_error());
	/* Per thread: another thread's failure leaves ours alone. */
	TEST_ASSERT_EQ(pthread_create(&t, NULL, other_thread, vm), 0);
	pthread_join(t, NULL);
	TEST_ASSERT(strstr(vmmu_last_error(), "guest_phys_addr"), "'%s'", vmmu_last_error());
	/* Cleared on entry. */
	bad.guest_phys_addr = 0;
	TEST_ASSERT_EQ(vmmu_set_user_memory_region(vm, &bad), -EINVAL);	/* delete of nothing */
	TEST_ASSERT(strstr(vmmu_last_error(), "does not exist"), "'%s'", vmmu_last_error());
	bad.memory_size = PAGE;
	bad.userspace_addr = PAGE;
	TEST_ASSERT_EQ(vmmu_set_user_memory_region(vm, &bad), 0);
	TEST_ASSERT_EQ(vmmu_last_error()[0], 0);
	/* -EEXIST has a message too; vmmu_strerror(-EEXIST) suits both of its uses. */
	bad.slot = 1;
	TEST_ASSERT_EQ(vmmu_set_user_memory_region(vm, &bad), -EEXIST);
	TEST_ASSERT(strstr(vmmu_last_error(), "overlaps"), "'%s'", vmmu_last_error());
	TEST_ASSERT(strstr(vmmu_strerror(-EEXIST), "already exists"), "'%s'",
		    vmmu_strerror(-EEXIST));
	{
		struct vmmu_vcpu *v = test_vcpu_create(vm, 3), *dup = NULL;

		TEST_ASSERT_EQ(vmmu_vcpu_create(vm, 3, &dup), -EEXIST);
		TEST_ASSERT(strstr(vmmu_strerror(-EEXIST), "id is in use"), "'%s'",
			    vmmu_strerror(-EEXIST));
		vmmu_vcpu_destroy(v);
	}
	vmmu_vm_destroy(vm);
}

static const struct test_case cases[] = {
	{ "rw", test_rw },
	{ "find-get-slots", test_find_get_slots },
	{ "log-callback", test_log_callback },
	{ "last-error", test_last_error },
};

TEST_CASES_MAIN(cases)
