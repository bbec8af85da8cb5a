/*
 * fence.pml - the remote TLB flush against a vCPU whose access bracket is
 * entered without a fence: the request/answer protocol with membarrier()
 * as the fallback (src/fence.h fence_state, vcpu_access_begin; src/mmu.c
 * flush_ask_vcpus, kvm_flush_remote_tlbs_range; src/fence.c).
 * SPDX-License-Identifier: MIT
 *
 * Unlike the other models, this one is about memory order, so it models
 * x86-TSO where it matters: the vCPU's plain stores (the entering increment
 * of access_seq; with ANSWER_WITHOUT_FENCE, its answer) go through a FIFO
 * store buffer while its later loads (fence_state, tlb_gen, the SPTE) go to
 * memory, its own buffered stores forwarded.  The buffer drains one store
 * at a time on its own, and all at once when the vCPU executes a locked
 * instruction (the answer, the OUTSIDE CAS), when it leaves the bracket
 * (the even store, made visible at once here: earlier than on the machine,
 * which only lets a flusher stop waiting sooner), and when a flusher's
 * membarrier() interrupts it.  The flusher's steps are locked RMWs or
 * loads after them: sequentially consistent.
 *
 * The map: translation t (t = 0, 1, ...) is the one installed at TLB
 * generation t.  Flush k clears translation k-1's SPTE, bumps tlb_gen to k,
 * fences the vCPU (asks it, or waits its budget out and issues
 * membarrier(), then waits out an odd access_seq), and returns; then the
 * host frees translation k-1's page (freed[k-1]).  The vCPU's software TLB
 * has one entry, tagged with the generation it was filled at.
 *
 * vCPU, NACC times, one of:
 *   access: seq odd (buffered); s = fence_state; if s != FAST: answer
 *           (locked: drain, fence_state = FAST); g = tlb_gen; a hit if the
 *           entry's tag is g, else walk: the SPTE of translation g if still
 *           there (refill the entry), else the fault path (below); touch
 *           the page: assert it is not freed (property "stale");
 *           seq even (drains).
 *   fault path / vmmu_vcpu_idle(): fence_state = OUTSIDE (locked).
 *   stop: make no more accesses (an idle vCPU that never answers).
 *
 * Flusher, NFLUSH times: clear SPTE, tlb_gen++; then by fence_state:
 *   FAST:    CAS to REQ; wait until it is not REQ (an answer), or give up
 *            at any moment (the budget is wall time: any interleaving);
 *            on giving up, membarrier() (drain) and wait out access_seq;
 *   OUTSIDE: nothing;
 *   REQ:     (unanswered since an earlier flush's barrier) wait out
 *            access_seq, no barrier;
 *   then free the page.
 *
 * Switches (each a variant the model must catch, property "stale"):
 *   FLUSH_TRUSTS_FAST        a FAST vCPU counts as done (variant
 *                            flush-trusts-fast)
 *   FLUSH_WITHOUT_MEMBARRIER giving up issues no membarrier() (variant
 *                            flush-without-membarrier)
 *   ANSWER_WITHOUT_FENCE     the vCPU answers with a plain store instead
 *                            of a locked RMW (it may land after a newer
 *                            request, and fences nothing)
 *   NACC, NFLUSH             bounds
 */

#ifndef NACC
#define NACC 3
#endif
#ifndef NFLUSH
#define NFLUSH 2
#endif

#define FAST	0
#define REQ	1
#define OUTSIDE	2

byte seq;			/* vcpu->access_seq as the flusher sees it */
#define SB_SEQ		1	/* a buffered seq++ */
#define SB_FAST		2	/* a buffered fence_state = FAST */
byte sbq[2];			/* the vCPU's store buffer, oldest first */
byte nsb;
byte state = FAST;		/* vcpu->fence_state */
byte tlb_gen;			/* vcpu->tlb_gen */
bool spte[NFLUSH + 1];		/* translation t's SPTE is present */
bool freed[NFLUSH + 1];		/* translation t's page is freed */

/* The oldest buffered store reaches memory. */
inline drain_one()
{
	if
	:: sbq[0] == SB_SEQ -> seq++
	:: sbq[0] == SB_FAST -> state = FAST
	fi;
	sbq[0] = sbq[1];
	sbq[1] = 0;
	nsb--
}

/* A fence: every buffered store reaches memory. */
inline drain()
{
	do
	:: nsb > 0 -> drain_one()
	:: else -> break
	od
}

inline push(x)
{
	sbq[nsb] = x;
	nsb++
}

active proctype vcpu()
{
	byte n, g, tag, s;
	bool hit;

	tag = 0;		/* the entry holds translation 0, tagged 0 */
	for (n : 1 .. NACC) {
		if
		:: true ->
			/* vcpu_access_begin() */
			push(SB_SEQ);
			s = state;	/* (no buffered state store here to forward) */
			if
			:: s != FAST ->
#ifdef ANSWER_WITHOUT_FENCE
				push(SB_FAST)
#else
				atomic { drain(); state = FAST }	/* the answer */
#endif
			:: else
			fi;
			g = tlb_gen;
			if
			:: tag == g -> hit = true
			:: else ->
				/* the walk, inside the bracket */
				if
				:: spte[g] -> tag = g; hit = true
				:: else -> hit = false	/* fault path next */
				fi
			fi;
			if
			:: hit -> assert(!freed[tag])	/* stale */
			:: else
			fi;
			/* vcpu_access_end(): the even store follows the odd one */
			atomic { drain(); seq++ };
			if
			:: !hit -> atomic { drain(); state = OUTSIDE }	/* vcpu_fence_outside() */
			:: else
			fi
		:: true -> atomic { drain(); state = OUTSIDE }	/* vmmu_vcpu_idle() */
		:: true -> break			/* stops making accesses */
		fi
	}
}

/* TSO: the buffer drains by itself at any moment. */
active proctype store_buffer()
{
end:	do
	:: atomic { nsb > 0 -> drain_one() }
	od
}

active proctype flusher()
{
	byte k, s;
	bool wait_seq;

	for (k : 1 .. NFLUSH) {
		spte[k - 1] = false;
		spte[k] = true;		/* the new map's translation k */
		tlb_gen = k;		/* locked RMW */
		wait_seq = false;
		if
		:: atomic { state == FAST ->
#ifdef FLUSH_TRUSTS_FAST
			skip
#else
			state = REQ
#endif
		   };
#ifndef FLUSH_TRUSTS_FAST
			if
			:: state != REQ -> skip			/* answered */
			:: true ->				/* budget over */
#ifndef FLUSH_WITHOUT_MEMBARRIER
				atomic { drain() };		/* membarrier() */
#endif
				wait_seq = true
			fi
#endif
		:: atomic { state == OUTSIDE -> skip }
		:: atomic { state == REQ -> wait_seq = true }
		fi;
		if
		:: wait_seq ->
			s = seq;
			if
			:: s % 2 == 1 -> (seq != s)
			:: else
			fi
		:: else
		fi;
		freed[k - 1] = true
	}
}
