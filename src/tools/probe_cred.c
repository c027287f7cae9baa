/*
 * probe_cred.c — TURN REST API credentials and the target list.
 *
 * Pure: the caller passes the expiry, so a test can pin the clock.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "tools/probe.h"

/* draft-uberti-behave-turn-rest-00 §2.2: the username carries its own
 * expiry, so the server needs no state; the password is its MAC. */
int probe_rest_cred(const char *secret, const char *name, int64_t expiry,
		    char *user, char *pass)
{
	char p[AUTH_REST_PASS_LEN + 1];
	int n, err;

	if (!secret || !name || !user || !pass)
		return EINVAL;
	if (*name)
		n = snprintf(user, PROBE_CRED_MAX, "%" PRId64 ":%s", expiry,
			     name);
	else
		n = snprintf(user, PROBE_CRED_MAX, "%" PRId64, expiry);
	if (n < 0 || n >= PROBE_CRED_MAX)
		return EINVAL;
	err = auth_rest_password((const uint8_t *)secret, strlen(secret), user,
				 (size_t)n, p);
	if (err)
		return err;
	memcpy(pass, p, sizeof(p));
	return 0;
}

bool probe_rest_expiry(const char *user, int64_t *expiry)
{
	const char *name;
	uint64_t e;
	size_t n;

	if (!user || auth_rest_parse(user, strlen(user), &e, &name, &n) != 0)
		return false;
	if (e > INT64_MAX)
		return false;
	*expiry = (int64_t)e;
	return true;
}

int probe_targets_add(struct probe_targets *l, const struct probe_target *t)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4;
		struct probe_target *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *t;
	return 0;
}

void probe_targets_free(struct probe_targets *l)
{
	if (!l)
		return;
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}
