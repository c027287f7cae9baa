/*
 * worker.h — ternd's worker threads: each with its own event_base, its own
 * listener sockets (SO_REUSEPORT, so the kernel spreads clients over the
 * workers) and its own turn_server. A client's packets always reach the
 * same worker, which owns everything about that client: no lock on the
 * data path.
 *
 *   main thread: config -> worker_pool_start -> ... -> worker_pool_stop
 *   worker i:    event_base_dispatch: UDP batches, TCP/TLS streams, DTLS
 *                sessions -> turn_server_input -> turn_out.send -> socket
 */
#ifndef TERN_RELAY_WORKER_H
#define TERN_RELAY_WORKER_H

#include <stddef.h>

#include "auth/redis.h"
#include "net/net.h"
#include "relay/conf.h"
#include "turn/server.h"

struct worker_pool;

/*
 * Start cfg->workers threads. Every worker binds, for every configured
 * address, a socket per enabled transport (UDP; TCP; TLS; DTLS; and for an
 * address with an RFC 5780 alternate, the four UDP sockets addr/alt x
 * udp_port/alt_port). Sockets are bound before any thread starts, so a
 * failure is reported here. cfg is borrowed and must outlive the pool.
 * Sets *pp and returns 0, or returns an errno with one line in err
 * ("cannot bind UDP 127.0.0.1:3478: Address already in use").
 *
 * The caller should ignore SIGPIPE; worker threads block all signals, so
 * signals go to the main thread.
 */
int worker_pool_start(struct worker_pool **pp, const struct ternd_config *cfg,
		      char *err, size_t errlen);

/* Ask every worker to stop, join them, free everything (sockets,
 * connections, sessions, servers). Accepts NULL. */
void worker_pool_stop(struct worker_pool *p);

/* The sum over all workers. Counters are published by each worker once a
 * second, so they lag by up to a second; the gauges are exact. */
struct pool_stats {
	unsigned workers;
	unsigned conns;		/* open TCP + TLS connections now */
	unsigned dtls_sessions; /* open DTLS sessions now */
	/* Network counters: datagrams in/out, drops by reason (runt,
	 * oversized), TCP accepted/refused/closed by reason, TLS handshake
	 * failures, DTLS cookies/sessions/refusals. See NET_STATS_FIELDS. */
	struct net_stats net;
	/* Server counters; turn.verdict[] are the drops by reason
	 * (TURN_DROP_MALFORMED, _UNEXPECTED, _POLICY) over all transports. */
	struct turn_stats turn;
	/* event-loop lag: the latest a worker's timer fired behind its
	 * deadline during its last second (the worst worker for the pool) */
	uint64_t loop_lag_ms;
	unsigned redis_workers; /* workers with a Redis store (0: none) */
	unsigned redis_up;	/* ... whose connection is up */
	struct auth_redis_stats redis; /* summed */
	bool draining;
};

/* Fill *out. Safe from any thread at any time while the pool exists. */
void worker_pool_stats(const struct worker_pool *p, struct pool_stats *out);

/* Drain (on) or stop draining: from now on a new Allocate is answered 300
 * with cfg->alternate_server, or 508, while everything else goes on; the
 * workers apply it within a few milliseconds. Main thread. */
void worker_pool_drain(struct worker_pool *p, bool on);
bool worker_pool_draining(const struct worker_pool *p);

/*
 * Reload: switch every worker to cfg, a configuration loaded and checked
 * like the one the pool started with, whose restart-only settings (the
 * sockets: workers, listen addresses, ports, TLS on or off, relay
 * addresses and ports, the credential store) are the running ones; main.c
 * keeps them so. Everything new is built here first, in the calling
 * thread: the TURN settings (turncfg_realloc: new config-file store and
 * peer policy, the same quota object, the nonce secret kept when cfg names
 * none) and new TLS and DTLS contexts. Then each worker takes them between
 * two events of its loop and says so; allocations, permissions, channels
 * and TLS/DTLS sessions stay as they are (sessions keep their context).
 * cfg is borrowed as in worker_pool_start. Main thread.
 *
 * Returns 0: every worker runs with cfg, and the pool no longer uses the
 * previous configuration, which the caller may free.
 * ETIMEDOUT (one line in err): a worker did not answer within a few
 * seconds. The workers that did run with cfg, the others will when their
 * loop turns; the caller must keep both configurations until
 * worker_pool_stop.
 * Another errno (one line in err): nothing changed, the workers run with
 * the previous configuration (a certificate that cannot be loaded, no
 * memory, restart-only settings that differ).
 */
int worker_pool_reload(struct worker_pool *p, const struct ternd_config *cfg,
		       char *err, size_t errlen);

/* For the watchdog: the longest any worker's event loop has gone without
 * turning as of now_ms (clock_mono_ms), in ms, and which worker that is
 * (*worst, when not NULL and the result is not 0). A healthy loop turns
 * at least once a second. Any thread. */
uint64_t worker_pool_stalled_ms(const struct worker_pool *p, uint64_t now_ms,
				unsigned *worst);

/*
 * Sessions: the live allocations of every worker, asked through each
 * worker's command poke and answered between two events of its loop.
 * The calling (main) thread waits at most a couple of seconds; a worker
 * that does not answer in time is left out (ETIMEDOUT; what the others
 * said is in).
 *
 * worker_pool_sessions copies at most max allocations of user (NULL: all;
 * a name is compared whole) into out (the caller's) and sets *listed to
 * how many it copied, *total to how many there are.
 * worker_pool_kill ends the allocation with session id `id` (user NULL),
 * or every allocation of user, as if its lifetime ran out, and sets
 * *killed. Main thread. Returns 0, ETIMEDOUT or EINVAL.
 */
struct turn_session;
int worker_pool_sessions(struct worker_pool *p, const char *user,
			 struct turn_session *out, size_t max, size_t *listed,
			 size_t *total);
int worker_pool_kill(struct worker_pool *p, uint64_t id, const char *user,
		     size_t *killed);

/* Fill *out with worker i's counters alone (conns and dtls_sessions stay
 * 0: they are counted for the whole pool). For tests and per-worker
 * metrics: which worker a client reached. Returns 0 or EINVAL. */
int worker_pool_worker_stats(const struct worker_pool *p, unsigned i,
			     struct pool_stats *out);

#endif
