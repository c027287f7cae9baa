/*
 * udp.c — batched UDP sockets; see udp.h.
 *
 * The hot path: one recvmmsg fills up to `batch` preallocated slots, every
 * datagram goes up to the input function, replies are copied into the
 * worker's send arena and leave with one sendmmsg per socket at the end of
 * the batch. No heap allocation and no lock per packet.
 */
#include "net/udp.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "base/clock.h"
#include "base/log.h"

/* Control space for one IP_PKTINFO or IPV6_PKTINFO message. */
#define UDP_CTL CMSG_SPACE(sizeof(struct in6_pktinfo))
/* Batches read from one socket per wakeup before yielding to the others
 * (and to timers): bounded work per callback, fewer epoll_wait calls. */
#define UDP_ROUNDS 8
/* Kernel buffers we ask for; the kernel caps them at rmem_max/wmem_max. */
#define UDP_SOCKBUF (2 * 1024 * 1024)

struct net_udp_io {
	struct net_env *env;
	unsigned batch;
	/* receive side, shared by all sockets of the worker */
	uint8_t *rx_buf;		  /* batch * NET_UDP_SLOT */
	uint8_t *rx_ctl;		  /* batch * UDP_CTL */
	struct mmsghdr *rx_msg;		  /* batch */
	struct iovec *rx_iov;		  /* batch */
	struct sockaddr_storage *rx_name; /* batch */
	/* send side: payload arena and the sockets with something queued */
	uint8_t *tx_buf;	     /* batch * NET_UDP_SLOT */
	unsigned tx_used;	     /* slots taken */
	struct net_udp_sock **dirty; /* batch */
	unsigned ndirty;
	struct event *flush_ev;
	bool in_batch;
	bool flush_armed;
};

struct net_udp_sock {
	struct net_udp_io *io;
	int fd;
	struct event *ev;
	struct sa addr;
	bool wildcard;
	net_input_fn fn;
	void *arg;
	/* send queue: at most io->batch datagrams (each holds a slot) */
	struct mmsghdr *tx_msg;
	struct iovec *tx_iov;
	struct sa *tx_to;
	uint8_t *tx_ctl; /* batch * UDP_CTL */
	unsigned ntx;
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

static void udp_fill_msg(struct msghdr *h, struct iovec *iov, struct sa *to,
			 uint8_t *ctl, const struct net_udp_sock *s,
			 const struct sa *src)
{
	memset(h, 0, sizeof(*h));
	h->msg_name = &to->u.sa;
	h->msg_namelen = to->len;
	h->msg_iov = iov;
	h->msg_iovlen = 1;
	if (s->wildcard && sa_family(src) == sa_family(&s->addr)) {
		memset(ctl, 0, UDP_CTL);
		h->msg_control = ctl;
		h->msg_controllen = udp_ctl_src(ctl, src);
	}
}

static void udp_tx_error(struct net_udp_sock *s, int err)
{
	struct net_env *env = s->io->env;
	char a[SA_STRLEN];

	env->stats->udp_tx_fail++;
	log_limited(&env->ll_err, clock_mono_ms(), LOG_LVL_WARN,
		    "UDP send from %s failed: %s",
		    sa_print(&s->addr, a, sizeof(a)), strerror(err));
}

/* Send the queue of s: sendmmsg until done; a datagram the kernel refuses
 * (no route, EPERM from a firewall) is skipped, a full socket buffer drops
 * the rest of the batch (UDP: better late never than a blocked loop). */
static void udp_sock_flush(struct net_udp_sock *s)
{
	struct net_stats *st = s->io->env->stats;
	unsigned off = 0;
	int n;

	while (off < s->ntx) {
		n = sendmmsg(s->fd, s->tx_msg + off, s->ntx - off, 0);
		if (n > 0) {
			off += (unsigned)n;
			st->udp_tx += (uint64_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == ENOBUFS)) {
			st->udp_tx_fail += s->ntx - off - 1;
			udp_tx_error(s, errno);
			break;
		} else {
			udp_tx_error(s, n < 0 ? errno : EIO);
			off++;
		}
	}
	s->ntx = 0;
}

void net_udp_io_flush(struct net_udp_io *io)
{
	unsigned i;

	if (!io)
		return;
	for (i = 0; i < io->ndirty; i++)
		udp_sock_flush(io->dirty[i]);
	io->ndirty = 0;
	io->tx_used = 0;
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
static int udp_send_now(struct net_udp_sock *s, const struct sa *to,
			const struct sa *src, const uint8_t *buf, size_t len)
{
	_Alignas(struct cmsghdr) uint8_t ctl[UDP_CTL];
	struct sa dst = *to;
	struct iovec iov = { (void *)(uintptr_t)buf, len };
	struct msghdr h;

	udp_fill_msg(&h, &iov, &dst, ctl, s, src);
	if (sendmsg(s->fd, &h, 0) < 0) {
		int err = errno;

		udp_tx_error(s, err);
		return err;
	}
	s->io->env->stats->udp_tx++;
	return 0;
}

int net_udp_send(struct net_udp_sock *s, const struct sa *to,
		 const struct sa *src, const uint8_t *buf, size_t len)
{
	struct net_udp_io *io = s->io;
	unsigned i;
	uint8_t *slot;

	if (len > NET_UDP_SLOT)
		return udp_send_now(s, to, src, buf, len);
	if (io->tx_used == io->batch)
		net_udp_io_flush(io);
	slot = io->tx_buf + (size_t)io->tx_used++ * NET_UDP_SLOT;
	memcpy(slot, buf, len);
	i = s->ntx++;
	s->tx_to[i] = *to;
	s->tx_iov[i].iov_base = slot;
	s->tx_iov[i].iov_len = len;
	udp_fill_msg(&s->tx_msg[i].msg_hdr, &s->tx_iov[i], &s->tx_to[i],
		     s->tx_ctl + (size_t)i * UDP_CTL, s, src);
	if (i == 0)
		io->dirty[io->ndirty++] = s;
	/* queued outside a receive batch (a timer, another socket type):
	 * flush before the loop sleeps */
	if (!io->in_batch && !io->flush_armed) {
		io->flush_armed = true;
		event_active(io->flush_ev, EV_TIMEOUT, 0);
	}
	return 0;
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
	pkt.local = &s->addr;
	if (s->wildcard && udp_pktinfo(h, &s->addr, &local) == 0)
		pkt.local = &local;
	pkt.buf = buf;
	pkt.len = mm->msg_len;
	pkt.from = &from;
	pkt.conn = NULL;
	pkt.now_ms = now;
	s->fn(s->arg, &pkt);
}

/* The kernel rewrites name and control lengths and flags: reset them. */
static void udp_rx_prepare(struct net_udp_io *io, bool ctl)
{
	unsigned i;

	for (i = 0; i < io->batch; i++) {
		struct msghdr *h = &io->rx_msg[i].msg_hdr;

		h->msg_namelen = sizeof(io->rx_name[i]);
		h->msg_control = ctl ? io->rx_ctl + (size_t)i * UDP_CTL : NULL;
		h->msg_controllen = ctl ? UDP_CTL : 0;
		h->msg_flags = 0;
	}
}

static void udp_rx_batch(struct net_udp_sock *s, unsigned n)
{
	struct net_udp_io *io = s->io;
	uint64_t now = clock_mono_ms();
	unsigned i;

	io->env->stats->udp_rx += n;
	io->in_batch = true;
	for (i = 0; i < n; i++)
		udp_rx_one(s, &io->rx_msg[i],
			   io->rx_buf + (size_t)i * NET_UDP_SLOT, now);
	io->in_batch = false;
	net_udp_io_flush(io);
}

static void udp_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct net_udp_sock *s = arg;
	struct net_udp_io *io = s->io;
	int round, n;

	(void)what;
	for (round = 0; round < UDP_ROUNDS; round++) {
		udp_rx_prepare(io, s->wildcard);
		n = recvmmsg(fd, io->rx_msg, io->batch, MSG_DONTWAIT, NULL);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			io->env->stats->udp_rx_err++;
			log_limited(&io->env->ll_err, clock_mono_ms(),
				    LOG_LVL_WARN, "UDP recvmmsg: %s",
				    strerror(errno));
		}
		if (n <= 0)
			break;
		udp_rx_batch(s, (unsigned)n);
		if ((unsigned)n < io->batch)
			break;
	}
}

/* ---- objects ------------------------------------------------------------ */

void net_udp_io_free(struct net_udp_io *io)
{
	if (!io)
		return;
	if (io->flush_ev)
		event_free(io->flush_ev);
	free(io->rx_buf);
	free(io->rx_ctl);
	free(io->rx_msg);
	free(io->rx_iov);
	free(io->rx_name);
	free(io->tx_buf);
	free(io->dirty);
	free(io);
}

static void udp_io_wire(struct net_udp_io *io)
{
	unsigned i;

	for (i = 0; i < io->batch; i++) {
		struct msghdr *h = &io->rx_msg[i].msg_hdr;

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
	io->rx_buf = malloc((size_t)batch * NET_UDP_SLOT);
	io->rx_ctl = calloc(batch, UDP_CTL);
	io->rx_msg = calloc(batch, sizeof(*io->rx_msg));
	io->rx_iov = calloc(batch, sizeof(*io->rx_iov));
	io->rx_name = calloc(batch, sizeof(*io->rx_name));
	io->tx_buf = malloc((size_t)batch * NET_UDP_SLOT);
	io->dirty = calloc(batch, sizeof(*io->dirty));
	io->flush_ev = event_new(env->base, -1, 0, udp_flush_cb, io);
	if (!io->rx_buf || !io->rx_ctl || !io->rx_msg || !io->rx_iov ||
	    !io->rx_name || !io->tx_buf || !io->dirty || !io->flush_ev)
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
	/* on the dirty list: send everything, which empties the list */
	if (s->ntx)
		net_udp_io_flush(s->io);
	if (s->ev)
		event_free(s->ev);
	if (s->fd >= 0)
		close(s->fd);
	free(s->tx_msg);
	free(s->tx_iov);
	free(s->tx_to);
	free(s->tx_ctl);
	free(s);
}

int net_udp_sock_alloc(struct net_udp_sock **sp, struct net_udp_io *io,
		       const struct sa *addr, bool probe, net_input_fn fn,
		       void *arg)
{
	struct net_udp_sock *s;
	int rc = ENOMEM;

	if (!io || !addr || !fn)
		return EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return ENOMEM;
	s->io = io;
	s->fd = -1;
	s->addr = *addr;
	s->wildcard = net_sa_is_wildcard(addr);
	s->fn = fn;
	s->arg = arg;
	s->tx_msg = calloc(io->batch, sizeof(*s->tx_msg));
	s->tx_iov = calloc(io->batch, sizeof(*s->tx_iov));
	s->tx_to = calloc(io->batch, sizeof(*s->tx_to));
	s->tx_ctl = calloc(io->batch, UDP_CTL);
	if (!s->tx_msg || !s->tx_iov || !s->tx_to || !s->tx_ctl)
		goto out;
	rc = net_sock_bind(&s->fd, SOCK_DGRAM, addr, probe);
	if (rc)
		goto out;
	rc = ENOMEM;
	s->ev = event_new(io->env->base, s->fd, EV_READ | EV_PERSIST,
			  udp_read_cb, s);
	if (!s->ev || event_add(s->ev, NULL) < 0)
		goto out;
	*sp = s;
	s = NULL;
	rc = 0;
out:
	net_udp_sock_free(s);
	return rc;
}

bool net_udp_sock_wildcard(const struct net_udp_sock *s)
{
	return s->wildcard;
}

const struct sa *net_udp_sock_addr(const struct net_udp_sock *s)
{
	return &s->addr;
}
