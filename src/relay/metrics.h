/*
 * metrics.h — what ternd's admin listener (mgmt.h) says, apart from the
 * HTTP: the pool's statistics in the Prometheus text exposition format
 * 0.0.4, and the health and readiness verdicts. Statistics in, text out;
 * no socket, no clock, no log, so a unit test can hold every line.
 *
 *   # HELP ternd_relayed_bytes_total Application bytes relayed ...
 *   # TYPE ternd_relayed_bytes_total counter
 *   ternd_relayed_bytes_total{direction="to_peer"} 1200
 *   ternd_relayed_bytes_total{direction="to_client"} 1200
 *
 * Every family has HELP and TYPE; counters end in _total; durations are in
 * seconds. Label values come from fixed tables (transport, family, reason,
 * code, direction, verdict), a worker index or the version: never a user,
 * an address or a session, so the number of series is bounded.
 */
#ifndef TERN_RELAY_METRICS_H
#define TERN_RELAY_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "relay/worker.h"

struct evbuffer;

struct metrics_in {
	const char *version;		 /* PACKAGE_VERSION */
	uint64_t start_time_s;		 /* process start, Unix seconds */
	const struct pool_stats *total;	 /* worker_pool_stats() */
	const struct pool_stats *worker; /* [nworkers]: each worker alone,
					    worker_pool_worker_stats() */
	unsigned nworkers;
};

/* Append the exposition of *in to out. Returns 0 or ENOMEM (out may then
 * hold part of it). Nothing of in is kept. */
int metrics_render(struct evbuffer *out, const struct metrics_in *in);

/* Healthy unless a worker's event loop ran more than max_lag_ms behind
 * during its last second; then false, with the reason (one line, no
 * newline) in why. */
bool metrics_healthy(const struct metrics_in *in, uint64_t max_lag_ms,
		     char *why, size_t whylen);

/* Ready for new allocations: not draining and, with a Redis store, Redis
 * connected on every worker; else false, with the reason in why. */
bool metrics_ready(const struct pool_stats *total, char *why, size_t whylen);

#endif
