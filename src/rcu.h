/* SPDX-License-Identifier: MIT */
/*
 * RCU for memslot readers, on liburcu's "mb" flavour: readers execute a
 * full barrier on entry and exit, and a grace period needs no IPIs.
 * (Included through check_hooks.h, which swaps it for the checker's RCU.)
 *
 * The readers are the fault path, read_guest/write_guest and the notifier
 * walk, never the vCPU fast paths, so a reader's barrier is noise beside
 * the work around it; what costs is the updater's side.  Measured here with
 * two busy readers on two cores: mb 0.64 us per grace period; "memb" (no
 * reader barrier, but sys_membarrier IPIs on every grace period) 512 us in
 * this nested VM, where an IPI is a hypervisor exit; "bp" (no registration)
 * 1.9 ms, as it polls for readers with 10 ms sleeps.
 *
 * mb wants every reader thread registered; vmmu registers a thread itself
 * the first time it enters a read section and unregisters it from a
 * thread-exit destructor (rcu.c), so callers never register anything.  A
 * program that itself registers threads with urcu-mb must not let vmmu see
 * those threads first; see README, "Limits".
 *
 * Published pointers are C11 atomics: rcu_assign_pointer is a release store
 * that pairs with the acquire load in rcu_dereference, so a reader that sees
 * the new memslot set also sees every store that built it.
 *
 * ThreadSanitizer does not see liburcu's grace-period machinery (the library
 * is not instrumented), so in TSan builds each read-side unlock does a
 * release on an annotation word and each completed synchronize does an
 * acquire on it: exactly the happens-before edge RCU guarantees (every read
 * section that began before the grace period ends before it returns).
 */
#ifndef VMMU_RCU_H
#define VMMU_RCU_H

#ifdef VMMU_CHECKER
/* The checker's RCU is declared with the rest of the seam. */
#include "check_hooks.h"
#else

#include <stdbool.h>

#include <urcu/urcu-mb.h>

#include "compiler.h"

#if VMMU_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define rcu_tsan_release(a)	__tsan_release(a)
#define rcu_tsan_acquire(a)	__tsan_acquire(a)
#else
#define rcu_tsan_release(a)	((void)(a))
#define rcu_tsan_acquire(a)	((void)(a))
#endif

/* rcu.c: the TSan annotation word, and whether this thread is registered. */
extern char vmmu_rcu_annotation;
extern __thread bool vmmu_rcu_registered;

/*
 * vmmu_rcu_register_thread() - register the calling thread with urcu-mb and
 * arrange for it to be unregistered when the thread exits.  Called by the
 * first vmmu_rcu_read_lock() of each thread.
 */
void vmmu_rcu_register_thread(void);

/* vmmu_rcu_read_lock() - enter a read-side section (sections nest). */
static inline void vmmu_rcu_read_lock(void)
{
	if (unlikely(!vmmu_rcu_registered))
		vmmu_rcu_register_thread();
	urcu_mb_read_lock();
}

/* vmmu_rcu_read_unlock() - leave it. */
static inline void vmmu_rcu_read_unlock(void)
{
	rcu_tsan_release(&vmmu_rcu_annotation);
	urcu_mb_read_unlock();
}

/*
 * vmmu_synchronize_rcu() - wait until every read section that began before
 * the call has ended.  Context: no read section, and (docs/LOCKING.md) only
 * slots_lock held.
 */
static inline void vmmu_synchronize_rcu(void)
{
	urcu_mb_synchronize_rcu();
	rcu_tsan_acquire(&vmmu_rcu_annotation);
}

#endif /* !VMMU_CHECKER */
#endif /* VMMU_RCU_H */
