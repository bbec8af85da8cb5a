// SPDX-License-Identifier: MIT
/*
 * vmmu shadow: the trace's bitmap notation, "0-511,600,700-703" or "-".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shadow.h"

static int test_bit(const uint64_t *bm, uint64_t i)
{
	return (int)((bm[i / 64] >> (i % 64)) & 1);
}

int shadow_bits_format(const uint64_t *bm, uint64_t npages, char *buf, size_t size)
{
	size_t len = 0;
	uint64_t i = 0;

	if (!size)
		return -ENOSPC;
	buf[0] = '\0';
	while (i < npages) {
		uint64_t a, b;
		int n;

		if (!bm[i / 64] && i % 64 == 0) {
			i += 64;
			continue;
		}
		if (!test_bit(bm, i)) {
			i++;
			continue;
		}
		a = i;
		while (i < npages && test_bit(bm, i))
			i++;
		b = i - 1;
		if (a == b)
			n = snprintf(buf + len, size - len, "%s%llu", len ? "," : "",
				     (unsigned long long)a);
		else
			n = snprintf(buf + len, size - len, "%s%llu-%llu", len ? "," : "",
				     (unsigned long long)a, (unsigned long long)b);
		if (n < 0 || (size_t)n >= size - len)
			return -ENOSPC;
		len += (size_t)n;
	}
	if (!len) {
		if (size < 2)
			return -ENOSPC;
		strcpy(buf, "-");
		len = 1;
	}
	return (int)len;
}

/* Set pages @a..@b (inclusive) of @bm: whole words where they can be. */
static void set_range(uint64_t *bm, uint64_t a, uint64_t b)
{
	while (a <= b && a % 64) {
		bm[a / 64] |= 1ull << (a % 64);
		a++;
	}
	while (a <= b && b - a >= 63) {
		bm[a / 64] = ~0ull;
		a += 64;
	}
	for (; a <= b; a++)
		bm[a / 64] |= 1ull << (a % 64);
}

int shadow_bits_parse(const char *s, uint64_t *bm, uint64_t npages)
{
	if (bm)
		memset(bm, 0, shadow_bitmap_words(npages) * 8);
	if (s[0] == '-' && (s[1] == '\0' || s[1] == ' ' || s[1] == '\n'))
		return 0;
	for (;;) {
		char *end;
		unsigned long long a, b;

		if (*s < '0' || *s > '9')
			return -EINVAL;
		errno = 0;
		a = strtoull(s, &end, 10);
		b = a;
		if (*end == '-') {
			s = end + 1;
			if (*s < '0' || *s > '9')
				return -EINVAL;
			b = strtoull(s, &end, 10);
		}
		if (errno || b < a || b >= npages)
			return -EINVAL;
		if (bm)
			set_range(bm, a, b);
		s = end;
		if (*s != ',')
			break;
		s++;
	}
	return (*s == '\0' || *s == ' ' || *s == '\n') ? 0 : -EINVAL;
}
