/* SPDX-License-Identifier: MIT */
/*
 * The vCPU access bracket and the fence that orders it against remote TLB
 * flushes (docs/LOCKING.md, "The access bracket"; mmu.c,
 * kvm_flush_remote_tlbs()).  Its own file because both sides use it: the
 * vCPU (vcpu.c) enters and leaves the bracket, the flusher (mmu.c) issues
 * vmmu_membarrier(), and vm.c only chooses the mode of a new VM.
 *
 * Three implementations of the bracket, chosen at build time:
 *
 *	asymmetric (default on x86-64): entering is a plain add and a
 *		relaxed test of vcpu->fence_state (one asm block, three
 *		instructions); the flusher asks the vCPU to fence and waits for
 *		its answer, or fences it with membarrier();
 *	seq_cst (VMMU_SEQCST_BRACKET): a seq_cst RMW to enter, a release
 *		store to leave, and no membarrier(): the plain C11 pairing
 *		that ThreadSanitizer and model checkers see through.  On under
 *		TSan; -Dseqcst_bracket=true turns it on in any build (the
 *		debug twin of the asymmetric fence);
 *	checker: the asymmetric protocol with its store buffer modelled
 *		(check_hooks.h, docs/CHECKER.md "Fences"); under
 *		VMMU_SEQCST_BRACKET the vCPU always fences.
 */
#ifndef VMMU_FENCE_H
#define VMMU_FENCE_H

#include "vm.h"

#ifndef VMMU_SEQCST_BRACKET
#define VMMU_SEQCST_BRACKET	VMMU_TSAN
#endif
#if VMMU_TSAN && !VMMU_SEQCST_BRACKET
#error "TSan cannot see membarrier(): TSan builds need VMMU_SEQCST_BRACKET"
#endif

#if defined(__x86_64__) && !VMMU_SEQCST_BRACKET && !VMMU_IS_CHECKER
#define VCPU_BRACKET_ASM	1
#else
#define VCPU_BRACKET_ASM	0
#endif

/*
 * vcpu->fence_state: how the vCPU's next access enters its bracket, and
 * what a remote flush must do about the vCPU (kvm_flush_remote_tlbs_range()).
 *
 *	   7      6        2      1       0
 *	+--------+----------+---------+-----+
 *	| ALWAYS |    0     | OUTSIDE | REQ |      FAST: all zero
 *	+--------+----------+---------+-----+
 *
 *	FAST (0)	entries are a plain increment, no fence: a flusher asks
 *			(CAS to REQ) and waits for the answer
 *	REQ (1)		a flusher asked: the next entry fences and answers by
 *			making it FAST again
 *	OUTSIDE (2)	the vCPU fenced on its way out of the lockless path (into
 *			the fault path, or vmmu_vcpu_idle()) and is in no access:
 *			a flush need not wait for it; the next entry fences and
 *			makes it FAST
 *	ALWAYS (0x80)	sticky flag, symmetric fences: every entry fences;
 *			flushes read access_seq directly
 *
 * A non-FAST entry runs "lock and $ALWAYS" on it: one locked RMW that is
 * the fence, the answer (REQ or OUTSIDE become FAST) and leaves ALWAYS
 * alone, with no register needed, so the hit path stays three
 * instructions.  Only the vCPU's thread makes it FAST or OUTSIDE; flushers
 * (vcpus_lock) make FAST into REQ and set ALWAYS.  Every transition is an
 * RMW, so none is lost, and each one a flusher observes is a full barrier
 * on the vCPU's side.  It lives on the vCPU's hot cache line.
 */
#define FENCE_FAST	0x00u
#define FENCE_REQ	0x01u
#define FENCE_OUTSIDE	0x02u
#define FENCE_ALWAYS	0x80u
_Static_assert(FENCE_FAST == 0 && ((FENCE_REQ | FENCE_OUTSIDE) & FENCE_ALWAYS) == 0 &&
	       FENCE_REQ != FENCE_OUTSIDE,
	       "an entry's and-with-ALWAYS turns REQ and OUTSIDE into FAST and keeps ALWAYS");

/*
 * vcpu_fence_answer() - a non-FAST entry: fence, and answer a request (the
 * and-with-ALWAYS above).  In the checker, the fence drains the modelled
 * store buffer first.
 */
static inline void vcpu_fence_answer(struct vmmu_vcpu *vcpu)
{
	vmmu_checker_fence(vcpu);
	atomic_fetch_and_explicit(&vcpu->fence_state, FENCE_ALWAYS, memory_order_seq_cst);
}

/*
 * vcpu_fence_outside() - the vCPU leaves the lockless path for a while (the
 * fault path, which takes locks a flusher may hold; vmmu_vcpu_idle()):
 * fence_state becomes OUTSIDE, by a CAS (a full barrier), so a flush that
 * reads it need not wait for this vCPU.  Not inside an access bracket.
 */
void vcpu_fence_outside(struct vmmu_vcpu *vcpu);

/*
 * vcpu_access_begin() - enter the access bracket (access_seq becomes odd).
 *
 * Entering must be ordered before the loads that follow (tlb_gen, SPTEs,
 * guest memory) against the flusher's tlb_gen++ and its read of the vCPU's
 * state (Dekker).  In the default (asymmetric) mode the vCPU pays no fence
 * while its fence_state is FAST: a flusher bumps tlb_gen, then asks the
 * vCPU (FAST -> REQ).  The vCPU's next entry sees the request, and its
 * locked RMW back to FAST both fences and answers; the flusher, seeing the
 * answer, knows that every earlier access of the vCPU is over (its even
 * store precedes the RMW) and every later one loads the new tlb_gen (it
 * follows the RMW, which read the flusher's REQ, stored after the bump).  A vCPU
 * that does not answer within a short budget (it is idle, descheduled, or
 * blocked in a host fault) is fenced by membarrier() instead, after which
 * the flusher reads its access_seq as before.  That is KVM's vcpu->mode and
 * request protocol with the answer instead of an IPI: a flush costs a round
 * trip to running vCPUs, and an IPI only for vCPUs that do not run.
 *
 * fence_state is read after the increment, not before: a request stored
 * after that read is answered by the next entry, and the flusher does not
 * take an answer it has not seen; a switch to ALWAYS (membarrier() failed)
 * is followed by a fallback barrier (vmmu_membarrier()).
 *
 * Only this thread writes access_seq, so neither side needs a locked RMW
 * for it; on x86-64 a plain add to memory is a release store and a
 * single-copy-atomic 8-byte write, which the flusher reads with atomic
 * loads.
 */
static inline void vcpu_access_begin(struct vmmu_vcpu *vcpu)
{
#if VCPU_BRACKET_ASM
	/* The increment, then the state test: one asm block, so the compiler
	 * keeps the order and the hit path stays three instructions. */
	__asm__ volatile("addq $1, %0\n\t"
			 "cmpb $0, %1\n\t"
			 "je 1f\n\t"
			 "lock andb %2, %1\n"
			 "1:"
			 : "+m"(*(uint64_t *)&vcpu->access_seq),
			   "+m"(*(uint8_t *)&vcpu->fence_state)
			 : "i"(FENCE_ALWAYS)
			 : "memory", "cc");
#elif VMMU_IS_CHECKER
	/*
	 * The same protocol under the checker's model: the plain add is a
	 * store that stays in this vCPU's store buffer, unseen by flushers,
	 * until a flusher's membarrier() drains it or we fence or leave.
	 */
	vmmu_checker_access_begin(vcpu);
	if (atomic_load_explicit(&vcpu->fence_state, memory_order_relaxed) != FENCE_FAST)
		vcpu_fence_answer(vcpu);
#else
	atomic_fetch_add_explicit(&vcpu->access_seq, 1, memory_order_seq_cst);
	if (atomic_load_explicit(&vcpu->fence_state, memory_order_relaxed) != FENCE_FAST)
		vcpu_fence_answer(vcpu);
#endif
}

/*
 * vcpu_access_end() - leave the bracket (access_seq becomes even), a
 * release: our reads of tables and guest memory happen before a flusher's
 * acquire of the new value lets it free or unmap them.
 */
static inline void vcpu_access_end(struct vmmu_vcpu *vcpu)
{
#if VCPU_BRACKET_ASM
	__asm__ volatile("addq $1, %0" : "+m"(*(uint64_t *)&vcpu->access_seq) : : "memory");
#elif VMMU_IS_CHECKER
	vmmu_checker_access_end(vcpu);
#else
	uint64_t s = atomic_load_explicit(&vcpu->access_seq, memory_order_relaxed);

	atomic_store_explicit(&vcpu->access_seq, s + 1, memory_order_release);
#endif
}

/*
 * vmmu_asym_fence_available() - may a new VM use the asymmetric fence?
 * True when membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) is registered for
 * this process (and VMMU_NO_MEMBARRIER is not set in the environment), or
 * in the checker, which models it; false under VMMU_SEQCST_BRACKET.
 */
bool vmmu_asym_fence_available(void);

/*
 * vmmu_membarrier() - the flusher's fallback for vCPUs that did not answer:
 * a full barrier on every running thread of the process.  On failure,
 * switches @vm to symmetric fences for good.  Context: vcpus_lock (the
 * flush holds it).
 */
void vmmu_membarrier(struct vmmu_vm *vm);

/*
 * vmmu_flush_answer_expired() - has a flusher waited long enough for vCPUs
 * to answer its request (@spins rounds since @t0_ns, a CLOCK_MONOTONIC
 * reading)?  Released builds: FLUSH_ANSWER_BUDGET_NS of wall time, about a
 * tenth of a membarrier() on the machines we measured; the checker: a few
 * rounds, so that both outcomes (an answer, a fallback) get explored.
 */
#define FLUSH_ANSWER_BUDGET_NS	2000u
bool vmmu_flush_answer_expired(unsigned int spins, uint64_t t0_ns);
uint64_t vmmu_now_ns(void);

#endif /* VMMU_FENCE_H */
