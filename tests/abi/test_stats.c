// SPDX-License-Identifier: MIT
/*
 * The binary statistics files, read back as a reader of KVM's stats fd
 * reads them: the header once, then the id and the descriptors from the
 * offsets it gives, then the data block, by pread() on the fd or by
 * vmmu_*_stats_read() at the same offsets.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "vmmu.h"
#include "test_util.h"

struct stats_file {
	struct vmmu_stats_header h;
	char id[VMMU_STATS_NAME_SIZE];
	uint8_t *descs;		/* num_desc * (sizeof(desc) + name_size) */
	uint64_t *data;
	size_t data_len;
};

typedef int64_t (*read_fn)(void *obj, void *buf, uint64_t size, uint64_t off);

static int64_t vm_read(void *obj, void *buf, uint64_t size, uint64_t off)
{
	return vmmu_vm_stats_read(obj, buf, size, off);
}

static int64_t vcpu_read(void *obj, void *buf, uint64_t size, uint64_t off)
{
	return vmmu_vcpu_stats_read(obj, buf, size, off);
}

static int64_t fd_read(void *obj, void *buf, uint64_t size, uint64_t off)
{
	return pread(*(int *)obj, buf, size, (off_t)off);
}

static const struct vmmu_stats_desc *desc_at(const struct stats_file *f, uint32_t i)
{
	return (const void *)(f->descs + i * (sizeof(struct vmmu_stats_desc) + f->h.name_size));
}

/* Read a whole stats file, checking the layout rules on the way. */
static void stats_file_read(struct stats_file *f, read_fn rd, void *obj)
{
	size_t dsz;

	TEST_ASSERT_EQ(rd(obj, &f->h, sizeof(f->h), 0), (int64_t)sizeof(f->h));
	TEST_ASSERT_EQ(f->h.flags, 0);
	TEST_ASSERT_EQ(f->h.name_size, VMMU_STATS_NAME_SIZE);
	TEST_ASSERT(f->h.num_desc > 0, "no descriptors");
	TEST_ASSERT(f->h.id_offset >= sizeof(f->h) && f->h.desc_offset >= f->h.id_offset +
		    f->h.name_size, "id block misplaced");
	dsz = (sizeof(struct vmmu_stats_desc) + f->h.name_size) * f->h.num_desc;
	TEST_ASSERT(f->h.data_offset >= f->h.desc_offset + dsz, "descriptors overlap the data");
	TEST_ASSERT_EQ(rd(obj, f->id, sizeof(f->id), f->h.id_offset), (int64_t)sizeof(f->id));
	TEST_ASSERT(memchr(f->id, 0, sizeof(f->id)), "id not NUL-terminated");
	f->descs = malloc(dsz);
	TEST_ASSERT(f->descs, "malloc");
	TEST_ASSERT_EQ(rd(obj, f->descs, dsz, f->h.desc_offset), (int64_t)dsz);
	f->data_len = 0;
	for (uint32_t i = 0; i < f->h.num_desc; i++) {
		const struct vmmu_stats_desc *d = desc_at(f, i);
		uint32_t type = d->flags & VMMU_STATS_TYPE_MASK;
		size_t end = d->offset + d->size * sizeof(uint64_t);

		TEST_ASSERT(memchr(d->name, 0, f->h.name_size) && d->name[0], "bad name %u", i);
		TEST_ASSERT(type == VMMU_STATS_TYPE_CUMULATIVE || type == VMMU_STATS_TYPE_INSTANT ||
			    type == VMMU_STATS_TYPE_PEAK, "%s: kind %#x", d->name, type);
		TEST_ASSERT(d->size >= 1 && d->offset % 8 == 0, "%s: size/offset", d->name);
		TEST_ASSERT_EQ(d->bucket_size, 0);
		for (uint32_t j = 0; j < i; j++)
			TEST_ASSERT(strcmp(desc_at(f, j)->name, d->name), "%s twice", d->name);
		if (end > f->data_len)
			f->data_len = end;
	}
	f->data = malloc(f->data_len);
	TEST_ASSERT(f->data, "malloc");
	TEST_ASSERT_EQ(rd(obj, f->data, f->data_len, f->h.data_offset), (int64_t)f->data_len);
	/* at the end: nothing more */
	TEST_ASSERT_EQ(rd(obj, f->id, 8, f->h.data_offset + f->data_len), 0);
}

static void stats_file_free(struct stats_file *f)
{
	free(f->descs);
	free(f->data);
}

/* The value of counter @name, and its flags; fails the test if absent. */
static uint64_t stat_value(const struct stats_file *f, const char *name, uint32_t *flags)
{
	for (uint32_t i = 0; i < f->h.num_desc; i++) {
		const struct vmmu_stats_desc *d = desc_at(f, i);

		if (!strcmp(d->name, name)) {
			if (flags)
				*flags = d->flags;
			return f->data[d->offset / 8];
		}
	}
	TEST_ASSERT(0, "no counter %s", name);
	return 0;
}

int main(void)
{
	static const char *const kvm_names[] = {
		"pf_fixed", "pf_spurious", "pf_emulate", "pf_mmio_spte_created", "mmio_exits",
		"remote_tlb_flush", "remote_tlb_flush_requests",
	};
	struct vmmu_vm *vm = test_vm_create(NULL);
	struct stats_file f, g, c;
	struct vmmu_vcpu *vcpu;
	struct vmmu_exit ex;
	struct vmmu_stats st = { .size = sizeof(st) };
	uint8_t *mem = test_alloc_guest(0x10000);
	uint64_t val = 0;
	uint32_t flags;
	char want[64];
	int fd;

	TEST_SET_REGION_OK(vm, 0, 0, 0x100000, 0x10000, mem);
	TEST_ASSERT_EQ(vmmu_vcpu_create(vm, 3, &vcpu), 0);
	TEST_ASSERT_EQ(vmmu_vcpu_access(vcpu, 0x100000, &val, 8, 0, &ex), 0);
	TEST_ASSERT_EQ(vmmu_vcpu_access(vcpu, 0xfee00000, &val, 4, 0, &ex), VMMU_EXIT_MMIO);

	/* The VM's file, read with vmmu_vm_stats_read() */
	stats_file_read(&f, vm_read, vm);
	snprintf(want, sizeof(want), "vmmu-%d", (int)getpid());
	TEST_ASSERT(!strcmp(f.id, want), "id '%s'", f.id);
	for (size_t i = 0; i < sizeof(kvm_names) / sizeof(kvm_names[0]); i++)
		(void)stat_value(&f, kvm_names[i], NULL);
	TEST_ASSERT_EQ(stat_value(&f, "pf_fixed", &flags), 1);
	TEST_ASSERT_EQ(flags & VMMU_STATS_TYPE_MASK, VMMU_STATS_TYPE_CUMULATIVE);
	TEST_ASSERT_EQ(stat_value(&f, "mmio_exits", NULL), 1);
	TEST_ASSERT_EQ(stat_value(&f, "pf_mmio_spte_created", NULL), 1);
	TEST_ASSERT_EQ(stat_value(&f, "pf_emulate", NULL), 1);
	TEST_ASSERT_EQ(stat_value(&f, "memslot_updates", NULL), 1);
	TEST_ASSERT(stat_value(&f, "page_tables", &flags) > 0, "page_tables 0");
	TEST_ASSERT_EQ(flags & VMMU_STATS_TYPE_MASK, VMMU_STATS_TYPE_INSTANT);
	/* the same values as vmmu_vm_get_stats() */
	TEST_ASSERT_EQ(vmmu_vm_get_stats(vm, &st), 0);
	TEST_ASSERT_EQ(stat_value(&f, "tlb_fills", NULL), st.tlb_fills);
	TEST_ASSERT_EQ(stat_value(&f, "page_table_cap", NULL), st.page_table_cap);
	TEST_ASSERT_EQ(stat_value(&f, "remote_tlb_flush_requests", NULL),
		       st.remote_tlb_flush_requests);

	/* Live: the data block moves, the layout does not. */
	TEST_ASSERT_EQ(vmmu_vcpu_access(vcpu, 0xfee01000, &val, 4, 0, &ex), VMMU_EXIT_MMIO);
	stats_file_read(&g, vm_read, vm);
	TEST_ASSERT(!memcmp(&f.h, &g.h, sizeof(f.h)), "header changed");
	TEST_ASSERT_EQ(stat_value(&g, "mmio_exits", NULL), 2);
	stats_file_free(&g);

	/* The fd: a snapshot, read with pread() as KVM's */
	fd = vmmu_vm_stats_fd(vm);
	TEST_ASSERT(fd >= 0, "vmmu_vm_stats_fd: %d", fd);
	stats_file_read(&g, fd_read, &fd);
	TEST_ASSERT_EQ(stat_value(&g, "mmio_exits", NULL), 2);
	TEST_ASSERT(!memcmp(f.descs, g.descs, f.h.num_desc * (16 + f.h.name_size)),
		    "descriptors differ between the fd and the read call");
	close(fd);
	stats_file_free(&g);

	/* Reads at any offset and length give the same bytes as one whole read. */
	{
		size_t total = f.h.data_offset + f.data_len;
		uint8_t *whole = malloc(total), part[37];

		TEST_ASSERT_EQ(vmmu_vm_stats_read(vm, whole, total + 100, 0), (int64_t)total);
		for (size_t off = 0; off < total; off += 29) {
			int64_t n = vmmu_vm_stats_read(vm, part, sizeof(part), off);

			TEST_ASSERT_EQ(n, (int64_t)(total - off < sizeof(part) ? total - off
									: sizeof(part)));
			/* (the data block is live, compare the fixed part only) */
			if (off + (size_t)n <= f.h.data_offset)
				TEST_ASSERT(!memcmp(part, whole + off, (size_t)n), "offset %zu", off);
		}
		free(whole);
	}

	/* A vCPU's file */
	stats_file_read(&c, vcpu_read, vcpu);
	snprintf(want, sizeof(want), "vmmu-%d/vcpu-3", (int)getpid());
	TEST_ASSERT(!strcmp(c.id, want), "vCPU id '%s'", c.id);
	TEST_ASSERT_EQ(stat_value(&c, "pf_fixed", NULL), 1);
	TEST_ASSERT_EQ(stat_value(&c, "mmio_exits", NULL), 2);
	fd = vmmu_vcpu_stats_fd(vcpu);
	TEST_ASSERT(fd >= 0, "vmmu_vcpu_stats_fd: %d", fd);
	close(fd);
	stats_file_free(&c);

	/* Bad arguments */
	TEST_ASSERT_EQ(vmmu_vm_stats_read(NULL, &val, 8, 0), -EINVAL);
	TEST_ASSERT_EQ(vmmu_vm_stats_read(vm, NULL, 8, 0), -EINVAL);
	TEST_ASSERT_EQ(vmmu_vm_stats_read(vm, NULL, 0, 0), 0);
	TEST_ASSERT_EQ(vmmu_vcpu_stats_read(NULL, &val, 8, 0), -EINVAL);
	TEST_ASSERT_EQ(vmmu_vm_stats_fd(NULL), -EINVAL);
	TEST_ASSERT_EQ(vmmu_vcpu_stats_fd(NULL), -EINVAL);

	stats_file_free(&f);
	vmmu_vm_destroy(vm);
	printf("test_stats: ok\n");
	return 0;
}
