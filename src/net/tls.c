/* tls.c — TLS server context; see tls.h. */
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

int net_tls_ctx_load(SSL_CTX *ctx, const struct net_tls_opts *o, char *err,
		     size_t errlen)
{
	char e[256];

	if (!o->cert || !o->key) {
		snprintf(err, errlen, "TLS needs a certificate and a key");
		return EINVAL;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, o->cert) != 1) {
		snprintf(err, errlen, "cannot load TLS certificate %s: %s",
			 o->cert, net_tls_errstr(e, sizeof(e)));
		return EINVAL;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, o->key, SSL_FILETYPE_PEM) != 1) {
		snprintf(err, errlen, "cannot load TLS key %s: %s", o->key,
			 net_tls_errstr(e, sizeof(e)));
		return EINVAL;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(err, errlen, "TLS key %s does not match %s: %s",
			 o->key, o->cert, net_tls_errstr(e, sizeof(e)));
		return EINVAL;
	}
	if (o->ciphers && SSL_CTX_set_cipher_list(ctx, o->ciphers) != 1) {
		snprintf(err, errlen, "bad TLS cipher list \"%s\": %s",
			 o->ciphers, net_tls_errstr(e, sizeof(e)));
		return EINVAL;
	}
	SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
	return 0;
}

int net_tls_ctx_alloc(SSL_CTX **ctxp, const struct net_tls_opts *o, char *err,
		      size_t errlen)
{
	SSL_CTX *ctx;
	char e[256];
	int rc = ENOMEM;

	ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		snprintf(err, errlen, "cannot create TLS context: %s",
			 net_tls_errstr(e, sizeof(e)));
		goto out;
	}
	SSL_CTX_set_min_proto_version(ctx, o->min_13 ? TLS1_3_VERSION
						     : TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
				     SSL_OP_CIPHER_SERVER_PREFERENCE |
				     SSL_OP_NO_COMPRESSION);
	/* idle connections hold no read/write buffers: a TURN server keeps
	 * many quiet TLS connections */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	rc = net_tls_ctx_load(ctx, o, err, errlen);
	if (rc)
		goto out;
	*ctxp = ctx;
	ctx = NULL;
out:
	SSL_CTX_free(ctx);
	return rc;
}
