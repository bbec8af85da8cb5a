/* SPDX-License-Identifier: MIT */
/*
 * The one seam between the library and its race checker (docs/CHECKER.md).
 *
 * The same sources build three libraries (meson.build):
 *
 *	libvmmu		release: everything here is an empty static inline or
 *			a constant false, still type-checked, so a call site
 *			cannot rot and costs nothing;
 *	vmmu_variants	VMMU_VARIANTS: variant_is(X) reads the variant the
 *			vmmu-variant tool selected (tools/vmmu/variants.c);
 *	vmmu_checker	VMMU_CHECKER (implies VMMU_VARIANTS): schedule points,
 *			locks, waits and RCU hand control to the deterministic
 *			scheduler of tools/vmmu-check, and the hooks feed its
 *			monitors.
 *
 * No .c file of the library tests VMMU_CHECKER or VMMU_VARIANTS: it calls
 * what is declared here, and a variant is a normal statement,
 * "if (variant_is(X)) ...", that the release compiler folds away.  A
 * variant changes behaviour only while it is the one selected.
 *
 * Locks (vmmu_mutex_t, vmmu_rwlock_t, vmmu_cond_t) and the RCU read side
 * are here too, since the checker swaps them.  In debug builds
 * (VMMU_DEBUG_CHECKS, compiler.h) the release locks record their holders,
 * so helpers can assert their locking contract (lockdep_assert_held()).
 */
#ifndef VMMU_CHECK_HOOKS_H
#define VMMU_CHECK_HOOKS_H

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler.h"
#include "warn.h"

#ifdef VMMU_CHECKER
#ifndef VMMU_VARIANTS
#define VMMU_VARIANTS 1
#endif
#define VMMU_IS_CHECKER 1
#else
#define VMMU_IS_CHECKER 0
#endif

/* ---------------------------------------------------------------------- */
/* Schedule points: the protocol's critical steps                          */
/* ---------------------------------------------------------------------- */

enum sched_point_id {
	SP_MEMSLOT_GEN_IP,	/* inactive set tagged gen | IN_PROGRESS */
	SP_MEMSLOT_PUBLISH,	/* new set published */
	SP_MEMSLOT_SYNC,	/* grace period over */
	SP_MEMSLOT_GEN_FINAL,	/* final generation stored */
	SP_FAULT_SLOTS_DEREF,	/* fault loaded the memslot set */
	SP_FAULT_GEN_READ,	/* fault read the generation */
	SP_FAULT_SLOT_LOOKUP,	/* fault looked the gfn up */
	SP_FAULT_SEQ_SNAPSHOT,	/* fault took its invalidation snapshot */
	SP_FAULT_PFN_RESOLVED,	/* fault resolved hva -> host page */
	SP_FAULT_INSTALL,	/* fault is about to install an SPTE */
	SP_MMIO_SPTE_READ,	/* fast path read an MMIO SPTE */
	SP_MMIO_CACHE_FILL,	/* MMIO info cache about to be filled */
	SP_NOTIFIER_BEGIN,	/* invalidate_range_start done with the MMU */
	SP_NOTIFIER_END,	/* invalidate_range_end about to end */
	SP_ZAP,			/* a zap cleared SPTEs */
	SP_TLB_HIT,		/* software-TLB tag matched, guest load/store next */
	SP_NOTIFIER_COUNTED,	/* start() raised mn_active_invalidate_count */
	SP_MEMBARRIER,		/* a flush's membarrier() (checker: drains store buffers) */
	SP_ACCESS_TARGET,	/* walk done, target published, guest load/store next */
	SP_FLUSH_ASKED,		/* a flush asked the FAST vCPUs to fence and answer */
	SP_FENCE_OUTSIDE,	/* a vCPU marked itself OUTSIDE (fault path, idle) */
	SP_RING_PUSH,		/* dirty ring: half of a push published (src/dirty_ring.c) */
	SP_NOTIFIER_INTENTS,	/* start() read the intents, walks for present SPTEs next */
	SP_FAULT_INTENT,	/* fault published its intent, locked check next */
	SP_NR
};

/* ---------------------------------------------------------------------- */
/* Variants: the wrong designs the checker and kvm-diff must catch          */
/* ---------------------------------------------------------------------- */

/*
 * The historical or plausible wrong designs (docs/CHECKER.md).  Each is
 * rebuilt in place behind "if (variant_is(NAME))"; VARIANT_NONE is the
 * real design.  The enum exists in every build so that the tests stay
 * type-checked; only variant builds can select one.
 */
enum vmmu_checker_variant {
	VARIANT_NONE,
	VARIANT_GEN_BEFORE_PUBLISH,		/* KVM 2013; the 2014 fix */
	VARIANT_NO_WRAP_ZAP,			/* the MMIO generation wrap */
	VARIANT_WRAP_CHECK_KEEPS_AS_BITS,
	VARIANT_FAULT_NO_SEQ_RECHECK,		/* KVM before 2012 */
	VARIANT_SWAP_IGNORES_OPEN_BRACKETS,	/* RP: publish without extending brackets */
	VARIANT_END_SKIPS_RANGE_BUMP,		/* RP: end() bumps no counter */
	VARIANT_START_SKIPS_INTENT_SCAN,	/* start() skips the zap on an empty walk alone */
	VARIANT_FAULT_INTENT_AFTER_CHECK,	/* a fault publishes its intent after its check */
	VARIANT_FAULT_SKIPS_MAPPED_MARK,	/* a fault installs without marking its bucket */
	VARIANT_ZAP_ALL_CLEARS_MARKS_EARLY,	/* zap-all clears the marks before its flush */
	VARIANT_PREFETCH_IGNORES_OPEN_BRACKETS,	/* a fault prefetches under a neighbour's bracket */
	VARIANT_PREFETCH_JOINS_ANY_SLOT,	/* a prefetch runs into a slot elsewhere in the host */
	VARIANT_PREFETCH_JOINS_INVALID_SLOT,	/* a prefetch runs into a slot being deleted */
	VARIANT_PREFETCH_JOINS_LOGGED_SLOT,	/* a prefetch runs into a dirty-logged slot */
	VARIANT_BRACKET_DROPS_LAST_RUN,		/* start() joins slots' gfns, drops the last run */
	VARIANT_CHANGE_PTE_UNBRACKETED,		/* KVM before 2012 */
	VARIANT_MMIO_CACHE_IGNORES_IN_PROGRESS,	/* KVM's 2014 fix */
	/* vmmu's own bug history (docs/DESIGN.md, "Defects found in use") */
	VARIANT_READ_FAULT_DOWNGRADES_W,	/* defect 1: lost dirty page */
	VARIANT_NOSLOT_OVERWRITES_PRESENT,	/* defect 2: translation outlives DELETE */
	VARIANT_DIRECT_CACHE_FILLS_IN_BRACKET,	/* defect 3: stale "region mapped" cache */
	VARIANT_RW_IGNORES_INVALIDATION,	/* defect 4: read/write_guest vs a bracket */
	VARIANT_CHANGE_PTE_HULL_COVERAGE,	/* defect 5: change_pte checked against the hull */
	VARIANT_FLUSH_WITHOUT_MEMBARRIER,	/* a flush that skips the asymmetric fence */
	VARIANT_FLUSH_SKIPS_ANY_TARGET,		/* a flush skips every vCPU past its walk */
	VARIANT_FLUSH_TRUSTS_FAST,		/* a flush neither asks nor fences FAST vCPUs */
	VARIANT_PT_CACHE_IGNORES_FLUSH,		/* a vCPU's leaf-table cache outlives a flush */
	/* the dirty ring (src/dirty_ring.c) */
	VARIANT_RING_RESET_UNHARVESTED,		/* reset recycles entries not yet harvested */
	VARIANT_RING_PUSH_FLAG_FIRST,		/* push sets DIRTY before the index */
	VARIANT_NR
};

#ifdef VMMU_VARIANTS
/* The selected variant; defined by the tool that links a variant build. */
extern enum vmmu_checker_variant vmmu_checker_variant;

static inline bool __variant_is(enum vmmu_checker_variant v)
{
	return vmmu_checker_variant == v;
}
#else
static inline bool __variant_is(enum vmmu_checker_variant v)
{
	(void)v;
	return false;
}
#endif

/* variant_is(NAME) - is the wrong design VARIANT_NAME selected?  Always false in libvmmu. */
#define variant_is(v)		__variant_is(VARIANT_##v)
/* The older spelling, used by tools/vmmu-check. */
#define checker_variant(v)	variant_is(v)

/* ---------------------------------------------------------------------- */
/* Checker hooks                                                            */
/* ---------------------------------------------------------------------- */

struct vmmu_vm;
struct vmmu_vcpu;
struct vmmu_memslot;

#ifdef VMMU_CHECKER
/* Hand control to the checker's scheduler at @id. */
void vmmu_sched_point(enum sched_point_id id);
/* A fault took its invalidation snapshot: returns the checker's count of
 * end()s then (ghost state, handed back at the install). */
uint64_t vmmu_checker_fault_snapshot(struct vmmu_vm *vm);
/* A fault is about to install an SPTE for (@as_id, @gfn) (mmu_lock held for
 * read); @hva is its host address (0: an MMIO SPTE), @mmu_seq its snapshot
 * of the invalidation counters, @epoch what vmmu_checker_fault_snapshot()
 * returned. */
void vmmu_checker_fault_install(struct vmmu_vm *vm, uint32_t as_id, uint64_t gfn, uint64_t hva,
				uint64_t mmu_seq, uint64_t epoch);
/* start() computed the ranges of the bracket [@start, @end) (mmu_lock write). */
void vmmu_checker_invalidate_started(struct vmmu_vm *vm, uint64_t start, uint64_t end);
/* end() closes the bracket [@start, @end) (mmu_lock write). */
void vmmu_checker_invalidate_ended(struct vmmu_vm *vm, uint64_t start, uint64_t end);
/* The library is about to touch guest memory [@p, @p + @len): returns the
 * pointer to use (the host-safety monitor redirects a touch of memory that
 * is not mapped to a scratch page instead of crashing). */
void *vmmu_checker_guest_mem(const void *p, size_t len, bool write);
/* change_pte is about to re-point gfns [@start, @end) of @slot in @as_id
 * (mmu_lock held for write): the bracket-coverage monitor. */
void vmmu_checker_change_pte(struct vmmu_vm *vm, uint32_t as_id,
			     const struct vmmu_memslot *slot, uint64_t start, uint64_t end);
/*
 * The asymmetric fence, modelled (docs/CHECKER.md, "Fences"): a vCPU's
 * plain increment entering its access bracket sits in its store buffer,
 * invisible to other threads, until the vCPU fences, leaves the bracket,
 * or a flusher's membarrier() drains every buffer.
 */
void vmmu_checker_access_begin(struct vmmu_vcpu *vcpu);
void vmmu_checker_access_end(struct vmmu_vcpu *vcpu);
void vmmu_checker_fence(struct vmmu_vcpu *vcpu);
void vmmu_checker_membarrier(void);
#else
static inline void vmmu_sched_point(enum sched_point_id id) { (void)id; }
static inline uint64_t vmmu_checker_fault_snapshot(struct vmmu_vm *vm)
{
	(void)vm;
	return 0;
}
static inline void vmmu_checker_fault_install(struct vmmu_vm *vm, uint32_t as_id, uint64_t gfn,
					      uint64_t hva, uint64_t mmu_seq, uint64_t epoch)
{
	(void)vm; (void)as_id; (void)gfn; (void)hva; (void)mmu_seq; (void)epoch;
}
static inline void vmmu_checker_invalidate_started(struct vmmu_vm *vm, uint64_t start,
						   uint64_t end)
{
	(void)vm; (void)start; (void)end;
}
static inline void vmmu_checker_invalidate_ended(struct vmmu_vm *vm, uint64_t start, uint64_t end)
{
	(void)vm; (void)start; (void)end;
}
static inline void *vmmu_checker_guest_mem(const void *p, size_t len, bool write)
{
	(void)len; (void)write;
	return (void *)p;
}
static inline void vmmu_checker_change_pte(struct vmmu_vm *vm, uint32_t as_id,
					   const struct vmmu_memslot *slot, uint64_t start,
					   uint64_t end)
{
	(void)vm; (void)as_id; (void)slot; (void)start; (void)end;
}
static inline void vmmu_checker_access_begin(struct vmmu_vcpu *vcpu) { (void)vcpu; }
static inline void vmmu_checker_access_end(struct vmmu_vcpu *vcpu) { (void)vcpu; }
static inline void vmmu_checker_fence(struct vmmu_vcpu *vcpu) { (void)vcpu; }
static inline void vmmu_checker_membarrier(void) { }
#endif

/* sched_point(id) - a schedule point; nothing in libvmmu. */
#define sched_point(id)		vmmu_sched_point(id)

/* ---------------------------------------------------------------------- */
/* Locks and waits                                                          */
/* ---------------------------------------------------------------------- */

/*
 * Release: vmmu's futex mutex and condition variable (src/lock.c) and a
 * thin wrapper around glibc's rwlock; with VMMU_DEBUG_CHECKS each lock
 * also records its holder (a mutex and a rwlock's writer in the lock, and
 * with VMMU_LOCKDEP_READERS a rwlock's readers in a per-thread list), for
 * lockdep_assert_held*().
 *
 * Checker: the scheduler runs one thread at a time, so a thread must never
 * block in the kernel while holding the token; every acquisition is "try,
 * and if busy, yield at a blocked schedule point" and every wait loop
 * yields (tools/vmmu-check/sync.c).  Holder assertions are off there.
 */
#ifndef VMMU_CHECKER

#define VMMU_LOCKDEP	VMMU_DEBUG_CHECKS

/* A futex mutex: the state word and its slow paths are in src/lock.c. */
typedef struct {
	_Atomic uint32_t state;
#if VMMU_LOCKDEP
	_Atomic(const void *) owner;
#endif
} vmmu_mutex_t;

typedef struct {
	pthread_rwlock_t l;
#if VMMU_LOCKDEP
	_Atomic(const void *) writer;
#endif
} vmmu_rwlock_t;

/* A sequence count the waiters sleep on (src/lock.c). */
typedef struct {
	_Atomic uint32_t seq;
} vmmu_cond_t;

/*
 * Readers are tracked per thread only with VMMU_LOCKDEP_READERS (meson's
 * debug buildtype, or -Dlockdep_readers=true): the list costs the fault
 * path about 20 instructions a fault, which the counted hot paths of the
 * default debugoptimized build cannot afford.  Mutex owners and rwlock
 * writers cost nothing there (no counted path takes a mutex or a write
 * lock), so they are tracked whenever VMMU_DEBUG_CHECKS is on.
 */
#ifndef VMMU_LOCKDEP_READERS
#define VMMU_LOCKDEP_READERS	0
#endif

#if VMMU_LOCKDEP
#define LOCKDEP_TLS	__thread __attribute__((tls_model("initial-exec")))
/* This thread's identity: the address of a thread-local. */
extern LOCKDEP_TLS char vmmu_lockdep_self;
#define lockdep_self()	((const void *)&vmmu_lockdep_self)
#endif

#if VMMU_LOCKDEP && VMMU_LOCKDEP_READERS
#define LOCKDEP_MAX_READ_HELD	4
/* The rwlocks this thread holds for read. */
extern LOCKDEP_TLS const vmmu_rwlock_t *vmmu_lockdep_read_held[LOCKDEP_MAX_READ_HELD];

static inline bool lockdep_read_held(const vmmu_rwlock_t *l)
{
	for (unsigned int i = 0; i < LOCKDEP_MAX_READ_HELD; i++)
		if (vmmu_lockdep_read_held[i] == l)
			return true;
	return false;
}

static inline void lockdep_read_acquire(const vmmu_rwlock_t *l)
{
	for (unsigned int i = 0; i < LOCKDEP_MAX_READ_HELD; i++)
		if (!vmmu_lockdep_read_held[i]) {
			vmmu_lockdep_read_held[i] = l;
			return;
		}
	WARN_ON_ONCE("lockdep: too many read locks held");
}

static inline void lockdep_read_release(const vmmu_rwlock_t *l)
{
	for (unsigned int i = 0; i < LOCKDEP_MAX_READ_HELD; i++)
		if (vmmu_lockdep_read_held[i] == l) {
			vmmu_lockdep_read_held[i] = NULL;
			return;
		}
	WARN_ON_ONCE("lockdep: read unlock of a lock this thread does not hold");
}
#else
/* Readers untracked: a read-side assertion cannot tell, so it passes. */
static inline bool lockdep_read_held(const vmmu_rwlock_t *l) { (void)l; return true; }
static inline void lockdep_read_acquire(const vmmu_rwlock_t *l) { (void)l; }
static inline void lockdep_read_release(const vmmu_rwlock_t *l) { (void)l; }
#endif

/*
 * ThreadSanitizer knows glibc's mutexes by their calls; it sees ours as
 * atomics only, which gives it the happens-before but not the lock (its
 * deadlock and lock-order reports).  These annotations tell it.
 */
#if VMMU_TSAN
#include <sanitizer/tsan_interface.h>
#define tsan_mutex_create(m)		__tsan_mutex_create((m), 0)
#define tsan_mutex_destroy(m)		__tsan_mutex_destroy((m), 0)
#define tsan_mutex_pre_lock(m)		__tsan_mutex_pre_lock((m), 0)
#define tsan_mutex_post_lock(m)		__tsan_mutex_post_lock((m), 0, 0)
#define tsan_mutex_pre_unlock(m)	((void)__tsan_mutex_pre_unlock((m), 0))
#define tsan_mutex_post_unlock(m)	__tsan_mutex_post_unlock((m), 0)
#else
#define tsan_mutex_create(m)		((void)(m))
#define tsan_mutex_destroy(m)		((void)(m))
#define tsan_mutex_pre_lock(m)		((void)(m))
#define tsan_mutex_post_lock(m)		((void)(m))
#define tsan_mutex_pre_unlock(m)	((void)(m))
#define tsan_mutex_post_unlock(m)	((void)(m))
#endif

static inline void vmmu_mutex_init(vmmu_mutex_t *m)
{
	atomic_init(&m->state, 0);
#if VMMU_LOCKDEP
	atomic_init(&m->owner, NULL);
#endif
	tsan_mutex_create(m);
}
static inline void vmmu_mutex_destroy(vmmu_mutex_t *m) { tsan_mutex_destroy(m); }
/*
 * Spin a little before sleeping, as the rwlock below does (it says why):
 * mn_invalidate_lock is held for a few hundred nanoseconds by every
 * start()/end(), and a waiter that sleeps costs the holder a futex wake.
 */
#define VMMU_MUTEX_SPINS	128u
void vmmu_mutex_lock_slow(vmmu_mutex_t *m);
void vmmu_mutex_wake(vmmu_mutex_t *m);
static inline void vmmu_mutex_lock(vmmu_mutex_t *m)
{
	uint32_t free = 0;

	tsan_mutex_pre_lock(m);
	if (unlikely(!atomic_compare_exchange_strong_explicit(&m->state, &free, 1,
							      memory_order_acquire,
							      memory_order_relaxed)))
		vmmu_mutex_lock_slow(m);
	tsan_mutex_post_lock(m);
#if VMMU_LOCKDEP
	atomic_store_explicit(&m->owner, lockdep_self(), memory_order_relaxed);
#endif
}
static inline void vmmu_mutex_unlock(vmmu_mutex_t *m)
{
#if VMMU_LOCKDEP
	WARN_ON_ONCE(atomic_load_explicit(&m->owner, memory_order_relaxed) != lockdep_self());
	atomic_store_explicit(&m->owner, NULL, memory_order_relaxed);
#endif
	tsan_mutex_pre_unlock(m);
	if (unlikely(atomic_exchange_explicit(&m->state, 0, memory_order_release) == 2))
		vmmu_mutex_wake(m);
	tsan_mutex_post_unlock(m);
}
/* Is @m held by some thread?  A hint for statistics: it may change at once. */
static inline bool vmmu_mutex_is_held(vmmu_mutex_t *m)
{
	return atomic_load_explicit(&m->state, memory_order_relaxed) != 0;
}

static inline void vmmu_rwlock_init(vmmu_rwlock_t *l)
{
	pthread_rwlockattr_t attr;

	pthread_rwlockattr_init(&attr);
	/* Zaps must not starve behind a stream of faults. */
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&l->l, &attr);
	pthread_rwlockattr_destroy(&attr);
#if VMMU_LOCKDEP
	atomic_init(&l->writer, NULL);
#endif
}
static inline void vmmu_rwlock_destroy(vmmu_rwlock_t *l) { pthread_rwlock_destroy(&l->l); }
/*
 * Spin a little before sleeping: mmu_lock's writers (zaps, memslot
 * updates) hold it for microseconds, and a reader that sleeps costs the
 * writer's unlock a futex wake, a system call that is a hypervisor exit in
 * a nested VM: spinning first made a MOVE of a slot a running vCPU faults
 * on several times cheaper.  A waiting writer makes tryrdlock fail (the
 * lock prefers writers), so spinning readers do not starve it.
 */
#define VMMU_RWLOCK_SPINS	128u
static inline void vmmu_read_lock(vmmu_rwlock_t *l)
{
	for (unsigned int i = 0; pthread_rwlock_tryrdlock(&l->l); i++) {
		if (i == VMMU_RWLOCK_SPINS) {
			pthread_rwlock_rdlock(&l->l);
			break;
		}
		__builtin_ia32_pause();
	}
	lockdep_read_acquire(l);
}
static inline void vmmu_read_unlock(vmmu_rwlock_t *l)
{
	lockdep_read_release(l);
	pthread_rwlock_unlock(&l->l);
}
static inline void vmmu_write_lock(vmmu_rwlock_t *l)
{
	for (unsigned int i = 0; pthread_rwlock_trywrlock(&l->l); i++) {
		if (i == VMMU_RWLOCK_SPINS) {
			pthread_rwlock_wrlock(&l->l);
			break;
		}
		__builtin_ia32_pause();
	}
#if VMMU_LOCKDEP
	atomic_store_explicit(&l->writer, lockdep_self(), memory_order_relaxed);
#endif
}
static inline void vmmu_write_unlock(vmmu_rwlock_t *l)
{
#if VMMU_LOCKDEP
	WARN_ON_ONCE(atomic_load_explicit(&l->writer, memory_order_relaxed) != lockdep_self());
	atomic_store_explicit(&l->writer, NULL, memory_order_relaxed);
#endif
	pthread_rwlock_unlock(&l->l);
}

static inline void vmmu_cond_init(vmmu_cond_t *c) { atomic_init(&c->seq, 0); }
static inline void vmmu_cond_destroy(vmmu_cond_t *c) { (void)c; }
/* Sleep until a broadcast (or spuriously); @m held before and after. */
void vmmu_cond_wait(vmmu_cond_t *c, vmmu_mutex_t *m);
/* Wake every waiter of @c; called with the waiters' mutex held. */
void vmmu_cond_broadcast(vmmu_cond_t *c);

/* One iteration of a wait loop for another thread's progress. */
static inline void vmmu_wait_relax(unsigned int spins)
{
	if (spins > 64)
		sched_yield();
	else
		__builtin_ia32_pause();
}

#else /* VMMU_CHECKER */

#define VMMU_LOCKDEP	0

typedef struct { atomic_int locked; } vmmu_mutex_t;
/* writers_waiting: the release rwlock prefers writers; so does this one. */
typedef struct { atomic_int readers; atomic_int writer; atomic_int writers_waiting; } vmmu_rwlock_t;
typedef struct { atomic_uint seq; } vmmu_cond_t;

void vmmu_mutex_init(vmmu_mutex_t *m);
void vmmu_mutex_destroy(vmmu_mutex_t *m);
void vmmu_mutex_lock(vmmu_mutex_t *m);
void vmmu_mutex_unlock(vmmu_mutex_t *m);
static inline bool vmmu_mutex_is_held(vmmu_mutex_t *m)
{
	return atomic_load_explicit(&m->locked, memory_order_relaxed) != 0;
}
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

/*
 * lockdep_assert_held(m) and friends - the caller's locking contract, at the
 * top of every helper that requires a lock ("__" helpers and the ones whose
 * comment says "Context: ... held").  Debug builds warn (WARN_ON_ONCE) when
 * this thread does not hold it; release and checker builds compile them to
 * nothing, still type-checked.
 */
#if VMMU_LOCKDEP
#define lockdep_assert_held(m)						\
	((void)WARN_ON_ONCE(atomic_load_explicit(&(m)->owner, memory_order_relaxed) != lockdep_self()))
#define lockdep_assert_held_write(l)					\
	((void)WARN_ON_ONCE(atomic_load_explicit(&(l)->writer, memory_order_relaxed) != lockdep_self()))
/* Exact with VMMU_LOCKDEP_READERS; otherwise it checks nothing. */
#define lockdep_assert_held_read(l)	((void)WARN_ON_ONCE(!lockdep_read_held(l)))
#else
#define lockdep_assert_held(m)		((void)sizeof(*(const vmmu_mutex_t *)(m)))
#define lockdep_assert_held_write(l)	((void)sizeof(*(const vmmu_rwlock_t *)(l)))
#define lockdep_assert_held_read(l)	((void)sizeof(*(const vmmu_rwlock_t *)(l)))
#endif

/* ---------------------------------------------------------------------- */
/* RCU                                                                      */
/* ---------------------------------------------------------------------- */

#define vmmu_rcu_dereference(p)	atomic_load_explicit(&(p), memory_order_acquire)
#define vmmu_rcu_assign_pointer(p, v) atomic_store_explicit(&(p), (v), memory_order_release)

#ifdef VMMU_CHECKER
/*
 * Under the checker's scheduler a grace period must yield while it waits
 * for readers; the checker provides a small counting RCU with the same
 * guarantee (tools/vmmu-check/sync.c).
 */
void vmmu_rcu_read_lock(void);
void vmmu_rcu_read_unlock(void);
void vmmu_synchronize_rcu(void);
#else
#include "rcu.h"
#endif

#endif /* VMMU_CHECK_HOOKS_H */
