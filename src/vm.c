// SPDX-License-Identifier: MIT
/*
 * VM objects: creation, destruction, configuration, statistics.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "abi.h"
#include "fence.h"
#include "hostmm.h"
#include "memslots.h"
#include "mmu.h"
#include "vcpu.h"
#include "vm.h"

_Static_assert(offsetof(struct vmmu_vm_config, max_page_tables) + 4 == VMMU_VM_CONFIG_SIZE_VER0,
	       "VMMU_VM_CONFIG_SIZE_VER0 is the 0.2 layout");
/* The notifier's state, laid out by writer (vm.h): each group within its line. */
_Static_assert(offsetof(struct vmmu_vm, mn_bracket_ids) - offsetof(struct vmmu_vm, mn_invalidate_lock) ==
	       64, "what every start()/end() takes: one line");
_Static_assert(offsetof(struct vmmu_vm, mn_stat) + sizeof(struct vm_mn_stats) <=
	       offsetof(struct vmmu_vm, mn_bracket_ids) + 64,
	       "the rest of what every start()/end() pair writes: one line");
_Static_assert(offsetof(struct vmmu_stats, remote_tlb_flush_membarriers) + 8 == VMMU_STATS_SIZE_VER0,
	       "VMMU_STATS_SIZE_VER0 is the 0.2 layout");

static int vm_config_validate(const struct vmmu_vm_config *in, struct vmmu_vm_config *out)
{
	struct vmmu_vm_config c = { 0 };

	if (in) {
		int r = sized_struct_in(&c, sizeof(c), in, in->size, VMMU_VM_CONFIG_SIZE_VER0);

		if (r)
			return r;
	}
	c.size = sizeof(c);
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
	    (c.max_page_tables && c.max_page_tables < VMMU_MIN_PAGE_TABLES) ||
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
	/* Aligned: its groups of fields are laid out by cache line. */
	vm = aligned_alloc(_Alignof(struct vmmu_vm), sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	memset(vm, 0, sizeof(*vm));
	r = vm_config_validate(cfg, &vm->cfg);
	if (r)
		goto out_free;
	vm->nr_as = vm->cfg.nr_address_spaces;
	vm->mmio_gen_mask = (1ull << vm->cfg.mmio_gen_bits) - 1;
	vm->max_gfn = (1ull << (vm->cfg.max_gpa_bits - PAGE_SHIFT)) - 1;
	vm->hostmem = &hostmem_direct_ops;
	vm->maps_fd = hostmem_direct_open();
	vm->flush_answer_budget_ns = vmmu_flush_answer_budget();
	/* Asymmetric unless membarrier() is missing or the VM asks not to (fence.h). */
	atomic_init(&vm->asym_fence, vmmu_asym_fence_available() &&
		    !(vm->cfg.flags & VMMU_VM_SYMMETRIC_FENCE));

	vmmu_mutex_init(&vm->slots_lock);
	vmmu_mutex_init(&vm->mn_invalidate_lock);
	vmmu_cond_init(&vm->mn_invalidate_end_cond);
	vmmu_mutex_init(&vm->vcpus_lock);

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
	vmmu_mutex_destroy(&vm->mn_invalidate_lock);
	vmmu_mutex_destroy(&vm->slots_lock);
	hostmem_direct_close(vm->maps_fd);
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
	vmmu_mutex_destroy(&vm->mn_invalidate_lock);
	vmmu_mutex_destroy(&vm->slots_lock);
	hostmem_direct_close(vm->maps_fd);
	free(vm);
}

VMMU_API int vmmu_vm_get_config(struct vmmu_vm *vm, struct vmmu_vm_config *cfg)
{
	long len;

	if (!vm || !cfg)
		return -EINVAL;
	len = sized_struct_len(cfg->size, VMMU_VM_CONFIG_SIZE_VER0, sizeof(*cfg));
	if (len < 0)
		return (int)len;
	memcpy(cfg, &vm->cfg, (size_t)len);
	cfg->size = (uint32_t)len;
	return 0;
}

#define LOAD(x)	atomic_load_explicit(&(x), memory_order_relaxed)

VMMU_API int vmmu_vm_get_stats(struct vmmu_vm *vm, struct vmmu_stats *out)
{
	struct vmmu_stats stats, *st = &stats;
	struct vcpu_stats sum;
	long len;

	if (!vm || !out)
		return -EINVAL;
	len = sized_struct_len(out->size, VMMU_STATS_SIZE_VER0, sizeof(*out));
	if (len < 0)
		return (int)len;
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
	st->change_pte_unbracketed = LOAD(vm->mn_stat.change_pte_unbracketed);
	st->invalidate_end_unmatched = LOAD(vm->mn_stat.invalidate_end_unmatched);
	st->invalidate_waits = LOAD(vm->mn_stat.invalidate_waits);
	st->publish_waits = LOAD(vm->stat.publish_waits);
	st->publish_overtaken = LOAD(vm->stat.publish_overtaken);
	st->host_queries = LOAD(vm->stat.host_queries);
	st->fault_flushes = LOAD(vm->stat.fault_flushes);
	st->fence_fallbacks = LOAD(vm->stat.fence_fallbacks);
	st->remote_tlb_flush_skips = LOAD(vm->stat.remote_tlb_flush_skips);
	st->page_table_cap = LOAD(vm->mmu.pt_cap);
	st->page_table_reclaims = LOAD(vm->stat.page_table_reclaims);
	st->page_tables_reclaimed = LOAD(vm->stat.page_tables_reclaimed);
	st->page_table_reclaim_zaps = LOAD(vm->stat.page_table_reclaim_zaps);
	st->remote_tlb_flush_answers = LOAD(vm->stat.remote_tlb_flush_answers);
	st->remote_tlb_flush_membarriers = LOAD(vm->stat.remote_tlb_flush_membarriers);
	st->invalidate_unlocked = LOAD(vm->mn_stat.invalidate_unlocked);
	st->pf_prefetched = LOAD(sum.pf_prefetched);
	st->size = (uint32_t)len;
	memcpy(out, st, (size_t)len);
	return 0;
}

VMMU_API const char *vmmu_strerror(int ret)
{
	switch (ret) {
	case 0:
		return "success";
	case VMMU_EXIT_MMIO:
		return "exit to the VMM: MMIO";
	case VMMU_EXIT_DIRTY_RING_FULL:
		return "exit to the VMM: dirty ring full";
	case -E2BIG:
		return "dirty ring too large";
	case -EINVAL:
		return "invalid argument";
	case -EEXIST:
		return "already exists (a memslot overlaps the range, or the id is in use)";
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
