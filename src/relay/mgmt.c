/*
 * mgmt.c — the management HTTP listener; see mgmt.h. What the pages say is in
 * metrics.c; this file is the HTTP and the limits that keep a slow or
 * greedy client from holding the main thread's loop or its descriptors:
 *
 *   - at most MGMT_MAX_CONNS connections: at the cap the listener pauses
 *     and further clients wait in the kernel's accept queue;
 *   - at most MGMT_MAX_PER_IP of them from one address: a newer one is
 *     shut down as soon as its address is known (the next turn of the
 *     loop), so one client cannot hold the slots others need;
 *   - a request must arrive whole (headers and body) within
 *     MGMT_REQUEST_S of the connection opening or of the previous answer
 *     on it, however it trickles: the connection is shut down then;
 *   - a connection idle for MGMT_IDLE_S is closed (evhttp's timeout), and
 *     one open for MGMT_MAX_AGE_S is shut down;
 *   - request headers at most MGMT_MAX_HEADERS bytes, a body at most
 *     MGMT_MAX_BODY (a GET has none).
 *
 * libevent 2.1 has no evhttp_set_max_connections, and evhttp says when a
 * connection ends only to a close callback set from a request, which a
 * client that never completes one never reaches. So the listener makes every
 * connection's bufferevent itself (evhttp_set_bevcb) and holds a reference
 * to it: evhttp's bufferevent_free then leaves it allocated with its
 * callbacks cleared, which the reaper (once a second while any connection
 * is open) takes as "ended" and drops the last reference, closing the
 * socket. The bufferevent is never freed while evhttp may use it.
 */
#include <config.h> /* autoconf: PACKAGE_VERSION */

#include "relay/mgmt.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/sa.h"
#include "relay/metrics.h"
#include "relay/sessions.h"

enum {
	MGMT_MAX_CONNS = 16,
	MGMT_MAX_PER_IP = 4,
	MGMT_REQUEST_S = 5,
	MGMT_SESSIONS_MAX = 1000, /* /sessions lists at most this many */
	MGMT_BACKLOG = 16,
	MGMT_IDLE_S = 10,
	MGMT_MAX_AGE_S = 60,
	MGMT_MAX_HEADERS = 8192,
	MGMT_MAX_BODY = 1024,
	/* /healthz fails when a worker's loop ran this late: a loop that
	 * busy is not serving its clients */
	MGMT_MAX_LAG_MS = 5000,
};

struct mgmt_conn {
	struct bufferevent *bev; /* NULL: a free slot */
	uint64_t since_ms;	 /* accepted (monotonic) */
	uint64_t due_ms;	 /* the next request must be in by then */
	struct sa peer;		 /* unset until the socket is known */
	bool doomed;		 /* shut down; reaped once evhttp lets go */
};

struct mgmt {
	struct event_base *base;
	const struct ternd_config *cfg;
	struct worker_pool *pool;
	struct evhttp *http;
	struct evconnlistener *lis; /* evhttp's, paused at the cap */
	struct event *reap_ev;	/* once a second while connections are open */
	struct event *check_ev; /* once, soon: a new connection's address */
	struct mgmt_conn conn[MGMT_MAX_CONNS];
	unsigned nconn;
	struct log_limit ll_conn; /* connections refused */
	struct sa addr;		  /* where it listens */
	uint64_t start_time_s;
};

/* ---- connections -------------------------------------------------------- */

/* Has evhttp let go of this connection? bufferevent_free clears the
 * callbacks and, for an accepted connection, leaves the socket set. */
static bool conn_released(struct bufferevent *bev)
{
	bufferevent_data_cb r, w;
	bufferevent_event_cb e;

	bufferevent_getcb(bev, &r, &w, &e, NULL);
	return !r && !w && !e && bufferevent_getfd(bev) >= 0;
}

/* Shut a connection down and tell evhttp at once that it ended (as the
 * loop would on the end of file): evhttp frees it, and the caller's pass
 * reaps it. Only from the reaper's own event, never inside evhttp. */
static void conn_shut(struct mgmt_conn *c)
{
	evutil_socket_t fd = bufferevent_getfd(c->bev);

	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
	c->doomed = true;
	bufferevent_trigger_event(c->bev, BEV_EVENT_EOF | BEV_EVENT_READING, 0);
}

/* Learn c's address once evhttp has given it its socket; the newest
 * connections of an address over MGMT_MAX_PER_IP are shut down. */
static void conn_peer(struct mgmt *a, struct mgmt_conn *c)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	evutil_socket_t fd = bufferevent_getfd(c->bev);
	unsigned i, same = 0;

	if (sa_is_set(&c->peer) || fd < 0 ||
	    getpeername(fd, (struct sockaddr *)&ss, &len) < 0 ||
	    sa_set_sockaddr(&c->peer, (struct sockaddr *)&ss, len))
		return;
	for (i = 0; i < MGMT_MAX_CONNS; i++)
		if (a->conn[i].bev && !a->conn[i].doomed &&
		    sa_equal_addr(&a->conn[i].peer, &c->peer))
			same++;
	if (same > MGMT_MAX_PER_IP) {
		char t[SA_STRLEN];

		log_limited(&a->ll_conn, clock_mono_ms(), LOG_LVL_WARN,
			    "admin HTTP: %s has %u connections open (at most "
			    "%u from one address): closing the newest",
			    sa_print_addr(&c->peer, t, sizeof(t)), same - 1,
			    (unsigned)MGMT_MAX_PER_IP);
		conn_shut(c);
	}
}

/* Drop the connections evhttp let go; with `check` (the reaper's own
 * event), shut down those over the per-address cap or past a deadline
 * first. */
static void reap(struct mgmt *a, bool check)
{
	uint64_t now = clock_mono_ms();
	unsigned i;

	for (i = 0; i < MGMT_MAX_CONNS; i++) {
		struct mgmt_conn *c = &a->conn[i];

		if (!c->bev)
			continue;
		if (check && !c->doomed) {
			conn_peer(a, c);
			if (!c->doomed &&
			    (now >= c->due_ms ||
			     now - c->since_ms > MGMT_MAX_AGE_S * 1000u))
				conn_shut(c);
		}
		if (conn_released(c->bev)) {
			bufferevent_decref(c->bev); /* closes the socket */
			memset(c, 0, sizeof(*c));
			a->nconn--;
		}
	}
	if (a->nconn < MGMT_MAX_CONNS)
		evconnlistener_enable(a->lis);
	if (!a->nconn)
		event_del(a->reap_ev);
}

static void reap_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	reap(arg, true);
}

/* evhttp accepted a connection and asks for its bufferevent. */
static struct bufferevent *on_accept(struct event_base *base, void *arg)
{
	static const struct timeval second = { 1, 0 };
	struct mgmt *a = arg;
	struct bufferevent *bev;
	unsigned i;

	reap(a, false);
	for (i = 0; i < MGMT_MAX_CONNS && a->conn[i].bev; i++)
		;
	/* Not at the cap (the listener pauses there). NULL makes evhttp
	 * create one itself, untracked: only when memory runs out. */
	if (i == MGMT_MAX_CONNS)
		return NULL;
	bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (!bev)
		return NULL;
	/* what a released connection may still read before it is reaped */
	bufferevent_setwatermark(bev, EV_READ, 0,
				 MGMT_MAX_HEADERS + MGMT_MAX_BODY);
	bufferevent_incref(bev);
	a->conn[i].bev = bev;
	a->conn[i].since_ms = clock_mono_ms();
	a->conn[i].due_ms = a->conn[i].since_ms + MGMT_REQUEST_S * 1000u;
	if (++a->nconn == MGMT_MAX_CONNS)
		evconnlistener_disable(a->lis);
	if (!event_pending(a->reap_ev, EV_TIMEOUT, NULL))
		event_add(a->reap_ev, &second);
	/* evhttp gives bev its socket after this returns: look at its
	 * address on the next turn of the loop (not by activating reap_ev,
	 * which would move its next second along) */
	event_active(a->check_ev, EV_TIMEOUT, 0);
	return bev;
}

/* ---- pages -------------------------------------------------------------- */

static void reply(struct evhttp_request *req, int code, const char *reason,
		  const char *ctype, struct evbuffer *body)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Type", ctype);
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_send_reply(req, code, reason, body);
}

/* A short text page: "ok\n", "not found\n", the reason a check failed. */
static void reply_text(struct evhttp_request *req, int code, const char *reason,
		       const char *text)
{
	struct evbuffer *b = evbuffer_new();

	if (!b || evbuffer_add_printf(b, "%s\n", text) < 0) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
	} else {
		reply(req, code, reason, "text/plain; charset=utf-8", b);
	}
	if (b)
		evbuffer_free(b);
}

/* The pool's totals and each worker's own figures; *wp is calloc'd (the
 * caller frees it), NULL when out of memory. */
static void collect(struct mgmt *a, struct pool_stats *total,
		    struct metrics_in *in, struct pool_stats **wp)
{
	struct pool_stats *w;
	unsigned i;

	worker_pool_stats(a->pool, total);
	w = calloc(total->workers ? total->workers : 1, sizeof(*w));
	*wp = w;
	memset(in, 0, sizeof(*in));
	in->version = PACKAGE_VERSION;
	in->start_time_s = a->start_time_s;
	in->total = total;
	in->worker = w;
	if (!w)
		return;
	for (i = 0; i < total->workers; i++)
		if (worker_pool_worker_stats(a->pool, i, &w[i]) == 0)
			in->nworkers = i + 1;
}

static void page_metrics(struct mgmt *a, struct evhttp_request *req)
{
	struct pool_stats total;
	struct pool_stats *w;
	struct metrics_in in;
	struct evbuffer *b = evbuffer_new();

	collect(a, &total, &in, &w);
	if (!b || !w || metrics_render(b, &in))
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
	else
		reply(req, HTTP_OK, "OK",
		      "text/plain; version=0.0.4; charset=utf-8", b);
	if (b)
		evbuffer_free(b);
	free(w);
}

static void page_healthz(struct mgmt *a, struct evhttp_request *req)
{
	struct pool_stats total;
	struct pool_stats *w;
	struct metrics_in in;
	unsigned worst = 0;
	uint64_t stalled;
	char why[160];

	/* a hung worker publishes no lag at all: ask how long since each
	 * loop last turned */
	stalled = worker_pool_stalled_ms(a->pool, clock_mono_ms(), &worst);
	collect(a, &total, &in, &w);
	if (!w)
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
	else if (stalled > MGMT_MAX_LAG_MS) {
		snprintf(why, sizeof(why),
			 "worker %u: event loop has not turned for %" PRIu64
			 " ms (limit %u ms)",
			 worst, stalled, (unsigned)MGMT_MAX_LAG_MS);
		reply_text(req, HTTP_SERVUNAVAIL, "Service Unavailable", why);
	} else if (metrics_healthy(&in, MGMT_MAX_LAG_MS, why, sizeof(why)))
		reply_text(req, HTTP_OK, "OK", "ok");
	else
		reply_text(req, HTTP_SERVUNAVAIL, "Service Unavailable", why);
	free(w);
}

static void page_readyz(struct mgmt *a, struct evhttp_request *req)
{
	struct pool_stats total;
	char why[160];

	worker_pool_stats(a->pool, &total);
	if (metrics_ready(&total, why, sizeof(why)))
		reply_text(req, HTTP_OK, "OK", "ready");
	else
		reply_text(req, HTTP_SERVUNAVAIL, "Service Unavailable", why);
}

/* ---- the token ---------------------------------------------------------- */

/* Does the request carry "Authorization: Bearer <admin token>"? Always
 * yes without a token. Both sides are hashed first, so the comparison
 * takes the same time whatever the length or content sent. */
static bool authorized(const struct mgmt *a, struct evhttp_request *req)
{
	const char *tok = a->cfg->admin_token;
	const char *h = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "Authorization");
	unsigned char want[SHA256_DIGEST_LENGTH], got[SHA256_DIGEST_LENGTH];
	bool bearer;

	if (!tok)
		return true;
	bearer = h && strncasecmp(h, "Bearer ", 7) == 0;
	h = bearer ? h + 7 : "";
	SHA256((const unsigned char *)tok, strlen(tok), want);
	SHA256((const unsigned char *)h, strlen(h), got);
	return CRYPTO_memcmp(want, got, sizeof(want)) == 0 && bearer;
}

static void reply_401(struct evhttp_request *req)
{
	evhttp_add_header(evhttp_request_get_output_headers(req),
			  "WWW-Authenticate", "Bearer realm=\"ternd admin\"");
	reply_text(req, 401, "Unauthorized",
		   "unauthorized: send \"Authorization: Bearer TOKEN\" with "
		   "the admin token (admin.token_file)");
}

/* ---- /sessions ------------------------------------------------------------
 */

static void reply_json(struct evhttp_request *req, int code, const char *reason,
		       const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void reply_json(struct evhttp_request *req, int code, const char *reason,
		       const char *fmt, ...)
{
	struct evbuffer *b = evbuffer_new();
	va_list ap;
	int rc = -1;

	if (b) {
		va_start(ap, fmt);
		rc = evbuffer_add_vprintf(b, fmt, ap);
		va_end(ap);
	}
	if (rc < 0)
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
	else
		reply(req, code, reason, "application/json", b);
	if (b)
		evbuffer_free(b);
}

/* The query string's user= and format=; anything else is refused.
 * Returns 0, or 400 after answering. */
static int sessions_query(struct evhttp_request *req, struct evkeyvalq *kv,
			  const char **user, bool *text)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *q = uri ? evhttp_uri_get_query(uri) : NULL;
	const char *f;
	struct evkeyval *e;

	*user = NULL;
	*text = false;
	if (q && evhttp_parse_query_str(q, kv) < 0)
		goto bad;
	for (e = kv->tqh_first; e; e = e->next.tqe_next)
		if (strcmp(e->key, "user") != 0 &&
		    strcmp(e->key, "format") != 0)
			goto bad;
	*user = evhttp_find_header(kv, "user");
	f = evhttp_find_header(kv, "format");
	if ((*user && (!**user || strlen(*user) > TURN_SESSION_USER_MAX)) ||
	    (f && strcmp(f, "json") != 0 && strcmp(f, "text") != 0))
		goto bad;
	*text = f && strcmp(f, "text") == 0;
	return 0;
bad:
	reply_text(req, HTTP_BADREQUEST, "Bad Request",
		   "bad query: /sessions takes user=NAME (1-128 bytes) and "
		   "format=json|text");
	return HTTP_BADREQUEST;
}

static void sessions_list(struct mgmt *a, struct evhttp_request *req,
			  const char *user, bool text)
{
	struct turn_session *s = calloc(MGMT_SESSIONS_MAX, sizeof(*s));
	struct evbuffer *b = evbuffer_new();
	struct sessions_view v = { s, 0, 0, MGMT_SESSIONS_MAX, true };
	int rc = ENOMEM;

	if (s && b) {
		v.complete =
		    worker_pool_sessions(a->pool, user, s, MGMT_SESSIONS_MAX,
					 &v.listed, &v.total) != ETIMEDOUT;
		rc = text ? sessions_text(b, &v) : sessions_json(b, &v);
	}
	if (rc)
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
	else
		reply(req, HTTP_OK, "OK",
		      text ? "text/plain; charset=utf-8" : "application/json",
		      b);
	if (b)
		evbuffer_free(b);
	free(s);
}

static void sessions_kill(struct mgmt *a, struct evhttp_request *req,
			  uint64_t id, const char *user)
{
	size_t n = 0;
	int rc = worker_pool_kill(a->pool, id, user, &n);
	const char *c = rc == ETIMEDOUT ? "false" : "true";

	if (n)
		reply_json(req, HTTP_OK, "OK",
			   "{\"killed\": %zu, \"complete\": %s}\n", n, c);
	else
		reply_json(req, HTTP_NOTFOUND, "Not Found",
			   "{\"killed\": 0, \"complete\": %s, \"error\": "
			   "\"no such session\"}\n",
			   c);
}

static void not_allowed(struct evhttp_request *req, const char *allow)
{
	char t[80];

	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
			  allow);
	snprintf(t, sizeof(t), "method not allowed: %s", allow);
	reply_text(req, HTTP_BADMETHOD, "Method Not Allowed", t);
}

/* "/sessions/ID" or "/sessions/ID/kill": the id, 1-16 hex digits. */
static int session_id(const char *rest, uint64_t *id, bool *kill)
{
	size_t n = strspn(rest, "0123456789abcdefABCDEF");

	if (!n || n > 16 || (rest[n] && strcmp(rest + n, "/kill") != 0))
		return EINVAL;
	*kill = rest[n] != '\0';
	*id = strtoull(rest, NULL, 16);
	return 0;
}

/* GET /sessions[?user=NAME][&format=text], DELETE /sessions?user=NAME,
 * DELETE /sessions/ID, POST /sessions/ID/kill. */
static void page_sessions(struct mgmt *a, struct evhttp_request *req,
			  const char *rest)
{
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	struct evkeyvalq kv = { NULL, &kv.tqh_first };
	const char *user;
	uint64_t id;
	bool text, kill;

	if (*rest) {
		if (session_id(rest, &id, &kill))
			reply_text(req, HTTP_NOTFOUND, "Not Found",
				   "not found: /sessions/ID takes the 16 hex "
				   "digits of a session id");
		else if (m != (kill ? EVHTTP_REQ_POST : EVHTTP_REQ_DELETE))
			not_allowed(req, kill ? "POST" : "DELETE");
		else
			sessions_kill(a, req, id, NULL);
		return;
	}
	if (sessions_query(req, &kv, &user, &text))
		goto out;
	if (m == EVHTTP_REQ_GET || m == EVHTTP_REQ_HEAD)
		sessions_list(a, req, user, text);
	else if (m != EVHTTP_REQ_DELETE)
		not_allowed(req, "GET, HEAD, DELETE");
	else if (!user)
		reply_text(req, HTTP_BADREQUEST, "Bad Request",
			   "DELETE /sessions needs ?user=NAME (one session: "
			   "DELETE /sessions/ID)");
	else
		sessions_kill(a, req, 0, user);
out:
	evhttp_clear_headers(&kv);
}

/* ---- routing ----------------------------------------------------------------
 */

static void get_metrics(struct mgmt *a, struct evhttp_request *req,
			const char *rest)
{
	(void)rest;
	page_metrics(a, req);
}

static void get_healthz(struct mgmt *a, struct evhttp_request *req,
			const char *rest)
{
	(void)rest;
	page_healthz(a, req);
}

static void get_readyz(struct mgmt *a, struct evhttp_request *req,
		       const char *rest)
{
	(void)rest;
	page_readyz(a, req);
}

/* /healthz and /readyz stay open (a load balancer's probe holds no
 * secret, and they tell nothing about anyone); the rest asks for the
 * token when one is set. */
static const struct {
	const char *path;
	bool prefix; /* path, or path + "/" + more */
	bool token;
	bool get_only;
	void (*page)(struct mgmt *a, struct evhttp_request *req,
		     const char *rest);
} pages[] = {
	{ "/metrics", false, true, true, get_metrics },
	{ "/healthz", false, false, true, get_healthz },
	{ "/readyz", false, false, true, get_readyz },
	{ "/sessions", true, true, false, page_sessions },
};

/* What follows pages[i].path in path ("" or "ID..."), or NULL. */
static const char *page_match(size_t i, const char *path)
{
	size_t n = strlen(pages[i].path);

	if (strncmp(path, pages[i].path, n) != 0)
		return NULL;
	if (!path[n])
		return path + n;
	return pages[i].prefix && path[n] == '/' && path[n + 1] ? path + n + 1
								: NULL;
}

/* A request arrived whole: the next one on this connection has
 * MGMT_REQUEST_S from now. */
static void conn_served(struct mgmt *a, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev =
	    evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
	unsigned i;

	for (i = 0; bev && i < MGMT_MAX_CONNS; i++)
		if (a->conn[i].bev == bev)
			a->conn[i].due_ms =
			    clock_mono_ms() + MGMT_REQUEST_S * 1000u;
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct mgmt *a = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	const char *rest = NULL;
	size_t i;

	conn_served(a, req);
	for (i = 0; path && i < sizeof(pages) / sizeof(pages[0]); i++)
		if ((rest = page_match(i, path)))
			break;
	if (!rest) {
		reply_text(req, HTTP_NOTFOUND, "Not Found",
			   "not found: try /metrics, /healthz, /readyz or "
			   "/sessions");
		return;
	}
	if (pages[i].token && !authorized(a, req)) {
		reply_401(req);
		return;
	}
	if (pages[i].get_only && m != EVHTTP_REQ_GET && m != EVHTTP_REQ_HEAD) {
		not_allowed(req, "GET, HEAD");
		return;
	}
	pages[i].page(a, req, rest);
}

/* ---- start and stop ----------------------------------------------------- */

/* Unix time the process started: /proc/self/stat's start time (clock
 * ticks after boot) plus /proc/stat's btime; now if either is missing. */
static uint64_t process_start_s(void)
{
	unsigned long long ticks = 0, btime = 0;
	long hz = sysconf(_SC_CLK_TCK);
	char buf[1024], *p;
	FILE *f = fopen("/proc/self/stat", "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = '\0';
	/* the command name may hold spaces: count fields after its ')' */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2,
			 "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
			 "%*u %*u %*d %*d %*d %*d %*d %*d %llu",
			 &ticks) != 1)
		return clock_wall_s();
	f = fopen("/proc/stat", "r");
	while (f && fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "btime %llu", &btime) == 1)
			break;
	if (f)
		fclose(f);
	if (!btime || hz <= 0)
		return clock_wall_s();
	return btime + ticks / (unsigned long long)hz;
}

/* A non-blocking listening TCP socket on addr. Returns 0 or an errno. */
static int mgmt_listen(const struct sa *addr, int *fdp)
{
	int one = 1, rc;
	int fd = socket(sa_family(addr),
			SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return errno;
	/* a restart must not wait for the old connections' TIME_WAIT */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sa_family(addr) == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, &addr->u.sa, addr->len) < 0 ||
	    listen(fd, MGMT_BACKLOG) < 0) {
		rc = errno;
		close(fd);
		return rc;
	}
	*fdp = fd;
	return 0;
}

static int mgmt_http(struct mgmt *a, int fd)
{
	struct evhttp_bound_socket *bs;

	a->http = evhttp_new(a->base);
	a->reap_ev = event_new(a->base, -1, EV_PERSIST, reap_cb, a);
	a->check_ev = event_new(a->base, -1, 0, reap_cb, a);
	if (!a->http || !a->reap_ev || !a->check_ev)
		return ENOMEM;
	evhttp_set_max_headers_size(a->http, MGMT_MAX_HEADERS);
	evhttp_set_max_body_size(a->http, MGMT_MAX_BODY);
	evhttp_set_timeout(a->http, MGMT_IDLE_S);
	/* every method reaches on_request, which answers 405 itself (evhttp
	 * would answer 501 for one it was not told about) */
	evhttp_set_allowed_methods(
	    a->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
			 EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
			 EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
			 EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_gencb(a->http, on_request, a);
	evhttp_set_bevcb(a->http, on_accept, a);
	bs = evhttp_accept_socket_with_handle(a->http, fd);
	if (!bs)
		return ENOMEM;
	a->lis = evhttp_bound_socket_get_listener(bs);
	return 0;
}

int mgmt_start(struct mgmt **ap, struct event_base *base,
	       const struct ternd_config *cfg, struct worker_pool *pool,
	       char *err, size_t errlen)
{
	char as[SA_STRLEN];
	struct mgmt *a;
	int fd = -1, rc;

	*ap = NULL;
	if (!cfg->admin_port)
		return 0;
	sa_print(&cfg->admin_addr, as, sizeof(as));
	a = calloc(1, sizeof(*a));
	if (!a) {
		snprintf(err, errlen, "admin HTTP %s: out of memory", as);
		return ENOMEM;
	}
	a->base = base;
	a->cfg = cfg;
	a->pool = pool;
	a->addr = cfg->admin_addr;
	a->start_time_s = process_start_s();
	log_limit_init(&a->ll_conn, 10000, 5);
	rc = mgmt_listen(&a->addr, &fd);
	if (rc) {
		snprintf(err, errlen, "cannot bind admin HTTP %s: %s", as,
			 strerror(rc));
		goto out;
	}
	rc = mgmt_http(a, fd);
	if (rc) {
		if (!a->lis)
			close(fd); /* evhttp did not take it */
		snprintf(err, errlen, "admin HTTP %s: %s", as, strerror(rc));
		goto out;
	}
	log_info("admin HTTP listening on %s (/metrics, /healthz, /readyz, "
		 "/sessions; token %s)",
		 as, cfg->admin_token ? "required" : "not set");
	*ap = a;
	return 0;
out:
	mgmt_free(a);
	return rc;
}

void mgmt_set_cfg(struct mgmt *a, const struct ternd_config *cfg)
{
	/* The socket stays as it is: a reload keeps admin.address and
	 * admin.port from the running configuration (reload.c says so); the
	 * token is read from cfg on every request. */
	if (a && cfg)
		a->cfg = cfg;
}

void mgmt_free(struct mgmt *a)
{
	unsigned i;

	if (!a)
		return;
	/* evhttp_free frees every connection (bufferevent_free), and the
	 * listener, which closes the socket; only then do our references go */
	if (a->http)
		evhttp_free(a->http);
	for (i = 0; i < MGMT_MAX_CONNS; i++)
		if (a->conn[i].bev)
			bufferevent_decref(a->conn[i].bev);
	if (a->reap_ev)
		event_free(a->reap_ev);
	if (a->check_ev)
		event_free(a->check_ev);
	free(a);
}
