// SPDX-License-Identifier: MIT
/*
 * The scenarios: tiny workloads, each a few scripts of operations run by
 * the scheduler's threads against a fresh VM.  vCPU scripts read and write
 * guest addresses; the updater changes memslots; the host thread plays the
 * host mm (invalidate_range_start, replace a page, change_pte, end, free
 * the old frame).  Every access is checked by the oracle when it returns;
 * when all threads are done each vCPU reads every address it used once
 * more, and the quiescent map must explain those reads exactly (that is how
 * a stale translation or MMIO SPTE that would live "forever" shows).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "vm.h"

enum op_kind {
	OP_END,
	OP_READ,	/* 8-byte read at gpa (offset 0: the frame's tag) */
	OP_WRITE,	/* 8-byte write at gpa */
	OP_REGION,	/* vmmu_set_user_memory_region */
	OP_INV_START,	/* invalidate_range_start of host page hpage */
	OP_INV_END,
	OP_REPLACE,	/* host page table: hpage -> a copy, next version */
	OP_CHANGE_PTE,	/* change_pte(hpage -> current frame of tpage - 1 or hpage, read-only) */
	OP_RELEASE,	/* free (poison) the frames replaced so far */
	OP_UNMAP,	/* the host unmaps hpage (direct: munmap; step, lib: the MM's munmap) */
	OP_READ_GUEST,	/* vmmu_vcpu_read_guest of 8 bytes at gpa */
	OP_WRITE_GUEST,	/* vmmu_vcpu_write_guest of 8 bytes at gpa */
	OP_CLEAR_YOUNG,	/* mmu notifier aging of host page hpage */
	OP_CLEAR_FLUSH_YOUNG,
	OP_TEST_YOUNG,
	OP_GET_DIRTY,	/* GET_DIRTY_LOG of slot */
	OP_CLEAR_DIRTY,	/* CLEAR_DIRTY_LOG of what the last GET of slot reported */
	OP_SWAP_OUT,	/* lib host: vmmu_hostmm_swap_out of hpage */
	OP_BATCH,	/* vmmu_set_user_memory_regions of batches[slot] */
	OP_RING_HARVEST,	/* dirty ring: collect the DIRTY entries of every vCPU, mark RESET */
	OP_RING_RESET,	/* vmmu_vm_reset_dirty_rings, then copy the harvested pages */
};

struct op {
	uint8_t kind;
	uint8_t bracket;	/* start/end around change_pte (see change-pte-unbracketed) */
	uint8_t tpage;		/* OP_CHANGE_PTE: 1 + the page whose frame to point at (0: hpage) */
	uint32_t slot;		/* OP_REGION, OP_*_DIRTY: as_id << 16 | id */
	uint32_t flags;		/* OP_REGION */
	uint64_t gpa;
	uint32_t pages;		/* OP_REGION: 0 deletes */
	uint32_t hpage;		/* host page */
};

#define MAX_OPS		6
#define MAX_SCRIPTS	4
#define MAX_INIT	4

struct script {
	const char *name;
	int vcpu;		/* vCPU index, or -1 */
	struct op ops[MAX_OPS];
};

struct scen {
	uint32_t nr_as;
	uint32_t mmio_gen_bits;
	uint32_t vcpu_as[2];
	int nvcpus;
	enum chk_host_kind host;	/* CHK_HOST_STEP (default: the library's MM step by
					 * step), DIRECT (real memory) or LIB (its whole
					 * operations) */
	bool manual;		/* KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 */
	bool dirty;		/* every write must reach a GET_DIRTY_LOG (dirty-log oracle) */
	bool covered;		/* the gfns used are in a slot at every instant: an MMIO
				 * exit or -EFAULT is a violation, whatever the oracle's
				 * map history allows */
	uint32_t ring_bytes;	/* the dirty ring on (migration oracle: see ring_verify) */
	struct op init[MAX_INIT];
	struct script scripts[MAX_SCRIPTS];
};

#define R(g)		{ .kind = OP_READ, .gpa = (g) }
#define W(g)		{ .kind = OP_WRITE, .gpa = (g) }
#define RG(g)		{ .kind = OP_READ_GUEST, .gpa = (g) }
#define WG(g)		{ .kind = OP_WRITE_GUEST, .gpa = (g) }
#define REGION(s, g, n, hp, f)	{ .kind = OP_REGION, .slot = (s), .gpa = (g), .pages = (n), \
				  .hpage = (hp), .flags = (f) }
#define INV_START(hp)	{ .kind = OP_INV_START, .hpage = (hp) }
#define INV_END(hp)	{ .kind = OP_INV_END, .hpage = (hp) }
#define BRACKET_START(hp) { .kind = OP_INV_START, .hpage = (hp), .bracket = 1 }
#define BRACKET_END(hp)	{ .kind = OP_INV_END, .hpage = (hp), .bracket = 1 }
#define REPLACE(hp)	{ .kind = OP_REPLACE, .hpage = (hp) }
#define CHANGE_PTE(hp)	{ .kind = OP_CHANGE_PTE, .hpage = (hp) }
#define CHANGE_PTE_TO(hp, tp) { .kind = OP_CHANGE_PTE, .hpage = (hp), .tpage = (tp) + 1 }
#define RELEASE()	{ .kind = OP_RELEASE }
#define UNMAP(hp)	{ .kind = OP_UNMAP, .hpage = (hp) }
#define CLEAR_YOUNG(hp)	{ .kind = OP_CLEAR_YOUNG, .hpage = (hp) }
#define CLEAR_FLUSH_YOUNG(hp) { .kind = OP_CLEAR_FLUSH_YOUNG, .hpage = (hp) }
#define TEST_YOUNG(hp)	{ .kind = OP_TEST_YOUNG, .hpage = (hp) }
#define GET_DIRTY(s)	{ .kind = OP_GET_DIRTY, .slot = (s) }
#define CLEAR_DIRTY(s)	{ .kind = OP_CLEAR_DIRTY, .slot = (s) }
#define SWAP_OUT(hp)	{ .kind = OP_SWAP_OUT, .hpage = (hp) }
#define BATCH(i)	{ .kind = OP_BATCH, .slot = (i) }
#define RING_HARVEST()	{ .kind = OP_RING_HARVEST }
#define RING_RESET()	{ .kind = OP_RING_RESET }

#define LOG		VMMU_MEM_LOG_DIRTY_PAGES
#define A		0x10000ull	/* gfn 0x10 */
#define B		0x20000ull
#define C		0x30000ull

/* The generation protocol: a vCPU faults on a gfn while a slot is created
 * there (stale MMIO SPTE, stale MMIO-cache entry). */
static const struct scen create_mmio = {
	.nr_as = 1,
	.nvcpus = 2,
	.scripts = {
		{ "vcpu0", 0, { R(A), R(A), R(A) } },
		{ "vcpu1", 1, { R(A), R(A) } },
		{ "updater", -1, { REGION(0, A, 1, 0, 0), REGION(0, A, 1, 0, LOG) } },
	},
};

/* Four swaps wrap a 2-bit MMIO generation slice (nr_as = 1). */
static const struct scen wrap_as0 = {
	.nr_as = 1,
	.mmio_gen_bits = 2,
	.nvcpus = 1,
	.scripts = {
		{ "vcpu0", 0, { R(A), R(A), R(A) } },
		{ "updater", -1, { REGION(0, A, 1, 0, 0), REGION(0, A, 1, 0, LOG),
				   REGION(0, A, 1, 0, 0), REGION(0, A, 1, 0, LOG) } },
	},
};

/* Address space 1 (generations 1, 3, 5...): two swaps wrap a 2-bit slice. */
static const struct scen wrap_as1 = {
	.nr_as = 2,
	.mmio_gen_bits = 2,
	.nvcpus = 1,
	.vcpu_as = { 1 },
	.scripts = {
		{ "vcpu0", 0, { R(A), R(A), R(A) } },
		{ "updater", -1, { REGION(1u << 16, A, 1, 0, 0), REGION(1u << 16, A, 1, 0, LOG) } },
	},
};

/* The host replaces a page under a RAM slot while vCPUs fault on it. */
static const struct scen invalidate = {
	.nr_as = 1,
	.nvcpus = 2,
	.init = { REGION(0, A, 1, 0, 0) },
	.scripts = {
		{ "vcpu0", 0, { R(A), W(A + 8), R(A) } },
		{ "vcpu1", 1, { R(A), R(A) } },
		{ "host", -1, { INV_START(0), REPLACE(0), INV_END(0), RELEASE() } },
	},
};

/*
 * Prefetch: vCPU 0's fault on A also maps A's neighbour (the slot's two
 * pages are one 256 KiB group) while the host replaces that neighbour in a
 * bracket over it alone.  The fault's own gfn is never covered, so a fault
 * that checks only it for open brackets prefetches the old page inside the
 * bracket, and the translation outlives start().
 */
static const struct scen prefetch_neighbour = {
	.nr_as = 1,
	.nvcpus = 2,
	.init = { REGION(0, A, 2, 0, 0) },
	.scripts = {
		{ "vcpu0", 0, { W(A + 0x1000 + 8), R(A), R(A + 0x1000) } },
		{ "vcpu1", 1, { R(A + 0x1000), R(A + 0x1000) } },
		{ "host", -1, { INV_START(1), REPLACE(1), INV_END(1) } },
	},
};

/*
 * Prefetch across slots: slots 0, 1 and 2 are one page each at A, A + 1
 * and A + 2 pages.  Slot 1's host page (2) does not follow slot 0's (0), so
 * no prefetch runs from one into the other; slot 2's (3) follows slot 1's,
 * so a fault in either maps the other too.  Meanwhile the host replaces
 * page 3 in a bracket and the updater deletes slot 2 and creates it again
 * over page 1.  The oracle checks each read against the map of its
 * moment: a neighbour mapped from the wrong host page, or one that
 * outlives the bracket or the DELETE, reads a value no map allows.
 */
static const struct scen prefetch_adjacent = {
	.nr_as = 1,
	.nvcpus = 2,
	.init = { REGION(0, A, 1, 0, 0), REGION(1, A + 0x1000, 1, 2, 0),
		  REGION(2, A + 0x2000, 1, 3, 0) },
	.scripts = {
		{ "vcpu0", 0, { R(A), R(A + 0x1000), R(A + 0x2000), R(A + 0x1000) } },
		{ "vcpu1", 1, { R(A + 0x2000), W(A + 0x1000 + 8), R(A + 0x2000) } },
		{ "host", -1, { INV_START(3), REPLACE(3), INV_END(3) } },
		{ "updater", -1, { REGION(2, A + 0x2000, 0, 3, 0), REGION(2, A + 0x2000, 1, 1, 0) } },
	},
};

/*
 * Prefetch across slots and dirty logging: slots 1 and 2 (one page each at
 * A + 1 and A + 2 pages, over host pages 1 and 2) continue each other in
 * gfn and host memory, but slot 1 logs dirty pages.  A fault in slot 2 must
 * not prefetch slot 1's page: a writable SPTE there would let vCPU 1's
 * write go unlogged, and the dirty-log oracle compares each GET_DIRTY_LOG
 * with the writes made before it.
 */
static const struct scen prefetch_adjacent_log = {
	.nr_as = 1,
	.nvcpus = 2,
	.dirty = true,
	.init = { REGION(1, A + 0x1000, 1, 1, LOG), REGION(2, A + 0x2000, 1, 2, 0) },
	.scripts = {
		{ "vcpu0", 0, { R(A + 0x2000), R(A + 0x2000) } },
		{ "vcpu1", 1, { W(A + 0x1000 + 8), W(A + 0x1000 + 8) } },
		{ "host", -1, { GET_DIRTY(1), GET_DIRTY(1) } },
	},
};

/*
 * The host replaces a page a vCPU uses while memslot updates elsewhere wrap
 * a 2-bit MMIO generation (a zap-all, which clears the buckets' mapped
 * marks): a start() that trusts a clear mark must find the zap-all's flush
 * done.
 */
static const struct scen wrap_invalidate = {
	.nr_as = 1,
	.mmio_gen_bits = 2,
	.nvcpus = 1,
	.init = { REGION(0, A, 1, 0, 0) },
	.scripts = {
		{ "vcpu0", 0, { R(A), R(A), R(A), R(A) } },
		{ "updater", -1, { REGION(1, C, 1, 1, 0), REGION(1, C, 1, 1, LOG),
				   REGION(1, C, 1, 1, 0), REGION(1, C, 1, 1, LOG) } },
		{ "host", -1, { INV_START(0), REPLACE(0), INV_END(0), RELEASE() } },
	},
};

/* KSM-style replacement with change_pte inside the bracket. */
static const struct scen change_pte = {
	.nr_as = 1,
	.nvcpus = 1,
	.init = { REGION(0, A, 1, 0, 0) },
	.scripts = {
		{ "vcpu0", 0, { R(A), R(A), R(A) } },
		{ "host", -1, { BRACKET_START(0), REPLACE(0), CHANGE_PTE(0), BRACKET_END(0),
				RELEASE() } },
	},
};

/* A memslot update (delete, then re-create elsewhere over the same host
 * page) races an invalidation of that host page. */
static const struct scen swap_invalidate = {
	.nr_as = 1,
	.nvcpus = 1,
	.init = { REGION(0, A, 1, 0, 0) },
	.scripts = {
		{ "vcpu0", 0, { R(A), R(B) } },
		{ "host", -1, { INV_START(0), REPLACE(0), INV_END(0), RELEASE() } },
		{ "updater", -1, { REGION(0, A, 0, 0, 0), REGION(1, B, 1, 0, 0) } },
	},
};

/*
 * Range-precise retry (docs/DESIGN.md): brackets on host pages 0 and 2
 * overlap continuously while vCPU 0 faults gfn A + 1 (host page 1), which no
 * bracket covers (the old gfn hull of both did), and a slot is created and
 * deleted elsewhere (swaps used to wait for every bracket).  The fault and
 * the update must complete (the scheduler's progress check) and nothing
 * stale may be installed.
 */
static const struct scen storm_overlap = {
	.nr_as = 1,
	.nvcpus = 1,
	.init = { REGION(0, A, 3, 0, 0) },
	.scripts = {
		{ "vcpu0", 0, { R(A + 0x1000), W(A + 0x1008), R(A), R(A + 0x2000) } },
		{ "host0", -1, { INV_START(0), REPLACE(0), INV_END(0), INV_START(0), INV_END(0),
				 RELEASE() } },
		{ "host2", -1, { INV_START(2), INV_START(2), REPLACE(2), INV_END(2), INV_END(2),
				 RELEASE() } },
		{ "updater", -1, { REGION(1, C, 1, 3, 0), REGION(1, C, 0, 3, 0) } },
	},
};

/* MOVE and DELETE (INVALID slots, zaps, remote TLB flushes) under two
 * vCPUs that read and write the old and new places. */
static const struct scen move_delete = {
	.nr_as = 2,
	.nvcpus = 2,
	.init = { REGION(0, A, 1, 0, 0), REGION(1, B, 1, 1, 0) },
	.scripts = {
		{ "vcpu0", 0, { R(A), R(C), R(B) } },
		{ "vcpu1", 1, { R(B), W(A + 8), R(C) } },
		{ "updater", -1, { REGION(0, C, 1, 0, 0), REGION(1, B, 0, 1, 0) } },
	},
};

/*
 * vmmu's own defects (docs/DESIGN.md, "Defects found in use"), each with the
 * window its variant reopens.
 */

/*
 * D1: vCPU 0 writes (SPTE and TLB entry writable, page dirty); clear_young
 * takes the accessed bit without a flush; vCPU 1's read faults on the old
 * SPTE.  Were it to re-install it read-only without a flush, GET_DIRTY_LOG
 * would find nothing writable to protect and skip its flush, and vCPU 0's
 * next write, through its stale writable TLB entry, would reach no harvest.
 */
static const struct scen age_dirty = {
	.nr_as = 1,
	.nvcpus = 2,
	.dirty = true,
	.init = { REGION(0, A, 1, 0, LOG) },
	.scripts = {
		{ "vcpu0", 0, { W(A + 8), W(A + 8) } },
		{ "vcpu1", 1, { R(A) } },
		{ "host", -1, { CLEAR_YOUNG(0), GET_DIRTY(0), GET_DIRTY(0) } },
	},
};

/* D1 with manual protect: GET reports, CLEAR_DIRTY_LOG clears and protects. */
static const struct scen age_dirty_manual = {
	.nr_as = 1,
	.nvcpus = 2,
	.dirty = true,
	.manual = true,
	.init = { REGION(0, A, 1, 0, LOG) },
	.scripts = {
		{ "vcpu0", 0, { W(A + 8), W(A + 8) } },
		{ "vcpu1", 1, { R(A) } },
		{ "host", -1, { CLEAR_YOUNG(0), GET_DIRTY(0), CLEAR_DIRTY(0), GET_DIRTY(0),
				CLEAR_DIRTY(0) } },
	},
};

/*
 * D1's interleaving with the other aging calls: test_young clears nothing,
 * and clear_flush_young's flush drops the writable TLB entry together with
 * the accessed bit (a write that fills it again faults, which sets the bit
 * again), so here the window stays shut even for the wrong design: the
 * scenario checks the correct one under them.
 */
static const struct scen age_young = {
	.nr_as = 1,
	.nvcpus = 2,
	.dirty = true,
	.init = { REGION(0, A, 1, 0, LOG) },
	.scripts = {
		{ "vcpu0", 0, { W(A + 8), W(A + 8), W(A + 8) } },
		{ "vcpu1", 1, { R(A), R(A) } },
		{ "host", -1, { TEST_YOUNG(0), CLEAR_FLUSH_YOUNG(0), GET_DIRTY(0), TEST_YOUNG(0),
				GET_DIRTY(0) } },
	},
};

/*
 * D2: vCPU 0's fault on A looks A up in the old set (no slot) while the
 * updater creates a slot there; vCPU 1 faults A under the new set and maps
 * it (SPTE, TLB).  Were vCPU 0 to install its MMIO SPTE over the present
 * one without a flush, DELETE would find nothing present to zap, skip its
 * flush and return, the host would unmap the page, and vCPU 1 would go on
 * reading it through its TLB.
 */
static const struct scen noslot_create = {
	.nr_as = 1,
	.nvcpus = 2,
	.scripts = {
		{ "vcpu0", 0, { R(A) } },
		{ "vcpu1", 1, { R(A), R(A), R(A) } },
		{ "updater", -1, { REGION(0, A, 1, 0, 0), REGION(0, A, 0, 0, 0), UNMAP(0) } },
	},
};

/*
 * D3 (the direct backend over real memory): A is host page 0 (P), B page 1
 * (Q), in one 2 MiB region.  Inside start(P)/end(P) a fault or read_guest on
 * Q must not fill the "region mapped" cache; the host munmaps P in the
 * bracket; after end(), an access or read_guest of P must give -EFAULT, not
 * touch the unmapped page.
 */
static const struct scen bracket_neighbour = {
	.nr_as = 1,
	.nvcpus = 1,
	.host = CHK_HOST_DIRECT,
	.init = { REGION(0, A, 1, 0, 0), REGION(1, B, 1, 1, 0) },
	.scripts = {
		{ "vcpu0", 0, { R(B), RG(B), R(A), RG(A) } },
		{ "host", -1, { INV_START(0), UNMAP(0), INV_END(0) } },
	},
};

/*
 * D4 (the direct backend over real memory): guest copies against a
 * bracketed replacement (munmap + mmap(MAP_FIXED)) of the page: no copy may
 * touch it between start() returning and end().
 */
static const struct scen rw_replace = {
	.nr_as = 1,
	.nvcpus = 1,
	.host = CHK_HOST_DIRECT,
	.init = { REGION(0, A, 1, 0, 0) },
	.scripts = {
		{ "copier", 0, { RG(A), WG(A + 8), RG(A), R(A) } },
		{ "host", -1, { INV_START(0), REPLACE(0), INV_END(0) } },
	},
};

/*
 * D5: A is host page 0 in address space 0 and host page 1 in address space
 * 1; B is host page 2 in address space 0.  With brackets open on page 1
 * (the same gfn, the other address space) and page 2 (another range: the
 * gfn hull of the two covers A), change_pte of page 0 must be refused; one
 * of page 1, inside its bracket, accepted.
 */
static const struct scen change_pte_cross = {
	.nr_as = 2,
	.nvcpus = 2,
	.vcpu_as = { 0, 1 },
	.init = { REGION(0, A, 1, 0, 0), REGION(1u << 16, A, 1, 1, 0), REGION(1, B, 1, 2, 0) },
	.scripts = {
		{ "vcpu0", 0, { R(A), R(A), R(A) } },
		{ "vcpu1", 1, { R(A), R(A) } },
		{ "host", -1, { INV_START(1), INV_START(2), CHANGE_PTE_TO(0, 3), CHANGE_PTE(1),
				INV_END(2), INV_END(1) } },
	},
};

/*
 * The library's own simulated host MM (src/hostmm.c) behind the VM: vCPUs
 * read and write two pages while the MM migrates them, swaps one out and
 * unmaps the other, each operation bracketed by the MM itself under its
 * lock, as Linux's mm does.
 */
static const struct scen hostmm_lib = {
	.nr_as = 1,
	.nvcpus = 2,
	.host = CHK_HOST_LIB,
	.init = { REGION(0, A, 1, 0, 0), REGION(1, B, 1, 1, 0) },
	.scripts = {
		{ "vcpu0", 0, { R(A), W(A + 8), R(B), R(A) } },
		{ "vcpu1", 1, { R(B), W(B + 8), R(A) } },
		{ "host", -1, { REPLACE(0), SWAP_OUT(1), REPLACE(1), UNMAP(0) } },
	},
};

/*
 * Atomic batches (docs/DESIGN.md, "Atomic memslot batches"): a 2-page slot
 * over host pages 0-1 is split into two 1-page slots over the same pages
 * (DELETE, CREATE, CREATE) and merged back (DELETE, DELETE, CREATE), each
 * as one vmmu_set_user_memory_regions(), while two vCPUs read both gfns
 * and copy them with read_guest.  Every map in the history covers both
 * gfns with the same host pages, so the oracle accepts only RAM reads of
 * those pages, and .covered makes any MMIO exit or -EFAULT (a vCPU that saw
 * "no slot" between the entries) a violation by itself: with the same
 * changes made by six single calls, the checker reports one at once.
 */
#define MAX_BATCH	3
static const struct op batches[][MAX_BATCH] = {
	{ REGION(0, A, 0, 0, 0), REGION(0, A, 1, 0, 0), REGION(1, A + 0x1000, 1, 1, 0) },
	{ REGION(1, A + 0x1000, 0, 1, 0), REGION(0, A, 0, 0, 0), REGION(0, A, 2, 0, 0) },
};

static const struct scen batch_split_merge = {
	.nr_as = 1,
	.nvcpus = 2,
	.covered = true,
	.init = { REGION(0, A, 2, 0, 0) },
	.scripts = {
		{ "vcpu0", 0, { R(A), R(A + 0x1000), R(A), R(A + 0x1000) } },
		{ "vcpu1", 1, { R(A + 0x1000), RG(A), R(A), RG(A + 0x1000) } },
		{ "updater", -1, { BATCH(0), BATCH(1) } },
	},
};

/*
 * The dirty ring's harvest against a write: the collector harvests (marks
 * the entries RESET), resets, then copies the harvested pages, while the
 * vCPUs write.  A write that lands between a harvest and the reset must
 * still reach the copy: either the harvested entry's reset re-protects the
 * page after it (and the copy, made after the reset, has it), or the write
 * pushed an entry the reset leaves alone until a later harvest.  At the end
 * (quiescent) a final harvest, reset and copy; the copy must equal guest
 * memory (ring_verify).  Writes store distinct values, so a lost one shows.
 */
static const struct scen ring_harvest = {
	.nr_as = 1,
	.nvcpus = 2,
	.ring_bytes = 4096,
	.init = { REGION(0, A, 2, 0, LOG) },
	.scripts = {
		{ "vcpu0", 0, { W(A + 8), W(A + 8) } },
		{ "vcpu1", 1, { R(A), WG(A + 0x1010), W(A + 0x1018) } },
		{ "collector", -1, { RING_HARVEST(), RING_RESET(), RING_HARVEST(), RING_RESET() } },
	},
};

/* ---------------------------------------------------------------------- */
/* Running one schedule                                                    */
/* ---------------------------------------------------------------------- */

static const struct scen *cur_scen;
static struct vmmu_vm *cur_vm;
static struct vmmu_vcpu *cur_vcpus[2];
static struct oracle *orc;

/*
 * The dirty-log oracle: every RAM write that returned (an access or a
 * write_guest) and every harvest, with stamps.  A write W of page p must be
 * reported by some GET_DIRTY_LOG that could have seen it (it ended after W
 * began) no later than the first GET that began after W ended (or the
 * final, quiescent one).  With manual protect, a CLEAR of p that may have
 * run after W began and before that GET exempts W: the program asked to
 * forget it.
 */
#define MAX_WRECS	32
#define MAX_HRECS	32

struct wrec {
	uint32_t as;
	uint64_t gfn, b, e, step;
	char who[32];
};

struct hrec {
	bool clear;
	uint32_t slot, as;
	uint64_t base, npages, b, e, bits;
};

static struct wrec wrecs[MAX_WRECS];
static struct hrec hrecs[MAX_HRECS];
static int nwrecs, nhrecs;
static uint64_t last_report[4];		/* per slot id: the last GET's bitmap */

static void dirty_record_write(uint32_t as, uint64_t gpa, uint64_t b, uint64_t e, const char *who)
{
	if (!cur_scen->dirty || nwrecs == MAX_WRECS)
		return;
	wrecs[nwrecs] = (struct wrec){ .as = as, .gfn = gpa >> 12, .b = b, .e = e, .step = chk.step };
	snprintf(wrecs[nwrecs].who, sizeof(wrecs[nwrecs].who), "%s", who);
	nwrecs++;
}

/*
 * The outcome of an access or copy that returned @r (with @data read), for
 * the oracle and the dirty-log monitor.  A copy never returns
 * VMMU_EXIT_MMIO.
 */
static void access_done(struct oracle_access *a, int r, uint64_t data, const char *who)
{
	char why[600];

	a->ret = r;
	if (r == VMMU_EXIT_MMIO)
		a->outcome = ORACLE_MMIO;
	else if (r == -EFAULT)
		a->outcome = ORACLE_FAULT;
	else if (r)
		a->outcome = ORACLE_ERROR;
	else if (a->write)
		a->outcome = ORACLE_RAM_WRITE;
	else
		a->outcome = chk_host_decode(data, &a->hva, &a->version);

	if (a->outcome == ORACLE_RAM_READ)
		chk_trace("... = RAM: host page %d v%u", chk_host_page_of(a->hva), a->version);
	else
		chk_trace("... = %s", oracle_outcome_name(a->outcome));
	if (!oracle_check(orc, a, why, sizeof(why)))
		chk_violation("%s: %s", who, why);
	if (cur_scen->covered && (a->outcome == ORACLE_MMIO || a->outcome == ORACLE_FAULT))
		chk_violation("%s: %s of gpa 0x%" PRIx64 " gave %s, but a slot covers it at "
			      "every instant", who, a->copy ? "copy" : "access", a->gpa,
			      oracle_outcome_name(a->outcome));
	if (a->outcome == ORACLE_RAM_WRITE)
		dirty_record_write(a->as_id, a->gpa, a->t_begin, a->t_end, who);
}

/* The slot @slot_arg as the scenario defines it (its first non-delete REGION). */
static bool scen_slot(const struct scen *s, uint32_t slot_arg, uint64_t *base, uint64_t *npages)
{
	for (int i = 0; i < MAX_INIT + MAX_SCRIPTS * MAX_OPS; i++) {
		const struct op *op = i < MAX_INIT ? &s->init[i] :
				      &s->scripts[(i - MAX_INIT) / MAX_OPS].ops[(i - MAX_INIT) % MAX_OPS];

		if (op->kind == OP_REGION && op->slot == slot_arg && op->pages) {
			*base = op->gpa >> 12;
			*npages = op->pages;
			return true;
		}
	}
	return false;
}

static void dirty_harvest(uint32_t slot_arg, bool clear, const char *who)
{
	struct hrec h = { .clear = clear, .slot = slot_arg, .as = slot_arg >> 16 };
	uint64_t bits = 0;
	int r;

	if (!scen_slot(cur_scen, slot_arg, &h.base, &h.npages) || h.npages > 64)
		return;
	if (clear) {
		bits = last_report[(slot_arg & 0xffff) % 4];
		chk_trace("CLEAR_DIRTY_LOG slot %u, bits 0x%" PRIx64, slot_arg & 0xffff, bits);
		h.b = oracle_stamp(orc);
		r = vmmu_clear_dirty_log(cur_vm, slot_arg, 0, (uint32_t)h.npages, &bits);
	} else {
		chk_trace("GET_DIRTY_LOG slot %u ...", slot_arg & 0xffff);
		h.b = oracle_stamp(orc);
		r = vmmu_get_dirty_log(cur_vm, slot_arg, &bits);
		last_report[(slot_arg & 0xffff) % 4] = bits;
	}
	h.e = oracle_stamp(orc);
	h.bits = bits;
	if (!clear)
		chk_trace("... = 0x%" PRIx64, bits);
	if (r)
		chk_violation("%s: %s_DIRTY_LOG failed: %d", who, clear ? "CLEAR" : "GET", r);
	if (cur_scen->dirty && nhrecs < MAX_HRECS)
		hrecs[nhrecs++] = h;
}

static void dirty_verify(void)
{
	for (int i = 0; i < nwrecs; i++) {
		const struct wrec *w = &wrecs[i];
		uint64_t next_b = UINT64_MAX;
		bool reported = false, exempt = false;
		int slot_h = -1;

		for (int k = 0; k < nhrecs; k++) {
			const struct hrec *h = &hrecs[k];

			if (h->as != w->as || w->gfn < h->base || w->gfn - h->base >= h->npages)
				continue;
			slot_h = k;
			if (!h->clear && h->b > w->e && h->b < next_b)
				next_b = h->b;
		}
		if (slot_h < 0)
			continue;	/* not in a logged slot */
		for (int k = 0; k < nhrecs; k++) {
			const struct hrec *h = &hrecs[k];

			if (h->as != w->as || w->gfn < h->base || w->gfn - h->base >= h->npages)
				continue;
			if (h->e <= w->b || h->b > next_b)
				continue;
			if (!h->clear && ((h->bits >> (w->gfn - h->base)) & 1))
				reported = true;
			if (h->clear && ((h->bits >> (w->gfn - h->base)) & 1) && h->b < next_b)
				exempt = true;
		}
		if (!reported && !exempt)
			chk_violation("dirty log: %s's write to gfn 0x%" PRIx64 " (returned at step %"
				      PRIu64 ") was reported by no GET_DIRTY_LOG up to the first one "
				      "that began after it%s: a lost dirty page", w->who, w->gfn,
				      w->step, next_b == UINT64_MAX ? " (the final one)" : "");
	}
}

/*
 * The migration oracle of the dirty ring: the collector's copy of the
 * logged slot (at most RING_PAGES pages, from the scenario's first logged
 * REGION), the entries harvested since the last reset, and the rings.
 */
#define RING_PAGES	4
static uint64_t ring_copy[RING_PAGES][512];
static uint64_t ring_pending;		/* bit i: slot page i harvested, not yet copied */
static uint32_t ring_harvested;		/* entries harvested since the last reset */
static uint32_t ring_fetch[2];
static struct vmmu_dirty_gfn *ring_gfns[2];
static uint32_t ring_nr[2];
static uint64_t ring_wseq;

/* The scenario's logged slot: slot arg, first host page, pages. */
static bool ring_slot(uint32_t *slot, uint32_t *hpage, uint32_t *npages)
{
	for (int i = 0; i < MAX_INIT && cur_scen->init[i].kind != OP_END; i++) {
		const struct op *op = &cur_scen->init[i];

		if (op->kind == OP_REGION && (op->flags & LOG) && op->pages <= RING_PAGES) {
			*slot = op->slot;
			*hpage = op->hpage;
			*npages = op->pages;
			return true;
		}
	}
	return false;
}

static void ring_copy_pages(uint64_t mask)
{
	uint32_t slot, hpage, npages;

	if (!ring_slot(&slot, &hpage, &npages))
		return;
	for (uint32_t i = 0; i < npages; i++) {
		const uint64_t *src;

		if (!((mask >> i) & 1))
			continue;
		src = chk_host_page_data(hpage + i);
		if (src)
			memcpy(ring_copy[i], src, sizeof(ring_copy[i]));
	}
}

static void ring_harvest_op(const char *who)
{
	uint32_t slot, hpage, npages;

	if (!ring_slot(&slot, &hpage, &npages))
		return;
	chk_trace("harvest the dirty rings ...");
	for (int v = 0; v < cur_scen->nvcpus; v++) {
		for (;;) {
			struct vmmu_dirty_gfn *e = &ring_gfns[v][ring_fetch[v] % ring_nr[v]];

			if (!(__atomic_load_n(&e->flags, __ATOMIC_ACQUIRE) & VMMU_DIRTY_GFN_F_DIRTY))
				break;
			if (e->slot != slot || e->offset >= npages)
				chk_violation("%s: vCPU %d's ring entry %u names slot %#x offset %"
					      PRIu64 ", not a page of the logged slot", who, v,
					      ring_fetch[v], e->slot, e->offset);
			else
				ring_pending |= 1ull << e->offset;
			chk_trace("... vCPU %d entry %u: offset %" PRIu64, v, ring_fetch[v],
				  e->offset);
			__atomic_store_n(&e->flags, VMMU_DIRTY_GFN_F_RESET, __ATOMIC_RELEASE);
			ring_fetch[v]++;
			ring_harvested++;
		}
	}
}

static void ring_reset_op(const char *who)
{
	int r;

	chk_trace("KVM_RESET_DIRTY_RINGS ...");
	r = vmmu_vm_reset_dirty_rings(cur_vm);
	chk_trace("... = %d; copy pages 0x%" PRIx64, r, ring_pending);
	if (r < 0)
		chk_violation("%s: vmmu_vm_reset_dirty_rings failed: %d", who, r);
	else if ((uint32_t)r != ring_harvested)
		chk_violation("%s: vmmu_vm_reset_dirty_rings recycled %d entries, but %u were "
			      "harvested (marked RESET) since the last reset", who, r,
			      ring_harvested);
	ring_harvested = 0;
	ring_copy_pages(ring_pending);
	ring_pending = 0;
}

/* Quiescent: a final harvest, reset and copy; the copy must equal guest memory. */
static void ring_verify(void)
{
	uint32_t slot, hpage, npages;

	if (!ring_slot(&slot, &hpage, &npages))
		return;
	ring_harvest_op("final harvest");
	ring_reset_op("final harvest");
	for (uint32_t i = 0; i < npages; i++) {
		const uint64_t *g = chk_host_page_data(hpage + i);

		for (unsigned int k = 0; g && k < 512; k++)
			if (g[k] != ring_copy[i][k]) {
				chk_violation("dirty ring: the migrated copy of slot page %u qword %u "
					      "is 0x%" PRIx64 ", guest memory holds 0x%" PRIx64
					      ": a write reached no harvest (lost between a "
					      "harvest and the reset?)", i, k, ring_copy[i][k], g[k]);
				break;
			}
	}
}

static void ring_setup(void)
{
	uint32_t slot, hpage, npages;

	ring_pending = 0;
	ring_harvested = 0;
	ring_wseq = 0;
	memset(ring_fetch, 0, sizeof(ring_fetch));
	memset(ring_copy, 0, sizeof(ring_copy));
	for (int v = 0; v < cur_scen->nvcpus; v++)
		if (vmmu_vcpu_get_dirty_ring(cur_vcpus[v], &ring_gfns[v], &ring_nr[v]))
			chk_violation("setup: vmmu_vcpu_get_dirty_ring failed");
	if (ring_slot(&slot, &hpage, &npages))
		ring_copy_pages(~0ull);		/* the bulk copy */
}

static void do_access(int vcpu_idx, uint64_t gpa, bool write, const char *who)
{
	struct vmmu_vcpu *vcpu = cur_vcpus[vcpu_idx];
	struct oracle_access a = {
		.gpa = gpa,
		.as_id = cur_scen->vcpu_as[vcpu_idx],
		.write = write,
		.thread = (uint16_t)vcpu_idx,
	};
	struct vmmu_exit exit;
	uint64_t data = write ? 0x5752495445000000ull | gpa : 0;
	int r;

	if (write && cur_scen->ring_bytes)	/* distinct values: the copy must have the last */
		data ^= ++ring_wseq << 32;
	chk_trace("%s 0x%" PRIx64 " ...", write ? "write" : "read", gpa);
	a.t_begin = oracle_stamp(orc);
	r = vmmu_vcpu_access(vcpu, gpa, &data, 8, write ? VMMU_ACCESS_WRITE : 0, &exit);
	a.t_end = oracle_stamp(orc);
	access_done(&a, r, data, who);
	{
		char why[400];

		if (!oracle_check_exit(&a, 8, &exit, why, sizeof(why)))
			chk_violation("%s: %s", who, why);
	}
}

/* vmmu_vcpu_read_guest / write_guest: a copy, not an access. */
static void do_copy(int vcpu_idx, uint64_t gpa, bool write, const char *who)
{
	struct vmmu_vcpu *vcpu = cur_vcpus[vcpu_idx];
	struct oracle_access a = {
		.gpa = gpa,
		.as_id = cur_scen->vcpu_as[vcpu_idx],
		.write = write,
		.copy = 1,
		.thread = (uint16_t)vcpu_idx,
	};
	uint64_t data = write ? 0x434f505900000000ull | gpa : 0;
	int r;

	chk_trace("%s 0x%" PRIx64 " ...", write ? "write_guest" : "read_guest", gpa);
	a.t_begin = oracle_stamp(orc);
	r = write ? vmmu_vcpu_write_guest(vcpu, gpa, &data, 8) :
		    vmmu_vcpu_read_guest(vcpu, gpa, &data, 8);
	a.t_end = oracle_stamp(orc);
	access_done(&a, r, data, who);
}

static void do_change_pte(const struct op *op, const char *who)
{
	uint64_t hva = chk_host_hva(op->hpage);
	unsigned int tp = op->tpage ? op->tpage - 1u : op->hpage;
	/* change-pte-unbracketed: the scenario's host is the pre-2012 mm, for
	 * which an unbracketed change_pte is the protocol. */
	bool legacy = checker_variant(CHANGE_PTE_UNBRACKETED);
	bool covered = chk_host_announced(hva);
	int r;

	chk_point(NULL);
	chk_trace("change_pte(page %u -> frame of page %u, read-only)%s", op->hpage, tp,
		  covered || legacy ? "" : ": no open bracket covers it");
	chk_host_change_pte_called(hva);
	chk_current->expect_warn = !covered && !legacy;
	chk_current->warns = 0;
	r = vmmu_mmu_notifier_change_pte(cur_vm, hva, chk_host_frame_addr(tp), 0);
	chk_current->expect_warn = false;
	chk_trace("change_pte -> %d", r);
	if ((covered || legacy) && r)
		chk_violation("%s: change_pte of host page %u inside a bracket of it failed: %d", who,
			      op->hpage, r);
	else if (!covered && !legacy && r != -EINVAL)
		chk_violation("%s: change_pte of host page %u returned %d, but no open bracket "
			      "covers the page: it must be refused (-EINVAL)", who, op->hpage, r);
}

/* The region an OP_REGION describes. */
static struct vmmu_userspace_memory_region op_region(const struct op *op)
{
	return (struct vmmu_userspace_memory_region){
		.slot = op->slot,
		.flags = op->flags,
		.guest_phys_addr = op->gpa,
		.memory_size = (uint64_t)op->pages << 12,
		.userspace_addr = chk_host_hva(op->hpage),
	};
}

static void do_op(const struct op *op, int vcpu_idx, const char *who)
{
	uint64_t hva = chk_host_hva(op->hpage);
	int r;

	switch (op->kind) {
	case OP_READ:
	case OP_WRITE:
		chk_point(NULL);
		do_access(vcpu_idx, op->gpa, op->kind == OP_WRITE, who);
		break;
	case OP_READ_GUEST:
	case OP_WRITE_GUEST:
		chk_point(NULL);
		do_copy(vcpu_idx, op->gpa, op->kind == OP_WRITE_GUEST, who);
		break;
	case OP_REGION: {
		const struct vmmu_userspace_memory_region m = op_region(op);

		chk_point(NULL);
		chk_trace("set region as%u slot %u gpa 0x%" PRIx64 " %s%s", op->slot >> 16,
			  op->slot & 0xffff, op->gpa, op->pages ? "size 1 page" : "size 0 (delete)",
			  op->flags & LOG ? " +dirty-log" : "");
		monitor_updates_in_flight++;
		r = vmmu_set_user_memory_region(cur_vm, &m);
		monitor_updates_in_flight--;
		chk_trace("set region -> %d", r);
		if (r)
			chk_violation("%s: vmmu_set_user_memory_region failed: %d", who, r);
		break;
	}
	case OP_BATCH: {
		struct vmmu_userspace_memory_region m[MAX_BATCH];
		uint32_t n = 0;

		for (; n < MAX_BATCH && batches[op->slot][n].kind == OP_REGION; n++)
			m[n] = op_region(&batches[op->slot][n]);
		chk_point(NULL);
		chk_trace("batch %u: %u region changes as one", op->slot, n);
		monitor_updates_in_flight++;
		r = vmmu_set_user_memory_regions(cur_vm, m, n);
		monitor_updates_in_flight--;
		chk_trace("batch -> %d", r);
		if (r)
			chk_violation("%s: vmmu_set_user_memory_regions failed: %d (%s)", who, r,
				      vmmu_last_error());
		break;
	}
	case OP_INV_START:
		if (op->bracket && checker_variant(CHANGE_PTE_UNBRACKETED))
			break;
		chk_point(NULL);
		chk_trace("invalidate_range_start(page %u)", op->hpage);
		chk_host_bracket(hva, hva + 4096, BRACKET_START_CALLED);
		chk_host_invalidate(hva, hva + 4096, false);
		chk_host_bracket(hva, hva + 4096, BRACKET_START_RETURNED);
		chk_trace("invalidate_range_start returned");
		break;
	case OP_INV_END:
		if (op->bracket && checker_variant(CHANGE_PTE_UNBRACKETED))
			break;
		chk_point(NULL);
		chk_trace("invalidate_range_end(page %u)", op->hpage);
		chk_host_bracket(hva, hva + 4096, BRACKET_END_CALLED);
		chk_host_invalidate(hva, hva + 4096, true);
		chk_host_bracket(hva, hva + 4096, BRACKET_END_RETURNED);
		chk_trace("invalidate_range_end returned");
		break;
	case OP_REPLACE:
		chk_point(NULL);
		chk_host_replace(op->hpage);
		break;
	case OP_CHANGE_PTE:
		do_change_pte(op, who);
		break;
	case OP_RELEASE:
		chk_point(NULL);
		chk_host_release();
		break;
	case OP_UNMAP:
		chk_point(NULL);
		chk_host_unmap(op->hpage);
		break;
	case OP_SWAP_OUT:
		chk_point(NULL);
		chk_host_swap_out(op->hpage);
		break;
	case OP_CLEAR_YOUNG:
	case OP_CLEAR_FLUSH_YOUNG:
	case OP_TEST_YOUNG:
		chk_point(NULL);
		chk_trace("%s(page %u) ...", op->kind == OP_CLEAR_YOUNG ? "clear_young" :
			  op->kind == OP_TEST_YOUNG ? "test_young" : "clear_flush_young", op->hpage);
		if (op->kind == OP_CLEAR_YOUNG)
			r = vmmu_mmu_notifier_clear_young(cur_vm, hva, hva + 4096);
		else if (op->kind == OP_TEST_YOUNG)
			r = vmmu_mmu_notifier_test_young(cur_vm, hva);
		else
			r = vmmu_mmu_notifier_clear_flush_young(cur_vm, hva, hva + 4096);
		chk_trace("... = %d", r);
		break;
	case OP_GET_DIRTY:
	case OP_CLEAR_DIRTY:
		chk_point(NULL);
		dirty_harvest(op->slot, op->kind == OP_CLEAR_DIRTY, who);
		break;
	case OP_RING_HARVEST:
		chk_point(NULL);
		ring_harvest_op(who);
		break;
	case OP_RING_RESET:
		chk_point(NULL);
		ring_reset_op(who);
		break;
	default:
		break;
	}
}

static void script_thread(struct cthread *t)
{
	const struct script *s = &cur_scen->scripts[t->role];

	for (int i = 0; i < MAX_OPS && s->ops[i].kind != OP_END; i++)
		do_op(&s->ops[i], s->vcpu, s->name);
}

/*
 * Quiescent re-reads, once every script is done: the final map must explain
 * each exactly.  They run as a second, non-preemptive schedule, so a read
 * that retries forever is reported as a livelock instead of hanging.
 */
static void final_thread(struct cthread *t)
{
	const struct script *s = &cur_scen->scripts[t->role];
	char who[32];

	snprintf(who, sizeof(who), "final check, %s", s->name);
	for (int k = 0; k < MAX_OPS && s->ops[k].kind != OP_END; k++) {
		bool seen = false;

		if (s->ops[k].kind != OP_READ)
			continue;
		for (int j = 0; j < k; j++)
			seen |= s->ops[j].kind == OP_READ && s->ops[j].gpa == s->ops[k].gpa;
		if (!seen)
			do_access(s->vcpu, s->ops[k].gpa, false, who);
	}
}

/* Every gfn the scenario names: what the monitor watches. */
static int scen_gfns(const struct scen *s, uint64_t *gfns, int max)
{
	int n = 0;

	for (int i = 0; i < MAX_INIT + MAX_SCRIPTS * MAX_OPS; i++) {
		const struct op *op = i < MAX_INIT ? &s->init[i] :
				      &s->scripts[(i - MAX_INIT) / MAX_OPS].ops[(i - MAX_INIT) % MAX_OPS];
		uint64_t gfn = op->gpa >> 12;
		bool seen = false;

		if (op->kind == OP_END || (op->kind != OP_REGION && op->kind != OP_READ &&
					    op->kind != OP_WRITE && op->kind != OP_READ_GUEST &&
					    op->kind != OP_WRITE_GUEST))
			continue;
		for (int k = 0; k < n; k++)
			seen |= gfns[k] == gfn;
		if (!seen && n < max)
			gfns[n++] = gfn;
	}
	return n;
}

static int scen_run(const struct scenario *sc)
{
	const struct scen *s = sc->data;
	struct vmmu_vm_config cfg = {
		.nr_address_spaces = s->nr_as,
		.mmio_gen_bits = s->mmio_gen_bits,
	};
	void (*fns[MAX_SCRIPTS])(struct cthread *t);
	const char *names[MAX_SCRIPTS];
	uint64_t gfns[MON_MAX_GFNS];
	int n = 0, r;

	cur_scen = s;
	chk.step = 0;
	if (!orc)
		orc = oracle_create(VMMU_MAX_ADDRESS_SPACES);
	if (!orc)
		return -1;
	oracle_reset(orc);
	if (vmmu_vm_create(&cfg, &cur_vm))
		return -1;
	chk_host_reset(cur_vm, orc, s->host);
	if (s->manual &&
	    vmmu_vm_enable_manual_dirty_log_protect(cur_vm, VMMU_DIRTY_LOG_MANUAL_PROTECT_ENABLE))
		return -1;
	if (s->ring_bytes && vmmu_vm_enable_dirty_ring(cur_vm, s->ring_bytes))
		return -1;
	for (int i = 0; i < s->nvcpus; i++) {
		if (vmmu_vcpu_create(cur_vm, (uint32_t)i, &cur_vcpus[i]))
			return -1;
		vmmu_vcpu_set_address_space(cur_vcpus[i], s->vcpu_as[i]);
	}
	for (int i = 0; i < MAX_INIT && s->init[i].kind != OP_END; i++)
		do_op(&s->init[i], -1, "setup");
	if (s->ring_bytes)
		ring_setup();
	chk_fence_reset();
	nwrecs = nhrecs = 0;
	memset(last_report, 0, sizeof(last_report));
	monitor_reset(cur_vm, orc, cur_vcpus, s->nvcpus, gfns, scen_gfns(s, gfns, MON_MAX_GFNS));

	for (; n < MAX_SCRIPTS && s->scripts[n].name; n++) {
		fns[n] = script_thread;
		names[n] = s->scripts[n].name;
	}
	r = chk_run_threads(n, fns, names, false);
	if (!r) {
		chk_trace("(all scripts done: quiescent re-reads)");
		for (int i = 0; i < n; i++)
			fns[i] = final_thread;
		r = chk_run_threads(n, fns, names, true);
	}
	if (r) {
		/* Threads are parked inside the library: leave the VM to them. */
		cur_vm = NULL;
		chk_host_abandon();
		return 0;
	}
	if (s->dirty) {
		/* The final harvest, quiescent: every write must have shown by now. */
		for (int i = 0; i < MAX_INIT && s->init[i].kind != OP_END; i++)
			if (s->init[i].kind == OP_REGION && (s->init[i].flags & LOG))
				dirty_harvest(s->init[i].slot, false, "final harvest");
		dirty_verify();
	}
	if (s->ring_bytes)
		ring_verify();
	monitor_final();
	chk_host_final_check();
	vmmu_vm_destroy(cur_vm);
	cur_vm = NULL;
	return 0;
}

void scenarios_cleanup(void)
{
	oracle_destroy(orc);
	orc = NULL;
	chk_host_free_all();
}

const struct scenario scenarios[] = {
	{ "create-mmio", "2 vCPUs read a gfn while the updater creates a slot there and "
	  "enables dirty logging", scen_run, &create_mmio },
	{ "wrap-as0", "1 vCPU, 4 swaps wrap a 2-bit MMIO generation (nr_as 1)", scen_run,
	  &wrap_as0 },
	{ "wrap-as1", "1 vCPU in address space 1, 2 swaps wrap a 2-bit MMIO generation "
	  "(nr_as 2)", scen_run, &wrap_as1 },
	{ "invalidate", "2 vCPUs read/write a RAM page while the host replaces it "
	  "(start, replace, end, free)", scen_run, &invalidate },
	{ "change-pte", "1 vCPU reads a page the host replaces with change_pte inside "
	  "start/end", scen_run, &change_pte },
	{ "wrap-invalidate", "1 vCPU reads a page the host replaces while 4 swaps elsewhere "
	  "wrap a 2-bit MMIO generation (zap-all)", scen_run, &wrap_invalidate },
	{ "swap-invalidate", "delete a slot and re-create it elsewhere over a host page "
	  "the host is invalidating", scen_run, &swap_invalidate },
	{ "storm-overlap", "brackets on pages 0 and 2 overlap while a vCPU faults page 1 and "
	  "a slot is created and deleted elsewhere (range-precise retry)", scen_run,
	  &storm_overlap },
	{ "move-delete", "2 vCPUs read/write while a slot moves and another is deleted "
	  "(nr_as 2)", scen_run, &move_delete },
	{ "age-dirty", "dirty logging: a vCPU writes, clear_young, another vCPU reads, "
	  "GET_DIRTY_LOG x2 (defect 1)", scen_run, &age_dirty },
	{ "age-dirty-manual", "age-dirty with manual protect: GET + CLEAR_DIRTY_LOG x2 "
	  "(defect 1)", scen_run, &age_dirty_manual },
	{ "age-young", "age-dirty with test_young and clear_flush_young (defect 1)", scen_run,
	  &age_young },
	{ "noslot-create", "a no-slot fault from the old set races CREATE and another vCPU's "
	  "fault; then DELETE and munmap (defect 2)", scen_run, &noslot_create },
	{ "bracket-neighbour", "direct backend: a neighbour page faulted inside start/munmap/end "
	  "of a page, then the page (defect 3)", scen_run, &bracket_neighbour },
	{ "rw-replace", "direct backend: read_guest/write_guest against start, munmap + "
	  "mmap(MAP_FIXED), end (defect 4)", scen_run, &rw_replace },
	{ "change-pte-cross", "change_pte with brackets open on another range and in the other "
	  "address space (nr_as 2; defect 5)", scen_run, &change_pte_cross },
	{ "prefetch-neighbour", "a fault maps its page and prefetches the neighbour that the "
	  "host replaces in a bracket of its own", scen_run, &prefetch_neighbour },
	{ "prefetch-adjacent", "a fault prefetches from the next slot only where its host "
	  "memory continues the fault's, while the host replaces that page and the updater "
	  "deletes the slot and creates it again over other host memory", scen_run,
	  &prefetch_adjacent },
	{ "prefetch-adjacent-log", "a fault next to a dirty-logged slot that continues its "
	  "slot: no prefetch into the logged slot", scen_run, &prefetch_adjacent_log },
	{ "hostmm-lib", "the library's simulated host MM: 2 vCPUs vs migrate, swap-out, "
	  "munmap (src/hostmm.c)", scen_run, &hostmm_lib },
	{ "batch-split-merge", "2 vCPUs read and copy a range while one atomic batch splits "
	  "its slot in two over the same host pages and another merges them back", scen_run,
	  &batch_split_merge },
	{ "ring-harvest", "dirty ring: 2 vCPUs write while a collector harvests, resets and "
	  "copies twice; the final copy must equal guest memory", scen_run, &ring_harvest },
};

const int nr_scenarios = sizeof(scenarios) / sizeof(scenarios[0]);

const struct scenario *scenario_find(const char *name)
{
	for (int i = 0; i < nr_scenarios; i++)
		if (!strcmp(scenarios[i].name, name))
			return &scenarios[i];
	return NULL;
}
