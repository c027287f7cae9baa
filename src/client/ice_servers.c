/*
 * ice_servers.c — a browser's iceServers JSON into the agent's server list
 * (tern/ice_servers.h). Pure: JSON text in, list or sentence out; jansson
 * reads the JSON. The one parser of this JSON in the project: turn-probe,
 * tern-ice and tern-peer take their --ice-servers through it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "base/why.h"
#include "tern/ice_servers.h"

/* The credentials of one entry, given to each of its URLs. */
struct entry {
	size_t no; /* from 1, for the messages */
	const char *user, *cred;
};

/* "stun" matches "stun:..." and "STUN:...", not "stuns:..." */
static bool has_scheme(const char *url, const char *scheme)
{
	size_t n = strlen(scheme);

	return strncasecmp(url, scheme, n) == 0 && url[n] == ':';
}

/* Room for one more server. */
static int grow(struct tern_ice_servers *l, size_t *cap)
{
	size_t nc = *cap ? 2 * *cap : 4;
	struct tern_ice_server *v;
	char **mem;

	if (l->n < *cap)
		return 0;
	v = realloc(l->v, nc * sizeof(*v));
	if (!v)
		return ENOMEM;
	l->v = v;
	mem = realloc(l->mem, nc * sizeof(*mem));
	if (!mem)
		return ENOMEM;
	l->mem = mem;
	*cap = nc;
	return 0;
}

/* Append url with e's credentials, the three strings in one block. */
static int append(struct tern_ice_servers *l, size_t *cap, const char *url,
		  const struct entry *e)
{
	size_t lu = strlen(url) + 1;
	size_t ln = e->user ? strlen(e->user) + 1 : 0;
	size_t lc = e->cred ? strlen(e->cred) + 1 : 0;
	char *m;

	if (grow(l, cap))
		return ENOMEM;
	m = malloc(lu + ln + lc);
	if (!m)
		return ENOMEM;
	memcpy(m, url, lu);
	if (e->user)
		memcpy(m + lu, e->user, ln);
	if (e->cred)
		memcpy(m + lu + ln, e->cred, lc);
	l->v[l->n] = (struct tern_ice_server){
		.url = m,
		.username = e->user ? m + lu : NULL,
		.credential = e->cred ? m + lu + ln : NULL,
	};
	l->mem[l->n++] = m;
	return 0;
}

/* One element of "urls". WebRTC 1.0 §4.4.1.1: the scheme must be one of
 * the four, and a TURN URL needs a username and a credential (a browser
 * throws InvalidAccessError; libwebrtc refuses empty strings too). */
static int add_url(struct tern_ice_servers *l, size_t *cap, json_t *url,
		   const struct entry *e, char *why, size_t size)
{
	const char *s;
	bool turn;

	if (!json_is_string(url))
		return why_fail(
		    EINVAL, why, size,
		    "entry %zu: \"urls\" must be a string or an array "
		    "of strings",
		    e->no);
	s = json_string_value(url);
	turn = has_scheme(s, "turn") || has_scheme(s, "turns");
	if (!turn && !has_scheme(s, "stun") && !has_scheme(s, "stuns"))
		return why_fail(EINVAL, why, size,
				"entry %zu: \"%.200s\" is not a stun:, stuns:, "
				"turn: or turns: URL",
				e->no, s);
	if (turn && (!e->user || !*e->user || !e->cred || !*e->cred))
		return why_fail(EINVAL, why, size,
				"entry %zu: %.200s needs a \"username\" and a "
				"\"credential\"",
				e->no, s);
	return append(l, cap, s, e);
}

/* A string member into *out: NULL when absent or null. */
static int str_member(json_t *o, const char *key, size_t no, const char **out,
		      char *why, size_t size)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return why_fail(EINVAL, why, size,
				"entry %zu: \"%s\" must be a string", no, key);
	*out = json_string_value(v);
	return 0;
}

/* Entry i of the list: its credentials, then each URL. */
static int parse_entry(struct tern_ice_servers *l, size_t *cap, json_t *s,
		       size_t i, char *why, size_t size)
{
	struct entry e = { .no = i + 1 };
	json_t *urls, *ct, *u;
	size_t j;
	int err;

	if (!json_is_object(s))
		return why_fail(EINVAL, why, size, "entry %zu is not an object",
				e.no);
	err = str_member(s, "username", e.no, &e.user, why, size);
	if (!err)
		err = str_member(s, "credential", e.no, &e.cred, why, size);
	if (err)
		return err;
	ct = json_object_get(s, "credentialType");
	if (ct && !(json_is_string(ct) &&
		    strcmp(json_string_value(ct), "password") == 0))
		return why_fail(EINVAL, why, size,
				"entry %zu: \"credentialType\" must be "
				"\"password\", the only kind supported",
				e.no);
	urls = json_object_get(s, "urls");
	if (!urls)
		urls = json_object_get(s, "url");
	if (!urls)
		return why_fail(EINVAL, why, size, "entry %zu has no \"urls\"",
				e.no);
	if (!json_is_array(urls))
		return add_url(l, cap, urls, &e, why, size);
	if (json_array_size(urls) == 0)
		return why_fail(EINVAL, why, size,
				"entry %zu: \"urls\" is an empty array", e.no);
	json_array_foreach(urls, j, u)
	{
		err = add_url(l, cap, u, &e, why, size);
		if (err)
			return err;
	}
	return 0;
}

static int parse_list(struct tern_ice_servers *l, json_t *root, char *why,
		      size_t size)
{
	json_t *list = root, *s;
	size_t i, cap = 0;
	int err;

	if (json_is_object(root))
		list = json_object_get(root, "iceServers");
	if (!json_is_array(list))
		return why_fail(EINVAL, why, size,
				"expected an array of {\"urls\", \"username\", "
				"\"credential\"} objects, or {\"iceServers\": "
				"[...]}");
	json_array_foreach(list, i, s)
	{
		err = parse_entry(l, &cap, s, i, why, size);
		if (err)
			return err;
	}
	return 0;
}

int tern_ice_servers_parse(struct tern_ice_servers *out, const char *json,
			   size_t len, char *why, size_t why_size)
{
	struct tern_ice_servers l = { 0 };
	json_error_t jerr;
	json_t *root;
	int err;

	if (!out || !json)
		return why_fail(EINVAL, why, why_size, "no JSON");
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return why_fail(EINVAL, why, why_size,
				"not JSON: line %d, column %d: %s", jerr.line,
				jerr.column, jerr.text);
	err = parse_list(&l, root, why, why_size);
	json_decref(root);
	if (err) {
		tern_ice_servers_free(&l);
		return err;
	}
	*out = l;
	return 0;
}

void tern_ice_servers_free(struct tern_ice_servers *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		free(l->mem[i]);
	free(l->mem);
	free(l->v);
	*l = (struct tern_ice_servers){ 0 };
}
