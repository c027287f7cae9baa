/*
 * idle.c — the idle-agent benchmark of docs/BENCHMARKS.md: N ICE agents
 * (N/2 pairs, host candidates on 127.0.0.1) in one process on one
 * event_base, connected to each other; then S seconds of nothing but
 * consent freshness. Prints the time to connect them all, and the CPU time
 * and resident memory per agent over the idle period.
 *
 *   tests/ice/ice-idle [AGENTS [SECONDS]]      (1000, 30)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <event2/event.h>

#include "tern/ice.h"

struct one {
	struct tern_ice *ag;
	struct one *peer;
	bool up;
};

static unsigned n_up, n_failed;

static void on_candidate(void *arg, const char *line)
{
	struct one *o = arg;

	tern_ice_add_remote(o->peer->ag, line, NULL, 0);
}

static void on_gathered(void *arg)
{
	struct one *o = arg;

	tern_ice_end_of_candidates(o->peer->ag);
}

static void on_state(void *arg, enum tern_ice_state s)
{
	struct one *o = arg;

	if ((s == TERN_ICE_CONNECTED || s == TERN_ICE_COMPLETED) && !o->up) {
		o->up = true;
		n_up++;
	} else if (s == TERN_ICE_FAILED || s == TERN_ICE_DISCONNECTED) {
		n_failed++;
		if (o->up) {
			o->up = false;
			n_up--;
		}
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			kb = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return kb;
}

int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 1000;
	unsigned secs = argc > 2 ? (unsigned)atoi(argv[2]) : 30;
	struct event_base *base = event_base_new();
	struct one *all;
	struct rlimit rl;
	double t0, t1, c0, c1;
	long rss0, rss1;

	n &= ~1u;
	if (!base || n == 0)
		return 2;
	/* one socket per agent, and a few for the loop */
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	all = calloc(n, sizeof(*all));
	rss0 = rss_kb();
	t0 = now_s();
	for (unsigned i = 0; i < n; i++) {
		struct tern_ice_opts o = {
			.controlling = !(i & 1),
			.trickle = true,
			.loopback = true,
			.no_ipv6 = true,
			.interface = "lo",
			.on_candidate = on_candidate,
			.on_gathered = on_gathered,
			.on_state = on_state,
			.arg = &all[i],
		};
		all[i].peer = &all[i ^ 1];
		if (tern_ice_new(&all[i].ag, base, &o, NULL, 0)) {
			fprintf(stderr, "ice-idle: agent %u: cannot create\n",
				i);
			return 1;
		}
	}
	for (unsigned i = 0; i < n; i += 2) {
		tern_ice_set_remote(all[i].ag, tern_ice_ufrag(all[i + 1].ag),
				    tern_ice_pwd(all[i + 1].ag));
		tern_ice_set_remote(all[i + 1].ag, tern_ice_ufrag(all[i].ag),
				    tern_ice_pwd(all[i].ag));
	}
	for (unsigned i = 0; i < n; i++)
		if (tern_ice_gather(all[i].ag)) {
			fprintf(stderr, "ice-idle: agent %u: no socket (%s)\n",
				i, strerror(errno));
			return 1;
		}
	while (n_up < n && now_s() - t0 < 60)
		event_base_loop(base, EVLOOP_ONCE);
	t1 = now_s();
	printf("agents %u connected %u in %.2f s\n", n, n_up, t1 - t0);
	/* idle: consent only */
	rss1 = rss_kb();
	c0 = cpu_s();
	t0 = now_s();
	{
		struct timeval tv = { (time_t)secs, 0 };
		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
	c1 = cpu_s();
	t1 = now_s();
	printf("idle %.1f s: cpu %.3f s (%.2f %% of one core), %.1f us cpu "
	       "per agent per second\n",
	       t1 - t0, c1 - c0, 100 * (c1 - c0) / (t1 - t0),
	       1e6 * (c1 - c0) / (t1 - t0) / n);
	printf("rss %ld kB before, %ld kB connected: %.1f kB per agent\n", rss0,
	       rss1, (double)(rss1 - rss0) / n);
	printf("still connected after idle: %u of %u (disconnect/fail events "
	       "%u)\n",
	       n_up, n, n_failed);
	for (unsigned i = 0; i < n; i++)
		tern_ice_free(all[i].ag);
	free(all);
	event_base_free(base);
	return n_up == n ? 0 : 1;
}
