/*
 * quota.c — server-wide allocation quotas; see quota.h.
 */
#include "turn/quota.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/hmap.h"
#include "base/rand.h"

struct turn_quota_user {
	struct hmap_node node; /* q->users, keyed by name */
	uint32_t n;	       /* allocations held */
	uint16_t len;
	char name[];
};

struct turn_quota {
	pthread_mutex_t lock; /* guards users and every entry's n */
	struct hmap users;
	uint32_t seed; /* usernames come from the network */
	atomic_uint_fast32_t total;
};

int turn_quota_alloc(struct turn_quota **qp)
{
	struct turn_quota *q;
	int rc;

	if (!qp)
		return EINVAL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return ENOMEM;
	atomic_init(&q->total, 0);
	if ((rc = rand_bytes(&q->seed, sizeof(q->seed))) ||
	    (rc = hmap_init(&q->users, 64)) ||
	    (rc = pthread_mutex_init(&q->lock, NULL)))
		goto out;
	*qp = q;
	return 0;
out:
	hmap_release(&q->users);
	free(q);
	return rc;
}

void turn_quota_free(struct turn_quota *q)
{
	if (!q)
		return;
	/* Entries leave the table when their last unit is put back; any
	 * left over belong to servers that were not freed first. */
	hmap_release(&q->users);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

static uint32_t user_hash(const struct turn_quota *q, const char *name,
			  size_t len)
{
	return hmap_hash_bytes(q->seed, name, len);
}

/* Under q->lock. */
static struct turn_quota_user *user_find(struct turn_quota *q, const char *name,
					 size_t len)
{
	uint32_t h = user_hash(q, name, len);
	struct hmap_node *n;

	for (n = hmap_first(&q->users, h); n; n = hmap_next(n, h)) {
		struct turn_quota_user *u = (struct turn_quota_user *)n;

		if (u->len == len && !memcmp(u->name, name, len))
			return u;
	}
	return NULL;
}

/* Under q->lock: the entry of name, made with n = 0 when new. */
static struct turn_quota_user *user_get(struct turn_quota *q, const char *name,
					size_t len)
{
	struct turn_quota_user *u = user_find(q, name, len);

	if (u || len > UINT16_MAX)
		return u;
	u = calloc(1, sizeof(*u) + len);
	if (!u)
		return NULL;
	u->len = (uint16_t)len;
	memcpy(u->name, name, len);
	hmap_insert(&q->users, &u->node, user_hash(q, name, len));
	return u;
}

/* Under q->lock: the checks, in the order the single-server code made
 * them (capacity, then the user's share). */
static int take_locked(struct turn_quota *q, const char *user, size_t ulen,
		       uint32_t max_total, uint32_t max_user,
		       struct turn_quota_user **up)
{
	struct turn_quota_user *u;

	if (max_total && atomic_load(&q->total) >= max_total)
		return ENOSPC;
	u = user_find(q, user, ulen);
	if (max_user && u && u->n >= max_user)
		return EDQUOT;
	if (!u && !(u = user_get(q, user, ulen)))
		return ENOMEM;
	u->n++;
	atomic_fetch_add(&q->total, 1);
	*up = u;
	return 0;
}

int turn_quota_take(struct turn_quota *q, const char *user, size_t ulen,
		    uint32_t max_total, uint32_t max_user,
		    struct turn_quota_user **up)
{
	int rc;

	if (!q || (!user && ulen) || !up)
		return EINVAL;
	pthread_mutex_lock(&q->lock);
	rc = take_locked(q, user ? user : "", ulen, max_total, max_user, up);
	pthread_mutex_unlock(&q->lock);
	return rc;
}

void turn_quota_put(struct turn_quota *q, struct turn_quota_user *u)
{
	if (!q || !u)
		return;
	pthread_mutex_lock(&q->lock);
	atomic_fetch_sub(&q->total, 1);
	if (--u->n == 0) {
		hmap_remove(&q->users, &u->node);
		free(u);
	}
	pthread_mutex_unlock(&q->lock);
}

bool turn_quota_user_is(const struct turn_quota_user *u, const char *user,
			size_t ulen)
{
	return u && u->len == ulen && (!ulen || !memcmp(u->name, user, ulen));
}

uint32_t turn_quota_total(const struct turn_quota *q)
{
	return q ? (uint32_t)atomic_load(&q->total) : 0;
}

uint32_t turn_quota_user_count(struct turn_quota *q, const char *user,
			       size_t ulen)
{
	struct turn_quota_user *u;
	uint32_t n;

	if (!q || (!user && ulen))
		return 0;
	pthread_mutex_lock(&q->lock);
	u = user_find(q, user ? user : "", ulen);
	n = u ? u->n : 0;
	pthread_mutex_unlock(&q->lock);
	return n;
}

const char *turn_quota_user_name(const struct turn_quota_user *u, size_t *len)
{
	*len = u ? u->len : 0;
	return u ? u->name : "";
}
