/*
 * The ICE server URLs (src/client/ice_uri.c): RFC 7064 / RFC 7065 as a
 * browser's iceServers write them.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <string.h>

#include "client/ice_agent.h"

static struct ice_server parse_ok(const char *url)
{
	struct ice_server s;
	char why[128] = "";

	cr_assert_eq(ice_server_parse(&s, url, why, sizeof(why)), 0, "%s: %s",
		     url, why);
	return s;
}

Test(ice_uri, good)
{
	struct ice_server s = parse_ok("stun:stun.example.org");

	cr_assert(!s.turn);
	cr_assert_eq(s.tp, TERN_UDP);
	cr_assert_str_eq(s.host, "stun.example.org");
	cr_assert_eq(s.port, 3478);
	s = parse_ok("turn:192.0.2.1:3479?transport=tcp");
	cr_assert(s.turn);
	cr_assert_eq(s.tp, TERN_TCP);
	cr_assert_eq(s.port, 3479);
	s = parse_ok("TURN:[2001:db8::1]?transport=udp");
	cr_assert_str_eq(s.host, "2001:db8::1");
	cr_assert_eq(s.tp, TERN_UDP);
	s = parse_ok("turns:turn.example.org");
	cr_assert_eq(s.tp, TERN_TLS);
	cr_assert_eq(s.port, 5349);
	s = parse_ok("turns:turn.example.org:443?transport=tcp");
	cr_assert_eq(s.tp, TERN_TLS);
	cr_assert_eq(s.port, 443);
}

Test(ice_uri, bad)
{
	static const char *const bad[] = {
		"http://x",
		"stun:",
		"stun:host:0",
		"stun:host:65536",
		"stun:host:",
		"stun:host:12x",
		"stun:host?transport=udp",
		"turn:host?transport=sctp",
		"turns:host?transport=udp",
		"turn:[2001:db8::1",
		"stuns:host",
		"turn:user@host",
	};
	struct ice_server s;
	char why[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		cr_assert_eq(ice_server_parse(&s, bad[i], why, sizeof(why)),
			     EINVAL, "%s", bad[i]);
		cr_assert_neq(why[0], '\0', "%s", bad[i]);
	}
	cr_assert_eq(ice_server_parse(&s, NULL, NULL, 0), EINVAL);
}
