/*
 * tls.h — the server-side SSL_CTX for TLS over TCP (RFC 8489 §6.2.3,
 * RFC 8656 §3.1) and DTLS (net/dtls.h adds its cookies), built by one
 * constructor that the configuration's check of the TLS files uses too.
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
	bool min_13;	     /* refuse TLS 1.2 (TLS only: OpenSSL 3.0 has no
				DTLS 1.3) */
};

/* What a context serves. */
enum net_tls_proto {
	NET_TLS_TCP,  /* TLS over TCP: TLS 1.2 (or 1.3 with min_13) and up */
	NET_TLS_DTLS, /* DTLS over UDP: DTLS 1.2 and up */
};

/* The part of the options a failed net_tls_ctx_new could not use. */
enum net_tls_step {
	NET_TLS_STEP_CTX,     /* SSL_CTX_new failed (out of memory) */
	NET_TLS_STEP_CERT,    /* cert is no PEM certificate chain */
	NET_TLS_STEP_KEY,     /* key is no unencrypted PEM private key (or,
				 by the queued reason, not cert's key) */
	NET_TLS_STEP_PAIR,    /* key does not belong to cert */
	NET_TLS_STEP_CIPHERS, /* ciphers selects no cipher */
};

/*
 * The one constructor of server contexts, for the TLS and DTLS listeners and
 * for the configuration's check of the TLS files: protocol versions of
 * proto, no renegotiation, no compression, the server's cipher preference,
 * for TLS no buffers held by idle connections; then certificate chain and
 * key (checked to match; an encrypted key is refused, never prompted for),
 * the cipher list, and the RFC 7443 ALPN selection: "stun.turn" or
 * "stun.nat-discovery" is selected when the client offers it; a client
 * offering neither, or no ALPN, is served all the same. With cert and key
 * both NULL no key pair is loaded (a context to try a cipher list on).
 * Sets *ctxp (free with SSL_CTX_free) and returns 0. On failure returns
 * ENOMEM or EINVAL, sets *failed to the step that failed and leaves the
 * reason in OpenSSL's error queue of this thread, for the caller to word
 * and then clear.
 */
int net_tls_ctx_new(SSL_CTX **ctxp, enum net_tls_proto proto,
		    const struct net_tls_opts *o, enum net_tls_step *failed);

/*
 * net_tls_ctx_new with cert and key required and a failure as one line in
 * err ("cannot load TLS key /etc/x.pem: ..."), the error queue emptied.
 * Returns 0, EINVAL or ENOMEM.
 */
int net_tls_ctx_new_err(SSL_CTX **ctxp, enum net_tls_proto proto,
			const struct net_tls_opts *o, char *err, size_t errlen);

/* The TLS listeners' context: net_tls_ctx_new_err with NET_TLS_TCP. */
int net_tls_ctx_alloc(SSL_CTX **ctxp, const struct net_tls_opts *o, char *err,
		      size_t errlen);

/* The oldest queued OpenSSL error of this thread as text, then clear the
 * queue (OpenSSL's error queue is per thread and must not pile up).
 * Returns buf. */
const char *net_tls_errstr(char *buf, size_t size);

#endif
