/*
 * enc.c — the STUN encoder (RFC 8489 §5, §14; RFC 5780 §7; RFC 8656 §18).
 *
 * Attributes are written straight into the caller's buffer. The first
 * failure (no room, bad argument) is kept in e->err and every later call
 * does nothing, so a handler adds attributes one after another and checks
 * once in stun_enc_finish. MESSAGE-INTEGRITY(-SHA256) and FINGERPRINT live
 * in integrity.c beside the decoder's checks.
 */
#include "stun/stun.h"

#include <errno.h>
#include <string.h>

#include "base/cursor.h"

/* §14.3: a USERNAME is fewer than 509 bytes; §14.8, §14.9, §14.10, §14.14:
 * reason phrases, REALM, NONCE and SOFTWARE are at most 509 bytes when
 * encoding; §14.16: ALTERNATE-DOMAIN is at most 255 characters. */
#define USERNAME_MAX_ENCODE 508
#define TEXT_MAX_ENCODE	    509
#define DOMAIN_MAX	    255

#define FAMILY_IPV4 0x01
#define FAMILY_IPV6 0x02

static void set_err(struct stun_enc *e, int err)
{
	if (!e->err)
		e->err = err;
}

/*
 * Append an attribute header for a value of len bytes and its zero padding
 * (§14: padding is zero on sending). Returns where the value goes, or NULL
 * (and sets the sticky error) when there is no room in the buffer or in
 * the 16-bit message length.
 */
static uint8_t *enc_begin(struct stun_enc *e, uint16_t type, size_t len)
{
	size_t padded, limit;
	uint8_t *p;

	if (e->err)
		return NULL;
	limit = e->cap < STUN_MAX_MSG ? e->cap : STUN_MAX_MSG;
	if (len > STUN_MAX_MSG) {
		set_err(e, ENOSPC);
		return NULL;
	}
	padded = (len + 3u) & ~(size_t)3u;
	if (limit < e->len || limit - e->len < 4 + padded) {
		set_err(e, ENOSPC);
		return NULL;
	}
	p = e->buf + e->len;
	put_be16(p, type);
	put_be16(p + 2, (uint16_t)len);
	memset(p + 4 + len, 0, padded - len);
	e->len += 4 + padded;
	return p + 4;
}

void stun_enc_init(struct stun_enc *e, uint8_t *buf, size_t cap,
		   uint16_t method, enum stun_class cls,
		   const uint8_t tid[STUN_TID_SIZE])
{
	if (!e)
		return;
	e->buf = buf;
	e->cap = cap;
	e->len = 0;
	e->err = 0;
	e->cookie = STUN_MAGIC_COOKIE;
	memset(e->tid, 0, sizeof(e->tid));
	/* §5: a 12-bit method and a 2-bit class. */
	if (!buf || !tid || method > 0x0FFFu || (unsigned)cls > 3u) {
		e->err = EINVAL;
		return;
	}
	memcpy(e->tid, tid, STUN_TID_SIZE);
	if (cap < STUN_HEADER_SIZE) {
		e->err = ENOSPC;
		return;
	}
	put_be16(buf, stun_type(method, cls));
	put_be16(buf + 2, 0);
	put_be32(buf + 4, e->cookie);
	memcpy(buf + 8, tid, STUN_TID_SIZE);
	e->len = STUN_HEADER_SIZE;
}

void stun_enc_reply(struct stun_enc *e, uint8_t *buf, size_t cap,
		    const struct stun_msg *req, enum stun_class cls)
{
	if (!e)
		return;
	if (!req) {
		stun_enc_init(e, buf, cap, 0, cls, NULL);
		return;
	}
	stun_enc_init(e, buf, cap, req->method, cls, req->tid);
	/* §12.2: an RFC 3489 client matches the response on all 128 bits of
	 * its transaction id, the cookie field included. */
	e->cookie = req->cookie;
	if (!e->err)
		put_be32(buf + 4, req->cookie);
}

void stun_enc_attr(struct stun_enc *e, uint16_t type, const void *val,
		   size_t len)
{
	uint8_t *p;

	if (!e)
		return;
	if (len && !val) {
		set_err(e, EINVAL);
		return;
	}
	p = enc_begin(e, type, len);
	if (p && len)
		memcpy(p, val, len);
}

void stun_enc_u32(struct stun_enc *e, uint16_t type, uint32_t v)
{
	uint8_t *p = e ? enc_begin(e, type, 4) : NULL;

	if (p)
		put_be32(p, v);
}

void stun_enc_text(struct stun_enc *e, uint16_t type, const char *s, size_t n)
{
	size_t max = TEXT_MAX_ENCODE;

	if (!e)
		return;
	if (type == STUN_ATTR_USERNAME)
		max = USERNAME_MAX_ENCODE;
	else if (type == STUN_ATTR_ALTERNATE_DOMAIN)
		max = DOMAIN_MAX;
	if (n > max) {
		set_err(e, EINVAL);
		return;
	}
	stun_enc_attr(e, type, s, n);
}

/* §14.1, §14.2: 0 | family | port | address; mask is the XOR pad (cookie,
 * transaction id) or NULL. */
static void enc_address(struct stun_enc *e, uint16_t type, const struct sa *a,
			const uint8_t *mask)
{
	const uint8_t *raw;
	uint16_t port;
	size_t n = 0, i;
	uint8_t *p;

	if (!e)
		return;
	raw = a ? sa_addr_bytes(a, &n) : NULL;
	if (!raw) {
		set_err(e, EINVAL);
		return;
	}
	p = enc_begin(e, type, 4 + n);
	if (!p)
		return;
	port = sa_port(a);
	if (mask)
		port ^= get_be16(mask);
	p[0] = 0;
	p[1] = n == 4 ? FAMILY_IPV4 : FAMILY_IPV6;
	put_be16(p + 2, port);
	for (i = 0; i < n; i++)
		p[4 + i] = raw[i] ^ (mask ? mask[i] : 0);
}

void stun_enc_addr(struct stun_enc *e, uint16_t type, const struct sa *a)
{
	enc_address(e, type, a, NULL);
}

void stun_enc_xaddr(struct stun_enc *e, uint16_t type, const struct sa *a)
{
	uint8_t mask[16];

	if (!e)
		return;
	/* §14.2: always the magic cookie, then the transaction id. */
	put_be32(mask, STUN_MAGIC_COOKIE);
	memcpy(mask + 4, e->tid, STUN_TID_SIZE);
	enc_address(e, type, a, mask);
}

/* The 32-bit word of §14.8 (and RFC 8656 §18.12, whose first byte is the
 * family), then the reason phrase. */
static void enc_code(struct stun_enc *e, uint16_t type, uint8_t first,
		     uint16_t code, const char *reason)
{
	size_t rlen;
	uint8_t *p;

	if (!e)
		return;
	/* §14.8: class 3 to 6, so codes 300 to 699. */
	if (code < 300 || code > 699) {
		set_err(e, EINVAL);
		return;
	}
	if (!reason)
		reason = stun_reason(code);
	rlen = strlen(reason);
	if (rlen > TEXT_MAX_ENCODE) {
		set_err(e, EINVAL);
		return;
	}
	p = enc_begin(e, type, 4 + rlen);
	if (!p)
		return;
	p[0] = first;
	p[1] = 0;
	p[2] = (uint8_t)(code / 100);
	p[3] = (uint8_t)(code % 100);
	memcpy(p + 4, reason, rlen);
}

void stun_enc_errcode(struct stun_enc *e, uint16_t code, const char *reason)
{
	enc_code(e, STUN_ATTR_ERROR_CODE, 0, code, reason);
}

static int family_wire(int family)
{
	if (family == AF_INET)
		return FAMILY_IPV4;
	if (family == AF_INET6)
		return FAMILY_IPV6;
	return -1;
}

void stun_enc_addr_errcode(struct stun_enc *e, int family, uint16_t code,
			   const char *reason)
{
	int fam = family_wire(family);

	if (!e)
		return;
	if (fam < 0) {
		set_err(e, EINVAL);
		return;
	}
	enc_code(e, STUN_ATTR_ADDRESS_ERROR_CODE, (uint8_t)fam, code, reason);
}

/* Room for n entries of `each` bytes in an attribute of type (NULL on an
 * error, which e records): what the list attributes check first. */
static uint8_t *enc_list(struct stun_enc *e, uint16_t type, const void *v,
			 size_t n, size_t each)
{
	if (!e)
		return NULL;
	if (n && !v) {
		set_err(e, EINVAL);
		return NULL;
	}
	if (n > STUN_MAX_MSG / each) {
		set_err(e, ENOSPC);
		return NULL;
	}
	return enc_begin(e, type, each * n);
}

void stun_enc_unknown(struct stun_enc *e, const uint16_t *types, size_t n)
{
	/* §14.13: normal zero padding (RFC 3489 repeated an entry). */
	uint8_t *p = enc_list(e, STUN_ATTR_UNKNOWN_ATTRIBUTES, types, n, 2);

	for (size_t i = 0; p && i < n; i++)
		put_be16(p + 2 * i, types[i]);
}

void stun_enc_change_request(struct stun_enc *e, uint32_t flags)
{
	if (!e)
		return;
	/* RFC 5780 §7.2: only the change-IP and change-port bits exist. */
	if (flags & ~(STUN_CHANGE_IP | STUN_CHANGE_PORT)) {
		set_err(e, EINVAL);
		return;
	}
	stun_enc_u32(e, STUN_ATTR_CHANGE_REQUEST, flags);
}

/* A 16-bit value followed by 16 zero bits (RFC 8656 §18.1, RFC 5780
 * §7.5). */
static void enc_u16_word(struct stun_enc *e, uint16_t type, uint16_t v)
{
	stun_enc_u32(e, type, (uint32_t)v << 16);
}

void stun_enc_channel(struct stun_enc *e, uint16_t ch)
{
	enc_u16_word(e, STUN_ATTR_CHANNEL_NUMBER, ch);
}

void stun_enc_response_port(struct stun_enc *e, uint16_t port)
{
	enc_u16_word(e, STUN_ATTR_RESPONSE_PORT, port);
}

void stun_enc_transport(struct stun_enc *e, uint8_t proto)
{
	/* RFC 8656 §18.8: protocol, then 24 bits RFFU. */
	stun_enc_u32(e, STUN_ATTR_REQUESTED_TRANSPORT, (uint32_t)proto << 24);
}

void stun_enc_family(struct stun_enc *e, uint16_t type, int family)
{
	int fam = family_wire(family);

	if (!e)
		return;
	if (fam < 0) {
		set_err(e, EINVAL);
		return;
	}
	/* RFC 8656 §18.6: family, then 24 reserved bits. */
	stun_enc_u32(e, type, (uint32_t)fam << 24);
}

void stun_enc_pwalgs(struct stun_enc *e, const uint16_t *algs, size_t n)
{
	/* §14.11: each algorithm with an empty parameter list (§18.5.1). */
	uint8_t *p = enc_list(e, STUN_ATTR_PASSWORD_ALGORITHMS, algs, n, 4);

	for (size_t i = 0; p && i < n; i++) {
		put_be16(p + 4 * i, algs[i]);
		put_be16(p + 4 * i + 2, 0);
	}
}

void stun_enc_pwalg(struct stun_enc *e, uint16_t alg)
{
	/* §14.12: algorithm and a zero parameters length. */
	stun_enc_u32(e, STUN_ATTR_PASSWORD_ALGORITHM, (uint32_t)alg << 16);
}

void stun_enc_even_port(struct stun_enc *e, bool reserve)
{
	uint8_t v = reserve ? 0x80 : 0;

	/* RFC 8656 §18.7: one byte, R in the top bit. */
	stun_enc_attr(e, STUN_ATTR_EVEN_PORT, &v, 1);
}

void stun_enc_icmp(struct stun_enc *e, uint8_t type, uint8_t code,
		   uint32_t data)
{
	uint8_t *p = e ? enc_begin(e, STUN_ATTR_ICMP, 8) : NULL;

	if (!p)
		return;
	/* RFC 8656 §18.13: 16 reserved bits, type, code, error data. */
	p[0] = 0;
	p[1] = 0;
	p[2] = type;
	p[3] = code;
	put_be32(p + 4, data);
}

void stun_enc_padding(struct stun_enc *e, size_t n)
{
	uint8_t *p = e ? enc_begin(e, STUN_ATTR_PADDING, n) : NULL;

	if (p && n)
		memset(p, 0, n);
}

int stun_enc_finish(struct stun_enc *e, size_t *len)
{
	if (!e || !len)
		return EINVAL;
	if (e->err)
		return e->err;
	/* §5: the length excludes the 20-byte header. */
	put_be16(e->buf + 2, (uint16_t)(e->len - STUN_HEADER_SIZE));
	*len = e->len;
	return 0;
}
