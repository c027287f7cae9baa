/*
 * listen.c — a worker's listener sockets; see worker_priv.h.
 *
 * Every listening socket is a `struct wsock`: the net object, the
 * transport, and the `struct turn_local` the server is told packets
 * arrived on (for UDP with RFC 5780, the four siblings of a listen entry).
 * Their packets go to seam.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/log.h"
#include "net/dtls.h"
#include "net/stream.h"
#include "net/udp.h"
#include "relay/bindhint.h"
#include "relay/worker_priv.h"

/* addr/alt x port/alt_port in turn_local order: bit 0 = alternate port,
 * bit 1 = alternate address. Returns how many are set (1 or 4). */
static unsigned local_addrs(struct sa out[4], const struct cfg_listen *le,
			    uint16_t port, uint16_t alt_port)
{
	unsigned i;

	for (i = 0; i < 4; i++)
		sa_init(&out[i]);
	out[0] = le->addr;
	sa_set_port(&out[0], port);
	if (!sa_is_set(&le->alt) || !alt_port)
		return 1;
	out[1] = le->addr;
	sa_set_port(&out[1], alt_port);
	out[2] = le->alt;
	sa_set_port(&out[2], port);
	out[3] = le->alt;
	sa_set_port(&out[3], alt_port);
	return 4;
}

static struct wsock *wsock_new(struct worker *w, enum turn_transport tp,
			       const struct sa addrs[4], unsigned n,
			       unsigned self)
{
	struct wsock *ws = calloc(1, sizeof(*ws));
	unsigned i;

	if (!ws)
		return NULL;
	ws->w = w;
	ws->tp = tp;
	for (i = 0; i < n; i++)
		ws->local.addr[i] = addrs[i];
	ws->local.self = self;
	ws->local.has_alt = n == 4;
	ws->wildcard = net_sa_is_wildcard(&addrs[self]);
	ws->next = w->socks;
	w->socks = ws;
	return ws;
}

static void wsock_free(struct wsock *ws)
{
	net_dtls_sock_free(ws->dtls);
	net_stream_listener_free(ws->stream);
	net_udp_sock_free(ws->udp);
	free(ws);
}

static const char *tp_name(enum turn_transport tp)
{
	static const char *const names[] = { "UDP", "TCP", "TLS", "DTLS" };

	return (unsigned)tp < 4 ? names[tp] : "?";
}

/* "cannot bind UDP 192.0.2.1:3478 (listen[0] at FILE:LINE, ports.udp):
 * Address already in use; process 812 (nginx) holds that port ..." */
static int bind_fail(int rc, enum turn_transport tp, const struct sa *a,
		     const struct worker *w, const struct cfg_listen *le,
		     const char *opt, char *err, size_t errlen)
{
	const struct ternd_config *cfg = w->cfg;
	char as[SA_STRLEN], where[300], hint[256];
	size_t i = (size_t)(le - cfg->listen);

	if (le->line)
		snprintf(where, sizeof(where), "listen[%zu] at %s:%u, %s", i,
			 cfg->path, le->line, opt);
	else
		snprintf(where, sizeof(where),
			 "the default listen addresses, %s", opt);
	bind_hint(hint, sizeof(hint), rc,
		  tp == TURN_TP_TCP || tp == TURN_TP_TLS ? SOCK_STREAM
							 : SOCK_DGRAM,
		  a);
	snprintf(err, errlen, "cannot bind %s %s (%s): %s%s", tp_name(tp),
		 sa_print(a, as, sizeof(as)), where, strerror(rc), hint);
	return rc;
}

static void bound(const struct worker *w, const char *tp, const struct sa *a)
{
	char as[SA_STRLEN];

	if (w->id == 0)
		log_info("listening on %s %s", tp, sa_print(a, as, sizeof(as)));
}

/*
 * Worker 0 attaches the client-address steering program (net/steer.h) to
 * each reuseport group it creates, so that all of a client's sockets reach
 * one worker: a RESERVATION-TOKEN (RFC 8656 §7.2) names a port that worker
 * holds, and a user's allocations are counted where it lands. The program
 * only has to be attached once per group; later members inherit it.
 * Without it (a kernel before 4.5) the kernel's 4-tuple hash still
 * spreads the load, but a reservation then works only when both sockets
 * happen to land on the same worker.
 */
static void steer(struct worker *w, int rc, const char *tp, const struct sa *a)
{
	char as[SA_STRLEN];

	if (!rc || w->pool->steer_warned)
		return;
	w->pool->steer_warned = true;
	log_warn("cannot steer %s %s by client address (%s): a client's "
		 "sockets may land on different workers, so EVEN-PORT "
		 "reservations work only within one worker",
		 tp, sa_print(a, as, sizeof(as)), strerror(rc));
}

/* Steer only a group that has more than one socket, from its first. */
static bool steers(const struct worker *w)
{
	return w->id == 0 && w->cfg->workers > 1;
}

/* The UDP socket of a listen entry, or its four RFC 5780 siblings. */
static int bind_udp(struct worker *w, const struct cfg_listen *le, char *err,
		    size_t errlen)
{
	const struct ternd_config *cfg = w->cfg;
	struct wsock *g[4] = { NULL };
	struct sa addrs[4];
	unsigned n, i;
	int rc;

	n = local_addrs(addrs, le, cfg->udp_port, cfg->alt_port);
	for (i = 0; i < n; i++) {
		g[i] = wsock_new(w, TURN_TP_UDP, addrs, n, i);
		if (!g[i])
			return ENOMEM;
		rc = net_udp_sock_alloc(&g[i]->udp, w->uio, &addrs[i],
					w->id == 0, worker_input, g[i]);
		if (rc)
			return bind_fail(rc, TURN_TP_UDP, &addrs[i], w, le,
					 i & 1 ? "ports.alternate"
					       : "ports.udp",
					 err, errlen);
		if (steers(w))
			steer(w, net_udp_sock_steer(g[i]->udp, cfg->workers),
			      "UDP", &addrs[i]);
		bound(w, "UDP", &addrs[i]);
	}
	for (i = 0; i < n; i++)
		memcpy(g[i]->sib, g, sizeof(g));
	return 0;
}

/* A TCP or TLS listener. With an RFC 5780 alternate the server is told
 * all four addresses, so OTHER-ADDRESS can be reported (§6: the client
 * learns the alternate over TCP, tests over UDP). */
static int bind_stream(struct worker *w, const struct cfg_listen *le,
		       enum turn_transport tp, uint16_t port, char *err,
		       size_t errlen)
{
	const struct ternd_config *cfg = w->cfg;
	SSL_CTX *tls = tp == TURN_TP_TLS ? w->pool->tls : NULL;
	const char *name = tp == TURN_TP_TLS ? "TLS" : "TCP";
	struct wsock *ws;
	struct sa addrs[4];
	unsigned n;
	int rc;

	n = local_addrs(addrs, le, port, cfg->alt_port);
	ws = wsock_new(w, tp, addrs, n, 0);
	if (!ws)
		return ENOMEM;
	rc = net_stream_listener_alloc(&ws->stream, &w->env, &addrs[0], tls,
				       w->id == 0, worker_input, worker_closed,
				       ws);
	if (rc)
		return bind_fail(rc, tp, &addrs[0], w, le,
				 tp == TURN_TP_TLS ? "ports.tls" : "ports.tcp",
				 err, errlen);
	if (steers(w))
		steer(w, net_stream_listener_steer(ws->stream, cfg->workers),
		      name, &addrs[0]);
	bound(w, name, &addrs[0]);
	return 0;
}

static int bind_dtls(struct worker *w, const struct cfg_listen *le, char *err,
		     size_t errlen)
{
	struct wsock *ws;
	struct sa addrs[4];
	int rc;

	local_addrs(addrs, le, w->cfg->dtls_port, 0);
	ws = wsock_new(w, TURN_TP_DTLS, addrs, 1, 0);
	if (!ws)
		return ENOMEM;
	rc = net_dtls_sock_alloc(&ws->dtls, w->dw, w->uio, &addrs[0],
				 w->id == 0, worker_input, worker_closed, ws);
	if (rc)
		return bind_fail(rc, TURN_TP_DTLS, &addrs[0], w, le,
				 "ports.dtls", err, errlen);
	if (steers(w))
		steer(w, net_dtls_sock_steer(ws->dtls, w->cfg->workers), "DTLS",
		      &addrs[0]);
	bound(w, "DTLS", &addrs[0]);
	return 0;
}

/*
 * Bind this worker's sockets. INVARIANT (net/steer.h): the steering
 * program's index selects a reuseport group's sockets in the order they
 * joined it, and worker i must own index i. worker_pool_start initialises
 * the workers one after the other, 0..n-1, in the main thread, and each
 * binds its whole set here before the next starts, so every group's
 * sockets are bound in worker order; none is closed before the pool
 * stops. Keep it so: no parallel worker start-up, no per-worker rebinding.
 */
int worker_bind(struct worker *w, char *err, size_t errlen)
{
	const struct ternd_config *cfg = w->cfg;
	size_t i;
	int rc = 0;

	for (i = 0; i < cfg->nlisten && !rc; i++) {
		const struct cfg_listen *le = &cfg->listen[i];

		if (cfg->udp_port)
			rc = bind_udp(w, le, err, errlen);
		if (!rc && cfg->tcp_port)
			rc = bind_stream(w, le, TURN_TP_TCP, cfg->tcp_port, err,
					 errlen);
		if (!rc && cfg->tls_port)
			rc = bind_stream(w, le, TURN_TP_TLS, cfg->tls_port, err,
					 errlen);
		if (!rc && cfg->dtls_port)
			rc = bind_dtls(w, le, err, errlen);
	}
	if (rc == ENOMEM)
		snprintf(err, errlen, "out of memory binding sockets");
	return rc;
}

void worker_unbind(struct worker *w)
{
	struct wsock *ws;

	w->last_ws = NULL; /* seam.c's cache points into the list */
	while ((ws = w->socks)) {
		w->socks = ws->next;
		wsock_free(ws);
	}
}

/* Switch the listeners to a reload's TLS and DTLS contexts. */
void worker_ssl(struct worker *w, SSL_CTX *tls, SSL_CTX *dtls)
{
	struct wsock *ws;

	for (ws = w->socks; ws && tls; ws = ws->next)
		if (ws->tp == TURN_TP_TLS)
			net_stream_listener_set_tls(ws->stream, tls);
	if (dtls && w->dw)
		net_dtls_worker_set_ctx(w->dw, dtls);
}
