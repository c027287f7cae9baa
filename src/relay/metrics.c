/*
 * metrics.c — the Prometheus exposition and the health verdicts; see
 * metrics.h. Format:
 * https://prometheus.io/docs/instrumenting/exposition_formats/ (text format
 * 0.0.4): "# HELP name text", "# TYPE name type", then "name{label="value",...}
 * value" lines, a family's samples together.
 */
#include "relay/metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "turn/server.h"

/* An evbuffer that remembers its first failure, so the renderers can write
 * line after line and the caller checks once. */
struct out {
	struct evbuffer *b;
	int err;
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o,
						      const char *fmt, ...)
{
	va_list ap;

	if (o->err)
		return;
	va_start(ap, fmt);
	if (evbuffer_add_vprintf(o->b, fmt, ap) < 0)
		o->err = ENOMEM;
	va_end(ap);
}

/* Text with backslash and newline escaped, and double quote too in a label
 * value (quote true), as the format asks. */
static void put_escaped(struct out *o, const char *s, bool quote)
{
	size_t n;

	while (*s && !o->err) {
		n = strcspn(s, quote ? "\\\"\n" : "\\\n");
		if (n && evbuffer_add(o->b, s, n) < 0)
			o->err = ENOMEM;
		s += n;
		if (!*s)
			break;
		put(o, "\\%c", *s == '\n' ? 'n' : *s);
		s++;
	}
}

static void family(struct out *o, const char *name, const char *type,
		   const char *help)
{
	put(o, "# HELP %s ", name);
	put_escaped(o, help, false);
	put(o, "\n# TYPE %s %s\n", name, type);
}

/* name value, or name{label="lv"} value when label is not NULL. Label
 * values here come from fixed tables: no escaping needed (checked by the
 * unit test for every table). */
static void sample(struct out *o, const char *name, const char *label,
		   const char *lv, uint64_t v)
{
	if (label)
		put(o, "%s{%s=\"%s\"} %" PRIu64 "\n", name, label, lv, v);
	else
		put(o, "%s %" PRIu64 "\n", name, v);
}

/* A family of one unlabelled sample. */
static void one(struct out *o, const char *name, const char *type,
		const char *help, uint64_t v)
{
	family(o, name, type, help);
	sample(o, name, NULL, NULL, v);
}

/* Milliseconds as seconds, exactly ("1.250"). */
static void put_ms_as_s(struct out *o, uint64_t ms)
{
	put(o, "%" PRIu64 ".%03u\n", ms / 1000, (unsigned)(ms % 1000));
}

/* ---- the process and the pool ------------------------------------------ */

static void render_process(struct out *o, const struct metrics_in *in)
{
	const struct pool_stats *t = in->total;

	family(o, "ternd_build_info", "gauge",
	       "Always 1; the version label says which ternd this is");
	put(o, "ternd_build_info{version=\"");
	/* not from a table: escaped */
	put_escaped(o, in->version ? in->version : "", true);
	put(o, "\"} 1\n");
	one(o, "process_start_time_seconds", "gauge",
	    "Start time of the process since the Unix epoch in seconds",
	    in->start_time_s);
	one(o, "ternd_workers", "gauge", "Worker threads running", t->workers);
	one(o, "ternd_draining", "gauge",
	    "1 while draining: new allocations are refused", t->draining);
	one(o, "ternd_connections_open", "gauge",
	    "Open TCP and TLS client connections", t->conns);
	one(o, "ternd_dtls_sessions_open", "gauge", "Open DTLS sessions",
	    t->dtls_sessions);
}

/* Per worker: event-loop lag and allocations (a bounded label: the worker
 * index, 0 .. workers - 1). */
static void render_workers(struct out *o, const struct metrics_in *in)
{
	char w[16];
	unsigned i;

	family(o, "ternd_event_loop_lag_seconds", "gauge",
	       "Most a worker's timer fired behind its deadline during the "
	       "worker's last second");
	for (i = 0; i < in->nworkers; i++) {
		put(o, "ternd_event_loop_lag_seconds{worker=\"%u\"} ", i);
		put_ms_as_s(o, in->worker[i].loop_lag_ms);
	}
	family(o, "ternd_worker_allocations", "gauge",
	       "Allocations held by each worker");
	for (i = 0; i < in->nworkers; i++) {
		snprintf(w, sizeof(w), "%u", i);
		sample(o, "ternd_worker_allocations", "worker", w,
		       in->worker[i].turn.allocs_active);
	}
}

/* ---- sockets (src/net): one counter per NET_STATS_FIELDS entry ---------- */

static void render_net(struct out *o, const struct net_stats *n)
{
#define NET_METRIC(name, help)                                                 \
	one(o, "ternd_" #name "_total", "counter", help, n->name);
	NET_STATS_FIELDS(NET_METRIC)
#undef NET_METRIC
}

/* ---- STUN and authentication -------------------------------------------- */

static void render_input(struct out *o, const struct turn_stats *s)
{
	const char *n;
	unsigned i;

	one(o, "ternd_messages_total", "counter",
	    "STUN messages and ChannelData handed to the TURN server", s->rx);
	n = "ternd_message_verdicts_total";
	family(o, n, "counter",
	       "What became of each message: answered, consumed (an "
	       "indication) or dropped (malformed, unexpected, policy)");
	for (i = 0; i < TURN_VERDICT_COUNT; i++)
		sample(o, n, "verdict", turn_verdict_name(i), s->verdict[i]);
	one(o, "ternd_binding_success_total", "counter",
	    "Binding success responses sent", s->binding);
	one(o, "ternd_binding_rfc3489_total", "counter",
	    "Binding success responses sent to classic RFC 3489 clients",
	    s->binding_rfc3489);
	n = "ternd_error_responses_total";
	family(o, n, "counter", "Error responses sent, by error code");
	for (i = 0; i < TURN_E_COUNT; i++)
		sample(o, n, "code", turn_err_name(i), s->err_code[i]);
}

static void render_auth(struct out *o, const struct turn_stats *s)
{
	const char *n = "ternd_auth_failures_total";
	unsigned i;

	one(o, "ternd_auth_success_total", "counter",
	    "Requests whose long-term credentials checked out", s->auth_ok);
	family(o, n, "counter",
	       "Requests not authenticated, by reason (challenge: the "
	       "normal first 401)");
	for (i = 0; i < TURN_AUTHF_COUNT; i++)
		sample(o, n, "reason", turn_authf_name(i), s->auth_fail[i]);
	one(o, "ternd_auth_lookups_pending", "gauge",
	    "Credential lookups waiting for the store", s->lookups_pending);
}

/* ---- allocations, permissions, channels --------------------------------- */

static void render_allocs(struct out *o, const struct turn_stats *s)
{
	static const char *const fam[2] = { "ipv4", "ipv6" };
	const char *n = "ternd_allocations";
	unsigned tp, f;

	one(o, "ternd_allocations_active", "gauge", "Allocations now",
	    s->allocs_active);
	family(o, n, "gauge",
	       "Allocations now by client transport and relayed address "
	       "family (a dual-stack allocation counts in both families)");
	for (tp = 0; tp < TURN_TP_COUNT; tp++)
		for (f = 0; f < 2; f++)
			put(o,
			    "%s{transport=\"%s\",family=\"%s\"} %" PRIu64 "\n",
			    n, turn_transport_name(tp), fam[f],
			    s->allocs_by_tp[tp][f]);
	one(o, "ternd_allocations_created_total", "counter",
	    "Allocations created", s->allocs_created);
	n = "ternd_allocations_ended_total";
	family(o, n, "counter",
	       "Allocations ended: lifetime ran out (expired), Refresh with "
	       "lifetime 0 (deleted), stream connection closed (closed)");
	sample(o, n, "reason", turn_alloc_end_name(TURN_END_EXPIRED),
	       s->allocs_expired);
	sample(o, n, "reason", turn_alloc_end_name(TURN_END_DELETED),
	       s->allocs_deleted);
	sample(o, n, "reason", turn_alloc_end_name(TURN_END_CLOSED),
	       s->allocs_closed);
	one(o, "ternd_reservations_active", "gauge",
	    "Relay ports held for an EVEN-PORT reservation token",
	    s->reservations);
	one(o, "ternd_reservations_expired_total", "counter",
	    "Reservations that expired unused", s->reservations_expired);
	one(o, "ternd_permissions_active", "gauge", "Permissions now",
	    s->perms_active);
	one(o, "ternd_channels_active", "gauge", "Channel bindings now",
	    s->channels_active);
	one(o, "ternd_drain_refused_total", "counter",
	    "Allocate requests refused while draining", s->drain_refused);
}

static void render_quota(struct out *o, const struct turn_stats *s)
{
	const char *n = "ternd_quota_refusals_total";

	family(o, n, "counter",
	       "Allocate requests refused by a quota: user_quota (486), "
	       "max_allocations (508), no free relay port (508)");
	sample(o, n, "reason", "user", s->quota_user);
	sample(o, n, "reason", "total", s->quota_total);
	sample(o, n, "reason", "ports", s->quota_ports);
	one(o, "ternd_policy_denied_total", "counter",
	    "CreatePermission and ChannelBind refused 403 by the peer policy",
	    s->policy_denied);
}

/* ---- relayed traffic ---------------------------------------------------- */

static void render_relay(struct out *o, const struct turn_stats *s)
{
	const char *n = "ternd_relayed_packets_total";

	family(o, n, "counter", "Packets relayed, by direction");
	sample(o, n, "direction", "to_peer", s->to_peer_pkts);
	sample(o, n, "direction", "to_client", s->to_client_pkts);
	n = "ternd_relayed_bytes_total";
	family(o, n, "counter",
	       "Application bytes relayed (no TURN framing), by direction");
	sample(o, n, "direction", "to_peer", s->to_peer_bytes);
	sample(o, n, "direction", "to_client", s->to_client_bytes);
	n = "ternd_relay_dropped_packets_total";
	family(o, n, "counter",
	       "Packets not relayed: no permission for the peer, no "
	       "allocation, unbound channel, over the bandwidth limit, peer "
	       "denied by policy");
	sample(o, n, "reason", "no_permission", s->drop_no_perm);
	sample(o, n, "reason", "no_allocation", s->drop_no_alloc);
	sample(o, n, "reason", "no_channel", s->drop_no_chan);
	sample(o, n, "reason", "bandwidth", s->drop_bandwidth);
	sample(o, n, "reason", "policy", s->policy_dropped);
	one(o, "ternd_relay_bandwidth_dropped_bytes_total", "counter",
	    "Application bytes dropped over relay.bandwidth",
	    s->drop_bandwidth_bytes);
}

/* ---- histograms of ended allocations ------------------------------------ */

/* Prometheus buckets are cumulative (le: at most); turn_stats counts per
 * bucket, the last one holding everything above the last bound. */
static void histogram(struct out *o, const char *name, const char *help,
		      const uint64_t *le, const uint64_t *count)
{
	uint64_t cum = 0;
	unsigned i;

	family(o, name, "histogram", help);
	for (i = 0; i < TURN_HIST_N; i++) {
		cum += count[i];
		if (i < TURN_HIST_N - 1)
			put(o, "%s_bucket{le=\"%" PRIu64 "\"} %" PRIu64 "\n",
			    name, le[i], cum);
		else
			put(o, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", name,
			    cum);
	}
	put(o, "%s_count %" PRIu64 "\n", name, cum);
}

static void render_hist(struct out *o, const struct turn_stats *s)
{
	const char *n = "ternd_allocation_lifetime_seconds";

	histogram(o, n, "How long ended allocations lived", turn_hist_life_le_s,
		  s->alloc_life_hist);
	put(o, "%s_sum ", n);
	put_ms_as_s(o, s->alloc_life_sum_ms);
	n = "ternd_allocation_relayed_bytes";
	histogram(o, n,
		  "Application bytes an ended allocation relayed, both "
		  "directions",
		  turn_hist_bytes_le, s->alloc_bytes_hist);
	put(o, "%s_sum %" PRIu64 "\n", n, s->alloc_bytes_sum);
}

/* ---- Redis -------------------------------------------------------------- */

static void render_redis(struct out *o, const struct pool_stats *t)
{
	const struct auth_redis_stats *r = &t->redis;

	one(o, "ternd_redis_configured_workers", "gauge",
	    "Workers with a Redis credential store (0: store is not redis)",
	    t->redis_workers);
	one(o, "ternd_redis_up", "gauge",
	    "Workers whose Redis connection is up", t->redis_up);
	one(o, "ternd_redis_lookups_total", "counter",
	    "Credential lookups asked of the Redis store", r->lookups);
	one(o, "ternd_redis_cache_hits_total", "counter",
	    "Lookups answered from the store's cache", r->cache_hits);
	one(o, "ternd_redis_misses_total", "counter", "Lookups sent to Redis",
	    r->misses);
	one(o, "ternd_redis_errors_total", "counter",
	    "Lookups that failed: Redis down, timeout, bad reply", r->errors);
	one(o, "ternd_redis_reconnects_total", "counter",
	    "Connection attempts to Redis after the first", r->reconnects);
	one(o, "ternd_redis_status_sent_total", "counter",
	    "Allocation status commands sent to Redis", r->status_sent);
	one(o, "ternd_redis_status_dropped_total", "counter",
	    "Allocation status commands dropped: Redis unreachable",
	    r->status_dropped);
}

int metrics_render(struct evbuffer *out, const struct metrics_in *in)
{
	struct out o = { out, 0 };
	const struct turn_stats *s = &in->total->turn;

	render_process(&o, in);
	render_workers(&o, in);
	render_net(&o, &in->total->net);
	render_input(&o, s);
	render_auth(&o, s);
	render_allocs(&o, s);
	render_quota(&o, s);
	render_relay(&o, s);
	render_hist(&o, s);
	render_redis(&o, in->total);
	return o.err;
}

/* ---- health and readiness ----------------------------------------------- */

bool metrics_healthy(const struct metrics_in *in, uint64_t max_lag_ms,
		     char *why, size_t whylen)
{
	unsigned i;

	for (i = 0; i < in->nworkers; i++) {
		uint64_t lag = in->worker[i].loop_lag_ms;

		if (lag > max_lag_ms) {
			snprintf(why, whylen,
				 "worker %u: event loop %" PRIu64
				 " ms behind (limit %" PRIu64 " ms)",
				 i, lag, max_lag_ms);
			return false;
		}
	}
	return true;
}

bool metrics_ready(const struct pool_stats *t, char *why, size_t whylen)
{
	if (t->draining) {
		snprintf(why, whylen, "draining");
		return false;
	}
	if (t->redis_workers && t->redis_up < t->redis_workers) {
		snprintf(why, whylen, "redis unreachable from %u of %u workers",
			 t->redis_workers - t->redis_up, t->redis_workers);
		return false;
	}
	return true;
}
