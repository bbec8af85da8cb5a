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
 *   efault      memslot and dirty-log calls whose argument or bitmap KVM
 *               cannot read or write (-EFAULT), a NULL bitmap, and a CLEAR
 *               of 2^32 - 64 pages with a one-word bitmap (-EINVAL): the
 *               shadow must read none of that memory
 *   as1-get     a 16 GiB slot with logging in address space 1 and a GET
 *               of it: KVM (one address space) refuses both; under
 *               --nr-address-spaces 2 vmmu takes both, and its bitmap must
 *               not overrun the shadow's buffer
 *   cap-flags   KVM_ENABLE_CAP of manual dirty-log protect with flags (KVM
 *               refuses any), then without; a slot with logging and a GET
 *   madv-locked MADV_DONTNEED_LOCKED of a page under a live slot
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

#include "vmm_test.h"

#define PG	4096ul
#define NPAGES	16ul

static const char *self;

/* A VM, or -1 with *status 77 (no usable /dev/kvm). */
static int open_vm(int *status)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm;

	*status = 77;
	if (kvm < 0) {
		printf("SKIP: /dev/kvm: %s\n", strerror(errno));
		return -1;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	close(kvm);
	if (vm < 0)
		printf("SKIP: KVM_CREATE_VM: %s\n", strerror(errno));
	return vm;
}

/* The VM of basic, or -1 (77: no /dev/kvm, 1: KVM refused a call). */
static int make_vm(int *status)
{
	uint64_t bitmap[1] = { 0 };
	struct kvm_dirty_log log = { .slot = 0, .dirty_bitmap = bitmap };
	struct kvm_userspace_memory_region r = { .slot = 0, .flags = KVM_MEM_LOG_DIRTY_PAGES,
		.guest_phys_addr = 0x100000, .memory_size = NPAGES * PG };
	void *mem;
	int vm = open_vm(status);

	if (vm < 0)
		return -1;
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

static int efault(void)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, .args = { 1 } };
	struct kvm_userspace_memory_region r = { .slot = 0, .flags = KVM_MEM_LOG_DIRTY_PAGES,
		.guest_phys_addr = 0x100000, .memory_size = NPAGES * PG };
	uint64_t word = ~0ull;
	struct kvm_dirty_log log = { .slot = 0 };
	struct kvm_clear_dirty_log clr = { .slot = 0, .num_pages = NPAGES };
	void *mem, *bad;
	int status, vm = open_vm(&status);

	if (vm < 0)
		return status;
	mem = mmap(NULL, NPAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	bad = mmap(NULL, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED || bad == MAP_FAILED)
		return 1;
	r.userspace_addr = (uint64_t)(uintptr_t)mem;
	expect("SET_USER_MEMORY_REGION(unreadable)", ioctl(vm, KVM_SET_USER_MEMORY_REGION, bad),
	       EFAULT);
	if (ioctl(vm, KVM_CHECK_EXTENSION, CAP_USER_MEMORY2) > 0)
		expect("SET_USER_MEMORY_REGION2(unreadable)",
		       ioctl(vm, SET_USER_MEMORY_REGION2, bad), EFAULT);
	expect("ENABLE_CAP(unreadable)", ioctl(vm, KVM_ENABLE_CAP, bad), EFAULT);
	expect("create", ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r), 0);
	log.dirty_bitmap = bad;
	expect("GET into an unwritable bitmap", ioctl(vm, KVM_GET_DIRTY_LOG, &log), EFAULT);
	log.dirty_bitmap = NULL;
	expect("GET into NULL", ioctl(vm, KVM_GET_DIRTY_LOG, &log), EFAULT);
	expect("GET(unreadable)", ioctl(vm, KVM_GET_DIRTY_LOG, bad), EFAULT);
	expect("ENABLE_CAP(MANUAL_DIRTY_LOG_PROTECT2, 1)", ioctl(vm, KVM_ENABLE_CAP, &cap), 0);
	clr.dirty_bitmap = bad;
	expect("CLEAR from an unreadable bitmap", ioctl(vm, KVM_CLEAR_DIRTY_LOG, &clr), EFAULT);
	clr.dirty_bitmap = NULL;
	expect("CLEAR from NULL", ioctl(vm, KVM_CLEAR_DIRTY_LOG, &clr), EFAULT);
	clr.dirty_bitmap = &word;
	clr.num_pages = 0xffffffc0u;
	expect("CLEAR of 2^32 - 64 pages", ioctl(vm, KVM_CLEAR_DIRTY_LOG, &clr), EINVAL);
	expect("CLEAR(unreadable)", ioctl(vm, KVM_CLEAR_DIRTY_LOG, bad), EFAULT);
	clr.num_pages = NPAGES;
	expect("CLEAR", ioctl(vm, KVM_CLEAR_DIRTY_LOG, &clr), 0);
	log.dirty_bitmap = &word;
	expect("GET", ioctl(vm, KVM_GET_DIRTY_LOG, &log), 0);
	r.memory_size = 0;
	expect("delete", ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r), 0);
	close(vm);
	return fails ? 1 : 0;
}

#define AS1_PAGES	(1ul << 22)	/* a bitmap of 512 KiB */

static int as1_get(void)
{
	static uint64_t bitmap[AS1_PAGES / 64];
	struct kvm_userspace_memory_region r = { .slot = 1u << 16 | 1,
		.flags = KVM_MEM_LOG_DIRTY_PAGES, .guest_phys_addr = 1ull << 32,
		.memory_size = AS1_PAGES * PG };
	struct kvm_dirty_log log = { .slot = 1u << 16 | 1, .dirty_bitmap = bitmap };
	void *mem;
	int status, vm = open_vm(&status);

	if (vm < 0)
		return status;
	mem = mmap(NULL, AS1_PAGES * PG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		return 1;
	r.userspace_addr = (uint64_t)(uintptr_t)mem;
	/* refused by a KVM with one address space; either way the shadow compares */
	ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r);
	ioctl(vm, KVM_GET_DIRTY_LOG, &log);
	ioctl(vm, KVM_GET_DIRTY_LOG, &log);
	close(vm);
	return 0;
}

static int cap_flags(void)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, .flags = 1,
				      .args = { 1 } };
	int status, vm = make_vm(&status);

	if (vm < 0)
		return status;
	expect("ENABLE_CAP(MANUAL_DIRTY_LOG_PROTECT2, 1) with flags 1",
	       ioctl(vm, KVM_ENABLE_CAP, &cap), EINVAL);
	cap.flags = 0;
	expect("ENABLE_CAP(MANUAL_DIRTY_LOG_PROTECT2, 1)", ioctl(vm, KVM_ENABLE_CAP, &cap), 0);
	close(vm);
	return fails ? 1 : 0;
}

static int madv_locked(void)
{
	struct kvm_userspace_memory_region r = { .slot = 0, .guest_phys_addr = 0x100000,
		.memory_size = NPAGES * PG };
	uint8_t *mem;
	int status, vm = open_vm(&status);

	if (vm < 0)
		return status;
	mem = mmap(NULL, NPAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 1;
	r.userspace_addr = (uint64_t)(uintptr_t)mem;
	expect("create", ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r), 0);
	/* Linux 5.18; an older kernel refuses it (EINVAL), bracketed all the same */
	madvise(mem + PG, PG, 24 /* MADV_DONTNEED_LOCKED */);
	r.memory_size = 0;
	expect("delete", ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r), 0);
	close(vm);
	return fails ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int status, vm;
	pid_t pid;

	self = "/proc/self/exe";
	if (!strcmp(mode, "basic"))
		return basic();
	if (!strcmp(mode, "efault"))
		return efault();
	if (!strcmp(mode, "as1-get"))
		return as1_get();
	if (!strcmp(mode, "cap-flags"))
		return cap_flags();
	if (!strcmp(mode, "madv-locked"))
		return madv_locked();
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
	fprintf(stderr, "usage: tiny_vmm MODE (the comment atop tiny_vmm.c)\n");
	return 2;
}
