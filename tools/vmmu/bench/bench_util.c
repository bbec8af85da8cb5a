// SPDX-License-Identifier: MIT
/*
 * vmmu bench: the clock, samples and their reduction, the result registry
 * with its table / SUMMARY / JSON output, the machine description, and the
 * forked KVM worker.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "vmmu.h"
#include "bench.h"

double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void bench_fig_reduce(struct bench_fig *f, double *v, unsigned int n)
{
	memset(f, 0, sizeof(*f));
	if (!n)
		return;
	qsort(v, n, sizeof(*v), cmp_double);
	f->n = n;
	f->min = v[0];
	f->max = v[n - 1];
	f->median = n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void *bench_map(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void bench_unmap(void *p, size_t bytes)
{
	if (p)
		munmap(p, bytes);
}

void bench_progress(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "bench: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int bench_set_region(struct vmmu_vm *vm, uint32_t slot, uint32_t flags, uint64_t gpa,
		     uint64_t size, const void *hva)
{
	const struct vmmu_userspace_memory_region r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)hva,
	};

	return vmmu_set_user_memory_region(vm, &r);
}

int bench_vm_open(struct bench_vm *b, const struct bench_vm_spec *spec)
{
	struct vmmu_vm_config cfg = { .flags = spec->vm_flags };
	uint64_t pages = spec->slot_size / BENCH_PAGE;
	uint64_t per = spec->nr_slots ? pages / spec->nr_slots : 0;
	int r;

	memset(b, 0, sizeof(*b));
	if (spec->nr_vcpus > BENCH_VM_MAX_VCPUS || spec->slot_size > spec->mem_size)
		return -EINVAL;
	b->mem_size = spec->mem_size;
	b->mem = bench_map(spec->mem_size);
	if (!b->mem)
		return -ENOMEM;
	r = vmmu_vm_create(&cfg, &b->vm);
	if (r)
		goto fail;
	if (spec->manual_protect)
		r = vmmu_vm_enable_manual_dirty_log_protect(b->vm, spec->manual_protect);
	for (uint32_t i = 0; !r && i < spec->nr_slots; i++) {
		uint64_t np = i == spec->nr_slots - 1 ? per + pages % spec->nr_slots : per;

		r = bench_set_region(b->vm, i + 1, spec->slot_flags,
				     spec->gpa + i * per * BENCH_PAGE, np * BENCH_PAGE,
				     b->mem + i * per * BENCH_PAGE);
	}
	for (uint32_t i = 0; !r && i < spec->nr_vcpus; i++)
		r = vmmu_vcpu_create(b->vm, i, &b->vcpu[i]);
	if (!r)
		return 0;
	vmmu_vm_destroy(b->vm);
fail:
	bench_unmap(b->mem, b->mem_size);
	memset(b, 0, sizeof(*b));
	return r;
}

void bench_vm_close(struct bench_vm *b)
{
	if (b->vm)
		vmmu_vm_destroy(b->vm);
	bench_unmap(b->mem, b->mem_size);
	memset(b, 0, sizeof(*b));
}

/* ------------------------------------------------------------------------ */
/* Results, infos, goals                                                     */
/* ------------------------------------------------------------------------ */

static struct bench_result *results;
static size_t nr_results, cap_results;

struct bench_info_rec {
	const char *suite;
	char key[64];
	double value;
	char unit[16];
};
static struct bench_info_rec *infos;
static size_t nr_infos, cap_infos;

struct bench_goal_rec {
	const char *suite;
	char name[64];
	bool met;
	double value, target;
	char detail[768];
};
static struct bench_goal_rec *goals;
static size_t nr_goals, cap_goals;

static void *grow(void *arr, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return arr;
	*cap = *cap ? *cap * 2 : 64;
	arr = realloc(arr, *cap * elem);
	if (!arr) {
		fprintf(stderr, "bench: out of memory\n");
		exit(1);
	}
	return arr;
}

struct bench_result *bench_result_add(const char *suite, const char *series, double x,
				      const char *unit, bool rate, const char *fmt, ...)
{
	struct bench_result *r;
	va_list ap;

	results = grow(results, &cap_results, nr_results, sizeof(*results));
	r = &results[nr_results++];
	memset(r, 0, sizeof(*r));
	r->suite = suite;
	snprintf(r->series, sizeof(r->series), "%s", series ? series : "");
	r->x = x;
	snprintf(r->unit, sizeof(r->unit), "%s", unit);
	r->rate = rate;
	va_start(ap, fmt);
	vsnprintf(r->name, sizeof(r->name), fmt, ap);
	va_end(ap);
	return r;
}

void bench_result_vmmu(struct bench_result *r, struct bench_samples *s)
{
	if (!s->n) {
		r->vmmu.state = SIDE_FAILED;
		return;
	}
	r->vmmu.state = SIDE_OK;
	bench_fig_reduce(&r->vmmu.fig, s->v, s->n);
}

void bench_result_kvm(struct bench_result *r, struct bench_samples *s)
{
	if (!s->n) {
		if (r->kvm.state != SIDE_NA)
			return;
		if (bench_worker_alive())
			bench_result_kvm_state(r, SIDE_FAILED, "KVM measurement failed (see stderr)");
		else
			bench_result_kvm_state(r, SIDE_SKIPPED, bench_worker_why());
		return;
	}
	r->kvm.state = SIDE_OK;
	bench_fig_reduce(&r->kvm.fig, s->v, s->n);
}

void bench_result_kvm_state(struct bench_result *r, enum bench_side_state st, const char *note)
{
	r->kvm.state = st;
	if (note)
		snprintf(r->note, sizeof(r->note), "%s", note);
}

double bench_result_ratio(const struct bench_result *r)
{
	if (r->vmmu.state != SIDE_OK || r->kvm.state != SIDE_OK || r->kvm.fig.median == 0)
		return NAN;
	return r->vmmu.fig.median / r->kvm.fig.median;
}

struct bench_result *bench_result_find(const char *suite, const char *fmt, ...)
{
	char name[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < nr_results; i++)
		if (!strcmp(results[i].suite, suite) && !strcmp(results[i].name, name))
			return &results[i];
	return NULL;
}

size_t bench_result_count(void)
{
	return nr_results;
}

struct bench_result *bench_result_at(size_t i)
{
	return i < nr_results ? &results[i] : NULL;
}

void bench_info(const char *suite, const char *key, double value, const char *unit)
{
	struct bench_info_rec *in;

	infos = grow(infos, &cap_infos, nr_infos, sizeof(*infos));
	in = &infos[nr_infos++];
	in->suite = suite;
	snprintf(in->key, sizeof(in->key), "%s", key);
	in->value = value;
	snprintf(in->unit, sizeof(in->unit), "%s", unit ? unit : "");
}

void bench_goal(const char *suite, const char *name, bool met, double value, double target,
		const char *fmt, ...)
{
	struct bench_goal_rec *g;
	va_list ap;

	goals = grow(goals, &cap_goals, nr_goals, sizeof(*goals));
	g = &goals[nr_goals++];
	g->suite = suite;
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->met = met;
	g->value = value;
	g->target = target;
	va_start(ap, fmt);
	vsnprintf(g->detail, sizeof(g->detail), fmt, ap);
	va_end(ap);
}

static const char *side_word(const struct bench_side *s)
{
	switch (s->state) {
	case SIDE_OK:
		return NULL;
	case SIDE_SKIPPED:
		return "skipped";
	case SIDE_FAILED:
		return "failed";
	default:
		return "n/a";
	}
}

static void fmt_fig(char *buf, size_t len, const struct bench_side *s, bool min)
{
	const char *w = side_word(s);

	if (w)
		snprintf(buf, len, "%s", min ? "" : w);
	else
		snprintf(buf, len, "%.4g", min ? s->fig.min : s->fig.median);
}

/* The four figures of a result row: vmmu median and min, KVM median and min. */
static void fmt_figs(const struct bench_result *r, char a[32], char b[32], char c[32],
		     char d[32])
{
	fmt_fig(a, 32, &r->vmmu, false);
	fmt_fig(b, 32, &r->vmmu, true);
	fmt_fig(c, 32, &r->kvm, false);
	fmt_fig(d, 32, &r->kvm, true);
}

void bench_print_suite(const char *suite, const char *title)
{
	bool any = false;

	for (size_t i = 0; i < nr_results; i++)
		any |= !strcmp(results[i].suite, suite);
	printf("\n== %s: %s\n", suite, title);
	if (any) {
		/* KVM/vmmu: how many times faster vmmu is, as in the README */
		printf("%-30s %11s %11s %11s %11s %9s  %s\n", "case", "vmmu", "(min)", "KVM",
		       "(min)", "KVM/vmmu", "unit");
		for (size_t i = 0; i < nr_results; i++) {
			const struct bench_result *r = &results[i];
			char a[32], b[32], c[32], d[32], e[32];
			double ratio = bench_result_ratio(r);

			if (strcmp(r->suite, suite))
				continue;
			fmt_figs(r, a, b, c, d);
			if (isnan(ratio) || ratio == 0)
				snprintf(e, sizeof(e), "-");
			else
				snprintf(e, sizeof(e), "%.3gx", r->rate ? ratio : 1 / ratio);
			printf("%-30s %11s %11s %11s %11s %9s  %s%s\n", r->name, a, b, c, d, e,
			       r->unit, r->rate ? " (higher is better)" : "");
		}
	}
	for (size_t i = 0; i < nr_infos; i++)
		if (!strcmp(infos[i].suite, suite))
			printf("  %-40s %14.6g %s\n", infos[i].key, infos[i].value, infos[i].unit);
	for (size_t i = 0; i < nr_results; i++) {
		const struct bench_result *r = &results[i];
		char a[32], b[32], c[32], d[32];
		double ratio = bench_result_ratio(r);

		if (strcmp(r->suite, suite))
			continue;
		fmt_figs(r, a, b, c, d);
		printf("SUMMARY suite=%s case=%s vmmu=%s kvm=%s ratio=", suite, r->name, a, c);
		if (isnan(ratio))
			printf("-");
		else
			printf("%.4g", ratio);
		printf(" unit=%s vmmu_min=%s kvm_min=%s reps=%u\n", r->unit, b[0] ? b : "-",
		       d[0] ? d : "-", r->vmmu.fig.n);
	}
	for (size_t i = 0; i < nr_goals; i++) {
		const struct bench_goal_rec *g = &goals[i];

		if (strcmp(g->suite, suite))
			continue;
		printf("GOAL suite=%s goal=%s %s: %s\n", suite, g->name,
		       g->met ? "MET" : isnan(g->value) ? "NOT-MEASURED" : "MISSED", g->detail);
	}
	fflush(stdout);
}

/* ------------------------------------------------------------------------ */
/* Machine description and JSON                                              */
/* ------------------------------------------------------------------------ */

static void read_first_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = 0;
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = 0;
	fclose(f);
}

void bench_machine_load(char *buf, size_t len)
{
	read_first_line("/proc/loadavg", buf, len);
}

static bool path_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

void bench_machine_probe(struct bench_machine *m, bool kvm_usable)
{
	struct utsname u;
	char line[256], flavour[64] = "", paging[96] = "", p[64];
	FILE *f;
	time_t t = time(NULL);

	memset(m, 0, sizeof(*m));
	snprintf(m->cpu, sizeof(m->cpu), "unknown");
	f = fopen("/proc/cpuinfo", "r");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			char *c = strchr(line, ':');

			if (strncmp(line, "model name", 10) || !c)
				continue;
			c += 2;
			c[strcspn(c, "\n")] = 0;
			snprintf(m->cpu, sizeof(m->cpu), "%s", c);
			break;
		}
		fclose(f);
	}
	m->cores_online = sysconf(_SC_NPROCESSORS_ONLN);
	m->cores_conf = sysconf(_SC_NPROCESSORS_CONF);
	if (!uname(&u))
		snprintf(m->kernel, sizeof(m->kernel), "%s %s %s", u.sysname, u.release, u.machine);
	snprintf(m->compiler, sizeof(m->compiler), "gcc %s", __VERSION__);
	strftime(m->date, sizeof(m->date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	bench_machine_load(m->load_start, sizeof(m->load_start));

	if (!kvm_usable) {
		snprintf(m->kvm, sizeof(m->kvm), "absent or disabled");
		return;
	}
	if (path_exists("/sys/module/kvm_pvm")) {
		snprintf(flavour, sizeof(flavour), "KVM-PVM");
		snprintf(paging, sizeof(paging), "shadow paging");
	} else if (path_exists("/sys/module/kvm_intel")) {
		read_first_line("/sys/module/kvm_intel/parameters/ept", p, sizeof(p));
		snprintf(flavour, sizeof(flavour), "KVM (VMX)");
		snprintf(paging, sizeof(paging), "%s", p[0] == 'Y' ? "TDP (EPT)" : "shadow paging");
	} else if (path_exists("/sys/module/kvm_amd")) {
		read_first_line("/sys/module/kvm_amd/parameters/npt", p, sizeof(p));
		snprintf(flavour, sizeof(flavour), "KVM (SVM)");
		snprintf(paging, sizeof(paging), "%s", p[0] == 'Y' || p[0] == '1' ?
			 "TDP (NPT)" : "shadow paging");
	} else {
		snprintf(flavour, sizeof(flavour), "KVM");
		snprintf(paging, sizeof(paging), "unknown paging");
	}
	read_first_line("/sys/module/kvm/parameters/tdp_mmu", p, sizeof(p));
	{
		int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
		int slots = -1, as = -1;

		if (fd >= 0) {
			slots = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
			as = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_MULTI_ADDRESS_SPACE);
			close(fd);
		}
		snprintf(m->kvm, sizeof(m->kvm), "%s, %s, tdp_mmu=%s, %d memslots, %d address space(s)",
			 flavour, paging, p[0] ? p : "?", slots, as > 0 ? as : 1);
	}
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void json_num(FILE *f, double v)
{
	if (isnan(v) || isinf(v))
		fprintf(f, "null");
	else
		fprintf(f, "%.6g", v);
}

static void json_side(FILE *f, const struct bench_side *s)
{
	const char *w = side_word(s);

	if (w) {
		json_str(f, w);
		return;
	}
	fprintf(f, "{\"median\": ");
	json_num(f, s->fig.median);
	fprintf(f, ", \"min\": ");
	json_num(f, s->fig.min);
	fprintf(f, ", \"max\": ");
	json_num(f, s->fig.max);
	fprintf(f, ", \"n\": %u}", s->fig.n);
}

int bench_write_json(const char *path, const struct bench_machine *m,
		     const struct bench_opts *o, double total_seconds)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	fprintf(f, "{\n  \"tool\": \"vmmu bench\",\n  \"version\": \"%s\",\n",
		vmmu_version());
	fprintf(f, "  \"machine\": {\"cpu\": ");
	json_str(f, m->cpu);
	fprintf(f, ", \"cores_online\": %ld, \"cores_configured\": %ld, \"kernel\": ",
		m->cores_online, m->cores_conf);
	json_str(f, m->kernel);
	fprintf(f, ", \"kvm\": ");
	json_str(f, m->kvm);
	fprintf(f, ", \"compiler\": ");
	json_str(f, m->compiler);
	fprintf(f, ", \"date\": ");
	json_str(f, m->date);
	fprintf(f, ", \"loadavg_start\": ");
	json_str(f, m->load_start);
	fprintf(f, ", \"loadavg_end\": ");
	json_str(f, m->load_end);
	fprintf(f, "},\n  \"options\": {\"quick\": %s, \"reps\": %u, \"budget_s\": %g, "
		"\"suites\": %u, \"kvm\": %s},\n",
		o->quick ? "true" : "false", o->reps, o->budget, o->suites,
		o->no_kvm ? "false" : "true");
	fprintf(f, "  \"total_seconds\": %.1f,\n  \"results\": [\n", total_seconds);
	for (size_t i = 0; i < nr_results; i++) {
		const struct bench_result *r = &results[i];

		fprintf(f, "    {\"suite\": ");
		json_str(f, r->suite);
		fprintf(f, ", \"case\": ");
		json_str(f, r->name);
		fprintf(f, ", \"series\": ");
		json_str(f, r->series);
		fprintf(f, ", \"x\": ");
		json_num(f, r->x);
		fprintf(f, ", \"unit\": ");
		json_str(f, r->unit);
		fprintf(f, ", \"higher_is_better\": %s, \"vmmu\": ", r->rate ? "true" : "false");
		json_side(f, &r->vmmu);
		fprintf(f, ", \"kvm\": ");
		json_side(f, &r->kvm);
		fprintf(f, ", \"ratio\": ");
		json_num(f, bench_result_ratio(r));
		fprintf(f, ", \"note\": ");
		json_str(f, r->note);
		fprintf(f, "}%s\n", i + 1 < nr_results ? "," : "");
	}
	fprintf(f, "  ],\n  \"info\": [\n");
	for (size_t i = 0; i < nr_infos; i++) {
		fprintf(f, "    {\"suite\": ");
		json_str(f, infos[i].suite);
		fprintf(f, ", \"key\": ");
		json_str(f, infos[i].key);
		fprintf(f, ", \"value\": ");
		json_num(f, infos[i].value);
		fprintf(f, ", \"unit\": ");
		json_str(f, infos[i].unit);
		fprintf(f, "}%s\n", i + 1 < nr_infos ? "," : "");
	}
	fprintf(f, "  ],\n  \"goals\": [\n");
	for (size_t i = 0; i < nr_goals; i++) {
		fprintf(f, "    {\"suite\": ");
		json_str(f, goals[i].suite);
		fprintf(f, ", \"goal\": ");
		json_str(f, goals[i].name);
		fprintf(f, ", \"met\": %s, \"value\": ", goals[i].met ? "true" : "false");
		json_num(f, goals[i].value);
		fprintf(f, ", \"target\": ");
		json_num(f, goals[i].target);
		fprintf(f, ", \"detail\": ");
		json_str(f, goals[i].detail);
		fprintf(f, "}%s\n", i + 1 < nr_goals ? "," : "");
	}
	fprintf(f, "  ]\n}\n");
	if (fclose(f))
		return -errno;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* The KVM worker                                                            */
/* ------------------------------------------------------------------------ */

/* A KVM request that takes longer than this kills the worker. */
#define WORKER_TIMEOUT_MS	180000

struct worker_req {
	bench_worker_fn fn;	/* NULL: exit */
	int64_t a[BENCH_WORKER_ARGS];
};

struct worker_resp {
	int ret;
	double v[BENCH_WORKER_ARGS];
};

static pid_t worker_pid = -1;
static int worker_req_fd = -1, worker_resp_fd = -1;
static char worker_why[128] = "skipped (no /dev/kvm)";

static int xfer(int fd, void *buf, size_t len, bool out)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = out ? write(fd, p, len) : read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void __attribute__((noreturn)) worker_main(int rfd, int wfd)
{
	struct worker_req req;
	struct worker_resp resp;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;) {
		if (xfer(rfd, &req, sizeof(req), false) || !req.fn)
			_exit(0);
		memset(&resp, 0, sizeof(resp));
		resp.ret = req.fn(req.a, resp.v);
		if (xfer(wfd, &resp, sizeof(resp), true))
			_exit(1);
	}
}

void bench_worker_skip(const char *why)
{
	snprintf(worker_why, sizeof(worker_why), "skipped (%s)", why);
}

int bench_worker_start(void)
{
	int req[2], resp[2];
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	pid_t pid;

	if (fd < 0) {
		int e = errno;

		snprintf(worker_why, sizeof(worker_why), "skipped (/dev/kvm: %s)", strerror(e));
		return -e;
	}
	if (ioctl(fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		close(fd);
		snprintf(worker_why, sizeof(worker_why), "skipped (/dev/kvm: no KVM API %d)",
			 KVM_API_VERSION);
		return -ENODEV;
	}
	close(fd);
	if (pipe2(req, O_CLOEXEC))
		return -errno;
	if (pipe2(resp, O_CLOEXEC)) {
		close(req[0]);
		close(req[1]);
		return -errno;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(req[0]);
		close(req[1]);
		close(resp[0]);
		close(resp[1]);
		snprintf(worker_why, sizeof(worker_why), "skipped (fork: %s)", strerror(e));
		return -e;
	}
	if (pid == 0) {
		close(req[1]);
		close(resp[0]);
		worker_main(req[0], resp[1]);
	}
	close(req[0]);
	close(resp[1]);
	worker_pid = pid;
	worker_req_fd = req[1];
	worker_resp_fd = resp[0];
	return 0;
}

bool bench_worker_alive(void)
{
	return worker_pid > 0;
}

const char *bench_worker_why(void)
{
	return worker_why;
}

static void worker_reap(const char *why)
{
	int status = 0;

	if (worker_pid <= 0)
		return;
	close(worker_req_fd);
	close(worker_resp_fd);
	if (why)
		kill(worker_pid, SIGKILL);
	waitpid(worker_pid, &status, 0);
	if (why)
		snprintf(worker_why, sizeof(worker_why), "failed (KVM worker: %s)", why);
	else if (WIFSIGNALED(status))
		snprintf(worker_why, sizeof(worker_why), "failed (KVM worker killed by signal %d)",
			 WTERMSIG(status));
	worker_pid = -1;
	worker_req_fd = worker_resp_fd = -1;
}

int bench_worker_call(bench_worker_fn fn, const int64_t *a, double *v)
{
	struct worker_req req = { .fn = fn };
	struct worker_resp resp;
	struct pollfd pfd;
	int r;

	if (worker_pid <= 0)
		return -ENODEV;
	if (a)
		memcpy(req.a, a, sizeof(req.a));
	if (xfer(worker_req_fd, &req, sizeof(req), true)) {
		worker_reap(NULL);
		return -EPIPE;
	}
	pfd = (struct pollfd){ .fd = worker_resp_fd, .events = POLLIN };
	do {
		r = poll(&pfd, 1, WORKER_TIMEOUT_MS);
	} while (r < 0 && errno == EINTR);
	if (r == 0) {
		worker_reap("timed out");
		return -ETIMEDOUT;
	}
	if (xfer(worker_resp_fd, &resp, sizeof(resp), false)) {
		worker_reap(NULL);
		if (!strncmp(worker_why, "skipped", 7))
			snprintf(worker_why, sizeof(worker_why), "failed (KVM worker died)");
		return -EPIPE;
	}
	if (v)
		memcpy(v, resp.v, sizeof(resp.v));
	return resp.ret;
}

void bench_worker_stop(void)
{
	struct worker_req req = { .fn = NULL };

	if (worker_pid <= 0)
		return;
	xfer(worker_req_fd, &req, sizeof(req), true);
	worker_reap(NULL);
	snprintf(worker_why, sizeof(worker_why), "skipped (KVM worker stopped)");
}

bool bench_info_find(const char *suite, const char *key, double *value)
{
	for (size_t i = 0; i < nr_infos; i++)
		if (!strcmp(infos[i].suite, suite) && !strcmp(infos[i].key, key)) {
			*value = infos[i].value;
			return true;
		}
	return false;
}
