/*
 * sessions.h — what the admin listener's /sessions says: the live
 * allocations as JSON or as a table. Pure rendering: the caller collects
 * them (worker_pool_sessions).
 *
 *   {"listed": 2, "total": 2, "limit": 1000, "truncated": false,
 *    "complete": true,
 *    "sessions": [{"id": "0001000000000001", "user": "alice",
 *      "transport": "udp", "client": "127.0.0.1:40000",
 *      "relayed": ["127.0.0.1:50000"], "age_s": 12, "expires_in_s": 588,
 *      "to_peer": {"packets": 10, "bytes": 1000},
 *      "to_client": {"packets": 10, "bytes": 1000},
 *      "permissions": ["127.0.0.1"], "permissions_total": 1,
 *      "channels": [{"number": 16384, "peer": "127.0.0.1:5001"}],
 *      "channels_total": 1}, ...]}
 *
 * "total" counts every live allocation that matched; "listed" those shown
 * (at most "limit"); "complete" is false when a worker did not answer in
 * time. Permissions and channels list at most TURN_SESSION_PEERS_MAX
 * each; the *_total fields count them all. A user name's bytes outside
 * printable ASCII are written as \u00XX escapes.
 */
#ifndef TERN_RELAY_SESSIONS_H
#define TERN_RELAY_SESSIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "turn/server.h"

struct evbuffer;

struct sessions_view {
	const struct turn_session *s;
	size_t listed, total, limit;
	bool complete;
};

/* Append the JSON above to b. Returns 0 or ENOMEM. */
int sessions_json(struct evbuffer *b, const struct sessions_view *v);
/* Append a table, one line per allocation, and a closing line. Returns 0
 * or ENOMEM. */
int sessions_text(struct evbuffer *b, const struct sessions_view *v);

#endif
