/* SPDX-License-Identifier: MIT */
/*
 * Randomised test of the AVL tree and the interval tree against sorted-array
 * references.  Every node sits in three trees at once:
 *
 *  - tree A: keyed by @key, augmented with subtree size and maximum @val,
 *    so any missed augmentation step shows up as a wrong count or maximum;
 *  - tree B: the same keys without augmentation, as the memslot gfn tree
 *    uses it;
 *  - an interval tree over random [start, last] ranges with many equal
 *    starts.
 *
 * Operation mixes, key patterns and target sizes change in phases so that
 * small trees (checked after every operation), sequential inserts and
 * min/max erasure all get exercised.  Run with a seed as argv[1] to replay.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avl.h"
#include "../test_util.h"

#define NR_OPS		200000
#define MAX_SIZE	4096
#define POOL_SIZE	(MAX_SIZE + 64)
#define SMALL_SIZE	32	/* full check after every op at or below this size */
#define CHECK_EVERY	256	/* otherwise this often */
#define QUERY_EVERY	40

struct tnode {
	struct avl_node a;
	struct avl_node b;
	struct itree_node it;
	uint64_t key;
	uint64_t val;
	/* tree A augmentation */
	long count;
	uint64_t max_val;
};

static struct tnode pool[POOL_SIZE];
static struct tnode *free_list[POOL_SIZE];
static int nr_free;

/* References: tree A/B contents by key, interval tree contents by (start, address). */
static struct tnode *ref[MAX_SIZE];
static struct tnode *iref[MAX_SIZE];
static int size;

static struct avl_root tree_a, tree_b;
static struct itree_root itree;

static struct test_rng rng;

/* Off while the checker tests corrupt the tree on purpose. */
static bool strict_augment = true;
static unsigned long nr_augment_calls;

static struct tnode *of_a(const struct avl_node *n)
{
	return avl_entry(n, struct tnode, a);
}

static struct tnode *of_b(const struct avl_node *n)
{
	return avl_entry(n, struct tnode, b);
}

static struct tnode *of_it(const struct itree_node *n)
{
	return avl_entry(n, struct tnode, it);
}

static int cmp_key(uint64_t x, uint64_t y)
{
	return x < y ? -1 : x > y;
}

static int cmp_a(const struct avl_node *x, const struct avl_node *y)
{
	return cmp_key(of_a(x)->key, of_a(y)->key);
}

static int cmp_b(const struct avl_node *x, const struct avl_node *y)
{
	return cmp_key(of_b(x)->key, of_b(y)->key);
}

static long count_of(const struct avl_node *n)
{
	return n ? of_a(n)->count : 0;
}

/*
 * Augmentation is promised to run bottom-up, so when it is called on a
 * node, each child's own data must already agree with its children.
 */
static void assert_child_fresh(const struct avl_node *c)
{
	uint64_t max;

	if (!c || !strict_augment)
		return;
	max = of_a(c)->val;
	if (c->left && of_a(c->left)->max_val > max)
		max = of_a(c->left)->max_val;
	if (c->right && of_a(c->right)->max_val > max)
		max = of_a(c->right)->max_val;
	TEST_ASSERT(of_a(c)->count == 1 + count_of(c->left) + count_of(c->right) &&
		    of_a(c)->max_val == max,
		    "augment called on a parent before its child key=%" PRIu64, of_a(c)->key);
}

static bool augment_a(struct avl_node *n)
{
	struct tnode *t = of_a(n);
	long count = 1 + count_of(n->left) + count_of(n->right);
	uint64_t max = t->val;
	bool changed;

	nr_augment_calls++;
	assert_child_fresh(n->left);
	assert_child_fresh(n->right);
	if (n->left && of_a(n->left)->max_val > max)
		max = of_a(n->left)->max_val;
	if (n->right && of_a(n->right)->max_val > max)
		max = of_a(n->right)->max_val;
	changed = t->count != count || t->max_val != max;
	t->count = count;
	t->max_val = max;
	return changed;
}

/* Interval-tree order: start, then node address. */
static int cmp_iv(const struct tnode *x, const struct tnode *y)
{
	uintptr_t px = (uintptr_t)&x->it, py = (uintptr_t)&y->it;

	if (x->it.start != y->it.start)
		return x->it.start < y->it.start ? -1 : 1;
	return px < py ? -1 : px > py;
}

/* Index of the first element of @arr not below @t (by @cmp). */
static int lower_bound(struct tnode **arr, const struct tnode *t,
		       int (*cmp)(const struct tnode *, const struct tnode *))
{
	int lo = 0, hi = size;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (cmp(arr[mid], t) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int cmp_k(const struct tnode *x, const struct tnode *y)
{
	return cmp_key(x->key, y->key);
}

static void arr_insert(struct tnode **arr, int i, struct tnode *t)
{
	memmove(&arr[i + 1], &arr[i], (size_t)(size - i) * sizeof(*arr));
	arr[i] = t;
}

static void arr_remove(struct tnode **arr, int i)
{
	memmove(&arr[i], &arr[i + 1], (size_t)(size - i - 1) * sizeof(*arr));
}

static struct tnode *node_alloc(void)
{
	TEST_ASSERT(nr_free > 0, "node pool exhausted");
	return free_list[--nr_free];
}

/* Poison freed nodes so a tree still pointing at one goes wrong loudly. */
static void node_free(struct tnode *t)
{
	memset(t, 0xa5, sizeof(*t));
	free_list[nr_free++] = t;
}

/* Phase parameters. */
enum key_mode { KEYS_RANDOM, KEYS_ASCENDING, KEYS_DESCENDING };
enum erase_mode { ERASE_RANDOM, ERASE_MIN, ERASE_MAX };
enum iv_mode { IV_DENSE, IV_SPARSE, IV_FULL };

static struct {
	int target;
	enum key_mode keys;
	enum erase_mode erase;
	enum iv_mode iv;
	uint64_t keyspace;
	int replace_pct;
} phase;

static uint64_t new_key(void)
{
	struct tnode probe;
	uint64_t key;
	int i;

	for (;;) {
		if (phase.keys == KEYS_ASCENDING && size &&
		    ref[size - 1]->key < UINT64_MAX / 2)
			key = ref[size - 1]->key + 1 + test_rng_below(&rng, 3);
		else if (phase.keys == KEYS_DESCENDING && size && ref[0]->key > 3)
			key = ref[0]->key - 1 - test_rng_below(&rng, 3);
		else
			key = test_rng_below(&rng, phase.keyspace);

		probe.key = key;
		i = lower_bound(ref, &probe, cmp_k);
		if (i == size || ref[i]->key != key)
			return key;
	}
}

static void new_interval(struct itree_node *it)
{
	uint64_t span;

	switch (phase.iv) {
	case IV_DENSE:
		/* Few distinct starts: lots of ties broken by address. */
		it->start = test_rng_below(&rng, 64);
		it->last = it->start + test_rng_below(&rng, 32);
		break;
	case IV_SPARSE:
		it->start = test_rng_below(&rng, 1ull << 32);
		it->last = it->start + (test_rng_next(&rng) >> (24 + test_rng_below(&rng, 40)));
		break;
	case IV_FULL:
		switch (test_rng_below(&rng, 8)) {
		case 0:
			it->start = 0;
			break;
		case 1:
			it->start = UINT64_MAX - test_rng_below(&rng, 4);
			break;
		default:
			it->start = test_rng_next(&rng);
		}
		span = UINT64_MAX - it->start;
		if (test_rng_below(&rng, 8) == 0)
			it->last = UINT64_MAX;
		else
			it->last = it->start + (span ? test_rng_below(&rng, span) : 0);
		break;
	}
	if (test_rng_below(&rng, 10) == 0)
		it->last = it->start;
}

static void op_insert(void)
{
	struct tnode *t = node_alloc();

	t->key = new_key();
	t->val = test_rng_next(&rng);
	/* Garbage in the augmented fields: insert must compute them. */
	t->count = -12345;
	t->max_val = test_rng_next(&rng);
	t->it.subtree_last = test_rng_next(&rng);
	memset(&t->a, 0x5a, sizeof(t->a));
	memset(&t->b, 0x5a, sizeof(t->b));
	memset(&t->it.avl, 0x5a, sizeof(t->it.avl));
	new_interval(&t->it);

	avl_insert(&tree_a, &t->a, cmp_a, augment_a);
	avl_insert(&tree_b, &t->b, cmp_b, NULL);
	itree_insert(&itree, &t->it);

	arr_insert(ref, lower_bound(ref, t, cmp_k), t);
	arr_insert(iref, lower_bound(iref, t, cmp_iv), t);
	size++;
}

static int pick_index(void)
{
	switch (phase.erase) {
	case ERASE_MIN:
		return 0;
	case ERASE_MAX:
		return size - 1;
	default:
		return (int)test_rng_below(&rng, (uint64_t)size);
	}
}

static int iref_index(const struct tnode *t)
{
	int i = lower_bound(iref, t, cmp_iv);

	TEST_ASSERT(i < size && iref[i] == t, "node missing from the interval reference");
	return i;
}

static void op_erase(void)
{
	int i = pick_index();
	struct tnode *t = ref[i];
	int j = iref_index(t);

	avl_erase(&tree_a, &t->a, augment_a);
	avl_erase(&tree_b, &t->b, NULL);
	itree_remove(&itree, &t->it);

	arr_remove(ref, i);
	arr_remove(iref, j);
	size--;
	node_free(t);
}

static void op_replace(void)
{
	int i = (int)test_rng_below(&rng, (uint64_t)size);
	struct tnode *old = ref[i], *t = node_alloc();
	int j = iref_index(old);

	t->key = old->key;
	/* A new value changes the maxima above it, so replace must propagate. */
	t->val = test_rng_next(&rng);
	t->count = -1;
	t->max_val = test_rng_next(&rng);
	memset(&t->a, 0x5a, sizeof(t->a));
	memset(&t->b, 0x5a, sizeof(t->b));

	avl_replace(&tree_a, &old->a, &t->a, augment_a);
	avl_replace(&tree_b, &old->b, &t->b, NULL);
	/* Interval keys include the address, so the itree takes remove + insert. */
	itree_remove(&itree, &old->it);
	arr_remove(iref, j);
	size--;
	new_interval(&t->it);
	itree_insert(&itree, &t->it);
	arr_insert(iref, lower_bound(iref, t, cmp_iv), t);
	size++;

	ref[i] = t;
	node_free(old);
}

static void full_check(const char *when)
{
	const struct avl_node *a, *b;
	const struct itree_node *it;
	uint64_t max = 0;
	long n;
	int i;

	n = avl_check(&tree_a, cmp_a, augment_a);
	TEST_ASSERT(n == size, "%s: avl_check(A) = %ld, size %d", when, n, size);
	n = avl_check(&tree_b, cmp_b, NULL);
	TEST_ASSERT(n == size, "%s: avl_check(B) = %ld, size %d", when, n, size);
	n = itree_check(&itree);
	TEST_ASSERT(n == size, "%s: itree_check = %ld, size %d", when, n, size);

	a = avl_first(&tree_a);
	b = avl_first(&tree_b);
	for (i = 0; i < size; i++) {
		TEST_ASSERT(a && of_a(a) == ref[i], "%s: tree A differs at %d", when, i);
		TEST_ASSERT(b && of_b(b) == ref[i], "%s: tree B differs at %d", when, i);
		if (ref[i]->val > max)
			max = ref[i]->val;
		a = avl_next(a);
		b = avl_next(b);
	}
	TEST_ASSERT(!a && !b, "%s: trees longer than the reference", when);

	a = avl_last(&tree_a);
	for (i = size - 1; i >= 0; i--) {
		TEST_ASSERT(a && of_a(a) == ref[i], "%s: tree A backwards differs at %d", when, i);
		a = avl_prev(a);
	}
	TEST_ASSERT(!a, "%s: tree A backwards longer than the reference", when);

	if (size) {
		TEST_ASSERT(of_a(tree_a.node)->count == size, "%s: root count %ld, size %d",
			    when, of_a(tree_a.node)->count, size);
		TEST_ASSERT(of_a(tree_a.node)->max_val == max, "%s: root max_val wrong", when);
	} else {
		TEST_ASSERT(!tree_a.node && !tree_b.node && !itree.avl.node,
			    "%s: empty trees have a root", when);
	}

	/* The whole range intersects everything: a plain in-order walk. */
	it = itree_iter_first(&itree, 0, UINT64_MAX);
	for (i = 0; i < size; i++) {
		TEST_ASSERT(it && of_it(it) == iref[i], "%s: interval order differs at %d",
			    when, i);
		it = itree_iter_next(it, 0, UINT64_MAX);
	}
	TEST_ASSERT(!it, "%s: interval tree longer than the reference", when);
}

static void query(uint64_t start, uint64_t last)
{
	const struct itree_node *it = itree_iter_first(&itree, start, last);
	int i, found = 0;

	for (i = 0; i < size; i++) {
		const struct tnode *t = iref[i];

		if (t->it.start > last || t->it.last < start)
			continue;
		TEST_ASSERT(it && of_it(it) == t,
			    "query [%#" PRIx64 ", %#" PRIx64 "]: result %d wrong (%s)",
			    start, last, found, it ? "other node" : "missing");
		found++;
		it = itree_iter_next(it, start, last);
	}
	TEST_ASSERT(!it, "query [%#" PRIx64 ", %#" PRIx64 "]: extra result after %d",
		    start, last, found);
}

static void random_query(void)
{
	uint64_t start, last;
	const struct tnode *t;

	switch (test_rng_below(&rng, 6)) {
	case 0:
		/* Point queries at and just around an existing interval's ends. */
		if (!size)
			return;
		t = iref[test_rng_below(&rng, (uint64_t)size)];
		query(t->it.start, t->it.start);
		query(t->it.last, t->it.last);
		if (t->it.start)
			query(t->it.start - 1, t->it.start - 1);
		if (t->it.last != UINT64_MAX)
			query(t->it.last + 1, t->it.last + 1);
		return;
	case 1:
		start = test_rng_next(&rng);
		last = start + test_rng_below(&rng, UINT64_MAX - start);
		break;
	case 2:
		start = test_rng_below(&rng, 96);
		last = start + test_rng_below(&rng, 16);
		break;
	case 3:
		start = test_rng_below(&rng, 1ull << 32);
		last = start + test_rng_below(&rng, 1ull << 26);
		break;
	case 4:
		start = test_rng_below(&rng, 1ull << 32);
		last = UINT64_MAX;
		break;
	default:
		start = 0;
		last = test_rng_below(&rng, 1ull << 33);
		break;
	}
	query(start, last);
}

static void new_phase(void)
{
	static const uint64_t keyspaces[] = { 2 * MAX_SIZE, 1ull << 20, UINT64_MAX };

	switch (test_rng_below(&rng, 4)) {
	case 0:
		phase.target = (int)test_rng_below(&rng, SMALL_SIZE + 1);
		break;
	case 1:
		phase.target = MAX_SIZE;
		break;
	default:
		phase.target = (int)test_rng_below(&rng, MAX_SIZE + 1);
	}
	phase.keys = (enum key_mode)test_rng_below(&rng, 3);
	phase.erase = (enum erase_mode)test_rng_below(&rng, 3);
	phase.iv = (enum iv_mode)test_rng_below(&rng, 3);
	phase.keyspace = keyspaces[test_rng_below(&rng, ARRAY_SIZE(keyspaces))];
	phase.replace_pct = (int)test_rng_below(&rng, 25);
}

/*
 * avl_check() and itree_check() guard the other tests, so make sure they
 * actually notice each kind of damage.
 */
static void test_checkers(void)
{
	struct avl_node *n, *saved;
	struct itree_node *it;
	uint64_t k;
	int h;

	/* IV_DENSE keeps every last far below UINT64_MAX. */
	phase.keys = KEYS_RANDOM;
	phase.keyspace = 1 << 16;
	phase.iv = IV_DENSE;
	phase.erase = ERASE_RANDOM;
	while (size < 100)
		op_insert();
	full_check("checker setup");
	strict_augment = false;

	n = tree_a.node->left->right;
	h = n->height;
	n->height = h + 1;
	TEST_ASSERT(avl_check(&tree_a, cmp_a, augment_a) < 0, "bad height not caught");
	n->height = h;

	saved = n->parent;
	n->parent = n;
	TEST_ASSERT(avl_check(&tree_a, cmp_a, augment_a) < 0, "bad parent not caught");
	n->parent = saved;

	k = of_a(n)->key;
	of_a(n)->key = of_a(tree_a.node)->key + 1;
	TEST_ASSERT(avl_check(&tree_a, cmp_a, augment_a) < 0, "bad order not caught");
	of_a(n)->key = k;

	/* avl_check() runs augment, which repairs the damage it reports. */
	of_a(tree_a.node)->count++;
	TEST_ASSERT(avl_check(&tree_a, cmp_a, augment_a) < 0, "bad augment not caught");
	TEST_ASSERT(avl_check(&tree_a, cmp_a, augment_a) == size, "augment not repaired");

	it = avl_entry(avl_first(&itree.avl), struct itree_node, avl);
	it->subtree_last++;
	TEST_ASSERT(itree_check(&itree) < 0, "bad subtree_last not caught");
	TEST_ASSERT(itree_check(&itree) == size, "subtree_last not repaired");

	/*
	 * Raising the largest start past its last keeps both the order and
	 * subtree_last intact, so only the start > last rule is broken.
	 */
	it = avl_entry(avl_last(&itree.avl), struct itree_node, avl);
	k = it->start;
	it->start = it->last + 1;
	TEST_ASSERT(itree_check(&itree) < 0, "start > last not caught");
	it->start = k;
	TEST_ASSERT(itree_check(&itree) == size, "itree not restored");

	strict_augment = true;
	full_check("checker teardown");
	while (size)
		op_erase();
	full_check("checker drained");
}

int main(int argc, char **argv)
{
	uint64_t seed = test_seed(argc > 1 ? argv[1] : NULL);
	int i, left = 0;

	printf("seed=%" PRIu64 "\n", seed);
	fflush(stdout);
	test_rng_init(&rng, seed);

	for (i = 0; i < POOL_SIZE; i++)
		free_list[nr_free++] = &pool[POOL_SIZE - 1 - i];

	/* Empty trees. */
	TEST_ASSERT(!avl_first(&tree_a) && !avl_last(&tree_a), "empty tree has nodes");
	TEST_ASSERT(!itree_iter_first(&itree, 0, UINT64_MAX), "empty itree has nodes");
	full_check("empty");
	test_checkers();

	for (i = 0; i < NR_OPS; i++) {
		int r = (int)test_rng_below(&rng, 100);
		bool grow = size < phase.target;

		if (!left--) {
			new_phase();
			left = 1 + (int)test_rng_below(&rng, 5000);
		}

		if (size && r < phase.replace_pct)
			op_replace();
		else if (size < MAX_SIZE && (!size || r < (grow ? 75 : 25)))
			op_insert();
		else
			op_erase();

		if (size <= SMALL_SIZE || i % CHECK_EVERY == 0)
			full_check("periodic");
		if (i % QUERY_EVERY == 0)
			random_query();
	}
	full_check("after random ops");

	/* Drain to empty through the same path, checking as it shrinks. */
	phase.erase = ERASE_RANDOM;
	while (size) {
		op_erase();
		if (size <= SMALL_SIZE || size % CHECK_EVERY == 0)
			full_check("drain");
	}
	full_check("drained");

	printf("PASS test_avl (%d ops, %lu augment calls)\n", NR_OPS, nr_augment_calls);
	return 0;
}
