/* test_mem.c — the in-memory credential store. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "auth/store.h"

static struct {
	int err;
	size_t n;
	struct auth_key k[AUTH_MAX_KEYS];
	unsigned calls;
} ans;

static void done(void *arg, int err, const struct auth_key *keys, size_t n)
{
	(void)arg;
	ans.err = err;
	ans.n = n;
	ans.calls++;
	if (n)
		memcpy(ans.k, keys, n * sizeof(*keys));
}

static void ask(struct auth_store *s, const char *realm, const char *user,
		uint16_t alg, bool rest)
{
	struct auth_query q = { realm,	      strlen(realm), user,
				strlen(user), alg,	     rest };

	memset(&ans, 0, sizeof(ans));
	s->lookup(s->ctx, &q, done, NULL);
	cr_assert_eq(ans.calls, 1, "done exactly once");
}

Test(mem, users_keys_and_secrets)
{
	struct auth_mem *m;
	struct auth_store s;
	struct auth_key k;

	cr_assert_eq(auth_mem_alloc(&m), 0);
	cr_assert_eq(auth_mem_add_user(m, "r", "alice", "pw"), 0);
	cr_assert_eq(auth_mem_add_user(m, "r", "alice", "pw2"), EEXIST);
	cr_assert_eq(
	    auth_mem_add_user_key(m, "r", "carol", AUTH_ALG_MD5,
				  "0x00112233445566778899aabbccddeeff"),
	    0);
	cr_assert_eq(auth_mem_add_user_key(m, "r", "dave", AUTH_ALG_MD5, "zz"),
		     EINVAL);
	s = auth_mem_store(m);
	ask(&s, "r", "alice", AUTH_ALG_MD5, false);
	cr_assert_eq(ans.err, 0);
	auth_key_derive(&k, AUTH_ALG_MD5, "alice", 5, "r", 1,
			(const uint8_t *)"pw", 2);
	cr_assert(auth_key_equal(&k, &ans.k[0]));
	ask(&s, "r", "alice", AUTH_ALG_SHA256, false);
	cr_assert_eq(ans.k[0].len, 32);
	ask(&s, "other", "alice", AUTH_ALG_MD5, false);
	cr_assert_eq(ans.err, ENOENT);
	ask(&s, "r", "carol", AUTH_ALG_MD5, false);
	cr_assert_eq(ans.err, 0);
	cr_assert_eq(ans.k[0].k[1], 0x11);
	ask(&s, "r", "carol", AUTH_ALG_SHA256, false);
	cr_assert_eq(ans.err, ENOENT);
	ask(&s, "r", "1:x", AUTH_ALG_MD5, true);
	cr_assert_eq(ans.err, ENOENT, "no secrets yet");
	cr_assert_eq(auth_mem_add_secret(m, "r", (const uint8_t *)"s1", 2), 0);
	cr_assert_eq(auth_mem_add_secret(m, "r", (const uint8_t *)"s2", 2), 0);
	ask(&s, "r", "1:x", AUTH_ALG_MD5, true);
	cr_assert_eq(ans.err, 0);
	cr_assert_eq(ans.n, 2);
	cr_assert_eq(auth_rest_key(&k, AUTH_ALG_MD5, (const uint8_t *)"s2", 2,
				   "1:x", 3, "r", 1),
		     0);
	cr_assert(auth_key_equal(&k, &ans.k[1]));
	auth_mem_free(m);
	auth_mem_free(NULL);
}
