/* turn-probe's iceServers parser: the shapes browsers accept and refuse. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "tools/probe/probe.h"

static int parse(struct probe_targets *l, const char *json, char *why)
{
	return probe_ice_parse(l, json, strlen(json), why, 200);
}

Test(ice, array_of_servers)
{
	struct probe_targets l = { 0 };
	char why[200] = "";
	const char *j =
	    "[{\"urls\": [\"turn:t.example:3478?transport=udp\", "
	    "\"turns:t.example\"], \"username\": \"u\", "
	    "\"credential\": \"p\"}, {\"urls\": \"stun:s.example\"}]";

	cr_assert_eq(parse(&l, j, why), 0, "%s", why);
	cr_assert_eq(l.n, 3);
	cr_assert_eq(l.v[0].uri.scheme, PROBE_TURN);
	cr_assert_str_eq(l.v[0].user, "u");
	cr_assert_str_eq(l.v[1].pass, "p");
	cr_assert_eq(l.v[1].uri.transport, PROBE_TLS);
	cr_assert_eq(l.v[2].uri.scheme, PROBE_STUN);
	cr_assert_str_eq(l.v[2].user, "");
	probe_targets_free(&l);
}

Test(ice, rtc_configuration_and_old_url)
{
	struct probe_targets l = { 0 };
	char why[200] = "";
	const char *j = "{\"iceServers\": [{\"url\": \"turn:[::1]\", "
			"\"username\": \"1700000000:alice\", \"credential\": "
			"\"x\", \"credentialType\": \"password\"}]}";

	cr_assert_eq(parse(&l, j, why), 0, "%s", why);
	cr_assert_eq(l.n, 1);
	cr_assert(l.v[0].uri.ipv6_literal);
	probe_targets_free(&l);
}

static void bad(const char *json, const char *reason)
{
	struct probe_targets l = { 0 };
	char why[200] = "";

	cr_assert_eq(parse(&l, json, why), EINVAL, "%s parsed", json);
	cr_assert(strstr(why, reason), "'%s' lacks '%s'", why, reason);
	cr_assert_eq(l.n, 0, "partial result kept");
	probe_targets_free(&l);
}

Test(ice, refused)
{
	bad("", "line");
	bad("{\"urls\": \"stun:h\"}", "expected");
	bad("[]", "empty");
	bad("[1]", "not an object");
	bad("[{\"username\": \"u\"}]", "no urls");
	bad("[{\"urls\": []}]", "no urls");
	bad("[{\"urls\": [7]}]", "not a string");
	bad("[{\"urls\": \"turn:h\"}]", "needs username and credential");
	bad("[{\"urls\": \"turn:h\", \"username\": \"u\"}]", "needs username");
	bad("[{\"urls\": \"turn:h\", \"username\": 5, \"credential\": \"p\"}]",
	    "not a string");
	bad("[{\"urls\": \"turn:h\", \"username\": \"u\", \"credential\": "
	    "\"p\", \"credentialType\": \"oauth\"}]",
	    "credentialType");
	bad("[{\"urls\": \"http://h\"}]", "expected stun:");
	/* all or nothing: the good first server is not kept */
	bad("[{\"urls\": \"stun:h\"}, {\"urls\": \"bogus\"}]", "iceServers[1]");
}
