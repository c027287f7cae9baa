/*
 * probe_uri.c — libFuzzer target for turn-probe's STUN/TURN URI parser
 * (RFC 7064, RFC 7065).
 *
 * The input, cut at its first NUL, is one URI. A parsed URI must be
 * consistent (scheme and transport in their enums and fitting each other,
 * port 1-65535, a host that is a name or an IPv6 address), print within
 * bounds, and parse back from its printed form to the same URI. A refused
 * URI must say why.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tools/common/uri.h"
#include "fuzz.h"

#define MAX_INPUT 4096

static bool host_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '.' || c == '_';
}

static void check_uri(const struct probe_uri *u)
{
	struct in6_addr a6;
	size_t n = strnlen(u->host, sizeof(u->host));

	CHECK(n > 0 && n < sizeof(u->host));
	CHECK(u->port >= 1);
	switch (u->scheme) {
	case PROBE_STUN:
		CHECK(u->transport == PROBE_UDP);
		break;
	case PROBE_TURN:
		CHECK(u->transport == PROBE_UDP || u->transport == PROBE_TCP);
		break;
	case PROBE_STUNS:
	case PROBE_TURNS:
		CHECK(u->transport == PROBE_TLS);
		break;
	default:
		CHECK(0);
	}
	CHECK(probe_uri_is_tls(u) ==
	      (u->scheme == PROBE_STUNS || u->scheme == PROBE_TURNS));
	CHECK(probe_uri_is_turn(u) ==
	      (u->scheme == PROBE_TURN || u->scheme == PROBE_TURNS));
	if (u->ipv6_literal) {
		CHECK(inet_pton(AF_INET6, u->host, &a6) == 1);
	} else {
		for (size_t i = 0; i < n; i++)
			CHECK(host_char(u->host[i]));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct probe_uri u, again;
	char text[MAX_INPUT + 1], why[160], printed[PROBE_HOST_MAX + 64];
	char small[16];
	size_t plen;

	if (size > MAX_INPUT)
		return -1;
	memcpy(text, data, size);
	text[size] = '\0';

	memset(why, 'x', sizeof(why));
	if (probe_uri_parse(&u, text, why, sizeof(why)) != 0) {
		CHECK(memchr(why, '\0', sizeof(why)) && why[0] != '\0');
		return 0;
	}
	check_uri(&u);
	/* why may be NULL; the result must not depend on it */
	CHECK(probe_uri_parse(&again, text, NULL, 0) == 0);
	CHECK(memcmp(&again, &u, sizeof(u)) == 0);

	probe_uri_print(&u, printed, sizeof(printed));
	plen = strlen(printed);
	CHECK(plen > 0 && plen < sizeof(printed) - 1); /* not truncated */
	CHECK(probe_uri_parse(&again, printed, why, sizeof(why)) == 0);
	check_uri(&again);
	CHECK(again.scheme == u.scheme && again.transport == u.transport &&
	      again.port == u.port && again.ipv6_literal == u.ipv6_literal &&
	      strcmp(again.host, u.host) == 0);

	/* a short buffer truncates, still NUL-terminated */
	memset(small, 'x', sizeof(small));
	CHECK(probe_uri_print(&u, small, sizeof(small)) == small);
	CHECK(memchr(small, '\0', sizeof(small)));
	CHECK(strncmp(small, printed, sizeof(small) - 1) == 0);
	return 0;
}
