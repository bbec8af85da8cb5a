// SPDX-License-Identifier: MIT
/*
 * The monitor: at every scheduler entry it looks at the protocol's shared
 * state and checks the invariants of kvm-facts §9 that hold at every
 * instant; it also records each newly published memslot set into the
 * oracle's map history, at the exact point of the global order where it
 * became visible (only the publishing thread ran since the last entry).
 *
 *	§9.4  a generation with bit 63 is visible only between "inactive set
 *	      tagged gen|IP" and "final generation stored"; the final
 *	      generation of an address space only ever moves up by nr_as;
 *	      no vCPU's MMIO info cache ever holds a generation with bit 63.
 *	§9.6  a memslot set is never published while an invalidation is
 *	      between start() and end() (mn_active_invalidate_count != 0).
 *	§5.2  mmu_invalidate_in_progress never goes negative, and is 0 (and
 *	      so is the active count) when everything is quiescent.
 *
 * §9.7 (a fault installs only with an unchanged seq and no covering
 * invalidation) is checked at the install itself, vmmu_checker_fault_install.
 */
#include <inttypes.h>

#include "check.h"
#include "memslots.h"
#include "vm.h"

#define MAX_SLOTS	16

enum report_once { ONCE_IP, ONCE_GEN, ONCE_CACHE, ONCE_NEG, ONCE_NR };

static struct vmmu_vm *mvm;
static struct oracle *morc;
static struct vmmu_vcpu **mvcpus;
static int mnvcpus;
static struct vmmu_memslots *last_set[VMMU_MAX_ADDRESS_SPACES];
static uint64_t last_gen[VMMU_MAX_ADDRESS_SPACES];
static bool swap_open;
static bool reported[ONCE_NR];

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

void monitor_reset(struct vmmu_vm *vm, struct oracle *o, struct vmmu_vcpu **vcpus, int nvcpus)
{
	mvm = vm;
	morc = o;
	mvcpus = vcpus;
	mnvcpus = nvcpus;
	swap_open = false;
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
			long active = vm->mn_active_invalidate_count;

			if (active && !chk.oracle_only)
				chk_violation("memslot set of address space %u published while %ld "
					      "invalidation(s) are between start() and end() "
					      "(kvm-facts 9.6)", as, active);
			record_map(as, set);
			chk_trace("(monitor) address space %u: new memslot set in effect", as);
			last_set[as] = set;
		}
		gen = atomic_load_explicit(&set->generation, memory_order_relaxed);
		if (chk.oracle_only)
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
	if (chk.oracle_only)
		return;
	for (int i = 0; i < mnvcpus; i++) {
		uint64_t g = mvcpus[i]->mmio_gen;

		if (g != UINT64_MAX && (g & VMMU_MEMSLOT_GEN_UPDATE_IN_PROGRESS) && once(ONCE_CACHE))
			chk_violation("vCPU %d's MMIO info cache was filled with generation "
				      "0x%" PRIx64 " (update in progress; kvm-facts 9.4)", i, g);
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
	if (chk.oracle_only) {
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
	for (uint32_t as = 0; as < vm->nr_as; as++) {
		uint64_t gen = atomic_load_explicit(&__kvm_memslots(vm, as)->generation,
						    memory_order_relaxed);

		if (gen & VMMU_MEMSLOT_GEN_UPDATE_IN_PROGRESS)
			chk_violation("quiescent address space %u still has the in-progress bit", as);
	}
	mvm = NULL;
}
