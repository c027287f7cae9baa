/*
 * ice_gather.c — local candidates (RFC 8445 §5.1.1): one UDP socket per
 * host address (getifaddrs), server-reflexive ones through a STUN Binding
 * sent from that very socket (the mapping must be the host socket's), and
 * relayed ones through libtern's TURN client over UDP, TCP or TLS.
 */
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include <event2/event.h>

#include "client/ice_agent.h"
#include "client/priv.h"
#include "stun/stun.h"

/* ---- announcing ---- */

static void announce(struct tern_ice *ag, size_t li)
{
	char line[ICE_LINE_MAX];

	if (!ag->o.trickle || !ag->o.on_candidate || ag->dead)
		return;
	if (!ice_cand_format(&ag->cl.local[li].cand, line, sizeof(line)))
		ag->o.on_candidate(ag->o.arg, line);
}

int ice_add_local(struct tern_ice *ag, enum ice_type type,
		  const struct sa *addr, const struct sa *base,
		  const struct sa *raddr, int sock, int relay, unsigned if_rank,
		  enum ice_relay_proto proto, const struct sa *server)
{
	struct ice_cand c;
	size_t li;
	int err;

	/* §5.1.3: same address and same base as one we have: redundant */
	for (size_t i = 0; i < ag->cl.n_local; i++)
		if (sa_equal(&ag->cl.local[i].cand.addr, addr) &&
		    sa_equal(&ag->cl.local[i].base, base)) {
			char b[SA_STRLEN];
			ice_log(ag,
				"%s candidate %s is redundant with a %s one: "
				"not added",
				type == ICE_SRFLX ? "srflx" : "local",
				sa_print(addr, b, sizeof(b)),
				type == ICE_SRFLX ? "host" : "known");
			return EEXIST;
		}
	ice_cand_init(&c);
	c.type = type;
	c.addr = *addr;
	c.port = sa_port(addr);
	c.priority = ice_priority(
	    type, ice_local_pref(sa_family(addr), if_rank, proto), 1);
	ice_foundation(c.foundation, type, base, server, ICE_UDP, proto,
		       ag->salt);
	if (raddr && sa_is_set(raddr)) {
		c.has_raddr = true;
		c.raddr = *raddr;
	}
	c.has_generation = true;
	err = ice_checklist_add_local(&ag->cl, &c, base);
	if (err)
		return err;
	li = ag->cl.n_local - 1;
	ag->lx[li].sock = sock;
	ag->lx[li].relay = relay;
	announce(ag, li);
	return 0;
}

/* ---- host candidates ---- */

static bool skip_addr(const struct tern_ice *ag, const struct ifaddrs *ifa,
		      const struct sa *a)
{
	if (!(ifa->ifa_flags & IFF_UP) ||
	    (ag->ifname[0] && strcmp(ifa->ifa_name, ag->ifname)))
		return true;
	if (sa_family(a) == AF_INET) {
		uint8_t b0 = ((const uint8_t *)&a->u.in.sin_addr)[0];
		if (ag->o.no_ipv4)
			return true;
		if (b0 == 127 || (ifa->ifa_flags & IFF_LOOPBACK))
			return !ag->o.loopback;
		/* 169.254/16 */
		if (b0 == 169 && ((const uint8_t *)&a->u.in.sin_addr)[1] == 254)
			return !ag->o.link_local;
		return false;
	}
	if (ag->o.no_ipv6)
		return true;
	if (IN6_IS_ADDR_LOOPBACK(&a->u.in6.sin6_addr) ||
	    (ifa->ifa_flags & IFF_LOOPBACK))
		return !ag->o.loopback;
	if (IN6_IS_ADDR_LINKLOCAL(&a->u.in6.sin6_addr))
		return !ag->o.link_local;
	/* IPv4-mapped, site-local, deprecated: not ICE candidates */
	if (IN6_IS_ADDR_V4MAPPED(&a->u.in6.sin6_addr) ||
	    IN6_IS_ADDR_SITELOCAL(&a->u.in6.sin6_addr))
		return true;
	return false;
}

/* One receive buffer per thread, not per agent: a datagram is handled
 * before the next read, and 1,000 idle agents should not hold 64 MB. */
static _Thread_local uint8_t rbuf[65536];

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct ice_sock *s = arg;
	struct tern_ice *ag = s->ag;

	(void)what;
	ice_hold(ag);
	/* a bounded batch, so one busy socket does not starve the loop */
	for (int n = 0; n < 64 && !ag->dead && !ag->closed; n++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct sa src;
		ssize_t r = recvfrom(fd, rbuf, sizeof(rbuf), 0,
				     (struct sockaddr *)&ss, &sl);
		if (r < 0)
			break;
		if (sa_set_sockaddr(&src, (struct sockaddr *)&ss, sl))
			continue;
		sa_unmap(&src);
		if (r >= STUN_HEADER_SIZE && rbuf[0] < 4 &&
		    ice_gather_response(ag, (int)(s - ag->socks), rbuf,
					(size_t)r))
			continue;
		if (s->host >= 0)
			ice_input(ag, (size_t)s->host, &src, rbuf, (size_t)r);
	}
	if (!ice_release(ag))
		ice_run(ag);
}

static int open_sock(struct tern_ice *ag, const struct sa *addr, unsigned rank)
{
	struct ice_sock *s = &ag->socks[ag->n_socks];
	struct sa a = *addr;
	socklen_t sl = sizeof(a.u);
	int fd, one = 1;

	fd =
	    socket(sa_family(&a), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (sa_family(&a) == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	sa_set_port(&a, 0);
	if (bind(fd, &a.u.sa, a.len) || getsockname(fd, &a.u.sa, &sl)) {
		int err = errno;
		close(fd);
		return err;
	}
	a.len = sl;
	s->ag = ag;
	s->fd = fd;
	s->addr = a;
	s->if_rank = rank;
	s->host = -1;
	s->ev = event_new(ag->base, fd, EV_READ | EV_PERSIST, on_readable, s);
	if (!s->ev || event_add(s->ev, NULL)) {
		if (s->ev)
			event_free(s->ev);
		close(fd);
		return ENOMEM;
	}
	ag->n_socks++;
	return 0;
}

int ice_gather_hosts(struct tern_ice *ag)
{
	struct ifaddrs *ifs, *ifa;
	const char *last_if = NULL;
	unsigned rank = 0;
	int err = 0;

	if (ag->o.policy == TERN_ICE_POLICY_RELAY)
		return 0;
	if (getifaddrs(&ifs))
		return errno;
	for (ifa = ifs; ifa && ag->n_socks < ICE_SOCKS_MAX;
	     ifa = ifa->ifa_next) {
		struct sa a;
		if (!ifa->ifa_addr || (ifa->ifa_addr->sa_family != AF_INET &&
				       ifa->ifa_addr->sa_family != AF_INET6))
			continue;
		if (sa_set_sockaddr(&a, ifa->ifa_addr,
				    ifa->ifa_addr->sa_family == AF_INET
					? sizeof(struct sockaddr_in)
					: sizeof(struct sockaddr_in6)))
			continue;
		if (skip_addr(ag, ifa, &a))
			continue;
		/* rank: interfaces in the order the kernel lists them */
		if (last_if && strcmp(last_if, ifa->ifa_name))
			rank++;
		last_if = ifa->ifa_name;
		err = open_sock(ag, &a, rank);
		if (err) {
			char b[SA_STRLEN];
			ice_log(ag, "no socket on %s: %s",
				sa_print(&a, b, sizeof(b)), strerror(err));
		}
	}
	freeifaddrs(ifs);
	for (size_t i = 0; i < ag->n_socks; i++) {
		struct ice_sock *s = &ag->socks[i];
		if (ice_add_local(ag, ICE_HOST, &s->addr, &s->addr, NULL,
				  (int)i, -1, s->if_rank, ICE_RELAY_UDP,
				  NULL) == 0)
			s->host = (int)ag->cl.n_local - 1;
		if (ag->dead)
			return 0;
	}
	if (ag->n_socks == 0) {
		ice_log(ag, "no usable host address%s",
			ag->o.loopback ? "" : " (loopback not asked for)");
		return err ? err : EADDRNOTAVAIL;
	}
	return 0;
}

/* ---- server-reflexive candidates ---- */

static int server_addr(const struct ice_server *srv, int family, struct sa *out)
{
	if (sa_set_str(out, srv->host, srv->port) == 0)
		return sa_family(out) == family ? 0 : EAFNOSUPPORT;
	/* names: resolved like tern_client_alloc does */
	{
		struct addrinfo hints = { .ai_family = family,
					  .ai_socktype = SOCK_DGRAM },
				*res;
		char port[8];
		snprintf(port, sizeof(port), "%u", srv->port);
		if (getaddrinfo(srv->host, port, &hints, &res))
			return ENOENT;
		sa_set_sockaddr(out, res->ai_addr, res->ai_addrlen);
		freeaddrinfo(res);
	}
	return 0;
}

static void gtx_send(struct tern_ice *ag, struct ice_gtx *g)
{
	uint8_t msg[64];
	struct stun_enc e;
	size_t len;

	stun_enc_init(&e, msg, sizeof(msg), STUN_METHOD_BINDING,
		      STUN_CLASS_REQUEST, g->tid);
	stun_enc_fingerprint(&e);
	if (!stun_enc_finish(&e, &len))
		sendto(ag->socks[g->sock].fd, msg, len, 0, &g->to.u.sa,
		       g->to.len);
}

static void on_allocated(void *arg, int err, const struct tern_alloc_info *in);
static void on_relay_recv(void *arg, const struct sockaddr *peer,
			  const uint8_t *data, size_t len);

static void start_relay(struct tern_ice *ag, const struct ice_server *srv)
{
	struct ice_relay *r = &ag->relays[ag->n_relays];
	struct tern_server ts = {
		.host_or_ip = srv->host,
		.port = srv->port,
		.tp = srv->tp,
		.family = AF_INET,
		.ca_file = ag->o.ca_file,
		.insecure = ag->o.insecure,
	};
	struct tern_creds cr = { .username = srv->user, .password = srv->pass };
	int err;

	memset(r, 0, sizeof(*r));
	r->ag = ag;
	r->srv = srv;
	r->local = -1;
	if (ag->o.no_ipv4)
		ts.family = AF_INET6;
	err = tern_client_alloc(&r->c, ag->base, &ts, NULL);
	if (!err)
		err = tern_allocate(&r->a, r->c, &cr, NULL, on_allocated,
				    on_relay_recv, r);
	ag->n_relays++;
	if (err) {
		ice_log(ag, "TURN %s:%u: %s", srv->host, srv->port,
			strerror(err));
		r->done = true;
	}
}

void ice_gather_servers(struct tern_ice *ag)
{
	for (size_t i = 0; i < ag->n_srv; i++) {
		const struct ice_server *srv = &ag->srv[i];
		if (srv->turn) {
			start_relay(ag, srv);
			continue;
		}
		if (ag->o.policy == TERN_ICE_POLICY_RELAY)
			continue;
		/* STUN: one Binding from each host socket of the family */
		for (size_t s = 0; s < ag->n_socks && ag->n_gtx < ICE_GTX_MAX;
		     s++) {
			struct ice_gtx *g = &ag->gtx[ag->n_gtx];
			int fam = sa_family(&ag->socks[s].addr);
			memset(g, 0, sizeof(*g));
			if (server_addr(srv, fam, &g->to) || trans_tid(g->tid))
				continue;
			g->sock = (int)s;
			g->srv = (int)i;
			g->sends = 1;
			g->rto = 250;
			g->due = ice_now(ag) + g->rto;
			ag->n_gtx++;
			gtx_send(ag, g);
		}
	}
}

bool ice_gather_response(struct tern_ice *ag, int sock, const uint8_t *buf,
			 size_t len)
{
	struct stun_msg m;
	const struct stun_attr *xa;
	struct ice_gtx *g = NULL;
	struct sa mapped;

	if (stun_msg_decode(&m, buf, len, 0) || m.cls == STUN_CLASS_REQUEST)
		return false;
	for (size_t i = 0; i < ag->n_gtx; i++)
		if (!memcmp(ag->gtx[i].tid, m.tid, ICE_TID_SIZE) &&
		    ag->gtx[i].sock == sock)
			g = &ag->gtx[i];
	if (!g)
		return false;
	if (g->done)
		return true;
	g->done = true;
	xa = stun_msg_attr(&m, STUN_ATTR_XOR_MAPPED_ADDRESS);
	if (m.cls == STUN_CLASS_SUCCESS && xa &&
	    !stun_attr_xaddr(xa, &m, &mapped)) {
		struct ice_sock *s = &ag->socks[sock];
		char b[SA_STRLEN];
		sa_unmap(&mapped);
		ice_log(ag, "STUN %s: mapped %s", ag->srv[g->srv].host,
			sa_print(&mapped, b, sizeof(b)));
		ice_add_local(ag, ICE_SRFLX, &mapped, &s->addr, &s->addr, sock,
			      -1, s->if_rank, ICE_RELAY_UDP, &g->to);
	} else
		ice_log(ag, "STUN %s: no mapped address", ag->srv[g->srv].host);
	if (!ag->dead)
		ice_gather_step(ag);
	return true;
}

uint64_t ice_gather_tick(struct tern_ice *ag, uint64_t now)
{
	uint64_t next = 0;

	for (size_t i = 0; i < ag->n_gtx; i++) {
		struct ice_gtx *g = &ag->gtx[i];
		if (g->done)
			continue;
		if (now >= g->due) {
			if (g->sends >= 7 ||
			    now - ag->gather_start >= ag->o.gather_timeout_ms) {
				g->done = true;
				ice_log(ag, "STUN %s: no answer",
					ag->srv[g->srv].host);
				ice_gather_step(ag);
				if (ag->dead)
					return 0;
				continue;
			}
			g->sends++;
			g->rto *= 2;
			g->due = now + g->rto;
			gtx_send(ag, g);
		}
		if (!next || g->due < next)
			next = g->due;
	}
	for (size_t i = 0; i < ag->n_relays; i++)
		if (!ag->relays[i].done) {
			uint64_t end =
			    ag->gather_start + ag->o.gather_timeout_ms * 2;
			if (now >= end) {
				ag->relays[i].done = true;
				ice_log(ag, "TURN %s: no allocation in time",
					ag->relays[i].srv->host);
				ice_gather_step(ag);
				if (ag->dead)
					return 0;
			} else if (!next || end < next)
				next = end;
		}
	return next;
}

/* Gathering is done when every server answered or gave up. */
void ice_gather_step(struct tern_ice *ag)
{
	char line[ICE_LINE_MAX];

	if (ag->gathered || !ag->gathering)
		return;
	for (size_t i = 0; i < ag->n_gtx; i++)
		if (!ag->gtx[i].done)
			return;
	for (size_t i = 0; i < ag->n_relays; i++)
		if (!ag->relays[i].done)
			return;
	ag->gathered = true;
	ag->gathering = false;
	if (!ag->o.trickle && ag->o.on_candidate)
		for (size_t i = 0; i < ag->cl.n_local && !ag->dead; i++)
			if (!ice_cand_format(&ag->cl.local[i].cand, line,
					     sizeof(line)))
				ag->o.on_candidate(ag->o.arg, line);
	if (!ag->dead && ag->o.on_gathered)
		ag->o.on_gathered(ag->o.arg);
}

/* ---- relayed candidates ---- */

static void on_allocated(void *arg, int err, const struct tern_alloc_info *in)
{
	struct ice_relay *r = arg;
	struct tern_ice *ag = r->ag;
	static const enum ice_relay_proto proto[] = { ICE_RELAY_UDP,
						      ICE_RELAY_TCP,
						      ICE_RELAY_TLS };

	ice_hold(ag);
	if (err) {
		ice_log(ag, "TURN %s:%u: %s%s%s", r->srv->host, r->srv->port,
			strerror(err), in->reason[0] ? ": " : "", in->reason);
		if (r->local >= 0)
			/* a failed refresh: the relayed candidate is dead */
			ag->lx[r->local].relay = -1;
	} else if (r->local < 0) {
		struct sa rel, map, srv;
		char b[SA_STRLEN];
		sa_set_sockaddr(&rel, (const struct sockaddr *)&in->relayed,
				sizeof(in->relayed));
		sa_set_sockaddr(&map, (const struct sockaddr *)&in->mapped,
				sizeof(in->mapped));
		sa_init(&srv);
		{
			struct sockaddr_storage ss;
			if (!tern_client_server_addr(r->c, &ss))
				sa_set_sockaddr(&srv, (struct sockaddr *)&ss,
						sizeof(ss));
		}
		ice_log(ag, "TURN %s:%u: relayed %s", r->srv->host,
			r->srv->port, sa_print(&rel, b, sizeof(b)));
		if (ice_add_local(ag, ICE_RELAY, &rel, &rel, &map, -1,
				  (int)(r - ag->relays), 0, proto[r->srv->tp],
				  &srv) == 0)
			r->local = (int)ag->cl.n_local - 1;
	}
	if (!r->done && !ag->dead) {
		r->done = true;
		ice_gather_step(ag);
	}
	if (!ice_release(ag))
		ice_run(ag);
}

static void on_relay_recv(void *arg, const struct sockaddr *peer,
			  const uint8_t *data, size_t len)
{
	struct ice_relay *r = arg;
	struct tern_ice *ag = r->ag;
	struct sa src;

	if (r->local < 0 || sa_set_sockaddr(&src, peer,
					    peer->sa_family == AF_INET
						? sizeof(struct sockaddr_in)
						: sizeof(struct sockaddr_in6)))
		return;
	ice_hold(ag);
	ice_input(ag, (size_t)r->local, &src, data, len);
	if (!ice_release(ag))
		ice_run(ag);
}

static void on_perm(void *arg, int err, uint16_t code, const char *reason)
{
	struct ice_relay *r = arg;
	struct tern_ice *ag = r->ag;

	if (err) {
		ice_log(ag, "TURN %s: permission or channel refused: %u %s",
			r->srv->host, code, reason);
		return;
	}
	/* The first check from the relay left with the CreatePermission and
	 * was likely dropped by the server: send it again now rather than
	 * after its RTO. */
	for (size_t i = 0; i < ag->cl.n_pairs; i++) {
		struct ice_pair *p = &ag->cl.pairs[i];
		if (p->local == r->local && p->state == ICE_PAIR_IN_PROGRESS &&
		    p->sends == 1)
			p->due_ms = ice_now(ag);
	}
	ice_run(ag);
}

void ice_relay_permit(struct tern_ice *ag, size_t li, size_t ri, bool chan)
{
	struct ice_relay *r;
	const struct sa *peer = &ag->cl.remote[ri].addr;

	if (ag->lx[li].relay < 0 || ri >= ICE_REMOTE_MAX)
		return;
	r = &ag->relays[ag->lx[li].relay];
	if (!r->a)
		return;
	if (!r->permitted[ri] &&
	    tern_alloc_permit(r->a, &peer->u.sa, on_perm, r) == 0)
		r->permitted[ri] = true;
	if (chan && !r->bound[ri] &&
	    tern_alloc_bind(r->a, &peer->u.sa, on_perm, r) == 0)
		r->bound[ri] = true;
}

void ice_gather_close(struct tern_ice *ag)
{
	for (size_t i = 0; i < ag->n_socks; i++) {
		struct ice_sock *s = &ag->socks[i];
		if (s->ev)
			event_free(s->ev);
		if (s->fd >= 0)
			close(s->fd);
		s->ev = NULL;
		s->fd = -1;
	}
	for (size_t i = 0; i < ag->n_relays; i++) {
		struct ice_relay *r = &ag->relays[i];
		tern_alloc_release(r->a);
		tern_client_free(r->c);
		r->a = NULL;
		r->c = NULL;
		r->done = true;
	}
}
