/* SPDX-License-Identifier: MIT */
/*
 * The binary statistics files (include/vmmu.h, "Binary statistics"): the
 * descriptor tables and the image builder behind vmmu_vm_stats_read() and
 * friends, in src/stats.c.
 */
#ifndef VMMU_STATS_H
#define VMMU_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "vmmu.h"

/* One counter of a stats file: its name, flags and where its value is. */
struct stats_def {
	const char *name;
	uint32_t flags;		/* VMMU_STATS_* */
	uint32_t off;		/* offset of the uint64_t in the source struct */
};

#endif /* VMMU_STATS_H */
