/*
 * test_udp.c — the send queue of src/net/udp.c on real loopback sockets:
 * runs of datagrams to one address leave as UDP GSO messages
 * (limits.udp_gso), everything else one datagram per message, and what
 * arrives is the same either way: every datagram, in order, each of its
 * own size and bytes. A GSO message the kernel refuses (here: a socket
 * with SO_NO_CHECK, which the kernel will not segment: EINVAL) is sent
 * again datagram by datagram.
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

/* The sender: a socket bound to ip (0.0.0.0: replies name their source,
 * as on a wildcard listener). */
static void setup_on(const char *ip)
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
	cr_assert_eq(net_udp_io_alloc(&io, &env, 64), 0);
	net_udp_tx_init(&tx, bound_socket(ip, &a), &a);
	for (i = 0; i < NRX; i++)
		rx[i] = bound_socket("127.0.0.1", &rx_addr[i]);
}

static void setup(void)
{
	setup_on("127.0.0.1");
}

static void setup_wildcard(void)
{
	setup_on("0.0.0.0");
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

/* Every datagram of d arrives at its receiver, in order, intact; from
 * src[i] when src is given. */
static void expect_from(const struct dg *d, unsigned n, const char **src)
{
	uint8_t buf[2048];
	unsigned i;
	size_t k;

	for (i = 0; i < n; i++) {
		struct pollfd p = { .fd = rx[d[i].r], .events = POLLIN };
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		char a[SA_STRLEN];
		struct sa from;
		ssize_t got;

		cr_assert_eq(poll(&p, 1, 2000), 1, "datagram %u missing", i);
		got = recvfrom(rx[d[i].r], buf, sizeof(buf), MSG_DONTWAIT,
			       (struct sockaddr *)&ss, &sl);
		cr_assert_eq(got, (ssize_t)d[i].len, "datagram %u: %zd bytes",
			     i, got);
		cr_assert_eq(sa_set_sockaddr(&from, (struct sockaddr *)&ss, sl),
			     0);
		if (src)
			cr_assert_str_eq(sa_print_addr(&from, a, sizeof(a)),
					 src[i], "datagram %u", i);
		for (k = 0; k < d[i].len; k++)
			cr_assert_eq(buf[k], (uint8_t)(i + 1),
				     "datagram %u byte %zu", i, k);
	}
	for (i = 0; i < NRX; i++) {
		struct pollfd p = { .fd = rx[i], .events = POLLIN };

		cr_assert_eq(poll(&p, 1, 50), 0, "receiver %u has more", i);
	}
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
