// SPDX-License-Identifier: MIT
/*
 * The access oracle (see oracle.h for the rules).  Map states are kept per
 * address space in recording order, each with its slots sorted by gfn; host
 * page versions in a small open-addressing table keyed by host page.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmmu.h"
#include "oracle.h"

#define ORACLE_PAGE_SHIFT	12
#define NO_PAGE			UINT64_MAX

struct map_state {
	uint64_t t_lo, t_hi;
	size_t first, n;	/* slots[first .. first + n) of the pool */
};

struct as_hist {
	struct map_state *s;
	size_t n, cap;
};

struct page_ver {
	uint32_t version;
	uint64_t t_lo, t_hi;
};

struct page_hist {
	uint64_t page;		/* NO_PAGE: empty bucket */
	struct page_ver *v;	/* v[0] is version 0 from stamp 0 */
	size_t n, cap;
};

struct oracle_log {
	struct oracle_log *next;
	struct oracle_access *a;
	size_t n, cap;
};

struct oracle {
	_Atomic uint64_t clock;
	pthread_mutex_t lock;
	uint32_t nr_as;
	struct as_hist *as;
	struct oracle_slot *pool;
	size_t pool_n, pool_cap;
	struct page_hist *pages;
	size_t pages_cap, pages_used;
	struct oracle_log *logs;
};

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t c = *cap ? *cap : 8;
	void *q;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	q = realloc(*p, c * elem);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

static void oracle_init_states(struct oracle *o)
{
	o->pool_n = 0;
	for (uint32_t i = 0; i < o->nr_as; i++) {
		o->as[i].n = 1;
		o->as[i].s[0] = (struct map_state){ .t_lo = 0, .t_hi = 0 };
	}
	for (size_t i = 0; i < o->pages_cap; i++)
		o->pages[i].page = NO_PAGE;
	o->pages_used = 0;
	for (struct oracle_log *l = o->logs; l; l = l->next)
		l->n = 0;
	atomic_store_explicit(&o->clock, 1, memory_order_relaxed);
}

struct oracle *oracle_create(uint32_t nr_as)
{
	struct oracle *o;

	if (!nr_as)
		return NULL;
	o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->nr_as = nr_as;
	o->as = calloc(nr_as, sizeof(*o->as));
	if (!o->as)
		goto fail;
	for (uint32_t i = 0; i < nr_as; i++)
		if (grow((void **)&o->as[i].s, &o->as[i].cap, 16, sizeof(struct map_state)))
			goto fail;
	o->pages_cap = 64;
	o->pages = calloc(o->pages_cap, sizeof(*o->pages));
	if (!o->pages)
		goto fail;
	pthread_mutex_init(&o->lock, NULL);
	oracle_init_states(o);
	return o;
fail:
	oracle_destroy(o);
	return NULL;
}

void oracle_destroy(struct oracle *o)
{
	if (!o)
		return;
	for (uint32_t i = 0; o->as && i < o->nr_as; i++)
		free(o->as[i].s);
	free(o->as);
	free(o->pool);
	for (size_t i = 0; o->pages && i < o->pages_cap; i++)
		free(o->pages[i].v);
	free(o->pages);
	while (o->logs) {
		struct oracle_log *l = o->logs;

		o->logs = l->next;
		free(l->a);
		free(l);
	}
	free(o);
}

void oracle_reset(struct oracle *o)
{
	pthread_mutex_lock(&o->lock);
	oracle_init_states(o);
	pthread_mutex_unlock(&o->lock);
}

uint64_t oracle_stamp(struct oracle *o)
{
	return atomic_fetch_add_explicit(&o->clock, 1, memory_order_seq_cst);
}

static int slot_cmp(const void *a, const void *b)
{
	const struct oracle_slot *x = a, *y = b;

	return x->base_gfn < y->base_gfn ? -1 : x->base_gfn > y->base_gfn;
}

int oracle_map_set(struct oracle *o, uint32_t as_id, uint64_t t_lo, uint64_t t_hi,
		   const struct oracle_slot *slots, size_t n)
{
	struct as_hist *h;
	struct map_state *st;
	int r = -EINVAL;

	if (as_id >= o->nr_as || t_lo > t_hi || (n && !slots))
		return -EINVAL;
	pthread_mutex_lock(&o->lock);
	h = &o->as[as_id];
	if (t_lo < h->s[h->n - 1].t_lo)
		goto out;
	r = grow((void **)&h->s, &h->cap, h->n + 1, sizeof(*h->s));
	if (!r)
		r = grow((void **)&o->pool, &o->pool_cap, o->pool_n + n, sizeof(*o->pool));
	if (r)
		goto out;
	st = &h->s[h->n++];
	st->t_lo = t_lo;
	st->t_hi = t_hi;
	st->first = o->pool_n;
	st->n = n;
	if (n) {
		memcpy(&o->pool[o->pool_n], slots, n * sizeof(*slots));
		qsort(&o->pool[o->pool_n], n, sizeof(*slots), slot_cmp);
	}
	o->pool_n += n;
out:
	pthread_mutex_unlock(&o->lock);
	return r;
}

static size_t page_hash(uint64_t page, size_t cap)
{
	return (size_t)((page * 0x9e3779b97f4a7c15ull) >> 20) & (cap - 1);
}

/* The history of @page, or NULL (never replaced); with @create, add it. */
static struct page_hist *page_find(struct oracle *o, uint64_t page, bool create)
{
	size_t i = page_hash(page, o->pages_cap);

	for (;; i = (i + 1) & (o->pages_cap - 1)) {
		struct page_hist *p = &o->pages[i];

		if (p->page == page)
			return p;
		if (p->page != NO_PAGE)
			continue;
		if (!create)
			return NULL;
		if (grow((void **)&p->v, &p->cap, 4, sizeof(*p->v)))
			return NULL;
		p->page = page;
		p->n = 1;
		p->v[0] = (struct page_ver){ .version = 0 };
		o->pages_used++;
		return p;
	}
}

static int pages_rehash(struct oracle *o)
{
	struct page_hist *old = o->pages;
	size_t old_cap = o->pages_cap;

	o->pages = calloc(old_cap * 2, sizeof(*o->pages));
	if (!o->pages) {
		o->pages = old;
		return -ENOMEM;
	}
	o->pages_cap = old_cap * 2;
	for (size_t i = 0; i < o->pages_cap; i++)
		o->pages[i].page = NO_PAGE;
	for (size_t i = 0; i < old_cap; i++) {
		size_t j;

		if (old[i].page == NO_PAGE) {
			free(old[i].v);
			continue;
		}
		for (j = page_hash(old[i].page, o->pages_cap); o->pages[j].page != NO_PAGE;
		     j = (j + 1) & (o->pages_cap - 1))
			;
		o->pages[j] = old[i];
	}
	free(old);
	return 0;
}

int oracle_host_page(struct oracle *o, uint64_t hva, uint32_t version, uint64_t t_lo,
		     uint64_t t_hi)
{
	uint64_t page = hva >> ORACLE_PAGE_SHIFT;
	struct page_hist *p;
	int r = 0;

	pthread_mutex_lock(&o->lock);
	if ((o->pages_used + 1) * 2 > o->pages_cap)
		r = pages_rehash(o);
	p = r ? NULL : page_find(o, page, true);
	if (!p || grow((void **)&p->v, &p->cap, p->n + 1, sizeof(*p->v))) {
		r = -ENOMEM;
	} else {
		p->v[p->n++] = (struct page_ver){ .version = version, .t_lo = t_lo, .t_hi = t_hi };
	}
	pthread_mutex_unlock(&o->lock);
	return r;
}

static const struct oracle_slot *state_find(const struct oracle *o, const struct map_state *st,
					    uint64_t gfn)
{
	size_t lo = 0, hi = st->n;

	/* The last slot with base_gfn <= gfn. */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (o->pool[st->first + mid].base_gfn <= gfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	const struct oracle_slot *s = &o->pool[st->first + lo - 1];

	return gfn - s->base_gfn < s->npages ? s : NULL;
}

/* Was @version of the page at @hva in effect at some instant of [lo, hi]? */
static bool host_version_ok(struct oracle *o, uint64_t hva, uint32_t version, uint64_t lo,
			    uint64_t hi)
{
	struct page_hist *p = page_find(o, hva >> ORACLE_PAGE_SHIFT, false);

	if (!p)
		return version == 0;
	for (size_t k = 0; k < p->n; k++) {
		uint64_t from = p->v[k].t_lo;
		uint64_t to = k + 1 < p->n ? p->v[k + 1].t_hi : UINT64_MAX;

		if (p->v[k].version != version)
			continue;
		if (from <= hi && lo <= to)
			return true;
	}
	return false;
}

/* Was the page at @hva mapped (@mapped) or unmapped at some instant of [lo, hi]? */
static bool host_mapped_ok(struct oracle *o, uint64_t hva, bool mapped, uint64_t lo, uint64_t hi)
{
	struct page_hist *p = page_find(o, hva >> ORACLE_PAGE_SHIFT, false);

	if (!p)
		return mapped;
	for (size_t k = 0; k < p->n; k++) {
		uint64_t from = p->v[k].t_lo;
		uint64_t to = k + 1 < p->n ? p->v[k + 1].t_hi : UINT64_MAX;

		if ((p->v[k].version != ORACLE_VERSION_UNMAPPED) != mapped)
			continue;
		if (from <= hi && lo <= to)
			return true;
	}
	return false;
}

const char *oracle_outcome_name(enum oracle_outcome oc)
{
	switch (oc) {
	case ORACLE_RAM_READ:
		return "RAM read";
	case ORACLE_RAM_WRITE:
		return "RAM write";
	case ORACLE_MMIO:
		return "MMIO exit";
	case ORACLE_POISON:
		return "poisoned frame";
	case ORACLE_ERROR:
		return "error";
	case ORACLE_FAULT:
		return "-EFAULT";
	}
	return "?";
}

static bool __oracle_check(struct oracle *o, const struct oracle_access *a, char *why,
			   size_t len)
{
	const struct as_hist *h;
	uint64_t gfn = a->gpa >> ORACLE_PAGE_SHIFT;
	size_t lo, hi, used = 0;
	int w = 0;

	if (why && len)
		why[0] = 0;
	if (a->as_id >= o->nr_as || a->t_begin > a->t_end) {
		if (why)
			snprintf(why, len, "malformed access record");
		return false;
	}
	if (a->outcome == ORACLE_POISON || a->outcome == ORACLE_ERROR) {
		if (why)
			snprintf(why, len, "%s gpa 0x%" PRIx64 " (as %u) returned %s (ret %d)",
				 a->write ? "write" : "read", a->gpa, a->as_id,
				 oracle_outcome_name(a->outcome), a->ret);
		return false;
	}
	h = &o->as[a->as_id];

	/* First state whose end (the next state's t_hi) is >= t_begin. */
	lo = 0;
	hi = h->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		uint64_t end = mid + 1 < h->n ? h->s[mid + 1].t_hi : UINT64_MAX;

		if (end < a->t_begin)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (why)
		w = snprintf(why, len, "%s gpa 0x%" PRIx64 " (as %u) during [%" PRIu64 ", %" PRIu64
			     "] gave %s", a->write ? "write" : "read", a->gpa, a->as_id,
			     a->t_begin, a->t_end, oracle_outcome_name(a->outcome));
	if (why && a->outcome == ORACLE_RAM_READ && w >= 0 && (size_t)w < len)
		w += snprintf(why + w, len - w, " (hva 0x%" PRIx64 " v%u)", a->hva, a->version);
	if (why && w >= 0 && (size_t)w < len)
		w += snprintf(why + w, len - w, "; the map in effect then said:");

	for (size_t i = lo; i < h->n && h->s[i].t_lo <= a->t_end; i++) {
		const struct map_state *st = &h->s[i];
		uint64_t end = i + 1 < h->n ? h->s[i + 1].t_hi : UINT64_MAX;
		uint64_t from = st->t_lo > a->t_begin ? st->t_lo : a->t_begin;
		uint64_t to = end < a->t_end ? end : a->t_end;
		const struct oracle_slot *s;
		uint64_t page_hva;
		bool ro;

		if (from > to)
			continue;
		s = state_find(o, st, gfn);
		ro = s && (s->flags & VMMU_MEM_READONLY);
		page_hva = s ? s->hva + ((gfn - s->base_gfn) << ORACLE_PAGE_SHIFT) : 0;
		switch (a->outcome) {
		case ORACLE_MMIO:
			if (!a->copy && (!s || (a->write && ro)))
				return true;
			break;
		case ORACLE_RAM_WRITE:
			if (s && !ro && host_mapped_ok(o, page_hva, true, from, to))
				return true;
			break;
		case ORACLE_RAM_READ:
			if (s && !a->write &&
			    page_hva >> ORACLE_PAGE_SHIFT == a->hva >> ORACLE_PAGE_SHIFT &&
			    host_version_ok(o, a->hva, a->version, from, to))
				return true;
			break;
		case ORACLE_FAULT:
			if (a->copy && (!s || (a->write && ro)))
				return true;
			if (s && host_mapped_ok(o, page_hva, false, from, to))
				return true;
			break;
		default:
			break;
		}
		if (why && used++ < 4 && w >= 0 && (size_t)w < len) {
			if (!s)
				w += snprintf(why + w, len - w, " [state %zu from %" PRIu64 ": no slot]",
					      i, st->t_lo);
			else
				w += snprintf(why + w, len - w,
					      " [state %zu from %" PRIu64 ": slot gfn 0x%" PRIx64
					      "+%" PRIu64 " hva 0x%" PRIx64 "%s]", i, st->t_lo,
					      s->base_gfn, s->npages,
					      s->hva + ((gfn - s->base_gfn) << ORACLE_PAGE_SHIFT),
					      ro ? " ro" : "");
		}
	}
	if (why && a->outcome == ORACLE_RAM_READ && w >= 0 && (size_t)w < len) {
		struct page_hist *p = page_find(o, a->hva >> ORACLE_PAGE_SHIFT, false);

		for (size_t k = 1; p && k < p->n && w >= 0 && (size_t)w < len; k++)
			w += snprintf(why + w, len - w, "%s host page became v%u at %" PRIu64,
				      k == 1 ? ";" : ",", p->v[k].version, p->v[k].t_hi);
	}
	return false;
}

bool oracle_check(struct oracle *o, const struct oracle_access *a, char *why, size_t len)
{
	bool ok;

	pthread_mutex_lock(&o->lock);
	ok = __oracle_check(o, a, why, len);
	pthread_mutex_unlock(&o->lock);
	return ok;
}

struct oracle_log *oracle_log_create(struct oracle *o)
{
	struct oracle_log *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	pthread_mutex_lock(&o->lock);
	l->next = o->logs;
	o->logs = l;
	pthread_mutex_unlock(&o->lock);
	return l;
}

int oracle_log_access(struct oracle_log *log, const struct oracle_access *a)
{
	if (grow((void **)&log->a, &log->cap, log->n + 1, sizeof(*log->a)))
		return -ENOMEM;
	log->a[log->n++] = *a;
	return 0;
}

uint64_t oracle_verify(struct oracle *o, oracle_report_fn report, void *arg,
		       uint64_t max_reports)
{
	uint64_t bad = 0;
	char why[512];

	pthread_mutex_lock(&o->lock);
	for (struct oracle_log *l = o->logs; l; l = l->next) {
		for (size_t i = 0; i < l->n; i++) {
			if (__oracle_check(o, &l->a[i], why, sizeof(why)))
				continue;
			if (report && bad < max_reports)
				report(arg, &l->a[i], why);
			bad++;
		}
	}
	pthread_mutex_unlock(&o->lock);
	return bad;
}

bool oracle_check_exit(const struct oracle_access *a, uint32_t len, const struct vmmu_exit *ex,
		       char *why, size_t n)
{
	uint64_t page = a->gpa & ~(VMMU_PAGE_SIZE - 1);

	if (a->ret == VMMU_EXIT_DIRTY_RING_FULL) {
		if (ex->reason == VMMU_EXIT_DIRTY_RING_FULL)
			return true;
		if (why)
			snprintf(why, n, "returned VMMU_EXIT_DIRTY_RING_FULL with exit reason %u",
				 ex->reason);
		return false;
	}
	if (a->outcome == ORACLE_MMIO) {
		if (ex->reason == VMMU_EXIT_MMIO && ex->mmio.phys_addr == a->gpa &&
		    ex->mmio.len == len && ex->mmio.is_write == (a->write ? 1 : 0))
			return true;
		if (why)
			snprintf(why, n, "MMIO exit of gpa %#" PRIx64 " len %u %s says reason %u "
				 "phys_addr %#" PRIx64 " len %u is_write %u", a->gpa, len,
				 a->write ? "write" : "read", ex->reason, ex->mmio.phys_addr,
				 ex->mmio.len, ex->mmio.is_write);
		return false;
	}
	if (a->outcome == ORACLE_FAULT && !a->copy) {
		if (ex->reason == VMMU_EXIT_MEMORY_FAULT && ex->memory_fault.gpa == page &&
		    ex->memory_fault.size == VMMU_PAGE_SIZE && ex->memory_fault.flags == 0)
			return true;
		if (why)
			snprintf(why, n, "-EFAULT of gpa %#" PRIx64 " comes with exit reason %u, "
				 "memory fault gpa %#" PRIx64 " size %#" PRIx64 " flags %#" PRIx64
				 " (KVM_CAP_MEMORY_FAULT_INFO: the page, %#" PRIx64 ", one page, 0)",
				 a->gpa, ex->reason, ex->memory_fault.gpa, ex->memory_fault.size,
				 ex->memory_fault.flags, page);
		return false;
	}
	return true;
}
