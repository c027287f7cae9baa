/* mem.c — the in-memory credential store; see store.h. */
#include "auth/store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/hmap.h"

struct mem_user {
	struct hmap_node node;
	char *realm;
	char *user;
	char *password; /* NULL when only a key is known */
	struct auth_key key;
};

struct mem_realm_secrets {
	struct mem_realm_secrets *next;
	char *realm;
	size_t n;
	uint8_t *secret[AUTH_MAX_KEYS];
	size_t len[AUTH_MAX_KEYS];
};

struct auth_mem {
	struct hmap users;
	struct mem_realm_secrets *secrets;
};

/* A fixed seed: the table is filled from the operator's configuration,
 * not from the network, so nobody can aim keys at one bucket. */
static uint32_t user_hash(const char *realm, size_t rlen, const char *user,
			  size_t ulen)
{
	uint32_t h = hmap_hash_bytes(0x7465726e, realm, rlen);

	return hmap_hash_bytes(h, user, ulen);
}

int auth_mem_alloc(struct auth_mem **mp)
{
	struct auth_mem *m;

	if (!mp)
		return EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return ENOMEM;
	if (hmap_init(&m->users, 64)) {
		free(m);
		return ENOMEM;
	}
	*mp = m;
	return 0;
}

static void user_free(struct mem_user *u)
{
	if (!u)
		return;
	free(u->realm);
	free(u->user);
	if (u->password)
		memset(u->password, 0, strlen(u->password));
	free(u->password);
	free(u);
}

void auth_mem_free(struct auth_mem *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i <= m->users.mask; i++) {
		struct hmap_node *n = m->users.b[i], *next;

		for (; n; n = next) {
			next = n->next;
			user_free((struct mem_user *)n);
		}
	}
	hmap_release(&m->users);
	while (m->secrets) {
		struct mem_realm_secrets *r = m->secrets;

		m->secrets = r->next;
		for (i = 0; i < r->n; i++)
			free(r->secret[i]);
		free(r->realm);
		free(r);
	}
	free(m);
}

static struct mem_user *find_user(const struct auth_mem *m, const char *realm,
				  size_t rlen, const char *user, size_t ulen)
{
	uint32_t h = user_hash(realm, rlen, user, ulen);
	struct hmap_node *n;

	for (n = hmap_first(&m->users, h); n; n = hmap_next(n, h)) {
		struct mem_user *u = (struct mem_user *)n;

		if (strlen(u->realm) == rlen && strlen(u->user) == ulen &&
		    !memcmp(u->realm, realm, rlen) &&
		    !memcmp(u->user, user, ulen))
			return u;
	}
	return NULL;
}

static int add(struct auth_mem *m, const char *realm, const char *user,
	       const char *password, const struct auth_key *key)
{
	struct mem_user *u;
	int err = ENOMEM;

	if (!m || !realm || !user || !*user)
		return EINVAL;
	if (find_user(m, realm, strlen(realm), user, strlen(user)))
		return EEXIST;
	u = calloc(1, sizeof(*u));
	if (!u)
		return ENOMEM;
	u->realm = strdup(realm);
	u->user = strdup(user);
	if (password)
		u->password = strdup(password);
	if (!u->realm || !u->user || (password && !u->password))
		goto out;
	if (key)
		u->key = *key;
	hmap_insert(&m->users, &u->node,
		    user_hash(realm, strlen(realm), user, strlen(user)));
	return 0;
out:
	user_free(u);
	return err;
}

int auth_mem_add_user(struct auth_mem *m, const char *realm, const char *user,
		      const char *password)
{
	if (!password)
		return EINVAL;
	return add(m, realm, user, password, NULL);
}

int auth_mem_add_user_key(struct auth_mem *m, const char *realm,
			  const char *user, uint16_t alg, const char *hex)
{
	struct auth_key k;

	if (auth_key_from_hex(&k, alg, hex))
		return EINVAL;
	return add(m, realm, user, NULL, &k);
}

static struct mem_realm_secrets *find_realm(const struct auth_mem *m,
					    const char *realm, size_t rlen)
{
	struct mem_realm_secrets *r;

	for (r = m->secrets; r; r = r->next)
		if (strlen(r->realm) == rlen && !memcmp(r->realm, realm, rlen))
			return r;
	return NULL;
}

int auth_mem_add_secret(struct auth_mem *m, const char *realm,
			const uint8_t *secret, size_t len)
{
	struct mem_realm_secrets *r;
	uint8_t *copy;

	if (!m || !realm || !secret || !len)
		return EINVAL;
	r = find_realm(m, realm, strlen(realm));
	if (!r) {
		r = calloc(1, sizeof(*r));
		if (!r || !(r->realm = strdup(realm))) {
			free(r);
			return ENOMEM;
		}
		r->next = m->secrets;
		m->secrets = r;
	}
	if (r->n == AUTH_MAX_KEYS)
		return ENOSPC;
	copy = malloc(len);
	if (!copy)
		return ENOMEM;
	memcpy(copy, secret, len);
	r->secret[r->n] = copy;
	r->len[r->n++] = len;
	return 0;
}

static int lookup_rest(const struct auth_mem *m, const struct auth_query *q,
		       struct auth_key *keys, size_t *n)
{
	const struct mem_realm_secrets *r = find_realm(m, q->realm, q->rlen);
	size_t i;
	int err;

	if (!r || !r->n)
		return ENOENT;
	for (i = 0; i < r->n; i++) {
		err = auth_rest_key(&keys[i], q->alg, r->secret[i], r->len[i],
				    q->user, q->ulen, q->realm, q->rlen);
		if (err)
			return err == ENOMEM ? EAGAIN : err;
	}
	*n = r->n;
	return 0;
}

static int lookup_user(const struct auth_mem *m, const struct auth_query *q,
		       struct auth_key *key)
{
	const struct mem_user *u =
	    find_user(m, q->realm, q->rlen, q->user, q->ulen);

	if (!u)
		return ENOENT;
	if (!u->password) {
		if (u->key.alg != q->alg)
			return ENOENT;
		*key = u->key;
		return 0;
	}
	if (auth_key_derive(key, q->alg, q->user, q->ulen, q->realm, q->rlen,
			    (const uint8_t *)u->password, strlen(u->password)))
		return EAGAIN;
	return 0;
}

static void mem_lookup(void *ctx, const struct auth_query *q, auth_done_fn done,
		       void *arg)
{
	struct auth_key keys[AUTH_MAX_KEYS];
	size_t n = 1;
	int err;

	if (!q->realm || !q->user)
		err = ENOENT;
	else if (q->rest)
		err = lookup_rest(ctx, q, keys, &n);
	else
		err = lookup_user(ctx, q, &keys[0]);
	if (err == EINVAL)
		err = ENOENT; /* an algorithm this store cannot answer for */
	done(arg, err, err ? NULL : keys, err ? 0 : n);
	memset(keys, 0, sizeof(keys));
}

struct auth_store auth_mem_store(struct auth_mem *m)
{
	struct auth_store s = { .lookup = mem_lookup, .ctx = m, .local = true };

	return s;
}
