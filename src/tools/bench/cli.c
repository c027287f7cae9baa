/* cli.c — tern-bench's command line (kept in step with tern-bench(1)). */
#include <config.h> /* autoconf: PACKAGE_VERSION */

#include "base/num.h"
#include "tools/bench/bench.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void bench_cli_usage(FILE *f)
{
	fputs(
	    "usage: tern-bench MODE [options] HOST[:PORT]\n"
	    "modes: relay | alloc | binding | hold\n"
	    "  -u, --user NAME         username (long-term, or REST name)\n"
	    "  -p, --password PASS     long-term password\n"
	    "  -s, --secret S          REST shared secret (password derived)\n"
	    "  -r, --realm R           realm for the key (default: from the "
	    "401)\n"
	    "  -t, --transport P       udp (default), tcp, tls (relay, alloc, "
	    "hold)\n"
	    "      --ca FILE           CA certificate(s) to verify TLS\n"
	    "      --insecure          do not verify the TLS certificate\n"
	    "  -T, --threads N         worker threads (default: online CPUs)\n"
	    "  -n, --allocs N          allocations (relay: 1 per thread, hold: "
	    "100)\n"
	    "  -c, --concurrency C     transactions in flight (alloc, binding; "
	    "16)\n"
	    "  -R, --rate PPS          total rate (relay 1000; alloc, binding: "
	    "max)\n"
	    "  -d, --duration S        measured seconds (default 5)\n"
	    "      --warmup S          warm-up before measuring (default 1)\n"
	    "      --drain S           wait for late packets (default 1)\n"
	    "  -S, --size BYTES        relay payload, 20-1400 (default 160)\n"
	    "  -b, --batch N           datagrams per sendmmsg/recvmmsg (32)\n"
	    "      --send-indications  Send/Data indications, not ChannelData\n"
	    "      --c2c               client to client through allocation "
	    "pairs\n"
	    "      --peer-bind A:P     echo peer address (127.0.0.1:0)\n"
	    "      --drop-peer PCT     echo peer drops PCT%% of packets\n"
	    "      --seed N            seed of --drop-peer (default 1)\n"
	    "      --ramp              search the highest rate with loss <= "
	    "--max-loss\n"
	    "      --step S            seconds per ramp step (default 3)\n"
	    "      --max-loss PCT      (default 0.1)\n"
	    "      --fail-on-loss      exit 1 when loss exceeds --max-loss\n"
	    "      --lifetime S        LIFETIME to ask for (default: none)\n"
	    "      --refresh S         seconds between Refreshes (default "
	    "lifetime/2)\n"
	    "      --server-pid PID    report the server's CPU and context "
	    "switches\n"
	    "                          (relay) or RSS (hold)\n"
	    "      --no-gso            no UDP GSO: one datagram per message\n"
	    "  -j, --json              one JSON object instead of a table\n"
	    "  -h, --help              this text\n"
	    "  -V, --version           print the version and exit\n"
	    "exit status: 0 success, 1 the run failed, 2 usage error\n",
	    f);
}

enum {
	O_CA = 256,
	O_INSECURE,
	O_WARMUP,
	O_DRAIN,
	O_SENDIND,
	O_C2C,
	O_PEERBIND,
	O_DROP,
	O_SEED,
	O_RAMP,
	O_STEP,
	O_MAXLOSS,
	O_FAILLOSS,
	O_LIFETIME,
	O_REFRESH,
	O_PID,
	O_NOGSO,
};

static const struct option longopts[] = {
	{ "user", required_argument, NULL, 'u' },
	{ "password", required_argument, NULL, 'p' },
	{ "secret", required_argument, NULL, 's' },
	{ "realm", required_argument, NULL, 'r' },
	{ "transport", required_argument, NULL, 't' },
	{ "ca", required_argument, NULL, O_CA },
	{ "insecure", no_argument, NULL, O_INSECURE },
	{ "threads", required_argument, NULL, 'T' },
	{ "allocs", required_argument, NULL, 'n' },
	{ "concurrency", required_argument, NULL, 'c' },
	{ "rate", required_argument, NULL, 'R' },
	{ "duration", required_argument, NULL, 'd' },
	{ "warmup", required_argument, NULL, O_WARMUP },
	{ "drain", required_argument, NULL, O_DRAIN },
	{ "size", required_argument, NULL, 'S' },
	{ "batch", required_argument, NULL, 'b' },
	{ "send-indications", no_argument, NULL, O_SENDIND },
	{ "c2c", no_argument, NULL, O_C2C },
	{ "peer-bind", required_argument, NULL, O_PEERBIND },
	{ "drop-peer", required_argument, NULL, O_DROP },
	{ "seed", required_argument, NULL, O_SEED },
	{ "ramp", no_argument, NULL, O_RAMP },
	{ "step", required_argument, NULL, O_STEP },
	{ "max-loss", required_argument, NULL, O_MAXLOSS },
	{ "fail-on-loss", no_argument, NULL, O_FAILLOSS },
	{ "lifetime", required_argument, NULL, O_LIFETIME },
	{ "refresh", required_argument, NULL, O_REFRESH },
	{ "server-pid", required_argument, NULL, O_PID },
	{ "no-gso", no_argument, NULL, O_NOGSO },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static int unum(const char *s, unsigned lo, unsigned hi, unsigned *v)
{
	double d;

	if (num_parse(s, lo, hi, &d) || d != (unsigned)d)
		return EINVAL;
	*v = (unsigned)d;
	return 0;
}

static int set_transport(struct bench_opts *o, const char *s)
{
	if (!strcmp(s, "udp"))
		o->tp = BENCH_UDP;
	else if (!strcmp(s, "tcp"))
		o->tp = BENCH_TCP;
	else if (!strcmp(s, "tls"))
		o->tp = BENCH_TLS;
	else
		return EINVAL;
	return 0;
}

static int set_mode(struct bench_opts *o, const char *s)
{
	static const char *const names[] = { "relay", "alloc", "binding",
					     "hold" };

	for (unsigned i = 0; i < 4; i++) {
		if (!strcmp(s, names[i])) {
			o->mode = (enum bench_mode)i;
			return 0;
		}
	}
	return EINVAL;
}

static void defaults(struct bench_opts *o)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	memset(o, 0, sizeof(*o));
	o->threads = n > 0 ? (unsigned)(n < BENCH_MAX_THREADS ? n : 64) : 1;
	o->concurrency = 16;
	o->batch = 32;
	o->size = 160;
	o->duration = 5;
	o->warmup = 1;
	o->drain = 1;
	o->step = 3;
	o->max_loss = 0.1;
	o->seed = 1;
	o->rate = -1;
	sa_set_str(&o->peer_bind, "127.0.0.1", 0);
}

/* One option; returns 0 or EINVAL. */
static int opt_a(struct bench_opts *o, int ch, const char *a)
{
	unsigned u;
	double d;

	switch (ch) {
	case 'u':
		o->user = a;
		return 0;
	case 'p':
	case 'w': /* the old letter of --password, kept for scripts */
		o->pass = a;
		return 0;
	case 's':
		o->secret = a;
		return 0;
	case 'r':
		o->realm = a;
		return 0;
	case 't':
		return set_transport(o, a);
	case O_CA:
		o->ca = a;
		return 0;
	case O_INSECURE:
		o->insecure = true;
		return 0;
	case 'T':
		return unum(a, 1, BENCH_MAX_THREADS, &o->threads);
	case 'n':
		return unum(a, 1, 1000000, &o->allocs);
	case 'c':
		return unum(a, 1, 100000, &o->concurrency);
	case 'R':
		return num_parse(a, 0, 1e9, &o->rate);
	case 'd':
		return num_parse(a, 0.1, 86400, &o->duration);
	case O_WARMUP:
		return num_parse(a, 0, 600, &o->warmup);
	case O_DRAIN:
		return num_parse(a, 0.1, 600, &o->drain);
	case 'S':
		return unum(a, BENCH_HDR, BENCH_MAX_SIZE, &o->size);
	case 'b':
		return unum(a, 1, BENCH_MAX_BATCH, &o->batch);
	case O_SENDIND:
		o->send_ind = true;
		return 0;
	case O_C2C:
		o->c2c = true;
		return 0;
	case O_PEERBIND:
		return sa_parse(&o->peer_bind, a, 0);
	case O_DROP:
		return num_parse(a, 0, 100, &o->drop_peer);
	case O_SEED:
		return num_parse(a, 0, 1e18, &d) ? EINVAL
						 : (o->seed = (uint64_t)d, 0);
	case O_RAMP:
		o->ramp = true;
		return 0;
	case O_STEP:
		return num_parse(a, 0.5, 600, &o->step);
	case O_MAXLOSS:
		return num_parse(a, 0, 100, &o->max_loss);
	case O_FAILLOSS:
		o->fail_on_loss = true;
		return 0;
	case O_LIFETIME:
		return unum(a, 0, 86400, &o->lifetime);
	case O_REFRESH:
		return num_parse(a, 0.1, 86400, &o->refresh);
	case O_PID:
		return unum(a, 1, 1u << 30, &u) ? EINVAL
						: (o->server_pid = (int)u, 0);
	case 'j':
		o->json = true;
		return 0;
	case O_NOGSO:
		o->no_gso = true;
		return 0;
	default:
		return EINVAL;
	}
}

/* Cross-option rules, each with its own message. */
static int check(struct bench_opts *o)
{
	const char *why = NULL;

	if (!o->user && o->mode != BENCH_BINDING)
		why = "-u USER is required";
	else if (!o->pass == !o->secret && o->mode != BENCH_BINDING)
		why = "give one of -p PASS and -s SECRET";
	else if (o->tp != BENCH_UDP && o->mode == BENCH_BINDING)
		why = "binding mode runs over UDP only";
	else if (o->tp == BENCH_TLS && !o->ca && !o->insecure)
		why = "-t tls needs --ca FILE or --insecure";
	else if (o->c2c && o->send_ind)
		why = "--c2c uses channels; drop --send-indications";
	else if (o->ramp && o->mode != BENCH_RELAY)
		why = "--ramp is for the relay mode";
	if (why) {
		fprintf(stderr, "tern-bench: %s\n", why);
		return EINVAL;
	}
	if (o->rate < 0)
		o->rate = o->mode == BENCH_RELAY ? 1000 : 0;
	if (!o->allocs)
		o->allocs = o->mode == BENCH_HOLD ? 100 : o->threads;
	if (o->c2c && o->allocs < 2 * o->threads)
		o->allocs = 2 * o->threads;
	if (o->allocs < o->threads)
		o->threads = o->allocs;
	return 0;
}

int bench_cli_parse(struct bench_opts *o, int argc, char **argv, bool *help)
{
	int ch;

	defaults(o);
	*help = false;
	while ((ch = getopt_long(argc, argv, "u:p:w:s:r:t:T:n:c:R:d:S:b:jhV",
				 longopts, NULL)) != -1) {
		if (ch == 'h' || ch == 'V') {
			*help = true;
			if (ch == 'h')
				bench_cli_usage(stdout);
			else
				printf("tern-bench %s\n", PACKAGE_VERSION);
			return 0;
		}
		if (ch == '?' || opt_a(o, ch, optarg)) {
			if (ch != '?')
				fprintf(stderr, "tern-bench: bad value '%s'\n",
					optarg);
			goto usage;
		}
	}
	if (argc - optind != 2 || set_mode(o, argv[optind]))
		goto usage;
	o->host = argv[optind + 1];
	if (sa_parse(&o->server, o->host, o->tp == BENCH_TLS ? 5349 : 3478)) {
		fprintf(stderr, "tern-bench: HOST must be a numeric address\n");
		goto usage;
	}
	return check(o);
usage:
	bench_cli_usage(stderr);
	return EINVAL;
}
