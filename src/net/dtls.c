/*
 * dtls.c — DTLS sessions over batched UDP; see dtls.h.
 *
 * How "no per-client state before the cookie" holds with OpenSSL 3.0, which
 * has no datagram memory BIO (BIO_s_dgram_mem is 3.2+):
 *
 *  - Each worker keeps ONE listening SSL with two plain memory BIOs. A
 *    ClientHello from an unknown peer is written, alone, into its read BIO
 *    and DTLSv1_listen() runs on it. Because the BIO holds exactly one
 *    datagram, the stream nature of BIO_s_mem does not matter. Without a
 *    valid cookie DTLSv1_listen returns 0 after writing a HelloVerifyRequest
 *    into the write BIO, which we send; the SSL is cleared by the next
 *    DTLSv1_listen call. Nothing was allocated for the peer.
 *  - The cookie is HMAC-SHA256(secret, peer address | port); the callbacks
 *    find the secrets and the peer through SSL_get_app_data (a `struct
 *    cookie_ctx`: the listening SSL's names the stranger for the duration
 *    of DTLSv1_listen). The secret is rotated every DTLS_ROTATE_MS and the
 *    previous one still verifies.
 *  - With a valid cookie DTLSv1_listen returns 1 and the SSL holds the
 *    buffered ClientHello and the handshake sequence numbers (a fresh SSL
 *    fed the same ClientHello would expect message_seq 0 and stall). So
 *    that SSL becomes the session's, and the worker makes a new listening
 *    SSL when the next stranger calls. State is thus created only for
 *    peers that returned a cookie, and at most dtls_max_sessions of them.
 *
 * Verified with `openssl s_client -dtls1_2` and `-dtls` against
 * OpenSSL 3.0.
 *
 * Output: SSL writes records into a memory BIO; we cut that byte stream at
 * record boundaries (13-byte header, length at offset 11) and pack records
 * into datagrams of at most DTLS_MTU bytes (RFC 6347 §4.1.1 lets several
 * records share a datagram). Input: one datagram at a time into the read
 * BIO, drained by SSL before the next.
 */
#include "net/dtls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "base/clock.h"
#include "base/cursor.h"
#include "base/hmac.h"
#include "base/log.h"
#include "base/rand.h"

/* Datagram budget: IPv6's minimum MTU 1280 less IPv6 and UDP headers,
 * rounded down; handshake records are fragmented to fit. */
#define DTLS_MTU	1200
#define DTLS_REC_HDR	13
#define DTLS_COOKIE_LEN 32
#define DTLS_SECRET_LEN 32
#define DTLS_ROTATE_MS	(5u * 60u * 1000u)
#define DTLS_TAB_MIN	64
/* Largest plaintext of one record (RFC 6347 §4.1: 2^14). */
#define DTLS_PLAIN_MAX 16384

enum sess_why {
	WHY_NONE = 0,
	WHY_HS_FAIL,
	WHY_HS_TIMEOUT,
	WHY_IDLE,
	WHY_ALLOC_TIMEOUT,
	WHY_NOTIFY,
	WHY_GARBAGE,
	WHY_ERROR,
	WHY_REPLACED,
	WHY_SHUTDOWN,
};

/* What the cookie callbacks need; an SSL's app data points at one. The
 * listening SSL's names the stranger being answered; a session's, its peer
 * (OpenSSL checks the cookie again when the session's SSL_accept processes
 * the buffered ClientHello). */
struct cookie_ctx {
	const struct net_dtls_worker *d;
	const struct sa *peer;
};

struct net_dtls_worker {
	struct net_env *env;
	SSL_CTX *ctx;
	SSL *listen;	  /* the reusable cookie-exchange SSL, or NULL */
	BIO_ADDR *client; /* DTLSv1_listen's output; unused */
	uint8_t secret[2][DTLS_SECRET_LEN]; /* current, previous */
	uint64_t rotated_ms;
	struct cookie_ctx ck; /* the listening SSL's */
	uint8_t plain[DTLS_PLAIN_MAX];
};

struct dtls_sess {
	struct net_conn conn; /* first: handed up as pkt->conn */
	struct net_dtls_sock *s;
	struct dtls_sess *next; /* hash chain */
	SSL *ssl;		/* owns rbio, wbio */
	BIO *rbio, *wbio;
	struct event *timer;
	struct sa peer, local;
	struct cookie_ctx ck;
	uint64_t hs_deadline; /* 0 once the handshake is done */
	uint64_t last_rx;     /* last authenticated record */
	uint64_t born;	      /* ms the session was created */
	uint32_t hash;
	uint32_t slot; /* its address's counter (net_limits) */
};

struct net_dtls_sock {
	struct net_dtls_worker *d;
	struct net_udp_sock *udp;
	net_input_fn fn;
	net_closed_fn closed;
	void *arg;
	struct dtls_sess **tab; /* peer -> session, chained */
	size_t tabsize;		/* power of two */
	size_t n;
	uint32_t seed; /* the peer chooses the key: hash with a secret */
};

static int sess_send(struct net_conn *nc, const uint8_t *buf, size_t len);

static const struct net_conn_ops sess_ops = { .send = sess_send };

/* ---- cookies ------------------------------------------------------------ */

static int cookie_make(const struct net_dtls_worker *d, int which,
		       const struct sa *peer, uint8_t out[DTLS_COOKIE_LEN])
{
	uint8_t msg[18];
	const uint8_t *a;
	size_t n;

	a = sa_addr_bytes(peer, &n);
	if (!a)
		return EINVAL;
	memcpy(msg, a, n);
	put_be16(msg + n, sa_port(peer));
	return hmac2(HMAC_SHA256, d->secret[which], DTLS_SECRET_LEN, msg, n + 2,
		     NULL, 0, out, DTLS_COOKIE_LEN)
		   ? EIO
		   : 0;
}

static int cookie_gen_cb(SSL *ssl, unsigned char *cookie, unsigned int *len)
{
	const struct cookie_ctx *ck = SSL_get_app_data(ssl);

	if (!ck || !ck->peer || cookie_make(ck->d, 0, ck->peer, cookie))
		return 0;
	*len = DTLS_COOKIE_LEN;
	return 1;
}

static int cookie_verify_cb(SSL *ssl, const unsigned char *cookie,
			    unsigned int len)
{
	const struct cookie_ctx *ck = SSL_get_app_data(ssl);
	uint8_t want[DTLS_COOKIE_LEN];
	int which;

	if (!ck || !ck->peer || len != DTLS_COOKIE_LEN)
		return 0;
	for (which = 0; which < 2; which++) {
		if (cookie_make(ck->d, which, ck->peer, want) == 0 &&
		    CRYPTO_memcmp(want, cookie, DTLS_COOKIE_LEN) == 0)
			return 1;
	}
	return 0;
}

static void secret_rotate(struct net_dtls_worker *d, uint64_t now)
{
	if (now - d->rotated_ms < DTLS_ROTATE_MS)
		return;
	memcpy(d->secret[1], d->secret[0], DTLS_SECRET_LEN);
	if (rand_bytes(d->secret[0], DTLS_SECRET_LEN)) {
		/* keep the old secret rather than a predictable one */
		memcpy(d->secret[0], d->secret[1], DTLS_SECRET_LEN);
		return;
	}
	d->rotated_ms = now;
}

/* ---- output: memory BIO -> datagrams ------------------------------------ */

/* Send what SSL wrote into wbio to `to`, records packed into datagrams of
 * at most DTLS_MTU bytes, then empty wbio. */
static void bio_flush(struct net_udp_sock *udp, BIO *wbio, const struct sa *to,
		      const struct sa *src)
{
	char *data = NULL;
	long n = BIO_get_mem_data(wbio, &data);
	const uint8_t *p = (const uint8_t *)data;
	size_t len, start = 0, cur = 0, rl;

	if (n <= 0 || !p)
		return;
	len = (size_t)n;
	while (cur < len) {
		rl = len - cur;
		if (rl >= DTLS_REC_HDR)
			rl = DTLS_REC_HDR + get_be16(p + cur + 11);
		if (rl > len - cur)
			rl = len - cur;
		if (cur > start && cur + rl - start > DTLS_MTU) {
			net_udp_send(udp, to, src, p + start, cur - start);
			start = cur;
		}
		cur += rl;
	}
	if (cur > start)
		net_udp_send(udp, to, src, p + start, cur - start);
	(void)BIO_reset(wbio);
}

static void sess_flush(struct dtls_sess *ss)
{
	bio_flush(ss->s->udp, ss->wbio, &ss->peer, &ss->local);
}

static int sess_send(struct net_conn *nc, const uint8_t *buf, size_t len)
{
	struct dtls_sess *ss = (struct dtls_sess *)nc;

	if (ss->hs_deadline || len == 0 || len > DTLS_PLAIN_MAX ||
	    SSL_write(ss->ssl, buf, (int)len) <= 0) {
		ERR_clear_error();
		ss->s->d->env->stats->dtls_out_dropped++;
		return ENOBUFS;
	}
	sess_flush(ss);
	return 0;
}

/* ---- the session table -------------------------------------------------- */

static uint32_t peer_hash(uint32_t seed, const struct sa *a)
{
	/* FNV-1a from a secret basis, then a murmur3 finaliser */
	uint32_t h = seed;
	size_t n, i;
	const uint8_t *p = sa_addr_bytes(a, &n);
	uint16_t port = sa_port(a);

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	h = (h ^ (port & 0xffu)) * 16777619u;
	h = (h ^ (uint32_t)(port >> 8)) * 16777619u;
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

static struct dtls_sess *tab_find(const struct net_dtls_sock *s,
				  const struct sa *peer, uint32_t h)
{
	struct dtls_sess *ss = s->tab[h & (s->tabsize - 1)];

	while (ss && !(ss->hash == h && sa_equal(&ss->peer, peer)))
		ss = ss->next;
	return ss;
}

static void tab_unlink(struct net_dtls_sock *s, struct dtls_sess *ss)
{
	struct dtls_sess **pp = &s->tab[ss->hash & (s->tabsize - 1)];

	while (*pp && *pp != ss)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = ss->next;
		s->n--;
	}
}

/* Double the table when it is fuller than one entry per bucket; a failed
 * resize only makes chains longer. */
static void tab_grow(struct net_dtls_sock *s)
{
	size_t size = s->tabsize * 2, i;
	struct dtls_sess **tab, *ss, *next;

	if (s->n < s->tabsize || !(tab = calloc(size, sizeof(*tab))))
		return;
	for (i = 0; i < s->tabsize; i++) {
		for (ss = s->tab[i]; ss; ss = next) {
			next = ss->next;
			ss->next = tab[ss->hash & (size - 1)];
			tab[ss->hash & (size - 1)] = ss;
		}
	}
	free(s->tab);
	s->tab = tab;
	s->tabsize = size;
}

static void tab_insert(struct net_dtls_sock *s, struct dtls_sess *ss)
{
	struct dtls_sess **b;

	tab_grow(s);
	b = &s->tab[ss->hash & (s->tabsize - 1)];
	ss->next = *b;
	*b = ss;
	s->n++;
}

/* ---- sessions ----------------------------------------------------------- */

static void sess_count(struct dtls_sess *ss, enum sess_why why)
{
	struct net_stats *st = ss->s->d->env->stats;

	switch (why) {
	case WHY_HS_FAIL:
		st->dtls_handshake_fail++;
		break;
	case WHY_HS_TIMEOUT:
		st->dtls_handshake_timeout++;
		break;
	case WHY_IDLE:
		st->dtls_closed_idle++;
		break;
	case WHY_ALLOC_TIMEOUT:
		st->dtls_closed_alloc_timeout++;
		break;
	case WHY_NOTIFY:
		st->dtls_closed_notify++;
		break;
	case WHY_GARBAGE:
		st->dtls_closed_garbage++;
		break;
	default:
		break;
	}
}

/* Free ss: SSL (and its BIOs), timer, table entry, place under the cap.
 * A session that ends in an orderly way says close_notify first. */
static void sess_close(struct dtls_sess *ss, enum sess_why why)
{
	struct net_dtls_sock *s = ss->s;

	sess_count(ss, why);
	if (why == WHY_NOTIFY || why == WHY_GARBAGE || why == WHY_IDLE ||
	    why == WHY_ALLOC_TIMEOUT) {
		if (!ss->hs_deadline && SSL_shutdown(ss->ssl) >= 0)
			sess_flush(ss);
	}
	ERR_clear_error();
	if (s->closed)
		s->closed(s->arg, &ss->conn);
	tab_unlink(s, ss);
	if (ss->timer)
		event_free(ss->timer);
	SSL_free(ss->ssl);
	net_limits_put(s->d->env->limits, NET_CAP_DTLS, ss->slot);
	free(ss);
}

static uint64_t after(uint64_t t, uint32_t ms)
{
	return ms ? t + ms : UINT64_MAX;
}

/* The allocate deadline: a session not answered an authenticated success
 * by then is closed, whatever else it sends. */
static uint64_t sess_alloc_deadline(const struct dtls_sess *ss)
{
	return ss->conn.authed ? UINT64_MAX
			       : after(ss->born, ss->s->d->env->to.alloc_ms);
}

/* Sleep until the next deadline: handshake end or retransmission while
 * handshaking, idle expiry after. */
static void sess_arm(struct dtls_sess *ss, uint64_t now)
{
	uint64_t d, ms;
	struct timeval tv;

	if (ss->hs_deadline) {
		d = ss->hs_deadline;
		if (DTLSv1_get_timeout(ss->ssl, &tv) == 1) {
			ms = (uint64_t)tv.tv_sec * 1000u +
			     (uint64_t)tv.tv_usec / 1000u + 1u;
			d = now + ms < d ? now + ms : d;
		}
	} else {
		d = after(ss->last_rx, ss->s->d->env->to.idle_ms);
		ms = sess_alloc_deadline(ss);
		d = ms < d ? ms : d;
	}
	if (d == UINT64_MAX) {
		event_del(ss->timer);
		return;
	}
	ms = d > now ? d - now : 0;
	tv.tv_sec = (time_t)(ms / 1000u);
	tv.tv_usec = (suseconds_t)(ms % 1000u) * 1000;
	event_add(ss->timer, &tv);
}

static void sess_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dtls_sess *ss = arg;
	uint64_t now = clock_mono_ms();
	enum sess_why why = WHY_NONE;

	(void)fd;
	(void)what;
	if (ss->hs_deadline && now >= ss->hs_deadline)
		why = WHY_HS_TIMEOUT;
	else if (ss->hs_deadline && DTLSv1_handle_timeout(ss->ssl) < 0)
		why = WHY_HS_FAIL; /* too many retransmissions */
	else if (!ss->hs_deadline && now >= sess_alloc_deadline(ss))
		why = WHY_ALLOC_TIMEOUT;
	else if (!ss->hs_deadline &&
		 now >= after(ss->last_rx, ss->s->d->env->to.idle_ms))
		why = WHY_IDLE;
	if (why) {
		sess_close(ss, why);
		return;
	}
	sess_flush(ss); /* a retransmitted flight */
	sess_arm(ss, now);
}

static enum sess_why sess_handshake(struct dtls_sess *ss, uint64_t now)
{
	struct net_env *env = ss->s->d->env;
	char a[SA_STRLEN], e[160];
	int r, err;

	r = SSL_accept(ss->ssl);
	if (r == 1) {
		ss->hs_deadline = 0;
		ss->last_rx = now;
		log_debug("DTLS session with %s: %s %s",
			  sa_print(&ss->peer, a, sizeof(a)),
			  SSL_get_version(ss->ssl),
			  SSL_get_cipher_name(ss->ssl));
		return WHY_NONE;
	}
	err = SSL_get_error(ss->ssl, r);
	if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
		return WHY_NONE;
	log_limited(&env->ll_err, now, LOG_LVL_INFO,
		    "DTLS handshake with %s failed: %s",
		    sa_print(&ss->peer, a, sizeof(a)),
		    net_tls_errstr(e, sizeof(e)));
	return WHY_HS_FAIL;
}

/* Hand every decrypted record up; each is one STUN or ChannelData message,
 * as a datagram would be (RFC 7350 §4). */
static enum sess_why sess_read(struct dtls_sess *ss, uint64_t now)
{
	struct net_dtls_worker *d = ss->s->d;
	struct net_pkt pkt = { d->plain,   0,	      &ss->peer,
			       &ss->local, &ss->conn, now };
	int n, err;

	for (;;) {
		n = SSL_read(ss->ssl, d->plain, sizeof(d->plain));
		if (n <= 0)
			break;
		/* only an authenticated record proves the peer alive: a
		 * spoofed datagram must not keep the session open */
		ss->last_rx = now;
		pkt.len = (size_t)n;
		if (ss->s->fn(ss->s->arg, &pkt) == EBADMSG)
			return WHY_GARBAGE;
	}
	err = SSL_get_error(ss->ssl, n);
	if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
		return WHY_NONE;
	return err == SSL_ERROR_ZERO_RETURN ? WHY_NOTIFY : WHY_ERROR;
}

/* Drive the handshake or read the records now in rbio, send what SSL
 * wrote, and close the session if that ended it. */
static void sess_step(struct dtls_sess *ss, uint64_t now)
{
	enum sess_why why = WHY_NONE;
	bool handshaking = ss->hs_deadline != 0;

	if (ss->hs_deadline)
		why = sess_handshake(ss, now);
	if (!why && !ss->hs_deadline)
		why = sess_read(ss, now);
	(void)BIO_reset(ss->rbio); /* nothing of this datagram may linger */
	sess_flush(ss);
	if (why)
		sess_close(ss, why);
	else if (handshaking)
		sess_arm(ss, now);
}

static void sess_input(struct dtls_sess *ss, const struct net_pkt *pkt)
{
	if (BIO_write(ss->rbio, pkt->buf, (int)pkt->len) != (int)pkt->len) {
		sess_close(ss, WHY_ERROR);
		return;
	}
	sess_step(ss, pkt->now_ms);
}

/* ---- stateless cookie exchange and session creation --------------------- */

static SSL *listen_ssl_new(struct net_dtls_worker *d)
{
	SSL *ssl = SSL_new(d->ctx);
	BIO *r = BIO_new(BIO_s_mem()), *w = BIO_new(BIO_s_mem());

	if (!ssl || !r || !w) {
		SSL_free(ssl);
		BIO_free(r);
		BIO_free(w);
		ERR_clear_error();
		return NULL;
	}
	/* empty means "try again", not end of file */
	BIO_set_mem_eof_return(r, -1);
	BIO_set_mem_eof_return(w, -1);
	SSL_set_bio(ssl, r, w);
	SSL_set_app_data(ssl, &d->ck);
	/* a memory BIO knows no MTU: fix the record size ourselves */
	SSL_set_options(ssl, SSL_OP_NO_QUERY_MTU);
	SSL_set_mtu(ssl, DTLS_MTU);
	return ssl;
}

/* Count and log a session refused over a cap (rc of net_limits_take). */
static void sess_refused(struct net_env *env, const struct sa *peer, int rc,
			 uint64_t now)
{
	bool addr = rc == EDQUOT;
	char a[SA_STRLEN];

	if (addr)
		env->stats->dtls_refused_addr++;
	else
		env->stats->dtls_refused++;
	log_limited(&env->ll_cap, now, LOG_LVL_WARN,
		    "DTLS %ssession limit %u reached: refusing %s",
		    addr ? "per-address " : "",
		    addr ? env->limits->max_per_addr
			 : env->limits->max_dtls_sessions,
		    sa_print(peer, a, sizeof(a)));
}

/* The listening SSL accepted a cookie: it becomes the session's. */
static void sess_create(struct net_dtls_sock *s, const struct net_pkt *pkt,
			uint32_t h)
{
	struct net_dtls_worker *d = s->d;
	struct net_env *env = d->env;
	struct dtls_sess *ss;
	uint32_t slot = 0;
	int rc;

	rc = net_limits_take(env->limits, NET_CAP_DTLS, pkt->from, &slot);
	if (rc) {
		sess_refused(env, pkt->from, rc, pkt->now_ms);
		return;
	}
	ss = calloc(1, sizeof(*ss));
	if (!ss || !(ss->timer = evtimer_new(env->base, sess_timer_cb, ss))) {
		free(ss);
		net_limits_put(env->limits, NET_CAP_DTLS, slot);
		return;
	}
	ss->slot = slot;
	ss->conn.ops = &sess_ops;
	ss->s = s;
	ss->ssl = d->listen;
	d->listen = NULL;
	ss->rbio = SSL_get_rbio(ss->ssl);
	ss->wbio = SSL_get_wbio(ss->ssl);
	ss->peer = *pkt->from;
	ss->local = *pkt->local;
	ss->ck.d = d;
	ss->ck.peer = &ss->peer;
	SSL_set_app_data(ss->ssl, &ss->ck);
	ss->hash = h;
	ss->hs_deadline = after(pkt->now_ms, env->to.handshake_ms);
	ss->last_rx = pkt->now_ms;
	ss->born = pkt->now_ms;
	tab_insert(s, ss);
	env->stats->dtls_sessions++;
	sess_step(ss, pkt->now_ms);
}

/* A record header of a ClientHello: handshake (22), DTLS major version
 * 0xfe, epoch 0, and handshake type client_hello (1) after the header. */
static bool is_client_hello(const uint8_t *p, size_t len)
{
	return len >= DTLS_REC_HDR + 12 && p[0] == 22 && p[1] == 0xfe &&
	       p[3] == 0 && p[4] == 0 && p[DTLS_REC_HDR] == 1;
}

/*
 * A ClientHello from a peer without a session (or, with `old`, from a
 * peer whose established session it would replace: a restarted client).
 * Returns whether a session was created.
 */
static bool dtls_listen(struct net_dtls_sock *s, const struct net_pkt *pkt,
			uint32_t h, struct dtls_sess *old)
{
	struct net_dtls_worker *d = s->d;
	BIO *rbio, *wbio;
	int r;

	if (!d->listen && !(d->listen = listen_ssl_new(d)))
		return false;
	secret_rotate(d, pkt->now_ms);
	rbio = SSL_get_rbio(d->listen);
	wbio = SSL_get_wbio(d->listen);
	(void)BIO_reset(rbio);
	(void)BIO_reset(wbio);
	BIO_write(rbio, pkt->buf, (int)pkt->len);
	d->ck.peer = pkt->from;
	r = DTLSv1_listen(d->listen, d->client);
	d->ck.peer = NULL;
	if (r <= 0) {
		/* 0: a HelloVerifyRequest (or nothing) was written; < 0: a
		 * ClientHello OpenSSL could not parse, maybe with an alert */
		if (r == 0 && BIO_ctrl_pending(wbio))
			d->env->stats->dtls_cookies_sent++;
		bio_flush(s->udp, wbio, pkt->from, pkt->local);
		ERR_clear_error();
		return false;
	}
	if (old)
		sess_close(old, WHY_REPLACED);
	sess_create(s, pkt, h);
	return true;
}

static int dtls_udp_input(void *arg, const struct net_pkt *pkt)
{
	struct net_dtls_sock *s = arg;
	uint32_t h = peer_hash(s->seed, pkt->from);
	struct dtls_sess *ss = tab_find(s, pkt->from, h);
	bool hello = is_client_hello(pkt->buf, pkt->len);

	if (!ss && !hello) {
		s->d->env->stats->dtls_drop_stray++;
		return 0;
	}
	/* an established session gets a ClientHello: the client restarted
	 * on the same port, or someone spoofs it. Only a valid cookie (the
	 * real peer) replaces the session. */
	if (ss && hello && !ss->hs_deadline) {
		dtls_listen(s, pkt, h, ss);
		return 0;
	}
	if (ss)
		sess_input(ss, pkt);
	else
		dtls_listen(s, pkt, h, NULL);
	return 0;
}

/* ---- objects ------------------------------------------------------------ */

int net_dtls_ctx_alloc(SSL_CTX **ctxp, const struct net_tls_opts *o, char *err,
		       size_t errlen)
{
	SSL_CTX *ctx;
	int rc;

	rc = net_tls_ctx_new_err(&ctx, NET_TLS_DTLS, o, err, errlen);
	if (rc)
		return rc;
	SSL_CTX_set_cookie_generate_cb(ctx, cookie_gen_cb);
	SSL_CTX_set_cookie_verify_cb(ctx, cookie_verify_cb);
	*ctxp = ctx;
	return 0;
}

void net_dtls_worker_free(struct net_dtls_worker *d)
{
	if (!d)
		return;
	SSL_free(d->listen);
	BIO_ADDR_free(d->client);
	OPENSSL_cleanse(d->secret, sizeof(d->secret));
	free(d);
}

void net_dtls_worker_set_ctx(struct net_dtls_worker *d, SSL_CTX *ctx)
{
	if (!d || !ctx || ctx == d->ctx)
		return;
	/* the reusable cookie-exchange SSL belongs to the old context. It
	 * keeps nothing between datagrams, and a cookie it sent still
	 * verifies on its successor: the cookie secrets are the worker's */
	SSL_free(d->listen);
	d->listen = NULL;
	d->ctx = ctx;
}

int net_dtls_worker_alloc(struct net_dtls_worker **dp, struct net_env *env,
			  SSL_CTX *ctx)
{
	struct net_dtls_worker *d;
	int rc = ENOMEM;

	if (!env || !ctx)
		return EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return ENOMEM;
	d->env = env;
	d->ctx = ctx;
	d->ck.d = d;
	d->client = BIO_ADDR_new();
	if (!d->client)
		goto out;
	rc = rand_bytes(d->secret, sizeof(d->secret));
	if (rc)
		goto out;
	d->rotated_ms = clock_mono_ms();
	*dp = d;
	d = NULL;
out:
	net_dtls_worker_free(d);
	return rc;
}

void net_dtls_sock_free(struct net_dtls_sock *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; s->tab && i < s->tabsize; i++) {
		while (s->tab[i])
			sess_close(s->tab[i], WHY_SHUTDOWN);
	}
	net_udp_sock_free(s->udp);
	free(s->tab);
	free(s);
}

int net_dtls_sock_alloc(struct net_dtls_sock **sp, struct net_dtls_worker *d,
			struct net_udp_io *io, const struct sa *addr,
			bool probe, net_input_fn fn, net_closed_fn closed,
			void *arg)
{
	struct net_dtls_sock *s;
	int rc = ENOMEM;

	if (!d || !io || !addr || !fn)
		return EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return ENOMEM;
	s->d = d;
	s->fn = fn;
	s->closed = closed;
	s->arg = arg;
	s->tabsize = DTLS_TAB_MIN;
	s->tab = calloc(s->tabsize, sizeof(*s->tab));
	if (!s->tab)
		goto out;
	rc = rand_bytes(&s->seed, sizeof(s->seed));
	if (rc)
		goto out;
	rc = net_udp_sock_alloc(&s->udp, io, addr, probe, dtls_udp_input, s);
	if (rc)
		goto out;
	*sp = s;
	s = NULL;
out:
	net_dtls_sock_free(s);
	return rc;
}

int net_dtls_sock_steer(struct net_dtls_sock *s, unsigned n)
{
	return s ? net_udp_sock_steer(s->udp, n) : EINVAL;
}
