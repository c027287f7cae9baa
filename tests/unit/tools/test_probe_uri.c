/* turn-probe's URI parser against RFC 7064 §3.1 and RFC 7065 §3.1. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "tools/common/uri.h"

static struct probe_uri parse_ok(const char *text)
{
	struct probe_uri u;
	char why[160] = "";

	cr_assert_eq(probe_uri_parse(&u, text, why, sizeof(why)), 0, "%s: %s",
		     text, why);
	return u;
}

static void parse_bad(const char *text, const char *reason)
{
	struct probe_uri u;
	char why[160] = "";

	cr_assert_eq(probe_uri_parse(&u, text, why, sizeof(why)), EINVAL,
		     "%s parsed", text);
	cr_assert(strstr(why, reason), "%s: '%s' lacks '%s'", text, why,
		  reason);
}

Test(uri, stun_default_port)
{
	struct probe_uri u = parse_ok("stun:stun.example.org");

	cr_assert_eq(u.scheme, PROBE_STUN);
	cr_assert_eq(u.transport, PROBE_UDP);
	cr_assert_str_eq(u.host, "stun.example.org");
	cr_assert_eq(u.port, 3478);
}

Test(uri, stuns_default_port_tls)
{
	struct probe_uri u = parse_ok("stuns:192.0.2.1");

	cr_assert_eq(u.scheme, PROBE_STUNS);
	cr_assert_eq(u.transport, PROBE_TLS);
	cr_assert_eq(u.port, 5349);
}

Test(uri, turn_transports)
{
	cr_assert_eq(parse_ok("turn:h").transport, PROBE_UDP);
	cr_assert_eq(parse_ok("turn:h?transport=udp").transport, PROBE_UDP);
	cr_assert_eq(parse_ok("turn:h:1234?transport=tcp").transport,
		     PROBE_TCP);
	cr_assert_eq(parse_ok("turns:h?transport=tcp").transport, PROBE_TLS);
	cr_assert_eq(parse_ok("turns:h").port, 5349);
	cr_assert_eq(parse_ok("TURN:h?transport=TCP").transport, PROBE_TCP);
}

Test(uri, ipv6_literal)
{
	struct probe_uri u = parse_ok("turn:[2001:db8::1]:3479?transport=tcp");

	cr_assert_str_eq(u.host, "2001:db8::1");
	cr_assert(u.ipv6_literal);
	cr_assert_eq(u.port, 3479);
	u = parse_ok("stun:[::1]");
	cr_assert_str_eq(u.host, "::1");
	cr_assert_eq(u.port, 3478);
}

Test(uri, print_round_trip)
{
	struct probe_uri u = parse_ok("turn:[::1]?transport=tcp");
	char buf[320];

	cr_assert_str_eq(probe_uri_print(&u, buf, sizeof(buf)),
			 "turn:[::1]:3478?transport=tcp");
	u = parse_ok("stuns:example.org:443");
	cr_assert_str_eq(probe_uri_print(&u, buf, sizeof(buf)),
			 "stuns:example.org:443");
}

Test(uri, bad)
{
	parse_bad("http://example.org", "expected stun:");
	parse_bad("stun://example.org", "no '//'");
	parse_bad("stun:", "no host");
	parse_bad("stun:h:0", "bad port");
	parse_bad("stun:h:65536", "bad port");
	parse_bad("stun:h:12a", "unexpected");
	parse_bad("stun:h:", "bad port");
	parse_bad("stun:h?transport=udp", "no query");
	parse_bad("turn:h?transport=sctp", "unsupported transport");
	parse_bad("turn:h?foo=bar", "unknown query");
	parse_bad("turns:h?transport=udp", "DTLS");
	parse_bad("turn:2001:db8::1", "brackets");
	parse_bad("turn:[2001:db8::1", "unterminated");
	parse_bad("turn:[not-v6]", "not an IPv6");
	parse_bad("turn:user@h", "unexpected");
	cr_assert_eq(probe_uri_parse(NULL, "stun:h", NULL, 0), EINVAL);
}
