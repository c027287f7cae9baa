/*
 * import.c — coturn's turnserver.conf into ternd.conf; see admin.h.
 *
 * Pure: text in, text and diagnostics out. Two passes, as coturn itself
 * reads its file: the lines first (into struct coturn_conf, what coturn would
 * run with: the last value of a setting wins, lists grow), then ternd's
 * settings from that whole picture, because several coturn options decide
 * one ternd setting together (use-auth-secret, static-auth-secret, user,
 * redis-userdb and stun-only decide the auth group).
 *
 * coturn's line syntax (mainrelay.c, read_config_file): leading blanks
 * skipped; '#' first means a comment (a '#' later on the line is part of
 * the value); the name ends at the first ' ', '=' or tab, and every run of
 * those after it; a value starting with '"' loses that quote and a closing
 * one. Flags take an optional boolean: 1/0, yes/no, true/false, on/off.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "tools/admin/admin.h"
#include "tools/admin/import.h"

enum coturn_opt_kind {
	OPT_FLAG,   /* optional boolean */
	OPT_VALUE,  /* required value, the last one wins */
	OPT_OPTVAL, /* optional value (stale-nonce, max-allocate-lifetime) */
	OPT_LIST,   /* repeatable */
	OPT_SAME    /* a flag ternd already behaves as: nothing to write */
};

/* How an option is read, and where it goes. */
struct coturn_opt {
	const char *name;
	enum coturn_opt_kind kind;
	size_t off; /* into struct coturn_conf; NOT_IMPORTED: not imported */
	/* not imported: the reason; OPT_SAME: why not needed */
	const char *why;
};

#define NOT_IMPORTED SIZE_MAX
#define IMPORT(n, k, field)                                                    \
	{                                                                      \
		n, k, offsetof(struct coturn_conf, field), NULL                \
	}
#define SAME(n, why)                                                           \
	{                                                                      \
		n, OPT_SAME, NOT_IMPORTED, why                                 \
	}
#define SKIP(n, k, why)                                                        \
	{                                                                      \
		n, k, NOT_IMPORTED, why                                        \
	}

static const struct coturn_opt coturn_opts[] = {
	IMPORT("listening-ip", OPT_LIST, listen_ips),
	IMPORT("relay-ip", OPT_LIST, relay_ips),
	IMPORT("external-ip", OPT_LIST, external_ips),
	IMPORT("listening-port", OPT_VALUE, port),
	IMPORT("tls-listening-port", OPT_VALUE, tls_port),
	IMPORT("alt-listening-port", OPT_VALUE, alt_port),
	IMPORT("min-port", OPT_VALUE, min_port),
	IMPORT("max-port", OPT_VALUE, max_port),
	IMPORT("realm", OPT_VALUE, realm),
	IMPORT("lt-cred-mech", OPT_FLAG, lt_cred_mech),
	IMPORT("use-auth-secret", OPT_FLAG, use_auth_secret),
	IMPORT("static-auth-secret", OPT_LIST, secrets),
	IMPORT("user", OPT_LIST, users),
	IMPORT("redis-userdb", OPT_VALUE, redis_userdb),
	IMPORT("no-auth", OPT_FLAG, no_auth),
	IMPORT("stun-only", OPT_FLAG, stun_only),
	IMPORT("user-quota", OPT_VALUE, user_quota),
	IMPORT("total-quota", OPT_VALUE, total_quota),
	IMPORT("max-bps", OPT_VALUE, max_bps),
	IMPORT("stale-nonce", OPT_OPTVAL, stale_nonce),
	IMPORT("max-allocate-lifetime", OPT_OPTVAL, max_lifetime),
	IMPORT("relay-threads", OPT_VALUE, threads),
	IMPORT("no-udp", OPT_FLAG, no_udp),
	IMPORT("no-tcp", OPT_FLAG, no_tcp),
	IMPORT("no-tls", OPT_FLAG, no_tls),
	IMPORT("no-dtls", OPT_FLAG, no_dtls),
	IMPORT("cert", OPT_VALUE, cert),
	IMPORT("pkey", OPT_VALUE, pkey),
	IMPORT("cipher-list", OPT_VALUE, ciphers),
	IMPORT("no-tlsv1_2", OPT_FLAG, no_tls12),
	IMPORT("allow-loopback-peers", OPT_FLAG, allow_loopback),
	IMPORT("allowed-peer-ip", OPT_LIST, allowed_peers),
	IMPORT("denied-peer-ip", OPT_LIST, denied_peers),
	IMPORT("no-software-attribute", OPT_FLAG, no_software_attr),
	IMPORT("software-attribute", OPT_FLAG, software_attr),
	IMPORT("prod", OPT_FLAG, prod),
	IMPORT("log-file", OPT_VALUE, log_file),
	IMPORT("syslog", OPT_FLAG, syslog),
	IMPORT("verbose", OPT_FLAG, verbose),
	IMPORT("Verbose", OPT_FLAG, extra_verbose),
	IMPORT("no-stun-backward-compatibility", OPT_FLAG, no_stun_compat),
	IMPORT("fingerprint", OPT_FLAG, fingerprint),
	IMPORT("server-name", OPT_VALUE, server_name),
	IMPORT("proc-user", OPT_VALUE, proc_user),
	IMPORT("proc-group", OPT_VALUE, proc_group),
	IMPORT("prometheus", OPT_FLAG, prometheus),
	IMPORT("prometheus-port", OPT_OPTVAL, prometheus_port),
	IMPORT("prometheus-address", OPT_OPTVAL, prometheus_addr),
	IMPORT("redis-statsdb", OPT_VALUE, redis_statsdb),
	SAME("no-tlsv1", "ternd never accepts TLS below 1.2"),
	SAME("no-tlsv1_1", "ternd never accepts TLS below 1.2"),
	SAME("no-multicast-peers", "ternd denies multicast peers by default"),
	SAME("no-tcp-relay", "ternd relays UDP only (no RFC 6062 TCP relays)"),
	SAME("no-cli", "ternd has no telnet CLI"),
	SAME("no-rfc5780", "ternd answers RFC 5780 only for a listen entry "
			   "with an alternate, and none is written"),
	SKIP("listening-device", OPT_VALUE,
	     "ternd binds addresses, not devices: use listening-ip"),
	SKIP("relay-device", OPT_VALUE,
	     "ternd binds addresses, not devices: use relay-ip"),
	SKIP("alt-tls-listening-port", OPT_VALUE,
	     "ternd runs RFC 5780 over UDP only"),
	SKIP("tcp-proxy-port", OPT_VALUE,
	     "ternd has no PROXY protocol listener"),
	SKIP("userdb", OPT_VALUE,
	     "ternd reads users from its config file or Redis, not SQLite "
	     "(copy them with tern-admin user add --key)"),
	SKIP("db", OPT_VALUE,
	     "ternd reads users from its config file or Redis, not SQLite "
	     "(copy them with tern-admin user add --key)"),
	SKIP("psql-userdb", OPT_VALUE,
	     "ternd reads users from its config file or Redis only"),
	SKIP("sql-userdb", OPT_VALUE,
	     "ternd reads users from its config file or Redis only"),
	SKIP("mysql-userdb", OPT_VALUE,
	     "ternd reads users from its config file or Redis only"),
	SKIP("mongo-userdb", OPT_VALUE,
	     "ternd reads users from its config file or Redis only"),
	SKIP("prometheus-username-labels", OPT_FLAG,
	     "ternd never labels metrics by user"),
	SKIP("no-auth-pings", OPT_FLAG, "ternd sends no database pings"),
	SKIP("no-dynamic-ip-list", OPT_FLAG,
	     "ternd reads no peer lists from the database"),
	SKIP("no-dynamic-realms", OPT_FLAG, "ternd serves one realm"),
	SKIP("oauth", OPT_FLAG, "no third-party authorization (RFC 7635)"),
	SKIP("bps-capacity", OPT_VALUE,
	     "no server-wide bandwidth cap (relay.bandwidth is per "
	     "allocation)"),
	SKIP("daemon", OPT_FLAG,
	     "ternd stays in the foreground: run it under systemd"),
	SKIP("check-origin-consistency", OPT_FLAG,
	     "ternd does not check ORIGIN"),
	SKIP("no-udp-relay", OPT_FLAG,
	     "ternd relays UDP only (RFC 8656); it cannot turn that off"),
	SKIP("channel-lifetime", OPT_OPTVAL, "fixed at RFC 8656's 600 seconds"),
	SKIP("permission-lifetime", OPT_OPTVAL,
	     "fixed at RFC 8656's 300 seconds"),
	SKIP("no-stun", OPT_FLAG, "ternd always answers Binding requests"),
	SKIP("raw-public-keys", OPT_FLAG, "ternd uses X.509 certificates"),
	SKIP("pkey-pwd", OPT_VALUE,
	     "ternd needs an unencrypted private key (it starts unattended; "
	     "decrypt it with openssl pkey)"),
	SKIP("no-stdout-log", OPT_FLAG,
	     "ternd logs to stderr or syslog (log.target)"),
	SKIP("simple-log", OPT_FLAG, "ternd names no log files"),
	SKIP("new-log-timestamp", OPT_FLAG, "ternd's log format is fixed"),
	SKIP("new-log-timestamp-format", OPT_VALUE,
	     "ternd's log format is fixed"),
	SKIP("syslog-facility", OPT_VALUE,
	     "ternd logs to syslog as facility daemon"),
	SKIP("aux-server", OPT_LIST, "ternd has no auxiliary servers"),
	SKIP("udp-self-balance", OPT_FLAG, "ternd has no auxiliary servers"),
	SKIP("alternate-server", OPT_LIST,
	     "ternd sends no ALTERNATE-SERVER redirects in normal service"),
	SKIP("tls-alternate-server", OPT_LIST,
	     "ternd sends no ALTERNATE-SERVER redirects in normal service"),
	SKIP("max-allocate-timeout", OPT_VALUE,
	     "ternd's allocation timeouts are fixed"),
	SKIP("pidfile", OPT_VALUE, "ternd writes no pid file"),
	SKIP("secure-stun", OPT_FLAG,
	     "ternd answers Binding requests without authentication"),
	SKIP("CA-file", OPT_VALUE, "ternd does not check client certificates"),
	SKIP("dh-file", OPT_VALUE,
	     "ternd uses ECDHE key exchange (OpenSSL's defaults)"),
	SKIP("dh566", OPT_FLAG, "ternd uses ECDHE key exchange"),
	SKIP("dh1066", OPT_FLAG, "ternd uses ECDHE key exchange"),
	SKIP("ec-curve-name", OPT_VALUE, "ternd uses OpenSSL's default groups"),
	SKIP("mobility", OPT_FLAG, "no RFC 8016 mobility"),
	SKIP("cli-ip", OPT_VALUE, "ternd has no telnet CLI"),
	SKIP("cli-port", OPT_VALUE, "ternd has no telnet CLI"),
	SKIP("cli-password", OPT_VALUE, "ternd has no telnet CLI"),
	SKIP("cli-max-output-sessions", OPT_VALUE, "ternd has no telnet CLI"),
	SKIP("web-admin", OPT_FLAG, "ternd has no web admin (use tern-admin)"),
	SKIP("web-admin-ip", OPT_VALUE, "ternd has no web admin"),
	SKIP("web-admin-port", OPT_VALUE, "ternd has no web admin"),
	SKIP("web-admin-listen-on-workers", OPT_FLAG, "ternd has no web admin"),
	SKIP("server-relay", OPT_FLAG, "not supported (and dangerous)"),
	SKIP("ne", OPT_VALUE, "coturn's network engines have no equivalent"),
	SKIP("secret-key-file", OPT_VALUE,
	     "ternd keeps no encrypted passwords in a database"),
	SKIP("keep-address-family", OPT_FLAG,
	     "ternd follows RFC 8656 (REQUESTED-ADDRESS-FAMILY, IPv4 "
	     "otherwise)"),
	SKIP("allocation-default-address-family", OPT_VALUE,
	     "ternd follows RFC 8656 (REQUESTED-ADDRESS-FAMILY, IPv4 "
	     "otherwise)"),
	SKIP("acme-redirect", OPT_VALUE, "ternd has no HTTP listener for ACME"),
	SKIP("log-binding", OPT_FLAG, "ternd does not log Binding requests"),
	SKIP("response-origin-only-with-rfc5780", OPT_FLAG,
	     "ternd's RESPONSE-ORIGIN follows RFC 5780"),
	SKIP("respond-http-unsupported", OPT_FLAG,
	     "ternd does not answer HTTP on its STUN ports"),
	SKIP("rest-api-separator", OPT_VALUE,
	     "ternd's REST usernames are <expiry>:<user>"),
	SKIP("secret-ts-exp-time", OPT_VALUE,
	     "deprecated in coturn, no effect"),
	SKIP("version", OPT_FLAG, "a command, not a setting"),
};

/* ---- diagnostics -------------------------------------------------------- */

/* Diagnostics go to a terminal and quote the input: control bytes (an
 * escape sequence in a hostile file) become '?'. */
static void printable(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

int admin_import_diag(struct admin_import *im, unsigned line,
		      enum admin_diag_kind kind, const char *opt,
		      const char *fmt, ...)
{
	struct admin_diag *d;
	va_list ap;

	if (im->ndiag == im->dcap) {
		size_t cap = im->dcap ? im->dcap * 2 : 16;

		d = realloc(im->diag, cap * sizeof(*d));
		if (!d)
			return ENOMEM;
		im->diag = d;
		im->dcap = cap;
	}
	d = &im->diag[im->ndiag++];
	d->line = line;
	d->kind = kind;
	/* a line "=value" has an empty name */
	snprintf(d->opt, sizeof(d->opt), "%s", *opt ? opt : "(no name)");
	va_start(ap, fmt);
	vsnprintf(d->text, sizeof(d->text), fmt, ap);
	va_end(ap);
	printable(d->opt);
	printable(d->text);
	if (kind == ADMIN_DIAG_SKIP)
		im->skipped++;
	return 0;
}

/* ---- pass 1: the lines -------------------------------------------------- */

int admin_import_values_add(struct coturn_values *l, unsigned line,
			    const char *s)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct coturn_value *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].text = strdup(s);
	if (!l->v[l->n].text)
		return ENOMEM;
	l->v[l->n++].line = line;
	return 0;
}

static int coturn_value_set(struct coturn_value *v, unsigned line,
			    const char *s)
{
	char *copy = strdup(s);

	if (!copy)
		return ENOMEM;
	admin_secret_free(v->text);
	v->text = copy;
	v->line = line;
	return 0;
}

static void coturn_values_free(struct coturn_values *l)
{
	for (size_t i = 0; i < l->n; i++)
		admin_secret_free(l->v[i].text);
	free(l->v);
}

static void coturn_conf_free(struct coturn_conf *coturn)
{
	struct coturn_values *lists[] = {
		&coturn->listen_ips,   &coturn->relay_ips,
		&coturn->external_ips, &coturn->allowed_peers,
		&coturn->denied_peers, &coturn->secrets,
		&coturn->users,	       &coturn->same_flags
	};
	struct coturn_value *v = &coturn->realm,
			    *end = &coturn->server_name + 1;

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		coturn_values_free(lists[i]);
	for (; v < end; v++)
		admin_secret_free(v->text);
}

/* coturn's get_bool_value: empty is true; then by the first character. */
static int coturn_bool(const char *s)
{
	if (!*s)
		return 1;
	if (strchr("0nNfF", s[0]))
		return 0;
	if (strchr("yYtT123456789", s[0]))
		return 1;
	if (!strcmp(s, "off") || !strcmp(s, "OFF") || !strcmp(s, "Off"))
		return 0;
	if (!strcmp(s, "on") || !strcmp(s, "ON") || !strcmp(s, "On"))
		return 1;
	return -1;
}

static const struct coturn_opt *coturn_opt_find(const char *name)
{
	for (size_t i = 0; i < sizeof(coturn_opts) / sizeof(coturn_opts[0]);
	     i++)
		if (strcmp(coturn_opts[i].name, name) == 0)
			return &coturn_opts[i];
	return NULL;
}

const char *admin_import_same_why(const char *name)
{
	const struct coturn_opt *o = coturn_opt_find(name);

	return o && o->why ? o->why : "";
}

/* One option of one line. */
static int take_option(struct admin_import *im, struct coturn_conf *coturn,
		       unsigned line, const char *name, const char *value)
{
	const struct coturn_opt *o = coturn_opt_find(name);
	int b = o && o->kind == OPT_FLAG ? coturn_bool(value) : 1;

	if (!o)
		return admin_import_diag(
		    im, line, ADMIN_DIAG_SKIP, name,
		    "not a coturn option (coturn ignores the line "
		    "with a warning)");
	if (b < 0)
		return admin_import_diag(
		    im, line, ADMIN_DIAG_SKIP, name,
		    "'%s' is not a boolean (coturn stops on it)", value);
	if ((o->kind == OPT_VALUE || o->kind == OPT_LIST) && !*value)
		return admin_import_diag(im, line, ADMIN_DIAG_SKIP, name,
					 "has no value");
	if (o->kind == OPT_SAME) /* a comment in the output says so */
		return b ? admin_import_values_add(&coturn->same_flags, line,
						   name)
			 : 0;
	if (o->off == NOT_IMPORTED)
		return b ? admin_import_diag(im, line, ADMIN_DIAG_SKIP, name,
					     "%s", o->why)
			 : 0; /* turned off: nothing to miss */
	if (o->kind == OPT_LIST)
		return admin_import_values_add(
		    (struct coturn_values *)((char *)coturn + o->off), line,
		    value);
	return coturn_value_set(
	    (struct coturn_value *)((char *)coturn + o->off), line,
	    o->kind == OPT_FLAG ? (b ? "1" : "0") : value);
}

/* Split one line coturn's way; name and value point into line. */
static void split(char *line, char **name, char **value)
{
	char *p = line;
	size_t n;

	*name = line;
	while (*p && *p != ' ' && *p != '=' && *p != '\t')
		p++;
	if (*p) {
		*p++ = '\0';
		while (*p == ' ' || *p == '=' || *p == '\t')
			p++;
	}
	*value = p;
	if (*p == '"') {
		*value = ++p;
		n = strlen(p);
		if (n && p[n - 1] == '"')
			p[n - 1] = '\0';
	}
}

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' ||
	       ch == '\v' || ch == '\f';
}

/* One line: blank, a '#' comment (only at its start, as coturn reads it),
 * or one option. */
static int one_line(struct admin_import *im, struct coturn_conf *coturn,
		    unsigned no, char *s, size_t len)
{
	char *name, *value;

	if (memchr(s, '\0', len))
		return admin_import_diag(im, no, ADMIN_DIAG_SKIP, "?",
					 "the line contains a NUL byte");
	s[len] = '\0';
	while (*s && is_blank(*s))
		s++, len--;
	while (len && is_blank(s[len - 1]))
		s[--len] = '\0';
	if (!*s || *s == '#')
		return 0;
	split(s, &name, &value);
	if (*value && value[strlen(value) - 1] == ';')
		admin_import_diag(im, no, ADMIN_DIAG_NOTE, name,
				  "the value ends with ';', which coturn "
				  "keeps as part of it");
	return take_option(im, coturn, no, name, value);
}

static int read_lines(struct admin_import *im, struct coturn_conf *coturn,
		      const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	unsigned no = 0;
	char *buf = NULL;
	size_t cap = 0;
	int err = 0;

	while (p < end && !err) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);

		no++;
		if (n + 1 > cap) {
			char *b = realloc(buf, n + 1);

			if (!b) {
				err = ENOMEM;
				break;
			}
			buf = b;
			cap = n + 1;
		}
		memcpy(buf, p, n);
		err = one_line(im, coturn, no, buf, n);
		p = nl ? nl + 1 : end;
	}
	if (buf) {
		OPENSSL_cleanse(buf, cap); /* user= and secret lines */
		free(buf);
	}
	return err;
}

/* In the file's order (0, about the whole file, first), keeping the
 * order of several for one line: an insertion sort, stable and plenty
 * for a few dozen entries. */
static void sort_by_line(struct admin_diag *d, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct admin_diag t = d[i];
		size_t j = i;

		for (; j > 0 && d[j - 1].line > t.line; j--)
			d[j] = d[j - 1];
		d[j] = t;
	}
}

int admin_import_coturn(struct admin_import *im, const char *text, size_t len,
			const char *srcdir)
{
	struct coturn_conf coturn;
	int err;

	memset(im, 0, sizeof(*im));
	memset(&coturn, 0, sizeof(coturn));
	err = read_lines(im, &coturn, text, len);
	if (!err)
		err = admin_import_emit(im, &coturn, srcdir);
	sort_by_line(im->diag, im->ndiag);
	coturn_conf_free(&coturn);
	return err;
}

void admin_import_free(struct admin_import *im)
{
	if (!im)
		return;
	if (im->conf)
		admin_secret_free(im->conf);
	free(im->diag);
	memset(im, 0, sizeof(*im));
}
