/* SPDX-License-Identifier: MIT */
/*
 * kvm_guest: a tiny guest on the real KVM (/dev/kvm) that performs one
 * guest-physical access per request, so a program can drive real KVM's
 * memslots, MMIO exits and dirty logging access by access.
 *
 * The guest
 * ---------
 * One VM (KVM_CREATE_VM type 0) with one vCPU in 32-bit flat protected mode,
 * paging off (so linear = guest physical), interrupts off, no IDT (any
 * exception triple-faults: KVM_EXIT_SHUTDOWN).  Its state is set directly
 * with KVM_SET_SREGS / KVM_SET_REGS; there is no boot sequence.  Its code
 * (hand-encoded, see kvm_guest.c), GDT and command mailbox live in the
 * "harness slot", a memslot of KVM_GUEST_SLOT_SIZE bytes at opts->gpa
 * (default gpa 0, slot id 0, no flags) that the harness owns: callers must
 * not delete, move or re-flag it, and should keep it out of dirty logging.
 *
 * The guest loops: read the command from the mailbox, perform the access
 * (count times, gpa += stride each time), then OUT the loaded value to port
 * KVM_GUEST_PORT (KVM_EXIT_IO), where the host takes the result and writes
 * the next command.  An access to a gpa without a memslot, or a write to a
 * READONLY slot, exits with KVM_EXIT_MMIO: the harness records it and
 * completes reads with kvm_guest_mmio_value(), a deterministic function of
 * the address.
 *
 * Accesses are 1, 2, 4 or 8 bytes (8 uses MMX movq, a single 8-byte access
 * that KVM's emulator handles as one MMIO exit), at any gpa below 4 GiB;
 * they should not cross a 4 KiB page (KVM would split an MMIO access
 * there).  The guest is 32-bit, so gpas at or above 4 GiB are unreachable.
 *
 * Cost: one KVM_RUN (one IO exit) per command, plus one per MMIO exit.  A
 * command with count > 1 repeats the access inside the guest without exits
 * (RAM), which is what a benchmark of guest-side speed wants.
 *
 * Thread safety: a struct kvm_guest is used by one thread at a time.
 */
#ifndef VMMU_KVM_GUEST_H
#define VMMU_KVM_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

#define KVM_GUEST_SLOT_SIZE	0x2000u	/* code + GDT page, mailbox page */
#define KVM_GUEST_PORT		0x10u	/* the guest's "done" port */
#define KVM_GUEST_MAX_MMIO	8u	/* MMIO exits recorded per command */

/**
 * struct kvm_guest_opts - where the harness slot goes
 * @gpa: guest-physical base of the harness slot: page aligned, and
 *	@gpa + KVM_GUEST_SLOT_SIZE <= 4 GiB.
 * @slot: memslot id (with address-space id 0) of the harness slot.
 *
 * @dirty_ring_bytes: if not 0, enable KVM_CAP_DIRTY_LOG_RING_ACQ_REL (or,
 *	without it, KVM_CAP_DIRTY_LOG_RING) with this size before the vCPU is
 *	created, and map the vCPU's ring at @dirty_ring.
 *
 * Zero-initialised (or a NULL pointer) means slot 0 at gpa 0, no ring.
 */
struct kvm_guest_opts {
	uint64_t gpa;
	uint32_t slot;
	uint32_t dirty_ring_bytes;
};

/**
 * struct kvm_guest - an open guest (fields are read-only for callers)
 * @kvm_fd: /dev/kvm.
 * @vm_fd: the VM: use it for KVM_SET_USER_MEMORY_REGION, KVM_GET_DIRTY_LOG,
 *	KVM_ENABLE_CAP, KVM_CHECK_EXTENSION and the like.
 * @vcpu_fd: the vCPU.
 * @run: the vCPU's mmap'ed struct kvm_run.
 * @mem: host memory of the harness slot.
 * @gpa: guest-physical base of the harness slot.
 * @slot: its memslot id.
 * @nr_runs: KVM_RUN calls made.
 * @nr_mmio_exits: KVM_EXIT_MMIO exits seen.
 * @dirty_ring: the vCPU's dirty ring, mapped (NULL without one).
 * @dirty_ring_bytes: its size.
 */
struct kvm_guest {
	int kvm_fd;
	int vm_fd;
	int vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *mem;
	uint64_t gpa;
	uint32_t slot;
	uint64_t nr_runs;
	uint64_t nr_mmio_exits;
	/* the dirty ring (kvm_guest_opts.dirty_ring_bytes), as struct kvm_dirty_gfn[] */
	void *dirty_ring;
	uint32_t dirty_ring_bytes;
};

/**
 * struct kvm_guest_cmd - one access
 * @write: false: load; true: store @value.
 * @len: 1, 2, 4 or 8 bytes.
 * @gpa: guest-physical address (32-bit guest).
 * @count: times to perform the access; 0 means 1.
 * @stride: added to the gpa after each repetition (may wrap).
 * @value: stored value (low @len bytes).
 */
struct kvm_guest_cmd {
	bool write;
	uint32_t len;
	uint32_t gpa;
	uint32_t count;
	uint32_t stride;
	uint64_t value;
};

/**
 * struct kvm_guest_mmio - one KVM_EXIT_MMIO, as kvm_run->mmio
 * @gpa: run->mmio.phys_addr.
 * @len: run->mmio.len.
 * @is_write: run->mmio.is_write.
 * @data: for a write, the stored bytes; for a read, what the harness answered.
 */
struct kvm_guest_mmio {
	uint64_t gpa;
	uint32_t len;
	bool is_write;
	uint8_t data[8];
};

/**
 * struct kvm_guest_result - what one command did
 * @ret: 0 when the guest completed the command; a negative errno when
 *	KVM_RUN failed (e.g. -EFAULT: host memory behind a slot is unmapped);
 *	-EIO when the vCPU exited for another reason (@exit_reason).  After a
 *	failure the guest is reset to its command loop, ready for the next one.
 * @exit_reason: run->exit_reason of the last exit.
 * @value: the last loaded value, zero-extended (reads); 0 for writes.
 * @nr_mmio: MMIO exits during the command (the first KVM_GUEST_MAX_MMIO are
 *	in @mmio).
 * @mmio: the MMIO exits, in order.
 */
struct kvm_guest_result {
	int ret;
	uint32_t exit_reason;
	uint64_t value;
	uint32_t nr_mmio;
	struct kvm_guest_mmio mmio[KVM_GUEST_MAX_MMIO];
};

/**
 * kvm_guest_open() - open /dev/kvm, create the VM, the harness slot and the vCPU
 * @g: the guest to initialise.
 * @opts: harness slot placement, or NULL for the defaults.
 *
 * Return: 0; -ENODEV (or the errno of open()) when /dev/kvm cannot be
 * opened; -EINVAL for bad @opts; another -errno when KVM refuses a step.
 * On failure nothing is left open.
 */
int kvm_guest_open(struct kvm_guest *g, const struct kvm_guest_opts *opts);

/**
 * kvm_guest_close() - destroy the vCPU and VM and free the harness slot memory
 * @g: an opened guest (closing twice is harmless).
 */
void kvm_guest_close(struct kvm_guest *g);

/**
 * kvm_guest_access() - run one command in the guest
 * @g: the guest.
 * @cmd: the access.
 * @res: receives the outcome.
 *
 * Return: @res->ret; -EINVAL (without running) for a bad @cmd.
 */
int kvm_guest_access(struct kvm_guest *g, const struct kvm_guest_cmd *cmd,
		     struct kvm_guest_result *res);

/**
 * kvm_guest_mmio_value() - the value the harness returns for an MMIO read
 * @gpa: the read's address.
 *
 * The low bytes (as many as the read's length) are the data, little-endian.
 * Deterministic, so another implementation can complete its MMIO reads the
 * same way and compare loaded values.
 */
uint64_t kvm_guest_mmio_value(uint64_t gpa);

/*
 * kvm_host_phys_bits() - the CPU's physical address width (CPUID
 * 0x80000008 EAX[7:0]), from which KVM derives its highest guest frame when
 * it uses TDP; 0 if unknown.  Shared by kvm-diff and the memslot differential
 * test, so both configure vmmu the same way.
 */
static inline uint32_t kvm_host_phys_bits(void)
{
#if defined(__x86_64__)
	unsigned int eax, ebx, ecx, edx;

	if (__get_cpuid(0x80000008, &eax, &ebx, &ecx, &edx))
		return eax & 0xff;
#endif
	return 0;
}

#endif /* VMMU_KVM_GUEST_H */
