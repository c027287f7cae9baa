/*
 * stream.c — TCP/TLS listeners and framed connections; see stream.h.
 *
 * Timeouts use one timer per connection that is re-armed lazily: reads only
 * stamp `last_rx`; when the timer fires it either closes the connection or
 * sleeps until the next deadline. The only eager re-arm is when a partial
 * frame starts and its deadline is earlier than the armed one.
 *
 * Re-entrancy: a bufferevent may report an error from inside
 * bufferevent_write (OpenSSL writes at once). While a connection's frames
 * are being handed up (`in_input`), an error only marks it `dead`; the
 * frame loop closes it when the input function returns.
 */
#include "net/stream.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/err.h>

#include "base/clock.h"
#include "base/log.h"
#include "net/steer.h"
#include "net/udp.h"
#include "stun/stun.h"

/* Read no further while this much input waits; a frame is at most
 * 65535 + 20 bytes, so this never stalls a complete frame. */
#define STREAM_READ_HIGH (160u * 1024u)
/* After accept() fails (EMFILE, ENFILE), listen again after this long. */
#define STREAM_ACCEPT_RETRY_MS 1000

enum close_why {
	CLOSE_PEER,
	CLOSE_IDLE,
	CLOSE_FRAME,
	CLOSE_GARBAGE,
	CLOSE_HS_FAIL,
	CLOSE_HS_TIMEOUT,
	CLOSE_ALLOC_TIMEOUT,
	CLOSE_SHUTDOWN,
};

struct stream_conn {
	struct net_conn conn; /* first: handed up as pkt->conn */
	struct net_stream_listener *l;
	struct stream_conn *prev, *next;
	struct bufferevent *bev;
	struct event *timer;
	struct sa peer, local;
	uint64_t born;		/* ms it was accepted */
	uint64_t last_rx;	/* ms of the last read */
	uint64_t partial_since; /* ms a partial frame started, 0 = none */
	uint64_t hs_deadline;	/* TLS handshake deadline, 0 = done / TCP */
	uint64_t armed;		/* deadline the timer is set for */
	uint32_t slot;		/* its address's counter (net_limits) */
	enum close_why dead_why;
	bool in_input; /* frames are being handed up */
	bool dead;     /* close when the frame loop returns */
	bool draining; /* EOF seen: close once the output is sent */
};

struct net_stream_listener {
	struct net_env *env;
	struct evconnlistener *lev;
	struct event *retry;
	SSL_CTX *tls;
	net_input_fn fn;
	net_closed_fn closed;
	void *arg;
	struct sa addr;
	struct stream_conn *conns;
};

static int conn_send(struct net_conn *nc, const uint8_t *buf, size_t len);

static const struct net_conn_ops conn_ops = { .send = conn_send };

/* ---- closing ------------------------------------------------------------ */

static void conn_count(struct stream_conn *c, enum close_why why)
{
	struct net_stats *st = c->l->env->stats;

	switch (why) {
	case CLOSE_PEER:
		st->tcp_closed_peer++;
		break;
	case CLOSE_IDLE:
		st->tcp_closed_idle++;
		break;
	case CLOSE_FRAME:
		st->tcp_closed_frame_timeout++;
		break;
	case CLOSE_GARBAGE:
		st->tcp_closed_garbage++;
		break;
	case CLOSE_HS_FAIL:
		st->tls_handshake_fail++;
		break;
	case CLOSE_HS_TIMEOUT:
		st->tls_handshake_timeout++;
		break;
	case CLOSE_ALLOC_TIMEOUT:
		st->tcp_closed_alloc_timeout++;
		break;
	case CLOSE_SHUTDOWN:
		break;
	}
}

/* Tell the owner, then free c: its bufferevent (which closes the socket
 * and frees the SSL), its timer, and its place under the connection cap. */
static void conn_close(struct stream_conn *c, enum close_why why)
{
	struct net_stream_listener *l = c->l;

	conn_count(c, why);
	if (l->closed)
		l->closed(l->arg, &c->conn);
	if (c->prev)
		c->prev->next = c->next;
	else
		l->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->timer)
		event_free(c->timer);
	if (c->bev)
		bufferevent_free(c->bev);
	net_limits_put(l->env->limits, NET_CAP_STREAM, c->slot);
	free(c);
}

/* ---- timers ------------------------------------------------------------- */

static uint64_t after(uint64_t t, uint32_t ms)
{
	return ms ? t + ms : UINT64_MAX;
}

/* The allocate deadline: a connection that has not been answered an
 * authenticated success by then is closed, whatever else it sends. */
static uint64_t conn_alloc_deadline(const struct stream_conn *c)
{
	return c->conn.authed ? UINT64_MAX
			      : after(c->born, c->l->env->to.alloc_ms);
}

static uint64_t conn_deadline(const struct stream_conn *c)
{
	const struct net_timeouts *to = &c->l->env->to;
	uint64_t d = after(c->last_rx, to->idle_ms), f;

	f = conn_alloc_deadline(c);
	d = f < d ? f : d;
	if (c->partial_since) {
		f = after(c->partial_since, to->frame_ms);
		d = f < d ? f : d;
	}
	if (c->hs_deadline && c->hs_deadline < d)
		d = c->hs_deadline;
	return d;
}

static void conn_arm(struct stream_conn *c, uint64_t now)
{
	uint64_t d = conn_deadline(c), ms;
	struct timeval tv;

	c->armed = d;
	if (d == UINT64_MAX) {
		event_del(c->timer);
		return;
	}
	ms = d > now ? d - now : 0;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	event_add(c->timer, &tv);
}

static void conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct stream_conn *c = arg;
	const struct net_timeouts *to = &c->l->env->to;
	uint64_t now = clock_mono_ms();

	(void)fd;
	(void)what;
	if (c->hs_deadline && now >= c->hs_deadline)
		conn_close(c, CLOSE_HS_TIMEOUT);
	else if (now >= conn_alloc_deadline(c))
		conn_close(c, CLOSE_ALLOC_TIMEOUT);
	else if (c->partial_since &&
		 now >= after(c->partial_since, to->frame_ms))
		conn_close(c, CLOSE_FRAME);
	else if (now >= after(c->last_rx, to->idle_ms))
		conn_close(c, c->draining ? CLOSE_PEER : CLOSE_IDLE);
	else
		conn_arm(c, now);
}

/* ---- input -------------------------------------------------------------- */

static int conn_hand_up(struct stream_conn *c, const uint8_t *buf, size_t len,
			uint64_t now)
{
	struct net_pkt pkt = { buf, len, &c->peer, &c->local, &c->conn, now };
	int rc;

	c->in_input = true;
	rc = c->l->fn(c->l->arg, &pkt);
	c->in_input = false;
	return rc == EBADMSG ? EBADMSG : 0;
}

/*
 * Cut every complete frame off the input and hand it up. Returns 0 (what
 * is left is a partial frame or nothing), EBADMSG (garbage: close), or
 * ECONNRESET (the connection died meanwhile). *took says whether a frame
 * was consumed.
 */
static int conn_frames(struct stream_conn *c, uint64_t now, bool *took)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	uint8_t hdr[4];
	size_t avail, flen, n;
	const uint8_t *p;
	int rc;

	/* from the first byte on: garbage is refused before it piles up */
	while ((avail = evbuffer_get_length(in)) > 0) {
		n = avail < sizeof(hdr) ? avail : sizeof(hdr);
		evbuffer_copyout(in, hdr, n);
		rc =
		    stun_frame_len_flags(hdr, n, &flen, c->l->env->frame_flags);
		if (rc == EBADMSG)
			return EBADMSG;
		if (rc || flen > avail)
			return 0;
		p = evbuffer_pullup(in, (ev_ssize_t)flen);
		if (!p)
			return ECONNRESET;
		rc = conn_hand_up(c, p, flen, now);
		evbuffer_drain(in, flen);
		*took = true;
		if (c->dead)
			return ECONNRESET;
		if (rc)
			return EBADMSG;
	}
	return 0;
}

/* Track when the frame now waiting in the input started. */
static void conn_track_partial(struct stream_conn *c, uint64_t now, bool took)
{
	size_t left = evbuffer_get_length(bufferevent_get_input(c->bev));

	if (!left) {
		c->partial_since = 0;
		return;
	}
	if (took || !c->partial_since) {
		c->partial_since = now;
		if (after(now, c->l->env->to.frame_ms) < c->armed)
			conn_arm(c, now);
	}
}

static void conn_garbage(struct stream_conn *c, uint64_t now)
{
	char a[SA_STRLEN];

	log_limited(&c->l->env->ll_err, now, LOG_LVL_INFO,
		    "closing %s connection from %s: input is not STUN",
		    c->l->tls ? "TLS" : "TCP",
		    sa_print(&c->peer, a, sizeof(a)));
	conn_close(c, CLOSE_GARBAGE);
}

static void conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct stream_conn *c = arg;
	uint64_t now = clock_mono_ms();
	bool took = false;
	int rc;

	(void)bev;
	c->last_rx = now;
	rc = conn_frames(c, now, &took);
	if (rc == EBADMSG)
		conn_garbage(c, now);
	else if (rc)
		conn_close(c, c->dead ? c->dead_why : CLOSE_PEER);
	else
		conn_track_partial(c, now, took);
}

/* ---- output and events -------------------------------------------------- */

static void record_free(const void *data, size_t len, void *arg)
{
	(void)len;
	(void)arg;
	free((void *)data);
}

/*
 * TLS: one record per message. bufferevent_openssl
 * hands each chain of the output buffer to its own SSL_write, and a plain
 * bufferevent_write appends to the last chain, so messages queued while
 * the socket is full would share a record. A reference chain is never
 * appended to. Clients that take one SSL_read for one message (coturn's
 * turnutils_uclient does) would lose every message but the first of a
 * shared record; a copy per message is cheap beside its encryption.
 */
static int conn_add_record(struct evbuffer *out, const uint8_t *buf, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);

	if (!copy)
		return ENOMEM;
	memcpy(copy, buf, len);
	if (evbuffer_add_reference(out, copy, len, record_free, NULL)) {
		free(copy);
		return ENOMEM;
	}
	return 0;
}

static int conn_send(struct net_conn *nc, const uint8_t *buf, size_t len)
{
	struct stream_conn *c = (struct stream_conn *)nc;
	struct evbuffer *out;

	if (c->dead || c->draining)
		return ENOBUFS;
	out = bufferevent_get_output(c->bev);
	if (evbuffer_get_length(out) + len > NET_STREAM_OUT_MAX) {
		c->l->env->stats->tcp_out_dropped++;
		return ENOBUFS;
	}
	if (c->l->tls)
		return conn_add_record(out, buf, len);
	return bufferevent_write(c->bev, buf, len) == 0 ? 0 : ENOMEM;
}

/* Output sent after the peer's EOF: done. */
static void conn_drained_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	conn_close(arg, CLOSE_PEER);
}

static void conn_event_cb(struct bufferevent *bev, short what, void *arg);

/* The peer sent EOF. A client may half-close after its request
 * ("send; shutdown(SHUT_WR); read"): let the replies go out first. */
static void conn_eof(struct stream_conn *c)
{
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
		conn_close(c, CLOSE_PEER);
		return;
	}
	c->draining = true;
	bufferevent_disable(c->bev, EV_READ);
	bufferevent_setcb(c->bev, NULL, conn_drained_cb, conn_event_cb, c);
}

static void conn_tls_fail(struct stream_conn *c)
{
	unsigned long e = bufferevent_get_openssl_error(c->bev);
	char a[SA_STRLEN], es[160] = "connection closed";

	if (e)
		ERR_error_string_n(e, es, sizeof(es));
	log_limited(&c->l->env->ll_err, clock_mono_ms(), LOG_LVL_INFO,
		    "TLS handshake with %s failed: %s",
		    sa_print(&c->peer, a, sizeof(a)), es);
}

static void conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct stream_conn *c = arg;
	enum close_why why = CLOSE_PEER;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		c->hs_deadline = 0; /* TLS handshake done */
		return;
	}
	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	if (c->hs_deadline) {
		conn_tls_fail(c);
		why = CLOSE_HS_FAIL;
	}
	if (c->in_input) {
		c->dead = true;
		c->dead_why = why;
	} else if ((what & BEV_EVENT_EOF) && !c->draining && !c->hs_deadline) {
		conn_eof(c);
	} else {
		conn_close(c, why);
	}
}

/* ---- accepting ---------------------------------------------------------- */

static struct bufferevent *conn_bev(struct net_stream_listener *l, int fd)
{
	struct bufferevent *bev;
	SSL *ssl;

	if (!l->tls)
		return bufferevent_socket_new(l->env->base, fd,
					      BEV_OPT_CLOSE_ON_FREE);
	ssl = SSL_new(l->tls);
	if (!ssl)
		return NULL;
	bev = bufferevent_openssl_socket_new(l->env->base, fd, ssl,
					     BUFFEREVENT_SSL_ACCEPTING,
					     BEV_OPT_CLOSE_ON_FREE);
	if (!bev) {
		SSL_free(ssl);
		return NULL;
	}
	/* a peer that closes without close_notify has simply gone */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

static void conn_addrs(struct stream_conn *c, int fd, const struct sockaddr *sa,
		       int salen)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	sa_set_sockaddr(&c->peer, sa, (socklen_t)salen);
	c->local = c->l->addr;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		sa_set_sockaddr(&c->local, (struct sockaddr *)&ss, sl);
}

/*
 * Wrap an accepted socket. On success the connection owns fd and is linked
 * into l; on failure fd is still the caller's. Returns 0 or ENOMEM.
 */
static int conn_alloc(struct net_stream_listener *l, int fd,
		      const struct sockaddr *sa, int salen, uint32_t slot,
		      uint64_t now)
{
	struct stream_conn *c;
	int one = 1;

	c = calloc(1, sizeof(*c));
	if (!c)
		return ENOMEM;
	c->timer = evtimer_new(l->env->base, conn_timer_cb, c);
	c->bev = c->timer ? conn_bev(l, fd) : NULL;
	if (!c->bev) {
		if (c->timer)
			event_free(c->timer);
		free(c);
		return ENOMEM;
	}
	c->conn.ops = &conn_ops;
	c->l = l;
	c->slot = slot;
	conn_addrs(c, fd, sa, salen);
	/* replies are whole messages: send them now */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->born = now;
	c->last_rx = now;
	if (l->tls)
		c->hs_deadline = after(now, l->env->to.handshake_ms);
	c->next = l->conns;
	if (c->next)
		c->next->prev = c;
	l->conns = c;
	bufferevent_setcb(c->bev, conn_read_cb, NULL, conn_event_cb, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, STREAM_READ_HIGH);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	conn_arm(c, now);
	return 0;
}

/* Count and log a connection refused over a cap (rc of net_limits_take). */
static void conn_refused(struct net_stream_listener *l, const struct sa *peer,
			 int rc, uint64_t now)
{
	struct net_env *env = l->env;
	char a[SA_STRLEN];

	if (rc == EDQUOT) {
		env->stats->tcp_refused_addr++;
		log_limited(&env->ll_cap, now, LOG_LVL_WARN,
			    "per-address connection limit %u reached: "
			    "refusing %s",
			    env->limits->max_per_addr,
			    sa_print_addr(peer, a, sizeof(a)));
		return;
	}
	env->stats->tcp_refused++;
	log_limited(&env->ll_cap, now, LOG_LVL_WARN,
		    "connection limit %u reached: refusing connections on %s",
		    env->limits->max_conns, sa_print(&l->addr, a, sizeof(a)));
}

static void lst_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
			  struct sockaddr *sa, int salen, void *arg)
{
	struct net_stream_listener *l = arg;
	struct net_env *env = l->env;
	uint64_t now = clock_mono_ms();
	struct sa peer;
	uint32_t slot = 0;
	int rc;

	(void)lev;
	sa_init(&peer);
	sa_set_sockaddr(&peer, sa, (socklen_t)salen);
	rc = net_limits_take(env->limits, NET_CAP_STREAM, &peer, &slot);
	if (rc) {
		conn_refused(l, &peer, rc, now);
		close(fd);
		return;
	}
	if (conn_alloc(l, fd, sa, salen, slot, now)) {
		net_limits_put(env->limits, NET_CAP_STREAM, slot);
		close(fd);
		return;
	}
	env->stats->tcp_accepted++;
}

static void lst_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct net_stream_listener *l = arg;

	(void)fd;
	(void)what;
	evconnlistener_enable(l->lev);
}

/* accept() failed for a reason that will not clear by itself at once (out
 * of descriptors): pause instead of spinning on a readable socket. */
static void lst_error_cb(struct evconnlistener *lev, void *arg)
{
	struct net_stream_listener *l = arg;
	struct timeval tv = { STREAM_ACCEPT_RETRY_MS / 1000,
			      (STREAM_ACCEPT_RETRY_MS % 1000) * 1000 };
	char a[SA_STRLEN];
	int err = errno;

	l->env->stats->tcp_accept_err++;
	log_limited(&l->env->ll_err, clock_mono_ms(), LOG_LVL_WARN,
		    "accept on %s: %s; pausing",
		    sa_print(&l->addr, a, sizeof(a)), strerror(err));
	evconnlistener_disable(lev);
	event_add(l->retry, &tv);
}

void net_stream_listener_free(struct net_stream_listener *l)
{
	if (!l)
		return;
	if (l->lev)
		evconnlistener_free(l->lev);
	if (l->retry)
		event_free(l->retry);
	while (l->conns)
		conn_close(l->conns, CLOSE_SHUTDOWN);
	free(l);
}

int net_stream_listener_steer(struct net_stream_listener *l, unsigned n)
{
	if (!l || !l->lev)
		return EINVAL;
	return net_steer_attach(evconnlistener_get_fd(l->lev),
				sa_family(&l->addr), n);
}

void net_stream_listener_set_tls(struct net_stream_listener *l, SSL_CTX *tls)
{
	if (l && l->tls && tls)
		l->tls = tls;
}

int net_stream_listener_alloc(struct net_stream_listener **lp,
			      struct net_env *env, const struct sa *addr,
			      SSL_CTX *tls, bool probe, net_input_fn fn,
			      net_closed_fn closed, void *arg)
{
	struct net_stream_listener *l;
	int fd = -1, rc = ENOMEM;

	if (!env || !addr || !fn)
		return EINVAL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return ENOMEM;
	l->env = env;
	l->tls = tls;
	l->fn = fn;
	l->closed = closed;
	l->arg = arg;
	l->addr = *addr;
	l->retry = evtimer_new(env->base, lst_retry_cb, l);
	if (!l->retry)
		goto out;
	rc = net_sock_bind(&fd, SOCK_STREAM, addr, probe);
	if (rc)
		goto out;
	/* backlog 0: the socket already listens */
	l->lev = evconnlistener_new(
	    env->base, lst_accept_cb, l,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	if (!l->lev) {
		close(fd);
		rc = ENOMEM;
		goto out;
	}
	evconnlistener_set_error_cb(l->lev, lst_error_cb);
	*lp = l;
	l = NULL;
	rc = 0;
out:
	net_stream_listener_free(l);
	return rc;
}
