/* areq.c — TURN requests with long-term credentials: encode, learn REALM
 * and NONCE from 401, retry once; new NONCE from 438, retry once
 * (RFC 8489 §9.2.5, RFC 8656 §7-§11). */
#include "client/priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* USERNAME, REALM, NONCE, PASSWORD-ALGORITHM(S) once a 401 told us the
 * realm and nonce; MESSAGE-INTEGRITY(-SHA256) and FINGERPRINT go last. */
static void areq_auth(struct tern_alloc *a, struct stun_enc *e)
{
	if (a->key.len == 0)
		return;
	stun_enc_text(e, STUN_ATTR_USERNAME, a->user, strlen(a->user));
	stun_enc_text(e, STUN_ATTR_REALM, a->realm, strlen(a->realm));
	stun_enc_text(e, STUN_ATTR_NONCE, a->nonce, a->nonce_len);
	/* §9.2.4: echo PASSWORD-ALGORITHMS as offered, name the one used. */
	if (a->pwalgs_len) {
		stun_enc_attr(e, STUN_ATTR_PASSWORD_ALGORITHMS, a->pwalgs_wire,
			      a->pwalgs_len);
		stun_enc_pwalg(e, a->key.alg);
	}
}

static void areq_tail(struct tern_alloc *a, struct stun_enc *e)
{
	const struct tern_client_opts *o = &a->c->opts;

	if (o->software)
		stun_enc_text(e, STUN_ATTR_SOFTWARE, o->software,
			      strlen(o->software));
	areq_auth(a, e);
	if (a->key.len && a->key.alg == AUTH_ALG_SHA256)
		stun_enc_mi256(e, a->key.k, a->key.len);
	else if (a->key.len)
		stun_enc_mi(e, a->key.k, a->key.len);
	if (!o->no_fingerprint)
		stun_enc_fingerprint(e);
}

static void areq_body(struct tern_alloc *a, const struct areq *q,
		      struct stun_enc *e)
{
	const struct tern_peer_item *it;

	switch (q->kind) {
	case AREQ_ALLOCATE:
		stun_enc_transport(e, 17);
		if (a->opts.family == AF_INET6)
			stun_enc_family(e, STUN_ATTR_REQUESTED_ADDRESS_FAMILY,
					AF_INET6);
		if (a->opts.lifetime)
			stun_enc_u32(e, STUN_ATTR_LIFETIME, a->opts.lifetime);
		if (a->opts.dont_fragment)
			stun_enc_attr(e, STUN_ATTR_DONT_FRAGMENT, NULL, 0);
		break;
	case AREQ_REFRESH:
		if (a->opts.lifetime)
			stun_enc_u32(e, STUN_ATTR_LIFETIME, a->opts.lifetime);
		break;
	case AREQ_PERM:
		it = &a->perms[q->idx];
		stun_enc_xaddr(e, STUN_ATTR_XOR_PEER_ADDRESS, &it->addr);
		break;
	case AREQ_CHAN:
		it = &a->chans[q->idx];
		stun_enc_channel(e, it->chan);
		stun_enc_xaddr(e, STUN_ATTR_XOR_PEER_ADDRESS, &it->addr);
		break;
	}
}

static const uint16_t areq_method[] = {
	[AREQ_ALLOCATE] = STUN_METHOD_ALLOCATE,
	[AREQ_REFRESH] = STUN_METHOD_REFRESH,
	[AREQ_PERM] = STUN_METHOD_CREATE_PERMISSION,
	[AREQ_CHAN] = STUN_METHOD_CHANNEL_BIND,
};

static void areq_done(void *arg, const struct trans_result *r);

int areq_send(struct areq *q)
{
	struct tern_alloc *a = q->a;
	uint8_t buf[TERN_REQ_MAX], tid[STUN_TID_SIZE];
	struct stun_enc e;
	size_t len;
	int err;

	err = trans_tid(tid);
	if (err)
		return err;
	stun_enc_init(&e, buf, sizeof(buf), areq_method[q->kind],
		      STUN_CLASS_REQUEST, tid);
	areq_body(a, q, &e);
	areq_tail(a, &e);
	err = stun_enc_finish(&e, &len);
	if (err)
		return err;
	return trans_start(a->c, buf, len, tid, a->key.len ? &a->key : NULL, a,
			   areq_done, q);
}

int areq_start(struct tern_alloc *a, enum areq_kind kind, unsigned idx)
{
	struct areq *q = calloc(1, sizeof(*q));
	int err;

	if (!q)
		return ENOMEM;
	q->a = a;
	q->kind = kind;
	q->idx = idx;
	err = areq_send(q);
	if (err)
		free(q);
	return err;
}

int areq_release_msg(struct tern_alloc *a, uint8_t *buf, size_t cap,
		     size_t *len)
{
	uint8_t tid[STUN_TID_SIZE];
	struct stun_enc e;
	int err;

	err = trans_tid(tid);
	if (err)
		return err;
	stun_enc_init(&e, buf, cap, STUN_METHOD_REFRESH, STUN_CLASS_REQUEST,
		      tid);
	stun_enc_u32(&e, STUN_ATTR_LIFETIME, 0);
	areq_tail(a, &e);
	return stun_enc_finish(&e, len);
}

/* Pick the password algorithm: MD5 unless the caller prefers SHA-256 and
 * the server offers it (RFC 8489 §9.2.4), and derive the key. */
static int areq_derive(struct tern_alloc *a, const struct stun_msg *m)
{
	const struct stun_attr *at;
	uint16_t algs[8], alg = AUTH_ALG_MD5;
	size_t n = 0, i;

	a->pwalgs_len = 0;
	at = stun_msg_attr(m, STUN_ATTR_PASSWORD_ALGORITHMS);
	if (at && at->len <= sizeof(a->pwalgs_wire) &&
	    stun_attr_pwalgs(at, algs, 8, &n) == 0) {
		memcpy(a->pwalgs_wire, at->val, at->len);
		a->pwalgs_len = at->len;
		for (i = 0; i < n && a->opts.prefer_sha256; i++) {
			if (algs[i] == AUTH_ALG_SHA256)
				alg = AUTH_ALG_SHA256;
		}
	}
	return auth_key_derive(&a->key, alg, a->user, strlen(a->user), a->realm,
			       strlen(a->realm), (const uint8_t *)a->pass,
			       strlen(a->pass));
}

/* Keep REALM (401 only) and NONCE of an error response. Returns 0,
 * EACCES (missing, or another realm than the caller insisted on). */
static int areq_learn(struct tern_alloc *a, const struct stun_msg *m,
		      bool realm_too)
{
	const struct stun_attr *ra = stun_msg_attr(m, STUN_ATTR_REALM);
	const struct stun_attr *na = stun_msg_attr(m, STUN_ATTR_NONCE);
	const char *rs, *ns;
	size_t rn, nn;

	if (!na || stun_attr_text(na, &ns, &nn) != 0 || nn == 0)
		return EACCES;
	if (realm_too) {
		if (!ra || stun_attr_text(ra, &rs, &rn) != 0)
			return EACCES;
		if (a->want_realm && (strlen(a->want_realm) != rn ||
				      memcmp(a->want_realm, rs, rn) != 0))
			return EACCES;
		snprintf(a->realm, sizeof(a->realm), "%.*s", (int)rn, rs);
	}
	memcpy(a->nonce, ns, nn);
	a->nonce_len = nn;
	if (realm_too || a->key.len == 0)
		return areq_derive(a, m) ? EACCES : 0;
	return 0;
}

/* 401: learn and retry once; 438: new nonce and retry once. Returns true
 * when the request went out again (q passed on). */
static bool areq_retry(struct areq *q, const struct trans_result *r)
{
	struct tern_alloc *a = q->a;

	if (r->err != EPROTO || !r->resp)
		return false;
	if (r->code == 401 && q->n401++ == 0) {
		if (areq_learn(a, r->resp, true) != 0)
			return false;
	} else if (r->code == 438 && q->n438++ == 0) {
		if (areq_learn(a, r->resp, false) != 0)
			return false;
	} else {
		return false;
	}
	return areq_send(q) == 0;
}

static void areq_done(void *arg, const struct trans_result *r)
{
	struct areq *q = arg;
	struct tern_alloc *a = q->a;
	struct trans_result fin = *r;
	enum areq_kind kind = q->kind;
	unsigned idx = q->idx;

	if (areq_retry(q, r))
		return;
	free(q);
	if (fin.err == EPROTO && (fin.code == 401 || fin.code == 438))
		fin.err = EACCES;
	if (kind == AREQ_ALLOCATE)
		alloc_allocated(a, &fin);
	else if (kind == AREQ_REFRESH)
		alloc_refreshed(a, &fin);
	else
		peer_done(a, kind, idx, &fin);
}
