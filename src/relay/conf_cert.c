/*
 * conf_cert.c — the TLS files of the configuration (tls.certificate,
 * tls.private_key, tls.ciphers) tried with OpenSSL while loading, so a bad
 * certificate stops the start with its file and line, and not the first
 * handshake.
 */
#include "relay/conf_priv.h"

#include "net/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define GEN_CERT_HINT                                                          \
	"generate one with scripts/gen-cert, or set ports.tls = 0 and "        \
	"ports.dtls = 0"

static int ssl_fail(struct loader *ld, const config_setting_t *s,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- TLS ---------------------------------------------------------------- */

/* The most telling reason in OpenSSL's error queue, which it empties: the
 * last one below the SSL layer, whose own "PEM lib" only says where it gave
 * up. */
static const char *ssl_reason(void)
{
	unsigned long e, last = 0, inner = 0;
	const char *why;

	while ((e = ERR_get_error())) {
		last = e;
		if (ERR_GET_LIB(e) != ERR_LIB_SSL)
			inner = e;
	}
	why = ERR_reason_error_string(inner ? inner : last);
	return why ? why : "no reason given";
}

/* Report an OpenSSL failure with the reason OpenSSL gives. */
static int ssl_fail(struct loader *ld, const config_setting_t *s,
		    const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return conf_fail(ld, s, "%s (OpenSSL: %s)", msg, ssl_reason());
}

static int check_readable(struct loader *ld, const char *name, const char *path)
{
	const config_setting_t *s = conf_src(ld, name);
	int e;

	if (!path)
		return conf_fail(ld, s,
				 "%s is empty, but TLS or DTLS is enabled (%s)",
				 name, GEN_CERT_HINT);
	e = conf_readable_file(path);
	if (e)
		return conf_fail(ld, s, "%s%s: cannot read %s: %s (%s)", name,
				 s ? "" : " (default)", path,
				 conf_file_error(e), GEN_CERT_HINT);
	return 0;
}

/* OpenSSL compares a key with the certificate already loaded for its key
 * type while loading it, and says so with this reason. */
static bool key_mismatch(void)
{
	unsigned long e = ERR_peek_last_error();

	return ERR_GET_LIB(e) == ERR_LIB_X509 &&
	       ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH;
}

/* Word the step net_tls_ctx_new failed at against the setting behind it. */
static int tls_fail(struct loader *ld, enum net_tls_step failed)
{
	const struct ternd_config *c = ld->cfg;

	switch (failed) {
	case NET_TLS_STEP_CTX:
		return conf_nomem(ld);
	case NET_TLS_STEP_CERT:
		return ssl_fail(ld, conf_src(ld, "tls.certificate"),
				"tls.certificate: %s is not a PEM certificate "
				"OpenSSL can use",
				c->tls_cert);
	case NET_TLS_STEP_KEY:
		if (!key_mismatch())
			return ssl_fail(ld, conf_src(ld, "tls.private_key"),
					"tls.private_key: %s is not an "
					"unencrypted PEM private key OpenSSL "
					"can use",
					c->tls_key);
		break;
	case NET_TLS_STEP_PAIR:
		break;
	case NET_TLS_STEP_CIPHERS:
		return ssl_fail(ld, conf_src(ld, "tls.ciphers"),
				"tls.ciphers '%s' selects no cipher this "
				"OpenSSL offers",
				c->tls_ciphers);
	}
	/* A pair is wrong where either half was written. */
	return ssl_fail(ld, conf_src2(ld, "tls.private_key", "tls.certificate"),
			"tls.private_key %s does not belong to tls.certificate "
			"%s",
			c->tls_key, c->tls_cert);
}

/* Try the TLS files on a scratch context made as the listeners' are, so a
 * bad certificate stops the start with its file and line instead of
 * failing every handshake. */
int conf_check_tls(struct loader *ld)
{
	struct ternd_config *c = ld->cfg;
	bool on = c->tls_port || c->dtls_port;
	struct net_tls_opts o;
	enum net_tls_step failed = NET_TLS_STEP_CTX;
	SSL_CTX *ctx = NULL;
	int rc;

	if (!on) {
		free(c->tls_cert);
		free(c->tls_key);
		c->tls_cert = c->tls_key = NULL;
	}
	if (!on && !c->tls_ciphers)
		return 0;
	rc = on ? check_readable(ld, "tls.certificate", c->tls_cert) : 0;
	if (!rc && on)
		rc = check_readable(ld, "tls.private_key", c->tls_key);
	if (rc)
		return rc;
	/* without TLS and DTLS only the cipher list is tried */
	o = (struct net_tls_opts){ .cert = c->tls_cert,
				   .key = c->tls_key,
				   .ciphers = c->tls_ciphers,
				   .min_13 = c->tls_min_13 };
	if (net_tls_ctx_new(&ctx, NET_TLS_TCP, &o, &failed))
		rc = tls_fail(ld, failed);
	SSL_CTX_free(ctx);
	ERR_clear_error();
	return rc;
}
