// SPDX-License-Identifier: MIT
/*
 * The direct host-memory backend and the guest-memory copy helpers.
 */
#include <errno.h>
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
 * Is the page at @hva mapped in this process?  mincore() says (it fails
 * with ENOMEM on an unmapped range), but costs a system call, most of a RAM
 * fault's time.  So a whole 2 MiB host region found mapped is remembered in
 * a small per-VM direct-mapped cache.  A region only partly mapped is
 * checked page by page and never cached.
 *
 * An entry packs the region number (hva >> 21, below 2^26 in the 47-bit
 * user half) and 38 bits of its bucket's generation into one word, so a
 * racing writer can never pair one fault's region with another's
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
 *	  ... host munmaps ...               mincore(region) ok
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
#define CHURN_REFILL	32u	/* see direct_page_mapped() */
#define DIRECT_WIDE	64u	/* regions; < DIRECT_MAPPED_CACHE: a bracket's buckets differ */
_Static_assert(DIRECT_WIDE < DIRECT_MAPPED_CACHE, "a narrow bracket's regions have distinct buckets");

static uint64_t region_tag(hva_t hva, uint64_t gen)
{
	return (gen << REGION_BITS) | ((hva >> REGION_SHIFT) & ((1ull << REGION_BITS) - 1));
}

/* Every page of @a is there (its VMA exists): the direct backend's answer. */
static void direct_around_all(struct hostmem_around *a)
{
	if (!a)
		return;
	a->present = a->writable = (a->n < 64 ? (1ull << a->n) : 0) - 1;
	for (unsigned int i = 0; i < a->n; i++)
		a->pfn[i] = (a->start >> PAGE_SHIFT) + i;
}

/* Are hva's page (and, if @a, @a's pages) mapped? */
static bool direct_page_mapped(struct vmmu_vm *vm, hva_t hva, struct hostmem_around *a)
{
	unsigned int b = (hva >> REGION_SHIFT) % DIRECT_MAPPED_CACHE;
	uint64_t gen = atomic_load_explicit(&vm->hostmem_gen, memory_order_seq_cst) +
		       atomic_load_explicit(&vm->direct[b].gen, memory_order_seq_cst);
	_Atomic uint64_t *e = &vm->direct[b].mapped;
	unsigned char vec[1u << (REGION_SHIFT - PAGE_SHIFT)];
	uint64_t tag = region_tag(hva, gen);
	/* Variant direct-cache-fills-in-bracket (defect 3): fills regardless. */
	bool fill = (!atomic_load_explicit(&vm->hostmem_brackets, memory_order_seq_cst) &&
		     !atomic_load_explicit(&vm->direct[b].brackets, memory_order_seq_cst)) ||
		    variant_is(DIRECT_CACHE_FILLS_IN_BRACKET);
	/* @a within hva's region: the region's answer is @a's too. */
	bool a_in_region = a && a->n && (a->start >> REGION_SHIFT) == (hva >> REGION_SHIFT) &&
			   ((a->start + ((hva_t)a->n << PAGE_SHIFT) - 1) >> REGION_SHIFT) ==
				   (hva >> REGION_SHIFT);
	uint64_t old = atomic_load_explicit(e, memory_order_relaxed);
	bool hit = old == tag;

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
	if (!hit && fill && !mincore((void *)(uintptr_t)(hva & ~((1ull << REGION_SHIFT) - 1)),
				     1ull << REGION_SHIFT, vec)) {
		atomic_store_explicit(&vm->direct[b].used, 0, memory_order_relaxed);
		atomic_store_explicit(e, tag, memory_order_relaxed);
		hit = true;
	}
	if (hit) {
		if (a_in_region || (a && a->n && !mincore((void *)(uintptr_t)a->start,
							  (size_t)a->n << PAGE_SHIFT, vec)))
			direct_around_all(a);
		return true;
	}
	/* One system call for the page and its neighbours (they include it). */
	if (a && a->n && !mincore((void *)(uintptr_t)a->start, (size_t)a->n << PAGE_SHIFT, vec)) {
		direct_around_all(a);
		return true;
	}
	return mincore((void *)(uintptr_t)(hva & PAGE_MASK), PAGE_SIZE, vec) == 0;
}

static int direct_faultin(struct vmmu_vm *vm, hva_t hva, bool write, pfn_t *pfn,
			  bool *host_writable, struct hostmem_around *around)
{
	(void)write;
	if (!direct_page_mapped(vm, hva, around))
		return -EFAULT;
	*pfn = hva >> PAGE_SHIFT;
	*host_writable = true;
	return 0;
}

static int direct_rw(struct vmmu_vm *vm, hva_t hva, void *buf, size_t len, bool write)
{
	if (!direct_page_mapped(vm, hva, NULL))
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

/* start(): see the table above direct_page_mapped().  Context: mn_invalidate_lock. */
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
