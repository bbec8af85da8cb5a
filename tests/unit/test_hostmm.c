// SPDX-License-Identifier: MIT
/*
 * The simulated host MM: its API and errnos, its Linux-like semantics
 * (anonymous memory, munmap, MADV_DONTNEED, migration, swap, KSM with
 * copy-on-write, poisoning), and its coherence with an attached VM's vCPUs,
 * one thread at a time.  The concurrent side is tests/stress/test_hostmm_race.c.
 */
#include "test_util.h"

#include "vmmu.h"
#include "vmmu/hostmm.h"
#include "hostmm.h"	/* white box: frame contents, PTEs */

#define PAGE		4096ull
#define GPA_BASE	0x100000ull

static struct vmmu_hostmm *new_mm(uint64_t nr_frames, uint64_t nr_swap, uint32_t flags)
{
	struct vmmu_hostmm_config cfg = { .nr_frames = nr_frames, .nr_swap_slots = nr_swap,
					  .flags = flags };
	struct vmmu_hostmm *mm;

	TEST_ASSERT_EQ(vmmu_hostmm_create(&cfg, &mm), 0);
	return mm;
}

static struct vmmu_hostmm_stats stats(struct vmmu_hostmm *mm)
{
	struct vmmu_hostmm_stats st;

	TEST_ASSERT_EQ(vmmu_hostmm_get_stats(mm, &st), 0);
	return st;
}

static uint64_t mmap_pages(struct vmmu_hostmm *mm, uint64_t n)
{
	uint64_t hva = 0;

	TEST_ASSERT_EQ(vmmu_hostmm_mmap(mm, n * PAGE, &hva), 0);
	return hva;
}

static void fill_page(struct vmmu_hostmm *mm, uint64_t hva, uint64_t v)
{
	uint64_t buf[PAGE / 8];

	for (unsigned int i = 0; i < PAGE / 8; i++)
		buf[i] = v;
	TEST_ASSERT_EQ(vmmu_hostmm_write(mm, hva, buf, PAGE), 0);
}

static uint64_t read_u64(struct vmmu_hostmm *mm, uint64_t hva)
{
	uint64_t v;

	TEST_ASSERT_EQ(vmmu_hostmm_read(mm, hva, &v, 8), 0);
	return v;
}

static bool page_is(struct vmmu_hostmm *mm, uint64_t hva, uint64_t v)
{
	uint64_t buf[PAGE / 8];

	TEST_ASSERT_EQ(vmmu_hostmm_read(mm, hva, buf, PAGE), 0);
	for (unsigned int i = 0; i < PAGE / 8; i++)
		if (buf[i] != v)
			return false;
	return true;
}

/* White box: the frame behind a present page. */
static const uint64_t *frame_of(struct vmmu_hostmm *mm, uint64_t hva)
{
	uint64_t pte = *vma_pte(mm->vma[0], hva);

	for (uint32_t i = 0; i < mm->nr_vmas; i++)
		if (mm->vma[i]->start <= hva && hva < mm->vma[i]->end)
			pte = *vma_pte(mm->vma[i], hva);
	TEST_ASSERT(pte & HPTE_PRESENT, "page %#" PRIx64 " not resident", hva);
	return (const uint64_t *)(mm->frames + (hpte_index(pte) << 12));
}

static bool frame_poisoned(const uint64_t *f)
{
	for (unsigned int i = 0; i < PAGE / 8; i++)
		if (test_guest_load64(&f[i]) != VMMU_HOSTMM_POISON)
			return false;
	return true;
}

static void test_create(void)
{
	struct vmmu_hostmm_config cfg = { 0 };
	struct vmmu_hostmm_stats st;
	struct vmmu_hostmm *mm = (void *)1;

	TEST_ASSERT_EQ(vmmu_hostmm_create(NULL, NULL), -EINVAL);
	cfg.flags = 1u << 31;
	TEST_ASSERT_EQ(vmmu_hostmm_create(&cfg, &mm), -EINVAL);
	TEST_ASSERT(mm == (void *)1, "untouched on failure");
	cfg.flags = 0;
	cfg.nr_frames = VMMU_HOSTMM_MAX_FRAMES + 1;
	TEST_ASSERT_EQ(vmmu_hostmm_create(&cfg, &mm), -EINVAL);
	cfg.nr_frames = 0;
	cfg.nr_swap_slots = VMMU_HOSTMM_MAX_FRAMES + 1;
	TEST_ASSERT_EQ(vmmu_hostmm_create(&cfg, &mm), -EINVAL);

	TEST_ASSERT_EQ(vmmu_hostmm_create(NULL, &mm), 0);
	st = stats(mm);
	TEST_ASSERT_EQ(st.nr_frames, VMMU_HOSTMM_DEFAULT_FRAMES);
	TEST_ASSERT_EQ(st.free_frames, VMMU_HOSTMM_DEFAULT_FRAMES);
	TEST_ASSERT_EQ(st.nr_swap_slots, VMMU_HOSTMM_DEFAULT_FRAMES);
	TEST_ASSERT_EQ(st.free_swap_slots, VMMU_HOSTMM_DEFAULT_FRAMES);
	TEST_ASSERT_EQ(st.vmas, 0);
	TEST_ASSERT_EQ(vmmu_hostmm_get_stats(NULL, &st), -EINVAL);
	TEST_ASSERT_EQ(vmmu_hostmm_get_stats(mm, NULL), -EINVAL);
	TEST_ASSERT_EQ(vmmu_hostmm_destroy(mm), 0);
	TEST_ASSERT_EQ(vmmu_hostmm_destroy(NULL), 0);
}

static void test_mmap(void)
{
	struct vmmu_hostmm *mm = new_mm(64, 0, 0);
	uint64_t a, b, hva, v = 0;

	hva = 0;
	TEST_ASSERT_EQ(vmmu_hostmm_mmap(NULL, PAGE, &hva), -EINVAL);
	TEST_ASSERT_EQ(vmmu_hostmm_mmap(mm, PAGE, NULL), -EINVAL);
	TEST_ASSERT_EQ(vmmu_hostmm_mmap(mm, 0, &hva), -EINVAL);
	TEST_ASSERT_EQ(vmmu_hostmm_mmap(mm, 1ull << 48, &hva), -ENOMEM);
	hva = 0x40000001;
	TEST_ASSERT_EQ(vmmu_hostmm_mmap(mm, PAGE, &hva), -EINVAL);
	hva = 0x1000;
	TEST_ASSERT_EQ(vmmu_hostmm_mmap(mm, PAGE, &hva), -EPERM);
	hva = (1ull << 47) - PAGE;
	TEST_ASSERT_EQ(vmmu_hostmm_mmap(mm, 2 * PAGE, &hva), -ENOMEM);
	TEST_ASSERT_EQ(stats(mm).vmas, 0);

	/* Chosen addresses: aligned, from 16 TiB, in the user half, with a guard gap. */
	a = mmap_pages(mm, 2);
	b = mmap_pages(mm, 1);
	TEST_ASSERT(a >= (1ull << 44) && !(a & (PAGE - 1)) && b + PAGE <= (1ull << 47) - PAGE,
		    "a=%#" PRIx64 " b=%#" PRIx64, a, b);
	TEST_ASSERT(b >= a + 3 * PAGE, "no guard page between %#" PRIx64 " and %#" PRIx64, a, b);
	TEST_ASSERT_EQ(vmmu_hostmm_read(mm, a + 2 * PAGE, &v, 8), -EFAULT);

	/* Fixed: must not overlap (MAP_FIXED_NOREPLACE). */
	hva = a + PAGE;
	TEST_ASSERT_EQ(vmmu_hostmm_mmap(mm, PAGE, &hva), -EEXIST);
	hva = a - PAGE;
	TEST_ASSERT_EQ(vmmu_hostmm_mmap(mm, 2 * PAGE, &hva), -EEXIST);
	hva = a + 2 * PAGE;
	TEST_ASSERT_EQ(vmmu_hostmm_mmap(mm, 1, &hva), 0);	/* fills the gap; len rounded up */
	TEST_ASSERT_EQ(hva, a + 2 * PAGE);
	TEST_ASSERT_EQ(vmmu_hostmm_read(mm, a + 2 * PAGE, &v, 8), 0);
	TEST_ASSERT_EQ(v, 0);
	hva = 0x10000;
	TEST_ASSERT_EQ(vmmu_hostmm_mmap(mm, PAGE, &hva), 0);
	TEST_ASSERT_EQ(stats(mm).vmas, 4);

	/* Untouched memory reads as zero and materializes nothing. */
	TEST_ASSERT(page_is(mm, a, 0), "fresh page not zero");
	TEST_ASSERT_EQ(stats(mm).resident_pages, 0);
	TEST_ASSERT_EQ(vmmu_hostmm_destroy(mm), 0);
}

static void test_rw(void)
{
	struct vmmu_hostmm *mm = new_mm(64, 0, 0);
	uint64_t a = mmap_pages(mm, 2);
	char buf[64], out[64];

	for (unsigned int i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i * 7 + 1);
	TEST_ASSERT_EQ(vmmu_hostmm_write(NULL, a, buf, 8), -EINVAL);
	TEST_ASSERT_EQ(vmmu_hostmm_read(NULL, a, out, 8), -EINVAL);
	TEST_ASSERT_EQ(vmmu_hostmm_write(mm, a, NULL, 8), -EFAULT);
	TEST_ASSERT_EQ(vmmu_hostmm_read(mm, a, NULL, 8), -EFAULT);
	TEST_ASSERT_EQ(vmmu_hostmm_read(mm, a, NULL, 0), 0);
	TEST_ASSERT_EQ(vmmu_hostmm_write(mm, UINT64_MAX - 3, buf, 8), -EFAULT);

	/* Across the page boundary, unaligned. */
	TEST_ASSERT_EQ(vmmu_hostmm_write(mm, a + PAGE - 13, buf, sizeof(buf)), 0);
	memset(out, 0, sizeof(out));
	TEST_ASSERT_EQ(vmmu_hostmm_read(mm, a + PAGE - 13, out, sizeof(out)), 0);
	TEST_ASSERT(!memcmp(buf, out, sizeof(buf)), "round trip");
	TEST_ASSERT_EQ(stats(mm).resident_pages, 2);
	TEST_ASSERT_EQ(stats(mm).faults, 2);

	/* A range running off the mapping: -EFAULT after the mapped prefix. */
	TEST_ASSERT_EQ(vmmu_hostmm_write(mm, a + 2 * PAGE - 8, buf, 16), -EFAULT);
	TEST_ASSERT_EQ(vmmu_hostmm_read(mm, a + 2 * PAGE - 8, out, 16), -EFAULT);
	TEST_ASSERT(!memcmp(out, buf, 8), "prefix was written");
	TEST_ASSERT_EQ(vmmu_hostmm_destroy(mm), 0);
}

static void test_munmap(void)
{
	struct vmmu_hostmm *mm = new_mm(64, 0, 0);
	uint64_t a = mmap_pages(mm, 4), v, hva;

	for (unsigned int i = 0; i < 4; i++)
		fill_page(mm, a + i * PAGE, 0x1111 * (i + 1));
	TEST_ASSERT_EQ(vmmu_hostmm_munmap(NULL, a, PAGE), -EINVAL);
	TEST_ASSERT_EQ(vmmu_hostmm_munmap(mm, a + 1, PAGE), -EINVAL);
	TEST_ASSERT_EQ(vmmu_hostmm_munmap(mm, a, 0), -EINVAL);
	TEST_ASSERT_EQ(vmmu_hostmm_munmap(mm, (1ull << 47) - PAGE, 2 * PAGE), -EINVAL);
	TEST_ASSERT_EQ(vmmu_hostmm_munmap(mm, a + 64 * PAGE, PAGE), 0);	/* nothing there */
	TEST_ASSERT_EQ(stats(mm).invalidations, 0);

	/* The middle: the VMA splits, the sides keep their contents. */
	TEST_ASSERT_EQ(vmmu_hostmm_munmap(mm, a + PAGE, 2 * PAGE - 100), 0);
	TEST_ASSERT_EQ(stats(mm).vmas, 2);
	TEST_ASSERT_EQ(stats(mm).resident_pages, 2);
	TEST_ASSERT_EQ(stats(mm).pages_unmapped, 2);
	TEST_ASSERT_EQ(stats(mm).frames_freed, 2);
	TEST_ASSERT_EQ(vmmu_hostmm_read(mm, a + PAGE, &v, 8), -EFAULT);
	TEST_ASSERT_EQ(vmmu_hostmm_read(mm, a + 2 * PAGE, &v, 8), -EFAULT);
	TEST_ASSERT(page_is(mm, a, 0x1111) && page_is(mm, a + 3 * PAGE, 0x4444), "sides kept");

	/* Map the hole again: anonymous memory, zero. */
	hva = a + PAGE;
	TEST_ASSERT_EQ(vmmu_hostmm_mmap(mm, PAGE, &hva), 0);
	TEST_ASSERT(page_is(mm, a + PAGE, 0), "remapped page not zero");

	/* Head and tail cuts, then everything. */
	TEST_ASSERT_EQ(vmmu_hostmm_munmap(mm, a, PAGE), 0);
	TEST_ASSERT_EQ(vmmu_hostmm_munmap(mm, a + PAGE, 16 * PAGE), 0);
	TEST_ASSERT_EQ(stats(mm).vmas, 0);
	TEST_ASSERT_EQ(stats(mm).resident_pages, 0);
	TEST_ASSERT_EQ(stats(mm).free_frames, 64);
	TEST_ASSERT_EQ(vmmu_hostmm_destroy(mm), 0);
}

static void test_dontneed(void)
{
	struct vmmu_hostmm *mm = new_mm(64, 0, 0);
	uint64_t a = mmap_pages(mm, 2);

	fill_page(mm, a, 7);
	fill_page(mm, a + PAGE, 8);
	TEST_ASSERT_EQ(vmmu_hostmm_madv_dontneed(NULL, a, PAGE), -EINVAL);
	TEST_ASSERT_EQ(vmmu_hostmm_madv_dontneed(mm, a + 8, PAGE), -EINVAL);
	TEST_ASSERT_EQ(vmmu_hostmm_madv_dontneed(mm, a, 0), 0);
	TEST_ASSERT_EQ(vmmu_hostmm_madv_dontneed(mm, a, PAGE), 0);
	TEST_ASSERT(page_is(mm, a, 0) && page_is(mm, a + PAGE, 8), "dropped page reads zero");
	/* Running into the guard page: -ENOMEM, but the mapped part is dropped. */
	TEST_ASSERT_EQ(vmmu_hostmm_madv_dontneed(mm, a + PAGE, 2 * PAGE), -ENOMEM);
	TEST_ASSERT(page_is(mm, a + PAGE, 0), "dropped despite the hole");
	TEST_ASSERT_EQ(stats(mm).vmas, 1);
	TEST_ASSERT_EQ(vmmu_hostmm_destroy(mm), 0);
}

static void test_migrate(void)
{
	struct vmmu_hostmm *mm = new_mm(3, 0, 0);
	uint64_t a = mmap_pages(mm, 4);
	const uint64_t *old;

	TEST_ASSERT_EQ(vmmu_hostmm_migrate(NULL, a), -EINVAL);
	TEST_ASSERT_EQ(vmmu_hostmm_migrate(mm, a - PAGE), -EFAULT);
	TEST_ASSERT_EQ(vmmu_hostmm_migrate(mm, a), -EAGAIN);	/* never touched */
	fill_page(mm, a, 0x5a5a);
	old = frame_of(mm, a);
	TEST_ASSERT_EQ(vmmu_hostmm_migrate(mm, a + 123), 0);
	TEST_ASSERT(frame_of(mm, a) != old, "same frame after migration");
	TEST_ASSERT(frame_poisoned(old), "old frame not poisoned");
	TEST_ASSERT(page_is(mm, a, 0x5a5a), "contents lost");
	TEST_ASSERT_EQ(stats(mm).migrations, 1);

	/* Out of frames. */
	fill_page(mm, a + PAGE, 1);
	fill_page(mm, a + 2 * PAGE, 2);
	TEST_ASSERT_EQ(stats(mm).free_frames, 0);
	TEST_ASSERT_EQ(vmmu_hostmm_migrate(mm, a), -ENOMEM);
	TEST_ASSERT_EQ(vmmu_hostmm_write(mm, a + 3 * PAGE, "x", 1), -ENOMEM);
	TEST_ASSERT(stats(mm).oom >= 2, "oom not counted");
	TEST_ASSERT(page_is(mm, a, 0x5a5a), "failed migration changed the page");
	TEST_ASSERT_EQ(vmmu_hostmm_destroy(mm), 0);
}

static void test_swap(void)
{
	struct vmmu_hostmm *mm = new_mm(8, 1, 0);
	uint64_t a = mmap_pages(mm, 2);
	const uint64_t *old;

	TEST_ASSERT_EQ(vmmu_hostmm_swap_out(NULL, a), -EINVAL);
	TEST_ASSERT_EQ(vmmu_hostmm_swap_out(mm, a + 5 * PAGE), -EFAULT);
	TEST_ASSERT_EQ(vmmu_hostmm_swap_out(mm, a), -EAGAIN);
	fill_page(mm, a, 0xabcdef);
	fill_page(mm, a + PAGE, 0x123);
	old = frame_of(mm, a);
	TEST_ASSERT_EQ(vmmu_hostmm_swap_out(mm, a), 0);
	TEST_ASSERT(frame_poisoned(old), "swapped-out frame not poisoned");
	TEST_ASSERT_EQ(vmmu_hostmm_swap_out(mm, a), -EAGAIN);		/* already out */
	TEST_ASSERT_EQ(vmmu_hostmm_swap_out(mm, a + PAGE), -ENOSPC);	/* one slot */
	TEST_ASSERT_EQ(vmmu_hostmm_migrate(mm, a), -EAGAIN);
	TEST_ASSERT_EQ(stats(mm).swapped_pages, 1);
	TEST_ASSERT_EQ(stats(mm).resident_pages, 1);
	TEST_ASSERT_EQ(stats(mm).free_swap_slots, 0);
	TEST_ASSERT(page_is(mm, a, 0xabcdef), "swap-in lost the contents");
	TEST_ASSERT_EQ(stats(mm).swap_ins, 1);
	TEST_ASSERT_EQ(stats(mm).free_swap_slots, 1);
	/* Swapped pages dropped by munmap give their slot back. */
	TEST_ASSERT_EQ(vmmu_hostmm_swap_out(mm, a + PAGE), 0);
	TEST_ASSERT_EQ(vmmu_hostmm_munmap(mm, a, 2 * PAGE), 0);
	TEST_ASSERT_EQ(stats(mm).free_swap_slots, 1);
	TEST_ASSERT_EQ(stats(mm).swapped_pages, 0);
	TEST_ASSERT_EQ(vmmu_hostmm_destroy(mm), 0);
}

static void test_ksm(void)
{
	struct vmmu_hostmm *mm = new_mm(16, 0, 0);
	uint64_t a = mmap_pages(mm, 4), b = a + PAGE, c = a + 2 * PAGE;
	const uint64_t *fb;
	struct vmmu_hostmm_stats st;

	TEST_ASSERT_EQ(vmmu_hostmm_ksm_merge(NULL, a, b), -EINVAL);
	TEST_ASSERT_EQ(vmmu_hostmm_ksm_merge(mm, a, a + 8), -EINVAL);
	TEST_ASSERT_EQ(vmmu_hostmm_ksm_merge(mm, a, a + 9 * PAGE), -EFAULT);
	TEST_ASSERT_EQ(vmmu_hostmm_ksm_merge(mm, a, b), -EAGAIN);	/* not resident */

	fill_page(mm, a, 0x77);
	fill_page(mm, b, 0x78);
	TEST_ASSERT_EQ(vmmu_hostmm_ksm_merge(mm, a, b), -EAGAIN);	/* differ */
	st = stats(mm);
	TEST_ASSERT_EQ(st.ksm_merge_failed, 1);
	TEST_ASSERT_EQ(st.ksm_frames, 0);
	/* Left write-protected: the next write re-enables writes in place. */
	fill_page(mm, b, 0x77);
	TEST_ASSERT_EQ(stats(mm).wp_reuses, 1);
	TEST_ASSERT_EQ(stats(mm).cow_breaks, 0);

	fb = frame_of(mm, b);
	TEST_ASSERT_EQ(vmmu_hostmm_ksm_merge(mm, a, b), 0);
	st = stats(mm);
	TEST_ASSERT_EQ(st.ksm_merges, 1);
	TEST_ASSERT_EQ(st.ksm_frames, 1);
	TEST_ASSERT_EQ(st.resident_pages, 2);
	TEST_ASSERT(frame_of(mm, a) == frame_of(mm, b), "not sharing a frame");
	TEST_ASSERT(frame_poisoned(fb), "b's old frame not poisoned");
	TEST_ASSERT_EQ(vmmu_hostmm_ksm_merge(mm, b, a), 0);		/* already merged */
	TEST_ASSERT_EQ(vmmu_hostmm_migrate(mm, a), -EBUSY);
	TEST_ASSERT_EQ(vmmu_hostmm_swap_out(mm, b), -EBUSY);

	/* A third identical page joins the KSM frame. */
	fill_page(mm, c, 0x77);
	TEST_ASSERT_EQ(vmmu_hostmm_ksm_merge(mm, b, c), 0);
	TEST_ASSERT(frame_of(mm, c) == frame_of(mm, a), "c not merged");
	TEST_ASSERT_EQ(stats(mm).ksm_frames, 1);

	/* Writes break COW; the others keep the old contents. */
	TEST_ASSERT_EQ(vmmu_hostmm_write(mm, b + 8, "B", 1), 0);
	TEST_ASSERT_EQ(stats(mm).cow_breaks, 1);
	TEST_ASSERT(page_is(mm, a, 0x77) && page_is(mm, c, 0x77), "COW leaked into a or c");
	TEST_ASSERT_EQ(read_u64(mm, b + 8), 0x42);
	TEST_ASSERT_EQ(vmmu_hostmm_write(mm, a, "A", 1), 0);
	TEST_ASSERT_EQ(vmmu_hostmm_write(mm, c, "C", 1), 0);	/* KSM frame, mapcount 1: copied too */
	st = stats(mm);
	TEST_ASSERT_EQ(st.cow_breaks, 3);
	TEST_ASSERT_EQ(st.ksm_frames, 0);
	TEST_ASSERT_EQ(st.free_frames, 16 - 3);
	TEST_ASSERT_EQ(read_u64(mm, a) & 0xff, 'A');
	TEST_ASSERT_EQ(read_u64(mm, c) & 0xff, 'C');
	TEST_ASSERT_EQ(vmmu_hostmm_destroy(mm), 0);
}

/* ---------------------------------------------------------------------- */
/* With a VM                                                               */
/* ---------------------------------------------------------------------- */

struct env {
	struct vmmu_hostmm *mm;
	struct vmmu_vm *vm;
	struct vmmu_vcpu *vcpu;
	uint64_t hva;
	uint64_t npages;
};

static void env_init(struct env *e, uint64_t npages, uint32_t mm_flags, uint32_t slot_flags)
{
	e->mm = new_mm(4 * npages + 8, 0, mm_flags);
	e->npages = npages;
	e->hva = mmap_pages(e->mm, npages);
	e->vm = test_vm_create(NULL);
	TEST_ASSERT_EQ(vmmu_vm_attach_hostmm(e->vm, e->mm), 0);
	TEST_SET_REGION_OK(e->vm, 0, slot_flags, GPA_BASE, npages * PAGE, e->hva);
	e->vcpu = test_vcpu_create(e->vm, 0);
}

static void env_fini(struct env *e)
{
	vmmu_vm_destroy(e->vm);
	TEST_ASSERT_EQ(stats(e->mm).attached_vms, 0);
	TEST_ASSERT_EQ(vmmu_hostmm_destroy(e->mm), 0);
}

static uint64_t vcpu_read(struct env *e, uint64_t page, uint64_t off)
{
	return test_vcpu_read64(e->vcpu, GPA_BASE + page * PAGE + off);
}

static void vcpu_write(struct env *e, uint64_t page, uint64_t off, uint64_t v)
{
	test_vcpu_write64(e->vcpu, GPA_BASE + page * PAGE + off, v);
}

static void test_attach(void)
{
	struct vmmu_userspace_memory_region r = { .memory_size = PAGE, .guest_phys_addr = GPA_BASE };
	struct vmmu_hostmm *mm = new_mm(8, 0, 0), *mm2 = new_mm(8, 0, 0);
	struct vmmu_vm *vm, *vm2;
	void *ram = test_alloc_guest(PAGE);

	vm = test_vm_create(NULL);
	vm2 = test_vm_create(NULL);
	TEST_ASSERT_EQ(vmmu_vm_attach_hostmm(NULL, mm), -EINVAL);
	TEST_ASSERT_EQ(vmmu_vm_attach_hostmm(vm, NULL), -EINVAL);
	TEST_ASSERT_EQ(vmmu_vm_detach_hostmm(NULL), -EINVAL);
	TEST_ASSERT_EQ(vmmu_vm_detach_hostmm(vm), -EINVAL);

	/* Only without memslots. */
	r.userspace_addr = (uint64_t)(uintptr_t)ram;
	TEST_ASSERT_EQ(vmmu_set_user_memory_region(vm, &r), 0);
	TEST_ASSERT_EQ(vmmu_vm_attach_hostmm(vm, mm), -EBUSY);
	r.memory_size = 0;
	TEST_ASSERT_EQ(vmmu_set_user_memory_region(vm, &r), 0);
	TEST_ASSERT_EQ(vmmu_vm_attach_hostmm(vm, mm), 0);
	TEST_ASSERT_EQ(vmmu_vm_attach_hostmm(vm, mm), -EBUSY);
	TEST_ASSERT_EQ(vmmu_vm_attach_hostmm(vm, mm2), -EBUSY);
	TEST_ASSERT_EQ(vmmu_vm_attach_hostmm(vm2, mm), 0);	/* two VMs, one MM */
	TEST_ASSERT_EQ(stats(mm).attached_vms, 2);
	TEST_ASSERT_EQ(vmmu_hostmm_destroy(mm), -EBUSY);

	r.memory_size = PAGE;
	r.userspace_addr = mmap_pages(mm, 1);
	TEST_ASSERT_EQ(vmmu_set_user_memory_region(vm, &r), 0);
	TEST_ASSERT_EQ(vmmu_vm_detach_hostmm(vm), -EBUSY);
	r.memory_size = 0;
	TEST_ASSERT_EQ(vmmu_set_user_memory_region(vm, &r), 0);
	TEST_ASSERT_EQ(vmmu_vm_detach_hostmm(vm), 0);
	TEST_ASSERT_EQ(vmmu_vm_detach_hostmm(vm), -EINVAL);
	TEST_ASSERT_EQ(stats(mm).attached_vms, 1);

	/* Detached: direct backend again. */
	r.memory_size = PAGE;
	r.userspace_addr = (uint64_t)(uintptr_t)ram;
	TEST_ASSERT_EQ(vmmu_set_user_memory_region(vm, &r), 0);
	{
		struct vmmu_vcpu *vcpu;
		struct vmmu_exit ex;
		uint64_t v = 0x1234;

		vcpu = test_vcpu_create(vm, 0);
		TEST_ASSERT_EQ(vmmu_vcpu_access(vcpu, GPA_BASE, &v, 8, VMMU_ACCESS_WRITE, &ex), 0);
		TEST_ASSERT_EQ(*(uint64_t *)ram, 0x1234);
	}

	/* vmmu_vm_destroy detaches, memslots or not. */
	r.userspace_addr = mmap_pages(mm, 1);
	TEST_ASSERT_EQ(vmmu_set_user_memory_region(vm2, &r), 0);
	vmmu_vm_destroy(vm2);
	TEST_ASSERT_EQ(stats(mm).attached_vms, 0);
	vmmu_vm_destroy(vm);
	TEST_ASSERT_EQ(vmmu_hostmm_destroy(mm), 0);
	TEST_ASSERT_EQ(vmmu_hostmm_destroy(mm2), 0);
	munmap(ram, PAGE);
}

static void test_vcpu_basic(void)
{
	struct env e;
	uint64_t v, buf[4];

	env_init(&e, 4, 0, 0);
	/* Untouched guest RAM reads zero (first touch from the fault path). */
	TEST_ASSERT_EQ(vcpu_read(&e, 0, 0), 0);
	TEST_ASSERT_EQ(stats(e.mm).faults, 1);
	vcpu_write(&e, 1, 16, 0xfeedface);
	TEST_ASSERT_EQ(read_u64(e.mm, e.hva + PAGE + 16), 0xfeedface);
	v = 0xc0ffee;
	TEST_ASSERT_EQ(vmmu_hostmm_write(e.mm, e.hva + 2 * PAGE + 8, &v, 8), 0);
	TEST_ASSERT_EQ(vcpu_read(&e, 2, 8), 0xc0ffee);
	/* The host write reaches a page the vCPU already maps (same frame). */
	v = 0xbeef;
	TEST_ASSERT_EQ(vmmu_hostmm_write(e.mm, e.hva + PAGE + 16, &v, 8), 0);
	TEST_ASSERT_EQ(vcpu_read(&e, 1, 16), 0xbeef);
	/* kvm_vcpu_read_guest / write_guest through the backend, across pages. */
	for (int i = 0; i < 4; i++)
		buf[i] = 0x1000 + i;
	TEST_ASSERT_EQ(vmmu_vcpu_write_guest(e.vcpu, GPA_BASE + 3 * PAGE - 16, buf, sizeof(buf)), 0);
	memset(buf, 0, sizeof(buf));
	TEST_ASSERT_EQ(vmmu_hostmm_read(e.mm, e.hva + 3 * PAGE - 16, buf, sizeof(buf)), 0);
	TEST_ASSERT(buf[0] == 0x1000 && buf[3] == 0x1003, "write_guest");
	TEST_ASSERT_EQ(vcpu_read(&e, 3, 8), 0x1003);
	memset(buf, 0, sizeof(buf));
	TEST_ASSERT_EQ(vmmu_vcpu_read_guest(e.vcpu, GPA_BASE + 3 * PAGE - 16, buf, sizeof(buf)), 0);
	TEST_ASSERT(buf[1] == 0x1001 && buf[2] == 0x1002, "read_guest");
	env_fini(&e);
}

/* Migration, swap-out and DONTNEED are all seen by a vCPU that maps the page. */
static void test_vcpu_coherence(void)
{
	struct vmmu_stats before;
	const uint64_t *old;
	struct env e;

	env_init(&e, 4, 0, 0);
	vcpu_write(&e, 0, 0, 0xaaaa0000);
	TEST_ASSERT_EQ(vcpu_read(&e, 0, 0), 0xaaaa0000);	/* cached in the vCPU's TLB */
	old = frame_of(e.mm, e.hva);
	before = test_vm_stats(e.vm);
	TEST_ASSERT_EQ(vmmu_hostmm_migrate(e.mm, e.hva), 0);
	TEST_ASSERT(frame_poisoned(old), "old frame");
	TEST_ASSERT_EQ(vcpu_read(&e, 0, 0), 0xaaaa0000);	/* not poison: remapped */
	TEST_ASSERT(test_vm_stats(e.vm).pf_fixed > before.pf_fixed, "no refault after migration");
	TEST_ASSERT(test_vm_stats(e.vm).sptes_zapped > before.sptes_zapped, "SPTE not zapped");
	vcpu_write(&e, 0, 8, 0x5555);
	TEST_ASSERT_EQ(read_u64(e.mm, e.hva + 8), 0x5555);

	TEST_ASSERT_EQ(vmmu_hostmm_swap_out(e.mm, e.hva), 0);
	TEST_ASSERT_EQ(vcpu_read(&e, 0, 8), 0x5555);		/* swapped in by the fault */
	TEST_ASSERT_EQ(stats(e.mm).swap_ins, 1);
	vcpu_write(&e, 0, 16, 0x6666);
	TEST_ASSERT_EQ(read_u64(e.mm, e.hva + 16), 0x6666);

	TEST_ASSERT_EQ(vmmu_hostmm_madv_dontneed(e.mm, e.hva, PAGE), 0);
	TEST_ASSERT_EQ(vcpu_read(&e, 0, 16), 0);		/* anonymous memory: zero */
	TEST_ASSERT_EQ(test_vm_stats(e.vm).change_pte_unbracketed, 0);
	env_fini(&e);
}

static void test_vcpu_munmap(void)
{
	struct vmmu_exit ex;
	struct env e;
	uint64_t v, hva;

	env_init(&e, 2, 0, 0);
	vcpu_write(&e, 1, 0, 42);
	TEST_ASSERT_EQ(vmmu_hostmm_munmap(e.mm, e.hva + PAGE, PAGE), 0);
	TEST_ASSERT_EQ(vmmu_vcpu_access(e.vcpu, GPA_BASE + PAGE, &v, 8, 0, &ex), -EFAULT);
	TEST_ASSERT_EQ(vmmu_vcpu_read_guest(e.vcpu, GPA_BASE + PAGE, &v, 8), -EFAULT);
	TEST_ASSERT_EQ(vcpu_read(&e, 0, 0), 0);			/* the other page is fine */
	hva = e.hva + PAGE;
	TEST_ASSERT_EQ(vmmu_hostmm_mmap(e.mm, PAGE, &hva), 0);
	TEST_ASSERT_EQ(vcpu_read(&e, 1, 0), 0);
	env_fini(&e);
}

/* KSM: the vCPU reads the merged frame, and its write breaks COW in the fault path. */
static void test_vcpu_ksm_cow(void)
{
	struct vmmu_stats before;
	struct env e;

	env_init(&e, 2, 0, 0);
	fill_page(e.mm, e.hva, 0x99);
	fill_page(e.mm, e.hva + PAGE, 0x99);
	TEST_ASSERT_EQ(vcpu_read(&e, 0, 0), 0x99);
	TEST_ASSERT_EQ(vcpu_read(&e, 1, 0), 0x99);
	TEST_ASSERT_EQ(vmmu_hostmm_ksm_merge(e.mm, e.hva, e.hva + PAGE), 0);
	TEST_ASSERT(stats(e.mm).change_pte_calls >= 1, "no change_pte");
	TEST_ASSERT_EQ(vcpu_read(&e, 1, 8), 0x99);
	TEST_ASSERT_EQ(vcpu_read(&e, 0, 8), 0x99);

	before = test_vm_stats(e.vm);
	vcpu_write(&e, 1, 8, 0xdead);
	TEST_ASSERT_EQ(stats(e.mm).cow_breaks, 1);
	/* The fault's own COW bracket made it retry once. */
	TEST_ASSERT(test_vm_stats(e.vm).notifier_retries > before.notifier_retries, "no retry");
	TEST_ASSERT_EQ(read_u64(e.mm, e.hva + PAGE + 8), 0xdead);
	TEST_ASSERT_EQ(read_u64(e.mm, e.hva + 8), 0x99);
	TEST_ASSERT_EQ(vcpu_read(&e, 0, 8), 0x99);
	vcpu_write(&e, 0, 8, 0xbeef);
	TEST_ASSERT_EQ(read_u64(e.mm, e.hva + 8), 0xbeef);
	TEST_ASSERT_EQ(vcpu_read(&e, 1, 8), 0xdead);
	TEST_ASSERT_EQ(test_vm_stats(e.vm).change_pte_unbracketed, 0);
	env_fini(&e);
}

/*
 * With dirty logging, a write through the host MM's COW break is logged
 * like any other vCPU write.
 */
static void test_vcpu_ksm_dirty_log(void)
{
	uint64_t bitmap[1];
	struct env e;

	env_init(&e, 2, 0, VMMU_MEM_LOG_DIRTY_PAGES);
	fill_page(e.mm, e.hva, 3);
	fill_page(e.mm, e.hva + PAGE, 3);
	TEST_ASSERT_EQ(vmmu_get_dirty_log(e.vm, 0, bitmap), 0);
	TEST_ASSERT_EQ(vmmu_hostmm_ksm_merge(e.mm, e.hva, e.hva + PAGE), 0);
	TEST_ASSERT_EQ(vcpu_read(&e, 1, 0), 3);
	TEST_ASSERT_EQ(vmmu_get_dirty_log(e.vm, 0, bitmap), 0);
	TEST_ASSERT_EQ(bitmap[0], 0);
	vcpu_write(&e, 1, 0, 4);
	TEST_ASSERT_EQ(vmmu_get_dirty_log(e.vm, 0, bitmap), 0);
	TEST_ASSERT_EQ(bitmap[0], 2);
	TEST_ASSERT_EQ(read_u64(e.mm, e.hva), 3);
	env_fini(&e);
}

/*
 * change_pte inside a bracket whose range hits no memslot is valid (KVM
 * warns on !mn_active_invalidate_count, not on !in_progress): KSM merging
 * pages that no slot maps must not be refused as unbracketed.  Outside any
 * bracket it still is.
 */
static void test_change_pte_outside_slots(void)
{
	struct env e;
	uint64_t other;

	env_init(&e, 1, 0, 0);
	other = mmap_pages(e.mm, 2);
	fill_page(e.mm, other, 1);
	fill_page(e.mm, other + PAGE, 1);
	TEST_ASSERT_EQ(vmmu_hostmm_ksm_merge(e.mm, other, other + PAGE), 0);
	TEST_ASSERT_EQ(test_vm_stats(e.vm).change_pte_unbracketed, 0);

	vmmu_mmu_notifier_invalidate_range_start(e.vm, other, other + PAGE);
	TEST_ASSERT_EQ(vmmu_mmu_notifier_change_pte(e.vm, other, 0x1000, 0), 0);
	vmmu_mmu_notifier_invalidate_range_end(e.vm, other, other + PAGE);
	TEST_ASSERT_EQ(test_vm_stats(e.vm).change_pte_unbracketed, 0);
	TEST_ASSERT_EQ(vmmu_mmu_notifier_change_pte(e.vm, other, 0x1000, 0), -EINVAL);
	TEST_ASSERT_EQ(test_vm_stats(e.vm).change_pte_unbracketed, 1);
	env_fini(&e);
}

/*
 * Seed 003 in the simulated MM: KSM replacing a page without the bracket
 * leaves the VM a translation of the freed frame.  The poison makes that
 * visible at once to a reading vCPU, and a write through it is caught when
 * the frame is reused.  The same steps with the bracket are clean.
 */
static void ksm_replace_scenario(bool legacy)
{
	struct env e;
	uint64_t v;

	env_init(&e, 2, legacy ? VMMU_HOSTMM_LEGACY_KSM : 0, 0);
	fill_page(e.mm, e.hva, 0x10);
	fill_page(e.mm, e.hva + PAGE, 0x20);
	/* Differ: both pages end up write-protected. */
	TEST_ASSERT_EQ(vmmu_hostmm_ksm_merge(e.mm, e.hva, e.hva + PAGE), -EAGAIN);
	/* The vCPU maps b (read-only host page: read-only SPTE). */
	TEST_ASSERT_EQ(vcpu_read(&e, 1, 0), 0x20);
	/* a becomes identical (reuse: no notifier). */
	fill_page(e.mm, e.hva, 0x20);
	/* b is read-only already: only a gets a write-protect bracket. */
	TEST_ASSERT_EQ(vmmu_hostmm_ksm_merge(e.mm, e.hva, e.hva + PAGE), 0);
	v = vcpu_read(&e, 1, 0);
	if (!legacy) {
		TEST_ASSERT_EQ(v, 0x20);
		TEST_ASSERT_EQ(test_vm_stats(e.vm).change_pte_unbracketed, 0);
		TEST_ASSERT_EQ(stats(e.mm).poison_corruptions, 0);
		env_fini(&e);
		return;
	}
	TEST_ASSERT_EQ(v, VMMU_HOSTMM_POISON);
	TEST_ASSERT_EQ(test_vm_stats(e.vm).change_pte_unbracketed, 1);
	env_fini(&e);
}

static void test_ksm_bracket(void)
{
	ksm_replace_scenario(false);
	ksm_replace_scenario(true);
}

/* A frame written after it was freed is reported when it is taken again. */
static void test_poison_check(void)
{
	struct vmmu_hostmm *mm = new_mm(2, 0, VMMU_HOSTMM_LEGACY_KSM);
	uint64_t a = mmap_pages(mm, 2);
	uint64_t *stale;

	fill_page(mm, a, 1);
	stale = (uint64_t *)frame_of(mm, a);
	TEST_ASSERT_EQ(vmmu_hostmm_madv_dontneed(mm, a, PAGE), 0);
	TEST_ASSERT(frame_poisoned(stale), "not poisoned");
	test_guest_store64(&stale[100], 0x5ca1ab1e);	/* the stale write */
	TEST_ASSERT_EQ(stats(mm).poison_corruptions, 0);
	/* Freed frames are reused before fresh ones. */
	TEST_ASSERT_EQ(vmmu_hostmm_write(mm, a + PAGE + 8, "x", 1), 0);
	TEST_ASSERT_EQ(stats(mm).poison_corruptions, 1);
	TEST_ASSERT(frame_of(mm, a + PAGE) == stale, "did not reuse the freed frame");
	TEST_ASSERT_EQ(read_u64(mm, a + PAGE + 800), 0);	/* zeroed on reuse */
	TEST_ASSERT_EQ(read_u64(mm, a + PAGE + 8), 'x');
	TEST_ASSERT_EQ(vmmu_hostmm_destroy(mm), 0);
}

int main(void)
{
	test_create();
	test_mmap();
	test_rw();
	test_munmap();
	test_dontneed();
	test_migrate();
	test_swap();
	test_ksm();
	test_attach();
	test_vcpu_basic();
	test_vcpu_coherence();
	test_vcpu_munmap();
	test_vcpu_ksm_cow();
	test_vcpu_ksm_dirty_log();
	test_change_pte_outside_slots();
	test_ksm_bracket();
	test_poison_check();
	printf("test_hostmm: all passed\n");
	return KSFT_PASS;
}
