/* SPDX-License-Identifier: MIT */
/*
 * Host memory backends: how the fault path turns a host virtual address
 * (a slot's userspace_addr + offset) into the host page that backs it.
 *
 * direct (the default): guest RAM is the caller's own memory; the host page
 *	of hva is hva itself.  Faulting in checks that the page is mapped
 *	readable, and whether writable (PROCMAP_QUERY; mincore where the
 *	kernel lacks it), so a slot over unmapped, PROT_NONE or (for a write)
 *	read-only memory gives -EFAULT instead of a crash.
 *
 * The pfn a backend returns is always "host address of the page >> 12", so
 * an SPTE's pfn can be turned back into a pointer without the backend.
 */
#ifndef VMMU_HOSTMEM_H
#define VMMU_HOSTMEM_H

#include "compiler.h"

struct vmmu_vm;

/*
 * The neighbours of a faulting page that the fault may map too (prefetch,
 * kvm_tdp_page_fault()): the backend reports which of @n pages from @start
 * are there now, without making any of them present (no page is allocated,
 * swapped in or copied for them), as a lookup that never faults.
 */
#define HOSTMEM_AROUND_MAX	64u
struct hostmem_around {
	hva_t start;		/* in: the first page's hva (page aligned) */
	unsigned int n;		/* in: pages, at most HOSTMEM_AROUND_MAX */
	uint64_t present;	/* out: bit i: page i is there; pfn[i] is its frame */
	uint64_t writable;	/* out: bit i: and its host mapping is writable */
	pfn_t pfn[HOSTMEM_AROUND_MAX];
};

/**
 * struct hostmem_ops - a host memory backend
 * @faultin: resolve @hva for an access (@write: for writing), making the
 *	page present.  Sets *@pfn and *@host_writable.  Return 0 or -EFAULT.
 *	If @around is not NULL, also fill it in (struct hostmem_around) when
 *	that is cheap; on failure, or when it is not, its @present stays 0.
 * @rw: copy between @buf and [@hva, @hva + @len) (within one page) for
 *	kvm_vcpu_read_guest/write_guest.  Return 0 or -EFAULT.
 * @rw_under_mmu_lock: @rw cannot survive the memory going away under it
 *	(direct: a plain copy, where the kernel's copy_from_user would fault
 *	cleanly), so the caller holds mmu_lock for read around it; an
 *	invalidate_range_start() of that memory then waits for the copy.  A
 *	backend with its own lock around host page-table changes (the
 *	simulated host MM, which calls the notifiers holding it) says false:
 *	mmu_lock nests inside its lock, never the other way.
 */
struct hostmem_ops {
	const char *name;
	bool rw_under_mmu_lock;
	int (*faultin)(struct vmmu_vm *vm, hva_t hva, bool write, pfn_t *pfn,
		       bool *host_writable, struct hostmem_around *around);
	int (*rw)(struct vmmu_vm *vm, hva_t hva, void *buf, size_t len, bool write);
};

extern const struct hostmem_ops hostmem_direct_ops;

/*
 * The direct backend asks the kernel for the protection of the host
 * mappings behind a fault (PROCMAP_QUERY on /proc/self/maps, Linux 6.11):
 * open the file for a new VM, or return -1 where the query is not there
 * (then every mapped page is taken as readable and writable).
 */
int hostmem_direct_open(void);
void hostmem_direct_close(int fd);

/*
 * The direct backend's "region is mapped" cache: start() and end() of a
 * bracket (no entry is filled between them, none filled before end() is
 * trusted after it), and a change with no bracket (memslot CREATE/MOVE).
 * An @untracked bracket (no free bracket slot) counts VM-wide whatever its
 * range: the end() taken as its partner may name another range, and must
 * undo what its start() did.  Context: mn_invalidate_lock.
 */
void hostmem_invalidate_begin(struct vmmu_vm *vm, hva_t start, hva_t end, bool untracked);
void hostmem_invalidate_end(struct vmmu_vm *vm, hva_t start, hva_t end, bool untracked);
void hostmem_invalidate(struct vmmu_vm *vm);

/* Guest-memory copies are relaxed atomics of the access size: guest RAM is
 * shared with the host and other vCPUs, as on real hardware. */
void guest_memcpy_from(void *dst, const uint8_t *src, size_t len);
void guest_memcpy_to(uint8_t *dst, const void *src, size_t len);

#endif /* VMMU_HOSTMEM_H */
