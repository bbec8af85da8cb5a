// SPDX-License-Identifier: MIT
/*
 * A main() for the fuzz target when libFuzzer is absent (gcc, or a clang
 * without libclang_rt.fuzzer).  It understands the libFuzzer options that
 * the smoke test and docs/FUZZING.md use, so one command line serves both:
 *
 *   fuzz_vmmu [-max_total_time=S] [-runs=N] [-seed=N] [-artifact_prefix=P]
 *             [other -options, ignored] [FILE|DIR]...
 *
 * Every FILE, and every file in every DIR, is run once (a replay).  Then,
 * if -max_total_time or -runs is given, random inputs are run: half fresh
 * random bytes, half mutations (byte flips, inserts, deletes, splices) of
 * the files given.  A failing input is written to P + "crash-<hash>" (by
 * the SIGABRT/SIGSEGV handler) and the trace is printed; the exit status
 * is then non-zero, as with libFuzzer.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fuzz_vmmu.h"
#include "rng.h"	/* testlib */

#define MAX_LEN 4096

struct unit {
	uint8_t *data;
	size_t size;
};

static struct unit *corpus;
static size_t ncorpus, capcorpus;
static const char *artifact_prefix = "";

static uint64_t rng_state = 0x853c49e6748fea9bull;

static uint64_t rnd(void)
{
	return rng_next(&rng_state);
}

static uint64_t fnv(const uint8_t *d, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ d[i]) * 0x100000001b3ull;
	return h;
}

/* Save the input being run; async-signal-safe enough for a dying process. */
static void save_current(void)
{
	const uint8_t *d;
	size_t n;
	char path[4096];
	FILE *f;

	fuzz_vmmu_current_input(&d, &n);
	if (!d)
		return;
	snprintf(path, sizeof(path), "%scrash-%016" PRIx64, artifact_prefix, fnv(d, n));
	f = fopen(path, "wb");
	if (!f)
		return;
	fwrite(d, 1, n, f);
	fclose(f);
	fprintf(stderr, "standalone: the failing input is in %s\n", path);
}

static void on_signal(int sig)
{
	fprintf(stderr, "standalone: signal %d (%s)\n", sig, strsignal(sig));
	fuzz_vmmu_print_trace();
	save_current();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void add_unit(const uint8_t *d, size_t n)
{
	if (ncorpus == capcorpus) {
		capcorpus = capcorpus ? 2 * capcorpus : 64;
		corpus = realloc(corpus, capcorpus * sizeof(*corpus));
		if (!corpus)
			abort();
	}
	corpus[ncorpus].data = malloc(n ? n : 1);
	if (!corpus[ncorpus].data)
		abort();
	memcpy(corpus[ncorpus].data, d, n);
	corpus[ncorpus].size = n;
	ncorpus++;
}

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	size_t n;
	long len;

	if (!f) {
		fprintf(stderr, "standalone: %s: %s\n", path, strerror(errno));
		return -1;
	}
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(len > 0 ? (size_t)len : 1);
	if (!buf)
		abort();
	n = fread(buf, 1, len > 0 ? (size_t)len : 0, f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	add_unit(buf, n);
	free(buf);
	return 0;
}

static int run_path(const char *path, unsigned long *nrun)
{
	struct stat st;
	DIR *d;
	struct dirent *e;

	if (stat(path, &st)) {
		fprintf(stderr, "standalone: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*nrun)++;
		return run_file(path);
	}
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char p[4096];

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
		if (!stat(p, &st) && S_ISREG(st.st_mode)) {
			(*nrun)++;
			if (run_file(p))
				return -1;
		}
	}
	closedir(d);
	return 0;
}

static size_t make_input(uint8_t *buf)
{
	size_t n;

	if (!ncorpus || rnd() % 2) {
		n = 8 + rnd() % (rnd() % 4 ? 400 : MAX_LEN - 8);
		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)rnd();
		return n;
	}
	{
		const struct unit *u = &corpus[rnd() % ncorpus];
		unsigned int k = 1 + rnd() % 8;

		n = u->size < MAX_LEN ? u->size : MAX_LEN;
		memcpy(buf, u->data, n);
		while (k--) {
			size_t at = n ? rnd() % n : 0;

			switch (rnd() % 5) {
			case 0:
				if (n)
					buf[at] ^= (uint8_t)(1u << (rnd() % 8));
				break;
			case 1:
				if (n)
					buf[at] = (uint8_t)rnd();
				break;
			case 2:		/* insert a few random bytes */
				if (n + 8 <= MAX_LEN) {
					memmove(buf + at + 8, buf + at, n - at);
					for (int i = 0; i < 8; i++)
						buf[at + i] = (uint8_t)rnd();
					n += 8;
				}
				break;
			case 3:		/* delete */
				if (n > at + 4) {
					memmove(buf + at, buf + at + 4, n - at - 4);
					n -= 4;
				}
				break;
			default: {	/* splice in a piece of another unit */
				const struct unit *o = &corpus[rnd() % ncorpus];
				size_t from, len;

				if (!o->size)
					break;
				from = rnd() % o->size;
				len = 1 + rnd() % 32;
				if (from + len > o->size)
					len = o->size - from;
				if (at + len > MAX_LEN)
					len = MAX_LEN - at;
				memcpy(buf + at, o->data + from, len);
				if (at + len > n)
					n = at + len;
				break;
			}
			}
		}
		return n;
	}
}

int main(int argc, char **argv)
{
	double max_time = 0;
	unsigned long runs = 0, nrun = 0, nrandom = 0;
	bool timed = false;
	struct timespec t0, t;
	static uint8_t buf[MAX_LEN + 16];

	signal(SIGSEGV, on_signal);
	signal(SIGBUS, on_signal);
	signal(SIGABRT, on_signal);
	signal(SIGILL, on_signal);
	signal(SIGFPE, on_signal);
	LLVMFuzzerInitialize(&argc, &argv);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rng_state ^= (uint64_t)t0.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid();

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strncmp(a, "-max_total_time=", 16)) {
			max_time = strtod(a + 16, NULL);
			timed = true;
		} else if (!strncmp(a, "-runs=", 6)) {
			runs = strtoul(a + 6, NULL, 0);
			timed = true;
		} else if (!strncmp(a, "-seed=", 6)) {
			rng_state = strtoull(a + 6, NULL, 0) * 0x9e3779b97f4a7c15ull + 1;
		} else if (!strncmp(a, "-artifact_prefix=", 17)) {
			artifact_prefix = a + 17;
		} else if (a[0] == '-') {
			/* another libFuzzer option: ignored */
		}
	}
	fprintf(stderr, "standalone: seed %#" PRIx64 " (pass -seed= to repeat)\n", rng_state);
	for (int i = 1; i < argc; i++)
		if (argv[i][0] != '-' && run_path(argv[i], &nrun))
			return 1;
	fprintf(stderr, "standalone: replayed %lu inputs\n", nrun);
	while (timed) {
		double el;

		clock_gettime(CLOCK_MONOTONIC, &t);
		el = (double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9;
		if ((max_time > 0 && el >= max_time) || (runs && nrandom >= runs))
			break;
		if (!max_time && !runs)
			break;
		LLVMFuzzerTestOneInput(buf, make_input(buf));
		nrandom++;
	}
	clock_gettime(CLOCK_MONOTONIC, &t);
	fprintf(stderr, "standalone: %lu replayed + %lu random inputs in %.1f s, no violation\n",
		nrun, nrandom,
		(double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}
