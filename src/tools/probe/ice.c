/*
 * ice.c — the iceServers list a browser takes (WebRTC 1.0 §4.2.1
 * RTCIceServer): what an operator's credential service hands out, so the
 * probe tests exactly what a browser would be given.
 *
 * libtern parses the JSON (tern_ice_servers_parse, the parser tern-ice
 * and tern-peer use too); this file turns its list into targets. Pure.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tern/ice_servers.h"
#include "tools/probe/probe.h"

/* A credential into a target's fixed field; "" for NULL. */
static int copy_cred(char *out, const char *s, const char *what,
		     const char *url, char *why, size_t whylen)
{
	if (!s)
		s = "";
	if (strlen(s) >= PROBE_CRED_MAX)
		return tools_fail(why, whylen, "the %s for %.200s is too long",
				  what, url);
	strcpy(out, s);
	return 0;
}

/* One server of the parsed list as a target. */
static int to_target(struct probe_target *t, const struct tern_ice_server *s,
		     char *why, size_t whylen)
{
	char err[160];
	int e;

	memset(t, 0, sizeof(*t));
	if (probe_uri_parse(&t->uri, s->url, err, sizeof(err)))
		return tools_fail(why, whylen, "%.200s: %s", s->url, err);
	e = copy_cred(t->user, s->username, "username", s->url, why, whylen);
	if (!e)
		e = copy_cred(t->pass, s->credential, "credential", s->url, why,
			      whylen);
	return e;
}

int probe_ice_parse(struct probe_targets *out, const char *json, size_t len,
		    char *why, size_t whylen)
{
	struct tern_ice_servers l = { 0 };
	struct probe_target t;
	size_t before, i;
	int err;

	if (!out || !json)
		return tools_fail(why, whylen, "no JSON");
	err = tern_ice_servers_parse(&l, json, len, why, whylen);
	if (err)
		return err;
	if (l.n == 0)
		err = tools_fail(why, whylen, "the list of servers is empty");
	before = out->n;
	for (i = 0; !err && i < l.n; i++) {
		err = to_target(&t, &l.v[i], why, whylen);
		if (!err)
			err = probe_targets_add(out, &t);
	}
	if (err)
		out->n = before; /* all or nothing */
	tern_ice_servers_free(&l);
	return err;
}
