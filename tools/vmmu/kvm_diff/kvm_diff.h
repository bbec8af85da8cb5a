/* SPDX-License-Identifier: MIT */
/*
 * vmmu kvm-diff (tools/vmmu/cmd_kvm_diff.c): the pieces the command is made of.
 *
 *   model.c      KVM's truth about the slots, to aim operations and classify accesses
 *   generator.c  the pseudo-random operations
 *   world.c      a KVM VM and a vmmu VM side by side, and the probed environment
 *   executor.c   one operation on both sides, and the comparisons
 *   shrinker.c   streams, replay and delta debugging of a mismatch
 */
#ifndef VMMU_KVM_DIFF_H
#define VMMU_KVM_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/kvm.h>

#include "vmmu.h"
#include "kvm_guest.h"
#include "kvm_uapi.h"
#include "rng.h"

#define PG			4096ull

#define HARNESS_SLOT		0u
#define HARNESS_GPA		0ull

/* The test slots: ids 1..SMALL_IDS, gpas in a window above 1 MiB. */
#define SMALL_IDS		16u
#define WIN_BASE		0x100000ull
#define WIN_PAGES		256ull
#define BACKING_PAGES		256ull
#define BACKING_SIZE		(BACKING_PAGES * PG)
#define GUARD_SIZE		(16 * PG)
#define MEMFD_PAGES		8ull
#define MAX_SLOT_PAGES		130ull
#define BITMAP_BYTES		4096u
#define FULL_CHECK_EVERY	256u

#define MEM_LOG_DIRTY		KVM_MEM_LOG_DIRTY_PAGES
#define MEM_RO			KVM_MEM_READONLY
#define MEM_GMEM		(1u << 2)
#define MEM_MAX_PAGES		((1ull << 31) - 1)
#define KERNEL_HALF_HVA		0xffff800000000000ull
#define TASK_SIZE_MAX_4L	((1ull << 47) - PG)

#define MODEL_MAX		64

enum op_type {
	T_REGION, T_ACCESS, T_HOST_WRITE, T_GET_LOG, T_CLEAR_LOG, T_MANUAL, T_HOST_MAP,
	/* KVM_SET_USER_MEMORY_REGION2, the dirty ring */
	T_REGION2, T_RING_HARVEST, T_RING_ENABLE,
	NR_TYPES
};

extern const char *const type_names[NR_TYPES];

/* Fine-grained kinds, for the operation mix. */
enum op_kind {
	K_CREATE, K_DELETE, K_MOVE, K_FLAGS, K_NOOP, K_MODIFY_BAD, K_OVERLAP,
	K_DELETE_MISSING, K_BAD_FLAGS, K_UNALIGNED, K_BAD_ID, K_NEAR_MAX, K_GPA_WRAP,
	K_TOO_MANY, K_HVA_EDGE,
	K_READ, K_WRITE, K_WRITE_BURST,
	K_HOST_WRITE,
	K_GET, K_GET_NULL, K_CLEAR,
	K_MANUAL,
	K_DONTNEED, K_MAP_ANON, K_MAP_MEMFD, K_MUNMAP, K_PROTECT_RO,
	K_REGION2, K_REGION2_GMEM,
	K_HARVEST,
	K_RING_ENABLE,
	NR_KINDS
};

extern const char *const kind_names[NR_KINDS];

/*
 * One operation, fully concrete, so that any subset can be replayed.
 *
 * T_REGION:     slot, flags, gpa, size, hva (a byte offset into the backing
 *               when !hva_abs, else an absolute address)
 * T_ACCESS:     write, len, gpa, value; K_WRITE_BURST: size writes, one per page
 *               from gpa on (value + i), until the first that is not RAM in KVM;
 *               size 0: every page of every logged slot, at gpa's page offset
 * T_HOST_WRITE: page, off, len, value
 * T_GET_LOG:    slot, null
 * T_CLEAR_LOG:  slot, gpa = first_page, size = num_pages, value = pattern seed, null
 * T_MANUAL:     value = flags
 * T_HOST_MAP:   page, npages (size), memfd page (off); K_PROTECT_RO makes the
 *               mapped pages read-only (a mapping op makes them writable again)
 * T_REGION2:    as T_REGION, through the v2 struct; value seeds the guest_memfd
 *               fields and the padding (zero when value is 0)
 * T_RING_HARVEST: harvest both rings (compared as sets of (slot, offset)),
 *               mark RESET, then KVM_RESET_DIRTY_RINGS on both
 * T_RING_ENABLE: KVM_ENABLE_CAP(DIRTY_LOG_RING_ACQ_REL, size) on a VM that has
 *               its vCPU
 */
struct op {
	uint8_t type;
	uint8_t kind;
	bool write;
	bool hva_abs;
	bool null;
	uint8_t len;
	uint32_t slot;
	uint32_t flags;
	uint32_t page;
	uint32_t off;
	uint64_t gpa;
	uint64_t size;
	uint64_t hva;
	uint64_t value;
};

/* What one side did. */
struct outcome {
	int ret;
	uint32_t nr_mmio;
	struct kvm_guest_mmio mmio;
	uint64_t value;
	uint32_t exit_reason;	/* KVM: the exit that ended a failed command */
	bool known;		/* a known difference (docs/KVM-DIFFERENCES.md) */
	/* -EFAULT with exit_reason KVM_EXIT_MEMORY_FAULT: kvm_run->memory_fault */
	struct kd_memory_fault mf;
	/* T_RING_HARVEST: entries harvested (the reset's count is ret) */
	uint32_t harvested;
};

struct mslot {
	bool used;
	uint32_t slot;
	uint32_t flags;
	uint64_t gpa;
	uint64_t npages;
	uint64_t hva;
	bool hva_abs;
};

struct model {
	struct mslot s[MODEL_MAX];
	uint64_t manual;
	bool mapped[BACKING_PAGES];
	bool ro[BACKING_PAGES];		/* mapped, but mprotect()ed read-only */
	uint32_t ring_bytes;	/* the stream's dirty ring (0: the bitmap) */
};

struct world {
	struct kvm_guest g;
	struct vmmu_vm *vm;
	struct vmmu_vcpu *vcpu;
	uint8_t *kres, *vres;	/* reservations: guard, backing, guard */
	uint8_t *kmem, *vmem;	/* the backing copies */
	uint8_t *vharness;
	struct model m;
	uint8_t kbm[BITMAP_BYTES];
	uint8_t vbm[BITMAP_BYTES];
	char why[512];		/* the last mismatch, described */
	/* the dirty ring of this stream (0: off): both sides' rings, fetch indices */
	uint32_t ring_bytes;
	struct vmmu_dirty_gfn *kring, *vring;
	uint32_t kfetch, vfetch;
};

/* Environment, probed once. */
struct kd_env {
	uint32_t max_user_slots;
	uint32_t nr_as;
	uint32_t gpa_bits;
	uint32_t phys_bits;
	bool have_ro;
	bool have_manual;
	bool have_len8;
	int memfd;
	/* the dirty ring (0 bytes: none), KVM_SET_USER_MEMORY_REGION2, memory-fault info */
	uint32_t ring_min_bytes, ring_max_bytes;
	bool have_region2, have_memory_fault;
};
extern struct kd_env kd_env;

struct kd_opt {
	uint64_t seed;
	unsigned int ops;
	unsigned int streams;
	bool verbose;
	bool shrink;
	unsigned int mmio_gen_bits;	/* vmmu side only; 0: vmmu's default */
	bool exclude[NR_KINDS];
	/* --dirty-ring: 0 never, 1 on every other stream (by seed), 2 always */
	unsigned int dirty_ring;
};
extern struct kd_opt kd_opt;

/* Failure categories: an op type, or one of these. */
#define F_MEMORY		NR_TYPES	/* the periodic full compare of the copies */
#define F_FINAL_LOG		(NR_TYPES + 1)	/* the end-of-stream bitmap compare */

/* Statistics over all streams (not counting shrinking replays). */
extern bool kd_counting;
struct kd_stats {
	uint64_t kinds[NR_KINDS];
	uint64_t region_ok, region_einval, region_eexist, region_other;
	uint64_t acc_ram, acc_mmio, acc_ro_mmio, acc_known_efault, acc_known_ro;
	uint64_t ring_dup_full;		/* known difference 10 */
	uint64_t get_ok, get_err, clear_ok, clear_err;
	uint64_t kvm_runs, mmio_exits;
	uint64_t ring_streams, ring_harvests, ring_entries, ring_full_exits;
	uint64_t memory_fault_exits, region2_ok, region2_err;
};
extern struct kd_stats kd_st;

/* True with probability @percent %. */
static inline bool chance(uint64_t *s, unsigned int percent)
{
	return rng_below(s, 100) < percent;
}

/* model.c */
/* The model slot with id @slot (as << 16 | id), or NULL. */
struct mslot *model_find(struct model *m, uint32_t slot);
/* A random used slot, or NULL when there is none. */
struct mslot *model_pick(struct model *m, uint64_t *r);
/* A random used slot the 32-bit guest can reach (below 4 GiB), or NULL. */
struct mslot *model_pick_reachable(struct model *m, uint64_t *r);
/* The backing page behind @gpa (its slot in *@sp), or -1: no slot, or not in the backing. */
int64_t model_backing_page(struct model *m, uint64_t gpa, struct mslot **sp);
/* Apply a memslot operation that KVM accepted to the model. */
void model_apply_region(struct model *m, const struct op *o);

/* generator.c */
/* Draw the next operation into @o, aimed by @m, re-drawn while its kind is excluded. */
void gen_op(struct model *m, uint64_t *r, struct op *o);
/* Describe @o in @buf (@n bytes, always terminated). */
void fmt_op(char *buf, size_t n, const struct op *o);

/* world.c */
/* CLOCK_MONOTONIC in seconds. */
double now_sec(void);
/* Tear down both VMs and the backing copies of @w (NULL is allowed). */
void world_destroy(struct world *w);
/* Both VMs, the harness slot and fresh backing copies; NULL on a host failure. */
struct world *world_create(uint64_t seed);
/* Probe /dev/kvm once into kd_env: CMD_OK, CMD_SKIP without a usable KVM, CMD_FAIL. */
int probe_env(void);

/* executor.c */
/*
 * Run @o on both sides of @w, the outcomes in *@ko and *@vo.  Return false on
 * a mismatch that is not a known difference (described in w->why).
 */
bool exec_op(struct world *w, const struct op *o, struct outcome *ko, struct outcome *vo);
/* Compare both backing copies page by page; false (and w->why) on a difference. */
bool full_check(struct world *w);
/* Compare every dirty-logged slot's bitmap (or, with the ring, a final harvest)
 * at the end of a stream; the GET or harvest in *@o. */
bool final_logs(struct world *w, struct op *o);
/* The ring size of the stream of @seed (0: no ring), from --dirty-ring and kd_env. */
uint32_t stream_ring_bytes(uint64_t seed);
/* Describe the outcome @x of @o in @buf (@n bytes). */
void fmt_outcome(char *buf, size_t n, const struct op *o, const struct outcome *x);

/* shrinker.c */
/*
 * Run one stream of @nr_ops operations from @seed.  On a mismatch report it,
 * shrink it unless --no-shrink, and return false.
 */
bool run_stream(uint64_t seed, unsigned int nr_ops);

#endif /* VMMU_KVM_DIFF_H */
