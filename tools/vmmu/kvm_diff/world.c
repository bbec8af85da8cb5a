// SPDX-License-Identifier: MIT
/*
 * vmmu kvm-diff: Worlds: a KVM VM and a vmmu VM side by side with their own copies of
 * the backing memory; and the environment, probed once.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "kvm_diff.h"

double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Initial content of backing page @page: every 8 bytes name their place. */
static void fill_page(uint8_t *p, uint64_t page)
{
	for (uint64_t i = 0; i < PG; i += 8) {
		uint64_t v = 0x5041474500000000ull | page << 16 | i;	/* "PAGE" */

		memcpy(p + i, &v, 8);
	}
}


/* ------------------------------------------------------------------------ */
/* Worlds                                                                    */
/* ------------------------------------------------------------------------ */

static uint8_t *alloc_backing(uint8_t **res)
{
	uint8_t *p = mmap(NULL, BACKING_SIZE + 2 * GUARD_SIZE, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	*res = p;
	p += GUARD_SIZE;
	if (mmap(p, BACKING_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		 -1, 0) == MAP_FAILED)
		return NULL;
	for (uint64_t i = 0; i < BACKING_PAGES; i++)
		fill_page(p + i * PG, i);
	return p;
}

void world_destroy(struct world *w)
{
	if (w->vcpu)
		vmmu_vcpu_destroy(w->vcpu);
	if (w->vm)
		vmmu_vm_destroy(w->vm);
	kvm_guest_close(&w->g);
	if (w->kres)
		munmap(w->kres, BACKING_SIZE + 2 * GUARD_SIZE);
	if (w->vres)
		munmap(w->vres, BACKING_SIZE + 2 * GUARD_SIZE);
	if (w->vharness)
		munmap(w->vharness, KVM_GUEST_SLOT_SIZE);
	free(w);
}

uint32_t stream_ring_bytes(uint64_t seed)
{
	uint64_t s = seed ^ 0x72696e67ull;	/* its own draw, not the stream's */

	if (!kd_env.ring_max_bytes || !kd_opt.dirty_ring)
		return 0;
	if (kd_opt.dirty_ring == 1 && !(rng_next(&s) & 1))
		return 0;
	/* Mostly the smallest ring KVM takes, so streams reach its soft limit. */
	return rng_below(&s, 4) ? kd_env.ring_min_bytes : 65536;
}

struct world *world_create(uint64_t seed)
{
	struct kvm_guest_opts gopts = {
		.gpa = HARNESS_GPA, .slot = HARNESS_SLOT, .dirty_ring_bytes = stream_ring_bytes(seed),
	};
	struct vmmu_vm_config cfg = {
		.nr_address_spaces = kd_env.nr_as,
		.max_user_slots = kd_env.max_user_slots,
		.max_gpa_bits = kd_env.gpa_bits,
		.mmio_gen_bits = kd_opt.mmio_gen_bits,
		/* KVM's default quirk on odd streams, vmmu's default on even ones:
		 * neither may change what is visible. */
		.flags = (seed & 1) ? VMMU_VM_QUIRK_SLOT_ZAP_ALL : 0,
	};
	struct vmmu_userspace_memory_region hr;
	struct world *w = calloc(1, sizeof(*w));
	int r;

	if (!w)
		return NULL;
	w->g.kvm_fd = w->g.vm_fd = w->g.vcpu_fd = -1;
	r = kvm_guest_open(&w->g, &gopts);
	if (r) {
		fprintf(stderr, "kvm-diff: kvm_guest_open: %s\n", strerror(-r));
		goto fail;
	}
	r = vmmu_vm_create(&cfg, &w->vm);
	w->ring_bytes = w->m.ring_bytes = gopts.dirty_ring_bytes;
	if (!r && w->ring_bytes)
		r = vmmu_vm_enable_dirty_ring(w->vm, w->ring_bytes);
	if (!r)
		r = vmmu_vcpu_create(w->vm, 0, &w->vcpu);
	if (!r && w->ring_bytes) {
		w->kring = w->g.dirty_ring;
		r = vmmu_vcpu_get_dirty_ring(w->vcpu, &w->vring, NULL);
		if (kd_counting)
			kd_st.ring_streams++;
	}
	if (r) {
		fprintf(stderr, "kvm-diff: vmmu VM: %s\n", vmmu_strerror(r));
		goto fail;
	}
	w->vharness = mmap(NULL, KVM_GUEST_SLOT_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w->vharness == MAP_FAILED) {
		w->vharness = NULL;
		goto fail;
	}
	hr = (struct vmmu_userspace_memory_region){
		.slot = HARNESS_SLOT, .guest_phys_addr = HARNESS_GPA,
		.memory_size = KVM_GUEST_SLOT_SIZE,
		.userspace_addr = (uint64_t)(uintptr_t)w->vharness,
	};
	r = vmmu_set_user_memory_region(w->vm, &hr);
	if (r) {
		fprintf(stderr, "kvm-diff: vmmu harness slot: %s\n", vmmu_strerror(r));
		goto fail;
	}
	w->kmem = alloc_backing(&w->kres);
	w->vmem = alloc_backing(&w->vres);
	if (!w->kmem || !w->vmem)
		goto fail;
	for (uint64_t i = 0; i < BACKING_PAGES; i++)
		w->m.mapped[i] = true;
	return w;
fail:
	world_destroy(w);
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* Environment                                                               */
/* ------------------------------------------------------------------------ */

/* The widest gpa KVM accepts for a slot (last gfn below 2^(bits-12)). */
static uint32_t probe_gpa_bits(int vm, void *mem)
{
	uint32_t bits, best = 0;

	for (bits = 32; bits <= 63; bits++) {
		struct kvm_userspace_memory_region r = {
			.slot = 1, .guest_phys_addr = (1ull << bits) - PG, .memory_size = PG,
			.userspace_addr = (uint64_t)(uintptr_t)mem,
		};

		if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r) < 0)
			break;
		best = bits;
		r.memory_size = 0;
		if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r) < 0)
			break;
	}
	return best;
}

/* A quick check that the guest runs and each access length behaves. */
static int self_test(void)
{
	struct kvm_guest g;
	struct kvm_guest_result res;
	int r = kvm_guest_open(&g, NULL);

	if (r)
		return r;
	for (uint32_t len = 1; len <= 8; len *= 2) {
		struct kvm_guest_cmd rd = { .len = len, .gpa = 0x1000 + 8 };	/* mailbox: RAM */
		struct kvm_guest_cmd mm = { .len = len, .gpa = 0x80000000u };	/* MMIO */
		uint64_t want;

		if (kvm_guest_access(&g, &rd, &res) || res.nr_mmio)
			goto bad;
		if (kvm_guest_access(&g, &mm, &res) || res.nr_mmio != 1 || res.mmio[0].len != len)
			goto bad;
		want = kvm_guest_mmio_value(0x80000000u);
		if (len < 8)
			want &= (1ull << (len * 8)) - 1;
		if (res.value != want)
			goto bad;
		continue;
bad:
		if (len == 8) {
			kd_env.have_len8 = false;
			break;
		}
		kvm_guest_close(&g);
		return -EIO;
	}
	kvm_guest_close(&g);
	return 0;
}

/*
 * The dirty ring: its largest size (KVM_CAP_DIRTY_LOG_RING), and the
 * smallest that KVM_ENABLE_CAP takes, found on throwaway VMs (the bound
 * grows with the reserved entries, which include PML's buffer where the
 * CPU has one).  vmmu reserves KVM's generic 64 entries, so a ring is
 * diffed only when KVM's smallest is one page (its soft limit then is
 * vmmu's too; docs/KVM-DIFFERENCES.md).
 */
static void probe_dirty_ring(int kvm, int vm)
{
	int max = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_DIRTY_LOG_RING);

	kd_env.ring_max_bytes = 0;
	if (max <= 0 || ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_DIRTY_LOG_RING_ACQ_REL) <= 0)
		return;
	for (uint32_t bytes = 4096; bytes <= 65536; bytes *= 2) {
		struct kvm_enable_cap cap = { .cap = KVM_CAP_DIRTY_LOG_RING_ACQ_REL,
					      .args = { bytes } };
		int v = ioctl(kvm, KVM_CREATE_VM, 0), r;

		if (v < 0)
			return;
		r = ioctl(v, KVM_ENABLE_CAP, &cap);
		close(v);
		if (!r) {
			kd_env.ring_min_bytes = bytes;
			break;
		}
	}
	if (kd_env.ring_min_bytes == 4096 && (uint32_t)max == VMMU_DIRTY_RING_MAX_BYTES)
		kd_env.ring_max_bytes = (uint32_t)max;
	else
		printf("note: the dirty ring is not diffed: KVM's bounds are %u..%d bytes, vmmu's "
		       "4096..%u\n", kd_env.ring_min_bytes, max, VMMU_DIRTY_RING_MAX_BYTES);
}

int probe_env(void)
{
	void *mem;
	int kvm, vm, r;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		printf("SKIP: cannot open /dev/kvm: %s\n", strerror(errno));
		return CMD_SKIP;
	}
	if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		printf("SKIP: unexpected KVM API version\n");
		close(kvm);
		return CMD_SKIP;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		printf("SKIP: KVM_CREATE_VM: %s\n", strerror(errno));
		close(kvm);
		return CMD_SKIP;
	}
	r = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
	kd_env.max_user_slots = r > 0 ? (uint32_t)r : 0;
	r = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_MULTI_ADDRESS_SPACE);
	kd_env.nr_as = r > 1 ? (uint32_t)r : 1;
	kd_env.have_ro = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) > 0;
	kd_env.have_manual = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) > 0;
	kd_env.phys_bits = kvm_host_phys_bits();
	kd_env.have_region2 = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY2) > 0;
	kd_env.have_memory_fault = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_MEMORY_FAULT_INFO) > 0;
	probe_dirty_ring(kvm, vm);
	mem = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	kd_env.gpa_bits = mem == MAP_FAILED ? 0 : probe_gpa_bits(vm, mem);
	if (mem != MAP_FAILED)
		munmap(mem, PG);
	close(vm);
	close(kvm);

	if (kd_env.max_user_slots < SMALL_IDS + 2 || kd_env.max_user_slots > VMMU_MEM_SLOTS_NUM ||
	    kd_env.nr_as > VMMU_MAX_ADDRESS_SPACES ||
	    kd_env.gpa_bits < 32 || kd_env.gpa_bits > 52 || !kd_env.have_manual) {
		printf("SKIP: KVM's limits are outside what vmmu models (slots %u, address spaces %u, "
		       "gpa bits %u, manual dirty-log protect %d)\n", kd_env.max_user_slots,
		       kd_env.nr_as, kd_env.gpa_bits, kd_env.have_manual);
		return CMD_SKIP;
	}
	kd_env.memfd = memfd_create("kvm-diff", MFD_CLOEXEC);
	if (kd_env.memfd < 0 || ftruncate(kd_env.memfd, (off_t)(MEMFD_PAGES * PG))) {
		fprintf(stderr, "kvm-diff: memfd: %s\n", strerror(errno));
		return CMD_FAIL;
	}
	for (uint64_t i = 0; i < MEMFD_PAGES; i++) {
		uint8_t page[PG];

		fill_page(page, 0x1000 + i);
		if (pwrite(kd_env.memfd, page, PG, (off_t)(i * PG)) != (ssize_t)PG)
			return CMD_FAIL;
	}
	kd_env.have_len8 = true;
	r = self_test();
	if (r) {
		printf("SKIP: KVM cannot run the tiny guest (%s)\n", strerror(-r));
		return CMD_SKIP;
	}
	return CMD_OK;
}
