// SPDX-License-Identifier: MIT
/*
 * vmmu shadow: run a real VMM (QEMU) with libvmmu-shadow.so preloaded, so
 * that every KVM memslot, dirty-log and vCPU call it makes is mirrored into
 * vmmu and compared (tools/vmmu/shadow/preload.c; docs/SHADOW.md).
 *
 * This file only prepares the environment, runs COMMAND and prints what the
 * library counted in a memfd page shared with it.  Mismatches are printed
 * by the library, with their call, as they happen.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "opts.h"
#include "shadow/shadow.h"

#ifndef VMMU_SHADOW_LIBDIR
#define VMMU_SHADOW_LIBDIR "/usr/local/lib/x86_64-linux-gnu"
#endif
#define SHADOW_LIB_NAME "libvmmu-shadow.so"

void cmd_shadow_usage(void)
{
	printf("usage: vmmu shadow [options] -- COMMAND [ARGS...]\n"
	       "Run COMMAND (a VMM such as qemu-system-x86_64 -enable-kvm) with vmmu's preload\n"
	       "library: each KVM VM it creates is mirrored into a vmmu VM configured from the\n"
	       "kernel's capabilities, and every memslot call, dirty-log call and vCPU creation\n"
	       "is compared, every KVM_EXIT_MMIO is checked to be an MMIO exit in vmmu, and host\n"
	       "memory changes under live slots are bracketed with vmmu's notifiers.\n"
	       "  --exact-dirty       dirty bitmaps equal, not only vmmu's within KVM's, for slots\n"
	       "                      whose logging began and stayed with no vCPU running\n"
	       "  --record FILE       write every mirrored call and its results to FILE\n"
	       "                      (docs/SHADOW.md; replay it with 'vmmu replay FILE')\n"
	       "  --nr-address-spaces N  (testing) configure vmmu with N address spaces instead\n"
	       "                      of the kernel's: a wrong shadow that must report mismatches\n"
	       "SIGTERM and SIGHUP are passed on to COMMAND; the summary follows its exit.\n"
	       "Prints one summary line:\n"
	       "  shadow: N memslot calls, N dirty-log calls, N MMIO exits checked, N mismatches\n"
	       "Exit status: 1 if there was a mismatch; else COMMAND's (128+signal if killed)\n"
	       "if it was not 0; else 3 if no KVM VM was shadowed (with a warning: COMMAND made\n"
	       "none, or a process it started made them: only COMMAND itself, as it execs\n"
	       "and forks before its first VM, is shadowed); else 0.  77 if /dev/kvm cannot\n"
	       "be opened, 2 for a bad command line.\n");
}

/* The preload library: $VMMU_SHADOW_LIB, next to this binary (build tree), or installed. */
static int find_lib(char *out, size_t size)
{
	const char *env = getenv(SHADOW_ENV_LIB);
	char exe[PATH_MAX - 64];
	ssize_t n;

	if (env && *env) {
		snprintf(out, size, "%s", env);
		return access(out, R_OK) ? -errno : 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *slash;

		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(out, size, "%s/shadow/%s", exe, SHADOW_LIB_NAME);
			if (!access(out, R_OK))
				return 0;
		}
	}
	snprintf(out, size, "%s/%s", VMMU_SHADOW_LIBDIR, SHADOW_LIB_NAME);
	return access(out, R_OK) ? -errno : 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define CTR(f) ((unsigned long long)atomic_load(&c->f))

/* COMMAND, once forked: SIGTERM and SIGHUP sent to vmmu shadow go to it. */
static volatile sig_atomic_t child_pid;

static void forward_signal(int sig)
{
	int err = errno;

	if (child_pid > 0)
		kill((pid_t)child_pid, sig);
	errno = err;
}

int cmd_shadow(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "exact-dirty", no_argument, NULL, 'e' },
		{ "record", required_argument, NULL, 'r' },
		{ "nr-address-spaces", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	const char *record = NULL;
	unsigned int nr_as = 0;
	bool exact = false;
	char lib[PATH_MAX], preload[PATH_MAX + 512], fdtext[16];
	struct sigaction sa, old_term, old_hup;
	struct shadow_counters *c;
	sigset_t fwd, oldmask;
	int opt, fd, kvm, status, ret;
	double t0, t1;
	pid_t pid;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+", lopts, NULL)) != -1) {
		switch (opt) {
		case 'e':
			exact = true;
			break;
		case 'r':
			record = optarg;
			break;
		case 'a':
			if (opt_uint("vmmu shadow", "--nr-address-spaces", optarg, 1, 2, &nr_as))
				return CMD_USAGE;
			break;
		default:
			fprintf(stderr, "vmmu shadow: unknown option '%s'\n", argv[optind - 1]);
			return CMD_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "vmmu shadow: no COMMAND (usage: vmmu shadow [options] -- COMMAND ...)\n");
		return CMD_USAGE;
	}
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		printf("SKIP: cannot open /dev/kvm: %s\n", strerror(errno));
		return CMD_SKIP;
	}
	close(kvm);
	ret = find_lib(lib, sizeof(lib));
	if (ret) {
		fprintf(stderr, "vmmu shadow: cannot find %s (%s): set %s\n", SHADOW_LIB_NAME,
			strerror(-ret), SHADOW_ENV_LIB);
		return CMD_FAIL;
	}
	if (record) {
		FILE *f = fopen(record, "w");

		if (!f || fprintf(f, "%s\n", SHADOW_TRACE_MAGIC) < 0 || fclose(f)) {
			fprintf(stderr, "vmmu shadow: --record: cannot write '%s': %s\n", record,
				strerror(errno));
			return CMD_USAGE;
		}
	}

	/* The counters: a page the library maps through the inherited fd. */
	fd = memfd_create("vmmu-shadow", MFD_ALLOW_SEALING);
	if (fd < 0 || ftruncate(fd, sizeof(*c)) ||
	    fcntl(fd, F_ADD_SEALS, SHADOW_COUNTERS_SEALS | F_SEAL_SEAL)) {
		fprintf(stderr, "vmmu shadow: memfd: %s\n", strerror(errno));
		return CMD_FAIL;
	}
	c = mmap(NULL, sizeof(*c), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (c == MAP_FAILED) {
		fprintf(stderr, "vmmu shadow: mmap: %s\n", strerror(errno));
		close(fd);
		return CMD_FAIL;
	}
	c->magic = SHADOW_COUNTERS_MAGIC;

	snprintf(fdtext, sizeof(fdtext), "%d", fd);
	if (getenv("LD_PRELOAD") && *getenv("LD_PRELOAD"))
		snprintf(preload, sizeof(preload), "%s:%s", lib, getenv("LD_PRELOAD"));
	else
		snprintf(preload, sizeof(preload), "%s", lib);
	/*
	 * SIGTERM and SIGHUP (a service manager, a closed terminal) are passed
	 * on to COMMAND, and vmmu shadow reports when it is gone.  Blocked
	 * until COMMAND's pid is known, so none is lost in between.
	 */
	sa.sa_handler = forward_signal;
	sa.sa_flags = 0;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&fwd);
	sigaddset(&fwd, SIGTERM);
	sigaddset(&fwd, SIGHUP);
	sigprocmask(SIG_BLOCK, &fwd, &oldmask);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
	t0 = now();
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "vmmu shadow: fork: %s\n", strerror(errno));
		sigaction(SIGTERM, &old_term, NULL);
		sigaction(SIGHUP, &old_hup, NULL);
		sigprocmask(SIG_SETMASK, &oldmask, NULL);
		munmap(c, sizeof(*c));
		close(fd);
		return CMD_FAIL;
	}
	if (pid == 0) {
		char pidtext[24];

		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		sigprocmask(SIG_SETMASK, &oldmask, NULL);

		snprintf(pidtext, sizeof(pidtext), "%ld", (long)getpid());
		setenv(SHADOW_ENV_PID, pidtext, 1);
		setenv("LD_PRELOAD", preload, 1);
		setenv(SHADOW_ENV_FD, fdtext, 1);
		if (record)
			setenv(SHADOW_ENV_RECORD, record, 1);
		if (exact)
			setenv(SHADOW_ENV_EXACT, "1", 1);
		if (nr_as) {
			snprintf(fdtext, sizeof(fdtext), "%u", nr_as);
			setenv(SHADOW_ENV_NR_AS, fdtext, 1);
		}
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "vmmu shadow: cannot run '%s': %s\n", argv[optind], strerror(errno));
		_exit(127);
	}
	child_pid = pid;
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	/* Ctrl-C is for COMMAND (the terminal sends it to both); we wait for it and report. */
	signal(SIGINT, SIG_IGN);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "vmmu shadow: waitpid: %s\n", strerror(errno));
			status = 1 << 8;
			break;
		}
	}
	signal(SIGINT, SIG_DFL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	child_pid = 0;
	t1 = now();
	ret = WIFEXITED(status) ? WEXITSTATUS(status) :
	      WIFSIGNALED(status) ? 128 + WTERMSIG(status) : CMD_FAIL;

	printf("shadow: COMMAND exited with status %d after %.2f s\n", ret, t1 - t0);
	printf("shadow: %llu KVM VMs shadowed (%llu not), %llu vCPUs; capability checks %llu\n",
	       CTR(vms), CTR(unshadowed), CTR(vcpus), CTR(cap_checks));
	printf("shadow: memslot calls %llu (KVM refused %llu); dirty log: GET %llu (exact %llu), "
	       "CLEAR %llu\n", CTR(memslot_calls), CTR(memslot_fail), CTR(get_calls),
	       CTR(exact_gets), CTR(clear_calls));
	printf("shadow: KVM_EXIT_MMIO %llu: checked %llu, not checked %llu (the memory map "
	       "changed during that KVM_RUN)\n", CTR(mmio_exits), CTR(mmio_checked),
	       CTR(mmio_skipped));
	printf("shadow: host-memory changes over live slots bracketed: madvise %llu, munmap %llu, "
	       "mmap(MAP_FIXED) %llu\n", CTR(inval_madvise), CTR(inval_munmap), CTR(inval_mmap));
	printf("shadow: time in the shadow's own work (vmmu calls, comparisons, trace): %.1f ms "
	       "(%.2f %% of the run)\n", (double)CTR(shadow_ns) / 1e6,
	       (double)CTR(shadow_ns) / 1e7 / (t1 - t0));
	if (CTR(not_mirrored))
		printf("shadow: calls not mirrored (KVM -EFAULT: the program's argument was "
		       "unreadable): %llu\n", CTR(not_mirrored));
	if (record)
		printf("shadow: trace written to %s\n", record);
	printf("shadow: %llu memslot calls, %llu dirty-log calls, %llu MMIO exits checked, "
	       "%llu mismatches\n", CTR(memslot_calls), CTR(dirty_log_calls), CTR(mmio_checked),
	       CTR(mismatches));
	fflush(stdout);
	if (!CTR(vms))
		fprintf(stderr, "vmmu shadow: warning: no KVM VM was shadowed (%llu could not be): "
			"COMMAND made none, or a process it started made them (only COMMAND "
			"itself is shadowed)\n", CTR(unshadowed));
	if (CTR(mismatches))
		ret = CMD_FAIL;
	else if (!ret && !CTR(vms))
		ret = CMD_ERROR;
	munmap(c, sizeof(*c));
	close(fd);
	return ret;
}
