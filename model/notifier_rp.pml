/*
 * notifier_rp.pml - range-precise invalidation retry ("RP"): the protocol
 * that replaces the global mmu_invalidate_seq / range hull of notifier.pml.
 * SPDX-License-Identifier: MIT
 *
 * One memslot of two host pages H0, H1 (hva bits 1 and 2 of a mask).  The
 * slot sits at guest location A or B (a MOVE changes it), so there are four
 * gfns: g = 2 * loc + page (A0 = 0, A1 = 1, B0 = 2, B1 = 3).  The two pages
 * of one location are in different 256 KiB granules, so each gfn has its own
 * bucket: bucket(g) = g.  SAME_BUCKET puts both pages of a location in one
 * bucket: bucket(g) = g / 2.  The host page table entry of each hva names a
 * page; each replacement installs a fresh page number (pages are never
 * reused).
 *
 * Following the protocol as implemented (lock-free start/end):
 *   start(hva mask), step 1, under mn_invalidate_lock alone: the bracket's
 *       gfn ranges from the active slot (VALID or INVALID copy) that the
 *       mask intersects; mark the bracket active (release); count each
 *       range open: inv_open[bucket(g)]++, or inv_open_wide++ for a wide
 *       bracket (seq_cst RMWs); in_progress++.  The lock is dropped and
 *       taken again (a swap may extend the bracket in between; the C
 *       start() now holds it across both steps, one of the orders the
 *       model covers).
 *     Step 3, under mn_invalidate_lock: the bracket's gfns as they stand
 *       now; the intent scan (a seq_cst load of every vCPU's intent): an
 *       intent on one of them -> SLOW; else, under mmu_lock (read), the
 *       walk: a present SPTE on one of them -> SLOW; else FAST: return,
 *       with no zap, no flush and no mmu_lock (write).  SLOW: under
 *       mmu_lock (write), zap the bracket's gfns (and flush).
 *   end(), under mn_invalidate_lock alone: for each gfn of the bracket,
 *       bump inv_seq[bucket(g)], or inv_seq_wide once if the bracket is
 *       wide and has a range; mark the bracket inactive (release); count
 *       its ranges closed (release); in_progress--.
 *   fault(g): snapshot s = inv_seq_wide + inv_seq[bucket(g)] (two loads)
 *       under RCU, BEFORE the memslot lookup and GUP; publish the intent
 *       (intent = g, a seq_cst exchange); under mmu_lock (read): retry if
 *       inv_open_wide or inv_open[bucket(g)] is not 0 and an active
 *       bracket's ranges contain g (lock-free loads: the active flag, then
 *       the ranges), or if the sum moved; else install; release mmu_lock;
 *       intent = none (release).
 *   swap (CREATE, DELETE, MOVE): under both locks (mmu_lock write), no
 *       wait: extend each active bracket with the NEW slot's gfns that its
 *       hva mask intersects and count the new ranges open, then publish.
 *       DELETE and MOVE publish an INVALID copy first, wait for RCU readers
 *       and zap the old location (kvm_arch_flush_shadow_memslot), as today.
 *   The C code keeps the intent as a count per bucket (inv[b].inflight,
 *   raised before the check, lowered after the install) and start()
 *   reads the counts of its own buckets; with one bucket per gfn that is
 *   this model's per-vCPU intent read at the gfns of the bracket (the
 *   same Dekker pair, per bucket).  It also skips the walk when no bucket
 *   of the bracket is marked mapped (a mark set before the install and
 *   cleared only by a zap-all after its flush); the model always walks,
 *   which covers every outcome of the mark (a set mark walks, a clear
 *   one means the walk finds nothing: checked by the checker's monitor).
 *   The model counts one open range per gfn (a C range touching two
 *   buckets counts in both; only zero / non-zero matters).  mmu_lock is a
 *   rwlock: the faults and start()'s walk hold it for read at the same
 *   time.  Each step of start() and end() that a fault can observe (the
 *   active flag, each inv_open and inv_seq update) is a step of its own;
 *   where it saves states, a lock acquisition is merged into the next
 *   step and a release into the previous one (a lock operation commutes
 *   with the other processes' steps that it does not block).
 *
 * Properties:
 *   (c) no translation to a page the host replaced once the invalidation
 *       that replaced it has ended: at install, at use, monitor;
 *   (k) once start() has returned and until end() begins, no SPTE maps
 *       the current host page of the bracket's hva range (KVM's promise
 *       to the primary MMU: a stale SPTE installed after a FAST start()
 *       is caught here, while the bracket is open);
 *   (d) bracket accounting balanced: end() never finds in_progress at 0,
 *       and with no bracket active and mn_invalidate_lock free,
 *       in_progress is 0 (monitor);
 *   (p) precision: the locked check retries on the sum only if an end()
 *       since the snapshot bumped a counter of g's bucket, or the wide one
 *       (ghost hit[], set with each bump from the bracket's ranges; the
 *       other retry needs an active bracket that covers g).  The other
 *       half, "a memslot update never blocks on brackets", is structural:
 *       the swap waits only for the two locks (and pan checks that no
 *       process is left blocked).
 *
 * Switches:
 *   WIDE                       a host operation may be "wide": its ranges
 *                              count in inv_open_wide and its end() bumps
 *                              inv_seq_wide instead of the buckets
 *   SAME_BUCKET                both pages of a location share a bucket
 *   INIT_NONE                  the slot does not exist at the start (so a
 *                              CREATE can land on memory a bracket covers)
 *   END_SKIPS_RANGE_BUMP       variant end-skips-range-bump: end() removes
 *                              the bracket but bumps no counter -> (c)
 *   SWAP_IGNORES_OPEN_BRACKETS variant swap-ignores-open-brackets: the swap
 *                              publishes without extending open brackets
 *                              -> (k), and (c) with PROP_C_ONLY
 *   SHARED_BUCKET_PRECISION    the locked check compares the global
 *                              mmu_invalidate_seq (the old rule) -> (p)
 *   START_SKIPS_INTENT_SCAN    step 3 goes SLOW only on a present SPTE: a
 *                              fault that checked before the bracket was
 *                              counted installs after the walk -> (k), (c)
 *   FAULT_INTENT_AFTER_CHECK   the fault publishes its intent after its
 *                              check, not before -> (k), (c)
 *   END_OPEN_BEFORE_BUMP       end() counts the ranges closed before it
 *                              bumps the sequence counters -> (c)
 *   PREFETCH                   (with SAME_BUCKET, which it forces) a
 *                              fault also maps the other page of its
 *                              location (its 256 KiB group: one bucket)
 *                              into an empty SPTE, with the page its GUP
 *                              read for it, unless an active bracket's
 *                              ranges meet the group; the intent covers
 *                              the group (C: the bucket's in-flight count)
 *   PREFETCH_IGNORES_OPEN_BRACKETS variant prefetch-ignores-open-brackets:
 *                              the prefetch looks only at whether a
 *                              bracket covers the fault's own gfn -> (k)
 *   PROP_C_ONLY                drop (k) from the monitor
 *   NO_INSTALL_CHECK           drop the (c) assertion at install: a stale
 *                              SPTE must then be caught at use or by the
 *                              monitor
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

#if defined(PREFETCH_IGNORES_OPEN_BRACKETS) && !defined(PREFETCH)
#define PREFETCH
#endif
#if defined(PREFETCH) && !defined(SAME_BUCKET)
#define SAME_BUCKET		/* a prefetch group is one bucket, as in C */
#endif
#ifdef SAME_BUCKET
#define BUCKET(g)	((g) / 2)
#else
#define BUCKET(g)	(g)
#endif
/* gfn bit mask of hva mask m (bit 0 = H0, bit 1 = H1) at location l */
#define GFNS(l, m)	((m) << (2 * (l)))
/* Does an intent (gfn + 1) meet gfn mask r?  With PREFETCH it is the
 * fault's whole group (both pages of its location). */
#ifdef PREFETCH
#define INTENT_IN(r, it)	(HAS(r, (it) - 1) || HAS(r, ((it) - 1) ^ 1))
#else
#define INTENT_IN(r, it)	HAS(r, (it) - 1)
#endif
#define HAS(mask, g)	((((mask) >> (g)) & 1) == 1)
/* g = the lowest gfn of the set t, taken out of t (t != 0) */
#define NEXTG(t, g)							\
	g = 0;								\
	do								\
	:: !HAS(t, g) -> g++						\
	:: else -> break						\
	od;								\
	t = t - (1 << g)

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

/*
 * The locks.  mn_invalidate_lock is a mutex (mn_lock).  mmu_lock is a
 * rwlock: mmu_r counts its readers; a write section is one atomic step
 * that starts only when mmu_r == 0, so no reader and no other writer can
 * be inside it (the writer flag would be set and cleared within that
 * step, and is left out).
 */
bit  mn_lock;
byte mmu_r;

/* Written under mn_invalidate_lock (the swap: and mmu_lock write); the
 * faults read reg[], ranges[], inv_open*, inv_seq* without it. */
byte inv_seq[NGFN];
byte inv_seq_wide;
byte inv_open[NGFN];		/* open bracket ranges touching each bucket */
byte inv_open_wide;		/* open ranges of wide brackets */
byte seq;			/* global mmu_invalidate_seq: stats only */
byte in_progress;
bit  reg[NHOST];		/* bracket active (open) */
byte hmask[NHOST];		/* its hva range */
byte ranges[NHOST];		/* its gfn ranges, as a gfn bit mask */
bit  wide[NHOST];
byte nreg;			/* active brackets (mn_active) */
byte intent[NVCPU];		/* gfn + 1 the vCPU is about to install, 0 none */

bit rcu_in[NVCPU];
bit gp_wait[NVCPU];

/* ghost, per vCPU: the gfn of the fault in flight, and whether an end()
 * since its snapshot bumped a counter of its bucket, or the wide one */
bit  infault[NVCPU];
byte fg[NVCPU];
bit  hit[NVCPU];
/* ghost, per host: start() has returned and end() has not begun */
bit  armed[NHOST];

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

/* One range of bracket h over gfn g opens / closes in g's bucket count,
 * or in the wide count (a read-modify-write: one step) */
#define OPEN_INC(h, g)							\
	if								\
	:: wide[h] -> inv_open_wide++					\
	:: else -> inv_open[BUCKET(g)]++				\
	fi
#define OPEN_DEC(h, g)							\
	if								\
	:: wide[h] -> inv_open_wide--					\
	:: else -> inv_open[BUCKET(g)]--				\
	fi

/* Under mn_invalidate_lock + mmu_lock (write): extend every active bracket
 * with the new slot's gfns that its hva mask intersects, count the new
 * ranges open, then publish (st, l).  No wait. */
#ifdef SWAP_IGNORES_OPEN_BRACKETS
#define SWAP(st, l)							\
	atomic { !mn_lock && mmu_r == 0 -> slotst = st; slotloc = l }
#else
#define SWAP(st, l)							\
	atomic {							\
		!mn_lock && mmu_r == 0 ->				\
		i = 0;							\
		do							\
		:: i < NHOST ->						\
			if						\
			:: reg[i] ->					\
				nw = GFNS(l, hmask[i]) & (15 - ranges[i]); \
				ranges[i] = ranges[i] | nw;		\
				g = 0;					\
				do					\
				:: g < NGFN ->				\
					if				\
					:: HAS(nw, g) -> OPEN_INC(i, g)	\
					:: else				\
					fi;				\
					g++				\
				:: else -> g = 0; break			\
				od;					\
				nw = 0					\
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
	byte n, i, l, st, g, nw;

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
			atomic {		/* kvm_arch_flush_shadow_memslot(): mmu_lock (write) */
				mmu_r == 0 ->
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
	byte m, old0, old1, g, v, r, t;
	bit slow, rd;

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
	/*
	 * invalidate_range_start(), step 1, under mn_invalidate_lock alone:
	 * the bracket's ranges from the active slot (VALID or INVALID copy),
	 * the bracket marked active, each range counted open.
	 */
	atomic {
		!mn_lock -> mn_lock = 1;
		hmask[id] = m;
		if
		:: slotst != NONE -> ranges[id] = GFNS(slotloc, m)
		:: else
		fi;
		nreg++;
		reg[id] = 1;		/* published (release) */
		t = ranges[id];
		if
		:: t == 0 -> in_progress++; mn_lock = 0
		:: else
		fi
	};
	do
	:: t != 0 ->
		atomic {
			NEXTG(t, g);
			OPEN_INC(id, g);	/* seq_cst RMW */
			if
			:: t == 0 -> in_progress++; mn_lock = 0
			:: else
			fi
		}
	:: else -> g = 0; break
	od;
	/* (a memslot swap may extend the bracket here) */

	/*
	 * Step 3, under mn_invalidate_lock: the bracket's gfns as they stand;
	 * the intent scan; then, under mmu_lock (read), the walk for a
	 * present SPTE.  Neither: FAST, nothing to zap.
	 */
#ifndef START_SKIPS_INTENT_SCAN
	atomic {
		!mn_lock -> mn_lock = 1;
		r = ranges[id];
		if	/* seq_cst load of intent[0] */
		:: intent[0] != 0 && INTENT_IN(r, intent[0]) -> slow = 1
		:: else
		fi
	};
	v = 1;
	do
	:: v < NVCPU ->
		d_step {	/* seq_cst load of intent[v] */
			if
			:: intent[v] != 0 && INTENT_IN(r, intent[v]) -> slow = 1
			:: else
			fi;
			v++
		}
	:: else -> v = 0; break
	od;
#else
	atomic { !mn_lock -> mn_lock = 1; r = ranges[id] };
#endif
	/* the walk, under mmu_lock (read), taken at the first gfn and
	 * released at the last one or at the first present SPTE */
	t = r;
	do
	:: t != 0 && !slow ->
		d_step {
			if
			:: !rd -> mmu_r++; rd = 1
			:: else
			fi;
			NEXTG(t, g);
			if
			:: spte[g] != 0 -> slow = 1
			:: else
			fi;
			if
			:: t == 0 || slow -> mmu_r--; rd = 0
			:: else
			fi
		}
	:: else -> t = 0; g = 0; break
	od;
	if
	:: slow ->	/* SLOW: mmu_lock (write), zap the bracket's gfns, flush */
		d_step {
			mmu_r == 0 ->
			g = 0;
			do
			:: g < NGFN ->
				if
				:: HAS(r, g) -> spte[g] = 0
				:: else
				fi;
				g++
			:: else -> g = 0; break
			od;
			armed[id] = 1; slow = 0; r = 0; mn_lock = 0	/* start() returns */
		}
	:: else ->	/* FAST */
		atomic { armed[id] = 1; r = 0; mn_lock = 0 }	/* start() returns */
	fi;

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

	/*
	 * invalidate_range_end(), under mn_invalidate_lock alone: bump each
	 * range's bucket (inv_seq_wide once for a wide bracket with a range),
	 * mark the bracket inactive (release), close its ranges (release),
	 * in_progress--.
	 */
	atomic { !mn_lock -> mn_lock = 1; armed[id] = 0; r = ranges[id] };
#ifdef END_OPEN_BEFORE_BUMP
	t = r;
	do
	:: t != 0 -> atomic { NEXTG(t, g); OPEN_DEC(id, g) }
	:: else -> g = 0; break
	od;
#endif
#ifndef END_SKIPS_RANGE_BUMP
	if
	:: wide[id] && r != 0 ->
		atomic {
			inv_seq_wide++;
			v = 0;	/* ghost: every fault in flight */
			do
			:: v < NVCPU -> hit[v] = hit[v] | infault[v]; v++
			:: else -> v = 0; break
			od
		}
	:: wide[id] && r == 0	/* no range, nothing to bump */
	:: else ->
		t = r;
		do
		:: t != 0 ->
			atomic {
				NEXTG(t, g);
				inv_seq[BUCKET(g)]++;
				v = 0;	/* ghost: the faults in flight in g's bucket */
				do
				:: v < NVCPU ->
					if
					:: infault[v] && BUCKET(fg[v]) == BUCKET(g) -> hit[v] = 1
					:: else
					fi;
					v++
				:: else -> v = 0; break
				od
			}
		:: else -> g = 0; break
		od
	fi;
#endif
	/* inactive (release); the ranges are cleared with the flag: a fault
	 * that loads the flag, then the ranges, may see either, and the bumps
	 * come first */
	atomic { seq++; reg[id] = 0; ranges[id] = 0 };
#ifndef END_OPEN_BEFORE_BUMP
	t = r;
	do
	:: t != 0 -> atomic { NEXTG(t, g); OPEN_DEC(id, g) }	/* release */
	:: else -> g = 0; break
	od;
#endif
	atomic {
		assert(in_progress > 0);	/* (d) */
		in_progress--;
		nreg--;
		hmask[id] = 0; wide[id] = 0; r = 0;
		mn_lock = 0;
		/* end() has returned: the old pages may be freed now (ghost) */
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
	byte g, s, w, b, pg, i, o;
	bit covered;
#ifdef PREFETCH
	byte pn;		/* the page GUP read for the neighbour g ^ 1 */
	bit touched;		/* an active bracket's ranges meet the group */
#endif

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
#ifdef PREFETCH
		pn = hostpte[(g ^ 1) % 2];	/* the same lookup: the group */
#endif
#ifndef FAULT_INTENT_AFTER_CHECK
		intent[id] = g + 1;		/* seq_cst exchange */
#endif
		/* mmu_lock (read), then the locked check: open ranges in g's
		 * bucket (the wide ones first), then the scan */
#ifdef WIDE
		atomic { mmu_r++; o = inv_open_wide };
		o = o + inv_open[BUCKET(g)];
#else
		atomic { mmu_r++; o = inv_open[BUCKET(g)] };
#endif
		if
		:: o != 0 ->
			i = 0;
			do
			:: i < NHOST ->
				if
				:: reg[i] ->
					if
					:: HAS(ranges[i], g) -> covered = 1
					:: else
					fi;
#ifdef PREFETCH
					if
					:: HAS(ranges[i], g ^ 1) -> touched = 1
					:: else
					fi
#endif
				:: else
				fi;
				i++
			:: else -> i = 0; break
			od
		:: else
		fi;
		if
		:: covered -> skip		/* RET_PF_RETRY */
		:: else ->
#ifdef SHARED_BUCKET_PRECISION
			atomic { w = 0; b = seq };
#else
#ifdef WIDE
			w = inv_seq_wide;
#endif
			b = inv_seq[BUCKET(g)];
#endif
			if
			:: w + b != s ->		/* RET_PF_RETRY */
				assert(hit[id])		/* (p) precision */
			:: else ->
#ifdef FAULT_INTENT_AFTER_CHECK
				intent[id] = g + 1;
#endif
				atomic {
#ifndef NO_INSTALL_CHECK
					assert(!dead[pg]);	/* (c) at install */
#endif
					spte[g] = pg
				};
#ifdef PREFETCH
#ifdef PREFETCH_IGNORES_OPEN_BRACKETS
				touched = 0;
#endif
				/* the neighbour: same bucket, same snapshot */
				atomic {
					if
					:: !touched && spte[g ^ 1] == 0 ->
#ifndef NO_INSTALL_CHECK
						assert(!dead[pn]);	/* (c) at install */
#endif
						spte[g ^ 1] = pn
					:: else
					fi
				}
#endif
			fi
		fi;
#ifdef PREFETCH
		atomic { mmu_r--; o = 0; covered = 0; w = 0; b = 0; i = 0; touched = 0 };
#else
		atomic { mmu_r--; o = 0; covered = 0; w = 0; b = 0; i = 0 };
#endif
		intent[id] = 0;			/* release */
out:
		atomic { rcu_in[id] = 0; gp_wait[id] = 0; infault[id] = 0; fg[id] = 0;
			 hit[id] = 0; g = 0; s = 0; w = 0; b = 0; pg = 0; covered = 0
#ifdef PREFETCH
			 ; pn = 0
#endif
		}
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
#define UNBALANCED	(!mn_lock && nreg == 0 && in_progress != 0)
/* (k): host h's current page mapped while bracket i is armed over it */
#define MAPS(h)		(spte[h] == hostpte[h] || spte[2 + h] == hostpte[h])
#define EXPOSED(i)	(armed[i] && ((HAS(hmask[i], 0) && MAPS(0)) || \
				      (HAS(hmask[i], 1) && MAPS(1))))
#if defined(PROP_C_ONLY)
#define ANY_EXPOSED	false
#elif NHOST == 1
#define ANY_EXPOSED	EXPOSED(0)
#elif NHOST == 2
#define ANY_EXPOSED	(EXPOSED(0) || EXPOSED(1))
#else
#define ANY_EXPOSED	(EXPOSED(0) || EXPOSED(1) || EXPOSED(2))
#endif
active proctype monitor()
{
end_mon:
	atomic {
		ANY_STALE || UNBALANCED || ANY_EXPOSED ->
		assert(!ANY_STALE);		/* (c) dead */
		assert(!UNBALANCED);		/* (d) in_progress */
		assert(!ANY_EXPOSED)		/* (k) armed */
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
