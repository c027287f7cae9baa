/*
 * test_admin_http.c — what tern-admin reads of HTTP: the --admin URL and
 * the status and body of the admin listener's answer, with the answers
 * that are too short or not HTTP refused.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "tools/admin/admin.h"

Test(admin_http, url_forms)
{
	char host[256], port[8], why[200];

	cr_assert_eq(admin_url_split("http://127.0.0.1:9641", host, port, why,
				     sizeof(why)),
		     0);
	cr_assert_str_eq(host, "127.0.0.1");
	cr_assert_str_eq(port, "9641");
	cr_assert_eq(
	    admin_url_split("http://[::1]:1/", host, port, why, sizeof(why)),
	    0);
	cr_assert_str_eq(host, "::1");
	cr_assert_str_eq(port, "1");
	cr_assert_eq(admin_url_split("http://localhost:65535", host, port, why,
				     sizeof(why)),
		     0);
}

Test(admin_http, url_refusals)
{
	static const char *const bad[] = {
		"127.0.0.1:9641",
		"https://127.0.0.1:9641",
		"http://127.0.0.1",
		"http://127.0.0.1:",
		"http://127.0.0.1:0",
		"http://127.0.0.1:65536",
		"http://127.0.0.1:9641/x",
		"http://[::1]9641",
		"http://:9641",
		"http://[::1:9641",
	};
	char host[256], port[8], why[200];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		cr_assert_eq(
		    admin_url_split(bad[i], host, port, why, sizeof(why)),
		    EINVAL, "%s", bad[i]);
		cr_assert_not_null(strstr(why, "is not http://HOST:PORT"));
	}
}

Test(admin_http, answer_status_and_body)
{
	static const char a[] = "HTTP/1.1 404 Not Found\r\nX: y\r\n\r\n{}";
	int st = 0;
	size_t off = 0;

	cr_assert_eq(admin_http_parse(a, strlen(a), &st, &off), 0);
	cr_assert_eq(st, 404);
	cr_assert_str_eq(a + off, "{}");
}

Test(admin_http, answer_refusals)
{
	static const char *const bad[] = {
		"",
		"HTTP/1.",
		"HTTP/1.1",
		"HTTP/1.1 20",
		"HTTP/1.1 200 OK\r\n",
		"HTTP/1.1 999 What\r\n\r\n",
		"HTTP/2 200 OK\r\n\r\n",
		"SSH-2.0-OpenSSH_9.2\r\n\r\n",
	};
	int st;
	size_t off;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(
		    admin_http_parse(bad[i], strlen(bad[i]), &st, &off),
		    EBADMSG, "%s", bad[i]);
}
