/* test_sa.c — socket address parsing, printing, comparing, unmapping. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "base/sa.h"

Test(sa, set_str_v4_and_v6)
{
	struct sa a;
	char buf[SA_STRLEN];

	cr_assert_eq(sa_set_str(&a, "192.0.2.1", 3478), 0);
	cr_assert_eq(sa_family(&a), AF_INET);
	cr_assert_eq(sa_port(&a), 3478);
	cr_assert_str_eq(sa_print(&a, buf, sizeof(buf)), "192.0.2.1:3478");
	cr_assert_eq(sa_set_str(&a, "2001:db8::1", 5349), 0);
	cr_assert_eq(sa_family(&a), AF_INET6);
	cr_assert_str_eq(sa_print(&a, buf, sizeof(buf)), "[2001:db8::1]:5349");
	cr_assert_str_eq(sa_print_addr(&a, buf, sizeof(buf)), "2001:db8::1");
}

Test(sa, set_str_rejects_names_and_garbage)
{
	struct sa a;

	sa_set_str(&a, "192.0.2.1", 1);
	cr_assert_eq(sa_set_str(&a, "localhost", 1), EINVAL);
	cr_assert_eq(sa_set_str(&a, "192.0.2.256", 1), EINVAL);
	cr_assert_eq(sa_set_str(&a, "", 1), EINVAL);
	cr_assert_eq(sa_set_str(&a, NULL, 1), EINVAL);
	cr_assert_eq(sa_port(&a), 1, "untouched on failure");
}

Test(sa, parse_host_port_forms)
{
	struct sa a;

	cr_assert_eq(sa_parse(&a, "192.0.2.1:99", 1), 0);
	cr_assert_eq(sa_port(&a), 99);
	cr_assert_eq(sa_parse(&a, "192.0.2.1", 3478), 0);
	cr_assert_eq(sa_port(&a), 3478);
	cr_assert_eq(sa_parse(&a, "[::1]:5349", 1), 0);
	cr_assert_eq(sa_family(&a), AF_INET6);
	cr_assert_eq(sa_port(&a), 5349);
	cr_assert_eq(sa_parse(&a, "::1", 7), 0);
	cr_assert_eq(sa_port(&a), 7);
	cr_assert_eq(sa_parse(&a, "[::1]", 8), 0);
	cr_assert_eq(sa_port(&a), 8);
	cr_assert_eq(sa_parse(&a, "[::1]x", 8), EINVAL);
	cr_assert_eq(sa_parse(&a, "[::1", 8), EINVAL);
	cr_assert_eq(sa_parse(&a, "192.0.2.1:65536", 1), EINVAL);
	cr_assert_eq(sa_parse(&a, "192.0.2.1:", 1), EINVAL);
	cr_assert_eq(sa_parse(&a, "192.0.2.1:-1", 1), EINVAL);
	cr_assert_eq(sa_parse(&a, ":80", 1), EINVAL);
}

Test(sa, equal_and_hash)
{
	struct sa a, b;

	sa_set_str(&a, "192.0.2.1", 1);
	sa_set_str(&b, "192.0.2.1", 1);
	cr_assert(sa_equal(&a, &b));
	cr_assert_eq(sa_hash(&a), sa_hash(&b));
	sa_set_port(&b, 2);
	cr_assert_not(sa_equal(&a, &b));
	cr_assert(sa_equal_addr(&a, &b));
	sa_set_str(&b, "::ffff:192.0.2.1", 1);
	cr_assert_not(sa_equal_addr(&a, &b),
		      "mapped is not equal until unmapped");
}

Test(sa, unmap_v4_mapped)
{
	struct sa a, want;

	sa_set_str(&a, "::ffff:127.0.0.1", 3478);
	sa_unmap(&a);
	sa_set_str(&want, "127.0.0.1", 3478);
	cr_assert(sa_equal(&a, &want));
	sa_set_str(&a, "::1", 1);
	sa_unmap(&a);
	cr_assert_eq(sa_family(&a), AF_INET6, "plain v6 stays v6");
}

Test(sa, raw_and_sockaddr_round_trip)
{
	const uint8_t v4[4] = { 198, 51, 100, 7 };
	struct sa a, b;
	const uint8_t *p;
	size_t n;

	cr_assert_eq(sa_set_raw(&a, AF_INET, v4, 40000), 0);
	p = sa_addr_bytes(&a, &n);
	cr_assert_eq(n, 4);
	cr_assert_eq(memcmp(p, v4, 4), 0);
	cr_assert_eq(sa_set_sockaddr(&b, &a.u.sa, a.len), 0);
	cr_assert(sa_equal(&a, &b));
	cr_assert_eq(sa_set_raw(&a, AF_UNIX, v4, 1), EINVAL);
	cr_assert_eq(sa_set_sockaddr(&b, &a.u.sa, 2), EINVAL);
}

Test(sa, unset_is_harmless)
{
	struct sa a;
	char buf[SA_STRLEN];
	size_t n;

	sa_init(&a);
	cr_assert_not(sa_is_set(&a));
	cr_assert_eq(sa_family(&a), AF_UNSPEC);
	cr_assert_eq(sa_port(&a), 0);
	cr_assert_null(sa_addr_bytes(&a, &n));
	cr_assert_str_eq(sa_print(&a, buf, sizeof(buf)), "(none)");
	cr_assert_not(sa_equal(&a, &a));
}

/* Embedded IPv4: the text of each IPv4 sa_embedded_v4 finds, joined. */
static const char *embedded(const char *v6, char *out, size_t size)
{
	struct sa a, v4[SA_EMBED_MAX];
	char buf[SA_STRLEN];
	size_t i, n;

	cr_assert_eq(sa_set_str(&a, v6, 7), 0, "%s", v6);
	n = sa_embedded_v4(&a, v4, SA_EMBED_MAX);
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		cr_assert_eq(sa_family(&v4[i]), AF_INET);
		cr_assert_eq(sa_port(&v4[i]), 7, "the port is kept");
		if (i)
			strncat(out, " ", size - strlen(out) - 1);
		strncat(out, sa_print_addr(&v4[i], buf, sizeof(buf)),
			size - strlen(out) - 1);
	}
	return out;
}

Test(sa, embedded_v4_every_form)
{
	static const char *const v[][2] = {
		{ "::ffff:127.0.0.1", "127.0.0.1" },	    /* mapped */
		{ "::169.254.169.254", "169.254.169.254" }, /* compatible */
		{ "::ffff:0:10.0.0.1", "10.0.0.1" },	    /* SIIT */
		{ "64:ff9b::7f00:1", "127.0.0.1" },	    /* NAT64 /96 */
		{ "64:ff9b::a9fe:a9fe", "169.254.169.254" },
		/* 64:ff9b:1::/48, RFC 6052 §2.2 positions /48../96 */
		{ "64:ff9b:1:7f00:0:100::",
		  "127.0.0.1 0.0.1.0 0.1.0.0 0.0.0.0" },
		{ "64:ff9b:1:0:a9:fea9:fe00::",
		  "0.0.169.254 0.169.254.169 169.254.169.254 254.0.0.0" },
		{ "64:ff9b:1::a00:1", "0.0.0.0 0.0.0.0 0.0.0.10 10.0.0.1" },
		{ "2002:7f00:1::1", "127.0.0.1" }, /* 6to4 */
		{ "2002:a9fe:a9fe:1::", "169.254.169.254" },
		/* Teredo: server 65.54.227.120, client 127.0.0.1 obfuscated */
		{ "2001:0:4136:e378:8000:63bf:80ff:fffe",
		  "65.54.227.120 127.0.0.1" },
		{ "2001:0:a00:1::5601:5656", "10.0.0.1 169.254.169.169" },
		/* not embedded: 2001:db8:: is not Teredo (2001:0::/32) */
		{ "2001:db8::1", "" },
		{ "2001:1::1", "" },
		{ "64:ff9b:2::1", "" },
		{ "fd00:ec2::254", "" },
		{ "2003::1", "" },
		{ "::1", "" }, /* loopback, not IPv4-compatible 0.0.0.1 */
		{ "::", "" },
		{ "::2", "0.0.0.2" },
		{ "::ffff:1:0:0:1", "" },
	};
	char out[128];
	struct sa a, v4[SA_EMBED_MAX];
	unsigned i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		cr_assert_str_eq(embedded(v[i][0], out, sizeof(out)), v[i][1],
				 "%s", v[i][0]);
	cr_assert_eq(sa_set_str(&a, "127.0.0.1", 1), 0);
	cr_assert_eq(sa_embedded_v4(&a, v4, SA_EMBED_MAX), 0, "IPv4 itself");
	cr_assert_eq(sa_set_str(&a, "64:ff9b:1::a00:1", 1), 0);
	cr_assert_eq(sa_embedded_v4(&a, v4, 2), 2, "max is respected");
	sa_init(&a);
	cr_assert_eq(sa_embedded_v4(&a, v4, SA_EMBED_MAX), 0, "unset");
}
