/*
 * test_udp.c — the send queue of src/net/udp.c on real loopback sockets:
 * runs of datagrams to one address leave as UDP GSO messages
 * (limits.udp_gso), everything else one datagram per message, and what
 * arrives is the same either way: every datagram, in order, each of its
 * own size and bytes. A GSO message the kernel refuses (here: a socket
 * with SO_NO_CHECK, which the kernel will not segment: EINVAL) is sent
 * again datagram by datagram.
 *
 * And the receive side against that queue (suite udp_rx): datagrams
 * forwarded by reference (as ternd relays them) leave once per loop
 * iteration, after every ready socket has been read, so two sockets'
 * datagrams to one address join one GSO message; and a receive slot is
 * not read into again while a queued datagram still points into it.
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

#define NRX 2

static struct event_base *base;
static struct net_stats stats;
static struct net_limits limits;
static struct net_env env;
static struct net_udp_io *io;
static struct net_udp_tx tx;
static int rx[NRX];
static struct sa rx_addr[NRX];

static int bound_socket(const char *ip, struct sa *addr)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	cr_assert_eq(sa_set_str(addr, ip, 0), 0);
	cr_assert_eq(bind(fd, &addr->u.sa, addr->len), 0, "%s",
		     strerror(errno));
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	cr_assert_eq(sa_set_sockaddr(addr, (struct sockaddr *)&ss, len), 0);
	return fd;
}

/* io with `batch` slots; the sender: a socket bound to ip (0.0.0.0:
 * replies name their source, as on a wildcard listener). */
static void setup_on(const char *ip, unsigned batch)
{
	struct sa a;
	unsigned i;

	memset(&stats, 0, sizeof(stats));
	base = event_base_new();
	cr_assert_not_null(base);
	env.base = base;
	env.stats = &stats;
	env.limits = &limits;
	env.udp_gso = true;
	cr_assert_eq(net_udp_io_alloc(&io, &env, batch), 0);
	net_udp_tx_init(&tx, bound_socket(ip, &a), &a);
	for (i = 0; i < NRX; i++)
		rx[i] = bound_socket("127.0.0.1", &rx_addr[i]);
}

static void setup(void)
{
	setup_on("127.0.0.1", 64);
}

static void setup_wildcard(void)
{
	setup_on("0.0.0.0", 64);
}

static void teardown(void)
{
	unsigned i;

	net_udp_io_free(io);
	close(tx.fd);
	for (i = 0; i < NRX; i++)
		close(rx[i]);
	event_base_free(base);
}

TestSuite(udp_tx, .init = setup, .fini = teardown);

/* One queued datagram: receiver r, length, and a first byte naming it. */
struct dg {
	unsigned r;
	size_t len;
};

/* Queue d[from..to) from src; datagram i is filled with byte i + 1. */
static void queue_range(const struct dg *d, unsigned from, unsigned to,
			const struct sa *src)
{
	uint8_t buf[1400];
	unsigned i;

	for (i = from; i < to; i++) {
		memset(buf, (int)(i + 1), sizeof(buf));
		cr_assert_eq(net_udp_tx_queue(io, &tx, &rx_addr[d[i].r], src,
					      buf, d[i].len, true),
			     0);
	}
}

static void queue(const struct dg *d, unsigned n, const struct sa *src)
{
	queue_range(d, 0, n, src);
}

/* The next datagram on receiver r (waiting up to 2 s) into buf; its
 * sender in *from when from is given. Returns its length. */
static size_t recv_next(unsigned r, uint8_t *buf, size_t cap, struct sa *from,
			unsigned i)
{
	struct pollfd p = { .fd = rx[r], .events = POLLIN };
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	ssize_t got;

	cr_assert_eq(poll(&p, 1, 2000), 1, "datagram %u missing", i);
	got = recvfrom(rx[r], buf, cap, MSG_DONTWAIT, (struct sockaddr *)&ss,
		       &sl);
	cr_assert_geq(got, 0, "datagram %u: %s", i, strerror(errno));
	if (from)
		cr_assert_eq(sa_set_sockaddr(from, (struct sockaddr *)&ss, sl),
			     0);
	return (size_t)got;
}

/* Every byte of datagram i is v. */
static void expect_filled(const uint8_t *buf, size_t len, uint8_t v, unsigned i)
{
	size_t k;

	for (k = 0; k < len; k++)
		cr_assert_eq(buf[k], v, "datagram %u byte %zu: %u", i, k,
			     buf[k]);
}

static void expect_no_more(void)
{
	unsigned i;

	for (i = 0; i < NRX; i++) {
		struct pollfd p = { .fd = rx[i], .events = POLLIN };

		cr_assert_eq(poll(&p, 1, 50), 0, "receiver %u has more", i);
	}
}

/* Every datagram of d arrives at its receiver, in order, intact; from
 * src[i] when src is given. */
static void expect_from(const struct dg *d, unsigned n, const char **src)
{
	uint8_t buf[2048];
	char a[SA_STRLEN];
	struct sa from;
	unsigned i;
	size_t got;

	for (i = 0; i < n; i++) {
		got = recv_next(d[i].r, buf, sizeof(buf), &from, i);
		cr_assert_eq(got, d[i].len, "datagram %u: %zu bytes", i, got);
		if (src)
			cr_assert_str_eq(sa_print_addr(&from, a, sizeof(a)),
					 src[i], "datagram %u", i);
		expect_filled(buf, got, (uint8_t)(i + 1), i);
	}
	expect_no_more();
}

static void expect(const struct dg *d, unsigned n)
{
	expect_from(d, n, NULL);
}

/* Runs: 10 x 100 and a shorter last one to r0 (one message of 11), five
 * more to r0 (a new one: the run ended with a shorter datagram), one to
 * r1 alone, three to r1, a longer one to r1 (it cannot follow shorter
 * segments), two to r0. */
static const struct dg mix[] = {
	{ 0, 100 }, { 0, 100 }, { 0, 100 }, { 0, 100 }, { 0, 100 }, { 0, 100 },
	{ 0, 100 }, { 0, 100 }, { 0, 100 }, { 0, 100 }, { 0, 60 },  { 0, 100 },
	{ 0, 100 }, { 0, 100 }, { 0, 100 }, { 0, 100 }, { 1, 300 }, { 0, 7 },
	{ 1, 100 }, { 1, 100 }, { 1, 100 }, { 1, 101 }, { 0, 100 }, { 0, 100 },
};
#define NMIX (sizeof(mix) / sizeof(mix[0]))

Test(udp_tx, runs_to_one_address_go_as_gso)
{
	queue(mix, NMIX, NULL);
	net_udp_io_flush(io);
	expect(mix, NMIX);
	cr_assert_eq(stats.udp_tx, NMIX);
	/* 11 + 5 + 3 + 2 in GSO messages; the 300, the 7 and the 101 alone */
	cr_assert_eq(stats.udp_gso, 21);
	cr_assert_eq(stats.udp_gso_fallback, 0);
	cr_assert_eq(stats.udp_tx_fail, 0);
}

Test(udp_tx, off_sends_one_by_one)
{
	env.udp_gso = false;
	queue(mix, NMIX, NULL);
	net_udp_io_flush(io);
	expect(mix, NMIX);
	cr_assert_eq(stats.udp_tx, NMIX);
	cr_assert_eq(stats.udp_gso, 0);
}

/* At most 64 datagrams in one message: 100 equal ones arrive intact. */
Test(udp_tx, long_run_is_split)
{
	struct dg d[64];
	unsigned i, round;

	for (i = 0; i < 64; i++)
		d[i] = (struct dg){ 0, 1000 };
	for (round = 0; round < 2; round++) {
		queue(d, 64, NULL);
		net_udp_io_flush(io);
		expect(d, 64);
	}
	cr_assert_eq(stats.udp_tx, 128);
	cr_assert_eq(stats.udp_gso, 128);
}

/* The kernel refuses to segment for a socket without UDP checksums
 * (EINVAL): the message goes again as single datagrams. */
Test(udp_tx, refused_gso_falls_back)
{
	int one = 1;

	cr_assert_eq(
	    setsockopt(tx.fd, SOL_SOCKET, SO_NO_CHECK, &one, sizeof(one)), 0);
	queue(mix, NMIX, NULL);
	net_udp_io_flush(io);
	expect(mix, NMIX);
	cr_assert_eq(stats.udp_tx, NMIX);
	cr_assert_eq(stats.udp_gso, 0);
	cr_assert_eq(stats.udp_gso_fallback, 4, "the four runs");
	cr_assert_eq(stats.udp_tx_fail, 0);
}

TestSuite(udp_tx_wildcard, .init = setup_wildcard, .fini = teardown);

/* From a wildcard socket each datagram names its source (IP_PKTINFO);
 * the UDP_SEGMENT message goes after it, and runs join only when the
 * source is the same. */
Test(udp_tx_wildcard, source_and_segment_together)
{
	const char *src[NMIX];
	struct sa lo1, lo2;
	unsigned i;

	cr_assert_eq(sa_set_str(&lo1, "127.0.0.1", 0), 0);
	cr_assert_eq(sa_set_str(&lo2, "127.0.0.2", 0), 0);
	/* the first run's last five from another source: a run of its own */
	queue_range(mix, 0, 6, &lo1);
	queue_range(mix, 6, NMIX, &lo2);
	net_udp_io_flush(io);
	for (i = 0; i < NMIX; i++)
		src[i] = i < 6 ? "127.0.0.1" : "127.0.0.2";
	expect_from(mix, NMIX, src);
	cr_assert_eq(stats.udp_tx, NMIX);
	/* 6 + 5 + 5 + 3 + 2 */
	cr_assert_eq(stats.udp_gso, 21);
}

/* ---- the receive side: forwarding by reference ------------------------- */

/* Small, so a few datagrams fill both receive areas (2 x RX_BATCH). */
#define RX_BATCH 4
#define NIN	 2

static struct net_udp_sock *in[NIN];
static struct sa in_addr[NIN];
static int src_fd; /* sends to the input sockets */
static unsigned forwarded;

/* Each datagram read goes on from tx to receiver 0, by reference into its
 * receive slot, as ternd relays it. */
static int forward(void *arg, const struct net_pkt *pkt)
{
	(void)arg;
	forwarded++;
	cr_assert_eq(net_udp_tx_queue(io, &tx, &rx_addr[0], NULL, pkt->buf,
				      pkt->len, false),
		     0);
	return 0;
}

static void setup_rx(void)
{
	struct sa a;
	unsigned i;

	setup_on("127.0.0.1", RX_BATCH);
	forwarded = 0;
	for (i = 0; i < NIN; i++) {
		/* a free port, then the net layer's own socket on it */
		close(bound_socket("127.0.0.1", &in_addr[i]));
		cr_assert_eq(net_udp_sock_alloc(&in[i], io, &in_addr[i], false,
						forward, NULL),
			     0);
	}
	src_fd = bound_socket("127.0.0.1", &a);
}

static void teardown_rx(void)
{
	unsigned i;

	for (i = 0; i < NIN; i++)
		net_udp_sock_free(in[i]);
	close(src_fd);
	teardown();
}

TestSuite(udp_rx, .init = setup_rx, .fini = teardown_rx);

/* Datagram k to input `to`: len bytes, every one (k + 1). */
static void send_dg(unsigned to, unsigned k, size_t len)
{
	uint8_t buf[1000];

	memset(buf, (int)(k + 1), len);
	cr_assert_eq(
	    sendto(src_fd, buf, len, 0, &in_addr[to].u.sa, in_addr[to].len),
	    (ssize_t)len);
}

/* (On loopback a datagram is in the receiver's queue when sendto
 * returns: both sockets are readable when the loop looks.) */
Test(udp_rx, two_sockets_leave_in_one_message)
{
	static const struct dg d[] = { { 0, 200 }, { 0, 200 } };

	send_dg(0, 0, 200);
	send_dg(1, 1, 200);
	cr_assert_eq(event_base_loop(base, EVLOOP_ONCE), 0);
	cr_assert_eq(forwarded, 2, "both sockets read in one iteration");
	/* flushed after both callbacks: one GSO message of two (a flush
	 * per socket would have sent two single datagrams) */
	cr_assert_eq(stats.udp_gso, 2);
	cr_assert_eq(stats.udp_tx, 2);
	expect(d, 2);
}

/* More than both receive areas hold before a flush: 13 datagrams on one
 * socket (four rounds of RX_BATCH) and 5 on the other. Datagram k is
 * 100 + k bytes of (k + 1): a slot reused too early would show. Each
 * input's datagrams stay in order; which input libevent reads first is
 * its business. */
Test(udp_rx, slots_wait_for_the_flush)
{
	unsigned next[NIN] = { 0, 13 }, k, i, s;
	uint8_t buf[2048];
	size_t got;

	for (k = 0; k < 18; k++)
		send_dg(k < 13 ? 0 : 1, k, 100 + k);
	while (forwarded < 18)
		cr_assert_eq(event_base_loop(base, EVLOOP_ONCE), 0);
	cr_assert_eq(stats.udp_tx, 18);
	for (i = 0; i < 18; i++) {
		got = recv_next(0, buf, sizeof(buf), NULL, i);
		cr_assert(got >= 100 && got < 118, "%zu bytes", got);
		k = (unsigned)got - 100;
		s = k < 13 ? 0 : 1;
		cr_assert_eq(k, next[s], "input %u: %u before %u", s, k,
			     next[s]);
		next[s]++;
		expect_filled(buf, got, (uint8_t)(k + 1), k);
	}
	expect_no_more();
}
