/*
 * relay.c — the data path (RFC 8656 §11, §12): Send indications and
 * ChannelData from the client to a peer, a peer's datagrams back to the
 * client as Data indications or ChannelData, and the bandwidth limit.
 * Per packet: O(1) lookups in perm.c's tables, no allocation, no copy (a
 * peer's datagram is framed in its buffer's headroom, and the payload of
 * what a client sends leaves from its own buffer; TURN_BUF_KEPT says how
 * long that lives, server.h).
 */
#include "turn/priv.h"

#include <string.h>

#include "base/cursor.h"

/* Is there a live permission for the peer's IP (§9)? */
static bool permitted(const struct turn_server *s, const struct turn_alloc *a,
		      const struct taddr *peer, uint64_t now)
{
	struct taddr ip = *peer;
	struct turn_perm *p;

	ip.port = 0;
	p = turn_perm_find(s, a, &ip);
	return p && p->expires > now;
}

/* Token bucket: may `len` more bytes pass? */
static bool bw_take(struct turn_server *s, struct turn_alloc *a, size_t len)
{
	uint64_t rate = s->cfg->bandwidth_bps, burst, add;

	if (!rate)
		return true;
	burst = s->cfg->bandwidth_burst ? s->cfg->bandwidth_burst : rate;
	add = (s->now_ms - a->bw_last_ms) * rate / 1000u;
	a->bw_last_ms = s->now_ms;
	if (add > burst || a->bw_tokens + add > burst)
		a->bw_tokens =
		    (uint32_t)(burst > UINT32_MAX ? UINT32_MAX : burst);
	else
		a->bw_tokens += (uint32_t)add;
	if (a->bw_tokens < len) {
		s->st.drop_bandwidth++;
		s->st.drop_bandwidth_bytes += len;
		return false;
	}
	a->bw_tokens -= (uint32_t)len;
	return true;
}

/* Client to peer, after the checks common to Send and ChannelData. */
static enum turn_verdict to_peer(struct turn_server *s,
				 const struct turn_in *in, struct turn_alloc *a,
				 const struct taddr *peer, const uint8_t *data,
				 size_t len)
{
	struct turn_relay *r = turn_relay_for(a, peer->family);
	struct sa to;

	if (!r || !permitted(s, a, peer, s->now_ms)) {
		s->st.drop_no_perm++;
		return TURN_DROP_POLICY;
	}
	if (!bw_take(s, a, len))
		return TURN_DROP_POLICY;
	taddr_to_sa(&to, peer);
	/* data lies in in->buf: it is kept as long as that is */
	s->rout.relay_send(s->rout.arg, r->handle, &to, data, len,
			   in->flags & TURN_BUF_KEPT);
	s->st.to_peer_pkts++;
	s->st.to_peer_bytes += len;
	a->to_peer_pkts++;
	a->to_peer_bytes += len;
	return TURN_CONSUMED;
}

/* Send indication (§11.2): no answer, ever; what fails is dropped. */
enum turn_verdict turn_send_indication(struct turn_server *s,
				       const struct turn_in *in,
				       const struct stun_msg *msg)
{
	const struct stun_attr *pa =
	    stun_msg_attr(msg, STUN_ATTR_XOR_PEER_ADDRESS);
	const struct stun_attr *d = stun_msg_attr(msg, STUN_ATTR_DATA);
	struct turn_alloc *a = turn_alloc_find(s, in);
	struct sa peer, norm;
	struct taddr t;

	if (!a) {
		s->st.drop_no_alloc++;
		return TURN_DROP_UNEXPECTED;
	}
	/* port 0 names no peer: as bad as a missing address */
	if (!pa || !d || stun_attr_xaddr(pa, msg, &peer) || !sa_port(&peer))
		return TURN_DROP_MALFORMED;
	if (!turn_policy_allows(s->cfg, &peer, true, &norm)) {
		s->st.policy_dropped++;
		return TURN_DROP_POLICY;
	}
	taddr_from_sa(&t, &norm);
	return to_peer(s, in, a, &t, d->val, d->len);
}

/* ChannelData from the client (§12.5). */
enum turn_verdict turn_channel_data(struct turn_server *s,
				    const struct turn_in *in)
{
	const uint8_t *data;
	struct turn_alloc *a;
	struct turn_chan *c;
	size_t dlen;
	uint16_t ch;

	/* A number outside the configured range cannot be bound: the
	 * message is not TURN's (a stream client sending it is cut off). */
	if (stun_chdata_decode(in->buf, in->len, &ch, &data, &dlen) ||
	    !turn_channel_valid(s->cfg, ch))
		return TURN_DROP_MALFORMED;
	a = in->local ? turn_alloc_find(s, in) : NULL;
	if (!a) {
		s->st.drop_no_alloc++;
		return TURN_DROP_UNEXPECTED;
	}
	c = turn_chan_by_num(s, a, ch);
	if (!c || c->expires <= s->now_ms) {
		s->st.drop_no_chan++;
		return TURN_DROP_UNEXPECTED;
	}
	return to_peer(s, in, a, &c->peer, data, dlen);
}

/* Data indications carry a fresh transaction id each (RFC 8489 §6); it
 * protects nothing, so a counter started at a random value serves and
 * spares a CSPRNG call per packet. */
static void next_tid(struct turn_server *s, uint8_t tid[STUN_TID_SIZE])
{
	int i;

	for (i = STUN_TID_SIZE - 1; i >= 0 && ++s->ind_tid[i] == 0; i--)
		;
	memcpy(tid, s->ind_tid, STUN_TID_SIZE);
}

/* Frame a Data indication (§11.3) around buf in place; returns its start
 * and total length, or NULL when it would not fit a STUN message. */
static uint8_t *frame_data(struct turn_server *s, const struct sa *peer,
			   uint8_t *buf, size_t len, size_t *total)
{
	size_t xlen = sa_family(peer) == AF_INET6 ? 20 : 8;
	size_t hdr = STUN_HEADER_SIZE + 4 + xlen + 4;
	size_t pad = (4 - (len & 3)) & 3, elen;
	uint8_t tid[STUN_TID_SIZE], *start = buf - hdr;
	struct stun_enc e;

	if (hdr + len + pad > STUN_MAX_MSG)
		return NULL;
	next_tid(s, tid);
	stun_enc_init(&e, start, hdr - 4, STUN_METHOD_DATA,
		      STUN_CLASS_INDICATION, tid);
	stun_enc_xaddr(&e, STUN_ATTR_XOR_PEER_ADDRESS, peer);
	if (stun_enc_finish(&e, &elen) || elen != hdr - 4)
		return NULL;
	put_be16(buf - 4, STUN_ATTR_DATA);
	put_be16(buf - 2, (uint16_t)len);
	memset(buf + len, 0, pad);
	put_be16(start + 2, (uint16_t)(hdr + len + pad - STUN_HEADER_SIZE));
	*total = hdr + len + pad;
	return start;
}

enum turn_verdict turn_server_relay_input(struct turn_server *s, void *ctx,
					  const struct sa *peer, uint8_t *buf,
					  size_t len, unsigned flags,
					  uint64_t now_ms)
{
	struct turn_alloc *a = ctx;
	struct sa p = *peer, client, local;
	struct turn_chan *c;
	struct taddr t;
	uint8_t *start;
	size_t total, pad = 0;

	/* No turn_expire here: it could free a. An allocation past its
	 * expiry is refused below and freed by the next tick or input. */
	s->now_ms = now_ms;
	if (!a || a->state != TURN_ALLOC_LIVE || a->expires <= now_ms ||
	    len > 0xFFFFu)
		return TURN_DROP_POLICY;
	sa_unmap(&p);
	taddr_from_sa(&t, &p);
	if (!permitted(s, a, &t, now_ms)) {
		s->st.drop_no_perm++; /* §9: no permission, no relaying */
		return TURN_DROP_POLICY;
	}
	if (!bw_take(s, a, len))
		return TURN_DROP_POLICY;
	c = turn_chan_by_peer(s, a, &t);
	if (c && c->expires > now_ms) {
		/* §12.5: over TCP/TLS ChannelData is padded to 4 bytes. */
		if (a->tp == TURN_TP_TCP || a->tp == TURN_TP_TLS)
			pad = stun_chdata_stream_pad(len);
		start = buf - STUN_CHDATA_HDR;
		stun_chdata_header(start, c->num, (uint16_t)len);
		memset(buf + len, 0, pad);
		total = STUN_CHDATA_HDR + len + pad;
	} else {
		start = frame_data(s, &p, buf, len, &total);
		if (!start)
			return TURN_DROP_POLICY;
	}
	taddr_to_sa(&client, &a->client);
	taddr_to_sa(&local, &a->local);
	/* framed in place: start lies in buf, kept as long as buf is */
	s->rout.send_client(s->rout.arg, a->conn, &local, &client, start, total,
			    flags & TURN_BUF_KEPT);
	s->st.to_client_pkts++;
	s->st.to_client_bytes += len;
	a->to_client_pkts++;
	a->to_client_bytes += len;
	return TURN_CONSUMED;
}
