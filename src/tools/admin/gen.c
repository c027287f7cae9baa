/*
 * gen.c — the tern-admin commands that hand something to someone
 * else: credentials (an iceServers entry for a browser), key (a long-term
 * key for ternd.conf) and import-coturn (a ternd.conf); see tern-admin(1).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "auth/auth.h"
#include "base/num.h"
#include "tools/admin/admin.h"
#include "tools/common/cred.h"
#include "tools/common/uri.h"

#define COTURN_FILE_MAX (16u << 20)

struct gen_args {
	const char *user, *realm, *secret, *password, *out;
	double ttl;
	bool sha256;
	const char **uris;
	size_t nuris;
};

enum { O_TTL = 256, O_URI, O_SHA256 };

static const struct option longopts[] = {
	{ "user", required_argument, NULL, 'u' },
	{ "realm", required_argument, NULL, 'r' },
	{ "secret", required_argument, NULL, 's' },
	{ "password", required_argument, NULL, 'p' },
	{ "ttl", required_argument, NULL, O_TTL },
	{ "uri", required_argument, NULL, O_URI },
	{ "sha256", no_argument, NULL, O_SHA256 },
	{ "output", required_argument, NULL, 'o' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int one_opt(struct admin_ctx *x, void *st, int ch, const char *arg)
{
	struct gen_args *a = st;
	char why[256];
	struct probe_uri u;

	switch (ch) {
	case 'u':
		a->user = arg;
		return 0;
	case 'r':
		a->realm = arg;
		return 0;
	case 's':
		a->secret = arg;
		return 0;
	case 'p':
		a->password = arg;
		return 0;
	case 'o':
		a->out = arg;
		return 0;
	case O_SHA256:
		a->sha256 = true;
		return 0;
	case O_TTL:
		if (num_parse(arg, 1, 315360000, &a->ttl))
			return admin_say(x, ADMIN_USAGE,
					 "--ttl '%s' is not 1-315360000 "
					 "seconds",
					 arg);
		return 0;
	case O_URI:
		/* the same syntax turn-probe and browsers take */
		if (probe_uri_parse(&u, arg, why, sizeof(why)))
			return admin_say(x, ADMIN_USAGE, "--uri: %s", why);
		a->uris[a->nuris++] = arg;
		return 0;
	}
	return ADMIN_USAGE;
}

/* Options for cmd; letters in allowed: u r s p t(tl) U(ri) S(ha256) o. */
static int parse(struct admin_ctx *x, const char *cmd, int argc, char **argv,
		 int npos, struct gen_args *a, struct admin_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->cmd = cmd;
	o->lo = longopts;
	o->shortopts = "u:r:s:p:o:";
	o->maxpos = npos;
	a->ttl = 86400;
	a->uris = calloc((size_t)argc + 1, sizeof(*a->uris));
	if (!a->uris)
		return admin_say(x, ADMIN_FAIL, "out of memory");
	return admin_getopt(x, o, argc, argv, one_opt, a);
}

static int refuse(struct admin_ctx *x, const char *cmd, const char *opt)
{
	return admin_say(x, ADMIN_USAGE, "%s does not take %s", cmd, opt);
}

/* ---- credentials -------------------------------------------------------- */

/* The secret to sign with: --secret (or stdin for "-"), or the realm's
 * first secret in Redis. */
static int pick_secret(struct admin_ctx *x, const struct gen_args *a,
		       char **secret)
{
	struct admin_db *db = NULL;
	struct admin_list l = { 0 };
	int rc;

	if (a->secret && strcmp(a->secret, "-") != 0) {
		*secret = strdup(a->secret);
		return *secret ? 0 : admin_say(x, ADMIN_FAIL, "out of memory");
	}
	if (a->secret)
		return admin_read_secret("Secret: ", secret)
			   ? admin_say(x, ADMIN_USAGE,
				       "no secret on stdin (one non-empty "
				       "line)")
			   : 0;
	rc = admin_connect(x, &db);
	if (!rc && admin_db_secrets(db, a->realm, &l))
		rc = admin_say(x, ADMIN_FAIL, "%s", admin_db_error(db));
	else if (!rc && !l.n)
		rc = admin_say(x, ADMIN_FAIL,
			       "realm '%s' has no REST secret in Redis (add "
			       "one with 'tern-admin secret add')",
			       a->realm);
	else if (!rc && !(*secret = strdup(l.v[0])))
		rc = admin_say(x, ADMIN_FAIL, "out of memory");
	/* ternd and coturn accept every secret of the set: any will do */
	if (!rc && l.n > 1)
		admin_say(x, 0,
			  "note: realm '%s' has %zu REST secrets; signed with "
			  "the first in sort order (--secret picks one)",
			  a->realm, l.n);
	admin_list_free(&l);
	admin_db_close(db);
	return rc;
}

int admin_cmd_credentials(struct admin_ctx *x, int argc, char **argv)
{
	struct gen_args a = { 0 };
	struct admin_opts o;
	char *secret = NULL, *json = NULL;
	int rc = parse(x, "credentials", argc, argv, 0, &a, &o), err;

	if (!rc && (a.password || a.sha256 || a.out))
		rc = refuse(x, "credentials", "--password, --sha256 or -o");
	if (!rc && !a.user)
		rc = admin_say(x, ADMIN_USAGE, "credentials needs --user NAME");
	if (!rc && !a.secret == !a.realm)
		rc = admin_say(x, ADMIN_USAGE,
			       "credentials needs --secret SECRET or --realm "
			       "REALM (its secret from Redis), one of them");
	if (!rc && strlen(a.user) >= PROBE_CRED_MAX - 22)
		rc = admin_say(x, ADMIN_USAGE, "--user NAME is too long");
	if (!rc)
		rc = pick_secret(x, &a, &secret);
	if (!rc && !a.nuris)
		admin_say(x, 0,
			  "note: no --uri: put the server's turn: URIs in "
			  "\"urls\" before a browser gets this");
	if (!rc) {
		err = admin_ice_entry(&json, secret, a.user,
				      (int64_t)time(NULL) + (int64_t)a.ttl,
				      a.uris, a.nuris);
		if (err)
			rc = admin_say(x, ADMIN_FAIL,
				       "cannot make the credential: %s",
				       strerror(err));
		else
			fprintf(x->out, "%s\n", json);
	}
	if (json) {
		OPENSSL_cleanse(json, strlen(json));
		free(json);
	}
	admin_secret_free(secret);
	free(a.uris);
	return rc < 0 ? ADMIN_OK : rc;
}

/* ---- key ---------------------------------------------------------------- */

int admin_cmd_key(struct admin_ctx *x, int argc, char **argv)
{
	struct gen_args a = { 0 };
	struct admin_opts o;
	char hex[65], *pw = NULL;
	int rc = parse(x, "key", argc, argv, 0, &a, &o), err;

	if (!rc && (a.secret || a.nuris || a.out))
		rc = refuse(x, "key", "--secret, --uri or -o");
	if (!rc && (!a.user || !a.realm))
		rc = admin_say(x, ADMIN_USAGE,
			       "key needs --user NAME and --realm REALM");
	if (!rc && !a.password && admin_read_secret("Password: ", &pw) != 0)
		rc = admin_say(x, ADMIN_USAGE,
			       "no password: give --password or one line on "
			       "stdin");
	if (!rc) {
		err = admin_key_hex(
		    hex, a.sha256 ? AUTH_ALG_SHA256 : AUTH_ALG_MD5, a.user,
		    a.realm, a.password ? a.password : pw);
		if (err)
			rc = admin_say(x, ADMIN_FAIL,
				       "cannot compute the key: %s",
				       strerror(err));
		else
			fprintf(x->out, "%s\n", hex);
		OPENSSL_cleanse(hex, sizeof(hex));
	}
	admin_secret_free(pw);
	free(a.uris);
	return rc < 0 ? ADMIN_OK : rc;
}

/* ---- import-coturn ------------------------------------------------------ */

static int read_all(FILE *f, char **buf, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *b = malloc(cap);

	if (!b)
		return ENOMEM;
	for (;;) {
		size_t r = fread(b + n, 1, cap - n, f);

		n += r;
		if (n < cap)
			break;
		if (cap >= COTURN_FILE_MAX) {
			free(b);
			return EFBIG;
		}
		char *nb = realloc(b, cap * 2);

		if (!nb) {
			free(b);
			return ENOMEM;
		}
		b = nb;
		cap *= 2;
	}
	if (ferror(f)) {
		free(b);
		return EIO;
	}
	*buf = b;
	*len = n;
	return 0;
}

/* The folder relative paths in the coturn file are meant from. */
static char *src_dir(const char *path)
{
	char *real, *dir;

	if (strcmp(path, "-") == 0)
		return getcwd(NULL, 0);
	real = realpath(path, NULL);
	if (!real)
		return NULL;
	dir = strdup(dirname(real));
	free(real);
	return dir;
}

static int load(struct admin_ctx *x, const char *path, char **buf, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	int err;

	if (!f)
		return admin_say(x, ADMIN_FAIL, "cannot read %s: %s", path,
				 strerror(errno));
	err = read_all(f, buf, len);
	if (f != stdin)
		fclose(f);
	if (err)
		return admin_say(x, ADMIN_FAIL, "cannot read %s: %s", path,
				 strerror(err));
	return 0;
}

/* The output holds secrets and passwords: readable by its owner only. */
static int store(struct admin_ctx *x, const char *path,
		 const struct admin_import *im)
{
	int fd;
	FILE *f;
	bool ok;

	if (!path)
		return fwrite(im->conf, 1, im->conflen, x->out) == im->conflen
			   ? 0
			   : admin_say(x, ADMIN_FAIL,
				       "cannot write the output");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	f = fd < 0 ? NULL : fdopen(fd, "w");
	if (!f) {
		if (fd >= 0)
			close(fd);
		return admin_say(x, ADMIN_FAIL, "cannot write %s: %s", path,
				 strerror(errno));
	}
	ok = fwrite(im->conf, 1, im->conflen, f) == im->conflen;
	ok = fclose(f) == 0 && ok;
	if (!ok)
		return admin_say(x, ADMIN_FAIL, "cannot write %s: %s", path,
				 strerror(errno));
	return 0;
}

static void report(struct admin_ctx *x, const char *path,
		   const struct admin_import *im)
{
	for (size_t i = 0; i < im->ndiag; i++) {
		const struct admin_diag *d = &im->diag[i];
		const char *what =
		    d->kind == ADMIN_DIAG_SKIP ? "not imported" : "note";

		if (d->line)
			admin_say(x, 0, "%s:%u: %s: %s: %s", path, d->line,
				  d->opt, what, d->text);
		else
			admin_say(x, 0, "%s: %s: %s: %s", path, d->opt, what,
				  d->text);
	}
}

int admin_cmd_import(struct admin_ctx *x, int argc, char **argv)
{
	struct gen_args a = { 0 };
	struct admin_import im = { 0 };
	struct admin_opts o;
	char *text = NULL, *dir = NULL;
	size_t len = 0;
	int rc = parse(x, "import-coturn", argc, argv, 1, &a, &o), err;

	if (!rc && (a.user || a.realm || a.secret || a.password || a.sha256 ||
		    a.nuris))
		rc = refuse(x, "import-coturn", "credential options");
	if (!rc && o.npos != 1)
		rc = admin_say(x, ADMIN_USAGE,
			       "import-coturn needs the coturn FILE "
			       "(turnserver.conf, or - for stdin)");
	if (!rc)
		rc = load(x, o.pos[0], &text, &len);
	if (!rc) {
		dir = src_dir(o.pos[0]);
		err = admin_import_coturn(&im, text, len, dir);
		rc = err ? admin_say(x, ADMIN_FAIL, "out of memory") : 0;
	}
	if (!rc) {
		report(x, o.pos[0], &im);
		rc = store(x, a.out, &im);
	}
	if (!rc)
		admin_say(x, 0,
			  "wrote %s: %u settings from %s; %u coturn options "
			  "not imported%s",
			  a.out ? a.out : "the configuration to stdout",
			  im.imported, o.pos[0], im.skipped,
			  im.skipped ? " (listed above)" : "");
	if (text) {
		OPENSSL_cleanse(text, len);
		free(text);
	}
	free(dir);
	admin_import_free(&im);
	free(a.uris);
	return rc < 0 ? ADMIN_OK : rc;
}
