/* SPDX-License-Identifier: MIT */
/*
 * Intrusive AVL tree with an optional augmentation callback, and an
 * interval tree built on it.
 *
 * The memslot sets keep one gfn-ordered tree and one hva interval tree each;
 * every slot object embeds two nodes of each kind (one per set), so both
 * sets can share slot objects.  The trees are not thread-safe: the updater
 * only ever modifies the inactive set (under slots_lock), and readers only
 * read the active one, so there is never a concurrent writer.
 */
#ifndef VMMU_AVL_H
#define VMMU_AVL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct avl_node {
	struct avl_node *left, *right, *parent;
	int height;			/* leaf = 1 */
};

struct avl_root {
	struct avl_node *node;
};

/*
 * Recompute @n's augmented data from its children (which are up to date).
 * Return true if the data changed (so the walk towards the root continues).
 */
typedef bool (*avl_augment_fn)(struct avl_node *n);

/* a < b: negative, a > b: positive.  Equal keys are not allowed. */
typedef int (*avl_cmp_fn)(const struct avl_node *a, const struct avl_node *b);

/* Insert @n (whose fields need not be initialised).  O(log n). */
void avl_insert(struct avl_root *root, struct avl_node *n, avl_cmp_fn cmp,
		avl_augment_fn augment);
/* Remove @n, which must be in @root.  O(log n). */
void avl_erase(struct avl_root *root, struct avl_node *n, avl_augment_fn augment);
/* Put @new in @old's place; both must have the same key.  O(1) plus the
 * augmentation walk if @augment is given. */
void avl_replace(struct avl_root *root, struct avl_node *old, struct avl_node *new,
		 avl_augment_fn augment);

struct avl_node *avl_first(const struct avl_root *root);
struct avl_node *avl_last(const struct avl_root *root);
struct avl_node *avl_next(const struct avl_node *n);
struct avl_node *avl_prev(const struct avl_node *n);

/* Debug: check heights, balance, parent links, order and augmentation.
 * Returns the number of nodes, or -1 on a broken invariant. */
long avl_check(const struct avl_root *root, avl_cmp_fn cmp, avl_augment_fn augment);

/*
 * Interval tree: closed intervals [start, last], keyed by (start, node
 * address) so equal starts are allowed; subtree_last is the augmentation.
 */
struct itree_node {
	struct avl_node avl;
	uint64_t start, last;
	uint64_t subtree_last;
};

struct itree_root {
	struct avl_root avl;
};

void itree_insert(struct itree_root *root, struct itree_node *n);
void itree_remove(struct itree_root *root, struct itree_node *n);
/* First node (in start order) intersecting [start, last], or NULL. */
struct itree_node *itree_iter_first(const struct itree_root *root, uint64_t start, uint64_t last);
/* Next node after @n (in start order) intersecting [start, last], or NULL. */
struct itree_node *itree_iter_next(const struct itree_node *n, uint64_t start, uint64_t last);
long itree_check(const struct itree_root *root);

#define avl_entry(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

#endif /* VMMU_AVL_H */
