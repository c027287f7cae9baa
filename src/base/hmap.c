/* hmap.c — see hmap.h. */
#include "base/hmap.h"

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

/* FNV-1a over the bytes, then murmur3's finaliser so that the low bits,
 * which pick the bucket, depend on every input bit. */
uint32_t hmap_hash_bytes(uint32_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	h ^= 2166136261u;
	for (i = 0; i < n; i++) {
		h ^= b[i];
		h *= 16777619u;
	}
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}
