// SPDX-License-Identifier: MIT
/*
 * vmmu replay: replay a trace written by `vmmu shadow --record` (format in
 * docs/SHADOW.md) against vmmu and, where /dev/kvm opens, against a fresh
 * KVM VM, comparing every return value and dirty bitmap.
 *
 * The trace's host addresses belong to the process that was recorded: the
 * replay maps every range a slot used onto anonymous memory of its own (one
 * mapping per run of overlapping or touching ranges, so slots that shared
 * host memory share it again), and both VMs use that memory.
 *
 * What is compared, record by record:
 *   region(2), cap, vcpu   vmmu's return value against the recorded KVM
 *                          one, and against the replayed KVM VM's
 *   get                    return values as above; vmmu's bits within the
 *                          recorded KVM bits (equal where the record says
 *                          exact=1), equal to the bits vmmu gave when it was
 *                          recorded, and equal to the replayed KVM VM's
 *                          (no guest runs in the replay, so both hold only
 *                          what INITIALLY_SET and CLEAR left)
 *   clear                  return values
 *   mmio                   vmmu only (the replay runs no guest): the access
 *                          is an MMIO exit again
 *   inval                  vmmu's notifiers around MADV_DONTNEED of the
 *                          replay's memory (KVM sees that through its own)
 * The first divergence ends the run; the records before it are then shrunk
 * (chunks, then single records, removed while the same record still
 * diverges) and the reproducer is printed.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmmu.h"
#include "cmd.h"
#include "kvm_uapi.h"
#include "shadow/shadow.h"

#define RP_PAGE		4096ull
#define RP_MAX_VMS	16
/* The largest slot a trace may record as accepted: what the replay maps. */
#define RP_MAX_SLOT_BYTES	(1ull << 40)
/* A return value in a trace: 0 or more, or a negative errno. */
#define RP_MIN_RET	(-4095)
/* replay_run(): the replay itself failed */
#define RP_FAILED	(SIZE_MAX - 1)

enum rp_kind { RP_VM, RP_REGION, RP_REGION2, RP_CAP, RP_VCPU, RP_GET, RP_CLEAR, RP_MMIO, RP_INVAL };

struct rp_rec {
	enum rp_kind kind;
	int vm;
	int lineno;
	char *line;		/* the trace line, for the reproducer */
	uint32_t slot, flags, num, len, id;	/* flags: also a cap's (0 if absent) */
	uint64_t gpa, size, hva, first, pages, start, end, arg;
	uint32_t nr_slots, nr_as, gpa_bits;
	int kvm, vmmu, exact, write;
	const char *kbits, *vbits, *bits;	/* into line */
};

struct rp_map {			/* recorded host range -> replay memory */
	uint64_t start, end;
	uint8_t *mem;
};

struct rp_trace {
	struct rp_rec *recs;
	size_t nr;
	struct rp_map *maps;
	size_t nr_maps;
};

struct rp_opts {
	bool use_kvm;
	bool verbose;
};

struct rp_stats {
	uint64_t memslot, dirty, get, clear, mmio, inval, kvm_calls;
};

static int kvm_sys_fd = -1;

void cmd_replay_usage(void)
{
	printf("usage: vmmu replay [options] FILE\n"
	       "Replay a trace of 'vmmu shadow --record' against vmmu and, where /dev/kvm\n"
	       "opens, against a fresh KVM VM; compare every return value and dirty bitmap\n"
	       "with the trace and between the two; shrink to the first divergence.\n"
	       "  --no-kvm       vmmu only, even where /dev/kvm exists\n"
	       "  --no-shrink    report the first divergence without shrinking\n"
	       "  -v, --verbose  print each record as it is replayed\n"
	       "Exit status: 0 no divergence; 1 a divergence (\"DIVERGENCE at line N\"); 2 a bad\n"
	       "command line; 3 the replay could not be made: the trace cannot be read or is\n"
	       "malformed (the line is named), or memory, a VM or /dev/kvm failed.\n");
}

/* ------------------------------------------------------------------------ */
/* Parsing                                                                   */
/* ------------------------------------------------------------------------ */

/* The text after " key=" in @line, or NULL. */
static const char *field_at(const char *line, const char *key)
{
	char pat[32];
	const char *p;

	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(line, pat);
	return p ? p + strlen(pat) : NULL;
}

static bool field_end(const char *end)
{
	return *end == ' ' || *end == '\0' || *end == '\n';
}

/* The unsigned value of " key=" in @line, at most @max; false if absent or bad. */
static bool field_u64(const char *line, const char *key, uint64_t max, uint64_t *v)
{
	const char *p = field_at(line, key);
	char *end;

	if (!p || *p < '0' || *p > '9')		/* no sign, no blank */
		return false;
	errno = 0;
	*v = strtoull(p, &end, 0);
	return !errno && field_end(end) && *v <= max;
}

/* The signed value of " key=" in @line, within [@min, @max]. */
static bool field_s64(const char *line, const char *key, int64_t min, int64_t max, int64_t *v)
{
	const char *p = field_at(line, key);
	char *end;

	if (!p || (*p != '-' && (*p < '0' || *p > '9')))
		return false;
	errno = 0;
	*v = strtoll(p, &end, 0);
	return !errno && end != p && field_end(end) && *v >= min && *v <= max;
}

/*
 * The field @key into @dst, or the line is malformed: NEED for an unsigned
 * value of at most @max (never more than @dst holds), NEED_RET for a return
 * value (a negative errno, or 0 and up).
 */
#define NEED(key, dst, max) do {					\
		uint64_t v_;						\
		if (!field_u64(line, key, max, &v_)) {			\
			missing = key;					\
			goto bad;					\
		}							\
		dst = (__typeof__(dst))v_;				\
	} while (0)
#define NEED_RET(key, dst) do {						\
		int64_t v_;						\
		if (!field_s64(line, key, RP_MIN_RET, INT_MAX, &v_)) {	\
			missing = key;					\
			goto bad;					\
		}							\
		dst = (int)v_;						\
	} while (0)

/* A bitmap of the trace: "?" (not recorded) or valid for @npages pages. */
static bool bits_ok(const char *s, uint64_t npages)
{
	return (s[0] == '?' && field_end(s + 1)) || !shadow_bits_parse(s, NULL, npages);
}

static int parse_line(char *line, int lineno, struct rp_rec *r)
{
	const char *missing = NULL, *sp = strchr(line, ' ');
	char kind[16], *end;
	long vm;

	memset(r, 0, sizeof(*r));
	r->lineno = lineno;
	r->line = line;
	if (!sp || sp == line || (size_t)(sp - line) >= sizeof(kind) || sp[1] < '0' ||
	    sp[1] > '9' || (errno = 0, vm = strtol(sp + 1, &end, 10), errno) ||
	    !field_end(end) || vm >= RP_MAX_VMS) {
		fprintf(stderr, "vmmu replay: line %d: expected 'KIND VM ...' (VM 0..%d): %s\n",
			lineno, RP_MAX_VMS - 1, line);
		return -EINVAL;
	}
	memcpy(kind, line, (size_t)(sp - line));
	kind[sp - line] = '\0';
	r->vm = (int)vm;
	if (!strcmp(kind, "vm")) {
		r->kind = RP_VM;
		NEED("type", r->arg, UINT32_MAX);
		NEED("nr_slots", r->nr_slots, UINT32_MAX);
		NEED("nr_as", r->nr_as, UINT32_MAX);
		NEED("gpa_bits", r->gpa_bits, UINT32_MAX);
	} else if (!strcmp(kind, "region") || !strcmp(kind, "region2")) {
		r->kind = kind[6] ? RP_REGION2 : RP_REGION;
		NEED("slot", r->slot, UINT32_MAX);
		NEED("flags", r->flags, UINT32_MAX);
		NEED("gpa", r->gpa, UINT64_MAX);
		NEED("size", r->size, UINT64_MAX);
		NEED("hva", r->hva, UINT64_MAX);
		NEED_RET("kvm", r->kvm);
		NEED_RET("vmmu", r->vmmu);
		if (!r->kvm && r->size > RP_MAX_SLOT_BYTES) {
			missing = "size (a slot KVM took that is larger than the replay maps, 1 TiB)";
			goto bad;
		}
	} else if (!strcmp(kind, "cap")) {
		r->kind = RP_CAP;
		NEED("manual_protect", r->arg, UINT64_MAX);
		if (field_at(line, "flags"))	/* traces before it have none */
			NEED("flags", r->flags, UINT32_MAX);
		NEED_RET("kvm", r->kvm);
		NEED_RET("vmmu", r->vmmu);
	} else if (!strcmp(kind, "vcpu")) {
		r->kind = RP_VCPU;
		NEED("id", r->id, UINT32_MAX);
		NEED_RET("kvm", r->kvm);
		NEED_RET("vmmu", r->vmmu);
	} else if (!strcmp(kind, "get")) {
		r->kind = RP_GET;
		NEED("slot", r->slot, UINT32_MAX);
		NEED("pages", r->pages, VMMU_MEM_MAX_NR_PAGES);
		NEED("exact", r->exact, 1);
		NEED_RET("kvm", r->kvm);
		NEED_RET("vmmu", r->vmmu);
		r->kbits = field_at(line, "kbits");
		r->vbits = field_at(line, "vbits");
		if (!r->kbits || !r->vbits || !bits_ok(r->kbits, r->pages) ||
		    !bits_ok(r->vbits, r->pages)) {
			missing = "kbits/vbits";
			goto bad;
		}
	} else if (!strcmp(kind, "clear")) {
		r->kind = RP_CLEAR;
		NEED("slot", r->slot, UINT32_MAX);
		NEED("first", r->first, UINT64_MAX);
		NEED("num", r->num, UINT32_MAX);
		NEED_RET("kvm", r->kvm);
		NEED_RET("vmmu", r->vmmu);
		r->bits = field_at(line, "bits");
		if (!r->bits || !bits_ok(r->bits, r->num)) {
			missing = "bits";
			goto bad;
		}
	} else if (!strcmp(kind, "mmio")) {
		r->kind = RP_MMIO;
		NEED("vcpu", r->id, UINT32_MAX);
		NEED("gpa", r->gpa, UINT64_MAX);
		NEED("len", r->len, 8);
		NEED("write", r->write, 1);
		NEED_RET("vmmu", r->vmmu);
		if (r->len < 1) {
			missing = "len (1..8)";
			goto bad;
		}
	} else if (!strcmp(kind, "inval")) {
		r->kind = RP_INVAL;
		NEED("start", r->start, UINT64_MAX);
		NEED("end", r->end, UINT64_MAX);
	} else {
		fprintf(stderr, "vmmu replay: line %d: unknown record '%s'\n", lineno, kind);
		return -EINVAL;
	}
	return 0;
bad:
	fprintf(stderr, "vmmu replay: line %d: missing or bad %s: %s\n", lineno, missing, line);
	return -EINVAL;
}

static int cmp_map(const void *a, const void *b)
{
	const struct rp_map *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* One anonymous mapping per run of overlapping host ranges. */
static int build_maps(struct rp_trace *t)
{
	struct rp_map *m = calloc(t->nr ? t->nr : 1, sizeof(*m));
	size_t n = 0, k = 0;

	if (!m)
		return -ENOMEM;
	for (size_t i = 0; i < t->nr; i++) {
		const struct rp_rec *r = &t->recs[i];

		if ((r->kind == RP_REGION || r->kind == RP_REGION2) && r->size &&
		    r->hva + r->size > r->hva && r->size <= (1ull << 40))
			m[n++] = (struct rp_map){ .start = r->hva & ~(RP_PAGE - 1),
						  .end = (r->hva + r->size + RP_PAGE - 1) & ~(RP_PAGE - 1) };
	}
	qsort(m, n, sizeof(*m), cmp_map);
	for (size_t i = 0; i < n; i++) {
		if (k && m[i].start <= m[k - 1].end) {
			if (m[i].end > m[k - 1].end)
				m[k - 1].end = m[i].end;
		} else {
			m[k++] = m[i];
		}
	}
	for (size_t i = 0; i < k; i++) {
		void *p = mmap(NULL, m[i].end - m[i].start, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (p == MAP_FAILED) {
			fprintf(stderr, "vmmu replay: cannot map %#" PRIx64 " bytes of host memory: %s\n",
				m[i].end - m[i].start, strerror(errno));
			for (size_t j = 0; j < i; j++)
				munmap(m[j].mem, m[j].end - m[j].start);
			free(m);
			return -ENOMEM;
		}
		m[i].mem = p;
	}
	t->maps = m;
	t->nr_maps = k;
	return 0;
}

/* The replay's address for recorded host address @hva (0 if none). */
static uint64_t map_hva(const struct rp_trace *t, uint64_t hva)
{
	for (size_t i = 0; i < t->nr_maps; i++)
		if (hva >= t->maps[i].start && hva < t->maps[i].end)
			return (uint64_t)(uintptr_t)t->maps[i].mem + (hva - t->maps[i].start);
	return 0;
}

static int load_trace(const char *path, struct rp_trace *t)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, max = 0;
	uint32_t vms_seen = 0;
	ssize_t len;
	int lineno = 0, ret = 0;

	memset(t, 0, sizeof(*t));
	if (!f) {
		fprintf(stderr, "vmmu replay: cannot open '%s': %s\n", path, strerror(errno));
		return -errno;
	}
	while ((errno = 0, len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		if (lineno == 1) {
			if (strcmp(line, SHADOW_TRACE_MAGIC)) {
				fprintf(stderr, "vmmu replay: %s: not a trace (first line '%s')\n", path,
					line);
				ret = -EINVAL;
				break;
			}
			continue;
		}
		if (!len || line[0] == '#')
			continue;
		if (t->nr == max) {
			size_t n = max ? 2 * max : 256;
			struct rp_rec *p = realloc(t->recs, n * sizeof(*p));

			if (!p) {
				fprintf(stderr, "vmmu replay: out of memory at line %d\n", lineno);
				ret = -ENOMEM;
				break;
			}
			t->recs = p;
			max = n;
		}
		{
			char *copy = strdup(line);

			if (!copy) {
				fprintf(stderr, "vmmu replay: out of memory at line %d\n", lineno);
				ret = -ENOMEM;
				break;
			}
			ret = parse_line(copy, lineno, &t->recs[t->nr]);
			if (!ret) {
				const struct rp_rec *r = &t->recs[t->nr];

				if (r->kind == RP_VM && (vms_seen & (1u << r->vm))) {
					fprintf(stderr, "vmmu replay: line %d: VM %d created twice\n",
						lineno, r->vm);
					ret = -EINVAL;
				} else if (r->kind != RP_VM && !(vms_seen & (1u << r->vm))) {
					fprintf(stderr, "vmmu replay: line %d: VM %d has no 'vm' record "
						"before it\n", lineno, r->vm);
					ret = -EINVAL;
				}
				vms_seen |= 1u << r->vm;
			}
			if (ret) {
				free(copy);
				break;
			}
			t->nr++;
		}
	}
	if (!ret && ferror(f)) {
		ret = errno ? -errno : -EIO;
		fprintf(stderr, "vmmu replay: %s: read error after line %d: %s\n", path, lineno,
			strerror(-ret));
	}
	if (!ret && lineno == 0) {
		fprintf(stderr, "vmmu replay: %s: empty\n", path);
		ret = -EINVAL;
	}
	free(line);
	fclose(f);
	if (!ret)
		ret = build_maps(t);
	return ret;
}

static void free_trace(struct rp_trace *t)
{
	for (size_t i = 0; i < t->nr; i++)
		free(t->recs[i].line);
	free(t->recs);
	for (size_t i = 0; i < t->nr_maps; i++)
		munmap(t->maps[i].mem, t->maps[i].end - t->maps[i].start);
	free(t->maps);
}

/* ------------------------------------------------------------------------ */
/* One run                                                                   */
/* ------------------------------------------------------------------------ */

struct rp_vcpu {
	struct vmmu_vcpu *vcpu;
	int vm;
	uint32_t id;
	int kfd;
};

/* The pages of a slot vmmu took, for the bitmaps. */
struct rp_slot {
	int vm;
	uint32_t slot;
	uint64_t pages;
};

/* Both tables grow with the trace: a VM may have as many as KVM allows. */
struct rp_world {
	struct vmmu_vm *vm[RP_MAX_VMS];
	int kvm_vm[RP_MAX_VMS];
	struct rp_vcpu *vcpus;
	size_t nr_vcpus, cap_vcpus;
	struct rp_slot *slots;
	size_t nr_slots, cap_slots;
};

/* Room for one more of @size-byte elements in *@p; false if out of memory. */
static bool grow(void **p, size_t nr, size_t *cap, size_t size)
{
	size_t n = *cap ? 2 * *cap : 64;
	void *q;

	if (nr < *cap)
		return true;
	q = realloc(*p, n * size);
	if (!q)
		return false;
	*p = q;
	*cap = n;
	return true;
}

static uint64_t *slot_pages_ref(struct rp_world *w, int vm, uint32_t slot)
{
	for (size_t i = 0; i < w->nr_slots; i++)
		if (w->slots[i].vm == vm && w->slots[i].slot == slot)
			return &w->slots[i].pages;
	return NULL;
}

/* False if out of memory. */
static bool slot_pages_set(struct rp_world *w, int vm, uint32_t slot, uint64_t pages)
{
	uint64_t *p = slot_pages_ref(w, vm, slot);

	if (p) {
		*p = pages;
		return true;
	}
	if (!grow((void **)&w->slots, w->nr_slots, &w->cap_slots, sizeof(*w->slots)))
		return false;
	w->slots[w->nr_slots++] = (struct rp_slot){ vm, slot, pages };
	return true;
}

static void world_free(struct rp_world *w)
{
	for (size_t i = 0; i < w->nr_vcpus; i++) {
		if (w->vcpus[i].vcpu)
			vmmu_vcpu_destroy(w->vcpus[i].vcpu);
		if (w->vcpus[i].kfd >= 0)
			close(w->vcpus[i].kfd);
	}
	free(w->vcpus);
	free(w->slots);
	for (int i = 0; i < RP_MAX_VMS; i++) {
		if (w->vm[i])
			vmmu_vm_destroy(w->vm[i]);
		if (w->kvm_vm[i] >= 0)
			close(w->kvm_vm[i]);
	}
	free(w);
}

static int kvm_call(int fd, unsigned long req, const void *arg)
{
	int r = ioctl(fd, req, arg);

	return r < 0 ? -errno : r;
}

static const char *errname(int r, char *buf, size_t size)
{
	if (r >= 0)
		snprintf(buf, size, "%d", r);
	else
		snprintf(buf, size, "-%s", strerrorname_np(-r) ? strerrorname_np(-r) : "?");
	return buf;
}

/* Set @why and return true when the outcomes differ. */
static bool rets_differ(const struct rp_rec *r, int vret, int kret, bool have_kvm, char *why,
			size_t size)
{
	char a[32], b[32], c[32];

	if (vret != r->kvm || (have_kvm && kret != vret)) {
		snprintf(why, size, "vmmu %s, recorded KVM %s, replayed KVM %s",
			 errname(vret, a, sizeof(a)), errname(r->kvm, b, sizeof(b)),
			 have_kvm ? errname(kret, c, sizeof(c)) : "(none)");
		return true;
	}
	return false;
}

static bool bits_test(const uint64_t *bm, uint64_t i)
{
	return (bm[i / 64] >> (i % 64)) & 1;
}

/*
 * Replay the records whose keep[] is set.  Return the index of the first
 * divergence (its description in @why), SIZE_MAX if none, or RP_FAILED on
 * a failure of the replay itself, said on stderr (out of memory, a VM the
 * trace describes that vmmu or KVM cannot create).
 */
static size_t replay_run(const struct rp_trace *t, const bool *keep, const struct rp_opts *o,
			 struct rp_stats *st, char *why, size_t wsize)
{
	struct rp_world *w = calloc(1, sizeof(*w));
	size_t ret = SIZE_MAX;

	if (!w) {
		fprintf(stderr, "vmmu replay: out of memory\n");
		return RP_FAILED;
	}
	for (int i = 0; i < RP_MAX_VMS; i++)
		w->kvm_vm[i] = -1;
	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i < t->nr && ret == SIZE_MAX; i++) {
		const struct rp_rec *r = &t->recs[i];
		struct vmmu_vm *vm = w->vm[r->vm];
		int kfd = w->kvm_vm[r->vm];
		bool have_kvm = kfd >= 0;
		int vret = 0, kret = 0;

		if (!keep[i])
			continue;
		if (o->verbose)
			printf("  %5d %s\n", r->lineno, r->line);
		if (r->kind != RP_VM && !vm) {
			snprintf(why, wsize, "record for VM %d before its 'vm' record", r->vm);
			ret = i;
			break;
		}
		switch (r->kind) {
		case RP_VM: {
			struct vmmu_vm_config cfg = {
				.size = sizeof(cfg), .nr_address_spaces = r->nr_as,
				.max_user_slots = r->nr_slots, .max_gpa_bits = r->gpa_bits,
				.flags = VMMU_VM_SYMMETRIC_FENCE,
			};

			if (vm) {
				snprintf(why, wsize, "VM %d created twice", r->vm);
				ret = i;
				break;
			}
			/* the shadow records only VMs vmmu created: else the trace is bad */
			vret = vmmu_vm_create(&cfg, &w->vm[r->vm]);
			if (vret) {
				fprintf(stderr, "vmmu replay: line %d: vmmu_vm_create(slots %u, address "
					"spaces %u, gpa bits %u): %s\n", r->lineno, r->nr_slots, r->nr_as,
					r->gpa_bits, vmmu_strerror(vret));
				w->vm[r->vm] = NULL;
				ret = RP_FAILED;
				break;
			}
			if (o->use_kvm) {
				w->kvm_vm[r->vm] = ioctl(kvm_sys_fd, KVM_CREATE_VM, (unsigned long)r->arg);
				if (w->kvm_vm[r->vm] < 0) {
					fprintf(stderr, "vmmu replay: line %d: KVM_CREATE_VM(%" PRIu64 "): "
						"%s\n", r->lineno, r->arg, strerror(errno));
					ret = RP_FAILED;
				}
			}
			break;
		}
		case RP_REGION:
		case RP_REGION2: {
			struct vmmu_userspace_memory_region2 m = {
				.slot = r->slot, .flags = r->flags, .guest_phys_addr = r->gpa,
				.memory_size = r->size,
				.userspace_addr = r->size ? map_hva(t, r->hva) : 0,
			};

			if (r->size && !m.userspace_addr) {	/* not page-aligned or absurd */
				m.userspace_addr = r->hva;
			}
			st->memslot++;
			if (r->kind == RP_REGION2)
				vret = vmmu_set_user_memory_region2(vm, &m);
			else
				vret = vmmu_set_user_memory_region(vm, (const void *)&m);
			if (have_kvm) {
				st->kvm_calls++;
				kret = kvm_call(kfd, r->kind == RP_REGION2 ? KD_SET_USER_MEMORY_REGION2 :
						KVM_SET_USER_MEMORY_REGION, &m);
			}
			if (!vret && !slot_pages_set(w, r->vm, r->slot, r->size / RP_PAGE)) {
				fprintf(stderr, "vmmu replay: out of memory\n");
				ret = RP_FAILED;
				break;
			}
			if (rets_differ(r, vret, kret, have_kvm, why, wsize))
				ret = i;
			break;
		}
		case RP_CAP: {
			struct kvm_enable_cap cap = { .cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
						      .flags = r->flags, .args = { r->arg } };

			st->dirty++;
			/* KVM refuses any flags; vmmu's call has none (as the shadow) */
			vret = r->flags ? -EINVAL : vmmu_vm_enable_manual_dirty_log_protect(vm, r->arg);
			if (have_kvm) {
				st->kvm_calls++;
				kret = kvm_call(kfd, KVM_ENABLE_CAP, &cap);
			}
			if (rets_differ(r, vret, kret, have_kvm, why, wsize))
				ret = i;
			break;
		}
		case RP_VCPU: {
			struct vmmu_vcpu *vcpu = NULL;
			int kv = -1;

			vret = vmmu_vcpu_create(vm, r->id, &vcpu);
			if (have_kvm) {
				st->kvm_calls++;
				kv = ioctl(kfd, KVM_CREATE_VCPU, (unsigned long)r->id);
				kret = kv < 0 ? -errno : 0;
			}
			if (grow((void **)&w->vcpus, w->nr_vcpus, &w->cap_vcpus, sizeof(*w->vcpus))) {
				w->vcpus[w->nr_vcpus++] = (struct rp_vcpu){
					.vcpu = vret ? NULL : vcpu, .vm = r->vm, .id = r->id, .kfd = kv,
				};
			} else {
				if (!vret)
					vmmu_vcpu_destroy(vcpu);
				if (kv >= 0)
					close(kv);
				fprintf(stderr, "vmmu replay: out of memory\n");
				ret = RP_FAILED;
				break;
			}
			if (rets_differ(r, vret, kret, have_kvm, why, wsize))
				ret = i;
			break;
		}
		case RP_GET: {
			/* vmmu's slot: both VMs have it so far, and write its bitmap */
			uint64_t *pp = slot_pages_ref(w, r->vm, r->slot);
			uint64_t npages = pp ? *pp : 0, words = shadow_bitmap_words(npages) + 1;
			uint64_t *vbm = calloc(words, 8), *kbm = have_kvm ? calloc(words, 8) : NULL;
			uint64_t *rb = NULL;
			/* a recorded -EFAULT: the bitmap could not be written; here none is given */
			bool efault = r->kvm == -EFAULT;

			st->dirty++;
			st->get++;
			if (!vbm || (have_kvm && !kbm)) {
				fprintf(stderr, "vmmu replay: out of memory\n");
				ret = RP_FAILED;
				goto get_done;
			}
			vret = vmmu_get_dirty_log(vm, r->slot, efault ? NULL : vbm);
			if (have_kvm) {
				struct kvm_dirty_log log = { .slot = r->slot,
							     .dirty_bitmap = efault ? NULL : kbm };

				st->kvm_calls++;
				kret = kvm_call(kfd, KVM_GET_DIRTY_LOG, &log);
			}
			if (rets_differ(r, vret, kret, have_kvm, why, wsize)) {
				ret = i;
				goto get_done;
			}
			if (vret)
				goto get_done;
			if (npages != r->pages) {
				snprintf(why, wsize, "the slot has %" PRIu64 " pages in the replay, %" PRIu64
					 " in the trace", npages, r->pages);
				ret = i;
				goto get_done;
			}
			for (uint64_t p = 0; p < npages && have_kvm; p++) {
				bool v = bits_test(vbm, p);

				if (v != bits_test(kbm, p)) {
					snprintf(why, wsize, "page %" PRIu64 ": vmmu %d, replayed KVM %d", p,
						 v, !v);
					ret = i;
					goto get_done;
				}
			}
			/* the recorded bitmaps (checked when the trace was read), in turn */
			rb = calloc(words, 8);
			if (!rb) {
				fprintf(stderr, "vmmu replay: out of memory\n");
				ret = RP_FAILED;
				goto get_done;
			}
			if (r->kbits[0] != '?' && !shadow_bits_parse(r->kbits, rb, npages)) {
				for (uint64_t p = 0; p < npages; p++) {
					bool v = bits_test(vbm, p), k = bits_test(rb, p);

					if ((v && !k) || (r->exact && v != k)) {
						snprintf(why, wsize, "page %" PRIu64 ": vmmu %d, recorded KVM "
							 "%d%s", p, v, k, r->exact ? " (exact)" : "");
						ret = i;
						goto get_done;
					}
				}
			}
			if (r->vbits[0] != '?' && !shadow_bits_parse(r->vbits, rb, npages)) {
				for (uint64_t p = 0; p < npages; p++) {
					bool v = bits_test(vbm, p);

					if (v != bits_test(rb, p)) {
						snprintf(why, wsize, "page %" PRIu64 ": vmmu %d, recorded vmmu "
							 "%d", p, v, !v);
						ret = i;
						goto get_done;
					}
				}
			}
get_done:
			free(vbm);
			free(kbm);
			free(rb);
			break;
		}
		case RP_CLEAR: {
			uint64_t *pp = slot_pages_ref(w, r->vm, r->slot);
			uint64_t *bm = NULL;

			st->dirty++;
			st->clear++;
			/*
			 * "?": the bitmap was not read (NULL, or KVM refused): none is
			 * given.  Nor for a range past vmmu's slot: both VMs refuse it
			 * before they read a bitmap, so none of num's size is made.
			 */
			if (r->bits[0] != '?' && pp && r->first <= *pp && r->num <= *pp - r->first) {
				bm = calloc(shadow_bitmap_words(r->num) + 1, 8);
				if (!bm) {
					fprintf(stderr, "vmmu replay: out of memory\n");
					ret = RP_FAILED;
					break;
				}
				shadow_bits_parse(r->bits, bm, r->num);	/* checked when read */
			}
			vret = vmmu_clear_dirty_log(vm, r->slot, r->first, r->num, bm);
			if (have_kvm) {
				struct kvm_clear_dirty_log log = { .slot = r->slot, .num_pages = r->num,
								   .first_page = r->first,
								   .dirty_bitmap = bm };

				st->kvm_calls++;
				kret = kvm_call(kfd, KVM_CLEAR_DIRTY_LOG, &log);
			}
			free(bm);
			if (rets_differ(r, vret, kret, have_kvm, why, wsize))
				ret = i;
			break;
		}
		case RP_MMIO: {
			struct vmmu_vcpu *vcpu = NULL;
			struct vmmu_exit exit = { 0 };
			uint8_t data[8] = { 0 };

			for (size_t k = 0; k < w->nr_vcpus; k++)
				if (w->vcpus[k].vm == r->vm && w->vcpus[k].id == r->id)
					vcpu = w->vcpus[k].vcpu;
			if (!vcpu) {
				snprintf(why, wsize, "no vCPU %u", r->id);
				ret = i;
				break;
			}
			st->mmio++;
			vret = vmmu_vcpu_access(vcpu, r->gpa, data, r->len,
						r->write ? VMMU_ACCESS_WRITE : 0, &exit);
			if (vret != VMMU_EXIT_MMIO || exit.mmio.phys_addr != r->gpa ||
			    exit.mmio.len != r->len) {
				snprintf(why, wsize, "vmmu: %d (not an MMIO exit at %#" PRIx64 " len %u; "
					 "KVM exited to MMIO there)", vret, r->gpa, r->len);
				ret = i;
			}
			break;
		}
		case RP_INVAL: {
			uint64_t a = map_hva(t, r->start), len = r->end - r->start;

			st->inval++;
			if (!a || r->end <= r->start || !map_hva(t, r->end - 1) ||
			    map_hva(t, r->end - 1) - a != len - 1)
				break;	/* outside the replay's memory: nothing to change */
			vmmu_mmu_notifier_invalidate_range_start(vm, a, a + len);
			madvise((void *)(uintptr_t)a, len, MADV_DONTNEED);
			vmmu_mmu_notifier_invalidate_range_end(vm, a, a + len);
			break;
		}
		}
	}
	world_free(w);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* Shrinking and the command                                                 */
/* ------------------------------------------------------------------------ */

/*
 * Remove chunks, then single records, before @d while record @d still
 * diverges in the same way (@want, the divergence's description).
 */
static void shrink(const struct rp_trace *t, bool *keep, size_t d, const struct rp_opts *o,
		   const char *want)
{
	bool *saved = malloc(d ? d : 1);
	struct rp_stats st;
	char why[512];
	size_t runs = 0;

	if (!saved) {
		printf("replay: out of memory: not shrunk\n");
		return;
	}
	for (size_t chunk = d / 2 ? d / 2 : 1;; chunk /= 2) {
		for (size_t s = 0; s < d; s += chunk) {
			size_t e = s + chunk < d ? s + chunk : d, n = 0;

			for (size_t i = s; i < e; i++) {
				saved[i - s] = keep[i];
				if (keep[i] && t->recs[i].kind != RP_VM) {
					keep[i] = false;
					n++;
				}
			}
			if (!n)
				continue;
			runs++;
			if (replay_run(t, keep, o, &st, why, sizeof(why)) != d || strcmp(why, want))
				for (size_t i = s; i < e; i++)
					keep[i] = saved[i - s];
		}
		if (chunk == 1)
			break;
	}
	free(saved);
	printf("replay: shrunk in %zu runs\n", runs);
}

int cmd_replay(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "no-kvm", no_argument, NULL, 'K' },
		{ "no-shrink", no_argument, NULL, 'S' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct rp_opts o = { .use_kvm = true };
	bool do_shrink = true;
	struct rp_trace t;
	struct rp_stats st;
	char why[512] = "";
	bool *keep;
	size_t d;
	int opt, ret;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "v", lopts, NULL)) != -1) {
		switch (opt) {
		case 'K':
			o.use_kvm = false;
			break;
		case 'S':
			do_shrink = false;
			break;
		case 'v':
			o.verbose = true;
			break;
		default:
			fprintf(stderr, "vmmu replay: unknown option '%s'\n", argv[optind - 1]);
			return CMD_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "vmmu replay: expected one trace FILE\n");
		return CMD_USAGE;
	}
	if (load_trace(argv[optind], &t)) {
		free_trace(&t);
		printf("replay: FAILED: the trace cannot be replayed\n");
		return CMD_ERROR;
	}
	if (o.use_kvm) {
		kvm_sys_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
		if (kvm_sys_fd < 0) {
			printf("replay: /dev/kvm: %s: replaying against vmmu only\n", strerror(errno));
			o.use_kvm = false;
		}
	}
	keep = malloc((t.nr ? t.nr : 1) * sizeof(*keep));
	if (!keep) {
		fprintf(stderr, "vmmu replay: out of memory\n");
		free_trace(&t);
		if (kvm_sys_fd >= 0)
			close(kvm_sys_fd);
		return CMD_ERROR;
	}
	for (size_t i = 0; i < t.nr; i++)
		keep[i] = true;

	d = replay_run(&t, keep, &o, &st, why, sizeof(why));
	printf("replay: %s: %zu records, %zu host ranges; memslot calls %" PRIu64 ", dirty-log calls "
	       "%" PRIu64 " (GET %" PRIu64 ", CLEAR %" PRIu64 "), MMIO exits %" PRIu64 ", host-memory "
	       "changes %" PRIu64 "; against %s (%" PRIu64 " KVM calls)\n", argv[optind], t.nr,
	       t.nr_maps, st.memslot, st.dirty, st.get, st.clear, st.mmio, st.inval,
	       o.use_kvm ? "vmmu and /dev/kvm" : "vmmu", st.kvm_calls);
	if (d == SIZE_MAX) {
		printf("replay: no divergence\n");
		ret = CMD_OK;
	} else if (d == RP_FAILED) {
		printf("replay: FAILED: the replay itself failed (above)\n");
		ret = CMD_ERROR;
	} else {
		printf("replay: DIVERGENCE at line %d: %s\n  %s\n", t.recs[d].lineno, t.recs[d].line,
		       why);
		if (do_shrink) {
			size_t n = 0;

			for (size_t i = d + 1; i < t.nr; i++)
				keep[i] = false;
			shrink(&t, keep, d, &o, why);
			for (size_t i = 0; i <= d; i++)
				n += keep[i];
			printf("replay: reproducer (%zu of %zu records):\n%s\n", n, d + 1,
			       SHADOW_TRACE_MAGIC);
			for (size_t i = 0; i <= d; i++)
				if (keep[i])
					printf("%s\n", t.recs[i].line);
		}
		ret = CMD_FAIL;
	}
	free(keep);
	free_trace(&t);
	if (kvm_sys_fd >= 0)
		close(kvm_sys_fd);
	return ret;
}
