/* SPDX-License-Identifier: MIT */
/*
 * Differential test of vmmu_set_user_memory_region() against the real
 * KVM_SET_USER_MEMORY_REGION ioctl.
 *
 * Every stream creates a fresh KVM VM (KVM_CREATE_VM, type 0) and a fresh
 * vmmu VM configured from it, then replays the same pseudo-random sequence
 * of memslot operations on both and compares every return value (0 or
 * -errno).  The kernel is the ground truth.
 *
 * The operations mix valid CREATE / DELETE / MOVE / FLAGS_ONLY / no-op
 * requests in a small slot-id range and a small gpa window (so overlaps are
 * frequent) with requests that must fail at each of KVM's checks: bad flags,
 * unaligned size / gpa / hva, an hva range outside the user half, bad
 * address-space or slot ids, gpa+size wrap, too many pages, deleting a
 * missing slot, changing the hva / size / READONLY flag of a slot, and
 * gpas around the maximum gfn.
 *
 * A small model of the slots that exist (updated from KVM's successes) is
 * used only to aim operations at existing slots; only return codes are
 * compared.
 *
 * Usage: test_kvm_memslot_diff [seed_base [ops_per_stream [streams]]]
 * Stream i uses seed seed_base + i, so a failing stream is replayed with
 * "test_kvm_memslot_diff <stream seed> <ops> 1".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>

#if defined(__x86_64__)
#include "kvm_guest.h"
#endif

#include "vmmu.h"
#include "errname.h"
#include "../test_util.h"

#define PG			((uint64_t)4096)
#define DEFAULT_SEED		0x6b766d646966ull	/* "kvmdif" */
#define DEFAULT_OPS		500
#define DEFAULT_STREAMS		20

#define BACKING_SIZE		(64ull << 20)
#define BACKING_PAGES		(BACKING_SIZE / PG)
#define GPA_WINDOW_PAGES	256ull
#define SMALL_IDS		16u
#define MAX_VALID_NPAGES	32ull

/* x86-64 with 4-level paging: the top of the user half, as KVM's access_ok(). */
#define TASK_SIZE_MAX_4L	((1ull << 47) - PG)
#define KERNEL_HALF_HVA		0xffff800000000000ull

#define KVM_MEM_LOG_DIRTY	(1u << 0)
#define KVM_MEM_RO		(1u << 1)
#define KVM_MEM_GMEM		(1u << 2)	/* KVM_MEM_GUEST_MEMFD, v2 only */
#define KVM_MEM_MAX_PAGES	((1ull << 31) - 1)

#define MODEL_MAX		64
#define HISTORY			8

struct op {
	const char *kind;
	uint32_t slot;
	uint32_t flags;
	uint64_t gpa;
	uint64_t size;
	uint64_t hva;
};

struct mslot {
	bool used;
	uint32_t slot;		/* as_id << 16 | id */
	uint32_t flags;
	uint64_t gpa;
	uint64_t size;
	uint64_t hva;
};

/* Environment, filled once in main(). */
static int kvm_fd = -1;
static uint32_t max_user_slots;
static uint32_t nr_as;
static uint32_t vmmu_gpa_bits;
static uint32_t kvm_gpa_bits;
static uint64_t lo_max_gfn;	/* min of the KVM and vmmu max gfn */
static uint64_t hi_max_gfn;	/* max of the KVM and vmmu max gfn */
static bool have_ro;
static bool la57;
static uint8_t *backing;

/* Per-stream state. */
static struct mslot model[MODEL_MAX];
static struct op history[HISTORY];
static unsigned int history_len;

/* Result counters: index is -ret for ret in [-(NR_ERRNO - 1), 0]. */
#define NR_ERRNO		256
static uint64_t kvm_results[NR_ERRNO];

/* Per-kind tallies for $VMMU_TEST_VERBOSE: ok, -EINVAL, -EEXIST, other. */
#define MAX_KINDS		32
static const char *kind_names[MAX_KINDS];
static uint64_t kind_results[MAX_KINDS][4];

static uint64_t rnd(struct test_rng *r, uint64_t n)
{
	return test_rng_below(r, n);
}

static bool chance(struct test_rng *r, unsigned int percent)
{
	return rnd(r, 100) < percent;
}

static uint64_t backing_hva(uint64_t page)
{
	return (uint64_t)(uintptr_t)backing + page * PG;
}

/* ------------------------------------------------------------------------ */
/* Environment probing                                                       */
/* ------------------------------------------------------------------------ */

static int kvm_create_vm(void)
{
	int vm;

	do {
		vm = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	} while (vm < 0 && errno == EINTR);
	TEST_ASSERT(vm >= 0, "KVM_CREATE_VM: %s", strerror(errno));
	return vm;
}

static int kvm_set_region(int vm, const struct op *o)
{
	struct kvm_userspace_memory_region r = {
		.slot = o->slot,
		.flags = o->flags,
		.guest_phys_addr = o->gpa,
		.memory_size = o->size,
		.userspace_addr = o->hva,
	};

	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return -errno;
	return 0;
}

/*
 * The highest gpa width KVM accepts for a slot: with TDP it is the host
 * MAXPHYADDR, with shadow paging 52.  Probe it on a scratch VM by creating
 * a one-page slot whose last gfn is (1 << (bits - 12)) - 1.
 */
static uint32_t probe_kvm_gpa_bits(void)
{
	int vm = kvm_create_vm();
	uint32_t bits, best = 0;

	for (bits = 32; bits <= 63; bits++) {
		struct op o = {
			.slot = 0,
			.gpa = (1ull << bits) - PG,
			.size = PG,
			.hva = backing_hva(0),
		};

		if (kvm_set_region(vm, &o))
			break;
		best = bits;
		o.size = 0;
		TEST_ASSERT(!kvm_set_region(vm, &o), "probe delete: %s", strerror(errno));
	}
	close(vm);
	return best;
}

/*
 * With 5-level paging the user half reaches 2^56, which vmmu does not model
 * (its access_ok() stops at 2^47).  A hint above 2^47 is only honoured then.
 */
static bool probe_la57(void)
{
	void *p = mmap((void *)(1ull << 50), PG, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	bool r;

	if (p == MAP_FAILED)
		return false;
	r = (uint64_t)(uintptr_t)p >= (1ull << 47);
	munmap(p, PG);
	return r;
}

/* ------------------------------------------------------------------------ */
/* The slot model (only used to aim operations)                              */
/* ------------------------------------------------------------------------ */

static struct mslot *model_find(uint32_t slot)
{
	for (int i = 0; i < MODEL_MAX; i++)
		if (model[i].used && model[i].slot == slot)
			return &model[i];
	return NULL;
}

static unsigned int model_count(void)
{
	unsigned int n = 0;

	for (int i = 0; i < MODEL_MAX; i++)
		n += model[i].used;
	return n;
}

static struct mslot *model_pick(struct test_rng *r)
{
	unsigned int n = model_count(), k;

	if (!n)
		return NULL;
	k = rnd(r, n);
	for (int i = 0; i < MODEL_MAX; i++) {
		if (!model[i].used)
			continue;
		if (!k--)
			return &model[i];
	}
	return NULL;
}

/* Called after KVM accepted @o. */
static void model_apply(const struct op *o)
{
	struct mslot *s = model_find(o->slot);

	if (!o->size) {
		TEST_ASSERT(s, "KVM deleted slot %#x the model does not know", o->slot);
		s->used = false;
		return;
	}
	if (!s) {
		for (int i = 0; i < MODEL_MAX && !s; i++)
			if (!model[i].used)
				s = &model[i];
		TEST_ASSERT(s, "model full");
		s->used = true;
		s->slot = o->slot;
	}
	s->flags = o->flags;
	s->gpa = o->gpa;
	s->size = o->size;
	s->hva = o->hva;
}

/* ------------------------------------------------------------------------ */
/* Field generators                                                          */
/* ------------------------------------------------------------------------ */

static uint32_t valid_flags_mask(void)
{
	return KVM_MEM_LOG_DIRTY | (have_ro ? KVM_MEM_RO : 0);
}

static uint32_t gen_valid_flags(struct test_rng *r)
{
	return (uint32_t)rnd(r, 4) & valid_flags_mask();
}

/* Bits that must be rejected (plus valid ones mixed in). */
static uint32_t gen_bad_flags(struct test_rng *r)
{
	static const uint32_t bad[] = {
		KVM_MEM_GMEM, KVM_MEM_GMEM | KVM_MEM_LOG_DIRTY,
		KVM_MEM_GMEM | KVM_MEM_RO, 1u << 3, 1u << 15, 1u << 16,
		1u << 31, 0xffffffffu, 0xfffcu,
	};
	uint32_t f;

	switch (rnd(r, 3)) {
	case 0:
		f = bad[rnd(r, ARRAY_SIZE(bad))];
		break;
	case 1:
		f = 1u << (2 + rnd(r, 30));
		break;
	default:
		f = (uint32_t)test_rng_next(r);
		break;
	}
	f |= gen_valid_flags(r);
	f &= ~(have_ro ? 0 : KVM_MEM_RO);
	if (!(f & ~valid_flags_mask()))
		f |= KVM_MEM_GMEM;
	return f;
}

static uint32_t gen_as(struct test_rng *r)
{
	return nr_as > 1 && chance(r, 30) ? 1 : 0;
}

static uint32_t gen_small_slot(struct test_rng *r)
{
	return gen_as(r) << 16 | (uint32_t)rnd(r, SMALL_IDS);
}

/* Ids at and around the user-slot limit and the 16-bit field's end. */
static uint32_t gen_edge_slot(struct test_rng *r)
{
	uint32_t ids[] = {
		max_user_slots - 1, max_user_slots - 2, max_user_slots,
		max_user_slots + 1, 32766, 32767, 32768, 65535,
	};

	return gen_as(r) << 16 | ids[rnd(r, ARRAY_SIZE(ids))];
}

/* Address-space ids that are out of range (or 1 when it is not). */
static uint32_t gen_bad_as_slot(struct test_rng *r)
{
	uint32_t as[] = { 1, 2, 3, 0x7fff, 0xffff };

	return as[rnd(r, ARRAY_SIZE(as))] << 16 | (uint32_t)rnd(r, SMALL_IDS);
}

/* A small id in address space @as that has no slot, if one is found quickly. */
static uint32_t gen_free_small_slot(struct test_rng *r, uint32_t as)
{
	uint32_t slot = as << 16 | (uint32_t)rnd(r, SMALL_IDS);

	for (int tries = 0; tries < 8 && model_find(slot); tries++)
		slot = as << 16 | (uint32_t)rnd(r, SMALL_IDS);
	return slot;
}

static uint32_t gen_slot(struct test_rng *r)
{
	return chance(r, 94) ? gen_small_slot(r) : gen_edge_slot(r);
}

static uint64_t gen_npages(struct test_rng *r)
{
	return chance(r, 80) ? 1 + rnd(r, 8) : 1 + rnd(r, MAX_VALID_NPAGES);
}

static uint64_t gen_window_gpa(struct test_rng *r)
{
	return rnd(r, GPA_WINDOW_PAGES) * PG;
}

static uint64_t gen_hva(struct test_rng *r, uint64_t npages)
{
	if (npages > BACKING_PAGES)
		npages = BACKING_PAGES;
	return backing_hva(rnd(r, BACKING_PAGES - npages + 1));
}

/*
 * A gpa for @npages pages near the maximum gfn.  When KVM's and vmmu's
 * limits differ (KVM with shadow paging accepts 52 bits, vmmu models a TDP
 * table of at most 48), gfns between them cannot agree, so the slot either
 * ends at or just below the lower limit or ends beyond the higher one.
 */
static uint64_t gen_near_max_gpa(struct test_rng *r, uint64_t npages)
{
	uint64_t last;

	if (chance(r, 55))
		last = lo_max_gfn - rnd(r, 12);
	else
		last = hi_max_gfn + 1 + rnd(r, 12);
	if (last + 1 < npages)
		last = npages - 1;
	return (last + 1 - npages) * PG;
}

static uint64_t gen_unaligned(struct test_rng *r, uint64_t v)
{
	return v + 1 + rnd(r, PG - 1);
}

/* hvas whose range is not entirely in the 4-level user half, and its edge. */
static uint64_t gen_edge_hva(struct test_rng *r, uint64_t size, bool *in_band)
{
	uint64_t top = TASK_SIZE_MAX_4L;

	*in_band = false;
	switch (rnd(r, 6)) {
	case 0:
		return KERNEL_HALF_HVA;
	case 1:
		return KERNEL_HALF_HVA + rnd(r, 1024) * PG;
	case 2:
		return 0xfffffffffffff000ull - rnd(r, 4) * PG;
	case 3:
		*in_band = la57;
		return 1ull << 47;
	default:
		/* End exactly at, just below or just past TASK_SIZE_MAX. */
		*in_band = la57;
		return top - size + (rnd(r, 3) - 1) * PG;
	}
}

/* ------------------------------------------------------------------------ */
/* Operation generator                                                       */
/* ------------------------------------------------------------------------ */

static void gen_create(struct test_rng *r, struct op *o, uint32_t slot)
{
	uint64_t npages = gen_npages(r);

	o->slot = slot;
	o->flags = gen_valid_flags(r);
	o->gpa = gen_window_gpa(r);
	o->size = npages * PG;
	o->hva = gen_hva(r, npages);
}

static void gen_op(struct test_rng *r, struct op *o)
{
	struct mslot *s = model_pick(r);
	uint64_t pick = rnd(r, 100);
	uint64_t npages;
	bool in_band;

	memset(o, 0, sizeof(*o));

	/* Operations on an existing slot need one. */
	if (!s && pick >= 20 && pick < 56)
		pick = 0;

	if (pick < 20) {
		o->kind = "create";
		gen_create(r, o, chance(r, 60) ? gen_free_small_slot(r, gen_as(r)) : gen_slot(r));
	} else if (pick < 28) {
		*o = (struct op){ .kind = "delete", .slot = s->slot, .flags = s->flags };
		switch (rnd(r, 3)) {
		case 0:
			o->gpa = s->gpa;
			o->hva = s->hva;
			break;
		case 1:
			o->gpa = gen_window_gpa(r);
			o->hva = gen_hva(r, 1);
			o->flags = gen_valid_flags(r);
			break;
		default:
			break;
		}
	} else if (pick < 36) {
		*o = (struct op){ .kind = "move", .slot = s->slot, .flags = s->flags,
				  .gpa = gen_window_gpa(r), .size = s->size, .hva = s->hva };
		if (chance(r, 20))
			o->flags ^= KVM_MEM_LOG_DIRTY;
	} else if (pick < 42) {
		*o = (struct op){ .kind = "flags_only", .slot = s->slot,
				  .flags = s->flags ^ KVM_MEM_LOG_DIRTY, .gpa = s->gpa,
				  .size = s->size, .hva = s->hva };
	} else if (pick < 46) {
		*o = (struct op){ .kind = "noop", .slot = s->slot, .flags = s->flags,
				  .gpa = s->gpa, .size = s->size, .hva = s->hva };
	} else if (pick < 52) {
		*o = (struct op){ .slot = s->slot, .flags = s->flags, .gpa = s->gpa,
				  .size = s->size, .hva = s->hva };
		if (chance(r, 40))
			o->gpa = gen_window_gpa(r);
		switch (rnd(r, 3)) {
		case 0:
			o->kind = "modify_hva";
			o->hva = chance(r, 50) ? s->hva + PG : gen_hva(r, s->size / PG);
			break;
		case 1:
			o->kind = "modify_size";
			o->size = chance(r, 50) ? s->size + PG : gen_npages(r) * PG;
			break;
		default:
			o->kind = "modify_ro";
			o->flags ^= KVM_MEM_RO;
			break;
		}
	} else if (pick < 56) {
		/* Overlap an existing slot: same AS, or the other AS. */
		o->kind = "overlap";
		npages = gen_npages(r);
		o->slot = gen_free_small_slot(r, s->slot >> 16);
		if (nr_as > 1 && chance(r, 30)) {
			o->kind = "overlap_other_as";
			o->slot = gen_free_small_slot(r, (s->slot >> 16) ^ 1);
		}
		o->flags = gen_valid_flags(r);
		o->gpa = s->gpa + rnd(r, s->size / PG) * PG;
		if (chance(r, 40) && o->gpa >= (npages - 1) * PG)
			o->gpa -= (npages - 1) * PG;
		o->size = npages * PG;
		o->hva = gen_hva(r, npages);
	} else if (pick < 60) {
		o->kind = "delete_missing";
		o->slot = chance(r, 90) ? gen_free_small_slot(r, gen_as(r)) : gen_edge_slot(r);
		o->gpa = gen_window_gpa(r);
		o->hva = chance(r, 50) ? gen_hva(r, 1) : 0;
	} else if (pick < 64) {
		o->kind = "bad_flags";
		gen_create(r, o, s && chance(r, 50) ? s->slot : gen_slot(r));
		if (s && chance(r, 30))
			o->size = 0;
		o->flags = gen_bad_flags(r);
	} else if (pick < 67) {
		o->kind = "size_unaligned";
		gen_create(r, o, gen_slot(r));
		o->size = chance(r, 20) ? 1 + rnd(r, PG - 1) : gen_unaligned(r, o->size - PG);
	} else if (pick < 69) {
		o->kind = "gpa_unaligned";
		gen_create(r, o, gen_slot(r));
		if (s && chance(r, 30))
			o->size = 0;
		o->gpa = gen_unaligned(r, o->gpa);
	} else if (pick < 71) {
		o->kind = "hva_unaligned";
		gen_create(r, o, gen_slot(r));
		if (s && chance(r, 30))
			o->size = 0;
		o->hva = gen_unaligned(r, o->hva);
	} else if (pick < 75) {
		o->kind = "hva_edge";
		gen_create(r, o, gen_slot(r));
		if (chance(r, 15))
			o->size = 0;
		o->hva = gen_edge_hva(r, o->size, &in_band);
		if (in_band)	/* 5-level paging: not modelled by vmmu */
			o->hva = KERNEL_HALF_HVA;
	} else if (pick < 78) {
		o->kind = "bad_as";
		gen_create(r, o, gen_bad_as_slot(r));
		if (chance(r, 20))
			o->size = 0;
	} else if (pick < 82) {
		o->kind = "edge_slot";
		gen_create(r, o, gen_edge_slot(r));
		if (chance(r, 25))
			o->size = 0;
	} else if (pick < 85) {
		o->kind = "gpa_wrap";
		npages = gen_npages(r);
		gen_create(r, o, gen_slot(r));
		o->size = npages * PG;
		/*
		 * End d pages below 2^64, d in [-(npages - 1), 1]: d = 1 does not
		 * wrap (and fails the max-gfn check), d = 0 ends exactly at 2^64.
		 */
		o->gpa = 0ull - o->size - (rnd(r, npages + 1) - (npages - 1)) * PG;
	} else if (pick < 87) {
		/* More pages than KVM_MEM_MAX_NR_PAGES; never a big success. */
		o->kind = "too_many_pages";
		gen_create(r, o, gen_slot(r));
		o->flags &= ~KVM_MEM_LOG_DIRTY;
		o->gpa = chance(r, 50) ? 0 : gen_window_gpa(r);
		o->hva = chance(r, 50) ? 0 : backing_hva(0);
		o->size = (KVM_MEM_MAX_PAGES + 1 + rnd(r, 3)) * PG;
	} else if (pick < 95) {
		/* Around the max gfn: CREATE, or MOVE an existing slot there. */
		if (s && chance(r, 35)) {
			*o = (struct op){ .kind = "move_near_max", .slot = s->slot,
					  .flags = s->flags, .size = s->size, .hva = s->hva };
			o->gpa = gen_near_max_gpa(r, s->size / PG);
		} else {
			o->kind = "create_near_max";
			gen_create(r, o, gen_slot(r));
			o->gpa = gen_near_max_gpa(r, o->size / PG);
		}
	} else {
		/* Fields drawn independently from good and bad pools. */
		static const uint64_t sizes[] = { 0, PG, 3 * PG, PG - 1, PG + 1, 0x200000 };

		o->kind = "fuzz";
		o->slot = chance(r, 70) ? gen_slot(r) : gen_bad_as_slot(r);
		o->flags = chance(r, 70) ? gen_valid_flags(r) : gen_bad_flags(r);
		o->size = chance(r, 85) ? gen_npages(r) * PG : sizes[rnd(r, 6)];
		if (o->size > 32 * PG)
			o->flags &= ~KVM_MEM_LOG_DIRTY;
		npages = o->size / PG ? o->size / PG : 1;
		switch (rnd(r, 4)) {
		case 0:
			o->gpa = gen_near_max_gpa(r, npages);
			break;
		case 1:
			o->gpa = gen_unaligned(r, gen_window_gpa(r));
			break;
		default:
			o->gpa = gen_window_gpa(r);
			break;
		}
		switch (rnd(r, 4)) {
		case 0:
			o->hva = gen_edge_hva(r, o->size, &in_band);
			if (in_band)
				o->hva = KERNEL_HALF_HVA;
			break;
		case 1:
			o->hva = gen_unaligned(r, gen_hva(r, npages));
			break;
		default:
			o->hva = gen_hva(r, npages);
			break;
		}
	}
}

/* ------------------------------------------------------------------------ */
/* Reporting                                                                 */
/* ------------------------------------------------------------------------ */

static void print_op(const char *prefix, const struct op *o)
{
	fprintf(stderr, "%s%-16s slot=%#x (as %u id %u) flags=%#x gpa=%#" PRIx64
		" size=%#" PRIx64 " hva=%#" PRIx64 "\n", prefix, o->kind, o->slot,
		o->slot >> 16, o->slot & 0xffff, o->flags, o->gpa, o->size, o->hva);
}

static void report_mismatch(uint64_t seed, unsigned int idx, const struct op *o,
			    int kret, int vret)
{
	unsigned int i, n = history_len < HISTORY ? history_len : HISTORY;

	fprintf(stderr, "==== MISMATCH ====\n");
	fprintf(stderr, "stream seed %#" PRIx64 " (%" PRIu64 "), op index %u\n",
		seed, seed, idx);
	print_op("  op: ", o);
	fprintf(stderr, "  KVM: %s (%s)   vmmu: %s (%s)\n", errname(kret),
		kret ? strerror(-kret) : "ok", errname(vret),
		vret ? strerror(-vret) : "ok");
	fprintf(stderr, "  preceding ops (oldest first):\n");
	for (i = 0; i < n; i++)
		print_op("    ", &history[(history_len - n + i) % HISTORY]);
	fprintf(stderr, "  slots before the op (as KVM accepted them):\n");
	for (i = 0; i < MODEL_MAX; i++) {
		const struct mslot *s = &model[i];

		if (!s->used)
			continue;
		fprintf(stderr, "    slot=%#x flags=%#x gfn=[%#" PRIx64 ", %#" PRIx64
			"] hva=%#" PRIx64 "\n", s->slot, s->flags, s->gpa / PG,
			(s->gpa + s->size) / PG - 1, s->hva);
	}
	fprintf(stderr, "  replay: test_kvm_memslot_diff %#" PRIx64 " %u 1\n", seed, idx + 1);
}

/* ------------------------------------------------------------------------ */
/* Driver                                                                    */
/* ------------------------------------------------------------------------ */

static void count_kind(const struct op *o, int ret)
{
	int k, col = !ret ? 0 : ret == -EINVAL ? 1 : ret == -EEXIST ? 2 : 3;

	for (k = 0; k < MAX_KINDS && kind_names[k]; k++)
		if (!strcmp(kind_names[k], o->kind))
			break;
	if (k == MAX_KINDS)
		return;
	kind_names[k] = o->kind;
	kind_results[k][col]++;
}

static void print_kinds(void)
{
	printf("%-18s %8s %8s %8s %8s\n", "kind", "ok", "-EINVAL", "-EEXIST", "other");
	for (int k = 0; k < MAX_KINDS && kind_names[k]; k++)
		printf("%-18s %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %8" PRIu64 "\n",
		       kind_names[k], kind_results[k][0], kind_results[k][1],
		       kind_results[k][2], kind_results[k][3]);
}

static void run_stream(uint64_t seed, unsigned int nr_ops)
{
	struct vmmu_vm_config cfg = {
		.nr_address_spaces = nr_as,
		.max_user_slots = max_user_slots,
		.max_gpa_bits = vmmu_gpa_bits,
	};
	struct vmmu_vm *vm;
	struct test_rng rng;
	int kvm_vm;

	memset(model, 0, sizeof(model));
	history_len = 0;
	test_rng_init(&rng, seed);

	kvm_vm = kvm_create_vm();
	vm = test_vm_create(&cfg);

	for (unsigned int i = 0; i < nr_ops; i++) {
		struct op o;
		int kret, vret;

		gen_op(&rng, &o);
		kret = kvm_set_region(kvm_vm, &o);
		vret = test_set_region(vm, o.slot, o.flags, o.gpa, o.size, o.hva);
		if (kret != vret) {
			report_mismatch(seed, i, &o, kret, vret);
			exit(KSFT_FAIL);
		}
		if (-kret >= 0 && -kret < NR_ERRNO)
			kvm_results[-kret]++;
		count_kind(&o, kret);
		if (!kret)
			model_apply(&o);
		history[history_len++ % HISTORY] = o;
	}

	vmmu_vm_destroy(vm);
	close(kvm_vm);
}

static unsigned int parse_uint(const char *s, const char *what)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);

	TEST_ASSERT(*s && !*end && v > 0 && v <= 1000000, "bad %s '%s'", what, s);
	return (unsigned int)v;
}

int main(int argc, char **argv)
{
	unsigned int nr_ops = DEFAULT_OPS, nr_streams = DEFAULT_STREAMS;
	uint64_t seed_base = DEFAULT_SEED, total = 0;
	double t0, t1;
	struct utsname uts;
	uint32_t phys_bits;
	int vm, ret, cap_mas;

#if !defined(__x86_64__)
	test_skip("x86-64 only (KVM's limits and access_ok are modelled for x86)");
#endif
	if (argc > 1)
		seed_base = test_seed(argv[1]);
	else if (getenv("VMMU_TEST_SEED"))
		seed_base = test_seed(NULL);
	if (argc > 2)
		nr_ops = parse_uint(argv[2], "ops per stream");
	if (argc > 3)
		nr_streams = parse_uint(argv[3], "stream count");

	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0)
		test_skip("cannot open /dev/kvm: %s", strerror(errno));
	ret = ioctl(kvm_fd, KVM_GET_API_VERSION, 0);
	if (ret != KVM_API_VERSION)
		test_skip("KVM_GET_API_VERSION returned %d, expected %d", ret, KVM_API_VERSION);

	backing = test_alloc_guest(BACKING_SIZE);

	vm = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm < 0)
		test_skip("KVM_CREATE_VM(0): %s", strerror(errno));
	ret = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
	TEST_ASSERT(ret > 0, "KVM_CAP_NR_MEMSLOTS = %d", ret);
	max_user_slots = (uint32_t)ret;
	TEST_ASSERT(max_user_slots >= SMALL_IDS + 2 && max_user_slots <= VMMU_MEM_SLOTS_NUM,
		    "KVM_CAP_NR_MEMSLOTS = %u is outside what vmmu models", max_user_slots);
	cap_mas = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_MULTI_ADDRESS_SPACE);
	nr_as = cap_mas <= 0 ? 1 : (uint32_t)cap_mas;
	TEST_ASSERT(nr_as <= VMMU_MAX_ADDRESS_SPACES, "KVM has %u address spaces", nr_as);
	ret = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM);
	have_ro = ret > 0;
	close(vm);

	phys_bits = kvm_host_phys_bits();
	TEST_ASSERT(phys_bits >= 32, "CPUID 0x80000008 gives %u physical address bits", phys_bits);
	vmmu_gpa_bits = phys_bits > 48 ? 48 : phys_bits;
	kvm_gpa_bits = probe_kvm_gpa_bits();
	TEST_ASSERT(kvm_gpa_bits >= 32, "KVM rejects a slot below 4 GiB (probe gave %u bits)",
		    kvm_gpa_bits);
	lo_max_gfn = (1ull << ((kvm_gpa_bits < vmmu_gpa_bits ? kvm_gpa_bits : vmmu_gpa_bits) - 12)) - 1;
	hi_max_gfn = (1ull << ((kvm_gpa_bits > vmmu_gpa_bits ? kvm_gpa_bits : vmmu_gpa_bits) - 12)) - 1;
	la57 = probe_la57();

	if (uname(&uts))
		strcpy(uts.release, "?");
	printf("kernel %s\n", uts.release);
	printf("KVM_CAP_NR_MEMSLOTS=%u KVM_CAP_MULTI_ADDRESS_SPACE=%d (nr_address_spaces=%u) "
	       "KVM_CAP_READONLY_MEM=%d\n", max_user_slots, cap_mas, nr_as, have_ro);
	printf("host MAXPHYADDR=%u -> vmmu max_gpa_bits=%u; KVM accepts slots below gpa 2^%u (probed)\n",
	       phys_bits, vmmu_gpa_bits, kvm_gpa_bits);
	if (kvm_gpa_bits != vmmu_gpa_bits)
		printf("note: KVM's max gfn (%#" PRIx64 ") differs from vmmu's (%#" PRIx64 "), e.g. "
		       "shadow paging; near-max ops avoid gfns between the two\n",
		       ((uint64_t)1 << (kvm_gpa_bits - 12)) - 1,
		       ((uint64_t)1 << (vmmu_gpa_bits - 12)) - 1);
	if (!have_ro)
		printf("note: no KVM_CAP_READONLY_MEM; READONLY is never requested\n");
	if (la57)
		printf("note: 5-level paging; hvas between 2^47 and 2^56 are not generated\n");
	printf("seed base %#" PRIx64 ", %u streams x %u ops\n", seed_base, nr_streams, nr_ops);
	fflush(stdout);

	t0 = test_now();
	for (unsigned int i = 0; i < nr_streams; i++)
		run_stream(seed_base + i, nr_ops);
	t1 = test_now();

	printf("PASS: %u streams x %u ops, 0 mismatches, %.2f s; results:",
	       nr_streams, nr_ops, t1 - t0);
	for (int e = 0; e < NR_ERRNO; e++) {
		if (!kvm_results[e])
			continue;
		total += kvm_results[e];
		printf(" %s=%" PRIu64, errname(-e), kvm_results[e]);
	}
	printf(" (total %" PRIu64 ")\n", total);
	if (getenv("VMMU_TEST_VERBOSE"))
		print_kinds();

	munmap(backing, BACKING_SIZE);
	close(kvm_fd);
	return KSFT_PASS;
}
