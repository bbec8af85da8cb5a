// SPDX-License-Identifier: MIT
/*
 * The sleeping half of vmmu_mutex_t and vmmu_cond_t (check_hooks.h), on
 * futexes.  Release and variant builds only: the checker brings its own
 * locks (tools/vmmu-check/sync.c).
 *
 * The mutex word (vmmu_mutex_t::state):
 *
 *	0  free
 *	1  held, nobody sleeps on it
 *	2  held, a thread may sleep on it: the unlock must wake one
 *
 * The fast paths are inline: lock is one cmpxchg 0 -> 1 (acquire), unlock
 * one exchange to 0 (release) that calls here only if it read 2.  A
 * locker that finds the word taken spins a little (the lock is held for
 * a few hundred nanoseconds by every start()/end()), then marks it 2 and
 * sleeps; it owns the lock once its exchange to 2 read 0.  Marking it 2
 * may cost the next unlock a needless wake, never a lost one.
 *
 * The condition variable is a sequence count: a waiter reads it under the
 * mutex, unlocks, and sleeps only while it is unchanged; a broadcast
 * (under the same mutex, in vmmu) bumps it and wakes every sleeper.
 * Waiters recheck their condition, so spurious wakeups are harmless.
 */
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check_hooks.h"

static void futex_wait(_Atomic uint32_t *word, uint32_t val)
{
	/* EINTR, EAGAIN (the word changed): the caller looks again. */
	syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *word, int n)
{
	syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}

void vmmu_mutex_lock_slow(vmmu_mutex_t *m)
{
	for (unsigned int i = 0; i < VMMU_MUTEX_SPINS; i++) {
		uint32_t free = 0;

		__builtin_ia32_pause();
		/* Test before the test-and-set: a read shares the line. */
		if (atomic_load_explicit(&m->state, memory_order_relaxed) == 0 &&
		    atomic_compare_exchange_strong_explicit(&m->state, &free, 1,
							    memory_order_acquire,
							    memory_order_relaxed))
			return;
	}
	while (atomic_exchange_explicit(&m->state, 2, memory_order_acquire) != 0)
		futex_wait(&m->state, 2);
}

void vmmu_mutex_wake(vmmu_mutex_t *m)
{
	futex_wake(&m->state, 1);
}

void vmmu_cond_wait(vmmu_cond_t *c, vmmu_mutex_t *m)
{
	uint32_t seq = atomic_load_explicit(&c->seq, memory_order_relaxed);

	vmmu_mutex_unlock(m);
	futex_wait(&c->seq, seq);
	vmmu_mutex_lock(m);
}

void vmmu_cond_broadcast(vmmu_cond_t *c)
{
	atomic_fetch_add_explicit(&c->seq, 1, memory_order_relaxed);
	futex_wake(&c->seq, INT_MAX);
}
