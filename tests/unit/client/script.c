/* script.c — the scripted server of libtern's tests (script.h). */
#include "script.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/listener.h>
#include <openssl/ssl.h>

static void script_input(struct script *s, const uint8_t *buf, size_t len,
			 const struct sa *from)
{
	struct stun_msg m;
	uint16_t ch;
	const uint8_t *d;
	size_t dl;

	s->last_frame_len = len;
	if (len && buf[0] >= 0x40 && buf[0] <= 0x7F) {
		if (stun_chdata_decode(buf, len, &ch, &d, &dl) != 0)
			return;
		s->chdata_in++;
		s->data_chan = ch;
		s->data_len = dl < sizeof(s->data) ? dl : sizeof(s->data);
		memcpy(s->data, d, s->data_len);
		return;
	}
	if (stun_msg_decode(&m, buf, len, 0) != 0)
		return;
	s->total++;
	if (m.method < 16 && m.cls == STUN_CLASS_REQUEST)
		s->nreq[m.method]++;
	if (m.method < 16 && m.cls == STUN_CLASS_INDICATION)
		s->nind[m.method]++;
	s->last_had_fp = m.fp >= 0;
	if (s->fn)
		s->fn(s, &m, from);
}

static void udp_read(evutil_socket_t fd, short what, void *arg)
{
	struct script *s = arg;
	uint8_t buf[65536];
	struct sa from;
	ssize_t n;

	(void)what;
	for (;;) {
		sa_init(&from);
		from.len = sizeof(from.u);
		n = recvfrom(fd, buf, sizeof(buf), 0, &from.u.sa, &from.len);
		if (n < 0)
			return;
		script_input(s, buf, (size_t)n, &from);
	}
}

static int udp_sock(struct sa *addr)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	sa_set_str(addr, "127.0.0.1", 0);
	if (fd < 0 || bind(fd, &addr->u.sa, addr->len) != 0)
		return -1;
	addr->len = sizeof(addr->u);
	getsockname(fd, &addr->u.sa, &addr->len);
	return fd;
}

int script_udp(struct script **sp, struct event_base *base, script_fn fn,
	       void *user)
{
	struct script *s = calloc(1, sizeof(*s));

	if (!s)
		return ENOMEM;
	s->base = base;
	s->fn = fn;
	s->user = user;
	s->fd = udp_sock(&s->addr);
	s->fd2 = udp_sock(&s->addr2);
	s->ev = event_new(base, s->fd, EV_READ | EV_PERSIST, udp_read, s);
	event_add(s->ev, NULL);
	*sp = s;
	return 0;
}

static void stream_read(struct bufferevent *bev, void *arg)
{
	struct script *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t avail, frame;
	uint8_t *p;

	while ((avail = evbuffer_get_length(in)) >= 4) {
		p = evbuffer_pullup(in, avail < 24 ? (ssize_t)avail : 24);
		if (stun_frame_len(p, avail, &frame) != 0) {
			evbuffer_drain(in, avail);
			return;
		}
		if (frame > avail)
			return;
		p = evbuffer_pullup(in, (ssize_t)frame);
		script_input(s, p, frame, &s->addr);
		evbuffer_drain(in, frame);
	}
}

static void stream_event(struct bufferevent *bev, short what, void *arg)
{
	struct script *s = arg;

	(void)what;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		bufferevent_free(bev);
		s->bev = NULL;
	}
}

static int alpn_select(SSL *ssl, const unsigned char **out,
		       unsigned char *outlen, const unsigned char *in,
		       unsigned inlen, void *arg)
{
	static const unsigned char want[] = "\x09stun.turn";

	(void)ssl;
	(void)arg;
	if (SSL_select_next_proto((unsigned char **)out, outlen, want, 10, in,
				  inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;
	return SSL_TLSEXT_ERR_OK;
}

static void accepted(struct evconnlistener *l, evutil_socket_t fd,
		     struct sockaddr *sa, int len, void *arg)
{
	struct script *s = arg;
	int opt = BEV_OPT_CLOSE_ON_FREE;

	(void)l;
	(void)sa;
	(void)len;
	if (s->bev)
		bufferevent_free(s->bev);
	if (s->tls)
		s->bev = bufferevent_openssl_socket_new(
		    s->base, fd, SSL_new(s->tls), BUFFEREVENT_SSL_ACCEPTING,
		    opt);
	else
		s->bev = bufferevent_socket_new(s->base, fd, opt);
	bufferevent_setcb(s->bev, stream_read, NULL, stream_event, s);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
}

static void *tls_ctx(const char *dir)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	char crt[512], key[512];

	snprintf(crt, sizeof(crt), "%s/ternd.crt", dir);
	snprintf(key, sizeof(key), "%s/ternd.key", dir);
	if (!ctx || SSL_CTX_use_certificate_chain_file(ctx, crt) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
	return ctx;
}

int script_stream(struct script **sp, struct event_base *base,
		  const char *tls_dir, script_fn fn, void *user)
{
	struct script *s = calloc(1, sizeof(*s));

	if (!s)
		return ENOMEM;
	s->base = base;
	s->stream = true;
	s->fd = s->fd2 = -1;
	s->fn = fn;
	s->user = user;
	if (tls_dir && !(s->tls = tls_ctx(tls_dir))) {
		free(s);
		return EINVAL;
	}
	sa_set_str(&s->addr, "127.0.0.1", 0);
	s->lis = evconnlistener_new_bind(
	    base, accepted, s, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 16,
	    &s->addr.u.sa, (int)s->addr.len);
	if (!s->lis) {
		free(s);
		return EADDRINUSE;
	}
	s->addr.len = sizeof(s->addr.u);
	getsockname(evconnlistener_get_fd(s->lis), &s->addr.u.sa, &s->addr.len);
	*sp = s;
	return 0;
}

void script_free(struct script *s)
{
	if (!s)
		return;
	if (s->ev)
		event_free(s->ev);
	if (s->fd >= 0)
		close(s->fd);
	if (s->fd2 >= 0)
		close(s->fd2);
	if (s->bev)
		bufferevent_free(s->bev);
	if (s->lis)
		evconnlistener_free(s->lis);
	if (s->tls)
		SSL_CTX_free(s->tls);
	free(s);
}

void script_send(struct script *s, const uint8_t *buf, size_t len,
		 const struct sa *to)
{
	if (s->stream) {
		if (s->bev)
			bufferevent_write(s->bev, buf, len);
		return;
	}
	(void)!sendto(s->fd, buf, len, 0, &to->u.sa, to->len);
}

void script_send2(struct script *s, const uint8_t *buf, size_t len,
		  const struct sa *to)
{
	(void)!sendto(s->fd2, buf, len, 0, &to->u.sa, to->len);
}

size_t script_binding_resp(struct script *s, const struct stun_msg *m,
			   const struct sa *from, uint8_t *out, size_t cap,
			   uint8_t tid_xor, bool bad_fp)
{
	struct stun_enc e;
	size_t len = 0;

	stun_enc_reply(&e, out, cap, m, STUN_CLASS_SUCCESS);
	e.tid[0] ^= tid_xor;
	out[8] ^= tid_xor;
	stun_enc_xaddr(&e, STUN_ATTR_XOR_MAPPED_ADDRESS, from);
	if (sa_is_set(&s->addr2))
		stun_enc_addr(&e, STUN_ATTR_OTHER_ADDRESS, &s->addr2);
	stun_enc_addr(&e, STUN_ATTR_RESPONSE_ORIGIN, &s->addr);
	stun_enc_text(&e, STUN_ATTR_SOFTWARE, "script", 6);
	stun_enc_fingerprint(&e);
	if (stun_enc_finish(&e, &len) != 0)
		return 0;
	if (bad_fp)
		out[len - 1] ^= 0xFF;
	return len;
}

void script_error(struct script *s, const struct stun_msg *m,
		  const struct sa *from, uint16_t code)
{
	uint8_t buf[512];
	struct stun_enc e;
	size_t len;
	uint16_t algs[2] = { STUN_PWALG_MD5, STUN_PWALG_SHA256 };
	const char *realm = s->plan.realm ? s->plan.realm : "script.test";

	stun_enc_reply(&e, buf, sizeof(buf), m, STUN_CLASS_ERROR);
	stun_enc_errcode(&e, code, NULL);
	if (code == 401 || code == 438) {
		snprintf(s->nonce, sizeof(s->nonce), "nonce-%u", s->nonce_gen);
		stun_enc_text(&e, STUN_ATTR_REALM, realm, strlen(realm));
		stun_enc_text(&e, STUN_ATTR_NONCE, s->nonce, strlen(s->nonce));
		if (s->plan.offer_sha256)
			stun_enc_pwalgs(&e, algs, 2);
	}
	stun_enc_fingerprint(&e);
	if (stun_enc_finish(&e, &len) == 0)
		script_send(s, buf, len, from);
}

/* ---- the TURN server ------------------------------------------------ */

static int turn_key(struct script *s, const struct stun_msg *m,
		    struct auth_key *k)
{
	const struct stun_attr *a =
	    stun_msg_attr(m, STUN_ATTR_PASSWORD_ALGORITHM);
	const char *realm = s->plan.realm ? s->plan.realm : "script.test";
	uint16_t alg = AUTH_ALG_MD5;

	if (a && stun_attr_pwalg(a, &alg) != 0)
		return EBADMSG;
	s->last_pwalg = alg;
	return auth_key_derive(
	    k, alg, s->plan.user, strlen(s->plan.user), realm, strlen(realm),
	    (const uint8_t *)s->plan.pass, strlen(s->plan.pass));
}

/* Long-term auth (RFC 8489 §9.2.4): true when m may proceed, else the
 * error was sent. */
static bool turn_auth(struct script *s, const struct stun_msg *m,
		      const struct sa *from, struct auth_key *k)
{
	const struct stun_attr *n = stun_msg_attr(m, STUN_ATTR_NONCE);
	const char *ns;
	size_t nn;
	int err;

	if (m->mi < 0 && m->mi256 < 0) {
		script_error(s, m, from, 401);
		return false;
	}
	if (turn_key(s, m, k) != 0)
		goto unauth;
	err = m->mi256 >= 0 ? stun_msg_check_mi256(m, k->k, k->len)
			    : stun_msg_check_mi(m, k->k, k->len);
	if (err || !n || stun_attr_text(n, &ns, &nn) != 0 ||
	    nn != strlen(s->nonce) || memcmp(ns, s->nonce, nn) != 0)
		goto unauth;
	if (s->plan.extra_401) {
		s->plan.extra_401--;
		goto unauth;
	}
	if (s->plan.stale_once) {
		s->plan.stale_once = false;
		s->nonce_gen++;
		script_error(s, m, from, 438);
		return false;
	}
	s->authed++;
	return true;
unauth:
	script_error(s, m, from, 401);
	return false;
}

static void turn_success(struct script *s, const struct stun_msg *m,
			 const struct sa *from, struct stun_enc *e,
			 const struct auth_key *k)
{
	size_t len;
	uint8_t wrong[16] = { 0 };

	if (s->plan.bad_mi_once) {
		s->plan.bad_mi_once = false;
		stun_enc_mi(e, wrong, sizeof(wrong));
	} else if (m->mi256 >= 0) {
		stun_enc_mi256(e, k->k, k->len);
	} else {
		stun_enc_mi(e, k->k, k->len);
	}
	stun_enc_fingerprint(e);
	if (stun_enc_finish(e, &len) == 0)
		script_send(s, e->buf, len, from);
}

static void turn_refresh(struct script *s, const struct stun_msg *m,
			 const struct sa *from, struct stun_enc *e,
			 const struct auth_key *k)
{
	const struct stun_attr *lt = stun_msg_attr(m, STUN_ATTR_LIFETIME);
	uint32_t v = s->plan.lifetime ? s->plan.lifetime : 600;

	if (lt)
		stun_attr_u32(lt, &v);
	s->last_lifetime = v;
	if (v == 0)
		s->saw_release = true;
	else if (s->plan.refresh_error) {
		script_error(s, m, from, 437);
		return;
	}
	stun_enc_u32(e, STUN_ATTR_LIFETIME, v);
	turn_success(s, m, from, e, k);
}

/* The plan's lifetime, else what the client asked for, else 600 s. */
static uint32_t turn_lifetime(const struct script *s, const struct stun_msg *m)
{
	const struct stun_attr *lt = stun_msg_attr(m, STUN_ATTR_LIFETIME);
	uint32_t v = 600;

	if (s->plan.lifetime)
		return s->plan.lifetime;
	if (lt)
		stun_attr_u32(lt, &v);
	return v;
}

static void turn_request(struct script *s, const struct stun_msg *m,
			 const struct sa *from)
{
	uint8_t buf[512];
	struct stun_enc e;
	struct auth_key k;
	const struct stun_attr *a;

	if (!turn_auth(s, m, from, &k))
		return;
	stun_enc_reply(&e, buf, sizeof(buf), m, STUN_CLASS_SUCCESS);
	switch (m->method) {
	case STUN_METHOD_ALLOCATE:
		if (s->plan.alloc_error) {
			script_error(s, m, from, s->plan.alloc_error);
			return;
		}
		sa_set_str(&s->relayed, "127.0.0.1", 50000);
		stun_enc_xaddr(&e, STUN_ATTR_XOR_RELAYED_ADDRESS, &s->relayed);
		stun_enc_xaddr(&e, STUN_ATTR_XOR_MAPPED_ADDRESS, from);
		stun_enc_u32(&e, STUN_ATTR_LIFETIME, turn_lifetime(s, m));
		break;
	case STUN_METHOD_REFRESH:
		turn_refresh(s, m, from, &e, &k);
		return;
	case STUN_METHOD_CHANNEL_BIND:
		a = stun_msg_attr(m, STUN_ATTR_CHANNEL_NUMBER);
		if (a)
			stun_attr_channel(a, &s->chan);
		a = stun_msg_attr(m, STUN_ATTR_XOR_PEER_ADDRESS);
		if (a)
			stun_attr_xaddr(a, m, &s->chan_peer);
		break;
	default:
		break;
	}
	turn_success(s, m, from, &e, &k);
}

void script_turn(struct script *s, const struct stun_msg *m,
		 const struct sa *from)
{
	const struct stun_attr *p, *d;
	uint8_t buf[512];
	size_t len;

	if (m->cls == STUN_CLASS_REQUEST && m->method == STUN_METHOD_BINDING) {
		len =
		    script_binding_resp(s, m, from, buf, sizeof(buf), 0, false);
		script_send(s, buf, len, from);
		return;
	}
	if (m->cls == STUN_CLASS_REQUEST) {
		turn_request(s, m, from);
		return;
	}
	if (m->cls != STUN_CLASS_INDICATION || m->method != STUN_METHOD_SEND)
		return;
	p = stun_msg_attr(m, STUN_ATTR_XOR_PEER_ADDRESS);
	d = stun_msg_attr(m, STUN_ATTR_DATA);
	if (!p || !d || stun_attr_xaddr(p, m, &s->data_peer) != 0)
		return;
	s->sendind_in++;
	s->data_len = d->len < sizeof(s->data) ? d->len : sizeof(s->data);
	memcpy(s->data, d->val, s->data_len);
}

/* ---- running the loop ------------------------------------------------ */

static void guard(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(bool *)arg = true;
}

bool script_run_until(struct event_base *base, const bool *flag,
		      unsigned max_ms)
{
	struct timeval tv = { max_ms / 1000, (long)(max_ms % 1000) * 1000 };
	bool expired = false;
	struct event *ev = evtimer_new(base, guard, &expired);

	evtimer_add(ev, &tv);
	while (!*flag && !expired)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(ev);
	return *flag;
}

void script_run_for(struct event_base *base, unsigned ms)
{
	bool never = false;

	script_run_until(base, &never, ms);
}
