// SPDX-License-Identifier: MIT
/*
 * VM objects: creation, destruction, configuration, statistics.
 */
#include <errno.h>
#include <linux/membarrier.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "hostmm.h"
#include "rcu.h"
#include "sched_point.h"
#include "vm.h"

#ifndef VMMU_CHECKER
char vmmu_rcu_annotation;
__thread bool vmmu_rcu_registered;
static pthread_key_t rcu_key;
static pthread_once_t rcu_key_once = PTHREAD_ONCE_INIT;

static void rcu_thread_exit(void *arg)
{
	(void)arg;
	if (vmmu_rcu_registered) {
		urcu_mb_unregister_thread();
		vmmu_rcu_registered = false;
	}
}

static void rcu_key_init(void)
{
	pthread_key_create(&rcu_key, rcu_thread_exit);
}

/* First read section of this thread: register it, and arrange for it to be
 * unregistered when it exits (the key's value must be non-NULL for the
 * destructor to run). */
void vmmu_rcu_register_thread(void)
{
	pthread_once(&rcu_key_once, rcu_key_init);
	urcu_mb_register_thread();
	vmmu_rcu_registered = true;
	pthread_setspecific(rcu_key, &vmmu_rcu_registered);
}
#endif

#ifndef VMMU_CHECKER
void vmmu_warn(const char *file, int line, const char *cond)
{
	fprintf(stderr, "vmmu: WARNING at %s:%d: %s\n", file, line, cond);
}
#endif /* VMMU_CHECKER: the checker's vmmu_warn reports a violation */

/*
 * The asymmetric fence for remote TLB flushes (see vcpu_access_begin):
 * available when the kernel has membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)
 * and this process could register for it.  VMMU_NO_MEMBARRIER=1 in the
 * environment forces the symmetric fallback (tests run both).
 */
static long sys_membarrier(int cmd)
{
	return syscall(__NR_membarrier, cmd, 0u, 0);
}

#if !VMMU_TSAN && !defined(VMMU_CHECKER)
static atomic_bool asym_fence_ok;
static pthread_once_t asym_fence_once = PTHREAD_ONCE_INIT;

static void asym_fence_init(void)
{
	const char *env = getenv("VMMU_NO_MEMBARRIER");
	long q;

	if (env && *env && strcmp(env, "0"))
		return;
	q = sys_membarrier(MEMBARRIER_CMD_QUERY);
	if (q < 0 || !(q & MEMBARRIER_CMD_PRIVATE_EXPEDITED))
		return;
	asym_fence_ok = !sys_membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED);
}
#endif

/*
 * The fallback barrier: make every CPU that runs a thread of this process
 * execute a full barrier, without membarrier().  Write-protecting a page
 * that this thread has just written forces the kernel to shoot its TLB
 * entry down on every CPU that may cache it, by an interrupt, which
 * serializes the interrupted CPU; CPUs not running our threads pass a
 * context switch (a full barrier) before they run one.  Runtimes use the
 * same trick where membarrier() is missing.  A kernel that invalidates
 * TLBs by broadcast instructions instead of interrupts would make it a
 * no-op; it is used once per VM, at the switch to symmetric fences.
 */
static void tlb_shootdown_barrier(void)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static volatile char *page;

	pthread_mutex_lock(&lock);
	if (!page) {
		void *p = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		page = p == MAP_FAILED ? NULL : p;
	}
	if (page) {
		page[0]++;
		mprotect((void *)page, PAGE_SIZE, PROT_READ);
		mprotect((void *)page, PAGE_SIZE, PROT_READ | PROT_WRITE);
	}
	smp_mb();
	pthread_mutex_unlock(&lock);
}

/*
 * vmmu_membarrier() - the flusher's half of the asymmetric fence.
 *
 * membarrier() was registered in asym_fence_init(), so it fails only if
 * something took it away since: a seccomp filter installed later, say.  A
 * local fence would not order the vCPUs' plain stores, so the VM switches
 * to symmetric fences for good: every vCPU's asym_fence is cleared, then
 * one fallback barrier makes each vCPU either visible inside its access or
 * see the cleared flag (vcpu_access_begin() reads it after its increment)
 * and fence itself.  From then on no flush of this VM needs a barrier, and
 * new VMs start symmetric.  Context: vcpus_lock (the flush holds it).
 */
void vmmu_membarrier(struct vmmu_vm *vm)
{
#ifdef VMMU_VARIANTS
	/* Variant flush-without-membarrier: the flusher's half is missing. */
	if (checker_variant(FLUSH_WITHOUT_MEMBARRIER))
		return;
#endif
#ifdef VMMU_CHECKER
	/* A scheduler step that drains every vCPU's modelled store buffer. */
	vmmu_checker_membarrier();
	return;
#endif
	if (likely(!sys_membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)))
		return;
	WARN_ON_ONCE("membarrier() failed after registration: symmetric fences from now on");
#if !VMMU_TSAN && !defined(VMMU_CHECKER)
	atomic_store_explicit(&asym_fence_ok, false, memory_order_relaxed);
#endif
	atomic_store_explicit(&vm->asym_fence, false, memory_order_seq_cst);
	for (uint32_t i = 0; i < vm->nr_online; i++)
		atomic_store_explicit(&vm->online[i]->asym_fence, false, memory_order_seq_cst);
	tlb_shootdown_barrier();
	VM_STAT_INC(vm, fence_fallbacks);
}

static int vm_config_validate(const struct vmmu_vm_config *in, struct vmmu_vm_config *out)
{
	struct vmmu_vm_config c = { 0 };

	if (in)
		c = *in;
	if (!c.nr_address_spaces)
		c.nr_address_spaces = 2;
	if (!c.max_user_slots)
		c.max_user_slots = VMMU_DEFAULT_USER_MEM_SLOTS;
	if (!c.mmio_gen_bits)
		c.mmio_gen_bits = VMMU_MAX_MMIO_GEN_BITS;
	if (!c.max_gpa_bits)
		c.max_gpa_bits = 48;
	if (c.nr_address_spaces > VMMU_MAX_ADDRESS_SPACES ||
	    c.max_user_slots > VMMU_MEM_SLOTS_NUM ||
	    c.mmio_gen_bits > VMMU_MAX_MMIO_GEN_BITS ||
	    c.max_gpa_bits < 32 || c.max_gpa_bits > 52 ||
	    (c.flags & ~VMMU_VM_VALID_FLAGS))
		return -EINVAL;
	*out = c;
	return 0;
}

VMMU_API int vmmu_vm_create(const struct vmmu_vm_config *cfg, struct vmmu_vm **vmp)
{
	struct vmmu_vm *vm;
	int r;

	if (!vmp)
		return -EINVAL;
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	r = vm_config_validate(cfg, &vm->cfg);
	if (r)
		goto out_free;
	vm->nr_as = vm->cfg.nr_address_spaces;
	vm->mmio_gen_mask = (1ull << vm->cfg.mmio_gen_bits) - 1;
	vm->max_gfn = (1ull << (vm->cfg.max_gpa_bits - PAGE_SHIFT)) - 1;
	vm->hostmem = &hostmem_direct_ops;
	for (unsigned int i = 0; i < DIRECT_MAPPED_CACHE; i++)
		atomic_init(&vm->direct_mapped[i], UINT64_MAX);
#if !VMMU_TSAN && !defined(VMMU_CHECKER)
	/* TSan cannot see a membarrier: it keeps seq_cst. */
	pthread_once(&asym_fence_once, asym_fence_init);
	atomic_init(&vm->asym_fence, atomic_load_explicit(&asym_fence_ok, memory_order_relaxed) &&
		    !(vm->cfg.flags & VMMU_VM_SYMMETRIC_FENCE));
#elif defined(VMMU_CHECKER)
	/* The checker models membarrier() (vmmu_checker_membarrier). */
	atomic_init(&vm->asym_fence, !(vm->cfg.flags & VMMU_VM_SYMMETRIC_FENCE));
#endif

	vmmu_mutex_init(&vm->slots_lock);
	vmmu_mutex_init(&vm->mn_invalidate_lock);
	vmmu_cond_init(&vm->mn_memslots_update_cond);
	vmmu_cond_init(&vm->mn_invalidate_end_cond);
	vmmu_mutex_init(&vm->vcpus_lock);
	atomic_init(&vm->mmu_invalidate_range_start, UINT64_MAX);
	atomic_init(&vm->mmu_invalidate_range_end, UINT64_MAX);

	r = memslots_init(vm);
	if (r)
		goto out_locks;
	r = kvm_mmu_init_vm(vm);
	if (r)
		goto out_mmu;
	*vmp = vm;
	return 0;

out_mmu:
	kvm_mmu_uninit_vm(vm);
	memslots_destroy(vm);
out_locks:
	vmmu_mutex_destroy(&vm->vcpus_lock);
	vmmu_cond_destroy(&vm->mn_invalidate_end_cond);
	vmmu_cond_destroy(&vm->mn_memslots_update_cond);
	vmmu_mutex_destroy(&vm->mn_invalidate_lock);
	vmmu_mutex_destroy(&vm->slots_lock);
out_free:
	free(vm);
	return r;
}

VMMU_API void vmmu_vm_destroy(struct vmmu_vm *vm)
{
	if (!vm)
		return;
	/* First, so that no host-MM operation notifies a VM being torn down. */
	hostmm_vm_destroy(vm);
	for (uint32_t i = 0; i < VMMU_MAX_VCPUS; i++)
		vmmu_vcpu_destroy(vm->vcpus[i]);
	kvm_mmu_uninit_vm(vm);
	memslots_destroy(vm);
	vmmu_mutex_destroy(&vm->vcpus_lock);
	vmmu_cond_destroy(&vm->mn_invalidate_end_cond);
	vmmu_cond_destroy(&vm->mn_memslots_update_cond);
	vmmu_mutex_destroy(&vm->mn_invalidate_lock);
	vmmu_mutex_destroy(&vm->slots_lock);
	free(vm->mn_brackets);
	free(vm);
}

VMMU_API int vmmu_vm_get_config(struct vmmu_vm *vm, struct vmmu_vm_config *cfg)
{
	if (!vm || !cfg)
		return -EINVAL;
	*cfg = vm->cfg;
	return 0;
}

#define LOAD(x)	atomic_load_explicit(&(x), memory_order_relaxed)

VMMU_API int vmmu_vm_get_stats(struct vmmu_vm *vm, struct vmmu_stats *st)
{
	struct vcpu_stats sum;

	if (!vm || !st)
		return -EINVAL;
	memset(&sum, 0, sizeof(sum));
	vmmu_mutex_lock(&vm->vcpus_lock);
	kvm_vcpu_stats_add(&sum, &vm->dead_vcpu_stats);
	for (uint32_t i = 0; i < VMMU_MAX_VCPUS; i++)
		if (vm->vcpus[i])
			kvm_vcpu_stats_add(&sum, &vm->vcpus[i]->stat);
	vmmu_mutex_unlock(&vm->vcpus_lock);

	memset(st, 0, sizeof(*st));
	st->tlb_fills = LOAD(sum.tlb_fills);
	st->mmio_exits = LOAD(sum.mmio_exits);
	st->mmio_cache_hits = LOAD(sum.mmio_cache_hits);
	st->fast_mmio_hits = LOAD(sum.fast_mmio_hits);
	st->pf_invalid = LOAD(sum.pf_invalid);
	st->pf_retry = LOAD(sum.pf_retry);
	st->pf_fixed = LOAD(sum.pf_fixed);
	st->pf_spurious = LOAD(sum.pf_spurious);
	st->pf_emulate = LOAD(sum.pf_emulate);
	st->mmio_sptes_created = LOAD(sum.mmio_sptes_created);
	st->invalid_slot_retries = LOAD(sum.invalid_slot_retries);
	st->notifier_retries = LOAD(sum.notifier_retries);
	st->memslot_updates = LOAD(vm->stat.memslot_updates);
	st->memslot_swaps = LOAD(vm->stat.memslot_swaps);
	st->zap_all_fast = LOAD(vm->stat.zap_all_fast);
	st->mmio_wrap_zaps = LOAD(vm->stat.mmio_wrap_zaps);
	st->slot_zaps = LOAD(vm->stat.slot_zaps);
	st->sptes_zapped = LOAD(vm->stat.sptes_zapped);
	st->remote_tlb_flush_requests = LOAD(vm->stat.remote_tlb_flush_requests);
	st->remote_tlb_flush = LOAD(vm->stat.remote_tlb_flush);
	st->page_tables = LOAD(vm->mmu.nr_page_tables);
	st->change_pte_unbracketed = LOAD(vm->stat.change_pte_unbracketed);
	st->invalidate_end_unmatched = LOAD(vm->stat.invalidate_end_unmatched);
	st->invalidate_waits = LOAD(vm->stat.invalidate_waits);
	st->fault_flushes = LOAD(vm->stat.fault_flushes);
	st->fence_fallbacks = LOAD(vm->stat.fence_fallbacks);
	return 0;
}

VMMU_API const char *vmmu_strerror(int ret)
{
	switch (ret) {
	case 0:
		return "success";
	case VMMU_EXIT_MMIO:
		return "exit to the VMM: MMIO";
	case -EINVAL:
		return "invalid argument";
	case -EEXIST:
		return "guest physical range overlaps another memslot";
	case -ENOMEM:
		return "out of memory";
	case -EFAULT:
		return "guest or host address not accessible";
	case -ENOENT:
		return "no such memslot or no dirty bitmap";
	case -EIO:
		return "internal invariant broken (see the warning)";
	case -ENXIO:
		return "dirty ring in use";
	case -EBUSY:
		return "busy: memslots exist, still attached, or a shared page";
	case -EAGAIN:
		return "page not resident, or contents differ";
	case -ENOSPC:
		return "swap area full";
	case -EPERM:
		return "address below the minimum mappable address";
	default:
		return ret < 0 ? "error" : "unknown result";
	}
}
