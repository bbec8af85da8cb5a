// SPDX-License-Identifier: MIT
/*
 * vmmu_version(): the version of the library, from the generated
 * vmmu/version.h (the one version, meson's project()).
 */
#include "vmmu.h"

VMMU_API const char *vmmu_version(void)
{
	return VMMU_VERSION_STRING;
}
