/* report.c — the server's CPU and memory from /proc, and the result
 * as a table or one JSON object (written by hand: no library needed for
 * flat numbers). */
#include "tools/bench/bench.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int bench_proc_cpu(int pid, double *secs)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return errno;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	/* the command name may hold spaces: fields restart after its ')' */
	p = strrchr(buf, ')');
	if (!p ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
		   &ut, &st) != 2)
		return EBADMSG;
	*secs = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
	return 0;
}

/* Summed over /proc/PID/task/TID/status: a thread that ended meanwhile
 * takes its count with it (ternd's and coturn's threads live as long as
 * the process). */
int bench_proc_switches(int pid, double *n)
{
	char path[300], line[256];
	struct dirent *d;
	unsigned long v;
	double sum = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return errno;
	while ((d = readdir(dir))) {
		FILE *f;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.32s/status", pid,
			 d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, "voluntary_ctxt_switches: %lu", &v) ==
				1 ||
			    sscanf(line, "nonvoluntary_ctxt_switches: %lu",
				   &v) == 1)
				sum += (double)v;
		}
		fclose(f);
	}
	closedir(dir);
	*n = sum;
	return 0;
}

int bench_proc_rss(int pid, long *kb)
{
	char path[64], line[256];
	int err = ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "VmRSS: %ld", kb) == 1) {
			err = 0;
			break;
		}
	}
	fclose(f);
	return err;
}

double bench_loss_pct(const struct bench_stats *s)
{
	if (!s->sent)
		return 0;
	if (s->recv >= s->sent)
		return 0;
	return 100.0 * (double)(s->sent - s->recv) / (double)s->sent;
}

struct out {
	FILE *f;
	bool json, first;
};

static void put(struct out *o, const char *key, const char *label,
		const char *val, bool quote)
{
	if (o->json) {
		fprintf(o->f, "%s\"%s\": %s%s%s", o->first ? "" : ", ", key,
			quote ? "\"" : "", val, quote ? "\"" : "");
		o->first = false;
		return;
	}
	fprintf(o->f, "%-34s %s\n", label, val);
}

static void num(struct out *o, const char *key, const char *label, double v,
		int prec)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.*f", prec, v);
	put(o, key, label, buf, false);
}

static void lat(struct out *o, const struct bench_hist *h, const char *what)
{
	static const struct {
		double q;
		const char *key;
	} qs[] = { { 0.5, "p50" }, { 0.99, "p99" }, { 0.999, "p999" } };
	char key[64], label[64];

	for (unsigned i = 0; i < 3; i++) {
		snprintf(key, sizeof(key), "%s_%s_us", what, qs[i].key);
		snprintf(label, sizeof(label), "%s %s (us)", what, qs[i].key);
		num(o, key, label, bench_hist_quantile(h, qs[i].q) / 1e3, 1);
	}
	snprintf(key, sizeof(key), "%s_max_us", what);
	snprintf(label, sizeof(label), "%s max (us)", what);
	num(o, key, label, h->max / 1e3, 1);
}

static void errors(struct out *o, const struct bench_stats *s)
{
	char key[32], label[96];

	num(o, "failures", "failures", (double)s->fail, 0);
	num(o, "timeouts", "  timeouts (no answer)", (double)s->timeouts, 0);
	for (unsigned c = 1; c < BENCH_MAX_CODE; c++) {
		if (!s->errs[c])
			continue;
		snprintf(key, sizeof(key), "error_%u", c);
		snprintf(label, sizeof(label), "  error %u %s", c,
			 c == 1 ? "(bad MESSAGE-INTEGRITY)"
				: stun_reason((uint16_t)c));
		num(o, key, label, (double)s->errs[c], 0);
	}
}

static void relay(struct out *o, const struct bench_opts *op,
		  const struct bench_result *r)
{
	const struct bench_stats *s = &r->st;
	double relayed = 2.0 * (double)s->recv;

	num(o, "offered_pps", "offered rate (pkt/s)", r->rate, 0);
	num(o, "sent", "sent (packets)", (double)s->sent, 0);
	num(o, "received", "received (packets)", (double)s->recv, 0);
	num(o, "sent_pps", "sent (pkt/s)", s->sent / r->secs, 0);
	num(o, "received_pps", "received (pkt/s)", s->recv / r->secs, 0);
	num(o, "mbit_s", "received payload (Mbit/s)",
	    (double)s->bytes * 8 / r->secs / 1e6, 3);
	num(o, "loss_pct", "loss (%)", bench_loss_pct(s), 3);
	num(o, "late", "late (after their step)", (double)s->late, 0);
	num(o, "send_blocked", "not sent (stream buffer full)",
	    (double)s->blocked, 0);
	if (op->drop_peer > 0)
		num(o, "peer_dropped", "dropped by --drop-peer",
		    (double)s->dropped_peer, 0);
	lat(o, &s->hist, op->c2c ? "one-way" : "rtt");
	if (r->cpu_s >= 0 && relayed > 0) {
		num(o, "server_cpu_s", "server CPU (s)", r->cpu_s, 2);
		num(o, "server_cpu_s_per_mpkt",
		    "server CPU s / 1M relayed packets",
		    r->cpu_s * 1e6 / relayed, 3);
		put(o, "relayed_counting", "  (relayed packets counted as)",
		    "2 per packet received: client->peer and peer->client",
		    true);
	}
	if (r->switches >= 0 && relayed > 0)
		num(o, "server_switches_per_kpkt",
		    "server context switches / 1k relayed",
		    r->switches * 1e3 / relayed, 1);
	if (op->ramp) {
		num(o, "ramp_steps", "ramp steps", r->ramp_steps, 0);
		put(o, "ramp_limit", "ramp ended by",
		    r->ramp_limit ? r->ramp_limit : "none", true);
	}
}

static void modes(struct out *o, const struct bench_opts *op,
		  const struct bench_result *r)
{
	const struct bench_stats *s = &r->st;

	switch (op->mode) {
	case BENCH_RELAY:
		relay(o, op, r);
		break;
	case BENCH_ALLOC:
		num(o, "completed", "completed allocations", (double)s->ok, 0);
		num(o, "completed_per_s", "completed / s", s->ok / r->secs, 1);
		errors(o, s);
		lat(o, &s->hist, "setup");
		break;
	case BENCH_BINDING:
		num(o, "sent", "requests sent", (double)s->sent, 0);
		num(o, "received", "responses", (double)s->recv, 0);
		num(o, "responses_per_s", "responses / s", s->recv / r->secs,
		    0);
		num(o, "loss_pct", "loss (%)", bench_loss_pct(s), 3);
		lat(o, &s->hist, "latency");
		break;
	case BENCH_HOLD:
		num(o, "requested", "allocations asked for", op->allocs, 0);
		num(o, "held", "allocations held", (double)s->held, 0);
		errors(o, s);
		lat(o, &s->hist, "allocate");
		break;
	}
}

void bench_report(const struct bench_opts *op, const struct bench_result *r,
		  FILE *f)
{
	static const char *const mn[] = { "relay", "alloc", "binding", "hold" };
	static const char *const tn[] = { "udp", "tcp", "tls" };
	struct out o = { f, op->json, true };
	long d = r->rss_after_kb - r->rss_before_kb;

	if (o.json)
		fputc('{', f);
	put(&o, "mode", "mode", mn[op->mode], true);
	put(&o, "transport", "transport", tn[op->tp], true);
	num(&o, "threads", "threads", op->threads, 0);
	num(&o, "seconds", "measured (s)", r->secs, 2);
	modes(&o, op, r);
	if (r->rss_before_kb >= 0 && op->mode == BENCH_HOLD) {
		num(&o, "server_rss_before_kb", "server RSS before (KiB)",
		    r->rss_before_kb, 0);
		num(&o, "server_rss_held_kb", "server RSS while held (KiB)",
		    r->rss_after_kb, 0);
		num(&o, "server_rss_per_alloc_b",
		    "server RSS per allocation (B)",
		    r->st.held ? d * 1024.0 / (double)r->st.held : 0, 0);
	}
	if (o.json)
		fputs("}\n", f);
}
