// SPDX-License-Identifier: MIT
/*
 * vmmu kvm-diff: Executing one operation on both sides and comparing the outcomes.
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
#include <unistd.h>

#include "cmd.h"
#include "kvm_diff.h"
#include "errname.h"

bool kd_counting;
struct kd_stats kd_st;

/* ------------------------------------------------------------------------ */
/* Executing one operation on both sides                                     */
/* ------------------------------------------------------------------------ */

static uint64_t hva_of(const struct op *o, uint8_t *base)
{
	return o->hva_abs ? o->hva : (uint64_t)(uintptr_t)base + o->hva;
}

static int kvm_region(struct world *w, const struct op *o)
{
	struct kvm_userspace_memory_region r = {
		.slot = o->slot, .flags = o->flags, .guest_phys_addr = o->gpa,
		.memory_size = o->size, .userspace_addr = hva_of(o, w->kmem),
	};

	return ioctl(w->g.vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0 ? -errno : 0;
}

static int vmmu_region(struct world *w, const struct op *o)
{
	struct vmmu_userspace_memory_region r = {
		.slot = o->slot, .flags = o->flags, .guest_phys_addr = o->gpa,
		.memory_size = o->size, .userspace_addr = hva_of(o, w->vmem),
	};

	return vmmu_set_user_memory_region(w->vm, &r);
}

/* The v2 struct of @o: the v1 fields, and guest_memfd fields and padding from o->value. */
static struct vmmu_userspace_memory_region2 region2_of(const struct op *o, uint8_t *base)
{
	struct vmmu_userspace_memory_region2 r = {
		.slot = o->slot, .flags = o->flags, .guest_phys_addr = o->gpa,
		.memory_size = o->size, .userspace_addr = hva_of(o, base),
	};
	uint64_t s = o->value;

	if (o->value) {
		r.guest_memfd_offset = rng_next(&s) & ~(PG - 1);
		r.guest_memfd = (uint32_t)rng_next(&s);
		r.pad1 = (uint32_t)rng_next(&s);
		for (unsigned int i = 0; i < 14; i++)
			r.pad2[i] = rng_next(&s);
	}
	return r;
}

static int kvm_region2(struct world *w, const struct op *o)
{
	struct vmmu_userspace_memory_region2 r = region2_of(o, w->kmem);

	return ioctl(w->g.vm_fd, KD_SET_USER_MEMORY_REGION2, &r) < 0 ? -errno : 0;
}

static int vmmu_region2(struct world *w, const struct op *o)
{
	struct vmmu_userspace_memory_region2 r = region2_of(o, w->vmem);

	return vmmu_set_user_memory_region2(w->vm, &r);
}

static bool page_unmapped(const uint8_t *base, uint64_t page)
{
	unsigned char vec;

	return mincore((void *)(base + page * PG), PG, &vec) < 0 && errno == ENOMEM;
}

/* The guest access of @o in KVM's guest. */
static void kvm_access(struct world *w, const struct op *o, struct outcome *ko)
{
	struct kvm_guest_cmd cmd = {
		.write = o->write, .len = o->len, .gpa = (uint32_t)o->gpa, .value = o->value,
	};
	struct kvm_guest_result res;

	kvm_guest_access(&w->g, &cmd, &res);
	ko->ret = res.ret;
	ko->nr_mmio = res.nr_mmio;
	if (res.nr_mmio)
		ko->mmio = res.mmio[0];
	ko->value = res.value;
	ko->exit_reason = res.exit_reason;
	/* KVM_CAP_MEMORY_FAULT_INFO: the fields stay in kvm_run after the -EFAULT. */
	if (ko->ret == -EFAULT && ko->exit_reason == KVM_EXIT_MEMORY_FAULT)
		ko->mf = *kd_run_memory_fault(w->g.run);
	if (!o->write && o->len < 8)
		ko->value &= (1ull << (o->len * 8)) - 1;
}

static void exec_access(struct world *w, const struct op *o, struct outcome *ko,
			struct outcome *vo)
{
	struct vmmu_exit ex;
	uint64_t data = o->value;
	uint32_t flags = o->write ? VMMU_ACCESS_WRITE : 0;
	int r;

	kvm_access(w, o, ko);
	if (!o->write)
		data = 0;
	memset(&ex, 0, sizeof(ex));
	r = vmmu_vcpu_access(w->vcpu, o->gpa, &data, o->len, flags, &ex);
	if (r == VMMU_EXIT_MMIO) {
		vo->ret = 0;
		vo->nr_mmio = 1;
		vo->mmio.gpa = ex.mmio.phys_addr;
		vo->mmio.len = ex.mmio.len;
		vo->mmio.is_write = ex.mmio.is_write;
		if (!ex.mmio.is_write) {
			/* Complete the read as the harness does for KVM. */
			uint64_t v = kvm_guest_mmio_value(ex.mmio.phys_addr);

			memcpy(vo->mmio.data, &v, 8);
			memset(vo->mmio.data + ex.mmio.len, 0, 8 - (ex.mmio.len > 8 ? 8 : ex.mmio.len));
			data = 0;
			memcpy(&data, &v, o->len);
		} else {
			memcpy(vo->mmio.data, ex.mmio.data, 8);
		}
		vo->value = o->write ? 0 : data;
	} else if (r == VMMU_EXIT_DIRTY_RING_FULL) {
		/* As the harness sees KVM's: KVM_RUN ended by an exit it does not serve. */
		vo->ret = -EIO;
		vo->exit_reason = KVM_EXIT_DIRTY_RING_FULL;
	} else {
		vo->ret = r;
		vo->value = !r && !o->write ? data : 0;
		if (r == -EFAULT && ex.reason == VMMU_EXIT_MEMORY_FAULT) {
			vo->exit_reason = KVM_EXIT_MEMORY_FAULT;
			vo->mf.flags = ex.memory_fault.flags;
			vo->mf.gpa = ex.memory_fault.gpa;
			vo->mf.size = ex.memory_fault.size;
		}
	}
	if (!o->write && o->len < 8)
		vo->value &= (1ull << (o->len * 8)) - 1;
}

static int kvm_get_log(struct world *w, const struct op *o)
{
	struct kvm_dirty_log l = { .slot = o->slot, .dirty_bitmap = o->null ? NULL : w->kbm };

	return ioctl(w->g.vm_fd, KVM_GET_DIRTY_LOG, &l) < 0 ? -errno : 0;
}

static void fill_pattern(uint8_t *bm, uint64_t seed)
{
	uint64_t s = seed | 1;

	for (unsigned int i = 0; i < BITMAP_BYTES; i += 8) {
		uint64_t v = rng_next(&s);

		/* Mostly all-ones or sparse, sometimes random. */
		if ((seed & 3) == 0)
			v = ~0ull;
		else if ((seed & 3) == 1)
			v &= rng_next(&s) & rng_next(&s);
		memcpy(bm + i, &v, 8);
	}
}

static int kvm_clear_log(struct world *w, const struct op *o)
{
	struct kvm_clear_dirty_log l = {
		.slot = o->slot, .num_pages = (uint32_t)o->size, .first_page = o->gpa,
		.dirty_bitmap = o->null ? NULL : w->kbm,
	};

	return ioctl(w->g.vm_fd, KVM_CLEAR_DIRTY_LOG, &l) < 0 ? -errno : 0;
}

static int kvm_manual(struct world *w, uint64_t flags)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, .args = { flags },
	};

	return ioctl(w->g.vm_fd, KVM_ENABLE_CAP, &cap) < 0 ? -errno : 0;
}

/*
 * Harvest @ring from *@fetch: the (slot, offset) of every DIRTY entry, each
 * then marked RESET, into @keys (sorted, duplicates removed); the number of
 * entries in *@n_entries.  Returns the number of distinct keys.
 */
static size_t ring_harvest(struct vmmu_dirty_gfn *ring, uint32_t nr, uint32_t *fetch,
			   uint64_t *keys, size_t max, uint32_t *n_entries)
{
	size_t n = 0, d = 0;

	*n_entries = 0;
	for (;;) {
		struct vmmu_dirty_gfn *e = &ring[*fetch & (nr - 1)];

		if (!(__atomic_load_n(&e->flags, __ATOMIC_ACQUIRE) & VMMU_DIRTY_GFN_F_DIRTY))
			break;
		if (n < max)
			keys[n++] = (uint64_t)e->slot << 32 | (e->offset & 0xffffffffull);
		__atomic_store_n(&e->flags, VMMU_DIRTY_GFN_F_RESET, __ATOMIC_RELEASE);
		(*fetch)++;
		(*n_entries)++;
		if (*n_entries == nr)
			break;
	}
	for (size_t i = 1; i < n; i++)		/* insertion sort: a few hundred at most */
		for (size_t j = i; j && keys[j - 1] > keys[j]; j--) {
			uint64_t t = keys[j];

			keys[j] = keys[j - 1];
			keys[j - 1] = t;
		}
	for (size_t i = 0; i < n; i++)
		if (!d || keys[d - 1] != keys[i])
			keys[d++] = keys[i];
	return d;
}

/* Entries pushed and not yet harvested. */
static uint32_t ring_pending(const struct vmmu_dirty_gfn *ring, uint32_t nr, uint32_t fetch)
{
	uint32_t n = 0;

	while (n < nr && (__atomic_load_n(&ring[(fetch + n) & (nr - 1)].flags, __ATOMIC_ACQUIRE) &
			  VMMU_DIRTY_GFN_F_DIRTY))
		n++;
	return n;
}

#define RING_KEYS	4096u

/*
 * T_RING_HARVEST: the harvested sets must be equal; each reset recycles what
 * was harvested.  @vmmu_extra (or UINT64_MAX): a key that vmmu's set may
 * hold and KVM's not (an access that vmmu served and KVM did not run).
 */
static bool exec_ring_harvest(struct world *w, struct outcome *ko, struct outcome *vo,
			      uint64_t vmmu_extra)
{
	static uint64_t kk[RING_KEYS], vk[RING_KEYS];
	uint32_t nr = w->ring_bytes / 16;
	size_t kn = ring_harvest(w->kring, nr, &w->kfetch, kk, RING_KEYS, &ko->harvested);
	size_t vn = ring_harvest(w->vring, nr, &w->vfetch, vk, RING_KEYS, &vo->harvested);
	int r;

	r = ioctl(w->g.vm_fd, KVM_RESET_DIRTY_RINGS, 0);
	ko->ret = r < 0 ? -errno : 0;
	vo->ret = vmmu_vm_reset_dirty_rings(w->vm);
	if (r >= 0 && (uint32_t)r != ko->harvested) {
		snprintf(w->why, sizeof(w->why), "KVM_RESET_DIRTY_RINGS recycled %d entries of the "
			 "%u harvested", r, ko->harvested);
		return false;
	}
	if (vo->ret >= 0 && (uint32_t)vo->ret != vo->harvested) {
		snprintf(w->why, sizeof(w->why), "vmmu_vm_reset_dirty_rings recycled %d entries of "
			 "the %u harvested", vo->ret, vo->harvested);
		return false;
	}
	if (vo->ret > 0)
		vo->ret = 0;
	if (vmmu_extra != UINT64_MAX) {
		size_t j = 0;

		for (size_t i = 0; i < kn; i++)
			if (kk[i] == vmmu_extra)
				vmmu_extra = UINT64_MAX;	/* KVM has it too */
		for (size_t i = 0; i < vn; i++)
			if (vk[i] != vmmu_extra)
				vk[j++] = vk[i];
		vn = j;
	}
	if (kd_counting) {
		kd_st.ring_harvests++;
		kd_st.ring_entries += vo->harvested;
	}
	for (size_t i = 0; i < kn || i < vn; i++) {
		if (i < kn && i < vn && kk[i] == vk[i])
			continue;
		snprintf(w->why, sizeof(w->why), "harvested (slot, offset) sets differ (KVM %zu, "
			 "vmmu %zu distinct): first difference KVM %s(%#" PRIx64 ", %" PRIu64 ") "
			 "vmmu %s(%#" PRIx64 ", %" PRIu64 ")", kn, vn, i < kn ? "" : "none ",
			 i < kn ? kk[i] >> 32 : 0, i < kn ? kk[i] & 0xffffffff : 0,
			 i < vn ? "" : "none ", i < vn ? vk[i] >> 32 : 0,
			 i < vn ? vk[i] & 0xffffffff : 0);
		return false;
	}
	return true;
}

static int kvm_ring_enable(struct world *w, uint64_t bytes)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_DIRTY_LOG_RING_ACQ_REL, .args = { bytes } };

	return ioctl(w->g.vm_fd, KVM_ENABLE_CAP, &cap) < 0 ? -errno : 0;
}

/* Apply a host-map change to one copy.  Return false on a host error. */
static bool host_map_one(uint8_t *base, const struct op *o, const bool *mapped)
{
	uint8_t *p = base + (uint64_t)o->page * PG;
	size_t len = o->size * PG;

	switch (o->kind) {
	case K_DONTNEED:
		/* madvise fails on a range with holes: only the mapped pages. */
		for (uint64_t i = 0; i < o->size; i++)
			if (mapped[o->page + i] && madvise(p + i * PG, PG, MADV_DONTNEED))
				return false;
		return true;
	case K_MAP_ANON:
		return mmap(p, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
			    -1, 0) != MAP_FAILED;
	case K_MAP_MEMFD:
		for (uint64_t i = 0; i < o->size; i++)
			if (mmap(p + i * PG, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED,
				 kd_env.memfd,
				 (off_t)(((o->off + i) % MEMFD_PAGES) * PG)) == MAP_FAILED)
				return false;
		return true;
	case K_PROTECT_RO:
		/* mprotect fails on a range with holes, as madvise. */
		for (uint64_t i = 0; i < o->size; i++)
			if (mapped[o->page + i] && mprotect(p + i * PG, PG, PROT_READ))
				return false;
		return true;
	default:
		return !munmap(p, len);
	}
}

/* A bug or surprise in the harness itself, not a difference: stop. */
static void __attribute__((noreturn)) harness_error(const char *what, const struct op *o)
{
	char b[256];
	int e = errno;

	fmt_op(b, sizeof(b), o);
	fprintf(stderr, "kvm-diff: harness error: %s: %s\n  op: %s\n", what, strerror(e), b);
	exit(CMD_FAIL);
}

/*
 * Run @o on both sides.  Return false (with w->why set) when the outcomes
 * differ; true otherwise.  Updates the model from KVM's outcome.
 */
bool exec_op(struct world *w, const struct op *o, struct outcome *ko, struct outcome *vo)
{
	uint64_t vstart, vend;
	bool ok = true;

	memset(ko, 0, sizeof(*ko));
	memset(vo, 0, sizeof(*vo));
	w->why[0] = 0;

	if (o->type == T_ACCESS && o->kind == K_WRITE_BURST) {
		struct op a = *o;
		uint64_t v = o->value;

		a.kind = K_WRITE;
		a.size = 0;
		/* size 0: every page of every logged slot, as the model has them now */
		for (int k = 0; k < (o->size ? 1 : MODEL_MAX); k++) {
			const struct mslot *s = &w->m.s[k];
			uint64_t base = o->size ? o->gpa : s->gpa + (o->gpa & (PG - 1));
			uint64_t n = o->size ? o->size : s->npages;

			/* (the 32-bit guest reaches only gpas below 4 GiB) */
			if (!o->size && (!s->used || !(s->flags & MEM_LOG_DIRTY) ||
					 s->gpa < HARNESS_GPA + KVM_GUEST_SLOT_SIZE ||
					 s->gpa + s->npages * PG > (1ull << 32)))
				continue;
			for (uint64_t i = 0; i < n; i++) {
				a.gpa = base + i * PG;
				a.value = v++;
				if (!exec_op(w, &a, ko, vo))
					return false;
				if (ko->ret || ko->nr_mmio)
					return true;
			}
		}
		return true;
	}

	switch (o->type) {
	case T_REGION:
		ko->ret = kvm_region(w, o);
		vo->ret = vmmu_region(w, o);
		if (!ko->ret)
			model_apply_region(&w->m, o);
		if (kd_counting) {
			if (!ko->ret)
				kd_st.region_ok++;
			else if (ko->ret == -EINVAL)
				kd_st.region_einval++;
			else if (ko->ret == -EEXIST)
				kd_st.region_eexist++;
			else
				kd_st.region_other++;
		}
		break;

	case T_REGION2:
		ko->ret = kvm_region2(w, o);
		vo->ret = vmmu_region2(w, o);
		if (!ko->ret)
			model_apply_region(&w->m, o);
		if (kd_counting)
			*(ko->ret ? &kd_st.region2_err : &kd_st.region2_ok) += 1;
		break;

	case T_RING_HARVEST:
		if (!w->ring_bytes)
			break;
		ok = exec_ring_harvest(w, ko, vo, UINT64_MAX);
		break;

	case T_RING_ENABLE:
		/* KVM's parameter is a u32: sizes of 2^32 and above are not drawn. */
		ko->ret = kvm_ring_enable(w, o->value);
		vo->ret = vmmu_vm_enable_dirty_ring(w->vm, (uint32_t)o->value);
		break;

	case T_ACCESS: {
		struct mslot *s;
		int64_t page = model_backing_page(&w->m, o->gpa, &s);
		bool hole = page >= 0 && !w->m.mapped[page];
		bool ro_write = page >= 0 && w->m.mapped[page] && w->m.ro[page] && o->write;

		if (hole && (!page_unmapped(w->kmem, (uint64_t)page) ||
			     !page_unmapped(w->vmem, (uint64_t)page))) {
			errno = EEXIST;
			harness_error("an unmapped backing page was mapped again by someone else", o);
		}
		uint32_t vpend = w->ring_bytes ? ring_pending(w->vring, w->ring_bytes / 16, w->vfetch) : 0;

		exec_access(w, o, ko, vo);
		/*
		 * Known difference 10: this kernel pushes an entry for every
		 * guest store to a logged page, vmmu only for the first since
		 * the page was last protected, so KVM's ring reaches its soft
		 * limit first.  Accept KVM's DIRTY_RING_FULL exit where vmmu
		 * did not exit so only when KVM's ring holds more entries than
		 * vmmu's did before the access;
		 * then harvest both (the sets must still agree), reset both and
		 * run the access again in both (a store of the same value
		 * again), which are compared as any access.
		 */
		if (w->ring_bytes && ko->ret == -EIO && ko->exit_reason == KVM_EXIT_DIRTY_RING_FULL &&
		    vo->exit_reason != KVM_EXIT_DIRTY_RING_FULL &&
		    ring_pending(w->kring, w->ring_bytes / 16, w->kfetch) > vpend) {
			struct outcome hk, hv;
			uint64_t key = UINT64_MAX;

			if (!vo->ret && !vo->nr_mmio && s && o->write && (s->flags & MEM_LOG_DIRTY))
				key = (uint64_t)s->slot << 32 | ((o->gpa - s->gpa) / PG);
			if (!exec_ring_harvest(w, &hk, &hv, key))
				return false;
			if (hk.ret || hv.ret) {
				snprintf(w->why, sizeof(w->why), "reset after KVM's early full exit: "
					 "KVM %d, vmmu %d", hk.ret, hv.ret);
				return false;
			}
			exec_access(w, o, ko, vo);
			if (kd_counting)
				kd_st.ring_dup_full++;
		}
		/*
		 * Known difference: a guest access to a slot page whose host
		 * memory is unmapped exits to user space as MMIO on this kernel
		 * (KVM-PVM), while vmmu returns -EFAULT.  Accept exactly that.
		 * The same for a store to a page whose host mapping is
		 * read-only (mprotect).
		 */
		/*
		 * Known difference: while the ring is soft-full KVM exits with
		 * DIRTY_RING_FULL at any entry; vmmu serves an access to a gfn
		 * with a valid MMIO SPTE as MMIO (docs/KVM-DIFFERENCES.md, 7).
		 */
		if (w->ring_bytes && ko->ret == -EIO && ko->exit_reason == KVM_EXIT_DIRTY_RING_FULL &&
		    !vo->ret && vo->nr_mmio == 1) {
			ko->known = vo->known = true;
			break;
		}
		if ((hole || ro_write) && vo->ret == -EFAULT && !ko->ret && ko->nr_mmio == 1 &&
		    ko->mmio.gpa == o->gpa && ko->mmio.len == o->len &&
		    ko->mmio.is_write == o->write) {
			ko->known = vo->known = true;
			if (kd_counting)
				*(hole ? &kd_st.acc_known_efault : &kd_st.acc_known_ro) += 1;
			break;
		}
		/* Exits that carry more than the errno: their reason and fields. */
		if (ko->ret == vo->ret &&
		    (ko->ret == -EIO || (ko->ret == -EFAULT && kd_env.have_memory_fault)) &&
		    (ko->exit_reason != vo->exit_reason ||
		     memcmp(&ko->mf, &vo->mf, sizeof(ko->mf)))) {
			snprintf(w->why, sizeof(w->why), "both %s, but KVM exit %u (memory fault "
				 "gpa %#" PRIx64 " size %#" PRIx64 " flags %#" PRIx64 "), vmmu exit "
				 "%u (gpa %#" PRIx64 " size %#" PRIx64 " flags %#" PRIx64 ")",
				 ko->ret == -EIO ? "-EIO" : "-EFAULT", ko->exit_reason, ko->mf.gpa,
				 ko->mf.size, ko->mf.flags, vo->exit_reason, vo->mf.gpa,
				 vo->mf.size, vo->mf.flags);
			ok = false;
			break;
		}
		if (kd_counting && vo->exit_reason == KVM_EXIT_DIRTY_RING_FULL)
			kd_st.ring_full_exits++;
		if (kd_counting && vo->exit_reason == KVM_EXIT_MEMORY_FAULT)
			kd_st.memory_fault_exits++;
		if (!ko->ret && !vo->ret && !ko->nr_mmio && !vo->nr_mmio && o->write && page >= 0 &&
		    memcmp(w->kmem + page * PG, w->vmem + page * PG, PG)) {
			snprintf(w->why, sizeof(w->why), "guest write served by RAM in both, but "
				 "backing page %" PRId64 " differs afterwards", page);
			ok = false;
		}
		if (!kd_counting || ko->ret)
			break;
		if (!ko->nr_mmio)
			kd_st.acc_ram++;
		else if (s && (s->flags & MEM_RO) && o->write)
			kd_st.acc_ro_mmio++;
		else
			kd_st.acc_mmio++;
		break;
	}

	case T_HOST_WRITE:
		/* A read-only page: a host write is not possible (nor drawn to be). */
		if (w->m.mapped[o->page] && !w->m.ro[o->page]) {
			memcpy(w->kmem + (uint64_t)o->page * PG + o->off, &o->value, o->len);
			memcpy(w->vmem + (uint64_t)o->page * PG + o->off, &o->value, o->len);
		}
		break;

	case T_GET_LOG:
		memset(w->kbm, 0xa5, sizeof(w->kbm));
		memset(w->vbm, 0xa5, sizeof(w->vbm));
		ko->ret = kvm_get_log(w, o);
		vo->ret = vmmu_get_dirty_log(w->vm, o->slot, o->null ? NULL : w->vbm);
		if (ko->ret == vo->ret && memcmp(w->kbm, w->vbm, sizeof(w->kbm))) {
			unsigned int i;

			for (i = 0; i < sizeof(w->kbm) && w->kbm[i] == w->vbm[i]; i++)
				;
			uint64_t kw, vw;

			i &= ~7u;
			memcpy(&kw, w->kbm + i, 8);
			memcpy(&vw, w->vbm + i, 8);
			snprintf(w->why, sizeof(w->why), "dirty bitmaps differ: word %u (pages %u..%u): "
				 "KVM 0x%016" PRIx64 " vmmu 0x%016" PRIx64, i / 8, i * 8, i * 8 + 63, kw, vw);
			ok = false;
		}
		if (kd_counting)
			*(ko->ret ? &kd_st.get_err : &kd_st.get_ok) += 1;
		break;

	case T_CLEAR_LOG:
		fill_pattern(w->kbm, o->value);
		memcpy(w->vbm, w->kbm, sizeof(w->vbm));
		ko->ret = kvm_clear_log(w, o);
		vo->ret = vmmu_clear_dirty_log(w->vm, o->slot, o->gpa, (uint32_t)o->size,
					       o->null ? NULL : w->vbm);
		if (kd_counting)
			*(ko->ret ? &kd_st.clear_err : &kd_st.clear_ok) += 1;
		break;

	case T_MANUAL:
		ko->ret = kvm_manual(w, o->value);
		vo->ret = vmmu_vm_enable_manual_dirty_log_protect(w->vm, o->value);
		if (!ko->ret)
			w->m.manual = o->value;
		break;

	case T_HOST_MAP:
		vstart = (uint64_t)(uintptr_t)w->vmem + (uint64_t)o->page * PG;
		vend = vstart + o->size * PG;
		if (!host_map_one(w->kmem, o, w->m.mapped))
			harness_error("host-map on the KVM copy", o);
		vmmu_mmu_notifier_invalidate_range_start(w->vm, vstart, vend);
		ok = host_map_one(w->vmem, o, w->m.mapped);
		vmmu_mmu_notifier_invalidate_range_end(w->vm, vstart, vend);
		if (!ok)
			harness_error("host-map on the vmmu copy", o);
		for (uint64_t i = 0; i < o->size; i++) {
			if (o->kind == K_PROTECT_RO)
				w->m.ro[o->page + i] = w->m.mapped[o->page + i];
			else if (o->kind != K_DONTNEED)
				w->m.ro[o->page + i] = false;
			if (o->kind != K_DONTNEED && o->kind != K_PROTECT_RO)
				w->m.mapped[o->page + i] = o->kind != K_MUNMAP;
		}
		break;
	}

	if (!ok)
		return false;
	if (ko->ret != vo->ret || ko->nr_mmio != vo->nr_mmio || ko->value != vo->value ||
	    (ko->nr_mmio && (ko->mmio.gpa != vo->mmio.gpa || ko->mmio.len != vo->mmio.len ||
			     ko->mmio.is_write != vo->mmio.is_write ||
			     memcmp(ko->mmio.data, vo->mmio.data, ko->mmio.len > 8 ? 8 : ko->mmio.len)))) {
		if (!ko->known)
			snprintf(w->why, sizeof(w->why), "outcomes differ");
		return ko->known;
	}
	return true;
}

/* Compare both backing copies page by page (unmapped pages must agree too). */
bool full_check(struct world *w)
{
	for (uint64_t i = 0; i < BACKING_PAGES; i++) {
		if (!w->m.mapped[i])
			continue;
		if (memcmp(w->kmem + i * PG, w->vmem + i * PG, PG)) {
			snprintf(w->why, sizeof(w->why), "backing page %" PRIu64
				 " differs between the KVM and vmmu copies", i);
			return false;
		}
	}
	return true;
}

/* At the end: every dirty-logged slot's bitmap (GET, as the op would), or a harvest. */
bool final_logs(struct world *w, struct op *o)
{
	struct outcome ko, vo;

	if (w->ring_bytes) {
		memset(o, 0, sizeof(*o));
		o->type = T_RING_HARVEST;
		o->kind = K_HARVEST;
		return exec_op(w, o, &ko, &vo);
	}

	for (int i = 0; i < MODEL_MAX; i++) {
		const struct mslot *s = &w->m.s[i];

		if (!s->used || !(s->flags & MEM_LOG_DIRTY))
			continue;
		memset(o, 0, sizeof(*o));
		o->type = T_GET_LOG;
		o->kind = K_GET;
		o->slot = s->slot;
		if (!exec_op(w, o, &ko, &vo))
			return false;
	}
	return true;
}

void fmt_outcome(char *buf, size_t n, const struct op *o, const struct outcome *x)
{
	size_t l;

	if (x->ret) {
		snprintf(buf, n, "%s (%s)", errname(x->ret), strerror(-x->ret));
		if (o->type == T_ACCESS && x->ret == -EIO) {
			l = strlen(buf);
			snprintf(buf + l, n - l, ", KVM exit reason %u", x->exit_reason);
		}
		if (o->type == T_ACCESS && x->ret == -EFAULT &&
		    x->exit_reason == KVM_EXIT_MEMORY_FAULT) {
			l = strlen(buf);
			snprintf(buf + l, n - l, ", memory fault gpa %#" PRIx64 " size %#" PRIx64
				 " flags %#" PRIx64, x->mf.gpa, x->mf.size, x->mf.flags);
		}
		return;
	}
	if (o->type == T_RING_HARVEST) {
		snprintf(buf, n, "0, %u entries harvested", x->harvested);
		return;
	}
	if (o->type != T_ACCESS) {
		snprintf(buf, n, "0");
		return;
	}
	if (!x->nr_mmio) {
		if (o->write)
			snprintf(buf, n, "RAM");
		else
			snprintf(buf, n, "RAM, loaded %#" PRIx64, x->value);
		return;
	}
	snprintf(buf, n, "MMIO exit x%u: %s gpa=%#" PRIx64 " len=%u data=", x->nr_mmio,
		 x->mmio.is_write ? "write" : "read", x->mmio.gpa, x->mmio.len);
	for (uint32_t i = 0; i < x->mmio.len && i < 8; i++) {
		l = strlen(buf);
		snprintf(buf + l, n - l, "%02x", x->mmio.data[i]);
	}
	if (!o->write) {
		l = strlen(buf);
		snprintf(buf + l, n - l, ", loaded %#" PRIx64, x->value);
	}
}
