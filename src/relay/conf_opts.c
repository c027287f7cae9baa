/*
 * conf_opts.c — the table of every setting ternd knows, and the typed
 * setters that read one setting of the parsed file into struct
 * ternd_config (range, type and form checks of that value alone); see
 * conf.c for the order of the steps.
 */
#include <config.h> /* autoconf's, for PACKAGE_VERSION */

#include "relay/conf_priv.h"

#include "auth/store.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define DEFAULT_SOFTWARE "tern " PACKAGE_VERSION

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
static int take_advertise(struct loader *ld, const config_setting_t *s,
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
	STR("log.file", K_PATH, log_file, ""),
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
	/* issue 16: per-address cap, deadline to authenticate */
	NUM("limits.max_connections_per_address", K_UINT, max_conns_per_addr, 0,
	    1000000, 64, "0-1000000; 0 = no limit"),
	NUM("limits.allocate_timeout", K_UINT, allocate_timeout_s, 0, 86400, 60,
	    "0-86400 seconds; 0 = no deadline"),
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
	NUM("relay.max_channels", K_UINT, max_channels, 1, 16384, 128, NULL),
	LIST("relay.allow_peers", take_allow),
	LIST("relay.deny_peers", take_deny),
	LIST("relay.advertise", take_advertise),
	STR("relay.discover", K_STRING, discover, ""),
	GROUP("drain"),
	NUM("drain.timeout", K_UINT, drain_timeout_s, 0, 86400, 0,
	    "0-86400 seconds; 0 = SIGTERM stops at once"),
	STR("drain.alternate_server", K_STRING, alternate_server_str, ""),
	GROUP("admin"),
	STR("admin.address", K_STRING, admin_host, "127.0.0.1"),
	NUM("admin.port", K_PORT, admin_port, 0, 65535, 0, PORT_OR_0),
	STR("admin.token", K_STRING, admin_token, ""),
	STR("admin.token_file", K_PATH, admin_token_file, ""),
};

_Static_assert(ARRAY_SIZE(opts) == CONF_NOPTS,
	       "CONF_NOPTS in conf_priv.h is the number of settings in opts");

const char *config_option_name(size_t i)
{
	return i < CONF_NOPTS ? opts[i].name : NULL;
}

/* ---- the table ---------------------------------------------------------- */

static const struct opt *opt_find(const char *name)
{
	for (size_t i = 0; i < CONF_NOPTS; i++)
		if (strcmp(opts[i].name, name) == 0)
			return &opts[i];
	return NULL;
}

const config_setting_t *conf_src(const struct loader *ld, const char *name)
{
	const struct opt *o = opt_find(name);

	return o ? ld->where[o - opts] : NULL;
}

const config_setting_t *conf_src2(const struct loader *ld, const char *a,
				  const char *b)
{
	const config_setting_t *s = conf_src(ld, a);

	return s ? s : conf_src(ld, b);
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

	for (size_t i = 0; i < CONF_NOPTS; i++) {
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
	for (size_t i = 0; i < CONF_NOPTS; i++)
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
		return conf_fail(ld, s,
				 "unknown setting '%s' (did you mean '%s'?)",
				 shown, hint);
	return conf_fail(ld, s,
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
			return conf_nomem(ld);
	}
	free(*f);
	*f = p;
	return 0;
}

int conf_set_defaults(struct loader *ld)
{
	struct ternd_config *c = ld->cfg;
	int rc = 0;

	for (size_t i = 0; i < CONF_NOPTS && !rc; i++) {
		if (opts[i].defstr)
			rc = store_str(ld, &opts[i], opts[i].defstr);
		else
			store_num(c, &opts[i], opts[i].def);
	}
	if (rc)
		return rc;
	c->listen = calloc(2, sizeof(*c->listen));
	if (!c->listen)
		return conf_nomem(ld);
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
	return conf_fail(ld, s, "%s must be %s (got %s)%s", shown,
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
	return conf_fail(
	    ld, s, "%s = %lld is %s (%s)", shown, v,
	    o->kind == K_PORT ? "not a port number" : "out of range", range);
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
	return conf_fail(ld, s, "%s '%s' is not one of %s", shown, v, list);
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
		return conf_fail(
		    ld, s,
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

/* The numeric address v of setting s into *a; a host name is refused
 * with a hint (conf_fail: EINVAL). */
static int parse_addr(struct loader *ld, const config_setting_t *s,
		      const char *shown, const char *v, struct sa *a)
{
	if (sa_set_str(a, v, 0))
		return conf_fail(
		    ld, s, "%s '%s' is not a numeric IPv4 or IPv6 address%s",
		    shown, v,
		    is_host_name(v) ? " (host names are not resolved)" : "");
	/* ::ffff:192.0.2.1 is an IPv4 address; bind and compare it as one. */
	sa_unmap(a);
	return 0;
}

static int take_addr(struct loader *ld, const struct opt *o,
		     const config_setting_t *s, const char *shown)
{
	const char *v = config_setting_get_string(s);
	struct cfg_listen *l = &ld->cfg->listen[ld->cur];
	struct listen_src *ls = &ld->lsrc[ld->cur];
	struct sa a;
	int err = parse_addr(ld, s, shown, v, &a);

	if (err)
		return err;
	*(struct sa *)((char *)l + o->off) = a;
	if (o->off == offsetof(struct cfg_listen, addr))
		ls->addr = s;
	else
		ls->alt = s;
	return 0;
}

/* Element i of the list s, which must be a group, named "NAME[i]" in sh;
 * NULL after saying what a group looks like (example) when it is not one
 * (conf_fail: EINVAL). */
static const config_setting_t *list_group(struct loader *ld,
					  const config_setting_t *s, size_t i,
					  const char *name, const char *example,
					  char *sh, size_t size)
{
	const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);

	snprintf(sh, size, "%s[%zu]", name, i);
	if (config_setting_is_group(e))
		return e;
	conf_fail(ld, e, "%s must be a group such as %s (got %s)", sh, example,
		  type_noun(e));
	return NULL;
}

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
		return conf_walk(ld, s, o->name, o->name);
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
int conf_walk(struct loader *ld, const config_setting_t *grp, const char *key,
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
		return conf_nomem(ld);
	}
	free(ld->cfg->listen);
	free(ld->lsrc);
	ld->cfg->listen = l;
	ld->cfg->nlisten = n;
	ld->lsrc = ls;
	for (size_t i = 0; i < n && !rc; i++) {
		char sh[NAME_MAX_LEN];
		const config_setting_t *e =
		    list_group(ld, s, i, "listen",
			       "{ address = \"192.0.2.1\"; }", sh, sizeof(sh));

		if (!e)
			return EINVAL;
		ld->cur = i;
		l[i].line = (unsigned)config_setting_source_line(e);
		rc = conf_walk(ld, e, "listen", sh);
		if (!rc && !sa_is_set(&l[i].addr))
			rc = conf_fail(ld, e,
				       "%s has no address; write { address = "
				       "\"192.0.2.1\"; }",
				       sh);
	}
	return rc;
}

/* ---- auth and relay values ---------------------------------------------- */

static int push_str(struct loader *ld, char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv)
		return conf_nomem(ld);
	*v = nv;
	if (!(nv[*n] = strdup(s)))
		return conf_nomem(ld);
	(*n)++;
	return 0;
}

static int take_secret(struct loader *ld, const config_setting_t *s,
		       const char *shown, const char *v)
{
	struct ternd_config *c = ld->cfg;

	if (!*v)
		return conf_fail(ld, s,
				 "%s is empty; a REST shared secret must be "
				 "a non-empty string",
				 shown);
	if (c->nsecrets == AUTH_MAX_KEYS)
		return conf_fail(ld, s,
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
	int err = parse_addr(ld, s, shown, v, &a);

	if (err)
		return err;
	if (conf_is_wildcard(&a))
		return conf_fail(
		    ld, s,
		    "%s '%s' is a wildcard; a relay address is sent "
		    "to clients in XOR-RELAYED-ADDRESS, so it must be "
		    "a specific address",
		    shown, v);
	for (size_t i = 0; i < c->nrelay_addrs; i++)
		if (sa_equal_addr(&c->relay_addrs[i], &a))
			return conf_fail(ld, s, "%s '%s' is listed twice",
					 shown, v);
	na = realloc(c->relay_addrs, (c->nrelay_addrs + 1) * sizeof(*na));
	if (!na)
		return conf_nomem(ld);
	c->relay_addrs = na;
	na[c->nrelay_addrs++] = a;
	return 0;
}

/* Does an earlier relay.advertise entry cover what e covers? */
static bool advert_dup(const struct ternd_config *c, const struct cfg_advert *e)
{
	for (size_t i = 0; i < c->nadvertise; i++) {
		const struct cfg_advert *o = &c->advertise[i];

		if (sa_is_set(&e->bound)
			? sa_equal_addr(&o->bound, &e->bound)
			: !sa_is_set(&o->bound) &&
			      sa_family(&o->pub) == sa_family(&e->pub))
			return true;
	}
	return false;
}

/* "PUBLIC/PRIVATE" or "PUBLIC" into *e; false when it is neither. */
static bool parse_advert(struct cfg_advert *e, const char *v)
{
	const char *slash = strchr(v, '/');
	size_t n = slash ? (size_t)(slash - v) : strlen(v);
	char pub[SA_STRLEN];

	sa_init(&e->bound);
	if (n >= sizeof(pub))
		return false;
	memcpy(pub, v, n);
	pub[n] = 0;
	if (sa_set_str(&e->pub, pub, 0))
		return false;
	return !slash || !sa_set_str(&e->bound, slash + 1, 0);
}

/* relay.advertise: "PUBLIC/PRIVATE" (coturn's external-ip) or "PUBLIC". */
static int take_advertise(struct loader *ld, const config_setting_t *s,
			  const char *shown, const char *v)
{
	struct ternd_config *c = ld->cfg;
	const char *slash = strchr(v, '/');
	struct cfg_advert e, *na;

	if (!parse_advert(&e, v))
		return conf_fail(ld, s,
				 "%s '%s' is not \"PUBLIC/PRIVATE\" or "
				 "\"PUBLIC\" with numeric addresses "
				 "(\"203.0.113.10/10.0.0.5\")",
				 shown, v);
	sa_unmap(&e.pub);
	sa_unmap(&e.bound);
	if (conf_is_wildcard(&e.pub) || (slash && conf_is_wildcard(&e.bound)))
		return conf_fail(ld, s,
				 "%s '%s': both addresses must be specific, "
				 "not a wildcard",
				 shown, v);
	if (slash && sa_family(&e.pub) != sa_family(&e.bound))
		return conf_fail(ld, s,
				 "%s '%s' maps one address family onto the "
				 "other; 1:1 NAT keeps the family",
				 shown, v);
	if (advert_dup(c, &e))
		return conf_fail(ld, s,
				 "%s '%s': an earlier entry already says what "
				 "to advertise for %s",
				 shown, v, slash ? slash + 1 : "that family");
	na = realloc(c->advertise, (c->nadvertise + 1) * sizeof(*na));
	if (!na)
		return conf_nomem(ld);
	c->advertise = na;
	na[c->nadvertise++] = e;
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
		return conf_fail(
		    ld, s,
		    "%s '%s' is an IPv4-mapped IPv6 prefix, which never "
		    "matches: peers are compared unmapped; write it as "
		    "IPv4 (\"%s\" without \"::ffff:\", prefix length "
		    "minus 96)",
		    shown, v, v + 7);
	rc = cidr_set_add_str(set, v);
	if (rc == ENOMEM)
		return conf_nomem(ld);
	if (rc)
		return conf_fail(ld, s,
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
			return conf_fail(ld, e, "%s must be a string (got %s)",
					 sh, type_noun(e));
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
		return conf_fail(
		    ld, s,
		    "%s must be \"\" (random per start) or %d to %d "
		    "hex digits (an even count), e.g. from "
		    "'openssl rand -hex 32'",
		    shown, 2 * AUTH_NONCE_SECRET_MIN, 2 * CFG_NONCE_SECRET_MAX);
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
	return conf_fail(
	    ld, s,
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
		return conf_fail(ld, s, "%s is empty", shown);
	if (o->off == offsetof(struct cfg_user, key) &&
	    (rc = check_key(ld, s, shown, v)))
		return rc;
	free(*f);
	if (!(*f = strdup(v)))
		return conf_nomem(ld);
	return 0;
}

static int check_user(struct loader *ld, size_t i, const char *sh)
{
	const struct cfg_user *u = &ld->cfg->users[i];
	const config_setting_t *e = ld->usrc[i];

	if (!u->name)
		return conf_fail(ld, e, "%s has no name", sh);
	if (!u->password == !u->key)
		return conf_fail(
		    ld, e,
		    "%s '%s' needs either a password or a key (not "
		    "both)",
		    sh, u->name);
	for (size_t j = 0; j < i; j++)
		if (strcmp(ld->cfg->users[j].name, u->name) == 0)
			return conf_fail(ld, e, "%s repeats the user '%s'", sh,
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
		return conf_nomem(ld);
	for (size_t i = 0; i < n && !rc; i++) {
		char sh[NAME_MAX_LEN];
		const config_setting_t *e =
		    list_group(ld, s, i, "auth.users",
			       "{ name = \"alice\"; password = \"...\"; }", sh,
			       sizeof(sh));

		if (!e)
			return EINVAL;
		ld->ucur = i;
		ld->usrc[i] = e;
		c->nusers = i + 1;
		rc = conf_walk(ld, e, "auth.users", sh);
		if (!rc)
			rc = check_user(ld, i, sh);
	}
	return rc;
}
