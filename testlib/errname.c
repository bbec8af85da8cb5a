// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>

#include "vmmu.h"
#include "errname.h"

const char *errname(int ret)
{
	static _Thread_local char buf[16];

	switch (ret) {
	case 0:		return "0";
	case -EINVAL:	return "-EINVAL";
	case -EEXIST:	return "-EEXIST";
	case -ENOENT:	return "-ENOENT";
	case -ENOMEM:	return "-ENOMEM";
	case -EFAULT:	return "-EFAULT";
	case -EIO:	return "-EIO";
	case -ENXIO:	return "-ENXIO";
	case -EPERM:	return "-EPERM";
	case -ENOSPC:	return "-ENOSPC";
	case VMMU_EXIT_MMIO: return "MMIO";
	default:
		snprintf(buf, sizeof(buf), "%d", ret);
		return buf;
	}
}
