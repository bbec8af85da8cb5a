// SPDX-License-Identifier: MIT
/*
 * The checker's host: what the VM's memslots point at, and a model of which
 * host memory the library may touch at each instant (the host-safety
 * monitor).
 *
 * Three ways to drive a host, chosen per scenario; the only simulated host
 * MM is the library's (src/hostmm*.c), and this file keeps only a model of
 * it (which page maps which frame, which brackets are open) and the
 * host-safety hook:
 *
 * step	The library's simulated host MM attached to the VM, driven one step
 *	at a time (hostmm_step_*, src/hostmm.h): pages 0..HOST_PAGES-1 of one
 *	mapping.  Replacing a page (KSM merge, CoW break, migration) copies
 *	its frame to a new one, tagged with the next version, and switches
 *	the MM's PTE; releasing the old frames afterwards (the mm freeing
 *	them) poisons them.  start(), the replacement, change_pte, end() and
 *	the free are separate scenario operations, so the scheduler can put
 *	any vCPU step between them, and the host can misbehave on purpose (an
 *	unbracketed replacement, for change-pte-unbracketed).
 *
 * direct	The library's own direct backend (src/hostmem.c) over real memory of
 *	this process: pages 0..HOST_PAGES-1 of one 2 MiB-aligned region that
 *	stays otherwise mapped, so the backend's "region mapped" cache works
 *	as in production.  Unmapping is a real munmap(), replacing is a real
 *	munmap() + mmap(MAP_FIXED) (with the old contents copied, as a
 *	migration), so mincore() sees what the library must see.
 *
 * lib	The same MM through its public vmmu_hostmm_* API: the host's steps
 *	are whole MM operations (migrate, swap-out, munmap), each of which
 *	brackets itself with the notifiers under the MM's lock, as Linux's mm
 *	does.
 *
 * With step and lib the model reads the MM's page table and frame table to
 * know what is mapped (one thread runs at a time, so without its lock).
 *
 * Word 0 of every page is a tag naming (page, version), so a guest read
 * tells which frame it reached.
 *
 * Host safety.  Every guest-memory touch of the library goes through
 * vmmu_checker_guest_mem() (src/vcpu.c guest_load/guest_store, src/hostmem.c
 * guest_memcpy_*), which checks it against the model before it happens:
 *   - the memory must exist: a page of the direct region that is mapped, or
 *     a frame of the MM that is some page's current frame (not a frame
 *     replaced or freed since: a stale translation);
 *   - a bracketed replacement is invisible except as delay: from the return
 *     of invalidate_range_start() until end() is called, the frame a page
 *     had when start() returned is not touched at all.
 * A touch of unmapped memory is redirected to a poisoned scratch page, so
 * the bug is reported instead of crashing the checker (with the monitor off
 * the oracle then sees the poison).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "check.h"
#include "hostmem.h"
#include "hostmm.h"
#include "vm.h"

#define TAG_MAGIC	0x484f535400000000ull	/* "HOST" */
#define TAG_MASK	0xffffffff00000000ull
#define FRAME_WORDS	(PAGE_SIZE / 8)
#define REGION_SIZE	(2ull << 20)

struct host_page {
	uint64_t hva;		/* what slots point at */
	uint32_t version;
	bool mapped;
	bool unannounced;	/* step: replaced outside any bracket, change_pte not yet called */
	int announced;		/* brackets from start() call to end() return */
	int frozen_n;		/* brackets from start() return to end() call */
	uint64_t *frozen;	/* the frame the page had when the first of them returned */
};

static enum chk_host_kind kind;
static struct host_page pages[HOST_PAGES];
static struct oracle *orc;
static struct vmmu_vm *host_vm;

/* direct */
static uint8_t *region;		/* 2 MiB aligned; pages 0..HOST_PAGES-1 are the guest's */
static bool region_unmapped[HOST_PAGES];	/* munmap()ed: map it again at the next reset */

/* step, lib: the MM of the current schedule */
static struct vmmu_hostmm *lmm;
static uint64_t lbase;

static uint64_t *scratch;	/* where a touch of unmapped memory goes */

static uint64_t tag(unsigned int page, uint32_t version)
{
	return TAG_MAGIC | ((uint64_t)page << 20) | version;
}

static struct host_page *hva_to_page(hva_t hva)
{
	for (unsigned int i = 0; i < HOST_PAGES; i++)
		if ((hva & PAGE_MASK) == pages[i].hva)
			return &pages[i];
	return NULL;
}

static void direct_setup(void)
{
	if (!region) {
		uint8_t *m = mmap(NULL, 2 * REGION_SIZE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (m == MAP_FAILED) {
			perror("vmmu-check: mmap");
			abort();
		}
		region = (uint8_t *)(((uintptr_t)m + REGION_SIZE - 1) & ~(uintptr_t)(REGION_SIZE - 1));
	}
	/* Only into holes: replacing a mapped page would cost a TLB shootdown. */
	for (unsigned int i = 0; i < HOST_PAGES; i++) {
		if (!region_unmapped[i])
			continue;
		if (mmap(region + i * PAGE_SIZE, PAGE_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED) {
			perror("vmmu-check: mmap(MAP_FIXED)");
			abort();
		}
		region_unmapped[i] = false;
	}
}

/* The MM's frame of host page @i, or NULL if it is not present.  Reads the
 * MM's tables without its lock: only one thread runs. */
static uint64_t *lib_frame(unsigned int i)
{
	return lmm ? hostmm_frame_of(lmm, pages[i].hva) : NULL;
}

/* The memory page @i maps now (direct: the page itself), or NULL. */
static uint64_t *cur_frame(unsigned int i)
{
	if (kind == CHK_HOST_DIRECT)
		return pages[i].mapped ? (uint64_t *)(uintptr_t)pages[i].hva : NULL;
	return lib_frame(i);
}

static bool is_lib(void)
{
	return kind == CHK_HOST_STEP || kind == CHK_HOST_LIB;
}

static void lib_tag(unsigned int i)
{
	uint64_t t = tag(i, pages[i].version);

	if (vmmu_hostmm_write(lmm, pages[i].hva, &t, sizeof(t)))
		abort();
}

static void lib_setup(struct vmmu_vm *vm)
{
	const struct vmmu_hostmm_config cfg = { .nr_frames = 64, .nr_swap_slots = 16 };
	uint64_t hva = 0;

	/*
	 * The MM as created, for every schedule (no VM is attached to it: the
	 * previous schedule's VM was destroyed), so that a schedule never sees
	 * the free list, or a freed frame written through a stale translation,
	 * of the one before: a replay must run exactly as the first run did.
	 */
	if (lmm ? hostmm_step_reset(lmm) : vmmu_hostmm_create(&cfg, &lmm))
		abort();
	if (vmmu_hostmm_mmap(lmm, HOST_PAGES * PAGE_SIZE, &hva) || vmmu_vm_attach_hostmm(vm, lmm))
		abort();
	lbase = hva;
}

/* A schedule was abandoned with its VM still attached: the MM goes with it. */
void chk_host_abandon(void)
{
	lmm = NULL;
}

void chk_host_reset(struct vmmu_vm *vm, struct oracle *o, enum chk_host_kind k)
{
	if (!scratch) {
		scratch = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
		if (!scratch)
			abort();
	}
	kind = k;
	orc = o;
	host_vm = vm;
	if (kind == CHK_HOST_DIRECT)
		direct_setup();
	else
		lib_setup(vm);
	for (unsigned int i = 0; i < HOST_PAGES; i++) {
		struct host_page *p = &pages[i];

		memset(p, 0, sizeof(*p));
		p->mapped = true;
		if (is_lib()) {
			p->hva = lbase + ((uint64_t)i << PAGE_SHIFT);
			lib_tag(i);
			continue;
		}
		/* direct: vm->hostmem stays the library's direct backend */
		p->hva = (uintptr_t)region + ((uint64_t)i << PAGE_SHIFT);
		memset((void *)(uintptr_t)p->hva, 0, PAGE_SIZE);
		*(uint64_t *)(uintptr_t)p->hva = tag(i, 0);
	}
}

uint64_t chk_host_hva(unsigned int page)
{
	return pages[page].hva;
}

uint64_t chk_host_frame_addr(unsigned int page)
{
	if (is_lib())
		return (uintptr_t)lib_frame(page);
	return pages[page].hva;
}

static void record_version(struct host_page *p, uint32_t version)
{
	uint64_t t = oracle_stamp(orc);

	oracle_host_page(orc, p->hva, version, t, t);
}

/* The host page table switches @page to a copy with the next version. */
void chk_host_replace(unsigned int page)
{
	struct host_page *p = &pages[page];

	if (!p->mapped)
		return;
	if (kind == CHK_HOST_LIB) {
		/* The MM's migration (its own bracket), then a new tag. */
		int r;

		chk_trace("host: vmmu_hostmm_migrate(page %u) ...", page);
		r = vmmu_hostmm_migrate(lmm, p->hva);
		chk_trace("host: ... = %d", r);
		if (r)
			return;
		p->version++;
		chk_trace("host: page %u tagged v%u", page, p->version);
		lib_tag(page);
	} else if (kind == CHK_HOST_DIRECT) {
		/* munmap + mmap(MAP_FIXED): the migration of a real page. */
		static uint64_t copy[FRAME_WORDS];
		uint64_t *pg = (uint64_t *)(uintptr_t)p->hva;

		memcpy(copy, pg, PAGE_SIZE);
		if (munmap(pg, PAGE_SIZE) ||
		    mmap(pg, PAGE_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED) {
			perror("vmmu-check: munmap/mmap");
			abort();
		}
		p->version++;
		memcpy(pg, copy, PAGE_SIZE);
		pg[0] = tag(page, p->version);
		chk_trace("host: page %u -> new mapping (munmap + mmap MAP_FIXED) v%u", page,
			  p->version);
	} else {
		/* The MM's PTE -> a copy in a new frame; no notifier (the script's). */
		int r = hostmm_step_replace(lmm, p->hva);

		if (r) {
			chk_trace("host: hostmm_step_replace(page %u) = %d", page, r);
			return;
		}
		p->version++;
		lib_tag(page);
		if (!p->announced)
			p->unannounced = true;
		chk_trace("host: page %u -> new frame v%u%s", page, p->version,
			  p->unannounced ? " (no bracket open)" : "");
	}
	record_version(p, p->version);
}

/* step, lib: the MM writes @page to swap (its own bracket); contents stay. */
void chk_host_swap_out(unsigned int page)
{
	int r;

	if (!is_lib())
		return;
	chk_trace("host: vmmu_hostmm_swap_out(page %u) ...", page);
	r = vmmu_hostmm_swap_out(lmm, pages[page].hva);
	chk_trace("host: ... = %d", r);
}

/* step: the mm frees (poisons) the frames replaced so far. */
void chk_host_release(void)
{
	if (kind != CHK_HOST_STEP)
		return;
	hostmm_step_release(lmm);
	chk_trace("host: replaced frames freed (poisoned)");
}

/*
 * invalidate_range_start/end of [@start, @end), as a step of the script:
 * step and lib, through the MM (every attached VM); direct, on the VM.
 */
void chk_host_invalidate(uint64_t start, uint64_t end, bool is_end)
{
	if (is_lib() && is_end)
		hostmm_step_invalidate_end(lmm, start, end);
	else if (is_lib())
		hostmm_step_invalidate_start(lmm, start, end);
	else if (is_end)
		vmmu_mmu_notifier_invalidate_range_end(host_vm, start, end);
	else
		vmmu_mmu_notifier_invalidate_range_start(host_vm, start, end);
}

/* munmap(@page): direct, for real; step and lib, the MM's (its own bracket). */
void chk_host_unmap(unsigned int page)
{
	struct host_page *p = &pages[page];

	if (!p->mapped)
		return;
	if (is_lib()) {
		int r;

		chk_trace("host: vmmu_hostmm_munmap(page %u) ...", page);
		r = vmmu_hostmm_munmap(lmm, p->hva, PAGE_SIZE);
		chk_trace("host: ... = %d", r);
	} else {
		if (munmap((void *)(uintptr_t)p->hva, PAGE_SIZE)) {
			perror("vmmu-check: munmap");
			abort();
		}
		region_unmapped[page] = true;
		chk_trace("host: page %u unmapped (munmap)", page);
	}
	p->mapped = false;
	record_version(p, ORACLE_VERSION_UNMAPPED);
}

/* The memory host page @page maps now (NULL if none): what a migration copies. */
const uint64_t *chk_host_page_data(unsigned int page)
{
	return page < HOST_PAGES ? cur_frame(page) : NULL;
}

void chk_host_final_check(void)
{
	if (is_lib()) {
		/* The MM poisons what it frees; nothing may have written there since. */
		for (uint64_t f = 0; f < lmm->fresh; f++) {
			const uint64_t *w = (const uint64_t *)(lmm->frames + (f << PAGE_SHIFT));

			if (!(lmm->frame[f].flags & FRAME_FREE))
				continue;
			for (unsigned int k = 0; k < FRAME_WORDS; k++)
				if (w[k] != VMMU_HOSTMM_POISON) {
					chk_violation("a write landed in frame %" PRIu64 " of the "
						      "library's host MM after it was freed (word %u "
						      "= 0x%llx): a stale translation was used", f, k,
						      (unsigned long long)w[k]);
					break;
				}
		}
		return;
	}
}

enum oracle_outcome chk_host_decode(uint64_t word, uint64_t *hva, uint32_t *version)
{
	if (word == HOST_POISON || word == VMMU_HOSTMM_POISON)
		return ORACLE_POISON;
	if ((word & TAG_MASK) != TAG_MAGIC || ((word >> 20) & 0xfff) >= HOST_PAGES)
		return ORACLE_ERROR;
	*hva = pages[(word >> 20) & 0xfff].hva;
	*version = (uint32_t)(word & 0xfffff);
	return ORACLE_RAM_READ;
}

int chk_host_page_of(uint64_t hva)
{
	const struct host_page *p = hva_to_page(hva);

	return p ? (int)(p - pages) : -1;
}

void chk_host_free_all(void)
{
	free(scratch);
	scratch = NULL;
	if (region) {
		/* the 4 MiB reservation around it goes with the process */
		region = NULL;
	}
}

/* ---------------------------------------------------------------------- */
/* Brackets, as the host announced them                                    */
/* ---------------------------------------------------------------------- */

static void for_pages(uint64_t start, uint64_t end, void (*fn)(struct host_page *p))
{
	for (unsigned int i = 0; i < HOST_PAGES; i++)
		if (pages[i].hva >= start && pages[i].hva < end)
			fn(&pages[i]);
}

static void announce(struct host_page *p) { p->announced++; }
static void unannounce(struct host_page *p) { p->announced--; }

static void freeze(struct host_page *p)
{
	if (!p->frozen_n++)
		p->frozen = cur_frame((unsigned int)(p - pages));
}

static void thaw(struct host_page *p)
{
	if (!--p->frozen_n)
		p->frozen = NULL;
}

void chk_host_bracket(uint64_t start, uint64_t end, enum chk_bracket_event ev)
{
	switch (ev) {
	case BRACKET_START_CALLED:
		for_pages(start, end, announce);
		break;
	case BRACKET_START_RETURNED:
		for_pages(start, end, freeze);
		break;
	case BRACKET_END_CALLED:
		for_pages(start, end, thaw);
		break;
	case BRACKET_END_RETURNED:
		for_pages(start, end, unannounce);
		break;
	}
}

/* change_pte(@hva) was called: the host told the VMs about its replacement. */
void chk_host_change_pte_called(uint64_t hva)
{
	struct host_page *p = hva_to_page(hva);

	if (p)
		p->unannounced = false;
}

bool chk_host_announced(uint64_t hva)
{
	const struct host_page *p = hva_to_page(hva);

	return p && p->announced > 0;
}

/*
 * The frame a present SPTE for @hva must map right now: false if the host
 * is between start() and end() of it (or changed it without telling, on
 * purpose), and so anything goes; otherwise *@pfn (0 if not mapped).
 */
bool chk_host_expected_pfn(uint64_t hva, uint64_t *pfn)
{
	const struct host_page *p = hva_to_page(hva);
	const uint64_t *f;

	if (!p || p->announced || p->unannounced)
		return false;
	/*
	 * Outside the script's brackets, the MM changes a page only between
	 * start() and end() of its own, holding its lock throughout: start()
	 * zapped the SPTEs before the PTE changed, and no fault can map the
	 * page before end().  So a present SPTE maps the current frame.
	 */
	f = cur_frame((unsigned int)(p - pages));
	*pfn = f ? (uintptr_t)f >> PAGE_SHIFT : 0;
	return true;
}

/* ---------------------------------------------------------------------- */
/* The host-safety hook                                                    */
/* ---------------------------------------------------------------------- */

static void *redirect(const void *p)
{
	for (unsigned int k = 0; k < FRAME_WORDS; k++)
		scratch[k] = HOST_POISON;
	return (uint8_t *)scratch + ((uintptr_t)p & ~PAGE_MASK);
}

static void host_violation(const char *what, const void *p, size_t len, bool write)
{
	if (!chk_monitor_on(MON_HOST))
		return;
	chk_violation("host safety: the library %s %zu byte(s) at %p, %s", write ? "writes" : "reads",
		      len, p, what);
}

void *vmmu_checker_guest_mem(const void *ptr, size_t len, bool write)
{
	uintptr_t p = (uintptr_t)ptr;
	char what[160];

	if (!scratch)
		return (void *)ptr;
	if (is_lib() && lmm && p >= (uintptr_t)lmm->frames &&
	    p < (uintptr_t)lmm->frames + (lmm->cfg.nr_frames << PAGE_SHIFT)) {
		uint64_t f = (p - (uintptr_t)lmm->frames) >> PAGE_SHIFT;
		uint64_t *frame = (uint64_t *)(lmm->frames + (f << PAGE_SHIFT));
		uint32_t flags = lmm->frame[f].flags;

		for (unsigned int i = 0; i < HOST_PAGES; i++) {
			if (lib_frame(i) != frame)
				continue;
			if (pages[i].frozen_n && pages[i].frozen == frame) {
				snprintf(what, sizeof(what), "in host page %u's frame v%u while a "
					 "bracket of it is open (after start() returned, before end())",
					 i, pages[i].version);
				host_violation(what, ptr, len, write);
			}
			return (void *)ptr;
		}
		snprintf(what, sizeof(what), "in frame %" PRIu64 " of the library's host MM, which "
			 "no page maps (%s): a stale translation", f,
			 flags & FRAME_FREE ? "freed" : flags & FRAME_REPLACED ?
			 "replaced by the host, not yet freed" : "not the page's frame");
		host_violation(what, ptr, len, write);
		return (void *)ptr;
	}
	if (kind == CHK_HOST_DIRECT && region && p >= (uintptr_t)region &&
	    p < (uintptr_t)region + HOST_PAGES * PAGE_SIZE) {
		unsigned int i = (unsigned int)((p - (uintptr_t)region) >> PAGE_SHIFT);
		struct host_page *hp = &pages[i];

		if (!hp->mapped) {
			snprintf(what, sizeof(what), "in host page %u, which is not mapped (munmap()ed): "
				 "in production, SIGSEGV", i);
			host_violation(what, ptr, len, write);
			return redirect(ptr);
		}
		if (hp->frozen_n) {
			snprintf(what, sizeof(what), "in host page %u while a bracket of it is open "
				 "(after start() returned, before end())", i);
			host_violation(what, ptr, len, write);
		}
		return (void *)ptr;
	}
	host_violation("outside every host mapping", ptr, len, write);
	return redirect(ptr);
}
