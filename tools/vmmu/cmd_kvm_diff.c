// SPDX-License-Identifier: MIT
/*
 * vmmu kvm-diff: differential test of vmmu against the real KVM.
 *
 * Each stream runs one pseudo-random operation sequence against two worlds
 * side by side and compares every step:
 *
 *   KVM:  a VM with the tiny guest of kvm_guest.c; guest accesses are real
 *         loads and stores executed by a vCPU, so they go through KVM's
 *         memslots, its MMU, its MMIO exits and its dirty logging.
 *   vmmu: a vmmu VM configured with the KVM VM's limits (user slots,
 *         address spaces, max gpa bits); guest accesses are
 *         vmmu_vcpu_access() calls.
 *
 * Each world has its own copy of the backing memory behind the test slots
 * (host writes go to both copies), and a mirror of the harness slot (the
 * guest's code and mailbox, never dirty-logged and never touched by the
 * random operations), so memslot errnos are comparable.
 *
 * Operations and what is compared:
 *   memslot    create / delete / move / re-flag (LOG_DIRTY, READONLY) and
 *              requests that fail KVM's checks: the return value or errno
 *   access     guest load or store of 1, 2, 4 or 8 bytes (RAM, READONLY
 *              slot, no slot): RAM or MMIO exit, the MMIO address, length,
 *              direction and written data, the loaded value; after a store
 *              the host page it should have reached is compared too
 *   host write a store by the host into a backing page (both copies)
 *   get-log    KVM_GET_DIRTY_LOG (also with a NULL buffer): errno, bitmap
 *   clear-log  KVM_CLEAR_DIRTY_LOG: errno
 *   manual     KVM_ENABLE_CAP(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2): errno
 *   host map   MADV_DONTNEED, mmap(MAP_FIXED) of fresh anonymous memory or
 *              of a memfd page, munmap: KVM sees it through its own MMU
 *              notifier; vmmu gets vmmu_mmu_notifier_invalidate_range_start/
 *              end around the same change of its copy
 * Every 256 operations and at the end of a stream both backing copies are
 * compared in full, and at the end every dirty-logged slot's bitmap.
 *
 * On a mismatch the stream's operations up to it are shrunk by delta
 * debugging (replaying subsets on fresh VMs while a mismatch of the same
 * kind persists) and the minimal reproducer is printed.
 *
 * Differences between this kernel and vmmu's documented semantics that the
 * harness knows (docs/KVM-DIFFERENCES.md) are counted, not reported.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "cmd.h"
#include "kvm_diff.h"
#include "opts.h"

/*
 * The pieces are in kvm_diff/ (kvm_diff.h lists them); this file is the
 * command line.
 */
struct kd_env kd_env;
struct kd_opt kd_opt;

/* ------------------------------------------------------------------------ */
/* Command line                                                              */
/* ------------------------------------------------------------------------ */

void cmd_kvm_diff_usage(void)
{
	printf("usage: vmmu kvm-diff [options]\n"
	       "Run random operation streams against the real KVM (/dev/kvm, through a tiny\n"
	       "guest) and a vmmu VM with the same limits, comparing every step.\n"
	       "  -s, --seed S       seed of the first stream (default 1); stream i uses S + i\n"
	       "  -n, --ops N        operations per stream (default 500)\n"
	       "  -k, --streams K    streams (default 20)\n"
	       "  -v, --verbose      print every operation and KVM's outcome\n"
	       "      --no-shrink    report a mismatch without shrinking it\n"
	       "      --mmio-gen-bits N  vmmu's MMIO SPTE generation bits, 1..19 (default 19;\n"
	       "                     fewer make the generation wrap, and its zap, frequent)\n"
	       "  -x, --exclude KIND never generate operations of KIND (repeatable; e.g.\n"
	       "                     get-log-null; 'vmmu kvm-diff -x list' lists the kinds)\n"
	       "      --dirty-ring M streams with the dirty ring on (harvests compared as\n"
	       "                     sets of (slot, offset)): never, some (every other\n"
	       "                     stream, by seed; the default) or always\n"
	       "Exit status: 0 no mismatch, 1 mismatch, 2 usage, 77 skipped (no usable /dev/kvm).\n");
}

int cmd_kvm_diff(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "ops", required_argument, NULL, 'n' },
		{ "streams", required_argument, NULL, 'k' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "no-shrink", no_argument, NULL, 'S' },
		{ "exclude", required_argument, NULL, 'x' },
		{ "mmio-gen-bits", required_argument, NULL, 'g' },
		{ "dirty-ring", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	struct utsname uts;
	uint64_t v, total_ops = 0;
	unsigned int failed = 0;
	double t0, dt;
	int c, r;

	kd_opt.seed = 1;
	kd_opt.ops = 500;
	kd_opt.streams = 20;
	kd_opt.shrink = true;
	kd_opt.dirty_ring = 1;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":s:n:k:vx:", lopts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (opt_u64("kvm-diff", "--seed", optarg, 0, UINT64_MAX, &kd_opt.seed))
				return CMD_USAGE;
			break;
		case 'n':
			/* ops are kept for shrinking */
			if (opt_u64("kvm-diff", "--ops", optarg, 1, 10000000, &v))
				return CMD_USAGE;
			kd_opt.ops = (unsigned int)v;
			break;
		case 'k':
			if (opt_u64("kvm-diff", "--streams", optarg, 1, 1000000, &v))
				return CMD_USAGE;
			kd_opt.streams = (unsigned int)v;
			break;
		case 'v':
			kd_opt.verbose = true;
			break;
		case 'S':
			kd_opt.shrink = false;
			break;
		case 'g':
			if (opt_u64("kvm-diff", "--mmio-gen-bits", optarg, 1, VMMU_MAX_MMIO_GEN_BITS, &v))
				return CMD_USAGE;
			kd_opt.mmio_gen_bits = (unsigned int)v;
			break;
		case 'R':
			if (!strcmp(optarg, "never"))
				kd_opt.dirty_ring = 0;
			else if (!strcmp(optarg, "some"))
				kd_opt.dirty_ring = 1;
			else if (!strcmp(optarg, "always"))
				kd_opt.dirty_ring = 2;
			else {
				fprintf(stderr, "vmmu kvm-diff: --dirty-ring: '%s' is not never, "
					"some or always\n", optarg);
				return CMD_USAGE;
			}
			break;
		case 'x': {
			int k;

			for (k = 0; k < NR_KINDS && strcmp(optarg, kind_names[k]); k++)
				;
			if (k == NR_KINDS) {
				printf("kinds:");
				for (k = 0; k < NR_KINDS; k++)
					printf(" %s", kind_names[k]);
				printf("\n");
				return strcmp(optarg, "list") ? CMD_USAGE : CMD_OK;
			}
			kd_opt.exclude[k] = true;
			break;
		}
		case ':':
			fprintf(stderr, "vmmu kvm-diff: %s needs a value\n", argv[optind - 1]);
			return CMD_USAGE;
		default:
			fprintf(stderr, "vmmu kvm-diff: unknown option '%s' (vmmu kvm-diff --help)\n",
				argv[optind - 1]);
			return CMD_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "vmmu kvm-diff: unexpected argument '%s'\n", argv[optind]);
		return CMD_USAGE;
	}

	r = probe_env();
	if (r != CMD_OK)
		return r;
	if (uname(&uts))
		strcpy(uts.release, "?");
	printf("kernel %s; KVM: %u user memslots, %u address space%s, READONLY %s, "
	       "gpa limit 2^%u (CPUID MAXPHYADDR %u), 8-byte guest accesses %s\n",
	       uts.release, kd_env.max_user_slots, kd_env.nr_as, kd_env.nr_as == 1 ? "" : "s",
	       kd_env.have_ro ? "yes" : "no", kd_env.gpa_bits, kd_env.phys_bits,
	       kd_env.have_len8 ? "yes" : "no");
	printf("vmmu: nr_address_spaces=%u max_user_slots=%u max_gpa_bits=%u\n",
	       kd_env.nr_as, kd_env.max_user_slots, kd_env.gpa_bits);
	printf("KVM: dirty ring %u..%u bytes%s, SET_USER_MEMORY_REGION2 %s, memory-fault exits %s\n",
	       kd_env.ring_min_bytes, kd_env.ring_max_bytes,
	       kd_env.ring_max_bytes ? "" : " (not diffed)", kd_env.have_region2 ? "yes" : "no",
	       kd_env.have_memory_fault ? "yes" : "no");
	printf("%u stream%s x %u ops, seeds %#" PRIx64 "..%#" PRIx64 "\n", kd_opt.streams,
	       kd_opt.streams == 1 ? "" : "s", kd_opt.ops, kd_opt.seed,
	       kd_opt.seed + kd_opt.streams - 1);
	fflush(stdout);

	t0 = now_sec();
	for (unsigned int i = 0; i < kd_opt.streams; i++) {
		double ts = now_sec();

		if (!run_stream(kd_opt.seed + i, kd_opt.ops)) {
			failed++;
			break;
		}
		total_ops += kd_opt.ops;
		if (kd_opt.verbose || kd_opt.streams <= 4)
			printf("stream %#" PRIx64 ": %u ops ok, %.2f s\n", kd_opt.seed + i,
			       kd_opt.ops, now_sec() - ts);
		fflush(stdout);
	}
	dt = now_sec() - t0;

	printf("operation mix:");
	for (int k = 0; k < NR_KINDS; k++)
		if (kd_st.kinds[k])
			printf(" %s=%" PRIu64, kind_names[k], kd_st.kinds[k]);
	printf("\nguest accesses (as KVM served them): RAM=%" PRIu64 " MMIO(no slot)=%" PRIu64
	       " MMIO(READONLY write)=%" PRIu64 " unmapped-host-memory(known difference)=%" PRIu64
	       " read-only-host-memory-write(known difference)=%" PRIu64 "\n",
	       kd_st.acc_ram, kd_st.acc_mmio, kd_st.acc_ro_mmio, kd_st.acc_known_efault,
	       kd_st.acc_known_ro);
	printf("memslot ops (KVM's result): ok=%" PRIu64 " -EINVAL=%" PRIu64 " -EEXIST=%" PRIu64
	       " other=%" PRIu64 "\n", kd_st.region_ok, kd_st.region_einval, kd_st.region_eexist,
	       kd_st.region_other);
	printf("dirty log: GET ok=%" PRIu64 " err=%" PRIu64 ", CLEAR ok=%" PRIu64 " err=%" PRIu64
	       "; KVM_RUN calls=%" PRIu64 ", MMIO exits=%" PRIu64 "\n",
	       kd_st.get_ok, kd_st.get_err, kd_st.clear_ok, kd_st.clear_err, kd_st.kvm_runs,
	       kd_st.mmio_exits);
	printf("dirty ring: streams=%" PRIu64 " harvests=%" PRIu64 " entries=%" PRIu64
	       " full exits=%" PRIu64 " KVM-only full exits(known difference)=%" PRIu64
	       "; memory-fault exits=%" PRIu64 "; region2 ok=%" PRIu64 " err=%" PRIu64 "\n",
	       kd_st.ring_streams, kd_st.ring_harvests, kd_st.ring_entries, kd_st.ring_full_exits,
	       kd_st.ring_dup_full, kd_st.memory_fault_exits, kd_st.region2_ok, kd_st.region2_err);
	if (failed) {
		printf("FAIL: mismatch found\n");
		return CMD_FAIL;
	}
	printf("PASS: %u streams x %u ops, 0 mismatches, %.2f s (%.0f ops/s)\n", kd_opt.streams,
	       kd_opt.ops, dt, dt > 0 ? (double)total_ops / dt : 0.0);
	return CMD_OK;
}
