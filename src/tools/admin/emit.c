/*
 * emit.c — the ternd.conf that import-coturn writes, from what
 * import.c read; see import.h.
 *
 * Pure: struct coturn_conf in, libconfig text out (open_memstream), with a
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
	const struct coturn_conf *coturn;
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
struct conf_item {
	char *s;
	const char *opt;
	unsigned line;
};

struct conf_items {
	struct conf_item *v;
	size_t n, cap;
	struct admin_list own; /* storage of the strings */
};

static bool on(const struct coturn_value *v)
{
	return v->line && v->text[0] == '1';
}

static bool given(const struct coturn_value *v)
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

static int conf_items_add(struct conf_items *l, const char *s, const char *opt,
			  unsigned line)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct conf_item *v = realloc(l->v, cap * sizeof(*v));

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

static bool conf_items_has(const struct conf_items *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].s, s) == 0)
			return true;
	return false;
}

static void conf_items_free(struct conf_items *l)
{
	free(l->v);
	admin_list_free(&l->own);
	memset(l, 0, sizeof(*l));
}

/* name = [ "a", "b" ]; one element per line, each with its source. */
static void set_list(struct emit *e, const char *name,
		     const struct conf_items *l)
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
static bool num(struct emit *e, const char *opt, const struct coturn_value *v,
		unsigned long dflt, unsigned long lo, unsigned long hi,
		unsigned long *out)
{
	const char *s = v->text;
	unsigned long n = 0;
	char msg[160];

	if (!*s) {
		*out = dflt;
		return true;
	}
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || n > 100000000000ul) {
			snprintf(msg, sizeof(msg),
				 "'%.40s' is not a whole number", v->text);
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
	const struct coturn_conf *coturn = e->coturn;
	unsigned long n;

	/* coturn's relay-threads=0 relays in the listener thread: one */
	if (given(&coturn->threads) &&
	    num(e, "relay-threads", &coturn->threads, 0, 0, WORKERS_MAX, &n))
		set_num(e, e->f, "workers", n ? n : 1, "relay-threads",
			coturn->threads.line);
	if (given(&coturn->software_attr) && !on(&coturn->software_attr))
		set_str(e, e->f, "software", "", "software-attribute",
			coturn->software_attr.line);
	else if (on(&coturn->no_software_attr))
		set_str(e, e->f, "software", "", "no-software-attribute",
			coturn->no_software_attr.line);
	else if (on(&coturn->prod)) /* "hide the software version" */
		set_str(e, e->f, "software", "tern", "prod", coturn->prod.line);
	if (on(&coturn->no_stun_compat))
		set_bool(e, e->f, "rfc3489", false,
			 "no-stun-backward-compatibility",
			 coturn->no_stun_compat.line);
	if (given(&coturn->proc_user))
		set_str(e, e->f, "user", coturn->proc_user.text, "proc-user",
			coturn->proc_user.line);
	if (given(&coturn->proc_group))
		set_str(e, e->f, "group", coturn->proc_group.text, "proc-group",
			coturn->proc_group.line);
}

static void emit_log(struct emit *e)
{
	const struct coturn_conf *coturn = e->coturn;
	const char *lf = coturn->log_file.text;

	grp_begin(e);
	if (!e->g)
		return;
	if (on(&coturn->extra_verbose))
		set_str(e, e->g, "level", "debug", "Verbose",
			coturn->extra_verbose.line);
	else if (on(&coturn->verbose))
		set_str(e, e->g, "level", "info", "verbose",
			coturn->verbose.line);
	if (on(&coturn->syslog)) {
		set_str(e, e->g, "target", "syslog", "syslog",
			coturn->syslog.line);
	} else if (given(&coturn->log_file) && !strcmp(lf, "syslog")) {
		set_str(e, e->g, "target", "syslog", "log-file",
			coturn->log_file.line);
	} else if (given(&coturn->log_file) &&
		   (!strcmp(lf, "stdout") || !strcmp(lf, "stderr") ||
		    !strcmp(lf, "-"))) {
		set_str(e, e->g, "target", "stderr", "log-file",
			coturn->log_file.line);
	} else if (given(&coturn->log_file)) {
		note(e, coturn->log_file.line, ADMIN_DIAG_SKIP, "log-file",
		     "ternd logs to stderr (systemd's journal) or syslog, "
		     "not to a file of its own");
	}
	grp_end(e, "log");
}

/* ---- listen, ports, tls -------------------------------------------------- */

static void emit_listen(struct emit *e)
{
	const struct coturn_values *l = &e->coturn->listen_ips;
	struct conf_items seen = { 0 };
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

		if (!is_ip(l->v[i].text, &wild)) {
			note(e, l->v[i].line, ADMIN_DIAG_SKIP, "listening-ip",
			     "not a numeric IP address");
			continue;
		}
		if (conf_items_has(&seen, l->v[i].text))
			continue;
		e->wildcard = e->wildcard || wild;
		if (conf_items_add(&seen, l->v[i].text, "listening-ip",
				   l->v[i].line))
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
	conf_items_free(&seen);
}

/* A port from coturn, 1-65535; 0 or garbage keeps the default. */
static bool port_of(struct emit *e, const char *opt,
		    const struct coturn_value *v, unsigned long *p)
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
	const struct coturn_conf *coturn = e->coturn;
	bool cert = given(&coturn->cert) && given(&coturn->pkey);
	unsigned long p;

	grp_begin(e);
	if (!e->g)
		return;
	if (on(&coturn->no_udp))
		set_num(e, e->g, "udp", 0, "no-udp", coturn->no_udp.line);
	else if (port_of(e, "listening-port", &coturn->port, &p))
		set_num(e, e->g, "udp", p, "listening-port", coturn->port.line);
	if (on(&coturn->no_tcp))
		set_num(e, e->g, "tcp", 0, "no-tcp", coturn->no_tcp.line);
	else if (port_of(e, "listening-port", &coturn->port, &p))
		set_num(e, e->g, "tcp", p, "listening-port", coturn->port.line);
	e->tls_off = !cert && (!on(&coturn->no_tls) || !on(&coturn->no_dtls));
	if (e->tls_off)
		note(e, 0, ADMIN_DIAG_NOTE, "cert",
		     "no cert and pkey: coturn then looks for "
		     "turn_server_cert.pem and runs without TLS and DTLS "
		     "when it is missing; both are off in the output (set "
		     "tls.certificate, tls.private_key and ports.tls, "
		     "ports.dtls to turn them on)");
	if (on(&coturn->no_tls) || e->tls_off)
		set_num(e, e->g, "tls", 0, "no-tls", coturn->no_tls.line);
	else if (port_of(e, "tls-listening-port", &coturn->tls_port, &p))
		set_num(e, e->g, "tls", p, "tls-listening-port",
			coturn->tls_port.line);
	if (on(&coturn->no_dtls) || e->tls_off)
		set_num(e, e->g, "dtls", 0, "no-dtls", coturn->no_dtls.line);
	else if (port_of(e, "tls-listening-port", &coturn->tls_port, &p))
		set_num(e, e->g, "dtls", p, "tls-listening-port",
			coturn->tls_port.line);
	if (port_of(e, "alt-listening-port", &coturn->alt_port, &p))
		set_num(e, e->g, "alternate", p, "alt-listening-port",
			coturn->alt_port.line);
	grp_end(e, "ports");
}

/* coturn finds a relative path in several folders, the configuration's
 * among them; ternd reads it relative to its own file, which may live
 * elsewhere: an absolute path is right for both. */
static void set_path(struct emit *e, const char *name,
		     const struct coturn_value *v, const char *opt)
{
	char *abs = NULL;

	if (v->text[0] != '/' && e->srcdir &&
	    asprintf(&abs, "%s/%s", e->srcdir, v->text) < 0) {
		e->err = ENOMEM;
		return;
	}
	set_str(e, e->g, name, abs ? abs : v->text, opt, v->line);
	free(abs);
}

static void emit_tls(struct emit *e)
{
	const struct coturn_conf *coturn = e->coturn;

	if (e->tls_off || (on(&coturn->no_tls) && on(&coturn->no_dtls)))
		return;
	grp_begin(e);
	if (!e->g)
		return;
	set_path(e, "certificate", &coturn->cert, "cert");
	set_path(e, "private_key", &coturn->pkey, "pkey");
	if (given(&coturn->ciphers))
		set_str(e, e->g, "ciphers", coturn->ciphers.text, "cipher-list",
			coturn->ciphers.line);
	if (on(&coturn->no_tls12))
		set_str(e, e->g, "min_version", "1.3", "no-tlsv1_2",
			coturn->no_tls12.line);
	grp_end(e, "tls");
}

/* ---- auth, redis --------------------------------------------------------- */

/* What coturn authenticates with, once its options are read together. */
struct emit_auth {
	bool rest, lt, redis;
	const char *realm;
	unsigned realm_line;
	struct admin_conn rc; /* redis-userdb, parsed */
	char *rbuf;
	const char *runknown;
};

/* redis-userdb into a->rc; a line coturn cannot use is skipped. */
static void parse_redis(struct emit *e, struct emit_auth *a)
{
	const struct coturn_value *v = &e->coturn->redis_userdb;
	char why[160];

	memset(&a->rc, 0, sizeof(a->rc));
	a->rc.port = 6379;
	if (!given(v))
		return;
	a->rbuf = malloc(strlen(v->text) + 1);
	if (!a->rbuf) {
		e->err = ENOMEM;
		return;
	}
	if (admin_conn_coturn(&a->rc, v->text, a->rbuf, &a->runknown, why,
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
	const struct coturn_conf *coturn = e->coturn;

	for (size_t i = 0; i < coturn->users.n; i++)
		note(e, coturn->users.v[i].line, ADMIN_DIAG_SKIP, "user", why);
	for (size_t i = 0; i < coturn->secrets.n; i++)
		note(e, coturn->secrets.v[i].line, ADMIN_DIAG_SKIP,
		     "static-auth-secret", why);
	if (given(&coturn->redis_userdb))
		note(e, coturn->redis_userdb.line, ADMIN_DIAG_SKIP,
		     "redis-userdb", why);
}

/* Is there anything to authenticate with? Otherwise say why not. */
static bool auth_mode(struct emit *e, struct emit_auth *a)
{
	const struct coturn_conf *coturn = e->coturn;

	a->rest = on(&coturn->use_auth_secret) || coturn->secrets.n;
	a->lt = on(&coturn->lt_cred_mech) || coturn->users.n;
	if (on(&coturn->no_auth))
		note(e, coturn->no_auth.line, ADMIN_DIAG_SKIP, "no-auth",
		     "ternd never relays without credentials");
	if (on(&coturn->stun_only)) {
		note(e, coturn->stun_only.line, ADMIN_DIAG_NOTE, "stun-only",
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

static void pick_realm(struct emit *e, struct emit_auth *a)
{
	const struct coturn_value *r = &e->coturn->realm;

	a->realm = "realm-not-set";
	if (given(r) && strlen(r->text) <= ADMIN_REALM_MAX) {
		a->realm = r->text;
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
static bool collect_secrets(struct emit *e, struct conf_items *out)
{
	const struct coturn_values *s = &e->coturn->secrets;

	for (size_t i = 0; i < s->n; i++) {
		if (conf_items_has(out, s->v[i].text))
			continue;
		if (out->n == MAX_SECRETS) {
			note(e, s->v[i].line, ADMIN_DIAG_SKIP,
			     "static-auth-secret",
			     "ternd takes at most 8 secrets at once");
			continue;
		}
		if (conf_items_add(out, s->v[i].text, "static-auth-secret",
				   s->v[i].line))
			e->err = ENOMEM;
	}
	if (out->n)
		return true;
	note(e, e->coturn->use_auth_secret.line, ADMIN_DIAG_NOTE,
	     "use-auth-secret",
	     "no static-auth-secret: coturn read the secrets from its "
	     "database, which ternd cannot; TURN is off in the output until "
	     "auth.secrets names them");
	return false;
}

/* One user line: "NAME:PASSWORD" or "NAME:0x<hex key>". */
static void user_line(struct emit *e, const struct coturn_value *v,
		      struct conf_items *out)
{
	const char *colon = strchr(v->text, ':');
	char name[ADMIN_NAME_MAX + 1], key[65], msg[200];
	const char *pass;
	size_t n = colon ? (size_t)(colon - v->text) : 0;

	if (!colon || !n || !colon[1] || n > ADMIN_NAME_MAX) {
		note(e, v->line, ADMIN_DIAG_SKIP, "user",
		     "not NAME:PASSWORD or NAME:0xKEY");
		return;
	}
	memcpy(name, v->text, n);
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
	if (conf_items_add(out, name, "user", v->line) ||
	    admin_list_add(&out->own, pass, strlen(pass)))
		e->err = ENOMEM;
}

static void set_users(struct emit *e, const struct conf_items *users)
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

static bool collect_users(struct emit *e, struct conf_items *out)
{
	const struct coturn_values *u = &e->coturn->users;

	for (size_t i = 0; i < u->n; i++)
		user_line(e, &u->v[i], out);
	for (size_t i = 0; i < out->n; i++)
		if (out->v[i].s[0])
			return true;
	note(e, e->coturn->lt_cred_mech.line, ADMIN_DIAG_NOTE, "lt-cred-mech",
	     "no user lines: coturn read the users from its database "
	     "(SQLite unless another is named), which ternd cannot; TURN is "
	     "off in the output until auth.users names them or "
	     "redis-userdb is set");
	return false;
}

static void emit_redis(struct emit *e, const struct emit_auth *a)
{
	const struct coturn_value *v = &e->coturn->redis_userdb;
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
	if (given(&e->coturn->redis_statsdb)) {
		set_bool(e, e->g, "status", true, "redis-statsdb",
			 e->coturn->redis_statsdb.line);
		note(e, e->coturn->redis_statsdb.line, ADMIN_DIAG_NOTE,
		     "redis-statsdb",
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
static bool auth_creds(struct emit *e, const struct emit_auth *a,
		       struct conf_items *users, struct conf_items *secrets)
{
	const struct coturn_conf *coturn = e->coturn;
	char msg[200];

	if (a->rest) {
		for (size_t i = 0; i < coturn->users.n; i++)
			note(e, coturn->users.v[i].line, ADMIN_DIAG_SKIP,
			     "user",
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
		for (size_t i = 0; i < coturn->secrets.n; i++)
			note(e, coturn->secrets.v[i].line, ADMIN_DIAG_SKIP,
			     "static-auth-secret", msg);
		return true;
	}
	if (!a->redis)
		return collect_users(e, users);
	for (size_t i = 0; i < coturn->users.n; i++) {
		const char *u = coturn->users.v[i].text,
			   *colon = strchr(u, ':');
		int n = colon ? (int)(colon - u) : 0;

		n = n > 60 ? 60 : n; /* the name only, never the password */
		snprintf(msg, sizeof(msg),
			 "with redis-userdb ternd reads users from Redis only: "
			 "add it with 'tern-admin user add %.*s --realm %.60s'",
			 n, u, a->realm);
		note(e, coturn->users.v[i].line, ADMIN_DIAG_SKIP, "user", msg);
	}
	return true;
}

static void emit_auth(struct emit *e)
{
	const struct coturn_conf *coturn = e->coturn;
	struct emit_auth a = { 0 };
	struct conf_items users = { 0 }, secrets = { 0 };
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
			coturn->redis_userdb.line);
		set_bool(e, e->g, "rest", a.rest,
			 a.rest ? "use-auth-secret" : "lt-cred-mech",
			 a.rest ? coturn->use_auth_secret.line
				: coturn->lt_cred_mech.line);
	} else if (a.rest) {
		set_list(e, "secrets", &secrets);
	} else {
		set_users(e, &users);
	}
	if (given(&coturn->stale_nonce) &&
	    num(e, "stale-nonce", &coturn->stale_nonce, 600, NONCE_MIN,
		NONCE_MAX, &n))
		set_num(e, e->g, "nonce_lifetime", n, "stale-nonce",
			coturn->stale_nonce.line);
	grp_end(e, "auth");
	if (a.redis)
		emit_redis(e, &a);
out:
	if (!a.redis && given(&coturn->redis_statsdb))
		note(e, coturn->redis_statsdb.line, ADMIN_DIAG_SKIP,
		     "redis-statsdb",
		     "ternd publishes allocation status only to the Redis it "
		     "reads credentials from (redis-userdb)");
	conf_items_free(&users);
	conf_items_free(&secrets);
	if (a.rbuf) {
		OPENSSL_cleanse(a.rbuf, strlen(coturn->redis_userdb.text));
		free(a.rbuf);
	}
}

/* ---- relay -------------------------------------------------------------- */

static void emit_relay_addrs(struct emit *e)
{
	const struct coturn_values *l = &e->coturn->relay_ips;
	struct conf_items addrs = { 0 };

	for (size_t i = 0; i < l->n; i++) {
		bool wild = false;

		if (!is_ip(l->v[i].text, &wild) || wild) {
			note(e, l->v[i].line, ADMIN_DIAG_SKIP, "relay-ip",
			     "not a numeric, non-wildcard IP address");
			continue;
		}
		if (!conf_items_has(&addrs, l->v[i].text) &&
		    conf_items_add(&addrs, l->v[i].text, "relay-ip",
				   l->v[i].line))
			e->err = ENOMEM;
	}
	if (addrs.n)
		set_list(e, "addresses", &addrs);
	else if (e->wildcard)
		note(e, 0, ADMIN_DIAG_NOTE, "relay-ip",
		     "not set while listening on a wildcard address: ternd "
		     "needs relay.addresses then (coturn found them itself)");
	conf_items_free(&addrs);
}

/* "PUBLIC" or "PUBLIC/PRIVATE", both numeric, specific, one family. */
static bool is_external(const char *s)
{
	char pub[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	bool w1 = false, w2 = false;

	if (n >= sizeof(pub))
		return false;
	memcpy(pub, s, n);
	pub[n] = 0;
	if (!is_ip(pub, &w1) || w1)
		return false;
	if (!slash)
		return true;
	return is_ip(slash + 1, &w2) && !w2 &&
	       !strchr(pub, ':') == !strchr(slash + 1, ':');
}

/* external-ip (1:1 NAT) is relay.advertise, in the same form. */
static void emit_advertise(struct emit *e)
{
	const struct coturn_values *l = &e->coturn->external_ips;
	struct conf_items adv = { 0 };

	for (size_t i = 0; i < l->n; i++) {
		if (!is_external(l->v[i].text)) {
			note(e, l->v[i].line, ADMIN_DIAG_SKIP, "external-ip",
			     "not PUBLIC or PUBLIC/PRIVATE with numeric, "
			     "non-wildcard addresses of one family");
			continue;
		}
		if (!conf_items_has(&adv, l->v[i].text) &&
		    conf_items_add(&adv, l->v[i].text, "external-ip",
				   l->v[i].line))
			e->err = ENOMEM;
	}
	if (adv.n)
		set_list(e, "advertise", &adv);
	conf_items_free(&adv);
}

static void emit_relay_ports(struct emit *e)
{
	const struct coturn_conf *coturn = e->coturn;
	unsigned long lo = 49152, hi = 65535, n;
	bool glo = port_of(e, "min-port", &coturn->min_port, &lo);
	bool ghi = port_of(e, "max-port", &coturn->max_port, &hi);

	if ((glo || ghi) && lo > hi) {
		note(e,
		     coturn->min_port.line ? coturn->min_port.line
					   : coturn->max_port.line,
		     ADMIN_DIAG_SKIP, "min-port",
		     "min-port is above max-port (with ternd's defaults "
		     "49152-65535 for the one not given)");
	} else {
		if (glo)
			set_num(e, e->g, "port_min", lo, "min-port",
				coturn->min_port.line);
		if (ghi)
			set_num(e, e->g, "port_max", hi, "max-port",
				coturn->max_port.line);
	}
	if (given(&coturn->max_lifetime) &&
	    num(e, "max-allocate-lifetime", &coturn->max_lifetime, 3600,
		LIFE_MIN, LIFE_MAX, &n)) {
		if (n < LIFE_DEF) /* relay.lifetime may not exceed it */
			set_num(e, e->g, "lifetime", n, "max-allocate-lifetime",
				coturn->max_lifetime.line);
		set_num(e, e->g, "max_lifetime", n, "max-allocate-lifetime",
			coturn->max_lifetime.line);
	}
}

static void emit_quotas(struct emit *e)
{
	const struct coturn_conf *coturn = e->coturn;
	unsigned long n;

	if (given(&coturn->total_quota) &&
	    num(e, "total-quota", &coturn->total_quota, 0, 0, 10000000, &n))
		set_num(e, e->g, "max_allocations", n, "total-quota",
			coturn->total_quota.line);
	if (given(&coturn->user_quota) &&
	    num(e, "user-quota", &coturn->user_quota, 0, 0, 1000000, &n))
		set_num(e, e->g, "user_quota", n, "user-quota",
			coturn->user_quota.line);
	if (given(&coturn->max_bps) &&
	    num(e, "max-bps", &coturn->max_bps, 0, 0, 1000000000, &n)) {
		set_num(e, e->g, "bandwidth", n, "max-bps",
			coturn->max_bps.line);
		if (n)
			note(e, coturn->max_bps.line, ADMIN_DIAG_NOTE,
			     "max-bps",
			     "coturn limits each session to max-bps bytes/s; "
			     "ternd limits each allocation, both directions "
			     "summed");
	}
}

/* allowed-peer-ip / denied-peer-ip: ranges become exact CIDR covers. */
static void peer_list(struct emit *e, const char *name, const char *opt,
		      const struct coturn_values *l, bool loopback)
{
	struct conf_items out = { 0 };
	char why[160];

	if (loopback &&
	    (conf_items_add(&out, "127.0.0.0/8", "allow-loopback-peers",
			    e->coturn->allow_loopback.line) ||
	     conf_items_add(&out, "::1/128", "allow-loopback-peers",
			    e->coturn->allow_loopback.line)))
		e->err = ENOMEM;
	for (size_t i = 0; i < l->n; i++) {
		struct admin_list cidrs = { 0 };
		int err =
		    admin_range_cidrs(l->v[i].text, &cidrs, why, sizeof(why));

		if (err == EINVAL)
			note(e, l->v[i].line, ADMIN_DIAG_SKIP, opt, why);
		else if (err)
			e->err = err;
		for (size_t k = 0; !err && k < cidrs.n; k++)
			if (!conf_items_has(&out, cidrs.v[k]) &&
			    conf_items_add(&out, cidrs.v[k], opt, l->v[i].line))
				e->err = ENOMEM;
		admin_list_free(&cidrs);
	}
	if (out.n)
		set_list(e, name, &out);
	conf_items_free(&out);
}

static void emit_relay(struct emit *e)
{
	const struct coturn_conf *coturn = e->coturn;

	grp_begin(e);
	if (!e->g)
		return;
	emit_relay_addrs(e);
	emit_advertise(e);
	emit_relay_ports(e);
	emit_quotas(e);
	/* coturn binds channels 0x4000-0x7FFF (RFC 5766), and so do the
	 * clients written against it */
	fputs("  rfc5766_channels = true;  # coturn's channel range "
	      "0x4000-0x7FFF\n",
	      e->g);
	peer_list(e, "allow_peers", "allowed-peer-ip", &coturn->allowed_peers,
		  on(&coturn->allow_loopback));
	peer_list(e, "deny_peers", "denied-peer-ip", &coturn->denied_peers,
		  false);
	grp_end(e, "relay");
}

/* ---- admin HTTP (metrics) ----------------------------------------------- */

/* coturn's Prometheus exporter: ternd's admin listener serves /metrics. */
static void emit_admin(struct emit *e)
{
	const struct coturn_conf *coturn = e->coturn;
	unsigned long port = 9641; /* coturn's default */
	bool wild;

	if (!on(&coturn->prometheus))
		return;
	grp_begin(e);
	if (!e->g)
		return;
	if (given(&coturn->prometheus_addr) &&
	    is_ip(coturn->prometheus_addr.text, &wild))
		set_str(e, e->g, "address", coturn->prometheus_addr.text,
			"prometheus-address", coturn->prometheus_addr.line);
	else
		note(e, coturn->prometheus_addr.line, ADMIN_DIAG_NOTE,
		     "prometheus",
		     "coturn's exporter listens on every address unless "
		     "prometheus-address is a numeric address; ternd's admin "
		     "listener stays on 127.0.0.1 (admin.address)");
	if (given(&coturn->prometheus_port))
		port_of(e, "prometheus-port", &coturn->prometheus_port, &port);
	set_num(e, e->g, "port", port,
		given(&coturn->prometheus_port) ? "prometheus-port"
						: "prometheus",
		given(&coturn->prometheus_port) ? coturn->prometheus_port.line
						: coturn->prometheus.line);
	note(e, coturn->prometheus.line, ADMIN_DIAG_NOTE, "prometheus",
	     "ternd's /metrics has metric names of its own (ternd_*): "
	     "dashboards need new queries");
	grp_end(e, "admin");
}

/* ---- the file ----------------------------------------------------------- */

static void emit_header(struct emit *e)
{
	const struct coturn_conf *coturn = e->coturn;

	fputs("# ternd.conf written by tern-admin import-coturn from coturn's\n"
	      "# turnserver.conf. Each setting names the coturn option and "
	      "line it\n"
	      "# comes from; everything else keeps ternd's default (see "
	      "ternd.conf(5)).\n"
	      "# coturn options without an equivalent were listed when this "
	      "file was\n"
	      "# written; docs/MIGRATING-FROM-COTURN.md explains each.\n",
	      e->f);
	for (size_t i = 0; i < coturn->same_flags.n; i++)
		fprintf(e->f, "# %s (line %u): nothing to set, %s\n",
			coturn->same_flags.v[i].text,
			coturn->same_flags.v[i].line,
			admin_import_same_why(coturn->same_flags.v[i].text));
	if (on(&coturn->fingerprint))
		fprintf(e->f,
			"# fingerprint (line %u): nothing to set, ternd adds "
			"FINGERPRINT when the request had one\n",
			coturn->fingerprint.line);
	if (given(&coturn->server_name))
		note(e, coturn->server_name.line, ADMIN_DIAG_SKIP,
		     "server-name",
		     "names the OAuth server; ternd has no third-party "
		     "authorization");
}

int admin_import_emit(struct admin_import *im, const struct coturn_conf *coturn,
		      const char *srcdir)
{
	struct emit e = { .im = im, .coturn = coturn, .srcdir = srcdir };

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
