// SPDX-License-Identifier: MIT
/*
 * The direct host-memory backend and the guest-memory copy helpers.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hostmem.h"
#include "check_hooks.h"
#include "vm.h"

void guest_memcpy_from(void *dst, const uint8_t *src, size_t len)
{
	uint8_t *d = dst;
	size_t i = 0;

	src = vmmu_checker_guest_mem(src, len, false);
	if (!((uintptr_t)src & 7))
		for (; i + 8 <= len; i += 8) {
			uint64_t v = __atomic_load_n((const uint64_t *)(src + i), __ATOMIC_RELAXED);

			__builtin_memcpy(d + i, &v, 8);
		}
	for (; i < len; i++)
		d[i] = __atomic_load_n(src + i, __ATOMIC_RELAXED);
}

void guest_memcpy_to(uint8_t *dst, const void *src, size_t len)
{
	const uint8_t *s = src;
	size_t i = 0;

	dst = vmmu_checker_guest_mem(dst, len, true);
	if (!((uintptr_t)dst & 7))
		for (; i + 8 <= len; i += 8) {
			uint64_t v;

			__builtin_memcpy(&v, s + i, 8);
			__atomic_store_n((uint64_t *)(dst + i), v, __ATOMIC_RELAXED);
		}
	for (; i < len; i++)
		__atomic_store_n(dst + i, s[i], __ATOMIC_RELAXED);
}

/*
 * The direct backend's cache of host memory known mapped and readable, and
 * whether writable: direct_page_access() below.  The address space is cut
 * into 2 MiB regions, each with a bucket (region % DIRECT_MAPPED_CACHE)
 * that remembers up to two spans of it: runs of the region's pages inside
 * mappings of one protection.  Usually one span is the whole region; at a
 * mapping's ends that do not fall on 2 MiB (most mappings' ends), it is
 * the part the mapping covers, so faults there hit the cache as well; and
 * a region with a writable and a read-only part keeps both.
 *
 * An entry is three words: the spans and the generation they were filled
 * at, a bucket's generation being the sum of the VM-wide hostmem_gen and
 * the bucket's own direct[].gen (both only grow, so a bump of either
 * changes it; 64 bits, so it never comes round again).  A fill writes them
 * under the bucket's sequence count, and a lookup that finds the count odd,
 * or changed by the time it has read them, misses: a lookup never pairs
 * one fill's span with another fill's generation.  A fill keeps the span it
 * found beside its own only if that one was filled at the same generation
 * (both were true then).
 *
 * The rule that keeps an entry true: the host unmaps or replaces memory
 * only inside a start()/end() bracket of its range, so an entry may be
 * filled only while no bracket covering its region is open, and must not
 * survive one.  Brackets are tracked per bucket: a bracket over fewer than
 * DIRECT_WIDE regions raises the counters of its regions' buckets only
 * (a storm of small brackets elsewhere leaves a region's entry alone), a
 * wider one the VM-wide pair.  For each pair of counters:
 *
 *	start()                              fill
 *	-------                              ----
 *	brackets++                           g = gen                (acquire)
 *	gen++                 (release)      if brackets: no fill
 *	  ... host munmaps ...               region mapped (query) ok
 *	end(): gen++, brackets--             entry = tag(g)
 *
 * If the fill read g before start()'s gen++, every entry it writes is
 * tagged with a generation that is already stale.  If after, it also sees
 * brackets raised (brackets++ precedes gen++) and fills nothing.  end()
 * bumps gen again, so nothing filled before end() is trusted after it -
 * in particular nothing that a lookup inside the bracket, before the
 * host's munmap, found mapped (vmmu's defect 3).  The fill reads both
 * generations before both bracket counts, so the argument holds for each
 * pair.  A caller that changes memory outside a bracket breaks the
 * notifier contract.
 */
#define REGION_SHIFT	21
#define REGION_SIZE	(1ull << REGION_SHIFT)
#define REGION_BITS	26
#define CHURN_REFILL	32u	/* see direct_span_of() */
#define DIRECT_WIDE	64u	/* regions; < DIRECT_MAPPED_CACHE: a bracket's buckets differ */
_Static_assert(DIRECT_WIDE < DIRECT_MAPPED_CACHE, "a narrow bracket's regions have distinct buckets");

/*
 * A span (struct direct_bucket.span[]):
 *
 *   63            46  45  44      36 35      27  26  25                 0
 *  +----------------+---+----------+----------+---+--------------------+
 *  |       0        | W |   last   |  first   | V | region (hva >> 21) |
 *  +----------------+---+----------+----------+---+--------------------+
 *    region  below 2^26 in the 47-bit user half
 *    V       the bucket holds a span (an empty one is all zero)
 *    first, last   the span's first and last page within the region
 *    W       every page of the span is in a writable mapping (else none is)
 */
#define SPAN_REGION_MASK	((1ull << REGION_BITS) - 1)
#define SPAN_V			(1ull << REGION_BITS)
#define SPAN_FIRST_SHIFT	(REGION_BITS + 1)
#define SPAN_LAST_SHIFT		(SPAN_FIRST_SHIFT + REGION_SHIFT - PAGE_SHIFT)
#define SPAN_PAGE_MASK		((1ull << (REGION_SHIFT - PAGE_SHIFT)) - 1)
#define SPAN_W			(1ull << (SPAN_LAST_SHIFT + REGION_SHIFT - PAGE_SHIFT))
_Static_assert(SPAN_V == 0x4000000ull && SPAN_FIRST_SHIFT == 27 && SPAN_LAST_SHIFT == 36 &&
	       SPAN_PAGE_MASK == 0x1ff && SPAN_W == 0x200000000000ull, "the layout drawn above");

/* A span unpacked: [lo, hi), within one region, and whether writable. */
struct direct_span {
	hva_t lo, hi;
	bool w;
};

static uint64_t span_pack(const struct direct_span *s)
{
	return ((s->lo >> REGION_SHIFT) & SPAN_REGION_MASK) | SPAN_V |
	       (((s->lo >> PAGE_SHIFT) & SPAN_PAGE_MASK) << SPAN_FIRST_SHIFT) |
	       ((((s->hi - 1) >> PAGE_SHIFT) & SPAN_PAGE_MASK) << SPAN_LAST_SHIFT) |
	       (s->w ? SPAN_W : 0);
}

static void span_unpack(uint64_t v, struct direct_span *s)
{
	hva_t region = (v & SPAN_REGION_MASK) << REGION_SHIFT;

	s->lo = region + (((v >> SPAN_FIRST_SHIFT) & SPAN_PAGE_MASK) << PAGE_SHIFT);
	s->hi = region + ((((v >> SPAN_LAST_SHIFT) & SPAN_PAGE_MASK) + 1) << PAGE_SHIFT);
	s->w = v & SPAN_W;
}

/*
 * @d's entry: its two span words (0: none, or a fill changed them while we
 * read), and the generation they were filled at.
 *
 *	fill (direct_bucket_write)           lookup (direct_bucket_read)
 *	----                                 ------
 *	seq: s -> s + 1 (CAS)                s1 = seq             (acquire)
 *	write spans, filled (release)        read spans, filled   (acquire)
 *	seq = s + 2         (release)        s2 = seq; ok if s1 == s2, even
 *
 * A lookup that read a word of this fill (acquire from its release) sees
 * the odd count or a later one in s2, and misses; one that read s + 2 in
 * s1 sees the whole fill.  (Release stores and acquire loads rather than
 * fences: the same instructions on x86, and ThreadSanitizer sees them.)
 */
static void direct_bucket_read(struct direct_bucket *d, uint64_t span[2], uint64_t *filled)
{
	uint32_t s = atomic_load_explicit(&d->seq, memory_order_acquire);

	span[0] = atomic_load_explicit(&d->span[0], memory_order_acquire);
	span[1] = atomic_load_explicit(&d->span[1], memory_order_acquire);
	*filled = atomic_load_explicit(&d->filled, memory_order_acquire);
	if ((s & 1) || atomic_load_explicit(&d->seq, memory_order_relaxed) != s)
		span[0] = span[1] = 0;
}

/* Store a fill, unless another fill of @d is writing (that one stays). */
static void direct_bucket_write(struct direct_bucket *d, uint64_t span0, uint64_t span1,
				uint64_t filled)
{
	uint32_t s = atomic_load_explicit(&d->seq, memory_order_relaxed);

	if ((s & 1) || !atomic_compare_exchange_strong_explicit(&d->seq, &s, s + 1,
								 memory_order_relaxed,
								 memory_order_relaxed))
		return;
	atomic_store_explicit(&d->span[0], span0, memory_order_release);
	atomic_store_explicit(&d->span[1], span1, memory_order_release);
	atomic_store_explicit(&d->filled, filled, memory_order_release);
	atomic_store_explicit(&d->seq, s + 2, memory_order_release);
}

/*
 * PROCMAP_QUERY: the VMA covering (or, with COVERING_OR_NEXT, following) an
 * address, in one ioctl on /proc/self/maps, without side effects.  Linux
 * 6.11's UAPI (include/uapi/linux/fs.h); defined here because the build
 * host's headers may predate it.
 */
struct vmmu_procmap_query {
	uint64_t size;
	uint64_t query_flags;
	uint64_t query_addr;
	uint64_t vma_start;
	uint64_t vma_end;
	uint64_t vma_flags;
	uint64_t vma_page_size;
	uint64_t vma_offset;
	uint64_t inode;
	uint32_t dev_major;
	uint32_t dev_minor;
	uint32_t vma_name_size;
	uint32_t build_id_size;
	uint64_t vma_name_addr;
	uint64_t build_id_addr;
};
_Static_assert(sizeof(struct vmmu_procmap_query) == 104, "PROCMAP_QUERY's struct");
#define VMMU_PROCMAP_QUERY		_IOWR('f', 17, struct vmmu_procmap_query)
#define PMQ_VMA_READABLE		0x01ull
#define PMQ_VMA_WRITABLE		0x02ull
#define PMQ_COVERING_OR_NEXT_VMA	0x10ull

/* What the host lets the guest do with a page or range: both, read, nothing. */
#define HA_READ		1u
#define HA_WRITE	2u

static int procmap_query(int fd, hva_t addr, bool or_next, struct vmmu_procmap_query *q)
{
	memset(q, 0, sizeof(*q));
	q->size = sizeof(*q);
	q->query_flags = or_next ? PMQ_COVERING_OR_NEXT_VMA : 0;
	q->query_addr = addr;
	return ioctl(fd, VMMU_PROCMAP_QUERY, q);
}

int hostmem_direct_open(void)
{
	static const int probe;
	struct vmmu_procmap_query q;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (procmap_query(fd, (hva_t)(uintptr_t)&probe, false, &q) ||
	    !(q.vma_flags & PMQ_VMA_READABLE)) {
		close(fd);
		return -1;
	}
	return fd;
}

void hostmem_direct_close(int fd)
{
	if (fd >= 0)
		close(fd);
}

/*
 * HA_READ if every page of [@start, @end) is mapped readable, plus HA_WRITE
 * if writable too.  Without PROCMAP_QUERY, mincore(): mapped is taken as
 * both (a read-only or PROT_NONE mapping goes unseen: README, limits).
 */
static unsigned int direct_range_access(struct vmmu_vm *vm, hva_t start, hva_t end)
{
	unsigned int acc = HA_READ | HA_WRITE;
	struct vmmu_procmap_query q;

	if (vm->maps_fd < 0) {
		unsigned char vec[1u << (REGION_SHIFT - PAGE_SHIFT)];

		if (end - start > REGION_SIZE)
			return 0;
		VM_STAT_INC(vm, host_queries);
		return mincore((void *)(uintptr_t)start, end - start, vec) ? 0 : acc;
	}
	for (hva_t addr = start; addr < end; addr = q.vma_end) {
		VM_STAT_INC(vm, host_queries);
		if (procmap_query(vm->maps_fd, addr, false, &q) || q.vma_start > addr ||
		    !(q.vma_flags & PMQ_VMA_READABLE))
			return 0;
		if (!(q.vma_flags & PMQ_VMA_WRITABLE))
			acc &= ~HA_WRITE;
	}
	return acc;
}

/* The pages of [@lo, @hi), within @a's window, are there (and writable if @w). */
static void around_add(struct hostmem_around *a, hva_t lo, hva_t hi, bool w)
{
	for (hva_t p = lo; p < hi; p += PAGE_SIZE) {
		unsigned int i = (unsigned int)((p - a->start) >> PAGE_SHIFT);

		a->present |= 1ull << i;
		if (w)
			a->writable |= 1ull << i;
		a->pfn[i] = p >> PAGE_SHIFT;
	}
}

/* @a's pages one mapping at a time: which are there, which writable. */
static void direct_around(struct vmmu_vm *vm, struct hostmem_around *a)
{
	hva_t end = a->start + ((hva_t)a->n << PAGE_SHIFT);
	struct vmmu_procmap_query q;

	a->present = a->writable = 0;
	if (vm->maps_fd < 0) {
		if (direct_range_access(vm, a->start, end))
			around_add(a, a->start, end, true);
		return;
	}
	for (hva_t addr = a->start; addr < end; addr = q.vma_end) {
		VM_STAT_INC(vm, host_queries);
		if (procmap_query(vm->maps_fd, addr, true, &q) || q.vma_start >= end)
			return;
		if (q.vma_flags & PMQ_VMA_READABLE)
			around_add(a, q.vma_start > addr ? q.vma_start : addr,
				   q.vma_end < end ? q.vma_end : end,
				   q.vma_flags & PMQ_VMA_WRITABLE);
	}
}

/* The mapping covering @addr, if it is readable and writable iff @w. */
static bool vma_same_access(struct vmmu_vm *vm, hva_t addr, bool w, struct vmmu_procmap_query *q)
{
	VM_STAT_INC(vm, host_queries);
	return !procmap_query(vm->maps_fd, addr, false, q) && q->vma_start <= addr &&
	       (q->vma_flags & PMQ_VMA_READABLE) &&
	       !(q->vma_flags & PMQ_VMA_WRITABLE) == !w;
}

/*
 * The span to cache for @hva, if its page is mapped readable: the pages
 * around it, within its region, in mappings of its own mapping's access
 * (one query when a mapping covers the region).  Without PROCMAP_QUERY,
 * only a region mincore() finds all mapped.
 */
static bool direct_span_query(struct vmmu_vm *vm, hva_t hva, struct direct_span *s)
{
	hva_t r0 = hva & ~(REGION_SIZE - 1), r1 = r0 + REGION_SIZE;
	struct vmmu_procmap_query q;

	if (vm->maps_fd < 0) {
		*s = (struct direct_span){ .lo = r0, .hi = r1, .w = true };
		return direct_range_access(vm, r0, r1) != 0;
	}
	VM_STAT_INC(vm, host_queries);
	if (procmap_query(vm->maps_fd, hva, false, &q) || q.vma_start > hva ||
	    !(q.vma_flags & PMQ_VMA_READABLE))
		return false;
	s->w = q.vma_flags & PMQ_VMA_WRITABLE;
	s->lo = q.vma_start > r0 ? q.vma_start : r0;
	s->hi = q.vma_end < r1 ? q.vma_end : r1;
	while (s->hi < r1 && vma_same_access(vm, s->hi, s->w, &q))
		s->hi = q.vma_end < r1 ? q.vma_end : r1;
	while (s->lo > r0 && vma_same_access(vm, s->lo - 1, s->w, &q))
		s->lo = q.vma_start > r0 ? q.vma_start : r0;
	return true;
}

/* Is @v a span that holds @hva?  Then *@s is it. */
static bool span_holds(uint64_t v, hva_t hva, struct direct_span *s)
{
	if (!(v & SPAN_V))
		return false;
	span_unpack(v, s);
	return hva >= s->lo && hva < s->hi;
}

/*
 * direct_span_of() - the span holding @hva's page: from the cache, or asked
 * of the kernel and cached if no bracket forbids it (the table above).
 * False if @hva's page is not mapped readable, or a bracket forbids the
 * fill: then the caller asks about its own pages.  @own: the caller can
 * do that cheaply (a fault, for its window), so a churning region is
 * refilled only every CHURN_REFILL-th time.
 */
static bool direct_span_of(struct vmmu_vm *vm, hva_t hva, bool own, struct direct_span *s)
{
	uint64_t region = (hva >> REGION_SHIFT) & SPAN_REGION_MASK;
	struct direct_bucket *d = &vm->direct[region % DIRECT_MAPPED_CACHE];
	uint64_t gen = atomic_load_explicit(&vm->hostmem_gen, memory_order_seq_cst) +
		       atomic_load_explicit(&d->gen, memory_order_seq_cst);
	/* Variant direct-cache-fills-in-bracket (defect 3): fills regardless. */
	bool fill = (!atomic_load_explicit(&vm->hostmem_brackets, memory_order_seq_cst) &&
		     !atomic_load_explicit(&d->brackets, memory_order_seq_cst)) ||
		    variant_is(DIRECT_CACHE_FILLS_IN_BRACKET);
	uint64_t filled, span[2], keep = 0;
	bool ours;

	direct_bucket_read(d, span, &filled);
	ours = (span[0] & SPAN_V) && (span[0] & SPAN_REGION_MASK) == region;
	if (ours && filled == gen) {
		if (span_holds(span[0], hva, s) || span_holds(span[1], hva, s)) {
			if (!atomic_load_explicit(&d->used, memory_order_relaxed))
				atomic_store_explicit(&d->used, 1, memory_order_relaxed);
			return true;
		}
		keep = span[0];		/* another part of the region: keep it beside ours */
	} else if (ours && fill && own && !atomic_load_explicit(&d->used, memory_order_relaxed)) {
		/*
		 * The region was invalidated since a fill that no lookup
		 * used: it is churning (a storm of brackets over it).  Check
		 * just our own pages, and refill only now and then.
		 */
		uint32_t c = atomic_load_explicit(&d->churn, memory_order_relaxed) + 1;

		atomic_store_explicit(&d->churn, c, memory_order_relaxed);
		fill = !(c % CHURN_REFILL);
	}
	if (!fill || !direct_span_query(vm, hva, s))
		return false;
	atomic_store_explicit(&d->used, 0, memory_order_relaxed);
	direct_bucket_write(d, span_pack(s), keep, gen);
	return true;
}

/*
 * @a's window from spans: @s, which holds the faulting page, and for the
 * part of the window in another region (a window is smaller than a region:
 * at most one other), that region's span.  True if they cover the whole
 * window; else the caller asks the kernel about it.
 */
static bool direct_around_spans(struct vmmu_vm *vm, struct hostmem_around *a,
				const struct direct_span *s)
{
	hva_t end = a->start + ((hva_t)a->n << PAGE_SHIFT), other;
	hva_t r0 = s->lo & ~(REGION_SIZE - 1);
	struct direct_span o;

	a->present = a->writable = 0;
	around_add(a, s->lo > a->start ? s->lo : a->start, s->hi < end ? s->hi : end, s->w);
	if (a->start < r0)
		other = r0 - PAGE_SIZE;		/* the window's earlier region */
	else if (end > r0 + REGION_SIZE)
		other = r0 + REGION_SIZE;	/* its later one */
	else
		other = 0;
	if (other && direct_span_of(vm, other, false, &o))
		around_add(a, o.lo > a->start ? o.lo : a->start, o.hi < end ? o.hi : end, o.w);
	return a->present == (a->n < 64 ? (1ull << a->n) : 0) - 1;
}

/*
 * What may the guest do with hva's page (HA_READ, HA_WRITE)?  And, if @a,
 * with @a's pages (filled in).  A kernel's fault would find out from the
 * VMA; user space asks PROCMAP_QUERY, a system call, most of a RAM fault's
 * time: so the answer comes from the cache of spans above whenever it can.
 */
static unsigned int direct_page_access(struct vmmu_vm *vm, hva_t hva, struct hostmem_around *a)
{
	bool window = a && a->n;
	struct direct_span s;

	if (direct_span_of(vm, hva, window, &s)) {
		/* A window the spans do not cover (a hole, another protection): ask. */
		if (window && !direct_around_spans(vm, a, &s))
			direct_around(vm, a);
		return HA_READ | (s.w ? HA_WRITE : 0);
	}
	/* One lookup for the page and its neighbours (they include it). */
	if (window) {
		unsigned int i = (unsigned int)(((hva & PAGE_MASK) - a->start) >> PAGE_SHIFT);

		direct_around(vm, a);
		return (((a->present >> i) & 1) ? HA_READ : 0) |
		       (((a->writable >> i) & 1) ? HA_WRITE : 0);
	}
	return direct_range_access(vm, hva & PAGE_MASK, (hva & PAGE_MASK) + PAGE_SIZE);
}

static int direct_faultin(struct vmmu_vm *vm, hva_t hva, bool write, pfn_t *pfn,
			  bool *host_writable, struct hostmem_around *around)
{
	unsigned int acc = direct_page_access(vm, hva, around);

	(void)write;	/* a write to a read-only page: the caller's -EFAULT */
	if (!(acc & HA_READ))
		return -EFAULT;
	*pfn = hva >> PAGE_SHIFT;
	*host_writable = acc & HA_WRITE;
	return 0;
}

static int direct_rw(struct vmmu_vm *vm, hva_t hva, void *buf, size_t len, bool write)
{
	unsigned int acc = direct_page_access(vm, hva, NULL);

	if (!(acc & HA_READ) || (write && !(acc & HA_WRITE)))
		return -EFAULT;
	if (write)
		guest_memcpy_to((uint8_t *)(uintptr_t)hva, buf, len);
	else
		guest_memcpy_from(buf, (const uint8_t *)(uintptr_t)hva, len);
	return 0;
}

/*
 * The 2 MiB regions [*@r0, *@r1] that [@start, @end) touches; false if it
 * touches none (empty) or DIRECT_WIDE or more (the VM-wide counters).
 */
static bool direct_regions(hva_t start, hva_t end, uint64_t *r0, uint64_t *r1)
{
	if (end <= start)
		return false;
	*r0 = start >> REGION_SHIFT;
	*r1 = (end - 1) >> REGION_SHIFT;
	return *r1 - *r0 < DIRECT_WIDE;
}

/*
 * DIRECT_ADD() - add @d to a narrow bracket's bucket counter with a plain
 * load and a release store: start() and end() change direct[] only under
 * mn_invalidate_lock, so no update is lost, and a fill needs only that it
 * sees brackets++ once it sees the gen++ after it (release, paired with
 * its acquire of gen before its load of brackets: the table above).  Saves
 * four locked instructions per start()/end() pair.
 */
#define DIRECT_ADD(p, d)							\
	atomic_store_explicit((p), atomic_load_explicit((p), memory_order_relaxed) + (d), \
			      memory_order_release)

/* start(): see the table above direct_page_access().  Context: mn_invalidate_lock. */
void hostmem_invalidate_begin(struct vmmu_vm *vm, hva_t start, hva_t end, bool untracked)
{
	uint64_t r0, r1;

	lockdep_assert_held(&vm->mn_invalidate_lock);
	if (!untracked && direct_regions(start, end, &r0, &r1)) {
		for (uint64_t r = r0; r <= r1; r++) {
			unsigned int b = r % DIRECT_MAPPED_CACHE;

			DIRECT_ADD(&vm->direct[b].brackets, 1);
			DIRECT_ADD(&vm->direct[b].gen, 1);
		}
	} else if (end > start || untracked) {
		/* hostmem_gen is bumped outside this lock too: RMWs. */
		atomic_fetch_add_explicit(&vm->hostmem_brackets, 1, memory_order_seq_cst);
		atomic_fetch_add_explicit(&vm->hostmem_gen, 1, memory_order_seq_cst);
	}
}

/* end(), after the bracket's own end.  Context: mn_invalidate_lock. */
void hostmem_invalidate_end(struct vmmu_vm *vm, hva_t start, hva_t end, bool untracked)
{
	/* Variant direct-cache-fills-in-bracket (defect 3): end() drops nothing. */
	bool bump = !variant_is(DIRECT_CACHE_FILLS_IN_BRACKET);
	uint64_t r0, r1;

	lockdep_assert_held(&vm->mn_invalidate_lock);
	if (!untracked && direct_regions(start, end, &r0, &r1)) {
		for (uint64_t r = r0; r <= r1; r++) {
			unsigned int b = r % DIRECT_MAPPED_CACHE;

			if (bump)
				DIRECT_ADD(&vm->direct[b].gen, 1);
			DIRECT_ADD(&vm->direct[b].brackets, (uint32_t)-1);
		}
	} else if (end > start || untracked) {
		if (bump)
			atomic_fetch_add_explicit(&vm->hostmem_gen, 1, memory_order_seq_cst);
		atomic_fetch_sub_explicit(&vm->hostmem_brackets, 1, memory_order_seq_cst);
	}
}

/* Memory behind some hva changed with no bracket (a memslot CREATE or MOVE
 * may name memory mapped since): drop the whole cache. */
void hostmem_invalidate(struct vmmu_vm *vm)
{
	atomic_fetch_add_explicit(&vm->hostmem_gen, 1, memory_order_seq_cst);
}

const struct hostmem_ops hostmem_direct_ops = {
	.name = "direct",
	.rw_under_mmu_lock = true,
	.faultin = direct_faultin,
	.rw = direct_rw,
};
