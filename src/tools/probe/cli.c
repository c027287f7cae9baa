/*
 * cli.c — turn-probe's command line (turn-probe(1)).
 */
#include <config.h> /* autoconf: PACKAGE_VERSION */

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/num.h"
#include "tools/probe/probe.h"

#define ICE_FILE_MAX (1u << 20)

void probe_cli_usage(FILE *f)
{
	fputs("usage: turn-probe [options] URI...\n"
	      "       turn-probe [options] --ice-servers FILE [URI...]\n"
	      "\n"
	      "URI: stun:HOST[:PORT]  stuns:HOST[:PORT]\n"
	      "     turn:HOST[:PORT][?transport=udp|tcp]  "
	      "turns:HOST[:PORT][?transport=tcp]\n"
	      "     (ports 3478 and 5349 by default; IPv6 literals in "
	      "brackets)\n"
	      "\n"
	      "credentials:\n"
	      "  -u, --user NAME        long-term username (with --secret: "
	      "the REST user)\n"
	      "  -p, --password PASS    long-term password\n"
	      "  -s, --secret SECRET    TURN REST API shared secret: username\n"
	      "                         <now+ttl>:NAME, password "
	      "base64(HMAC-SHA1)\n"
	      "      --ttl SECONDS      REST credential lifetime (86400)\n"
	      "  -i, --ice-servers FILE browser iceServers JSON: "
	      "[{urls, username, credential}]\n"
	      "                         or {\"iceServers\": [...]}\n"
	      "  -r, --realm REALM      expected realm (default: the "
	      "server's)\n"
	      "\n"
	      "TLS:\n"
	      "      --ca FILE          trust these CA certificates (default: "
	      "the system store)\n"
	      "\n"
	      "relay round trip:\n"
	      "  -c, --count N          packets (default: rate x duration)\n"
	      "  -R, --rate PPS         packets per second (50)\n"
	      "  -d, --duration S       seconds (2)\n"
	      "  -S, --size BYTES       payload per packet (160, at most "
	      "1200)\n"
	      "\n"
	      "      --private CIDR     count CIDR as private too when judging "
	      "the relayed\n"
	      "                         address (repeatable, up to 8)\n"
	      "  -t, --timeout S        seconds to wait for each answer (3)\n"
	      "  -j, --json             one JSON object on stdout\n"
	      "  -h, --help             this text\n"
	      "  -V, --version          print the version and exit\n"
	      "\n"
	      "exit status: 0 every check passed, 1 a check failed, 2 usage "
	      "error\n",
	      f);
}

/* What the credential options gave, before they become targets. */
struct cred_args {
	const char *user, *pass, *secret, *ice;
	double ttl;
};

static int read_file(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b;
	size_t n;

	if (!f)
		return errno;
	b = malloc(ICE_FILE_MAX + 1);
	if (!b) {
		fclose(f);
		return ENOMEM;
	}
	n = fread(b, 1, ICE_FILE_MAX + 1, f);
	fclose(f);
	if (n > ICE_FILE_MAX) {
		free(b);
		return EFBIG;
	}
	*buf = b;
	*len = n;
	return 0;
}

static int add_ice(struct probe_opts *o, const char *path, FILE *err)
{
	char why[256], *buf = NULL;
	size_t len = 0;
	int e = read_file(path, &buf, &len);

	if (e) {
		fprintf(err, "turn-probe: %s: %s\n", path, strerror(e));
		return EINVAL;
	}
	e = probe_ice_parse(&o->targets, buf, len, why, sizeof(why));
	free(buf);
	if (e == EINVAL)
		fprintf(err, "turn-probe: %s: %s\n", path, why);
	return e;
}

/* The credentials every command-line URI gets. */
static int base_cred(const struct cred_args *c, struct probe_target *t,
		     FILE *err)
{
	if (c->secret) {
		if (!c->user || c->pass) {
			fputs("turn-probe: --secret needs --user NAME and no "
			      "--password\n",
			      err);
			return EINVAL;
		}
		return probe_rest_cred(c->secret, c->user,
				       (int64_t)time(NULL) + (int64_t)c->ttl,
				       t->user, t->pass);
	}
	if (!c->user != !c->pass) {
		fputs("turn-probe: --user and --password go together\n", err);
		return EINVAL;
	}
	if (c->user && (strlen(c->user) >= PROBE_CRED_MAX ||
			strlen(c->pass) >= PROBE_CRED_MAX)) {
		fputs("turn-probe: username or password too long\n", err);
		return EINVAL;
	}
	if (c->user) {
		strcpy(t->user, c->user);
		strcpy(t->pass, c->pass);
	}
	return 0;
}

static int add_uris(struct probe_opts *o, const struct cred_args *c, int n,
		    char **uris, FILE *err)
{
	struct probe_target t;
	char why[256];
	int e;

	memset(&t, 0, sizeof(t));
	e = base_cred(c, &t, err);
	for (int i = 0; !e && i < n; i++) {
		e = probe_uri_parse(&t.uri, uris[i], why, sizeof(why));
		if (e) {
			fprintf(err, "turn-probe: %s\n", why);
			break;
		}
		e = probe_targets_add(&o->targets, &t);
	}
	if (!e && c->ice)
		e = add_ice(o, c->ice, err);
	if (!e && o->targets.n == 0) {
		fputs("turn-probe: no URI to probe\n", err);
		e = EINVAL;
	}
	return e;
}

static const struct option longopts[] = {
	{ "user", required_argument, NULL, 'u' },
	{ "password", required_argument, NULL, 'p' },
	{ "secret", required_argument, NULL, 's' },
	{ "ttl", required_argument, NULL, 'T' },
	{ "ice-servers", required_argument, NULL, 'i' },
	{ "realm", required_argument, NULL, 'r' },
	{ "ca", required_argument, NULL, 'C' },
	{ "timeout", required_argument, NULL, 't' },
	{ "count", required_argument, NULL, 'c' },
	{ "rate", required_argument, NULL, 'R' },
	{ "duration", required_argument, NULL, 'd' },
	{ "size", required_argument, NULL, 'S' },
	{ "json", no_argument, NULL, 'j' },
	{ "private", required_argument, NULL, 'P' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* One option into o or c; EINVAL names what was wrong. */
static int one_opt(struct probe_opts *o, struct cred_args *c, int ch,
		   const char *arg, FILE *err)
{
	double v = 0;
	int e = 0;

	switch (ch) {
	case 'u':
		c->user = arg;
		break;
	case 'p':
		c->pass = arg;
		break;
	case 's':
		c->secret = arg;
		break;
	case 'i':
		c->ice = arg;
		break;
	case 'r':
		o->realm = arg;
		break;
	case 'C':
		o->ca = arg;
		break;
	case 'j':
		o->json = true;
		break;
	case 'P':
		if (o->nprivate == PROBE_MAX_PRIVATE)
			e = E2BIG;
		else if (!(e = cidr_parse(&o->private_nets[o->nprivate], arg)))
			o->nprivate++;
		break;
	case 'T':
		e = num_parse(arg, 1, 1e9, &c->ttl);
		break;
	case 't':
		e = num_parse(arg, 0.05, 3600, &o->timeout);
		break;
	case 'd':
		e = num_parse(arg, 0.01, 3600, &o->duration);
		break;
	case 'c':
		e = num_parse(arg, 1, 1e6, &v), o->count = (unsigned)v;
		break;
	case 'R':
		e = num_parse(arg, 1, 100000, &v), o->rate = (unsigned)v;
		break;
	case 'S':
		e = num_parse(arg, 32, 1200, &v), o->size = (unsigned)v;
		break;
	default:
		return EINVAL;
	}
	if (e)
		fprintf(err, "turn-probe: bad value '%s' for that option\n",
			arg);
	return e;
}

int probe_cli_parse(struct probe_opts *o, int argc, char **argv, FILE *err)
{
	struct cred_args c = { .ttl = 86400 };
	int ch, e;

	memset(o, 0, sizeof(*o));
	o->timeout = 3;
	o->rate = 50;
	o->duration = 2;
	o->size = 160;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":u:p:s:i:r:t:c:R:d:S:jhV",
				 longopts, NULL)) != -1) {
		if (ch == 'h') {
			probe_cli_usage(stdout);
			return ECANCELED;
		}
		if (ch == 'V') {
			printf("turn-probe %s\n", PACKAGE_VERSION);
			return ECANCELED;
		}
		if (ch == '?' || ch == ':') {
			fprintf(err, "turn-probe: %s '%s'\n",
				ch == ':' ? "missing value for"
					  : "unknown option",
				argv[optind - 1]);
			return EINVAL;
		}
		e = one_opt(o, &c, ch, optarg, err);
		if (e)
			return e;
	}
	e = add_uris(o, &c, argc - optind, argv + optind, err);
	if (e)
		probe_opts_free(o);
	return e;
}

void probe_opts_free(struct probe_opts *o)
{
	if (o)
		probe_targets_free(&o->targets);
}
