// SPDX-License-Identifier: MIT
/*
 * RCU reader registration for urcu-mb (see rcu.h).  Release and variant
 * builds only: the checker brings its own RCU (tools/vmmu-check/sync.c).
 */
#include <pthread.h>

#include "rcu.h"

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
