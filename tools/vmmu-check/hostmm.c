// SPDX-License-Identifier: MIT
/*
 * The checker's host: what the VM's memslots point at, and a model of which
 * host memory the library may touch at each instant (the host-safety
 * monitor).
 *
 * Two backends, chosen per scenario:
 *
 * sim	A tiny simulated host MM behind the VM's struct hostmem_ops.  Host
 *	virtual addresses HOST_BASE + i * 4096 (i < HOST_PAGES) are backed by
 *	frames from a fixed pool; the host page table maps page i to one
 *	frame.  Replacing a page (KSM merge, CoW break, migration) copies the
 *	frame to a new one with the next version and switches the host page
 *	table; releasing the old frame afterwards (the mm freeing it) fills it
 *	with poison.  Every step is a separate scenario operation, so the
 *	scheduler can put any vCPU step between start(), the replacement,
 *	change_pte, end() and the free, and the host can misbehave on purpose
 *	(an unbracketed replacement, for change-pte-unbracketed).
 *
 * direct	The library's own direct backend (src/hostmem.c) over real memory of
 *	this process: pages 0..HOST_PAGES-1 of one 2 MiB-aligned region that
 *	stays otherwise mapped, so the backend's "region mapped" cache works
 *	as in production.  Unmapping is a real munmap(), replacing is a real
 *	munmap() + mmap(MAP_FIXED) (with the old contents copied, as a
 *	migration), so mincore() sees what the library must see.
 *
 * lib	The library's own simulated host MM (src/hostmm.c, the public
 *	vmmu_hostmm_* API) attached to the VM: pages 0..HOST_PAGES-1 of one
 *	mapping; the host's steps are whole MM operations (migrate, swap-out,
 *	munmap), each of which brackets itself with the notifiers under the
 *	MM's lock, as Linux's mm does.  The model reads the MM's page table
 *	and frame table to know what is mapped.
 *
 * Word 0 of every page is a tag naming (page, version), so a guest read
 * tells which frame it reached.
 *
 * Host safety.  Every guest-memory touch of the library goes through
 * vmmu_checker_guest_mem() (src/vcpu.c guest_load/guest_store, src/hostmem.c
 * guest_memcpy_*), which checks it against the model before it happens:
 *   - the memory must exist: a page of the direct region that is mapped, or
 *     a frame of the pool that is some page's current frame (not a frame
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
#define POOL_FRAMES	32
#define FRAME_WORDS	(PAGE_SIZE / 8)
#define REGION_SIZE	(2ull << 20)

enum frame_state { F_FREE, F_CURRENT, F_PENDING, F_DEAD };

struct host_page {
	uint64_t hva;		/* what slots point at */
	uint64_t *frame;	/* sim: current frame; direct: the page itself */
	uint32_t version;
	bool mapped;
	bool unannounced;	/* sim: replaced outside any bracket, change_pte not yet called */
	int announced;		/* brackets from start() call to end() return */
	int frozen_n;		/* brackets from start() return to end() call */
	uint64_t *frozen;	/* the frame the page had when the first of them returned */
};

static enum chk_host_kind kind;
static struct host_page pages[HOST_PAGES];
static struct oracle *orc;

/* sim */
static uint64_t *pool;
static unsigned int pool_next;
static struct {
	uint8_t state;
	uint8_t page;
	uint32_t version;
} frames[POOL_FRAMES];
static unsigned int pending[POOL_FRAMES], npending;

/* direct */
static uint8_t *region;		/* 2 MiB aligned; pages 0..HOST_PAGES-1 are the guest's */
static bool region_unmapped[HOST_PAGES];	/* munmap()ed: map it again at the next reset */

/* lib: one MM reused by every schedule, unless a schedule was abandoned */
static struct vmmu_hostmm *lmm;
static uint64_t lbase;

static uint64_t *scratch;	/* where a touch of unmapped memory goes */

static uint64_t tag(unsigned int page, uint32_t version)
{
	return TAG_MAGIC | ((uint64_t)page << 20) | version;
}

static uint64_t *frame_alloc(unsigned int page, uint32_t version)
{
	unsigned int f;

	if (pool_next == POOL_FRAMES) {
		fprintf(stderr, "vmmu-check: host frame pool exhausted\n");
		abort();
	}
	f = pool_next++;
	frames[f].state = F_CURRENT;
	frames[f].page = (uint8_t)page;
	frames[f].version = version;
	return pool + (size_t)f * FRAME_WORDS;
}

static unsigned int frame_index(const uint64_t *frame)
{
	return (unsigned int)((frame - pool) / FRAME_WORDS);
}

static struct host_page *hva_to_page(hva_t hva)
{
	for (unsigned int i = 0; i < HOST_PAGES; i++)
		if ((hva & PAGE_MASK) == pages[i].hva)
			return &pages[i];
	return NULL;
}

static int chk_faultin(struct vmmu_vm *vm, hva_t hva, bool write, pfn_t *pfn, bool *host_writable)
{
	struct host_page *p = hva_to_page(hva);

	(void)vm;
	(void)write;
	if (!p || !p->mapped)
		return -EFAULT;
	*pfn = (uintptr_t)p->frame >> PAGE_SHIFT;
	*host_writable = true;
	return 0;
}

static int chk_rw(struct vmmu_vm *vm, hva_t hva, void *buf, size_t len, bool write)
{
	struct host_page *p = hva_to_page(hva);
	uint8_t *host;

	(void)vm;
	if (!p || !p->mapped)
		return -EFAULT;
	host = (uint8_t *)p->frame + (hva & ~PAGE_MASK);
	if (write)
		guest_memcpy_to(host, buf, len);
	else
		guest_memcpy_from(buf, host, len);
	return 0;
}

/*
 * The simulated MM changes its page table without a lock of its own (as a
 * process's munmap/mmap do), so guest copies must exclude brackets the way
 * the direct backend's do: under mmu_lock, only while no invalidation
 * covers the gfn.
 */
static const struct hostmem_ops chk_hostmem_ops = {
	.name = "checker",
	.rw_under_mmu_lock = true,
	.faultin = chk_faultin,
	.rw = chk_rw,
};

static void page_tag(struct host_page *p, unsigned int i)
{
	memset(p->frame, 0, PAGE_SIZE);
	p->frame[0] = tag(i, p->version);
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

/* The MM's PTE of host page @i, or NULL if unmapped.  Reads the MM's
 * tables without its lock: only one thread runs. */
static const uint64_t *lib_pte(unsigned int i)
{
	hva_t hva = pages[i].hva;

	for (uint32_t k = 0; lmm && k < lmm->nr_vmas; k++)
		if (lmm->vma[k]->start <= hva && hva < lmm->vma[k]->end)
			return vma_pte(lmm->vma[k], hva);
	return NULL;
}

static uint64_t *lib_frame(unsigned int i)
{
	const uint64_t *pte = lib_pte(i);

	if (!pte || !(*pte & HPTE_PRESENT))
		return NULL;
	return (uint64_t *)(lmm->frames + (hpte_index(*pte) << PAGE_SHIFT));
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
	uint64_t hva = lbase;

	if (!lmm) {
		if (vmmu_hostmm_create(&cfg, &lmm))
			abort();
		hva = 0;
	} else {
		/* No VM is attached: the previous one was destroyed. */
		vmmu_hostmm_munmap(lmm, lbase, HOST_PAGES * PAGE_SIZE);
	}
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
	if (!pool) {
		pool = aligned_alloc(PAGE_SIZE, POOL_FRAMES * PAGE_SIZE);
		scratch = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
		if (!pool || !scratch)
			abort();
	}
	kind = k;
	orc = o;
	pool_next = 0;
	npending = 0;
	memset(frames, 0, sizeof(frames));
	if (kind == CHK_HOST_DIRECT)
		direct_setup();
	else if (kind == CHK_HOST_LIB)
		lib_setup(vm);
	for (unsigned int i = 0; i < HOST_PAGES; i++) {
		struct host_page *p = &pages[i];

		memset(p, 0, sizeof(*p));
		p->mapped = true;
		if (kind == CHK_HOST_LIB) {
			p->hva = lbase + ((uint64_t)i << PAGE_SHIFT);
			lib_tag(i);
			p->frame = lib_frame(i);
			continue;
		}
		if (kind == CHK_HOST_DIRECT) {
			p->hva = (uintptr_t)region + ((uint64_t)i << PAGE_SHIFT);
			p->frame = (uint64_t *)(uintptr_t)p->hva;
		} else {
			p->hva = HOST_BASE + ((uint64_t)i << PAGE_SHIFT);
			p->frame = frame_alloc(i, 0);
		}
		page_tag(p, i);
	}
	/* direct: vm->hostmem stays the library's direct backend */
	if (kind == CHK_HOST_SIM)
		vm->hostmem = &chk_hostmem_ops;
}

uint64_t chk_host_hva(unsigned int page)
{
	return pages[page].hva;
}

uint64_t chk_host_frame_addr(unsigned int page)
{
	if (kind == CHK_HOST_LIB)
		return (uintptr_t)lib_frame(page);
	return (uintptr_t)pages[page].frame;
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

		memcpy(copy, p->frame, PAGE_SIZE);
		if (munmap(p->frame, PAGE_SIZE) ||
		    mmap(p->frame, PAGE_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED) {
			perror("vmmu-check: munmap/mmap");
			abort();
		}
		p->version++;
		memcpy(p->frame, copy, PAGE_SIZE);
		p->frame[0] = tag(page, p->version);
	} else {
		uint64_t *f = frame_alloc(page, p->version + 1);

		memcpy(f, p->frame, PAGE_SIZE);
		frames[frame_index(p->frame)].state = F_PENDING;
		pending[npending++] = frame_index(p->frame);
		p->version++;
		f[0] = tag(page, p->version);
		p->frame = f;
		if (!p->announced)
			p->unannounced = true;
	}
	record_version(p, p->version);
	if (kind != CHK_HOST_LIB)
		chk_trace("host: page %u -> %s v%u", page,
			  kind == CHK_HOST_DIRECT ? "new mapping (munmap + mmap MAP_FIXED)" :
			  "frame", p->version);
}

/* lib: the MM writes @page to swap (its own bracket); contents stay. */
void chk_host_swap_out(unsigned int page)
{
	int r;

	if (kind != CHK_HOST_LIB)
		return;
	chk_trace("host: vmmu_hostmm_swap_out(page %u) ...", page);
	r = vmmu_hostmm_swap_out(lmm, pages[page].hva);
	chk_trace("host: ... = %d", r);
}

/* The mm frees the frames replaced so far: poison them. */
void chk_host_release(void)
{
	for (unsigned int i = 0; i < npending; i++) {
		unsigned int f = pending[i];
		uint64_t *w = pool + (size_t)f * FRAME_WORDS;

		for (unsigned int k = 0; k < FRAME_WORDS; k++)
			w[k] = HOST_POISON;
		frames[f].state = F_DEAD;
		chk_trace("host: frame of page %u v%u freed (poisoned)", frames[f].page,
			  frames[f].version);
	}
	npending = 0;
}

/* munmap(@page): direct, for real; sim, the frame is freed (poisoned). */
void chk_host_unmap(unsigned int page)
{
	struct host_page *p = &pages[page];

	if (!p->mapped)
		return;
	if (kind == CHK_HOST_LIB) {
		int r;

		chk_trace("host: vmmu_hostmm_munmap(page %u) ...", page);
		r = vmmu_hostmm_munmap(lmm, p->hva, PAGE_SIZE);
		chk_trace("host: ... = %d", r);
	} else if (kind == CHK_HOST_DIRECT) {
		if (munmap(p->frame, PAGE_SIZE)) {
			perror("vmmu-check: munmap");
			abort();
		}
		region_unmapped[page] = true;
	} else {
		unsigned int f = frame_index(p->frame);

		for (unsigned int k = 0; k < FRAME_WORDS; k++)
			p->frame[k] = HOST_POISON;
		frames[f].state = F_DEAD;
	}
	p->mapped = false;
	record_version(p, ORACLE_VERSION_UNMAPPED);
	if (kind != CHK_HOST_LIB)
		chk_trace("host: page %u unmapped%s", page, kind == CHK_HOST_DIRECT ? " (munmap)" :
			  " (frame freed, poisoned)");
}

void chk_host_final_check(void)
{
	if (kind == CHK_HOST_LIB) {
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
	if (kind != CHK_HOST_SIM)
		return;
	for (unsigned int f = 0; f < pool_next; f++) {
		const uint64_t *w = pool + (size_t)f * FRAME_WORDS;

		if (frames[f].state != F_DEAD)
			continue;
		for (unsigned int k = 0; k < FRAME_WORDS; k++)
			if (w[k] != HOST_POISON) {
				chk_violation("a write landed in the freed frame of host page %u "
					      "v%u (word %u = 0x%llx): a stale translation was used",
					      frames[f].page, frames[f].version, k,
					      (unsigned long long)w[k]);
				break;
			}
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
	free(pool);
	pool = NULL;
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
		p->frozen = p->frame;
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

	if (!p)
		return false;
	if (kind == CHK_HOST_LIB) {
		/*
		 * The MM changes a page only between start() and end(), holding
		 * its lock throughout: start() zapped the SPTEs before the PTE
		 * changed, and no fault can map the page before end().  So a
		 * present SPTE always maps the current frame.
		 */
		const uint64_t *f = lib_frame((unsigned int)(p - pages));

		*pfn = f ? (uintptr_t)f >> PAGE_SHIFT : 0;
		return true;
	}
	if (p->announced || p->unannounced)
		return false;
	*pfn = p->mapped ? (uintptr_t)p->frame >> PAGE_SHIFT : 0;
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

	if (!pool)
		return (void *)ptr;
	if (kind == CHK_HOST_LIB && lmm && p >= (uintptr_t)lmm->frames &&
	    p < (uintptr_t)lmm->frames + (lmm->cfg.nr_frames << PAGE_SHIFT)) {
		uint64_t f = (p - (uintptr_t)lmm->frames) >> PAGE_SHIFT;

		for (unsigned int i = 0; i < HOST_PAGES; i++)
			if (lib_frame(i) == (uint64_t *)(lmm->frames + (f << PAGE_SHIFT)))
				return (void *)ptr;
		snprintf(what, sizeof(what), "in frame %" PRIu64 " of the library's host MM, which "
			 "no page maps (%s): a stale translation", f,
			 lmm->frame[f].flags & FRAME_FREE ? "freed" : "not the page's frame");
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
	if (kind == CHK_HOST_SIM && p >= (uintptr_t)pool &&
	    p < (uintptr_t)pool + POOL_FRAMES * PAGE_SIZE) {
		unsigned int f = (unsigned int)((p - (uintptr_t)pool) >> PAGE_SHIFT);
		const struct host_page *hp = &pages[frames[f].page];

		switch (frames[f].state) {
		case F_CURRENT:
			if (hp->frozen == pool + (size_t)f * FRAME_WORDS) {
				snprintf(what, sizeof(what), "in host page %u's frame v%u while a bracket "
					 "of it is open (after start() returned, before end())",
					 frames[f].page, frames[f].version);
				host_violation(what, ptr, len, write);
			} else if (!hp->mapped) {
				snprintf(what, sizeof(what), "in host page %u, which is not mapped",
					 frames[f].page);
				host_violation(what, ptr, len, write);
			}
			return (void *)ptr;
		case F_PENDING:
			snprintf(what, sizeof(what), "in host page %u's frame v%u, which the host "
				 "replaced (v%u): a stale translation", frames[f].page,
				 frames[f].version, hp->version);
			host_violation(what, ptr, len, write);
			return (void *)ptr;
		case F_DEAD:
			snprintf(what, sizeof(what), "in host page %u's frame v%u, which the host "
				 "freed: a stale translation", frames[f].page, frames[f].version);
			host_violation(what, ptr, len, write);
			return (void *)ptr;
		default:
			break;
		}
	}
	host_violation("outside every host mapping", ptr, len, write);
	return redirect(ptr);
}
