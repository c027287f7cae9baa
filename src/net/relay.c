/*
 * relay.c — TURN relay sockets; see relay.h.
 *
 * The hot path: one recvmmsg fills up to RELAY_BATCH slots of the worker's
 * relay receive area, each datagram goes up with its slot's headroom, and
 * whatever the layer above queues (by reference into the slot) joins the
 * worker's UDP send queue (udp.c), which leaves in one sendmmsg per socket
 * after every ready socket has been read: the replies of several relays
 * to their clients go out in one call on the listener. No heap allocation and
 * no lock per packet: the socket, its event and its queue header are allocated
 * once per relay.
 */
#include "net/relay.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/rand.h"

/* Datagrams per recvmmsg on a relay. One allocation's peer traffic rarely
 * queues more between two wakeups, and each slot is NET_RELAY_PAYLOAD
 * bytes. */
#define RELAY_BATCH 32
/* Batches per wakeup before yielding to the other sockets. */
#define RELAY_ROUNDS 4
/* Receive slots: queued sends reference them until the flush, so the
 * batches of several relays (or rounds) read before it need their own. */
#define RELAY_SLOTS (2 * RELAY_BATCH)
/* Random ports tried per address before moving to the next address: with
 * 90% of a range taken, 32 tries all fail 3% of the time. */
#define RELAY_BIND_TRIES 32
/* Kernel buffers per relay: one media flow's burst, not a listener's. */
#define RELAY_SOCKBUF (256 * 1024)

struct relay_addr {
	struct sa addr;
	size_t nopen; /* relays of this worker on it */
};

struct net_relay_set {
	struct net_udp_io *io;
	struct net_env *env;
	struct relay_addr *addrs;
	size_t naddrs;
	uint16_t port_min, port_max;
	size_t headroom, slot; /* slot = headroom + payload + tailroom */
	size_t nopen;
	/* receive area shared by every relay of the worker */
	uint8_t *rx_buf;      /* RELAY_SLOTS * slot */
	struct net_udp_rx rx; /* over rx_msg; next: the first slot the send
				 queue does not use */
	struct mmsghdr rx_msg[RELAY_SLOTS];
	struct iovec rx_iov[RELAY_SLOTS];
	struct sockaddr_storage rx_name[RELAY_SLOTS];
	net_relay_input_fn fn;
	void *arg;
};

struct net_relay {
	struct net_relay_set *rs;
	struct relay_addr *ra;
	struct net_udp_tx tx; /* fd, bound address, send queue */
	struct event *ev;
	void *ctx;
	bool in_cb; /* its datagrams are being handed up */
	bool dead;  /* closed meanwhile: freed when the callback ends */
};

/* ---- opening ------------------------------------------------------------ */

/* A non-blocking socket of family with the relay's options; not bound. */
static int relay_socket(int family, unsigned flags, int *fdp)
{
	int fd, one = 1, buf = RELAY_SOCKBUF, rc = 0;

	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	if (family == AF_INET6) {
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
			       sizeof(one)) < 0 ||
		    ((flags & NET_RELAY_DONT_FRAGMENT) &&
		     setsockopt(fd, IPPROTO_IPV6, IPV6_DONTFRAG, &one,
				sizeof(one)) < 0))
			rc = errno;
	} else {
		/* RFC 8656 §14.1: DF only when the client asked for it (the
		 * Linux default, PMTUDISC_WANT, would set it always) */
		int pmtu = (flags & NET_RELAY_DONT_FRAGMENT) ? IP_PMTUDISC_DO
							     : IP_PMTUDISC_DONT;

		if (setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu,
			       sizeof(pmtu)) < 0)
			rc = errno;
	}
	if (rc) {
		close(fd);
		return rc;
	}
	*fdp = fd;
	return 0;
}

/* A random port of the range (even, with port + 1 in range, for
 * EVEN-PORT), from the CSPRNG: relay ports must not be guessable. */
static int pick_port(const struct net_relay_set *rs, unsigned flags,
		     uint16_t *port)
{
	uint32_t r, lo = rs->port_min, hi = rs->port_max, n;

	if (rand_bytes(&r, sizeof(r)))
		return EIO;
	if (!(flags & NET_RELAY_EVEN_PORT)) {
		*port = (uint16_t)(lo + r % (hi - lo + 1));
		return 0;
	}
	lo = (lo + 1) & ~1u; /* first even port */
	if (hi < lo + 1)
		return EADDRINUSE;
	n = (hi - 1 - lo) / 2 + 1;
	*port = (uint16_t)(lo + 2 * (r % n));
	return 0;
}

/* Bind fd to ra's address and random ports until one is free. */
static int bind_random(struct net_relay_set *rs, struct relay_addr *ra,
		       unsigned flags, int fd, struct sa *bound)
{
	struct sa a = ra->addr;
	uint16_t port;
	int i, rc;

	for (i = 0; i < RELAY_BIND_TRIES; i++) {
		if ((rc = pick_port(rs, flags, &port)))
			return rc;
		sa_set_port(&a, port);
		if (bind(fd, &a.u.sa, a.len) == 0) {
			*bound = a;
			return 0;
		}
		if (errno != EADDRINUSE && errno != EACCES)
			return errno;
	}
	return EADDRINUSE;
}

/* The address of family holding the fewest relays: spreads allocations
 * over every relay address, so one process is not capped by one
 * address's port range. rs->naddrs when there is none. */
static size_t least_used(const struct net_relay_set *rs, int family)
{
	size_t i, best = rs->naddrs;

	for (i = 0; i < rs->naddrs; i++) {
		if (sa_family(&rs->addrs[i].addr) != family)
			continue;
		if (best == rs->naddrs ||
		    rs->addrs[i].nopen < rs->addrs[best].nopen)
			best = i;
	}
	return best;
}

/* Least used address first, then the others in turn. */
static int bind_any(struct net_relay_set *rs, int family, unsigned flags,
		    int fd, struct relay_addr **rap, struct sa *bound)
{
	size_t first = least_used(rs, family), k, i;
	int rc = EAFNOSUPPORT;

	if (first == rs->naddrs)
		return EAFNOSUPPORT;
	for (k = 0; k < rs->naddrs; k++) {
		i = (first + k) % rs->naddrs;
		if (sa_family(&rs->addrs[i].addr) != family)
			continue;
		rc = bind_random(rs, &rs->addrs[i], flags, fd, bound);
		if (rc != EADDRINUSE)
			break;
	}
	if (!rc)
		*rap = &rs->addrs[i];
	return rc;
}

/* EXACT: the port kept for a RESERVATION-TOKEN, on an address of ours. */
static int bind_exact(struct net_relay_set *rs, int fd, const struct sa *want,
		      struct relay_addr **rap)
{
	size_t i;

	for (i = 0; i < rs->naddrs; i++) {
		if (!sa_equal_addr(&rs->addrs[i].addr, want))
			continue;
		if (bind(fd, &want->u.sa, want->len) < 0)
			return errno;
		*rap = &rs->addrs[i];
		return 0;
	}
	return EADDRNOTAVAIL;
}

/* ---- receiving ---------------------------------------------------------- */

static void relay_free(struct net_relay *r)
{
	net_udp_tx_done(r->rs->io, &r->tx);
	if (r->ev)
		event_free(r->ev);
	if (r->tx.fd >= 0)
		close(r->tx.fd);
	r->ra->nopen--;
	r->rs->nopen--;
	r->rs->env->stats->relay_closed++;
	free(r);
}

static bool rx_batch(void *arg, unsigned first, unsigned n)
{
	struct net_relay *r = arg;
	struct net_relay_set *rs = r->rs;
	struct net_stats *st = rs->env->stats;
	uint64_t now = clock_mono_ms();
	struct sa peer;
	unsigned i;

	st->relay_rx += n;
	for (i = first; i < first + n && !r->dead; i++) {
		struct msghdr *h = &rs->rx_msg[i].msg_hdr;

		if (h->msg_flags & MSG_TRUNC) {
			st->relay_rx_oversized++;
			continue;
		}
		if (sa_set_sockaddr(&peer, h->msg_name, h->msg_namelen))
			continue;
		rs->fn(rs->arg, r->ctx, &peer,
		       rs->rx_buf + (size_t)i * rs->slot + rs->headroom,
		       rs->rx_msg[i].msg_len, now);
	}
	return !r->dead;
}

static void relay_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct net_relay *r = arg;

	(void)what;
	/* what the layer above queues references the slots read into */
	r->in_cb = true;
	net_udp_rx_drain(r->rs->io, &r->rs->rx, fd, false, rx_batch, r);
	r->in_cb = false;
	if (r->dead)
		relay_free(r);
}

/* ---- relays ------------------------------------------------------------- */

static int relay_new(struct net_relay_set *rs, struct relay_addr *ra, int fd,
		     const struct sa *bound, void *ctx, struct net_relay **rp)
{
	struct net_relay *r = calloc(1, sizeof(*r));

	if (!r)
		return ENOMEM;
	r->rs = rs;
	r->ra = ra;
	r->ctx = ctx;
	net_udp_tx_init(&r->tx, fd, bound);
	r->ev = event_new(rs->env->base, fd, EV_READ | EV_PERSIST,
			  relay_read_cb, r);
	if (!r->ev || event_add(r->ev, NULL) < 0) {
		if (r->ev)
			event_free(r->ev);
		free(r);
		return ENOMEM;
	}
	ra->nopen++;
	rs->nopen++;
	rs->env->stats->relay_opened++;
	*rp = r;
	return 0;
}

int net_relay_open(struct net_relay_set *rs, int family, unsigned flags,
		   void *ctx, struct net_relay **rp, struct sa *bound)
{
	struct relay_addr *ra = NULL;
	struct sa a;
	int fd = -1, rc;

	if (!rs || !rp || !bound)
		return EINVAL;
	if ((flags & NET_RELAY_EXACT) && sa_family(bound) != family)
		return EINVAL;
	if ((rc = relay_socket(family, flags, &fd)))
		goto out;
	if (flags & NET_RELAY_EXACT) {
		a = *bound;
		rc = bind_exact(rs, fd, &a, &ra);
	} else {
		rc = bind_any(rs, family, flags, fd, &ra, &a);
	}
	if (!rc)
		rc = relay_new(rs, ra, fd, &a, ctx, rp);
	if (!rc) {
		*bound = a;
		return 0;
	}
out:
	if (fd >= 0)
		close(fd);
	if (rc == EADDRINUSE)
		rs->env->stats->relay_port_busy++;
	return rc;
}

void net_relay_close(struct net_relay *r)
{
	if (!r)
		return;
	if (r->in_cb) {
		/* closed from its own input: stop handing datagrams up and
		 * free when the callback unwinds */
		r->dead = true;
		return;
	}
	relay_free(r);
}

int net_relay_send(struct net_relay *r, const struct sa *peer,
		   const uint8_t *buf, size_t len, bool copy)
{
	return net_udp_tx_queue(r->rs->io, &r->tx, peer, NULL, buf, len, copy);
}

size_t net_relay_set_count(const struct net_relay_set *rs)
{
	return rs ? rs->nopen : 0;
}

/* ---- the set ------------------------------------------------------------ */

void net_relay_set_free(struct net_relay_set *rs)
{
	if (!rs)
		return;
	if (rs->nopen)
		log_warn("freeing a relay set with %zu relays open", rs->nopen);
	free(rs->addrs);
	free(rs->rx_buf);
	free(rs);
}

static void set_wire(struct net_relay_set *rs)
{
	unsigned i;

	rs->rx = (struct net_udp_rx){ .msg = rs->rx_msg,
				      .cap = RELAY_SLOTS,
				      .batch = RELAY_BATCH,
				      .rounds = RELAY_ROUNDS,
				      .what = "relay" };
	for (i = 0; i < RELAY_SLOTS; i++) {
		struct msghdr *h = &rs->rx_msg[i].msg_hdr;

		rs->rx_iov[i].iov_base =
		    rs->rx_buf + (size_t)i * rs->slot + rs->headroom;
		rs->rx_iov[i].iov_len = NET_RELAY_PAYLOAD;
		h->msg_name = &rs->rx_name[i];
		h->msg_iov = &rs->rx_iov[i];
		h->msg_iovlen = 1;
	}
}

int net_relay_set_alloc(struct net_relay_set **rsp, struct net_udp_io *io,
			const struct net_relay_cfg *cfg, net_relay_input_fn fn,
			void *arg)
{
	struct net_relay_set *rs;
	size_t i;
	int rc = ENOMEM;

	if (!rsp || !io || !cfg || !fn || cfg->port_min == 0 ||
	    cfg->port_min > cfg->port_max || cfg->headroom > 1024 ||
	    cfg->tailroom > 1024)
		return EINVAL;
	rs = calloc(1, sizeof(*rs));
	if (!rs)
		return ENOMEM;
	rs->io = io;
	rs->env = net_udp_io_env(io);
	rs->port_min = cfg->port_min;
	rs->port_max = cfg->port_max;
	rs->headroom = cfg->headroom;
	/* slots 8-aligned, so headers written in front stay aligned */
	rs->slot = (cfg->headroom + NET_RELAY_PAYLOAD + cfg->tailroom + 7) &
		   ~(size_t)7;
	rs->fn = fn;
	rs->arg = arg;
	rs->rx_buf = malloc(RELAY_SLOTS * rs->slot);
	if (cfg->naddrs)
		rs->addrs = calloc(cfg->naddrs, sizeof(*rs->addrs));
	if (!rs->rx_buf || (cfg->naddrs && !rs->addrs))
		goto out;
	for (i = 0; i < cfg->naddrs; i++) {
		rs->addrs[i].addr = cfg->addrs[i];
		sa_set_port(&rs->addrs[i].addr, 0);
	}
	rs->naddrs = cfg->naddrs;
	set_wire(rs);
	*rsp = rs;
	rs = NULL;
	rc = 0;
out:
	net_relay_set_free(rs);
	return rc;
}
