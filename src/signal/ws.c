/*
 * ws.c — WebSocket frames for a server (RFC 6455 §5): an incremental
 * decoder fed from a byte stream, the encoder, close payloads, UTF-8.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/cursor.h"
#include "signal/utf8.h"
#include "signal/ws.h"

enum { ST_HDR, ST_PAYLOAD, ST_DONE };

struct sig_ws_dec {
	size_t max_message;
	int state;
	/* the frame being read */
	uint8_t hdr[14];
	size_t hlen, hneed;
	uint8_t opcode;
	bool fin;
	uint8_t mask[4];
	uint64_t left; /* payload bytes still to come */
	uint64_t moff; /* payload bytes read: index into the mask */
	/* the data message being reassembled (§5.4) */
	bool in_msg;
	uint8_t msg_op;
	uint8_t *msg;
	size_t msg_len, msg_cap;
	bool delivered; /* msg was handed out: empty it on the next call */
	struct utf8 u8;
	/* a control frame's payload (§5.5: at most 125 bytes) */
	uint8_t ctrl[125];
	size_t ctrl_len;
};

int sig_ws_dec_alloc(struct sig_ws_dec **dp, size_t max_message)
{
	struct sig_ws_dec *d;

	if (!dp || max_message == 0)
		return EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return ENOMEM;
	d->max_message = max_message;
	d->state = ST_HDR;
	d->hneed = 2;
	utf8_reset(&d->u8);
	*dp = d;
	return 0;
}

void sig_ws_dec_free(struct sig_ws_dec *d)
{
	if (!d)
		return;
	free(d->msg);
	free(d);
}

static int fail(struct sig_ws_dec *d, struct sig_ws_event *ev, uint16_t code,
		const char *why)
{
	d->state = ST_DONE;
	ev->type = SIG_WS_EV_FAIL;
	ev->code = code;
	ev->why = why;
	return 0;
}

static bool is_control(uint8_t op)
{
	return (op & 0x8) != 0;
}

/* The first two bytes alone decide most of a frame's fate: check them
 * before waiting for the rest of the header. Returns a reason or NULL. */
static const char *check_first(struct sig_ws_dec *d)
{
	uint8_t b0 = d->hdr[0], b1 = d->hdr[1];
	uint8_t op = b0 & 0x0F, len7 = b1 & 0x7F;

	d->fin = (b0 & 0x80) != 0;
	d->opcode = op;
	/* §5.2: RSV1-3 MUST be 0 unless an extension was negotiated (none) */
	if (b0 & 0x70)
		return "RSV bit set, no extension negotiated (RFC 6455 §5.2)";
	if (op != SIG_WS_OP_CONT && op != SIG_WS_OP_TEXT &&
	    op != SIG_WS_OP_BINARY && op != SIG_WS_OP_CLOSE &&
	    op != SIG_WS_OP_PING && op != SIG_WS_OP_PONG)
		return "reserved opcode (RFC 6455 §5.2)";
	/* §5.1: a server MUST close on an unmasked client frame */
	if (!(b1 & 0x80))
		return "unmasked client frame (RFC 6455 §5.1)";
	if (is_control(op) && !d->fin)
		return "fragmented control frame (RFC 6455 §5.5)";
	if (is_control(op) && len7 > 125)
		return "control frame over 125 bytes (RFC 6455 §5.5)";
	if (op == SIG_WS_OP_CONT && !d->in_msg)
		return "continuation frame outside a message (RFC 6455 §5.4)";
	if ((op == SIG_WS_OP_TEXT || op == SIG_WS_OP_BINARY) && d->in_msg)
		return "new data frame inside a fragmented message (RFC 6455 "
		       "§5.4)";
	d->hneed = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + 4;
	return NULL;
}

/* The whole header is in: length forms and the message cap. Returns a
 * close code (0: fine) and sets *why. */
static uint16_t check_length(struct sig_ws_dec *d, const char **why)
{
	uint8_t len7 = d->hdr[1] & 0x7F;
	uint64_t n = len7;
	size_t i, at = 2;

	if (len7 == 126) {
		n = get_be16(d->hdr + 2);
		at = 4;
		if (n < 126) {
			*why =
			    "16-bit length under 126 (RFC 6455 §5.2: minimal)";
			return SIG_WS_CLOSE_PROTOCOL;
		}
	} else if (len7 == 127) {
		n = ((uint64_t)get_be32(d->hdr + 2) << 32) |
		    get_be32(d->hdr + 6);
		at = 10;
		if (n >> 63) {
			*why = "64-bit length with the top bit set (RFC 6455 "
			       "§5.2)";
			return SIG_WS_CLOSE_PROTOCOL;
		}
		if (n < 65536) {
			*why = "64-bit length under 65536 (RFC 6455 §5.2: "
			       "minimal)";
			return SIG_WS_CLOSE_PROTOCOL;
		}
	}
	for (i = 0; i < 4; i++)
		d->mask[i] = d->hdr[at + i];
	if (!is_control(d->opcode) && n > d->max_message - d->msg_len) {
		*why = "message over the size cap";
		return SIG_WS_CLOSE_TOOBIG;
	}
	d->left = n;
	d->moff = 0;
	return 0;
}

/* Read header bytes. Returns 1 when the header is complete and valid, 0
 * when more bytes are needed (all of c consumed), -1 after fail(). */
static int take_header(struct sig_ws_dec *d, struct cur *c,
		       struct sig_ws_event *ev)
{
	const char *why = NULL;
	uint16_t code;

	while (d->hlen < d->hneed) {
		if (!cur_u8(c, &d->hdr[d->hlen]))
			return 0;
		d->hlen++;
		if (d->hlen == 2 && (why = check_first(d)) != NULL)
			return fail(d, ev, SIG_WS_CLOSE_PROTOCOL, why), -1;
	}
	code = check_length(d, &why);
	if (code)
		return fail(d, ev, code, why), -1;
	if (d->opcode == SIG_WS_OP_TEXT || d->opcode == SIG_WS_OP_BINARY) {
		d->in_msg = true;
		d->msg_op = d->opcode;
		utf8_reset(&d->u8);
	}
	d->ctrl_len = 0;
	return 1;
}

static int grow(struct sig_ws_dec *d, size_t need)
{
	size_t cap = d->msg_cap ? d->msg_cap : 256;
	uint8_t *p;

	if (need <= d->msg_cap)
		return 0;
	while (cap < need)
		cap = cap > d->max_message / 2 ? d->max_message : cap * 2;
	p = realloc(d->msg, cap);
	if (!p)
		return ENOMEM;
	d->msg = p;
	d->msg_cap = cap;
	return 0;
}

/* Unmask what is there of the payload into its place. Returns 0, ENOMEM,
 * or EBADMSG for text that can no longer be UTF-8. */
static int take_payload(struct sig_ws_dec *d, struct cur *c)
{
	size_t n = cur_left(c), i;
	const uint8_t *src;
	uint8_t *dst;
	bool text = !is_control(d->opcode) && d->msg_op == SIG_WS_OP_TEXT;

	if (n > d->left)
		n = (size_t)d->left;
	if (n == 0)
		return 0; /* an empty frame: d->msg may still be NULL */
	if (is_control(d->opcode)) {
		dst = d->ctrl + d->ctrl_len;
	} else {
		if (grow(d, d->msg_len + n))
			return ENOMEM;
		dst = d->msg + d->msg_len;
	}
	cur_take(c, n, &src);
	for (i = 0; i < n; i++)
		dst[i] = src[i] ^ d->mask[(d->moff + i) & 3];
	d->moff += n;
	d->left -= n;
	if (is_control(d->opcode))
		d->ctrl_len += n;
	else
		d->msg_len += n;
	for (i = 0; text && i < n; i++)
		if (!utf8_step(&d->u8, dst[i]))
			return EBADMSG;
	return 0;
}

/* §5.5.1: an optional 2-byte code, then a UTF-8 reason. */
static int close_event(struct sig_ws_dec *d, struct sig_ws_event *ev)
{
	uint16_t code;

	if (d->ctrl_len == 0) {
		ev->type = SIG_WS_EV_CLOSE;
		ev->code = SIG_WS_CLOSE_NOSTATUS;
		ev->data = d->ctrl;
		ev->len = 0;
		d->state = ST_DONE;
		return 0;
	}
	if (d->ctrl_len == 1)
		return fail(d, ev, SIG_WS_CLOSE_PROTOCOL,
			    "close payload of one byte (RFC 6455 §5.5.1)");
	code = get_be16(d->ctrl);
	if (!sig_ws_close_code_valid(code))
		return fail(d, ev, SIG_WS_CLOSE_PROTOCOL,
			    "invalid close code (RFC 6455 §7.4)");
	if (!sig_utf8_valid(d->ctrl + 2, d->ctrl_len - 2))
		return fail(d, ev, SIG_WS_CLOSE_DATA,
			    "close reason is not UTF-8 (RFC 6455 §5.5.1)");
	ev->type = SIG_WS_EV_CLOSE;
	ev->code = code;
	ev->data = d->ctrl + 2;
	ev->len = d->ctrl_len - 2;
	d->state = ST_DONE;
	return 0;
}

/* A frame is complete. Returns true when it makes an event. */
static bool frame_done(struct sig_ws_dec *d, struct sig_ws_event *ev)
{
	d->hlen = 0;
	d->hneed = 2;
	d->state = ST_HDR;
	if (d->opcode == SIG_WS_OP_CLOSE)
		return close_event(d, ev), true;
	if (d->opcode == SIG_WS_OP_PING || d->opcode == SIG_WS_OP_PONG) {
		ev->type = d->opcode == SIG_WS_OP_PING ? SIG_WS_EV_PING
						       : SIG_WS_EV_PONG;
		ev->data = d->ctrl;
		ev->len = d->ctrl_len;
		return true;
	}
	if (!d->fin)
		return false;
	if (d->msg_op == SIG_WS_OP_TEXT && !utf8_complete(&d->u8))
		return fail(d, ev, SIG_WS_CLOSE_DATA,
			    "text message ends inside a UTF-8 sequence"),
		       true;
	ev->type =
	    d->msg_op == SIG_WS_OP_TEXT ? SIG_WS_EV_TEXT : SIG_WS_EV_BINARY;
	ev->data = d->msg_len ? d->msg : (const uint8_t *)"";
	ev->len = d->msg_len;
	d->in_msg = false;
	d->delivered = true;
	return true;
}

int sig_ws_dec_input(struct sig_ws_dec *d, const uint8_t *buf, size_t len,
		     size_t *used, struct sig_ws_event *ev)
{
	struct cur c = cur_make(buf, len);
	int r;

	if (!d || (!buf && len) || !used || !ev)
		return EINVAL;
	*used = 0;
	if (d->state == ST_DONE)
		return EPIPE;
	memset(ev, 0, sizeof(*ev));
	if (d->delivered) {
		d->msg_len = 0;
		d->delivered = false;
	}
	for (;;) {
		if (d->state == ST_HDR) {
			r = take_header(d, &c, ev);
			if (r == 0)
				break;
			if (r < 0)
				goto event;
			d->state = ST_PAYLOAD;
		}
		r = take_payload(d, &c);
		if (r == ENOMEM) {
			*used = (size_t)(c.pos - buf);
			return ENOMEM;
		}
		if (r == EBADMSG) {
			fail(d, ev, SIG_WS_CLOSE_DATA,
			     "text message is not UTF-8 (RFC 6455 §8.1)");
			goto event;
		}
		if (d->left > 0)
			break;
		if (frame_done(d, ev))
			goto event;
	}
	*used = len;
	return EAGAIN;
event:
	*used = (size_t)(c.pos - buf);
	return 0;
}

size_t sig_ws_frame_header(uint8_t out[SIG_WS_HDR_MAX], unsigned opcode,
			   uint64_t len)
{
	out[0] = (uint8_t)(0x80 | (opcode & 0x0F));
	if (len < 126) {
		out[1] = (uint8_t)len;
		return 2;
	}
	if (len <= 0xFFFF) {
		out[1] = 126;
		put_be16(out + 2, (uint16_t)len);
		return 4;
	}
	out[1] = 127;
	put_be32(out + 2, (uint32_t)(len >> 32));
	put_be32(out + 6, (uint32_t)len);
	return 10;
}

bool sig_ws_close_code_valid(uint16_t code)
{
	/* §7.4.1: 1004 reserved; 1005, 1006 and 1015 MUST NOT be sent;
	 * 1016-2999 unassigned; 3000-4999 for libraries and applications. */
	return (code >= 1000 && code <= 1003) ||
	       (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

int sig_ws_close_payload(uint16_t code, const char *reason, size_t rlen,
			 uint8_t out[125], size_t *len)
{
	if (!out || !len || (!reason && rlen) || rlen > 123 ||
	    !sig_ws_close_code_valid(code))
		return EINVAL;
	if (rlen && !sig_utf8_valid((const uint8_t *)reason, rlen))
		return EINVAL;
	put_be16(out, code);
	if (rlen)
		memcpy(out + 2, reason, rlen);
	*len = 2 + rlen;
	return 0;
}

bool sig_utf8_valid(const uint8_t *buf, size_t len)
{
	struct utf8 u;
	size_t i;

	utf8_reset(&u);
	for (i = 0; i < len; i++)
		if (!utf8_step(&u, buf[i]))
			return false;
	return utf8_complete(&u);
}
