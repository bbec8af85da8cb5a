// SPDX-License-Identifier: MIT
/*
 * The remote TLB flush's two ways of fencing a vCPU (src/mmu.c,
 * flush_ask_vcpus; src/fence.h, fence_state): a running vCPU answers the
 * flush's request at its next access, so no membarrier() is needed; one
 * that does not answer in time costs the flush one membarrier(), and later
 * flushes nothing until it runs again; vmmu_vcpu_idle() answers in
 * advance; symmetric VMs never ask.  The counters remote_tlb_flush_answers
 * and remote_tlb_flush_membarriers tell which way each flush took.
 *
 * Each flush here comes from invalidate_range_start() over a page whose
 * SPTE a vCPU installed (the zap of a present SPTE flushes).  The cases
 * that expect the asymmetric mode skip where it is off (no membarrier(),
 * VMMU_NO_MEMBARRIER=1, or the seq_cst bracket of TSan builds).
 */
#include <linux/membarrier.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "test_util.h"

#define GPA		(1ull << 30)
#define PAGES		16u
#define PAGE		4096u

static uint8_t *mem;

static bool asym_mode(void)
{
	const char *env = getenv("VMMU_NO_MEMBARRIER");
	long q;

	if (TEST_TSAN || (env && *env && strcmp(env, "0")))
		return false;
	q = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0u, 0);
	return q >= 0 && (q & MEMBARRIER_CMD_PRIVATE_EXPEDITED);
}

static struct vmmu_vm *vm_with_ram(uint32_t flags)
{
	struct vmmu_vm *vm = test_vm_new(.flags = flags);

	if (!mem)
		mem = test_alloc_guest(PAGES * PAGE);
	TEST_SET_REGION_OK(vm, 0, 0, GPA, PAGES * PAGE, mem);
	return vm;
}

/* The asymmetric mode's VM (the case skips without it) and its vCPU 0. */
static struct vmmu_vm *asym_vm(struct vmmu_vcpu **vcpu)
{
	struct vmmu_vm *vm;

	if (!asym_mode())
		test_skip("asymmetric fences are off");
	vm = vm_with_ram(0);
	*vcpu = test_vcpu_create(vm, 0);
	return vm;
}

/* The flush counters must read @membarriers and @answers. */
static void assert_flush_counts(struct vmmu_vm *vm, uint64_t membarriers, uint64_t answers)
{
	struct vmmu_stats st = test_vm_stats(vm);

	TEST_ASSERT_EQ(st.remote_tlb_flush_membarriers, membarriers);
	TEST_ASSERT_EQ(st.remote_tlb_flush_answers, answers);
}

/* Zap page @i (its SPTE is present): one remote TLB flush. */
static void zap_page(struct vmmu_vm *vm, unsigned int i)
{
	uint64_t hva = HVA(mem) + (uint64_t)i * PAGE;
	uint64_t before = test_vm_stats(vm).remote_tlb_flush_requests;

	vmmu_mmu_notifier_invalidate_range_start(vm, hva, hva + PAGE);
	vmmu_mmu_notifier_invalidate_range_end(vm, hva, hva + PAGE);
	TEST_ASSERT_EQ(test_vm_stats(vm).remote_tlb_flush_requests, before + 1);
}

/*
 * A vCPU that made accesses and then stopped without vmmu_vcpu_idle(): the
 * first flush asks, waits its budget and issues one membarrier(); the
 * second finds the request unanswered and needs none.
 */
static void test_unanswered_then_quiet(void)
{
	struct vmmu_vcpu *vcpu;
	struct vmmu_vm *vm = asym_vm(&vcpu);

	test_vcpu_write64(vcpu, GPA, 1);
	test_vcpu_write64(vcpu, GPA + PAGE, 2);
	zap_page(vm, 0);
	assert_flush_counts(vm, 1, 0);
	zap_page(vm, 1);
	assert_flush_counts(vm, 1, 0);
	/* Its next access fences and answers the old request; still RAM. */
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, GPA + PAGE), 2);
	vmmu_vcpu_destroy(vcpu);
	vmmu_vm_destroy(vm);
}

/* vmmu_vcpu_idle() answers in advance: no request, no barrier. */
static void test_idle_answers_in_advance(void)
{
	struct vmmu_vcpu *vcpu;
	struct vmmu_vm *vm = asym_vm(&vcpu);

	TEST_ASSERT_EQ(vmmu_vcpu_idle(NULL), -EINVAL);
	test_vcpu_write64(vcpu, GPA, 3);
	TEST_ASSERT_EQ(vmmu_vcpu_idle(vcpu), 0);
	zap_page(vm, 0);
	assert_flush_counts(vm, 0, 0);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, GPA), 3);
	vmmu_vcpu_destroy(vcpu);
	vmmu_vm_destroy(vm);
}

struct runner {
	struct vmmu_vcpu *vcpu;
	atomic_bool stop;
	atomic_ulong accesses;
	uint64_t bad;
};

/* TLB hits on page 1, whose contents never change, until told to stop. */
static void *run_vcpu(void *arg)
{
	struct runner *r = arg;

	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		if (test_vcpu_read64(r->vcpu, GPA + PAGE) != 0x1234)
			r->bad++;
		atomic_fetch_add_explicit(&r->accesses, 1, memory_order_relaxed);
	}
	return NULL;
}

/*
 * A running vCPU answers: over a few hundred flushes (each of page 0,
 * which only the main thread's vCPU faults in), the running vCPU answers
 * at least once instead of costing a membarrier().  (Not every time: on a
 * loaded machine its thread may be descheduled through a budget; each
 * flush waits until the runner has made accesses since the last one.)
 */
static void test_running_vcpu_answers(void)
{
	unsigned int flushes = test_short_env() ? 100 : 400;
	struct runner r = { 0 };
	struct vmmu_vcpu *self;
	struct vmmu_stats st;
	struct vmmu_vm *vm;
	pthread_t t;

	if (!asym_mode())
		test_skip("asymmetric fences are off");
	vm = vm_with_ram(0);
	self = test_vcpu_create(vm, 1);
	r.vcpu = test_vcpu_create(vm, 0);
	test_vcpu_write64(self, GPA + PAGE, 0x1234);
	TEST_ASSERT_EQ(pthread_create(&t, NULL, run_vcpu, &r), 0);
	while (atomic_load_explicit(&r.accesses, memory_order_relaxed) < 1000)
		;
	for (unsigned int i = 0; i < flushes; i++) {
		unsigned long seen = atomic_load_explicit(&r.accesses, memory_order_relaxed);

		test_vcpu_write64(self, GPA, i);
		vmmu_vcpu_idle(self);	/* the flusher's own vCPU must not be asked */
		zap_page(vm, 0);
		/* Flush again only once the runner is running (and has answered). */
		while (atomic_load_explicit(&r.accesses, memory_order_relaxed) < seen + 2)
			;
	}
	atomic_store(&r.stop, true);
	pthread_join(t, NULL);
	st = test_vm_stats(vm);
	printf("  %u flushes: %" PRIu64 " answers, %" PRIu64 " membarriers\n", flushes,
	       st.remote_tlb_flush_answers, st.remote_tlb_flush_membarriers);
	TEST_ASSERT_EQ(r.bad, 0);
	TEST_ASSERT(st.remote_tlb_flush_answers > 0, "no flush got an answer from a running vCPU");
	TEST_ASSERT(st.remote_tlb_flush_answers + st.remote_tlb_flush_membarriers <= flushes,
		    "a flush counted twice");
	vmmu_vcpu_destroy(r.vcpu);
	vmmu_vcpu_destroy(self);
	vmmu_vm_destroy(vm);
}

/* VMMU_VM_SYMMETRIC_FENCE: vCPUs fence themselves; flushes neither ask nor IPI. */
static void test_symmetric_never_asks(void)
{
	struct vmmu_vm *vm = vm_with_ram(VMMU_VM_SYMMETRIC_FENCE);
	struct vmmu_vcpu *vcpu = test_vcpu_create(vm, 0);

	test_vcpu_write64(vcpu, GPA, 5);
	zap_page(vm, 0);
	assert_flush_counts(vm, 0, 0);
	TEST_ASSERT_EQ(test_vcpu_read64(vcpu, GPA), 5);
	vmmu_vcpu_destroy(vcpu);
	vmmu_vm_destroy(vm);
}

static const struct test_case cases[] = {
	{ "unanswered_then_quiet", test_unanswered_then_quiet },
	{ "idle_answers_in_advance", test_idle_answers_in_advance },
	{ "running_vcpu_answers", test_running_vcpu_answers },
	{ "symmetric_never_asks", test_symmetric_never_asks },
};

/* Cases that skip (asymmetric fences off) end the run as SKIP: run them last. */
int main(int argc, char **argv)
{
	if (argc > 1)
		return test_run_cases(cases, ARRAY_SIZE(cases), argc, argv);
	test_symmetric_never_asks();
	printf("PASS symmetric_never_asks\n");
	return test_run_cases(cases, ARRAY_SIZE(cases) - 1, argc, argv);
}
