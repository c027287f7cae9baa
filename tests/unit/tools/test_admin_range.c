/*
 * test_admin_range.c — coturn's "first-last" peer ranges as CIDR prefixes:
 * exact covers (nothing outside the range, nothing inside missed), checked
 * against base/cidr's matcher, which is what ternd uses on those prefixes.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/cidr.h"
#include "tools/admin/admin.h"

static struct admin_list cover(const char *range)
{
	struct admin_list l = { 0 };
	char why[160] = "";

	cr_assert_eq(admin_range_cidrs(range, &l, why, sizeof(why)), 0,
		     "%s: %s", range, why);
	return l;
}

static void expect(const char *range, const char *const *want, size_t n)
{
	struct admin_list l = cover(range);

	cr_assert_eq(l.n, n, "%s: %zu prefixes", range, l.n);
	for (size_t i = 0; i < n; i++)
		cr_assert_str_eq(l.v[i], want[i], "%s [%zu]", range, i);
	admin_list_free(&l);
}

Test(admin_range, single_addresses_and_prefixes)
{
	const char *v4[] = { "192.0.2.7/32" }, *v6[] = { "2001:db8::1/128" };
	const char *p[] = { "10.0.0.0/8" };

	expect("192.0.2.7", v4, 1);
	expect("2001:db8::1", v6, 1);
	expect("10.1.2.3/8", p, 1); /* host bits cleared, as ternd does */
}

Test(admin_range, aligned_and_unaligned)
{
	const char *a[] = { "10.0.0.0/24" };
	const char *b[] = { "10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/31",
			    "10.0.0.6/32" };
	const char *all[] = { "0.0.0.0/0" };

	expect("10.0.0.0-10.0.0.255", a, 1);
	expect("10.0.0.1-10.0.0.6", b, 4);
	expect("0.0.0.0-255.255.255.255", all, 1);
}

/* The ranges coturn's own tests and ternd's defaults use for IPv6. */
Test(admin_range, ipv6_ranges)
{
	const char *ll[] = { "fe80::/10" }, *mc[] = { "ff00::/8" };

	expect("fe80::-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", ll, 1);
	expect("ff00::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", mc, 1);
}

Test(admin_range, refuses)
{
	const char *bad[] = { "10.0.0.9-10.0.0.1", "10.0.0.1-::1",
			      "10.0.0.1-",	   "nope",
			      "10.0.0.0/33",	   "10.0.0.0/x",
			      "::1/129",	   "10.0.0.0/" };
	char why[160];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct admin_list l = { 0 };

		why[0] = '\0';
		cr_assert_eq(admin_range_cidrs(bad[i], &l, why, sizeof(why)),
			     EINVAL, "%s", bad[i]);
		cr_assert_eq(l.n, 0);
		cr_assert(why[0], "a reason for %s", bad[i]);
	}
}

static bool covered(const struct cidr *c, size_t n, uint32_t a)
{
	uint8_t b[4] = { (uint8_t)(a >> 24), (uint8_t)(a >> 16),
			 (uint8_t)(a >> 8), (uint8_t)a };

	for (size_t i = 0; i < n; i++)
		if (cidr_match_raw(&c[i], AF_INET, b))
			return true;
	return false;
}

/* Random ranges, checked address by address across and around them. */
Test(admin_range, exact_cover_of_random_ranges)
{
	srand(5766);
	for (int t = 0; t < 300; t++) {
		uint32_t first = ((uint32_t)rand() << 16) ^ (uint32_t)rand();
		uint32_t span = (uint32_t)rand() % 3000;
		uint32_t last =
		    first > UINT32_MAX - span ? UINT32_MAX : first + span;
		char txt[40], a[16], b[16];
		struct in_addr ia = { htonl(first) }, ib = { htonl(last) };
		struct admin_list l;
		struct cidr c[64];

		inet_ntop(AF_INET, &ia, a, sizeof(a));
		inet_ntop(AF_INET, &ib, b, sizeof(b));
		snprintf(txt, sizeof(txt), "%s-%s", a, b);
		l = cover(txt);
		cr_assert_leq(l.n, 62, "%s: %zu prefixes", txt, l.n);
		for (size_t i = 0; i < l.n; i++)
			cr_assert_eq(cidr_parse(&c[i], l.v[i]), 0, "%s",
				     l.v[i]);
		for (uint64_t x = first > 40 ? first - 40 : 0;
		     x <= (uint64_t)last + 40 && x <= UINT32_MAX; x++)
			cr_assert_eq(covered(c, l.n, (uint32_t)x),
				     x >= first && x <= last, "%s at %u", txt,
				     (unsigned)x);
		admin_list_free(&l);
	}
}
