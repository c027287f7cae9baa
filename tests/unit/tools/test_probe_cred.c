/* The TURN REST API credential formula (draft-uberti-behave-turn-rest-00
 * §2.2), checked against values computed independently:
 *   python3 -c 'import hmac,hashlib,base64; print(base64.b64encode(
 *     hmac.new(b"s3cret", b"1700000000:alice", hashlib.sha1).digest()))' */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "tools/common/cred.h"

/* HMAC-SHA1 of the username under "s3cret", base64 (see above). */
#define REST_ALICE "TtElzSjT0GdnTQ9xdcRNxx96yQs="
#define REST_BARE  "q+w4xPTJUDdpERozKOlEBw5B9Pg="

Test(cred, rest_formula)
{
	char user[PROBE_CRED_MAX], pass[PROBE_CRED_MAX];

	cr_assert_eq(probe_rest_cred("s3cret", "alice", 1700000000, user, pass),
		     0);
	cr_assert_str_eq(user, "1700000000:alice");
	cr_assert_str_eq(pass, REST_ALICE);
	cr_assert_eq(probe_rest_cred("s3cret", "", 1700000000, user, pass), 0);
	cr_assert_str_eq(user, "1700000000");
	cr_assert_str_eq(pass, REST_BARE);
}

Test(cred, rest_expiry)
{
	int64_t e = 0;

	cr_assert(probe_rest_expiry("1700000000:alice", &e));
	cr_assert_eq(e, 1700000000);
	cr_assert(probe_rest_expiry("42", &e));
	cr_assert_eq(e, 42);
	cr_assert_not(probe_rest_expiry("alice", &e));
	cr_assert_not(probe_rest_expiry(":alice", &e));
	cr_assert_not(probe_rest_expiry("", &e));
}

Test(cred, rest_too_long)
{
	char user[PROBE_CRED_MAX], pass[PROBE_CRED_MAX], name[600];

	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	cr_assert_eq(probe_rest_cred("s", name, 1, user, pass), EINVAL);
	cr_assert_eq(probe_rest_cred(NULL, "a", 1, user, pass), EINVAL);
}
