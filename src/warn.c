// SPDX-License-Identifier: MIT
/*
 * Diagnostics of libvmmu and the variant library: vmmu_warn(), the log
 * callback it reports through, and the lock-holder tracking of debug
 * builds.  (The checker library leaves this file out: vmmu-check's
 * vmmu_warn reports a violation, and its locks track nothing.)
 */
#include <pthread.h>
#include <stdio.h>

#include "vmmu.h"
#include "warn.h"

/* The program's callback and its argument, changed and read together. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static vmmu_log_fn log_cb;
static void *log_opaque;

VMMU_API void vmmu_set_log_callback(vmmu_log_fn cb, void *opaque)
{
	pthread_mutex_lock(&log_lock);
	log_cb = cb;
	log_opaque = cb ? opaque : NULL;
	pthread_mutex_unlock(&log_lock);
}

/* Deliver one message: to the callback if one is set, else to stderr. */
static void vmmu_log(int level, const char *msg)
{
	vmmu_log_fn cb;
	void *opaque;

	pthread_mutex_lock(&log_lock);
	cb = log_cb;
	opaque = log_opaque;
	pthread_mutex_unlock(&log_lock);
	if (cb)
		cb(level, msg, opaque);
	else
		fprintf(stderr, "vmmu: %s\n", msg);
}

void vmmu_warn(const char *file, int line, const char *cond)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "WARNING at %s:%d: %s", file, line, cond);
	vmmu_log(VMMU_LOG_WARNING, msg);
}

#include "check_hooks.h"

#if VMMU_LOCKDEP
/* Lock-holder tracking of debug builds (check_hooks.h). */
LOCKDEP_TLS char vmmu_lockdep_self;
#if VMMU_LOCKDEP_READERS
LOCKDEP_TLS const vmmu_rwlock_t *vmmu_lockdep_read_held[LOCKDEP_MAX_READ_HELD];
#endif
#endif
