// SPDX-License-Identifier: MIT
/*
 * The simulated host MM: a model of one Linux process's anonymous private
 * memory.  It changes its page table the way Linux's mm does and tells the
 * attached VMs through the MMU notifiers exactly where Linux would:
 *
 *	operation            Linux analogue           notifiers (every attached VM)
 *	---------            --------------           -----------------------------
 *	first touch          do_anonymous_page        none: nothing was mapped
 *	swap-in              do_swap_page             none: nothing was mapped
 *	write, exclusive RO  wp_page_reuse            none: same frame
 *	write, shared (KSM)  wp_page_copy             copy; start, new PTE, free old, end
 *	munmap, DONTNEED     unmap_region, zap        start, drop pages, end
 *	migrate              try_to_migrate, move     start, copy, new PTE, free old, end
 *	swap-out             try_to_unmap, pageout    start, copy out, swap PTE, free, end
 *	KSM merge            write_protect_page       start, clear W, end (each writable page)
 *	                     replace_page             start, new PTE, change_pte, free, end
 *
 * This file holds the frames, the swap slots, the page table (VMAs), the
 * notifier fan-out, the faults, the backend of attached VMs and the MM's
 * life cycle; the operations of the table are in hostmm_ops.c, and the
 * step-at-a-time API for checkers in hostmm_step.c.
 *
 * A freed frame is poisoned before it joins the free list (FIFO) and
 * checked when it is taken again, so a vCPU that uses a stale translation
 * reads poison, and one that writes through it is caught at the next reuse.
 *
 * Locking (docs/LOCKING.md, "hostmm lock"): mm->lock protects all of the
 * MM and is held across a whole operation, its notifier calls included.
 * That cannot deadlock because no notifier calls back into an MM and no VM
 * lock is held by anyone who takes mm->lock, except slots_lock in attach
 * and detach, which the notifiers never take.  The vCPU side (faultin, rw)
 * comes in with only the RCU read side held.
 *
 * Frame contents are shared with vCPUs, which access them with relaxed
 * atomics (guest_load/guest_store); every access to a frame here is a
 * relaxed atomic too, so no ordering argument is needed for data-race
 * freedom.  Ordering against vCPUs comes from the notifiers: after start()
 * returns no vCPU uses a translation of the range (the remote TLB flush
 * waited for their access brackets, whose release stores our side
 * acquires), so a copy made after start() sees every acknowledged write.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "hostmm.h"
#include "vm.h"

/* ---------------------------------------------------------------------- */
/* Frames and swap slots.  Context: mm->lock for all of them.             */
/* ---------------------------------------------------------------------- */

static void frame_fill(struct vmmu_hostmm *mm, uint64_t f, uint64_t v)
{
	_Atomic uint64_t *w = frame_words(mm, f);

	for (unsigned int i = 0; i < WORDS_PER_PAGE; i++)
		atomic_store_explicit(&w[i], v, memory_order_relaxed);
}

void hostmm_frame_copy(struct vmmu_hostmm *mm, uint64_t dst, uint64_t src)
{
	_Atomic uint64_t *d = frame_words(mm, dst), *s = frame_words(mm, src);

	for (unsigned int i = 0; i < WORDS_PER_PAGE; i++)
		atomic_store_explicit(&d[i], atomic_load_explicit(&s[i], memory_order_relaxed),
				      memory_order_relaxed);
}

bool hostmm_frame_equal(struct vmmu_hostmm *mm, uint64_t a, uint64_t b)
{
	_Atomic uint64_t *x = frame_words(mm, a), *y = frame_words(mm, b);

	for (unsigned int i = 0; i < WORDS_PER_PAGE; i++)
		if (atomic_load_explicit(&x[i], memory_order_relaxed) !=
		    atomic_load_explicit(&y[i], memory_order_relaxed))
			return false;
	return true;
}

/*
 * hostmm_frame_alloc() - take a frame, mapcount 1; @zero: clear it.  Freed frames
 * come first (oldest first), checked for poison: a write through a stale
 * translation since the frame was freed shows up here.
 */
uint32_t hostmm_frame_alloc(struct vmmu_hostmm *mm, bool zero)
{
	uint32_t f;

	if (mm->free_head != FRAME_NONE) {
		_Atomic uint64_t *w;

		f = mm->free_head;
		mm->free_head = mm->frame[f].next;
		if (mm->free_head == FRAME_NONE)
			mm->free_tail = FRAME_NONE;
		w = frame_words(mm, f);
		for (unsigned int i = 0; i < WORDS_PER_PAGE; i++) {
			uint64_t v = atomic_load_explicit(&w[i], memory_order_relaxed);

			if (v != VMMU_HOSTMM_POISON) {
				mm->stat.poison_corruptions++;
				/* Only the legacy-KSM test mode may write through stale frames. */
				if (!(mm->cfg.flags & VMMU_HOSTMM_LEGACY_KSM))
					WARN_ON_ONCE(1);
				break;
			}
		}
		if (zero)
			frame_fill(mm, f, 0);
	} else if (mm->fresh < mm->cfg.nr_frames) {
		f = (uint32_t)mm->fresh++;	/* never used: still zero from mmap */
	} else {
		mm->stat.oom++;
		return FRAME_NONE;
	}
	mm->frame[f].mapcount = 1;
	mm->frame[f].flags = 0;
	mm->nr_free_frames--;
	return f;
}

/* Drop one mapping of @f; the last one poisons it and frees it. */
void hostmm_frame_put(struct vmmu_hostmm *mm, uint32_t f)
{
	struct hostmm_frame *fr = &mm->frame[f];

	if (WARN_ON_ONCE(!fr->mapcount || (fr->flags & FRAME_FREE)))
		return;
	if (--fr->mapcount)
		return;
	if (fr->flags & FRAME_KSM)
		mm->ksm_frames--;
	frame_fill(mm, f, VMMU_HOSTMM_POISON);
	fr->flags = FRAME_FREE;
	fr->next = FRAME_NONE;
	if (mm->free_tail == FRAME_NONE)
		mm->free_head = f;
	else
		mm->frame[mm->free_tail].next = f;
	mm->free_tail = f;
	mm->nr_free_frames++;
	mm->stat.frames_freed++;
}

void hostmm_frame_set_ksm(struct vmmu_hostmm *mm, uint32_t f)
{
	if (!(mm->frame[f].flags & FRAME_KSM)) {
		mm->frame[f].flags |= FRAME_KSM;
		mm->ksm_frames++;
	}
}

void hostmm_swap_slot_free(struct vmmu_hostmm *mm, uint64_t slot)
{
	mm->swap_free[mm->nr_swap_free++] = (uint32_t)slot;
}

/* ---------------------------------------------------------------------- */
/* VMAs.  Context: mm->lock.                                               */
/* ---------------------------------------------------------------------- */

/* Index of the first VMA whose end is above @hva (nr_vmas if none). */
uint32_t hostmm_vma_first_above(const struct vmmu_hostmm *mm, hva_t hva)
{
	uint32_t lo = 0, hi = mm->nr_vmas;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (mm->vma[mid]->end > hva)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static struct hostmm_vma *find_vma(const struct vmmu_hostmm *mm, hva_t hva)
{
	uint32_t i = hostmm_vma_first_above(mm, hva);

	if (i < mm->nr_vmas && mm->vma[i]->start <= hva)
		return mm->vma[i];
	return NULL;
}

uint64_t *hostmm_hva_to_pte(const struct vmmu_hostmm *mm, hva_t hva)
{
	struct hostmm_vma *vma = find_vma(mm, hva);

	return vma ? vma_pte(vma, hva & PAGE_MASK) : NULL;
}

/* Make room for @n more VMAs.  -ENOMEM, changing nothing, if impossible. */
int hostmm_vma_reserve(struct vmmu_hostmm *mm, uint32_t n)
{
	struct hostmm_vma **v;
	uint32_t cap;

	if (mm->nr_vmas + n > HOSTMM_MAX_MAP_COUNT)
		return -ENOMEM;
	if (mm->nr_vmas + n <= mm->vma_cap)
		return 0;
	cap = mm->vma_cap ? mm->vma_cap * 2 : 16;
	while (cap < mm->nr_vmas + n)
		cap *= 2;
	v = realloc(mm->vma, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	mm->vma = v;
	mm->vma_cap = cap;
	return 0;
}

/* Insert at @i; room reserved by the caller. */
void hostmm_vma_insert_at(struct vmmu_hostmm *mm, uint32_t i, struct hostmm_vma *vma)
{
	memmove(&mm->vma[i + 1], &mm->vma[i], (mm->nr_vmas - i) * sizeof(mm->vma[0]));
	mm->vma[i] = vma;
	mm->nr_vmas++;
}

void hostmm_pt_put(struct hostmm_pt *pt)
{
	if (!--pt->refs)
		free(pt);
}

/*
 * hostmm_get_unmapped_area() - room for @len bytes with a guard page on each side,
 * from next_hva upwards, then once more from the base.  0 if there is none.
 */
hva_t hostmm_get_unmapped_area(struct vmmu_hostmm *mm, uint64_t len)
{
	for (int pass = 0; pass < 2; pass++) {
		hva_t cand = pass ? HOSTMM_VA_BASE : mm->next_hva;

		for (uint32_t i = hostmm_vma_first_above(mm, cand - PAGE_SIZE); i < mm->nr_vmas; i++) {
			if (cand + len < mm->vma[i]->start)
				break;
			cand = mm->vma[i]->end + PAGE_SIZE;
		}
		if (cand <= HOSTMM_VA_END && len <= HOSTMM_VA_END - cand) {
			mm->next_hva = cand + len + PAGE_SIZE;
			return cand;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Notifiers, on every attached VM.  Context: mm->lock.                    */
/* ---------------------------------------------------------------------- */

void hostmm_mn_invalidate_start(struct vmmu_hostmm *mm, hva_t start, hva_t end)
{
	for (uint32_t i = 0; i < mm->nr_vms; i++)
		vmmu_mmu_notifier_invalidate_range_start(mm->vms[i], start, end);
	mm->stat.invalidations += mm->nr_vms;
}

void hostmm_mn_invalidate_end(struct vmmu_hostmm *mm, hva_t start, hva_t end)
{
	for (uint32_t i = 0; i < mm->nr_vms; i++)
		vmmu_mmu_notifier_invalidate_range_end(mm->vms[i], start, end);
}

void hostmm_mn_change_pte(struct vmmu_hostmm *mm, hva_t hva, uint32_t f, bool writable)
{
	for (uint32_t i = 0; i < mm->nr_vms; i++)
		vmmu_mmu_notifier_change_pte(mm->vms[i], hva,
					     (uint64_t)(uintptr_t)frame_addr(mm, f), writable);
	mm->stat.change_pte_calls += mm->nr_vms;
}

/* ---------------------------------------------------------------------- */
/* Faults.  Context: mm->lock.                                             */
/* ---------------------------------------------------------------------- */

/*
 * do_wp_page(): a write to a present read-only page.  An exclusive non-KSM
 * frame just becomes writable (no frame changes, so nothing is notified; a
 * read-only SPTE of it stays correct).  A KSM frame is copied: the copy is
 * made before the bracket, which is fine because nobody can write a frame
 * that every PTE and SPTE maps read-only.
 */
static int do_wp_page(struct vmmu_hostmm *mm, hva_t hva, uint64_t *pte)
{
	uint32_t old = (uint32_t)hpte_index(*pte), nf;
	hva_t page = hva & PAGE_MASK;

	if (!(mm->frame[old].flags & FRAME_KSM) && mm->frame[old].mapcount == 1) {
		*pte |= HPTE_WRITE;
		mm->stat.wp_reuses++;
		return 0;
	}
	nf = hostmm_frame_alloc(mm, false);
	if (nf == FRAME_NONE)
		return -ENOMEM;
	hostmm_frame_copy(mm, nf, old);
	hostmm_mn_invalidate_start(mm, page, page + PAGE_SIZE);
	*pte = mk_hpte(nf, HPTE_PRESENT | HPTE_WRITE);
	hostmm_frame_put(mm, old);
	hostmm_mn_invalidate_end(mm, page, page + PAGE_SIZE);
	mm->stat.cow_breaks++;
	return 0;
}

/*
 * handle_mm_fault(): make the page at @hva present, and writable if @write.
 * On success *@ptep is its (present) PTE.  Returns 0, -EFAULT (not mapped)
 * or -ENOMEM (no free frame).
 */
static int handle_mm_fault(struct vmmu_hostmm *mm, hva_t hva, bool write, uint64_t **ptep)
{
	uint64_t *pte = hostmm_hva_to_pte(mm, hva);
	uint32_t f;

	if (!pte)
		return -EFAULT;
	if (!(*pte & (HPTE_PRESENT | HPTE_SWAP))) {
		f = hostmm_frame_alloc(mm, true);
		if (f == FRAME_NONE)
			return -ENOMEM;
		*pte = mk_hpte(f, HPTE_PRESENT | HPTE_WRITE);
		mm->resident++;
		mm->stat.faults++;
	} else if (*pte & HPTE_SWAP) {
		uint64_t slot = hpte_index(*pte);
		const uint8_t *src = swap_addr(mm, slot);
		_Atomic uint64_t *dst;

		f = hostmm_frame_alloc(mm, false);
		if (f == FRAME_NONE)
			return -ENOMEM;
		dst = frame_words(mm, f);
		for (unsigned int i = 0; i < WORDS_PER_PAGE; i++) {
			uint64_t v;

			memcpy(&v, src + i * 8, 8);
			atomic_store_explicit(&dst[i], v, memory_order_relaxed);
		}
		hostmm_swap_slot_free(mm, slot);
		*pte = mk_hpte(f, HPTE_PRESENT | HPTE_WRITE);
		mm->swapped--;
		mm->resident++;
		mm->stat.swap_ins++;
	} else if (write && !(*pte & HPTE_WRITE)) {
		int r = do_wp_page(mm, hva, pte);

		if (r)
			return r;
	}
	*ptep = pte;
	return 0;
}

/*
 * One access of the process (or of kvm_vcpu_read/write_guest) within one
 * page.  A read of a page that is not there gives zeros and materializes
 * nothing, as the shared zero page does.
 */
int hostmm_access_page(struct vmmu_hostmm *mm, hva_t hva, void *buf, size_t len, bool write)
{
	uint64_t *pte = hostmm_hva_to_pte(mm, hva);
	uint8_t *p;
	int r;

	if (!pte)
		return -EFAULT;
	if (!write && !(*pte & (HPTE_PRESENT | HPTE_SWAP))) {
		memset(buf, 0, len);
		return 0;
	}
	r = handle_mm_fault(mm, hva, write, &pte);
	if (r)
		return r;
	p = frame_addr(mm, hpte_index(*pte)) + (hva & ~PAGE_MASK);
	if (write)
		guest_memcpy_to(p, buf, len);
	else
		guest_memcpy_from(buf, p, len);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* The backend for attached VMs (struct hostmem_ops)                       */
/* ---------------------------------------------------------------------- */

/*
 * Called by kvm_tdp_page_fault between its seq snapshot and its retry
 * checks, with the RCU read side held and no other vmmu lock.  A COW break
 * here runs the invalidate bracket on every attached VM, this one
 * included, so the fault then retries (seq changed) and maps the copy.
 * No reference is taken on the frame: the fault never touches it, and it
 * cannot be freed without a bracket that makes the fault retry.
 */
static int hostmm_faultin(struct vmmu_vm *vm, hva_t hva, bool write, pfn_t *pfn,
			  bool *host_writable, struct hostmem_around *around)
{
	struct vmmu_hostmm *mm = vm->hostmm;
	uint64_t *pte;
	int r;

	vmmu_mutex_lock(&mm->lock);
	r = handle_mm_fault(mm, hva, write, &pte);
	if (!r) {
		*pfn = (uint64_t)(uintptr_t)frame_addr(mm, hpte_index(*pte)) >> PAGE_SHIFT;
		*host_writable = *pte & HPTE_WRITE;
	}
	/* The neighbours: only pages present now (swapped-out ones stay out). */
	for (unsigned int i = 0; !r && around && i < around->n; i++) {
		uint64_t *p = hostmm_hva_to_pte(mm, around->start + ((hva_t)i << PAGE_SHIFT));

		if (!p || !(*p & HPTE_PRESENT))
			continue;
		around->pfn[i] = (uint64_t)(uintptr_t)frame_addr(mm, hpte_index(*p)) >> PAGE_SHIFT;
		around->present |= 1ull << i;
		if (*p & HPTE_WRITE)
			around->writable |= 1ull << i;
	}
	vmmu_mutex_unlock(&mm->lock);
	return r ? -EFAULT : 0;
}

static int hostmm_rw(struct vmmu_vm *vm, hva_t hva, void *buf, size_t len, bool write)
{
	struct vmmu_hostmm *mm = vm->hostmm;
	int r;

	vmmu_mutex_lock(&mm->lock);
	r = hostmm_access_page(mm, hva, buf, len, write);
	vmmu_mutex_unlock(&mm->lock);
	return r ? -EFAULT : 0;
}

const struct hostmem_ops hostmem_hostmm_ops = {
	.name = "hostmm",
	.faultin = hostmm_faultin,
	.rw = hostmm_rw,
};

/* ---------------------------------------------------------------------- */
/* Creation, destruction, attachment                                       */
/* ---------------------------------------------------------------------- */

static int hostmm_config_validate(const struct vmmu_hostmm_config *in,
				  struct vmmu_hostmm_config *out)
{
	struct vmmu_hostmm_config c = { 0 };

	if (in)
		c = *in;
	if (!c.nr_frames)
		c.nr_frames = VMMU_HOSTMM_DEFAULT_FRAMES;
	if (!c.nr_swap_slots)
		c.nr_swap_slots = c.nr_frames;
	if (c.nr_frames > VMMU_HOSTMM_MAX_FRAMES || c.nr_swap_slots > VMMU_HOSTMM_MAX_FRAMES ||
	    (c.flags & ~VMMU_HOSTMM_VALID_FLAGS))
		return -EINVAL;
	c.pad = 0;
	*out = c;
	return 0;
}

static void *map_pages(uint64_t n)
{
	void *p = mmap(NULL, n << PAGE_SHIFT, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void hostmm_free(struct vmmu_hostmm *mm)
{
	for (uint32_t i = 0; i < mm->nr_vmas; i++) {
		hostmm_pt_put(mm->vma[i]->pt);
		free(mm->vma[i]);
	}
	free(mm->vma);
	free(mm->vms);
	free(mm->swap_free);
	free(mm->frame);
	if (mm->swap)
		munmap(mm->swap, mm->cfg.nr_swap_slots << PAGE_SHIFT);
	if (mm->frames)
		munmap(mm->frames, mm->cfg.nr_frames << PAGE_SHIFT);
	free(mm);
}

VMMU_API int vmmu_hostmm_create(const struct vmmu_hostmm_config *cfg, struct vmmu_hostmm **mmp)
{
	struct vmmu_hostmm *mm;
	int r;

	if (!mmp)
		return -EINVAL;
	mm = calloc(1, sizeof(*mm));
	if (!mm)
		return -ENOMEM;
	r = hostmm_config_validate(cfg, &mm->cfg);
	if (r) {
		free(mm);
		return r;
	}
	mm->frames = map_pages(mm->cfg.nr_frames);
	mm->swap = map_pages(mm->cfg.nr_swap_slots);
	mm->frame = calloc(mm->cfg.nr_frames, sizeof(*mm->frame));
	mm->swap_free = malloc(mm->cfg.nr_swap_slots * sizeof(*mm->swap_free));
	if (!mm->frames || !mm->swap || !mm->frame || !mm->swap_free) {
		hostmm_free(mm);
		return -ENOMEM;
	}
	/* Slot 0 on top of the stack. */
	for (uint64_t i = 0; i < mm->cfg.nr_swap_slots; i++)
		mm->swap_free[i] = (uint32_t)(mm->cfg.nr_swap_slots - 1 - i);
	mm->nr_swap_free = mm->cfg.nr_swap_slots;
	mm->nr_free_frames = mm->cfg.nr_frames;
	mm->free_head = mm->free_tail = FRAME_NONE;
	mm->replaced = FRAME_NONE;
	mm->next_hva = HOSTMM_VA_BASE;
	vmmu_mutex_init(&mm->lock);
	*mmp = mm;
	return 0;
}

VMMU_API int vmmu_hostmm_destroy(struct vmmu_hostmm *mm)
{
	uint32_t nr_vms;

	if (!mm)
		return 0;
	vmmu_mutex_lock(&mm->lock);
	nr_vms = mm->nr_vms;
	vmmu_mutex_unlock(&mm->lock);
	if (nr_vms)
		return -EBUSY;
	vmmu_mutex_destroy(&mm->lock);
	hostmm_free(mm);
	return 0;
}

/* Remove @vm from @mm's list.  Context: mm->lock. */
static void hostmm_remove_vm(struct vmmu_hostmm *mm, struct vmmu_vm *vm)
{
	for (uint32_t i = 0; i < mm->nr_vms; i++) {
		if (mm->vms[i] != vm)
			continue;
		mm->vms[i] = mm->vms[--mm->nr_vms];
		return;
	}
	WARN_ON_ONCE(1);
}

/*
 * vm->hostmem and vm->hostmm change only under slots_lock while the VM has
 * no memslot; faults read them only after finding a slot in a set they
 * acquired, which was published (release) under slots_lock after this
 * store, so they always see the backend that the slot was created under.
 */
VMMU_API int vmmu_vm_attach_hostmm(struct vmmu_vm *vm, struct vmmu_hostmm *mm)
{
	int r = 0;

	if (!vm || !mm)
		return -EINVAL;
	vmmu_mutex_lock(&vm->slots_lock);
	if (vm->hostmm || vm->nr_memslot_pages) {
		r = -EBUSY;
		goto out;
	}
	vmmu_mutex_lock(&mm->lock);
	if (mm->nr_vms == mm->vms_cap) {
		uint32_t cap = mm->vms_cap ? mm->vms_cap * 2 : 4;
		struct vmmu_vm **v = realloc(mm->vms, cap * sizeof(*v));

		if (!v) {
			vmmu_mutex_unlock(&mm->lock);
			r = -ENOMEM;
			goto out;
		}
		mm->vms = v;
		mm->vms_cap = cap;
	}
	mm->vms[mm->nr_vms++] = vm;
	vmmu_mutex_unlock(&mm->lock);
	vm->hostmm = mm;
	vm->hostmem = &hostmem_hostmm_ops;
out:
	vmmu_mutex_unlock(&vm->slots_lock);
	return r;
}

VMMU_API int vmmu_vm_detach_hostmm(struct vmmu_vm *vm)
{
	int r = 0;

	if (!vm)
		return -EINVAL;
	vmmu_mutex_lock(&vm->slots_lock);
	if (!vm->hostmm) {
		r = -EINVAL;
	} else if (vm->nr_memslot_pages) {
		r = -EBUSY;
	} else {
		vmmu_mutex_lock(&vm->hostmm->lock);
		hostmm_remove_vm(vm->hostmm, vm);
		vmmu_mutex_unlock(&vm->hostmm->lock);
		vm->hostmm = NULL;
		vm->hostmem = &hostmem_direct_ops;
	}
	vmmu_mutex_unlock(&vm->slots_lock);
	return r;
}

void hostmm_vm_destroy(struct vmmu_vm *vm)
{
	struct vmmu_hostmm *mm = vm->hostmm;

	if (!mm)
		return;
	/* Waits for an operation in progress: its notifiers finish first. */
	vmmu_mutex_lock(&mm->lock);
	hostmm_remove_vm(mm, vm);
	vmmu_mutex_unlock(&mm->lock);
	vm->hostmm = NULL;
	vm->hostmem = &hostmem_direct_ops;
}
/* ---------------------------------------------------------------------- */
/* Statistics                                                              */
/* ---------------------------------------------------------------------- */

VMMU_API int vmmu_hostmm_get_stats(struct vmmu_hostmm *mm, struct vmmu_hostmm_stats *st)
{
	if (!mm || !st)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	vmmu_mutex_lock(&mm->lock);
	st->nr_frames = mm->cfg.nr_frames;
	st->free_frames = mm->nr_free_frames;
	st->nr_swap_slots = mm->cfg.nr_swap_slots;
	st->free_swap_slots = mm->nr_swap_free;
	st->resident_pages = mm->resident;
	st->swapped_pages = mm->swapped;
	st->ksm_frames = mm->ksm_frames;
	st->vmas = mm->nr_vmas;
	st->attached_vms = mm->nr_vms;
	st->faults = mm->stat.faults;
	st->swap_ins = mm->stat.swap_ins;
	st->swap_outs = mm->stat.swap_outs;
	st->migrations = mm->stat.migrations;
	st->ksm_merges = mm->stat.ksm_merges;
	st->ksm_merge_failed = mm->stat.ksm_merge_failed;
	st->cow_breaks = mm->stat.cow_breaks;
	st->wp_reuses = mm->stat.wp_reuses;
	st->pages_unmapped = mm->stat.pages_unmapped;
	st->invalidations = mm->stat.invalidations;
	st->change_pte_calls = mm->stat.change_pte_calls;
	st->frames_freed = mm->stat.frames_freed;
	st->poison_corruptions = mm->stat.poison_corruptions;
	st->oom = mm->stat.oom;
	vmmu_mutex_unlock(&mm->lock);
	return 0;
}
