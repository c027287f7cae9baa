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
#include "relay/config.h"
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

/* Fill *out with worker i's counters alone (conns and dtls_sessions stay
 * 0: they are counted for the whole pool). For tests and per-worker
 * metrics: which worker a client reached. Returns 0 or EINVAL. */
int worker_pool_worker_stats(const struct worker_pool *p, unsigned i,
			     struct pool_stats *out);

#endif
