/*
 * generation.pml - the memslot generation protocol of vmmu (and KVM):
 * memslot swaps with the update-in-progress flag, RCU grace periods,
 * generation-tagged MMIO SPTEs with the wrap zap, and the per-vCPU MMIO
 * info cache.  SPDX-License-Identifier: MIT
 *
 * One guest frame (gfn) per address space.  A memslot set is reduced to one
 * bit, "is gfn backed by a slot"; each address space has two sets (active
 * and inactive) and an active-set index that is the RCU-published pointer.
 * The MMIO generation is GEN_BITS wide so that it wraps within NSWAPS swaps.
 *
 * Code this follows (src/):
 *   updater  - memslots.c kvm_swap_active_memslots(), mmu.c
 *              kvm_arch_memslots_updated() / kvm_mmu_zap_all_fast()
 *   vcpu     - vcpu.c vcpu_access_slow() (MMIO cache, lockless SPTE walk,
 *              check_mmio_spte()), mmu.c kvm_tdp_page_fault() /
 *              kvm_tdp_mmu_map(), mmu.h vcpu_cache_mmio_info()
 *
 * Property (assertions on ghost state): an access may exit to user space as
 * MMIO for gfn only if gfn was unbacked in the published (active) set at
 * some instant during that access.  In particular an access that starts
 * after a swap that created a slot at gfn has completed (and during which no
 * later swap removes it) never exits as MMIO; and every MMIO-cache hit and
 * every MMIO-SPTE hit corresponds to a map state that existed during the
 * access.
 *
 * Model switches (-D on the spin command line; at most one):
 *   GEN_BEFORE_PUBLISH        final generation stored before the publish,
 *                             no in-progress flag; the fault reads the
 *                             generation by a second dereference after
 *                             its lookup (the pre-2014 KVM scheme)
 *   NO_WRAP_ZAP               kvm_arch_memslots_updated() never zaps
 *   WRAP_KEEPS_AS_BITS        wrap check is (gen & mask) == 0: the
 *                             address-space bits are not stripped, so
 *                             with NR_AS == 2 address space 1 never zaps
 *   MMIO_CACHE_IGNORES_IP     the fault fills the MMIO cache even while an
 *                             update is in progress, with a generation
 *                             read (second dereference) after its lookup
 */

#ifndef NR_AS
#define NR_AS 2			/* address spaces: 1 or 2 */
#endif
#ifndef GEN_BITS
#define GEN_BITS 2		/* MMIO-SPTE generation width */
#endif
#ifndef NSWAPS
#define NSWAPS 3		/* memslot swaps, over all address spaces */
#endif
#ifndef NVCPU
#define NVCPU 2			/* vCPUs */
#endif
#ifndef FIRST_AS
#define FIRST_AS 0		/* vCPU i runs in address space (i + FIRST_AS) % NR_AS */
#endif

#define GEN_MASK	((1 << GEN_BITS) - 1)
#define IP		128	/* KVM_MEMSLOT_GEN_UPDATE_IN_PROGRESS (bit 63 in vmmu) */
#define NOCACHE		255	/* mmio_gen after a flush: matches no generation */
#define SET(a, i)	((a) * 2 + (i))
#define ACTIVE(a)	SET(a, act[a])
#define VAS(v)		(((v) + FIRST_AS) % NR_AS)
#define SLICE(g)	(((g) & GEN_MASK) + 1)	/* SPTE value: 0 = no MMIO SPTE */

bit  act[NR_AS];		/* kvm->memslots[as]: index of the active set */
bit  backed[2 * NR_AS];		/* per set: a slot covers gfn */
byte gen[2 * NR_AS];		/* per set: generation, IP = in-progress flag */
byte spte[NR_AS];		/* leaf SPTE of gfn in the AS's root: MMIO + tag */

/* RCU: rcu_in = inside a read section; gp_wait = a grace period waits for it */
bit rcu_in[NVCPU];
bit gp_wait[NVCPU];

/* ghost */
bit in_access[NVCPU];		/* between access start and its exit */
bit may_mmio[NVCPU];		/* gfn was unbacked at some instant of the access */
#ifdef PROP_A_ONLY
bit settled[NR_AS];		/* the last swap of the AS has completed, gfn backed */
bit after_create[NVCPU];	/* the access began while settled[its AS] */
#define GHOST_A(stmt)		stmt
#else
#define GHOST_A(stmt)		skip
#endif

#define RCU_READ_UNLOCK(v)	atomic { rcu_in[v] = 0; gp_wait[v] = 0 }

/*
 * Exit to user space as KVM_EXIT_MMIO: the properties.
 *  (a) no stale MMIO exit: an access that began after a swap that left a
 *      slot at gfn had completed exits as MMIO only if a later swap removed
 *      the slot during the access;
 *  (b) every MMIO exit (cache hit, SPTE hit, fault) corresponds to a map
 *      state that existed during the access.
 * (b) implies (a): when the access began with the slot settled, may_mmio
 * starts at 0 and is set only by a swap that removes the slot.  So (b) alone
 * is checked by default; PROP_A_ONLY checks (a) alone, with its own ghost
 * state, to show that a variant breaks the user-visible property (a).
 */
#ifdef PROP_A_ONLY
#define MMIO_EXIT(v)		assert(!after_create[v] || may_mmio[v]); goto done
#else
#define MMIO_EXIT(v)		assert(may_mmio[v]); goto done
#endif

proctype updater()
{
	byte n, a, cur, nxt, g, i;

	do
	:: n < NSWAPS ->
		/*
		 * Only shared accesses are separate steps; each atomic block
		 * below touches at most one variable another process reads
		 * concurrently (or only ghost state besides).
		 */
		atomic {
			/* slots_lock: one update at a time; pick the AS and the change */
			if
			:: a = 0
#if NR_AS > 1
			:: a = 1
#endif
			fi;
			cur = ACTIVE(a);
			nxt = SET(a, 1 - act[a]);
			/*
			 * kvm_replace_memslot() on the inactive set: CREATE,
			 * DELETE or FLAGS_ONLY at gfn.  No RCU reader uses that
			 * set: the last swap's grace period waited for them.
			 */
			if
			:: backed[nxt] = 0
			:: backed[nxt] = 1
			fi;
			g = gen[cur];
			assert(!(g & IP));
#ifdef GEN_BEFORE_PUBLISH
			g = g + NR_AS;
			gen[nxt] = g
#else
			gen[nxt] = g | IP
#endif
		};
		/* publish (rcu_assign_pointer); ghost: the map state changes */
		atomic {
			act[a] = 1 - act[a];
			GHOST_A(settled[a] = 0);
			do
			:: i < NVCPU ->
				if
				:: in_access[i] && VAS(i) == a && !backed[nxt] -> may_mmio[i] = 1
				:: else
				fi;
				i++
			:: else -> break
			od;
			i = 0
		};
		/* synchronize_rcu(): wait for the readers that are inside now */
		atomic {
			do
			:: i < NVCPU -> gp_wait[i] = rcu_in[i]; i++
			:: else -> break
			od;
			i = 0
		};
		do
		:: i < NVCPU -> gp_wait[i] == 0; i++
		:: else -> i = 0; break
		od;
#ifndef GEN_BEFORE_PUBLISH
		g = g + NR_AS;
#endif
		/* kvm_arch_memslots_updated(vm, g): the wrap check */
#if defined(NO_WRAP_ZAP)
		skip;
#elif defined(WRAP_KEEPS_AS_BITS)
		if
		:: (g & GEN_MASK) == 0 ->
			atomic { do :: i < NR_AS -> spte[i] = 0; i++ :: else -> i = 0; break od }
		:: else
		fi;
#else
		if
		:: ((g & GEN_MASK) & ~(NR_AS - 1)) == 0 ->
			/* kvm_mmu_zap_all_fast(): every root, under mmu_lock */
			atomic { do :: i < NR_AS -> spte[i] = 0; i++ :: else -> i = 0; break od }
		:: else
		fi;
#endif
		atomic {
#ifndef GEN_BEFORE_PUBLISH
			gen[nxt] = g;	/* the final generation (release) */
#endif
			GHOST_A(settled[a] = backed[nxt]);	/* the swap has completed */
			n++; a = 0; cur = 0; nxt = 0; g = 0
		}
	:: else -> break
	od
}

proctype vcpu(byte id)
{
	byte as = VAS(id);
	byte p, g, s;
	byte cgen = NOCACHE;	/* MMIO info cache (gfn is the only gfn) */
	bit b, spurious;

	/*
	 * Each step reads or writes at most one shared variable (plus ghost
	 * state and local decisions), so the interleavings are those of the C
	 * code under sequential consistency.
	 */
end_idle:
	do
	:: atomic {
		/* an access to gfn begins (ghost) */
		in_access[id] = 1;
		may_mmio[id] = !backed[ACTIVE(as)];
		GHOST_A(after_create[id] = settled[as]);
		/* a guest TLB flush may have emptied the MMIO cache */
		if
		:: cgen = NOCACHE
		:: skip
		fi
	   };
slow:
		/* vcpu_access_slow(): one dereference, its generation; no RCU */
		p = ACTIVE(as);
		atomic {
			g = gen[p];
			/* step 1: MMIO info cache, exact generation match */
			if
			:: cgen == g -> MMIO_EXIT(id)
			:: else
			fi
		};
		/* step 3: the lockless walk; check_mmio_spte() */
		atomic {
			s = spte[as];
			if
			:: s != 0 && !(g & IP) && s == SLICE(g) ->
				cgen = g;	/* vcpu_cache_mmio_info(): not in progress */
				MMIO_EXIT(id)
			:: else
			fi
		};

		/*
		 * kvm_tdp_page_fault(): rcu_read_lock, one dereference.  One
		 * step: a publish between the two would only make the grace
		 * period wait for a reader of the new set, which the updater's
		 * later snapshot of the readers covers anyway.
		 */
		atomic { rcu_in[id] = 1; p = ACTIVE(as) };
#ifdef GEN_BEFORE_PUBLISH
		b = backed[p];
		/* kvm_current_mmio_generation(): a second dereference */
		g = gen[ACTIVE(as)];
#else
		g = gen[p];
		b = backed[p];
#endif
		if
		:: b ->
			/* RET_PF_FIXED (RAM): the access is retried ... */
			RCU_READ_UNLOCK(id);
			p = ACTIVE(as);
			atomic {
				g = gen[p];
				/* ... MMIO cache first, then it completes as RAM */
				if
				:: cgen == g -> MMIO_EXIT(id)
				:: else -> goto done
				fi
			}
		:: else
		fi;
		/* no slot: kvm_handle_noslot_fault() */
#ifdef MMIO_CACHE_IGNORES_IP
		/* vcpu_cache_mmio_info() re-reads the generation, fills regardless */
		cgen = gen[ACTIVE(as)];
#else
		if
		:: !(g & IP) -> cgen = g
		:: else
		fi;
#endif
		if
		:: g & IP ->
			/* no tag is valid: exit uncached */
			RCU_READ_UNLOCK(id);
			MMIO_EXIT(id)
		:: else
		fi;
		/* kvm_tdp_mmu_map(): cmpxchg under mmu_lock (read) */
		atomic {
			if
			:: spte[as] == SLICE(g) -> spurious = 1
			:: else -> spte[as] = SLICE(g)
			fi
		};
		RCU_READ_UNLOCK(id);
		if
		:: spurious -> spurious = 0; goto slow	/* RET_PF_SPURIOUS */
		:: else -> MMIO_EXIT(id)		/* RET_PF_EMULATE */
		fi;
done:
		atomic {
			in_access[id] = 0;
			may_mmio[id] = 0;
			GHOST_A(after_create[id] = 0);
			p = 0; g = 0; s = 0; b = 0
		}
	od
}

init
{
	byte a, i;

	atomic {
		do
		:: a < NR_AS ->
			/* generations start at as_id; the inactive set is a copy */
			gen[SET(a, 0)] = a;
			gen[SET(a, 1)] = a;
			if
			:: backed[SET(a, 0)] = 0; backed[SET(a, 1)] = 0
			:: backed[SET(a, 0)] = 1; backed[SET(a, 1)] = 1; GHOST_A(settled[a] = 1)
			fi;
			a++
		:: else -> break
		od;
		run updater();
		do
		:: i < NVCPU -> run vcpu(i); i++
		:: else -> break
		od
	}
}
