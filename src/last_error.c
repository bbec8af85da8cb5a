// SPDX-License-Identifier: MIT
/*
 * The per-thread last-error message (vmmu_last_error()): which check a
 * failing call tripped over.  Part of the library core, so the checker and
 * variant twins carry it too.
 */
#include <stdarg.h>
#include <stdio.h>

#include "vmmu.h"
#include "warn.h"

#define LAST_ERROR_LEN	256

static _Thread_local char last_error[LAST_ERROR_LEN];

void vmmu_set_last_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
}

void vmmu_clear_last_error(void)
{
	last_error[0] = '\0';
}

void vmmu_prefix_last_error(const char *prefix)
{
	char msg[LAST_ERROR_LEN];

	snprintf(msg, sizeof(msg), "%s", last_error);
	snprintf(last_error, sizeof(last_error), "%s%s", prefix, msg);
}

VMMU_API const char *vmmu_last_error(void)
{
	return last_error;
}
