/*
 * dtls.h — STUN and TURN over DTLS (RFC 7350; DTLS 1.2, RFC 6347) on UDP
 * sockets.
 *
 * No per-client state before the client proves it receives at its address
 * (RFC 6347 §4.2.1): a ClientHello from an unknown peer is answered with a
 * HelloVerifyRequest carrying a cookie, HMAC-SHA256(worker secret, peer
 * address and port), computed by one reusable per-worker SSL object. Only a
 * ClientHello that returns a valid cookie creates a session, keyed by the
 * peer's address in the socket's table.
 *
 *   unknown peer: ClientHello ------> HelloVerifyRequest(cookie)  (no state)
 *                 ClientHello+cookie -> session created, handshake goes on
 *   session:      records -> SSL_read -> one STUN/ChannelData message each
 *                 -> net_input_fn(pkt->conn = session)
 *                 net_conn_send(session) -> SSL_write -> datagram(s)
 *
 * Sessions end on close_notify, on a fatal alert, when the handshake is not
 * done within handshake_ms, when nothing arrives for idle_ms, when it has
 * not been marked authed (net_conn.authed) alloc_ms after it was created,
 * and when the input function returns EBADMSG.
 * env->limits->max_dtls_sessions caps them over the whole server, its
 * max_per_addr per client address (a session over it is not created).
 */
#ifndef TERN_NET_DTLS_H
#define TERN_NET_DTLS_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

#include "base/sa.h"
#include "net/net.h"
#include "net/tls.h"
#include "net/udp.h"

struct net_dtls_worker;
struct net_dtls_sock;

/*
 * Build the DTLS server context (DTLS 1.2, certificate, key and ciphers of
 * o; min_13 does not apply: OpenSSL 3.0 has no DTLS 1.3) with the cookie
 * callbacks. Shared read-only by all workers. Sets *ctxp (SSL_CTX_free)
 * and returns 0, or returns EINVAL/ENOMEM with one line in err.
 */
int net_dtls_ctx_alloc(SSL_CTX **ctxp, const struct net_tls_opts *o, char *err,
		       size_t errlen);

/*
 * Per-worker DTLS state: the reusable SSL for cookie exchanges, the cookie
 * secrets (random, rotated every few minutes; the previous one is still
 * accepted) and a plaintext buffer. env and ctx are borrowed and must
 * outlive it. Returns 0, ENOMEM or EIO (no randomness).
 */
int net_dtls_worker_alloc(struct net_dtls_worker **dp, struct net_env *env,
			  SSL_CTX *ctx);
/* Free d; free its sockets first. Accepts NULL. */
void net_dtls_worker_free(struct net_dtls_worker *d);

/*
 * A reload's new DTLS server context (net_dtls_ctx_alloc): cookie
 * exchanges and sessions from now on use it; established sessions keep
 * theirs (an SSL holds a reference to its SSL_CTX). ctx is borrowed as in
 * alloc. Call on the worker's own thread.
 */
void net_dtls_worker_set_ctx(struct net_dtls_worker *d, SSL_CTX *ctx);

/*
 * Bind a DTLS socket on addr through io (see net_udp_sock_alloc: probe,
 * SO_REUSEPORT, wildcard replies from the request's destination).
 * Decrypted messages go to fn(arg, pkt); the end of every session that was
 * created goes to closed(arg, session) (may be NULL). d, io are borrowed.
 * Returns 0 or an errno.
 */
int net_dtls_sock_alloc(struct net_dtls_sock **sp, struct net_dtls_worker *d,
			struct net_udp_io *io, const struct sa *addr,
			bool probe, net_input_fn fn, net_closed_fn closed,
			void *arg);
/* Close every session of s (without counting them, but reporting them to
 * `closed`) and the socket. Accepts NULL. */
void net_dtls_sock_free(struct net_dtls_sock *s);

/* Steer the SO_REUSEPORT group of s by client address, as
 * net_udp_sock_steer. Returns 0 or an errno. */
int net_dtls_sock_steer(struct net_dtls_sock *s, unsigned n);

#endif
