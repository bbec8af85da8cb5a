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

static bool page_unmapped(const uint8_t *base, uint64_t page)
{
	unsigned char vec;

	return mincore((void *)(base + page * PG), PG, &vec) < 0 && errno == ENOMEM;
}

static void exec_access(struct world *w, const struct op *o, struct outcome *ko,
			struct outcome *vo)
{
	struct kvm_guest_cmd cmd = {
		.write = o->write, .len = o->len, .gpa = (uint32_t)o->gpa, .value = o->value,
	};
	struct kvm_guest_result res;
	struct vmmu_exit ex;
	uint64_t data = o->value;
	uint32_t flags = o->write ? VMMU_ACCESS_WRITE : 0;
	int r;

	kvm_guest_access(&w->g, &cmd, &res);
	ko->ret = res.ret;
	ko->nr_mmio = res.nr_mmio;
	if (res.nr_mmio)
		ko->mmio = res.mmio[0];
	ko->value = res.value;
	ko->exit_reason = res.exit_reason;

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
	} else {
		vo->ret = r;
		vo->value = !r && !o->write ? data : 0;
	}
	if (!o->write && o->len < 8) {
		vo->value &= (1ull << (o->len * 8)) - 1;
		ko->value &= (1ull << (o->len * 8)) - 1;
	}
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

	case T_ACCESS: {
		struct mslot *s;
		int64_t page = model_backing_page(&w->m, o->gpa, &s);
		bool hole = page >= 0 && !w->m.mapped[page];

		if (hole && (!page_unmapped(w->kmem, (uint64_t)page) ||
			     !page_unmapped(w->vmem, (uint64_t)page))) {
			errno = EEXIST;
			harness_error("an unmapped backing page was mapped again by someone else", o);
		}
		exec_access(w, o, ko, vo);
		/*
		 * Known difference: a guest access to a slot page whose host
		 * memory is unmapped exits to user space as MMIO on this kernel
		 * (KVM-PVM), while vmmu returns -EFAULT.  Accept exactly that.
		 */
		if (hole && vo->ret == -EFAULT && !ko->ret && ko->nr_mmio == 1 &&
		    ko->mmio.gpa == o->gpa && ko->mmio.len == o->len &&
		    ko->mmio.is_write == o->write) {
			ko->known = vo->known = true;
			if (kd_counting)
				kd_st.acc_known_efault++;
			break;
		}
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
		if (w->m.mapped[o->page]) {
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
		for (uint64_t i = 0; i < o->size && o->kind != K_DONTNEED; i++)
			w->m.mapped[o->page + i] = o->kind != K_MUNMAP;
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

/* At the end: every dirty-logged slot's bitmap (GET, as the op would). */
bool final_logs(struct world *w, struct op *o)
{
	struct outcome ko, vo;

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
