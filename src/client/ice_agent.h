/*
 * ice_agent.h — the ICE agent's internals, shared by ice_agent.c (state,
 * checks, consent), ice_gather.c (host sockets, STUN, TURN) and
 * ice_uri.c (server URLs).
 *
 *   tern_ice ── cl: the check list (ice.h), pairs carry their check
 *      │  lx[]: per local candidate, how it sends (host socket or relay)
 *      ├─ socks[]: one UDP socket per host address (event on the base)
 *      ├─ relays[]: one tern_client + tern_alloc per TURN server
 *      └─ gtx[]: STUN Binding transactions of srflx gathering
 */
#ifndef TERN_CLIENT_ICE_AGENT_H
#define TERN_CLIENT_ICE_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/sa.h"
#include "client/ice.h"
#include "tern/ice.h"
#include "tern/tern.h"

struct event;

#define ICE_SOCKS_MAX	  8
#define ICE_SERVERS_MAX	  8
#define ICE_GTX_MAX	  (ICE_SOCKS_MAX * ICE_SERVERS_MAX)
#define ICE_HOST_MAX	  255
#define ICE_CRED_MAX	  256
#define ICE_TA_MS	  50  /* pacing, RFC 8445 §14.2 */
#define ICE_CHECK_RTO_MS  100 /* first check RTO; doubled up to ... */
#define ICE_CHECK_RTO_CAP 1600
#define ICE_CHECK_RC	  7   /* requests per check (RFC 8489 Rc) */
#define ICE_NOMINATE_MS	  300 /* controlling: wait for better pairs */

/* A STUN or TURN server from a URL. */
struct ice_server {
	bool turn;
	enum tern_transport tp;
	char host[ICE_HOST_MAX + 1];
	uint16_t port;
	char user[ICE_CRED_MAX], pass[ICE_CRED_MAX];
};

/* Parse one URL ("stun:", "turn:", "turns:", RFC 7064 / 7065). Returns 0
 * or EINVAL with a sentence in why. Pure. */
int ice_server_parse(struct ice_server *s, const char *url, char *why,
		     size_t why_size);

struct ice_sock {
	struct tern_ice *ag;
	int fd;
	struct event *ev;
	struct sa addr; /* bound address with its port */
	unsigned if_rank;
	int host; /* local candidate index, -1 before it is added */
};

struct ice_relay {
	struct tern_ice *ag;
	const struct ice_server *srv;
	struct tern_client *c;
	struct tern_alloc *a;
	int local; /* local candidate index once allocated, else -1 */
	bool done;
	bool permitted[ICE_REMOTE_MAX];
	bool bound[ICE_REMOTE_MAX];
};

/* A Binding request to a STUN server from one host socket. */
struct ice_gtx {
	int sock, srv;
	struct sa to;
	uint8_t tid[ICE_TID_SIZE];
	unsigned sends, rto;
	uint64_t due;
	bool done;
};

/* How local candidate i sends: through socks[sock] or relays[relay]. */
struct ice_lx {
	int sock, relay;
};

struct tern_ice {
	struct event_base *base;
	struct tern_ice_opts o; /* servers not kept: see srv[] */
	struct ice_server srv[ICE_SERVERS_MAX];
	size_t n_srv;
	char ca_file[4096];
	char ifname[64];
	struct event *timer;
	unsigned hold;
	bool dead, closed;

	enum tern_ice_state state;
	char ufrag[ICE_UFRAG_MAX + 1], pwd[ICE_UFRAG_MAX + 1];
	char rufrag[ICE_UFRAG_MAX + 1], rpwd[ICE_UFRAG_MAX + 1];
	uint64_t tie, salt;
	bool gathering, gathered, remote_end;
	uint64_t gather_start;
	unsigned prflx_seq;

	struct ice_checklist cl;
	struct ice_lx lx[ICE_LOCAL_MAX];
	struct ice_sock socks[ICE_SOCKS_MAX];
	size_t n_socks;
	struct ice_relay relays[ICE_SERVERS_MAX];
	size_t n_relays;
	struct ice_gtx gtx[ICE_GTX_MAX];
	size_t n_gtx;

	uint64_t next_check; /* pacing: next Ta slot */
	uint64_t first_valid;
	bool have_sel;
	uint16_t sel_local, sel_remote; /* check list indices */
	bool sel_nominated;		/* as last reported */
	/* After a restart: the old selected path, used until a new pair. */
	bool have_old;
	int old_local_sock, old_local_relay;
	struct sa old_remote;

	/* consent on the selected pair */
	uint8_t consent_tid[ICE_TID_SIZE];
	uint64_t consent_sent, consent_due, consent_ok;
	unsigned rtt_ms;
};

/* ice_gather.c */
int ice_gather_hosts(struct tern_ice *ag);
void ice_gather_servers(struct tern_ice *ag);
/* Retransmit due srflx requests; returns the next due time (0: none). */
uint64_t ice_gather_tick(struct tern_ice *ag, uint64_t now);
/* A STUN response that may be for a srflx request. True when taken. */
bool ice_gather_response(struct tern_ice *ag, int sock, const uint8_t *buf,
			 size_t len);
void ice_gather_close(struct tern_ice *ag);
/* Make sure the relay behind local li lets remote ri in (permission), and
 * binds a channel to it when chan. */
void ice_relay_permit(struct tern_ice *ag, size_t li, size_t ri, bool chan);

/* ice_agent.c, for ice_gather.c */
uint64_t ice_now(const struct tern_ice *ag);
void ice_log(struct tern_ice *ag, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Add a local candidate (host, srflx, relay) and announce it. */
int ice_add_local(struct tern_ice *ag, enum ice_type type,
		  const struct sa *addr, const struct sa *base,
		  const struct sa *raddr, int sock, int relay, unsigned if_rank,
		  enum ice_relay_proto proto, const struct sa *server);
/* One datagram received on local candidate li from src. */
void ice_input(struct tern_ice *ag, size_t li, const struct sa *src,
	       const uint8_t *buf, size_t len);
/* A server (srflx or relay) finished, well or not. */
void ice_gather_step(struct tern_ice *ag);
/* Hold / release across an event-loop entry; release returns true when
 * the agent was freed meanwhile. */
void ice_hold(struct tern_ice *ag);
bool ice_release(struct tern_ice *ag);
/* Run what is due and re-arm the timer. */
void ice_run(struct tern_ice *ag);

#endif
