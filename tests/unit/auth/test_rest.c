/* test_rest.c — TURN REST API ephemeral credentials. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"

Test(rest, parse_forms_and_garbage)
{
	const char *u;
	uint64_t e;
	size_t ul;

	cr_assert_eq(auth_rest_parse("1700000000:alice", 16, &e, &u, &ul), 0);
	cr_assert_eq(e, 1700000000u);
	cr_assert_eq(ul, 5);
	cr_assert(!memcmp(u, "alice", 5));
	cr_assert_eq(auth_rest_parse("42", 2, &e, &u, &ul), 0);
	cr_assert_eq(e, 42);
	cr_assert_eq(ul, 0);
	cr_assert_eq(auth_rest_parse("42:a:b", 6, &e, &u, &ul), 0);
	cr_assert_eq(ul, 3);
	cr_assert_eq(auth_rest_parse("", 0, &e, &u, &ul), EBADMSG);
	cr_assert_eq(auth_rest_parse(":alice", 6, &e, &u, &ul), EBADMSG);
	cr_assert_eq(auth_rest_parse("-1:alice", 8, &e, &u, &ul), EBADMSG);
	cr_assert_eq(auth_rest_parse(" 1:alice", 8, &e, &u, &ul), EBADMSG);
	cr_assert_eq(auth_rest_parse("alice:1", 7, &e, &u, &ul), EBADMSG);
	cr_assert_eq(auth_rest_parse("99999999999999999999:a", 22, &e, &u, &ul),
		     EBADMSG, "over 63 bits");
	cr_assert_eq(auth_rest_parse("1\0002:a", 5, &e, &u, &ul), EBADMSG);
	cr_assert(auth_rest_expired("100:a", 5, 101));
	cr_assert(!auth_rest_expired("100:a", 5, 100));
	cr_assert(auth_rest_expired("x", 1, 0));
}

Test(rest, password_is_base64_hmac_sha1)
{
	char pw[AUTH_REST_PASS_LEN + 1];

	/* HMAC-SHA1("secret", "1700000000:alice"), base64 — computed with
	 * `printf %s 1700000000:alice | openssl dgst -sha1 -hmac secret
	 * -binary | base64`. */
	cr_assert_eq(auth_rest_password((const uint8_t *)"secret", 6,
					"1700000000:alice", 16, pw),
		     0);
	cr_assert_eq(strlen(pw), 28);
	cr_assert_eq(pw[27], '=');
	cr_assert_str_eq(pw, "d8soP47RbdIKLDUOpnJPVQyq5Ts=");
}
