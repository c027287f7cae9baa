/* turn.c — one TURN client (RFC 8656) as a state machine driven by
 * the thread that owns it: Allocate (401 challenge, then long-term
 * credentials, RFC 8489 §9.2), CreatePermission, ChannelBind, periodic
 * Refresh, and Refresh(0) to release. */
#include "tools/bench/bench.h"

#include <errno.h>
#include <string.h>

#include "base/rand.h"

#define MS		   1000000ull
#define RTO_UDP		   (500 * MS)
#define RTO_STREAM	   (10000 * MS)
#define MAX_TRIES	   5 /* RFC 8489 §6.2.1 allows 7; 15.5 s is enough here */
#define MAX_STALE	   3
#define CODE_BAD_INTEGRITY 1

static uint16_t state_method(enum bench_cstate st)
{
	switch (st) {
	case BC_ALLOC:
		return STUN_METHOD_ALLOCATE;
	case BC_PERM:
		return STUN_METHOD_CREATE_PERMISSION;
	case BC_CHBIND:
		return STUN_METHOD_CHANNEL_BIND;
	default:
		return STUN_METHOD_REFRESH;
	}
}

static void method_attrs(struct bench_client *c, const struct bench_opts *o,
			 struct stun_enc *e)
{
	switch (c->st) {
	case BC_ALLOC:
		stun_enc_transport(e, 17);
		if (o->lifetime)
			stun_enc_u32(e, STUN_ATTR_LIFETIME, o->lifetime);
		break;
	case BC_CHBIND:
		stun_enc_channel(e, c->ch);
		/* fall through */
	case BC_PERM:
		stun_enc_xaddr(e, STUN_ATTR_XOR_PEER_ADDRESS, &c->peer);
		break;
	case BC_RELEASE:
		stun_enc_u32(e, STUN_ATTR_LIFETIME, 0);
		break;
	default:
		if (o->lifetime)
			stun_enc_u32(e, STUN_ATTR_LIFETIME, o->lifetime);
		break;
	}
}

/* Build the request of the current state, with a new transaction id. */
static int build(struct bench_client *c, struct bench_thread *t)
{
	const struct bench_run *r = t->run;
	struct stun_enc e;
	int err = rand_bytes(c->tid, sizeof(c->tid));

	if (err)
		return err;
	stun_enc_init(&e, c->req, sizeof(c->req), state_method(c->st),
		      STUN_CLASS_REQUEST, c->tid);
	method_attrs(c, r->o, &e);
	if (c->have_nonce) {
		stun_enc_text(&e, STUN_ATTR_USERNAME, r->user, strlen(r->user));
		stun_enc_text(&e, STUN_ATTR_REALM, c->realm, strlen(c->realm));
		stun_enc_text(&e, STUN_ATTR_NONCE, c->nonce, strlen(c->nonce));
		stun_enc_mi(&e, c->key.k, c->key.len);
	}
	stun_enc_fingerprint(&e);
	return stun_enc_finish(&e, &c->reqlen);
}

static void fail(struct bench_client *c, struct bench_thread *t, uint16_t code)
{
	c->err = code;
	c->st = BC_FAILED;
	t->st.fail++;
	if (code == 0)
		t->st.timeouts++;
	else if (code < BENCH_MAX_CODE)
		t->st.errs[code]++;
}

/* Enter state st and send its request. */
static int send_in(struct bench_client *c, struct bench_thread *t,
		   enum bench_cstate st, uint64_t now)
{
	int err;

	c->st = st;
	err = build(c, t);
	if (!err)
		err = bench_conn_send(&c->conn, c->req, c->reqlen);
	if (err && err != EAGAIN) {
		fail(c, t, 0);
		return err;
	}
	c->tx_ns = now;
	c->tries = 1;
	c->rto_ns = c->conn.tp == BENCH_UDP ? RTO_UDP : RTO_STREAM;
	return 0;
}

int bench_client_start(struct bench_client *c, struct bench_thread *t,
		       uint64_t now)
{
	int err = bench_conn_open(&c->conn, t->run->o, t->run->tls);

	c->start_ns = now;
	c->up = false;
	c->have_nonce = false;
	c->stale = 0;
	c->ch = STUN_CHANNEL_MIN;
	if (err) {
		fail(c, t, 0);
		return err;
	}
	return send_in(c, t, BC_ALLOC, now);
}

int bench_client_release(struct bench_client *c, struct bench_thread *t,
			 uint64_t now)
{
	return send_in(c, t, BC_RELEASE, now);
}

static void ready(struct bench_client *c, struct bench_thread *t, uint64_t now)
{
	/* first Allocate to the last set-up success: what alloc and hold
	 * report (the relay mode clears it before measuring) */
	if (!c->up)
		bench_hist_add(&t->st.hist, now - c->start_ns);
	c->up = true;
	if (!c->release) {
		c->st = BC_READY;
		return;
	}
	bench_client_release(c, t, now);
}

int bench_client_next(struct bench_client *c, struct bench_thread *t,
		      uint64_t now)
{
	if (c->need_perm && !sa_is_set(&c->peer))
		return 0;
	if (c->need_perm)
		return send_in(c, t, BC_PERM, now);
	if (c->need_chan)
		return send_in(c, t, BC_CHBIND, now);
	ready(c, t, now);
	return 0;
}

/* When to Refresh: --refresh, else half the lifetime, at most every 120 s
 * so that permissions (300 s, RFC 8656 §9) are renewed in the same cycle. */
static void plan_refresh(struct bench_client *c, const struct bench_opts *o,
			 const struct stun_msg *m, uint64_t now)
{
	const struct stun_attr *a = stun_msg_attr(m, STUN_ATTR_LIFETIME);
	double s;

	if (a)
		stun_attr_u32(a, &c->lifetime);
	s = o->refresh > 0 ? o->refresh : c->lifetime / 2.0;
	if (s <= 0 || s > 120)
		s = 120;
	c->refresh_ns = now + (uint64_t)(s * 1e9);
}

static void on_success(struct bench_client *c, struct bench_thread *t,
		       const struct stun_msg *m, uint64_t now)
{
	const struct stun_attr *a;

	switch (c->st) {
	case BC_ALLOC:
		a = stun_msg_attr(m, STUN_ATTR_XOR_RELAYED_ADDRESS);
		if (!a || stun_attr_xaddr(a, m, &c->relayed)) {
			fail(c, t, 400);
			return;
		}
		plan_refresh(c, t->run->o, m, now);
		c->st = BC_ALLOCATED;
		bench_client_next(c, t, now);
		return;
	case BC_REFRESH:
		plan_refresh(c, t->run->o, m, now);
		bench_client_next(c, t, now);
		return;
	case BC_PERM:
		if (c->need_chan) {
			send_in(c, t, BC_CHBIND, now);
			return;
		}
		/* fall through */
	case BC_CHBIND:
		ready(c, t, now);
		return;
	case BC_RELEASE:
		c->st = BC_DONE;
		t->st.ok++;
		return;
	default:
		return;
	}
}

/* Take REALM and NONCE from a 401 or 438 and derive the key. */
static int take_challenge(struct bench_client *c, const struct bench_run *r,
			  const struct stun_msg *m)
{
	const struct stun_attr *ra = stun_msg_attr(m, STUN_ATTR_REALM);
	const struct stun_attr *na = stun_msg_attr(m, STUN_ATTR_NONCE);
	const char *s;
	size_t n;

	if (!na || stun_attr_text(na, &s, &n) || n >= sizeof(c->nonce))
		return EBADMSG;
	memcpy(c->nonce, s, n);
	c->nonce[n] = 0;
	if (ra && !stun_attr_text(ra, &s, &n) && n < sizeof(c->realm)) {
		memcpy(c->realm, s, n);
		c->realm[n] = 0;
	}
	if (r->o->realm)
		snprintf(c->realm, sizeof(c->realm), "%s", r->o->realm);
	c->have_nonce = true;
	return auth_key_derive(&c->key, AUTH_ALG_MD5, r->user, strlen(r->user),
			       c->realm, strlen(c->realm),
			       (const uint8_t *)r->pass, strlen(r->pass));
}

static void on_error(struct bench_client *c, struct bench_thread *t,
		     const struct stun_msg *m, uint64_t now)
{
	const struct stun_attr *a = stun_msg_attr(m, STUN_ATTR_ERROR_CODE);
	uint16_t code = 400;
	const char *why;
	size_t n;
	bool had = c->have_nonce;

	if (a)
		stun_attr_errcode(a, &code, &why, &n);
	if ((code == 401 && !had) || (code == 438 && c->stale++ < MAX_STALE)) {
		if (take_challenge(c, t->run, m))
			fail(c, t, code);
		else
			send_in(c, t, c->st, now);
		return;
	}
	if (code == 401)
		t->auth_failed = true;
	fail(c, t, code);
}

void bench_client_on_stun(struct bench_client *c, struct bench_thread *t,
			  const uint8_t *buf, size_t len, uint64_t now)
{
	struct stun_msg m;

	if (stun_msg_decode(&m, buf, len, 0) ||
	    memcmp(m.tid, c->tid, sizeof(c->tid)) || c->st == BC_FAILED ||
	    c->st == BC_DONE || c->st == BC_READY || c->st == BC_ALLOCATED)
		return;
	if (m.cls == STUN_CLASS_ERROR) {
		on_error(c, t, &m, now);
		return;
	}
	if (m.cls != STUN_CLASS_SUCCESS)
		return;
	/* a success without integrity we can check is not the server's */
	if (c->have_nonce && stun_msg_check_mi(&m, c->key.k, c->key.len)) {
		fail(c, t, CODE_BAD_INTEGRITY);
		return;
	}
	c->stale = 0;
	on_success(c, t, &m, now);
}

void bench_client_tick(struct bench_client *c, struct bench_thread *t,
		       uint64_t now)
{
	switch (c->st) {
	case BC_ALLOC:
	case BC_PERM:
	case BC_CHBIND:
	case BC_REFRESH:
	case BC_RELEASE:
		break;
	case BC_READY:
		if (c->refresh_ns && now >= c->refresh_ns)
			send_in(c, t, BC_REFRESH, now);
		return;
	default:
		return;
	}
	if (now - c->tx_ns < c->rto_ns)
		return;
	if (c->conn.tp != BENCH_UDP || c->tries >= MAX_TRIES) {
		fail(c, t, 0);
		return;
	}
	/* RFC 8489 §6.2.1: same bytes, doubled RTO */
	bench_conn_send(&c->conn, c->req, c->reqlen);
	c->tries++;
	c->rto_ns *= 2;
	c->tx_ns = now;
}

void bench_client_free(struct bench_client *c)
{
	if (c->conn.fd > 0 || c->conn.rbuf)
		bench_conn_close(&c->conn);
}
