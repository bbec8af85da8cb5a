/* SPDX-License-Identifier: MIT */
#ifndef VMMU_CMD_H
#define VMMU_CMD_H

/* Exit codes of every subcommand. */
#define CMD_OK		0
#define CMD_FAIL	1	/* the run found a problem */
#define CMD_USAGE	2	/* bad command line */
#define CMD_ERROR	3	/* the command could not do its job (replay: the
				 * trace could not be replayed; shadow: no KVM VM
				 * was shadowed) */
#define CMD_SKIP	77	/* a needed facility is missing */

struct cmd {
	const char *name;
	const char *summary;
	int (*fn)(int argc, char **argv);
	void (*usage)(void);
};

int cmd_run(int argc, char **argv);
void cmd_run_usage(void);
int cmd_bench(int argc, char **argv);
void cmd_bench_usage(void);
int cmd_kvm_diff(int argc, char **argv);
void cmd_kvm_diff_usage(void);
int cmd_check(int argc, char **argv);
void cmd_check_usage(void);
int cmd_shadow(int argc, char **argv);
void cmd_shadow_usage(void);
int cmd_replay(int argc, char **argv);
void cmd_replay_usage(void);

#endif
