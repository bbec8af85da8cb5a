// SPDX-License-Identifier: MIT
/*
 * vmmu's futex mutex and condition variable (src/lock.c, check_hooks.h)
 * with real threads: mutual exclusion under contention, including the
 * sleeping path (holders that sleep while others wait), and wakeups that
 * are never lost (a waiter that checked its condition under the mutex
 * always sees the broadcast that follows it).  Also run under TSan, which
 * sees the lock's acquire/release as the happens-before it is.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "check_hooks.h"
#include "test_util.h"

#define THREADS		4

static vmmu_mutex_t lock;
static uint64_t counter;	/* plain: only ever touched under lock */
/* threads inside the critical section (relaxed: the lock alone must order counter) */
static _Atomic int inside;
static uint64_t iterations;

static void *hammer(void *arg)
{
	uintptr_t id = (uintptr_t)arg;

	for (uint64_t i = 0; i < iterations; i++) {
		vmmu_mutex_lock(&lock);
		TEST_ASSERT(atomic_fetch_add_explicit(&inside, 1, memory_order_relaxed) == 0,
			    "two threads inside the mutex");
		counter++;
		/*
		 * Now and then hold the lock far longer than a waiter spins
		 * (VMMU_MUTEX_SPINS pauses), so that waiters go to sleep on
		 * the futex and the unlock must wake them.
		 */
		if ((i + id) % 4096 == 0)
			for (unsigned int k = 0; k < 200 * VMMU_MUTEX_SPINS; k++)
				__builtin_ia32_pause();
		atomic_fetch_sub_explicit(&inside, 1, memory_order_relaxed);
		vmmu_mutex_unlock(&lock);
	}
	return NULL;
}

static void test_mutual_exclusion(void)
{
	pthread_t t[THREADS];

	iterations = test_short_env() || TEST_TSAN ? 20000 : 200000;
	vmmu_mutex_init(&lock);
	counter = 0;
	for (uintptr_t i = 0; i < THREADS; i++)
		TEST_ASSERT(!pthread_create(&t[i], NULL, hammer, (void *)i), "pthread_create");
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	TEST_ASSERT_EQ(counter, iterations * THREADS);
	TEST_ASSERT_EQ(atomic_load_explicit(&lock.state, memory_order_relaxed), 0);
	vmmu_mutex_destroy(&lock);
}

/*
 * Ping-pong through one condition variable: each side waits under the
 * mutex until the turn is its own, then hands the turn over and
 * broadcasts.  A lost wakeup leaves both asleep: the test hangs and the
 * harness's timeout fails it.
 */
static vmmu_cond_t cond;
static uint64_t turn;		/* under lock */
static uint64_t rounds;

static void *pong(void *arg)
{
	uint64_t me = (uintptr_t)arg;

	for (uint64_t r = 0; r < rounds; r++) {
		vmmu_mutex_lock(&lock);
		while (turn % 2 != me)
			vmmu_cond_wait(&cond, &lock);
		turn++;
		vmmu_cond_broadcast(&cond);
		vmmu_mutex_unlock(&lock);
	}
	return NULL;
}

static void test_cond_ping_pong(void)
{
	pthread_t a, b;

	rounds = test_short_env() || TEST_TSAN ? 2000 : 20000;
	vmmu_mutex_init(&lock);
	vmmu_cond_init(&cond);
	turn = 0;
	TEST_ASSERT(!pthread_create(&a, NULL, pong, (void *)0), "pthread_create");
	TEST_ASSERT(!pthread_create(&b, NULL, pong, (void *)1), "pthread_create");
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	TEST_ASSERT_EQ(turn, 2 * rounds);
	vmmu_cond_destroy(&cond);
	vmmu_mutex_destroy(&lock);
}

static const struct test_case cases[] = {
	{ "mutual_exclusion", test_mutual_exclusion },
	{ "cond_ping_pong", test_cond_ping_pong },
};

TEST_CASES_MAIN(cases)
