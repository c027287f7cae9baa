/*
 * harness.h — a TURN server under test: fake output capturing replies and
 * relay sockets, an in-memory credential store, an injected clock, and
 * helpers that build authenticated requests.
 */
#ifndef TERN_TEST_TURN_HARNESS_H
#define TERN_TEST_TURN_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/store.h"
#include "stun/stun.h"
#include "turn/server.h"

#define H_REALM	     "example.org"
#define H_USER	     "alice"
#define H_PASS	     "wonderland"
#define H_MAX_RELAYS 64

struct fake_relay {
	bool open;
	int family;
	unsigned flags;
	void *ctx;
	struct sa addr;
};

struct h {
	struct turn_server *srv;
	struct turn_server_cfg cfg;
	struct auth_mem *mem;
	struct auth_store store;
	struct turn_local local, local6;
	uint64_t now;	  /* ms */
	uint64_t unix_ms; /* wall clock at now == 0 */

	/* Replies (send) and client-bound traffic (send_client). */
	unsigned nsent, nclient;
	uint8_t last[70000];
	size_t last_len;
	struct sa last_to;
	void *last_conn;
	bool last_via_client;
	unsigned last_flags;	 /* send_client's flags (send: 0) */
	const uint8_t *last_buf; /* send_client's buf, not a copy */
	/* turn_in.flags of what h_feed and h_peer_send hand in (0 unless a
	 * test sets TURN_BUF_KEPT) */
	unsigned in_flags;
	char sock; /* its address is turn_in.sock */

	/* Relays. */
	struct fake_relay relay[H_MAX_RELAYS];
	unsigned nopen, nclose, nrelay_send;
	uint16_t next_port;
	int fail_open;	     /* errno relay_open returns when set */
	int fail_family;     /* ... only for this family (0: all) */
	unsigned fail_exact; /* fail this many TURN_RELAY_EXACT opens */
	uint8_t peer_buf[70000];
	size_t peer_len;
	struct sa peer_to;
	void *peer_handle;
	const uint8_t *peer_src; /* relay_send's buf, not a copy */
	unsigned peer_flags;

	char nonce[128];
	size_t nonce_len;
};

extern struct h H;

/* Criterion .init / .fini. */
void h_setup(void);
void h_teardown(void);
/* Recreate the server after changing H.cfg (allocations are dropped). */
void h_restart(void);
/* Another server on H.cfg and the same fake output (a second worker);
 * make it H.srv to feed it. The caller frees it. */
struct turn_server *h_server_new(void);

/* A request under construction. */
struct req {
	uint8_t buf[2048];
	struct stun_enc e;
	uint8_t tid[STUN_TID_SIZE];
	size_t len;
};

/* How to sign: user (NULL: H_USER), password (NULL: H_PASS), alg, and
 * MESSAGE-INTEGRITY-SHA256 instead of MESSAGE-INTEGRITY. */
struct cred {
	const char *user;
	const char *pass;
	uint16_t alg;
	bool mi256;
	bool pwalgs; /* add PASSWORD-ALGORITHMS + PASSWORD-ALGORITHM */
};

void rq_start(struct req *r, uint16_t method, enum stun_class cls);
/* Same transaction id as `prev`. */
void rq_start_tid(struct req *r, uint16_t method, enum stun_class cls,
		  const uint8_t tid[STUN_TID_SIZE]);
/* Finish unsigned (c NULL) or with USERNAME, REALM, NONCE (H.nonce) and
 * integrity. */
size_t rq_finish(struct req *r, const struct cred *c);

/* Feed bytes from ip:port (UDP, or tp/conn). */
enum turn_verdict h_feed(const uint8_t *buf, size_t len, const char *ip,
			 uint16_t port);
enum turn_verdict h_feed_tp(const uint8_t *buf, size_t len, const char *ip,
			    uint16_t port, enum turn_transport tp, void *conn);

/* Decode the last reply; 0 for a success, else the error code. */
const struct stun_msg *h_reply(void);
uint16_t h_code(void);
/* The last reply is an error whose reason phrase is `want`. */
bool h_reason_is(const char *want);
/* Copy the RESERVATION-TOKEN of the last reply (which must have one). */
void h_token(uint8_t token[STUN_TOKEN_SIZE]);
/* Keep the NONCE of the last reply. */
void h_take_nonce(void);

/* 401 then authenticated Allocate from ip:port (UDP); returns the code of
 * the second answer; *relay gets XOR-RELAYED-ADDRESS when 0. extra may add
 * attributes to the Allocate. */
uint16_t h_allocate(const char *ip, uint16_t port, struct sa *relay,
		    void (*extra)(struct req *));
/* An authenticated request of `method` with extra attributes. */
uint16_t h_request(uint16_t method, const char *ip, uint16_t port,
		   void (*extra)(struct req *, void *), void *arg);
/* CreatePermission for one peer. */
uint16_t h_permit(const char *ip, uint16_t port, const char *peer);
uint16_t h_bind(const char *ip, uint16_t port, uint16_t ch, const char *peer,
		uint16_t pport);

/* The fake relay handle opened for an allocation (the last one of that
 * family), and a datagram arriving on it from a peer. */
struct fake_relay *h_relay(int family);
enum turn_verdict h_peer_send(struct fake_relay *r, const char *peer,
			      uint16_t port, const uint8_t *data, size_t len);
unsigned h_open_relays(void);

#endif
