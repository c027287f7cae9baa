/*
 * priv.h — what the files of src/turn share and nobody else sees.
 */
#ifndef TERN_TURN_PRIV_H
#define TERN_TURN_PRIV_H

#include <stddef.h>

#include "auth/auth.h"
#include "base/hmap.h"
#include "stun/stun.h"
#include "turn/quota.h"
#include "turn/server.h"

/* RFC 8656 §9: a permission lives 300 s; §12: a channel binding 600 s. */
#define TURN_PERM_LIFETIME_MS	 300000u
#define TURN_CHANNEL_LIFETIME_MS 600000u
/* RFC 8656 §7.2 (EVEN-PORT R): the port kept for a RESERVATION-TOKEN is
 * released after about 30 s if no Allocate claims it. */
#define TURN_RESERVATION_MS 30000u

/* A transport address in 20 bytes (a struct sa is 132): what tables and
 * allocations keep. */
struct taddr {
	uint8_t family; /* AF_INET, AF_INET6; 0 unset */
	uint8_t pad;
	uint16_t port; /* host order */
	uint8_t ip[16];
};

void taddr_from_sa(struct taddr *t, const struct sa *a);
void taddr_to_sa(struct sa *a, const struct taddr *t);
bool taddr_equal(const struct taddr *a, const struct taddr *b);
bool taddr_equal_ip(const struct taddr *a, const struct taddr *b);

/* An entry of the timer heap; `idx` is its place there (UINT32_MAX when not
 * queued). Only allocations (live or reservations) are queued: each is due
 * at the earliest of its own expiry and its permissions' and channels'. */
struct turn_timer {
	uint64_t when;
	uint32_t idx;
};

struct turn_alloc;

/* A permission (RFC 8656 §9): the peer's IP address, any port. */
struct turn_perm {
	struct hmap_node node;	/* s->perms, keyed (allocation, IP) */
	struct turn_perm *next; /* the allocation's list */
	struct turn_alloc *a;
	uint64_t expires;
	struct taddr peer; /* port 0 */
};

/* A channel binding (RFC 8656 §12). */
struct turn_chan {
	struct hmap_node by_num;  /* s->chans_num, keyed (allocation, number) */
	struct hmap_node by_peer; /* s->chans_peer, keyed (allocation, peer) */
	struct turn_chan *next;
	struct turn_alloc *a;
	uint64_t expires;
	struct taddr peer;
	uint16_t num;
};

struct turn_relay {
	void *handle; /* NULL: not open */
	struct taddr addr;
};

enum turn_alloc_state {
	TURN_ALLOC_RESERVED = 1, /* a port kept for a RESERVATION-TOKEN */
	TURN_ALLOC_LIVE,
};

/*
 * An allocation (RFC 8656 §2.2, §6). It owns its relay handles,
 * permissions, channels, its place in the timer heap and its count in the
 * user's quota; alloc_free() releases all of them. A reserved port is an
 * allocation in state RESERVED: one relay handle, a token, a 30 s timer,
 * and nothing else, so relay_open's ctx is always a turn_alloc.
 */
struct turn_alloc {
	struct hmap_node node; /* s->allocs (5-tuple) or s->resv (token) */
	struct turn_timer timer;
	uint64_t expires;
	struct taddr client; /* the 5-tuple: client, local, transport, conn */
	struct taddr local;
	void *conn;
	struct turn_quota_user *user; /* its unit of the quota (LIVE) */
	struct turn_perm *perms;
	struct turn_chan *chans;
	struct auth_key key; /* verifies later requests without a lookup */
	struct turn_relay relay[2];
	uint8_t tid[STUN_TID_SIZE]; /* of the Allocate: a retransmission is
				       answered again (RFC 8656 §7.2) */
	uint8_t token[STUN_TOKEN_SIZE];
	uint8_t state;
	uint8_t tp;
	uint8_t nrelay;
	bool mi256;    /* the Allocate used MESSAGE-INTEGRITY-SHA256 */
	bool has_resv; /* it created the reservation `token` names */
	uint16_t nperm;
	uint16_t nchan;
	/* Token bucket (bytes) for the bandwidth limit. */
	uint32_t bw_tokens;
	uint64_t bw_last_ms;
	/* for events, logs and the histograms */
	uint64_t session;
	uint64_t created_ms;
	uint64_t to_peer_pkts, to_peer_bytes;
	uint64_t to_client_pkts, to_client_bytes;
};

/* The relay of the peer's family, or NULL (§10.2, §11.2: 443). Inline:
 * the data path asks it for every packet a client sends. */
static inline struct turn_relay *turn_relay_for(struct turn_alloc *a,
						int family)
{
	unsigned i;

	for (i = 0; i < a->nrelay; i++)
		if (a->relay[i].addr.family == family)
			return &a->relay[i];
	return NULL;
}

/* The allocation a heap entry belongs to. */
static inline struct turn_alloc *turn_timer_alloc(struct turn_timer *t)
{
	return (struct turn_alloc *)((char *)t -
				     offsetof(struct turn_alloc, timer));
}

/* An authentication that succeeded: how to sign the answer. */
struct turn_auth {
	struct auth_key key;
	const char *user; /* USERNAME, inside the request buffer */
	size_t ulen;
	bool mi256;
};

struct turn_pending;

struct turn_server {
	const struct turn_server_cfg *cfg;
	struct turn_out out;
	struct turn_relay_out rout; /* zeroed: no relays */
	struct turn_stats st;
	uint64_t now_ms;		/* last time the caller told us */
	int64_t wall_off_ms;		/* unix ms - monotonic ms */
	uint32_t seed;			/* keys the table hashes */
	uint8_t nonce_secret[32];	/* when the configuration has none */
	uint8_t ind_tid[STUN_TID_SIZE]; /* Data indication ids: a counter */
	struct hmap allocs, resv, perms, chans_num, chans_peer;
	struct turn_timer **heap;
	uint32_t nheap, capheap;
	struct turn_quota *quota;     /* cfg->quota or own_quota, fixed */
	struct turn_quota *own_quota; /* when the cfg names none */
	struct turn_pending *pending;
	struct turn_events ev;
	uint64_t next_session; /* the last id given */
	bool draining;
	struct sa alternate; /* unset: 508 while draining */
	/* 401 rate limit (reqauth.c): token buckets indexed by a keyed hash
	 * of the client's IP address; NULL when there is no limit */
	struct turn_chal_bucket *chal;
	/* Answering outside an input call (an asynchronous lookup): replies
	 * go through send_client, since `via` means nothing there. */
	bool deferred;
	bool in_lookup; /* inside auth_store.lookup */
	enum turn_verdict lookup_verdict;
	/* One reply is built at a time (a server belongs to one thread), so
	 * one scratch buffer serves them all and nothing large sits on the
	 * stack. */
	uint8_t tx[STUN_MAX_MSG + 1];
};

/* ---- server.c: replies ---- */

/* Send a reply built in s->tx. `via` and `to` as in turn_out.send. */
void turn_send(struct turn_server *s, const struct turn_in *in, unsigned via,
	       const struct sa *to, size_t len);

/* Start a reply to req in s->tx: class cls, SOFTWARE when configured. */
void turn_reply_init(struct turn_server *s, struct stun_enc *e,
		     const struct stun_msg *req, enum stun_class cls);

/* Finish a reply (FINGERPRINT when the request had one) and send it back to
 * where the request came from. */
enum turn_verdict turn_reply_send(struct turn_server *s, struct stun_enc *e,
				  const struct turn_in *in,
				  const struct stun_msg *req);

/* The same for an authenticated request: MESSAGE-INTEGRITY, or
 * MESSAGE-INTEGRITY-SHA256 when the request used it (RFC 8489 §9.2.4),
 * before FINGERPRINT. auth NULL: as turn_reply_send. */
enum turn_verdict turn_reply_send_auth(struct turn_server *s,
				       struct stun_enc *e,
				       const struct turn_in *in,
				       const struct stun_msg *req,
				       const struct turn_auth *auth);

/* Answer req with an error response: code, reason (NULL: the RFC's phrase),
 * and for 420 the unknown attribute types. */
enum turn_verdict turn_reply_error(struct turn_server *s,
				   const struct turn_in *in,
				   const struct stun_msg *req, uint16_t code,
				   const char *reason, const uint16_t *unknown,
				   size_t nunknown);

/* An error response to an authenticated request, signed with its key. */
enum turn_verdict turn_reply_error_auth(struct turn_server *s,
					const struct turn_in *in,
					const struct stun_msg *req,
					const struct turn_auth *auth,
					uint16_t code, const char *reason);

/* Count an error code in st.err_code / err_resp. */
void turn_count_error(struct turn_server *s, uint16_t code);

/* Unix seconds now. */
uint64_t turn_unix_s(const struct turn_server *s);

/* Binding request (RFC 8489 §6.3, RFC 5780 §6.1, RFC 8489 §12.2). */
enum turn_verdict turn_binding_request(struct turn_server *s,
				       const struct turn_in *in,
				       const struct stun_msg *req);

/* ---- reqauth.c: the long-term credential mechanism ---- */

/* Authenticate a TURN request (RFC 8489 §9.2.4) and, once it is, hand it to
 * turn_dispatch (now, or when an asynchronous lookup answers). Answers
 * 400/401/438/441/500 itself. */
enum turn_verdict turn_auth_request(struct turn_server *s,
				    const struct turn_in *in,
				    const struct stun_msg *req);
/* The 401 rate limit's table (turn_server_alloc / _free). */
int turn_challenge_init(struct turn_server *s);
void turn_challenge_free(struct turn_server *s);
/* Whether one more 401 to this client address is within
 * limits.challenge_rate (counts it). */
bool turn_challenge_allowed(struct turn_server *s, const struct sa *from);
/* Free pending lookups (orphaning those the store still holds). */
void turn_pending_release(struct turn_server *s, void *conn, bool all);

/* ---- alloc.c: allocations, their tables and timers ---- */

int turn_tables_init(struct turn_server *s);
void turn_tables_release(struct turn_server *s);
/* Expire everything due at now. */
void turn_expire(struct turn_server *s, uint64_t now);
/* The live allocation of the packet's 5-tuple, or NULL. */
struct turn_alloc *turn_alloc_find(struct turn_server *s,
				   const struct turn_in *in);
void turn_alloc_free(struct turn_server *s, struct turn_alloc *a);
/* A live allocation ends for `why`: the histograms and the END event,
 * then turn_alloc_free. */
void turn_alloc_end_free(struct turn_server *s, struct turn_alloc *a,
			 enum turn_alloc_end why);
/* Free the allocations of a closed stream (RFC 8656 §3.1). */
void turn_allocs_conn_closed(struct turn_server *s, void *conn);
/* Make the allocation due no later than `when`. */
void turn_alloc_due(struct turn_server *s, struct turn_alloc *a, uint64_t when);
enum turn_verdict turn_allocate(struct turn_server *s, const struct turn_in *in,
				const struct stun_msg *req,
				const struct turn_auth *auth);
enum turn_verdict turn_refresh(struct turn_server *s, const struct turn_in *in,
			       const struct stun_msg *req,
			       const struct turn_auth *auth);

/* ---- dispatch.c ---- */

/* Handle an authenticated request: hand it to its method's handler. */
enum turn_verdict turn_dispatch(struct turn_server *s, const struct turn_in *in,
				const struct stun_msg *req,
				const struct turn_auth *auth);

/* ---- perm.c: permissions and channels ---- */

enum turn_verdict turn_create_permission(struct turn_server *s,
					 const struct turn_in *in,
					 const struct stun_msg *req,
					 const struct turn_auth *auth);
/* Whether num may be bound under cfg: RFC 8656 §12, or RFC 5766 §11 with
 * rfc5766_channels. */
bool turn_channel_valid(const struct turn_server_cfg *cfg, uint16_t num);
enum turn_verdict turn_channel_bind(struct turn_server *s,
				    const struct turn_in *in,
				    const struct stun_msg *req,
				    const struct turn_auth *auth);
/* Free every permission and channel of a, and those expired at now when
 * all is false; returns the earliest remaining expiry (UINT64_MAX). */
uint64_t turn_perms_sweep(struct turn_server *s, struct turn_alloc *a,
			  uint64_t now, bool all);
/* Free the permissions and channels of a whose peer the current policy
 * (s->cfg) denies; returns how many went. */
uint64_t turn_perms_prune(struct turn_server *s, struct turn_alloc *a);
/* The permission of a for the IP address ip (port 0), or NULL (expired
 * ones included: the caller checks expires). */
struct turn_perm *turn_perm_find(const struct turn_server *s,
				 const struct turn_alloc *a,
				 const struct taddr *ip);
/* The channel of a bound to num, or to peer; NULL when none (expired ones
 * included: the caller checks expires). */
struct turn_chan *turn_chan_by_num(const struct turn_server *s,
				   const struct turn_alloc *a, uint16_t num);
struct turn_chan *turn_chan_by_peer(const struct turn_server *s,
				    const struct turn_alloc *a,
				    const struct taddr *peer);

/* ---- relay.c: the data path ---- */

/* Send indication (§11.2) and ChannelData (§12.5) from the client: relayed
 * to the peer or dropped, never answered. */
enum turn_verdict turn_send_indication(struct turn_server *s,
				       const struct turn_in *in,
				       const struct stun_msg *msg);
enum turn_verdict turn_channel_data(struct turn_server *s,
				    const struct turn_in *in);

/* ---- policy.c ---- */

/*
 * The one peer-address check (RFC 8656 §21.3), for CreatePermission,
 * ChannelBind, Send and ChannelData. Writes the normalised peer (IPv4-mapped
 * IPv6 unmapped) to *norm. with_port: also refuse the server's own
 * listener transport addresses (a permission is for an IP, so
 * CreatePermission checks without the port). Returns true when allowed.
 */
bool turn_policy_allows(const struct turn_server_cfg *cfg,
			const struct sa *peer, bool with_port, struct sa *norm);

/*
 * Which rule denies norm (a peer turn_policy_allows refused, as it
 * normalised it), for the log: "self", "not-ip", "default-deny
 * 127.0.0.0/8", "deny-rule 10.0.0.0/8", or for an IPv4 address inside an
 * IPv6 one "embedded 127.0.0.1: default-deny 127.0.0.0/8" ("none" when
 * nothing denies it). Written to buf; returns buf.
 */
const char *turn_policy_rule(const struct turn_server_cfg *cfg,
			     const struct sa *norm, bool with_port, char *buf,
			     size_t size);

/* ---- server.c: refusals, for the caller's log (turn_events) ---- */

/* Tell the events' auth_fail about a refused request from in; user as
 * sent (may be NULL). */
void turn_report_refusal(struct turn_server *s, const struct turn_in *in,
			 enum turn_refusal kind, const char *reason,
			 const char *user, size_t ulen);

#endif
