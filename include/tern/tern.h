/*
 * tern/tern.h — libtern, the tern STUN/TURN client library.
 *
 *   #include <tern/tern.h>        cc ... $(pkg-config --cflags --libs tern)
 *
 * One `struct tern_client` talks to one STUN/TURN server over UDP, TCP or
 * TLS-over-TCP, on an event_base the caller owns and runs (libevent 2.1).
 * Everything happens from that loop: no thread is started, no call blocks
 * except the name lookup in tern_client_alloc (getaddrinfo).
 *
 *   caller                    libtern                       server
 *   tern_client_alloc ------> socket / connect / TLS ------>
 *   tern_binding      ------> Binding request (retransmitted on UDP) -->
 *                     <------ cb(arg, 0, &result) <-------- success
 *   tern_allocate     ------> Allocate, 401, Allocate+MI ->
 *                     <------ on_allocated(arg, 0, &info)
 *   tern_alloc_permit ------> CreatePermission (refreshed every 240 s)
 *   tern_alloc_bind   ------> ChannelBind (refreshed every 540 s)
 *   tern_alloc_send   ------> ChannelData, or a Send indication
 *                     <------ on_recv(arg, peer, data, len)
 *   tern_alloc_release -----> Refresh LIFETIME=0
 *
 * Conventions:
 *  - Functions return 0 or a positive errno value. Completion callbacks get
 *    `err`: 0 on success; ETIMEDOUT (no answer within the timeout),
 *    EPROTO (the server answered with a STUN error response: `code` and
 *    `reason` say which), EACCES (authentication failed after a retry:
 *    `code` is 401 or 438), ECONNREFUSED / ECONNRESET / EPIPE (the stream
 *    is gone), EHOSTUNREACH or other socket errors (UDP: an ICMP error),
 *    EBADMSG (a success response lacking a mandatory attribute),
 *    ECANCELED (the client or allocation is being freed: never delivered
 *    through a callback, see tern_client_free).
 *  - `reason` strings passed to callbacks are NUL-terminated and valid only
 *    during the callback; copy what you keep. They are never NULL.
 *  - Addresses are plain sockaddrs (sockaddr_in / sockaddr_in6) stored in
 *    `struct sockaddr_storage`; an unset address has ss_family AF_UNSPEC.
 *  - Structs named `*_opts`, `tern_server`, `tern_creds` are read during the
 *    call only (strings are copied); zero-initialise them and set what you
 *    need: every zero field means "the default".
 *  - Callbacks may call any libtern function, including the free functions
 *    of the object that called them.
 */
#ifndef TERN_TERN_H
#define TERN_TERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

struct event_base;
struct ssl_st;	/* OpenSSL SSL */
struct x509_st; /* OpenSSL X509 */
struct tern_client;
struct tern_alloc;

/* Library version, "0.1.0". */
const char *tern_version(void);

/* ---- servers and clients ---------------------------------------------- */

enum tern_transport {
	TERN_UDP = 0,
	TERN_TCP = 1,
	TERN_TLS = 2, /* TLS over TCP ("stuns:", "turns:") */
};

/* Where the server is, and how to reach it. */
struct tern_server {
	/* Numeric IPv4 / IPv6 address or a host name (resolved once, with
	 * getaddrinfo, in tern_client_alloc). */
	const char *host_or_ip;
	/* 0: 3478 for UDP and TCP, 5349 for TLS (RFC 8489 §9). */
	uint16_t port;
	enum tern_transport tp;
	/* AF_UNSPEC (0): the first address the resolver gives; AF_INET or
	 * AF_INET6 to pick one family. */
	int family;
	/* TLS only. Name sent as SNI and checked against the certificate;
	 * NULL: host_or_ip when it is a name, none when it is an address
	 * (an address is then checked against the certificate's IP SANs). */
	const char *sni;
	/* TLS only. PEM file of trusted CAs; NULL: the system's default
	 * trust store. */
	const char *ca_file;
	/* TLS only. Do not verify the certificate (the handshake still
	 * happens; tern_client_verify_result tells what verification would
	 * have said). */
	bool insecure;
	/* TLS only. ALPN protocol to offer, e.g. "stun.turn" (RFC 7443);
	 * NULL: no ALPN extension. */
	const char *alpn;
};

/*
 * Connection outcome for TCP and TLS: err 0 when the connection (and the
 * TLS handshake) is up; otherwise ECONNREFUSED, ETIMEDOUT,
 * EPROTO (TLS handshake failure; reason carries OpenSSL's text, e.g.
 * "certificate verify failed: self-signed certificate"), ECONNRESET, ...
 * with a readable reason. Also called, with an error, when an established
 * stream later breaks (then every pending transaction fails with that
 * error too). Never called for UDP.
 */
typedef void (*tern_connect_cb)(void *arg, int err, const char *reason);

struct tern_client_opts {
	/* UDP retransmission (RFC 8489 §6.2.1): initial RTO, 0: 500 ms;
	 * Rc, the most requests sent, 0: 7; Rm, the last wait in RTOs,
	 * 0: 16. With the defaults a transaction gives up after 39.5 s. */
	unsigned rto_ms;
	unsigned rc;
	unsigned rm;
	/* Cap on one transaction's life, any transport; 0: 39500 ms (on UDP
	 * the RTO schedule ends it earlier when shorter). On TCP and TLS a
	 * request is sent once and fails after this long. */
	unsigned timeout_ms;
	/* TCP connect plus TLS handshake; 0: 10000 ms. */
	unsigned connect_timeout_ms;
	/* SOFTWARE attribute sent in requests (NULL: none). */
	const char *software;
	/* Do not add FINGERPRINT to requests (it is added by default; a
	 * received FINGERPRINT is always checked). */
	bool no_fingerprint;
	/* TCP/TLS connection outcome (may be NULL); arg is on_connect_arg. */
	tern_connect_cb on_connect;
	void *on_connect_arg;
};

/*
 * Create a client for srv on base and start connecting (TCP, TLS); requests
 * made before the connection is up are queued and sent when it is.
 * opts may be NULL (all defaults). base is borrowed and must outlive the
 * client; srv and opts are copied. *cp is set only on success; the caller
 * owns the client and frees it with tern_client_free.
 * Returns 0, EINVAL (bad argument), ENOENT (name did not resolve),
 * ENOMEM, or a socket errno (UDP socket/connect; for TCP and TLS connect
 * errors arrive through on_connect).
 */
int tern_client_alloc(struct tern_client **cp, struct event_base *base,
		      const struct tern_server *srv,
		      const struct tern_client_opts *opts);

/*
 * Close the connection and free the client with its allocations and
 * pending transactions. No callback is called from here or later (pending
 * ones are dropped). Any struct tern_alloc of this client becomes invalid.
 * Accepts NULL. Safe to call from a callback of this client.
 * Over TCP and TLS libevent finishes freeing the connection from a deferred
 * callback on base: a program that then frees base runs it once first
 * (event_base_loop(base, EVLOOP_NONBLOCK)), or that memory is lost.
 */
void tern_client_free(struct tern_client *c);

/* Is the connection up (always true for UDP once allocated)? */
bool tern_client_connected(const struct tern_client *c);

/* The server's address (resolved), and the local address of the socket.
 * Return 0, or ENOTCONN when not known yet (TCP before connecting). */
int tern_client_server_addr(const struct tern_client *c,
			    struct sockaddr_storage *out);
int tern_client_local_addr(const struct tern_client *c,
			   struct sockaddr_storage *out);

/*
 * TLS only, after on_connect reported success:
 *  - tern_client_peer_cert: the server's leaf certificate, borrowed (valid
 *    until tern_client_free; X509_up_ref it to keep it longer), or NULL;
 *  - tern_client_ssl: the OpenSSL connection, borrowed, for anything else
 *    (SSL_get_peer_cert_chain, SSL_get_version, SSL_get_cipher_name); do
 *    not read from or write to it;
 *  - tern_client_alpn: the negotiated ALPN protocol, NUL-terminated,
 *    borrowed, or NULL when none was negotiated;
 *  - tern_client_verify_result: OpenSSL's X509_V_OK (0) or X509_V_ERR_*
 *    (meaningful with srv->insecure too); -1 when not TLS or not yet done.
 */
struct x509_st *tern_client_peer_cert(const struct tern_client *c);
struct ssl_st *tern_client_ssl(const struct tern_client *c);
const char *tern_client_alpn(const struct tern_client *c);
long tern_client_verify_result(const struct tern_client *c);

/* ---- STUN Binding (RFC 8489, RFC 5780) -------------------------------- */

struct tern_binding_result {
	uint16_t code;	    /* STUN error code when err is EPROTO, else 0 */
	const char *reason; /* error text, "" on success */
	/* XOR-MAPPED-ADDRESS, or MAPPED-ADDRESS when only that came. */
	struct sockaddr_storage mapped;
	bool xor_mapped;	       /* mapped came from XOR-MAPPED-ADDRESS */
	struct sockaddr_storage other; /* OTHER-ADDRESS (RFC 5780) */
	struct sockaddr_storage origin; /* RESPONSE-ORIGIN (RFC 5780) */
	struct sockaddr_storage source; /* where the response came from */
	const char *software;		/* SOFTWARE, or NULL */
	unsigned rtt_ms;		/* request (last retransmission)
					   to response */
	unsigned sends;			/* requests sent, retransmissions
					   included */
};

/* err 0 or as in the conventions above; r is never NULL. */
typedef void (*tern_binding_cb)(void *arg, int err,
				const struct tern_binding_result *r);

/*
 * Send a Binding request, with CHANGE-REQUEST when change_flags is not 0
 * (RFC 5780 §7.2: TERN_CHANGE_IP 0x4, TERN_CHANGE_PORT 0x2). cb is called
 * exactly once (unless the client is freed first). cb and arg are kept.
 * Returns 0, EINVAL, ENOMEM or EIO (no randomness for the transaction id).
 */
#define TERN_CHANGE_IP	 0x4u
#define TERN_CHANGE_PORT 0x2u
int tern_binding(struct tern_client *c, uint32_t change_flags,
		 tern_binding_cb cb, void *arg);

/* ---- TURN (RFC 8656) --------------------------------------------------- */

/* Long-term credentials (RFC 8489 §9.2). */
struct tern_creds {
	const char *username;
	const char *password;
	/* NULL: learnt from the server's 401 (the usual case). A realm
	 * given here is only a check: a 401 naming another realm fails
	 * with EACCES. */
	const char *realm;
};

struct tern_alloc_opts {
	/* AF_INET (0 means AF_INET, no attribute sent) or AF_INET6
	 * (REQUESTED-ADDRESS-FAMILY, RFC 8656 §18.6). */
	int family;
	/* LIFETIME asked for, seconds; 0: none sent (server default). */
	uint32_t lifetime;
	/* DONT-FRAGMENT (RFC 8656 §18.9). */
	bool dont_fragment;
	/* Do not refresh the allocation, permissions or channels
	 * automatically (the caller lets them expire, e.g. a probe). */
	bool no_refresh;
	/* Use SHA-256 long-term keys when the server offers
	 * PASSWORD-ALGORITHMS with SHA-256 (RFC 8489 §9.2.4); MD5 otherwise. */
	bool prefer_sha256;
	/* Refresh intervals of permissions and channels, milliseconds;
	 * 0: 240000 (permissions last 300 s) and 540000 (channels last
	 * 600 s). Shorter values are for tests. */
	unsigned perm_refresh_ms;
	unsigned chan_refresh_ms;
};

struct tern_alloc_info {
	uint16_t code;	    /* STUN error code when err is EPROTO/EACCES */
	const char *reason; /* error text, "" on success */
	struct sockaddr_storage relayed; /* XOR-RELAYED-ADDRESS */
	struct sockaddr_storage mapped;	 /* XOR-MAPPED-ADDRESS */
	uint32_t lifetime;		 /* LIFETIME granted, seconds */
	const char *realm;		 /* the realm used, or "" */
	const char *software;		 /* SOFTWARE of the server, or NULL */
	unsigned rtt_ms;		 /* of the final Allocate */
};

/*
 * Allocation outcome: err 0 and info filled once allocated. Called again,
 * with an error, if a later automatic Refresh fails (then the allocation
 * is dead: free it). info is never NULL.
 */
typedef void (*tern_alloc_cb)(void *arg, int err,
			      const struct tern_alloc_info *info);
/* Data from a peer, through a Data indication or ChannelData; data is
 * borrowed for the call. */
typedef void (*tern_recv_cb)(void *arg, const struct sockaddr *peer,
			     const uint8_t *data, size_t len);
/* Outcome of CreatePermission / ChannelBind: called once for the first
 * request, and again (with its error) if a later refresh fails. */
typedef void (*tern_done_cb)(void *arg, int err, uint16_t code,
			     const char *reason);

/*
 * Request an allocation (UDP relay) on the server: Allocate, the 401
 * challenge, Allocate with MESSAGE-INTEGRITY (438 is retried once with the
 * new nonce). On success the allocation is refreshed at lifetime − 60 s
 * (half the lifetime when shorter than 120 s) unless opts->no_refresh.
 * creds and opts are copied (opts may be NULL); on_allocated, on_recv and
 * arg are kept. *ap is set on success (the request is sent; its outcome
 * comes later through on_allocated). The caller owns *ap and ends it with
 * tern_alloc_release or tern_alloc_free. One allocation per client (a
 * second gives EBUSY while the first exists).
 * Returns 0, EINVAL, EBUSY, ENOMEM, EIO.
 */
int tern_allocate(struct tern_alloc **ap, struct tern_client *c,
		  const struct tern_creds *creds,
		  const struct tern_alloc_opts *opts,
		  tern_alloc_cb on_allocated, tern_recv_cb on_recv, void *arg);

/*
 * CreatePermission for peer's IP address (RFC 8656 §9), refreshed every
 * 240 s while the allocation lives (unless no_refresh). cb (may be NULL)
 * is called once with the outcome, and again on a failed refresh. Several
 * calls for the same address share one permission (the later cb replaces
 * the earlier). May be called before the allocation succeeds: it is sent
 * once it does. The peer's port is sent as given (a server ignores it, RFC
 * 8656 §9.1, but may refuse port 0, which names no peer). Returns 0,
 * EINVAL (also for port 0), ENOMEM, ENOSPC (too many permissions).
 */
int tern_alloc_permit(struct tern_alloc *a, const struct sockaddr *peer,
		      tern_done_cb cb, void *arg);

/*
 * ChannelBind peer (address and port) to the next free channel from 0x4000
 * (RFC 8656 §11), refreshed every 540 s. Binding also installs a
 * permission on the server. Once cb reports success, tern_alloc_send to
 * that peer uses ChannelData. Binding a peer again is a no-op that
 * replaces cb. Returns 0, EINVAL, ENOMEM, ENOSPC (channels exhausted).
 */
int tern_alloc_bind(struct tern_alloc *a, const struct sockaddr *peer,
		    tern_done_cb cb, void *arg);

/*
 * Send len bytes to peer through the relay: ChannelData when a channel to
 * peer is bound (padded to 4 bytes on TCP/TLS), else a Send indication
 * (the server drops it unless a permission exists). Fire and forget.
 * Returns 0, ENOTCONN (not allocated yet, or the stream is down), EINVAL,
 * EMSGSIZE (len over 65535 minus headers), ENOBUFS (stream output full),
 * or the errno of send().
 */
int tern_alloc_send(struct tern_alloc *a, const struct sockaddr *peer,
		    const void *buf, size_t len);

/* Counters of one allocation. */
struct tern_alloc_stats {
	uint64_t tx_msgs, tx_bytes;	 /* payload sent (all ways) */
	uint64_t rx_msgs, rx_bytes;	 /* payload received (all ways) */
	uint64_t tx_chdata, tx_send_ind; /* how they were sent */
	uint64_t rx_chdata, rx_data_ind; /* how they arrived */
	uint64_t rx_dropped;		 /* malformed or unknown channel */
	uint64_t refreshes;		 /* successful automatic refreshes */
};

/* Copy the counters into *st. */
void tern_alloc_stats(const struct tern_alloc *a, struct tern_alloc_stats *st);

/* The allocation's current state: relayed and mapped addresses, lifetime
 * left when last refreshed. Returns 0 or ENOTCONN when not allocated. */
int tern_alloc_addrs(const struct tern_alloc *a,
		     struct sockaddr_storage *relayed,
		     struct sockaddr_storage *mapped);

/*
 * Release: send Refresh with LIFETIME 0 (RFC 8656 §7.2; once, not
 * waiting for the answer) when allocated, then free as tern_alloc_free.
 * Accepts NULL.
 */
void tern_alloc_release(struct tern_alloc *a);

/* Free the allocation's client-side state (timers, permissions, channels)
 * without telling the server; no callback is called. Accepts NULL. */
void tern_alloc_free(struct tern_alloc *a);

/* ---- helpers ------------------------------------------------------------ */

/*
 * TURN REST API credentials (coturn use-auth-secret): username
 * "<now + ttl>:<user>" (just "<now + ttl>" when user is NULL or empty),
 * password base64(HMAC-SHA1(secret, username)). now is unix seconds (pass
 * time(NULL)). ubuf / pbuf receive NUL-terminated text; pbuf needs 29
 * bytes. Returns 0, EINVAL, ENOSPC (a buffer too small), ENOMEM.
 */
int tern_rest_credentials(const char *secret, const char *user, uint64_t ttl,
			  uint64_t now, char *ubuf, size_t ulen, char *pbuf,
			  size_t plen);

/* Longest text tern_addr_print writes, NUL included. */
#define TERN_ADDRSTRLEN 64

/* "192.0.2.1:3478" or "[2001:db8::1]:3478" into buf; "-" for an unset
 * address. Returns buf. */
const char *tern_addr_print(const struct sockaddr *sa, char *buf, size_t size);

/* The reason phrase of a STUN error code ("Unauthorized"), or "Error". */
const char *tern_stun_reason(uint16_t code);

#ifdef __cplusplus
}
#endif

#endif
