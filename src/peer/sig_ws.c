/*
 * sig_ws.c — WebSocket client framing (see sig_ws.h).
 */
#include "peer/sig_ws.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/why.h"
#include "peer/sdp.h"
#include "signal/ws.h"

size_t peer_ws_request(char *out, size_t size, const char *host,
		       const char *path, const char *key)
{
	int n = snprintf(out, size,
			 "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
			 "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
			 "Sec-WebSocket-Version: 13\r\n"
			 "Sec-WebSocket-Protocol: json\r\n\r\n",
			 path, host, key);

	return n < 0 || (size_t)n >= size ? 0 : (size_t)n;
}

/* The value of header name in head (n bytes), trimmed, or NULL. */
static const char *header(const char *head, size_t n, const char *name,
			  size_t *vlen)
{
	const char *p = head, *end = head + n, *nl, *v;
	size_t k = strlen(name);

	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p)))) {
		if ((size_t)(nl - p) > k && p[k] == ':' &&
		    strncasecmp(p, name, k) == 0) {
			v = p + k + 1;
			while (v < nl && (*v == ' ' || *v == '\t'))
				v++;
			*vlen = (size_t)(nl - v);
			while (*vlen &&
			       (v[*vlen - 1] == '\r' || v[*vlen - 1] == ' '))
				(*vlen)--;
			return v;
		}
		p = nl + 1;
	}
	return NULL;
}

int peer_ws_response(const uint8_t *buf, size_t len, const char *key,
		     size_t *head_len, char *why, size_t why_size)
{
	const char *h = (const char *)buf, *v;
	const uint8_t *end = NULL;
	char want[29];
	size_t i, n;

	for (i = 3; i < len && !end; i++)
		if (memcmp(buf + i - 3, "\r\n\r\n", 4) == 0)
			end = buf + i + 1;
	if (!end)
		return len > 16384 ? why_fail(EPROTO, why, why_size,
					      "The server's answer has no end.")
				   : EAGAIN;
	n = (size_t)(end - buf);
	if (n < 12 || memcmp(h, "HTTP/1.1 101", 12) != 0) {
		char line[61];
		size_t k, m = strcspn(h, "\r\n"); /* the head has a CRLF */

		for (k = 0; k < m && k < 60; k++)
			line[k] = h[k] >= 0x20 && h[k] <= 0x7e ? h[k] : '?';
		line[k] = '\0';
		return why_fail(EPROTO, why, why_size,
				"The server did not switch to WebSocket: "
				"\"%s\".",
				line);
	}
	/* the server's accept key, computed as tern-signal computes it */
	if (sig_ws_accept_key(key, strlen(key), want))
		return why_fail(EPROTO, why, why_size,
				"The WebSocket key is malformed.");
	v = header(h, n, "Sec-WebSocket-Accept", &i);
	if (!v || i != 28 || memcmp(v, want, 28) != 0)
		return why_fail(EPROTO, why, why_size,
				"The server's Sec-WebSocket-Accept is wrong.");
	v = header(h, n, "Sec-WebSocket-Protocol", &i);
	if (!v || i != 4 || memcmp(v, "json", 4) != 0)
		return why_fail(EPROTO, why, why_size,
				"The server did not take the json "
				"subprotocol.");
	*head_len = n;
	return 0;
}

int peer_ws_frame_decode(const uint8_t *buf, size_t len, size_t max,
			 struct peer_ws_frame *f)
{
	size_t hl = 2, n, i;

	if (len < 2)
		return EAGAIN;
	if (buf[0] & 0x70 || buf[1] & 0x80)
		return EBADMSG; /* reserved bits; a server never masks */
	f->fin = buf[0] & 0x80;
	f->opcode = buf[0] & 0x0f;
	n = buf[1] & 0x7f;
	if (n == 126) {
		if (len < 4)
			return EAGAIN;
		n = (size_t)buf[2] << 8 | buf[3];
		hl = 4;
	} else if (n == 127) {
		if (len < 10)
			return EAGAIN;
		if (buf[2] || buf[3] || buf[4] || buf[5])
			return EBADMSG;
		for (n = 0, i = 6; i < 10; i++)
			n = n << 8 | buf[i];
		hl = 10;
	}
	if (n > max || (f->opcode >= 8 && (n > 125 || !f->fin)))
		return EBADMSG;
	if (len - hl < n)
		return EAGAIN;
	f->payload = buf + hl;
	f->len = n;
	f->used = hl + n;
	return 0;
}

size_t peer_ws_frame_encode(uint8_t *out, unsigned opcode,
			    const uint8_t *payload, size_t len,
			    const uint8_t mask[4])
{
	size_t hl = sig_ws_frame_header(out, opcode, len), i;

	out[1] |= 0x80; /* MASK: a client masks every frame (§5.3) */
	memcpy(out + hl, mask, 4);
	hl += 4;
	for (i = 0; i < len; i++)
		out[hl + i] = payload[i] ^ mask[i & 3];
	return hl + len;
}
