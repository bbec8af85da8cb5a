// SPDX-License-Identifier: MIT
/*
 * vmmu bench: measure vmmu against the real KVM on the same machine in the
 * same run, and against vmmu's own slower designs.
 *
 * Suites (bench_<suite>.c): memslot (memslot_perf_test's cases), mmio
 * (cached and first-touch MMIO against KVM's MMIO exit), invalidate (map
 * change cost vs cached MMIO SPTEs, generation vs zap-by-walk), access (RAM
 * throughput per vCPU and over threads, first-touch faults), notifier
 * (invalidate_range_start/end cost, retries under an invalidation storm),
 * dirty (GET/CLEAR_DIRTY_LOG over 1 GiB), churn (vCPUs under invalidation
 * storms, overlapping brackets, memslot updates and post-copy faults; flush
 * cost vs vCPU threads; MMIO scatter; INITIALLY_SET), and with --count the
 * callgrind instruction counts of the hot paths.
 *
 * Output: a table per suite, one "SUMMARY suite=... case=..." line per
 * case, GOAL lines, optionally JSON (--json) and gnuplot plots (--plot).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmmu.h"
#include "bench.h"
#include "cmd.h"
#include "opts.h"

static const char *const suite_names[NR_SUITES] = {
	[SUITE_MEMSLOT] = "memslot",
	[SUITE_MMIO] = "mmio",
	[SUITE_INVALIDATE] = "invalidate",
	[SUITE_ACCESS] = "access",
	[SUITE_NOTIFIER] = "notifier",
	[SUITE_DIRTY] = "dirty",
	[SUITE_CHURN] = "churn",
	[SUITE_COUNT] = "count",
};

static int (*const suite_fns[NR_SUITES])(const struct bench_opts *) = {
	[SUITE_MEMSLOT] = bench_memslot,
	[SUITE_MMIO] = bench_mmio,
	[SUITE_INVALIDATE] = bench_invalidate,
	[SUITE_ACCESS] = bench_access,
	[SUITE_NOTIFIER] = bench_notifier,
	[SUITE_DIRTY] = bench_dirty,
	[SUITE_CHURN] = bench_churn,
	[SUITE_COUNT] = bench_count,
};

#define ALL_TIMED_SUITES	((1u << SUITE_COUNT) - 1)

void cmd_bench_usage(void)
{
	printf("usage: vmmu bench [options]\n"
	       "      --quick          fewer sizes and repetitions, every suite (< 2 min;\n"
	       "                       what make check runs)\n"
	       "      --suite LIST     comma-separated suites to run: memslot, mmio, invalidate,\n"
	       "                       access, notifier, dirty, churn, count (default: all but\n"
	       "                       count)\n"
	       "  -c, --count          also count hot-path instructions with callgrind\n"
	       "  -r, --reps N         repetitions per figure (default 5, --quick 3)\n"
	       "  -b, --budget SEC     timed work per repetition and side (default 0.25,\n"
	       "                       --quick 0.03)\n"
	       "      --slots LIST     memslot suite slot counts (default 10,100,509,4096,\n"
	       "                       32763; --quick 10,509), strictly ascending\n"
	       "      --no-kvm         do not measure /dev/kvm (KVM columns say skipped)\n"
	       "  -j, --json FILE      write every figure and the machine description as JSON\n"
	       "                       (-: to stdout, the tables then go to stderr)\n"
	       "  -p, --plot DIR       write PNG and SVG plots (gnuplot) into DIR\n"
	       "Every figure is the median (and min) of the repetitions; vmmu and KVM are\n"
	       "measured interleaved, KVM in a forked worker.  The tables' KVM/vmmu column is\n"
	       "how many times faster vmmu is than KVM (KVM's time over vmmu's; for rates,\n"
	       "vmmu's over KVM's), as in the README; the ratio of the SUMMARY lines and\n"
	       "of the JSON is vmmu/KVM in the case's unit.  Exit status: 0, also without\n"
	       "/dev/kvm; 1 if a vmmu measurement failed; 2 on a bad command line.\n"
	       "(-q, -s and -v are not bench options: they mean --quiet, --seed and\n"
	       "--verbose in the other commands.)\n");
}

static int parse_suites(const char *list, unsigned int *mask)
{
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	*mask = 0;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int i;

		if (!strcmp(t, "all")) {
			*mask |= ALL_TIMED_SUITES;
			continue;
		}
		for (i = 0; i < NR_SUITES; i++)
			if (!strcmp(t, suite_names[i]))
				break;
		if (i == NR_SUITES) {
			fprintf(stderr, "vmmu bench: unknown suite '%s'\n", t);
			return -EINVAL;
		}
		*mask |= 1u << i;
	}
	return 0;
}

static int parse_slots(const char *list, struct bench_opts *o)
{
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	o->nr_slots = 0;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		uint64_t n;

		if (opt_u64("bench", "--slots", t, 1, 32763, &n))
			return -EINVAL;
		if (o->nr_slots == sizeof(o->slots) / sizeof(o->slots[0])) {
			fprintf(stderr, "vmmu bench: --slots: at most 8 counts\n");
			return -EINVAL;
		}
		if (o->nr_slots && n <= o->slots[o->nr_slots - 1]) {
			fprintf(stderr, "vmmu bench: --slots: '%s' is not ascending (%" PRIu64
				" after %u)\n", list, n, o->slots[o->nr_slots - 1]);
			return -EINVAL;
		}
		o->slots[o->nr_slots++] = (uint32_t)n;
	}
	return o->nr_slots ? 0 : -EINVAL;
}

int cmd_bench(int argc, char **argv)
{
	enum { OPT_NO_KVM = 256, OPT_COUNT_CHILD, OPT_SLOTS, OPT_QUICK, OPT_SUITE };
	static const struct option long_opts[] = {
		{ "quick", no_argument, NULL, OPT_QUICK },
		{ "suite", required_argument, NULL, OPT_SUITE },
		{ "count", no_argument, NULL, 'c' },
		{ "reps", required_argument, NULL, 'r' },
		{ "budget", required_argument, NULL, 'b' },
		{ "no-kvm", no_argument, NULL, OPT_NO_KVM },
		{ "json", required_argument, NULL, 'j' },
		{ "plot", required_argument, NULL, 'p' },
		{ "slots", required_argument, NULL, OPT_SLOTS },
		{ "count-child", required_argument, NULL, OPT_COUNT_CHILD },	/* hidden */
		{ NULL, 0, NULL, 0 },
	};
	struct bench_opts o = { .suites = ALL_TIMED_SUITES };
	const char *count_child = NULL;
	struct bench_machine m;
	static char self[PATH_MAX], json_fd_path[32];
	bool suites_given = false;
	unsigned int reps = 0;
	double budget = 0, t0;
	int c, rc = CMD_OK;
	ssize_t n;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":cr:b:j:p:", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_QUICK:
			o.quick = true;
			break;
		case OPT_SUITE:
			if (parse_suites(optarg, &o.suites))
				return CMD_USAGE;
			suites_given = true;
			break;
		case 'c':
			o.count = true;
			break;
		case 'r':
			if (opt_uint("bench", "--reps", optarg, 1, BENCH_MAX_SAMPLES, &reps))
				return CMD_USAGE;
			break;
		case 'b':
			if (opt_double("bench", "--budget", optarg, 0, 60, &budget))
				return CMD_USAGE;
			break;
		case OPT_NO_KVM:
			o.no_kvm = true;
			break;
		case 'j':
			o.json = optarg;
			break;
		case 'p':
			o.plot_dir = optarg;
			break;
		case OPT_SLOTS:
			if (parse_slots(optarg, &o))
				return CMD_USAGE;
			break;
		case OPT_COUNT_CHILD:
			count_child = optarg;
			break;
		case ':':
			fprintf(stderr, "vmmu bench: %s needs a value\n", argv[optind - 1]);
			return CMD_USAGE;
		default:
			fprintf(stderr, "vmmu bench: unknown option '%s' (vmmu bench --help)\n",
				argv[optind - 1]);
			return CMD_USAGE;
		}
	}
	if (count_child) {
		if (optind >= argc)
			return CMD_USAGE;
		return bench_count_child(count_child, strtoull(argv[optind], NULL, 0));
	}
	if (optind < argc) {
		fprintf(stderr, "vmmu bench: unexpected argument '%s'\n", argv[optind]);
		return CMD_USAGE;
	}
	/*
	 * A JSON path that cannot be written fails now, not after the run.
	 * "-": the report goes to the real stdout (through /dev/fd/N), the
	 * tables to stderr.
	 */
	if (o.json) {
		FILE *jf = opt_open_output("bench", "--json", o.json);

		if (!jf)
			return CMD_USAGE;
		if (!strcmp(o.json, "-")) {
			snprintf(json_fd_path, sizeof(json_fd_path), "/dev/fd/%d", fileno(jf));
			o.json = json_fd_path;
		} else {
			fclose(jf);
		}
	}
	if (o.count)
		o.suites |= 1u << SUITE_COUNT;
	if (suites_given && (o.suites & (1u << SUITE_COUNT)))
		o.count = true;
	o.reps = reps ? reps : o.quick ? 3 : 5;
	o.budget = budget > 0 ? budget : o.quick ? 0.03 : 0.25;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = 0;
		o.self = self;
	}

	t0 = bench_now();
	if (o.no_kvm)
		bench_worker_skip("--no-kvm");
	else if (o.suites & ~(1u << SUITE_COUNT))
		bench_worker_start();
	bench_machine_probe(&m, bench_worker_alive());
	printf("vmmu bench %s%s: reps %u, budget %g s per repetition and side\n",
	       vmmu_version(), o.quick ? " --quick" : "", o.reps, o.budget);
	printf("machine: %s, %ld cores online (%ld configured), %s\n", m.cpu, m.cores_online,
	       m.cores_conf, m.kernel);
	printf("load average at start: %s\n", m.load_start);
	printf("KVM: %s%s%s\n", m.kvm, bench_worker_alive() ? "" : ": ",
	       bench_worker_alive() ? "" : bench_worker_why());
	fflush(stdout);

	for (int i = 0; i < NR_SUITES; i++) {
		double ts;
		int r;

		if (!(o.suites & (1u << i)))
			continue;
		ts = bench_now();
		r = suite_fns[i](&o);
		bench_progress("%s suite done in %.1f s%s", suite_names[i], bench_now() - ts,
			       r ? " (with failures)" : "");
		if (r)
			rc = CMD_FAIL;
	}
	bench_worker_stop();
	bench_issue_goals(&o);
	bench_machine_load(m.load_end, sizeof(m.load_end));

	printf("\ntotal time %.1f s; load average at the end: %s\n", bench_now() - t0,
	       m.load_end);
	if (o.json) {
		int r = bench_write_json(o.json, &m, &o, bench_now() - t0);

		if (r) {
			fprintf(stderr, "vmmu bench: writing %s: %s\n", o.json, strerror(-r));
			rc = CMD_FAIL;
		} else if (strcmp(o.json, json_fd_path)) {
			printf("wrote %s\n", o.json);
		}
	}
	if (o.plot_dir && bench_plot(&o))
		rc = CMD_FAIL;
	return rc;
}
