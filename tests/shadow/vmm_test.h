/* SPDX-License-Identifier: MIT */
/*
 * What the small VMMs of the shadow tests (hostmem_vmm.c, tiny_vmm.c) share:
 * KVM_SET_USER_MEMORY_REGION2, newer than Debian 12's headers, and the
 * check of a KVM call's outcome.
 */
#ifndef VMMU_TESTS_SHADOW_VMM_TEST_H
#define VMMU_TESTS_SHADOW_VMM_TEST_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

/* KVM_SET_USER_MEMORY_REGION2 (Linux 6.8) */
struct region2 {
	uint32_t slot, flags;
	uint64_t guest_phys_addr, memory_size, userspace_addr, guest_memfd_offset;
	uint32_t guest_memfd, pad1;
	uint64_t pad2[14];
};
#define SET_USER_MEMORY_REGION2 _IOW(KVMIO, 0x49, struct region2)
#define CAP_USER_MEMORY2	231	/* KVM_CAP_USER_MEMORY2 */

/* Calls whose outcome was not the expected one. */
static int fails;

/* Check that a call returned @r with errno @want_errno (0: succeeded). */
static inline int expect(const char *what, int r, int want_errno)
{
	int got = r < 0 ? errno : 0;

	if (got != want_errno) {
		fprintf(stderr, "%s: errno %d (%s), expected %d\n", what, got, strerror(got),
			want_errno);
		fails++;
	}
	return r;
}

#endif
