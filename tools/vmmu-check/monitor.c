// SPDX-License-Identifier: MIT
/*
 * The monitor: at every scheduler entry it looks at the library's shared
 * state and checks the invariants that hold at every instant; it also
 * records each newly published memslot set into the oracle's map history,
 * at the exact point of the global order where it became visible (only the
 * publishing thread ran since the last entry).
 *
 * protocol (docs/INVARIANTS.md, 1-5):
 *	1.  a generation with bit 63 is visible only between "inactive set
 *	     tagged gen|IP" and "final generation stored"; the final
 *	     generation of an address space only ever moves up by nr_as; no
 *	     vCPU's MMIO info cache ever holds a generation with bit 63.
 *	2.  a memslot set is published only with every open bracket
 *	     extended: each slot of the new set that a bracket's host range
 *	     intersects has its gfns in that bracket's ranges.
 *	5.2  mmu_invalidate_in_progress never goes negative, and is 0 (and so
 *	     is the active count) when everything is quiescent.
 *	4.  at the install itself (vmmu_checker_fault_install below), from
 *	     the checker's own record of the brackets by host address
 *	     (independent of the library's ranges and counters): no bracket
 *	     whose start() is done covers the fault's host page, and none
 *	     that covers it has ended since the fault's snapshot.  (The
 *	     library's own rule is checked at the fault's locked check, and
 *	     a bracket may open, or an end() elsewhere bump the fault's
 *	     bucket, between that check and the install: start() then waits
 *	     for the install through the fault's intent.)
 *
 * translation coherence (tlb), whenever no thread holds mmu_lock for
 * write (every change that takes access away is made, and flushed, under
 * it; so the instant it is released, and at every step in between, the
 * vCPUs' caches must agree with the tables), for each gfn a scenario uses:
 *	- a valid software-TLB entry (gen == vcpu->tlb_gen) maps the frame of
 *	  a present SPTE, and is writable only if the SPTE is;
 *	- a valid paging-structure cache (walk_pt_gen == vcpu->tlb_gen) names
 *	  the leaf table the current root links for its 2 MiB;
 *	- a present SPTE lies in a slot of the active set (INVALID counts),
 *	  its bucket is marked mapped,
 *	  is writable only if the slot is, and, unless the host is between
 *	  start() and end() of that page, maps the host page's current frame;
 *	- an MMIO SPTE whose slice matches the current generation, and an
 *	  MMIO info cache entry tagged with it, name a gfn with no slot.
 *
 * dirty coverage (dirty), whenever no thread holds mmu_lock for write and
 * no memslot update is in flight: in a slot with a dirty bitmap, a gfn
 * that an SPTE or a valid TLB entry maps writable has its dirty bit set
 * (GET/CLEAR_DIRTY_LOG clear it only together with the write-protect and
 * the flush, under mmu_lock); with the dirty ring on, some vCPU's ring
 * holds an entry for it that the reset has not yet recycled.
 *
 * Host safety is checked at every guest-memory touch (hostmm.c) and
 * bracket coverage at every change_pte re-point (vmmu_checker_change_pte
 * below).
 */
#include <inttypes.h>
#include <string.h>

#include "check.h"
#include "dirty_ring.h"
#include "memslots.h"
#include "mmu.h"
#include "notifier.h"
#include "spte.h"
#include "vm.h"

#define MAX_SLOTS	16

enum report_once {
	ONCE_IP, ONCE_GEN, ONCE_CACHE, ONCE_NEG,
	ONCE_TLB, ONCE_SPTE_SLOT, ONCE_SPTE_HOST, ONCE_MMIO_SPTE, ONCE_MMIO_CACHE, ONCE_DIRTY,
	ONCE_BRACKET, ONCE_EXTEND, ONCE_OPEN, ONCE_MAPPED, ONCE_PT_CACHE,
	ONCE_NR
};

static struct vmmu_vm *mvm;
static struct oracle *morc;
static struct vmmu_vcpu **mvcpus;
static int mnvcpus;
static struct vmmu_memslots *last_set[VMMU_MAX_ADDRESS_SPACES];
static uint64_t last_gen[VMMU_MAX_ADDRESS_SPACES];
static bool swap_open;
static bool reported[ONCE_NR];
static uint64_t mgfns[MON_MAX_GFNS];
static int nmgfns;
int monitor_updates_in_flight;
unsigned int chk_monitors = (1u << MON_NR) - 1;

const char *monitor_name(enum monitor_id m)
{
	static const char *const n[MON_NR] = {
		[MON_PROTOCOL] = "protocol", [MON_TLB] = "tlb", [MON_DIRTY] = "dirty",
		[MON_HOST] = "host", [MON_BRACKET] = "bracket",
	};

	return m < MON_NR ? n[m] : "?";
}

static void record_map(uint32_t as, struct vmmu_memslots *slots)
{
	struct oracle_slot out[MAX_SLOTS];
	size_t n = 0;
	uint64_t t;

	for (struct avl_node *a = avl_first(&slots->gfn_tree); a && n < MAX_SLOTS; a = avl_next(a)) {
		const struct vmmu_memslot *s = gfn_node_to_slot(a, slots->node_idx);

		/* An INVALID slot (DELETE/MOVE in flight) may still be used
		 * until the update returns: it counts as present. */
		out[n++] = (struct oracle_slot){
			.base_gfn = s->base_gfn,
			.npages = s->npages,
			.hva = s->userspace_addr,
			.flags = s->flags,
		};
	}
	t = oracle_stamp(morc);
	oracle_map_set(morc, as, t, t, out, n);
}

/*
 * The checker's own record of the brackets, by host address: the ones whose
 * start() has computed its ranges, and the end()s, numbered (the epoch).
 */
#define GHOST_OPEN	64
#define GHOST_ENDED	1024
static struct { uint64_t start, end; } gopen[GHOST_OPEN];
static int ngopen;
static struct { uint64_t epoch, start, end; } gended[GHOST_ENDED];	/* ring */
static uint64_t gepoch;

static void ghost_reset(void)
{
	ngopen = 0;
	gepoch = 0;
}

void monitor_reset(struct vmmu_vm *vm, struct oracle *o, struct vmmu_vcpu **vcpus, int nvcpus,
		   const uint64_t *gfns, int ngfns)
{
	mvm = vm;
	morc = o;
	ghost_reset();
	mvcpus = vcpus;
	mnvcpus = nvcpus;
	swap_open = false;
	monitor_updates_in_flight = 0;
	nmgfns = ngfns < MON_MAX_GFNS ? ngfns : MON_MAX_GFNS;
	memcpy(mgfns, gfns, nmgfns * sizeof(*gfns));
	for (int i = 0; i < ONCE_NR; i++)
		reported[i] = false;
	for (uint32_t as = 0; as < vm->nr_as; as++) {
		last_set[as] = __kvm_memslots(vm, as);
		last_gen[as] = atomic_load_explicit(&last_set[as]->generation, memory_order_relaxed);
		record_map(as, last_set[as]);
	}
}

static bool once(enum report_once w)
{
	if (reported[w])
		return false;
	reported[w] = true;
	return true;
}

/* ---------------------------------------------------------------------- */
/* Translation coherence and dirty coverage                                */
/* ---------------------------------------------------------------------- */

static const struct vcpu_tlb_entry *valid_tlb_entry(struct vmmu_vcpu *v, uint64_t gfn)
{
	const struct vcpu_tlb_entry *e = &v->tlb[gfn % VCPU_TLB_SIZE];

	if (e->gfn != gfn || e->gen != atomic_load_explicit(&v->tlb_gen, memory_order_relaxed))
		return NULL;
	return e;
}

static void check_translations(struct vmmu_vm *vm)
{
	for (uint32_t as = 0; as < vm->nr_as; as++) {
		struct vmmu_memslots *slots = __kvm_memslots(vm, as);
		uint64_t gen = atomic_load_explicit(&slots->generation, memory_order_relaxed);
		bool gen_valid = !(gen & VMMU_MEMSLOT_GEN_UPDATE_IN_PROGRESS);

		for (int k = 0; k < nmgfns; k++) {
			uint64_t gfn = mgfns[k], spte = tdp_mmu_walk_lockless(vm, as, gfn), pfn;
			const struct vmmu_memslot *slot = search_memslots(slots, gfn);
			bool present = is_shadow_present_pte(spte);

			if (is_mmio_spte(spte) && gen_valid && slot &&
			    get_mmio_spte_generation(spte) == (gen & vm->mmio_gen_mask) &&
			    once(ONCE_MMIO_SPTE))
				chk_violation("translation coherence: address space %u gfn 0x%" PRIx64
					      " has an MMIO SPTE tagged with the current generation "
					      "%" PRIu64 ", but a slot exists there (stale MMIO exits)",
					      as, gfn, gen);
			if (present && !atomic_load_explicit(&mn_bucket(vm, as, gfn)->mapped,
							      memory_order_relaxed) &&
			    once(ONCE_MAPPED))
				chk_violation("translation coherence: address space %u gfn 0x%" PRIx64
					      " has a present SPTE but its bucket is not marked "
					      "mapped (a start() over it would skip its zap)", as, gfn);
			if (present && !slot && once(ONCE_SPTE_SLOT))
				chk_violation("translation coherence: address space %u gfn 0x%" PRIx64
					      " has a present SPTE but no memslot", as, gfn);
			if (present && slot && is_writable_pte(spte) &&
			    (slot->flags & VMMU_MEM_READONLY) && once(ONCE_SPTE_SLOT))
				chk_violation("translation coherence: address space %u gfn 0x%" PRIx64
					      " has a writable SPTE in a READONLY slot", as, gfn);
			if (present && slot &&
			    chk_host_expected_pfn(__gfn_to_hva_memslot(slot, gfn), &pfn) &&
			    spte_to_pfn(spte) != pfn && once(ONCE_SPTE_HOST))
				chk_violation("translation coherence: address space %u gfn 0x%" PRIx64
					      " has an SPTE mapping frame 0x%" PRIx64 ", but host page "
					      "hva 0x%" PRIx64 " is %s, and no bracket of it is open", as,
					      gfn, (uint64_t)spte_to_pfn(spte),
					      (uint64_t)__gfn_to_hva_memslot(slot, gfn),
					      pfn ? "another frame" : "not mapped");
			for (int i = 0; i < mnvcpus; i++) {
				struct vmmu_vcpu *v = mvcpus[i];
				const struct vcpu_tlb_entry *e;

				if (v->as_id != as || !(e = valid_tlb_entry(v, gfn)))
					continue;
				if ((!present || spte_to_pfn(spte) != (uintptr_t)e->host >> PAGE_SHIFT ||
				     (e->writable && !is_writable_pte(spte))) && once(ONCE_TLB))
					chk_violation("translation coherence: vCPU %d's TLB entry for gfn "
						      "0x%" PRIx64 " maps %p%s, but the SPTE is %s: a "
						      "translation was taken away without a flush", i,
						      gfn, (void *)e->host, e->writable ? " writable" : "",
						      !present ? (is_mmio_spte(spte) ? "an MMIO SPTE" :
								  "not present") :
						      spte_to_pfn(spte) != (uintptr_t)e->host >> PAGE_SHIFT ?
						      "another frame" : "read-only");
			}
		}
		for (int i = 0; i < mnvcpus; i++) {
			struct vmmu_vcpu *v = mvcpus[i];
			struct tdp_pt *leaf = NULL;

			/* The paging-structure cache, valid under the TLB's tag, names
			 * the leaf table the current root links for its 2 MiB. */
			if (v->as_id == as &&
			    v->walk_pt_gen == atomic_load_explicit(&v->tlb_gen, memory_order_relaxed)) {
				(void)tdp_mmu_walk_lockless_leaf(vm, as, v->walk_pt_base << PT64_LEVEL_BITS,
								 &leaf);
				if (leaf != v->walk_pt && once(ONCE_PT_CACHE))
					chk_violation("translation coherence: vCPU %d's paging-structure "
						      "cache names table %p for gfns 0x%" PRIx64 "+512, but "
						      "the current root links %p there: a table was "
						      "unlinked without a flush", i, (void *)v->walk_pt,
						      (uint64_t)v->walk_pt_base << PT64_LEVEL_BITS,
						      (void *)leaf);
			}
			if (v->as_id == as && gen_valid && v->mmio_gen == gen &&
			    search_memslots(slots, v->mmio_gfn) && once(ONCE_MMIO_CACHE))
				chk_violation("translation coherence: vCPU %d's MMIO info cache says gfn "
					      "0x%" PRIx64 " has no slot under the current generation "
					      "%" PRIu64 ", but it has one", i, (uint64_t)v->mmio_gfn, gen);
		}
	}
}

/*
 * With the dirty ring on, a page is covered while some vCPU's ring holds an
 * entry for it that the reset has not recycled yet (harvested or not: a
 * harvested page is copied after the reset that write-protects it).
 */
static bool ring_covers(struct vmmu_vm *vm, const struct vmmu_memslot *slot, uint64_t gfn)
{
	uint32_t want = (uint32_t)slot->as_id << 16 | slot->id;

	(void)vm;
	for (int i = 0; i < mnvcpus; i++) {
		struct kvm_dirty_ring *ring = atomic_load_explicit(&mvcpus[i]->dirty_ring,
								   memory_order_relaxed);
		uint32_t end, idx;

		if (!ring)
			continue;
		end = atomic_load_explicit(&ring->dirty_index, memory_order_relaxed);
		idx = atomic_load_explicit(&ring->reset_index, memory_order_relaxed);
		for (; idx != end; idx++) {
			const struct vmmu_dirty_gfn *e = &ring->dirty_gfns[idx & (ring->size - 1)];

			if (e->slot == want && e->offset == gfn - slot->base_gfn)
				return true;
		}
	}
	return false;
}

static void check_dirty(struct vmmu_vm *vm)
{
	for (uint32_t as = 0; as < vm->nr_as; as++) {
		struct vmmu_memslots *slots = __kvm_memslots(vm, as);

		for (int k = 0; k < nmgfns; k++) {
			uint64_t gfn = mgfns[k], spte, rel, bits;
			const struct vmmu_memslot *slot = search_memslots(slots, gfn);
			const char *who = NULL;
			char buf[32];

			if (!slot || !slot->dirty_bitmap)
				continue;
			spte = tdp_mmu_walk_lockless(vm, as, gfn);
			if (is_shadow_present_pte(spte) && is_writable_pte(spte))
				who = "its SPTE";
			for (int i = 0; !who && i < mnvcpus; i++) {
				const struct vcpu_tlb_entry *e;

				if (mvcpus[i]->as_id == as && (e = valid_tlb_entry(mvcpus[i], gfn)) &&
				    e->writable) {
					snprintf(buf, sizeof(buf), "vCPU %d's TLB entry", i);
					who = buf;
				}
			}
			if (!who)
				continue;
			if (kvm_dirty_ring_enabled(vm)) {
				if (!ring_covers(vm, slot, gfn) && once(ONCE_DIRTY))
					chk_violation("dirty coverage: address space %u gfn 0x%" PRIx64
						      " is in a dirty-logged slot and %s maps it "
						      "writable, but no vCPU's dirty ring holds an "
						      "entry for it that the reset has not recycled: "
						      "a write now reaches no harvest", as, gfn, who);
				continue;
			}
			rel = gfn - slot->base_gfn;
			bits = atomic_load_explicit(&slot->dirty_bitmap[rel / 64], memory_order_relaxed);
			if (!((bits >> (rel % 64)) & 1) && once(ONCE_DIRTY))
				chk_violation("dirty coverage: address space %u gfn 0x%" PRIx64 " is in a "
					      "dirty-logged slot and %s maps it writable, but its dirty "
					      "bit is clear: a write now reaches no GET_DIRTY_LOG", as,
					      gfn, who);
		}
	}
}

void vmmu_checker_invalidate_started(struct vmmu_vm *vm, uint64_t start, uint64_t end)
{
	if (vm != mvm || ngopen == GHOST_OPEN)
		return;
	gopen[ngopen].start = start;
	gopen[ngopen++].end = end;
}

void vmmu_checker_invalidate_ended(struct vmmu_vm *vm, uint64_t start, uint64_t end)
{
	if (vm != mvm)
		return;
	for (int i = 0; i < ngopen; i++)
		if (gopen[i].start == start && gopen[i].end == end) {
			gopen[i] = gopen[--ngopen];
			break;
		}
	gepoch++;
	gended[gepoch % GHOST_ENDED].epoch = gepoch;
	gended[gepoch % GHOST_ENDED].start = start;
	gended[gepoch % GHOST_ENDED].end = end;
}

uint64_t vmmu_checker_fault_snapshot(struct vmmu_vm *vm)
{
	return vm == mvm ? gepoch : 0;
}

/* docs/INVARIANTS.md, 4: install only with a current snapshot.  Under mmu_lock (read). */
void vmmu_checker_fault_install(struct vmmu_vm *vm, uint32_t as_id, uint64_t gfn, uint64_t hva,
				uint64_t mmu_seq, uint64_t epoch)
{
	(void)as_id;
	(void)mmu_seq;
	if (!chk_monitor_on(MON_PROTOCOL))
		return;
	if (!hva || vm != mvm)
		return;
	for (int i = 0; i < ngopen; i++)
		if (gopen[i].start <= hva && hva < gopen[i].end)
			chk_violation("fault installs an SPTE for gfn 0x%" PRIx64 " (host hva 0x%"
				      PRIx64 ") while the bracket [0x%" PRIx64 ", 0x%" PRIx64
				      ") over it is open", gfn, hva, gopen[i].start, gopen[i].end);
	for (uint64_t e = gepoch; e > epoch && e + GHOST_ENDED > gepoch; e--) {
		uint64_t s = gended[e % GHOST_ENDED].start, t = gended[e % GHOST_ENDED].end;

		if (s <= hva && hva < t) {
			chk_violation("fault installs an SPTE for gfn 0x%" PRIx64 " (host hva 0x%"
				      PRIx64 ") after the end() of the bracket [0x%" PRIx64 ", 0x%"
				      PRIx64 ") over it, which came after its snapshot", gfn, hva,
				      s, t);
			break;
		}
	}
}

/*
 * Invariant 2: the set @set of @as being published has every open bracket
 * extended to the slots its host range intersects.
 */
static void check_publish_extends(struct vmmu_vm *vm, uint32_t as, struct vmmu_memslots *set)
{
	int idx = set->node_idx;

	uint32_t hwm = atomic_load_explicit(&vm->mn_brackets_hwm, memory_order_relaxed);

	for (uint32_t i = 0; i < hwm; i++) {
		const struct mn_bracket *b = &vm->mn_brackets[i];
		uint32_t nr = atomic_load_explicit(&b->nr_ranges, memory_order_relaxed);
		struct itree_node *n;

		if (!atomic_load_explicit(&b->active, memory_order_relaxed) ||
		    atomic_load_explicit(&b->all, memory_order_relaxed) || b->end <= b->start)
			continue;
		for (n = itree_iter_first(&set->hva_tree, b->start, b->end - 1); n;
		     n = itree_iter_next(n, b->start, b->end - 1)) {
			struct vmmu_memslot *slot = hva_node_to_slot(n, idx);
			uint64_t slot_end = slot->userspace_addr + (slot->npages << PAGE_SHIFT);
			uint64_t s = b->start > slot->userspace_addr ? b->start : slot->userspace_addr;
			uint64_t e = b->end < slot_end ? b->end : slot_end;
			uint64_t g0 = slot->base_gfn + ((s - slot->userspace_addr) >> PAGE_SHIFT);
			uint64_t g1 = slot->base_gfn +
				      ((e + PAGE_SIZE - 1 - slot->userspace_addr) >> PAGE_SHIFT);
			bool in = false;

			for (uint32_t j = 0; j < nr && !in; j++) {
				const struct mn_gfn_range *r = &b->ranges[j];

				in = atomic_load_explicit(&r->as_id, memory_order_relaxed) == as &&
				     atomic_load_explicit(&r->start, memory_order_relaxed) <= g0 &&
				     g1 <= atomic_load_explicit(&r->end, memory_order_relaxed);
			}
			if (!in && once(ONCE_EXTEND))
				chk_violation("memslot set of address space %u published with slot "
					      "%u (gfns 0x%" PRIx64 "-0x%" PRIx64 ") inside the open "
					      "bracket [0x%" PRIx64 ", 0x%" PRIx64 ") but not in its "
					      "ranges (invariant 2)", as, slot->id, g0, g1,
					      b->start, b->end);
		}
	}
}

/* Bracket coverage: called by change_pte's handler before it re-points. */
void vmmu_checker_change_pte(struct vmmu_vm *vm, uint32_t as_id, const struct vmmu_memslot *slot,
			     uint64_t start, uint64_t end)
{
	if (!chk_monitor_on(MON_BRACKET))
		return;
	for (uint64_t gfn = start; gfn < end && gfn <= vm->max_gfn; gfn++) {
		uint64_t hva = __gfn_to_hva_memslot(slot, gfn);

		if (!is_shadow_present_pte(tdp_mmu_walk_lockless(vm, as_id, gfn)))
			continue;
		if (!chk_host_announced(hva) && once(ONCE_BRACKET))
			chk_violation("bracket coverage: change_pte re-points gfn 0x%" PRIx64
				      " of address space %u (host hva 0x%" PRIx64 "), which no "
				      "open bracket covers", gfn, as_id, hva);
	}
}

void monitor_observe(int sp)
{
	struct vmmu_vm *vm = mvm;

	if (!vm)
		return;
	if (sp == SP_MEMSLOT_GEN_IP)
		swap_open = true;
	for (uint32_t as = 0; as < vm->nr_as; as++) {
		struct vmmu_memslots *set = __kvm_memslots(vm, as);
		uint64_t gen;

		if (set != last_set[as]) {
			if (chk_monitor_on(MON_PROTOCOL))
				check_publish_extends(vm, as, set);
			record_map(as, set);
			chk_trace("(monitor) address space %u: new memslot set in effect", as);
			last_set[as] = set;
		}
		gen = atomic_load_explicit(&set->generation, memory_order_relaxed);
		if (!chk_monitor_on(MON_PROTOCOL))
			continue;
		if (gen & VMMU_MEMSLOT_GEN_UPDATE_IN_PROGRESS) {
			if (!swap_open && once(ONCE_IP))
				chk_violation("address space %u shows generation 0x%" PRIx64
					      " with the in-progress bit outside a swap", as, gen);
		} else if (gen != last_gen[as]) {
			if (gen != last_gen[as] + vm->nr_as && once(ONCE_GEN))
				chk_violation("generation of address space %u went from %" PRIu64
					      " to %" PRIu64 ", not up by nr_as = %u", as,
					      last_gen[as], gen, vm->nr_as);
			last_gen[as] = gen;
		}
	}
	if (sp == SP_MEMSLOT_GEN_FINAL)
		swap_open = false;
	if (!atomic_load_explicit(&vm->mmu.mmu_lock.writer, memory_order_relaxed)) {
		if (chk_monitor_on(MON_TLB))
			check_translations(vm);
		if (chk_monitor_on(MON_DIRTY) && !monitor_updates_in_flight)
			check_dirty(vm);
	}
	if (!chk_monitor_on(MON_PROTOCOL))
		return;
	for (int i = 0; i < mnvcpus; i++) {
		uint64_t g = mvcpus[i]->mmio_gen;

		if (g != UINT64_MAX && (g & VMMU_MEMSLOT_GEN_UPDATE_IN_PROGRESS) && once(ONCE_CACHE))
			chk_violation("vCPU %d's MMIO info cache was filled with generation "
				      "0x%" PRIx64 " (update in progress; invariant 1)", i, g);
	}
	if (atomic_load_explicit(&vm->mmu_invalidate_in_progress, memory_order_relaxed) < 0 &&
	    once(ONCE_NEG))
		chk_violation("mmu_invalidate_in_progress went negative");
}

/* Everything has stopped: nothing may be left half-done. */
void monitor_final(void)
{
	struct vmmu_vm *vm = mvm;
	long in_progress = atomic_load_explicit(&vm->mmu_invalidate_in_progress,
						memory_order_relaxed);

	monitor_observe(-1);
	if (!chk_monitor_on(MON_PROTOCOL)) {
		mvm = NULL;
		return;
	}
	if (in_progress)
		chk_violation("quiescent VM has mmu_invalidate_in_progress = %ld: start() and "
			      "end() saw different memslots (every fault on the range now "
			      "retries forever)", in_progress);
	if (vm->mn_active_invalidate_count)
		chk_violation("quiescent VM has mn_active_invalidate_count = %ld",
			      vm->mn_active_invalidate_count);
	/* Every bracket closed: no open count, slot or fault in flight left. */
	if (atomic_load_explicit(&vm->inv_open_wide, memory_order_relaxed) ||
	    atomic_load_explicit(&vm->mn_untracked, memory_order_relaxed) || vm->nr_mn_brackets)
		chk_violation("quiescent VM has inv_open_wide %" PRIu64 ", %u untracked and %u "
			      "tracked brackets", (uint64_t)atomic_load(&vm->inv_open_wide),
			      (unsigned)atomic_load(&vm->mn_untracked), vm->nr_mn_brackets);
	for (uint32_t b = 0; b < MN_INV_SEQ_BUCKETS; b++)
		if ((atomic_load_explicit(&vm->inv[b].open, memory_order_relaxed) ||
		     atomic_load_explicit(&vm->inv[b].inflight, memory_order_relaxed)) &&
		    once(ONCE_OPEN))
			chk_violation("quiescent VM has bucket %u open (%" PRIu64 ") or entered (%"
				      PRIu64 "): counts raised and lowered unevenly", b,
				      (uint64_t)atomic_load(&vm->inv[b].open),
				      (uint64_t)atomic_load(&vm->inv[b].inflight));
	for (uint32_t as = 0; as < vm->nr_as; as++) {
		uint64_t gen = atomic_load_explicit(&__kvm_memslots(vm, as)->generation,
						    memory_order_relaxed);

		if (gen & VMMU_MEMSLOT_GEN_UPDATE_IN_PROGRESS)
			chk_violation("quiescent address space %u still has the in-progress bit", as);
	}
	mvm = NULL;
}
