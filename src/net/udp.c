/*
 * udp.c — batched UDP sockets; see udp.h.
 *
 * The hot path: one recvmmsg fills up to `batch` preallocated slots, every
 * datagram goes up to the input function, replies are copied into the
 * worker's send arena (relayed data is referenced in place), and what was
 * queued leaves with one sendmmsg per socket once every socket that epoll
 * reported ready has been read: one flush per loop iteration, not one per
 * socket. No heap allocation and no lock per packet.
 */
#include "net/udp.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "base/clock.h"
#include "base/log.h"
#include "net/steer.h"

/* Control space for one IP_PKTINFO or IPV6_PKTINFO message. */
#define UDP_CTL CMSG_SPACE(sizeof(struct in6_pktinfo))
/* Batches read from one socket per wakeup before yielding to the others
 * (and to timers): bounded work per callback, fewer epoll_wait calls. */
#define UDP_ROUNDS 8
/* Receive areas of `batch` slots. Queued sends reference received data, so
 * a slot is reused only once the queue is empty: with two areas a second
 * socket's batch (or a second round) can be read before the flush. */
#define UDP_RX_AREAS 2
/* Kernel buffers we ask for; the kernel caps them at rmem_max/wmem_max. */
#define UDP_SOCKBUF (2 * 1024 * 1024)

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103 /* linux/udp.h; Linux 4.18 */
#endif
/* UDP GSO: datagrams of one message (the kernel's UDP_MAX_SEGMENTS is 64
 * on the oldest kernels that have it) and bytes of payload in one. */
#define UDP_GSO_SEGS  64
#define UDP_GSO_BYTES 65000
/* A source-address message and a UDP_SEGMENT message. */
#define UDP_CTL_GSO (UDP_CTL + CMSG_SPACE(sizeof(uint16_t)))

/* One queued datagram; entries of one socket are chained by index. */
struct udp_txe {
	struct sa to;
	struct iovec iov;
	unsigned next;
	size_t ctllen; /* the source-address message only */
	_Alignas(struct cmsghdr) uint8_t ctl[UDP_CTL_GSO];
};

struct net_udp_io {
	struct net_env *env;
	unsigned batch;
	unsigned cap; /* batch * UDP_RX_AREAS */
	/* receive side, shared by all listener sockets of the worker */
	uint8_t *rx_buf;		  /* cap * NET_UDP_SLOT */
	struct net_udp_rx rx;		  /* headers and control buffers */
	struct iovec *rx_iov;		  /* cap */
	struct sockaddr_storage *rx_name; /* cap */
	/* send side, shared by every UDP socket of the worker (listeners,
	 * DTLS, relays): payload arena, queued datagrams, the sockets with
	 * something queued, and the scratch header array of one sendmmsg */
	uint8_t *tx_buf;	   /* batch * NET_UDP_SLOT */
	unsigned tx_used;	   /* arena slots taken */
	struct udp_txe *txe;	   /* cap */
	unsigned ntxe;		   /* entries taken */
	struct mmsghdr *tx_msg;	   /* cap */
	struct iovec *tx_iov;	   /* cap: the iovecs of those headers */
	unsigned *tx_first;	   /* cap: first entry of each header */
	struct net_udp_tx **dirty; /* cap */
	unsigned ndirty;
	struct event *flush_ev; /* armed by the first datagram queued */
	bool flush_armed;
	bool gso_off; /* the kernel refused UDP GSO (EIO): not tried again */
};

struct net_udp_sock {
	struct net_udp_io *io;
	struct net_udp_tx tx; /* fd, bound address, send queue */
	struct event *ev;
	net_input_fn fn;
	void *arg;
};

bool net_sa_is_wildcard(const struct sa *a)
{
	size_t n, i;
	const uint8_t *p = sa_addr_bytes(a, &n);

	for (i = 0; i < n; i++) {
		if (p[i])
			return false;
	}
	return n != 0;
}

/* SO_REUSEPORT lets any socket of the same user share the port, including
 * a second ternd. Binding once without it first turns that case into the
 * EADDRINUSE an operator expects. The probe is closed at once. */
static int sock_probe(int type, const struct sa *addr)
{
	int fd, one = 1, rc = 0;

	fd = socket(sa_family(addr), type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	/* SO_REUSEADDR tolerates TIME_WAIT leftovers of a previous run, but
	 * not a live listener. */
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sa_family(addr) == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, &addr->u.sa, addr->len) < 0)
		rc = errno;
	close(fd);
	return rc;
}

static int sock_opts(int fd, int type, const struct sa *addr)
{
	int one = 1, buf = UDP_SOCKBUF;

	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
		return errno;
	if (type == SOCK_STREAM &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		return errno;
	if (sa_family(addr) == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		return errno;
	if (type == SOCK_DGRAM) {
		/* best effort: the kernel caps these */
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	}
	if (type == SOCK_DGRAM && net_sa_is_wildcard(addr)) {
		int lvl =
		    sa_family(addr) == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;
		int opt = lvl == IPPROTO_IP ? IP_PKTINFO : IPV6_RECVPKTINFO;

		if (setsockopt(fd, lvl, opt, &one, sizeof(one)) < 0)
			return errno;
	}
	return 0;
}

int net_sock_bind(int *fdp, int type, const struct sa *addr, bool probe)
{
	int fd, rc;

	if (!sa_is_set(addr))
		return EINVAL;
	if (probe && (rc = sock_probe(type, addr)))
		return rc;
	fd = socket(sa_family(addr), type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	rc = sock_opts(fd, type, addr);
	if (!rc && bind(fd, &addr->u.sa, addr->len) < 0)
		rc = errno;
	if (!rc && type == SOCK_STREAM && listen(fd, SOMAXCONN) < 0)
		rc = errno;
	if (rc) {
		close(fd);
		return rc;
	}
	*fdp = fd;
	return 0;
}

/* ---- sending ------------------------------------------------------------ */

/* Write the source-address control message of a reply from a wildcard
 * socket; returns its length. ctl holds UDP_CTL zeroed bytes. */
static size_t udp_ctl_src(uint8_t *ctl, const struct sa *src)
{
	struct cmsghdr *cm = (struct cmsghdr *)(void *)ctl;

	if (sa_family(src) == AF_INET) {
		struct in_pktinfo pi;

		memset(&pi, 0, sizeof(pi));
		pi.ipi_spec_dst = src->u.in.sin_addr;
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		return CMSG_SPACE(sizeof(pi));
	}
	if (sa_family(src) == AF_INET6) {
		struct in6_pktinfo pi6;

		memset(&pi6, 0, sizeof(pi6));
		pi6.ipi6_addr = src->u.in6.sin6_addr;
		/* a link-local source needs its interface */
		pi6.ipi6_ifindex = src->u.in6.sin6_scope_id;
		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi6));
		memcpy(CMSG_DATA(cm), &pi6, sizeof(pi6));
		return CMSG_SPACE(sizeof(pi6));
	}
	return 0;
}

/* The control message naming the source of a datagram from a wildcard
 * socket, or nothing (0). */
static size_t udp_ctl(const struct net_udp_tx *t, const struct sa *src,
		      uint8_t *ctl)
{
	if (!t->wildcard || !src || sa_family(src) != sa_family(&t->addr))
		return 0;
	memset(ctl, 0, UDP_CTL);
	return udp_ctl_src(ctl, src);
}

static void udp_tx_error(struct net_udp_io *io, const struct net_udp_tx *t,
			 int err)
{
	struct net_env *env = io->env;
	char a[SA_STRLEN];

	env->stats->udp_tx_fail++;
	log_limited(&env->ll_err, clock_mono_ms(), LOG_LVL_WARN,
		    "UDP send from %s failed: %s",
		    sa_print(&t->addr, a, sizeof(a)), strerror(err));
}

/* Can e join the GSO message that starts at g with n datagrams of
 * g's size and `bytes` in all? Same destination and source, and every
 * datagram but the last of the size of the first (UDP_SEGMENT cuts the
 * payload in equal pieces). */
static bool gso_joins(const struct udp_txe *g, const struct udp_txe *prev,
		      const struct udp_txe *e, unsigned n, size_t bytes)
{
	return n < UDP_GSO_SEGS && prev->iov.iov_len == g->iov.iov_len &&
	       e->iov.iov_len <= g->iov.iov_len &&
	       bytes + e->iov.iov_len <= UDP_GSO_BYTES &&
	       e->ctllen == g->ctllen && sa_equal(&e->to, &g->to) &&
	       !memcmp(e->ctl, g->ctl, g->ctllen);
}

/* Append the UDP_SEGMENT message (segment size seg) to g's control. */
static size_t gso_ctl(struct udp_txe *g, uint16_t seg)
{
	struct cmsghdr *cm = (struct cmsghdr *)(void *)(g->ctl + g->ctllen);

	memset(cm, 0, CMSG_SPACE(sizeof(seg)));
	cm->cmsg_level = SOL_UDP;
	cm->cmsg_type = UDP_SEGMENT;
	cm->cmsg_len = CMSG_LEN(sizeof(seg));
	memcpy(CMSG_DATA(cm), &seg, sizeof(seg));
	return g->ctllen + CMSG_SPACE(sizeof(seg));
}

/* Lay t's chain out as contiguous headers for sendmmsg; returns their
 * count. With gso, runs of datagrams to one destination (a relay's burst
 * to its client, a client's to its peer) become one message each, cut by
 * the kernel (UDP_SEGMENT): one trip down the stack instead of n. */
static unsigned udp_tx_build(struct net_udp_io *io, const struct net_udp_tx *t,
			     bool gso)
{
	unsigned i = 0, m = 0, k = t->head;

	while (i < t->n) {
		struct udp_txe *g = &io->txe[k], *prev = g;
		struct msghdr *h = &io->tx_msg[m].msg_hdr;
		size_t bytes = g->iov.iov_len;
		unsigned n = 1;

		io->tx_iov[i] = g->iov;
		for (k = g->next; gso && i + n < t->n; k = io->txe[k].next) {
			struct udp_txe *e = &io->txe[k];

			if (!gso_joins(g, prev, e, n, bytes))
				break;
			io->tx_iov[i + n++] = e->iov;
			bytes += e->iov.iov_len;
			prev = e;
		}
		memset(h, 0, sizeof(*h));
		h->msg_name = &g->to.u.sa;
		h->msg_namelen = g->to.len;
		h->msg_iov = &io->tx_iov[i];
		h->msg_iovlen = n;
		h->msg_controllen =
		    n > 1 ? gso_ctl(g, (uint16_t)g->iov.iov_len) : g->ctllen;
		h->msg_control = h->msg_controllen ? g->ctl : NULL;
		io->tx_first[m++] = (unsigned)(g - io->txe);
		i += n;
	}
	return m;
}

/* One message of the batch again, one sendmsg per datagram, without GSO:
 * for a kernel or device that refused it. Returns the datagrams sent. */
static unsigned udp_tx_singles(struct net_udp_io *io, struct net_udp_tx *t,
			       const struct msghdr *gh, unsigned first)
{
	unsigned i, sent = 0, k = first;

	for (i = 0; i < gh->msg_iovlen; i++) {
		struct udp_txe *e = &io->txe[k];
		struct msghdr h = *gh;

		h.msg_iov = &e->iov;
		h.msg_iovlen = 1;
		h.msg_controllen = e->ctllen;
		h.msg_control = e->ctllen ? e->ctl : NULL;
		if (sendmsg(t->fd, &h, 0) >= 0)
			sent++;
		else
			udp_tx_error(io, t, errno); /* counts it */
		k = e->next;
	}
	return sent;
}

/* Datagrams in headers [from, to). */
static unsigned udp_tx_count(const struct net_udp_io *io, unsigned from,
			     unsigned to)
{
	unsigned n = 0;

	for (; from < to; from++)
		n += (unsigned)io->tx_msg[from].msg_hdr.msg_iovlen;
	return n;
}

/* Count headers [from, to) as sent. */
static void udp_tx_sent(struct net_udp_io *io, unsigned from, unsigned to)
{
	struct net_stats *st = io->env->stats;

	for (; from < to; from++) {
		size_t n = io->tx_msg[from].msg_hdr.msg_iovlen;

		st->udp_tx += n;
		if (n > 1)
			st->udp_gso += n;
	}
}

/* Send the queue of t: sendmmsg until done; a datagram the kernel refuses
 * (no route, EPERM from a firewall) is skipped, a full socket buffer drops
 * the rest of the batch (UDP: better late never than a blocked loop). A
 * GSO message the kernel cannot take (EIO: no checksum offload; EINVAL: a
 * segment over the path MTU) goes again datagram by datagram; after an
 * EIO this io stops trying GSO. */
static void udp_tx_flush(struct net_udp_io *io, struct net_udp_tx *t)
{
	struct net_stats *st = io->env->stats;
	bool gso = io->env->udp_gso && !io->gso_off && t->n > 1;
	unsigned off = 0, cnt = udp_tx_build(io, t, gso);
	int n;

	while (off < cnt) {
		struct msghdr *h = &io->tx_msg[off].msg_hdr;

		n = sendmmsg(t->fd, io->tx_msg + off, cnt - off, 0);
		if (n > 0) {
			udp_tx_sent(io, off, off + (unsigned)n);
			off += (unsigned)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == ENOBUFS)) {
			/* udp_tx_error counts one of them */
			st->udp_tx_fail += udp_tx_count(io, off, cnt) - 1;
			udp_tx_error(io, t, errno);
			break;
		} else if (n < 0 && h->msg_iovlen > 1 &&
			   (errno == EIO || errno == EINVAL)) {
			if (errno == EIO)
				io->gso_off = true;
			st->udp_gso_fallback++;
			st->udp_tx +=
			    udp_tx_singles(io, t, h, io->tx_first[off]);
			off++;
		} else {
			st->udp_tx_fail += (unsigned)h->msg_iovlen - 1;
			udp_tx_error(io, t, n < 0 ? errno : EIO);
			off++;
		}
	}
	t->n = 0;
}

void net_udp_io_flush(struct net_udp_io *io)
{
	unsigned i;

	if (!io)
		return;
	for (i = 0; i < io->ndirty; i++)
		udp_tx_flush(io, io->dirty[i]);
	io->ndirty = 0;
	io->tx_used = 0;
	io->ntxe = 0;
}

static void udp_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct net_udp_io *io = arg;

	(void)fd;
	(void)what;
	io->flush_armed = false;
	net_udp_io_flush(io);
}

/* A datagram too big for a slot (a large relayed payload): one sendmsg. */
static int udp_send_now(struct net_udp_io *io, const struct net_udp_tx *t,
			const struct sa *to, const struct sa *src,
			const uint8_t *buf, size_t len)
{
	_Alignas(struct cmsghdr) uint8_t ctl[UDP_CTL];
	struct sa dst = *to;
	struct iovec iov = { (void *)(uintptr_t)buf, len };
	struct msghdr h;

	memset(&h, 0, sizeof(h));
	h.msg_name = &dst.u.sa;
	h.msg_namelen = dst.len;
	h.msg_iov = &iov;
	h.msg_iovlen = 1;
	h.msg_controllen = udp_ctl(t, src, ctl);
	h.msg_control = h.msg_controllen ? ctl : NULL;
	if (sendmsg(t->fd, &h, 0) < 0) {
		int err = errno;

		udp_tx_error(io, t, err);
		return err;
	}
	io->env->stats->udp_tx++;
	return 0;
}

void net_udp_tx_init(struct net_udp_tx *t, int fd, const struct sa *addr)
{
	memset(t, 0, sizeof(*t));
	t->fd = fd;
	t->addr = *addr;
	t->wildcard = net_sa_is_wildcard(addr);
}

int net_udp_tx_queue(struct net_udp_io *io, struct net_udp_tx *t,
		     const struct sa *to, const struct sa *src,
		     const uint8_t *buf, size_t len, bool copy)
{
	struct udp_txe *e;
	unsigned i;

	if (copy && len > NET_UDP_SLOT)
		return udp_send_now(io, t, to, src, buf, len);
	if (io->ntxe == io->cap || (copy && io->tx_used == io->batch))
		net_udp_io_flush(io);
	if (copy) {
		uint8_t *slot =
		    io->tx_buf + (size_t)io->tx_used++ * NET_UDP_SLOT;

		memcpy(slot, buf, len);
		buf = slot;
	}
	i = io->ntxe++;
	e = &io->txe[i];
	e->to = *to;
	e->iov.iov_base = (void *)(uintptr_t)buf;
	e->iov.iov_len = len;
	e->ctllen = udp_ctl(t, src, e->ctl);
	if (t->n++ == 0) {
		t->head = i;
		io->dirty[io->ndirty++] = t;
	} else {
		io->txe[t->tail].next = i;
	}
	t->tail = i;
	/* libevent runs the flush after the callbacks already active in this
	 * loop iteration (the other ready sockets), before it waits again */
	if (!io->flush_armed) {
		io->flush_armed = true;
		event_active(io->flush_ev, EV_TIMEOUT, 0);
	}
	return 0;
}

void net_udp_tx_done(struct net_udp_io *io, struct net_udp_tx *t)
{
	/* on the dirty list: send everything, which empties the list */
	if (t->n)
		net_udp_io_flush(io);
}

unsigned net_udp_io_rx_start(struct net_udp_io *io, unsigned *next,
			     unsigned want, unsigned cap)
{
	if (io->ntxe == 0)
		*next = 0;
	else if (*next + want > cap) {
		net_udp_io_flush(io);
		*next = 0;
	}
	return *next;
}

struct net_env *net_udp_io_env(const struct net_udp_io *io)
{
	return io->env;
}

int net_udp_send(struct net_udp_sock *s, const struct sa *to,
		 const struct sa *src, const uint8_t *buf, size_t len)
{
	return net_udp_tx_queue(s->io, &s->tx, to, src, buf, len, true);
}

int net_udp_send_ref(struct net_udp_sock *s, const struct sa *to,
		     const struct sa *src, const uint8_t *buf, size_t len)
{
	return net_udp_tx_queue(s->io, &s->tx, to, src, buf, len, false);
}

/* ---- receiving ---------------------------------------------------------- */

/* The destination address of a datagram on a wildcard socket. */
static int udp_pktinfo(struct msghdr *h, const struct sa *bound, struct sa *out)
{
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(h); cm; cm = CMSG_NXTHDR(h, cm)) {
		if (cm->cmsg_level == IPPROTO_IP &&
		    cm->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			return sa_set_raw(out, AF_INET,
					  (const uint8_t *)&pi.ipi_addr,
					  sa_port(bound));
		}
		if (cm->cmsg_level == IPPROTO_IPV6 &&
		    cm->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi6;

			memcpy(&pi6, CMSG_DATA(cm), sizeof(pi6));
			sa_set_raw(out, AF_INET6,
				   (const uint8_t *)&pi6.ipi6_addr,
				   sa_port(bound));
			if (IN6_IS_ADDR_LINKLOCAL(&pi6.ipi6_addr))
				out->u.in6.sin6_scope_id = pi6.ipi6_ifindex;
			return 0;
		}
	}
	return ENOENT;
}

static void udp_rx_one(struct net_udp_sock *s, struct mmsghdr *mm, uint8_t *buf,
		       uint64_t now)
{
	struct net_stats *st = s->io->env->stats;
	struct msghdr *h = &mm->msg_hdr;
	struct sa from, local;
	struct net_pkt pkt;

	if (h->msg_flags & MSG_TRUNC) {
		st->udp_rx_oversized++;
		return;
	}
	if (mm->msg_len < 4) {
		st->udp_rx_runt++;
		return;
	}
	if (sa_set_sockaddr(&from, h->msg_name, h->msg_namelen))
		return;
	pkt.local = &s->tx.addr;
	if (s->tx.wildcard && udp_pktinfo(h, &s->tx.addr, &local) == 0)
		pkt.local = &local;
	pkt.buf = buf;
	pkt.len = mm->msg_len;
	pkt.from = &from;
	pkt.conn = NULL;
	pkt.now_ms = now;
	s->fn(s->arg, &pkt);
}

/* The kernel rewrites name and control lengths and flags: reset them. An
 * area without control buffers (the relays') never has any to reset. */
static void rx_prepare(struct net_udp_rx *rx, unsigned first, bool pktinfo)
{
	unsigned i;

	for (i = first; i < first + rx->batch; i++) {
		struct msghdr *h = &rx->msg[i].msg_hdr;

		h->msg_namelen = sizeof(struct sockaddr_storage);
		h->msg_flags = 0;
		if (!rx->ctl)
			continue;
		h->msg_control = pktinfo ? rx->ctl + (size_t)i * UDP_CTL : NULL;
		h->msg_controllen = pktinfo ? UDP_CTL : 0;
	}
}

void net_udp_rx_drain(struct net_udp_io *io, struct net_udp_rx *rx, int fd,
		      bool pktinfo, net_udp_rx_fn fn, void *arg)
{
	unsigned first, round;
	int n;

	for (round = 0; round < rx->rounds; round++) {
		/* sends may reference what this round reads (net_udp_send_ref):
		 * it goes into slots nothing queued uses */
		first = net_udp_io_rx_start(io, &rx->next, rx->batch, rx->cap);
		rx_prepare(rx, first, pktinfo);
		n = recvmmsg(fd, rx->msg + first, rx->batch, MSG_DONTWAIT,
			     NULL);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			io->env->stats->udp_rx_err++;
			log_limited(&io->env->ll_err, clock_mono_ms(),
				    LOG_LVL_WARN, "%s recvmmsg: %s", rx->what,
				    strerror(errno));
		}
		if (n <= 0)
			break;
		rx->next = first + (unsigned)n;
		if (!fn(arg, first, (unsigned)n) || (unsigned)n < rx->batch)
			break;
	}
}

static bool udp_rx_batch(void *arg, unsigned first, unsigned n)
{
	struct net_udp_sock *s = arg;
	struct net_udp_io *io = s->io;
	uint64_t now = clock_mono_ms();
	unsigned i;

	io->env->stats->udp_rx += n;
	for (i = first; i < first + n; i++)
		udp_rx_one(s, &io->rx.msg[i],
			   io->rx_buf + (size_t)i * NET_UDP_SLOT, now);
	return true;
}

static void udp_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct net_udp_sock *s = arg;

	(void)what;
	net_udp_rx_drain(s->io, &s->io->rx, fd, s->tx.wildcard, udp_rx_batch,
			 s);
}

/* ---- objects ------------------------------------------------------------ */

void net_udp_io_free(struct net_udp_io *io)
{
	if (!io)
		return;
	if (io->flush_ev)
		event_free(io->flush_ev);
	free(io->rx_buf);
	free(io->rx.ctl);
	free(io->rx.msg);
	free(io->rx_iov);
	free(io->rx_name);
	free(io->tx_buf);
	free(io->txe);
	free(io->tx_msg);
	free(io->tx_iov);
	free(io->tx_first);
	free(io->dirty);
	free(io);
}

static void udp_io_wire(struct net_udp_io *io)
{
	unsigned i;

	for (i = 0; i < io->cap; i++) {
		struct msghdr *h = &io->rx.msg[i].msg_hdr;

		io->rx_iov[i].iov_base = io->rx_buf + (size_t)i * NET_UDP_SLOT;
		io->rx_iov[i].iov_len = NET_UDP_SLOT;
		h->msg_name = &io->rx_name[i];
		h->msg_iov = &io->rx_iov[i];
		h->msg_iovlen = 1;
	}
}

int net_udp_io_alloc(struct net_udp_io **iop, struct net_env *env,
		     unsigned batch)
{
	struct net_udp_io *io;
	int rc = ENOMEM;

	if (!env || !env->base || batch == 0)
		return EINVAL;
	if (batch > NET_UDP_BATCH_MAX)
		batch = NET_UDP_BATCH_MAX;
	io = calloc(1, sizeof(*io));
	if (!io)
		return ENOMEM;
	io->env = env;
	io->batch = batch;
	io->cap = batch * UDP_RX_AREAS;
	io->rx_buf = malloc((size_t)io->cap * NET_UDP_SLOT);
	io->rx.ctl = calloc(io->cap, UDP_CTL);
	io->rx.msg = calloc(io->cap, sizeof(*io->rx.msg));
	io->rx.cap = io->cap;
	io->rx.batch = batch;
	io->rx.rounds = UDP_ROUNDS;
	io->rx.what = "UDP";
	io->rx_iov = calloc(io->cap, sizeof(*io->rx_iov));
	io->rx_name = calloc(io->cap, sizeof(*io->rx_name));
	io->tx_buf = malloc((size_t)batch * NET_UDP_SLOT);
	io->txe = calloc(io->cap, sizeof(*io->txe));
	io->tx_msg = calloc(io->cap, sizeof(*io->tx_msg));
	io->tx_iov = calloc(io->cap, sizeof(*io->tx_iov));
	io->tx_first = calloc(io->cap, sizeof(*io->tx_first));
	io->dirty = calloc(io->cap, sizeof(*io->dirty));
	io->flush_ev = event_new(env->base, -1, 0, udp_flush_cb, io);
	if (!io->rx_buf || !io->rx.ctl || !io->rx.msg || !io->rx_iov ||
	    !io->rx_name || !io->tx_buf || !io->txe || !io->tx_msg ||
	    !io->tx_iov || !io->tx_first || !io->dirty || !io->flush_ev)
		goto out;
	udp_io_wire(io);
	*iop = io;
	io = NULL;
	rc = 0;
out:
	net_udp_io_free(io);
	return rc;
}

void net_udp_sock_free(struct net_udp_sock *s)
{
	if (!s)
		return;
	net_udp_tx_done(s->io, &s->tx);
	if (s->ev)
		event_free(s->ev);
	if (s->tx.fd >= 0)
		close(s->tx.fd);
	free(s);
}

int net_udp_sock_alloc(struct net_udp_sock **sp, struct net_udp_io *io,
		       const struct sa *addr, bool probe, net_input_fn fn,
		       void *arg)
{
	struct net_udp_sock *s;
	int fd, rc;

	if (!io || !addr || !fn)
		return EINVAL;
	rc = net_sock_bind(&fd, SOCK_DGRAM, addr, probe);
	if (rc)
		return rc;
	s = calloc(1, sizeof(*s));
	if (!s) {
		close(fd);
		return ENOMEM;
	}
	s->io = io;
	net_udp_tx_init(&s->tx, fd, addr);
	s->fn = fn;
	s->arg = arg;
	rc = ENOMEM;
	s->ev =
	    event_new(io->env->base, fd, EV_READ | EV_PERSIST, udp_read_cb, s);
	if (!s->ev || event_add(s->ev, NULL) < 0)
		goto out;
	*sp = s;
	s = NULL;
	rc = 0;
out:
	net_udp_sock_free(s);
	return rc;
}

int net_udp_sock_steer(struct net_udp_sock *s, unsigned n)
{
	if (!s)
		return EINVAL;
	return net_steer_attach(s->tx.fd, sa_family(&s->tx.addr), n);
}

bool net_udp_sock_wildcard(const struct net_udp_sock *s)
{
	return s->tx.wildcard;
}

const struct sa *net_udp_sock_addr(const struct net_udp_sock *s)
{
	return &s->tx.addr;
}
