/* tls.c — the TLS side of a client: context, SNI, certificate checks,
 * ALPN (RFC 7443 "stun.turn"), and readable handshake failures. */
#include "client/priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

static int tls_ctx_new(struct tern_client *c, const struct tern_server *srv)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx)
		return ENOMEM;
	c->ctx = ctx;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (srv->ca_file) {
		if (SSL_CTX_load_verify_locations(ctx, srv->ca_file, NULL) != 1)
			return EINVAL;
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		return EINVAL;
	}
	SSL_CTX_set_verify(
	    ctx, srv->insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
	return 0;
}

/* ALPN wire form: one length byte, then the name. */
static int tls_alpn(SSL *ssl, const char *alpn)
{
	uint8_t wire[256];
	size_t n = strlen(alpn);

	if (n == 0 || n > 255)
		return EINVAL;
	wire[0] = (uint8_t)n;
	memcpy(wire + 1, alpn, n);
	/* SSL_set_alpn_protos returns 0 on success. */
	return SSL_set_alpn_protos(ssl, wire, (unsigned)n + 1) == 0 ? 0
								    : ENOMEM;
}

/* SNI and the name the certificate must carry: the name when given or
 * when host is a name; an address is checked against IP SANs and sent no
 * SNI (RFC 6066 §3 forbids literal addresses there). */
static int tls_names(SSL *ssl, const struct tern_server *srv, const char *host)
{
	const char *name = srv->sni ? srv->sni : host;
	struct sa tmp;

	if (!srv->sni && sa_set_str(&tmp, host, 0) == 0) {
		X509_VERIFY_PARAM *p = SSL_get0_param(ssl);
		return X509_VERIFY_PARAM_set1_ip_asc(p, host) == 1 ? 0 : EINVAL;
	}
	if (SSL_set_tlsext_host_name(ssl, name) != 1)
		return EINVAL;
	return SSL_set1_host(ssl, name) == 1 ? 0 : ENOMEM;
}

int client_tls_new(struct tern_client *c, const struct tern_server *srv,
		   const char *host, SSL **sslp)
{
	SSL *ssl = NULL;
	int err;

	err = tls_ctx_new(c, srv);
	if (err)
		goto out;
	ssl = SSL_new(c->ctx);
	if (!ssl) {
		err = ENOMEM;
		goto out;
	}
	err = tls_names(ssl, srv, host);
	if (!err && srv->alpn)
		err = tls_alpn(ssl, srv->alpn);
out:
	if (err) {
		SSL_free(ssl);
		return err;
	}
	*sslp = ssl;
	return 0;
}

void client_tls_reason(struct tern_client *c, char *buf, size_t size)
{
	long v = c->ssl ? SSL_get_verify_result(c->ssl) : X509_V_OK;
	unsigned long e, last = 0;
	char text[256];
	int serr = EVUTIL_SOCKET_ERROR();

	while ((e = bufferevent_get_openssl_error(c->bev)) != 0)
		last = e;
	if (v != X509_V_OK && !c->connected) {
		c->verify = v;
		snprintf(buf, size, "TLS: certificate verify failed: %s",
			 X509_verify_cert_error_string(v));
		return;
	}
	if (last) {
		ERR_error_string_n(last, text, sizeof(text));
		snprintf(buf, size, "TLS handshake failed: %s", text);
		return;
	}
	if (serr) {
		snprintf(buf, size, "%s", strerror(serr));
		return;
	}
	snprintf(buf, size, "TLS handshake failed (connection closed)");
}

void client_tls_up(struct tern_client *c)
{
	const unsigned char *p = NULL;
	unsigned n = 0;

	c->verify = SSL_get_verify_result(c->ssl);
	SSL_get0_alpn_selected(c->ssl, &p, &n);
	if (p && n) {
		c->alpn_sel = malloc(n + 1);
		if (c->alpn_sel) {
			memcpy(c->alpn_sel, p, n);
			c->alpn_sel[n] = '\0';
		}
	}
}

struct x509_st *tern_client_peer_cert(const struct tern_client *c)
{
	if (!c || !c->ssl || !c->connected)
		return NULL;
	return SSL_get0_peer_certificate(c->ssl);
}

struct ssl_st *tern_client_ssl(const struct tern_client *c)
{
	return c ? c->ssl : NULL;
}

const char *tern_client_alpn(const struct tern_client *c)
{
	return c ? c->alpn_sel : NULL;
}

long tern_client_verify_result(const struct tern_client *c)
{
	return c ? c->verify : -1;
}
