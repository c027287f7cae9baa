/*
 * ice_server_url.c — libFuzzer target for the ICE server URL parser of
 * libtern's ICE agent (src/client/ice_uri.c, RFC 7064 / RFC 7065), which
 * reads what an application passes on from its iceServers configuration.
 *
 * Input: one URL (made NUL-terminated here). Seeds:
 * tests/fuzz/corpus/ice-server-url.
 *
 * Checked: a refused URL gets EINVAL and a printable reason; an accepted
 * one has a host (NUL-terminated, no '/', '@' or space), a port, and a
 * transport that fits the scheme (stun: UDP; turns: TLS).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/ice_agent.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ice_server s;
	char why[128];
	char *url;
	int err;

	if (size > 4096)
		return 0;
	url = malloc(size + 1);
	if (!url)
		return 0;
	memcpy(url, data, size);
	url[size] = '\0';
	why[0] = '\0';
	err = ice_server_parse(&s, url, why, sizeof(why));
	if (err) {
		CHECK(err == EINVAL);
		CHECK(why[0] != '\0');
	} else {
		size_t n = strnlen(s.host, sizeof(s.host));
		CHECK(n > 0 && n < sizeof(s.host));
		CHECK(!strpbrk(s.host, "/@ "));
		CHECK(s.port != 0);
		CHECK(s.turn || s.tp == TERN_UDP);
		CHECK((strncasecmp(url, "turns:", 6) == 0) ==
		      (s.tp == TERN_TLS));
	}
	free(url);
	return 0;
}
