/*
 * test_encode.c — the encoder: header, sticky errors (ENOSPC, EINVAL),
 * replies (RFC 8489 §12.2 for RFC 3489 clients), and a decode round trip
 * of every typed encoder, integrity and fingerprint included.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base/cursor.h"
#include "stun/stun.h"

static const uint8_t tid[STUN_TID_SIZE] = {
	0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab
};
static const uint8_t key[] = "a key nobody uses";

static uint8_t buf[2048];

static void start(struct stun_enc *e, uint16_t method, enum stun_class cls)
{
	memset(buf, 0xee, sizeof(buf));
	stun_enc_init(e, buf, sizeof(buf), method, cls, tid);
	cr_assert_eq(e->err, 0);
}

/* Finish, decode, and return the only (or first) attribute of type. */
static const struct stun_attr *finish_one(struct stun_enc *e,
					  struct stun_msg *m, uint16_t type)
{
	const struct stun_attr *a;
	size_t len;

	cr_assert_eq(stun_enc_finish(e, &len), 0);
	cr_assert_eq(stun_msg_decode(m, buf, len, 0), 0);
	a = stun_msg_attr(m, type);
	cr_assert_not_null(a, "attribute 0x%04x", type);
	return a;
}

/* ---- header and sticky errors ------------------------------------------ */

Test(encode, header)
{
	struct stun_enc e;
	struct stun_msg m;
	size_t len;

	start(&e, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST);
	cr_assert_eq(stun_enc_finish(&e, &len), 0);
	cr_assert_eq(len, 20);
	cr_assert_eq(get_be16(buf), 0x0003);
	cr_assert_eq(get_be16(buf + 2), 0);
	cr_assert_eq(get_be32(buf + 4), STUN_MAGIC_COOKIE);
	cr_assert_eq(memcmp(buf + 8, tid, 12), 0);
	cr_assert_eq(stun_msg_decode(&m, buf, len, 0), 0);
	cr_assert_eq(m.method, STUN_METHOD_ALLOCATE);
}

Test(encode, init_bad_arguments)
{
	struct stun_enc e;
	size_t len;

	stun_enc_init(&e, buf, sizeof(buf), 0x1000, STUN_CLASS_REQUEST, tid);
	cr_assert_eq(stun_enc_finish(&e, &len), EINVAL);
	stun_enc_init(&e, buf, sizeof(buf), 1, (enum stun_class)4, tid);
	cr_assert_eq(stun_enc_finish(&e, &len), EINVAL);
	stun_enc_init(&e, NULL, 100, 1, STUN_CLASS_REQUEST, tid);
	cr_assert_eq(stun_enc_finish(&e, &len), EINVAL);
	stun_enc_init(&e, buf, sizeof(buf), 1, STUN_CLASS_REQUEST, NULL);
	cr_assert_eq(stun_enc_finish(&e, &len), EINVAL);
	cr_assert_eq(stun_enc_finish(NULL, &len), EINVAL);
	stun_enc_init(&e, buf, sizeof(buf), 1, STUN_CLASS_REQUEST, tid);
	cr_assert_eq(stun_enc_finish(&e, NULL), EINVAL);
}

Test(encode, init_no_room_for_header)
{
	struct stun_enc e;
	size_t len;

	stun_enc_init(&e, buf, 19, 1, STUN_CLASS_REQUEST, tid);
	cr_assert_eq(stun_enc_finish(&e, &len), ENOSPC);
}

Test(encode, enospc_is_sticky)
{
	struct stun_enc e;
	size_t len, before;

	stun_enc_init(&e, buf, 32, 1, STUN_CLASS_REQUEST, tid);
	stun_enc_u32(&e, STUN_ATTR_LIFETIME, 600); /* 28 */
	cr_assert_eq(e.err, 0);
	before = e.len;
	stun_enc_u32(&e, STUN_ATTR_LIFETIME, 600); /* 36 > 32 */
	cr_assert_eq(e.err, ENOSPC);
	cr_assert_eq(e.len, before);
	/* A smaller attribute that would fit changes nothing now. */
	stun_enc_attr(&e, STUN_ATTR_DONT_FRAGMENT, NULL, 0);
	cr_assert_eq(e.len, before);
	stun_enc_fingerprint(&e);
	cr_assert_eq(e.len, before);
	cr_assert_eq(stun_enc_finish(&e, &len), ENOSPC);
}

Test(encode, einval_is_sticky)
{
	struct stun_enc e;
	size_t len;

	start(&e, 1, STUN_CLASS_REQUEST);
	stun_enc_attr(&e, STUN_ATTR_DATA, NULL, 4);
	cr_assert_eq(e.err, EINVAL);
	stun_enc_u32(&e, STUN_ATTR_LIFETIME, 1);
	cr_assert_eq(e.len, 20);
	/* The first error wins. */
	stun_enc_init(&e, buf, 20, 1, STUN_CLASS_REQUEST, tid);
	stun_enc_errcode(&e, 299, NULL);
	stun_enc_u32(&e, STUN_ATTR_LIFETIME, 1);
	cr_assert_eq(stun_enc_finish(&e, &len), EINVAL);
}

Test(encode, exact_fit)
{
	struct stun_enc e;
	size_t len;

	stun_enc_init(&e, buf, 28, 1, STUN_CLASS_REQUEST, tid);
	stun_enc_u32(&e, STUN_ATTR_LIFETIME, 600);
	cr_assert_eq(stun_enc_finish(&e, &len), 0);
	cr_assert_eq(len, 28);
	/* Padding counts: 1 value byte needs 8 bytes in all. */
	stun_enc_init(&e, buf, 27, 1, STUN_CLASS_REQUEST, tid);
	stun_enc_even_port(&e, true);
	cr_assert_eq(stun_enc_finish(&e, &len), ENOSPC);
}

Test(encode, message_length_limit)
{
	static uint8_t big[STUN_MAX_MSG + 64];
	static uint8_t data[STUN_MAX_MSG];
	struct stun_enc e;
	size_t len, room = STUN_MAX_MSG - 20 - 4;

	/* §5: the 16-bit length bounds the message; we stop at
	 * STUN_MAX_MSG even with a larger buffer. */
	stun_enc_init(&e, big, sizeof(big), STUN_METHOD_SEND,
		      STUN_CLASS_INDICATION, tid);
	stun_enc_attr(&e, STUN_ATTR_DATA, data, room & ~(size_t)3);
	cr_assert_eq(e.err, 0);
	stun_enc_u32(&e, STUN_ATTR_LIFETIME, 1);
	cr_assert_eq(stun_enc_finish(&e, &len), ENOSPC);
	stun_enc_init(&e, big, sizeof(big), STUN_METHOD_SEND,
		      STUN_CLASS_INDICATION, tid);
	stun_enc_attr(&e, STUN_ATTR_DATA, data, sizeof(data));
	cr_assert_eq(stun_enc_finish(&e, &len), ENOSPC);
}

Test(encode, oversized_values)
{
	static uint8_t huge[STUN_MAX_MSG + 1];
	static uint16_t types[STUN_MAX_MSG / 2 + 1];
	struct stun_enc e;

	/* Bigger than any message: refused before anything is written. */
	start(&e, 1, STUN_CLASS_REQUEST);
	stun_enc_attr(&e, STUN_ATTR_DATA, huge, sizeof(huge));
	cr_assert_eq(e.err, ENOSPC);
	cr_assert_eq(e.len, 20);
	start(&e, 1, STUN_CLASS_ERROR);
	stun_enc_unknown(&e, types, STUN_MAX_MSG / 2 + 1);
	cr_assert_eq(e.err, ENOSPC);
	start(&e, 1, STUN_CLASS_ERROR);
	stun_enc_pwalgs(&e, types, STUN_MAX_MSG / 4 + 1);
	cr_assert_eq(e.err, ENOSPC);
}

Test(encode, null_encoder_is_harmless)
{
	static const uint16_t t[1] = { 1 };
	struct sa a;

	cr_assert_eq(sa_set_str(&a, "192.0.2.1", 1), 0);
	stun_enc_init(NULL, buf, sizeof(buf), 1, STUN_CLASS_REQUEST, tid);
	stun_enc_reply(NULL, buf, sizeof(buf), NULL, STUN_CLASS_SUCCESS);
	stun_enc_attr(NULL, STUN_ATTR_DATA, "x", 1);
	stun_enc_u32(NULL, STUN_ATTR_LIFETIME, 1);
	stun_enc_text(NULL, STUN_ATTR_REALM, "r", 1);
	stun_enc_addr(NULL, STUN_ATTR_MAPPED_ADDRESS, &a);
	stun_enc_xaddr(NULL, STUN_ATTR_XOR_MAPPED_ADDRESS, &a);
	stun_enc_errcode(NULL, 400, NULL);
	stun_enc_addr_errcode(NULL, AF_INET, 440, NULL);
	stun_enc_unknown(NULL, t, 1);
	stun_enc_change_request(NULL, 0);
	stun_enc_channel(NULL, 0x4000);
	stun_enc_transport(NULL, 17);
	stun_enc_family(NULL, STUN_ATTR_REQUESTED_ADDRESS_FAMILY, AF_INET);
	stun_enc_pwalgs(NULL, t, 1);
	stun_enc_pwalg(NULL, 1);
	stun_enc_even_port(NULL, true);
	stun_enc_response_port(NULL, 1);
	stun_enc_icmp(NULL, 1, 1, 1);
	stun_enc_padding(NULL, 4);
	stun_enc_mi(NULL, tid, 1);
	stun_enc_mi256(NULL, tid, 1);
	stun_enc_fingerprint(NULL);
}

Test(encode, mi_fp_no_room)
{
	struct stun_enc e;
	size_t len;

	stun_enc_init(&e, buf, 40, 1, STUN_CLASS_REQUEST, tid);
	stun_enc_mi(&e, key, sizeof(key));
	cr_assert_eq(stun_enc_finish(&e, &len), ENOSPC);
	stun_enc_init(&e, buf, 27, 1, STUN_CLASS_REQUEST, tid);
	stun_enc_fingerprint(&e);
	cr_assert_eq(stun_enc_finish(&e, &len), ENOSPC);
	stun_enc_init(&e, buf, 20 + 35, 1, STUN_CLASS_REQUEST, tid);
	stun_enc_mi256(&e, key, sizeof(key));
	cr_assert_eq(stun_enc_finish(&e, &len), ENOSPC);
}

/* ---- replies ---------------------------------------------------------- */

Test(encode, reply_copies_method_and_tid)
{
	uint8_t req[20];
	struct stun_msg m;
	struct stun_enc e;
	size_t len;

	stun_enc_init(&e, req, sizeof(req), STUN_METHOD_REFRESH,
		      STUN_CLASS_REQUEST, tid);
	cr_assert_eq(stun_enc_finish(&e, &len), 0);
	cr_assert_eq(stun_msg_decode(&m, req, len, 0), 0);
	stun_enc_reply(&e, buf, sizeof(buf), &m, STUN_CLASS_ERROR);
	stun_enc_errcode(&e, 437, NULL);
	cr_assert_eq(stun_enc_finish(&e, &len), 0);
	cr_assert_eq(get_be16(buf), 0x0114);
	cr_assert_eq(get_be32(buf + 4), STUN_MAGIC_COOKIE);
	cr_assert_eq(memcmp(buf + 8, tid, 12), 0);
}

Test(encode, reply_to_rfc3489_keeps_cookie_field)
{
	uint8_t req[20];
	struct stun_msg m;
	struct stun_enc e;
	struct sa a;
	size_t len;

	memset(req, 0, sizeof(req));
	put_be16(req, 0x0001);
	put_be32(req + 4, 0x01020304);
	memcpy(req + 8, tid, 12);
	cr_assert_eq(
	    stun_msg_decode(&m, req, sizeof(req), STUN_DECODE_ALLOW_RFC3489),
	    0);
	cr_assert(m.rfc3489);
	/* §12.2: the whole 128-bit id comes back; MAPPED-ADDRESS, since an
	 * RFC 3489 client knows no XOR-MAPPED-ADDRESS. */
	cr_assert_eq(sa_set_str(&a, "192.0.2.7", 4000), 0);
	stun_enc_reply(&e, buf, sizeof(buf), &m, STUN_CLASS_SUCCESS);
	stun_enc_addr(&e, STUN_ATTR_MAPPED_ADDRESS, &a);
	cr_assert_eq(stun_enc_finish(&e, &len), 0);
	cr_assert_eq(get_be16(buf), 0x0101);
	cr_assert_eq(get_be32(buf + 4), 0x01020304);
	cr_assert_eq(memcmp(buf + 8, tid, 12), 0);
	cr_assert_eq(e.cookie, 0x01020304);
}

Test(encode, reply_without_request)
{
	struct stun_enc e;
	size_t len;

	stun_enc_reply(&e, buf, sizeof(buf), NULL, STUN_CLASS_SUCCESS);
	cr_assert_eq(stun_enc_finish(&e, &len), EINVAL);
}

/* ---- round trips ------------------------------------------------------ */

Test(encode, raw_attr_zero_padding)
{
	struct stun_enc e;
	struct stun_msg m;
	const struct stun_attr *a;

	start(&e, STUN_METHOD_SEND, STUN_CLASS_INDICATION);
	stun_enc_attr(&e, STUN_ATTR_DATA, "hello", 5);
	cr_assert_eq(memcmp(buf + 24, "hello\0\0\0", 8), 0);
	a = finish_one(&e, &m, STUN_ATTR_DATA);
	cr_assert_eq(a->len, 5);
	cr_assert_eq(memcmp(a->val, "hello", 5), 0);
}

Test(encode, empty_attr)
{
	struct stun_enc e;
	struct stun_msg m;

	start(&e, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST);
	stun_enc_attr(&e, STUN_ATTR_DONT_FRAGMENT, NULL, 0);
	cr_assert_eq(finish_one(&e, &m, STUN_ATTR_DONT_FRAGMENT)->len, 0);
}

Test(encode, u32_lifetime)
{
	struct stun_enc e;
	struct stun_msg m;
	uint32_t v;

	start(&e, STUN_METHOD_REFRESH, STUN_CLASS_REQUEST);
	stun_enc_u32(&e, STUN_ATTR_LIFETIME, 0xdeadbeef);
	cr_assert_eq(stun_attr_u32(finish_one(&e, &m, STUN_ATTR_LIFETIME), &v),
		     0);
	cr_assert_eq(v, 0xdeadbeef);
}

Test(encode, text)
{
	static const uint16_t types[] = { STUN_ATTR_USERNAME, STUN_ATTR_REALM,
					  STUN_ATTR_NONCE, STUN_ATTR_SOFTWARE,
					  STUN_ATTR_ALTERNATE_DOMAIN };
	struct stun_enc e;
	struct stun_msg m;
	const char *s;
	size_t i, n;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		start(&e, 1, STUN_CLASS_REQUEST);
		stun_enc_text(&e, types[i], "example.org", 11);
		cr_assert_eq(
		    stun_attr_text(finish_one(&e, &m, types[i]), &s, &n), 0);
		cr_assert_eq(n, 11);
		cr_assert_eq(memcmp(s, "example.org", 11), 0);
	}
}

Test(encode, text_limits)
{
	static char text[600];
	struct stun_enc e;

	memset(text, 'x', sizeof(text));
	/* §14.3: USERNAME fewer than 509 bytes. */
	start(&e, 1, STUN_CLASS_REQUEST);
	stun_enc_text(&e, STUN_ATTR_USERNAME, text, 508);
	cr_assert_eq(e.err, 0);
	stun_enc_text(&e, STUN_ATTR_USERNAME, text, 509);
	cr_assert_eq(e.err, EINVAL);
	/* §14.9, §14.10, §14.14: at most 509 bytes when encoding. */
	start(&e, 1, STUN_CLASS_REQUEST);
	stun_enc_text(&e, STUN_ATTR_REALM, text, 509);
	cr_assert_eq(e.err, 0);
	stun_enc_text(&e, STUN_ATTR_NONCE, text, 510);
	cr_assert_eq(e.err, EINVAL);
	/* §14.16: ALTERNATE-DOMAIN 255 characters or fewer. */
	start(&e, 1, STUN_CLASS_REQUEST);
	stun_enc_text(&e, STUN_ATTR_ALTERNATE_DOMAIN, text, 255);
	cr_assert_eq(e.err, 0);
	stun_enc_text(&e, STUN_ATTR_ALTERNATE_DOMAIN, text, 256);
	cr_assert_eq(e.err, EINVAL);
}

static void addr_round_trip(const char *ip, uint16_t port, bool xor)
{
	uint16_t type =
	    xor? STUN_ATTR_XOR_PEER_ADDRESS : STUN_ATTR_ALTERNATE_SERVER;
	struct stun_enc e;
	struct stun_msg m;
	struct sa in, out;
	int err;

	cr_assert_eq(sa_set_str(&in, ip, port), 0);
	start(&e, STUN_METHOD_CREATE_PERMISSION, STUN_CLASS_REQUEST);
	if (xor)
		stun_enc_xaddr(&e, type, &in);
	else
		stun_enc_addr(&e, type, &in);
	if (xor)
		err = stun_attr_xaddr(finish_one(&e, &m, type), &m, &out);
	else
		err = stun_attr_addr(finish_one(&e, &m, type), &out);
	cr_assert_eq(err, 0);
	cr_assert(sa_equal(&in, &out), "%s", ip);
}

Test(encode, addr_v4_v6)
{
	addr_round_trip("198.51.100.9", 3478, false);
	addr_round_trip("2001:db8::9", 5349, false);
}

Test(encode, xaddr_v4_v6)
{
	addr_round_trip("198.51.100.9", 3478, true);
	addr_round_trip("2001:db8::9", 5349, true);
	addr_round_trip("0.0.0.0", 0, true);
}

Test(encode, xaddr_is_xored_on_the_wire)
{
	struct stun_enc e;
	struct sa a;

	cr_assert_eq(sa_set_str(&a, "192.0.2.1", 32853), 0);
	start(&e, 1, STUN_CLASS_SUCCESS);
	stun_enc_xaddr(&e, STUN_ATTR_XOR_MAPPED_ADDRESS, &a);
	/* The RFC 5769 §2.2 bytes: port 0xa147, address 0xe112a643. */
	cr_assert_eq(get_be16(buf + 26), 0xa147);
	cr_assert_eq(get_be32(buf + 28), 0xe112a643);
}

Test(encode, addr_unset)
{
	struct stun_enc e;
	struct sa a;

	sa_init(&a);
	start(&e, 1, STUN_CLASS_SUCCESS);
	stun_enc_addr(&e, STUN_ATTR_MAPPED_ADDRESS, &a);
	cr_assert_eq(e.err, EINVAL);
	start(&e, 1, STUN_CLASS_SUCCESS);
	stun_enc_xaddr(&e, STUN_ATTR_XOR_MAPPED_ADDRESS, NULL);
	cr_assert_eq(e.err, EINVAL);
}

Test(encode, errcode)
{
	struct stun_enc e;
	struct stun_msg m;
	const char *r;
	uint16_t code;
	size_t n;

	start(&e, 1, STUN_CLASS_ERROR);
	stun_enc_errcode(&e, 438, NULL);
	cr_assert_eq(stun_attr_errcode(finish_one(&e, &m, STUN_ATTR_ERROR_CODE),
				       &code, &r, &n),
		     0);
	cr_assert_eq(code, 438);
	cr_assert_eq(n, strlen("Stale Nonce"));
	cr_assert_eq(memcmp(r, "Stale Nonce", n), 0);
	cr_assert_eq(buf[26], 4);
	cr_assert_eq(buf[27], 38);

	start(&e, 1, STUN_CLASS_ERROR);
	stun_enc_errcode(&e, 699, "custom");
	cr_assert_eq(stun_attr_errcode(finish_one(&e, &m, STUN_ATTR_ERROR_CODE),
				       &code, &r, &n),
		     0);
	cr_assert_eq(code, 699);
	cr_assert_eq(n, 6);
}

Test(encode, errcode_range)
{
	static char reason[520];
	struct stun_enc e;

	/* §14.8: 300 to 699. */
	start(&e, 1, STUN_CLASS_ERROR);
	stun_enc_errcode(&e, 300, NULL);
	cr_assert_eq(e.err, 0);
	stun_enc_errcode(&e, 299, NULL);
	cr_assert_eq(e.err, EINVAL);
	start(&e, 1, STUN_CLASS_ERROR);
	stun_enc_errcode(&e, 700, NULL);
	cr_assert_eq(e.err, EINVAL);
	start(&e, 1, STUN_CLASS_ERROR);
	stun_enc_errcode(&e, 0, NULL);
	cr_assert_eq(e.err, EINVAL);
	/* 509 bytes of reason at most when encoding. */
	memset(reason, 'r', 510);
	start(&e, 1, STUN_CLASS_ERROR);
	stun_enc_errcode(&e, 400, reason);
	cr_assert_eq(e.err, EINVAL);
}

Test(encode, unknown_attributes)
{
	static const uint16_t types[] = { 0x0031, 0x0032, 0x7fff };
	struct stun_enc e;
	struct stun_msg m;
	uint16_t out[8];
	size_t n;

	start(&e, 1, STUN_CLASS_ERROR);
	stun_enc_unknown(&e, types, 3);
	/* §14.13: odd count, zero padding (RFC 3489 repeated an entry). */
	cr_assert_eq(get_be16(buf + 30), 0);
	cr_assert_eq(
	    stun_attr_unknown(finish_one(&e, &m, STUN_ATTR_UNKNOWN_ATTRIBUTES),
			      out, 8, &n),
	    0);
	cr_assert_eq(n, 3);
	cr_assert_eq(memcmp(out, types, sizeof(types)), 0);
	start(&e, 1, STUN_CLASS_ERROR);
	stun_enc_unknown(&e, NULL, 2);
	cr_assert_eq(e.err, EINVAL);
}

Test(encode, change_request)
{
	struct stun_enc e;
	struct stun_msg m;
	uint32_t f;

	start(&e, 1, STUN_CLASS_REQUEST);
	stun_enc_change_request(&e, STUN_CHANGE_IP | STUN_CHANGE_PORT);
	cr_assert_eq(get_be32(buf + 24), 0x6);
	cr_assert_eq(stun_attr_change_request(
			 finish_one(&e, &m, STUN_ATTR_CHANGE_REQUEST), &f),
		     0);
	cr_assert_eq(f, STUN_CHANGE_IP | STUN_CHANGE_PORT);
	start(&e, 1, STUN_CLASS_REQUEST);
	stun_enc_change_request(&e, 0x1);
	cr_assert_eq(e.err, EINVAL);
}

Test(encode, channel)
{
	struct stun_enc e;
	struct stun_msg m;
	uint16_t ch;

	start(&e, STUN_METHOD_CHANNEL_BIND, STUN_CLASS_REQUEST);
	stun_enc_channel(&e, 0x4001);
	cr_assert_eq(get_be32(buf + 24), 0x40010000);
	cr_assert_eq(stun_attr_channel(
			 finish_one(&e, &m, STUN_ATTR_CHANNEL_NUMBER), &ch),
		     0);
	cr_assert_eq(ch, 0x4001);
}

Test(encode, transport)
{
	struct stun_enc e;
	struct stun_msg m;
	uint8_t p;

	start(&e, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST);
	stun_enc_transport(&e, 17);
	cr_assert_eq(get_be32(buf + 24), 0x11000000);
	cr_assert_eq(stun_attr_transport(
			 finish_one(&e, &m, STUN_ATTR_REQUESTED_TRANSPORT), &p),
		     0);
	cr_assert_eq(p, 17);
}

Test(encode, family)
{
	struct stun_enc e;
	struct stun_msg m;
	int f;

	start(&e, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST);
	stun_enc_family(&e, STUN_ATTR_REQUESTED_ADDRESS_FAMILY, AF_INET6);
	cr_assert_eq(get_be32(buf + 24), 0x02000000);
	cr_assert_eq(
	    stun_attr_family(
		finish_one(&e, &m, STUN_ATTR_REQUESTED_ADDRESS_FAMILY), &f),
	    0);
	cr_assert_eq(f, AF_INET6);
	start(&e, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST);
	stun_enc_family(&e, STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY, AF_INET);
	cr_assert_eq(
	    stun_attr_family(
		finish_one(&e, &m, STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY), &f),
	    0);
	cr_assert_eq(f, AF_INET);
	start(&e, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST);
	stun_enc_family(&e, STUN_ATTR_REQUESTED_ADDRESS_FAMILY, AF_UNIX);
	cr_assert_eq(e.err, EINVAL);
}

Test(encode, pwalgs_and_pwalg)
{
	static const uint16_t algs[] = { STUN_PWALG_SHA256, STUN_PWALG_MD5 };
	struct stun_enc e;
	struct stun_msg m;
	uint16_t out[4], alg;
	size_t n;

	start(&e, 1, STUN_CLASS_ERROR);
	stun_enc_pwalgs(&e, algs, 2);
	cr_assert_eq(
	    stun_attr_pwalgs(finish_one(&e, &m, STUN_ATTR_PASSWORD_ALGORITHMS),
			     out, 4, &n),
	    0);
	cr_assert_eq(n, 2);
	cr_assert_eq(out[0], STUN_PWALG_SHA256);
	cr_assert_eq(out[1], STUN_PWALG_MD5);

	start(&e, 1, STUN_CLASS_REQUEST);
	stun_enc_pwalg(&e, STUN_PWALG_SHA256);
	cr_assert_eq(
	    stun_attr_pwalg(finish_one(&e, &m, STUN_ATTR_PASSWORD_ALGORITHM),
			    &alg),
	    0);
	cr_assert_eq(alg, STUN_PWALG_SHA256);
	start(&e, 1, STUN_CLASS_ERROR);
	stun_enc_pwalgs(&e, NULL, 1);
	cr_assert_eq(e.err, EINVAL);
}

Test(encode, addr_errcode)
{
	struct stun_enc e;
	struct stun_msg m;
	const char *r;
	uint16_t code;
	size_t n;
	int fam;

	start(&e, STUN_METHOD_ALLOCATE, STUN_CLASS_SUCCESS);
	stun_enc_addr_errcode(&e, AF_INET6, 440, NULL);
	cr_assert_eq(buf[24], 0x02);
	cr_assert_eq(stun_attr_addr_errcode(
			 finish_one(&e, &m, STUN_ATTR_ADDRESS_ERROR_CODE), &fam,
			 &code, &r, &n),
		     0);
	cr_assert_eq(fam, AF_INET6);
	cr_assert_eq(code, 440);
	cr_assert_eq(n, strlen("Address Family not Supported"));
	start(&e, STUN_METHOD_ALLOCATE, STUN_CLASS_SUCCESS);
	stun_enc_addr_errcode(&e, AF_UNIX, 440, NULL);
	cr_assert_eq(e.err, EINVAL);
	start(&e, STUN_METHOD_ALLOCATE, STUN_CLASS_SUCCESS);
	stun_enc_addr_errcode(&e, AF_INET, 200, NULL);
	cr_assert_eq(e.err, EINVAL);
}

Test(encode, even_port)
{
	struct stun_enc e;
	struct stun_msg m;
	bool r = false;

	start(&e, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST);
	stun_enc_even_port(&e, true);
	cr_assert_eq(
	    stun_attr_even_port(finish_one(&e, &m, STUN_ATTR_EVEN_PORT), &r),
	    0);
	cr_assert(r);
	start(&e, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST);
	stun_enc_even_port(&e, false);
	cr_assert_eq(
	    stun_attr_even_port(finish_one(&e, &m, STUN_ATTR_EVEN_PORT), &r),
	    0);
	cr_assert_not(r);
}

Test(encode, response_port)
{
	struct stun_enc e;
	struct stun_msg m;
	uint16_t p;

	start(&e, 1, STUN_CLASS_REQUEST);
	stun_enc_response_port(&e, 40000);
	cr_assert_eq(stun_attr_response_port(
			 finish_one(&e, &m, STUN_ATTR_RESPONSE_PORT), &p),
		     0);
	cr_assert_eq(p, 40000);
}

Test(encode, icmp)
{
	struct stun_enc e;
	struct stun_msg m;
	uint8_t type, code;
	uint32_t data;

	start(&e, STUN_METHOD_DATA, STUN_CLASS_INDICATION);
	stun_enc_icmp(&e, 3, 4, 1400);
	cr_assert_eq(stun_attr_icmp(finish_one(&e, &m, STUN_ATTR_ICMP), &type,
				    &code, &data),
		     0);
	cr_assert_eq(type, 3);
	cr_assert_eq(code, 4);
	cr_assert_eq(data, 1400);
}

Test(encode, padding_and_token_and_userhash)
{
	static const uint8_t tok[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	uint8_t hash[32];
	const uint8_t *p;
	struct stun_enc e;
	struct stun_msg m;
	size_t len;

	memset(hash, 0x5a, sizeof(hash));
	start(&e, 1, STUN_CLASS_REQUEST);
	stun_enc_padding(&e, 6);
	stun_enc_attr(&e, STUN_ATTR_RESERVATION_TOKEN, tok, sizeof(tok));
	stun_enc_attr(&e, STUN_ATTR_USERHASH, hash, sizeof(hash));
	cr_assert_eq(stun_enc_finish(&e, &len), 0);
	cr_assert_eq(stun_msg_decode(&m, buf, len, 0), 0);
	cr_assert_eq(stun_msg_attr(&m, STUN_ATTR_PADDING)->len, 6);
	cr_assert_eq(memcmp(stun_msg_attr(&m, STUN_ATTR_PADDING)->val,
			    "\0\0\0\0\0\0\0\0", 8),
		     0);
	cr_assert_eq(
	    stun_attr_token(stun_msg_attr(&m, STUN_ATTR_RESERVATION_TOKEN), &p),
	    0);
	cr_assert_eq(memcmp(p, tok, 8), 0);
	cr_assert_eq(
	    stun_attr_userhash(stun_msg_attr(&m, STUN_ATTR_USERHASH), &p), 0);
	cr_assert_eq(memcmp(p, hash, 32), 0);
}

/* ---- integrity and fingerprint --------------------------------------- */

Test(encode, mi_then_mi256_then_fp)
{
	struct stun_enc e;
	struct stun_msg m;
	size_t len;

	start(&e, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST);
	stun_enc_text(&e, STUN_ATTR_USERNAME, "alice", 5);
	stun_enc_mi(&e, key, sizeof(key));
	stun_enc_mi256(&e, key, sizeof(key));
	stun_enc_fingerprint(&e);
	cr_assert_eq(stun_enc_finish(&e, &len), 0);
	cr_assert_eq(len, 20 + 12 + 24 + 36 + 8);
	cr_assert_eq(stun_msg_decode(&m, buf, len, 0), 0);
	cr_assert_eq(m.mi, 1);
	cr_assert_eq(m.mi256, 2);
	cr_assert_eq(m.fp, 3);
	cr_assert_eq(m.attrs[2].len, STUN_MI256_SIZE);
	cr_assert_eq(stun_msg_check_mi(&m, key, sizeof(key)), 0);
	cr_assert_eq(stun_msg_check_mi256(&m, key, sizeof(key)), 0);
	/* Not sizeof(key) - 1: HMAC pads keys with zeros, so dropping the
	 * trailing NUL gives the same key. */
	cr_assert_eq(stun_msg_check_mi(&m, key, 5), EACCES);
	cr_assert_eq(stun_msg_check_mi256(&m, key, 5), EACCES);
}

Test(encode, mi_with_empty_key)
{
	struct stun_enc e;
	struct stun_msg m;
	size_t len;

	start(&e, 1, STUN_CLASS_REQUEST);
	stun_enc_mi(&e, NULL, 0);
	cr_assert_eq(stun_enc_finish(&e, &len), 0);
	cr_assert_eq(stun_msg_decode(&m, buf, len, 0), 0);
	cr_assert_eq(stun_msg_check_mi(&m, (const uint8_t *)"", 0), 0);
	cr_assert_eq(stun_msg_check_mi(&m, NULL, 0), 0);
	cr_assert_eq(stun_msg_check_mi(&m, key, 1), EACCES);
	/* A NULL key with a length is a caller bug, not an empty key. */
	cr_assert_eq(stun_msg_check_mi(&m, NULL, 5), EINVAL);
	start(&e, 1, STUN_CLASS_REQUEST);
	stun_enc_mi(&e, NULL, 5);
	cr_assert_eq(stun_enc_finish(&e, &len), EINVAL);
}

Test(encode, mi_tamper_detected)
{
	struct stun_enc e;
	struct stun_msg m;
	size_t len, i;

	start(&e, 1, STUN_CLASS_REQUEST);
	stun_enc_text(&e, STUN_ATTR_USERNAME, "alice", 5);
	stun_enc_mi(&e, key, sizeof(key));
	cr_assert_eq(stun_enc_finish(&e, &len), 0);
	/* Every byte before the MESSAGE-INTEGRITY attribute counts, the
	 * header and the username's padding included. */
	for (i = 0; i < len - 24; i++) {
		if (i == 2 || i == 3)
			continue; /* the length: decode would fail */
		buf[i] ^= 0x10;
		if (stun_msg_decode(&m, buf, len, 0) == 0)
			cr_assert_eq(stun_msg_check_mi(&m, key, sizeof(key)),
				     EACCES, "byte %zu", i);
		buf[i] ^= 0x10;
	}
}

Test(encode, mi256_truncated_accepted)
{
	uint8_t mac[32];
	unsigned int maclen = 0;
	struct stun_enc e;
	struct stun_msg m;
	size_t len;

	/* §14.6: a receiver accepts 16..32 bytes in steps of 4. Build what
	 * a truncating sender sends: the header length counts the 16-byte
	 * attribute, the HMAC is cut to 16 bytes. */
	start(&e, 1, STUN_CLASS_REQUEST);
	stun_enc_text(&e, STUN_ATTR_USERNAME, "bob", 3);
	len = e.len;
	put_be16(buf + 2, (uint16_t)(len + 20 - 20));
	cr_assert_not_null(
	    HMAC(EVP_sha256(), key, sizeof(key), buf, len, mac, &maclen));
	put_be16(buf + len, STUN_ATTR_MESSAGE_INTEGRITY_SHA256);
	put_be16(buf + len + 2, 16);
	memcpy(buf + len + 4, mac, 16);
	len += 20;
	cr_assert_eq(stun_msg_decode(&m, buf, len, 0), 0);
	cr_assert_eq(m.attrs[m.mi256].len, 16);
	cr_assert_eq(stun_msg_check_mi256(&m, key, sizeof(key)), 0);
	cr_assert_eq(stun_msg_check_mi256(&m, key, 3), EACCES);
}

Test(encode, mi256_cut_without_new_length_fails)
{
	struct stun_enc e;
	struct stun_msg m;
	size_t len;

	/* Cutting a 32-byte value after the fact leaves an HMAC computed
	 * over the old length: the length is part of the input. */
	start(&e, 1, STUN_CLASS_REQUEST);
	stun_enc_text(&e, STUN_ATTR_USERNAME, "bob", 3);
	stun_enc_mi256(&e, key, sizeof(key));
	cr_assert_eq(stun_enc_finish(&e, &len), 0);
	cr_assert_eq(stun_msg_decode(&m, buf, len, 0), 0);
	cr_assert_eq(stun_msg_check_mi256(&m, key, sizeof(key)), 0);
	put_be16(buf + 2, (uint16_t)(len - 16 - 20));
	put_be16(buf + 20 + 8 + 2, 16);
	cr_assert_eq(stun_msg_decode(&m, buf, len - 16, 0), 0);
	cr_assert_eq(stun_msg_check_mi256(&m, key, sizeof(key)), EACCES);
}

Test(encode, check_without_integrity)
{
	struct stun_enc e;
	struct stun_msg m;
	size_t len;

	start(&e, 1, STUN_CLASS_REQUEST);
	cr_assert_eq(stun_enc_finish(&e, &len), 0);
	cr_assert_eq(stun_msg_decode(&m, buf, len, 0), 0);
	cr_assert_eq(stun_msg_check_mi(&m, key, sizeof(key)), ENOENT);
	cr_assert_eq(stun_msg_check_mi256(&m, key, sizeof(key)), ENOENT);
	cr_assert_eq(stun_msg_check_mi(NULL, key, sizeof(key)), EINVAL);
}

Test(encode, fingerprint_value)
{
	struct stun_enc e;
	size_t len;

	start(&e, 1, STUN_CLASS_REQUEST);
	stun_enc_fingerprint(&e);
	cr_assert_eq(stun_enc_finish(&e, &len), 0);
	cr_assert_eq(len, 28);
	cr_assert_eq(get_be32(buf + 24),
		     stun_crc32(buf, 20) ^ STUN_FINGERPRINT_XOR);
}

Test(encode, crc32_check_value)
{
	/* The standard check value of CRC-32/ISO-HDLC. */
	cr_assert_eq(stun_crc32((const uint8_t *)"123456789", 9), 0xcbf43926u);
	cr_assert_eq(stun_crc32(NULL, 0), 0);
}
