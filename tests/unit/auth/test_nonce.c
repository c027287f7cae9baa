/* test_nonce.c — stateless nonces. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"

static const uint8_t key[] = "a-sixteen-byte-or-longer-secret";

Test(nonce, roundtrip_stale_forged_and_bound_to_ip)
{
	char n[AUTH_NONCE_LEN + 1];
	struct sa a, b, c;
	uint32_t f = 0;

	sa_set_str(&a, "192.0.2.1", 1000);
	sa_set_str(&b, "192.0.2.1", 2000);
	sa_set_str(&c, "192.0.2.2", 1000);
	cr_assert_eq(auth_nonce_make(key, sizeof(key), 0, 500, &a, n), 0);
	cr_assert_eq(strlen(n), AUTH_NONCE_LEN);
	cr_assert(!memcmp(n, "obMatJos2AAAA", 13));
	cr_assert_eq(auth_nonce_check(key, sizeof(key), n, AUTH_NONCE_LEN, &a,
				      500, 0, &f),
		     0);
	cr_assert_eq(auth_nonce_check(key, sizeof(key), n, AUTH_NONCE_LEN, &b,
				      500, 0, NULL),
		     0, "the port is not bound");
	cr_assert_eq(auth_nonce_check(key, sizeof(key), n, AUTH_NONCE_LEN, &c,
				      500, 0, NULL),
		     EBADMSG);
	cr_assert_eq(auth_nonce_check(key, sizeof(key), n, AUTH_NONCE_LEN, &a,
				      501, 0, NULL),
		     ESTALE);
	cr_assert_eq(auth_nonce_check(key, sizeof(key), n, AUTH_NONCE_LEN, &a,
				      501, 10, NULL),
		     0, "within grace");
	n[30] = n[30] == 'a' ? 'b' : 'a';
	cr_assert_eq(auth_nonce_check(key, sizeof(key), n, AUTH_NONCE_LEN, &a,
				      0, 0, NULL),
		     EBADMSG);
	cr_assert_eq(auth_nonce_check(key, sizeof(key), n, 10, &a, 0, 0, NULL),
		     EBADMSG);
}

Test(nonce, feature_bits_are_authenticated)
{
	char n[AUTH_NONCE_LEN + 1];
	struct sa a;
	uint32_t f = 0;

	sa_set_str(&a, "2001:db8::1", 1);
	cr_assert_eq(auth_nonce_make(key, sizeof(key),
				     AUTH_FEAT_PASSWORD_ALGORITHMS, 9, &a, n),
		     0);
	cr_assert(!memcmp(n, "obMatJos2gAAA", 13), "%s", n);
	cr_assert_eq(
	    auth_nonce_check(key, sizeof(key), n, AUTH_NONCE_LEN, &a, 1, 0, &f),
	    0);
	cr_assert_eq(f, AUTH_FEAT_PASSWORD_ALGORITHMS);
	/* Bid-down: strip the bit. */
	memcpy(n + 9, "AAAA", 4);
	cr_assert_eq(
	    auth_nonce_check(key, sizeof(key), n, AUTH_NONCE_LEN, &a, 1, 0, &f),
	    EBADMSG);
	cr_assert_eq(auth_nonce_make(key, 8, 0, 9, &a, n), EINVAL,
		     "short secret");
}
