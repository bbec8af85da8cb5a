// SPDX-License-Identifier: MIT
/*
 * The checker build's locks, waits and RCU (src/check_hooks.h).
 *
 * Only one thread runs at a time, so the lock words need no atomic
 * read-modify-write; what matters is that no thread ever sleeps in the
 * kernel while it holds the token.  A lock that is busy, a condition not
 * yet signalled or a grace period with readers still inside marks the
 * thread as waiting for that (struct cthread.wait) and enters the scheduler,
 * which runs others until chk_can_run() says the wait is over; the thread
 * then tries again.  A wait loop (vmmu_wait_relax) yields.
 *
 * Outside a schedule (the main thread setting up or checking a VM) the same
 * calls just take free locks; a busy one there is a checker bug.
 */
#include <stdlib.h>

#include "check.h"
#include "rcu.h"
#include "check_hooks.h"
#include "vm.h"

static bool scheduled(void)
{
	return chk_current && chk.active;
}

static void busy_outside_schedule(const char *what)
{
	fprintf(stderr, "vmmu-check: %s busy outside a schedule\n", what);
	abort();
}

static void block_on(enum wait_kind kind, const void *obj, unsigned int val)
{
	struct cthread *t = chk_current;

	t->wait = kind;
	t->wait_obj = obj;
	t->wait_val = val;
	chk_schedule(R_BLOCK, -1);
	t->wait = W_NONE;
}

bool chk_can_run(const struct cthread *t)
{
	switch (t->wait) {
	case W_NONE:
		return true;
	case W_MUTEX: {
		const vmmu_mutex_t *m = t->wait_obj;

		return !atomic_load_explicit(&m->locked, memory_order_relaxed);
	}
	case W_READ: {
		const vmmu_rwlock_t *l = t->wait_obj;

		return !atomic_load_explicit(&l->writer, memory_order_relaxed) &&
		       !atomic_load_explicit(&l->writers_waiting, memory_order_relaxed);
	}
	case W_WRITE: {
		const vmmu_rwlock_t *l = t->wait_obj;

		return !atomic_load_explicit(&l->writer, memory_order_relaxed) &&
		       !atomic_load_explicit(&l->readers, memory_order_relaxed);
	}
	case W_COND: {
		const vmmu_cond_t *c = t->wait_obj;

		return atomic_load_explicit(&c->seq, memory_order_relaxed) != t->wait_val;
	}
	case W_RCU:
		for (int i = 0; i < chk.nthreads; i++) {
			const struct cthread *u = chk.threads[i];

			if (t->rcu_snap[i] && u->rcu_nesting && u->rcu_section == t->rcu_snap[i])
				return false;
		}
		return true;
	}
	return true;
}

void vmmu_mutex_init(vmmu_mutex_t *m)
{
	atomic_init(&m->locked, 0);
}

void vmmu_mutex_destroy(vmmu_mutex_t *m)
{
	(void)m;
}

void vmmu_mutex_lock(vmmu_mutex_t *m)
{
	if (!scheduled()) {
		if (atomic_load_explicit(&m->locked, memory_order_relaxed))
			busy_outside_schedule("mutex");
	} else {
		while (atomic_load_explicit(&m->locked, memory_order_relaxed))
			block_on(W_MUTEX, m, 0);
	}
	atomic_store_explicit(&m->locked, 1, memory_order_relaxed);
}

void vmmu_mutex_unlock(vmmu_mutex_t *m)
{
	if (!atomic_load_explicit(&m->locked, memory_order_relaxed))
		chk_violation("unlock of a mutex that is not locked");
	atomic_store_explicit(&m->locked, 0, memory_order_relaxed);
}

void vmmu_rwlock_init(vmmu_rwlock_t *l)
{
	atomic_init(&l->readers, 0);
	atomic_init(&l->writer, 0);
	atomic_init(&l->writers_waiting, 0);
}

void vmmu_rwlock_destroy(vmmu_rwlock_t *l)
{
	(void)l;
}

/* Writer-preferring, as the release build's pthread rwlock. */
void vmmu_read_lock(vmmu_rwlock_t *l)
{
	if (!scheduled()) {
		if (atomic_load_explicit(&l->writer, memory_order_relaxed))
			busy_outside_schedule("rwlock");
	} else {
		while (atomic_load_explicit(&l->writer, memory_order_relaxed) ||
		       atomic_load_explicit(&l->writers_waiting, memory_order_relaxed))
			block_on(W_READ, l, 0);
	}
	atomic_fetch_add_explicit(&l->readers, 1, memory_order_relaxed);
}

void vmmu_read_unlock(vmmu_rwlock_t *l)
{
	if (atomic_fetch_sub_explicit(&l->readers, 1, memory_order_relaxed) <= 0)
		chk_violation("read unlock of an rwlock not read-locked");
}

void vmmu_write_lock(vmmu_rwlock_t *l)
{
	if (!scheduled()) {
		if (atomic_load_explicit(&l->writer, memory_order_relaxed) ||
		    atomic_load_explicit(&l->readers, memory_order_relaxed))
			busy_outside_schedule("rwlock");
	} else {
		atomic_fetch_add_explicit(&l->writers_waiting, 1, memory_order_relaxed);
		while (atomic_load_explicit(&l->writer, memory_order_relaxed) ||
		       atomic_load_explicit(&l->readers, memory_order_relaxed))
			block_on(W_WRITE, l, 0);
		atomic_fetch_sub_explicit(&l->writers_waiting, 1, memory_order_relaxed);
	}
	atomic_store_explicit(&l->writer, 1, memory_order_relaxed);
}

void vmmu_write_unlock(vmmu_rwlock_t *l)
{
	if (!atomic_load_explicit(&l->writer, memory_order_relaxed))
		chk_violation("write unlock of an rwlock not write-locked");
	atomic_store_explicit(&l->writer, 0, memory_order_relaxed);
}

void vmmu_cond_init(vmmu_cond_t *c)
{
	atomic_init(&c->seq, 0);
}

void vmmu_cond_destroy(vmmu_cond_t *c)
{
	(void)c;
}

void vmmu_cond_wait(vmmu_cond_t *c, vmmu_mutex_t *m)
{
	unsigned int seq = atomic_load_explicit(&c->seq, memory_order_relaxed);

	if (!scheduled()) {
		chk_violation("cond wait outside a schedule would sleep forever");
		return;
	}
	vmmu_mutex_unlock(m);
	while (atomic_load_explicit(&c->seq, memory_order_relaxed) == seq)
		block_on(W_COND, c, seq);
	vmmu_mutex_lock(m);
}

void vmmu_cond_broadcast(vmmu_cond_t *c)
{
	atomic_fetch_add_explicit(&c->seq, 1, memory_order_relaxed);
}

void vmmu_wait_relax(unsigned int spins)
{
	(void)spins;
	if (scheduled())
		chk_schedule(R_YIELD, -1);
}

/* ---------------------------------------------------------------------- */
/* RCU: per-thread nesting counts; a grace period waits out every read     */
/* section that was open when it began.                                    */
/* ---------------------------------------------------------------------- */

static uint64_t rcu_sections;

void vmmu_rcu_read_lock(void)
{
	struct cthread *t = chk_current;

	if (!scheduled())
		return;
	if (t->rcu_nesting++ == 0)
		t->rcu_section = ++rcu_sections;
}

void vmmu_rcu_read_unlock(void)
{
	struct cthread *t = chk_current;

	if (!scheduled())
		return;
	if (t->rcu_nesting <= 0) {
		chk_violation("rcu_read_unlock without rcu_read_lock");
		return;
	}
	t->rcu_nesting--;
}

void vmmu_synchronize_rcu(void)
{
	struct cthread *t = chk_current;
	bool readers = false;

	if (!scheduled())
		return;
	if (t->rcu_nesting) {
		chk_violation("synchronize_rcu inside a read section (self-deadlock)");
		return;
	}
	for (int i = 0; i < chk.nthreads; i++) {
		const struct cthread *u = chk.threads[i];

		t->rcu_snap[i] = (u != t && u->rcu_nesting) ? u->rcu_section : 0;
		readers |= t->rcu_snap[i] != 0;
	}
	if (!readers)
		return;
	for (;;) {
		t->wait = W_RCU;
		if (chk_can_run(t))
			break;
		chk_schedule(R_BLOCK, -1);
	}
	t->wait = W_NONE;
}

/* ---------------------------------------------------------------------- */
/* Library hooks                                                           */
/* ---------------------------------------------------------------------- */

void vmmu_warn(const char *file, int line, const char *cond)
{
	if (chk_current && chk_current->expect_warn) {
		/* The scenario made a call the library must refuse and warn about. */
		chk_current->warns++;
		chk_trace("(library WARN, expected: %s)", cond);
		return;
	}
	if (!chk_monitor_on(MON_PROTOCOL))
		return;
	chk_violation("library WARN at %s:%d: %s", file, line, cond);
}

/* ---------------------------------------------------------------------- */
/* The asymmetric fence, modelled (src/vcpu.c vcpu_access_begin/end)        */
/* ---------------------------------------------------------------------- */

/*
 * On x86 the vCPU enters its access bracket with a plain `add` to
 * access_seq: a store that sits in the CPU's store buffer while the vCPU's
 * next loads (tlb_gen, the TLB entry, guest memory) already execute.  A
 * flusher that read access_seq then would see it even and not wait.  The
 * flusher's membarrier() makes every running thread execute a full barrier,
 * draining its buffer, before it reads access_seq.
 *
 * The model (TSO, one pending store per vCPU): the entering increment is
 * kept here, not in vcpu->access_seq, until the vCPU fences (symmetric
 * mode), leaves the bracket (the release store; draining then is one legal
 * TSO outcome, and delaying the leave only makes a flusher wait longer), or
 * a flusher's membarrier() drains every buffer.  The vCPU itself sees its
 * own store (forwarding).  Delaying the store as long as possible is the
 * adversarial choice: every schedule in which it became visible earlier is
 * also explored through the scheduling of the membarrier step.
 */
#define SB_MAX	8

static struct {
	struct vmmu_vcpu *vcpu;
	uint64_t pending;
} sb[SB_MAX];
static int nsb;

void chk_fence_reset(void)
{
	nsb = 0;
}

static uint64_t *sb_slot(struct vmmu_vcpu *vcpu)
{
	for (int i = 0; i < nsb; i++)
		if (sb[i].vcpu == vcpu)
			return &sb[i].pending;
	if (nsb == SB_MAX)
		return NULL;
	sb[nsb].vcpu = vcpu;
	sb[nsb].pending = 0;
	return &sb[nsb++].pending;
}

static void sb_drain(struct vmmu_vcpu *vcpu, uint64_t *pending)
{
	if (*pending)
		atomic_fetch_add_explicit(&vcpu->access_seq, *pending, memory_order_seq_cst);
	*pending = 0;
}

void vmmu_checker_access_begin(struct vmmu_vcpu *vcpu)
{
	uint64_t *pending = scheduled() ? sb_slot(vcpu) : NULL;

	if (!pending) {
		atomic_fetch_add_explicit(&vcpu->access_seq, 1, memory_order_seq_cst);
		return;
	}
	(*pending)++;
}

void vmmu_checker_access_end(struct vmmu_vcpu *vcpu)
{
	uint64_t *pending = sb_slot(vcpu);
	uint64_t s = atomic_load_explicit(&vcpu->access_seq, memory_order_relaxed);

	if (pending) {
		s += *pending;
		*pending = 0;
	}
	atomic_store_explicit(&vcpu->access_seq, s + 1, memory_order_release);
}

void vmmu_checker_fence(struct vmmu_vcpu *vcpu)
{
	uint64_t *pending = sb_slot(vcpu);

	if (pending)
		sb_drain(vcpu, pending);
}

void vmmu_checker_membarrier(void)
{
	/* A step of its own: other threads may run just before the barrier. */
	if (scheduled())
		chk_schedule(R_POINT, SP_MEMBARRIER);
	for (int i = 0; i < nsb; i++)
		sb_drain(sb[i].vcpu, &sb[i].pending);
}
