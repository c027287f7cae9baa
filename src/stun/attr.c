/*
 * attr.c — typed readers for STUN attribute values (RFC 8489 §14, RFC 5780
 * §7, RFC 8656 §18).
 *
 * Each reader checks the value's length for its type before it reads a
 * byte, and returns pointers into the message rather than copies.
 */
#include "stun/stun.h"

#include <errno.h>
#include <string.h>

#include "base/cursor.h"

/* §14.8, §14.9, §14.10, §14.14: fewer than 128 characters, which a
 * receiver must accept up to 763 bytes long. */
#define TEXT_MAX_DECODE 763
/* §14.16: a DNS name of 255 or fewer ASCII characters. */
#define DOMAIN_MAX 255

#define FAMILY_IPV4 0x01
#define FAMILY_IPV6 0x02

/*
 * §14.1: 0 | family | port, then 4 or 16 address bytes. The first byte must
 * be ignored by receivers. mask, when not NULL, is the 16-byte XOR pad of
 * §14.2 (cookie, then transaction id); its top 16 bits also mask the port.
 */
static int read_addr(const struct stun_attr *a, const uint8_t *mask,
		     struct sa *out)
{
	uint8_t addr[16];
	uint16_t port;
	size_t n, i;
	int family;

	if (!a || !out)
		return EINVAL;
	if (a->len < 4)
		return EBADMSG;
	switch (a->val[1]) {
	case FAMILY_IPV4:
		family = AF_INET;
		n = 4;
		break;
	case FAMILY_IPV6:
		family = AF_INET6;
		n = 16;
		break;
	default:
		return EBADMSG;
	}
	if (a->len != 4 + n)
		return EBADMSG;
	port = get_be16(a->val + 2);
	for (i = 0; i < n; i++)
		addr[i] = a->val[4 + i] ^ (mask ? mask[i] : 0);
	if (mask)
		port ^= get_be16(mask);
	return sa_set_raw(out, family, addr, port) ? EBADMSG : 0;
}

int stun_attr_addr(const struct stun_attr *a, struct sa *out)
{
	return read_addr(a, NULL, out);
}

int stun_attr_xaddr(const struct stun_attr *a, const struct stun_msg *msg,
		    struct sa *out)
{
	uint8_t mask[16];

	if (!msg)
		return EINVAL;
	/* §14.2: the XOR uses the magic cookie itself, even in the odd
	 * message that carries something else in the cookie field. */
	put_be32(mask, STUN_MAGIC_COOKIE);
	memcpy(mask + 4, msg->tid, STUN_TID_SIZE);
	return read_addr(a, mask, out);
}

/* §14.8 / RFC 8656 §18.12: class (3 bits) and number (8 bits) in the low
 * 11 bits of a 32-bit word, then the reason phrase. */
static int read_code(const struct stun_attr *a, uint16_t *code,
		     const char **reason, size_t *reason_len)
{
	unsigned cls = a->val[2] & 0x7u, num = a->val[3];

	/* §14.8: the class is between 3 and 6, the number between 0 and 99. */
	if (cls < 3 || cls > 6 || num > 99)
		return EBADMSG;
	if (a->len - 4u > TEXT_MAX_DECODE)
		return EBADMSG;
	if (code)
		*code = (uint16_t)(cls * 100 + num);
	if (reason)
		*reason = (const char *)a->val + 4;
	if (reason_len)
		*reason_len = a->len - 4u;
	return 0;
}

int stun_attr_errcode(const struct stun_attr *a, uint16_t *code,
		      const char **reason, size_t *reason_len)
{
	if (!a)
		return EINVAL;
	if (a->len < 4)
		return EBADMSG;
	return read_code(a, code, reason, reason_len);
}

int stun_attr_addr_errcode(const struct stun_attr *a, int *family,
			   uint16_t *code, const char **reason,
			   size_t *reason_len)
{
	int fam;

	if (!a)
		return EINVAL;
	if (a->len < 4)
		return EBADMSG;
	/* RFC 8656 §18.12: the family uses the §14.1 values. */
	if (a->val[0] == FAMILY_IPV4)
		fam = AF_INET;
	else if (a->val[0] == FAMILY_IPV6)
		fam = AF_INET6;
	else
		return EBADMSG;
	if (family)
		*family = fam;
	return read_code(a, code, reason, reason_len);
}

int stun_attr_unknown(const struct stun_attr *a, uint16_t *out, size_t max,
		      size_t *n)
{
	size_t i, count;

	if (!a || !n || (max && !out))
		return EINVAL;
	/* §14.13: a list of 16-bit types. */
	if (a->len & 1u)
		return EBADMSG;
	count = a->len / 2u;
	if (count > max)
		count = max;
	for (i = 0; i < count; i++)
		out[i] = get_be16(a->val + 2 * i);
	*n = count;
	return 0;
}

int stun_attr_text(const struct stun_attr *a, const char **s, size_t *n)
{
	size_t max = TEXT_MAX_DECODE;

	if (!a || !s || !n)
		return EINVAL;
	if (a->type == STUN_ATTR_ALTERNATE_DOMAIN)
		max = DOMAIN_MAX;
	if (a->len > max)
		return EBADMSG;
	*s = (const char *)a->val;
	*n = a->len;
	return 0;
}

int stun_attr_u32(const struct stun_attr *a, uint32_t *v)
{
	if (!a || !v)
		return EINVAL;
	if (a->len != 4)
		return EBADMSG;
	*v = get_be32(a->val);
	return 0;
}

int stun_attr_change_request(const struct stun_attr *a, uint32_t *flags)
{
	uint32_t v;
	int err = stun_attr_u32(a, &v);

	if (err)
		return err;
	if (!flags)
		return EINVAL;
	/* RFC 5780 §7.2: only the A and B bits mean anything. */
	*flags = v & (STUN_CHANGE_IP | STUN_CHANGE_PORT);
	return 0;
}

/* A 4-byte value whose first 16 bits matter and the rest is RFFU
 * (RESPONSE-PORT, RFC 5780 §7.5; CHANNEL-NUMBER, RFC 8656 §18.1). */
static int read_u16_word(const struct stun_attr *a, uint16_t *v)
{
	if (!a || !v)
		return EINVAL;
	if (a->len != 4)
		return EBADMSG;
	*v = get_be16(a->val);
	return 0;
}

int stun_attr_response_port(const struct stun_attr *a, uint16_t *port)
{
	return read_u16_word(a, port);
}

int stun_attr_channel(const struct stun_attr *a, uint16_t *ch)
{
	return read_u16_word(a, ch);
}

int stun_attr_transport(const struct stun_attr *a, uint8_t *proto)
{
	if (!a || !proto)
		return EINVAL;
	/* RFC 8656 §18.8: protocol, then 24 bits RFFU. */
	if (a->len != 4)
		return EBADMSG;
	*proto = a->val[0];
	return 0;
}

int stun_attr_family(const struct stun_attr *a, int *family)
{
	if (!a || !family)
		return EINVAL;
	/* RFC 8656 §18.6: family, then 24 reserved bits. */
	if (a->len != 4)
		return EBADMSG;
	switch (a->val[0]) {
	case FAMILY_IPV4:
		*family = AF_INET;
		return 0;
	case FAMILY_IPV6:
		*family = AF_INET6;
		return 0;
	default:
		return EAFNOSUPPORT;
	}
}

int stun_attr_even_port(const struct stun_attr *a, bool *reserve)
{
	if (!a || !reserve)
		return EINVAL;
	/* RFC 8656 §18.7: one byte, R in the top bit, the rest RFFU. */
	if (a->len != 1)
		return EBADMSG;
	*reserve = (a->val[0] & 0x80u) != 0;
	return 0;
}

/* §18.5.1: MD5 and SHA-256 take no parameters. */
static bool params_ok(uint16_t alg, uint16_t plen)
{
	return plen == 0 || (alg != STUN_PWALG_MD5 && alg != STUN_PWALG_SHA256);
}

int stun_attr_pwalg(const struct stun_attr *a, uint16_t *alg)
{
	uint16_t id, plen;

	if (!a || !alg)
		return EINVAL;
	/* §14.12: algorithm, parameters length, parameters. */
	if (a->len < 4)
		return EBADMSG;
	id = get_be16(a->val);
	plen = get_be16(a->val + 2);
	if ((size_t)plen + 4 > a->len || !params_ok(id, plen))
		return EBADMSG;
	*alg = id;
	return 0;
}

int stun_attr_pwalgs(const struct stun_attr *a, uint16_t *out, size_t max,
		     size_t *n)
{
	struct cur c;
	uint16_t id, plen;
	size_t count = 0, pad;

	if (!a || !n || (max && !out))
		return EINVAL;
	c = cur_make(a->val, a->len);
	/* §14.11: a list of (algorithm, length, parameters padded to 4). The
	 * last entry's padding is the attribute's own, outside a->len. */
	while (cur_left(&c) > 0) {
		if (!cur_u16(&c, &id) || !cur_u16(&c, &plen) ||
		    !cur_skip(&c, plen) || !params_ok(id, plen))
			return EBADMSG;
		pad = (4u - (plen & 3u)) & 3u;
		cur_skip(&c, pad < cur_left(&c) ? pad : cur_left(&c));
		if (count < max)
			out[count++] = id;
	}
	*n = count;
	return 0;
}

/* A value of exactly size bytes, returned in place. */
static int read_fixed(const struct stun_attr *a, size_t size, const uint8_t **p)
{
	if (!a || !p)
		return EINVAL;
	if (a->len != size)
		return EBADMSG;
	*p = a->val;
	return 0;
}

int stun_attr_userhash(const struct stun_attr *a, const uint8_t **hash)
{
	/* §14.4: SHA-256, 32 bytes. */
	return read_fixed(a, STUN_USERHASH_SIZE, hash);
}

int stun_attr_token(const struct stun_attr *a, const uint8_t **token)
{
	/* RFC 8656 §18.10: 8 bytes. */
	return read_fixed(a, STUN_TOKEN_SIZE, token);
}

int stun_attr_icmp(const struct stun_attr *a, uint8_t *type, uint8_t *code,
		   uint32_t *data)
{
	if (!a || !type || !code || !data)
		return EINVAL;
	/* RFC 8656 §18.13: 16 reserved bits, type, code, 32-bit error data.
	 * The RFC's drawing gives type 7 bits and code 9, but ICMPv6 types
	 * reach 255 (RFC 4443), so each is read as a byte. */
	if (a->len != 8)
		return EBADMSG;
	*type = a->val[2];
	*code = a->val[3];
	*data = get_be32(a->val + 4);
	return 0;
}
