/*
 * msg.c — STUN message header, type <-> method/class, and the single-pass
 * decoder (RFC 8489 §5, §6.3, §12, §14).
 *
 * The decoder walks the attributes once through a bounded cursor, keeps a
 * pointer into the caller's buffer for each one, and copies nothing.
 */
#include "stun/stun.h"

#include <errno.h>
#include <string.h>

#include "base/cursor.h"

/*
 * RFC 8489 §5: the 12-bit method and 2-bit class are interleaved in the
 * 14-bit type as M11..M7 C1 M6..M4 C0 M3..M0.
 */
uint16_t stun_type(uint16_t method, enum stun_class cls)
{
	unsigned m = method & 0x0FFFu, c = (unsigned)cls & 0x3u;

	return (uint16_t)((m & 0x000Fu) | ((m & 0x0070u) << 1) |
			  ((m & 0x0F80u) << 2) | ((c & 0x1u) << 4) |
			  ((c & 0x2u) << 7));
}

uint16_t stun_type_method(uint16_t type)
{
	return (uint16_t)((type & 0x000Fu) | ((type & 0x00E0u) >> 1) |
			  ((type & 0x3E00u) >> 2));
}

enum stun_class stun_type_class(uint16_t type)
{
	return (enum stun_class)(((type >> 4) & 0x1u) | ((type >> 7) & 0x2u));
}

bool stun_msg_is_stun(const uint8_t *buf, size_t len)
{
	/* RFC 8489 §6.3: the first two bits are zero, the length's last two
	 * bits are zero, and the cookie is there (RFC 7983 routes on the
	 * first byte alone; this is the stricter check before a decode). */
	return buf && len >= STUN_HEADER_SIZE && (buf[0] & 0xC0u) == 0 &&
	       (buf[3] & 0x3u) == 0 && get_be32(buf + 4) == STUN_MAGIC_COOKIE;
}

/*
 * The attribute types this codec understands. A comprehension-required type
 * outside this list makes a request earn a 420 (RFC 8489 §6.3.1, §7.3.1).
 */
static bool attr_known(uint16_t type)
{
	switch (type) {
	case STUN_ATTR_MAPPED_ADDRESS:
	case STUN_ATTR_RESPONSE_ADDRESS:
	case STUN_ATTR_CHANGE_REQUEST:
	case STUN_ATTR_SOURCE_ADDRESS:
	case STUN_ATTR_CHANGED_ADDRESS:
	case STUN_ATTR_USERNAME:
	case STUN_ATTR_MESSAGE_INTEGRITY:
	case STUN_ATTR_ERROR_CODE:
	case STUN_ATTR_UNKNOWN_ATTRIBUTES:
	case STUN_ATTR_CHANNEL_NUMBER:
	case STUN_ATTR_LIFETIME:
	case STUN_ATTR_XOR_PEER_ADDRESS:
	case STUN_ATTR_DATA:
	case STUN_ATTR_REALM:
	case STUN_ATTR_NONCE:
	case STUN_ATTR_XOR_RELAYED_ADDRESS:
	case STUN_ATTR_REQUESTED_ADDRESS_FAMILY:
	case STUN_ATTR_EVEN_PORT:
	case STUN_ATTR_REQUESTED_TRANSPORT:
	case STUN_ATTR_DONT_FRAGMENT:
	case STUN_ATTR_MESSAGE_INTEGRITY_SHA256:
	case STUN_ATTR_PASSWORD_ALGORITHM:
	case STUN_ATTR_USERHASH:
	case STUN_ATTR_XOR_MAPPED_ADDRESS:
	case STUN_ATTR_RESERVATION_TOKEN:
	case STUN_ATTR_PRIORITY:
	case STUN_ATTR_USE_CANDIDATE:
	case STUN_ATTR_PADDING:
	case STUN_ATTR_RESPONSE_PORT:
	case STUN_ATTR_CONNECTION_ID:
		return true;
	default:
		return false;
	}
}

static void add_unknown(struct stun_msg *msg, uint16_t type)
{
	unsigned i;

	/* §14.13 lists types, not occurrences: name each once. */
	for (i = 0; i < msg->nunknown; i++) {
		if (msg->unknown[i] == type)
			return;
	}
	if (msg->nunknown < STUN_MAX_UNKNOWN)
		msg->unknown[msg->nunknown++] = type;
}

/* Is an attribute of this type kept, given the integrity attributes seen so
 * far? §14.5: after MESSAGE-INTEGRITY only MESSAGE-INTEGRITY-SHA256 and
 * FINGERPRINT; §14.6: after MESSAGE-INTEGRITY-SHA256 only FINGERPRINT;
 * agents ignore anything else that follows them. */
static bool attr_kept(const struct stun_msg *msg, uint16_t type)
{
	if (msg->mi256 >= 0)
		return type == STUN_ATTR_FINGERPRINT;
	if (msg->mi >= 0)
		return type == STUN_ATTR_FINGERPRINT ||
		       type == STUN_ATTR_MESSAGE_INTEGRITY_SHA256;
	return true;
}

/* Structural checks on the attributes decode itself relies on. */
static int note_special(struct stun_msg *msg, const struct stun_attr *a,
			int idx)
{
	switch (a->type) {
	case STUN_ATTR_MESSAGE_INTEGRITY:
		/* §14.5: HMAC-SHA1, so 20 bytes. */
		if (a->len != STUN_MI_SIZE)
			return EBADMSG;
		msg->mi = idx;
		break;
	case STUN_ATTR_MESSAGE_INTEGRITY_SHA256:
		/* §14.6: at most 32, at least 16, a multiple of 4. */
		if (a->len < 16 || a->len > 32 || (a->len & 3u))
			return EBADMSG;
		msg->mi256 = idx;
		break;
	case STUN_ATTR_FINGERPRINT:
		/* §14.7: a 32-bit CRC. */
		if (a->len != 4)
			return EBADMSG;
		msg->fp = idx;
		break;
	default:
		if (stun_attr_required(a->type) && !attr_known(a->type))
			add_unknown(msg, a->type);
		break;
	}
	return 0;
}

static int decode_header(struct stun_msg *msg, const uint8_t *buf, size_t len,
			 unsigned flags)
{
	uint16_t hlen;

	/* Offsets are 16-bit; a datagram cannot be longer anyway. */
	if (len < STUN_HEADER_SIZE || len > STUN_MAX_MSG)
		return EBADMSG;
	/* §5: the two most significant bits are zero. */
	if (buf[0] & 0xC0u)
		return EBADMSG;
	/* §5: attributes are padded, so the length is a multiple of 4; §6.3:
	 * and it must describe exactly what we received. */
	hlen = get_be16(buf + 2);
	if ((hlen & 3u) || (size_t)hlen + STUN_HEADER_SIZE != len)
		return EBADMSG;

	msg->buf = buf;
	msg->len = len;
	msg->type = get_be16(buf);
	msg->method = stun_type_method(msg->type);
	msg->cls = stun_type_class(msg->type);
	msg->cookie = get_be32(buf + 4);
	msg->rfc3489 = false;
	/* §12: an RFC 3489 client puts random bits where the cookie goes; a
	 * server may answer its Binding request. Nothing else predates the
	 * cookie, so any other message without it is not STUN. */
	if (msg->cookie != STUN_MAGIC_COOKIE) {
		if (!(flags & STUN_DECODE_ALLOW_RFC3489) ||
		    msg->method != STUN_METHOD_BINDING ||
		    msg->cls != STUN_CLASS_REQUEST)
			return EBADMSG;
		msg->rfc3489 = true;
	}
	memcpy(msg->tid, buf + 8, STUN_TID_SIZE);
	return 0;
}

/* FINGERPRINT covers everything before it with the real header length,
 * since it is the last attribute (§14.7). */
static int check_fingerprint(const struct stun_msg *msg)
{
	const struct stun_attr *a = &msg->attrs[msg->fp];
	uint32_t want = stun_crc32(msg->buf, a->offset) ^ STUN_FINGERPRINT_XOR;

	return get_be32(a->val) == want ? 0 : EBADMSG;
}

static int decode_attrs(struct stun_msg *msg)
{
	struct cur c =
	    cur_make(msg->buf + STUN_HEADER_SIZE, msg->len - STUN_HEADER_SIZE);
	uint16_t type, alen;
	const uint8_t *start, *val;
	struct stun_attr *a;
	int err;

	while (cur_left(&c) > 0) {
		start = c.pos;
		/* The value and its padding (§14) must lie inside the
		 * message; the 4-byte header always does, since both the
		 * message and every padded attribute are multiples of 4. */
		if (!cur_u16(&c, &type) || !cur_u16(&c, &alen) ||
		    !cur_take(&c, alen, &val) ||
		    !cur_skip(&c, (4u - (alen & 3u)) & 3u))
			return EBADMSG;
		/* §14.7: FINGERPRINT is the last attribute. */
		if (msg->fp >= 0)
			return EBADMSG;
		if (!attr_kept(msg, type))
			continue;
		if (msg->nattrs >= STUN_MAX_ATTRS)
			return EBADMSG;
		a = &msg->attrs[msg->nattrs];
		a->type = type;
		a->len = alen;
		a->offset = (uint16_t)(start - msg->buf);
		a->val = val;
		err = note_special(msg, a, (int)msg->nattrs);
		if (err)
			return err;
		msg->nattrs++;
	}
	return msg->fp >= 0 ? check_fingerprint(msg) : 0;
}

int stun_msg_decode(struct stun_msg *msg, const uint8_t *buf, size_t len,
		    unsigned flags)
{
	int err;

	if (!msg || !buf)
		return EINVAL;
	err = decode_header(msg, buf, len, flags);
	if (err)
		return err;
	msg->nattrs = 0;
	msg->mi = -1;
	msg->mi256 = -1;
	msg->fp = -1;
	msg->nunknown = 0;
	return decode_attrs(msg);
}

const struct stun_attr *stun_msg_attr(const struct stun_msg *msg, uint16_t type)
{
	unsigned i;

	/* §14: only the first occurrence of a repeated attribute counts. */
	for (i = 0; i < msg->nattrs; i++) {
		if (msg->attrs[i].type == type)
			return &msg->attrs[i];
	}
	return NULL;
}
