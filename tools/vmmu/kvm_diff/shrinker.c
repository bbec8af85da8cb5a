// SPDX-License-Identifier: MIT
/*
 * vmmu kvm-diff: Streams, replay and shrinking: delta debugging of a mismatching
 * stream down to a minimal reproducer.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cmd.h"
#include "kvm_diff.h"

/* ------------------------------------------------------------------------ */
/* Streams, replay and shrinking                                             */
/* ------------------------------------------------------------------------ */

static void print_step(unsigned int i, const struct op *o, const struct outcome *ko,
		       const struct outcome *vo)
{
	char b[256], kb[256], vb[256];

	fmt_op(b, sizeof(b), o);
	fmt_outcome(kb, sizeof(kb), o, ko);
	fmt_outcome(vb, sizeof(vb), o, vo);
	printf("  %6u %s\n           KVM:  %s\n           vmmu: %s%s\n", i, b, kb, vb,
	       ko->known ? "  [known difference]" : "");
}

struct failure {
	long idx;		/* op index; n_ops for an end-of-stream check */
	uint8_t type;		/* op type of the failing step, or F_* */
	char why[512];
	char kvm[256], vmmu[256];
	struct op op;
};

/*
 * Run @ops on a fresh pair of VMs.  Return the index of the first mismatch
 * (filling @f), or -1.  With @gen, generate the ops as we go (from @rng).
 */
static long run_ops(uint64_t seed, struct op *ops, unsigned int n, bool gen, uint64_t *rng,
		    struct failure *f, bool count, bool trace)
{
	struct world *w = world_create(seed);
	struct outcome ko, vo;
	long fail = -1;
	unsigned int i;

	memset(&ko, 0, sizeof(ko));
	memset(&vo, 0, sizeof(vo));
	kd_counting = count;
	if (!w) {
		fprintf(stderr, "kvm-diff: cannot create the VMs\n");
		exit(CMD_FAIL);
	}
	for (i = 0; i < n; i++) {
		if (gen)
			gen_op(&w->m, rng, &ops[i]);
		if (count)
			kd_st.kinds[ops[i].kind]++;
		if (!exec_op(w, &ops[i], &ko, &vo)) {
			fail = i;
			f->type = ops[i].type;
			f->op = ops[i];
			goto out;
		}
		if (trace)
			print_step(i, &ops[i], &ko, &vo);
		if ((i + 1) % FULL_CHECK_EVERY == 0 && !full_check(w)) {
			fail = i;
			f->type = F_MEMORY;
			f->op = ops[i];
			goto out;
		}
	}
	if (!full_check(w)) {
		fail = n ? n - 1 : 0;
		f->type = F_MEMORY;
		if (n)
			f->op = ops[n - 1];
		goto out;
	}
	if (!final_logs(w, &f->op)) {
		fail = n;
		f->type = F_FINAL_LOG;
		goto out;
	}
out:
	if (fail >= 0) {
		f->idx = fail;
		snprintf(f->why, sizeof(f->why), "%s", w->why);
		if (f->type < NR_TYPES) {
			fmt_outcome(f->kvm, sizeof(f->kvm), &f->op, &ko);
			fmt_outcome(f->vmmu, sizeof(f->vmmu), &f->op, &vo);
		} else {
			f->kvm[0] = f->vmmu[0] = 0;
		}
	}
	if (count) {
		kd_st.mmio_exits += w->g.nr_mmio_exits;
		kd_st.kvm_runs += w->g.nr_runs;
	}
	world_destroy(w);
	return fail;
}

static void print_failure(const struct failure *f, unsigned int n)
{
	char b[256];

	if (f->type == F_FINAL_LOG)
		printf("  at the end of the stream (bitmap of every dirty-logged slot):\n");
	else if (f->type == F_MEMORY)
		printf("  full compare of the backing copies after step %ld:\n", f->idx);
	else
		printf("  step %ld (%s):\n", f->idx, type_names[f->type]);
	if (f->type != F_MEMORY) {
		fmt_op(b, sizeof(b), &f->op);
		printf("    op:   %s\n", b);
	}
	if (f->kvm[0]) {
		printf("    KVM:  %s\n", f->kvm);
		printf("    vmmu: %s\n", f->vmmu);
	}
	if (f->why[0])
		printf("    %s\n", f->why);
}

/* Delta debugging (ddmin over complements), bounded in tests and time. */
static unsigned int shrink(uint64_t seed, struct op *ops, unsigned int n,
			   const struct failure *orig, struct failure *best)
{
	struct op *cand = malloc(sizeof(*cand) * (n ? n : 1));
	unsigned int chunks = 2, tests = 0;
	double t0 = now_sec();

	if (!cand)
		return n;
	while (n >= 2 && tests < 3000 && now_sec() - t0 < 240) {
		unsigned int size = (n + chunks - 1) / chunks;
		bool reduced = false;

		for (unsigned int c = 0; c < chunks && !reduced; c++) {
			unsigned int lo = c * size, hi = lo + size > n ? n : lo + size, m = 0;
			struct failure f;
			long at;

			if (lo >= n)
				break;
			for (unsigned int i = 0; i < n; i++)
				if (i < lo || i >= hi)
					cand[m++] = ops[i];
			tests++;
			memset(&f, 0, sizeof(f));
			at = run_ops(seed, cand, m, false, NULL, &f, false, false);
			if (at < 0 || f.type != orig->type)
				continue;
			/* Keep the prefix up to the (possibly earlier) failure. */
			n = at < (long)m ? (unsigned int)at + 1 : m;
			memcpy(ops, cand, sizeof(*ops) * n);
			*best = f;
			chunks = chunks > 2 ? chunks - 1 : 2;
			reduced = true;
		}
		if (!reduced) {
			if (chunks >= n)
				break;
			chunks = chunks * 2 > n ? n : chunks * 2;
		}
	}
	free(cand);
	printf("  (shrinking: %u replays, %.1f s)\n", tests, now_sec() - t0);
	return n;
}

bool run_stream(uint64_t seed, unsigned int nr_ops)
{
	struct op *ops = calloc(nr_ops ? nr_ops : 1, sizeof(*ops));
	struct failure f, best;
	uint64_t rng = seed ? seed : 0x9e3779b97f4a7c15ull;
	unsigned int n;
	long at;

	if (!ops) {
		fprintf(stderr, "kvm-diff: out of memory\n");
		exit(CMD_FAIL);
	}
	memset(&f, 0, sizeof(f));
	at = run_ops(seed, ops, nr_ops, true, &rng, &f, true, kd_opt.verbose);
	if (at < 0) {
		free(ops);
		return true;
	}

	printf("==== MISMATCH (stream seed %#" PRIx64 ") ====\n", seed);
	print_failure(&f, nr_ops);
	printf("  replay: vmmu kvm-diff --seed %#" PRIx64 " --ops %u --streams 1\n", seed, nr_ops);
	if (!kd_opt.shrink) {
		free(ops);
		return false;
	}
	n = at < (long)nr_ops ? (unsigned int)at + 1 : nr_ops;
	best = f;
	printf("shrinking %u operations...\n", n);
	fflush(stdout);
	n = shrink(seed, ops, n, &f, &best);
	printf("minimal reproducer (%u operation%s on fresh VMs; backing page p initially holds "
	       "0x50414745_pppp_oooo at offset oooo; the first word names the generator's intent, "
	       "the outcomes show what each step did here):\n", n, n == 1 ? "" : "s");
	memset(&f, 0, sizeof(f));
	if (run_ops(seed, ops, n, false, NULL, &f, false, true) < 0)
		printf("  (the replay did not fail again: the mismatch is not deterministic)\n");
	printf("mismatch of the minimal reproducer:\n");
	print_failure(&best, n);
	free(ops);
	return false;
}
