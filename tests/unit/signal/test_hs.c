/* test_hs.c — the WebSocket opening handshake (RFC 6455 §4). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "signal/ws.h"

/* RFC 6455 §1.3's client handshake, with its subprotocol list. */
#define HEAD(extra)                                                            \
	"GET /chat HTTP/1.1\r\n"                                               \
	"Host: server.example.com\r\n"                                         \
	"Upgrade: websocket\r\n"                                               \
	"Connection: keep-alive, Upgrade\r\n"                                  \
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"                      \
	"Origin: http://example.com\r\n"                                       \
	"Sec-WebSocket-Protocol: chat, json\r\n" extra                         \
	"Sec-WebSocket-Version: 13\r\n\r\n"

static int parse(const char *s, const struct sig_ws_hs_opts *o,
		 struct sig_ws_req *req)
{
	return sig_ws_hs_parse((const uint8_t *)s, strlen(s), o, req);
}

static void expect(const char *s, const struct sig_ws_hs_opts *o, int status)
{
	struct sig_ws_req req;

	cr_assert_eq(parse(s, o, &req), 0, "%s", s);
	cr_assert_eq(req.status, status, "%s: %d (%s)", s, req.status, req.why);
}

Test(hs, rfc6455_example_accept)
{
	char acc[29];

	/* §1.3: the key "dGhlIHNhbXBsZSBub25jZQ==" gives
	 * "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" */
	cr_assert_eq(sig_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", 24, acc), 0);
	cr_assert_str_eq(acc, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

Test(hs, upgrade_101_with_json)
{
	const char *s = HEAD("");
	struct sig_ws_req req;
	char out[512];
	size_t n;

	cr_assert_eq(parse(s, NULL, &req), 0);
	cr_assert_eq(req.status, 101);
	cr_assert(req.websocket);
	cr_assert(req.proto_json);
	cr_assert_eq(req.head_len, strlen(s));
	cr_assert_str_eq(req.method, "GET");
	cr_assert_str_eq(req.path, "/chat");
	cr_assert_str_eq(req.origin, "http://example.com");
	cr_assert_eq(sig_ws_hs_response(&req, out, sizeof(out), &n), 0);
	cr_assert_eq(n, strlen(out));
	cr_assert_str_eq(out, "HTTP/1.1 101 Switching Protocols\r\n"
			      "Upgrade: websocket\r\n"
			      "Connection: Upgrade\r\n"
			      "Sec-WebSocket-Accept: "
			      "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
			      "Sec-WebSocket-Protocol: json\r\n\r\n");
	cr_assert_eq(sig_ws_hs_response(&req, out, 100, &n), ENOSPC);
}

Test(hs, no_json_offered_no_protocol_echoed)
{
	const char *s =
	    "GET / HTTP/1.1\r\nhost: h\r\nUPGRADE: WebSocket\r\n"
	    "connection: upgrade\r\nSec-WebSocket-Protocol: chat\r\n"
	    "Sec-WebSocket-Protocol: JSON\r\n"
	    "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version:13  \r\n\r\nextra bytes";
	struct sig_ws_req req;
	char out[512];
	size_t n;

	cr_assert_eq(parse(s, NULL, &req), 0);
	cr_assert_eq(req.status, 101, "%s", req.why);
	cr_assert(!req.proto_json, "subprotocols are case-sensitive");
	cr_assert_eq(req.head_len, strlen(s) - strlen("extra bytes"));
	cr_assert_eq(sig_ws_hs_response(&req, out, sizeof(out), &n), 0);
	cr_assert_null(strstr(out, "Sec-WebSocket-Protocol"));
}

Test(hs, incomplete_is_eagain_then_cap_431)
{
	const char *s = HEAD("");
	struct sig_ws_hs_opts o = { NULL, 0, 64 };
	struct sig_ws_req req;
	char big[300];

	for (size_t i = 0; i < strlen(s); i++)
		cr_assert_eq(sig_ws_hs_parse((const uint8_t *)s, i, NULL, &req),
			     EAGAIN);
	cr_assert_eq(sig_ws_hs_parse((const uint8_t *)s, 63, &o, &req), EAGAIN);
	cr_assert_eq(sig_ws_hs_parse((const uint8_t *)s, 64, &o, &req), 0);
	cr_assert_eq(req.status, 431);
	memset(big, 'a', sizeof(big));
	snprintf(big, sizeof(big), "GET / HTTP/1.1\r\n");
	big[strlen(big)] = 'X';
	o.max_head = 200;
	cr_assert_eq(sig_ws_hs_parse((uint8_t *)big, sizeof(big), &o, &req), 0);
	cr_assert_eq(req.status, 431);
}

Test(hs, origin_allow_list_403)
{
	const char *ok[] = { "https://a.example", "HTTP://EXAMPLE.COM" };
	const char *no[] = { "https://a.example" };
	struct sig_ws_hs_opts o1 = { ok, 2, 0 }, o2 = { no, 1, 0 };
	struct sig_ws_req req;
	char out[512];
	size_t n;

	expect(HEAD(""), &o1, 101);
	expect(HEAD(""), &o2, 403);
	cr_assert_eq(parse(HEAD(""), &o2, &req), 0);
	cr_assert_eq(sig_ws_hs_response(&req, out, sizeof(out), &n), 0);
	cr_assert(!strncmp(out, "HTTP/1.1 403 Forbidden\r\n", 24));
	cr_assert_not_null(strstr(out, "Connection: close\r\n"));
	/* no Origin: not a browser, allowed */
	expect("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
	       "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
	       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
	       &o2, 101);
	expect(HEAD("Origin: https://a.example\r\n"), &o2, 400);
}

Test(hs, long_origin)
{
	/* an Origin too long to keep: allowed without a list, refused with
	 * one (it matches no entry), never overflows req.origin */
	const char *no[] = { "https://a.example" };
	struct sig_ws_hs_opts o2 = { no, 1, 0 };
	struct sig_ws_req req;
	char s[1024] = "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
		       "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
		       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		       "Origin: https://";
	size_t n0 = strlen(s);

	memset(s + n0, 'x', 300);
	strcpy(s + n0 + 300, "\r\n\r\n");
	cr_assert_eq(parse(s, NULL, &req), 0);
	cr_assert_eq(req.status, 101);
	cr_assert_str_eq(req.origin, "");
	expect(s, &o2, 403);
}

Test(hs, version_426)
{
	const char *s = "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
			"Connection: Upgrade\r\nSec-WebSocket-Version: 8\r\n"
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
	struct sig_ws_req req;
	char out[512];
	size_t n;

	cr_assert_eq(parse(s, NULL, &req), 0);
	cr_assert_eq(req.status, 426);
	cr_assert_eq(sig_ws_hs_response(&req, out, sizeof(out), &n), 0);
	cr_assert(!strncmp(out, "HTTP/1.1 426 Upgrade Required\r\n", 31));
	cr_assert_not_null(strstr(out, "\r\nSec-WebSocket-Version: 13\r\n"));
	/* a plain GET (the static pages) is not an upgrade: 426, websocket
	 * false, method and path kept for the caller's routing */
	cr_assert_eq(
	    parse("GET /index.html HTTP/1.1\r\nHost: h\r\n\r\n", NULL, &req),
	    0);
	cr_assert_eq(req.status, 426);
	cr_assert(!req.websocket);
	cr_assert_str_eq(req.path, "/index.html");
}

Test(hs, every_400)
{
	const char *k = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
	const char *u = "Upgrade: websocket\r\nConnection: Upgrade\r\n"
			"Sec-WebSocket-Version: 13\r\n";
	char s[1024];

	/* request line */
	expect("GET /\r\nHost: h\r\n\r\n", NULL, 400);
	expect("GET / HTTP/1.0\r\nHost: h\r\n\r\n", NULL, 400);
	expect("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", NULL, 400);
	expect("GET x HTTP/1.1\r\nHost: h\r\n\r\n", NULL, 400);
	expect("G(T / HTTP/1.1\r\nHost: h\r\n\r\n", NULL, 400);
	expect("GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n", NULL, 400);
	/* header syntax: no colon, obs-fold, control character, space in
	 * the name */
	expect("GET / HTTP/1.1\r\nHost h\r\n\r\n", NULL, 400);
	expect("GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n", NULL, 400);
	expect("GET / HTTP/1.1\r\nHost: h\x01\r\n\r\n", NULL, 400);
	expect("GET / HTTP/1.1\r\nHost : h\r\n\r\n", NULL, 400);
	/* Host missing or twice */
	snprintf(s, sizeof(s), "GET / HTTP/1.1\r\n%s%s\r\n", u, k);
	expect(s, NULL, 400);
	snprintf(s, sizeof(s),
		 "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n%s%s\r\n", u, k);
	expect(s, NULL, 400);
	/* not GET */
	snprintf(s, sizeof(s), "POST / HTTP/1.1\r\nHost: a\r\n%s%s\r\n", u, k);
	expect(s, NULL, 400);
	/* Connection without Upgrade */
	expect("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
	       "Connection: keep-alive, Upgraded\r\n"
	       "Sec-WebSocket-Version: 13\r\n"
	       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
	       NULL, 400);
	/* version missing */
	expect("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
	       "Connection: Upgrade\r\n"
	       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
	       NULL, 400);
	/* keys: missing, short, not base64, 17 bytes, twice */
	snprintf(s, sizeof(s), "GET / HTTP/1.1\r\nHost: a\r\n%s\r\n", u);
	expect(s, NULL, 400);
	snprintf(s, sizeof(s),
		 "GET / HTTP/1.1\r\nHost: a\r\n%sSec-WebSocket-Key: "
		 "dGhlIHNhbXBsZQ==\r\n\r\n",
		 u);
	expect(s, NULL, 400);
	snprintf(s, sizeof(s),
		 "GET / HTTP/1.1\r\nHost: a\r\n%sSec-WebSocket-Key: "
		 "dGhlIHNhbXBsZSBub25jZ!==\r\n\r\n",
		 u);
	expect(s, NULL, 400);
	snprintf(s, sizeof(s),
		 "GET / HTTP/1.1\r\nHost: a\r\n%sSec-WebSocket-Key: "
		 "dGhlIHNhbXBsZSBub25jZQ1=\r\n\r\n",
		 u);
	expect(s, NULL, 400);
	snprintf(s, sizeof(s), "GET / HTTP/1.1\r\nHost: a\r\n%s%s%s\r\n", u, k,
		 k);
	expect(s, NULL, 400);
}

Test(hs, too_many_headers_431)
{
	char s[4096];
	size_t n = 0;

	n += (size_t)snprintf(s, sizeof(s), "GET / HTTP/1.1\r\n");
	for (int i = 0; i < 65; i++)
		n += (size_t)snprintf(s + n, sizeof(s) - n, "X-%d: y\r\n", i);
	snprintf(s + n, sizeof(s) - n, "\r\n");
	expect(s, NULL, 431);
}

Test(hs, bad_arguments)
{
	struct sig_ws_req req;
	size_t n;

	cr_assert_eq(sig_ws_hs_parse(NULL, 3, NULL, &req), EINVAL);
	cr_assert_eq(sig_ws_hs_parse((const uint8_t *)"x", 1, NULL, NULL),
		     EINVAL);
	cr_assert_eq(sig_ws_hs_response(NULL, NULL, 0, &n), EINVAL);
}
