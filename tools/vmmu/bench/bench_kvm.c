// SPDX-License-Identifier: MIT
/*
 * vmmu bench: the real-KVM side of the benchmarks, on two tiny guests.
 *
 * BKVM_FLAT is the shared harness (kvm_guest.c): 32-bit protected mode at
 * CPL 0 with paging off.  On KVM-PVM that guest is not run by the hardware
 * but by KVM's instruction emulator: a two-instruction loop costs ~760 ns
 * per iteration.  Its faults and MMIO exits, though, are the cheapest this
 * host offers (~2 us per first touch of a RAM page, ~22 us per MMIO exit).
 *
 * BKVM_NATIVE, below, is 64-bit at CPL 3 with identity page tables: on
 * KVM-PVM it runs natively (~1 ns per loop iteration), but each shadow page
 * fault and MMIO exit costs far more there (~45 us, ~120 us).  On VMX/SVM
 * both run natively.
 *
 * Each benchmark takes the guest that gives KVM its best figure: FLAT where
 * faults and exits dominate, NATIVE for steady-state access loops.
 *
 * The native guest (64-bit, CPL 3, IOPL 3, interrupts off, no IDT):
 *	0x0000	code: read the mailbox, run count accesses, OUT to port 0x10
 *	0x1000	mailbox: +0 u32 kind, +8 gpa, +16 count, +24 stride, +32 value,
 *		+40 mismatches (reads whose value differed from +32)
 *	0x2000	PML4, 0x3000 PDPT, 0x4000..0x7fff four page directories of
 *		2 MiB pages: gpa 0..4 GiB mapped 1:1, user, writable
 * KVM_EXIT_MMIO is completed here (reads return 0) and counted; any other
 * exit but the OUT is an error and resets the vCPU to the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "bench_kvm.h"

#define MB_OFF		0x1000u
#define PML4_OFF	0x2000u
#define PDPT_OFF	0x3000u
#define PD_OFF		0x4000u
#define DONE_PORT	0x10u

enum { K_WRITE8 = 1, K_WRITE4, K_READ8, K_READ4 };

/* Mailbox fields. */
#define MB_KIND		0
#define MB_GPA		8
#define MB_COUNT	16
#define MB_STRIDE	24
#define MB_VALUE	32
#define MB_MISMATCH	40

static const uint8_t guest_code[] = {
	/* entry: */
	0xbe, 0x00, 0x10, 0x00, 0x00,	/* 00 mov esi, 0x1000       ; mailbox */
	0x8b, 0x06,			/* 05 mov eax, [rsi]        ; kind */
	0x48, 0x8b, 0x5e, 0x08,		/* 07 mov rbx, [rsi+8]      ; gpa */
	0x48, 0x8b, 0x4e, 0x10,		/* 0b mov rcx, [rsi+16]     ; count */
	0x48, 0x8b, 0x56, 0x18,		/* 0f mov rdx, [rsi+24]     ; stride */
	0x4c, 0x8b, 0x46, 0x20,		/* 13 mov r8, [rsi+32]      ; value */
	0x45, 0x31, 0xc9,		/* 17 xor r9d, r9d          ; mismatches */
	0x83, 0xf8, 0x01, 0x74, 0x17,	/* 1a cmp eax, 1; je w8 */
	0x83, 0xf8, 0x02, 0x74, 0x1f,	/* 1f cmp eax, 2; je w4 */
	0x83, 0xf8, 0x03, 0x74, 0x27,	/* 24 cmp eax, 3; je rd8 */
	0x83, 0xf8, 0x04, 0x74, 0x37,	/* 29 cmp eax, 4; je rd4 */
	/* done: */
	0x4c, 0x89, 0x4e, 0x28,		/* 2e mov [rsi+40], r9 */
	0xe6, DONE_PORT,		/* 32 out 0x10, al          ; KVM_EXIT_IO */
	0xeb, 0xca,			/* 34 jmp entry */
	/* w8: */
	0x4c, 0x89, 0x03,		/* 36 mov [rbx], r8 */
	0x48, 0x01, 0xd3,		/* 39 add rbx, rdx */
	0x48, 0xff, 0xc9,		/* 3c dec rcx */
	0x75, 0xf5,			/* 3f jnz w8 */
	0xeb, 0xeb,			/* 41 jmp done */
	/* w4: */
	0x44, 0x89, 0x03,		/* 43 mov [rbx], r8d */
	0x48, 0x01, 0xd3,		/* 46 add rbx, rdx */
	0x48, 0xff, 0xc9,		/* 49 dec rcx */
	0x75, 0xf5,			/* 4c jnz w4 */
	0xeb, 0xde,			/* 4e jmp done */
	/* rd8: */
	0x48, 0x8b, 0x03,		/* 50 mov rax, [rbx] */
	0x4c, 0x39, 0xc0,		/* 53 cmp rax, r8 */
	0x74, 0x03,			/* 56 je +3 */
	0x49, 0xff, 0xc1,		/* 58 inc r9 */
	0x48, 0x01, 0xd3,		/* 5b add rbx, rdx */
	0x48, 0xff, 0xc9,		/* 5e dec rcx */
	0x75, 0xed,			/* 61 jnz rd8 */
	0xeb, 0xc9,			/* 63 jmp done */
	/* rd4: */
	0x8b, 0x03,			/* 65 mov eax, [rbx] */
	0x44, 0x39, 0xc0,		/* 67 cmp eax, r8d */
	0x74, 0x03,			/* 6a je +3 */
	0x49, 0xff, 0xc1,		/* 6c inc r9 */
	0x48, 0x01, 0xd3,		/* 6f add rbx, rdx */
	0x48, 0xff, 0xc9,		/* 72 dec rcx */
	0x75, 0xee,			/* 75 jnz rd4 */
	0xeb, 0xb5,			/* 77 jmp done */
};

static int kvm_ioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do {
		r = ioctl(fd, req, arg);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/* Long mode, CPL 3, the identity page tables; rip at the loop. */
static int bkvm_reset_vcpu(struct bkvm *k)
{
	struct kvm_segment code = {
		.base = 0, .limit = 0xffffffff, .selector = 0x1b, .type = 0xb, .present = 1,
		.dpl = 3, .db = 0, .s = 1, .l = 1, .g = 1,
	};
	struct kvm_segment data = {
		.base = 0, .limit = 0xffffffff, .selector = 0x23, .type = 0x3, .present = 1,
		.dpl = 3, .db = 1, .s = 1, .l = 0, .g = 1,
	};
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int r;

	r = kvm_ioctl(k->vcpu_fd, KVM_GET_SREGS, &sregs);
	if (r)
		return r;
	sregs.cs = code;
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
	sregs.cr3 = PML4_OFF;
	sregs.cr4 = 0x20;		/* PAE */
	sregs.efer = 0x500;		/* LME | LMA */
	sregs.cr0 = 0x80000031;		/* PG | NE | ET | PE */
	r = kvm_ioctl(k->vcpu_fd, KVM_SET_SREGS, &sregs);
	if (r)
		return r;
	memset(&regs, 0, sizeof(regs));
	regs.rip = 0;
	regs.rflags = 0x3002;		/* IOPL 3: OUT at CPL 3; IF = 0 */
	return kvm_ioctl(k->vcpu_fd, KVM_SET_REGS, &regs);
}

static void build_low(uint8_t *low)
{
	memcpy(low, guest_code, sizeof(guest_code));
	put64(low + PML4_OFF, PDPT_OFF | 0x7);			/* P | RW | US */
	for (uint64_t i = 0; i < 4; i++) {
		put64(low + PDPT_OFF + 8 * i, (PD_OFF + i * 0x1000) | 0x7);
		for (uint64_t j = 0; j < 512; j++)
			put64(low + PD_OFF + i * 0x1000 + 8 * j,
			      ((i * 512 + j) << 21) | 0x87);	/* P | RW | US | PS */
	}
}

static int bkvm_run(void *vcpu_ctx, const struct bench_gcmd *c, const _Atomic bool *stop,
		    uint64_t *mismatches, uint64_t *mmio_exits, uint64_t *passes)
{
	struct bkvm *k = vcpu_ctx;
	uint8_t *mb = k->low + MB_OFF;
	uint64_t count = c->count ? c->count : 1, mm;
	uint32_t kind;
	int r;

	if (c->len == 8)
		kind = c->write ? K_WRITE8 : K_READ8;
	else if (c->len == 4)
		kind = c->write ? K_WRITE4 : K_READ4;
	else
		return -EINVAL;
	if (c->gpa + (count - 1) * c->stride + c->len > BKVM_GPA_LIMIT)
		return -EINVAL;
	memcpy(mb + MB_KIND, &kind, 4);
	put64(mb + MB_GPA, c->gpa);
	put64(mb + MB_COUNT, count);
	put64(mb + MB_STRIDE, c->stride);
	put64(mb + MB_VALUE, c->value);
	do {
		for (;;) {
			r = ioctl(k->vcpu_fd, KVM_RUN, NULL);
			if (r < 0) {
				if (errno == EINTR || errno == EAGAIN)
					continue;
				r = -errno;
				break;
			}
			if (k->run->exit_reason == KVM_EXIT_IO && k->run->io.port == DONE_PORT)
				break;
			if (k->run->exit_reason == KVM_EXIT_MMIO) {
				(*mmio_exits)++;
				if (!k->run->mmio.is_write)
					memset(k->run->mmio.data, 0, sizeof(k->run->mmio.data));
				continue;
			}
			if (!k->unexpected_exits++)
				fprintf(stderr, "bench: KVM guest: unexpected exit %u\n",
					k->run->exit_reason);
			r = -EIO;
			break;
		}
		if (r) {
			bkvm_reset_vcpu(k);
			return r;
		}
		memcpy(&mm, mb + MB_MISMATCH, 8);
		if (c->verify && !c->write)
			*mismatches += mm;
		(*passes)++;
	} while (c->loop && !atomic_load_explicit(stop, memory_order_relaxed));
	return 0;
}

static const struct bench_guest_ops bkvm_guest_ops = {
	.run = bkvm_run,
};

/* The same commands on the harness: one kvm_guest command per pass. */
static int bkvm_flat_run(void *vcpu_ctx, const struct bench_gcmd *c, const _Atomic bool *stop,
			 uint64_t *mismatches, uint64_t *mmio_exits, uint64_t *passes)
{
	struct bkvm *k = vcpu_ctx;
	uint64_t count = c->count ? c->count : 1;
	uint64_t mask = c->len >= 8 ? ~0ull : (1ull << (8 * c->len)) - 1;
	struct kvm_guest_cmd kc = {
		.write = c->write,
		.len = c->len,
		.gpa = (uint32_t)c->gpa,
		.count = (uint32_t)count,
		.stride = (uint32_t)c->stride,
		.value = c->value,
	};
	struct kvm_guest_result res;
	int r;

	if (c->gpa + (count - 1) * c->stride + c->len > BKVM_GPA_LIMIT || count > UINT32_MAX)
		return -EINVAL;
	do {
		r = kvm_guest_access(&k->g, &kc, &res);
		*mmio_exits += res.nr_mmio;
		if (r)
			return r;
		/* The harness reports the last load only. */
		if (c->verify && !c->write && (res.value & mask) != (c->value & mask))
			(*mismatches)++;
		(*passes)++;
	} while (c->loop && !atomic_load_explicit(stop, memory_order_relaxed));
	return 0;
}

static const struct bench_guest_ops bkvm_flat_ops = {
	.run = bkvm_flat_run,
};

static int bkvm_open_native(struct bkvm *k)
{
	int r, size;

	k->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (k->kvm_fd < 0)
		return -errno;
	r = kvm_ioctl(k->kvm_fd, KVM_CREATE_VM, (void *)0);
	if (r < 0)
		return r;
	k->vm_fd = k->fd = r;
	k->low = bench_map(BKVM_LOW_SIZE);
	if (!k->low)
		return -ENOMEM;
	build_low(k->low);
	r = bkvm_set_region(k, 0, 0, 0, BKVM_LOW_SIZE, k->low);
	if (r)
		return r;
	r = kvm_ioctl(k->vm_fd, KVM_CREATE_VCPU, (void *)0);
	if (r < 0)
		return r;
	k->vcpu_fd = r;
	size = kvm_ioctl(k->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, NULL);
	if (size < (int)sizeof(struct kvm_run))
		return size < 0 ? size : -EINVAL;
	k->run_size = (size_t)size;
	k->run = mmap(NULL, k->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, k->vcpu_fd, 0);
	if (k->run == MAP_FAILED) {
		k->run = NULL;
		return -errno;
	}
	r = bkvm_reset_vcpu(k);
	if (r)
		return r;
	return bench_guest_start(&k->guest, &bkvm_guest_ops, k);
}

int bkvm_open(struct bkvm **kp, enum bkvm_mode mode)
{
	struct bkvm *k = calloc(1, sizeof(*k));
	int r;

	if (!k)
		return -ENOMEM;
	k->mode = mode;
	k->kvm_fd = k->vm_fd = k->vcpu_fd = k->fd = -1;
	k->g.kvm_fd = k->g.vm_fd = k->g.vcpu_fd = -1;
	if (mode == BKVM_NATIVE) {
		r = bkvm_open_native(k);
	} else {
		r = kvm_guest_open(&k->g, NULL);
		if (!r) {
			k->fd = k->g.vm_fd;
			r = bench_guest_start(&k->guest, &bkvm_flat_ops, k);
		}
	}
	if (r) {
		bkvm_close(k);
		return r;
	}
	*kp = k;
	return 0;
}

void bkvm_close(struct bkvm *k)
{
	if (!k)
		return;
	bench_guest_end(k->guest);
	if (k->mode == BKVM_FLAT) {
		kvm_guest_close(&k->g);
		free(k);
		return;
	}
	if (k->run)
		munmap(k->run, k->run_size);
	if (k->vcpu_fd >= 0)
		close(k->vcpu_fd);
	if (k->vm_fd >= 0)
		close(k->vm_fd);
	if (k->kvm_fd >= 0)
		close(k->kvm_fd);
	bench_unmap(k->low, BKVM_LOW_SIZE);
	free(k);
}

int bkvm_set_region(struct bkvm *k, uint32_t slot, uint32_t flags, uint64_t gpa, uint64_t size,
		    const void *hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)hva,
	};

	return kvm_ioctl(k->fd, KVM_SET_USER_MEMORY_REGION, &r);
}

int bkvm_enable_manual_protect(struct bkvm *k)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
		.args = { KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE },
	};

	return kvm_ioctl(k->fd, KVM_ENABLE_CAP, &cap);
}

int bkvm_get_dirty_log(struct bkvm *k, uint32_t slot, void *bitmap)
{
	struct kvm_dirty_log log = { .slot = slot, .dirty_bitmap = bitmap };

	return kvm_ioctl(k->fd, KVM_GET_DIRTY_LOG, &log);
}

int bkvm_clear_dirty_log(struct bkvm *k, uint32_t slot, uint64_t first, uint32_t num,
			 void *bitmap)
{
	struct kvm_clear_dirty_log log = {
		.slot = slot,
		.num_pages = num,
		.first_page = first,
		.dirty_bitmap = bitmap,
	};

	return kvm_ioctl(k->fd, KVM_CLEAR_DIRTY_LOG, &log);
}
