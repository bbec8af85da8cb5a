/* SPDX-License-Identifier: MIT */
/* One spelling of the results the harnesses print (testlib/errname.c). */
#ifndef VMMU_TESTLIB_ERRNAME_H
#define VMMU_TESTLIB_ERRNAME_H

/**
 * errname() - name a vmmu or KVM result for a report
 * @ret: 0, a negative errno, or VMMU_EXIT_MMIO
 *
 * Return: "0", "-EINVAL", ..., "MMIO", or the number in decimal for
 * anything else.  The string is static or in a per-thread buffer that the
 * next call on the same thread overwrites.
 */
const char *errname(int ret);

#endif /* VMMU_TESTLIB_ERRNAME_H */
