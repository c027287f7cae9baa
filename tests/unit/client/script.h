/*
 * script.h — a scripted STUN/TURN server for libtern's tests.
 *
 * It lives on the test's own event_base, on a loopback UDP socket or a
 * loopback TCP (optionally TLS) listener, decodes every request, counts it
 * per method, and hands it to the test's handler, which answers through
 * the helpers below (or drops it). A ready-made TURN handler (script_turn)
 * plays a server with long-term credentials that a plan can bend: extra
 * 401s, a 438, a fixed error, short lifetimes.
 */
#ifndef TERN_TEST_CLIENT_SCRIPT_H
#define TERN_TEST_CLIENT_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "auth/auth.h"
#include "base/sa.h"
#include "stun/stun.h"

struct script;

typedef void (*script_fn)(struct script *s, const struct stun_msg *m,
			  const struct sa *from);

/* How script_turn behaves. */
struct turn_plan {
	const char *user, *pass, *realm;
	unsigned extra_401;   /* answer this many authenticated requests
				 with 401 first */
	bool stale_once;      /* answer the first authenticated request
				 with 438 */
	uint16_t alloc_error; /* answer every Allocate with this code */
	uint32_t lifetime;    /* granted; 0: 600 */
	bool refresh_error;   /* answer Refreshes (LIFETIME != 0) 437 */
	bool bad_mi_once;     /* sign the first success with a wrong key */
	bool offer_sha256;    /* PASSWORD-ALGORITHMS in the 401 */
};

struct script {
	struct event_base *base;
	bool stream;
	/* UDP */
	int fd;
	struct event *ev;
	int fd2; /* a second socket for "changed address" answers */
	/* TCP / TLS */
	struct evconnlistener *lis;
	struct bufferevent *bev;
	void *tls; /* SSL_CTX */
	struct sa addr;
	struct sa addr2;
	script_fn fn;
	void *user;
	unsigned nreq[16]; /* per method (0x001-0x00c) */
	unsigned nind[16]; /* indications per method */
	unsigned total;
	/* script_turn state */
	struct turn_plan plan;
	char nonce[32];
	unsigned nonce_gen;
	unsigned authed;
	uint16_t chan;
	struct sa chan_peer;
	struct sa relayed;
	uint32_t last_lifetime;
	bool saw_release;
	bool last_had_fp;
	uint16_t last_pwalg;
	/* Last data seen from the client. */
	uint8_t data[2048];
	size_t data_len;
	uint16_t data_chan;
	struct sa data_peer;
	unsigned chdata_in, sendind_in;
	size_t last_frame_len;
};

/* A UDP server on 127.0.0.1 (an ephemeral port, and a second socket for
 * answers from another address). fn and user are kept. */
int script_udp(struct script **sp, struct event_base *base, script_fn fn,
	       void *user);
/* A TCP server on 127.0.0.1; tls_dir with ternd.crt / ternd.key makes it
 * TLS (ALPN "stun.turn" selected when offered). */
int script_stream(struct script **sp, struct event_base *base,
		  const char *tls_dir, script_fn fn, void *user);
void script_free(struct script *s);

/* Send raw bytes to the client (UDP: to `to`; stream: the connection). */
void script_send(struct script *s, const uint8_t *buf, size_t len,
		 const struct sa *to);
/* Send from the second UDP socket. */
void script_send2(struct script *s, const uint8_t *buf, size_t len,
		  const struct sa *to);

/* Answer a Binding request: XOR-MAPPED-ADDRESS from, SOFTWARE "script",
 * OTHER-ADDRESS addr2, RESPONSE-ORIGIN, FINGERPRINT. tid_xor != 0 flips
 * the first transaction id byte (a response nobody asked for); bad_fp
 * corrupts FINGERPRINT. Returns the length written into out. */
size_t script_binding_resp(struct script *s, const struct stun_msg *m,
			   const struct sa *from, uint8_t *out, size_t cap,
			   uint8_t tid_xor, bool bad_fp);

/* Answer an error response with code (401: REALM + NONCE). */
void script_error(struct script *s, const struct stun_msg *m,
		  const struct sa *from, uint16_t code);

/* The ready-made TURN server (set s->plan first). */
void script_turn(struct script *s, const struct stun_msg *m,
		 const struct sa *from);

/* Run base until *flag is true or max_ms passes (a guard against hangs,
 * not a timing check). Returns *flag. */
bool script_run_until(struct event_base *base, const bool *flag,
		      unsigned max_ms);
/* Run base for ms. */
void script_run_for(struct event_base *base, unsigned ms);

#endif
