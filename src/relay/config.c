/*
 * config.c — ternd's configuration loader; see config.h.
 *
 * One table, `opts`, lists every setting: its dotted name, its type, its range
 * and its default. Loading walks the parsed file in file order and looks each
 * setting up in that table, so a typo is an error instead of a silently
 * ignored line, and the first problem reported is the first in the file. The
 * checks that involve several settings run after the walk, then the TLS
 * files are tried with OpenSSL so a bad certificate stops the start and not
 * the first handshake.
 *
 * etc/ternd.conf and ternd.conf(5) document the same table; the unit tests
 * hold both to it through config_option_name().
 */
#include <config.h> /* autoconf's, for PACKAGE_VERSION: the angle brackets
		       skip this directory's config.h */

#include "relay/config.h"

#include "auth/store.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <limits.h>
#include <netdb.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Longest dotted name shown in a message ("listen[12].alternate"). */
#define NAME_MAX_LEN 96

#define DEFAULT_SOFTWARE "tern " PACKAGE_VERSION
#define MAX_WORKERS	 256
#define GEN_CERT_HINT                                                          \
	"generate one with scripts/gen-cert, or set ports.tls = 0 and "        \
	"ports.dtls = 0"

enum kind {
	K_GROUP,   /* a { } group of the settings named below it */
	K_LISTEN,  /* the ( ) list of listen groups */
	K_ADDR,	   /* a member of a listen group: a numeric address */
	K_BOOL,	   /* bool at off */
	K_UINT,	   /* unsigned at off */
	K_PORT,	   /* uint16_t at off */
	K_STRING,  /* char * at off; "" stores NULL */
	K_PATH,	   /* char * at off, made absolute against the file's folder */
	K_ENUM,	   /* one of choices, stored by set_enum */
	K_STRLIST, /* [ "...", ... ]: each element handed to o->elem */
	K_USERS,   /* the ( ) list of auth.users groups */
	K_UFIELD,  /* a member of a user group: char * in struct cfg_user */
	K_HEX,	   /* hex bytes (auth.nonce_secret) */
};

struct loader;

struct opt {
	const char *name; /* dotted; "listen.address" is a member of each
			     listen entry */
	enum kind kind;
	size_t off; /* in struct ternd_config; K_ADDR: in struct cfg_listen */
	long long min, max;
	const char *range;  /* the range as messages state it; NULL: min-max */
	long long def;	    /* K_BOOL, K_UINT, K_PORT */
	const char *defstr; /* K_STRING, K_PATH, K_ENUM */
	const char *const *choices; /* K_ENUM, NULL-terminated */
	void (*set_enum)(struct ternd_config *cfg, unsigned idx);
	unsigned maxchars; /* K_STRING: 0 = unlimited */
	/* K_STRLIST: take one element (a string; shown "relay.addresses[2]") */
	int (*elem)(struct loader *ld, const config_setting_t *s,
		    const char *shown, const char *v);
};

static const char *const level_names[] = { "error", "warn", "info", "debug",
					   NULL };
static const char *const target_names[] = { "stderr", "syslog", NULL };
static const char *const tls_versions[] = { "1.2", "1.3", NULL };
static const char *const store_names[] = { "config", "redis", NULL };
static const char *const format_names[] = { "plain", "json", NULL };

/* The choices are listed in enum order, so the index is the value. */
static void set_level(struct ternd_config *cfg, unsigned idx)
{
	cfg->log_level = (enum log_level)idx;
}

static void set_target(struct ternd_config *cfg, unsigned idx)
{
	cfg->log_target = idx ? LOG_TO_SYSLOG : LOG_TO_STDERR;
}

static void set_format(struct ternd_config *cfg, unsigned idx)
{
	cfg->log_json = idx == 1;
}

static void set_tls_min(struct ternd_config *cfg, unsigned idx)
{
	cfg->tls_min_13 = idx == 1;
}

static void set_store(struct ternd_config *cfg, unsigned idx)
{
	cfg->store = idx ? CFG_STORE_REDIS : CFG_STORE_CONFIG;
}

static int take_secret(struct loader *ld, const config_setting_t *s,
		       const char *shown, const char *v);
static int take_relay_addr(struct loader *ld, const config_setting_t *s,
			   const char *shown, const char *v);
static int take_allow(struct loader *ld, const config_setting_t *s,
		      const char *shown, const char *v);
static int take_deny(struct loader *ld, const config_setting_t *s,
		     const char *shown, const char *v);

#define OFF(f) offsetof(struct ternd_config, f)
#define GROUP(n)                                                               \
	{                                                                      \
		.name = (n), .kind = K_GROUP                                   \
	}
#define NUM(n, k, f, lo, hi, d, r)                                             \
	{                                                                      \
		.name = (n), .kind = (k), .off = OFF(f), .min = (lo),          \
		.max = (hi), .def = (d), .range = (r)                          \
	}
#define STR(n, k, f, d)                                                        \
	{                                                                      \
		.name = (n), .kind = (k), .off = OFF(f), .defstr = (d)         \
	}
#define ENUM(n, d, c, fn)                                                      \
	{                                                                      \
		.name = (n), .kind = K_ENUM, .defstr = (d), .choices = (c),    \
		.set_enum = (fn)                                               \
	}
#define LIST(n, fn)                                                            \
	{                                                                      \
		.name = (n), .kind = K_STRLIST, .elem = (fn)                   \
	}
#define UFIELD(n, f)                                                           \
	{                                                                      \
		.name = (n), .kind = K_UFIELD,                                 \
		.off = offsetof(struct cfg_user, f)                            \
	}
#define PORT_OR_0 "1-65535, or 0 to disable"

/* Every setting ternd knows, in the order ternd.conf(5) documents them. */
static const struct opt opts[] = {
	NUM("workers", K_UINT, workers, 0, MAX_WORKERS, 0,
	    "0-256; 0 = one per CPU ternd may run on"),
	{ .name = "software",
	  .kind = K_STRING,
	  .off = OFF(software),
	  .defstr = DEFAULT_SOFTWARE,
	  .maxchars = 127 },
	NUM("rfc3489", K_BOOL, rfc3489, 0, 1, 1, NULL),
	{ .name = "user",
	  .kind = K_STRING,
	  .off = OFF(run_user),
	  .defstr = "",
	  .maxchars = 64 },
	{ .name = "group",
	  .kind = K_STRING,
	  .off = OFF(run_group),
	  .defstr = "",
	  .maxchars = 64 },
	GROUP("log"),
	ENUM("log.level", "info", level_names, set_level),
	ENUM("log.target", "stderr", target_names, set_target),
	ENUM("log.format", "plain", format_names, set_format),
	{ .name = "listen", .kind = K_LISTEN },
	{ .name = "listen.address",
	  .kind = K_ADDR,
	  .off = offsetof(struct cfg_listen, addr) },
	{ .name = "listen.alternate",
	  .kind = K_ADDR,
	  .off = offsetof(struct cfg_listen, alt) },
	GROUP("ports"),
	NUM("ports.udp", K_PORT, udp_port, 0, 65535, 3478, PORT_OR_0),
	NUM("ports.tcp", K_PORT, tcp_port, 0, 65535, 3478, PORT_OR_0),
	NUM("ports.tls", K_PORT, tls_port, 0, 65535, 5349, PORT_OR_0),
	NUM("ports.dtls", K_PORT, dtls_port, 0, 65535, 5349, PORT_OR_0),
	NUM("ports.alternate", K_PORT, alt_port, 1, 65535, 3479, "1-65535"),
	GROUP("tls"),
	STR("tls.certificate", K_PATH, tls_cert, "tls/ternd.crt"),
	STR("tls.private_key", K_PATH, tls_key, "tls/ternd.key"),
	STR("tls.ciphers", K_STRING, tls_ciphers, ""),
	ENUM("tls.min_version", "1.2", tls_versions, set_tls_min),
	GROUP("limits"),
	NUM("limits.max_connections", K_UINT, max_connections, 1, 1000000, 4096,
	    NULL),
	NUM("limits.idle_timeout", K_UINT, idle_timeout_s, 1, 86400, 300, NULL),
	NUM("limits.frame_timeout", K_UINT, frame_timeout_s, 1, 3600, 10, NULL),
	NUM("limits.handshake_timeout", K_UINT, handshake_timeout_s, 1, 3600,
	    10, NULL),
	NUM("limits.dtls_max_sessions", K_UINT, dtls_max_sessions, 1, 1000000,
	    4096, NULL),
	NUM("limits.udp_batch", K_UINT, udp_batch, 1, 1024, 32, NULL),
	NUM("limits.udp_gso", K_BOOL, udp_gso, 0, 1, 1, NULL),
	NUM("limits.log_interval", K_UINT, log_interval_s, 1, 3600, 10, NULL),
	NUM("limits.challenge_rate", K_UINT, challenge_rate, 0, 1000000, 100,
	    "0-1000000 per second; 0 = unlimited"),
	NUM("limits.challenge_burst", K_UINT, challenge_burst, 1, 1000000, 200,
	    NULL),
	GROUP("auth"),
	/* RFC 8489 §14.9: REALM has fewer than 128 characters */
	{ .name = "auth.realm",
	  .kind = K_STRING,
	  .off = OFF(realm),
	  .defstr = "",
	  .maxchars = 127 },
	ENUM("auth.store", "config", store_names, set_store),
	{ .name = "auth.users", .kind = K_USERS },
	UFIELD("auth.users.name", name),
	UFIELD("auth.users.password", password),
	UFIELD("auth.users.key", key),
	LIST("auth.secrets", take_secret),
	NUM("auth.rest", K_BOOL, rest, 0, 1, 0, NULL),
	NUM("auth.sha256", K_BOOL, sha256, 0, 1, 1, NULL),
	NUM("auth.nonce_lifetime", K_UINT, nonce_lifetime_s, 30, 86400, 600,
	    NULL),
	{ .name = "auth.nonce_secret", .kind = K_HEX },
	GROUP("redis"),
	STR("redis.address", K_STRING, redis_host, "127.0.0.1"),
	NUM("redis.port", K_PORT, redis_port, 1, 65535, 6379, "1-65535"),
	STR("redis.password", K_STRING, redis_password, ""),
	NUM("redis.database", K_UINT, redis_db, 0, 65535, 0, NULL),
	NUM("redis.timeout", K_UINT, redis_timeout_s, 1, 60, 2, NULL),
	NUM("redis.cache_ttl", K_UINT, redis_cache_ttl_s, 0, 3600, 30, NULL),
	NUM("redis.status", K_BOOL, redis_status, 0, 1, 0, NULL),
	GROUP("relay"),
	LIST("relay.addresses", take_relay_addr),
	NUM("relay.port_min", K_PORT, relay_port_min, 1, 65535, 49152,
	    "1-65535"),
	NUM("relay.port_max", K_PORT, relay_port_max, 1, 65535, 65535,
	    "1-65535"),
	NUM("relay.lifetime", K_UINT, lifetime_s, 60, 86400, 600, NULL),
	NUM("relay.max_lifetime", K_UINT, max_lifetime_s, 60, 86400, 3600,
	    NULL),
	NUM("relay.max_allocations", K_UINT, max_allocations, 0, 10000000, 0,
	    "0-10000000; 0 = unlimited"),
	NUM("relay.user_quota", K_UINT, user_quota, 0, 1000000, 0,
	    "0-1000000; 0 = unlimited"),
	NUM("relay.bandwidth", K_UINT, bandwidth, 0, 1000000000, 0,
	    "0-1000000000 bytes/s; 0 = unlimited"),
	NUM("relay.max_permissions", K_UINT, max_permissions, 1, 65535, 128,
	    NULL),
	NUM("relay.rfc5766_channels", K_BOOL, rfc5766_channels, 0, 1, 0, NULL),
	LIST("relay.allow_peers", take_allow),
	LIST("relay.deny_peers", take_deny),
	GROUP("drain"),
	NUM("drain.timeout", K_UINT, drain_timeout_s, 0, 86400, 0,
	    "0-86400 seconds; 0 = SIGTERM stops at once"),
	STR("drain.alternate_server", K_STRING, alternate_server_str, ""),
	GROUP("admin"),
	STR("admin.address", K_STRING, admin_host, "127.0.0.1"),
	NUM("admin.port", K_PORT, admin_port, 0, 65535, 0, PORT_OR_0),
};

#define NOPTS ARRAY_SIZE(opts)

/* Where each listen entry and its members were written, for messages. */
struct listen_src {
	const config_setting_t *addr, *alt;
};

struct loader {
	struct ternd_config *cfg; /* being built; owned until handed out */
	const char *path;	  /* as the caller gave it */
	char *dir;		  /* absolute folder of path */
	char *err;
	size_t errlen;
	const config_setting_t *where[NOPTS]; /* NULL: default applies */
	struct listen_src *lsrc; /* one per cfg->listen entry, or NULL when
				    listen is the default */
	size_t cur;		 /* listen entry being read */
	const config_setting_t **usrc; /* where each auth.users entry is */
	size_t ucur;		       /* user entry being read */
	const char **files; /* @include files read, as libconfig names
			       them */
	size_t nfiles;
};

const char *config_option_name(size_t i)
{
	return i < NOPTS ? opts[i].name : NULL;
}

/* ---- messages ----------------------------------------------------------- */

static int vfail_at(struct loader *ld, const char *file, unsigned line,
		    const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));
static int fail_at(struct loader *ld, const char *file, unsigned line,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(struct loader *ld, const config_setting_t *s, const char *fmt,
		...) __attribute__((format(printf, 3, 4)));
static int ssl_fail(struct loader *ld, const config_setting_t *s,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A file name as libconfig reports it: @include names come relative to the
 * include folder, which is the main file's folder. */
static const char *show_file(const struct loader *ld, const char *f, char *buf,
			     size_t size)
{
	if (!f || strcmp(f, ld->path) == 0 || f[0] == '/')
		return f ? f : ld->path;
	snprintf(buf, size, "%s/%s", ld->dir, f);
	return buf;
}

static int vfail_at(struct loader *ld, const char *file, unsigned line,
		    const char *fmt, va_list ap)
{
	char msg[1024];

	if (!ld->err || !ld->errlen)
		return EINVAL;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* Values are quoted back verbatim; keep the report on one line. */
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (line)
		snprintf(ld->err, ld->errlen, "%s:%u: %s", file, line, msg);
	else
		snprintf(ld->err, ld->errlen, "%s: %s", file, msg);
	return EINVAL;
}

static int fail_at(struct loader *ld, const char *file, unsigned line,
		   const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vfail_at(ld, file, line, fmt, ap);
	va_end(ap);
	return rc;
}

/* Report against setting s ("FILE:LINE: ..."), or the file alone when the
 * value came from a default (s == NULL). Returns EINVAL. */
static int fail(struct loader *ld, const config_setting_t *s, const char *fmt,
		...)
{
	char buf[PATH_MAX];
	const char *file;
	unsigned line = 0;
	va_list ap;
	int rc;

	file = show_file(ld, s ? config_setting_source_file(s) : NULL, buf,
			 sizeof(buf));
	if (s)
		line = config_setting_source_line(s);
	va_start(ap, fmt);
	rc = vfail_at(ld, file, line, fmt, ap);
	va_end(ap);
	return rc;
}

static int nomem(struct loader *ld)
{
	fail(ld, NULL, "out of memory");
	return ENOMEM;
}

/* ---- the table ---------------------------------------------------------- */

static const struct opt *opt_find(const char *name)
{
	for (size_t i = 0; i < NOPTS; i++)
		if (strcmp(opts[i].name, name) == 0)
			return &opts[i];
	return NULL;
}

/* The setting that gave option `name`, or NULL if its default applies. */
static const config_setting_t *src(const struct loader *ld, const char *name)
{
	const struct opt *o = opt_find(name);

	return o ? ld->where[o - opts] : NULL;
}

static const config_setting_t *src2(const struct loader *ld, const char *a,
				    const char *b)
{
	const config_setting_t *s = src(ld, a);

	return s ? s : src(ld, b);
}

/* The last component of o's name if o sits directly in group `parent`
 * (NULL: the top level), else NULL. */
static const char *leaf_in(const struct opt *o, const char *parent)
{
	size_t n;

	if (!parent)
		return strchr(o->name, '.') ? NULL : o->name;
	n = strlen(parent);
	if (strncmp(o->name, parent, n) != 0 || o->name[n] != '.')
		return NULL;
	return strchr(o->name + n + 1, '.') ? NULL : o->name + n + 1;
}

static const char *leaf(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot ? dot + 1 : name;
}

static unsigned min3(unsigned a, unsigned b, unsigned c)
{
	unsigned m = a < b ? a : b;

	return m < c ? m : c;
}

/* Levenshtein distance; UINT_MAX for names too long to be typos. */
static unsigned distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned row[33], diag, up;

	if (la > 32 || lb > 32)
		return UINT_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			up = row[j];
			row[j] = min3(up + 1, row[j - 1] + 1,
				      diag + (a[i - 1] != b[j - 1]));
			diag = up;
		}
	}
	return row[lb];
}

/* Close enough to suggest: a few edits, or one name inside the other at an
 * end ("udp_prot" for "udp", "key" for "private_key"). */
static bool looks_like(const char *typed, const char *known, unsigned d)
{
	size_t lt = strlen(typed), lk = strlen(known);
	size_t shorter = lt < lk ? lt : lk, longer = lt < lk ? lk : lt;
	const char *s = lt < lk ? typed : known, *l = lt < lk ? known : typed;

	if (d == 1 || (d != UINT_MAX && d * 3 <= longer))
		return true;
	if (shorter < 3)
		return false;
	return strncmp(l, s, shorter) == 0 ||
	       strcmp(l + longer - shorter, s) == 0;
}

/* The known name that `typed` (in group `parent`) most likely meant: the
 * same name in another group first, then the closest name in this group. */
static const char *suggest(const char *parent, const char *typed)
{
	const char *best = NULL;
	unsigned bestd = UINT_MAX;

	for (size_t i = 0; i < NOPTS; i++) {
		const char *k = leaf_in(&opts[i], parent);
		unsigned d = k ? distance(typed, k) : UINT_MAX;

		if (k && looks_like(typed, k, d) && (!best || d < bestd)) {
			best = k;
			bestd = d;
		}
	}
	/* a near miss in this group ("relay.address") beats the same name
	 * elsewhere ("listen.address") */
	if (best && bestd <= 2)
		return best;
	/* the members of a user entry are no group of their own: "tls.key"
	 * means tls.private_key, not auth.users.key */
	for (size_t i = 0; i < NOPTS; i++)
		if (!leaf_in(&opts[i], parent) && opts[i].kind != K_UFIELD &&
		    strcmp(leaf(opts[i].name), typed) == 0)
			return opts[i].name;
	return best;
}

static int unknown(struct loader *ld, const config_setting_t *s,
		   const char *parent, const char *shown)
{
	const char *hint = suggest(parent, config_setting_name(s));

	if (hint)
		return fail(ld, s, "unknown setting '%s' (did you mean '%s'?)",
			    shown, hint);
	return fail(ld, s,
		    "unknown setting '%s' (ternd.conf(5) lists them all)",
		    shown);
}

/* ---- storing values ----------------------------------------------------- */

static void *field(struct ternd_config *cfg, const struct opt *o)
{
	return (char *)cfg + o->off;
}

static void store_num(struct ternd_config *cfg, const struct opt *o,
		      long long v)
{
	if (o->kind == K_BOOL)
		*(bool *)field(cfg, o) = v != 0;
	else if (o->kind == K_UINT)
		*(unsigned *)field(cfg, o) = (unsigned)v;
	else if (o->kind == K_PORT)
		*(uint16_t *)field(cfg, o) = (uint16_t)v;
}

static int choice_index(const struct opt *o, const char *v)
{
	for (int i = 0; o->choices[i]; i++)
		if (strcmp(o->choices[i], v) == 0)
			return i;
	return -1;
}

/* A relative path is relative to the configuration file's folder, so the
 * file means the same whatever ternd's working directory is. */
static char *resolve(const char *dir, const char *v)
{
	char *p;

	if (v[0] == '/')
		return strdup(v);
	if (asprintf(&p, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/",
		     v) < 0)
		return NULL;
	return p;
}

/* Store a string value already checked against its option. */
static int store_str(struct loader *ld, const struct opt *o, const char *v)
{
	char **f = field(ld->cfg, o);
	char *p = NULL;

	if (o->kind == K_ENUM) {
		o->set_enum(ld->cfg, (unsigned)choice_index(o, v));
		return 0;
	}
	if (*v) {
		p = o->kind == K_PATH ? resolve(ld->dir, v) : strdup(v);
		if (!p)
			return nomem(ld);
	}
	free(*f);
	*f = p;
	return 0;
}

static int set_defaults(struct loader *ld)
{
	struct ternd_config *c = ld->cfg;
	int rc = 0;

	for (size_t i = 0; i < NOPTS && !rc; i++) {
		if (opts[i].defstr)
			rc = store_str(ld, &opts[i], opts[i].defstr);
		else
			store_num(c, &opts[i], opts[i].def);
	}
	if (rc)
		return rc;
	c->listen = calloc(2, sizeof(*c->listen));
	if (!c->listen)
		return nomem(ld);
	c->nlisten = 2;
	sa_set_str(&c->listen[0].addr, "127.0.0.1", 0);
	sa_set_str(&c->listen[1].addr, "::1", 0);
	return 0;
}

/* ---- reading one setting ------------------------------------------------ */

static int want_type(enum kind k)
{
	switch (k) {
	case K_GROUP:
		return CONFIG_TYPE_GROUP;
	case K_LISTEN:
	case K_USERS:
		return CONFIG_TYPE_LIST;
	case K_STRLIST:
		return CONFIG_TYPE_ARRAY;
	case K_BOOL:
		return CONFIG_TYPE_BOOL;
	case K_UINT:
	case K_PORT:
		return CONFIG_TYPE_INT;
	default:
		return CONFIG_TYPE_STRING;
	}
}

static const char *kind_noun(enum kind k)
{
	switch (k) {
	case K_GROUP:
		return "a group { ... }";
	case K_LISTEN:
		return "a list of groups ( { address = ...; }, ... )";
	case K_USERS:
		return "a list of groups ( { name = ...; password = ...; }, "
		       "... )";
	case K_STRLIST:
		return "an array of strings [ \"...\", ... ]";
	case K_BOOL:
		return "true or false";
	case K_UINT:
	case K_PORT:
		return "an integer";
	default:
		return "a string";
	}
}

static const char *type_noun(const config_setting_t *s)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a float";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_GROUP:
		return "a group";
	case CONFIG_TYPE_ARRAY:
		return "an array";
	default:
		return "a list";
	}
}

static int check_type(struct loader *ld, const struct opt *o,
		      const config_setting_t *s, const char *shown)
{
	int want = want_type(o->kind), got = config_setting_type(s);
	bool quote;

	if (got == want ||
	    (want == CONFIG_TYPE_INT && got == CONFIG_TYPE_INT64))
		return 0;
	/* ( ) and [ ] both read as lists of strings; an empty [ ] as no
	 * users */
	if ((o->kind == K_STRLIST && got == CONFIG_TYPE_LIST) ||
	    (o->kind == K_USERS && got == CONFIG_TYPE_ARRAY &&
	     config_setting_length(s) == 0))
		return 0;
	/* tls.min_version = 1.2 reads as a float: say what to write. */
	quote = want == CONFIG_TYPE_STRING && config_setting_is_number(s);
	return fail(ld, s, "%s must be %s (got %s)%s", shown,
		    kind_noun(o->kind), type_noun(s),
		    quote ? "; put the value in double quotes" : "");
}

static int take_num(struct loader *ld, const struct opt *o,
		    const config_setting_t *s, const char *shown)
{
	long long v = config_setting_get_int64(s);
	char r[64];
	const char *range = o->range;

	if (v >= o->min && v <= o->max) {
		store_num(ld->cfg, o, v);
		return 0;
	}
	if (!range) {
		snprintf(r, sizeof(r), "%lld-%lld", o->min, o->max);
		range = r;
	}
	return fail(ld, s, "%s = %lld is %s (%s)", shown, v,
		    o->kind == K_PORT ? "not a port number" : "out of range",
		    range);
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static int bad_choice(struct loader *ld, const struct opt *o,
		      const config_setting_t *s, const char *shown,
		      const char *v)
{
	char list[128] = "";

	for (int i = 0; o->choices[i]; i++) {
		if (i)
			strncat(list, ", ", sizeof(list) - strlen(list) - 1);
		strncat(list, o->choices[i], sizeof(list) - strlen(list) - 1);
	}
	return fail(ld, s, "%s '%s' is not one of %s", shown, v, list);
}

static int take_str(struct loader *ld, const struct opt *o,
		    const config_setting_t *s, const char *shown)
{
	const char *v = config_setting_get_string(s);
	size_t n;

	if (o->kind == K_ENUM && choice_index(o, v) < 0)
		return bad_choice(ld, o, s, shown, v);
	/* RFC 8489, section 14.14: SOFTWARE "MUST be a UTF-8 encoded sequence
	 * of fewer than 128 characters". */
	if (o->maxchars && (n = utf8_chars(v)) > o->maxchars)
		return fail(ld, s,
			    "%s is %zu characters long; RFC 8489 allows at "
			    "most %u",
			    shown, n, o->maxchars);
	return store_str(ld, o, v);
}

/* "turn.example.org" where an address belongs: no IPv4 address has a
 * letter, and an IPv6 one has a ':'. */
static bool is_host_name(const char *v)
{
	if (strchr(v, ':'))
		return false;
	for (; *v; v++)
		if (isalpha((unsigned char)*v))
			return true;
	return false;
}

static int take_addr(struct loader *ld, const struct opt *o,
		     const config_setting_t *s, const char *shown)
{
	const char *v = config_setting_get_string(s);
	struct cfg_listen *l = &ld->cfg->listen[ld->cur];
	struct listen_src *ls = &ld->lsrc[ld->cur];
	struct sa a;

	if (sa_set_str(&a, v, 0))
		return fail(
		    ld, s, "%s '%s' is not a numeric IPv4 or IPv6 address%s",
		    shown, v,
		    is_host_name(v) ? " (host names are not resolved)" : "");
	/* ::ffff:192.0.2.1 is an IPv4 address; bind and compare it as one. */
	sa_unmap(&a);
	*(struct sa *)((char *)l + o->off) = a;
	if (o->off == offsetof(struct cfg_listen, addr))
		ls->addr = s;
	else
		ls->alt = s;
	return 0;
}

static int walk(struct loader *ld, const config_setting_t *grp, const char *key,
		const char *shown);
static int take_listen(struct loader *ld, const config_setting_t *s);
static int take_users(struct loader *ld, const config_setting_t *s);
static int take_strlist(struct loader *ld, const struct opt *o,
			const config_setting_t *s, const char *shown);
static int take_ufield(struct loader *ld, const struct opt *o,
		       const config_setting_t *s, const char *shown);
static int take_hex(struct loader *ld, const config_setting_t *s,
		    const char *shown);

static int take(struct loader *ld, const struct opt *o,
		const config_setting_t *s, const char *shown)
{
	int rc = check_type(ld, o, s, shown);

	if (rc)
		return rc;
	ld->where[o - opts] = s;
	switch (o->kind) {
	case K_GROUP:
		return walk(ld, s, o->name, o->name);
	case K_LISTEN:
		return take_listen(ld, s);
	case K_USERS:
		return take_users(ld, s);
	case K_STRLIST:
		return take_strlist(ld, o, s, shown);
	case K_UFIELD:
		return take_ufield(ld, o, s, shown);
	case K_HEX:
		return take_hex(ld, s, shown);
	case K_ADDR:
		return take_addr(ld, o, s, shown);
	case K_BOOL:
		store_num(ld->cfg, o, config_setting_get_bool(s));
		return 0;
	case K_UINT:
	case K_PORT:
		return take_num(ld, o, s, shown);
	default:
		return take_str(ld, o, s, shown);
	}
}

static void join(char *buf, size_t size, const char *a, const char *b)
{
	if (a)
		snprintf(buf, size, "%s.%s", a, b);
	else
		snprintf(buf, size, "%s", b);
}

/* Read the members of group grp in file order. key is the group's name in
 * the table ("listen" for every listen entry), shown its name in messages
 * ("listen[2]"); both NULL for the top level. */
static int walk(struct loader *ld, const config_setting_t *grp, const char *key,
		const char *shown)
{
	int n = config_setting_length(grp);

	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(grp, i);
		char k[NAME_MAX_LEN], sh[NAME_MAX_LEN];
		const struct opt *o;
		int rc;

		join(k, sizeof(k), key, config_setting_name(s));
		join(sh, sizeof(sh), shown, config_setting_name(s));
		o = opt_find(k);
		if (!o)
			return unknown(ld, s, key, sh);
		rc = take(ld, o, s, sh);
		if (rc)
			return rc;
	}
	return 0;
}

static int take_listen(struct loader *ld, const config_setting_t *s)
{
	size_t n = (size_t)config_setting_length(s);
	struct cfg_listen *l = calloc(n ? n : 1, sizeof(*l));
	struct listen_src *ls = calloc(n ? n : 1, sizeof(*ls));
	int rc = 0;

	if (!l || !ls) {
		free(l);
		free(ls);
		return nomem(ld);
	}
	free(ld->cfg->listen);
	free(ld->lsrc);
	ld->cfg->listen = l;
	ld->cfg->nlisten = n;
	ld->lsrc = ls;
	for (size_t i = 0; i < n && !rc; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		char sh[NAME_MAX_LEN];

		snprintf(sh, sizeof(sh), "listen[%zu]", i);
		if (!config_setting_is_group(e))
			return fail(ld, e,
				    "%s must be a group such as { address = "
				    "\"192.0.2.1\"; } (got %s)",
				    sh, type_noun(e));
		ld->cur = i;
		rc = walk(ld, e, "listen", sh);
		if (!rc && !sa_is_set(&l[i].addr))
			rc = fail(ld, e,
				  "%s has no address; write { address = "
				  "\"192.0.2.1\"; }",
				  sh);
	}
	return rc;
}

/* ---- auth and relay values ---------------------------------------------- */

static bool is_wildcard(const struct sa *a);

static int push_str(struct loader *ld, char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv)
		return nomem(ld);
	*v = nv;
	if (!(nv[*n] = strdup(s)))
		return nomem(ld);
	(*n)++;
	return 0;
}

static int take_secret(struct loader *ld, const config_setting_t *s,
		       const char *shown, const char *v)
{
	struct ternd_config *c = ld->cfg;

	if (!*v)
		return fail(ld, s,
			    "%s is empty; a REST shared secret must be "
			    "a non-empty string",
			    shown);
	if (c->nsecrets == AUTH_MAX_KEYS)
		return fail(ld, s,
			    "%s: at most %d secrets are accepted at once "
			    "(enough to rotate them)",
			    shown, AUTH_MAX_KEYS);
	return push_str(ld, &c->secrets, &c->nsecrets, v);
}

static int take_relay_addr(struct loader *ld, const config_setting_t *s,
			   const char *shown, const char *v)
{
	struct ternd_config *c = ld->cfg;
	struct sa a, *na;

	if (sa_set_str(&a, v, 0))
		return fail(
		    ld, s, "%s '%s' is not a numeric IPv4 or IPv6 address%s",
		    shown, v,
		    is_host_name(v) ? " (host names are not resolved)" : "");
	sa_unmap(&a);
	if (is_wildcard(&a))
		return fail(ld, s,
			    "%s '%s' is a wildcard; a relay address is sent "
			    "to clients in XOR-RELAYED-ADDRESS, so it must be "
			    "a specific address",
			    shown, v);
	for (size_t i = 0; i < c->nrelay_addrs; i++)
		if (sa_equal_addr(&c->relay_addrs[i], &a))
			return fail(ld, s, "%s '%s' is listed twice", shown, v);
	na = realloc(c->relay_addrs, (c->nrelay_addrs + 1) * sizeof(*na));
	if (!na)
		return nomem(ld);
	c->relay_addrs = na;
	na[c->nrelay_addrs++] = a;
	return 0;
}

static int take_cidr(struct loader *ld, struct cidr_set *set,
		     const config_setting_t *s, const char *shown,
		     const char *v)
{
	int rc;

	/* peers are unmapped before the policy compares them, so a rule in
	 * IPv4-mapped form would never match: say so instead of ignoring it */
	if (!strncasecmp(v, "::ffff:", 7) && strchr(v, '.'))
		return fail(
		    ld, s,
		    "%s '%s' is an IPv4-mapped IPv6 prefix, which never "
		    "matches: peers are compared unmapped; write it as "
		    "IPv4 (\"%s\" without \"::ffff:\", prefix length "
		    "minus 96)",
		    shown, v, v + 7);
	rc = cidr_set_add_str(set, v);
	if (rc == ENOMEM)
		return nomem(ld);
	if (rc)
		return fail(ld, s,
			    "%s '%s' is not an address or prefix such as "
			    "\"10.0.0.0/8\" or \"fd00::/8\"",
			    shown, v);
	return 0;
}

static int take_allow(struct loader *ld, const config_setting_t *s,
		      const char *shown, const char *v)
{
	return take_cidr(ld, &ld->cfg->peer_allow, s, shown, v);
}

static int take_deny(struct loader *ld, const config_setting_t *s,
		     const char *shown, const char *v)
{
	return take_cidr(ld, &ld->cfg->peer_deny, s, shown, v);
}

/* [ "a", "b" ]: every element a string, handed to o->elem in order. */
static int take_strlist(struct loader *ld, const struct opt *o,
			const config_setting_t *s, const char *shown)
{
	int n = config_setting_length(s), rc = 0;

	for (int i = 0; i < n && !rc; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		char sh[NAME_MAX_LEN + 16];

		snprintf(sh, sizeof(sh), "%.*s[%d]", NAME_MAX_LEN - 1, shown,
			 i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return fail(ld, e, "%s must be a string (got %s)", sh,
				    type_noun(e));
		rc = o->elem(ld, e, sh, config_setting_get_string(e));
	}
	return rc;
}

static int hex_val(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = tolower(ch);
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

static bool all_hex(const char *v)
{
	for (; *v; v++)
		if (hex_val((unsigned char)*v) < 0)
			return false;
	return true;
}

/* auth.nonce_secret: "" (random per start), or 32-128 hex digits. */
static int take_hex(struct loader *ld, const config_setting_t *s,
		    const char *shown)
{
	struct ternd_config *c = ld->cfg;
	const char *v = config_setting_get_string(s);
	size_t n = strlen(v);

	c->nonce_secret_len = 0;
	if (!n)
		return 0;
	if (!all_hex(v) || n % 2 || n < 2 * AUTH_NONCE_SECRET_MIN ||
	    n > 2 * CFG_NONCE_SECRET_MAX)
		return fail(ld, s,
			    "%s must be \"\" (random per start) or %d to %d "
			    "hex digits (an even count), e.g. from "
			    "'openssl rand -hex 32'",
			    shown, 2 * AUTH_NONCE_SECRET_MIN,
			    2 * CFG_NONCE_SECRET_MAX);
	for (size_t i = 0; i < n / 2; i++)
		c->nonce_secret[i] =
		    (uint8_t)(hex_val((unsigned char)v[2 * i]) << 4 |
			      hex_val((unsigned char)v[2 * i + 1]));
	c->nonce_secret_len = n / 2;
	return 0;
}

/* A user's long-term key: coturn's turnadmin -k output, "0x" optional. */
static int check_key(struct loader *ld, const config_setting_t *s,
		     const char *shown, const char *v)
{
	size_t n = strlen(v);

	if (all_hex(v) && (n == 32 || n == 64))
		return 0;
	return fail(ld, s,
		    "%s must be 32 hex digits (MD5 of user:realm:password, "
		    "as turnadmin -k prints it) or 64 (SHA-256)",
		    shown);
}

static int take_ufield(struct loader *ld, const struct opt *o,
		       const config_setting_t *s, const char *shown)
{
	struct cfg_user *u = &ld->cfg->users[ld->ucur];
	char **f = (char **)(void *)((char *)u + o->off);
	const char *v = config_setting_get_string(s);
	int rc;

	if (o->off == offsetof(struct cfg_user, key) &&
	    (v[0] == '0' && (v[1] == 'x' || v[1] == 'X')))
		v += 2;
	if (!*v)
		return fail(ld, s, "%s is empty", shown);
	if (o->off == offsetof(struct cfg_user, key) &&
	    (rc = check_key(ld, s, shown, v)))
		return rc;
	free(*f);
	if (!(*f = strdup(v)))
		return nomem(ld);
	return 0;
}

static int check_user(struct loader *ld, size_t i, const char *sh)
{
	const struct cfg_user *u = &ld->cfg->users[i];
	const config_setting_t *e = ld->usrc[i];

	if (!u->name)
		return fail(ld, e, "%s has no name", sh);
	if (!u->password == !u->key)
		return fail(ld, e,
			    "%s '%s' needs either a password or a key (not "
			    "both)",
			    sh, u->name);
	for (size_t j = 0; j < i; j++)
		if (strcmp(ld->cfg->users[j].name, u->name) == 0)
			return fail(ld, e, "%s repeats the user '%s'", sh,
				    u->name);
	return 0;
}

static int take_users(struct loader *ld, const config_setting_t *s)
{
	struct ternd_config *c = ld->cfg;
	size_t n = (size_t)config_setting_length(s);
	int rc = 0;

	c->users = calloc(n ? n : 1, sizeof(*c->users));
	ld->usrc = calloc(n ? n : 1, sizeof(*ld->usrc));
	if (!c->users || !ld->usrc)
		return nomem(ld);
	for (size_t i = 0; i < n && !rc; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		char sh[NAME_MAX_LEN];

		snprintf(sh, sizeof(sh), "auth.users[%zu]", i);
		if (!config_setting_is_group(e))
			return fail(ld, e,
				    "%s must be a group such as { name = "
				    "\"alice\"; password = \"...\"; } (got %s)",
				    sh, type_noun(e));
		ld->ucur = i;
		ld->usrc[i] = e;
		c->nusers = i + 1;
		rc = walk(ld, e, "auth.users", sh);
		if (!rc)
			rc = check_user(ld, i, sh);
	}
	return rc;
}

/* ---- checks across settings --------------------------------------------- */

static int check_ports(struct loader *ld)
{
	const struct ternd_config *c = ld->cfg;

	if (!c->udp_port && !c->tcp_port && !c->tls_port && !c->dtls_port)
		return fail(ld, src(ld, "ports"),
			    "every transport is disabled (ports.udp, tcp, tls "
			    "and dtls are all 0); enable at least one");
	if (c->udp_port && c->udp_port == c->dtls_port)
		return fail(ld, src2(ld, "ports.dtls", "ports.udp"),
			    "ports.udp and ports.dtls are both %u; two UDP "
			    "listeners cannot share a port",
			    c->udp_port);
	if (c->tcp_port && c->tcp_port == c->tls_port)
		return fail(ld, src2(ld, "ports.tls", "ports.tcp"),
			    "ports.tcp and ports.tls are both %u; two TCP "
			    "listeners cannot share a port",
			    c->tcp_port);
	return 0;
}

static bool is_wildcard(const struct sa *a)
{
	size_t n;
	const uint8_t *b = sa_addr_bytes(a, &n);

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static const char *family_name(const struct sa *a)
{
	return sa_family(a) == AF_INET ? "IPv4" : "IPv6";
}

/* RFC 5780, section 4.1: the alternate is a second address of the server,
 * of the same family, that the client is told in OTHER-ADDRESS and tests
 * against, so it must be specific and distinct. */
static int check_alt_addr(struct loader *ld, size_t i)
{
	const struct cfg_listen *l = &ld->cfg->listen[i];
	const config_setting_t *s = ld->lsrc[i].alt;
	char a[SA_STRLEN], b[SA_STRLEN];

	sa_print_addr(&l->addr, a, sizeof(a));
	sa_print_addr(&l->alt, b, sizeof(b));
	if (sa_family(&l->alt) != sa_family(&l->addr))
		return fail(ld, s,
			    "listen[%zu].alternate '%s' is %s but the address "
			    "'%s' is %s; RFC 5780 needs a second address of "
			    "the same family",
			    i, b, family_name(&l->alt), a,
			    family_name(&l->addr));
	if (sa_equal_addr(&l->alt, &l->addr))
		return fail(ld, s,
			    "listen[%zu].alternate '%s' is the address itself; "
			    "RFC 5780 needs a second address",
			    i, b);
	if (is_wildcard(&l->alt))
		return fail(
		    ld, s,
		    "listen[%zu].alternate '%s' is a wildcard; RFC 5780 "
		    "clients are sent it in OTHER-ADDRESS, so it must "
		    "be a specific address",
		    i, b);
	if (is_wildcard(&l->addr))
		return fail(ld, ld->lsrc[i].addr,
			    "listen[%zu].address '%s' is a wildcard, so it "
			    "cannot have an alternate; RFC 5780 needs the "
			    "specific address a client reached",
			    i, a);
	return 0;
}

static int check_alt_ports(struct loader *ld, size_t i)
{
	const struct ternd_config *c = ld->cfg;
	const config_setting_t *s = ld->lsrc[i].alt;
	const config_setting_t *ps = src(ld, "ports.alternate");

	if (!c->udp_port)
		return fail(ld, s,
			    "listen[%zu].alternate needs UDP (RFC 5780 tests "
			    "run over UDP), but ports.udp = 0",
			    i);
	if (c->alt_port == c->udp_port)
		return fail(ld, ps ? ps : s,
			    "ports.alternate must differ from ports.udp (both "
			    "are %u): listen[%zu] has an alternate address and "
			    "RFC 5780 needs a second port",
			    c->udp_port, i);
	if (c->alt_port == c->dtls_port)
		return fail(ld, ps ? ps : s,
			    "ports.alternate and ports.dtls are both %u; two "
			    "UDP listeners cannot share a port",
			    c->alt_port);
	return 0;
}

/* Slot k of the bound addresses: entry k/2, its address or alternate. */
static const struct sa *slot(const struct ternd_config *c, size_t k)
{
	return k % 2 ? &c->listen[k / 2].alt : &c->listen[k / 2].addr;
}

static const config_setting_t *slot_src(const struct loader *ld, size_t k)
{
	if (!ld->lsrc)
		return NULL;
	return k % 2 ? ld->lsrc[k / 2].alt : ld->lsrc[k / 2].addr;
}

/* "listen[1].address '::1' (line 7)" */
static const char *slot_name(const struct loader *ld, size_t k, char *buf,
			     size_t size)
{
	const config_setting_t *s = slot_src(ld, k);
	char a[SA_STRLEN], line[32] = "";

	if (s)
		snprintf(line, sizeof(line), " (line %u)",
			 (unsigned)config_setting_source_line(s));
	snprintf(buf, size, "listen[%zu].%s '%s'%s", k / 2,
		 k % 2 ? "alternate" : "address",
		 sa_print_addr(slot(ld->cfg, k), a, sizeof(a)), line);
	return buf;
}

/* Two sockets on one address and port, or a wildcard and a specific address
 * of the same family, would both bind (SO_REUSEPORT) and split the traffic
 * between them at random. */
static int check_overlap(struct loader *ld, size_t i, size_t j)
{
	const struct sa *a = slot(ld->cfg, i), *b = slot(ld->cfg, j);
	char an[NAME_MAX_LEN + SA_STRLEN], bn[NAME_MAX_LEN + SA_STRLEN];

	if (!sa_is_set(a) || sa_family(a) != sa_family(b))
		return 0;
	slot_name(ld, i, an, sizeof(an));
	slot_name(ld, j, bn, sizeof(bn));
	if (sa_equal_addr(a, b))
		return fail(ld, slot_src(ld, j), "%s repeats %s", bn, an);
	if (is_wildcard(a) != is_wildcard(b))
		return fail(ld, slot_src(ld, j),
			    "%s and %s overlap: a wildcard already listens on "
			    "every %s address",
			    bn, an, family_name(a));
	return 0;
}

static int check_listen(struct loader *ld)
{
	const struct ternd_config *c = ld->cfg;
	int rc = 0;

	if (!c->nlisten)
		return fail(ld, src(ld, "listen"),
			    "listen is empty; give at least one entry such as "
			    "{ address = \"127.0.0.1\"; }, or remove listen to "
			    "use 127.0.0.1 and ::1");
	for (size_t i = 0; i < c->nlisten && !rc; i++) {
		if (!sa_is_set(&c->listen[i].alt))
			continue;
		rc = check_alt_addr(ld, i);
		if (!rc)
			rc = check_alt_ports(ld, i);
	}
	for (size_t j = 0; j < 2 * c->nlisten && !rc; j++) {
		if (!sa_is_set(slot(c, j)))
			continue;
		for (size_t i = 0; i < j && !rc; i++)
			rc = check_overlap(ld, i, j);
	}
	return rc;
}

/* ---- auth and relay across settings ------------------------------------- */

static int check_auth(struct loader *ld)
{
	struct ternd_config *c = ld->cfg;
	bool redis = c->store == CFG_STORE_REDIS;

	if (redis && (c->nusers || c->nsecrets))
		return fail(ld, src2(ld, "auth.users", "auth.secrets"),
			    "auth.%s is set, but auth.store = \"redis\" reads "
			    "credentials from Redis; remove it or set store = "
			    "\"config\"",
			    c->nusers ? "users" : "secrets");
	if (c->nusers && c->nsecrets)
		return fail(ld, src(ld, "auth.secrets"),
			    "auth.users and auth.secrets are both set; ternd "
			    "checks either static users or TURN REST "
			    "credentials (secrets), not both");
	if (c->rest && !redis && !c->nsecrets)
		return fail(ld, src(ld, "auth.rest"),
			    "auth.rest = true needs auth.secrets (or store = "
			    "\"redis\", which keeps the secrets in Redis)");
	c->rest = c->rest || c->nsecrets;
	c->turn = c->nusers || c->nsecrets || redis;
	if (c->turn && !c->realm)
		return fail(ld, src(ld, "auth"),
			    "auth.realm is not set, but TURN is on (auth.%s); "
			    "set the realm clients authenticate in, e.g. "
			    "realm = \"example.org\";",
			    redis	? "store = \"redis\""
			    : c->nusers ? "users"
					: "secrets");
	return 0;
}

/* hiredis resolves names with a blocking call on every reconnect, which a
 * worker must not make: resolve once here. */
static int check_redis(struct loader *ld)
{
	struct ternd_config *c = ld->cfg;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	char host[SA_STRLEN];
	struct sa a;
	int e;

	if (c->store != CFG_STORE_REDIS || !c->redis_host ||
	    sa_set_str(&a, c->redis_host, 0) == 0)
		return 0;
	e = getaddrinfo(c->redis_host, NULL, &hints, &ai);
	if (e || !ai || sa_set_sockaddr(&a, ai->ai_addr, ai->ai_addrlen)) {
		if (ai)
			freeaddrinfo(ai);
		return fail(ld, src(ld, "redis.address"),
			    "redis.address '%s' does not resolve (%s)",
			    c->redis_host, e ? gai_strerror(e) : "no address");
	}
	freeaddrinfo(ai);
	free(c->redis_host);
	c->redis_host = strdup(sa_print_addr(&a, host, sizeof(host)));
	return c->redis_host ? 0 : nomem(ld);
}

/* relay.addresses = [ ]: the listen addresses relay too. */
static int relay_from_listen(struct loader *ld)
{
	struct ternd_config *c = ld->cfg;
	char a[SA_STRLEN];

	c->relay_addrs = calloc(c->nlisten, sizeof(*c->relay_addrs));
	if (!c->relay_addrs)
		return nomem(ld);
	for (size_t i = 0; i < c->nlisten; i++) {
		const struct sa *la = &c->listen[i].addr;

		if (is_wildcard(la))
			return fail(ld, slot_src(ld, 2 * i),
				    "relay.addresses is empty, so the listen "
				    "addresses relay, but listen[%zu].address "
				    "'%s' is a wildcard; list the relay "
				    "addresses in relay.addresses",
				    i, sa_print_addr(la, a, sizeof(a)));
		c->relay_addrs[c->nrelay_addrs++] = *la;
	}
	return 0;
}

static int check_relay(struct loader *ld)
{
	struct ternd_config *c = ld->cfg;

	if (c->relay_port_min > c->relay_port_max)
		return fail(ld, src2(ld, "relay.port_max", "relay.port_min"),
			    "relay.port_min (%u) is above relay.port_max (%u)",
			    c->relay_port_min, c->relay_port_max);
	if (c->lifetime_s > c->max_lifetime_s)
		return fail(ld,
			    src2(ld, "relay.lifetime", "relay.max_lifetime"),
			    "relay.lifetime (%u s) is above relay.max_lifetime "
			    "(%u s)",
			    c->lifetime_s, c->max_lifetime_s);
	/* relays are opened by the workers long after the drop to `user`,
	 * which may not bind a port below 1024 */
	if (c->turn && c->run_user && c->relay_port_min < 1024)
		return fail(ld, src2(ld, "relay.port_min", "user"),
			    "relay.port_min (%u) is below 1024, but ternd "
			    "drops privileges to user '%s' after binding its "
			    "listeners and opens relay ports later, which "
			    "that user cannot bind; use 1024 or above",
			    c->relay_port_min, c->run_user);
	if (!c->turn || c->nrelay_addrs)
		return 0;
	return relay_from_listen(ld);
}

/* drain.alternate_server: "ADDR:PORT", "[V6]:PORT" or a bare address
 * (port 3478); admin.address: a numeric address. */
static int check_lifecycle(struct loader *ld)
{
	struct ternd_config *c = ld->cfg;

	if (c->alternate_server_str &&
	    sa_parse(&c->alternate_server, c->alternate_server_str, 3478))
		return fail(
		    ld, src(ld, "drain.alternate_server"),
		    "drain.alternate_server '%s' is not a numeric "
		    "address with an optional port (\"192.0.2.1:3478\", "
		    "\"[2001:db8::1]:3478\")",
		    c->alternate_server_str);
	if (c->alternate_server_str && (is_wildcard(&c->alternate_server) ||
					!sa_port(&c->alternate_server)))
		return fail(ld, src(ld, "drain.alternate_server"),
			    "drain.alternate_server '%s' must name one "
			    "address and a port other than 0",
			    c->alternate_server_str);
	if (!c->admin_port)
		return 0;
	if (!c->admin_host ||
	    sa_set_str(&c->admin_addr, c->admin_host, c->admin_port))
		return fail(ld, src(ld, "admin.address"),
			    "admin.address '%s' is not a numeric IPv4 or IPv6 "
			    "address",
			    c->admin_host ? c->admin_host : "");
	return 0;
}

/* ---- TLS ---------------------------------------------------------------- */

/* The most telling reason in OpenSSL's error queue, which it empties: the
 * last one below the SSL layer, whose own "PEM lib" only says where it gave
 * up. */
static const char *ssl_reason(void)
{
	unsigned long e, last = 0, inner = 0;
	const char *why;

	while ((e = ERR_get_error())) {
		last = e;
		if (ERR_GET_LIB(e) != ERR_LIB_SSL)
			inner = e;
	}
	why = ERR_reason_error_string(inner ? inner : last);
	return why ? why : "no reason given";
}

/* Report an OpenSSL failure with the reason OpenSSL gives. */
static int ssl_fail(struct loader *ld, const config_setting_t *s,
		    const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return fail(ld, s, "%s (OpenSSL: %s)", msg, ssl_reason());
}

/*
 * 0 when path names a regular file this process can open for reading, or the
 * errno that says why not; EINVAL for anything but a regular file. A FIFO or
 * a device (tls.certificate = "/dev/zero") is refused before it is opened:
 * opening or reading one could block the start for ever.
 */
static int readable_file(const char *path)
{
	struct stat st;
	int fd;

	if (stat(path, &st) != 0)
		return errno;
	if (S_ISDIR(st.st_mode))
		return EISDIR;
	if (!S_ISREG(st.st_mode))
		return EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static const char *file_error(int e)
{
	return e == EINVAL ? "not a regular file" : strerror(e);
}

static int check_readable(struct loader *ld, const char *name, const char *path)
{
	const config_setting_t *s = src(ld, name);
	int e;

	if (!path)
		return fail(ld, s,
			    "%s is empty, but TLS or DTLS is enabled (%s)",
			    name, GEN_CERT_HINT);
	e = readable_file(path);
	if (e)
		return fail(ld, s, "%s%s: cannot read %s: %s (%s)", name,
			    s ? "" : " (default)", path, file_error(e),
			    GEN_CERT_HINT);
	return 0;
}

/* A key on disk must not make OpenSSL prompt on the terminal. */
static int no_passphrase(char *buf, int size, int rw, void *u)
{
	(void)buf;
	(void)size;
	(void)rw;
	(void)u;
	return -1;
}

/* OpenSSL compares a key with the certificate already loaded for its key
 * type while loading it, and says so with this reason. */
static bool key_mismatch(void)
{
	unsigned long e = ERR_peek_last_error();

	return ERR_GET_LIB(e) == ERR_LIB_X509 &&
	       ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH;
}

static int check_key_pair(struct loader *ld, SSL_CTX *ctx)
{
	const struct ternd_config *c = ld->cfg;

	ERR_clear_error();
	SSL_CTX_set_default_passwd_cb(ctx, no_passphrase);
	if (SSL_CTX_use_certificate_chain_file(ctx, c->tls_cert) != 1)
		return ssl_fail(ld, src(ld, "tls.certificate"),
				"tls.certificate: %s is not a PEM certificate "
				"OpenSSL can use",
				c->tls_cert);
	if (SSL_CTX_use_PrivateKey_file(ctx, c->tls_key, SSL_FILETYPE_PEM) !=
	    1) {
		if (!key_mismatch())
			return ssl_fail(ld, src(ld, "tls.private_key"),
					"tls.private_key: %s is not an "
					"unencrypted PEM private key OpenSSL "
					"can use",
					c->tls_key);
	} else if (SSL_CTX_check_private_key(ctx) == 1) {
		return 0;
	}
	/* A pair is wrong where either half was written. */
	return ssl_fail(ld, src2(ld, "tls.private_key", "tls.certificate"),
			"tls.private_key %s does not belong to tls.certificate "
			"%s",
			c->tls_key, c->tls_cert);
}

static int check_ciphers(struct loader *ld, SSL_CTX *ctx)
{
	const char *list = ld->cfg->tls_ciphers;

	ERR_clear_error();
	if (!list || SSL_CTX_set_cipher_list(ctx, list) == 1)
		return 0;
	return ssl_fail(
	    ld, src(ld, "tls.ciphers"),
	    "tls.ciphers '%s' selects no cipher this OpenSSL offers", list);
}

/* Try the TLS files on a scratch context, so a bad certificate stops the
 * start with its file and line instead of failing every handshake. */
static int check_tls(struct loader *ld)
{
	struct ternd_config *c = ld->cfg;
	bool on = c->tls_port || c->dtls_port;
	SSL_CTX *ctx;
	int rc;

	if (!on) {
		free(c->tls_cert);
		free(c->tls_key);
		c->tls_cert = c->tls_key = NULL;
	}
	if (!on && !c->tls_ciphers)
		return 0;
	ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx)
		return nomem(ld);
	rc = on ? check_readable(ld, "tls.certificate", c->tls_cert) : 0;
	if (!rc && on)
		rc = check_readable(ld, "tls.private_key", c->tls_key);
	if (!rc && on)
		rc = check_key_pair(ld, ctx);
	if (!rc)
		rc = check_ciphers(ld, ctx);
	SSL_CTX_free(ctx);
	ERR_clear_error();
	return rc;
}

/* ---- reading the file --------------------------------------------------- */

/* Read a whole file into a NUL-terminated buffer. Returns 0 or an errno. */
static int slurp(const char *path, char **out)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0, n;
	int rc = 0;

	if (!f)
		return errno;
	do {
		if (cap - len < 4096) {
			nb = realloc(buf, cap + 65536);
			if (!nb) {
				rc = ENOMEM;
				break;
			}
			buf = nb;
			cap += 65536;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	if (!rc && ferror(f))
		rc = EIO;
	fclose(f);
	if (rc) {
		free(buf);
		return rc;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

/* Past the string at p, or NULL if the file ends inside it. */
static const char *skip_string(const char *p, unsigned *line)
{
	for (p++; *p && *p != '"'; p++) {
		if (*p == '\\' && p[1])
			p++;
		*line += *p == '\n';
	}
	return *p ? p + 1 : NULL;
}

/* Past the comment at p, or NULL if the file ends inside a block comment. */
static const char *skip_comment(const char *p, unsigned *line)
{
	if (p[0] == '/' && p[1] == '*') {
		for (p += 2; *p && !(p[0] == '*' && p[1] == '/'); p++)
			*line += *p == '\n';
		return *p ? p + 2 : NULL;
	}
	while (*p && *p != '\n')
		p++;
	return p;
}

static bool starts_number(const char *p)
{
	if (*p == '-' || *p == '+')
		p++;
	if (*p == '.')
		p++;
	return isdigit((unsigned char)*p);
}

/* End of a number token; *wraps is set for an integer libconfig would
 * store in 32 bits without complaint although it does not fit. */
static const char *number_end(const char *p, bool *wraps)
{
	const char *s = p;
	bool hex, flt = false;
	char buf[48];
	long long v;

	if (*p == '-' || *p == '+')
		p++;
	hex = p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
	for (; isalnum((unsigned char)*p) || *p == '.'; p++) {
		bool exp = !hex && (*p == 'e' || *p == 'E');

		flt |= *p == '.' || exp;
		if (exp && (p[1] == '-' || p[1] == '+'))
			p++;
	}
	*wraps = false;
	if (flt || p[-1] == 'L' || p[-1] == 'l')
		return p;
	if ((size_t)(p - s) >= sizeof(buf)) {
		*wraps = true;
		return p;
	}
	memcpy(buf, s, (size_t)(p - s));
	buf[p - s] = '\0';
	errno = 0;
	v = strtoll(buf, NULL, hex ? 16 : 10);
	*wraps = errno == ERANGE || v > INT_MAX || v < INT_MIN;
	return p;
}

/* Where libconfig 1.5 accepts what it should not. It keeps an integer
 * without an L suffix in an int and wraps what does not fit without a word
 * ("udp = 4294970774;" reads as 3478), and it takes a string or a comment
 * still open at the end of the file as the end of the file. */
static int scan_text(struct loader *ld, const char *file, const char *p)
{
	unsigned line = 1, start;
	const char *q;
	bool wraps;

	while (*p) {
		start = line;
		if (*p == '"' || *p == '#' ||
		    (p[0] == '/' && (p[1] == '/' || p[1] == '*'))) {
			q = *p == '"' ? skip_string(p, &line)
				      : skip_comment(p, &line);
			if (!q)
				return fail_at(ld, file, start,
					       "%s opened here is never "
					       "closed; libconfig would "
					       "silently ignore the rest of "
					       "the file",
					       *p == '"' ? "a string"
							 : "a /* comment");
			p = q;
		} else if (isalpha((unsigned char)*p) || *p == '*') {
			while (isalnum((unsigned char)*p) ||
			       (*p && strchr("-_*", *p)))
				p++;
		} else if (starts_number(p)) {
			q = number_end(p, &wraps);
			if (wraps)
				return fail_at(ld, file, line,
					       "the integer %.*s does not fit "
					       "in 32 bits; libconfig would "
					       "silently store a different "
					       "value",
					       (int)(q - p > 40 ? 40 : q - p),
					       p);
			p = q;
		} else {
			line += *p++ == '\n';
		}
	}
	return 0;
}

static bool file_listed(const struct loader *ld, const char *f)
{
	if (strcmp(f, ld->path) == 0)
		return true;
	for (size_t i = 0; i < ld->nfiles; i++)
		if (strcmp(ld->files[i], f) == 0)
			return true;
	return false;
}

/* List the @include files that settings came from (libconfig has no
 * documented list of the files it read). */
static int list_files(struct loader *ld, const config_setting_t *s)
{
	const char *f = config_setting_source_file(s);
	int n = config_setting_is_aggregate(s) ? config_setting_length(s) : 0;
	const char **nf;
	int rc = 0;

	if (f && !file_listed(ld, f)) {
		nf = realloc(ld->files, (ld->nfiles + 1) * sizeof(*nf));
		if (!nf)
			return nomem(ld);
		ld->files = nf;
		ld->files[ld->nfiles++] = f;
	}
	for (int i = 0; i < n && !rc; i++)
		rc = list_files(ld, config_setting_get_elem(s, i));
	return rc;
}

/* Scan the file and every file it included for what libconfig lets by. */
static int scan_files(struct loader *ld, const config_t *lc)
{
	char buf[PATH_MAX];
	int rc = list_files(ld, config_root_setting(lc));

	for (size_t i = 0; i <= ld->nfiles && !rc; i++) {
		const char *f =
		    i ? show_file(ld, ld->files[i - 1], buf, sizeof(buf))
		      : ld->path;
		char *text;

		rc = slurp(f, &text);
		if (rc == ENOMEM)
			return nomem(ld);
		if (rc) /* libconfig just read it; a vanished file is no
			   reason to refuse what it parsed */
			return 0;
		rc = scan_text(ld, f, text);
		free(text);
	}
	return rc;
}

/* ---- syntax errors ------------------------------------------------------ */

#define HINT_QUOTES                                                            \
	"text values such as names and addresses go in double quotes, e.g. "   \
	"level = \"info\";"
#define HINT_COMMA                                                             \
	"the entries of a list are separated by ',', e.g. "                    \
	"listen = ( { ... }, { ... } );"
#define HINT_TRAILING "the last entry of a list has no ',' after it"
#define HINT_EOF                                                               \
	"the file ends inside a group, list or string: a closing '}', ')' or " \
	"'\"' is missing"

/* Copy line n (from 1) of text into buf, without its newline. */
static bool get_line(const char *text, unsigned n, char *buf, size_t size)
{
	size_t len;

	for (unsigned i = 1; i < n; i++) {
		text = strchr(text, '\n');
		if (!text)
			return false;
		text++;
	}
	len = strcspn(text, "\n");
	if (len >= size)
		len = size - 1;
	memcpy(buf, text, len);
	buf[len] = '\0';
	return true;
}

static bool blank(const char *l)
{
	l += strspn(l, " \t\r");
	return !*l || *l == '#' || (l[0] == '/' && l[1] == '/');
}

/* Nothing but blank lines and comments from line n on: libconfig reached
 * the end of the file with a group, list or string still open. */
static bool at_end(const char *text, unsigned n)
{
	char buf[256];

	for (; get_line(text, n, buf, sizeof(buf)); n++)
		if (!blank(buf))
			return false;
	return true;
}

/* After the setting name that starts line l, or NULL if none does. */
static const char *name_end(const char *l)
{
	l += strspn(l, " \t");
	if (!isalpha((unsigned char)*l) && *l != '*')
		return NULL;
	while (*l && (isalnum((unsigned char)*l) || strchr("-_*", *l)))
		l++;
	return l;
}

/* "level = info;", "address = 127.0.0.1;", "level = 'info';" */
static bool bare_value(const char *l)
{
	const char *p = strpbrk(l, "=:");
	char word[64];
	size_t n = 0;

	if (!p)
		return false;
	p += 1 + strspn(p + 1, " \t");
	if (*p == '\'')
		return true;
	while (n + 1 < sizeof(word) &&
	       (isalnum((unsigned char)p[n]) || (p[n] && strchr(".:-_", p[n]))))
		n++;
	memcpy(word, p, n);
	word[n] = '\0';
	if (!n || !strcasecmp(word, "true") || !strcasecmp(word, "false"))
		return false;
	return isalpha((unsigned char)word[0]) || strchr(word, ':') ||
	       (strchr(word, '.') && strchr(word, '.') != strrchr(word, '.'));
}

static char first_char(const char *l)
{
	return l[strspn(l, " \t\r")];
}

static char last_char(const char *l)
{
	size_t n = strcspn(l, "#");

	while (n && strchr(" \t\r", l[n - 1]))
		n--;
	return n ? l[n - 1] : '\0';
}

static bool closes_then_opens(const char *l)
{
	const char *p = strchr(l, '}');

	return p && first_char(p + 1) == '{';
}

static bool comma_then_close(const char *l)
{
	const char *p = strchr(l, ',');

	return p && first_char(p + 1) == ')';
}

/* "ports.udp = 3478;" */
static bool dotted_name(const char *l)
{
	const char *p = name_end(l);

	return p && *p == '.' && name_end(p + 1);
}

/* "udp 3478;", "ports { ... };" */
static bool missing_equals(const char *l)
{
	const char *p = name_end(l);

	if (!p)
		return false;
	p += strspn(p, " \t");
	return *p && (strchr("{(\"[", *p) || isalnum((unsigned char)*p));
}

static const char *line_hint(const char *l)
{
	if (bare_value(l))
		return HINT_QUOTES;
	if (dotted_name(l))
		return "a name cannot contain '.'; nest a group instead, e.g. "
		       "ports = { udp = 3478; };";
	if (missing_equals(l))
		return "put '=' between a name and its value, e.g. udp = "
		       "3478;";
	if (strstr(l, ";;"))
		return "one ';' ends a setting";
	if (closes_then_opens(l))
		return HINT_COMMA;
	if (comma_then_close(l))
		return HINT_TRAILING;
	return NULL;
}

/* A guess at the cause of a libconfig syntax error reported at `line`, from
 * that line and the last non-blank line before it; NULL when unsure. */
static const char *syntax_hint(const char *text, unsigned line)
{
	char cur[256], prev[256] = "";
	const char *hint;

	if (!line || at_end(text, line))
		return HINT_EOF;
	get_line(text, line, cur, sizeof(cur));
	hint = line_hint(cur);
	if (hint)
		return hint;
	for (unsigned n = line - 1; n > 0; n--)
		if (get_line(text, n, prev, sizeof(prev)) && !blank(prev))
			break;
	if (first_char(cur) == '{' && last_char(prev) == '}')
		return HINT_COMMA;
	if (first_char(cur) == ')' && last_char(prev) == ',')
		return HINT_TRAILING;
	return NULL;
}

static const char *syntax_what(const char *text)
{
	if (strcmp(text, "duplicate setting name") == 0)
		return "a setting appears twice in the same group";
	if (strcmp(text, "cannot open include file") == 0)
		return "cannot open the @include file";
	if (strcmp(text, "mismatched element type in array") == 0)
		return "the elements of an array must all have the same type";
	return "syntax error";
}

static int syntax_error(struct loader *ld, const config_t *lc)
{
	char buf[PATH_MAX];
	const char *file =
	    show_file(ld, config_error_file(lc), buf, sizeof(buf));
	const char *text = config_error_text(lc) ? config_error_text(lc) : "?";
	const char *what = syntax_what(text), *hint = NULL;
	int line = config_error_line(lc);
	char *body = NULL;
	int rc;

	if (config_error_type(lc) == CONFIG_ERR_FILE_IO)
		return fail_at(ld, ld->path, 0, "cannot read (libconfig: %s)",
			       text);
	if (strcmp(what, "syntax error") == 0 && slurp(file, &body) == 0)
		hint = syntax_hint(body, line > 0 ? (unsigned)line : 0);
	rc = fail_at(ld, file, line > 0 ? (unsigned)line : 0,
		     "%s (libconfig: %s)%s%s", what, text,
		     hint ? "; hint: " : "", hint ? hint : "");
	free(body);
	return rc;
}

/* ---- loading ------------------------------------------------------------ */

/* The file must be a readable regular file; its folder anchors relative
 * paths and @include. */
static int open_check(struct loader *ld)
{
	char *real, *slash;
	int e;

	e = readable_file(ld->path);
	real = e ? NULL : realpath(ld->path, NULL);
	if (!e && !real)
		e = errno;
	if (e) {
		fail_at(ld, ld->path, 0, "cannot read: %s", file_error(e));
		return e;
	}
	slash = strrchr(real, '/');
	slash[slash == real] = '\0'; /* "/a/t.conf" -> "/a"; "/t.conf" -> "/" */
	ld->dir = real;
	return 0;
}

static int new_config(struct loader *ld)
{
	ld->cfg = calloc(1, sizeof(*ld->cfg));
	if (!ld->cfg)
		return nomem(ld);
	ld->cfg->path = strdup(ld->path);
	if (!ld->cfg->path)
		return nomem(ld);
	return set_defaults(ld);
}

static int parse(struct loader *ld, config_t *lc)
{
	if (config_read_file(lc, ld->path) != CONFIG_TRUE)
		return syntax_error(ld, lc);
	return scan_files(ld, lc);
}

/* workers = 0: one per CPU ternd may run on (its affinity: taskset, a
 * container's cpuset), not per online CPU: more workers than CPUs only
 * take turns on them. */
static void resolve_workers(struct ternd_config *c)
{
	cpu_set_t set;
	long n;

	if (c->workers)
		return;
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		n = CPU_COUNT(&set);
	else /* more CPUs than a cpu_set_t holds */
		n = sysconf(_SC_NPROCESSORS_ONLN);
	c->workers = n < 1 ? 1 : n > MAX_WORKERS ? MAX_WORKERS : (unsigned)n;
}

int config_load(struct ternd_config **cfgp, const char *path, char *err,
		size_t errlen)
{
	struct loader ld = { .path = path, .err = err, .errlen = errlen };
	config_t lc;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!cfgp || !path) {
		if (err && errlen)
			snprintf(err, errlen, "config_load: no file given");
		return EINVAL;
	}
	rc = open_check(&ld);
	if (rc)
		return rc;
	config_init(&lc);
	config_set_include_dir(&lc, ld.dir);
	rc = new_config(&ld);
	if (!rc)
		rc = parse(&ld, &lc);
	if (!rc)
		rc = walk(&ld, config_root_setting(&lc), NULL, NULL);
	if (!rc)
		rc = check_ports(&ld);
	if (!rc)
		rc = check_listen(&ld);
	if (!rc)
		rc = check_auth(&ld);
	if (!rc)
		rc = check_redis(&ld);
	if (!rc)
		rc = check_relay(&ld);
	if (!rc)
		rc = check_lifecycle(&ld);
	if (!rc)
		rc = check_tls(&ld);
	if (!rc) {
		resolve_workers(ld.cfg);
		*cfgp = ld.cfg;
		ld.cfg = NULL;
	}
	config_destroy(&lc);
	config_free(ld.cfg);
	free(ld.lsrc);
	free(ld.usrc);
	free(ld.files);
	free(ld.dir);
	return rc;
}

void config_free(struct ternd_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->path);
	free(cfg->software);
	free(cfg->run_user);
	free(cfg->run_group);
	free(cfg->alternate_server_str);
	free(cfg->admin_host);
	free(cfg->listen);
	free(cfg->tls_cert);
	free(cfg->tls_key);
	free(cfg->tls_ciphers);
	free(cfg->realm);
	for (size_t i = 0; i < cfg->nusers; i++) {
		free(cfg->users[i].name);
		if (cfg->users[i].password)
			OPENSSL_cleanse(cfg->users[i].password,
					strlen(cfg->users[i].password));
		free(cfg->users[i].password);
		free(cfg->users[i].key);
	}
	free(cfg->users);
	for (size_t i = 0; i < cfg->nsecrets; i++) {
		OPENSSL_cleanse(cfg->secrets[i], strlen(cfg->secrets[i]));
		free(cfg->secrets[i]);
	}
	free(cfg->secrets);
	OPENSSL_cleanse(cfg->nonce_secret, sizeof(cfg->nonce_secret));
	free(cfg->redis_host);
	free(cfg->redis_password);
	free(cfg->relay_addrs);
	cidr_set_reset(&cfg->peer_allow);
	cidr_set_reset(&cfg->peer_deny);
	free(cfg);
}
