/*
 * test_udp_rx.c — the receive side of src/net/udp.c against its send
 * queue, on real loopback sockets. Datagrams are forwarded by reference
 * (net_udp_tx_queue without copy, as ternd relays them): the queue leaves
 * once per loop iteration, after every ready socket has been read, so two
 * sockets' datagrams to one address join one GSO message; and a receive
 * slot is never reused while a queued datagram still points into it, so
 * every datagram arrives intact however many are read before the flush.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "base/sa.h"
#include "net/udp.h"

/* Small, so a few datagrams fill both receive areas (2 x BATCH). */
#define BATCH 4
#define NIN   2

static struct event_base *base;
static struct net_stats stats;
static struct net_limits limits;
static struct net_env env;
static struct net_udp_io *io;
static struct net_udp_sock *in[NIN];
static struct sa in_addr[NIN];
static struct net_udp_tx out; /* shared forwarder, like a listener */
static int sink, src;
static struct sa sink_addr;
static unsigned forwarded;

static int bound_socket(struct sa *addr)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	cr_assert_eq(sa_set_str(addr, "127.0.0.1", 0), 0);
	cr_assert_eq(bind(fd, &addr->u.sa, addr->len), 0, "%s",
		     strerror(errno));
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	cr_assert_eq(sa_set_sockaddr(addr, (struct sockaddr *)&ss, len), 0);
	return fd;
}

/* Each datagram read goes on to the sink by reference into its slot. */
static int forward(void *arg, const struct net_pkt *pkt)
{
	(void)arg;
	forwarded++;
	cr_assert_eq(net_udp_tx_queue(io, &out, &sink_addr, NULL, pkt->buf,
				      pkt->len, false),
		     0);
	return 0;
}

static void setup(void)
{
	struct sa a;
	unsigned i;

	memset(&stats, 0, sizeof(stats));
	forwarded = 0;
	base = event_base_new();
	cr_assert_not_null(base);
	env.base = base;
	env.stats = &stats;
	env.limits = &limits;
	env.udp_gso = true;
	cr_assert_eq(net_udp_io_alloc(&io, &env, BATCH), 0);
	for (i = 0; i < NIN; i++) {
		/* a free port, then the net layer's own socket on it */
		close(bound_socket(&in_addr[i]));
		cr_assert_eq(net_udp_sock_alloc(&in[i], io, &in_addr[i], false,
						forward, NULL),
			     0);
	}
	net_udp_tx_init(&out, bound_socket(&a), &a);
	sink = bound_socket(&sink_addr);
	src = bound_socket(&a);
}

static void teardown(void)
{
	unsigned i;

	for (i = 0; i < NIN; i++)
		net_udp_sock_free(in[i]);
	net_udp_io_free(io);
	close(out.fd);
	close(sink);
	close(src);
	event_base_free(base);
}

TestSuite(udp_rx, .init = setup, .fini = teardown);

/* Datagram k: len bytes, every one (k + 1). */
static void send_dg(unsigned to, unsigned k, size_t len)
{
	uint8_t buf[1000];

	memset(buf, (int)(k + 1), len);
	cr_assert_eq(
	    sendto(src, buf, len, 0, &in_addr[to].u.sa, in_addr[to].len),
	    (ssize_t)len);
}

/* The sink gets datagrams of lens[0..n), the i-th filled with ks[i] + 1:
 * each whole, in this order, and nothing more. */
static void expect_sink(const unsigned *ks, const size_t *lens, unsigned n)
{
	struct pollfd p = { .fd = sink, .events = POLLIN };
	uint8_t buf[2048];
	unsigned i;
	size_t b;

	for (i = 0; i < n; i++) {
		ssize_t got;

		cr_assert_eq(poll(&p, 1, 2000), 1, "datagram %u missing", i);
		got = recv(sink, buf, sizeof(buf), MSG_DONTWAIT);
		cr_assert_eq(got, (ssize_t)lens[i], "datagram %u: %zd bytes", i,
			     got);
		for (b = 0; b < lens[i]; b++)
			cr_assert_eq(buf[b], (uint8_t)(ks[i] + 1),
				     "datagram %u byte %zu: %u", i, b, buf[b]);
	}
	cr_assert_eq(poll(&p, 1, 50), 0, "the sink got more");
}

/* (On loopback a datagram is in the receiver's queue when sendto
 * returns: both sockets are readable when the loop looks.) */
Test(udp_rx, two_sockets_leave_in_one_message)
{
	static const unsigned ks[] = { 0, 1 };
	static const size_t lens[] = { 200, 200 };

	send_dg(0, 0, 200);
	send_dg(1, 1, 200);
	cr_assert_eq(event_base_loop(base, EVLOOP_ONCE), 0);
	cr_assert_eq(forwarded, 2, "both sockets read in one iteration");
	/* flushed after both callbacks: one GSO message of two (a flush
	 * per socket would have sent two single datagrams) */
	cr_assert_eq(stats.udp_gso, 2);
	cr_assert_eq(stats.udp_tx, 2);
	expect_sink(ks, lens, 2);
}

/* More than both receive areas hold before a flush: 13 datagrams on one
 * socket (four rounds of BATCH) and 5 on the other. Datagram k is 100 + k
 * bytes of (k + 1): a slot reused too early would show. Each input's
 * datagrams stay in order; which input libevent reads first is its
 * business. */
Test(udp_rx, slots_wait_for_the_flush)
{
	struct pollfd p = { .fd = sink, .events = POLLIN };
	unsigned next[NIN] = { 0, 13 }, k, i, s;
	uint8_t buf[2048];
	size_t b;

	for (k = 0; k < 18; k++)
		send_dg(k < 13 ? 0 : 1, k, 100 + k);
	while (forwarded < 18)
		cr_assert_eq(event_base_loop(base, EVLOOP_ONCE), 0);
	cr_assert_eq(stats.udp_tx, 18);
	for (i = 0; i < 18; i++) {
		ssize_t got;

		cr_assert_eq(poll(&p, 1, 2000), 1, "datagram %u missing", i);
		got = recv(sink, buf, sizeof(buf), MSG_DONTWAIT);
		cr_assert(got >= 100 && got < 118, "%zd bytes", got);
		k = (unsigned)got - 100;
		s = k < 13 ? 0 : 1;
		cr_assert_eq(k, next[s], "input %u: %u before %u", s, k,
			     next[s]);
		next[s]++;
		for (b = 0; b < (size_t)got; b++)
			cr_assert_eq(buf[b], (uint8_t)(k + 1),
				     "datagram %u byte %zu: %u", k, b, buf[b]);
	}
	cr_assert_eq(poll(&p, 1, 50), 0, "the sink got more");
}
