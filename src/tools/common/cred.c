/*
 * cred.c — TURN REST API credentials.
 *
 * Pure: the caller passes the expiry, so a test can pin the clock.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "tools/common/cred.h"

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
