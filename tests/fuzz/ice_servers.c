/*
 * ice_servers.c — libFuzzer target for the iceServers JSON parser,
 * libtern's tern_ice_servers_parse (src/client/ice_servers.c), the one
 * turn-probe, tern-ice and tern-peer use.
 *
 * The input is the JSON. The list handed in is empty and must stay empty
 * on error, with a sentence in why; on success every server has a URL
 * with one of the four schemes, a turn:/turns: URL has a non-empty
 * username and credential, and each string lies in its server's block.
 * Freeing leaves the list empty (LeakSanitizer checks the rest).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tern/ice_servers.h"
#include "fuzz.h"

static int scheme_len(const char *url)
{
	static const char *const schemes[] = { "stun:", "stuns:", "turn:",
					       "turns:" };

	for (size_t i = 0; i < 4; i++)
		if (!strncasecmp(url, schemes[i], strlen(schemes[i])))
			return (int)strlen(schemes[i]);
	return 0;
}

static void check_server(const struct tern_ice_server *s, const char *mem)
{
	int n;

	CHECK(s->url == mem);
	n = scheme_len(s->url);
	CHECK(n > 0);
	if (!strncasecmp(s->url, "turn", 4)) {
		CHECK(s->username && *s->username);
		CHECK(s->credential && *s->credential);
	}
	if (s->username)
		CHECK(s->username == s->url + strlen(s->url) + 1);
	if (s->credential)
		CHECK(s->credential ==
		      s->url + strlen(s->url) + 1 +
			  (s->username ? strlen(s->username) + 1 : 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tern_ice_servers l = { 0 };
	char why[256];
	int rc;

	memset(why, 'x', sizeof(why));
	rc = tern_ice_servers_parse(&l, (const char *)data, size, why,
				    sizeof(why));
	if (rc) {
		CHECK(rc == EINVAL || rc == ENOMEM);
		CHECK(!l.v && !l.mem && l.n == 0);
		CHECK(memchr(why, '\0', sizeof(why)) && why[0] != '\0');
	} else {
		CHECK(l.n == 0 || (l.v && l.mem));
		for (size_t i = 0; i < l.n; i++)
			check_server(&l.v[i], l.mem[i]);
	}
	tern_ice_servers_free(&l);
	CHECK(!l.v && !l.mem && l.n == 0);
	return 0;
}
