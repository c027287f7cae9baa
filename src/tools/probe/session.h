/*
 * session.h — what the libtern-driven checks (stun.c,
 * turn.c) share: one client on its own event_base.
 */
#ifndef TERN_TOOLS_PROBE_SESSION_H
#define TERN_TOOLS_PROBE_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <tern/tern.h>

#include "tools/probe/probe.h"

struct probe_session {
	struct event_base *base; /* owned */
	struct tern_client *c;	 /* owned */
};

/* One allocation and what became of it. */
struct probe_side {
	struct probe_session s;
	struct tern_alloc *a;
	bool done, bound;
	int err, bind_err;
	uint16_t code, bind_code;
	char reason[128], realm[PROBE_CRED_MAX];
	struct tern_alloc_info info;  /* addresses and lifetime; no strings */
	struct sockaddr_storage peer; /* the other side's relayed address */
	/* round trip (side A only) */
	double *rtt;
	unsigned count, sent, received;
	uint8_t *seen;
	bool echo; /* side B */
};

/* libtern's on_recv for both sides of the round trip (relay.c). */
void probe_relay_recv(void *arg, const struct sockaddr *peer,
		      const uint8_t *data, size_t len);

/* libtern's ChannelBind outcome for a side. */
void probe_relay_on_bound(void *arg, int err, uint16_t code,
			  const char *reason);

/* Check 7 between two allocated sides a and b. */
void probe_relay(const struct probe_opts *o, struct probe_side *a,
		 struct probe_side *b, struct probe_result *r);

/* Run base until *done or timeout seconds. Returns 0 or ETIMEDOUT. */
int probe_loop(struct event_base *base, const bool *done, double timeout);

/* A libtern client for u at server (numeric, already resolved) into s->c.
 * TLS is not verified here: check 8 gives that verdict. */
int probe_client(struct probe_session *s, const struct probe_opts *o,
		 const struct probe_uri *u, const struct sa *server);

/* A Binding on s: checks 2 (UDP) and 3 into r. Returns 0 or the error. */
int probe_binding(struct probe_session *s, const struct probe_opts *o,
		  const struct probe_uri *u, const struct sa *server,
		  struct probe_result *r);

#endif
