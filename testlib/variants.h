/* SPDX-License-Identifier: MIT */
/* The historic-bug variants of a VMMU_VARIANTS build (testlib/variants.c). */
#ifndef VMMU_TOOLS_VARIANTS_H
#define VMMU_TOOLS_VARIANTS_H

#include "check_hooks.h"

struct variant_desc {
	const char *name;
	enum vmmu_checker_variant id;
	const char *home;		/* the checker scenario that catches it */
	const char *summary;
};
extern const struct variant_desc variants[];
extern const int nr_variants;
const struct variant_desc *variant_find(const char *name);

#endif
