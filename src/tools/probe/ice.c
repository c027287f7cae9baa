/*
 * ice.c — the iceServers list a browser takes (WebRTC 1.0 §4.2.1
 * RTCIceServer): what an operator's credential service hands out, so the
 * probe tests exactly what a browser would be given.
 *
 * Pure: JSON text in, targets out.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "tools/probe/probe.h"

/* A string member, or "" when absent; EINVAL when present but not a
 * string or too long for a STUN attribute. */
static int str_member(json_t *o, const char *key, char *out, size_t i,
		      char *why, size_t whylen)
{
	json_t *v = json_object_get(o, key);
	const char *s;

	out[0] = '\0';
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return tools_fail(why, whylen,
				  "iceServers[%zu].%s: not a string", i, key);
	s = json_string_value(v);
	if (strlen(s) >= PROBE_CRED_MAX)
		return tools_fail(why, whylen, "iceServers[%zu].%s: too long",
				  i, key);
	strcpy(out, s);
	return 0;
}

/* One URL of server i with the server's credentials. */
static int add_url(struct probe_targets *out, const struct probe_target *base,
		   json_t *url, size_t i, char *why, size_t whylen)
{
	struct probe_target t = *base;
	char err[160];

	if (!json_is_string(url))
		return tools_fail(why, whylen,
				  "iceServers[%zu].urls: not a string", i);
	if (probe_uri_parse(&t.uri, json_string_value(url), err, sizeof(err)))
		return tools_fail(why, whylen, "iceServers[%zu]: %s", i, err);
	/* A browser throws InvalidAccessError here (WebRTC §4.4.1.1 step
	 * "validate the ICE server"); so does the probe, with the reason. */
	if (probe_uri_is_turn(&t.uri) && (!*t.user || !*t.pass))
		return tools_fail(
		    why, whylen,
		    "iceServers[%zu]: %s needs username and credential", i,
		    json_string_value(url));
	return probe_targets_add(out, &t);
}

static int parse_server(struct probe_targets *out, json_t *s, size_t i,
			char *why, size_t whylen)
{
	struct probe_target base;
	json_t *urls, *ct, *u;
	size_t j;
	int err;

	if (!json_is_object(s))
		return tools_fail(why, whylen, "iceServers[%zu]: not an object",
				  i);
	memset(&base, 0, sizeof(base));
	err = str_member(s, "username", base.user, i, why, whylen);
	if (!err)
		err = str_member(s, "credential", base.pass, i, why, whylen);
	if (err)
		return err;
	ct = json_object_get(s, "credentialType");
	if (ct && !(json_is_string(ct) &&
		    strcmp(json_string_value(ct), "password") == 0))
		return tools_fail(
		    why, whylen,
		    "iceServers[%zu]: only credentialType \"password\"", i);
	urls = json_object_get(s, "urls");
	if (!urls)
		urls = json_object_get(s, "url");
	if (json_is_string(urls))
		return add_url(out, &base, urls, i, why, whylen);
	if (!json_is_array(urls) || json_array_size(urls) == 0)
		return tools_fail(why, whylen, "iceServers[%zu]: no urls", i);
	json_array_foreach(urls, j, u)
	{
		err = add_url(out, &base, u, i, why, whylen);
		if (err)
			return err;
	}
	return 0;
}

static int parse_list(struct probe_targets *out, json_t *root, char *why,
		      size_t whylen)
{
	json_t *list = root, *s;
	size_t i;
	int err;

	if (json_is_object(root))
		list = json_object_get(root, "iceServers");
	if (!json_is_array(list))
		return tools_fail(
		    why, whylen,
		    "expected [ {urls, username, credential}, ... ] or "
		    "{\"iceServers\": [...]}");
	if (json_array_size(list) == 0)
		return tools_fail(why, whylen, "iceServers is empty");
	json_array_foreach(list, i, s)
	{
		err = parse_server(out, s, i, why, whylen);
		if (err)
			return err;
	}
	return 0;
}

int probe_ice_parse(struct probe_targets *out, const char *json, size_t len,
		    char *why, size_t whylen)
{
	size_t before;
	json_error_t jerr;
	json_t *root;
	int err;

	if (!out || !json)
		return tools_fail(why, whylen, "no JSON");
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return tools_fail(why, whylen, "line %d column %d: %s",
				  jerr.line, jerr.column, jerr.text);
	before = out->n;
	err = parse_list(out, root, why, whylen);
	if (err)
		out->n = before; /* all or nothing */
	json_decref(root);
	return err;
}
