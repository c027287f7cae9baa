/* peer.c — permissions (RFC 8656 §9), channels (§12), and the data path:
 * Send / Data indications (§10) and ChannelData (§12.4). */
#include "client/priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int peer_addr(struct sa *out, const struct sockaddr *peer)
{
	socklen_t len;

	if (!peer)
		return EINVAL;
	len = peer->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					  : sizeof(struct sockaddr_in);
	if (sa_set_sockaddr(out, peer, len) != 0)
		return EINVAL;
	sa_unmap(out);
	return 0;
}

/* The item of v[0..n) for addr: by IP address alone (permissions) or by
 * address and port (channels). */
static struct tern_peer_item *item_find(struct tern_peer_item *v, unsigned n,
					const struct sa *addr, bool with_port)
{
	for (unsigned i = 0; i < n; i++) {
		if (with_port ? sa_equal(&v[i].addr, addr)
			      : sa_equal_addr(&v[i].addr, addr))
			return &v[i];
	}
	return NULL;
}

static struct tern_peer_item *perm_find(struct tern_alloc *a,
					const struct sa *ip)
{
	return item_find(a->perms, a->nperms, ip, false);
}

static struct tern_peer_item *chan_find(struct tern_alloc *a,
					const struct sa *peer)
{
	return item_find(a->chans, a->nchans, peer, true);
}

/* Add or find the permission for peer's IP. */
static struct tern_peer_item *perm_get(struct tern_alloc *a,
				       const struct sa *peer)
{
	struct tern_peer_item *it = perm_find(a, peer);

	if (it || a->nperms == TERN_MAX_PERMS)
		return it;
	it = &a->perms[a->nperms++];
	memset(it, 0, sizeof(*it));
	it->addr = *peer; /* with its port: ternd refuses port 0 */
	it->quiet = true;
	return it;
}

int tern_alloc_permit(struct tern_alloc *a, const struct sockaddr *peer,
		      tern_done_cb cb, void *arg)
{
	struct tern_peer_item *it;
	struct sa p;
	int err;

	if (!a || a->failed)
		return EINVAL;
	err = peer_addr(&p, peer);
	if (err)
		return err;
	if (!sa_port(&p))
		return EINVAL; /* names no peer; servers may refuse it */
	it = perm_get(a, &p);
	if (!it)
		return ENOSPC;
	it->cb = cb;
	it->arg = arg;
	it->quiet = false;
	if (!it->inflight) {
		/* Asked again: send now, and report this outcome too. */
		it->ok = false;
		it->need = true;
	}
	alloc_schedule(a);
	return 0;
}

int tern_alloc_bind(struct tern_alloc *a, const struct sockaddr *peer,
		    tern_done_cb cb, void *arg)
{
	struct tern_peer_item *it;
	struct sa p;
	int err;

	if (!a || a->failed)
		return EINVAL;
	err = peer_addr(&p, peer);
	if (err)
		return err;
	it = chan_find(a, &p);
	if (!it) {
		if (a->nchans == TERN_MAX_CHANS)
			return ENOSPC;
		it = &a->chans[a->nchans];
		memset(it, 0, sizeof(*it));
		it->addr = p;
		it->chan = (uint16_t)(STUN_CHANNEL_MIN + a->nchans++);
		it->need = true;
	}
	it->cb = cb;
	it->arg = arg;
	alloc_schedule(a);
	return 0;
}

static uint64_t item_due(const struct tern_alloc *a,
			 const struct tern_peer_item *it)
{
	if (it->inflight)
		return UINT64_MAX;
	if (it->need)
		return 0;
	if (it->ok && !a->opts.no_refresh)
		return it->due;
	return UINT64_MAX;
}

uint64_t peer_next_due(const struct tern_alloc *a)
{
	uint64_t due = UINT64_MAX, d;
	unsigned i;

	for (i = 0; i < a->nperms; i++) {
		d = item_due(a, &a->perms[i]);
		due = d < due ? d : due;
	}
	for (i = 0; i < a->nchans; i++) {
		d = item_due(a, &a->chans[i]);
		due = d < due ? d : due;
	}
	return due;
}

/* Send what is due; a request that cannot start is tried again in 1 s. */
static void items_tick(struct tern_alloc *a, struct tern_peer_item *items,
		       unsigned n, enum areq_kind kind, uint64_t now)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		struct tern_peer_item *it = &items[i];

		if (item_due(a, it) > now)
			continue;
		if (areq_start(a, kind, i) != 0) {
			it->need = false;
			it->due = now + 1000;
			continue;
		}
		it->need = false;
		it->inflight = true;
	}
}

void peer_tick(struct tern_alloc *a, uint64_t now)
{
	items_tick(a, a->perms, a->nperms, AREQ_PERM, now);
	items_tick(a, a->chans, a->nchans, AREQ_CHAN, now);
}

/* §12: a ChannelBind installs a permission for the peer's IP too, but a
 * permission lasts 300 s and a channel 600 s; keep the permission in the
 * table so CreatePermission refreshes it (quietly) at 240 s. */
static void chan_permits(struct tern_alloc *a, const struct sa *peer)
{
	struct tern_peer_item *p = perm_get(a, peer);

	if (!p || p->inflight)
		return;
	p->ok = true;
	p->need = false;
	p->due = client_now_ms() + a->opts.perm_refresh_ms;
}

void peer_done(struct tern_alloc *a, enum areq_kind kind, unsigned idx,
	       const struct trans_result *r)
{
	struct tern_peer_item *it =
	    kind == AREQ_PERM ? &a->perms[idx] : &a->chans[idx];
	uint64_t every = kind == AREQ_PERM ? a->opts.perm_refresh_ms
					   : a->opts.chan_refresh_ms;
	tern_done_cb cb = it->cb;
	bool report = !it->quiet && cb && (!it->ok || r->err);

	it->inflight = false;
	it->ok = r->err == 0;
	it->due = client_now_ms() + every;
	if (kind == AREQ_CHAN && !r->err)
		chan_permits(a, &it->addr);
	alloc_schedule(a);
	if (report)
		cb(it->arg, r->err, r->code, r->reason ? r->reason : "");
}

/* ---- data ----------------------------------------------------------- */

static int send_chdata(struct tern_alloc *a, const struct tern_peer_item *ch,
		       const void *buf, size_t len)
{
	size_t pad = a->c->tp == TERN_UDP ? 0 : stun_chdata_stream_pad(len);

	stun_chdata_header(a->sbuf, ch->chan, (uint16_t)len);
	memcpy(a->sbuf + STUN_CHDATA_HDR, buf, len);
	memset(a->sbuf + STUN_CHDATA_HDR + len, 0, pad);
	a->st.tx_chdata++;
	return client_send(a->c, a->sbuf, STUN_CHDATA_HDR + len + pad);
}

static int send_indication(struct tern_alloc *a, const struct sa *peer,
			   const void *buf, size_t len)
{
	uint8_t tid[STUN_TID_SIZE];
	struct stun_enc e;
	size_t n;
	int err;

	err = trans_tid(tid);
	if (err)
		return err;
	stun_enc_init(&e, a->sbuf, sizeof(a->sbuf), STUN_METHOD_SEND,
		      STUN_CLASS_INDICATION, tid);
	stun_enc_xaddr(&e, STUN_ATTR_XOR_PEER_ADDRESS, peer);
	stun_enc_attr(&e, STUN_ATTR_DATA, buf, len);
	if (stun_enc_finish(&e, &n) != 0)
		return EMSGSIZE;
	a->st.tx_send_ind++;
	return client_send(a->c, a->sbuf, n);
}

int tern_alloc_send(struct tern_alloc *a, const struct sockaddr *peer,
		    const void *buf, size_t len)
{
	const struct tern_peer_item *ch;
	struct sa p;
	int err;

	if (!a || (!buf && len))
		return EINVAL;
	if (!a->allocated || a->c->failed)
		return ENOTCONN;
	if (len > STUN_MAX_MSG - STUN_HEADER_SIZE - 16)
		return EMSGSIZE;
	err = peer_addr(&p, peer);
	if (err)
		return err;
	ch = chan_find(a, &p);
	if (ch && ch->ok)
		err = send_chdata(a, ch, buf, len);
	else
		err = send_indication(a, &p, buf, len);
	if (err)
		return err;
	a->st.tx_msgs++;
	a->st.tx_bytes += len;
	return 0;
}

static void deliver(struct tern_alloc *a, const struct sa *peer,
		    const uint8_t *data, size_t len)
{
	a->st.rx_msgs++;
	a->st.rx_bytes += len;
	if (a->on_recv)
		a->on_recv(a->arg, &peer->u.sa, data, len);
}

void alloc_input_data(struct tern_alloc *a, const struct stun_msg *m)
{
	const struct stun_attr *pa =
	    stun_msg_attr(m, STUN_ATTR_XOR_PEER_ADDRESS);
	const struct stun_attr *da = stun_msg_attr(m, STUN_ATTR_DATA);
	struct sa peer;

	if (!a->allocated || !pa || !da || stun_attr_xaddr(pa, m, &peer) != 0) {
		a->st.rx_dropped++;
		return;
	}
	a->st.rx_data_ind++;
	deliver(a, &peer, da->val, da->len);
}

void alloc_input_chdata(struct tern_alloc *a, const uint8_t *buf, size_t len)
{
	const struct tern_peer_item *ch = NULL;
	const uint8_t *data;
	size_t dlen;
	uint16_t num;
	unsigned i;

	if (stun_chdata_decode(buf, len, &num, &data, &dlen) != 0) {
		a->st.rx_dropped++;
		return;
	}
	for (i = 0; i < a->nchans; i++) {
		if (a->chans[i].chan == num && a->chans[i].ok)
			ch = &a->chans[i];
	}
	if (!ch || !a->allocated) {
		a->st.rx_dropped++;
		return;
	}
	a->st.rx_chdata++;
	deliver(a, &ch->addr, data, dlen);
}
