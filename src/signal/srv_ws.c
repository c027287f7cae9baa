/*
 * srv_ws.c — the WebSocket side of a tern-signal connection: the upgrade,
 * frames in (ws.h's decoder) and out, the room (room.h), the per-connection
 * message rate, the output cap, idle pings. See srv.h.
 *
 * Close codes sent: 1000 (the client closed: echoed), 1001 (idle, or the
 * server stopping), 1002 (protocol error, e.g. an unmasked frame), 1003
 * (a binary message: the protocol is JSON text), 1007 (text not UTF-8),
 * 1008 (over the message rate, or a reader too slow for its output cap),
 * 1009 (a message over limits.message), 1011 (out of memory), 1013 (the
 * room is full: limits.users).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "base/clock.h"
#include "base/rand.h"
#include "signal/room.h"
#include "signal/srv.h"
#include "signal/ws.h"

enum { USERLIST_MS = 50 };

/* base64url without padding of 32 CSPRNG bytes (RFC 4648 §5). */
static int make_token(char out[SIG_TOKEN_LEN + 1])
{
	uint8_t raw[32];
	char b64[48];

	if (rand_bytes(raw, sizeof(raw)))
		return EIO;
	EVP_EncodeBlock((unsigned char *)b64, raw, sizeof(raw));
	OPENSSL_cleanse(raw, sizeof(raw));
	for (size_t i = 0; i < SIG_TOKEN_LEN; i++)
		out[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
	out[SIG_TOKEN_LEN] = '\0';
	OPENSSL_cleanse(b64, sizeof(b64));
	return 0;
}

bool srv_ws_send(struct conn *c, unsigned opcode, const void *p, size_t n)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	uint8_t hdr[SIG_WS_HDR_MAX];
	size_t h;

	if (c->state != CONN_WS)
		return false;
	h = sig_ws_frame_header(hdr, opcode, n);
	if (evbuffer_get_length(out) + h + n > c->s->cf->max_output) {
		/* a reader slower than the room talks: it goes, and the
		 * memory it held with it */
		c->s->st.slow_closed++;
		srv_kick(c, SIG_WS_CLOSE_POLICY, "output over the cap");
		return false;
	}
	evbuffer_add(out, hdr, h);
	evbuffer_add(out, p, n);
	c->s->st.bytes_out += h + n;
	if (opcode == SIG_WS_OP_TEXT)
		c->s->st.msgs_out++;
	return true;
}

static uint32_t id_hash(uint64_t id)
{
	return (uint32_t)((id * 0x9E3779B97F4A7C15ull) >> 32);
}

static struct conn *by_id(struct srv *s, uint64_t id)
{
	uint32_t h = id_hash(id);

	for (struct hmap_node *n = hmap_first(&s->by_id, h); n;
	     n = hmap_next(n, h)) {
		struct conn *c =
		    (struct conn *)((char *)n - offsetof(struct conn, by_id));
		if (c->id == id)
			return c;
	}
	return NULL;
}

void srv_ws_flush_userlist(struct srv *s)
{
	char *t = s->userlist;

	if (!t)
		return;
	s->userlist = NULL;
	for (struct conn *c = s->conns; c; c = c->next)
		if (c->state == CONN_WS && c->id)
			srv_ws_send(c, SIG_WS_OP_TEXT, t, s->userlist_len);
	free(t);
	srv_run_kicks(s);
}

static void on_userlist_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	srv_ws_flush_userlist(arg);
}

/* Keep the latest userlist for the timer (see srv.h). false: send it
 * now (out of memory for the copy, or no timer). */
static bool defer_userlist(struct srv *s, const struct sig_send *m)
{
	struct timeval tv = { 0, USERLIST_MS * 1000 };
	char *t;

	if (!s->ul_timer)
		s->ul_timer = event_new(s->base, -1, 0, on_userlist_timer, s);
	t = s->ul_timer ? malloc(m->len) : NULL;
	if (!t)
		return false;
	memcpy(t, m->text, m->len);
	if (!s->userlist && event_add(s->ul_timer, &tv)) {
		free(t);
		return false;
	}
	free(s->userlist);
	s->userlist = t;
	s->userlist_len = m->len;
	return true;
}

static bool is_userlist(const struct sig_send *m)
{
	static const char p[] = "{\"type\":\"userlist\"";

	return m->len >= sizeof(p) - 1 && !memcmp(m->text, p, sizeof(p) - 1);
}

/* Send what the room asked for; a connection it names that is gone or
 * closing is skipped. A userlist (the room sends it to everyone, the
 * same text) waits for the userlist timer. */
static void deliver(struct srv *s, struct sig_outbox *ob)
{
	const char *deferred = NULL;

	for (size_t i = 0; i < ob->n; i++) {
		struct conn *c;

		if (ob->v[i].text == deferred)
			continue;
		if (is_userlist(&ob->v[i]) && defer_userlist(s, &ob->v[i])) {
			deferred = ob->v[i].text;
			continue;
		}
		c = by_id(s, ob->v[i].to);

		if (c && c->state == CONN_WS)
			srv_ws_send(c, SIG_WS_OP_TEXT, ob->v[i].text,
				    ob->v[i].len);
	}
	sig_outbox_clear(ob);
}

void srv_ws_leave(struct conn *c, struct sig_outbox *ob)
{
	struct sig_outbox none;

	if (!c->id)
		return;
	sig_outbox_init(&none);
	sig_room_leave(c->s->room, c->id, ob ? ob : &none);
	sig_outbox_clear(&none);
	hmap_remove(&c->s->by_id, &c->by_id);
	c->id = 0;
	c->s->nws--;
}

struct conn *srv_ws_by_token(struct srv *s, const char *tok)
{
	size_t n = strlen(tok);

	if (n != SIG_TOKEN_LEN)
		return NULL;
	for (struct conn *c = s->conns; c; c = c->next)
		if (c->state == CONN_WS && c->token[0] &&
		    CRYPTO_memcmp(c->token, tok, SIG_TOKEN_LEN) == 0)
			return c;
	return NULL;
}

void srv_ws_close(struct conn *c, uint16_t code, const char *reason)
{
	struct srv *s = c->s;
	struct sig_outbox ob;
	uint8_t hdr[SIG_WS_HDR_MAX], pl[125];
	size_t n = 0, h;
	bool was_ws = c->state == CONN_WS;

	if (was_ws && code != 1006) {
		sig_ws_close_payload(code, reason, reason ? strlen(reason) : 0,
				     pl, &n);
		h = sig_ws_frame_header(hdr, SIG_WS_OP_CLOSE, n);
		bufferevent_write(c->bev, hdr, h);
		bufferevent_write(c->bev, pl, n);
		s->st.closes[sig_close_index(code)]++;
	}
	c->state = CONN_CLOSING;
	OPENSSL_cleanse(c->token, sizeof(c->token)); /* dead at once */
	sig_outbox_init(&ob);
	srv_ws_leave(c, &ob);
	deliver(s, &ob);
	if (code == 1006) {
		conn_free(c);
		return;
	}
	conn_finish(c);
}

static void fail(struct conn *c, uint16_t code, const char *why)
{
	log_limited(&c->s->lim, clock_mono_ms(), LOG_LVL_INFO,
		    "websocket: closing a client (%u): %s", code, why);
	srv_kick(c, code, why);
}

/* Token bucket: rate per second up to burst. */
static bool rate_ok(struct conn *c, uint64_t now)
{
	const struct sig_conf *cf = c->s->cf;

	c->bucket += (double)(now - c->bucket_ms) * cf->rate / 1000.0;
	if (c->bucket > cf->burst)
		c->bucket = cf->burst;
	c->bucket_ms = now;
	if (c->bucket < 1.0)
		return false;
	c->bucket -= 1.0;
	return true;
}

static void on_text(struct conn *c, const uint8_t *p, size_t n)
{
	static const char limited[] =
	    "{\"type\":\"error\",\"code\":\"rate-limited\",\"reason\":"
	    "\"more messages than limits.rate allows\"}";
	struct srv *s = c->s;
	struct sig_outbox ob;
	uint64_t now = clock_mono_ms();

	s->st.msgs_in++;
	if (!rate_ok(c, now)) {
		s->st.rate_limited++;
		srv_ws_send(c, SIG_WS_OP_TEXT, limited, sizeof(limited) - 1);
		fail(c, SIG_WS_CLOSE_POLICY, "over the message rate");
		return;
	}
	sig_outbox_init(&ob);
	if (sig_room_input(s->room, c->id, (const char *)p, n,
			   clock_wall_s() * 1000, &ob) == ENOMEM) {
		sig_outbox_clear(&ob);
		fail(c, SIG_WS_CLOSE_ERROR, "out of memory");
		return;
	}
	deliver(s, &ob);
}

/* One event from the decoder; false when reading stops. */
static bool on_event(struct conn *c, const struct sig_ws_event *ev)
{
	switch (ev->type) {
	case SIG_WS_EV_TEXT:
		on_text(c, ev->data, ev->len);
		return !c->kicked;
	case SIG_WS_EV_BINARY:
		fail(c, 1003, "binary messages are not accepted");
		return false;
	case SIG_WS_EV_PING:
		/* pings spend the message bucket too: a ping flood costs a
		 * pong each */
		if (!rate_ok(c, clock_mono_ms())) {
			c->s->st.rate_limited++;
			fail(c, SIG_WS_CLOSE_POLICY, "over the message rate");
			return false;
		}
		srv_ws_send(c, SIG_WS_OP_PONG, ev->data, ev->len);
		return !c->kicked;
	case SIG_WS_EV_PONG:
		c->ping_sent = false;
		return true;
	case SIG_WS_EV_CLOSE:
		/* §5.5.1: answer with the code received (none: none) */
		srv_kick(c,
			 ev->code == SIG_WS_CLOSE_NOSTATUS ? SIG_WS_CLOSE_NORMAL
							   : ev->code,
			 NULL);
		return false;
	case SIG_WS_EV_FAIL:
	default:
		fail(c, ev->code ? ev->code : SIG_WS_CLOSE_PROTOCOL,
		     ev->why ? ev->why : "protocol error");
		return false;
	}
}

void srv_ws_read(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct evbuffer_iovec v;
	struct sig_ws_event ev;
	size_t used;
	int rc;

	c->ping_sent = false;
	while (c->state == CONN_WS && !c->kicked &&
	       evbuffer_peek(in, -1, NULL, &v, 1) > 0 && v.iov_len > 0) {
		rc =
		    sig_ws_dec_input(c->dec, v.iov_base, v.iov_len, &used, &ev);
		c->s->st.bytes_in += used;
		evbuffer_drain(in, used);
		if (rc == EAGAIN)
			continue;
		if (rc == ENOMEM) {
			fail(c, SIG_WS_CLOSE_ERROR, "out of memory");
			break;
		}
		if (rc) {
			evbuffer_drain(in, evbuffer_get_length(in));
			break;
		}
		if (!on_event(c, &ev))
			break;
	}
}

void srv_ws_upgrade(struct conn *c, const struct sig_ws_req *req)
{
	struct srv *s = c->s;
	struct sig_outbox ob;
	char buf[512];
	size_t n;
	int rc;

	evbuffer_drain(bufferevent_get_input(c->bev), req->head_len);
	if (sig_ws_hs_response(req, buf, sizeof(buf), &n) ||
	    sig_ws_dec_alloc(&c->dec, s->cf->max_message) ||
	    make_token(c->token)) {
		conn_free(c);
		return;
	}
	bufferevent_write(c->bev, buf, n);
	bufferevent_set_timeouts(c->bev, NULL, NULL);
	c->state = CONN_WS;
	c->bucket = s->cf->burst;
	c->bucket_ms = clock_mono_ms();
	s->st.ws_opened++;
	sig_outbox_init(&ob);
	rc = sig_room_join_token(s->room, c->token, &c->id, &ob);
	if (rc) {
		c->id = 0;
		sig_outbox_clear(&ob);
		fail(c, rc == ENOSPC ? SIG_WS_CLOSE_AGAIN : SIG_WS_CLOSE_ERROR,
		     rc == ENOSPC ? "the room is full (limits.users)"
				  : "out of memory");
		return;
	}
	s->nws++;
	hmap_insert(&s->by_id, &c->by_id, id_hash(c->id));
	deliver(s, &ob);
	srv_ws_read(c); /* frames that came with the head */
}

void srv_ws_tick(struct conn *c, uint64_t now_ms)
{
	uint64_t idle = (uint64_t)c->s->cf->idle_s * 1000;

	if (now_ms - c->last_rx_ms < idle)
		return;
	if (now_ms - c->last_rx_ms >= idle + idle / 2 + 1000) {
		fail(c, SIG_WS_CLOSE_GOING, "idle: no answer to a ping");
		return;
	}
	if (!c->ping_sent) {
		c->ping_sent = true;
		srv_ws_send(c, SIG_WS_OP_PING, "tern", 4);
	}
}
