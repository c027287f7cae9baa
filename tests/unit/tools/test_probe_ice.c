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

/* The JSON's own errors come from libtern's parser (its tests in
 * tests/unit/client/test_ice_servers.c); these are the probe's. */
Test(ice, refused)
{
	bad("", "not JSON");
	bad("{\"urls\": \"stun:h\"}", "expected");
	bad("[]", "empty");
	bad("{\"iceServers\": []}", "empty");
	bad("[1]", "not an object");
	bad("[{\"username\": \"u\"}]", "no \"urls\"");
	bad("[{\"urls\": [7]}]", "must be a string");
	bad("[{\"urls\": \"turn:h\"}]", "needs a \"username\"");
	bad("[{\"urls\": \"turn:h\", \"username\": 5, \"credential\": \"p\"}]",
	    "must be a string");
	bad("[{\"urls\": \"turn:h\", \"username\": \"u\", \"credential\": "
	    "\"p\", \"credentialType\": \"oauth\"}]",
	    "credentialType");
	bad("[{\"urls\": \"http://h\"}]", "not a stun:");
	/* the probe's URI parser: a scheme libtern accepts, a bad port */
	bad("[{\"urls\": \"stun:h:99999\"}]", "stun:h:99999: ");
	bad("[{\"urls\": \"stun://h\"}]", "no '//'");
	/* all or nothing: the good first server is not kept */
	bad("[{\"urls\": \"stun:h\"}, {\"urls\": \"stun:h:0\"}]", "stun:h:0");
}

/* A credential that does not fit a target (USERNAME < 513 bytes). */
Test(ice, credential_too_long)
{
	char j[1200], u[600];

	memset(u, 'a', sizeof(u) - 1);
	u[sizeof(u) - 1] = '\0';
	snprintf(j, sizeof(j),
		 "[{\"urls\": \"turn:h\", \"username\": \"%s\", "
		 "\"credential\": \"p\"}]",
		 u);
	bad(j, "the username for turn:h is too long");
}

/* Appends to what the list holds; on error that is kept as it was. */
Test(ice, appends_all_or_nothing)
{
	struct probe_targets l = { 0 };
	char why[200] = "";

	cr_assert_eq(parse(&l, "[{\"urls\": \"stun:a\"}]", why), 0, "%s", why);
	cr_assert_eq(parse(&l, "[{\"urls\": [\"stun:b\", \"stun:c\"]}]", why),
		     0, "%s", why);
	cr_assert_eq(l.n, 3);
	cr_assert_eq(parse(&l, "[{\"urls\": [\"stun:d\", \"stun:e:0\"]}]", why),
		     EINVAL);
	cr_assert_eq(l.n, 3);
	cr_assert_str_eq(l.v[2].uri.host, "c");
	probe_targets_free(&l);
}
