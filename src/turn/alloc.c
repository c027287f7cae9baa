/*
 * alloc.c — allocations (RFC 8656 §6, §7): the 5-tuple table, the timer
 * heap, quotas, Allocate and Refresh, port reservations (EVEN-PORT R).
 */
#include "turn/priv.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base/rand.h"

#define DEFAULT_LIFETIME_S     600u
#define DEFAULT_MAX_LIFETIME_S 3600u
#define RESERVE_TRIES	       4
#define PROTO_UDP	       17

/* ---- compact addresses ---- */

void taddr_from_sa(struct taddr *t, const struct sa *a)
{
	const uint8_t *b;
	size_t n = 0;

	memset(t, 0, sizeof(*t));
	b = sa_is_set(a) ? sa_addr_bytes(a, &n) : NULL;
	if (!b || n > sizeof(t->ip))
		return;
	t->family = (uint8_t)sa_family(a);
	t->port = sa_port(a);
	memcpy(t->ip, b, n);
}

void taddr_to_sa(struct sa *a, const struct taddr *t)
{
	sa_init(a);
	if (t->family)
		sa_set_raw(a, t->family, t->ip, t->port);
}

bool taddr_equal_ip(const struct taddr *a, const struct taddr *b)
{
	return a->family == b->family && !memcmp(a->ip, b->ip, sizeof(a->ip));
}

bool taddr_equal(const struct taddr *a, const struct taddr *b)
{
	return taddr_equal_ip(a, b) && a->port == b->port;
}

/* ---- the timer heap (a binary min-heap of allocation deadlines) ---- */

/* Every live allocation is in the heap: walk it (the heap is not
 * reordered, since deadlines are left as they are: one that fires early
 * finds nothing and reschedules). */
uint64_t turn_server_prune_policy(struct turn_server *s, uint64_t now)
{
	uint64_t n = 0;
	uint32_t i;

	if (!s)
		return 0;
	s->now_ms = now;
	for (i = 0; i < s->nheap; i++) {
		struct turn_alloc *a = turn_timer_alloc(s->heap[i]);

		if (a->state == TURN_ALLOC_LIVE)
			n += turn_perms_prune(s, a);
	}
	return n;
}

static void heap_set(struct turn_server *s, uint32_t i, struct turn_timer *t)
{
	s->heap[i] = t;
	t->idx = i;
}

static void sift_up(struct turn_server *s, uint32_t i)
{
	struct turn_timer *t = s->heap[i];

	while (i > 0 && s->heap[(i - 1) / 2]->when > t->when) {
		heap_set(s, i, s->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(s, i, t);
}

static void sift_down(struct turn_server *s, uint32_t i)
{
	struct turn_timer *t = s->heap[i];

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= s->nheap)
			break;
		if (c + 1 < s->nheap && s->heap[c + 1]->when < s->heap[c]->when)
			c++;
		if (s->heap[c]->when >= t->when)
			break;
		heap_set(s, i, s->heap[c]);
		i = c;
	}
	heap_set(s, i, t);
}

/* Room for one more entry, so that queueing cannot fail later. */
static int heap_reserve(struct turn_server *s)
{
	struct turn_timer **h;
	uint32_t cap;

	if (s->nheap < s->capheap)
		return 0;
	cap = s->capheap ? s->capheap * 2 : 64;
	h = realloc(s->heap, cap * sizeof(*h));
	if (!h)
		return ENOMEM;
	s->heap = h;
	s->capheap = cap;
	return 0;
}

static void heap_push(struct turn_server *s, struct turn_timer *t)
{
	heap_set(s, s->nheap++, t);
	sift_up(s, t->idx);
}

static void heap_remove(struct turn_server *s, struct turn_timer *t)
{
	uint32_t i = t->idx;

	if (i == UINT32_MAX)
		return;
	t->idx = UINT32_MAX;
	if (i == --s->nheap)
		return;
	heap_set(s, i, s->heap[s->nheap]);
	sift_down(s, i);
	sift_up(s, s->heap[i]->idx);
}

void turn_alloc_due(struct turn_server *s, struct turn_alloc *a, uint64_t when)
{
	if (a->timer.idx == UINT32_MAX || when >= a->timer.when)
		return;
	a->timer.when = when;
	sift_up(s, a->timer.idx);
}

/* ---- tables ---- */

int turn_tables_init(struct turn_server *s)
{
	if (hmap_init(&s->allocs, 64) || hmap_init(&s->resv, 16) ||
	    hmap_init(&s->perms, 64) || hmap_init(&s->chans_num, 64) ||
	    hmap_init(&s->chans_peer, 64))
		return ENOMEM;
	return heap_reserve(s);
}

void turn_tables_release(struct turn_server *s)
{
	/* Every allocation and reservation is in the heap. */
	while (s->nheap)
		turn_alloc_free(s, turn_timer_alloc(s->heap[0]));
	hmap_release(&s->allocs);
	hmap_release(&s->resv);
	hmap_release(&s->perms);
	hmap_release(&s->chans_num);
	hmap_release(&s->chans_peer);
	free(s->heap);
	s->heap = NULL;
	s->nheap = s->capheap = 0;
}

/* A stream session is a 5-tuple by itself: its allocations hash by conn, so
 * conn_closed finds them without a walk. */
static uint32_t tuple_hash(const struct turn_server *s, const struct taddr *c,
			   const struct taddr *l, uint8_t tp, void *conn)
{
	/* one call over the whole key: the per-packet path hashes once */
	struct {
		struct taddr c, l;
		uint32_t tp;
	} k;

	if (conn)
		return hmap_hash_bytes(s->seed, &conn, sizeof(conn));
	k.c = *c;
	k.l = *l;
	k.tp = tp;
	return hmap_hash_bytes(s->seed, &k, sizeof(k));
}

struct turn_alloc *turn_alloc_find(struct turn_server *s,
				   const struct turn_in *in)
{
	struct taddr c, l;
	uint8_t tp = (uint8_t)in->tp;
	struct hmap_node *n;
	uint32_t h;

	taddr_from_sa(&c, &in->from);
	taddr_from_sa(&l, &in->local->addr[in->local->self]);
	h = tuple_hash(s, &c, &l, tp, in->conn);
	for (n = hmap_first(&s->allocs, h); n; n = hmap_next(n, h)) {
		struct turn_alloc *a = (struct turn_alloc *)n;

		if (a->conn == in->conn && a->tp == tp &&
		    taddr_equal(&a->client, &c) && taddr_equal(&a->local, &l))
			return a;
	}
	return NULL;
}

/* ---- events, gauges and histograms ---- */

static unsigned fam_index(int family)
{
	return family == AF_INET6 ? 1 : 0;
}

/* The gauge of live allocations by transport and relay family. */
static void count_tp(struct turn_server *s, const struct turn_alloc *a,
		     int64_t d)
{
	unsigned i;

	for (i = 0; i < a->nrelay; i++)
		s->st.allocs_by_tp[a->tp % TURN_TP_COUNT]
				  [fam_index(a->relay[i].addr.family)] +=
		    (uint64_t)d;
}

/* The bucket of v: the first bound (times scale) v does not exceed. */
static unsigned hist_bucket(const uint64_t *le, uint64_t scale, uint64_t v)
{
	unsigned i;

	for (i = 0; i < TURN_HIST_N - 1; i++)
		if (v <= le[i] * scale)
			break;
	return i;
}

static void alloc_event(struct turn_server *s, const struct turn_alloc *a,
			enum turn_alloc_ev ev, uint32_t lifetime_s,
			enum turn_alloc_end why)
{
	struct turn_alloc_info info;
	struct sa client, local;
	unsigned i;

	if (!s->ev.alloc)
		return;
	memset(&info, 0, sizeof(info));
	info.session = a->session;
	info.user = turn_quota_user_name(a->user, &info.ulen);
	info.realm = s->cfg->realm ? s->cfg->realm : "";
	info.tp = (enum turn_transport)a->tp;
	taddr_to_sa(&client, &a->client);
	info.client = &client;
	taddr_to_sa(&local, &a->local);
	info.local = &local;
	for (i = 0; i < a->nrelay && i < 2; i++)
		taddr_to_sa(&info.relay[i], &a->relay[i].addr);
	info.nrelay = a->nrelay;
	info.lifetime_s = lifetime_s;
	info.why = why;
	info.age_ms = s->now_ms - a->created_ms;
	info.to_peer_pkts = a->to_peer_pkts;
	info.to_peer_bytes = a->to_peer_bytes;
	info.to_client_pkts = a->to_client_pkts;
	info.to_client_bytes = a->to_client_bytes;
	s->ev.alloc(s->ev.arg, ev, &info);
}

/* A live allocation ends: histograms, then the event. */
static void alloc_end(struct turn_server *s, struct turn_alloc *a,
		      enum turn_alloc_end why)
{
	uint64_t age = s->now_ms - a->created_ms;
	uint64_t bytes = a->to_peer_bytes + a->to_client_bytes;

	/* in milliseconds: 10.9 s is above the 10 s bound */
	s->st.alloc_life_hist[hist_bucket(turn_hist_life_le_s, 1000, age)]++;
	s->st.alloc_life_sum_ms += age;
	s->st.alloc_bytes_hist[hist_bucket(turn_hist_bytes_le, 1, bytes)]++;
	s->st.alloc_bytes_sum += bytes;
	alloc_event(s, a, TURN_EV_ALLOC_END, 0, why);
}

void turn_allocs_conn_closed(struct turn_server *s, void *conn)
{
	uint32_t h = hmap_hash_bytes(s->seed, &conn, sizeof(conn));
	struct hmap_node *n = hmap_first(&s->allocs, h), *next;

	for (; n; n = next) {
		struct turn_alloc *a = (struct turn_alloc *)n;

		next = hmap_next(n, h);
		if (a->conn == conn) {
			s->st.allocs_closed++;
			alloc_end(s, a, TURN_END_CLOSED);
			turn_alloc_free(s, a);
		}
	}
}

void turn_alloc_end_free(struct turn_server *s, struct turn_alloc *a,
			 enum turn_alloc_end why)
{
	alloc_end(s, a, why);
	turn_alloc_free(s, a);
}

/* ---- allocation lifetime ---- */

static struct turn_alloc *alloc_new(struct turn_server *s)
{
	struct turn_alloc *a;

	if (heap_reserve(s))
		return NULL;
	a = calloc(1, sizeof(*a));
	if (a)
		a->timer.idx = UINT32_MAX;
	return a;
}

static void relays_close(struct turn_server *s, struct turn_alloc *a)
{
	unsigned i;

	for (i = 0; i < 2; i++) {
		if (a->relay[i].handle && s->rout.relay_close)
			s->rout.relay_close(s->rout.arg, a->relay[i].handle);
		a->relay[i].handle = NULL;
	}
	a->nrelay = 0;
}

void turn_alloc_free(struct turn_server *s, struct turn_alloc *a)
{
	if (!a)
		return;
	heap_remove(s, &a->timer);
	if (a->state == TURN_ALLOC_RESERVED) {
		hmap_remove(&s->resv, &a->node);
		turn_quota_put(s->quota, a->user);
		a->user = NULL;
		s->st.reservations--;
	} else if (a->state == TURN_ALLOC_LIVE) {
		hmap_remove(&s->allocs, &a->node);
		turn_perms_sweep(s, a, 0, true);
		turn_quota_put(s->quota, a->user);
		a->user = NULL;
		s->st.allocs_active--;
		count_tp(s, a, -1);
	}
	relays_close(s, a);
	memset(&a->key, 0, sizeof(a->key));
	free(a);
}

void turn_expire(struct turn_server *s, uint64_t now)
{
	while (s->nheap && s->heap[0]->when <= now) {
		struct turn_alloc *a = turn_timer_alloc(s->heap[0]);
		uint64_t next;

		if (a->state == TURN_ALLOC_RESERVED) {
			/* RFC 8656 §7.2: an unclaimed reservation ends. */
			s->st.reservations_expired++;
			turn_alloc_free(s, a);
			continue;
		}
		if (a->expires <= now) {
			s->st.allocs_expired++;
			alloc_end(s, a, TURN_END_EXPIRED);
			turn_alloc_free(s, a);
			continue;
		}
		next = turn_perms_sweep(s, a, now, false);
		a->timer.when = next < a->expires ? next : a->expires;
		sift_down(s, a->timer.idx);
	}
}

/*
 * RFC 8656 §7.2 and §7.3: "if the request contains a LIFETIME attribute,
 * the server computes the minimum of the client's requested lifetime and
 * the server's maximum allowed lifetime. If this computed value is greater
 * than the default lifetime, then the server uses the computed lifetime
 * [...]. Otherwise, the server uses the default lifetime." (Refresh with
 * LIFETIME 0 deletes; the caller handles that before.)
 */
static uint32_t lifetime_s(const struct turn_server *s,
			   const struct stun_msg *req)
{
	const struct turn_server_cfg *c = s->cfg;
	uint32_t def =
	    c->lifetime_default_s ? c->lifetime_default_s : DEFAULT_LIFETIME_S;
	uint32_t max =
	    c->lifetime_max_s ? c->lifetime_max_s : DEFAULT_MAX_LIFETIME_S;
	const struct stun_attr *a = stun_msg_attr(req, STUN_ATTR_LIFETIME);
	uint32_t v;

	if (max < def)
		max = def;
	if (!a || stun_attr_u32(a, &v))
		return def;
	if (v > max)
		v = max;
	return v > def ? v : def;
}

/* ---- Allocate ---- */

struct alloc_plan {
	int fam[2];
	unsigned nfam;
	bool even, reserve, df;
	const uint8_t *token;
	const struct turn_auth *auth; /* whose quota a reservation takes */
	uint16_t resv_code;	      /* the quota's answer (EDQUOT) */
	uint16_t addr_err;	      /* for ADDRESS-ERROR-CODE */
	int addr_err_fam;
};

static int client_family(const struct turn_in *in)
{
	struct sa c = in->from;

	sa_unmap(&c);
	return sa_family(&c);
}

static bool family_off(const struct turn_server *s, int fam)
{
	return fam == AF_INET ? s->cfg->no_ipv4 : s->cfg->no_ipv6;
}

/* REQUESTED-ADDRESS-FAMILY, ADDITIONAL-ADDRESS-FAMILY (RFC 8656 §7.2).
 * Returns 0 or the error code. */
static uint16_t plan_families(const struct turn_server *s,
			      const struct turn_in *in,
			      const struct stun_msg *req, struct alloc_plan *p)
{
	const struct stun_attr *raf =
	    stun_msg_attr(req, STUN_ATTR_REQUESTED_ADDRESS_FAMILY);
	const struct stun_attr *aaf =
	    stun_msg_attr(req, STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY);
	int fam, err;

	if (raf && aaf)
		return 400; /* §7.2: both together is a 400 */
	if (aaf) {
		/* §18.11: IPv6 (0x02) is the only valid value; the pair is
		 * IPv4 (primary) + IPv6. */
		if (stun_attr_family(aaf, &fam) || fam != AF_INET6)
			return 400;
		p->fam[0] = AF_INET;
		p->fam[1] = AF_INET6;
		p->nfam = 2;
		return 0;
	}
	if (raf) {
		err = stun_attr_family(raf, &fam);
		if (err)
			return err == EAFNOSUPPORT ? 440 : 400;
	} else {
		/* No request: the relay follows the client's family. */
		fam = client_family(in);
	}
	if (family_off(s, fam))
		return 440;
	p->fam[0] = fam;
	p->nfam = 1;
	return 0;
}

/* REQUESTED-TRANSPORT, DONT-FRAGMENT, RESERVATION-TOKEN, EVEN-PORT. */
static uint16_t plan_allocate(const struct turn_server *s,
			      const struct turn_in *in,
			      const struct stun_msg *req, struct alloc_plan *p)
{
	const struct stun_attr *rt =
	    stun_msg_attr(req, STUN_ATTR_REQUESTED_TRANSPORT);
	const struct stun_attr *tok =
	    stun_msg_attr(req, STUN_ATTR_RESERVATION_TOKEN);
	const struct stun_attr *ev = stun_msg_attr(req, STUN_ATTR_EVEN_PORT);
	uint8_t proto;

	/* §7.2 step 2: missing or malformed is 400; only UDP relays exist
	 * here (RFC 6062 TCP relays do not), so anything else is 442. */
	if (!rt || stun_attr_transport(rt, &proto))
		return 400;
	if (proto != PROTO_UDP)
		return 442;
	/* §7.2 step 3: DONT-FRAGMENT is supported (the relay sets DF). */
	p->df = stun_msg_attr(req, STUN_ATTR_DONT_FRAGMENT) != NULL;
	if (ev && stun_attr_even_port(ev, &p->reserve))
		return 400;
	p->even = ev != NULL;
	if (tok) {
		/* §7.2 step 4: a token with EVEN-PORT or an address family
		 * request is a 400 (a token names one port of one family;
		 * ADDITIONAL-ADDRESS-FAMILY is refused for the same
		 * reason). */
		if (ev ||
		    stun_msg_attr(req, STUN_ATTR_REQUESTED_ADDRESS_FAMILY) ||
		    stun_msg_attr(req, STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY) ||
		    stun_attr_token(tok, &p->token))
			return 400;
		return 0;
	}
	return plan_families(s, in, req, p);
}

static uint16_t open_error(struct turn_server *s, int err)
{
	if (err == EAFNOSUPPORT)
		return 440;
	if (err == EADDRINUSE || err == EAGAIN || err == ENOSPC ||
	    err == ENOBUFS || err == EMFILE || err == ENFILE) {
		s->st.quota_ports++;
		return 508;
	}
	return 500;
}

static int relay_open(struct turn_server *s, struct turn_alloc *a, int fam,
		      unsigned flags, struct turn_relay *r, struct sa *bound)
{
	int err;

	if (!s->rout.relay_open)
		return EAGAIN;
	err = s->rout.relay_open(s->rout.arg, fam, flags, a, &r->handle, bound);
	if (err) {
		r->handle = NULL;
		return err;
	}
	taddr_from_sa(&r->addr, bound);
	return 0;
}

static uint16_t quota_take(struct turn_server *s, const struct turn_auth *au,
			   struct turn_quota_user **up);

/* EVEN-PORT with R (§7.2): keep port + 1 in a reservation of its own, with
 * a token and a 30 s life (so a reservation never leaks its port). The
 * reserved port is one more unit of the user's quota, held until the
 * reservation is claimed or ends: releasing the allocation must not leave
 * a user more ports than relay.user_quota. Returns EDQUOT, with the
 * quota's answer in p->resv_code, when the quota has no unit left. */
static int reserve_next(struct turn_server *s, const struct sa *even,
			struct turn_alloc *a, struct alloc_plan *p,
			uint64_t now)
{
	struct turn_alloc *r = alloc_new(s);
	struct sa next = *even;
	int err;

	if (!r)
		return ENOMEM;
	p->resv_code = quota_take(s, p->auth, &r->user);
	if (p->resv_code) {
		free(r);
		return EDQUOT;
	}
	sa_set_port(&next, (uint16_t)(sa_port(even) + 1));
	err = relay_open(s, r, sa_family(even), TURN_RELAY_EXACT, &r->relay[0],
			 &next);
	if (!err)
		err = rand_bytes(r->token, sizeof(r->token));
	if (err) {
		relays_close(s, r);
		turn_quota_put(s->quota, r->user);
		free(r);
		return err;
	}
	r->nrelay = 1;
	r->state = TURN_ALLOC_RESERVED;
	r->expires = now + TURN_RESERVATION_MS;
	r->timer.when = r->expires;
	heap_push(s, &r->timer);
	hmap_insert(&s->resv, &r->node,
		    hmap_hash_bytes(s->seed, r->token, sizeof(r->token)));
	s->st.reservations++;
	memcpy(a->token, r->token, sizeof(a->token));
	a->has_resv = true;
	return 0;
}

static int open_even(struct turn_server *s, struct turn_alloc *a, int fam,
		     unsigned flags, struct alloc_plan *p, uint64_t now)
{
	struct sa bound;
	unsigned i;
	int err = EADDRINUSE;

	for (i = 0; i < RESERVE_TRIES; i++) {
		sa_init(&bound);
		err = relay_open(s, a, fam, flags | TURN_RELAY_EVEN_PORT,
				 &a->relay[0], &bound);
		if (err || !p->reserve)
			return err;
		err = reserve_next(s, &bound, a, p, now);
		if (!err)
			return 0;
		/* port + 1 taken: give the even port back, try another
		 * (another pair will not fix a quota or memory error). */
		relays_close(s, a);
		if (err == EDQUOT || err == ENOMEM)
			break;
	}
	return err;
}

/* Open the relays the plan asks for. Returns 0 or the error code; a second
 * family that fails becomes ADDRESS-ERROR-CODE (§7.2). */
static uint16_t open_relays(struct turn_server *s, struct turn_alloc *a,
			    struct alloc_plan *p, uint64_t now)
{
	unsigned flags = p->df ? TURN_RELAY_DONT_FRAGMENT : 0, i;
	uint16_t first = 0;
	struct sa bound;
	int err;

	for (i = 0; i < p->nfam; i++) {
		if (family_off(s, p->fam[i])) {
			err = EAFNOSUPPORT;
		} else if (i == 0 && p->even) {
			err = open_even(s, a, p->fam[0], flags, p, now);
		} else {
			sa_init(&bound);
			err = relay_open(s, a, p->fam[i], flags,
					 &a->relay[a->nrelay], &bound);
		}
		if (!err) {
			a->nrelay++;
			continue;
		}
		p->addr_err = err == EDQUOT ? p->resv_code : open_error(s, err);
		p->addr_err_fam = p->fam[i];
		if (!first)
			first = p->addr_err;
	}
	if (!a->nrelay)
		return first;
	if (p->nfam == 1)
		p->addr_err = 0;
	return 0;
}

/* §7.2: the success response; also what a retransmission gets again. */
static enum turn_verdict
alloc_success(struct turn_server *s, const struct turn_in *in,
	      const struct stun_msg *req, const struct turn_auth *auth,
	      const struct turn_alloc *a, const struct alloc_plan *p)
{
	uint64_t left = a->expires > s->now_ms ? a->expires - s->now_ms : 0;
	struct stun_enc e;
	struct sa r;
	unsigned i;

	turn_reply_init(s, &e, req, STUN_CLASS_SUCCESS);
	for (i = 0; i < a->nrelay; i++) {
		taddr_to_sa(&r, &a->relay[i].addr);
		turn_advertised(s->cfg, &r);
		stun_enc_xaddr(&e, STUN_ATTR_XOR_RELAYED_ADDRESS, &r);
	}
	if (p && p->addr_err)
		stun_enc_addr_errcode(&e, p->addr_err_fam, p->addr_err, NULL);
	stun_enc_u32(&e, STUN_ATTR_LIFETIME, (uint32_t)((left + 999) / 1000));
	if (a->has_resv)
		stun_enc_attr(&e, STUN_ATTR_RESERVATION_TOKEN, a->token,
			      sizeof(a->token));
	stun_enc_xaddr(&e, STUN_ATTR_XOR_MAPPED_ADDRESS, &in->from);
	return turn_reply_send_auth(s, &e, in, req, auth);
}

/* Claim a reservation (§7.2 step 4: an unknown token is a 508). */
static struct turn_alloc *claim_token(struct turn_server *s,
				      const uint8_t *token)
{
	uint32_t h = hmap_hash_bytes(s->seed, token, STUN_TOKEN_SIZE);
	struct hmap_node *n;

	for (n = hmap_first(&s->resv, h); n; n = hmap_next(n, h)) {
		struct turn_alloc *r = (struct turn_alloc *)n;

		if (!memcmp(r->token, token, STUN_TOKEN_SIZE)) {
			hmap_remove(&s->resv, &r->node);
			heap_remove(s, &r->timer);
			memset(r->token, 0, sizeof(r->token));
			r->state = 0;
			s->st.reservations--;
			return r;
		}
	}
	return NULL;
}

/* Quotas (RFC 8656 §7.2 step 6: 486; 508 for the server's own limit),
 * counted over every worker in the shared turn_quota: take the unit now,
 * so that two workers cannot both admit the last one. Expired allocations
 * have returned theirs (turn_expire runs first). A dual-stack allocation
 * is one allocation, one unit; an EVEN-PORT reservation holds one of its
 * own (reserve_next), which its claim hands on (claim_unit). */
static uint16_t quota_take(struct turn_server *s, const struct turn_auth *au,
			   struct turn_quota_user **up)
{
	const struct turn_server_cfg *c = s->cfg;

	switch (turn_quota_take(s->quota, au->user, au->ulen, c->max_allocs,
				c->max_allocs_per_user, up)) {
	case 0:
		return 0;
	case ENOSPC:
		s->st.quota_total++;
		return 508;
	case EDQUOT:
		s->st.quota_user++;
		return 486;
	default:
		return 500;
	}
}

/* The quota unit for a claimed reservation r: the unit r holds when its
 * user claims it (the port stays counted once); else r's unit goes back
 * and the claimer takes one of its own. Returns 0 or the error code. */
static uint16_t claim_unit(struct turn_server *s, struct turn_alloc *r,
			   const struct turn_auth *au,
			   struct turn_quota_user **up)
{
	struct turn_quota_user *held = r->user;

	r->user = NULL;
	if (held && turn_quota_user_is(held, au->user, au->ulen)) {
		*up = held;
		return 0;
	}
	turn_quota_put(s->quota, held);
	return quota_take(s, au, up);
}

/* Make a live allocation of the 5-tuple; it keeps the quota unit u. The
 * caller has reserved a heap slot. */
static void alloc_install(struct turn_server *s, struct turn_alloc *a,
			  const struct turn_in *in, const struct stun_msg *req,
			  const struct turn_auth *auth,
			  struct turn_quota_user *u)
{
	uint64_t now = s->now_ms;

	a->user = u;
	a->state = TURN_ALLOC_LIVE;
	taddr_from_sa(&a->client, &in->from);
	taddr_from_sa(&a->local, &in->local->addr[in->local->self]);
	a->conn = in->conn;
	a->tp = (uint8_t)in->tp;
	a->key = auth->key;
	a->mi256 = auth->mi256;
	memcpy(a->tid, req->tid, sizeof(a->tid));
	a->expires = now + (uint64_t)lifetime_s(s, req) * 1000u;
	a->bw_last_ms = now;
	a->bw_tokens = UINT32_MAX; /* full: capped on first use */
	a->timer.when = a->expires;
	heap_push(s, &a->timer);
	hmap_insert(&s->allocs, &a->node,
		    tuple_hash(s, &a->client, &a->local, a->tp, a->conn));
	s->st.allocs_active++;
	s->st.allocs_created++;
	count_tp(s, a, 1);
	a->session = ++s->next_session;
	a->created_ms = now;
}

/* Give back the quota unit u and a (not live yet: NULL, a claimed
 * reservation or a fresh allocation), and answer code. */
static enum turn_verdict
alloc_fail(struct turn_server *s, const struct turn_in *in,
	   const struct stun_msg *req, const struct turn_auth *auth,
	   struct turn_alloc *a, struct turn_quota_user *u, uint16_t code,
	   const char *reason)
{
	turn_quota_put(s->quota, u);
	turn_alloc_free(s, a);
	return turn_reply_error_auth(s, in, req, auth, code, reason);
}

/* Draining: no new allocation. 300 with ALTERNATE-SERVER when one is
 * configured (RFC 8489 §10; signed, since the request was authenticated,
 * so a client can trust the redirect), else 508. */
static enum turn_verdict refuse_draining(struct turn_server *s,
					 const struct turn_in *in,
					 const struct stun_msg *req,
					 const struct turn_auth *auth)
{
	struct stun_enc e;

	s->st.drain_refused++;
	if (!sa_is_set(&s->alternate))
		return turn_reply_error_auth(s, in, req, auth, 508,
					     "Server is draining");
	turn_reply_init(s, &e, req, STUN_CLASS_ERROR);
	stun_enc_errcode(&e, 300, NULL);
	stun_enc_addr(&e, STUN_ATTR_ALTERNATE_SERVER, &s->alternate);
	turn_count_error(s, 300);
	return turn_reply_send_auth(s, &e, in, req, auth);
}

enum turn_verdict turn_allocate(struct turn_server *s, const struct turn_in *in,
				const struct stun_msg *req,
				const struct turn_auth *auth)
{
	struct turn_alloc *a = turn_alloc_find(s, in);
	struct alloc_plan p = { .nfam = 0 };
	struct turn_quota_user *u = NULL;
	uint16_t code;

	if (a) {
		/* §7.2 step 1: the same transaction again is a
		 * retransmission, answered again; anything else is 437. */
		if (!memcmp(a->tid, req->tid, sizeof(a->tid)))
			return alloc_success(s, in, req, auth, a, NULL);
		return turn_reply_error_auth(s, in, req, auth, 437, NULL);
	}
	if (s->draining)
		return refuse_draining(s, in, req, auth);
	p.auth = auth;
	code = plan_allocate(s, in, req, &p);
	if (!code && !p.token) {
		code = quota_take(s, auth, &u);
		if (code == 486 || code == 508)
			turn_report_refusal(s, in, TURN_REFUSE_SERVER,
					    code == 486 ? "quota_user"
							: "quota_total",
					    auth->user, auth->ulen);
	}
	if (code)
		return turn_reply_error_auth(s, in, req, auth, code, NULL);
	if (p.token) {
		a = claim_token(s, p.token);
		if (!a)
			return alloc_fail(s, in, req, auth, NULL, NULL, 508,
					  "Invalid reservation");
		code = claim_unit(s, a, auth, &u);
		if (code)
			return alloc_fail(s, in, req, auth, a, NULL, code,
					  NULL);
	} else {
		a = alloc_new(s);
		if (!a)
			return alloc_fail(s, in, req, auth, NULL, u, 500, NULL);
		code = open_relays(s, a, &p, s->now_ms);
		if (code)
			return alloc_fail(s, in, req, auth, a, u, code, NULL);
	}
	if (heap_reserve(s))
		return alloc_fail(s, in, req, auth, a, u, 500, NULL);
	alloc_install(s, a, in, req, auth, u);
	alloc_event(s, a, TURN_EV_ALLOC_NEW,
		    (uint32_t)((a->expires - s->now_ms) / 1000u), 0);
	return alloc_success(s, in, req, auth, a, &p);
}

/* ---- Refresh (§7.3) ---- */

static bool has_family(const struct turn_alloc *a, int fam)
{
	unsigned i;

	for (i = 0; i < a->nrelay; i++)
		if (a->relay[i].addr.family == fam)
			return true;
	return false;
}

enum turn_verdict turn_refresh(struct turn_server *s, const struct turn_in *in,
			       const struct stun_msg *req,
			       const struct turn_auth *auth)
{
	struct turn_alloc *a = turn_alloc_find(s, in);
	const struct stun_attr *lt = stun_msg_attr(req, STUN_ATTR_LIFETIME);
	const struct stun_attr *raf =
	    stun_msg_attr(req, STUN_ATTR_REQUESTED_ADDRESS_FAMILY);
	struct stun_enc e;
	uint32_t v = 1, secs;
	int fam;

	if (!a)
		return turn_reply_error_auth(s, in, req, auth, 437, NULL);
	/* §7.3: a family the allocation does not have is a 443. (A dual
	 * allocation is refreshed or deleted as a whole.) */
	if (raf && (stun_attr_family(raf, &fam) || !has_family(a, fam)))
		return turn_reply_error_auth(s, in, req, auth, 443, NULL);
	if (lt && stun_attr_u32(lt, &v))
		return turn_reply_error_auth(s, in, req, auth, 400, NULL);
	secs = v == 0 ? 0 : lifetime_s(s, req);
	turn_reply_init(s, &e, req, STUN_CLASS_SUCCESS);
	stun_enc_u32(&e, STUN_ATTR_LIFETIME, secs);
	if (secs == 0) {
		/* §7.3: "desired lifetime" zero deletes the allocation. */
		s->st.allocs_deleted++;
		alloc_end(s, a, TURN_END_DELETED);
		turn_alloc_free(s, a);
	} else {
		a->expires = s->now_ms + (uint64_t)secs * 1000u;
		turn_alloc_due(s, a, a->expires);
		alloc_event(s, a, TURN_EV_ALLOC_REFRESH, secs, 0);
	}
	return turn_reply_send_auth(s, &e, in, req, auth);
}
