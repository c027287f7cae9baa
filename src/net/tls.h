/*
 * tls.h — the server-side SSL_CTX for TLS over TCP (RFC 8489 §6.2.3,
 * RFC 8656 §3.1), and the certificate loading DTLS shares.
 *
 * The context is built from the configuration and shared read-only by
 * every worker (OpenSSL 3 allows SSL_new on one SSL_CTX from many threads).
 * A reload builds a new one and each worker switches its listeners to it
 * on its own thread (net_stream_listener_set_tls, net_dtls_worker_set_ctx);
 * connections keep the context they started with, which OpenSSL's
 * reference count keeps alive until the last of them ends.
 */
#ifndef TERN_NET_TLS_H
#define TERN_NET_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

struct net_tls_opts {
	const char *cert;    /* PEM certificate chain file */
	const char *key;     /* PEM private key file */
	const char *ciphers; /* TLS 1.2 cipher list, NULL = OpenSSL default */
	bool min_13;	     /* refuse TLS 1.2 */
};

/*
 * Build the TLS server context: certificate chain and key (checked to
 * match), TLS 1.2 or 1.3 at least, no renegotiation, and RFC 7443 ALPN:
 * "stun.turn" or "stun.nat-discovery" is selected when the client offers
 * it; a client offering neither, or no ALPN, is served all the same.
 * Sets *ctxp (free with SSL_CTX_free) and returns 0, or returns EINVAL with
 * one line in err ("cannot load TLS key /etc/x.pem: ...").
 */
int net_tls_ctx_alloc(SSL_CTX **ctxp, const struct net_tls_opts *o, char *err,
		      size_t errlen);

/* Load certificate chain, key and cipher list of o into ctx (TLS or DTLS)
 * and install the RFC 7443 ALPN selection. Returns 0 or EINVAL with one
 * line in err. */
int net_tls_ctx_load(SSL_CTX *ctx, const struct net_tls_opts *o, char *err,
		     size_t errlen);

/* The oldest queued OpenSSL error of this thread as text, then clear the
 * queue (OpenSSL's error queue is per thread and must not pile up).
 * Returns buf. */
const char *net_tls_errstr(char *buf, size_t size);

#endif
