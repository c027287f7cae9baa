/*
 * sig_ws.h — the client side of WebSocket (RFC 6455) for tern-peer's
 * signaling client: the opening request and the check of the server's
 * answer, the decoder of server frames (never masked, §5.1) and the
 * encoder of client frames (always masked). Pure: bytes in, bytes out.
 * (src/signal/ws.h is the server side: it requires masked frames.)
 *
 *   GET /ws HTTP/1.1                    HTTP/1.1 101 Switching Protocols
 *   Host: h:p                           Upgrade: websocket
 *   Upgrade: websocket          --->    Connection: Upgrade
 *   Connection: Upgrade                 Sec-WebSocket-Accept: base64(SHA-1(
 *   Sec-WebSocket-Key: base64(16)         key + 258EAFA5-E914-47DA-95CA-
 *   Sec-WebSocket-Version: 13             C5AB0DC85B11))
 *   Sec-WebSocket-Protocol: json        Sec-WebSocket-Protocol: json
 */
#ifndef TERN_PEER_SIG_WS_H
#define TERN_PEER_SIG_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PEER_WS_KEY_LEN 24

/* The request for path on host ("h:p") with key (24 base64 characters)
 * into out. Returns its length, or 0 when it does not fit. */
size_t peer_ws_request(char *out, size_t size, const char *host,
		       const char *path, const char *key);

/*
 * Check the server's answer in buf (len bytes). Returns 0 with *head_len
 * the bytes of the head (frames may follow), EAGAIN (the head is not
 * complete yet), or EPROTO with a sentence in why (not 101, a wrong or
 * missing accept key, no "json" subprotocol).
 */
int peer_ws_response(const uint8_t *buf, size_t len, const char *key,
		     size_t *head_len, char *why, size_t why_size);

/* One frame from the server. */
struct peer_ws_frame {
	unsigned opcode; /* 1 text, 2 binary, 8 close, 9 ping, 10 pong, 0 */
	bool fin;
	const uint8_t *payload; /* into the input */
	size_t len;
	size_t used; /* bytes of the whole frame */
};

/* Decode one frame at buf. Returns 0, EAGAIN (incomplete), or EBADMSG
 * (masked, reserved bits, a control frame over 125 bytes or fragmented,
 * longer than max). */
int peer_ws_frame_decode(const uint8_t *buf, size_t len, size_t max,
			 struct peer_ws_frame *f);

/* A final masked frame of opcode carrying payload (len bytes) into out
 * (at least len + 14 bytes) with mask (4 random bytes). Returns its
 * length. */
size_t peer_ws_frame_encode(uint8_t *out, unsigned opcode,
			    const uint8_t *payload, size_t len,
			    const uint8_t mask[4]);

#endif
