// SPDX-License-Identifier: MIT
/*
 * A tiny simulated host MM, owned by the checker, behind the VM's
 * struct hostmem_ops.
 *
 * Host virtual addresses HOST_BASE + i * 4096 (i < HOST_PAGES) are backed
 * by frames from a fixed pool; the host page table maps page i to one
 * frame.  Word 0 of every frame is a tag naming (page, version), so a guest
 * read tells which frame it reached.  Replacing a page (KSM merge, CoW
 * break, migration) copies the frame to a new one with the next version and
 * switches the host page table; releasing the old frame afterwards (the mm
 * freeing it) fills it with poison, so a vCPU that still reaches it through
 * a stale translation reads poison, and a write that lands there is found
 * by chk_host_final_check().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "hostmem.h"
#include "vm.h"

#define TAG_MAGIC	0x484f535400000000ull	/* "HOST" */
#define TAG_MASK	0xffffffff00000000ull
#define POOL_FRAMES	32
#define FRAME_WORDS	(PAGE_SIZE / 8)

struct host_page {
	uint64_t *frame;
	uint32_t version;
};

struct dead_frame {
	uint64_t *frame;
	unsigned int page;
	uint32_t version;
};

static uint64_t *pool;
static unsigned int pool_next;
static struct host_page pages[HOST_PAGES];
static struct dead_frame pending[POOL_FRAMES], dead[POOL_FRAMES];
static unsigned int npending, ndead;
static struct oracle *orc;

static uint64_t tag(unsigned int page, uint32_t version)
{
	return TAG_MAGIC | ((uint64_t)page << 20) | version;
}

static uint64_t *frame_alloc(void)
{
	if (pool_next == POOL_FRAMES) {
		fprintf(stderr, "vmmu-check: host frame pool exhausted\n");
		abort();
	}
	return pool + (size_t)pool_next++ * FRAME_WORDS;
}

static struct host_page *hva_to_page(hva_t hva)
{
	if (hva < HOST_BASE || ((hva - HOST_BASE) >> PAGE_SHIFT) >= HOST_PAGES)
		return NULL;
	return &pages[(hva - HOST_BASE) >> PAGE_SHIFT];
}

static int chk_faultin(struct vmmu_vm *vm, hva_t hva, bool write, pfn_t *pfn, bool *host_writable)
{
	struct host_page *p = hva_to_page(hva);

	(void)vm;
	(void)write;
	if (!p)
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
	if (!p)
		return -EFAULT;
	host = (uint8_t *)p->frame + (hva & ~PAGE_MASK);
	if (write)
		guest_memcpy_to(host, buf, len);
	else
		guest_memcpy_from(buf, host, len);
	return 0;
}

static const struct hostmem_ops chk_hostmem_ops = {
	.name = "checker",
	.faultin = chk_faultin,
	.rw = chk_rw,
};

void chk_host_reset(struct vmmu_vm *vm, struct oracle *o)
{
	if (!pool) {
		pool = aligned_alloc(PAGE_SIZE, POOL_FRAMES * PAGE_SIZE);
		if (!pool)
			abort();
	}
	orc = o;
	pool_next = 0;
	npending = 0;
	ndead = 0;
	for (unsigned int i = 0; i < HOST_PAGES; i++) {
		uint64_t *f = frame_alloc();

		memset(f, 0, PAGE_SIZE);
		f[0] = tag(i, 0);
		pages[i].frame = f;
		pages[i].version = 0;
	}
	vm->hostmem = &chk_hostmem_ops;
}

uint64_t chk_host_frame_addr(unsigned int page)
{
	return (uintptr_t)pages[page].frame;
}

/* The host page table switches @page to a copy with the next version. */
void chk_host_replace(unsigned int page)
{
	struct host_page *p = &pages[page];
	uint64_t *f = frame_alloc();
	uint64_t t;

	memcpy(f, p->frame, PAGE_SIZE);
	pending[npending++] = (struct dead_frame){ p->frame, page, p->version };
	p->version++;
	f[0] = tag(page, p->version);
	p->frame = f;
	t = oracle_stamp(orc);
	oracle_host_page(orc, HOST_BASE + ((uint64_t)page << PAGE_SHIFT), p->version, t, t);
	chk_trace("host: page %u -> frame v%u (old frame still allocated)", page, p->version);
}

/* The mm frees the frames replaced so far: poison them. */
void chk_host_release(void)
{
	for (unsigned int i = 0; i < npending; i++) {
		for (unsigned int w = 0; w < FRAME_WORDS; w++)
			pending[i].frame[w] = HOST_POISON;
		dead[ndead++] = pending[i];
		chk_trace("host: frame of page %u v%u freed (poisoned)", pending[i].page,
			  pending[i].version);
	}
	npending = 0;
}

void chk_host_final_check(void)
{
	for (unsigned int i = 0; i < ndead; i++)
		for (unsigned int w = 0; w < FRAME_WORDS; w++)
			if (dead[i].frame[w] != HOST_POISON) {
				chk_violation("a write landed in the freed frame of host page %u "
					      "v%u (word %u = 0x%llx): a stale translation was used",
					      dead[i].page, dead[i].version, w,
					      (unsigned long long)dead[i].frame[w]);
				break;
			}
}

enum oracle_outcome chk_host_decode(uint64_t word, uint64_t *hva, uint32_t *version)
{
	if (word == HOST_POISON)
		return ORACLE_POISON;
	if ((word & TAG_MASK) != TAG_MAGIC || ((word >> 20) & 0xfff) >= HOST_PAGES)
		return ORACLE_ERROR;
	*hva = HOST_BASE + (((word >> 20) & 0xfff) << PAGE_SHIFT);
	*version = (uint32_t)(word & 0xfffff);
	return ORACLE_RAM_READ;
}

void chk_host_free_all(void)
{
	free(pool);
	pool = NULL;
}
