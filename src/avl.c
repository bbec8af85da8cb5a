/* SPDX-License-Identifier: MIT */
/*
 * Intrusive AVL tree with an optional augmentation callback, and an
 * interval tree built on it.
 *
 * Every structural change (insert, erase, replace) ends in one walk,
 * avl_fixup(), from the lowest node whose children changed towards the
 * root.  Keeping a single walk for rebalancing, heights and augmentation,
 * instead of separate insert and erase rebalancers, means the rule "augment
 * every node whose children changed, bottom-up" only has to be right once.
 */
#include "avl.h"

/*
 * Deeper than any valid AVL tree in a 64-bit address space (height h needs
 * more than fib(h) nodes), so avl_check() can bound its recursion even when
 * a corrupted tree has a cycle in it.
 */
#define AVL_MAX_DEPTH	128

static inline int avl_height(const struct avl_node *n)
{
	return n ? n->height : 0;
}

static inline void avl_update_height(struct avl_node *n)
{
	int l = avl_height(n->left), r = avl_height(n->right);

	n->height = (l > r ? l : r) + 1;
}

/* Make whatever pointed at @old as a child (@parent, or the root) point at @new. */
static inline void avl_change_child(struct avl_root *root, struct avl_node *parent,
				    struct avl_node *old, struct avl_node *new)
{
	if (!parent)
		root->node = new;
	else if (parent->left == old)
		parent->left = new;
	else
		parent->right = new;
}

/*
 * Rotate @x down to the left; its right child @y takes its place.  @x is
 * recomputed before @y because it is now @y's child, which keeps the
 * augmentation bottom-up.  Returns @y.
 */
static struct avl_node *avl_rotate_left(struct avl_root *root, struct avl_node *x,
					avl_augment_fn augment)
{
	struct avl_node *y = x->right, *p = x->parent;

	x->right = y->left;
	if (y->left)
		y->left->parent = x;
	y->left = x;
	x->parent = y;
	y->parent = p;
	avl_change_child(root, p, x, y);

	avl_update_height(x);
	avl_update_height(y);
	if (augment) {
		augment(x);
		augment(y);
	}
	return y;
}

/* Mirror image of avl_rotate_left(). */
static struct avl_node *avl_rotate_right(struct avl_root *root, struct avl_node *x,
					 avl_augment_fn augment)
{
	struct avl_node *y = x->left, *p = x->parent;

	x->left = y->right;
	if (y->right)
		y->right->parent = x;
	y->right = x;
	x->parent = y;
	y->parent = p;
	avl_change_child(root, p, x, y);

	avl_update_height(x);
	avl_update_height(y);
	if (augment) {
		augment(x);
		augment(y);
	}
	return y;
}

/*
 * Walk from @x, the lowest node whose children changed, towards the root,
 * restoring heights, balance and augmented data on the way.
 *
 * A node's parent only needs visiting if the subtree under it changed as
 * seen from above: a different node at its top (rotation), a different
 * height, or different augmented data.  Once none of those hold the rest of
 * the path is already correct and the walk stops, so an insert without
 * augmentation usually touches only a couple of nodes.
 *
 * @must overrides that: the walk visits @must and its parent no matter
 * what.  The caller passes a node whose fields cannot be trusted even if
 * nothing below it changes (a freshly linked node, the successor moved into
 * an erased node's place, a replacement), and whose parent has therefore
 * just gained a new child.  @must must be @x or an ancestor of it; rotations
 * below it never move it, since a rotation only moves nodes inside the
 * subtree it is applied to.
 */
static void avl_fixup(struct avl_root *root, struct avl_node *x, struct avl_node *must,
		      avl_augment_fn augment)
{
	while (x) {
		struct avl_node *parent = x->parent;
		int old_height = x->height;
		bool force = must != NULL;
		bool changed;
		int bf;

		if (x == must)
			must = NULL;

		bf = avl_height(x->left) - avl_height(x->right);
		if (bf > 1) {
			/*
			 * A single rotation would leave a right-heavy left
			 * child just as unbalanced on the other side, so
			 * straighten it first.
			 */
			if (avl_height(x->left->left) < avl_height(x->left->right))
				avl_rotate_left(root, x->left, augment);
			x = avl_rotate_right(root, x, augment);
			/* @parent has a new child, so its data must be redone. */
			changed = augment != NULL;
		} else if (bf < -1) {
			if (avl_height(x->right->right) < avl_height(x->right->left))
				avl_rotate_right(root, x->right, augment);
			x = avl_rotate_left(root, x, augment);
			changed = augment != NULL;
		} else {
			avl_update_height(x);
			changed = augment && augment(x);
		}

		if (!force && !changed && x->height == old_height)
			return;
		x = parent;
	}
}

void avl_insert(struct avl_root *root, struct avl_node *n, avl_cmp_fn cmp,
		avl_augment_fn augment)
{
	struct avl_node **link = &root->node, *parent = NULL;

	while (*link) {
		parent = *link;
		link = cmp(n, parent) < 0 ? &parent->left : &parent->right;
	}
	n->left = n->right = NULL;
	n->parent = parent;
	n->height = 1;
	*link = n;
	/* @n's augmented data is uninitialised, hence must = @n. */
	avl_fixup(root, n, n, augment);
}

void avl_erase(struct avl_root *root, struct avl_node *n, avl_augment_fn augment)
{
	struct avl_node *parent = n->parent, *child, *s, *from;

	if (!n->left || !n->right) {
		/* At most one child: it simply moves up into @n's place. */
		child = n->left ? n->left : n->right;
		if (child)
			child->parent = parent;
		avl_change_child(root, parent, n, child);
		avl_fixup(root, parent, NULL, augment);
		return;
	}

	/*
	 * Two children: the in-order successor @s has no left child, so it
	 * is easy to unlink, and it can take @n's place without breaking the
	 * order.  The fixup starts where @s was taken from.
	 */
	s = n->right;
	if (!s->left) {
		from = s;
	} else {
		while (s->left)
			s = s->left;
		from = s->parent;
		from->left = s->right;
		if (s->right)
			s->right->parent = from;
		s->right = n->right;
		n->right->parent = s;
	}
	s->left = n->left;
	n->left->parent = s;
	s->parent = parent;
	/*
	 * @s's height and augmented data are stale whatever happens below
	 * it, and its parent has a new child, hence must = @s.
	 */
	avl_change_child(root, parent, n, s);
	avl_fixup(root, from, s, augment);
}

void avl_replace(struct avl_root *root, struct avl_node *old, struct avl_node *new,
		 avl_augment_fn augment)
{
	*new = *old;
	if (new->left)
		new->left->parent = new;
	if (new->right)
		new->right->parent = new;
	avl_change_child(root, new->parent, old, new);
	/*
	 * Same key and same shape, so without augmentation there is nothing
	 * to rebalance; with it, @new's own data has never been computed.
	 */
	if (augment)
		avl_fixup(root, new, new, augment);
}

struct avl_node *avl_first(const struct avl_root *root)
{
	struct avl_node *n = root->node;

	if (n)
		while (n->left)
			n = n->left;
	return n;
}

struct avl_node *avl_last(const struct avl_root *root)
{
	struct avl_node *n = root->node;

	if (n)
		while (n->right)
			n = n->right;
	return n;
}

struct avl_node *avl_next(const struct avl_node *n)
{
	struct avl_node *p;

	if (n->right) {
		p = n->right;
		while (p->left)
			p = p->left;
		return p;
	}
	/* Climb until we leave a left subtree; that parent comes next. */
	for (p = n->parent; p && n == p->right; p = p->parent)
		n = p;
	return p;
}

struct avl_node *avl_prev(const struct avl_node *n)
{
	struct avl_node *p;

	if (n->left) {
		p = n->left;
		while (p->right)
			p = p->right;
		return p;
	}
	for (p = n->parent; p && n == p->left; p = p->parent)
		n = p;
	return p;
}

struct avl_check_ctx {
	avl_cmp_fn cmp;
	avl_augment_fn augment;
};

/*
 * Check the subtree at @n, hanging off @parent, whose keys must all lie
 * strictly between @lo and @hi (NULL: unbounded).  Comparing each node with
 * its nearest bounding ancestors is enough for global order, and costs two
 * comparisons per node.  Returns the node count, or -1.
 */
static long avl_check_subtree(const struct avl_node *n, const struct avl_node *parent,
			      const struct avl_node *lo, const struct avl_node *hi,
			      const struct avl_check_ctx *c, int depth)
{
	long l, r;
	int hl, hr;

	if (!n)
		return 0;
	if (depth > AVL_MAX_DEPTH || n->parent != parent)
		return -1;
	if ((lo && c->cmp(lo, n) >= 0) || (hi && c->cmp(n, hi) >= 0))
		return -1;

	l = avl_check_subtree(n->left, n, lo, n, c, depth + 1);
	if (l < 0)
		return -1;
	r = avl_check_subtree(n->right, n, n, hi, c, depth + 1);
	if (r < 0)
		return -1;

	hl = avl_height(n->left);
	hr = avl_height(n->right);
	if (n->height != (hl > hr ? hl : hr) + 1 || hl - hr > 1 || hr - hl > 1)
		return -1;
	/* Children were checked first, so this sees up-to-date inputs. */
	if (c->augment && c->augment((struct avl_node *)n))
		return -1;
	return l + r + 1;
}

long avl_check(const struct avl_root *root, avl_cmp_fn cmp, avl_augment_fn augment)
{
	struct avl_check_ctx c = { .cmp = cmp, .augment = augment };
	const struct avl_node *n;
	long count, i;

	count = avl_check_subtree(root->node, NULL, NULL, NULL, &c, 1);
	if (count < 0)
		return -1;

	/*
	 * The shape is sound, so the parent-pointer iterators must visit
	 * exactly @count nodes each way; this catches a broken next/prev.
	 */
	for (i = 0, n = avl_first(root); n; n = avl_next(n))
		if (++i > count)
			return -1;
	if (i != count)
		return -1;
	for (i = 0, n = avl_last(root); n; n = avl_prev(n))
		if (++i > count)
			return -1;
	if (i != count)
		return -1;
	return count;
}

/* Interval tree */

static inline struct itree_node *itree_of(const struct avl_node *a)
{
	return avl_entry(a, struct itree_node, avl);
}

static int itree_cmp(const struct avl_node *a, const struct avl_node *b)
{
	const struct itree_node *x = itree_of(a), *y = itree_of(b);
	uintptr_t px = (uintptr_t)x, py = (uintptr_t)y;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	/* A node does not move while it is in the tree, so this is stable. */
	return px < py ? -1 : px > py;
}

static bool itree_augment(struct avl_node *a)
{
	struct itree_node *n = itree_of(a);
	uint64_t max = n->last;

	if (a->left && itree_of(a->left)->subtree_last > max)
		max = itree_of(a->left)->subtree_last;
	if (a->right && itree_of(a->right)->subtree_last > max)
		max = itree_of(a->right)->subtree_last;
	if (n->subtree_last == max)
		return false;
	n->subtree_last = max;
	return true;
}

void itree_insert(struct itree_root *root, struct itree_node *n)
{
	avl_insert(&root->avl, &n->avl, itree_cmp, itree_augment);
}

void itree_remove(struct itree_root *root, struct itree_node *n)
{
	avl_erase(&root->avl, &n->avl, itree_augment);
}

/*
 * Leftmost node (in start order) of the subtree at @a intersecting
 * [start, last], or NULL.
 *
 * Every intersecting node ends at or after @start, so the answer can only
 * be m, the first node that does; and if m starts after @last, so does
 * every node after it.  The answer is therefore m or nothing, which lets
 * both this descent and itree_iter_next() commit to the leftmost subtree
 * whose subtree_last reaches @start, without ever backtracking.
 */
static struct itree_node *itree_subtree_first(const struct avl_node *a, uint64_t start,
					      uint64_t last)
{
	while (a) {
		struct itree_node *n = itree_of(a);

		if (n->subtree_last < start)
			return NULL;
		if (a->left && itree_of(a->left)->subtree_last >= start) {
			a = a->left;
			continue;
		}
		/* Nothing on the left reaches @start; try @n, then the right. */
		if (n->start > last)
			return NULL;
		if (n->last >= start)
			return n;
		a = a->right;
	}
	return NULL;
}

struct itree_node *itree_iter_first(const struct itree_root *root, uint64_t start, uint64_t last)
{
	return itree_subtree_first(root->avl.node, start, last);
}

struct itree_node *itree_iter_next(const struct itree_node *n, uint64_t start, uint64_t last)
{
	const struct avl_node *a = &n->avl, *from;
	struct itree_node *p;

	for (;;) {
		/*
		 * The nodes after @a are its right subtree, then the ancestor
		 * whose left subtree we are in, its right subtree, and so on.
		 * The first of them to reach @start is the answer or proves
		 * there is none (see itree_subtree_first()).
		 */
		if (a->right && itree_of(a->right)->subtree_last >= start)
			return itree_subtree_first(a->right, start, last);

		do {
			from = a;
			a = a->parent;
			if (!a)
				return NULL;
		} while (a->left != from);

		p = itree_of(a);
		if (p->start > last)
			return NULL;
		if (p->last >= start)
			return p;
	}
}

long itree_check(const struct itree_root *root)
{
	const struct avl_node *a;
	long count = avl_check(&root->avl, itree_cmp, itree_augment);

	if (count < 0)
		return -1;
	/* last < start means a caller computed an empty or wrapped range. */
	for (a = avl_first(&root->avl); a; a = avl_next(a))
		if (itree_of(a)->start > itree_of(a)->last)
			return -1;
	return count;
}
