/* SPDX-License-Identifier: MIT */
/*
 * Option values for every vmmu command, parsed strictly: a bad value names
 * the option and what it takes ("vmmu run: --seed: '-3' is not an integer
 * in 0..18446744073709551615"), never the whole usage.
 *
 * Short options mean the same in every command that has them:
 *   -s, --seed S     the random seed
 *   -q, --quiet      no progress lines
 *   -v, --verbose    more detail
 * A command without one of these has no such short option.
 */
#ifndef VMMU_OPTS_H
#define VMMU_OPTS_H

#include <stdint.h>
#include <stdio.h>

/* *v = @arg, a decimal or 0x integer in [@min, @max]; no sign, no trailing text. */
int opt_u64(const char *cmd, const char *opt, const char *arg, uint64_t min, uint64_t max,
	    uint64_t *v);
/* The same for an unsigned int. */
int opt_uint(const char *cmd, const char *opt, const char *arg, unsigned int min,
	     unsigned int max, unsigned int *v);
/* *v = @arg, a number in (@min, @max] (@min excluded: "greater than"). */
int opt_double(const char *cmd, const char *opt, const char *arg, double min, double max,
	       double *v);
/*
 * Open @path for a JSON report.  "-" is stdout: the report then has stdout
 * to itself and everything else the command prints goes to stderr (stdout
 * is redirected there).  On failure, says why
 * (naming @opt) and returns NULL; the command then exits non-zero.  Close
 * with opt_close_output(), which reports a failed write and returns -1.
 */
FILE *opt_open_output(const char *cmd, const char *opt, const char *path);
int opt_close_output(const char *cmd, const char *path, FILE *f);

#endif
