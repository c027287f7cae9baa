/*
 * test_binding.c — the Binding method through the server's input seam:
 * RFC 8489 §6.3, RFC 5780 §6.1, RFC 3489 clients, and the verdicts for
 * everything that is not a request.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "base/cursor.h"
#include "stun/stun.h"
#include "turn/server.h"

/* What the server sent, captured by a fake output. */
struct sent {
	unsigned n;
	void *conn;
	unsigned via;
	struct sa src; /* in->local->addr[via]: where the reply leaves from */
	struct sa to;
	uint8_t buf[2048];
	size_t len;
};

static void capture(void *arg, const struct turn_in *in, unsigned via,
		    const struct sa *to, const uint8_t *buf, size_t len)
{
	struct sent *s = arg;

	s->n++;
	cr_assert_lt(via, 4u);
	s->conn = in->conn;
	s->via = via;
	s->src = in->local->addr[via];
	s->to = *to;
	cr_assert_leq(len, sizeof(s->buf));
	memcpy(s->buf, buf, len);
	s->len = len;
}

static struct sent sent;
static struct turn_server *srv;
static struct turn_server_cfg cfg = { .software = "tern-test",
				      .rfc3489 = true };
static struct turn_local local1; /* one address, no RFC 5780 */
static struct turn_local local4; /* four sockets, RFC 5780 */
static const uint8_t tid[STUN_TID_SIZE] = { 1, 2, 3, 4,	 5,  6,
					    7, 8, 9, 10, 11, 12 };

static void setup(void)
{
	struct turn_out out = { capture, &sent };

	memset(&sent, 0, sizeof(sent));
	cr_assert_eq(turn_server_alloc(&srv, &cfg, &out), 0);
	memset(&local1, 0, sizeof(local1));
	sa_set_str(&local1.addr[0], "192.0.2.1", 3478);
	memset(&local4, 0, sizeof(local4));
	sa_set_str(&local4.addr[0], "192.0.2.1", 3478);
	sa_set_str(&local4.addr[1], "192.0.2.1", 3479);
	sa_set_str(&local4.addr[2], "192.0.2.2", 3478);
	sa_set_str(&local4.addr[3], "192.0.2.2", 3479);
	local4.has_alt = true;
}

static void teardown(void)
{
	turn_server_free(srv);
}

TestSuite(binding, .init = setup, .fini = teardown);

static enum turn_verdict feed(const uint8_t *buf, size_t len, const char *from,
			      uint16_t port, const struct turn_local *l,
			      enum turn_transport tp)
{
	struct turn_in in = { .buf = buf, .len = len, .local = l, .tp = tp };

	cr_assert_eq(sa_set_str(&in.from, from, port), 0);
	return turn_server_input(srv, &in, 0);
}

/* Build a request; `extra` adds attributes before FINGERPRINT. */
static size_t build(uint8_t *buf, size_t cap, uint16_t method,
		    enum stun_class cls, void (*extra)(struct stun_enc *),
		    bool fingerprint)
{
	struct stun_enc e;
	size_t len;

	stun_enc_init(&e, buf, cap, method, cls, tid);
	if (extra)
		extra(&e);
	if (fingerprint)
		stun_enc_fingerprint(&e);
	cr_assert_eq(stun_enc_finish(&e, &len), 0);
	return len;
}

static void decode_sent(struct stun_msg *m)
{
	cr_assert_eq(sent.n, 1, "expected one packet, got %u", sent.n);
	cr_assert_eq(stun_msg_decode(m, sent.buf, sent.len, 0), 0);
	cr_assert_eq(memcmp(m->tid, tid, sizeof(tid)), 0);
}

static void assert_addr(const struct stun_msg *m, uint16_t type,
			const char *addr, uint16_t port)
{
	const struct stun_attr *a = stun_msg_attr(m, type);
	struct sa got, want;

	cr_assert_not_null(a, "attribute 0x%04x missing", type);
	if (type == STUN_ATTR_XOR_MAPPED_ADDRESS)
		cr_assert_eq(stun_attr_xaddr(a, m, &got), 0);
	else
		cr_assert_eq(stun_attr_addr(a, &got), 0);
	sa_set_str(&want, addr, port);
	cr_assert(sa_equal(&got, &want), "0x%04x: wrong address", type);
}

static uint16_t error_code(const struct stun_msg *m)
{
	const struct stun_attr *a = stun_msg_attr(m, STUN_ATTR_ERROR_CODE);
	const char *reason;
	size_t rlen;
	uint16_t code = 0;

	cr_assert_eq(m->cls, STUN_CLASS_ERROR);
	cr_assert_not_null(a);
	cr_assert_eq(stun_attr_errcode(a, &code, &reason, &rlen), 0);
	return code;
}

/* Issue 16, finding 8: an unauthenticated answer carries only what a
 * client needs; no SOFTWARE, no MAPPED-ADDRESS besides XOR-MAPPED. */
Test(binding, ipv4_success_is_xor_mapped_only)
{
	uint8_t req[256];
	size_t len = build(req, sizeof(req), STUN_METHOD_BINDING,
			   STUN_CLASS_REQUEST, NULL, false);
	struct stun_msg m;

	cr_assert_eq(
	    feed(req, len, "198.51.100.7", 40000, &local1, TURN_TP_UDP),
	    TURN_ANSWERED);
	decode_sent(&m);
	cr_assert_eq(m.cls, STUN_CLASS_SUCCESS);
	cr_assert_eq(m.method, STUN_METHOD_BINDING);
	assert_addr(&m, STUN_ATTR_XOR_MAPPED_ADDRESS, "198.51.100.7", 40000);
	cr_assert_null(stun_msg_attr(&m, STUN_ATTR_MAPPED_ADDRESS));
	cr_assert_eq(m.fp, -1, "no FINGERPRINT unless the request had one");
	cr_assert_null(stun_msg_attr(&m, STUN_ATTR_OTHER_ADDRESS));
	cr_assert_null(stun_msg_attr(&m, STUN_ATTR_RESPONSE_ORIGIN));
	cr_assert_null(stun_msg_attr(&m, STUN_ATTR_SOFTWARE),
		       "SOFTWARE is configured, but not for Binding");
	cr_assert_eq(sent.len, 32u, "20-byte request, 32-byte answer");
	cr_assert_eq(sent.via, 0u);
	cr_assert_eq(sa_port(&sent.to), 40000);
	cr_assert_eq(turn_server_stats(srv)->binding, 1u);
}

Test(binding, ipv6_success)
{
	uint8_t req[256];
	size_t len = build(req, sizeof(req), STUN_METHOD_BINDING,
			   STUN_CLASS_REQUEST, NULL, false);
	struct stun_msg m;

	cr_assert_eq(feed(req, len, "2001:db8::7", 5000, &local1, TURN_TP_TCP),
		     TURN_ANSWERED);
	decode_sent(&m);
	assert_addr(&m, STUN_ATTR_XOR_MAPPED_ADDRESS, "2001:db8::7", 5000);
}

Test(binding, fingerprint_echoed_and_valid)
{
	uint8_t req[256];
	size_t len = build(req, sizeof(req), STUN_METHOD_BINDING,
			   STUN_CLASS_REQUEST, NULL, true);
	struct stun_msg m;

	cr_assert_eq(feed(req, len, "198.51.100.7", 1, &local1, TURN_TP_UDP),
		     TURN_ANSWERED);
	decode_sent(&m); /* decode verifies FINGERPRINT */
	cr_assert_geq(m.fp, 0);
	cr_assert_eq(m.fp, (int)m.nattrs - 1, "FINGERPRINT must be last");
}

Test(binding, no_software_when_unset)
{
	static struct turn_server_cfg quiet = { .software = NULL };
	uint8_t req[256];
	size_t len = build(req, sizeof(req), STUN_METHOD_BINDING,
			   STUN_CLASS_REQUEST, NULL, false);
	struct stun_msg m;

	turn_server_set_cfg(srv, &quiet);
	feed(req, len, "198.51.100.7", 1, &local1, TURN_TP_UDP);
	decode_sent(&m);
	cr_assert_null(stun_msg_attr(&m, STUN_ATTR_SOFTWARE));
}

static void add_unknown_required(struct stun_enc *e)
{
	stun_enc_attr(e, 0x7FFF, "abcd", 4);
	stun_enc_attr(e, 0x0031, "x", 1);
}

Test(binding, unknown_required_attributes_get_420)
{
	uint8_t req[256];
	size_t len = build(req, sizeof(req), STUN_METHOD_BINDING,
			   STUN_CLASS_REQUEST, add_unknown_required, false);
	struct stun_msg m;
	uint16_t types[4];
	size_t n;

	cr_assert_eq(feed(req, len, "198.51.100.7", 1, &local1, TURN_TP_UDP),
		     TURN_ANSWERED);
	decode_sent(&m);
	cr_assert_eq(error_code(&m), 420);
	cr_assert_eq(
	    stun_attr_unknown(stun_msg_attr(&m, STUN_ATTR_UNKNOWN_ATTRIBUTES),
			      types, 4, &n),
	    0);
	cr_assert_eq(n, 2);
	cr_assert_eq(types[0], 0x7FFF);
	cr_assert_eq(types[1], 0x0031);
	cr_assert_eq(turn_server_stats(srv)->err_resp[4], 1u);
}

static void add_unknown_optional(struct stun_enc *e)
{
	stun_enc_attr(e, 0xFF05, "logid", 5); /* Chromium's logging id */
}

Test(binding, unknown_optional_attribute_ignored)
{
	uint8_t req[256];
	size_t len = build(req, sizeof(req), STUN_METHOD_BINDING,
			   STUN_CLASS_REQUEST, add_unknown_optional, false);
	struct stun_msg m;

	feed(req, len, "198.51.100.7", 1, &local1, TURN_TP_UDP);
	decode_sent(&m);
	cr_assert_eq(m.cls, STUN_CLASS_SUCCESS);
}

static void add_change_both(struct stun_enc *e)
{
	stun_enc_change_request(e, STUN_CHANGE_IP | STUN_CHANGE_PORT);
}

static void add_change_port(struct stun_enc *e)
{
	stun_enc_change_request(e, STUN_CHANGE_PORT);
}

static void add_change_none(struct stun_enc *e)
{
	stun_enc_change_request(e, 0);
}

Test(binding, change_request_without_flags_needs_no_alternate)
{
	uint8_t req[256];
	size_t len = build(req, sizeof(req), STUN_METHOD_BINDING,
			   STUN_CLASS_REQUEST, add_change_none, false);
	struct stun_msg m;

	cr_assert_eq(feed(req, len, "198.51.100.7", 1, &local1, TURN_TP_UDP),
		     TURN_ANSWERED);
	decode_sent(&m);
	cr_assert_eq(m.cls, STUN_CLASS_SUCCESS);
	cr_assert_eq(sent.via, 0u);
	/* CHANGE-REQUEST marks an RFC 5780 client: MAPPED-ADDRESS too, to
	 * compare with XOR-MAPPED-ADDRESS (an ALG rewrites the former) */
	assert_addr(&m, STUN_ATTR_MAPPED_ADDRESS, "198.51.100.7", 1);
}

Test(binding, change_request_without_alternate_is_420)
{
	uint8_t req[256];
	size_t len = build(req, sizeof(req), STUN_METHOD_BINDING,
			   STUN_CLASS_REQUEST, add_change_port, false);
	struct stun_msg m;
	uint16_t types[2];
	size_t n;

	feed(req, len, "198.51.100.7", 1, &local1, TURN_TP_UDP);
	decode_sent(&m);
	cr_assert_eq(error_code(&m), 420);
	cr_assert_eq(
	    stun_attr_unknown(stun_msg_attr(&m, STUN_ATTR_UNKNOWN_ATTRIBUTES),
			      types, 2, &n),
	    0);
	cr_assert_eq(n, 1);
	cr_assert_eq(types[0], STUN_ATTR_CHANGE_REQUEST);
}

Test(binding, rfc5780_plain_request_reports_origin_and_other)
{
	uint8_t req[256];
	size_t len = build(req, sizeof(req), STUN_METHOD_BINDING,
			   STUN_CLASS_REQUEST, NULL, false);
	struct stun_msg m;

	local4.self = 0;
	feed(req, len, "198.51.100.7", 9, &local4, TURN_TP_UDP);
	decode_sent(&m);
	cr_assert_eq(sent.via, 0u);
	assert_addr(&m, STUN_ATTR_RESPONSE_ORIGIN, "192.0.2.1", 3478);
	assert_addr(&m, STUN_ATTR_OTHER_ADDRESS, "192.0.2.2", 3479);
	/* Issue 16, finding 8: 20 + 3 x 12 bytes for a 20-byte request */
	cr_assert_null(stun_msg_attr(&m, STUN_ATTR_MAPPED_ADDRESS));
	cr_assert_eq(len, 20u);
	cr_assert_eq(sent.len, 56u);
}

Test(binding, rfc5780_change_ip_and_port)
{
	uint8_t req[256];
	size_t len = build(req, sizeof(req), STUN_METHOD_BINDING,
			   STUN_CLASS_REQUEST, add_change_both, false);
	struct stun_msg m;

	local4.self = 0;
	cr_assert_eq(feed(req, len, "198.51.100.7", 9, &local4, TURN_TP_UDP),
		     TURN_ANSWERED);
	decode_sent(&m);
	cr_assert_eq(sent.via, 3u, "sent from the other address and port");
	cr_assert(sa_equal(&sent.src, &local4.addr[3]));
	assert_addr(&m, STUN_ATTR_RESPONSE_ORIGIN, "192.0.2.2", 3479);
	assert_addr(&m, STUN_ATTR_OTHER_ADDRESS, "192.0.2.2", 3479);
}

Test(binding, rfc5780_change_port_from_alternate_socket)
{
	uint8_t req[256];
	size_t len = build(req, sizeof(req), STUN_METHOD_BINDING,
			   STUN_CLASS_REQUEST, add_change_port, false);
	struct stun_msg m;

	local4.self = 2; /* arrived on the alternate address, primary port */
	feed(req, len, "198.51.100.7", 9, &local4, TURN_TP_UDP);
	decode_sent(&m);
	cr_assert_eq(sent.via, 3u);
	assert_addr(&m, STUN_ATTR_RESPONSE_ORIGIN, "192.0.2.2", 3479);
	/* OTHER-ADDRESS is relative to where the request arrived. */
	assert_addr(&m, STUN_ATTR_OTHER_ADDRESS, "192.0.2.1", 3479);
}

Test(binding, change_request_over_tcp_is_400)
{
	uint8_t req[256];
	size_t len = build(req, sizeof(req), STUN_METHOD_BINDING,
			   STUN_CLASS_REQUEST, add_change_both, false);
	struct stun_msg m;

	local4.self = 0;
	feed(req, len, "198.51.100.7", 9, &local4, TURN_TP_TCP);
	decode_sent(&m);
	cr_assert_eq(error_code(&m), 400);
}

static void add_response_port(struct stun_enc *e)
{
	uint8_t v[4] = { 0x12, 0x34, 0, 0 };

	stun_enc_attr(e, STUN_ATTR_RESPONSE_PORT, v, 4);
}

static void add_response_port_zero(struct stun_enc *e)
{
	uint8_t v[4] = { 0, 0, 0, 0 };

	stun_enc_attr(e, STUN_ATTR_RESPONSE_PORT, v, 4);
}

static void add_response_port_and_padding(struct stun_enc *e)
{
	add_response_port(e);
	stun_enc_attr(e, STUN_ATTR_PADDING, "pppppppp", 8);
}

static void add_padding(struct stun_enc *e)
{
	static const uint8_t pad[64];

	stun_enc_attr(e, STUN_ATTR_PADDING, pad, sizeof(pad));
}

Test(binding, response_port_redirects_udp_answer)
{
	uint8_t req[256];
	size_t len = build(req, sizeof(req), STUN_METHOD_BINDING,
			   STUN_CLASS_REQUEST, add_response_port, false);
	struct stun_msg m;

	feed(req, len, "198.51.100.7", 9, &local4, TURN_TP_UDP);
	decode_sent(&m);
	cr_assert_eq(m.cls, STUN_CLASS_SUCCESS);
	cr_assert_eq(sa_port(&sent.to), 0x1234);
	/* the mapped address is still where the request came from */
	assert_addr(&m, STUN_ATTR_XOR_MAPPED_ADDRESS, "198.51.100.7", 9);
}

Test(binding, response_port_zero_is_400)
{
	uint8_t req[256];
	size_t len = build(req, sizeof(req), STUN_METHOD_BINDING,
			   STUN_CLASS_REQUEST, add_response_port_zero, false);
	struct stun_msg m;

	feed(req, len, "198.51.100.7", 9, &local4, TURN_TP_UDP);
	decode_sent(&m);
	cr_assert_eq(error_code(&m), 400);
}

Test(binding, response_port_with_padding_is_400)
{
	uint8_t req[256];
	size_t len =
	    build(req, sizeof(req), STUN_METHOD_BINDING, STUN_CLASS_REQUEST,
		  add_response_port_and_padding, false);
	struct stun_msg m;

	feed(req, len, "198.51.100.7", 9, &local4, TURN_TP_UDP);
	decode_sent(&m);
	cr_assert_eq(error_code(&m), 400);
}

Test(binding, padding_echoed_never_larger_than_request)
{
	uint8_t req[256];
	size_t len = build(req, sizeof(req), STUN_METHOD_BINDING,
			   STUN_CLASS_REQUEST, add_padding, false);
	const struct stun_attr *pad;
	struct stun_msg m;

	feed(req, len, "198.51.100.7", 9, &local4, TURN_TP_UDP);
	decode_sent(&m);
	pad = stun_msg_attr(&m, STUN_ATTR_PADDING);
	cr_assert_not_null(pad);
	cr_assert_eq(pad->len, 64);
}

Test(binding, rfc3489_request_gets_mapped_address_and_own_cookie)
{
	/* RFC 3489 §11.1: 128-bit transaction id, no magic cookie. */
	uint8_t req[20] = { 0x00, 0x01, 0x00, 0x00, 0xde, 0xad, 0xbe,
			    0xef, 1,	2,    3,    4,	  5,	6,
			    7,	  8,	9,    10,   11,	  12 };
	struct stun_msg m;

	cr_assert_eq(
	    feed(req, sizeof(req), "198.51.100.7", 4000, &local4, TURN_TP_UDP),
	    TURN_ANSWERED);
	cr_assert_eq(sent.n, 1);
	cr_assert_eq(memcmp(sent.buf + 4, req + 4, 16), 0,
		     "the 128-bit transaction id comes back unchanged");
	cr_assert_eq(
	    stun_msg_decode(&m, sent.buf, sent.len, STUN_DECODE_ALLOW_RFC3489),
	    EBADMSG, "a response without the cookie is not RFC 8489");
	/* Read the attributes as a classic client would: give the copy the
	 * magic cookie so our decoder accepts it; none of them is XORed. */
	put_be32(sent.buf + 4, STUN_MAGIC_COOKIE);
	cr_assert_eq(stun_msg_decode(&m, sent.buf, sent.len, 0), 0);
	cr_assert_eq(m.cls, STUN_CLASS_SUCCESS);
	assert_addr(&m, STUN_ATTR_MAPPED_ADDRESS, "198.51.100.7", 4000);
	assert_addr(&m, STUN_ATTR_SOURCE_ADDRESS, "192.0.2.1", 3478);
	assert_addr(&m, STUN_ATTR_CHANGED_ADDRESS, "192.0.2.2", 3479);
	cr_assert_null(stun_msg_attr(&m, STUN_ATTR_XOR_MAPPED_ADDRESS));
	cr_assert_eq(turn_server_stats(srv)->binding_rfc3489, 1u);
}

Test(binding, rfc3489_refused_when_disabled)
{
	static struct turn_server_cfg strict = { .rfc3489 = false };
	uint8_t req[20] = { 0x00, 0x01, 0x00, 0x00, 0xde, 0xad, 0xbe, 0xef };

	turn_server_set_cfg(srv, &strict);
	cr_assert_eq(
	    feed(req, sizeof(req), "198.51.100.7", 1, &local1, TURN_TP_UDP),
	    TURN_DROP_MALFORMED);
	cr_assert_eq(sent.n, 0);
}

Test(binding, unsupported_method_is_400)
{
	uint8_t req[256];
	size_t len =
	    build(req, sizeof(req), 0x00F, STUN_CLASS_REQUEST, NULL, false);
	struct stun_msg m;

	cr_assert_eq(feed(req, len, "198.51.100.7", 1, &local1, TURN_TP_UDP),
		     TURN_ANSWERED);
	decode_sent(&m);
	cr_assert_eq(error_code(&m), 400);
}

Test(binding, indication_is_consumed_silently)
{
	uint8_t req[256];
	size_t len = build(req, sizeof(req), STUN_METHOD_BINDING,
			   STUN_CLASS_INDICATION, NULL, false);

	cr_assert_eq(feed(req, len, "198.51.100.7", 1, &local1, TURN_TP_UDP),
		     TURN_CONSUMED);
	cr_assert_eq(sent.n, 0);
}

Test(binding, responses_are_unexpected)
{
	uint8_t msg[256];
	size_t len = build(msg, sizeof(msg), STUN_METHOD_BINDING,
			   STUN_CLASS_SUCCESS, NULL, false);

	cr_assert_eq(feed(msg, len, "198.51.100.7", 1, &local1, TURN_TP_UDP),
		     TURN_DROP_UNEXPECTED);
	len = build(msg, sizeof(msg), STUN_METHOD_BINDING, STUN_CLASS_ERROR,
		    NULL, false);
	cr_assert_eq(feed(msg, len, "198.51.100.7", 1, &local1, TURN_TP_UDP),
		     TURN_DROP_UNEXPECTED);
	cr_assert_eq(sent.n, 0);
}

Test(binding, garbage_is_malformed_and_unanswered)
{
	static const uint8_t truncated[] = { 0x00, 0x01, 0x00, 0x00, 0x21 };
	static const uint8_t rtp[] = { 0x80, 0x00, 0x00, 0x01 };
	static const uint8_t chdata_short[] = { 0x40, 0x00, 0x00, 0x08, 1 };
	static const uint8_t chdata_ok[] = {
		0x40, 0x00, 0x00, 0x01, 1, 0, 0, 0
	};

	cr_assert_eq(feed(truncated, sizeof(truncated), "198.51.100.7", 1,
			  &local1, TURN_TP_UDP),
		     TURN_DROP_MALFORMED);
	cr_assert_eq(
	    feed(rtp, sizeof(rtp), "198.51.100.7", 1, &local1, TURN_TP_UDP),
	    TURN_DROP_MALFORMED);
	cr_assert_eq(feed(chdata_short, sizeof(chdata_short), "198.51.100.7", 1,
			  &local1, TURN_TP_UDP),
		     TURN_DROP_MALFORMED);
	cr_assert_eq(feed(chdata_ok, sizeof(chdata_ok), "198.51.100.7", 1,
			  &local1, TURN_TP_UDP),
		     TURN_DROP_UNEXPECTED);
	cr_assert_eq(feed(NULL, 0, "198.51.100.7", 1, &local1, TURN_TP_UDP),
		     TURN_DROP_MALFORMED);
	cr_assert_eq(sent.n, 0);
	cr_assert_eq(turn_server_stats(srv)->verdict[TURN_DROP_MALFORMED], 4u);
	cr_assert_eq(turn_server_stats(srv)->rx, 5u);
}

Test(binding, stream_reply_goes_to_the_connection)
{
	uint8_t req[256];
	size_t len = build(req, sizeof(req), STUN_METHOD_BINDING,
			   STUN_CLASS_REQUEST, NULL, false);
	struct turn_in in = { .buf = req,
			      .len = len,
			      .local = &local1,
			      .tp = TURN_TP_TLS,
			      .conn = &sent };

	sa_set_str(&in.from, "198.51.100.7", 1);
	cr_assert_eq(turn_server_input(srv, &in, 0), TURN_ANSWERED);
	cr_assert_eq(sent.conn, &sent);
}

Test(binding, rfc3489_error_uses_rfc3489_framing)
{
	/* RFC 3489 has no padding: the 420 must keep every attribute a
	 * multiple of four long, padding the reason with spaces and repeating
	 * an unknown attribute to make the list even. */
	uint8_t req[28] = { 0x00, 0x01, 0x00, 0x08, 0xde, 0xad, 0xbe,
			    0xef, 1,	2,    3,    4,	  5,	6,
			    7,	  8,	9,    10,   11,	  12,	0x7f,
			    0xff, 0x00, 0x04, 'a',  'b',  'c',	'd' };
	size_t off = 20;

	cr_assert_eq(
	    feed(req, sizeof(req), "198.51.100.7", 1, &local1, TURN_TP_UDP),
	    TURN_ANSWERED);
	cr_assert_eq(get_be16(sent.buf), 0x0111);
	while (off + 4 <= sent.len) {
		uint16_t type = get_be16(sent.buf + off);
		uint16_t alen = get_be16(sent.buf + off + 2);

		cr_assert_eq(alen % 4, 0, "attribute 0x%04x length %u", type,
			     alen);
		if (type == STUN_ATTR_UNKNOWN_ATTRIBUTES) {
			cr_assert_eq(alen, 4);
			cr_assert_eq(get_be16(sent.buf + off + 4), 0x7fff);
			cr_assert_eq(get_be16(sent.buf + off + 6), 0x7fff);
		}
		if (type == STUN_ATTR_ERROR_CODE)
			cr_assert_eq(sent.buf[off + 4 + alen - 1] == 0, false,
				     "reason padded with spaces, not zeros");
		off += 4 + alen;
	}
	cr_assert_eq(off, sent.len);
	cr_assert_eq(get_be16(sent.buf + 2), sent.len - 20);
}
