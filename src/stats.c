// SPDX-License-Identifier: MIT
/*
 * Binary statistics in the layout of KVM's stats file (include/vmmu.h,
 * "Binary statistics").  The file is an image built at each read:
 *
 *	+---------------------------+ 0
 *	| struct vmmu_stats_header  |
 *	+---------------------------+ id_offset = 24
 *	| id, VMMU_STATS_NAME_SIZE  |
 *	+---------------------------+ desc_offset = 72
 *	| desc 0 | name (48 bytes)  |   16 + 48 bytes each
 *	| ...                       |
 *	+---------------------------+ data_offset = 72 + 64 * num_desc
 *	| value 0 (uint64_t)        |   desc i: offset 8 * i, size 1
 *	| ...                       |
 *	+---------------------------+ total = data_offset + 8 * num_desc
 *
 * The VM's values come from vmmu_vm_get_stats() (struct vmmu_stats), a
 * vCPU's from its struct vcpu_stats, so a counter added there is added to
 * the file by one line in a table below.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "stats.h"
#include "vm.h"

#define CUMUL	(VMMU_STATS_TYPE_CUMULATIVE | VMMU_STATS_UNIT_NONE | VMMU_STATS_BASE_POW10)
#define INSTANT	(VMMU_STATS_TYPE_INSTANT | VMMU_STATS_UNIT_NONE | VMMU_STATS_BASE_POW10)
#define VM_STAT(name, field, flags)	{ name, flags, offsetof(struct vmmu_stats, field) }
#define VCPU_STAT(name, field)		{ name, CUMUL, offsetof(struct vcpu_stats, field) }

/*
 * vCPU counters: KVM's name where KVM counts the same event, the field's
 * name otherwise.  The VM file carries them too (summed), first.
 */
#define VCPU_COUNTERS(S)						\
	S("pf_fixed", pf_fixed),					\
	S("pf_spurious", pf_spurious),					\
	S("pf_emulate", pf_emulate),					\
	S("pf_mmio_spte_created", mmio_sptes_created),			\
	S("mmio_exits", mmio_exits),					\
	S("pf_invalid", pf_invalid),					\
	S("pf_retry", pf_retry),					\
	S("tlb_fills", tlb_fills),					\
	S("mmio_cache_hits", mmio_cache_hits),				\
	S("fast_mmio_hits", fast_mmio_hits),				\
	S("invalid_slot_retries", invalid_slot_retries),		\
	S("notifier_retries", notifier_retries),			\
	S("pf_prefetched", pf_prefetched)

#define VM_VCPU_STAT(name, field)	VM_STAT(name, field, CUMUL)

static const struct stats_def vcpu_defs[] = { VCPU_COUNTERS(VCPU_STAT) };

static const struct stats_def vm_defs[] = {
	VCPU_COUNTERS(VM_VCPU_STAT),
	VM_STAT("remote_tlb_flush", remote_tlb_flush, CUMUL),
	VM_STAT("remote_tlb_flush_requests", remote_tlb_flush_requests, CUMUL),
	VM_STAT("remote_tlb_flush_skips", remote_tlb_flush_skips, CUMUL),
	VM_STAT("remote_tlb_flush_answers", remote_tlb_flush_answers, CUMUL),
	VM_STAT("remote_tlb_flush_membarriers", remote_tlb_flush_membarriers, CUMUL),
	VM_STAT("invalidate_unlocked", invalidate_unlocked, CUMUL),
	VM_STAT("memslot_updates", memslot_updates, CUMUL),
	VM_STAT("memslot_swaps", memslot_swaps, CUMUL),
	VM_STAT("zap_all_fast", zap_all_fast, CUMUL),
	VM_STAT("mmio_wrap_zaps", mmio_wrap_zaps, CUMUL),
	VM_STAT("slot_zaps", slot_zaps, CUMUL),
	VM_STAT("sptes_zapped", sptes_zapped, CUMUL),
	VM_STAT("page_tables", page_tables, INSTANT),
	VM_STAT("page_table_cap", page_table_cap, INSTANT),
	VM_STAT("page_table_reclaims", page_table_reclaims, CUMUL),
	VM_STAT("page_tables_reclaimed", page_tables_reclaimed, CUMUL),
	VM_STAT("page_table_reclaim_zaps", page_table_reclaim_zaps, CUMUL),
	VM_STAT("change_pte_unbracketed", change_pte_unbracketed, CUMUL),
	VM_STAT("invalidate_end_unmatched", invalidate_end_unmatched, CUMUL),
	VM_STAT("invalidate_waits", invalidate_waits, CUMUL),
	VM_STAT("publish_waits", publish_waits, CUMUL),
	VM_STAT("publish_overtaken", publish_overtaken, CUMUL),
	VM_STAT("host_queries", host_queries, CUMUL),
	VM_STAT("fault_flushes", fault_flushes, CUMUL),
	VM_STAT("fence_fallbacks", fence_fallbacks, CUMUL),
};

#define NR_VM_STATS	(sizeof(vm_defs) / sizeof(vm_defs[0]))
#define NR_VCPU_STATS	(sizeof(vcpu_defs) / sizeof(vcpu_defs[0]))
#define DESC_SIZE	(sizeof(struct vmmu_stats_desc) + VMMU_STATS_NAME_SIZE)
#define IMAGE_SIZE(n)	(sizeof(struct vmmu_stats_header) + VMMU_STATS_NAME_SIZE + \
			 (n) * (DESC_SIZE + sizeof(uint64_t)))

_Static_assert(sizeof(struct vmmu_stats_header) == 24, "struct kvm_stats_header layout");
_Static_assert(sizeof(struct vmmu_stats_desc) == 16, "struct kvm_stats_desc layout");
_Static_assert(offsetof(struct vmmu_stats_desc, offset) == 8, "struct kvm_stats_desc layout");

/*
 * Build the whole file for @n counters @defs (values at @src + def->off,
 * loaded relaxed if @atomic) with id @id into @img (IMAGE_SIZE(n) bytes).
 */
static void stats_image(uint8_t *img, const struct stats_def *defs, size_t n, const char *id,
			const void *src, int atomic)
{
	struct vmmu_stats_header h = {
		.name_size = VMMU_STATS_NAME_SIZE,
		.num_desc = (uint32_t)n,
		.id_offset = sizeof(h),
		.desc_offset = sizeof(h) + VMMU_STATS_NAME_SIZE,
		.data_offset = (uint32_t)(sizeof(h) + VMMU_STATS_NAME_SIZE + n * DESC_SIZE),
	};

	memset(img, 0, IMAGE_SIZE(n));
	memcpy(img, &h, sizeof(h));
	snprintf((char *)img + h.id_offset, VMMU_STATS_NAME_SIZE, "%s", id);
	for (size_t i = 0; i < n; i++) {
		struct vmmu_stats_desc d = {
			.flags = defs[i].flags,
			.size = 1,
			.offset = (uint32_t)(i * sizeof(uint64_t)),
		};
		uint8_t *p = img + h.desc_offset + i * DESC_SIZE;
		const void *v = (const uint8_t *)src + defs[i].off;
		uint64_t val = atomic ? atomic_load_explicit((_Atomic uint64_t *)v,
							     memory_order_relaxed)
				      : *(const uint64_t *)v;

		memcpy(p, &d, sizeof(d));
		snprintf((char *)p + sizeof(d), VMMU_STATS_NAME_SIZE, "%s", defs[i].name);
		memcpy(img + h.data_offset + d.offset, &val, sizeof(val));
	}
}

/* A file's image: at most IMAGE_MAX bytes (the VM's file is the larger). */
#define IMAGE_MAX	IMAGE_SIZE(NR_VM_STATS)
_Static_assert(NR_VCPU_STATS <= NR_VM_STATS, "IMAGE_MAX");
typedef size_t (*image_fn)(void *obj, uint8_t *img);

/* The VM's file, built into @img; returns its size. */
static size_t vm_image(void *obj, uint8_t *img)
{
	struct vmmu_stats st = { .size = sizeof(st) };
	char id[VMMU_STATS_NAME_SIZE];

	vmmu_vm_get_stats(obj, &st);
	snprintf(id, sizeof(id), "vmmu-%d", (int)getpid());
	stats_image(img, vm_defs, NR_VM_STATS, id, &st, 0);
	return IMAGE_SIZE(NR_VM_STATS);
}

static size_t vcpu_image(void *obj, uint8_t *img)
{
	struct vmmu_vcpu *vcpu = obj;
	char id[VMMU_STATS_NAME_SIZE];

	snprintf(id, sizeof(id), "vmmu-%d/vcpu-%u", (int)getpid(), vcpu->id);
	stats_image(img, vcpu_defs, NR_VCPU_STATS, id, &vcpu->stat, 1);
	return IMAGE_SIZE(NR_VCPU_STATS);
}

/* pread() on the file of @obj. */
static int64_t stats_read(image_fn build, void *obj, void *buf, uint64_t size, uint64_t offset)
{
	uint8_t img[IMAGE_MAX];
	size_t len;

	if (!obj || (!buf && size))
		return -EINVAL;
	if (!size)
		return 0;
	len = build(obj, img);
	if (offset >= len)
		return 0;
	if (size > len - offset)
		size = len - offset;
	memcpy(buf, img + offset, size);
	return (int64_t)size;
}

/* A memfd holding the file of @obj as of now, or -errno. */
static int stats_fd(image_fn build, void *obj, const char *name)
{
	uint8_t img[IMAGE_MAX];
	size_t len;
	int fd, err;

	if (!obj)
		return -EINVAL;
	len = build(obj, img);
	fd = memfd_create(name, MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (size_t done = 0; done < len;) {
		ssize_t n = pwrite(fd, img + done, len - done, (off_t)done);

		if (n <= 0) {
			err = n < 0 ? errno : EIO;
			close(fd);
			return -err;
		}
		done += (size_t)n;
	}
	return fd;
}

VMMU_API int64_t vmmu_vm_stats_read(struct vmmu_vm *vm, void *buf, uint64_t size,
				    uint64_t offset)
{
	return stats_read(vm_image, vm, buf, size, offset);
}

VMMU_API int64_t vmmu_vcpu_stats_read(struct vmmu_vcpu *vcpu, void *buf, uint64_t size,
				      uint64_t offset)
{
	return stats_read(vcpu_image, vcpu, buf, size, offset);
}

VMMU_API int vmmu_vm_stats_fd(struct vmmu_vm *vm)
{
	return stats_fd(vm_image, vm, "vmmu-vm-stats");
}

VMMU_API int vmmu_vcpu_stats_fd(struct vmmu_vcpu *vcpu)
{
	return stats_fd(vcpu_image, vcpu, "vmmu-vcpu-stats");
}
