/*
 * net.h — what every part of src/net shares: the per-worker environment, the
 * input callback through which packets leave the net layer, the connection
 * handle through which replies come back, limits shared across workers, and
 * the counters.
 *
 * src/net knows sockets, libevent and OpenSSL; it knows nothing of TURN. A
 * packet goes up through a `net_input_fn` with a `struct net_pkt`; an answer
 * on a stream or DTLS session comes back down through net_conn_send() on the
 * `struct net_conn` the packet carried. UDP answers go through
 * net_udp_send() on a socket (udp.h).
 *
 * Threading: every object here belongs to one worker thread and its
 * event_base, except `struct net_limits`, which all workers share through
 * atomics.
 */
#ifndef TERN_NET_NET_H
#define TERN_NET_NET_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/log.h"
#include "base/sa.h"

struct event_base;

/* A stream connection or a DTLS session, as seen from above. */
struct net_conn;

struct net_conn_ops {
	/* Queue len bytes (one whole STUN or ChannelData message) to the
	 * peer. The callee copies buf. Returns 0, or ENOBUFS when the
	 * message was dropped (output over its cap, session not ready). */
	int (*send)(struct net_conn *c, const uint8_t *buf, size_t len);
};

struct net_conn {
	const struct net_conn_ops *ops;
	/* Set from above (on the connection's worker) once the server has
	 * answered it a successful authenticated request: from then on the
	 * allocate deadline (net_timeouts.alloc_ms) no longer applies. */
	bool authed;
};

static inline int net_conn_send(struct net_conn *c, const uint8_t *buf,
				size_t len)
{
	return c->ops->send(c, buf, len);
}

/* One packet handed up: a UDP datagram, a frame cut from a stream, or the
 * plaintext of one DTLS record. Everything is borrowed for the call. */
struct net_pkt {
	const uint8_t *buf;
	size_t len;
	const struct sa *from;	/* the peer */
	const struct sa *local; /* the local address it arrived at: for a
				   wildcard socket the packet's destination
				   (IP_PKTINFO, getsockname), port included */
	struct net_conn *conn;	/* NULL for plain UDP */
	uint64_t now_ms;	/* clock_mono_ms() of the batch or read */
};

/*
 * Called for every packet. Return 0, or EBADMSG when the input is garbage:
 * a stream connection or DTLS session is then closed (and counted as
 * garbage); for plain UDP the value is ignored.
 */
typedef int (*net_input_fn)(void *arg, const struct net_pkt *pkt);

/*
 * A stream connection or DTLS session is gone (any reason, shutdown
 * included). Called exactly once per connection, from its worker, never
 * while its own input is being handed up; c must not be used after.
 */
typedef void (*net_closed_fn)(void *arg, struct net_conn *c);

/* Slots of the per-address counters (a power of two). */
#define NET_ADDR_SLOTS 4096u

/*
 * Limits over the whole server, shared by every worker. Besides the
 * server-wide caps, TCP + TLS connections and DTLS sessions are each
 * capped per client address (max_per_addr): counters in fixed tables of
 * NET_ADDR_SLOTS, indexed by a keyed hash of the address (an IPv6 address
 * by its /64, an IPv4-mapped one as IPv4). Memory is fixed whatever the
 * number of sources; two addresses that share a slot share the cap.
 * Fill it with net_limits_init (limits.c).
 */
struct net_limits {
	atomic_uint conns;	    /* open TCP + TLS connections */
	unsigned max_conns;	    /* 0 = no limit */
	atomic_uint dtls_sessions;  /* DTLS sessions past the cookie */
	unsigned max_dtls_sessions; /* 0 = no limit */
	unsigned max_per_addr;	    /* per address and kind, 0 = no limit */
	uint32_t addr_seed;	    /* keys the slot hash */
	atomic_uint addr_conns[NET_ADDR_SLOTS];
	atomic_uint addr_dtls[NET_ADDR_SLOTS];
};

/* What a place under the caps is taken for. */
enum net_cap {
	NET_CAP_STREAM, /* a TCP or TLS connection */
	NET_CAP_DTLS,	/* a DTLS session */
};

/* Set the caps (0 = no limit) and draw the slot hash's key; the counters
 * must be zero (a calloc'ed or static struct). Returns 0 or the error of
 * the CSPRNG. */
int net_limits_init(struct net_limits *lim, unsigned max_conns,
		    unsigned max_dtls_sessions, unsigned max_per_addr);

/*
 * Take a place for a connection or session from peer under the
 * server-wide cap of its kind and under its address's. Returns 0 (*slot
 * names the address's counter: hand it back to net_limits_put), EUSERS
 * when the server-wide cap is reached, EDQUOT when the address's is.
 * Thread-safe (atomics).
 */
int net_limits_take(struct net_limits *lim, enum net_cap cap,
		    const struct sa *peer, uint32_t *slot);

/* Give back a place net_limits_take gave. */
void net_limits_put(struct net_limits *lim, enum net_cap cap, uint32_t slot);

struct net_timeouts {
	uint32_t idle_ms;      /* nothing received for this long: close */
	uint32_t frame_ms;     /* a started frame incomplete this long */
	uint32_t handshake_ms; /* TLS / DTLS handshake not done in this */
	/* a connection or DTLS session not authed (net_conn.authed) this
	 * long after it was accepted: close. 0 = no deadline */
	uint32_t alloc_ms;
};

/*
 * Counters of one worker, listed once so that the struct, the pool's sum
 * and any metrics exporter agree: X(name, help). One writer (the worker
 * thread); relay/pool.c copies them out for readers.
 */
#define NET_STATS_FIELDS(X)                                                    \
	/* UDP (plain and DTLS sockets) */                                     \
	X(udp_rx, "datagrams received")                                        \
	X(udp_tx, "datagrams sent")                                            \
	X(udp_tx_fail, "datagrams the kernel refused or that found no socket") \
	X(udp_gso, "datagrams sent in GSO messages (UDP_SEGMENT)")             \
	X(udp_gso_fallback, "GSO sends the kernel refused, sent one by one")   \
	X(udp_rx_runt, "datagrams shorter than 4 bytes, dropped")              \
	X(udp_rx_oversized, "datagrams larger than a receive slot, dropped")   \
	X(udp_rx_err, "recvmmsg errors")                                       \
	/* TCP and TLS */                                                      \
	X(tcp_accepted, "connections accepted")                                \
	X(tcp_refused, "connections refused over max_connections")             \
	X(tcp_refused_addr,                                                    \
	  "connections refused over max_connections_per_address")              \
	X(tcp_closed_peer, "connections closed by the peer (EOF, error)")      \
	X(tcp_closed_idle, "connections closed: idle_timeout")                 \
	X(tcp_closed_frame_timeout, "connections closed: frame_timeout")       \
	X(tcp_closed_garbage, "connections closed: input not STUN")            \
	X(tcp_closed_alloc_timeout,                                            \
	  "connections closed: no authenticated request in allocate_timeout")  \
	X(tcp_out_dropped, "replies dropped: connection output full")          \
	X(tcp_accept_err, "accept() failures (EMFILE, ...)")                   \
	X(tls_handshake_fail, "TLS handshakes failed")                         \
	X(tls_handshake_timeout, "TLS handshakes timed out")                   \
	/* DTLS */                                                             \
	X(dtls_cookies_sent, "DTLS HelloVerifyRequests sent")                  \
	X(dtls_sessions, "DTLS sessions created (cookie verified)")            \
	X(dtls_refused, "DTLS sessions refused over dtls_max_sessions")        \
	X(dtls_refused_addr,                                                   \
	  "DTLS sessions refused over max_connections_per_address")            \
	X(dtls_handshake_fail, "DTLS handshakes failed")                       \
	X(dtls_handshake_timeout, "DTLS handshakes timed out")                 \
	X(dtls_closed_idle, "DTLS sessions closed: idle_timeout")              \
	X(dtls_closed_notify, "DTLS sessions closed by close_notify")          \
	X(dtls_closed_garbage, "DTLS sessions closed: input not STUN")         \
	X(dtls_closed_alloc_timeout, "DTLS sessions closed: no authenticated " \
				     "request in allocate_timeout")            \
	X(dtls_drop_stray,                                                     \
	  "DTLS datagrams from no session, not a ClientHello")                 \
	X(dtls_out_dropped, "DTLS replies dropped: session not ready")         \
	/* TURN relay sockets */                                               \
	X(relay_opened, "relay sockets opened")                                \
	X(relay_closed, "relay sockets closed")                                \
	X(relay_port_busy, "relay sockets not opened: no free port")           \
	X(relay_rx, "datagrams received on relay sockets")                     \
	X(relay_rx_oversized, "relay datagrams larger than a slot, dropped")

struct net_stats {
#define NET_STATS_MEMBER(name, help) uint64_t name;
	NET_STATS_FIELDS(NET_STATS_MEMBER)
#undef NET_STATS_MEMBER
};

/*
 * Per-worker environment, filled by the worker and borrowed by every net
 * object it creates; it must outlive them. The log limiters are the
 * worker's, used only on its thread.
 */
struct net_env {
	struct event_base *base;
	struct net_stats *stats;
	struct net_limits *limits; /* shared */
	struct net_timeouts to;
	unsigned frame_flags;	 /* stun_frame_len_flags() for streams */
	bool udp_gso;		 /* UDP_SEGMENT for runs to one address */
	struct log_limit ll_cap; /* connection / session caps hit */
	struct log_limit ll_err; /* accept, TLS, DTLS errors */
};

/* Size of a UDP receive slot. A STUN message in a 1500-byte Ethernet MTU
 * fits (RFC 8489 §6.2.1 asks for messages under the path MTU); anything
 * larger arrives truncated (MSG_TRUNC) and is dropped as oversized. */
#define NET_UDP_SLOT 2048

/* Most bytes a stream connection may have waiting in its output before
 * replies to it are dropped instead of queued. */
#define NET_STREAM_OUT_MAX (256u * 1024u)

#endif
