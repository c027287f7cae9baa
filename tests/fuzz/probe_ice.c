/*
 * probe_ice.c — libFuzzer target for turn-probe's iceServers JSON parser.
 *
 * The input is the JSON. The parser appends to a list that already holds
 * one target, so "all or nothing" is checked: on error the list is as it
 * was, on success every appended target has a well-formed URI and
 * credentials that fit, and a turn:/turns: URI has both username and
 * credential.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tools/probe/probe.h"
#include "fuzz.h"

static void check_target(const struct probe_target *t)
{
	const struct probe_uri *u = &t->uri;
	size_t n = strnlen(u->host, sizeof(u->host));

	CHECK(memchr(t->user, '\0', sizeof(t->user)));
	CHECK(memchr(t->pass, '\0', sizeof(t->pass)));
	CHECK(n > 0 && n < sizeof(u->host));
	CHECK(u->port >= 1);
	CHECK(u->scheme == PROBE_STUN || u->scheme == PROBE_STUNS ||
	      u->scheme == PROBE_TURN || u->scheme == PROBE_TURNS);
	CHECK(u->transport == PROBE_UDP || u->transport == PROBE_TCP ||
	      u->transport == PROBE_TLS);
	CHECK(probe_uri_is_tls(u) ==
	      (u->scheme == PROBE_STUNS || u->scheme == PROBE_TURNS));
	if (probe_uri_is_turn(u))
		CHECK(t->user[0] && t->pass[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct probe_targets l = { 0 };
	struct probe_target first;
	char why[256];
	int rc;

	memset(&first, 0, sizeof(first));
	CHECK(probe_uri_parse(&first.uri, "stun:sentinel.example", NULL, 0) ==
	      0);
	CHECK(probe_targets_add(&l, &first) == 0);

	memset(why, 'x', sizeof(why));
	rc = probe_ice_parse(&l, (const char *)data, size, why, sizeof(why));
	CHECK(l.n >= 1 && memcmp(&l.v[0], &first, sizeof(first)) == 0);
	if (rc) {
		CHECK(rc == EINVAL || rc == ENOMEM);
		CHECK(l.n == 1);
		CHECK(memchr(why, '\0', sizeof(why)) && why[0] != '\0');
	} else {
		CHECK(l.n >= 2);
		for (size_t i = 1; i < l.n; i++)
			check_target(&l.v[i]);
	}
	probe_targets_free(&l);
	CHECK(!l.v && l.n == 0);
	return 0;
}
