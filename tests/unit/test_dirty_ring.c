/* SPDX-License-Identifier: MIT */
/*
 * The dirty ring, KVM_SET_USER_MEMORY_REGION2 and memory-fault exits
 * (docs/KVM-SEMANTICS.md), against the public API only:
 *
 *  - vmmu_vm_enable_dirty_ring(): every bound and errno in KVM's order
 *    (power of two, a page, E2BIG above 1 MiB, only once, only before the
 *    first vCPU), and the bitmap calls' -ENXIO once the ring is on;
 *  - pushes: a write to a write-protected page of a logged slot publishes
 *    (as_id << 16 | id, offset) with DIRTY; a second write to it does not;
 *    reads do not; write_guest does; unlogged slots do not;
 *  - manual protect with INITIALLY_SET still write-protects on enabling
 *    (the ring has no bitmap to set);
 *  - reset: recycles RESET entries in order, stops at the first that is not
 *    one, returns the count, and re-protects (the next write pushes again);
 *  - the soft limit: the access after the push that reaches it exits with
 *    VMMU_EXIT_DIRTY_RING_FULL (not made), until a reset; write_guest uses
 *    the reserved entries, then fails with -EBUSY;
 *  - memory-fault exits: a host page unmapped behind a slot (real memory,
 *    the simulated host MM) gives -EFAULT with a VMMU_EXIT_MEMORY_FAULT
 *    exit naming the page; so does a write to a page the process made
 *    read-only, and any access to a PROT_NONE one (mprotect);
 *  - region2: the layout, GUEST_MEMFD refused, padding ignored, the v1
 *    checks and errnos.
 *
 * Usage: test_dirty_ring [case-name-substring]
 */
#include <stddef.h>

#include <vmmu.h>

#include "../test_util.h"
#include "oracle.h"

#define PAGE		VMMU_PAGE_SIZE
#define LOG		VMMU_MEM_LOG_DIRTY_PAGES

#define EXPECT_ERR(expr, err) do {						\
	int __r = (expr);							\
	TEST_ASSERT(__r == (err), "%s = %d (%s), expected %d (%s)", #expr, __r,	\
		    vmmu_strerror(__r), (int)(err), vmmu_strerror(err));		\
} while (0)

static uint32_t ring_flags(const struct vmmu_dirty_gfn *e)
{
	return __atomic_load_n(&e->flags, __ATOMIC_ACQUIRE);
}

static void ring_mark_reset(struct vmmu_dirty_gfn *e)
{
	__atomic_store_n(&e->flags, VMMU_DIRTY_GFN_F_RESET, __ATOMIC_RELEASE);
}

/* A VM with the ring on (@bytes), vCPU 0, and a logged slot of @npages at gpa 0. */
struct ring_env {
	struct vmmu_vm *vm;
	struct vmmu_vcpu *vcpu;
	struct vmmu_dirty_gfn *ring;
	uint32_t nr;
	uint8_t *mem;
	uint64_t npages;
};

static void ring_env_init(struct ring_env *t, uint32_t bytes, uint64_t npages)
{
	t->vm = test_vm_create(NULL);
	EXPECT_ERR(vmmu_vm_enable_dirty_ring(t->vm, bytes), 0);
	t->vcpu = test_vcpu_create(t->vm, 0);
	EXPECT_ERR(vmmu_vcpu_get_dirty_ring(t->vcpu, &t->ring, &t->nr), 0);
	TEST_ASSERT_EQ(t->nr, bytes / 16);
	t->npages = npages;
	t->mem = test_alloc_guest(npages * PAGE);
	TEST_SET_REGION_OK(t->vm, SLOT(0, 1), LOG, 0, npages * PAGE, t->mem);
}

static void ring_env_fini(struct ring_env *t)
{
	vmmu_vm_destroy(t->vm);
	munmap(t->mem, t->npages * PAGE);
}

static int write64(struct vmmu_vcpu *vcpu, uint64_t gpa, uint64_t v, struct vmmu_exit *ex)
{
	return vmmu_vcpu_access(vcpu, gpa, &v, 8, VMMU_ACCESS_WRITE, ex);
}

static void test_enable_errnos(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	struct vmmu_vcpu *vcpu;
	struct vmmu_dirty_gfn *ring;

	EXPECT_ERR(vmmu_vm_enable_dirty_ring(NULL, 4096), -EINVAL);
	EXPECT_ERR(vmmu_vm_enable_dirty_ring(vm, 0), -EINVAL);
	EXPECT_ERR(vmmu_vm_enable_dirty_ring(vm, 3 * 4096), -EINVAL);	/* not a power of 2 */
	EXPECT_ERR(vmmu_vm_enable_dirty_ring(vm, 2048), -EINVAL);	/* below a page */
	EXPECT_ERR(vmmu_vm_enable_dirty_ring(vm, 16), -EINVAL);
	EXPECT_ERR(vmmu_vm_enable_dirty_ring(vm, 2u << 20), -E2BIG);
	EXPECT_ERR(vmmu_vm_enable_dirty_ring(vm, 1u << 31), -E2BIG);
	/* Checked before "only once": a too-big size is E2BIG even when on. */
	EXPECT_ERR(vmmu_vm_reset_dirty_rings(vm), -EINVAL);		/* not enabled */
	EXPECT_ERR(vmmu_vm_enable_dirty_ring(vm, VMMU_DIRTY_RING_MAX_BYTES), 0);
	EXPECT_ERR(vmmu_vm_enable_dirty_ring(vm, 4096), -EINVAL);	/* only once */
	EXPECT_ERR(vmmu_vm_enable_dirty_ring(vm, 2u << 20), -E2BIG);
	EXPECT_ERR(vmmu_vm_reset_dirty_rings(vm), 0);			/* no vCPU: nothing */
	EXPECT_ERR(vmmu_vm_reset_dirty_rings(NULL), -EINVAL);
	vmmu_vm_destroy(vm);

	/* Never after a vCPU exists. */
	vm = test_vm_create(NULL);
	vcpu = test_vcpu_create(vm, 3);
	EXPECT_ERR(vmmu_vcpu_get_dirty_ring(vcpu, &ring, NULL), -EINVAL);	/* not enabled */
	EXPECT_ERR(vmmu_vm_enable_dirty_ring(vm, 4096), -EINVAL);
	vmmu_vcpu_destroy(vcpu);
	/* (vmmu: with every vCPU destroyed again, it may be enabled.) */
	EXPECT_ERR(vmmu_vm_enable_dirty_ring(vm, 4096), 0);
	vcpu = test_vcpu_create(vm, 3);
	EXPECT_ERR(vmmu_vcpu_get_dirty_ring(NULL, &ring, NULL), -EINVAL);
	EXPECT_ERR(vmmu_vcpu_get_dirty_ring(vcpu, NULL, NULL), -EINVAL);
	EXPECT_ERR(vmmu_vcpu_get_dirty_ring(vcpu, &ring, NULL), 0);
	TEST_ASSERT(ring, "ring pointer");
	vmmu_vm_destroy(vm);
}

/* With the ring on, the bitmap calls fail with -ENXIO, before any other check. */
static void test_bitmap_excluded(void)
{
	struct ring_env t;
	uint64_t bm[4] = { 0 };

	ring_env_init(&t, 4096, 64);
	EXPECT_ERR(vmmu_get_dirty_log(t.vm, SLOT(0, 1), bm), -ENXIO);
	EXPECT_ERR(vmmu_get_dirty_log(t.vm, SLOT(0, 9), bm), -ENXIO);	/* no such slot */
	EXPECT_ERR(vmmu_get_dirty_log(t.vm, SLOT(7, 1), NULL), -ENXIO);	/* bad as_id */
	EXPECT_ERR(vmmu_clear_dirty_log(t.vm, SLOT(0, 1), 0, 64, bm), -ENXIO);
	EXPECT_ERR(vmmu_clear_dirty_log(t.vm, SLOT(0, 1), 3, 64, bm), -ENXIO);
	EXPECT_ERR(vmmu_vm_enable_manual_dirty_log_protect(t.vm,
				VMMU_DIRTY_LOG_MANUAL_PROTECT_ENABLE), 0);
	EXPECT_ERR(vmmu_get_dirty_log(t.vm, SLOT(0, 1), bm), -ENXIO);
	ring_env_fini(&t);
}

/*
 * A device-thread write to a dirty-logged slot with the ring on has no
 * vCPU ring to push to and no bitmap the collector reads: refused, not
 * lost.  The same write through a vCPU pushes an entry; reads and writes
 * to unlogged memory from a device thread still work.
 */
static void test_device_write_refused(void)
{
	struct ring_env t;
	uint64_t v = 0x1234, got = 0;

	ring_env_init(&t, 4096, 64);
	EXPECT_ERR(vmmu_vm_write_guest(t.vm, 0, 8 * PAGE, &v, sizeof(v)), -EOPNOTSUPP);
	TEST_ASSERT_EQ(test_guest_load64(t.mem + 8 * PAGE), 0);
	EXPECT_ERR(vmmu_vm_read_guest(t.vm, 0, 8 * PAGE, &got, sizeof(got)), 0);
	EXPECT_ERR(vmmu_vcpu_write_guest(t.vcpu, 8 * PAGE, &v, sizeof(v)), 0);
	TEST_ASSERT_EQ(test_guest_load64(t.mem + 8 * PAGE), 0x1234);
	TEST_ASSERT_EQ(ring_flags(&t.ring[0]), VMMU_DIRTY_GFN_F_DIRTY);
	TEST_ASSERT_EQ(t.ring[0].offset, 8);
	/* Logging off: nothing to record, the device write goes through. */
	TEST_SET_REGION_OK(t.vm, SLOT(0, 1), 0, 0, t.npages * PAGE, t.mem);
	v = 0x5678;
	EXPECT_ERR(vmmu_vm_write_guest(t.vm, 0, 8 * PAGE, &v, sizeof(v)), 0);
	TEST_ASSERT_EQ(test_guest_load64(t.mem + 8 * PAGE), 0x5678);
	ring_env_fini(&t);
}

static void test_push_and_reset(void)
{
	struct ring_env t;
	struct vmmu_exit ex;
	uint64_t v = 0;
	uint8_t *other = test_alloc_guest(4 * PAGE);

	ring_env_init(&t, 4096, 64);
	/* An unlogged slot in address space 1 for contrast, and a logged one there. */
	TEST_SET_REGION_OK(t.vm, SLOT(1, 2), 0, 0x100000, 2 * PAGE, other);
	TEST_SET_REGION_OK(t.vm, SLOT(1, 3), LOG, 0x200000, 2 * PAGE, other + 2 * PAGE);

	EXPECT_ERR(write64(t.vcpu, 3 * PAGE + 8, 1, &ex), 0);
	TEST_ASSERT_EQ(ring_flags(&t.ring[0]), VMMU_DIRTY_GFN_F_DIRTY);
	TEST_ASSERT_EQ(t.ring[0].slot, SLOT(0, 1));
	TEST_ASSERT_EQ(t.ring[0].offset, 3);
	/* The page is writable now: no second entry. */
	EXPECT_ERR(write64(t.vcpu, 3 * PAGE + 16, 2, &ex), 0);
	TEST_ASSERT_EQ(ring_flags(&t.ring[1]), 0);
	/* Reads push nothing. */
	EXPECT_ERR(vmmu_vcpu_access(t.vcpu, 5 * PAGE, &v, 8, 0, &ex), 0);
	TEST_ASSERT_EQ(ring_flags(&t.ring[1]), 0);
	/* A write after the read faults again (read-only SPTE): pushes. */
	EXPECT_ERR(write64(t.vcpu, 5 * PAGE, 3, &ex), 0);
	TEST_ASSERT_EQ(ring_flags(&t.ring[1]), VMMU_DIRTY_GFN_F_DIRTY);
	TEST_ASSERT_EQ(t.ring[1].offset, 5);
	/* write_guest pushes, as kvm_vcpu_write_guest() with a running vCPU. */
	v = 7;
	EXPECT_ERR(vmmu_vcpu_write_guest(t.vcpu, 9 * PAGE + 100, &v, 8), 0);
	TEST_ASSERT_EQ(ring_flags(&t.ring[2]), VMMU_DIRTY_GFN_F_DIRTY);
	TEST_ASSERT_EQ(t.ring[2].offset, 9);
	/* Address space 1: the unlogged slot pushes nothing, the logged one encodes as_id. */
	EXPECT_ERR(vmmu_vcpu_set_address_space(t.vcpu, 1), 0);
	EXPECT_ERR(write64(t.vcpu, 0x100000, 1, &ex), 0);
	TEST_ASSERT_EQ(ring_flags(&t.ring[3]), 0);
	EXPECT_ERR(write64(t.vcpu, 0x201000, 1, &ex), 0);
	TEST_ASSERT_EQ(ring_flags(&t.ring[3]), VMMU_DIRTY_GFN_F_DIRTY);
	TEST_ASSERT_EQ(t.ring[3].slot, SLOT(1, 3));
	TEST_ASSERT_EQ(t.ring[3].offset, 1);
	EXPECT_ERR(vmmu_vcpu_set_address_space(t.vcpu, 0), 0);

	/* Nothing harvested: nothing recycled. */
	EXPECT_ERR(vmmu_vm_reset_dirty_rings(t.vm), 0);
	TEST_ASSERT_EQ(ring_flags(&t.ring[0]), VMMU_DIRTY_GFN_F_DIRTY);
	/* Harvest 0 and 2 but not 1: the reset stops at 1. */
	ring_mark_reset(&t.ring[0]);
	ring_mark_reset(&t.ring[2]);
	EXPECT_ERR(vmmu_vm_reset_dirty_rings(t.vm), 1);
	TEST_ASSERT_EQ(ring_flags(&t.ring[0]), 0);
	TEST_ASSERT_EQ(ring_flags(&t.ring[1]), VMMU_DIRTY_GFN_F_DIRTY);
	TEST_ASSERT_EQ(ring_flags(&t.ring[2]), VMMU_DIRTY_GFN_F_RESET);
	/* Page 3 is write-protected again: its next write pushes (entry 4). */
	EXPECT_ERR(write64(t.vcpu, 3 * PAGE, 4, &ex), 0);
	TEST_ASSERT_EQ(ring_flags(&t.ring[4]), VMMU_DIRTY_GFN_F_DIRTY);
	TEST_ASSERT_EQ(t.ring[4].offset, 3);
	/* Page 5 is not (its entry was not recycled): no push. */
	EXPECT_ERR(write64(t.vcpu, 5 * PAGE, 5, &ex), 0);
	TEST_ASSERT_EQ(ring_flags(&t.ring[5]), 0);
	for (int i = 1; i <= 4; i++)
		ring_mark_reset(&t.ring[i]);
	EXPECT_ERR(vmmu_vm_reset_dirty_rings(t.vm), 4);
	for (int i = 0; i < 6; i++)
		TEST_ASSERT_EQ(ring_flags(&t.ring[i]), 0);
	EXPECT_ERR(vmmu_vm_reset_dirty_rings(t.vm), 0);
	/* Every harvested page pushes again; entries continue at index 5. */
	EXPECT_ERR(write64(t.vcpu, 5 * PAGE, 6, &ex), 0);
	EXPECT_ERR(write64(t.vcpu, 9 * PAGE, 6, &ex), 0);
	TEST_ASSERT_EQ(t.ring[5].offset, 5);
	TEST_ASSERT_EQ(t.ring[6].offset, 9);
	TEST_ASSERT_EQ(test_guest_load64(t.mem + 5 * PAGE), 6);
	ring_env_fini(&t);
	munmap(other, 4 * PAGE);
}

/*
 * Manual protect with INITIALLY_SET has no bitmap to set under the ring:
 * enabling logging must write-protect the slot as without the option, so a
 * page written before (mapped writable, and its prefetched neighbours) and
 * written again after pushes an entry.  KVM's ring does the same.
 */
static void test_initially_set_protects(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	struct vmmu_vcpu *vcpu;
	struct vmmu_dirty_gfn *ring;
	uint8_t *mem = test_alloc_guest(16 * PAGE);
	struct vmmu_exit ex;
	uint32_t nr;

	EXPECT_ERR(vmmu_vm_enable_dirty_ring(vm, 4096), 0);
	EXPECT_ERR(vmmu_vm_enable_manual_dirty_log_protect(vm, VMMU_DIRTY_LOG_MANUAL_PROTECT_ENABLE |
							   VMMU_DIRTY_LOG_INITIALLY_SET), 0);
	vcpu = test_vcpu_create(vm, 0);
	EXPECT_ERR(vmmu_vcpu_get_dirty_ring(vcpu, &ring, &nr), 0);
	TEST_SET_REGION_OK(vm, SLOT(0, 1), 0, 0, 16 * PAGE, mem);
	/* Page 2 written (writable SPTE; the fault may prefetch page 3 too). */
	EXPECT_ERR(write64(vcpu, 2 * PAGE, 1, &ex), 0);
	TEST_SET_REGION_OK(vm, SLOT(0, 1), LOG, 0, 16 * PAGE, mem);
	EXPECT_ERR(write64(vcpu, 2 * PAGE + 8, 2, &ex), 0);
	TEST_ASSERT_EQ(ring_flags(&ring[0]), VMMU_DIRTY_GFN_F_DIRTY);
	TEST_ASSERT_EQ(ring[0].offset, 2);
	EXPECT_ERR(write64(vcpu, 3 * PAGE, 3, &ex), 0);
	TEST_ASSERT_EQ(ring_flags(&ring[1]), VMMU_DIRTY_GFN_F_DIRTY);
	TEST_ASSERT_EQ(ring[1].offset, 3);
	vmmu_vm_destroy(vm);
	munmap(mem, 16 * PAGE);
}

/*
 * A reset whose coalesced mask mixes a deleted slot's stale entries with
 * those of a new, smaller slot under the same id: the new slot's pages are
 * protected again (only the bits past its end are dropped), so their next
 * writes push.
 */
static void test_reset_stale_slot_entries(void)
{
	struct ring_env t;
	struct vmmu_exit ex;
	uint8_t *small = test_alloc_guest(2 * PAGE);

	ring_env_init(&t, 4096, 8);
	for (int i = 0; i < 7; i++)
		EXPECT_ERR(write64(t.vcpu, (uint64_t)i * PAGE, 1, &ex), 0);
	/* Slot 1 deleted, its entries still in the ring; id 1 again, 2 pages. */
	TEST_SET_REGION_OK(t.vm, SLOT(0, 1), 0, 0, 0, t.mem);
	TEST_SET_REGION_OK(t.vm, SLOT(0, 1), LOG, 0x100000, 2 * PAGE, small);
	EXPECT_ERR(write64(t.vcpu, 0x100000, 2, &ex), 0);
	EXPECT_ERR(write64(t.vcpu, 0x101000, 2, &ex), 0);
	for (int i = 0; i < 9; i++) {
		TEST_ASSERT_EQ(ring_flags(&t.ring[i]), VMMU_DIRTY_GFN_F_DIRTY);
		ring_mark_reset(&t.ring[i]);
	}
	EXPECT_ERR(vmmu_vm_reset_dirty_rings(t.vm), 9);
	EXPECT_ERR(write64(t.vcpu, 0x100008, 3, &ex), 0);
	TEST_ASSERT_EQ(ring_flags(&t.ring[9]), VMMU_DIRTY_GFN_F_DIRTY);
	TEST_ASSERT_EQ(t.ring[9].slot, SLOT(0, 1));
	TEST_ASSERT_EQ(t.ring[9].offset, 0);
	ring_env_fini(&t);
	munmap(small, 2 * PAGE);
}

/* Entries wrap around the ring; the coalesced re-protect covers 64-page spans both ways. */
static void test_wrap_and_coalesce(void)
{
	struct ring_env t;
	struct vmmu_exit ex;
	uint32_t fetch = 0;

	ring_env_init(&t, 4096, 200);
	for (int round = 0; round < 5; round++) {
		/* Descending, then ascending, offsets over more than 64 pages. */
		for (int i = 0; i < 150; i++) {
			uint64_t page = round & 1 ? (uint64_t)i : 149 - (uint64_t)i;

			EXPECT_ERR(write64(t.vcpu, page * PAGE, (uint64_t)round, &ex), 0);
		}
		for (int i = 0; i < 150; i++, fetch++) {
			struct vmmu_dirty_gfn *e = &t.ring[fetch % t.nr];

			TEST_ASSERT_EQ(ring_flags(e), VMMU_DIRTY_GFN_F_DIRTY);
			TEST_ASSERT_EQ(e->offset, round & 1 ? (uint64_t)i : 149 - (uint64_t)i);
			ring_mark_reset(e);
		}
		EXPECT_ERR(vmmu_vm_reset_dirty_rings(t.vm), 150);
	}
	/* All 150 pages were re-protected by the last reset. */
	for (int i = 0; i < 150; i++)
		EXPECT_ERR(write64(t.vcpu, (uint64_t)i * PAGE, 9, &ex), 0);
	for (int i = 0; i < 150; i++)
		TEST_ASSERT_EQ(ring_flags(&t.ring[(fetch + (uint32_t)i) % t.nr]),
			       VMMU_DIRTY_GFN_F_DIRTY);
	ring_env_fini(&t);
}

/* The soft limit: 256 entries - 64 reserved = 192. */
static void test_full_exit(void)
{
	struct ring_env t;
	struct vmmu_exit ex;
	uint64_t v = 0, mmio = 0;
	const uint32_t soft = 4096 / 16 - VMMU_DIRTY_RING_RSVD_ENTRIES;

	ring_env_init(&t, 4096, 300);
	/* An MMIO SPTE made before the ring fills. */
	EXPECT_ERR(vmmu_vcpu_access(t.vcpu, 0x40000000, &mmio, 4, 0, &ex), VMMU_EXIT_MMIO);
	for (uint32_t i = 0; i < soft; i++)
		EXPECT_ERR(write64(t.vcpu, (uint64_t)i * PAGE, i + 1, &ex), 0);
	/* At the soft limit: every RAM access exits, and is not made. */
	memset(&ex, 0xff, sizeof(ex));
	EXPECT_ERR(write64(t.vcpu, 250 * PAGE, 77, &ex), VMMU_EXIT_DIRTY_RING_FULL);
	TEST_ASSERT_EQ(ex.reason, VMMU_EXIT_DIRTY_RING_FULL);
	TEST_ASSERT_EQ(test_guest_load64(t.mem + 250 * PAGE), 0);
	EXPECT_ERR(write64(t.vcpu, 3 * PAGE, 77, &ex), VMMU_EXIT_DIRTY_RING_FULL);	/* was writable */
	TEST_ASSERT_EQ(test_guest_load64(t.mem + 3 * PAGE), 4);
	EXPECT_ERR(vmmu_vcpu_access(t.vcpu, 3 * PAGE, &v, 8, 0, &ex), VMMU_EXIT_DIRTY_RING_FULL);
	EXPECT_ERR(vmmu_vcpu_access(t.vcpu, 260 * PAGE, &v, 8, 0, &ex), VMMU_EXIT_DIRTY_RING_FULL);
	/* A fresh MMIO gfn exits full too; one served by its cached MMIO SPTE
	 * still exits as MMIO (docs/KVM-DIFFERENCES.md). */
	EXPECT_ERR(vmmu_vcpu_access(t.vcpu, 0x50000000, &mmio, 4, 0, &ex),
		   VMMU_EXIT_DIRTY_RING_FULL);
	EXPECT_ERR(vmmu_vcpu_access(t.vcpu, 0x40000000, &mmio, 4, 0, &ex), VMMU_EXIT_MMIO);
	/* write_guest may use the reserved entries, then gets -EBUSY. */
	for (uint32_t i = soft; i < t.nr; i++) {
		v = i;
		EXPECT_ERR(vmmu_vcpu_write_guest(t.vcpu, (uint64_t)i * PAGE, &v, 8), 0);
	}
	v = 1;
	EXPECT_ERR(vmmu_vcpu_write_guest(t.vcpu, 280 * PAGE, &v, 8), -EBUSY);
	TEST_ASSERT_EQ(test_guest_load64(t.mem + 280 * PAGE), 0);
	/* Harvesting alone is not enough; the reset is. */
	for (uint32_t i = 0; i < t.nr; i++)
		ring_mark_reset(&t.ring[i]);
	EXPECT_ERR(write64(t.vcpu, 3 * PAGE, 77, &ex), VMMU_EXIT_DIRTY_RING_FULL);
	EXPECT_ERR(vmmu_vm_reset_dirty_rings(t.vm), (int)t.nr);
	EXPECT_ERR(write64(t.vcpu, 3 * PAGE, 78, &ex), 0);
	TEST_ASSERT_EQ(test_guest_load64(t.mem + 3 * PAGE), 78);
	TEST_ASSERT_EQ(ring_flags(&t.ring[0]), VMMU_DIRTY_GFN_F_DIRTY);
	TEST_ASSERT_EQ(t.ring[0].offset, 3);
	EXPECT_ERR(vmmu_vcpu_access(t.vcpu, 260 * PAGE, &v, 8, 0, &ex), 0);
	ring_env_fini(&t);
}

/* Two vCPUs: each pushes to its own ring; one reset serves both. */
static void test_two_vcpus(void)
{
	struct ring_env t;
	struct vmmu_vcpu *v1;
	struct vmmu_dirty_gfn *r1;
	struct vmmu_exit ex;
	uint32_t n1;

	ring_env_init(&t, 8192, 16);
	v1 = test_vcpu_create(t.vm, 1);
	EXPECT_ERR(vmmu_vcpu_get_dirty_ring(v1, &r1, &n1), 0);
	TEST_ASSERT(r1 != t.ring && n1 == 512, "a ring per vCPU");
	EXPECT_ERR(write64(t.vcpu, 1 * PAGE, 1, &ex), 0);
	EXPECT_ERR(write64(v1, 2 * PAGE, 1, &ex), 0);
	TEST_ASSERT_EQ(t.ring[0].offset, 1);
	TEST_ASSERT_EQ(r1[0].offset, 2);
	TEST_ASSERT_EQ(ring_flags(&t.ring[1]), 0);
	ring_mark_reset(&t.ring[0]);
	ring_mark_reset(&r1[0]);
	EXPECT_ERR(vmmu_vm_reset_dirty_rings(t.vm), 2);
	/* vCPU 1's writable TLB entry for page 2 is gone with the reset. */
	EXPECT_ERR(write64(v1, 2 * PAGE, 2, &ex), 0);
	TEST_ASSERT_EQ(ring_flags(&r1[1]), VMMU_DIRTY_GFN_F_DIRTY);
	vmmu_vcpu_destroy(v1);
	EXPECT_ERR(vmmu_vm_reset_dirty_rings(t.vm), 0);
	ring_env_fini(&t);
}

/* KVM_EXIT_MEMORY_FAULT: the page that could not be served, beside -EFAULT. */
static void test_memory_fault_exit(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	uint8_t *mem = test_alloc_guest(8 * PAGE);
	struct vmmu_exit ex;
	uint64_t v = 1;

	TEST_SET_REGION_OK(vm, SLOT(0, 0), 0, 0x100000, 8 * PAGE, mem);
	EXPECT_ERR(write64(vcpu, 0x102000, 3, &ex), 0);
	/* The host unmaps a page, announced as the API asks. */
	vmmu_mmu_notifier_invalidate_range_start(vm, HVA(mem + 2 * PAGE), HVA(mem + 3 * PAGE));
	TEST_ASSERT(munmap(mem + 2 * PAGE, PAGE) == 0, "munmap");
	vmmu_mmu_notifier_invalidate_range_end(vm, HVA(mem + 2 * PAGE), HVA(mem + 3 * PAGE));
	memset(&ex, 0, sizeof(ex));
	EXPECT_ERR(vmmu_vcpu_access(vcpu, 0x102010, &v, 4, 0, &ex), -EFAULT);
	TEST_ASSERT_EQ(ex.reason, VMMU_EXIT_MEMORY_FAULT);
	TEST_ASSERT_EQ(ex.memory_fault.gpa, 0x102000);
	TEST_ASSERT_EQ(ex.memory_fault.size, PAGE);
	TEST_ASSERT_EQ(ex.memory_fault.flags, 0);
	memset(&ex, 0, sizeof(ex));
	EXPECT_ERR(write64(vcpu, 0x102ff8, 3, &ex), -EFAULT);
	TEST_ASSERT_EQ(ex.reason, VMMU_EXIT_MEMORY_FAULT);
	TEST_ASSERT_EQ(ex.memory_fault.gpa, 0x102000);
	/* Other pages are unaffected; MMIO exits keep their shape. */
	EXPECT_ERR(write64(vcpu, 0x101000, 3, &ex), 0);
	EXPECT_ERR(write64(vcpu, 0x200000, 3, &ex), VMMU_EXIT_MMIO);
	TEST_ASSERT_EQ(ex.reason, VMMU_EXIT_MMIO);
	TEST_ASSERT_EQ(ex.mmio.phys_addr, 0x200000);
	TEST_ASSERT_EQ(ex.mmio.len, 8);
	/* read_guest/write_guest have no exit: -EFAULT alone. */
	EXPECT_ERR(vmmu_vcpu_read_guest(vcpu, 0x102000, &v, 8), -EFAULT);
	vmmu_vm_destroy(vm);
	munmap(mem, 8 * PAGE);
}

/*
 * Host memory the process protects behind a writable slot (mprotect,
 * announced with a bracket): a write to a read-only page, and any access to
 * a PROT_NONE one, is a memory-fault exit, not a crash; reads of the
 * read-only page still work, and a prefetch next to it grants no write.
 */
static void test_memory_fault_protected(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	uint8_t *mem = test_alloc_guest(16 * PAGE);
	struct vmmu_exit ex;
	uint64_t v = 0;

	TEST_SET_REGION_OK(vm, SLOT(0, 0), 0, 0x100000, 16 * PAGE, mem);
	/* Mapped writable first (and the neighbours prefetched). */
	EXPECT_ERR(write64(vcpu, 0x102000, 3, &ex), 0);
	vmmu_mmu_notifier_invalidate_range_start(vm, HVA(mem + 2 * PAGE), HVA(mem + 4 * PAGE));
	TEST_ASSERT(mprotect(mem + 2 * PAGE, PAGE, PROT_READ) == 0, "mprotect");
	TEST_ASSERT(mprotect(mem + 3 * PAGE, PAGE, PROT_NONE) == 0, "mprotect");
	vmmu_mmu_notifier_invalidate_range_end(vm, HVA(mem + 2 * PAGE), HVA(mem + 4 * PAGE));
	memset(&ex, 0, sizeof(ex));
	EXPECT_ERR(write64(vcpu, 0x102008, 4, &ex), -EFAULT);
	TEST_ASSERT_EQ(ex.reason, VMMU_EXIT_MEMORY_FAULT);
	TEST_ASSERT_EQ(ex.memory_fault.gpa, 0x102000);
	TEST_ASSERT_EQ(ex.memory_fault.size, PAGE);
	EXPECT_ERR(vmmu_vcpu_access(vcpu, 0x102000, &v, 8, 0, &ex), 0);
	TEST_ASSERT_EQ(v, 3);
	/* Read first, then write: the read maps it read-only. */
	EXPECT_ERR(write64(vcpu, 0x102010, 5, &ex), -EFAULT);
	memset(&ex, 0, sizeof(ex));
	EXPECT_ERR(vmmu_vcpu_access(vcpu, 0x103000, &v, 8, 0, &ex), -EFAULT);
	TEST_ASSERT_EQ(ex.reason, VMMU_EXIT_MEMORY_FAULT);
	TEST_ASSERT_EQ(ex.memory_fault.gpa, 0x103000);
	EXPECT_ERR(write64(vcpu, 0x103000, 6, &ex), -EFAULT);
	/* A first fault next to them (prefetching them) grants them nothing. */
	EXPECT_ERR(write64(vcpu, 0x104000, 7, &ex), 0);
	EXPECT_ERR(write64(vcpu, 0x102018, 8, &ex), -EFAULT);
	EXPECT_ERR(vmmu_vcpu_access(vcpu, 0x103008, &v, 8, 0, &ex), -EFAULT);
	/* write_guest: -EFAULT alone; read_guest of the read-only page works. */
	v = 9;
	EXPECT_ERR(vmmu_vcpu_write_guest(vcpu, 0x102020, &v, 8), -EFAULT);
	EXPECT_ERR(vmmu_vcpu_read_guest(vcpu, 0x102000, &v, 8), 0);
	TEST_ASSERT_EQ(v, 3);
	TEST_ASSERT_EQ(test_guest_load64(mem + 4 * PAGE), 7);
	/* Writable again (bracketed): writes work. */
	vmmu_mmu_notifier_invalidate_range_start(vm, HVA(mem + 2 * PAGE), HVA(mem + 4 * PAGE));
	TEST_ASSERT(mprotect(mem + 2 * PAGE, 2 * PAGE, PROT_READ | PROT_WRITE) == 0, "mprotect");
	vmmu_mmu_notifier_invalidate_range_end(vm, HVA(mem + 2 * PAGE), HVA(mem + 4 * PAGE));
	EXPECT_ERR(write64(vcpu, 0x102008, 10, &ex), 0);
	EXPECT_ERR(write64(vcpu, 0x103008, 11, &ex), 0);
	TEST_ASSERT_EQ(test_guest_load64(mem + 3 * PAGE + 8), 11);
	vmmu_vm_destroy(vm);
	munmap(mem, 16 * PAGE);
}

/* The same with the simulated host MM: a page munmap()ed behind a slot. */
static void test_memory_fault_exit_hostmm(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	struct vmmu_hostmm *mm;
	struct vmmu_vcpu *vcpu;
	struct vmmu_exit ex;
	uint64_t hva = 0, v = 0;

	EXPECT_ERR(vmmu_hostmm_create(NULL, &mm), 0);
	EXPECT_ERR(vmmu_vm_attach_hostmm(vm, mm), 0);
	EXPECT_ERR(vmmu_hostmm_mmap(mm, 4 * PAGE, &hva), 0);
	vcpu = test_vcpu_create(vm, 0);
	{
		struct vmmu_userspace_memory_region2 m = {
			.slot = SLOT(0, 1), .guest_phys_addr = 0x8000, .memory_size = 4 * PAGE,
			.userspace_addr = hva,
		};

		EXPECT_ERR(vmmu_set_user_memory_region2(vm, &m), 0);
	}
	EXPECT_ERR(write64(vcpu, 0x9000, 5, &ex), 0);
	EXPECT_ERR(vmmu_hostmm_munmap(mm, hva + PAGE, PAGE), 0);
	memset(&ex, 0, sizeof(ex));
	EXPECT_ERR(vmmu_vcpu_access(vcpu, 0x9008, &v, 8, 0, &ex), -EFAULT);
	TEST_ASSERT_EQ(ex.reason, VMMU_EXIT_MEMORY_FAULT);
	TEST_ASSERT_EQ(ex.memory_fault.gpa, 0x9000);
	TEST_ASSERT_EQ(ex.memory_fault.size, PAGE);
	EXPECT_ERR(vmmu_vcpu_access(vcpu, 0xa008, &v, 8, 0, &ex), 0);
	vmmu_vm_destroy(vm);
	EXPECT_ERR(vmmu_hostmm_destroy(mm), 0);
}

static int set_region2(struct vmmu_vm *vm, uint32_t slot, uint32_t flags, uint64_t gpa,
		       uint64_t size, const void *hva)
{
	struct vmmu_userspace_memory_region2 m = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa, .memory_size = size,
		.userspace_addr = HVA(hva),
	};

	return vmmu_set_user_memory_region2(vm, &m);
}

static void test_region2(void)
{
	struct vmmu_vm *vm = test_vm_create(NULL);
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);
	uint8_t *mem = test_alloc_guest(16 * PAGE);
	struct vmmu_userspace_memory_region2 m = {
		.slot = SLOT(0, 4), .guest_phys_addr = 0x10000, .memory_size = 4 * PAGE,
		.userspace_addr = HVA(mem), .guest_memfd_offset = 123, .guest_memfd = 9,
		.pad1 = 1,
	};
	struct vmmu_exit ex;
	uint64_t gen;

	TEST_ASSERT_EQ(sizeof(m), 160);
	TEST_ASSERT_EQ(offsetof(struct vmmu_userspace_memory_region2, guest_memfd_offset), 32);
	TEST_ASSERT_EQ(offsetof(struct vmmu_userspace_memory_region2, pad1), 44);
	EXPECT_ERR(vmmu_set_user_memory_region2(NULL, &m), -EINVAL);
	EXPECT_ERR(vmmu_set_user_memory_region2(vm, NULL), -EINVAL);
	/* GUEST_MEMFD: -EINVAL alone, with LOG_DIRTY, with READONLY; nothing changes. */
	gen = vmmu_memslots_generation(vm, 0);
	m.flags = VMMU_MEM_GUEST_MEMFD;
	EXPECT_ERR(vmmu_set_user_memory_region2(vm, &m), -EINVAL);
	m.flags = VMMU_MEM_GUEST_MEMFD | LOG;
	EXPECT_ERR(vmmu_set_user_memory_region2(vm, &m), -EINVAL);
	m.flags = VMMU_MEM_GUEST_MEMFD | VMMU_MEM_READONLY;
	EXPECT_ERR(vmmu_set_user_memory_region2(vm, &m), -EINVAL);
	TEST_ASSERT_EQ(vmmu_memslots_generation(vm, 0), gen);
	/* Unknown flags, as v1. */
	m.flags = 1u << 3;
	EXPECT_ERR(vmmu_set_user_memory_region2(vm, &m), -EINVAL);
	/* Padding and the guest_memfd fields are not looked at. */
	m.flags = 0;
	m.pad2[13] = ~0ull;
	EXPECT_ERR(vmmu_set_user_memory_region2(vm, &m), 0);
	TEST_ASSERT_EQ(vmmu_memslots_generation(vm, 0), gen + 2);
	test_guest_store64(mem + PAGE, 0x1234);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, 0x11000), 0x1234);
	/* The v1 checks and errnos. */
	EXPECT_ERR(set_region2(vm, SLOT(0, 5), 0, 0x10000, PAGE, mem + 8 * PAGE), -EEXIST);
	EXPECT_ERR(set_region2(vm, SLOT(0, 5), 0, 0x10001, PAGE, mem + 8 * PAGE), -EINVAL);
	EXPECT_ERR(set_region2(vm, SLOT(0, 5), 0, 0x40000, 100, mem + 8 * PAGE), -EINVAL);
	EXPECT_ERR(set_region2(vm, SLOT(0, 5), 0, 0x40000, PAGE, mem + 1), -EINVAL);
	EXPECT_ERR(set_region2(vm, SLOT(2, 5), 0, 0x40000, PAGE, mem + 8 * PAGE), -EINVAL);
	EXPECT_ERR(set_region2(vm, SLOT(0, 32764), 0, 0x40000, PAGE, mem + 8 * PAGE), -EINVAL);
	EXPECT_ERR(set_region2(vm, SLOT(0, 6), 0, 0, 0, NULL), -EINVAL);	/* delete: no slot */
	EXPECT_ERR(set_region2(vm, SLOT(0, 4), 0, 0x10000, 8 * PAGE, mem), -EINVAL); /* resize */
	/* FLAGS_ONLY, MOVE and DELETE through v2. */
	EXPECT_ERR(set_region2(vm, SLOT(0, 4), LOG, 0x10000, 4 * PAGE, mem), 0);
	EXPECT_ERR(set_region2(vm, SLOT(0, 4), LOG, 0x80000, 4 * PAGE, mem), 0);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, 0x81000), 0x1234);
	EXPECT_ERR(vmmu_vcpu_access(vcpu, 0x11000, &gen, 8, 0, &ex), VMMU_EXIT_MMIO);
	EXPECT_ERR(set_region2(vm, SLOT(0, 4), 0, 0x80000, 0, mem), 0);
	EXPECT_ERR(vmmu_vcpu_access(vcpu, 0x81000, &gen, 8, 0, &ex), VMMU_EXIT_MMIO);
	vmmu_vm_destroy(vm);
	munmap(mem, 16 * PAGE);
}

/* The oracle's stateless check of an access's exit (used by vmmu check). */
static void test_oracle_check_exit(void)
{
	struct oracle_access a = { .gpa = 0x12345, .outcome = ORACLE_FAULT, .ret = -EFAULT };
	struct vmmu_exit ex = { .reason = VMMU_EXIT_MEMORY_FAULT };
	char why[256];

	ex.memory_fault.gpa = 0x12000;
	ex.memory_fault.size = PAGE;
	TEST_ASSERT(oracle_check_exit(&a, 8, &ex, why, sizeof(why)), "%s", why);
	ex.memory_fault.gpa = 0x12345;
	TEST_ASSERT(!oracle_check_exit(&a, 8, &ex, why, sizeof(why)), "unaligned gpa accepted");
	ex.memory_fault.gpa = 0x12000;
	ex.memory_fault.size = 8;
	TEST_ASSERT(!oracle_check_exit(&a, 8, &ex, NULL, 0), "size 8 accepted");
	ex.memory_fault.size = PAGE;
	ex.reason = VMMU_EXIT_MMIO;
	TEST_ASSERT(!oracle_check_exit(&a, 8, &ex, NULL, 0), "wrong reason accepted");
	a.copy = 1;	/* a copy has no exit */
	TEST_ASSERT(oracle_check_exit(&a, 8, &ex, NULL, 0), "copy");
	a = (struct oracle_access){ .gpa = 0x5008, .outcome = ORACLE_MMIO, .write = 1,
				    .ret = VMMU_EXIT_MMIO };
	ex = (struct vmmu_exit){ .reason = VMMU_EXIT_MMIO };
	ex.mmio.phys_addr = 0x5008;
	ex.mmio.len = 4;
	ex.mmio.is_write = 1;
	TEST_ASSERT(oracle_check_exit(&a, 4, &ex, why, sizeof(why)), "%s", why);
	TEST_ASSERT(!oracle_check_exit(&a, 8, &ex, NULL, 0), "wrong length accepted");
	a.ret = VMMU_EXIT_DIRTY_RING_FULL;
	TEST_ASSERT(!oracle_check_exit(&a, 4, &ex, NULL, 0), "full exit with MMIO reason");
	ex.reason = VMMU_EXIT_DIRTY_RING_FULL;
	TEST_ASSERT(oracle_check_exit(&a, 4, &ex, NULL, 0), "full exit");
}

static const struct test_case cases[] = {
	{ "oracle_check_exit", test_oracle_check_exit },
	{ "enable_errnos", test_enable_errnos },
	{ "bitmap_excluded", test_bitmap_excluded },
	{ "device_write_refused", test_device_write_refused },
	{ "push_and_reset", test_push_and_reset },
	{ "initially_set_protects", test_initially_set_protects },
	{ "reset_stale_slot_entries", test_reset_stale_slot_entries },
	{ "wrap_and_coalesce", test_wrap_and_coalesce },
	{ "full_exit", test_full_exit },
	{ "two_vcpus", test_two_vcpus },
	{ "memory_fault_exit", test_memory_fault_exit },
	{ "memory_fault_protected", test_memory_fault_protected },
	{ "memory_fault_exit_hostmm", test_memory_fault_exit_hostmm },
	{ "region2", test_region2 },
};

TEST_CASES_MAIN(cases)
