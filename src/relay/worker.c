/*
 * worker.c — one worker thread: its event loop, its timer, the settings
 * its turn_server runs with (reload, drain, Redis realm options) and the
 * allocation events; see worker.h and worker_priv.h. The per-packet seam
 * is seam.c, the listeners listen.c, the pool pool.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <event2/event.h>

#include "base/clock.h"
#include "net/dtls.h"
#include "net/relay.h"
#include "net/udp.h"
#include "relay/turncfg.h"
#include "relay/worker_priv.h"
#include "stun/stun.h"

/* The worker's one timer fires at the server's next deadline (allocation,
 * permission, channel or reservation expiry) and at least every
 * HOUSEKEEP_MS for the wall clock, the counters copied out for readers and
 * the Redis watch. A deadline that moves earlier between two firings (new
 * state) is met at most HOUSEKEEP_MS late; input does the same bookkeeping
 * first, so stale state never counts against a quota. */
#define HOUSEKEEP_MS  1000
#define DEFAULT_BATCH 64

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
	char c[SA_STRLEN], r[2][SA_STRLEN], user[LOG_ESC_SIZE(128)];
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
	log_escape(user, sizeof(user), in->user,
		   in->ulen > 128 ? 128 : in->ulen);
	if (ev == TURN_EV_ALLOC_END) {
		log_msg(lvl,
			"session=%016" PRIx64 " allocation ended (%s) after "
			"%" PRIu64 " s: user=%s client=%s to-peer=%" PRIu64
			" pkts/%" PRIu64 " B to-client=%" PRIu64
			" pkts/%" PRIu64 " B",
			in->session, turn_alloc_end_name(in->why),
			in->age_ms / 1000, user, c, in->to_peer_pkts,
			in->to_peer_bytes, in->to_client_pkts,
			in->to_client_bytes);
	} else {
		log_msg(lvl,
			"session=%016" PRIx64 " allocation %s: user=%s "
			"client=%s transport=%s relay=%s%s%s lifetime=%" PRIu32
			" s",
			in->session, ev_status(ev), user, c,
			turn_transport_name(in->tp), r[0], r[1][0] ? "," : "",
			r[1], in->lifetime_s);
	}
	w_redis_status(w, ev, in, c);
}

/* ---- refusals: authentication failures, peer policy ------------------- */

/*
 * One line per refused request, rate-limited (limits.log_interval), in a
 * fixed form an operator's tools (fail2ban) can match; the USERNAME is
 * the client's bytes, escaped (log_escape) between quotes:
 *   auth failed: user="alice" client=198.51.100.7:5000 transport=udp
 *     reason=bad_integrity
 *   auth refused: user="alice" client=... transport=... reason=quota_user
 * "failed" is the client's doing (wrong credentials or nonce), "refused"
 * the server's (store down, quota). A stale nonce is routine (a long
 * allocation's nonce expires): info; the rest warn.
 */
static void w_auth_fail(void *arg, const struct turn_auth_failure *f)
{
	struct worker *w = arg;
	char c[SA_STRLEN], user[LOG_ESC_SIZE(128)];
	enum log_level lvl =
	    strcmp(f->reason, "stale_nonce") ? LOG_LVL_WARN : LOG_LVL_INFO;

	if (!log_enabled(lvl))
		return;
	log_escape(user, sizeof(user), f->user, f->ulen > 128 ? 128 : f->ulen);
	log_limited(&w->ll_auth, clock_mono_ms(), lvl,
		    "auth %s: user=\"%s\" client=%s transport=%s reason=%s",
		    f->kind == TURN_REFUSE_AUTH ? "failed" : "refused", user,
		    sa_print(f->client, c, sizeof(c)),
		    turn_transport_name(f->tp), f->reason);
}

/*   peer denied: user="alice" client=198.51.100.7:5000 transport=udp
 *     peer=127.0.0.1:0 rule="default-deny 127.0.0.0/8" */
static void w_peer_denied(void *arg, const struct turn_peer_denial *d)
{
	struct worker *w = arg;
	char c[SA_STRLEN], p[SA_STRLEN], user[LOG_ESC_SIZE(128)];

	if (!log_enabled(LOG_LVL_WARN))
		return;
	log_escape(user, sizeof(user), d->user, d->ulen > 128 ? 128 : d->ulen);
	log_limited(&w->ll_policy, clock_mono_ms(), LOG_LVL_WARN,
		    "peer denied: user=\"%s\" client=%s transport=%s peer=%s "
		    "rule=\"%s\"",
		    user, sa_print(d->client, c, sizeof(c)),
		    turn_transport_name(d->tp), sa_print(d->peer, p, sizeof(p)),
		    d->rule);
}

/* ---- settings: drain, reload, Redis realm options ----------------------- */

/* The stream and DTLS settings a reload may change; worker_env sets the
 * rest once. */
static void env_timeouts(struct worker *w)
{
	const struct ternd_config *cfg = w->cfg;

	w->env.to.idle_ms = cfg->idle_timeout_s * 1000u;
	w->env.to.frame_ms = cfg->frame_timeout_s * 1000u;
	w->env.to.handshake_ms = cfg->handshake_timeout_s * 1000u;
	/* STUN-only: Binding is all a connection can do, so there is
	 * nothing to authenticate; idle_timeout and the caps bound it */
	w->env.to.alloc_ms = cfg->turn ? cfg->allocate_timeout_s * 1000u : 0;
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

/*
 * Take the pool's latest reload if this worker has not yet. It runs
 * between two events of this loop, so a packet is handled wholly under
 * the old settings or wholly under the new. The server keeps its
 * allocations, permissions, channels and pending lookups (except the
 * permissions and channels the new peer policy denies): none of them
 * points into the settings (the config-file store answers within the
 * lookup call, and a Redis lookup copies what it asks). Then tell the
 * main thread, which frees the old settings once every worker has.
 * Returns whether a reload was applied.
 */
static bool worker_reload(struct worker *w)
{
	struct worker_pool *p = w->pool;
	uint64_t pruned;
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
	pruned = turn_server_prune_policy(w->srv, clock_mono_ms());
	if (pruned)
		log_info("worker %u: reload: %llu permissions and channels to "
			 "peers the new policy denies removed",
			 w->id, (unsigned long long)pruned);
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

	worker_query(w);
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

/* ---- the loop ----------------------------------------------------------- */

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
	log_limit_init(&w->ll_auth, iv, 20);
	log_limit_init(&w->ll_policy, iv, 10);
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

int worker_init(struct worker *w, struct worker_pool *p, unsigned id, char *err,
		size_t errlen)
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
	worker_out_init(w);
	w->scfg = p->tc->scfg;
	if ((rc = worker_store(w)))
		goto out;
	if ((rc = turn_server_alloc(&w->srv, &w->scfg, &w->out)))
		goto out;
	if ((rc = worker_relays(w)))
		goto out;
	w->events.alloc = w_alloc_event;
	w->events.auth_fail = w_auth_fail;
	w->events.peer_denied = w_peer_denied;
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

void worker_free(struct worker *w)
{
	/* Order matters: Redis answers its pending lookups (EAGAIN) into
	 * the server, which may still send to streams; closing the sockets
	 * tells the server their connections are gone (freeing stream
	 * allocations and their relays); the server then closes the relays
	 * of the rest, which flush into the UDP batch. */
	auth_redis_free(w->redis);
	worker_unbind(w);
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

void *worker_main(void *arg)
{
	struct worker *w = arg;

	event_base_dispatch(w->base);
	worker_publish(w);
	return NULL;
}
