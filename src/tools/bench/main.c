/* main.c — tern-bench: threads, phases, the ramp, the exit status.
 *
 * Worker threads own their sockets and clients; the main thread only plans
 * phases and reads counters while every worker waits at the barrier, so no
 * counter is shared while it changes. */
#include "tools/bench/bench.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"

#define REST_TTL_S 86400

static void run_phase(struct bench_thread *t)
{
	switch (t->run->phase) {
	case PH_RELAY_SETUP:
		bench_relay_setup(t);
		break;
	case PH_RELAY_STEP:
		bench_relay_step(t);
		break;
	case PH_ALLOC:
		bench_alloc_run(t);
		break;
	case PH_BINDING:
		bench_binding_run(t);
		break;
	case PH_HOLD_OPEN:
		bench_hold_open(t);
		break;
	case PH_HOLD_KEEP:
		bench_hold_keep(t);
		break;
	case PH_RELEASE:
		bench_release_all(t);
		break;
	case PH_QUIT:
		break;
	}
}

static void *thread_main(void *arg)
{
	struct bench_thread *t = arg;

	for (;;) {
		pthread_barrier_wait(&t->run->bar);
		if (t->run->phase == PH_QUIT)
			break;
		run_phase(t);
		pthread_barrier_wait(&t->run->bar);
	}
	return NULL;
}

static void phase_begin(struct bench_run *r, enum bench_phase ph)
{
	r->phase = ph;
	pthread_barrier_wait(&r->bar);
}

static void phase_end(struct bench_run *r)
{
	pthread_barrier_wait(&r->bar);
}

static void sleep_until(uint64_t ns)
{
	uint64_t now = bench_now_ns();
	struct timespec ts;

	if (now >= ns)
		return;
	ts.tv_sec = (time_t)((ns - now) / 1000000000ull);
	ts.tv_nsec = (long)((ns - now) % 1000000000ull);
	nanosleep(&ts, NULL);
}

/* Sum the threads' counters; true when any saw a refused password. */
static bool merge(const struct bench_run *r, struct bench_stats *s)
{
	bool auth = false;

	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < r->nth; i++) {
		const struct bench_stats *x = &r->th[i].st;
		s->sent += x->sent;
		s->recv += x->recv;
		s->bytes += x->bytes;
		s->late += x->late;
		s->dropped_peer += x->dropped_peer;
		s->blocked += x->blocked;
		s->ok += x->ok;
		s->fail += x->fail;
		s->timeouts += x->timeouts;
		s->held += x->held;
		for (unsigned c = 0; c < BENCH_MAX_CODE; c++)
			s->errs[c] += x->errs[c];
		bench_hist_merge(&s->hist, &x->hist);
		auth |= r->th[i].auth_failed;
	}
	return auth;
}

/* The server's CPU seconds and context switches so far (-1: unknown). */
static void server_now(const struct bench_opts *o, double *cpu, double *sw)
{
	if (!o->server_pid || bench_proc_cpu(o->server_pid, cpu))
		*cpu = -1;
	if (!o->server_pid || bench_proc_switches(o->server_pid, sw))
		*sw = -1;
}

/* One measured relay step at a total rate; fills res. */
static void relay_step(struct bench_run *r, double rate, double secs,
		       struct bench_result *res)
{
	const struct bench_opts *o = r->o;
	struct bench_sched *s = &r->sched;
	uint64_t now = bench_now_ns();
	double c0, c1, w0, w1;

	s->step += 2;
	s->rate = rate / r->nth;
	s->t_measure = now + (uint64_t)(o->warmup * 1e9);
	s->t_stop = s->t_measure + (uint64_t)(secs * 1e9);
	s->t_end = s->t_stop + (uint64_t)(o->drain * 1e9);
	phase_begin(r, PH_RELAY_STEP);
	sleep_until(s->t_measure);
	server_now(o, &c0, &w0);
	sleep_until(s->t_end);
	server_now(o, &c1, &w1);
	phase_end(r);
	merge(r, &res->st);
	res->secs = secs;
	res->rate = rate;
	res->cpu_s = c0 >= 0 && c1 >= 0 ? c1 - c0 : -1;
	res->switches = w0 >= 0 && w1 >= 0 ? w1 - w0 : -1;
}

static bool sent_enough(const struct bench_result *x)
{
	return x->rate <= 0 || (double)x->st.sent >= 0.95 * x->rate * x->secs;
}

static bool step_ok(const struct bench_opts *o, const struct bench_result *x)
{
	return x->st.sent > 0 && bench_loss_pct(&x->st) <= o->max_loss &&
	       sent_enough(x);
}

/* Double the rate until a step fails, then bisect to within 5%. The best
 * passing step is the result (or the last one when none passed). */
static void ramp(struct bench_run *r, struct bench_result *best)
{
	double rate = r->o->rate > 0 ? r->o->rate : 1000, lo = 0, hi = 0;
	struct bench_result *x = calloc(1, sizeof(*x));
	const char *limit = "none";
	bool any = false;
	unsigned n;

	for (n = 0; n < 24 && x; n++) {
		relay_step(r, rate, r->o->step, x);
		if (!r->o->json)
			fprintf(stderr, "ramp: %.0f pkt/s -> loss %.3f%%\n",
				rate, bench_loss_pct(&x->st));
		if (step_ok(r->o, x)) {
			*best = *x;
			any = true;
			lo = rate;
		} else {
			hi = rate;
			limit = sent_enough(x) ? "loss" : "generator";
			if (!any)
				*best = *x;
		}
		if (hi > 0 && (hi - lo) / hi < 0.05)
			break;
		rate = hi > 0 ? (lo + hi) / 2 : rate * 2;
	}
	best->ramp_steps = n + 1;
	best->ramp_limit = limit;
	free(x);
}

static void say_failures(const char *what, const struct bench_stats *s,
			 bool auth)
{
	if (auth) {
		fprintf(stderr,
			"tern-bench: authentication failed: the server refused "
			"our credentials with 401 (check -u, -w or --secret, "
			"and --realm)\n");
		return;
	}
	fprintf(stderr, "tern-bench: %s: %llu failed (%llu without answer)",
		what, (unsigned long long)s->fail,
		(unsigned long long)s->timeouts);
	for (unsigned c = 1; c < BENCH_MAX_CODE; c++) {
		if (s->errs[c])
			fprintf(stderr, ", %llu x %u %s",
				(unsigned long long)s->errs[c], c,
				stun_reason((uint16_t)c));
	}
	fputc('\n', stderr);
}

static int mode_relay(struct bench_run *r, struct bench_result *res)
{
	const struct bench_opts *o = r->o;
	bool auth;
	int rc = 0;

	phase_begin(r, PH_RELAY_SETUP);
	phase_end(r);
	auth = merge(r, &res->st);
	if (auth || res->st.fail) {
		say_failures("setting up the allocations", &res->st, auth);
		rc = 1;
		goto out;
	}
	if (o->ramp)
		ramp(r, res);
	else
		relay_step(r, o->rate, o->duration, res);
	if (res->st.sent && !res->st.recv) {
		fprintf(stderr, "tern-bench: no packet came back\n");
		rc = 1;
	} else if (o->fail_on_loss && bench_loss_pct(&res->st) > o->max_loss) {
		fprintf(stderr,
			"tern-bench: loss %.3f%% above --max-loss %g%%\n",
			bench_loss_pct(&res->st), o->max_loss);
		rc = 1;
	}
out:
	phase_begin(r, PH_RELEASE);
	phase_end(r);
	return rc;
}

static int mode_timed(struct bench_run *r, struct bench_result *res)
{
	const struct bench_opts *o = r->o;
	bool auth;

	r->deadline = bench_now_ns() + (uint64_t)(o->duration * 1e9);
	phase_begin(r, o->mode == BENCH_ALLOC ? PH_ALLOC : PH_BINDING);
	phase_end(r);
	auth = merge(r, &res->st);
	res->secs = o->duration;
	res->rate = o->rate;
	if (o->mode == BENCH_BINDING)
		return res->st.recv ? 0
				    : (fprintf(stderr, "tern-bench: no "
						       "Binding response\n"),
				       1);
	if (auth || !res->st.ok || res->st.fail) {
		say_failures("allocations", &res->st, auth);
		return 1;
	}
	return 0;
}

static int mode_hold(struct bench_run *r, struct bench_result *res)
{
	const struct bench_opts *o = r->o;
	struct bench_stats open;
	bool auth;

	if (o->server_pid)
		bench_proc_rss(o->server_pid, &res->rss_before_kb);
	phase_begin(r, PH_HOLD_OPEN);
	phase_end(r);
	auth = merge(r, &open);
	r->deadline = bench_now_ns() + (uint64_t)(o->duration * 1e9);
	phase_begin(r, PH_HOLD_KEEP);
	phase_end(r);
	merge(r, &res->st);
	res->secs = o->duration;
	if (o->server_pid)
		bench_proc_rss(o->server_pid, &res->rss_after_kb);
	phase_begin(r, PH_RELEASE);
	phase_end(r);
	if (auth || res->st.held < o->allocs) {
		fprintf(stderr, "tern-bench: held %llu of %u allocations\n",
			(unsigned long long)res->st.held, o->allocs);
		say_failures("allocations", &res->st, auth);
		return 1;
	}
	return 0;
}

/* REST credentials (coturn's use-auth-secret): "<expiry>:<name>" and the
 * base64 HMAC-SHA1 of it under the secret; else the names as given. */
static int credentials(struct bench_run *r)
{
	const struct bench_opts *o = r->o;
	int n;

	if (!o->user)
		return 0;
	if (!o->secret) {
		snprintf(r->user, sizeof(r->user), "%s", o->user);
		snprintf(r->pass, sizeof(r->pass), "%s", o->pass);
		return 0;
	}
	n = snprintf(r->user, sizeof(r->user), "%llu:%s",
		     (unsigned long long)(clock_wall_s() + REST_TTL_S),
		     o->user);
	if (n < 0 || (size_t)n >= sizeof(r->user))
		return EINVAL;
	return auth_rest_password((const uint8_t *)o->secret, strlen(o->secret),
				  r->user, strlen(r->user), r->pass);
}

/* Clients of thread i: the mode's total split evenly, pairs kept whole. */
static unsigned share(const struct bench_opts *o, unsigned i, unsigned nth)
{
	unsigned total = o->mode == BENCH_ALLOC ? o->concurrency : o->allocs;
	unsigned unit = o->c2c ? 2 : 1, units = total / unit;

	if (o->mode == BENCH_BINDING)
		return 0;
	if (o->mode == BENCH_ALLOC && total < nth)
		return 1;
	return (units / nth + (i < units % nth)) * unit;
}

static int thread_init(struct bench_run *r, struct bench_thread *t, unsigned i)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = UINT64_MAX };
	const struct bench_opts *o = r->o;
	int err;

	t->run = r;
	t->idx = i;
	t->peer_fd = -1;
	t->gso = !o->no_gso;
	t->rng = (o->seed + 1) * 0x9E3779B97F4A7C15ull + i;
	t->ncl = share(o, i, r->nth);
	t->cl = calloc(t->ncl ? t->ncl : 1, sizeof(*t->cl));
	t->txbuf = malloc((size_t)BENCH_MAX_BATCH * BENCH_PKT_MAX);
	t->ep = epoll_create1(EPOLL_CLOEXEC);
	if (!t->cl || !t->txbuf || t->ep < 0)
		return ENOMEM;
	for (unsigned k = 0; k < t->ncl; k++)
		t->cl[k].conn.fd = -1;
	if (o->mode != BENCH_RELAY && o->mode != BENCH_ALLOC)
		return 0;
	if (o->c2c)
		return 0;
	err = bench_peer_open(r, &t->peer_fd);
	if (!err && epoll_ctl(t->ep, EPOLL_CTL_ADD, t->peer_fd, &ev))
		err = errno;
	return err;
}

static void thread_free(struct bench_thread *t)
{
	if (!t->run)
		return;
	for (unsigned k = 0; k < t->ncl && t->cl; k++)
		bench_client_free(&t->cl[k]);
	free(t->cl);
	free(t->txbuf);
	if (t->ep >= 0)
		close(t->ep);
	if (t->peer_fd >= 0)
		close(t->peer_fd);
}

static int run_mode(struct bench_run *r, struct bench_result *res)
{
	switch (r->o->mode) {
	case BENCH_RELAY:
		return mode_relay(r, res);
	case BENCH_HOLD:
		return mode_hold(r, res);
	default:
		return mode_timed(r, res);
	}
}

static int start(struct bench_run *r, unsigned *started)
{
	int err;

	for (unsigned i = 0; i < r->nth; i++) {
		err = thread_init(r, &r->th[i], i);
		if (err) {
			fprintf(stderr, "tern-bench: thread %u: %s\n", i,
				strerror(err));
			return err;
		}
	}
	for (*started = 0; *started < r->nth; (*started)++) {
		err = pthread_create(&r->th[*started].tid, NULL, thread_main,
				     &r->th[*started]);
		if (err)
			return err;
	}
	return 0;
}

static int bench(const struct bench_opts *o)
{
	struct bench_run r = { .o = o, .nth = o->threads };
	struct bench_result *res = calloc(1, sizeof(*res));
	unsigned started = 0;
	int rc = 1;

	r.th = calloc(r.nth, sizeof(*r.th));
	if (!res || !r.th || credentials(&r) ||
	    (o->tp == BENCH_TLS && bench_tls_ctx(&r.tls, o))) {
		fprintf(stderr, "tern-bench: cannot set up (credentials, TLS "
				"context or memory)\n");
		goto out;
	}
	res->rss_before_kb = res->rss_after_kb = -1;
	pthread_barrier_init(&r.bar, NULL, r.nth + 1);
	if (start(&r, &started)) {
		if (started)
			exit(
			    1); /* threads wait at a barrier that cannot fill */
		goto out;
	}
	rc = run_mode(&r, res);
	/* a run that failed before measuring has nothing to report */
	if (res->secs > 0)
		bench_report(o, res, stdout);
	{
		phase_begin(&r, PH_QUIT);
		for (unsigned i = 0; i < started; i++)
			pthread_join(r.th[i].tid, NULL);
	}
	pthread_barrier_destroy(&r.bar);
out:
	/* the barrier is only set up once credentials and TLS are */
	for (unsigned i = 0; r.th && i < r.nth; i++)
		thread_free(&r.th[i]);
	free(r.th);
	free(res);
	SSL_CTX_free(r.tls);
	return rc;
}

int main(int argc, char **argv)
{
	struct bench_opts o;
	bool help;

	if (bench_cli_parse(&o, argc, argv, &help))
		return 2;
	if (help)
		return 0;
	bench_raise_nofile();
	return bench(&o);
}
