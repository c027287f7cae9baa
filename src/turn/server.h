/*
 * server.h — the one seam into protocol logic.
 *
 * ternd's event loop (src/net, src/relay) reads a datagram or cuts a frame out
 * of a stream and calls turn_server_input(). The server answers through the
 * `struct turn_out` it was given; it owns no socket, reads no clock (`now` is
 * a parameter) and logs nothing: the caller reads the counters and the
 * verdict and decides what to log, rate-limited. Unit tests and fuzzers call
 * the same seam with bytes.
 *
 * One turn_server per worker thread; it is not shared between threads.
 */
#ifndef TERN_TURN_SERVER_H
#define TERN_TURN_SERVER_H

#include <errno.h> /* the errno values turn_out.relay_open returns */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/store.h"
#include "base/cidr.h"
#include "base/sa.h"

enum turn_transport {
	TURN_TP_UDP = 0,
	TURN_TP_TCP,
	TURN_TP_TLS,
	TURN_TP_DTLS,
	TURN_TP_COUNT
};

const char *turn_transport_name(enum turn_transport tp);

/*
 * The local side a packet came in on. On a server with RFC 5780 configured a
 * UDP listener has three siblings: same address other port, other address
 * same port, other address other port. addr[] is indexed by two bits:
 * bit 0 = alternate port, bit 1 = alternate address; `self` is the index of
 * the socket that received the packet. Without RFC 5780 only addr[self] is
 * set and has_alt is false.
 */
#define TURN_LOCAL_ALT_PORT 0x1u
#define TURN_LOCAL_ALT_ADDR 0x2u
struct turn_local {
	struct sa addr[4];
	unsigned self;
	bool has_alt;
};

/*
 * Buffers handed to the server are borrowed for the call, and what it
 * hands to the send callbacks is borrowed for theirs: the callee copies,
 * unless the buffer carries TURN_BUF_KEPT. That flag is the caller's
 * promise that the bytes stay valid and unchanged until it next flushes
 * its send queues (ternd: a datagram's receive slot lives until the
 * worker's flush, see net_udp_io_rx_start). The server passes it on with
 * what it relays out of such a buffer in place (the payload of a Send
 * indication or ChannelData, a peer's datagram framed in its headroom),
 * so a send callback given TURN_BUF_KEPT may queue a reference to buf
 * until that flush instead of copying it. The server itself keeps no
 * pointer into a buffer after the call.
 */
#define TURN_BUF_KEPT 0x1u

/*
 * One packet handed to the server. Its route back (conn, sock, local) is
 * handed back with every reply to it (turn_out.send), so the caller needs
 * no state of its own to know where a reply goes.
 */
struct turn_in {
	const uint8_t *buf;
	size_t len;
	struct sa from;			/* client's address as seen here */
	const struct turn_local *local; /* where it came in */
	enum turn_transport tp;
	void *conn; /* net layer's handle of the client's TCP/TLS/DTLS session,
		       NULL for plain UDP */
	void *sock; /* net layer's handle of the socket it came in on;
		       opaque to the server */
	unsigned flags; /* TURN_BUF_KEPT: buf outlives the call (above) */
};

/*
 * Room a relay receive buffer keeps before and after the datagram, so that
 * turn_server_relay_input() can write the ChannelData header (4 bytes) or
 * the Data indication header (20-byte STUN header, XOR-PEER-ADDRESS of up to
 * 24 bytes, DATA attribute header of 4) in front of the payload, and the
 * padding to 4 bytes (DATA value, ChannelData on a stream, RFC 8656 §12.5)
 * behind it, without copying the payload:
 *
 *   buf - TURN_HEADROOM        buf               buf + len + TURN_TAILROOM
 *   |<------ headroom -------->|<---- payload --->|<- tailroom ->|
 */
#define TURN_HEADROOM 48
#define TURN_TAILROOM 4

/* relay_open flags. */
#define TURN_RELAY_EVEN_PORT 0x1u /* an even port (RFC 8656 §7.2 EVEN-PORT) */
#define TURN_RELAY_EXACT                                                       \
	0x2u /* exactly the address and port in *bound (the port kept for      \
		a RESERVATION-TOKEN: the even port + 1) */
#define TURN_RELAY_DONT_FRAGMENT                                               \
	0x4u /* set DF on what the relay sends (IP_PMTUDISC_DO,                \
		IPV6_DONTFRAG): DONT-FRAGMENT, RFC 8656 §7.2 */

/*
 * How the server answers the packet being handled. `in` is that packet
 * (borrowed for the call): its conn, sock and local are the route back.
 * `via` is an index into in->local->addr (the receiving socket for an
 * ordinary reply, a sibling for an RFC 5780 CHANGE-REQUEST), and the reply
 * leaves from that address; `to` is the destination. For a stream or DTLS
 * session (in->conn != NULL) both are ignored and the bytes go to that
 * session. buf is the server's own and reused: the callee copies it
 * before it returns.
 */
struct turn_out {
	void (*send)(void *arg, const struct turn_in *in, unsigned via,
		     const struct sa *to, const uint8_t *buf, size_t len);
	void *arg;
};

/*
 * How the server relays (set with turn_server_set_relay_out; without it
 * every Allocate is answered 508). Kept apart from turn_out so that a
 * STUN-only user fills in two fields. The callee copies buf before it
 * returns, unless `flags` has TURN_BUF_KEPT: then it may keep a reference
 * to buf until the caller's next flush (see TURN_BUF_KEPT).
 *
 * send_client: bytes for an allocation's client outside the handling of a
 *   packet from it (Data indications, ChannelData, answers after an
 *   asynchronous credential lookup): from the listener bound to `local`
 *   (the server side of the client's 5-tuple) to `to`, or into `conn` when
 *   it is not NULL.
 * relay_open: open a relay socket of `family` (AF_INET, AF_INET6) on one of
 *   the relay addresses, per `flags`. Datagrams arriving on it are handed to
 *   turn_server_relay_input(srv, ctx, ...) until relay_close; ctx is never
 *   NULL. Sets *handle and *bound (the relay transport address) and returns
 *   0, or EADDRINUSE / EAGAIN when no port is free (the client gets 508),
 *   EAFNOSUPPORT when no relay address of that family exists (440), or
 *   another errno (500). The allocation owns the handle from then on and
 *   closes it exactly once.
 * relay_close: close it; relay_input is never called with its ctx after.
 * relay_send: send buf to peer from the relay socket.
 */
struct turn_relay_out {
	void (*send_client)(void *arg, void *conn, const struct sa *local,
			    const struct sa *to, const uint8_t *buf, size_t len,
			    unsigned flags);
	int (*relay_open)(void *arg, int family, unsigned flags, void *ctx,
			  void **handle, struct sa *bound);
	void (*relay_close)(void *arg, void *handle);
	void (*relay_send)(void *arg, void *handle, const struct sa *peer,
			   const uint8_t *buf, size_t len, unsigned flags);
	void *arg;
};

/* What became of one packet: for counters and for the net layer, which
 * disconnects a stream client whose input is TURN_DROP_MALFORMED. */
enum turn_verdict {
	TURN_ANSWERED = 0,    /* a response or error response was sent */
	TURN_CONSUMED,	      /* accepted, nothing to answer (indication) */
	TURN_DROP_MALFORMED,  /* not a valid STUN/ChannelData message */
	TURN_DROP_UNEXPECTED, /* valid, but not for a server (a response,
				 an unknown indication, a bad class) */
	TURN_DROP_POLICY,     /* valid, refused silently by policy */
	TURN_VERDICT_COUNT
};

const char *turn_verdict_name(enum turn_verdict v);

/* Settings the server reads; the caller keeps them alive and unchanged while
 * the server exists (a reload makes a new server config and swaps it).
 * Zero numbers take the default named beside them. */
/* One address the server binds and the one it announces instead (see
 * turn_server_cfg.advertise). bound unset: every address of pub's family
 * that no other entry names. Ports are ignored. */
struct turn_advert {
	struct sa bound;
	struct sa pub;
};

struct turn_server_cfg {
	const char *software; /* SOFTWARE attribute, NULL for none */
	bool rfc3489;	      /* answer classic (RFC 3489) Binding requests */

	/* TURN. Without a store, TURN methods are answered 400 and only
	 * Binding works. */
	const struct auth_store *store;
	const char *realm; /* REALM (required with a store) */
	bool rest;	   /* usernames are TURN REST ephemeral credentials */
	bool sha256;	   /* offer PASSWORD-ALGORITHMS SHA-256 (RFC 8489
			      §9.2.1); MD5 is always accepted */
	/* Nonce MAC key, shared by every worker (and every server behind one
	 * load balancer); NULL: a random one per server (nonces then stay
	 * valid only on this worker). At least AUTH_NONCE_SECRET_MIN bytes. */
	const uint8_t *nonce_secret;
	size_t nonce_secret_len;
	uint32_t nonce_lifetime_s; /* 600 */
	/* An Allocate is accepted with an authentic nonce up to this long
	 * after it expired: Chromium treats 438 on Allocate as fatal (other
	 * requests get 438). The MESSAGE-INTEGRITY check still needs the
	 * key, so the grace only widens the replay window of an Allocate,
	 * whose replay from another 5-tuple gains the attacker nothing but
	 * a 401-free allocation under the victim's quota. 3600. */
	uint32_t nonce_grace_s;
	uint32_t max_pending; /* concurrent asynchronous lookups: 256 */
	/* 401 challenges per second per client IP address, counted in a
	 * fixed table of hashed buckets (no per-client state before
	 * authentication); beyond rate + burst the request is dropped
	 * (TURN_AUTHF_RATE_LIMITED). 0 = no limit. */
	uint32_t challenge_rate;
	uint32_t challenge_burst; /* 0: equal to the rate */

	uint32_t lifetime_default_s; /* 600 (RFC 8656 §7.2) */
	uint32_t lifetime_max_s;     /* 3600 */
	bool no_ipv4;		     /* relay families this server refuses */
	bool no_ipv6;
	/* Allocation quotas (RFC 8656 §7.2: 508 over max_allocs, 486 over
	 * max_allocs_per_user), counted in `quota`, which every worker's
	 * server shares, so both limits hold for the whole process. NULL:
	 * the server counts in a table of its own. The server keeps the
	 * quota it was created with (a reload's cfg may not change it); the
	 * quota must outlive every server using it. */
	struct turn_quota *quota;
	uint32_t max_allocs;	      /* in total: 0 = no limit */
	uint32_t max_allocs_per_user; /* 0 = no limit */
	uint32_t max_perms_per_alloc; /* 0: 128 */
	/* Channel bindings per allocation: a ChannelBind for a new channel
	 * beyond it is 508, as for permissions. 0: 128 */
	uint32_t max_chans_per_alloc;
	/* Channel numbers 0x4000-0x7FFF (RFC 5766 §11, coturn) rather than
	 * 0x4000-0x4FFF (RFC 8656 §12): ChannelBind accepts them, and a
	 * packet whose first byte is 0x50-0x7F is ChannelData. */
	bool rfc5766_channels;
	uint32_t bandwidth_bps;	  /* bytes/s per allocation, each way
				     summed; 0 = no limit */
	uint32_t bandwidth_burst; /* bucket size in bytes; 0: one second */

	/* Peer policy (RFC 8656 §21.3 "Filtering"): the built-in deny list
	 * (turn/policy.c), then these. allow wins over both deny lists,
	 * only for what it lists. self lists the server's own listener (and
	 * relay) transport addresses; port 0 means the whole address. Never
	 * relayed to, allow or not. */
	const struct cidr_set *peer_allow;
	const struct cidr_set *peer_deny;
	const struct sa *self;
	size_t nself;

	/* Behind 1:1 NAT: XOR-RELAYED-ADDRESS, RESPONSE-ORIGIN and
	 * OTHER-ADDRESS name advertise[i].pub where the server is bound to
	 * advertise[i].bound (same port); the sockets stay on the bound
	 * address. self should list both forms. */
	const struct turn_advert *advertise;
	size_t nadvertise;
};

/* Replace *a by the address cfg->advertise announces for it (port kept);
 * unchanged when none is configured. */
void turn_advertised(const struct turn_server_cfg *cfg, struct sa *a);

/* Why an authentication failed (turn_stats.auth_fail). */
enum turn_auth_fail {
	TURN_AUTHF_CHALLENGE = 0, /* no MESSAGE-INTEGRITY: the normal 401 */
	TURN_AUTHF_BAD_NONCE,	  /* forged, or for another address */
	TURN_AUTHF_STALE_NONCE,	  /* 438 */
	TURN_AUTHF_BAD_REALM,
	TURN_AUTHF_UNKNOWN_USER,
	TURN_AUTHF_BAD_MI,
	TURN_AUTHF_REST_EXPIRED,
	TURN_AUTHF_WRONG_USER,	 /* 441 */
	TURN_AUTHF_STORE_DOWN,	 /* 500 */
	TURN_AUTHF_BUSY,	 /* too many lookups pending: dropped */
	TURN_AUTHF_RATE_LIMITED, /* 401 over limits.challenge_rate: dropped */
	TURN_AUTHF_COUNT
};

/* The reason as a metric label ("bad_nonce"). */
const char *turn_authf_name(enum turn_auth_fail f);

/* The error codes TURN answers, for turn_stats.err_code[]. */
enum turn_err {
	TURN_E300 = 0,
	TURN_E400,
	TURN_E401,
	TURN_E403,
	TURN_E420,
	TURN_E437,
	TURN_E438,
	TURN_E440,
	TURN_E441,
	TURN_E442,
	TURN_E443,
	TURN_E486,
	TURN_E500,
	TURN_E508,
	TURN_E_OTHER,
	TURN_E_COUNT
};
/* The code of an index ("400") for metric labels. */
const char *turn_err_name(enum turn_err e);

/* Allocation histograms (turn_stats.alloc_life_hist, alloc_bytes_hist): the
 * upper bounds of the buckets but the last, which holds everything above;
 * counts are per bucket (not cumulative). */
#define TURN_HIST_N 9
extern const uint64_t turn_hist_life_le_s[TURN_HIST_N - 1];
extern const uint64_t turn_hist_bytes_le[TURN_HIST_N - 1];

/* Counters a worker reads for metrics and logs. */
struct turn_stats {
	uint64_t rx;
	uint64_t verdict[TURN_VERDICT_COUNT];
	uint64_t binding;	  /* Binding success responses */
	uint64_t binding_rfc3489; /* ... of which to classic clients */
	uint64_t err_resp[7];	  /* error responses by class 0..6 (3xx..6xx
				     in [3]..[6]) */
	uint64_t err_code[TURN_E_COUNT];
	uint64_t auth_fail[TURN_AUTHF_COUNT];
	uint64_t auth_ok;
	uint64_t lookups_pending; /* gauge */

	uint64_t allocs_active; /* gauge */
	uint64_t allocs_created;
	uint64_t allocs_expired;
	uint64_t allocs_deleted; /* Refresh with LIFETIME 0 */
	uint64_t allocs_closed;	 /* their stream connection closed */
	uint64_t reservations;	 /* gauge: EVEN-PORT R ports held */
	uint64_t reservations_expired;
	uint64_t perms_active;	  /* gauge */
	uint64_t channels_active; /* gauge */
	/* gauge: live allocations by client transport and relay family
	 * ([0] IPv4, [1] IPv6; a dual-stack allocation counts in both) */
	uint64_t allocs_by_tp[TURN_TP_COUNT][2];
	/* allocations ended (expired, deleted, closed): how long they lived
	 * and how many application bytes they relayed, both ways */
	uint64_t alloc_life_hist[TURN_HIST_N];
	uint64_t alloc_life_sum_ms;
	uint64_t alloc_bytes_hist[TURN_HIST_N];
	uint64_t alloc_bytes_sum;
	uint64_t drain_refused; /* Allocate refused while draining */

	uint64_t quota_user;	 /* 486 */
	uint64_t quota_total;	 /* 508: max_allocs */
	uint64_t quota_ports;	 /* 508: relay_open found no port */
	uint64_t policy_denied;	 /* 403 on CreatePermission / ChannelBind */
	uint64_t policy_dropped; /* Send / ChannelData to a denied peer */

	/* Relayed traffic; bytes are application bytes (no TURN framing). */
	uint64_t to_peer_pkts, to_peer_bytes;
	uint64_t to_client_pkts, to_client_bytes;
	uint64_t drop_no_perm;	 /* no permission for the peer, either way */
	uint64_t drop_no_alloc;	 /* Send / ChannelData without allocation */
	uint64_t drop_no_chan;	 /* ChannelData on an unbound channel */
	uint64_t drop_bandwidth; /* packets over the bandwidth limit */
	uint64_t drop_bandwidth_bytes;
};

struct turn_server;
struct turn_quota; /* turn/quota.h */

/* ---- allocation events: logs, Redis status, anything per allocation ---- */

enum turn_alloc_ev {
	TURN_EV_ALLOC_NEW = 0,
	TURN_EV_ALLOC_REFRESH,
	TURN_EV_ALLOC_END,
};

enum turn_alloc_end {
	TURN_END_EXPIRED = 0, /* its lifetime ran out */
	TURN_END_DELETED,     /* Refresh with LIFETIME 0 */
	TURN_END_CLOSED,      /* its TCP/TLS/DTLS connection closed */
	TURN_END_KILLED,      /* an operator ended it (turn_session_kill) */
};

const char *turn_alloc_end_name(enum turn_alloc_end why);

/* What an event tells; valid during the callback only. */
struct turn_alloc_info {
	uint64_t session; /* unique in the process (see set_session_base) */
	const char *user; /* USERNAME as authenticated, not terminated */
	size_t ulen;
	const char *realm; /* the server's realm, terminated */
	enum turn_transport tp;
	const struct sa *client; /* the client's transport address */
	const struct sa *local;	 /* the server's, that the client reached */
	struct sa relay[2];	 /* relayed transport addresses */
	unsigned nrelay;
	uint32_t lifetime_s;	 /* NEW, REFRESH: as granted */
	enum turn_alloc_end why; /* END */
	uint64_t age_ms;	 /* END: since NEW */
	/* END: application bytes relayed */
	uint64_t to_peer_pkts, to_peer_bytes;
	uint64_t to_client_pkts, to_client_bytes;
};

/* ---- refusals: authentication failures, quotas, peer policy ---- */

enum turn_refusal {
	TURN_REFUSE_AUTH = 0, /* the client's credentials or nonce were wrong
				 (401, 438, 441): what fail2ban counts */
	TURN_REFUSE_SERVER,   /* the server said no: store down (500),
				 quota (486, 508) */
};

/* One refused request, for the log; valid during the callback only. */
struct turn_auth_failure {
	enum turn_refusal kind;
	/* stable: turn_authf_name() ("unknown_user", "bad_integrity",
	 * "stale_nonce", "rest_expired", ...), "quota_user" or
	 * "quota_total" */
	const char *reason;
	const char *user; /* USERNAME as sent: client bytes, not terminated;
			     ulen 0 when there was none */
	size_t ulen;
	enum turn_transport tp;
	const struct sa *client;
};

/* A peer address refused by the policy (403 on CreatePermission or
 * ChannelBind); valid during the callback only. */
struct turn_peer_denial {
	const char *user; /* the allocation's, not terminated */
	size_t ulen;
	enum turn_transport tp;
	const struct sa *client;
	const struct sa *peer; /* as normalised */
	const char *rule;      /* turn_policy_rule(): which rule denied it */
};

/* Called on the server's thread, inside input, relay_input, tick or
 * conn_closed; must not call back into the server. Not called for the
 * allocations turn_server_free releases. Any callback may be NULL. */
struct turn_events {
	void (*alloc)(void *arg, enum turn_alloc_ev ev,
		      const struct turn_alloc_info *info);
	void *arg;
	void (*auth_fail)(void *arg, const struct turn_auth_failure *f);
	void (*peer_denied)(void *arg, const struct turn_peer_denial *d);
};

/* Create a server that answers through *out. cfg and out are borrowed and
 * must outlive the server. Sets *sp on success; returns 0 or ENOMEM. */
int turn_server_alloc(struct turn_server **sp,
		      const struct turn_server_cfg *cfg,
		      const struct turn_out *out);
/* Free the server and everything it owns. Accepts NULL. */
void turn_server_free(struct turn_server *s);

/* Swap in a new configuration (reload). cfg is borrowed as in alloc. */
void turn_server_set_cfg(struct turn_server *s,
			 const struct turn_server_cfg *cfg);

/* After a reload: free every permission and channel whose peer the current
 * peer policy denies (a tightened allow_peers or deny_peers reaches them at
 * once, not when they expire); the data path then drops the peer's packets
 * both ways and a new ChannelBind or CreatePermission is 403. now_ms as in
 * turn_server_input. Returns how many permissions and channels went. */
uint64_t turn_server_prune_policy(struct turn_server *s, uint64_t now_ms);

/*
 * Handle one packet. `in` and its buffer are borrowed for the call only.
 * `now_ms` is the caller's monotonic clock.
 */
enum turn_verdict turn_server_input(struct turn_server *s,
				    const struct turn_in *in, uint64_t now_ms);

const struct turn_stats *turn_server_stats(const struct turn_server *s);

/* Tell the server where allocation events go (copied; NULL: nowhere). */
void turn_server_set_events(struct turn_server *s,
			    const struct turn_events *ev);

/* Session ids are base + 1, base + 2, ...: give each server of a process
 * its own base (worker i: (i + 1) << 48) so ids are unique in it. */
void turn_server_set_session_base(struct turn_server *s, uint64_t base);

/*
 * Drain: while on, a new Allocate (after authentication) is answered 300
 * Try Alternate with ALTERNATE-SERVER `alternate` (RFC 8489 §10), or 508
 * when alternate is NULL or unset; retransmissions, Refresh, permissions,
 * channels and relaying go on. alternate is copied.
 */
void turn_server_set_draining(struct turn_server *s, bool on,
			      const struct sa *alternate);

/* Live allocations of this server (for a drain to know when it is done). */
uint64_t turn_server_allocs(const struct turn_server *s);

/* ---- sessions: what an operator sees of the live allocations ---- */

enum {
	TURN_SESSION_USER_MAX = 128, /* bytes of the username kept */
	TURN_SESSION_PEERS_MAX = 16, /* permissions (channels) listed */
};

/* One live allocation, by value: nothing in it points into the server. */
struct turn_session {
	uint64_t session; /* the id of the allocation's log lines */
	char user[TURN_SESSION_USER_MAX + 1]; /* terminated, maybe cut */
	enum turn_transport tp;
	struct sa client, local;
	struct sa relay[2];
	unsigned nrelay;
	uint64_t age_ms;
	uint64_t expires_in_ms;
	uint64_t to_peer_pkts, to_peer_bytes;
	uint64_t to_client_pkts, to_client_bytes;
	unsigned nperm, nchan;			/* how many it holds */
	unsigned nperm_l, nchan_l;		/* how many are listed below */
	struct sa perm[TURN_SESSION_PEERS_MAX]; /* peer IPs, port 0 */
	struct sa chan_peer[TURN_SESSION_PEERS_MAX];
	uint16_t chan_num[TURN_SESSION_PEERS_MAX];
};

/*
 * Copy the live allocations of user (user NULL: all; ulen its length) into
 * out[0 .. max), as of now_ms. Returns how many match, which may be more
 * than max (only max are copied). out is the caller's.
 */
size_t turn_sessions_list(const struct turn_server *s, const char *user,
			  size_t ulen, struct turn_session *out, size_t max,
			  uint64_t now_ms);

/*
 * End the live allocation with this session id as if its lifetime ran
 * out (TURN_END_KILLED): its relays close, and the client's next Refresh
 * gets 437. Returns 0, or ENOENT when this server holds no such one.
 */
int turn_session_kill(struct turn_server *s, uint64_t session, uint64_t now_ms);

/* End every live allocation of user the same way. Returns how many. */
size_t turn_sessions_kill_user(struct turn_server *s, const char *user,
			       size_t ulen, uint64_t now_ms);

/* Give the server its relay side (copied). All four functions are
 * required; call before the first packet. Returns 0 or EINVAL. */
int turn_server_set_relay_out(struct turn_server *s,
			      const struct turn_relay_out *ro);

/*
 * Tell the server what wall-clock time corresponds to the monotonic now_ms
 * (REST usernames and nonces carry unix seconds). Call at start and
 * whenever the two may have drifted (once a second from the tick is
 * plenty). Before the first call unix time is taken to be now_ms.
 */
void turn_server_set_wallclock(struct turn_server *s, uint64_t now_ms,
			       uint64_t unix_ms);

/*
 * A datagram from `peer` arrived on a relay socket opened with ctx (see
 * turn_out.relay_open). buf[-TURN_HEADROOM .. len + TURN_TAILROOM) must be
 * writable: the server frames the payload in place (ChannelData when a
 * channel is bound to the peer, a Data indication otherwise, RFC 8656
 * §11.6, §12.6) and hands it to send_client. Dropped without a permission
 * for the peer's address (§9), over the bandwidth limit, or when ctx is a
 * reserved port that no allocation has claimed yet. `flags` is
 * TURN_BUF_KEPT when buf (with its head- and tailroom) outlives the call
 * until the caller's next flush, 0 when not; send_client gets the same.
 * Returns TURN_CONSUMED or TURN_DROP_POLICY.
 */
enum turn_verdict turn_server_relay_input(struct turn_server *s, void *ctx,
					  const struct sa *peer, uint8_t *buf,
					  size_t len, unsigned flags,
					  uint64_t now_ms);

/*
 * Bookkeeping: expire allocations (closing their relay handles and freeing
 * their permissions and channels), permissions, channels and unclaimed
 * port reservations whose time has come. Returns the next deadline in the
 * caller's monotonic milliseconds (UINT64_MAX: nothing scheduled). Input
 * calls do the same work first, so a late tick never lets stale state
 * count against a quota.
 */
uint64_t turn_server_tick(struct turn_server *s, uint64_t now_ms);

/*
 * A stream (TCP/TLS) or DTLS session `conn` is gone: free the allocations
 * on it (RFC 8656 §3.1: a TCP allocation lives as long as its connection)
 * and forget lookups pending for it. conn must not be used with the server
 * again.
 */
void turn_server_conn_closed(struct turn_server *s, void *conn);

#endif
