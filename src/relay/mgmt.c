/*
 * mgmt.c — the management HTTP listener; see mgmt.h. What the pages say is in
 * metrics.c; this file is the HTTP and the limits that keep a slow or
 * greedy client from holding the main thread's loop or its descriptors:
 *
 *   - at most MGMT_MAX_CONNS connections: at the cap the listener pauses
 *     and further clients wait in the kernel's accept queue;
 *   - a connection idle for MGMT_IDLE_S is closed (evhttp's timeout), and
 *     one open for MGMT_MAX_AGE_S is shut down, however it trickles;
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/sa.h"
#include "relay/metrics.h"

enum {
	MGMT_MAX_CONNS = 16,
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
};

struct mgmt {
	struct event_base *base;
	const struct ternd_config *cfg;
	struct worker_pool *pool;
	struct evhttp *http;
	struct evconnlistener *lis; /* evhttp's, paused at the cap */
	struct event *reap_ev;
	struct mgmt_conn conn[MGMT_MAX_CONNS];
	unsigned nconn;
	struct sa addr; /* where it listens */
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

static void reap(struct mgmt *a)
{
	uint64_t now = clock_mono_ms();
	unsigned i;

	for (i = 0; i < MGMT_MAX_CONNS; i++) {
		struct mgmt_conn *c = &a->conn[i];

		if (!c->bev)
			continue;
		if (conn_released(c->bev)) {
			bufferevent_decref(c->bev); /* closes the socket */
			c->bev = NULL;
			a->nconn--;
		} else if (now - c->since_ms > MGMT_MAX_AGE_S * 1000u) {
			/* evhttp sees end of file and frees it: reaped on
			 * the next pass */
			evutil_socket_t fd = bufferevent_getfd(c->bev);

			if (fd >= 0)
				shutdown(fd, SHUT_RDWR);
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
	reap(arg);
}

/* evhttp accepted a connection and asks for its bufferevent. */
static struct bufferevent *on_accept(struct event_base *base, void *arg)
{
	static const struct timeval second = { 1, 0 };
	struct mgmt *a = arg;
	struct bufferevent *bev;
	unsigned i;

	reap(a);
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
	if (++a->nconn == MGMT_MAX_CONNS)
		evconnlistener_disable(a->lis);
	if (!event_pending(a->reap_ev, EV_TIMEOUT, NULL))
		event_add(a->reap_ev, &second);
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

static const struct {
	const char *path;
	void (*page)(struct mgmt *a, struct evhttp_request *req);
} pages[] = {
	{ "/metrics", page_metrics },
	{ "/healthz", page_healthz },
	{ "/readyz", page_readyz },
};

static void on_request(struct evhttp_request *req, void *arg)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	size_t i;

	for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++)
		if (path && strcmp(path, pages[i].path) == 0)
			break;
	if (i == sizeof(pages) / sizeof(pages[0])) {
		reply_text(req, HTTP_NOTFOUND, "Not Found",
			   "not found: try /metrics, /healthz or /readyz");
		return;
	}
	if (m != EVHTTP_REQ_GET && m != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
				  "Allow", "GET, HEAD");
		reply_text(req, HTTP_BADMETHOD, "Method Not Allowed",
			   "method not allowed: GET or HEAD");
		return;
	}
	pages[i].page(arg, req);
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
	if (!a->http || !a->reap_ev)
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
	log_info("admin HTTP listening on %s (/metrics, /healthz, /readyz)",
		 as);
	*ap = a;
	return 0;
out:
	mgmt_free(a);
	return rc;
}

void mgmt_set_cfg(struct mgmt *a, const struct ternd_config *cfg)
{
	/* The socket stays as it is: a reload keeps admin.address and
	 * admin.port from the running configuration (reload.c says so), and
	 * nothing else here reads the configuration. */
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
	free(a);
}
