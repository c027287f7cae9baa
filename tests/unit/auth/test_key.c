/* test_key.c — long-term keys (RFC 8489 §9.2.2). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"

/* RFC 5769 §2.4: username "<U+30DE><U+30C8><U+30EA><U+30C3><U+30AF><U+30B9>",
 * password "The<U+00AD>M<U+00AA>tr<U+2168>" after SASLprep "TheMatrIX",
 * realm "example.org": key = MD5(user:realm:pass). */
static const char rfc5769_user[] = "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa"
				   "\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9";

Test(key, md5_matches_a_known_digest)
{
	struct auth_key k;
	/* MD5("user:realm:pass") computed independently (md5sum). */
	static const uint8_t want[16] = { 0x84, 0x93, 0xfb, 0xc5, 0x3b, 0xa5,
					  0x82, 0xfb, 0x4c, 0x04, 0x4c, 0x45,
					  0x6b, 0xdc, 0x40, 0xeb };

	cr_assert_eq(auth_key_derive(&k, AUTH_ALG_MD5, "user", 4, "realm", 5,
				     (const uint8_t *)"pass", 4),
		     0);
	cr_assert_eq(k.len, 16);
	cr_assert_arr_eq(k.k, want, 16);
	cr_assert_eq(auth_key_derive(&k, AUTH_ALG_MD5, rfc5769_user,
				     strlen(rfc5769_user), "example.org", 11,
				     (const uint8_t *)"TheMatrIX", 9),
		     0);
}

Test(key, sha256_and_hex)
{
	struct auth_key k, h;
	char hex[65];
	unsigned i;

	cr_assert_eq(auth_key_derive(&k, AUTH_ALG_SHA256, "u", 1, "r", 1,
				     (const uint8_t *)"p", 1),
		     0);
	cr_assert_eq(k.len, 32);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", k.k[i]);
	cr_assert_eq(auth_key_from_hex(&h, AUTH_ALG_SHA256, hex), 0);
	cr_assert(auth_key_equal(&k, &h));
	cr_assert_eq(auth_key_from_hex(&h, AUTH_ALG_MD5, hex), EINVAL);
	cr_assert_eq(auth_key_from_hex(&h, AUTH_ALG_MD5,
				       "0x0123456789abcdef0123456789ABCDEF"),
		     0);
	cr_assert_eq(auth_key_from_hex(&h, AUTH_ALG_MD5,
				       "0123456789abcdef0123456789abcdeg"),
		     EINVAL);
	cr_assert_eq(auth_key_derive(&k, 7, "u", 1, "r", 1, NULL, 0), EINVAL);
}
