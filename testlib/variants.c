// SPDX-License-Identifier: MIT
/*
 * The historic-bug variants.  Each rebuilds a wrong design inside a variant
 * build of the library (#ifdef VMMU_VARIANTS blocks in src/ that test
 * vmmu_checker_variant): the checker's, and vmmu-variant's, which runs the
 * real-thread commands (kvm-diff, run) on a deliberately wrong vmmu.
 * docs/CHECKER.md has the interleavings.
 */
#include <string.h>

#include "variants.h"

enum vmmu_checker_variant vmmu_checker_variant = VARIANT_NONE;

const struct variant_desc variants[] = {
	{ "gen-before-publish", VARIANT_GEN_BEFORE_PUBLISH, "create-mmio",
	  "2013: new generation stored before publish, no in-progress flag, fault "
	  "re-reads the generation after its lookup (seeds 002/004)" },
	{ "no-wrap-zap", VARIANT_NO_WRAP_ZAP, "wrap-as0",
	  "the MMIO generation slice wraps without a zap" },
	{ "wrap-check-keeps-as-bits", VARIANT_WRAP_CHECK_KEEPS_AS_BITS, "wrap-as1",
	  "the wrap test keeps the address-space bits: address space 1 never zaps" },
	{ "fault-no-seq-recheck", VARIANT_FAULT_NO_SEQ_RECHECK, "invalidate",
	  "a fault installs without the invalidation snapshot / open-bracket check" },
	{ "swap-ignores-open-brackets", VARIANT_SWAP_IGNORES_OPEN_BRACKETS, "swap-invalidate",
	  "a memslot swap publishes a slot inside an open bracket without adding its "
	  "gfn ranges to the bracket" },
	{ "end-skips-range-bump", VARIANT_END_SKIPS_RANGE_BUMP, "invalidate",
	  "end() removes the bracket but bumps neither its buckets nor inv_seq_wide" },
	{ "start-skips-intent-scan", VARIANT_START_SKIPS_INTENT_SCAN, "invalidate",
	  "start() finds no present SPTE and takes no mmu_lock for write without reading "
	  "the vCPUs' intents: a fault that checked before the bracket opened installs "
	  "after the walk, and its translation outlives start()" },
	{ "fault-intent-after-check", VARIANT_FAULT_INTENT_AFTER_CHECK, "invalidate",
	  "a fault publishes its intent after its locked check instead of before it: a "
	  "start() can miss both the intent and the SPTE the fault installs" },
	{ "fault-skips-mapped-mark", VARIANT_FAULT_SKIPS_MAPPED_MARK, "invalidate",
	  "a fault installs an SPTE without marking its bucket mapped: a start() over it "
	  "trusts the hint, skips its walk and leaves the translation in place" },
	{ "zap-all-clears-marks-early", VARIANT_ZAP_ALL_CLEARS_MARKS_EARLY, "wrap-invalidate",
	  "a zap-all clears the buckets' mapped marks before its TLB flush: a start() that "
	  "reads a clear mark returns while a vCPU still uses a translation of its range" },
	{ "prefetch-ignores-open-brackets", VARIANT_PREFETCH_IGNORES_OPEN_BRACKETS,
	  "prefetch-neighbour", "a fault checks only its own gfn for open brackets and "
	  "prefetches a neighbour that a bracket of its own covers: the old page stays "
	  "mapped after start()" },
	{ "prefetch-joins-any-slot", VARIANT_PREFETCH_JOINS_ANY_SLOT, "prefetch-adjacent",
	  "a fault's prefetch runs on into the next slot by gfn without checking that its "
	  "host memory continues the fault's slot: the neighbour maps the wrong host page" },
	{ "prefetch-joins-invalid-slot", VARIANT_PREFETCH_JOINS_INVALID_SLOT, "prefetch-adjacent",
	  "a fault's prefetch compares only the user's flags and runs on into the INVALID "
	  "copy of a slot being deleted, after its zap: the translation outlives DELETE" },
	{ "bracket-drops-last-run", VARIANT_BRACKET_DROPS_LAST_RUN, "invalidate",
	  "start() joins the gfns of slots that continue each other into runs and never "
	  "adds the run its walk ended in: the bracket misses the pages it was opened for" },
	{ "prefetch-joins-logged-slot", VARIANT_PREFETCH_JOINS_LOGGED_SLOT, "prefetch-adjacent-log",
	  "a fault's prefetch ignores dirty logging and runs on into a logged slot: a write "
	  "through the prefetched SPTE is never logged" },
	{ "change-pte-unbracketed", VARIANT_CHANGE_PTE_UNBRACKETED, "change-pte",
	  "change_pte outside start/end, neither bumping the seq nor refused" },
	{ "mmio-cache-ignores-in-progress", VARIANT_MMIO_CACHE_IGNORES_IN_PROGRESS, "create-mmio",
	  "MMIO info cache filled while an update is in progress, from a generation read "
	  "after the lookup (2014 fix)" },
	{ "read-fault-downgrades-w", VARIANT_READ_FAULT_DOWNGRADES_W, "age-dirty",
	  "a read fault re-installs a writable SPTE read-only without a flush, so the "
	  "next dirty-log harvest skips its flush and a write is lost (vmmu defect 1)" },
	{ "noslot-overwrites-present", VARIANT_NOSLOT_OVERWRITES_PRESENT, "noslot-create",
	  "a no-slot fault from the old memslot set overwrites a present SPTE with an "
	  "MMIO SPTE without a flush; the translation outlives DELETE (vmmu defect 2)" },
	{ "direct-cache-fills-in-bracket", VARIANT_DIRECT_CACHE_FILLS_IN_BRACKET,
	  "bracket-neighbour", "the direct backend caches a 2 MiB region as mapped "
	  "inside a bracket and end() keeps it (vmmu defect 3)" },
	{ "rw-ignores-invalidation", VARIANT_RW_IGNORES_INVALIDATION, "rw-replace",
	  "read_guest/write_guest copy while a bracket covering the page is open "
	  "(vmmu defect 4)" },
	{ "change-pte-hull-coverage", VARIANT_CHANGE_PTE_HULL_COVERAGE, "change-pte-cross",
	  "change_pte accepted when the gfn hull of all open brackets, of any address "
	  "space, covers the page (vmmu defect 5)" },
	{ "flush-without-membarrier", VARIANT_FLUSH_WITHOUT_MEMBARRIER, "invalidate",
	  "a remote TLB flush skips its membarrier(): a vCPU's plain entering store is "
	  "still in its store buffer, so the flush does not wait for it" },
	{ "flush-skips-any-target", VARIANT_FLUSH_SKIPS_ANY_TARGET, "invalidate",
	  "a remote TLB flush does not wait for a vCPU that has published its access "
	  "target, even when the flushed range contains it" },
	{ "flush-trusts-fast", VARIANT_FLUSH_TRUSTS_FAST, "invalidate",
	  "a remote TLB flush takes a vCPU whose entries do not fence (FAST) as done, "
	  "without asking it to answer or fencing it with membarrier()" },
	{ "pt-cache-ignores-flush", VARIANT_PT_CACHE_IGNORES_FLUSH, "wrap-invalidate",
	  "a vCPU's paging-structure cache (the leaf table its last walk reached) is "
	  "used after a remote TLB flush: after a zap-all swaps the roots, the vCPU "
	  "still reads the old, freed tables" },
	{ "ring-reset-unharvested", VARIANT_RING_RESET_UNHARVESTED, "ring-harvest",
	  "KVM_RESET_DIRTY_RINGS recycles (and write-protects) every pushed entry, also "
	  "those the collector has not harvested: a write between a harvest and the "
	  "reset reaches no copy" },
	{ "ring-push-flag-first", VARIANT_RING_PUSH_FLAG_FIRST, "ring-harvest",
	  "a dirty-ring push sets DIRTY before it advances the ring's index: a reset "
	  "can miss an entry the collector harvested, and the page stays writable "
	  "after its copy" },
};

const int nr_variants = sizeof(variants) / sizeof(variants[0]);

const struct variant_desc *variant_find(const char *name)
{
	for (int i = 0; i < nr_variants; i++)
		if (!strcmp(variants[i].name, name))
			return &variants[i];
	return NULL;
}
