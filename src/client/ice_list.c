/*
 * ice_list.c — the check list of one data stream (RFC 8445 §6.1.2):
 * forming pairs, pruning, ordering, the cap and the initial states. Fixed
 * arrays, no allocation, no clock: the agent drives it.
 */
#include <errno.h>
#include <string.h>

#include "client/ice.h"

int ice_checklist_init(struct ice_checklist *cl, bool controlling,
		       size_t max_pairs)
{
	if (!cl || max_pairs > ICE_PAIRS_MAX)
		return EINVAL;
	memset(cl, 0, sizeof(*cl));
	cl->controlling = controlling;
	cl->max_pairs = max_pairs ? max_pairs : ICE_PAIRS_DEFAULT;
	return 0;
}

/* RFC 6544 §6.2: active pairs with passive, simultaneous-open with
 * simultaneous-open. */
static bool tcp_compatible(enum ice_tcptype l, enum ice_tcptype r)
{
	return (l == ICE_TCP_ACTIVE && r == ICE_TCP_PASSIVE) ||
	       (l == ICE_TCP_PASSIVE && r == ICE_TCP_ACTIVE) ||
	       (l == ICE_TCP_SO && r == ICE_TCP_SO);
}

/* §6.1.2.2: same component, same address family, compatible transport. */
static bool can_pair(const struct ice_cand *l, const struct ice_cand *r)
{
	if (r->mdns || l->component != r->component ||
	    l->transport != r->transport ||
	    sa_family(&l->addr) != sa_family(&r->addr))
		return false;
	return l->transport == ICE_UDP ||
	       tcp_compatible(l->tcptype, r->tcptype);
}

/* §6.1.2.4: a server-reflexive local candidate is replaced by its base,
 * the host candidate it was learned from, when that one is on the list;
 * the pair then takes the host candidate's priority. */
static size_t effective_local(const struct ice_checklist *cl, size_t li)
{
	const struct ice_local *l = &cl->local[li];

	if (l->cand.type != ICE_SRFLX)
		return li;
	for (size_t i = 0; i < cl->n_local; i++) {
		const struct ice_cand *h = &cl->local[i].cand;
		if (h->type == ICE_HOST && h->component == l->cand.component &&
		    h->transport == l->cand.transport &&
		    sa_equal(&h->addr, &l->base))
			return i;
	}
	return li;
}

static uint64_t pair_prio(const struct ice_checklist *cl, size_t li, size_t ri)
{
	uint32_t lp = cl->local[li].cand.priority;
	uint32_t rp = cl->remote[ri].priority;

	return cl->controlling ? ice_pair_priority(lp, rp)
			       : ice_pair_priority(rp, lp);
}

static bool droppable(const struct ice_pair *p)
{
	return p->state == ICE_PAIR_FROZEN || p->state == ICE_PAIR_WAITING ||
	       p->state == ICE_PAIR_FAILED;
}

static void remove_at(struct ice_checklist *cl, size_t i)
{
	memmove(&cl->pairs[i], &cl->pairs[i + 1],
		(cl->n_pairs - i - 1) * sizeof(cl->pairs[0]));
	cl->n_pairs--;
}

/* §6.1.2.5: over the cap, the lowest-priority pair no check is using
 * goes. The newest pair is frozen, so there is always one. */
static void cut(struct ice_checklist *cl)
{
	while (cl->n_pairs > cl->max_pairs) {
		size_t i = cl->n_pairs;
		while (i > 0 && !droppable(&cl->pairs[i - 1]))
			i--;
		if (i == 0)
			return;
		remove_at(cl, i - 1);
		cl->n_dropped++;
	}
}

/* Insert in priority order (after equal ones, so the order is stable),
 * unless the same local and remote are already paired (§6.1.2.4). */
static void insert(struct ice_checklist *cl, size_t li, size_t ri)
{
	struct ice_pair p = { .local = (uint16_t)li,
			      .remote = (uint16_t)ri,
			      .state = ICE_PAIR_FROZEN };
	size_t at = 0;

	li = effective_local(cl, li);
	p.local = (uint16_t)li;
	for (size_t i = 0; i < cl->n_pairs; i++)
		if (cl->pairs[i].local == li && cl->pairs[i].remote == ri)
			return;
	p.priority = pair_prio(cl, li, ri);
	while (at < cl->n_pairs && cl->pairs[at].priority >= p.priority)
		at++;
	memmove(&cl->pairs[at + 1], &cl->pairs[at],
		(cl->n_pairs - at) * sizeof(cl->pairs[0]));
	cl->pairs[at] = p;
	cl->n_pairs++;
	cut(cl);
}

/* A host candidate that arrives after a server-reflexive one learned
 * from it takes over that one's pairs (§6.1.2.4); pairs a check already
 * uses stay. */
static void drop_replaced(struct ice_checklist *cl, size_t host)
{
	size_t i = 0;

	while (i < cl->n_pairs) {
		const struct ice_pair *p = &cl->pairs[i];
		if (cl->local[p->local].cand.type == ICE_SRFLX &&
		    effective_local(cl, p->local) == host && droppable(p))
			remove_at(cl, i);
		else
			i++;
	}
}

int ice_checklist_add_local(struct ice_checklist *cl, const struct ice_cand *c,
			    const struct sa *base)
{
	size_t li;

	if (!cl || !c || !base || c->mdns || !sa_is_set(&c->addr) ||
	    !sa_is_set(base))
		return EINVAL;
	if (cl->n_local == ICE_LOCAL_MAX)
		return ENOSPC;
	li = cl->n_local++;
	cl->local[li].cand = *c;
	cl->local[li].base = *base;
	if (c->type == ICE_HOST)
		drop_replaced(cl, li);
	for (size_t ri = 0; ri < cl->n_remote; ri++)
		if (can_pair(c, &cl->remote[ri]))
			insert(cl, li, ri);
	return 0;
}

int ice_checklist_add_remote(struct ice_checklist *cl, const struct ice_cand *c)
{
	size_t ri;

	if (!cl || !c || (!c->mdns && !sa_is_set(&c->addr)))
		return EINVAL;
	if (cl->n_remote == ICE_REMOTE_MAX)
		return ENOSPC;
	ri = cl->n_remote++;
	cl->remote[ri] = *c;
	for (size_t li = 0; li < cl->n_local; li++)
		if (can_pair(&cl->local[li].cand, c))
			insert(cl, li, ri);
	return 0;
}

static bool same_foundation(const struct ice_checklist *cl,
			    const struct ice_pair *a, const struct ice_pair *b)
{
	return !strcmp(cl->local[a->local].cand.foundation,
		       cl->local[b->local].cand.foundation) &&
	       !strcmp(cl->remote[a->remote].foundation,
		       cl->remote[b->remote].foundation);
}

/* The pair to unfreeze among those sharing p's foundation, or NULL when
 * one of them is already past frozen. */
static struct ice_pair *best_of(struct ice_checklist *cl,
				const struct ice_pair *p)
{
	struct ice_pair *best = NULL;

	for (size_t i = 0; i < cl->n_pairs; i++) {
		struct ice_pair *q = &cl->pairs[i];
		if (!same_foundation(cl, p, q))
			continue;
		if (q->state != ICE_PAIR_FROZEN)
			return NULL;
		/* sorted: the first of the lowest component wins */
		if (!best || cl->remote[q->remote].component <
				 cl->remote[best->remote].component)
			best = q;
	}
	return best;
}

size_t ice_checklist_unfreeze(struct ice_checklist *cl)
{
	size_t n = 0;

	/* §6.1.2.6: "For all pairs with the same foundation, it sets the
	 * state of the pair with the lowest component ID to Waiting. If
	 * there is more than one such pair, the one with the highest
	 * priority is used." */
	for (size_t i = 0; i < cl->n_pairs; i++) {
		struct ice_pair *b;
		if (cl->pairs[i].state != ICE_PAIR_FROZEN)
			continue;
		b = best_of(cl, &cl->pairs[i]);
		if (b) {
			b->state = ICE_PAIR_WAITING;
			n++;
		}
	}
	return n;
}

void ice_checklist_set_role(struct ice_checklist *cl, bool controlling)
{
	cl->controlling = controlling;
	for (size_t i = 0; i < cl->n_pairs; i++)
		cl->pairs[i].priority =
		    pair_prio(cl, cl->pairs[i].local, cl->pairs[i].remote);
	/* insertion sort: stable, and at most ICE_PAIRS_MAX pairs */
	for (size_t i = 1; i < cl->n_pairs; i++) {
		struct ice_pair p = cl->pairs[i];
		size_t j = i;
		while (j > 0 && cl->pairs[j - 1].priority < p.priority) {
			cl->pairs[j] = cl->pairs[j - 1];
			j--;
		}
		cl->pairs[j] = p;
	}
}
