/*
 * test_rfc5769.c — the RFC 5769 test vectors (§2.1-§2.4) and RFC 8489
 * Appendix B.1, typed in with the RFCs' own comments: decode, FINGERPRINT,
 * MESSAGE-INTEGRITY(-SHA256) with the right and a wrong key, the mapped
 * addresses, and re-encoding.
 *
 * On re-encoding: the RFC 5769 vectors pad SOFTWARE and USERNAME with
 * spaces (0x20), while RFC 8489 §14 has senders pad with zeros, so our
 * encoder cannot reproduce §2.1-§2.3 as they stand. For those, the tests
 * check that our output differs from the vector only in the padding bytes
 * and the MACs computed over them, and then, with the vector's padding
 * bytes written into our buffer before the MACs are computed, that the
 * whole message matches byte for byte. §2.4 and B.1 pad with zeros and
 * are reproduced exactly as they are.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

#include "stun/stun.h"

/* RFC 5769 §2.1 Sample Request
 *   Software name:  "STUN test client" (without quotes)
 *   Username:  "evtj:h6vY" (without quotes)
 *   Password:  "VOkJxbRl1RmTxUk/WvJxBt" (without quotes) */
/* clang-format off */
static const uint8_t req21[] = {
	0x00, 0x01, 0x00, 0x58, /*    Request type and message length */
	0x21, 0x12, 0xa4, 0x42, /*    Magic cookie */
	0xb7, 0xe7, 0xa7, 0x01, /* } */
	0xbc, 0x34, 0xd6, 0x86, /* }  Transaction ID */
	0xfa, 0x87, 0xdf, 0xae, /* } */
	0x80, 0x22, 0x00, 0x10, /*    SOFTWARE attribute header */
	0x53, 0x54, 0x55, 0x4e, /* } */
	0x20, 0x74, 0x65, 0x73, /* }  User agent... */
	0x74, 0x20, 0x63, 0x6c, /* }  ...name */
	0x69, 0x65, 0x6e, 0x74, /* } */
	0x00, 0x24, 0x00, 0x04, /*    PRIORITY attribute header */
	0x6e, 0x00, 0x01, 0xff, /*    ICE priority value */
	0x80, 0x29, 0x00, 0x08, /*    ICE-CONTROLLED attribute header */
	0x93, 0x2f, 0xf9, 0xb1, /* }  Pseudo-random tie breaker... */
	0x51, 0x26, 0x3b, 0x36, /* }   ...for ICE control */
	0x00, 0x06, 0x00, 0x09, /*    USERNAME attribute header */
	0x65, 0x76, 0x74, 0x6a, /* } */
	0x3a, 0x68, 0x36, 0x76, /* }  Username (9 bytes) and padding
				      (3 bytes) */
	0x59, 0x20, 0x20, 0x20, /* } */
	0x00, 0x08, 0x00, 0x14, /*    MESSAGE-INTEGRITY attribute header */
	0x9a, 0xea, 0xa7, 0x0c, /* } */
	0xbf, 0xd8, 0xcb, 0x56, /* } */
	0x78, 0x1e, 0xf2, 0xb5, /* }  HMAC-SHA1 fingerprint */
	0xb2, 0xd3, 0xf2, 0x49, /* } */
	0xc1, 0xb5, 0x71, 0xa2, /* } */
	0x80, 0x28, 0x00, 0x04, /*    FINGERPRINT attribute header */
	0xe5, 0x7a, 0x3b, 0xcf, /*    CRC32 fingerprint */
};
/* clang-format on */

/* RFC 5769 §2.2 Sample IPv4 Response
 *   Password:  "VOkJxbRl1RmTxUk/WvJxBt" (without quotes)
 *   Software name:  "test vector" (without quotes)
 *   Mapped address:  192.0.2.1 port 32853 */
/* clang-format off */
static const uint8_t resp22[] = {
	0x01, 0x01, 0x00, 0x3c, /*    Response type and message length */
	0x21, 0x12, 0xa4, 0x42, /*    Magic cookie */
	0xb7, 0xe7, 0xa7, 0x01, /* } */
	0xbc, 0x34, 0xd6, 0x86, /* }  Transaction ID */
	0xfa, 0x87, 0xdf, 0xae, /* } */
	0x80, 0x22, 0x00, 0x0b, /*    SOFTWARE attribute header */
	0x74, 0x65, 0x73, 0x74, /* } */
	0x20, 0x76, 0x65, 0x63, /* }  UTF-8 server name */
	0x74, 0x6f, 0x72, 0x20, /* } */
	0x00, 0x20, 0x00, 0x08, /*    XOR-MAPPED-ADDRESS attribute header */
	0x00, 0x01, 0xa1, 0x47, /*    Address family (IPv4) and xor'd mapped
				   port number */
	0xe1, 0x12, 0xa6, 0x43, /*    Xor'd mapped IPv4 address */
	0x00, 0x08, 0x00, 0x14, /*    MESSAGE-INTEGRITY attribute header */
	0x2b, 0x91, 0xf5, 0x99, /* } */
	0xfd, 0x9e, 0x90, 0xc3, /* } */
	0x8c, 0x74, 0x89, 0xf9, /* }  HMAC-SHA1 fingerprint */
	0x2a, 0xf9, 0xba, 0x53, /* } */
	0xf0, 0x6b, 0xe7, 0xd7, /* } */
	0x80, 0x28, 0x00, 0x04, /*    FINGERPRINT attribute header */
	0xc0, 0x7d, 0x4c, 0x96, /*    CRC32 fingerprint */
};
/* clang-format on */

/* RFC 5769 §2.3 Sample IPv6 Response
 *   Password:  "VOkJxbRl1RmTxUk/WvJxBt" (without quotes)
 *   Software name:  "test vector" (without quotes)
 *   Mapped address:  2001:db8:1234:5678:11:2233:4455:6677 port 32853 */
/* clang-format off */
static const uint8_t resp23[] = {
	0x01, 0x01, 0x00, 0x48, /*    Response type and message length */
	0x21, 0x12, 0xa4, 0x42, /*    Magic cookie */
	0xb7, 0xe7, 0xa7, 0x01, /* } */
	0xbc, 0x34, 0xd6, 0x86, /* }  Transaction ID */
	0xfa, 0x87, 0xdf, 0xae, /* } */
	0x80, 0x22, 0x00, 0x0b, /*    SOFTWARE attribute header */
	0x74, 0x65, 0x73, 0x74, /* } */
	0x20, 0x76, 0x65, 0x63, /* }  UTF-8 server name */
	0x74, 0x6f, 0x72, 0x20, /* } */
	0x00, 0x20, 0x00, 0x14, /*    XOR-MAPPED-ADDRESS attribute header */
	0x00, 0x02, 0xa1, 0x47, /*    Address family (IPv6) and xor'd mapped
				   port number */
	0x01, 0x13, 0xa9, 0xfa, /* } */
	0xa5, 0xd3, 0xf1, 0x79, /* }  Xor'd mapped IPv6 address */
	0xbc, 0x25, 0xf4, 0xb5, /* } */
	0xbe, 0xd2, 0xb9, 0xd9, /* } */
	0x00, 0x08, 0x00, 0x14, /*    MESSAGE-INTEGRITY attribute header */
	0xa3, 0x82, 0x95, 0x4e, /* } */
	0x4b, 0xe6, 0x7b, 0xf1, /* } */
	0x17, 0x84, 0xc9, 0x7c, /* }  HMAC-SHA1 fingerprint */
	0x82, 0x92, 0xc2, 0x75, /* } */
	0xbf, 0xe3, 0xed, 0x41, /* } */
	0x80, 0x28, 0x00, 0x04, /*    FINGERPRINT attribute header */
	0xc8, 0xfb, 0x0b, 0x4c, /*    CRC32 fingerprint */
};
/* clang-format on */

/* RFC 5769 §2.4 Sample Request with Long-Term Authentication
 *   Username:  "<U+30DE><U+30C8><U+30EA><U+30C3><U+30AF><U+30B9>" (without
 *      quotes) unaffected by SASLprep [RFC4013] processing
 *   Password:  "The<U+00AD>M<U+00AA>tr<U+2168>" and "TheMatrIX" (without
 *      quotes) respectively before and after SASLprep processing
 *   Nonce:  "f//499k954d6OL34oL9FSTvy64sA" (without quotes)
 *   Realm:  "example.org" (without quotes) */
/* clang-format off */
static const uint8_t req24[] = {
	0x00, 0x01, 0x00, 0x60, /*    Request type and message length */
	0x21, 0x12, 0xa4, 0x42, /*    Magic cookie */
	0x78, 0xad, 0x34, 0x33, /* } */
	0xc6, 0xad, 0x72, 0xc0, /* }  Transaction ID */
	0x29, 0xda, 0x41, 0x2e, /* } */
	0x00, 0x06, 0x00, 0x12, /*    USERNAME attribute header */
	0xe3, 0x83, 0x9e, 0xe3, /* } */
	0x83, 0x88, 0xe3, 0x83, /* } */
	0xaa, 0xe3, 0x83, 0x83, /* }  Username value (18 bytes) and padding
				      (2 bytes) */
	0xe3, 0x82, 0xaf, 0xe3, /* } */
	0x82, 0xb9, 0x00, 0x00, /* } */
	0x00, 0x15, 0x00, 0x1c, /*    NONCE attribute header */
	0x66, 0x2f, 0x2f, 0x34, /* } */
	0x39, 0x39, 0x6b, 0x39, /* } */
	0x35, 0x34, 0x64, 0x36, /* } */
	0x4f, 0x4c, 0x33, 0x34, /* }  Nonce value */
	0x6f, 0x4c, 0x39, 0x46, /* } */
	0x53, 0x54, 0x76, 0x79, /* } */
	0x36, 0x34, 0x73, 0x41, /* } */
	0x00, 0x14, 0x00, 0x0b, /*    REALM attribute header */
	0x65, 0x78, 0x61, 0x6d, /* } */
	0x70, 0x6c, 0x65, 0x2e, /* }  Realm value (11 bytes) and padding
				      (1 byte) */
	0x6f, 0x72, 0x67, 0x00, /* } */
	0x00, 0x08, 0x00, 0x14, /*    MESSAGE-INTEGRITY attribute header */
	0xf6, 0x70, 0x24, 0x65, /* } */
	0x6d, 0xd6, 0x4a, 0x3e, /* } */
	0x02, 0xb8, 0xe0, 0x71, /* }  HMAC-SHA1 fingerprint */
	0x2e, 0x85, 0xc9, 0xa2, /* } */
	0x8c, 0xa8, 0x96, 0x66, /* } */
};
/* clang-format on */

/* RFC 8489 Appendix B.1 Sample Request with Long-Term Authentication with
 * MESSAGE-INTEGRITY-SHA256 and USERHASH
 *   User name:  "<U+30DE><U+30C8><U+30EA><U+30C3><U+30AF><U+30B9>" (without
 *      quotes) unaffected by OpaqueString [RFC8265] processing
 *   Password:  "The<U+00AD>M<U+00AA>tr<U+2168>" and "TheMatrIX" (without
 *      quotes) respectively before and after OpaqueString processing
 *   Nonce:  "obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA" (without quotes)
 *   Realm:  "example.org" (without quotes) */
/* clang-format off */
static const uint8_t reqb1[] = {
	0x00, 0x01, 0x00, 0x90, /*    Request type and message length */
	0x21, 0x12, 0xa4, 0x42, /*    Magic cookie */
	0x78, 0xad, 0x34, 0x33, /* } */
	0xc6, 0xad, 0x72, 0xc0, /* }  Transaction ID */
	0x29, 0xda, 0x41, 0x2e, /* } */
	0x00, 0x1e, 0x00, 0x20, /*    USERHASH attribute header */
	0x4a, 0x3c, 0xf3, 0x8f, /* } */
	0xef, 0x69, 0x92, 0xbd, /* } */
	0xa9, 0x52, 0xc6, 0x78, /* } */
	0x04, 0x17, 0xda, 0x0f, /* }  Userhash value (32 bytes) */
	0x24, 0x81, 0x94, 0x15, /* } */
	0x56, 0x9e, 0x60, 0xb2, /* } */
	0x05, 0xc4, 0x6e, 0x41, /* } */
	0x40, 0x7f, 0x17, 0x04, /* } */
	0x00, 0x15, 0x00, 0x29, /*    NONCE attribute header */
	0x6f, 0x62, 0x4d, 0x61, /* } */
	0x74, 0x4a, 0x6f, 0x73, /* } */
	0x32, 0x41, 0x41, 0x41, /* } */
	0x43, 0x66, 0x2f, 0x2f, /* } */
	0x34, 0x39, 0x39, 0x6b, /* }  Nonce value and padding (3 bytes) */
	0x39, 0x35, 0x34, 0x64, /* } */
	0x36, 0x4f, 0x4c, 0x33, /* } */
	0x34, 0x6f, 0x4c, 0x39, /* } */
	0x46, 0x53, 0x54, 0x76, /* } */
	0x79, 0x36, 0x34, 0x73, /* } */
	0x41, 0x00, 0x00, 0x00, /* } */
	0x00, 0x14, 0x00, 0x0b, /*    REALM attribute header */
	0x65, 0x78, 0x61, 0x6d, /* } */
	0x70, 0x6c, 0x65, 0x2e, /* }  Realm value (11 bytes) and padding
				      (1 byte) */
	0x6f, 0x72, 0x67, 0x00, /* } */
	0x00, 0x1d, 0x00, 0x04, /*    PASSWORD-ALGORITHM attribute header */
	0x00, 0x02, 0x00, 0x00, /*    PASSWORD-ALGORITHM value (4 bytes) */
	0x00, 0x1c, 0x00, 0x20, /*    MESSAGE-INTEGRITY-SHA256 attribute
				      header */
	0xb5, 0xc7, 0xbf, 0x00, /* } */
	0x5b, 0x6c, 0x52, 0xa2, /* } */
	0x1c, 0x51, 0xc5, 0xe8, /* } */
	0x92, 0xf8, 0x19, 0x24, /* }  HMAC-SHA256 value */
	0x13, 0x62, 0x96, 0xcb, /* } */
	0x92, 0x7c, 0x43, 0x14, /* } */
	0x93, 0x09, 0x27, 0x8c, /* } */
	0xc6, 0x51, 0x8e, 0x65, /* } */
};
/* clang-format on */

/* The short-term password of §2.1-§2.3. */
static const char short_pw[] = "VOkJxbRl1RmTxUk/WvJxBt";

/* "マトリックス" in UTF-8, the username of §2.4 and B.1. */
static const uint8_t lt_user[] = { 0xe3, 0x83, 0x9e, 0xe3, 0x83, 0x88,
				   0xe3, 0x83, 0xaa, 0xe3, 0x83, 0x83,
				   0xe3, 0x82, 0xaf, 0xe3, 0x82, 0xb9 };
static const char lt_realm[] = "example.org";
/* The password after SASLprep (RFC 5769) / OpaqueString (RFC 8489). */
static const char lt_pass[] = "TheMatrIX";
static const char nonce24[] = "f//499k954d6OL34oL9FSTvy64sA";
static const char nonceb1[] = "obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA";

static void decode_ok(struct stun_msg *m, const uint8_t *buf, size_t len)
{
	cr_assert_eq(stun_msg_decode(m, buf, len, 0), 0);
}

/* "user:realm:pass" (or "user:realm" when pass is NULL) through md. */
static void lt_digest(const EVP_MD *md, const char *pass, uint8_t *out,
		      size_t outlen)
{
	uint8_t in[128];
	unsigned int n = 0;
	size_t len = 0;

	memcpy(in, lt_user, sizeof(lt_user));
	len += sizeof(lt_user);
	in[len++] = ':';
	memcpy(in + len, lt_realm, strlen(lt_realm));
	len += strlen(lt_realm);
	if (pass) {
		in[len++] = ':';
		memcpy(in + len, pass, strlen(pass));
		len += strlen(pass);
	}
	cr_assert_eq(EVP_Digest(in, len, out, &n, md, NULL), 1);
	cr_assert_eq(n, outlen);
}

static void text_eq(const struct stun_msg *m, uint16_t type, const void *want,
		    size_t wantlen)
{
	const struct stun_attr *a = stun_msg_attr(m, type);
	const char *s;
	size_t n;

	cr_assert_not_null(a);
	cr_assert_eq(stun_attr_text(a, &s, &n), 0);
	cr_assert_eq(n, wantlen);
	cr_assert_eq(memcmp(s, want, n), 0);
}

static const uint8_t *pw(void)
{
	return (const uint8_t *)short_pw;
}

Test(rfc5769, request_decodes)
{
	struct stun_msg m;
	uint32_t prio;

	decode_ok(&m, req21, sizeof(req21));
	cr_assert_eq(m.method, STUN_METHOD_BINDING);
	cr_assert_eq(m.cls, STUN_CLASS_REQUEST);
	cr_assert_eq(m.cookie, STUN_MAGIC_COOKIE);
	cr_assert_not(m.rfc3489);
	cr_assert_eq(memcmp(m.tid, req21 + 8, 12), 0);
	cr_assert_eq(m.nattrs, 6);
	text_eq(&m, STUN_ATTR_SOFTWARE, "STUN test client", 16);
	text_eq(&m, STUN_ATTR_USERNAME, "evtj:h6vY", 9);
	cr_assert_eq(
	    stun_attr_u32(stun_msg_attr(&m, STUN_ATTR_PRIORITY), &prio), 0);
	cr_assert_eq(prio, 0x6e0001ffu);
	/* PRIORITY is comprehension-required and known (RFC 8445). */
	cr_assert_eq(m.nunknown, 0);
	cr_assert_eq(m.mi, 4);
	cr_assert_eq(m.mi256, -1);
	/* decode verified it, or it would have failed */
	cr_assert_eq(m.fp, 5);
}

Test(rfc5769, request_integrity)
{
	struct stun_msg m;

	decode_ok(&m, req21, sizeof(req21));
	cr_assert_eq(stun_msg_check_mi(&m, pw(), strlen(short_pw)), 0);
	cr_assert_eq(stun_msg_check_mi(&m, pw(), strlen(short_pw) - 1), EACCES);
	cr_assert_eq(stun_msg_check_mi(&m, (const uint8_t *)"wrong", 5),
		     EACCES);
	cr_assert_eq(stun_msg_check_mi256(&m, pw(), strlen(short_pw)), ENOENT);
}

Test(rfc5769, fingerprint_mismatch_rejected)
{
	uint8_t buf[sizeof(req21)];
	struct stun_msg m;
	size_t i;

	/* Any flipped bit before FINGERPRINT breaks the CRC. */
	for (i = 20; i < sizeof(buf) - 4; i += 7) {
		memcpy(buf, req21, sizeof(buf));
		buf[i] ^= 0x01;
		cr_assert_eq(stun_msg_decode(&m, buf, sizeof(buf), 0), EBADMSG,
			     "byte %zu", i);
	}
	memcpy(buf, req21, sizeof(buf));
	buf[sizeof(buf) - 1] ^= 0x80;
	cr_assert_eq(stun_msg_decode(&m, buf, sizeof(buf), 0), EBADMSG);
}

static void check_response(const uint8_t *vec, size_t len, const char *addr)
{
	struct stun_msg m;
	struct sa got, want;

	decode_ok(&m, vec, len);
	cr_assert_eq(m.method, STUN_METHOD_BINDING);
	cr_assert_eq(m.cls, STUN_CLASS_SUCCESS);
	cr_assert_eq(m.nattrs, 4);
	cr_assert_eq(m.fp, 3);
	text_eq(&m, STUN_ATTR_SOFTWARE, "test vector", 11);
	cr_assert_eq(
	    stun_attr_xaddr(stun_msg_attr(&m, STUN_ATTR_XOR_MAPPED_ADDRESS), &m,
			    &got),
	    0);
	cr_assert_eq(sa_set_str(&want, addr, 32853), 0);
	cr_assert(sa_equal(&got, &want));
	cr_assert_eq(stun_msg_check_mi(&m, pw(), strlen(short_pw)), 0);
	cr_assert_eq(
	    stun_msg_check_mi(&m, (const uint8_t *)"VOkJxbRl1RmTxUk", 15),
	    EACCES);
}

Test(rfc5769, ipv4_response)
{
	check_response(resp22, sizeof(resp22), "192.0.2.1");
}

Test(rfc5769, ipv6_response)
{
	check_response(resp23, sizeof(resp23),
		       "2001:db8:1234:5678:11:2233:4455:6677");
}

Test(rfc5769, long_term_request)
{
	uint8_t key[16];
	struct stun_msg m;

	decode_ok(&m, req24, sizeof(req24));
	cr_assert_eq(m.nattrs, 4);
	cr_assert_eq(m.fp, -1);
	cr_assert_eq(m.mi, 3);
	text_eq(&m, STUN_ATTR_USERNAME, lt_user, sizeof(lt_user));
	text_eq(&m, STUN_ATTR_NONCE, nonce24, strlen(nonce24));
	text_eq(&m, STUN_ATTR_REALM, lt_realm, strlen(lt_realm));
	/* RFC 8489 §9.2.2: key = MD5(username ":" realm ":" password). */
	lt_digest(EVP_md5(), lt_pass, key, sizeof(key));
	cr_assert_eq(stun_msg_check_mi(&m, key, sizeof(key)), 0);
	/* The password before SASLprep is not the key. */
	lt_digest(EVP_md5(),
		  "The\xc2\xad"
		  "M\xc2\xaatr\xe2\x85\xa8",
		  key, sizeof(key));
	cr_assert_eq(stun_msg_check_mi(&m, key, sizeof(key)), EACCES);
	/* Nor is the plain password, as a short-term credential. */
	cr_assert_eq(
	    stun_msg_check_mi(&m, (const uint8_t *)lt_pass, strlen(lt_pass)),
	    EACCES);
}

Test(rfc5769, rfc8489_b1_sha256_request)
{
	uint8_t key[32], hash[32];
	const uint8_t *uh;
	struct stun_msg m;
	uint16_t alg;

	decode_ok(&m, reqb1, sizeof(reqb1));
	cr_assert_eq(m.nattrs, 5);
	cr_assert_eq(m.mi, -1);
	cr_assert_eq(m.mi256, 4);
	/* §14.4: USERHASH = SHA-256(username ":" realm). */
	lt_digest(EVP_sha256(), NULL, hash, sizeof(hash));
	cr_assert_eq(
	    stun_attr_userhash(stun_msg_attr(&m, STUN_ATTR_USERHASH), &uh), 0);
	cr_assert_eq(memcmp(uh, hash, 32), 0);
	text_eq(&m, STUN_ATTR_NONCE, nonceb1, strlen(nonceb1));
	cr_assert_eq(stun_attr_pwalg(
			 stun_msg_attr(&m, STUN_ATTR_PASSWORD_ALGORITHM), &alg),
		     0);
	cr_assert_eq(alg, STUN_PWALG_SHA256);
	/* §18.5.1.2: key = SHA-256(username ":" realm ":" password). */
	lt_digest(EVP_sha256(), lt_pass, key, sizeof(key));
	cr_assert_eq(stun_msg_check_mi256(&m, key, sizeof(key)), 0);
	cr_assert_eq(stun_msg_check_mi(&m, key, sizeof(key)), ENOENT);
	key[0] ^= 1;
	cr_assert_eq(stun_msg_check_mi256(&m, key, sizeof(key)), EACCES);
}

/* §2.4 pads with zeros: our encoder reproduces it exactly. */
Test(rfc5769, long_term_request_reencodes_exactly)
{
	uint8_t key[16], buf[256];
	struct stun_enc e;
	size_t len;

	lt_digest(EVP_md5(), lt_pass, key, sizeof(key));
	stun_enc_init(&e, buf, sizeof(buf), STUN_METHOD_BINDING,
		      STUN_CLASS_REQUEST, req24 + 8);
	stun_enc_text(&e, STUN_ATTR_USERNAME, (const char *)lt_user,
		      sizeof(lt_user));
	stun_enc_text(&e, STUN_ATTR_NONCE, nonce24, strlen(nonce24));
	stun_enc_text(&e, STUN_ATTR_REALM, lt_realm, strlen(lt_realm));
	stun_enc_mi(&e, key, sizeof(key));
	cr_assert_eq(stun_enc_finish(&e, &len), 0);
	cr_assert_eq(len, sizeof(req24));
	cr_assert_eq(memcmp(buf, req24, len), 0);
}

/* B.1 pads with zeros too. */
Test(rfc5769, rfc8489_b1_reencodes_exactly)
{
	uint8_t key[32], hash[32], buf[256];
	struct stun_enc e;
	size_t len;

	lt_digest(EVP_sha256(), NULL, hash, sizeof(hash));
	lt_digest(EVP_sha256(), lt_pass, key, sizeof(key));
	stun_enc_init(&e, buf, sizeof(buf), STUN_METHOD_BINDING,
		      STUN_CLASS_REQUEST, reqb1 + 8);
	stun_enc_attr(&e, STUN_ATTR_USERHASH, hash, sizeof(hash));
	stun_enc_text(&e, STUN_ATTR_NONCE, nonceb1, strlen(nonceb1));
	stun_enc_text(&e, STUN_ATTR_REALM, lt_realm, strlen(lt_realm));
	stun_enc_pwalg(&e, STUN_PWALG_SHA256);
	stun_enc_mi256(&e, key, sizeof(key));
	cr_assert_eq(stun_enc_finish(&e, &len), 0);
	cr_assert_eq(len, sizeof(reqb1));
	cr_assert_eq(memcmp(buf, reqb1, len), 0);
}

/*
 * Build the §2.2/§2.3 response. When space_pad is set, the SOFTWARE padding
 * byte is overwritten with the 0x20 the RFC used, before MESSAGE-INTEGRITY
 * and FINGERPRINT are computed over it.
 */
static size_t encode_response(uint8_t *buf, size_t cap, const char *addr,
			      bool space_pad)
{
	struct stun_enc e;
	struct sa a;
	size_t len;

	cr_assert_eq(sa_set_str(&a, addr, 32853), 0);
	stun_enc_init(&e, buf, cap, STUN_METHOD_BINDING, STUN_CLASS_SUCCESS,
		      req21 + 8);
	stun_enc_text(&e, STUN_ATTR_SOFTWARE, "test vector", 11);
	cr_assert_eq(buf[20 + 4 + 11], 0x00, "our padding is zero");
	if (space_pad)
		buf[20 + 4 + 11] = 0x20;
	stun_enc_xaddr(&e, STUN_ATTR_XOR_MAPPED_ADDRESS, &a);
	stun_enc_mi(&e, pw(), strlen(short_pw));
	stun_enc_fingerprint(&e);
	cr_assert_eq(stun_enc_finish(&e, &len), 0);
	return len;
}

static void reencode_response(const uint8_t *vec, size_t veclen,
			      const char *addr)
{
	uint8_t buf[256];
	struct stun_msg m;
	size_t len, i, mi_at = veclen - 32;

	/* Zero padding: the same message except the pad byte and the two
	 * values computed over it; and it verifies on its own. */
	len = encode_response(buf, sizeof(buf), addr, false);
	cr_assert_eq(len, veclen);
	for (i = 0; i < len; i++) {
		bool computed =
		    (i >= mi_at + 4 && i < mi_at + 24) || i >= len - 4;

		if (i == 20 + 4 + 11 || computed)
			continue;
		cr_assert_eq(buf[i], vec[i], "byte %zu", i);
	}
	cr_assert_neq(memcmp(buf + mi_at + 4, vec + mi_at + 4, 20), 0);
	decode_ok(&m, buf, len);
	cr_assert_eq(stun_msg_check_mi(&m, pw(), strlen(short_pw)), 0);

	/* The RFC's space padding: byte-exact, MACs included. */
	len = encode_response(buf, sizeof(buf), addr, true);
	cr_assert_eq(len, veclen);
	cr_assert_eq(memcmp(buf, vec, len), 0);
}

Test(rfc5769, ipv4_response_reencodes)
{
	reencode_response(resp22, sizeof(resp22), "192.0.2.1");
}

Test(rfc5769, ipv6_response_reencodes)
{
	reencode_response(resp23, sizeof(resp23),
			  "2001:db8:1234:5678:11:2233:4455:6677");
}

/* §2.1 pads USERNAME with three spaces; with those written in before the
 * MACs, the request comes out byte for byte. */
Test(rfc5769, request_reencodes_with_space_padding)
{
	static const uint8_t tiebreak[] = { 0x93, 0x2f, 0xf9, 0xb1,
					    0x51, 0x26, 0x3b, 0x36 };
	uint8_t buf[256];
	struct stun_enc e;
	size_t len, pad_at;

	stun_enc_init(&e, buf, sizeof(buf), STUN_METHOD_BINDING,
		      STUN_CLASS_REQUEST, req21 + 8);
	stun_enc_text(&e, STUN_ATTR_SOFTWARE, "STUN test client", 16);
	stun_enc_u32(&e, STUN_ATTR_PRIORITY, 0x6e0001ffu);
	stun_enc_attr(&e, STUN_ATTR_ICE_CONTROLLED, tiebreak, sizeof(tiebreak));
	stun_enc_text(&e, STUN_ATTR_USERNAME, "evtj:h6vY", 9);
	pad_at = e.len - 3;
	cr_assert_eq(memcmp(buf + pad_at, "\0\0\0", 3), 0);
	memcpy(buf + pad_at, "   ", 3);
	stun_enc_mi(&e, pw(), strlen(short_pw));
	stun_enc_fingerprint(&e);
	cr_assert_eq(stun_enc_finish(&e, &len), 0);
	cr_assert_eq(len, sizeof(req21));
	cr_assert_eq(memcmp(buf, req21, len), 0);
}

/* A reply built with stun_enc_reply keeps the request's transaction id. */
Test(rfc5769, reply_to_sample_request)
{
	uint8_t buf[256];
	struct stun_msg req, resp;
	struct stun_enc e;
	struct sa a;
	size_t len;

	decode_ok(&req, req21, sizeof(req21));
	cr_assert_eq(sa_set_str(&a, "192.0.2.1", 32853), 0);
	stun_enc_reply(&e, buf, sizeof(buf), &req, STUN_CLASS_SUCCESS);
	stun_enc_text(&e, STUN_ATTR_SOFTWARE, "test vector", 11);
	stun_enc_xaddr(&e, STUN_ATTR_XOR_MAPPED_ADDRESS, &a);
	stun_enc_mi(&e, pw(), strlen(short_pw));
	stun_enc_fingerprint(&e);
	cr_assert_eq(stun_enc_finish(&e, &len), 0);
	decode_ok(&resp, buf, len);
	cr_assert_eq(memcmp(resp.tid, req.tid, 12), 0);
	cr_assert_eq(resp.type, 0x0101);
	/* Only the SOFTWARE padding byte and the MACs differ from §2.2. */
	cr_assert_eq(memcmp(buf, resp22, 35), 0);
	cr_assert_eq(memcmp(buf + 36, resp22 + 36, 12), 0);
}
