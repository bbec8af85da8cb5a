/* SPDX-License-Identifier: MIT */
/*
 * Size-tagged API structs (struct vmmu_vm_config, struct vmmu_stats): the
 * caller puts sizeof(struct) of the headers it was compiled with, or 0, in
 * the leading uint32_t size field, so that a library and a program built
 * against different versions agree on which fields exist.  The rules are
 * those of Linux's copy_struct_from_user():
 *
 *   size 0                  the struct as first size-tagged (SIZE_VER0)
 *   size < SIZE_VER0        -EINVAL
 *   SIZE_VER0 <= size <= known   an older program: the fields it has are
 *                           read (written), the newer ones take their
 *                           defaults (are not written)
 *   known < size <= 4096    a newer program: an input struct is accepted
 *                           only if every byte past what this library knows
 *                           is zero (else -E2BIG); an output struct gets
 *                           the known part, the rest is left untouched
 *   size > 4096             -E2BIG
 */
#ifndef VMMU_ABI_H
#define VMMU_ABI_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define VMMU_STRUCT_SIZE_MAX	4096u

/* The number of bytes of a caller's struct to use, or -EINVAL/-E2BIG. */
static inline long sized_struct_len(uint32_t size, size_t ver0, size_t known)
{
	if (!size)
		return (long)ver0;
	if (size < ver0)
		return -EINVAL;
	if (size > VMMU_STRUCT_SIZE_MAX)
		return -E2BIG;
	return (long)(size < known ? size : known);
}

/*
 * Copy an input struct of @size bytes (its size field) at @src into @dst
 * (@known bytes, this library's layout), zeroing what @src lacks.
 * Return: 0, -EINVAL, -E2BIG (see above).
 */
static inline int sized_struct_in(void *dst, size_t known, const void *src, uint32_t size,
				  size_t ver0)
{
	long len = sized_struct_len(size, ver0, known);

	if (len < 0)
		return (int)len;
	for (size_t i = known; i < size; i++)
		if (((const unsigned char *)src)[i])
			return -E2BIG;
	memset(dst, 0, known);
	memcpy(dst, src, (size_t)len);
	return 0;
}

#endif /* VMMU_ABI_H */
