/*
 * session.c — what an operator sees of the live allocations, and ending
 * one on request (ternd's admin listener, through the worker that owns
 * the server). Everything copied out is a value: no pointer into the
 * server leaves this file.
 */
#include <string.h>

#include "turn/priv.h"

/* Every allocation, live or reserved, is in the timer heap. */
static struct turn_alloc *heap_at(const struct turn_server *s, uint32_t i)
{
	return turn_timer_alloc(s->heap[i]);
}

static bool user_is(const struct turn_alloc *a, const char *user, size_t ulen)
{
	size_t n;
	const char *name = turn_quota_user_name(a->user, &n);

	if (a->state != TURN_ALLOC_LIVE)
		return false;
	return !user || (n == ulen && memcmp(name, user, n) == 0);
}

static void peers_copy(const struct turn_alloc *a, struct turn_session *o)
{
	const struct turn_perm *p;
	const struct turn_chan *c;

	for (p = a->perms; p; p = p->next)
		if (o->nperm_l < TURN_SESSION_PEERS_MAX)
			taddr_to_sa(&o->perm[o->nperm_l++], &p->peer);
	for (c = a->chans; c; c = c->next) {
		if (o->nchan_l == TURN_SESSION_PEERS_MAX)
			break;
		taddr_to_sa(&o->chan_peer[o->nchan_l], &c->peer);
		o->chan_num[o->nchan_l++] = c->num;
	}
}

static void session_copy(const struct turn_alloc *a, struct turn_session *o,
			 uint64_t now)
{
	size_t n;
	const char *name = turn_quota_user_name(a->user, &n);
	unsigned i;

	memset(o, 0, sizeof(*o));
	o->session = a->session;
	if (n > TURN_SESSION_USER_MAX)
		n = TURN_SESSION_USER_MAX;
	memcpy(o->user, name, n);
	o->tp = (enum turn_transport)a->tp;
	taddr_to_sa(&o->client, &a->client);
	taddr_to_sa(&o->local, &a->local);
	for (i = 0; i < a->nrelay && i < 2; i++)
		taddr_to_sa(&o->relay[i], &a->relay[i].addr);
	o->nrelay = i;
	o->age_ms = now > a->created_ms ? now - a->created_ms : 0;
	o->expires_in_ms = a->expires > now ? a->expires - now : 0;
	o->to_peer_pkts = a->to_peer_pkts;
	o->to_peer_bytes = a->to_peer_bytes;
	o->to_client_pkts = a->to_client_pkts;
	o->to_client_bytes = a->to_client_bytes;
	o->nperm = a->nperm;
	o->nchan = a->nchan;
	peers_copy(a, o);
}

size_t turn_sessions_list(const struct turn_server *s, const char *user,
			  size_t ulen, struct turn_session *out, size_t max,
			  uint64_t now_ms)
{
	size_t n = 0;
	uint32_t i;

	for (i = 0; i < s->nheap; i++) {
		const struct turn_alloc *a = heap_at(s, i);

		if (!user_is(a, user, ulen))
			continue;
		if (n < max)
			session_copy(a, &out[n], now_ms);
		n++;
	}
	return n;
}

int turn_session_kill(struct turn_server *s, uint64_t session, uint64_t now_ms)
{
	uint32_t i;

	s->now_ms = now_ms;
	for (i = 0; i < s->nheap; i++) {
		struct turn_alloc *a = heap_at(s, i);

		if (a->state == TURN_ALLOC_LIVE && a->session == session) {
			turn_alloc_end_free(s, a, TURN_END_KILLED);
			return 0;
		}
	}
	return ENOENT;
}

size_t turn_sessions_kill_user(struct turn_server *s, const char *user,
			       size_t ulen, uint64_t now_ms)
{
	size_t n = 0;
	uint32_t i = 0;

	s->now_ms = now_ms;
	/* freeing reorders the heap: start over after each one */
	while (i < s->nheap) {
		struct turn_alloc *a = heap_at(s, i);

		if (user && user_is(a, user, ulen)) {
			turn_alloc_end_free(s, a, TURN_END_KILLED);
			n++;
			i = 0;
		} else {
			i++;
		}
	}
	return n;
}
