/*
 * worker_priv.h — what the files of the worker pool share; not for the
 * rest of ternd, which uses worker.h.
 *
 *   worker.c  one worker's life: its loop, timer, settings (reload, Redis
 *             realm options), allocation events; init and free
 *   seam.c    the per-packet seam: net -> turn_server_input, and the
 *             server's turn_out / turn_relay_out back to sockets and relays
 *   listen.c  the listener sockets of a worker (struct wsock), bound in
 *             worker order for the steering program
 *   pool.c    the pool: start and stop, reload hand-over, drain, counters
 *   query.c   session queries (the admin listener's /sessions): list and
 *             end allocations, asked of every worker through cmd_fd
 *
 * Everything of a worker is created in the main thread before its thread
 * starts (so bind errors come back from worker_pool_start), used only by
 * that thread while it runs, and freed in the main thread after the join;
 * the pool's reload request, its session query and each worker's
 * published counters are the only state both sides touch, under a lock.
 */
#ifndef TERN_RELAY_WORKER_PRIV_H
#define TERN_RELAY_WORKER_PRIV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/ssl.h>

#include "auth/redis.h"
#include "base/log.h"
#include "base/sa.h"
#include "net/net.h"
#include "relay/conf.h"
#include "relay/worker.h"
#include "turn/server.h"

struct worker;
struct net_udp_io;
struct net_udp_sock;
struct net_stream_listener;
struct net_dtls_sock;
struct net_dtls_worker;
struct net_relay_set;
struct turncfg;

/* One listening socket (listen.c): the net object, the transport, and the
 * `struct turn_local` the server is told packets arrived on. */
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
	/* ---- the thread and its loop (worker.c) ---- */
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
	uint64_t gen;	/* the reload generation applied (0: the start's) */
	uint64_t q_seq; /* the pool's last session query answered */
	bool draining;	/* as last applied to srv */
	struct event *tick_ev;
	/* when the timer last fired: the loop turns (the watchdog) */
	_Atomic uint64_t beat_ms;
	uint64_t next_house; /* when housekeeping is due */
	uint64_t tick_due;   /* when the timer was asked to fire */
	uint64_t lag_max_ms; /* the latest it fired, this interval */

	/* ---- sockets and their I/O (listen.c, src/net) ---- */
	struct net_env env;
	struct net_stats ns;
	struct net_udp_io *uio;
	struct net_dtls_worker *dw;
	struct wsock *socks;

	/* ---- the TURN server and the seam to it (seam.c) ---- */
	struct turn_server *srv;
	struct turn_out out;
	struct turn_relay_out rout;
	struct net_relay_set *rs; /* NULL when TURN is off */
	struct sa last_local;	  /* send_client's last lookup */
	struct wsock *last_ws;
	struct log_limit ll_input;
	struct log_limit ll_relay; /* relay socket failures */

	/* ---- the server's settings and credential store (worker.c) ---- */
	struct turn_server_cfg scfg; /* the pool's template + this worker's
					store */
	struct auth_redis *redis;    /* store = "redis" */
	struct auth_store store;     /* its interface */
	struct log_limit ll_redis;   /* Redis down */
	struct log_limit ll_auth;    /* auth failed / refused lines */
	struct log_limit ll_policy;  /* peer denied lines */
	bool redis_down;	     /* said so; say when it is back */
	struct turn_events events;

	/* ---- what readers see, copied every HOUSEKEEP_MS (pool.c) ---- */
	pthread_mutex_t lock;
	bool lock_ok;
	struct net_stats snap_net;
	struct turn_stats snap_turn;
	uint64_t snap_lag_ms;
	bool snap_redis_up;
	struct auth_redis_stats snap_redis;
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
	/* a session query (query.c): the request and what the workers
	 * answered so far, under rl_lock; q_seq published to workers */
	_Atomic uint64_t q_seq;
	struct pool_query {
		bool kill;
		uint64_t id;   /* kill: this session (user[0] == 0) */
		bool any_user; /* list: every user */
		char user[TURN_SESSION_USER_MAX + 1];
		struct turn_session *out; /* NULL once the asker gave up */
		size_t max, n, total;
	} q;
};

/* ---- worker.c ---- */

/* Set up worker `id` of p: its loop, store, server, relays and sockets, in
 * the main thread. Returns 0, or an errno with one line in err; worker_free
 * then frees what was made. */
int worker_init(struct worker *w, struct worker_pool *p, unsigned id, char *err,
		size_t errlen);
/* Free what worker_init made; the thread has been joined. */
void worker_free(struct worker *w);
/* The thread: run the loop until stopped, then publish the counters. */
void *worker_main(void *arg);

/* ---- seam.c ---- */

/* The net layer's packet and close callbacks for a listener; arg is its
 * struct wsock. */
int worker_input(void *arg, const struct net_pkt *pkt);
void worker_closed(void *arg, struct net_conn *c);
/* Fill w->out (turn_out) for turn_server_alloc. */
void worker_out_init(struct worker *w);
/* With TURN on: the worker's relay set, and the server's turn_relay_out.
 * w->srv must exist. Returns 0 or an errno. */
int worker_relays(struct worker *w);

/* ---- listen.c ---- */

/* Bind this worker's listeners (see the invariant there). Returns 0, or an
 * errno with one line in err. */
int worker_bind(struct worker *w, char *err, size_t errlen);
/* Close and free them all. */
void worker_unbind(struct worker *w);
/* Switch the listeners to a reload's TLS and DTLS contexts (NULL: keep). */
void worker_ssl(struct worker *w, SSL_CTX *tls, SSL_CTX *dtls);

/* ---- pool.c ---- */

/* Wait until done(w, v) holds for every worker, or until the monotonic
 * deadline dl; rl_lock held. Returns how many workers are late, and the
 * first in *first. */
unsigned pool_wait_locked(struct worker_pool *p,
			  bool (*done)(const struct worker *w, uint64_t v),
			  uint64_t v, const struct timespec *dl,
			  unsigned *first);
/* Poke every worker to look at the pool's requests. */
void pool_poke(struct worker_pool *p);

/* ---- query.c ---- */

/* Answer the pool's session query, if there is a new one. Worker thread. */
void worker_query(struct worker *w);

/* Copy this worker's counters where worker_pool_stats reads them. Worker
 * thread (or after the join). */
void worker_publish(struct worker *w);

#endif
