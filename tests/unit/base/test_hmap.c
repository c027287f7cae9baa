/* test_hmap.c — the intrusive hash table, through growth and removal. */
#include <criterion/criterion.h>

#include "base/hmap.h"

struct item {
	struct hmap_node node;
	unsigned key;
};

static struct item *find(struct hmap *m, unsigned key)
{
	uint32_t h = hmap_hash_bytes(7, &key, sizeof(key));
	struct hmap_node *n;

	for (n = hmap_first(m, h); n; n = hmap_next(n, h))
		if (((struct item *)n)->key == key)
			return (struct item *)n;
	return NULL;
}

Test(hmap, insert_grow_find_remove)
{
	static struct item it[1000];
	struct hmap m;
	unsigned i;

	cr_assert_eq(hmap_init(&m, 1), 0);
	for (i = 0; i < 1000; i++) {
		it[i].key = i;
		hmap_insert(&m, &it[i].node, hmap_hash_bytes(7, &i, sizeof(i)));
	}
	cr_assert_eq(m.n, 1000);
	cr_assert_geq(m.mask + 1, 512, "grew");
	for (i = 0; i < 1000; i++)
		cr_assert_eq(find(&m, i), &it[i]);
	for (i = 0; i < 1000; i += 2)
		hmap_remove(&m, &it[i].node);
	for (i = 0; i < 1000; i++)
		cr_assert_eq(find(&m, i), i % 2 ? &it[i] : NULL);
	hmap_release(&m);
	hmap_release(&m);
}
