/* SPDX-License-Identifier: MIT */
/*
 * Locks and waits, behind one layer so the checker build can run the
 * library under its deterministic scheduler.
 *
 * Release build: thin inline wrappers around pthreads.
 * Checker build (VMMU_CHECKER): the scheduler runs one thread at a time, so
 * a thread must never block in the kernel while holding the token; every
 * lock acquisition becomes "try, and if busy, yield to the scheduler at a
 * blocked schedule point", and every wait loop yields the same way.  The
 * checker's implementation lives in tools/vmmu/check/.
 */
#ifndef VMMU_SYNC_H
#define VMMU_SYNC_H

#include <pthread.h>
#include <sched.h>

#ifndef VMMU_CHECKER

typedef pthread_mutex_t vmmu_mutex_t;
typedef pthread_rwlock_t vmmu_rwlock_t;
typedef pthread_cond_t vmmu_cond_t;

static inline void vmmu_mutex_init(vmmu_mutex_t *m) { pthread_mutex_init(m, NULL); }
static inline void vmmu_mutex_destroy(vmmu_mutex_t *m) { pthread_mutex_destroy(m); }
static inline void vmmu_mutex_lock(vmmu_mutex_t *m) { pthread_mutex_lock(m); }
static inline void vmmu_mutex_unlock(vmmu_mutex_t *m) { pthread_mutex_unlock(m); }

static inline void vmmu_rwlock_init(vmmu_rwlock_t *l)
{
	pthread_rwlockattr_t attr;

	pthread_rwlockattr_init(&attr);
	/* Zaps must not starve behind a stream of faults. */
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(l, &attr);
	pthread_rwlockattr_destroy(&attr);
}
static inline void vmmu_rwlock_destroy(vmmu_rwlock_t *l) { pthread_rwlock_destroy(l); }
static inline void vmmu_read_lock(vmmu_rwlock_t *l) { pthread_rwlock_rdlock(l); }
static inline void vmmu_read_unlock(vmmu_rwlock_t *l) { pthread_rwlock_unlock(l); }
static inline void vmmu_write_lock(vmmu_rwlock_t *l) { pthread_rwlock_wrlock(l); }
static inline void vmmu_write_unlock(vmmu_rwlock_t *l) { pthread_rwlock_unlock(l); }

static inline void vmmu_cond_init(vmmu_cond_t *c) { pthread_cond_init(c, NULL); }
static inline void vmmu_cond_destroy(vmmu_cond_t *c) { pthread_cond_destroy(c); }
static inline void vmmu_cond_wait(vmmu_cond_t *c, vmmu_mutex_t *m) { pthread_cond_wait(c, m); }
static inline void vmmu_cond_broadcast(vmmu_cond_t *c) { pthread_cond_broadcast(c); }

/* One iteration of a wait loop for another thread's progress. */
static inline void vmmu_wait_relax(unsigned int spins)
{
	if (spins > 64)
		sched_yield();
	else
		__builtin_ia32_pause();
}

#else /* VMMU_CHECKER */

#include <stdatomic.h>

typedef struct { atomic_int locked; } vmmu_mutex_t;
/* writers_waiting: the release rwlock prefers writers; so does this one. */
typedef struct { atomic_int readers; atomic_int writer; atomic_int writers_waiting; } vmmu_rwlock_t;
typedef struct { atomic_uint seq; } vmmu_cond_t;

void vmmu_mutex_init(vmmu_mutex_t *m);
void vmmu_mutex_destroy(vmmu_mutex_t *m);
void vmmu_mutex_lock(vmmu_mutex_t *m);
void vmmu_mutex_unlock(vmmu_mutex_t *m);
void vmmu_rwlock_init(vmmu_rwlock_t *l);
void vmmu_rwlock_destroy(vmmu_rwlock_t *l);
void vmmu_read_lock(vmmu_rwlock_t *l);
void vmmu_read_unlock(vmmu_rwlock_t *l);
void vmmu_write_lock(vmmu_rwlock_t *l);
void vmmu_write_unlock(vmmu_rwlock_t *l);
void vmmu_cond_init(vmmu_cond_t *c);
void vmmu_cond_destroy(vmmu_cond_t *c);
void vmmu_cond_wait(vmmu_cond_t *c, vmmu_mutex_t *m);
void vmmu_cond_broadcast(vmmu_cond_t *c);
void vmmu_wait_relax(unsigned int spins);

#endif /* VMMU_CHECKER */

#endif /* VMMU_SYNC_H */
