/*
 * worker.c — worker threads tying src/net to the turn_server; see worker.h.
 *
 * Every listening socket is a `struct wsock`: the net object, the
 * transport, and the `struct turn_local` the server is told packets arrived
 * on. The server answers through turn_out.send; a stream or DTLS reply goes
 * to its connection, a UDP reply to the socket `via` names among the
 * receiving socket's RFC 5780 siblings.
 *
 * Everything of a worker is created in the main thread before its thread
 * starts (so bind errors come back from worker_pool_start), used only by
 * that thread while it runs, and freed in the main thread after the join.
 */
#include "relay/worker.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "base/clock.h"
#include "base/log.h"
#include "net/dtls.h"
#include "net/stream.h"
#include "net/tls.h"
#include "net/udp.h"

/* The housekeeping timer: server tick and wall clock, and counters copied
 * out for readers. Expiries are minutes long (RFC 8656 lifetimes) and
 * input does the same bookkeeping first, so a second of lateness is
 * harmless and the cost stays one timer per worker. */
#define HOUSEKEEP_MS  1000
#define DEFAULT_BATCH 64

struct worker;

struct wsock {
	struct worker *w;
	struct wsock *next;
	enum turn_transport tp;
	struct turn_local local; /* as told to the server; self = this one */
	bool wildcard;
	/* UDP: the RFC 5780 group by turn_local index (sib[self] is this
	 * socket); a reply via index i leaves from sib[i] */
	struct wsock *sib[4];
	struct net_udp_sock *udp;
	struct net_stream_listener *stream;
	struct net_dtls_sock *dtls;
};

struct worker {
	struct worker_pool *pool;
	unsigned id;
	pthread_t thread;
	bool started;
	struct event_base *base;
	int stop_fd;
	struct event *stop_ev;
	struct event *house_ev;
	struct net_env env;
	struct net_stats ns;
	struct net_udp_io *uio;
	struct net_dtls_worker *dw;
	struct turn_server *srv;
	struct turn_out out;
	struct wsock *socks;
	/* the UDP packet being handled, for turn_out.send */
	const struct wsock *cur;
	const struct turn_local *cur_local;
	struct log_limit ll_input;
	/* what readers see, copied every HOUSEKEEP_MS */
	pthread_mutex_t lock;
	bool lock_ok;
	struct net_stats snap_net;
	struct turn_stats snap_turn;
};

struct worker_pool {
	const struct ternd_config *cfg;
	struct turn_server_cfg scfg;
	struct net_limits limits;
	SSL_CTX *tls;
	SSL_CTX *dtls;
	unsigned n; /* workers initialised */
	struct worker *w;
};

/* ---- the seam: packets up, replies down --------------------------------- */

/* A wildcard socket's template names 0.0.0.0 / ::; the server must see the
 * address the client actually used (RESPONSE-ORIGIN, OTHER-ADDRESS, an
 * allocation's 5-tuple), and a reply must leave from it. Patch it into
 * every entry of the same address, keeping each entry's port. */
static void local_patch(struct turn_local *out, const struct turn_local *tmpl,
			const struct sa *dst)
{
	unsigned i;
	uint16_t port;

	*out = *tmpl;
	for (i = 0; i < 4; i++) {
		if (((i ^ tmpl->self) & TURN_LOCAL_ALT_ADDR) ||
		    sa_family(&out->addr[i]) != sa_family(dst))
			continue;
		port = sa_port(&out->addr[i]);
		out->addr[i] = *dst;
		sa_set_port(&out->addr[i], port);
	}
}

static int w_input(void *arg, const struct net_pkt *pkt)
{
	struct wsock *ws = arg;
	struct worker *w = ws->w;
	struct turn_local patched;
	struct turn_in in;
	enum turn_verdict v;
	char a[SA_STRLEN];

	in.local = &ws->local;
	if (ws->wildcard) {
		local_patch(&patched, &ws->local, pkt->local);
		in.local = &patched;
	}
	in.buf = pkt->buf;
	in.len = pkt->len;
	in.from = *pkt->from;
	in.tp = ws->tp;
	in.conn = pkt->conn;
	w->cur = ws;
	w->cur_local = in.local;
	v = turn_server_input(w->srv, &in, pkt->now_ms);
	w->cur = NULL;
	w->cur_local = NULL;
	if (v != TURN_DROP_MALFORMED)
		return 0;
	log_limited(&w->ll_input, pkt->now_ms, LOG_LVL_INFO,
		    "malformed %s message (%zu bytes) from %s",
		    turn_transport_name(ws->tp), pkt->len,
		    sa_print(pkt->from, a, sizeof(a)));
	/* a stream or DTLS client that sends garbage is disconnected */
	return pkt->conn ? EBADMSG : 0;
}

/* A stream connection or DTLS session is gone: the server forgets it
 * (and frees the allocations that lived on it, RFC 8656 §3.1). */
static void w_closed(void *arg, struct net_conn *c)
{
	struct wsock *ws = arg;

	turn_server_conn_closed(ws->w->srv, c);
}

/* turn_out.send. Streams and DTLS sessions take the bytes directly; a UDP
 * reply leaves from the socket `via` names in the packet's turn_local. */
static void w_send(void *arg, void *conn, unsigned via, const struct sa *to,
		   const uint8_t *buf, size_t len)
{
	struct worker *w = arg;
	const struct wsock *ws = w->cur, *out;
	const struct sa *src;

	if (conn) {
		net_conn_send(conn, buf, len);
		return;
	}
	/* UDP sends are only possible while a UDP packet is being handled:
	 * `via` is relative to that packet's turn_local */
	if (!ws || via > 3 || !(out = ws->sib[via]) || !to) {
		w->ns.udp_tx_fail++;
		return;
	}
	src = out->wildcard ? &w->cur_local->addr[via] : NULL;
	net_udp_send(out->udp, to, src, buf, len);
}

/* ---- counters ----------------------------------------------------------- */

static void worker_publish(struct worker *w)
{
	pthread_mutex_lock(&w->lock);
	w->snap_net = w->ns;
	w->snap_turn = *turn_server_stats(w->srv);
	pthread_mutex_unlock(&w->lock);
}

static void housekeep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	uint64_t now = clock_mono_ms();

	(void)fd;
	(void)what;
	turn_server_set_wallclock(w->srv, now, clock_wall_s() * 1000u);
	turn_server_tick(w->srv, now);
	worker_publish(w);
}

static void turn_stats_add(struct turn_stats *a, const struct turn_stats *b)
{
	size_t i;

	a->rx += b->rx;
	for (i = 0; i < TURN_VERDICT_COUNT; i++)
		a->verdict[i] += b->verdict[i];
	a->binding += b->binding;
	a->binding_rfc3489 += b->binding_rfc3489;
	for (i = 0; i < sizeof(a->err_resp) / sizeof(a->err_resp[0]); i++)
		a->err_resp[i] += b->err_resp[i];
}

static void net_stats_add(struct net_stats *a, const struct net_stats *b)
{
#define ADD(name, help) a->name += b->name;
	NET_STATS_FIELDS(ADD)
#undef ADD
}

void worker_pool_stats(const struct worker_pool *p, struct pool_stats *out)
{
	unsigned i;

	memset(out, 0, sizeof(*out));
	if (!p)
		return;
	for (i = 0; i < p->n; i++) {
		struct worker *w = &p->w[i];

		pthread_mutex_lock(&w->lock);
		net_stats_add(&out->net, &w->snap_net);
		turn_stats_add(&out->turn, &w->snap_turn);
		pthread_mutex_unlock(&w->lock);
	}
	out->workers = p->n;
	out->conns = atomic_load(&p->limits.conns);
	out->dtls_sessions = atomic_load(&p->limits.dtls_sessions);
}

/* ---- sockets ------------------------------------------------------------ */

/* addr/alt x port/alt_port in turn_local order: bit 0 = alternate port,
 * bit 1 = alternate address. Returns how many are set (1 or 4). */
static unsigned local_addrs(struct sa out[4], const struct cfg_listen *le,
			    uint16_t port, uint16_t alt_port)
{
	unsigned i;

	for (i = 0; i < 4; i++)
		sa_init(&out[i]);
	out[0] = le->addr;
	sa_set_port(&out[0], port);
	if (!sa_is_set(&le->alt) || !alt_port)
		return 1;
	out[1] = le->addr;
	sa_set_port(&out[1], alt_port);
	out[2] = le->alt;
	sa_set_port(&out[2], port);
	out[3] = le->alt;
	sa_set_port(&out[3], alt_port);
	return 4;
}

static struct wsock *wsock_new(struct worker *w, enum turn_transport tp,
			       const struct sa addrs[4], unsigned n,
			       unsigned self)
{
	struct wsock *ws = calloc(1, sizeof(*ws));
	unsigned i;

	if (!ws)
		return NULL;
	ws->w = w;
	ws->tp = tp;
	for (i = 0; i < n; i++)
		ws->local.addr[i] = addrs[i];
	ws->local.self = self;
	ws->local.has_alt = n == 4;
	ws->wildcard = net_sa_is_wildcard(&addrs[self]);
	ws->next = w->socks;
	w->socks = ws;
	return ws;
}

static void wsock_free(struct wsock *ws)
{
	net_dtls_sock_free(ws->dtls);
	net_stream_listener_free(ws->stream);
	net_udp_sock_free(ws->udp);
	free(ws);
}

static int bind_fail(int rc, const char *tp, const struct sa *a, char *err,
		     size_t errlen)
{
	char as[SA_STRLEN];

	snprintf(err, errlen, "cannot bind %s %s: %s", tp,
		 sa_print(a, as, sizeof(as)), strerror(rc));
	return rc;
}

static void bound(const struct worker *w, const char *tp, const struct sa *a)
{
	char as[SA_STRLEN];

	if (w->id == 0)
		log_info("listening on %s %s", tp, sa_print(a, as, sizeof(as)));
}

/* The UDP socket of a listen entry, or its four RFC 5780 siblings. */
static int bind_udp(struct worker *w, const struct cfg_listen *le, char *err,
		    size_t errlen)
{
	const struct ternd_config *cfg = w->pool->cfg;
	struct wsock *g[4] = { NULL };
	struct sa addrs[4];
	unsigned n, i;
	int rc;

	n = local_addrs(addrs, le, cfg->udp_port, cfg->alt_port);
	for (i = 0; i < n; i++) {
		g[i] = wsock_new(w, TURN_TP_UDP, addrs, n, i);
		if (!g[i])
			return ENOMEM;
		rc = net_udp_sock_alloc(&g[i]->udp, w->uio, &addrs[i],
					w->id == 0, w_input, g[i]);
		if (rc)
			return bind_fail(rc, "UDP", &addrs[i], err, errlen);
		bound(w, "UDP", &addrs[i]);
	}
	for (i = 0; i < n; i++)
		memcpy(g[i]->sib, g, sizeof(g));
	return 0;
}

/* A TCP or TLS listener. With an RFC 5780 alternate the server is told
 * all four addresses, so OTHER-ADDRESS can be reported (§6: the client
 * learns the alternate over TCP, tests over UDP). */
static int bind_stream(struct worker *w, const struct cfg_listen *le,
		       enum turn_transport tp, uint16_t port, char *err,
		       size_t errlen)
{
	const struct ternd_config *cfg = w->pool->cfg;
	SSL_CTX *tls = tp == TURN_TP_TLS ? w->pool->tls : NULL;
	const char *name = tp == TURN_TP_TLS ? "TLS" : "TCP";
	struct wsock *ws;
	struct sa addrs[4];
	unsigned n;
	int rc;

	n = local_addrs(addrs, le, port, cfg->alt_port);
	ws = wsock_new(w, tp, addrs, n, 0);
	if (!ws)
		return ENOMEM;
	rc = net_stream_listener_alloc(&ws->stream, &w->env, &addrs[0], tls,
				       w->id == 0, w_input, w_closed, ws);
	if (rc)
		return bind_fail(rc, name, &addrs[0], err, errlen);
	bound(w, name, &addrs[0]);
	return 0;
}

static int bind_dtls(struct worker *w, const struct cfg_listen *le, char *err,
		     size_t errlen)
{
	struct wsock *ws;
	struct sa addrs[4];
	int rc;

	local_addrs(addrs, le, w->pool->cfg->dtls_port, 0);
	ws = wsock_new(w, TURN_TP_DTLS, addrs, 1, 0);
	if (!ws)
		return ENOMEM;
	rc = net_dtls_sock_alloc(&ws->dtls, w->dw, w->uio, &addrs[0],
				 w->id == 0, w_input, w_closed, ws);
	if (rc)
		return bind_fail(rc, "DTLS", &addrs[0], err, errlen);
	bound(w, "DTLS", &addrs[0]);
	return 0;
}

static int worker_bind(struct worker *w, char *err, size_t errlen)
{
	const struct ternd_config *cfg = w->pool->cfg;
	size_t i;
	int rc = 0;

	for (i = 0; i < cfg->nlisten && !rc; i++) {
		const struct cfg_listen *le = &cfg->listen[i];

		if (cfg->udp_port)
			rc = bind_udp(w, le, err, errlen);
		if (!rc && cfg->tcp_port)
			rc = bind_stream(w, le, TURN_TP_TCP, cfg->tcp_port, err,
					 errlen);
		if (!rc && cfg->tls_port)
			rc = bind_stream(w, le, TURN_TP_TLS, cfg->tls_port, err,
					 errlen);
		if (!rc && cfg->dtls_port)
			rc = bind_dtls(w, le, err, errlen);
	}
	if (rc == ENOMEM)
		snprintf(err, errlen, "out of memory binding sockets");
	return rc;
}

/* ---- one worker --------------------------------------------------------- */

static void stop_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	uint64_t v;

	(void)what;
	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_warn("worker %u: reading stop signal: %s", w->id,
			 strerror(errno));
	event_base_loopbreak(w->base);
}

/* An event_base without locks (only this worker touches it), a stop
 * eventfd the main thread writes, and the housekeeping timer. */
static int worker_base(struct worker *w)
{
	struct event_config *ec = event_config_new();
	struct timeval tv = { HOUSEKEEP_MS / 1000,
			      (HOUSEKEEP_MS % 1000) * 1000 };

	if (!ec)
		return ENOMEM;
	event_config_set_flag(ec, EVENT_BASE_FLAG_NOLOCK);
	w->base = event_base_new_with_config(ec);
	event_config_free(ec);
	if (!w->base)
		return ENOMEM;
	w->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->stop_fd < 0)
		return errno;
	w->stop_ev = event_new(w->base, w->stop_fd, EV_READ, stop_cb, w);
	w->house_ev = event_new(w->base, -1, EV_PERSIST, housekeep_cb, w);
	if (!w->stop_ev || !w->house_ev || event_add(w->stop_ev, NULL) ||
	    event_add(w->house_ev, &tv))
		return ENOMEM;
	return 0;
}

static void worker_env(struct worker *w)
{
	const struct ternd_config *cfg = w->pool->cfg;
	uint32_t iv = cfg->log_interval_s * 1000u;

	w->env.base = w->base;
	w->env.stats = &w->ns;
	w->env.limits = &w->pool->limits;
	w->env.to.idle_ms = cfg->idle_timeout_s * 1000u;
	w->env.to.frame_ms = cfg->frame_timeout_s * 1000u;
	w->env.to.handshake_ms = cfg->handshake_timeout_s * 1000u;
	log_limit_init(&w->env.ll_cap, iv, 1);
	log_limit_init(&w->env.ll_err, iv, 3);
	log_limit_init(&w->ll_input, iv, 3);
}

static int worker_init(struct worker *w, struct worker_pool *p, unsigned id,
		       char *err, size_t errlen)
{
	const struct ternd_config *cfg = p->cfg;
	int rc;

	w->pool = p;
	w->id = id;
	w->stop_fd = -1;
	if ((rc = pthread_mutex_init(&w->lock, NULL)))
		goto out;
	w->lock_ok = true;
	if ((rc = worker_base(w)))
		goto out;
	worker_env(w);
	rc = net_udp_io_alloc(&w->uio, &w->env,
			      cfg->udp_batch ? cfg->udp_batch : DEFAULT_BATCH);
	if (!rc && p->dtls)
		rc = net_dtls_worker_alloc(&w->dw, &w->env, p->dtls);
	if (rc)
		goto out;
	w->out.send = w_send;
	w->out.arg = w;
	if ((rc = turn_server_alloc(&w->srv, &p->scfg, &w->out)))
		goto out;
	turn_server_set_wallclock(w->srv, clock_mono_ms(),
				  clock_wall_s() * 1000u);
	return worker_bind(w, err, errlen);
out:
	snprintf(err, errlen, "worker %u: cannot start: %s", id, strerror(rc));
	return rc;
}

/* Free what worker_init made; the thread has been joined. */
static void worker_free(struct worker *w)
{
	struct wsock *ws;

	while ((ws = w->socks)) {
		w->socks = ws->next;
		wsock_free(ws);
	}
	net_dtls_worker_free(w->dw);
	net_udp_io_free(w->uio);
	turn_server_free(w->srv);
	if (w->stop_ev)
		event_free(w->stop_ev);
	if (w->house_ev)
		event_free(w->house_ev);
	if (w->base)
		event_base_free(w->base);
	if (w->stop_fd >= 0)
		close(w->stop_fd);
	if (w->lock_ok)
		pthread_mutex_destroy(&w->lock);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	event_base_dispatch(w->base);
	worker_publish(w);
	return NULL;
}

/* ---- the pool ----------------------------------------------------------- */

static int pool_ssl(struct worker_pool *p, char *err, size_t errlen)
{
	const struct ternd_config *cfg = p->cfg;
	struct net_tls_opts o = { cfg->tls_cert, cfg->tls_key, cfg->tls_ciphers,
				  cfg->tls_min_13 };
	int rc = 0;

	if (cfg->tls_port)
		rc = net_tls_ctx_alloc(&p->tls, &o, err, errlen);
	if (!rc && cfg->dtls_port)
		rc = net_dtls_ctx_alloc(&p->dtls, &o, err, errlen);
	return rc;
}

/* Start the threads with every signal blocked: signals belong to the main
 * thread, and a blocked SIGPIPE turns a write to a closed socket into
 * EPIPE. */
static int pool_run(struct worker_pool *p, char *err, size_t errlen)
{
	sigset_t all, old;
	char name[32];
	unsigned i;
	int rc = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; i < p->n && !rc; i++) {
		rc = pthread_create(&p->w[i].thread, NULL, worker_main,
				    &p->w[i]);
		if (rc) {
			snprintf(err, errlen, "cannot start worker %u: %s", i,
				 strerror(rc));
			break;
		}
		p->w[i].started = true;
		snprintf(name, sizeof(name), "ternd-w%u", i);
		name[15] = '\0'; /* the kernel's limit */
		pthread_setname_np(p->w[i].thread, name);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

int worker_pool_start(struct worker_pool **pp, const struct ternd_config *cfg,
		      char *err, size_t errlen)
{
	struct worker_pool *p;
	int rc = ENOMEM;
	unsigned i;

	if (!pp || !cfg || !cfg->workers) {
		snprintf(err, errlen, "no workers configured");
		return EINVAL;
	}
	p = calloc(1, sizeof(*p));
	if (!p || !(p->w = calloc(cfg->workers, sizeof(*p->w)))) {
		snprintf(err, errlen, "out of memory starting workers");
		goto out;
	}
	p->cfg = cfg;
	p->scfg.software = cfg->software;
	p->scfg.rfc3489 = cfg->rfc3489;
	p->limits.max_conns = cfg->max_connections;
	p->limits.max_dtls_sessions = cfg->dtls_max_sessions;
	if ((rc = pool_ssl(p, err, errlen)))
		goto out;
	for (i = 0; i < cfg->workers; i++) {
		p->n = i + 1;
		if ((rc = worker_init(&p->w[i], p, i, err, errlen)))
			goto out;
	}
	if ((rc = pool_run(p, err, errlen)))
		goto out;
	*pp = p;
	p = NULL;
out:
	worker_pool_stop(p);
	return rc;
}

void worker_pool_stop(struct worker_pool *p)
{
	uint64_t one = 1;
	unsigned i;

	if (!p)
		return;
	for (i = 0; i < p->n; i++) {
		if (p->w[i].started &&
		    write(p->w[i].stop_fd, &one, sizeof(one)) < 0)
			log_warn("worker %u: cannot signal stop: %s", i,
				 strerror(errno));
	}
	for (i = 0; i < p->n; i++) {
		if (p->w[i].started)
			pthread_join(p->w[i].thread, NULL);
	}
	for (i = 0; i < p->n; i++)
		worker_free(&p->w[i]);
	SSL_CTX_free(p->tls);
	SSL_CTX_free(p->dtls);
	free(p->w);
	free(p);
}
