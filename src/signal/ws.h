/*
 * ws.h — WebSocket (RFC 6455) for a server: the opening handshake, a frame
 * decoder and a frame encoder. Pure: bytes in, events out; no socket, no
 * clock, no log. Written here rather than on libwslay (see
 * docs/ARCHITECTURE.md, "tern-signal: the pure layer").
 *
 * A frame (RFC 6455 §5.2):
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-------+-+-------------+-------------------------------+
 *   |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
 *   |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
 *   |N|V|V|V|       |S|             |   (if payload len==126/127)   |
 *   | |1|2|3|       |K|             |                               |
 *   +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
 *   |     Extended payload length continued, if payload len == 127  |
 *   + - - - - - - - - - - - - - - - +-------------------------------+
 *   |                               |Masking-key, if MASK set to 1  |
 *   +-------------------------------+-------------------------------+
 *   | Masking-key (continued)       |          Payload Data         |
 *   +-------------------------------- - - - - - - - - - - - - - - - +
 */
#ifndef TERN_SIGNAL_WS_H
#define TERN_SIGNAL_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Opcodes (§5.2, §11.8). */
#define SIG_WS_OP_CONT	 0x0
#define SIG_WS_OP_TEXT	 0x1
#define SIG_WS_OP_BINARY 0x2
#define SIG_WS_OP_CLOSE	 0x8
#define SIG_WS_OP_PING	 0x9
#define SIG_WS_OP_PONG	 0xA

/* Close codes (§7.4.1) this layer sends or reports. */
#define SIG_WS_CLOSE_NORMAL   1000
#define SIG_WS_CLOSE_GOING    1001
#define SIG_WS_CLOSE_PROTOCOL 1002
#define SIG_WS_CLOSE_NOSTATUS 1005 /* reported, never sent (§7.4.1) */
#define SIG_WS_CLOSE_DATA     1007
#define SIG_WS_CLOSE_POLICY   1008
#define SIG_WS_CLOSE_TOOBIG   1009
#define SIG_WS_CLOSE_ERROR    1011
#define SIG_WS_CLOSE_AGAIN    1013

/* ---- opening handshake (§4.2) ------------------------------------------ */

#define SIG_WS_HEAD_MAX_DEFAULT 8192
#define SIG_WS_PATH_MAX		1024
#define SIG_WS_ORIGIN_MAX	256
#define SIG_WS_KEY_LEN		24 /* base64 of 16 bytes */

/* What the caller allows. origins: exact ASCII-case-insensitive matches of
 * the Origin header ("https://example.org"); n_origins 0 allows any origin.
 * A request without Origin (not a browser) is allowed either way: the check
 * protects browsers from pages of other sites, and a non-browser can send
 * any Origin it likes. max_head: cap on the request line and headers with
 * their final empty line (0: SIG_WS_HEAD_MAX_DEFAULT). */
struct sig_ws_hs_opts {
	const char *const *origins;
	size_t n_origins;
	size_t max_head;
};

/* A parsed request head. status is the answer: 101 (a valid upgrade), 400
 * (malformed, or a WebSocket request missing a required header), 403
 * (Origin not allowed), 426 (not a WebSocket upgrade, or a version other
 * than 13), 431 (head over max_head). why is a sentence for the log and the
 * refusal's body. A caller that serves other things (static files) reads
 * method, path and websocket and may replace status (404...) before asking
 * for the response. */
struct sig_ws_req {
	int status;
	const char *why;
	size_t head_len; /* bytes of the head, to drain */
	bool websocket;	 /* Upgrade: websocket was asked for */
	bool proto_json; /* the client offered subprotocol "json" */
	char method[16]; /* NUL-terminated, "" if the request line was bad */
	char path[SIG_WS_PATH_MAX];
	char origin[SIG_WS_ORIGIN_MAX]; /* "" when absent */
	char key[SIG_WS_KEY_LEN + 1];
};

/*
 * Parse a request head from the first len bytes of buf. Returns EAGAIN when
 * the head is not complete yet and still within the cap (call again with
 * more bytes), 0 with *req filled and req->status set otherwise (a refusal
 * too is 0: the answer is the status), EINVAL on bad arguments. Reads only
 * buf[0..len); keeps no pointer into it.
 */
int sig_ws_hs_parse(const uint8_t *buf, size_t len,
		    const struct sig_ws_hs_opts *opts, struct sig_ws_req *req);

/*
 * The answer to req as an HTTP/1.1 response in out (cap bytes), its length
 * in *outlen: for 101 the Switching Protocols response with
 * Sec-WebSocket-Accept and, when offered, "Sec-WebSocket-Protocol: json";
 * for another status a short text/plain refusal with Connection: close
 * (426 adds "Sec-WebSocket-Version: 13", §4.4). Returns 0, ENOSPC (cap too
 * small; 512 bytes are always enough) or EINVAL.
 */
int sig_ws_hs_response(const struct sig_ws_req *req, char *out, size_t cap,
		       size_t *outlen);

/* Sec-WebSocket-Accept for a key (§4.2.2 step 5.4): base64(SHA-1(key +
 * "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")), 28 chars and a NUL in out.
 * Returns 0 or ENOMEM (OpenSSL). */
int sig_ws_accept_key(const char *key, size_t klen, char out[29]);

/* ---- frame decoder (§5) ------------------------------------------------ */

enum sig_ws_ev_type {
	SIG_WS_EV_TEXT = 1, /* a complete text message, valid UTF-8 */
	SIG_WS_EV_BINARY,   /* a complete binary message */
	SIG_WS_EV_PING,	    /* answer with a pong carrying the same data */
	SIG_WS_EV_PONG,
	SIG_WS_EV_CLOSE, /* the peer's close: code (1005 if none) and reason */
	SIG_WS_EV_FAIL,	 /* protocol error: send a close with code, drop */
};

/* One event. data/len point into the decoder and stay valid until the next
 * call on it. For CLOSE, data/len are the reason (UTF-8, checked). For
 * FAIL, code is the close code to send and why a sentence for the log. */
struct sig_ws_event {
	enum sig_ws_ev_type type;
	const uint8_t *data;
	size_t len;
	uint16_t code;
	const char *why;
};

struct sig_ws_dec;

/* A decoder for one client connection. max_message caps a reassembled
 * message (all its fragments); the decoder never holds more than that plus
 * 125 bytes of control payload, so memory per connection is bounded.
 * Returns 0, EINVAL (max_message 0) or ENOMEM; *dp is set only on 0. */
int sig_ws_dec_alloc(struct sig_ws_dec **dp, size_t max_message);

/* Free a decoder and its message buffer. Accepts NULL. */
void sig_ws_dec_free(struct sig_ws_dec *d);

/*
 * Feed bytes received from the client. Consumes bytes up to and including
 * the end of the first event and returns 0 with *ev filled and *used the
 * bytes consumed (drain them; call again with the rest: more events may
 * wait there). Returns EAGAIN when all len bytes were consumed without
 * completing an event (*used == len: need more bytes). After a CLOSE or a
 * FAIL event the stream is over (§5.5.1: nothing follows a close) and
 * every call returns EPIPE. ENOMEM if the message buffer cannot grow:
 * *used bytes were consumed, the rest not, and the decoder stays usable.
 */
int sig_ws_dec_input(struct sig_ws_dec *d, const uint8_t *buf, size_t len,
		     size_t *used, struct sig_ws_event *ev);

/* ---- encoder (server frames are never masked, §5.1) -------------------- */

#define SIG_WS_HDR_MAX 10

/* The header of a final (FIN) unmasked frame of opcode and payload length
 * len with the shortest length form (§5.2) in out; returns its length (2,
 * 4 or 10). The caller writes the payload after it. */
size_t sig_ws_frame_header(uint8_t out[SIG_WS_HDR_MAX], unsigned opcode,
			   uint64_t len);

/* The payload of a close frame: code in network order, then reason (at
 * most 123 bytes of UTF-8). Returns 0 or EINVAL (code not sendable, reason
 * too long or not UTF-8). out holds at least 125 bytes. */
int sig_ws_close_payload(uint16_t code, const char *reason, size_t rlen,
			 uint8_t out[125], size_t *len);

/* May a close frame carry this code (§7.4.1, §7.4.2)? 1000-1003,
 * 1007-1014 and 3000-4999. */
bool sig_ws_close_code_valid(uint16_t code);

/* Is buf valid UTF-8 (RFC 3629: no overlongs, no surrogates, at most
 * U+10FFFF)? */
bool sig_utf8_valid(const uint8_t *buf, size_t len);

#endif
