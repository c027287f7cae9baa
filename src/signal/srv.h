/*
 * srv.h — tern-signal, the program: its configuration (srv_conf.c), the
 * listener and its connections on libevent (srv.c), the WebSocket side of
 * a connection (srv_ws.c), the TURN credential endpoint and its secret
 * (srv_cred.c) and /metrics (srv_metrics.c). Private to these files and
 * main.c; the pure layer (ws.h, room.h, srv_http.h) knows nothing of it.
 *
 * One thread, one event_base: every connection, timer and the Redis
 * client run on it, so nothing here is locked.
 */
#ifndef TERN_SIGNAL_SRV_H
#define TERN_SIGNAL_SRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/hmap.h"
#include "base/log.h"
#include "base/sa.h"

/* ---- configuration (srv_conf.c) ----------------------------------------- */

#define SIG_CONF_DEFAULT_PORT 6503

struct sig_conf {
	char *path; /* the file read, NULL: built-in defaults */
	struct sa listen;
	char *listen_text; /* as written, for the start line */
	char *web;	   /* web root; NULL: none (404 for every file) */
	enum log_level log_level;
	char *tls_cert, *tls_key; /* both or neither */
	char **origins;
	size_t n_origins;
	/* limits */
	unsigned max_connections, max_users, max_message, max_name;
	unsigned rate, burst; /* WebSocket messages per second, bucket */
	unsigned idle_s;      /* ping after this long without a byte */
	unsigned max_output;  /* bytes queued to one client */
	/* TURN credentials */
	char *secret; /* turn.secret or the content of turn.secret_file */
	char *redis_host, *redis_password;
	uint16_t redis_port;
	unsigned redis_db;
	char *realm;
	char **urls;
	size_t n_urls;
	unsigned ttl;
	char *cred_name;
	char **api_keys;
	size_t n_api_keys;
	unsigned cred_rate, cred_burst; /* per client address, per minute */
	char *metrics_token;
};

/* Defaults (no file): 127.0.0.1:6503, no web root, no TLS, limits as in
 * etc/tern-signal.conf. Returns 0 or ENOMEM. */
int sig_conf_defaults(struct sig_conf **cp);

/* Load path over the defaults. Returns 0, or EINVAL/ENOMEM/an errno with
 * "FILE:LINE: sentence" (or "FILE: sentence") in err. */
int sig_conf_load(struct sig_conf **cp, const char *path, char *err,
		  size_t errlen);

/* Set listen from "ADDR:PORT" ("[v6]:port"). Returns 0 or EINVAL. */
int sig_conf_set_listen(struct sig_conf *c, const char *text);

/* Replace a string setting (copied). Returns 0 or ENOMEM. */
int sig_conf_set_str(char **slot, const char *v);

void sig_conf_free(struct sig_conf *c);

/* ---- the server (srv.c) -------------------------------------------------- */

struct event_base;
struct event;
struct bufferevent;
struct evconnlistener;
struct sig_room;
struct sig_ws_dec;
struct sig_ws_req;
struct sig_outbox;
struct cred;

/* Close codes counted in /metrics, and the index of a code among them. */
#define SIG_NCLOSES 12
extern const uint16_t sig_close_codes[SIG_NCLOSES];
size_t sig_close_index(uint16_t code);

/* Counters for /metrics. */
struct sig_stats {
	uint64_t accepted, refused_full, http_requests, ws_opened;
	uint64_t msgs_in, msgs_out, bytes_in, bytes_out;
	uint64_t rate_limited, slow_closed, origin_refused;
	uint64_t closes[SIG_NCLOSES + 1]; /* the last: any other code */
	uint64_t cred_ok, cred_unauth, cred_limited, cred_unavail;
};

#define SIG_TOKEN_LEN 43 /* base64url of 32 bytes, no padding */

enum conn_state { CONN_HTTP, CONN_WS, CONN_CLOSING };

/* One client connection, HTTP until it upgrades. Owned by the server's
 * list; freed by conn_free (directly, or once its output is sent). */
struct conn {
	struct srv *s;
	struct conn *prev, *next;
	struct bufferevent *bev;
	struct sa peer;
	enum conn_state state;
	uint64_t since_ms, last_rx_ms;
	/* WebSocket */
	struct sig_ws_dec *dec;
	uint64_t id;		/* in the room; 0: not joined */
	struct hmap_node by_id; /* in srv.by_id while id != 0 */
	char token[SIG_TOKEN_LEN + 1];
	double bucket;
	uint64_t bucket_ms;
	bool ping_sent;
	/* closing: kick_code set means a close is pending (kick list) */
	uint16_t kick_code;
	const char *kick_reason;
	struct conn *kick_next;
	bool kicked;
};

struct srv {
	const struct sig_conf *cf;
	struct event_base *base;
	struct evconnlistener *lis;
	void *ssl_ctx; /* SSL_CTX, NULL without TLS */
	struct sig_room *room;
	struct conn *conns;
	struct hmap by_id; /* joined connections by room id */
	size_t nconns, nws;
	struct conn *kicks; /* closes waiting for srv_run_kicks */
	struct event *tick;
	/* the latest userlist, sent to everyone when ul_timer fires: a burst
	 * of joins and names costs one list per USERLIST_MS, not one per
	 * change (each list goes to every user: N changes would be N^2) */
	char *userlist;
	size_t userlist_len;
	struct event *ul_timer;
	struct cred *cred;
	char *web_real; /* realpath of the web root */
	struct sig_stats st;
	struct log_limit lim;
	uint64_t start_s;
};

/* Make the server on base from conf (borrowed; outlives the server):
 * binds the listener, loads TLS, starts the Redis client. Returns 0 or an
 * errno, with a sentence logged. */
int srv_alloc(struct srv **sp, struct event_base *base,
	      const struct sig_conf *conf);

/* Can the configured certificate and key be used (--check-config)?
 * Returns 0 (or no TLS) or EINVAL with a sentence in err. */
int srv_check_tls(const struct sig_conf *cf, char *err, size_t errlen);

/* SIGTERM: stop listening, close every WebSocket with 1001 (the close
 * frames still go out while the loop runs) and every HTTP connection. */
void srv_stop(struct srv *s);

/* Connections still open (0: stopping is done). */
size_t srv_conns(const struct srv *s);

/* Close every connection at once and free. */
void srv_free(struct srv *s);

/* Free a connection at once (socket closed, room left without notice to
 * the others when it was in it: the caller sends the userlist). */
void conn_free(struct conn *c);

/* Queue an HTTP response and close after it: status, extra header lines
 * (each ending in CRLF, may be ""), type, body (copied; not sent for
 * HEAD, whose Content-Length is still the body's). */
void conn_respond(struct conn *c, int status, bool head, const char *extra,
		  const char *type, const char *body, size_t blen);

/* Stop reading, free once the output is sent (or after a few seconds). */
void conn_finish(struct conn *c);

/* Queue a close of c (code, reason) to be run by srv_run_kicks: delivery
 * to many clients may find a slow one, and closing it sends a userlist to
 * the others, which must not happen in the middle of the delivery. */
void srv_kick(struct conn *c, uint16_t code, const char *reason);
void srv_run_kicks(struct srv *s);

/* ---- the WebSocket side (srv_ws.c) --------------------------------------- */

/* Upgrade c whose handshake is req (status 101): the 101 answer, the room,
 * the id message with the token. */
void srv_ws_upgrade(struct conn *c, const struct sig_ws_req *req);
/* Input from a WebSocket client. */
void srv_ws_read(struct conn *c);
/* Once a second: ping an idle client, close one that stays silent. */
void srv_ws_tick(struct conn *c, uint64_t now_ms);
/* Send the close frame, leave the room (userlist to the others), free
 * once sent. Safe on a connection already closing. */
void srv_ws_close(struct conn *c, uint16_t code, const char *reason);
/* Frame text (opcode TEXT) to c; false when c's output is over the cap
 * (then c is kicked with 1008). */
bool srv_ws_send(struct conn *c, unsigned opcode, const void *p, size_t n);
/* Leave the room (nothing sent; the caller delivers ob when not NULL). */
void srv_ws_leave(struct conn *c, struct sig_outbox *ob);
/* Send the pending userlist to everyone in the room now (the timer's
 * callback; also run when the server stops). */
void srv_ws_flush_userlist(struct srv *s);
/* The open WebSocket connection whose token is tok, or NULL (constant
 * time per comparison). */
struct conn *srv_ws_by_token(struct srv *s, const char *tok);

/* ---- the credential endpoint (srv_cred.c) -------------------------------- */

/* Per-address limiter and the REST secret (config, or coturn's Redis). */
int cred_alloc(struct cred **cp, struct event_base *base,
	       const struct sig_conf *conf);
void cred_free(struct cred *c);
/* GET /turn-credentials on c; head: the request head; query after '?'. */
void srv_cred_request(struct conn *c, bool head_only, const uint8_t *head,
		      size_t hlen, const char *query);

/* OPTIONS /turn-credentials: the CORS preflight of a page on another
 * allowed origin (origins), which sends Authorization. */
void srv_cred_preflight(struct conn *c, const uint8_t *head, size_t hlen);

/* ---- /metrics (srv_metrics.c) -------------------------------------------- */

void srv_metrics_request(struct conn *c, bool head_only, const uint8_t *head,
			 size_t hlen);

#endif
