// SPDX-License-Identifier: MIT
/*
 * vmmu check: the deterministic race checker.  The checker links a twin of
 * the library built with schedule points and the historic-bug variants, so
 * it is a separate program, vmmu-check, installed next to vmmu; this
 * command runs it with the same arguments (docs/CHECKER.md).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

#define CHECK_BIN	"vmmu-check"

/* The path of vmmu-check beside the running binary, or -1. */
static int check_path(char *buf, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0)
		return -1;
	self[n] = 0;
	slash = strrchr(self, '/');
	if (!slash)
		return -1;
	*slash = 0;
	if ((size_t)snprintf(buf, len, "%s/%s", self, CHECK_BIN) >= len)
		return -1;
	return 0;
}

void cmd_check_usage(void)
{
	char path[PATH_MAX];

	if (!check_path(path, sizeof(path)))
		execl(path, CHECK_BIN, "--help", (char *)NULL);
	printf("usage: vmmu check [options]  (runs %s, which is not installed next to vmmu)\n",
	       CHECK_BIN);
}

int cmd_check(int argc, char **argv)
{
	char path[PATH_MAX];
	char **args;

	if (check_path(path, sizeof(path))) {
		fprintf(stderr, "vmmu check: cannot find my own executable\n");
		return CMD_USAGE;
	}
	args = calloc((size_t)argc + 1, sizeof(*args));
	if (!args)
		return CMD_FAIL;
	args[0] = CHECK_BIN;
	for (int i = 1; i < argc; i++)
		args[i] = argv[i];
	fflush(NULL);
	execv(path, args);
	fprintf(stderr, "vmmu check: cannot run %s: %s\n", path, strerror(errno));
	free(args);
	return CMD_USAGE;
}
