/*
 * main.c — ternd: read the configuration, start the workers, wait for a
 * signal, stop cleanly.
 */
#include <config.h> /* autoconf: PACKAGE_VERSION */

#include <errno.h>
#include <event2/event.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "relay/admin.h"
#include "relay/config.h"
#include "relay/worker.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONFIG SYSCONFDIR "/ternd.conf"

enum { EXIT_USAGE = 2 };

struct opts {
	const char *config;
	const char *log_level; /* overrides log.level */
	bool check_only;
	bool log_stderr; /* overrides log.target */
};

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: ternd [OPTION]...\n"
	    "STUN and TURN server (RFC 8489, 5780, 8656).\n"
	    "\n"
	    "  -c, --config FILE     read FILE (default " DEFAULT_CONFIG ")\n"
	    "  -t, --check-config    check the configuration and exit\n"
	    "  -l, --log-level LVL   error, warn, info or debug (overrides "
	    "log.level)\n"
	    "  -e, --stderr          log to stderr whatever log.target says\n"
	    "  -h, --help            show this help and exit\n"
	    "  -V, --version         show the version and exit\n"
	    "\n"
	    "Signals: SIGTERM and SIGINT stop the server.\n"
	    "Exit status: 0 on a clean stop or a good configuration, 1 when "
	    "the\n"
	    "configuration is wrong or the server cannot start, 2 on a usage "
	    "error.\n"
	    "See ternd(8) and ternd.conf(5).\n");
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 't' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "stderr", no_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->config = DEFAULT_CONFIG;
	while ((c = getopt_long(argc, argv, "c:tl:ehV", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 't':
			o->check_only = true;
			break;
		case 'l':
			o->log_level = optarg;
			break;
		case 'e':
			o->log_stderr = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("ternd %s\n", PACKAGE_VERSION);
			exit(0);
		default:
			usage(stderr);
			return EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ternd: unexpected argument '%s'\n",
			argv[optind]);
		return EINVAL;
	}
	return 0;
}

static void on_stop_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	log_info("signal %d: stopping", (int)sig);
	event_base_loopexit(arg, NULL);
}

static void on_hup(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	(void)arg;
	log_warn("SIGHUP: live reload is not implemented yet; restart ternd "
		 "to apply a changed configuration");
}

/* Run until SIGTERM or SIGINT. Returns 0 or an errno. */
static int run(const struct ternd_config *cfg)
{
	struct event_base *base = event_base_new();
	struct event *ev[3] = { NULL, NULL, NULL };
	struct worker_pool *pool = NULL;
	struct admin *admin = NULL;
	char err[512] = "";
	int rc = ENOMEM;

	if (!base)
		goto out;
	ev[0] = evsignal_new(base, SIGTERM, on_stop_signal, base);
	ev[1] = evsignal_new(base, SIGINT, on_stop_signal, base);
	ev[2] = evsignal_new(base, SIGHUP, on_hup, NULL);
	for (int i = 0; i < 3; i++)
		if (!ev[i] || event_add(ev[i], NULL))
			goto out;
	rc = worker_pool_start(&pool, cfg, err, sizeof(err));
	if (rc) {
		log_error("cannot start: %s", err[0] ? err : strerror(rc));
		goto out;
	}
	rc = admin_start(&admin, base, cfg, pool, err, sizeof(err));
	if (rc) {
		log_error("cannot start: %s", err[0] ? err : strerror(rc));
		worker_pool_stop(pool);
		goto out;
	}
	log_info("ternd %s running with %u worker%s (config %s)",
		 PACKAGE_VERSION, cfg->workers, cfg->workers == 1 ? "" : "s",
		 cfg->path);
	event_base_dispatch(base);
	admin_free(admin);
	worker_pool_stop(pool);
	log_info("stopped");
out:
	for (int i = 0; i < 3; i++)
		if (ev[i])
			event_free(ev[i]);
	if (base)
		event_base_free(base);
	return rc;
}

int main(int argc, char **argv)
{
	struct ternd_config *cfg = NULL;
	enum log_level lvl;
	struct opts o = { 0 };
	char err[1024];
	int rc;

	if (parse_args(argc, argv, &o))
		return EXIT_USAGE;
	if (o.log_level && log_level_parse(o.log_level, &lvl)) {
		fprintf(stderr,
			"ternd: --log-level '%s' is not one of error, warn, "
			"info, debug\n",
			o.log_level);
		return EXIT_USAGE;
	}
	rc = config_load(&cfg, o.config, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "ternd: %s\n", err);
		return 1;
	}
	if (o.check_only) {
		printf("%s: configuration OK\n", cfg->path);
		config_free(cfg);
		return 0;
	}
	log_open(o.log_stderr ? LOG_TO_STDERR : cfg->log_target,
		 o.log_level ? lvl : cfg->log_level, "ternd");
	log_set_json(cfg->log_json);
	/* A peer closing a TLS or TCP connection must not kill the server. */
	signal(SIGPIPE, SIG_IGN);
	rc = run(cfg);
	config_free(cfg);
	return rc ? 1 : 0;
}
