/*
 * sess.c — the sessions and kill commands: ternd's live allocations,
 * through its admin listener (GET /sessions, DELETE /sessions/ID,
 * DELETE /sessions?user=NAME; see ternd.conf(5) and src/relay/mgmt.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "tools/admin/admin.h"

#define DEFAULT_ADMIN "http://127.0.0.1:9641"
#define TOKEN_MAX     256

enum { O_ADMIN = 256, O_TOKEN_FILE, O_JSON };

static const struct option longopts[] = {
	{ "admin", required_argument, NULL, O_ADMIN },
	{ "token-file", required_argument, NULL, O_TOKEN_FILE },
	{ "user", required_argument, NULL, 'u' },
	{ "json", no_argument, NULL, O_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct sargs {
	const char *admin, *token_file, *user;
	bool json;
	char token[TOKEN_MAX + 2];
	bool has_token;
};

static int one_opt(struct admin_ctx *x, void *st, int ch, const char *arg)
{
	struct sargs *a = st;

	(void)x;
	switch (ch) {
	case O_ADMIN:
		a->admin = arg;
		return 0;
	case O_TOKEN_FILE:
		a->token_file = arg;
		return 0;
	case 'u':
		a->user = arg;
		return 0;
	case O_JSON:
		a->json = true;
		return 0;
	}
	return ADMIN_USAGE;
}

/* The token: --token-file's first line, else $TERN_ADMIN_TOKEN, else
 * none. */
static int load_token(struct admin_ctx *x, struct sargs *a)
{
	const char *env = getenv("TERN_ADMIN_TOKEN");
	FILE *f;
	size_t n;

	if (!a->token_file) {
		if (env && *env && strlen(env) <= TOKEN_MAX) {
			strcpy(a->token, env);
			a->has_token = true;
		}
		return 0;
	}
	f = fopen(a->token_file, "re");
	if (!f)
		return admin_say(x, ADMIN_FAIL, "--token-file '%s': %s",
				 a->token_file, strerror(errno));
	n = fread(a->token, 1, sizeof(a->token) - 1, f);
	fclose(f);
	a->token[n] = '\0';
	a->token[strcspn(a->token, "\r\n")] = '\0';
	a->has_token = a->token[0] != '\0';
	if (!a->has_token)
		return admin_say(x, ADMIN_FAIL,
				 "--token-file '%s' holds no token on its "
				 "first line",
				 a->token_file);
	return 0;
}

static int parse(struct admin_ctx *x, const char *cmd, int argc, char **argv,
		 int npos, struct sargs *a, struct admin_opts *o)
{
	int rc;

	memset(a, 0, sizeof(*a));
	*o = (struct admin_opts){
		.cmd = cmd, .lo = longopts, .shortopts = "u:", .maxpos = npos
	};
	rc = admin_getopt(x, o, argc, argv, one_opt, a);
	if (rc)
		return rc;
	if (!a->admin)
		a->admin = getenv("TERN_ADMIN_URL");
	if (!a->admin || !*a->admin)
		a->admin = DEFAULT_ADMIN;
	return load_token(x, a);
}

/* name percent-encoded (RFC 3986 §2.1) into out (3 * len + 1 bytes). */
static void pct_encode(char *out, const char *name)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)name;

	for (; *p; p++) {
		if (isalnum(*p) || strchr("-._~", *p)) {
			*out++ = (char)*p;
		} else {
			*out++ = '%';
			*out++ = hex[*p >> 4];
			*out++ = hex[*p & 15];
		}
	}
	*out = '\0';
}

/* One request; on a 2xx answer or 404 (which the caller explains) the
 * body is left in *body. */
static int ask(struct admin_ctx *x, struct sargs *a, const char *method,
	       const char *path, int *status, char **body)
{
	char why[512];
	int rc =
	    admin_http(a->admin, method, path, a->has_token ? a->token : NULL,
		       10000, status, body, why, sizeof(why));

	OPENSSL_cleanse(a->token, sizeof(a->token));
	if (rc)
		return admin_say(x, ADMIN_FAIL, "%s", why);
	if (*status == 401)
		rc = admin_say(
		    x, ADMIN_FAIL, "%s refused the request (401): %s", a->admin,
		    a->has_token ? "wrong token"
				 : "it wants a token (--token-file)");
	else if ((*status < 200 || *status > 299) && *status != 404)
		rc = admin_say(x, ADMIN_FAIL, "%s answered %d: %.200s",
			       a->admin, *status, *body);
	if (rc) {
		free(*body);
		*body = NULL;
	}
	return rc;
}

int admin_cmd_sessions(struct admin_ctx *x, int argc, char **argv)
{
	char path[64 + 3 * ADMIN_NAME_MAX], enc[3 * ADMIN_NAME_MAX + 1];
	struct admin_opts o;
	struct sargs a;
	char *body = NULL;
	int rc, status = 0;

	rc = parse(x, "sessions", argc, argv, 0, &a, &o);
	if (rc)
		return rc < 0 ? ADMIN_OK : rc;
	if (a.user && admin_name_problem(a.user, ADMIN_NAME_MAX))
		return admin_say(x, ADMIN_USAGE, "--user '%s': %s", a.user,
				 admin_name_problem(a.user, ADMIN_NAME_MAX));
	enc[0] = '\0';
	if (a.user)
		pct_encode(enc, a.user);
	snprintf(path, sizeof(path), "/sessions?format=%s%s%s",
		 a.json ? "json" : "text", a.user ? "&user=" : "", enc);
	rc = ask(x, &a, "GET", path, &status, &body);
	if (!rc && status == 404)
		rc = admin_say(x, ADMIN_FAIL,
			       "%s has no /sessions: is it ternd's admin "
			       "listener (and a ternd that lists sessions)?",
			       a.admin);
	if (!rc)
		fputs(body, x->out);
	free(body);
	return rc;
}

/* 16 hex digits: a session id as the allocation log lines print it. */
static bool is_session_id(const char *s)
{
	return strlen(s) == 16 && strspn(s, "0123456789abcdefABCDEF") == 16;
}

int admin_cmd_kill(struct admin_ctx *x, int argc, char **argv)
{
	char path[64 + 3 * ADMIN_NAME_MAX], enc[3 * ADMIN_NAME_MAX + 1];
	const char *what, *user;
	struct admin_opts o;
	struct sargs a;
	char *body = NULL;
	int rc, status = 0;
	size_t n;

	rc = parse(x, "kill", argc, argv, 1, &a, &o);
	if (rc)
		return rc < 0 ? ADMIN_OK : rc;
	if ((o.npos == 1) == !!a.user)
		return admin_say(x, ADMIN_USAGE,
				 "kill takes one USER or session ID (or "
				 "--user NAME)");
	what = a.user ? a.user : o.pos[0];
	user = a.user || !is_session_id(what) ? what : NULL;
	if (user && admin_name_problem(user, ADMIN_NAME_MAX))
		return admin_say(x, ADMIN_USAGE, "user '%s': %s", user,
				 admin_name_problem(user, ADMIN_NAME_MAX));
	if (user) {
		pct_encode(enc, user);
		snprintf(path, sizeof(path), "/sessions?user=%s", enc);
	} else {
		snprintf(path, sizeof(path), "/sessions/%s", what);
	}
	rc = ask(x, &a, "DELETE", path, &status, &body);
	if (!rc && status == 404)
		rc = admin_say(x, ADMIN_FAIL, "no live allocation %s %s",
			       user ? "of user" : "with session id", what);
	else if (!rc && a.json)
		fputs(body, x->out);
	else if (!rc && sscanf(body, "{\"killed\": %zu", &n) == 1)
		fprintf(x->out, "killed %zu allocation%s of %s\n", n,
			n == 1 ? "" : "s", what);
	else if (!rc)
		rc = admin_say(x, ADMIN_FAIL, "%s answered: %.200s", a.admin,
			       body);
	free(body);
	return rc;
}
