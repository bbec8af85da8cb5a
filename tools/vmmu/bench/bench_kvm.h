/* SPDX-License-Identifier: MIT */
/*
 * vmmu bench: the real-KVM side.  A struct bkvm is a VM with one vCPU
 * running a tiny guest plus a bench_guest thread that feeds it struct
 * bench_gcmd commands, so a benchmark's host side drives KVM and vmmu
 * through the same code.  Used only in the KVM worker process.
 *
 * Two guests (bench_kvm.c explains the choice):
 *   BKVM_FLAT    the shared harness (kvm_guest.h): 32-bit, CPL 0, paging
 *                off.  Cheapest faults and MMIO exits on KVM-PVM, but its
 *                instructions are emulated there.
 *   BKVM_NATIVE  64-bit, CPL 3, identity-mapped: runs at hardware speed
 *                everywhere; its faults are dearer on KVM-PVM.
 *
 * Guest-physical layout: memslot 0 at gpa 0 (at most BKVM_LOW_SIZE bytes)
 * holds the guest's code, mailbox (and page tables), as the framework's slot
 * 0 does in memslot_perf_test; benchmark slots use ids from 1 and gpas above
 * it and below 4 GiB.
 */
#ifndef VMMU_BENCH_KVM_H
#define VMMU_BENCH_KVM_H

#include <stddef.h>
#include <stdint.h>

#include "bench.h"
#include "kvm_guest.h"

#define BKVM_LOW_SIZE	0x10000u
#define BKVM_GPA_LIMIT	(1ull << 32)	/* the guest identity-maps 4 GiB */

struct kvm_run;

enum bkvm_mode {
	BKVM_FLAT,
	BKVM_NATIVE,
};

struct bkvm {
	enum bkvm_mode mode;
	struct kvm_guest g;	/* BKVM_FLAT */
	int kvm_fd;		/* BKVM_NATIVE: */
	int vm_fd;
	int vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *low;		/* host memory of slot 0 */
	int fd;			/* the VM, either mode */
	struct bench_guest *guest;
	uint64_t unexpected_exits;
};

int bkvm_open(struct bkvm **kp, enum bkvm_mode mode);
void bkvm_close(struct bkvm *k);
int bkvm_set_region(struct bkvm *k, uint32_t slot, uint32_t flags, uint64_t gpa, uint64_t size,
		    const void *hva);
/* KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 with MANUAL_PROTECT_ENABLE. */
int bkvm_enable_manual_protect(struct bkvm *k);
int bkvm_get_dirty_log(struct bkvm *k, uint32_t slot, void *bitmap);
int bkvm_clear_dirty_log(struct bkvm *k, uint32_t slot, uint64_t first, uint32_t num,
			 void *bitmap);

#endif /* VMMU_BENCH_KVM_H */
