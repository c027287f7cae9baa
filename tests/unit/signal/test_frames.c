/* test_frames.c — WebSocket framing (RFC 6455 §5), decoder and encoder. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "signal/ws.h"

static const uint8_t KEY[4] = { 0x37, 0xfa, 0x21, 0x3d };

/* A client frame: masked with KEY, shortest length form unless len_form
 * forces 126 or 127. Returns its length. */
static size_t frame_ex(uint8_t *out, uint8_t b0, const void *payload,
		       size_t len, int len_form)
{
	const uint8_t *p = payload;
	size_t n = 0;

	out[n++] = b0;
	if (len < 126 && !len_form) {
		out[n++] = (uint8_t)(0x80 | len);
	} else if (len <= 0xFFFF && len_form != 127) {
		out[n++] = 0x80 | 126;
		out[n++] = (uint8_t)(len >> 8);
		out[n++] = (uint8_t)len;
	} else {
		out[n++] = 0x80 | 127;
		for (int i = 7; i >= 0; i--)
			out[n++] = (uint8_t)((uint64_t)len >> (8 * i));
	}
	memcpy(out + n, KEY, 4);
	n += 4;
	for (size_t i = 0; i < len; i++)
		out[n + i] = p[i] ^ KEY[i & 3];
	return n + len;
}

static size_t frame(uint8_t *out, uint8_t b0, const char *s)
{
	return frame_ex(out, b0, s, strlen(s), 0);
}

static struct sig_ws_dec *dec(size_t cap)
{
	struct sig_ws_dec *d = NULL;

	cr_assert_eq(sig_ws_dec_alloc(&d, cap), 0);
	return d;
}

/* Feed all of buf; expect exactly one event at its very end. */
static struct sig_ws_event one(struct sig_ws_dec *d, const uint8_t *buf,
			       size_t len)
{
	struct sig_ws_event ev;
	size_t used;

	cr_assert_eq(sig_ws_dec_input(d, buf, len, &used, &ev), 0);
	cr_assert_eq(used, len, "used %zu of %zu", used, len);
	return ev;
}

static void expect_fail(const uint8_t *buf, size_t len, uint16_t code)
{
	struct sig_ws_dec *d = dec(1 << 20);
	struct sig_ws_event ev;
	size_t used;

	cr_assert_eq(sig_ws_dec_input(d, buf, len, &used, &ev), 0);
	cr_assert_eq(ev.type, SIG_WS_EV_FAIL);
	cr_assert_eq(ev.code, code, "code %u (%s)", ev.code, ev.why);
	cr_assert_not_null(ev.why);
	cr_assert_eq(sig_ws_dec_input(d, buf, len, &used, &ev), EPIPE);
	sig_ws_dec_free(d);
}

Test(frames, rfc_single_frame_masked_hello)
{
	/* §5.7: a single-frame masked text message containing "Hello" */
	static const uint8_t f[] = { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
				     0x7f, 0x9f, 0x4d, 0x51, 0x58 };
	struct sig_ws_dec *d = dec(1024);
	struct sig_ws_event ev;
	size_t used;

	ev = one(d, f, sizeof(f));
	cr_assert_eq(ev.type, SIG_WS_EV_TEXT);
	cr_assert_eq(ev.len, 5);
	cr_assert(!memcmp(ev.data, "Hello", 5));
	/* byte by byte: EAGAIN until the last byte */
	for (size_t i = 0; i + 1 < sizeof(f); i++) {
		cr_assert_eq(sig_ws_dec_input(d, f + i, 1, &used, &ev), EAGAIN);
		cr_assert_eq(used, 1);
	}
	ev = one(d, f + sizeof(f) - 1, 1);
	cr_assert_eq(ev.type, SIG_WS_EV_TEXT);
	cr_assert(!memcmp(ev.data, "Hello", 5));
	sig_ws_dec_free(d);
}

Test(frames, rfc_single_frame_unmasked_hello_is_1002)
{
	/* §5.7: a single-frame unmasked text message: a server MUST close
	 * on it (§5.1) */
	static const uint8_t f[] = { 0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f };
	uint8_t h[SIG_WS_HDR_MAX];

	expect_fail(f, sizeof(f), SIG_WS_CLOSE_PROTOCOL);
	/* and it is what the encoder writes for "Hello" */
	cr_assert_eq(sig_ws_frame_header(h, SIG_WS_OP_TEXT, 5), 2);
	cr_assert(!memcmp(h, f, 2));
}

Test(frames, rfc_fragmented_hel_lo_and_two_messages_in_one_read)
{
	/* §5.7: "Hel" (0x01 0x03) then "lo" (0x80 0x02), masked here */
	uint8_t b[64];
	size_t n = 0, used;
	struct sig_ws_dec *d = dec(1024);
	struct sig_ws_event ev;

	n += frame(b + n, 0x01, "Hel");
	n += frame(b + n, 0x80, "lo");
	n += frame(b + n, 0x81, "again");
	cr_assert_eq(sig_ws_dec_input(d, b, n, &used, &ev), 0);
	cr_assert_eq(ev.type, SIG_WS_EV_TEXT);
	cr_assert_eq(ev.len, 5);
	cr_assert(!memcmp(ev.data, "Hello", 5));
	ev = one(d, b + used, n - used);
	cr_assert_eq(ev.type, SIG_WS_EV_TEXT);
	cr_assert(!memcmp(ev.data, "again", 5));
	sig_ws_dec_free(d);
}

Test(frames, rfc_ping_and_pong)
{
	/* §5.7: masked Pong "Hello" as the RFC writes it; Ping built */
	static const uint8_t pong[] = { 0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d,
					0x7f, 0x9f, 0x4d, 0x51, 0x58 };
	uint8_t b[32], h[SIG_WS_HDR_MAX];
	struct sig_ws_dec *d = dec(1024);
	struct sig_ws_event ev;

	ev = one(d, b, frame(b, 0x89, "Hello"));
	cr_assert_eq(ev.type, SIG_WS_EV_PING);
	cr_assert_eq(ev.len, 5);
	cr_assert(!memcmp(ev.data, "Hello", 5));
	/* the answer: §5.7's unmasked Pong header 0x8a 0x05 */
	cr_assert_eq(sig_ws_frame_header(h, SIG_WS_OP_PONG, ev.len), 2);
	cr_assert_eq(h[0], 0x8a);
	cr_assert_eq(h[1], 0x05);
	ev = one(d, pong, sizeof(pong));
	cr_assert_eq(ev.type, SIG_WS_EV_PONG);
	cr_assert(!memcmp(ev.data, "Hello", 5));
	ev = one(d, b, frame(b, 0x89, ""));
	cr_assert_eq(ev.type, SIG_WS_EV_PING);
	cr_assert_eq(ev.len, 0);
	sig_ws_dec_free(d);
}

Test(frames, rfc_256_and_64k_binary)
{
	static uint8_t p[65536], b[65536 + 14];
	uint8_t h[SIG_WS_HDR_MAX];
	struct sig_ws_dec *d = dec(65536);
	struct sig_ws_event ev;
	size_t n;

	for (size_t i = 0; i < sizeof(p); i++)
		p[i] = (uint8_t)(i * 7);
	/* §5.7: 256 bytes in a single unmasked frame: 0x82 0x7E 0x0100 */
	cr_assert_eq(sig_ws_frame_header(h, SIG_WS_OP_BINARY, 256), 4);
	cr_assert(!memcmp(h, "\x82\x7e\x01\x00", 4));
	n = frame_ex(b, 0x82, p, 256, 0);
	cr_assert_eq(b[1], 0x80 | 126);
	ev = one(d, b, n);
	cr_assert_eq(ev.type, SIG_WS_EV_BINARY);
	cr_assert_eq(ev.len, 256);
	cr_assert(!memcmp(ev.data, p, 256));
	/* §5.7: 64 KiB: 0x82 0x7F 0x0000000000010000 */
	cr_assert_eq(sig_ws_frame_header(h, SIG_WS_OP_BINARY, 65536), 10);
	cr_assert(!memcmp(h, "\x82\x7f\0\0\0\0\0\x01\0\0", 10));
	n = frame_ex(b, 0x82, p, 65536, 0);
	ev = one(d, b, n);
	cr_assert_eq(ev.type, SIG_WS_EV_BINARY);
	cr_assert_eq(ev.len, 65536);
	cr_assert(!memcmp(ev.data, p, 65536));
	/* 65535 still fits the 16-bit form */
	cr_assert_eq(sig_ws_frame_header(h, SIG_WS_OP_BINARY, 65535), 4);
	cr_assert_eq(sig_ws_frame_header(h, SIG_WS_OP_TEXT, 125), 2);
	cr_assert_eq(sig_ws_frame_header(h, SIG_WS_OP_TEXT, 126), 4);
	sig_ws_dec_free(d);
}

Test(frames, control_frames_between_fragments)
{
	uint8_t b[128];
	size_t n = 0, used, off = 0;
	struct sig_ws_dec *d = dec(1024);
	struct sig_ws_event ev;
	int types[] = { SIG_WS_EV_PING, SIG_WS_EV_PONG, SIG_WS_EV_TEXT };

	n += frame(b + n, 0x01, "one ");
	n += frame(b + n, 0x89, "p");
	n += frame(b + n, 0x00, "two ");
	n += frame(b + n, 0x8a, "");
	n += frame(b + n, 0x80, "three");
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(sig_ws_dec_input(d, b + off, n - off, &used, &ev),
			     0);
		off += used;
		cr_assert_eq(ev.type, types[i]);
	}
	cr_assert_eq(off, n);
	cr_assert_eq(ev.len, 13);
	cr_assert(!memcmp(ev.data, "one two three", 13));
	/* a close between fragments ends the stream */
	n = frame(b, 0x01, "x");
	n += frame(b + n, 0x88, "\x03\xe8");
	cr_assert_eq(sig_ws_dec_input(d, b, n, &used, &ev), 0);
	cr_assert_eq(ev.type, SIG_WS_EV_CLOSE);
	cr_assert_eq(ev.code, 1000);
	sig_ws_dec_free(d);
}

Test(frames, protocol_errors_1002)
{
	uint8_t b[300], p[200] = { 0 };
	size_t n;

	/* non-minimal lengths: 5 bytes in the 16-bit form, 300 in the
	 * 64-bit form */
	expect_fail(b, frame_ex(b, 0x82, p, 5, 126), 1002);
	expect_fail(b, frame_ex(b, 0x82, p, 200, 127), 1002);
	/* 64-bit length with the top bit set */
	memcpy(b, "\x82\xff\x80\0\0\0\0\0\0\0\x37\xfa\x21\x3d", 14);
	expect_fail(b, 14, 1002);
	/* reserved opcodes, data (3-7) and control (B-F) */
	for (uint8_t op = 3; op <= 0xF; op++) {
		if (op >= 8 && op <= 0xA)
			continue;
		expect_fail(b, frame(b, 0x80 | op, "x"), 1002);
	}
	/* RSV1, RSV2, RSV3 */
	expect_fail(b, frame(b, 0xC1, "x"), 1002);
	expect_fail(b, frame(b, 0xA1, "x"), 1002);
	expect_fail(b, frame(b, 0x91, "x"), 1002);
	/* control frames: fragmented, over 125 bytes */
	expect_fail(b, frame(b, 0x09, "x"), 1002);
	expect_fail(b, frame_ex(b, 0x89, p, 126, 0), 1002);
	/* continuation without a message, data frame inside a message */
	expect_fail(b, frame(b, 0x80, "x"), 1002);
	n = frame(b, 0x01, "x");
	expect_fail(b, n + frame(b + n, 0x81, "y"), 1002);
	n = frame(b, 0x02, "x");
	expect_fail(b, n + frame(b + n, 0x82, "y"), 1002);
	/* unmasked frames: a ping, a continuation */
	expect_fail((const uint8_t *)"\x89\x00", 2, 1002);
	n = frame(b, 0x01, "x");
	memcpy(b + n, "\x80\x00", 2);
	expect_fail(b, n + 2, 1002);
}

Test(frames, oversize_1009)
{
	static uint8_t p[2048], b[4096];
	struct sig_ws_dec *d = dec(1000);
	struct sig_ws_event ev;
	size_t n, used;

	/* 1000 fits, 1001 does not: refused at the header, before a byte of
	 * payload is taken */
	ev = one(d, b, frame_ex(b, 0x82, p, 1000, 0));
	cr_assert_eq(ev.type, SIG_WS_EV_BINARY);
	n = frame_ex(b, 0x82, p, 1001, 0);
	cr_assert_eq(sig_ws_dec_input(d, b, n, &used, &ev), 0);
	cr_assert_eq(ev.type, SIG_WS_EV_FAIL);
	cr_assert_eq(ev.code, 1009);
	cr_assert_eq(used, 8);
	sig_ws_dec_free(d);
	/* the cap counts every fragment of a message */
	d = dec(1000);
	n = frame_ex(b, 0x01, p, 600, 0);
	n += frame_ex(b + n, 0x80, p, 401, 0);
	cr_assert_eq(sig_ws_dec_input(d, b, n, &used, &ev), 0);
	cr_assert_eq(ev.type, SIG_WS_EV_FAIL);
	cr_assert_eq(ev.code, 1009);
	sig_ws_dec_free(d);
	/* a declared 2^62 bytes */
	expect_fail(
	    (const uint8_t *)"\x82\xff\x40\0\0\0\0\0\0\0\x37\xfa\x21\x3d", 14,
	    1009);
}

static void expect_utf8(const char *bytes, bool valid)
{
	uint8_t b[64];
	struct sig_ws_dec *d = dec(1024);
	struct sig_ws_event ev;

	ev = one(d, b, frame(b, 0x81, bytes));
	cr_assert_eq(ev.type, valid ? SIG_WS_EV_TEXT : SIG_WS_EV_FAIL, "%s",
		     bytes);
	if (!valid)
		cr_assert_eq(ev.code, 1007);
	cr_assert_eq(sig_utf8_valid((const uint8_t *)bytes, strlen(bytes)),
		     valid);
	sig_ws_dec_free(d);
}

Test(frames, utf8_1007)
{
	expect_utf8("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", true);
	expect_utf8("\xf4\x8f\xbf\xbf", true);	/* U+10FFFF */
	expect_utf8("\xed\x9f\xbf", true);	/* U+D7FF */
	expect_utf8("\xee\x80\x80", true);	/* U+E000 */
	expect_utf8("\xc0\xaf", false);		/* overlong '/' */
	expect_utf8("\xe0\x80\xaf", false);	/* overlong 3 */
	expect_utf8("\xf0\x80\x80\xaf", false); /* overlong 4 */
	expect_utf8("\xed\xa0\x80", false);	/* U+D800 */
	expect_utf8("\xed\xbf\xbf", false);	/* U+DFFF */
	expect_utf8("\xf4\x90\x80\x80", false); /* above U+10FFFF */
	expect_utf8("\xf5\x80\x80\x80", false);
	expect_utf8("\x80", false); /* lone continuation */
	expect_utf8("\xce", false); /* truncated */
	expect_utf8("a\xff", false);
}

Test(frames, utf8_split_across_fragments)
{
	uint8_t b[64];
	size_t n, used;
	struct sig_ws_dec *d = dec(1024);
	struct sig_ws_event ev;

	/* "κ" (ce ba) split between two fragments is valid */
	n = frame(b, 0x01, "\xce");
	n += frame(b + n, 0x80, "\xba");
	ev = one(d, b, n);
	cr_assert_eq(ev.type, SIG_WS_EV_TEXT);
	cr_assert_eq(ev.len, 2);
	sig_ws_dec_free(d);
	/* a message ending in the middle of a sequence is not */
	d = dec(1024);
	n = frame(b, 0x01, "a");
	n += frame(b + n, 0x80, "\xe2\x82");
	ev = one(d, b, n);
	cr_assert_eq(ev.type, SIG_WS_EV_FAIL);
	cr_assert_eq(ev.code, 1007);
	sig_ws_dec_free(d);
	/* fail fast: an invalid first fragment is refused before the end */
	d = dec(1024);
	n = frame(b, 0x01, "\xed\xa0");
	cr_assert_eq(sig_ws_dec_input(d, b, n, &used, &ev), 0);
	cr_assert_eq(ev.type, SIG_WS_EV_FAIL);
	cr_assert_eq(ev.code, 1007);
	sig_ws_dec_free(d);
	/* binary is not checked */
	d = dec(1024);
	ev = one(d, b, frame(b, 0x82, "\xff\xfe"));
	cr_assert_eq(ev.type, SIG_WS_EV_BINARY);
	sig_ws_dec_free(d);
}

Test(frames, close_codes)
{
	static const uint16_t ok[] = { 1000, 1001, 1002, 1003, 1007, 1008,
				       1009, 1010, 1011, 1014, 3000, 4999 };
	static const uint16_t bad[] = { 0,    999,  1004, 1005, 1006,
					1015, 1016, 2999, 5000, 65535 };
	uint8_t b[160], p[125];
	struct sig_ws_dec *d;
	struct sig_ws_event ev;
	size_t n;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		d = dec(64);
		p[0] = (uint8_t)(ok[i] >> 8);
		p[1] = (uint8_t)ok[i];
		memcpy(p + 2, "bye", 3);
		ev = one(d, b, frame_ex(b, 0x88, p, 5, 0));
		cr_assert_eq(ev.type, SIG_WS_EV_CLOSE);
		cr_assert_eq(ev.code, ok[i]);
		cr_assert_eq(ev.len, 3);
		cr_assert(!memcmp(ev.data, "bye", 3));
		cr_assert_eq(sig_ws_dec_input(d, b, 1, &n, &ev), EPIPE);
		sig_ws_dec_free(d);
		cr_assert(sig_ws_close_code_valid(ok[i]));
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p[0] = (uint8_t)(bad[i] >> 8);
		p[1] = (uint8_t)bad[i];
		expect_fail(b, frame_ex(b, 0x88, p, 2, 0), 1002);
		cr_assert(!sig_ws_close_code_valid(bad[i]));
	}
	/* empty close: 1005 reported; one byte: 1002; bad reason: 1007 */
	d = dec(64);
	ev = one(d, b, frame(b, 0x88, ""));
	cr_assert_eq(ev.type, SIG_WS_EV_CLOSE);
	cr_assert_eq(ev.code, 1005);
	sig_ws_dec_free(d);
	expect_fail(b, frame(b, 0x88, "\x03"), 1002);
	expect_fail(b, frame(b, 0x88, "\x03\xe8\xc0\xaf"), 1007);
	/* the encoder's payloads */
	cr_assert_eq(sig_ws_close_payload(1009, "too big", 7, p, &n), 0);
	cr_assert_eq(n, 9);
	cr_assert(!memcmp(p, "\x03\xf1too big", 9));
	cr_assert_eq(sig_ws_close_payload(1005, NULL, 0, p, &n), EINVAL);
	cr_assert_eq(sig_ws_close_payload(1000, "\xff", 1, p, &n), EINVAL);
	memset(b, 'a', 124);
	cr_assert_eq(sig_ws_close_payload(1000, (char *)b, 124, p, &n), EINVAL);
	cr_assert_eq(sig_ws_close_payload(1000, (char *)b, 123, p, &n), 0);
}

Test(frames, empty_messages_and_arguments)
{
	uint8_t b[32];
	struct sig_ws_dec *d = NULL;
	struct sig_ws_event ev;
	size_t used;

	cr_assert_eq(sig_ws_dec_alloc(&d, 0), EINVAL);
	cr_assert_null(d);
	sig_ws_dec_free(NULL);
	d = dec(16);
	ev = one(d, b, frame(b, 0x81, ""));
	cr_assert_eq(ev.type, SIG_WS_EV_TEXT);
	cr_assert_eq(ev.len, 0);
	cr_assert_not_null(ev.data);
	cr_assert_eq(sig_ws_dec_input(d, NULL, 0, &used, &ev), EAGAIN);
	cr_assert_eq(sig_ws_dec_input(d, NULL, 1, &used, &ev), EINVAL);
	sig_ws_dec_free(d);
}
