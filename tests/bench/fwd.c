/* udp-fwd — a bare UDP forwarder and its load generator: the machine's
 * ceiling for a relay, used by scripts/bench-compare beside ternd and coturn.
 *
 *   client --> [client socket] udp-fwd [flow socket] --> echo peer
 *   client <-- [client socket] udp-fwd [flow socket] <-- echo peer
 *
 * `udp-fwd serve` does what a TURN relay does on its data path and nothing
 * else: per client address a flow socket of its own (a relay socket), one
 * recvmmsg and one sendmmsg per batch in each direction, no parsing, no
 * permission or channel lookup, no headers. `udp-fwd load` sends the same
 * packet pattern as tern-bench relay (N flows, a paced rate, fixed payload)
 * from N client sockets, echoes everything that reaches its peer socket back,
 * and reports rates, loss and round-trip times — fixed rate, or a ramp to the
 * highest rate whose loss stays within a bound.
 *
 * Both stop by themselves (serve after --max-time, load after its steps).
 * Loopback benchmarking only: flows are never expired.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tools/common/gso.h"

#define BATCH	   32
#define PKT_MAX	   2048
#define HDR_LEN	   16
#define HIST_US	   200000 /* RTT histogram: 1 us buckets up to 200 ms */
#define MAX_THREAD 16

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* "HOST:PORT" (IPv4) into sin; returns 0 or EINVAL. */
static int parse_hostport(const char *s, struct sockaddr_in *sin)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	size_t n;

	if (colon == NULL || (n = (size_t)(colon - s)) >= sizeof(host))
		return EINVAL;
	memcpy(host, s, n);
	host[n] = '\0';
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		return EINVAL;
	return 0;
}

/* A non-blocking UDP socket, bound to bind_to when it is not NULL. */
static int udp_socket(const struct sockaddr_in *bind_to, bool reuseport)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1, buf = 4 << 20;

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	if (reuseport &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
		die("SO_REUSEPORT");
	if (bind_to != NULL &&
	    bind(fd, (const struct sockaddr *)bind_to, sizeof(*bind_to)) < 0)
		die("bind");
	return fd;
}

/* One batch of receive buffers with their message headers. */
struct batch {
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in addr[BATCH];
	unsigned char buf[BATCH][PKT_MAX];
};

static void batch_prepare_recv(struct batch *b)
{
	for (int i = 0; i < BATCH; i++) {
		b->iov[i].iov_base = b->buf[i];
		b->iov[i].iov_len = PKT_MAX;
		memset(&b->msg[i].msg_hdr, 0, sizeof(b->msg[i].msg_hdr));
		b->msg[i].msg_hdr.msg_iov = &b->iov[i];
		b->msg[i].msg_hdr.msg_iovlen = 1;
		b->msg[i].msg_hdr.msg_name = &b->addr[i];
		b->msg[i].msg_hdr.msg_namelen = sizeof(b->addr[i]);
	}
}

/* UDP GSO for runs to one address (--no-gso: off), as ternd and
 * tern-bench do; each thread keeps its own flag (src/tools/common/gso.h). */
static bool use_gso = true;

/* sendmmsg all n messages of msg on fd; a full socket buffer drops the
 * rest, as a relay would. Returns the datagrams sent. */
static int send_all(int fd, struct mmsghdr *msg, int n, bool *gso)
{
	return (int)bench_gso_send(fd, msg, (unsigned)n, gso);
}

/* ---- serve -------------------------------------------------------------- */

struct flow {
	struct sockaddr_in client;
	int fd;
};

struct fwd_thread {
	pthread_t tid;
	int epfd;
	int cfd; /* client-facing socket, SO_REUSEPORT on the public port */
	struct sockaddr_in peer;
	struct flow *flows;
	uint32_t nflows, capflows;
	uint32_t *slots; /* open addressing: flow index + 1, 0 = empty */
	uint32_t nslots;
	struct batch rx;
	struct mmsghdr tx[BATCH];
	bool gso;
};

static uint32_t addr_hash(const struct sockaddr_in *a)
{
	uint64_t k = ((uint64_t)a->sin_addr.s_addr << 16) | a->sin_port;

	k *= 0x9E3779B97F4A7C15ull;
	return (uint32_t)(k >> 32);
}

static bool same_addr(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
	return a->sin_addr.s_addr == b->sin_addr.s_addr &&
	       a->sin_port == b->sin_port;
}

static void slots_grow(struct fwd_thread *t)
{
	uint32_t n = t->nslots ? t->nslots * 2 : 1024;
	uint32_t *s = calloc(n, sizeof(*s));

	if (s == NULL)
		die("calloc");
	for (uint32_t i = 0; i < t->nflows; i++) {
		uint32_t h = addr_hash(&t->flows[i].client) & (n - 1);

		while (s[h] != 0)
			h = (h + 1) & (n - 1);
		s[h] = i + 1;
	}
	free(t->slots);
	t->slots = s;
	t->nslots = n;
}

/* The flow of a client address, created (with its own socket) on first use. */
static struct flow *flow_get(struct fwd_thread *t, const struct sockaddr_in *a)
{
	uint32_t h, mask;

	if (t->nslots == 0 || (t->nflows + 1) * 2 > t->nslots)
		slots_grow(t);
	mask = t->nslots - 1;
	for (h = addr_hash(a) & mask; t->slots[h] != 0; h = (h + 1) & mask) {
		struct flow *f = &t->flows[t->slots[h] - 1];

		if (same_addr(&f->client, a))
			return f;
	}
	if (t->nflows == t->capflows) {
		t->capflows = t->capflows ? t->capflows * 2 : 256;
		t->flows = realloc(t->flows, t->capflows * sizeof(*t->flows));
		if (t->flows == NULL)
			die("realloc");
	}
	struct flow *f = &t->flows[t->nflows];
	struct sockaddr_in any = { .sin_family = AF_INET };
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = t->nflows };

	any.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->client = *a;
	f->fd = udp_socket(&any, false);
	if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, f->fd, &ev) < 0)
		die("epoll_ctl");
	t->slots[h] = ++t->nflows;
	return f;
}

/* Client to peer: each datagram leaves through its flow's socket; runs of
 * one flow go out in one sendmmsg. */
static void from_clients(struct fwd_thread *t)
{
	int n = recvmmsg(t->cfd, t->rx.msg, BATCH, MSG_DONTWAIT, NULL);
	int start = 0;
	struct flow *cur = NULL;

	for (int i = 0; i < n; i++) {
		struct flow *f = flow_get(t, &t->rx.addr[i]);
		struct msghdr *h = &t->tx[i].msg_hdr;

		if (f != cur && cur != NULL) {
			send_all(cur->fd, t->tx + start, i - start, &t->gso);
			start = i;
		}
		cur = f;
		t->rx.iov[i].iov_len = t->rx.msg[i].msg_len;
		memset(h, 0, sizeof(*h));
		h->msg_iov = &t->rx.iov[i];
		h->msg_iovlen = 1;
		h->msg_name = &t->peer;
		h->msg_namelen = sizeof(t->peer);
	}
	if (cur != NULL)
		send_all(cur->fd, t->tx + start, n - start, &t->gso);
	batch_prepare_recv(&t->rx);
}

/* Peer to client: everything a flow socket reads goes to its client. */
static void from_peer(struct fwd_thread *t, struct flow *f)
{
	int n = recvmmsg(f->fd, t->rx.msg, BATCH, MSG_DONTWAIT, NULL);

	for (int i = 0; i < n; i++) {
		struct msghdr *h = &t->tx[i].msg_hdr;

		t->rx.iov[i].iov_len = t->rx.msg[i].msg_len;
		memset(h, 0, sizeof(*h));
		h->msg_iov = &t->rx.iov[i];
		h->msg_iovlen = 1;
		h->msg_name = &f->client;
		h->msg_namelen = sizeof(f->client);
	}
	if (n > 0)
		send_all(t->cfd, t->tx, n, &t->gso);
	batch_prepare_recv(&t->rx);
}

static void *fwd_run(void *arg)
{
	struct fwd_thread *t = arg;
	struct epoll_event ev[64];

	while (!stop_flag) {
		int n = epoll_wait(t->epfd, ev, 64, 200);

		for (int i = 0; i < n; i++) {
			if (ev[i].data.u32 == UINT32_MAX)
				from_clients(t);
			else
				from_peer(t, &t->flows[ev[i].data.u32]);
		}
	}
	return NULL;
}

static int cmd_serve(struct sockaddr_in *listen_at, struct sockaddr_in *peer,
		     int threads, int max_time)
{
	static struct fwd_thread th[MAX_THREAD];

	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGALRM, on_signal);
	alarm((unsigned)max_time);
	for (int i = 0; i < threads; i++) {
		struct fwd_thread *t = &th[i];
		struct epoll_event ev = { .events = EPOLLIN,
					  .data.u32 = UINT32_MAX };

		t->epfd = epoll_create1(EPOLL_CLOEXEC);
		t->cfd = udp_socket(listen_at, true);
		t->gso = use_gso;
		t->peer = *peer;
		batch_prepare_recv(&t->rx);
		if (t->epfd < 0 ||
		    epoll_ctl(t->epfd, EPOLL_CTL_ADD, t->cfd, &ev) < 0)
			die("epoll");
	}
	for (int i = 0; i < threads; i++)
		if (pthread_create(&th[i].tid, NULL, fwd_run, &th[i]) != 0)
			die("pthread_create");
	for (int i = 0; i < threads; i++)
		pthread_join(th[i].tid, NULL);
	return 0;
}

/* ---- load --------------------------------------------------------------- */

struct load_cfg {
	struct sockaddr_in server, peer_bind;
	int flows, threads, size;
	double rate, duration, step, max_loss, start_rate, warmup;
	bool ramp, json;
	int server_pid;
};

struct stats {
	uint64_t sent, recv;
	double elapsed;	  /* seconds of sending */
	uint32_t *hist;	  /* HIST_US + 1 buckets, last = overflow */
	uint64_t rtt_sum; /* ns */
};

struct load_thread {
	pthread_t tid;
	const struct load_cfg *cfg;
	int *fds; /* this thread's client sockets */
	int nfd;
	int peerfd;
	int epfd;
	uint32_t step_id;
	double rate, duration, warmup;
	struct stats st;
	struct batch rx;
	struct mmsghdr tx[BATCH], echo[BATCH];
	bool gso;
	struct iovec txiov[BATCH];
	unsigned char txbuf[BATCH][PKT_MAX];
};

static void put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static uint32_t get32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* Echo everything the peer socket has back to where it came from. */
static void echo_peer(struct load_thread *t)
{
	int n = recvmmsg(t->peerfd, t->rx.msg, BATCH, MSG_DONTWAIT, NULL);

	for (int i = 0; i < n; i++) {
		struct msghdr *h = &t->echo[i].msg_hdr;

		t->rx.iov[i].iov_len = t->rx.msg[i].msg_len;
		memset(h, 0, sizeof(*h));
		h->msg_iov = &t->rx.iov[i];
		h->msg_iovlen = 1;
		h->msg_name = &t->rx.addr[i];
		h->msg_namelen = sizeof(t->rx.addr[i]);
	}
	if (n > 0)
		send_all(t->peerfd, t->echo, n, &t->gso);
	batch_prepare_recv(&t->rx);
}

/* Count the echoes a client socket has; RTT from the stamp they carry. */
static void client_recv(struct load_thread *t, int fd)
{
	int n = recvmmsg(fd, t->rx.msg, BATCH, MSG_DONTWAIT, NULL);
	uint64_t now = now_ns();

	for (int i = 0; i < n; i++) {
		const unsigned char *p = t->rx.buf[i];
		uint64_t sent_at, rtt;

		if (t->rx.msg[i].msg_len < HDR_LEN || get32(p) != t->step_id)
			continue;
		memcpy(&sent_at, p + 8, 8);
		rtt = now > sent_at ? now - sent_at : 0;
		t->st.recv++;
		t->st.rtt_sum += rtt;
		t->st.hist[rtt / 1000 < HIST_US ? rtt / 1000 : HIST_US]++;
	}
	batch_prepare_recv(&t->rx);
}

/* Send `due` datagrams, spread over the thread's client sockets. */
static void send_due(struct load_thread *t, uint64_t due, uint32_t *rr)
{
	int per = (int)(due / (uint64_t)t->nfd);

	per = per < 1 ? 1 : per > BATCH ? BATCH : per;
	while (due > 0) {
		int k = due < (uint64_t)per ? (int)due : per;
		int fd = t->fds[*rr];
		uint64_t ts = now_ns();

		for (int i = 0; i < k; i++) {
			put32(t->txbuf[i], t->step_id);
			put32(t->txbuf[i] + 4, *rr);
			memcpy(t->txbuf[i] + 8, &ts, 8);
		}
		k = send_all(fd, t->tx, k, &t->gso);
		if (k <= 0)
			k = 1; /* dropped by a full buffer: count it as loss */
		t->st.sent += (uint64_t)k;
		due -= (uint64_t)k;
		*rr = (*rr + 1) % (uint32_t)t->nfd;
	}
}

static void handle_events(struct load_thread *t, int timeout_ms)
{
	struct epoll_event ev[64];
	int n = epoll_wait(t->epfd, ev, 64, timeout_ms);

	for (int i = 0; i < n; i++) {
		if (ev[i].data.u32 == UINT32_MAX)
			echo_peer(t);
		else
			client_recv(t, t->fds[ev[i].data.u32]);
	}
}

/* Pace at t->rate from now until `end`, tagging packets with `tag`;
 * *paced counts what was sent so far in this pacing run. */
static void pace(struct load_thread *t, uint64_t t0, uint64_t end, uint32_t tag,
		 uint64_t *paced, uint32_t *rr)
{
	uint64_t now;

	t->step_id = tag;
	while ((now = now_ns()) < end && !stop_flag) {
		double want = (double)(now - t0) * 1e-9 * t->rate;
		uint64_t due =
		    want > (double)*paced ? (uint64_t)want - *paced : 0;

		if (due > 4 * BATCH)
			due = 4 * BATCH;
		if (due > 0) {
			uint64_t before = t->st.sent;

			send_due(t, due, rr);
			*paced += t->st.sent - before;
		}
		handle_events(t, due > 0 ? 0 : 1);
	}
}

/* One step as tern-bench runs it: a warm-up at the step's rate that is not
 * counted, the measured part, then a drain for the last echoes. */
static void *load_run(void *arg)
{
	struct load_thread *t = arg;
	uint32_t rr = 0, id = t->step_id;
	uint64_t t0 = now_ns(), paced = 0, tm, drain_end;

	tm = t0 + (uint64_t)(t->warmup * 1e9);
	pace(t, t0, tm, id ^ 0x80000000u, &paced, &rr);
	t->st.sent = 0;
	t->st.recv = 0;
	t->st.rtt_sum = 0;
	memset(t->st.hist, 0, (HIST_US + 1) * sizeof(uint32_t));
	paced = 0;
	pace(t, tm, tm + (uint64_t)(t->duration * 1e9), id, &paced, &rr);
	t->st.elapsed = (double)(now_ns() - tm) * 1e-9;
	drain_end = now_ns() + 300000000u;
	while (now_ns() < drain_end && t->st.recv < t->st.sent)
		handle_events(t, 5);
	return NULL;
}

static double server_cpu_s(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;
	size_t n;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	/* after ") ": state is field 3, utime 14, stime 15 */
	if (p == NULL || sscanf(p + 2,
				"%*c %*d %*d %*d %*d %*d %*u %*u %*u "
				"%*u %*u %lu %lu",
				&ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

struct result {
	double rate, sent_pps, recv_pps, loss_pct, mbps, cpu_per_mpkt;
	double p50, p99, p999, mean;
	uint64_t sent, recv;
};

static double hist_pct(const uint32_t *h, uint64_t total, double q)
{
	uint64_t want = (uint64_t)(q * (double)total), acc = 0;

	for (int i = 0; i <= HIST_US; i++) {
		acc += h[i];
		if (acc > want)
			return i;
	}
	return HIST_US;
}

static struct result run_step(const struct load_cfg *c, struct load_thread *th,
			      double rate, double duration, uint32_t step_id)
{
	static uint32_t hist[HIST_US + 1];
	struct result r = { .rate = rate };
	double cpu0, elapsed = 0, cpu;
	struct timespec warm;
	uint64_t rtt_sum = 0;

	memset(hist, 0, sizeof(hist));
	for (int i = 0; i < c->threads; i++) {
		memset(&th[i].st, 0, sizeof(th[i].st));
		th[i].st.hist = calloc(HIST_US + 1, sizeof(uint32_t));
		th[i].rate = rate / c->threads;
		th[i].duration = duration;
		th[i].warmup = c->warmup;
		th[i].step_id = step_id;
		if (th[i].st.hist == NULL ||
		    pthread_create(&th[i].tid, NULL, load_run, &th[i]) != 0)
			die("thread");
	}
	/* the server's CPU over the measured part and the drain */
	warm.tv_sec = (time_t)c->warmup;
	warm.tv_nsec = (long)((c->warmup - (double)warm.tv_sec) * 1e9);
	nanosleep(&warm, NULL);
	cpu0 = server_cpu_s(c->server_pid);
	for (int i = 0; i < c->threads; i++) {
		pthread_join(th[i].tid, NULL);
		r.sent += th[i].st.sent;
		r.recv += th[i].st.recv;
		rtt_sum += th[i].st.rtt_sum;
		elapsed =
		    th[i].st.elapsed > elapsed ? th[i].st.elapsed : elapsed;
		for (int k = 0; k <= HIST_US; k++)
			hist[k] += th[i].st.hist[k];
		free(th[i].st.hist);
	}
	cpu = server_cpu_s(c->server_pid) - cpu0;
	r.sent_pps = (double)r.sent / elapsed;
	r.recv_pps = (double)r.recv / elapsed;
	r.loss_pct =
	    r.sent ? 100.0 * (double)(r.sent - r.recv) / (double)r.sent : 0;
	r.mbps = r.recv_pps * c->size * 8 / 1e6;
	/* relayed packets counted as tern-bench counts them: two per echo
	 * received, client->peer and peer->client */
	if (c->server_pid > 0 && r.recv > 0)
		r.cpu_per_mpkt = cpu / (2.0 * (double)r.recv / 1e6);
	r.mean = r.recv ? (double)rtt_sum / (double)r.recv / 1000 : 0;
	r.p50 = hist_pct(hist, r.recv, 0.5);
	r.p99 = hist_pct(hist, r.recv, 0.99);
	r.p999 = hist_pct(hist, r.recv, 0.999);
	return r;
}

static void print_result(const char *prefix, const struct result *r, bool json)
{
	if (json) {
		printf(
		    "%s\"offered_pps\": %.0f, \"sent\": %llu, \"received\": "
		    "%llu, "
		    "\"sent_pps\": %.0f, \"received_pps\": %.0f, \"mbit_s\": "
		    "%.2f, \"loss_pct\": %.4f, \"rtt_mean_us\": %.0f, "
		    "\"rtt_p50_us\": %.0f, \"rtt_p99_us\": %.0f, "
		    "\"rtt_p999_us\": %.0f, \"server_cpu_s_per_mpkt\": %.4f",
		    prefix, r->rate, (unsigned long long)r->sent,
		    (unsigned long long)r->recv, r->sent_pps, r->recv_pps,
		    r->mbps, r->loss_pct, r->mean, r->p50, r->p99, r->p999,
		    r->cpu_per_mpkt);
		return;
	}
	printf("%srate %.0f: sent %.0f pps, received %.0f pps, loss %.3f%%, "
	       "rtt p50/p99/p99.9 %.0f/%.0f/%.0f us, server %.3f cpu-s/Mpkt\n",
	       prefix, r->rate, r->sent_pps, r->recv_pps, r->loss_pct, r->p50,
	       r->p99, r->p999, r->cpu_per_mpkt);
}

static bool step_ok(const struct load_cfg *c, const struct result *r)
{
	return r->loss_pct <= c->max_loss && r->sent_pps >= 0.95 * r->rate;
}

/* tern-bench's ramp: double the rate until a step fails, then bisect to
 * within 5%; the best passing step is the result. */
static int ramp(const struct load_cfg *c, struct load_thread *th)
{
	struct result best = { 0 }, r;
	double rate = c->start_rate, lo = 0, hi = 0, spent = 0;
	uint32_t id = 1;

	if (c->json)
		printf("{\"mode\": \"fwd-ramp\", \"steps\": [");
	for (int n = 0; n < 24 && !stop_flag && spent < c->duration; n++) {
		r = run_step(c, th, rate, c->step, id);
		spent += c->warmup + c->step + 0.3;
		if (c->json)
			print_result(id > 1 ? "}, {" : "{", &r, true);
		else
			print_result("  step ", &r, false);
		id++;
		if (step_ok(c, &r)) {
			best = r;
			lo = rate;
		} else {
			hi = rate;
		}
		if (hi > 0 && (hi - lo) / hi < 0.05)
			break;
		rate = hi > 0 ? (lo + hi) / 2 : rate * 2;
	}
	if (c->json) {
		printf("%s], \"max_pps\": %.0f, ", id > 1 ? "}" : "",
		       best.rate);
		print_result("", &best, true);
		printf("}\n");
	} else {
		printf("highest rate with loss <= %.3f%%: %.0f pps\n",
		       c->max_loss, best.rate);
	}
	return 0;
}

static int cmd_load(struct load_cfg *c)
{
	static struct load_thread th[MAX_THREAD];
	int per = (c->flows + c->threads - 1) / c->threads, next = 0;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	for (int i = 0; i < c->threads; i++) {
		struct load_thread *t = &th[i];
		struct epoll_event ev = { .events = EPOLLIN,
					  .data.u32 = UINT32_MAX };

		t->cfg = c;
		t->epfd = epoll_create1(EPOLL_CLOEXEC);
		t->peerfd = udp_socket(&c->peer_bind, true);
		t->gso = use_gso;
		if (t->epfd < 0 ||
		    epoll_ctl(t->epfd, EPOLL_CTL_ADD, t->peerfd, &ev) < 0)
			die("epoll");
		t->fds = calloc((size_t)per, sizeof(int));
		for (; t->nfd < per && next < c->flows; next++) {
			int fd = udp_socket(NULL, false);

			if (connect(fd, (struct sockaddr *)&c->server,
				    sizeof(c->server)) < 0)
				die("connect");
			ev.data.u32 = (uint32_t)t->nfd;
			if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
				die("epoll_ctl");
			t->fds[t->nfd++] = fd;
		}
		for (int k = 0; k < BATCH; k++) {
			memset(t->txbuf[k], 0x5a, PKT_MAX);
			t->txiov[k].iov_base = t->txbuf[k];
			t->txiov[k].iov_len = (size_t)c->size;
			t->tx[k].msg_hdr.msg_iov = &t->txiov[k];
			t->tx[k].msg_hdr.msg_iovlen = 1;
		}
		batch_prepare_recv(&t->rx);
	}
	if (c->ramp)
		return ramp(c, th);
	struct result r = run_step(c, th, c->rate, c->duration, 1);

	if (c->json) {
		print_result("{\"mode\": \"fwd\", ", &r, true);
		printf("}\n");
	} else {
		print_result("", &r, false);
	}
	return r.recv > 0 ? 0 : 1;
}

/* ---- command line ------------------------------------------------------- */

static _Noreturn void usage(void)
{
	fputs("usage:\n"
	      "  udp-fwd serve -l HOST:PORT -p PEERHOST:PORT [-T threads] "
	      "[--max-time S]\n"
	      "  udp-fwd load -s HOST:PORT --peer-bind HOST:PORT "
	      "[--flows N] [--size B] [--threads N]\n"
	      "               (--rate PPS --duration S | --ramp [--start PPS] "
	      "[--warmup S]\n"
	      "                [--step S] [--duration S] [--max-loss PCT])\n"
	      "               [--server-pid PID] [--json]\n"
	      "  both: --no-gso (no UDP GSO for runs to one address)\n"
	      "Rates count datagrams the clients send (each crosses the "
	      "forwarder twice).\n",
	      stderr);
	exit(2);
}

enum {
	O_PEERBIND = 256,
	O_FLOWS,
	O_SIZE,
	O_RATE,
	O_RAMP,
	O_START,
	O_WARMUP,
	O_STEP,
	O_DURATION,
	O_MAXLOSS,
	O_PID,
	O_JSON,
	O_MAXTIME,
	O_NOGSO
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", 1, NULL, 'l' },
		{ "peer", 1, NULL, 'p' },
		{ "server", 1, NULL, 's' },
		{ "threads", 1, NULL, 'T' },
		{ "peer-bind", 1, NULL, O_PEERBIND },
		{ "flows", 1, NULL, O_FLOWS },
		{ "size", 1, NULL, O_SIZE },
		{ "rate", 1, NULL, O_RATE },
		{ "ramp", 0, NULL, O_RAMP },
		{ "start", 1, NULL, O_START },
		{ "warmup", 1, NULL, O_WARMUP },
		{ "step", 1, NULL, O_STEP },
		{ "duration", 1, NULL, O_DURATION },
		{ "max-loss", 1, NULL, O_MAXLOSS },
		{ "server-pid", 1, NULL, O_PID },
		{ "json", 0, NULL, O_JSON },
		{ "max-time", 1, NULL, O_MAXTIME },
		{ "no-gso", 0, NULL, O_NOGSO },
		{ NULL, 0, NULL, 0 },
	};
	struct load_cfg c = { .flows = 10,
			      .threads = 1,
			      .size = 100,
			      .rate = 10000,
			      .duration = 10,
			      .step = 2,
			      .max_loss = 0.1,
			      .start_rate = 10000,
			      .warmup = 1 };
	struct sockaddr_in listen_at, peer;
	bool have_l = false, have_p = false, have_s = false, have_b = false;
	int opt, max_time = 3600;

	if (argc < 2)
		usage();
	optind = 2;
	while ((opt = getopt_long(argc, argv, "l:p:s:T:", opts, NULL)) != -1) {
		switch (opt) {
		case 'l':
			have_l = parse_hostport(optarg, &listen_at) == 0;
			break;
		case 'p':
			have_p = parse_hostport(optarg, &peer) == 0;
			break;
		case 's':
			have_s = parse_hostport(optarg, &c.server) == 0;
			break;
		case 'T':
			c.threads = atoi(optarg);
			break;
		case O_PEERBIND:
			have_b = parse_hostport(optarg, &c.peer_bind) == 0;
			break;
		case O_FLOWS:
			c.flows = atoi(optarg);
			break;
		case O_SIZE:
			c.size = atoi(optarg);
			break;
		case O_RATE:
			c.rate = atof(optarg);
			break;
		case O_RAMP:
			c.ramp = true;
			break;
		case O_START:
			c.start_rate = atof(optarg);
			break;
		case O_WARMUP:
			c.warmup = atof(optarg);
			break;
		case O_STEP:
			c.step = atof(optarg);
			break;
		case O_DURATION:
			c.duration = atof(optarg);
			break;
		case O_MAXLOSS:
			c.max_loss = atof(optarg);
			break;
		case O_PID:
			c.server_pid = atoi(optarg);
			break;
		case O_JSON:
			c.json = true;
			break;
		case O_MAXTIME:
			max_time = atoi(optarg);
			break;
		case O_NOGSO:
			use_gso = false;
			break;
		default:
			usage();
		}
	}
	if (c.threads < 1 || c.threads > MAX_THREAD || c.flows < c.threads ||
	    c.size < HDR_LEN || c.size > PKT_MAX || c.rate <= 0 ||
	    c.duration <= 0 || c.warmup < 0 || max_time < 1)
		usage();
	if (strcmp(argv[1], "serve") == 0 && have_l && have_p)
		return cmd_serve(&listen_at, &peer, c.threads, max_time);
	if (strcmp(argv[1], "load") == 0 && have_s && have_b) {
		/* the wall-clock bound of every run: the run's own time, plus
		 * a margin; a stuck run ends here */
		alarm(
		    (unsigned)(c.duration * (c.ramp ? 2 : 1) + c.warmup + 60));
		signal(SIGALRM, SIG_DFL);
		return cmd_load(&c);
	}
	usage();
}
