/*
 * redis.c — tern-admin's Redis client: coturn's key layout through
 * hiredis's synchronous API; see admin.h.
 *
 * The only file of src/tools that includes hiredis (scripts/check-layers
 * has the exception). tern-admin is a short-lived command, so blocking
 * calls with a timeout are the right tool here, unlike in ternd's workers.
 *
 * Every command goes out through redisCommandArgv with explicit lengths:
 * user names, realms and secrets are arguments, never part of a format
 * string, so '%', spaces or CR LF in them reach Redis literally. Keys are
 * listed with SCAN (a cursor walk that never blocks the server), never
 * with KEYS.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "tools/admin/admin.h"

#define SCAN_COUNT "1000"

struct admin_db {
	redisContext *c;
	char where[300]; /* "Redis at HOST:PORT" */
	char err[512];
};

static void set_err(struct admin_db *db, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_err(struct admin_db *db, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(db->err, sizeof(db->err), "%s: ", db->where);

	if (n < 0 || (size_t)n >= sizeof(db->err))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(db->err + n, sizeof(db->err) - (size_t)n, fmt, ap);
	va_end(ap);
}

const char *admin_db_error(const struct admin_db *db)
{
	return db ? db->err : "no Redis connection";
}

/* Run one command. An error reply or a lost connection is NULL with the
 * reason in db->err; the caller frees a non-NULL reply. */
static redisReply *cmd(struct admin_db *db, int argc, const char **argv)
{
	size_t len[8];
	redisReply *r;

	for (int i = 0; i < argc; i++)
		len[i] = strlen(argv[i]);
	r = redisCommandArgv(db->c, argc, argv, len);
	if (!r) {
		set_err(db, "%s failed: %s", argv[0],
			db->c->errstr[0] ? db->c->errstr : "connection lost");
		return NULL;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		set_err(db, "%s answered: %s", argv[0], r->str);
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

/* One command whose reply must be of type want. */
static redisReply *cmd_want(struct admin_db *db, int want, int argc,
			    const char **argv)
{
	redisReply *r = cmd(db, argc, argv);

	if (r && r->type != want) {
		set_err(db, "unexpected reply type %d to %s", r->type, argv[0]);
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

static struct timeval tv_ms(unsigned ms)
{
	struct timeval tv = { (time_t)(ms / 1000),
			      (suseconds_t)(ms % 1000) * 1000 };

	return tv;
}

static int db_setup(struct admin_db *db, const struct admin_conn *c)
{
	char dbn[16];
	redisReply *r;

	if (redisSetTimeout(db->c, tv_ms(c->timeout_ms)) != REDIS_OK) {
		set_err(db, "cannot set a timeout: %s", db->c->errstr);
		return EIO;
	}
	if (c->password && *c->password) {
		const char *auth[] = { "AUTH", c->password };

		r = cmd(db, 2, auth);
		if (!r)
			return EACCES;
		freeReplyObject(r);
	}
	if (c->db) {
		const char *sel[] = { "SELECT", dbn };

		snprintf(dbn, sizeof(dbn), "%u", c->db);
		r = cmd(db, 2, sel);
		if (!r)
			return EIO;
		freeReplyObject(r);
	}
	return 0;
}

int admin_db_open(struct admin_db **dbp, const struct admin_conn *c, char *why,
		  size_t whylen)
{
	struct admin_db *db = calloc(1, sizeof(*db));
	struct timeval tv = tv_ms(c->timeout_ms);
	int err;

	if (!db) {
		snprintf(why, whylen, "out of memory");
		return ENOMEM;
	}
	if (c->unix_path) {
		snprintf(db->where, sizeof(db->where), "Redis at %s",
			 c->unix_path);
		db->c = redisConnectUnixWithTimeout(c->unix_path, tv);
	} else {
		snprintf(db->where, sizeof(db->where), "Redis at %s%s%s:%u",
			 strchr(c->host, ':') ? "[" : "", c->host,
			 strchr(c->host, ':') ? "]" : "", c->port);
		db->c = redisConnectWithTimeout(c->host, c->port, tv);
	}
	if (!db->c || db->c->err) {
		snprintf(why, whylen, "cannot reach %s: %s", db->where,
			 db->c ? db->c->errstr : "out of memory");
		admin_db_close(db);
		return ECONNREFUSED;
	}
	err = db_setup(db, c);
	if (err) {
		snprintf(why, whylen, "%s", db->err);
		admin_db_close(db);
		return err;
	}
	*dbp = db;
	return 0;
}

void admin_db_close(struct admin_db *db)
{
	if (!db)
		return;
	if (db->c)
		redisFree(db->c);
	free(db);
}

/* ---- keys --------------------------------------------------------------- */

#define PREFIX "turn/realm/"

/* PREFIX realm [middle suffix]; malloc'd or NULL. */
static char *key3(const char *realm, const char *middle, const char *suffix)
{
	char *k = NULL;

	if (asprintf(&k, PREFIX "%s%s%s", realm, middle ? middle : "",
		     suffix ? suffix : "") < 0)
		return NULL;
	return k;
}

static char *user_key(const char *realm, const char *user, const char *what)
{
	char *mid = NULL, *k;

	if (asprintf(&mid, "/user/%s/", user) < 0)
		return NULL;
	k = key3(realm, mid, what);
	free(mid);
	return k;
}

/* s with SCAN's glob characters escaped, so MATCH takes it literally. */
static char *glob_escape(const char *s)
{
	char *o = malloc(2 * strlen(s) + 1), *p = o;

	if (!o)
		return NULL;
	for (; *s; s++) {
		if (strchr("*?[]\\", *s))
			*p++ = '\\';
		*p++ = *s;
	}
	*p = '\0';
	return o;
}

/* Walk every key matching pattern with SCAN; each key goes to fn. */
static int scan(struct admin_db *db, const char *pattern,
		int (*fn)(void *arg, const char *key, size_t len), void *arg)
{
	char cursor[32] = "0";
	int err = 0;

	do {
		const char *argv[] = { "SCAN",	cursor,	 "MATCH",
				       pattern, "COUNT", SCAN_COUNT };
		redisReply *r = cmd_want(db, REDIS_REPLY_ARRAY, 6, argv);
		const redisReply *keys;

		if (!r)
			return EIO;
		if (r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING ||
		    r->element[0]->len >= sizeof(cursor) ||
		    r->element[1]->type != REDIS_REPLY_ARRAY) {
			set_err(db, "SCAN answered something unexpected");
			freeReplyObject(r);
			return EIO;
		}
		memcpy(cursor, r->element[0]->str, r->element[0]->len);
		cursor[r->element[0]->len] = '\0';
		keys = r->element[1];
		for (size_t i = 0; i < keys->elements && !err; i++)
			if (keys->element[i]->type == REDIS_REPLY_STRING)
				err = fn(arg, keys->element[i]->str,
					 keys->element[i]->len);
		freeReplyObject(r);
	} while (!err && strcmp(cursor, "0") != 0);
	return err;
}

/* ---- users -------------------------------------------------------------- */

/* Queue one command inside MULTI (Redis answers QUEUED). */
static int queue(struct admin_db *db, int argc, const char **argv)
{
	redisReply *r = cmd(db, argc, argv);

	if (!r)
		return EIO;
	freeReplyObject(r);
	return 0;
}

/* EXISTS, SET and DEL in one transaction, so no reader ever sees the new
 * key next to an old plaintext password (from which ternd would derive a
 * SHA-256 key, keeping the old password valid). */
static int user_tx(struct admin_db *db, const char *key, const char *pw,
		   const char *hexkey, bool *existed)
{
	const char *multi[] = { "MULTI" }, *exec[] = { "EXEC" };
	const char *discard[] = { "DISCARD" };
	const char *exists[] = { "EXISTS", key, pw };
	const char *set[] = { "SET", key, hexkey };
	const char *del[] = { "DEL", pw };
	redisReply *r;

	if (queue(db, 1, multi))
		return EIO;
	if (queue(db, 3, exists) || queue(db, 3, set) || queue(db, 2, del)) {
		r = redisCommandArgv(db->c, 1, discard, NULL);
		if (r)
			freeReplyObject(r);
		return EIO;
	}
	r = cmd_want(db, REDIS_REPLY_ARRAY, 1, exec);
	if (!r)
		return EIO;
	if (r->elements != 3 || r->element[0]->type != REDIS_REPLY_INTEGER ||
	    r->element[1]->type == REDIS_REPLY_ERROR) {
		set_err(db, "the transaction (MULTI/EXEC) failed");
		freeReplyObject(r);
		return EIO;
	}
	*existed = r->element[0]->integer > 0;
	freeReplyObject(r);
	return 0;
}

int admin_db_user_set(struct admin_db *db, const char *realm, const char *user,
		      const char *hexkey, bool *existed)
{
	char *key = user_key(realm, user, "key");
	char *pw = user_key(realm, user, "password");
	int err = ENOMEM;

	if (key && pw)
		err = user_tx(db, key, pw, hexkey, existed);
	else
		set_err(db, "out of memory");
	free(key);
	free(pw);
	return err;
}

int admin_db_user_del(struct admin_db *db, const char *realm, const char *user,
		      bool *existed)
{
	char *key = user_key(realm, user, "key");
	char *pw = user_key(realm, user, "password");
	const char *del[] = { "DEL", key, pw };
	redisReply *r;
	int err = ENOMEM;

	if (key && pw) {
		err = EIO;
		r = cmd_want(db, REDIS_REPLY_INTEGER, 3, del);
		if (r) {
			*existed = r->integer > 0;
			freeReplyObject(r);
			err = 0;
		}
	}
	free(key);
	free(pw);
	return err;
}

/* SCAN results: PREFIX <realm> "/user/" <user> "/key" | "/password" */
struct user_walk {
	const char *realm;	 /* NULL: any */
	struct admin_list found; /* "realm\tuser\tkind" */
};

static int user_seen(void *arg, const char *k, size_t len)
{
	static const char *const kinds[] = { "/key", "/password" };
	struct user_walk *w = arg;
	const char *end = k + len, *realm = k + strlen(PREFIX), *mid;
	char *line = NULL;
	size_t i;
	int n, err;

	for (i = 0; i < 2; i++) {
		size_t sl = strlen(kinds[i]);

		if (len > sl && memcmp(end - sl, kinds[i], sl) == 0) {
			end -= sl;
			break;
		}
	}
	if (i == 2 || strlen(k) != len)
		return 0; /* allocation status and the like */
	mid = w->realm ? realm + strlen(w->realm) : strstr(realm, "/user/");
	if (!mid || mid >= end || strncmp(mid, "/user/", 6) != 0 ||
	    mid + 6 >= end)
		return 0;
	n = asprintf(&line, "%.*s\t%.*s\t%s", (int)(mid - realm), realm,
		     (int)(end - mid - 6), mid + 6, kinds[i] + 1);
	if (n < 0)
		return ENOMEM;
	err = admin_list_add(&w->found, line, (size_t)n);
	free(line);
	return err;
}

/* "r\tu\tkey" and "r\tu\tpassword" for the same user become one line. */
static int merge_kinds(struct admin_list *in, struct admin_list *out)
{
	size_t i = 0;
	int err = 0;

	admin_list_sort_unique(in);
	while (i < in->n && !err) {
		const char *a = in->v[i], *tab = strrchr(a, '\t');
		size_t stem = (size_t)(tab - a);
		const char *b = i + 1 < in->n ? in->v[i + 1] : NULL;

		if (b && strncmp(a, b, stem + 1) == 0 &&
		    !strchr(b + stem + 1, '\t')) {
			char *line = NULL;
			int n =
			    asprintf(&line, "%.*s\tkey+password", (int)stem, a);

			err = n < 0 ? ENOMEM
				    : admin_list_add(out, line, (size_t)n);
			free(line);
			i += 2;
			continue;
		}
		err = admin_list_add(out, a, strlen(a));
		i++;
	}
	return err;
}

int admin_db_user_list(struct admin_db *db, const char *realm,
		       struct admin_list *out)
{
	struct user_walk w = { realm, { 0 } };
	char *pattern = NULL, *esc = NULL;
	int err = ENOMEM;

	if (realm) {
		esc = glob_escape(realm);
		if (esc)
			pattern = key3(esc, "/user/*", NULL);
	} else {
		pattern = key3("*", "/user/*", NULL);
	}
	if (pattern) {
		err = scan(db, pattern, user_seen, &w);
		if (!err)
			err = merge_kinds(&w.found, out);
	}
	if (err == ENOMEM)
		set_err(db, "out of memory");
	admin_list_free(&w.found);
	free(pattern);
	free(esc);
	return err;
}

/* ---- secrets ------------------------------------------------------------ */

static int set_op(struct admin_db *db, const char *op, const char *realm,
		  const char *secret, bool *changed)
{
	char *key = key3(realm, "/secret", NULL);
	const char *argv[] = { op, key, secret };
	redisReply *r;

	if (!key)
		return ENOMEM;
	r = cmd_want(db, REDIS_REPLY_INTEGER, 3, argv);
	free(key);
	if (!r)
		return EIO;
	*changed = r->integer > 0;
	freeReplyObject(r);
	return 0;
}

int admin_db_secret_add(struct admin_db *db, const char *realm,
			const char *secret, bool *changed)
{
	return set_op(db, "SADD", realm, secret, changed);
}

int admin_db_secret_del(struct admin_db *db, const char *realm,
			const char *secret, bool *changed)
{
	return set_op(db, "SREM", realm, secret, changed);
}

/* The members of key, each prefixed with prefix (may be ""). A key that
 * is not a set is an error, or skipped when walking (other tools may keep
 * keys that merely look like coturn's). */
static int members(struct admin_db *db, const char *key, const char *prefix,
		   bool walking, struct admin_list *out)
{
	const char *argv[] = { "SMEMBERS", key };
	redisReply *r = cmd_want(db, REDIS_REPLY_ARRAY, 2, argv);
	int err = 0;

	if (!r)
		return walking && strstr(db->err, "WRONGTYPE") ? 0 : EIO;
	for (size_t i = 0; i < r->elements && !err; i++) {
		const redisReply *m = r->element[i];
		char *line = NULL;
		int n;

		if (m->type != REDIS_REPLY_STRING || strlen(m->str) != m->len)
			continue; /* NUL inside: not something we can print */
		n = asprintf(&line, "%s%s", prefix, m->str);
		err = n < 0 ? ENOMEM : admin_list_add(out, line, (size_t)n);
		admin_secret_free(line);
	}
	freeReplyObject(r);
	return err;
}

int admin_db_secrets(struct admin_db *db, const char *realm,
		     struct admin_list *out)
{
	char *key = key3(realm, "/secret", NULL);
	int err;

	if (!key)
		return ENOMEM;
	err = members(db, key, "", false, out);
	free(key);
	if (!err)
		admin_list_sort_unique(out);
	return err;
}

struct secret_walk {
	struct admin_db *db;
	struct admin_list *out;
};

static int secret_seen(void *arg, const char *k, size_t len)
{
	struct secret_walk *w = arg;
	size_t plen = strlen(PREFIX), slen = strlen("/secret");
	char *prefix = NULL;
	int err;

	/* a realm is one path segment (coturn's realms are domain names) */
	if (strlen(k) != len || len <= plen + slen ||
	    memchr(k + plen, '/', len - plen - slen))
		return 0;
	if (asprintf(&prefix, "%.*s\t", (int)(len - plen - slen), k + plen) < 0)
		return ENOMEM;
	err = members(w->db, k, prefix, true, w->out);
	free(prefix);
	return err;
}

int admin_db_secret_list_all(struct admin_db *db, struct admin_list *out)
{
	struct secret_walk w = { db, out };
	int err = scan(db, PREFIX "*/secret", secret_seen, &w);

	if (!err)
		admin_list_sort_unique(out);
	return err;
}

/* ---- realm options ---------------------------------------------------- */

int admin_db_option_set(struct admin_db *db, const char *realm,
			const char *name, uint64_t value)
{
	char *key = key3(realm, "/", name), num[24];
	const char *set[] = { "SET", key, num }, *del[] = { "DEL", key };
	redisReply *r;

	if (!key)
		return ENOMEM;
	snprintf(num, sizeof(num), "%llu", (unsigned long long)value);
	r = value ? cmd(db, 3, set) : cmd(db, 2, del);
	free(key);
	if (!r)
		return EIO;
	freeReplyObject(r);
	return 0;
}

int admin_db_option_get(struct admin_db *db, const char *realm,
			const char *name, char **value)
{
	char *key = key3(realm, "/", name);
	const char *get[] = { "GET", key };
	redisReply *r;

	if (!key)
		return ENOMEM;
	r = cmd(db, 2, get);
	free(key);
	if (!r)
		return EIO;
	*value = NULL;
	if (r->type == REDIS_REPLY_STRING)
		*value = strndup(r->str, r->len);
	freeReplyObject(r);
	return 0;
}
