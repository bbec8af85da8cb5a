// SPDX-License-Identifier: MIT
/*
 * The simulated host MM's operations on its address space: mmap, munmap,
 * madvise(MADV_DONTNEED), the process's own reads and writes, migration,
 * swap-out and KSM.  Each takes mm->lock for its whole run, notifier
 * brackets included (see hostmm.c for the table of which Linux operation
 * each models and what it notifies).  The page table, the frames and the
 * faults are in hostmm.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hostmm.h"
#include "vm.h"

/* ---------------------------------------------------------------------- */
/* mmap, munmap, madvise                                                   */
/* ---------------------------------------------------------------------- */

VMMU_API int vmmu_hostmm_mmap(struct vmmu_hostmm *mm, uint64_t len, uint64_t *hva)
{
	struct hostmm_vma *vma = NULL;
	struct hostmm_pt *pt = NULL;
	hva_t want, addr;
	int r;

	if (!mm || !hva || !len)
		return -EINVAL;
	want = *hva;
	if (want & ~PAGE_MASK)
		return -EINVAL;
	if (len > HOSTMM_VA_END)
		return -ENOMEM;
	len = (len + PAGE_SIZE - 1) & PAGE_MASK;
	if (want && want < HOSTMM_MMAP_MIN_ADDR)
		return -EPERM;
	if (want && (want > HOSTMM_VA_END || len > HOSTMM_VA_END - want))
		return -ENOMEM;

	vma = malloc(sizeof(*vma));
	pt = calloc(1, sizeof(*pt) + (len >> PAGE_SHIFT) * sizeof(pt->pte[0]));
	vmmu_mutex_lock(&mm->lock);
	r = -ENOMEM;
	if (!vma || !pt || hostmm_vma_reserve(mm, 1))
		goto out;
	if (want) {
		uint32_t i = hostmm_vma_first_above(mm, want);

		r = -EEXIST;
		if (i < mm->nr_vmas && mm->vma[i]->start < want + len)
			goto out;
		addr = want;
	} else {
		addr = hostmm_get_unmapped_area(mm, len);
		if (!addr)
			goto out;
	}
	pt->refs = 1;
	pt->base = addr;
	vma->start = addr;
	vma->end = addr + len;
	vma->pt = pt;
	hostmm_vma_insert_at(mm, hostmm_vma_first_above(mm, addr), vma);
	vma = NULL;
	pt = NULL;
	*hva = addr;
	r = 0;
out:
	vmmu_mutex_unlock(&mm->lock);
	free(vma);
	free(pt);
	return r;
}

/* Drop the pages of [start, end) of @vma.  Context: mm->lock, in a bracket. */
static void zap_pte_range(struct vmmu_hostmm *mm, struct hostmm_vma *vma, hva_t start, hva_t end)
{
	for (hva_t hva = start; hva < end; hva += PAGE_SIZE) {
		uint64_t *pte = vma_pte(vma, hva);

		if (*pte & HPTE_PRESENT) {
			hostmm_frame_put(mm, (uint32_t)hpte_index(*pte));
			mm->resident--;
			mm->stat.pages_unmapped++;
		} else if (*pte & HPTE_SWAP) {
			hostmm_swap_slot_free(mm, hpte_index(*pte));
			mm->swapped--;
			mm->stat.pages_unmapped++;
		}
		*pte = 0;
	}
}

/* What hostmm_zap() does to the VMAs of the range. */
enum hostmm_zap_mode {
	ZAP_PAGES_ONLY,		/* madvise(MADV_DONTNEED): the range stays mapped */
	ZAP_UNMAP,		/* munmap: the VMAs are cut too */
};

/* What hostmm_zap() found. */
enum hostmm_zap_cover {
	ZAP_COVERED_ALL,	/* every page of the range was mapped */
	ZAP_HAD_HOLE,		/* part of it (maybe all) was not mapped */
};

/*
 * Drop the pages of [start, end) in one bracket covering the mapped part;
 * with ZAP_UNMAP, also cut the VMAs.  *@cover: whether part of the range was
 * not mapped.  Returns -ENOMEM, having changed nothing, if a split needs
 * memory.  Context: mm->lock.
 */
static int hostmm_zap(struct vmmu_hostmm *mm, hva_t start, hva_t end, enum hostmm_zap_mode mode,
		      enum hostmm_zap_cover *cover)
{
	bool unmap = mode == ZAP_UNMAP;
	uint32_t first = hostmm_vma_first_above(mm, start), i;
	struct hostmm_vma *split = NULL;
	hva_t lo = 0, hi = 0;
	uint64_t covered = 0;

	for (i = first; i < mm->nr_vmas && mm->vma[i]->start < end; i++) {
		struct hostmm_vma *v = mm->vma[i];
		hva_t s = v->start > start ? v->start : start;
		hva_t e = v->end < end ? v->end : end;

		if (!covered)
			lo = s;
		hi = e;
		covered += e - s;
		if (unmap && v->start < start && v->end > end && !split) {
			split = malloc(sizeof(*split));
			if (!split || hostmm_vma_reserve(mm, 1)) {
				free(split);
				return -ENOMEM;
			}
		}
	}
	*cover = covered != end - start ? ZAP_HAD_HOLE : ZAP_COVERED_ALL;
	if (!covered)
		return 0;

	hostmm_mn_invalidate_start(mm, lo, hi);
	for (i = first; i < mm->nr_vmas && mm->vma[i]->start < end; i++) {
		struct hostmm_vma *v = mm->vma[i];

		zap_pte_range(mm, v, v->start > start ? v->start : start,
			      v->end < end ? v->end : end);
	}
	hostmm_mn_invalidate_end(mm, lo, hi);
	if (!unmap)
		return 0;

	for (i = first; i < mm->nr_vmas && mm->vma[i]->start < end;) {
		struct hostmm_vma *v = mm->vma[i];

		if (v->start >= start && v->end <= end) {
			hostmm_pt_put(v->pt);
			free(v);
			memmove(&mm->vma[i], &mm->vma[i + 1], (mm->nr_vmas - i - 1) * sizeof(v));
			mm->nr_vmas--;
		} else if (v->start < start && v->end > end) {
			split->start = end;
			split->end = v->end;
			split->pt = v->pt;
			v->pt->refs++;
			v->end = start;
			hostmm_vma_insert_at(mm, i + 1, split);
			split = NULL;
			i += 2;
		} else if (v->start < start) {
			v->end = start;
			i++;
		} else {
			v->start = end;
			i++;
		}
	}
	WARN_ON_ONCE(split);
	return 0;
}

/* Validate and page-align a range; -EINVAL if it is bad. */
static int user_range(uint64_t hva, uint64_t len, hva_t *end)
{
	if (hva & ~PAGE_MASK)
		return -EINVAL;
	if (len > HOSTMM_VA_END)
		return -EINVAL;
	len = (len + PAGE_SIZE - 1) & PAGE_MASK;
	if (hva > HOSTMM_VA_END || len > HOSTMM_VA_END - hva)
		return -EINVAL;
	*end = hva + len;
	return 0;
}

VMMU_API int vmmu_hostmm_munmap(struct vmmu_hostmm *mm, uint64_t hva, uint64_t len)
{
	enum hostmm_zap_cover cover;
	hva_t end;
	int r;

	if (!mm || !len)
		return -EINVAL;
	r = user_range(hva, len, &end);
	if (r)
		return r;
	vmmu_mutex_lock(&mm->lock);
	r = hostmm_zap(mm, hva, end, ZAP_UNMAP, &cover);
	vmmu_mutex_unlock(&mm->lock);
	return r;
}

VMMU_API int vmmu_hostmm_madv_dontneed(struct vmmu_hostmm *mm, uint64_t hva, uint64_t len)
{
	enum hostmm_zap_cover cover;
	hva_t end;
	int r;

	if (!mm)
		return -EINVAL;
	r = user_range(hva, len, &end);
	if (r || !len)
		return r;
	vmmu_mutex_lock(&mm->lock);
	r = hostmm_zap(mm, hva, end, ZAP_PAGES_ONLY, &cover);
	vmmu_mutex_unlock(&mm->lock);
	return r ? r : cover == ZAP_HAD_HOLE ? -ENOMEM : 0;
}

/* ---------------------------------------------------------------------- */
/* read, write                                                             */
/* ---------------------------------------------------------------------- */

static int hostmm_rw_range(struct vmmu_hostmm *mm, uint64_t hva, void *buf, uint64_t len,
			   bool write)
{
	uint8_t *p = buf;

	if (!mm)
		return -EINVAL;
	if (!len)
		return 0;
	if (!buf || hva + len < hva)
		return -EFAULT;
	while (len) {
		uint64_t n = PAGE_SIZE - (hva & ~PAGE_MASK);
		int r;

		if (n > len)
			n = len;
		vmmu_mutex_lock(&mm->lock);
		r = hostmm_access_page(mm, hva, p, n, write);
		vmmu_mutex_unlock(&mm->lock);
		if (r)
			return r;
		hva += n;
		p += n;
		len -= n;
	}
	return 0;
}

VMMU_API int vmmu_hostmm_read(struct vmmu_hostmm *mm, uint64_t hva, void *buf, uint64_t len)
{
	return hostmm_rw_range(mm, hva, buf, len, false);
}

VMMU_API int vmmu_hostmm_write(struct vmmu_hostmm *mm, uint64_t hva, const void *buf,
			       uint64_t len)
{
	return hostmm_rw_range(mm, hva, (void *)buf, len, true);
}

/* ---------------------------------------------------------------------- */
/* migrate, swap-out, KSM                                                  */
/* ---------------------------------------------------------------------- */

/*
 * The present, exclusive page at @hva, for migrate and swap-out: returns
 * its PTE or NULL with *@err set.  Context: mm->lock.
 */
static uint64_t *exclusive_page(struct vmmu_hostmm *mm, hva_t hva, int *err)
{
	uint64_t *pte = hostmm_hva_to_pte(mm, hva);

	if (!pte) {
		*err = -EFAULT;
		return NULL;
	}
	if (!(*pte & HPTE_PRESENT)) {
		*err = -EAGAIN;
		return NULL;
	}
	if (mm->frame[hpte_index(*pte)].mapcount > 1) {
		*err = -EBUSY;
		return NULL;
	}
	return pte;
}

VMMU_API int vmmu_hostmm_migrate(struct vmmu_hostmm *mm, uint64_t hva)
{
	hva_t page = hva & PAGE_MASK;
	uint32_t old, nf;
	uint64_t *pte;
	int r = 0;

	if (!mm)
		return -EINVAL;
	vmmu_mutex_lock(&mm->lock);
	pte = exclusive_page(mm, page, &r);
	if (!pte)
		goto out;
	nf = hostmm_frame_alloc(mm, false);
	if (nf == FRAME_NONE) {
		r = -ENOMEM;
		goto out;
	}
	old = (uint32_t)hpte_index(*pte);
	hostmm_mn_invalidate_start(mm, page, page + PAGE_SIZE);
	/* No vCPU writes the old frame any more: the copy is complete. */
	hostmm_frame_copy(mm, nf, old);
	if (mm->frame[old].flags & FRAME_KSM) {
		/* A KSM page that lost its other mappers stays a KSM page. */
		mm->frame[old].flags &= ~FRAME_KSM;
		mm->frame[nf].flags |= FRAME_KSM;
	}
	*pte = mk_hpte(nf, HPTE_PRESENT | (*pte & HPTE_WRITE));
	hostmm_frame_put(mm, old);
	hostmm_mn_invalidate_end(mm, page, page + PAGE_SIZE);
	mm->stat.migrations++;
out:
	vmmu_mutex_unlock(&mm->lock);
	return r;
}

VMMU_API int vmmu_hostmm_swap_out(struct vmmu_hostmm *mm, uint64_t hva)
{
	hva_t page = hva & PAGE_MASK;
	_Atomic uint64_t *src;
	uint64_t *pte, slot;
	uint8_t *dst;
	int r = 0;

	if (!mm)
		return -EINVAL;
	vmmu_mutex_lock(&mm->lock);
	pte = exclusive_page(mm, page, &r);
	if (!pte)
		goto out;
	if (!mm->nr_swap_free) {
		r = -ENOSPC;
		goto out;
	}
	slot = mm->swap_free[--mm->nr_swap_free];
	hostmm_mn_invalidate_start(mm, page, page + PAGE_SIZE);
	src = frame_words(mm, hpte_index(*pte));
	dst = swap_addr(mm, slot);
	for (unsigned int i = 0; i < WORDS_PER_PAGE; i++) {
		uint64_t v = atomic_load_explicit(&src[i], memory_order_relaxed);

		memcpy(dst + i * 8, &v, 8);
	}
	hostmm_frame_put(mm, (uint32_t)hpte_index(*pte));
	*pte = mk_hpte(slot, HPTE_SWAP);
	mm->resident--;
	mm->swapped++;
	hostmm_mn_invalidate_end(mm, page, page + PAGE_SIZE);
	mm->stat.swap_outs++;
out:
	vmmu_mutex_unlock(&mm->lock);
	return r;
}

/* write_protect_page(): make @pte read-only, in a bracket if it was writable. */
static void write_protect_page(struct vmmu_hostmm *mm, hva_t page, uint64_t *pte)
{
	if (!(*pte & HPTE_WRITE))
		return;
	hostmm_mn_invalidate_start(mm, page, page + PAGE_SIZE);
	*pte &= ~HPTE_WRITE;
	hostmm_mn_invalidate_end(mm, page, page + PAGE_SIZE);
}

VMMU_API int vmmu_hostmm_ksm_merge(struct vmmu_hostmm *mm, uint64_t hva_a, uint64_t hva_b)
{
	hva_t a = hva_a & PAGE_MASK, b = hva_b & PAGE_MASK;
	bool legacy;
	uint64_t *pa, *pb;
	uint32_t fa, fb;
	int r = 0;

	if (!mm || a == b)
		return -EINVAL;
	legacy = mm->cfg.flags & VMMU_HOSTMM_LEGACY_KSM;
	vmmu_mutex_lock(&mm->lock);
	pa = hostmm_hva_to_pte(mm, a);
	pb = hostmm_hva_to_pte(mm, b);
	if (!pa || !pb) {
		r = -EFAULT;
		goto out;
	}
	if (!(*pa & HPTE_PRESENT) || !(*pb & HPTE_PRESENT)) {
		r = -EAGAIN;
		goto out;
	}
	fa = (uint32_t)hpte_index(*pa);
	fb = (uint32_t)hpte_index(*pb);
	if (fa == fb)
		goto out;

	/* Nobody can write either page from here until we unlock. */
	write_protect_page(mm, a, pa);
	write_protect_page(mm, b, pb);
	if (!hostmm_frame_equal(mm, fa, fb)) {
		mm->stat.ksm_merge_failed++;
		r = -EAGAIN;
		goto out;
	}

	/* replace_page() */
	if (!legacy)
		hostmm_mn_invalidate_start(mm, b, b + PAGE_SIZE);
	hostmm_frame_set_ksm(mm, fa);
	mm->frame[fa].mapcount++;
	*pb = mk_hpte(fa, HPTE_PRESENT);
	/* Inside the bracket, as Linux since 2012. */
	hostmm_mn_change_pte(mm, b, fa, false);
	hostmm_frame_put(mm, fb);
	if (!legacy)
		hostmm_mn_invalidate_end(mm, b, b + PAGE_SIZE);
	mm->stat.ksm_merges++;
out:
	vmmu_mutex_unlock(&mm->lock);
	return r;
}

