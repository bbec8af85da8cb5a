// SPDX-License-Identifier: MIT
/*
 * vmmu: the command-line tool.  One file per subcommand (cmd_*.c), found
 * through the table below.
 */
#include <stdio.h>
#include <string.h>

#include "vmmu.h"
#include "cmd.h"

static const struct cmd cmds[] = {
	{ "run", "drive a VM through a live memory-map workload (the main job)",
	  cmd_run, cmd_run_usage },
	{ "bench", "measure vmmu against the real KVM and its own slower designs",
	  cmd_bench, cmd_bench_usage },
	{ "kvm-diff", "differential test against the real KVM (/dev/kvm)",
	  cmd_kvm_diff, cmd_kvm_diff_usage },
	{ "check", "deterministic race checker: scenarios, historic-bug variants",
	  cmd_check, cmd_check_usage },
	{ "shadow", "run a real VMM with its KVM calls mirrored into vmmu and compared",
	  cmd_shadow, cmd_shadow_usage },
	{ "replay", "replay a trace of 'vmmu shadow --record' against vmmu and /dev/kvm",
	  cmd_replay, cmd_replay_usage },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: vmmu <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-12s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "\n'vmmu <command> --help' describes a command's options.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CMD_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return CMD_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		/* the library's version; the headers' too if they differ */
		if (strcmp(vmmu_version(), VMMU_VERSION_STRING))
			printf("vmmu %s (headers %s)\n", vmmu_version(), VMMU_VERSION_STRING);
		else
			printf("vmmu %s\n", vmmu_version());
		return CMD_OK;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[1], cmds[i].name))
			continue;
		for (int a = 2; a < argc; a++) {
			if (!strcmp(argv[a], "--help") || !strcmp(argv[a], "-h")) {
				cmds[i].usage();
				return CMD_OK;
			}
		}
		return cmds[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "vmmu: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return CMD_USAGE;
}
