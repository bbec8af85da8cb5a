// SPDX-License-Identifier: MIT
/*
 * The simulated host MM one step at a time (see hostmm.h): the steps of a
 * page replacement as separate calls, so a checker can put any vCPU step
 * between invalidate_range_start(), the page-table change, change_pte,
 * invalidate_range_end() and the free of the old frame, and can make the
 * host misbehave on purpose (replace without a bracket, as pre-2012 KSM).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hostmm.h"
#include "vm.h"

void hostmm_step_invalidate_start(struct vmmu_hostmm *mm, hva_t start, hva_t end)
{
	vmmu_mutex_lock(&mm->lock);
	hostmm_mn_invalidate_start(mm, start, end);
	vmmu_mutex_unlock(&mm->lock);
}

void hostmm_step_invalidate_end(struct vmmu_hostmm *mm, hva_t start, hva_t end)
{
	vmmu_mutex_lock(&mm->lock);
	hostmm_mn_invalidate_end(mm, start, end);
	vmmu_mutex_unlock(&mm->lock);
}

int hostmm_step_replace(struct vmmu_hostmm *mm, hva_t hva)
{
	uint64_t *pte;
	uint32_t old, nf;
	int r = 0;

	vmmu_mutex_lock(&mm->lock);
	pte = hostmm_hva_to_pte(mm, hva);
	if (!pte) {
		r = -EFAULT;
		goto out;
	}
	if (!(*pte & HPTE_PRESENT)) {
		r = -EAGAIN;
		goto out;
	}
	old = (uint32_t)hpte_index(*pte);
	if (mm->frame[old].mapcount > 1 || (mm->frame[old].flags & FRAME_KSM)) {
		r = -EBUSY;
		goto out;
	}
	nf = hostmm_frame_alloc(mm, false);
	if (nf == FRAME_NONE) {
		r = -ENOMEM;
		goto out;
	}
	hostmm_frame_copy(mm, nf, old);
	*pte = mk_hpte(nf, HPTE_PRESENT | (*pte & HPTE_WRITE));
	mm->frame[old].flags |= FRAME_REPLACED;
	mm->frame[old].next = mm->replaced;
	mm->replaced = old;
	mm->stat.migrations++;
out:
	vmmu_mutex_unlock(&mm->lock);
	return r;
}

void hostmm_step_release(struct vmmu_hostmm *mm)
{
	vmmu_mutex_lock(&mm->lock);
	while (mm->replaced != FRAME_NONE) {
		uint32_t f = mm->replaced;

		mm->replaced = mm->frame[f].next;
		mm->frame[f].flags &= ~FRAME_REPLACED;
		hostmm_frame_put(mm, f);
	}
	vmmu_mutex_unlock(&mm->lock);
}

void *hostmm_frame_of(const struct vmmu_hostmm *mm, hva_t hva)
{
	const uint64_t *pte = hostmm_hva_to_pte(mm, hva);

	if (!pte || !(*pte & HPTE_PRESENT))
		return NULL;
	return frame_addr(mm, hpte_index(*pte));
}

int hostmm_step_reset(struct vmmu_hostmm *mm)
{
	int r = 0;

	vmmu_mutex_lock(&mm->lock);
	if (mm->nr_vms) {
		r = -EBUSY;
		goto out;
	}
	for (uint32_t i = 0; i < mm->nr_vmas; i++) {
		hostmm_pt_put(mm->vma[i]->pt);
		free(mm->vma[i]);
	}
	mm->nr_vmas = 0;
	mm->next_hva = HOSTMM_VA_BASE;
	/* Every frame used so far goes back to "never used": zero. */
	memset(mm->frames, 0, mm->fresh << PAGE_SHIFT);
	memset(mm->frame, 0, mm->fresh * sizeof(*mm->frame));
	mm->fresh = 0;
	mm->free_head = mm->free_tail = mm->replaced = FRAME_NONE;
	mm->nr_free_frames = mm->cfg.nr_frames;
	for (uint64_t i = 0; i < mm->cfg.nr_swap_slots; i++)
		mm->swap_free[i] = (uint32_t)(mm->cfg.nr_swap_slots - 1 - i);
	mm->nr_swap_free = mm->cfg.nr_swap_slots;
	mm->resident = mm->swapped = mm->ksm_frames = 0;
	memset(&mm->stat, 0, sizeof(mm->stat));
out:
	vmmu_mutex_unlock(&mm->lock);
	return r;
}
