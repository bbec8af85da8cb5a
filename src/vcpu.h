/* SPDX-License-Identifier: MIT */
/*
 * vcpu.c's internals used elsewhere in the library.
 */
#ifndef VMMU_VCPU_H
#define VMMU_VCPU_H

#include "vm.h"

/*
 * kvm_vcpu_stats_add() - add every counter of @src to @dst (relaxed loads
 * and RMWs).  Context: vcpus_lock when @dst is vm->dead_vcpu_stats.
 */
void kvm_vcpu_stats_add(struct vcpu_stats *dst, const struct vcpu_stats *src);

#endif /* VMMU_VCPU_H */
