// SPDX-License-Identifier: MIT
/*
 * vmmu bench: benchmark guests.  A guest is a thread that runs struct
 * bench_gcmd commands on a vCPU: through vmmu_vcpu_access() for vmmu
 * (bench_vmmu_guest_ops, here) or through the real KVM (bench_kvm.c).  The
 * host side of a benchmark posts a command, does its own part, and waits.
 *
 * Hand-off: post() bumps @posted under the lock and signals; the guest
 * thread runs the command and publishes @done = @posted.  An idle guest
 * sleeps on the condition variable instead of spinning, so it costs the
 * other side of an interleaved measurement nothing.  A looping command
 * polls @stop (relaxed is enough: the host's later wait() orders the rest).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "vmmu.h"
#include "bench.h"

struct bench_guest {
	const struct bench_guest_ops *ops;
	void *vcpu_ctx;
	pthread_t tid;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct bench_gcmd cmd;		/* protected by @lock */
	unsigned long posted, done;	/* protected by @lock */
	bool quit;			/* protected by @lock */
	int ret;			/* of the last command, under @lock */
	_Atomic bool stop;		/* ends a looping command */
	uint64_t mismatches, mmio_exits, passes;	/* read after wait() */
};

static void *guest_main(void *arg)
{
	struct bench_guest *g = arg;

	pthread_mutex_lock(&g->lock);
	for (;;) {
		struct bench_gcmd c;
		unsigned long seq;
		int r;

		while (g->posted == g->done && !g->quit)
			pthread_cond_wait(&g->cond, &g->lock);
		if (g->quit)
			break;
		c = g->cmd;
		seq = g->posted;
		pthread_mutex_unlock(&g->lock);

		r = g->ops->run(g->vcpu_ctx, &c, &g->stop, &g->mismatches, &g->mmio_exits,
				&g->passes);

		pthread_mutex_lock(&g->lock);
		g->ret = r;
		g->done = seq;
		pthread_cond_broadcast(&g->cond);
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

int bench_guest_start(struct bench_guest **gp, const struct bench_guest_ops *ops, void *vcpu_ctx)
{
	struct bench_guest *g = calloc(1, sizeof(*g));
	int r;

	if (!g)
		return -ENOMEM;
	g->ops = ops;
	g->vcpu_ctx = vcpu_ctx;
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->cond, NULL);
	r = pthread_create(&g->tid, NULL, guest_main, g);
	if (r) {
		pthread_mutex_destroy(&g->lock);
		pthread_cond_destroy(&g->cond);
		free(g);
		return -r;
	}
	*gp = g;
	return 0;
}

void bench_guest_post(struct bench_guest *g, const struct bench_gcmd *c)
{
	pthread_mutex_lock(&g->lock);
	g->cmd = *c;
	atomic_store_explicit(&g->stop, false, memory_order_relaxed);
	g->posted++;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

int bench_guest_wait(struct bench_guest *g)
{
	int r;

	pthread_mutex_lock(&g->lock);
	while (g->done != g->posted)
		pthread_cond_wait(&g->cond, &g->lock);
	r = g->ret;
	pthread_mutex_unlock(&g->lock);
	return r;
}

void bench_guest_stop_loop(struct bench_guest *g)
{
	atomic_store_explicit(&g->stop, true, memory_order_relaxed);
}

void bench_guest_end(struct bench_guest *g)
{
	if (!g)
		return;
	bench_guest_stop_loop(g);
	bench_guest_wait(g);
	pthread_mutex_lock(&g->lock);
	g->quit = true;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
	pthread_join(g->tid, NULL);
	pthread_mutex_destroy(&g->lock);
	pthread_cond_destroy(&g->cond);
	free(g);
}

uint64_t bench_guest_mismatches(struct bench_guest *g)
{
	return g->mismatches;
}

uint64_t bench_guest_mmio_exits(struct bench_guest *g)
{
	return g->mmio_exits;
}

uint64_t bench_guest_passes(struct bench_guest *g)
{
	return g->passes;
}

/*
 * One command on a vmmu vCPU.  An MMIO exit is what the VMM would see after
 * KVM_EXIT_MMIO: counted, and the access is complete (reads return 0).
 */
int bench_vmmu_run_cmd(struct vmmu_vcpu *vcpu, const struct bench_gcmd *c,
		       const _Atomic bool *stop, uint64_t *mismatches, uint64_t *mmio_exits,
		       uint64_t *passes)
{
	uint32_t flags = c->write ? VMMU_ACCESS_WRITE : 0;
	uint64_t count = c->count ? c->count : 1;
	uint64_t mask = c->len >= 8 ? ~0ull : (1ull << (8 * c->len)) - 1;
	uint64_t want = c->value & mask;
	struct vmmu_exit exit;

	do {
		uint64_t gpa = c->gpa;

		for (uint64_t i = 0; i < count; i++, gpa += c->stride) {
			uint64_t v = c->value;
			int r = vmmu_vcpu_access(vcpu, gpa, &v, c->len, flags, &exit);

			if (r == VMMU_EXIT_MMIO) {
				(*mmio_exits)++;
				continue;
			}
			if (r)
				return r;
			if (c->verify && !c->write && (v & mask) != want)
				(*mismatches)++;
		}
		(*passes)++;
	} while (c->loop && !atomic_load_explicit(stop, memory_order_relaxed));
	return 0;
}

static int vmmu_guest_run(void *vcpu_ctx, const struct bench_gcmd *c, const _Atomic bool *stop,
			  uint64_t *mismatches, uint64_t *mmio_exits, uint64_t *passes)
{
	return bench_vmmu_run_cmd(vcpu_ctx, c, stop, mismatches, mmio_exits, passes);
}

const struct bench_guest_ops bench_vmmu_guest_ops = {
	.run = vmmu_guest_run,
};
