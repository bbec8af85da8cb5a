// SPDX-License-Identifier: MIT
/* Strict option-value parsing for the vmmu commands (opts.h). */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "opts.h"

int opt_u64(const char *cmd, const char *opt, const char *arg, uint64_t min, uint64_t max,
	    uint64_t *v)
{
	unsigned long long x;
	char *end;

	errno = 0;
	x = isdigit((unsigned char)arg[0]) ? strtoull(arg, &end, 0) : 0;
	if (!isdigit((unsigned char)arg[0]) || *end || errno || x < min || x > max) {
		fprintf(stderr, "vmmu %s: %s: '%s' is not an integer in %" PRIu64 "..%" PRIu64 "\n",
			cmd, opt, arg, min, max);
		return -1;
	}
	*v = x;
	return 0;
}

int opt_uint(const char *cmd, const char *opt, const char *arg, unsigned int min,
	     unsigned int max, unsigned int *v)
{
	uint64_t x;

	if (opt_u64(cmd, opt, arg, min, max, &x))
		return -1;
	*v = (unsigned int)x;
	return 0;
}

int opt_double(const char *cmd, const char *opt, const char *arg, double min, double max,
	       double *v)
{
	double x;
	char *end;

	errno = 0;
	x = strtod(arg, &end);
	if (end == arg || *end || errno || !isfinite(x) || !(x > min) || x > max) {
		fprintf(stderr, "vmmu %s: %s: '%s' is not a number greater than %g and at most %g\n",
			cmd, opt, arg, min, max);
		return -1;
	}
	*v = x;
	return 0;
}

FILE *opt_open_output(const char *cmd, const char *opt, const char *path)
{
	FILE *f;

	if (!strcmp(path, "-")) {
		/* The report gets the real stdout; the rest of the output, stderr. */
		int fd;

		fflush(stdout);
		fd = dup(STDOUT_FILENO);
		f = fd < 0 ? NULL : fdopen(fd, "w");
		if (f && dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
			fclose(f);
			f = NULL;
		}
	} else {
		f = fopen(path, "w");
	}
	if (!f)
		fprintf(stderr, "vmmu %s: %s: cannot write '%s': %s\n", cmd, opt, path,
			strerror(errno));
	return f;
}

int opt_close_output(const char *cmd, const char *path, FILE *f)
{
	int bad = ferror(f);

	bad |= fclose(f);
	if (bad) {
		fprintf(stderr, "vmmu %s: writing '%s' failed\n", cmd, path);
		return -1;
	}
	return 0;
}
