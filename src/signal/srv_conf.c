/*
 * srv_conf.c — tern-signal's configuration file (libconfig); see srv.h and
 * the annotated etc/tern-signal.conf, which documents every setting below.
 *
 * Every setting in the file is looked up in one table, so a misspelt name
 * stops the start with "FILE:LINE: unknown setting" instead of being
 * ignored, and a value of the wrong type or out of range names its line.
 * (ternd's loader in src/relay does the same for its much larger table;
 * signal may not use relay, so this is the small version of it.)
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libconfig.h>
#include <openssl/crypto.h>

#include "signal/srv.h"

enum kind { K_STR, K_UINT, K_LIST, K_GROUP, K_LEVEL, K_LISTEN, K_FILE };

struct opt {
	const char *name;
	enum kind kind;
	size_t off;  /* into struct sig_conf; list: the char ** */
	size_t noff; /* list: its count */
	unsigned lo, hi;
};

#define O(f) offsetof(struct sig_conf, f)
static const struct opt opts[] = {
	{ "listen", K_LISTEN, 0, 0, 0, 0 },
	{ "web", K_STR, O(web), 0, 0, 0 },
	{ "log_level", K_LEVEL, 0, 0, 0, 0 },
	{ "origins", K_LIST, O(origins), O(n_origins), 0, 64 },
	{ "tls", K_GROUP, 0, 0, 0, 0 },
	{ "tls.certificate", K_STR, O(tls_cert), 0, 0, 0 },
	{ "tls.key", K_STR, O(tls_key), 0, 0, 0 },
	{ "limits", K_GROUP, 0, 0, 0, 0 },
	{ "limits.connections", K_UINT, O(max_connections), 0, 1, 1000000 },
	{ "limits.users", K_UINT, O(max_users), 0, 1, 1000000 },
	{ "limits.message", K_UINT, O(max_message), 0, 256, 16777216 },
	{ "limits.name", K_UINT, O(max_name), 0, 1, 1024 },
	{ "limits.rate", K_UINT, O(rate), 0, 1, 100000 },
	{ "limits.burst", K_UINT, O(burst), 0, 1, 100000 },
	{ "limits.idle", K_UINT, O(idle_s), 0, 5, 86400 },
	{ "limits.output", K_UINT, O(max_output), 0, 4096, 1073741824 },
	{ "turn", K_GROUP, 0, 0, 0, 0 },
	{ "turn.secret", K_STR, O(secret), 0, 0, 0 },
	{ "turn.secret_file", K_FILE, O(secret), 0, 0, 0 },
	{ "turn.redis", K_STR, 0, 0, 0, 0 }, /* parsed after the walk */
	{ "turn.realm", K_STR, O(realm), 0, 0, 0 },
	{ "turn.urls", K_LIST, O(urls), O(n_urls), 0, 32 },
	{ "turn.ttl", K_UINT, O(ttl), 0, 60, 604800 },
	{ "turn.name", K_STR, O(cred_name), 0, 0, 0 },
	{ "turn.api_keys", K_LIST, O(api_keys), O(n_api_keys), 0, 64 },
	{ "turn.rate", K_UINT, O(cred_rate), 0, 1, 100000 },
	{ "turn.burst", K_UINT, O(cred_burst), 0, 1, 100000 },
	{ "metrics", K_GROUP, 0, 0, 0, 0 },
	{ "metrics.token", K_STR, O(metrics_token), 0, 0, 0 },
};
#undef O

struct loader {
	struct sig_conf *c;
	const char *path;
	char *err;
	size_t errlen;
	const char *redis; /* turn.redis, parsed last */
	const config_setting_t *redis_s, *secret_s;
};

static int fail(struct loader *ld, const config_setting_t *s, const char *fmt,
		...) __attribute__((format(printf, 3, 4)));

static int fail(struct loader *ld, const config_setting_t *s, const char *fmt,
		...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = '?';
	if (s && config_setting_source_line(s))
		snprintf(ld->err, ld->errlen, "%s:%u: %s",
			 config_setting_source_file(s)
			     ? config_setting_source_file(s)
			     : ld->path,
			 config_setting_source_line(s), msg);
	else
		snprintf(ld->err, ld->errlen, "%s: %s", ld->path, msg);
	return EINVAL;
}

int sig_conf_set_str(char **slot, const char *v)
{
	char *d = v ? strdup(v) : NULL;

	if (v && !d)
		return ENOMEM;
	free(*slot);
	*slot = d;
	return 0;
}

int sig_conf_set_listen(struct sig_conf *c, const char *text)
{
	struct sa a;

	if (!text || sa_parse(&a, text, 0) || sa_port(&a) == 0)
		return EINVAL;
	if (sig_conf_set_str(&c->listen_text, text))
		return ENOMEM;
	c->listen = a;
	return 0;
}

int sig_conf_defaults(struct sig_conf **cp)
{
	struct sig_conf *c = calloc(1, sizeof(*c));

	if (!c)
		return ENOMEM;
	c->log_level = LOG_LVL_INFO;
	c->max_connections = 2000;
	c->max_users = 1000;
	c->max_message = 65536;
	c->max_name = 64;
	c->rate = 20;
	c->burst = 100;
	c->idle_s = 60;
	c->max_output = 1048576;
	c->redis_port = 6379;
	c->ttl = 86400;
	c->cred_rate = 30;
	c->cred_burst = 10;
	if (sig_conf_set_listen(c, "127.0.0.1:6503") ||
	    sig_conf_set_str(&c->cred_name, "tern")) {
		sig_conf_free(c);
		return ENOMEM;
	}
	*cp = c;
	return 0;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void free_secret(char *s)
{
	if (s)
		OPENSSL_cleanse(s, strlen(s));
	free(s);
}

void sig_conf_free(struct sig_conf *c)
{
	if (!c)
		return;
	free(c->path);
	free(c->listen_text);
	free(c->web);
	free(c->tls_cert);
	free(c->tls_key);
	free_list(c->origins, c->n_origins);
	free_secret(c->secret);
	free(c->redis_host);
	free_secret(c->redis_password);
	free(c->realm);
	free_list(c->urls, c->n_urls);
	free(c->cred_name);
	for (size_t i = 0; i < c->n_api_keys; i++)
		OPENSSL_cleanse(c->api_keys[i], strlen(c->api_keys[i]));
	free_list(c->api_keys, c->n_api_keys);
	free_secret(c->metrics_token);
	free(c);
}

/* The first line of a secret file, without its newline. */
static int read_secret(struct loader *ld, const config_setting_t *s,
		       const char *file, char **out)
{
	char buf[1024];
	struct stat st;
	FILE *f = NULL;
	size_t n;

	/* a FIFO or a device (/dev/zero) is refused before it is opened:
	 * opening or reading one could block the start */
	if (stat(file, &st) == 0 && !S_ISREG(st.st_mode))
		return fail(ld, s, "turn.secret_file: %s is not a regular file",
			    file);
	f = fopen(file, "r");
	if (!f)
		return fail(ld, s, "turn.secret_file: cannot read %s: %s", file,
			    strerror(errno));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (!buf[0])
		return fail(ld, s, "turn.secret_file: %s holds no secret",
			    file);
	free_secret(*out);
	*out = strdup(buf);
	OPENSSL_cleanse(buf, sizeof(buf));
	return *out ? 0 : ENOMEM;
}

static int set_list(struct loader *ld, const config_setting_t *s,
		    const struct opt *o, const char *name)
{
	char ***vp = (char ***)((char *)ld->c + o->off);
	size_t *np = (size_t *)((char *)ld->c + o->noff);
	int n = config_setting_length(s);
	const char *v;

	if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST)
		return fail(ld, s, "%s must be a list of strings: [ \"...\" ]",
			    name);
	if ((unsigned)n > o->hi)
		return fail(ld, s, "%s holds %d entries, at most %u", name, n,
			    o->hi);
	free_list(*vp, *np);
	*np = 0;
	*vp = calloc((size_t)n + 1, sizeof(char *));
	if (!*vp)
		return ENOMEM;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		v = config_setting_get_string(e);
		if (!v || !*v)
			return fail(ld, e,
				    "%s: entry %d is not a non-empty "
				    "string",
				    name, i + 1);
		(*vp)[i] = strdup(v);
		if (!(*vp)[i])
			return ENOMEM;
		*np = (size_t)i + 1;
	}
	return 0;
}

static int set_uint(struct loader *ld, const config_setting_t *s,
		    const struct opt *o, const char *name)
{
	long long v;

	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64)
		return fail(ld, s, "%s must be a whole number", name);
	v = config_setting_get_int64(s);
	if (v < o->lo || v > o->hi)
		return fail(ld, s, "%s = %lld is out of range (%u to %u)", name,
			    v, o->lo, o->hi);
	*(unsigned *)((char *)ld->c + o->off) = (unsigned)v;
	return 0;
}

static int set_one(struct loader *ld, const config_setting_t *s,
		   const struct opt *o, const char *name)
{
	const char *v = NULL;

	if (o->kind == K_UINT)
		return set_uint(ld, s, o, name);
	if (o->kind == K_LIST)
		return set_list(ld, s, o, name);
	v = config_setting_get_string(s);
	if (!v)
		return fail(ld, s, "%s must be a string in double quotes",
			    name);
	switch (o->kind) {
	case K_LISTEN:
		if (sig_conf_set_listen(ld->c, v))
			return fail(ld, s,
				    "listen = \"%s\": say ADDR:PORT, a "
				    "numeric address and a port "
				    "(\"127.0.0.1:6503\", \"[::1]:6503\")",
				    v);
		return 0;
	case K_LEVEL:
		if (log_level_parse(v, &ld->c->log_level))
			return fail(ld, s,
				    "log_level = \"%s\": say error, warn, "
				    "info or debug",
				    v);
		return 0;
	case K_FILE:
		ld->secret_s = s;
		return read_secret(ld, s, v, &ld->c->secret);
	default:
		if (!strcmp(name, "turn.redis")) {
			ld->redis = v;
			ld->redis_s = s;
			return 0;
		}
		if (!strcmp(name, "turn.secret"))
			ld->secret_s = s;
		return sig_conf_set_str((char **)((char *)ld->c + o->off),
					*v ? v : NULL);
	}
}

static int walk(struct loader *ld, const config_setting_t *g,
		const char *prefix)
{
	char name[128];
	int n = config_setting_length(g), rc;

	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(g, i);
		const struct opt *o = NULL;

		snprintf(name, sizeof(name), "%s%s%s", prefix,
			 *prefix ? "." : "", config_setting_name(s));
		for (size_t k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
			if (!strcmp(opts[k].name, name))
				o = &opts[k];
		if (!o)
			return fail(ld, s,
				    "unknown setting %s (tern-signal.conf(5) "
				    "lists them all)",
				    name);
		if (o->kind == K_GROUP) {
			if (config_setting_type(s) != CONFIG_TYPE_GROUP)
				return fail(ld, s,
					    "%s must be a group: %s = { ... };",
					    name, name);
			rc = walk(ld, s, name);
		} else {
			rc = set_one(ld, s, o, name);
		}
		if (rc)
			return rc;
	}
	return 0;
}

/* coturn's Redis connection string: "ip=127.0.0.1 port=6379 dbname=0
 * password=x connect_timeout=30" (the last is accepted and ignored). */
static int set_redis(struct loader *ld)
{
	char buf[512], *save = NULL, *tok, *eq;
	struct sa a;
	long v;

	if (strlen(ld->redis) >= sizeof(buf))
		return fail(ld, ld->redis_s, "turn.redis is too long");
	strcpy(buf, ld->redis);
	free(ld->c->redis_host);
	ld->c->redis_host = strdup("127.0.0.1");
	for (tok = strtok_r(buf, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		eq = strchr(tok, '=');
		if (!eq)
			return fail(ld, ld->redis_s,
				    "turn.redis: \"%s\" is not key=value", tok);
		*eq++ = '\0';
		if (!strcmp(tok, "ip") || !strcmp(tok, "host")) {
			if (!strcmp(eq, "localhost"))
				eq = "127.0.0.1";
			if (sa_parse(&a, eq, 1))
				return fail(ld, ld->redis_s,
					    "turn.redis: %s=%s is not a "
					    "numeric address",
					    tok, eq);
			if (sig_conf_set_str(&ld->c->redis_host, eq))
				return ENOMEM;
		} else if (!strcmp(tok, "password")) {
			if (sig_conf_set_str(&ld->c->redis_password, eq))
				return ENOMEM;
		} else if (!strcmp(tok, "port") || !strcmp(tok, "dbname") ||
			   !strcmp(tok, "connect_timeout")) {
			char *end;
			v = strtol(eq, &end, 10);
			if (*end || !*eq || v < 0 || v > 65535 ||
			    (!strcmp(tok, "port") && v == 0))
				return fail(ld, ld->redis_s,
					    "turn.redis: %s=%s is out of range",
					    tok, eq);
			if (!strcmp(tok, "port"))
				ld->c->redis_port = (uint16_t)v;
			else if (!strcmp(tok, "dbname"))
				ld->c->redis_db = (unsigned)v;
		} else {
			return fail(ld, ld->redis_s,
				    "turn.redis: unknown key %s (say ip, "
				    "port, dbname, password)",
				    tok);
		}
	}
	return 0;
}

/* What involves several settings. */
static int check(struct loader *ld)
{
	struct sig_conf *c = ld->c;

	if (!c->tls_cert != !c->tls_key)
		return fail(ld, NULL,
			    "tls.certificate and tls.key go together: set "
			    "both or neither");
	if (ld->redis && c->secret)
		return fail(ld, ld->redis_s,
			    "turn.redis and turn.secret (or secret_file) "
			    "both set: the secret comes from one of them");
	if (ld->redis && !c->realm)
		return fail(ld, ld->redis_s,
			    "turn.redis needs turn.realm: the secrets are "
			    "read from turn/realm/<realm>/secret");
	if (ld->redis)
		return set_redis(ld);
	return 0;
}

int sig_conf_load(struct sig_conf **cp, const char *path, char *err,
		  size_t errlen)
{
	struct loader ld = { .path = path, .err = err, .errlen = errlen };
	config_t lc;
	int rc;

	err[0] = '\0';
	rc = sig_conf_defaults(&ld.c);
	if (rc) {
		snprintf(err, errlen, "%s: out of memory", path);
		return rc;
	}
	config_init(&lc);
	if (config_read_file(&lc, path) != CONFIG_TRUE) {
		if (config_error_type(&lc) == CONFIG_ERR_FILE_IO)
			snprintf(err, errlen, "%s: cannot read: %s", path,
				 strerror(errno ? errno : ENOENT));
		else
			snprintf(err, errlen, "%s:%d: %s",
				 config_error_file(&lc) ? config_error_file(&lc)
							: path,
				 config_error_line(&lc),
				 config_error_text(&lc));
		rc = EINVAL;
	}
	if (!rc)
		rc = walk(&ld, config_root_setting(&lc), "");
	if (!rc)
		rc = check(&ld);
	if (!rc)
		rc = sig_conf_set_str(&ld.c->path, path);
	config_destroy(&lc);
	if (rc) {
		if (!err[0])
			snprintf(err, errlen, "%s: out of memory", path);
		sig_conf_free(ld.c);
		return rc;
	}
	*cp = ld.c;
	return 0;
}
