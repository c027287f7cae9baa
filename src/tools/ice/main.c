/*
 * main.c — tern-ice (tern-ice(1)): runs libtern's ICE agent against another
 * agent through a line exchange, sends datagrams both ways, and reports the
 * selected pair, its type and the round-trip time.
 *
 * The exchange (one line each, UTF-8, LF; unknown lines are ignored):
 *
 *   written (--out, stdout)          read (--in, stdin)
 *   ufrag <ufrag>                    ufrag <ufrag>
 *   pwd <password>                   pwd <password>
 *   candidate:<...>                  candidate:<...> or a=candidate:<...>
 *   end-of-candidates                end-of-candidates
 *
 * Reports go to stdout too, one keyword each ("state", "selected",
 * "result", "log"), so a peer reading our stdout skips them.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "tern/ice.h"
#include "tern/ice_servers.h"
#include "tern/tern.h"

#define SERVERS_MAX 8
#define LINE_MAX_IN 4096

struct app {
	struct event_base *base;
	struct tern_ice *ag;
	FILE *out;
	int in_fd;
	struct event *in_ev, *tick, *deadline;
	char inbuf[LINE_MAX_IN];
	size_t inlen;
	unsigned count, sent, received;
	unsigned duration;	       /* --duration: seconds of traffic */
	uint64_t first_ms, last_rx_ms; /* first datagram sent, last received */
	unsigned ticks;
	bool verbose, done_data, failed;
	const char *wait_state;
	int rc;
	struct tern_ice_pair_info sel;
	bool have_sel;
	/* the peer's credentials, and a restart in progress */
	char rufrag[LINE_MAX_IN], next_ufrag[LINE_MAX_IN];
	bool initiated; /* we restarted: the peer's new ufrag is its answer */
	bool hold;	/* keep candidate lines until ufrag and pwd are out */
	char *held[40];
	size_t n_held;
};

static void usage(FILE *f)
{
	fputs(
	    "usage: tern-ice [options]\n"
	    "\n"
	    "Runs an ICE agent (libtern) against a peer: local ufrag, pwd and\n"
	    "candidates go out as lines, the peer's come in as lines; then N\n"
	    "datagrams are sent and N expected back on the selected pair.\n"
	    "\n"
	    "  --controlling          take the controlling role (default)\n"
	    "  --controlled           take the controlled role\n"
	    "  --stun URI             a STUN server (repeatable)\n"
	    "  --turn URI             a TURN server (repeatable; turn: or "
	    "turns:)\n"
	    "  --user NAME            username for the --turn servers\n"
	    "  --pass PASS            password for the --turn servers\n"
	    "  --ice-servers JSON     browser iceServers JSON text: "
	    "[{urls, username, credential}]\n"
	    "  --relay-only           iceTransportPolicy relay\n"
	    "  --loopback             host candidates on loopback too\n"
	    "  --link-local           host candidates on link-local "
	    "addresses too\n"
	    "  --interface NAME       host candidates on this interface "
	    "only\n"
	    "  --ipv4, --ipv6         one address family only\n"
	    "  --no-trickle           announce candidates once gathering "
	    "ends\n"
	    "  --ca FILE              CA certificates for turns: servers\n"
	    "  --insecure             do not verify turns: certificates\n"
	    "  --count N              datagrams each way (10)\n"
	    "  --timeout S            give up after S seconds (20)\n"
	    "  --duration S           keep the traffic going S seconds (a "
	    "datagram\n"
	    "                         every 100 ms); end only while the "
	    "peer's arrive\n"
	    "  --wait-state STATE     after the data, wait for this state "
	    "(e.g. failed)\n"
	    "  --in PATH              read the peer's lines from PATH (a "
	    "FIFO; stdin)\n"
	    "  --out PATH             write our lines to PATH (stdout)\n"
	    "  -v, --verbose          log lines from the agent\n"
	    "  -h, --help             this text\n"
	    "  -V, --version          print the version and exit\n"
	    "\n"
	    "Exit status: 0 when the data went both ways (and --wait-state\n"
	    "was reached), 1 on failure or timeout, 2 on a usage error.\n",
	    f);
}

static void out_line(struct app *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void out_line(struct app *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(a->out, fmt, ap);
	va_end(ap);
	fputc('\n', a->out);
	fflush(a->out);
}

static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void report(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void finish(struct app *a, int rc)
{
	a->rc = rc;
	event_base_loopbreak(a->base);
}

static void on_candidate(void *arg, const char *line)
{
	struct app *a = arg;

	if (a->hold) {
		if (a->n_held < 40)
			a->held[a->n_held++] = strdup(line);
		return;
	}
	out_line(a, "%s", line);
}

static void on_gathered(void *arg)
{
	on_candidate(arg, "end-of-candidates");
}

/* ICE restart: new ufrag and pwd first, then the candidates again (the
 * peer must restart before it takes them). */
static void restart(struct app *a)
{
	a->hold = true;
	tern_ice_restart(a->ag);
	a->hold = false;
	out_line(a, "ufrag %s", tern_ice_ufrag(a->ag));
	out_line(a, "pwd %s", tern_ice_pwd(a->ag));
	for (size_t i = 0; i < a->n_held; i++) {
		if (a->held[i])
			out_line(a, "%s", a->held[i]);
		free(a->held[i]);
	}
	a->n_held = 0;
	report("log restarted: ufrag %s", tern_ice_ufrag(a->ag));
}

static bool state_is(enum tern_ice_state s, const char *name)
{
	return name && !strcmp(tern_ice_state_name(s), name);
}

static void on_state(void *arg, enum tern_ice_state s)
{
	struct app *a = arg;

	report("state %s", tern_ice_state_name(s));
	if (a->done_data && state_is(s, a->wait_state)) {
		finish(a, 0);
		return;
	}
	if (s == TERN_ICE_FAILED && !a->wait_state) {
		a->failed = true;
		finish(a, 1);
	}
}

static void on_recv(void *arg, const uint8_t *data, size_t len)
{
	struct app *a = arg;

	(void)data;
	(void)len;
	a->received++;
	a->last_rx_ms = mono_ms();
}

static void print_selected(const struct tern_ice_pair_info *in)
{
	char l[TERN_ADDRSTRLEN], r[TERN_ADDRSTRLEN], m[TERN_ADDRSTRLEN];

	report(
	    "selected local=%s remote=%s type=%s/%s%s%s mapped=%s "
	    "rtt_ms=%u nominated=%s",
	    tern_addr_print((const struct sockaddr *)&in->local_addr, l,
			    sizeof(l)),
	    tern_addr_print((const struct sockaddr *)&in->remote_addr, r,
			    sizeof(r)),
	    in->local_type, in->remote_type, in->relay_proto[0] ? "/" : "",
	    in->relay_proto,
	    tern_addr_print((const struct sockaddr *)&in->mapped, m, sizeof(m)),
	    in->rtt_ms, in->nominated ? "yes" : "no");
}

static void on_selected(void *arg, const struct tern_ice_pair_info *in)
{
	struct app *a = arg;

	a->sel = *in;
	a->have_sel = true;
	print_selected(in);
}

static void on_log(void *arg, const char *line)
{
	struct app *a = arg;

	if (a->verbose)
		report("log %s", line);
}

/* Every 20 ms: send the next datagram; done once both ways are done. */
static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct app *a = arg;
	enum tern_ice_state s = tern_ice_state(a->ag);
	char msg[64];
	bool more;

	(void)fd;
	(void)what;
	if (a->done_data)
		return;
	/* --duration: after the first count, one datagram every 100 ms */
	a->ticks++;
	more = a->sent < a->count ||
	       (a->duration && a->ticks % 5 == 0 &&
		mono_ms() - a->first_ms < a->duration * 1000ull);
	if (a->have_sel && more &&
	    (s == TERN_ICE_CONNECTED || s == TERN_ICE_COMPLETED)) {
		int n = snprintf(msg, sizeof(msg), "tern-ice %u", a->sent);
		if (tern_ice_send(a->ag, msg, (size_t)n) == 0 && !a->sent++)
			a->first_ms = mono_ms();
	}
	if (a->duration && a->sent &&
	    mono_ms() - a->first_ms < a->duration * 1000ull)
		return;
	/* at the end of --duration the peer must still be getting through */
	if (a->duration && a->sent && mono_ms() - a->last_rx_ms > 2000)
		return;
	if (a->sent >= a->count && a->received >= a->count) {
		struct tern_ice_pair_info in;
		a->done_data = true;
		if (tern_ice_selected(a->ag, &in) == 0)
			print_selected(&in);
		report("result ok sent=%u received=%u rtt_ms=%u", a->sent,
		       a->received, a->have_sel ? in.rtt_ms : 0);
		if (!a->wait_state ||
		    state_is(tern_ice_state(a->ag), a->wait_state))
			finish(a, 0);
		else
			event_del(a->tick);
	}
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct app *a = arg;

	(void)fd;
	(void)what;
	report("result timeout state=%s sent=%u received=%u",
	       tern_ice_state_name(tern_ice_state(a->ag)), a->sent,
	       a->received);
	finish(a, 1);
}

static void handle_line(struct app *a, char *line)
{
	char why[256] = "";
	size_t n = strlen(line);
	int err;

	while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
		line[--n] = '\0';
	if (!strncmp(line, "ufrag ", 6)) {
		/* the pwd line follows: keep the ufrag until then */
		snprintf(a->next_ufrag, sizeof(a->next_ufrag), "%s", line + 6);
	} else if (!strncmp(line, "pwd ", 4)) {
		/* new credentials we did not ask for: the peer restarted,
		 * we answer with a restart of our own (RFC 8445 §9) */
		if (a->rufrag[0] && strcmp(a->rufrag, a->next_ufrag) &&
		    !a->initiated)
			restart(a);
		a->initiated = false;
		err = tern_ice_set_remote(a->ag, a->next_ufrag, line + 4);
		if (err)
			report("log bad remote credentials: %s", strerror(err));
		else
			snprintf(a->rufrag, sizeof(a->rufrag), "%s",
				 a->next_ufrag);
	} else if (strstr(line, "candidate") == line ||
		   !strncmp(line, "a=candidate", 11) ||
		   !strcmp(line, "a=end-of-candidates")) {
		err = tern_ice_add_remote(a->ag, line, why, sizeof(why));
		if (err)
			report("log remote candidate refused: %s (%s)",
			       why[0] ? why : strerror(err), line);
	} else if (!strcmp(line, "restart")) {
		a->initiated = true;
		restart(a);
	}
}

static void on_input(evutil_socket_t fd, short what, void *arg)
{
	struct app *a = arg;
	size_t cap = LINE_MAX_IN - 1;
	ssize_t r;

	(void)what;
	r = read(fd, a->inbuf + a->inlen, cap - a->inlen);
	if (r <= 0) {
		if (r == 0 || (errno != EAGAIN && errno != EINTR))
			event_del(a->in_ev);
		return;
	}
	a->inlen += (size_t)r;
	for (;;) {
		char *nl = memchr(a->inbuf, '\n', a->inlen);
		size_t used;
		if (!nl) {
			if (a->inlen == cap)
				a->inlen = 0; /* a line too long: dropped */
			break;
		}
		*nl = '\0';
		used = (size_t)(nl - a->inbuf) + 1;
		{
			char line[LINE_MAX_IN];
			memcpy(line, a->inbuf, used);
			memmove(a->inbuf, nl + 1, a->inlen - used);
			a->inlen -= used;
			handle_line(a, line);
		}
	}
}

/* --ice-servers: [{urls, username, credential}] or {"iceServers": [...]},
 * appended to the --stun/--turn servers; l keeps the strings srv points
 * to. */
static int parse_ice_servers(const char *text, struct tern_ice_server *srv,
			     size_t *n, struct tern_ice_servers *l)
{
	char why[256];

	if (tern_ice_servers_parse(l, text, strlen(text), why, sizeof(why))) {
		fprintf(stderr, "tern-ice: --ice-servers: %s\n", why);
		return EINVAL;
	}
	if (*n + l->n > SERVERS_MAX) {
		fprintf(stderr, "tern-ice: at most %d servers\n", SERVERS_MAX);
		return EINVAL;
	}
	for (size_t i = 0; i < l->n; i++)
		srv[(*n)++] = l->v[i];
	return 0;
}

static unsigned parse_uint(const char *s, const char *opt)
{
	char *e;
	unsigned long v = strtoul(s, &e, 10);

	if (!*s || *e || v > 1000000) {
		fprintf(stderr, "tern-ice: %s: not a number: %s\n", opt, s);
		exit(2);
	}
	return (unsigned)v;
}

int main(int argc, char **argv)
{
	enum {
		O_STUN = 256,
		O_TURN,
		O_USER,
		O_PASS,
		O_ICE,
		O_RELAY,
		O_LOOP,
		O_LL,
		O_V4,
		O_V6,
		O_NOTRICKLE,
		O_CA,
		O_INSEC,
		O_COUNT,
		O_TIMEOUT,
		O_WAIT,
		O_IN,
		O_OUT,
		O_CTL,
		O_CTD,
		O_IF,
		O_DUR
	};
	static const struct option lo[] = {
		{ "controlling", no_argument, NULL, O_CTL },
		{ "controlled", no_argument, NULL, O_CTD },
		{ "stun", required_argument, NULL, O_STUN },
		{ "turn", required_argument, NULL, O_TURN },
		{ "user", required_argument, NULL, O_USER },
		{ "pass", required_argument, NULL, O_PASS },
		{ "ice-servers", required_argument, NULL, O_ICE },
		{ "relay-only", no_argument, NULL, O_RELAY },
		{ "loopback", no_argument, NULL, O_LOOP },
		{ "link-local", no_argument, NULL, O_LL },
		{ "interface", required_argument, NULL, O_IF },
		{ "ipv4", no_argument, NULL, O_V4 },
		{ "ipv6", no_argument, NULL, O_V6 },
		{ "no-trickle", no_argument, NULL, O_NOTRICKLE },
		{ "ca", required_argument, NULL, O_CA },
		{ "insecure", no_argument, NULL, O_INSEC },
		{ "count", required_argument, NULL, O_COUNT },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "duration", required_argument, NULL, O_DUR },
		{ "wait-state", required_argument, NULL, O_WAIT },
		{ "in", required_argument, NULL, O_IN },
		{ "out", required_argument, NULL, O_OUT },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct tern_ice_server srv[SERVERS_MAX];
	bool is_turn[SERVERS_MAX] = { false };
	struct tern_ice_servers ice = { 0 };
	struct tern_ice_opts o = { .controlling = true, .trickle = true };
	struct app a = { .count = 10, .in_fd = 0, .rc = 1 };
	const char *user = NULL, *pass = NULL, *in = NULL, *outp = NULL;
	const char *ice_json = NULL;
	unsigned timeout = 20;
	size_t n = 0;
	char why[256] = "";
	int c, err;

	while ((c = getopt_long(argc, argv, "vhV", lo, NULL)) != -1) {
		switch (c) {
		case O_CTL:
			o.controlling = true;
			break;
		case O_CTD:
			o.controlling = false;
			break;
		case O_STUN:
		case O_TURN:
			if (n == SERVERS_MAX) {
				fprintf(stderr,
					"tern-ice: at most %d servers\n",
					SERVERS_MAX);
				return 2;
			}
			is_turn[n] = c == O_TURN;
			srv[n++] = (struct tern_ice_server){ .url = optarg };
			break;
		case O_USER:
			user = optarg;
			break;
		case O_PASS:
			pass = optarg;
			break;
		case O_ICE:
			ice_json = optarg;
			break;
		case O_RELAY:
			o.policy = TERN_ICE_POLICY_RELAY;
			break;
		case O_LOOP:
			o.loopback = true;
			break;
		case O_LL:
			o.link_local = true;
			break;
		case O_IF:
			o.interface = optarg;
			break;
		case O_V4:
			o.no_ipv6 = true;
			break;
		case O_V6:
			o.no_ipv4 = true;
			break;
		case O_NOTRICKLE:
			o.trickle = false;
			break;
		case O_CA:
			o.ca_file = optarg;
			break;
		case O_INSEC:
			o.insecure = true;
			break;
		case O_COUNT:
			a.count = parse_uint(optarg, "--count");
			break;
		case O_DUR:
			a.duration = parse_uint(optarg, "--duration");
			break;
		case O_TIMEOUT:
			timeout = parse_uint(optarg, "--timeout");
			break;
		case O_WAIT:
			a.wait_state = optarg;
			break;
		case O_IN:
			in = optarg;
			break;
		case O_OUT:
			outp = optarg;
			break;
		case 'v':
			a.verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("tern-ice %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tern-ice: unexpected argument %s\n",
			argv[optind]);
		return 2;
	}
	for (size_t i = 0; i < n; i++)
		if (is_turn[i]) {
			srv[i].username = user;
			srv[i].credential = pass;
		}
	if (ice_json && parse_ice_servers(ice_json, srv, &n, &ice)) {
		tern_ice_servers_free(&ice);
		return 2;
	}
	o.servers = srv;
	o.n_servers = n;
	/* input first: opening a FIFO for reading does not wait, for
	 * writing it waits for a reader (two tern-ice on two FIFOs) */
	if (in && (a.in_fd = open(in, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		fprintf(stderr, "tern-ice: %s: %s\n", in, strerror(errno));
		return 1;
	}
	a.out = stdout;
	if (outp && !(a.out = fopen(outp, "w"))) {
		fprintf(stderr, "tern-ice: %s: %s\n", outp, strerror(errno));
		return 1;
	}
	fcntl(a.in_fd, F_SETFL, fcntl(a.in_fd, F_GETFL) | O_NONBLOCK);
	o.on_candidate = on_candidate;
	o.on_gathered = on_gathered;
	o.on_state = on_state;
	o.on_recv = on_recv;
	o.on_selected = on_selected;
	o.on_log = on_log;
	o.arg = &a;
	a.base = event_base_new();
	if (!a.base)
		return 1;
	err = tern_ice_new(&a.ag, a.base, &o, why, sizeof(why));
	if (err) {
		fprintf(stderr, "tern-ice: %s\n", why[0] ? why : strerror(err));
		return 2;
	}
	out_line(&a, "ufrag %s", tern_ice_ufrag(a.ag));
	out_line(&a, "pwd %s", tern_ice_pwd(a.ag));
	report("role %s", o.controlling ? "controlling" : "controlled");
	err = tern_ice_gather(a.ag);
	if (err) {
		fprintf(stderr, "tern-ice: gathering: %s\n", strerror(err));
		tern_ice_free(a.ag);
		return 1;
	}
	a.in_ev =
	    event_new(a.base, a.in_fd, EV_READ | EV_PERSIST, on_input, &a);
	a.tick = event_new(a.base, -1, EV_PERSIST, on_tick, &a);
	a.deadline = evtimer_new(a.base, on_deadline, &a);
	event_add(a.in_ev, NULL);
	event_add(a.tick, &(struct timeval){ 0, 20000 });
	event_add(a.deadline, &(struct timeval){ timeout, 0 });
	event_base_dispatch(a.base);
	tern_ice_free(a.ag);
	event_free(a.in_ev);
	event_free(a.tick);
	event_free(a.deadline);
	event_base_loop(a.base, EVLOOP_NONBLOCK); /* see tern_client_free */
	event_base_free(a.base);
	tern_ice_servers_free(&ice);
	if (a.out != stdout)
		fclose(a.out);
	return a.rc;
}
