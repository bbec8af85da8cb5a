// SPDX-License-Identifier: MIT
/*
 * vmmu kvm-diff: differential test of vmmu against the real KVM.
 *
 * Each stream runs one pseudo-random operation sequence against two worlds
 * side by side and compares every step:
 *
 *   KVM:  a VM with the tiny guest of kvm_guest.c; guest accesses are real
 *         loads and stores executed by a vCPU, so they go through KVM's
 *         memslots, its MMU, its MMIO exits and its dirty logging.
 *   vmmu: a vmmu VM configured with the KVM VM's limits (user slots,
 *         address spaces, max gpa bits); guest accesses are
 *         vmmu_vcpu_access() calls.
 *
 * Each world has its own copy of the backing memory behind the test slots
 * (host writes go to both copies), and a mirror of the harness slot (the
 * guest's code and mailbox, never dirty-logged and never touched by the
 * random operations), so memslot errnos are comparable.
 *
 * Operations and what is compared:
 *   memslot    create / delete / move / re-flag (LOG_DIRTY, READONLY) and
 *              requests that fail KVM's checks: the return value or errno
 *   access     guest load or store of 1, 2, 4 or 8 bytes (RAM, READONLY
 *              slot, no slot): RAM or MMIO exit, the MMIO address, length,
 *              direction and written data, the loaded value; after a store
 *              the host page it should have reached is compared too
 *   host write a store by the host into a backing page (both copies)
 *   get-log    KVM_GET_DIRTY_LOG (also with a NULL buffer): errno, bitmap
 *   clear-log  KVM_CLEAR_DIRTY_LOG: errno
 *   manual     KVM_ENABLE_CAP(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2): errno
 *   host map   MADV_DONTNEED, mmap(MAP_FIXED) of fresh anonymous memory or
 *              of a memfd page, munmap: KVM sees it through its own MMU
 *              notifier; vmmu gets vmmu_mmu_notifier_invalidate_range_start/
 *              end around the same change of its copy
 * Every 256 operations and at the end of a stream both backing copies are
 * compared in full, and at the end every dirty-logged slot's bitmap.
 *
 * On a mismatch the stream's operations up to it are shrunk by delta
 * debugging (replaying subsets on fresh VMs while a mismatch of the same
 * kind persists) and the minimal reproducer is printed.
 *
 * Differences between this kernel and vmmu's documented semantics that the
 * harness knows (docs/KVM-DIFFERENCES.md) are counted, not reported.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
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
#endif

#include "vmmu.h"
#include "cmd.h"
#include "kvm_guest.h"

#define PG			4096ull

#define HARNESS_SLOT		0u
#define HARNESS_GPA		0ull

/* The test slots: ids 1..SMALL_IDS, gpas in a window above 1 MiB. */
#define SMALL_IDS		16u
#define WIN_BASE		0x100000ull
#define WIN_PAGES		256ull
#define BACKING_PAGES		256ull
#define BACKING_SIZE		(BACKING_PAGES * PG)
#define GUARD_SIZE		(16 * PG)
#define MEMFD_PAGES		8ull
#define MAX_SLOT_PAGES		130ull
#define BITMAP_BYTES		4096u
#define FULL_CHECK_EVERY	256u

#define MEM_LOG_DIRTY		KVM_MEM_LOG_DIRTY_PAGES
#define MEM_RO			KVM_MEM_READONLY
#define MEM_GMEM		(1u << 2)
#define MEM_MAX_PAGES		((1ull << 31) - 1)
#define KERNEL_HALF_HVA		0xffff800000000000ull
#define TASK_SIZE_MAX_4L	((1ull << 47) - PG)

#define MODEL_MAX		64

enum op_type {
	T_REGION, T_ACCESS, T_HOST_WRITE, T_GET_LOG, T_CLEAR_LOG, T_MANUAL, T_HOST_MAP,
	NR_TYPES
};

static const char *const type_names[NR_TYPES] = {
	"memslot", "access", "host-write", "get-log", "clear-log", "manual", "host-map",
};

/* Fine-grained kinds, for the operation mix. */
enum op_kind {
	K_CREATE, K_DELETE, K_MOVE, K_FLAGS, K_NOOP, K_MODIFY_BAD, K_OVERLAP,
	K_DELETE_MISSING, K_BAD_FLAGS, K_UNALIGNED, K_BAD_ID, K_NEAR_MAX, K_GPA_WRAP,
	K_TOO_MANY, K_HVA_EDGE,
	K_READ, K_WRITE,
	K_HOST_WRITE,
	K_GET, K_GET_NULL, K_CLEAR,
	K_MANUAL,
	K_DONTNEED, K_MAP_ANON, K_MAP_MEMFD, K_MUNMAP,
	NR_KINDS
};

static const char *const kind_names[NR_KINDS] = {
	"create", "delete", "move", "flags-only", "noop", "modify-bad", "overlap",
	"delete-missing", "bad-flags", "unaligned", "bad-id", "near-max", "gpa-wrap",
	"too-many-pages", "hva-edge",
	"read", "write",
	"host-write",
	"get-log", "get-log-null", "clear-log",
	"manual-protect",
	"madv-dontneed", "mmap-anon", "mmap-memfd", "munmap",
};

/*
 * One operation, fully concrete, so that any subset can be replayed.
 *
 * T_REGION:     slot, flags, gpa, size, hva (a byte offset into the backing
 *               when !hva_abs, else an absolute address)
 * T_ACCESS:     write, len, gpa, value
 * T_HOST_WRITE: page, off, len, value
 * T_GET_LOG:    slot, null
 * T_CLEAR_LOG:  slot, gpa = first_page, size = num_pages, value = pattern seed, null
 * T_MANUAL:     value = flags
 * T_HOST_MAP:   page, npages (size), memfd page (off)
 */
struct op {
	uint8_t type;
	uint8_t kind;
	bool write;
	bool hva_abs;
	bool null;
	uint8_t len;
	uint32_t slot;
	uint32_t flags;
	uint32_t page;
	uint32_t off;
	uint64_t gpa;
	uint64_t size;
	uint64_t hva;
	uint64_t value;
};

/* What one side did. */
struct outcome {
	int ret;
	uint32_t nr_mmio;
	struct kvm_guest_mmio mmio;
	uint64_t value;
	uint32_t exit_reason;	/* KVM: the exit that ended a failed command */
	bool known;		/* a known difference (docs/KVM-DIFFERENCES.md) */
};

struct mslot {
	bool used;
	uint32_t slot;
	uint32_t flags;
	uint64_t gpa;
	uint64_t npages;
	uint64_t hva;
	bool hva_abs;
};

struct model {
	struct mslot s[MODEL_MAX];
	uint64_t manual;
	bool mapped[BACKING_PAGES];
};

struct world {
	struct kvm_guest g;
	struct vmmu_vm *vm;
	struct vmmu_vcpu *vcpu;
	uint8_t *kres, *vres;	/* reservations: guard, backing, guard */
	uint8_t *kmem, *vmem;	/* the backing copies */
	uint8_t *vharness;
	struct model m;
	uint8_t kbm[BITMAP_BYTES];
	uint8_t vbm[BITMAP_BYTES];
	char why[512];		/* the last mismatch, described */
};

/* Environment, probed once. */
static struct {
	uint32_t max_user_slots;
	uint32_t nr_as;
	uint32_t gpa_bits;
	uint32_t phys_bits;
	bool have_ro;
	bool have_manual;
	bool have_len8;
	int memfd;
} env;

static struct {
	uint64_t seed;
	unsigned int ops;
	unsigned int streams;
	bool verbose;
	bool shrink;
	unsigned int mmio_gen_bits;	/* vmmu side only; 0: vmmu's default */
	bool exclude[NR_KINDS];
} opt;

/* Failure categories: an op type, or one of these. */
#define F_MEMORY		NR_TYPES	/* the periodic full compare of the copies */
#define F_FINAL_LOG		(NR_TYPES + 1)	/* the end-of-stream bitmap compare */

/* Statistics over all streams (not counting shrinking replays). */
static bool counting;
static struct {
	uint64_t kinds[NR_KINDS];
	uint64_t region_ok, region_einval, region_eexist, region_other;
	uint64_t acc_ram, acc_mmio, acc_ro_mmio, acc_known_efault;
	uint64_t get_ok, get_err, clear_ok, clear_err;
	uint64_t kvm_runs, mmio_exits;
} st;

/* ------------------------------------------------------------------------ */
/* Small helpers                                                             */
/* ------------------------------------------------------------------------ */

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static uint64_t rnd(uint64_t *s, uint64_t n)
{
	return n ? rng_next(s) % n : 0;
}

static bool chance(uint64_t *s, unsigned int percent)
{
	return rnd(s, 100) < percent;
}

static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Initial content of backing page @page: every 8 bytes name their place. */
static void fill_page(uint8_t *p, uint64_t page)
{
	for (uint64_t i = 0; i < PG; i += 8) {
		uint64_t v = 0x5041474500000000ull | page << 16 | i;	/* "PAGE" */

		memcpy(p + i, &v, 8);
	}
}

static const char *errname(int ret)
{
	static char buf[32];

	switch (ret) {
	case 0:		return "0";
	case -EINVAL:	return "-EINVAL";
	case -EEXIST:	return "-EEXIST";
	case -ENOENT:	return "-ENOENT";
	case -ENOMEM:	return "-ENOMEM";
	case -EFAULT:	return "-EFAULT";
	case -EIO:	return "-EIO";
	case -ENXIO:	return "-ENXIO";
	case VMMU_EXIT_MMIO: return "MMIO";
	default:
		snprintf(buf, sizeof(buf), "%d", ret);
		return buf;
	}
}

/* ------------------------------------------------------------------------ */
/* The model (KVM's truth), used to aim operations and to classify accesses  */
/* ------------------------------------------------------------------------ */

static struct mslot *model_find(struct model *m, uint32_t slot)
{
	for (int i = 0; i < MODEL_MAX; i++)
		if (m->s[i].used && m->s[i].slot == slot)
			return &m->s[i];
	return NULL;
}

static unsigned int model_count(const struct model *m)
{
	unsigned int n = 0;

	for (int i = 0; i < MODEL_MAX; i++)
		n += m->s[i].used;
	return n;
}

static struct mslot *model_pick(struct model *m, uint64_t *r)
{
	unsigned int n = model_count(m), k;

	if (!n)
		return NULL;
	k = (unsigned int)rnd(r, n);
	for (int i = 0; i < MODEL_MAX; i++) {
		if (!m->s[i].used)
			continue;
		if (!k--)
			return &m->s[i];
	}
	return NULL;
}

/* A slot the 32-bit guest can reach (entirely below 4 GiB). */
static struct mslot *model_pick_reachable(struct model *m, uint64_t *r)
{
	for (int tries = 0; tries < 6; tries++) {
		struct mslot *s = model_pick(m, r);

		if (s && s->gpa + s->npages * PG <= (1ull << 32))
			return s;
	}
	return NULL;
}

static struct mslot *model_slot_at(struct model *m, uint64_t gpa)
{
	uint64_t gfn = gpa / PG;

	for (int i = 0; i < MODEL_MAX; i++) {
		struct mslot *s = &m->s[i];

		if (s->used && (s->slot >> 16) == 0 && gfn >= s->gpa / PG &&
		    gfn < s->gpa / PG + s->npages)
			return s;
	}
	return NULL;
}

/* The backing page behind @gpa, or -1 (no slot, or not in the backing). */
static int64_t model_backing_page(struct model *m, uint64_t gpa, struct mslot **sp)
{
	struct mslot *s = model_slot_at(m, gpa);
	uint64_t page;

	if (sp)
		*sp = s;
	if (!s || s->hva_abs)
		return -1;
	page = s->hva / PG + (gpa / PG - s->gpa / PG);
	return page < BACKING_PAGES ? (int64_t)page : -1;
}

static void model_apply_region(struct model *m, const struct op *o)
{
	struct mslot *s = model_find(m, o->slot);

	if (!o->size) {
		if (s)
			s->used = false;
		return;
	}
	if (!s) {
		for (int i = 0; i < MODEL_MAX && !s; i++)
			if (!m->s[i].used)
				s = &m->s[i];
		if (!s)
			return;		/* cannot happen: ids are bounded */
		s->used = true;
		s->slot = o->slot;
	}
	s->flags = o->flags;
	s->gpa = o->gpa;
	s->npages = o->size / PG;
	s->hva = o->hva;
	s->hva_abs = o->hva_abs;
}

/* ------------------------------------------------------------------------ */
/* Operation generator                                                       */
/* ------------------------------------------------------------------------ */

static uint32_t gen_valid_flags(uint64_t *r)
{
	uint64_t p = rnd(r, 100);
	uint32_t f = p < 50 ? 0 : p < 80 ? MEM_LOG_DIRTY : p < 92 ? MEM_RO : MEM_LOG_DIRTY | MEM_RO;

	return env.have_ro ? f : f & ~MEM_RO;
}

static uint32_t gen_free_id(struct model *m, uint64_t *r)
{
	uint32_t id = 1 + (uint32_t)rnd(r, SMALL_IDS);

	for (int tries = 0; tries < 8 && model_find(m, id); tries++)
		id = 1 + (uint32_t)rnd(r, SMALL_IDS);
	return id;
}

static uint64_t gen_npages(uint64_t *r)
{
	return chance(r, 85) ? 1 + rnd(r, 8) : 1 + rnd(r, MAX_SLOT_PAGES);
}

static uint64_t gen_window_gpa(uint64_t *r, uint64_t npages)
{
	return WIN_BASE + rnd(r, WIN_PAGES - npages + 1) * PG;
}

static uint64_t gen_hva_off(uint64_t *r, uint64_t npages)
{
	return rnd(r, BACKING_PAGES - npages + 1) * PG;
}

static uint32_t gen_edge_id(uint64_t *r)
{
	const uint32_t ids[] = {
		env.max_user_slots - 1, env.max_user_slots - 2, env.max_user_slots,
		env.max_user_slots + 1, 32766, 32767, 32768, 65535, 0x10001, 0x20003,
		0xffff0001,
	};

	return ids[rnd(r, sizeof(ids) / sizeof(ids[0]))];
}

/* A gpa for @npages pages whose last gfn is at, just below or just above the limit. */
static uint64_t gen_near_max_gpa(uint64_t *r, uint64_t npages)
{
	uint64_t max_gfn = (1ull << (env.gpa_bits - 12)) - 1;
	uint64_t last = chance(r, 55) ? max_gfn - rnd(r, 4) : max_gfn + 1 + rnd(r, 4);

	return (last + 1 - npages) * PG;
}

static void gen_create(struct model *m, uint64_t *r, struct op *o, uint32_t slot)
{
	uint64_t npages = gen_npages(r);

	(void)m;
	o->type = T_REGION;
	o->kind = K_CREATE;
	o->slot = slot;
	o->flags = gen_valid_flags(r);
	o->size = npages * PG;
	o->gpa = gen_window_gpa(r, npages);
	o->hva = gen_hva_off(r, npages);
}

static void from_slot(struct op *o, const struct mslot *s, uint8_t kind)
{
	o->type = T_REGION;
	o->kind = kind;
	o->slot = s->slot;
	o->flags = s->flags;
	o->gpa = s->gpa;
	o->size = s->npages * PG;
	o->hva = s->hva;
	o->hva_abs = s->hva_abs;
}

static void gen_region(struct model *m, uint64_t *r, struct op *o)
{
	struct mslot *s = model_pick(m, r);
	uint64_t p = rnd(r, 100), npages;

	if (!s && p >= 30 && p < 80)
		p = 0;
	if (p < 30) {
		gen_create(m, r, o, gen_free_id(m, r));
	} else if (p < 40) {
		from_slot(o, s, K_DELETE);
		o->size = 0;
		if (chance(r, 30))	/* DELETE ignores the other fields */
			o->gpa = gen_window_gpa(r, 1);
	} else if (p < 52) {
		from_slot(o, s, K_MOVE);
		o->gpa = gen_window_gpa(r, s->npages);
		if (chance(r, 20))
			o->flags ^= MEM_LOG_DIRTY;
	} else if (p < 66) {
		from_slot(o, s, K_FLAGS);
		o->flags ^= MEM_LOG_DIRTY;
	} else if (p < 69) {
		from_slot(o, s, K_NOOP);
	} else if (p < 74) {
		from_slot(o, s, K_MODIFY_BAD);
		switch (rnd(r, 3)) {
		case 0:
			o->hva = o->hva_abs ? o->hva + PG : gen_hva_off(r, s->npages);
			break;
		case 1:
			o->size = chance(r, 50) ? o->size + PG : gen_npages(r) * PG;
			break;
		default:
			o->flags ^= MEM_RO;
			break;
		}
	} else if (p < 80) {
		o->type = T_REGION;
		o->kind = K_OVERLAP;
		npages = gen_npages(r);
		o->slot = gen_free_id(m, r);
		o->flags = gen_valid_flags(r);
		o->gpa = s->gpa + rnd(r, s->npages) * PG;
		if (chance(r, 40) && o->gpa >= (npages - 1) * PG)
			o->gpa -= (npages - 1) * PG;
		o->size = npages * PG;
		o->hva = gen_hva_off(r, npages);
	} else if (p < 83) {
		o->type = T_REGION;
		o->kind = K_DELETE_MISSING;
		o->slot = chance(r, 80) ? gen_free_id(m, r) : gen_edge_id(r);
		o->gpa = gen_window_gpa(r, 1);
		o->hva = gen_hva_off(r, 1);
	} else if (p < 86) {
		gen_create(m, r, o, chance(r, 70) ? gen_free_id(m, r) : 1 + (uint32_t)rnd(r, SMALL_IDS));
		o->kind = K_BAD_FLAGS;
		switch (rnd(r, 3)) {
		case 0:
			o->flags |= MEM_GMEM;
			break;
		case 1:
			o->flags |= 1u << (2 + rnd(r, 30));
			break;
		default:
			o->flags |= (uint32_t)rng_next(r) | 0x8;
			break;
		}
		if (chance(r, 20))
			o->size = 0;
	} else if (p < 89) {
		gen_create(m, r, o, gen_free_id(m, r));
		o->kind = K_UNALIGNED;
		switch (rnd(r, 3)) {
		case 0:
			o->size = o->size - PG + 1 + rnd(r, PG - 1);
			break;
		case 1:
			o->gpa += 1 + rnd(r, PG - 1);
			break;
		default:
			o->hva += 1 + rnd(r, PG - 1);
			break;
		}
	} else if (p < 92) {
		gen_create(m, r, o, gen_edge_id(r));
		o->kind = K_BAD_ID;
		if (chance(r, 25))
			o->size = 0;
	} else if (p < 96) {
		if (s && chance(r, 35)) {
			from_slot(o, s, K_NEAR_MAX);
			o->gpa = gen_near_max_gpa(r, s->npages);
		} else {
			gen_create(m, r, o, gen_free_id(m, r));
			o->kind = K_NEAR_MAX;
			o->gpa = gen_near_max_gpa(r, o->size / PG);
		}
	} else if (p < 97) {
		gen_create(m, r, o, gen_free_id(m, r));
		o->kind = K_GPA_WRAP;
		/* end d pages below 2^64, d in [-(npages - 1), 1] */
		o->gpa = 0ull - o->size - (rnd(r, o->size / PG + 1) - (o->size / PG - 1)) * PG;
	} else if (p < 98) {
		gen_create(m, r, o, gen_free_id(m, r));
		o->kind = K_TOO_MANY;
		o->flags &= ~MEM_LOG_DIRTY;
		o->size = (MEM_MAX_PAGES + 1 + rnd(r, 3)) * PG;
		o->gpa = 0;
		o->hva = 0;
	} else {
		gen_create(m, r, o, gen_free_id(m, r));
		o->kind = K_HVA_EDGE;
		o->hva_abs = true;
		switch (rnd(r, 3)) {
		case 0:
			o->hva = KERNEL_HALF_HVA + rnd(r, 16) * PG;
			break;
		case 1:
			o->hva = 0xfffffffffffff000ull - rnd(r, 4) * PG;
			break;
		default:	/* ends just past the 4-level user half */
			o->hva = TASK_SIZE_MAX_4L - o->size + PG * (1 + rnd(r, 2));
			break;
		}
	}
}

static void gen_access(struct model *m, uint64_t *r, struct op *o)
{
	static const uint64_t far[] = {
		0xc0000000ull, 0xfee00000ull, 0xfffff000ull, 0x80000000ull, 0x0ff00000ull,
	};
	const uint8_t lens[] = { 1, 2, 4, 8 };
	struct mslot *s = model_pick_reachable(m, r);
	uint64_t p = rnd(r, 100), page;

	o->type = T_ACCESS;
	o->write = chance(r, 45);
	o->kind = o->write ? K_WRITE : K_READ;
	o->len = lens[rnd(r, env.have_len8 ? 4 : 3)];
	if (s && p < 75) {
		page = s->gpa + rnd(r, s->npages) * PG;
	} else if (s && p < 85) {
		page = chance(r, 50) ? s->gpa + s->npages * PG : s->gpa - PG;
	} else if (p < 97) {
		page = WIN_BASE + (rnd(r, WIN_PAGES + 32) - 16) * PG;
	} else {
		page = far[rnd(r, sizeof(far) / sizeof(far[0]))];
	}
	if (page < HARNESS_GPA + KVM_GUEST_SLOT_SIZE || page >= (1ull << 32))
		page = WIN_BASE;
	if (chance(r, 80))
		o->gpa = page + rnd(r, PG / o->len) * o->len;
	else
		o->gpa = page + rnd(r, PG - o->len + 1);
	o->value = rng_next(r);
}

static void gen_log_slot(struct model *m, uint64_t *r, struct op *o)
{
	struct mslot *s = NULL;

	/* Prefer slots that log. */
	for (int tries = 0; tries < 4; tries++) {
		s = model_pick(m, r);
		if (s && (s->flags & MEM_LOG_DIRTY))
			break;
	}
	if (s && chance(r, 85))
		o->slot = s->slot;
	else if (chance(r, 60))
		o->slot = 1 + (uint32_t)rnd(r, SMALL_IDS);
	else
		o->slot = chance(r, 50) ? gen_edge_id(r) : HARNESS_SLOT;
}

static void gen_one(struct model *m, uint64_t *r, struct op *o)
{
	uint64_t p = rnd(r, 100);

	memset(o, 0, sizeof(*o));
	if (p < 22) {
		gen_region(m, r, o);
	} else if (p < 77) {
		gen_access(m, r, o);
	} else if (p < 84) {
		o->type = T_HOST_WRITE;
		o->kind = K_HOST_WRITE;
		o->page = (uint32_t)rnd(r, BACKING_PAGES);
		o->len = 8;
		o->off = (uint32_t)rnd(r, PG / 8) * 8;
		o->value = rng_next(r);
	} else if (p < 90) {
		o->type = T_GET_LOG;
		o->kind = K_GET;
		gen_log_slot(m, r, o);
		if (chance(r, 5)) {
			o->null = true;
			o->kind = K_GET_NULL;
		}
	} else if (p < 95) {
		struct mslot *s;

		o->type = T_CLEAR_LOG;
		o->kind = K_CLEAR;
		gen_log_slot(m, r, o);
		s = model_find(m, o->slot);
		uint64_t npages = s ? s->npages : 1 + rnd(r, 8);
		switch (rnd(r, 10)) {
		case 0:
			o->gpa = 1 + rnd(r, 63);
			break;
		case 1:
			o->gpa = 64 * (1 + rnd(r, 3));
			break;
		default:
			o->gpa = npages > 64 && chance(r, 30) ? 64 : 0;
			break;
		}
		switch (rnd(r, 8)) {
		case 0:
			o->size = 64;
			break;
		case 1:
			o->size = rnd(r, npages + 2);
			break;
		case 2:
			o->size = 0;
			break;
		case 3:
			o->size = chance(r, 50) ? 0xffffffffull : npages + 1;
			break;
		default:
			o->size = npages > o->gpa ? npages - o->gpa : 0;
			break;
		}
		o->value = rng_next(r);
		o->null = chance(r, 3);
	} else if (p < 96) {
		static const uint64_t fl[] = { 0, 1, 3, 1, 3, 2, 4, 5, 0x80000001ull };

		o->type = T_MANUAL;
		o->kind = K_MANUAL;
		o->value = fl[rnd(r, sizeof(fl) / sizeof(fl[0]))];
	} else {
		uint64_t q = rnd(r, 100);

		o->type = T_HOST_MAP;
		o->kind = q < 35 ? K_DONTNEED : q < 60 ? K_MAP_ANON : q < 85 ? K_MAP_MEMFD : K_MUNMAP;
		o->size = 1 + rnd(r, 4);
		o->page = (uint32_t)rnd(r, BACKING_PAGES - o->size + 1);
		o->off = (uint32_t)rnd(r, MEMFD_PAGES);
		/* Aim at memory behind a slot when there is one. */
		if (chance(r, 70)) {
			struct mslot *s = model_pick(m, r);

			if (s && !s->hva_abs) {
				uint64_t pg = s->hva / PG + rnd(r, s->npages);

				if (pg + o->size <= BACKING_PAGES)
					o->page = (uint32_t)pg;
			}
		}
		/* Mostly fill holes that munmap left, so they do not pile up. */
		if ((o->kind == K_MAP_ANON || o->kind == K_MAP_MEMFD) && chance(r, 75)) {
			unsigned int holes = 0, k;

			for (uint64_t i = 0; i < BACKING_PAGES; i++)
				holes += !m->mapped[i];
			k = holes ? (unsigned int)rnd(r, holes) : 0;
			for (uint64_t i = 0; holes && i < BACKING_PAGES; i++) {
				if (m->mapped[i] || k--)
					continue;
				o->page = (uint32_t)(i + o->size > BACKING_PAGES ? BACKING_PAGES - o->size : i);
				break;
			}
		}
	}
}

/* The next operation, re-drawn while its kind is excluded (--exclude). */
static void gen_op(struct model *m, uint64_t *r, struct op *o)
{
	int tries = 0;

	do {
		gen_one(m, r, o);
	} while (opt.exclude[o->kind] && ++tries < 1000);
	if (opt.exclude[o->kind]) {
		memset(o, 0, sizeof(*o));
		o->type = T_MANUAL;		/* harmless stand-in: re-enable the current mode */
		o->kind = K_MANUAL;
		o->value = m->manual;
	}
}

static void fmt_op(char *buf, size_t n, const struct op *o)
{
	switch (o->type) {
	case T_REGION:
		snprintf(buf, n, "%-14s set_region slot=%#x flags=%#x gpa=%#" PRIx64 " size=%#" PRIx64
			 " hva=%s%#" PRIx64, kind_names[o->kind], o->slot, o->flags, o->gpa, o->size,
			 o->hva_abs ? "" : "backing+", o->hva);
		break;
	case T_ACCESS:
		if (o->write)
			snprintf(buf, n, "%-14s guest write%u gpa=%#" PRIx64 " value=%#" PRIx64,
				 kind_names[o->kind], o->len * 8, o->gpa,
				 o->len == 8 ? o->value : o->value & (((uint64_t)1 << (o->len * 8)) - 1));
		else
			snprintf(buf, n, "%-14s guest read%u gpa=%#" PRIx64, kind_names[o->kind],
				 o->len * 8, o->gpa);
		break;
	case T_HOST_WRITE:
		snprintf(buf, n, "%-14s host write backing page %u +%#x = %#" PRIx64, kind_names[o->kind],
			 o->page, o->off, o->value);
		break;
	case T_GET_LOG:
		snprintf(buf, n, "%-14s KVM_GET_DIRTY_LOG slot=%#x%s", kind_names[o->kind], o->slot,
			 o->null ? " bitmap=NULL" : "");
		break;
	case T_CLEAR_LOG:
		snprintf(buf, n, "%-14s KVM_CLEAR_DIRTY_LOG slot=%#x first=%" PRIu64 " num=%" PRIu64
			 " pattern=%#" PRIx64 "%s", kind_names[o->kind], o->slot, o->gpa, o->size,
			 o->value, o->null ? " bitmap=NULL" : "");
		break;
	case T_MANUAL:
		snprintf(buf, n, "%-14s KVM_ENABLE_CAP(MANUAL_DIRTY_LOG_PROTECT2, %#" PRIx64 ")",
			 kind_names[o->kind], o->value);
		break;
	default:
		snprintf(buf, n, "%-14s host backing pages [%u, %" PRIu64 ")%s", kind_names[o->kind],
			 o->page, o->page + o->size,
			 o->kind == K_MAP_MEMFD ? " <- memfd page" : "");
		if (o->kind == K_MAP_MEMFD)
			snprintf(buf + strlen(buf), n - strlen(buf), " %u", o->off);
		break;
	}
}

/* ------------------------------------------------------------------------ */
/* Worlds                                                                    */
/* ------------------------------------------------------------------------ */

static uint8_t *alloc_backing(uint8_t **res)
{
	uint8_t *p = mmap(NULL, BACKING_SIZE + 2 * GUARD_SIZE, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	*res = p;
	p += GUARD_SIZE;
	if (mmap(p, BACKING_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		 -1, 0) == MAP_FAILED)
		return NULL;
	for (uint64_t i = 0; i < BACKING_PAGES; i++)
		fill_page(p + i * PG, i);
	return p;
}

static void world_destroy(struct world *w)
{
	if (w->vcpu)
		vmmu_vcpu_destroy(w->vcpu);
	if (w->vm)
		vmmu_vm_destroy(w->vm);
	kvm_guest_close(&w->g);
	if (w->kres)
		munmap(w->kres, BACKING_SIZE + 2 * GUARD_SIZE);
	if (w->vres)
		munmap(w->vres, BACKING_SIZE + 2 * GUARD_SIZE);
	if (w->vharness)
		munmap(w->vharness, KVM_GUEST_SLOT_SIZE);
	free(w);
}

static struct world *world_create(uint64_t seed)
{
	struct kvm_guest_opts gopts = { .gpa = HARNESS_GPA, .slot = HARNESS_SLOT };
	struct vmmu_vm_config cfg = {
		.nr_address_spaces = env.nr_as,
		.max_user_slots = env.max_user_slots,
		.max_gpa_bits = env.gpa_bits,
		.mmio_gen_bits = opt.mmio_gen_bits,
		/* KVM's default quirk on odd streams, vmmu's default on even ones:
		 * neither may change what is visible. */
		.flags = (seed & 1) ? VMMU_VM_QUIRK_SLOT_ZAP_ALL : 0,
	};
	struct vmmu_userspace_memory_region hr;
	struct world *w = calloc(1, sizeof(*w));
	int r;

	if (!w)
		return NULL;
	w->g.kvm_fd = w->g.vm_fd = w->g.vcpu_fd = -1;
	r = kvm_guest_open(&w->g, &gopts);
	if (r) {
		fprintf(stderr, "kvm-diff: kvm_guest_open: %s\n", strerror(-r));
		goto fail;
	}
	r = vmmu_vm_create(&cfg, &w->vm);
	if (!r)
		r = vmmu_vcpu_create(w->vm, 0, &w->vcpu);
	if (r) {
		fprintf(stderr, "kvm-diff: vmmu VM: %s\n", vmmu_strerror(r));
		goto fail;
	}
	w->vharness = mmap(NULL, KVM_GUEST_SLOT_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w->vharness == MAP_FAILED) {
		w->vharness = NULL;
		goto fail;
	}
	hr = (struct vmmu_userspace_memory_region){
		.slot = HARNESS_SLOT, .guest_phys_addr = HARNESS_GPA,
		.memory_size = KVM_GUEST_SLOT_SIZE,
		.userspace_addr = (uint64_t)(uintptr_t)w->vharness,
	};
	r = vmmu_set_user_memory_region(w->vm, &hr);
	if (r) {
		fprintf(stderr, "kvm-diff: vmmu harness slot: %s\n", vmmu_strerror(r));
		goto fail;
	}
	w->kmem = alloc_backing(&w->kres);
	w->vmem = alloc_backing(&w->vres);
	if (!w->kmem || !w->vmem)
		goto fail;
	for (uint64_t i = 0; i < BACKING_PAGES; i++)
		w->m.mapped[i] = true;
	return w;
fail:
	world_destroy(w);
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* Executing one operation on both sides                                     */
/* ------------------------------------------------------------------------ */

static uint64_t hva_of(const struct op *o, uint8_t *base)
{
	return o->hva_abs ? o->hva : (uint64_t)(uintptr_t)base + o->hva;
}

static int kvm_region(struct world *w, const struct op *o)
{
	struct kvm_userspace_memory_region r = {
		.slot = o->slot, .flags = o->flags, .guest_phys_addr = o->gpa,
		.memory_size = o->size, .userspace_addr = hva_of(o, w->kmem),
	};

	return ioctl(w->g.vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0 ? -errno : 0;
}

static int vmmu_region(struct world *w, const struct op *o)
{
	struct vmmu_userspace_memory_region r = {
		.slot = o->slot, .flags = o->flags, .guest_phys_addr = o->gpa,
		.memory_size = o->size, .userspace_addr = hva_of(o, w->vmem),
	};

	return vmmu_set_user_memory_region(w->vm, &r);
}

static bool page_unmapped(const uint8_t *base, uint64_t page)
{
	unsigned char vec;

	return mincore((void *)(base + page * PG), PG, &vec) < 0 && errno == ENOMEM;
}

static void exec_access(struct world *w, const struct op *o, struct outcome *ko,
			struct outcome *vo)
{
	struct kvm_guest_cmd cmd = {
		.write = o->write, .len = o->len, .gpa = (uint32_t)o->gpa, .value = o->value,
	};
	struct kvm_guest_result res;
	struct vmmu_exit ex;
	uint64_t data = o->value;
	uint32_t flags = o->write ? VMMU_ACCESS_WRITE : 0;
	int r;

	kvm_guest_access(&w->g, &cmd, &res);
	ko->ret = res.ret;
	ko->nr_mmio = res.nr_mmio;
	if (res.nr_mmio)
		ko->mmio = res.mmio[0];
	ko->value = res.value;
	ko->exit_reason = res.exit_reason;

	if (!o->write)
		data = 0;
	memset(&ex, 0, sizeof(ex));
	r = vmmu_vcpu_access(w->vcpu, o->gpa, &data, o->len, flags, &ex);
	if (r == VMMU_EXIT_MMIO) {
		vo->ret = 0;
		vo->nr_mmio = 1;
		vo->mmio.gpa = ex.mmio.phys_addr;
		vo->mmio.len = ex.mmio.len;
		vo->mmio.is_write = ex.mmio.is_write;
		if (!ex.mmio.is_write) {
			/* Complete the read as the harness does for KVM. */
			uint64_t v = kvm_guest_mmio_value(ex.mmio.phys_addr);

			memcpy(vo->mmio.data, &v, 8);
			memset(vo->mmio.data + ex.mmio.len, 0, 8 - (ex.mmio.len > 8 ? 8 : ex.mmio.len));
			data = 0;
			memcpy(&data, &v, o->len);
		} else {
			memcpy(vo->mmio.data, ex.mmio.data, 8);
		}
		vo->value = o->write ? 0 : data;
	} else {
		vo->ret = r;
		vo->value = !r && !o->write ? data : 0;
	}
	if (!o->write && o->len < 8) {
		vo->value &= (1ull << (o->len * 8)) - 1;
		ko->value &= (1ull << (o->len * 8)) - 1;
	}
}

static int kvm_get_log(struct world *w, const struct op *o)
{
	struct kvm_dirty_log l = { .slot = o->slot, .dirty_bitmap = o->null ? NULL : w->kbm };

	return ioctl(w->g.vm_fd, KVM_GET_DIRTY_LOG, &l) < 0 ? -errno : 0;
}

static void fill_pattern(uint8_t *bm, uint64_t seed)
{
	uint64_t s = seed | 1;

	for (unsigned int i = 0; i < BITMAP_BYTES; i += 8) {
		uint64_t v = rng_next(&s);

		/* Mostly all-ones or sparse, sometimes random. */
		if ((seed & 3) == 0)
			v = ~0ull;
		else if ((seed & 3) == 1)
			v &= rng_next(&s) & rng_next(&s);
		memcpy(bm + i, &v, 8);
	}
}

static int kvm_clear_log(struct world *w, const struct op *o)
{
	struct kvm_clear_dirty_log l = {
		.slot = o->slot, .num_pages = (uint32_t)o->size, .first_page = o->gpa,
		.dirty_bitmap = o->null ? NULL : w->kbm,
	};

	return ioctl(w->g.vm_fd, KVM_CLEAR_DIRTY_LOG, &l) < 0 ? -errno : 0;
}

static int kvm_manual(struct world *w, uint64_t flags)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, .args = { flags },
	};

	return ioctl(w->g.vm_fd, KVM_ENABLE_CAP, &cap) < 0 ? -errno : 0;
}

/* Apply a host-map change to one copy.  Return false on a host error. */
static bool host_map_one(uint8_t *base, const struct op *o, const bool *mapped)
{
	uint8_t *p = base + (uint64_t)o->page * PG;
	size_t len = o->size * PG;

	switch (o->kind) {
	case K_DONTNEED:
		/* madvise fails on a range with holes: only the mapped pages. */
		for (uint64_t i = 0; i < o->size; i++)
			if (mapped[o->page + i] && madvise(p + i * PG, PG, MADV_DONTNEED))
				return false;
		return true;
	case K_MAP_ANON:
		return mmap(p, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
			    -1, 0) != MAP_FAILED;
	case K_MAP_MEMFD:
		for (uint64_t i = 0; i < o->size; i++)
			if (mmap(p + i * PG, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED,
				 env.memfd, (off_t)(((o->off + i) % MEMFD_PAGES) * PG)) == MAP_FAILED)
				return false;
		return true;
	default:
		return !munmap(p, len);
	}
}

/* A bug or surprise in the harness itself, not a difference: stop. */
static void __attribute__((noreturn)) harness_error(const char *what, const struct op *o)
{
	char b[256];
	int e = errno;

	fmt_op(b, sizeof(b), o);
	fprintf(stderr, "kvm-diff: harness error: %s: %s\n  op: %s\n", what, strerror(e), b);
	exit(CMD_FAIL);
}

/*
 * Run @o on both sides.  Return false (with w->why set) when the outcomes
 * differ; true otherwise.  Updates the model from KVM's outcome.
 */
static bool exec_op(struct world *w, const struct op *o, struct outcome *ko, struct outcome *vo)
{
	uint64_t vstart, vend;
	bool ok = true;

	memset(ko, 0, sizeof(*ko));
	memset(vo, 0, sizeof(*vo));
	w->why[0] = 0;

	switch (o->type) {
	case T_REGION:
		ko->ret = kvm_region(w, o);
		vo->ret = vmmu_region(w, o);
		if (!ko->ret)
			model_apply_region(&w->m, o);
		if (counting) {
			if (!ko->ret)
				st.region_ok++;
			else if (ko->ret == -EINVAL)
				st.region_einval++;
			else if (ko->ret == -EEXIST)
				st.region_eexist++;
			else
				st.region_other++;
		}
		break;

	case T_ACCESS: {
		struct mslot *s;
		int64_t page = model_backing_page(&w->m, o->gpa, &s);
		bool hole = page >= 0 && !w->m.mapped[page];

		if (hole && (!page_unmapped(w->kmem, (uint64_t)page) ||
			     !page_unmapped(w->vmem, (uint64_t)page))) {
			errno = EEXIST;
			harness_error("an unmapped backing page was mapped again by someone else", o);
		}
		exec_access(w, o, ko, vo);
		/*
		 * Known difference: a guest access to a slot page whose host
		 * memory is unmapped exits to user space as MMIO on this kernel
		 * (KVM-PVM), while vmmu returns -EFAULT.  Accept exactly that.
		 */
		if (hole && vo->ret == -EFAULT && !ko->ret && ko->nr_mmio == 1 &&
		    ko->mmio.gpa == o->gpa && ko->mmio.len == o->len &&
		    ko->mmio.is_write == o->write) {
			ko->known = vo->known = true;
			if (counting)
				st.acc_known_efault++;
			break;
		}
		if (!ko->ret && !vo->ret && !ko->nr_mmio && !vo->nr_mmio && o->write && page >= 0 &&
		    memcmp(w->kmem + page * PG, w->vmem + page * PG, PG)) {
			snprintf(w->why, sizeof(w->why), "guest write served by RAM in both, but "
				 "backing page %" PRId64 " differs afterwards", page);
			ok = false;
		}
		if (!counting || ko->ret)
			break;
		if (!ko->nr_mmio)
			st.acc_ram++;
		else if (s && (s->flags & MEM_RO) && o->write)
			st.acc_ro_mmio++;
		else
			st.acc_mmio++;
		break;
	}

	case T_HOST_WRITE:
		if (w->m.mapped[o->page]) {
			memcpy(w->kmem + (uint64_t)o->page * PG + o->off, &o->value, o->len);
			memcpy(w->vmem + (uint64_t)o->page * PG + o->off, &o->value, o->len);
		}
		break;

	case T_GET_LOG:
		memset(w->kbm, 0xa5, sizeof(w->kbm));
		memset(w->vbm, 0xa5, sizeof(w->vbm));
		ko->ret = kvm_get_log(w, o);
		vo->ret = vmmu_get_dirty_log(w->vm, o->slot, o->null ? NULL : w->vbm);
		if (ko->ret == vo->ret && memcmp(w->kbm, w->vbm, sizeof(w->kbm))) {
			unsigned int i;

			for (i = 0; i < sizeof(w->kbm) && w->kbm[i] == w->vbm[i]; i++)
				;
			uint64_t kw, vw;

			i &= ~7u;
			memcpy(&kw, w->kbm + i, 8);
			memcpy(&vw, w->vbm + i, 8);
			snprintf(w->why, sizeof(w->why), "dirty bitmaps differ: word %u (pages %u..%u): "
				 "KVM 0x%016" PRIx64 " vmmu 0x%016" PRIx64, i / 8, i * 8, i * 8 + 63, kw, vw);
			ok = false;
		}
		if (counting)
			*(ko->ret ? &st.get_err : &st.get_ok) += 1;
		break;

	case T_CLEAR_LOG:
		fill_pattern(w->kbm, o->value);
		memcpy(w->vbm, w->kbm, sizeof(w->vbm));
		ko->ret = kvm_clear_log(w, o);
		vo->ret = vmmu_clear_dirty_log(w->vm, o->slot, o->gpa, (uint32_t)o->size,
					       o->null ? NULL : w->vbm);
		if (counting)
			*(ko->ret ? &st.clear_err : &st.clear_ok) += 1;
		break;

	case T_MANUAL:
		ko->ret = kvm_manual(w, o->value);
		vo->ret = vmmu_vm_enable_manual_dirty_log_protect(w->vm, o->value);
		if (!ko->ret)
			w->m.manual = o->value;
		break;

	case T_HOST_MAP:
		vstart = (uint64_t)(uintptr_t)w->vmem + (uint64_t)o->page * PG;
		vend = vstart + o->size * PG;
		if (!host_map_one(w->kmem, o, w->m.mapped))
			harness_error("host-map on the KVM copy", o);
		vmmu_mmu_notifier_invalidate_range_start(w->vm, vstart, vend);
		ok = host_map_one(w->vmem, o, w->m.mapped);
		vmmu_mmu_notifier_invalidate_range_end(w->vm, vstart, vend);
		if (!ok)
			harness_error("host-map on the vmmu copy", o);
		for (uint64_t i = 0; i < o->size && o->kind != K_DONTNEED; i++)
			w->m.mapped[o->page + i] = o->kind != K_MUNMAP;
		break;
	}

	if (!ok)
		return false;
	if (ko->ret != vo->ret || ko->nr_mmio != vo->nr_mmio || ko->value != vo->value ||
	    (ko->nr_mmio && (ko->mmio.gpa != vo->mmio.gpa || ko->mmio.len != vo->mmio.len ||
			     ko->mmio.is_write != vo->mmio.is_write ||
			     memcmp(ko->mmio.data, vo->mmio.data, ko->mmio.len > 8 ? 8 : ko->mmio.len)))) {
		if (!ko->known)
			snprintf(w->why, sizeof(w->why), "outcomes differ");
		return ko->known;
	}
	return true;
}

/* Compare both backing copies page by page (unmapped pages must agree too). */
static bool full_check(struct world *w)
{
	for (uint64_t i = 0; i < BACKING_PAGES; i++) {
		if (!w->m.mapped[i])
			continue;
		if (memcmp(w->kmem + i * PG, w->vmem + i * PG, PG)) {
			snprintf(w->why, sizeof(w->why), "backing page %" PRIu64
				 " differs between the KVM and vmmu copies", i);
			return false;
		}
	}
	return true;
}

/* At the end: every dirty-logged slot's bitmap (GET, as the op would). */
static bool final_logs(struct world *w, struct op *o)
{
	struct outcome ko, vo;

	for (int i = 0; i < MODEL_MAX; i++) {
		const struct mslot *s = &w->m.s[i];

		if (!s->used || !(s->flags & MEM_LOG_DIRTY))
			continue;
		memset(o, 0, sizeof(*o));
		o->type = T_GET_LOG;
		o->kind = K_GET;
		o->slot = s->slot;
		if (!exec_op(w, o, &ko, &vo))
			return false;
	}
	return true;
}

static void fmt_outcome(char *buf, size_t n, const struct op *o, const struct outcome *x)
{
	size_t l;

	if (x->ret) {
		snprintf(buf, n, "%s (%s)", errname(x->ret), strerror(-x->ret));
		if (o->type == T_ACCESS && x->ret == -EIO) {
			l = strlen(buf);
			snprintf(buf + l, n - l, ", KVM exit reason %u", x->exit_reason);
		}
		return;
	}
	if (o->type != T_ACCESS) {
		snprintf(buf, n, "0");
		return;
	}
	if (!x->nr_mmio) {
		if (o->write)
			snprintf(buf, n, "RAM");
		else
			snprintf(buf, n, "RAM, loaded %#" PRIx64, x->value);
		return;
	}
	snprintf(buf, n, "MMIO exit x%u: %s gpa=%#" PRIx64 " len=%u data=", x->nr_mmio,
		 x->mmio.is_write ? "write" : "read", x->mmio.gpa, x->mmio.len);
	for (uint32_t i = 0; i < x->mmio.len && i < 8; i++) {
		l = strlen(buf);
		snprintf(buf + l, n - l, "%02x", x->mmio.data[i]);
	}
	if (!o->write) {
		l = strlen(buf);
		snprintf(buf + l, n - l, ", loaded %#" PRIx64, x->value);
	}
}

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
	counting = count;
	if (!w) {
		fprintf(stderr, "kvm-diff: cannot create the VMs\n");
		exit(CMD_FAIL);
	}
	for (i = 0; i < n; i++) {
		if (gen)
			gen_op(&w->m, rng, &ops[i]);
		if (count)
			st.kinds[ops[i].kind]++;
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
		st.mmio_exits += w->g.nr_mmio_exits;
		st.kvm_runs += w->g.nr_runs;
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

static bool run_stream(uint64_t seed, unsigned int nr_ops)
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
	at = run_ops(seed, ops, nr_ops, true, &rng, &f, true, opt.verbose);
	if (at < 0) {
		free(ops);
		return true;
	}

	printf("==== MISMATCH (stream seed %#" PRIx64 ") ====\n", seed);
	print_failure(&f, nr_ops);
	printf("  replay: vmmu kvm-diff --seed %#" PRIx64 " --ops %u --streams 1\n", seed, nr_ops);
	if (!opt.shrink) {
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

/* ------------------------------------------------------------------------ */
/* Environment                                                               */
/* ------------------------------------------------------------------------ */

/* The widest gpa KVM accepts for a slot (last gfn below 2^(bits-12)). */
static uint32_t probe_gpa_bits(int vm, void *mem)
{
	uint32_t bits, best = 0;

	for (bits = 32; bits <= 63; bits++) {
		struct kvm_userspace_memory_region r = {
			.slot = 1, .guest_phys_addr = (1ull << bits) - PG, .memory_size = PG,
			.userspace_addr = (uint64_t)(uintptr_t)mem,
		};

		if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r) < 0)
			break;
		best = bits;
		r.memory_size = 0;
		if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r) < 0)
			break;
	}
	return best;
}

/* A quick check that the guest runs and each access length behaves. */
static int self_test(void)
{
	struct kvm_guest g;
	struct kvm_guest_result res;
	int r = kvm_guest_open(&g, NULL);

	if (r)
		return r;
	for (uint32_t len = 1; len <= 8; len *= 2) {
		struct kvm_guest_cmd rd = { .len = len, .gpa = 0x1000 + 8 };	/* mailbox: RAM */
		struct kvm_guest_cmd mm = { .len = len, .gpa = 0x80000000u };	/* MMIO */
		uint64_t want;

		if (kvm_guest_access(&g, &rd, &res) || res.nr_mmio)
			goto bad;
		if (kvm_guest_access(&g, &mm, &res) || res.nr_mmio != 1 || res.mmio[0].len != len)
			goto bad;
		want = kvm_guest_mmio_value(0x80000000u);
		if (len < 8)
			want &= (1ull << (len * 8)) - 1;
		if (res.value != want)
			goto bad;
		continue;
bad:
		if (len == 8) {
			env.have_len8 = false;
			break;
		}
		kvm_guest_close(&g);
		return -EIO;
	}
	kvm_guest_close(&g);
	return 0;
}

static int probe_env(void)
{
	void *mem;
	int kvm, vm, r;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		printf("SKIP: cannot open /dev/kvm: %s\n", strerror(errno));
		return CMD_SKIP;
	}
	if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		printf("SKIP: unexpected KVM API version\n");
		close(kvm);
		return CMD_SKIP;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		printf("SKIP: KVM_CREATE_VM: %s\n", strerror(errno));
		close(kvm);
		return CMD_SKIP;
	}
	r = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
	env.max_user_slots = r > 0 ? (uint32_t)r : 0;
	r = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_MULTI_ADDRESS_SPACE);
	env.nr_as = r > 1 ? (uint32_t)r : 1;
	env.have_ro = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) > 0;
	env.have_manual = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) > 0;
	env.phys_bits = kvm_host_phys_bits();
	mem = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	env.gpa_bits = mem == MAP_FAILED ? 0 : probe_gpa_bits(vm, mem);
	if (mem != MAP_FAILED)
		munmap(mem, PG);
	close(vm);
	close(kvm);

	if (env.max_user_slots < SMALL_IDS + 2 || env.max_user_slots > VMMU_MEM_SLOTS_NUM ||
	    env.nr_as > VMMU_MAX_ADDRESS_SPACES || env.gpa_bits < 32 || env.gpa_bits > 52 ||
	    !env.have_manual) {
		printf("SKIP: KVM's limits are outside what vmmu models (slots %u, address spaces %u, "
		       "gpa bits %u, manual dirty-log protect %d)\n", env.max_user_slots, env.nr_as,
		       env.gpa_bits, env.have_manual);
		return CMD_SKIP;
	}
	env.memfd = memfd_create("kvm-diff", MFD_CLOEXEC);
	if (env.memfd < 0 || ftruncate(env.memfd, (off_t)(MEMFD_PAGES * PG))) {
		fprintf(stderr, "kvm-diff: memfd: %s\n", strerror(errno));
		return CMD_FAIL;
	}
	for (uint64_t i = 0; i < MEMFD_PAGES; i++) {
		uint8_t page[PG];

		fill_page(page, 0x1000 + i);
		if (pwrite(env.memfd, page, PG, (off_t)(i * PG)) != (ssize_t)PG)
			return CMD_FAIL;
	}
	env.have_len8 = true;
	r = self_test();
	if (r) {
		printf("SKIP: KVM cannot run the tiny guest (%s)\n", strerror(-r));
		return CMD_SKIP;
	}
	return CMD_OK;
}

/* ------------------------------------------------------------------------ */
/* Command line                                                              */
/* ------------------------------------------------------------------------ */

void cmd_kvm_diff_usage(void)
{
	printf("usage: vmmu kvm-diff [options]\n"
	       "Run random operation streams against the real KVM (/dev/kvm, through a tiny\n"
	       "guest) and a vmmu VM with the same limits, comparing every step.\n"
	       "  -s, --seed S       seed of the first stream (default 1); stream i uses S + i\n"
	       "  -n, --ops N        operations per stream (default 500)\n"
	       "  -k, --streams K    streams (default 20)\n"
	       "  -v, --verbose      print every operation and KVM's outcome\n"
	       "      --no-shrink    report a mismatch without shrinking it\n"
	       "      --mmio-gen-bits N  vmmu's MMIO SPTE generation bits, 1..19 (default 19;\n"
	       "                     fewer make the generation wrap, and its zap, frequent)\n"
	       "  -x, --exclude KIND never generate operations of KIND (repeatable; e.g.\n"
	       "                     get-log-null; 'vmmu kvm-diff -x list' lists the kinds)\n"
	       "Exit status: 0 no mismatch, 1 mismatch, 2 usage, 77 skipped (no usable /dev/kvm).\n");
}

static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return *s && !*end && !errno && *s != '-';
}

int cmd_kvm_diff(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "ops", required_argument, NULL, 'n' },
		{ "streams", required_argument, NULL, 'k' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "no-shrink", no_argument, NULL, 'S' },
		{ "exclude", required_argument, NULL, 'x' },
		{ "mmio-gen-bits", required_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 },
	};
	struct utsname uts;
	uint64_t v, total_ops = 0;
	unsigned int failed = 0;
	double t0, dt;
	int c, r;

	opt.seed = 1;
	opt.ops = 500;
	opt.streams = 20;
	opt.shrink = true;
	optind = 1;
	while ((c = getopt_long(argc, argv, "s:n:k:vx:", lopts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (!parse_u64(optarg, &opt.seed))
				goto usage;
			break;
		case 'n':
			if (!parse_u64(optarg, &v) || !v || v > 10000000)	/* ops are kept for shrinking */
				goto usage;
			opt.ops = (unsigned int)v;
			break;
		case 'k':
			if (!parse_u64(optarg, &v) || !v || v > 1000000)
				goto usage;
			opt.streams = (unsigned int)v;
			break;
		case 'v':
			opt.verbose = true;
			break;
		case 'S':
			opt.shrink = false;
			break;
		case 'g':
			if (!parse_u64(optarg, &v) || !v || v > VMMU_MAX_MMIO_GEN_BITS)
				goto usage;
			opt.mmio_gen_bits = (unsigned int)v;
			break;
		case 'x': {
			int k;

			for (k = 0; k < NR_KINDS && strcmp(optarg, kind_names[k]); k++)
				;
			if (k == NR_KINDS) {
				printf("kinds:");
				for (k = 0; k < NR_KINDS; k++)
					printf(" %s", kind_names[k]);
				printf("\n");
				return strcmp(optarg, "list") ? CMD_USAGE : CMD_OK;
			}
			opt.exclude[k] = true;
			break;
		}
		default:
			goto usage;
		}
	}
	if (optind != argc)
		goto usage;

	r = probe_env();
	if (r != CMD_OK)
		return r;
	if (uname(&uts))
		strcpy(uts.release, "?");
	printf("kernel %s; KVM: %u user memslots, %u address space%s, READONLY %s, "
	       "gpa limit 2^%u (CPUID MAXPHYADDR %u), 8-byte guest accesses %s\n",
	       uts.release, env.max_user_slots, env.nr_as, env.nr_as == 1 ? "" : "s",
	       env.have_ro ? "yes" : "no", env.gpa_bits, env.phys_bits,
	       env.have_len8 ? "yes" : "no");
	printf("vmmu: nr_address_spaces=%u max_user_slots=%u max_gpa_bits=%u\n",
	       env.nr_as, env.max_user_slots, env.gpa_bits);
	printf("%u stream%s x %u ops, seeds %#" PRIx64 "..%#" PRIx64 "\n", opt.streams,
	       opt.streams == 1 ? "" : "s", opt.ops, opt.seed, opt.seed + opt.streams - 1);
	fflush(stdout);

	t0 = now_sec();
	for (unsigned int i = 0; i < opt.streams; i++) {
		double ts = now_sec();

		if (!run_stream(opt.seed + i, opt.ops)) {
			failed++;
			break;
		}
		total_ops += opt.ops;
		if (opt.verbose || opt.streams <= 4)
			printf("stream %#" PRIx64 ": %u ops ok, %.2f s\n", opt.seed + i, opt.ops,
			       now_sec() - ts);
		fflush(stdout);
	}
	dt = now_sec() - t0;

	printf("operation mix:");
	for (int k = 0; k < NR_KINDS; k++)
		if (st.kinds[k])
			printf(" %s=%" PRIu64, kind_names[k], st.kinds[k]);
	printf("\nguest accesses (as KVM served them): RAM=%" PRIu64 " MMIO(no slot)=%" PRIu64
	       " MMIO(READONLY write)=%" PRIu64 " unmapped-host-memory(known difference)=%" PRIu64 "\n",
	       st.acc_ram, st.acc_mmio, st.acc_ro_mmio, st.acc_known_efault);
	printf("memslot ops (KVM's result): ok=%" PRIu64 " -EINVAL=%" PRIu64 " -EEXIST=%" PRIu64
	       " other=%" PRIu64 "\n", st.region_ok, st.region_einval, st.region_eexist,
	       st.region_other);
	printf("dirty log: GET ok=%" PRIu64 " err=%" PRIu64 ", CLEAR ok=%" PRIu64 " err=%" PRIu64
	       "; KVM_RUN calls=%" PRIu64 ", MMIO exits=%" PRIu64 "\n",
	       st.get_ok, st.get_err, st.clear_ok, st.clear_err, st.kvm_runs, st.mmio_exits);
	if (failed) {
		printf("FAIL: mismatch found\n");
		return CMD_FAIL;
	}
	printf("PASS: %u streams x %u ops, 0 mismatches, %.2f s (%.0f ops/s)\n", opt.streams,
	       opt.ops, dt, dt > 0 ? (double)total_ops / dt : 0.0);
	return CMD_OK;
usage:
	cmd_kvm_diff_usage();
	return CMD_USAGE;
}
