// SPDX-License-Identifier: MIT
/*
 * vmmu-variant: the real-thread commands (kvm-diff, run) linked against a
 * deliberately wrong build of the library.  It shows that those tools catch
 * a broken design too, not only the deterministic checker:
 *
 *	vmmu-variant --variant no-wrap-zap kvm-diff --mmio-gen-bits 2
 *
 * must report a mismatch against /dev/kvm and shrink it.  Never installed.
 */
#include <stdio.h>
#include <string.h>

#include "vmmu.h"
#include "cmd.h"
#include "variants.h"

static int usage(FILE *f, int ret)
{
	fprintf(f, "usage: vmmu-variant --variant NAME {kvm-diff|run} [options]\n"
		   "       vmmu-variant --list-variants\n");
	return ret;
}

int main(int argc, char **argv)
{
	const struct variant_desc *v;

	if (argc >= 2 && !strcmp(argv[1], "--list-variants")) {
		for (int i = 0; i < nr_variants; i++)
			printf("%-36s %s\n", variants[i].name, variants[i].summary);
		return CMD_OK;
	}
	if (argc < 4 || strcmp(argv[1], "--variant"))
		return usage(stderr, CMD_USAGE);
	v = variant_find(argv[2]);
	if (!v) {
		fprintf(stderr, "vmmu-variant: unknown variant '%s'\n", argv[2]);
		return CMD_USAGE;
	}
	vmmu_checker_variant = v->id;
	printf("vmmu-variant: running '%s' on the %s variant: %s\n", argv[3], v->name,
	       v->summary);
	if (!strcmp(argv[3], "kvm-diff"))
		return cmd_kvm_diff(argc - 3, argv + 3);
	if (!strcmp(argv[3], "run"))
		return cmd_run(argc - 3, argv + 3);
	return usage(stderr, CMD_USAGE);
}
