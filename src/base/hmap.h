/*
 * hmap.h — an intrusive chained hash table.
 *
 * The caller embeds `struct hmap_node` in its own struct, computes the hash
 * (keyed with hmap_seed() when the key comes from the network, so nobody can
 * aim many keys at one bucket) and compares keys itself while walking a
 * chain. The table never allocates per entry: only the bucket array grows,
 * and when growing fails the table keeps working with longer chains, so an
 * insert cannot fail.
 *
 *   for (n = hmap_first(m, h); n; n = hmap_next(n, h))
 *           if (key_equal(container_of(n), key)) ...
 */
#ifndef TERN_BASE_HMAP_H
#define TERN_BASE_HMAP_H

#include <stddef.h>
#include <stdint.h>

struct hmap_node {
	struct hmap_node *next;
	uint32_t hash;
};

struct hmap {
	struct hmap_node **b;
	size_t mask; /* buckets - 1 (a power of two) */
	size_t n;
};

/* Start with about `hint` buckets (rounded up to a power of two, at least
 * 16). Returns 0 or ENOMEM. */
int hmap_init(struct hmap *m, size_t hint);
/* Free the bucket array; entries belong to the caller. Accepts a zeroed or
 * already released map. */
void hmap_release(struct hmap *m);

/* Link node under hash; the table doubles when it holds more entries than
 * buckets. */
void hmap_insert(struct hmap *m, struct hmap_node *node, uint32_t hash);
/* Unlink a node that is in the table. */
void hmap_remove(struct hmap *m, struct hmap_node *node);

/* The first node with this hash, then the next ones along the chain. */
struct hmap_node *hmap_first(const struct hmap *m, uint32_t hash);
struct hmap_node *hmap_next(const struct hmap_node *node, uint32_t hash);

/* Keyed hashing of bytes: fold n bytes into h (start with a seed). Not a
 * cryptographic MAC; the random seed is what spreads attacker-chosen keys. */
uint32_t hmap_hash_bytes(uint32_t h, const void *p, size_t n);

#endif
