/*
 * test_sig_ws.c — tern-peer's WebSocket client framing: the opening
 * request, the server's answer (RFC 6455 §1.3's sample key), frames.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "peer/sig_ws.h"

static const char key[] = "dGhlIHNhbXBsZSBub25jZQ==";

Test(peer_ws, request)
{
	char out[1024];
	size_t n =
	    peer_ws_request(out, sizeof(out), "127.0.0.1:6503", "/ws", key);

	cr_assert_gt(n, 0);
	cr_assert(strstr(out, "GET /ws HTTP/1.1\r\n") == out);
	cr_assert(
	    strstr(out, "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"));
	cr_assert(strstr(out, "Sec-WebSocket-Protocol: json\r\n"));
	cr_assert_eq(peer_ws_request(out, 20, "h:1", "/", key), 0);
}

Test(peer_ws, response_rfc6455_sample_key)
{
	static const char ok[] =
	    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
	    "sec-websocket-protocol: json\r\n\r\n\x81\x02hi";
	char why[200] = "";
	size_t head = 0;

	cr_assert_eq(peer_ws_response((const uint8_t *)ok, sizeof(ok) - 1, key,
				      &head, why, sizeof(why)),
		     0, "%s", why);
	cr_assert_eq(head, sizeof(ok) - 1 - 4);
	cr_assert_eq(peer_ws_response((const uint8_t *)ok, 40, key, &head, why,
				      sizeof(why)),
		     EAGAIN);
}

Test(peer_ws, response_refused)
{
	static const char bad_key[] =
	    "HTTP/1.1 101 Switching Protocols\r\n"
	    "Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n"
	    "Sec-WebSocket-Protocol: json\r\n\r\n";
	static const char no_proto[] =
	    "HTTP/1.1 101 Switching Protocols\r\n"
	    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
	static const char not_found[] = "HTTP/1.1 404 Not Found\r\n\r\n";
	char why[200] = "";
	size_t head;

	cr_assert_eq(peer_ws_response((const uint8_t *)bad_key,
				      sizeof(bad_key) - 1, key, &head, why,
				      sizeof(why)),
		     EPROTO);
	cr_assert(strstr(why, "Accept"), "%s", why);
	cr_assert_eq(peer_ws_response((const uint8_t *)no_proto,
				      sizeof(no_proto) - 1, key, &head, why,
				      sizeof(why)),
		     EPROTO);
	cr_assert(strstr(why, "json"), "%s", why);
	cr_assert_eq(peer_ws_response((const uint8_t *)not_found,
				      sizeof(not_found) - 1, key, &head, why,
				      sizeof(why)),
		     EPROTO);
	cr_assert(strstr(why, "404"), "%s", why);
}

Test(peer_ws, frames)
{
	static const uint8_t mask[4] = { 1, 2, 3, 4 };
	uint8_t text[300], out[400], server[310];
	struct peer_ws_frame f;
	size_t n, i;

	memset(text, 'x', sizeof(text));
	n = peer_ws_frame_encode(out, 1, text, sizeof(text), mask);
	cr_assert_eq(n, 4 + 4 + sizeof(text));
	cr_assert_eq(out[0], 0x81);
	cr_assert_eq(out[1], 0x80 | 126);
	for (i = 0; i < sizeof(text); i++)
		cr_assert_eq(out[8 + i] ^ mask[i & 3], 'x');
	/* a client frame is masked: a server's never is (§5.1) */
	cr_assert_eq(peer_ws_frame_decode(out, n, 65536, &f), EBADMSG);
	server[0] = 0x81;
	server[1] = 126;
	server[2] = 0;
	server[3] = 250;
	memset(server + 4, 'y', 250);
	cr_assert_eq(peer_ws_frame_decode(server, 100, 65536, &f), EAGAIN);
	cr_assert_eq(peer_ws_frame_decode(server, 254, 65536, &f), 0);
	cr_assert_eq(f.len, 250);
	cr_assert_eq(f.used, 254);
	cr_assert_eq(f.opcode, 1);
	cr_assert_eq(peer_ws_frame_decode(server, 254, 100, &f), EBADMSG);
	server[0] = 0x09; /* a fragmented ping */
	server[1] = 0;
	cr_assert_eq(peer_ws_frame_decode(server, 2, 65536, &f), EBADMSG);
}
