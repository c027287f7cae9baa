/*
 * relay.h — TURN relay sockets (RFC 8656 §7: the relayed transport
 * address): one UDP socket per allocation and family, bound to one of the
 * configured relay addresses and a port drawn from the CSPRNG.
 *
 * A worker owns one `struct net_relay_set`: the relay addresses, the port
 * range, and the receive slots shared by all its relay sockets. Each slot
 * keeps `headroom` writable bytes before the payload and `tailroom` after
 * it, so the layer above can frame the payload in place (ChannelData or
 * Data indication header in front, padding behind) and queue the framed
 * bytes without a copy:
 *
 *   slot: | headroom | payload (up to NET_RELAY_PAYLOAD) | tailroom |
 *
 *   recvmmsg(batch) on a relay -> fn(ctx, peer, payload) ... -> flush
 *   net_relay_send -> queued in the worker's UDP batch -> sendmmsg
 *
 * The net layer knows nothing of TURN: ctx is opaque, and the headroom is
 * a number the caller passes.
 */
#ifndef TERN_NET_RELAY_H
#define TERN_NET_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/sa.h"
#include "net/net.h"
#include "net/udp.h"

struct net_relay_set;
struct net_relay;

/* Largest datagram a relay receives; larger ones are dropped (counted in
 * relay_rx_oversized). Covers a 9000-byte jumbo frame's payload. */
#define NET_RELAY_PAYLOAD 9216

/* net_relay_open flags. */
#define NET_RELAY_EVEN_PORT                                                    \
	0x1u		     /* an even port, whose port + 1 is in range       \
			      */
#define NET_RELAY_EXACT 0x2u /* exactly *bound (address and port) */
#define NET_RELAY_DONT_FRAGMENT                                                \
	0x4u /* DF on what the relay sends (IP_PMTUDISC_DO, IPV6_DONTFRAG);    \
		without it IPv4 datagrams may be fragmented */

struct net_relay_cfg {
	const struct sa *addrs; /* relay addresses (ports ignored); no
				   wildcards */
	size_t naddrs;
	uint16_t port_min, port_max; /* inclusive, port_min <= port_max */
	size_t headroom, tailroom;   /* bytes kept around each payload */
};

/*
 * A datagram of len bytes from `peer` on the relay opened with ctx.
 * buf[-headroom .. len + tailroom) is writable and stays valid (and must
 * stay unchanged once queued) until the batch ends.
 */
typedef void (*net_relay_input_fn)(void *arg, void *ctx, const struct sa *peer,
				   uint8_t *buf, size_t len, uint64_t now_ms);

/*
 * The relay state of one worker. io is borrowed (sends join its batch and
 * its env gives the event_base and counters); cfg is copied, cfg->addrs
 * too. fn and arg are kept. Returns 0, EINVAL or ENOMEM.
 */
int net_relay_set_alloc(struct net_relay_set **rsp, struct net_udp_io *io,
			const struct net_relay_cfg *cfg, net_relay_input_fn fn,
			void *arg);
/* Free the set; close its relays first. Accepts NULL. */
void net_relay_set_free(struct net_relay_set *rs);

/*
 * Open a relay socket of `family` on one of the set's addresses of that
 * family (the one holding fewest relays of this worker; the next on port
 * exhaustion) and a random port of the range, retried a bounded number of
 * times on EADDRINUSE. With NET_RELAY_EXACT, bind *bound exactly. Sets *rp
 * and *bound and returns 0; or EAFNOSUPPORT (no relay address of that
 * family), EADDRINUSE (no free port found), or the errno of
 * socket/bind. ctx is handed to the input function with every datagram.
 */
int net_relay_open(struct net_relay_set *rs, int family, unsigned flags,
		   void *ctx, struct net_relay **rp, struct sa *bound);

/* Close r (after sending what it has queued). Accepts NULL. */
void net_relay_close(struct net_relay *r);

/*
 * Queue len bytes from r to peer. With copy false, buf must stay unchanged
 * until the batch ends (see net_udp_tx_queue). Returns 0 or an errno of an
 * immediate send.
 */
int net_relay_send(struct net_relay *r, const struct sa *peer,
		   const uint8_t *buf, size_t len, bool copy);

/* How many relays the set holds open now. */
size_t net_relay_set_count(const struct net_relay_set *rs);

#endif
