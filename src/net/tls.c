/* tls.c — TLS and DTLS server contexts; see tls.h. */
#include "net/tls.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

const char *net_tls_errstr(char *buf, size_t size)
{
	unsigned long e = ERR_get_error();

	if (size == 0)
		return buf;
	if (e)
		ERR_error_string_n(e, buf, size);
	else
		snprintf(buf, size, "unknown error");
	ERR_clear_error();
	return buf;
}

/* RFC 7443 §4: ALPN identifiers for STUN and TURN over (D)TLS. */
static bool alpn_ours(const unsigned char *p, unsigned n)
{
	static const char turn[] = "stun.turn";
	static const char nat[] = "stun.nat-discovery";

	return (n == sizeof(turn) - 1 && memcmp(p, turn, n) == 0) ||
	       (n == sizeof(nat) - 1 && memcmp(p, nat, n) == 0);
}

/* Pick one of ours from the client's list; no match is not an error: the
 * handshake goes on without ALPN. */
static int alpn_select(SSL *ssl, const unsigned char **out,
		       unsigned char *outlen, const unsigned char *in,
		       unsigned int inlen, void *arg)
{
	unsigned i = 0;

	(void)ssl;
	(void)arg;
	while (i < inlen) {
		unsigned n = in[i];

		if (n == 0 || n > inlen - i - 1)
			break;
		if (alpn_ours(in + i + 1, n)) {
			*out = in + i + 1;
			*outlen = (unsigned char)n;
			return SSL_TLSEXT_ERR_OK;
		}
		i += 1 + n;
	}
	return SSL_TLSEXT_ERR_NOACK;
}

/* A key on disk must not make OpenSSL prompt on the terminal. */
static int no_passphrase(char *buf, int size, int rw, void *u)
{
	(void)buf;
	(void)size;
	(void)rw;
	(void)u;
	return -1;
}

static void set_protocol(SSL_CTX *ctx, enum net_tls_proto proto, bool min_13)
{
	if (proto == NET_TLS_DTLS)
		SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION);
	else
		SSL_CTX_set_min_proto_version(ctx, min_13 ? TLS1_3_VERSION
							  : TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
				     SSL_OP_CIPHER_SERVER_PREFERENCE |
				     SSL_OP_NO_COMPRESSION);
	/* idle connections hold no read/write buffers: a TURN server keeps
	 * many quiet TLS connections */
	if (proto == NET_TLS_TCP)
		SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
}

/* Each step starts with an empty error queue, so what is queued after a
 * failure is that step's reason alone. Returns the failed step, or -1. */
static int load(SSL_CTX *ctx, const struct net_tls_opts *o)
{
	SSL_CTX_set_default_passwd_cb(ctx, no_passphrase);
	if (o->cert && o->key) {
		ERR_clear_error();
		if (SSL_CTX_use_certificate_chain_file(ctx, o->cert) != 1)
			return NET_TLS_STEP_CERT;
		if (SSL_CTX_use_PrivateKey_file(ctx, o->key,
						SSL_FILETYPE_PEM) != 1)
			return NET_TLS_STEP_KEY;
		if (SSL_CTX_check_private_key(ctx) != 1)
			return NET_TLS_STEP_PAIR;
	}
	ERR_clear_error();
	if (o->ciphers && SSL_CTX_set_cipher_list(ctx, o->ciphers) != 1)
		return NET_TLS_STEP_CIPHERS;
	return -1;
}

int net_tls_ctx_new(SSL_CTX **ctxp, enum net_tls_proto proto,
		    const struct net_tls_opts *o, enum net_tls_step *failed)
{
	SSL_CTX *ctx;
	int step;

	ctx = SSL_CTX_new(proto == NET_TLS_DTLS ? DTLS_server_method()
						: TLS_server_method());
	if (!ctx) {
		*failed = NET_TLS_STEP_CTX;
		return ENOMEM;
	}
	set_protocol(ctx, proto, o->min_13);
	step = load(ctx, o);
	if (step >= 0) {
		*failed = (enum net_tls_step)step;
		SSL_CTX_free(ctx);
		return EINVAL;
	}
	SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
	*ctxp = ctx;
	return 0;
}

int net_tls_ctx_new_err(SSL_CTX **ctxp, enum net_tls_proto proto,
			const struct net_tls_opts *o, char *err, size_t errlen)
{
	enum net_tls_step step = NET_TLS_STEP_CTX;
	char e[256];
	int rc;

	if (!o->cert || !o->key) {
		snprintf(err, errlen, "TLS needs a certificate and a key");
		return EINVAL;
	}
	rc = net_tls_ctx_new(ctxp, proto, o, &step);
	if (!rc)
		return 0;
	net_tls_errstr(e, sizeof(e));
	switch (step) {
	case NET_TLS_STEP_CTX:
		snprintf(err, errlen, "cannot create %s context: %s",
			 proto == NET_TLS_DTLS ? "DTLS" : "TLS", e);
		break;
	case NET_TLS_STEP_CERT:
		snprintf(err, errlen, "cannot load TLS certificate %s: %s",
			 o->cert, e);
		break;
	case NET_TLS_STEP_KEY:
		snprintf(err, errlen, "cannot load TLS key %s: %s", o->key, e);
		break;
	case NET_TLS_STEP_PAIR:
		snprintf(err, errlen, "TLS key %s does not match %s: %s",
			 o->key, o->cert, e);
		break;
	case NET_TLS_STEP_CIPHERS:
		snprintf(err, errlen, "bad TLS cipher list \"%s\": %s",
			 o->ciphers, e);
		break;
	}
	return rc;
}

int net_tls_ctx_alloc(SSL_CTX **ctxp, const struct net_tls_opts *o, char *err,
		      size_t errlen)
{
	return net_tls_ctx_new_err(ctxp, NET_TLS_TCP, o, err, errlen);
}
