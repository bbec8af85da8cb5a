/* SPDX-License-Identifier: MIT */
/*
 * KVM's set_memory_region_test, move and delete cases (docs/KVM-SEMANTICS.md, "Memslot regions"),
 * in user-space form: a vCPU thread spins reading guest memory while the main
 * thread moves or deletes the slot under it.
 *
 * Every read is checked as it completes against the memory maps that
 * existed while it ran.  The main thread brackets each
 * vmmu_set_user_memory_region() call with two counters, "begun" (bumped
 * before the call) and "done" (bumped after it returns).  State j is the map
 * after j calls.  A read that loaded done = d before it started and
 * begun = b after it ended overlapped exactly the states d..b:
 *  - d == b: the read started after call d returned and ended before call
 *    d + 1 began, so it must see exactly map d: RAM holding the identity of
 *    the page mapped there, or an MMIO exit where no slot is;
 *  - d < b: the read raced with a change.  It may see the RAM of any state
 *    d..b, or exit to MMIO, which KVM's test allows while the slot is
 *    INVALID (the host then answers with MMIO_VAL).
 * The main thread starts a change only after the vCPU has made several
 * whole passes over its probes inside the current state, so the first
 * reads after every return are checked.
 *
 * move: a 2 MiB slot at 0xc0000000; page k holds ID(0, k).  The slot moves
 *	down a page and back, repeatedly.  While it is moved down, the host
 *	writes POISON (KVM's "2") into the page that backed 0xc0000000 before
 *	the move, and restores it before moving back: POISON is visible only
 *	at 0xbffff000, so a read of 0xc0000000 that returns it used a
 *	translation that the move had already removed.
 * delete: the slot is deleted (and its memory unmapped, which vmmu allows
 *	once DELETE has returned), re-created on fresh anonymous memory (the
 *	first qword of each page is 0, as in KVM's test), and deleted again.
 *
 * Each case runs once with the default config and once with
 * VMMU_VM_QUIRK_SLOT_ZAP_ALL per loop.
 *
 * Usage: test_move_delete [loops [seed]]   (loops defaults to 10)
 *
 * The seed only shuffles the vCPU's probe order and how long the main thread
 * lets each state run; the interleaving itself is up to the scheduler.
 */
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <vmmu.h>

#include "../test_util.h"

#define PAGE			VMMU_PAGE_SIZE
#define MEM_REGION_SIZE		0x200000ull
#define MEM_REGION_GPA		0xc0000000ull
#define MEM_REGION_SLOT		10
#define MEM_REGION_PAGES	(MEM_REGION_SIZE / PAGE)
#define MMIO_VAL		0xbeefull

/* Move/move-back (or delete/re-create) cycles per case and loop. */
#define CYCLES			16
#define MAX_STATES		(2 * CYCLES + 2)
#define MAX_PROBES		10

/* The identity qword of page @page of backing number @nr; never 0, MMIO_VAL or POISON. */
#define ID(nr, page)		(0x1d00000000000000ull | ((uint64_t)(nr) << 32) | (uint64_t)(page))
#define POISON			0x2222222222222222ull

/*
 * The oracle's counters must not give ThreadSanitizer happens-before edges
 * that the library does not provide: an acquire of "done" would order the
 * whole memslot update before the vCPU's next access and hide any race in
 * between.  Under TSan they are relaxed (x86 keeps them ordered around the
 * opaque library calls anyway); elsewhere seq_cst, as the argument above
 * needs.
 */
#if TEST_TSAN
#define ORACLE_MO	memory_order_relaxed
#else
#define ORACLE_MO	memory_order_seq_cst
#endif

/* What a read of one gpa may return in one state of the map. */
struct allowed {
	bool mmio;
	unsigned int nr;
	uint64_t val[2];
};

struct md_test {
	const char *name;
	uint32_t vm_flags;
	struct vmmu_vm *vm;
	struct vmmu_vcpu *vcpu;
	uint64_t probes[MAX_PROBES];
	unsigned int nr_probes;
	void (*expect)(unsigned int state, uint64_t gpa, struct allowed *a);
	uint64_t vcpu_seed;

	atomic_uint begun, done;
	atomic_bool stop;
	atomic_ulong exact_passes[MAX_STATES];

	/* vCPU thread only; read after the join */
	uint64_t reads, racing_reads, racing_mmio, racing_mmio_both_ram, racing_old, racing_new;
};

static void vm_flags_str(uint32_t flags, char *buf, size_t len)
{
	snprintf(buf, len, "%s", (flags & VMMU_VM_QUIRK_SLOT_ZAP_ALL) ? "SLOT_ZAP_ALL" : "default");
}

static bool allowed_has(const struct allowed *a, bool mmio, uint64_t val)
{
	if (mmio)
		return a->mmio;
	for (unsigned int i = 0; i < a->nr; i++)
		if (a->val[i] == val)
			return true;
	return false;
}

static void allowed_print(const struct allowed *a)
{
	if (a->mmio) {
		fprintf(stderr, "MMIO exit");
		return;
	}
	for (unsigned int i = 0; i < a->nr; i++)
		fprintf(stderr, "%sRAM 0x%016" PRIx64, i ? " or " : "", a->val[i]);
}

/* move: state 2c is the original map, 2c + 1 the map moved down a page. */
static void move_expect(unsigned int state, uint64_t gpa, struct allowed *a)
{
	uint64_t base = (state & 1) ? MEM_REGION_GPA - PAGE : MEM_REGION_GPA;
	uint64_t page = (gpa - base) / PAGE;

	memset(a, 0, sizeof(*a));
	if (gpa < base || gpa - base >= MEM_REGION_SIZE) {
		a->mmio = true;
		return;
	}
	a->val[a->nr++] = ID(0, page);
	/* The host pokes POISON into hva page 0 while moved (KVM writes 2). */
	if ((state & 1) && page == 0)
		a->val[a->nr++] = POISON;
}

/*
 * delete: state 0 is the original slot (ID(0, k) at offsets 0 and 8 of page
 * k); odd states have no slot; even state 2c > 0 is the slot re-created on
 * fresh memory: 0 at offset 0 and ID(c, k) at offset 8.
 */
static void delete_expect(unsigned int state, uint64_t gpa, struct allowed *a)
{
	uint64_t page = (gpa - MEM_REGION_GPA) / PAGE;

	memset(a, 0, sizeof(*a));
	if ((state & 1) || gpa < MEM_REGION_GPA || gpa - MEM_REGION_GPA >= MEM_REGION_SIZE) {
		a->mmio = true;
		return;
	}
	a->nr = 1;
	if (state == 0)
		a->val[0] = ID(0, page);
	else
		a->val[0] = (gpa & (PAGE - 1)) ? ID(state / 2, page) : 0;
}

static void report_violation(struct md_test *t, uint64_t gpa, int r, uint64_t val,
			     unsigned int d, unsigned int b)
{
	char cfg[32];
	struct allowed a;

	vm_flags_str(t->vm_flags, cfg, sizeof(cfg));
	fprintf(stderr, "==== %s (%s): read of gpa 0x%" PRIx64 " returned ", t->name, cfg, gpa);
	if (r == VMMU_EXIT_MMIO)
		fprintf(stderr, "an MMIO exit");
	else
		fprintf(stderr, "RAM 0x%016" PRIx64, val);
	fprintf(stderr, "\n  it started after %u update(s) had returned and ended before update %u "
		"began; the maps of that time allow:\n", d, b + 1);
	for (unsigned int j = d; j <= b; j++) {
		t->expect(j, gpa, &a);
		fprintf(stderr, "    state %u: ", j);
		allowed_print(&a);
		fprintf(stderr, "\n");
	}
	if (d < b)
		fprintf(stderr, "    (or an MMIO exit, since the read raced with an update)\n");
	TEST_ASSERT(false, "%s: stale or impossible guest read (see above)", t->name);
}

static void check_read(struct md_test *t, uint64_t gpa, int r, uint64_t val,
		       const struct vmmu_exit *ex, unsigned int d, unsigned int b)
{
	bool mmio = r == VMMU_EXIT_MMIO, ok = false, any_mmio = false;
	struct allowed a;

	TEST_ASSERT(r == 0 || r == VMMU_EXIT_MMIO, "%s: read of gpa 0x%" PRIx64 " returned %d (%s)",
		    t->name, gpa, r, vmmu_strerror(r));
	if (mmio) {
		TEST_ASSERT(ex->reason == VMMU_EXIT_MMIO && ex->mmio.phys_addr == gpa &&
			    ex->mmio.len == 8 && !ex->mmio.is_write,
			    "%s: MMIO exit for a read of gpa 0x%" PRIx64 ": reason %u phys_addr 0x%"
			    PRIx64 " len %u is_write %u", t->name, gpa, ex->reason,
			    (uint64_t)ex->mmio.phys_addr, ex->mmio.len, ex->mmio.is_write);
		val = MMIO_VAL;	/* the VMM completes the read, as KVM's test does */
	}
	t->reads++;
	for (unsigned int j = d; j <= b; j++) {
		t->expect(j, gpa, &a);
		any_mmio |= a.mmio;
		if (allowed_has(&a, mmio, val)) {
			ok = true;
			if (d < b && !mmio && j == d)
				t->racing_old++;
			else if (d < b && !mmio)
				t->racing_new++;
			break;
		}
	}
	if (d < b) {
		t->racing_reads++;
		if (mmio) {
			t->racing_mmio++;
			/* MMIO where every state of the window maps RAM: the slot was INVALID. */
			if (!any_mmio)
				t->racing_mmio_both_ram++;
			ok = true;
		}
	}
	if (!ok)
		report_violation(t, gpa, r, val, d, b);
}

static void *vcpu_thread(void *arg)
{
	struct md_test *t = arg;
	unsigned int order[MAX_PROBES];
	struct test_rng rng;

	test_rng_init(&rng, t->vcpu_seed);
	for (unsigned int i = 0; i < t->nr_probes; i++)
		order[i] = i;

	while (!atomic_load_explicit(&t->stop, memory_order_relaxed)) {
		unsigned int pass_state = UINT_MAX;
		bool exact = true;

		/* Fisher-Yates: a different probe order each pass. */
		for (unsigned int i = t->nr_probes - 1; i > 0; i--) {
			unsigned int j = test_rng_below(&rng, i + 1), tmp = order[i];

			order[i] = order[j];
			order[j] = tmp;
		}
		for (unsigned int i = 0; i < t->nr_probes; i++) {
			uint64_t gpa = t->probes[order[i]], val = 0;
			struct vmmu_exit ex;
			unsigned int d, b;
			int r;

			memset(&ex, 0, sizeof(ex));
			d = atomic_load_explicit(&t->done, ORACLE_MO);
			r = vmmu_vcpu_access(t->vcpu, gpa, &val, 8, 0, &ex);
			b = atomic_load_explicit(&t->begun, ORACLE_MO);
			check_read(t, gpa, r, val, &ex, d, b);
			if (d != b || (pass_state != UINT_MAX && d != pass_state))
				exact = false;
			pass_state = d;
		}
		if (exact) {
			TEST_ASSERT(pass_state < MAX_STATES, "state %u", pass_state);
			atomic_fetch_add_explicit(&t->exact_passes[pass_state], 1,
						  memory_order_relaxed);
		}
	}
	return NULL;
}

/*
 * Let the vCPU make a few whole passes over its probes inside @state (so
 * its first reads after the update that made @state are checked against
 * exactly that map) before the next update.  Spins on an atomic (yielding
 * after a while, for when the threads outnumber the CPUs); never sleeps.
 */
static void wait_exact(struct md_test *t, unsigned int state, struct test_rng *rng)
{
	unsigned long need = 2 + test_rng_below(rng, 4);

	TEST_ASSERT(state < MAX_STATES, "state %u", state);
	/* Pause-spin while the vCPU runs; yield if it seems to be preempted. */
	for (unsigned int spins = 0;
	     atomic_load_explicit(&t->exact_passes[state], memory_order_relaxed) < need; spins++) {
		if (spins < 4096)
			__builtin_ia32_pause();
		else
			sched_yield();
	}
}

static void set_region(struct md_test *t, uint64_t gpa, uint64_t size, void *hva)
{
	int r;

	atomic_fetch_add_explicit(&t->begun, 1, ORACLE_MO);
	r = test_set_region(t->vm, MEM_REGION_SLOT, 0, gpa, size, hva);
	TEST_ASSERT(r == 0, "%s: set_user_memory_region(gpa 0x%" PRIx64 ", size 0x%" PRIx64
		    "): %d (%s)", t->name, gpa, size, r, vmmu_strerror(r));
	atomic_fetch_add_explicit(&t->done, 1, ORACLE_MO);
}

static void test_start(struct md_test *t, const char *name, uint32_t flags, void *mem,
		       uint64_t seed)
{
	t->name = name;
	t->vm_flags = flags;
	t->vcpu_seed = seed;
	t->vm = test_vm_new(.flags = flags);
	t->vcpu = test_vcpu_create(t->vm, 0);
	/* The initial slot is not a checked transition: state 0 is "after it". */
	TEST_SET_REGION_OK(t->vm, MEM_REGION_SLOT, 0, MEM_REGION_GPA, MEM_REGION_SIZE, mem);
}

static void test_finish(struct md_test *t, pthread_t thread, unsigned int nr_changes,
			unsigned int nr_zapping, struct vmmu_stats *st)
{
	char cfg[32];
	int r;

	atomic_store_explicit(&t->stop, true, memory_order_relaxed);
	r = pthread_join(thread, NULL);
	TEST_ASSERT(r == 0, "pthread_join: %d", r);

	*st = test_vm_stats(t->vm);
	TEST_ASSERT_EQ(st->memslot_updates, 1 + nr_changes);
	if (t->vm_flags & VMMU_VM_QUIRK_SLOT_ZAP_ALL) {
		TEST_ASSERT(st->zap_all_fast >= nr_zapping && st->slot_zaps == 0,
			    "%s, SLOT_ZAP_ALL: zap_all_fast %" PRIu64 " slot_zaps %" PRIu64
			    " after %u deletes/moves", t->name, st->zap_all_fast, st->slot_zaps,
			    nr_zapping);
	} else {
		TEST_ASSERT(st->slot_zaps == nr_zapping,
			    "%s: slot_zaps %" PRIu64 " after %u deletes/moves", t->name,
			    st->slot_zaps, nr_zapping);
	}
	TEST_ASSERT(st->mmio_exits > 0 && st->tlb_fills > 0,
		    "%s: mmio_exits %" PRIu64 " tlb_fills %" PRIu64, t->name, st->mmio_exits,
		    st->tlb_fills);

	vm_flags_str(t->vm_flags, cfg, sizeof(cfg));
	printf("  %-6s %-12s reads %8" PRIu64 ", racing %6" PRIu64 " (old map %" PRIu64
	       ", new map %" PRIu64 ", MMIO %" PRIu64 " of which %" PRIu64
	       " where both maps had RAM), mmio_sptes %" PRIu64 ", pf_invalid %" PRIu64
	       ", invalid_slot_retries %" PRIu64 "\n", t->name, cfg, t->reads, t->racing_reads,
	       t->racing_old, t->racing_new, t->racing_mmio, t->racing_mmio_both_ram,
	       st->mmio_sptes_created, st->pf_invalid, st->invalid_slot_retries);
	vmmu_vm_destroy(t->vm);
}

static void test_move_memory_region(uint32_t flags, struct test_rng *rng)
{
	uint8_t *mem = test_alloc_guest(MEM_REGION_SIZE);
	struct md_test t = {
		.probes = {
			MEM_REGION_GPA,				/* KVM's test reads this one */
			MEM_REGION_GPA,
			MEM_REGION_GPA,
			MEM_REGION_GPA + PAGE,
			MEM_REGION_GPA + MEM_REGION_SIZE / 2,
			MEM_REGION_GPA + MEM_REGION_SIZE - 2 * PAGE,
			MEM_REGION_GPA + MEM_REGION_SIZE - PAGE,	/* MMIO once moved */
			MEM_REGION_GPA - PAGE,			/* RAM only once moved */
			MEM_REGION_GPA + MEM_REGION_SIZE,	/* never mapped */
		},
		.nr_probes = 9,
		.expect = move_expect,
	};
	struct vmmu_stats st;
	pthread_t thread;
	int r;

	for (uint64_t k = 0; k < MEM_REGION_PAGES; k++)
		test_guest_store64(mem + k * PAGE, ID(0, k));
	test_start(&t, "move", flags, mem, test_rng_next(rng));
	r = pthread_create(&thread, NULL, vcpu_thread, &t);
	TEST_ASSERT(r == 0, "pthread_create: %d", r);

	for (unsigned int c = 0; c < CYCLES; c++) {
		wait_exact(&t, 2 * c, rng);
		set_region(&t, MEM_REGION_GPA - PAGE, MEM_REGION_SIZE, mem);
		/*
		 * KVM's WRITE_ONCE(*hva, 2): page 0 of the backing now sits at
		 * 0xbffff000; 0xc0000000 maps page 1, so a read of 0xc0000000
		 * must never see this.
		 */
		test_guest_store64(mem, POISON);
		wait_exact(&t, 2 * c + 1, rng);
		/* Restore before moving back, or the guest could see POISON legitimately. */
		test_guest_store64(mem, ID(0, 0));
		set_region(&t, MEM_REGION_GPA, MEM_REGION_SIZE, mem);
	}
	wait_exact(&t, 2 * CYCLES, rng);
	test_finish(&t, thread, 2 * CYCLES, 2 * CYCLES, &st);
	munmap(mem, MEM_REGION_SIZE);
}

static uint8_t *fresh_memory(unsigned int nr)
{
	uint8_t *mem = test_alloc_guest(MEM_REGION_SIZE);

	/* Offset 0 stays 0 (KVM's test expects 0); offset 8 tells backings apart. */
	for (uint64_t k = 0; k < MEM_REGION_PAGES; k++) {
		if (!nr)
			test_guest_store64(mem + k * PAGE, ID(nr, k));
		test_guest_store64(mem + k * PAGE + 8, ID(nr, k));
	}
	return mem;
}

static void test_delete_memory_region(uint32_t flags, struct test_rng *rng)
{
	uint8_t *mem = fresh_memory(0);
	struct md_test t = {
		.probes = {
			MEM_REGION_GPA,
			MEM_REGION_GPA,
			MEM_REGION_GPA + 8,
			MEM_REGION_GPA + PAGE,
			MEM_REGION_GPA + MEM_REGION_SIZE / 2 + 8,
			MEM_REGION_GPA + MEM_REGION_SIZE - PAGE,
			MEM_REGION_GPA + MEM_REGION_SIZE - PAGE + 8,
			MEM_REGION_GPA - PAGE,			/* never mapped */
			MEM_REGION_GPA + MEM_REGION_SIZE,	/* never mapped */
		},
		.nr_probes = 9,
		.expect = delete_expect,
	};
	struct vmmu_stats st;
	pthread_t thread;
	int r;

	test_start(&t, "delete", flags, mem, test_rng_next(rng));
	r = pthread_create(&thread, NULL, vcpu_thread, &t);
	TEST_ASSERT(r == 0, "pthread_create: %d", r);

	for (unsigned int c = 0; c < CYCLES; c++) {
		wait_exact(&t, 2 * c, rng);
		set_region(&t, MEM_REGION_GPA, 0, mem);
		/*
		 * Once DELETE has returned, no vCPU touches the memory any
		 * more: unmapping it must not fault a racing reader.
		 */
		munmap(mem, MEM_REGION_SIZE);
		wait_exact(&t, 2 * c + 1, rng);
		mem = fresh_memory(c + 1);
		set_region(&t, MEM_REGION_GPA, MEM_REGION_SIZE, mem);
	}
	wait_exact(&t, 2 * CYCLES, rng);
	/* KVM's test ends by deleting the re-created slot. */
	set_region(&t, MEM_REGION_GPA, 0, mem);
	munmap(mem, MEM_REGION_SIZE);
	wait_exact(&t, 2 * CYCLES + 1, rng);
	test_finish(&t, thread, 2 * CYCLES + 1, CYCLES + 1, &st);
}

int main(int argc, char **argv)
{
	static const uint32_t configs[] = { 0, VMMU_VM_QUIRK_SLOT_ZAP_ALL };
	unsigned long loops = argc > 1 ? strtoul(argv[1], NULL, 0) : 10;
	uint64_t seed = test_seed(argc > 2 ? argv[2] : NULL);
	struct test_rng rng;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("test_move_delete: loops %lu, %u cycles per case, seed 0x%" PRIx64
	       " (rerun: test_move_delete %lu 0x%" PRIx64 ")\n", loops, CYCLES, seed, loops, seed);
	test_rng_init(&rng, seed);
	for (unsigned long i = 0; i < loops; i++) {
		printf("loop %lu\n", i);
		for (unsigned int c = 0; c < ARRAY_SIZE(configs); c++) {
			test_move_memory_region(configs[c], &rng);
			test_delete_memory_region(configs[c], &rng);
		}
	}
	printf("PASS\n");
	return KSFT_PASS;
}
