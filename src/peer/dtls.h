/*
 * dtls.h — DTLS 1.2 for DTLS-SRTP (RFC 5763, RFC 5764) over datagrams the
 * ICE agent carries. OpenSSL through two memory BIOs: what arrives is
 * written into one, what OpenSSL writes is drained from the other and
 * handed to send() as one datagram. Retransmission on a libevent timer
 * (DTLSv1_get_timeout / DTLSv1_handle_timeout).
 *
 *   RFC 7983 demultiplexing on the first byte of a datagram:
 *     0..3     STUN        (the ICE agent keeps these)
 *     20..63   DTLS        -> peer_dtls_input
 *     128..191 RTP / RTCP  -> SRTP (srtp.h)
 *
 *   client (a=setup:active)            server (a=setup:passive)
 *   ClientHello (use_srtp) ------------->
 *                 <--- ServerHello, Certificate, ServerKeyExchange,
 *                      CertificateRequest, ServerHelloDone
 *   Certificate, ClientKeyExchange,
 *   CertificateVerify, Finished -------->
 *                 <--- Finished
 *   both: the peer certificate's SHA-256 checked against a=fingerprint,
 *         keys exported with the label "EXTRACTOR-dtls_srtp".
 */
#ifndef TERN_PEER_DTLS_H
#define TERN_PEER_DTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct peer_cert;
struct peer_dtls;

/* The first byte of a datagram says what it is (RFC 7983 §7). */
enum peer_demux {
	PEER_DEMUX_OTHER = 0,
	PEER_DEMUX_STUN,
	PEER_DEMUX_DTLS,
	PEER_DEMUX_RTP, /* RTP or RTCP */
};
enum peer_demux peer_demux(const uint8_t *data, size_t len);

/* "AB:CD:..." of a SHA-256: 32 bytes, 95 characters. */
#define PEER_FP_LEN 96

/*
 * A fresh self-signed ECDSA P-256 certificate (one per run; JSEP wants one
 * per RTCPeerConnection). Returns 0, ENOMEM or EIO.
 */
int peer_cert_new(struct peer_cert **cp);
void peer_cert_free(struct peer_cert *c);
/* Its SHA-256 fingerprint as a=fingerprint writes it (upper-case hex). */
const char *peer_cert_fingerprint(const struct peer_cert *c);

/* SRTP protection profiles (RFC 5764 §4.1.2, RFC 7714 §14.2). */
enum peer_srtp_profile {
	PEER_SRTP_AES128_CM_SHA1_80 = 0x0001,
	PEER_SRTP_AEAD_AES_128_GCM = 0x0007,
};

/* What the handshake yields: each side's key and salt, ours first. */
struct peer_srtp_keys {
	enum peer_srtp_profile profile;
	uint8_t local[32], remote[32]; /* key || salt */
	size_t len;		       /* bytes of each: 30 or 28 */
};

struct peer_dtls_opts {
	const struct peer_cert *cert; /* borrowed, must outlive the DTLS */
	bool client;		      /* a=setup:active */
	/* The peer's a=fingerprint (sha-256); checked once the handshake
	 * ends. */
	const char *remote_fp;
	/* Profiles offered or accepted, best first; 0 entries: both. */
	const enum peer_srtp_profile *profiles;
	size_t n_profiles;
	void (*send)(void *arg, const uint8_t *data, size_t len);
	void (*on_keys)(void *arg, const struct peer_srtp_keys *keys);
	/* The handshake failed, the fingerprint did not match, or the peer
	 * closed: a sentence. No callback follows. */
	void (*on_fail)(void *arg, const char *why);
	/* The peer closed DTLS (close_notify): it hung up. No callback
	 * follows. NULL: reported through on_fail. */
	void (*on_close)(void *arg);
	void *arg;
};

/*
 * Create the endpoint on base (for the retransmission timer). Nothing is
 * sent until peer_dtls_start. opts is copied (remote_fp too). Returns 0,
 * ENOMEM or EIO.
 */
int peer_dtls_new(struct peer_dtls **dp, struct event_base *base,
		  const struct peer_dtls_opts *opts);
/* The client sends its ClientHello; the server waits for one. */
int peer_dtls_start(struct peer_dtls *d);
/* One DTLS datagram from the peer. */
void peer_dtls_input(struct peer_dtls *d, const uint8_t *data, size_t len);
/* Run the retransmission timer's work now (tests without a loop). */
void peer_dtls_timeout(struct peer_dtls *d);
bool peer_dtls_connected(const struct peer_dtls *d);
/* Sends close_notify when connected. Accepts NULL. */
void peer_dtls_free(struct peer_dtls *d);

#endif
