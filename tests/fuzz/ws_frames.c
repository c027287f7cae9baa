/*
 * ws_frames.c — libFuzzer target for the WebSocket codec (src/signal/ws.h):
 * the input as bytes from a client, both as a handshake request and as a
 * frame stream.
 *
 * Handshake: a decision (0) has a known status, a head inside the input,
 * and a response that fits 512 bytes; otherwise EAGAIN, only when the input
 * is under the cap. Frames: decoded twice, whole and in pieces whose sizes
 * come from the input; both runs give the same events. Every text message
 * is valid UTF-8, no message is over the cap, a close code is valid, a
 * failure names a close code this layer sends, and nothing follows a close
 * or a failure.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "signal/ws.h"
#include "fuzz.h"

#define CAP	   4096
#define MAX_EVENTS 256

struct run {
	size_t n;
	uint32_t ev[MAX_EVENTS][3]; /* type, code, len */
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void handshake(const uint8_t *data, size_t size)
{
	struct sig_ws_hs_opts o = { NULL, 0, 1024 };
	const char *allow[] = { "https://a.example" };
	struct sig_ws_req req;
	char out[512];
	size_t n;
	int r;

	r = sig_ws_hs_parse(data, size, &o, &req);
	if (r == EAGAIN) {
		CHECK(size < 1024);
		return;
	}
	CHECK(r == 0);
	CHECK(req.status == 101 || req.status == 400 || req.status == 403 ||
	      req.status == 426 || req.status == 431);
	CHECK(req.head_len <= size && req.why);
	CHECK(sig_ws_hs_response(&req, out, sizeof(out), &n) == 0);
	CHECK(n == strlen(out));
	o.origins = allow;
	o.n_origins = 1;
	CHECK(sig_ws_hs_parse(data, size, &o, &req) == 0);
}

static void check_event(const struct sig_ws_event *ev)
{
	switch (ev->type) {
	case SIG_WS_EV_TEXT:
		CHECK(sig_utf8_valid(ev->data, ev->len));
		/* fall through */
	case SIG_WS_EV_BINARY:
		CHECK(ev->len <= CAP);
		break;
	case SIG_WS_EV_PING:
	case SIG_WS_EV_PONG:
		CHECK(ev->len <= 125);
		break;
	case SIG_WS_EV_CLOSE:
		CHECK(ev->code == 1005 || sig_ws_close_code_valid(ev->code));
		CHECK(ev->len <= 123 && sig_utf8_valid(ev->data, ev->len));
		break;
	case SIG_WS_EV_FAIL:
		CHECK(ev->code == 1002 || ev->code == 1007 || ev->code == 1009);
		CHECK(ev->why != NULL);
		break;
	default:
		CHECK(0);
	}
}

/* Decode data in pieces of sizes drawn from step (0: whole). */
static void frames(const uint8_t *data, size_t size, uint8_t step,
		   struct run *run)
{
	struct sig_ws_dec *d;
	struct sig_ws_event ev;
	size_t off = 0, end = 0, used;
	bool over = false;
	int r;

	CHECK(sig_ws_dec_alloc(&d, CAP) == 0);
	run->n = 0;
	while (off < size) {
		if (end <= off)
			end = step ? off + 1 + (data[off] % step) : size;
		if (end > size)
			end = size;
		r = sig_ws_dec_input(d, data + off, end - off, &used, &ev);
		if (r == EPIPE) {
			CHECK(over);
			break;
		}
		CHECK(r == 0 || r == EAGAIN);
		CHECK(used <= end - off);
		off += used;
		if (r == EAGAIN) {
			CHECK(off == end);
			continue;
		}
		check_event(&ev);
		over = ev.type == SIG_WS_EV_CLOSE || ev.type == SIG_WS_EV_FAIL;
		if (run->n < MAX_EVENTS) {
			run->ev[run->n][0] = ev.type;
			run->ev[run->n][1] = ev.code;
			run->ev[run->n][2] = (uint32_t)ev.len;
			run->n++;
		}
	}
	sig_ws_dec_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct run whole, pieces;

	if (size > 3 * CAP)
		return 0;
	handshake(data, size);
	frames(data, size, 0, &whole);
	frames(data, size, size ? (uint8_t)(data[0] | 1) : 1, &pieces);
	CHECK(whole.n == pieces.n);
	CHECK(!memcmp(whole.ev, pieces.ev, whole.n * sizeof(whole.ev[0])));
	return 0;
}
