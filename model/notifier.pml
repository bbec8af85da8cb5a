/*
 * notifier.pml - the MMU-notifier / page-fault retry protocol of vmmu (and
 * KVM), with memslot swaps and .change_pte.  SPDX-License-Identifier: MIT
 *
 * One guest frame gfn, backed (while a slot exists) by one host virtual page
 * hva, plus "other" host pages in the same slot that are not gfn's.  The
 * host page table entry of hva names a page; each replacement puts a fresh
 * page number there.  The slot covering hva is, in the active memslot set,
 * NONE, VALID or INVALID (a DELETE publishes an INVALID copy first).
 *
 * Code this follows (src/):
 *   host     - notifier.c vmmu_mmu_notifier_invalidate_range_start/_end,
 *              kvm_handle_hva_range(), kvm_mmu_invalidate_begin/_end,
 *              kvm_mmu_invalidate_range_add(), vmmu_mmu_notifier_change_pte()
 *   vcpu     - mmu.c kvm_tdp_page_fault(), mmu_invalidate_retry_gfn(),
 *              kvm_tdp_mmu_map(); the guest access through the SPTE
 *   updater  - memslots.c kvm_swap_active_memslots() (waits for
 *              mn_active_invalidate_count == 0), kvm_invalidate_memslot() +
 *              kvm_arch_flush_shadow_memslot() for DELETE
 *
 * Locks: a step under mmu_lock (read or write) is one atomic block; faults
 * hold it for read but the only fault step under it is check+install, which
 * no other mmu_lock holder may interleave with in a way that matters
 * (invalidate/zap hold it for write).  The host PTE is changed under the
 * page-table lock; .change_pte runs inside that section (set_pte_at_notify).
 *
 * Properties:
 *   (c) the vCPU never installs, and never uses, a translation to a page
 *       the host has replaced, once the invalidation that replaced it has
 *       ended (or, unbracketed, once the host has switched the PTE);
 *       checked at install, at use, and as a global invariant (monitor);
 *   (d) mmu_invalidate_in_progress stays balanced: end() never finds it at
 *       0 (KVM_BUG in KVM, WARN in vmmu), and whenever no invalidation is
 *       active (mn_active_invalidate_count == 0) it is 0.
 *
 * PROP_C_ONLY drops the checks of (d) (end() then behaves as vmmu's does on
 * an underflow: WARN and leave the count alone), to show that a variant
 * breaks (c) as well.
 *
 * Model switches (-D on the spin command line; at most one):
 *   FAULT_NO_SEQ_RECHECK          the locked check tests only in_progress /
 *                                 range, not mmu_invalidate_seq
 *   SWAP_IGNORES_ACTIVE_INVALIDATIONS
 *                                 a memslot swap publishes without waiting
 *                                 for active invalidations, so start() and
 *                                 end() can see different slot sets
 *   CHANGE_PTE_UNBRACKETED        the host calls .change_pte without an
 *                                 invalidate_range_start/end bracket, and
 *                                 .change_pte neither bumps the seq nor
 *                                 refuses (pre-2012 mm with post-2021 KVM)
 *   CHANGE_PTE_INSTALLS_NONPRESENT
 *                                 .change_pte as src/notifier.c had it
 *                                 before commit 7f0014d: kvm_set_spte_gfn()
 *                                 zapped and then installed the new page
 *                                 even where the leaf was not present (KVM,
 *                                 and vmmu now, re-point only a present
 *                                 SPTE, which start() has zapped: a nop).
 *                                 Breaks (c) with two overlapping
 *                                 invalidations, e.g. MADV_DONTNEED racing a
 *                                 COW fault.
 */

#ifndef NHOST
#define NHOST 2			/* host threads, one invalidation each */
#endif
#ifndef NUPD
#define NUPD 2			/* memslot operations (DELETE = 2 swaps, CREATE = 1) */
#endif
#ifndef NVCPU
#define NVCPU 1
#endif

#define NONE	0
#define VALID	1
#define INVALID	2
#define NPAGES	(NHOST + 2)

byte hostpte = 1;		/* page mapped at hva by the host page table */
byte next_page = 2;		/* pages are never reused */
bit  dead[NPAGES];		/* ghost: replaced, and its invalidation has ended */
byte spte;			/* page mapped by gfn's leaf SPTE, 0 = none */
byte slot = VALID;		/* slot covering hva in the active memslot set */

/* mmu_lock-protected invalidation state */
byte in_progress;		/* mmu_invalidate_in_progress */
byte seq;			/* mmu_invalidate_seq */
bit  range_unset;		/* mmu_invalidate_range_start == INVALID_GPA */
bit  range_covers;		/* the accumulated range (hull) contains gfn */
/* mn_invalidate_lock */
byte mn_active;			/* mn_active_invalidate_count */

/* RCU: faults are readers; memslot swaps wait for them */
bit rcu_in[NVCPU];
bit gp_wait[NVCPU];

#define RCU_READ_UNLOCK(v)	atomic { rcu_in[v] = 0; gp_wait[v] = 0 }

/* A memslot swap publishing slot state v, then synchronize_rcu(). */
#ifdef SWAP_IGNORES_ACTIVE_INVALIDATIONS
#define PUBLISH(v)	slot = v
#else
#define PUBLISH(v)	atomic { mn_active == 0 -> slot = v }
#endif
#define SYNCHRONIZE_RCU()						\
	atomic {							\
		do							\
		:: i < NVCPU -> gp_wait[i] = rcu_in[i]; i++		\
		:: else -> i = 0; break					\
		od							\
	};								\
	do								\
	:: i < NVCPU -> gp_wait[i] == 0; i++				\
	:: else -> i = 0; break						\
	od

proctype updater()
{
	byte n, i;

	do
	:: n < NUPD ->
		if
		:: slot == VALID ->
			/* DELETE: publish an INVALID copy, zap, publish none */
			PUBLISH(INVALID);
			SYNCHRONIZE_RCU();
			atomic { spte = 0 };	/* kvm_arch_flush_shadow_memslot */
			PUBLISH(NONE);
			SYNCHRONIZE_RCU()
		:: slot == NONE ->
			/* CREATE */
			PUBLISH(VALID);
			SYNCHRONIZE_RCU()
		fi;
		n++
	:: else -> break
	od
}

/*
 * One host mm operation on a range: either it covers hva (the page behind
 * gfn is replaced, by an unmap/migration or by a COW/KSM with .change_pte),
 * or it covers only other pages of the slot.
 */
proctype host()
{
	bit covers, cow, found;
	byte old, new;

#ifndef CHANGE_PTE_UNBRACKETED
	if
	:: covers = 1; cow = 0
	:: covers = 1; cow = 1
	:: covers = 0
	fi;
	/* invalidate_range_start() */
	atomic { mn_active++ };			/* under mn_invalidate_lock */
	found = (slot != NONE);			/* the hva walk under RCU */
	if
	:: found ->
		atomic {	/* mmu_lock (write) */
			/* kvm_mmu_invalidate_begin() */
			if
			:: in_progress == 0 -> range_unset = 1; range_covers = 0
			:: else
			fi;
			in_progress++;
			/* kvm_mmu_invalidate_range_add(): the hull of the ranges */
			if
			:: range_unset -> range_unset = 0; range_covers = covers
			:: else -> range_covers = range_covers || covers
			fi;
			/* kvm_mmu_unmap_gfn_range(): zap (and flush) */
			if
			:: covers -> spte = 0
			:: else
			fi
		}
	:: else
	fi;
#else
	/* a COW with .change_pte and no bracket at all */
	covers = 1; cow = 1;
#endif
	/* the host changes the page table entry, under its page-table lock */
	if
	:: covers ->
		atomic {
			new = next_page;
			next_page++;
			if
			:: cow ->
				/* set_pte_at_notify(): .change_pte, then set_pte_at */
#if defined(CHANGE_PTE_UNBRACKETED)
				/* accepted, no seq bump: re-point a present SPTE */
				if
				:: slot != NONE && spte != 0 -> spte = new
				:: else
				fi;
#elif defined(CHANGE_PTE_INSTALLS_NONPRESENT)
				/*
				 * src/notifier.c before 7f0014d: refused unless
				 * in_progress; kvm_set_spte_gfn() zapped and then
				 * kvm_tdp_mmu_install_leaf()d the new page even
				 * where start() had zapped the leaf.
				 */
				if
				:: in_progress > 0 && slot != NONE -> spte = new
				:: else
				fi;
#else
				/*
				 * Refused (WARN) unless bracketed, told by
				 * mn_active_invalidate_count; a nop when no start()
				 * found a memslot (in_progress == 0); else
				 * kvm_set_spte_gfn() -> kvm_tdp_mmu_repoint(): only a
				 * present leaf is re-pointed (read-only), and start()
				 * has zapped it, so this is a nop as in KVM.
				 */
				if
				:: mn_active > 0 && in_progress > 0 && slot != NONE && spte != 0 ->
					spte = new
				:: else
				fi;
#endif
			:: else
			fi;
			old = hostpte;
			hostpte = new
		}
	:: else
	fi;
#ifndef CHANGE_PTE_UNBRACKETED
	/* invalidate_range_end() */
	found = (slot != NONE);
	if
	:: found ->
		atomic {	/* mmu_lock (write): kvm_mmu_invalidate_end() */
			seq++;
#ifndef PROP_C_ONLY
			assert(in_progress > 0);	/* (d): no underflow */
#endif
			if	/* vmmu: WARN_ON_ONCE(n <= 0) and return */
			:: in_progress > 0 -> in_progress--
			:: else
			fi
		}
	:: else
	fi;
	atomic { mn_active-- };
#endif
	/* the old page may be freed now */
	if
	:: covers -> dead[old] = 1
	:: else
	fi
}

proctype vcpu(byte id)
{
	byte snap, s, pg;

end_idle:
	do
	:: /* kvm_tdp_page_fault() */
		atomic { rcu_in[id] = 1; snap = seq };
		s = slot;			/* memslot lookup */
		if
		:: s == NONE -> goto out	/* no slot: an MMIO exit, no mapping */
		:: s == INVALID -> goto out	/* RET_PF_RETRY */
		:: else
		fi;
		pg = hostpte;			/* hva -> page (GUP) */
		atomic {	/* mmu_lock: is_page_fault_stale(), then map */
			if
			:: in_progress > 0 && (range_unset || range_covers) ->
				skip		/* RET_PF_RETRY */
#ifndef FAULT_NO_SEQ_RECHECK
			:: seq != snap ->
				skip		/* RET_PF_RETRY */
			:: else ->
#else
			:: else ->
#endif
				assert(!dead[pg]);	/* (c) at install */
				spte = pg
			fi
		};
out:
		RCU_READ_UNLOCK(id);
		d_step { snap = 0; s = 0; pg = 0 }
	:: /* a guest access through the SPTE */
		atomic {
			if
			:: spte != 0 -> assert(!dead[spte])	/* (c) at use */
			:: else
			fi
		}
	od
}

/* Invariants (c) and (d), checked in every reachable state. */
#ifdef PROP_C_ONLY
#define UNBALANCED	0
#else
#define UNBALANCED	(mn_active == 0 && in_progress != 0)
#endif
active proctype monitor()
{
end_mon:
	atomic {
		(spte != 0 && dead[spte]) || UNBALANCED ->
		assert(!(spte != 0 && dead[spte]));
		assert(!UNBALANCED)
	}
}

init
{
	byte i;

	atomic {
		run updater();
		do
		:: i < NHOST -> run host(); i++
		:: else -> break
		od;
		i = 0;
		do
		:: i < NVCPU -> run vcpu(i); i++
		:: else -> break
		od
	}
}
