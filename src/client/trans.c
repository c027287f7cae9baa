/* trans.c — STUN client transactions (RFC 8489 §6.2, §6.3). */
#include "client/priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "base/rand.h"

uint64_t client_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int trans_tid(uint8_t tid[STUN_TID_SIZE])
{
	return rand_bytes(tid, STUN_TID_SIZE);
}

static void trans_unlink(struct tern_trans *t)
{
	struct tern_trans **pp;

	for (pp = &t->c->trans; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
}

static void trans_free(struct tern_trans *t, bool with_arg)
{
	if (!t)
		return;
	if (with_arg)
		free(t->arg);
	if (t->timer)
		event_free(t->timer);
	OPENSSL_cleanse(&t->key, sizeof(t->key));
	free(t);
}

/* Unlink and free t, then report r: the callback is the last thing that
 * touches anything, so it may free the client or the allocation. */
static void trans_end(struct tern_trans *t, struct trans_result *r)
{
	trans_fn fn = t->fn;
	void *arg = t->arg;

	r->sends = t->sends;
	if (t->last_ms)
		r->rtt_ms = (unsigned)(client_now_ms() - t->last_ms);
	trans_unlink(t);
	trans_free(t, false);
	fn(arg, r);
}

/*
 * RFC 8489 §6.2.1: on UDP the request is sent at 0, RTO, 3 RTO, 7 RTO, ...
 * (the wait doubles), Rc requests in all, and after the last one the
 * client waits Rm * RTO. On a stream it is sent once (§6.2.2) and the
 * transaction fails after the timeout (39.5 s by default). opts.timeout_ms
 * caps both.
 */
static unsigned trans_next_wait(const struct tern_trans *t)
{
	const struct tern_client_opts *o = &t->c->opts;
	uint64_t now = client_now_ms();
	uint64_t end = t->first_ms + o->timeout_ms;
	uint64_t wait;

	if (t->c->tp != TERN_UDP)
		wait = o->timeout_ms;
	else if (t->sends < o->rc)
		wait = (uint64_t)t->rto_ms << (t->sends - 1);
	else
		wait = (uint64_t)o->rm * t->rto_ms;
	if (now + wait > end)
		wait = end > now ? end - now : 0;
	return (unsigned)wait;
}

static bool trans_last_send(const struct tern_trans *t)
{
	const struct tern_client_opts *o = &t->c->opts;

	if (t->c->tp != TERN_UDP || t->sends >= o->rc)
		return true;
	return client_now_ms() >= t->first_ms + o->timeout_ms;
}

static void trans_arm(struct tern_trans *t)
{
	unsigned ms = trans_next_wait(t);
	struct timeval tv = { ms / 1000, (long)(ms % 1000) * 1000 };

	evtimer_add(t->timer, &tv);
}

static void trans_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct tern_trans *t = arg;
	struct tern_client *c = t->c;
	struct trans_result r = { .err = ETIMEDOUT,
				  .reason = "no response (timed out)" };
	int err;

	(void)fd;
	(void)what;
	client_hold(c);
	if (trans_last_send(t)) {
		trans_end(t, &r);
		goto out;
	}
	err = client_send(c, t->msg, t->len);
	t->sends++;
	t->last_ms = client_now_ms();
	if (err && err != EAGAIN && err != ENOBUFS) {
		r.err = err;
		r.reason = strerror(err);
		trans_end(t, &r);
		goto out;
	}
	trans_arm(t);
out:
	client_release(c);
}

int trans_start(struct tern_client *c, const uint8_t *msg, size_t len,
		const uint8_t tid[STUN_TID_SIZE], const struct auth_key *key,
		void *owner, trans_fn fn, void *arg)
{
	struct tern_trans *t;
	int err;

	if (len > sizeof(t->msg))
		return EMSGSIZE;
	if (c->failed)
		return c->fail_err ? c->fail_err : ENOTCONN;
	t = calloc(1, sizeof(*t));
	if (!t)
		return ENOMEM;
	t->c = c;
	t->timer = evtimer_new(c->base, trans_timeout, t);
	if (!t->timer) {
		err = ENOMEM;
		goto out;
	}
	memcpy(t->tid, tid, STUN_TID_SIZE);
	memcpy(t->msg, msg, len);
	t->len = len;
	t->method = stun_type_method((uint16_t)((msg[0] << 8) | msg[1]));
	if (key)
		t->key = *key;
	t->fn = fn;
	t->arg = arg;
	t->owner = owner;
	t->rto_ms = c->opts.rto_ms;
	t->first_ms = t->last_ms = client_now_ms();
	err = client_send(c, msg, len);
	/* UDP: a failed send is like a lost datagram, retransmission
	 * covers it; ICMP errors are reported by the read side. */
	if (err && c->tp != TERN_UDP)
		goto out;
	err = 0;
	t->sends = 1;
	t->next = c->trans;
	c->trans = t;
	trans_arm(t);
out:
	if (err)
		trans_free(t, false);
	return err;
}

/* RFC 8489 §9.2.5 (client side of long-term credentials): a response
 * carrying MESSAGE-INTEGRITY(-SHA256) that does not verify is discarded as
 * if never received; a success response to an authenticated request must
 * carry it. Error responses without one (401, 438) are accepted. */
static bool trans_integrity_ok(const struct tern_trans *t,
			       const struct stun_msg *m)
{
	const struct auth_key *k = &t->key;
	int err;

	if (k->len == 0)
		return true;
	if (m->mi256 >= 0)
		err = stun_msg_check_mi256(m, k->k, k->len);
	else
		err = stun_msg_check_mi(m, k->k, k->len);
	if (err == ENOENT)
		return m->cls == STUN_CLASS_ERROR;
	return err == 0;
}

static void trans_errcode(const struct stun_msg *m, struct trans_result *r,
			  char *buf, size_t size)
{
	const struct stun_attr *a = stun_msg_attr(m, STUN_ATTR_ERROR_CODE);
	const char *s = NULL;
	size_t n = 0;

	r->err = EPROTO;
	r->code = 0;
	if (!a || stun_attr_errcode(a, &r->code, &s, &n) != 0) {
		snprintf(buf, size,
			 "error response without a valid ERROR-CODE");
		r->reason = buf;
		return;
	}
	if (n == 0) {
		s = stun_reason(r->code);
		n = strlen(s);
	}
	snprintf(buf, size, "%.*s", (int)n, s);
	r->reason = buf;
}

void trans_response(struct tern_client *c, const struct stun_msg *m,
		    const struct sa *src)
{
	struct tern_trans *t;
	struct trans_result r = { .resp = m, .src = src, .reason = "" };
	char reason[256];

	for (t = c->trans; t; t = t->next) {
		if (memcmp(t->tid, m->tid, STUN_TID_SIZE) == 0)
			break;
	}
	if (!t || t->method != m->method || m->rfc3489)
		return;
	if (!trans_integrity_ok(t, m))
		return;
	if (m->cls == STUN_CLASS_ERROR)
		trans_errcode(m, &r, reason, sizeof(reason));
	trans_end(t, &r);
}

void trans_cancel(struct tern_client *c, void *owner)
{
	struct tern_trans **pp = &c->trans;
	struct tern_trans *t;

	while ((t = *pp) != NULL) {
		if (owner && t->owner != owner) {
			pp = &t->next;
			continue;
		}
		*pp = t->next;
		trans_free(t, true);
	}
}

void trans_fail_all(struct tern_client *c, int err, const char *reason)
{
	struct trans_result r = { .err = err, .reason = reason };

	while (c->trans && !c->dead)
		trans_end(c->trans, &r);
}
