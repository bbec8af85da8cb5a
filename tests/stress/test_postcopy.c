/* SPDX-License-Identifier: MIT */
/*
 * Post-copy migration: a vCPU blocked in a host page fault must not hold up
 * the map changes its resolver makes before resolving that fault.
 *
 * Guest RAM of slot 0 is registered with userfaultfd (missing mode), as a
 * post-copy destination's is: its page is not there yet.  Slot 1 is plain
 * memory that a second vCPU keeps using.
 *
 *	vCPU 0                       resolver                  vCPU 1
 *	------                       --------                  ------
 *	read gpa of slot 0:          read(uffd): the fault     reads slot 1
 *	fault, walk, load ...        (vCPU 0 is blocked in     in a loop
 *	blocked in the kernel        its access now)
 *	                             OP on slot 1 (below)
 *	                             UFFDIO_COPY the page
 *	... load returns the page    (done)
 *
 * OP is, per case, a DELETE of slot 1, a MOVE of it, a flags change that
 * turns on dirty logging, GET_DIRTY_LOG of it (which write-protects and
 * flushes), or an invalidate_range_start/end bracket over its host memory.
 * Each of them flushes remote TLBs; a flush that waits for every vCPU
 * inside an access waits for vCPU 0 for good, and the resolver never
 * resolves the fault: a deadlock.  KVM's flush waits only for vCPUs in
 * guest mode, never for one stuck in a host fault, and so must vmmu's.
 *
 * The test fails if the resolver has not finished within DEADLINE_S (the
 * operations take microseconds), if vCPU 0 does not read what UFFDIO_COPY
 * put there, or if vCPU 1's accesses fail.  It skips if userfaultfd is not
 * available (a kernel without it, or a seccomp filter that forbids it).
 *
 * Usage: test_postcopy [case]
 */
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <vmmu.h>

#include "../test_util.h"

#define PAGE		VMMU_PAGE_SIZE
#define GPA0		0x100000ull		/* slot 0: one userfaultfd page */
#define GPA1		0x200000ull		/* slot 1: NPAGES1 plain pages */
#define GPA1_MOVED	0x400000ull
#define NPAGES1		16u
#define PATTERN		0x706f7374636f7079ull	/* what UFFDIO_COPY delivers */
#define DEADLINE_S	10

enum op { OP_DELETE, OP_MOVE, OP_LOG_ON, OP_GET_DIRTY, OP_BRACKET };

struct ctx {
	enum op op;
	struct vmmu_vm *vm;
	struct vmmu_vcpu *vcpu0, *vcpu1;
	int uffd;
	uint8_t *mem0, *mem1;
	uint64_t val0;
	int r0, r_op, r_copy;
	atomic_int stop;
	atomic_long reads1;
	int bad1;
};

static void *vcpu0_fn(void *arg)
{
	struct ctx *c = arg;
	struct vmmu_exit exit;

	c->r0 = vmmu_vcpu_access(c->vcpu0, GPA0 + 8, &c->val0, 8, 0, &exit);
	return NULL;
}

/* vCPU 1 keeps using slot 1 wherever it is (it may be deleted or moved);
 * in the GET_DIRTY_LOG case it writes. */
static void *vcpu1_fn(void *arg)
{
	struct ctx *c = arg;
	struct vmmu_exit exit;
	uint64_t v;

	for (unsigned int i = 0; !atomic_load(&c->stop); i++) {
		uint64_t base = c->op == OP_MOVE && (i & 1) ? GPA1_MOVED : GPA1;
		uint32_t flags = c->op == OP_GET_DIRTY ? VMMU_ACCESS_WRITE : 0;
		int r;

		v = i;
		r = vmmu_vcpu_access(c->vcpu1, base + (i % NPAGES1) * PAGE, &v, 8, flags, &exit);

		if (r < 0)
			c->bad1 = r;
		atomic_fetch_add(&c->reads1, 1);
	}
	return NULL;
}

static int set_slot1(struct ctx *c, uint64_t gpa, uint64_t size, uint32_t flags)
{
	struct vmmu_userspace_memory_region r = {
		.slot = 1, .flags = flags, .guest_phys_addr = gpa, .memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)c->mem1,
	};

	return vmmu_set_user_memory_region(c->vm, &r);
}

static int do_op(struct ctx *c)
{
	uint64_t hva1 = (uint64_t)(uintptr_t)c->mem1;
	uint64_t bitmap = 0;
	int r;

	switch (c->op) {
	case OP_DELETE:
		return set_slot1(c, GPA1, 0, 0);
	case OP_MOVE:
		return set_slot1(c, GPA1_MOVED, NPAGES1 * PAGE, 0);
	case OP_LOG_ON:
		return set_slot1(c, GPA1, NPAGES1 * PAGE, VMMU_MEM_LOG_DIRTY_PAGES);
	case OP_GET_DIRTY:
		/* Dirty logging was on from the start and vCPU 1 writes slot 1:
		 * the harvest write-protects its SPTEs and flushes. */
		while (atomic_load(&c->reads1) < NPAGES1)
			sched_yield();
		r = vmmu_get_dirty_log(c->vm, 1, &bitmap);
		return r ? r : (bitmap & 1) ? 0 : -ENODATA;
	case OP_BRACKET:
		vmmu_mmu_notifier_invalidate_range_start(c->vm, hva1, hva1 + NPAGES1 * PAGE);
		vmmu_mmu_notifier_invalidate_range_end(c->vm, hva1, hva1 + NPAGES1 * PAGE);
		return 0;
	}
	return -EINVAL;
}

static void *resolver_fn(void *arg)
{
	struct ctx *c = arg;
	struct uffd_msg msg;
	struct uffdio_copy copy;
	uint64_t *src;

	/* Blocks until vCPU 0 is blocked in its host fault. */
	if (read(c->uffd, &msg, sizeof(msg)) != sizeof(msg) || msg.event != UFFD_EVENT_PAGEFAULT) {
		c->r_op = -EPROTO;
		return NULL;
	}
	/* vCPU 1 must be running before the map changes under it. */
	while (!atomic_load(&c->reads1))
		sched_yield();
	c->r_op = do_op(c);

	src = aligned_alloc(PAGE, PAGE);
	if (!src) {
		c->r_copy = -ENOMEM;
		return NULL;
	}
	for (unsigned int i = 0; i < PAGE / 8; i++)
		src[i] = PATTERN;
	copy = (struct uffdio_copy){
		.dst = msg.arg.pagefault.address & ~(uint64_t)(PAGE - 1),
		.src = (uint64_t)(uintptr_t)src, .len = PAGE, .mode = 0,
	};
	c->r_copy = ioctl(c->uffd, UFFDIO_COPY, &copy) ? -errno : 0;
	free(src);
	return NULL;
}

static int open_uffd(void)
{
	struct uffdio_api api = { .api = UFFD_API, .features = 0 };
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);

	if (fd < 0)
		test_skip("userfaultfd: %s", strerror(errno));
	if (ioctl(fd, UFFDIO_API, &api))
		test_skip("UFFDIO_API: %s", strerror(errno));
	return fd;
}

static void join_by(pthread_t t, const struct timespec *deadline, const char *what,
		    const struct ctx *c)
{
	int r = pthread_timedjoin_np(t, NULL, deadline);

	TEST_ASSERT(r == 0, "%s did not finish within %d s (op %d): a flush waits for the vCPU "
		    "blocked in its host fault, which only the resolver can unblock", what,
		    DEADLINE_S, c->op);
}

static int run_case(enum op op)
{
	struct ctx c = { .op = op };
	struct uffdio_register reg;
	struct vmmu_userspace_memory_region r0;
	pthread_t t0, t1, tr;
	struct timespec deadline;

	c.uffd = open_uffd();
	c.mem0 = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	c.mem1 = mmap(NULL, NPAGES1 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		      -1, 0);
	TEST_ASSERT(c.mem0 != MAP_FAILED && c.mem1 != MAP_FAILED, "mmap: %s", strerror(errno));
	memset(c.mem1, 0x5a, NPAGES1 * PAGE);
	reg = (struct uffdio_register){
		.range = { .start = (uint64_t)(uintptr_t)c.mem0, .len = PAGE },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	if (ioctl(c.uffd, UFFDIO_REGISTER, &reg))
		test_skip("UFFDIO_REGISTER: %s", strerror(errno));

	TEST_ASSERT_EQ(vmmu_vm_create(NULL, &c.vm), 0);
	r0 = (struct vmmu_userspace_memory_region){
		.slot = 0, .guest_phys_addr = GPA0, .memory_size = PAGE,
		.userspace_addr = (uint64_t)(uintptr_t)c.mem0,
	};
	TEST_ASSERT_EQ(vmmu_set_user_memory_region(c.vm, &r0), 0);
	TEST_ASSERT_EQ(set_slot1(&c, GPA1, NPAGES1 * PAGE,
				 op == OP_GET_DIRTY ? VMMU_MEM_LOG_DIRTY_PAGES : 0), 0);
	TEST_ASSERT_EQ(vmmu_vcpu_create(c.vm, 0, &c.vcpu0), 0);
	TEST_ASSERT_EQ(vmmu_vcpu_create(c.vm, 1, &c.vcpu1), 0);

	TEST_ASSERT_EQ(pthread_create(&t1, NULL, vcpu1_fn, &c), 0);
	TEST_ASSERT_EQ(pthread_create(&tr, NULL, resolver_fn, &c), 0);
	TEST_ASSERT_EQ(pthread_create(&t0, NULL, vcpu0_fn, &c), 0);

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += DEADLINE_S;
	join_by(tr, &deadline, "the resolver", &c);
	join_by(t0, &deadline, "vCPU 0", &c);
	atomic_store(&c.stop, 1);
	join_by(t1, &deadline, "vCPU 1", &c);

	TEST_ASSERT(c.r_op == 0, "op %d on slot 1 returned %d", op, c.r_op);
	TEST_ASSERT(c.r_copy == 0, "UFFDIO_COPY: %s", strerror(-c.r_copy));
	TEST_ASSERT(c.r0 == 0 && c.val0 == PATTERN,
		    "vCPU 0 read %d/%#" PRIx64 ", not the page UFFDIO_COPY delivered", c.r0, c.val0);
	TEST_ASSERT(c.bad1 == 0,
		    "vCPU 1's reads of slot 1 failed: %d", c.bad1);
	TEST_ASSERT(atomic_load(&c.reads1) > 0, "vCPU 1 made no access");

	vmmu_vcpu_destroy(c.vcpu0);
	vmmu_vcpu_destroy(c.vcpu1);
	vmmu_vm_destroy(c.vm);
	munmap(c.mem0, PAGE);
	munmap(c.mem1, NPAGES1 * PAGE);
	close(c.uffd);
	return 0;
}

static const struct {
	const char *name;
	enum op op;
} cases[] = {
	{ "delete_other_slot", OP_DELETE },
	{ "move_other_slot", OP_MOVE },
	{ "log_dirty_other_slot", OP_LOG_ON },
	{ "get_dirty_other_slot", OP_GET_DIRTY },
	{ "bracket_other_slot", OP_BRACKET },
};

int main(int argc, char **argv)
{
	unsigned int ran = 0;

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (argc > 1 && strcmp(argv[1], cases[i].name))
			continue;
		printf("%s\n", cases[i].name);
		fflush(stdout);
		run_case(cases[i].op);
		ran++;
	}
	TEST_ASSERT(ran > 0, "no case named %s", argc > 1 ? argv[1] : "");
	printf("PASS: %u case(s)\n", ran);
	return KSFT_PASS;
}
