/*
 * test_limits.c — the connection and session caps of src/net/limits.c:
 * the server-wide cap and the per-address cap (issue 16), an IPv6 client
 * counted by its /64, an IPv4-mapped one as its IPv4 address, streams and
 * DTLS sessions counted apart, and places given back.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>

#include "base/sa.h"
#include "net/net.h"

static struct net_limits *lim;

static void setup(void)
{
	lim = calloc(1, sizeof(*lim));
	cr_assert_not_null(lim);
}

static void teardown(void)
{
	free(lim);
}

static struct sa addr(const char *ip, uint16_t port)
{
	struct sa a;

	cr_assert_eq(sa_set_str(&a, ip, port), 0, "%s", ip);
	return a;
}

static int take(enum net_cap cap, const char *ip, uint32_t *slot)
{
	struct sa a = addr(ip, 40000);

	return net_limits_take(lim, cap, &a, slot);
}

TestSuite(limits, .init = setup, .fini = teardown);

Test(limits, per_address_cap_then_room_for_another)
{
	uint32_t s[3], other;

	cr_assert_eq(net_limits_init(lim, 100, 100, 2), 0);
	cr_assert_eq(take(NET_CAP_STREAM, "192.0.2.1", &s[0]), 0);
	cr_assert_eq(take(NET_CAP_STREAM, "192.0.2.1", &s[1]), 0);
	cr_assert_eq(take(NET_CAP_STREAM, "192.0.2.1", &s[2]), EDQUOT);
	/* the refused one holds no server-wide place either */
	cr_assert_eq(atomic_load(&lim->conns), 2);
	/* the mapped form is the same address */
	cr_assert_eq(take(NET_CAP_STREAM, "::ffff:192.0.2.1", &s[2]), EDQUOT);
	/* DTLS sessions are counted apart */
	cr_assert_eq(take(NET_CAP_DTLS, "192.0.2.1", &s[2]), 0);
	net_limits_put(lim, NET_CAP_DTLS, s[2]);
	/* another address has room, unless it shares the slot */
	if (take(NET_CAP_STREAM, "198.51.100.7", &other) == 0)
		net_limits_put(lim, NET_CAP_STREAM, other);
	net_limits_put(lim, NET_CAP_STREAM, s[0]);
	cr_assert_eq(take(NET_CAP_STREAM, "192.0.2.1", &s[0]), 0);
	net_limits_put(lim, NET_CAP_STREAM, s[0]);
	net_limits_put(lim, NET_CAP_STREAM, s[1]);
	cr_assert_eq(atomic_load(&lim->conns), 0);
	cr_assert_eq(atomic_load(&lim->dtls_sessions), 0);
}

Test(limits, ipv6_counts_by_its_64)
{
	uint32_t a, b;

	cr_assert_eq(net_limits_init(lim, 0, 0, 1), 0);
	cr_assert_eq(take(NET_CAP_STREAM, "2001:db8:1:2::1", &a), 0);
	cr_assert_eq(take(NET_CAP_STREAM, "2001:db8:1:2:ffff::9", &b), EDQUOT);
	net_limits_put(lim, NET_CAP_STREAM, a);
	cr_assert_eq(take(NET_CAP_STREAM, "2001:db8:1:2:ffff::9", &b), 0);
	net_limits_put(lim, NET_CAP_STREAM, b);
}

Test(limits, server_wide_cap_first)
{
	uint32_t a, b;

	cr_assert_eq(net_limits_init(lim, 1, 1, 0), 0);
	cr_assert_eq(take(NET_CAP_STREAM, "192.0.2.1", &a), 0);
	cr_assert_eq(take(NET_CAP_STREAM, "192.0.2.2", &b), EUSERS);
	cr_assert_eq(take(NET_CAP_DTLS, "192.0.2.2", &b), 0);
	cr_assert_eq(take(NET_CAP_DTLS, "192.0.2.3", &b), EUSERS);
	net_limits_put(lim, NET_CAP_STREAM, a);
	cr_assert_eq(take(NET_CAP_STREAM, "192.0.2.2", &a), 0);
}

Test(limits, zero_means_no_per_address_cap)
{
	uint32_t s;
	unsigned i;

	cr_assert_eq(net_limits_init(lim, 0, 0, 0), 0);
	for (i = 0; i < 1000; i++)
		cr_assert_eq(take(NET_CAP_STREAM, "192.0.2.1", &s), 0);
	cr_assert_eq(atomic_load(&lim->addr_conns[s]), 1000);
}
