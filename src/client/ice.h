/*
 * ice.h — the pure layer of libtern's ICE agent (RFC 8445): candidates as
 * SDP lines (RFC 8839 §5.1), priorities and foundations (§5.1.2, §5.1.1.3),
 * the check list (§6.1.2) and the role-conflict rule (§7.3.1.1).
 *
 * No socket, clock, log or event loop here: strings in, structs out. The
 * agent on libevent (not yet written, issue 17) owns the sockets and calls
 * these functions.
 *
 * The candidate line (RFC 8839 §5.1), one SP between fields:
 *
 *   [a=]candidate:<foundation> <component> <transport> <priority>
 *       <address> <port> typ <host|srflx|prflx|relay>
 *       [raddr <address> rport <port>] *(<key> <value>)
 *
 *   candidate:842163049 1 udp 1677729535 203.0.113.7 47930 typ srflx
 *       raddr 192.0.2.3 rport 47930 generation 0 ufrag EEtu network-id 3
 *       network-cost 10
 *
 * The check list is a set of fixed arrays (no allocation):
 *
 *   local[ICE_LOCAL_MAX]   { cand, base }   index stable once added
 *   remote[ICE_REMOTE_MAX] cand             index stable once added
 *   pairs[ICE_PAIRS_MAX]   { local idx, remote idx, priority, state }
 *                          sorted by priority, highest first, at most
 *                          max_pairs of them (default 100, §6.1.2.5)
 */
#ifndef TERN_CLIENT_ICE_H
#define TERN_CLIENT_ICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/sa.h"

/* foundation = 1*32 ice-char (RFC 8445 §5.1.1.3, RFC 8839 §5.1) */
#define ICE_FOUNDATION_MAX 32
/* A <uuid>.local name is 42 characters; longer mDNS names are refused. */
#define ICE_NAME_MAX 63
/* ice-ufrag = 4*256 ice-char (RFC 8839 §5.4) */
#define ICE_UFRAG_MAX 256
/* Unknown extensions kept per candidate, and their sizes. */
#define ICE_EXT_MAX	8
#define ICE_EXT_KEY_MAX 31
#define ICE_EXT_VAL_MAX 63
/* Longest line the parser reads, prefix included. */
#define ICE_LINE_MAX 1024

enum ice_transport { ICE_UDP, ICE_TCP };
enum ice_type { ICE_HOST, ICE_SRFLX, ICE_PRFLX, ICE_RELAY };
/* RFC 6544 §4.5; NONE on UDP candidates (and TCP ones that omit it). */
enum ice_tcptype { ICE_TCP_NONE, ICE_TCP_ACTIVE, ICE_TCP_PASSIVE, ICE_TCP_SO };

struct ice_ext {
	char key[ICE_EXT_KEY_MAX + 1];
	char val[ICE_EXT_VAL_MAX + 1];
};

/*
 * One candidate as the SDP line carries it. A plain value: copy it freely.
 * The address is either `addr` (IPv4 or IPv6, with the port) or, when
 * `mdns` is true, the name in `name` with the port in `port` and `addr`
 * unset: an mDNS name is kept as a name, the agent resolves it (or not).
 */
struct ice_cand {
	char foundation[ICE_FOUNDATION_MAX + 1];
	uint16_t component; /* 1..256 */
	enum ice_transport transport;
	uint32_t priority;
	struct sa addr; /* unset when mdns */
	bool mdns;
	char name[ICE_NAME_MAX + 1]; /* "<uuid>.local" when mdns */
	uint16_t port;		     /* 1..65535, also in addr */
	enum ice_type type;
	bool has_raddr; /* raddr and rport come together */
	struct sa raddr;
	enum ice_tcptype tcptype;
	bool has_generation, has_network_id, has_network_cost;
	uint32_t generation, network_id, network_cost;
	char ufrag[ICE_UFRAG_MAX + 1]; /* "" when absent */
	size_t n_ext;
	struct ice_ext ext[ICE_EXT_MAX]; /* unknown pairs, in line order */
};

/* Initialise *c as an empty candidate (component 1, UDP, host). */
void ice_cand_init(struct ice_cand *c);

/*
 * Parse one candidate line of len bytes: with or without "a=" and
 * "candidate:", a trailing CR LF allowed. Returns 0 and fills *c, or
 * EBADMSG with a sentence in why (when why_size > 0) and *c untouched;
 * EINVAL for NULL arguments. Reads no byte past line + len. The caller
 * keeps line and c; nothing is retained.
 */
int ice_cand_parse(struct ice_cand *c, const char *line, size_t len, char *why,
		   size_t why_size);

/* True for what a peer sends at the end of trickle: an empty candidate,
 * "end-of-candidates" or "a=end-of-candidates" (RFC 8840 §4.1). */
bool ice_cand_is_end(const char *line, size_t len);

/*
 * Write c as "candidate:..." (no "a=", no CR LF) into buf. Returns 0, or
 * ENOSPC when size is too small (buf then holds ""), EINVAL for a
 * candidate that could not have been parsed. ICE_LINE_MAX is enough.
 */
int ice_cand_format(const struct ice_cand *c, char *buf, size_t size);

/* Same candidate field by field (the round-trip test). */
bool ice_cand_equal(const struct ice_cand *a, const struct ice_cand *b);

/* ---- priorities and foundations (RFC 8445 §5.1.2, §5.1.1.3) ---- */

/* Recommended type preferences (§5.1.2.2). */
#define ICE_TYPE_PREF_HOST  126
#define ICE_TYPE_PREF_PRFLX 110
#define ICE_TYPE_PREF_SRFLX 100
#define ICE_TYPE_PREF_RELAY 0

/* How a relayed candidate reaches its TURN server; UDP for the others. */
enum ice_relay_proto { ICE_RELAY_UDP, ICE_RELAY_TCP, ICE_RELAY_TLS };

unsigned ice_type_pref(enum ice_type type);

/*
 * priority = 2^24 * type-pref + 2^8 * local-pref + (256 - component)
 * (§5.1.2.1). component is 1..256.
 */
uint32_t ice_priority(enum ice_type type, uint16_t local_pref,
		      unsigned component);

/*
 * Local preference (§5.1.2.1, RFC 8421 §4): the TURN transport first
 * (UDP > TCP > TLS, for relayed candidates), then the interface rank
 * (0 = best; ranks above 1023 count as 1023), then the family, IPv6 just
 * above IPv4 of the same interface, so the families interleave across
 * interfaces as RFC 8421 asks:
 *
 *   65535 - 4096 * proto - 4 * if_rank - (family == AF_INET)
 */
uint16_t ice_local_pref(int family, unsigned if_rank,
			enum ice_relay_proto proto);

/*
 * Foundation (§5.1.1.3): equal for the same type, base IP address (port
 * ignored), server IP address (unset for host and prflx) and transport,
 * including the TURN transport; different otherwise up to a 64-bit hash
 * collision. The salt is the agent's (drawn once from the CSPRNG), so a
 * foundation does not let a peer test guesses of a hidden host address;
 * it is written in decimal into out (at least ICE_FOUNDATION_MAX + 1).
 */
void ice_foundation(char *out, enum ice_type type, const struct sa *base,
		    const struct sa *server, enum ice_transport transport,
		    enum ice_relay_proto proto, uint64_t salt);

/* ---- pairs and the check list (§6.1.2) ---- */

/*
 * pair priority = 2^32 * MIN(G,D) + 2 * MAX(G,D) + (G > D ? 1 : 0), G the
 * controlling agent's candidate priority, D the controlled one's
 * (§6.1.2.3).
 */
uint64_t ice_pair_priority(uint32_t g, uint32_t d);

enum ice_pair_state {
	ICE_PAIR_FROZEN,
	ICE_PAIR_WAITING,
	ICE_PAIR_IN_PROGRESS,
	ICE_PAIR_SUCCEEDED,
	ICE_PAIR_FAILED,
};

#define ICE_LOCAL_MAX	  16
#define ICE_REMOTE_MAX	  64
#define ICE_PAIRS_MAX	  256
#define ICE_PAIRS_DEFAULT 100 /* §6.1.2.5 */

struct ice_local {
	struct ice_cand cand;
	/* The address the agent sends from (§5.1.1.1): the host address for
	 * host and srflx candidates, the relayed address for relay. */
	struct sa base;
};

#define ICE_TID_SIZE 12

struct ice_pair {
	uint16_t local, remote; /* indices into the check list's arrays */
	uint64_t priority;
	enum ice_pair_state state;
	/* The agent's connectivity check of this pair (ice_agent.c); the
	 * list code only moves these along with the pair. */
	uint8_t tid[ICE_TID_SIZE];
	uint8_t sends;	  /* requests of the current transaction */
	bool triggered;	  /* queued as a triggered check (§7.3.1.4) */
	bool use_cand;	  /* the check carries USE-CANDIDATE */
	bool valid;	  /* a check succeeded (§7.2.5.3.2) */
	bool nominated;	  /* nomination done (§8.1.1) */
	bool remote_nom;  /* controlled: the peer nominated it */
	uint32_t rto_ms;  /* current retransmission timeout */
	uint32_t rtt_ms;  /* of the last success */
	uint64_t due_ms;  /* next retransmission, or 0 */
	uint64_t sent_ms; /* last request sent */
	struct sa mapped; /* XOR-MAPPED-ADDRESS of the last success */
};

struct ice_checklist {
	bool controlling;
	size_t max_pairs;
	size_t n_local, n_remote, n_pairs;
	size_t n_dropped; /* pairs cut by the cap, for the agent's stats */
	struct ice_local local[ICE_LOCAL_MAX];
	struct ice_cand remote[ICE_REMOTE_MAX];
	struct ice_pair pairs[ICE_PAIRS_MAX + 1]; /* + 1: insert, then cut */
};

/* Empty check list; max_pairs 0 means ICE_PAIRS_DEFAULT, larger than
 * ICE_PAIRS_MAX is EINVAL. */
int ice_checklist_init(struct ice_checklist *cl, bool controlling,
		       size_t max_pairs);

/*
 * Add a local candidate with its base (copied), form its pairs with every
 * remote candidate, prune (§6.1.2.4), sort and cut to max_pairs
 * (§6.1.2.5: the lowest-priority frozen or waiting pairs go, counted in
 * n_dropped). Returns 0, ENOSPC when ICE_LOCAL_MAX candidates are already
 * there, EINVAL for a candidate without an IP address; the list is
 * unchanged on error.
 */
int ice_checklist_add_local(struct ice_checklist *cl, const struct ice_cand *c,
			    const struct sa *base);

/* The same for a remote candidate (copied). An mDNS candidate is stored
 * but forms no pair until the agent replaces it with a resolved one.
 * ENOSPC when ICE_REMOTE_MAX are already there. */
int ice_checklist_add_remote(struct ice_checklist *cl,
			     const struct ice_cand *c);

/* Initial states (§6.1.2.6): for each foundation (the local and remote
 * foundations together), the pair with the lowest component, then the
 * highest priority, goes from frozen to waiting. Returns how many. */
size_t ice_checklist_unfreeze(struct ice_checklist *cl);

/* Recompute every pair's priority for a new role and re-sort (after a
 * role switch, §7.3.1.1). */
void ice_checklist_set_role(struct ice_checklist *cl, bool controlling);

/* ---- role conflict (§7.3.1.1) ---- */

enum ice_conflict {
	ICE_CONFLICT_NONE,   /* roles differ: process the request */
	ICE_CONFLICT_SWITCH, /* switch our role, then process it */
	ICE_CONFLICT_487,    /* answer 487 (Role Conflict), keep our role */
};

/*
 * A Binding request arrived carrying ICE-CONTROLLING (req_controlling) or
 * ICE-CONTROLLED with the sender's tie-breaker req_tb. We are controlling
 * or not, with tie-breaker our_tb.
 */
enum ice_conflict ice_role_conflict(bool controlling, uint64_t our_tb,
				    bool req_controlling, uint64_t req_tb);

#endif
