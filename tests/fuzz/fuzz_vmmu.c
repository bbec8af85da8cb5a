// SPDX-License-Identifier: MIT
/*
 * fuzz_vmmu - a structured fuzzer for vmmu with a reference model.
 *
 * The input is decoded into a sequence of public API calls on one VM with
 * 2-3 vCPUs, all made from ONE thread, so a run is deterministic and an input
 * replays exactly.  A reference model tracks what the library must do - the
 * memslot map of each address space, the generations, the host memory (its
 * contents and which pages are mapped), the open MMU-notifier brackets and
 * the dirty logs - and every call is checked against it.  A violation prints
 * the operation trace and calls abort(), which libFuzzer (or the standalone
 * driver, standalone.c) reports as a crash.  docs/FUZZING.md has the input
 * format, the invariants and how to build and run it.
 *
 * Two modes, chosen by the first input byte:
 *  - direct: guest RAM is this process's own memory, one 2 MiB-aligned
 *    region of 512 pages at a fixed address (so vmmu's 2 MiB "region mapped"
 *    cache is exercised), with 8 pages above it that are never mapped.
 *    Host-memory changes (munmap, mmap(MAP_FIXED) of a fresh page with new
 *    contents, madvise(MADV_DONTNEED), mprotect to read-only or PROT_NONE,
 *    where a write, or any access, must fail with -EFAULT) happen only inside
 *    invalidate_range_start()/end() brackets covering them, as Linux does.
 *  - hostmm: the VM is attached to a simulated host MM (vmmu_hostmm_*), and
 *    the input drives its mmap/munmap/madvise/migrate/KSM/swap/read/write.
 *
 * The single-thread rule: a vCPU access (or read/write_guest) to a gfn that
 * an open invalidation covers would wait for an end() that only this thread
 * can call, so the model predicts those and skips them (marked "skipped" in
 * the trace).  Memslot changes do not wait for open brackets: they extend
 * them over the slots they publish, and the model follows.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <vmmu.h>

#include "fuzz_vmmu.h"
#ifndef FUZZ_VMMU_OLD_API
#include "vm.h"		/* the direct backend's bracket counts (check_stats) */
#endif

#ifdef VMMU_VARIANTS
/*
 * A variant build (build.sh's fuzz_vmmu_variants): the library carries the
 * historic-bug variants of src/ (#ifdef VMMU_VARIANTS), and
 * FUZZ_VMMU_VARIANT=<name> switches one on, to show that the fuzzer finds it.
 */
#include "check_hooks.h"
enum vmmu_checker_variant vmmu_checker_variant = VARIANT_NONE;
static const struct {
	const char *name;
	enum vmmu_checker_variant v;
} variant_names[] = {
	{ "gen-before-publish", VARIANT_GEN_BEFORE_PUBLISH },
	{ "no-wrap-zap", VARIANT_NO_WRAP_ZAP },
	{ "wrap-check-keeps-as-bits", VARIANT_WRAP_CHECK_KEEPS_AS_BITS },
	{ "fault-no-seq-recheck", VARIANT_FAULT_NO_SEQ_RECHECK },
	{ "swap-ignores-open-brackets", VARIANT_SWAP_IGNORES_OPEN_BRACKETS },
	{ "end-skips-range-bump", VARIANT_END_SKIPS_RANGE_BUMP },
	{ "change-pte-unbracketed", VARIANT_CHANGE_PTE_UNBRACKETED },
	{ "mmio-cache-ignores-in-progress", VARIANT_MMIO_CACHE_IGNORES_IN_PROGRESS },
	{ "read-fault-downgrades-w", VARIANT_READ_FAULT_DOWNGRADES_W },
	{ "noslot-overwrites-present", VARIANT_NOSLOT_OVERWRITES_PRESENT },
	{ "direct-cache-fills-in-bracket", VARIANT_DIRECT_CACHE_FILLS_IN_BRACKET },
	{ "rw-ignores-invalidation", VARIANT_RW_IGNORES_INVALIDATION },
	{ "change-pte-hull-coverage", VARIANT_CHANGE_PTE_HULL_COVERAGE },
};
#endif

#define PAGE		4096ull
#define CPAGES		512u		/* host pages with contents: the 2 MiB region */
#define HPAGES		2048u		/* host pages the model knows; >= CPAGES never mapped */
#define MAX_SLOTS	48
#define NVCPU_MAX	3
#define MAX_BR		6
#define MAX_OPS		400
#define MAX_FRAMES	1024
#define HM_BASE		0x200000000000ull	/* simulated hvas of the hostmm window */
#define HM_MAP_PAGES	160u		/* hostmm mmaps stay below this page */
#define DIRECT_WANT	0x300000000000ull	/* where the direct region goes */
#define TASK_SIZE_MAX	((1ull << 47) - PAGE)
#define HM_VA_END	TASK_SIZE_MAX
#define R_SKIP		1000		/* "not called": would block this thread */

/* ------------------------------------------------------------------------ */
/* Input                                                                     */
/* ------------------------------------------------------------------------ */

struct rd {
	const uint8_t *p;
	size_t n;
};

static uint8_t u8(struct rd *r)
{
	if (!r->n)
		return 0;
	r->n--;
	return *r->p++;
}

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* ------------------------------------------------------------------------ */
/* State: the library objects and the model                                  */
/* ------------------------------------------------------------------------ */

static const uint8_t *cur_data;
static size_t cur_size;

static bool hostmm_mode;
/* The dirty ring (KVM_CAP_DIRTY_LOG_RING): on for a quarter of the inputs. */
#define RING_BYTES	65536u	/* 4032 entries to the soft limit: an input pushes fewer */
static bool ring_mode;
static struct vmmu_dirty_gfn *ring_of[NVCPU_MAX];
static uint32_t ring_fetch[NVCPU_MAX];
static struct vmmu_vm_config vcfg;
static uint32_t nr_as, max_user_slots, nvcpu;
static uint64_t max_gfn, manual, hva_base, data_seed, wseq, op_no;
static struct vmmu_vm *vm;
static struct vmmu_hostmm *mm;
static struct vmmu_vcpu *vc[NVCPU_MAX];
static uint32_t vas[NVCPU_MAX];

struct mslot {
	bool used;
	uint32_t as, id, flags;
	uint64_t gfn, npages, hva;
	uint8_t *dirty;		/* one byte per page while LOG_DIRTY_PAGES */
};
static struct mslot slots[MAX_SLOTS];
static uint64_t gen[2];
static uint64_t n_updates, n_swaps, n_cpte_refused, n_end_unmatched;

/* Host memory.  Direct: hst[] is 0 (unmapped), 1 (mapped), or mapped but
 * mprotect()ed HST_RO / HST_NONE.  Hostmm: HP_*. */
#define HST_RO		2
#define HST_NONE	3
enum { HP_UNMAPPED, HP_NONE, HP_PRESENT, HP_SWAP };
static uint8_t mem[CPAGES][PAGE] __attribute__((aligned(4096)));	/* the model's contents */
static uint8_t init_img[CPAGES][PAGE] __attribute__((aligned(4096))); /* direct: initial */
static uint8_t hst[HPAGES];
static uint8_t hst_direct[CPAGES];	/* hst of the direct region during a hostmm input */

/* Direct: may the guest read (or @write) page @p, as the host maps it? */
static bool direct_allows(uint64_t p, bool write)
{
	return hst[p] == 1 || (hst[p] == HST_RO && !write);
}
static uint16_t hfr[HPAGES];
static bool hwr[HPAGES];
static uint32_t fr_map[MAX_FRAMES];
static bool fr_ksm[MAX_FRAMES];
static uint32_t nr_frames, nr_swap, used_frames, swap_used, ksm_count;
static uint8_t *region;			/* direct: the real 2 MiB region */
static bool touched[CPAGES];		/* direct: to restore before the next input */
static bool region_ready;
static uint8_t decoy[PAGE] __attribute__((aligned(4096)));

/*
 * Open brackets (ours) and the invalidation state they imply.  Each one
 * covers the gfn ranges of the slots its host range met when it began, and
 * of every slot a memslot update published into its host range while it
 * was open (range-precise retry, docs/DESIGN.md); a fault on a covered
 * (as, gfn) waits for its end().  The library keeps at most BR_RANGES
 * ranges, merging contained ones, and beyond that covers everything; the
 * model merges only equal ranges, so it covers at least what the library
 * does (it may skip an access the library would serve, never the reverse).
 */
#define BR_RANGES	8	/* the library's MN_BRACKET_RANGES */
struct br {
	uint64_t s, e;
	bool hit;
	bool all;
	int nr;
	struct {
		uint32_t as;
		uint64_t g0, g1;
	} r[BR_RANGES];
};
static struct br brs[MAX_BR];
static int nbr;
static long inprog;

/* ------------------------------------------------------------------------ */
/* Trace                                                                     */
/* ------------------------------------------------------------------------ */

enum opk {
	T_REGION, T_ACCESS, T_SETAS, T_READG, T_WRITEG, T_BSTART, T_BEND, T_BEND_UNMATCHED,
	T_MUNMAP, T_REPLACE, T_DONTNEED, T_REMAP, T_HWRITE, T_CPTE, T_CLEAR_YOUNG,
	T_CLEAR_FLUSH_YOUNG, T_TEST_YOUNG, T_GET_DIRTY, T_CLEAR_DIRTY, T_MANUAL, T_RELEASE,
	T_VCPU, T_STATS, T_SWEEP, T_HM_MMAP, T_HM_MUNMAP, T_HM_DONTNEED, T_HM_MIGRATE,
	T_HM_KSM, T_HM_SWAPOUT, T_HM_READ, T_HM_WRITE, T_HM_COPY, T_FINAL, T_CONFIG,
	T_RING_HARVEST, T_REGION2, T_PROTECT_RO, T_PROTECT_NONE,
};

static const char *const opk_name[] = {
	"set_user_memory_region", "vcpu_access", "vcpu_set_address_space", "vcpu_read_guest",
	"vcpu_write_guest", "invalidate_range_start", "invalidate_range_end",
	"invalidate_range_end(unmatched)", "host munmap", "host mmap(MAP_FIXED)+new data",
	"host madvise(DONTNEED)", "host mmap(MAP_FIXED) zero", "host write", "change_pte",
	"clear_young", "clear_flush_young", "test_young", "get_dirty_log", "clear_dirty_log",
	"enable_manual_dirty_log_protect", "mmu_notifier_release", "vcpu lifecycle", "stats",
	"sweep", "hostmm_mmap", "hostmm_munmap", "hostmm_madv_dontneed", "hostmm_migrate",
	"hostmm_ksm_merge", "hostmm_swap_out", "hostmm_read", "hostmm_write", "hostmm copy page",
	"final checks", "config", "harvest dirty rings + reset", "set_user_memory_region2",
	"host mprotect(PROT_READ)", "host mprotect(PROT_NONE)",
};

struct trec {
	uint8_t op;
	bool skip;
	int64_t r;
	uint64_t a[6];
	uint64_t no;
};
#define TRACE_RING 4096u
static struct trec trace[TRACE_RING];
static uint64_t ntrace;
static bool trace_printed, trace_live;

static struct trec *trace_add(enum opk op, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
			      uint64_t a4, uint64_t a5)
{
	struct trec *t = &trace[ntrace++ % TRACE_RING];

	*t = (struct trec){ .op = op, .r = 0, .a = { a0, a1, a2, a3, a4, a5 }, .no = op_no };
	return t;
}

static void trace_print_one(FILE *f, const struct trec *t)
{
	const uint64_t *a = t->a;

	fprintf(f, "  #%-4" PRIu64 " %-32s", t->no, opk_name[t->op]);
	switch (t->op) {
	case T_RING_HARVEST:
		fprintf(f, " entries=%" PRIu64, a[0]);
		break;
	case T_REGION:
	case T_REGION2:
		fprintf(f, " slot=%u/%u flags=%#" PRIx64 " gpa=%#" PRIx64 " size=%#" PRIx64
			" hva=+%#" PRIx64, (unsigned)(a[0] >> 16), (unsigned)(a[0] & 0xffff), a[1],
			a[2], a[3], a[4] - hva_base);
		break;
	case T_ACCESS:
		fprintf(f, " vcpu%" PRIu64 " as%" PRIu64 " gpa=%#" PRIx64 " len=%" PRIu64 " %s data=%#"
			PRIx64, a[0], a[5], a[1], a[2],
			a[3] == 0 ? "read" : a[3] == 1 ? "write" : a[3] == 2 ? "fetch" : "badflags",
			a[4]);
		break;
	case T_SETAS:
	case T_VCPU:
	case T_SWEEP:
		fprintf(f, " vcpu%" PRIu64 " arg=%" PRIu64, a[0], a[1]);
		break;
	case T_READG:
	case T_WRITEG:
		fprintf(f, " vcpu%" PRIu64 " as%" PRIu64 " gpa=%#" PRIx64 " len=%" PRIu64 "%s", a[0],
			a[3], a[1], a[2], a[4] ? " buf=NULL" : "");
		break;
	case T_BSTART:
	case T_BEND:
	case T_BEND_UNMATCHED:
	case T_CLEAR_YOUNG:
	case T_CLEAR_FLUSH_YOUNG:
		fprintf(f, " [+%#" PRIx64 ", +%#" PRIx64 ")", a[0] - hva_base, a[1] - hva_base);
		break;
	case T_MUNMAP:
	case T_REPLACE:
	case T_DONTNEED:
	case T_REMAP:
	case T_PROTECT_RO:
	case T_PROTECT_NONE:
		fprintf(f, " pages [%" PRIu64 ", %" PRIu64 ")%s", a[0], a[0] + a[1],
			a[2] ? " (own bracket)" : " (inside an open bracket)");
		break;
	case T_HWRITE:
	case T_HM_READ:
	case T_HM_WRITE:
		fprintf(f, " hva=+%#" PRIx64 " len=%" PRIu64, a[0] - hva_base, a[1]);
		break;
	case T_CPTE:
		fprintf(f, " addr=+%#" PRIx64 " new_page=%#" PRIx64 " writable=%" PRIu64,
			a[0] - hva_base, a[1], a[2]);
		break;
	case T_TEST_YOUNG:
	case T_HM_MIGRATE:
	case T_HM_SWAPOUT:
		fprintf(f, " addr=+%#" PRIx64, a[0] - hva_base);
		break;
	case T_GET_DIRTY:
		fprintf(f, " slot=%u/%u%s", (unsigned)(a[0] >> 16), (unsigned)(a[0] & 0xffff),
			a[1] ? " bitmap=NULL" : "");
		break;
	case T_CLEAR_DIRTY:
		fprintf(f, " slot=%u/%u first=%" PRIu64 " num=%" PRIu64 " mask0=%#" PRIx64 "%s",
			(unsigned)(a[0] >> 16), (unsigned)(a[0] & 0xffff), a[1], a[2], a[3],
			a[4] ? " bitmap=NULL" : "");
		break;
	case T_MANUAL:
		fprintf(f, " flags=%#" PRIx64, a[0]);
		break;
	case T_HM_MMAP:
	case T_HM_MUNMAP:
	case T_HM_DONTNEED:
		fprintf(f, " hva=+%#" PRIx64 " len=%#" PRIx64, a[0] - hva_base, a[1]);
		break;
	case T_HM_KSM:
	case T_HM_COPY:
		fprintf(f, " a=+%#" PRIx64 " b=+%#" PRIx64, a[0] - hva_base, a[1] - hva_base);
		break;
	case T_CONFIG:
		fprintf(f, "%s %s nr_as=%" PRIu64 " max_user_slots=%" PRIu64 " mmio_gen_bits=%" PRIu64
			" vm_flags=%#" PRIx64 " max_gpa_bits=%" PRIu64, ring_mode ? " dirty-ring" : "",
			a[5] ? "hostmm" : "direct", a[0], a[1], a[2], a[3], a[4]);
		break;
	default:
		break;
	}
	if (t->skip)
		fprintf(f, " -> skipped (would wait for an open bracket)\n");
	else
		fprintf(f, " -> %" PRId64 "\n", t->r);
}

void fuzz_vmmu_print_trace(void)
{
	uint64_t first = ntrace > TRACE_RING ? ntrace - TRACE_RING : 0;

	if (trace_printed)
		return;
	trace_printed = true;
	fprintf(stderr, "==== vmmu fuzz: operation trace (%" PRIu64 " records%s) ====\n", ntrace,
		first ? ", oldest dropped" : "");
	for (uint64_t i = first; i < ntrace; i++)
		trace_print_one(stderr, &trace[i % TRACE_RING]);
	fprintf(stderr, "==== end of trace; region/hostmm base %#" PRIx64 " ====\n", hva_base);
}

void fuzz_vmmu_current_input(const uint8_t **data, size_t *size)
{
	*data = cur_data;
	*size = cur_size;
}

static void __attribute__((noreturn, format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "\n==== vmmu fuzz: VIOLATION at op #%" PRIu64 ": ", op_no);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	fuzz_vmmu_print_trace();
	abort();
}

#define CHECK(cond, ...) do { if (!(cond)) fail(__VA_ARGS__); } while (0)

/* ------------------------------------------------------------------------ */
/* Model helpers                                                             */
/* ------------------------------------------------------------------------ */

static uint64_t hva_of(uint64_t page)
{
	return hva_base + page * PAGE;
}

/* Host page index of @hva, or HPAGES if outside what the model knows. */
static uint64_t page_of(uint64_t hva)
{
	if (hva < hva_base || hva - hva_base >= (uint64_t)HPAGES * PAGE)
		return HPAGES;
	return (hva - hva_base) / PAGE;
}

static struct mslot *slot_by_id(uint32_t as, uint32_t id)
{
	for (int i = 0; i < MAX_SLOTS; i++)
		if (slots[i].used && slots[i].as == as && slots[i].id == id)
			return &slots[i];
	return NULL;
}

static struct mslot *slot_by_gfn(uint32_t as, uint64_t gfn)
{
	for (int i = 0; i < MAX_SLOTS; i++)
		if (slots[i].used && slots[i].as == as && gfn >= slots[i].gfn &&
		    gfn - slots[i].gfn < slots[i].npages)
			return &slots[i];
	return NULL;
}

static int nr_slots(int as)	/* as < 0: all */
{
	int n = 0;

	for (int i = 0; i < MAX_SLOTS; i++)
		if (slots[i].used && (as < 0 || slots[i].as == (uint32_t)as))
			n++;
	return n;
}

static struct mslot *nth_slot(int as, unsigned int k, bool logged_only)
{
	int n = 0;

	for (int i = 0; i < MAX_SLOTS; i++)
		if (slots[i].used && (as < 0 || slots[i].as == (uint32_t)as) &&
		    (!logged_only || slots[i].dirty))
			n++;
	if (!n)
		return NULL;
	k %= n;
	for (int i = 0; i < MAX_SLOTS; i++)
		if (slots[i].used && (as < 0 || slots[i].as == (uint32_t)as) &&
		    (!logged_only || slots[i].dirty) && !k--)
			return &slots[i];
	return NULL;
}

static void br_add(struct br *b, uint32_t as, uint64_t g0, uint64_t g1)
{
	if (b->all)
		return;
	for (int i = 0; i < b->nr; i++)
		if (b->r[i].as == as && b->r[i].g0 == g0 && b->r[i].g1 == g1)
			return;
	if (b->nr == BR_RANGES) {
		b->all = true;
		return;
	}
	b->r[b->nr].as = as;
	b->r[b->nr].g0 = g0;
	b->r[b->nr].g1 = g1;
	b->nr++;
}

/* Add the ranges of the slots (of @as, or of all if @as < 0) that meet @b's host range. */
static void br_add_slots(struct br *b, int as)
{
	if (b->e <= b->s)
		return;
	for (int i = 0; i < MAX_SLOTS; i++) {
		struct mslot *sl = &slots[i];
		uint64_t ss = sl->hva, se = sl->hva + sl->npages * PAGE, hs, he;

		if (!sl->used || (as >= 0 && sl->as != (uint32_t)as) || !(ss < b->e && b->s < se))
			continue;
		hs = b->s > ss ? b->s : ss;
		he = b->e < se ? b->e : se;
		br_add(b, sl->as, sl->gfn + ((hs - ss) >> 12), sl->gfn + ((he + PAGE - 1 - ss) >> 12));
	}
}

/* Would a fault on (@as, @gfn) wait for one of our open brackets? */
static bool br_covered(uint32_t as, uint64_t gfn)
{
	for (int i = 0; i < nbr; i++) {
		if (brs[i].all)
			return true;
		for (int j = 0; j < brs[i].nr; j++)
			if (brs[i].r[j].as == as && gfn >= brs[i].r[j].g0 && gfn < brs[i].r[j].g1)
				return true;
	}
	return false;
}

/*
 * kvm_handle_hva_range() for start(): does any slot of any address space
 * meet [s, e)?  Then in_progress was raised.
 */
static bool model_bracket_begin(uint64_t s, uint64_t e)
{
	bool hit = false;

	if (e <= s)
		return false;
	for (int i = 0; i < MAX_SLOTS && !hit; i++) {
		struct mslot *sl = &slots[i];

		hit = sl->used && sl->hva < e && s < sl->hva + sl->npages * PAGE;
	}
	if (hit)
		inprog++;
	return hit;
}

static void model_bracket_end(bool hit)
{
	if (hit)
		inprog--;
}

/* A bracket that the simulated host MM opens and closes inside one call. */
static void model_internal_bracket(uint64_t page)
{
	model_bracket_end(model_bracket_begin(hva_of(page), hva_of(page + 1)));
}

static void mark_touched(uint64_t hva, uint64_t npages)
{
	uint64_t p = page_of(hva);

	for (uint64_t i = 0; i < npages && p + i < CPAGES; i++)
		touched[p + i] = true;
}

/* --- the simulated host MM's frames --- */

static int hm_falloc(void)
{
	if (used_frames >= nr_frames)
		return -1;
	for (int f = 0; f < MAX_FRAMES; f++) {
		if (!fr_map[f]) {
			fr_map[f] = 1;
			fr_ksm[f] = false;
			used_frames++;
			return f;
		}
	}
	return -1;
}

static void hm_fput(int f)
{
	if (--fr_map[f])
		return;
	if (fr_ksm[f]) {
		fr_ksm[f] = false;
		ksm_count--;
	}
	used_frames--;
}

/* handle_mm_fault() on a mapped page: 0 or -ENOMEM. */
static int hm_fault(uint64_t p, bool write)
{
	int f;

	if (hst[p] == HP_NONE) {
		f = hm_falloc();
		if (f < 0)
			return -ENOMEM;
		hst[p] = HP_PRESENT;
		hfr[p] = (uint16_t)f;
		hwr[p] = true;
		memset(mem[p], 0, PAGE);
	} else if (hst[p] == HP_SWAP) {
		f = hm_falloc();
		if (f < 0)
			return -ENOMEM;
		swap_used--;
		hst[p] = HP_PRESENT;
		hfr[p] = (uint16_t)f;
		hwr[p] = true;
	} else if (write && !hwr[p]) {
		int old = hfr[p];

		if (!fr_ksm[old] && fr_map[old] == 1) {
			hwr[p] = true;		/* wp_page_reuse */
		} else {
			f = hm_falloc();	/* wp_page_copy */
			if (f < 0)
				return -ENOMEM;
			model_internal_bracket(p);
			hfr[p] = (uint16_t)f;
			hwr[p] = true;
			hm_fput(old);
		}
	}
	return 0;
}

static bool hm_needs_cow(uint64_t p)
{
	return hst[p] == HP_PRESENT && !hwr[p] && (fr_ksm[hfr[p]] || fr_map[hfr[p]] > 1);
}

/*
 * hostmm_access_page(): 0, -EFAULT or -ENOMEM, and the model's effects.
 * @buf receives (read) or provides (write) @n bytes at @off of page @p.
 */
static int hm_access_page(uint64_t p, uint64_t off, uint64_t n, bool write, uint8_t *buf)
{
	int r;

	if (p >= HPAGES || hst[p] == HP_UNMAPPED)
		return -EFAULT;
	if (!write && hst[p] == HP_NONE) {
		memset(buf, 0, n);
		return 0;
	}
	r = hm_fault(p, write);
	if (r)
		return r;
	if (write)
		memcpy(&mem[p][off], buf, n);
	else
		memcpy(buf, &mem[p][off], n);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Checks shared by several operations                                       */
/* ------------------------------------------------------------------------ */

static void check_generations(void)
{
	for (uint32_t as = 0; as < nr_as; as++) {
		uint64_t g = vmmu_memslots_generation(vm, as);

		CHECK(g == gen[as], "generation of address space %u is %#" PRIx64
		      ", model says %#" PRIx64, as, g, gen[as]);
	}
	CHECK(vmmu_memslots_generation(vm, nr_as) == UINT64_MAX,
	      "generation of an out-of-range address space is not UINT64_MAX");
}

static void check_stats(void)
{
	struct vmmu_stats st = { .size = sizeof(st) };

	CHECK(vmmu_vm_get_stats(vm, &st) == 0, "vmmu_vm_get_stats failed");
	CHECK(st.memslot_updates == n_updates, "stats.memslot_updates %" PRIu64 ", model %" PRIu64,
	      st.memslot_updates, n_updates);
	CHECK(st.memslot_swaps == n_swaps, "stats.memslot_swaps %" PRIu64 ", model %" PRIu64,
	      st.memslot_swaps, n_swaps);
	CHECK(st.change_pte_unbracketed == n_cpte_refused,
	      "stats.change_pte_unbracketed %" PRIu64 ", model %" PRIu64,
	      st.change_pte_unbracketed, n_cpte_refused);
#ifndef FUZZ_VMMU_OLD_API
	CHECK(st.invalidate_end_unmatched == n_end_unmatched,
	      "stats.invalidate_end_unmatched %" PRIu64 ", model %" PRIu64,
	      st.invalidate_end_unmatched, n_end_unmatched);
	CHECK(st.fault_flushes == 0, "stats.fault_flushes = %" PRIu64 " (a fault removed access)",
	      st.fault_flushes);
	/* With no bracket open, the direct backend's bracket counts are all 0. */
	if (!nbr) {
		CHECK(!atomic_load(&vm->hostmem_brackets), "hostmem_brackets %ld with no bracket open",
		      (long)atomic_load(&vm->hostmem_brackets));
		for (unsigned int b = 0; b < DIRECT_MAPPED_CACHE; b++)
			CHECK(!atomic_load(&vm->direct[b].brackets),
			      "direct[%u].brackets %u with no bracket open", b,
			      (unsigned int)atomic_load(&vm->direct[b].brackets));
	}
#endif
}

static void check_hostmm_stats(void)
{
	struct vmmu_hostmm_stats st;
	uint64_t present = 0;

	if (!hostmm_mode)
		return;
	CHECK(vmmu_hostmm_get_stats(mm, &st) == 0, "vmmu_hostmm_get_stats failed");
	CHECK(st.poison_corruptions == 0, "hostmm poison_corruptions = %" PRIu64
	      ": something wrote a freed frame", st.poison_corruptions);
	for (uint32_t p = 0; p < HM_MAP_PAGES + 8; p++)	/* hostmm maps no page above */
		present += hst[p] == HP_PRESENT;
	CHECK(st.resident_pages == present, "hostmm resident_pages %" PRIu64 ", model %" PRIu64,
	      st.resident_pages, present);
	CHECK(st.swapped_pages == swap_used, "hostmm swapped_pages %" PRIu64 ", model %u",
	      st.swapped_pages, swap_used);
	CHECK(st.free_frames == nr_frames - used_frames, "hostmm free_frames %" PRIu64
	      ", model %u", st.free_frames, nr_frames - used_frames);
	CHECK(st.free_swap_slots == nr_swap - swap_used, "hostmm free_swap_slots %" PRIu64
	      ", model %u", st.free_swap_slots, nr_swap - swap_used);
	CHECK(st.ksm_frames == ksm_count, "hostmm ksm_frames %" PRIu64 ", model %u",
	      st.ksm_frames, ksm_count);
}

static const char *errname(int r)
{
	static char buf[32];

	switch (r) {
	case 0: return "0";
	case VMMU_EXIT_MMIO: return "VMMU_EXIT_MMIO";
	case -EINVAL: return "-EINVAL";
	case -EFAULT: return "-EFAULT";
	case -EEXIST: return "-EEXIST";
	case -ENOENT: return "-ENOENT";
	case -ENOMEM: return "-ENOMEM";
	case -EAGAIN: return "-EAGAIN";
	case -EBUSY: return "-EBUSY";
	case -ENOSPC: return "-ENOSPC";
	case -EPERM: return "-EPERM";
	default:
		snprintf(buf, sizeof(buf), "%d", r);
		return buf;
	}
}

/* ------------------------------------------------------------------------ */
/* vCPU accesses                                                             */
/* ------------------------------------------------------------------------ */

/*
 * One vmmu_vcpu_access, predicted and checked.  Returns the result (or
 * R_SKIP).  @wdata: the bytes of a write.
 */
static int do_access(unsigned int vi, uint64_t gpa, uint32_t len, uint32_t flags, uint64_t wdata)
{
	uint8_t buf[16], want[8];
	struct vmmu_exit ex;
	uint32_t as = vas[vi];
	uint64_t gfn = gpa >> 12, off = gpa & (PAGE - 1);
	bool write = flags == VMMU_ACCESS_WRITE;
	struct trec *t = trace_add(T_ACCESS, vi, gpa, len, flags == 1 ? 1 : flags == 2 ? 2 :
				   flags ? 3 : 0, write ? wdata : 0, as);
	struct mslot *s;
	int exp, r;
	uint64_t p = HPAGES;

	memset(buf, 0xc3, sizeof(buf));
	if (write)
		memcpy(buf, &wdata, 8);
	memset(&ex, 0x5a, sizeof(ex));

	if (len - 1 > 7 || off + len > PAGE || flags > VMMU_ACCESS_FETCH) {
		exp = -EINVAL;
		goto call;
	}
	if (br_covered(as, gfn)) {
		t->skip = true;
		return R_SKIP;
	}
	s = gfn <= max_gfn ? slot_by_gfn(as, gfn) : NULL;
	if (!s || (write && (s->flags & VMMU_MEM_READONLY))) {
		exp = VMMU_EXIT_MMIO;
		goto call;
	}
	p = page_of(s->hva + (gfn - s->gfn) * PAGE);
	if (!hostmm_mode) {
		if (p >= CPAGES || !direct_allows(p, write)) {
			exp = -EFAULT;
			goto call;
		}
		touched[p] = true;
	} else {
		if (p >= HPAGES || hst[p] == HP_UNMAPPED) {
			exp = -EFAULT;
			goto call;
		}
		if (write && hm_needs_cow(p) && inprog > 0) {
			/* The copy-on-write bracket would widen the hull over this gfn. */
			t->skip = true;
			return R_SKIP;
		}
		if (hm_fault(p, write)) {
			exp = -EFAULT;
			goto call;
		}
	}
	exp = 0;
	if (write) {
		memcpy(&mem[p][off], buf, len);
		if (s->dirty)
			s->dirty[gfn - s->gfn] = 1;
	} else {
		memcpy(want, &mem[p][off], len);
	}
call:
	r = vmmu_vcpu_access(vc[vi], gpa, buf, len, flags, &ex);
	t->r = r;
	if (trace_live)
		trace_print_one(stderr, t);
	CHECK(r == exp, "vcpu%u access gpa %#" PRIx64 " len %u flags %u: got %s, model says %s",
	      vi, gpa, len, flags, errname(r), errname(exp));
	if (r == VMMU_EXIT_MMIO) {
		uint64_t d = 0;

		if (write)
			memcpy(&d, buf, len);
		CHECK(ex.reason == VMMU_EXIT_MMIO && ex.pad == 0 && ex.mmio.phys_addr == gpa &&
		      ex.mmio.len == len && ex.mmio.is_write == (write ? 1 : 0) &&
		      !memcmp(ex.mmio.data, &d, 8),
		      "MMIO exit of vcpu%u gpa %#" PRIx64 " len %u: reason %u phys %#" PRIx64
		      " len %u is_write %u data %02x%02x%02x%02x%02x%02x%02x%02x", vi, gpa, len,
		      ex.reason, ex.mmio.phys_addr, ex.mmio.len, ex.mmio.is_write,
		      ex.mmio.data[7], ex.mmio.data[6], ex.mmio.data[5], ex.mmio.data[4],
		      ex.mmio.data[3], ex.mmio.data[2], ex.mmio.data[1], ex.mmio.data[0]);
	} else if (r == -EFAULT) {
		/* KVM_CAP_MEMORY_FAULT_INFO: the page, beside the errno. */
		CHECK(ex.reason == VMMU_EXIT_MEMORY_FAULT && ex.pad == 0 &&
		      ex.memory_fault.gpa == (gpa & ~(uint64_t)(PAGE - 1)) &&
		      ex.memory_fault.size == PAGE && ex.memory_fault.flags == 0,
		      "-EFAULT of vcpu%u gpa %#" PRIx64 ": exit reason %u, memory fault gpa %#"
		      PRIx64 " size %#" PRIx64 " flags %#" PRIx64, vi, gpa, ex.reason,
		      ex.memory_fault.gpa, ex.memory_fault.size, ex.memory_fault.flags);
	} else if (r == 0 && !write) {
		if (memcmp(buf, want, len)) {
			uint64_t g = 0, w = 0;

			memcpy(&g, buf, len);
			memcpy(&w, want, len);
			fail("vcpu%u read gpa %#" PRIx64 " (host page %" PRIu64 ") len %u: got %#"
			     PRIx64 ", model says %#" PRIx64 "%s", vi, gpa, p, len, g, w,
			     g == (VMMU_HOSTMM_POISON & (len == 8 ? ~0ull : (1ull << (8 * len)) - 1)) ?
			     " (freed-frame POISON: a stale translation)" : "");
		}
		for (uint32_t i = len; i < sizeof(buf); i++)
			CHECK(buf[i] == 0xc3, "vcpu access of len %u wrote byte %u of the buffer",
			      len, i);
	}
	return r;
}

/* ------------------------------------------------------------------------ */
/* Input decoding helpers                                                    */
/* ------------------------------------------------------------------------ */

/*
 * The focus: the guest page (and its host page) that the last slot-based
 * pick chose.  A selector byte in [128, 144) picks it again, so that a few
 * operations in a row can work on one page (write, age, read from another
 * vCPU, harvest, write again...), which independent picks rarely do.
 */
static uint64_t focus_gfn, focus_page;
static bool focus_valid;

static uint64_t set_focus(const struct mslot *s, uint64_t pg, bool want_page)
{
	focus_gfn = s->gfn + pg;
	focus_page = page_of(s->hva) + pg;
	focus_valid = true;
	return want_page ? focus_page : focus_gfn;
}

/* A guest page for an access in @as: mostly inside a slot of that space. */
static uint64_t pick_gfn(uint32_t as, uint8_t t, uint8_t x)
{
	struct mslot *s;

	if (t >= 128 && t < 144 && focus_valid)
		return focus_gfn;
	if (t < 176 && (s = nth_slot((int)as, t, false)))
		return set_focus(s, s->npages > 1 ? (uint64_t)x % s->npages : 0, false);
	if (t < 200 && (s = nth_slot(-1, t, false)))
		return set_focus(s, s->npages > 1 ? (uint64_t)x % s->npages : 0, false);
	if (t < 240)
		return x % 80;
	if (t < 250)
		return max_gfn - (x % 4);
	if (t < 254)
		return max_gfn + 1 + x;
	return (1ull << 51) + x;
}

/* A host page: mostly inside some slot. */
static uint64_t pick_page(uint8_t t, uint8_t x)
{
	struct mslot *s;

	if (t >= 128 && t < 144 && focus_valid && focus_page < HPAGES)
		return focus_page;
	if (t < 160 && (s = nth_slot(-1, t, false)) && page_of(s->hva) < HPAGES)
		return set_focus(s, s->npages > 1 ? (uint64_t)x % s->npages : 0, true);
	if (t < 240)
		return x % 96;
	if (t < 252)
		return (x * 2u) % CPAGES;
	return CPAGES + x % 8;
}

static void pick_len_off(uint8_t l, uint8_t o, uint32_t *len, uint64_t *off)
{
	*len = 1 + (l & 7);
	switch ((l >> 3) & 3) {
	case 0:		/* naturally aligned, in the first 64 bytes */
		*off = ((l >> 5) & 7) * 8u;
		break;
	case 1:		/* misaligned */
		*off = ((l >> 5) & 7) * 8u + 3;
		break;
	case 2:		/* at the end of the page, sometimes crossing it */
		*off = PAGE - *len - ((l >> 5) & 3) + ((l >> 7) ? 2 : 0);
		break;
	default:
		*off = (uint64_t)o * 16 + (l >> 5);
		break;
	}
	*off &= PAGE - 1;
}

static uint64_t next_wdata(void)
{
	return mix64(data_seed ^ ++wseq);
}

/* ------------------------------------------------------------------------ */
/* Operations                                                                */
/* ------------------------------------------------------------------------ */

enum chg { CH_NONE, CH_CREATE, CH_DELETE, CH_MOVE, CH_FLAGS };

static bool access_ok(uint64_t addr, uint64_t size)
{
	return size <= TASK_SIZE_MAX && addr <= TASK_SIZE_MAX - size;
}

/* KVM's checks, in KVM's order (include/vmmu.h). */
static int model_region(const struct vmmu_userspace_memory_region *m, enum chg *ch,
			struct mslot **oldp)
{
	uint32_t as = m->slot >> 16, id = m->slot & 0xffff;
	uint64_t npages, base;
	struct mslot *old;

	*ch = CH_NONE;
	*oldp = NULL;
	if (id >= max_user_slots)
		return -EINVAL;
	if (m->flags & ~(VMMU_MEM_LOG_DIRTY_PAGES | VMMU_MEM_READONLY))
		return -EINVAL;
	if (m->memory_size & (PAGE - 1))
		return -EINVAL;
	if (m->guest_phys_addr & (PAGE - 1))
		return -EINVAL;
	if ((m->userspace_addr & (PAGE - 1)) || !access_ok(m->userspace_addr, m->memory_size))
		return -EINVAL;
	if (as >= nr_as || id >= VMMU_MEM_SLOTS_NUM)
		return -EINVAL;
	if (m->guest_phys_addr + m->memory_size < m->guest_phys_addr)
		return -EINVAL;
	npages = m->memory_size >> 12;
	if (npages > VMMU_MEM_MAX_NR_PAGES)
		return -EINVAL;
	old = slot_by_id(as, id);
	*oldp = old;
	if (!m->memory_size) {
		if (!old)
			return -EINVAL;
		*ch = CH_DELETE;
		return 0;
	}
	base = m->guest_phys_addr >> 12;
	if (!old) {
		*ch = CH_CREATE;
	} else {
		if (m->userspace_addr != old->hva || npages != old->npages ||
		    ((m->flags ^ old->flags) & VMMU_MEM_READONLY))
			return -EINVAL;
		if (base != old->gfn)
			*ch = CH_MOVE;
		else if (m->flags != old->flags)
			*ch = CH_FLAGS;
		else
			return 0;
	}
	if (*ch == CH_CREATE || *ch == CH_MOVE) {
		for (int i = 0; i < MAX_SLOTS; i++) {
			struct mslot *s = &slots[i];

			if (s->used && s->as == as && s->id != id && s->gfn < base + npages &&
			    base < s->gfn + s->npages)
				return -EEXIST;
		}
		if (base + npages - 1 > max_gfn)
			return -EINVAL;
	}
	return 0;
}

static uint8_t *new_dirty(uint64_t npages)
{
	uint8_t *d = calloc(npages, 1);

	if (!d)
		abort();
	/* With the ring, d[] is "written since the last harvest": INITIALLY_SET
	 * has no bitmap to set there. */
	if ((manual & VMMU_DIRTY_LOG_MANUAL_PROTECT_ENABLE) && (manual & VMMU_DIRTY_LOG_INITIALLY_SET) &&
	    !ring_mode)
		memset(d, 1, npages);
	return d;
}

static void model_region_apply(const struct vmmu_userspace_memory_region *m, enum chg ch,
			       struct mslot *old)
{
	uint32_t as = m->slot >> 16;
	bool log = m->flags & VMMU_MEM_LOG_DIRTY_PAGES;
	struct mslot *s = old;

	switch (ch) {
	case CH_NONE:
		return;
	case CH_CREATE:
		for (int i = 0; i < MAX_SLOTS; i++) {
			if (!slots[i].used) {
				s = &slots[i];
				break;
			}
		}
		if (!s)
			abort();	/* the caller checked for room */
		*s = (struct mslot){ .used = true, .as = as, .id = m->slot & 0xffff,
				     .flags = m->flags, .gfn = m->guest_phys_addr >> 12,
				     .npages = m->memory_size >> 12, .hva = m->userspace_addr };
		s->dirty = log ? new_dirty(s->npages) : NULL;
		mark_touched(s->hva, s->npages);
		break;
	case CH_DELETE:
		free(s->dirty);
		*s = (struct mslot){ 0 };
		break;
	case CH_MOVE:
	case CH_FLAGS:
		s->gfn = m->guest_phys_addr >> 12;
		s->flags = m->flags;
		if (!log) {
			free(s->dirty);
			s->dirty = NULL;
		} else if (!s->dirty) {
			s->dirty = new_dirty(s->npages);
		}
		break;
	}
	gen[as] += (ch == CH_DELETE || ch == CH_MOVE ? 2 : 1) * nr_as;
	n_swaps += ch == CH_DELETE || ch == CH_MOVE ? 2 : 1;
	n_updates++;
}

static const uint64_t size_table[16] = { 1, 1, 2, 2, 3, 4, 4, 8, 8, 16, 16, 32, 64, 65, 130, 512 };

static uint64_t pick_region_gfn(uint8_t t, uint8_t x)
{
	if (t < 208)
		return x % 72;
	if (t < 224)
		return 64 + (uint64_t)x * 3;
	if (t < 240)
		return max_gfn - (x % 8);
	return max_gfn + 1 - (x % 3);
}

static uint64_t pick_region_hva(uint8_t t, uint8_t x)
{
	struct mslot *s;

	if (t < 176)
		return hva_of(x % 96);
	if (t < 208)
		return hva_of((x * 2u) % CPAGES);
	if (t < 232 && (s = nth_slot(-1, x, false)))
		return s->hva;		/* an alias of another slot's memory */
	if (t < 244)
		return hva_of(CPAGES + x % 8);	/* never mapped */
	return hva_of(x % 24);
}

static void op_region(struct rd *in)
{
	uint8_t kind = u8(in), ssel = u8(in), asel = u8(in), fl = u8(in), gt = u8(in),
		gx = u8(in), sz = u8(in), ht = u8(in), hx = u8(in);
	uint32_t idrange = max_user_slots < 12 ? max_user_slots : 12;
	struct vmmu_userspace_memory_region m = {
		.slot = ((uint32_t)(asel % nr_as) << 16) | (ssel % idrange),
		.flags = fl & 3,
		.guest_phys_addr = pick_region_gfn(gt, gx) << 12,
		.memory_size = size_table[sz % 16] * PAGE,
		.userspace_addr = pick_region_hva(ht, hx),
	};
	struct mslot *s = nth_slot(-1, ssel, false), *old;
	enum chg ch;
	struct trec *t;
	int exp, r;

	switch (kind % 8) {
	case 2:		/* delete an existing slot */
		if (s) {
			m.slot = (s->as << 16) | s->id;
			m.guest_phys_addr = s->gfn << 12;
			m.userspace_addr = s->hva;
		}
		m.memory_size = 0;
		break;
	case 3:		/* move an existing slot */
		if (s) {
			m.slot = (s->as << 16) | s->id;
			m.flags = (fl & 0x80) ? (s->flags ^ VMMU_MEM_LOG_DIRTY_PAGES) : s->flags;
			m.memory_size = s->npages * PAGE;
			m.userspace_addr = s->hva;
		}
		break;
	case 4:		/* re-flag an existing slot (READONLY: -EINVAL) */
		if (s) {
			m.slot = (s->as << 16) | s->id;
			m.flags = s->flags ^ ((fl & 0xe0) == 0xe0 ? VMMU_MEM_READONLY :
					      VMMU_MEM_LOG_DIRTY_PAGES);
			m.guest_phys_addr = s->gfn << 12;
			m.memory_size = s->npages * PAGE;
			m.userspace_addr = s->hva;
		}
		break;
	case 5:		/* an existing slot with its own values, or one changed */
		if (s) {
			m.slot = (s->as << 16) | s->id;
			m.flags = s->flags;
			m.guest_phys_addr = s->gfn << 12;
			m.memory_size = s->npages * PAGE;
			m.userspace_addr = s->hva;
			if ((fl & 3) == 1)
				m.userspace_addr += PAGE;
			else if ((fl & 3) == 2)
				m.memory_size += PAGE;
		}
		break;
	case 6:		/* invalid arguments */
		switch (fl % 12) {
		case 0: m.guest_phys_addr |= 0x800; break;
		case 1: m.memory_size += 1; break;
		case 2: m.userspace_addr += 8; break;
		case 3: m.userspace_addr = 1ull << 47; break;
		case 4: m.userspace_addr = TASK_SIZE_MAX - m.memory_size + PAGE; break;
		case 5: m.slot = (nr_as << 16) | (m.slot & 0xffff); break;
		case 6: m.slot = (m.slot & 0xffff0000u) | max_user_slots; break;
		case 7: m.slot = (m.slot & 0xffff0000u) | (fl & 0x80 ? 0xffffu : 32767u); break;
		case 8: m.flags |= 4u << (fl >> 6); break;
		case 9: m.guest_phys_addr = 0ull - 2 * PAGE; m.memory_size = 4 * PAGE; break;
		case 10: m.memory_size = (1ull << 31) * PAGE; m.userspace_addr = hva_of(0); break;
		default: m.memory_size = 0; break;
		}
		break;
	default:	/* create (or whatever the id's slot makes of it) */
		if ((fl & 0x30) == 0x30 && max_user_slots > 12)
			m.slot = (m.slot & 0xffff0000u) | (max_user_slots - 1);
		break;
	}

	exp = model_region(&m, &ch, &old);
	t = trace_add(T_REGION, m.slot, m.flags, m.guest_phys_addr, m.memory_size,
		      m.userspace_addr, 0);
	if (exp == 0 && ch == CH_CREATE && nr_slots(-1) >= MAX_SLOTS) {
		t->skip = true;
		return;
	}
	if (exp == 0 && (ch == CH_CREATE || ch == CH_MOVE) && !hostmm_mode)
		mark_touched(m.userspace_addr, m.memory_size >> 12);
	if (kind & 0x80) {
		/* KVM_SET_USER_MEMORY_REGION2: the same outcome, whatever the padding
		 * and guest_memfd fields say; with KVM_MEM_GUEST_MEMFD, -EINVAL. */
		struct vmmu_userspace_memory_region2 m2 = {
			.slot = m.slot, .flags = m.flags, .guest_phys_addr = m.guest_phys_addr,
			.memory_size = m.memory_size, .userspace_addr = m.userspace_addr,
			.guest_memfd_offset = mix64(gx) & ~(uint64_t)(PAGE - 1),
			.guest_memfd = hx, .pad1 = (kind & 0x40) ? ht : 0,
		};

		m2.pad2[hx % 14] = (kind & 0x20) ? mix64(hx) : 0;
		t->op = T_REGION2;
		if ((kind & 0x78) == 0x78) {
			m2.flags |= VMMU_MEM_GUEST_MEMFD;
			t->a[1] = m2.flags;
			exp = -EINVAL;
		}
		r = vmmu_set_user_memory_region2(vm, &m2);
	} else {
		r = vmmu_set_user_memory_region(vm, &m);
	}
	t->r = r;
	if (trace_live)
		trace_print_one(stderr, t);
	CHECK(r == exp, "set_user_memory_region%s(slot %u/%u flags %#x gpa %#" PRIx64 " size %#"
	      PRIx64 " hva %#" PRIx64 "): got %s, model says %s", t->op == T_REGION2 ? "2" : "",
	      m.slot >> 16, m.slot & 0xffff, (uint32_t)t->a[1], m.guest_phys_addr,
	      m.memory_size, m.userspace_addr, errname(r), errname(exp));
	if (!r) {
		model_region_apply(&m, ch, old);
		/* The swap extended our open brackets over what it published. */
		if (ch != CH_NONE)
			for (int i = 0; i < nbr; i++)
				br_add_slots(&brs[i], (int)(m.slot >> 16));
	}
	check_generations();
}

static void op_access(struct rd *in)
{
	uint8_t v = u8(in), t = u8(in), x = u8(in), l = u8(in), f = u8(in), o = u8(in);
	unsigned int vi = v % nvcpu;
	uint32_t len, flags;
	uint64_t off, gpa;

	pick_len_off(l, o, &len, &off);
	gpa = (pick_gfn(vas[vi], t, x) << 12) + off;
	switch (f % 8) {
	case 0: case 1: case 2: flags = 0; break;
	case 3: case 4: case 5: flags = VMMU_ACCESS_WRITE; break;
	case 6: flags = VMMU_ACCESS_FETCH; break;
	default:		/* invalid: both flags, an unknown one, or a bad length */
		flags = (f & 0x80) ? 3 : (f & 0x40) ? 4 : 0;
		if (!flags)
			len = (f & 0x20) ? 0 : 9;
		break;
	}
	do_access(vi, gpa, len, flags, next_wdata());
	check_hostmm_stats();
}

static void op_set_as(struct rd *in)
{
	unsigned int vi = u8(in) % nvcpu;
	uint32_t as = u8(in) % 3;
	struct trec *t = trace_add(T_SETAS, vi, as, 0, 0, 0, 0);
	int exp = as < nr_as ? 0 : -EINVAL;
	int r = vmmu_vcpu_set_address_space(vc[vi], as);

	t->r = r;
	CHECK(r == exp, "set_address_space(vcpu%u, %u): got %s, model says %s", vi, as,
	      errname(r), errname(exp));
	if (!r)
		vas[vi] = as;
}

static const uint64_t rw_len_table[8] = { 0, 1, 8, 100, 4096, 4097, 6000, 12288 };

static void op_rw_guest(struct rd *in)
{
	uint8_t v = u8(in), tt = u8(in), x = u8(in), o = u8(in), l = u8(in), k = u8(in);
	unsigned int vi = v % nvcpu;
	uint32_t as = vas[vi];
	bool write = (k % 4) == 2, null = (k % 4) == 3 && (k & 0x40);
	uint64_t len = rw_len_table[l % 8], gpa, done = 0;
	static uint8_t buf[3 * PAGE + 16], want[3 * PAGE];
	struct trec *t;
	int exp = 0, r;

	gpa = (pick_gfn(as, tt, x) << 12) + ((o & 1) ? o * 16u + 1 : (o & 0x7e) * 32u) % PAGE;
	t = trace_add(write ? T_WRITEG : T_READG, vi, gpa, len, as, null, 0);
	if (null) {
		exp = len ? -EINVAL : 0;
		r = write ? vmmu_vcpu_write_guest(vc[vi], gpa, NULL, len) :
			    vmmu_vcpu_read_guest(vc[vi], gpa, NULL, len);
		t->r = r;
		CHECK(r == exp, "%s_guest(NULL buffer, len %" PRIu64 "): got %s, model says %s",
		      write ? "write" : "read", len, errname(r), errname(exp));
		return;
	}
	/* Would any page the copy reaches wait for an open invalidation? */
	for (uint64_t g = gpa, left = len; left;) {
		uint64_t n = PAGE - (g & (PAGE - 1));
		struct mslot *s = slot_by_gfn(as, g >> 12);

		if (n > left)
			n = left;
		if (s && br_covered(as, g >> 12)) {
			t->skip = true;
			return;
		}
		g += n;
		left -= n;
	}
	if (write)
		for (uint64_t i = 0; i < len; i += 8) {
			uint64_t w = next_wdata();

			memcpy(buf + i, &w, 8);
		}
	else
		memset(buf, 0xc3, sizeof(buf));
	/* The model, page by page, stopping at the first page that faults. */
	for (uint64_t g = gpa; done < len;) {
		uint64_t n = PAGE - (g & (PAGE - 1)), p, off = g & (PAGE - 1);
		struct mslot *s = (g >> 12) <= max_gfn ? slot_by_gfn(as, g >> 12) : NULL;

		if (n > len - done)
			n = len - done;
		if (!s || (write && (s->flags & VMMU_MEM_READONLY))) {
			exp = -EFAULT;
			break;
		}
		p = page_of(s->hva + ((g >> 12) - s->gfn) * PAGE);
		if (!hostmm_mode) {
			if (p >= CPAGES || !direct_allows(p, write)) {
				exp = -EFAULT;
				break;
			}
			touched[p] = true;
			if (write)
				memcpy(&mem[p][off], buf + done, n);
			else
				memcpy(want + done, &mem[p][off], n);
		} else if (hm_access_page(p, off, n, write, write ? buf + done : want + done)) {
			exp = -EFAULT;
			break;
		}
		if (write && s->dirty)
			s->dirty[(g >> 12) - s->gfn] = 1;
		g += n;
		done += n;
	}
	r = write ? vmmu_vcpu_write_guest(vc[vi], gpa, buf, len) :
		    vmmu_vcpu_read_guest(vc[vi], gpa, buf, len);
	t->r = r;
	if (trace_live)
		trace_print_one(stderr, t);
	CHECK(r == exp, "%s_guest(vcpu%u, gpa %#" PRIx64 ", len %" PRIu64 "): got %s, model says %s",
	      write ? "write" : "read", vi, gpa, len, errname(r), errname(exp));
	if (!write) {
		for (uint64_t i = 0; i < done; i++)
			CHECK(buf[i] == want[i], "read_guest(vcpu%u, gpa %#" PRIx64 ", len %" PRIu64
			      "): byte %" PRIu64 " is %#x, model says %#x", vi, gpa, len, i,
			      buf[i], want[i]);
		if (!exp)
			for (uint64_t i = len; i < len + 16; i++)
				CHECK(buf[i] == 0xc3, "read_guest wrote past its length");
	}
	check_hostmm_stats();
}

/* --- notifier brackets --- */

static void bracket_close(int i)
{
	struct br b = brs[i];
	struct trec *t = trace_add(T_BEND, b.s, b.e, 0, 0, 0, 0);

	/*
	 * end() names a host range, not a bracket: with several open over the
	 * same range, the library may end another one than ours, whose gfn
	 * ranges differ if a memslot update came between their starts.  The
	 * ones left keep the union, so the model still covers at least what
	 * the library does.
	 */
	for (int j = 0; j < nbr; j++) {
		if (j == i || brs[j].s != b.s || brs[j].e != b.e)
			continue;
		brs[j].all |= b.all;
		for (int k = 0; k < b.nr; k++)
			br_add(&brs[j], b.r[k].as, b.r[k].g0, b.r[k].g1);
	}

	brs[i] = brs[--nbr];
	model_bracket_end(b.hit);
	vmmu_mmu_notifier_invalidate_range_end(vm, b.s, b.e);
	if (trace_live)
		trace_print_one(stderr, t);
}

static void bracket_open(uint64_t s, uint64_t e)
{
	struct trec *t = trace_add(T_BSTART, s, e, 0, 0, 0, 0);

	memset(&brs[nbr], 0, sizeof(brs[nbr]));
	brs[nbr].s = s;
	brs[nbr].e = e;
	brs[nbr].hit = model_bracket_begin(s, e);
	br_add_slots(&brs[nbr], -1);
	t->r = brs[nbr].hit;
	nbr++;
	vmmu_mmu_notifier_invalidate_range_start(vm, s, e);
	if (trace_live)
		trace_print_one(stderr, t);
}

static void op_bracket_start(struct rd *in)
{
	uint8_t tt = u8(in), x = u8(in), n = u8(in), k = u8(in);
	uint64_t p = pick_page(tt, x), npg = 1 + ((n & 0x80) ? n % 32 : n % 4);
	uint64_t s = hva_of(p), e = hva_of(p + npg);

	if (nbr == MAX_BR) {
		bracket_close(k % nbr);
		return;
	}
	switch (k % 8) {
	case 5:		/* the last page only partly */
		e = hva_of(p + npg - 1) + 1 + (x * 37u) % (PAGE - 1);
		break;
	case 6:		/* from inside the first page */
		s += 1 + (x * 13u) % (PAGE - 1);
		if (s >= e)
			e = s + 1;
		break;
	case 7:		/* empty */
		e = s;
		break;
	default:
		break;
	}
	bracket_open(s, e);
}

static void op_bracket_end(struct rd *in)
{
	uint8_t sel = u8(in);
	uint64_t s, e;
	struct trec *t;

	if (sel < 224 && nbr) {
		bracket_close(sel % nbr);
		return;
	}
	/* An end() that no open start() has: ignored and counted. */
	s = hva_of(sel % 64) + 2049;
	e = s + 7 + PAGE * (sel & 3);
	for (int i = 0; i < nbr; i++) {
		if (brs[i].s == s && brs[i].e == e) {
			bracket_close(i);
			return;
		}
	}
#ifdef FUZZ_VMMU_OLD_API
	/* Before 4e020f0 an unmatched end() was undefined: not exercised. */
	return;
#endif
	t = trace_add(T_BEND_UNMATCHED, s, e, 0, 0, 0, 0);
	vmmu_mmu_notifier_invalidate_range_end(vm, s, e);
	n_end_unmatched++;
	(void)t;
	check_stats();
}

/* --- direct backend: change the host memory behind guest RAM --- */

static void fill_new_contents(uint64_t p, uint64_t ver)
{
	for (unsigned int j = 0; j < PAGE / 8; j++) {
		uint64_t w = mix64((p << 40) ^ (ver << 16) ^ j ^ data_seed) | 1;

		memcpy(&mem[p][j * 8], &w, 8);
	}
}

static void host_change(int kind, uint64_t p, uint64_t n)
{
	for (uint64_t q = p; q < p + n; q++) {
		void *a = region + q * PAGE;

		touched[q] = true;
		switch (kind) {
		case 0:
			if (munmap(a, PAGE))
				abort();
			hst[q] = 0;
			break;
		case 1:
		case 3:
			if (mmap(a, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
				 -1, 0) != a)
				abort();
			hst[q] = 1;
			if (kind == 1)
				fill_new_contents(q, ++wseq);
			else
				memset(mem[q], 0, PAGE);
			memcpy(a, mem[q], PAGE);
			break;
		case 2:
			if (!hst[q])
				break;
			if (madvise(a, PAGE, MADV_DONTNEED))
				abort();
			memset(mem[q], 0, PAGE);
			break;
		default:	/* 4, 5: mprotect read-only, PROT_NONE */
			if (!hst[q])
				break;
			if (mprotect(a, PAGE, kind == 4 ? PROT_READ : PROT_NONE))
				abort();
			hst[q] = kind == 4 ? HST_RO : HST_NONE;
			break;
		}
	}
}

static void op_host_change(struct rd *in)
{
	uint8_t k = u8(in), sel = u8(in), x = u8(in), n = u8(in);
	/* The top eighth of k: mprotect (read-only or PROT_NONE). */
	int kind = k >= 0xe0 ? 4 + (k & 1) : k % 4;
	uint64_t p = 0, cnt = 0;
	bool own = true;
	struct trec *t;

	if ((sel & 1) && nbr) {
		struct br *b = &brs[(sel >> 1) % nbr];
		uint64_t fp = b->s <= hva_base ? 0 : (b->s - hva_base + PAGE - 1) / PAGE;
		uint64_t lp = b->e <= hva_base ? 0 : (b->e - hva_base) / PAGE;

		if (lp > CPAGES)
			lp = CPAGES;
		if (fp < lp) {
			p = fp + x % (lp - fp);
			cnt = 1 + n % (lp - p);
			own = false;
		}
	}
	if (own) {
		p = pick_page(x, n) % CPAGES;
		cnt = 1 + (k >> 2) % 4;
		if (p + cnt > CPAGES)
			cnt = CPAGES - p;
	}
	t = trace_add(kind == 0 ? T_MUNMAP : kind == 1 ? T_REPLACE : kind == 2 ? T_DONTNEED :
		      kind == 3 ? T_REMAP : kind == 4 ? T_PROTECT_RO : T_PROTECT_NONE, p, cnt, own,
		      0, 0, 0);
	if (trace_live)
		trace_print_one(stderr, t);
	if (own) {
		bool hit = model_bracket_begin(hva_of(p), hva_of(p + cnt));

		vmmu_mmu_notifier_invalidate_range_start(vm, hva_of(p), hva_of(p + cnt));
		host_change(kind, p, cnt);
		vmmu_mmu_notifier_invalidate_range_end(vm, hva_of(p), hva_of(p + cnt));
		model_bracket_end(hit);
	} else {
		host_change(kind, p, cnt);
	}
}

static void op_host_write(struct rd *in)
{
	uint8_t tt = u8(in), x = u8(in), o = u8(in), l = u8(in);
	uint64_t p = pick_page(tt, x), off = (o * 16u + (l >> 6)) % PAGE, len = 1 + l % 64;
	uint8_t buf[80];

	for (unsigned int i = 0; i < sizeof(buf); i += 8) {
		uint64_t w = next_wdata();

		memcpy(buf + i, &w, 8);
	}
	if (!hostmm_mode) {
		if (p >= CPAGES || hst[p] != 1)	/* the host cannot write a protected page */
			return;
		if (off + len > PAGE)
			len = PAGE - off;
		trace_add(T_HWRITE, hva_of(p) + off, len, 0, 0, 0, 0);
		touched[p] = true;
		memcpy(&mem[p][off], buf, len);
		memcpy(region + p * PAGE + off, buf, len);
		return;
	} else {
		uint64_t hva = hva_of(p) + off, done = 0;
		struct trec *t = trace_add(T_HM_WRITE, hva, len, 0, 0, 0, 0);
		int exp = 0, r;

		while (done < len) {
			uint64_t q = page_of(hva + done), qo = (hva + done) & (PAGE - 1);
			uint64_t nn = PAGE - qo;

			if (nn > len - done)
				nn = len - done;
			exp = hm_access_page(q, qo, nn, true, buf + done);
			if (exp)
				break;
			done += nn;
		}
		r = vmmu_hostmm_write(mm, hva, buf, len);
		t->r = r;
		CHECK(r == exp, "hostmm_write(+%#" PRIx64 ", %" PRIu64 "): got %s, model says %s",
		      hva - hva_base, len, errname(r), errname(exp));
		check_hostmm_stats();
	}
}

static void op_change_pte(struct rd *in)
{
	uint8_t tt = u8(in), x = u8(in), w = u8(in);
	uint64_t p = pick_page(tt, x);
	uint64_t addr = hva_of(p) + ((w & 0x10) ? (x * 8u) % PAGE : 0);
	uint64_t pg = addr & ~(PAGE - 1);
	uint64_t newp = (hostmm_mode || (w & 6) == 6) ? (uint64_t)(uintptr_t)decoy : pg;
	bool covered = false;
	struct trec *t = trace_add(T_CPTE, addr, newp, w & 1, 0, 0, 0);
	int exp, r;

	for (int i = 0; i < nbr; i++)
		if (brs[i].s <= pg && pg + PAGE <= brs[i].e)
			covered = true;
#if defined(FUZZ_VMMU_OLD_API) && !defined(FUZZ_VMMU_STRICT_CHANGE_PTE)
	/*
	 * Before 4e020f0 "inside a bracket" meant "while any start() is
	 * open" (with a page in no memslot accepted, and one in a memslot
	 * accepted when the gfn hull covered it: defect 5).  Not checked, so
	 * that a run on old sources looks for the other defects.
	 */
	if (!covered && nbr) {
		t->r = R_SKIP;
		return;
	}
#endif
	exp = covered ? 0 : -EINVAL;
	r = vmmu_mmu_notifier_change_pte(vm, addr, newp, w & 1);
	t->r = r;
	if (!covered)
		n_cpte_refused++;
	CHECK(r == exp, "change_pte(+%#" PRIx64 ") %s: got %s, model says %s", addr - hva_base,
	      covered ? "inside an open bracket of its page" :
	      "with no open bracket containing its page", errname(r), errname(exp));
	check_stats();
}

static void op_age(struct rd *in)
{
	uint8_t k = u8(in), tt = u8(in), x = u8(in), n = u8(in);
	uint64_t p = pick_page(tt, x), s = hva_of(p), e = hva_of(p + 1 + n % 4);
	struct trec *t;
	int r, y;

	if (k & 8)
		s += (x * 8u) % PAGE;
	switch (k % 3) {
	case 0:
	case 1:
		t = trace_add(k % 3 ? T_CLEAR_FLUSH_YOUNG : T_CLEAR_YOUNG, s, e, 0, 0, 0, 0);
		r = k % 3 ? vmmu_mmu_notifier_clear_flush_young(vm, s, e) :
			    vmmu_mmu_notifier_clear_young(vm, s, e);
		t->r = r;
		CHECK(r == 0 || r == 1, "clear_young returned %d", r);
		/* Nothing can have made the page young again since. */
		t = trace_add(T_TEST_YOUNG, s, 0, 0, 0, 0, 0);
		y = vmmu_mmu_notifier_test_young(vm, s);
		t->r = y;
		CHECK(y == 0, "test_young right after clearing the range returned %d", y);
		break;
	default:
		t = trace_add(T_TEST_YOUNG, s + (x * 8u) % PAGE, 0, 0, 0, 0, 0);
		r = vmmu_mmu_notifier_test_young(vm, s + (x * 8u) % PAGE);
		t->r = r;
		CHECK(r == 0 || r == 1, "test_young returned %d", r);
		break;
	}
}

/* --- dirty logging --- */

static uint32_t pick_dirty_slot(uint8_t sel, struct mslot **sp)
{
	struct mslot *s = NULL;

	*sp = NULL;
	if (sel < 200) {
		s = nth_slot(-1, sel >> 1, (sel & 1) || (sel & 2));
		if (!s)
			s = nth_slot(-1, sel >> 1, false);
	}
	if (s) {
		*sp = s;
		return (s->as << 16) | s->id;
	}
	switch (sel % 4) {
	case 0: return nr_as << 16;
	case 1: return max_user_slots;
	case 2: return (sel % nr_as) << 16 | (sel % (max_user_slots < 12 ? max_user_slots : 12));
	default: return (2u << 16) | 1;
	}
}

static int model_dirty_slot(uint32_t arg, struct mslot **sp)
{
	uint32_t as = arg >> 16, id = arg & 0xffff;

	*sp = NULL;
	if (as >= nr_as || id >= max_user_slots)
		return -EINVAL;
	*sp = slot_by_id(as, id);
	if (!*sp || !(*sp)->dirty)
		return -ENOENT;
	return 0;
}

/* Compare a GET_DIRTY_LOG bitmap with the model's dirty pages of @s. */
static void check_bitmap(struct mslot *s, const uint8_t *bm, uint64_t words)
{
	for (uint64_t i = 0; i < words * 64; i++) {
		bool got = (bm[i / 8] >> (i % 8)) & 1;
		bool want = i < s->npages && s->dirty[i];

		if (got == want)
			continue;
		if (want)
			fail("LOST DIRTY PAGE: slot %u/%u page %" PRIu64 " (gfn %#" PRIx64
			     ") was written since the last harvest but get_dirty_log does not "
			     "report it", s->as, s->id, i, s->gfn + i);
		fail("spurious dirty bit: slot %u/%u page %" PRIu64 " (gfn %#" PRIx64 ") is "
		     "reported dirty but was not written since the last harvest%s", s->as, s->id,
		     i, s->gfn + i, i >= s->npages ? " (past the end of the slot)" : "");
	}
}

/*
 * The dirty ring's harvest: every vCPU's DIRTY entries, marked RESET, then
 * vmmu_vm_reset_dirty_rings(), which must recycle exactly those.  Every page
 * the model saw written since its last harvest must be among them (an entry
 * may name a page twice, or a slot deleted since: both are allowed).
 */
static void ring_harvest(void)
{
	struct trec *t = trace_add(T_RING_HARVEST, 0, 0, 0, 0, 0, 0);
	uint64_t n = 0;
	int r;

	for (unsigned int v = 0; v < nvcpu; v++) {
		struct vmmu_dirty_gfn *ring = ring_of[v];

		for (; ring; ring_fetch[v]++, n++) {
			struct vmmu_dirty_gfn *e = &ring[ring_fetch[v] % (RING_BYTES / 16)];
			uint32_t as, id;
			struct mslot *s;

			if (!(__atomic_load_n(&e->flags, __ATOMIC_ACQUIRE) & VMMU_DIRTY_GFN_F_DIRTY))
				break;
			as = e->slot >> 16;
			id = e->slot & 0xffff;
			CHECK(as < nr_as && id < max_user_slots, "vcpu%u ring entry %u names slot "
			      "%u/%u, which cannot exist", v, ring_fetch[v], as, id);
			s = slot_by_id(as, id);
			if (s && s->dirty && e->offset < s->npages)
				s->dirty[e->offset] = 0;
			__atomic_store_n(&e->flags, VMMU_DIRTY_GFN_F_RESET, __ATOMIC_RELEASE);
		}
	}
	r = vmmu_vm_reset_dirty_rings(vm);
	t->r = r;
	t->a[0] = n;
	if (trace_live)
		trace_print_one(stderr, t);
	CHECK(r >= 0 && (uint64_t)r == n, "reset_dirty_rings: got %s (%d), %" PRIu64
	      " entries were harvested", errname(r < 0 ? r : 0), r, n);
	for (int i = 0; i < MAX_SLOTS; i++) {
		struct mslot *s = &slots[i];

		for (uint64_t k = 0; s->used && s->dirty && k < s->npages; k++)
			if (s->dirty[k])
				fail("LOST DIRTY PAGE: slot %u/%u page %" PRIu64 " (gfn %#" PRIx64
				     ") was written since the last harvest but no vCPU's dirty ring "
				     "holds an entry for it", s->as, s->id, k, s->gfn + k);
	}
}

/* With the ring on, the bitmap calls give -ENXIO before any other check. */
static void ring_bitmap_call(uint32_t arg, bool clear, const uint8_t *src)
{
	static uint8_t bm[64 * 8 * 8];
	int r;

	if (clear)
		memcpy(bm, src, 64);
	r = clear ? vmmu_clear_dirty_log(vm, arg, 0, 64, bm) : vmmu_get_dirty_log(vm, arg, bm);
	trace_add(clear ? T_CLEAR_DIRTY : T_GET_DIRTY, arg, 0, 0, 0, 0, 0)->r = r;
	CHECK(r == -ENXIO, "%s_dirty_log(slot %u/%u) with the dirty ring on: got %s, model says "
	      "-ENXIO", clear ? "clear" : "get", arg >> 16, arg & 0xffff, errname(r));
}

static void do_get_dirty(uint32_t arg, bool null)
{
	struct trec *t = trace_add(T_GET_DIRTY, arg, null, 0, 0, 0, 0);
	struct mslot *s;
	int exp = model_dirty_slot(arg, &s), r;
	uint64_t words = s && s->dirty ? (s->npages + 63) / 64 : 1;
	uint8_t *bm = null ? NULL : malloc(words * 8);
	bool man = manual & VMMU_DIRTY_LOG_MANUAL_PROTECT_ENABLE;

	if (!exp && null)
		exp = -EFAULT;
	if (bm)
		memset(bm, 0xee, words * 8);
	r = vmmu_get_dirty_log(vm, arg, bm);
	t->r = r;
	if (trace_live)
		trace_print_one(stderr, t);
	CHECK(r == exp, "get_dirty_log(slot %u/%u%s): got %s, model says %s", arg >> 16,
	      arg & 0xffff, null ? ", NULL" : "", errname(r), errname(exp));
	if (!r)
		check_bitmap(s, bm, words);
	/* Without manual protect the bits are taken, even when the copy-out fails. */
	if (s && s->dirty && !man && (r == 0 || r == -EFAULT))
		memset(s->dirty, 0, s->npages);
	free(bm);
}

static void op_get_dirty(struct rd *in)
{
	uint8_t sel = u8(in), nf = u8(in);
	struct mslot *s;
	uint32_t arg = pick_dirty_slot(sel, &s);

	if (ring_mode) {
		if (nf % 4)
			ring_harvest();
		else
			ring_bitmap_call(arg, false, NULL);
		return;
	}
	do_get_dirty(arg, (nf % 16) == 15);
}

static void do_clear_dirty(uint32_t arg, uint64_t first, uint32_t num, const uint8_t *src,
			   bool null)
{
	size_t nbytes = ((size_t)num + 7) / 8;
	uint8_t *bm = null ? NULL : malloc(nbytes ? nbytes : 1);
	uint64_t mask0 = 0;
	struct trec *t;
	struct mslot *s = NULL;
	int exp, r;

	if (bm)
		memcpy(bm, src, nbytes);
	if (bm)
		memcpy(&mask0, bm, nbytes < 8 ? nbytes : 8);
	t = trace_add(T_CLEAR_DIRTY, arg, first, num, mask0, null, 0);
	if ((arg >> 16) >= nr_as || (arg & 0xffff) >= max_user_slots || (first & 63)) {
		exp = -EINVAL;
	} else {
		exp = model_dirty_slot(arg, &s);
		if (!exp && (first > s->npages || num > s->npages - first ||
			     (num < s->npages - first && (num & 63))))
			exp = -EINVAL;
		if (!exp && null && num)
			exp = -EFAULT;
	}
	r = vmmu_clear_dirty_log(vm, arg, first, num, bm);
	t->r = r;
	if (trace_live)
		trace_print_one(stderr, t);
	CHECK(r == exp, "clear_dirty_log(slot %u/%u, first %" PRIu64 ", num %u%s): got %s, "
	      "model says %s", arg >> 16, arg & 0xffff, first, num, null ? ", NULL" : "",
	      errname(r), errname(exp));
	if (!r)
		for (uint64_t i = 0; i < num; i++)
			if ((bm[i / 8] >> (i % 8)) & 1)
				s->dirty[first + i] = 0;
	free(bm);
}

static void op_clear_dirty(struct rd *in)
{
	uint8_t sel = u8(in), fp = u8(in), np = u8(in), bmk = u8(in);
	struct mslot *s;
	uint32_t arg = pick_dirty_slot(sel, &s);
	uint64_t npages = s ? s->npages : 64, first, rest;
	static const int first_tab[8] = { 0, 0, 0, 64, 128, 1, -1, -2 };
	uint32_t num;
	uint8_t src[64 * 8];

	if (ring_mode) {
		memset(src, 0xff, 64);
		ring_bitmap_call(arg, true, src);
		return;
	}
	first = first_tab[fp % 8] == -1 ? npages : first_tab[fp % 8] == -2 ? npages + 64 :
		(uint64_t)first_tab[fp % 8];
	rest = npages > first ? npages - first : 0;
	switch (np % 8) {
	case 0: case 1: num = (uint32_t)rest; break;
	case 2: num = 64; break;
	case 3: num = 1; break;
	case 4: num = 0; break;
	case 5: num = (uint32_t)rest + 1; break;
	case 6: num = 63; break;
	default: num = 128; break;
	}
	if (num > 64 * 8 * 8)
		num = 64 * 8 * 8;
	switch (bmk % 4) {
	case 0:
		memset(src, 0xff, sizeof(src));
		break;
	case 1:
		for (unsigned int i = 0; i < sizeof(src); i++)
			src[i] = i < 32 ? u8(in) : src[i % 32];
		break;
	case 2:
		memset(src, 0x55, sizeof(src));
		break;
	default:
		memset(src, 0xff, sizeof(src));
		do_clear_dirty(arg, first, num, src, (bmk & 0x40) != 0);
		return;
	}
	do_clear_dirty(arg, first, num, src, false);
}

static void op_manual(struct rd *in)
{
	static const uint64_t tab[8] = { 0, 1, 3, 1, 3, 2, 4, 1ull << 63 };
	uint64_t f = tab[u8(in) % 8];
	struct trec *t;

	t = trace_add(T_MANUAL, f, 0, 0, 0, 0, 0);
	int exp = (f & ~3ull) || f == 2 ? -EINVAL : 0;
	int r = vmmu_vm_enable_manual_dirty_log_protect(vm, f);

	t->r = r;
	CHECK(r == exp, "enable_manual_dirty_log_protect(%#" PRIx64 "): got %s, model says %s", f,
	      errname(r), errname(exp));
	if (!r)
		manual = f;
}

static void op_release(void)
{
	trace_add(T_RELEASE, 0, 0, 0, 0, 0, 0);
	vmmu_mmu_notifier_release(vm);
}

static void op_vcpu(struct rd *in)
{
	unsigned int vi = u8(in) % nvcpu;
	uint8_t k = u8(in);
	struct trec *t = trace_add(T_VCPU, vi, k % 4, 0, 0, 0, 0);
	struct vmmu_vcpu *tmp = NULL;
	int r, exp;

	switch (k % 4) {
	case 0:		/* destroy and re-create: a fresh TLB, address space 0 */
		if (ring_mode)
			ring_harvest();	/* the vCPU's ring goes with it */
		vmmu_vcpu_destroy(vc[vi]);
		vc[vi] = NULL;
		r = vmmu_vcpu_create(vm, vi, &vc[vi]);
		exp = 0;
		vas[vi] = 0;
		if (ring_mode && !r) {
			ring_fetch[vi] = 0;
			CHECK(vmmu_vcpu_get_dirty_ring(vc[vi], &ring_of[vi], NULL) == 0,
			      "get_dirty_ring of a new vCPU");
		}
		break;
	case 1:
		r = vmmu_vcpu_create(vm, vi, &tmp);
		exp = -EEXIST;
		break;
	case 2:
		r = vmmu_vcpu_create(vm, VMMU_MAX_VCPUS, &tmp);
		exp = -EINVAL;
		break;
	default:
		r = vmmu_vcpu_create(vm, 7, NULL);
		exp = -EINVAL;
		break;
	}
	t->r = r;
	CHECK(r == exp, "vcpu lifecycle op %u: got %s, model says %s", k % 4, errname(r),
	      errname(exp));
	CHECK(!tmp, "vmmu_vcpu_create set its output on failure");
}

/* Read a word of a few pages of every slot of the vCPU's address space. */
static void sweep(unsigned int vi)
{
	uint32_t as = vas[vi];

	trace_add(T_SWEEP, vi, as, 0, 0, 0, 0);
	for (int i = 0; i < MAX_SLOTS; i++) {
		struct mslot *s = &slots[i];

		if (!s->used || s->as != as)
			continue;
		for (uint64_t pg = 0; pg < s->npages; pg = pg < 8 ? pg + 1 : pg * 2 + 5) {
			uint64_t gpa = ((s->gfn + pg) << 12) + ((pg * 24 + op_no * 8) & (PAGE - 8));

			do_access(vi, gpa, 8, 0, 0);
		}
	}
	for (uint64_t g = 0; g < 4; g++)	/* and some gfns with no slot */
		do_access(vi, ((max_gfn - g) << 12) + 8, 4, g & 1 ? VMMU_ACCESS_WRITE : 0,
			  next_wdata());
}

/* --- the simulated host MM --- */

static void op_hm_mmap(struct rd *in)
{
	uint8_t x = u8(in), n = u8(in), k = u8(in);
	uint64_t p = x % HM_MAP_PAGES, npg = 1 + n % 8, want = hva_of(p), len = npg * PAGE;
	uint64_t lenr, got;
	struct trec *t;
	int exp = 0, r;

	switch (k % 8) {
	case 5: len -= 100; break;
	case 6: want += 8; break;
	case 7: len = (k & 0x80) ? 0 : len; want = (k & 0x80) ? want : 0x1000; break;
	default: break;
	}
	t = trace_add(T_HM_MMAP, want, len, 0, 0, 0, 0);
	lenr = (len + PAGE - 1) & ~(PAGE - 1);
	if (!len || (want & (PAGE - 1)))
		exp = -EINVAL;
	else if (want < 0x10000)
		exp = -EPERM;
	else
		for (uint64_t q = p; q < p + lenr / PAGE; q++)
			if (hst[q] != HP_UNMAPPED)
				exp = -EEXIST;
	got = want;
	r = vmmu_hostmm_mmap(mm, len, &got);
	t->r = r;
	CHECK(r == exp, "hostmm_mmap(+%#" PRIx64 ", %#" PRIx64 "): got %s, model says %s",
	      want - hva_base, len, errname(r), errname(exp));
	CHECK(got == want, "hostmm_mmap moved the fixed address (or changed it on failure)");
	if (!r)
		for (uint64_t q = p; q < p + lenr / PAGE; q++) {
			hst[q] = HP_NONE;
			memset(mem[q], 0, PAGE);
		}
	check_hostmm_stats();
}

/* munmap (@unmap) or madvise(MADV_DONTNEED) of the pages [p, p + npg). */
static void op_hm_zap(struct rd *in, bool unmap)
{
	uint8_t tt = u8(in), x = u8(in), n = u8(in), k = u8(in);
	uint64_t p = pick_page(tt, x) % CPAGES, npg = 1 + n % 8, hva = hva_of(p), len = npg * PAGE;
	uint64_t lo = 0, hi = 0;
	bool any = false, hole = false;
	struct trec *t;
	int exp, r;

	if (k % 8 == 6)
		hva += 8;
	else if (k % 8 == 7)
		len = 0;
	t = trace_add(unmap ? T_HM_MUNMAP : T_HM_DONTNEED, hva, len, 0, 0, 0, 0);
	if (hva & (PAGE - 1)) {
		exp = -EINVAL;
	} else if (!len) {
		exp = unmap ? -EINVAL : 0;
	} else {
		for (uint64_t q = p; q < p + npg; q++) {
			if (hst[q] == HP_UNMAPPED) {
				hole = true;
				continue;
			}
			if (!any)
				lo = q;
			hi = q + 1;
			any = true;
		}
		if (any) {
			model_bracket_end(model_bracket_begin(hva_of(lo), hva_of(hi)));
			for (uint64_t q = lo; q < hi; q++) {
				if (hst[q] == HP_UNMAPPED)
					continue;
				if (hst[q] == HP_PRESENT)
					hm_fput(hfr[q]);
				else if (hst[q] == HP_SWAP)
					swap_used--;
				hst[q] = unmap ? HP_UNMAPPED : HP_NONE;
				memset(mem[q], 0, PAGE);
			}
		}
		exp = (!unmap && hole) ? -ENOMEM : 0;
	}
	r = unmap ? vmmu_hostmm_munmap(mm, hva, len) : vmmu_hostmm_madv_dontneed(mm, hva, len);
	t->r = r;
	if (trace_live)
		trace_print_one(stderr, t);
	CHECK(r == exp, "hostmm_%s(+%#" PRIx64 ", %#" PRIx64 "): got %s, model says %s",
	      unmap ? "munmap" : "madv_dontneed", hva - hva_base, len, errname(r), errname(exp));
	check_hostmm_stats();
}

/* The present, exclusive page at @p (migrate, swap-out): 0 or the errno. */
static int hm_exclusive(uint64_t p)
{
	if (p >= HPAGES || hst[p] == HP_UNMAPPED)
		return -EFAULT;
	if (hst[p] != HP_PRESENT)
		return -EAGAIN;
	if (fr_map[hfr[p]] > 1)
		return -EBUSY;
	return 0;
}

static void op_hm_migrate_swap(struct rd *in, bool swap)
{
	uint8_t tt = u8(in), x = u8(in);
	uint64_t p = pick_page(tt, x), hva = hva_of(p) + (x & 0x7f);
	struct trec *t = trace_add(swap ? T_HM_SWAPOUT : T_HM_MIGRATE, hva, 0, 0, 0, 0, 0);
	int exp = hm_exclusive(p), r;

	if (!exp && !swap) {
		int nf = hm_falloc(), old = hfr[p];

		if (nf < 0) {
			exp = -ENOMEM;
		} else {
			model_internal_bracket(p);
			if (fr_ksm[old]) {
				fr_ksm[old] = false;
				fr_ksm[nf] = true;
			}
			hfr[p] = (uint16_t)nf;
			hm_fput(old);
		}
	} else if (!exp) {
		if (swap_used >= nr_swap) {
			exp = -ENOSPC;
		} else {
			model_internal_bracket(p);
			hm_fput(hfr[p]);
			hst[p] = HP_SWAP;
			swap_used++;
		}
	}
	r = swap ? vmmu_hostmm_swap_out(mm, hva) : vmmu_hostmm_migrate(mm, hva);
	t->r = r;
	if (trace_live)
		trace_print_one(stderr, t);
	CHECK(r == exp, "hostmm_%s(+%#" PRIx64 "): got %s, model says %s",
	      swap ? "swap_out" : "migrate", hva - hva_base, errname(r), errname(exp));
	check_hostmm_stats();
}

static void op_hm_ksm(struct rd *in)
{
	uint8_t ta = u8(in), xa = u8(in), tb = u8(in), xb = u8(in);
	uint64_t a = pick_page(ta, xa), b = pick_page(tb, xb);
	struct trec *t = trace_add(T_HM_KSM, hva_of(a), hva_of(b), 0, 0, 0, 0);
	int exp, r;

	if (a == b) {
		exp = -EINVAL;
	} else if (a >= HPAGES || b >= HPAGES || hst[a] == HP_UNMAPPED ||
		   hst[b] == HP_UNMAPPED) {
		exp = -EFAULT;
	} else if (hst[a] != HP_PRESENT || hst[b] != HP_PRESENT) {
		exp = -EAGAIN;
	} else if (hfr[a] == hfr[b]) {
		exp = 0;
	} else {
		if (hwr[a]) {
			model_internal_bracket(a);
			hwr[a] = false;
		}
		if (hwr[b]) {
			model_internal_bracket(b);
			hwr[b] = false;
		}
		if (memcmp(mem[a], mem[b], PAGE)) {
			exp = -EAGAIN;
		} else {
			int fb = hfr[b];

			exp = 0;
			model_internal_bracket(b);
			if (!fr_ksm[hfr[a]]) {
				fr_ksm[hfr[a]] = true;
				ksm_count++;
			}
			fr_map[hfr[a]]++;
			hfr[b] = hfr[a];
			hm_fput(fb);
		}
	}
	r = vmmu_hostmm_ksm_merge(mm, hva_of(a), hva_of(b));
	t->r = r;
	if (trace_live)
		trace_print_one(stderr, t);
	CHECK(r == exp, "hostmm_ksm_merge(+%#" PRIx64 ", +%#" PRIx64 "): got %s, model says %s",
	      hva_of(a) - hva_base, hva_of(b) - hva_base, errname(r), errname(exp));
	check_hostmm_stats();
}

/* vmmu_hostmm_read of [hva, hva + len), checked. */
static int hm_read_check(uint64_t hva, uint64_t len, uint8_t *buf)
{
	static uint8_t want[2 * PAGE];
	struct trec *t = trace_add(T_HM_READ, hva, len, 0, 0, 0, 0);
	uint64_t done = 0;
	int exp = 0, r;

	while (done < len) {
		uint64_t q = page_of(hva + done), qo = (hva + done) & (PAGE - 1), nn = PAGE - qo;

		if (nn > len - done)
			nn = len - done;
		exp = hm_access_page(q, qo, nn, false, want + done);
		if (exp)
			break;
		done += nn;
	}
	r = vmmu_hostmm_read(mm, hva, buf, len);
	t->r = r;
	CHECK(r == exp, "hostmm_read(+%#" PRIx64 ", %" PRIu64 "): got %s, model says %s",
	      hva - hva_base, len, errname(r), errname(exp));
	for (uint64_t i = 0; i < done && memcmp(buf, want, done); i++)
		CHECK(buf[i] == want[i], "hostmm_read(+%#" PRIx64 ", %" PRIu64 "): byte %" PRIu64
		      " is %#x, model says %#x", hva - hva_base, len, i, buf[i], want[i]);
	check_hostmm_stats();
	return r;
}

static void op_hm_read(struct rd *in)
{
	uint8_t tt = u8(in), x = u8(in), o = u8(in), l = u8(in);
	static uint8_t buf[2 * PAGE];
	uint64_t len = (l & 0x80) ? PAGE : 1u + l % 64u;

	hm_read_check(hva_of(pick_page(tt, x)) + (o * 16u) % PAGE, len, buf);
}

/* Make page b a copy of page a (so that KSM can merge them). */
static void op_hm_copy(struct rd *in)
{
	uint8_t ta = u8(in), xa = u8(in), tb = u8(in), xb = u8(in);
	uint64_t a = pick_page(ta, xa), b = pick_page(tb, xb);
	static uint8_t buf[2 * PAGE];
	struct trec *t;
	int exp, r;

	trace_add(T_HM_COPY, hva_of(a), hva_of(b), 0, 0, 0, 0);
	if (hm_read_check(hva_of(a), PAGE, buf))
		return;
	t = trace_add(T_HM_WRITE, hva_of(b), PAGE, 0, 0, 0, 0);
	exp = hm_access_page(b, 0, PAGE, true, buf);
	r = vmmu_hostmm_write(mm, hva_of(b), buf, PAGE);
	t->r = r;
	CHECK(r == exp, "hostmm_write(+%#" PRIx64 ", page): got %s, model says %s",
	      hva_of(b) - hva_base, errname(r), errname(exp));
	check_hostmm_stats();
}

/* ------------------------------------------------------------------------ */
/* Set-up, the operation loop and tear-down                                  */
/* ------------------------------------------------------------------------ */

static void init_pattern(void)
{
	for (uint64_t p = 0; p < CPAGES; p++) {
		for (unsigned int j = 0; j < PAGE / 8; j++) {
			uint64_t w = mix64((p << 20) | j) | 1;	/* never the poison */

			memcpy(&init_img[p][j * 8], &w, 8);
		}
	}
	memset(decoy, 0xdd, sizeof(decoy));
}

/* The direct region: 2 MiB-aligned, every page mapped, nothing above it. */
static void direct_region_reset(void)
{
	if (!region_ready) {
		void *want = (void *)(uintptr_t)DIRECT_WANT, *p;

		p = mmap(want, 2 << 20, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (p != want) {
			/* Elsewhere: take 12 MiB, keep an aligned 2 MiB near its start. */
			uint8_t *q;
			uintptr_t a;

			if (p != MAP_FAILED)
				munmap(p, 2 << 20);
			q = mmap(NULL, 12 << 20, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (q == MAP_FAILED)
				abort();
			a = ((uintptr_t)q + (2 << 20) - 1) & ~(uintptr_t)((2 << 20) - 1);
			if (a > (uintptr_t)q)
				munmap(q, a - (uintptr_t)q);
			munmap((void *)(a + (2 << 20)), (uintptr_t)q + (12 << 20) - a - (2 << 20));
			p = (void *)a;
		}
		region = p;
		init_pattern();
		memcpy(region, init_img, sizeof(init_img));
		memcpy(mem, init_img, sizeof(init_img));
		for (unsigned int i = 0; i < CPAGES; i++)
			hst[i] = 1;
		region_ready = true;
		/* The pages above the region must stay unmapped. */
		for (unsigned int i = CPAGES; i < HPAGES; i++) {
			unsigned char v;

			if (!mincore(region + (uint64_t)i * PAGE, PAGE, &v)) {
				fprintf(stderr, "fuzz_vmmu: page %u above the region is mapped\n", i);
				abort();
			}
		}
		return;
	}
	/* Map again what the last input unmapped (one call per run: mmap is
	 * costly here), then restore the contents of every page it touched. */
	for (unsigned int p = 0; p < CPAGES; p++) {
		unsigned int q = p;

		if (hst[p])
			continue;
		while (q < CPAGES && !hst[q])
			q++;
		if (mmap(region + (uint64_t)p * PAGE, (uint64_t)(q - p) * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
			abort();
		for (; p < q; p++) {
			hst[p] = 1;
			touched[p] = true;
		}
	}
	for (unsigned int p = 0; p < CPAGES; p++) {
		if (!touched[p])
			continue;
		if (hst[p] != 1 && mprotect(region + p * PAGE, PAGE, PROT_READ | PROT_WRITE))
			abort();
		memcpy(region + p * PAGE, init_img[p], PAGE);
		memcpy(mem[p], init_img[p], PAGE);
		hst[p] = 1;
		touched[p] = false;
	}
}

static const uint32_t gen_bits_tab[8] = { 0, 1, 2, 3, 19, 4, 0, 2 };
static const uint32_t gpa_bits_tab[4] = { 0, 32, 40, 52 };
static const uint32_t slots_tab[8] = { 8, 4, 16, 8, 0, 8, 3, 10 };
static const uint64_t manual_tab[4] = { 0, 0, 1, 3 };
static const uint32_t frames_tab[4] = { 32, 48, 512, 20 };
static const uint32_t swap_tab[4] = { 0, 4, 16, 2 };

static void setup(struct rd *in)
{
	uint8_t h0 = u8(in), h1 = u8(in), h2 = u8(in), h3 = u8(in);
	struct vmmu_vm_config got = { .size = sizeof(got) };
	int r;

	memset(slots, 0, sizeof(slots));
	memset(brs, 0, sizeof(brs));
	nbr = 0;
	focus_valid = false;
	inprog = 0;
	n_updates = n_swaps = n_cpte_refused = n_end_unmatched = 0;
	wseq = 0;
	op_no = 0;
	ntrace = 0;
	trace_printed = false;

	hostmm_mode = h0 & 1;
	vcfg = (struct vmmu_vm_config){
		.nr_address_spaces = ((h0 >> 1) & 3) == 3 ? 1 : 2,
		.max_user_slots = slots_tab[(h1 >> 5) & 7],
		.mmio_gen_bits = gen_bits_tab[h1 & 7],
		.flags = (h0 >> 3) & 7,
		.max_gpa_bits = gpa_bits_tab[(h1 >> 3) & 3],
	};
	nr_as = vcfg.nr_address_spaces;
	max_user_slots = vcfg.max_user_slots ? vcfg.max_user_slots : VMMU_DEFAULT_USER_MEM_SLOTS;
	max_gfn = (1ull << ((vcfg.max_gpa_bits ? vcfg.max_gpa_bits : 48) - 12)) - 1;
	nvcpu = 2 + ((h0 >> 6) & 1);
	manual = manual_tab[h2 & 3];
	ring_mode = (h2 >> 6) == 3;
	data_seed = mix64(h3);
	for (uint32_t as = 0; as < 2; as++)
		gen[as] = as;

	trace_add(T_CONFIG, nr_as, max_user_slots, vcfg.mmio_gen_bits, vcfg.flags,
		  vcfg.max_gpa_bits, hostmm_mode);
	r = vmmu_vm_create(&vcfg, &vm);
	CHECK(r == 0, "vmmu_vm_create: %s", errname(r));
	CHECK(vmmu_vm_get_config(vm, &got) == 0 && got.nr_address_spaces == nr_as &&
	      got.max_user_slots == max_user_slots && got.flags == vcfg.flags &&
	      got.mmio_gen_bits == (vcfg.mmio_gen_bits ? vcfg.mmio_gen_bits : 19) &&
	      got.max_gpa_bits == (vcfg.max_gpa_bits ? vcfg.max_gpa_bits : 48),
	      "vmmu_vm_get_config does not give the effective configuration");
	check_generations();
	if (manual)
		CHECK(vmmu_vm_enable_manual_dirty_log_protect(vm, manual) == 0, "manual protect");
	if (ring_mode) {
		r = vmmu_vm_enable_dirty_ring(vm, RING_BYTES);
		CHECK(r == 0, "enable_dirty_ring: %s", errname(r));
	}
	for (unsigned int i = 0; i < nvcpu; i++) {
		r = vmmu_vcpu_create(vm, i, &vc[i]);
		CHECK(r == 0, "vmmu_vcpu_create: %s", errname(r));
		vas[i] = 0;
		ring_of[i] = NULL;
		ring_fetch[i] = 0;
		if (ring_mode) {
			r = vmmu_vcpu_get_dirty_ring(vc[i], &ring_of[i], NULL);
			CHECK(r == 0, "get_dirty_ring: %s", errname(r));
		}
	}
	/* Once there is a vCPU: KVM's errno for the size, else -EINVAL. */
	r = vmmu_vm_enable_dirty_ring(vm, (h3 & 1) ? 3 * 4096 : 4096);
	CHECK(r == -EINVAL, "enable_dirty_ring with vCPUs: %s", errname(r));

	if (!hostmm_mode) {
		direct_region_reset();
		hva_base = (uint64_t)(uintptr_t)region;
		return;
	}
	/* The simulated host MM: 128 pages mapped, the first few written. */
	{
		struct vmmu_hostmm_config mc = {
			.nr_frames = frames_tab[(h2 >> 2) & 3],
			.nr_swap_slots = swap_tab[(h2 >> 4) & 3],
		};
		uint64_t hva = HM_BASE;
		uint32_t marked;

		hva_base = HM_BASE;
		nr_frames = (uint32_t)mc.nr_frames;
		nr_swap = mc.nr_swap_slots ? (uint32_t)mc.nr_swap_slots : nr_frames;
		used_frames = swap_used = ksm_count = 0;
		memset(fr_map, 0, sizeof(fr_map));
		memset(fr_ksm, 0, sizeof(fr_ksm));
		memcpy(hst_direct, hst, CPAGES);
		memset(hst, HP_UNMAPPED, sizeof(hst));
		memset(hwr, 0, sizeof(hwr));
		r = vmmu_hostmm_create(&mc, &mm);
		CHECK(r == 0, "vmmu_hostmm_create: %s", errname(r));
		r = vmmu_vm_attach_hostmm(vm, mm);
		CHECK(r == 0, "vmmu_vm_attach_hostmm: %s", errname(r));
		r = vmmu_hostmm_mmap(mm, 128 * PAGE, &hva);
		CHECK(r == 0 && hva == HM_BASE, "hostmm_mmap of the window: %s", errname(r));
		for (uint32_t p = 0; p < 128; p++) {
			hst[p] = HP_NONE;
			memset(mem[p], 0, PAGE);
		}
		marked = nr_frames / 2 < 16 ? nr_frames / 2 : 16;
		for (uint32_t p = 0; p < marked; p++) {
			uint8_t buf[64];

			for (unsigned int j = 0; j < 64; j += 8) {
				uint64_t w = mix64((p << 8) | j) | 1;

				memcpy(buf + j, &w, 8);
			}
			CHECK(hm_access_page(p, 0, 64, true, buf) == 0, "model: marker");
			r = vmmu_hostmm_write(mm, hva_of(p), buf, 64);
			CHECK(r == 0, "hostmm_write of a marker: %s", errname(r));
		}
		check_hostmm_stats();
	}
}

static void finish(void)
{
	op_no++;
	trace_add(T_FINAL, 0, 0, 0, 0, 0, 0);
	while (nbr)
		bracket_close(nbr - 1);
	/* Every page written since its last harvest must show now. */
	if (ring_mode)
		ring_harvest();
	for (int i = 0; i < MAX_SLOTS && !ring_mode; i++) {
		struct mslot *s = &slots[i];

		if (!s->used || !s->dirty)
			continue;
		do_get_dirty((s->as << 16) | s->id, false);
		if (manual & VMMU_DIRTY_LOG_MANUAL_PROTECT_ENABLE) {
			static uint8_t ones[1024 / 8 + 8];

			memset(ones, 0xff, sizeof(ones));
			do_clear_dirty((s->as << 16) | s->id, 0, (uint32_t)s->npages, ones, false);
			do_get_dirty((s->as << 16) | s->id, false);
		}
	}
	for (unsigned int v = 0; v < nvcpu; v++)
		sweep(v);
	if (!hostmm_mode) {
		/* Guest RAM equals the model: no write went through a stale translation. */
		for (unsigned int p = 0; p < CPAGES; p++) {
			if (!touched[p] || !hst[p] || hst[p] == HST_NONE ||
			    !memcmp(region + p * PAGE, mem[p], PAGE))
				continue;
			for (unsigned int j = 0; j < PAGE; j++)
				if (region[p * PAGE + j] != mem[p][j])
					fail("host page %u byte %u is %#x, model says %#x: a write "
					     "the model does not know of", p, j,
					     region[p * PAGE + j], mem[p][j]);
		}
	} else {
		static uint8_t buf[2 * PAGE];

		for (uint32_t p = 0; p < HM_MAP_PAGES + 8; p++)
			if (hst[p] == HP_PRESENT || hst[p] == HP_NONE)
				hm_read_check(hva_of(p), PAGE, buf);
	}
	check_stats();
	check_hostmm_stats();
}

static void teardown(void)
{
	vmmu_vm_destroy(vm);
	vm = NULL;
	for (unsigned int i = 0; i < NVCPU_MAX; i++)
		vc[i] = NULL;
	if (mm) {
		int r = vmmu_hostmm_destroy(mm);

		CHECK(r == 0, "hostmm_destroy after vm_destroy: %s", errname(r));
		mm = NULL;
	}
	for (int i = 0; i < MAX_SLOTS; i++)
		free(slots[i].dirty);
	memset(slots, 0, sizeof(slots));
	if (hostmm_mode) {
		/* The direct region keeps its state for the next direct input. */
		memcpy(hst, hst_direct, CPAGES);
		memset(hst + CPAGES, 0, HPAGES - CPAGES);
		for (unsigned int p = 0; p < CPAGES; p++)
			if (touched[p] || p < HM_MAP_PAGES + 8)
				memcpy(mem[p], init_img[p], PAGE);
	}
}

/* The operation table: byte % 32.  Accesses are the most common. */
enum {
	O_REGION, O_ACCESS, O_SETAS, O_RW, O_BSTART, O_BEND, O_HOST, O_HWRITE, O_CPTE, O_AGE,
	O_GETD, O_CLEARD, O_MANUAL, O_RELEASE, O_VCPU, O_STATS, O_SWEEP,
	O_HM_MMAP, O_HM_MUNMAP, O_HM_DONTNEED, O_HM_MIGRATE, O_HM_SWAP, O_HM_KSM, O_HM_READ,
	O_HM_COPY,
};

static const uint8_t op_table_direct[32] = {
	O_REGION, O_REGION, O_REGION, O_REGION, O_ACCESS, O_ACCESS, O_ACCESS, O_ACCESS,
	O_ACCESS, O_ACCESS, O_ACCESS, O_SETAS, O_RW, O_RW, O_BSTART, O_BSTART,
	O_BEND, O_BEND, O_HOST, O_HOST, O_HWRITE, O_CPTE, O_CPTE, O_AGE,
	O_AGE, O_GETD, O_GETD, O_CLEARD, O_MANUAL, O_RELEASE, O_VCPU, O_SWEEP,
};

static const uint8_t op_table_hostmm[32] = {
	O_REGION, O_REGION, O_REGION, O_ACCESS, O_ACCESS, O_ACCESS, O_ACCESS, O_ACCESS,
	O_ACCESS, O_SETAS, O_RW, O_BSTART, O_BEND, O_HWRITE, O_CPTE, O_AGE,
	O_GETD, O_CLEARD, O_MANUAL, O_RELEASE, O_VCPU, O_SWEEP, O_HM_MMAP, O_HM_MUNMAP,
	O_HM_DONTNEED, O_HM_MIGRATE, O_HM_SWAP, O_HM_KSM, O_HM_KSM, O_HM_READ, O_HM_COPY,
	O_STATS,
};

static void run_op(struct rd *in)
{
	uint8_t o = u8(in);
	unsigned int op = hostmm_mode ? op_table_hostmm[o % 32] : op_table_direct[o % 32];

	op_no++;
	switch (op) {
	case O_REGION: op_region(in); break;
	case O_ACCESS: op_access(in); break;
	case O_SETAS: op_set_as(in); break;
	case O_RW: op_rw_guest(in); break;
	case O_BSTART: op_bracket_start(in); break;
	case O_BEND: op_bracket_end(in); break;
	case O_HOST: op_host_change(in); break;
	case O_HWRITE: op_host_write(in); break;
	case O_CPTE: op_change_pte(in); break;
	case O_AGE: op_age(in); break;
	case O_GETD: op_get_dirty(in); break;
	case O_CLEARD: op_clear_dirty(in); break;
	case O_MANUAL: op_manual(in); break;
	case O_RELEASE: op_release(); break;
	case O_VCPU: op_vcpu(in); break;
	case O_STATS:
		trace_add(T_STATS, 0, 0, 0, 0, 0, 0);
		check_stats();
		break;
	case O_SWEEP: sweep(u8(in) % nvcpu); break;
	case O_HM_MMAP: op_hm_mmap(in); break;
	case O_HM_MUNMAP: op_hm_zap(in, true); break;
	case O_HM_DONTNEED: op_hm_zap(in, false); break;
	case O_HM_MIGRATE: op_hm_migrate_swap(in, false); break;
	case O_HM_SWAP: op_hm_migrate_swap(in, true); break;
	case O_HM_KSM: op_hm_ksm(in); break;
	case O_HM_READ: op_hm_read(in); break;
	case O_HM_COPY: op_hm_copy(in); break;
	default: break;
	}
}

/* In a sanitizer runtime: print the trace when it reports a crash. */
extern void __sanitizer_set_death_callback(void (*)(void)) __attribute__((weak));

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (__sanitizer_set_death_callback)
		__sanitizer_set_death_callback(fuzz_vmmu_print_trace);
#ifdef VMMU_VARIANTS
	{
		const char *v = getenv("FUZZ_VMMU_VARIANT");

		if (v && *v) {
			size_t i;

			for (i = 0; i < sizeof(variant_names) / sizeof(variant_names[0]); i++)
				if (!strcmp(v, variant_names[i].name))
					break;
			if (i == sizeof(variant_names) / sizeof(variant_names[0])) {
				fprintf(stderr, "FUZZ_VMMU_VARIANT: unknown variant %s\n", v);
				exit(2);
			}
			vmmu_checker_variant = variant_names[i].v;
			fprintf(stderr, "fuzz_vmmu: variant %s\n", v);
		}
	}
#endif
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool initialized;
	struct rd in = { data, size };

	if (!initialized) {
		const char *tr = getenv("FUZZ_VMMU_TRACE");

		initialized = true;
		trace_live = tr && *tr && strcmp(tr, "0");
#ifdef VMMU_VARIANTS
		if (!vmmu_checker_variant && getenv("FUZZ_VMMU_VARIANT"))
			LLVMFuzzerInitialize(NULL, NULL);
#endif
	}
	cur_data = data;
	cur_size = size;
	setup(&in);
	for (unsigned int i = 0; i < MAX_OPS && in.n; i++)
		run_op(&in);
	finish();
	teardown();
	if (trace_live)
		fuzz_vmmu_print_trace();
	cur_data = NULL;
	cur_size = 0;
	return 0;
}
