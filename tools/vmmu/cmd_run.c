// SPDX-License-Identifier: MIT
/*
 * vmmu run: the main job.  Drives one VM through a live memory-map workload:
 * the main thread creates, moves, re-flags and deletes slots at random in
 * both address spaces while vCPU threads read tagged RAM pages and unbacked
 * addresses.  Every page of backing memory starts with a tag naming it, so a
 * vCPU that reads RAM can tell whether it read a real page.  Reports
 * operations per second, accesses per second, MMIO exits, fast hits,
 * generation misses and the generation trail.
 *
 * By default the backing memory lives in a simulated host MM attached to
 * the VM, and a host thread churns it behind the slots: it migrates pages,
 * swaps them out and KSM-merges them (after copying one page over another,
 * so there is something to merge: tags then name some page, not always
 * their own).  Freed frames are poisoned, so a vCPU that uses a stale
 * translation reads poison, which is not a tag: a bad read.  A second
 * thread takes the dirty log of every slot that logs dirty pages, in
 * rounds.  --direct backs the slots with this process's own memory instead
 * (no host churn).
 *
 * The oracle (on by default, testlib/oracle.h): every memslot update is
 * recorded with the stamps taken around it, and a sample of the vCPU
 * accesses with the stamps around them; each access must be explained by a
 * map state that existed at some instant while it ran, and never by one
 * that ended before it began.  The run is cut into epochs of half a second:
 * at the end of each, the vCPUs park at a barrier, the epoch's accesses are
 * verified and the oracle restarts from the current map, so its memory
 * stays bounded however long the run.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vmmu.h"
#include "cmd.h"
#include "opts.h"
#include "oracle.h"
#include "rng.h"

#define TAG_MAGIC	0x564d4d5500000000ull	/* "VMMU" */
#define TAG_MASK	0xffffffff00000000ull
#define PAGE		4096ull
#define SCRATCH_PAGES	64	/* host-MM pages outside every slot, for KSM */
#define EPOCH_SECONDS	0.5
#define ORACLE_BUDGET	200000	/* logged accesses per vCPU per epoch */

struct run_opts {
	double seconds;
	uint64_t seed;
	unsigned int vcpus;
	unsigned int slots;	/* per address space */
	unsigned int pages;	/* per slot */
	unsigned int mmio_gen_bits;
	unsigned int nr_as;
	bool quiet;
	bool verbose;		/* a line per oracle epoch */
	bool direct;		/* plain host memory instead of a simulated host MM */
	bool oracle;		/* check sampled accesses against the map history */
	bool asym_fence;	/* --fence asym (default): flushes ask vCPUs to fence */
	const char *json;	/* write a JSON report here ("-": stdout) */
	FILE *json_f;		/* opened before the run, so a bad path fails at once */
};

struct slot_state {
	bool present;
	uint64_t gpa;
	uint32_t flags;
};

struct run_ctx {
	struct run_opts o;
	struct vmmu_vm *vm;
	uint8_t *backing;		/* --direct */
	struct vmmu_hostmm *mm;		/* otherwise */
	uint64_t backing_hva;		/* the backing's address: a pointer, or in mm */
	uint64_t backing_pages;
	uint64_t window_pages;		/* guest-physical window per AS */
	atomic_bool stop;
	pthread_barrier_t start;
	atomic_uint_fast64_t bad_reads;	/* RAM reads that returned a non-tag */
	atomic_uint_fast64_t errors;	/* unexpected return values */
	atomic_uint_fast64_t accesses;
	/* host-MM churn thread */
	atomic_uint_fast64_t mm_migrate, mm_swap_out, mm_ksm, mm_ksm_refused;
	/* dirty-log thread */
	atomic_uint_fast64_t dirty_rounds, dirty_gets, dirty_pages;
	/* oracle epochs: the main thread parks the vCPUs between the barriers */
	struct oracle *oracle;
	atomic_bool pause;
	pthread_barrier_t parked, resume;
	_Atomic uint32_t epoch_permille;	/* progress through the epoch, for sampling */
	uint64_t oracle_checked, oracle_violations, epochs;
};

struct vcpu_thread {
	struct run_ctx *ctx;
	struct vmmu_vcpu *vcpu;
	uint64_t seed;
	pthread_t tid;
	unsigned int id;
	uint32_t as_id;
	struct oracle_log *log;
	uint64_t logged;	/* this epoch */
};

/* Ctrl-C: the main loop stops as at the end of the run, and reports. */
static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void cmd_run_usage(void)
{
	printf("usage: vmmu run [options]\n"
	       "  -t, --seconds N      run time (default 10); Ctrl-C ends the run early, with\n"
	       "                       the summary and the JSON report\n"
	       "  -s, --seed S         random seed, 0..2^64-1 (default: from the clock; printed)\n"
	       "      --vcpus N        vCPU threads, 1..256 (default 2)\n"
	       "      --slots N        slot ids per address space (default 64)\n"
	       "      --pages N        pages per slot (default 16)\n"
	       "      --address-spaces N  1 or 2 (default 2)\n"
	       "      --mmio-gen-bits N   MMIO SPTE generation bits, 1..19 (default 19)\n"
	       "      --direct         back the slots with this process's memory instead of a\n"
	       "                       simulated host MM (no migrate/KSM/swap-out churn)\n"
	       "      --fence sym|asym vCPUs fence each access (sym) or remote flushes ask\n"
	       "                       them to (asym, default: faster here too)\n"
	       "      --no-oracle      do not check access outcomes against the map history\n"
	       "      --json FILE      write every figure as JSON to FILE (-: stdout)\n"
	       "  -q, --quiet          no progress lines\n"
	       "  -v, --verbose        also a line per oracle epoch\n"
	       "Exit status: 0 when every access outcome was one the map allowed, 1 otherwise,\n"
	       "2 for a bad command line.\n");
}

/* Is @val a backing page's tag?  Then which page (its host address). */
static bool decode_tag(const struct run_ctx *ctx, uint64_t val, uint64_t *hva)
{
	if ((val & TAG_MASK) != TAG_MAGIC || (val & ~TAG_MASK) >= ctx->backing_pages)
		return false;
	*hva = ctx->backing_hva + (val & ~TAG_MASK) * PAGE;
	return true;
}

/*
 * Sample accesses evenly over the epoch: log while under a budget that grows
 * with the epoch's progress, so the check covers the whole epoch, not its
 * first few milliseconds.
 */
static bool want_sample(struct vcpu_thread *t)
{
	uint32_t permille = atomic_load_explicit(&t->ctx->epoch_permille, memory_order_relaxed);

	return t->log && t->logged * 1000 < (uint64_t)ORACLE_BUDGET * (permille + 1);
}

static void *vcpu_main(void *arg)
{
	struct vcpu_thread *t = arg;
	struct run_ctx *ctx = t->ctx;
	uint64_t s = t->seed, n = 0;
	struct vmmu_exit exit;

	pthread_barrier_wait(&ctx->start);
	while (!atomic_load_explicit(&ctx->stop, memory_order_relaxed)) {
		uint64_t r = rng_next(&s);
		uint64_t gpa = (r % ctx->window_pages) * PAGE;
		struct oracle_access a = { .thread = t->id };
		bool sample, write = (r >> 32) % 8 == 0;
		uint64_t val = 0, hva;
		int ret;

		if (atomic_load_explicit(&ctx->pause, memory_order_acquire)) {
			/* End of an epoch: the main thread verifies what we logged. */
			pthread_barrier_wait(&ctx->parked);
			pthread_barrier_wait(&ctx->resume);
			t->logged = 0;
			continue;
		}
		if (ctx->o.nr_as > 1 && (r >> 40) % 1024 == 0) {
			t->as_id = (r >> 50) & 1;
			vmmu_vcpu_set_address_space(t->vcpu, t->as_id);
		}
		if (write)
			gpa += 8 + ((r >> 20) % 500) * 8;	/* the page body, never the tag */
		sample = want_sample(t);
		if (sample)
			a.t_begin = oracle_stamp(ctx->oracle);
		if (write) {
			val = r;
			ret = vmmu_vcpu_access(t->vcpu, gpa, &val, 8, VMMU_ACCESS_WRITE, &exit);
		} else {
			ret = vmmu_vcpu_access(t->vcpu, gpa, &val, 8, 0, &exit);
			if (ret == 0 && !decode_tag(ctx, val, &hva))
				atomic_fetch_add(&ctx->bad_reads, 1);
		}
		if (ret != 0 && ret != VMMU_EXIT_MMIO)
			atomic_fetch_add(&ctx->errors, 1);
		if (sample) {
			a.t_end = oracle_stamp(ctx->oracle);
			a.gpa = gpa;
			a.as_id = t->as_id;
			a.ret = ret;
			a.write = write;
			if (ret == VMMU_EXIT_MMIO)
				a.outcome = ORACLE_MMIO;
			else if (ret)
				a.outcome = ORACLE_ERROR;
			else if (write)
				a.outcome = ORACLE_RAM_WRITE;
			else if (decode_tag(ctx, val, &a.hva))
				a.outcome = ORACLE_RAM_READ;	/* content never changes: version 0 */
			else
				a.outcome = ORACLE_POISON;
			if (!oracle_log_access(t->log, &a))
				t->logged++;
		}
		n++;
	}
	atomic_fetch_add(&ctx->accesses, n);
	return NULL;
}

static void pause_us(long us)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = us * 1000 };

	nanosleep(&ts, NULL);
}

/*
 * The host side of the simulated MM: what Linux's mm does to a process's
 * memory behind KVM's back.  Paced, so that the memslot updates (which wait
 * for invalidations in flight) are not starved.
 */
static void *mm_churn_main(void *arg)
{
	struct run_ctx *ctx = arg;
	uint64_t s = ctx->o.seed ^ 0x2545f4914f6cdd1dull;
	uint8_t page[PAGE];

	pthread_barrier_wait(&ctx->start);
	while (!atomic_load_explicit(&ctx->stop, memory_order_relaxed)) {
		uint64_t r = rng_next(&s);
		uint64_t a = ctx->backing_hva + (r % ctx->backing_pages) * PAGE;
		uint64_t b = ctx->backing_hva + (ctx->backing_pages + (r >> 24) % SCRATCH_PAGES) * PAGE;
		unsigned int what = (r >> 48) % 10;
		int rc;

		if (what < 4) {
			rc = vmmu_hostmm_migrate(ctx->mm, a);
			if (!rc)
				atomic_fetch_add(&ctx->mm_migrate, 1);
		} else if (what < 7) {
			rc = vmmu_hostmm_swap_out(ctx->mm, a);
			if (!rc)
				atomic_fetch_add(&ctx->mm_swap_out, 1);
		} else {
			/*
			 * Copy page a into a scratch page that no slot maps, then let
			 * KSM find them equal: a's frame becomes a shared read-only
			 * one (change_pte inside the bracket) and the next vCPU write
			 * breaks the sharing, as Linux's KSM and COW do.  Guest-
			 * visible contents never change, so the oracle needs no host
			 * page versions.
			 */
			rc = vmmu_hostmm_read(ctx->mm, a, page, PAGE);
			if (!rc)
				rc = vmmu_hostmm_write(ctx->mm, b, page, PAGE);
			if (!rc)
				rc = vmmu_hostmm_ksm_merge(ctx->mm, a, b);
			if (!rc)
				atomic_fetch_add(&ctx->mm_ksm, 1);
			else if (rc == -EAGAIN)
				atomic_fetch_add(&ctx->mm_ksm_refused, 1);	/* a vCPU wrote in between */
		}
		/* -EAGAIN: not resident (swapped); -EBUSY: a shared KSM page. */
		if (rc && rc != -EAGAIN && rc != -EBUSY) {
			fprintf(stderr, "vmmu run: host MM operation failed: %d (%s)\n", rc,
				vmmu_strerror(rc));
			atomic_fetch_add(&ctx->errors, 1);
		}
		if ((r & 7) == 0)
			pause_us(20);
	}
	return NULL;
}

/*
 * Dirty logging, as a VMM migrating the VM would: round after round of
 * KVM_GET_DIRTY_LOG over the slots that log dirty pages (the others answer
 * -ENOENT; the main thread keeps re-flagging, moving and deleting them).
 */
static void *dirty_log_main(void *arg)
{
	struct run_ctx *ctx = arg;
	uint64_t *bitmap = calloc((ctx->o.pages + 63) / 64, 8);

	pthread_barrier_wait(&ctx->start);
	while (bitmap && !atomic_load_explicit(&ctx->stop, memory_order_relaxed)) {
		for (uint32_t as = 0; as < ctx->o.nr_as; as++) {
			for (uint32_t id = 0; id < ctx->o.slots; id++) {
				int rc = vmmu_get_dirty_log(ctx->vm, (as << 16) | id, bitmap);

				if (rc == -ENOENT)
					continue;
				if (rc) {
					fprintf(stderr, "vmmu run: GET_DIRTY_LOG %#x: %d (%s)\n",
						(as << 16) | id, rc, vmmu_strerror(rc));
					atomic_fetch_add(&ctx->errors, 1);
					continue;
				}
				atomic_fetch_add(&ctx->dirty_gets, 1);
				for (uint32_t w = 0; w < (ctx->o.pages + 63) / 64; w++)
					atomic_fetch_add(&ctx->dirty_pages,
							 __builtin_popcountll(bitmap[w]));
			}
		}
		atomic_fetch_add(&ctx->dirty_rounds, 1);
		pause_us(1000);
	}
	free(bitmap);
	return NULL;
}

static int parse_opts(int argc, char **argv, struct run_opts *o)
{
	static const struct option lo[] = {
		{ "seconds", required_argument, 0, 't' },
		{ "seed", required_argument, 0, 's' },
		{ "vcpus", required_argument, 0, 10 },
		{ "verbose", no_argument, 0, 'v' },
		{ "slots", required_argument, 0, 1 },
		{ "pages", required_argument, 0, 2 },
		{ "mmio-gen-bits", required_argument, 0, 3 },
		{ "address-spaces", required_argument, 0, 4 },
		{ "quiet", no_argument, 0, 'q' },
		{ "direct", no_argument, 0, 5 },
		{ "no-oracle", no_argument, 0, 6 },
		{ "oracle", no_argument, 0, 7 },
		{ "json", required_argument, 0, 8 },
		{ "fence", required_argument, 0, 9 },
		{ 0, 0, 0, 0 }
	};
	struct timespec ts;
	int c;

	clock_gettime(CLOCK_REALTIME, &ts);
	*o = (struct run_opts){ .seconds = 10, .seed = (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec,
				.vcpus = 2, .slots = 64, .pages = 16, .mmio_gen_bits = 19,
				.nr_as = 2, .oracle = true, .asym_fence = true };
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":t:s:vq", lo, NULL)) != -1) {
		int bad = 0;

		switch (c) {
		case 't': bad = opt_double("run", "--seconds", optarg, 0, 1e6, &o->seconds); break;
		case 's': bad = opt_u64("run", "--seed", optarg, 0, UINT64_MAX, &o->seed); break;
		case 10: bad = opt_uint("run", "--vcpus", optarg, 1, 256, &o->vcpus); break;
		case 1: bad = opt_uint("run", "--slots", optarg, 1, 4096, &o->slots); break;
		case 2: bad = opt_uint("run", "--pages", optarg, 1, 4096, &o->pages); break;
		case 3:
			bad = opt_uint("run", "--mmio-gen-bits", optarg, 1, 19, &o->mmio_gen_bits);
			break;
		case 4: bad = opt_uint("run", "--address-spaces", optarg, 1, 2, &o->nr_as); break;
		case 'q': o->quiet = true; break;
		case 'v': o->verbose = true; break;
		case 5: o->direct = true; break;
		case 6: o->oracle = false; break;
		case 7: o->oracle = true; break;
		case 8: o->json = optarg; break;
		case 9:
			if (!strcmp(optarg, "asym")) {
				o->asym_fence = true;
			} else if (!strcmp(optarg, "sym")) {
				o->asym_fence = false;
			} else {
				fprintf(stderr, "vmmu run: --fence: '%s' is neither sym nor asym\n",
					optarg);
				bad = -1;
			}
			break;
		case ':':
			fprintf(stderr, "vmmu run: %s needs a value\n", argv[optind - 1]);
			return -1;
		default:
			fprintf(stderr, "vmmu run: unknown option '%s' (vmmu run --help)\n",
				argv[optind - 1]);
			return -1;
		}
		if (bad)
			return -1;
	}
	if (optind != argc) {
		fprintf(stderr, "vmmu run: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (!o->seed)
		o->seed = 1;
	if (o->json && !(o->json_f = opt_open_output("run", "--json", o->json)))
		return -1;
	return 0;
}

/* Tell the oracle that address space @as now maps what st[] says. */
static void record_map(struct run_ctx *ctx, const struct slot_state *st, uint32_t as,
		       uint64_t t_lo, uint64_t t_hi)
{
	struct oracle_slot slots[4096];
	size_t n = 0;

	for (uint32_t id = 0; id < ctx->o.slots; id++) {
		const struct slot_state *ss = &st[as * ctx->o.slots + id];
		uint64_t region = (uint64_t)as * ctx->o.slots + id;

		if (!ss->present)
			continue;
		slots[n++] = (struct oracle_slot){
			.base_gfn = ss->gpa / PAGE,
			.npages = ctx->o.pages,
			.hva = ctx->backing_hva + region * ctx->o.pages * PAGE,
			.flags = ss->flags,
		};
	}
	if (oracle_map_set(ctx->oracle, as, t_lo, t_hi, slots, n)) {
		fprintf(stderr, "vmmu run: oracle out of memory\n");
		atomic_fetch_add(&ctx->errors, 1);
	}
}

static void report_violation(void *arg, const struct oracle_access *a, const char *why)
{
	(void)arg;
	fprintf(stderr, "vmmu run: ORACLE VIOLATION: vCPU %u AS%u %s gpa %#" PRIx64 " -> %s "
		"(ret %d) in [%" PRIu64 ", %" PRIu64 "]: %s\n", a->thread, a->as_id,
		a->write ? "write" : "read", a->gpa, oracle_outcome_name(a->outcome), a->ret,
		a->t_begin, a->t_end, why);
}

/*
 * End an oracle epoch: park the vCPUs, verify what they logged against the
 * recorded map states, and restart the oracle from the current map.
 */
static void end_epoch(struct run_ctx *ctx, const struct slot_state *st, struct vcpu_thread *vt,
		      bool parked)
{
	uint64_t bad;

	if (!parked) {
		atomic_store_explicit(&ctx->pause, true, memory_order_release);
		pthread_barrier_wait(&ctx->parked);
	}
	bad = oracle_verify(ctx->oracle, report_violation, ctx,
			    ctx->oracle_violations < 5 ? 5 - ctx->oracle_violations : 0);
	for (unsigned int i = 0; i < ctx->o.vcpus; i++)
		ctx->oracle_checked += vt[i].logged;
	ctx->oracle_violations += bad;
	ctx->epochs++;
	oracle_reset(ctx->oracle);
	for (uint32_t as = 0; as < ctx->o.nr_as; as++) {
		uint64_t t = oracle_stamp(ctx->oracle);

		record_map(ctx, st, as, t, t);
	}
	if (!parked) {
		atomic_store_explicit(&ctx->epoch_permille, 0, memory_order_relaxed);
		atomic_store_explicit(&ctx->pause, false, memory_order_release);
		pthread_barrier_wait(&ctx->resume);
	}
}

/*
 * The VM's binary statistics as a JSON object, read as a reader of KVM's
 * stats fd reads them (header, descriptors, data): the names are those of
 * the stats file, KVM's where KVM has the counter.
 */
static void json_vm_stats(FILE *f, struct vmmu_vm *vm)
{
	struct vmmu_stats_header h;
	uint8_t *descs = NULL;
	uint64_t *data = NULL;
	size_t dsz = 0;
	int ok;

	ok = vmmu_vm_stats_read(vm, &h, sizeof(h), 0) == (int64_t)sizeof(h);
	if (ok) {
		dsz = (sizeof(struct vmmu_stats_desc) + h.name_size) * h.num_desc;
		descs = malloc(dsz);
		data = calloc(h.num_desc, sizeof(*data));
		ok = descs && data &&
		     vmmu_vm_stats_read(vm, descs, dsz, h.desc_offset) == (int64_t)dsz &&
		     vmmu_vm_stats_read(vm, data, h.num_desc * sizeof(*data), h.data_offset) ==
		     (int64_t)(h.num_desc * sizeof(*data));
	}
	fprintf(f, "  \"stats\": {");
	for (uint32_t i = 0; ok && i < h.num_desc; i++) {
		const struct vmmu_stats_desc *d =
			(const void *)(descs + i * (sizeof(*d) + h.name_size));

		/* (every counter is one value, at most h.num_desc of them) */
		if (d->size == 1 && d->offset / 8 < h.num_desc)
			fprintf(f, "%s\n    \"%s\": %" PRIu64, i ? "," : "", d->name,
				data[d->offset / 8]);
	}
	fprintf(f, "\n  },\n");
	free(descs);
	free(data);
}

/*
 * The JSON report.  "format" 2: the VM's counters are in "stats", named
 * as in the binary statistics file (format 1 spread them, under other
 * names, over "access", "mmio" and "faults").
 */
static int write_json(const struct run_ctx *ctx, FILE *f, double elapsed, uint64_t ops,
		      uint64_t ok_ops, uint64_t rejected, const struct vmmu_hostmm_stats *hs,
		      bool pass)
{
	uint64_t acc = atomic_load(&ctx->accesses);

	fprintf(f, "{\n  \"format\": 2,\n  \"tool\": \"vmmu run\",\n  \"version\": \"%s\",\n",
		vmmu_version());
	fprintf(f, "  \"seed\": %" PRIu64 ",\n  \"seconds\": %.3f,\n  \"interrupted\": %s,\n",
		ctx->o.seed, elapsed, interrupted ? "true" : "false");
	fprintf(f, "  \"config\": {\"vcpus\": %u, \"address_spaces\": %u, \"slots\": %u, "
		"\"pages_per_slot\": %u, \"mmio_gen_bits\": %u, \"host_memory\": \"%s\", "
		"\"oracle\": %s},\n", ctx->o.vcpus, ctx->o.nr_as, ctx->o.slots, ctx->o.pages,
		ctx->o.mmio_gen_bits, ctx->o.direct ? "direct" : "simulated",
		ctx->o.oracle ? "true" : "false");
	fprintf(f, "  \"memslot\": {\"ops\": %" PRIu64 ", \"applied\": %" PRIu64 ", \"eexist\": %"
		PRIu64 ", \"ops_per_sec\": %.0f},\n", ops, ok_ops, rejected, ops / elapsed);
	fprintf(f, "  \"generation\": [%" PRIu64, vmmu_memslots_generation(ctx->vm, 0));
	if (ctx->o.nr_as > 1)
		fprintf(f, ", %" PRIu64, vmmu_memslots_generation(ctx->vm, 1));
	fprintf(f, "],\n  \"access\": {\"accesses\": %" PRIu64 ", \"per_sec\": %.0f},\n", acc,
		acc / elapsed);
	json_vm_stats(f, ctx->vm);
	fprintf(f, "  \"dirty_log\": {\"rounds\": %" PRIuFAST64 ", \"gets\": %" PRIuFAST64
		", \"dirty_pages\": %" PRIuFAST64 "},\n", atomic_load(&ctx->dirty_rounds),
		atomic_load(&ctx->dirty_gets), atomic_load(&ctx->dirty_pages));
	fprintf(f, "  \"host_mm\": {\"migrations\": %" PRIuFAST64 ", \"swap_outs\": %" PRIuFAST64
		", \"ksm_merges\": %" PRIuFAST64 ", \"cow_breaks\": %" PRIu64 ", \"invalidations\": %"
		PRIu64 ", \"poison_corruptions\": %" PRIu64 "},\n", atomic_load(&ctx->mm_migrate),
		atomic_load(&ctx->mm_swap_out), atomic_load(&ctx->mm_ksm), hs->cow_breaks,
		hs->invalidations, hs->poison_corruptions);
	fprintf(f, "  \"oracle\": {\"epochs\": %" PRIu64 ", \"checked\": %" PRIu64
		", \"violations\": %" PRIu64 "},\n", ctx->epochs, ctx->oracle_checked,
		ctx->oracle_violations);
	fprintf(f, "  \"check\": {\"bad_reads\": %" PRIuFAST64 ", \"errors\": %" PRIuFAST64
		"},\n  \"result\": \"%s\"\n}\n", atomic_load(&ctx->bad_reads),
		atomic_load(&ctx->errors), pass ? "PASS" : "FAIL");
	return opt_close_output("run", ctx->o.json, f);
}

int cmd_run(int argc, char **argv)
{
	struct run_ctx ctx = { 0 };
	struct vmmu_vm_config cfg = { .size = sizeof(cfg) };
	struct slot_state *st;
	struct vcpu_thread *vt;
	pthread_t churn_tid, dirty_tid;
	struct vmmu_hostmm_stats hs = { 0 };
	uint64_t s, ops = 0, ok_ops = 0, rejected = 0, t_lo = 0, t_hi = 0;
	double t0, t_end, next_report, now, epoch_start, paused = 0;
	bool tty = isatty(STDOUT_FILENO);
	struct vmmu_stats stats = { .size = sizeof(stats) };
	int ret = CMD_OK;

	if (parse_opts(argc, argv, &ctx.o))
		return CMD_USAGE;
	s = ctx.o.seed;
	cfg.nr_address_spaces = ctx.o.nr_as;
	cfg.mmio_gen_bits = ctx.o.mmio_gen_bits;
	if (!ctx.o.asym_fence)
		cfg.flags |= VMMU_VM_SYMMETRIC_FENCE;
	if (vmmu_vm_create(&cfg, &ctx.vm)) {
		fprintf(stderr, "vmmu run: cannot create the VM\n");
		return CMD_FAIL;
	}

	ctx.backing_pages = (uint64_t)ctx.o.slots * ctx.o.nr_as * ctx.o.pages;
	ctx.window_pages = (uint64_t)ctx.o.slots * ctx.o.pages * 4;
	st = calloc((size_t)ctx.o.slots * ctx.o.nr_as, sizeof(*st));
	vt = calloc(ctx.o.vcpus, sizeof(*vt));
	if (!st || !vt) {
		fprintf(stderr, "vmmu run: out of memory\n");
		return CMD_FAIL;
	}
	if (ctx.o.direct) {
		ctx.backing = mmap(NULL, ctx.backing_pages * PAGE, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (ctx.backing == MAP_FAILED) {
			fprintf(stderr, "vmmu run: out of memory\n");
			return CMD_FAIL;
		}
		ctx.backing_hva = (uint64_t)(uintptr_t)ctx.backing;
		for (uint64_t i = 0; i < ctx.backing_pages; i++)
			*(uint64_t *)(ctx.backing + i * PAGE) = TAG_MAGIC | i;
	} else {
		/* Room for every page, a copy-on-write copy of each, and migration. */
		struct vmmu_hostmm_config mcfg = { .nr_frames = 2 * ctx.backing_pages + 256 +
								 SCRATCH_PAGES,
						   .nr_swap_slots = ctx.backing_pages };
		int rc = vmmu_hostmm_create(&mcfg, &ctx.mm);

		if (!rc)
			rc = vmmu_vm_attach_hostmm(ctx.vm, ctx.mm);
		if (!rc)
			rc = vmmu_hostmm_mmap(ctx.mm, (ctx.backing_pages + SCRATCH_PAGES) * PAGE,
					      &ctx.backing_hva);
		for (uint64_t i = 0; !rc && i < ctx.backing_pages; i++) {
			uint64_t tag = TAG_MAGIC | i;

			rc = vmmu_hostmm_write(ctx.mm, ctx.backing_hva + i * PAGE, &tag, 8);
		}
		if (rc) {
			fprintf(stderr, "vmmu run: cannot set up the host MM: %s\n", vmmu_strerror(rc));
			return CMD_FAIL;
		}
	}

	/* Every line of the report fits 80 columns. */
	printf("vmmu run: seed=%" PRIu64 " seconds=%.1f vcpus=%u address-spaces=%u\n",
	       ctx.o.seed, ctx.o.seconds, ctx.o.vcpus, ctx.o.nr_as);
	printf("vmmu run: slots=%u pages/slot=%u mmio-gen-bits=%u fence=%s\n", ctx.o.slots,
	       ctx.o.pages, ctx.o.mmio_gen_bits, ctx.o.asym_fence ? "asym" : "sym");
	if (ctx.o.direct)
		printf("host memory: direct (this process's memory), dirty-log thread\n");
	else
		printf("host memory: simulated host MM, %" PRIu64 " frames, %" PRIu64 " swap slots\n"
		       "host threads: migrate, swap out and KSM-merge; take the dirty log\n",
		       2 * ctx.backing_pages + 256, ctx.backing_pages);

	if (ctx.o.oracle) {
		ctx.oracle = oracle_create(ctx.o.nr_as);
		if (!ctx.oracle) {
			fprintf(stderr, "vmmu run: out of memory\n");
			return CMD_FAIL;
		}
		for (unsigned int i = 0; i < ctx.o.vcpus; i++)
			if (!(vt[i].log = oracle_log_create(ctx.oracle))) {
				fprintf(stderr, "vmmu run: out of memory\n");
				return CMD_FAIL;
			}
		printf("oracle: accesses sampled against the map history, %.1f s epochs\n",
		       EPOCH_SECONDS);
	}
	pthread_barrier_init(&ctx.parked, NULL, ctx.o.vcpus + 1);
	pthread_barrier_init(&ctx.resume, NULL, ctx.o.vcpus + 1);
	/* vCPUs, the dirty-log thread, the host-MM thread (unless --direct), us. */
	pthread_barrier_init(&ctx.start, NULL, ctx.o.vcpus + 2 + !ctx.o.direct);
	if (pthread_create(&dirty_tid, NULL, dirty_log_main, &ctx) ||
	    (!ctx.o.direct && pthread_create(&churn_tid, NULL, mm_churn_main, &ctx))) {
		fprintf(stderr, "vmmu run: cannot start the host threads\n");
		return CMD_FAIL;
	}
	for (unsigned int i = 0; i < ctx.o.vcpus; i++) {
		vt[i].ctx = &ctx;
		vt[i].id = i;
		vt[i].seed = ctx.o.seed * 0x9e3779b97f4a7c15ull + i + 1;
		if (vmmu_vcpu_create(ctx.vm, i, &vt[i].vcpu) ||
		    pthread_create(&vt[i].tid, NULL, vcpu_main, &vt[i])) {
			fprintf(stderr, "vmmu run: cannot start vCPU %u\n", i);
			return CMD_FAIL;
		}
	}
	pthread_barrier_wait(&ctx.start);
	interrupted = 0;
	signal(SIGINT, on_sigint);

	t0 = now_sec();
	t_end = t0 + ctx.o.seconds;
	next_report = t0 + 1;
	epoch_start = t0;
	while ((now = now_sec()) < t_end && !interrupted) {
		uint64_t r = rng_next(&s);
		uint32_t as = ctx.o.nr_as > 1 ? r & 1 : 0;
		uint32_t id = (r >> 1) % ctx.o.slots;
		struct slot_state *ss = &st[as * ctx.o.slots + id];
		uint64_t region = (uint64_t)as * ctx.o.slots + id;
		struct vmmu_userspace_memory_region m = {
			.slot = (as << 16) | id,
			.memory_size = (uint64_t)ctx.o.pages * PAGE,
			.userspace_addr = ctx.backing_hva + region * ctx.o.pages * PAGE,
		};
		uint64_t gpa = ((r >> 20) % (ctx.window_pages - ctx.o.pages + 1)) * PAGE;
		unsigned int what = (r >> 48) % 10;
		const struct slot_state *prev = id ? ss - 1 : NULL;
		int rc;

		/*
		 * A quarter of CREATEs and MOVEs go right after the slot with
		 * the id before, whose host memory this slot's continues: a
		 * fault's prefetch then runs on from one slot into the other.
		 */
		if (prev && prev->present && !((r >> 56) & 3) &&
		    prev->gpa / PAGE + 2 * ctx.o.pages <= ctx.window_pages)
			gpa = prev->gpa + (uint64_t)ctx.o.pages * PAGE;

		if (!ss->present) {
			m.guest_phys_addr = gpa;
			m.flags = what == 0 ? VMMU_MEM_READONLY : what == 1 ? VMMU_MEM_LOG_DIRTY_PAGES : 0;
		} else if (what < 3) {
			m.memory_size = 0;		/* DELETE */
			m.flags = ss->flags;
		} else if (what < 6) {
			m.guest_phys_addr = gpa;	/* MOVE */
			m.flags = ss->flags;
		} else {
			m.guest_phys_addr = ss->gpa;	/* FLAGS_ONLY or no-op */
			m.flags = what < 9 ? ss->flags ^ VMMU_MEM_LOG_DIRTY_PAGES : ss->flags;
		}
		if (ctx.oracle) {
			double frac = (now - epoch_start) / EPOCH_SECONDS;

			if (frac >= 1) {
				double p0 = now_sec();

				end_epoch(&ctx, st, vt, false);
				paused += now_sec() - p0;
				if (ctx.o.verbose)
					printf("%sepoch %" PRIu64 ": %" PRIu64 " accesses checked, %" PRIu64
					       " violations\n", tty && !ctx.o.quiet ? "\r" : "",
					       ctx.epochs, ctx.oracle_checked, ctx.oracle_violations);
				epoch_start = now_sec();
				frac = 0;
			}
			atomic_store_explicit(&ctx.epoch_permille, (uint32_t)(frac * 1000),
					      memory_order_relaxed);
			t_lo = oracle_stamp(ctx.oracle);
		}
		rc = vmmu_set_user_memory_region(ctx.vm, &m);
		if (ctx.oracle)
			t_hi = oracle_stamp(ctx.oracle);
		ops++;
		if (rc == 0) {
			ok_ops++;
			ss->present = m.memory_size != 0;
			ss->gpa = m.guest_phys_addr;
			ss->flags = m.flags;
			if (ctx.oracle)
				record_map(&ctx, st, as, t_lo, t_hi);
		} else if (rc == -EEXIST) {
			rejected++;
		} else {
			fprintf(stderr, "vmmu run: unexpected %d (%s) for slot %#x\n", rc,
				vmmu_strerror(rc), m.slot);
			atomic_fetch_add(&ctx.errors, 1);
		}

		if (!ctx.o.quiet && now_sec() >= next_report) {
			double el = now_sec() - t0;

			/* A live line on a terminal, one line a second otherwise;
			 * at most 79 columns. */
			printf("%s%6.1fs ops %" PRIu64 " checked %" PRIu64 " violations %" PRIu64
			       " gen %" PRIu64, tty ? "\r" : "", el, ops, ctx.oracle_checked,
			       ctx.oracle_violations, vmmu_memslots_generation(ctx.vm, 0));
			if (ctx.o.nr_as > 1)
				printf("/%" PRIu64, vmmu_memslots_generation(ctx.vm, 1));
			printf(tty ? " " : "\n");
			fflush(stdout);
			next_report += 1;
		}
	}
	signal(SIGINT, SIG_DFL);
	if (tty && !ctx.o.quiet)
		printf("\n");
	if (interrupted)
		printf("vmmu run: interrupted after %.1f s\n", now_sec() - t0);

	atomic_store(&ctx.stop, true);
	for (unsigned int i = 0; i < ctx.o.vcpus; i++)
		pthread_join(vt[i].tid, NULL);
	double elapsed = now_sec() - t0 - paused;

	if (ctx.oracle) {
		/* The last, partial epoch: the vCPUs have stopped. */
		end_epoch(&ctx, st, vt, true);
	}
	pthread_join(dirty_tid, NULL);
	if (!ctx.o.direct) {
		pthread_join(churn_tid, NULL);
		vmmu_hostmm_get_stats(ctx.mm, &hs);
	}

	vmmu_vm_get_stats(ctx.vm, &stats);
	printf("memslot: %" PRIu64 " ops, %.0f/s, %" PRIu64 " swaps\n", ops, ops / elapsed,
	       stats.memslot_swaps);
	printf("memslot: %" PRIu64 " applied, %" PRIu64 " rejected (-EEXIST)\n", ok_ops, rejected);
	printf("generation trail: AS0 0 -> %" PRIu64, vmmu_memslots_generation(ctx.vm, 0));
	if (ctx.o.nr_as > 1)
		printf(", AS1 1 -> %" PRIu64, vmmu_memslots_generation(ctx.vm, 1));
	printf("\n");
	printf("access: %" PRIuFAST64 " accesses, %.0f/s\n", atomic_load(&ctx.accesses),
	       atomic_load(&ctx.accesses) / elapsed);
	printf("access: %" PRIu64 " TLB fills, %" PRIu64 " MMIO exits\n", stats.tlb_fills,
	       stats.mmio_exits);
	printf("mmio: %" PRIu64 " SPTEs created, %" PRIu64 " fast hits, %" PRIu64 " cache hits\n",
	       stats.mmio_sptes_created, stats.fast_mmio_hits, stats.mmio_cache_hits);
	printf("mmio: %" PRIu64 " generation misses (RET_PF_INVALID), %" PRIu64 " wrap zaps\n",
	       stats.pf_invalid, stats.mmio_wrap_zaps);
	printf("faults: %" PRIu64 " fixed, %" PRIu64 " spurious, %" PRIu64 " retry\n",
	       stats.pf_fixed, stats.pf_spurious, stats.pf_retry);
	printf("faults: %" PRIu64 " on an INVALID slot, %" PRIu64 " lost to an invalidation\n",
	       stats.invalid_slot_retries, stats.notifier_retries);
	printf("zaps: %" PRIu64 " zap-all, %" PRIu64 " slot zaps, %" PRIu64 " TLB flushes\n",
	       stats.zap_all_fast, stats.slot_zaps, stats.remote_tlb_flush_requests);
	printf("dirty-log: %" PRIuFAST64 " rounds, %" PRIuFAST64 " GET_DIRTY_LOG calls, %"
	       PRIuFAST64 " dirty pages\n", atomic_load(&ctx.dirty_rounds),
	       atomic_load(&ctx.dirty_gets), atomic_load(&ctx.dirty_pages));
	if (!ctx.o.direct) {
		printf("host-mm: %" PRIuFAST64 " migrations, %" PRIuFAST64 " swap-outs (%" PRIu64
		       " swap-ins)\n", atomic_load(&ctx.mm_migrate), atomic_load(&ctx.mm_swap_out),
		       hs.swap_ins);
		printf("host-mm: %" PRIuFAST64 " KSM merges (%" PRIuFAST64 " refused), %" PRIu64
		       " COW breaks\n", atomic_load(&ctx.mm_ksm), atomic_load(&ctx.mm_ksm_refused),
		       hs.cow_breaks);
		printf("host-mm: %" PRIu64 " first-touch faults, %" PRIu64 " frames freed (poisoned)\n",
		       hs.faults, hs.frames_freed);
		printf("host-mm: %" PRIu64 " invalidations, %" PRIu64 " change_pte, %" PRIu64
		       " written after free\n", hs.invalidations, hs.change_pte_calls,
		       hs.poison_corruptions);
	}
	if (ctx.oracle) {
		printf("oracle: %" PRIu64 " accesses checked in %" PRIu64 " epochs, %" PRIu64
		       " violations\n", ctx.oracle_checked, ctx.epochs, ctx.oracle_violations);
		printf("oracle: %.1f s of checking, not counted in the rates above\n", paused);
	}
	printf("check: %" PRIuFAST64 " bad RAM reads, %" PRIuFAST64 " unexpected errors\n",
	       atomic_load(&ctx.bad_reads), atomic_load(&ctx.errors));
	if (atomic_load(&ctx.bad_reads) || atomic_load(&ctx.errors) || hs.poison_corruptions ||
	    stats.change_pte_unbracketed || ctx.oracle_violations)
		ret = CMD_FAIL;
	if (ctx.o.json_f && write_json(&ctx, ctx.o.json_f, elapsed, ops, ok_ops, rejected, &hs,
				       ret == CMD_OK))
		ret = CMD_FAIL;

	vmmu_vm_destroy(ctx.vm);
	oracle_destroy(ctx.oracle);
	pthread_barrier_destroy(&ctx.start);
	pthread_barrier_destroy(&ctx.parked);
	pthread_barrier_destroy(&ctx.resume);
	if (ctx.o.direct)
		munmap(ctx.backing, ctx.backing_pages * PAGE);
	else
		vmmu_hostmm_destroy(ctx.mm);
	free(st);
	free(vt);
	printf("%s\n", ret == CMD_OK ? "PASS" : "FAIL");
	return ret;
}
