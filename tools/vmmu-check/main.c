// SPDX-License-Identifier: MIT
/*
 * vmmu-check: explore the schedules of the race-checker scenarios, against
 * the real design or a historic-bug variant (`vmmu check` execs this).
 *
 * Exit: 0 no violation, 1 a violation (with its minimized interleaving and
 * the command that replays it), 2 usage error.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"

#define DEFAULT_SCHEDULES	100000
#define VARIANT_SCHEDULES	10000000
#define VARIANT_TIME_LIMIT	60.0
#define MINIMIZE_RUNS		400
#define MINIMIZE_ABORTED	50

struct opts {
	const char *scenario;
	const struct variant_desc *variant;
	enum strategy strategy;
	uint64_t seed;
	uint64_t schedules;
	int depth;
	int preemptions;
	double time_limit;
	uint64_t max_steps;
	const char *replay;
	bool minimize;
	bool quiet;
};

static struct opts o = {
	.strategy = STRAT_PCT,
	.seed = 1,
	.depth = 3,
	.preemptions = 2,
	.max_steps = 20000,
	.minimize = true,
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static const char *strategy_name(enum strategy s)
{
	static const char *const n[] = { "pct", "random", "dfs", "replay" };

	return n[s];
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: vmmu check [options]\n"
"\n"
"Explore thread interleavings of small scenarios under a deterministic\n"
"scheduler and check every access against the memory map's history\n"
"(linearizability) and the protocol invariants (docs/CHECKER.md).\n"
"\n"
"  --scenario NAME     one scenario (default: all; with --variant, the\n"
"                      variant's home scenario first)\n"
"  --variant NAME      check a historic-bug variant instead of the real design\n"
"  --strategy S        pct (default), random or dfs (bounded exhaustive)\n"
"  --seed N            seed of the first schedule (default 1); schedule i\n"
"                      uses N + i, so --seed N+i --schedules 1 replays it\n"
"  --schedules N       schedules per scenario (default %d, or\n"
"                      $VMMU_CHECK_SCHEDULES; with --variant: until caught\n"
"                      or --time-limit)\n"
"  --depth D           PCT bug depth: D - 1 priority change points (default 3)\n"
"  --preemptions P     dfs: preemption bound (default 2)\n"
"  --time-limit SEC    stop each scenario after SEC seconds (default none;\n"
"                      60 with --variant)\n"
"  --max-steps N       a schedule longer than N steps is a livelock (default 20000)\n"
"  --replay STR        run one schedule with these deviations from the default\n"
"                      choice (as printed with a violation); needs --scenario\n"
"  --no-minimize       report the failing schedule as found\n"
"  --oracle-only       check access outcomes only (the oracles), no monitor\n"
"  --disable-monitor M[,M]  turn monitors off: protocol, tlb, dirty, host,\n"
"                      bracket (docs/CHECKER.md, \"The monitor\")\n"
"  --list-scenarios    list the scenarios\n"
"  --list-variants     list the variants\n"
"  -q, --quiet         print only violations and the summary line\n"
"\n"
"Exit status: 0 no violation, 1 violation found, 2 usage error.\n",
		DEFAULT_SCHEDULES);
}

static const char *thread_names[CHK_MAX_THREADS];
static int nthread_names;

static void remember_names(void)
{
	nthread_names = chk.nthreads;
	for (int i = 0; i < chk.nthreads; i++)
		thread_names[i] = chk.threads[i]->name;
}

static void print_violations(FILE *f)
{
	for (int i = 0; i < chk.nviolations && i < CHK_MAX_VIOLATIONS; i++)
		fprintf(f, "  step %u, %s: %s\n", chk.v[i].step,
			chk.v[i].tid >= 0 ? chk.threads[chk.v[i].tid]->name : "main", chk.v[i].msg);
	if (chk.nviolations > CHK_MAX_VIOLATIONS)
		fprintf(f, "  (%d more)\n", chk.nviolations - CHK_MAX_VIOLATIONS);
}

/* One schedule following @forced. */
static void run_forced(const struct scenario *sc, const struct choice *forced, size_t n,
		       bool tracing)
{
	chk.strategy = STRAT_REPLAY;
	chk.forced = forced;
	chk.nforced = n;
	chk.nviolations = 0;
	chk.tracing = tracing;
	chk.ntrace = 0;
	sc->run(sc);
	chk.tracing = false;
}

static void print_replay_hint(const struct scenario *sc, const struct choice *c, size_t n)
{
	printf("replay: vmmu check --scenario %s", sc->name);
	if (o.variant)
		printf(" --variant %s", o.variant->name);
	printf(" --replay '");
	choices_print(stdout, c, n);
	printf("'\n");
}

/* A violation was found: minimize, print the interleaving, return 1. */
static int report(const struct scenario *sc, uint64_t index, double t0)
{
	static struct choice best[CHK_MAX_CHOICES], trial[CHK_MAX_CHOICES];
	size_t nbest = chk.ntaken, runs = 0, aborted_runs = 0;
	uint64_t seed = chk.seed;
	enum strategy strat = chk.strategy;
	bool overflow = chk.taken_overflow;

	if (strat == STRAT_REPLAY)
		printf("VIOLATION in scenario %s%s%s in the default (non-preemptive) schedule\n",
		       sc->name, o.variant ? ", variant " : "", o.variant ? o.variant->name : "");
	else
		printf("VIOLATION in scenario %s%s%s after %.2f s, schedule %" PRIu64
		       " (strategy %s, seed %" PRIu64 ")\n", sc->name,
		       o.variant ? ", variant " : "", o.variant ? o.variant->name : "",
		       now() - t0, index + 1, strategy_name(strat), seed);
	print_violations(stdout);
	memcpy(best, chk.taken, nbest * sizeof(*best));

	if (o.minimize && !overflow) {
		bool progress = true;

		while (progress && runs < MINIMIZE_RUNS) {
			progress = false;
			for (size_t j = 0; j < nbest && runs < MINIMIZE_RUNS; j++) {
				size_t m = 0;

				for (size_t k = 0; k < nbest; k++)
					if (k != j)
						trial[m++] = best[k];
				run_forced(sc, trial, m, false);
				runs++;
				/* Each aborted run leaves its threads parked: few. */
				if (chk.aborted && ++aborted_runs > MINIMIZE_ABORTED)
					runs = MINIMIZE_RUNS;
				if (chk.nviolations && !chk.taken_overflow && chk.ntaken < nbest) {
					nbest = chk.ntaken;
					memcpy(best, chk.taken, nbest * sizeof(*best));
					progress = true;
					j--;
				}
			}
		}
	}
	run_forced(sc, best, nbest, true);
	remember_names();
	if (!chk.nviolations) {
		printf("(the re-run did not reproduce the violation: the run is not deterministic)\n");
	} else {
		printf("\nInterleaving%s (%zu deviation%s from the default schedule, %" PRIu64
		       " steps):\n", o.minimize ? ", minimized" : "", nbest, nbest == 1 ? "" : "s",
		       chk.step);
		trace_print(stdout, thread_names, nthread_names);
		printf("\nViolation%s:\n", chk.nviolations > 1 ? "s" : "");
		print_violations(stdout);
	}
	if (strat == STRAT_PCT || strat == STRAT_RANDOM)
		printf("found with: vmmu check --scenario %s%s%s --strategy %s --depth %d "
		       "--seed %" PRIu64 " --schedules 1\n", sc->name, o.variant ? " --variant " : "",
		       o.variant ? o.variant->name : "", strategy_name(strat), o.depth, seed);
	print_replay_hint(sc, best, nbest);
	return 1;
}

static int explore(const struct scenario *sc, uint64_t *total)
{
	double t0 = now();
	uint64_t i;

	/* Calibration: the default schedule (no preemption) gives PCT its k.
	 * It is not one of the --schedules N explored, nor counted with them. */
	run_forced(sc, NULL, 0, false);
	if (chk.nviolations)
		return report(sc, 0, t0);
	chk.pct_k = chk.main_steps ? chk.main_steps : 1;
	if (o.strategy == STRAT_DFS)
		chk_dfs_reset();

	for (i = 0; i < o.schedules; i++) {
		chk.seed = o.seed + i;
		chk.rng = chk.seed * 0x2545f4914f6cdd1dull;
		chk.strategy = o.strategy;
		chk.nviolations = 0;
		sc->run(sc);
		(*total)++;
		if (chk.nviolations)
			return report(sc, i, t0);
		if (o.strategy == STRAT_DFS && !chk_dfs_next()) {
			i++;
			if (!o.quiet)
				printf("  %s: bounded search exhausted (preemption bound %d)\n",
				       sc->name, o.preemptions);
			break;
		}
		if (o.time_limit > 0 && !(i & 15) && now() - t0 > o.time_limit) {
			i++;
			break;
		}
	}
	if (!o.quiet)
		printf("%-18s %8" PRIu64 " schedules (%s), %.2f s, k = %" PRIu64
		       " steps, no violation\n", sc->name, i, strategy_name(o.strategy),
		       now() - t0, chk.pct_k);
	return 0;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	*v = strtoull(s, &end, 0);
	return (!*s || *end) ? -1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "scenario", required_argument, NULL, 's' },
		{ "variant", required_argument, NULL, 'V' },
		{ "strategy", required_argument, NULL, 'S' },
		{ "seed", required_argument, NULL, 'r' },
		{ "schedules", required_argument, NULL, 'n' },
		{ "depth", required_argument, NULL, 'd' },
		{ "preemptions", required_argument, NULL, 'p' },
		{ "time-limit", required_argument, NULL, 't' },
		{ "max-steps", required_argument, NULL, 'm' },
		{ "replay", required_argument, NULL, 'R' },
		{ "no-minimize", no_argument, NULL, 'M' },
		{ "oracle-only", no_argument, NULL, 'O' },
		{ "disable-monitor", required_argument, NULL, 'D' },
		{ "list-scenarios", no_argument, NULL, 'L' },
		{ "list-variants", no_argument, NULL, 'l' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const struct scenario *order[32];
	bool schedules_set = false, time_set = false;
	uint64_t v, total = 0;
	int c, norder = 0, rc = 0;
	double t0 = now();
	const char *env;

	while ((c = getopt_long(argc, argv, "qh", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			o.scenario = optarg;
			break;
		case 'V':
			if (strcmp(optarg, "none") && !(o.variant = variant_find(optarg))) {
				fprintf(stderr, "vmmu check: unknown variant '%s' (--list-variants)\n",
					optarg);
				return 2;
			}
			break;
		case 'S':
			if (!strcmp(optarg, "pct"))
				o.strategy = STRAT_PCT;
			else if (!strcmp(optarg, "random"))
				o.strategy = STRAT_RANDOM;
			else if (!strcmp(optarg, "dfs"))
				o.strategy = STRAT_DFS;
			else {
				fprintf(stderr, "vmmu check: unknown strategy '%s'\n", optarg);
				return 2;
			}
			break;
		case 'r':
			if (parse_u64(optarg, &o.seed))
				goto bad;
			break;
		case 'n':
			if (parse_u64(optarg, &o.schedules) || !o.schedules)
				goto bad;
			schedules_set = true;
			break;
		case 'd':
			if (parse_u64(optarg, &v) || v < 1 || v > 8)
				goto bad;
			o.depth = (int)v;
			break;
		case 'p':
			if (parse_u64(optarg, &v) || v > 50)
				goto bad;
			o.preemptions = (int)v;
			break;
		case 't':
			o.time_limit = strtod(optarg, NULL);
			time_set = true;
			break;
		case 'm':
			if (parse_u64(optarg, &o.max_steps) || o.max_steps < 100)
				goto bad;
			break;
		case 'R':
			o.replay = optarg;
			break;
		case 'M':
			o.minimize = false;
			break;
		case 'O':
			chk_monitors = 0;
			break;
		case 'D': {
			char *save = NULL, *list = strdup(optarg);

			for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
				int m;

				for (m = 0; m < MON_NR && strcmp(t, monitor_name(m)); m++)
					;
				if (m == MON_NR) {
					fprintf(stderr, "vmmu check: unknown monitor '%s' (protocol, "
						"tlb, dirty, host, bracket)\n", t);
					free(list);
					return 2;
				}
				chk_monitors &= ~(1u << m);
			}
			free(list);
			break;
		}
		case 'L':
			for (int i = 0; i < nr_scenarios; i++)
				printf("%-18s %s\n", scenarios[i].name, scenarios[i].summary);
			return 0;
		case 'l':
			for (int i = 0; i < nr_variants; i++)
				printf("%-34s [%s] %s\n", variants[i].name, variants[i].home,
				       variants[i].summary);
			return 0;
		case 'q':
			o.quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc)
		goto bad;

	if (!schedules_set) {
		env = getenv("VMMU_CHECK_SCHEDULES");
		if (o.variant)
			o.schedules = VARIANT_SCHEDULES;
		else if (env && !parse_u64(env, &v) && v)
			o.schedules = v;
		else
			o.schedules = DEFAULT_SCHEDULES;
	}
	if (!time_set && o.variant)
		o.time_limit = VARIANT_TIME_LIMIT;
	vmmu_checker_variant = o.variant ? o.variant->id : VARIANT_NONE;
	chk.depth = o.depth;
	chk.preemption_bound = o.preemptions;
	chk.max_steps = o.max_steps;

	if (o.scenario && strcmp(o.scenario, "all")) {
		if (!(order[norder++] = scenario_find(o.scenario))) {
			fprintf(stderr, "vmmu check: unknown scenario '%s' (--list-scenarios)\n",
				o.scenario);
			return 2;
		}
	} else {
		if (o.replay) {
			fprintf(stderr, "vmmu check: --replay needs --scenario\n");
			return 2;
		}
		if (o.variant)
			order[norder++] = scenario_find(o.variant->home);
		for (int i = 0; i < nr_scenarios; i++)
			if (!o.variant || strcmp(scenarios[i].name, o.variant->home))
				order[norder++] = &scenarios[i];
	}

	if (o.replay) {
		static struct choice forced[CHK_MAX_CHOICES];
		size_t n;

		if (choices_parse(o.replay, forced, CHK_MAX_CHOICES, &n)) {
			fprintf(stderr, "vmmu check: bad --replay string\n");
			return 2;
		}
		run_forced(order[0], forced, n, true);
		remember_names();
		trace_print(stdout, thread_names, nthread_names);
		if (chk.nviolations) {
			printf("\nViolation%s:\n", chk.nviolations > 1 ? "s" : "");
			print_violations(stdout);
			return 1;
		}
		printf("\nno violation\n");
		return 0;
	}

	if (!o.quiet)
		printf("vmmu check: %s, strategy %s%s, %d scenario%s\n",
		       o.variant ? o.variant->name : "real design", strategy_name(o.strategy),
		       o.strategy == STRAT_PCT ? "" : "", norder, norder == 1 ? "" : "s");
	for (int i = 0; i < norder && !rc; i++)
		rc = explore(order[i], &total);
	printf("vmmu check: %s: %" PRIu64 " schedules in %.1f s, %s\n",
	       o.variant ? o.variant->name : "real design", total, now() - t0,
	       rc ? "VIOLATION" : "no violation");
	scenarios_cleanup();
	return rc;
bad:
	usage(stderr);
	return 2;
}
