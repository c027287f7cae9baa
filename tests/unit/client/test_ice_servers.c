/*
 * The iceServers JSON parser (src/client/ice_servers.c, tern/ice_servers.h):
 * the shapes a browser accepts, the ones it refuses, one test per error
 * path, and "nothing kept" on error.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tern/ice_servers.h"

static int parse(struct tern_ice_servers *l, const char *json, char *why)
{
	return tern_ice_servers_parse(l, json, strlen(json), why, 200);
}

Test(ice_servers, array_of_entries)
{
	struct tern_ice_servers l = { 0 };
	char why[200] = "";
	const char *j =
	    "[{\"urls\": [\"turn:t.example:3478?transport=udp\", "
	    "\"turns:t.example\"], \"username\": \"u\", "
	    "\"credential\": \"p\"}, {\"urls\": \"stun:s.example\"}]";

	cr_assert_eq(parse(&l, j, why), 0, "%s", why);
	cr_assert_eq(l.n, 3);
	cr_assert_str_eq(l.v[0].url, "turn:t.example:3478?transport=udp");
	cr_assert_str_eq(l.v[0].username, "u");
	cr_assert_str_eq(l.v[0].credential, "p");
	cr_assert_str_eq(l.v[1].url, "turns:t.example");
	cr_assert_str_eq(l.v[1].username, "u");
	cr_assert_str_eq(l.v[1].credential, "p");
	cr_assert_str_eq(l.v[2].url, "stun:s.example");
	cr_assert_null(l.v[2].username);
	cr_assert_null(l.v[2].credential);
	tern_ice_servers_free(&l);
	cr_assert(!l.v && !l.mem && l.n == 0);
	tern_ice_servers_free(&l); /* twice, and NULL: no harm */
	tern_ice_servers_free(NULL);
}

/* tern-signal's shape and the pre-2013 "url"; null credentials of a STUN
 * server are as absent; schemes in any case. */
Test(ice_servers, rtc_configuration_and_old_url)
{
	struct tern_ice_servers l = { 0 };
	char why[200] = "";
	const char *j = "{\"iceServers\": [{\"url\": \"TURN:[::1]\", "
			"\"username\": \"1700000000:alice\", \"credential\": "
			"\"x\", \"credentialType\": \"password\"}, "
			"{\"urls\": \"Stuns:s\", \"username\": null}], "
			"\"iceTransportPolicy\": \"relay\"}";

	cr_assert_eq(parse(&l, j, why), 0, "%s", why);
	cr_assert_eq(l.n, 2);
	cr_assert_str_eq(l.v[0].url, "TURN:[::1]");
	cr_assert_str_eq(l.v[0].username, "1700000000:alice");
	cr_assert_str_eq(l.v[1].url, "Stuns:s");
	cr_assert_null(l.v[1].username);
	tern_ice_servers_free(&l);
}

/* As for a browser, no servers at all is a valid configuration. */
Test(ice_servers, empty)
{
	struct tern_ice_servers l = { 0 };
	char why[200] = "";

	cr_assert_eq(parse(&l, "[]", why), 0, "%s", why);
	cr_assert_eq(l.n, 0);
	cr_assert_eq(parse(&l, "{\"iceServers\": []}", why), 0, "%s", why);
	cr_assert_eq(l.n, 0);
	tern_ice_servers_free(&l);
}

/* The list given to tern_ice_opts: many URLs, the array grows. */
Test(ice_servers, many)
{
	struct tern_ice_servers l = { 0 };
	char why[200] = "", j[4096];
	size_t k = 0;

	k += (size_t)snprintf(j + k, sizeof(j) - k, "[");
	for (int i = 0; i < 40; i++)
		k += (size_t)snprintf(j + k, sizeof(j) - k,
				      "%s{\"urls\": \"stun:h%d\"}",
				      i ? ", " : "", i);
	snprintf(j + k, sizeof(j) - k, "]");
	cr_assert_eq(parse(&l, j, why), 0, "%s", why);
	cr_assert_eq(l.n, 40);
	cr_assert_str_eq(l.v[39].url, "stun:h39");
	tern_ice_servers_free(&l);
}

static void bad(const char *json, const char *reason)
{
	struct tern_ice_servers l = { 0 };
	char why[200] = "";

	cr_assert_eq(parse(&l, json, why), EINVAL, "%s parsed", json);
	cr_assert(strstr(why, reason), "'%s' lacks '%s'", why, reason);
	cr_assert(!l.v && !l.mem && l.n == 0, "partial result kept");
}

Test(ice_servers, refused)
{
	bad("", "not JSON: line 1");
	bad("[{\"urls\": \"stun:a\", \"urls\": \"stun:b\"}]", "not JSON");
	bad("{\"urls\": \"stun:h\"}", "expected an array");
	bad("{\"iceServers\": {}}", "expected an array");
	bad("{\"iceServers\": 7}", "expected an array");
	bad("[1]", "entry 1 is not an object");
	bad("[{\"username\": \"u\"}]", "entry 1 has no \"urls\"");
	bad("[{\"urls\": []}]", "entry 1: \"urls\" is an empty array");
	bad("[{\"urls\": 7}]",
	    "entry 1: \"urls\" must be a string or an array of strings");
	bad("[{\"urls\": \"stun:h\"}, {\"urls\": [\"stun:h\", 7]}]",
	    "entry 2: \"urls\" must be a string or an array of strings");
	bad("[{\"urls\": \"http://h\"}]",
	    "entry 1: \"http://h\" is not a stun:, stuns:, turn: or turns: "
	    "URL");
	bad("[{\"urls\": \"stunx:h\"}]", "not a stun:");
	bad("[{\"urls\": \"turn:h\"}]",
	    "entry 1: turn:h needs a \"username\" and a \"credential\"");
	bad("[{\"urls\": \"turns:h\", \"username\": \"u\"}]", "needs a");
	bad("[{\"urls\": \"turn:h\", \"username\": \"\", \"credential\": "
	    "\"p\"}]",
	    "needs a");
	bad("[{\"urls\": \"turn:h\", \"username\": 5, \"credential\": \"p\"}]",
	    "entry 1: \"username\" must be a string");
	bad("[{\"urls\": \"stun:h\", \"credential\": {}}]",
	    "entry 1: \"credential\" must be a string");
	bad("[{\"urls\": \"turn:h\", \"username\": \"u\", \"credential\": "
	    "\"p\", \"credentialType\": \"oauth\"}]",
	    "entry 1: \"credentialType\" must be \"password\"");
	/* all or nothing: the good first entry is not kept */
	bad("[{\"urls\": \"stun:h\"}, {\"urls\": \"bogus\"}]", "entry 2");
}

Test(ice_servers, no_input)
{
	struct tern_ice_servers l = { 0 };
	char why[200] = "";

	cr_assert_eq(tern_ice_servers_parse(NULL, "[]", 2, why, sizeof(why)),
		     EINVAL);
	cr_assert_eq(tern_ice_servers_parse(&l, NULL, 0, why, sizeof(why)),
		     EINVAL);
	cr_assert_eq(tern_ice_servers_parse(&l, "[1]", 3, NULL, 0), EINVAL);
}
