/*
 * sessions.c — /sessions rendered as JSON or a table; see sessions.h.
 */
#include "relay/sessions.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include <event2/buffer.h>

#include "base/sa.h"

/* A JSON string: printable ASCII as is, the rest escaped. */
static void json_str(struct evbuffer *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	evbuffer_add(b, "\"", 1);
	for (; *p; p++) {
		if (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\')
			evbuffer_add(b, p, 1);
		else
			evbuffer_add_printf(b, "\\u%04x", *p);
	}
	evbuffer_add(b, "\"", 1);
}

static void json_sa(struct evbuffer *b, const struct sa *a, bool port)
{
	char t[SA_STRLEN];

	if (port)
		sa_print(a, t, sizeof(t));
	else
		sa_print_addr(a, t, sizeof(t));
	json_str(b, t);
}

static void json_peers(struct evbuffer *b, const struct turn_session *s)
{
	unsigned i;

	evbuffer_add_printf(b, ", \"permissions\": [");
	for (i = 0; i < s->nperm_l; i++) {
		evbuffer_add_printf(b, "%s", i ? ", " : "");
		json_sa(b, &s->perm[i], false);
	}
	evbuffer_add_printf(b, "], \"permissions_total\": %u, \"channels\": [",
			    s->nperm);
	for (i = 0; i < s->nchan_l; i++) {
		evbuffer_add_printf(b, "%s{\"number\": %u, \"peer\": ",
				    i ? ", " : "", s->chan_num[i]);
		json_sa(b, &s->chan_peer[i], true);
		evbuffer_add(b, "}", 1);
	}
	evbuffer_add_printf(b, "], \"channels_total\": %u}", s->nchan);
}

static void json_one(struct evbuffer *b, const struct turn_session *s)
{
	unsigned i;

	evbuffer_add_printf(
	    b, "{\"id\": \"%016" PRIx64 "\", \"user\": ", s->session);
	json_str(b, s->user);
	evbuffer_add_printf(b, ", \"transport\": \"%s\", \"client\": ",
			    turn_transport_name(s->tp));
	json_sa(b, &s->client, true);
	evbuffer_add_printf(b, ", \"relayed\": [");
	for (i = 0; i < s->nrelay; i++) {
		evbuffer_add_printf(b, "%s", i ? ", " : "");
		json_sa(b, &s->relay[i], true);
	}
	evbuffer_add_printf(
	    b,
	    "], \"age_s\": %" PRIu64 ", \"expires_in_s\": %" PRIu64
	    ", \"to_peer\": {\"packets\": %" PRIu64 ", \"bytes\": %" PRIu64
	    "}, \"to_client\": {\"packets\": %" PRIu64 ", \"bytes\": %" PRIu64
	    "}",
	    s->age_ms / 1000, s->expires_in_ms / 1000, s->to_peer_pkts,
	    s->to_peer_bytes, s->to_client_pkts, s->to_client_bytes);
	json_peers(b, s);
}

int sessions_json(struct evbuffer *b, const struct sessions_view *v)
{
	size_t before = evbuffer_get_length(b), i;

	evbuffer_add_printf(b,
			    "{\"listed\": %zu, \"total\": %zu, \"limit\": %zu, "
			    "\"truncated\": %s, \"complete\": %s, "
			    "\"sessions\": [",
			    v->listed, v->total, v->limit,
			    v->total > v->listed ? "true" : "false",
			    v->complete ? "true" : "false");
	for (i = 0; i < v->listed; i++) {
		evbuffer_add_printf(b, "%s", i ? ",\n  " : "\n  ");
		json_one(b, &v->s[i]);
	}
	evbuffer_add_printf(b, "]}\n");
	return evbuffer_get_length(b) > before ? 0 : ENOMEM;
}

static void text_one(struct evbuffer *b, const struct turn_session *s)
{
	char c[SA_STRLEN], r[SA_STRLEN];

	sa_print(&s->client, c, sizeof(c));
	if (s->nrelay)
		sa_print(&s->relay[0], r, sizeof(r));
	else
		snprintf(r, sizeof(r), "-");
	evbuffer_add_printf(
	    b,
	    "%016" PRIx64 "  %-16.64s %-4s %-22s %-22s%s %7" PRIu64
	    " %12" PRIu64 " %12" PRIu64 " %5u %5u\n",
	    s->session, s->user, turn_transport_name(s->tp), c, r,
	    s->nrelay > 1 ? "+" : " ", s->age_ms / 1000, s->to_peer_bytes,
	    s->to_client_bytes, s->nperm, s->nchan);
}

int sessions_text(struct evbuffer *b, const struct sessions_view *v)
{
	size_t before = evbuffer_get_length(b), i;

	evbuffer_add_printf(b,
			    "%-16s  %-16s %-4s %-22s %-22s  %7s %12s %12s %5s "
			    "%5s\n",
			    "ID", "USER", "TP", "CLIENT", "RELAYED", "AGE_S",
			    "TO_PEER_B", "TO_CLIENT_B", "PERMS", "CHANS");
	for (i = 0; i < v->listed; i++)
		text_one(b, &v->s[i]);
	evbuffer_add_printf(b, "%zu of %zu allocation%s listed%s%s\n",
			    v->listed, v->total, v->total == 1 ? "" : "s",
			    v->total > v->listed ? " (limit reached)" : "",
			    v->complete ? ""
					: " (a worker did not answer in time)");
	return evbuffer_get_length(b) > before ? 0 : ENOMEM;
}
