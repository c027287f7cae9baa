/*
 * stun_decode.c — libFuzzer target for the STUN decoder.
 *
 * Input: one STUN message as it arrives in a UDP datagram (or one frame cut
 * from a stream), nothing around it. Seeds: tests/fuzz/corpus/stun-decode,
 * real traffic recorded by tests/fuzz/capture-seeds plus hand-made cases.
 *
 * Decodes the input (with and without RFC 3489 compatibility), checks the
 * decoded struct's invariants and runs every typed reader on every
 * attribute. Integrity, all of RFC 8489 §14.5-14.7:
 *  - as received: MESSAGE-INTEGRITY and -SHA256 are checked with the
 *    long-term key of the capture's credentials (sign.h), so the captured
 *    requests take the "matches" path;
 *  - signed again: a copy gets fresh MESSAGE-INTEGRITY, -SHA256 and
 *    FINGERPRINT values (sign.c, written apart from the codec) under a key
 *    the transaction id picks: short-term (§9.1), long-term MD5 or
 *    long-term SHA-256 (§9.2.2) from its USERNAME and REALM. The copy must
 *    decode whenever the input did, both checks must accept that key and
 *    refuse a key one bit off, and a mutated message with a FINGERPRINT
 *    reaches everything behind the CRC check;
 *  - encoded: a reply that copies the attributes, with both integrity
 *    attributes and FINGERPRINT, must decode again and verify.
 * Any broken invariant aborts, so libFuzzer reports it like a crash.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sign.h"
#include "stun/stun.h"
#include "fuzz.h"

static const uint8_t reply_key[] = "fuzz key";

/* Touch every byte a reader handed back, so ASan sees any overrun. */
static unsigned touch(const void *p, size_t n)
{
	const volatile uint8_t *b = p;
	unsigned sum = 0;
	size_t i;

	for (i = 0; i < n; i++)
		sum += b[i];
	return sum;
}

static void check_invariants(const struct stun_msg *m, const uint8_t *buf,
			     size_t len)
{
	unsigned i;

	CHECK(m->buf == buf && m->len == len);
	CHECK(m->nattrs <= STUN_MAX_ATTRS && m->nunknown <= STUN_MAX_UNKNOWN);
	for (i = 0; i < m->nattrs; i++) {
		const struct stun_attr *a = &m->attrs[i];

		CHECK(a->offset >= STUN_HEADER_SIZE);
		CHECK(a->val == buf + a->offset + 4);
		CHECK((size_t)a->offset + 4 + a->len <= len);
	}
	CHECK(m->mi < 0 || m->attrs[m->mi].type == STUN_ATTR_MESSAGE_INTEGRITY);
	CHECK(m->mi256 < 0 ||
	      m->attrs[m->mi256].type == STUN_ATTR_MESSAGE_INTEGRITY_SHA256);
	CHECK(m->fp < 0 || (unsigned)m->fp == m->nattrs - 1);
	for (i = 0; i < m->nunknown; i++)
		CHECK(m->unknown[i] < 0x8000);
}

static void read_text_like(const struct stun_attr *a)
{
	const char *s;
	uint16_t code;
	size_t n;
	int fam;

	if (stun_attr_text(a, &s, &n) == 0)
		touch(s, n);
	if (stun_attr_errcode(a, &code, &s, &n) == 0) {
		CHECK(code >= 300 && code <= 699);
		touch(s, n);
	}
	if (stun_attr_addr_errcode(a, &fam, &code, &s, &n) == 0)
		touch(s, n);
}

static void read_all(const struct stun_msg *m)
{
	uint16_t list[STUN_MAX_UNKNOWN], u16;
	const uint8_t *p;
	struct sa addr;
	uint32_t u32;
	uint8_t u8, u8b;
	size_t n;
	bool flag;
	int fam;
	unsigned i;

	for (i = 0; i < m->nattrs; i++) {
		const struct stun_attr *a = &m->attrs[i];

		stun_attr_addr(a, &addr);
		stun_attr_xaddr(a, m, &addr);
		read_text_like(a);
		if (stun_attr_unknown(a, list, STUN_MAX_UNKNOWN, &n) == 0)
			CHECK(n <= STUN_MAX_UNKNOWN);
		stun_attr_u32(a, &u32);
		stun_attr_change_request(a, &u32);
		stun_attr_response_port(a, &u16);
		stun_attr_channel(a, &u16);
		stun_attr_transport(a, &u8);
		stun_attr_family(a, &fam);
		stun_attr_even_port(a, &flag);
		stun_attr_pwalg(a, &u16);
		if (stun_attr_pwalgs(a, list, 4, &n) == 0)
			CHECK(n <= 4);
		if (stun_attr_userhash(a, &p) == 0)
			touch(p, STUN_USERHASH_SIZE);
		if (stun_attr_token(a, &p) == 0)
			touch(p, STUN_TOKEN_SIZE);
		stun_attr_icmp(a, &u8, &u8b, &u32);
		stun_attr_name(a->type);
	}
	stun_method_name(m->method);
}

/* Copy every attribute except the integrity ones into a reply, add the
 * usual reply attributes and protect it: it must decode and verify. */
static void reply(const struct stun_msg *m, size_t cap)
{
	uint8_t *out = malloc(cap ? cap : 1);
	struct stun_msg r;
	struct stun_enc e;
	struct sa peer;
	unsigned i, copied = 0;
	size_t len;

	CHECK(out);
	sa_set_str(&peer, "2001:db8::1", 3478);
	stun_enc_reply(&e, out, cap, m,
		       m->nunknown ? STUN_CLASS_ERROR : STUN_CLASS_SUCCESS);
	stun_enc_xaddr(&e, STUN_ATTR_XOR_MAPPED_ADDRESS, &peer);
	if (m->nunknown) {
		stun_enc_errcode(&e, 420, NULL);
		stun_enc_unknown(&e, m->unknown, m->nunknown);
	}
	for (i = 0; i < m->nattrs && copied < STUN_MAX_ATTRS - 6; i++) {
		const struct stun_attr *a = &m->attrs[i];

		if (a->type == STUN_ATTR_MESSAGE_INTEGRITY ||
		    a->type == STUN_ATTR_MESSAGE_INTEGRITY_SHA256 ||
		    a->type == STUN_ATTR_FINGERPRINT)
			continue;
		stun_enc_attr(&e, a->type, a->val, a->len);
		copied++;
	}
	stun_enc_mi(&e, reply_key, sizeof(reply_key));
	stun_enc_mi256(&e, reply_key, sizeof(reply_key));
	stun_enc_fingerprint(&e);
	if (stun_enc_finish(&e, &len) == 0) {
		CHECK(len <= cap && len <= STUN_MAX_MSG);
		/* An RFC 3489 cookie makes the reply itself non-STUN. */
		if (!m->rfc3489) {
			CHECK(stun_msg_decode(&r, out, len, 0) == 0);
			CHECK(r.method == m->method);
			CHECK(memcmp(r.tid, m->tid, STUN_TID_SIZE) == 0);
			CHECK(stun_msg_check_mi(&r, reply_key,
						sizeof(reply_key)) == 0);
			CHECK(stun_msg_check_mi256(&r, reply_key,
						   sizeof(reply_key)) == 0);
		}
	}
	free(out);
}

/* Short-term (§9.1: the password itself), or long-term from the
 * message's USERNAME and REALM (§9.2.2): the transaction id's last byte
 * picks. Returns the key length. */
static size_t pick_key(const uint8_t *msg, size_t len,
		       const struct fz_layout *l, uint8_t key[32])
{
	static const char ice_pwd[] = "fuzzIcePasswordOf22+ch";
	const char *user = "", *realm = FZ_REALM;
	size_t ulen = 0, rlen = strlen(FZ_REALM);
	unsigned pick = len >= STUN_HEADER_SIZE ? msg[19] % 3u : 0;

	if (pick == 0) {
		memcpy(key, ice_pwd, sizeof(ice_pwd) - 1);
		return sizeof(ice_pwd) - 1;
	}
	if (l->user >= 0) {
		user = (const char *)msg + l->user;
		ulen = l->user_len;
	}
	if (l->realm >= 0) {
		realm = (const char *)msg + l->realm;
		rlen = l->realm_len;
	}
	return fz_long_term_key(key, pick == 1 ? 1 : 2, user, ulen, realm, rlen,
				FZ_PASS, strlen(FZ_PASS));
}

/* Sign a copy again (see the top) and hold the codec to it. was_ok: the
 * input itself decoded, with nattrs attributes. */
static void resign(const uint8_t *data, size_t size, bool was_ok,
		   unsigned nattrs)
{
	static uint8_t copy[STUN_MAX_MSG];
	uint8_t key[32], bad[32];
	struct fz_layout l;
	struct stun_msg m;
	size_t klen;

	if (size > sizeof(copy) || !fz_scan(data, size, &l))
		return;
	memcpy(copy, data, size);
	klen = pick_key(copy, size, &l, key);
	CHECK(klen >= 16);
	fz_sign(copy, size, &l, key, klen);
	/* The values of MI, MI256 and FINGERPRINT decide nothing but
	 * FINGERPRINT's own check: a message that decoded still does. */
	if (stun_msg_decode(&m, copy, size, STUN_DECODE_ALLOW_RFC3489)) {
		CHECK(!was_ok);
		return;
	}
	CHECK(!was_ok || m.nattrs == nattrs);
	CHECK((m.fp >= 0) == (l.fp >= 0));
	memcpy(bad, key, klen);
	bad[klen - 1] ^= 1;
	CHECK((m.mi >= 0) == (l.mi >= 0));
	if (m.mi >= 0) {
		CHECK(m.attrs[m.mi].offset == l.mi);
		CHECK(stun_msg_check_mi(&m, key, klen) == 0);
		CHECK(stun_msg_check_mi(&m, bad, klen) == EACCES);
		CHECK(stun_msg_check_mi256(&m, key, klen) ==
		      (m.mi256 >= 0 ? 0 : ENOENT));
	}
	CHECK((m.mi256 >= 0) == (l.mi256 >= 0));
	if (m.mi256 >= 0) {
		CHECK(m.attrs[m.mi256].offset == l.mi256);
		CHECK(stun_msg_check_mi256(&m, key, klen) == 0);
		CHECK(stun_msg_check_mi256(&m, bad, klen) == EACCES);
	}
}

/* The message as received, under the credentials the seeds were captured
 * with: a static user, or a TURN REST name with the capture's secret.
 * Either answer is fine; a captured request takes the "matches" path. */
static void check_as_received(const struct stun_msg *m)
{
	const struct stun_attr *u = stun_msg_attr(m, STUN_ATTR_USERNAME);
	const struct stun_attr *r = stun_msg_attr(m, STUN_ATTR_REALM);
	const char *pass = FZ_PASS;
	char rest[29];
	uint8_t key[32];
	size_t klen;

	if (!u || !r || (m->mi < 0 && m->mi256 < 0))
		return;
	if (u->len && u->val[0] >= '0' && u->val[0] <= '9') {
		fz_rest_password(rest, FZ_REST_SECRET, (const char *)u->val,
				 u->len);
		pass = rest;
	}
	for (uint16_t alg = 1; alg <= 2; alg++) {
		klen = fz_long_term_key(key, alg, (const char *)u->val, u->len,
					(const char *)r->val, r->len, pass,
					strlen(pass));
		stun_msg_check_mi(m, key, klen);
		stun_msg_check_mi256(m, key, klen);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stun_msg m, m2;
	bool strict_ok;

	stun_msg_is_stun(data, size);
	strict_ok = stun_msg_decode(&m, data, size, 0) == 0;
	if (strict_ok)
		CHECK(stun_msg_is_stun(data, size));
	if (stun_msg_decode(&m2, data, size, STUN_DECODE_ALLOW_RFC3489)) {
		/* The flag only widens what is accepted. */
		CHECK(!strict_ok);
		resign(data, size, false, 0);
		return 0;
	}
	check_invariants(&m2, data, size);
	CHECK(!strict_ok || m2.nattrs == m.nattrs);
	read_all(&m2);
	check_as_received(&m2);
	resign(data, size, true, m2.nattrs);
	reply(&m2, STUN_MAX_MSG);
	reply(&m2, size / 2 + STUN_HEADER_SIZE);
	return 0;
}
