/*
 * test_steer.c — the reuseport steering program (src/net/steer.c) on real
 * loopback sockets: a group of SO_REUSEPORT sockets bound in order, the
 * program attached to the first, and datagrams / connections from many
 * source ports of one address. The index is the source address mod n, so
 * where each address lands is known exactly:
 *
 *   127.0.0.1 = 0x7F000001: mod 2 = 1, mod 3 = 2
 *   127.0.0.2 = 0x7F000002: mod 2 = 0, mod 3 = 0
 *   127.0.0.3 = 0x7F000003:            mod 3 = 1
 *   ::1: words 0 ^ 0 ^ 0 ^ 1 = 1: mod 2 = 1
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/sa.h"
#include "net/steer.h"
#include "net/udp.h"

#define NSRC	 20 /* source ports per address */
#define MAXSOCKS 3

struct group {
	int fd[MAXSOCKS];
	unsigned n;
	struct sa addr; /* the shared address and port */
};

/* n sockets of `type` on ip, one port, bound in order 0..n-1, the program
 * attached to the first (as worker 0 does). */
static void group_open(struct group *g, int type, const char *ip, unsigned n)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	unsigned i;

	cr_assert_eq(sa_set_str(&g->addr, ip, 0), 0);
	g->n = n;
	cr_assert_eq(net_sock_bind(&g->fd[0], type, &g->addr, false), 0);
	cr_assert_eq(getsockname(g->fd[0], (struct sockaddr *)&ss, &len), 0);
	cr_assert_eq(sa_set_sockaddr(&g->addr, (struct sockaddr *)&ss, len), 0);
	cr_assert_eq(net_steer_attach(g->fd[0], sa_family(&g->addr), n), 0);
	for (i = 1; i < n; i++)
		cr_assert_eq(net_sock_bind(&g->fd[i], type, &g->addr, false),
			     0);
}

static void group_close(struct group *g)
{
	unsigned i;

	for (i = 0; i < g->n; i++)
		close(g->fd[i]);
}

/* A client socket of `type` bound to src (any port). */
static int client(int type, const char *src)
{
	struct sa a;
	int fd;

	cr_assert_eq(sa_set_str(&a, src, 0), 0);
	fd = socket(sa_family(&a), type, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, &a.u.sa, a.len), 0, "%s", strerror(errno));
	return fd;
}

/* Drain every socket of g; count[i] gets what socket i received (UDP
 * datagrams or accepted TCP connections). Waits for `want` in all. */
static void collect(struct group *g, int type, unsigned want,
		    unsigned count[MAXSOCKS])
{
	struct pollfd pfd[MAXSOCKS];
	unsigned i, got = 0;
	uint8_t b[64];

	memset(count, 0, MAXSOCKS * sizeof(count[0]));
	while (got < want) {
		for (i = 0; i < g->n; i++)
			pfd[i] = (struct pollfd){ g->fd[i], POLLIN, 0 };
		cr_assert_gt(poll(pfd, g->n, 2000), 0, "only %u of %u", got,
			     want);
		for (i = 0; i < g->n; i++) {
			int fd;

			if (!(pfd[i].revents & POLLIN))
				continue;
			if (type == SOCK_DGRAM) {
				if (recv(g->fd[i], b, sizeof(b), 0) < 0)
					continue;
			} else {
				fd = accept(g->fd[i], NULL, NULL);
				if (fd < 0)
					continue;
				close(fd);
			}
			count[i]++;
			got++;
		}
	}
}

/* NSRC sockets from src, one datagram or connection each: all must reach
 * socket `want` of g. */
static void from_one_address(struct group *g, int type, const char *src,
			     unsigned want)
{
	unsigned count[MAXSOCKS], i;
	int fds[NSRC];

	for (i = 0; i < NSRC; i++) {
		fds[i] = client(type, src);
		if (type == SOCK_DGRAM)
			cr_assert_eq(sendto(fds[i], "x", 1, 0, &g->addr.u.sa,
					    g->addr.len),
				     1);
		else
			cr_assert_eq(
			    connect(fds[i], &g->addr.u.sa, g->addr.len), 0);
	}
	collect(g, type, NSRC, count);
	for (i = 0; i < NSRC; i++)
		close(fds[i]);
	cr_assert_eq(count[want], NSRC,
		     "%s: %u of %u on socket %u (others: %u %u %u)", src,
		     count[want], NSRC, want, count[0], count[1], count[2]);
}

Test(steer, udp_source_ports_of_one_address_reach_one_socket)
{
	struct group g;

	group_open(&g, SOCK_DGRAM, "127.0.0.1", 2);
	from_one_address(&g, SOCK_DGRAM, "127.0.0.1", 1);
	from_one_address(&g, SOCK_DGRAM, "127.0.0.2", 0);
	group_close(&g);
}

Test(steer, udp_three_sockets_mod_three)
{
	struct group g;

	group_open(&g, SOCK_DGRAM, "127.0.0.1", 3);
	from_one_address(&g, SOCK_DGRAM, "127.0.0.1", 2);
	from_one_address(&g, SOCK_DGRAM, "127.0.0.2", 0);
	from_one_address(&g, SOCK_DGRAM, "127.0.0.3", 1);
	group_close(&g);
}

/* The program runs on the SYN: the same offsets into the IP header. */
Test(steer, tcp_connections_of_one_address_reach_one_listener)
{
	struct group g;

	group_open(&g, SOCK_STREAM, "127.0.0.1", 2);
	from_one_address(&g, SOCK_STREAM, "127.0.0.1", 1);
	from_one_address(&g, SOCK_STREAM, "127.0.0.2", 0);
	group_close(&g);
}

static bool have_ipv6_loopback(void)
{
	struct sa a;
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);
	bool ok;

	if (fd < 0)
		return false;
	sa_set_str(&a, "::1", 0);
	ok = bind(fd, &a.u.sa, a.len) == 0;
	close(fd);
	return ok;
}

Test(steer, ipv6_udp_and_tcp)
{
	struct group g;

	if (!have_ipv6_loopback())
		cr_skip_test("no IPv6 loopback here");
	group_open(&g, SOCK_DGRAM, "::1", 2);
	from_one_address(&g, SOCK_DGRAM, "::1", 1);
	group_close(&g);
	group_open(&g, SOCK_STREAM, "::1", 2);
	from_one_address(&g, SOCK_STREAM, "::1", 1);
	group_close(&g);
}

Test(steer, bad_arguments)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	cr_assert_eq(net_steer_attach(-1, AF_INET, 2), EINVAL);
	cr_assert_eq(net_steer_attach(fd, AF_INET, 0), EINVAL);
	cr_assert_eq(net_steer_attach(fd, AF_UNIX, 2), EINVAL);
	close(fd);
}
