/*
 * cmd.c — tern-admin's user, secret and quota commands: coturn's
 * Redis layout through redis.c; see tern-admin(1).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "base/num.h"
#include "tools/admin/admin.h"

/* What the options of user, secret and quota commands gave. */
struct args {
	const char *pos; /* NAME or SECRET */
	const char *realm, *password, *key;
	bool quota[3]; /* user-quota, total-quota, max-bps given */
	uint64_t qval[3];
};

static const char *const qnames[] = { "user-quota", "total-quota", "max-bps" };

enum { O_KEY = 256, O_UQ, O_TQ, O_BPS };

static const struct option longopts[] = {
	{ "realm", required_argument, NULL, 'r' },
	{ "password", required_argument, NULL, 'p' },
	{ "key", required_argument, NULL, O_KEY },
	{ "user-quota", required_argument, NULL, O_UQ },
	{ "total-quota", required_argument, NULL, O_TQ },
	{ "max-bps", required_argument, NULL, O_BPS },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int one_opt(struct admin_ctx *x, void *st, int ch, const char *arg)
{
	struct args *a = st;
	double v;
	int q;

	switch (ch) {
	case 'r':
		a->realm = arg;
		return 0;
	case 'p':
		a->password = arg;
		return 0;
	case O_KEY:
		a->key = arg;
		return 0;
	case O_UQ:
	case O_TQ:
	case O_BPS:
		q = ch - O_UQ;
		/* coturn keeps quotas in an int, max-bps in an unsigned
		 * long */
		if (num_parse(arg, 0, q == 2 ? 1e15 : 2147483647, &v) ||
		    v != (double)(uint64_t)v)
			return admin_say(x, ADMIN_USAGE,
					 "--%s '%s' is not a whole number "
					 "in range",
					 qnames[q], arg);
		a->quota[q] = true;
		a->qval[q] = (uint64_t)v;
		return 0;
	}
	return ADMIN_USAGE;
}

/* Parse argv (argv[0] = the subcommand) with the options a command takes:
 * allowed holds their short letters or 'k' (--key), 'q' (quotas). */
static int parse(struct admin_ctx *x, const char *cmd, int argc, char **argv,
		 int npos, const char *allowed, struct args *a)
{
	struct admin_opts o = {
		.cmd = cmd, .lo = longopts, .shortopts = "r:p:", .maxpos = npos
	};
	int rc;

	memset(a, 0, sizeof(*a));
	rc = admin_getopt(x, &o, argc, argv, one_opt, a);
	if (rc)
		return rc;
	if ((a->password && !strchr(allowed, 'p')) ||
	    (a->key && !strchr(allowed, 'k')) ||
	    ((a->quota[0] || a->quota[1] || a->quota[2]) &&
	     !strchr(allowed, 'q')))
		return admin_say(x, ADMIN_USAGE,
				 "%s: an option that belongs to another "
				 "command (try 'tern-admin --help')",
				 cmd);
	if (strchr(allowed, 'R') && !a->realm)
		return admin_say(x, ADMIN_USAGE, "%s needs --realm REALM", cmd);
	if (o.npos != npos)
		return admin_say(x, ADMIN_USAGE, "%s needs %s", cmd,
				 strstr(cmd, "user") ? "a user NAME"
						     : "a SECRET");
	a->pos = npos ? o.pos[0] : NULL;
	return 0;
}

static int check_name(struct admin_ctx *x, const char *what, const char *s,
		      size_t max)
{
	const char *p = admin_name_problem(s, max);

	if (p)
		return admin_say(x, ADMIN_USAGE,
				 "%s '%s' %s (at most %zu bytes, "
				 "no control characters)",
				 what, s, p, max);
	return 0;
}

/* A password from --password or stdin, or a key from --key: the hex key
 * to store. */
static int key_for(struct admin_ctx *x, const struct args *a, const char *user,
		   char hex[65])
{
	char *pw = NULL, prompt[600];
	int err;

	if (a->key) {
		if (!admin_key_normalize(hex, a->key))
			return admin_say(x, ADMIN_USAGE,
					 "--key is not 32 (MD5) or 64 "
					 "(SHA-256) hex digits");
		return 0;
	}
	if (!a->password) {
		snprintf(prompt, sizeof(prompt), "Password for %.500s: ", user);
		err = admin_read_secret(prompt, &pw);
		if (err)
			return admin_say(x, ADMIN_USAGE,
					 "no password: give --password or one "
					 "line on stdin");
	}
	err = admin_key_hex(hex, AUTH_ALG_MD5, user, a->realm,
			    a->password ? a->password : pw);
	admin_secret_free(pw);
	if (err)
		return admin_say(x, ADMIN_FAIL, "cannot compute the key: %s",
				 strerror(err));
	return 0;
}

static int user_add(struct admin_ctx *x, const char *user, const struct args *a)
{
	struct admin_db *db = NULL;
	char hex[65];
	bool existed = false;
	int rc;

	if (a->password && a->key)
		return admin_say(x, ADMIN_USAGE,
				 "user add: --password or --key, not both");
	if (a->password && !*a->password)
		return admin_say(x, ADMIN_USAGE, "user add: empty password");
	rc = key_for(x, a, user, hex);
	if (!rc)
		rc = admin_connect(x, &db);
	if (!rc && admin_db_user_set(db, a->realm, user, hex, &existed))
		rc = admin_say(x, ADMIN_FAIL, "%s", admin_db_error(db));
	if (!rc)
		fprintf(x->out, "%s user '%s' in realm '%s'\n",
			existed ? "updated" : "added", user, a->realm);
	admin_db_close(db);
	return rc;
}

static int user_del(struct admin_ctx *x, const char *user, const struct args *a)
{
	struct admin_db *db = NULL;
	bool existed = false;
	int rc = admin_connect(x, &db);

	if (!rc && admin_db_user_del(db, a->realm, user, &existed))
		rc = admin_say(x, ADMIN_FAIL, "%s", admin_db_error(db));
	else if (!rc && !existed)
		rc = admin_say(x, ADMIN_FAIL, "no user '%s' in realm '%s'",
			       user, a->realm);
	else if (!rc)
		fprintf(x->out, "deleted user '%s' in realm '%s'\n", user,
			a->realm);
	admin_db_close(db);
	return rc;
}

static int print_list(struct admin_ctx *x, struct admin_db *db, int err,
		      struct admin_list *l)
{
	int rc = err ? admin_say(x, ADMIN_FAIL, "%s", admin_db_error(db)) : 0;

	for (size_t i = 0; !rc && i < l->n; i++)
		fprintf(x->out, "%s\n", l->v[i]);
	admin_list_free(l);
	return rc;
}

static int user_list(struct admin_ctx *x, const struct args *a)
{
	struct admin_db *db = NULL;
	struct admin_list l = { 0 };
	int rc = admin_connect(x, &db);

	if (!rc)
		rc =
		    print_list(x, db, admin_db_user_list(db, a->realm, &l), &l);
	admin_db_close(db);
	return rc;
}

/* The subcommand word: argv[1] of "user add ...". */
static int subcommand(struct admin_ctx *x, int argc, char **argv,
		      const char *what)
{
	if (argc < 2)
		return admin_say(x, ADMIN_USAGE,
				 "%s needs %s (try 'tern-admin "
				 "--help')",
				 argv[0], what);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		admin_usage(x->out);
		return -1;
	}
	return 0;
}

int admin_cmd_user(struct admin_ctx *x, int argc, char **argv)
{
	struct args a;
	int rc = subcommand(x, argc, argv, "add, delete or list");

	if (rc)
		return rc < 0 ? ADMIN_OK : rc;
	if (!strcmp(argv[1], "add") || !strcmp(argv[1], "delete")) {
		bool add = argv[1][0] == 'a';

		rc = parse(x, add ? "user add" : "user delete", argc - 1,
			   argv + 1, 1, add ? "Rpk" : "R", &a);
		if (!rc)
			rc = check_name(x, "user", a.pos, ADMIN_NAME_MAX);
		if (!rc)
			rc = check_name(x, "realm", a.realm, ADMIN_REALM_MAX);
		if (!rc)
			rc = add ? user_add(x, a.pos, &a)
				 : user_del(x, a.pos, &a);
	} else if (!strcmp(argv[1], "list")) {
		rc = parse(x, "user list", argc - 1, argv + 1, 0, "", &a);
		if (!rc)
			rc = user_list(x, &a);
	} else {
		rc = admin_say(x, ADMIN_USAGE,
			       "unknown command 'user %s' (add, delete or "
			       "list)",
			       argv[1]);
	}
	return rc < 0 ? ADMIN_OK : rc;
}

/* ---- secret ------------------------------------------------------------- */

/* SECRET, or one line of stdin for "-" (keeps it out of ps). */
static int secret_arg(struct admin_ctx *x, const char *arg, char **out)
{
	int err;

	if (!*arg)
		return admin_say(x, ADMIN_USAGE, "empty secret");
	if (strcmp(arg, "-") != 0) {
		*out = strdup(arg);
		return *out ? 0 : admin_say(x, ADMIN_FAIL, "out of memory");
	}
	err = admin_read_secret("Secret: ", out);
	if (err)
		return admin_say(x, ADMIN_USAGE,
				 "no secret on stdin (one non-empty line)");
	return 0;
}

static int secret_change(struct admin_ctx *x, bool add, const char *arg,
			 const struct args *a)
{
	struct admin_db *db = NULL;
	char *secret = NULL;
	bool changed = false;
	int rc = secret_arg(x, arg, &secret);

	if (!rc)
		rc = admin_connect(x, &db);
	if (!rc && (add ? admin_db_secret_add
			: admin_db_secret_del)(db, a->realm, secret, &changed))
		rc = admin_say(x, ADMIN_FAIL, "%s", admin_db_error(db));
	else if (!rc && add)
		fprintf(x->out,
			changed ? "added a REST secret to realm '%s'\n"
				: "realm '%s' already has that REST "
				  "secret\n",
			a->realm);
	else if (!rc && changed)
		fprintf(x->out, "removed a REST secret from realm '%s'\n",
			a->realm);
	else if (!rc)
		rc = admin_say(x, ADMIN_FAIL,
			       "realm '%s' has no such REST secret", a->realm);
	admin_secret_free(secret);
	admin_db_close(db);
	return rc;
}

static int secret_list(struct admin_ctx *x, const struct args *a)
{
	struct admin_db *db = NULL;
	struct admin_list l = { 0 };
	int rc = admin_connect(x, &db), err;

	if (rc)
		return rc;
	err = a->realm ? admin_db_secrets(db, a->realm, &l)
		       : admin_db_secret_list_all(db, &l);
	rc = print_list(x, db, err, &l);
	admin_db_close(db);
	return rc;
}

int admin_cmd_secret(struct admin_ctx *x, int argc, char **argv)
{
	struct args a;
	int rc = subcommand(x, argc, argv, "add, remove or list");

	if (rc)
		return rc < 0 ? ADMIN_OK : rc;
	if (!strcmp(argv[1], "add") || !strcmp(argv[1], "remove")) {
		bool add = argv[1][0] == 'a';

		rc = parse(x, add ? "secret add" : "secret remove", argc - 1,
			   argv + 1, 1, "R", &a);
		if (!rc)
			rc = check_name(x, "realm", a.realm, ADMIN_REALM_MAX);
		if (!rc)
			rc = secret_change(x, add, a.pos, &a);
	} else if (!strcmp(argv[1], "list")) {
		rc = parse(x, "secret list", argc - 1, argv + 1, 0, "", &a);
		if (!rc)
			rc = secret_list(x, &a);
	} else {
		rc = admin_say(x, ADMIN_USAGE,
			       "unknown command 'secret %s' (add, remove or "
			       "list)",
			       argv[1]);
	}
	return rc < 0 ? ADMIN_OK : rc;
}

/* ---- quota -------------------------------------------------------------- */

static int quota_set(struct admin_ctx *x, const struct args *a)
{
	struct admin_db *db = NULL;
	int rc;

	if (!a->quota[0] && !a->quota[1] && !a->quota[2])
		return admin_say(x, ADMIN_USAGE,
				 "quota set needs --user-quota, --total-quota "
				 "or --max-bps");
	rc = admin_connect(x, &db);
	for (int q = 0; !rc && q < 3; q++) {
		if (!a->quota[q])
			continue;
		if (admin_db_option_set(db, a->realm, qnames[q], a->qval[q]))
			rc = admin_say(x, ADMIN_FAIL, "%s", admin_db_error(db));
		else if (a->qval[q])
			fprintf(x->out, "realm '%s': %s %llu\n", a->realm,
				qnames[q], (unsigned long long)a->qval[q]);
		else
			fprintf(x->out, "realm '%s': %s removed (no limit)\n",
				a->realm, qnames[q]);
	}
	admin_db_close(db);
	if (!rc)
		admin_say(x, 0,
			  "note: coturn and ternd (store = \"redis\") read "
			  "these within a minute; a limit set in ternd.conf "
			  "(relay.user_quota, relay.max_allocations, "
			  "relay.bandwidth) wins over Redis at ternd");
	return rc;
}

static int quota_show(struct admin_ctx *x, const struct args *a)
{
	struct admin_db *db = NULL;
	int rc = admin_connect(x, &db);

	for (int q = 0; !rc && q < 3; q++) {
		char *v = NULL;

		if (admin_db_option_get(db, a->realm, qnames[q], &v))
			rc = admin_say(x, ADMIN_FAIL, "%s", admin_db_error(db));
		else
			fprintf(x->out, "%s\t%s\n", qnames[q], v ? v : "unset");
		free(v);
	}
	admin_db_close(db);
	return rc;
}

int admin_cmd_quota(struct admin_ctx *x, int argc, char **argv)
{
	struct args a;
	int rc = subcommand(x, argc, argv, "set or show");

	if (rc)
		return rc < 0 ? ADMIN_OK : rc;
	if (!strcmp(argv[1], "set") || !strcmp(argv[1], "show")) {
		bool set = argv[1][1] == 'e';

		rc = parse(x, set ? "quota set" : "quota show", argc - 1,
			   argv + 1, 0, set ? "Rq" : "R", &a);
		if (!rc)
			rc = check_name(x, "realm", a.realm, ADMIN_REALM_MAX);
		if (!rc)
			rc = set ? quota_set(x, &a) : quota_show(x, &a);
	} else {
		rc = admin_say(x, ADMIN_USAGE,
			       "unknown command 'quota %s' (set or show)",
			       argv[1]);
	}
	return rc < 0 ? ADMIN_OK : rc;
}
