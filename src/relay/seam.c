/*
 * seam.c — the per-packet seam between src/net and the worker's
 * turn_server; see worker_priv.h.
 *
 * Up: a listener's packet (worker_input) or a relay's datagram
 * (w_relay_input) goes to the server with its route (turn_in.sock, the
 * receiving struct wsock; turn_in.local) and whether its buffer lives
 * until the flush (TURN_BUF_KEPT). Down: the server answers through
 * turn_out.send, which gets that route back, so nothing about the packet
 * being handled is kept here: a stream or DTLS reply goes to its
 * connection, a UDP reply to the socket `via` names among the receiving
 * socket's RFC 5780 siblings. Relayed data goes through turn_relay_out,
 * by reference when the server passes TURN_BUF_KEPT on.
 */
#include <errno.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "net/relay.h"
#include "net/udp.h"
#include "relay/worker_priv.h"
#include "stun/stun.h"

/* ---- the seam: packets up, replies down --------------------------------- */

/* A wildcard socket's template names 0.0.0.0 / ::; the server must see the
 * address the client actually used (RESPONSE-ORIGIN, OTHER-ADDRESS, an
 * allocation's 5-tuple), and a reply must leave from it. Patch it into
 * every entry of the same address, keeping each entry's port. */
static void local_patch(struct turn_local *out, const struct turn_local *tmpl,
			const struct sa *dst)
{
	unsigned i;
	uint16_t port;

	*out = *tmpl;
	for (i = 0; i < 4; i++) {
		if (((i ^ tmpl->self) & TURN_LOCAL_ALT_ADDR) ||
		    sa_family(&out->addr[i]) != sa_family(dst))
			continue;
		port = sa_port(&out->addr[i]);
		out->addr[i] = *dst;
		sa_set_port(&out->addr[i], port);
	}
}

int worker_input(void *arg, const struct net_pkt *pkt)
{
	struct wsock *ws = arg;
	struct worker *w = ws->w;
	struct turn_local patched;
	struct turn_in in;
	enum turn_verdict v;
	char a[SA_STRLEN];

	in.local = &ws->local;
	if (ws->wildcard) {
		local_patch(&patched, &ws->local, pkt->local);
		in.local = &patched;
	}
	in.buf = pkt->buf;
	in.len = pkt->len;
	in.from = *pkt->from;
	in.tp = ws->tp;
	in.conn = pkt->conn;
	in.sock = ws;
	/* a plain UDP datagram lives in udp.c's receive slot until the
	 * worker's flush: relay_send may queue it by reference */
	in.flags = !pkt->conn && ws->tp == TURN_TP_UDP ? TURN_BUF_KEPT : 0;
	v = turn_server_input(w->srv, &in, pkt->now_ms);
	if (v != TURN_DROP_MALFORMED)
		return 0;
	log_limited(&w->ll_input, pkt->now_ms, LOG_LVL_INFO,
		    "malformed %s message (%zu bytes) from %s",
		    turn_transport_name(ws->tp), pkt->len,
		    sa_print(pkt->from, a, sizeof(a)));
	/* a stream or DTLS client that sends garbage is disconnected */
	return pkt->conn ? EBADMSG : 0;
}

/* A stream connection or DTLS session is gone: the server forgets it
 * (and frees the allocations that lived on it, RFC 8656 §3.1). */
void worker_closed(void *arg, struct net_conn *c)
{
	struct wsock *ws = arg;

	turn_server_conn_closed(ws->w->srv, c);
}

/*
 * Mark a stream or DTLS session authenticated when the server answers it a
 * success to a request other than Binding that carries MESSAGE-INTEGRITY
 * (-SHA256): only a request that authenticated earns one (an Allocate,
 * Refresh, ...). From then on the allocate deadline no longer applies
 * (net_timeouts.alloc_ms); Bindings, which need no credentials, never
 * extend it. Looked at here, on the way out, so answers deferred by a
 * credential lookup count too.
 */
static void conn_note_reply(struct net_conn *c, const uint8_t *buf, size_t len)
{
	struct stun_msg m;
	uint16_t type;

	if (c->authed || len < STUN_HEADER_SIZE || (buf[0] & 0xc0))
		return;
	type = (uint16_t)(buf[0] << 8 | buf[1]);
	if (stun_type_class(type) != STUN_CLASS_SUCCESS ||
	    stun_type_method(type) == STUN_METHOD_BINDING)
		return;
	if (stun_msg_decode(&m, buf, len, 0) == 0 &&
	    (m.mi >= 0 || m.mi256 >= 0))
		c->authed = true;
}

/* turn_out.send. Streams and DTLS sessions take the bytes directly; a UDP
 * reply leaves from the sibling `via` names of the socket the packet came
 * in on (in->sock, set by worker_input), from the address the packet's
 * turn_local gives it (a wildcard socket's patched address). */
static void w_send(void *arg, const struct turn_in *in, unsigned via,
		   const struct sa *to, const uint8_t *buf, size_t len)
{
	struct worker *w = arg;
	const struct wsock *ws = in->sock, *out;
	const struct sa *src;

	if (in->conn) {
		conn_note_reply(in->conn, buf, len);
		net_conn_send(in->conn, buf, len);
		return;
	}
	if (!ws || via > 3 || !(out = ws->sib[via]) || !to) {
		w->ns.udp_tx_fail++;
		return;
	}
	src = out->wildcard ? &in->local->addr[via] : NULL;
	net_udp_send(out->udp, to, src, buf, len);
}

void worker_out_init(struct worker *w)
{
	w->out.send = w_send;
	w->out.arg = w;
}

/* ---- relays: turn_relay_out --------------------------------------------- */

/* The UDP listener a client's 5-tuple names as its local side: the socket
 * bound to `local`, or a wildcard socket of its family and port. */
static struct wsock *udp_sock_for(struct worker *w, const struct sa *local)
{
	struct wsock *ws, *wild = NULL;
	const struct sa *a;

	if (w->last_ws && sa_equal(&w->last_local, local))
		return w->last_ws;
	for (ws = w->socks; ws; ws = ws->next) {
		a = &ws->local.addr[ws->local.self];
		if (ws->tp != TURN_TP_UDP || sa_port(a) != sa_port(local) ||
		    sa_family(a) != sa_family(local))
			continue;
		if (sa_equal_addr(a, local))
			break;
		if (ws->wildcard)
			wild = ws;
	}
	ws = ws ? ws : wild;
	if (ws) {
		w->last_local = *local;
		w->last_ws = ws;
	}
	return ws;
}

/* turn_relay_out.send_client: peer data and deferred answers. */
static void w_send_client(void *arg, void *conn, const struct sa *local,
			  const struct sa *to, const uint8_t *buf, size_t len,
			  unsigned flags)
{
	struct worker *w = arg;
	struct wsock *ws;
	const struct sa *src;

	if (conn) {
		conn_note_reply(conn, buf, len);
		net_conn_send(conn, buf, len);
		return;
	}
	ws = to ? udp_sock_for(w, local) : NULL;
	if (!ws) {
		w->ns.udp_tx_fail++;
		return;
	}
	src = ws->wildcard ? local : NULL;
	/* framed in place in the relay's receive slot, which lives until
	 * the flush: no copy */
	if (flags & TURN_BUF_KEPT)
		net_udp_send_ref(ws->udp, to, src, buf, len);
	else
		net_udp_send(ws->udp, to, src, buf, len);
}

static unsigned relay_flags(unsigned turn_flags)
{
	unsigned f = 0;

	if (turn_flags & TURN_RELAY_EVEN_PORT)
		f |= NET_RELAY_EVEN_PORT;
	if (turn_flags & TURN_RELAY_EXACT)
		f |= NET_RELAY_EXACT;
	if (turn_flags & TURN_RELAY_DONT_FRAGMENT)
		f |= NET_RELAY_DONT_FRAGMENT;
	return f;
}

static int w_relay_open(void *arg, int family, unsigned flags, void *ctx,
			void **handle, struct sa *bound)
{
	struct worker *w = arg;
	struct net_relay *r;
	int rc;

	rc = net_relay_open(w->rs, family, relay_flags(flags), ctx, &r, bound);
	if (!rc) {
		*handle = r;
		return 0;
	}
	/* EAFNOSUPPORT (no relay address of that family) is the client's
	 * choice, and EXACT misses are retried by the server */
	if (rc != EAFNOSUPPORT && !(flags & TURN_RELAY_EXACT))
		log_limited(&w->ll_relay, clock_mono_ms(), LOG_LVL_WARN,
			    "cannot open a relay (%zu open on this worker): "
			    "%s%s",
			    net_relay_set_count(w->rs), strerror(rc),
			    rc == EADDRINUSE ? "; widen relay.port_min/"
					       "port_max or add relay."
					       "addresses"
					     : "");
	return rc;
}

static void w_relay_close(void *arg, void *handle)
{
	(void)arg;
	net_relay_close(handle);
}

static void w_relay_send(void *arg, void *handle, const struct sa *peer,
			 const uint8_t *buf, size_t len, unsigned flags)
{
	(void)arg;
	net_relay_send(handle, peer, buf, len, !(flags & TURN_BUF_KEPT));
}

/* A datagram from a peer on a relay: framed in place, sent to the client.
 * It lies in the relay set's receive slot, which lives until the flush. */
static void w_relay_input(void *arg, void *ctx, const struct sa *peer,
			  uint8_t *buf, size_t len, uint64_t now_ms)
{
	struct worker *w = arg;

	turn_server_relay_input(w->srv, ctx, peer, buf, len, TURN_BUF_KEPT,
				now_ms);
}

/* The relay side of a TURN server: relay sockets on this worker's loop. */
int worker_relays(struct worker *w)
{
	const struct ternd_config *cfg = w->cfg;
	struct net_relay_cfg rc = {
		.addrs = cfg->relay_addrs,
		.naddrs = cfg->nrelay_addrs,
		.port_min = cfg->relay_port_min,
		.port_max = cfg->relay_port_max,
		.headroom = TURN_HEADROOM,
		.tailroom = TURN_TAILROOM,
	};
	int err;

	if (!cfg->turn)
		return 0;
	err = net_relay_set_alloc(&w->rs, w->uio, &rc, w_relay_input, w);
	if (err)
		return err;
	w->rout.send_client = w_send_client;
	w->rout.relay_open = w_relay_open;
	w->rout.relay_close = w_relay_close;
	w->rout.relay_send = w_relay_send;
	w->rout.arg = w;
	return turn_server_set_relay_out(w->srv, &w->rout);
}
