/* test_http.c — tern-signal's pure HTTP helpers (src/signal/srv_http.h). */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "signal/srv_http.h"

static const char head[] = "GET /x?token=abc HTTP/1.1\r\n"
			   "Host: 127.0.0.1:6503\r\n"
			   "authorization:   Bearer  t0k  \r\n"
			   "X-Long: 0123456789\r\n"
			   "\r\n";

Test(http, header_found_case_insensitive_trimmed)
{
	char v[64];

	cr_assert_eq(sig_http_header((const uint8_t *)head, strlen(head),
				     "Authorization", v, sizeof(v)),
		     0);
	cr_assert_str_eq(v, "Bearer  t0k");
	cr_assert_eq(sig_http_header((const uint8_t *)head, strlen(head),
				     "host", v, sizeof(v)),
		     0);
	cr_assert_str_eq(v, "127.0.0.1:6503");
}

Test(http, header_missing_or_too_long)
{
	char v[8];

	cr_assert_eq(sig_http_header((const uint8_t *)head, strlen(head),
				     "x-api-key", v, sizeof(v)),
		     ENOENT);
	cr_assert_eq(sig_http_header((const uint8_t *)head, strlen(head),
				     "x-long", v, sizeof(v)),
		     ENOSPC);
	/* a prefix of a name is not the name */
	cr_assert_eq(sig_http_header((const uint8_t *)head, strlen(head),
				     "x-lon", v, sizeof(v)),
		     ENOENT);
}

Test(http, target_len)
{
	cr_assert_eq(sig_http_target_len((const uint8_t *)head, strlen(head)),
		     12);
	cr_assert_eq(sig_http_target_len((const uint8_t *)"GET", 3), 0);
}

static int path(const char *t, char *out)
{
	return sig_http_path(t, out, 64, NULL, 0);
}

Test(http, path_plain)
{
	char p[64], q[64];

	cr_assert_eq(sig_http_path("/", p, sizeof(p), q, sizeof(q)), 0);
	cr_assert_str_eq(p, "index.html");
	cr_assert_eq(
	    sig_http_path("/css/a%20b.css?v=1", p, sizeof(p), q, sizeof(q)), 0);
	cr_assert_str_eq(p, "css/a b.css");
	cr_assert_str_eq(q, "v=1");
}

Test(http, path_escapes_refused)
{
	static const char *const bad[] = {
		"/..",	     "/../x",	    "/a/../../x", "/%2e%2e/x",
		"/%2E%2e/x", "/a/%2e%2e",   "/.hidden",	  "/a//b",
		"/a/",	     "/x%00.html",  "/a\\b",	  "/%5c..",
		"/%",	     "/%zz",	    "x",	  "/a/./b",
		"/%2fetc",   "/a%2f..%2fb",
	};
	char p[64];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_neq(path(bad[i], p), 0, "%s accepted as %s", bad[i],
			      p);
}

Test(http, query)
{
	char v[16];

	cr_assert_eq(sig_http_query("a=1&token=x%2Dy&b", "token", v, sizeof(v)),
		     0);
	cr_assert_str_eq(v, "x-y");
	cr_assert_eq(sig_http_query("tokens=1", "token", v, sizeof(v)), ENOENT);
	cr_assert_eq(sig_http_query("token=%00", "token", v, sizeof(v)),
		     EBADMSG);
	cr_assert_eq(sig_http_query("", "token", v, sizeof(v)), ENOENT);
}

Test(http, types)
{
	cr_assert_str_eq(sig_http_type("a/index.html"),
			 "text/html; charset=utf-8");
	cr_assert_str_eq(sig_http_type("x.WASM"), "application/wasm");
	cr_assert_str_eq(sig_http_type("x.webp"), "image/webp");
	cr_assert_str_eq(sig_http_type("a.b/noext"),
			 "application/octet-stream");
	cr_assert_str_eq(sig_http_type("Makefile"), "application/octet-stream");
}

Test(http, origin_default)
{
	cr_assert(sig_http_origin_ok("", "h:1", NULL, 0));
	cr_assert(sig_http_origin_ok("https://h.example:8443", "h.example:8443",
				     NULL, 0));
	cr_assert(sig_http_origin_ok("http://localhost:3000", "x", NULL, 0));
	cr_assert(sig_http_origin_ok("http://127.0.0.1", "x", NULL, 0));
	cr_assert(sig_http_origin_ok("https://[::1]:9", "x", NULL, 0));
	cr_assert_not(
	    sig_http_origin_ok("http://evil.example", "h:1", NULL, 0));
	cr_assert_not(
	    sig_http_origin_ok("http://localhost.evil.example", "h", NULL, 0));
	cr_assert_not(sig_http_origin_ok("http://localhost:", "h", NULL, 0));
	cr_assert_not(sig_http_origin_ok("null", "h", NULL, 0));
	cr_assert_not(sig_http_origin_ok("ftp://h:1", "h:1", NULL, 0));
}

Test(http, origin_list)
{
	const char *l[] = { "https://app.example" };

	cr_assert(sig_http_origin_ok("HTTPS://APP.example", "x", l, 1));
	cr_assert_not(sig_http_origin_ok("http://localhost", "x", l, 1));
	cr_assert(sig_http_origin_ok("http://any.example", "x",
				     (const char *[]){ "*" }, 1));
	/* no list: the same origin */
	cr_assert(
	    sig_http_origin_ok("https://app.example", "app.example", NULL, 0));
}
