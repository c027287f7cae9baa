/*
 * reqauth.c — the long-term credential mechanism for TURN requests
 * (RFC 8489 §9.2.4), stateless nonces, and the asynchronous credential
 * lookup: the only state a request can create before it is authenticated,
 * and only with an authentic nonce, bounded by cfg.max_pending.
 */
#include "turn/priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_NONCE_LIFETIME_S 600u
#define DEFAULT_NONCE_GRACE_S	 3600u
#define DEFAULT_MAX_PENDING	 256u

/* A request waiting for the credential store. It holds a copy of the
 * request and of where it came from, nothing else, and only until the
 * store answers. s is NULL once the server (or the connection) is gone. */
struct turn_pending {
	struct turn_pending *next;
	struct turn_server *s;
	struct turn_in in;
	struct turn_local local;
	uint16_t alg;
	bool
	    recheck; /* of an allocation: its cached key if the store is down */
	size_t len;
	uint8_t buf[];
};

/* What the request carries for authentication, pointing into it. */
struct creds {
	const char *user, *realm, *nonce;
	size_t ulen, rlen, nlen;
	uint16_t alg;
};

static const uint8_t *nonce_key(const struct turn_server *s, size_t *len)
{
	const struct turn_server_cfg *c = s->cfg;

	if (c->nonce_secret && c->nonce_secret_len >= AUTH_NONCE_SECRET_MIN) {
		*len = c->nonce_secret_len;
		return c->nonce_secret;
	}
	*len = sizeof(s->nonce_secret);
	return s->nonce_secret;
}

/*
 * The 401 rate limit. A challenge is larger than the request that earns it
 * (REALM, NONCE, PASSWORD-ALGORITHMS), so a spoofed flood would reflect
 * more bytes than it costs at whoever owns the source address; and every
 * challenge costs an HMAC. Token buckets in a fixed table, indexed by a
 * keyed hash of the source IP address (IPv6: its /64): bounded memory whatever
 * the number of sources, and nothing kept per client before authentication (two
 * addresses sharing a bucket share a limit). Tokens are in thousandths.
 */
#define CHAL_BUCKETS 4096u

struct turn_chal_bucket {
	uint64_t last_ms;
	uint32_t milli;
	bool used; /* a bucket never used is full */
};

int turn_challenge_init(struct turn_server *s)
{
	s->chal = calloc(CHAL_BUCKETS, sizeof(*s->chal));
	return s->chal ? 0 : ENOMEM;
}

void turn_challenge_free(struct turn_server *s)
{
	free(s->chal);
	s->chal = NULL;
}

/* Which bucket an address draws from. IPv4 by address (/32); IPv6 by its
 * /64, because one subscriber or one host usually holds a whole /64 and
 * could otherwise spread its guesses over 2^64 buckets; an IPv4-mapped
 * address counts as the IPv4 address it maps. */
static uint32_t chal_index(const struct turn_server *s, const struct sa *from)
{
	static const uint8_t v4mapped[12] = { [10] = 0xff, [11] = 0xff };
	const uint8_t *ip;
	size_t n;

	ip = sa_addr_bytes(from, &n);
	if (n == 16 && memcmp(ip, v4mapped, sizeof(v4mapped)) == 0) {
		ip += 12;
		n = 4;
	} else if (n == 16) {
		n = 8;
	}
	return hmap_hash_bytes(s->seed ^ 0x5bd1e995u, ip, n) &
	       (CHAL_BUCKETS - 1);
}

bool turn_challenge_allowed(struct turn_server *s, const struct sa *from)
{
	const struct turn_server_cfg *c = s->cfg;
	uint64_t rate = c->challenge_rate, cap, have, dt;
	struct turn_chal_bucket *b;

	if (!rate || !s->chal)
		return true;
	b = &s->chal[chal_index(s, from)];
	cap = (c->challenge_burst ? c->challenge_burst : rate) * 1000u;
	dt = s->now_ms > b->last_ms ? s->now_ms - b->last_ms : 0;
	have = !b->used || dt >= cap / rate + 1 ? cap : b->milli + dt * rate;
	b->used = true;
	if (have > cap)
		have = cap;
	b->last_ms = s->now_ms;
	if (have < 1000) {
		b->milli = (uint32_t)have;
		return false;
	}
	b->milli = (uint32_t)(have - 1000);
	return true;
}

static int get_text(const struct stun_msg *m, uint16_t type, const char **p,
		    size_t *n)
{
	const struct stun_attr *a = stun_msg_attr(m, type);

	return a ? stun_attr_text(a, p, n) : ENOENT;
}

/* Tell the caller's log why the request from in was refused, with the
 * USERNAME it carried (client bytes: the log escapes them). */
static void report_auth(struct turn_server *s, const struct turn_in *in,
			const struct stun_msg *req, enum turn_refusal kind,
			enum turn_auth_fail why)
{
	const char *user = NULL;
	size_t ulen = 0;

	if (get_text(req, STUN_ATTR_USERNAME, &user, &ulen))
		user = NULL;
	turn_report_refusal(s, in, kind, turn_authf_name(why), user, ulen);
}

/* RFC 8489 §9.2.4: 401 (or 438) with REALM and a fresh NONCE, and
 * PASSWORD-ALGORITHMS when the nonce says so (§9.2.1). Never signed. */
static enum turn_verdict challenge(struct turn_server *s,
				   const struct turn_in *in,
				   const struct stun_msg *req, uint16_t code,
				   enum turn_auth_fail why)
{
	static const uint16_t algs[] = { STUN_PWALG_SHA256, STUN_PWALG_MD5 };
	const struct turn_server_cfg *c = s->cfg;
	uint32_t feat = c->sha256 ? AUTH_FEAT_PASSWORD_ALGORITHMS : 0;
	uint32_t life = c->nonce_lifetime_s ? c->nonce_lifetime_s
					    : DEFAULT_NONCE_LIFETIME_S;
	char nonce[AUTH_NONCE_LEN + 1];
	const uint8_t *key;
	struct stun_enc e;
	size_t klen;

	if (!turn_challenge_allowed(s, &in->from)) {
		s->st.auth_fail[TURN_AUTHF_RATE_LIMITED]++;
		return TURN_DROP_POLICY;
	}
	s->st.auth_fail[why]++;
	if (why != TURN_AUTHF_CHALLENGE)
		report_auth(s, in, req, TURN_REFUSE_AUTH, why);
	key = nonce_key(s, &klen);
	if (auth_nonce_make(key, klen, feat, turn_unix_s(s) + life, &in->from,
			    nonce))
		return turn_reply_error(s, in, req, 500, NULL, NULL, 0);
	/* No SOFTWARE: the request is not authenticated, and its source may
	 * be spoofed (docs/SECURITY.md: amplification). */
	stun_enc_reply(&e, s->tx, sizeof(s->tx), req, STUN_CLASS_ERROR);
	stun_enc_errcode(&e, code, NULL);
	stun_enc_text(&e, STUN_ATTR_REALM, c->realm, strlen(c->realm));
	stun_enc_text(&e, STUN_ATTR_NONCE, nonce, AUTH_NONCE_LEN);
	if (c->sha256)
		stun_enc_pwalgs(&e, algs, 2);
	turn_count_error(s, code);
	return turn_reply_send(s, &e, in, req);
}

/*
 * RFC 8489 §9.2.4, when the nonce carries the "Password algorithms" bit:
 * neither PASSWORD-ALGORITHMS nor PASSWORD-ALGORITHM means MD5; otherwise
 * both must be there, the list must be the one we sent, and the choice
 * must be in it, else 400. Returns 0 or 400.
 */
static uint16_t pick_alg(const struct turn_server *s,
			 const struct stun_msg *req, uint32_t feat,
			 uint16_t *alg)
{
	static const uint8_t ours[] = { 0, 2, 0, 0, 0, 1, 0, 0 };
	const struct stun_attr *list =
	    stun_msg_attr(req, STUN_ATTR_PASSWORD_ALGORITHMS);
	const struct stun_attr *one =
	    stun_msg_attr(req, STUN_ATTR_PASSWORD_ALGORITHM);

	*alg = AUTH_ALG_MD5;
	if (!(feat & AUTH_FEAT_PASSWORD_ALGORITHMS) || (!list && !one))
		return 0;
	if (!list || !one || !s->cfg->sha256 || list->len != sizeof(ours) ||
	    memcmp(list->val, ours, sizeof(ours)) != 0)
		return 400;
	if (stun_attr_pwalg(one, alg) ||
	    (*alg != AUTH_ALG_MD5 && *alg != AUTH_ALG_SHA256))
		return 400;
	return 0;
}

static bool mi_ok(const struct stun_msg *req, const struct auth_key *k)
{
	if (req->mi256 >= 0)
		return stun_msg_check_mi256(req, k->k, k->len) == 0;
	return stun_msg_check_mi(req, k->k, k->len) == 0;
}

static enum turn_verdict authenticated(struct turn_server *s,
				       const struct turn_in *in,
				       const struct stun_msg *req,
				       const struct creds *c,
				       const struct auth_key *key)
{
	struct turn_auth auth = { .key = *key,
				  .user = c->user,
				  .ulen = c->ulen,
				  .mi256 = req->mi256 >= 0 };

	s->st.auth_ok++;
	return turn_dispatch(s, in, req, &auth);
}

/* USERNAME, REALM, NONCE are required with MESSAGE-INTEGRITY (RFC 8489
 * §9.2.4: else 400). */
static int read_creds(const struct stun_msg *req, struct creds *c)
{
	if (get_text(req, STUN_ATTR_USERNAME, &c->user, &c->ulen) ||
	    get_text(req, STUN_ATTR_REALM, &c->realm, &c->rlen) ||
	    get_text(req, STUN_ATTR_NONCE, &c->nonce, &c->nlen) || c->ulen == 0)
		return EBADMSG;
	return 0;
}

static void pending_unlink(struct turn_server *s, struct turn_pending *p)
{
	struct turn_pending **pp;

	for (pp = &s->pending; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			s->st.lookups_pending--;
			return;
		}
	}
}

/* The allocation's own key: for its requests when the store is not asked,
 * or cannot answer (Redis down: allocations keep working). */
static enum turn_verdict cached_key(struct turn_server *s,
				    const struct turn_in *in,
				    const struct stun_msg *req,
				    const struct creds *c)
{
	struct turn_alloc *a = turn_alloc_find(s, in);

	if (a && a->key.alg == c->alg && mi_ok(req, &a->key))
		return authenticated(s, in, req, c, &a->key);
	return challenge(s, in, req, 401, TURN_AUTHF_BAD_MI);
}

/* The answer of one lookup, for one pending request (RFC 8489 §9.2.4
 * from "the server uses the key"). */
static enum turn_verdict on_answer(struct turn_server *s,
				   struct turn_pending *p, int err,
				   const struct auth_key *keys, size_t n)
{
	struct stun_msg req;
	struct creds c;
	size_t i;

	if (stun_msg_decode(&req, p->buf, p->len, 0) || read_creds(&req, &c))
		return TURN_DROP_MALFORMED; /* decoded once already */
	c.alg = p->alg;
	if (err == ENOENT)
		return challenge(s, &p->in, &req, 401, TURN_AUTHF_UNKNOWN_USER);
	/* the allocation may have ended while the store was asked: then it is
	 * a request like any other */
	if ((err || !n) && p->recheck && turn_alloc_find(s, &p->in))
		return cached_key(s, &p->in, &req, &c);
	if (err || !n) {
		s->st.auth_fail[TURN_AUTHF_STORE_DOWN]++;
		report_auth(s, &p->in, &req, TURN_REFUSE_SERVER,
			    TURN_AUTHF_STORE_DOWN);
		return turn_reply_error(s, &p->in, &req, 500,
					"Credential store unavailable", NULL,
					0);
	}
	for (i = 0; i < n && i < AUTH_MAX_KEYS; i++)
		if (keys[i].alg == c.alg && mi_ok(&req, &keys[i]))
			return authenticated(s, &p->in, &req, &c, &keys[i]);
	return challenge(s, &p->in, &req, 401, TURN_AUTHF_BAD_MI);
}

static void lookup_done(void *arg, int err, const struct auth_key *keys,
			size_t n)
{
	struct turn_pending *p = arg;
	struct turn_server *s = p->s;
	enum turn_verdict v;
	bool was;

	if (s) {
		pending_unlink(s, p);
		was = s->deferred;
		s->deferred = !s->in_lookup;
		v = on_answer(s, p, err, keys, n);
		s->deferred = was;
		if (s->in_lookup)
			s->lookup_verdict = v;
	}
	free(p);
}

/* Ask the store; the answer may come now or later. */
static enum turn_verdict ask_store(struct turn_server *s,
				   const struct turn_in *in,
				   const struct creds *c, bool recheck)
{
	const struct turn_server_cfg *cfg = s->cfg;
	uint32_t max =
	    cfg->max_pending ? cfg->max_pending : DEFAULT_MAX_PENDING;
	struct auth_query q = { cfg->realm, strlen(cfg->realm),
				c->user,    c->ulen,
				c->alg,	    cfg->rest };
	struct turn_pending *p;

	/* A remote lookup spends a token of the client address's 401
	 * bucket first: a flood of unknown usernames with a valid nonce
	 * from one address would otherwise send Redis one query each (the
	 * 401 that follows spends another). */
	if (cfg->store->remote && !turn_challenge_allowed(s, &in->from)) {
		s->st.auth_fail[TURN_AUTHF_RATE_LIMITED]++;
		return TURN_DROP_POLICY;
	}
	if (s->st.lookups_pending >= max) {
		/* Dropped, not answered: a UDP client retransmits. */
		s->st.auth_fail[TURN_AUTHF_BUSY]++;
		return TURN_DROP_POLICY;
	}
	p = malloc(sizeof(*p) + in->len);
	if (!p)
		return TURN_DROP_POLICY;
	p->s = s;
	p->in = *in;
	p->local = *in->local;
	p->in.local = &p->local;
	p->in.buf = p->buf;
	p->in.flags &= ~TURN_BUF_KEPT; /* the copy lives as long as p */
	p->alg = c->alg;
	p->recheck = recheck;
	p->len = in->len;
	memcpy(p->buf, in->buf, in->len);
	p->next = s->pending;
	s->pending = p;
	s->st.lookups_pending++;
	s->in_lookup = true;
	s->lookup_verdict = TURN_CONSUMED;
	cfg->store->lookup(cfg->store->ctx, &q, lookup_done, p);
	s->in_lookup = false;
	return s->lookup_verdict;
}

static bool same_user(const struct turn_alloc *a, const struct creds *c)
{
	return turn_quota_user_is(a->user, c->user, c->ulen);
}

/* From a valid nonce on: the allocation's cached key, or the store. */
static enum turn_verdict check_user(struct turn_server *s,
				    const struct turn_in *in,
				    const struct stun_msg *req,
				    const struct creds *c)
{
	struct turn_alloc *a = turn_alloc_find(s, in);

	if (a && !same_user(a, c)) {
		/* RFC 8656 §5: requests on an allocation's 5-tuple must use
		 * the credentials that created it. */
		s->st.auth_fail[TURN_AUTHF_WRONG_USER]++;
		report_auth(s, in, req, TURN_REFUSE_AUTH,
			    TURN_AUTHF_WRONG_USER);
		return turn_reply_error(s, in, req, 441, NULL, NULL, 0);
	}
	/* TURN REST API: an expired username is refused before the store is
	 * asked, on an existing allocation too: unlike coturn's, an
	 * allocation does not outlive its credentials through Refreshes. */
	if (s->cfg->rest && auth_rest_expired(c->user, c->ulen, turn_unix_s(s)))
		return challenge(s, in, req, 401, TURN_AUTHF_REST_EXPIRED);
	if (a && a->key.alg == c->alg) {
		/* Refresh, CreatePermission, ChannelBind. The key is cached in
		 * the allocation, but a user removed, a password changed or a
		 * REST secret withdrawn since the Allocate must end it: ask the
		 * store again when that is cheap (in memory: every request),
		 * else on Refresh only (Redis: the request that extends the
		 * allocation; one round trip per refresh interval). An answer
		 * "no such user" or no matching key is 401; a store that cannot
		 * answer leaves the cached key in force. */
		if (s->cfg->store->local || req->method == STUN_METHOD_REFRESH)
			return ask_store(s, in, c, true);
		return cached_key(s, in, req, c);
	}
	return ask_store(s, in, c, false);
}

enum turn_verdict turn_auth_request(struct turn_server *s,
				    const struct turn_in *in,
				    const struct stun_msg *req)
{
	const struct turn_server_cfg *cfg = s->cfg;
	uint64_t grace = 0;
	const uint8_t *key;
	struct creds c;
	uint32_t feat = 0;
	size_t klen;
	int err;

	if (req->mi < 0 && req->mi256 < 0)
		return challenge(s, in, req, 401, TURN_AUTHF_CHALLENGE);
	if (read_creds(req, &c))
		return turn_reply_error(s, in, req, 400, NULL, NULL, 0);
	if (req->method == STUN_METHOD_ALLOCATE)
		grace = cfg->nonce_grace_s ? cfg->nonce_grace_s
					   : DEFAULT_NONCE_GRACE_S;
	key = nonce_key(s, &klen);
	err = auth_nonce_check(key, klen, c.nonce, c.nlen, &in->from,
			       turn_unix_s(s), grace, &feat);
	if (err == ESTALE)
		return challenge(s, in, req, 438, TURN_AUTHF_STALE_NONCE);
	if (err)
		return challenge(s, in, req, 401, TURN_AUTHF_BAD_NONCE);
	if (c.rlen != strlen(cfg->realm) || memcmp(c.realm, cfg->realm, c.rlen))
		return challenge(s, in, req, 401, TURN_AUTHF_BAD_REALM);
	if (pick_alg(s, req, feat, &c.alg))
		return turn_reply_error(s, in, req, 400, NULL, NULL, 0);
	return check_user(s, in, req, &c);
}

void turn_pending_release(struct turn_server *s, void *conn, bool all)
{
	struct turn_pending **pp = &s->pending;

	while (*pp) {
		struct turn_pending *p = *pp;

		if (!all && p->in.conn != conn) {
			pp = &p->next;
			continue;
		}
		/* The store still holds p and will answer it: orphan it, and
		 * lookup_done frees it then. */
		*pp = p->next;
		p->s = NULL;
		s->st.lookups_pending--;
	}
}
