// SPDX-License-Identifier: MIT
/*
 * vmmu bench --plot DIR: gnuplot scripts and their PNG and SVG output.
 *
 * Each plot is a script DIR/<name>.gp holding its data inline (datablocks),
 * so it can be rerun or edited by hand; gnuplot draws it twice, pngcairo and
 * svg.  Plots without data (suite not run) are skipped.
 *
 *   memslot        time per iteration vs slot count, vmmu and KVM, per case
 *   invalidate     memslot update vs cached MMIO SPTEs, both designs, log-log
 *   access-threads throughput vs vCPU threads, total and per vCPU
 *   notifier       start+end cost vs range size and vs slot count
 *   mmio           the MMIO rungs, vmmu and KVM (log scale)
 *   storm          storm progress: vCPU accesses (same slot) and faults
 *                  (another slot) per time slice, the storm off and on
 *   flush-vcpus    time per MOVE of a slot that 1-8 vCPU threads read (a
 *                  remote flush), beside a MOVE of a slot nobody uses
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"

/* Write "x vmmu kvm" rows of @suite/@series as datablock $@block. */
static size_t datablock(FILE *f, const char *block, const char *suite, const char *series)
{
	size_t rows = 0;

	fprintf(f, "$%s << EOD\n", block);
	for (size_t i = 0; i < bench_result_count(); i++) {
		const struct bench_result *r = bench_result_at(i);

		if (strcmp(r->suite, suite) || strcmp(r->series, series))
			continue;
		fprintf(f, "%.10g ", r->x);
		if (r->vmmu.state == SIDE_OK)
			fprintf(f, "%.6g ", r->vmmu.fig.median);
		else
			fprintf(f, "NaN ");
		if (r->kvm.state == SIDE_OK)
			fprintf(f, "%.6g\n", r->kvm.fig.median);
		else
			fprintf(f, "NaN\n");
		rows++;
	}
	fprintf(f, "EOD\n");
	return rows;
}

static bool suite_has(const char *suite, const char *series)
{
	for (size_t i = 0; i < bench_result_count(); i++) {
		const struct bench_result *r = bench_result_at(i);

		if (!strcmp(r->suite, suite) && (!series || !strcmp(r->series, series)) &&
		    r->vmmu.state == SIDE_OK)
			return true;
	}
	return false;
}

typedef void (*plot_body_fn)(FILE *f);

static const char *const ms_series[] = {
	"setup-per-slot", "map", "unmap", "unmap-chunked", "move-active", "move-inactive", "rw",
};

static void memslot_data(FILE *f)
{
	for (size_t i = 0; i < sizeof(ms_series) / sizeof(ms_series[0]); i++) {
		char block[32];

		snprintf(block, sizeof(block), "ms%zu", i);
		datablock(f, block, "memslot", ms_series[i]);
	}
}

static void memslot_body(FILE *f)
{
	fprintf(f, "set multiplot layout 2,4 title 'vmmu vs KVM: memslot_perf_test cases, "
		   "time per iteration vs slot count (log-log)'\n"
		   "set logscale xy\nset grid\nset key below\nset xlabel 'slots'\n");
	for (size_t i = 0; i < sizeof(ms_series) / sizeof(ms_series[0]); i++)
		fprintf(f, "set title '%s'\nset ylabel '%s'\n"
			"plot $ms%zu using 1:2 with linespoints lw 2 title 'vmmu', "
			"$ms%zu using 1:3 with linespoints lw 2 title 'KVM'\n",
			ms_series[i], i ? "ms" : "us per slot", i, i);
	fprintf(f, "unset multiplot\n");
}

static void invalidate_data(FILE *f)
{
	datablock(f, "gen", "invalidate", "generation");
	datablock(f, "genw", "invalidate", "generation-warm");
	datablock(f, "walk", "invalidate", "zap-walk");
	datablock(f, "walkw", "invalidate", "zap-walk-warm");
}

static void invalidate_body(FILE *f)
{
	fprintf(f, "set title 'memory-map change (one memslot CREATE) vs cached MMIO SPTEs'\n"
		   "set logscale xy\nset grid\nset key below\n"
		   "set xlabel 'MMIO SPTEs cached'\nset ylabel 'us per change'\n"
		   "plot $gen using 1:2 with linespoints lw 2 title 'generation (default)', "
		   "$genw using 1:2 with linespoints lw 1 dt 2 title 'generation, 2nd update (warm)', "
		   "$walk using 1:2 with linespoints lw 2 title 'zap-by-walk (VMMU_VM_MMIO_ZAP_WALK)', "
		   "$walkw using 1:2 with linespoints lw 1 dt 2 title 'zap-by-walk, 2nd update "
		   "(tables only)'\n");
}

static void access_data(FILE *f)
{
	datablock(f, "tot", "access", "total");
	datablock(f, "per", "access", "per-vcpu");
}

static void access_body(FILE *f)
{
	fprintf(f, "set title 'TLB-hit RAM reads vs vCPU threads (%ld cores)'\n"
		   "set logscale x 2\nset grid\nset key below\nset yrange [0:*]\n"
		   "set xlabel 'vCPU threads'\nset ylabel 'M accesses/s'\n"
		   "plot $tot using 1:2 with linespoints lw 2 title 'total', "
		   "$per using 1:2 with linespoints lw 2 title 'per vCPU'\n",
		sysconf(_SC_NPROCESSORS_ONLN));
}

static void notifier_data(FILE *f)
{
	datablock(f, "empty", "notifier", "range-empty");
	datablock(f, "pop", "notifier", "range-populated");
	datablock(f, "slots", "notifier", "slots");
	datablock(f, "miss", "notifier", "miss");
}

static void notifier_body(FILE *f)
{
	fprintf(f, "set multiplot layout 1,2 title 'invalidate_range_start + end'\n"
		   "set logscale xy\nset grid\nset key below\n"
		   "set title 'vs range size (100 slots)'\nset xlabel 'bytes'\n"
		   "set ylabel 'us per pair'\n"
		   "plot $empty using 1:2 with linespoints lw 2 title 'no SPTEs', "
		   "$pop using 1:2 with linespoints lw 2 title 'all pages mapped'\n"
		   "set title 'vs slot count (4 KiB range)'\nset xlabel 'slots'\n"
		   "plot $slots using 1:2 with linespoints lw 2 title 'hits a slot', "
		   "$miss using 1:2 with linespoints lw 2 title 'hits none'\n"
		   "unset multiplot\n");
}

static bool mmio_kvm;	/* some MMIO case has a KVM figure */

static void mmio_data(FILE *f)
{
	mmio_kvm = false;
	fprintf(f, "$mmio << EOD\n");
	for (size_t i = 0; i < bench_result_count(); i++) {
		const struct bench_result *r = bench_result_at(i);

		if (strcmp(r->suite, "mmio"))
			continue;
		fprintf(f, "%s %.6g ", r->name,
			r->vmmu.state == SIDE_OK ? r->vmmu.fig.median : NAN);
		if (r->kvm.state == SIDE_OK)
			fprintf(f, "%.6g\n", r->kvm.fig.median);
		else
			fprintf(f, "NaN\n");
		mmio_kvm |= r->kvm.state == SIDE_OK;
	}
	fprintf(f, "EOD\n");
}

static void mmio_body(FILE *f)
{
	fprintf(f, "set title 'MMIO access: vmmu rungs vs KVM exit round trip (KVM: when measured)'\n"
		   "set logscale y\nset grid ytics\nset key below\nset ylabel 'ns per access'\n"
		   "set style data histograms\nset style histogram clustered gap 1\n"
		   "set style fill solid 0.8 border -1\nset boxwidth 0.9\nset xtics rotate by -20\n"
		   "plot $mmio using 2:xtic(1) title 'vmmu'%s\n",
		mmio_kvm ? ", '' using 3 title 'KVM'" : "");
}

static const char *const prog_block[] = { "sameoff", "sameon", "otheroff", "otheron" };

static void storm_data(FILE *f)
{
	double v[512];

	for (unsigned int i = 0; i < 4; i++) {
		size_t n = bench_churn_progress(i, v, sizeof(v) / sizeof(v[0]));

		fprintf(f, "$%s << EOD\n", prog_block[i]);
		for (size_t k = 0; k < n; k++)
			fprintf(f, "%.4g %.6g\n", (k + 1) * bench_churn_slice(), v[k]);
		fprintf(f, "EOD\n");
	}
}

static void storm_body(FILE *f)
{
	fprintf(f, "set multiplot layout 1,2 title 'invalidation storm: vCPU progress per "
		   "%.0f ms slice (start/end pairs on random 64 KiB ranges)'\n"
		   "set grid\nset key below\nset yrange [0:*]\nset xlabel 'seconds'\n"
		   "set title 'storm on the 16 MiB the vCPU writes'\n"
		   "set ylabel 'M accesses/s'\n"
		   "plot $sameoff using 1:2 with lines lw 2 title 'storm off', "
		   "$sameon using 1:2 with lines lw 2 title 'storm on'\n"
		   "set title 'storm on another slot; the vCPU faults its own slot'\n"
		   "set ylabel 'M faults/s'\n"
		   "plot $otheroff using 1:2 with lines lw 2 title 'storm off', "
		   "$otheron using 1:2 with lines lw 2 title 'storm on'\n"
		   "unset multiplot\n", bench_churn_slice() * 1e3);
}

static void flush_data(FILE *f)
{
	const struct bench_result *u = bench_result_find("churn", "move-unused@1");

	datablock(f, "used", "churn", "move-used");
	fprintf(f, "unused = %.6g\n", u && u->vmmu.state == SIDE_OK ? u->vmmu.fig.median : NAN);
}

static void flush_body(FILE *f)
{
	fprintf(f, "set title 'MOVE of a slot that vCPU threads read (remote TLB flush), "
		   "%ld cores'\n"
		   "set logscale x 2\nset grid\nset key below\nset yrange [0:*]\n"
		   "set xlabel 'vCPU threads reading the slot'\nset ylabel 'us per MOVE'\n"
		   "plot $used using 1:2 with linespoints lw 2 title 'slot in use (flush)', "
		   "unused with lines dt 2 lw 2 title 'slot nobody uses (1 vCPU thread running)'\n",
		sysconf(_SC_NPROCESSORS_ONLN));
}

static int run_plot(const char *dir, const char *name, void (*data)(FILE *), plot_body_fn body,
		    int w, int h)
{
	char path[4096], cmd[4200];
	FILE *f;
	int st;

	snprintf(path, sizeof(path), "%s/%s.gp", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f, "# vmmu bench --plot: %s (data inline)\n", name);
	data(f);
	fprintf(f, "set terminal pngcairo size %d,%d noenhanced font ',10'\n"
		   "set output '%s/%s.png'\n", w, h, dir, name);
	body(f);
	fprintf(f, "reset\nset terminal svg size %d,%d noenhanced font ',10'\n"
		   "set output '%s/%s.svg'\n", w, h, dir, name);
	body(f);
	fprintf(f, "unset output\n");
	if (fclose(f))
		return -errno;
	snprintf(cmd, sizeof(cmd), "gnuplot '%s' 2>&1", path);
	st = system(cmd);
	if (st) {
		fprintf(stderr, "bench: gnuplot failed on %s (status %d)\n", path, st);
		return -EIO;
	}
	printf("plot: %s/%s.png, %s/%s.svg\n", dir, name, dir, name);
	return 0;
}

int bench_plot(const struct bench_opts *o)
{
	const char *dir = o->plot_dir;
	int rc = 0;

	if (mkdir(dir, 0755) && errno != EEXIST) {
		fprintf(stderr, "bench: mkdir %s: %s\n", dir, strerror(errno));
		return -errno;
	}
	if (system("gnuplot --version >/dev/null 2>&1")) {
		fprintf(stderr, "bench: gnuplot not found (apt-get install gnuplot-nox)\n");
		return -ENOENT;
	}
	if (suite_has("memslot", NULL))
		rc |= run_plot(dir, "memslot", memslot_data, memslot_body, 1600, 800);
	if (suite_has("invalidate", NULL))
		rc |= run_plot(dir, "invalidate", invalidate_data, invalidate_body, 900, 600);
	if (suite_has("access", "total"))
		rc |= run_plot(dir, "access-threads", access_data, access_body, 900, 600);
	if (suite_has("notifier", "slots") || suite_has("notifier", "range-empty"))
		rc |= run_plot(dir, "notifier", notifier_data, notifier_body, 1400, 600);
	if (suite_has("mmio", NULL))
		rc |= run_plot(dir, "mmio", mmio_data, mmio_body, 900, 600);
	if (suite_has("churn", "move-used"))
		rc |= run_plot(dir, "flush-vcpus", flush_data, flush_body, 900, 600);
	{
		double v;

		if (bench_churn_progress(0, &v, 1))
			rc |= run_plot(dir, "storm", storm_data, storm_body, 1400, 600);
	}
	return rc ? -EIO : 0;
}
