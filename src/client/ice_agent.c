/*
 * ice_agent.c — the ICE agent on libevent (RFC 8445): credentials, remote
 * candidates, connectivity checks (paced, triggered, retransmitted),
 * peer-reflexive candidates, role conflicts, nomination, the selected
 * pair, consent freshness (RFC 7675), restart, and the states a browser
 * reports. Gathering is in ice_gather.c.
 *
 * Everything runs from the caller's event loop: a datagram (ice_input) or
 * the timer (ice_run) changes the check list, then update() derives the
 * selected pair and the state from it and calls back.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>

#include <event2/event.h>

#include "base/rand.h"
#include "client/ice_agent.h"
#include "client/priv.h"
#include "stun/stun.h"

static const char *const state_names[] = {
	"new",	  "checking",	  "connected", "completed",
	"failed", "disconnected", "closed",
};

const char *tern_ice_state_name(enum tern_ice_state s)
{
	return (unsigned)s < sizeof(state_names) / sizeof(state_names[0])
		   ? state_names[s]
		   : "?";
}

uint64_t ice_now(const struct tern_ice *ag)
{
	return ag->o.clock ? ag->o.clock(ag->o.clock_arg) : client_now_ms();
}

void ice_log(struct tern_ice *ag, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!ag->o.on_log || ag->dead)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	ag->o.on_log(ag->o.arg, line);
}

void ice_hold(struct tern_ice *ag)
{
	ag->hold++;
}

static void agent_destroy(struct tern_ice *ag)
{
	ice_gather_close(ag);
	if (ag->timer)
		event_free(ag->timer);
	free(ag);
}

bool ice_release(struct tern_ice *ag)
{
	if (--ag->hold == 0 && ag->dead) {
		agent_destroy(ag);
		return true;
	}
	return ag->dead;
}

/* ice-char = ALPHA / DIGIT / "+" / "/" (RFC 8839 §5.4) */
static int random_ice_chars(char *out, size_t n)
{
	static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
				  "opqrstuvwxyz0123456789+/";
	uint8_t r[64];

	if (n >= sizeof(r) || rand_bytes(r, n))
		return EIO;
	for (size_t i = 0; i < n; i++)
		out[i] = set[r[i] & 63];
	out[n] = '\0';
	return 0;
}

/* 8 ice-chars of ufrag (48 bits; RFC 8445 §5.3 asks for at least 24) and
 * 24 of password (144 bits; at least 128). */
static int new_credentials(struct tern_ice *ag)
{
	if (random_ice_chars(ag->ufrag, 8) || random_ice_chars(ag->pwd, 24))
		return EIO;
	return 0;
}

/* ---- callbacks: each returns false when the agent died inside ---- */

static bool set_state(struct tern_ice *ag, enum tern_ice_state st)
{
	if (ag->state == st || ag->dead)
		return !ag->dead;
	ag->state = st;
	if (ag->o.on_state)
		ag->o.on_state(ag->o.arg, st);
	return !ag->dead;
}

static const char *type_name(enum ice_type t)
{
	static const char *const n[] = { "host", "srflx", "prflx", "relay" };
	return n[t];
}

/* Our server-reflexive candidate at addr whose base is l's, or NULL. */
static const struct ice_local *reflexive_of(const struct tern_ice *ag,
					    const struct ice_local *l,
					    const struct sa *addr)
{
	for (size_t i = 0; i < ag->cl.n_local; i++) {
		const struct ice_local *c = &ag->cl.local[i];

		if (c->cand.type == ICE_SRFLX &&
		    sa_equal(&c->cand.addr, addr) &&
		    sa_equal(&c->base, &l->base))
			return c;
	}
	return NULL;
}

static void fill_info(const struct tern_ice *ag, const struct ice_pair *p,
		      struct tern_ice_pair_info *in)
{
	const struct ice_local *l = &ag->cl.local[p->local];
	const struct ice_cand *r = &ag->cl.remote[p->remote];
	const struct ice_lx *x = &ag->lx[p->local];
	static const char *const tp[] = { "udp", "tcp", "tls" };

	memset(in, 0, sizeof(*in));
	ice_cand_format(&l->cand, in->local, sizeof(in->local));
	ice_cand_format(r, in->remote, sizeof(in->remote));
	in->local_type = type_name(l->cand.type);
	in->remote_type = type_name(r->type);
	/* The peer saw another address: one of our server-reflexive
	 * candidates on this base when the NAT maps independently of the
	 * destination (§7.2.5.3.1: the valid pair's local candidate is the
	 * one whose address the response carried), else peer-reflexive. */
	if (l->cand.type == ICE_HOST && sa_is_set(&p->mapped) &&
	    !sa_equal(&p->mapped, &l->cand.addr)) {
		const struct ice_local *sx = reflexive_of(ag, l, &p->mapped);

		in->local_type = sx ? "srflx" : "prflx";
		if (sx)
			ice_cand_format(&sx->cand, in->local,
					sizeof(in->local));
	}
	client_addr_out(&l->base, &in->local_addr);
	client_addr_out(&r->addr, &in->remote_addr);
	client_addr_out(&p->mapped, &in->mapped);
	in->relay_proto = x->relay >= 0 ? tp[ag->relays[x->relay].srv->tp] : "";
	in->rtt_ms = ag->rtt_ms ? ag->rtt_ms : p->rtt_ms;
	in->nominated = p->nominated;
}

static struct ice_pair *find_pair(struct tern_ice *ag, size_t li, size_t ri)
{
	for (size_t i = 0; i < ag->cl.n_pairs; i++)
		if (ag->cl.pairs[i].local == li && ag->cl.pairs[i].remote == ri)
			return &ag->cl.pairs[i];
	return NULL;
}

static struct ice_pair *selected(struct tern_ice *ag)
{
	return ag->have_sel ? find_pair(ag, ag->sel_local, ag->sel_remote)
			    : NULL;
}

int tern_ice_selected(const struct tern_ice *ag,
		      struct tern_ice_pair_info *info)
{
	struct ice_pair *p;

	if (!ag || !info)
		return EINVAL;
	p = selected((struct tern_ice *)ag);
	if (!p)
		return ENOTCONN;
	fill_info(ag, p, info);
	return 0;
}

/* ---- sending ---- */

static int send_via(struct tern_ice *ag, const struct ice_lx *x,
		    const struct sa *to, const void *buf, size_t len)
{
	if (x->relay >= 0) {
		struct ice_relay *r = &ag->relays[x->relay];
		if (!r->a)
			return ENOTCONN;
		return tern_alloc_send(r->a, &to->u.sa, buf, len);
	}
	if (x->sock < 0 || ag->socks[x->sock].fd < 0)
		return ENOTCONN;
	if (sendto(ag->socks[x->sock].fd, buf, len, 0, &to->u.sa, to->len) < 0)
		return errno;
	return 0;
}

static int send_from(struct tern_ice *ag, size_t li, const struct sa *to,
		     const void *buf, size_t len)
{
	return send_via(ag, &ag->lx[li], to, buf, len);
}

/* A Binding request for pair p (a check, or consent when tid is given). */
static int send_request(struct tern_ice *ag, const struct ice_pair *p,
			const uint8_t tid[ICE_TID_SIZE], bool use_cand)
{
	const struct ice_local *l = &ag->cl.local[p->local];
	const struct ice_cand *r = &ag->cl.remote[p->remote];
	char user[2 * ICE_UFRAG_MAX + 2];
	uint8_t msg[1024];
	struct stun_enc e;
	size_t len;
	int n;

	n = snprintf(user, sizeof(user), "%s:%s", ag->rufrag, ag->ufrag);
	stun_enc_init(&e, msg, sizeof(msg), STUN_METHOD_BINDING,
		      STUN_CLASS_REQUEST, tid);
	stun_enc_text(&e, STUN_ATTR_USERNAME, user, (size_t)n);
	/* §7.1.1: the priority a prflx candidate of ours would have */
	stun_enc_u32(&e, STUN_ATTR_PRIORITY,
		     ice_priority(ICE_PRFLX,
				  (uint16_t)(l->cand.priority >> 8 & 0xffff),
				  l->cand.component));
	if (ag->cl.controlling) {
		uint8_t tb[8];
		for (int i = 0; i < 8; i++)
			tb[i] = (uint8_t)(ag->tie >> (56 - 8 * i));
		stun_enc_attr(&e, STUN_ATTR_ICE_CONTROLLING, tb, 8);
		if (use_cand)
			stun_enc_attr(&e, STUN_ATTR_USE_CANDIDATE, NULL, 0);
	} else {
		uint8_t tb[8];
		for (int i = 0; i < 8; i++)
			tb[i] = (uint8_t)(ag->tie >> (56 - 8 * i));
		stun_enc_attr(&e, STUN_ATTR_ICE_CONTROLLED, tb, 8);
	}
	stun_enc_mi(&e, (const uint8_t *)ag->rpwd, strlen(ag->rpwd));
	stun_enc_fingerprint(&e);
	if (stun_enc_finish(&e, &len))
		return EINVAL;
	if (ag->lx[p->local].relay >= 0)
		ice_relay_permit(ag, p->local, p->remote, false);
	return send_from(ag, p->local, &r->addr, msg, len);
}

/* Start (or restart) the check of p now. */
static void start_check(struct tern_ice *ag, struct ice_pair *p, uint64_t now)
{
	if (trans_tid(p->tid))
		return;
	p->state = ICE_PAIR_IN_PROGRESS;
	p->triggered = false;
	p->sends = 1;
	p->rto_ms = ICE_CHECK_RTO_MS;
	p->sent_ms = now;
	p->due_ms = now + p->rto_ms;
	send_request(ag, p, p->tid, p->use_cand);
	if (ag->state == TERN_ICE_NEW)
		set_state(ag, TERN_ICE_CHECKING);
}

int tern_ice_send(struct tern_ice *ag, const void *data, size_t len)
{
	struct ice_pair *p;

	if (!ag || (!data && len))
		return EINVAL;
	if (ag->closed || ag->state == TERN_ICE_FAILED)
		return ENOTCONN;
	if (len > 65535 - 64)
		return EMSGSIZE;
	p = selected(ag);
	if (p)
		return send_from(ag, p->local, &ag->cl.remote[p->remote].addr,
				 data, len);
	if (ag->have_old) {
		/* after a restart, until a new pair is selected */
		struct ice_lx x = { ag->old_local_sock, ag->old_local_relay };
		return send_via(ag, &x, &ag->old_remote, data, len);
	}
	return ENOTCONN;
}

/* ---- the selected pair and the state ---- */

static bool checks_pending(const struct tern_ice *ag)
{
	for (size_t i = 0; i < ag->cl.n_pairs; i++) {
		enum ice_pair_state s = ag->cl.pairs[i].state;
		if (s == ICE_PAIR_WAITING || s == ICE_PAIR_IN_PROGRESS ||
		    s == ICE_PAIR_FROZEN)
			return true;
	}
	return false;
}

/* The pair data should use: the nominated one, else the best valid one
 * (sorted list: the first valid). */
static struct ice_pair *best_pair(struct tern_ice *ag)
{
	struct ice_pair *best = NULL;

	for (size_t i = 0; i < ag->cl.n_pairs; i++) {
		struct ice_pair *p = &ag->cl.pairs[i];
		if (p->nominated)
			return p;
		if (p->valid && !best)
			best = p;
	}
	return best;
}

/* Derive the selected pair and the state; call back on changes. */
static void update(struct tern_ice *ag)
{
	struct ice_pair *p;
	uint64_t now;

	if (ag->closed || ag->dead)
		return;
	now = ice_now(ag);
	p = best_pair(ag);
	if (p && (!ag->have_sel || p->local != ag->sel_local ||
		  p->remote != ag->sel_remote ||
		  p->nominated != ag->sel_nominated)) {
		struct tern_ice_pair_info in;
		bool changed = !ag->have_sel || p->local != ag->sel_local ||
			       p->remote != ag->sel_remote;
		ag->have_sel = true;
		ag->have_old = false;
		ag->sel_local = p->local;
		ag->sel_remote = p->remote;
		ag->sel_nominated = p->nominated;
		if (changed) {
			ag->consent_ok = now;
			ag->consent_due = now + ag->o.consent_interval_ms;
			ag->rtt_ms = p->rtt_ms;
			if (ag->lx[p->local].relay >= 0)
				ice_relay_permit(ag, p->local, p->remote, true);
		}
		/* reported again when the same pair gets nominated */
		fill_info(ag, p, &in);
		if (ag->o.on_selected)
			ag->o.on_selected(ag->o.arg, &in);
		if (ag->dead)
			return;
	}
	p = selected(ag);
	if (p) {
		uint64_t quiet = now - ag->consent_ok;
		if (quiet >= ag->o.consent_fail_ms) {
			ice_log(ag, "consent expired: no answer for %llu ms",
				(unsigned long long)quiet);
			set_state(ag, TERN_ICE_FAILED);
		} else if (quiet >= ag->o.disconnect_ms)
			set_state(ag, TERN_ICE_DISCONNECTED);
		else if (p->nominated && ag->remote_end && ag->gathered &&
			 !checks_pending(ag))
			set_state(ag, TERN_ICE_COMPLETED);
		else if (ag->state != TERN_ICE_COMPLETED || !p->nominated)
			set_state(ag, TERN_ICE_CONNECTED);
		return;
	}
	if (ag->have_old)
		return;
	if (ag->remote_end && ag->gathered && ag->rufrag[0] &&
	    !checks_pending(ag) && ag->state != TERN_ICE_NEW)
		set_state(ag, TERN_ICE_FAILED);
	else if (ag->remote_end && ag->gathered && ag->rufrag[0] &&
		 ag->cl.n_pairs == 0 && ag->state == TERN_ICE_NEW)
		set_state(ag, TERN_ICE_FAILED);
}

/* ---- incoming STUN ---- */

static uint64_t read_tie(const struct stun_attr *a)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | a->val[i];
	return v;
}

static void reply(struct tern_ice *ag, size_t li, const struct sa *src,
		  const struct stun_msg *req, uint16_t code)
{
	uint8_t msg[512];
	struct stun_enc e;
	size_t len;

	stun_enc_reply(&e, msg, sizeof(msg), req,
		       code ? STUN_CLASS_ERROR : STUN_CLASS_SUCCESS);
	if (code)
		stun_enc_errcode(&e, code, NULL);
	else
		stun_enc_xaddr(&e, STUN_ATTR_XOR_MAPPED_ADDRESS, src);
	/* a 400 for a bad MI cannot be signed with a key we do not share */
	if (code != 400 && code != 401)
		stun_enc_mi(&e, (const uint8_t *)ag->pwd, strlen(ag->pwd));
	stun_enc_fingerprint(&e);
	if (!stun_enc_finish(&e, &len))
		send_from(ag, li, src, msg, len);
}

/* The remote candidate at src, learning a peer-reflexive one when none
 * is known (§7.3.1.3). Returns its index or -1. */
static int remote_for(struct tern_ice *ag, const struct sa *src, uint32_t prio)
{
	struct ice_cand c;

	for (size_t i = 0; i < ag->cl.n_remote; i++)
		if (!ag->cl.remote[i].mdns &&
		    sa_equal(&ag->cl.remote[i].addr, src))
			return (int)i;
	ice_cand_init(&c);
	snprintf(c.foundation, sizeof(c.foundation), "prflx%u",
		 ++ag->prflx_seq);
	c.priority = prio;
	c.addr = *src;
	c.port = sa_port(src);
	c.type = ICE_PRFLX;
	if (ice_checklist_add_remote(&ag->cl, &c))
		return -1;
	{
		char b[SA_STRLEN];
		ice_log(ag, "learned a peer-reflexive remote candidate %s",
			sa_print(src, b, sizeof(b)));
	}
	return (int)ag->cl.n_remote - 1;
}

static void nominate_done(struct tern_ice *ag, struct ice_pair *p)
{
	/* renomination: a later nomination replaces the earlier */
	for (size_t i = 0; i < ag->cl.n_pairs; i++)
		ag->cl.pairs[i].nominated = false;
	p->nominated = true;
}

static void on_request(struct tern_ice *ag, size_t li, const struct sa *src,
		       const struct stun_msg *m)
{
	const struct stun_attr *u = stun_msg_attr(m, STUN_ATTR_USERNAME);
	const struct stun_attr *pr = stun_msg_attr(m, STUN_ATTR_PRIORITY);
	const struct stun_attr *ctl =
	    stun_msg_attr(m, STUN_ATTR_ICE_CONTROLLING);
	const struct stun_attr *ctd =
	    stun_msg_attr(m, STUN_ATTR_ICE_CONTROLLED);
	size_t ul = strlen(ag->ufrag);
	uint32_t prio = 0;
	struct ice_pair *p;
	int ri;

	if (m->method != STUN_METHOD_BINDING)
		return reply(ag, li, src, m, 400);
	/* USERNAME = ours ":" theirs (§7.3); MI with our password */
	if (!u || u->len <= ul || memcmp(u->val, ag->ufrag, ul) ||
	    u->val[ul] != ':' || !pr || stun_attr_u32(pr, &prio))
		return reply(ag, li, src, m, 400);
	if (stun_msg_check_mi(m, (const uint8_t *)ag->pwd, strlen(ag->pwd)))
		return reply(ag, li, src, m, 401);
	if ((ctl && ctl->len == 8) || (ctd && ctd->len == 8)) {
		bool rc = ctl && ctl->len == 8;
		uint64_t tb = read_tie(rc ? ctl : ctd);
		switch (
		    ice_role_conflict(ag->cl.controlling, ag->tie, rc, tb)) {
		case ICE_CONFLICT_487:
			ice_log(ag, "role conflict: answered 487, staying %s",
				ag->cl.controlling ? "controlling"
						   : "controlled");
			return reply(ag, li, src, m, 487);
		case ICE_CONFLICT_SWITCH:
			ice_log(ag, "role conflict: switching to %s",
				ag->cl.controlling ? "controlled"
						   : "controlling");
			ice_checklist_set_role(&ag->cl, !ag->cl.controlling);
			break;
		case ICE_CONFLICT_NONE:
			break;
		}
	}
	reply(ag, li, src, m, 0);
	/* the peer's remote ufrag may be ahead of its description: answer,
	 * but start no check until we can sign one */
	ri = remote_for(ag, src, prio);
	if (ri < 0)
		return;
	p = find_pair(ag, li, (size_t)ri);
	if (!p)
		return;
	if (stun_msg_attr(m, STUN_ATTR_USE_CANDIDATE) && !ag->cl.controlling) {
		if (p->valid)
			nominate_done(ag, p);
		else
			p->remote_nom = true;
	}
	/* §7.3.1.4 triggered check */
	if (!p->valid && p->state != ICE_PAIR_IN_PROGRESS) {
		p->state = ICE_PAIR_WAITING;
		p->triggered = true;
	}
}

/* A response: a check's, consent's or gathering's. */
static void on_response(struct tern_ice *ag, size_t li, const struct sa *src,
			const struct stun_msg *m)
{
	uint64_t now = ice_now(ag);
	struct ice_pair *p = NULL;
	const struct stun_attr *xa;

	if (ag->have_sel && !memcmp(m->tid, ag->consent_tid, ICE_TID_SIZE) &&
	    m->cls == STUN_CLASS_SUCCESS &&
	    !stun_msg_check_mi(m, (const uint8_t *)ag->rpwd,
			       strlen(ag->rpwd))) {
		ag->consent_ok = now;
		ag->rtt_ms = (unsigned)(now - ag->consent_sent);
		memset(ag->consent_tid, 0, ICE_TID_SIZE);
		return;
	}
	for (size_t i = 0; i < ag->cl.n_pairs; i++)
		if (ag->cl.pairs[i].sends &&
		    !memcmp(ag->cl.pairs[i].tid, m->tid, ICE_TID_SIZE)) {
			p = &ag->cl.pairs[i];
			break;
		}
	if (!p || p->local != li)
		return;
	if (stun_msg_check_mi(m, (const uint8_t *)ag->rpwd, strlen(ag->rpwd)))
		return;
	p->sends = 0;
	p->due_ms = 0;
	if (m->cls == STUN_CLASS_ERROR) {
		uint16_t code = 0;
		const char *rs;
		size_t rl;
		const struct stun_attr *ec =
		    stun_msg_attr(m, STUN_ATTR_ERROR_CODE);
		if (ec)
			stun_attr_errcode(ec, &code, &rs, &rl);
		if (code == 487) {
			/* §7.2.5.1: switch, and check the pair again */
			ice_log(ag, "487 from the peer: switching to %s",
				ag->cl.controlling ? "controlled"
						   : "controlling");
			ice_checklist_set_role(&ag->cl, !ag->cl.controlling);
			for (size_t i = 0; i < ag->cl.n_pairs; i++)
				if (ag->cl.pairs[i].sends == 0 &&
				    !memcmp(ag->cl.pairs[i].tid, m->tid,
					    ICE_TID_SIZE)) {
					p = &ag->cl.pairs[i];
					p->state = ICE_PAIR_WAITING;
					p->triggered = true;
					p->use_cand = false;
				}
			return;
		}
		p->state = ICE_PAIR_FAILED;
		return;
	}
	/* §7.2.5.2.1: the response must come from where we sent */
	if (!sa_equal(src, &ag->cl.remote[p->remote].addr)) {
		p->state = ICE_PAIR_FAILED;
		return;
	}
	xa = stun_msg_attr(m, STUN_ATTR_XOR_MAPPED_ADDRESS);
	if (xa)
		stun_attr_xaddr(xa, m, &p->mapped);
	p->state = ICE_PAIR_SUCCEEDED;
	p->rtt_ms = (unsigned)(now - p->sent_ms);
	if (!p->valid && !ag->first_valid)
		ag->first_valid = now;
	p->valid = true;
	if (ag->have_sel && p->local == ag->sel_local &&
	    p->remote == ag->sel_remote)
		ag->consent_ok = now;
	if (ag->cl.controlling && p->use_cand)
		nominate_done(ag, p);
	else if (!ag->cl.controlling && p->remote_nom)
		nominate_done(ag, p);
	/* §7.2.5.3.3: unfreeze the pairs of the same foundation */
	ice_checklist_unfreeze(&ag->cl);
}

void ice_input(struct tern_ice *ag, size_t li, const struct sa *src,
	       const uint8_t *buf, size_t len)
{
	struct stun_msg m;

	if (ag->closed || !len)
		return;
	if (stun_demux(buf[0]) != STUN_DEMUX_STUN) {
		/* data: from a peer we know (a pair's remote, or the path
		 * kept across a restart) */
		bool known = ag->have_old && sa_equal(src, &ag->old_remote);
		for (size_t i = 0; !known && i < ag->cl.n_remote; i++)
			known = sa_equal(&ag->cl.remote[i].addr, src);
		if (known && ag->o.on_recv)
			ag->o.on_recv(ag->o.arg, buf, len);
		return;
	}
	if (stun_msg_decode(&m, buf, len, 0))
		return;
	if (m.cls == STUN_CLASS_REQUEST)
		on_request(ag, li, src, &m);
	else if (m.cls == STUN_CLASS_SUCCESS || m.cls == STUN_CLASS_ERROR)
		on_response(ag, li, src, &m);
	update(ag);
}

/* ---- the timer: checks, retransmissions, nomination, consent ---- */

static uint64_t min_due(uint64_t a, uint64_t b)
{
	return !a ? b : !b ? a : a < b ? a : b;
}

static bool can_check(const struct tern_ice *ag)
{
	return ag->rufrag[0] && ag->rpwd[0] && !ag->closed;
}

/* Controlling, regular nomination (§8.1.1): once a pair is valid and no
 * better pair is still being checked (or ICE_NOMINATE_MS passed), check
 * the best valid pair again with USE-CANDIDATE. */
static void maybe_nominate(struct tern_ice *ag, uint64_t now)
{
	struct ice_pair *best = NULL;
	bool better_pending = false;

	if (!ag->cl.controlling)
		return;
	for (size_t i = 0; i < ag->cl.n_pairs; i++) {
		struct ice_pair *p = &ag->cl.pairs[i];
		if (p->nominated || p->use_cand)
			return;
		if (p->valid) {
			best = p;
			break;
		}
		if (p->state != ICE_PAIR_FAILED)
			better_pending = true;
	}
	if (!best ||
	    (better_pending && now < ag->first_valid + ICE_NOMINATE_MS))
		return;
	best->use_cand = true;
	best->state = ICE_PAIR_WAITING;
	best->triggered = true;
}

static struct ice_pair *next_to_check(struct tern_ice *ag)
{
	struct ice_pair *w = NULL;

	for (size_t i = 0; i < ag->cl.n_pairs; i++) {
		struct ice_pair *p = &ag->cl.pairs[i];
		if (p->state != ICE_PAIR_WAITING)
			continue;
		if (p->triggered)
			return p;
		if (!w)
			w = p;
	}
	if (w)
		return w;
	/* §6.1.4.2: nothing waiting: unfreeze the best frozen pair */
	for (size_t i = 0; i < ag->cl.n_pairs; i++)
		if (ag->cl.pairs[i].state == ICE_PAIR_FROZEN)
			return &ag->cl.pairs[i];
	return NULL;
}

static uint64_t run_checks(struct tern_ice *ag, uint64_t now)
{
	uint64_t next = 0;
	struct ice_pair *p;

	for (size_t i = 0; i < ag->cl.n_pairs; i++) {
		p = &ag->cl.pairs[i];
		if (!p->sends || !p->due_ms)
			continue;
		if (now >= p->due_ms) {
			if (p->sends >= ICE_CHECK_RC) {
				p->sends = 0;
				p->due_ms = 0;
				p->state = ICE_PAIR_FAILED;
				if (p->use_cand && !p->valid)
					p->use_cand = false;
				else if (p->use_cand) {
					/* nomination check lost: the pair
					 * stays valid, try again */
					p->use_cand = false;
				}
				if (p->valid)
					p->state = ICE_PAIR_SUCCEEDED;
				continue;
			}
			p->sends++;
			if (p->rto_ms < ICE_CHECK_RTO_CAP)
				p->rto_ms *= 2;
			p->sent_ms = now;
			p->due_ms = now + p->rto_ms;
			send_request(ag, p, p->tid, p->use_cand);
		}
		next = min_due(next, p->due_ms);
	}
	maybe_nominate(ag, now);
	if (ag->next_check <= now) {
		p = next_to_check(ag);
		if (p) {
			start_check(ag, p, now);
			ag->next_check = now + ICE_TA_MS;
			next = min_due(next, p->due_ms);
		}
	}
	if (next_to_check(ag))
		next = min_due(next,
			       ag->next_check > now ? ag->next_check : now + 1);
	if (ag->cl.controlling && ag->first_valid && !best_pair(ag))
		next = min_due(next, ag->first_valid + ICE_NOMINATE_MS);
	return next;
}

static uint64_t run_consent(struct tern_ice *ag, uint64_t now)
{
	struct ice_pair *p = selected(ag);
	uint8_t r;

	if (!p)
		return 0;
	if (now >= ag->consent_due) {
		if (trans_tid(ag->consent_tid) == 0) {
			ag->consent_sent = now;
			send_request(ag, p, ag->consent_tid, false);
		}
		/* RFC 7675 §5.1: randomised, 0.8 to 1.2 times the interval */
		if (rand_bytes(&r, 1))
			r = 128;
		ag->consent_due = now + ag->o.consent_interval_ms * 4 / 5 +
				  ag->o.consent_interval_ms * 2 / 5 * r / 255;
	}
	/* wake up for the state changes as well */
	return min_due(
	    min_due(ag->consent_due, ag->consent_ok + ag->o.disconnect_ms > now
					 ? ag->consent_ok + ag->o.disconnect_ms
					 : 0),
	    ag->consent_ok + ag->o.consent_fail_ms > now
		? ag->consent_ok + ag->o.consent_fail_ms
		: 0);
}

static uint64_t run_all(struct tern_ice *ag)
{
	uint64_t now = ice_now(ag), next = 0;

	if (ag->closed)
		return 0;
	next = min_due(next, ice_gather_tick(ag, now));
	if (ag->dead)
		return 0;
	if (can_check(ag))
		next = min_due(next, run_checks(ag, now));
	next = min_due(next, run_consent(ag, now));
	update(ag);
	if (ag->dead || ag->closed || ag->state == TERN_ICE_FAILED)
		return 0;
	return next;
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	ice_run(arg);
}

void ice_run(struct tern_ice *ag)
{
	uint64_t next, now;

	if (ag->dead)
		return;
	ice_hold(ag);
	next = run_all(ag);
	if (!ice_release(ag) && !ag->o.clock && ag->timer) {
		now = ice_now(ag);
		if (next) {
			uint64_t d = next > now ? next - now : 0;
			struct timeval tv = { (time_t)(d / 1000),
					      (suseconds_t)(d % 1000 * 1000) };
			evtimer_add(ag->timer, &tv);
		} else
			evtimer_del(ag->timer);
	}
}

unsigned tern_ice_tick(struct tern_ice *ag)
{
	uint64_t next, now;

	if (!ag || ag->dead)
		return 0;
	ice_hold(ag);
	next = run_all(ag);
	now = ice_now(ag);
	if (ice_release(ag))
		return 0;
	return next ? (unsigned)(next > now ? next - now : 0) : 1000;
}

/* ---- the API ---- */

static bool name_is_local(const char *name)
{
	size_t n = strlen(name);
	return n > 6 && !strcasecmp(name + n - 6, ".local");
}

int tern_ice_new(struct tern_ice **ap, struct event_base *base,
		 const struct tern_ice_opts *opts, char *why, size_t why_size)
{
	struct tern_ice *ag;
	int err;

	if (!ap || !base || !opts || (opts->n_servers && !opts->servers))
		return EINVAL;
	if (opts->n_servers > ICE_SERVERS_MAX) {
		if (why && why_size)
			snprintf(why, why_size, "at most %d ICE servers",
				 ICE_SERVERS_MAX);
		return EINVAL;
	}
	ag = calloc(1, sizeof(*ag));
	if (!ag)
		return ENOMEM;
	ag->base = base;
	ag->o = *opts;
	ag->o.servers = NULL;
	if (opts->ca_file)
		snprintf(ag->ca_file, sizeof(ag->ca_file), "%s", opts->ca_file);
	ag->o.ca_file = opts->ca_file ? ag->ca_file : NULL;
	if (opts->interface)
		snprintf(ag->ifname, sizeof(ag->ifname), "%s", opts->interface);
	ag->o.interface = NULL;
	if (!ag->o.disconnect_ms)
		ag->o.disconnect_ms = 5000;
	if (!ag->o.consent_fail_ms)
		ag->o.consent_fail_ms = 30000;
	if (!ag->o.consent_interval_ms)
		ag->o.consent_interval_ms = 1000;
	if (!ag->o.gather_timeout_ms)
		ag->o.gather_timeout_ms = 5000;
	for (size_t i = 0; i < opts->n_servers; i++) {
		const struct tern_ice_server *s = &opts->servers[i];
		err = ice_server_parse(&ag->srv[i], s->url, why, why_size);
		if (err) {
			free(ag);
			return err;
		}
		snprintf(ag->srv[i].user, ICE_CRED_MAX, "%s",
			 s->username ? s->username : "");
		snprintf(ag->srv[i].pass, ICE_CRED_MAX, "%s",
			 s->credential ? s->credential : "");
	}
	ag->n_srv = opts->n_servers;
	for (size_t i = 0; i < ICE_LOCAL_MAX; i++)
		ag->lx[i].sock = ag->lx[i].relay = -1;
	ice_checklist_init(&ag->cl, opts->controlling, 0);
	if (new_credentials(ag) || rand_bytes(&ag->tie, sizeof(ag->tie)) ||
	    rand_bytes(&ag->salt, sizeof(ag->salt))) {
		free(ag);
		return EIO;
	}
	if (!opts->clock) {
		ag->timer = evtimer_new(base, on_timer, ag);
		if (!ag->timer) {
			free(ag);
			return ENOMEM;
		}
	}
	ag->state = TERN_ICE_NEW;
	*ap = ag;
	return 0;
}

int tern_ice_gather(struct tern_ice *ag)
{
	int err;

	if (!ag)
		return EINVAL;
	if (ag->gathering || ag->gathered || ag->closed)
		return EALREADY;
	ag->gathering = true;
	ag->gather_start = ice_now(ag);
	ice_hold(ag);
	err = ice_gather_hosts(ag);
	if (!err && !ag->dead)
		ice_gather_servers(ag);
	if (!ag->dead)
		ice_gather_step(ag);
	if (ice_release(ag))
		return err;
	ice_run(ag);
	return err;
}

const char *tern_ice_ufrag(const struct tern_ice *ag)
{
	return ag->ufrag;
}

const char *tern_ice_pwd(const struct tern_ice *ag)
{
	return ag->pwd;
}

enum tern_ice_state tern_ice_state(const struct tern_ice *ag)
{
	return ag->state;
}

bool tern_ice_controlling(const struct tern_ice *ag)
{
	return ag->cl.controlling;
}

int tern_ice_set_remote(struct tern_ice *ag, const char *ufrag, const char *pwd)
{
	if (!ag || !ufrag || !pwd || !*ufrag || !*pwd ||
	    strlen(ufrag) > ICE_UFRAG_MAX || strlen(pwd) > ICE_UFRAG_MAX)
		return EINVAL;
	strcpy(ag->rufrag, ufrag);
	strcpy(ag->rpwd, pwd);
	ice_run(ag);
	return 0;
}

void tern_ice_end_of_candidates(struct tern_ice *ag)
{
	if (!ag || ag->remote_end)
		return;
	ag->remote_end = true;
	ice_run(ag);
}

int tern_ice_add_remote(struct tern_ice *ag, const char *line, char *why,
			size_t why_size)
{
	struct ice_cand c;
	int err;

	if (!ag || !line)
		return EINVAL;
	if (ice_cand_is_end(line, strlen(line))) {
		tern_ice_end_of_candidates(ag);
		return 0;
	}
	if (ag->remote_end) {
		if (why && why_size)
			snprintf(why, why_size,
				 "a candidate after end-of-candidates");
		return EALREADY;
	}
	err = ice_cand_parse(&c, line, strlen(line), why, why_size);
	if (err)
		return err;
	if (c.mdns || name_is_local(c.name)) {
		ice_log(ag,
			"dropped remote mDNS candidate %s: the pair will form "
			"through a peer-reflexive candidate",
			c.name);
		return 0;
	}
	if (c.transport != ICE_UDP || c.component != 1) {
		ice_log(ag,
			"ignored remote candidate (%s, component %u): "
			"this agent does UDP, component 1",
			c.transport == ICE_UDP ? "udp" : "tcp", c.component);
		return 0;
	}
	for (size_t i = 0; i < ag->cl.n_remote; i++)
		if (sa_equal(&ag->cl.remote[i].addr, &c.addr)) {
			/* a prflx learned earlier is now signalled */
			if (ag->cl.remote[i].type == ICE_PRFLX)
				ag->cl.remote[i].type = c.type;
			return 0;
		}
	err = ice_checklist_add_remote(&ag->cl, &c);
	if (err == ENOSPC && why && why_size)
		snprintf(why, why_size, "too many remote candidates (%d)",
			 ICE_REMOTE_MAX);
	if (err)
		return err;
	ice_run(ag);
	return 0;
}

int tern_ice_restart(struct tern_ice *ag)
{
	struct ice_checklist old;
	struct ice_pair *p;
	char line[ICE_LINE_MAX];

	if (!ag)
		return EINVAL;
	if (ag->closed)
		return ENOTCONN;
	/* keep the old path for data until a new pair is selected */
	p = selected(ag);
	if (p) {
		ag->have_old = true;
		ag->old_local_sock = ag->lx[p->local].sock;
		ag->old_local_relay = ag->lx[p->local].relay;
		ag->old_remote = ag->cl.remote[p->remote].addr;
	}
	if (new_credentials(ag))
		return EIO;
	ag->rufrag[0] = ag->rpwd[0] = '\0';
	ag->remote_end = false;
	ag->have_sel = false;
	ag->first_valid = 0;
	old = ag->cl;
	ice_checklist_init(&ag->cl, old.controlling, 0);
	for (size_t i = 0; i < old.n_local; i++)
		ice_checklist_add_local(&ag->cl, &old.local[i].cand,
					&old.local[i].base);
	for (size_t r = 0; r < ag->n_relays; r++) {
		memset(ag->relays[r].permitted, 0,
		       sizeof(ag->relays[r].permitted));
		memset(ag->relays[r].bound, 0, sizeof(ag->relays[r].bound));
	}
	if (ag->state != TERN_ICE_NEW && !ag->have_old)
		set_state(ag, TERN_ICE_CHECKING);
	ice_hold(ag);
	for (size_t i = 0; i < ag->cl.n_local && !ag->dead; i++)
		if (!ice_cand_format(&ag->cl.local[i].cand, line,
				     sizeof(line)) &&
		    ag->o.on_candidate &&
		    ag->cl.local[i].cand.type != ICE_PRFLX)
			ag->o.on_candidate(ag->o.arg, line);
	if (!ag->dead && ag->gathered && ag->o.on_gathered)
		ag->o.on_gathered(ag->o.arg);
	if (ice_release(ag))
		return 0;
	ice_run(ag);
	return 0;
}

void tern_ice_close(struct tern_ice *ag)
{
	if (!ag || ag->closed)
		return;
	ice_hold(ag);
	ice_gather_close(ag);
	ag->closed = true;
	ag->have_sel = ag->have_old = false;
	if (ag->timer)
		evtimer_del(ag->timer);
	if (ag->state != TERN_ICE_CLOSED) {
		ag->state = TERN_ICE_CLOSED;
		if (ag->o.on_state && !ag->dead)
			ag->o.on_state(ag->o.arg, TERN_ICE_CLOSED);
	}
	ice_release(ag);
}

void tern_ice_free(struct tern_ice *ag)
{
	if (!ag || ag->dead)
		return;
	ag->o.on_state = NULL;
	tern_ice_close(ag);
	ag->dead = true;
	if (ag->hold == 0)
		agent_destroy(ag);
}
