// SPDX-License-Identifier: MIT
/*
 * kvm_guest: a tiny real-KVM guest that performs guest-physical accesses on
 * request (see kvm_guest.h for the contract).
 *
 * Harness slot layout (offsets from its gpa, which is also the guest's
 * linear address since paging is off and all segment bases are 0):
 *
 *	0x0000	code: the command loop, then nine 32-byte access handlers
 *	0x0800	GDT: null, flat code (sel 0x08), flat data (sel 0x10)
 *	0x1000	mailbox: the current command (struct below)
 *
 * Mailbox (little-endian):
 *	+0	u32 kind	handler index, KG_* below
 *	+4	u32 gpa
 *	+8	u32 count	repetitions, >= 1
 *	+12	u32 stride	added to gpa after each repetition
 *	+16	u64 value	stored by writes
 *	+24	u64 result	written by the 8-byte load
 *
 * Registers set by the host: esi = mailbox, ebp = first handler.  The loop
 * dispatches to ebp + kind * 32; each handler ends with a jump back to the
 * loop's OUT, which exits to the host with eax = the loaded value.
 *
 * Note on KVM-PVM: after an MMIO exit PVM may go on emulating the following
 * instructions instead of re-entering the guest, so every instruction of the
 * loop must be one KVM's emulator knows.  MMX register-to-register moves
 * (movd eax, mm0) are not: the 8-byte load goes through the mailbox.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "kvm_guest.h"

#define KG_PAGE		0x1000u
#define KG_GDT_OFF	0x800u
#define KG_MBOX_OFF	0x1000u

/* Mailbox field offsets. */
#define MB_KIND		0
#define MB_GPA		4
#define MB_COUNT	8
#define MB_STRIDE	12
#define MB_VALUE	16
#define MB_RESULT	24

/* Handler indices (mailbox kind). */
enum {
	KG_NOP = 0,
	KG_READ8, KG_READ16, KG_READ32, KG_READ64,
	KG_WRITE8, KG_WRITE16, KG_WRITE32, KG_WRITE64,
	KG_NR_KINDS
};

#define REPORT_OFF	0x12u			/* the loop's OUT */
#define HANDLERS_OFF	0x20u
#define H(k)		(HANDLERS_OFF + 32u * (k))

/* The four little-endian bytes of a 32-bit value. */
#define LE32(x)		(uint8_t)((uint32_t)(x) & 0xff), (uint8_t)(((uint32_t)(x) >> 8) & 0xff), \
			(uint8_t)(((uint32_t)(x) >> 16) & 0xff), (uint8_t)(((uint32_t)(x) >> 24) & 0xff)
/* "jmp report" as the instruction ending at handler @k offset @end. */
#define JMP_REPORT(k, end)	0xe9, LE32((int32_t)REPORT_OFF - (int32_t)(H(k) + (end)))

static const uint8_t guest_code[H(KG_NR_KINDS)] = {
	/* loop: fetch the command (esi = mailbox) and dispatch */
	[0x00] = 0x8b, 0x06,			/* 00 mov eax, [esi]       ; kind */
	0x8b, 0x5e, MB_GPA,			/* 02 mov ebx, [esi+4]     ; gpa */
	0x8b, 0x56, MB_COUNT,			/* 05 mov edx, [esi+8]     ; count */
	0x8b, 0x4e, MB_VALUE,			/* 08 mov ecx, [esi+16]    ; value, low half */
	0xc1, 0xe0, 0x05,			/* 0b shl eax, 5           ; 32-byte handlers */
	0x01, 0xe8,				/* 0e add eax, ebp         ; ebp = handler 0 */
	0xff, 0xe0,				/* 10 jmp eax */
	/* report: */
	[REPORT_OFF] = 0xe7, KVM_GUEST_PORT,	/* 12 out 0x10, eax        ; KVM_EXIT_IO */
	0xeb, (uint8_t)(0x00 - 0x16),		/* 14 jmp loop (rel8 -22) */

	/* KG_NOP */
	[H(KG_NOP)] = 0x31, 0xc0,		/* +0 xor eax, eax */
	JMP_REPORT(KG_NOP, 7),			/* +2 jmp report */

	/* KG_READ8 */
	[H(KG_READ8)] = 0x0f, 0xb6, 0x03,	/* +0 movzx eax, byte [ebx] */
	0x03, 0x5e, MB_STRIDE,			/* +3 add ebx, [esi+12]    ; stride */
	0x4a,					/* +6 dec edx */
	0x75, (uint8_t)-9,			/* +7 jnz +0 */
	JMP_REPORT(KG_READ8, 14),		/* +9 jmp report */

	/* KG_READ16 */
	[H(KG_READ16)] = 0x0f, 0xb7, 0x03,	/* +0 movzx eax, word [ebx] */
	0x03, 0x5e, MB_STRIDE,			/* +3 add ebx, [esi+12] */
	0x4a,					/* +6 dec edx */
	0x75, (uint8_t)-9,			/* +7 jnz +0 */
	JMP_REPORT(KG_READ16, 14),		/* +9 jmp report */

	/* KG_READ32 */
	[H(KG_READ32)] = 0x8b, 0x03,		/* +0 mov eax, [ebx] */
	0x03, 0x5e, MB_STRIDE,			/* +2 add ebx, [esi+12] */
	0x4a,					/* +5 dec edx */
	0x75, (uint8_t)-8,			/* +6 jnz +0 */
	JMP_REPORT(KG_READ32, 13),		/* +8 jmp report */

	/* KG_READ64: one 8-byte access through MMX */
	[H(KG_READ64)] = 0x0f, 0x6f, 0x03,	/* +0 movq mm0, [ebx] */
	0x03, 0x5e, MB_STRIDE,			/* +3 add ebx, [esi+12] */
	0x4a,					/* +6 dec edx */
	0x75, (uint8_t)-9,			/* +7 jnz +0 */
	0x0f, 0x7f, 0x46, MB_RESULT,		/* +9 movq [esi+24], mm0   ; whole result */
	0x8b, 0x46, MB_RESULT,			/* +13 mov eax, [esi+24]   ; low half */
	JMP_REPORT(KG_READ64, 21),		/* +16 jmp report */

	/* KG_WRITE8 */
	[H(KG_WRITE8)] = 0x88, 0x0b,		/* +0 mov [ebx], cl */
	0x03, 0x5e, MB_STRIDE,			/* +2 add ebx, [esi+12] */
	0x4a,					/* +5 dec edx */
	0x75, (uint8_t)-8,			/* +6 jnz +0 */
	JMP_REPORT(KG_WRITE8, 13),		/* +8 jmp report */

	/* KG_WRITE16 */
	[H(KG_WRITE16)] = 0x66, 0x89, 0x0b,	/* +0 mov [ebx], cx */
	0x03, 0x5e, MB_STRIDE,			/* +3 add ebx, [esi+12] */
	0x4a,					/* +6 dec edx */
	0x75, (uint8_t)-9,			/* +7 jnz +0 */
	JMP_REPORT(KG_WRITE16, 14),		/* +9 jmp report */

	/* KG_WRITE32 */
	[H(KG_WRITE32)] = 0x89, 0x0b,		/* +0 mov [ebx], ecx */
	0x03, 0x5e, MB_STRIDE,			/* +2 add ebx, [esi+12] */
	0x4a,					/* +5 dec edx */
	0x75, (uint8_t)-8,			/* +6 jnz +0 */
	JMP_REPORT(KG_WRITE32, 13),		/* +8 jmp report */

	/* KG_WRITE64 */
	[H(KG_WRITE64)] = 0x0f, 0x6f, 0x4e, MB_VALUE, /* +0 movq mm1, [esi+16] ; value */
	0x0f, 0x7f, 0x0b,			/* +4 movq [ebx], mm1 */
	0x03, 0x5e, MB_STRIDE,			/* +7 add ebx, [esi+12] */
	0x4a,					/* +10 dec edx */
	0x75, (uint8_t)-9,			/* +11 jnz +4 */
	JMP_REPORT(KG_WRITE64, 18),		/* +13 jmp report */
};

/* GDT descriptors: flat 4 GiB, granularity 4 KiB, 32-bit. */
static const uint64_t guest_gdt[3] = {
	0,			/* 0x00 null */
	0x00cf9b000000ffffull,	/* 0x08 code: present, DPL 0, execute/read, accessed */
	0x00cf93000000ffffull,	/* 0x10 data: present, DPL 0, read/write, accessed */
};

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

uint64_t kvm_guest_mmio_value(uint64_t gpa)
{
	/* splitmix64 finaliser of the address */
	uint64_t z = gpa + 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int kg_ioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do {
		r = ioctl(fd, req, arg);
	} while (r < 0 && errno == EINTR && req != KVM_RUN);
	return r < 0 ? -errno : r;
}

/* Put the vCPU at the top of the command loop in flat protected mode. */
static int kg_reset_vcpu(struct kvm_guest *g)
{
	struct kvm_segment code = {
		.base = 0, .limit = 0xffffffff, .selector = 0x08, .type = 0xb,
		.present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1,
	};
	struct kvm_segment data = code;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int r;

	r = kg_ioctl(g->vcpu_fd, KVM_GET_SREGS, &sregs);
	if (r)
		return r;
	data.selector = 0x10;
	data.type = 0x3;
	sregs.cs = code;
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
	sregs.gdt.base = g->gpa + KG_GDT_OFF;
	sregs.gdt.limit = sizeof(guest_gdt) - 1;
	sregs.idt.base = 0;
	sregs.idt.limit = 0;		/* any exception: triple fault */
	sregs.cr0 = 0x31;		/* PE | ET | NE; EM = TS = 0 for MMX; PG = 0 */
	sregs.cr4 = 0;
	sregs.efer = 0;
	r = kg_ioctl(g->vcpu_fd, KVM_SET_SREGS, &sregs);
	if (r)
		return r;

	memset(&regs, 0, sizeof(regs));
	regs.rip = g->gpa;
	regs.rsi = g->gpa + KG_MBOX_OFF;
	regs.rbp = g->gpa + HANDLERS_OFF;
	regs.rflags = 0x2;		/* IF = 0 */
	return kg_ioctl(g->vcpu_fd, KVM_SET_REGS, &regs);
}

int kvm_guest_open(struct kvm_guest *g, const struct kvm_guest_opts *opts)
{
	struct kvm_userspace_memory_region region;
	int r, size;

	memset(g, 0, sizeof(*g));
	g->kvm_fd = g->vm_fd = g->vcpu_fd = -1;
	if (opts) {
		g->gpa = opts->gpa;
		g->slot = opts->slot;
	}
	if ((g->gpa & (KG_PAGE - 1)) || g->gpa + KVM_GUEST_SLOT_SIZE > (1ull << 32) ||
	    (g->slot >> 16))
		return -EINVAL;

	g->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (g->kvm_fd < 0)
		return errno ? -errno : -ENODEV;
	r = kg_ioctl(g->kvm_fd, KVM_GET_API_VERSION, NULL);
	if (r != KVM_API_VERSION) {
		r = r < 0 ? r : -ENODEV;
		goto fail;
	}
	r = kg_ioctl(g->kvm_fd, KVM_CREATE_VM, (void *)0);
	if (r < 0)
		goto fail;
	g->vm_fd = r;

	g->mem = mmap(NULL, KVM_GUEST_SLOT_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->mem == MAP_FAILED) {
		g->mem = NULL;
		r = -ENOMEM;
		goto fail;
	}
	memcpy(g->mem, guest_code, sizeof(guest_code));
	memcpy(g->mem + KG_GDT_OFF, guest_gdt, sizeof(guest_gdt));

	region = (struct kvm_userspace_memory_region){
		.slot = g->slot,
		.guest_phys_addr = g->gpa,
		.memory_size = KVM_GUEST_SLOT_SIZE,
		.userspace_addr = (uint64_t)(uintptr_t)g->mem,
	};
	r = kg_ioctl(g->vm_fd, KVM_SET_USER_MEMORY_REGION, &region);
	if (r)
		goto fail;

	if (opts && opts->dirty_ring_bytes) {
		/* Before the vCPU exists, as KVM requires (192: KVM_CAP_DIRTY_LOG_RING,
		 * 223: its _ACQ_REL flavour; not in every installed header). */
		struct kvm_enable_cap cap = { .cap = 223, .args = { opts->dirty_ring_bytes } };

		r = kg_ioctl(g->vm_fd, KVM_ENABLE_CAP, &cap);
		if (r == -EINVAL && kg_ioctl(g->vm_fd, KVM_CHECK_EXTENSION, (void *)223) <= 0) {
			cap.cap = 192;
			r = kg_ioctl(g->vm_fd, KVM_ENABLE_CAP, &cap);
		}
		if (r)
			goto fail;
	}
	r = kg_ioctl(g->vm_fd, KVM_CREATE_VCPU, (void *)0);
	if (r < 0)
		goto fail;
	g->vcpu_fd = r;
	if (opts && opts->dirty_ring_bytes) {
		/* KVM_DIRTY_LOG_PAGE_OFFSET (64) pages into the vCPU fd, on x86 */
		g->dirty_ring = mmap(NULL, opts->dirty_ring_bytes, PROT_READ | PROT_WRITE,
				     MAP_SHARED, g->vcpu_fd, 64 * KG_PAGE);
		if (g->dirty_ring == MAP_FAILED) {
			g->dirty_ring = NULL;
			r = -errno;
			goto fail;
		}
		g->dirty_ring_bytes = opts->dirty_ring_bytes;
	}
	size = kg_ioctl(g->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, NULL);
	if (size < (int)sizeof(struct kvm_run)) {
		r = size < 0 ? size : -EINVAL;
		goto fail;
	}
	g->run_size = (size_t)size;
	g->run = mmap(NULL, g->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, g->vcpu_fd, 0);
	if (g->run == MAP_FAILED) {
		g->run = NULL;
		r = -errno;
		goto fail;
	}
	r = kg_reset_vcpu(g);
	if (r)
		goto fail;
	return 0;
fail:
	kvm_guest_close(g);
	return r;
}

void kvm_guest_close(struct kvm_guest *g)
{
	if (g->dirty_ring)
		munmap(g->dirty_ring, g->dirty_ring_bytes);
	g->dirty_ring = NULL;
	if (g->run)
		munmap(g->run, g->run_size);
	if (g->vcpu_fd >= 0)
		close(g->vcpu_fd);
	if (g->vm_fd >= 0)
		close(g->vm_fd);
	if (g->mem)
		munmap(g->mem, KVM_GUEST_SLOT_SIZE);
	if (g->kvm_fd >= 0)
		close(g->kvm_fd);
	g->run = NULL;
	g->mem = NULL;
	g->kvm_fd = g->vm_fd = g->vcpu_fd = -1;
}

static int kg_kind(const struct kvm_guest_cmd *cmd)
{
	int k;

	switch (cmd->len) {
	case 1:
		k = KG_READ8;
		break;
	case 2:
		k = KG_READ16;
		break;
	case 4:
		k = KG_READ32;
		break;
	case 8:
		k = KG_READ64;
		break;
	default:
		return -EINVAL;
	}
	return cmd->write ? k + (KG_WRITE8 - KG_READ8) : k;
}

int kvm_guest_access(struct kvm_guest *g, const struct kvm_guest_cmd *cmd,
		     struct kvm_guest_result *res)
{
	uint8_t *mb = g->mem + KG_MBOX_OFF;
	struct kvm_run *run = g->run;
	int kind = kg_kind(cmd);
	uint32_t v32;
	int r;

	memset(res, 0, sizeof(*res));
	if (kind < 0) {
		res->ret = -EINVAL;
		return res->ret;
	}
	put32(mb + MB_KIND, (uint32_t)kind);
	put32(mb + MB_GPA, cmd->gpa);
	put32(mb + MB_COUNT, cmd->count ? cmd->count : 1);
	put32(mb + MB_STRIDE, cmd->stride);
	put64(mb + MB_VALUE, cmd->value);
	put64(mb + MB_RESULT, 0);

	for (;;) {
		g->nr_runs++;
		r = ioctl(g->vcpu_fd, KVM_RUN, NULL);
		res->exit_reason = run->exit_reason;
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			res->ret = -errno;
			break;
		}
		if (run->exit_reason == KVM_EXIT_IO && run->io.port == KVM_GUEST_PORT &&
		    run->io.direction == KVM_EXIT_IO_OUT && run->io.size == 4 &&
		    run->io.count == 1) {
			if (!cmd->write) {
				memcpy(&v32, (uint8_t *)run + run->io.data_offset, 4);
				res->value = v32;
				if (cmd->len == 8) {
					memcpy(&v32, mb + MB_RESULT + 4, 4);
					res->value |= (uint64_t)v32 << 32;
				}
			}
			return 0;
		}
		if (run->exit_reason == KVM_EXIT_MMIO) {
			uint32_t len = run->mmio.len > 8 ? 8 : run->mmio.len;

			g->nr_mmio_exits++;
			if (!run->mmio.is_write) {
				uint64_t v = kvm_guest_mmio_value(run->mmio.phys_addr);

				memcpy(run->mmio.data, &v, 8);
			}
			if (res->nr_mmio < KVM_GUEST_MAX_MMIO) {
				struct kvm_guest_mmio *m = &res->mmio[res->nr_mmio];

				m->gpa = run->mmio.phys_addr;
				m->len = run->mmio.len;
				m->is_write = run->mmio.is_write;
				memset(m->data, 0, sizeof(m->data));
				memcpy(m->data, run->mmio.data, len);
			}
			res->nr_mmio++;
			continue;
		}
		res->ret = -EIO;
		break;
	}
	/* KVM_RUN failed or the guest left its loop: start it over. */
	r = kg_reset_vcpu(g);
	if (r && !res->ret)
		res->ret = r;
	return res->ret;
}
