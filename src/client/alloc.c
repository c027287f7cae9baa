/* alloc.c — a TURN allocation (RFC 8656 §7): Allocate, automatic
 * Refresh, release, and the one timer that drives every refresh. */
#include "client/priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

static char *alloc_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void alloc_free_creds(struct tern_alloc *a)
{
	if (a->pass) {
		OPENSSL_cleanse(a->pass, strlen(a->pass));
		free(a->pass);
	}
	free(a->user);
	free(a->want_realm);
	OPENSSL_cleanse(&a->key, sizeof(a->key));
}

void tern_alloc_free(struct tern_alloc *a)
{
	if (!a)
		return;
	trans_cancel(a->c, a);
	if (a->timer)
		event_free(a->timer);
	if (a->c->alloc == a)
		a->c->alloc = NULL;
	alloc_free_creds(a);
	free(a);
}

void tern_alloc_release(struct tern_alloc *a)
{
	size_t len;

	if (!a)
		return;
	/* RFC 8656 §7.2: a Refresh with LIFETIME 0 deletes the allocation.
	 * Sent once; the answer does not matter to a client going away. */
	if (a->allocated && !a->c->failed &&
	    areq_release_msg(a, a->sbuf, sizeof(a->sbuf), &len) == 0)
		(void)client_send(a->c, a->sbuf, len);
	tern_alloc_free(a);
}

/* RFC 8656 §7.3 leaves the timing to the client; like Chromium, refresh
 * a minute before expiry, and at half time for lifetimes under 2 min. */
static uint64_t alloc_refresh_in_ms(uint32_t lifetime)
{
	if (lifetime >= 120)
		return (uint64_t)(lifetime - 60) * 1000u;
	return (uint64_t)lifetime * 500u;
}

void alloc_schedule(struct tern_alloc *a)
{
	uint64_t now = client_now_ms(), due = peer_next_due(a), wait;
	struct timeval tv;

	if (a->allocated && !a->refresh_inflight && !a->opts.no_refresh &&
	    a->refresh_due < due)
		due = a->refresh_due;
	evtimer_del(a->timer);
	if (due == UINT64_MAX || !a->allocated)
		return;
	wait = due > now ? due - now : 0;
	tv.tv_sec = (time_t)(wait / 1000);
	tv.tv_usec = (suseconds_t)(wait % 1000) * 1000;
	evtimer_add(a->timer, &tv);
}

static void alloc_tick(evutil_socket_t fd, short what, void *arg)
{
	struct tern_alloc *a = arg;
	uint64_t now = client_now_ms();

	(void)fd;
	(void)what;
	if (a->allocated && !a->refresh_inflight && !a->opts.no_refresh &&
	    a->refresh_due <= now) {
		if (areq_start(a, AREQ_REFRESH, 0) == 0)
			a->refresh_inflight = true;
		else
			a->refresh_due = now + 1000;
	}
	peer_tick(a, now);
	alloc_schedule(a);
}

/* The info of an outcome; strings point into r or static text. */
static void alloc_info(const struct tern_alloc *a, const struct trans_result *r,
		       struct tern_alloc_info *info, char *soft, size_t size)
{
	const struct stun_attr *at;
	const char *s;
	size_t n;

	memset(info, 0, sizeof(*info));
	info->code = r->code;
	info->reason = r->reason ? r->reason : "";
	info->realm = a->realm;
	info->rtt_ms = r->rtt_ms;
	info->lifetime = a->lifetime;
	client_addr_out(&a->relayed, &info->relayed);
	client_addr_out(&a->mapped, &info->mapped);
	at = r->resp ? stun_msg_attr(r->resp, STUN_ATTR_SOFTWARE) : NULL;
	if (at && stun_attr_text(at, &s, &n) == 0) {
		snprintf(soft, size, "%.*s", (int)n, s);
		info->software = soft;
	}
}

/* §7.3: a success response carries XOR-RELAYED-ADDRESS, LIFETIME and
 * XOR-MAPPED-ADDRESS; like Chromium, one lacking any of them fails. */
static int alloc_parse(struct tern_alloc *a, const struct stun_msg *m)
{
	const struct stun_attr *rel, *map, *lt;

	rel = stun_msg_attr(m, STUN_ATTR_XOR_RELAYED_ADDRESS);
	map = stun_msg_attr(m, STUN_ATTR_XOR_MAPPED_ADDRESS);
	lt = stun_msg_attr(m, STUN_ATTR_LIFETIME);
	if (!rel || !map || !lt || stun_attr_xaddr(rel, m, &a->relayed) ||
	    stun_attr_xaddr(map, m, &a->mapped) ||
	    stun_attr_u32(lt, &a->lifetime))
		return EBADMSG;
	return 0;
}

void alloc_allocated(struct tern_alloc *a, const struct trans_result *r)
{
	struct tern_alloc_info info;
	char soft[768];
	int err = r->err;
	struct trans_result fin = *r;

	if (!err && alloc_parse(a, r->resp) != 0) {
		err = EBADMSG;
		fin.reason = "Allocate response lacks XOR-RELAYED-ADDRESS, "
			     "XOR-MAPPED-ADDRESS or LIFETIME";
	}
	if (!err) {
		a->allocated = true;
		a->refresh_due =
		    client_now_ms() + alloc_refresh_in_ms(a->lifetime);
		alloc_schedule(a);
	} else {
		a->failed = true;
	}
	alloc_info(a, &fin, &info, soft, sizeof(soft));
	a->on_alloc(a->arg, err, &info);
}

void alloc_refreshed(struct tern_alloc *a, const struct trans_result *r)
{
	const struct stun_attr *lt;
	struct tern_alloc_info info;
	char soft[768];

	a->refresh_inflight = false;
	lt = r->resp ? stun_msg_attr(r->resp, STUN_ATTR_LIFETIME) : NULL;
	if (!r->err && lt && stun_attr_u32(lt, &a->lifetime) == 0) {
		a->st.refreshes++;
		a->refresh_due =
		    client_now_ms() + alloc_refresh_in_ms(a->lifetime);
		alloc_schedule(a);
		return;
	}
	a->allocated = false;
	a->failed = true;
	evtimer_del(a->timer);
	alloc_info(a, r, &info, soft, sizeof(soft));
	a->on_alloc(a->arg, r->err ? r->err : EBADMSG, &info);
}

static int alloc_copy(struct tern_alloc *a, const struct tern_creds *cr,
		      const struct tern_alloc_opts *o)
{
	if (o)
		a->opts = *o;
	if (a->opts.family == 0)
		a->opts.family = AF_INET;
	if (a->opts.family != AF_INET && a->opts.family != AF_INET6)
		return EINVAL;
	if (!a->opts.perm_refresh_ms)
		a->opts.perm_refresh_ms = TERN_PERM_REFRESH_MS;
	if (!a->opts.chan_refresh_ms)
		a->opts.chan_refresh_ms = TERN_CHAN_REFRESH_MS;
	a->user = alloc_strdup(cr->username);
	a->pass = alloc_strdup(cr->password);
	a->want_realm = alloc_strdup(cr->realm);
	if (!a->user || !a->pass || (cr->realm && !a->want_realm))
		return ENOMEM;
	return 0;
}

int tern_allocate(struct tern_alloc **ap, struct tern_client *c,
		  const struct tern_creds *creds,
		  const struct tern_alloc_opts *opts,
		  tern_alloc_cb on_allocated, tern_recv_cb on_recv, void *arg)
{
	struct tern_alloc *a;
	int err;

	if (!ap || !c || c->dead || !creds || !creds->username ||
	    !creds->password || !on_allocated)
		return EINVAL;
	if (c->alloc)
		return EBUSY;
	a = calloc(1, sizeof(*a));
	if (!a)
		return ENOMEM;
	a->c = c;
	a->on_alloc = on_allocated;
	a->on_recv = on_recv;
	a->arg = arg;
	err = alloc_copy(a, creds, opts);
	if (err)
		goto out;
	a->timer = evtimer_new(c->base, alloc_tick, a);
	if (!a->timer) {
		err = ENOMEM;
		goto out;
	}
	err = areq_start(a, AREQ_ALLOCATE, 0);
out:
	if (err) {
		tern_alloc_free(a);
		return err;
	}
	c->alloc = a;
	*ap = a;
	return 0;
}

void tern_alloc_stats(const struct tern_alloc *a, struct tern_alloc_stats *st)
{
	if (!a || !st)
		return;
	*st = a->st;
}

int tern_alloc_addrs(const struct tern_alloc *a,
		     struct sockaddr_storage *relayed,
		     struct sockaddr_storage *mapped)
{
	if (!a)
		return EINVAL;
	if (!a->allocated)
		return ENOTCONN;
	if (relayed)
		client_addr_out(&a->relayed, relayed);
	if (mapped)
		client_addr_out(&a->mapped, mapped);
	return 0;
}
