/*
 * stun.c — checks 2 (UDP) and 3 through libtern: a Binding answered,
 * and the mapped address; plus the event-loop helpers turn.c shares.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include <event2/event.h>
#include <tern/tern.h>

#include "tools/probe/probe.h"
#include "tools/probe/session.h"

int probe_loop(struct event_base *base, const bool *done, double timeout)
{
	const struct timeval slice = { 0, 20000 };
	double end = probe_now() + timeout;

	/* Short slices so a flag set by a callback ends the wait promptly;
	 * the deadline bounds it however the server behaves. */
	while (!*done && probe_now() < end) {
		event_base_loopexit(base, &slice);
		if (event_base_dispatch(base) < 0)
			return EIO;
	}
	return *done ? 0 : ETIMEDOUT;
}

int probe_client(struct probe_session *s, const struct probe_opts *o,
		 const struct probe_uri *u, const struct sa *server)
{
	static const enum tern_transport tp[] = { TERN_UDP, TERN_TCP,
						  TERN_TLS };
	struct tern_server srv = { 0 };
	struct tern_client_opts co = { 0 };
	char ip[SA_STRLEN];

	sa_print_addr(server, ip, sizeof(ip));
	srv.host_or_ip = ip;
	srv.port = u->port;
	srv.tp = tp[u->transport];
	/* The name from the URI, so SNI is what a browser would send; the
	 * verdict on the certificate is check 8's, so a bad certificate
	 * does not hide what the TURN checks would find. */
	srv.sni = u->ipv6_literal ? NULL : u->host;
	srv.ca_file = o->ca;
	srv.insecure = true;
	srv.alpn = "stun.turn";
	co.timeout_ms = (unsigned)(o->timeout * 1000);
	co.connect_timeout_ms = co.timeout_ms;
	co.rto_ms = 250;
	co.software = "turn-probe";
	return tern_client_alloc(&s->c, s->base, &srv, &co);
}

struct bind_wait {
	bool done;
	int err;
	uint16_t code;
	char reason[128], software[128];
	struct sockaddr_storage mapped;
	bool xor_mapped;
	unsigned rtt_ms, sends;
};

static void on_binding(void *arg, int err, const struct tern_binding_result *r)
{
	struct bind_wait *w = arg;

	w->done = true;
	w->err = err;
	w->code = r->code;
	snprintf(w->reason, sizeof(w->reason), "%s", r->reason);
	snprintf(w->software, sizeof(w->software), "%s",
		 r->software ? r->software : "");
	w->mapped = r->mapped;
	w->xor_mapped = r->xor_mapped;
	w->rtt_ms = r->rtt_ms;
	w->sends = r->sends;
}

/* The failure of the Binding, as check 2 (UDP) or 3. */
static void binding_failed(const struct probe_uri *u, const struct bind_wait *w,
			   const char *srv, struct probe_result *r)
{
	if (w->err == EPROTO) {
		probe_add(r, "binding", PROBE_FAIL,
			  "a STUN server answers Binding without credentials "
			  "(RFC 8489 §10)",
			  "Binding refused: %u %s", w->code, w->reason);
	} else if (u->transport != PROBE_UDP) {
		probe_add(r, "binding", PROBE_FAIL,
			  "the port accepts connections but does not speak "
			  "STUN: is it the right port?",
			  "no Binding answer from %s: %s", srv,
			  strerror(w->err ? w->err : ETIMEDOUT));
	} else if (w->err == ECONNREFUSED) {
		probe_add(r, "reach", PROBE_FAIL,
			  "is the UDP listener enabled on this port?",
			  "port unreachable: nothing listens on UDP port %u",
			  u->port);
	} else {
		probe_add(r, "reach", PROBE_FAIL, NULL,
			  "no answer to a Binding over UDP from %s (%s)", srv,
			  strerror(w->err ? w->err : ETIMEDOUT));
		probe_hint(&r->checks[r->nchecks - 1],
			   "is the UDP listener enabled on port %u, and does a "
			   "firewall let UDP %u through both ways?",
			   u->port, u->port);
	}
}

int probe_binding(struct probe_session *s, const struct probe_opts *o,
		  const struct probe_uri *u, const struct sa *server,
		  struct probe_result *r)
{
	struct bind_wait w = { 0 };
	char srv[SA_STRLEN];
	int err = tern_binding(s->c, 0, on_binding, &w);

	sa_print(server, srv, sizeof(srv));
	if (!err)
		err = probe_loop(s->base, &w.done, o->timeout + 1);
	if (err && !w.done)
		w.err = err;
	if (w.err) {
		binding_failed(u, &w, srv, r);
		return w.err;
	}
	if (u->transport == PROBE_UDP)
		probe_add(r, "reach", PROBE_OK, NULL,
			  "UDP Binding answered by %s in %u ms (%u request%s)",
			  srv, w.rtt_ms, w.sends, w.sends == 1 ? "" : "s");
	tern_addr_print((struct sockaddr *)&w.mapped, r->mapped,
			sizeof(r->mapped));
	probe_add(r, "binding", PROBE_OK, NULL, "mapped address %s (%s)%s%s",
		  r->mapped,
		  w.xor_mapped ? "XOR-MAPPED-ADDRESS" : "MAPPED-ADDRESS only",
		  w.software[0] ? "; server software: " : "", w.software);
	return 0;
}

void probe_stun(const struct probe_opts *o, const struct probe_target *t,
		const struct sa *server, struct probe_result *r)
{
	struct probe_session s = { 0 };
	int err;

	s.base = event_base_new();
	err = s.base ? probe_client(&s, o, &t->uri, server) : ENOMEM;
	if (err)
		probe_add(r, "binding", PROBE_FAIL, NULL,
			  "cannot start a STUN client: %s", strerror(err));
	else
		probe_binding(&s, o, &t->uri, server, r);
	tern_client_free(s.c);
	if (s.base)
		event_base_free(s.base);
}
