/*
 * srv_cred.c — GET /turn-credentials: TURN REST credentials for a web app
 * (draft-uberti-behave-turn-rest-00, coturn's use-auth-secret, ternd's
 * auth.secrets): username "<expiry>:<name>", credential
 * base64(HMAC-SHA1(secret, username)), as ternd checks them (auth/rest.c,
 * whose code computes them here too).
 *
 * Who gets them: a client that shows the token of a live WebSocket session
 * ("Authorization: Bearer TOKEN" or "?token=TOKEN") or a configured API key
 * ("X-API-Key: KEY"); anyone else gets 401. Every request, answered or not,
 * spends a token of its address's bucket (IPv6 by /64, since one host has
 * a whole /64): an empty bucket is 429, so tokens cannot be guessed fast.
 *
 * The secret is turn.secret (or turn.secret_file), or read from the Redis
 * a coturn or ternd deployment shares, in coturn's layout: SMEMBERS
 * turn/realm/<realm>/secret, again every REFRESH_S, on hiredis's async
 * client on the server's loop (never blocking it). Any member of the set
 * will do: ternd and coturn accept a username signed with any of them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "auth/auth.h"
#include "base/clock.h"
#include "signal/srv.h"
#include "signal/srv_http.h"

enum {
	SLOTS = 4096,	/* addresses remembered by the limiter */
	REFRESH_S = 30, /* the Redis secret is read again this often */
	TOKEN_MAX = 256,
};

struct slot {
	uint8_t key[9]; /* family, then 4 (IPv4) or 8 (IPv6 /64) bytes */
	double tokens;
	uint64_t ms;
};

struct cred {
	const struct sig_conf *cf;
	struct event_base *base;
	struct slot *slots;
	size_t nslots;
	/* Redis */
	redisAsyncContext *ac;
	struct event *timer;
	char *redis_secret;
	bool freeing;
};

/* ---- the limiter --------------------------------------------------------- */

static void slot_key(const struct sa *a, uint8_t key[9])
{
	size_t n;
	const uint8_t *b = sa_addr_bytes(a, &n);

	memset(key, 0, 9);
	key[0] = (uint8_t)sa_family(a);
	if (b)
		memcpy(key + 1, b, n == 4 ? 4 : 8);
}

static bool allow(struct cred *cr, const struct sa *a, uint64_t now)
{
	struct slot *s = NULL, *old = NULL;
	uint8_t key[9];

	slot_key(a, key);
	for (size_t i = 0; i < cr->nslots && !s; i++) {
		if (!memcmp(cr->slots[i].key, key, 9))
			s = &cr->slots[i];
		else if (!old || cr->slots[i].ms < old->ms)
			old = &cr->slots[i];
	}
	if (!s) {
		s = cr->nslots < SLOTS ? &cr->slots[cr->nslots++] : old;
		memcpy(s->key, key, 9);
		s->tokens = cr->cf->cred_burst;
		s->ms = now;
	}
	s->tokens += (double)(now - s->ms) * cr->cf->cred_rate / 60000.0;
	if (s->tokens > cr->cf->cred_burst)
		s->tokens = cr->cf->cred_burst;
	s->ms = now;
	if (s->tokens < 1.0)
		return false;
	s->tokens -= 1.0;
	return true;
}

/* ---- the secret from Redis ---------------------------------------------- */

static void on_members(redisAsyncContext *ac, void *r, void *arg)
{
	struct cred *cr = arg;
	redisReply *rep = r;
	char *pick = NULL;

	(void)ac;
	if (!rep || cr->freeing)
		return;
	if (rep->type != REDIS_REPLY_ARRAY) {
		log_warn(
		    "redis: SMEMBERS turn/realm/%s/secret: %s", cr->cf->realm,
		    rep->type == REDIS_REPLY_ERROR ? rep->str : "not a set");
		return;
	}
	for (size_t i = 0; i < rep->elements; i++)
		if (rep->element[i]->type == REDIS_REPLY_STRING &&
		    rep->element[i]->len > 0) {
			pick =
			    strndup(rep->element[i]->str, rep->element[i]->len);
			break;
		}
	if (!pick && cr->redis_secret)
		log_warn("redis: turn/realm/%s/secret is empty: no more "
			 "credentials",
			 cr->cf->realm);
	if (cr->redis_secret)
		OPENSSL_cleanse(cr->redis_secret, strlen(cr->redis_secret));
	free(cr->redis_secret);
	cr->redis_secret = pick;
}

static void ask(struct cred *cr)
{
	char key[600];

	snprintf(key, sizeof(key), "turn/realm/%s/secret", cr->cf->realm);
	redisAsyncCommand(cr->ac, on_members, cr, "SMEMBERS %s", key);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
	struct cred *cr = ac->data;

	(void)status;
	if (cr)
		cr->ac = NULL;
}

static void on_connect(const redisAsyncContext *ac, int status)
{
	struct cred *cr = ac->data;

	if (status != REDIS_OK) {
		log_warn("redis %s:%u: %s (retrying every %d s)",
			 cr->cf->redis_host, cr->cf->redis_port,
			 ac->errstr[0] ? ac->errstr : "cannot connect",
			 REFRESH_S);
		cr->ac = NULL; /* hiredis frees it */
	}
}

static void connect_redis(struct cred *cr)
{
	redisAsyncContext *ac =
	    redisAsyncConnect(cr->cf->redis_host, cr->cf->redis_port);

	if (!ac)
		return;
	if (ac->err || redisLibeventAttach(ac, cr->base) != REDIS_OK) {
		redisAsyncFree(ac);
		return;
	}
	ac->data = cr;
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	cr->ac = ac;
	if (cr->cf->redis_password)
		redisAsyncCommand(ac, NULL, NULL, "AUTH %s",
				  cr->cf->redis_password);
	if (cr->cf->redis_db)
		redisAsyncCommand(ac, NULL, NULL, "SELECT %u",
				  cr->cf->redis_db);
	ask(cr);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct cred *cr = arg;

	(void)fd;
	(void)what;
	if (cr->ac)
		ask(cr);
	else
		connect_redis(cr);
}

int cred_alloc(struct cred **cp, struct event_base *base,
	       const struct sig_conf *conf)
{
	struct cred *cr = calloc(1, sizeof(*cr));
	struct timeval tv = { REFRESH_S, 0 };

	if (!cr || !(cr->slots = calloc(SLOTS, sizeof(struct slot)))) {
		free(cr);
		return ENOMEM;
	}
	cr->cf = conf;
	cr->base = base;
	if (conf->redis_host) {
		cr->timer = event_new(base, -1, EV_PERSIST, on_timer, cr);
		if (!cr->timer || event_add(cr->timer, &tv)) {
			cred_free(cr);
			return ENOMEM;
		}
		connect_redis(cr);
	}
	*cp = cr;
	return 0;
}

void cred_free(struct cred *cr)
{
	if (!cr)
		return;
	cr->freeing = true;
	if (cr->ac) {
		cr->ac->data = NULL;
		redisAsyncFree(cr->ac);
	}
	if (cr->timer)
		event_free(cr->timer);
	if (cr->redis_secret)
		OPENSSL_cleanse(cr->redis_secret, strlen(cr->redis_secret));
	free(cr->redis_secret);
	free(cr->slots);
	free(cr);
}

/* ---- the request --------------------------------------------------------- */

static void respond_json(struct conn *c, int status, bool head,
			 const char *extra, json_t *j)
{
	char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	if (!body) {
		conn_respond(c, 503, head, NULL, "application/json",
			     "{\"error\":\"out of memory\"}", 25);
		return;
	}
	conn_respond(c, status, head, extra, "application/json", body,
		     strlen(body));
	free(body);
}

static void refuse(struct conn *c, int status, bool head, const char *extra,
		   const char *code, const char *why)
{
	respond_json(c, status, head, extra,
		     json_pack("{s:s, s:s}", "error", code, "reason", why));
}

/* Constant time, whatever the lengths: both sides hashed first. */
static bool key_equal(const char *a, const char *b)
{
	uint8_t ha[SHA256_DIGEST_LENGTH], hb[SHA256_DIGEST_LENGTH];

	SHA256((const uint8_t *)a, strlen(a), ha);
	SHA256((const uint8_t *)b, strlen(b), hb);
	return CRYPTO_memcmp(ha, hb, sizeof(ha)) == 0;
}

static bool authorized(struct conn *c, const uint8_t *head, size_t hlen,
		       const char *query)
{
	const struct sig_conf *cf = c->s->cf;
	char v[TOKEN_MAX];
	bool ok = false;

	if (!sig_http_header(head, hlen, "authorization", v, sizeof(v)) &&
	    !strncasecmp(v, "Bearer ", 7))
		ok = srv_ws_by_token(c->s, v + 7) != NULL;
	if (!ok && !sig_http_query(query, "token", v, sizeof(v)))
		ok = srv_ws_by_token(c->s, v) != NULL;
	if (!ok && !sig_http_header(head, hlen, "x-api-key", v, sizeof(v)))
		for (size_t i = 0; i < cf->n_api_keys; i++)
			ok |= key_equal(v, cf->api_keys[i]);
	OPENSSL_cleanse(v, sizeof(v));
	return ok;
}

static json_t *credentials(const struct sig_conf *cf, const char *secret)
{
	char name[512], pass[AUTH_REST_PASS_LEN + 1];
	json_t *urls = json_array(), *j;

	snprintf(name, sizeof(name), "%llu:%s",
		 (unsigned long long)(clock_wall_s() + cf->ttl), cf->cred_name);
	if (!urls || auth_rest_password((const uint8_t *)secret, strlen(secret),
					name, strlen(name), pass)) {
		json_decref(urls);
		return NULL;
	}
	for (size_t i = 0; i < cf->n_urls; i++)
		json_array_append_new(urls, json_string(cf->urls[i]));
	j = json_pack("{s:s, s:s, s:I, s:o}", "username", name, "credential",
		      pass, "ttl", (json_int_t)cf->ttl, "urls", urls);
	OPENSSL_cleanse(pass, sizeof(pass));
	return j;
}

/*
 * CORS (Fetch standard, "CORS protocol"): a page of another origin that
 * may open the WebSocket (the Origin policy, srv_http.h) may also read the
 * credentials its token buys; the answer names that origin, never "*",
 * and says it varies with Origin. Empty for a same-origin request (no
 * Origin header) or an origin not allowed (the browser then hides the
 * answer from the page). Header values never hold CR or LF: the head
 * parser refused control bytes before routing.
 */
static void cors(struct conn *c, const uint8_t *head, size_t hlen, char *out,
		 size_t cap)
{
	const struct sig_conf *cf = c->s->cf;
	char origin[256], host[256] = "";

	out[0] = '\0';
	if (sig_http_header(head, hlen, "origin", origin, sizeof(origin)))
		return;
	sig_http_header(head, hlen, "host", host, sizeof(host));
	if (sig_http_origin_ok(origin, host, (const char *const *)cf->origins,
			       cf->n_origins))
		snprintf(out, cap,
			 "Access-Control-Allow-Origin: %s\r\nVary: Origin\r\n",
			 origin);
}

void srv_cred_preflight(struct conn *c, const uint8_t *head, size_t hlen)
{
	char hdr[640];
	size_t n;

	cors(c, head, hlen, hdr, sizeof(hdr));
	if (!hdr[0]) {
		conn_respond(c, 403, false, NULL, "text/plain; charset=utf-8",
			     "origin not allowed\n", 19);
		return;
	}
	n = strlen(hdr);
	snprintf(hdr + n, sizeof(hdr) - n,
		 "Access-Control-Allow-Methods: GET\r\n"
		 "Access-Control-Allow-Headers: Authorization, X-API-Key\r\n"
		 "Access-Control-Max-Age: 600\r\n");
	conn_respond(c, 204, false, hdr, "text/plain", "", 0);
}

void srv_cred_request(struct conn *c, bool head_only, const uint8_t *head,
		      size_t hlen, const char *query)
{
	struct cred *cr = c->s->cred;
	struct sig_stats *st = &c->s->st;
	const char *secret = cr->cf->secret ? cr->cf->secret : cr->redis_secret;
	char hdr[768];
	size_t n;

	cors(c, head, hlen, hdr, sizeof(hdr));
	n = strlen(hdr);
	if (!allow(cr, &c->peer, clock_mono_ms())) {
		st->cred_limited++;
		snprintf(hdr + n, sizeof(hdr) - n, "Retry-After: 60\r\n");
		refuse(c, 429, head_only, hdr, "rate-limited",
		       "too many credential requests from this address");
		return;
	}
	if (!authorized(c, head, hlen, query)) {
		st->cred_unauth++;
		snprintf(hdr + n, sizeof(hdr) - n,
			 "WWW-Authenticate: Bearer realm=\"tern-signal\"\r\n");
		refuse(c, 401, head_only, hdr, "unauthorized",
		       "send the session token of a live WebSocket "
		       "(Authorization: Bearer TOKEN or ?token=TOKEN) or an "
		       "API key (X-API-Key)");
		return;
	}
	if (!secret) {
		st->cred_unavail++;
		refuse(c, 503, head_only, hdr, "no-secret",
		       "no TURN REST secret (turn.secret, turn.secret_file "
		       "or turn.redis)");
		return;
	}
	st->cred_ok++;
	respond_json(c, 200, head_only, hdr, credentials(cr->cf, secret));
}
