/*
 * import.c — coturn's turnserver.conf into ternd.conf; see admin.h.
 *
 * Pure: text in, text and diagnostics out. Two passes, as coturn itself
 * reads its file: the lines first (into struct cot, what coturn would run
 * with: the last value of a setting wins, lists grow), then ternd's
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

enum kind {
	K_FLAG,	  /* optional boolean */
	K_VALUE,  /* required value, the last one wins */
	K_OPTVAL, /* optional value (stale-nonce, max-allocate-lifetime) */
	K_LIST,	  /* repeatable */
	K_SAME	  /* a flag ternd already behaves as: nothing to write */
};

/* How an option is read, and where it goes. */
struct copt {
	const char *name;
	enum kind kind;
	size_t off;	 /* into struct cot; SIZE_MAX: not imported */
	const char *why; /* not imported: the reason; K_SAME: why not needed */
};

#define NONE SIZE_MAX
#define M(n, k, field)                                                         \
	{                                                                      \
		n, k, offsetof(struct cot, field), NULL                        \
	}
#define SAME(n, why)                                                           \
	{                                                                      \
		n, K_SAME, NONE, why                                           \
	}
#define SKIP(n, k, why)                                                        \
	{                                                                      \
		n, k, NONE, why                                                \
	}

static const struct copt copts[] = {
	M("listening-ip", K_LIST, listen),
	M("relay-ip", K_LIST, relay),
	M("listening-port", K_VALUE, port),
	M("tls-listening-port", K_VALUE, tls_port),
	M("alt-listening-port", K_VALUE, alt_port),
	M("min-port", K_VALUE, min_port),
	M("max-port", K_VALUE, max_port),
	M("realm", K_VALUE, realm),
	M("lt-cred-mech", K_FLAG, lt),
	M("use-auth-secret", K_FLAG, rest),
	M("static-auth-secret", K_LIST, secrets),
	M("user", K_LIST, users),
	M("redis-userdb", K_VALUE, redis),
	M("no-auth", K_FLAG, no_auth),
	M("stun-only", K_FLAG, stun_only),
	M("user-quota", K_VALUE, user_quota),
	M("total-quota", K_VALUE, total_quota),
	M("max-bps", K_VALUE, max_bps),
	M("stale-nonce", K_OPTVAL, stale_nonce),
	M("max-allocate-lifetime", K_OPTVAL, max_life),
	M("relay-threads", K_VALUE, threads),
	M("no-udp", K_FLAG, no_udp),
	M("no-tcp", K_FLAG, no_tcp),
	M("no-tls", K_FLAG, no_tls),
	M("no-dtls", K_FLAG, no_dtls),
	M("cert", K_VALUE, cert),
	M("pkey", K_VALUE, pkey),
	M("cipher-list", K_VALUE, ciphers),
	M("no-tlsv1_2", K_FLAG, no_tls12),
	M("allow-loopback-peers", K_FLAG, loopback),
	M("allowed-peer-ip", K_LIST, allow),
	M("denied-peer-ip", K_LIST, deny),
	M("no-software-attribute", K_FLAG, no_sw),
	M("software-attribute", K_FLAG, sw),
	M("prod", K_FLAG, prod),
	M("log-file", K_VALUE, log_file),
	M("syslog", K_FLAG, syslog),
	M("verbose", K_FLAG, verbose),
	M("Verbose", K_FLAG, xverbose),
	M("no-stun-backward-compatibility", K_FLAG, no_old_stun),
	M("fingerprint", K_FLAG, fingerprint),
	M("server-name", K_VALUE, server_name),
	M("proc-user", K_VALUE, proc_user),
	M("proc-group", K_VALUE, proc_group),
	M("prometheus", K_FLAG, prom),
	M("prometheus-port", K_OPTVAL, prom_port),
	M("prometheus-address", K_OPTVAL, prom_addr),
	M("redis-statsdb", K_VALUE, statsdb),
	SAME("no-tlsv1", "ternd never accepts TLS below 1.2"),
	SAME("no-tlsv1_1", "ternd never accepts TLS below 1.2"),
	SAME("no-multicast-peers", "ternd denies multicast peers by default"),
	SAME("no-tcp-relay", "ternd relays UDP only (no RFC 6062 TCP relays)"),
	SAME("no-cli", "ternd has no telnet CLI"),
	SAME("no-rfc5780", "ternd answers RFC 5780 only for a listen entry "
			   "with an alternate, and none is written"),
	SKIP("listening-device", K_VALUE,
	     "ternd binds addresses, not devices: use listening-ip"),
	SKIP("relay-device", K_VALUE,
	     "ternd binds addresses, not devices: use relay-ip"),
	SKIP("external-ip", K_LIST,
	     "ternd has no 1:1 NAT address mapping: it announces the "
	     "addresses it binds (relay.addresses)"),
	SKIP("alt-tls-listening-port", K_VALUE,
	     "ternd runs RFC 5780 over UDP only"),
	SKIP("tcp-proxy-port", K_VALUE, "ternd has no PROXY protocol listener"),
	SKIP("userdb", K_VALUE,
	     "ternd reads users from its config file or Redis, not SQLite "
	     "(copy them with tern-admin user add --key)"),
	SKIP("db", K_VALUE,
	     "ternd reads users from its config file or Redis, not SQLite "
	     "(copy them with tern-admin user add --key)"),
	SKIP("psql-userdb", K_VALUE,
	     "ternd reads users from its config file or Redis only"),
	SKIP("sql-userdb", K_VALUE,
	     "ternd reads users from its config file or Redis only"),
	SKIP("mysql-userdb", K_VALUE,
	     "ternd reads users from its config file or Redis only"),
	SKIP("mongo-userdb", K_VALUE,
	     "ternd reads users from its config file or Redis only"),
	SKIP("prometheus-username-labels", K_FLAG,
	     "ternd never labels metrics by user"),
	SKIP("no-auth-pings", K_FLAG, "ternd sends no database pings"),
	SKIP("no-dynamic-ip-list", K_FLAG,
	     "ternd reads no peer lists from the database"),
	SKIP("no-dynamic-realms", K_FLAG, "ternd serves one realm"),
	SKIP("oauth", K_FLAG, "no third-party authorization (RFC 7635)"),
	SKIP("bps-capacity", K_VALUE,
	     "no server-wide bandwidth cap (relay.bandwidth is per "
	     "allocation)"),
	SKIP("daemon", K_FLAG,
	     "ternd stays in the foreground: run it under systemd"),
	SKIP("check-origin-consistency", K_FLAG, "ternd does not check ORIGIN"),
	SKIP("no-udp-relay", K_FLAG,
	     "ternd relays UDP only (RFC 8656); it cannot turn that off"),
	SKIP("channel-lifetime", K_OPTVAL, "fixed at RFC 8656's 600 seconds"),
	SKIP("permission-lifetime", K_OPTVAL,
	     "fixed at RFC 8656's 300 seconds"),
	SKIP("no-stun", K_FLAG, "ternd always answers Binding requests"),
	SKIP("raw-public-keys", K_FLAG, "ternd uses X.509 certificates"),
	SKIP("pkey-pwd", K_VALUE,
	     "ternd needs an unencrypted private key (it starts unattended; "
	     "decrypt it with openssl pkey)"),
	SKIP("no-stdout-log", K_FLAG,
	     "ternd logs to stderr or syslog (log.target)"),
	SKIP("simple-log", K_FLAG, "ternd names no log files"),
	SKIP("new-log-timestamp", K_FLAG, "ternd's log format is fixed"),
	SKIP("new-log-timestamp-format", K_VALUE,
	     "ternd's log format is fixed"),
	SKIP("syslog-facility", K_VALUE,
	     "ternd logs to syslog as facility daemon"),
	SKIP("aux-server", K_LIST, "ternd has no auxiliary servers"),
	SKIP("udp-self-balance", K_FLAG, "ternd has no auxiliary servers"),
	SKIP("alternate-server", K_LIST,
	     "ternd sends no ALTERNATE-SERVER redirects in normal service"),
	SKIP("tls-alternate-server", K_LIST,
	     "ternd sends no ALTERNATE-SERVER redirects in normal service"),
	SKIP("max-allocate-timeout", K_VALUE,
	     "ternd's allocation timeouts are fixed"),
	SKIP("pidfile", K_VALUE, "ternd writes no pid file"),
	SKIP("secure-stun", K_FLAG,
	     "ternd answers Binding requests without authentication"),
	SKIP("CA-file", K_VALUE, "ternd does not check client certificates"),
	SKIP("dh-file", K_VALUE,
	     "ternd uses ECDHE key exchange (OpenSSL's defaults)"),
	SKIP("dh566", K_FLAG, "ternd uses ECDHE key exchange"),
	SKIP("dh1066", K_FLAG, "ternd uses ECDHE key exchange"),
	SKIP("ec-curve-name", K_VALUE, "ternd uses OpenSSL's default groups"),
	SKIP("mobility", K_FLAG, "no RFC 8016 mobility"),
	SKIP("cli-ip", K_VALUE, "ternd has no telnet CLI"),
	SKIP("cli-port", K_VALUE, "ternd has no telnet CLI"),
	SKIP("cli-password", K_VALUE, "ternd has no telnet CLI"),
	SKIP("cli-max-output-sessions", K_VALUE, "ternd has no telnet CLI"),
	SKIP("web-admin", K_FLAG, "ternd has no web admin (use tern-admin)"),
	SKIP("web-admin-ip", K_VALUE, "ternd has no web admin"),
	SKIP("web-admin-port", K_VALUE, "ternd has no web admin"),
	SKIP("web-admin-listen-on-workers", K_FLAG, "ternd has no web admin"),
	SKIP("server-relay", K_FLAG, "not supported (and dangerous)"),
	SKIP("ne", K_VALUE, "coturn's network engines have no equivalent"),
	SKIP("secret-key-file", K_VALUE,
	     "ternd keeps no encrypted passwords in a database"),
	SKIP("keep-address-family", K_FLAG,
	     "ternd follows RFC 8656 (REQUESTED-ADDRESS-FAMILY, IPv4 "
	     "otherwise)"),
	SKIP("allocation-default-address-family", K_VALUE,
	     "ternd follows RFC 8656 (REQUESTED-ADDRESS-FAMILY, IPv4 "
	     "otherwise)"),
	SKIP("acme-redirect", K_VALUE, "ternd has no HTTP listener for ACME"),
	SKIP("log-binding", K_FLAG, "ternd does not log Binding requests"),
	SKIP("response-origin-only-with-rfc5780", K_FLAG,
	     "ternd's RESPONSE-ORIGIN follows RFC 5780"),
	SKIP("respond-http-unsupported", K_FLAG,
	     "ternd does not answer HTTP on its STUN ports"),
	SKIP("rest-api-separator", K_VALUE,
	     "ternd's REST usernames are <expiry>:<user>"),
	SKIP("secret-ts-exp-time", K_VALUE, "deprecated in coturn, no effect"),
	SKIP("version", K_FLAG, "a command, not a setting"),
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

int admin_import_vals_add(struct vals *l, unsigned line, const char *s)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct val *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].s = strdup(s);
	if (!l->v[l->n].s)
		return ENOMEM;
	l->v[l->n++].line = line;
	return 0;
}

static int val_set(struct val *v, unsigned line, const char *s)
{
	char *c = strdup(s);

	if (!c)
		return ENOMEM;
	admin_secret_free(v->s);
	v->s = c;
	v->line = line;
	return 0;
}

static void vals_free(struct vals *l)
{
	for (size_t i = 0; i < l->n; i++)
		admin_secret_free(l->v[i].s);
	free(l->v);
}

static void cot_free(struct cot *c)
{
	struct vals *lists[] = { &c->listen,  &c->relay, &c->allow, &c->deny,
				 &c->secrets, &c->users, &c->same };
	struct val *v = &c->realm, *end = &c->server_name + 1;

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		vals_free(lists[i]);
	for (; v < end; v++)
		admin_secret_free(v->s);
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

static const struct copt *copt_find(const char *name)
{
	for (size_t i = 0; i < sizeof(copts) / sizeof(copts[0]); i++)
		if (strcmp(copts[i].name, name) == 0)
			return &copts[i];
	return NULL;
}

const char *admin_import_same_why(const char *name)
{
	const struct copt *o = copt_find(name);

	return o && o->why ? o->why : "";
}

/* One option of one line. */
static int take(struct admin_import *im, struct cot *c, unsigned line,
		const char *name, const char *value)
{
	const struct copt *o = copt_find(name);
	int b = o && o->kind == K_FLAG ? coturn_bool(value) : 1;

	if (!o)
		return admin_import_diag(
		    im, line, ADMIN_DIAG_SKIP, name,
		    "not a coturn option (coturn ignores the line "
		    "with a warning)");
	if (b < 0)
		return admin_import_diag(
		    im, line, ADMIN_DIAG_SKIP, name,
		    "'%s' is not a boolean (coturn stops on it)", value);
	if ((o->kind == K_VALUE || o->kind == K_LIST) && !*value)
		return admin_import_diag(im, line, ADMIN_DIAG_SKIP, name,
					 "has no value");
	if (o->kind == K_SAME) /* a comment in the output says so */
		return b ? admin_import_vals_add(&c->same, line, name) : 0;
	if (o->off == NONE)
		return b ? admin_import_diag(im, line, ADMIN_DIAG_SKIP, name,
					     "%s", o->why)
			 : 0; /* turned off: nothing to miss */
	if (o->kind == K_LIST)
		return admin_import_vals_add(
		    (struct vals *)((char *)c + o->off), line, value);
	return val_set((struct val *)((char *)c + o->off), line,
		       o->kind == K_FLAG ? (b ? "1" : "0") : value);
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
static int one_line(struct admin_import *im, struct cot *c, unsigned no,
		    char *s, size_t len)
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
	return take(im, c, no, name, value);
}

static int read_lines(struct admin_import *im, struct cot *c, const char *text,
		      size_t len)
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
		err = one_line(im, c, no, buf, n);
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
	struct cot c;
	int err;

	memset(im, 0, sizeof(*im));
	memset(&c, 0, sizeof(c));
	err = read_lines(im, &c, text, len);
	if (!err)
		err = admin_import_emit(im, &c, srcdir);
	sort_by_line(im->diag, im->ndiag);
	cot_free(&c);
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
