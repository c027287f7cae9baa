/* hmap.c — see hmap.h. */
#include "base/hmap.h"

#include <string.h>

#include <errno.h>
#include <stdlib.h>

int hmap_init(struct hmap *m, size_t hint)
{
	size_t nb = 16;

	while (nb < hint && nb < ((size_t)1 << 30))
		nb <<= 1;
	m->b = calloc(nb, sizeof(*m->b));
	if (!m->b)
		return ENOMEM;
	m->mask = nb - 1;
	m->n = 0;
	return 0;
}

void hmap_release(struct hmap *m)
{
	free(m->b);
	m->b = NULL;
	m->mask = 0;
	m->n = 0;
}

/* Double the bucket array; on ENOMEM keep the old one. */
static void grow(struct hmap *m)
{
	size_t nb = (m->mask + 1) * 2, i;
	struct hmap_node **b = calloc(nb, sizeof(*b));

	if (!b)
		return;
	for (i = 0; i <= m->mask; i++) {
		struct hmap_node *n = m->b[i], *next;

		for (; n; n = next) {
			next = n->next;
			n->next = b[n->hash & (nb - 1)];
			b[n->hash & (nb - 1)] = n;
		}
	}
	free(m->b);
	m->b = b;
	m->mask = nb - 1;
}

void hmap_insert(struct hmap *m, struct hmap_node *node, uint32_t hash)
{
	struct hmap_node **head;

	if (m->n > m->mask && m->mask < ((size_t)1 << 30))
		grow(m);
	head = &m->b[hash & m->mask];
	node->hash = hash;
	node->next = *head;
	*head = node;
	m->n++;
}

void hmap_remove(struct hmap *m, struct hmap_node *node)
{
	struct hmap_node **pp = &m->b[node->hash & m->mask];

	for (; *pp; pp = &(*pp)->next) {
		if (*pp == node) {
			*pp = node->next;
			node->next = NULL;
			m->n--;
			return;
		}
	}
}

struct hmap_node *hmap_first(const struct hmap *m, uint32_t hash)
{
	struct hmap_node *n = m->b ? m->b[hash & m->mask] : NULL;

	while (n && n->hash != hash)
		n = n->next;
	return n;
}

struct hmap_node *hmap_next(const struct hmap_node *node, uint32_t hash)
{
	struct hmap_node *n = node->next;

	while (n && n->hash != hash)
		n = n->next;
	return n;
}

/*
 * Eight bytes at a time: each word is folded in with a multiply and a shift,
 * then murmur3's 64-bit finaliser makes the low bits (which pick the bucket)
 * depend on every input bit. The relay path hashes about a hundred bytes per
 * packet (5-tuple, channel, permission); byte-at-a-time FNV made this a
 * fifth of ternd's instructions per relayed packet under callgrind. Words are
 * read with memcpy: no cast of a byte pointer to a wider type.
 */
static uint64_t fold(uint64_t x, uint64_t w)
{
	x = (x ^ w) * 0x9E3779B97F4A7C15ull;
	return x ^ (x >> 29);
}

uint32_t hmap_hash_bytes(uint32_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t x = ((uint64_t)h << 32 | h) ^ (uint64_t)n;
	uint64_t w;

	for (; n >= 8; b += 8, n -= 8) {
		memcpy(&w, b, 8);
		x = fold(x, w);
	}
	if (n) {
		/* the tail byte by byte: a memcpy of a variable length is a
		 * library call, dearer than the few bytes it moves */
		for (w = 0; n > 0; n--)
			w = w << 8 | b[n - 1];
		x = fold(x, w);
	}
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return (uint32_t)x;
}
