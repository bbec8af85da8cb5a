// SPDX-License-Identifier: MIT
/*
 * Diagnostics of libvmmu and the variant library: vmmu_warn(), and the
 * lock-holder tracking of debug builds.  (The checker library leaves this
 * file out: vmmu-check's vmmu_warn reports a violation, and its locks
 * track nothing.)
 */
#include <stdio.h>

#include "warn.h"

void vmmu_warn(const char *file, int line, const char *cond)
{
	fprintf(stderr, "vmmu: WARNING at %s:%d: %s\n", file, line, cond);
}

#include "check_hooks.h"

#if VMMU_LOCKDEP
/* Lock-holder tracking of debug builds (check_hooks.h). */
LOCKDEP_TLS char vmmu_lockdep_self;
#if VMMU_LOCKDEP_READERS
LOCKDEP_TLS const vmmu_rwlock_t *vmmu_lockdep_read_held[LOCKDEP_MAX_READ_HELD];
#endif
#endif
