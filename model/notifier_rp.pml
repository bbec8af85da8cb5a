/*
 * notifier_rp.pml - range-precise invalidation retry ("RP"): the protocol
 * that replaces the global mmu_invalidate_seq / range hull of notifier.pml.
 * SPDX-License-Identifier: MIT
 *
 * One memslot of two host pages H0, H1 (hva bits 1 and 2 of a mask).  The
 * slot sits at guest location A or B (a MOVE changes it), so there are four
 * gfns: g = 2 * loc + page (A0 = 0, A1 = 1, B0 = 2, B1 = 3).  The two pages
 * of one location are in different 64 KiB granules, so each gfn has its own
 * bucket: bucket(g) = g.  SAME_BUCKET puts both pages of a location in one
 * bucket: bucket(g) = g / 2.  The host page table entry of each hva names a
 * page; each replacement installs a fresh page number (pages are never
 * reused).
 *
 * Following the specification (not yet the C code):
 *   start(hva mask): register the bracket (mn_invalidate_lock); then under
 *       mmu_lock (write): add the gfns of the active slot (VALID or INVALID
 *       copy) that the mask intersects, in_progress++, zap them.
 *   end(): under both locks: for each gfn of the bracket, bump
 *       inv_seq[bucket(g)], or inv_seq_wide once if the range is wide; the
 *       global seq++; remove the bracket; in_progress--.
 *   fault(g): snapshot s = inv_seq_wide + inv_seq[bucket(g)] (two loads)
 *       under RCU, BEFORE the memslot lookup and GUP; under mmu_lock: retry
 *       if an open bracket contains g, or if the sum moved; else install.
 *   swap (CREATE, DELETE, MOVE): under both locks, no wait: add the NEW
 *       slot's gfns that each registered bracket's hva mask intersects, then
 *       publish.  DELETE and MOVE publish an INVALID copy first, wait for RCU
 *       readers and zap the old location (kvm_arch_flush_shadow_memslot), as
 *       today.
 *
 * Properties:
 *   (c) no translation to a page the host replaced once the invalidation
 *       that replaced it has ended: at install, at use, monitor;
 *   (d) bracket accounting balanced: end() never finds in_progress at 0,
 *       and with no bracket registered in_progress is 0 (monitor);
 *   (p) precision: the locked check retries only if an open bracket covers
 *       g, or an end() since the snapshot had a range in g's bucket or a
 *       wide range (ghost hit[], computed from the ranges, not from the
 *       counters).  The other half, "a memslot update never blocks on
 *       brackets", is structural: the swap's atomic blocks have no guard
 *       (and pan checks that no process is left blocked).
 *
 * Switches:
 *   WIDE                       a host operation may be "wide": its end()
 *                              bumps inv_seq_wide instead of the buckets
 *   SAME_BUCKET                both pages of a location share a bucket
 *   INIT_NONE                  the slot does not exist at the start (so a
 *                              CREATE can land on memory a bracket covers)
 *   END_SKIPS_RANGE_BUMP       variant end-skips-range-bump: end() removes
 *                              the bracket but bumps no counter -> (c)
 *   SWAP_IGNORES_OPEN_BRACKETS variant swap-ignores-open-brackets: the swap
 *                              publishes without extending open brackets
 *                              -> (c)
 *   SHARED_BUCKET_PRECISION    the locked check compares the global
 *                              mmu_invalidate_seq (today's rule) -> (p)
 *   NHOST, NUPD, NVCPU         bounds
 */

#ifndef NHOST
#define NHOST 2
#endif
#ifndef NUPD
#define NUPD 2
#endif
#ifndef NVCPU
#define NVCPU 1
#endif

#define NONE	0
#define VALID	1
#define INVALID	2
#define NGFN	4
#define NPAGES	(2 * NHOST + 3)

#ifdef SAME_BUCKET
#define BUCKET(g)	((g) / 2)
#else
#define BUCKET(g)	(g)
#endif
/* gfn bit mask of hva mask m (bit 0 = H0, bit 1 = H1) at location l */
#define GFNS(l, m)	((m) << (2 * (l)))
#define HAS(mask, g)	((((mask) >> (g)) & 1) == 1)

byte hostpte[2];		/* page mapped at H0 / H1 */
byte next_page = 3;
bit  dead[NPAGES];		/* ghost: replaced and its invalidation ended */
byte spte[NGFN];		/* leaf SPTE of each gfn: page, 0 = none */
#ifdef INIT_NONE
byte slotst = NONE;
#else
byte slotst = VALID;
#endif
byte slotloc;			/* 0 = A, 1 = B */

/* mmu_lock (write) for writers; the bracket list also mn_invalidate_lock */
byte inv_seq[NGFN];
byte inv_seq_wide;
byte seq;			/* global mmu_invalidate_seq: stats only */
byte in_progress;
bit  reg[NHOST];		/* bracket registered (open) */
byte hmask[NHOST];		/* its hva range */
byte ranges[NHOST];		/* its gfn ranges, as a gfn bit mask */
bit  wide[NHOST];
byte nreg;			/* registered brackets (mn_active) */

bit rcu_in[NVCPU];
bit gp_wait[NVCPU];

/* ghost, per vCPU: the gfn of the fault in flight, and whether an end()
 * since its snapshot had a range in its bucket or a wide range */
bit  infault[NVCPU];
byte fg[NVCPU];
bit  hit[NVCPU];

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

/* Under mn_invalidate_lock + mmu_lock (write): add the new slot's gfns to
 * every registered bracket, then publish (st, l).  No wait. */
#ifdef SWAP_IGNORES_OPEN_BRACKETS
#define SWAP(st, l)	atomic { slotst = st; slotloc = l }
#else
#define SWAP(st, l)							\
	atomic {							\
		i = 0;							\
		do							\
		:: i < NHOST ->						\
			if						\
			:: reg[i] -> ranges[i] = ranges[i] | GFNS(l, hmask[i]) \
			:: else						\
			fi;						\
			i++						\
		:: else -> i = 0; break					\
		od;							\
		slotst = st; slotloc = l				\
	}
#endif

proctype updater()
{
	byte n, i, l, st;

	do
	:: n < NUPD ->
		if
		:: slotst == NONE ->		/* CREATE at A or B */
			if
			:: l = 0
			:: l = 1
			fi;
			SWAP(VALID, l);
			SYNCHRONIZE_RCU()
		:: slotst == VALID ->		/* DELETE, or MOVE to the other location */
			l = slotloc;
			SWAP(INVALID, l);
			SYNCHRONIZE_RCU();
			atomic {		/* kvm_arch_flush_shadow_memslot() */
				spte[2 * l] = 0;
				spte[2 * l + 1] = 0
			};
			if
			:: st = NONE		/* DELETE */
			:: st = VALID; l = 1 - l	/* MOVE */
			fi;
			SWAP(st, l);
			SYNCHRONIZE_RCU()
		fi;
		n++
	:: else -> break
	od
}

proctype host(byte id)
{
	byte m, old0, old1, g, v;

	/* host 0: page H0 or both pages; the others: page H1 */
	if
	:: id == 0 -> if
		:: m = 1
		:: m = 3
		fi
	:: else -> m = 2
	fi;
#ifdef WIDE
	if	/* host 0's range may span more than W granules */
	:: id == 0 -> wide[id] = 1
	:: skip
	fi;
#endif
	/* invalidate_range_start(): register under mn_invalidate_lock */
	atomic { reg[id] = 1; hmask[id] = m; nreg++ };
	d_step {	/* mmu_lock (write): ranges from the active set, count, zap */
		if
		:: slotst != NONE -> ranges[id] = ranges[id] | GFNS(slotloc, m)
		:: else
		fi;
		in_progress++;
		g = 0;
		do
		:: g < NGFN ->
			if
			:: HAS(ranges[id], g) -> spte[g] = 0
			:: else
			fi;
			g++
		:: else -> g = 0; break
		od
	};
	/* the host replaces the pages, under the page-table lock */
	d_step {
		if
		:: m & 1 -> old0 = hostpte[0]; hostpte[0] = next_page; next_page++
		:: else
		fi;
		if
		:: m & 2 -> old1 = hostpte[1]; hostpte[1] = next_page; next_page++
		:: else
		fi
	};
	/* invalidate_range_end(): mmu_lock (write) + mn_invalidate_lock */
	d_step {
#ifndef END_SKIPS_RANGE_BUMP
		if
		:: wide[id] && ranges[id] != 0 -> inv_seq_wide++
		:: wide[id] && ranges[id] == 0	/* no range, nothing to bump */
		:: else ->
			g = 0;
			do
			:: g < NGFN ->
				if
				:: HAS(ranges[id], g) -> inv_seq[BUCKET(g)]++
				:: else
				fi;
				g++
			:: else -> g = 0; break
			od
		fi;
#endif
		/* ghost: which faults in flight this end() concerns */
		v = 0;
		do
		:: v < NVCPU ->
			g = 0;
			do
			:: g < NGFN ->
				if
				:: infault[v] && HAS(ranges[id], g) &&
				   (wide[id] || BUCKET(g) == BUCKET(fg[v])) -> hit[v] = 1
				:: else
				fi;
				g++
			:: else -> g = 0; break
			od;
			v++
		:: else -> v = 0; break
		od;
		seq++;
		assert(in_progress > 0);	/* (d) */
		in_progress--;
		reg[id] = 0; ranges[id] = 0; hmask[id] = 0; wide[id] = 0;
		nreg--
	};
	/* the old pages may be freed now */
	d_step {
		if
		:: m & 1 -> dead[old0] = 1
		:: else
		fi;
		if
		:: m & 2 -> dead[old1] = 1
		:: else
		fi;
		old0 = 0; old1 = 0; m = 0
	}
}

proctype vcpu(byte id)
{
	byte g, s, w, b, pg, i;
	bit covered;

end_idle:
	do
	:: /* kvm_tdp_page_fault(g) */
		if
		:: g = 0
		:: g = 1
		:: g = 2
		:: g = 3
		fi;
		atomic { rcu_in[id] = 1; infault[id] = 1; fg[id] = g; hit[id] = 0;
			 w = inv_seq_wide };
		b = inv_seq[BUCKET(g)];
#ifdef SHARED_BUCKET_PRECISION
		atomic { w = 0; b = seq };
#endif
		d_step { s = w + b; w = 0; b = 0 };
		/* memslot lookup: the slot's gfns at its location */
		if
		:: slotst == VALID && g / 2 == slotloc -> skip
		:: else -> goto out	/* MMIO exit, or RET_PF_RETRY (INVALID) */
		fi;
		pg = hostpte[g % 2];		/* GUP */
		d_step {	/* mmu_lock (read): the locked check, then install */
			covered = 0;
			i = 0;
			do
			:: i < NHOST ->
				if
				:: reg[i] && HAS(ranges[i], g) -> covered = 1
				:: else
				fi;
				i++
			:: else -> i = 0; break
			od;
			if
			:: covered -> skip		/* RET_PF_RETRY */
#ifdef SHARED_BUCKET_PRECISION
			:: !covered && seq != s ->
#else
			:: !covered && inv_seq_wide + inv_seq[BUCKET(g)] != s ->
#endif
				assert(hit[id]);	/* (p) precision */
			:: else ->
				assert(!dead[pg]);	/* (c) at install */
				spte[g] = pg
			fi
		};
out:
		atomic { rcu_in[id] = 0; gp_wait[id] = 0; infault[id] = 0; fg[id] = 0;
			 hit[id] = 0; g = 0; s = 0; w = 0; b = 0; pg = 0; covered = 0 }
	:: /* a guest access through an SPTE */
		atomic {	/* (c) at use */
			assert(spte[0] == 0 || !dead[spte[0]]);
			assert(spte[1] == 0 || !dead[spte[1]]);
			assert(spte[2] == 0 || !dead[spte[2]]);
			assert(spte[3] == 0 || !dead[spte[3]])
		}
	od
}

#define STALE(g)	(spte[g] != 0 && dead[spte[g]])
#define ANY_STALE	(STALE(0) || STALE(1) || STALE(2) || STALE(3))
#define UNBALANCED	(nreg == 0 && in_progress != 0)
active proctype monitor()
{
end_mon:
	atomic {
		ANY_STALE || UNBALANCED ->
		assert(!ANY_STALE);		/* (c) dead */
		assert(!UNBALANCED)		/* (d) in_progress */
	}
}

init
{
	byte i;

	atomic {
		hostpte[0] = 1; hostpte[1] = 2;
		run updater();
		do
		:: i < NHOST -> run host(i); i++
		:: else -> break
		od;
		i = 0;
		do
		:: i < NVCPU -> run vcpu(i); i++
		:: else -> break
		od
	}
}
