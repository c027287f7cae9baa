/*
 * pool.c — the worker pool: start and stop, the reload hand-over, drain,
 * and the counters readers see; see worker.h and worker_priv.h.
 *
 * The main thread builds everything, starts the threads, and afterwards
 * talks to the workers only through the pool's reload request (rl_*,
 * under rl_lock), its draining flag, an eventfd poke per worker, and the
 * counters each worker publishes under its own lock.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "net/dtls.h"
#include "net/tls.h"
#include "relay/turncfg.h"
#include "relay/worker_priv.h"

/* ---- counters ----------------------------------------------------------- */

void worker_publish(struct worker *w)
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

void pool_poke(struct worker_pool *p)
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
	if ((rc = net_limits_init(&p->limits, cfg->max_connections,
				  cfg->dtls_max_sessions,
				  cfg->max_conns_per_addr))) {
		snprintf(err, errlen, "cannot seed the connection limits: %s",
			 strerror(rc));
		goto out;
	}
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

unsigned pool_wait_locked(struct worker_pool *p,
			  bool (*done)(const struct worker *w, uint64_t v),
			  uint64_t v, const struct timespec *dl,
			  unsigned *first)
{
	unsigned i, late;
	int rc = 0;

	for (;;) {
		for (i = 0, late = 0; i < p->n; i++)
			if (!done(&p->w[i], v) && !late++)
				*first = i;
		if (!late || rc == ETIMEDOUT)
			return late;
		rc = pthread_cond_timedwait(&p->rl_cond, &p->rl_lock, dl);
	}
}

static bool has_gen(const struct worker *w, uint64_t gen)
{
	return w->gen == gen;
}

/* Wait until every worker has applied generation gen, for at most
 * RELOAD_WAIT_S. Returns 0, or ETIMEDOUT with one line in err. */
static int pool_wait(struct worker_pool *p, uint64_t gen, char *err,
		     size_t errlen)
{
	struct timespec dl;
	unsigned late, first = 0;

	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += RELOAD_WAIT_S;
	pthread_mutex_lock(&p->rl_lock);
	late = pool_wait_locked(p, has_gen, gen, &dl, &first);
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
