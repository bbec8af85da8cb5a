// SPDX-License-Identifier: MIT
/*
 * tiny_vmm MODE: a VMM of a few calls for `vmmu shadow` (process.sh), in the
 * process shapes a real VMM takes:
 *
 *   basic       create a VM; a 16-page slot with dirty logging; one
 *               KVM_GET_DIRTY_LOG; delete the slot: 2 memslot calls and 1
 *               dirty-log call
 *   fork-first  fork before any VM, the child runs basic, the parent waits
 *               (QEMU's -daemonize: the child is the VMM)
 *   fork-after  basic with its VM kept, then fork: the child runs basic
 *               (a second VM, in a process the shadow leaves alone)
 *   spawn       basic, then fork and exec this program's basic (a VMM
 *               started by the shadowed one: not shadowed)
 *   fd-swap     an empty regular file in place of $VMMU_SHADOW_FD, then
 *               exec this program's basic (same process)
 *
 * It checks only that KVM behaves as expected (exit 1 otherwise, 77 without
 * /dev/kvm); what the shadow saw is process.sh's to check.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/kvm.h>

#define PG	4096ul
#define NPAGES	16ul

static const char *self;

/* The VM of basic, or -1 (77: no /dev/kvm, 1: KVM refused a call). */
static int make_vm(int *status)
{
	uint64_t bitmap[1] = { 0 };
	struct kvm_dirty_log log = { .slot = 0, .dirty_bitmap = bitmap };
	struct kvm_userspace_memory_region r = { .slot = 0, .flags = KVM_MEM_LOG_DIRTY_PAGES,
		.guest_phys_addr = 0x100000, .memory_size = NPAGES * PG };
	void *mem;
	int kvm, vm;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		printf("SKIP: /dev/kvm: %s\n", strerror(errno));
		*status = 77;
		return -1;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	close(kvm);
	if (vm < 0) {
		printf("SKIP: KVM_CREATE_VM: %s\n", strerror(errno));
		*status = 77;
		return -1;
	}
	mem = mmap(NULL, NPAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		*status = 1;
		return -1;
	}
	r.userspace_addr = (uint64_t)(uintptr_t)mem;
	*status = 1;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r) ||
	    ioctl(vm, KVM_GET_DIRTY_LOG, &log))
		return -1;
	r.memory_size = 0;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r))
		return -1;
	*status = 0;
	return vm;
}

static int basic(void)
{
	int status, vm = make_vm(&status);

	if (vm >= 0)
		close(vm);
	return status;
}

/* Wait for @pid; its exit status, or 1. */
static int reap(pid_t pid)
{
	int st;

	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return 1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

static void exec_basic(void)
{
	execl(self, "tiny_vmm", "basic", (char *)NULL);
	fprintf(stderr, "tiny_vmm: exec %s: %s\n", self, strerror(errno));
	_exit(1);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int status, vm;
	pid_t pid;

	self = "/proc/self/exe";
	if (!strcmp(mode, "basic"))
		return basic();
	if (!strcmp(mode, "fork-first")) {
		pid = fork();
		if (pid == 0)
			_exit(basic());
		return reap(pid);
	}
	if (!strcmp(mode, "fork-after") || !strcmp(mode, "spawn")) {
		vm = make_vm(&status);
		if (vm < 0)
			return status;
		pid = fork();
		if (pid == 0) {
			if (!strcmp(mode, "spawn"))
				exec_basic();
			_exit(basic());
		}
		status = reap(pid);
		close(vm);
		return status;
	}
	if (!strcmp(mode, "fd-swap")) {
		const char *s = getenv("VMMU_SHADOW_FD");
		char path[] = "/tmp/tiny_vmm.XXXXXX";
		int fd;

		if (!s) {
			fprintf(stderr, "tiny_vmm: fd-swap: no VMMU_SHADOW_FD\n");
			return 1;
		}
		fd = mkstemp(path);
		if (fd < 0)
			return 1;
		unlink(path);
		if (dup2(fd, atoi(s)) < 0)
			return 1;
		exec_basic();
	}
	fprintf(stderr, "usage: tiny_vmm basic|fork-first|fork-after|spawn|fd-swap\n");
	return 2;
}
