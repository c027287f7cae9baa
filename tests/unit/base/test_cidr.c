/* test_cidr.c — prefixes matched bit by bit. */
#include <criterion/criterion.h>
#include <errno.h>

#include "base/cidr.h"

static bool m(const char *prefix, const char *addr)
{
	struct cidr c;
	struct sa a;

	cr_assert_eq(cidr_parse(&c, prefix), 0, "%s", prefix);
	cr_assert_eq(sa_set_str(&a, addr, 1), 0, "%s", addr);
	return cidr_match(&c, &a);
}

Test(cidr, bit_exact_matching)
{
	cr_assert(m("10.0.0.0/8", "10.255.1.1"));
	cr_assert(!m("10.0.0.0/8", "11.0.0.0"));
	cr_assert(m("169.254.0.0/16", "169.254.169.254"));
	cr_assert(m("224.0.0.0/4", "239.255.255.255"));
	cr_assert(!m("224.0.0.0/4", "240.0.0.0"));
	cr_assert(!m("224.0.0.0/4", "223.255.255.255"));
	cr_assert(m("fe80::/10", "febf:ffff::1"));
	cr_assert(!m("fe80::/10", "fec0::1"));
	cr_assert(m("::1", "::1"));
	cr_assert(!m("::1", "::2"));
	cr_assert(m("0.0.0.0/0", "1.2.3.4"));
	cr_assert(!m("0.0.0.0/0", "::1"), "families never mix");
	cr_assert(m("10.1.2.3/8", "10.9.9.9"), "host bits cleared");
	cr_assert(m("2001:db8::/33", "2001:db8:7fff::1"));
	cr_assert(!m("2001:db8::/33", "2001:db8:8000::1"));
}

Test(cidr, parse_errors_and_sets)
{
	struct cidr c;
	struct cidr_set s = { 0 };
	struct sa a;

	cr_assert_eq(cidr_parse(&c, "10.0.0.0/33"), EINVAL);
	cr_assert_eq(cidr_parse(&c, "::/129"), EINVAL);
	cr_assert_eq(cidr_parse(&c, "10.0.0.0/"), EINVAL);
	cr_assert_eq(cidr_parse(&c, "10.0.0.0/8x"), EINVAL);
	cr_assert_eq(cidr_parse(&c, "/8"), EINVAL);
	cr_assert_eq(cidr_parse(&c, "host/8"), EINVAL);
	cr_assert_eq(cidr_set_add_str(&s, "192.168.0.0/16"), 0);
	cr_assert_eq(cidr_set_add_str(&s, "fc00::/7"), 0);
	sa_set_str(&a, "fd00::1", 0);
	cr_assert(cidr_set_match(&s, &a));
	sa_set_str(&a, "192.169.0.1", 0);
	cr_assert(!cidr_set_match(&s, &a));
	cidr_set_reset(&s);
	cr_assert(!cidr_set_match(&s, &a));
}

static bool np(const char *addr)
{
	struct sa a;

	cr_assert_eq(sa_set_str(&a, addr, 0), 0, "%s", addr);
	return cidr_is_non_public(&a);
}

/* What a cloud VM behind 1:1 NAT binds, and what it does not. */
Test(cidr, non_public_ranges)
{
	cr_assert(np("10.0.0.5"));
	cr_assert(np("172.31.255.1"));
	cr_assert(!np("172.32.0.1"));
	cr_assert(np("192.168.1.1"));
	cr_assert(np("100.64.0.1"));
	cr_assert(!np("100.128.0.1"));
	cr_assert(np("127.0.0.1"));
	cr_assert(np("169.254.169.254"));
	cr_assert(np("::1"));
	cr_assert(np("fd00::5"));
	cr_assert(np("fe80::1"));
	cr_assert(np("::ffff:10.1.2.3"));
	cr_assert(!np("203.0.113.10"));
	cr_assert(!np("2001:db8::10"));
}
