/*
 * test_decode.c — stun_msg_decode: one test per reason a message is
 * rejected, the MESSAGE-INTEGRITY / FINGERPRINT ordering rules (RFC 8489
 * §14.5-§14.7), unknown comprehension-required attributes, RFC 3489
 * compatibility (§12), and the type <-> method/class mapping (§5).
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <string.h>

#include "base/cursor.h"
#include "stun/stun.h"

/* Hand-built messages, so malformed ones can be made on purpose. */
struct raw {
	uint8_t b[4096];
	size_t n;
};

static const uint8_t tid[STUN_TID_SIZE] = { 1, 2, 3, 4,	 5,  6,
					    7, 8, 9, 10, 11, 12 };

static void raw_init(struct raw *r, uint16_t type)
{
	memset(r, 0, sizeof(*r));
	put_be16(r->b, type);
	put_be32(r->b + 4, STUN_MAGIC_COOKIE);
	memcpy(r->b + 8, tid, STUN_TID_SIZE);
	r->n = STUN_HEADER_SIZE;
}

/* An attribute whose value is len bytes of fill, zero-padded. */
static void raw_attr(struct raw *r, uint16_t type, uint16_t len, uint8_t fill)
{
	put_be16(r->b + r->n, type);
	put_be16(r->b + r->n + 2, len);
	memset(r->b + r->n + 4, fill, len);
	r->n += 4 + ((len + 3u) & ~3u);
}

/* Set the header length to cover everything written. */
static size_t raw_done(struct raw *r)
{
	put_be16(r->b + 2, (uint16_t)(r->n - STUN_HEADER_SIZE));
	return r->n;
}

/* Append a correct FINGERPRINT (§14.7) and finish. */
static size_t raw_fp(struct raw *r)
{
	uint32_t crc;

	put_be16(r->b + 2, (uint16_t)(r->n + 8 - STUN_HEADER_SIZE));
	crc = stun_crc32(r->b, r->n) ^ STUN_FINGERPRINT_XOR;
	put_be16(r->b + r->n, STUN_ATTR_FINGERPRINT);
	put_be16(r->b + r->n + 2, 4);
	put_be32(r->b + r->n + 4, crc);
	r->n += 8;
	return r->n;
}

static int decode(struct stun_msg *m, struct raw *r, unsigned flags)
{
	return stun_msg_decode(m, r->b, r->n, flags);
}

/* ---- header ---------------------------------------------------------- */

Test(decode, empty_binding_request)
{
	struct stun_msg m;
	struct raw r;

	raw_init(&r, 0x0001);
	raw_done(&r);
	cr_assert_eq(decode(&m, &r, 0), 0);
	cr_assert_eq(m.type, 0x0001);
	cr_assert_eq(m.method, STUN_METHOD_BINDING);
	cr_assert_eq(m.cls, STUN_CLASS_REQUEST);
	cr_assert_eq(m.len, 20);
	cr_assert_eq(m.buf, r.b);
	cr_assert_eq(m.nattrs, 0);
	cr_assert_eq(m.mi, -1);
	cr_assert_eq(m.mi256, -1);
	cr_assert_eq(m.fp, -1);
	cr_assert_eq(m.nunknown, 0);
	cr_assert_eq(memcmp(m.tid, tid, 12), 0);
	cr_assert_null(stun_msg_attr(&m, STUN_ATTR_USERNAME));
}

Test(decode, null_arguments)
{
	struct stun_msg m;
	uint8_t b[20] = { 0 };

	cr_assert_eq(stun_msg_decode(NULL, b, sizeof(b), 0), EINVAL);
	cr_assert_eq(stun_msg_decode(&m, NULL, 20, 0), EINVAL);
}

Test(decode, shorter_than_header)
{
	struct stun_msg m;
	struct raw r;
	size_t n;

	raw_init(&r, 0x0001);
	raw_done(&r);
	for (n = 0; n < STUN_HEADER_SIZE; n++)
		cr_assert_eq(stun_msg_decode(&m, r.b, n, 0), EBADMSG);
}

Test(decode, first_two_bits_set)
{
	struct stun_msg m;
	struct raw r;

	/* §5: the most significant two bits are zero. */
	raw_init(&r, 0x4001);
	raw_done(&r);
	cr_assert_eq(decode(&m, &r, 0), EBADMSG);
	raw_init(&r, 0x8001);
	raw_done(&r);
	cr_assert_eq(decode(&m, &r, 0), EBADMSG);
}

Test(decode, length_not_multiple_of_4)
{
	struct stun_msg m;
	struct raw r;

	raw_init(&r, 0x0001);
	raw_attr(&r, STUN_ATTR_SOFTWARE, 2, 'a');
	raw_done(&r);
	put_be16(r.b + 2, 6);
	r.n = 26;
	cr_assert_eq(decode(&m, &r, 0), EBADMSG);
}

Test(decode, length_disagrees_with_datagram)
{
	struct stun_msg m;
	struct raw r;

	raw_init(&r, 0x0001);
	raw_attr(&r, STUN_ATTR_SOFTWARE, 4, 'a');
	raw_done(&r);
	/* Datagram longer than the header says (trailing bytes). */
	cr_assert_eq(stun_msg_decode(&m, r.b, r.n + 4, 0), EBADMSG);
	/* Datagram shorter: the header claims bytes that are not there. */
	cr_assert_eq(stun_msg_decode(&m, r.b, r.n - 4, 0), EBADMSG);
}

Test(decode, longer_than_max_msg)
{
	static uint8_t big[STUN_MAX_MSG + 4 + 1];
	struct stun_msg m;
	size_t len = STUN_MAX_MSG + 1;

	/* 20 + a multiple of 4 just above STUN_MAX_MSG, filled with one
	 * DATA attribute so the message is otherwise valid. */
	len = STUN_HEADER_SIZE + ((len - STUN_HEADER_SIZE + 3) & ~(size_t)3);
	memset(big, 0, sizeof(big));
	put_be16(big, 0x0016);
	put_be16(big + 2, (uint16_t)(len - STUN_HEADER_SIZE));
	put_be32(big + 4, STUN_MAGIC_COOKIE);
	put_be16(big + 20, STUN_ATTR_DATA);
	put_be16(big + 22, (uint16_t)(len - STUN_HEADER_SIZE - 4));
	cr_assert_eq(stun_msg_decode(&m, big, len, 0), EBADMSG);
	/* The largest allowed one decodes. */
	len -= 4;
	put_be16(big + 2, (uint16_t)(len - STUN_HEADER_SIZE));
	put_be16(big + 22, (uint16_t)(len - STUN_HEADER_SIZE - 4));
	cr_assert_leq(len, STUN_MAX_MSG);
	cr_assert_eq(stun_msg_decode(&m, big, len, 0), 0);
}

Test(decode, wrong_cookie)
{
	struct stun_msg m;
	struct raw r;

	raw_init(&r, 0x0001);
	put_be32(r.b + 4, 0x2112A443);
	raw_done(&r);
	cr_assert_eq(decode(&m, &r, 0), EBADMSG);
}

/* ---- RFC 3489 (RFC 8489 §12) -------------------------------------------- */

Test(decode, rfc3489_binding_request_with_flag)
{
	struct stun_msg m;
	struct raw r;

	raw_init(&r, 0x0001);
	put_be32(r.b + 4, 0xdeadbeef);
	raw_attr(&r, STUN_ATTR_CHANGE_REQUEST, 4, 0);
	raw_done(&r);
	cr_assert_eq(decode(&m, &r, STUN_DECODE_ALLOW_RFC3489), 0);
	cr_assert(m.rfc3489);
	cr_assert_eq(m.cookie, 0xdeadbeef);
	cr_assert_eq(memcmp(m.tid, tid, 12), 0);
	cr_assert_eq(m.nattrs, 1);
	cr_assert_eq(m.nunknown, 0);
}

Test(decode, rfc3489_needs_flag)
{
	struct stun_msg m;
	struct raw r;

	raw_init(&r, 0x0001);
	put_be32(r.b + 4, 0xdeadbeef);
	raw_done(&r);
	cr_assert_eq(decode(&m, &r, 0), EBADMSG);
}

Test(decode, rfc3489_only_binding_requests)
{
	static const uint16_t types[] = {
		0x0101, /* Binding success */
		0x0111, /* Binding error */
		0x0011, /* Binding indication */
		0x0003, /* Allocate request */
		0x0016, /* Send indication */
	};
	struct stun_msg m;
	struct raw r;
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		raw_init(&r, types[i]);
		put_be32(r.b + 4, 0xdeadbeef);
		raw_done(&r);
		cr_assert_eq(decode(&m, &r, STUN_DECODE_ALLOW_RFC3489), EBADMSG,
			     "type 0x%04x", types[i]);
	}
}

Test(decode, magic_cookie_is_not_rfc3489)
{
	struct stun_msg m;
	struct raw r;

	raw_init(&r, 0x0001);
	raw_done(&r);
	cr_assert_eq(decode(&m, &r, STUN_DECODE_ALLOW_RFC3489), 0);
	cr_assert_not(m.rfc3489);
	cr_assert_eq(m.cookie, STUN_MAGIC_COOKIE);
}

/* ---- attributes -------------------------------------------------------- */

Test(decode, attributes_and_padding)
{
	struct stun_msg m;
	struct raw r;

	raw_init(&r, 0x0003);
	raw_attr(&r, STUN_ATTR_USERNAME, 5, 'u');
	raw_attr(&r, STUN_ATTR_DONT_FRAGMENT, 0, 0);
	raw_attr(&r, STUN_ATTR_EVEN_PORT, 1, 0x80);
	raw_attr(&r, STUN_ATTR_DATA, 8, 'd');
	raw_done(&r);
	cr_assert_eq(decode(&m, &r, 0), 0);
	cr_assert_eq(m.nattrs, 4);
	cr_assert_eq(m.attrs[0].type, STUN_ATTR_USERNAME);
	cr_assert_eq(m.attrs[0].len, 5);
	cr_assert_eq(m.attrs[0].offset, 20);
	cr_assert_eq(m.attrs[0].val, r.b + 24);
	cr_assert_eq(m.attrs[1].offset, 32);
	cr_assert_eq(m.attrs[1].len, 0);
	cr_assert_eq(m.attrs[2].offset, 36);
	cr_assert_eq(m.attrs[3].offset, 44);
	cr_assert_eq(m.attrs[3].val, r.b + 48);
}

Test(decode, padding_bytes_are_ignored)
{
	struct stun_msg m;
	struct raw r;

	/* §14: padding must be ignored by the receiver, whatever it is. */
	raw_init(&r, 0x0001);
	raw_attr(&r, STUN_ATTR_USERNAME, 1, 'u');
	memset(r.b + 25, 0xff, 3);
	raw_done(&r);
	cr_assert_eq(decode(&m, &r, 0), 0);
}

Test(decode, attribute_value_past_end)
{
	struct stun_msg m;
	struct raw r;

	raw_init(&r, 0x0001);
	raw_attr(&r, STUN_ATTR_USERNAME, 8, 'u');
	raw_done(&r);
	put_be16(r.b + 22, 12);
	cr_assert_eq(decode(&m, &r, 0), EBADMSG);
	put_be16(r.b + 22, 0xffff);
	cr_assert_eq(decode(&m, &r, 0), EBADMSG);
}

Test(decode, attribute_padding_past_end)
{
	struct stun_msg m;
	struct raw r;

	/* The value fits, but its padding to 4 does not. */
	raw_init(&r, 0x0001);
	raw_attr(&r, STUN_ATTR_USERNAME, 8, 'u');
	raw_done(&r);
	put_be16(r.b + 22, 5);
	r.n = 20 + 4 + 8;
	put_be16(r.b + 2, 12);
	cr_assert_eq(decode(&m, &r, 0), 0);
	put_be16(r.b + 22, 9);
	cr_assert_eq(decode(&m, &r, 0), EBADMSG);
}

Test(decode, max_attrs_accepted)
{
	struct stun_msg m;
	struct raw r;
	int i;

	raw_init(&r, 0x0001);
	for (i = 0; i < STUN_MAX_ATTRS; i++)
		raw_attr(&r, STUN_ATTR_SOFTWARE, 0, 0);
	raw_done(&r);
	cr_assert_eq(decode(&m, &r, 0), 0);
	cr_assert_eq(m.nattrs, STUN_MAX_ATTRS);
}

Test(decode, too_many_attrs)
{
	struct stun_msg m;
	struct raw r;
	int i;

	raw_init(&r, 0x0001);
	for (i = 0; i < STUN_MAX_ATTRS + 1; i++)
		raw_attr(&r, STUN_ATTR_SOFTWARE, 0, 0);
	raw_done(&r);
	cr_assert_eq(decode(&m, &r, 0), EBADMSG);
}

Test(decode, first_of_repeated_attribute)
{
	struct stun_msg m;
	struct raw r;

	raw_init(&r, 0x0001);
	raw_attr(&r, STUN_ATTR_SOFTWARE, 4, 'a');
	raw_attr(&r, STUN_ATTR_SOFTWARE, 4, 'b');
	raw_done(&r);
	cr_assert_eq(decode(&m, &r, 0), 0);
	cr_assert_eq(m.nattrs, 2);
	cr_assert_eq(stun_msg_attr(&m, STUN_ATTR_SOFTWARE)->val[0], 'a');
}

/* ---- unknown comprehension-required attributes (§6.3.1) ---------------- */

Test(decode, unknown_required_listed)
{
	struct stun_msg m;
	struct raw r;

	raw_init(&r, 0x0001);
	raw_attr(&r, 0x0031, 4, 0);
	raw_attr(&r, 0x7fff, 0, 0);
	raw_attr(&r, 0x0031, 4, 0); /* listed once */
	raw_attr(&r, 0xc001, 4, 0); /* comprehension-optional: not listed */
	raw_attr(&r, STUN_ATTR_USERNAME, 4, 'u');
	raw_done(&r);
	cr_assert_eq(decode(&m, &r, 0), 0);
	cr_assert_eq(m.nattrs, 5);
	cr_assert_eq(m.nunknown, 2);
	cr_assert_eq(m.unknown[0], 0x0031);
	cr_assert_eq(m.unknown[1], 0x7fff);
}

Test(decode, unknown_list_is_capped)
{
	struct stun_msg m;
	struct raw r;
	uint16_t t;

	raw_init(&r, 0x0001);
	for (t = 0x0040; t < 0x0040 + STUN_MAX_UNKNOWN + 4; t++)
		raw_attr(&r, t, 0, 0);
	raw_done(&r);
	cr_assert_eq(decode(&m, &r, 0), 0);
	cr_assert_eq(m.nunknown, STUN_MAX_UNKNOWN);
	cr_assert_eq(m.unknown[STUN_MAX_UNKNOWN - 1],
		     0x0040 + STUN_MAX_UNKNOWN - 1);
}

Test(decode, known_required_not_listed)
{
	static const uint16_t known[] = {
		STUN_ATTR_MAPPED_ADDRESS,
		STUN_ATTR_RESPONSE_ADDRESS,
		STUN_ATTR_CHANGE_REQUEST,
		STUN_ATTR_SOURCE_ADDRESS,
		STUN_ATTR_CHANGED_ADDRESS,
		STUN_ATTR_USERNAME,
		STUN_ATTR_ERROR_CODE,
		STUN_ATTR_UNKNOWN_ATTRIBUTES,
		STUN_ATTR_CHANNEL_NUMBER,
		STUN_ATTR_LIFETIME,
		STUN_ATTR_XOR_PEER_ADDRESS,
		STUN_ATTR_DATA,
		STUN_ATTR_REALM,
		STUN_ATTR_NONCE,
		STUN_ATTR_XOR_RELAYED_ADDRESS,
		STUN_ATTR_REQUESTED_ADDRESS_FAMILY,
		STUN_ATTR_EVEN_PORT,
		STUN_ATTR_REQUESTED_TRANSPORT,
		STUN_ATTR_DONT_FRAGMENT,
		STUN_ATTR_PASSWORD_ALGORITHM,
		STUN_ATTR_USERHASH,
		STUN_ATTR_XOR_MAPPED_ADDRESS,
		STUN_ATTR_RESERVATION_TOKEN,
		STUN_ATTR_PRIORITY,
		STUN_ATTR_USE_CANDIDATE,
		STUN_ATTR_PADDING,
		STUN_ATTR_RESPONSE_PORT,
		STUN_ATTR_CONNECTION_ID,
	};
	struct stun_msg m;
	struct raw r;
	size_t i;

	raw_init(&r, 0x0001);
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		raw_attr(&r, known[i], 4, 0);
	raw_done(&r);
	cr_assert_eq(decode(&m, &r, 0), 0);
	cr_assert_eq(m.nunknown, 0);
}

/* ---- MESSAGE-INTEGRITY, -SHA256, FINGERPRINT ordering ----------------- */

Test(decode, after_mi_only_mi256_and_fp_kept)
{
	struct stun_msg m;
	struct raw r;

	raw_init(&r, 0x0001);
	raw_attr(&r, STUN_ATTR_USERNAME, 4, 'u');
	raw_attr(&r, STUN_ATTR_MESSAGE_INTEGRITY, 20, 0);
	/* §14.5: ignored, so neither kept nor reported unknown. */
	raw_attr(&r, STUN_ATTR_REALM, 4, 'r');
	raw_attr(&r, 0x0031, 4, 0);
	raw_attr(&r, STUN_ATTR_MESSAGE_INTEGRITY_SHA256, 32, 0);
	raw_fp(&r);
	cr_assert_eq(decode(&m, &r, 0), 0);
	cr_assert_eq(m.nattrs, 4);
	cr_assert_eq(m.mi, 1);
	cr_assert_eq(m.mi256, 2);
	cr_assert_eq(m.fp, 3);
	cr_assert_null(stun_msg_attr(&m, STUN_ATTR_REALM));
	cr_assert_eq(m.nunknown, 0);
}

Test(decode, after_mi256_only_fp_kept)
{
	struct stun_msg m;
	struct raw r;

	raw_init(&r, 0x0001);
	raw_attr(&r, STUN_ATTR_MESSAGE_INTEGRITY_SHA256, 32, 0);
	/* §14.6: only FINGERPRINT may follow; a later MI is ignored. */
	raw_attr(&r, STUN_ATTR_MESSAGE_INTEGRITY, 20, 0);
	raw_attr(&r, STUN_ATTR_SOFTWARE, 4, 's');
	raw_fp(&r);
	cr_assert_eq(decode(&m, &r, 0), 0);
	cr_assert_eq(m.nattrs, 2);
	cr_assert_eq(m.mi256, 0);
	cr_assert_eq(m.mi, -1);
	cr_assert_eq(m.fp, 1);
}

Test(decode, after_mi_ignored_attribute_may_be_anything)
{
	struct stun_msg m;
	struct raw r;

	/* An ignored attribute is not checked, but must still fit. */
	raw_init(&r, 0x0001);
	raw_attr(&r, STUN_ATTR_MESSAGE_INTEGRITY, 20, 0);
	raw_attr(&r, STUN_ATTR_MESSAGE_INTEGRITY, 3, 0);
	raw_done(&r);
	cr_assert_eq(decode(&m, &r, 0), 0);
	cr_assert_eq(m.nattrs, 1);
}

Test(decode, mi_wrong_length)
{
	struct stun_msg m;
	struct raw r;

	/* §14.5: 20 bytes of HMAC-SHA1. */
	raw_init(&r, 0x0001);
	raw_attr(&r, STUN_ATTR_MESSAGE_INTEGRITY, 16, 0);
	raw_done(&r);
	cr_assert_eq(decode(&m, &r, 0), EBADMSG);
	raw_init(&r, 0x0001);
	raw_attr(&r, STUN_ATTR_MESSAGE_INTEGRITY, 32, 0);
	raw_done(&r);
	cr_assert_eq(decode(&m, &r, 0), EBADMSG);
}

Test(decode, mi256_lengths)
{
	struct stun_msg m;
	struct raw r;
	uint16_t len;

	/* §14.6: 16 to 32 bytes, a multiple of 4. */
	for (len = 0; len <= 40; len++) {
		bool ok = len >= 16 && len <= 32 && len % 4 == 0;

		raw_init(&r, 0x0001);
		raw_attr(&r, STUN_ATTR_MESSAGE_INTEGRITY_SHA256, len, 0);
		raw_done(&r);
		cr_assert_eq(decode(&m, &r, 0), ok ? 0 : EBADMSG, "len %u",
			     len);
	}
}

Test(decode, fp_wrong_length)
{
	struct stun_msg m;
	struct raw r;

	raw_init(&r, 0x0001);
	raw_attr(&r, STUN_ATTR_FINGERPRINT, 8, 0);
	raw_done(&r);
	cr_assert_eq(decode(&m, &r, 0), EBADMSG);
}

Test(decode, fp_verified)
{
	struct stun_msg m;
	struct raw r;

	raw_init(&r, 0x0001);
	raw_attr(&r, STUN_ATTR_SOFTWARE, 3, 's');
	raw_fp(&r);
	cr_assert_eq(decode(&m, &r, 0), 0);
	cr_assert_eq(m.fp, 1);
}

Test(decode, fp_mismatch)
{
	struct stun_msg m;
	struct raw r;

	raw_init(&r, 0x0001);
	raw_attr(&r, STUN_ATTR_SOFTWARE, 3, 's');
	raw_fp(&r);
	r.b[r.n - 1] ^= 1;
	cr_assert_eq(decode(&m, &r, 0), EBADMSG);
}

Test(decode, fp_covers_header)
{
	struct stun_msg m;
	struct raw r;

	/* A changed transaction id breaks the CRC too. */
	raw_init(&r, 0x0001);
	raw_fp(&r);
	r.b[19] ^= 1;
	cr_assert_eq(decode(&m, &r, 0), EBADMSG);
}

Test(decode, fp_not_last)
{
	struct stun_msg m;
	struct raw r;

	/* §14.7: FINGERPRINT is the last attribute. */
	raw_init(&r, 0x0001);
	raw_fp(&r);
	raw_attr(&r, STUN_ATTR_SOFTWARE, 4, 's');
	raw_done(&r);
	cr_assert_eq(decode(&m, &r, 0), EBADMSG);
}

Test(decode, fp_not_last_even_after_mi)
{
	struct stun_msg m;
	struct raw r;

	/* The ignore-after-MI rule does not excuse an attribute after
	 * FINGERPRINT. */
	raw_init(&r, 0x0001);
	raw_attr(&r, STUN_ATTR_MESSAGE_INTEGRITY, 20, 0);
	raw_fp(&r);
	raw_attr(&r, STUN_ATTR_SOFTWARE, 4, 's');
	raw_done(&r);
	cr_assert_eq(decode(&m, &r, 0), EBADMSG);
}

Test(decode, two_fingerprints)
{
	struct stun_msg m;
	struct raw r;

	raw_init(&r, 0x0001);
	raw_fp(&r);
	raw_fp(&r);
	cr_assert_eq(decode(&m, &r, 0), EBADMSG);
}

/* ---- is_stun ---------------------------------------------------------- */

Test(decode, is_stun)
{
	struct raw r;

	raw_init(&r, 0x0001);
	raw_done(&r);
	cr_assert(stun_msg_is_stun(r.b, r.n));
	cr_assert_not(stun_msg_is_stun(r.b, 19));
	cr_assert_not(stun_msg_is_stun(NULL, 20));
	r.b[0] = 0x40;
	cr_assert_not(stun_msg_is_stun(r.b, r.n));
	r.b[0] = 0;
	r.b[3] = 2;
	cr_assert_not(stun_msg_is_stun(r.b, r.n));
	r.b[3] = 0;
	r.b[7] ^= 1;
	cr_assert_not(stun_msg_is_stun(r.b, r.n));
}

/* ---- message type (§5) ------------------------------------------------ */

Test(decode, type_known_values)
{
	cr_assert_eq(stun_type(STUN_METHOD_BINDING, STUN_CLASS_REQUEST),
		     0x0001);
	cr_assert_eq(stun_type(STUN_METHOD_BINDING, STUN_CLASS_INDICATION),
		     0x0011);
	cr_assert_eq(stun_type(STUN_METHOD_BINDING, STUN_CLASS_SUCCESS),
		     0x0101);
	cr_assert_eq(stun_type(STUN_METHOD_BINDING, STUN_CLASS_ERROR), 0x0111);
	cr_assert_eq(stun_type(STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST),
		     0x0003);
	cr_assert_eq(stun_type(STUN_METHOD_ALLOCATE, STUN_CLASS_ERROR), 0x0113);
	cr_assert_eq(stun_type(STUN_METHOD_SEND, STUN_CLASS_INDICATION),
		     0x0016);
	cr_assert_eq(stun_type(STUN_METHOD_DATA, STUN_CLASS_INDICATION),
		     0x0017);
	cr_assert_eq(stun_type(STUN_METHOD_CHANNEL_BIND, STUN_CLASS_SUCCESS),
		     0x0109);
	cr_assert_eq(stun_type(0xfff, STUN_CLASS_ERROR), 0x3fff);
}

Test(decode, type_round_trip)
{
	unsigned m, c;

	for (m = 0; m <= 0xfff; m++) {
		for (c = 0; c < 4; c++) {
			uint16_t t = stun_type((uint16_t)m, (enum stun_class)c);

			cr_assert_eq(t & 0xc000, 0);
			cr_assert_eq(stun_type_method(t), m);
			cr_assert_eq(stun_type_class(t), (enum stun_class)c);
		}
	}
}
