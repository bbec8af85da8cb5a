/* SPDX-License-Identifier: MIT */
/*
 * vmmu-check: the deterministic race checker (docs/CHECKER.md).
 *
 * Real pthreads run the library's checker build one at a time: a thread
 * runs until it reaches a schedule point or would block, then the
 * scheduler (sched.c) picks the next thread and hands it the token.  The
 * monitor (monitor.c) watches the protocol's state at every step and feeds
 * the access oracle (testlib/oracle.c); scenarios.c holds the workloads.
 */
#ifndef VMMU_CHECK_H
#define VMMU_CHECK_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "vmmu.h"
#include "check_hooks.h"
#include "oracle.h"

#define CHK_MAX_THREADS		5
#define CHK_START		15	/* "thread" id of the choice of the first thread */

enum thread_state { TS_RUNNABLE, TS_DONE };

enum wait_kind { W_NONE, W_MUTEX, W_READ, W_WRITE, W_COND, W_RCU };

/* Why the running thread entered the scheduler. */
enum sched_reason {
	R_POINT,	/* a schedule point: it may go on (a preemption if another runs) */
	R_BLOCK,	/* it cannot go on (lock busy, grace period, cond wait) */
	R_YIELD,	/* a wait loop spins: let the others run first */
	R_EXIT,		/* its script is done */
	R_START,	/* the schedule begins (no current thread) */
};

struct cthread {
	int id;
	char name[16];
	_Atomic int go;			/* futex word: the token was handed to us */
	enum thread_state state;
	enum wait_kind wait;		/* what a blocked thread waits for */
	const void *wait_obj;
	unsigned int wait_val;
	uint64_t rcu_snap[CHK_MAX_THREADS];	/* W_RCU: sections to wait out */
	int rcu_nesting;
	uint64_t rcu_section;		/* id of the current/last read section */
	int prio;			/* PCT priority */
	uint32_t yield_wait;		/* spun: others to run first (bitmask) */
	uint32_t local_steps;		/* scheduler entries by this thread */
	void (*fn)(struct cthread *t);	/* the script */
	int role;			/* index into the scenario's scripts */
	pthread_t tid;
	bool quit;
	bool expect_warn;		/* a library WARN is the expected outcome now */
	uint32_t warns;			/* expected WARNs seen */
};

enum strategy { STRAT_PCT, STRAT_RANDOM, STRAT_DFS, STRAT_REPLAY };

/* One deviation from the default choice: when thread @tid enters the
 * scheduler for the @step-th time, run @to instead. */
struct choice {
	uint8_t tid;
	uint8_t to;
	uint32_t step;
};

#define CHK_MAX_CHOICES		4096

enum tev_kind { TEV_POINT, TEV_TEXT, TEV_VIOLATION };

struct tevent {
	uint32_t step;
	uint8_t tid;
	uint8_t kind;
	uint8_t reason;
	uint16_t sp;
	char text[640];
};

struct violation {
	uint32_t step;
	int tid;
	char msg[600];
};

#define CHK_MAX_VIOLATIONS	4

/* The scheduler's state for one schedule (one run of a scenario). */
struct sched {
	enum strategy strategy;
	uint64_t seed;			/* this schedule's seed */
	uint64_t rng;
	int nthreads;
	struct cthread *threads[CHK_MAX_THREADS];
	uint64_t step;
	uint64_t main_steps;		/* steps of the last run's scripts (PCT's k) */
	uint64_t max_steps;
	bool active;
	bool aborted;
	bool final_phase;		/* quiescent re-reads: default choices only */
	_Atomic int main_go;

	/* PCT */
	int depth;
	uint64_t pct_k;			/* expected schedule length */
	uint64_t change_points[8];
	int low_prio;

	/* DFS */
	int preemption_bound;

	/* replay: forced deviations, and the deviations this run took */
	const struct choice *forced;
	size_t nforced;
	struct choice taken[CHK_MAX_CHOICES];
	size_t ntaken;
	bool taken_overflow;

	/* trace (only when tracing) */
	bool tracing;
	struct tevent *trace;
	size_t ntrace, trace_cap;

	/* violations */
	struct violation v[CHK_MAX_VIOLATIONS];
	int nviolations;
};

extern struct sched chk;
extern _Thread_local struct cthread *chk_current;

/*
 * The monitors (docs/CHECKER.md, "The monitor"), each of which can be turned
 * off (--disable-monitor) to see what the others and the oracle catch alone.
 */
enum monitor_id {
	MON_PROTOCOL,	/* docs/INVARIANTS.md 1-5: generations, publish vs invalidations, installs, WARNs */
	MON_TLB,	/* translation coherence: TLB and MMIO cache vs SPTEs vs memslots vs host */
	MON_DIRTY,	/* dirty coverage: writable in a logged slot => dirty bit set */
	MON_HOST,	/* host safety: every guest-memory touch hits mapped, unbracketed memory */
	MON_BRACKET,	/* bracket coverage: change_pte re-points only bracketed pages */
	MON_NR
};
extern unsigned int chk_monitors;	/* bit i: monitor i is on */
static inline bool chk_monitor_on(enum monitor_id m)
{
	return chk_monitors & (1u << m);
}
const char *monitor_name(enum monitor_id m);

/* sched.c */
void chk_pool_init(void);
void chk_schedule(enum sched_reason reason, int sp);
void chk_point(const char *label);
int chk_run_threads(int n, void (*fn[])(struct cthread *t), const char *names[], bool final);
void chk_violation(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void chk_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void chk_dfs_reset(void);
bool chk_dfs_next(void);
uint64_t chk_rand(void);
const char *sp_name(int sp);

/* sync.c: the checker's locks and RCU (src/check_hooks.h) */
bool chk_can_run(const struct cthread *t);

/* hostmm.c: the host behind the VM (the library's MM or real memory) and its model */
#define HOST_PAGES		8
#define HOST_POISON		0xdeadbeefdeadbeefull
enum chk_host_kind { CHK_HOST_STEP, CHK_HOST_DIRECT, CHK_HOST_LIB };
void chk_host_reset(struct vmmu_vm *vm, struct oracle *o, enum chk_host_kind kind);
uint64_t chk_host_hva(unsigned int page);
void chk_host_replace(unsigned int page);
void chk_host_release(void);
void chk_host_invalidate(uint64_t start, uint64_t end, bool is_end);
void chk_host_unmap(unsigned int page);
void chk_host_swap_out(unsigned int page);
void chk_host_abandon(void);
uint64_t chk_host_frame_addr(unsigned int page);
void chk_host_final_check(void);
void chk_host_free_all(void);
int chk_host_page_of(uint64_t hva);
/* Decode a word read from guest RAM at page offset 0. */
enum oracle_outcome chk_host_decode(uint64_t word, uint64_t *hva, uint32_t *version);
enum chk_bracket_event {
	BRACKET_START_CALLED, BRACKET_START_RETURNED, BRACKET_END_CALLED, BRACKET_END_RETURNED,
};
void chk_host_bracket(uint64_t start, uint64_t end, enum chk_bracket_event ev);
void chk_host_change_pte_called(uint64_t hva);
bool chk_host_announced(uint64_t hva);
bool chk_host_expected_pfn(uint64_t hva, uint64_t *pfn);
const uint64_t *chk_host_page_data(unsigned int page);

/* monitor.c: invariants at every step, map history for the oracle */
#define MON_MAX_GFNS		16
void monitor_reset(struct vmmu_vm *vm, struct oracle *o, struct vmmu_vcpu **vcpus, int nvcpus,
		   const uint64_t *gfns, int ngfns);
void monitor_observe(int sp);
void monitor_final(void);
extern int monitor_updates_in_flight;	/* memslot updates running (scenarios.c) */

/* sync.c: the modelled store buffers of the asymmetric fence */
void chk_fence_reset(void);

/* testlib/variants.c */
#include "variants.h"

/* scenarios.c */
struct scenario {
	const char *name;
	const char *summary;
	int (*run)(const struct scenario *s);	/* one schedule: setup, threads, final checks */
	const void *data;
};
extern const struct scenario scenarios[];
extern const int nr_scenarios;
const struct scenario *scenario_find(const char *name);
void scenarios_cleanup(void);

/* trace.c */
void trace_print(FILE *f, const char *names[], int n);
void choices_print(FILE *f, const struct choice *c, size_t n);
int choices_parse(const char *s, struct choice *c, size_t max, size_t *n);

#endif /* VMMU_CHECK_H */
