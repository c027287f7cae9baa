/*
 * test_admin_cred.c — tern-admin's iceServers entry, long-term keys in
 * hex, and where Redis is (its own --redis and coturn's connection
 * string).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "tools/admin/admin.h"

static json_t *entry_of(const char *secret, const char *user, int64_t expiry,
			const char *const *uris, size_t n)
{
	char *s = NULL;
	json_t *j;

	cr_assert_eq(admin_ice_entry(&s, secret, user, expiry, uris, n), 0);
	cr_assert(strchr(s, '\n') == NULL, "one line: %s", s);
	j = json_loads(s, 0, NULL);
	cr_assert(j, "not JSON: %s", s);
	free(s);
	return j;
}

/* Expected values from Python: base64(hmac.new(b"s3cret",
 * b"1700000000:alice", sha1).digest()). */
Test(admin_cred, rest_entry_matches_the_draft)
{
	const char *uris[] = { "turn:192.0.2.1:3478?transport=udp",
			       "turns:turn.example.org:443?transport=tcp" };
	json_t *j = entry_of("s3cret", "alice", 1700000000, uris, 2);
	json_t *urls = json_object_get(j, "urls");

	cr_assert_str_eq(json_string_value(json_object_get(j, "username")),
			 "1700000000:alice");
	cr_assert_str_eq(json_string_value(json_object_get(j, "credential")),
			 "TtElzSjT0GdnTQ9xdcRNxx96yQs=");
	cr_assert(json_is_array(urls));
	cr_assert_eq(json_array_size(urls), 2);
	cr_assert_str_eq(json_string_value(json_array_get(urls, 1)), uris[1]);
	cr_assert_eq(json_object_size(j), 3, "urls, username, credential");
	json_decref(j);
}

Test(admin_cred, names_are_escaped_not_spliced)
{
	json_t *j = entry_of("k", "a\"b\\c", 5, NULL, 0);

	cr_assert_str_eq(json_string_value(json_object_get(j, "username")),
			 "5:a\"b\\c");
	cr_assert_eq(json_array_size(json_object_get(j, "urls")), 0);
	json_decref(j);
}

Test(admin_cred, refuses_an_empty_secret)
{
	char *s = NULL;

	cr_assert_eq(admin_ice_entry(&s, "", "alice", 1, NULL, 0), EINVAL);
	cr_assert_null(s);
}

/* turnadmin -k -u alice -r ex.org -p wonderland prints
 * 0x74c8813e8a474117d4ed84d23adf5019 (coturn 4.6.1). */
Test(admin_cred, md5_key_is_what_turnadmin_prints)
{
	char hex[65];

	cr_assert_eq(
	    admin_key_hex(hex, AUTH_ALG_MD5, "alice", "ex.org", "wonderland"),
	    0);
	cr_assert_str_eq(hex, "74c8813e8a474117d4ed84d23adf5019");
	cr_assert_eq(admin_key_hex(hex, AUTH_ALG_SHA256, "alice", "ex.org",
				   "wonderland"),
		     0);
	cr_assert_eq(strlen(hex), 64);
}

Test(admin_cred, key_normalize)
{
	char out[65];

	cr_assert(
	    admin_key_normalize(out, "0xB70615A74A524BECC6960F540634BB00"));
	cr_assert_str_eq(out, "b70615a74a524becc6960f540634bb00");
	cr_assert(admin_key_normalize(out, "b70615a74a524becc6960f540634bb00"));
	cr_assert_not(admin_key_normalize(out, "0x1234"));
	cr_assert_not(
	    admin_key_normalize(out, "g70615a74a524becc6960f540634bb00"));
}

Test(admin_conn, coturn_connection_string)
{
	struct admin_conn c = { .host = "127.0.0.1", .port = 6379 };
	const char *s = "ip=10.0.0.7 dbname=3 password=p@ss port=6390 "
			"connect_timeout=30 user=turn";
	char buf[128], why[128];
	const char *unknown = NULL;

	cr_assert_eq(admin_conn_coturn(&c, s, buf, &unknown, why, sizeof(why)),
		     0, "%s", why);
	cr_assert_str_eq(c.host, "10.0.0.7");
	cr_assert_eq(c.port, 6390);
	cr_assert_eq(c.db, 3);
	cr_assert_str_eq(c.password, "p@ss");
	cr_assert_eq(c.timeout_ms, 30000);
	cr_assert_str_eq(unknown, "user");
}

Test(admin_conn, coturn_connection_string_errors)
{
	struct admin_conn c = { 0 };
	char buf[64], why[128];

	cr_assert_eq(admin_conn_coturn(&c, "ip=1.2.3.4 port=0", buf, NULL, why,
				       sizeof(why)),
		     EINVAL);
	cr_assert_eq(
	    admin_conn_coturn(&c, "localhost", buf, NULL, why, sizeof(why)),
	    EINVAL);
	cr_assert_eq(
	    admin_conn_coturn(&c, "dbname=x", buf, NULL, why, sizeof(why)),
	    EINVAL);
}

Test(admin_conn, host_port_forms)
{
	struct admin_conn c = { .host = "127.0.0.1", .port = 6379 };
	char buf[64], why[128];

	cr_assert_eq(
	    admin_conn_parse(&c, "redis.example:6380", buf, why, sizeof(why)),
	    0);
	cr_assert_str_eq(c.host, "redis.example");
	cr_assert_eq(c.port, 6380);
	cr_assert_eq(admin_conn_parse(&c, "[::1]:7000", buf, why, sizeof(why)),
		     0);
	cr_assert_str_eq(c.host, "::1");
	cr_assert_eq(c.port, 7000);
	c.port = 6379;
	cr_assert_eq(admin_conn_parse(&c, "fd00::5", buf, why, sizeof(why)), 0);
	cr_assert_str_eq(c.host, "fd00::5");
	cr_assert_eq(c.port, 6379);
	cr_assert_eq(
	    admin_conn_parse(&c, "/run/redis.sock", buf, why, sizeof(why)), 0);
	cr_assert_str_eq(c.unix_path, "/run/redis.sock");
	cr_assert_eq(admin_conn_parse(&c, "h:65536", buf, why, sizeof(why)),
		     EINVAL);
	cr_assert_eq(admin_conn_parse(&c, "[::1", buf, why, sizeof(why)),
		     EINVAL);
}
