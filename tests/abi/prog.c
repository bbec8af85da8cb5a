// SPDX-License-Identifier: MIT
/*
 * A program outside the tree, for recipe.sh and install.sh: it builds with
 * <vmmu.h> alone, runs, and prints the library's version (exit 1 if it
 * differs from the headers').
 */
#include <stdio.h>
#include <string.h>
#include <vmmu.h>

int main(void)
{
	struct vmmu_vm *vm;

	if (vmmu_vm_create(NULL, &vm))
		return 1;
	vmmu_vm_destroy(vm);
	printf("%s\n", vmmu_version());
	return strcmp(vmmu_version(), VMMU_VERSION_STRING) != 0;
}
