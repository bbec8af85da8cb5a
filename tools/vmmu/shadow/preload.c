// SPDX-License-Identifier: MIT
/*
 * libvmmu-shadow.so: the LD_PRELOAD library behind `vmmu shadow`.
 *
 * It wraps glibc's ioctl(), mmap(), munmap() and madvise().  Every call goes
 * to the kernel first, unchanged, and its result is what the program gets;
 * the library then mirrors the KVM calls into one vmmu VM per KVM VM and
 * compares (docs/SHADOW.md):
 *
 *	KVM_CREATE_VM		a vmmu VM configured from the new VM fd's own
 *				capabilities (slots, address spaces, gpa width);
 *				NR_MEMSLOTS and MULTI_ADDRESS_SPACE as the VM fd
 *				(and /dev/kvm, if the program asked it) reports
 *				them against vmmu_vm_get_config() of that VM
 *	KVM_CHECK_EXTENSION	on a VM fd: the same two, likewise
 *	KVM_SET_USER_MEMORY_REGION(2)	return values
 *	KVM_ENABLE_CAP(MANUAL_DIRTY_LOG_PROTECT2)	return values
 *	KVM_GET_DIRTY_LOG	return values; vmmu's bits are a subset of KVM's
 *				(equal while no vCPU has run since logging began,
 *				with --exact-dirty)
 *	KVM_CLEAR_DIRTY_LOG	return values
 *	KVM_CREATE_VCPU		return values
 *	KVM_RUN			a KVM_EXIT_MMIO is an MMIO exit in vmmu too, at
 *				the same gpa, length and direction
 *	munmap, madvise(DONTNEED(_LOCKED)/REMOVE/FREE), mmap(MAP_FIXED)
 *				over a slot's host memory: bracketed with
 *				vmmu's MMU notifiers
 *
 * Locking: shadow_lock serializes every mirrored call with its KVM twin, so
 * that both see the calls in the same order and the trace records that
 * order.  It is never held across KVM_RUN.  A thread inside vmmu (which may
 * itself call mmap/munmap/madvise), or inside the kernel's call of a
 * mirrored ioctl, has shadow_inside set and passes straight through, so the
 * wrappers never recurse into the lock.
 *
 * The program's memory is read no further than KVM read it (copy_arg(),
 * the GET and CLEAR functions).  Only the process in $VMMU_SHADOW_PID is
 * shadowed, and a child it forks once it has a VM passes every call
 * through.
 *
 * The library never changes what the program sees: return values and errno
 * are the kernel's.  When it cannot shadow (vmmu_vm_create fails, a table is
 * full), it says so once and stops mirroring that VM.
 */
/* both mmap and mmap64 are defined below: no redirection of one to the other */
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "vmmu.h"
#include "kvm_uapi.h"
#include "shadow.h"

#define SHADOW_MAX_VMS		16
#define SHADOW_MAX_VCPUS	1024
#define SHADOW_PAGE		4096ull

#ifndef MADV_FREE
#define MADV_FREE 8
#endif
#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED 24	/* Linux 5.18 */
#endif

struct shadow_slot {
	uint32_t id;		/* as_id << 16 | slot */
	uint32_t flags;
	uint64_t gpa, size, hva;
	/* --exact-dirty: the VM's run epoch when logging began, and whether no vCPU ran then */
	uint64_t log_epoch;
	bool log_quiet;
};

struct shadow_vm {
	int fd;
	int idx;			/* number in the trace */
	struct vmmu_vm *vm;
	struct vmmu_vm_config cfg;
	struct shadow_slot *slots;
	size_t nr_slots, cap_slots;
	_Atomic uint64_t map_seq;	/* memslot updates, bumped under shadow_lock */
	_Atomic uint64_t run_epoch;	/* KVM_RUN entries */
	_Atomic int nr_in_run;		/* vCPUs inside KVM_RUN */
	bool have_region2;		/* KVM_CAP_USER_MEMORY2: else REGION2 is not mirrored */
};

struct shadow_vcpu {
	int fd;
	uint32_t id;
	struct shadow_vm *svm;
	struct vmmu_vcpu *vcpu;
	const struct kvm_run *run;	/* our own read-only mapping of kvm_run */
};

static pthread_mutex_t shadow_lock = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local int shadow_inside;
/*
 * Every call passes through: set in a child forked once a VM existed, and
 * in a process other than the one to shadow ($VMMU_SHADOW_PID).
 */
static bool shadow_off;

/*
 * The kernel's calls without glibc: what a wrapper uses while the library
 * initializes, and in place of a function dlsym() did not find.
 */
static int raw_ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	return (int)syscall(SYS_ioctl, fd, request, arg);
}

static void *raw_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

static int raw_munmap(void *addr, size_t len)
{
	return (int)syscall(SYS_munmap, addr, len);
}

static int raw_madvise(void *addr, size_t len, int advice)
{
	return (int)syscall(SYS_madvise, addr, len, advice);
}

/* The next definitions after ours (glibc's), once initialized. */
static int (*real_ioctl)(int, unsigned long, ...) = raw_ioctl;
static void *(*real_mmap)(void *, size_t, int, int, int, off_t) = raw_mmap;
static int (*real_munmap)(void *, size_t) = raw_munmap;
static int (*real_madvise)(void *, size_t, int) = raw_madvise;

/*
 * Initialization runs once, from the constructor below (or from the first
 * wrapped call, should another library's constructor make one before ours
 * ran).  It may come back into the wrappers itself (a getenv() or dlsym()
 * interposed by another preloaded library may map memory): such calls,
 * and any other thread's while it runs, go to the kernel as raw system
 * calls.  No lock or pthread_once is involved, so nothing waits for itself.
 */
enum { INIT_NONE, INIT_RUNNING, INIT_DONE };
static _Atomic int init_state = INIT_NONE;

static struct shadow_counters local_counters;
static struct shadow_counters *ctr = &local_counters;
static bool shared_counters;
static bool opt_exact;
static uint32_t opt_nr_as;
static FILE *trace;		/* under shadow_lock */
static bool trace_failed;

/* Under shadow_lock. */
static struct shadow_vm vms[SHADOW_MAX_VMS];
static int nr_vms;
/*
 * vCPUs are only ever appended: an entry is written under shadow_lock and
 * then published by the release store of nr_vcpus, which pairs with the
 * acquire load in find_vcpu(), so KVM_RUN finds its vCPU without the lock.
 */
static struct shadow_vcpu vcpus[SHADOW_MAX_VCPUS];
static _Atomic int nr_vcpus;
/*
 * The hull of every host range a slot has ever covered (only widened, under
 * shadow_lock): munmap/madvise/mmap outside it skip the lock.  A range
 * inside it is then checked against the live slots under the lock.
 */
static _Atomic uint64_t hull_start = UINT64_MAX, hull_end;
/*
 * What the program was told about the limits on a /dev/kvm fd before it
 * created its VM (-1: not asked); compared with the vmmu VM's configuration
 * when the VM is created, as is what the new VM fd reports.
 */
static long told_nr_memslots = -1, told_nr_as = -1;

/*
 * fork(): the child must not inherit shadow_lock held by another thread.
 * Once a VM exists, the VMs stay the parent's and the child passes every
 * call through (QEMU forks to exec a migration command).  Before any, the
 * child goes on shadowing: it may be the one that makes the VMs (QEMU's
 * -daemonize forks before it creates its VM, and the parent exits).
 */
static void shadow_atfork_prepare(void)
{
	pthread_mutex_lock(&shadow_lock);
}

static void shadow_atfork_parent(void)
{
	pthread_mutex_unlock(&shadow_lock);
}

static void shadow_atfork_child(void)
{
	if (nr_vms)
		shadow_off = true;
	pthread_mutex_unlock(&shadow_lock);
}

/*
 * The counters `vmmu shadow` shares through fd @text: mapped only if that
 * fd is still its memfd (the program may have closed it and opened
 * something else under the number), else counted in this process.
 */
static void map_counters(const char *text)
{
	struct stat st;
	char *end;
	long fd = strtol(text, &end, 10);
	void *p;

	if (*text && !*end && fd >= 0 && fd <= INT_MAX && !fstat((int)fd, &st) &&
	    S_ISREG(st.st_mode) && st.st_size == (off_t)sizeof(struct shadow_counters) &&
	    (fcntl((int)fd, F_GET_SEALS) & SHADOW_COUNTERS_SEALS) == SHADOW_COUNTERS_SEALS) {
		p = real_mmap(NULL, sizeof(struct shadow_counters), PROT_READ | PROT_WRITE,
			      MAP_SHARED, (int)fd, 0);
		if (p != MAP_FAILED) {
			if (((struct shadow_counters *)p)->magic == SHADOW_COUNTERS_MAGIC) {
				ctr = p;
				shared_counters = true;
				return;
			}
			real_munmap(p, sizeof(struct shadow_counters));
		}
	}
	fprintf(stderr, "shadow: %s=%s is not vmmu shadow's counters: this process counts for "
		"itself and prints its counts at exit\n", SHADOW_ENV_FD, text);
}

static void shadow_init(void)
{
	const char *s;
	void *p;

	pthread_atfork(shadow_atfork_prepare, shadow_atfork_parent, shadow_atfork_child);

	p = dlsym(RTLD_NEXT, "ioctl");
	if (p)
		real_ioctl = (int (*)(int, unsigned long, ...))p;
	p = dlsym(RTLD_NEXT, "mmap");
	if (p)
		real_mmap = (void *(*)(void *, size_t, int, int, int, off_t))p;
	p = dlsym(RTLD_NEXT, "munmap");
	if (p)
		real_munmap = (int (*)(void *, size_t))p;
	p = dlsym(RTLD_NEXT, "madvise");
	if (p)
		real_madvise = (int (*)(void *, size_t, int))p;

	/* Only the process `vmmu shadow` started, not one it started in turn. */
	s = getenv(SHADOW_ENV_PID);
	if (s) {
		char *end;
		long pid = strtol(s, &end, 10);

		if (!*s || *end || pid != (long)getpid()) {
			shadow_off = true;
			return;
		}
	} else {
		char pid[24];

		snprintf(pid, sizeof(pid), "%ld", (long)getpid());
		setenv(SHADOW_ENV_PID, pid, 1);
	}
	s = getenv(SHADOW_ENV_FD);
	if (s)
		map_counters(s);
	s = getenv(SHADOW_ENV_EXACT);
	opt_exact = s && !strcmp(s, "1");
	s = getenv(SHADOW_ENV_NR_AS);
	if (s)
		opt_nr_as = (uint32_t)atoi(s);
}

/* True once initialized; false while initialization runs (use raw calls). */
static bool ensure_init(void)
{
	int s = atomic_load_explicit(&init_state, memory_order_acquire);

	if (s == INIT_DONE)
		return true;
	if (s == INIT_NONE &&
	    atomic_compare_exchange_strong_explicit(&init_state, &s, INIT_RUNNING,
						    memory_order_acquire, memory_order_acquire)) {
		shadow_init();
		atomic_store_explicit(&init_state, INIT_DONE, memory_order_release);
		return true;
	}
	return false;
}

__attribute__((constructor)) static void shadow_ctor(void)
{
	ensure_init();
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void add_time(uint64_t t0)
{
	atomic_fetch_add_explicit(&ctr->shadow_ns, now_ns() - t0, memory_order_relaxed);
}

static void count(_Atomic uint64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

/* One line of the trace; under shadow_lock. */
static void trace_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void trace_printf(const char *fmt, ...)
{
	va_list ap;

	if (trace_failed)
		return;
	if (!trace) {
		const char *path = getenv(SHADOW_ENV_RECORD);
		int fd;

		if (!path || !*path) {
			trace_failed = true;
			return;
		}
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		trace = fd < 0 ? NULL : fdopen(fd, "a");
		if (!trace) {
			fprintf(stderr, "shadow: cannot write the trace %s: %s\n", path,
				strerror(errno));
			if (fd >= 0)
				close(fd);
			trace_failed = true;
			return;
		}
	}
	va_start(ap, fmt);
	vfprintf(trace, fmt, ap);
	va_end(ap);
	fflush(trace);
}

static void mismatch(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void mismatch(const char *fmt, ...)
{
	va_list ap;

	count(&ctr->mismatches);
	fprintf(stderr, "shadow: MISMATCH: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Room for errname()'s text: "-" and the longest errno name, or an int. */
#define ERRNAME_LEN 32

/*
 * A return value as text: "0", "3" or "-EINVAL".  The caller supplies the
 * buffer, so that one message may name several values.
 */
static const char *errname(int r, char buf[ERRNAME_LEN])
{
	if (r >= 0)
		snprintf(buf, ERRNAME_LEN, "%d", r);
	else
		snprintf(buf, ERRNAME_LEN, "-%s",
			 strerrorname_np(-r) ? strerrorname_np(-r) : "?");
	return buf;
}

/* The newest first: a closed VM's fd number may come back for a new VM. */
static struct shadow_vm *find_vm(int fd)
{
	for (int i = nr_vms - 1; i >= 0; i--)
		if (vms[i].fd == fd && vms[i].vm)
			return &vms[i];
	return NULL;
}

static struct shadow_vcpu *find_vcpu(int fd)
{
	int n = atomic_load_explicit(&nr_vcpus, memory_order_acquire);

	for (int i = n - 1; i >= 0; i--)
		if (vcpus[i].fd == fd)
			return &vcpus[i];
	return NULL;
}

static struct shadow_slot *find_slot(struct shadow_vm *svm, uint32_t id)
{
	for (size_t i = 0; i < svm->nr_slots; i++)
		if (svm->slots[i].id == id)
			return &svm->slots[i];
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* VM creation: the configuration comes from the new VM fd                  */
/* ------------------------------------------------------------------------ */

/* The widest gpa a one-page slot may end at, found on a scratch VM. */
static uint32_t probe_gpa_bits(int kvm_fd, unsigned long type)
{
	uint32_t bits, best = 0;
	void *page;
	int vm = real_ioctl(kvm_fd, KVM_CREATE_VM, type);

	if (vm < 0)
		return 0;
	page = real_mmap(NULL, SHADOW_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	if (page != MAP_FAILED) {
		for (bits = 32; bits <= 63; bits++) {
			struct kvm_userspace_memory_region r = {
				.slot = 0, .guest_phys_addr = (1ull << bits) - SHADOW_PAGE,
				.memory_size = SHADOW_PAGE, .userspace_addr = (uint64_t)(uintptr_t)page,
			};

			if (real_ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r) < 0)
				break;
			best = bits;
			r.memory_size = 0;
			if (real_ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r) < 0)
				break;
		}
		real_munmap(page, SHADOW_PAGE);
	}
	close(vm);
	return best;
}

/*
 * What KVM reports for @cap (through @where: the VM fd, or /dev/kvm before
 * the VM existed) against what the vmmu VM is configured with, as
 * vmmu_vm_get_config() gives it.  KVM_CAP_MULTI_ADDRESS_SPACE 0 and 1 both
 * mean one address space.
 */
static void cap_compare(struct shadow_vm *svm, const char *where, unsigned long cap, long kret)
{
	const char *name;
	uint32_t have;
	long k = kret;

	if (cap == KVM_CAP_NR_MEMSLOTS) {
		name = "KVM_CAP_NR_MEMSLOTS";
		have = svm->cfg.max_user_slots;
	} else if (cap == KVM_CAP_MULTI_ADDRESS_SPACE) {
		name = "KVM_CAP_MULTI_ADDRESS_SPACE";
		have = svm->cfg.nr_address_spaces;
		if (!k)
			k = 1;
	} else {
		return;
	}
	count(&ctr->cap_checks);
	if (k != (long)have)
		mismatch("vm %d: KVM_CHECK_EXTENSION(%s) on %s: KVM %ld, vmmu configured with %u",
			 svm->idx, name, where, kret, have);
}

static void shadow_create_vm(int kvm_fd, unsigned long type, int vm_fd)
{
	struct vmmu_vm_config want;
	struct shadow_vm *svm;
	int nr_as, slots, r;
	uint32_t bits;

	if (nr_vms == SHADOW_MAX_VMS) {
		fprintf(stderr, "shadow: more than %d VMs: VM fd %d is not shadowed\n",
			SHADOW_MAX_VMS, vm_fd);
		count(&ctr->unshadowed);
		return;
	}
	svm = &vms[nr_vms];
	memset(svm, 0, sizeof(*svm));
	svm->fd = vm_fd;
	svm->idx = nr_vms++;
	slots = real_ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
	nr_as = real_ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MULTI_ADDRESS_SPACE);
	bits = probe_gpa_bits(kvm_fd, type);
	svm->have_region2 = real_ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY2) > 0;
	want = (struct vmmu_vm_config){
		.size = sizeof(want),
		.nr_address_spaces = opt_nr_as ? opt_nr_as : (nr_as > 1 ? (uint32_t)nr_as : 1),
		.max_user_slots = slots > 0 ? (uint32_t)slots : 0,
		.max_gpa_bits = bits > 52 ? 52 : bits,
		/* the shadow's vCPUs are idle nearly always: they never need asking */
		.flags = VMMU_VM_SYMMETRIC_FENCE,
	};
	r = vmmu_vm_create(&want, &svm->vm);
	if (!r) {
		/* what vmmu made of it (defaults filled in): what is compared */
		svm->cfg.size = sizeof(svm->cfg);
		r = vmmu_vm_get_config(svm->vm, &svm->cfg);
		if (r) {
			vmmu_vm_destroy(svm->vm);
			svm->vm = NULL;
		}
	}
	if (r) {
		fprintf(stderr, "shadow: vmmu_vm_create(slots %u, address spaces %u, gpa bits %u): "
			"%s: VM fd %d is not shadowed\n", want.max_user_slots,
			want.nr_address_spaces, want.max_gpa_bits, vmmu_strerror(r), vm_fd);
		svm->vm = NULL;
		count(&ctr->unshadowed);
		return;
	}
	count(&ctr->vms);
	/* what KVM reports for the new VM, and what the program was told before */
	if (slots >= 0)
		cap_compare(svm, "the VM fd", KVM_CAP_NR_MEMSLOTS, slots);
	if (nr_as >= 0)
		cap_compare(svm, "the VM fd", KVM_CAP_MULTI_ADDRESS_SPACE, nr_as);
	if (told_nr_memslots >= 0)
		cap_compare(svm, "/dev/kvm", KVM_CAP_NR_MEMSLOTS, told_nr_memslots);
	if (told_nr_as >= 0)
		cap_compare(svm, "/dev/kvm", KVM_CAP_MULTI_ADDRESS_SPACE, told_nr_as);
	trace_printf("vm %d type=%lu nr_slots=%u nr_as=%u gpa_bits=%u\n", svm->idx, type,
		     svm->cfg.max_user_slots, svm->cfg.nr_address_spaces, svm->cfg.max_gpa_bits);
}

/* ------------------------------------------------------------------------ */
/* Memslots                                                                  */
/* ------------------------------------------------------------------------ */

/*
 * Keep the table of live slots as KVM has them, after a call KVM accepted:
 * it bounds what the shadow reads of the bitmaps KVM filled, and says which
 * host memory is under a slot.  (vmmu's own slots differ only after a
 * mismatch that was reported.)
 */
static void slot_table_update(struct shadow_vm *svm, const struct kvm_userspace_memory_region *m)
{
	struct shadow_slot *s = find_slot(svm, m->slot);
	bool was_logging = s && (s->flags & KVM_MEM_LOG_DIRTY_PAGES);

	if (!m->memory_size) {
		if (s)
			*s = svm->slots[--svm->nr_slots];
		return;
	}
	if (!s) {
		if (svm->nr_slots == svm->cap_slots) {
			size_t n = svm->cap_slots ? 2 * svm->cap_slots : 64;
			struct shadow_slot *p = realloc(svm->slots, n * sizeof(*p));

			if (!p)
				return;
			svm->slots = p;
			svm->cap_slots = n;
		}
		s = &svm->slots[svm->nr_slots++];
	}
	*s = (struct shadow_slot){
		.id = m->slot, .flags = m->flags, .gpa = m->guest_phys_addr,
		.size = m->memory_size, .hva = m->userspace_addr,
		.log_epoch = s->log_epoch, .log_quiet = s->log_quiet,
	};
	if (m->userspace_addr < atomic_load_explicit(&hull_start, memory_order_relaxed))
		atomic_store_explicit(&hull_start, m->userspace_addr, memory_order_relaxed);
	if (m->userspace_addr + m->memory_size > atomic_load_explicit(&hull_end, memory_order_relaxed))
		atomic_store_explicit(&hull_end, m->userspace_addr + m->memory_size,
				      memory_order_relaxed);
	if ((m->flags & KVM_MEM_LOG_DIRTY_PAGES) && !was_logging) {
		s->log_epoch = atomic_load_explicit(&svm->run_epoch, memory_order_relaxed);
		s->log_quiet = !atomic_load_explicit(&svm->nr_in_run, memory_order_relaxed);
	}
}

/* @arg: the shadow's copy of the program's argument. */
static void shadow_set_region(struct shadow_vm *svm, const struct vmmu_userspace_memory_region2 *arg,
			      bool region2, int kret)
{
	char kb[ERRNAME_LEN], vb[ERRNAME_LEN];
	struct kvm_userspace_memory_region m;
	int vret;

	memcpy(&m, arg, sizeof(m));	/* region2 starts with the same 32 bytes */
	if (region2)
		vret = vmmu_set_user_memory_region2(svm->vm, arg);
	else
		vret = vmmu_set_user_memory_region(svm->vm,
						   (const struct vmmu_userspace_memory_region *)&m);
	count(&ctr->memslot_calls);
	if (kret)
		count(&ctr->memslot_fail);
	if (!kret)
		slot_table_update(svm, &m);
	atomic_fetch_add_explicit(&svm->map_seq, 1, memory_order_release);
	trace_printf("%s %d slot=%#x flags=%#x gpa=%#" PRIx64 " size=%#" PRIx64 " hva=%#" PRIx64
		     " kvm=%d vmmu=%d\n", region2 ? "region2" : "region", svm->idx, m.slot, m.flags,
		     (uint64_t)m.guest_phys_addr, (uint64_t)m.memory_size,
		     (uint64_t)m.userspace_addr, kret, vret);
	if (kret != vret)
		mismatch("vm %d KVM_SET_USER_MEMORY_REGION%s slot=%#x flags=%#x gpa=%#llx size=%#llx "
			 "hva=%#llx: KVM %s, vmmu %s%s%s%s", svm->idx, region2 ? "2" : "", m.slot,
			 m.flags, (unsigned long long)m.guest_phys_addr,
			 (unsigned long long)m.memory_size, (unsigned long long)m.userspace_addr,
			 errname(kret, kb), errname(vret, vb), vret ? " (" : "",
			 vret ? vmmu_last_error() : "", vret ? ")" : "");
}

/* ------------------------------------------------------------------------ */
/* Dirty log                                                                 */
/* ------------------------------------------------------------------------ */

/*
 * KVM refuses any flags in struct kvm_enable_cap (-EINVAL, before it looks
 * at the capability); vmmu's call has none, so it is not made then and
 * vmmu's result is that refusal.
 */
static void shadow_enable_cap(struct shadow_vm *svm, const struct kvm_enable_cap *cap, int kret)
{
	char kb[ERRNAME_LEN], vb[ERRNAME_LEN];
	int vret;

	if (cap->cap != KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2)
		return;
	vret = cap->flags ? -EINVAL :
	       vmmu_vm_enable_manual_dirty_log_protect(svm->vm, cap->args[0]);
	count(&ctr->dirty_log_calls);
	trace_printf("cap %d manual_protect=%#" PRIx64 " flags=%#x kvm=%d vmmu=%d\n", svm->idx,
		     (uint64_t)cap->args[0], cap->flags, kret, vret);
	if (kret != vret)
		mismatch("vm %d KVM_ENABLE_CAP(MANUAL_DIRTY_LOG_PROTECT2, %#llx, flags %#x): KVM %s, "
			 "vmmu %s", svm->idx, (unsigned long long)cap->args[0], cap->flags,
			 errname(kret, kb), errname(vret, vb));
}

static char *bits_text(const uint64_t *bm, uint64_t npages)
{
	size_t size = 64;

	for (;;) {
		char *s = malloc(size);

		if (!s)
			return NULL;
		if (shadow_bits_format(bm, npages, s, size) >= 0)
			return s;
		free(s);
		size *= 4;
	}
}

/*
 * The pages of vmmu's slot @id (as_id << 16 | slot): what vmmu_get_dirty_log()
 * writes.  0 if there is none, UINT64_MAX if it cannot be told.
 */
static uint64_t vmmu_slot_pages(struct vmmu_vm *vm, uint32_t id)
{
	struct vmmu_userspace_memory_region *r;
	uint64_t pages = 0;
	uint32_t nr = 0;
	int ret = vmmu_vm_get_slots(vm, id >> 16, NULL, 0, &nr);

	if (ret == -EINVAL || (!ret && !nr))
		return 0;		/* no such address space, or no slot in it */
	if (ret != -ENOSPC)
		return UINT64_MAX;
	r = calloc(nr, sizeof(*r));
	if (!r || vmmu_vm_get_slots(vm, id >> 16, r, nr, &nr)) {
		free(r);
		return UINT64_MAX;
	}
	for (uint32_t i = 0; i < nr; i++)
		if (r[i].slot == id)
			pages = r[i].memory_size / SHADOW_PAGE;
	free(r);
	return pages;
}

/*
 * @log: the shadow's copy of the program's struct.  KVM filled the
 * program's bitmap only if it returned 0, and with the bits of its slot,
 * which the slot table holds: nothing else of it is read.  When KVM
 * failed with -EFAULT (the bitmap cannot be written), vmmu is called
 * without a bitmap too: it then takes the bits (without manual protect)
 * and fails likewise.
 */
static void shadow_get_dirty_log(struct shadow_vm *svm, const struct kvm_dirty_log *log, int kret)
{
	struct shadow_slot *s = find_slot(svm, log->slot);
	uint64_t npages = s ? s->size / SHADOW_PAGE : 0;
	uint64_t vpages = vmmu_slot_pages(svm->vm, log->slot);
	uint64_t *vbm = NULL;
	const uint64_t *kbm = log->dirty_bitmap;
	char *ktext = NULL, *vtext = NULL, kb[ERRNAME_LEN], vb[ERRNAME_LEN];
	bool exact = false, bad = false;
	uint64_t bad_page = 0;
	int vret;

	count(&ctr->dirty_log_calls);
	count(&ctr->get_calls);
	if (vpages != UINT64_MAX)
		vbm = calloc(vpages ? shadow_bitmap_words(vpages) : 1, 8);
	if (!vbm) {
		fprintf(stderr, "shadow: out of memory: a KVM_GET_DIRTY_LOG is not compared\n");
		return;
	}
	vret = vmmu_get_dirty_log(svm->vm, log->slot,
				  log->dirty_bitmap && kret != -EFAULT ? vbm : NULL);
	if (!kret && !vret && s && npages == vpages) {
		/* Exact only if no vCPU ran since logging began on this slot. */
		exact = opt_exact && s->log_quiet &&
			atomic_load_explicit(&svm->run_epoch, memory_order_relaxed) == s->log_epoch &&
			!atomic_load_explicit(&svm->nr_in_run, memory_order_relaxed);
		if (exact)
			count(&ctr->exact_gets);
		for (uint64_t i = 0; i < npages && !bad; i++) {
			bool k = (kbm[i / 64] >> (i % 64)) & 1, v = (vbm[i / 64] >> (i % 64)) & 1;

			if ((v && !k) || (exact && k != v)) {
				bad = true;
				bad_page = i;
			}
		}
		ktext = bits_text(kbm, npages);
		vtext = bits_text(vbm, npages);
	}
	trace_printf("get %d slot=%#x pages=%" PRIu64 " exact=%d kvm=%d vmmu=%d kbits=%s vbits=%s\n",
		     svm->idx, log->slot, npages, exact, kret, vret, ktext ? ktext : "?",
		     vtext ? vtext : "?");
	if (kret != vret)
		mismatch("vm %d KVM_GET_DIRTY_LOG slot=%#x: KVM %s, vmmu %s", svm->idx, log->slot,
			 errname(kret, kb), errname(vret, vb));
	else if (!kret && s && npages != vpages)
		mismatch("vm %d KVM_GET_DIRTY_LOG slot=%#x: the slot has %llu pages in KVM, %llu in "
			 "vmmu", svm->idx, log->slot, (unsigned long long)npages,
			 (unsigned long long)vpages);
	else if (bad)
		mismatch("vm %d KVM_GET_DIRTY_LOG slot=%#x (%llu pages, %s): page %llu: KVM %d, "
			 "vmmu %d\n  KVM:  %.300s\n  vmmu: %.300s", svm->idx, log->slot,
			 (unsigned long long)npages, exact ? "exact" : "vmmu within KVM",
			 (unsigned long long)bad_page,
			 (int)((kbm[bad_page / 64] >> (bad_page % 64)) & 1),
			 (int)((vbm[bad_page / 64] >> (bad_page % 64)) & 1), ktext ? ktext : "?",
			 vtext ? vtext : "?");
	free(ktext);
	free(vtext);
	free(vbm);
}

/*
 * @log: the shadow's copy of the program's struct.  KVM read the program's
 * bitmap only if it returned 0 (ceil(num_pages / 64) words, within its
 * slot, as vmmu reads at most); otherwise it refused before reading it, or
 * could not read it (-EFAULT), and changed nothing.  vmmu is then called
 * without a bitmap: its checks come first, in KVM's order, and it fails as
 * KVM did.  The trace has "bits=?" where the bitmap was not read.
 */
static void shadow_clear_dirty_log(struct shadow_vm *svm, const struct kvm_clear_dirty_log *log,
				   int kret)
{
	char *btext = NULL, kb[ERRNAME_LEN], vb[ERRNAME_LEN];
	void *bitmap = kret ? NULL : log->dirty_bitmap;
	int vret;

	count(&ctr->dirty_log_calls);
	count(&ctr->clear_calls);
	vret = vmmu_clear_dirty_log(svm->vm, log->slot, log->first_page, log->num_pages, bitmap);
	if (bitmap)
		btext = bits_text(bitmap, log->num_pages);
	trace_printf("clear %d slot=%#x first=%" PRIu64 " num=%u bits=%s kvm=%d vmmu=%d\n",
		     svm->idx, log->slot, (uint64_t)log->first_page, log->num_pages,
		     btext ? btext : "?", kret, vret);
	free(btext);
	if (kret != vret)
		mismatch("vm %d KVM_CLEAR_DIRTY_LOG slot=%#x first=%llu num=%u: KVM %s, vmmu %s",
			 svm->idx, log->slot, (unsigned long long)log->first_page, log->num_pages,
			 errname(kret, kb), errname(vret, vb));
}

/* ------------------------------------------------------------------------ */
/* vCPUs and MMIO exits                                                      */
/* ------------------------------------------------------------------------ */

static void shadow_create_vcpu(struct shadow_vm *svm, unsigned long id, int kret)
{
	struct vmmu_vcpu *vcpu = NULL;
	int vret = vmmu_vcpu_create(svm->vm, (uint32_t)id, &vcpu);
	int kr = kret < 0 ? kret : 0, n;
	char kb[ERRNAME_LEN], vb[ERRNAME_LEN];
	void *run;

	count(&ctr->vcpus);
	trace_printf("vcpu %d id=%lu kvm=%d vmmu=%d\n", svm->idx, id, kr, vret);
	if (kr != vret)
		mismatch("vm %d KVM_CREATE_VCPU(%lu): KVM %s, vmmu %s", svm->idx, id, errname(kr, kb),
			 errname(vret, vb));
	if (kret < 0 || vret) {
		if (!vret)
			vmmu_vcpu_destroy(vcpu);
		return;
	}
	n = atomic_load_explicit(&nr_vcpus, memory_order_relaxed);
	if (n == SHADOW_MAX_VCPUS) {
		vmmu_vcpu_destroy(vcpu);
		return;
	}
	vcpus[n] = (struct shadow_vcpu){ .fd = kret, .id = (uint32_t)id, .svm = svm, .vcpu = vcpu };
	/* Our own view of kvm_run: the program's mapping is its business. */
	run = real_mmap(NULL, SHADOW_PAGE, PROT_READ, MAP_SHARED, kret, 0);
	vcpus[n].run = run == MAP_FAILED ? NULL : run;
	/* pairs with the acquire load in find_vcpu() */
	atomic_store_explicit(&nr_vcpus, n + 1, memory_order_release);
}

/*
 * After KVM_RUN returned a KVM_EXIT_MMIO: the same access in vmmu must exit
 * too.  @seq is the VM's map_seq read before KVM_RUN: if a memslot update
 * completed since, the exit may belong to the map before it, and the check
 * is skipped (counted) rather than guessed.
 */
static void shadow_check_mmio(struct shadow_vcpu *sv, uint64_t seq)
{
	const struct kvm_run *run = sv->run;
	struct shadow_vm *svm = sv->svm;
	uint64_t gpa = run->mmio.phys_addr;
	uint32_t len = run->mmio.len;
	bool write = run->mmio.is_write;
	uint8_t data[8] = { 0 };
	struct vmmu_exit exit = { 0 };
	const char *what = NULL;
	char vb[ERRNAME_LEN];
	int vret;

	count(&ctr->mmio_exits);
	if (atomic_load_explicit(&svm->map_seq, memory_order_acquire) != seq) {
		count(&ctr->mmio_skipped);
		return;
	}
	if (len > 8)
		len = 8;
	if (write)
		memcpy(data, run->mmio.data, len);
	vret = vmmu_vcpu_access(sv->vcpu, gpa, data, len, write ? VMMU_ACCESS_WRITE : 0, &exit);
	count(&ctr->mmio_checked);
	trace_printf("mmio %d vcpu=%u gpa=%#" PRIx64 " len=%u write=%d vmmu=%d\n", svm->idx, sv->id,
		     gpa, len, write, vret);
	if (vret != VMMU_EXIT_MMIO)
		what = vret == 0 ? "RAM" : "an error";
	else if (exit.mmio.phys_addr != gpa || exit.mmio.len != len ||
		 !!exit.mmio.is_write != write ||
		 (write && memcmp(exit.mmio.data, run->mmio.data, len)))
		what = "a different MMIO exit";
	if (what)
		mismatch("vm %d vcpu %u KVM_EXIT_MMIO %s gpa=%#llx len=%u: vmmu: %s (%s; exit gpa=%#llx "
			 "len=%u write=%d)", svm->idx, sv->id, write ? "write" : "read",
			 (unsigned long long)gpa, len, what, errname(vret, vb),
			 (unsigned long long)exit.mmio.phys_addr, exit.mmio.len, exit.mmio.is_write);
}

/* ------------------------------------------------------------------------ */
/* ioctl                                                                     */
/* ------------------------------------------------------------------------ */

/* The shadow's copy of a mirrored call's argument struct. */
union shadow_arg {
	struct vmmu_userspace_memory_region2 region2;	/* and the shorter REGION */
	struct kvm_enable_cap cap;
	struct kvm_dirty_log get;
	struct kvm_clear_dirty_log clear;
};

/*
 * Copy the program's argument of @len bytes at @src.  A call KVM completed
 * has read it, so it is read directly; after a failed call it may be
 * unreadable (KVM's -EFAULT), so it is read with process_vm_readv(), which
 * fails where a plain read would fault.  False if it cannot be read.
 */
static bool copy_arg(union shadow_arg *dst, const void *src, size_t len, int kret)
{
	struct iovec local = { .iov_base = dst, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)src, .iov_len = len };

	if (!src || len > sizeof(*dst))
		return false;
	if (kret >= 0) {
		memcpy(dst, src, len);
		return true;
	}
	return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == (ssize_t)len;
}

/* A call whose argument the shadow does not read: counted, and noted in the trace. */
static void not_mirrored(struct shadow_vm *svm, unsigned int req, int kret)
{
	const char *name = req == KVM_SET_USER_MEMORY_REGION ? "KVM_SET_USER_MEMORY_REGION" :
			   req == KD_SET_USER_MEMORY_REGION2 ? "KVM_SET_USER_MEMORY_REGION2" :
			   req == KVM_ENABLE_CAP ? "KVM_ENABLE_CAP" :
			   req == KVM_GET_DIRTY_LOG ? "KVM_GET_DIRTY_LOG" : "KVM_CLEAR_DIRTY_LOG";
	char kb[ERRNAME_LEN];

	count(&ctr->not_mirrored);
	trace_printf("# vm %d %s: KVM %s, the argument unreadable: not mirrored\n", svm->idx,
		     name, errname(kret, kb));
}

/*
 * The program passes the request as an int (sign-extended on the way in),
 * so requests are compared as unsigned int.
 */
int ioctl(int fd, unsigned long request, ...)
{
	unsigned int req = (unsigned int)request;
	struct shadow_vcpu *sv = NULL;
	struct shadow_vm *svm = NULL;
	uint64_t seq = 0, t0;
	bool mirror = false, in_run = false;
	va_list ap;
	void *arg;
	int ret, err;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!ensure_init())
		return raw_ioctl(fd, request, arg);
	if (shadow_inside || shadow_off || _IOC_TYPE(req) != KVMIO)
		return real_ioctl(fd, request, arg);

	switch (req) {
	case KVM_CREATE_VM:
	case KVM_SET_USER_MEMORY_REGION:
	case KD_SET_USER_MEMORY_REGION2:
	case KVM_ENABLE_CAP:
	case KVM_GET_DIRTY_LOG:
	case KVM_CLEAR_DIRTY_LOG:
	case KVM_CREATE_VCPU:
	case KVM_CHECK_EXTENSION:
		mirror = true;
		break;
	case KVM_RUN:
		sv = find_vcpu(fd);
		if (sv && sv->run) {
			in_run = true;
			seq = atomic_load_explicit(&sv->svm->map_seq, memory_order_acquire);
			atomic_fetch_add_explicit(&sv->svm->run_epoch, 1, memory_order_relaxed);
			atomic_fetch_add_explicit(&sv->svm->nr_in_run, 1, memory_order_relaxed);
		}
		break;
	default:
		break;
	}
	if (!mirror) {
		ret = real_ioctl(fd, request, arg);
		err = errno;
		if (in_run) {
			atomic_fetch_sub_explicit(&sv->svm->nr_in_run, 1, memory_order_relaxed);
			if (!ret && sv->run->exit_reason == KVM_EXIT_MMIO) {
				pthread_mutex_lock(&shadow_lock);
				shadow_inside = 1;
				t0 = now_ns();
				shadow_check_mmio(sv, seq);
				add_time(t0);
				shadow_inside = 0;
				pthread_mutex_unlock(&shadow_lock);
			}
		}
		errno = err;
		return ret;
	}

	/* Mirrored calls: the kernel's call and vmmu's, in one order for all threads. */
	pthread_mutex_lock(&shadow_lock);
	/*
	 * Inside before the kernel's call: whatever it re-enters (another
	 * preloaded library's ioctl that maps or frees memory) passes straight
	 * through instead of waiting for the lock this thread holds.
	 */
	shadow_inside = 1;
	ret = real_ioctl(fd, request, arg);
	err = errno;
	t0 = now_ns();
	if (req == KVM_CREATE_VM) {
		if (ret >= 0)
			shadow_create_vm(fd, (unsigned long)arg, ret);
		goto out;
	}
	svm = find_vm(fd);
	if (!svm) {
		/* on /dev/kvm (or any other fd): remember what the program learns */
		if (req == KVM_CHECK_EXTENSION && (unsigned long)arg == KVM_CAP_NR_MEMSLOTS)
			told_nr_memslots = ret;
		else if (req == KVM_CHECK_EXTENSION &&
			 (unsigned long)arg == KVM_CAP_MULTI_ADDRESS_SPACE)
			told_nr_as = ret;
		goto out;
	}
	{
		int kret = ret < 0 ? -err : ret, k0 = ret < 0 ? kret : 0;
		union shadow_arg a;

		switch (req) {
		case KD_SET_USER_MEMORY_REGION2:
			/* a kernel without it refuses what vmmu has: nothing to compare */
			if (!svm->have_region2)
				break;
			__attribute__((fallthrough));
		case KVM_SET_USER_MEMORY_REGION:
		case KVM_ENABLE_CAP:
			/* KVM's -EFAULT: it could not read the argument and changed nothing */
			if (kret == -EFAULT || !copy_arg(&a, arg, _IOC_SIZE(req), kret)) {
				not_mirrored(svm, req, kret);
				break;
			}
			if (req == KVM_ENABLE_CAP)
				shadow_enable_cap(svm, &a.cap, k0);
			else
				shadow_set_region(svm, &a.region2, req == KD_SET_USER_MEMORY_REGION2, k0);
			break;
		case KVM_GET_DIRTY_LOG:
		case KVM_CLEAR_DIRTY_LOG:
			/* here KVM's -EFAULT may be the bitmap's: mirrored if the struct reads */
			if (!copy_arg(&a, arg, _IOC_SIZE(req), kret)) {
				not_mirrored(svm, req, kret);
				break;
			}
			if (req == KVM_GET_DIRTY_LOG)
				shadow_get_dirty_log(svm, &a.get, k0);
			else
				shadow_clear_dirty_log(svm, &a.clear, k0);
			break;
		case KVM_CREATE_VCPU:
			shadow_create_vcpu(svm, (unsigned long)arg, kret);
			break;
		case KVM_CHECK_EXTENSION:
			if (ret >= 0)
				cap_compare(svm, "the VM fd", (unsigned long)arg, ret);
			break;
		}
	}
out:
	add_time(t0);
	shadow_inside = 0;
	pthread_mutex_unlock(&shadow_lock);
	errno = err;
	return ret;
}

/* ------------------------------------------------------------------------ */
/* Host memory behind the slots                                             */
/* ------------------------------------------------------------------------ */

enum shadow_hostmem_op { HOSTMEM_MADVISE, HOSTMEM_MUNMAP, HOSTMEM_MMAP };

static const char *const hostmem_op_names[] = { "madvise", "munmap", "mmap" };

/*
 * Which VMs have a slot over [start, end); their bit in the result.  The
 * VMs live until the process exits, so the caller may use them unlocked.
 */
static uint32_t vms_over(uint64_t start, uint64_t end)
{
	uint32_t mask = 0;

	pthread_mutex_lock(&shadow_lock);
	for (int i = 0; i < nr_vms; i++) {
		if (!vms[i].vm)
			continue;
		for (size_t j = 0; j < vms[i].nr_slots; j++) {
			const struct shadow_slot *s = &vms[i].slots[j];

			if (s->hva < end && start < s->hva + s->size) {
				mask |= 1u << i;
				break;
			}
		}
	}
	pthread_mutex_unlock(&shadow_lock);
	return mask;
}

static void hostmem_bracket(uint32_t mask, uint64_t start, uint64_t end, bool begin,
			    enum shadow_hostmem_op op)
{
	uint64_t t0 = now_ns();

	shadow_inside = 1;
	for (int i = 0; i < SHADOW_MAX_VMS; i++) {
		if (!(mask & (1u << i)))
			continue;
		if (begin) {
			vmmu_mmu_notifier_invalidate_range_start(vms[i].vm, start, end);
		} else {
			vmmu_mmu_notifier_invalidate_range_end(vms[i].vm, start, end);
			count(op == HOSTMEM_MADVISE ? &ctr->inval_madvise :
			      op == HOSTMEM_MUNMAP ? &ctr->inval_munmap : &ctr->inval_mmap);
			pthread_mutex_lock(&shadow_lock);
			trace_printf("inval %d start=%#" PRIx64 " end=%#" PRIx64 " op=%s\n", i, start,
				     end, hostmem_op_names[op]);
			pthread_mutex_unlock(&shadow_lock);
		}
	}
	shadow_inside = 0;
	add_time(t0);
}

static uint32_t hostmem_begin(const void *addr, size_t len, enum shadow_hostmem_op op)
{
	uint64_t start = (uint64_t)(uintptr_t)addr, end = start + len;
	uint32_t mask;

	if (shadow_inside || shadow_off || !len || end < start)
		return 0;
	/*
	 * Outside every range a slot ever covered: no lock.  (A slot created
	 * over memory while another thread unmaps it is the program's race.)
	 */
	if (end <= atomic_load_explicit(&hull_start, memory_order_relaxed) ||
	    start >= atomic_load_explicit(&hull_end, memory_order_relaxed))
		return 0;
	mask = vms_over(start, end);
	if (mask)
		hostmem_bracket(mask, start, end, true, op);
	return mask;
}

static void hostmem_end(uint32_t mask, const void *addr, size_t len, enum shadow_hostmem_op op)
{
	uint64_t start = (uint64_t)(uintptr_t)addr;

	if (mask)
		hostmem_bracket(mask, start, start + len, false, op);
}

int munmap(void *addr, size_t len)
{
	uint32_t mask;
	int ret, err;

	if (!ensure_init())
		return raw_munmap(addr, len);
	mask = hostmem_begin(addr, len, HOSTMEM_MUNMAP);
	ret = real_munmap(addr, len);
	err = errno;
	hostmem_end(mask, addr, len, HOSTMEM_MUNMAP);
	errno = err;
	return ret;
}

int madvise(void *addr, size_t len, int advice)
{
	uint32_t mask = 0;
	int ret, err;

	if (!ensure_init())
		return raw_madvise(addr, len, advice);
	/* the advice that takes pages away from under a slot */
	if (advice == MADV_DONTNEED || advice == MADV_DONTNEED_LOCKED || advice == MADV_REMOVE ||
	    advice == MADV_FREE)
		mask = hostmem_begin(addr, len, HOSTMEM_MADVISE);
	ret = real_madvise(addr, len, advice);
	err = errno;
	hostmem_end(mask, addr, len, HOSTMEM_MADVISE);
	errno = err;
	return ret;
}

static void *shadow_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	uint32_t mask = 0;
	void *ret;
	int err;

	if (!ensure_init())
		return raw_mmap(addr, len, prot, flags, fd, off);
	if (flags & MAP_FIXED)
		mask = hostmem_begin(addr, len, HOSTMEM_MMAP);
	ret = real_mmap(addr, len, prot, flags, fd, off);
	err = errno;
	hostmem_end(mask, addr, len, HOSTMEM_MMAP);
	errno = err;
	return ret;
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return shadow_mmap(addr, len, prot, flags, fd, off);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off)
{
	return shadow_mmap(addr, len, prot, flags, fd, off);
}

/* Without `vmmu shadow` to print them, the counters go to stderr at exit. */
__attribute__((destructor)) static void shadow_fini(void)
{
	if (shared_counters || !atomic_load(&ctr->vms))
		return;
	fprintf(stderr, "shadow: %llu memslot calls, %llu dirty-log calls, %llu MMIO exits checked, "
		"%llu mismatches\n",
		(unsigned long long)atomic_load(&ctr->memslot_calls),
		(unsigned long long)atomic_load(&ctr->dirty_log_calls),
		(unsigned long long)atomic_load(&ctr->mmio_checked),
		(unsigned long long)atomic_load(&ctr->mismatches));
}
