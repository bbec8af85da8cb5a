// SPDX-License-Identifier: MIT
/*
 * A program with its own avl_insert(), itree_insert(), memslots_init() and
 * kvm_flush_remote_tlbs() (names of vmmu internals, here with other
 * signatures), linked against the public libvmmu.a: it must link, and both
 * its functions and the library must work.  Linked against an archive that
 * exported its internals, it would fail with "multiple definition".
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vmmu.h"

int avl_insert(int x);
int itree_insert(int x);
int memslots_init(int x);
int kvm_flush_remote_tlbs(int x);

int avl_insert(int x) { return x + 1; }
int itree_insert(int x) { return x + 2; }
int memslots_init(int x) { return x + 3; }
int kvm_flush_remote_tlbs(int x) { return x + 4; }

#define FAIL(...) do { fprintf(stderr, "own_symbols: " __VA_ARGS__); fputc('\n', stderr); exit(1); } while (0)

int main(void)
{
	struct vmmu_userspace_memory_region r = { .slot = 0, .guest_phys_addr = 0x100000,
						  .memory_size = 0x10000 };
	struct vmmu_vm *vm;
	struct vmmu_vcpu *vcpu;
	struct vmmu_exit ex;
	uint64_t val = 0;
	uint8_t *mem;
	int ret;

	if (avl_insert(1) != 2 || itree_insert(1) != 3 || memslots_init(1) != 4 ||
	    kvm_flush_remote_tlbs(1) != 5)
		FAIL("the program's own functions were not called");
	if (strcmp(vmmu_version(), VMMU_VERSION_STRING))
		FAIL("vmmu_version() %s, header %s", vmmu_version(), VMMU_VERSION_STRING);

	mem = mmap(NULL, r.memory_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		FAIL("mmap: %s", strerror(errno));
	memcpy(mem + 8, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
	r.userspace_addr = (uint64_t)(uintptr_t)mem;
	if ((ret = vmmu_vm_create(NULL, &vm)) || (ret = vmmu_set_user_memory_region(vm, &r)) ||
	    (ret = vmmu_vcpu_create(vm, 0, &vcpu)))
		FAIL("setup: %s", vmmu_strerror(ret));
	ret = vmmu_vcpu_access(vcpu, 0x100008, &val, 8, 0, &ex);
	if (ret || val != 0x8877665544332211ull)
		FAIL("RAM read: ret %d, value %#llx", ret, (unsigned long long)val);
	ret = vmmu_vcpu_access(vcpu, 0xfee00000, &val, 4, VMMU_ACCESS_WRITE, &ex);
	if (ret != VMMU_EXIT_MMIO || ex.mmio.phys_addr != 0xfee00000 || !ex.mmio.is_write)
		FAIL("MMIO write: ret %d", ret);
	vmmu_vm_destroy(vm);
	munmap(mem, r.memory_size);
	printf("own_symbols: ok (vmmu %s)\n", vmmu_version());
	return 0;
}
