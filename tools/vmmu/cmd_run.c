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
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
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

#define TAG_MAGIC	0x564d4d5500000000ull	/* "VMMU" */
#define TAG_MASK	0xffffffff00000000ull
#define PAGE		4096ull

struct run_opts {
	double seconds;
	uint64_t seed;
	unsigned int vcpus;
	unsigned int slots;	/* per address space */
	unsigned int pages;	/* per slot */
	unsigned int mmio_gen_bits;
	unsigned int nr_as;
	bool quiet;
	bool direct;		/* plain host memory instead of a simulated host MM */
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
};

struct vcpu_thread {
	struct run_ctx *ctx;
	struct vmmu_vcpu *vcpu;
	uint64_t seed;
	pthread_t tid;
};

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
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
	       "  -t, --seconds N      run time (default 10)\n"
	       "  -s, --seed S         random seed (default: from the clock; printed)\n"
	       "  -v, --vcpus N        vCPU threads (default 2)\n"
	       "      --slots N        slot ids per address space (default 64)\n"
	       "      --pages N        pages per slot (default 16)\n"
	       "      --address-spaces N  1 or 2 (default 2)\n"
	       "      --mmio-gen-bits N   MMIO SPTE generation bits, 1..19 (default 19)\n"
	       "      --direct         back the slots with this process's memory instead of a\n"
	       "                       simulated host MM (no migrate/KSM/swap-out churn)\n"
	       "  -q, --quiet          no progress lines\n"
	       "Exit status: 0 when every access outcome was one the map allowed, 1 otherwise.\n");
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
		uint64_t val = 0;
		int ret;

		if (ctx->o.nr_as > 1 && (r >> 40) % 1024 == 0)
			vmmu_vcpu_set_address_space(t->vcpu, (r >> 50) & 1);
		if ((r >> 32) % 8 == 0) {
			/* A write into the page body, never over the tag. */
			val = r;
			ret = vmmu_vcpu_access(t->vcpu, gpa + 8 + ((r >> 20) % 500) * 8, &val, 8,
					       VMMU_ACCESS_WRITE, &exit);
		} else {
			ret = vmmu_vcpu_access(t->vcpu, gpa, &val, 8, 0, &exit);
			if (ret == 0 && ((val & TAG_MASK) != TAG_MAGIC ||
					 (val & ~TAG_MASK) >= ctx->backing_pages))
				atomic_fetch_add(&ctx->bad_reads, 1);
		}
		if (ret != 0 && ret != VMMU_EXIT_MMIO)
			atomic_fetch_add(&ctx->errors, 1);
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
		uint64_t b = ctx->backing_hva + ((r >> 24) % ctx->backing_pages) * PAGE;
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
		} else if (a != b) {
			/* Make b a copy of a, then let KSM find them equal. */
			rc = vmmu_hostmm_read(ctx->mm, a, page, PAGE);
			if (!rc)
				rc = vmmu_hostmm_write(ctx->mm, b, page, PAGE);
			if (!rc)
				rc = vmmu_hostmm_ksm_merge(ctx->mm, a, b);
			if (!rc)
				atomic_fetch_add(&ctx->mm_ksm, 1);
			else if (rc == -EAGAIN)
				atomic_fetch_add(&ctx->mm_ksm_refused, 1);	/* a vCPU wrote in between */
		} else {
			rc = 0;
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
		{ "vcpus", required_argument, 0, 'v' },
		{ "slots", required_argument, 0, 1 },
		{ "pages", required_argument, 0, 2 },
		{ "mmio-gen-bits", required_argument, 0, 3 },
		{ "address-spaces", required_argument, 0, 4 },
		{ "quiet", no_argument, 0, 'q' },
		{ "direct", no_argument, 0, 5 },
		{ 0, 0, 0, 0 }
	};
	struct timespec ts;
	int c;

	clock_gettime(CLOCK_REALTIME, &ts);
	*o = (struct run_opts){ .seconds = 10, .seed = (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec,
				.vcpus = 2, .slots = 64, .pages = 16, .mmio_gen_bits = 19,
				.nr_as = 2 };
	optind = 1;
	while ((c = getopt_long(argc, argv, "t:s:v:q", lo, NULL)) != -1) {
		switch (c) {
		case 't': o->seconds = strtod(optarg, NULL); break;
		case 's': o->seed = strtoull(optarg, NULL, 0); break;
		case 'v': o->vcpus = strtoul(optarg, NULL, 0); break;
		case 1: o->slots = strtoul(optarg, NULL, 0); break;
		case 2: o->pages = strtoul(optarg, NULL, 0); break;
		case 3: o->mmio_gen_bits = strtoul(optarg, NULL, 0); break;
		case 4: o->nr_as = strtoul(optarg, NULL, 0); break;
		case 'q': o->quiet = true; break;
		case 5: o->direct = true; break;
		default: return -1;
		}
	}
	if (optind != argc || o->seconds <= 0 || o->vcpus < 1 || o->vcpus > 256 ||
	    o->slots < 1 || o->slots > 4096 || o->pages < 1 || o->pages > 4096 ||
	    o->mmio_gen_bits < 1 || o->mmio_gen_bits > 19 || o->nr_as < 1 || o->nr_as > 2)
		return -1;
	if (!o->seed)
		o->seed = 1;
	return 0;
}

int cmd_run(int argc, char **argv)
{
	struct run_ctx ctx = { 0 };
	struct vmmu_vm_config cfg = { 0 };
	struct slot_state *st;
	struct vcpu_thread *vt;
	pthread_t churn_tid, dirty_tid;
	struct vmmu_hostmm_stats hs = { 0 };
	uint64_t s, ops = 0, ok_ops = 0, rejected = 0;
	double t0, t_end, next_report;
	struct vmmu_stats stats;
	int ret = CMD_OK;

	if (parse_opts(argc, argv, &ctx.o)) {
		cmd_run_usage();
		return CMD_USAGE;
	}
	s = ctx.o.seed;
	cfg.nr_address_spaces = ctx.o.nr_as;
	cfg.mmio_gen_bits = ctx.o.mmio_gen_bits;
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
		struct vmmu_hostmm_config mcfg = { .nr_frames = 2 * ctx.backing_pages + 256,
						   .nr_swap_slots = ctx.backing_pages };
		int rc = vmmu_hostmm_create(&mcfg, &ctx.mm);

		if (!rc)
			rc = vmmu_vm_attach_hostmm(ctx.vm, ctx.mm);
		if (!rc)
			rc = vmmu_hostmm_mmap(ctx.mm, ctx.backing_pages * PAGE, &ctx.backing_hva);
		for (uint64_t i = 0; !rc && i < ctx.backing_pages; i++) {
			uint64_t tag = TAG_MAGIC | i;

			rc = vmmu_hostmm_write(ctx.mm, ctx.backing_hva + i * PAGE, &tag, 8);
		}
		if (rc) {
			fprintf(stderr, "vmmu run: cannot set up the host MM: %s\n", vmmu_strerror(rc));
			return CMD_FAIL;
		}
	}

	printf("vmmu run: seed=%" PRIu64 " seconds=%.1f vcpus=%u address-spaces=%u "
	       "slots=%u pages/slot=%u mmio-gen-bits=%u\n", ctx.o.seed, ctx.o.seconds,
	       ctx.o.vcpus, ctx.o.nr_as, ctx.o.slots, ctx.o.pages, ctx.o.mmio_gen_bits);
	if (ctx.o.direct)
		printf("host memory: direct (this process's memory), dirty-log thread\n");
	else
		printf("host memory: simulated host MM, %" PRIu64 " frames, %" PRIu64 " swap slots; "
		       "host thread migrates, swaps out and KSM-merges; dirty-log thread\n",
		       2 * ctx.backing_pages + 256, ctx.backing_pages);

	/* vCPUs, the dirty-log thread, the host-MM thread (unless --direct), us. */
	pthread_barrier_init(&ctx.start, NULL, ctx.o.vcpus + 2 + !ctx.o.direct);
	if (pthread_create(&dirty_tid, NULL, dirty_log_main, &ctx) ||
	    (!ctx.o.direct && pthread_create(&churn_tid, NULL, mm_churn_main, &ctx))) {
		fprintf(stderr, "vmmu run: cannot start the host threads\n");
		return CMD_FAIL;
	}
	for (unsigned int i = 0; i < ctx.o.vcpus; i++) {
		vt[i].ctx = &ctx;
		vt[i].seed = ctx.o.seed * 0x9e3779b97f4a7c15ull + i + 1;
		if (vmmu_vcpu_create(ctx.vm, i, &vt[i].vcpu) ||
		    pthread_create(&vt[i].tid, NULL, vcpu_main, &vt[i])) {
			fprintf(stderr, "vmmu run: cannot start vCPU %u\n", i);
			return CMD_FAIL;
		}
	}
	pthread_barrier_wait(&ctx.start);

	t0 = now_sec();
	t_end = t0 + ctx.o.seconds;
	next_report = t0 + 1;
	while (now_sec() < t_end) {
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
		int rc;

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
		rc = vmmu_set_user_memory_region(ctx.vm, &m);
		ops++;
		if (rc == 0) {
			ok_ops++;
			ss->present = m.memory_size != 0;
			ss->gpa = m.guest_phys_addr;
			ss->flags = m.flags;
		} else if (rc == -EEXIST) {
			rejected++;
		} else {
			fprintf(stderr, "vmmu run: unexpected %d (%s) for slot %#x\n", rc,
				vmmu_strerror(rc), m.slot);
			atomic_fetch_add(&ctx.errors, 1);
		}

		if (!ctx.o.quiet && now_sec() >= next_report) {
			double el = now_sec() - t0;

			printf("  %5.1fs  memslot ops %9" PRIu64 "  gen AS0 %" PRIu64, el, ops,
			       vmmu_memslots_generation(ctx.vm, 0));
			if (ctx.o.nr_as > 1)
				printf("  AS1 %" PRIu64, vmmu_memslots_generation(ctx.vm, 1));
			printf("\n");
			fflush(stdout);
			next_report += 1;
		}
	}
	double elapsed = now_sec() - t0;

	atomic_store(&ctx.stop, true);
	for (unsigned int i = 0; i < ctx.o.vcpus; i++)
		pthread_join(vt[i].tid, NULL);
	pthread_join(dirty_tid, NULL);
	if (!ctx.o.direct) {
		pthread_join(churn_tid, NULL);
		vmmu_hostmm_get_stats(ctx.mm, &hs);
	}

	vmmu_vm_get_stats(ctx.vm, &stats);
	printf("memslot: %" PRIu64 " ops (%" PRIu64 " applied, %" PRIu64 " -EEXIST), %.0f ops/s, "
	       "%" PRIu64 " swaps\n", ops, ok_ops, rejected, ops / elapsed, stats.memslot_swaps);
	printf("generation trail: AS0 0 -> %" PRIu64, vmmu_memslots_generation(ctx.vm, 0));
	if (ctx.o.nr_as > 1)
		printf(", AS1 1 -> %" PRIu64, vmmu_memslots_generation(ctx.vm, 1));
	printf("\n");
	printf("access: %" PRIuFAST64 " accesses, %.0f/s, %" PRIu64 " TLB fills, %" PRIu64
	       " MMIO exits\n", atomic_load(&ctx.accesses), atomic_load(&ctx.accesses) / elapsed,
	       stats.tlb_fills, stats.mmio_exits);
	printf("mmio: %" PRIu64 " SPTEs created, %" PRIu64 " fast hits, %" PRIu64
	       " cache hits, %" PRIu64 " generation misses (RET_PF_INVALID), %" PRIu64
	       " wrap zaps\n", stats.mmio_sptes_created, stats.fast_mmio_hits,
	       stats.mmio_cache_hits, stats.pf_invalid, stats.mmio_wrap_zaps);
	printf("faults: %" PRIu64 " fixed, %" PRIu64 " spurious, %" PRIu64 " retry (%" PRIu64
	       " INVALID slot), %" PRIu64 " zap-all, %" PRIu64 " slot zaps, %" PRIu64
	       " TLB flushes\n", stats.pf_fixed, stats.pf_spurious, stats.pf_retry,
	       stats.invalid_slot_retries, stats.zap_all_fast, stats.slot_zaps,
	       stats.remote_tlb_flush_requests);
	printf("dirty-log: %" PRIuFAST64 " rounds, %" PRIuFAST64 " GET_DIRTY_LOG calls, %"
	       PRIuFAST64 " dirty pages\n", atomic_load(&ctx.dirty_rounds),
	       atomic_load(&ctx.dirty_gets), atomic_load(&ctx.dirty_pages));
	if (!ctx.o.direct) {
		printf("host-mm: %" PRIuFAST64 " migrations, %" PRIuFAST64 " swap-outs (%" PRIu64
		       " swap-ins), %" PRIuFAST64 " KSM merges (%" PRIuFAST64 " refused), %" PRIu64
		       " COW breaks, %" PRIu64 " first-touch faults\n", atomic_load(&ctx.mm_migrate),
		       atomic_load(&ctx.mm_swap_out), hs.swap_ins, atomic_load(&ctx.mm_ksm),
		       atomic_load(&ctx.mm_ksm_refused), hs.cow_breaks, hs.faults);
		printf("host-mm notifiers: %" PRIu64 " invalidations, %" PRIu64 " change_pte, %"
		       PRIu64 " faults retried, %" PRIu64 " frames freed (poisoned), %" PRIu64
		       " written after free\n", hs.invalidations, hs.change_pte_calls,
		       stats.notifier_retries, hs.frames_freed, hs.poison_corruptions);
	}
	printf("check: %" PRIuFAST64 " bad RAM reads, %" PRIuFAST64 " unexpected errors\n",
	       atomic_load(&ctx.bad_reads), atomic_load(&ctx.errors));
	if (atomic_load(&ctx.bad_reads) || atomic_load(&ctx.errors) || hs.poison_corruptions ||
	    stats.change_pte_unbracketed)
		ret = CMD_FAIL;

	vmmu_vm_destroy(ctx.vm);
	pthread_barrier_destroy(&ctx.start);
	if (ctx.o.direct)
		munmap(ctx.backing, ctx.backing_pages * PAGE);
	else
		vmmu_hostmm_destroy(ctx.mm);
	free(st);
	free(vt);
	printf("%s\n", ret == CMD_OK ? "PASS" : "FAIL");
	return ret;
}
