/*
 * srv_metrics.c — GET /metrics, Prometheus text format (version 0.0.4).
 * Like ternd's admin listener, it answers a client on loopback, or one
 * that sends "Authorization: Bearer <metrics.token>"; anyone else gets 403
 * (no token configured) or 401.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "base/clock.h"
#include "signal/room.h"
#include "signal/srv.h"
#include "signal/srv_http.h"

static bool is_loopback(const struct sa *a)
{
	size_t n;
	const uint8_t *b = sa_addr_bytes(a, &n);
	static const uint8_t v6[16] = { [15] = 1 };

	if (n == 4)
		return b[0] == 127;
	return n == 16 && !memcmp(b, v6, 16);
}

static bool token_ok(const char *want, const uint8_t *head, size_t hlen)
{
	uint8_t ha[SHA256_DIGEST_LENGTH], hb[SHA256_DIGEST_LENGTH];
	char v[256];

	if (!want ||
	    sig_http_header(head, hlen, "authorization", v, sizeof(v)) ||
	    strncasecmp(v, "Bearer ", 7))
		return false;
	SHA256((const uint8_t *)v + 7, strlen(v + 7), ha);
	SHA256((const uint8_t *)want, strlen(want), hb);
	OPENSSL_cleanse(v, sizeof(v));
	return CRYPTO_memcmp(ha, hb, sizeof(ha)) == 0;
}

#define COUNTER(b, name, help, v)                                              \
	evbuffer_add_printf(b,                                                 \
			    "# HELP tern_signal_" name " " help "\n"           \
			    "# TYPE tern_signal_" name " counter\n"            \
			    "tern_signal_" name " %llu\n",                     \
			    (unsigned long long)(v))
#define GAUGE(b, name, help, v)                                                \
	evbuffer_add_printf(b,                                                 \
			    "# HELP tern_signal_" name " " help "\n"           \
			    "# TYPE tern_signal_" name " gauge\n"              \
			    "tern_signal_" name " %llu\n",                     \
			    (unsigned long long)(v))

static void by_label(struct evbuffer *b, const char *name, const char *label,
		     const char *const *vals, const uint64_t *n, size_t k)
{
	for (size_t i = 0; i < k; i++)
		evbuffer_add_printf(b, "tern_signal_%s{%s=\"%s\"} %llu\n", name,
				    label, vals[i], (unsigned long long)n[i]);
}

static uint64_t queued(const struct srv *s)
{
	uint64_t n = 0;

	for (const struct conn *c = s->conns; c; c = c->next)
		n += evbuffer_get_length(bufferevent_get_output(c->bev));
	return n;
}

static void write_metrics(struct srv *s, struct evbuffer *b)
{
	const struct sig_stats *st = &s->st;
	static const char *const outcomes[] = { "ok", "unauthorized",
						"rate_limited", "unavailable" };
	uint64_t cred[] = { st->cred_ok, st->cred_unauth, st->cred_limited,
			    st->cred_unavail };
	char codes[SIG_NCLOSES + 1][8];
	const char *cv[SIG_NCLOSES + 1];

	GAUGE(b, "connections", "Open connections (HTTP and WebSocket).",
	      s->nconns);
	GAUGE(b, "websockets", "Open WebSocket connections in the room.",
	      s->nws);
	GAUGE(b, "users", "Connections in the room.", sig_room_count(s->room));
	GAUGE(b, "output_bytes",
	      "Bytes queued to clients, all connections (each at most "
	      "limits.output).",
	      queued(s));
	COUNTER(b, "accepted_total", "Connections accepted.", st->accepted);
	COUNTER(b, "refused_total",
		"Connections closed at accept: limits.connections reached.",
		st->refused_full);
	COUNTER(b, "http_requests_total", "HTTP requests read.",
		st->http_requests);
	COUNTER(b, "websocket_opened_total", "WebSocket upgrades.",
		st->ws_opened);
	COUNTER(b, "messages_in_total", "Text messages received.", st->msgs_in);
	COUNTER(b, "messages_out_total", "Text messages sent.", st->msgs_out);
	COUNTER(b, "bytes_in_total", "WebSocket bytes received.", st->bytes_in);
	COUNTER(b, "bytes_out_total", "WebSocket bytes queued to send.",
		st->bytes_out);
	COUNTER(b, "rate_limited_total",
		"Clients closed for going over limits.rate.", st->rate_limited);
	COUNTER(b, "slow_closed_total",
		"Clients closed for letting their output pass limits.output.",
		st->slow_closed);
	COUNTER(b, "origin_refused_total", "Upgrades refused for their Origin.",
		st->origin_refused);
	evbuffer_add_printf(b, "# HELP tern_signal_closes_total WebSocket "
			       "closes by code (1006: no close frame).\n"
			       "# TYPE tern_signal_closes_total counter\n");
	for (size_t i = 0; i <= SIG_NCLOSES; i++) {
		if (i < SIG_NCLOSES)
			snprintf(codes[i], sizeof(codes[i]), "%u",
				 sig_close_codes[i]);
		else
			snprintf(codes[i], sizeof(codes[i]), "other");
		cv[i] = codes[i];
	}
	by_label(b, "closes_total", "code", cv, st->closes, SIG_NCLOSES + 1);
	evbuffer_add_printf(b,
			    "# HELP tern_signal_credentials_total "
			    "/turn-credentials requests by outcome.\n"
			    "# TYPE tern_signal_credentials_total counter\n");
	by_label(b, "credentials_total", "outcome", outcomes, cred, 4);
	GAUGE(b, "start_time_seconds", "Unix time of the start.", s->start_s);
}

void srv_metrics_request(struct conn *c, bool head_only, const uint8_t *head,
			 size_t hlen)
{
	struct evbuffer *b;
	size_t n;
	char *body;

	if (!is_loopback(&c->peer) &&
	    !token_ok(c->s->cf->metrics_token, head, hlen)) {
		bool tok = c->s->cf->metrics_token != NULL;
		const char *why = tok ? "send Authorization: Bearer "
					"<metrics.token>\n"
				      : "metrics are served on loopback only "
					"(or set metrics.token)\n";
		conn_respond(c, tok ? 401 : 403, head_only,
			     tok ? "WWW-Authenticate: Bearer "
				   "realm=\"tern-signal metrics\"\r\n"
				 : NULL,
			     "text/plain; charset=utf-8", why, strlen(why));
		return;
	}
	b = evbuffer_new();
	if (!b) {
		conn_respond(c, 503, head_only, NULL, "text/plain", "", 0);
		return;
	}
	write_metrics(c->s, b);
	n = evbuffer_get_length(b);
	body = (char *)evbuffer_pullup(b, (ssize_t)n);
	conn_respond(c, 200, head_only, NULL,
		     "text/plain; version=0.0.4; charset=utf-8", body, n);
	evbuffer_free(b);
}
