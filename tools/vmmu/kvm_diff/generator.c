// SPDX-License-Identifier: MIT
/*
 * vmmu kvm-diff: The operation generator: fully concrete pseudo-random operations, so
 * that any subset of a stream can be replayed.
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

#include "kvm_diff.h"

const char *const type_names[NR_TYPES] = {
	"memslot", "access", "host-write", "get-log", "clear-log", "manual", "host-map",
	"memslot2", "ring-harvest", "ring-enable",
};

const char *const kind_names[NR_KINDS] = {
	"create", "delete", "move", "flags-only", "noop", "modify-bad", "overlap",
	"delete-missing", "bad-flags", "unaligned", "bad-id", "near-max", "gpa-wrap",
	"too-many-pages", "hva-edge",
	"read", "write", "write-burst",
	"host-write",
	"get-log", "get-log-null", "clear-log",
	"manual-protect",
	"madv-dontneed", "mmap-anon", "mmap-memfd", "munmap", "mprotect-ro",
	"region2", "region2-gmem",
	"ring-harvest",
	"ring-enable",
};

/* ------------------------------------------------------------------------ */
/* Operation generator                                                       */
/* ------------------------------------------------------------------------ */

static uint32_t gen_valid_flags(uint64_t *r)
{
	uint64_t p = rng_below(r, 100);
	uint32_t f = p < 50 ? 0 : p < 80 ? MEM_LOG_DIRTY : p < 92 ? MEM_RO : MEM_LOG_DIRTY | MEM_RO;

	return kd_env.have_ro ? f : f & ~MEM_RO;
}

static uint32_t gen_free_id(struct model *m, uint64_t *r)
{
	uint32_t id = 1 + (uint32_t)rng_below(r, SMALL_IDS);

	for (int tries = 0; tries < 8 && model_find(m, id); tries++)
		id = 1 + (uint32_t)rng_below(r, SMALL_IDS);
	return id;
}

static uint64_t gen_npages(uint64_t *r)
{
	return chance(r, 85) ? 1 + rng_below(r, 8) : 1 + rng_below(r, MAX_SLOT_PAGES);
}

static uint64_t gen_window_gpa(uint64_t *r, uint64_t npages)
{
	return WIN_BASE + rng_below(r, WIN_PAGES - npages + 1) * PG;
}

static uint64_t gen_hva_off(uint64_t *r, uint64_t npages)
{
	return rng_below(r, BACKING_PAGES - npages + 1) * PG;
}

static uint32_t gen_edge_id(uint64_t *r)
{
	const uint32_t ids[] = {
		kd_env.max_user_slots - 1, kd_env.max_user_slots - 2, kd_env.max_user_slots,
		kd_env.max_user_slots + 1, 32766, 32767, 32768, 65535, 0x10001, 0x20003,
		0xffff0001,
	};

	return ids[rng_below(r, sizeof(ids) / sizeof(ids[0]))];
}

/* A gpa for @npages pages whose last gfn is at, just below or just above the limit. */
static uint64_t gen_near_max_gpa(uint64_t *r, uint64_t npages)
{
	uint64_t max_gfn = (1ull << (kd_env.gpa_bits - 12)) - 1;
	uint64_t last = chance(r, 55) ? max_gfn - rng_below(r, 4) : max_gfn + 1 + rng_below(r, 4);

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
	uint64_t p = rng_below(r, 100), npages;

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
		switch (rng_below(r, 3)) {
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
		o->gpa = s->gpa + rng_below(r, s->npages) * PG;
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
		gen_create(m, r, o, chance(r, 70) ? gen_free_id(m, r) :
						    1 + (uint32_t)rng_below(r, SMALL_IDS));
		o->kind = K_BAD_FLAGS;
		switch (rng_below(r, 3)) {
		case 0:
			o->flags |= MEM_GMEM;
			break;
		case 1:
			o->flags |= 1u << (2 + rng_below(r, 30));
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
		switch (rng_below(r, 3)) {
		case 0:
			o->size = o->size - PG + 1 + rng_below(r, PG - 1);
			break;
		case 1:
			o->gpa += 1 + rng_below(r, PG - 1);
			break;
		default:
			o->hva += 1 + rng_below(r, PG - 1);
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
		o->gpa = 0ull - o->size -
			 (rng_below(r, o->size / PG + 1) - (o->size / PG - 1)) * PG;
	} else if (p < 98) {
		gen_create(m, r, o, gen_free_id(m, r));
		o->kind = K_TOO_MANY;
		o->flags &= ~MEM_LOG_DIRTY;
		o->size = (MEM_MAX_PAGES + 1 + rng_below(r, 3)) * PG;
		o->gpa = 0;
		o->hva = 0;
	} else {
		gen_create(m, r, o, gen_free_id(m, r));
		o->kind = K_HVA_EDGE;
		o->hva_abs = true;
		switch (rng_below(r, 3)) {
		case 0:
			o->hva = KERNEL_HALF_HVA + rng_below(r, 16) * PG;
			break;
		case 1:
			o->hva = 0xfffffffffffff000ull - rng_below(r, 4) * PG;
			break;
		default:	/* ends just past the 4-level user half */
			o->hva = TASK_SIZE_MAX_4L - o->size + PG * (1 + rng_below(r, 2));
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
	uint64_t p = rng_below(r, 100), page;

	o->type = T_ACCESS;
	o->write = chance(r, 45);
	o->kind = o->write ? K_WRITE : K_READ;
	o->len = lens[rng_below(r, kd_env.have_len8 ? 4 : 3)];
	if (s && p < 75) {
		page = s->gpa + rng_below(r, s->npages) * PG;
	} else if (s && p < 85) {
		page = chance(r, 50) ? s->gpa + s->npages * PG : s->gpa - PG;
	} else if (p < 97) {
		page = WIN_BASE + (rng_below(r, WIN_PAGES + 32) - 16) * PG;
	} else {
		page = far[rng_below(r, sizeof(far) / sizeof(far[0]))];
	}
	if (page < HARNESS_GPA + KVM_GUEST_SLOT_SIZE || page >= (1ull << 32))
		page = WIN_BASE;
	if (chance(r, 80))
		o->gpa = page + rng_below(r, PG / o->len) * o->len;
	else
		o->gpa = page + rng_below(r, PG - o->len + 1);
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
		o->slot = 1 + (uint32_t)rng_below(r, SMALL_IDS);
	else
		o->slot = chance(r, 50) ? gen_edge_id(r) : HARNESS_SLOT;
}

/*
 * Writes to every page of a slot (a logged one, mostly) in one operation:
 * enough distinct pages between harvests to reach the ring's soft limit.
 */
static void gen_write_burst(struct model *m, uint64_t *r, struct op *o)
{
	struct mslot *s = NULL;

	for (int tries = 0; tries < 4; tries++) {
		s = model_pick(m, r);
		if (s && (s->flags & MEM_LOG_DIRTY))
			break;
	}
	o->type = T_ACCESS;
	o->kind = K_WRITE_BURST;
	o->write = true;
	o->len = kd_env.have_len8 ? 8 : 4;
	o->gpa = s ? s->gpa : WIN_BASE;
	o->size = s ? s->npages : 1 + rng_below(r, 64);
	if (o->gpa < HARNESS_GPA + KVM_GUEST_SLOT_SIZE || o->gpa + o->size * PG > (1ull << 32))
		o->gpa = WIN_BASE;
	o->gpa += rng_below(r, PG / o->len) * o->len;
	o->value = rng_next(r);
	if (chance(r, 40))
		o->size = 0;	/* every logged slot (executor) */
}

/* KVM_ENABLE_CAP(KVM_CAP_DIRTY_LOG_RING_ACQ_REL): sizes at and around the bounds. */
static void gen_ring_enable(uint64_t *r, struct op *o)
{
	static const uint64_t sizes[] = {
		0, 16, 1024, 2048, 4096, 4096 + 16, 3 * 4096, 8192, 16384, 65536,
		VMMU_DIRTY_RING_MAX_BYTES, 2 * VMMU_DIRTY_RING_MAX_BYTES, 0x80000000ull,
	};

	o->type = T_RING_ENABLE;
	o->kind = K_RING_ENABLE;
	o->value = sizes[rng_below(r, sizeof(sizes) / sizeof(sizes[0]))];
}

static void gen_one(struct model *m, uint64_t *r, struct op *o)
{
	uint64_t p = rng_below(r, 100);

	memset(o, 0, sizeof(*o));
	/* The newer ioctls: one operation in ten (after the draw above, so the
	 * older kinds keep their mix among themselves). */
	if (chance(r, 10)) {
		uint64_t q = rng_below(r, 100);

		if (q < 45 && kd_env.have_region2) {
			gen_region(m, r, o);
			o->type = T_REGION2;
			o->kind = K_REGION2;
			if (chance(r, 15)) {
				o->kind = K_REGION2_GMEM;
				o->flags |= MEM_GMEM;
			}
			o->value = chance(r, 50) ? rng_next(r) : 0;
			return;
		}
		if (q < 53 && m->ring_bytes) {
			o->type = T_RING_HARVEST;
			o->kind = K_HARVEST;
			return;
		}
		if (q < 90 && m->ring_bytes) {
			gen_write_burst(m, r, o);
			return;
		}
		if (kd_env.ring_max_bytes) {
			gen_ring_enable(r, o);
			return;
		}
	}
	if (p < 22) {
		gen_region(m, r, o);
	} else if (p < 77) {
		gen_access(m, r, o);
	} else if (p < 84) {
		o->type = T_HOST_WRITE;
		o->kind = K_HOST_WRITE;
		o->page = (uint32_t)rng_below(r, BACKING_PAGES);
		o->len = 8;
		o->off = (uint32_t)rng_below(r, PG / 8) * 8;
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
		uint64_t npages = s ? s->npages : 1 + rng_below(r, 8);
		switch (rng_below(r, 10)) {
		case 0:
			o->gpa = 1 + rng_below(r, 63);
			break;
		case 1:
			o->gpa = 64 * (1 + rng_below(r, 3));
			break;
		default:
			o->gpa = npages > 64 && chance(r, 30) ? 64 : 0;
			break;
		}
		switch (rng_below(r, 8)) {
		case 0:
			o->size = 64;
			break;
		case 1:
			o->size = rng_below(r, npages + 2);
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
		o->value = fl[rng_below(r, sizeof(fl) / sizeof(fl[0]))];
	} else {
		uint64_t q = rng_below(r, 100);

		o->type = T_HOST_MAP;
		o->kind = q < 30 ? K_DONTNEED : q < 52 ? K_MAP_ANON : q < 74 ? K_MAP_MEMFD :
			  q < 88 ? K_PROTECT_RO : K_MUNMAP;
		o->size = 1 + rng_below(r, 4);
		o->page = (uint32_t)rng_below(r, BACKING_PAGES - o->size + 1);
		o->off = (uint32_t)rng_below(r, MEMFD_PAGES);
		/* Aim at memory behind a slot when there is one. */
		if (chance(r, 70)) {
			struct mslot *s = model_pick(m, r);

			if (s && !s->hva_abs) {
				uint64_t pg = s->hva / PG + rng_below(r, s->npages);

				if (pg + o->size <= BACKING_PAGES)
					o->page = (uint32_t)pg;
			}
		}
		/* Mostly fill holes that munmap left, so they do not pile up. */
		if ((o->kind == K_MAP_ANON || o->kind == K_MAP_MEMFD) && chance(r, 75)) {
			unsigned int holes = 0, k;

			for (uint64_t i = 0; i < BACKING_PAGES; i++)
				holes += !m->mapped[i];
			k = holes ? (unsigned int)rng_below(r, holes) : 0;
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
void gen_op(struct model *m, uint64_t *r, struct op *o)
{
	int tries = 0;

	do {
		gen_one(m, r, o);
	} while (kd_opt.exclude[o->kind] && ++tries < 1000);
	if (kd_opt.exclude[o->kind]) {
		memset(o, 0, sizeof(*o));
		o->type = T_MANUAL;		/* harmless stand-in: re-enable the current mode */
		o->kind = K_MANUAL;
		o->value = m->manual;
	}
}

void fmt_op(char *buf, size_t n, const struct op *o)
{
	switch (o->type) {
	case T_REGION:
		snprintf(buf, n, "%-14s set_region slot=%#x flags=%#x gpa=%#" PRIx64 " size=%#" PRIx64
			 " hva=%s%#" PRIx64, kind_names[o->kind], o->slot, o->flags, o->gpa, o->size,
			 o->hva_abs ? "" : "backing+", o->hva);
		break;
	case T_ACCESS:
		if (o->kind == K_WRITE_BURST && !o->size)
			snprintf(buf, n, "%-14s guest write%u to every page of every logged slot at "
				 "offset %#" PRIx64 ", values %#" PRIx64 " + i", kind_names[o->kind],
				 o->len * 8, (uint64_t)(o->gpa & (PG - 1)), o->value);
		else if (o->kind == K_WRITE_BURST)
			snprintf(buf, n, "%-14s guest write%u to %" PRIu64 " pages from gpa=%#" PRIx64
				 ", values %#" PRIx64 " + i", kind_names[o->kind], o->len * 8, o->size,
				 o->gpa, o->value);
		else if (o->write)
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
	case T_REGION2:
		snprintf(buf, n, "%-14s set_region2 slot=%#x flags=%#x gpa=%#" PRIx64 " size=%#"
			 PRIx64 " hva=%s%#" PRIx64 " padding seed=%#" PRIx64, kind_names[o->kind],
			 o->slot, o->flags, o->gpa, o->size, o->hva_abs ? "" : "backing+", o->hva,
			 o->value);
		break;
	case T_RING_HARVEST:
		snprintf(buf, n, "%-14s harvest the dirty rings, KVM_RESET_DIRTY_RINGS",
			 kind_names[o->kind]);
		break;
	case T_RING_ENABLE:
		snprintf(buf, n, "%-14s KVM_ENABLE_CAP(DIRTY_LOG_RING_ACQ_REL, %#" PRIx64 ")",
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
