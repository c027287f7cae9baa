/*
 * tls.c — check 8: what a browser would think of the server's TLS.
 *
 * One handshake on its own connection, with verification recorded but not
 * enforced, so that one run reports every problem (an untrusted chain, an
 * expiring certificate, a name mismatch) rather than the first one.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tools/probe/probe.h"

/* Warn this many days before the certificate expires. */
#define EXPIRY_WARN_DAYS 14

/* RFC 7443 §3: the ALPN identifier of STUN and TURN over (D)TLS. */
static const unsigned char alpn_wire[] = "\x09stun.turn";

static int tcp_connect(const struct sa *server, double timeout)
{
	struct timeval tv = {
		.tv_sec = (time_t)timeout,
		.tv_usec =
		    (suseconds_t)((timeout - (double)(time_t)timeout) * 1e6)
	};
	int fd = socket(sa_family(server), SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	/* On Linux SO_SNDTIMEO bounds connect() too. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, &server->u.sa, server->len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool is_ip(const char *host)
{
	unsigned char b[16];

	return inet_pton(AF_INET, host, b) == 1 ||
	       inet_pton(AF_INET6, host, b) == 1;
}

static SSL_CTX *make_ctx(const struct probe_opts *o)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx)
		return NULL;
	if ((o->ca ? SSL_CTX_load_verify_locations(ctx, o->ca, NULL)
		   : SSL_CTX_set_default_verify_paths(ctx)) != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_alpn_protos(ctx, alpn_wire, sizeof(alpn_wire) - 1);
	return ctx;
}

static void check_chain(const struct probe_opts *o, SSL *ssl,
			struct probe_result *r)
{
	long v = SSL_get_verify_result(ssl);

	if (v == X509_V_OK) {
		probe_add(r, "tls-chain", PROBE_OK, NULL,
			  "certificate chain verified against %s",
			  o->ca ? o->ca : "the system trust store");
		return;
	}
	probe_add(r, "tls-chain", PROBE_FAIL,
		  o->ca ? "serve the full chain (certificate then "
			  "intermediates) signed by a CA in --ca"
			: "serve a certificate from a public CA with its "
			  "intermediates; browsers refuse this one (for a "
			  "private CA, test with --ca FILE)",
		  "certificate not trusted: %s",
		  X509_verify_cert_error_string(v));
}

static void check_expiry(X509 *cert, struct probe_result *r)
{
	int days = 0, secs = 0;

	if (!ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(cert))) {
		probe_add(r, "tls-expiry", PROBE_FAIL, NULL,
			  "unreadable notAfter");
		return;
	}
	r->has_tls = true;
	r->tls_days_left = days;
	if (days < 0 || (days == 0 && secs < 0))
		probe_add(r, "tls-expiry", PROBE_FAIL,
			  "renew the certificate and reload the server",
			  "certificate expired %d days ago", -days);
	else if (X509_cmp_current_time(X509_get0_notBefore(cert)) > 0)
		probe_add(r, "tls-expiry", PROBE_FAIL,
			  "check the server's clock and the certificate",
			  "certificate not valid yet");
	else if (days < EXPIRY_WARN_DAYS)
		probe_add(r, "tls-expiry", PROBE_WARN,
			  "renew the certificate soon",
			  "certificate expires in %d days", days);
	else
		probe_add(r, "tls-expiry", PROBE_OK, NULL,
			  "certificate valid for %d more days", days);
}

static void check_name(const struct probe_uri *u, X509 *cert,
		       struct probe_result *r)
{
	int ok = is_ip(u->host) ? X509_check_ip_asc(cert, u->host, 0)
				: X509_check_host(cert, u->host, 0, 0, NULL);

	if (ok == 1)
		probe_add(r, "tls-name", PROBE_OK, NULL,
			  "certificate matches %s", u->host);
	else
		probe_add(r, "tls-name", PROBE_FAIL,
			  "put the name clients use in the URI into the "
			  "certificate's subjectAltName",
			  "certificate does not name %s", u->host);
}

static void check_alpn(SSL *ssl, struct probe_result *r)
{
	const unsigned char *p = NULL;
	unsigned n = 0;

	SSL_get0_alpn_selected(ssl, &p, &n);
	if (n == 0) {
		probe_add(r, "tls-alpn", PROBE_OK, NULL,
			  "offered stun.turn (RFC 7443); server selected none "
			  "(allowed)");
		return;
	}
	snprintf(r->alpn, sizeof(r->alpn), "%.*s", (int)n, (const char *)p);
	probe_add(r, "tls-alpn", PROBE_OK, NULL,
		  "offered stun.turn; server selected %s", r->alpn);
}

/* The handshake's own failure, with what OpenSSL said. */
static void handshake_failed(SSL *ssl, int rc, struct probe_result *r)
{
	char buf[256] = "";
	unsigned long e = ERR_get_error();

	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	else
		snprintf(buf, sizeof(buf), "%s",
			 SSL_get_error(ssl, rc) == SSL_ERROR_SYSCALL
			     ? "connection closed or timed out"
			     : "no detail");
	ERR_clear_error();
	probe_add(r, "tls-handshake", PROBE_FAIL,
		  "is this port a TLS listener, with a certificate and key "
		  "configured?",
		  "TLS handshake failed: %s", buf);
}

void probe_tls(const struct probe_opts *o, const struct probe_uri *u,
	       const struct sa *server, struct probe_result *r)
{
	SSL_CTX *ctx = make_ctx(o);
	SSL *ssl = NULL;
	X509 *cert = NULL;
	int fd = -1, rc;

	if (!ctx) {
		probe_add(r, "tls-handshake", PROBE_FAIL,
			  "--ca must name a readable PEM file",
			  "cannot load trust anchors from %s",
			  o->ca ? o->ca : "the system store");
		goto out;
	}
	fd = tcp_connect(server, o->timeout);
	ssl = fd < 0 ? NULL : SSL_new(ctx);
	if (!ssl) {
		probe_add(r, "tls-handshake", PROBE_FAIL, NULL,
			  "cannot connect for the TLS check: %s",
			  strerror(errno));
		goto out;
	}
	SSL_set_fd(ssl, fd);
	if (!is_ip(u->host))
		SSL_set_tlsext_host_name(ssl, u->host); /* SNI, RFC 6066 §3 */
	rc = SSL_connect(ssl);
	if (rc != 1) {
		handshake_failed(ssl, rc, r);
		goto out;
	}
	cert = SSL_get1_peer_certificate(ssl);
	if (!cert) {
		probe_add(r, "tls-handshake", PROBE_FAIL, NULL,
			  "the server sent no certificate");
		goto out;
	}
	check_chain(o, ssl, r);
	check_expiry(cert, r);
	check_name(u, cert, r);
	check_alpn(ssl, r);
out:
	X509_free(cert);
	if (ssl && SSL_is_init_finished(ssl))
		SSL_shutdown(ssl);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	if (fd >= 0)
		close(fd);
}
