/*
 * udp.h — UDP sockets on libevent, in batches.
 *
 * A worker owns one `struct net_udp_io`: the preallocated receive slots
 * (recvmmsg) and the send arena shared by all its UDP sockets. A readable
 * socket is drained in batches of up to `batch` datagrams; each datagram goes
 * up through the socket's net_input_fn; replies queued with net_udp_send()
 * leave in one sendmmsg per socket from an event that libevent runs after
 * every socket reported ready in this loop iteration has been read.
 * Nothing is allocated per packet.
 *
 *   epoll: socket a, b, ... ready
 *   recvmmsg(a) -> fn(pkt)...; recvmmsg(b) -> fn(pkt)...; ...
 *   flush: sendmmsg per touched socket
 *
 * A socket bound to a wildcard address (0.0.0.0, ::) learns each datagram's
 * destination (IP_PKTINFO, IPV6_RECVPKTINFO) and replies from it, so a
 * multi-homed host answers from the address the client used.
 */
#ifndef TERN_NET_UDP_H
#define TERN_NET_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/sa.h"
#include "net/net.h"

struct mmsghdr;
struct net_udp_io;
struct net_udp_sock;

/* Most datagrams per batch; a larger configured batch is clamped. */
#define NET_UDP_BATCH_MAX 1024

/*
 * Create the batch state of one worker: receive and send arrays for `batch`
 * datagrams (1..NET_UDP_BATCH_MAX). env is borrowed and must outlive io.
 * Returns 0, EINVAL or ENOMEM.
 */
int net_udp_io_alloc(struct net_udp_io **iop, struct net_env *env,
		     unsigned batch);
/* Free io. Free its sockets first. Accepts NULL. */
void net_udp_io_free(struct net_udp_io *io);
/* Send everything queued on every socket now. The first datagram queued
 * arms an event that does this before the loop waits again; the net layer
 * calls it earlier when the queue or the receive slots run out. */
void net_udp_io_flush(struct net_udp_io *io);

/*
 * Bind a UDP socket to addr (SO_REUSEPORT, so every worker binds its own;
 * IPV6_V6ONLY for IPv6) and read it on io's event_base; each datagram goes
 * to fn(arg, pkt) with pkt->conn NULL. With `probe`, first check that no
 * other process holds the port (the kernel would otherwise let a second
 * SO_REUSEPORT server silently share it). io is borrowed; fn and arg are
 * kept. Returns 0 or the errno of socket/bind.
 */
int net_udp_sock_alloc(struct net_udp_sock **sp, struct net_udp_io *io,
		       const struct sa *addr, bool probe, net_input_fn fn,
		       void *arg);
/* Close and free s, sending what it has queued first. Accepts NULL. */
void net_udp_sock_free(struct net_udp_sock *s);

/* Steer the SO_REUSEPORT group of s (n sockets, bound in worker order) by
 * client address: net_steer_attach (steer.h). Returns 0 or its errno. */
int net_udp_sock_steer(struct net_udp_sock *s, unsigned n);

/* Is s bound to 0.0.0.0 or ::? (Its packets then carry pkt->local from
 * IP_PKTINFO, and replies should name their source address.) */
bool net_udp_sock_wildcard(const struct net_udp_sock *s);
/* The address s is bound to. */
const struct sa *net_udp_sock_addr(const struct net_udp_sock *s);

/*
 * Queue one datagram from s to `to`. src, used only on a wildcard socket,
 * is the source address to send from (the destination of the request);
 * NULL lets the kernel choose. buf is copied. A datagram larger than
 * NET_UDP_SLOT is sent at once instead of queued. Returns 0, or the errno
 * of a failed immediate send (counted in udp_tx_fail either way).
 */
int net_udp_send(struct net_udp_sock *s, const struct sa *to,
		 const struct sa *src, const uint8_t *buf, size_t len);

/*
 * The send side shared by every UDP socket of a worker (listeners, DTLS
 * sockets, relay sockets): a datagram is queued into io's batch and leaves
 * with the socket's other queued datagrams in one sendmmsg at the flush. A
 * socket that wants to queue embeds a `struct net_udp_tx`; it is net-layer
 * private (relay.c uses it), not an API for ternd.
 */
struct net_udp_tx {
	int fd;
	struct sa addr;	     /* bound address, for logs and the wildcard test */
	bool wildcard;	     /* replies name their source (IP_PKTINFO) */
	unsigned n;	     /* datagrams queued */
	unsigned head, tail; /* chain of io entries (indices), when n > 0 */
};

/* Set up t for the socket fd bound to addr (nothing queued). */
void net_udp_tx_init(struct net_udp_tx *t, int fd, const struct sa *addr);

/*
 * Queue one datagram from t's socket to `to` (src: as for net_udp_send).
 * With `copy` buf is copied into io's arena; without it buf is referenced
 * and must stay unchanged until io is flushed: only a caller handling
 * data read into receive slots placed with net_udp_io_rx_start (io's own
 * or a relay set's) may pass false. Returns
 * 0 or the errno of an immediate send (datagrams over NET_UDP_SLOT).
 */
int net_udp_tx_queue(struct net_udp_io *io, struct net_udp_tx *t,
		     const struct sa *to, const struct sa *src,
		     const uint8_t *buf, size_t len, bool copy);

/* Before t's socket closes: send what it has queued (flushes io). */
void net_udp_tx_done(struct net_udp_io *io, struct net_udp_tx *t);

/*
 * Where the next read of up to `want` datagrams may go in a receive area
 * of `cap` slots whose first free slot is *next: queued datagrams may
 * reference slots below *next (net_udp_tx_queue without copy). With
 * nothing queued the area starts again at 0; without room for `want`
 * slots, io is flushed first. Returns the first slot (also in *next); the
 * caller advances *next past the slots it filled.
 */
unsigned net_udp_io_rx_start(struct net_udp_io *io, unsigned *next,
			     unsigned want, unsigned cap);

/*
 * A receive area of the net layer: the listeners of a worker share io's,
 * its relay sockets the relay set's. cap slots whose headers (name, one
 * iovec into the slot) the owner wires once; a read takes `batch` slots
 * placed by net_udp_io_rx_start, so cap is room for the batches read
 * before a flush. Net-layer private like net_udp_tx.
 */
struct net_udp_rx {
	struct mmsghdr *msg; /* cap headers */
	uint8_t *ctl;	     /* cap control buffers for IP_PKTINFO, or NULL */
	unsigned cap;	     /* slots */
	unsigned batch;	     /* datagrams per recvmmsg */
	unsigned rounds;     /* recvmmsg calls per wakeup at most */
	unsigned next;	     /* first slot the send queue does not use */
	const char *what;    /* "UDP", "relay": names the area in logs */
};

/* Take the n datagrams just read into slots first..first+n-1 of the area.
 * Returns false to stop reading (the socket was closed meanwhile). */
typedef bool (*net_udp_rx_fn)(void *arg, unsigned first, unsigned n);

/*
 * The one receive loop of the net layer: drain fd into rx with up to
 * rx->rounds recvmmsg calls of rx->batch datagrams, each into slots
 * nothing queued references (net_udp_io_rx_start), each batch handed to
 * fn(arg, ...) before the next read. Stops at a short batch, at an error
 * (counted in udp_rx_err, logged rate-limited) or when fn returns false.
 * With pktinfo (a wildcard socket) the slots receive IP_PKTINFO in
 * rx->ctl. rx and fn's arg are borrowed.
 */
void net_udp_rx_drain(struct net_udp_io *io, struct net_udp_rx *rx, int fd,
		      bool pktinfo, net_udp_rx_fn fn, void *arg);

/* The worker's environment of io (borrowed). */
struct net_env *net_udp_io_env(const struct net_udp_io *io);

/* net_udp_send without the copy: buf must stay unchanged until io is
 * flushed (see net_udp_tx_queue). */
int net_udp_send_ref(struct net_udp_sock *s, const struct sa *to,
		     const struct sa *src, const uint8_t *buf, size_t len);

/*
 * Create a non-blocking, close-on-exec socket of `type` (SOCK_DGRAM or
 * SOCK_STREAM) bound to addr with SO_REUSEPORT (and, for IPv6,
 * IPV6_V6ONLY); a stream socket also listens. With `probe`, see
 * net_udp_sock_alloc. Sets *fdp and returns 0, or returns an errno. Shared
 * by the stream listeners.
 */
int net_sock_bind(int *fdp, int type, const struct sa *addr, bool probe);

/* Is a the unspecified address (0.0.0.0 or ::)? */
bool net_sa_is_wildcard(const struct sa *a);

#endif
