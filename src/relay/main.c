/*
 * main.c — ternd: read the configuration, start the workers, drop
 * privileges, tell the service manager, then act on signals: reload
 * (SIGHUP), drain (SIGUSR1, SIGUSR2 ends it), drain and stop (SIGTERM),
 * stop (SIGINT); stop cleanly.
 */
#include <config.h> /* autoconf: PACKAGE_VERSION */

#include <errno.h>
#include <event2/event.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "relay/mgmt.h"
#include "relay/bindhint.h"
#include "relay/conf.h"
#include "relay/discover.h"
#include "relay/notify.h"
#include "relay/privs.h"
#include "relay/reload.h"
#include "relay/worker.h"

/* $(sysconfdir)/ternd/ternd.conf: /etc/ternd/ternd.conf in the Debian
 * package and with configure --sysconfdir=/etc, where make install puts it
 * too (Makefile.am, terndconfdir). */
#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONFIG SYSCONFDIR "/ternd/ternd.conf"

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
	    "Signals:\n"
	    "  SIGHUP   reload the configuration: users, secrets, peer "
	    "policy, quotas,\n"
	    "           log level, TLS certificates (a broken file is "
	    "refused)\n"
	    "  SIGUSR1  drain: refuse new allocations, keep relaying the "
	    "others\n"
	    "  SIGUSR2  end a drain started by SIGUSR1\n"
	    "  SIGTERM  drain for up to drain.timeout seconds, then stop "
	    "(again: stop)\n"
	    "  SIGINT   stop at once\n"
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

/* ---- the running server ------------------------------------------------ */

/* Everything the signal handlers act on; main thread only. */
struct ternd {
	struct event_base *base;
	struct ternd_config *cfg; /* running; owned */
	/* configurations a late worker may still read (a reload that timed
	 * out waiting for it): freed after the pool stops */
	struct ternd_config **kept;
	size_t nkept;
	struct worker_pool *pool;
	struct mgmt *mgmt;
	bool lvl_override; /* -l: log.level of the file does not apply */
	bool log_stderr;   /* -e: log.target and log.file do not apply */
	enum log_level lvl;
	bool stopping;	    /* STOPPING=1 sent */
	bool term_drain;    /* SIGTERM's drain under way */
	uint64_t stop_at;   /* ... its deadline (clock_mono_ms) */
	uint64_t said_left; /* allocations left, as last logged */
	uint64_t said_at;
	struct event *drain_ev; /* once a second while term_drain */
	struct event *dog_ev;	/* watchdog pings */
	uint64_t dog_limit_ms;	/* a worker stalled longer: no ping */
	bool dog_held;		/* pings held back, said so */
};

/* The drain progress is logged when the count changes, at least this
 * often otherwise. */
#define DRAIN_SAY_MS 10000
/* A worker's loop turns at least once a second; one that has not for this
 * long (or half the watchdog interval, if longer) is taken as hung. */
#define STALL_MIN_MS 5000

static uint64_t allocs_left(const struct ternd *t)
{
	struct pool_stats st;

	worker_pool_stats(t->pool, &st);
	return st.turn.allocs_active;
}

static const char *refusal(const struct ternd_config *cfg, char *buf,
			   size_t size)
{
	char a[SA_STRLEN];

	if (!sa_is_set(&cfg->alternate_server))
		return "508";
	snprintf(buf, size, "300 with ALTERNATE-SERVER %s",
		 sa_print(&cfg->alternate_server, a, sizeof(a)));
	return buf;
}

static void notify_serving(const struct ternd *t)
{
	if (worker_pool_draining(t->pool))
		notify_ready("draining: new allocations are refused");
	else
		notify_ready("serving with %u worker%s", t->cfg->workers,
			     t->cfg->workers == 1 ? "" : "s");
}

static void stop(struct ternd *t)
{
	if (!t->stopping)
		notify_stopping();
	t->stopping = true;
	event_base_loopexit(t->base, NULL);
}

/* ---- signals: stop and drain -------------------------------------------- */

static void on_int(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	log_info("SIGINT: stopping");
	stop(arg);
}

/* Once a second during SIGTERM's drain: stop when the last allocation is
 * gone or the deadline has passed. The count is what the workers
 * published, at most a second old. */
static void drain_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ternd *t = arg;
	uint64_t now = clock_mono_ms(), left = allocs_left(t);
	uint64_t to_go = t->stop_at > now ? (t->stop_at - now + 999) / 1000 : 0;
	struct timeval one = { 1, 0 };

	(void)fd;
	(void)what;
	if (!left) {
		log_info("drained: no allocation left; stopping");
		stop(t);
		return;
	}
	if (!to_go) {
		log_info("drain.timeout passed with %" PRIu64 " allocation%s "
			 "left; stopping",
			 left, left == 1 ? "" : "s");
		stop(t);
		return;
	}
	if (left != t->said_left || now - t->said_at >= DRAIN_SAY_MS) {
		log_info("draining: %" PRIu64 " allocation%s left, %" PRIu64
			 " s to go",
			 left, left == 1 ? "" : "s", to_go);
		t->said_left = left;
		t->said_at = now;
	}
	notify_status("draining before stopping: %" PRIu64 " allocations "
		      "left, %" PRIu64 " s to go",
		      left, to_go);
	evtimer_add(t->drain_ev, &one);
}

/* SIGTERM: stop, after a drain of at most drain.timeout seconds; a second
 * SIGTERM during it stops at once. */
static void on_term(evutil_socket_t sig, short what, void *arg)
{
	struct ternd *t = arg;
	unsigned secs = t->cfg->drain_timeout_s;
	struct timeval one = { 1, 0 };
	char buf[96];

	(void)sig;
	(void)what;
	if (t->term_drain || !secs) {
		log_info("SIGTERM%s: stopping", t->term_drain ? " again" : "");
		stop(t);
		return;
	}
	t->term_drain = true;
	t->stop_at = clock_mono_ms() + secs * 1000ull;
	t->said_left = allocs_left(t);
	t->said_at = clock_mono_ms();
	notify_stopping();
	t->stopping = true;
	worker_pool_drain(t->pool, true);
	log_info("SIGTERM: draining for at most %u s, then stopping: new "
		 "allocations are answered %s, the %" PRIu64 " existing keep "
		 "relaying until they end (SIGTERM again or SIGINT stops at "
		 "once)",
		 secs, refusal(t->cfg, buf, sizeof(buf)), t->said_left);
	evtimer_add(t->drain_ev, &one);
}

/* SIGUSR1: drain without stopping (before a scale-down, say). Sending it
 * again changes nothing; SIGUSR2 ends the drain. */
static void on_usr1(evutil_socket_t sig, short what, void *arg)
{
	struct ternd *t = arg;
	char buf[96];

	(void)sig;
	(void)what;
	if (worker_pool_draining(t->pool)) {
		log_info("SIGUSR1: already draining");
		return;
	}
	worker_pool_drain(t->pool, true);
	log_info("SIGUSR1: draining: new allocations are answered %s, the "
		 "%" PRIu64 " existing keep relaying (SIGUSR2 ends the drain)",
		 refusal(t->cfg, buf, sizeof(buf)), allocs_left(t));
	notify_status("draining: new allocations are refused");
}

/* SIGUSR2: accept allocations again after SIGUSR1 (not during SIGTERM's
 * drain: the server is on its way out). */
static void on_usr2(evutil_socket_t sig, short what, void *arg)
{
	struct ternd *t = arg;

	(void)sig;
	(void)what;
	if (t->term_drain) {
		log_warn("SIGUSR2: ternd is stopping (SIGTERM); the drain goes "
			 "on");
		return;
	}
	if (!worker_pool_draining(t->pool)) {
		log_info("SIGUSR2: not draining");
		return;
	}
	worker_pool_drain(t->pool, false);
	log_info("SIGUSR2: drain ended: new allocations are accepted again");
	notify_status("serving with %u worker%s", t->cfg->workers,
		      t->cfg->workers == 1 ? "" : "s");
}

/* ---- SIGHUP: reload ----------------------------------------------------- */

static void warn_fixed(void *arg, const char *setting)
{
	(void)arg;
	log_warn("%s changed: restart ternd to apply; the running value "
		 "stays",
		 setting);
}

static void log_apply(const struct ternd *t)
{
	log_set_level(t->lvl_override ? t->lvl : t->cfg->log_level);
	log_set_json(t->cfg->log_json);
}

/* A configuration some late worker may still read: kept until the end
 * (if even that fails, it is leaked rather than freed under a reader). */
static void keep_old(struct ternd *t, struct ternd_config *old)
{
	struct ternd_config **v =
	    realloc(t->kept, (t->nkept + 1) * sizeof(*t->kept));

	if (!v)
		return;
	v[t->nkept++] = old;
	t->kept = v;
}

/*
 * Read the file again into a new configuration, put the running values of
 * the restart-only settings back into it (each one that differed named in
 * a warning), and hand it to the workers, which switch between two
 * packets. A file that does not load is refused whole, with its FILE:LINE
 * reason, and the running configuration stays.
 */
static void reload(struct ternd *t)
{
	struct ternd_config *next = NULL, *old = t->cfg;
	char err[1024] = "";
	int rc;

	log_info("SIGHUP: reloading %s", old->path);
	rc = config_load(&next, old->path, err, sizeof(err));
	if (!rc && (rc = reload_keep_fixed(next, old, warn_fixed, NULL)))
		snprintf(err, sizeof(err), "%s", strerror(rc));
	if (!rc)
		rc = worker_pool_reload(t->pool, next, err, sizeof(err));
	if (rc && rc != ETIMEDOUT) {
		log_error("reload refused: %s; the running configuration "
			  "stays",
			  err[0] ? err : strerror(rc));
		config_free(next);
		return;
	}
	if (rc) {
		log_error("reload: %s", err);
		keep_old(t, old);
	} else {
		config_free(old);
	}
	t->cfg = next;
	mgmt_set_cfg(t->mgmt, next);
	log_apply(t);
	log_info("reloaded configuration from %s", next->path);
}

/* log.file after a rotation: the same path again, here in the main
 * thread; workers go on writing to file descriptor 2, which dup2 swaps
 * under them whole (log_file_open). */
static void log_reopen(const struct ternd *t)
{
	int rc;

	if (t->log_stderr || !t->cfg->log_file)
		return;
	rc = log_file_open(t->cfg->log_file);
	if (rc)
		log_error("SIGHUP: cannot reopen log.file %s: %s; logging to "
			  "the old file",
			  t->cfg->log_file, strerror(rc));
	else
		log_info("SIGHUP: log file %s reopened", t->cfg->log_file);
}

static void on_hup(evutil_socket_t sig, short what, void *arg)
{
	struct ternd *t = arg;

	(void)sig;
	(void)what;
	log_reopen(t);
	/* during SIGTERM's drain the service manager has been told
	 * STOPPING=1: a reload still applies, silently */
	if (!t->stopping)
		notify_reloading();
	reload(t);
	if (!t->stopping)
		notify_serving(t);
}

/* ---- watchdog ----------------------------------------------------------- */

/* WATCHDOG=1, but only while every worker's loop turns: a hung worker
 * stops the pings, and the service manager restarts ternd. */
static void dog_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ternd *t = arg;
	unsigned w = 0;
	uint64_t stalled = worker_pool_stalled_ms(t->pool, clock_mono_ms(), &w);

	(void)fd;
	(void)what;
	if (stalled > t->dog_limit_ms) {
		if (!t->dog_held)
			log_error("worker %u's event loop has not turned for "
				  "%" PRIu64 " ms: no more watchdog pings, so "
				  "the service manager restarts ternd",
				  w, stalled);
		t->dog_held = true;
		return;
	}
	if (t->dog_held)
		log_info("every worker's event loop turns again: watchdog "
			 "pings resume");
	t->dog_held = false;
	notify_watchdog();
}

static int dog_start(struct ternd *t)
{
	uint64_t usec = notify_watchdog_usec(), half = usec / 2;
	struct timeval tv = { (time_t)(half / 1000000),
			      (suseconds_t)(half % 1000000) };

	if (!usec)
		return 0;
	t->dog_limit_ms =
	    half / 1000 > STALL_MIN_MS ? half / 1000 : STALL_MIN_MS;
	t->dog_ev = event_new(t->base, -1, EV_PERSIST, dog_cb, t);
	if (!t->dog_ev || event_add(t->dog_ev, &tv))
		return ENOMEM;
	log_info("watchdog: a ping every %" PRIu64 " ms", half / 1000);
	notify_watchdog();
	return 0;
}

/* ---- start and stop ----------------------------------------------------- */

enum { NSIG_EV = 5 };

static int signals_add(struct ternd *t, struct event *ev[NSIG_EV])
{
	static const int sigs[NSIG_EV] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1,
					   SIGUSR2 };
	static const event_callback_fn cbs[NSIG_EV] = { on_term, on_int, on_hup,
							on_usr1, on_usr2 };

	for (int i = 0; i < NSIG_EV; i++) {
		ev[i] = evsignal_new(t->base, sigs[i], cbs[i], t);
		if (!ev[i] || event_add(ev[i], NULL))
			return ENOMEM;
	}
	t->drain_ev = evtimer_new(t->base, drain_cb, t);
	return t->drain_ev ? 0 : ENOMEM;
}

/* "udp:ADDR:PORT,tcp:..." for every listen address and transport. */
static void say_listeners(const struct ternd_config *c, char *buf, size_t size)
{
	const char *name[4] = { "udp", "tcp", "tls", "dtls" };
	uint16_t port[4] = { c->udp_port, c->tcp_port, c->tls_port,
			     c->dtls_port };
	char a[SA_STRLEN];
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < c->nlisten; i++) {
		for (int k = 0; k < 4 && n < size; k++) {
			struct sa s = c->listen[i].addr;

			if (!port[k])
				continue;
			sa_set_port(&s, port[k]);
			n += (size_t)snprintf(buf + n, size - n, "%s%s:%s",
					      n ? "," : "", name[k],
					      sa_print(&s, a, sizeof(a)));
		}
	}
}

/* "PUBLIC/BOUND,..." (relay.advertise and relay.discover), or "-". */
static void say_advertised(const struct ternd_config *c, char *buf, size_t size)
{
	char p[SA_STRLEN], b[SA_STRLEN];
	size_t n = 0;

	snprintf(buf, size, "-");
	for (size_t i = 0; i < c->nadvertise && n < size; i++) {
		const struct cfg_advert *m = &c->advertise[i];

		n += (size_t)snprintf(
		    buf + n, size - n, "%s%s/%s", n ? "," : "",
		    sa_print_addr(&m->pub, p, sizeof(p)),
		    sa_is_set(&m->bound)
			? sa_print_addr(&m->bound, b, sizeof(b))
			: "*");
	}
}

/*
 * One line that says what this ternd serves, for whoever reads the log
 * first:
 *   serving: turn=on realm="example.org" store=config
 *     listen=udp:0.0.0.0:3478,tcp:0.0.0.0:3478 relay=192.0.2.1
 *     ports=49152-65535 advertise=203.0.113.10/192.0.2.1
 */
static void say_summary(const struct ternd_config *c)
{
	char realm[LOG_ESC_SIZE(128)] = "", ls[600], relay[200], a[SA_STRLEN];
	char adv[300];
	size_t n = 0;

	if (c->realm)
		log_escape(realm, sizeof(realm), c->realm,
			   strnlen(c->realm, 128));
	say_listeners(c, ls, sizeof(ls));
	relay[0] = '\0';
	for (size_t i = 0; i < c->nrelay_addrs && n < sizeof(relay); i++)
		n += (size_t)snprintf(
		    relay + n, sizeof(relay) - n, "%s%s", i ? "," : "",
		    sa_print_addr(&c->relay_addrs[i], a, sizeof(a)));
	say_advertised(c, adv, sizeof(adv));
	log_info("serving: turn=%s realm=\"%s\" store=%s listen=%s relay=%s "
		 "ports=%u-%u advertise=%s",
		 c->turn ? "on" : "off", realm,
		 c->store == CFG_STORE_REDIS ? "redis" : "config", ls,
		 c->turn ? relay : "-", (unsigned)c->relay_port_min,
		 (unsigned)c->relay_port_max, adv);
}

/* Bound, privileges dropped: tell the service manager, start pinging. */
static int serve(struct ternd *t)
{
	char err[512] = "";
	int rc;

	rc = privs_drop(t->cfg, err, sizeof(err));
	if (rc) {
		log_error("cannot start: %s", err);
		return rc;
	}
	log_info("ternd %s running with %u worker%s (config %s)",
		 PACKAGE_VERSION, t->cfg->workers,
		 t->cfg->workers == 1 ? "" : "s", t->cfg->path);
	say_summary(t->cfg);
	notify_serving(t);
	if ((rc = dog_start(t)))
		return rc;
	event_base_dispatch(t->base);
	return 0;
}

/* The workers with their listeners, once the relay addresses are known to
 * be on this host (a 1:1 NAT's public address is not). */
static int start_pool(struct worker_pool **pp, const struct ternd_config *cfg,
		      char *err, size_t errlen)
{
	struct worker_pool *pool;
	int rc = worker_pool_start(&pool, cfg, err, errlen);

	if (!rc && cfg->turn &&
	    (rc = bind_check_relay(cfg->relay_addrs, cfg->nrelay_addrs, err,
				   errlen))) {
		worker_pool_stop(pool);
		return rc;
	}
	if (!rc)
		*pp = pool;
	return rc;
}

/* Run until stopped. Returns 0 or an errno. */
static int run(struct ternd *t)
{
	struct event_base *base = event_base_new();
	struct event *ev[NSIG_EV] = { NULL };
	struct worker_pool *pool = NULL;
	struct mgmt *mgmt = NULL;
	const struct ternd_config *cfg = t->cfg;
	char err[512] = "";
	int rc = ENOMEM;

	t->base = base;
	if (!base || signals_add(t, ev))
		goto out;
	rc = privs_check(cfg, err, sizeof(err));
	if (rc) {
		log_error("cannot start: %s", err);
		goto out;
	}
	rc = start_pool(&pool, cfg, err, sizeof(err));
	if (rc) {
		log_error("cannot start: %s", err[0] ? err : strerror(rc));
		goto out;
	}
	t->pool = pool;
	rc = mgmt_start(&mgmt, base, cfg, pool, err, sizeof(err));
	if (rc) {
		log_error("cannot start: %s", err[0] ? err : strerror(rc));
		worker_pool_stop(pool);
		goto out;
	}
	t->mgmt = mgmt;
	rc = serve(t);
	if (!t->stopping)
		notify_stopping();
	mgmt_free(mgmt);
	worker_pool_stop(pool);
	if (!rc)
		log_info("stopped");
out:
	for (int i = 0; i < NSIG_EV; i++)
		if (ev[i])
			event_free(ev[i]);
	if (t->drain_ev)
		event_free(t->drain_ev);
	if (t->dog_ev)
		event_free(t->dog_ev);
	if (base)
		event_base_free(base);
	return rc;
}

int main(int argc, char **argv)
{
	struct ternd t = { 0 };
	struct opts o = { 0 };
	char err[1024];
	int rc;

	if (parse_args(argc, argv, &o))
		return EXIT_USAGE;
	if (o.log_level && log_level_parse(o.log_level, &t.lvl)) {
		fprintf(stderr,
			"ternd: --log-level '%s' is not one of error, warn, "
			"info, debug\n",
			o.log_level);
		return EXIT_USAGE;
	}
	t.lvl_override = o.log_level != NULL;
	rc = config_load(&t.cfg, o.config, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "ternd: %s\n", err);
		return 1;
	}
	if (config_nat_warning(t.cfg, err, sizeof(err)) && o.check_only)
		fprintf(stderr, "ternd: warning: %s\n", err);
	if (o.check_only) {
		printf("%s: configuration OK\n", t.cfg->path);
		config_free(t.cfg);
		return 0;
	}
	log_open(o.log_stderr ? LOG_TO_STDERR : t.cfg->log_target,
		 t.lvl_override ? t.lvl : t.cfg->log_level, "ternd");
	log_set_json(t.cfg->log_json);
	t.log_stderr = o.log_stderr;
	if (!o.log_stderr && t.cfg->log_file &&
	    (rc = log_file_open(t.cfg->log_file))) {
		fprintf(stderr, "ternd: cannot open log.file %s: %s\n",
			t.cfg->log_file, strerror(rc));
		config_free(t.cfg);
		return 1;
	}
	if (t.cfg->turn && t.cfg->discover && discover_run(t.cfg)) {
		log_error("cannot start: out of memory");
		config_free(t.cfg);
		return 1;
	}
	if (config_nat_warning(t.cfg, err, sizeof(err)))
		log_warn("%s", err);
	/* A peer closing a TLS or TCP connection must not kill the server. */
	signal(SIGPIPE, SIG_IGN);
	rc = run(&t);
	config_free(t.cfg);
	for (size_t i = 0; i < t.nkept; i++)
		config_free(t.kept[i]);
	free(t.kept);
	return rc ? 1 : 0;
}
