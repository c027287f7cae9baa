/* modes.c — the alloc, hold and binding modes, one thread's share. */
#include "tools/bench/bench.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "base/cursor.h"

#define MS	     1000000ull
#define DRAIN_NS     (3000 * MS) /* in-flight transactions may finish */
#define OPEN_NS	     (20000 * MS)
#define OPEN_WINDOW  64 /* hold: Allocates in flight per thread */
#define BIND_TIMEOUT (1000 * MS)
#define BIND_MAGIC   0x62696e64u /* "bind" */

static bool busy(const struct bench_client *c)
{
	return c->st != BC_IDLE && c->st != BC_DONE && c->st != BC_FAILED &&
	       c->st != BC_READY;
}

/* Start an allocation in slot i: Allocate, permission, channel, release. */
static void alloc_begin(struct bench_thread *t, unsigned i, uint64_t now)
{
	struct bench_client *c = &t->cl[i];

	bench_client_free(c);
	memset(c, 0, sizeof(*c));
	c->need_perm = c->need_chan = c->release = true;
	c->peer = t->run->peer;
	bench_thread_start_client(t, i, now);
}

void bench_alloc_run(struct bench_thread *t)
{
	const struct bench_run *r = t->run;
	double rate = r->o->rate / r->nth, tokens = 0;
	uint64_t now = bench_now_ns(), last = now;

	memset(&t->st, 0, sizeof(t->st));
	while (now < r->deadline && !t->auth_failed) {
		tokens += (double)(now - last) * rate / 1e9;
		last = now;
		if (tokens > t->ncl)
			tokens = t->ncl;
		for (unsigned i = 0; i < t->ncl; i++) {
			if (busy(&t->cl[i]) || (rate > 0 && tokens < 1))
				continue;
			tokens -= 1;
			alloc_begin(t, i, now);
		}
		bench_thread_poll(t, 1);
		now = bench_now_ns();
		bench_thread_tick(t, now);
	}
	while (now < r->deadline + DRAIN_NS) {
		unsigned n = 0;
		for (unsigned i = 0; i < t->ncl; i++)
			n += busy(&t->cl[i]);
		if (!n)
			break;
		bench_thread_poll(t, 2);
		now = bench_now_ns();
		bench_thread_tick(t, now);
	}
}

void bench_hold_open(struct bench_thread *t)
{
	uint64_t start = bench_now_ns(), now = start;
	unsigned next = 0, inflight;

	memset(&t->st, 0, sizeof(t->st));
	while (now - start < OPEN_NS && !t->auth_failed) {
		inflight = 0;
		for (unsigned i = 0; i < next; i++)
			inflight += busy(&t->cl[i]);
		while (next < t->ncl && inflight < OPEN_WINDOW) {
			bench_thread_start_client(t, next++, now);
			inflight++;
		}
		if (next == t->ncl && !inflight)
			break;
		bench_thread_poll(t, 2);
		now = bench_now_ns();
		bench_thread_tick(t, now);
	}
	/* the set-up latencies so far are the Allocate latencies */
}

void bench_hold_keep(struct bench_thread *t)
{
	uint64_t now = bench_now_ns();

	while (now < t->run->deadline) {
		bench_thread_poll(t, 10);
		now = bench_now_ns();
		bench_thread_tick(t, now);
	}
	t->st.held = 0;
	for (unsigned i = 0; i < t->ncl; i++)
		t->st.held +=
		    t->cl[i].st == BC_READY || t->cl[i].st == BC_REFRESH;
}

void bench_release_all(struct bench_thread *t)
{
	uint64_t start = bench_now_ns(), now = start;
	unsigned n;

	for (unsigned i = 0; i < t->ncl; i++) {
		if (t->cl[i].st == BC_READY)
			bench_client_release(&t->cl[i], t, now);
	}
	do {
		bench_thread_poll(t, 2);
		now = bench_now_ns();
		bench_thread_tick(t, now);
		n = 0;
		for (unsigned i = 0; i < t->ncl; i++)
			n += t->cl[i].st == BC_RELEASE;
	} while (n && now - start < DRAIN_NS);
	for (unsigned i = 0; i < t->ncl; i++)
		bench_client_free(&t->cl[i]);
}

/* ---- binding: slots hold the send time of each request in flight; the
 * transaction id names the slot and its generation. */
struct bslot {
	uint64_t tx;
	uint32_t gen;
	bool busy;
};

struct bind_ctx {
	struct bench_thread *t;
	struct bslot *slot;
	unsigned nslot, next;
	uint64_t now;
};

static void bind_rx(void *arg, const uint8_t *buf, size_t len)
{
	struct bind_ctx *x = arg;
	struct stun_msg m;
	uint32_t i, gen;

	if (stun_msg_decode(&m, buf, len, 0) || m.cls != STUN_CLASS_SUCCESS ||
	    m.method != STUN_METHOD_BINDING || get_be32(m.tid) != BIND_MAGIC)
		return;
	i = get_be32(m.tid + 4);
	gen = get_be32(m.tid + 8);
	if (i >= x->nslot || !x->slot[i].busy || x->slot[i].gen != gen)
		return;
	x->slot[i].busy = false;
	x->t->st.recv++;
	bench_hist_add(&x->t->st.hist, x->now - x->slot[i].tx);
}

/* Send up to n requests in free slots (paced: the ring's next slots). */
static void bind_send(struct bind_ctx *x, int fd, unsigned n)
{
	uint8_t pkt[BENCH_MAX_BATCH][STUN_HEADER_SIZE], tid[STUN_TID_SIZE];
	struct iovec iov[BENCH_MAX_BATCH];
	struct stun_enc e;
	unsigned k = 0;
	size_t len;

	for (unsigned tries = 0; k < n && tries < x->nslot; tries++) {
		unsigned i = x->next++ % x->nslot;
		struct bslot *s = &x->slot[i];
		if (s->busy && x->t->run->o->rate <= 0)
			continue;
		if (s->busy)
			x->t->st.timeouts++; /* the ring came round: lost */
		s->busy = true;
		s->tx = x->now;
		put_be32(tid, BIND_MAGIC);
		put_be32(tid + 4, i);
		put_be32(tid + 8, ++s->gen);
		stun_enc_init(&e, pkt[k], STUN_HEADER_SIZE, STUN_METHOD_BINDING,
			      STUN_CLASS_REQUEST, tid);
		stun_enc_finish(&e, &len);
		iov[k] = (struct iovec){ pkt[k], len };
		k++;
	}
	x->t->st.sent += k - bench_udp_sendv(fd, iov, k, &x->t->gso);
}

static void bind_expire(struct bind_ctx *x)
{
	for (unsigned i = 0; i < x->nslot; i++) {
		if (x->slot[i].busy && x->now - x->slot[i].tx > BIND_TIMEOUT) {
			x->slot[i].busy = false;
			x->t->st.timeouts++;
		}
	}
}

static void bind_loop(struct bind_ctx *x, struct bench_conn *c, bool sending)
{
	const struct bench_run *r = x->t->run;
	double rate = r->o->rate / r->nth;
	double tokens = 0;
	uint64_t last = x->now;
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	uint64_t end = sending ? r->deadline : r->deadline + BIND_TIMEOUT;

	while (x->now < end) {
		if (sending && rate > 0) {
			unsigned n;
			tokens += (double)(x->now - last) * rate / 1e9;
			if (tokens > rate * 0.002 + r->o->batch)
				tokens = rate * 0.002 + r->o->batch;
			n = tokens < r->o->batch ? (unsigned)tokens
						 : r->o->batch;
			if (n)
				bind_send(x, c->fd, n);
			tokens -= n;
		} else if (sending) {
			bind_send(x, c->fd, r->o->batch);
		}
		last = x->now;
		poll(&p, 1, 1);
		x->now = bench_now_ns();
		bench_conn_read(c, bind_rx, x);
		bind_expire(x);
	}
}

void bench_binding_run(struct bench_thread *t)
{
	const struct bench_opts *o = t->run->o;
	struct bind_ctx x = { .t = t };
	struct bench_conn c;
	struct bslot slots[65536];
	unsigned win = (o->concurrency + t->run->nth - 1) / t->run->nth;

	memset(&t->st, 0, sizeof(t->st));
	if (bench_conn_open(&c, o, NULL)) {
		t->st.fail++;
		return;
	}
	memset(slots, 0, sizeof(slots));
	x.slot = slots;
	x.nslot = o->rate > 0 ? 65536 : (win < 65536 ? win : 65536);
	x.now = bench_now_ns();
	bind_loop(&x, &c, true);
	bind_loop(&x, &c, false);
	for (unsigned i = 0; i < x.nslot; i++)
		t->st.timeouts += slots[i].busy;
	bench_conn_close(&c);
}
