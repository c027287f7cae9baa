/* relay.c — the relay mode: allocations with a permission and a
 * channel to tern-bench's own echo peer (or to each other, --c2c), paced
 * ChannelData or Send indications, and the echo peer itself. */
#include "tools/bench/bench.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/cursor.h"

#define PEER_KEY   UINT64_MAX
#define PEER_BATCH 64

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: the deterministic stream --drop-peer and --seed promise. */
uint64_t bench_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

int bench_peer_open(struct bench_run *r, int *fdp)
{
	const struct sa *at = sa_is_set(&r->peer) ? &r->peer : &r->o->peer_bind;
	int one = 1, fd, err = 0;
	struct sa got;
	socklen_t len = sizeof(got.u);

	fd =
	    socket(sa_family(at), SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return errno;
	/* one socket per thread on the same port: the kernel spreads the
	 * relay addresses over them */
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (bind(fd, &at->u.sa, at->len) ||
	    getsockname(fd, (struct sockaddr *)&got.u, &len)) {
		err = errno;
		close(fd);
		return err;
	}
	got.len = len;
	if (!sa_is_set(&r->peer))
		r->peer = got;
	*fdp = fd;
	return 0;
}

/* Echo every datagram back to the relay address it came from, minus the
 * --drop-peer share. */
void bench_peer_echo(struct bench_thread *t)
{
	uint8_t buf[PEER_BATCH][2048];
	struct sockaddr_storage from[PEER_BATCH];
	struct iovec iov[PEER_BATCH];
	struct mmsghdr in[PEER_BATCH], out[PEER_BATCH];
	double drop = t->run->o->drop_peer;
	int n;
	unsigned k;

	do {
		memset(in, 0, sizeof(in));
		for (unsigned i = 0; i < PEER_BATCH; i++) {
			iov[i] = (struct iovec){ buf[i], sizeof(buf[i]) };
			in[i].msg_hdr =
			    (struct msghdr){ .msg_name = &from[i],
					     .msg_namelen = sizeof(from[i]),
					     .msg_iov = &iov[i],
					     .msg_iovlen = 1 };
		}
		n = recvmmsg(t->peer_fd, in, PEER_BATCH, MSG_DONTWAIT, NULL);
		k = 0;
		for (int i = 0; i < n; i++) {
			if (drop > 0 &&
			    (bench_rand(&t->rng) % 1000000) < drop * 10000) {
				t->st.dropped_peer++;
				continue;
			}
			iov[i].iov_len = in[i].msg_len;
			out[k++] = in[i];
		}
		if (k)
			bench_gso_send(t->peer_fd, out, k, &t->gso);
	} while (n == PEER_BATCH);
}

struct rx_ctx {
	struct bench_thread *t;
	struct bench_client *c;
	uint64_t now;
};

static void on_data(struct bench_thread *t, const uint8_t *p, size_t n,
		    uint64_t now)
{
	uint64_t ts;

	if (n < BENCH_HDR || get_be32(p) != BENCH_MAGIC)
		return;
	if (get_be32(p + 4) != t->run->sched.step) {
		/* warm-up packets (step ^ 1) are expected; others are late */
		if (get_be32(p + 4) != (t->run->sched.step ^ 1))
			t->st.late++;
		return;
	}
	ts = ((uint64_t)get_be32(p + 12) << 32) | get_be32(p + 16);
	t->st.recv++;
	t->st.bytes += n;
	bench_hist_add(&t->st.hist, now > ts ? now - ts : 0);
}

static void on_rx(void *arg, const uint8_t *buf, size_t len)
{
	struct rx_ctx *x = arg;
	struct stun_msg m;
	const struct stun_attr *a;
	const uint8_t *d;
	size_t dl;
	uint16_t ch;

	if (len && stun_demux(buf[0]) == STUN_DEMUX_CHANNEL) {
		if (!stun_chdata_decode(buf, len, &ch, &d, &dl))
			on_data(x->t, d, dl, x->now);
		return;
	}
	if (len >= 2 && buf[0] == 0x00 && buf[1] == 0x17) {
		/* Data indication (RFC 8656 §11.4) */
		if (!stun_msg_decode(&m, buf, len, 0) &&
		    (a = stun_msg_attr(&m, STUN_ATTR_DATA)))
			on_data(x->t, a->val, a->len, x->now);
		return;
	}
	bench_client_on_stun(x->c, x->t, buf, len, x->now);
}

void bench_thread_rx(struct bench_thread *t, struct bench_client *c,
		     uint64_t now)
{
	struct rx_ctx x = { t, c, now };

	if (bench_conn_read(&c->conn, on_rx, &x) && c->st != BC_DONE) {
		/* the server closed the stream: the allocation is gone */
		if (c->st != BC_FAILED) {
			c->st = BC_FAILED;
			t->st.fail++;
			t->st.timeouts++;
		}
		bench_conn_close(&c->conn);
	}
}

/* Wait up to ms for input and handle it. */
void bench_thread_poll(struct bench_thread *t, int ms)
{
	struct epoll_event ev[64];
	int n = epoll_wait(t->ep, ev, 64, ms);
	uint64_t now = bench_now_ns();

	for (int i = 0; i < n; i++) {
		if (ev[i].data.u64 == PEER_KEY)
			bench_peer_echo(t);
		else if (ev[i].data.u64 < t->ncl)
			bench_thread_rx(t, &t->cl[ev[i].data.u64], now);
	}
}

int bench_thread_start_client(struct bench_thread *t, unsigned i, uint64_t now)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = i };
	struct bench_client *c = &t->cl[i];
	int err = bench_client_start(c, t, now);

	if (c->conn.fd >= 0 && c->st != BC_FAILED &&
	    epoll_ctl(t->ep, EPOLL_CTL_ADD, c->conn.fd, &ev))
		err = errno;
	return err;
}

void bench_thread_tick(struct bench_thread *t, uint64_t now)
{
	for (unsigned i = 0; i < t->ncl; i++) {
		bench_client_tick(&t->cl[i], t, now);
		if (t->cl[i].conn.wlen)
			bench_conn_flush(&t->cl[i].conn);
	}
}
