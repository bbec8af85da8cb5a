// SPDX-License-Identifier: MIT
/*
 * vmmu kvm-diff: The model: KVM's truth about the test slots, used to aim operations
 * and to classify accesses.
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

/* ------------------------------------------------------------------------ */
/* The model (KVM's truth), used to aim operations and to classify accesses  */
/* ------------------------------------------------------------------------ */

struct mslot *model_find(struct model *m, uint32_t slot)
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

struct mslot *model_pick(struct model *m, uint64_t *r)
{
	unsigned int n = model_count(m), k;

	if (!n)
		return NULL;
	k = (unsigned int)rng_below(r, n);
	for (int i = 0; i < MODEL_MAX; i++) {
		if (!m->s[i].used)
			continue;
		if (!k--)
			return &m->s[i];
	}
	return NULL;
}

/* A slot the 32-bit guest can reach (entirely below 4 GiB). */
struct mslot *model_pick_reachable(struct model *m, uint64_t *r)
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
int64_t model_backing_page(struct model *m, uint64_t gpa, struct mslot **sp)
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

void model_apply_region(struct model *m, const struct op *o)
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
