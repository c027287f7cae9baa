/* data.c — the relay mode's data phase: allocation set-up, then paced
 * bursts of ChannelData or Send indications, one step at a time as the main
 * thread plans them (struct bench_sched). */
#include "tools/bench/bench.h"

#include <errno.h>
#include <string.h>

#include "base/cursor.h"

#define SETUP_NS 20000000000ull /* every allocation ready within 20 s */

static void payload(struct bench_thread *t, uint8_t *p, uint32_t step,
		    uint64_t now)
{
	memset(p, 0, t->run->o->size);
	put_be32(p, BENCH_MAGIC);
	put_be32(p + 4, step);
	put_be32(p + 8, t->seq++);
	put_be32(p + 12, (uint32_t)(now >> 32));
	put_be32(p + 16, (uint32_t)now);
}

/* One packet for client c into out; returns its length (0 on error). */
static size_t packet(struct bench_thread *t, struct bench_client *c,
		     uint8_t *out, uint32_t step, uint64_t now)
{
	const struct bench_opts *o = t->run->o;
	uint8_t tid[STUN_TID_SIZE], pl[BENCH_MAX_SIZE];
	struct stun_enc e;
	size_t len, pad;
	uint64_t r;

	if (!o->send_ind) {
		pad = c->conn.tp == BENCH_UDP ? 0
					      : stun_chdata_stream_pad(o->size);
		stun_chdata_header(out, c->ch, (uint16_t)o->size);
		payload(t, out + STUN_CHDATA_HDR, step, now);
		memset(out + STUN_CHDATA_HDR + o->size, 0, pad);
		return STUN_CHDATA_HDR + o->size + pad;
	}
	r = bench_rand(&t->rng);
	memcpy(tid, &r, 8);
	memcpy(tid + 8, &t->seq, 4);
	payload(t, pl, step, now);
	stun_enc_init(&e, out, BENCH_PKT_MAX, STUN_METHOD_SEND,
		      STUN_CLASS_INDICATION, tid);
	stun_enc_xaddr(&e, STUN_ATTR_XOR_PEER_ADDRESS, &c->peer);
	stun_enc_attr(&e, STUN_ATTR_DATA, pl, o->size);
	return stun_enc_finish(&e, &len) ? 0 : len;
}

/* The next ready client, round robin; NULL when none is. */
static struct bench_client *next_ready(struct bench_thread *t)
{
	for (unsigned k = 0; k < t->ncl; k++) {
		struct bench_client *c = &t->cl[t->next++ % t->ncl];
		if (c->st == BC_READY || c->st == BC_REFRESH ||
		    c->st == BC_PERM || c->st == BC_CHBIND)
			return c;
	}
	return NULL;
}

/* Send n packets through one allocation in one sendmmsg (UDP). */
static void burst(struct bench_thread *t, unsigned n, bool measured,
		  uint64_t now)
{
	struct bench_client *c = next_ready(t);
	struct iovec iov[BENCH_MAX_BATCH];
	uint32_t step = t->run->sched.step ^ (measured ? 0 : 1);
	unsigned ok = 0;

	if (!c)
		return;
	for (unsigned i = 0; i < n; i++) {
		iov[i].iov_base = t->txbuf + (size_t)i * BENCH_PKT_MAX;
		iov[i].iov_len = packet(t, c, iov[i].iov_base, step, now);
	}
	if (c->conn.tp == BENCH_UDP) {
		ok = n - bench_udp_sendv(c->conn.fd, iov, n, &t->gso);
	} else {
		for (unsigned i = 0; i < n; i++)
			ok += !bench_conn_send(&c->conn, iov[i].iov_base,
					       iov[i].iov_len);
	}
	if (measured) {
		t->st.sent += ok;
		t->st.blocked += n - ok;
	}
}

static void pair_peers(struct bench_thread *t)
{
	for (unsigned i = 0; i + 1 < t->ncl; i += 2) {
		struct bench_client *a = &t->cl[i], *b = &t->cl[i + 1];
		if (a->st != BC_ALLOCATED || b->st != BC_ALLOCATED)
			continue;
		a->peer = b->relayed;
		b->peer = a->relayed;
		bench_client_next(a, t, bench_now_ns());
		bench_client_next(b, t, bench_now_ns());
	}
}

static unsigned count_state(struct bench_thread *t, enum bench_cstate st)
{
	unsigned n = 0;

	for (unsigned i = 0; i < t->ncl; i++)
		n += t->cl[i].st == st;
	return n;
}

int bench_relay_setup(struct bench_thread *t)
{
	const struct bench_opts *o = t->run->o;
	uint64_t start = bench_now_ns();

	for (unsigned i = 0; i < t->ncl; i++) {
		t->cl[i].need_perm = true;
		t->cl[i].need_chan = !o->send_ind;
		if (!o->c2c)
			t->cl[i].peer = t->run->peer;
		bench_thread_start_client(t, i, start);
	}
	while (bench_now_ns() - start < SETUP_NS && !t->auth_failed) {
		bench_thread_poll(t, 5);
		bench_thread_tick(t, bench_now_ns());
		if (o->c2c)
			pair_peers(t);
		if (count_state(t, BC_READY) + count_state(t, BC_FAILED) ==
		    t->ncl)
			break;
	}
	return count_state(t, BC_READY) == t->ncl ? 0 : EIO;
}

/* Token bucket: refill by elapsed time, never more than a few ms worth, and
 * spend it in bursts of at most --batch. Rate 0 sends a batch per turn. */
static void pace(struct bench_thread *t, double *tokens, uint64_t *last,
		 uint64_t now)
{
	const struct bench_sched *s = &t->run->sched;
	double cap = s->rate * 0.002;
	unsigned n, batch = t->run->o->batch;

	if (s->rate <= 0) {
		burst(t, batch, now >= s->t_measure, now);
		return;
	}
	*tokens += (double)(now - *last) * s->rate / 1e9;
	*last = now;
	if (cap < batch)
		cap = batch;
	if (*tokens > cap)
		*tokens = cap;
	while (*tokens >= 1) {
		n = *tokens < batch ? (unsigned)*tokens : batch;
		burst(t, n, now >= s->t_measure, now);
		*tokens -= n;
	}
}

void bench_relay_step(struct bench_thread *t)
{
	const struct bench_sched *s = &t->run->sched;
	uint64_t now = bench_now_ns(), last = now, tick = now;
	double tokens = 0;

	memset(&t->st, 0, sizeof(t->st));
	while (now < s->t_end) {
		if (now < s->t_stop)
			pace(t, &tokens, &last, now);
		bench_thread_poll(t, s->rate <= 0 && now < s->t_stop ? 0 : 1);
		now = bench_now_ns();
		if (now - tick > 10000000ull) {
			bench_thread_tick(t, now);
			tick = now;
		}
	}
}
