// SPDX-License-Identifier: MIT
/*
 * vCPUs against the simulated host MM, with real threads.
 *
 * Guest RAM is 2 * NR_PAIRS pages of a simulated MM, in two memslots (the
 * second logs dirty pages).  The pages come in pairs with identical contents,
 * so KSM merges succeed:
 *
 *	word 0     TAG(pair)                         never written by a vCPU
 *	word w>0   VAL(pair, w, n)                   n = 0 initially
 *
 * W pairs belong to one vCPU each: it writes VAL(pair, w, n) with a fresh n
 * to word w of both pages (so the pair stays mergeable) and remembers it.
 * R pairs are only read by vCPUs; the host thread drops their pages
 * (MADV_DONTNEED, or munmap + mmap at the same address), after which they
 * read as zero, and sometimes writes their contents back.
 *
 * Meanwhile the host thread migrates, swaps out and KSM-merges pages at
 * random, and takes the dirty log.  Checked:
 *  - every read returns a value its page can hold: never poison, never a
 *    word of another pair or another word; a vCPU reading its own W pair
 *    gets exactly the value it last wrote;
 *  - no acknowledged write is lost: at the end the frames the host MM holds
 *    (vmmu_hostmm_read) have exactly the last values written;
 *  - faults raced invalidations and retried (notifier_retries > 0, and more
 *    than the COW breaks alone explain), and each kind of host operation
 *    happened;
 *  - no freed frame was written (poison_corruptions == 0), no change_pte was
 *    refused.
 *
 * Accesses: argv[1], else 10^7, else 10^6 with VMMU_TEST_SHORT=1 (the TSan
 * build sets it).  The vCPUs go on past that count (for at most
 * RACE_WAIT_SECONDS) until the retry check can be decided.  VMMU_TEST_SEED
 * fixes the seed.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "test_util.h"
#include "vmmu.h"
#include "vmmu/hostmm.h"

#define PAGE		4096ull
#define WORDS		(PAGE / 8)
#define NR_VCPUS	2
#define NR_W_PAIRS	64		/* NR_W_PAIRS / NR_VCPUS per vCPU */
#define NR_R_PAIRS	32
#define NR_PAIRS	(NR_W_PAIRS + NR_R_PAIRS)
#define NR_PAGES	(2 * NR_PAIRS)
#define GPA_BASE	0x40000000ull
#define RACE_WAIT_SECONDS 30.0

#define TAG_MAGIC	0x5441470000000000ull		/* "TAG" */
#define VAL_MAGIC	0x56ull				/* 'V' in bits 56..63 */

static inline uint64_t TAG(uint64_t pair)
{
	return TAG_MAGIC | pair;
}

static inline uint64_t VAL(uint64_t pair, uint64_t w, uint64_t n)
{
	return (VAL_MAGIC << 56) | (pair << 40) | (w << 31) | (n & 0x7fffffffull);
}

static inline bool is_w_pair(uint64_t pair)
{
	return pair < NR_W_PAIRS;
}

static inline unsigned int owner(uint64_t pair)
{
	return pair % NR_VCPUS;
}

struct ctx {
	struct vmmu_hostmm *mm;
	struct vmmu_vm *vm;
	uint64_t hva;
	uint64_t accesses_per_vcpu;
	uint64_t seed;
	atomic_bool stop;
	atomic_uint running;		/* vCPUs that have not done their quota yet */
	atomic_uint_fast64_t accesses;
	pthread_barrier_t start;
	/* failures */
	atomic_uint_fast64_t bad, poison, lost;
	atomic_uint_fast64_t efault_r;		/* -EFAULT on dropped R pages: allowed */
	atomic_uint_fast64_t host_ops[8];
	pthread_mutex_t report_lock;
	unsigned int reported;
};

struct vcpu_thread {
	struct ctx *c;
	unsigned int id;
	struct vmmu_vcpu *vcpu;
	pthread_t tid;
	uint64_t expected[NR_W_PAIRS][WORDS];	/* own pairs only */
	uint64_t n;
};

static void report(struct ctx *c, const char *what, unsigned int vcpu, uint64_t page, uint64_t w,
		   uint64_t got, uint64_t want)
{
	pthread_mutex_lock(&c->report_lock);
	if (c->reported++ < 10)
		fprintf(stderr, "vCPU %u: %s: page %" PRIu64 " word %" PRIu64 ": got %#018" PRIx64
			" expected %#018" PRIx64 "\n", vcpu, what, page, w, got, want);
	pthread_mutex_unlock(&c->report_lock);
}

/* A value that a page of @pair may hold in word @w when its owner is not us. */
static bool plausible(uint64_t pair, uint64_t w, uint64_t v)
{
	if (!is_w_pair(pair))
		return v == 0 || v == (w ? VAL(pair, w, 0) : TAG(pair));
	if (!w)
		return v == TAG(pair);
	return (v >> 56) == VAL_MAGIC && ((v >> 40) & 0xffff) == pair && ((v >> 31) & 0x1ff) == w;
}

static void *vcpu_main(void *arg)
{
	struct vcpu_thread *t = arg;
	struct ctx *c = t->c;
	struct test_rng rng;
	struct vmmu_exit ex;
	bool quota_done = false;
	uint64_t i;

	test_rng_init(&rng, c->seed * 0x9e3779b97f4a7c15ull + t->id + 1);
	pthread_barrier_wait(&c->start);
	for (i = 0; !atomic_load_explicit(&c->stop, memory_order_relaxed);) {
		uint64_t r = test_rng_next(&rng);

		if (i >= c->accesses_per_vcpu && !quota_done) {
			quota_done = true;
			atomic_fetch_sub(&c->running, 1);
		}
		uint64_t pair, page, w, v = 0, gpa;
		int ret;

		if (r & 1) {
			/* One of our own W pairs. */
			pair = ((r >> 8) % (NR_W_PAIRS / NR_VCPUS)) * NR_VCPUS + t->id;
			w = 1 + (r >> 20) % (WORDS - 1);
			if ((r >> 1) & 1) {
				v = VAL(pair, w, ++t->n);
				for (page = 2 * pair; page <= 2 * pair + 1; page++) {
					gpa = GPA_BASE + page * PAGE + w * 8;
					ret = vmmu_vcpu_access(t->vcpu, gpa, &v, 8, VMMU_ACCESS_WRITE, &ex);
					TEST_ASSERT(ret == 0, "vCPU %u write page %" PRIu64 ": %d (%s)",
						    t->id, page, ret, vmmu_strerror(ret));
				}
				t->expected[pair][w] = v;
				i += 2;
				continue;
			}
			page = 2 * pair + ((r >> 2) & 1);
			gpa = GPA_BASE + page * PAGE + w * 8;
			ret = vmmu_vcpu_access(t->vcpu, gpa, &v, 8, 0, &ex);
			TEST_ASSERT(ret == 0, "vCPU %u read page %" PRIu64 ": %d", t->id, page, ret);
			if (v != t->expected[pair][w]) {
				atomic_fetch_add(&c->lost, 1);
				if (v == VMMU_HOSTMM_POISON)
					atomic_fetch_add(&c->poison, 1);
				report(c, "own word changed", t->id, page, w, v, t->expected[pair][w]);
			}
			i++;
			continue;
		}
		/* Any page, any word. */
		page = (r >> 8) % NR_PAGES;
		pair = page / 2;
		w = (r >> 24) % WORDS;
		gpa = GPA_BASE + page * PAGE + w * 8;
		ret = vmmu_vcpu_access(t->vcpu, gpa, &v, 8, 0, &ex);
		i++;
		if (ret == -EFAULT && !is_w_pair(pair)) {
			atomic_fetch_add(&c->efault_r, 1);	/* between munmap and mmap */
			continue;
		}
		TEST_ASSERT(ret == 0, "vCPU %u read page %" PRIu64 ": %d (%s)", t->id, page, ret,
			    vmmu_strerror(ret));
		if (is_w_pair(pair) && owner(pair) == t->id && w) {
			if (v != t->expected[pair][w]) {
				atomic_fetch_add(&c->lost, 1);
				report(c, "own word changed", t->id, page, w, v, t->expected[pair][w]);
			}
		} else if (!plausible(pair, w, v)) {
			atomic_fetch_add(&c->bad, 1);
			if (v == VMMU_HOSTMM_POISON)
				atomic_fetch_add(&c->poison, 1);
			report(c, "impossible value", t->id, page, w, v, w ? VAL(pair, w, 0) : TAG(pair));
		}
	}
	atomic_fetch_add(&c->accesses, i);
	return NULL;
}

enum { OP_MIGRATE, OP_SWAP, OP_KSM_PAIR, OP_KSM_ANY, OP_DONTNEED, OP_REMAP, OP_RESTORE, OP_DIRTY };

static void fill_pair_page(struct ctx *c, uint64_t page)
{
	uint64_t buf[WORDS], pair = page / 2;
	int r;

	buf[0] = TAG(pair);
	for (uint64_t w = 1; w < WORDS; w++)
		buf[w] = VAL(pair, w, 0);
	r = vmmu_hostmm_write(c->mm, c->hva + page * PAGE, buf, PAGE);
	TEST_ASSERT(r == 0, "restore page %" PRIu64 ": %d", page, r);
}

/*
 * Can the run stop?  Once every vCPU has done its quota, when every kind of
 * host operation the final checks name has happened at least once and
 * faults have retried at least half as often as COW broke (a vCPU write that
 * breaks COW retries once by itself, on its own bracket; with range-precise
 * retry other invalidations make it retry only in its own granule), or when
 * time is up.  (A short run whose seed had made no COW break yet used to
 * stop on "10 retries > 0 COW breaks" and then fail its coverage check.)
 */
/* Every kind of host operation the final checks require happened. */
static bool all_ops_seen(const struct vmmu_hostmm_stats *hs)
{
	return hs->migrations && hs->swap_outs && hs->swap_ins && hs->ksm_merges && hs->cow_breaks;
}

static bool race_seen(struct ctx *c, double t0)
{
	struct vmmu_hostmm_stats hs;
	struct vmmu_stats st;

	if (atomic_load(&c->running))
		return false;
	st = test_vm_stats(c->vm);
	TEST_ASSERT_EQ(vmmu_hostmm_get_stats(c->mm, &hs), 0);
	if (test_now() - t0 > RACE_WAIT_SECONDS)
		return true;
	return all_ops_seen(&hs) && 2 * st.notifier_retries > hs.cow_breaks;
}

/* The host side: the only thread that changes the MM's page table by itself. */
static void host_churn(struct ctx *c, double t0)
{
	uint64_t bitmap[(NR_PAGES / 2 + 63) / 64], n = 0;
	struct test_rng rng;

	test_rng_init(&rng, c->seed ^ 0x5bd1e995);
	for (;; n++) {
		uint64_t r = test_rng_next(&rng);
		uint64_t page = (r >> 8) % NR_PAGES, hva = c->hva + page * PAGE, h;
		unsigned int op = (r >> 32) % 16;
		bool r_page = !is_w_pair(page / 2);
		int ret;

		if (!(n % 256) && race_seen(c, t0)) {
			atomic_store(&c->stop, true);
			return;
		}
		/* 0-3 migrate, 4-6 swap, 7-9 KSM pair, 10 KSM any, 11-15 R-page ops / dirty log */
		if (op < 4) {
			op = OP_MIGRATE;
			ret = vmmu_hostmm_migrate(c->mm, hva);
			TEST_ASSERT(ret == 0 || ret == -EAGAIN || ret == -EBUSY, "migrate: %d", ret);
		} else if (op < 7) {
			op = OP_SWAP;
			ret = vmmu_hostmm_swap_out(c->mm, hva);
			TEST_ASSERT(ret == 0 || ret == -EAGAIN || ret == -EBUSY, "swap_out: %d", ret);
		} else if (op < 10) {
			op = OP_KSM_PAIR;
			ret = vmmu_hostmm_ksm_merge(c->mm, c->hva + (page & ~1ull) * PAGE,
						    c->hva + (page | 1) * PAGE);
			TEST_ASSERT(ret == 0 || ret == -EAGAIN || ret == -EFAULT, "ksm: %d", ret);
		} else if (op < 11) {
			op = OP_KSM_ANY;
			h = c->hva + ((r >> 40) % NR_PAGES) * PAGE;
			ret = h == hva ? -EAGAIN : vmmu_hostmm_ksm_merge(c->mm, hva, h);
			TEST_ASSERT(ret == 0 || ret == -EAGAIN || ret == -EFAULT, "ksm: %d", ret);
		} else if (op == 15) {
			op = OP_DIRTY;
			ret = vmmu_get_dirty_log(c->vm, 1, bitmap);
			TEST_ASSERT(ret == 0, "get_dirty_log: %d", ret);
		} else if (!r_page) {
			continue;
		} else if (op < 13) {
			op = OP_DONTNEED;
			ret = vmmu_hostmm_madv_dontneed(c->mm, hva, PAGE);
			TEST_ASSERT(ret == 0, "dontneed: %d", ret);
		} else if (op < 14) {
			op = OP_REMAP;
			ret = vmmu_hostmm_munmap(c->mm, hva, PAGE);
			TEST_ASSERT(ret == 0, "munmap: %d", ret);
			h = hva;
			ret = vmmu_hostmm_mmap(c->mm, PAGE, &h);
			TEST_ASSERT(ret == 0, "mmap fixed: %d", ret);
		} else {
			op = OP_RESTORE;
			fill_pair_page(c, page);
			ret = 0;
		}
		if (ret == 0)
			atomic_fetch_add_explicit(&c->host_ops[op], 1, memory_order_relaxed);
	}
}

int main(int argc, char **argv)
{
	static struct vcpu_thread vt[NR_VCPUS];
	struct vmmu_hostmm_config mcfg = { .nr_frames = 2 * NR_PAGES + 64, .nr_swap_slots = NR_PAGES };
	bool short_run = test_short_env();
	uint64_t total = short_run ? 1000000 : 10000000, lost_final = 0;
	struct vmmu_hostmm_stats hs;
	struct vmmu_stats st;
	struct ctx c = { 0 };
	double t0, el;

	if (argc > 1)
		total = strtoull(argv[1], NULL, 0);
	c.seed = test_seed(NULL);
	c.accesses_per_vcpu = total / NR_VCPUS;
	printf("test_hostmm_race: seed=%#" PRIx64 " accesses=%" PRIu64 " vcpus=%d pages=%d%s\n",
	       c.seed, total, NR_VCPUS, NR_PAGES, short_run ? " (short)" : "");
	pthread_mutex_init(&c.report_lock, NULL);

	TEST_ASSERT_EQ(vmmu_hostmm_create(&mcfg, &c.mm), 0);
	c.vm = test_vm_create(NULL);
	TEST_ASSERT_EQ(vmmu_vm_attach_hostmm(c.vm, c.mm), 0);
	TEST_ASSERT_EQ(vmmu_hostmm_mmap(c.mm, NR_PAGES * PAGE, &c.hva), 0);
	for (uint64_t p = 0; p < NR_PAGES; p++)
		fill_pair_page(&c, p);
	/* Slot 0: the first half; slot 1, logging dirty pages: the second. */
	for (uint32_t s = 0; s < 2; s++)
		TEST_SET_REGION_OK(c.vm, s, s ? VMMU_MEM_LOG_DIRTY_PAGES : 0,
				   GPA_BASE + s * (NR_PAGES / 2) * PAGE, (NR_PAGES / 2) * PAGE,
				   c.hva + s * (NR_PAGES / 2) * PAGE);

	pthread_barrier_init(&c.start, NULL, NR_VCPUS + 1);
	atomic_store(&c.running, NR_VCPUS);
	for (unsigned int i = 0; i < NR_VCPUS; i++) {
		vt[i].c = &c;
		vt[i].id = i;
		for (uint64_t p = 0; p < NR_W_PAIRS; p++)
			for (uint64_t w = 0; w < WORDS; w++)
				vt[i].expected[p][w] = w ? VAL(p, w, 0) : TAG(p);
		vt[i].vcpu = test_vcpu_create(c.vm, i);
		TEST_ASSERT_EQ(pthread_create(&vt[i].tid, NULL, vcpu_main, &vt[i]), 0);
	}
	pthread_barrier_wait(&c.start);
	t0 = test_now();
	host_churn(&c, t0);
	for (unsigned int i = 0; i < NR_VCPUS; i++)
		pthread_join(vt[i].tid, NULL);
	el = test_now() - t0;

	/* No acknowledged write lost: the host MM's frames hold the last values. */
	for (uint64_t pair = 0; pair < NR_W_PAIRS; pair++) {
		const struct vcpu_thread *t = &vt[owner(pair)];

		for (uint64_t page = 2 * pair; page <= 2 * pair + 1; page++) {
			uint64_t buf[WORDS];

			TEST_ASSERT_EQ(vmmu_hostmm_read(c.mm, c.hva + page * PAGE, buf, PAGE), 0);
			for (uint64_t w = 0; w < WORDS; w++) {
				if (buf[w] == t->expected[pair][w])
					continue;
				if (lost_final++ < 10)
					fprintf(stderr, "final: page %" PRIu64 " word %" PRIu64
						": %#018" PRIx64 ", last written %#018" PRIx64 "\n",
						page, w, buf[w], t->expected[pair][w]);
			}
		}
	}

	st = test_vm_stats(c.vm);
	TEST_ASSERT_EQ(vmmu_hostmm_get_stats(c.mm, &hs), 0);
	printf("%.2fs, %" PRIuFAST64 " accesses, %.0f/s; host ops: %" PRIuFAST64 " migrate, %" PRIuFAST64
	       " swap-out, %" PRIuFAST64 "+%" PRIuFAST64 " KSM merges, %" PRIuFAST64
	       " dontneed, %" PRIuFAST64 " munmap+mmap, %" PRIuFAST64 " restores, %" PRIuFAST64
	       " dirty-log rounds\n", el, c.accesses, c.accesses / el, c.host_ops[OP_MIGRATE],
	       c.host_ops[OP_SWAP],
	       c.host_ops[OP_KSM_PAIR], c.host_ops[OP_KSM_ANY], c.host_ops[OP_DONTNEED],
	       c.host_ops[OP_REMAP], c.host_ops[OP_RESTORE], c.host_ops[OP_DIRTY]);
	printf("host MM: %" PRIu64 " COW breaks, %" PRIu64 " wp reuses, %" PRIu64 " swap-ins, %"
	       PRIu64 " first-touch faults, %" PRIu64 " KSM merges failed, %" PRIu64
	       " invalidations, %" PRIu64 " change_pte, %" PRIu64 " frames freed\n",
	       hs.cow_breaks, hs.wp_reuses, hs.swap_ins, hs.faults, hs.ksm_merge_failed,
	       hs.invalidations, hs.change_pte_calls, hs.frames_freed);
	printf("VM: %" PRIu64 " faults fixed, %" PRIu64 " retries (%" PRIu64
	       " notifier), %" PRIu64 " SPTEs zapped, %" PRIu64 " TLB flushes; %" PRIuFAST64
	       " -EFAULT reads of unmapped R pages\n", st.pf_fixed, st.pf_retry,
	       st.notifier_retries, st.sptes_zapped, st.remote_tlb_flush_requests, c.efault_r);
	printf("check: %" PRIuFAST64 " impossible reads (%" PRIuFAST64 " poison), %" PRIuFAST64
	       " own-word mismatches, %" PRIu64 " lost writes at the end, %" PRIu64
	       " poison corruptions\n", c.bad, c.poison, c.lost, lost_final, hs.poison_corruptions);

	TEST_ASSERT_EQ(atomic_load(&c.bad), 0);
	TEST_ASSERT_EQ(atomic_load(&c.lost), 0);
	TEST_ASSERT_EQ(lost_final, 0);
	TEST_ASSERT_EQ(hs.poison_corruptions, 0);
	TEST_ASSERT_EQ(st.change_pte_unbracketed, 0);
	/*
	 * See race_seen().  With range-precise retry only an invalidation of
	 * the fault's own 256 KiB granule makes it retry, and not every COW
	 * break is a fault's own (read/write_guest break COW too), so half as
	 * many retries as COW breaks is the evidence now.
	 */
	TEST_ASSERT(2 * st.notifier_retries > hs.cow_breaks, "no fault raced an invalidation in %.0fs: %"
		    PRIu64 " retries, %" PRIu64 " COW breaks", el, st.notifier_retries,
		    hs.cow_breaks);
	TEST_ASSERT(all_ops_seen(&hs),
		    "an operation never happened: %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
		    " %" PRIu64, hs.migrations, hs.swap_outs, hs.swap_ins, hs.ksm_merges,
		    hs.cow_breaks);

	vmmu_vm_destroy(c.vm);
	TEST_ASSERT_EQ(vmmu_hostmm_destroy(c.mm), 0);
	pthread_barrier_destroy(&c.start);
	pthread_mutex_destroy(&c.report_lock);
	printf("PASS\n");
	return KSFT_PASS;
}
