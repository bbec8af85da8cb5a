/* SPDX-License-Identifier: MIT */
/*
 * Internal definitions of the VM and vCPU objects.  Lock cards and barrier
 * pairs for every field are in docs/LOCKING.md; the short form is beside each
 * field here.  The functions of each area are declared in its own header
 * (mmu.h, memslots.h, notifier.h, vcpu.h, fence.h, hostmem.h).
 */
#ifndef VMMU_VM_H
#define VMMU_VM_H

#include <pthread.h>
#include <stdalign.h>

#include "vmmu.h"
#include "check_hooks.h"
#include "compiler.h"
#include "memslots.h"
#include "hostmem.h"

/* A page-table page: 512 SPTEs, page aligned. */
struct tdp_pt {
	_Atomic uint64_t spte[512];
};

/*
 * struct tdp_root - the root of one address space's TDP page table.
 * A root is replaced (never edited in place) by kvm_mmu_zap_all_fast; the
 * old one is obsolete from then on and is freed after a remote TLB flush.
 */
struct kvm_dirty_ring;

struct tdp_root {
	struct tdp_pt *pt;
	uint8_t mmu_valid_gen;
};

struct vmmu_mmu {
	/*
	 * mmu_lock: read side for faults (SPTEs change by cmpxchg), write side
	 * for zaps and for the notifier's invalidate state.
	 */
	vmmu_rwlock_t mmu_lock;
	_Atomic(struct tdp_root *) root[VMMU_MAX_ADDRESS_SPACES];	/* mmu_lock */
	uint8_t mmu_valid_gen;						/* mmu_lock (write) */
	int root_level;							/* 4, or 5 above 48 gpa bits */
	_Atomic uint64_t nr_page_tables;
	/*
	 * The cap on nr_page_tables (cfg.max_page_tables or the default from
	 * slot_pt_need, see kvm_mmu_update_pt_cap()); read by faults.
	 */
	_Atomic uint64_t pt_cap;
	uint64_t slot_pt_need;		/* slots_lock: tables to map every slot page */
	/* The page-table page pool (mmu.c): 4 KiB pages carved from slabs. */
	pthread_mutex_t pt_pool_lock;
	struct pt_slab *pt_slabs;	/* pt_pool_lock */
	struct pt_free *pt_free;	/* pt_pool_lock: freed pages */
	size_t pt_slab_used;		/* pt_pool_lock: pages handed out of pt_slabs */
};

/* The smallest cap vmmu_vm_config::max_page_tables accepts. */
#define VMMU_MIN_PAGE_TABLES	64u

/* Per-vCPU counters: written only by the vCPU's thread, read by get_stats. */
struct vcpu_stats {
	_Atomic uint64_t tlb_fills, mmio_exits, mmio_cache_hits, fast_mmio_hits,
		pf_invalid, pf_retry, pf_fixed, pf_spurious, pf_emulate, mmio_sptes_created,
		invalid_slot_retries, notifier_retries, pf_prefetched;
};

#define VCPU_TLB_SIZE	256u

/*
 * One software-TLB entry: a translation the vCPU may use without a walk
 * while its vcpu->tlb_gen still equals @gen.  @host is the host address of
 * the page; @writable mirrors the SPTE's W bit when the entry was filled.
 */
struct vcpu_tlb_entry {
	gfn_t gfn;
	uint64_t gen;
	uint8_t *host;
	uint64_t writable;
};

struct vmmu_vcpu {
	/*
	 * access_seq: odd while the vCPU is inside an access (reading SPTEs,
	 * the TLB or guest memory without locks).  Written only by the vCPU's
	 * thread; kvm_flush_remote_tlbs reads it.  The store that makes it odd
	 * is seq_cst and pairs with the seq_cst bump of tlb_gen in the flush
	 * (Dekker: either the flush sees us inside, or we see its new gen).
	 */
	_Atomic uint64_t access_seq;
	/*
	 * tlb_gen: bumped (seq_cst) by every remote TLB flush, for every vCPU;
	 * a TLB entry is valid only while its gen equals this.  Per vCPU so
	 * the hot path loads it from its own cache line.
	 */
	_Atomic uint64_t tlb_gen;
	/*
	 * access_target: while the vCPU touches guest memory after a walk
	 * (vcpu_access_ram), the (address space, gfn) it touches, encoded by
	 * vcpu_access_target(); else 0.  Written only by the vCPU's thread,
	 * inside its access bracket; a remote flush whose range does not
	 * contain it need not wait for the access (a host fault there may
	 * block for as long as another thread pleases: post-copy).
	 */
	_Atomic uint64_t access_target;
	struct vmmu_vm *vm;
	uint32_t as_id;
	uint32_t id;
	bool in_fault_loop;		/* vcpu_access_fault is on the stack */
	/* how the next access enters its bracket (fence.h, FENCE_*) */
	_Atomic uint8_t fence_state;
	/* what the running flush waits for from this vCPU (mmu.c; vcpus_lock) */
	uint8_t flush_wait;
	/* why the last RET_PF_RETRY: an invalidation, seen at this seq */
	bool retry_invalidate;
	/* ... or a KVM_MEMSLOT_INVALID slot, in the set of generation retry_gen */
	bool retry_invalid_slot;
	uint64_t retry_gen;
	uint64_t retry_seq;
	uint32_t online_idx;		/* index in vm->online[] (vcpus_lock) */
	/* per-vCPU MMIO info cache (docs/KVM-SEMANTICS.md): mmio_gen UINT64_MAX = empty */
	gfn_t mmio_gfn;
	unsigned int mmio_access;
	uint64_t mmio_gen;
	/*
	 * The stride of the last two software-TLB misses (vcpu_access_ram):
	 * while it repeats, the page PREFETCH_AHEAD strides ahead is
	 * prefetched, as a CPU's stride prefetcher would.  vCPU thread only.
	 */
	gfn_t miss_gfn;
	int64_t miss_stride;
	/* vcpu_access_slow()'s walk, handed to vcpu_access_ram() (vCPU thread only) */
	uint64_t walk_tlb_gen;
	uint64_t walk_spte;
	/*
	 * The paging-structure cache (vcpu_walk()): the leaf table that maps
	 * gfns [walk_pt_base << 9, +512), found by a walk that began after the
	 * vCPU read tlb_gen == walk_pt_gen.  Valid, like a TLB entry, while
	 * tlb_gen still equals walk_pt_gen.  vCPU thread only.
	 */
	struct tdp_pt *walk_pt;
	gfn_t walk_pt_base;
	uint64_t walk_pt_gen;
	/* per-vCPU memslot cache (last_used_slot + generation) */
	struct vmmu_memslot *last_used_slot;
	uint64_t last_used_slot_gen;
	struct vcpu_stats stat;
	struct vcpu_tlb_entry tlb[VCPU_TLB_SIZE];
	/*
	 * The dirty ring (src/dirty_ring.c), off the hot cache lines: the
	 * ring, allocated on first use (cmpxchg; freed by vmmu_vcpu_destroy
	 * under slots_lock), and, vCPU thread only, whether a push of this
	 * vCPU reached the soft limit (its TLB was dropped then).
	 */
	_Atomic(struct kvm_dirty_ring *) dirty_ring;
	bool dirty_ring_full;
};

/*
 * VM-wide counters, one cache line per kind of writer, so that one kind's
 * increments do not pull the line from under another's: a host thread's
 * start()s would otherwise cost a memslot update a line transfer per
 * counter it bumps (measured: a locked add stalling on the line a storm
 * thread owns).  Readers (vmmu_vm_get_stats) load them with no lock.
 */
struct vm_stats {
	/* (the notifier's own counters live beside its state: struct vm_mn_stats) */
	/* the memslot updater (slots_lock) */
	struct {
		alignas(64) _Atomic uint64_t memslot_updates;
		_Atomic uint64_t memslot_swaps, slot_zaps, zap_all_fast, mmio_wrap_zaps;
		_Atomic uint64_t publish_waits, publish_overtaken;
	};
	/* remote TLB flushes, from zaps of any origin */
	struct {
		alignas(64) _Atomic uint64_t remote_tlb_flush_requests;
		_Atomic uint64_t remote_tlb_flush, remote_tlb_flush_skips,
			remote_tlb_flush_answers, remote_tlb_flush_membarriers, fault_flushes,
			fence_fallbacks;
	};
	/* zaps, page-table reclaim, and the direct backend's queries */
	struct {
		alignas(64) _Atomic uint64_t sptes_zapped;
		_Atomic uint64_t page_table_reclaims, page_tables_reclaimed,
			page_table_reclaim_zaps;
		_Atomic uint64_t host_queries;	/* direct backend: PROCMAP_QUERY, mincore() */
	};
};
_Static_assert(sizeof(struct vm_stats) == 3 * 64, "one cache line per writer group");

/* The notifier's counters, on the line every start()/end() writes anyway. */
struct vm_mn_stats {
	_Atomic uint64_t invalidate_unlocked;	/* mn_invalidate_lock */
	_Atomic uint64_t invalidate_waits, change_pte_unbracketed, invalidate_end_unmatched;
};

/*
 * Range-precise invalidation retry (docs/DESIGN.md, "Range-precise retry"):
 * an end() bumps the counter of every 256 KiB granule ("bucket") its gfn
 * ranges touch, or inv_seq_wide for a range wider than MN_WIDE_GRANULES.
 * A fault snapshots inv_seq_wide + inv[bucket].seq and retries only if that
 * sum moved or an open bracket's ranges contain its gfn; it looks at the
 * brackets only when inv_open_wide or its bucket's open count is non-zero.
 */
#define MN_INV_SEQ_BUCKETS	1024
#define MN_GRANULE_SHIFT	6		/* 64 pages = 256 KiB */
#define MN_WIDE_GRANULES	64
#define MN_BRACKET_RANGES	8
#define MN_MAX_BRACKETS		64		/* tracked at once; more count as untracked */
_Static_assert((MN_INV_SEQ_BUCKETS & (MN_INV_SEQ_BUCKETS - 1)) == 0,
	       "MN_INV_SEQ_BUCKETS must be a power of two");

/*
 * bucket(as, gfn): consecutive granules of one address space hit distinct
 * buckets; address space as is shifted by as buckets (three instructions:
 * this is on the fault path).
 */
static inline uint32_t mn_inv_bucket(uint32_t as_id, gfn_t gfn)
{
	return (uint32_t)((gfn >> MN_GRANULE_SHIFT) + as_id) & (MN_INV_SEQ_BUCKETS - 1);
}

/*
 * One bucket: the end()s of ranges in it (seq: only grows), the open
 * bracket ranges in it (open), whether a fault may have installed an SPTE
 * for a gfn in it since the last zap-all (mapped: set before the install,
 * cleared only with every SPTE), and the faults and guest copies between
 * their coverage check and their install or copy (inflight: their
 * intent, up before the check, down after).  On one line: a fault and a
 * start() over the bucket read and write them, and a storm elsewhere
 * writes other lines.
 *
 *	 0        8        16       24       32
 *	+--------+--------+--------+--------+
 *	|  seq   |  open  | mapped |inflight|     2 buckets per 64-byte line
 *	+--------+--------+--------+--------+
 */
struct mn_inv_bucket {
	_Atomic uint64_t seq;
	_Atomic uint64_t open;
	_Atomic uint64_t mapped;
	_Atomic uint64_t inflight;
};
_Static_assert(sizeof(struct mn_inv_bucket) == 32 && 64 % sizeof(struct mn_inv_bucket) == 0,
	       "a bucket is 32 bytes and never straddles a cache line");

/*
 * One gfn range of an open bracket: [start, end) of address space as_id.
 * Atomic fields: faults read them with no lock while a slot is reused.
 */
struct mn_gfn_range {
	_Atomic uint32_t as_id;
	_Atomic gfn_t start, end;
};

/*
 * A bracket slot: an open invalidate_range_start() when @active, with its
 * host addresses [start, end) and the gfn ranges it covers (computed by
 * start() from the active memslots, appended to by memslot swaps; never
 * changed otherwise while active; the gfns of slots back to back in host
 * memory and in gfns join into one range).  A bracket with more ranges
 * than fit is marked @all: it covers every gfn and its end() bumps
 * inv_seq_wide.
 * Written under mn_invalidate_lock; read under it, or by faults with no
 * lock: a fault loads @active (acquire), then @nr_ranges (acquire), then
 * ranges below it.  Slots are never moved, only reused.
 */
struct mn_bracket {
	alignas(64) _Atomic bool active;
	_Atomic bool all;
	_Atomic uint32_t nr_ranges;
	hva_t start, end;		/* mn_invalidate_lock */
	uint64_t id;			/* unique, to find it again (mn_invalidate_lock) */
	struct mn_gfn_range ranges[MN_BRACKET_RANGES];
};

struct vmmu_vm {
	struct vmmu_vm_config cfg;
	uint32_t nr_as;
	uint64_t mmio_gen_mask;		/* (1 << mmio_gen_bits) - 1 */

	/* slots_lock: serializes all memslot updates (and dirty-log ioctls). */
	vmmu_mutex_t slots_lock;
	struct vmmu_memslots __memslots[VMMU_MAX_ADDRESS_SPACES][2];
	/* RCU-published active set; written under slots_lock */
	_Atomic(struct vmmu_memslots *) memslots[VMMU_MAX_ADDRESS_SPACES];
	uint64_t nr_memslot_pages;		/* slots_lock */
	uint32_t nr_memslots_dirty_logging;	/* slots_lock */
	uint64_t manual_dirty_log_protect;	/* slots_lock */

	/*
	 * MMU-notifier state (docs/KVM-SEMANTICS.md, "MMU-notifier coherence";
	 * docs/LOCKING.md, "Brackets without mmu_lock").  Laid out by who
	 * writes it: every start()/end() writes the first group, faults read
	 * the second and the buckets, so a storm elsewhere costs a fault no
	 * cache miss.  mn_invalidate_lock protects mn_active_invalidate_count
	 * (open start()s) and every change below.  Memslot swaps do not wait
	 * for open brackets: they extend them over the slots they change.
	 */
	alignas(64) vmmu_mutex_t mn_invalidate_lock;
	long mn_active_invalidate_count;
	uint32_t nr_mn_brackets;	/* active slots */
	/* memslot publishes waiting for mn_invalidate_lock: notifiers defer */
	_Atomic uint32_t mn_publish_waiting;
	/*
	 * start()/end() acquisitions of mn_invalidate_lock (written under it,
	 * read by a publish without it): a publish counts those that went
	 * ahead of it while it waited (publish_overtaken).
	 */
	_Atomic uint64_t mn_lock_calls;
	/* second line: the rest of what every start()/end() pair writes */
	alignas(64) uint64_t mn_bracket_ids;	/* the last id given */
	/* vCPUs blocked until an end() (mn_invalidate_lock); end() wakes them */
	uint32_t mn_end_waiters;
	/*
	 * mmu_invalidate_seq counts end()s (stats, KVM's name; faults do not
	 * read it); mmu_invalidate_in_progress counts the open brackets.
	 */
	_Atomic uint64_t mmu_invalidate_seq;
	_Atomic long mmu_invalidate_in_progress;
	struct vm_mn_stats mn_stat;
	vmmu_cond_t mn_invalidate_end_cond;	/* touched only with waiters */
	/*
	 * Read by every fault, written rarely: retries are decided by
	 * inv_seq_wide + inv[bucket].seq and the open brackets; inv_open_wide
	 * counts the open wide ranges (and "all" and untracked brackets):
	 * non-zero sends every fault to the bracket scan.  The bracket slots
	 * [0, mn_brackets_hwm) have been used.  A start() that found no free
	 * slot is counted in mn_untracked; while it is non-zero every gfn
	 * counts as covered and an unmatched end() is taken to be its
	 * partner.
	 */
	alignas(64) _Atomic uint64_t inv_seq_wide;
	_Atomic uint64_t inv_open_wide;
	_Atomic uint32_t mn_brackets_hwm;
	_Atomic uint32_t mn_untracked;
	alignas(64) struct mn_inv_bucket inv[MN_INV_SEQ_BUCKETS];
	/*
	 * The bracket slots: written under mn_invalidate_lock, read by faults
	 * with no lock.  end() must match one exactly by host range,
	 * change_pte() must fall inside one, and a fault retries on a gfn one
	 * covers.
	 */
	struct mn_bracket mn_brackets[MN_MAX_BRACKETS];

	struct vmmu_mmu mmu;

	/* vcpus_lock: the vCPU table (leaf lock; taken inside mmu_lock) */
	vmmu_mutex_t vcpus_lock;
	struct vmmu_vcpu *vcpus[VMMU_MAX_VCPUS];	/* by id */
	struct vmmu_vcpu *online[VMMU_MAX_VCPUS];	/* dense, for flushes */
	uint32_t nr_online;
	struct vcpu_stats dead_vcpu_stats;	/* vcpus_lock */

	/* Bumped by every kind of thread: not on a line a fault reads. */
	struct vm_stats stat;
	/*
	 * The host memory backend and, with the simulated one, its MM.  Changed
	 * only under slots_lock while the VM has no memslot (hostmm.c); faults
	 * read them after finding a slot, so they see the backend the slot was
	 * created under.
	 */
	alignas(64) const struct hostmem_ops *hostmem;
	/* direct backend: /proc/self/maps for PROCMAP_QUERY, or -1 (hostmem.c) */
	int maps_fd;
	/*
	 * direct backend: spans of 2 MiB host regions known mapped, each
	 * filled at a generation hostmem_gen + direct[bucket].gen; brackets
	 * open over each bucket's regions (direct[].brackets) or over many
	 * regions (hostmem_brackets).  See hostmem.c, direct_span_of().
	 */
#define DIRECT_MAPPED_CACHE	256
	struct direct_bucket {
		alignas(64) _Atomic uint32_t seq;	/* odd while a fill writes span[], filled */
		_Atomic uint64_t span[2];	/* hostmem.c's layout; 0: none */
		_Atomic uint64_t filled;	/* the generation span[] was filled at */
		_Atomic uint64_t gen;
		_Atomic uint32_t brackets;
		_Atomic uint32_t churn;	/* misses of a region invalidated since its fill */
		_Atomic uint32_t used;	/* a lookup hit since the last fill */
	} direct[DIRECT_MAPPED_CACHE];	/* one line each: a storm's writes miss other regions */
	alignas(64) _Atomic uint64_t hostmem_gen;
	/* open start() brackets, for the direct backend's cache (hostmem.c) */
	_Atomic long hostmem_brackets;
	/*
	 * Flushes fence vCPUs with membarrier(); vCPUs enter without a fence.
	 * Cleared (for good) when membarrier() fails: see vmmu_membarrier().
	 */
	_Atomic bool asym_fence;
	uint64_t flush_answer_budget_ns;	/* fence.h: how long a flush waits for answers */
	struct vmmu_hostmm *hostmm;
	uint64_t max_gfn;		/* highest gfn the 4-level TDP table maps */
	/* dirty ring: bytes per vCPU ring, 0 = off; set once, under vcpus_lock,
	 * while the VM has no vCPU (src/dirty_ring.c) */
	_Atomic uint32_t dirty_ring_size;
};

#define VM_STAT_INC(vm, f)	atomic_fetch_add_explicit(&(vm)->stat.f, 1, memory_order_relaxed)
#define MN_STAT_INC(vm, f)	atomic_fetch_add_explicit(&(vm)->mn_stat.f, 1, memory_order_relaxed)
/* VM_STAT_INC() of a counter whose every writer holds one lock: no RMW. */
#define STAT_INC_LOCKED(c)							\
	atomic_store_explicit(&(c), atomic_load_explicit(&(c), memory_order_relaxed) + 1, \
			      memory_order_relaxed)
#define VM_STAT_INC_LOCKED(vm, f)	STAT_INC_LOCKED((vm)->stat.f)
#define VM_STAT_ADD_LOCKED(vm, f, n)							\
	atomic_store_explicit(&(vm)->stat.f,						\
			      atomic_load_explicit(&(vm)->stat.f, memory_order_relaxed) + (n),	\
			      memory_order_relaxed)
#define VCPU_STAT_INC(v, f)	STAT_INC((v)->stat.f)
#define VCPU_STAT_ADD(v, f, n)	STAT_ADD((v)->stat.f, n)

static inline struct vmmu_memslots *__kvm_memslots(struct vmmu_vm *vm, uint32_t as_id)
{
	return atomic_load_explicit(&vm->memslots[as_id], memory_order_acquire);
}

#endif /* VMMU_VM_H */
