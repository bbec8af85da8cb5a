/* SPDX-License-Identifier: MIT */
/*
 * Randomized differential test of vmmu_set_user_memory_region() against a
 * deliberately simple reference model: one array of slots per address space,
 * indexed by id, with O(n) overlap checks.  The model evaluates the checks
 * of KVM_SET_USER_MEMORY_REGION in KVM's order (docs/KVM-SEMANTICS.md, "The checks, in order") and
 * the generation arithmetic ("Generation arithmetic").
 *
 * After every operation the return value and the generation of every
 * address space must match the model.  Every few operations a handful of
 * gpas are resolved through a vCPU (vmmu_vcpu_read_guest, _write_guest and
 * vmmu_vcpu_access) and compared with the model's map: RAM with the right
 * host bytes, -EFAULT, or an MMIO exit.
 *
 * Usage: test_memslot_model [seed [ops]]   (seed also from $VMMU_TEST_SEED)
 */
#include <stdbool.h>

#include <vmmu.h>

#include "../test_util.h"

#define PAGE		VMMU_PAGE_SIZE
#define USER_VA_MAX	((1ull << 47) - PAGE)
#define GEN_IP		VMMU_MEMSLOT_GEN_UPDATE_IN_PROGRESS
#define VALID_FLAGS	(VMMU_MEM_LOG_DIRTY_PAGES | VMMU_MEM_READONLY)

#define MAX_SLOTS_CAP	64u	/* upper bound of the randomized max_user_slots */
#define WIN_PAGES	96u	/* the gpa window most slots live in */
#define MAX_SLOT_PAGES	8u
#define BACK_PAGES	(128u + MAX_SLOT_PAGES)
#define SALT		0x6a09e667f3bcc909ull
/* Host addresses below mmap_min_addr: in range for KVM, never mappable. */
#define LOW_HVA_MAX	0x8000ull

enum backing {
	BACK_RAM,	/* inside our pattern buffer */
	BACK_NONE,	/* below mmap_min_addr: accesses give -EFAULT */
	BACK_UNKNOWN,	/* somewhere else: lookups in it are not checked */
};

struct mslot {
	bool used;
	uint32_t flags;
	uint64_t base_gfn, npages, hva;
	enum backing back;
};

/* Outcome classes, for the coverage histogram. */
enum outcome {
	O_CREATE, O_DELETE, O_MOVE, O_FLAGS, O_NOOP,
	O_E_ID, O_E_FLAGS, O_E_SIZE, O_E_GPA, O_E_HVA, O_E_AS, O_E_WRAP, O_E_NPAGES,
	O_E_DEL_MISSING, O_E_MODIFY, O_EEXIST, O_E_MAXGPA,
	O_NR,
};

static const char *const outcome_name[O_NR] = {
	"create", "delete", "move", "flags_only", "noop",
	"einval_slot_id", "einval_flags", "einval_size", "einval_gpa", "einval_hva",
	"einval_as_id", "einval_gpa_wrap", "einval_npages", "einval_delete_missing",
	"einval_modify", "eexist_overlap", "einval_max_gpa",
};

struct model {
	uint32_t nr_as, max_slots;
	uint64_t max_gfn;
	uint64_t gen[VMMU_MAX_ADDRESS_SPACES];
	struct mslot s[VMMU_MAX_ADDRESS_SPACES][MAX_SLOTS_CAP];
};

struct op {
	uint32_t slot, flags;
	uint64_t gpa, size, hva;
};

static uint64_t g_seed;
static unsigned long g_opi;
static uint8_t *g_back;		/* the pattern buffer */

static uint64_t pattern_at(uint64_t hva)
{
	return hva ^ SALT;
}

static enum backing classify_hva(uint64_t hva, uint64_t size)
{
	uint64_t b = (uint64_t)(uintptr_t)g_back;

	if (hva >= b && hva + size <= b + BACK_PAGES * PAGE)
		return BACK_RAM;
	if (hva + size <= LOW_HVA_MAX + MAX_SLOT_PAGES * PAGE)
		return BACK_NONE;
	return BACK_UNKNOWN;
}

static bool ranges_overlap(uint64_t a, uint64_t an, uint64_t b, uint64_t bn)
{
	return a < b + bn && b < a + an;
}

/*
 * The reference: KVM's checks in order (kvm_vm_ioctl_set_memory_region,
 * then kvm_set_memory_region, then the x86 prepare hook's TDP-reach check).
 * On success the model is updated and the generation advanced.
 */
static int model_apply(struct model *m, const struct op *op, enum outcome *out)
{
	uint32_t as = op->slot >> 16, id = op->slot & 0xffff;
	uint64_t npages, base_gfn;
	struct mslot *old;

#define REJECT(o, e) do { *out = (o); return (e); } while (0)
	if (id >= m->max_slots)
		REJECT(O_E_ID, -EINVAL);
	if (op->flags & ~VALID_FLAGS)
		REJECT(O_E_FLAGS, -EINVAL);
	if (op->size & (PAGE - 1))
		REJECT(O_E_SIZE, -EINVAL);
	if (op->gpa & (PAGE - 1))
		REJECT(O_E_GPA, -EINVAL);
	/* access_ok(hva, size): the whole range at or below USER_VA_MAX. */
	if ((op->hva & (PAGE - 1)) || op->hva + op->size < op->hva ||
	    op->hva + op->size > USER_VA_MAX)
		REJECT(O_E_HVA, -EINVAL);
	if (as >= m->nr_as || id >= VMMU_MEM_SLOTS_NUM)
		REJECT(O_E_AS, -EINVAL);
	if (op->gpa + op->size < op->gpa)
		REJECT(O_E_WRAP, -EINVAL);
	npages = op->size / PAGE;
	if (npages > VMMU_MEM_MAX_NR_PAGES)
		REJECT(O_E_NPAGES, -EINVAL);

	old = &m->s[as][id];
	if (!op->size) {
		if (!old->used)
			REJECT(O_E_DEL_MISSING, -EINVAL);
		old->used = false;
		m->gen[as] += 2 * m->nr_as;
		*out = O_DELETE;
		return 0;
	}

	base_gfn = op->gpa / PAGE;
	if (old->used) {
		if (op->hva != old->hva || npages != old->npages ||
		    ((op->flags ^ old->flags) & VMMU_MEM_READONLY))
			REJECT(O_E_MODIFY, -EINVAL);
		if (base_gfn == old->base_gfn) {
			if (op->flags == old->flags)
				REJECT(O_NOOP, 0);
			old->flags = op->flags;
			m->gen[as] += m->nr_as;
			*out = O_FLAGS;
			return 0;
		}
	}
	/* CREATE or MOVE: overlap with any other id in this AS, then reach. */
	for (uint32_t i = 0; i < m->max_slots; i++) {
		struct mslot *s = &m->s[as][i];

		if (i != id && s->used && ranges_overlap(s->base_gfn, s->npages, base_gfn, npages))
			REJECT(O_EEXIST, -EEXIST);
	}
	if (base_gfn + npages - 1 > m->max_gfn)
		REJECT(O_E_MAXGPA, -EINVAL);
#undef REJECT

	*out = old->used ? O_MOVE : O_CREATE;
	m->gen[as] += (old->used ? 2 : 1) * (uint64_t)m->nr_as;
	old->used = true;
	old->flags = op->flags;
	old->base_gfn = base_gfn;
	old->npages = npages;
	old->hva = op->hva;
	old->back = classify_hva(op->hva, op->size);
	return 0;
}

static const struct mslot *model_lookup(const struct model *m, uint32_t as, uint64_t gfn)
{
	for (uint32_t i = 0; i < m->max_slots; i++) {
		const struct mslot *s = &m->s[as][i];

		if (s->used && gfn - s->base_gfn < s->npages)
			return s;
	}
	return NULL;
}

/* A random used slot of @as, or NULL. */
static struct mslot *pick_used(struct model *m, struct test_rng *r, uint32_t as, uint32_t *idp)
{
	uint32_t ids[MAX_SLOTS_CAP], n = 0;

	for (uint32_t i = 0; i < m->max_slots; i++)
		if (m->s[as][i].used)
			ids[n++] = i;
	if (!n)
		return NULL;
	*idp = ids[test_rng_below(r, n)];
	return &m->s[as][*idp];
}

static void dump_model(const struct model *m)
{
	for (uint32_t as = 0; as < m->nr_as; as++) {
		fprintf(stderr, "  model AS%u gen %llu:\n", as, (unsigned long long)m->gen[as]);
		for (uint32_t i = 0; i < m->max_slots; i++) {
			const struct mslot *s = &m->s[as][i];

			if (s->used)
				fprintf(stderr, "    slot %2u gfn [%#llx, %#llx) flags %#x hva %#llx\n",
					i, (unsigned long long)s->base_gfn,
					(unsigned long long)(s->base_gfn + s->npages), s->flags,
					(unsigned long long)s->hva);
		}
	}
}

static void __attribute__((noreturn, format(printf, 3, 4)))
mismatch(const struct model *m, const struct op *op, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "==== MISMATCH at op #%lu (seed=%llu) ====\n", g_opi,
		(unsigned long long)g_seed);
	if (op)
		fprintf(stderr, "  op: slot as=%u id=%u flags %#x gpa %#llx size %#llx hva %#llx\n",
			op->slot >> 16, op->slot & 0xffff, op->flags,
			(unsigned long long)op->gpa, (unsigned long long)op->size,
			(unsigned long long)op->hva);
	fprintf(stderr, "  ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	dump_model(m);
	fprintf(stderr, "  replay: test_memslot_model %llu %lu\n", (unsigned long long)g_seed,
		g_opi + 1);
	exit(KSFT_FAIL);
}

/* ------------------------------------------------------------------------ */
/* Operation generator                                                       */
/* ------------------------------------------------------------------------ */

static uint64_t rand_size(struct test_rng *r)
{
	return (1 + test_rng_below(r, MAX_SLOT_PAGES)) * PAGE;
}

static uint64_t rand_hva(struct test_rng *r, uint64_t size)
{
	if (test_rng_below(r, 20) == 0)
		return (1 + test_rng_below(r, LOW_HVA_MAX / PAGE)) * PAGE;	/* unmapped */
	return (uint64_t)(uintptr_t)g_back +
	       test_rng_below(r, BACK_PAGES - size / PAGE + 1) * PAGE;
}

static uint64_t rand_gpa(struct test_rng *r, const struct model *m)
{
	uint64_t top = (m->max_gfn + 1) * PAGE;

	switch (test_rng_below(r, 40)) {
	case 0:	/* at the end of the TDP reach: fits, straddles or beyond */
		return top - test_rng_below(r, 2 * MAX_SLOT_PAGES) * PAGE +
		       test_rng_below(r, 3) * PAGE;
	case 1:	/* at the top of the u64 space: wraps, or just beyond reach */
		return 0 - (1 + test_rng_below(r, 2 * MAX_SLOT_PAGES)) * PAGE;
	default:
		return test_rng_below(r, WIN_PAGES) * PAGE;
	}
}

static uint32_t rand_flags(struct test_rng *r)
{
	return (uint32_t)test_rng_below(r, 4);
}

static void gen_op(struct test_rng *r, struct model *m, struct op *op)
{
	uint32_t as, id, x;
	struct mslot *s = NULL;

	/* Address space: mostly the valid ones. */
	x = test_rng_below(r, 100);
	if (m->nr_as == 1 && x < 94)
		as = x < 90 ? 0 : 1;
	else if (x < 47)
		as = 0;
	else if (x < 94)
		as = 1;
	else if (x < 97)
		as = 2;
	else
		as = (uint32_t)test_rng_below(r, 0x10000);
	/* Slot id: mostly below the limit, sometimes just above or anywhere. */
	x = test_rng_below(r, 100);
	if (x < 92)
		id = (uint32_t)test_rng_below(r, m->max_slots);
	else if (x < 98)
		id = m->max_slots + (uint32_t)test_rng_below(r, 4);
	else
		id = (uint32_t)test_rng_below(r, 0x10000);

	x = test_rng_below(r, 100);
	if (x < 40 && as < m->nr_as && (s = pick_used(m, r, as, &id))) {
		/* Modify an existing slot: start from its parameters. */
		op->flags = s->flags;
		op->gpa = s->base_gfn * PAGE;
		op->size = s->npages * PAGE;
		op->hva = s->hva;
		switch (test_rng_below(r, 12)) {
		case 0: case 1: case 2:		/* MOVE, often overlapping */
			op->gpa = rand_gpa(r, m);
			break;
		case 3:				/* MOVE by a page or two */
			op->gpa += (test_rng_below(r, 5) - 2) * PAGE;
			break;
		case 4: case 5:			/* FLAGS_ONLY */
			op->flags ^= VMMU_MEM_LOG_DIRTY_PAGES;
			break;
		case 6:				/* no-op */
			break;
		case 7:				/* MOVE + flags */
			op->gpa = rand_gpa(r, m);
			op->flags ^= VMMU_MEM_LOG_DIRTY_PAGES;
			break;
		case 8:				/* hva change */
			op->hva = rand_hva(r, op->size);
			break;
		case 9:				/* size change */
			op->size = rand_size(r);
			break;
		case 10:			/* READONLY toggle */
			op->flags ^= VMMU_MEM_READONLY;
			break;
		case 11:			/* everything random */
			op->flags = rand_flags(r);
			op->gpa = rand_gpa(r, m);
			op->size = rand_size(r);
			op->hva = rand_hva(r, op->size);
			break;
		}
	} else if (x < 60) {
		/* DELETE: often of an existing slot, with arbitrary other fields. */
		if (as < m->nr_as && test_rng_below(r, 4))
			pick_used(m, r, as, &id);
		op->flags = rand_flags(r);
		op->gpa = test_rng_below(r, 2) ? 0 : rand_gpa(r, m);
		op->size = 0;
		op->hva = test_rng_below(r, 2) ? 0 : rand_hva(r, PAGE);
	} else {
		/* CREATE (or, if the id is in use, a modification). */
		op->flags = rand_flags(r);
		op->gpa = rand_gpa(r, m);
		op->size = rand_size(r);
		op->hva = rand_hva(r, op->size);
	}
	op->slot = (as << 16) | id;

	/* Corrupt one field now and then. */
	if (test_rng_below(r, 5))
		return;
	switch (test_rng_below(r, 13)) {
	case 0:	/* a flag bit outside LOG_DIRTY | READONLY */
		op->flags |= 1u << (2 + test_rng_below(r, 30));
		break;
	case 1:	/* size not a page multiple */
		op->size += 1 + test_rng_below(r, PAGE - 1);
		break;
	case 2:	/* gpa not page aligned */
		op->gpa += 1 + test_rng_below(r, PAGE - 1);
		break;
	case 3:	/* hva not page aligned */
		op->hva += 1 + test_rng_below(r, PAGE - 1);
		break;
	case 4:	/* hva range beyond the user half, or at its very end */
		op->hva = USER_VA_MAX - op->size + (test_rng_below(r, 4) - 1) * PAGE;
		break;
	case 5:	/* hva in the kernel half or wrapping */
		op->hva = test_rng_below(r, 2) ? 0xffff800000000000ull : 0 - op->size;
		break;
	case 6:	/* gpa + size wraps */
		op->gpa = 0 - test_rng_below(r, op->size / PAGE + 2) * PAGE;
		break;
	case 7:	/* too many pages, or exactly the maximum */
		op->size = (VMMU_MEM_MAX_NR_PAGES + test_rng_below(r, 3)) * PAGE;
		op->hva = test_rng_below(r, 4) ? PAGE : (uint64_t)(uintptr_t)g_back;
		op->gpa = test_rng_below(r, 2) ? 1ull << 44 : rand_gpa(r, m);
		op->flags &= ~VMMU_MEM_LOG_DIRTY_PAGES;
		break;
	case 8:	/* size way beyond the user half */
		op->size = (1ull << 47) + test_rng_below(r, 4) * PAGE;
		break;
	case 9:	/* gpa at the end of the TDP reach */
		op->gpa = (m->max_gfn + 1 - test_rng_below(r, MAX_SLOT_PAGES + 2)) * PAGE;
		break;
	case 10: /* gpa far beyond the TDP reach, no wrap */
		op->gpa = (m->max_gfn + 1 + test_rng_below(r, 1u << 20)) * PAGE;
		break;
	case 11: /* the internal INVALID bit */
		op->flags |= 1u << 16;
		break;
	case 12: /* slot id beyond the limit in a valid AS */
		op->slot = (op->slot & 0xffff0000u) |
			   (m->max_slots + (uint32_t)test_rng_below(r, 3));
		break;
	}
}

/* ------------------------------------------------------------------------ */
/* Lookups through a vCPU                                                    */
/* ------------------------------------------------------------------------ */

static unsigned long g_lookups, g_lookups_ram, g_lookups_skipped;

static void check_lookup(struct model *m, struct vmmu_vcpu *vcpu, uint32_t as, uint64_t gpa)
{
	const struct mslot *s = model_lookup(m, as, gpa / PAGE);
	uint64_t hva = 0, want = 0, v, w;
	bool ram, ro;
	struct vmmu_exit ex;
	int r;

	if (s && s->back == BACK_UNKNOWN) {
		g_lookups_skipped++;
		return;
	}
	g_lookups++;
	ram = s && s->back == BACK_RAM;
	ro = s && (s->flags & VMMU_MEM_READONLY);
	if (ram) {
		hva = s->hva + (gpa / PAGE - s->base_gfn) * PAGE + (gpa & (PAGE - 1));
		want = pattern_at(hva);
		g_lookups_ram++;
	}

	/* kvm_vcpu_read_guest */
	v = 0;
	r = vmmu_vcpu_read_guest(vcpu, gpa, &v, 8);
	if (r != (ram ? 0 : -EFAULT) || (ram && v != want))
		mismatch(m, NULL, "AS%u gpa %#llx: read_guest = %d value %#llx, expected %d value %#llx",
			 as, (unsigned long long)gpa, r, (unsigned long long)v, ram ? 0 : -EFAULT,
			 (unsigned long long)want);

	/* a guest load */
	v = 0;
	memset(&ex, 0, sizeof(ex));
	r = vmmu_vcpu_access(vcpu, gpa, &v, 8, 0, &ex);
	if (ram) {
		if (r != 0 || v != want)
			mismatch(m, NULL, "AS%u gpa %#llx: load = %d value %#llx, expected RAM %#llx",
				 as, (unsigned long long)gpa, r, (unsigned long long)v,
				 (unsigned long long)want);
	} else if (s) {
		if (r != -EFAULT)
			mismatch(m, NULL, "AS%u gpa %#llx: load = %d, expected -EFAULT (unmapped hva)",
				 as, (unsigned long long)gpa, r);
	} else if (r != VMMU_EXIT_MMIO || ex.reason != VMMU_EXIT_MMIO ||
		   ex.mmio.phys_addr != gpa || ex.mmio.len != 8 || ex.mmio.is_write) {
		mismatch(m, NULL, "AS%u gpa %#llx: load = %d (exit %u addr %#llx len %u w %u), "
			 "expected MMIO", as, (unsigned long long)gpa, r, ex.reason,
			 (unsigned long long)ex.mmio.phys_addr, ex.mmio.len, ex.mmio.is_write);
	}

	/* a guest store: the same value to RAM, a different one where it must not land */
	w = ram && !ro ? want : ~want;
	memset(&ex, 0, sizeof(ex));
	r = vmmu_vcpu_access(vcpu, gpa, &w, 8, VMMU_ACCESS_WRITE, &ex);
	if (ram && !ro) {
		if (r != 0)
			mismatch(m, NULL, "AS%u gpa %#llx: store = %d, expected RAM", as,
				 (unsigned long long)gpa, r);
	} else if (s && !ro) {
		if (r != -EFAULT)
			mismatch(m, NULL, "AS%u gpa %#llx: store = %d, expected -EFAULT", as,
				 (unsigned long long)gpa, r);
	} else if (r != VMMU_EXIT_MMIO || ex.mmio.phys_addr != gpa || !ex.mmio.is_write ||
		   memcmp(ex.mmio.data, &w, 8)) {
		mismatch(m, NULL, "AS%u gpa %#llx: store = %d, expected MMIO (%s)", as,
			 (unsigned long long)gpa, r, ro ? "READONLY slot" : "no slot");
	}
	if (ram && *(uint64_t *)(uintptr_t)hva != want)
		mismatch(m, NULL, "AS%u gpa %#llx: host memory at %#llx changed to %#llx",
			 as, (unsigned long long)gpa, (unsigned long long)hva,
			 (unsigned long long)*(uint64_t *)(uintptr_t)hva);

	/* kvm_vcpu_write_guest */
	r = vmmu_vcpu_write_guest(vcpu, gpa, &want, 8);
	if (r != (ram && !ro ? 0 : -EFAULT))
		mismatch(m, NULL, "AS%u gpa %#llx: write_guest = %d, expected %d", as,
			 (unsigned long long)gpa, r, ram && !ro ? 0 : -EFAULT);
}

static void check_lookups(struct model *m, struct vmmu_vcpu *vcpu, struct test_rng *r)
{
	uint32_t as = (uint32_t)test_rng_below(r, m->nr_as), id;
	int ret = vmmu_vcpu_set_address_space(vcpu, as);

	if (ret)
		mismatch(m, NULL, "vmmu_vcpu_set_address_space(%u) = %d", as, ret);
	for (int k = 0; k < 4; k++) {
		struct mslot *s;
		uint64_t gpa;

		if (test_rng_below(r, 3) && (s = pick_used(m, r, as, &id)))
			gpa = (s->base_gfn + test_rng_below(r, s->npages + 2) - 1) * PAGE;
		else if (test_rng_below(r, 16))
			gpa = test_rng_below(r, WIN_PAGES + 2) * PAGE;
		else
			gpa = (m->max_gfn + 1 - test_rng_below(r, 2 * MAX_SLOT_PAGES)) * PAGE;
		gpa += test_rng_below(r, PAGE / 8) * 8;
		check_lookup(m, vcpu, as, gpa);
	}
}

/* ------------------------------------------------------------------------ */

static void check_gens(struct model *m, struct vmmu_vm *vm, const struct op *op)
{
	for (uint32_t as = 0; as < m->nr_as; as++) {
		uint64_t g = vmmu_memslots_generation(vm, as);

		if (g != m->gen[as])
			mismatch(m, op, "AS%u generation %#llx, expected %#llx", as,
				 (unsigned long long)g, (unsigned long long)m->gen[as]);
		if (g & GEN_IP)
			mismatch(m, op, "AS%u generation has UPDATE_IN_PROGRESS after return", as);
	}
}

int main(int argc, char **argv)
{
	unsigned long ops = argc > 2 ? strtoul(argv[2], NULL, 0) : 100000;
	unsigned long hist[O_NR] = { 0 };
	struct vmmu_vm_config cfg = { 0 };
	struct vmmu_vcpu *vcpu;
	struct vmmu_vm *vm;
	struct test_rng rng;
	static struct model m;
	double t0;
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	g_seed = test_seed(argc > 1 ? argv[1] : NULL);
	printf("seed=%llu ops=%lu\n", (unsigned long long)g_seed, ops);
	test_rng_init(&rng, g_seed);

	/* The VM shape, from the seed. */
	cfg.nr_address_spaces = test_rng_below(&rng, 4) ? 2 : 1;
	cfg.max_user_slots = 16 + (uint32_t)test_rng_below(&rng, MAX_SLOTS_CAP - 16 + 1);
	cfg.mmio_gen_bits = test_rng_below(&rng, 2) ? 1 + (uint32_t)test_rng_below(&rng, 4)
						    : 1 + (uint32_t)test_rng_below(&rng, 19);
	cfg.flags = test_rng_below(&rng, 2) ? VMMU_VM_QUIRK_SLOT_ZAP_ALL : 0;
	cfg.max_gpa_bits = 32 + (uint32_t)test_rng_below(&rng, 21);
	printf("# nr_as=%u max_user_slots=%u mmio_gen_bits=%u flags=%#x max_gpa_bits=%u\n",
	       cfg.nr_address_spaces, cfg.max_user_slots, cfg.mmio_gen_bits, cfg.flags,
	       cfg.max_gpa_bits);

	vm = test_vm_create(&cfg);
	vcpu = test_vcpu_create(vm, 0);

	m.nr_as = cfg.nr_address_spaces;
	m.max_slots = cfg.max_user_slots;
	m.max_gfn = (1ull << (cfg.max_gpa_bits - VMMU_PAGE_SHIFT)) - 1;
	for (uint32_t as = 0; as < m.nr_as; as++)
		m.gen[as] = as;

	g_back = test_alloc_guest(BACK_PAGES * PAGE);
	for (uint64_t *w = (uint64_t *)g_back; (uint8_t *)w < g_back + BACK_PAGES * PAGE; w++)
		*w = pattern_at((uint64_t)(uintptr_t)w);

	check_gens(&m, vm, NULL);
	t0 = test_now();
	for (g_opi = 0; g_opi < ops; g_opi++) {
		enum outcome o;
		struct op op;
		int want;

		gen_op(&rng, &m, &op);
		want = model_apply(&m, &op, &o);
		r = test_set_region(vm, op.slot, op.flags, op.gpa, op.size, op.hva);
		if (r != want)
			mismatch(&m, &op, "returned %d (%s), expected %d (%s) [%s]; model %s",
				 r, vmmu_strerror(r), want, vmmu_strerror(want), outcome_name[o],
				 want ? "unchanged" : "already updated");
		hist[o]++;
		check_gens(&m, vm, &op);
		if (g_opi % 8 == 7)
			check_lookups(&m, vcpu, &rng);
	}
	for (uint32_t as = m.nr_as; as <= VMMU_MAX_ADDRESS_SPACES; as++)
		TEST_ASSERT_EQ(vmmu_memslots_generation(vm, as), UINT64_MAX);

	printf("# %lu ops in %.3f s; lookups: %lu checked (%lu RAM), %lu skipped\n", ops,
	       test_now() - t0, g_lookups, g_lookups_ram, g_lookups_skipped);
	printf("# outcomes:");
	for (int i = 0; i < O_NR; i++)
		printf(" %s=%lu", outcome_name[i], hist[i]);
	printf("\n");
	/* The generator must keep reaching every path the model distinguishes. */
	if (ops >= 100000) {
		for (int i = 0; i < O_NR; i++)
			TEST_ASSERT(hist[i] > 0, "outcome %s never happened (seed=%llu)",
				    outcome_name[i], (unsigned long long)g_seed);
		TEST_ASSERT(g_lookups_ram > 0, "no RAM lookup happened");
	}

	vmmu_vcpu_destroy(vcpu);
	vmmu_vm_destroy(vm);
	munmap(g_back, BACK_PAGES * PAGE);
	printf("PASS memslot_model\n");
	return KSFT_PASS;
}
