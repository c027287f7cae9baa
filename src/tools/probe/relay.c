/*
 * relay.c — check 7: a relay round trip that needs no outside peer.
 *
 * Allocations A and B on the same server, each bound to the other's
 * relayed address (ChannelBind installs the permission too); A sends
 * through its relay to B's relay, B echoes back, A times each echo.
 *
 *   A --ChannelData--> server: A's relay --UDP--> B's relay --> B
 *   A <--ChannelData-- server: A's relay <--UDP-- B's relay <-- B (echo)
 *
 * Payload (the rest zeros):
 *
 *   0                   1                   2                   3
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                        magic "tPrb"                           |
 *  |                        sequence number                        |
 *  |                        send time, ns (64 bits) ...            |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "tools/probe/probe.h"
#include "tools/probe/session.h"

#define PKT_MAGIC 0x74507262u /* "tPrb" */
#define PKT_HDR	  16
#define PKT_MAX	  1200

/* The pacer: one packet per tick until count are sent. */
struct pacer {
	const struct probe_opts *o;
	struct probe_side *a;
	struct event *ev;
	bool sent_all;
};

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void probe_relay_recv(void *arg, const struct sockaddr *peer,
		      const uint8_t *data, size_t len)
{
	struct probe_side *sd = arg;
	uint32_t seq;
	uint64_t t;

	if (len < PKT_HDR || rd32(data) != PKT_MAGIC)
		return;
	if (sd->echo) {
		tern_alloc_send(sd->a, peer, data, len);
		return;
	}
	seq = rd32(data + 4);
	if (seq >= sd->count || sd->seen[seq])
		return;
	t = (uint64_t)rd32(data + 8) << 32 | rd32(data + 12);
	sd->seen[seq] = 1;
	sd->rtt[sd->received++] = (probe_now() * 1e9 - (double)t) / 1e6;
}

static void send_one(struct probe_side *a, unsigned size)
{
	uint8_t pkt[PKT_MAX] = { 0 };
	uint64_t t = (uint64_t)(probe_now() * 1e9);

	wr32(pkt, PKT_MAGIC);
	wr32(pkt + 4, a->sent);
	wr32(pkt + 8, (uint32_t)(t >> 32));
	wr32(pkt + 12, (uint32_t)t);
	/* A send that fails (ENOBUFS on a full stream) counts as lost. */
	tern_alloc_send(a->a, (const struct sockaddr *)&a->peer, pkt, size);
	a->sent++;
}

static void tick(evutil_socket_t fd, short what, void *arg)
{
	struct pacer *p = arg;

	(void)fd;
	(void)what;
	if (p->a->sent < p->a->count)
		send_one(p->a, p->o->size);
	if (p->a->sent == p->a->count) {
		p->sent_all = true;
		event_del(p->ev);
	}
}

/* Bind each side to the other's relayed address. Returns 0 or the error,
 * already reported. */
static int bind_both(const struct probe_opts *o, struct probe_side *a,
		     struct probe_side *b, struct probe_result *r)
{
	int err;

	a->peer = b->info.relayed;
	b->peer = a->info.relayed;
	err = tern_alloc_bind(a->a, (struct sockaddr *)&a->peer,
			      probe_relay_on_bound, a);
	if (!err)
		err = tern_alloc_bind(b->a, (struct sockaddr *)&b->peer,
				      probe_relay_on_bound, b);
	if (!err)
		err = probe_loop(a->s.base, &a->bound, o->timeout + 1);
	if (!err)
		err = probe_loop(b->s.base, &b->bound, o->timeout + 1);
	if (!err)
		err = a->bind_err ? a->bind_err : b->bind_err;
	if (!err)
		return 0;
	probe_add(r, "relay", PROBE_FAIL,
		  "let the server relay between its own relayed addresses "
		  "(ternd: relay.allow_peers; on loopback \"127.0.0.1/32\"; "
		  "coturn: --allow-loopback-peers)",
		  "ChannelBind to the other relayed address failed: %u %s",
		  a->bind_err ? a->bind_code : b->bind_code,
		  tern_stun_reason(a->bind_err ? a->bind_code : b->bind_code));
	return err;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

static void stats(const struct probe_side *a, double seconds, unsigned size,
		  struct probe_relay_stats *s)
{
	double *sorted = a->rtt + a->count; /* the second half of rtt[] */
	unsigned n = a->received;

	s->valid = true;
	s->sent = a->sent;
	s->received = n;
	s->size = size;
	s->seconds = seconds;
	s->loss_pct = a->sent ? 100.0 * (a->sent - n) / a->sent : 0;
	s->kbps = seconds > 0 ? 2.0 * n * size * 8 / seconds / 1000 : 0;
	if (n == 0)
		return;
	for (unsigned i = 1; i < n; i++)
		s->jitter_ms += fabs(a->rtt[i] - a->rtt[i - 1]) / (n - 1);
	memcpy(sorted, a->rtt, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_double);
	s->rtt_min_ms = sorted[0];
	s->rtt_max_ms = sorted[n - 1];
	s->rtt_p50_ms = sorted[(n - 1) / 2];
	s->rtt_p99_ms = sorted[(unsigned)ceil(0.99 * n) - 1];
}

static void report(const struct probe_relay_stats *s, struct probe_result *r)
{
	enum probe_status st = PROBE_OK;
	const char *hint = NULL;

	if (s->received == 0) {
		st = PROBE_FAIL;
		hint = "the server accepted the channels but relayed nothing: "
		       "does its peer policy deny its own relayed addresses?";
	} else if (s->received < s->sent) {
		st = PROBE_WARN;
		hint = "some packets were lost: a busy server or network, or "
		       "a bandwidth cap; try a lower --rate";
	}
	probe_add(r, "relay", st, hint,
		  "%u/%u echoed, loss %.1f%%, RTT p50 %.2f ms p99 %.2f ms, "
		  "jitter %.2f ms, %.0f kbit/s (%u-byte payloads, %.1f s)",
		  s->received, s->sent, s->loss_pct, s->rtt_p50_ms,
		  s->rtt_p99_ms, s->jitter_ms, s->kbps, s->size, s->seconds);
}

void probe_relay(const struct probe_opts *o, struct probe_side *a,
		 struct probe_side *b, struct probe_result *r)
{
	struct pacer p = { .o = o, .a = a };
	double start, rate = o->rate;
	struct timeval iv;
	bool all_back = false;

	if (bind_both(o, a, b, r))
		return;
	a->count = o->count ? o->count : (unsigned)ceil(rate * o->duration);
	a->rtt = calloc(2 * (size_t)a->count, sizeof(*a->rtt));
	a->seen = calloc(a->count, 1);
	p.ev = event_new(a->s.base, -1, EV_PERSIST, tick, &p);
	if (!a->rtt || !a->seen || !p.ev) {
		probe_add(r, "relay", PROBE_FAIL, NULL, "out of memory");
		goto out;
	}
	iv.tv_sec = (time_t)(1 / rate);
	iv.tv_usec = (suseconds_t)(fmod(1 / rate, 1) * 1e6);
	start = probe_now();
	event_add(p.ev, &iv);
	tick(-1, 0, &p);
	/* sending takes count / rate; then stragglers get one timeout */
	probe_loop(a->s.base, &p.sent_all, a->count / rate + o->timeout + 1);
	for (double end = probe_now() + o->timeout;
	     !all_back && probe_now() < end;) {
		probe_loop(a->s.base, &all_back, 0.05);
		all_back = a->received == a->sent;
	}
	stats(a, probe_now() - start, o->size, &r->relay);
	report(&r->relay, r);
out:
	if (p.ev)
		event_free(p.ev);
}

void probe_relay_on_bound(void *arg, int err, uint16_t code, const char *reason)
{
	struct probe_side *sd = arg;

	(void)reason;
	sd->bound = true;
	sd->bind_err = err;
	sd->bind_code = code;
}
