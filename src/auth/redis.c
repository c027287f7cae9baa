/*
 * redis.c — the Redis credential store; see redis.h.
 *
 * The only file of src/auth that talks to Redis and to libevent. hiredis
 * 0.14 (Debian 12) has no command timeout of its own (redisAsyncSetTimeout
 * came in 1.0), so one timer watches the oldest pending lookup and drops
 * the connection when it is overdue, which answers every pending lookup
 * EAGAIN through hiredis's NULL-reply callbacks — the same path a lost
 * connection takes, so each lookup is answered exactly once.
 *
 * Invariant: every lookup on the pending list has exactly one command
 * queued in hiredis, whose callback answers it or sends its next step.
 */
#include "auth/redis.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <hiredis/adapters/libevent.h>

#include "base/clock.h"
#include "base/hmap.h"
#include "base/rand.h"

/* "turn/realm/" R "/user/" U "/password", the longest key we look up. */
#define KEY_MAX (11 + AUTH_REDIS_NAME_MAX + 6 + AUTH_REDIS_NAME_MAX + 9 + 1)
/* "turn/realm/" R "/user/" U "/allocation/" 20 digits "/total_traffic/peer",
 * the longest status key. */
#define STATUS_KEY_MAX                                                         \
	(11 + AUTH_REDIS_NAME_MAX + 6 + AUTH_REDIS_NAME_MAX + 12 + 20 + 19 + 1)

enum step { STEP_KEY, STEP_PASSWORD, STEP_SECRETS };

struct pending {
	struct pending *prev, *next;
	struct auth_redis *r;
	auth_done_fn done;
	void *arg;
	uint64_t deadline; /* monotonic ms */
	enum step step;
	uint16_t alg;
	bool rest;
	size_t rlen, ulen;
	char name[]; /* realm bytes, then user bytes */
};

struct cache_ent {
	struct hmap_node node;
	struct cache_ent *prev, *next; /* insertion order, oldest first */
	uint64_t expires;	       /* monotonic ms */
	int err;		       /* 0 or ENOENT */
	size_t nkeys;
	struct auth_key keys[AUTH_MAX_KEYS];
	uint16_t alg;
	bool rest;
	size_t rlen, ulen;
	char name[];
};

struct auth_redis {
	struct event_base *base;
	struct auth_redis_cfg cfg; /* strings point at the copies below */
	char *host, *unix_path, *password;
	redisAsyncContext *ac; /* NULL while down */
	bool ready;	       /* connected, AUTH and SELECT answered */
	bool closing;
	unsigned backoff_ms;   /* next reconnect delay, before jitter */
	struct event *conn_ev; /* connect timeout, or reconnect backoff */
	struct event *cmd_ev;  /* deadline of the oldest pending lookup */
	struct pending *phead, *ptail;
	struct hmap cache;
	struct cache_ent *chead, *ctail;
	uint32_t seed;
	struct auth_redis_stats st;
	char *realm;	      /* whose options are read; NULL: none */
	struct event *lim_ev; /* read them again */
	struct auth_realm_limits lim;
	unsigned inflight; /* status commands not answered yet */
};

static void conn_start(struct auth_redis *r);
static void limits_fetch(struct auth_redis *r);

void auth_redis_cfg_defaults(struct auth_redis_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->host = "127.0.0.1";
	cfg->port = 6379;
	cfg->connect_timeout_ms = 2000;
	cfg->command_timeout_ms = 1000;
	cfg->cache_ttl_s = 30;
	cfg->neg_ttl_s = 5;
	cfg->cache_max = 10000;
	cfg->backoff_min_ms = 250;
	cfg->backoff_max_ms = 10000;
	cfg->limits_refresh_ms = 60000;
	cfg->status_max_inflight = 10000;
}

/* ---- the cache -------------------------------------------------------- */

/* The key of an entry: realm, user, algorithm and REST mode. */
struct ckey {
	const char *realm, *user;
	size_t rlen, ulen;
	uint16_t alg;
	bool rest;
};

static uint32_t cache_hash(const struct auth_redis *r, const struct ckey *k)
{
	uint8_t tag[3] = { (uint8_t)(k->alg >> 8), (uint8_t)k->alg, k->rest };
	uint32_t h = hmap_hash_bytes(r->seed, &k->rlen, sizeof(k->rlen));

	h = hmap_hash_bytes(h, k->realm, k->rlen);
	h = hmap_hash_bytes(h, k->user, k->ulen);
	return hmap_hash_bytes(h, tag, sizeof(tag));
}

static struct ckey ent_key(const struct cache_ent *e)
{
	struct ckey k = { e->name, e->name + e->rlen, e->rlen, e->ulen, e->alg,
			  e->rest };

	return k;
}

static void cache_del(struct auth_redis *r, struct cache_ent *e)
{
	hmap_remove(&r->cache, &e->node);
	if (e->prev)
		e->prev->next = e->next;
	else
		r->chead = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		r->ctail = e->prev;
	OPENSSL_cleanse(e->keys, sizeof(e->keys));
	free(e);
}

/* The entry for (realm, user, alg, rest), or NULL. An expired entry is
 * removed on the way, so a deleted user is served for at most a TTL. */
static struct cache_ent *cache_find(struct auth_redis *r, const struct ckey *k,
				    uint64_t now)
{
	uint32_t h = cache_hash(r, k);
	struct hmap_node *n;

	for (n = hmap_first(&r->cache, h); n; n = hmap_next(n, h)) {
		struct cache_ent *e = (struct cache_ent *)n;

		if (e->rlen != k->rlen || e->ulen != k->ulen ||
		    e->alg != k->alg || e->rest != k->rest ||
		    memcmp(e->name, k->realm, k->rlen) ||
		    memcmp(e->name + k->rlen, k->user, k->ulen))
			continue;
		if (e->expires > now)
			return e;
		cache_del(r, e);
		return NULL;
	}
	return NULL;
}

/* Remember the answer to p (0 with keys, or ENOENT). Best effort: out of
 * memory just means no caching. */
static void cache_put(struct auth_redis *r, const struct pending *p, int err,
		      const struct auth_key *keys, size_t n)
{
	unsigned ttl = err ? r->cfg.neg_ttl_s : r->cfg.cache_ttl_s;
	struct ckey k = { p->name, p->name + p->rlen, p->rlen, p->ulen, p->alg,
			  p->rest };
	uint64_t now = clock_mono_ms();
	struct cache_ent *e;

	if (!ttl || !r->cfg.cache_max)
		return;
	e = cache_find(r, &k, now);
	if (e)
		cache_del(r, e);
	while (r->chead &&
	       (r->cache.n >= r->cfg.cache_max || r->chead->expires <= now))
		cache_del(r, r->chead);
	e = calloc(1, sizeof(*e) + p->rlen + p->ulen);
	if (!e)
		return;
	e->expires = now + (uint64_t)ttl * 1000;
	e->err = err;
	e->nkeys = n;
	if (n)
		memcpy(e->keys, keys, n * sizeof(*keys));
	e->alg = p->alg;
	e->rest = p->rest;
	e->rlen = p->rlen;
	e->ulen = p->ulen;
	memcpy(e->name, p->name, p->rlen + p->ulen);
	k = ent_key(e);
	hmap_insert(&r->cache, &e->node, cache_hash(r, &k));
	e->prev = r->ctail;
	if (r->ctail)
		r->ctail->next = e;
	else
		r->chead = e;
	r->ctail = e;
}

/* ---- the connection --------------------------------------------------- */

static struct timeval tv_ms(uint64_t ms)
{
	struct timeval tv = { (time_t)(ms / 1000),
			      (suseconds_t)(ms % 1000) * 1000 };

	return tv;
}

/* Wait before the next attempt: half the backoff plus a random part of the
 * other half, so workers (and servers) that lost Redis together do not
 * come back in lockstep; then double the backoff up to its maximum. */
static void conn_wait(struct auth_redis *r)
{
	uint32_t rnd = 0;
	unsigned half = r->backoff_ms / 2;
	struct timeval tv;

	if (r->closing)
		return;
	if (rand_bytes(&rnd, sizeof(rnd)))
		rnd = 0;
	tv = tv_ms(half + (half ? rnd % (r->backoff_ms - half + 1) : 0));
	r->backoff_ms = r->backoff_ms > r->cfg.backoff_max_ms / 2
			    ? r->cfg.backoff_max_ms
			    : r->backoff_ms * 2;
	evtimer_del(r->conn_ev);
	evtimer_add(r->conn_ev, &tv);
}

/* Close the connection we own now. hiredis answers every queued command
 * with a NULL reply before redisAsyncFree returns (or, inside one of its
 * callbacks, as soon as that callback returns); r->ac is cleared first so
 * the disconnect callback knows the drop was ours. */
static void conn_drop(struct auth_redis *r)
{
	redisAsyncContext *ac = r->ac;

	r->ac = NULL;
	r->ready = false;
	if (ac)
		redisAsyncFree(ac);
	conn_wait(r);
}

/* hiredis frees ac after these two return; forget it if still ours. */
static void on_connect(const redisAsyncContext *ac, int status)
{
	struct auth_redis *r = ac->data;

	if (status == REDIS_OK || r->ac != ac)
		return;
	r->ac = NULL;
	r->ready = false;
	conn_wait(r);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
	(void)status;
	on_connect(ac, REDIS_ERR);
}

/* AUTH and SELECT: an error reply (wrong password, bad db) drops the
 * connection and retries with backoff, as for an unreachable server. */
static void on_setup(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct auth_redis *r = ac->data;
	const redisReply *rep = reply;

	(void)privdata;
	if (rep && r->ac == ac && rep->type == REDIS_REPLY_ERROR)
		conn_drop(r);
}

/* The PING after AUTH and SELECT: the connection is usable. */
static void on_ready(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct auth_redis *r = ac->data;
	const redisReply *rep = reply;

	(void)privdata;
	if (!rep || r->ac != ac)
		return;
	if (rep->type == REDIS_REPLY_ERROR) {
		conn_drop(r);
		return;
	}
	r->ready = true;
	r->backoff_ms = r->cfg.backoff_min_ms;
	evtimer_del(r->conn_ev);
	/* at once: limits set before ternd started apply from the start */
	limits_fetch(r);
}

/* Queue AUTH, SELECT and PING; hiredis sends them once connected. */
static int conn_setup(struct auth_redis *r)
{
	const char *argv[2];
	size_t len[2];
	char db[16];

	if (r->password) {
		argv[0] = "AUTH";
		argv[1] = r->password;
		len[0] = 4;
		len[1] = strlen(r->password);
		if (redisAsyncCommandArgv(r->ac, on_setup, NULL, 2, argv,
					  len) != REDIS_OK)
			return EIO;
	}
	if (r->cfg.db) {
		argv[0] = "SELECT";
		argv[1] = db;
		len[0] = 6;
		len[1] = (size_t)snprintf(db, sizeof(db), "%u", r->cfg.db);
		if (redisAsyncCommandArgv(r->ac, on_setup, NULL, 2, argv,
					  len) != REDIS_OK)
			return EIO;
	}
	argv[0] = "PING";
	len[0] = 4;
	if (redisAsyncCommandArgv(r->ac, on_ready, NULL, 1, argv, len) !=
	    REDIS_OK)
		return EIO;
	return 0;
}

/* Start a non-blocking connect (the address is numeric: no resolver). A
 * connect that fails at once, or does not finish within the connect
 * timeout, waits for the backoff timer. */
static void conn_start(struct auth_redis *r)
{
	redisAsyncContext *ac;
	struct timeval tv = tv_ms(r->cfg.connect_timeout_ms);

	if (r->unix_path)
		ac = redisAsyncConnectUnix(r->unix_path);
	else
		ac = redisAsyncConnect(r->host, r->cfg.port);
	if (!ac) {
		conn_wait(r);
		return;
	}
	if (ac->err || redisLibeventAttach(ac, r->base) != REDIS_OK) {
		redisAsyncFree(ac);
		conn_wait(r);
		return;
	}
	ac->data = r;
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	r->ac = ac;
	if (conn_setup(r)) {
		conn_drop(r);
		return;
	}
	evtimer_del(r->conn_ev);
	evtimer_add(r->conn_ev, &tv);
}

/* Connect timeout while connecting; otherwise the backoff has passed. */
static void on_conn_timer(evutil_socket_t fd, short what, void *arg)
{
	struct auth_redis *r = arg;

	(void)fd;
	(void)what;
	if (r->ac) {
		conn_drop(r);
		return;
	}
	r->st.reconnects++;
	conn_start(r);
}

/* ---- lookups ---------------------------------------------------------- */

static void cmd_arm(struct auth_redis *r)
{
	uint64_t now = clock_mono_ms();
	struct timeval tv;

	if (!r->phead || evtimer_pending(r->cmd_ev, NULL))
		return;
	tv = tv_ms(r->phead->deadline > now ? r->phead->deadline - now : 0);
	evtimer_add(r->cmd_ev, &tv);
}

/* The oldest lookup is overdue: Redis is stuck or the link is dead without
 * a reset. Dropping the connection answers every pending lookup EAGAIN. */
static void on_cmd_timer(evutil_socket_t fd, short what, void *arg)
{
	struct auth_redis *r = arg;

	(void)fd;
	(void)what;
	if (r->phead && r->phead->deadline <= clock_mono_ms())
		conn_drop(r);
	else
		cmd_arm(r);
}

static void pend_unlink(struct auth_redis *r, struct pending *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		r->phead = p->next;
	if (p->next)
		p->next->prev = p->prev;
	else
		r->ptail = p->prev;
}

/* Answer p, cache a definite answer, and free p. */
static void finish(struct pending *p, int err, const struct auth_key *keys,
		   size_t n)
{
	struct auth_redis *r = p->r;

	pend_unlink(r, p);
	if (err == EAGAIN)
		r->st.errors++;
	else
		cache_put(r, p, err, keys, n);
	p->done(p->arg, err, err ? NULL : keys, err ? 0 : n);
	free(p);
}

static void reply_cb(redisAsyncContext *ac, void *reply, void *privdata);

/* Queue p's command for step. Key and arguments are passed with their
 * lengths, so USERNAME and realm bytes (%, spaces, CR LF, NUL) reach
 * Redis literally and can never be read as format or protocol. */
static int send_step(struct pending *p, enum step step)
{
	static const char *const suffix[] = { "/key", "/password" };
	char key[KEY_MAX];
	const char *argv[2] = { "GET", key };
	size_t len[2] = { 3, 0 }, n = 0;

	if (!p->r->ready || !p->r->ac)
		return EAGAIN;
	p->step = step;
	memcpy(key, "turn/realm/", 11);
	n = 11;
	memcpy(key + n, p->name, p->rlen);
	n += p->rlen;
	if (step == STEP_SECRETS) {
		argv[0] = "SMEMBERS";
		len[0] = 8;
		memcpy(key + n, "/secret", 7);
		n += 7;
	} else {
		memcpy(key + n, "/user/", 6);
		n += 6;
		memcpy(key + n, p->name + p->rlen, p->ulen);
		n += p->ulen;
		memcpy(key + n, suffix[step], strlen(suffix[step]));
		n += strlen(suffix[step]);
	}
	len[1] = n;
	if (redisAsyncCommandArgv(p->r->ac, reply_cb, p, 2, argv, len) !=
	    REDIS_OK)
		return EAGAIN;
	return 0;
}

/* coturn stores one hex key per user; its length tells the algorithm
 * (32 digits MD5, 64 SHA-256, "0x" prefix optional). */
static int key_from_reply(struct auth_key *k, uint16_t alg,
			  const redisReply *rep)
{
	size_t len = rep->len;
	const char *s = rep->str;

	if (rep->type != REDIS_REPLY_STRING || strlen(s) != len)
		return ENOENT;
	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		len -= 2;
	if ((alg == AUTH_ALG_MD5 && len != 32) ||
	    (alg == AUTH_ALG_SHA256 && len != 64))
		return ENOENT;
	return auth_key_from_hex(k, alg, s) ? ENOENT : 0;
}

static void on_key(struct pending *p, const redisReply *rep)
{
	struct auth_key k;

	if (!key_from_reply(&k, p->alg, rep)) {
		finish(p, 0, &k, 1);
		OPENSSL_cleanse(&k, sizeof(k));
		return;
	}
	/* A key for the other algorithm is the user's credential all the
	 * same, as coturn reads it: a plaintext password beside it is a
	 * leftover (turnadmin -a sets the key and leaves an old password),
	 * and must not let a SHA-256 client in with the old password. */
	if (rep->type == REDIS_REPLY_STRING && rep->len) {
		finish(p, ENOENT, NULL, 0);
		return;
	}
	/* No key: older coturn keeps a plaintext password instead, from
	 * which either key derives. */
	if (send_step(p, STEP_PASSWORD))
		finish(p, EAGAIN, NULL, 0);
}

static void on_password(struct pending *p, const redisReply *rep)
{
	struct auth_key k;
	int err;

	if (rep->type == REDIS_REPLY_NIL ||
	    (rep->type == REDIS_REPLY_STRING && !rep->len)) {
		finish(p, ENOENT, NULL, 0);
		return;
	}
	if (rep->type != REDIS_REPLY_STRING) {
		finish(p, EAGAIN, NULL, 0);
		return;
	}
	err = auth_key_derive(&k, p->alg, p->name + p->rlen, p->ulen, p->name,
			      p->rlen, (const uint8_t *)rep->str, rep->len);
	if (err)
		err = err == EINVAL ? ENOENT : EAGAIN;
	finish(p, err, &k, 1);
	OPENSSL_cleanse(&k, sizeof(k));
}

/* One key per secret of the realm. SMEMBERS has no order: with more than
 * AUTH_MAX_KEYS secrets an arbitrary AUTH_MAX_KEYS of them are used. */
static void on_secrets(struct pending *p, const redisReply *rep)
{
	struct auth_key keys[AUTH_MAX_KEYS];
	size_t i, n = 0;
	int err = 0;

	if (rep->type != REDIS_REPLY_ARRAY) {
		finish(p, EAGAIN, NULL, 0);
		return;
	}
	for (i = 0; i < rep->elements && n < AUTH_MAX_KEYS && !err; i++) {
		const redisReply *s = rep->element[i];

		if (s->type != REDIS_REPLY_STRING || !s->len)
			continue;
		err = auth_rest_key(&keys[n++], p->alg, (const uint8_t *)s->str,
				    s->len, p->name + p->rlen, p->ulen, p->name,
				    p->rlen);
	}
	if (err)
		err = err == EINVAL ? ENOENT : EAGAIN;
	else if (!n)
		err = ENOENT;
	finish(p, err, keys, n);
	OPENSSL_cleanse(keys, sizeof(keys));
}

/* A NULL reply: the connection went away (or we dropped it); an error
 * reply (e.g. WRONGTYPE, LOADING) is not a definite answer either. */
static void reply_cb(redisAsyncContext *ac, void *reply, void *privdata)
{
	const redisReply *rep = reply;
	struct pending *p = privdata;

	/* The connection is going: lookups made from this answer's done
	 * callback must not queue on it. */
	if (!rep && p->r->ac == ac)
		p->r->ready = false;
	if (!rep || rep->type == REDIS_REPLY_ERROR) {
		finish(p, EAGAIN, NULL, 0);
		return;
	}
	switch (p->step) {
	case STEP_KEY:
		on_key(p, rep);
		break;
	case STEP_PASSWORD:
		on_password(p, rep);
		break;
	case STEP_SECRETS:
		on_secrets(p, rep);
		break;
	}
}

/* The synchronous answers: refused names, the cache, Redis down. Returns
 * true when done has been called. */
static bool answer_now(struct auth_redis *r, const struct auth_query *q,
		       auth_done_fn done, void *arg)
{
	struct ckey k = {
		q->realm, q->user, q->rlen, q->ulen, q->alg, q->rest
	};
	struct auth_key keys[AUTH_MAX_KEYS];
	const struct cache_ent *e;
	size_t n;
	int err;

	if (!q->realm || !q->user || !q->ulen ||
	    q->rlen > AUTH_REDIS_NAME_MAX || q->ulen > AUTH_REDIS_NAME_MAX ||
	    (q->alg != AUTH_ALG_MD5 && q->alg != AUTH_ALG_SHA256)) {
		done(arg, ENOENT, NULL, 0);
		return true;
	}
	e = cache_find(r, &k, clock_mono_ms());
	if (e) {
		/* A copy: done may look up again and the entry may go. */
		r->st.cache_hits++;
		err = e->err;
		n = e->nkeys;
		memcpy(keys, e->keys, n * sizeof(*keys));
		done(arg, err, err ? NULL : keys, err ? 0 : n);
		OPENSSL_cleanse(keys, sizeof(keys));
		return true;
	}
	if (!r->ready) {
		r->st.errors++;
		done(arg, EAGAIN, NULL, 0);
		return true;
	}
	return false;
}

/* q is copied into the pending lookup; done is called exactly once. */
static void redis_lookup(void *ctx, const struct auth_query *q,
			 auth_done_fn done, void *arg)
{
	struct auth_redis *r = ctx;
	struct pending *p;

	r->st.lookups++;
	if (answer_now(r, q, done, arg))
		return;
	p = calloc(1, sizeof(*p) + q->rlen + q->ulen);
	if (!p) {
		r->st.errors++;
		done(arg, EAGAIN, NULL, 0);
		return;
	}
	r->st.misses++;
	p->r = r;
	p->done = done;
	p->arg = arg;
	p->deadline = clock_mono_ms() + r->cfg.command_timeout_ms;
	p->alg = q->alg;
	p->rest = q->rest;
	p->rlen = q->rlen;
	p->ulen = q->ulen;
	memcpy(p->name, q->realm, q->rlen);
	memcpy(p->name + q->rlen, q->user, q->ulen);
	p->prev = r->ptail;
	if (r->ptail)
		r->ptail->next = p;
	else
		r->phead = p;
	r->ptail = p;
	if (send_step(p, q->rest ? STEP_SECRETS : STEP_KEY))
		finish(p, EAGAIN, NULL, 0);
	else
		cmd_arm(r);
}

/* ---- realm options ---------------------------------------------------- */

/* A count as turnadmin stores it: decimal digits only. Anything else (a
 * hand-written "10k") is not a value rather than a guess. */
static bool limit_value(const redisReply *rep, uint64_t *v)
{
	uint64_t n = 0;
	size_t i;

	/* 19 digits cannot overflow 64 bits */
	if (rep->type != REDIS_REPLY_STRING || !rep->len || rep->len > 19)
		return false;
	for (i = 0; i < rep->len; i++) {
		if (rep->str[i] < '0' || rep->str[i] > '9')
			return false;
		n = n * 10 + (uint64_t)(rep->str[i] - '0');
	}
	*v = n;
	return true;
}

/* The answer to MGET max-bps user-quota total-quota. No answer (the link
 * went down) keeps what we had: a quota should not lapse because Redis
 * blinked. A key that is gone is gone: the setting falls back. */
static void on_limits(redisAsyncContext *ac, void *reply, void *privdata)
{
	const redisReply *rep = reply;
	struct auth_redis *r = privdata;
	struct auth_realm_limits l;

	(void)ac;
	if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements != 3)
		return;
	memset(&l, 0, sizeof(l));
	l.has_max_bps = limit_value(rep->element[0], &l.max_bps);
	l.has_user_quota = limit_value(rep->element[1], &l.user_quota);
	l.has_total_quota = limit_value(rep->element[2], &l.total_quota);
	r->lim = l;
}

static void limits_fetch(struct auth_redis *r)
{
	static const char *const suffix[] = { "/max-bps", "/user-quota",
					      "/total-quota" };
	char keys[3][11 + AUTH_REDIS_NAME_MAX + 13];
	const char *argv[4] = { "MGET" };
	size_t len[4] = { 4 }, rlen, i;

	if (!r->realm || !r->ready || !r->ac)
		return;
	rlen = strlen(r->realm);
	for (i = 0; i < 3; i++) {
		memcpy(keys[i], "turn/realm/", 11);
		memcpy(keys[i] + 11, r->realm, rlen);
		memcpy(keys[i] + 11 + rlen, suffix[i], strlen(suffix[i]));
		argv[i + 1] = keys[i];
		len[i + 1] = 11 + rlen + strlen(suffix[i]);
	}
	redisAsyncCommandArgv(r->ac, on_limits, r, 4, argv, len);
}

static void on_limits_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	limits_fetch(arg);
}

/* A persistent timer, with a realm only. */
static int limits_timer(struct auth_redis *r)
{
	struct timeval tv = tv_ms(r->cfg.limits_refresh_ms);

	if (!r->realm)
		return 0;
	r->lim_ev = event_new(r->base, -1, EV_PERSIST, on_limits_timer, r);
	if (!r->lim_ev || event_add(r->lim_ev, &tv))
		return ENOMEM;
	return 0;
}

bool auth_redis_realm_limits(const struct auth_redis *r,
			     struct auth_realm_limits *out)
{
	*out = r->lim;
	return out->has_max_bps || out->has_user_quota || out->has_total_quota;
}

/* ---- allocation status ------------------------------------------------ */

/* Every status command's reply: only counted, so that a Redis that stops
 * answering cannot make us queue without bound. A NULL reply (the link
 * went down) comes for each one too. */
static void on_status(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct auth_redis *r = privdata;

	(void)ac;
	(void)reply;
	if (r->inflight)
		r->inflight--;
}

/* K + what into key: coturn's key for the allocation (its realm-less form
 * when there is no realm). Returns the length. */
static size_t status_key(char *key, const struct auth_redis_alloc *a,
			 const char *what)
{
	size_t n = 0, rlen = strlen(a->realm), wlen = strlen(what);

	if (rlen) {
		memcpy(key, "turn/realm/", 11);
		memcpy(key + 11, a->realm, rlen);
		n = 11 + rlen;
		memcpy(key + n, "/user/", 6);
		n += 6;
	} else {
		memcpy(key, "turn/user/", 10);
		n = 10;
	}
	memcpy(key + n, a->user, a->ulen);
	n += a->ulen;
	n += (size_t)snprintf(key + n, STATUS_KEY_MAX - n,
			      "/allocation/%018" PRIu64 "/", a->session);
	memcpy(key + n, what, wlen);
	return n + wlen;
}

/* "new lifetime=600, type=UDP, local=..., remote=..., ssl=NONE,
 * cipher=NONE", as coturn 4.6 writes it. */
static void status_line(char *buf, size_t size,
			const struct auth_redis_alloc *a, const char *what,
			uint32_t lifetime_s)
{
	const char *type = a->type ? a->type : "";
	const char *none = strstr(type, "TLS") ? "UNKNOWN" : "NONE";

	snprintf(buf, size,
		 "%s lifetime=%" PRIu32 ", type=%s, local=%s, remote=%s, "
		 "ssl=%s, cipher=%s",
		 what, lifetime_s, type, a->local ? a->local : "",
		 a->remote ? a->remote : "", a->ssl ? a->ssl : none,
		 a->cipher ? a->cipher : none);
}

static void traffic_line(char *buf, size_t size,
			 const struct auth_redis_traffic *t)
{
	snprintf(buf, size,
		 "rcvp=%" PRIu64 ", rcvb=%" PRIu64 ", sentp=%" PRIu64
		 ", sentb=%" PRIu64,
		 t->rcvp, t->rcvb, t->sentp, t->sentb);
}

/* Queue one command; the caller has checked the room for it. */
static void status_cmd(struct auth_redis *r, int argc, const char **argv,
		       const size_t *len)
{
	if (r->ac && redisAsyncCommandArgv(r->ac, on_status, r, argc, argv,
					   len) == REDIS_OK) {
		r->inflight++;
		r->st.status_sent++;
	} else {
		r->st.status_dropped++;
	}
}

/* PUBLISH K+what val (and SET it first, with an expiry, when set). */
static void status_pub(struct auth_redis *r, const struct auth_redis_alloc *a,
		       const char *what, const char *val, bool set)
{
	char key[STATUS_KEY_MAX], ex[16];
	const char *argv[5] = { "SET", key, val, "EX", ex };
	size_t len[5] = { 3, status_key(key, a, what), strlen(val), 2, 0 };

	if (set) {
		len[4] =
		    (size_t)snprintf(ex, sizeof(ex), "%" PRIu32, a->lifetime_s);
		status_cmd(r, a->lifetime_s ? 5 : 3, argv, len);
	}
	argv[0] = "PUBLISH";
	len[0] = 7;
	status_cmd(r, 3, argv, len);
}

/* coturn's order: the last traffic report, then the status key goes,
 * then "deleted", then the totals. */
static void status_deleted(struct auth_redis *r,
			   const struct auth_redis_alloc *a)
{
	char key[STATUS_KEY_MAX], client[128], peer[128], line[384];
	const char *argv[2] = { "DEL", key };
	size_t len[2] = { 3, 0 };

	if (a->released) {
		status_line(line, sizeof(line), a, "refreshed", 0);
		status_pub(r, a, "status", line, false);
	}
	traffic_line(client, sizeof(client), &a->client);
	traffic_line(peer, sizeof(peer), &a->peer);
	status_pub(r, a, "traffic", client, false);
	status_pub(r, a, "traffic/peer", peer, false);
	len[1] = status_key(key, a, "status");
	status_cmd(r, 2, argv, len);
	status_pub(r, a, "status", "deleted", false);
	status_pub(r, a, "total_traffic", client, false);
	status_pub(r, a, "total_traffic/peer", peer, false);
}

void auth_redis_alloc_status(struct auth_redis *r,
			     const struct auth_redis_alloc *a)
{
	unsigned n = a->ev == AUTH_REDIS_ALLOC_DELETED ? 6u + a->released : 2u;
	char line[384];

	if (!a->realm || !a->user || strlen(a->realm) > AUTH_REDIS_NAME_MAX ||
	    a->ulen > AUTH_REDIS_NAME_MAX || !r->ready || !r->ac ||
	    r->inflight + n > r->cfg.status_max_inflight) {
		r->st.status_dropped += n;
		return;
	}
	if (a->ev == AUTH_REDIS_ALLOC_DELETED) {
		status_deleted(r, a);
		return;
	}
	status_line(line, sizeof(line), a,
		    a->ev == AUTH_REDIS_ALLOC_NEW ? "new" : "refreshed",
		    a->lifetime_s);
	status_pub(r, a, "status", line, true);
}

/* ---- life cycle ------------------------------------------------------- */

static bool cfg_valid(const struct auth_redis_cfg *cfg)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (!cfg->unix_path && (!cfg->host || !cfg->port ||
				(inet_pton(AF_INET, cfg->host, &a4) != 1 &&
				 inet_pton(AF_INET6, cfg->host, &a6) != 1)))
		return false;
	if (cfg->realm && strlen(cfg->realm) > AUTH_REDIS_NAME_MAX)
		return false;
	return cfg->connect_timeout_ms && cfg->command_timeout_ms &&
	       cfg->backoff_min_ms &&
	       cfg->backoff_max_ms >= cfg->backoff_min_ms &&
	       cfg->limits_refresh_ms && cfg->status_max_inflight;
}

static int dup_opt(char **dst, const char *src)
{
	*dst = NULL;
	if (src && !(*dst = strdup(src)))
		return ENOMEM;
	return 0;
}

int auth_redis_alloc(struct auth_redis **rp, struct event_base *base,
		     const struct auth_redis_cfg *cfg)
{
	struct auth_redis *r;
	int err = ENOMEM;

	if (!rp || !base || !cfg || !cfg_valid(cfg))
		return EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return ENOMEM;
	r->base = base;
	r->cfg = *cfg;
	r->backoff_ms = cfg->backoff_min_ms;
	if (dup_opt(&r->host, cfg->unix_path ? NULL : cfg->host) ||
	    dup_opt(&r->unix_path, cfg->unix_path) ||
	    dup_opt(&r->password, cfg->password) ||
	    dup_opt(&r->realm, cfg->realm))
		goto out;
	r->cfg.host = r->host;
	r->cfg.unix_path = r->unix_path;
	r->cfg.password = r->password;
	r->cfg.realm = r->realm;
	r->conn_ev = evtimer_new(base, on_conn_timer, r);
	r->cmd_ev = evtimer_new(base, on_cmd_timer, r);
	if (!r->conn_ev || !r->cmd_ev || hmap_init(&r->cache, 64) ||
	    limits_timer(r))
		goto out;
	/* Cache keys come from the network: a secret seed spreads them. */
	if (rand_bytes(&r->seed, sizeof(r->seed))) {
		err = EIO;
		goto out;
	}
	conn_start(r);
	*rp = r;
	return 0;
out:
	auth_redis_free(r);
	return err;
}

void auth_redis_free(struct auth_redis *r)
{
	redisAsyncContext *ac;

	if (!r)
		return;
	r->closing = true;
	r->ready = false;
	ac = r->ac;
	r->ac = NULL;
	if (ac)
		redisAsyncFree(ac); /* answers each pending lookup EAGAIN */
	while (r->chead)
		cache_del(r, r->chead);
	hmap_release(&r->cache);
	if (r->conn_ev)
		event_free(r->conn_ev);
	if (r->cmd_ev)
		event_free(r->cmd_ev);
	if (r->lim_ev)
		event_free(r->lim_ev);
	if (r->password)
		OPENSSL_cleanse(r->password, strlen(r->password));
	free(r->password);
	free(r->host);
	free(r->unix_path);
	free(r->realm);
	free(r);
}

struct auth_store auth_redis_store(struct auth_redis *r)
{
	struct auth_store s = { .lookup = redis_lookup,
				.ctx = r,
				.remote = true };

	return s;
}

bool auth_redis_connected(const struct auth_redis *r)
{
	return r && r->ready;
}

void auth_redis_stats(const struct auth_redis *r, struct auth_redis_stats *st)
{
	*st = r->st;
}
