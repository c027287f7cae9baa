/*
 * mgmt.h — ternd's management HTTP listener, configured in its admin
 * section (admin.address, admin.port) and logged as "admin HTTP": what an
 * operator's monitoring reads. (Not tern-admin, the command-line tool in
 * src/tools.)
 *
 *   GET /metrics  Prometheus text exposition format 0.0.4: the pool's
 *                 counters and gauges (worker_pool_stats), per-worker
 *                 event-loop lag, Redis state, allocation histograms.
 *                 Label sets are bounded: transport, family, reason, code,
 *                 worker; never a user, address or session.
 *   GET /healthz  200 "ok" while the workers' loops turn (lag below a
 *                 bound), else 503 with the reason.
 *   GET /readyz   200 "ready" when new allocations would be accepted: not
 *                 draining and, with store = "redis", Redis reachable from
 *                 every worker; else 503 with the reason.
 *   GET /sessions[?user=NAME][&format=text]
 *                 the live allocations of every worker as JSON (see
 *                 sessions.h), at most 1000, or as a table.
 *   DELETE /sessions/ID, POST /sessions/ID/kill
 *                 end the allocation with that session id (16 hex digits,
 *                 as in the allocation log lines) as if it expired: 200
 *                 {"killed": 1}, or 404.
 *   DELETE /sessions?user=NAME
 *                 end every allocation of that user: 200 {"killed": N},
 *                 or 404 when there is none.
 * Anything else: 404; a method a page does not take: 405 with Allow.
 *
 * With admin.token (or admin.token_file) set, /metrics and /sessions
 * answer 401 unless the request carries "Authorization: Bearer TOKEN";
 * /healthz and /readyz stay open. Each address may hold MGMT_MAX_PER_IP
 * connections, and a request must arrive whole within a few seconds.
 *
 * It runs on the main thread's event_base (evhttp), never on a worker.
 */
#ifndef TERN_RELAY_MGMT_H
#define TERN_RELAY_MGMT_H

#include <stddef.h>

#include "relay/conf.h"
#include "relay/worker.h"

struct event_base;
struct mgmt;

/*
 * Listen on cfg->admin_addr when cfg->admin_port is not 0 (else set *ap to
 * NULL and return 0). cfg and pool are borrowed; mgmt_set_cfg swaps cfg
 * (a reload keeps the listener's address and port). Returns 0 or an errno with
 * one line in err ("cannot bind admin HTTP 127.0.0.1:9641: Address already in
 * use").
 */
int mgmt_start(struct mgmt **ap, struct event_base *base,
	       const struct ternd_config *cfg, struct worker_pool *pool,
	       char *err, size_t errlen);
void mgmt_set_cfg(struct mgmt *a, const struct ternd_config *cfg);
/* Stop listening and free. Accepts NULL. */
void mgmt_free(struct mgmt *a);

#endif
