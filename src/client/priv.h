/*
 * priv.h — libtern internals: the client (one socket or stream to one
 * server), STUN transactions on it, and the TURN allocation.
 *
 *   tern_client ── sock (UDP fd + event) | bev (TCP / TLS bufferevent)
 *      │  trans: list of transactions in flight (tid, bytes, timer)
 *      └─ alloc: at most one TURN allocation
 *             perms[], chans[]: refreshed from one timer (next deadline)
 *
 * Reentrancy: user callbacks may free the client. Every entry from the
 * event loop holds the client (client_hold / client_release); a free
 * during a hold tears everything down at once but keeps the struct until
 * the last release, and `dead` stops any further callback.
 */
#ifndef TERN_CLIENT_PRIV_H
#define TERN_CLIENT_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "auth/auth.h"
#include "base/sa.h"
#include "stun/stun.h"
#include "tern/tern.h"

struct event;
struct bufferevent;

#define TERN_DEFAULT_RTO_MS	500
#define TERN_DEFAULT_RC		7
#define TERN_DEFAULT_RM		16
#define TERN_DEFAULT_TIMEOUT_MS 39500
#define TERN_DEFAULT_CONNECT_MS 10000
/* Largest request we build (no request of ours comes near it). */
#define TERN_REQ_MAX 1024
/* Largest datagram read. */
#define TERN_DGRAM_MAX 65536

struct tern_client {
	struct event_base *base;
	struct tern_client_opts opts; /* software: our copy */
	enum tern_transport tp;
	struct sa server;
	/* UDP */
	int fd;
	struct event *rd;
	/* TCP, TLS */
	struct bufferevent *bev;
	SSL_CTX *ctx;
	SSL *ssl; /* owned by bev */
	struct event *conn_timer;
	char *alpn_sel;
	long verify;
	bool connected;
	bool failed; /* stream broke: requests fail at once */
	int fail_err;
	/* Transactions in flight, newest first. */
	struct tern_trans *trans;
	struct tern_alloc *alloc;
	unsigned hold;
	bool dead;
	uint8_t rbuf[TERN_DGRAM_MAX];
};

/* Keep c alive across a callback; release returns true when c was freed
 * meanwhile (the caller must not touch it again). */
void client_hold(struct tern_client *c);
bool client_release(struct tern_client *c);

/* Send one message (a STUN request, indication or ChannelData already
 * padded for streams) to the server. Returns 0 or an errno. */
int client_send(struct tern_client *c, const uint8_t *buf, size_t len);

/* One datagram or stream frame from the server (or from `src`, on UDP). */
void client_input(struct tern_client *c, const uint8_t *buf, size_t len,
		  const struct sa *src);

/* Fail every transaction with err (the stream broke). */
void client_fail_all(struct tern_client *c, int err, const char *reason);

/* ---- transactions (trans.c) ------------------------------------------ */

/* What a transaction ended with. resp is NULL on err != 0 without a
 * response (timeout, stream error); code/reason for error responses. */
struct trans_result {
	int err;
	const struct stun_msg *resp;
	const struct sa *src;
	uint16_t code;
	const char *reason;
	unsigned rtt_ms;
	unsigned sends;
};

typedef void (*trans_fn)(void *arg, const struct trans_result *r);

struct tern_trans {
	struct tern_trans *next;
	struct tern_client *c;
	uint8_t tid[STUN_TID_SIZE];
	uint16_t method;
	uint8_t msg[TERN_REQ_MAX];
	size_t len;
	unsigned sends;
	unsigned rto_ms;
	uint64_t first_ms, last_ms;
	struct event *timer;
	/* MI key the response must carry (when keylen > 0). */
	struct auth_key key;
	trans_fn fn;
	void *arg;
	void *owner; /* for cancelling a whole allocation's requests */
};

/* Start a transaction for an encoded request. The encoder must have been
 * started with tid (see trans_tid). key: the long-term key a success
 * response must be signed with, or NULL. arg is malloc'd and the
 * transaction takes it: fn frees it when called, trans_cancel frees it
 * otherwise; on an error return the caller still owns it. fn and owner
 * are kept. Returns 0 or an errno (nothing is called back then). */
int trans_start(struct tern_client *c, const uint8_t *msg, size_t len,
		const uint8_t tid[STUN_TID_SIZE], const struct auth_key *key,
		void *owner, trans_fn fn, void *arg);

/* A fresh random transaction id. Returns 0 or EIO. */
int trans_tid(uint8_t tid[STUN_TID_SIZE]);

/* A response for us? Matches, checks and ends its transaction. */
void trans_response(struct tern_client *c, const struct stun_msg *m,
		    const struct sa *src);

/* Drop every transaction of owner (all when owner is NULL) without
 * callbacks. */
void trans_cancel(struct tern_client *c, void *owner);

/* Fail every transaction with err, calling back (stops if c dies). */
void trans_fail_all(struct tern_client *c, int err, const char *reason);

/* Milliseconds on the monotonic clock. */
uint64_t client_now_ms(void);

/* Copy an internal address to a public sockaddr_storage (AF_UNSPEC when
 * unset). */
void client_addr_out(const struct sa *a, struct sockaddr_storage *out);

/* ---- TLS (tls.c) ------------------------------------------------------ */

/* Build c->ctx and an SSL for srv. Returns 0, ENOMEM, EINVAL (CA file). */
int client_tls_new(struct tern_client *c, const struct tern_server *srv,
		   const char *host, SSL **sslp);
/* Why the handshake failed, into buf. */
void client_tls_reason(struct tern_client *c, char *buf, size_t size);
/* After the handshake: keep ALPN and the verify result. */
void client_tls_up(struct tern_client *c);

/* ---- TURN (alloc.c, areq.c, peer.c) -------------------------------------- */

#define TERN_MAX_PERMS	     64
#define TERN_MAX_CHANS	     64
#define TERN_PERM_REFRESH_MS 240000u /* RFC 8656 §9: permissions last 300 s */
#define TERN_CHAN_REFRESH_MS 540000u /* §12: channels last 600 s */
#define TERN_TEXT_MAX	     764     /* REALM, NONCE: < 128 chars, 763 bytes */

/* One CreatePermission (per IP) or ChannelBind (per address and port). */
struct tern_peer_item {
	struct sa addr;
	uint16_t chan; /* channels: 0x4000 + index */
	tern_done_cb cb;
	void *arg;
	bool need;     /* not sent yet (or to resend now) */
	bool inflight; /* a request is out */
	bool ok;       /* the server accepted it */
	bool quiet;    /* installed by a ChannelBind: no cb */
	uint64_t due;  /* next refresh (ok only) */
};

enum areq_kind {
	AREQ_ALLOCATE,
	AREQ_REFRESH,
	AREQ_PERM,
	AREQ_CHAN,
};

/* One TURN request across its 401 / 438 retries (the trans arg). */
struct areq {
	struct tern_alloc *a;
	enum areq_kind kind;
	unsigned idx; /* perms[] or chans[] */
	unsigned n401, n438;
};

struct tern_alloc {
	struct tern_client *c;
	char *user, *pass, *want_realm;
	struct tern_alloc_opts opts;
	tern_alloc_cb on_alloc;
	tern_recv_cb on_recv;
	void *arg;
	/* Learnt from 401 / 438. */
	char realm[TERN_TEXT_MAX];
	char nonce[TERN_TEXT_MAX];
	size_t nonce_len;
	uint16_t pwalgs_wire[16]; /* PASSWORD-ALGORITHMS value, raw */
	size_t pwalgs_len;	  /* bytes; 0: none offered */
	struct auth_key key;	  /* len 0 until a 401 is seen */
	bool allocated;
	bool failed;
	struct sa relayed, mapped;
	uint32_t lifetime;
	uint64_t refresh_due;
	bool refresh_inflight;
	struct event *timer;
	struct tern_peer_item perms[TERN_MAX_PERMS];
	unsigned nperms;
	struct tern_peer_item chans[TERN_MAX_CHANS];
	unsigned nchans;
	struct tern_alloc_stats st;
	uint8_t sbuf[STUN_MAX_MSG + 64];
};

/* Send (or resend, after a 401 / 438) the request of q; q is malloc'd
 * and passes to the transaction. Returns 0, or an errno with q still the
 * caller's. */
int areq_send(struct areq *q);
/* Start a new request of kind for item idx. Returns 0 or an errno. */
int areq_start(struct tern_alloc *a, enum areq_kind kind, unsigned idx);
/* Encode the Refresh LIFETIME=0 of a release into buf. */
int areq_release_msg(struct tern_alloc *a, uint8_t *buf, size_t cap,
		     size_t *len);

/* Outcomes, from areq.c to alloc.c / peer.c. err, code, reason as for the
 * public callbacks; m is the success response (NULL on error). */
void alloc_allocated(struct tern_alloc *a, const struct trans_result *r);
void alloc_refreshed(struct tern_alloc *a, const struct trans_result *r);
void peer_done(struct tern_alloc *a, enum areq_kind kind, unsigned idx,
	       const struct trans_result *r);
/* Re-arm the allocation's timer for the earliest thing due. */
void alloc_schedule(struct tern_alloc *a);
/* Send what is due at now; called from the timer. */
void peer_tick(struct tern_alloc *a, uint64_t now);
uint64_t peer_next_due(const struct tern_alloc *a);

/* Data indication or ChannelData for the allocation. */
void alloc_input_data(struct tern_alloc *a, const struct stun_msg *m);
void alloc_input_chdata(struct tern_alloc *a, const uint8_t *buf, size_t len);

#endif
