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
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "auth/redis.h"
#include "base/clock.h"
#include "base/log.h"
#include "net/dtls.h"
#include "net/relay.h"
#include "net/stream.h"
#include "net/tls.h"
#include "net/udp.h"
#include "relay/turncfg.h"
#include "stun/stun.h"

/* The worker's one timer fires at the server's next deadline (allocation,
 * permission, channel or reservation expiry) and at least every
 * HOUSEKEEP_MS for the wall clock, the counters copied out for readers and
 * the Redis watch. A deadline that moves earlier between two firings (new
 * state) is met at most HOUSEKEEP_MS late; input does the same bookkeeping
 * first, so stale state never counts against a quota. */
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
	const struct ternd_config *cfg; /* the one this worker runs with: the
					   pool's, switched by a reload on
					   this thread */
	unsigned id;
	pthread_t thread;
	bool started;
	struct event_base *base;
	int stop_fd;
	struct event *stop_ev;
	int cmd_fd; /* the main thread asks the worker to look at the pool's
		       requests (drain; reload) */
	struct event *cmd_ev;
	uint64_t gen; /* the reload generation applied (0: the start's) */
	struct event *tick_ev;
	/* when the timer last fired: the loop turns (the watchdog) */
	_Atomic uint64_t beat_ms;
	uint64_t next_house; /* when housekeeping is due */
	uint64_t tick_due;   /* when the timer was asked to fire */
	uint64_t lag_max_ms; /* the latest it fired, this interval */
	bool draining;	     /* as last applied to srv */
	struct net_env env;
	struct net_stats ns;
	struct net_udp_io *uio;
	struct net_dtls_worker *dw;
	struct net_relay_set *rs; /* NULL when TURN is off */
	struct turn_server *srv;
	struct turn_server_cfg scfg; /* the pool's template + this worker's
					store */
	struct auth_redis *redis;    /* store = "redis" */
	struct auth_store store;     /* its interface */
	struct turn_out out;
	struct turn_relay_out rout;
	struct wsock *socks;
	struct sa last_local; /* send_client's last lookup */
	struct wsock *last_ws;
	struct log_limit ll_input;
	struct log_limit ll_relay; /* relay socket failures */
	struct log_limit ll_redis; /* Redis down */
	bool redis_down;	   /* said so; say when it is back */
	/* what readers see, copied every HOUSEKEEP_MS */
	pthread_mutex_t lock;
	bool lock_ok;
	struct net_stats snap_net;
	struct turn_stats snap_turn;
	uint64_t snap_lag_ms;
	bool snap_redis_up;
	struct auth_redis_stats snap_redis;
	struct turn_events events;
};

/* What a reload hands the workers: all built before it is published, and
 * kept until every worker has moved past it. */
struct gen {
	uint64_t gen;
	const struct ternd_config *cfg; /* borrowed from the caller */
	struct turncfg *tc;
	SSL_CTX *tls, *dtls; /* the pool's reference */
	struct gen *next;    /* retired: a worker may still use it */
};

struct worker_pool {
	const struct ternd_config *cfg;
	struct turncfg *tc; /* TURN settings, shared read-only */
	struct net_limits limits;
	SSL_CTX *tls;
	SSL_CTX *dtls;
	unsigned n; /* workers initialised */
	struct worker *w;
	atomic_bool draining; /* asked by worker_pool_drain */
	bool steer_warned; /* a steering program failed to attach: said once */
	/* reload: the latest generation (cfg, tc, tls, dtls above are its
	 * contents once every worker has it), what each worker applied, and
	 * generations a late worker may still hold */
	pthread_mutex_t rl_lock;
	pthread_cond_t rl_cond;
	bool rl_ok;		 /* lock and cond initialised */
	_Atomic uint64_t rl_gen; /* published: workers compare theirs */
	struct gen rl_req;	 /* under rl_lock */
	struct gen *retired;
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
	in.sock = ws;
	/* a plain UDP datagram lives in udp.c's receive slot until the
	 * worker's flush: relay_send may queue it by reference */
	in.flags = !pkt->conn && ws->tp == TURN_TP_UDP ? TURN_BUF_KEPT : 0;
	v = turn_server_input(w->srv, &in, pkt->now_ms);
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
 * reply leaves from the sibling `via` names of the socket the packet came
 * in on (in->sock, set by w_input), from the address the packet's
 * turn_local gives it (a wildcard socket's patched address). */
static void w_send(void *arg, const struct turn_in *in, unsigned via,
		   const struct sa *to, const uint8_t *buf, size_t len)
{
	struct worker *w = arg;
	const struct wsock *ws = in->sock, *out;
	const struct sa *src;

	if (in->conn) {
		net_conn_send(in->conn, buf, len);
		return;
	}
	if (!ws || via > 3 || !(out = ws->sib[via]) || !to) {
		w->ns.udp_tx_fail++;
		return;
	}
	src = out->wildcard ? &in->local->addr[via] : NULL;
	net_udp_send(out->udp, to, src, buf, len);
}

/* ---- relays: turn_relay_out --------------------------------------------- */

/* The UDP listener a client's 5-tuple names as its local side: the socket
 * bound to `local`, or a wildcard socket of its family and port. */
static struct wsock *udp_sock_for(struct worker *w, const struct sa *local)
{
	struct wsock *ws, *wild = NULL;
	const struct sa *a;

	if (w->last_ws && sa_equal(&w->last_local, local))
		return w->last_ws;
	for (ws = w->socks; ws; ws = ws->next) {
		a = &ws->local.addr[ws->local.self];
		if (ws->tp != TURN_TP_UDP || sa_port(a) != sa_port(local) ||
		    sa_family(a) != sa_family(local))
			continue;
		if (sa_equal_addr(a, local))
			break;
		if (ws->wildcard)
			wild = ws;
	}
	ws = ws ? ws : wild;
	if (ws) {
		w->last_local = *local;
		w->last_ws = ws;
	}
	return ws;
}

/* turn_relay_out.send_client: peer data and deferred answers. */
static void w_send_client(void *arg, void *conn, const struct sa *local,
			  const struct sa *to, const uint8_t *buf, size_t len,
			  unsigned flags)
{
	struct worker *w = arg;
	struct wsock *ws;
	const struct sa *src;

	if (conn) {
		net_conn_send(conn, buf, len);
		return;
	}
	ws = to ? udp_sock_for(w, local) : NULL;
	if (!ws) {
		w->ns.udp_tx_fail++;
		return;
	}
	src = ws->wildcard ? local : NULL;
	/* framed in place in the relay's receive slot, which lives until
	 * the flush: no copy */
	if (flags & TURN_BUF_KEPT)
		net_udp_send_ref(ws->udp, to, src, buf, len);
	else
		net_udp_send(ws->udp, to, src, buf, len);
}

static unsigned relay_flags(unsigned turn_flags)
{
	unsigned f = 0;

	if (turn_flags & TURN_RELAY_EVEN_PORT)
		f |= NET_RELAY_EVEN_PORT;
	if (turn_flags & TURN_RELAY_EXACT)
		f |= NET_RELAY_EXACT;
	if (turn_flags & TURN_RELAY_DONT_FRAGMENT)
		f |= NET_RELAY_DONT_FRAGMENT;
	return f;
}

static int w_relay_open(void *arg, int family, unsigned flags, void *ctx,
			void **handle, struct sa *bound)
{
	struct worker *w = arg;
	struct net_relay *r;
	int rc;

	rc = net_relay_open(w->rs, family, relay_flags(flags), ctx, &r, bound);
	if (!rc) {
		*handle = r;
		return 0;
	}
	/* EAFNOSUPPORT (no relay address of that family) is the client's
	 * choice, and EXACT misses are retried by the server */
	if (rc != EAFNOSUPPORT && !(flags & TURN_RELAY_EXACT))
		log_limited(&w->ll_relay, clock_mono_ms(), LOG_LVL_WARN,
			    "cannot open a relay (%zu open on this worker): "
			    "%s%s",
			    net_relay_set_count(w->rs), strerror(rc),
			    rc == EADDRINUSE ? "; widen relay.port_min/"
					       "port_max or add relay."
					       "addresses"
					     : "");
	return rc;
}

static void w_relay_close(void *arg, void *handle)
{
	(void)arg;
	net_relay_close(handle);
}

static void w_relay_send(void *arg, void *handle, const struct sa *peer,
			 const uint8_t *buf, size_t len, unsigned flags)
{
	(void)arg;
	net_relay_send(handle, peer, buf, len, !(flags & TURN_BUF_KEPT));
}

/* A datagram from a peer on a relay: framed in place, sent to the client.
 * It lies in the relay set's receive slot, which lives until the flush. */
static void w_relay_input(void *arg, void *ctx, const struct sa *peer,
			  uint8_t *buf, size_t len, uint64_t now_ms)
{
	struct worker *w = arg;

	turn_server_relay_input(w->srv, ctx, peer, buf, len, TURN_BUF_KEPT,
				now_ms);
}

/* ---- allocation events -------------------------------------------------- */

static const char *ev_status(enum turn_alloc_ev ev)
{
	return ev == TURN_EV_ALLOC_NEW ? "new" : "refreshed";
}

/* coturn's names for the client's transport, in its status line. */
static const char *const status_type[TURN_TP_COUNT] = {
	[TURN_TP_UDP] = "UDP",
	[TURN_TP_TCP] = "TCP",
	[TURN_TP_TLS] = "TLS/TCP",
	[TURN_TP_DTLS] = "DTLS",
};

/* The allocation's status in Redis, coturn's way (redis.status). The event
 * does not tell the TLS version and cipher: ssl= and cipher= say UNKNOWN
 * on TLS and DTLS. */
static void w_redis_status(struct worker *w, enum turn_alloc_ev ev,
			   const struct turn_alloc_info *in, const char *client)
{
	char l[SA_STRLEN];
	struct auth_redis_alloc a = {
		.ev = ev == TURN_EV_ALLOC_NEW	    ? AUTH_REDIS_ALLOC_NEW
		      : ev == TURN_EV_ALLOC_REFRESH ? AUTH_REDIS_ALLOC_REFRESHED
						    : AUTH_REDIS_ALLOC_DELETED,
		.session = in->session,
		.realm = in->realm,
		.user = in->user,
		.ulen = in->ulen,
		.lifetime_s = in->lifetime_s,
		.type = in->tp < TURN_TP_COUNT ? status_type[in->tp] : NULL,
		.remote = client,
		.local = in->local ? sa_print(in->local, l, sizeof(l)) : NULL,
		.released =
		    ev == TURN_EV_ALLOC_END && in->why == TURN_END_DELETED,
		/* the client's side: what came from it (for the peers) and
		 * what went to it; the peers' side the other way round */
		.client = { in->to_peer_pkts, in->to_peer_bytes,
			    in->to_client_pkts, in->to_client_bytes },
		.peer = { in->to_client_pkts, in->to_client_bytes,
			  in->to_peer_pkts, in->to_peer_bytes },
	};

	if (w->redis && w->cfg->redis_status)
		auth_redis_alloc_status(w->redis, &a);
}

/* One line per allocation as it starts and ends (refreshes at debug), with
 * the session id that ties them together; never a key or password. And
 * the allocation's status in Redis, coturn's way, when asked to. */
static void w_alloc_event(void *arg, enum turn_alloc_ev ev,
			  const struct turn_alloc_info *in)
{
	struct worker *w = arg;
	char c[SA_STRLEN], r[2][SA_STRLEN];
	int ulen = in->ulen > 128 ? 128 : (int)in->ulen;
	enum log_level lvl =
	    ev == TURN_EV_ALLOC_REFRESH ? LOG_LVL_DEBUG : LOG_LVL_INFO;

	/* nothing to print addresses for (a measurable part of an allocation
	 * at the default level, warn) */
	if (!log_enabled(lvl) && !(w->redis && w->cfg->redis_status))
		return;
	r[0][0] = r[1][0] = '\0';
	for (unsigned i = 0; i < in->nrelay && i < 2; i++)
		sa_print(&in->relay[i], r[i], sizeof(r[i]));
	sa_print(in->client, c, sizeof(c));
	if (ev == TURN_EV_ALLOC_END) {
		log_msg(lvl,
			"session=%016" PRIx64 " allocation ended (%s) after "
			"%" PRIu64 " s: user=%.*s client=%s to-peer=%" PRIu64
			" pkts/%" PRIu64 " B to-client=%" PRIu64
			" pkts/%" PRIu64 " B",
			in->session, turn_alloc_end_name(in->why),
			in->age_ms / 1000, ulen, in->user, c, in->to_peer_pkts,
			in->to_peer_bytes, in->to_client_pkts,
			in->to_client_bytes);
	} else {
		log_msg(lvl,
			"session=%016" PRIx64 " allocation %s: user=%.*s "
			"client=%s transport=%s relay=%s%s%s lifetime=%" PRIu32
			" s",
			in->session, ev_status(ev), ulen, in->user, c,
			turn_transport_name(in->tp), r[0], r[1][0] ? "," : "",
			r[1], in->lifetime_s);
	}
	w_redis_status(w, ev, in, c);
}

/* ---- drain and reload --------------------------------------------------- */

/* The stream and DTLS settings a reload may change; worker_env sets the
 * rest once. */
static void env_timeouts(struct worker *w)
{
	const struct ternd_config *cfg = w->cfg;

	w->env.to.idle_ms = cfg->idle_timeout_s * 1000u;
	w->env.to.frame_ms = cfg->frame_timeout_s * 1000u;
	w->env.to.handshake_ms = cfg->handshake_timeout_s * 1000u;
	w->env.frame_flags = cfg->rfc5766_channels ? STUN_FRAME_RFC5766 : 0;
	w->env.udp_gso = cfg->udp_gso;
}

/* The credential store a worker's server asks: none (STUN only), the
 * config-file store of tc, or the worker's own Redis connection. */
static const struct auth_store *store_of(struct worker *w,
					 const struct turncfg *tc)
{
	if (w->redis)
		return &w->store;
	if (w->cfg->turn && w->cfg->store == CFG_STORE_CONFIG)
		return &tc->mem_store;
	return NULL;
}

/* Switch the listeners to a reload's TLS and DTLS contexts. */
static void worker_ssl(struct worker *w, SSL_CTX *tls, SSL_CTX *dtls)
{
	struct wsock *ws;

	for (ws = w->socks; ws && tls; ws = ws->next)
		if (ws->tp == TURN_TP_TLS)
			net_stream_listener_set_tls(ws->stream, tls);
	if (dtls && w->dw)
		net_dtls_worker_set_ctx(w->dw, dtls);
}

/*
 * Take the pool's latest reload if this worker has not yet. It runs
 * between two events of this loop, so a packet is handled wholly under
 * the old settings or wholly under the new. The server keeps its
 * allocations, permissions, channels and pending lookups: none of them
 * points into the settings (the config-file store answers within the
 * lookup call, and a Redis lookup copies what it asks). Then tell the
 * main thread, which frees the old settings once every worker has.
 * Returns whether a reload was applied.
 */
static void realm_limits_apply(struct worker *w);

static bool worker_reload(struct worker *w)
{
	struct worker_pool *p = w->pool;
	struct gen g;

	if (atomic_load(&p->rl_gen) == w->gen)
		return false;
	pthread_mutex_lock(&p->rl_lock);
	g = p->rl_req;
	pthread_mutex_unlock(&p->rl_lock);
	w->cfg = g.cfg;
	w->scfg = g.tc->scfg;
	w->scfg.store = store_of(w, g.tc);
	/* the template has the file's limits: Redis's realm options fill in
	 * again what it leaves unlimited */
	realm_limits_apply(w);
	turn_server_set_cfg(w->srv, &w->scfg);
	env_timeouts(w);
	worker_ssl(w, g.tls, g.dtls);
	pthread_mutex_lock(&p->rl_lock);
	w->gen = g.gen;
	pthread_cond_broadcast(&p->rl_cond);
	pthread_mutex_unlock(&p->rl_lock);
	return true;
}

/* Apply what the pool asks (the main thread pokes cmd_fd after changing
 * it; the housekeeping timer looks too, in case a poke is lost). */
static void worker_sync(struct worker *w)
{
	bool d = atomic_load(&w->pool->draining);
	bool reloaded = worker_reload(w);

	/* a reload may name another drain.alternate_server */
	if (d == w->draining && !(d && reloaded))
		return;
	w->draining = d;
	turn_server_set_draining(w->srv, d, &w->cfg->alternate_server);
}

static void cmd_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	uint64_t v;

	(void)what;
	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_warn("worker %u: reading a request: %s", w->id,
			 strerror(errno));
	worker_sync(w);
}

/* ---- counters ----------------------------------------------------------- */

static void worker_publish(struct worker *w)
{
	pthread_mutex_lock(&w->lock);
	w->snap_net = w->ns;
	w->snap_turn = *turn_server_stats(w->srv);
	w->snap_lag_ms = w->lag_max_ms;
	w->snap_redis_up = w->redis && auth_redis_connected(w->redis);
	if (w->redis)
		auth_redis_stats(w->redis, &w->snap_redis);
	pthread_mutex_unlock(&w->lock);
	w->lag_max_ms = 0;
}

/* Redis unreachable: say so once per log interval; new authentications
 * answer 500 meanwhile and existing allocations keep relaying. Say once when
 * it is back, so an operator knows the outage ended. */
static void redis_watch(struct worker *w, uint64_t now)
{
	const struct ternd_config *cfg = w->cfg;

	if (!w->redis)
		return;
	if (auth_redis_connected(w->redis)) {
		if (w->redis_down)
			log_info("worker %u: Redis at %s:%u is reachable again",
				 w->id, cfg->redis_host,
				 (unsigned)cfg->redis_port);
		w->redis_down = false;
		return;
	}
	w->redis_down = true;
	log_limited(&w->ll_redis, now, LOG_LVL_WARN,
		    "worker %u: Redis at %s:%u is unreachable; new TURN "
		    "authentications are answered 500 until it is back",
		    w->id, cfg->redis_host, (unsigned)cfg->redis_port);
}

static uint32_t u32_cap(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* The realm's options in Redis (coturn's total-quota, user-quota, max-bps,
 * as turnadmin -g or tern-admin write them; the store reads them every
 * minute) fill in what the configuration file leaves unlimited: a number
 * in the file is the operator's explicit word and wins. A key removed from
 * Redis gives the file's setting back. coturn's max-bps holds each
 * direction on its own; relay.bandwidth sums both, hence twice. */
static void realm_limits_apply(struct worker *w)
{
	const struct ternd_config *cfg = w->cfg;
	struct auth_realm_limits l;
	uint64_t both;

	if (!w->redis)
		return;
	auth_redis_realm_limits(w->redis, &l);
	both = l.max_bps > UINT32_MAX ? UINT32_MAX : 2 * l.max_bps;
	w->scfg.max_allocs = cfg->max_allocations ? cfg->max_allocations
						  : u32_cap(l.total_quota);
	w->scfg.max_allocs_per_user =
	    cfg->user_quota ? cfg->user_quota : u32_cap(l.user_quota);
	w->scfg.bandwidth_bps = cfg->bandwidth ? cfg->bandwidth : u32_cap(both);
}

static void tick_arm(struct worker *w, uint64_t now, uint64_t deadline)
{
	uint64_t when = deadline < w->next_house ? deadline : w->next_house;
	/* at least 1 ms: never spin on a deadline already past */
	uint64_t d = when > now ? when - now : 1;
	struct timeval tv = { (time_t)(d / 1000),
			      (suseconds_t)(d % 1000) * 1000 };

	w->tick_due = now + d;
	evtimer_add(w->tick_ev, &tv);
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	uint64_t now = clock_mono_ms(), next;
	bool house = now >= w->next_house;

	(void)fd;
	(void)what;
	atomic_store(&w->beat_ms, now);
	/* event-loop lag: how late the timer fires behind its deadline (a
	 * loop busy with packets runs timers late) */
	if (w->tick_due && now > w->tick_due &&
	    now - w->tick_due > w->lag_max_ms)
		w->lag_max_ms = now - w->tick_due;
	if (house) {
		turn_server_set_wallclock(w->srv, now, clock_wall_s() * 1000u);
		redis_watch(w, now);
		worker_sync(w);
		realm_limits_apply(w);
		w->next_house = now + HOUSEKEEP_MS;
	}
	next = turn_server_tick(w->srv, now);
	if (house)
		worker_publish(w);
	tick_arm(w, now, next);
}

/* struct turn_stats is counters and gauges, all uint64_t: sum them as an
 * array so that a new field cannot be forgotten here. */
_Static_assert(sizeof(struct turn_stats) % sizeof(uint64_t) == 0,
	       "struct turn_stats holds only uint64_t");

static void turn_stats_add(struct turn_stats *a, const struct turn_stats *b)
{
	uint64_t *pa = (uint64_t *)(void *)a;
	const uint64_t *pb = (const uint64_t *)(const void *)b;
	size_t i;

	for (i = 0; i < sizeof(*a) / sizeof(uint64_t); i++)
		pa[i] += pb[i];
}

static void net_stats_add(struct net_stats *a, const struct net_stats *b)
{
#define ADD(name, help) a->name += b->name;
	NET_STATS_FIELDS(ADD)
#undef ADD
}

/* Add worker w's published counters to out. */
static void worker_stats_add(struct worker *w, struct pool_stats *out)
{
	const uint64_t *pa;
	uint64_t *po;

	pthread_mutex_lock(&w->lock);
	net_stats_add(&out->net, &w->snap_net);
	turn_stats_add(&out->turn, &w->snap_turn);
	if (w->snap_lag_ms > out->loop_lag_ms)
		out->loop_lag_ms = w->snap_lag_ms;
	if (w->redis) {
		out->redis_workers++;
		out->redis_up += w->snap_redis_up;
		pa = (const uint64_t *)(const void *)&w->snap_redis;
		po = (uint64_t *)(void *)&out->redis;
		for (size_t i = 0; i < sizeof(out->redis) / sizeof(*po); i++)
			po[i] += pa[i];
	}
	pthread_mutex_unlock(&w->lock);
}

_Static_assert(sizeof(struct auth_redis_stats) % sizeof(uint64_t) == 0,
	       "struct auth_redis_stats holds only uint64_t");

void worker_pool_stats(const struct worker_pool *p, struct pool_stats *out)
{
	unsigned i;

	memset(out, 0, sizeof(*out));
	if (!p)
		return;
	for (i = 0; i < p->n; i++)
		worker_stats_add(&p->w[i], out);
	out->workers = p->n;
	out->conns = atomic_load(&p->limits.conns);
	out->dtls_sessions = atomic_load(&p->limits.dtls_sessions);
	out->draining = atomic_load(&p->draining);
}

/* Poke every worker to look at the pool's requests. */
static void pool_poke(struct worker_pool *p)
{
	uint64_t one = 1;
	unsigned i;

	for (i = 0; i < p->n; i++)
		if (p->w[i].cmd_fd >= 0 &&
		    write(p->w[i].cmd_fd, &one, sizeof(one)) < 0)
			log_warn("worker %u: cannot signal: %s", i,
				 strerror(errno));
}

void worker_pool_drain(struct worker_pool *p, bool on)
{
	if (!p || atomic_exchange(&p->draining, on) == on)
		return;
	pool_poke(p);
}

bool worker_pool_draining(const struct worker_pool *p)
{
	return p && atomic_load(&p->draining);
}

int worker_pool_worker_stats(const struct worker_pool *p, unsigned i,
			     struct pool_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!p || i >= p->n)
		return EINVAL;
	worker_stats_add(&p->w[i], out);
	out->workers = 1;
	return 0;
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

/*
 * Worker 0 attaches the client-address steering program (net/steer.h) to
 * each reuseport group it creates, so that all of a client's sockets reach
 * one worker: a RESERVATION-TOKEN (RFC 8656 §7.2) names a port that worker
 * holds, and a user's allocations are counted where it lands. The program
 * only has to be attached once per group; later members inherit it.
 * Without it (a kernel before 4.5) the kernel's 4-tuple hash still
 * spreads the load, but a reservation then works only when both sockets
 * happen to land on the same worker.
 */
static void steer(struct worker *w, int rc, const char *tp, const struct sa *a)
{
	char as[SA_STRLEN];

	if (!rc || w->pool->steer_warned)
		return;
	w->pool->steer_warned = true;
	log_warn("cannot steer %s %s by client address (%s): a client's "
		 "sockets may land on different workers, so EVEN-PORT "
		 "reservations work only within one worker",
		 tp, sa_print(a, as, sizeof(as)), strerror(rc));
}

/* Steer only a group that has more than one socket, from its first. */
static bool steers(const struct worker *w)
{
	return w->id == 0 && w->cfg->workers > 1;
}

/* The UDP socket of a listen entry, or its four RFC 5780 siblings. */
static int bind_udp(struct worker *w, const struct cfg_listen *le, char *err,
		    size_t errlen)
{
	const struct ternd_config *cfg = w->cfg;
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
		if (steers(w))
			steer(w, net_udp_sock_steer(g[i]->udp, cfg->workers),
			      "UDP", &addrs[i]);
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
	const struct ternd_config *cfg = w->cfg;
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
	if (steers(w))
		steer(w, net_stream_listener_steer(ws->stream, cfg->workers),
		      name, &addrs[0]);
	bound(w, name, &addrs[0]);
	return 0;
}

static int bind_dtls(struct worker *w, const struct cfg_listen *le, char *err,
		     size_t errlen)
{
	struct wsock *ws;
	struct sa addrs[4];
	int rc;

	local_addrs(addrs, le, w->cfg->dtls_port, 0);
	ws = wsock_new(w, TURN_TP_DTLS, addrs, 1, 0);
	if (!ws)
		return ENOMEM;
	rc = net_dtls_sock_alloc(&ws->dtls, w->dw, w->uio, &addrs[0],
				 w->id == 0, w_input, w_closed, ws);
	if (rc)
		return bind_fail(rc, "DTLS", &addrs[0], err, errlen);
	if (steers(w))
		steer(w, net_dtls_sock_steer(ws->dtls, w->cfg->workers), "DTLS",
		      &addrs[0]);
	bound(w, "DTLS", &addrs[0]);
	return 0;
}

/*
 * Bind this worker's sockets. INVARIANT (net/steer.h): the steering
 * program's index selects a reuseport group's sockets in the order they
 * joined it, and worker i must own index i. worker_pool_start initialises
 * the workers one after the other, 0..n-1, in the main thread, and each
 * binds its whole set here before the next starts, so every group's
 * sockets are bound in worker order; none is closed before the pool
 * stops. Keep it so: no parallel worker start-up, no per-worker rebinding.
 */
static int worker_bind(struct worker *w, char *err, size_t errlen)
{
	const struct ternd_config *cfg = w->cfg;
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
 * eventfd the main thread writes, and the timer. */
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
	w->cmd_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->cmd_fd < 0)
		return errno;
	w->stop_ev = event_new(w->base, w->stop_fd, EV_READ, stop_cb, w);
	w->cmd_ev =
	    event_new(w->base, w->cmd_fd, EV_READ | EV_PERSIST, cmd_cb, w);
	w->tick_ev = evtimer_new(w->base, tick_cb, w);
	w->next_house = clock_mono_ms() + HOUSEKEEP_MS;
	w->tick_due = w->next_house;
	if (!w->stop_ev || !w->cmd_ev || !w->tick_ev ||
	    event_add(w->stop_ev, NULL) || event_add(w->cmd_ev, NULL) ||
	    evtimer_add(w->tick_ev, &tv))
		return ENOMEM;
	return 0;
}

static void worker_env(struct worker *w)
{
	const struct ternd_config *cfg = w->cfg;
	uint32_t iv = cfg->log_interval_s * 1000u;

	w->env.base = w->base;
	w->env.stats = &w->ns;
	w->env.limits = &w->pool->limits;
	env_timeouts(w);
	log_limit_init(&w->env.ll_cap, iv, 1);
	log_limit_init(&w->env.ll_err, iv, 3);
	log_limit_init(&w->ll_input, iv, 3);
	log_limit_init(&w->ll_relay, iv, 1);
	log_limit_init(&w->ll_redis, iv, 1);
}

/* This worker's credential store: the pool's config-file store, or its
 * own Redis connection on its own event_base. */
static int worker_store(struct worker *w)
{
	const struct ternd_config *cfg = w->cfg;
	struct auth_redis_cfg rc;
	int err;

	if (!cfg->turn)
		return 0;
	if (cfg->store == CFG_STORE_CONFIG) {
		w->scfg.store = store_of(w, w->pool->tc);
		return 0;
	}
	auth_redis_cfg_defaults(&rc);
	rc.host = cfg->redis_host;
	rc.port = cfg->redis_port;
	rc.password = cfg->redis_password;
	rc.db = cfg->redis_db;
	rc.connect_timeout_ms = cfg->redis_timeout_s * 1000u;
	rc.command_timeout_ms = cfg->redis_timeout_s * 1000u;
	rc.cache_ttl_s = cfg->redis_cache_ttl_s;
	rc.realm = cfg->realm; /* its options: realm_limits_apply */
	if ((err = auth_redis_alloc(&w->redis, w->base, &rc)))
		return err;
	w->store = auth_redis_store(w->redis);
	w->scfg.store = &w->store;
	return 0;
}

/* The relay side of a TURN server: relay sockets on this worker's loop. */
static int worker_relays(struct worker *w)
{
	const struct ternd_config *cfg = w->cfg;
	struct net_relay_cfg rc = {
		.addrs = cfg->relay_addrs,
		.naddrs = cfg->nrelay_addrs,
		.port_min = cfg->relay_port_min,
		.port_max = cfg->relay_port_max,
		.headroom = TURN_HEADROOM,
		.tailroom = TURN_TAILROOM,
	};
	int err;

	if (!cfg->turn)
		return 0;
	err = net_relay_set_alloc(&w->rs, w->uio, &rc, w_relay_input, w);
	if (err)
		return err;
	w->rout.send_client = w_send_client;
	w->rout.relay_open = w_relay_open;
	w->rout.relay_close = w_relay_close;
	w->rout.relay_send = w_relay_send;
	w->rout.arg = w;
	return turn_server_set_relay_out(w->srv, &w->rout);
}

static int worker_init(struct worker *w, struct worker_pool *p, unsigned id,
		       char *err, size_t errlen)
{
	const struct ternd_config *cfg = p->cfg;
	int rc;

	w->pool = p;
	w->cfg = p->cfg;
	w->id = id;
	w->stop_fd = -1;
	atomic_store(&w->beat_ms, clock_mono_ms());
	w->cmd_fd = -1;
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
	w->scfg = p->tc->scfg;
	if ((rc = worker_store(w)))
		goto out;
	if ((rc = turn_server_alloc(&w->srv, &w->scfg, &w->out)))
		goto out;
	if ((rc = worker_relays(w)))
		goto out;
	w->events.alloc = w_alloc_event;
	w->events.arg = w;
	turn_server_set_events(w->srv, &w->events);
	turn_server_set_session_base(w->srv, (uint64_t)(id + 1) << 48);
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

	/* Order matters: Redis answers its pending lookups (EAGAIN) into
	 * the server, which may still send to streams; closing the sockets
	 * tells the server their connections are gone (freeing stream
	 * allocations and their relays); the server then closes the relays
	 * of the rest, which flush into the UDP batch. */
	auth_redis_free(w->redis);
	w->last_ws = NULL;
	while ((ws = w->socks)) {
		w->socks = ws->next;
		wsock_free(ws);
	}
	turn_server_free(w->srv);
	net_relay_set_free(w->rs);
	net_dtls_worker_free(w->dw);
	net_udp_io_free(w->uio);
	if (w->stop_ev)
		event_free(w->stop_ev);
	if (w->cmd_ev)
		event_free(w->cmd_ev);
	if (w->cmd_fd >= 0)
		close(w->cmd_fd);
	if (w->tick_ev)
		event_free(w->tick_ev);
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

/* The TLS and DTLS server contexts of cfg (NULL for a transport that is
 * off). On failure nothing is left to free. */
static int pool_ssl(const struct ternd_config *cfg, SSL_CTX **tls,
		    SSL_CTX **dtls, char *err, size_t errlen)
{
	struct net_tls_opts o = { cfg->tls_cert, cfg->tls_key, cfg->tls_ciphers,
				  cfg->tls_min_13 };
	int rc = 0;

	*tls = *dtls = NULL;
	if (cfg->tls_port)
		rc = net_tls_ctx_alloc(tls, &o, err, errlen);
	if (!rc && cfg->dtls_port)
		rc = net_dtls_ctx_alloc(dtls, &o, err, errlen);
	if (rc) {
		SSL_CTX_free(*tls);
		*tls = NULL;
	}
	return rc;
}

/* The reload hand-over's lock and condition; the condition waits on the
 * monotonic clock, which no date change moves. */
static int pool_sync_init(struct worker_pool *p)
{
	pthread_condattr_t ca;
	int rc;

	if ((rc = pthread_condattr_init(&ca)))
		return rc;
	rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (!rc && !(rc = pthread_mutex_init(&p->rl_lock, NULL))) {
		rc = pthread_cond_init(&p->rl_cond, &ca);
		if (rc)
			pthread_mutex_destroy(&p->rl_lock);
	}
	pthread_condattr_destroy(&ca);
	p->rl_ok = !rc;
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
	if ((rc = pool_sync_init(p))) {
		snprintf(err, errlen, "cannot start workers: %s", strerror(rc));
		goto out;
	}
	if ((rc = turncfg_alloc(&p->tc, cfg, cfg->workers, err, errlen)))
		goto out;
	p->limits.max_conns = cfg->max_connections;
	p->limits.max_dtls_sessions = cfg->dtls_max_sessions;
	if ((rc = pool_ssl(cfg, &p->tls, &p->dtls, err, errlen)))
		goto out;
	p->rl_req = (struct gen){ 0, cfg, p->tc, p->tls, p->dtls, NULL };
	/* in order, one at a time: see worker_bind */
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

/* What a generation holds; its cfg is the caller's. */
static void gen_free_parts(struct gen *g)
{
	SSL_CTX_free(g->tls);
	SSL_CTX_free(g->dtls);
	turncfg_free(g->tc);
}

static void gen_free(struct gen *g)
{
	if (!g)
		return;
	gen_free_parts(g);
	free(g);
}

void worker_pool_stop(struct worker_pool *p)
{
	struct gen *g;
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
	turncfg_free(p->tc);
	while ((g = p->retired)) {
		p->retired = g->next;
		gen_free(g);
	}
	if (p->rl_ok) {
		pthread_cond_destroy(&p->rl_cond);
		pthread_mutex_destroy(&p->rl_lock);
	}
	free(p->w);
	free(p);
}

/* ---- reload ------------------------------------------------------------- */

/* How long worker_pool_reload waits for every worker to take the new
 * settings. A worker's loop turns at least once a second; only a hung
 * one takes longer. */
#define RELOAD_WAIT_S 5

/* The settings a pool cannot change without a restart; main.c keeps them
 * across a reload, this only refuses a caller that did not. */
static bool pool_fixed_same(const struct ternd_config *a,
			    const struct ternd_config *b)
{
	return a->workers == b->workers && a->turn == b->turn &&
	       a->store == b->store && a->tls_port == b->tls_port &&
	       a->dtls_port == b->dtls_port &&
	       (!(b->tls_port || b->dtls_port) || b->tls_cert);
}

/* Wait until every worker has applied generation gen, for at most
 * RELOAD_WAIT_S. Returns 0, or ETIMEDOUT with one line in err. */
static int pool_wait(struct worker_pool *p, uint64_t gen, char *err,
		     size_t errlen)
{
	struct timespec dl;
	unsigned i, late, first = 0;
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += RELOAD_WAIT_S;
	pthread_mutex_lock(&p->rl_lock);
	for (;;) {
		for (i = 0, late = 0; i < p->n; i++)
			if (p->w[i].gen != gen && !late++)
				first = i;
		if (!late || rc == ETIMEDOUT)
			break;
		rc = pthread_cond_timedwait(&p->rl_cond, &p->rl_lock, &dl);
	}
	pthread_mutex_unlock(&p->rl_lock);
	if (!late)
		return 0;
	snprintf(err, errlen,
		 "%u of %u workers (worker %u first) did not take the new "
		 "configuration within %d s; the others run with it, and the "
		 "late ones will when their event loop turns again",
		 late, p->n, first, RELOAD_WAIT_S);
	return ETIMEDOUT;
}

int worker_pool_reload(struct worker_pool *p, const struct ternd_config *cfg,
		       char *err, size_t errlen)
{
	struct gen g = { 0 }, *old = NULL;
	int rc;

	if (!p || !cfg)
		return EINVAL;
	if (!pool_fixed_same(p->cfg, cfg)) {
		snprintf(err, errlen,
			 "the new configuration changes settings "
			 "that need a restart");
		return EINVAL;
	}
	/* everything new is built before any worker sees it; a failure
	 * leaves the running settings untouched */
	rc = turncfg_realloc(&g.tc, cfg, p->n, p->tc, err, errlen);
	if (!rc)
		rc = pool_ssl(cfg, &g.tls, &g.dtls, err, errlen);
	if (!rc && !(old = calloc(1, sizeof(*old))))
		rc = ENOMEM;
	if (rc) {
		if (!old && rc == ENOMEM)
			snprintf(err, errlen, "out of memory");
		gen_free_parts(&g);
		return rc;
	}
	g.cfg = cfg;
	*old = (struct gen){ 0, p->cfg, p->tc, p->tls, p->dtls, NULL };
	pthread_mutex_lock(&p->rl_lock);
	g.gen = p->rl_req.gen + 1;
	p->rl_req = g;
	atomic_store(&p->rl_gen, g.gen);
	pthread_mutex_unlock(&p->rl_lock);
	pool_poke(p);
	rc = pool_wait(p, g.gen, err, errlen);
	/* from here the new settings are the pool's, whatever happens */
	turncfg_take_quota(g.tc, p->tc);
	p->cfg = cfg;
	p->tc = g.tc;
	p->tls = g.tls;
	p->dtls = g.dtls;
	if (rc) {
		/* a late worker still runs with the old ones: keep them */
		old->next = p->retired;
		p->retired = old;
	} else {
		gen_free(old);
	}
	return rc;
}

uint64_t worker_pool_stalled_ms(const struct worker_pool *p, uint64_t now_ms,
				unsigned *worst)
{
	uint64_t max = 0, beat;
	unsigned i;

	for (i = 0; p && i < p->n; i++) {
		beat = atomic_load(&p->w[i].beat_ms);
		if (now_ms > beat && now_ms - beat > max) {
			max = now_ms - beat;
			if (worst)
				*worst = i;
		}
	}
	return max;
}
