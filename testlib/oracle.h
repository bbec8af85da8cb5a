/* SPDX-License-Identifier: MIT */
/*
 * The access oracle: is every guest access's outcome explained by a state of
 * the memory map and of the host memory that existed at some instant while
 * the access ran?
 *
 * Time is a global clock of stamps (oracle_stamp(): one atomic increment, so
 * stamps are unique and totally ordered).  A writer records each new state
 * with the interval [t_lo, t_hi] in which it became visible: for a memslot
 * update, t_lo = a stamp taken before the call and t_hi = one taken after it
 * returned (the publication is somewhere in between).  A reader records each
 * access with a stamp before the call and one after.  Then:
 *
 *	state i of an address space may be in effect from its t_lo until the
 *	t_hi of state i + 1 (the latest instant it can have been replaced);
 *	an access [b, e] may have used state i iff t_lo(i) <= e and
 *	b <= t_hi(i + 1), and the same for the host page version it read; the
 *	access is explained iff some map state and host version it could use
 *	overlap each other inside [b, e] and give exactly its outcome.
 *
 * With exact stamps (t_lo = t_hi, as the deterministic checker records
 * them) this is exact linearizability; with the intervals of a free-running
 * workload it is conservative: it never reports an outcome that some
 * placement of the publications inside their intervals explains.
 *
 * A state that ended before an access began (b > t_hi(i + 1)) can never
 * explain it: that is the stale-translation / stale-MMIO-exit check.
 *
 * Threads: oracle_map_set/oracle_host_page/oracle_check lock an internal
 * mutex and may be called from any thread.  One struct oracle_log per
 * thread (oracle_log_access is not locked); oracle_verify after the logging
 * threads have stopped.  An access may only be checked once every state
 * whose t_lo is below its end stamp has been recorded (with one updater:
 * check after the updater's current operation has been recorded, or at the
 * end with oracle_verify).
 */
#ifndef VMMU_ORACLE_H
#define VMMU_ORACLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One memslot of a map state.  Slots being deleted or moved (INVALID) are
 * listed as present: until the update returns they may still be used. */
struct oracle_slot {
	uint64_t base_gfn;
	uint64_t npages;
	uint64_t hva;		/* userspace_addr */
	uint32_t flags;		/* VMMU_MEM_READONLY matters */
};

enum oracle_outcome {
	ORACLE_RAM_READ,	/* guest RAM read: data came from (hva, version) */
	ORACLE_RAM_WRITE,	/* guest RAM write: returned 0 */
	ORACLE_MMIO,		/* exited with VMMU_EXIT_MMIO */
	ORACLE_POISON,		/* read a freed/replaced host frame's poison */
	ORACLE_ERROR,		/* any other return value */
	ORACLE_FAULT,		/* -EFAULT: the slot's host page is not mapped
				 * (for a guest copy also: no slot, or a write
				 * to a READONLY slot) */
};

/* The host page version of a page that is not mapped (oracle_host_page). */
#define ORACLE_VERSION_UNMAPPED	UINT32_MAX

/**
 * struct oracle_access - one completed vmmu_vcpu_access
 * @t_begin: oracle_stamp() taken before the call.
 * @t_end: oracle_stamp() taken after it returned.
 * @gpa: the guest physical address.
 * @hva: ORACLE_RAM_READ: the host address the data came from, as decoded by
 *	the caller from its tagged backing memory (page granularity is enough).
 * @version: ORACLE_RAM_READ: the host page version the data came from (0 if
 *	the host never replaces pages).
 * @ret: the raw return value, for messages.
 */
struct oracle_access {
	uint64_t t_begin, t_end;
	uint64_t gpa;
	uint64_t hva;
	uint32_t version;
	uint32_t as_id;
	int ret;
	uint8_t outcome;	/* enum oracle_outcome */
	uint8_t write;
	uint16_t thread;	/* caller's thread number, for reports */
	uint8_t copy;		/* vmmu_vcpu_read_guest/write_guest, not an access */
};

struct oracle;
struct oracle_log;

/* Create an oracle for @nr_as address spaces, all maps empty at stamp 0. */
struct oracle *oracle_create(uint32_t nr_as);
void oracle_destroy(struct oracle *o);
/* Forget every state and log entry; the clock restarts at 1. */
void oracle_reset(struct oracle *o);

/* The next stamp (unique, increasing).  Lock-free. */
uint64_t oracle_stamp(struct oracle *o);

/*
 * oracle_map_set() - the map of @as_id became @slots (@n entries, any order)
 * at some instant in [@t_lo, @t_hi].  Calls for one address space must come
 * in the order of the updates.  Return 0 or -ENOMEM / -EINVAL.
 */
int oracle_map_set(struct oracle *o, uint32_t as_id, uint64_t t_lo, uint64_t t_hi,
		   const struct oracle_slot *slots, size_t n);

/*
 * oracle_host_page() - the host page at @hva (any byte of it) took @version
 * at some instant in [@t_lo, @t_hi]; version 0 is in effect from stamp 0.
 * ORACLE_VERSION_UNMAPPED: the page went away (munmap); a RAM outcome needs
 * the page mapped, and ORACLE_FAULT needs it unmapped, at an instant in
 * common with a map state that gives the gpa a slot.
 * Return 0 or -ENOMEM.
 */
int oracle_host_page(struct oracle *o, uint64_t hva, uint32_t version, uint64_t t_lo,
		     uint64_t t_hi);

/*
 * oracle_check() - is @a explained?  On false, a one-line reason is written
 * to @why (if not NULL).
 */
bool oracle_check(struct oracle *o, const struct oracle_access *a, char *why, size_t len);

/* Per-thread access logs, checked afterwards by oracle_verify(). */
struct oracle_log *oracle_log_create(struct oracle *o);
int oracle_log_access(struct oracle_log *log, const struct oracle_access *a);

typedef void (*oracle_report_fn)(void *arg, const struct oracle_access *a, const char *why);

/*
 * oracle_verify() - check every logged access; call @report (if not NULL)
 * for at most @max_reports of the unexplained ones.
 * Return: the number of unexplained accesses.
 */
uint64_t oracle_verify(struct oracle *o, oracle_report_fn report, void *arg,
		       uint64_t max_reports);

/* Human-readable outcome name. */
const char *oracle_outcome_name(enum oracle_outcome oc);

struct vmmu_exit;

/*
 * oracle_check_exit() - does the exit that vmmu_vcpu_access() filled in
 * @ex describe the access @a of @len bytes?  Stateless: ORACLE_MMIO needs
 * a VMMU_EXIT_MMIO exit with the access's gpa, length and direction;
 * ORACLE_FAULT (of an access, not a copy) a VMMU_EXIT_MEMORY_FAULT exit
 * naming the access's page, one page long, flags 0; a return of
 * VMMU_EXIT_DIRTY_RING_FULL that reason.  Other outcomes carry no exit.
 * On false, a one-line reason is written to @why (if not NULL).
 */
bool oracle_check_exit(const struct oracle_access *a, uint32_t len, const struct vmmu_exit *ex,
		       char *why, size_t n);

#endif /* VMMU_ORACLE_H */
