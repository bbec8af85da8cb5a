/* SPDX-License-Identifier: MIT */
/*
 * vmmu shadow: what the preload library (shadow/preload.c), `vmmu shadow`
 * (cmd_shadow.c) and `vmmu replay` (cmd_replay.c) share: the environment
 * that passes the options to the library, the counters the library keeps in
 * memory shared with `vmmu shadow`, and the bitmap notation of the trace
 * format (docs/SHADOW.md).
 */
#ifndef VMMU_SHADOW_H
#define VMMU_SHADOW_H

#include <fcntl.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Environment read by the preload library. */
#define SHADOW_ENV_FD		"VMMU_SHADOW_FD"	/* fd of the shared counters */
#define SHADOW_ENV_RECORD	"VMMU_SHADOW_RECORD"	/* trace file (appended to) */
#define SHADOW_ENV_EXACT	"VMMU_SHADOW_EXACT"	/* "1": --exact-dirty */
#define SHADOW_ENV_NR_AS	"VMMU_SHADOW_NR_AS"	/* test only: force address spaces */
#define SHADOW_ENV_LIB		"VMMU_SHADOW_LIB"	/* `vmmu shadow`: preload library path */
/*
 * The process to shadow: a process that loads the library with another pid
 * (a program the VMM started: it inherits LD_PRELOAD) passes every call
 * through.  Set by `vmmu shadow` to COMMAND's pid, or by the library itself
 * when it is preloaded without `vmmu shadow`.
 */
#define SHADOW_ENV_PID		"VMMU_SHADOW_PID"

#define SHADOW_TRACE_MAGIC	"# vmmu shadow trace 1"

/*
 * The counters, in a MAP_SHARED memfd page that `vmmu shadow` creates and
 * the library updates (relaxed atomics: they are read once COMMAND is gone,
 * after waitpid(), which orders them).  The memfd is exactly this size and
 * sealed against shrinking and growing (SHADOW_COUNTERS_SEALS): the library
 * maps nothing else, so a file that took the fd's number cannot fault it.
 */
#define SHADOW_COUNTERS_SEALS	(F_SEAL_SHRINK | F_SEAL_GROW)
struct shadow_counters {
	uint32_t magic;
#define SHADOW_COUNTERS_MAGIC	0x53484457u	/* "SHDW" */
	uint32_t pad;
	_Atomic uint64_t vms;			/* KVM VMs shadowed */
	_Atomic uint64_t vcpus;			/* KVM_CREATE_VCPU mirrored */
	_Atomic uint64_t memslot_calls;		/* SET_USER_MEMORY_REGION(2) mirrored */
	_Atomic uint64_t memslot_fail;		/* ... of which KVM refused */
	_Atomic uint64_t dirty_log_calls;	/* ENABLE_CAP(manual) + GET + CLEAR */
	_Atomic uint64_t get_calls;
	_Atomic uint64_t clear_calls;
	_Atomic uint64_t exact_gets;		/* GETs compared for equality */
	_Atomic uint64_t mmio_exits;		/* KVM_EXIT_MMIO seen */
	_Atomic uint64_t mmio_checked;		/* ... and checked against vmmu */
	_Atomic uint64_t mmio_skipped;		/* ... not checked: the map changed meanwhile */
	_Atomic uint64_t cap_checks;		/* KVM_CHECK_EXTENSION compared */
	_Atomic uint64_t inval_madvise;		/* host-memory changes over live slots */
	_Atomic uint64_t inval_munmap;
	_Atomic uint64_t inval_mmap;
	_Atomic uint64_t mismatches;
	_Atomic uint64_t unshadowed;		/* VMs vmmu could not shadow */
	_Atomic uint64_t shadow_ns;		/* time in the shadow's own work (not the
						 * kernel's calls, not waiting for the lock) */
	_Atomic uint64_t not_mirrored;		/* calls whose argument could not be read
						 * (KVM: -EFAULT): neither mirrored nor compared */
};

/**
 * shadow_bits_format() - write a bitmap in the trace's range notation
 * @bm: bitmap, bit i of word i / 64 for page i.
 * @npages: pages it covers.
 * @buf: output; @size bytes, NUL-terminated.
 *
 * The notation lists the set pages as comma-separated ranges "a-b" or
 * single pages "a" (decimal, ascending), or "-" when none is set.
 *
 * Return: the length written, or -ENOSPC if @buf is too small (then @buf
 * holds a truncated, unusable string).
 */
int shadow_bits_format(const uint64_t *bm, uint64_t npages, char *buf, size_t size);

/**
 * shadow_bits_parse() - read the notation of shadow_bits_format()
 * @s: the text (up to the first blank or end of string).
 * @bm: output bitmap, zeroed first, of ceil(@npages / 64) words; or NULL
 *	to check @s only (no memory of @npages' size is touched).
 * @npages: pages it covers; a page at or past it is an error.
 *
 * Return: 0, or -EINVAL for bad syntax or a page out of range.
 */
int shadow_bits_parse(const char *s, uint64_t *bm, uint64_t npages);

/** shadow_bitmap_words() - 64-bit words of a bitmap of @npages pages. */
static inline uint64_t shadow_bitmap_words(uint64_t npages)
{
	return (npages + 63) / 64;
}

#endif /* VMMU_SHADOW_H */
