/*
 * srv.c — tern-signal's one listener on libevent: connections, their HTTP
 * requests (static files, /turn-credentials, /metrics) and the hand-over
 * of an upgrade to srv_ws.c. See srv.h.
 *
 * Every connection answers one HTTP request and closes (Connection:
 * close), or upgrades and stays. Limits: max_connections open at once
 * (beyond, a new one is closed at accept), a request head within 10 s and
 * SIG_WS_HEAD_MAX_DEFAULT bytes, a request target of at most
 * SIG_WS_PATH_MAX - 1 bytes (414).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "base/clock.h"
#include "signal/room.h"
#include "signal/srv.h"
#include "signal/srv_http.h"
#include "signal/ws.h"

enum {
	HEAD_TIMEOUT_S = 10, /* a request head must arrive within */
	LINGER_S = 5,	     /* a closing connection's output, at most */
	BACKLOG = 512,
};

const uint16_t sig_close_codes[SIG_NCLOSES] = { 1000, 1001, 1002, 1003,
						1005, 1006, 1007, 1008,
						1009, 1010, 1011, 1013 };

size_t sig_close_index(uint16_t code)
{
	for (size_t i = 0; i < SIG_NCLOSES; i++)
		if (sig_close_codes[i] == code)
			return i;
	return SIG_NCLOSES;
}

static const char *status_text(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 204:
		return "No Content";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 414:
		return "URI Too Long";
	case 426:
		return "Upgrade Required";
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	case 503:
		return "Service Unavailable";
	default:
		return "Error";
	}
}

/* ---- connections -------------------------------------------------------- */

void conn_free(struct conn *c)
{
	struct srv *s = c->s;

	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nconns--;
	/* gone without a close: nobody hears of it here; the callers that
	 * care use srv_ws_close */
	srv_ws_leave(c, NULL);
	for (struct conn **k = &s->kicks; *k; k = &(*k)->kick_next)
		if (*k == c) {
			*k = c->kick_next;
			break;
		}
	if (c->bev)
		bufferevent_free(c->bev);
	sig_ws_dec_free(c->dec);
	OPENSSL_cleanse(c->token, sizeof(c->token));
	free(c);
}

static void on_flushed(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		conn_free(c);
}

static void on_event(struct bufferevent *bev, short what, void *arg);

void conn_finish(struct conn *c)
{
	struct timeval tv = { LINGER_S, 0 };

	c->state = CONN_CLOSING;
	bufferevent_disable(c->bev, EV_READ);
	bufferevent_setcb(c->bev, NULL, on_flushed, on_event, c);
	bufferevent_set_timeouts(c->bev, NULL, &tv);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		conn_free(c);
	else
		bufferevent_enable(c->bev, EV_WRITE);
}

void conn_respond(struct conn *c, int status, bool head, const char *extra,
		  const char *type, const char *body, size_t blen)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);

	if (status == 204) { /* no body, no Content-Length (RFC 9110 8.6) */
		evbuffer_add_printf(out,
				    "HTTP/1.1 204 No Content\r\n%s"
				    "Connection: close\r\n\r\n",
				    extra ? extra : "");
		conn_finish(c);
		return;
	}
	evbuffer_add_printf(out,
			    "HTTP/1.1 %d %s\r\n%sContent-Type: %s\r\n"
			    "Content-Length: %zu\r\nCache-Control: no-cache\r\n"
			    "X-Content-Type-Options: nosniff\r\n"
			    "Connection: close\r\n\r\n",
			    status, status_text(status), extra ? extra : "",
			    type, blen);
	if (!head && blen)
		evbuffer_add(out, body, blen);
	conn_finish(c);
}

static void respond_text(struct conn *c, int status, bool head,
			 const char *extra, const char *text)
{
	conn_respond(c, status, head, extra, "text/plain; charset=utf-8", text,
		     strlen(text));
}

void srv_kick(struct conn *c, uint16_t code, const char *reason)
{
	if (c->kicked || c->state == CONN_CLOSING)
		return;
	c->kicked = true;
	c->kick_code = code;
	c->kick_reason = reason;
	c->kick_next = c->s->kicks;
	c->s->kicks = c;
}

void srv_run_kicks(struct srv *s)
{
	struct conn *c;

	while ((c = s->kicks) != NULL) {
		s->kicks = c->kick_next;
		c->kick_next = NULL;
		srv_ws_close(c, c->kick_code, c->kick_reason);
	}
}

/* ---- static files -------------------------------------------------------- */

/* Open rel under the web root, refusing anything whose real path leaves
 * it (a symbolic link out of the root) or is not a regular file. */
static int open_file(struct srv *s, const char *rel, struct stat *st)
{
	char full[PATH_MAX], *real;
	size_t n = strlen(s->web_real);
	int fd;

	if (snprintf(full, sizeof(full), "%s/%s", s->web_real, rel) >=
	    (int)sizeof(full))
		return -1;
	real = realpath(full, NULL);
	if (!real)
		return -1;
	if (strncmp(real, s->web_real, n) || real[n] != '/') {
		free(real);
		return -1;
	}
	fd = open(real, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
	free(real);
	if (fd < 0)
		return -1;
	if (fstat(fd, st) || !S_ISREG(st->st_mode)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void serve_file(struct conn *c, const char *rel, bool head)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	struct stat st;
	int fd = c->s->web_real ? open_file(c->s, rel, &st) : -1;

	if (fd < 0) {
		respond_text(c, 404, head, NULL, "not found\n");
		return;
	}
	evbuffer_add_printf(
	    out,
	    "HTTP/1.1 200 OK\r\nContent-Type: %s\r\n"
	    "Content-Length: %lld\r\nCache-Control: no-cache\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "Connection: close\r\n\r\n",
	    sig_http_type(rel), (long long)st.st_size);
	if (head || st.st_size == 0 ||
	    evbuffer_add_file(out, fd, 0, st.st_size))
		close(fd);
	conn_finish(c);
}

/* ---- requests ------------------------------------------------------------ */

static bool is_ws_path(const char *target)
{
	size_t n = strcspn(target, "?");

	return (n == 1 && target[0] == '/') ||
	       (n == 3 && !strncmp(target, "/ws", 3));
}

static void refuse_hs(struct conn *c, struct sig_ws_req *req)
{
	char buf[512];
	size_t n;

	if (sig_ws_hs_response(req, buf, sizeof(buf), &n) == 0)
		bufferevent_write(c->bev, buf, n);
	conn_finish(c);
}

static void upgrade(struct conn *c, struct sig_ws_req *req, const uint8_t *head,
		    size_t hlen)
{
	char host[256] = "";
	const struct sig_conf *cf = c->s->cf;

	sig_http_header(head, hlen, "host", host, sizeof(host));
	if (req->status == 101 &&
	    !sig_http_origin_ok(req->origin, host,
				(const char *const *)cf->origins,
				cf->n_origins)) {
		c->s->st.origin_refused++;
		req->status = 403;
		req->why = "Origin not allowed (origins in tern-signal.conf)";
	}
	if (req->status != 101) {
		refuse_hs(c, req);
		return;
	}
	srv_ws_upgrade(c, req);
}

static void route(struct conn *c, struct sig_ws_req *req, const uint8_t *head,
		  size_t hlen)
{
	bool is_head = !strcmp(req->method, "HEAD");
	char rel[SIG_WS_PATH_MAX], query[SIG_WS_PATH_MAX];

	c->s->st.http_requests++;
	if (req->websocket && is_ws_path(req->path)) {
		upgrade(c, req, head, hlen);
		return;
	}
	if (req->websocket) { /* an upgrade elsewhere */
		req->status = 404;
		req->why = "no WebSocket here: upgrade on / or /ws";
	}
	if (req->status != 426) {
		refuse_hs(c, req);
		return;
	}
	if (sig_http_path(req->path, rel, sizeof(rel), query, sizeof(query)))
		rel[0] = '\0';
	if (!strcmp(req->method, "OPTIONS") &&
	    !strcmp(rel, "turn-credentials")) {
		srv_cred_preflight(c, head, hlen);
		return;
	}
	if (strcmp(req->method, "GET") && !is_head) {
		respond_text(c, 405, false, "Allow: GET, HEAD\r\n",
			     "method not allowed\n");
		return;
	}
	if (!rel[0]) {
		respond_text(c, 404, is_head, NULL, "not found\n");
		return;
	}
	if (!strcmp(rel, "turn-credentials"))
		srv_cred_request(c, is_head, head, hlen, query);
	else if (!strcmp(rel, "metrics"))
		srv_metrics_request(c, is_head, head, hlen);
	else
		serve_file(c, rel, is_head);
}

static void on_http_read(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t len = evbuffer_get_length(in);
	size_t cap = SIG_WS_HEAD_MAX_DEFAULT;
	const uint8_t *buf;
	struct sig_ws_req req;
	int rc;

	if (len > cap)
		len = cap; /* the parser looks no further: 431 if no head end */
	buf = evbuffer_pullup(in, (ssize_t)len);
	if (sig_http_target_len(buf, len) >= SIG_WS_PATH_MAX) {
		respond_text(c, 414, false, NULL, "request target too long\n");
		return;
	}
	rc = sig_ws_hs_parse(buf, len, NULL, &req);
	if (rc == EAGAIN)
		return;
	if (rc) {
		conn_free(c);
		return;
	}
	if (req.status == 431 || (req.status == 400 && !req.method[0])) {
		refuse_hs(c, &req);
		return;
	}
	route(c, &req, buf, req.head_len);
	/* the head is drained by whoever still reads (srv_ws_upgrade) */
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct srv *s = c->s;

	(void)bev;
	c->last_rx_ms = clock_mono_ms();
	if (c->state == CONN_HTTP)
		on_http_read(c);
	else if (c->state == CONN_WS)
		srv_ws_read(c);
	srv_run_kicks(s);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;
	struct srv *s = c->s;

	(void)bev;
	if (c->state == CONN_WS && (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))) {
		/* gone without a close frame: 1006, never sent (§7.1.5) */
		s->st.closes[sig_close_index(1006)]++;
		c->state = CONN_CLOSING;
		srv_ws_close(c, 1006, NULL);
		srv_run_kicks(s);
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) {
		conn_free(c);
		srv_run_kicks(s);
	}
}

static struct bufferevent *make_bev(struct srv *s, evutil_socket_t fd)
{
	SSL *ssl;

	if (!s->ssl_ctx)
		return bufferevent_socket_new(s->base, fd,
					      BEV_OPT_CLOSE_ON_FREE);
	ssl = SSL_new(s->ssl_ctx);
	if (!ssl)
		return NULL;
	return bufferevent_openssl_socket_new(
	    s->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd,
		      struct sockaddr *sa, int slen, void *arg)
{
	struct srv *s = arg;
	struct timeval tv = { HEAD_TIMEOUT_S, 0 };
	struct conn *c;

	(void)l;
	if (s->nconns >= s->cf->max_connections) {
		s->st.refused_full++;
		evutil_closesocket(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c || !(c->bev = make_bev(s, fd))) {
		/* out of memory: a failed bufferevent_openssl_socket_new may
		 * already have closed fd with what it built (it frees with
		 * BEV_OPT_CLOSE_ON_FREE), so only the plain case closes it */
		if (!c || !s->ssl_ctx)
			evutil_closesocket(fd);
		free(c);
		return;
	}
	s->st.accepted++;
	c->s = s;
	sa_set_sockaddr(&c->peer, sa, (socklen_t)slen);
	sa_unmap(&c->peer);
	c->since_ms = c->last_rx_ms = clock_mono_ms();
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
	bufferevent_setcb(c->bev, on_read, NULL, on_event, c);
	bufferevent_set_timeouts(c->bev, &tv, NULL);
	bufferevent_enable(c->bev, EV_READ);
}

/* Once a second: the WebSocket clients' idle pings and timeouts. */
static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct srv *s = arg;
	uint64_t now = clock_mono_ms();
	struct conn *c, *next;

	(void)fd;
	(void)what;
	for (c = s->conns; c; c = next) {
		next = c->next;
		if (c->state == CONN_WS)
			srv_ws_tick(c, now);
	}
	srv_run_kicks(s);
}

/* ---- the server ---------------------------------------------------------- */

/* An SSL_CTX with the configured certificate and key, or NULL with a
 * sentence in err. */
static SSL_CTX *tls_ctx(const struct sig_conf *cf, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx) {
		snprintf(err, errlen, "tls: out of memory");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (SSL_CTX_use_certificate_chain_file(ctx, cf->tls_cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, cf->tls_key, SSL_FILETYPE_PEM) !=
		1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		const char *why = ERR_reason_error_string(ERR_get_error());

		snprintf(err, errlen, "tls: cannot use %s and %s: %s",
			 cf->tls_cert, cf->tls_key,
			 why ? why : "not readable, or not PEM");
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

int srv_check_tls(const struct sig_conf *cf, char *err, size_t errlen)
{
	SSL_CTX *ctx;

	if (!cf->tls_cert)
		return 0;
	ctx = tls_ctx(cf, err, errlen);
	if (!ctx)
		return EINVAL;
	SSL_CTX_free(ctx);
	return 0;
}

static int load_tls(struct srv *s)
{
	char err[512];

	s->ssl_ctx = tls_ctx(s->cf, err, sizeof(err));
	if (!s->ssl_ctx) {
		log_error("%s", err);
		return EINVAL;
	}
	return 0;
}

static int start(struct srv *s)
{
	struct sig_room_limits lim = { s->cf->max_users, s->cf->max_name,
				       s->cf->max_message };
	struct timeval one = { 1, 0 };
	char as[SA_STRLEN];

	if (s->cf->web && !(s->web_real = realpath(s->cf->web, NULL)))
		log_warn("web root %s: %s (every file is 404)", s->cf->web,
			 strerror(errno));
	if (s->cf->tls_cert && load_tls(s))
		return EINVAL;
	if (sig_room_alloc(&s->room, &lim) || hmap_init(&s->by_id, 64) ||
	    cred_alloc(&s->cred, s->base, s->cf))
		return ENOMEM;
	s->lis = evconnlistener_new_bind(
	    s->base, on_accept, s,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
	    BACKLOG, &s->cf->listen.u.sa, (int)s->cf->listen.len);
	if (!s->lis) {
		log_error("cannot listen on %s: %s",
			  sa_print(&s->cf->listen, as, sizeof(as)),
			  strerror(errno));
		return errno ? errno : EADDRINUSE;
	}
	s->tick = event_new(s->base, -1, EV_PERSIST, on_tick, s);
	if (!s->tick || event_add(s->tick, &one))
		return ENOMEM;
	return 0;
}

int srv_alloc(struct srv **sp, struct event_base *base,
	      const struct sig_conf *conf)
{
	struct srv *s = calloc(1, sizeof(*s));
	int rc;

	if (!s)
		return ENOMEM;
	s->cf = conf;
	s->base = base;
	s->start_s = clock_wall_s();
	log_limit_init(&s->lim, 10000, 10);
	rc = start(s);
	if (rc) {
		srv_free(s);
		return rc;
	}
	*sp = s;
	return 0;
}

void srv_stop(struct srv *s)
{
	struct conn *c, *next;

	if (s->lis)
		evconnlistener_free(s->lis);
	s->lis = NULL;
	srv_ws_flush_userlist(s);
	for (c = s->conns; c; c = next) {
		next = c->next;
		if (c->state == CONN_WS)
			srv_kick(c, SIG_WS_CLOSE_GOING, "server stopping");
		else if (c->state == CONN_HTTP)
			conn_free(c);
	}
	srv_run_kicks(s);
}

size_t srv_conns(const struct srv *s)
{
	return s->nconns;
}

void srv_free(struct srv *s)
{
	if (!s)
		return;
	if (s->lis)
		evconnlistener_free(s->lis);
	while (s->conns)
		conn_free(s->conns);
	if (s->tick)
		event_free(s->tick);
	if (s->ul_timer)
		event_free(s->ul_timer);
	free(s->userlist);
	cred_free(s->cred);
	sig_room_free(s->room);
	hmap_release(&s->by_id);
	if (s->ssl_ctx)
		SSL_CTX_free(s->ssl_ctx);
	free(s->web_real);
	free(s);
}
