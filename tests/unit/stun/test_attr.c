/*
 * test_attr.c — the typed readers, one test per malformed case, read from
 * hand-made attribute values; and the reason phrases and names.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <string.h>

#include "stun/stun.h"

/* An attribute over the given bytes; readers look at type, len and val. */
static struct stun_attr attr(uint16_t type, const void *val, size_t len)
{
	struct stun_attr a = { type, (uint16_t)len, 20, val };

	return a;
}

static struct stun_msg msg_with_tid(void)
{
	struct stun_msg m;
	int i;

	memset(&m, 0, sizeof(m));
	m.cookie = STUN_MAGIC_COOKIE;
	for (i = 0; i < STUN_TID_SIZE; i++)
		m.tid[i] = (uint8_t)(0xb0 + i);
	return m;
}

/* ---- MAPPED-ADDRESS family (§14.1) and XOR (§14.2) --------------------- */

Test(attr, addr_v4)
{
	static const uint8_t v[] = { 0x77, 0x01, 0x0d, 0x96, 192, 0, 2, 1 };
	struct stun_attr a = attr(STUN_ATTR_MAPPED_ADDRESS, v, sizeof(v));
	struct sa out, want;

	/* The first byte is ignored by receivers. */
	cr_assert_eq(stun_attr_addr(&a, &out), 0);
	cr_assert_eq(sa_set_str(&want, "192.0.2.1", 3478), 0);
	cr_assert(sa_equal(&out, &want));
}

Test(attr, addr_v6)
{
	uint8_t v[20] = { 0, 0x02, 0x14, 0xe5 };
	struct stun_attr a;
	struct sa out, want;

	v[4] = 0x20;
	v[5] = 0x01;
	v[6] = 0x0d;
	v[7] = 0xb8;
	v[19] = 0x01;
	a = attr(STUN_ATTR_OTHER_ADDRESS, v, sizeof(v));
	cr_assert_eq(stun_attr_addr(&a, &out), 0);
	cr_assert_eq(sa_set_str(&want, "2001:db8::1", 5349), 0);
	cr_assert(sa_equal(&out, &want));
}

Test(attr, addr_too_short)
{
	static const uint8_t v[] = { 0, 0x01, 0x0d, 0x96, 192, 0, 2, 1 };
	struct stun_attr a;
	struct sa out;
	size_t n;

	for (n = 0; n < sizeof(v); n++) {
		a = attr(STUN_ATTR_MAPPED_ADDRESS, v, n);
		cr_assert_eq(stun_attr_addr(&a, &out), EBADMSG, "len %zu", n);
	}
}

Test(attr, addr_bad_family)
{
	static const uint8_t v[] = { 0, 0x03, 0x0d, 0x96, 192, 0, 2, 1 };
	struct stun_attr a = attr(STUN_ATTR_MAPPED_ADDRESS, v, sizeof(v));
	struct sa out;

	cr_assert_eq(stun_attr_addr(&a, &out), EBADMSG);
}

Test(attr, addr_length_family_mismatch)
{
	uint8_t v[20] = { 0, 0x01, 0x0d, 0x96 };
	struct stun_attr a;
	struct sa out;

	/* IPv4 with 16 address bytes, IPv6 with 4, IPv4 with 5. */
	a = attr(STUN_ATTR_MAPPED_ADDRESS, v, 20);
	cr_assert_eq(stun_attr_addr(&a, &out), EBADMSG);
	v[1] = 0x02;
	a = attr(STUN_ATTR_MAPPED_ADDRESS, v, 8);
	cr_assert_eq(stun_attr_addr(&a, &out), EBADMSG);
	v[1] = 0x01;
	a = attr(STUN_ATTR_MAPPED_ADDRESS, v, 9);
	cr_assert_eq(stun_attr_addr(&a, &out), EBADMSG);
}

Test(attr, xaddr_v6_uses_tid)
{
	struct stun_msg m = msg_with_tid();
	uint8_t v[20] = { 0, 0x02 };
	struct stun_attr a;
	struct sa out, want;
	int i;

	/* Port 0 and address :: come out as the XOR pad itself. */
	v[2] = 0x21;
	v[3] = 0x12;
	v[4] = 0x21;
	v[5] = 0x12;
	v[6] = 0xa4;
	v[7] = 0x42;
	for (i = 0; i < 12; i++)
		v[8 + i] = m.tid[i];
	a = attr(STUN_ATTR_XOR_RELAYED_ADDRESS, v, sizeof(v));
	cr_assert_eq(stun_attr_xaddr(&a, &m, &out), 0);
	cr_assert_eq(sa_set_str(&want, "::", 0), 0);
	cr_assert(sa_equal(&out, &want));
}

Test(attr, xaddr_malformed)
{
	struct stun_msg m = msg_with_tid();
	uint8_t v[20] = { 0, 0x02 };
	struct stun_attr a = attr(STUN_ATTR_XOR_PEER_ADDRESS, v, 8);
	struct sa out;

	cr_assert_eq(stun_attr_xaddr(&a, &m, &out), EBADMSG);
	v[1] = 0x00;
	a = attr(STUN_ATTR_XOR_PEER_ADDRESS, v, 8);
	cr_assert_eq(stun_attr_xaddr(&a, &m, &out), EBADMSG);
	a = attr(STUN_ATTR_XOR_PEER_ADDRESS, v, 3);
	cr_assert_eq(stun_attr_xaddr(&a, &m, &out), EBADMSG);
	cr_assert_eq(stun_attr_xaddr(&a, NULL, &out), EINVAL);
	cr_assert_eq(stun_attr_xaddr(NULL, &m, &out), EINVAL);
}

/* ---- ERROR-CODE (§14.8) ----------------------------------------------- */

Test(attr, errcode_ok)
{
	static const uint8_t v[] = { 0, 0, 4, 20, 'U', 'n', 'k' };
	struct stun_attr a = attr(STUN_ATTR_ERROR_CODE, v, sizeof(v));
	const char *r;
	uint16_t code;
	size_t n;

	cr_assert_eq(stun_attr_errcode(&a, &code, &r, &n), 0);
	cr_assert_eq(code, 420);
	cr_assert_eq(n, 3);
	cr_assert_eq(r, (const char *)v + 4);
	/* Reserved bits are ignored; NULL outputs are allowed. */
	{
		static const uint8_t w[] = { 0xff, 0xff, 0xfb, 0 };
		struct stun_attr b = attr(STUN_ATTR_ERROR_CODE, w, sizeof(w));

		cr_assert_eq(stun_attr_errcode(&b, &code, NULL, NULL), 0);
		cr_assert_eq(code, 300);
	}
}

Test(attr, errcode_too_short)
{
	static const uint8_t v[] = { 0, 0, 4, 0 };
	struct stun_attr a = attr(STUN_ATTR_ERROR_CODE, v, 3);
	uint16_t code;

	cr_assert_eq(stun_attr_errcode(&a, &code, NULL, NULL), EBADMSG);
}

Test(attr, errcode_class_out_of_range)
{
	uint8_t v[] = { 0, 0, 2, 0 };
	struct stun_attr a = attr(STUN_ATTR_ERROR_CODE, v, sizeof(v));
	uint16_t code;

	/* §14.8: the class is 3 to 6. */
	cr_assert_eq(stun_attr_errcode(&a, &code, NULL, NULL), EBADMSG);
	v[2] = 7;
	cr_assert_eq(stun_attr_errcode(&a, &code, NULL, NULL), EBADMSG);
	v[2] = 6;
	v[3] = 99;
	cr_assert_eq(stun_attr_errcode(&a, &code, NULL, NULL), 0);
	cr_assert_eq(code, 699);
}

Test(attr, errcode_number_out_of_range)
{
	static const uint8_t v[] = { 0, 0, 4, 100 };
	struct stun_attr a = attr(STUN_ATTR_ERROR_CODE, v, sizeof(v));
	uint16_t code;

	/* §14.8: the number is 0 to 99. */
	cr_assert_eq(stun_attr_errcode(&a, &code, NULL, NULL), EBADMSG);
}

Test(attr, errcode_reason_too_long)
{
	static uint8_t v[4 + 764];
	struct stun_attr a;
	uint16_t code;

	v[2] = 4;
	/* 763 bytes is the most a receiver must take. */
	a = attr(STUN_ATTR_ERROR_CODE, v, 4 + 763);
	cr_assert_eq(stun_attr_errcode(&a, &code, NULL, NULL), 0);
	a = attr(STUN_ATTR_ERROR_CODE, v, 4 + 764);
	cr_assert_eq(stun_attr_errcode(&a, &code, NULL, NULL), EBADMSG);
}

/* ---- ADDRESS-ERROR-CODE (RFC 8656 §18.12) ------------------------------- */

Test(attr, addr_errcode_ok)
{
	static const uint8_t v[] = { 0x01, 0, 5, 8, 'x' };
	struct stun_attr a = attr(STUN_ATTR_ADDRESS_ERROR_CODE, v, sizeof(v));
	const char *r;
	uint16_t code;
	size_t n;
	int fam;

	cr_assert_eq(stun_attr_addr_errcode(&a, &fam, &code, &r, &n), 0);
	cr_assert_eq(fam, AF_INET);
	cr_assert_eq(code, 508);
	cr_assert_eq(n, 1);
}

Test(attr, addr_errcode_malformed)
{
	uint8_t v[] = { 0x03, 0, 4, 40 };
	struct stun_attr a = attr(STUN_ATTR_ADDRESS_ERROR_CODE, v, sizeof(v));
	uint16_t code;
	int fam;

	cr_assert_eq(stun_attr_addr_errcode(&a, &fam, &code, NULL, NULL),
		     EBADMSG);
	v[0] = 0x02;
	v[2] = 1;
	cr_assert_eq(stun_attr_addr_errcode(&a, &fam, &code, NULL, NULL),
		     EBADMSG);
	v[2] = 4;
	a = attr(STUN_ATTR_ADDRESS_ERROR_CODE, v, 3);
	cr_assert_eq(stun_attr_addr_errcode(&a, &fam, &code, NULL, NULL),
		     EBADMSG);
}

/* ---- UNKNOWN-ATTRIBUTES (§14.13) ------------------------------------------
 */

Test(attr, unknown_ok_and_truncated_to_max)
{
	static const uint8_t v[] = { 0, 0x31, 0x7f, 0xff, 0, 0x40 };
	struct stun_attr a = attr(STUN_ATTR_UNKNOWN_ATTRIBUTES, v, sizeof(v));
	uint16_t out[3];
	size_t n;

	cr_assert_eq(stun_attr_unknown(&a, out, 3, &n), 0);
	cr_assert_eq(n, 3);
	cr_assert_eq(out[0], 0x0031);
	cr_assert_eq(out[1], 0x7fff);
	cr_assert_eq(out[2], 0x0040);
	cr_assert_eq(stun_attr_unknown(&a, out, 2, &n), 0);
	cr_assert_eq(n, 2);
	cr_assert_eq(stun_attr_unknown(&a, NULL, 0, &n), 0);
	cr_assert_eq(n, 0);
}

Test(attr, unknown_odd_length)
{
	static const uint8_t v[] = { 0, 0x31, 0x7f };
	struct stun_attr a = attr(STUN_ATTR_UNKNOWN_ATTRIBUTES, v, sizeof(v));
	uint16_t out[4];
	size_t n;

	cr_assert_eq(stun_attr_unknown(&a, out, 4, &n), EBADMSG);
}

/* ---- text ------------------------------------------------------------- */

Test(attr, text_limits)
{
	static uint8_t v[800];
	static const uint16_t types[] = { STUN_ATTR_USERNAME, STUN_ATTR_REALM,
					  STUN_ATTR_NONCE, STUN_ATTR_SOFTWARE };
	struct stun_attr a;
	const char *s;
	size_t i, n;

	/* §14.3 and friends: a receiver takes up to 763 bytes. */
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		a = attr(types[i], v, 763);
		cr_assert_eq(stun_attr_text(&a, &s, &n), 0);
		cr_assert_eq(n, 763);
		a = attr(types[i], v, 764);
		cr_assert_eq(stun_attr_text(&a, &s, &n), EBADMSG);
	}
	a = attr(STUN_ATTR_USERNAME, v, 0);
	cr_assert_eq(stun_attr_text(&a, &s, &n), 0);
	cr_assert_eq(n, 0);
}

Test(attr, alternate_domain_limit)
{
	static uint8_t v[300];
	struct stun_attr a;
	const char *s;
	size_t n;

	/* §14.16: 255 characters or fewer. */
	a = attr(STUN_ATTR_ALTERNATE_DOMAIN, v, 255);
	cr_assert_eq(stun_attr_text(&a, &s, &n), 0);
	a = attr(STUN_ATTR_ALTERNATE_DOMAIN, v, 256);
	cr_assert_eq(stun_attr_text(&a, &s, &n), EBADMSG);
}

/* ---- fixed 4-byte values ----------------------------------------------- */

Test(attr, u32_lengths)
{
	static const uint8_t v[8] = { 0, 0, 0x02, 0x58 };
	struct stun_attr a;
	uint32_t x;

	a = attr(STUN_ATTR_LIFETIME, v, 4);
	cr_assert_eq(stun_attr_u32(&a, &x), 0);
	cr_assert_eq(x, 600);
	a = attr(STUN_ATTR_LIFETIME, v, 3);
	cr_assert_eq(stun_attr_u32(&a, &x), EBADMSG);
	a = attr(STUN_ATTR_LIFETIME, v, 5);
	cr_assert_eq(stun_attr_u32(&a, &x), EBADMSG);
	cr_assert_eq(stun_attr_u32(NULL, &x), EINVAL);
}

Test(attr, change_request)
{
	static const uint8_t v[8] = { 0xff, 0xff, 0xff, 0xff };
	struct stun_attr a;
	uint32_t f;

	/* RFC 5780 §7.2: only A and B mean something. */
	a = attr(STUN_ATTR_CHANGE_REQUEST, v, 4);
	cr_assert_eq(stun_attr_change_request(&a, &f), 0);
	cr_assert_eq(f, STUN_CHANGE_IP | STUN_CHANGE_PORT);
	a = attr(STUN_ATTR_CHANGE_REQUEST, v, 8);
	cr_assert_eq(stun_attr_change_request(&a, &f), EBADMSG);
}

Test(attr, response_port)
{
	static const uint8_t v[8] = { 0x9c, 0x40, 0xaa, 0xbb };
	struct stun_attr a;
	uint16_t p;

	a = attr(STUN_ATTR_RESPONSE_PORT, v, 4);
	cr_assert_eq(stun_attr_response_port(&a, &p), 0);
	cr_assert_eq(p, 40000);
	a = attr(STUN_ATTR_RESPONSE_PORT, v, 2);
	cr_assert_eq(stun_attr_response_port(&a, &p), EBADMSG);
}

Test(attr, channel)
{
	static const uint8_t v[8] = { 0x40, 0x00, 0xff, 0xff };
	struct stun_attr a;
	uint16_t ch;

	/* RFC 8656 §18.1: RFFU is ignored on reception. */
	a = attr(STUN_ATTR_CHANNEL_NUMBER, v, 4);
	cr_assert_eq(stun_attr_channel(&a, &ch), 0);
	cr_assert_eq(ch, 0x4000);
	a = attr(STUN_ATTR_CHANNEL_NUMBER, v, 2);
	cr_assert_eq(stun_attr_channel(&a, &ch), EBADMSG);
}

Test(attr, transport)
{
	static const uint8_t v[8] = { 6, 1, 2, 3 };
	struct stun_attr a;
	uint8_t p;

	a = attr(STUN_ATTR_REQUESTED_TRANSPORT, v, 4);
	cr_assert_eq(stun_attr_transport(&a, &p), 0);
	cr_assert_eq(p, 6);
	a = attr(STUN_ATTR_REQUESTED_TRANSPORT, v, 1);
	cr_assert_eq(stun_attr_transport(&a, &p), EBADMSG);
}

Test(attr, family)
{
	uint8_t v[8] = { 0x01 };
	struct stun_attr a = attr(STUN_ATTR_REQUESTED_ADDRESS_FAMILY, v, 4);
	int f;

	cr_assert_eq(stun_attr_family(&a, &f), 0);
	cr_assert_eq(f, AF_INET);
	v[0] = 0x02;
	cr_assert_eq(stun_attr_family(&a, &f), 0);
	cr_assert_eq(f, AF_INET6);
	/* Well-formed but unsupported: TURN answers 440, not 400. */
	v[0] = 0x03;
	cr_assert_eq(stun_attr_family(&a, &f), EAFNOSUPPORT);
	a = attr(STUN_ATTR_REQUESTED_ADDRESS_FAMILY, v, 1);
	cr_assert_eq(stun_attr_family(&a, &f), EBADMSG);
}

Test(attr, even_port)
{
	static const uint8_t v[4] = { 0x80 };
	struct stun_attr a;
	bool r;

	a = attr(STUN_ATTR_EVEN_PORT, v, 1);
	cr_assert_eq(stun_attr_even_port(&a, &r), 0);
	cr_assert(r);
	/* RFC 8656 §18.7: one byte. */
	a = attr(STUN_ATTR_EVEN_PORT, v, 0);
	cr_assert_eq(stun_attr_even_port(&a, &r), EBADMSG);
	a = attr(STUN_ATTR_EVEN_PORT, v, 4);
	cr_assert_eq(stun_attr_even_port(&a, &r), EBADMSG);
}

/* ---- PASSWORD-ALGORITHM(S) (§14.11, §14.12) -------------------------------
 */

Test(attr, pwalg)
{
	uint8_t v[12] = { 0, 0x01, 0, 0 };
	struct stun_attr a = attr(STUN_ATTR_PASSWORD_ALGORITHM, v, 4);
	uint16_t alg;

	cr_assert_eq(stun_attr_pwalg(&a, &alg), 0);
	cr_assert_eq(alg, STUN_PWALG_MD5);
	a = attr(STUN_ATTR_PASSWORD_ALGORITHM, v, 3);
	cr_assert_eq(stun_attr_pwalg(&a, &alg), EBADMSG);
}

Test(attr, pwalg_params_past_end)
{
	uint8_t v[8] = { 0, 0x07, 0, 5, 1, 2, 3, 4 };
	struct stun_attr a = attr(STUN_ATTR_PASSWORD_ALGORITHM, v, 8);
	uint16_t alg;

	cr_assert_eq(stun_attr_pwalg(&a, &alg), EBADMSG);
	v[3] = 4;
	cr_assert_eq(stun_attr_pwalg(&a, &alg), 0);
	cr_assert_eq(alg, 7);
}

Test(attr, pwalg_md5_sha256_take_no_params)
{
	uint8_t v[8] = { 0, 0x02, 0, 4, 1, 2, 3, 4 };
	struct stun_attr a = attr(STUN_ATTR_PASSWORD_ALGORITHM, v, 8);
	uint16_t alg;

	/* §18.5.1: the parameters are empty for both. */
	cr_assert_eq(stun_attr_pwalg(&a, &alg), EBADMSG);
	v[1] = 0x01;
	cr_assert_eq(stun_attr_pwalg(&a, &alg), EBADMSG);
}

Test(attr, pwalgs_list)
{
	/* SHA-256, an unknown one with 1 parameter byte (padded), MD5. */
	static const uint8_t v[] = { 0,	   2, 0, 0, 0, 9, 0, 1,
				     0xaa, 0, 0, 0, 0, 1, 0, 0 };
	struct stun_attr a = attr(STUN_ATTR_PASSWORD_ALGORITHMS, v, sizeof(v));
	uint16_t out[4];
	size_t n;

	cr_assert_eq(stun_attr_pwalgs(&a, out, 4, &n), 0);
	cr_assert_eq(n, 3);
	cr_assert_eq(out[0], 2);
	cr_assert_eq(out[1], 9);
	cr_assert_eq(out[2], 1);
	cr_assert_eq(stun_attr_pwalgs(&a, out, 1, &n), 0);
	cr_assert_eq(n, 1);
}

Test(attr, pwalgs_last_entry_padding_outside)
{
	/* The last entry's padding is the attribute's own. */
	static const uint8_t v[] = { 0, 9, 0, 1, 0xaa };
	struct stun_attr a = attr(STUN_ATTR_PASSWORD_ALGORITHMS, v, sizeof(v));
	uint16_t out[4];
	size_t n;

	cr_assert_eq(stun_attr_pwalgs(&a, out, 4, &n), 0);
	cr_assert_eq(n, 1);
}

Test(attr, pwalgs_truncated)
{
	static const uint8_t v[] = { 0, 2, 0, 0, 0, 9, 0, 8, 1, 2 };
	struct stun_attr a;
	uint16_t out[4];
	size_t n;

	/* A parameter length past the end, then a half entry. */
	a = attr(STUN_ATTR_PASSWORD_ALGORITHMS, v, sizeof(v));
	cr_assert_eq(stun_attr_pwalgs(&a, out, 4, &n), EBADMSG);
	a = attr(STUN_ATTR_PASSWORD_ALGORITHMS, v, 6);
	cr_assert_eq(stun_attr_pwalgs(&a, out, 4, &n), EBADMSG);
}

Test(attr, pwalgs_md5_with_params)
{
	static const uint8_t v[] = { 0, 1, 0, 4, 1, 2, 3, 4 };
	struct stun_attr a = attr(STUN_ATTR_PASSWORD_ALGORITHMS, v, sizeof(v));
	uint16_t out[4];
	size_t n;

	cr_assert_eq(stun_attr_pwalgs(&a, out, 4, &n), EBADMSG);
}

/* ---- fixed-size values -------------------------------------------------- */

Test(attr, userhash)
{
	static const uint8_t v[33];
	struct stun_attr a;
	const uint8_t *p;

	a = attr(STUN_ATTR_USERHASH, v, 32);
	cr_assert_eq(stun_attr_userhash(&a, &p), 0);
	cr_assert_eq(p, v);
	a = attr(STUN_ATTR_USERHASH, v, 31);
	cr_assert_eq(stun_attr_userhash(&a, &p), EBADMSG);
	a = attr(STUN_ATTR_USERHASH, v, 33);
	cr_assert_eq(stun_attr_userhash(&a, &p), EBADMSG);
}

Test(attr, token)
{
	static const uint8_t v[12];
	struct stun_attr a;
	const uint8_t *p;

	a = attr(STUN_ATTR_RESERVATION_TOKEN, v, 8);
	cr_assert_eq(stun_attr_token(&a, &p), 0);
	a = attr(STUN_ATTR_RESERVATION_TOKEN, v, 4);
	cr_assert_eq(stun_attr_token(&a, &p), EBADMSG);
	a = attr(STUN_ATTR_RESERVATION_TOKEN, v, 12);
	cr_assert_eq(stun_attr_token(&a, &p), EBADMSG);
}

Test(attr, icmp)
{
	static const uint8_t v[12] = { 0xff, 0xff, 2, 0, 0, 0, 0x05, 0x00 };
	struct stun_attr a;
	uint8_t type, code;
	uint32_t data;

	a = attr(STUN_ATTR_ICMP, v, 8);
	cr_assert_eq(stun_attr_icmp(&a, &type, &code, &data), 0);
	cr_assert_eq(type, 2);
	cr_assert_eq(code, 0);
	cr_assert_eq(data, 1280);
	a = attr(STUN_ATTR_ICMP, v, 4);
	cr_assert_eq(stun_attr_icmp(&a, &type, &code, &data), EBADMSG);
}

Test(attr, null_arguments)
{
	static const uint8_t v[32];
	struct stun_attr a = attr(STUN_ATTR_LIFETIME, v, 4);
	struct stun_msg m = msg_with_tid();
	const uint8_t *p;
	const char *s;
	struct sa sa;
	uint32_t u32;
	uint16_t u16;
	uint8_t u8;
	size_t n;
	bool b;
	int f;

	cr_assert_eq(stun_attr_addr(NULL, &sa), EINVAL);
	cr_assert_eq(stun_attr_addr(&a, NULL), EINVAL);
	cr_assert_eq(stun_attr_xaddr(&a, &m, NULL), EINVAL);
	cr_assert_eq(stun_attr_errcode(NULL, &u16, &s, &n), EINVAL);
	cr_assert_eq(stun_attr_addr_errcode(NULL, &f, &u16, &s, &n), EINVAL);
	cr_assert_eq(stun_attr_unknown(NULL, &u16, 1, &n), EINVAL);
	cr_assert_eq(stun_attr_unknown(&a, NULL, 1, &n), EINVAL);
	cr_assert_eq(stun_attr_text(NULL, &s, &n), EINVAL);
	cr_assert_eq(stun_attr_u32(&a, NULL), EINVAL);
	cr_assert_eq(stun_attr_change_request(&a, NULL), EINVAL);
	cr_assert_eq(stun_attr_response_port(NULL, &u16), EINVAL);
	cr_assert_eq(stun_attr_channel(&a, NULL), EINVAL);
	cr_assert_eq(stun_attr_transport(NULL, &u8), EINVAL);
	cr_assert_eq(stun_attr_family(NULL, &f), EINVAL);
	cr_assert_eq(stun_attr_even_port(NULL, &b), EINVAL);
	cr_assert_eq(stun_attr_pwalg(NULL, &u16), EINVAL);
	cr_assert_eq(stun_attr_pwalgs(NULL, &u16, 1, &n), EINVAL);
	cr_assert_eq(stun_attr_pwalgs(&a, NULL, 1, &n), EINVAL);
	cr_assert_eq(stun_attr_userhash(NULL, &p), EINVAL);
	cr_assert_eq(stun_attr_token(&a, NULL), EINVAL);
	cr_assert_eq(stun_attr_icmp(NULL, &u8, &u8, &u32), EINVAL);
}

/* ---- names ------------------------------------------------------------- */

Test(attr, reasons)
{
	static const struct {
		uint16_t code;
		const char *reason;
	} want[] = {
		{ 300, "Try Alternate" },
		{ 400, "Bad Request" },
		{ 401, "Unauthenticated" },
		{ 403, "Forbidden" },
		{ 405, "Mobility Forbidden" },
		{ 420, "Unknown Attribute" },
		{ 437, "Allocation Mismatch" },
		{ 438, "Stale Nonce" },
		{ 440, "Address Family not Supported" },
		{ 441, "Wrong Credentials" },
		{ 442, "Unsupported Transport Protocol" },
		{ 443, "Peer Address Family Mismatch" },
		{ 446, "Connection Already Exists" },
		{ 447, "Connection Timeout or Failure" },
		{ 486, "Allocation Quota Reached" },
		{ 487, "Role Conflict" },
		{ 500, "Server Error" },
		{ 508, "Insufficient Capacity" },
		{ 599, "Error" },
		{ 0, "Error" },
	};
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_assert_str_eq(stun_reason(want[i].code), want[i].reason);
}

Test(attr, method_names)
{
	cr_assert_str_eq(stun_method_name(STUN_METHOD_BINDING), "Binding");
	cr_assert_str_eq(stun_method_name(STUN_METHOD_ALLOCATE), "Allocate");
	cr_assert_str_eq(stun_method_name(STUN_METHOD_REFRESH), "Refresh");
	cr_assert_str_eq(stun_method_name(STUN_METHOD_SEND), "Send");
	cr_assert_str_eq(stun_method_name(STUN_METHOD_DATA), "Data");
	cr_assert_str_eq(stun_method_name(STUN_METHOD_CREATE_PERMISSION),
			 "CreatePermission");
	cr_assert_str_eq(stun_method_name(STUN_METHOD_CHANNEL_BIND),
			 "ChannelBind");
	cr_assert_str_eq(stun_method_name(STUN_METHOD_CONNECT), "Connect");
	cr_assert_str_eq(stun_method_name(STUN_METHOD_CONNECTION_BIND),
			 "ConnectionBind");
	cr_assert_str_eq(stun_method_name(STUN_METHOD_CONNECTION_ATTEMPT),
			 "ConnectionAttempt");
	cr_assert_null(stun_method_name(0x002));
	cr_assert_null(stun_method_name(0xfff));
}

Test(attr, attr_names)
{
	unsigned t, named = 0;

	cr_assert_str_eq(stun_attr_name(STUN_ATTR_XOR_MAPPED_ADDRESS),
			 "XOR-MAPPED-ADDRESS");
	cr_assert_str_eq(stun_attr_name(STUN_ATTR_MESSAGE_INTEGRITY_SHA256),
			 "MESSAGE-INTEGRITY-SHA256");
	cr_assert_str_eq(stun_attr_name(STUN_ATTR_ICMP), "ICMP");
	cr_assert_null(stun_attr_name(0x0000));
	cr_assert_null(stun_attr_name(0x7fff));
	/* Every constant in enum stun_attr_type has a name: 42 of them. */
	for (t = 0; t <= 0xffff; t++)
		named += stun_attr_name((uint16_t)t) != NULL;
	cr_assert_eq(named, 42);
}
