// SPDX-License-Identifier: MIT
/*
 * mini_vmm - a small VMM-style program on vmmu's public API (README.md,
 * "Example: a small VMM").
 *
 * Guest-physical map:
 *
 *	0x00000000  RAM      slot 0, 1 MiB     "low RAM"
 *	0x000c0000  (inside low RAM, nothing special)
 *	0x00100000  RAM      slot 1, 1 MiB     split into slots 1 and 2 and merged back
 *	0x10000000  ROM      slot 3, 64 KiB, READONLY, moved to 0x20000000 mid-run
 *	0xfee00000  MMIO     no slot: a tiny "DMA checksum" device served from exits
 *
 * The "guest" is a vCPU thread that issues loads and stores through
 * vmmu_vcpu_access(), as a CPU emulator would for each instruction; every
 * VMMU_EXIT_MMIO goes to the device model, exactly like KVM_EXIT_MMIO in a
 * KVM_RUN loop.  The device model hands the work to a device thread, which
 * has no vCPU and reads and writes guest RAM with vmmu_vm_read_guest() and
 * vmmu_vm_write_guest().
 *
 * Every step checks its outcome; any surprise prints a line and exits 1.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <vmmu.h>

#define MiB		(1ull << 20)
#define PAGE		VMMU_PAGE_SIZE
#define LOW_GPA		0x0ull
#define HIGH_GPA	0x100000ull
#define ROM_GPA		0x10000000ull
#define ROM_GPA_NEW	0x20000000ull
#define ROM_SIZE	0x10000ull
#define DEV_GPA		0xfee00000ull

/* Device registers (8 bytes each). */
#define DEV_ADDR	0x00	/* write: guest address of the buffer */
#define DEV_LEN		0x08	/* write: its length; starts the job */
#define DEV_STATUS	0x10	/* read: 0 busy, 1 done */
#define DEV_ID		0x18	/* read: the device's identity */
#define DEV_MAGIC	0x564d4d55444d4131ull	/* "VMMUDMA1" */
#define ROM_WORD	0x524f4d524f4d524full	/* what every qword of the ROM holds */

#define CHECK(cond, ...) do {							\
	if (!(cond)) {								\
		fprintf(stderr, "mini_vmm: %s:%d: unexpected: ", __FILE__, __LINE__);	\
		fprintf(stderr, __VA_ARGS__);					\
		fprintf(stderr, "\n");						\
		exit(1);							\
	}									\
} while (0)

static struct vmmu_vm *vm;
static uint8_t *low_ram, *high_ram, *rom;

/* ------------------------------------------------------------------------ */
/* The device: MMIO registers served from exits, work done by its thread     */
/* ------------------------------------------------------------------------ */

static struct {
	uint64_t addr, len;
	_Atomic uint64_t job;		/* jobs started */
	_Atomic uint64_t done;		/* jobs finished */
	atomic_bool stop;
} dev;

/*
 * The device thread: for each job, read the guest buffer, write its
 * checksum right after it.  It owns no vCPU.
 */
static void *device_thread(void *arg)
{
	uint64_t handled = 0;

	(void)arg;
	while (!atomic_load(&dev.stop)) {
		uint8_t buf[1024];
		uint64_t sum = 0;
		int r;

		if (atomic_load(&dev.job) == handled) {
			sched_yield();
			continue;
		}
		CHECK(dev.len <= sizeof(buf), "job length %" PRIu64, dev.len);
		r = vmmu_vm_read_guest(vm, 0, dev.addr, buf, dev.len);
		CHECK(r == 0, "device read of 0x%" PRIx64 ": %s", dev.addr, vmmu_strerror(r));
		for (uint64_t i = 0; i < dev.len; i++)
			sum = sum * 31 + buf[i];
		r = vmmu_vm_write_guest(vm, 0, dev.addr + dev.len, &sum, 8);
		CHECK(r == 0, "device write: %s", vmmu_strerror(r));
		handled++;
		atomic_store(&dev.done, handled);
	}
	return NULL;
}

/*
 * Complete one MMIO exit.  A write's bytes are in ex->mmio.data; for a
 * read, the device produces the value and the VMM stores it where the
 * guest's load wanted it (here: *val), as a VMM fills kvm_run->mmio.data.
 */
static void device_mmio(const struct vmmu_exit *ex, uint64_t *val)
{
	uint64_t off = ex->mmio.phys_addr - DEV_GPA, data;

	CHECK(ex->reason == VMMU_EXIT_MMIO && ex->mmio.len == 8, "exit %u len %u",
	      ex->reason, ex->mmio.len);
	if (ex->mmio.is_write) {
		memcpy(&data, ex->mmio.data, 8);
		if (off == DEV_ADDR) {
			dev.addr = data;
		} else if (off == DEV_LEN) {
			dev.len = data;
			atomic_fetch_add(&dev.job, 1);	/* doorbell */
		} else {
			CHECK(0, "write to device register 0x%" PRIx64, off);
		}
		return;
	}
	if (off == DEV_STATUS)
		*val = atomic_load(&dev.done) == atomic_load(&dev.job);
	else if (off == DEV_ID)
		*val = DEV_MAGIC;
	else
		CHECK(0, "read of device register 0x%" PRIx64, off);
}

/* ------------------------------------------------------------------------ */
/* The "CPU": loads and stores, MMIO exits completed by the device model     */
/* ------------------------------------------------------------------------ */

static struct vmmu_vcpu *vcpu;

/* One guest load; returns the value, whether RAM or the device produced it. */
static uint64_t guest_load(uint64_t gpa, bool *mmio)
{
	struct vmmu_exit ex;
	uint64_t val = 0;
	int r = vmmu_vcpu_access(vcpu, gpa, &val, 8, 0, &ex);

	CHECK(r == 0 || r == VMMU_EXIT_MMIO, "load 0x%" PRIx64 ": %s", gpa, vmmu_strerror(r));
	if (mmio)
		*mmio = r == VMMU_EXIT_MMIO;
	if (r == VMMU_EXIT_MMIO && gpa >= DEV_GPA && gpa < DEV_GPA + PAGE)
		device_mmio(&ex, &val);
	return val;
}

static void guest_store(uint64_t gpa, uint64_t val)
{
	struct vmmu_exit ex;
	int r = vmmu_vcpu_access(vcpu, gpa, &val, 8, VMMU_ACCESS_WRITE, &ex);

	CHECK(r == 0 || r == VMMU_EXIT_MMIO, "store 0x%" PRIx64 ": %s", gpa, vmmu_strerror(r));
	if (r == VMMU_EXIT_MMIO)
		device_mmio(&ex, NULL);
}

static void set_region(uint32_t slot, uint32_t flags, uint64_t gpa, uint64_t size, void *hva)
{
	struct vmmu_userspace_memory_region r = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa, .memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)hva,
	};
	int ret = vmmu_set_user_memory_region(vm, &r);

	CHECK(ret == 0, "slot %u: %s (%s)", slot, vmmu_strerror(ret), vmmu_last_error());
}

/* ------------------------------------------------------------------------ */
/* The scenes                                                                */
/* ------------------------------------------------------------------------ */

/* 1. The guest asks the device to checksum a buffer in RAM, then polls it. */
static void scene_dma(void)
{
	uint64_t expect = 0, got;

	CHECK(guest_load(DEV_GPA + DEV_ID, NULL) == DEV_MAGIC, "device id");
	for (uint64_t i = 0; i < 64; i++) {
		guest_store(LOW_GPA + 0x8000 + i * 8, i * 0x0101010101010101ull);
		for (int b = 0; b < 8; b++)
			expect = expect * 31 + (uint8_t)((i * 0x0101010101010101ull) >> (8 * b));
	}
	guest_store(DEV_GPA + DEV_ADDR, LOW_GPA + 0x8000);
	guest_store(DEV_GPA + DEV_LEN, 64 * 8);
	while (!guest_load(DEV_GPA + DEV_STATUS, NULL))
		sched_yield();
	got = guest_load(LOW_GPA + 0x8000 + 64 * 8, NULL);
	CHECK(got == expect, "checksum 0x%" PRIx64 ", expected 0x%" PRIx64, got, expect);
	printf("dma:        device thread checksummed 512 guest bytes: 0x%016" PRIx64 "\n", got);
}

/* A second vCPU that reads the ROM at its current place until told to stop. */
static struct {
	_Atomic uint64_t base;		/* where the reader looks */
	_Atomic uint64_t reads, mmio, stale;
	atomic_bool stop;
} rd;

static void *rom_reader(void *arg)
{
	struct vmmu_vcpu *v = arg;

	while (!atomic_load(&rd.stop)) {
		uint64_t base = atomic_load(&rd.base), val = 0;
		struct vmmu_exit ex;
		int r = vmmu_vcpu_access(v, base + 0x100, &val, 8, 0, &ex);

		if (r == VMMU_EXIT_MMIO)
			atomic_fetch_add(&rd.mmio, 1);
		else if (r != 0 || val != ROM_WORD)
			atomic_fetch_add(&rd.stale, 1);
		atomic_fetch_add(&rd.reads, 1);
		if (!(atomic_load(&rd.reads) % 32))
			sched_yield();
	}
	return NULL;
}

/* 2. The ROM slot moves while another vCPU reads it. */
static void scene_move(void)
{
	struct vmmu_userspace_memory_region found;
	struct vmmu_vcpu *v1;
	pthread_t t;
	bool mmio;
	uint64_t n;

	CHECK(vmmu_vcpu_create(vm, 1, &v1) == 0, "vcpu 1");
	atomic_store(&rd.base, ROM_GPA);
	CHECK(pthread_create(&t, NULL, rom_reader, v1) == 0, "thread");
	while (atomic_load(&rd.reads) < 1000)
		sched_yield();
	set_region(3, VMMU_MEM_READONLY, ROM_GPA_NEW, ROM_SIZE, rom);	/* MOVE */
	atomic_store(&rd.base, ROM_GPA_NEW);
	n = atomic_load(&rd.reads);
	while (atomic_load(&rd.reads) < n + 1000)
		sched_yield();
	atomic_store(&rd.stop, true);
	pthread_join(t, NULL);
	vmmu_vcpu_destroy(v1);
	/* Reads that raced the move may have exited; none may have read anything else. */
	CHECK(rd.stale == 0, "%" PRIu64 " ROM reads returned wrong data", (uint64_t)rd.stale);

	/* Now: the new place is ROM, the old one a hole (MMIO exit). */
	CHECK(guest_load(ROM_GPA_NEW + 0x100, &mmio) == ROM_WORD && !mmio, "new ROM");
	guest_load(ROM_GPA + 0x100, &mmio);
	CHECK(mmio, "the old ROM place still answers");
	CHECK(vmmu_vm_find_slot(vm, 0, ROM_GPA_NEW + 5, &found) == 0 && found.slot == 3 &&
	      found.flags == VMMU_MEM_READONLY, "find_slot after the move");
	/* A store to ROM exits to the VMM, as in KVM (the device model would drop it). */
	{
		struct vmmu_exit ex;
		uint64_t val = 1;

		CHECK(vmmu_vcpu_access(vcpu, ROM_GPA_NEW, &val, 8, VMMU_ACCESS_WRITE, &ex) ==
		      VMMU_EXIT_MMIO && ex.mmio.is_write, "store to ROM");
	}
	printf("move:       ROM moved under a reading vCPU (%" PRIu64 " reads, %" PRIu64
	       " exited while it moved, none stale)\n", (uint64_t)rd.reads, (uint64_t)rd.mmio);
}

/* 3. Dirty logging on low RAM: the guest and the device write; one harvest. */
static void scene_dirty(void)
{
	uint64_t bitmap[256 / 64] = { 0 }, expect[256 / 64] = { 0 };
	uint64_t v = 42;

	set_region(0, VMMU_MEM_LOG_DIRTY_PAGES, LOW_GPA, MiB, low_ram);	/* FLAGS_ONLY */
	CHECK(vmmu_get_dirty_log(vm, 0, bitmap) == 0, "first harvest");
	guest_store(LOW_GPA + 3 * PAGE, 1);
	guest_store(LOW_GPA + 77 * PAGE + 8, 2);
	CHECK(vmmu_vm_write_guest(vm, 0, LOW_GPA + 200 * PAGE - 4, &v, 8) == 0, "device write");
	expect[0] |= 1ull << 3;
	expect[1] |= 1ull << (77 - 64);
	expect[3] |= 1ull << (199 - 192) | 1ull << (200 - 192);
	CHECK(vmmu_get_dirty_log(vm, 0, bitmap) == 0, "harvest");
	CHECK(!memcmp(bitmap, expect, sizeof(bitmap)), "dirty pages %016" PRIx64 " %016" PRIx64
	      " %016" PRIx64 " %016" PRIx64, bitmap[0], bitmap[1], bitmap[2], bitmap[3]);
	CHECK(vmmu_get_dirty_log(vm, 0, bitmap) == 0 && !bitmap[0] && !bitmap[1] && !bitmap[2] &&
	      !bitmap[3], "second harvest not empty");
	printf("dirty:      harvest reported exactly pages 3, 77, 199, 200\n");
}

/* 4. Split high RAM into two slots over the same memory and merge back, atomically. */
static void *high_reader(void *arg)
{
	struct vmmu_vcpu *v = arg;
	uint64_t i = 0;

	while (!atomic_load(&rd.stop)) {
		uint64_t page = i++ % 256, val = 0;
		struct vmmu_exit ex;
		int r = vmmu_vcpu_access(v, HIGH_GPA + page * PAGE, &val, 8, 0, &ex);

		if (r == VMMU_EXIT_MMIO)
			atomic_fetch_add(&rd.mmio, 1);
		else if (r != 0 || val != page)
			atomic_fetch_add(&rd.stale, 1);
		atomic_fetch_add(&rd.reads, 1);
		if (!(i % 32))
			sched_yield();
	}
	return NULL;
}

static void scene_batch(void)
{
	const struct vmmu_userspace_memory_region split[] = {
		{ .slot = 1, .guest_phys_addr = HIGH_GPA, .memory_size = 0,
		  .userspace_addr = (uintptr_t)high_ram },
		{ .slot = 1, .guest_phys_addr = HIGH_GPA, .memory_size = MiB / 2,
		  .userspace_addr = (uintptr_t)high_ram },
		{ .slot = 2, .guest_phys_addr = HIGH_GPA + MiB / 2, .memory_size = MiB / 2,
		  .userspace_addr = (uintptr_t)(high_ram + MiB / 2) },
	};
	const struct vmmu_userspace_memory_region merge[] = {
		{ .slot = 2, .guest_phys_addr = HIGH_GPA + MiB / 2, .memory_size = 0,
		  .userspace_addr = (uintptr_t)(high_ram + MiB / 2) },
		{ .slot = 1, .guest_phys_addr = HIGH_GPA, .memory_size = 0,
		  .userspace_addr = (uintptr_t)high_ram },
		{ .slot = 1, .guest_phys_addr = HIGH_GPA, .memory_size = MiB,
		  .userspace_addr = (uintptr_t)high_ram },
	};
	const struct vmmu_userspace_memory_region bad[] = {
		split[0], split[1],
		{ .slot = 2, .guest_phys_addr = HIGH_GPA, .memory_size = MiB / 2,
		  .userspace_addr = (uintptr_t)high_ram },	/* overlaps the new slot 1 */
	};
	uint64_t gen0 = vmmu_memslots_generation(vm, 0), n;
	struct vmmu_vcpu *v2;
	uint32_t nr;
	pthread_t t;
	int r;

	for (uint64_t p = 0; p < 256; p++)
		memcpy(high_ram + p * PAGE, &p, 8);
	CHECK(vmmu_vcpu_create(vm, 2, &v2) == 0, "vcpu 2");
	memset(&rd, 0, sizeof(rd));
	CHECK(pthread_create(&t, NULL, high_reader, v2) == 0, "thread");
	for (int i = 0; i < 100; i++) {
		n = atomic_load(&rd.reads);
		while (atomic_load(&rd.reads) < n + 100)
			sched_yield();
		r = vmmu_set_user_memory_regions(vm, split, 3);
		CHECK(r == 0, "split: %s (%s)", vmmu_strerror(r), vmmu_last_error());
		CHECK(vmmu_vm_get_slots(vm, 0, NULL, 0, &nr) == -ENOSPC && nr == 4, "4 slots");
		r = vmmu_set_user_memory_regions(vm, merge, 3);
		CHECK(r == 0, "merge: %s (%s)", vmmu_strerror(r), vmmu_last_error());
	}
	atomic_store(&rd.stop, true);
	pthread_join(t, NULL);
	vmmu_vcpu_destroy(v2);
	CHECK(rd.mmio == 0 && rd.stale == 0, "%" PRIu64 " MMIO exits, %" PRIu64 " bad reads "
	      "during atomic split/merge", (uint64_t)rd.mmio, (uint64_t)rd.stale);
	/* One generation advance (nr_address_spaces = 2) per batch. */
	CHECK(vmmu_memslots_generation(vm, 0) == gen0 + 200 * 2, "generation");

	/* All or nothing: a failing entry changes nothing and is named. */
	r = vmmu_set_user_memory_regions(vm, bad, 3);
	CHECK(r == -EEXIST && !strncmp(vmmu_last_error(), "entry 2:", 8), "bad batch: %d '%s'",
	      r, vmmu_last_error());
	CHECK(vmmu_memslots_generation(vm, 0) == gen0 + 200 * 2, "generation after failure");
	CHECK(vmmu_vm_get_slots(vm, 0, NULL, 0, &nr) == -ENOSPC && nr == 3, "3 slots");
	printf("batch:      100 split/merge pairs under a reading vCPU (%" PRIu64 " reads, 0 MMIO "
	       "exits); a failing batch changed nothing: %s\n", (uint64_t)rd.reads,
	       vmmu_last_error());
}

static void *map_guest(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(p != MAP_FAILED, "mmap");
	return p;
}

int main(void)
{
	pthread_t dt;
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	r = vmmu_vm_create(NULL, &vm);
	CHECK(r == 0, "vm: %s", vmmu_strerror(r));
	low_ram = map_guest(MiB);
	high_ram = map_guest(MiB);
	rom = map_guest(ROM_SIZE);
	for (uint64_t i = 0; i < ROM_SIZE; i += 8)
		memcpy(rom + i, &(uint64_t){ ROM_WORD }, 8);

	set_region(0, 0, LOW_GPA, MiB, low_ram);
	set_region(1, 0, HIGH_GPA, MiB, high_ram);
	set_region(3, VMMU_MEM_READONLY, ROM_GPA, ROM_SIZE, rom);
	r = vmmu_vcpu_create(vm, 0, &vcpu);
	CHECK(r == 0, "vcpu: %s", vmmu_strerror(r));
	CHECK(pthread_create(&dt, NULL, device_thread, NULL) == 0, "device thread");

	scene_dma();
	scene_move();
	scene_dirty();
	scene_batch();

	atomic_store(&dev.stop, true);
	pthread_join(dt, NULL);
	{
		struct vmmu_stats st = { .size = sizeof(st) };

		CHECK(vmmu_vm_get_stats(vm, &st) == 0, "stats");
		printf("stats:      %" PRIu64 " MMIO exits, %" PRIu64 " memslot updates, %" PRIu64
		       " set swaps\n", st.mmio_exits, st.memslot_updates, st.memslot_swaps);
	}
	vmmu_vm_destroy(vm);
	printf("mini_vmm: all scenes behaved as expected\n");
	return 0;
}
