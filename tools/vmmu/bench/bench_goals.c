// SPDX-License-Identifier: MIT
/*
 * vmmu bench: the goals of the "keep vCPUs moving while the host churns"
 * work, one line each, printed after every suite has run:
 *
 *   GOAL <n> <name>: <figures, side by side> (target <target>): met
 *   GOAL <n> <name>: <figures> (target <target>): missed: <why>
 *
 * Every figure comes from this run; a goal whose figures this run did not
 * measure at all (its suite not run) prints nothing, and a goal measured
 * only in part (no KVM side) says "missed" with the reason, never "met".
 * The lines also go into the JSON's goals (suite "issue").
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

#define BIT_AT_A_TIME_NS	4.9	/* INITIALLY_SET's old fill, ns per page */

/* The result @suite/@name if its vmmu side was measured, else NULL. */
static const struct bench_result *fig(const char *suite, const char *name)
{
	const struct bench_result *r = bench_result_find(suite, "%s", name);

	return r && r->vmmu.state == SIDE_OK ? r : NULL;
}

/* The largest x among @suite/@series results measured on the vmmu side, or 0. */
static double top_x(const char *suite, const char *series)
{
	double x = 0;

	for (size_t i = 0; i < bench_result_count(); i++) {
		const struct bench_result *r = bench_result_at(i);

		if (!strcmp(r->suite, suite) && !strcmp(r->series, series) &&
		    r->vmmu.state == SIDE_OK && r->x > x)
			x = r->x;
	}
	return x;
}

/*
 * Print and record one goal.  @why is the reason it was missed (ignored when
 * @met); @what the figures and @target the target, as text.
 */
static void goal(int n, const char *name, bool met, double value, double target,
		 const char *target_text, const char *why, const char *fmt, ...)
	__attribute__((format(printf, 8, 9)));

static void goal(int n, const char *name, bool met, double value, double target,
		 const char *target_text, const char *why, const char *fmt, ...)
{
	char what[512], gname[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	printf("GOAL %d %s: %s (target %s): %s%s\n", n, name, what, target_text,
	       met ? "met" : "missed: ", met ? "" : why);
	snprintf(gname, sizeof(gname), "%d-%s", n, name);
	bench_goal("issue", gname, met, value, target, "%s (target %s): %s%s", what, target_text,
		   met ? "met" : "missed: ", met ? "" : why);
}

static const char *const no_kvm = "KVM side not measured (no /dev/kvm)";

/* "a is at most/least limit x b": met, and the why when not. */
static bool ratio_ok(double ratio, double limit, bool at_most, char *why, size_t len)
{
	bool ok = at_most ? ratio <= limit : ratio >= limit;

	if (!ok)
		snprintf(why, len, "%.3g is %s than %.3g", ratio, at_most ? "more" : "less", limit);
	return ok;
}

/*
 * A goal "churn case @on is at least @min_pct % of churn case @off" (both
 * M/s, measured in the same repetitions); nothing if either is missing.
 */
static void pct_goal(int n, const char *name, const char *on_case, const char *off_case,
		     double min_pct, const char *what, const char *off_text)
{
	const struct bench_result *on = fig("churn", on_case), *off = fig("churn", off_case);
	char why[64], target[64];
	double p;

	if (!on || !off)
		return;
	p = 100 * on->vmmu.fig.median / off->vmmu.fig.median;
	snprintf(why, sizeof(why), "%.3g%% < %.3g%%", p, min_pct);
	snprintf(target, sizeof(target), ">= %.3g%% of %s", min_pct, off_text);
	goal(n, name, p >= min_pct, p, min_pct, target, why, "%s %.3g%% of %s (%.4g vs %.4g M/s)",
	     what, p, off_text, on->vmmu.fig.median, off->vmmu.fig.median);
}

static void goal1(void)
{
	pct_goal(1, "storm-other-slot", "storm-other-on-faults", "storm-other-off-faults", 50,
		 "faults", "storm-off");
	pct_goal(1, "storm-same-16MiB", "storm-same-on-accesses", "storm-same-off-accesses", 10,
		 "accesses", "storm-off");
}

static void goal2(void)
{
	const struct bench_result *a, *b;
	char why[128];
	double x;

	a = fig("churn", "move-used@1");
	b = fig("churn", "move-unused@1");
	if (a && b) {
		const struct bench_result *lt = fig("churn", "line-transfer");
		size_t l;

		x = a->vmmu.fig.median / b->vmmu.fig.median;
		if (!ratio_ok(x, 3, true, why, sizeof(why)) && lt && (l = strlen(why)) < sizeof(why))
			snprintf(why + l, sizeof(why) - l, "; cache-line hand-off %.0f ns in this run",
				 lt->vmmu.fig.median);
		goal(2, "move-used", x <= 3, x, 3, "<= 3x", why,
		     "MOVE of a slot a running vCPU reads %.4g us vs an unused slot %.4g us: %.3gx",
		     a->vmmu.fig.median, b->vmmu.fig.median, x);
	}
	a = fig("access", "ram-write-tlb-hit");
	b = fig("access", "ram-read-tlb-hit");
	if (a && b) {
		x = a->vmmu.fig.median / b->vmmu.fig.median;
		goal(2, "write-hit", ratio_ok(x, 1.5, true, why, sizeof(why)), x, 1.5, "<= 1.5x",
		     why, "RAM TLB-hit write %.4g ns vs read %.4g ns: %.3gx", a->vmmu.fig.median,
		     b->vmmu.fig.median, x);
	}
	a = fig("count", "ram-tlb-hit");
	if (a) {
		x = a->vmmu.fig.median;
		snprintf(why, sizeof(why), "%.4g instructions > 49", x);
		goal(2, "read-hit-instructions", x <= 49, x, 49, "<= 49", why,
		     "RAM TLB-hit read %.4g instructions per vmmu_vcpu_access (callgrind)", x);
	}
}

static void goal3(void)
{
	double tables, cap, reclaims, rss, reads;
	char why[160];

	if (!bench_info_find("churn", "mmio-scatter: page tables, most seen", &tables) ||
	    !bench_info_find("churn", "mmio-scatter: page-table cap", &cap) ||
	    !bench_info_find("churn", "mmio-scatter: reclaims", &reclaims) ||
	    !bench_info_find("churn", "mmio-scatter: RSS growth", &rss) ||
	    !bench_info_find("churn", "mmio-scatter: reads", &reads))
		return;
	if (tables > cap)
		snprintf(why, sizeof(why), "%.0f tables > cap %.0f", tables, cap);
	else
		snprintf(why, sizeof(why), "no reclaim ran");
	goal(3, "mmio-scatter", tables <= cap && reclaims > 0, tables, cap,
	     "tables <= cap, reclaims > 0", why,
	     "%.0f random-gpa MMIO reads: page tables at most %.0f of cap %.0f, %.0f reclaims, "
	     "RSS +%.1f MiB (cap x 4 KiB = %.1f MiB)", reads, tables, cap, reclaims, rss,
	     cap * 4096 / (1 << 20));
}

static void goal4(void)
{
	const struct bench_result *idle, *held, *busy, *step, *ot, *pw, *pc;
	char why[160];
	double p, rounds, before;

	pct_goal(4, "uncovered-fault", "overlap-uncovered-faults", "storm-other-off-faults", 50,
		 "faults on a gfn no bracket covers, brackets overlapping without pause:",
		 "no brackets");
	/*
	 * "A memslot update waits at most for the brackets open when it
	 * began": with one bracket open throughout, the update must not wait
	 * for it at all (KVM's would, until its end()); under a storm of
	 * overlapping brackets it may wait for the start()/end() call in
	 * progress and, at worst, for one that passed the step-aside test
	 * just before the publish raised its flag (publish_overtaken, per
	 * publish).  The storm's time is reported beside it: its excess over
	 * idle is the cache lines a publish shares with start()/end() (the
	 * lock, the bracket list it extends, the set pointer), each moved
	 * between CPUs, not a wait for a bracket.
	 */
	idle = fig("churn", "update-idle");
	held = fig("churn", "update-held");
	busy = fig("churn", "update-overlap");
	step = fig("churn", "overlap-step");
	ot = fig("churn", "overlap-overtaken");
	pw = fig("churn", "overlap-publish-waits");
	if (idle && held && busy && step && ot && pw) {
		double limit = idle->vmmu.fig.median + 2 * step->vmmu.fig.median;
		const struct bench_result *lt = fig("churn", "line-transfer");
		/* A NaN: no publish met the storm on the lock, nothing measured. */
		bool held_ok = held->vmmu.fig.median <= limit, ot_ok = ot->vmmu.fig.max <= 1.0;
		char handoffs[96] = "";

		if (lt && lt->vmmu.fig.median > 0)
			snprintf(handoffs, sizeof(handoffs), ", %.0f cache-line hand-offs at %.0f ns "
				 "more than idle", (busy->vmmu.fig.median - idle->vmmu.fig.median) *
				 1e3 / lt->vmmu.fig.median, lt->vmmu.fig.median);
		snprintf(why, sizeof(why), "%s%s%s",
			 held_ok ? "" : "the update waited for the bracket open when it began",
			 !held_ok && !ot_ok ? "; " : "",
			 ot_ok ? "" : isnan(ot->vmmu.fig.max) ?
			 "no publish met the storm on the notifier lock" :
			 "start()/end() calls overtook a waiting publish more than once");
		goal(4, "update-under-overlap", held_ok && ot_ok, held->vmmu.fig.median, limit,
		     "a bracket open when the update began is not waited for (held <= idle + 2 "
		     "bracket lifetimes); a storm overtakes a publish at most once", why,
		     "MOVE with one bracket open throughout %.4g us vs none %.4g us (limit %.4g); "
		     "under brackets overlapping without pause (each open %.3g us) %.4g us%s; "
		     "%.3g%% of its publishes found the notifier lock taken, each overtaken by "
		     "at most %.3g start()/end() calls (max over repetitions)",
		     held->vmmu.fig.median, idle->vmmu.fig.median, limit, step->vmmu.fig.median,
		     busy->vmmu.fig.median, handoffs, pw->vmmu.fig.median, ot->vmmu.fig.max);
	}
	pc = fig("churn", "postcopy-update");
	if (pc && bench_info_find("churn", "postcopy-update: rounds", &rounds) &&
	    bench_info_find("churn", "postcopy-update: done before UFFDIO_COPY", &before)) {
		snprintf(why, sizeof(why), "%.0f of %.0f updates waited for the fault", rounds - before,
			 rounds);
		goal(4, "postcopy-update", before == rounds, before, rounds,
		     "every update completes before the fault is resolved", why,
		     "DELETE of a mapped slot while a vCPU is blocked in a userfaultfd fault: "
		     "%.4g us (max %.4g), %.0f of %.0f before UFFDIO_COPY", pc->vmmu.fig.median,
		     pc->vmmu.fig.max, before, rounds);
	} else if (bench_info_find("churn", "postcopy-update: userfaultfd unavailable", &p)) {
		goal(4, "postcopy-update", false, NAN, 0, "completes", "userfaultfd unavailable",
		     "not measured");
	}
}

/* Goal 5's "vmmu at least/most @limit x KVM" lines. */
static void goal5_kvm(const char *name, const char *cas, double limit, const char *target)
{
	double n = top_x("memslot", cas);
	const struct bench_result *r;
	char why[128];

	if (!n)
		return;
	r = bench_result_find("memslot", "%s@%.0f", cas, n);
	if (!r || r->vmmu.state != SIDE_OK)
		return;
	if (r->kvm.state != SIDE_OK) {
		goal(5, name, false, NAN, limit, target,
		     bench_worker_alive() ? "KVM measurement failed" : no_kvm,
		     "%s at %.0f slots: vmmu %.4g %s, KVM -", cas, n, r->vmmu.fig.median, r->unit);
		return;
	}
	{
		double speedup = r->kvm.fig.median / r->vmmu.fig.median;

		snprintf(why, sizeof(why), "%.3gx < %.3gx", speedup, limit);
		goal(5, name, speedup >= limit, speedup, limit, target, why,
		     "%s at %.0f slots: vmmu %.4g %s, KVM %.4g %s: %.3gx faster", cas, n,
		     r->vmmu.fig.median, r->unit, r->kvm.fig.median, r->unit, speedup);
	}
}

/* Goal 5's "vmmu's case within 1.1x of the host floor" lines. */
static void goal5_floor(const char *name, const char *cas, const char *floor_name)
{
	double n = top_x("memslot", cas), floor;
	const struct bench_result *r;
	char key[96], why[128];

	if (!n)
		return;
	r = bench_result_find("memslot", "%s@%.0f", cas, n);
	snprintf(key, sizeof(key), "%s@%.0f %s", cas, n, floor_name);
	if (!r || r->vmmu.state != SIDE_OK || !bench_info_find("memslot", key, &floor))
		return;
	{
		double x = r->vmmu.fig.median / floor, called;
		char more[160] = "";

		/* map: what the same stores cost from a called function, no MMU. */
		snprintf(key, sizeof(key), "%s@%.0f %s", cas, n, MAP_FLOOR_CALLED);
		if (!strcmp(cas, "map") && bench_info_find("memslot", key, &called))
			snprintf(more, sizeof(more),
				 " (the floor's stores made by a called function, no MMU: %.4g ms; "
				 "vmmu %.3gx of that)", called, r->vmmu.fig.median / called);
		goal(5, name, ratio_ok(x, 1.1, true, why, sizeof(why)), x, 1.1, "<= 1.1x", why,
		     "%s at %.0f slots: vmmu %.4g ms vs host floor %.4g ms: %.3gx%s", cas, n,
		     r->vmmu.fig.median, floor, x, more);
	}
}

static void goal5(void)
{
	const struct bench_result *a, *b;
	char why[128];
	double n;

	goal5_kvm("move-active-10x-kvm", "move-active", 10, ">= 10x faster than KVM");
	n = top_x("memslot", "unmap-chunked");
	a = n ? bench_result_find("memslot", "unmap-chunked@%.0f", n) : NULL;
	b = bench_result_find("memslot", "unmap-chunked@100");
	if (a && b && n > 100 && a->vmmu.state == SIDE_OK && b->vmmu.state == SIDE_OK) {
		double x = a->vmmu.fig.median / b->vmmu.fig.median;

		goal(5, "unmap-chunked-scaling", ratio_ok(x, 2, true, why, sizeof(why)), x, 2,
		     "<= 2x", why, "unmap-chunked %.4g ms at %.0f slots vs %.4g ms at 100: %.3gx",
		     a->vmmu.fig.median, n, b->vmmu.fig.median, x);
	}
	goal5_floor("map-floor", "map", "host-only floor (no MMU)");
	goal5_floor("unmap-floor", "unmap", "madvise only (no notifier)");
	goal5_kvm("rw-vs-kvm", "rw", 1, ">= 1x (no slower than KVM)");
	a = fig("churn", "dirty-create-initially-set");
	b = fig("churn", "dirty-create-plain");
	if (a && b && bench_info_find("churn", "dirty-create: pages in the slot", &n)) {
		double ns = (a->vmmu.fig.median - b->vmmu.fig.median) * 1e6 / n;

		snprintf(why, sizeof(why), "%.3g ns per page > 0.5", ns);
		goal(5, "dirty-initially-set", ns <= 0.5, ns, 0.5,
		     "<= 0.5 ns per page, word by word", why,
		     "CREATE of a %.0f-page slot with INITIALLY_SET %.4g ms vs without %.4g ms: "
		     "%.3g ns per page (bit at a time: %.1f)", n, a->vmmu.fig.median,
		     b->vmmu.fig.median, ns, BIT_AT_A_TIME_NS);
	}
}

void bench_issue_goals(const struct bench_opts *o)
{
	(void)o;
	printf("\n== goals (issue: keep vCPUs moving while the host churns), this run's figures\n");
	goal1();
	goal2();
	goal3();
	goal4();
	goal5();
	fflush(stdout);
}
