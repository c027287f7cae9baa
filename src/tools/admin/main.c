/*
 * main.c — tern-admin: global options, then one command; see
 * admin.h for the exit status.
 */
#include <config.h> /* autoconf: PACKAGE_VERSION */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "base/num.h"
#include "tools/admin/admin.h"

void admin_usage(FILE *f)
{
	fputs("usage: tern-admin [global options] COMMAND [options]\n"
	      "\n"
	      "commands:\n"
	      "  user add NAME --realm REALM [--password PASS | --key HEX]\n"
	      "  user delete NAME --realm REALM\n"
	      "  user list [--realm REALM]\n"
	      "  secret add SECRET --realm REALM\n"
	      "  secret remove SECRET --realm REALM\n"
	      "  secret list [--realm REALM]\n"
	      "  quota set --realm REALM [--user-quota N] [--total-quota N] "
	      "[--max-bps N]\n"
	      "  quota show --realm REALM\n"
	      "  credentials --user NAME [--ttl SECONDS] (--secret SECRET | "
	      "--realm REALM)\n"
	      "              [--uri URI]...\n"
	      "  key --user NAME --realm REALM [--password PASS] [--sha256]\n"
	      "  import-coturn FILE [--output OUT]\n"
	      "  sessions [--user NAME] [--json] [ADMIN OPTIONS]\n"
	      "  kill (USER | SESSION-ID | --user NAME) [--json] [ADMIN "
	      "OPTIONS]\n"
	      "\n"
	      "command options:\n"
	      "  -r, --realm REALM       the realm (coturn's realm, ternd's "
	      "auth.realm)\n"
	      "  -u, --user NAME         the user a credential or key is for\n"
	      "  -p, --password PASS     password (default: one line from "
	      "stdin)\n"
	      "      --key HEX           a ready long-term key: 32 hex digits "
	      "(MD5), 64 (SHA-256)\n"
	      "  -s, --secret SECRET     REST shared secret ('-': one line "
	      "from stdin; so is\n"
	      "                          a SECRET argument of '-')\n"
	      "      --ttl SECONDS       credential lifetime (86400)\n"
	      "      --uri URI           a turn:/turns:/stun: URI for "
	      "\"urls\" (repeatable)\n"
	      "      --sha256            the SHA-256 key instead of MD5\n"
	      "      --user-quota N      realm option: allocations per user "
	      "(0: no limit)\n"
	      "      --total-quota N     realm option: allocations in all "
	      "(0: no limit)\n"
	      "      --max-bps N         realm option: bytes/s per session "
	      "(0: no limit)\n"
	      "  -o, --output OUT        import-coturn: write here, mode 0600 "
	      "(default stdout)\n"
	      "\n"
	      "admin options (sessions, kill: ternd's admin listener):\n"
	      "      --admin URL         http://HOST:PORT (default "
	      "$TERN_ADMIN_URL, else\n"
	      "                          http://127.0.0.1:9641)\n"
	      "      --token-file FILE   the admin token on its first line "
	      "(default\n"
	      "                          $TERN_ADMIN_TOKEN, else none)\n"
	      "      --json              the listener's JSON instead of a "
	      "table\n"
	      "  A SESSION-ID is the 16 hex digits of the allocation log "
	      "lines' session=.\n"
	      "\n"
	      "global options (Redis, in coturn's key layout):\n"
	      "      --redis HOST[:PORT] Redis server, or a Unix socket path "
	      "(127.0.0.1:6379)\n"
	      "      --redis-userdb STR  the same in coturn's form: "
	      "\"ip=A port=N dbname=N ...\"\n"
	      "      --redis-password P  AUTH password (default: "
	      "$TERN_REDIS_PASSWORD)\n"
	      "      --db N              database number (0)\n"
	      "  -t, --timeout SECONDS   connect and command timeout (5)\n"
	      "  -h, --help              this text\n"
	      "  -V, --version           print the version and exit\n"
	      "\n"
	      "Passwords and secrets are printed only by the commands that "
	      "exist to print\n"
	      "them: secret list, credentials, key.\n"
	      "\n"
	      "exit status: 0 done, 1 failed (Redis or the admin listener "
	      "unreachable or\n"
	      "refused, no such entry or session, unreadable file), 2 usage "
	      "error\n",
	      f);
}

int admin_getopt(
    struct admin_ctx *x, struct admin_opts *o, int argc, char **argv,
    int (*fn)(struct admin_ctx *x, void *st, int ch, const char *arg), void *st)
{
	char sopts[64];
	int ch, rc;

	snprintf(sopts, sizeof(sopts), ":%sh", o->shortopts);
	optind = 0; /* GNU: start over at argv[1] */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, sopts, o->lo, NULL)) != -1) {
		if (ch == 'h') {
			admin_usage(x->out);
			return -1;
		}
		if (ch == ':')
			return admin_say(x, ADMIN_USAGE,
					 "%s: option '%s' needs a value",
					 o->cmd, argv[optind - 1]);
		if (ch == '?')
			return admin_say(x, ADMIN_USAGE,
					 "%s: unknown option '%s' (try "
					 "'tern-admin --help')",
					 o->cmd, argv[optind - 1]);
		rc = fn(x, st, ch, optarg);
		if (rc)
			return rc;
	}
	for (o->npos = 0; optind < argc; optind++) {
		if (o->npos == o->maxpos)
			return admin_say(x, ADMIN_USAGE,
					 "%s: unexpected argument '%s'", o->cmd,
					 argv[optind]);
		o->pos[o->npos++] = argv[optind];
	}
	return 0;
}

int admin_connect(struct admin_ctx *x, struct admin_db **db)
{
	char why[600];

	if (admin_db_open(db, &x->conn, why, sizeof(why)))
		return admin_say(x, ADMIN_FAIL, "%s", why);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(struct admin_ctx *x, int argc, char **argv);
} commands[] = {
	{ "user", admin_cmd_user },
	{ "secret", admin_cmd_secret },
	{ "quota", admin_cmd_quota },
	{ "credentials", admin_cmd_credentials },
	{ "key", admin_cmd_key },
	{ "import-coturn", admin_cmd_import },
	{ "sessions", admin_cmd_sessions },
	{ "kill", admin_cmd_kill },
};

enum { O_REDIS = 256, O_USERDB, O_PASSWORD, O_DB };

static const struct option longopts[] = {
	{ "redis", required_argument, NULL, O_REDIS },
	{ "redis-userdb", required_argument, NULL, O_USERDB },
	{ "redis-password", required_argument, NULL, O_PASSWORD },
	{ "db", required_argument, NULL, O_DB },
	{ "timeout", required_argument, NULL, 't' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* Storage the connection settings point into, for main's lifetime. */
struct global {
	char *redis, *userdb;
	size_t userdb_len; /* tokenising puts NULs inside: wipe it all */
};

static void drop_userdb(struct global *g)
{
	if (g->userdb)
		OPENSSL_cleanse(g->userdb, g->userdb_len);
	free(g->userdb);
	g->userdb = NULL;
}

static int one_global(struct admin_ctx *x, struct global *g, int ch,
		      const char *arg)
{
	char why[256];
	double v;

	switch (ch) {
	case O_REDIS:
		free(g->redis);
		g->redis = malloc(strlen(arg) + 1);
		if (!g->redis)
			return admin_say(x, ADMIN_FAIL, "out of memory");
		if (admin_conn_parse(&x->conn, arg, g->redis, why, sizeof(why)))
			return admin_say(x, ADMIN_USAGE, "%s", why);
		return 0;
	case O_USERDB:
		drop_userdb(g);
		g->userdb_len = strlen(arg) + 1;
		g->userdb = malloc(g->userdb_len);
		if (!g->userdb)
			return admin_say(x, ADMIN_FAIL, "out of memory");
		if (admin_conn_coturn(&x->conn, arg, g->userdb, NULL, why,
				      sizeof(why)))
			return admin_say(x, ADMIN_USAGE, "--redis-userdb: %s",
					 why);
		return 0;
	case O_PASSWORD:
		x->conn.password = arg;
		return 0;
	case O_DB:
		if (num_parse(arg, 0, 65535, &v) || v != (unsigned)v)
			return admin_say(x, ADMIN_USAGE,
					 "--db '%s' is not a database number "
					 "(0-65535)",
					 arg);
		x->conn.db = (unsigned)v;
		return 0;
	case 't':
		if (num_parse(arg, 0.1, 3600, &v))
			return admin_say(x, ADMIN_USAGE,
					 "--timeout '%s' is not 0.1-3600 "
					 "seconds",
					 arg);
		x->conn.timeout_ms = (unsigned)(v * 1000);
		return 0;
	}
	return ADMIN_USAGE;
}

/* The global options; *cmd gets the index of the command word. */
static int parse_globals(struct admin_ctx *x, struct global *g, int argc,
			 char **argv, int *cmd)
{
	int ch, rc;

	optind = 0; /* full reset (GNU), so the command's getopt starts anew */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:t:hV", longopts, NULL)) != -1) {
		if (ch == 'h') {
			admin_usage(x->out);
			return -1;
		}
		if (ch == 'V') {
			fprintf(x->out, "tern-admin %s\n", PACKAGE_VERSION);
			return -1;
		}
		if (ch == ':')
			return admin_say(x, ADMIN_USAGE,
					 "option '%s' needs a value",
					 argv[optind - 1]);
		if (ch == '?')
			return admin_say(x, ADMIN_USAGE,
					 "unknown option '%s' (try 'tern-admin "
					 "--help')",
					 argv[optind - 1]);
		rc = one_global(x, g, ch, optarg);
		if (rc)
			return rc;
	}
	if (optind >= argc)
		return admin_say(x, ADMIN_USAGE,
				 "no command given (try 'tern-admin --help')");
	*cmd = optind;
	return 0;
}

int main(int argc, char **argv)
{
	struct admin_ctx x = { .out = stdout, .err = stderr };
	struct global g = { NULL, NULL, 0 };
	int rc, cmd = 0;

	/* hiredis writes with write(2): a Redis that goes away mid-command
	 * must be an error reply, not a killed process */
	signal(SIGPIPE, SIG_IGN);
	x.conn.host = "127.0.0.1";
	x.conn.port = 6379;
	x.conn.timeout_ms = 5000;
	x.conn.password = getenv("TERN_REDIS_PASSWORD");
	rc = parse_globals(&x, &g, argc, argv, &cmd);
	if (rc) {
		rc = rc < 0 ? ADMIN_OK : rc;
		goto out;
	}
	rc = -1;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[cmd], commands[i].name) == 0)
			rc = commands[i].fn(&x, argc - cmd, argv + cmd);
	if (rc < 0)
		rc = admin_say(&x, ADMIN_USAGE,
			       "unknown command '%s' (try 'tern-admin --help')",
			       argv[cmd]);
out:
	free(g.redis);
	drop_userdb(&g); /* holds the Redis password */
	if (fflush(stdout) && rc == ADMIN_OK)
		rc = ADMIN_FAIL;
	return rc;
}
