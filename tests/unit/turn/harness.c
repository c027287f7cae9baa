/* harness.c — see harness.h. */
#include "harness.h"

#include <criterion/criterion.h>
#include <string.h>

#include "auth/auth.h"
#include "base/cursor.h"

struct h H;

static void record(void *conn, const struct sa *to, const uint8_t *buf,
		   size_t len, unsigned flags)
{
	cr_assert_leq(len, sizeof(H.last));
	memcpy(H.last, buf, len);
	H.last_len = len;
	H.last_to = *to;
	H.last_conn = conn;
	H.last_flags = flags;
	H.nsent++;
}

/* A reply carries its packet's route: the socket h_feed_tp named. */
static void fake_send(void *arg, const struct turn_in *in, unsigned via,
		      const struct sa *to, const uint8_t *buf, size_t len)
{
	(void)arg;
	(void)via;
	cr_assert_eq(in->sock, &H.sock);
	cr_assert_not_null(in->local);
	record(in->conn, to, buf, len, 0);
	H.last_via_client = false;
}

static void fake_send_client(void *arg, void *conn, const struct sa *local,
			     const struct sa *to, const uint8_t *buf,
			     size_t len, unsigned flags)
{
	(void)arg;
	cr_assert(sa_is_set(local));
	record(conn, to, buf, len, flags);
	H.last_buf = buf;
	H.last_via_client = true;
	H.nclient++;
}

static int fake_open(void *arg, int family, unsigned flags, void *ctx,
		     void **handle, struct sa *bound)
{
	struct fake_relay *r = NULL;
	uint16_t port;
	unsigned i;

	(void)arg;
	cr_assert_not_null(ctx);
	if (H.fail_open && (!H.fail_family || H.fail_family == family))
		return H.fail_open;
	if ((flags & TURN_RELAY_EXACT) && H.fail_exact) {
		H.fail_exact--;
		return EADDRINUSE;
	}
	for (i = 0; i < H_MAX_RELAYS && !r; i++)
		if (!H.relay[i].open)
			r = &H.relay[i];
	cr_assert_not_null(r);
	if (flags & TURN_RELAY_EXACT) {
		port = sa_port(bound);
	} else {
		port = H.next_port;
		if ((flags & TURN_RELAY_EVEN_PORT) && (port & 1))
			port++;
		H.next_port = (uint16_t)(port + 2);
	}
	memset(r, 0, sizeof(*r));
	r->open = true;
	r->family = family;
	r->flags = flags;
	r->ctx = ctx;
	sa_set_str(&r->addr, family == AF_INET ? "203.0.113.5" : "2001:db8::5",
		   port);
	*handle = r;
	*bound = r->addr;
	H.nopen++;
	return 0;
}

static void fake_close(void *arg, void *handle)
{
	struct fake_relay *r = handle;

	(void)arg;
	cr_assert(r->open, "relay closed twice");
	r->open = false;
	H.nclose++;
}

static void fake_relay_send(void *arg, void *handle, const struct sa *peer,
			    const uint8_t *buf, size_t len, unsigned flags)
{
	struct fake_relay *r = handle;

	(void)arg;
	cr_assert(r->open, "send on a closed relay");
	memcpy(H.peer_buf, buf, len);
	H.peer_len = len;
	H.peer_to = *peer;
	H.peer_handle = handle;
	H.peer_src = buf;
	H.peer_flags = flags;
	H.nrelay_send++;
}

static const struct turn_out out = { fake_send, NULL };
static const struct turn_relay_out rout = { fake_send_client, fake_open,
					    fake_close, fake_relay_send, NULL };

struct turn_server *h_server_new(void)
{
	struct turn_server *s = NULL;

	cr_assert_eq(turn_server_alloc(&s, &H.cfg, &out), 0);
	cr_assert_eq(turn_server_set_relay_out(s, &rout), 0);
	turn_server_set_wallclock(s, H.now, H.unix_ms + H.now);
	return s;
}

void h_restart(void)
{
	turn_server_free(H.srv);
	H.srv = NULL;
	cr_assert_eq(turn_server_alloc(&H.srv, &H.cfg, &out), 0);
	cr_assert_eq(turn_server_set_relay_out(H.srv, &rout), 0);
	turn_server_set_wallclock(H.srv, H.now, H.unix_ms + H.now);
}

void h_setup(void)
{
	static const uint8_t nsecret[] = "0123456789abcdef-nonce-secret";

	memset(&H, 0, sizeof(H));
	H.next_port = 50000;
	H.now = 1000;
	H.unix_ms = 1700000000000ull;
	cr_assert_eq(auth_mem_alloc(&H.mem), 0);
	cr_assert_eq(auth_mem_add_user(H.mem, H_REALM, H_USER, H_PASS), 0);
	cr_assert_eq(auth_mem_add_user(H.mem, H_REALM, "bob", "builder"), 0);
	H.store = auth_mem_store(H.mem);
	H.cfg.software = "tern-test";
	H.cfg.store = &H.store;
	H.cfg.realm = H_REALM;
	H.cfg.nonce_secret = nsecret;
	H.cfg.nonce_secret_len = sizeof(nsecret) - 1;
	sa_set_str(&H.local.addr[0], "192.0.2.1", 3478);
	sa_set_str(&H.local6.addr[0], "2001:db8::1", 3478);
	h_restart();
}

void h_teardown(void)
{
	unsigned i;

	turn_server_free(H.srv);
	H.srv = NULL;
	/* Every relay the server opened, it closed. */
	for (i = 0; i < H_MAX_RELAYS; i++)
		cr_assert(!H.relay[i].open, "relay %u leaked", i);
	auth_mem_free(H.mem);
}

void rq_start_tid(struct req *r, uint16_t method, enum stun_class cls,
		  const uint8_t tid[STUN_TID_SIZE])
{
	memcpy(r->tid, tid, STUN_TID_SIZE);
	stun_enc_init(&r->e, r->buf, sizeof(r->buf), method, cls, r->tid);
}

void rq_start(struct req *r, uint16_t method, enum stun_class cls)
{
	static uint32_t ctr = 1;
	uint8_t tid[STUN_TID_SIZE] = { 0x74, 0x65, 0x72, 0x6e };

	put_be32(tid + 8, ctr++);
	rq_start_tid(r, method, cls, tid);
}

size_t rq_finish(struct req *r, const struct cred *c)
{
	static const uint16_t algs[] = { STUN_PWALG_SHA256, STUN_PWALG_MD5 };
	const char *user = c && c->user ? c->user : H_USER;
	const char *pass = c && c->pass ? c->pass : H_PASS;
	uint16_t alg = c && c->alg ? c->alg : AUTH_ALG_MD5;
	struct auth_key k;

	if (c) {
		stun_enc_text(&r->e, STUN_ATTR_USERNAME, user, strlen(user));
		stun_enc_text(&r->e, STUN_ATTR_REALM, H_REALM, strlen(H_REALM));
		stun_enc_text(&r->e, STUN_ATTR_NONCE, H.nonce, H.nonce_len);
		if (c->pwalgs) {
			stun_enc_pwalgs(&r->e, algs, 2);
			stun_enc_pwalg(&r->e, alg);
		}
		cr_assert_eq(auth_key_derive(&k, alg, user, strlen(user),
					     H_REALM, strlen(H_REALM),
					     (const uint8_t *)pass,
					     strlen(pass)),
			     0);
		if (c->mi256)
			stun_enc_mi256(&r->e, k.k, k.len);
		else
			stun_enc_mi(&r->e, k.k, k.len);
	}
	cr_assert_eq(stun_enc_finish(&r->e, &r->len), 0);
	return r->len;
}

enum turn_verdict h_feed_tp(const uint8_t *buf, size_t len, const char *ip,
			    uint16_t port, enum turn_transport tp, void *conn)
{
	struct turn_in in = { .buf = buf,
			      .len = len,
			      .tp = tp,
			      .conn = conn,
			      .sock = &H.sock,
			      .flags = H.in_flags };

	cr_assert_eq(sa_set_str(&in.from, ip, port), 0);
	in.local = sa_family(&in.from) == AF_INET6 ? &H.local6 : &H.local;
	return turn_server_input(H.srv, &in, H.now);
}

enum turn_verdict h_feed(const uint8_t *buf, size_t len, const char *ip,
			 uint16_t port)
{
	return h_feed_tp(buf, len, ip, port, TURN_TP_UDP, NULL);
}

const struct stun_msg *h_reply(void)
{
	static struct stun_msg m;

	cr_assert_gt(H.nsent, 0);
	cr_assert_eq(stun_msg_decode(&m, H.last, H.last_len, 0), 0);
	return &m;
}

void h_token(uint8_t token[STUN_TOKEN_SIZE])
{
	const struct stun_attr *t =
	    stun_msg_attr(h_reply(), STUN_ATTR_RESERVATION_TOKEN);
	const uint8_t *tp;

	cr_assert_not_null(t);
	cr_assert_eq(stun_attr_token(t, &tp), 0);
	memcpy(token, tp, STUN_TOKEN_SIZE);
}

/* The last reply's error code and reason phrase; 0 for a success. */
static uint16_t last_error(const char **r, size_t *rl)
{
	const struct stun_msg *m = h_reply();
	const struct stun_attr *a;
	uint16_t code;

	*r = NULL;
	*rl = 0;
	if (m->cls == STUN_CLASS_SUCCESS)
		return 0;
	cr_assert_eq(m->cls, STUN_CLASS_ERROR);
	a = stun_msg_attr(m, STUN_ATTR_ERROR_CODE);
	cr_assert_not_null(a);
	cr_assert_eq(stun_attr_errcode(a, &code, r, rl), 0);
	return code;
}

uint16_t h_code(void)
{
	const char *r;
	size_t rl;

	return last_error(&r, &rl);
}

bool h_reason_is(const char *want)
{
	const char *r;
	size_t rl;

	return last_error(&r, &rl) && rl == strlen(want) &&
	       !memcmp(r, want, rl);
}

void h_take_nonce(void)
{
	const struct stun_msg *m = h_reply();
	const struct stun_attr *a = stun_msg_attr(m, STUN_ATTR_NONCE);
	const char *s;

	cr_assert_not_null(a, "no NONCE in the reply");
	cr_assert_eq(stun_attr_text(a, &s, &H.nonce_len), 0);
	cr_assert_lt(H.nonce_len, sizeof(H.nonce));
	memcpy(H.nonce, s, H.nonce_len);
}

uint16_t h_allocate(const char *ip, uint16_t port, struct sa *relay,
		    void (*extra)(struct req *))
{
	const struct stun_attr *a;
	struct req r;
	struct cred c = { 0 };
	uint16_t code;

	rq_start(&r, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST);
	stun_enc_transport(&r.e, 17);
	rq_finish(&r, NULL);
	cr_assert_eq(h_feed(r.buf, r.len, ip, port), TURN_ANSWERED);
	cr_assert_eq(h_code(), 401);
	h_take_nonce();
	rq_start(&r, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST);
	stun_enc_transport(&r.e, 17);
	if (extra)
		extra(&r);
	rq_finish(&r, &c);
	h_feed(r.buf, r.len, ip, port);
	code = h_code();
	if (code == 0 && relay) {
		a = stun_msg_attr(h_reply(), STUN_ATTR_XOR_RELAYED_ADDRESS);
		cr_assert_not_null(a);
		cr_assert_eq(stun_attr_xaddr(a, h_reply(), relay), 0);
	}
	return code;
}

uint16_t h_request(uint16_t method, const char *ip, uint16_t port,
		   void (*extra)(struct req *, void *), void *arg)
{
	struct req r;
	struct cred c = { 0 };
	unsigned tries;

	/* A nonce is bound to the client's IP: a 401 carrying a fresh one
	 * (the nonce was for another client) is retried once with it. */
	for (tries = 0; tries < 2; tries++) {
		rq_start(&r, method, STUN_CLASS_REQUEST);
		if (extra)
			extra(&r, arg);
		rq_finish(&r, &c);
		cr_assert_eq(h_feed(r.buf, r.len, ip, port), TURN_ANSWERED);
		if (h_code() != 401 || tries)
			break;
		h_take_nonce();
	}
	return h_code();
}

static void add_peer(struct req *r, void *arg)
{
	stun_enc_xaddr(&r->e, STUN_ATTR_XOR_PEER_ADDRESS, arg);
}

uint16_t h_permit(const char *ip, uint16_t port, const char *peer)
{
	struct sa p;

	cr_assert_eq(sa_set_str(&p, peer, 9), 0);
	return h_request(STUN_METHOD_CREATE_PERMISSION, ip, port, add_peer, &p);
}

struct bind_arg {
	uint16_t ch;
	struct sa peer;
};

static void add_bind(struct req *r, void *arg)
{
	struct bind_arg *b = arg;

	stun_enc_channel(&r->e, b->ch);
	stun_enc_xaddr(&r->e, STUN_ATTR_XOR_PEER_ADDRESS, &b->peer);
}

uint16_t h_bind(const char *ip, uint16_t port, uint16_t ch, const char *peer,
		uint16_t pport)
{
	struct bind_arg b = { .ch = ch };

	cr_assert_eq(sa_set_str(&b.peer, peer, pport), 0);
	return h_request(STUN_METHOD_CHANNEL_BIND, ip, port, add_bind, &b);
}

struct fake_relay *h_relay(int family)
{
	struct fake_relay *r = NULL;
	unsigned i;

	for (i = 0; i < H_MAX_RELAYS; i++)
		if (H.relay[i].open && H.relay[i].family == family &&
		    !(H.relay[i].flags & TURN_RELAY_EXACT))
			r = &H.relay[i];
	cr_assert_not_null(r);
	return r;
}

unsigned h_open_relays(void)
{
	unsigned i, n = 0;

	for (i = 0; i < H_MAX_RELAYS; i++)
		n += H.relay[i].open;
	return n;
}

enum turn_verdict h_peer_send(struct fake_relay *r, const char *peer,
			      uint16_t port, const uint8_t *data, size_t len)
{
	static uint8_t buf[TURN_HEADROOM + 2048 + TURN_TAILROOM];
	struct sa p;

	cr_assert_leq(len, 2048);
	memset(buf, 0xEE, sizeof(buf)); /* garbage around the payload */
	memcpy(buf + TURN_HEADROOM, data, len);
	cr_assert_eq(sa_set_str(&p, peer, port), 0);
	return turn_server_relay_input(H.srv, r->ctx, &p, buf + TURN_HEADROOM,
				       len, H.in_flags, H.now);
}
