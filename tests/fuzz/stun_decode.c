/*
 * stun_decode.c — libFuzzer target for the STUN decoder.
 *
 * Decodes the input (with and without RFC 3489 compatibility), checks the
 * decoded struct's invariants, runs every typed reader on every attribute,
 * checks both integrity kinds with a fixed key, and encodes a reply that
 * copies the attributes: that reply must decode again and verify. Any
 * broken invariant aborts, so libFuzzer reports it like a crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stun/stun.h"

static const uint8_t key[] = "fuzz key";

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond))                                                   \
			abort();                                               \
	} while (0)

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
	stun_enc_mi(&e, key, sizeof(key));
	stun_enc_mi256(&e, key, sizeof(key));
	stun_enc_fingerprint(&e);
	if (stun_enc_finish(&e, &len) == 0) {
		CHECK(len <= cap && len <= STUN_MAX_MSG);
		/* An RFC 3489 cookie makes the reply itself non-STUN. */
		if (!m->rfc3489) {
			CHECK(stun_msg_decode(&r, out, len, 0) == 0);
			CHECK(r.method == m->method);
			CHECK(memcmp(r.tid, m->tid, STUN_TID_SIZE) == 0);
			CHECK(stun_msg_check_mi(&r, key, sizeof(key)) == 0);
			CHECK(stun_msg_check_mi256(&r, key, sizeof(key)) == 0);
		}
	}
	free(out);
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
		return 0;
	}
	check_invariants(&m2, data, size);
	CHECK(!strict_ok || m2.nattrs == m.nattrs);
	read_all(&m2);
	stun_msg_check_mi(&m2, key, sizeof(key));
	stun_msg_check_mi256(&m2, key, sizeof(key));
	reply(&m2, STUN_MAX_MSG);
	reply(&m2, size / 2 + STUN_HEADER_SIZE);
	return 0;
}
