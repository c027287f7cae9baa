/*
 * binding.c — the Binding method: RFC 8489 §6.3, the RFC 5780 NAT behaviour
 * discovery attributes, and classic RFC 3489 clients (RFC 8489 §12.2).
 */
#include "turn/priv.h"

/*
 * RFC 5780 §7.6 asks for PADDING of about the MTU in the response. A small
 * request would then buy a response fifty times its size, so we echo the
 * request's own PADDING length instead (never larger than what the client
 * sent), capped to keep the response within one 1500-byte packet.
 */
#define PADDING_MAX 1280u

/* Where and how the response goes, worked out from the request. */
struct binding_plan {
	unsigned via;	/* index into in->local->addr */
	struct sa to;	/* destination */
	size_t padding; /* PADDING bytes to add */
};

/* RFC 5780 §6.1: CHANGE-REQUEST picks the sibling socket. Returns 0, or the
 * error code to answer. */
static uint16_t plan_change(const struct turn_in *in,
			    const struct stun_msg *req, struct binding_plan *p)
{
	const struct stun_attr *a =
	    stun_msg_attr(req, STUN_ATTR_CHANGE_REQUEST);
	uint32_t flags;

	if (!a)
		return 0;
	if (stun_attr_change_request(a, &flags))
		return 400;
	flags &= STUN_CHANGE_IP | STUN_CHANGE_PORT;
	/* No flag set asks for nothing to change. Classic (RFC 3489) clients
	 * send exactly that in their first test, so answering it needs no
	 * alternate address; only a real change does (RFC 5780 §6.1: 420). */
	if (!flags)
		return 0;
	if (!in->local->has_alt)
		return 420; /* "does not have an alternate address" */
	/* A connection cannot change its source: only UDP can. */
	if (in->tp != TURN_TP_UDP)
		return 400;
	if (flags & STUN_CHANGE_IP)
		p->via ^= TURN_LOCAL_ALT_ADDR;
	if (flags & STUN_CHANGE_PORT)
		p->via ^= TURN_LOCAL_ALT_PORT;
	return 0;
}

/* RFC 5780 §7.5, §7.6: RESPONSE-PORT redirects a UDP answer to another port
 * of the same address; PADDING together with it is a 400. */
static uint16_t plan_port_padding(const struct turn_in *in,
				  const struct stun_msg *req,
				  struct binding_plan *p)
{
	const struct stun_attr *rp =
	    stun_msg_attr(req, STUN_ATTR_RESPONSE_PORT);
	const struct stun_attr *pad = stun_msg_attr(req, STUN_ATTR_PADDING);
	uint16_t port;

	if (pad) {
		if (rp)
			return 400;
		p->padding = pad->len < PADDING_MAX ? pad->len : PADDING_MAX;
	}
	if (!rp || in->tp != TURN_TP_UDP)
		return 0;
	if (stun_attr_response_port(rp, &port) || port == 0)
		return 400;
	sa_set_port(&p->to, port);
	return 0;
}

/*
 * What a Binding answer carries is bounded because nothing authenticates
 * it: a spoofed request makes us send the answer to a victim (issue 16,
 * finding 8, docs/SECURITY.md "Second review"). So no SOFTWARE, and only
 * what some client needs:
 *  - XOR-MAPPED-ADDRESS (RFC 8489 §14.2) always;
 *  - with an alternate address, RESPONSE-ORIGIN and OTHER-ADDRESS (RFC
 *    5780 §6.1): turnutils_natdiscovery's first, plain, request learns the
 *    alternate address from OTHER-ADDRESS;
 *  - MAPPED-ADDRESS only when the request carries CHANGE-REQUEST (an RFC
 *    5780 client comparing the two to detect an ALG); a plain request
 *    gets nothing twice.
 * The largest factor is then a 20-byte IPv6 request with an alternate
 * address: 92 bytes, 4.6x.
 */
static void add_addresses(const struct turn_server *s, struct stun_enc *e,
			  const struct turn_in *in, const struct stun_msg *req,
			  unsigned via)
{
	const struct turn_local *l = in->local;
	struct sa origin = l->addr[via], other = l->addr[l->self ^ 3u];

	/* behind 1:1 NAT, the addresses the client can reach */
	turn_advertised(s->cfg, &origin);
	turn_advertised(s->cfg, &other);
	if (req->rfc3489) {
		/* RFC 3489 §11.2: MAPPED-ADDRESS, SOURCE-ADDRESS and, when a
		 * second address exists, CHANGED-ADDRESS. No XOR-MAPPED:
		 * without the cookie there is nothing to XOR with. */
		stun_enc_addr(e, STUN_ATTR_MAPPED_ADDRESS, &in->from);
		stun_enc_addr(e, STUN_ATTR_SOURCE_ADDRESS, &origin);
		if (l->has_alt)
			stun_enc_addr(e, STUN_ATTR_CHANGED_ADDRESS, &other);
		return;
	}
	stun_enc_xaddr(e, STUN_ATTR_XOR_MAPPED_ADDRESS, &in->from);
	if (stun_msg_attr(req, STUN_ATTR_CHANGE_REQUEST))
		stun_enc_addr(e, STUN_ATTR_MAPPED_ADDRESS, &in->from);
	if (l->has_alt) {
		stun_enc_addr(e, STUN_ATTR_RESPONSE_ORIGIN, &origin);
		stun_enc_addr(e, STUN_ATTR_OTHER_ADDRESS, &other);
	}
}

enum turn_verdict turn_binding_request(struct turn_server *s,
				       const struct turn_in *in,
				       const struct stun_msg *req)
{
	static const uint16_t change_req = STUN_ATTR_CHANGE_REQUEST;
	static const uint8_t zeros[PADDING_MAX];
	struct binding_plan p = { .via = in->local->self, .to = in->from };
	struct stun_enc e;
	uint16_t code;
	size_t len;

	code = plan_change(in, req, &p);
	if (code == 420)
		return turn_reply_error(s, in, req, 420, NULL, &change_req, 1);
	if (!code)
		code = plan_port_padding(in, req, &p);
	if (code)
		return turn_reply_error(s, in, req, code, NULL, NULL, 0);

	stun_enc_reply(&e, s->tx, sizeof(s->tx), req, STUN_CLASS_SUCCESS);
	add_addresses(s, &e, in, req, p.via);
	if (p.padding)
		stun_enc_attr(&e, STUN_ATTR_PADDING, zeros, p.padding);
	if (req->fp >= 0)
		stun_enc_fingerprint(&e);
	if (stun_enc_finish(&e, &len))
		return turn_reply_error(s, in, req, 500, NULL, NULL, 0);
	s->st.binding++;
	if (req->rfc3489)
		s->st.binding_rfc3489++;
	turn_send(s, in, p.via, &p.to, len);
	return TURN_ANSWERED;
}
