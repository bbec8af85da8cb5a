// SPDX-License-Identifier: MIT
/*
 * vmmu bench, count suite (--count): instructions per call of the hot paths
 * of vmmu_vcpu_access(), from callgrind, so the figures repeat on any
 * machine and under any load.
 *
 * For each path the benchmark runs itself under
 *	valgrind --tool=callgrind --toggle-collect=vmmu_vcpu_access
 * in the hidden mode "vmmu bench --count-child PATH N", which sets a VM up
 * and makes N calls that take PATH.  Only instructions inside
 * vmmu_vcpu_access (and what it calls) are collected; the calls that set the
 * path up (the first fault, filling the MMIO SPTEs) are the same for N and
 * 2N, so per call = (count(2N) - count(N)) / N cancels them.
 *
 *   ram-tlb-hit        8-byte read of RAM whose translation is in the TLB
 *   mmio-cache-hit     8-byte read of the gfn in the MMIO info cache
 *   mmio-spte-hit      two unbacked gfns in turn (MMIO SPTE, generation ok)
 *   pf-invalid-refill  a stale MMIO SPTE after a memslot update: the
 *                      RET_PF_INVALID walk, the full fault and the refill
 *                      (the memslot updates run outside vmmu_vcpu_access)
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmmu.h"
#include "bench.h"
#include "cmd.h"

#define RAM_GPA		(1ull << 20)
#define RAM_SIZE	(2ull << 20)
#define MMIO_GPA	(1ull << 30)
#define BUMP_GPA	(0xf0000000ull)
#define REFILL_GFNS	16u

struct count_path {
	const char *name;
	uint64_t n;		/* calls in the short run */
	double budget;		/* the design's budget for the path, 0 if none */
};

static const struct count_path paths[] = {
	{ "ram-tlb-hit", 20000, 49 },
	{ "mmio-cache-hit", 20000, 78 },
	{ "mmio-spte-hit", 20000, 135 },
	{ "pf-invalid-refill", 2048, 0 },
};

static int read8(struct vmmu_vcpu *vcpu, uint64_t gpa)
{
	struct vmmu_exit exit;
	uint64_t v;
	int r = vmmu_vcpu_access(vcpu, gpa, &v, 8, 0, &exit);

	return r < 0 ? r : 0;
}

int bench_count_child(const char *name, uint64_t n)
{
	/* The mmio suite's VM: RAM at RAM_GPA, then a spare page for the bump slot. */
	const struct bench_vm_spec spec = {
		.mem_size = RAM_SIZE + BENCH_PAGE, .gpa = RAM_GPA, .slot_size = RAM_SIZE,
		.nr_slots = 1, .nr_vcpus = 1,
	};
	struct bench_vm b;
	struct vmmu_vm *vm;
	struct vmmu_vcpu *vcpu;
	uint8_t *ram;
	int r = bench_vm_open(&b, &spec);

	if (r)
		return CMD_FAIL;
	vm = b.vm;
	vcpu = b.vcpu[0];
	ram = b.mem;

	if (!strcmp(name, "ram-tlb-hit")) {
		for (uint64_t i = 0; i < n && !r; i++)
			r = read8(vcpu, RAM_GPA + 8);
	} else if (!strcmp(name, "mmio-cache-hit")) {
		for (uint64_t i = 0; i < n && !r; i++)
			r = read8(vcpu, MMIO_GPA);
	} else if (!strcmp(name, "mmio-spte-hit")) {
		for (uint64_t i = 0; i < n + 2 && !r; i++)
			r = read8(vcpu, MMIO_GPA + (i & 1) * BENCH_PAGE);
	} else if (!strcmp(name, "pf-invalid-refill")) {
		for (uint32_t g = 0; g < REFILL_GFNS && !r; g++)
			r = read8(vcpu, MMIO_GPA + g * BENCH_PAGE);
		for (uint64_t i = 0; i < n / REFILL_GFNS && !r; i++) {
			r = bench_set_region(vm, 2, 0, BUMP_GPA, BENCH_PAGE, ram + RAM_SIZE);
			if (!r)
				r = bench_set_region(vm, 2, 0, BUMP_GPA, 0, ram + RAM_SIZE);
			for (uint32_t g = 0; g < REFILL_GFNS && !r; g++)
				r = read8(vcpu, MMIO_GPA + g * BENCH_PAGE);
		}
	} else {
		r = -EINVAL;
	}
	bench_vm_close(&b);
	return r ? CMD_FAIL : 0;
}

/* Run the child under callgrind; the collected instruction count, or < 0. */
static int64_t callgrind(const char *self, const char *path, uint64_t n)
{
	char out[] = "/tmp/vmmu-bench-callgrind-XXXXXX";
	char outarg[64], nbuf[32], line[256];
	int64_t total = -1;
	int fd, status;
	pid_t pid;
	FILE *f;

	fd = mkstemp(out);
	if (fd < 0)
		return -errno;
	close(fd);
	snprintf(outarg, sizeof(outarg), "--callgrind-out-file=%s", out);
	snprintf(nbuf, sizeof(nbuf), "%" PRIu64, n);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		unlink(out);
		return -errno;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		execlp("valgrind", "valgrind", "--tool=callgrind",
		       "--toggle-collect=vmmu_vcpu_access", outarg, "-q", self, "bench",
		       "--count-child", path, nbuf, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		unlink(out);
		return WIFEXITED(status) && WEXITSTATUS(status) == 127 ? -ENOENT : -EIO;
	}
	f = fopen(out, "r");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			long long v;

			if (sscanf(line, "totals: %lld", &v) == 1 ||
			    (total < 0 && sscanf(line, "summary: %lld", &v) == 1))
				total = v;
		}
		fclose(f);
	}
	unlink(out);
	return total;
}

int bench_count(const struct bench_opts *o)
{
	int rc = 0;

	if (!o->self) {
		bench_progress("count: cannot find this executable");
		return -ENOENT;
	}
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		const struct count_path *p = &paths[i];
		struct bench_result *res = bench_result_add("count", "", (double)i, "instr", false,
							    "%s", p->name);
		int64_t c1 = callgrind(o->self, p->name, p->n);
		int64_t c2 = c1 < 0 ? c1 : callgrind(o->self, p->name, 2 * p->n);
		struct bench_samples s = { .n = 0 };
		char key[96];

		if (c1 < 0 || c2 < 0) {
			bench_progress("count: %s: %s", p->name,
				       c1 == -ENOENT || c2 == -ENOENT ? "valgrind not found" :
				       "callgrind run failed");
			res->vmmu.state = SIDE_FAILED;
			snprintf(res->note, sizeof(res->note), "%s",
				 c1 == -ENOENT ? "valgrind not found" : "callgrind run failed");
			rc = -EIO;
			continue;
		}
		bench_sample(&s, (double)(c2 - c1) / p->n);
		bench_result_vmmu(res, &s);
		if (p->budget)
			snprintf(res->note, sizeof(res->note), "budget (gcc 12 -O2): %.0f",
				 p->budget);
		snprintf(key, sizeof(key), "%s: count(%" PRIu64 ") / count(%" PRIu64 ")", p->name,
			 p->n, 2 * p->n);
		bench_info("count", key, (double)c1, "instr");
		bench_info("count", key, (double)c2, "instr");
		if (p->budget) {
			snprintf(key, sizeof(key), "%s: budget", p->name);
			bench_info("count", key, p->budget, "instr/call");
		}
		bench_progress("count: %s: %.1f instructions per call", p->name, s.v[0]);
	}
	bench_print_suite("count", "callgrind instructions per vmmu_vcpu_access call, "
			  "(count(2N) - count(N)) / N");
	return rc;
}
