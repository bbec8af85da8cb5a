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
 * The direct backend's cache of 2 MiB host regions known mapped and
 * readable (and whether all writable): direct_page_access() below.
 *
 * An entry packs the region number (hva >> 21, below 2^26 in the 47-bit
 * user half), the W bit and 37 bits of its bucket's generation into one
 * word, so a racing writer can never pair one fault's region with another's
 * generation.  A bucket's generation is the sum of the VM-wide hostmem_gen
 * and the bucket's own direct[].gen: both only grow, so a bump of either
 * changes it.
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
#define REGION_BITS	26
#define CHURN_REFILL	32u	/* see direct_page_access() */
#define DIRECT_WIDE	64u	/* regions; < DIRECT_MAPPED_CACHE: a bracket's buckets differ */
_Static_assert(DIRECT_WIDE < DIRECT_MAPPED_CACHE, "a narrow bracket's regions have distinct buckets");

/*
 * A cache entry (struct direct_bucket.mapped):
 *
 *   63                                     27  26  25                  0
 *  +-----------------------------------------+---+---------------------+
 *  | generation (low 37 bits)                | W | region (hva >> 21)  |
 *  +-----------------------------------------+---+---------------------+
 *    W   every page of the region is in a writable mapping, too (else the
 *        region is known mapped and readable only: a write looks closer)
 */
#define DIRECT_TAG_W	(1ull << REGION_BITS)
#define DIRECT_GEN_SHIFT	(REGION_BITS + 1)
_Static_assert(DIRECT_GEN_SHIFT == 27 && DIRECT_TAG_W == 0x4000000ull, "the layout drawn above");

static uint64_t region_tag(hva_t hva, uint64_t gen)
{
	return (gen << DIRECT_GEN_SHIFT) | ((hva >> REGION_SHIFT) & ((1ull << REGION_BITS) - 1));
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
static unsigned int direct_range_access(const struct vmmu_vm *vm, hva_t start, hva_t end)
{
	unsigned int acc = HA_READ | HA_WRITE;
	struct vmmu_procmap_query q;

	if (vm->maps_fd < 0) {
		unsigned char vec[1u << (REGION_SHIFT - PAGE_SHIFT)];

		if (end - start > (1ull << REGION_SHIFT))
			return 0;
		return mincore((void *)(uintptr_t)start, end - start, vec) ? 0 : acc;
	}
	for (hva_t addr = start; addr < end; addr = q.vma_end) {
		if (procmap_query(vm->maps_fd, addr, false, &q) || q.vma_start > addr ||
		    !(q.vma_flags & PMQ_VMA_READABLE))
			return 0;
		if (!(q.vma_flags & PMQ_VMA_WRITABLE))
			acc &= ~HA_WRITE;
	}
	return acc;
}

/* Every page of @a is there, and writable: a region's answer. */
static void direct_around_all(struct hostmem_around *a)
{
	a->present = a->writable = (a->n < 64 ? (1ull << a->n) : 0) - 1;
	for (unsigned int i = 0; i < a->n; i++)
		a->pfn[i] = (a->start >> PAGE_SHIFT) + i;
}

/* @a's pages one mapping at a time: which are there, which writable. */
static void direct_around(const struct vmmu_vm *vm, struct hostmem_around *a)
{
	hva_t end = a->start + ((hva_t)a->n << PAGE_SHIFT);
	struct vmmu_procmap_query q;

	a->present = a->writable = 0;
	if (vm->maps_fd < 0) {
		if (direct_range_access(vm, a->start, end))
			direct_around_all(a);
		return;
	}
	for (hva_t addr = a->start; addr < end; addr = q.vma_end) {
		hva_t lo, hi;

		if (procmap_query(vm->maps_fd, addr, true, &q) || q.vma_start >= end)
			return;
		lo = q.vma_start > addr ? q.vma_start : addr;
		hi = q.vma_end < end ? q.vma_end : end;
		if (!(q.vma_flags & PMQ_VMA_READABLE))
			continue;
		for (hva_t p = lo; p < hi; p += PAGE_SIZE) {
			unsigned int i = (unsigned int)((p - a->start) >> PAGE_SHIFT);

			a->present |= 1ull << i;
			if (q.vma_flags & PMQ_VMA_WRITABLE)
				a->writable |= 1ull << i;
			a->pfn[i] = p >> PAGE_SHIFT;
		}
	}
}

/*
 * What may the guest do with hva's page (HA_READ, HA_WRITE)?  And, if @a,
 * with @a's pages (filled in).  A kernel's fault would find out from the
 * VMA; user space asks PROCMAP_QUERY, a system call, most of a RAM fault's
 * time.  So a whole 2 MiB host region found mapped and readable is
 * remembered in a small per-VM direct-mapped cache, with whether it is all
 * writable.  A region only partly mapped is checked page by page and never
 * cached; one known readable but not all writable answers reads, and a
 * write looks at its own page.
 */
static unsigned int direct_page_access(struct vmmu_vm *vm, hva_t hva, struct hostmem_around *a)
{
	unsigned int b = (hva >> REGION_SHIFT) % DIRECT_MAPPED_CACHE;
	uint64_t gen = atomic_load_explicit(&vm->hostmem_gen, memory_order_seq_cst) +
		       atomic_load_explicit(&vm->direct[b].gen, memory_order_seq_cst);
	_Atomic uint64_t *e = &vm->direct[b].mapped;
	uint64_t tag = region_tag(hva, gen);
	hva_t region = hva & ~((1ull << REGION_SHIFT) - 1);
	/* Variant direct-cache-fills-in-bracket (defect 3): fills regardless. */
	bool fill = (!atomic_load_explicit(&vm->hostmem_brackets, memory_order_seq_cst) &&
		     !atomic_load_explicit(&vm->direct[b].brackets, memory_order_seq_cst)) ||
		    variant_is(DIRECT_CACHE_FILLS_IN_BRACKET);
	/* @a within hva's region: the region's answer is @a's too. */
	bool a_in_region = a && a->n && (a->start >> REGION_SHIFT) == (hva >> REGION_SHIFT) &&
			   ((a->start + ((hva_t)a->n << PAGE_SHIFT) - 1) >> REGION_SHIFT) ==
				   (hva >> REGION_SHIFT);
	uint64_t old = atomic_load_explicit(e, memory_order_relaxed);
	bool hit = (old & ~DIRECT_TAG_W) == tag;
	unsigned int acc;

	/*
	 * A region invalidated since a fill that no lookup used is churning (a
	 * storm of brackets over it): a fault that can check just its own
	 * pages does so, and only every CHURN_REFILL-th one fills the region
	 * again.  A fill that served a lookup is worth repeating.
	 */
	if (hit) {
		if (!atomic_load_explicit(&vm->direct[b].used, memory_order_relaxed))
			atomic_store_explicit(&vm->direct[b].used, 1, memory_order_relaxed);
	} else if (fill && a && a->n && !((old ^ tag) & ((1ull << REGION_BITS) - 1)) &&
		   !atomic_load_explicit(&vm->direct[b].used, memory_order_relaxed)) {
		uint32_t c = atomic_load_explicit(&vm->direct[b].churn, memory_order_relaxed) + 1;

		atomic_store_explicit(&vm->direct[b].churn, c, memory_order_relaxed);
		fill = !(c % CHURN_REFILL);
	}
	if (!hit && fill) {
		acc = direct_range_access(vm, region, region + (1ull << REGION_SHIFT));
		if (acc & HA_READ) {
			old = tag | ((acc & HA_WRITE) ? DIRECT_TAG_W : 0);
			atomic_store_explicit(&vm->direct[b].used, 0, memory_order_relaxed);
			atomic_store_explicit(e, old, memory_order_relaxed);
			hit = true;
		}
	}
	if (hit && (old & DIRECT_TAG_W)) {
		if (a && a->n) {
			if (a_in_region)
				direct_around_all(a);
			else
				direct_around(vm, a);
		}
		return HA_READ | HA_WRITE;
	}
	/* One lookup for the page and its neighbours (they include it). */
	if (a && a->n) {
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
