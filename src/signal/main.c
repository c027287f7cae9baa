/*
 * main.c — tern-signal: WebSocket signaling (the classic WebRTC chat
 * sample's protocol), the demo page and TURN REST credentials on one
 * listener. See tern-signal(8) and srv.h.
 */
#include <config.h> /* autoconf: PACKAGE_VERSION */

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "signal/srv.h"

#define DEFAULT_CONF SYSCONFDIR "/tern-signal/tern-signal.conf"
#define STOP_WAIT_MS 2000

static const char usage[] =
    "usage: tern-signal [-c FILE] [--listen ADDR:PORT] [--web DIR]\n"
    "                   [--check-config] [--help] [--version]\n"
    "\n"
    "WebSocket signaling (the classic WebRTC chat sample's protocol), the\n"
    "demo page and TURN REST credentials (/turn-credentials) on one "
    "listener.\n"
    "\n"
    "  -c, --config FILE   the configuration file (default " DEFAULT_CONF ";\n"
    "                      without it and without -c: built-in defaults)\n"
    "  --listen ADDR:PORT  listen there (default 127.0.0.1:6503); "
    "overrides\n"
    "                      the file's listen\n"
    "  --web DIR           serve the page from DIR (default: the file's "
    "web,\n"
    "                      else the source tree's web/ when run from the\n"
    "                      build tree, else " SIG_DATA_WEB ")\n"
    "  --check-config      load the configuration, report, exit (0: "
    "good)\n"
    "  -h, --help          this text\n"
    "  --version           the version\n";

struct args {
	const char *conf, *listen, *web;
	bool check;
};

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option longs[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "web", required_argument, NULL, 'w' },
		{ "check-config", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int o;

	while ((o = getopt_long(argc, argv, "c:h", longs, NULL)) != -1) {
		switch (o) {
		case 'c':
			a->conf = optarg;
			break;
		case 'l':
			a->listen = optarg;
			break;
		case 'w':
			a->web = optarg;
			break;
		case 'k':
			a->check = true;
			break;
		case 'h':
			fputs(usage, stdout);
			exit(0);
		case 'V':
			printf("tern-signal %s\n", PACKAGE_VERSION);
			exit(0);
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tern-signal: unexpected argument %s\n%s",
			argv[optind], usage);
		return 2;
	}
	return 0;
}

/* The web root when neither the file nor --web names one: the source
 * tree's web/ for a binary in this build tree, else the installed one. */
static const char *default_web(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	size_t b = strlen(SIG_BUILD_DIR);

	if (n > 0) {
		exe[n] = '\0';
		if (!strncmp(exe, SIG_BUILD_DIR, b) && exe[b] == '/')
			return SIG_SRC_WEB;
	}
	return SIG_DATA_WEB;
}

static int load(const struct args *a, struct sig_conf **cp)
{
	char err[1024];
	const char *path = a->conf;
	int rc;

	if (!path && access(DEFAULT_CONF, F_OK) == 0)
		path = DEFAULT_CONF;
	rc = path ? sig_conf_load(cp, path, err, sizeof(err))
		  : sig_conf_defaults(cp);
	if (rc) {
		fprintf(stderr, "tern-signal: %s\n",
			path ? err : "out of memory");
		return 1;
	}
	if (a->listen && sig_conf_set_listen(*cp, a->listen)) {
		fprintf(stderr,
			"tern-signal: --listen %s: say ADDR:PORT "
			"(127.0.0.1:6503, [::1]:6503)\n",
			a->listen);
		return 2;
	}
	if (sig_conf_set_str(&(*cp)->web, a->web       ? a->web
					  : (*cp)->web ? (*cp)->web
						       : default_web()))
		return 1;
	return 0;
}

struct stopper {
	struct srv *s;
	struct event_base *base;
	struct event *poll;
	int stops;
	int waited_ms;
};

static void on_poll(evutil_socket_t fd, short what, void *arg)
{
	struct stopper *st = arg;

	(void)fd;
	(void)what;
	st->waited_ms += 50;
	if (srv_conns(st->s) == 0 || st->waited_ms >= STOP_WAIT_MS)
		event_base_loopbreak(st->base);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct stopper *st = arg;
	struct timeval tv = { 0, 50000 };

	(void)what;
	if (st->stops++) { /* a second signal: now */
		event_base_loopbreak(st->base);
		return;
	}
	log_info("signal %d: stopping", (int)sig);
	srv_stop(st->s);
	st->poll = event_new(st->base, -1, EV_PERSIST, on_poll, st);
	if (!st->poll || event_add(st->poll, &tv))
		event_base_loopbreak(st->base);
}

static int run(const struct sig_conf *cf)
{
	struct event_base *base = event_base_new();
	struct stopper st = { 0 };
	struct event *sint = NULL, *sterm = NULL;
	char as[SA_STRLEN];
	int rc = 1;

	if (!base)
		return 1;
	st.base = base;
	if (srv_alloc(&st.s, base, cf))
		goto out;
	sint = evsignal_new(base, SIGINT, on_signal, &st);
	sterm = evsignal_new(base, SIGTERM, on_signal, &st);
	if (!sint || !sterm || event_add(sint, NULL) || event_add(sterm, NULL))
		goto out;
	printf("tern-signal: listening on %s://%s/\n",
	       cf->tls_cert ? "https" : "http",
	       sa_print(&cf->listen, as, sizeof(as)));
	fflush(stdout);
	log_info("web root %s; TURN credentials %s", cf->web,
		 cf->secret	  ? "from turn.secret"
		 : cf->redis_host ? "from Redis"
				  : "off (no secret)");
	rc = event_base_dispatch(base) < 0;
	log_info("stopped");
out:
	if (st.poll)
		event_free(st.poll);
	if (sint)
		event_free(sint);
	if (sterm)
		event_free(sterm);
	srv_free(st.s);
	event_base_free(base);
	return rc;
}

int main(int argc, char **argv)
{
	struct args a = { 0 };
	struct sig_conf *cf = NULL;
	int rc;

	rc = parse_args(argc, argv, &a);
	if (!rc)
		rc = load(&a, &cf);
	if (rc) {
		sig_conf_free(cf);
		return rc;
	}
	if (a.check) {
		char err[512];

		if (srv_check_tls(cf, err, sizeof(err))) {
			fprintf(stderr, "tern-signal: %s: %s\n",
				cf->path ? cf->path : "built-in defaults", err);
			sig_conf_free(cf);
			return 1;
		}
		printf("%s: good\n", cf->path ? cf->path : "built-in defaults");
		sig_conf_free(cf);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	log_open(LOG_TO_STDERR, cf->log_level, "tern-signal");
	rc = run(cf);
	sig_conf_free(cf);
	return rc;
}
