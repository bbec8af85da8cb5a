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
	OP_CHANGE_PTE,	/* change_pte(hpage -> its current frame, read-only) */
	OP_RELEASE,	/* free (poison) the frames replaced so far */
};

struct op {
	uint8_t kind;
	uint8_t bracket;	/* start/end around change_pte (see change-pte-unbracketed) */
	uint32_t slot;		/* OP_REGION: as_id << 16 | id */
	uint32_t flags;		/* OP_REGION */
	uint64_t gpa;
	uint32_t pages;		/* OP_REGION: 0 deletes */
	uint32_t hpage;		/* host page */
};

#define MAX_OPS		6
#define MAX_SCRIPTS	4
#define MAX_INIT	3

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
	struct op init[MAX_INIT];
	struct script scripts[MAX_SCRIPTS];
};

#define R(g)		{ .kind = OP_READ, .gpa = (g) }
#define W(g)		{ .kind = OP_WRITE, .gpa = (g) }
#define REGION(s, g, n, hp, f)	{ .kind = OP_REGION, .slot = (s), .gpa = (g), .pages = (n), \
				  .hpage = (hp), .flags = (f) }
#define INV_START(hp)	{ .kind = OP_INV_START, .hpage = (hp) }
#define INV_END(hp)	{ .kind = OP_INV_END, .hpage = (hp) }
#define BRACKET_START(hp) { .kind = OP_INV_START, .hpage = (hp), .bracket = 1 }
#define BRACKET_END(hp)	{ .kind = OP_INV_END, .hpage = (hp), .bracket = 1 }
#define REPLACE(hp)	{ .kind = OP_REPLACE, .hpage = (hp) }
#define CHANGE_PTE(hp)	{ .kind = OP_CHANGE_PTE, .hpage = (hp) }
#define RELEASE()	{ .kind = OP_RELEASE }

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

/* ---------------------------------------------------------------------- */
/* Running one schedule                                                    */
/* ---------------------------------------------------------------------- */

static const struct scen *cur_scen;
static struct vmmu_vm *cur_vm;
static struct vmmu_vcpu *cur_vcpus[2];
static struct oracle *orc;

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
	char why[600];
	int r;

	chk_trace("%s 0x%" PRIx64 " ...", write ? "write" : "read", gpa);
	a.t_begin = oracle_stamp(orc);
	r = vmmu_vcpu_access(vcpu, gpa, &data, 8, write ? VMMU_ACCESS_WRITE : 0, &exit);
	a.t_end = oracle_stamp(orc);
	a.ret = r;
	if (r == VMMU_EXIT_MMIO)
		a.outcome = ORACLE_MMIO;
	else if (r)
		a.outcome = ORACLE_ERROR;
	else if (write)
		a.outcome = ORACLE_RAM_WRITE;
	else
		a.outcome = chk_host_decode(data, &a.hva, &a.version);

	if (a.outcome == ORACLE_RAM_READ)
		chk_trace("... = RAM: host page %u v%u",
			  (unsigned int)((a.hva - HOST_BASE) >> 12), a.version);
	else
		chk_trace("... = %s", oracle_outcome_name(a.outcome));
	if (!oracle_check(orc, &a, why, sizeof(why)))
		chk_violation("%s: %s", who, why);
}

static void do_op(const struct op *op, int vcpu_idx, const char *who)
{
	uint64_t hva = HOST_BASE + ((uint64_t)op->hpage << 12);
	int r;

	switch (op->kind) {
	case OP_READ:
	case OP_WRITE:
		chk_point(NULL);
		do_access(vcpu_idx, op->gpa, op->kind == OP_WRITE, who);
		break;
	case OP_REGION: {
		const struct vmmu_userspace_memory_region m = {
			.slot = op->slot,
			.flags = op->flags,
			.guest_phys_addr = op->gpa,
			.memory_size = (uint64_t)op->pages << 12,
			.userspace_addr = hva,
		};

		chk_point(NULL);
		chk_trace("set region as%u slot %u gpa 0x%" PRIx64 " %s%s", op->slot >> 16,
			  op->slot & 0xffff, op->gpa, op->pages ? "size 1 page" : "size 0 (delete)",
			  op->flags & LOG ? " +dirty-log" : "");
		r = vmmu_set_user_memory_region(cur_vm, &m);
		chk_trace("set region -> %d", r);
		if (r)
			chk_violation("%s: vmmu_set_user_memory_region failed: %d", who, r);
		break;
	}
	case OP_INV_START:
		if (op->bracket && checker_variant(CHANGE_PTE_UNBRACKETED))
			break;
		chk_point(NULL);
		chk_trace("invalidate_range_start(page %u)", op->hpage);
		vmmu_mmu_notifier_invalidate_range_start(cur_vm, hva, hva + 4096);
		chk_trace("invalidate_range_start returned");
		break;
	case OP_INV_END:
		if (op->bracket && checker_variant(CHANGE_PTE_UNBRACKETED))
			break;
		chk_point(NULL);
		chk_trace("invalidate_range_end(page %u)", op->hpage);
		vmmu_mmu_notifier_invalidate_range_end(cur_vm, hva, hva + 4096);
		chk_trace("invalidate_range_end returned");
		break;
	case OP_REPLACE:
		chk_point(NULL);
		chk_host_replace(op->hpage);
		break;
	case OP_CHANGE_PTE:
		chk_point(NULL);
		chk_trace("change_pte(page %u -> new frame, read-only)", op->hpage);
		r = vmmu_mmu_notifier_change_pte(cur_vm, hva, chk_host_frame_addr(op->hpage), 0);
		if (r)
			chk_violation("%s: change_pte failed: %d", who, r);
		break;
	case OP_RELEASE:
		chk_point(NULL);
		chk_host_release();
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

static int scen_run(const struct scenario *sc)
{
	const struct scen *s = sc->data;
	struct vmmu_vm_config cfg = {
		.nr_address_spaces = s->nr_as,
		.mmio_gen_bits = s->mmio_gen_bits,
	};
	void (*fns[MAX_SCRIPTS])(struct cthread *t);
	const char *names[MAX_SCRIPTS];
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
	chk_host_reset(cur_vm, orc);
	for (int i = 0; i < s->nvcpus; i++) {
		if (vmmu_vcpu_create(cur_vm, (uint32_t)i, &cur_vcpus[i]))
			return -1;
		vmmu_vcpu_set_address_space(cur_vcpus[i], s->vcpu_as[i]);
	}
	for (int i = 0; i < MAX_INIT && s->init[i].kind != OP_END; i++)
		do_op(&s->init[i], -1, "setup");
	monitor_reset(cur_vm, orc, cur_vcpus, s->nvcpus);

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
		return 0;
	}
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
	{ "swap-invalidate", "delete a slot and re-create it elsewhere over a host page "
	  "the host is invalidating", scen_run, &swap_invalidate },
	{ "move-delete", "2 vCPUs read/write while a slot moves and another is deleted "
	  "(nr_as 2)", scen_run, &move_delete },
};

const int nr_scenarios = sizeof(scenarios) / sizeof(scenarios[0]);

const struct scenario *scenario_find(const char *name)
{
	for (int i = 0; i < nr_scenarios; i++)
		if (!strcmp(scenarios[i].name, name))
			return &scenarios[i];
	return NULL;
}
