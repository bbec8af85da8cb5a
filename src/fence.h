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
 *		relaxed test of vcpu->asym_fence (one asm block, three
 *		instructions); the flusher's membarrier() fences the vCPU;
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
 * vcpu_access_begin() - enter the access bracket (access_seq becomes odd).
 *
 * Entering must be ordered before the loads that follow (tlb_gen, SPTEs,
 * guest memory) against the flusher's tlb_gen++ and its read of access_seq
 * (Dekker).  With an asymmetric fence (vcpu->asym_fence, the default where
 * the kernel offers membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)) the vCPU
 * pays only a compiler barrier: the flusher's membarrier() makes every
 * running thread execute a full barrier, so either our odd value is visible
 * to its read of access_seq, or everything we load after it sees the new
 * tlb_gen and the cleared SPTEs (the scheme of liburcu's memb flavour).
 * Without it, entering is a plain increment followed by a full fence, which
 * pairs with the seq_cst tlb_gen++.
 *
 * asym_fence is read after the increment, not before: a flusher whose
 * membarrier() fails clears it and issues one fallback barrier
 * (vmmu_membarrier()).  A vCPU that reads it still set read it before that
 * barrier, so its increment, earlier in program order, is visible to the
 * flusher; one that reads it clear fences itself.  No access, however it
 * straddles the switch, escapes both.
 *
 * Only this thread writes access_seq, so neither side needs a locked RMW;
 * on x86-64 a plain add to memory is a release store and a
 * single-copy-atomic 8-byte write, which the flusher reads with atomic
 * loads.
 */
static inline void vcpu_access_begin(struct vmmu_vcpu *vcpu)
{
#if VCPU_BRACKET_ASM
	/* The increment, then the flag test: one asm block, so the compiler
	 * keeps the order and the hit path stays three instructions. */
	__asm__ volatile("addq $1, %0\n\t"
			 "cmpb $0, %1\n\t"
			 "jne 1f\n\t"
			 "mfence\n"
			 "1:"
			 : "+m"(*(uint64_t *)&vcpu->access_seq)
			 : "m"(*(const uint8_t *)&vcpu->asym_fence)
			 : "memory", "cc");
#elif VMMU_IS_CHECKER
	/*
	 * The same protocol under the checker's model: the plain add is a
	 * store that stays in this vCPU's store buffer, unseen by flushers,
	 * until a flusher's membarrier() drains it or we fence or leave.
	 */
	vmmu_checker_access_begin(vcpu);
	if (VMMU_SEQCST_BRACKET || !atomic_load_explicit(&vcpu->asym_fence, memory_order_relaxed))
		vmmu_checker_fence(vcpu);
#else
	atomic_fetch_add_explicit(&vcpu->access_seq, 1, memory_order_seq_cst);
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
 * vmmu_membarrier() - the flusher's half of the asymmetric fence: a full
 * barrier on every running thread of the process.  On failure, switches
 * @vm to symmetric fences for good.  Context: vcpus_lock (the flush holds it).
 */
void vmmu_membarrier(struct vmmu_vm *vm);

#endif /* VMMU_FENCE_H */
