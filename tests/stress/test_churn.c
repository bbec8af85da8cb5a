/* SPDX-License-Identifier: MIT */
/*
 * Memslot churn against concurrent guest reads, checked offline.
 *
 * One updater thread creates, moves, deletes and re-flags slots at random in
 * both address spaces (16 slot ids per address space in a 512-page gpa
 * window), and also issues calls that must fail (overlaps, a changed size,
 * hva or READONLY flag, deleting a missing slot) or change nothing.  Each
 * slot id owns a fixed host region, so its hva never changes; page k of the
 * region of (as, id) holds TAG(as, id, k) in its first qword and the
 * complement in its last.  N vCPU threads read window pages and unbacked
 * gpas at random, some in address space 1, switching now and then.
 *
 * The oracle: a global atomic clock.  The updater takes a stamp before and
 * after each vmmu_set_user_memory_region() call; a vCPU takes one before and
 * after each access and logs (as, gpa, RAM value or MMIO, t_start, t_end).
 * State S_k is the map after the k-th successful change (S_0 is empty); it
 * exists from somewhere inside call k to somewhere inside call k + 1, so an
 * access [s, e] may observe it iff s <= t_after(k + 1) and e >= t_before(k).
 * After the run every access must be explained by one of the states it
 * overlapped: RAM with the tag of the page that state maps at that gpa in
 * that address space, or an MMIO exit where that state has no slot.  This is
 * the API's promise: once a call returns nothing of the old map is used, and
 * an access in flight may still complete under it.  Each vCPU logs at most
 * 2M accesses (256K in a short run), sampled so that the checked ones spread
 * over the whole run; every access, logged or not, must return RAM or an
 * MMIO exit with the right exit data.  The updater also checks each call's
 * result and generation step against its own model of the map.
 *
 * Variants (same seed): the default config; mmio_gen_bits = 3, so the MMIO
 * generation wraps every few updates and zaps everything; and
 * VMMU_VM_QUIRK_SLOT_ZAP_ALL.
 *
 * Usage: test_churn [seed [ops [vcpus]]]
 *	ops (updater calls per variant) defaults to 20000, or 5000 when
 *	VMMU_TEST_SHORT=1 is set or the test is built with ThreadSanitizer;
 *	vcpus defaults to 2.  Also VMMU_TEST_SEED.
 */
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include <vmmu.h>

#include "../test_util.h"

#define PAGE		VMMU_PAGE_SIZE
#define NR_AS		2u
#define NR_IDS		16u
#define MAX_SLOT_PAGES	32u
/* 512 pages straddling the 1 GiB line: two last-level tables, two level-2 tables. */
#define WIN_GFN		((0x40000000ull >> 12) - 256)
#define WIN_PAGES	512u
#define MAX_VCPUS	64u
#define TAG(as, id, page) \
	(0x7461670000000000ull | ((uint64_t)(as) << 24) | ((uint64_t)(id) << 16) | (uint64_t)(page))
#define TAG_MAGIC_MASK	0xffffffff00000000ull
#define TAG_MAGIC	0x7461670000000000ull

/* gpas no slot ever maps (always MMIO); the last is beyond the 48-bit table. */
static const uint64_t outside_gpa[] = {
	0,
	(WIN_GFN + WIN_PAGES + 1000) << 12,
	0xfee00000,
	(1ull << 48) - PAGE,
	1ull << 48,
};
#define NR_OUTSIDE	ARRAY_SIZE(outside_gpa)

/*
 * The clock must not give ThreadSanitizer happens-before edges the library
 * does not provide: seq_cst RMWs on one location chain every stamp to every
 * later one, which would order each update before every access that starts
 * after it and hide races in between.  Under TSan the stamps are relaxed
 * (still one modification order, and x86's locked add keeps them in place
 * around the opaque library calls); elsewhere seq_cst, as the oracle needs.
 */
#if TEST_TSAN
#define ORACLE_MO	memory_order_relaxed
#else
#define ORACLE_MO	memory_order_seq_cst
#endif

enum op_kind { OP_CREATE, OP_DELETE, OP_MOVE, OP_FLAGS, OP_NOOP, OP_BAD, OP_NR };
static const char *const op_name[OP_NR] = {
	"CREATE", "DELETE", "MOVE", "FLAGS_ONLY", "no-op", "invalid",
};

/* One vmmu_set_user_memory_region() call that changed the map. */
struct op_rec {
	uint32_t tb, ta;	/* clock before and after the call */
	uint32_t seq;		/* index among all calls of the run */
	uint8_t kind, as, id;
	uint8_t flags;
	uint32_t npages;
	uint64_t base_gfn;	/* new base (CREATE, MOVE, FLAGS), old base (DELETE) */
	uint64_t old_base_gfn;
};

/* One guest read. */
struct access_rec {
	uint64_t val;		/* RAM: the tag (the last qword is complemented back) */
	uint32_t s, e;		/* clock before and after */
	uint32_t where;		/* window page, or WIN_PAGES + outside_gpa index */
	uint8_t as;
	uint8_t mmio;
	uint8_t hi;		/* read the last qword of the page */
	uint8_t pad;
};

struct model_slot {
	bool present;
	uint32_t flags;
	uint32_t npages;
	uint64_t base_gfn;
};

struct churn;

struct vcpu_ctx {
	struct churn *c;
	unsigned int idx;
	struct vmmu_vcpu *vcpu;
	pthread_t thread;
	uint64_t seed;
	struct access_rec *log;
	size_t nr_log, cap;
	uint64_t accesses, ram, mmio, as_switches, sample_shift;
	/* accesses so far, for the updater's pacing (relaxed: no HB edges) */
	_Atomic uint64_t progress;
};

struct churn {
	const char *variant;
	struct vmmu_vm_config cfg;
	struct vmmu_vm *vm;
	uint64_t seed;
	unsigned long nr_calls;
	unsigned int nr_vcpus;
	size_t log_cap;

	uint8_t *backing;
	size_t backing_size;
	uint32_t region_pages[NR_AS][NR_IDS];

	pthread_barrier_t start;
	_Atomic uint64_t clock;
	atomic_bool stop;
	_Atomic uint64_t calls_begun;	/* updater progress, for the log budget */

	/* updater only; read after the join */
	struct model_slot model[NR_AS][NR_IDS];
	struct op_rec *ops;
	size_t nr_ops;
	unsigned long calls_by_kind[OP_NR], eexist, einval, dirty_checks;

	struct vcpu_ctx vcpus[MAX_VCPUS];
};

static inline uint32_t stamp(struct churn *c)
{
	return (uint32_t)atomic_fetch_add_explicit(&c->clock, 1, ORACLE_MO);
}

static uint64_t region_hva(const struct churn *c, unsigned int as, unsigned int id)
{
	size_t off = ((size_t)as * NR_IDS + id) * MAX_SLOT_PAGES * PAGE;

	return (uint64_t)(uintptr_t)(c->backing + off);
}

/* ------------------------------------------------------------------------ */
/* The updater                                                               */
/* ------------------------------------------------------------------------ */

static bool model_overlaps(const struct churn *c, unsigned int as, unsigned int id,
			   uint64_t base, uint64_t npages)
{
	for (unsigned int i = 0; i < NR_IDS; i++) {
		const struct model_slot *m = &c->model[as][i];

		if (i == id || !m->present)
			continue;
		if (base < m->base_gfn + m->npages && m->base_gfn < base + npages)
			return true;
	}
	return false;
}

/* GET_DIRTY_LOG: vCPUs only read, so a logging slot never has a dirty page. */
static void check_dirty_log(struct churn *c, unsigned int as, unsigned int id)
{
	const struct model_slot *m = &c->model[as][id];
	uint64_t bitmap[(MAX_SLOT_PAGES + 1 + 63) / 64];
	int r;

	memset(bitmap, 0xa5, sizeof(bitmap));
	r = vmmu_get_dirty_log(c->vm, (as << 16) | id, bitmap);
	if (!m->present || !(m->flags & VMMU_MEM_LOG_DIRTY_PAGES)) {
		TEST_ASSERT(r == -ENOENT,
			    "%s: GET_DIRTY_LOG of AS%u slot %u (%s): %d, want -ENOENT", c->variant,
			    as, id, m->present ? "not logging" : "absent", r);
		return;
	}
	TEST_ASSERT(r == 0, "%s: GET_DIRTY_LOG of AS%u slot %u: %d (%s)", c->variant, as, id, r,
		    vmmu_strerror(r));
	for (uint32_t p = 0; p < m->npages; p++)
		TEST_ASSERT(!(bitmap[p / 64] & (1ull << (p % 64))),
			    "%s: AS%u slot %u page %u dirty, but the guest only reads", c->variant,
			    as, id, p);
	c->dirty_checks++;
}

static uint64_t vcpu_progress(struct churn *c)
{
	uint64_t sum = 0;

	for (unsigned int i = 0; i < c->nr_vcpus; i++)
		sum += atomic_load_explicit(&c->vcpus[i].progress, memory_order_relaxed);
	return sum;
}

/*
 * After a quarter of the changes, let the vCPUs make a few accesses in the
 * new state before the next call (so they warm their TLBs and MMIO SPTEs up
 * on it); otherwise calls come back to back.  This is pacing only, nothing
 * depends on it: the spin is bounded by an iteration count (when the threads
 * outnumber the CPUs a preempted vCPU makes no progress for a timeslice, and
 * waiting for it would only slow the run down).  Never sleeps.
 */
static void updater_pace(struct churn *c, struct test_rng *rng)
{
	uint64_t target;

	if (test_rng_below(rng, 4))
		return;
	target = vcpu_progress(c) + 1 + test_rng_below(rng, 64);
	for (unsigned int spins = 0; spins < 4096 && vcpu_progress(c) < target; spins++)
		__builtin_ia32_pause();
}

static void *updater_thread(void *arg)
{
	struct churn *c = arg;
	uint32_t nr_as = c->cfg.nr_address_spaces;
	struct test_rng rng;

	test_rng_init(&rng, c->seed ^ 0x5851f42d4c957f2dull);
	pthread_barrier_wait(&c->start);

	for (unsigned long n = 0; n < c->nr_calls; n++) {
		unsigned int as = test_rng_below(&rng, NR_AS), id = test_rng_below(&rng, NR_IDS);
		struct model_slot *m = &c->model[as][id];
		struct vmmu_userspace_memory_region mem = {
			.slot = (as << 16) | id,
			.userspace_addr = region_hva(c, as, id),
		};
		enum op_kind kind;
		uint64_t g0[NR_AS], g1[NR_AS], delta = 0;
		uint32_t tb, ta;
		int want = 0, r;

		atomic_store_explicit(&c->calls_begun, n + 1, memory_order_relaxed);
		if (!m->present) {
			if (!test_rng_below(&rng, 16)) {
				kind = OP_BAD;		/* DELETE of a missing slot */
				mem.guest_phys_addr = WIN_GFN + test_rng_below(&rng, WIN_PAGES);
				mem.guest_phys_addr <<= 12;
				want = -EINVAL;
			} else {
				uint64_t npages, base;

				npages = 1 + test_rng_below(&rng, c->region_pages[as][id]);
				base = WIN_GFN + test_rng_below(&rng, WIN_PAGES - npages + 1);

				kind = OP_CREATE;
				mem.guest_phys_addr = base << 12;
				mem.memory_size = npages * PAGE;
				if (!test_rng_below(&rng, 4))
					mem.flags |= VMMU_MEM_LOG_DIRTY_PAGES;
				if (!test_rng_below(&rng, 8))
					mem.flags |= VMMU_MEM_READONLY;
				want = model_overlaps(c, as, id, base, npages) ? -EEXIST : 0;
			}
		} else {
			unsigned int roll = test_rng_below(&rng, 100);

			mem.guest_phys_addr = m->base_gfn << 12;
			mem.memory_size = (uint64_t)m->npages * PAGE;
			mem.flags = m->flags;
			if (roll < 25) {
				kind = OP_DELETE;
				mem.memory_size = 0;
			} else if (roll < 65) {
				uint64_t base = WIN_GFN +
						test_rng_below(&rng, WIN_PAGES - m->npages + 1);

				kind = base == m->base_gfn ? OP_NOOP : OP_MOVE;
				mem.guest_phys_addr = base << 12;
				want = model_overlaps(c, as, id, base, m->npages) ? -EEXIST : 0;
			} else if (roll < 85) {
				kind = OP_FLAGS;
				mem.flags ^= VMMU_MEM_LOG_DIRTY_PAGES;
			} else if (roll < 89) {
				kind = OP_NOOP;
			} else if (roll < 98) {
				kind = OP_BAD;
				want = -EINVAL;
				/* A slot's size, hva and READONLY flag are fixed. */
				if (roll < 92)
					mem.memory_size += PAGE;
				else if (roll < 95)
					mem.userspace_addr += PAGE;
				else
					mem.flags ^= VMMU_MEM_READONLY;
			} else {
				check_dirty_log(c, as, id);
				continue;
			}
		}
		if (!want && (kind == OP_CREATE || kind == OP_FLAGS))
			delta = nr_as;
		else if (!want && (kind == OP_DELETE || kind == OP_MOVE))
			delta = 2 * nr_as;

		for (unsigned int a = 0; a < NR_AS; a++)
			g0[a] = vmmu_memslots_generation(c->vm, a);
		tb = stamp(c);
		r = vmmu_set_user_memory_region(c->vm, &mem);
		ta = stamp(c);
		for (unsigned int a = 0; a < NR_AS; a++)
			g1[a] = vmmu_memslots_generation(c->vm, a);

		c->calls_by_kind[kind]++;
		c->eexist += r == -EEXIST;
		c->einval += r == -EINVAL;
		TEST_ASSERT(r == want, "%s: call %lu, %s of AS%u slot %u (gpa 0x%" PRIx64
			    " size 0x%" PRIx64 " flags %u): %d (%s), want %d", c->variant, n,
			    op_name[kind], as, id, (uint64_t)mem.guest_phys_addr,
			    (uint64_t)mem.memory_size, mem.flags, r, vmmu_strerror(r), want);
		for (unsigned int a = 0; a < NR_AS; a++)
			TEST_ASSERT(g1[a] == g0[a] + (a == as ? delta : 0),
				    "%s: call %lu, %s of AS%u slot %u: AS%u generation 0x%" PRIx64
				    " -> 0x%" PRIx64 ", want +%" PRIu64, c->variant, n,
				    op_name[kind], as, id, a, g0[a], g1[a], a == as ? delta : 0);
		if (r || kind == OP_NOOP || kind == OP_BAD)
			continue;

		c->ops[c->nr_ops++] = (struct op_rec) {
			.tb = tb, .ta = ta, .seq = n, .kind = kind, .as = as, .id = id,
			.flags = mem.flags, .npages = m->present ? m->npages :
						      (uint32_t)(mem.memory_size / PAGE),
			.base_gfn = kind == OP_DELETE ? m->base_gfn : mem.guest_phys_addr >> 12,
			.old_base_gfn = m->present ? m->base_gfn : UINT64_MAX,
		};
		switch (kind) {
		case OP_CREATE:
			m->present = true;
			m->npages = mem.memory_size / PAGE;
			__attribute__((fallthrough));
		case OP_MOVE:
			m->base_gfn = mem.guest_phys_addr >> 12;
			__attribute__((fallthrough));
		case OP_FLAGS:
			m->flags = mem.flags;
			break;
		case OP_DELETE:
			m->present = false;
			break;
		default:
			break;
		}
		updater_pace(c, &rng);
	}
	atomic_store_explicit(&c->stop, true, memory_order_relaxed);
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* vCPUs                                                                     */
/* ------------------------------------------------------------------------ */

static void *vcpu_thread(void *arg)
{
	struct vcpu_ctx *v = arg;
	struct churn *c = v->c;
	uint32_t as = v->idx % NR_AS, where = 0;
	struct test_rng rng;
	bool capped = false;
	int r;

	test_rng_init(&rng, v->seed);
	r = vmmu_vcpu_set_address_space(v->vcpu, as);
	TEST_ASSERT(r == 0, "set_address_space: %d", r);
	pthread_barrier_wait(&c->start);

	while (!atomic_load_explicit(&c->stop, memory_order_relaxed)) {
		unsigned int roll = test_rng_below(&rng, 100);
		bool hi = !test_rng_below(&rng, 4);
		struct vmmu_exit ex;
		uint64_t gpa, val = 0, budget;
		uint32_t s = 0, e = 0;
		bool logged;

		if (!test_rng_below(&rng, 1024)) {
			as ^= 1;
			r = vmmu_vcpu_set_address_space(v->vcpu, as);
			TEST_ASSERT(r == 0, "set_address_space: %d", r);
			v->as_switches++;
		}
		/* Often the same page again: software-TLB and MMIO-cache hits. */
		if (roll >= 40 && roll < 92)
			where = test_rng_below(&rng, WIN_PAGES);
		else if (roll >= 92)
			where = WIN_PAGES + test_rng_below(&rng, NR_OUTSIDE);
		gpa = where < WIN_PAGES ? (WIN_GFN + where) << 12 : outside_gpa[where - WIN_PAGES];
		if (hi)
			gpa += PAGE - 8;

		/*
		 * Spread the checked accesses over the whole run: log (and
		 * stamp) only within a budget that grows with the updater's
		 * progress, sampling at random; sample half as often each time
		 * the budget is hit, twice as often when far below it.  The
		 * other accesses still run, unchecked.
		 */
		budget = v->cap * atomic_load_explicit(&c->calls_begun, memory_order_relaxed) /
			 c->nr_calls;
		if (v->nr_log >= budget) {
			if (!capped && v->sample_shift < 12)
				v->sample_shift++;
			capped = true;
			logged = false;
		} else {
			capped = false;
			if (v->nr_log < budget / 2 && v->sample_shift && !(v->accesses & 4095))
				v->sample_shift--;
			logged = !(test_rng_next(&rng) & ((1ull << v->sample_shift) - 1));
		}

		memset(&ex, 0, sizeof(ex));
		if (logged)
			s = stamp(c);
		r = vmmu_vcpu_access(v->vcpu, gpa, &val, 8, 0, &ex);
		if (logged)
			e = stamp(c);

		TEST_ASSERT(r == 0 || r == VMMU_EXIT_MMIO, "%s: vCPU %u read of AS%u gpa 0x%" PRIx64
			    ": %d (%s)", c->variant, v->idx, as, gpa, r, vmmu_strerror(r));
		if (r == VMMU_EXIT_MMIO) {
			TEST_ASSERT(ex.reason == VMMU_EXIT_MMIO && ex.mmio.phys_addr == gpa &&
				    ex.mmio.len == 8 && !ex.mmio.is_write,
				    "%s: MMIO exit for a read of gpa 0x%" PRIx64 ": reason %u "
				    "phys_addr 0x%" PRIx64 " len %u is_write %u", c->variant, gpa,
				    ex.reason, (uint64_t)ex.mmio.phys_addr, ex.mmio.len,
				    ex.mmio.is_write);
			v->mmio++;
		} else {
			v->ram++;
		}
		v->accesses++;
		atomic_store_explicit(&v->progress, v->accesses, memory_order_relaxed);
		if (logged)
			v->log[v->nr_log++] = (struct access_rec) {
				.val = r ? 0 : (hi ? ~val : val),
				.s = s, .e = e, .where = where, .as = as,
				.mmio = r == VMMU_EXIT_MMIO, .hi = hi,
			};
	}
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* The offline check                                                         */
/* ------------------------------------------------------------------------ */

/* The value each state k >= k_i shows at one (as, window page), until the next entry. */
struct hist {
	uint32_t *k;
	uint64_t *val;		/* tag, or 0 for "no slot" */
	size_t nr, cap;
};

struct oracle {
	size_t nr_states;	/* states 0..nr_ops */
	uint32_t *start, *end;	/* state k exists from start[k] to end[k] (clock) */
	struct hist hist[NR_AS][WIN_PAGES];
};

static void hist_push(struct hist *h, uint32_t k, uint64_t val)
{
	if (h->nr == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 16;
		h->k = realloc(h->k, h->cap * sizeof(*h->k));
		h->val = realloc(h->val, h->cap * sizeof(*h->val));
		TEST_ASSERT(h->k && h->val, "out of memory");
	}
	h->k[h->nr] = k;
	h->val[h->nr++] = val;
}

/* What @model maps at window page @w of @as: a tag, or 0. */
static uint64_t model_value(const struct model_slot model[NR_AS][NR_IDS], unsigned int as,
			    unsigned int w)
{
	uint64_t gfn = WIN_GFN + w;

	for (unsigned int id = 0; id < NR_IDS; id++) {
		const struct model_slot *m = &model[as][id];

		if (m->present && gfn >= m->base_gfn && gfn - m->base_gfn < m->npages)
			return TAG(as, id, gfn - m->base_gfn);
	}
	return 0;
}

/* Value of (as, w) in state @k. */
static uint64_t hist_at(const struct hist *h, uint32_t k)
{
	size_t lo = 0, hi = h->nr;

	/* last entry with h->k[i] <= k */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (h->k[mid] <= k)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? h->val[lo - 1] : 0;
}

static void oracle_build(struct oracle *o, const struct churn *c)
{
	struct model_slot model[NR_AS][NR_IDS];

	memset(o, 0, sizeof(*o));
	memset(model, 0, sizeof(model));
	o->nr_states = c->nr_ops + 1;
	o->start = calloc(o->nr_states, sizeof(*o->start));
	o->end = calloc(o->nr_states, sizeof(*o->end));
	TEST_ASSERT(o->start && o->end, "out of memory");
	o->start[0] = 0;
	for (size_t i = 0; i < c->nr_ops; i++) {
		const struct op_rec *op = &c->ops[i];
		struct model_slot *m = &model[op->as][op->id];
		uint32_t k = i + 1;
		uint64_t lo[2], hi[2];

		o->start[k] = op->tb;
		o->end[k - 1] = op->ta;

		lo[0] = m->present ? m->base_gfn : 0;
		hi[0] = m->present ? m->base_gfn + m->npages : 0;
		switch (op->kind) {
		case OP_CREATE:
			m->present = true;
			m->npages = op->npages;
			__attribute__((fallthrough));
		case OP_MOVE:
			m->base_gfn = op->base_gfn;
			__attribute__((fallthrough));
		case OP_FLAGS:
			m->flags = op->flags;
			break;
		case OP_DELETE:
			m->present = false;
			break;
		}
		lo[1] = m->present ? m->base_gfn : 0;
		hi[1] = m->present ? m->base_gfn + m->npages : 0;
		for (int r = 0; r < 2; r++) {
			for (uint64_t gfn = lo[r]; gfn < hi[r]; gfn++) {
				struct hist *h = &o->hist[op->as][gfn - WIN_GFN];
				uint64_t v = model_value((const struct model_slot (*)[NR_IDS])model,
							 op->as, gfn - WIN_GFN);

				if ((h->nr ? h->val[h->nr - 1] : 0) != v)
					hist_push(h, k, v);
			}
		}
	}
	o->end[o->nr_states - 1] = UINT32_MAX;
}

static void oracle_free(struct oracle *o)
{
	for (unsigned int as = 0; as < NR_AS; as++)
		for (unsigned int w = 0; w < WIN_PAGES; w++) {
			free(o->hist[as][w].k);
			free(o->hist[as][w].val);
		}
	free(o->start);
	free(o->end);
}

static void describe_value(uint64_t v, bool mmio)
{
	if (mmio || !v) {
		fprintf(stderr, "MMIO exit (no slot)");
		return;
	}
	fprintf(stderr, "RAM 0x%016" PRIx64, v);
	if ((v & TAG_MAGIC_MASK) == TAG_MAGIC)
		fprintf(stderr, " = AS%u slot %u page %u", (unsigned int)(v >> 24) & 0xff,
			(unsigned int)(v >> 16) & 0xff, (unsigned int)v & 0xffff);
	else
		fprintf(stderr, " (not a tag)");
}

static void describe_op(const struct churn *c, size_t i)
{
	const struct op_rec *op = &c->ops[i];

	fprintf(stderr, "call #%u %s AS%u slot %u", op->seq, op_name[op->kind], op->as, op->id);
	if (op->kind == OP_MOVE)
		fprintf(stderr, " gfn 0x%" PRIx64 " -> 0x%" PRIx64, op->old_base_gfn, op->base_gfn);
	else
		fprintf(stderr, " gfn 0x%" PRIx64, op->base_gfn);
	fprintf(stderr, " +%u pages flags %u, clock [%u, %u]", op->npages, op->flags, op->tb,
		op->ta);
}

static void report_violation(const struct churn *c, const struct oracle *o,
			     const struct vcpu_ctx *v, size_t idx, size_t lo, size_t hi)
{
	const struct access_rec *a = &v->log[idx];
	uint64_t gpa = a->where < WIN_PAGES ? (WIN_GFN + a->where) << 12 :
					      outside_gpa[a->where - WIN_PAGES];

	fprintf(stderr, "==== ORACLE VIOLATION (%s, seed 0x%" PRIx64 ")\n", c->variant, c->seed);
	fprintf(stderr, "  vCPU %u access #%zu: read AS%u gpa 0x%" PRIx64 " -> ", v->idx, idx,
		a->as, (uint64_t)(gpa + (a->hi ? PAGE - 8 : 0)));
	describe_value(a->val, a->mmio);
	fprintf(stderr, "%s\n  during clock [%u, %u]; states it overlapped: %zu..%zu\n",
		a->hi ? " (last qword, complemented)" : "", a->s, a->e, lo, hi);
	for (size_t k = lo; k <= hi; k++) {
		uint64_t want = a->where < WIN_PAGES ? hist_at(&o->hist[a->as][a->where], k) : 0;

		fprintf(stderr, "  state %zu (clock %u..%u): ", k, o->start[k], o->end[k]);
		describe_value(want, false);
		fprintf(stderr, "\n    made by ");
		if (k)
			describe_op(c, k - 1);
		else
			fprintf(stderr, "VM creation");
		fprintf(stderr, "\n");
	}
	if (hi + 1 < o->nr_states) {
		fprintf(stderr, "  next change: ");
		describe_op(c, hi);
		fprintf(stderr, "\n");
	}
	if (a->where < WIN_PAGES) {
		/* When was what the vCPU read last true?  (A stale translation's origin.) */
		const struct hist *h = &o->hist[a->as][a->where];
		uint64_t seen = a->mmio ? 0 : a->val;
		size_t j = h->nr;

		while (j && h->k[j - 1] > lo)
			j--;
		while (j && h->val[j - 1] != seen)
			j--;
		if (j && j < h->nr) {
			fprintf(stderr, "  what it read was last true in states %u..%u; ",
				h->k[j - 1], h->k[j] - 1);
			describe_op(c, h->k[j] - 1);
			fprintf(stderr, " ended that\n");
		} else if (!j && seen) {
			fprintf(stderr, "  what it read was never true at that gpa in that "
				"address space\n");
		}
	}
	TEST_ASSERT(false, "%s: vCPU %u saw a map that did not exist during its access "
		    "(rerun: test_churn 0x%" PRIx64 " %lu %u)", c->variant, v->idx, c->seed,
		    c->nr_calls, c->nr_vcpus);
}

/* Returns the number of accesses that raced with a change (overlapped 2+ states). */
static uint64_t oracle_check(const struct churn *c, const struct oracle *o,
			     const struct vcpu_ctx *v)
{
	uint64_t racing = 0;

	for (size_t i = 0; i < v->nr_log; i++) {
		const struct access_rec *a = &v->log[i];
		size_t lo = 0, hi = o->nr_states, k;
		bool ok = false;

		/* lo: first state with end >= s */
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (o->end[mid] < a->s)
				lo = mid + 1;
			else
				hi = mid;
		}
		/* hi: last state with start <= e */
		{
			size_t l = 0, h = o->nr_states;

			while (l < h) {
				size_t mid = (l + h) / 2;

				if (o->start[mid] <= a->e)
					l = mid + 1;
				else
					h = mid;
			}
			hi = l - 1;
		}
		TEST_ASSERT(lo <= hi && hi < o->nr_states, "oracle: state range %zu..%zu", lo, hi);
		racing += lo < hi;

		if (a->where >= WIN_PAGES) {
			ok = a->mmio;
		} else {
			const struct hist *h = &o->hist[a->as][a->where];
			uint64_t want = hist_at(h, lo);

			ok = a->mmio ? !want : want == a->val;
			/* and every value a later overlapped state took */
			for (k = 0; !ok && k < h->nr; k++) {
				if (h->k[k] <= lo || h->k[k] > hi)
					continue;
				ok = a->mmio ? !h->val[k] : h->val[k] == a->val;
			}
		}
		if (!ok)
			report_violation(c, o, v, i, lo, hi);
	}
	return racing;
}

/* ------------------------------------------------------------------------ */
/* Driver                                                                    */
/* ------------------------------------------------------------------------ */

static void run_variant(const char *name, uint32_t gen_bits, uint32_t flags, uint64_t seed,
			unsigned long nr_calls, unsigned int nr_vcpus, size_t log_cap)
{
	struct churn *c = calloc(1, sizeof(*c));
	struct test_rng rng;
	struct vmmu_stats st;
	struct oracle o;
	uint64_t logged = 0, accesses = 0, racing = 0, ram = 0, mmio = 0, switches = 0, shift = 0;
	double t0, t1, t2;
	pthread_t updater;
	int r;

	TEST_ASSERT(c, "out of memory");
	c->variant = name;
	c->seed = seed;
	c->nr_calls = nr_calls;
	c->nr_vcpus = nr_vcpus;
	c->log_cap = log_cap;
	c->cfg = (struct vmmu_vm_config) {
		.nr_address_spaces = NR_AS, .mmio_gen_bits = gen_bits, .flags = flags,
	};
	c->vm = test_vm_create(&c->cfg);

	/* Fixed backing per (as, id), every page tagged at both ends. */
	test_rng_init(&rng, seed);
	c->backing_size = (size_t)NR_AS * NR_IDS * MAX_SLOT_PAGES * PAGE;
	c->backing = test_alloc_guest(c->backing_size);
	for (unsigned int as = 0; as < NR_AS; as++)
		for (unsigned int id = 0; id < NR_IDS; id++) {
			uint8_t *base = (uint8_t *)(uintptr_t)region_hva(c, as, id);

			c->region_pages[as][id] = 1 + test_rng_below(&rng, MAX_SLOT_PAGES);
			for (unsigned int p = 0; p < MAX_SLOT_PAGES; p++) {
				uint64_t *first = (uint64_t *)(base + p * PAGE);
				uint64_t *last = (uint64_t *)(base + p * PAGE + PAGE - 8);

				test_guest_store64(first, TAG(as, id, p));
				test_guest_store64(last, ~TAG(as, id, p));
			}
		}

	c->ops = calloc(nr_calls, sizeof(*c->ops));
	TEST_ASSERT(c->ops, "out of memory");
	r = pthread_barrier_init(&c->start, NULL, nr_vcpus + 1);
	TEST_ASSERT(r == 0, "pthread_barrier_init: %d", r);
	for (unsigned int i = 0; i < nr_vcpus; i++) {
		struct vcpu_ctx *v = &c->vcpus[i];

		v->c = c;
		v->idx = i;
		v->seed = test_rng_next(&rng);
		v->cap = log_cap;
		v->log = test_alloc_guest(log_cap * sizeof(*v->log));
		v->vcpu = test_vcpu_create(c->vm, i);
	}

	t0 = test_now();
	for (unsigned int i = 0; i < nr_vcpus; i++) {
		r = pthread_create(&c->vcpus[i].thread, NULL, vcpu_thread, &c->vcpus[i]);
		TEST_ASSERT(r == 0, "pthread_create: %d", r);
	}
	r = pthread_create(&updater, NULL, updater_thread, c);
	TEST_ASSERT(r == 0, "pthread_create: %d", r);
	r = pthread_join(updater, NULL);
	TEST_ASSERT(r == 0, "pthread_join: %d", r);
	for (unsigned int i = 0; i < nr_vcpus; i++) {
		r = pthread_join(c->vcpus[i].thread, NULL);
		TEST_ASSERT(r == 0, "pthread_join: %d", r);
	}
	t1 = test_now();
	TEST_ASSERT(atomic_load(&c->clock) < UINT32_MAX, "clock overflowed 32 bits");

	oracle_build(&o, c);
	for (unsigned int i = 0; i < nr_vcpus; i++) {
		const struct vcpu_ctx *v = &c->vcpus[i];

		racing += oracle_check(c, &o, v);
		logged += v->nr_log;
		accesses += v->accesses;
		ram += v->ram;
		mmio += v->mmio;
		switches += v->as_switches;
		if (v->sample_shift > shift)
			shift = v->sample_shift;
	}
	t2 = test_now();

	st = test_vm_stats(c->vm);
	printf("  %-16s %lu calls (%lu create, %lu delete, %lu move, %lu flags, %lu no-op, "
	       "%lu invalid; %lu EEXIST, %lu EINVAL; %lu dirty-log checks) -> %zu changes\n",
	       name, nr_calls, c->calls_by_kind[OP_CREATE], c->calls_by_kind[OP_DELETE],
	       c->calls_by_kind[OP_MOVE], c->calls_by_kind[OP_FLAGS], c->calls_by_kind[OP_NOOP],
	       c->calls_by_kind[OP_BAD], c->eexist, c->einval, c->dirty_checks, c->nr_ops);
	printf("  %-16s %" PRIu64 " accesses (%" PRIu64 " RAM, %" PRIu64 " MMIO, %" PRIu64
	       " AS switches), %" PRIu64 " checked (sampling 1/%u), %" PRIu64
	       " raced with a change; run %.2fs, check %.2fs\n", "", accesses, ram, mmio,
	       switches, logged, 1u << shift, racing, t1 - t0, t2 - t1);
	printf("  %-16s stats: tlb_fills %" PRIu64 " mmio_exits %" PRIu64 " mmio_cache_hits %"
	       PRIu64 " fast_mmio_hits %" PRIu64 " pf_invalid %" PRIu64 " pf_retry %" PRIu64
	       " pf_fixed %" PRIu64 " mmio_sptes_created %" PRIu64 " invalid_slot_retries %" PRIu64
	       " zap_all_fast %" PRIu64 " mmio_wrap_zaps %" PRIu64 " slot_zaps %" PRIu64
	       " remote_tlb_flush %" PRIu64 "\n", "", st.tlb_fills, st.mmio_exits,
	       st.mmio_cache_hits, st.fast_mmio_hits, st.pf_invalid, st.pf_retry, st.pf_fixed,
	       st.mmio_sptes_created, st.invalid_slot_retries, st.zap_all_fast, st.mmio_wrap_zaps,
	       st.slot_zaps, st.remote_tlb_flush);

	TEST_ASSERT(logged > 0, "%s: no access was checked", name);
	TEST_ASSERT_EQ(st.memslot_updates, c->nr_ops);
	/*
	 * Coverage, not correctness.  With SLOT_ZAP_ALL every DELETE and MOVE
	 * zaps all MMIO SPTEs, so a stale one (RET_PF_INVALID) survives only
	 * from a CREATE or FLAGS_ONLY to the next DELETE/MOVE, and a slow
	 * (sanitized) run can see none; the other variants must.
	 */
	TEST_ASSERT(st.fast_mmio_hits > 0 && st.mmio_sptes_created > 0 &&
		    (st.pf_invalid > 0 || (flags & VMMU_VM_QUIRK_SLOT_ZAP_ALL)),
		    "%s: fast_mmio_hits %" PRIu64 " pf_invalid %" PRIu64 " mmio_sptes_created %"
		    PRIu64 ": the MMIO-SPTE paths were not exercised", name, st.fast_mmio_hits,
		    st.pf_invalid, st.mmio_sptes_created);
	if (gen_bits && gen_bits < 8)
		TEST_ASSERT(st.mmio_wrap_zaps > 0, "%s: no MMIO generation wrap after %zu changes",
			    name, c->nr_ops);
	if (flags & VMMU_VM_QUIRK_SLOT_ZAP_ALL)
		TEST_ASSERT(st.zap_all_fast > 0 && st.slot_zaps == 0,
			    "%s: zap_all_fast %" PRIu64 " slot_zaps %" PRIu64, name,
			    st.zap_all_fast, st.slot_zaps);
	else
		TEST_ASSERT(st.slot_zaps > 0, "%s: no slot zap", name);

	oracle_free(&o);
	for (unsigned int i = 0; i < nr_vcpus; i++)
		munmap(c->vcpus[i].log, log_cap * sizeof(*c->vcpus[i].log));
	vmmu_vm_destroy(c->vm);
	pthread_barrier_destroy(&c->start);
	munmap(c->backing, c->backing_size);
	free(c->ops);
	free(c);
}

int main(int argc, char **argv)
{
	bool short_run = TEST_TSAN || test_short_env();
	uint64_t seed = test_seed(argc > 1 ? argv[1] : NULL);
	unsigned long nr_calls = argc > 2 ? strtoul(argv[2], NULL, 0) : short_run ? 5000 : 20000;
	unsigned long nr_vcpus = argc > 3 ? strtoul(argv[3], NULL, 0) : 2;
	size_t log_cap = short_run ? (256u << 10) : (2u << 20);

	setvbuf(stdout, NULL, _IOLBF, 0);
	TEST_ASSERT(nr_calls > 0 && nr_vcpus > 0 && nr_vcpus <= MAX_VCPUS,
		    "usage: test_churn [seed [ops [vcpus (1..%u)]]]", MAX_VCPUS);
	printf("test_churn: seed 0x%" PRIx64 ", %lu calls per variant, %lu vCPUs, log %zu "
	       "accesses per vCPU%s (rerun: test_churn 0x%" PRIx64 " %lu %lu)\n", seed, nr_calls,
	       nr_vcpus, log_cap, short_run ? ", short run" : "", seed, nr_calls, nr_vcpus);

	run_variant("default", 0, 0, seed, nr_calls, nr_vcpus, log_cap);
	run_variant("mmio_gen_bits=3", 3, 0, seed, nr_calls, nr_vcpus, log_cap);
	run_variant("SLOT_ZAP_ALL", 0, VMMU_VM_QUIRK_SLOT_ZAP_ALL, seed, nr_calls, nr_vcpus,
		    log_cap);
	printf("PASS\n");
	return KSFT_PASS;
}
