/* SPDX-License-Identifier: MIT */
/*
 * The tiered invariant checks of docs/DESIGN.md: WARN_ON_ONCE (always on)
 * and DEBUG_CHECK (debug builds, VMMU_DEBUG_CHECKS).  vmmu never aborts: a
 * broken internal invariant warns and the caller returns -EIO.
 */
#ifndef VMMU_WARN_H
#define VMMU_WARN_H

#include <stdatomic.h>
#include <stdbool.h>

#include "compiler.h"

/*
 * vmmu_warn() - report a broken invariant: the condition @cond at
 * @file:@line.  warn.c prints it; the checker's own vmmu_warn reports a
 * violation of the explored schedule.
 */
void vmmu_warn(const char *file, int line, const char *cond);

/*
 * The calling thread's last-error message (last_error.c), returned by
 * vmmu_last_error(): set where a call fails with a cause worth naming,
 * cleared by the calls that document it on entry.  vmmu_prefix_last_error()
 * puts @prefix before the current message (a batch names its entry).
 */
void vmmu_set_last_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vmmu_clear_last_error(void);
void vmmu_prefix_last_error(const char *prefix);

/*
 * Tier 1: always on.  WARN_ON_ONCE(cond) evaluates to cond, so it can sit in
 * an if (); the first time a site fires it prints the condition.
 */
#ifndef VMMU_CHECKER
#define WARN_ON_ONCE(cond) ({						\
	static atomic_bool __warned;					\
	bool __c = !!(cond);						\
	if (unlikely(__c) && !atomic_exchange_explicit(&__warned, true,	\
						memory_order_relaxed))	\
		vmmu_warn(__FILE__, __LINE__, #cond);			\
	unlikely(__c);							\
})
#else
/* Checker build: every firing is reported (to the checker's vmmu_warn),
 * since each explored schedule starts from a fresh VM. */
#define WARN_ON_ONCE(cond) ({						\
	bool __c = !!(cond);						\
	if (unlikely(__c))						\
		vmmu_warn(__FILE__, __LINE__, #cond);			\
	unlikely(__c);							\
})
#endif

/*
 * Tier 2: debug-only.  Compiled out of release builds but still
 * type-checked, so it cannot rot.
 */
#define DEBUG_CHECK(cond) do {						\
	if (VMMU_DEBUG_CHECKS)						\
		(void)WARN_ON_ONCE(!(cond));				\
} while (0)

#endif /* VMMU_WARN_H */
