// SPDX-License-Identifier: MIT
/*
 * The direct host-memory backend and the guest-memory copy helpers.
 */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hostmem.h"

void guest_memcpy_from(void *dst, const uint8_t *src, size_t len)
{
	uint8_t *d = dst;
	size_t i = 0;

	if (!((uintptr_t)src & 7))
		for (; i + 8 <= len; i += 8) {
			uint64_t v = __atomic_load_n((const uint64_t *)(src + i), __ATOMIC_RELAXED);

			__builtin_memcpy(d + i, &v, 8);
		}
	for (; i < len; i++)
		d[i] = __atomic_load_n(src + i, __ATOMIC_RELAXED);
}

void guest_memcpy_to(uint8_t *dst, const void *src, size_t len)
{
	const uint8_t *s = src;
	size_t i = 0;

	if (!((uintptr_t)dst & 7))
		for (; i + 8 <= len; i += 8) {
			uint64_t v;

			__builtin_memcpy(&v, s + i, 8);
			__atomic_store_n((uint64_t *)(dst + i), v, __ATOMIC_RELAXED);
		}
	for (; i < len; i++)
		__atomic_store_n(dst + i, s[i], __ATOMIC_RELAXED);
}

/* Is the page at @hva mapped in this process?  mincore fails with ENOMEM on
 * an unmapped range. */
static bool direct_page_mapped(hva_t hva)
{
	unsigned char vec;

	return mincore((void *)(uintptr_t)(hva & PAGE_MASK), PAGE_SIZE, &vec) == 0;
}

static int direct_faultin(struct vmmu_vm *vm, hva_t hva, bool write, pfn_t *pfn,
			  bool *host_writable)
{
	(void)vm;
	(void)write;
	if (!direct_page_mapped(hva))
		return -EFAULT;
	*pfn = hva >> PAGE_SHIFT;
	*host_writable = true;
	return 0;
}

static int direct_rw(struct vmmu_vm *vm, hva_t hva, void *buf, size_t len, bool write)
{
	(void)vm;
	if (!direct_page_mapped(hva))
		return -EFAULT;
	if (write)
		guest_memcpy_to((uint8_t *)(uintptr_t)hva, buf, len);
	else
		guest_memcpy_from(buf, (const uint8_t *)(uintptr_t)hva, len);
	return 0;
}

const struct hostmem_ops hostmem_direct_ops = {
	.name = "direct",
	.faultin = direct_faultin,
	.rw = direct_rw,
};
