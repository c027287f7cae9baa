/*
 * admin.h — tern-admin, the operator's credential tool (tern-admin(1)):
 * users, TURN REST secrets and realm quotas in coturn's Redis layout,
 * ephemeral credentials, long-term keys, and coturn configuration import.
 *
 * Layout (src/tools/admin/):
 *   main.c    main: global options, the command table, exit status
 *   cmd.c     user, secret and quota commands (Redis)
 *   gen.c     credentials, key and import-coturn commands
 *   cred.c    iceServers entries and hex keys (pure)
 *   redis.c   the only file that talks to Redis (hiredis, synchronous)
 *   conn.c    "HOST:PORT" and coturn's connection string (pure)
 *   import.c  coturn's turnserver.conf, read (pure)
 *   emit.c    ... and written as ternd.conf (pure)
 *   range.c   address ranges "a-b" into CIDR prefixes (pure)
 *   util.c    string lists, secrets read from stdin, hex, options
 *   sess.c    sessions and kill commands (ternd's admin listener)
 *   http.c    the only file that talks HTTP (to that listener)
 *   httpparse.c  its URL and its answers (pure)
 *
 * Also linked, from src/tools/common/: uri.c (URI syntax) and cred.c (REST
 * credentials), so turn-probe and tern-admin agree on both.
 *
 * Exit status: 0 done, 1 failed (Redis or the admin listener, missing
 * entry or session, unreadable file),
 * 2 usage error. Every message goes to stderr and is one sentence that
 * starts with "tern-admin: ".
 */
#ifndef TERN_TOOLS_ADMIN_ADMIN_H
#define TERN_TOOLS_ADMIN_ADMIN_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tools/common/uri.h" /* tools_fail */

#define ADMIN_OK    0
#define ADMIN_FAIL  1
#define ADMIN_USAGE 2

/* USERNAME is < 513 bytes (RFC 8489 §14.3); REALM < 128 characters
 * (§14.9), which ternd's auth.realm counts in bytes. */
#define ADMIN_NAME_MAX	513
#define ADMIN_REALM_MAX 127

/* ---- string lists (util.c) --------------------------------------- */

/* A growable list of NUL-terminated strings it owns; zeroed = empty. */
struct admin_list {
	char **v;
	size_t n, cap;
};

/* Append a copy of the len bytes at s. Returns 0 or ENOMEM. */
int admin_list_add(struct admin_list *l, const char *s, size_t len);
/* Sort (strcmp order) and drop duplicates. */
void admin_list_sort_unique(struct admin_list *l);
/* Free every string and the array; l is empty afterwards. Accepts NULL.
 * Strings are wiped first: lists carry secrets. */
void admin_list_free(struct admin_list *l);

/* Lower-case hex of n bytes into out (2n + 1 bytes). */
void admin_hex(char *out, const uint8_t *b, size_t n);

/*
 * A secret the operator did not want on the command line: one line from
 * stdin, without its line end. On a terminal the prompt goes to stderr and
 * echo is off while typing. *out is malloc'd (the caller wipes and frees
 * it). Returns 0, EINVAL (empty line or end of input) or ENOMEM / errno.
 */
int admin_read_secret(const char *prompt, char **out);

/* Free a secret after overwriting it. Accepts NULL. */
void admin_secret_free(char *s);

/* ---- Redis connection (conn.c, redis.c) -------------------- */

struct admin_conn {
	const char *host;      /* name or address; default 127.0.0.1 */
	uint16_t port;	       /* default 6379 */
	const char *unix_path; /* a Unix socket instead, when set */
	const char *password;  /* AUTH when set */
	unsigned db;	       /* SELECT when not 0 */
	unsigned timeout_ms;   /* connect, and each command */
};

/*
 * "HOST", "HOST:PORT", "[V6]:PORT", a bare IPv6 address, or "/path" (a Unix
 * socket) into c->host / c->port / c->unix_path. c keeps pointers into buf,
 * a copy of text the caller provides (at least strlen(text) + 1 bytes).
 * Returns 0 or EINVAL with a sentence in why.
 */
int admin_conn_parse(struct admin_conn *c, const char *text, char *buf,
		     char *why, size_t whylen);

/*
 * coturn's connection string, as in turnserver.conf's redis-userdb and
 * turnadmin's -N: "ip=ADDR port=N dbname=N password=P connect_timeout=S",
 * space separated (host/hostaddr/ipaddr = ip; database/db = dbname;
 * passwd/pwd/secret = password). The string is copied into buf (at least
 * strlen(s) + 1 bytes) and c points into it; keys c does not use go into
 * *unknown (a pointer into buf, NULL when none; only the first is kept).
 * Returns 0 or EINVAL with a sentence in why.
 */
int admin_conn_coturn(struct admin_conn *c, const char *s, char *buf,
		      const char **unknown, char *why, size_t whylen);

struct admin_db;

/* Connect, AUTH and SELECT. Returns 0, or errno with a sentence in why
 * that names the server. */
int admin_db_open(struct admin_db **dbp, const struct admin_conn *c, char *why,
		  size_t whylen);
/* Close. Accepts NULL. */
void admin_db_close(struct admin_db *db);
/* The sentence for the last failed call: what Redis or the connection
 * said. */
const char *admin_db_error(const struct admin_db *db);

/*
 * coturn's layout (turnadmin writes the same keys):
 *
 *   turn/realm/<realm>/user/<user>/key       hex MD5(user:realm:password)
 *   turn/realm/<realm>/user/<user>/password  plaintext (older coturn)
 *   turn/realm/<realm>/secret                set of REST shared secrets
 *   turn/realm/<realm>/user-quota            realm options, decimal
 *   turn/realm/<realm>/total-quota
 *   turn/realm/<realm>/max-bps
 *
 * Every call returns 0 or an errno (EIO for a Redis error reply or a lost
 * connection; admin_db_error says which). Names and values are passed as
 * separate arguments, never formatted into a command.
 */

/* Store hexkey as the user's key and drop a plaintext password left by
 * older coturn (one MULTI/EXEC). *existed: the user had a key or a
 * password before. */
int admin_db_user_set(struct admin_db *db, const char *realm, const char *user,
		      const char *hexkey, bool *existed);
/* Delete the user's key and password; *existed: anything was deleted. */
int admin_db_user_del(struct admin_db *db, const char *realm, const char *user,
		      bool *existed);
/* "<realm>\t<user>\t<key|password|key+password>" per user, sorted; realm
 * NULL for every realm. Walks the keyspace with SCAN (never KEYS). */
int admin_db_user_list(struct admin_db *db, const char *realm,
		       struct admin_list *out);

/* SADD / SREM one secret; *changed: it was added / removed. */
int admin_db_secret_add(struct admin_db *db, const char *realm,
			const char *secret, bool *changed);
int admin_db_secret_del(struct admin_db *db, const char *realm,
			const char *secret, bool *changed);
/* The realm's secrets, sorted. */
int admin_db_secrets(struct admin_db *db, const char *realm,
		     struct admin_list *out);
/* "<realm>\t<secret>" for every realm with secrets (SCAN), sorted. */
int admin_db_secret_list_all(struct admin_db *db, struct admin_list *out);

/* Realm options by coturn's names: "user-quota", "total-quota",
 * "max-bps". Set writes the decimal value; 0 deletes the key, which is
 * what turnadmin does for 0 ("no limit"). Get returns the stored text in
 * *value (malloc'd) or NULL when unset. */
int admin_db_option_set(struct admin_db *db, const char *realm,
			const char *name, uint64_t value);
int admin_db_option_get(struct admin_db *db, const char *realm,
			const char *name, char **value);

/* ---- commands ----------------------------------------------------------- */

/* What every command gets: the connection settings (only the commands
 * that use Redis connect) and its own argv (argv[0] = command name). */
struct admin_ctx {
	struct admin_conn conn;
	FILE *out, *err;
};

/* The usage text (main.c). */
void admin_usage(FILE *f);

/* A command's options and positional arguments. */
struct admin_opts {
	const char *cmd;	 /* "user add": for messages */
	const struct option *lo; /* getopt_long's table */
	const char *shortopts;	 /* getopt's, without ':' and 'h' */
	char *pos[2];		 /* positional arguments */
	int npos, maxpos;
};

/*
 * getopt_long over argv (argv[0] is the command's last word); each option
 * goes to fn(x, st, ch, optarg), which returns 0 or an exit status after
 * saying why. Positional arguments go into o->pos. Returns 0, an exit
 * status after a message (ADMIN_USAGE for a bad option), or -1 after
 * --help printed the usage.
 */
int admin_getopt(struct admin_ctx *x, struct admin_opts *o, int argc,
		 char **argv,
		 int (*fn)(struct admin_ctx *x, void *st, int ch,
			   const char *arg),
		 void *st);

/* Connect with x->conn; on failure say why (exit status 1). */
int admin_connect(struct admin_ctx *x, struct admin_db **db);

int admin_cmd_user(struct admin_ctx *x, int argc, char **argv);
int admin_cmd_secret(struct admin_ctx *x, int argc, char **argv);
int admin_cmd_quota(struct admin_ctx *x, int argc, char **argv);
int admin_cmd_credentials(struct admin_ctx *x, int argc, char **argv);
int admin_cmd_key(struct admin_ctx *x, int argc, char **argv);
int admin_cmd_import(struct admin_ctx *x, int argc, char **argv);
int admin_cmd_sessions(struct admin_ctx *x, int argc, char **argv);
int admin_cmd_kill(struct admin_ctx *x, int argc, char **argv);

/* "http://HOST:PORT" or "http://[V6]:PORT" (a trailing "/" allowed)
 * into host and port (httpparse.c, pure). Returns 0 or EINVAL with a
 * sentence in why. */
int admin_url_split(const char *url, char host[256], char port[8], char *why,
		    size_t whylen);
/* The status code of an HTTP/1.x answer of len bytes and where its body
 * starts (*body, an offset into ans). Returns 0 or EBADMSG. */
int admin_http_parse(const char *ans, size_t len, int *status, size_t *body);

/*
 * One HTTP/1.0 request to ternd's admin listener at url ("http://HOST:PORT")
 * (http.c): method, path (with its query), and "Authorization: Bearer
 * token" unless token is NULL; at most timeout_ms per step. Returns 0 with
 * *status and *body (malloc'd, terminated; the caller frees it), or an
 * errno with a sentence in why.
 */
int admin_http(const char *url, const char *method, const char *path,
	       const char *token, unsigned timeout_ms, int *status, char **body,
	       char *why, size_t whylen);

/* Print "tern-admin: <sentence>\n" to x->err and return status. */
int admin_say(const struct admin_ctx *x, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A user or realm name fit for Redis and ternd: not empty, no control
 * characters, not longer than max bytes. Returns NULL or a reason. */
const char *admin_name_problem(const char *s, size_t max);

/* ---- credentials (cred.c, pure) ---------------------------------- */

/*
 * One iceServers entry with TURN REST API credentials
 * (draft-uberti-behave-turn-rest-00 §2.2, coturn's use-auth-secret):
 *   {"urls": [uris...], "username": "<expiry>:<user>",
 *    "credential": base64(HMAC-SHA1(secret, username))}
 * *json is malloc'd, one line, no newline. Returns 0, EINVAL (name too
 * long) or ENOMEM.
 */
int admin_ice_entry(char **json, const char *secret, const char *user,
		    int64_t expiry, const char *const *uris, size_t nuris);

/* The long-term key (RFC 8489 §9.2.2) of user in realm as lower-case hex
 * into out (65 bytes): 32 digits for MD5, 64 for SHA-256. Returns 0,
 * EINVAL or ENOMEM. */
int admin_key_hex(char out[65], uint16_t alg, const char *user,
		  const char *realm, const char *password);

/* Is s a long-term key in hex ("0x" optional): 32 or 64 digits? The
 * digits (lower-cased, no prefix) go into out (65 bytes). */
bool admin_key_normalize(char out[65], const char *s);

/* ---- address ranges (range.c, pure) ------------------------------ */

/*
 * coturn's peer address forms, "ADDR", "ADDR-ADDR" (inclusive, same
 * family) or "ADDR/LEN", as the smallest list of CIDR prefixes that covers
 * exactly the same addresses ("10.0.0.1-10.0.0.6" -> 10.0.0.1/32,
 * 10.0.0.2/31, 10.0.0.4/31, 10.0.0.6/32). Appends the prefixes as text
 * to out. Returns 0, EINVAL (with a reason in why) or ENOMEM.
 */
int admin_range_cidrs(const char *text, struct admin_list *out, char *why,
		      size_t whylen);

/* ---- coturn import (import.c, pure) ------------------------------ */

enum admin_diag_kind {
	ADMIN_DIAG_SKIP, /* an option with no ternd equivalent */
	ADMIN_DIAG_NOTE	 /* imported, or nothing to import, with a caveat */
};

struct admin_diag {
	unsigned line; /* 0: about the file as a whole */
	enum admin_diag_kind kind;
	char opt[48];
	char text[320]; /* never contains a secret */
};

struct admin_import {
	char *conf; /* the ternd.conf text, malloc'd */
	size_t conflen;
	struct admin_diag *diag;
	size_t ndiag, dcap;
	unsigned imported; /* settings written from coturn lines */
	unsigned skipped;  /* ADMIN_DIAG_SKIP entries */
};

/*
 * Read coturn's turnserver.conf (text, len bytes; the format coturn's own
 * reader accepts: "name=value", "name value" or a bare flag per line, '#'
 * lines are comments, a value may be in double quotes) and write the
 * equivalent ternd.conf into im->conf, with every coturn option that has
 * no equivalent in im->diag. Relative certificate paths are resolved
 * against srcdir (the folder of the coturn file; NULL leaves them). The
 * output uses only settings etc/ternd.conf documents. Returns 0 or ENOMEM;
 * free im with admin_import_free either way.
 */
int admin_import_coturn(struct admin_import *im, const char *text, size_t len,
			const char *srcdir);
void admin_import_free(struct admin_import *im);

#endif
