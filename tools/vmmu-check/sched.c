// SPDX-License-Identifier: MIT
/*
 * The deterministic scheduler.
 *
 * Every scenario thread is a real pthread, but only the one holding the
 * token runs: the others sleep on their own futex word.  The running
 * thread enters chk_schedule() at each schedule point and whenever it would
 * block; the scheduler then picks the next thread among the runnable ones
 * (a blocked thread is runnable again once what it waits for holds, see
 * chk_can_run()) and hands it the token.
 *
 * Strategies:
 *	pct	PCT (Burckhardt et al., ASPLOS'10): random distinct priorities,
 *		d - 1 change points at random steps in [1, k] that drop the
 *		running thread's priority; always run the highest runnable.
 *	random	uniform choice among the runnable threads at every step.
 *	dfs	bounded exhaustive search: depth-first over all choices with at
 *		most P preemptions (switching away from a thread that could go
 *		on), stateless, by re-running prefixes.
 *	replay	follow a list of deviations from the default choice.
 *
 * The default choice is: keep running the current thread if it can; else
 * the next runnable one in id order after it.  A spinning thread (R_YIELD)
 * always lets another runnable thread go first.  Every run records where
 * it deviated from that default, as (thread, its n-th scheduler entry,
 * thread run instead): replaying those deviations reproduces the run, and
 * deleting some of them is how a failing schedule is minimized.
 */
#include <errno.h>
#include <linux/futex.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

struct sched chk;
_Thread_local struct cthread *chk_current;

static struct cthread *pool[CHK_MAX_THREADS];
static bool pool_ready;

/* ---------------------------------------------------------------------- */
/* The token                                                               */
/* ---------------------------------------------------------------------- */

static void token_wait(_Atomic int *w)
{
	while (!atomic_exchange_explicit(w, 0, memory_order_acquire))
		syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
}

static void token_give(_Atomic int *w)
{
	atomic_store_explicit(w, 1, memory_order_release);
	syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* A thread whose schedule was abandoned (deadlock, livelock) sleeps here. */
static void __attribute__((noreturn)) park_forever(void)
{
	_Atomic int never = 0;

	for (;;)
		syscall(SYS_futex, &never, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
}

/* ---------------------------------------------------------------------- */
/* Random numbers (splitmix64: tiny, and every seed gives a good stream)   */
/* ---------------------------------------------------------------------- */

uint64_t chk_rand(void)
{
	uint64_t z = (chk.rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rand_below(uint64_t n)
{
	return n ? chk_rand() % n : 0;
}

/* ---------------------------------------------------------------------- */
/* Violations and the trace                                                */
/* ---------------------------------------------------------------------- */

static struct tevent *trace_add(void);

void chk_violation(const char *fmt, ...)
{
	struct violation *v;
	va_list ap;

	if (chk.nviolations >= CHK_MAX_VIOLATIONS) {
		chk.nviolations++;
		return;
	}
	v = &chk.v[chk.nviolations++];
	v->step = (uint32_t)chk.step;
	v->tid = chk_current ? chk_current->id : -1;
	va_start(ap, fmt);
	vsnprintf(v->msg, sizeof(v->msg), fmt, ap);
	va_end(ap);
	if (chk.tracing) {
		struct tevent *e = trace_add();

		if (e) {
			e->step = (uint32_t)chk.step;
			e->tid = chk_current ? (uint8_t)chk_current->id : CHK_START;
			e->kind = TEV_VIOLATION;
			snprintf(e->text, sizeof(e->text), "%s", v->msg);
		}
	}
}

static struct tevent *trace_add(void)
{
	if (chk.ntrace == chk.trace_cap) {
		size_t cap = chk.trace_cap ? chk.trace_cap * 2 : 256;
		struct tevent *t = realloc(chk.trace, cap * sizeof(*t));

		if (!t)
			return NULL;
		chk.trace = t;
		chk.trace_cap = cap;
	}
	return &chk.trace[chk.ntrace++];
}

void chk_trace(const char *fmt, ...)
{
	struct tevent *e;
	va_list ap;

	if (!chk.tracing || !(e = trace_add()))
		return;
	e->step = (uint32_t)chk.step;
	e->tid = chk_current ? (uint8_t)chk_current->id : CHK_START;
	e->kind = TEV_TEXT;
	e->sp = 0;
	e->reason = 0;
	va_start(ap, fmt);
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
}

static void trace_point(int sp, enum sched_reason reason)
{
	struct tevent *e;

	if (!chk.tracing || !(e = trace_add()))
		return;
	e->step = (uint32_t)chk.step;
	e->tid = chk_current ? (uint8_t)chk_current->id : CHK_START;
	e->kind = TEV_POINT;
	e->sp = (uint16_t)sp;
	e->reason = (uint8_t)reason;
	e->text[0] = 0;
}

/* ---------------------------------------------------------------------- */
/* Choosing                                                                */
/* ---------------------------------------------------------------------- */

static int default_choice(const struct cthread *cur, enum sched_reason r, const int *cand, int n)
{
	int cid;

	if (!cur)
		return cand[0];
	cid = cur->id;
	if (r == R_POINT)
		for (int i = 0; i < n; i++)
			if (cand[i] == cid)
				return cid;
	for (int k = 1; k <= chk.nthreads; k++) {
		int id = (cid + k) % chk.nthreads;

		for (int i = 0; i < n; i++)
			if (cand[i] == id && (id != cid || n == 1))
				return id;
	}
	return cand[0];
}

static bool in_cands(int id, const int *cand, int n)
{
	for (int i = 0; i < n; i++)
		if (cand[i] == id)
			return true;
	return false;
}

static int pct_choice(struct cthread *cur, enum sched_reason r, const int *cand, int n)
{
	int best = -1, best_prio = 0;

	if (cur) {
		for (int j = 0; j < chk.depth - 1; j++)
			if (chk.step == chk.change_points[j])
				cur->prio = chk.depth - 2 - j;
		if (r == R_YIELD)
			cur->prio = --chk.low_prio;
	}
	for (int i = 0; i < n; i++) {
		struct cthread *t = chk.threads[cand[i]];

		if (best < 0 || t->prio > best_prio) {
			best = cand[i];
			best_prio = t->prio;
		}
	}
	return best;
}

static int random_choice(const struct cthread *cur, enum sched_reason r, const int *cand, int n)
{
	int c[CHK_MAX_THREADS], m = 0;

	for (int i = 0; i < n; i++)
		if (!(r == R_YIELD && n > 1 && cur && cand[i] == cur->id))
			c[m++] = cand[i];
	return c[rand_below(m)];
}

/* DFS: one frame per scheduling decision of the current run. */
struct dfs_frame {
	uint8_t n;
	uint8_t cand[CHK_MAX_THREADS];
	uint8_t chosen;
	uint8_t tried;		/* bitmask of thread ids */
	uint8_t pre_before;	/* preemptions before this decision */
	int8_t cur;		/* current thread if it could go on (R_POINT), else -1 */
};

#define DFS_MAX_DEPTH	100000
static struct dfs_frame *dfs;
static size_t dfs_len, dfs_pos;
static int dfs_preemptions;
static bool dfs_diverged;

void chk_dfs_reset(void)
{
	if (!dfs)
		dfs = calloc(DFS_MAX_DEPTH, sizeof(*dfs));
	dfs_len = 0;
	dfs_pos = 0;
}

static bool dfs_is_preemption(const struct dfs_frame *f, int c)
{
	return f->cur >= 0 && c != f->cur;
}

static int dfs_choice(const struct cthread *cur, enum sched_reason r, const int *cand, int n)
{
	struct dfs_frame *f;
	int c[CHK_MAX_THREADS], m = 0;

	for (int i = 0; i < n; i++)
		if (!(r == R_YIELD && n > 1 && cur && cand[i] == cur->id))
			c[m++] = cand[i];
	if (!dfs || dfs_pos >= DFS_MAX_DEPTH)
		return default_choice(cur, r, cand, n);
	if (dfs_pos < dfs_len) {
		bool same;

		f = &dfs[dfs_pos++];
		same = f->n == m;
		for (int i = 0; same && i < m; i++)
			same = f->cand[i] == c[i];
		if (!same) {
			dfs_diverged = true;
			return default_choice(cur, r, cand, n);
		}
	} else {
		f = &dfs[dfs_pos++];
		dfs_len = dfs_pos;
		f->n = (uint8_t)m;
		for (int i = 0; i < m; i++)
			f->cand[i] = (uint8_t)c[i];
		f->chosen = (uint8_t)default_choice(cur, r, cand, n);
		f->tried = (uint8_t)(1u << f->chosen);
		f->pre_before = (uint8_t)dfs_preemptions;
		f->cur = (r == R_POINT && cur && in_cands(cur->id, cand, n)) ? (int8_t)cur->id : -1;
	}
	if (dfs_is_preemption(f, f->chosen))
		dfs_preemptions++;
	return f->chosen;
}

/* Prepare the next DFS run; false when the bounded tree is exhausted. */
bool chk_dfs_next(void)
{
	while (dfs_len) {
		struct dfs_frame *f = &dfs[dfs_len - 1];

		for (int i = 0; i < f->n; i++) {
			int c = f->cand[i];

			if (f->tried & (1u << c))
				continue;
			if (f->pre_before + dfs_is_preemption(f, c) > chk.preemption_bound)
				continue;
			f->tried |= (uint8_t)(1u << c);
			f->chosen = (uint8_t)c;
			dfs_pos = 0;
			return true;
		}
		dfs_len--;
	}
	return false;
}

static int forced_choice(const struct cthread *cur, const int *cand, int n)
{
	int tid = cur ? cur->id : CHK_START;
	uint32_t step = cur ? cur->local_steps : 0;

	for (size_t i = 0; i < chk.nforced; i++)
		if (chk.forced[i].tid == tid && chk.forced[i].step == step &&
		    in_cands(chk.forced[i].to, cand, n))
			return chk.forced[i].to;
	return -1;
}

static int choose(struct cthread *cur, enum sched_reason r, const int *cand, int n)
{
	int def = default_choice(cur, r, cand, n), c;

	if (chk.final_phase)
		return def;
	switch (chk.strategy) {
	case STRAT_PCT:
		c = pct_choice(cur, r, cand, n);
		break;
	case STRAT_RANDOM:
		c = random_choice(cur, r, cand, n);
		break;
	case STRAT_DFS:
		c = dfs_choice(cur, r, cand, n);
		break;
	default:
		c = forced_choice(cur, cand, n);
		if (c < 0)
			c = def;
		break;
	}
	if (c != def) {
		if (chk.ntaken < CHK_MAX_CHOICES) {
			chk.taken[chk.ntaken++] = (struct choice){
				.tid = (uint8_t)(cur ? cur->id : CHK_START),
				.step = cur ? cur->local_steps : 0,
				.to = (uint8_t)c,
			};
		} else {
			chk.taken_overflow = true;
		}
	}
	return c;
}

/* ---------------------------------------------------------------------- */
/* The scheduler proper                                                    */
/* ---------------------------------------------------------------------- */

static void abort_schedule(void)
{
	chk.aborted = true;
	token_give(&chk.main_go);
	park_forever();
}

void chk_schedule(enum sched_reason reason, int sp)
{
	struct cthread *cur = chk_current;
	int cand[CHK_MAX_THREADS], n = 0, next;
	uint32_t runnable = 0;
	bool all_done = true;

	chk.step++;
	cur->local_steps++;
	trace_point(sp, reason);
	monitor_observe(sp);

	if (chk.step > chk.max_steps) {
		chk_violation("livelock: the schedule ran %llu steps without finishing "
			      "(a thread spins on a condition no other thread will change)",
			      (unsigned long long)chk.max_steps);
		abort_schedule();
	}
	for (int i = 0; i < chk.nthreads; i++) {
		struct cthread *t = chk.threads[i];

		if (t->state == TS_DONE)
			continue;
		all_done = false;
		if (chk_can_run(t))
			runnable |= 1u << i;
	}
	/*
	 * Fairness for wait loops (as CHESS's fair scheduler): a thread that
	 * spins may run again only after every other thread that could run
	 * when it spun has had a turn, so no schedule starves the thread the
	 * spinner waits for.
	 */
	if (reason == R_YIELD)
		cur->yield_wait = runnable & ~(1u << cur->id);
	for (int i = 0; i < chk.nthreads; i++)
		if ((runnable & (1u << i)) && !(chk.threads[i]->yield_wait & runnable & ~(1u << i)))
			cand[n++] = i;
	if (!n)
		for (int i = 0; i < chk.nthreads; i++)
			if (runnable & (1u << i))
				cand[n++] = i;
	if (!n) {
		if (all_done) {
			token_give(&chk.main_go);
			return;
		}
		chk_violation("deadlock: no thread can run");
		for (int i = 0; i < chk.nthreads; i++) {
			struct cthread *t = chk.threads[i];
			static const char *const wn[] = { "-", "mutex", "read lock", "write lock",
							  "cond", "grace period" };

			if (t->state != TS_DONE)
				chk_trace("  %s waits for %s %p", t->name, wn[t->wait], t->wait_obj);
		}
		abort_schedule();
	}
	next = choose(cur, reason, cand, n);
	for (int i = 0; i < chk.nthreads; i++)
		chk.threads[i]->yield_wait &= ~(1u << next);
	if (next == cur->id)
		return;
	token_give(&chk.threads[next]->go);
	if (reason == R_EXIT)
		return;
	token_wait(&cur->go);
	chk_current = cur;
}

void chk_point(const char *label)
{
	if (!chk_current || !chk.active)
		return;
	if (label)
		chk_trace("%s", label);
	chk_schedule(R_POINT, -1);
}

void vmmu_sched_point(enum sched_point_id id)
{
	if (!chk_current || !chk.active)
		return;
	chk_schedule(R_POINT, id);
}

static void *worker_main(void *arg)
{
	struct cthread *t = arg;

	chk_current = t;
	for (;;) {
		token_wait(&t->go);
		if (t->quit)
			return NULL;
		t->fn(t);
		t->state = TS_DONE;
		chk_schedule(R_EXIT, -1);
	}
}

static int pool_create(void)
{
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 1u << 20);
	for (int i = 0; i < CHK_MAX_THREADS; i++) {
		struct cthread *t = calloc(1, sizeof(*t));

		if (!t)
			return -ENOMEM;
		t->id = i;
		pool[i] = t;
		if (pthread_create(&t->tid, &attr, worker_main, t))
			return -EAGAIN;
	}
	pthread_attr_destroy(&attr);
	pool_ready = true;
	return 0;
}

/* An aborted schedule leaves threads parked mid-library: start afresh. */
static void pool_discard(void)
{
	for (int i = 0; i < CHK_MAX_THREADS; i++) {
		struct cthread *t = pool[i];

		if (t->state == TS_DONE || i >= chk.nthreads) {
			t->quit = true;
			token_give(&t->go);
		}
		/* parked threads keep their (leaked) struct */
	}
	pool_ready = false;
}

static void pct_init(void)
{
	int perm[CHK_MAX_THREADS];

	for (int i = 0; i < chk.nthreads; i++)
		perm[i] = i;
	for (int i = chk.nthreads - 1; i > 0; i--) {
		int j = (int)rand_below(i + 1), x = perm[i];

		perm[i] = perm[j];
		perm[j] = x;
	}
	for (int i = 0; i < chk.nthreads; i++)
		chk.threads[i]->prio = chk.depth + perm[i];
	for (int j = 0; j < chk.depth - 1 && j < 8; j++)
		chk.change_points[j] = 1 + rand_below(chk.pct_k);
	chk.low_prio = 0;
}

/*
 * chk_run_threads() - run one schedule of @n scripts to completion (or to a
 * deadlock or livelock).  Called by a scenario from the main thread once
 * the VM is set up.  Return 0, or -1 if the schedule was aborted.
 */
int chk_run_threads(int n, void (*fn[])(struct cthread *t), const char *names[], bool final)
{
	int cand[CHK_MAX_THREADS], first;

	if (!pool_ready && pool_create())
		return -1;
	chk.nthreads = n;
	for (int i = 0; i < n; i++) {
		struct cthread *t = pool[i];

		t->state = TS_RUNNABLE;
		t->wait = W_NONE;
		t->rcu_nesting = 0;
		t->rcu_section = 0;
		t->local_steps = 0;
		t->yield_wait = 0;
		t->expect_warn = false;
		t->warns = 0;
		t->fn = fn[i];
		t->role = i;
		snprintf(t->name, sizeof(t->name), "%s", names[i]);
		chk.threads[i] = t;
		cand[i] = i;
	}
	chk.aborted = false;
	chk.final_phase = final;
	if (!final) {
		chk.step = 0;
		chk.ntaken = 0;
		chk.taken_overflow = false;
		dfs_pos = 0;
		dfs_preemptions = 0;
		dfs_diverged = false;
		if (chk.strategy == STRAT_PCT)
			pct_init();
	}
	chk.active = true;
	first = choose(NULL, R_START, cand, n);
	token_give(&chk.threads[first]->go);
	token_wait(&chk.main_go);
	chk.active = false;
	chk.final_phase = false;
	if (!final)
		chk.main_steps = chk.step;
	if (chk.aborted) {
		pool_discard();
		return -1;
	}
	if (dfs_diverged && !final)
		chk_violation("checker: the run did not replay deterministically");
	return 0;
}

static const char *const sp_names[SP_NR] = {
	[SP_MEMSLOT_GEN_IP] = "swap: inactive gen = gen|IP",
	[SP_MEMSLOT_PUBLISH] = "swap: new set published",
	[SP_MEMSLOT_SYNC] = "swap: grace period over",
	[SP_MEMSLOT_GEN_FINAL] = "swap: final gen stored",
	[SP_FAULT_SLOTS_DEREF] = "fault: slots = memslots[as]",
	[SP_FAULT_GEN_READ] = "fault: gen read",
	[SP_FAULT_SLOT_LOOKUP] = "fault: gfn looked up",
	[SP_FAULT_SEQ_SNAPSHOT] = "fault: seq snapshot",
	[SP_FAULT_PFN_RESOLVED] = "fault: hva -> host page",
	[SP_FAULT_INSTALL] = "fault: install SPTE",
	[SP_MMIO_SPTE_READ] = "fast path: SPTE read",
	[SP_MMIO_CACHE_FILL] = "MMIO cache fill",
	[SP_NOTIFIER_BEGIN] = "start(): zapped, in_progress++",
	[SP_NOTIFIER_END] = "end(): begins",
	[SP_ZAP] = "zap done",
	[SP_TLB_HIT] = "TLB hit",
	[SP_NOTIFIER_COUNTED] = "start(): active count++",
	[SP_MEMBARRIER] = "flush: membarrier()",
	[SP_ACCESS_TARGET] = "walk done: target published",
	[SP_FLUSH_ASKED] = "flush: FAST vCPUs asked",
	[SP_FENCE_OUTSIDE] = "vCPU: fence_state = OUTSIDE",
	[SP_RING_PUSH] = "dirty ring: push half published",
	[SP_NOTIFIER_INTENTS] = "start(): intents read, walk next",
	[SP_FAULT_INTENT] = "fault: intent published",
};

const char *sp_name(int sp)
{
	if (sp < 0 || sp >= SP_NR || !sp_names[sp])
		return NULL;
	return sp_names[sp];
}
