/* SPDX-License-Identifier: MIT */
/*
 * Small helpers shared by the library: branch hints, build-mode switches,
 * and typed guest/host address units.  (Warnings: warn.h.)
 */
#ifndef VMMU_COMPILER_H
#define VMMU_COMPILER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

/* Address units, as in KVM: the type says what the number counts. */
typedef uint64_t gpa_t;		/* guest physical address */
typedef uint64_t gfn_t;		/* guest frame number */
typedef uint64_t hva_t;		/* host virtual address */
typedef uint64_t pfn_t;		/* host frame number (hva >> 12 for direct RAM) */

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1ull << PAGE_SHIFT)
#define PAGE_MASK	(~(PAGE_SIZE - 1))

#define BIT_ULL(n)	(1ull << (n))
#define GENMASK_ULL(h, l) \
	((~0ull << (l)) & (~0ull >> (63 - (h))))

/*
 * Debug checks (lock-held assertions, SPTE invariants on the slow paths):
 * on unless NDEBUG, i.e. in meson's debug and debugoptimized buildtypes;
 * -Ddebug_checks=enabled/disabled forces them.  Off, they still compile
 * (type-checked), to nothing.
 */
#ifndef VMMU_DEBUG_CHECKS
#ifdef NDEBUG
#define VMMU_DEBUG_CHECKS 0
#else
#define VMMU_DEBUG_CHECKS 1
#endif
#endif

/*
 * __noipa: keep a function out of line and out of the caller's
 * interprocedural analysis (so its callers' register use, and the counted
 * hot paths, do not depend on its body).  clang has no "noipa"; noinline
 * is the closest it offers.
 */
#if defined(__clang__)
#define __noipa		__attribute__((noinline))
#else
#define __noipa		__attribute__((noinline, noipa))
#endif

/* Relaxed single-writer counter bump: no RMW, readers use relaxed loads. */
#define STAT_ADD(ctr, n) \
	atomic_store_explicit(&(ctr), atomic_load_explicit(&(ctr), memory_order_relaxed) + (n), \
			      memory_order_relaxed)
#define STAT_INC(ctr) STAT_ADD(ctr, 1)

#if defined(__SANITIZE_THREAD__)
#define VMMU_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define VMMU_TSAN 1
#endif
#endif
#ifndef VMMU_TSAN
#define VMMU_TSAN 0
#endif

/*
 * smp_mb() - a full barrier.  ThreadSanitizer does not model a stand-alone
 * fence (gcc refuses it), so TSan builds use a seq_cst RMW on a private
 * word, the same instruction on x86.
 */
#if VMMU_TSAN
static inline void smp_mb(void)
{
	static _Atomic int smp_mb_word;

	atomic_fetch_add_explicit(&smp_mb_word, 0, memory_order_seq_cst);
}
#else
#define smp_mb()	atomic_thread_fence(memory_order_seq_cst)
#endif

/* Release and acquire fences; under ThreadSanitizer, which has no fences,
 * smp_mb()'s locked RMW stands in for both. */
#if VMMU_TSAN
#define smp_release_fence()	smp_mb()
#define smp_acquire_fence()	smp_mb()
#else
#define smp_release_fence()	atomic_thread_fence(memory_order_release)
#define smp_acquire_fence()	atomic_thread_fence(memory_order_acquire)
#endif

#endif /* VMMU_COMPILER_H */
