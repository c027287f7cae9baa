/*
 * emit.c — the ternd.conf that import-coturn writes, from what
 * import.c read; see import.h.
 *
 * Pure: struct cot in, libconfig text out (open_memstream), with a
 * diagnostic for every coturn setting that does not carry over and a
 * comment beside every ternd setting naming the coturn line it came from.
 * Only settings documented in etc/ternd.conf are written, and only those a
 * coturn line decides: everything else keeps ternd's default.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <openssl/crypto.h>

#include "tools/admin/admin.h"
#include "tools/admin/import.h"

/* etc/ternd.conf's ranges */
#define MAX_SECRETS 8
#define NONCE_MIN   30
#define NONCE_MAX   86400
#define LIFE_MIN    60
#define LIFE_MAX    86400
#define LIFE_DEF    600
#define WORKERS_MAX 256

struct emit {
	struct admin_import *im;
	const struct cot *c;
	const char *srcdir;
	FILE *f;    /* the file */
	FILE *g;    /* the group being written */
	char *gbuf; /* g's text */
	size_t glen;
	int err; /* first ENOMEM */
	bool tls_off, wildcard;
	bool top; /* a top-level setting was written */
};

/* One element of a libconfig list, with where it came from. */
struct item {
	char *s;
	const char *opt;
	unsigned line;
};

struct items {
	struct item *v;
	size_t n, cap;
	struct admin_list own; /* storage of the strings */
};

static bool on(const struct val *v)
{
	return v->line && v->s[0] == '1';
}

static bool given(const struct val *v)
{
	return v->line != 0;
}

static void note(struct emit *e, unsigned line, enum admin_diag_kind kind,
		 const char *opt, const char *text)
{
	if (admin_import_diag(e->im, line, kind, opt, "%s", text))
		e->err = ENOMEM;
}

/* ---- libconfig text ----------------------------------------------------- */

/* A libconfig string: quotes and backslashes escaped, control bytes as
 * \xHH (libconfig >= 1.5 reads them back). */
static void quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(f, "\\x%02x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

/* End a setting's line: "  # <opt>, line N" when a coturn line decided
 * it. */
static void eol(struct emit *e, FILE *f, const char *opt, unsigned line)
{
	if (line) {
		fprintf(f, "  # %s, line %u", opt, line);
		e->im->imported++;
	}
	fputc('\n', f);
}

/* Indent inside a group; a blank line before the first top-level one. */
static const char *indent(struct emit *e, FILE *f)
{
	if (f != e->f)
		return "  ";
	if (!e->top)
		fputc('\n', f);
	e->top = true;
	return "";
}

static void set_str(struct emit *e, FILE *f, const char *name, const char *v,
		    const char *opt, unsigned line)
{
	fprintf(f, "%s%s = ", indent(e, f), name);
	quoted(f, v);
	fputc(';', f);
	eol(e, f, opt, line);
}

static void set_num(struct emit *e, FILE *f, const char *name, unsigned long n,
		    const char *opt, unsigned line)
{
	fprintf(f, "%s%s = %lu;", indent(e, f), name, n);
	eol(e, f, opt, line);
}

static void set_bool(struct emit *e, FILE *f, const char *name, bool b,
		     const char *opt, unsigned line)
{
	fprintf(f, "%s%s = %s;", indent(e, f), name, b ? "true" : "false");
	eol(e, f, opt, line);
}

static int items_add(struct items *l, const char *s, const char *opt,
		     unsigned line)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct item *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	if (admin_list_add(&l->own, s, strlen(s)))
		return ENOMEM;
	l->v[l->n].s = l->own.v[l->own.n - 1];
	l->v[l->n].opt = opt;
	l->v[l->n++].line = line;
	return 0;
}

static bool items_has(const struct items *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].s, s) == 0)
			return true;
	return false;
}

static void items_free(struct items *l)
{
	free(l->v);
	admin_list_free(&l->own);
	memset(l, 0, sizeof(*l));
}

/* name = [ "a", "b" ]; one element per line, each with its source. */
static void set_list(struct emit *e, const char *name, const struct items *l)
{
	fprintf(e->g, "  %s = [", name);
	for (size_t i = 0; i < l->n; i++) {
		fputs("\n    ", e->g);
		quoted(e->g, l->v[i].s);
		if (i + 1 < l->n)
			fputc(',', e->g);
		if (l->v[i].line) {
			fprintf(e->g, "  # %s, line %u", l->v[i].opt,
				l->v[i].line);
			e->im->imported++;
		}
	}
	fputs(l->n ? "\n  ];\n" : " ];\n", e->g);
}

static void grp_begin(struct emit *e)
{
	e->gbuf = NULL;
	e->glen = 0;
	e->g = open_memstream(&e->gbuf, &e->glen);
	if (!e->g)
		e->err = ENOMEM;
}

/* Write the group when anything went into it. */
static void grp_end(struct emit *e, const char *name)
{
	if (!e->g)
		return;
	if (fclose(e->g))
		e->err = ENOMEM;
	e->g = NULL;
	if (e->glen)
		fprintf(e->f, "\n%s = {\n%s};\n", name, e->gbuf);
	if (e->gbuf) {
		OPENSSL_cleanse(e->gbuf, e->glen); /* secrets, passwords */
		free(e->gbuf);
	}
	e->gbuf = NULL;
}

/* ---- numbers ------------------------------------------------------------ */

/* v (dflt when given without a value) as a number clamped into [lo, hi];
 * false, with the line skipped, when it is not a number. */
static bool num(struct emit *e, const char *opt, const struct val *v,
		unsigned long dflt, unsigned long lo, unsigned long hi,
		unsigned long *out)
{
	const char *s = v->s;
	unsigned long n = 0;
	char msg[160];

	if (!*s) {
		*out = dflt;
		return true;
	}
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || n > 100000000000ul) {
			snprintf(msg, sizeof(msg),
				 "'%.40s' is not a whole number", v->s);
			note(e, v->line, ADMIN_DIAG_SKIP, opt, msg);
			return false;
		}
		n = n * 10 + (unsigned long)(*s - '0');
	}
	*out = n < lo ? lo : n > hi ? hi : n;
	if (*out != n) {
		snprintf(msg, sizeof(msg),
			 "%lu is outside ternd's range %lu-%lu: written as %lu",
			 n, lo, hi, *out);
		note(e, v->line, ADMIN_DIAG_NOTE, opt, msg);
	}
	return true;
}

static bool is_ip(const char *s, bool *wildcard)
{
	unsigned char b[16];

	if (inet_pton(AF_INET, s, b) == 1) {
		*wildcard = !memcmp(b, "\0\0\0\0", 4);
		return true;
	}
	if (inet_pton(AF_INET6, s, b) == 1) {
		*wildcard = !memcmp(b, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
		return true;
	}
	return false;
}

/* ---- general, log ------------------------------------------------------- */

static void emit_general(struct emit *e)
{
	const struct cot *c = e->c;
	unsigned long n;

	/* coturn's relay-threads=0 relays in the listener thread: one */
	if (given(&c->threads) &&
	    num(e, "relay-threads", &c->threads, 0, 0, WORKERS_MAX, &n))
		set_num(e, e->f, "workers", n ? n : 1, "relay-threads",
			c->threads.line);
	if (given(&c->sw) && !on(&c->sw))
		set_str(e, e->f, "software", "", "software-attribute",
			c->sw.line);
	else if (on(&c->no_sw))
		set_str(e, e->f, "software", "", "no-software-attribute",
			c->no_sw.line);
	else if (on(&c->prod)) /* "hide the software version" */
		set_str(e, e->f, "software", "tern", "prod", c->prod.line);
	if (on(&c->no_old_stun))
		set_bool(e, e->f, "rfc3489", false,
			 "no-stun-backward-compatibility", c->no_old_stun.line);
	if (given(&c->proc_user))
		set_str(e, e->f, "user", c->proc_user.s, "proc-user",
			c->proc_user.line);
	if (given(&c->proc_group))
		set_str(e, e->f, "group", c->proc_group.s, "proc-group",
			c->proc_group.line);
}

static void emit_log(struct emit *e)
{
	const struct cot *c = e->c;
	const char *lf = c->log_file.s;

	grp_begin(e);
	if (!e->g)
		return;
	if (on(&c->xverbose))
		set_str(e, e->g, "level", "debug", "Verbose", c->xverbose.line);
	else if (on(&c->verbose))
		set_str(e, e->g, "level", "info", "verbose", c->verbose.line);
	if (on(&c->syslog)) {
		set_str(e, e->g, "target", "syslog", "syslog", c->syslog.line);
	} else if (given(&c->log_file) && !strcmp(lf, "syslog")) {
		set_str(e, e->g, "target", "syslog", "log-file",
			c->log_file.line);
	} else if (given(&c->log_file) &&
		   (!strcmp(lf, "stdout") || !strcmp(lf, "stderr") ||
		    !strcmp(lf, "-"))) {
		set_str(e, e->g, "target", "stderr", "log-file",
			c->log_file.line);
	} else if (given(&c->log_file)) {
		note(e, c->log_file.line, ADMIN_DIAG_SKIP, "log-file",
		     "ternd logs to stderr (systemd's journal) or syslog, "
		     "not to a file of its own");
	}
	grp_end(e, "log");
}

/* ---- listen, ports, tls -------------------------------------------------- */

static void emit_listen(struct emit *e)
{
	const struct vals *l = &e->c->listen;
	struct items seen = { 0 };
	size_t k = 0;

	if (!l->n) {
		note(e, 0, ADMIN_DIAG_NOTE, "listening-ip",
		     "not set: coturn listens on every local address, ternd "
		     "on 127.0.0.1 and ::1 unless told: add listen entries "
		     "for your public addresses");
		return;
	}
	for (size_t i = 0; i < l->n; i++) {
		bool wild = false;

		if (!is_ip(l->v[i].s, &wild)) {
			note(e, l->v[i].line, ADMIN_DIAG_SKIP, "listening-ip",
			     "not a numeric IP address");
			continue;
		}
		if (items_has(&seen, l->v[i].s))
			continue;
		e->wildcard = e->wildcard || wild;
		if (items_add(&seen, l->v[i].s, "listening-ip", l->v[i].line))
			e->err = ENOMEM;
	}
	fputs("\nlisten = (", e->f);
	for (; k < seen.n; k++) {
		fputs("\n  { address = ", e->f);
		quoted(e->f, seen.v[k].s);
		fprintf(e->f, "; }%s  # listening-ip, line %u",
			k + 1 < seen.n ? "," : "", seen.v[k].line);
		e->im->imported++;
	}
	fputs("\n);\n", e->f);
	items_free(&seen);
}

/* A port from coturn, 1-65535; 0 or garbage keeps the default. */
static bool port_of(struct emit *e, const char *opt, const struct val *v,
		    unsigned long *p)
{
	if (!given(v) || !num(e, opt, v, 0, 0, 65535, p))
		return false;
	if (*p)
		return true;
	note(e, v->line, ADMIN_DIAG_NOTE, opt, "0: ternd's default is kept");
	return false;
}

/* The transports coturn turns off, and the ports it moves. */
static void emit_ports(struct emit *e)
{
	const struct cot *c = e->c;
	bool cert = given(&c->cert) && given(&c->pkey);
	unsigned long p;

	grp_begin(e);
	if (!e->g)
		return;
	if (on(&c->no_udp))
		set_num(e, e->g, "udp", 0, "no-udp", c->no_udp.line);
	else if (port_of(e, "listening-port", &c->port, &p))
		set_num(e, e->g, "udp", p, "listening-port", c->port.line);
	if (on(&c->no_tcp))
		set_num(e, e->g, "tcp", 0, "no-tcp", c->no_tcp.line);
	else if (port_of(e, "listening-port", &c->port, &p))
		set_num(e, e->g, "tcp", p, "listening-port", c->port.line);
	e->tls_off = !cert && (!on(&c->no_tls) || !on(&c->no_dtls));
	if (e->tls_off)
		note(e, 0, ADMIN_DIAG_NOTE, "cert",
		     "no cert and pkey: coturn then looks for "
		     "turn_server_cert.pem and runs without TLS and DTLS "
		     "when it is missing; both are off in the output (set "
		     "tls.certificate, tls.private_key and ports.tls, "
		     "ports.dtls to turn them on)");
	if (on(&c->no_tls) || e->tls_off)
		set_num(e, e->g, "tls", 0, "no-tls", c->no_tls.line);
	else if (port_of(e, "tls-listening-port", &c->tls_port, &p))
		set_num(e, e->g, "tls", p, "tls-listening-port",
			c->tls_port.line);
	if (on(&c->no_dtls) || e->tls_off)
		set_num(e, e->g, "dtls", 0, "no-dtls", c->no_dtls.line);
	else if (port_of(e, "tls-listening-port", &c->tls_port, &p))
		set_num(e, e->g, "dtls", p, "tls-listening-port",
			c->tls_port.line);
	if (port_of(e, "alt-listening-port", &c->alt_port, &p))
		set_num(e, e->g, "alternate", p, "alt-listening-port",
			c->alt_port.line);
	grp_end(e, "ports");
}

/* coturn finds a relative path in several folders, the configuration's
 * among them; ternd reads it relative to its own file, which may live
 * elsewhere: an absolute path is right for both. */
static void set_path(struct emit *e, const char *name, const struct val *v,
		     const char *opt)
{
	char *abs = NULL;

	if (v->s[0] != '/' && e->srcdir &&
	    asprintf(&abs, "%s/%s", e->srcdir, v->s) < 0) {
		e->err = ENOMEM;
		return;
	}
	set_str(e, e->g, name, abs ? abs : v->s, opt, v->line);
	free(abs);
}

static void emit_tls(struct emit *e)
{
	const struct cot *c = e->c;

	if (e->tls_off || (on(&c->no_tls) && on(&c->no_dtls)))
		return;
	grp_begin(e);
	if (!e->g)
		return;
	set_path(e, "certificate", &c->cert, "cert");
	set_path(e, "private_key", &c->pkey, "pkey");
	if (given(&c->ciphers))
		set_str(e, e->g, "ciphers", c->ciphers.s, "cipher-list",
			c->ciphers.line);
	if (on(&c->no_tls12))
		set_str(e, e->g, "min_version", "1.3", "no-tlsv1_2",
			c->no_tls12.line);
	grp_end(e, "tls");
}

/* ---- auth, redis --------------------------------------------------------- */

/* What coturn authenticates with, once its options are read together. */
struct auth {
	bool rest, lt, redis;
	const char *realm;
	unsigned realm_line;
	struct admin_conn rc; /* redis-userdb, parsed */
	char *rbuf;
	const char *runknown;
};

/* redis-userdb into a->rc; a line coturn cannot use is skipped. */
static void parse_redis(struct emit *e, struct auth *a)
{
	const struct val *v = &e->c->redis;
	char why[160];

	memset(&a->rc, 0, sizeof(a->rc));
	a->rc.port = 6379;
	if (!given(v))
		return;
	a->rbuf = malloc(strlen(v->s) + 1);
	if (!a->rbuf) {
		e->err = ENOMEM;
		return;
	}
	if (admin_conn_coturn(&a->rc, v->s, a->rbuf, &a->runknown, why,
			      sizeof(why))) {
		/* why may quote a value: say only what the form is */
		note(e, v->line, ADMIN_DIAG_SKIP, "redis-userdb",
		     "not coturn's \"ip=ADDR port=N dbname=N password=P\" "
		     "form");
		return;
	}
	a->redis = true;
}

/* Everything that would have said who may relay, when nothing reads it. */
static void unused_creds(struct emit *e, const char *why)
{
	const struct cot *c = e->c;

	for (size_t i = 0; i < c->users.n; i++)
		note(e, c->users.v[i].line, ADMIN_DIAG_SKIP, "user", why);
	for (size_t i = 0; i < c->secrets.n; i++)
		note(e, c->secrets.v[i].line, ADMIN_DIAG_SKIP,
		     "static-auth-secret", why);
	if (given(&c->redis))
		note(e, c->redis.line, ADMIN_DIAG_SKIP, "redis-userdb", why);
}

/* Is there anything to authenticate with? Otherwise say why not. */
static bool auth_mode(struct emit *e, struct auth *a)
{
	const struct cot *c = e->c;

	a->rest = on(&c->rest) || c->secrets.n;
	a->lt = on(&c->lt) || c->users.n;
	if (on(&c->no_auth))
		note(e, c->no_auth.line, ADMIN_DIAG_SKIP, "no-auth",
		     "ternd never relays without credentials");
	if (on(&c->stun_only)) {
		note(e, c->stun_only.line, ADMIN_DIAG_NOTE, "stun-only",
		     "TURN stays off: the output has no auth group");
		unused_creds(e, "not used: stun-only turns TURN off");
		return false;
	}
	if (!a->rest && !a->lt) {
		note(e, 0, ADMIN_DIAG_NOTE, "lt-cred-mech",
		     "none of lt-cred-mech, use-auth-secret, "
		     "static-auth-secret or user is set: coturn relays for "
		     "anyone, ternd never does, so TURN is off in the output "
		     "until auth names users, secrets or Redis");
		unused_creds(e, "not used without lt-cred-mech");
		return false;
	}
	parse_redis(e, a);
	return true;
}

static void pick_realm(struct emit *e, struct auth *a)
{
	const struct val *r = &e->c->realm;

	a->realm = "realm-not-set";
	if (given(r) && strlen(r->s) <= ADMIN_REALM_MAX) {
		a->realm = r->s;
		a->realm_line = r->line;
		return;
	}
	if (given(r))
		note(e, r->line, ADMIN_DIAG_SKIP, "realm",
		     "longer than the 127 characters RFC 8489 allows");
	note(e, r->line, ADMIN_DIAG_NOTE, "realm",
	     "no usable realm: coturn then uses the host's domain name; "
	     "written as \"realm-not-set\": put your realm in auth.realm");
}

/* static-auth-secret lines as auth.secrets (REST from the file). */
static bool collect_secrets(struct emit *e, struct items *out)
{
	const struct vals *s = &e->c->secrets;

	for (size_t i = 0; i < s->n; i++) {
		if (items_has(out, s->v[i].s))
			continue;
		if (out->n == MAX_SECRETS) {
			note(e, s->v[i].line, ADMIN_DIAG_SKIP,
			     "static-auth-secret",
			     "ternd takes at most 8 secrets at once");
			continue;
		}
		if (items_add(out, s->v[i].s, "static-auth-secret",
			      s->v[i].line))
			e->err = ENOMEM;
	}
	if (out->n)
		return true;
	note(e, e->c->rest.line, ADMIN_DIAG_NOTE, "use-auth-secret",
	     "no static-auth-secret: coturn read the secrets from its "
	     "database, which ternd cannot; TURN is off in the output until "
	     "auth.secrets names them");
	return false;
}

/* One user line: "NAME:PASSWORD" or "NAME:0x<hex key>". */
static void user_line(struct emit *e, const struct val *v, struct items *out)
{
	const char *colon = strchr(v->s, ':');
	char name[ADMIN_NAME_MAX + 1], key[65], msg[200];
	const char *pass;
	size_t n = colon ? (size_t)(colon - v->s) : 0;

	if (!colon || !n || !colon[1] || n > ADMIN_NAME_MAX) {
		note(e, v->line, ADMIN_DIAG_SKIP, "user",
		     "not NAME:PASSWORD or NAME:0xKEY");
		return;
	}
	memcpy(name, v->s, n);
	name[n] = '\0';
	pass = colon + 1;
	if (pass[0] == '0' && (pass[1] == 'x' || pass[1] == 'X') &&
	    !admin_key_normalize(key, pass)) {
		snprintf(msg, sizeof(msg),
			 "%.60s: the key is not 32 (MD5) or 64 (SHA-256) hex "
			 "digits",
			 name);
		note(e, v->line, ADMIN_DIAG_SKIP, "user", msg);
		return;
	}
	if (admin_name_problem(name, ADMIN_NAME_MAX)) {
		note(e, v->line, ADMIN_DIAG_SKIP, "user",
		     "the name contains a control character");
		return;
	}
	/* stored as "name\0password": a later line for the name wins */
	for (size_t i = 0; i < out->n; i++)
		if (strcmp(out->v[i].s, name) == 0)
			out->v[i].s[0] = '\0';
	if (items_add(out, name, "user", v->line) ||
	    admin_list_add(&out->own, pass, strlen(pass)))
		e->err = ENOMEM;
}

static void set_users(struct emit *e, const struct items *users)
{
	const struct admin_list *own = &users->own;
	size_t last = 0;

	for (size_t i = 0; i < users->n; i++)
		if (users->v[i].s[0])
			last = i;
	fputs("  users = (", e->g);
	for (size_t i = 0; i < users->n; i++) {
		const char *pass = own->v[2 * i + 1];
		char key[65];
		bool is_key = pass[0] == '0' &&
			      (pass[1] == 'x' || pass[1] == 'X') &&
			      admin_key_normalize(key, pass);

		if (!users->v[i].s[0])
			continue; /* superseded by a later line */
		fputs("\n    { name = ", e->g);
		quoted(e->g, users->v[i].s);
		fputs(is_key ? "; key = " : "; password = ", e->g);
		quoted(e->g, is_key ? key : pass);
		fprintf(e->g, "; }%s  # user, line %u", i < last ? "," : "",
			users->v[i].line);
		e->im->imported++;
	}
	fputs("\n  );\n", e->g);
}

static bool collect_users(struct emit *e, struct items *out)
{
	const struct vals *u = &e->c->users;

	for (size_t i = 0; i < u->n; i++)
		user_line(e, &u->v[i], out);
	for (size_t i = 0; i < out->n; i++)
		if (out->v[i].s[0])
			return true;
	note(e, e->c->lt.line, ADMIN_DIAG_NOTE, "lt-cred-mech",
	     "no user lines: coturn read the users from its database "
	     "(SQLite unless another is named), which ternd cannot; TURN is "
	     "off in the output until auth.users names them or "
	     "redis-userdb is set");
	return false;
}

static void emit_redis(struct emit *e, const struct auth *a)
{
	const struct val *v = &e->c->redis;
	const struct admin_conn *rc = &a->rc;

	grp_begin(e);
	if (!e->g)
		return;
	if (rc->host)
		set_str(e, e->g, "address", rc->host, "redis-userdb", v->line);
	set_num(e, e->g, "port", rc->port, "redis-userdb", v->line);
	if (rc->password)
		set_str(e, e->g, "password", rc->password, "redis-userdb",
			v->line);
	set_num(e, e->g, "database", rc->db, "redis-userdb", v->line);
	if (rc->timeout_ms)
		set_num(e, e->g, "timeout",
			rc->timeout_ms > 60000	? 60
			: rc->timeout_ms < 1000 ? 1
						: rc->timeout_ms / 1000,
			"redis-userdb", v->line);
	if (given(&e->c->statsdb)) {
		set_bool(e, e->g, "status", true, "redis-statsdb",
			 e->c->statsdb.line);
		note(e, e->c->statsdb.line, ADMIN_DIAG_NOTE, "redis-statsdb",
		     "ternd publishes allocation status to the Redis it reads "
		     "credentials from (redis-userdb's), not to a second one");
	}
	if (a->runknown) {
		char msg[200];

		snprintf(msg, sizeof(msg),
			 "'%.40s=' has no ternd equivalent (ternd "
			 "authenticates to Redis with a password only)",
			 a->runknown);
		note(e, v->line, ADMIN_DIAG_NOTE, "redis-userdb", msg);
	}
	grp_end(e, "redis");
}

/* REST or long-term: the users or secrets, or why none were written. */
static bool auth_creds(struct emit *e, const struct auth *a,
		       struct items *users, struct items *secrets)
{
	const struct cot *c = e->c;
	char msg[200];

	if (a->rest) {
		for (size_t i = 0; i < c->users.n; i++)
			note(e, c->users.v[i].line, ADMIN_DIAG_SKIP, "user",
			     "REST secrets (use-auth-secret) replace static "
			     "users, in coturn too");
		if (!a->redis)
			return collect_secrets(e, secrets);
		snprintf(
		    msg, sizeof(msg),
		    "with redis-userdb ternd reads REST secrets from Redis "
		    "only: add this one with 'tern-admin secret add - "
		    "--realm %.60s'",
		    a->realm);
		for (size_t i = 0; i < c->secrets.n; i++)
			note(e, c->secrets.v[i].line, ADMIN_DIAG_SKIP,
			     "static-auth-secret", msg);
		return true;
	}
	if (!a->redis)
		return collect_users(e, users);
	for (size_t i = 0; i < c->users.n; i++) {
		const char *u = c->users.v[i].s, *colon = strchr(u, ':');
		int n = colon ? (int)(colon - u) : 0;

		n = n > 60 ? 60 : n; /* the name only, never the password */
		snprintf(msg, sizeof(msg),
			 "with redis-userdb ternd reads users from Redis only: "
			 "add it with 'tern-admin user add %.*s --realm %.60s'",
			 n, u, a->realm);
		note(e, c->users.v[i].line, ADMIN_DIAG_SKIP, "user", msg);
	}
	return true;
}

static void emit_auth(struct emit *e)
{
	const struct cot *c = e->c;
	struct auth a = { 0 };
	struct items users = { 0 }, secrets = { 0 };
	unsigned long n;

	if (!auth_mode(e, &a))
		goto out;
	pick_realm(e, &a);
	if (!auth_creds(e, &a, &users, &secrets) || e->err)
		goto out;
	grp_begin(e);
	if (!e->g)
		goto out;
	set_str(e, e->g, "realm", a.realm, "realm", a.realm_line);
	if (a.redis) {
		set_str(e, e->g, "store", "redis", "redis-userdb",
			c->redis.line);
		set_bool(e, e->g, "rest", a.rest,
			 a.rest ? "use-auth-secret" : "lt-cred-mech",
			 a.rest ? c->rest.line : c->lt.line);
	} else if (a.rest) {
		set_list(e, "secrets", &secrets);
	} else {
		set_users(e, &users);
	}
	if (given(&c->stale_nonce) && num(e, "stale-nonce", &c->stale_nonce,
					  600, NONCE_MIN, NONCE_MAX, &n))
		set_num(e, e->g, "nonce_lifetime", n, "stale-nonce",
			c->stale_nonce.line);
	grp_end(e, "auth");
	if (a.redis)
		emit_redis(e, &a);
out:
	if (!a.redis && given(&c->statsdb))
		note(e, c->statsdb.line, ADMIN_DIAG_SKIP, "redis-statsdb",
		     "ternd publishes allocation status only to the Redis it "
		     "reads credentials from (redis-userdb)");
	items_free(&users);
	items_free(&secrets);
	if (a.rbuf) {
		OPENSSL_cleanse(a.rbuf, strlen(c->redis.s));
		free(a.rbuf);
	}
}

/* ---- relay -------------------------------------------------------------- */

static void emit_relay_addrs(struct emit *e)
{
	const struct vals *l = &e->c->relay;
	struct items addrs = { 0 };

	for (size_t i = 0; i < l->n; i++) {
		bool wild = false;

		if (!is_ip(l->v[i].s, &wild) || wild) {
			note(e, l->v[i].line, ADMIN_DIAG_SKIP, "relay-ip",
			     "not a numeric, non-wildcard IP address");
			continue;
		}
		if (!items_has(&addrs, l->v[i].s) &&
		    items_add(&addrs, l->v[i].s, "relay-ip", l->v[i].line))
			e->err = ENOMEM;
	}
	if (addrs.n)
		set_list(e, "addresses", &addrs);
	else if (e->wildcard)
		note(e, 0, ADMIN_DIAG_NOTE, "relay-ip",
		     "not set while listening on a wildcard address: ternd "
		     "needs relay.addresses then (coturn found them itself)");
	items_free(&addrs);
}

static void emit_relay_ports(struct emit *e)
{
	const struct cot *c = e->c;
	unsigned long lo = 49152, hi = 65535, n;
	bool glo = port_of(e, "min-port", &c->min_port, &lo);
	bool ghi = port_of(e, "max-port", &c->max_port, &hi);

	if ((glo || ghi) && lo > hi) {
		note(e, c->min_port.line ? c->min_port.line : c->max_port.line,
		     ADMIN_DIAG_SKIP, "min-port",
		     "min-port is above max-port (with ternd's defaults "
		     "49152-65535 for the one not given)");
	} else {
		if (glo)
			set_num(e, e->g, "port_min", lo, "min-port",
				c->min_port.line);
		if (ghi)
			set_num(e, e->g, "port_max", hi, "max-port",
				c->max_port.line);
	}
	if (given(&c->max_life) && num(e, "max-allocate-lifetime", &c->max_life,
				       3600, LIFE_MIN, LIFE_MAX, &n)) {
		if (n < LIFE_DEF) /* relay.lifetime may not exceed it */
			set_num(e, e->g, "lifetime", n, "max-allocate-lifetime",
				c->max_life.line);
		set_num(e, e->g, "max_lifetime", n, "max-allocate-lifetime",
			c->max_life.line);
	}
}

static void emit_quotas(struct emit *e)
{
	const struct cot *c = e->c;
	unsigned long n;

	if (given(&c->total_quota) &&
	    num(e, "total-quota", &c->total_quota, 0, 0, 10000000, &n))
		set_num(e, e->g, "max_allocations", n, "total-quota",
			c->total_quota.line);
	if (given(&c->user_quota) &&
	    num(e, "user-quota", &c->user_quota, 0, 0, 1000000, &n))
		set_num(e, e->g, "user_quota", n, "user-quota",
			c->user_quota.line);
	if (given(&c->max_bps) &&
	    num(e, "max-bps", &c->max_bps, 0, 0, 1000000000, &n)) {
		set_num(e, e->g, "bandwidth", n, "max-bps", c->max_bps.line);
		if (n)
			note(e, c->max_bps.line, ADMIN_DIAG_NOTE, "max-bps",
			     "coturn limits each session to max-bps bytes/s; "
			     "ternd limits each allocation, both directions "
			     "summed");
	}
}

/* allowed-peer-ip / denied-peer-ip: ranges become exact CIDR covers. */
static void peer_list(struct emit *e, const char *name, const char *opt,
		      const struct vals *l, bool loopback)
{
	struct items out = { 0 };
	char why[160];

	if (loopback && (items_add(&out, "127.0.0.0/8", "allow-loopback-peers",
				   e->c->loopback.line) ||
			 items_add(&out, "::1/128", "allow-loopback-peers",
				   e->c->loopback.line)))
		e->err = ENOMEM;
	for (size_t i = 0; i < l->n; i++) {
		struct admin_list cidrs = { 0 };
		int err =
		    admin_range_cidrs(l->v[i].s, &cidrs, why, sizeof(why));

		if (err == EINVAL)
			note(e, l->v[i].line, ADMIN_DIAG_SKIP, opt, why);
		else if (err)
			e->err = err;
		for (size_t k = 0; !err && k < cidrs.n; k++)
			if (!items_has(&out, cidrs.v[k]) &&
			    items_add(&out, cidrs.v[k], opt, l->v[i].line))
				e->err = ENOMEM;
		admin_list_free(&cidrs);
	}
	if (out.n)
		set_list(e, name, &out);
	items_free(&out);
}

static void emit_relay(struct emit *e)
{
	const struct cot *c = e->c;

	grp_begin(e);
	if (!e->g)
		return;
	emit_relay_addrs(e);
	emit_relay_ports(e);
	emit_quotas(e);
	/* coturn binds channels 0x4000-0x7FFF (RFC 5766), and so do the
	 * clients written against it */
	fputs("  rfc5766_channels = true;  # coturn's channel range "
	      "0x4000-0x7FFF\n",
	      e->g);
	peer_list(e, "allow_peers", "allowed-peer-ip", &c->allow,
		  on(&c->loopback));
	peer_list(e, "deny_peers", "denied-peer-ip", &c->deny, false);
	grp_end(e, "relay");
}

/* ---- admin HTTP (metrics) ----------------------------------------------- */

/* coturn's Prometheus exporter: ternd's admin listener serves /metrics. */
static void emit_admin(struct emit *e)
{
	const struct cot *c = e->c;
	unsigned long port = 9641; /* coturn's default */
	bool wild;

	if (!on(&c->prom))
		return;
	grp_begin(e);
	if (!e->g)
		return;
	if (given(&c->prom_addr) && is_ip(c->prom_addr.s, &wild))
		set_str(e, e->g, "address", c->prom_addr.s,
			"prometheus-address", c->prom_addr.line);
	else
		note(e, c->prom_addr.line, ADMIN_DIAG_NOTE, "prometheus",
		     "coturn's exporter listens on every address unless "
		     "prometheus-address is a numeric address; ternd's admin "
		     "listener stays on 127.0.0.1 (admin.address)");
	if (given(&c->prom_port))
		port_of(e, "prometheus-port", &c->prom_port, &port);
	set_num(e, e->g, "port", port,
		given(&c->prom_port) ? "prometheus-port" : "prometheus",
		given(&c->prom_port) ? c->prom_port.line : c->prom.line);
	note(e, c->prom.line, ADMIN_DIAG_NOTE, "prometheus",
	     "ternd's /metrics has metric names of its own (ternd_*): "
	     "dashboards need new queries");
	grp_end(e, "admin");
}

/* ---- the file ----------------------------------------------------------- */

static void emit_header(struct emit *e)
{
	const struct cot *c = e->c;

	fputs("# ternd.conf written by tern-admin import-coturn from coturn's\n"
	      "# turnserver.conf. Each setting names the coturn option and "
	      "line it\n"
	      "# comes from; everything else keeps ternd's default (see "
	      "ternd.conf(5)).\n"
	      "# coturn options without an equivalent were listed when this "
	      "file was\n"
	      "# written; docs/MIGRATING-FROM-COTURN.md explains each.\n",
	      e->f);
	for (size_t i = 0; i < c->same.n; i++)
		fprintf(e->f, "# %s (line %u): nothing to set, %s\n",
			c->same.v[i].s, c->same.v[i].line,
			admin_import_same_why(c->same.v[i].s));
	if (on(&c->fingerprint))
		fprintf(e->f,
			"# fingerprint (line %u): nothing to set, ternd adds "
			"FINGERPRINT when the request had one\n",
			c->fingerprint.line);
	if (given(&c->server_name))
		note(e, c->server_name.line, ADMIN_DIAG_SKIP, "server-name",
		     "names the OAuth server; ternd has no third-party "
		     "authorization");
}

int admin_import_emit(struct admin_import *im, const struct cot *c,
		      const char *srcdir)
{
	struct emit e = { .im = im, .c = c, .srcdir = srcdir };

	e.f = open_memstream(&im->conf, &im->conflen);
	if (!e.f)
		return ENOMEM;
	emit_header(&e);
	emit_general(&e);
	emit_log(&e);
	emit_listen(&e);
	emit_ports(&e);
	emit_tls(&e);
	emit_auth(&e);
	emit_relay(&e);
	emit_admin(&e);
	if (fclose(e.f) && !e.err)
		e.err = ENOMEM;
	return e.err;
}
