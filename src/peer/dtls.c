/*
 * dtls.c — DTLS-SRTP endpoint on OpenSSL memory BIOs (see dtls.h).
 */
#include "peer/dtls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/srtp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

/* Below the path MTU with room for TURN's ChannelData or Send indication
 * and IPv6: what browsers use. */
#define DTLS_MTU 1200

struct peer_cert {
	X509 *x509;
	EVP_PKEY *key;
	char fp[PEER_FP_LEN];
};

struct peer_dtls {
	struct peer_dtls_opts o;
	char remote_fp[PEER_FP_LEN + 32];
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *rbio, *wbio; /* owned by ssl */
	struct event *timer;
	bool connected, failed;
};

enum peer_demux peer_demux(const uint8_t *data, size_t len)
{
	if (!len)
		return PEER_DEMUX_OTHER;
	if (data[0] <= 3)
		return PEER_DEMUX_STUN;
	if (data[0] >= 20 && data[0] <= 63)
		return PEER_DEMUX_DTLS;
	if (data[0] >= 128 && data[0] <= 191)
		return PEER_DEMUX_RTP;
	return PEER_DEMUX_OTHER;
}

static void hex_fp(const uint8_t *md, unsigned n, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned i;

	for (i = 0; i < n; i++) {
		out[i * 3] = hex[md[i] >> 4];
		out[i * 3 + 1] = hex[md[i] & 15];
		out[i * 3 + 2] = i + 1 < n ? ':' : '\0';
	}
}

static int self_sign(X509 *x, EVP_PKEY *key)
{
	X509_NAME *name = X509_get_subject_name(x);
	uint8_t serial[8];

	if (RAND_bytes(serial, sizeof(serial)) != 1)
		return EIO;
	serial[0] &= 0x7f; /* a positive INTEGER */
	if (!X509_set_version(x, 2) ||
	    !ASN1_INTEGER_set_uint64(
		X509_get_serialNumber(x),
		((uint64_t)serial[0] << 56) | ((uint64_t)serial[1] << 48) |
		    ((uint64_t)serial[2] << 40) | ((uint64_t)serial[3] << 32) |
		    ((uint64_t)serial[4] << 24) | ((uint64_t)serial[5] << 16) |
		    ((uint64_t)serial[6] << 8) | serial[7]) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -86400) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 30L * 86400) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
					(const unsigned char *)"tern-peer", -1,
					-1, 0) ||
	    !X509_set_issuer_name(x, name) || !X509_set_pubkey(x, key) ||
	    !X509_sign(x, key, EVP_sha256()))
		return EIO;
	return 0;
}

int peer_cert_new(struct peer_cert **cp)
{
	struct peer_cert *c = calloc(1, sizeof(*c));
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	int err = ENOMEM;

	if (!c)
		return ENOMEM;
	c->key = EVP_EC_gen("P-256");
	c->x509 = X509_new();
	if (!c->key || !c->x509)
		goto out;
	err = self_sign(c->x509, c->key);
	if (err)
		goto out;
	if (!X509_digest(c->x509, EVP_sha256(), md, &n) || n != 32) {
		err = EIO;
		goto out;
	}
	hex_fp(md, n, c->fp);
	*cp = c;
	return 0;
out:
	peer_cert_free(c);
	return err;
}

void peer_cert_free(struct peer_cert *c)
{
	if (!c)
		return;
	X509_free(c->x509);
	EVP_PKEY_free(c->key);
	free(c);
}

const char *peer_cert_fingerprint(const struct peer_cert *c)
{
	return c->fp;
}

/* WebRTC peers use self-signed certificates: the chain is not checked,
 * the fingerprint from the signaled description is (RFC 8122 §5). */
static int accept_any(int ok, X509_STORE_CTX *store)
{
	(void)ok;
	(void)store;
	return 1;
}

static const char *profile_name(enum peer_srtp_profile p)
{
	return p == PEER_SRTP_AEAD_AES_128_GCM ? "SRTP_AEAD_AES_128_GCM"
					       : "SRTP_AES128_CM_SHA1_80";
}

static int make_ctx(struct peer_dtls *d)
{
	char list[128] = "";
	size_t i;

	d->ctx = SSL_CTX_new(DTLS_method());
	if (!d->ctx)
		return ENOMEM;
	SSL_CTX_set_min_proto_version(d->ctx, DTLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(d->ctx, DTLS1_2_VERSION);
	if (SSL_CTX_use_certificate(d->ctx, d->o.cert->x509) != 1 ||
	    SSL_CTX_use_PrivateKey(d->ctx, d->o.cert->key) != 1)
		return EIO;
	SSL_CTX_set_verify(d->ctx,
			   SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
			   accept_any);
	for (i = 0; i < d->o.n_profiles; i++) {
		if (i)
			strcat(list, ":");
		strcat(list, profile_name(d->o.profiles[i]));
	}
	if (!d->o.n_profiles)
		strcpy(list, "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80");
	/* 0 is success for this one call (OpenSSL's own inversion). */
	if (SSL_CTX_set_tlsext_use_srtp(d->ctx, list) != 0)
		return EIO;
	SSL_CTX_set_options(d->ctx, SSL_OP_NO_QUERY_MTU);
	return 0;
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	peer_dtls_timeout(arg);
}

int peer_dtls_new(struct peer_dtls **dp, struct event_base *base,
		  const struct peer_dtls_opts *opts)
{
	struct peer_dtls *d = calloc(1, sizeof(*d));
	int err = ENOMEM;

	if (!d)
		return ENOMEM;
	d->o = *opts;
	if (opts->n_profiles > 2)
		d->o.n_profiles = 2;
	snprintf(d->remote_fp, sizeof(d->remote_fp), "%s",
		 opts->remote_fp ? opts->remote_fp : "");
	d->o.remote_fp = d->remote_fp;
	if ((err = make_ctx(d)))
		goto out;
	err = ENOMEM;
	d->ssl = SSL_new(d->ctx);
	d->rbio = BIO_new(BIO_s_mem());
	d->wbio = BIO_new(BIO_s_mem());
	if (!d->ssl || !d->rbio || !d->wbio)
		goto out;
	BIO_set_mem_eof_return(d->rbio, -1); /* empty: retry, not EOF */
	BIO_set_mem_eof_return(d->wbio, -1);
	SSL_set_bio(d->ssl, d->rbio, d->wbio);
	d->rbio = d->wbio = NULL; /* the SSL owns them now */
	DTLS_set_link_mtu(d->ssl, DTLS_MTU);
	SSL_set_mtu(d->ssl, DTLS_MTU - 28);
	if (opts->client)
		SSL_set_connect_state(d->ssl);
	else
		SSL_set_accept_state(d->ssl);
	if (base && !(d->timer = evtimer_new(base, on_timer, d)))
		goto out;
	*dp = d;
	return 0;
out:
	BIO_free(d->rbio);
	BIO_free(d->wbio);
	peer_dtls_free(d);
	return err;
}

/* Hand whatever OpenSSL wrote to the peer, and re-arm the timer. */
static void flush(struct peer_dtls *d)
{
	BIO *w = SSL_get_wbio(d->ssl);
	uint8_t buf[8192];
	struct timeval tv;
	int n;

	while (BIO_ctrl_pending(w) > 0) {
		n = BIO_read(w, buf, sizeof(buf));
		if (n <= 0)
			break;
		d->o.send(d->o.arg, buf, (size_t)n);
	}
	if (!d->timer)
		return;
	if (!d->connected && DTLSv1_get_timeout(d->ssl, &tv))
		evtimer_add(d->timer, &tv);
	else
		evtimer_del(d->timer);
}

static void failed(struct peer_dtls *d, const char *why)
{
	if (d->failed)
		return;
	d->failed = true;
	if (d->timer)
		evtimer_del(d->timer);
	if (d->o.on_fail)
		d->o.on_fail(d->o.arg, why);
}

/* Parse "AB:CD:..." into 32 bytes. */
static bool unhex_fp(const char *s, uint8_t out[32])
{
	size_t i;
	unsigned v;

	if (strlen(s) != 95)
		return false;
	for (i = 0; i < 32; i++) {
		if (i && s[i * 3 - 1] != ':')
			return false;
		if (sscanf(s + i * 3, "%2x", &v) != 1)
			return false;
		out[i] = (uint8_t)v;
	}
	return true;
}

static bool check_fp(struct peer_dtls *d)
{
	X509 *peer = SSL_get1_peer_certificate(d->ssl);
	uint8_t md[EVP_MAX_MD_SIZE], want[32];
	char got[PEER_FP_LEN], why[400];
	unsigned n = 0;
	bool ok;

	if (!peer) {
		failed(d, "The peer sent no DTLS certificate.");
		return false;
	}
	ok = X509_digest(peer, EVP_sha256(), md, &n) && n == 32;
	X509_free(peer);
	if (!ok) {
		failed(d, "The peer's DTLS certificate could not be hashed.");
		return false;
	}
	hex_fp(md, n, got);
	if (!unhex_fp(d->remote_fp, want) || CRYPTO_memcmp(md, want, 32)) {
		snprintf(why, sizeof(why),
			 "The peer's DTLS certificate has fingerprint %s but "
			 "its description says %s: not the peer that was "
			 "signaled, so the call ends.",
			 got, d->remote_fp[0] ? d->remote_fp : "(none)");
		failed(d, why);
		return false;
	}
	return true;
}

/* RFC 5764 §4.2: client key, server key, client salt, server salt. */
static bool export_keys(struct peer_dtls *d, struct peer_srtp_keys *k)
{
	const SRTP_PROTECTION_PROFILE *p =
	    SSL_get_selected_srtp_profile(d->ssl);
	uint8_t m[2 * 30];
	size_t key = 16, salt;
	uint8_t *ours, *theirs;

	if (!p) {
		failed(d, "The DTLS handshake settled on no SRTP profile.");
		return false;
	}
	k->profile = (enum peer_srtp_profile)p->id;
	salt = k->profile == PEER_SRTP_AEAD_AES_128_GCM ? 12 : 14;
	k->len = key + salt;
	if (SSL_export_keying_material(d->ssl, m, 2 * k->len,
				       "EXTRACTOR-dtls_srtp", 19, NULL, 0,
				       0) != 1) {
		failed(d, "The SRTP keys could not be exported.");
		return false;
	}
	ours = d->o.client ? k->local : k->remote;
	theirs = d->o.client ? k->remote : k->local;
	memcpy(ours, m, key);
	memcpy(theirs, m + key, key);
	memcpy(ours + key, m + 2 * key, salt);
	memcpy(theirs + key, m + 2 * key + salt, salt);
	OPENSSL_cleanse(m, sizeof(m));
	return true;
}

static void handshake(struct peer_dtls *d)
{
	struct peer_srtp_keys k;
	char why[300];
	int r = SSL_do_handshake(d->ssl), e;
	unsigned long code;

	if (r == 1) {
		d->connected = true;
		flush(d);
		if (!check_fp(d) || !export_keys(d, &k))
			return;
		if (d->o.on_keys)
			d->o.on_keys(d->o.arg, &k);
		OPENSSL_cleanse(&k, sizeof(k));
		return;
	}
	e = SSL_get_error(d->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		flush(d);
		return;
	}
	flush(d); /* an alert, if OpenSSL wrote one */
	code = ERR_get_error();
	snprintf(why, sizeof(why), "The DTLS handshake failed: %s.",
		 code ? ERR_reason_error_string(code) : "no reason given");
	ERR_clear_error();
	failed(d, why);
}

int peer_dtls_start(struct peer_dtls *d)
{
	if (d->o.client)
		handshake(d);
	return 0;
}

void peer_dtls_input(struct peer_dtls *d, const uint8_t *data, size_t len)
{
	uint8_t buf[2048];
	int n, e;

	if (d->failed || len > INT32_MAX)
		return;
	BIO_write(SSL_get_rbio(d->ssl), data, (int)len);
	if (!d->connected) {
		handshake(d);
		return;
	}
	/* After the handshake: a retransmitted Finished, an alert, or
	 * application data (a data channel we did not negotiate). */
	for (;;) {
		n = SSL_read(d->ssl, buf, sizeof(buf));
		if (n > 0)
			continue;
		e = SSL_get_error(d->ssl, n);
		flush(d);
		if (e == SSL_ERROR_ZERO_RETURN && d->o.on_close) {
			d->failed = true; /* nothing more from this side */
			d->o.on_close(d->o.arg);
		} else if (e == SSL_ERROR_ZERO_RETURN) {
			failed(d, "The peer closed DTLS (close_notify).");
		} else if (e != SSL_ERROR_WANT_READ &&
			   e != SSL_ERROR_WANT_WRITE)
			ERR_clear_error();
		return;
	}
}

void peer_dtls_timeout(struct peer_dtls *d)
{
	if (d->failed || d->connected)
		return;
	if (DTLSv1_handle_timeout(d->ssl) < 0) {
		ERR_clear_error();
		failed(d, "The DTLS handshake timed out: the peer stopped "
			  "answering.");
		return;
	}
	flush(d);
}

bool peer_dtls_connected(const struct peer_dtls *d)
{
	return d->connected && !d->failed;
}

void peer_dtls_free(struct peer_dtls *d)
{
	if (!d)
		return;
	if (d->timer)
		event_free(d->timer);
	d->timer = NULL;
	if (d->ssl && d->connected && !d->failed) {
		SSL_shutdown(d->ssl);
		flush(d);
	}
	SSL_free(d->ssl);
	SSL_CTX_free(d->ctx);
	free(d);
}
