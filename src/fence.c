// SPDX-License-Identifier: MIT
/*
 * The vCPU's slow entries and the flusher's half of the asymmetric fence
 * (fence.h): answering a flusher's request, membarrier() for vCPUs that do
 * not answer, and the fallback when membarrier() goes away.
 */
#include <linux/membarrier.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "fence.h"

/* vcpu_fence_outside() - see fence.h. */
void vcpu_fence_outside(struct vmmu_vcpu *vcpu)
{
	uint8_t s = atomic_load_explicit(&vcpu->fence_state, memory_order_relaxed);

	vmmu_checker_fence(vcpu);
	do {
		/* Symmetric: flushes read access_seq, which is even now. */
		if (s & FENCE_ALWAYS)
			return;
	} while (!atomic_compare_exchange_weak_explicit(&vcpu->fence_state, &s, FENCE_OUTSIDE,
							memory_order_seq_cst,
							memory_order_relaxed));
	sched_point(SP_FENCE_OUTSIDE);
}

uint64_t vmmu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * vmmu_flush_answer_expired() - see fence.h.  The clock is read every 16
 * rounds only: a round is a few loads and a pause.  The checker has no
 * clock, and a vCPU it lets run always answers in the end; the budget is
 * what lets a flush give up on a vCPU that is still inside an access.  So
 * there @t0_ns is the flush's number: odd flushes give up at once, even
 * ones after three rounds, and both paths are explored (deterministically,
 * so a schedule replays).
 */
bool vmmu_flush_answer_expired(unsigned int spins, uint64_t t0_ns)
{
	if (VMMU_IS_CHECKER)
		return spins >= 3 * (unsigned int)(~t0_ns & 1);
	return !(spins & 15) && spins && vmmu_now_ns() - t0_ns >= FLUSH_ANSWER_BUDGET_NS;
}

/*
 * The asymmetric fence for remote TLB flushes (see vcpu_access_begin):
 * available when the kernel has membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)
 * and this process could register for it.  VMMU_NO_MEMBARRIER=1 in the
 * environment forces the symmetric fallback (tests run both).
 */
static long sys_membarrier(int cmd)
{
	return syscall(__NR_membarrier, cmd, 0u, 0);
}

static atomic_bool asym_fence_ok;
static pthread_once_t asym_fence_once = PTHREAD_ONCE_INIT;

static void asym_fence_init(void)
{
	const char *env = getenv("VMMU_NO_MEMBARRIER");
	long q;

	if (env && *env && strcmp(env, "0"))
		return;
	q = sys_membarrier(MEMBARRIER_CMD_QUERY);
	if (q < 0 || !(q & MEMBARRIER_CMD_PRIVATE_EXPEDITED))
		return;
	asym_fence_ok = !sys_membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED);
}

bool vmmu_asym_fence_available(void)
{
	if (VMMU_SEQCST_BRACKET)
		return false;	/* the bracket fences itself */
	if (VMMU_IS_CHECKER)
		return true;	/* the checker models membarrier() */
	pthread_once(&asym_fence_once, asym_fence_init);
	return atomic_load_explicit(&asym_fence_ok, memory_order_relaxed);
}

/*
 * The fallback barrier: make every CPU that runs a thread of this process
 * execute a full barrier, without membarrier().  Write-protecting a page
 * that this thread has just written forces the kernel to shoot its TLB
 * entry down on every CPU that may cache it, by an interrupt, which
 * serializes the interrupted CPU; CPUs not running our threads pass a
 * context switch (a full barrier) before they run one.  Runtimes use the
 * same trick where membarrier() is missing.  A kernel that invalidates
 * TLBs by broadcast instructions instead of interrupts would make it a
 * no-op; it is used once per VM, at the switch to symmetric fences.
 */
static void tlb_shootdown_barrier(void)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static volatile char *page;

	pthread_mutex_lock(&lock);
	if (!page) {
		void *p = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		page = p == MAP_FAILED ? NULL : p;
	}
	if (page) {
		page[0]++;
		mprotect((void *)page, PAGE_SIZE, PROT_READ);
		mprotect((void *)page, PAGE_SIZE, PROT_READ | PROT_WRITE);
	}
	smp_mb();
	pthread_mutex_unlock(&lock);
}

/*
 * vmmu_membarrier() - see fence.h.
 *
 * membarrier() was registered in asym_fence_init(), so it fails only if
 * something took it away since: a seccomp filter installed later, say.  A
 * local fence would not order the vCPUs' plain stores, so the VM switches
 * to symmetric fences for good: every vCPU's fence_state gets ALWAYS, then
 * one fallback barrier makes each vCPU either visible inside its access or
 * see the flag (vcpu_access_begin() reads it after its increment) and
 * fence itself.  From then on no flush of this VM asks or needs a barrier,
 * and new VMs start symmetric.
 */
void vmmu_membarrier(struct vmmu_vm *vm)
{
	lockdep_assert_held(&vm->vcpus_lock);
	/* Variant flush-without-membarrier: the flusher's half is missing. */
	if (variant_is(FLUSH_WITHOUT_MEMBARRIER))
		return;
	if (VMMU_IS_CHECKER) {
		/* A scheduler step that drains every vCPU's modelled store buffer. */
		vmmu_checker_membarrier();
		return;
	}
	if (likely(!sys_membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)))
		return;
	WARN_ON_ONCE("membarrier() failed after registration: symmetric fences from now on");
	atomic_store_explicit(&asym_fence_ok, false, memory_order_relaxed);
	atomic_store_explicit(&vm->asym_fence, false, memory_order_seq_cst);
	for (uint32_t i = 0; i < vm->nr_online; i++)
		atomic_fetch_or_explicit(&vm->online[i]->fence_state, FENCE_ALWAYS,
					 memory_order_seq_cst);
	tlb_shootdown_barrier();
	VM_STAT_INC(vm, fence_fallbacks);
}
