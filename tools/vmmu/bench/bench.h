/* SPDX-License-Identifier: MIT */
/*
 * vmmu bench: shared declarations of the benchmark suites (bench_*.c) and
 * their driver (cmd_bench.c).
 *
 * Every figure is a set of samples, one per repetition, reduced to its
 * median and minimum.  A case has a vmmu figure and, where the real KVM
 * does the same thing, a KVM figure measured in the same run; the ratio is
 * always vmmu / KVM in the case's unit, so for times below 1 means vmmu is
 * faster and for rates above 1 does.
 *
 * KVM is driven from a forked worker process (bench_worker_*): the vmmu
 * side's madvise() calls then do not also run KVM's MMU notifier, and a
 * KVM failure cannot take the benchmark down.  The parent interleaves: each
 * repetition asks the worker for a KVM sample, then takes a vmmu sample.
 */
#ifndef VMMU_BENCH_H
#define VMMU_BENCH_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BENCH_PAGE		4096ull
#define BENCH_MAX_SAMPLES	64

struct vmmu_vm;
struct vmmu_vcpu;

enum bench_suite_id {
	SUITE_MEMSLOT,
	SUITE_MMIO,
	SUITE_INVALIDATE,
	SUITE_ACCESS,
	SUITE_NOTIFIER,
	SUITE_DIRTY,
	SUITE_CHURN,
	SUITE_COUNT,
	NR_SUITES
};

struct bench_opts {
	bool quick;		/* fewer sizes and repetitions (make check) */
	bool count;		/* run the callgrind suite */
	bool no_kvm;		/* never open /dev/kvm */
	unsigned int suites;	/* bitmask of enum bench_suite_id */
	unsigned int reps;	/* repetitions per figure */
	double budget;		/* seconds of timed work per repetition and side */
	const char *json;
	const char *plot_dir;
	const char *self;	/* path of this executable, for valgrind */
	uint32_t slots[8];	/* --slots: memslot suite slot counts, or none */
	unsigned int nr_slots;
};

/* ------------------------------------------------------------------------ */
/* Clock and statistics                                                      */
/* ------------------------------------------------------------------------ */

double bench_now(void);				/* CLOCK_MONOTONIC, seconds */

struct bench_fig {
	double median;
	double min;
	double max;
	unsigned int n;
};

/* Sort @v (n samples) and reduce it.  n == 0 gives an empty figure. */
void bench_fig_reduce(struct bench_fig *f, double *v, unsigned int n);

/* A sample accumulator: up to BENCH_MAX_SAMPLES values. */
struct bench_samples {
	double v[BENCH_MAX_SAMPLES];
	unsigned int n;
};

static inline void bench_sample(struct bench_samples *s, double v)
{
	if (s->n < BENCH_MAX_SAMPLES)
		s->v[s->n++] = v;
}

/* ------------------------------------------------------------------------ */
/* Results                                                                   */
/* ------------------------------------------------------------------------ */

enum bench_side_state {
	SIDE_NA = 0,		/* no such figure on this side */
	SIDE_OK,
	SIDE_SKIPPED,		/* /dev/kvm absent or disabled */
	SIDE_FAILED,		/* the measurement failed: see the note */
};

struct bench_side {
	enum bench_side_state state;
	struct bench_fig fig;
};

/**
 * struct bench_result - one case
 * @suite: suite name.
 * @name: case name, no spaces (e.g. "unmap@4096").
 * @series: the plot series the case belongs to (e.g. "unmap"), or "".
 * @x: the series' x value (slot count, #SPTEs, threads...), or 0.
 * @unit: unit of both figures ("us", "ns", "M/s", ...).
 * @rate: the unit is a rate (higher is better).
 */
struct bench_result {
	const char *suite;
	char name[64];
	char series[32];
	double x;
	char unit[16];
	bool rate;
	struct bench_side vmmu;
	struct bench_side kvm;
	char note[160];
};

struct bench_result *bench_result_add(const char *suite, const char *series, double x,
				      const char *unit, bool rate, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
void bench_result_vmmu(struct bench_result *r, struct bench_samples *s);
void bench_result_kvm(struct bench_result *r, struct bench_samples *s);
void bench_result_kvm_state(struct bench_result *r, enum bench_side_state st, const char *note);
double bench_result_ratio(const struct bench_result *r);	/* NAN when not both */

/* Lookup by suite and name; NULL when absent. */
struct bench_result *bench_result_find(const char *suite, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
size_t bench_result_count(void);
struct bench_result *bench_result_at(size_t i);

/* Extra named figures that are not vmmu/KVM pairs (stats, rates, counts). */
/* The second floor of the map case (bench_memslot.c, host_guest_run_called). */
#define MAP_FLOOR_CALLED	"host-only floor, stores from a called function"
void bench_info(const char *suite, const char *key, double value, const char *unit);
/* The value of the info @suite/@key into *@value: true, or false when absent. */
bool bench_info_find(const char *suite, const char *key, double *value);

/* Goals: met or missed, with the measured value and the target. */
void bench_goal(const char *suite, const char *name, bool met, double value, double target,
		const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Print a suite's table, its SUMMARY lines and its infos and goals. */
void bench_print_suite(const char *suite, const char *title);

/* Machine description, filled once by cmd_bench. */
struct bench_machine {
	char cpu[128];
	long cores_online;
	long cores_conf;
	char kernel[256];
	char kvm[256];		/* "absent", or flavour, paging mode, caps */
	char compiler[64];
	char date[32];
	char load_start[64];	/* /proc/loadavg when the run began, and ended */
	char load_end[64];
};

void bench_machine_probe(struct bench_machine *m, bool kvm_usable);
void bench_machine_load(char *buf, size_t len);
int bench_write_json(const char *path, const struct bench_machine *m,
		     const struct bench_opts *o, double total_seconds);

/* ------------------------------------------------------------------------ */
/* The KVM worker process                                                    */
/* ------------------------------------------------------------------------ */

#define BENCH_WORKER_ARGS	8

/*
 * A request runs @fn in the worker with @a and fills @v; it returns 0 or a
 * negative errno.  Worker-side state lives in static variables of the
 * suite files (the worker is a fork: it never touches the parent's VMs).
 */
typedef int (*bench_worker_fn)(const int64_t *a, double *v);

int bench_worker_start(void);		/* 0, or -errno (no KVM: no worker) */
bool bench_worker_alive(void);
int bench_worker_call(bench_worker_fn fn, const int64_t *a, double *v);
void bench_worker_stop(void);
/* Why KVM figures are missing: "skipped (no /dev/kvm)", "failed (...)". */
const char *bench_worker_why(void);
void bench_worker_skip(const char *why);	/* no worker, and why */

/* ------------------------------------------------------------------------ */
/* Guests                                                                    */
/* ------------------------------------------------------------------------ */

/**
 * struct bench_gcmd - what a benchmark guest does, on vmmu and on KVM alike
 * @write: store @value, else load.
 * @len: 1, 2, 4 or 8 bytes.
 * @gpa: first address.
 * @count: accesses (>= 1), @gpa advancing by @stride after each.
 * @stride: bytes.
 * @value: the stored value; with @verify, the value every load must return.
 * @loop: repeat the whole command until bench_guest_stop_loop().
 * @verify: count loads that differ from @value (vmmu checks every load,
 *	the KVM guest reports its last one).
 */
struct bench_gcmd {
	bool write;
	uint32_t len;
	uint64_t gpa;
	uint64_t count;
	uint64_t stride;
	uint64_t value;
	bool loop;
	bool verify;
};

/*
 * A guest runs commands on its own thread: post() hands it one, wait()
 * blocks until it is done.  Idle guests block on a condition variable, so
 * they do not steal a core from the other side's measurement.
 */
struct bench_guest;

struct bench_guest_ops {
	int (*run)(void *vcpu_ctx, const struct bench_gcmd *c, const _Atomic bool *stop,
		   uint64_t *mismatches, uint64_t *mmio_exits, uint64_t *passes);
};

int bench_guest_start(struct bench_guest **gp, const struct bench_guest_ops *ops, void *vcpu_ctx);
void bench_guest_post(struct bench_guest *g, const struct bench_gcmd *c);
int bench_guest_wait(struct bench_guest *g);	/* the command's return value */
void bench_guest_stop_loop(struct bench_guest *g);
void bench_guest_end(struct bench_guest *g);
uint64_t bench_guest_mismatches(struct bench_guest *g);
uint64_t bench_guest_mmio_exits(struct bench_guest *g);
uint64_t bench_guest_passes(struct bench_guest *g);

/* The vmmu guest: commands run through vmmu_vcpu_access(). */
extern const struct bench_guest_ops bench_vmmu_guest_ops;
int bench_vmmu_run_cmd(struct vmmu_vcpu *vcpu, const struct bench_gcmd *c,
		       const _Atomic bool *stop, uint64_t *mismatches, uint64_t *mmio_exits,
		       uint64_t *passes);

/* ------------------------------------------------------------------------ */
/* The suites                                                                */
/* ------------------------------------------------------------------------ */

int bench_memslot(const struct bench_opts *o);
int bench_mmio(const struct bench_opts *o);
int bench_invalidate(const struct bench_opts *o);
int bench_access(const struct bench_opts *o);
int bench_notifier(const struct bench_opts *o);
int bench_dirty(const struct bench_opts *o);
int bench_churn(const struct bench_opts *o);
int bench_count(const struct bench_opts *o);
/* The hidden "vmmu bench --count-child CASE N" mode that valgrind runs. */
int bench_count_child(const char *name, uint64_t n);

int bench_plot(const struct bench_opts *o);

/*
 * The churn suite's storm progress, for the plot: series 0..3 are the same
 * slot with the storm off and on, another slot off and on; @slice gets up
 * to @max rates (M/s) of consecutive bench_churn_slice()-second slices.
 */
size_t bench_churn_progress(unsigned int series, double slice[], size_t max);
double bench_churn_slice(void);

/*
 * Print one "GOAL <n> <name>: <figures> (target ...): met|missed: <why>"
 * line per goal of the issue whose figures this run measured (cmd_bench
 * calls it once, after every suite).
 */
void bench_issue_goals(const struct bench_opts *o);

/* Helpers shared by the suites. */
void *bench_map(size_t bytes);			/* anonymous, NORESERVE; NULL on failure */
void bench_unmap(void *p, size_t bytes);
void bench_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int bench_set_region(struct vmmu_vm *vm, uint32_t slot, uint32_t flags, uint64_t gpa,
		     uint64_t size, const void *hva);

/* The vmmu side of a benchmark: anonymous memory, slots over it and vCPUs. */
#define BENCH_VM_MAX_VCPUS	8u

struct bench_vm_spec {
	uint32_t vm_flags;		/* vmmu_vm_config.flags */
	uint64_t manual_protect;	/* 0, or vmmu_vm_enable_manual_dirty_log_protect()'s caps */
	size_t mem_size;		/* anonymous memory to map */
	uint64_t gpa;			/* where the first slot starts */
	uint64_t slot_size;		/* bytes of the memory, from its start, in slots */
	uint32_t nr_slots;		/* ids 1..nr_slots, equal pages, the last takes the rest */
	uint32_t slot_flags;
	uint32_t nr_vcpus;		/* vCPU ids 0..nr_vcpus-1, at most BENCH_VM_MAX_VCPUS */
};

struct bench_vm {
	struct vmmu_vm *vm;
	struct vmmu_vcpu *vcpu[BENCH_VM_MAX_VCPUS];
	uint8_t *mem;
	size_t mem_size;
};

/**
 * bench_vm_open() - set a benchmark VM up as @spec says
 * @b: filled in; zeroed on failure
 * @spec: the memory, the VM's flags, the slots and the vCPUs
 *
 * Maps the memory, creates the VM, enables manual dirty-log protection if
 * asked, creates the slots and then the vCPUs, in that order.
 *
 * Return: 0, or a negative errno with nothing left behind.
 */
int bench_vm_open(struct bench_vm *b, const struct bench_vm_spec *spec);
/* Destroy the VM and unmap the memory of a bench_vm_open()ed @b. */
void bench_vm_close(struct bench_vm *b);

#endif /* VMMU_BENCH_H */
