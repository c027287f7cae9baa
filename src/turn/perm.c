/*
 * perm.c — permissions (RFC 8656 §9, §10) and channels (§12): their
 * tables, CreatePermission and ChannelBind, and the lookups the data path
 * (relay.c) makes per packet: O(1), no allocation.
 */
#include "turn/priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_PERMS 128u
#define DEFAULT_MAX_CHANS 128u

/* An allocation with at most this many permissions (channels) is searched
 * along its own list: a WebRTC allocation has one or two of each, and a
 * short walk costs less than hashing the key. Larger ones use the tables. */
#define SCAN_MAX 8u

static uint32_t perm_hash(const struct turn_server *s,
			  const struct turn_alloc *a, const struct taddr *ip)
{
	uint32_t h = hmap_hash_bytes(s->seed, &a, sizeof(a));

	h = hmap_hash_bytes(h, &ip->family, 1);
	return hmap_hash_bytes(h, ip->ip, sizeof(ip->ip));
}

static uint32_t chan_num_hash(const struct turn_server *s,
			      const struct turn_alloc *a, uint16_t num)
{
	uint32_t h = hmap_hash_bytes(s->seed, &a, sizeof(a));

	return hmap_hash_bytes(h, &num, sizeof(num));
}

static uint32_t chan_peer_hash(const struct turn_server *s,
			       const struct turn_alloc *a,
			       const struct taddr *p)
{
	uint32_t h = hmap_hash_bytes(s->seed ^ 0xA5u, &a, sizeof(a));

	return hmap_hash_bytes(h, p, sizeof(*p));
}

struct turn_perm *turn_perm_find(const struct turn_server *s,
				 const struct turn_alloc *a,
				 const struct taddr *ip)
{
	struct hmap_node *n;
	struct turn_perm *q;
	uint32_t h;

	if (a->nperm <= SCAN_MAX) {
		for (q = a->perms; q; q = q->next)
			if (taddr_equal_ip(&q->peer, ip))
				return q;
		return NULL;
	}
	h = perm_hash(s, a, ip);
	for (n = hmap_first(&s->perms, h); n; n = hmap_next(n, h)) {
		struct turn_perm *p = (struct turn_perm *)n;

		if (p->a == a && taddr_equal_ip(&p->peer, ip))
			return p;
	}
	return NULL;
}

struct turn_chan *turn_chan_by_num(const struct turn_server *s,
				   const struct turn_alloc *a, uint16_t num)
{
	struct hmap_node *n;
	struct turn_chan *q;
	uint32_t h;

	if (a->nchan <= SCAN_MAX) {
		for (q = a->chans; q; q = q->next)
			if (q->num == num)
				return q;
		return NULL;
	}
	h = chan_num_hash(s, a, num);
	for (n = hmap_first(&s->chans_num, h); n; n = hmap_next(n, h)) {
		struct turn_chan *c = (struct turn_chan *)n;

		if (c->a == a && c->num == num)
			return c;
	}
	return NULL;
}

struct turn_chan *turn_chan_by_peer(const struct turn_server *s,
				    const struct turn_alloc *a,
				    const struct taddr *peer)
{
	struct hmap_node *n;
	struct turn_chan *q;
	uint32_t h;

	if (a->nchan <= SCAN_MAX) {
		for (q = a->chans; q; q = q->next)
			if (taddr_equal(&q->peer, peer))
				return q;
		return NULL;
	}
	h = chan_peer_hash(s, a, peer);
	for (n = hmap_first(&s->chans_peer, h); n; n = hmap_next(n, h)) {
		struct turn_chan *c =
		    (struct turn_chan *)((char *)n -
					 offsetof(struct turn_chan, by_peer));

		if (c->a == a && taddr_equal(&c->peer, peer))
			return c;
	}
	return NULL;
}

/* Install or refresh the permission for peer's IP (§9: 300 s). */
static int perm_install(struct turn_server *s, struct turn_alloc *a,
			const struct taddr *peer, uint64_t now)
{
	uint32_t max = s->cfg->max_perms_per_alloc ? s->cfg->max_perms_per_alloc
						   : DEFAULT_MAX_PERMS;
	struct taddr ip = *peer;
	struct turn_perm *p;

	ip.port = 0;
	p = turn_perm_find(s, a, &ip);
	if (!p) {
		if (a->nperm >= max || a->nperm == UINT16_MAX)
			return ENOSPC;
		p = calloc(1, sizeof(*p));
		if (!p)
			return ENOMEM;
		p->a = a;
		p->peer = ip;
		p->next = a->perms;
		a->perms = p;
		a->nperm++;
		hmap_insert(&s->perms, &p->node, perm_hash(s, a, &ip));
		s->st.perms_active++;
	}
	p->expires = now + TURN_PERM_LIFETIME_MS;
	turn_alloc_due(s, a, p->expires);
	return 0;
}

/* Does an entry go? SWEEP_ALL: yes; SWEEP_EXPIRED: when expired at now;
 * SWEEP_DENIED: when the current policy refuses its peer (a permission
 * names an IP, any port; a channel a transport address). */
enum sweep { SWEEP_EXPIRED, SWEEP_ALL, SWEEP_DENIED };

static bool entry_goes(const struct turn_server *s, const struct taddr *peer,
		       uint64_t expires, uint64_t now, enum sweep how,
		       bool with_port)
{
	struct sa sa, norm;

	if (how != SWEEP_DENIED)
		return how == SWEEP_ALL || expires <= now;
	taddr_to_sa(&sa, peer);
	return !turn_policy_allows(s->cfg, &sa, with_port, &norm);
}

static uint64_t sweep(struct turn_server *s, struct turn_alloc *a, uint64_t now,
		      enum sweep how)
{
	struct turn_perm **pp = &a->perms;
	struct turn_chan **cp = &a->chans;
	uint64_t next = UINT64_MAX;

	while (*pp) {
		struct turn_perm *p = *pp;

		if (!entry_goes(s, &p->peer, p->expires, now, how, false)) {
			next = p->expires < next ? p->expires : next;
			pp = &p->next;
			continue;
		}
		*pp = p->next;
		hmap_remove(&s->perms, &p->node);
		a->nperm--;
		s->st.perms_active--;
		free(p);
	}
	while (*cp) {
		struct turn_chan *c = *cp;

		if (!entry_goes(s, &c->peer, c->expires, now, how, true)) {
			next = c->expires < next ? c->expires : next;
			cp = &c->next;
			continue;
		}
		*cp = c->next;
		hmap_remove(&s->chans_num, &c->by_num);
		hmap_remove(&s->chans_peer, &c->by_peer);
		a->nchan--;
		s->st.channels_active--;
		free(c);
	}
	return next;
}

/* Tell the caller's log which rule refused norm, for whom. */
static void report_denied(struct turn_server *s, const struct turn_in *in,
			  const struct turn_alloc *a, const struct sa *norm,
			  bool with_port)
{
	char rule[80];
	struct turn_peer_denial d = {
		.tp = in->tp, .client = &in->from, .peer = norm, .rule = rule
	};

	if (!s->ev.peer_denied)
		return;
	d.user = turn_quota_user_name(a->user, &d.ulen);
	turn_policy_rule(s->cfg, norm, with_port, rule, sizeof(rule));
	s->ev.peer_denied(s->ev.arg, &d);
}

uint64_t turn_perms_sweep(struct turn_server *s, struct turn_alloc *a,
			  uint64_t now, bool all)
{
	return sweep(s, a, now, all ? SWEEP_ALL : SWEEP_EXPIRED);
}

uint64_t turn_perms_prune(struct turn_server *s, struct turn_alloc *a)
{
	uint32_t before = (uint32_t)a->nperm + a->nchan;

	sweep(s, a, 0, SWEEP_DENIED);
	return before - ((uint32_t)a->nperm + a->nchan);
}

/* Read and vet one XOR-PEER-ADDRESS: 0, or 400 / 443 / 403. Port 0 names
 * no peer, so it is a 400 for ChannelBind and CreatePermission alike
 * (issue 16, finding 9), although a permission itself ignores the port
 * (RFC 8656 §9.1): browsers, aioice, pion, libjuice, coturn's uclient and
 * libtern all send the peer's port. with_port (ChannelBind): the port is
 * part of the binding and of the own-address check. */
static uint16_t vet_peer(struct turn_server *s, const struct turn_in *in,
			 struct turn_alloc *a, const struct stun_attr *at,
			 const struct stun_msg *m, bool with_port,
			 struct taddr *out)
{
	struct sa peer, norm;

	if (stun_attr_xaddr(at, m, &peer) || !sa_port(&peer))
		return 400;
	if (!turn_policy_allows(s->cfg, &peer, with_port, &norm)) {
		s->st.policy_denied++;
		report_denied(s, in, a, &norm, with_port);
		return 403;
	}
	if (!turn_relay_for(a, sa_family(&norm)))
		return 443;
	taddr_from_sa(out, &norm);
	return 0;
}

static enum turn_verdict ok_empty(struct turn_server *s,
				  const struct turn_in *in,
				  const struct stun_msg *req,
				  const struct turn_auth *auth)
{
	struct stun_enc e;

	turn_reply_init(s, &e, req, STUN_CLASS_SUCCESS);
	return turn_reply_send_auth(s, &e, in, req, auth);
}

#define MAX_PEERS_PER_REQUEST 16

/* CreatePermission (§10.2): every XOR-PEER-ADDRESS is vetted before any
 * permission is installed, so a refused request changes nothing. */
enum turn_verdict turn_create_permission(struct turn_server *s,
					 const struct turn_in *in,
					 const struct stun_msg *req,
					 const struct turn_auth *auth)
{
	struct turn_alloc *a = turn_alloc_find(s, in);
	struct taddr peers[MAX_PEERS_PER_REQUEST];
	unsigned i, n = 0;
	uint16_t code = 0;

	if (!a)
		return turn_reply_error_auth(s, in, req, auth, 437, NULL);
	for (i = 0; i < req->nattrs && !code; i++) {
		if (req->attrs[i].type != STUN_ATTR_XOR_PEER_ADDRESS)
			continue;
		if (n == MAX_PEERS_PER_REQUEST)
			code = 400;
		else
			code = vet_peer(s, in, a, &req->attrs[i], req, false,
					&peers[n++]);
	}
	if (!code && n == 0)
		code = 400;
	for (i = 0; i < n && !code; i++)
		if (perm_install(s, a, &peers[i], s->now_ms))
			code = 508;
	if (code)
		return turn_reply_error_auth(s, in, req, auth, code, NULL);
	return ok_empty(s, in, req, auth);
}

bool turn_channel_valid(const struct turn_server_cfg *cfg, uint16_t num)
{
	/* §12: "0x4000 through 0x4FFF", or RFC 5766 §11's 0x4000-0x7FFF
	 * where the operator asked for it (coturn's clients). */
	uint16_t max =
	    cfg->rfc5766_channels ? STUN_CHANNEL_MAX_RFC5766 : STUN_CHANNEL_MAX;

	return num >= STUN_CHANNEL_MIN && num <= max;
}

static uint32_t max_chans(const struct turn_server_cfg *cfg)
{
	uint32_t max = cfg->max_chans_per_alloc ? cfg->max_chans_per_alloc
						: DEFAULT_MAX_CHANS;

	return max < UINT16_MAX ? max : UINT16_MAX; /* a->nchan's range */
}

/* ChannelBind (§12.2): number in range, the binding unique both ways.
 * *why names a conflict, which a client can cause on its own: coturn's
 * uclient draws each channel number at random and can draw a bound one. */
static uint16_t bind_check(struct turn_server *s, const struct turn_in *in,
			   struct turn_alloc *a, const struct stun_msg *req,
			   uint16_t *num, struct taddr *peer,
			   struct turn_chan **existing, const char **why)
{
	const struct stun_attr *cn =
	    stun_msg_attr(req, STUN_ATTR_CHANNEL_NUMBER);
	const struct stun_attr *pa =
	    stun_msg_attr(req, STUN_ATTR_XOR_PEER_ADDRESS);
	struct turn_chan *by_num, *by_peer;
	uint16_t code;

	if (!cn || !pa || stun_attr_channel(cn, num) ||
	    !turn_channel_valid(s->cfg, *num))
		return 400;
	code = vet_peer(s, in, a, pa, req, true, peer);
	if (code)
		return code;
	by_num = turn_chan_by_num(s, a, *num);
	by_peer = turn_chan_by_peer(s, a, peer);
	/* "the channel number is not currently bound to a different
	 * transport address" and "the transport address is not currently
	 * bound to a different channel number": else 400. */
	if (by_num && by_num != by_peer) {
		*why = "Channel number bound to another peer";
		return 400;
	}
	if (by_peer && by_peer != by_num) {
		*why = "Peer bound to another channel number";
		return 400;
	}
	/* a new binding beyond the cap: 508, as a permission beyond its cap
	 * (RFC 8656 §9 leaves both limits to the server) */
	if (!by_num && a->nchan >= max_chans(s->cfg))
		return 508;
	*existing = by_num;
	return 0;
}

enum turn_verdict turn_channel_bind(struct turn_server *s,
				    const struct turn_in *in,
				    const struct stun_msg *req,
				    const struct turn_auth *auth)
{
	struct turn_alloc *a = turn_alloc_find(s, in);
	struct turn_chan *c = NULL;
	struct taddr peer;
	const char *why = NULL;
	uint16_t num = 0, code;

	if (!a)
		return turn_reply_error_auth(s, in, req, auth, 437, NULL);
	code = bind_check(s, in, a, req, &num, &peer, &c, &why);
	if (!code && perm_install(s, a, &peer, s->now_ms))
		code = 508; /* §12.2: the binding also installs a permission */
	if (!code && !c) {
		c = calloc(1, sizeof(*c));
		if (!c)
			code = 500;
	}
	if (code)
		return turn_reply_error_auth(s, in, req, auth, code, why);
	if (!c->a) {
		c->a = a;
		c->num = num;
		c->peer = peer;
		c->next = a->chans;
		a->chans = c;
		a->nchan++;
		hmap_insert(&s->chans_num, &c->by_num,
			    chan_num_hash(s, a, num));
		hmap_insert(&s->chans_peer, &c->by_peer,
			    chan_peer_hash(s, a, &peer));
		s->st.channels_active++;
	}
	c->expires = s->now_ms + TURN_CHANNEL_LIFETIME_MS;
	turn_alloc_due(s, a, c->expires);
	return ok_empty(s, in, req, auth);
}
