/*
 * turncfg.c — TURN settings shared by all workers; see turncfg.h.
 */
#include "relay/turncfg.h"

#include <errno.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "base/rand.h"
#include "net/udp.h"
#include "turn/quota.h"

/* Nonce secret drawn at start when the file sets none. */
#define RANDOM_SECRET_LEN 32

/* ---- the self list ------------------------------------------------------ */

struct self_list {
	struct sa *v;
	size_t n, cap;
	const struct turn_server_cfg *scfg; /* its advertise list */
};

static int self_add1(struct self_list *l, const struct sa *a, uint16_t port)
{
	struct sa e = *a;
	size_t i;

	sa_unmap(&e);
	sa_set_port(&e, port);
	for (i = 0; i < l->n; i++)
		if (sa_equal(&l->v[i], &e))
			return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct sa *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = e;
	return 0;
}

/* a, and the address advertised for it (behind 1:1 NAT a peer may name
 * either; both reach the server). */
static int self_add(struct self_list *l, const struct sa *a, uint16_t port)
{
	struct sa pub = *a;
	int rc = self_add1(l, a, port);

	turn_advertised(l->scfg, &pub);
	if (!rc && !sa_equal_addr(&pub, a))
		rc = self_add1(l, &pub, port);
	return rc;
}

/* addr with every port ternd listens on there. */
static int self_ports(struct self_list *l, const struct ternd_config *c,
		      const struct sa *addr, bool alt)
{
	const uint16_t ports[] = { c->udp_port, c->tcp_port, c->tls_port,
				   c->dtls_port, alt ? c->alt_port : 0 };
	size_t i;
	int rc = 0;

	for (i = 0; i < sizeof(ports) / sizeof(ports[0]) && !rc; i++)
		if (ports[i])
			rc = self_add(l, addr, ports[i]);
	return rc;
}

/* A wildcard listener is reachable at every local address of its family. */
static int self_wildcard(struct self_list *l, const struct ternd_config *c,
			 int family)
{
	struct ifaddrs *ifa, *i;
	struct sa a;
	int rc = 0;

	if (getifaddrs(&ifa) < 0)
		return errno;
	for (i = ifa; i && !rc; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != family)
			continue;
		if (sa_set_sockaddr(&a, i->ifa_addr,
				    family == AF_INET
					? sizeof(struct sockaddr_in)
					: sizeof(struct sockaddr_in6)))
			continue;
		rc = self_ports(l, c, &a, false);
	}
	freeifaddrs(ifa);
	return rc;
}

/*
 * The listener transport addresses, WITH their ports: the peer policy
 * refuses exactly those, so a relay cannot feed the server its own
 * requests, while relay-to-relay traffic between two allocations on the
 * same address (Chromium's two-peer relay test) still flows.
 */
static int self_build(struct turncfg *t, const struct ternd_config *c)
{
	struct self_list l = { NULL, 0, 0, &t->scfg };
	size_t i;
	int rc = 0;

	for (i = 0; i < c->nlisten && !rc; i++) {
		const struct cfg_listen *le = &c->listen[i];

		if (net_sa_is_wildcard(&le->addr))
			rc = self_wildcard(&l, c, sa_family(&le->addr));
		else
			rc = self_ports(&l, c, &le->addr, sa_is_set(&le->alt));
		if (!rc && sa_is_set(&le->alt))
			rc = self_ports(&l, c, &le->alt, true);
	}
	if (rc) {
		free(l.v);
		return rc;
	}
	t->self = l.v;
	t->nself = l.n;
	return 0;
}

/* relay.advertise, in the server's form. */
static int advert_build(struct turncfg *t, const struct ternd_config *c)
{
	size_t i;

	if (!c->nadvertise)
		return 0;
	t->advert = calloc(c->nadvertise, sizeof(*t->advert));
	if (!t->advert)
		return ENOMEM;
	for (i = 0; i < c->nadvertise; i++) {
		t->advert[i].bound = c->advertise[i].bound;
		t->advert[i].pub = c->advertise[i].pub;
	}
	t->scfg.advertise = t->advert;
	t->scfg.nadvertise = c->nadvertise;
	return 0;
}

/* ---- the config-file store ---------------------------------------------- */

static int mem_user(struct auth_mem *m, const char *realm,
		    const struct cfg_user *u)
{
	uint16_t alg;

	if (u->password)
		return auth_mem_add_user(m, realm, u->name, u->password);
	/* coturn's turnadmin -k form: 32 hex digits MD5, 64 SHA-256 */
	alg = strlen(u->key) == 64 ? AUTH_ALG_SHA256 : AUTH_ALG_MD5;
	return auth_mem_add_user_key(m, realm, u->name, alg, u->key);
}

static int mem_build(struct turncfg *t, const struct ternd_config *c, char *err,
		     size_t errlen)
{
	size_t i;
	int rc;

	if ((rc = auth_mem_alloc(&t->mem)))
		return rc;
	for (i = 0; i < c->nusers && !rc; i++)
		if ((rc = mem_user(t->mem, c->realm, &c->users[i])))
			snprintf(err, errlen, "auth.users[%zu] '%s': %s", i,
				 c->users[i].name, strerror(rc));
	for (i = 0; i < c->nsecrets && !rc; i++)
		if ((rc = auth_mem_add_secret(t->mem, c->realm,
					      (const uint8_t *)c->secrets[i],
					      strlen(c->secrets[i]))))
			snprintf(err, errlen, "auth.secrets[%zu]: %s", i,
				 strerror(rc));
	if (!rc)
		t->mem_store = auth_mem_store(t->mem);
	return rc;
}

/* ---- the template ------------------------------------------------------- */

/* The nonce MAC key: the file's; else the one in force before a reload
 * (prev), so that outstanding nonces stay valid; else a random one. */
static int nonce_secret(struct turncfg *t, const struct ternd_config *c,
			const struct turncfg *prev)
{
	struct turn_server_cfg *s = &t->scfg;

	if (c->nonce_secret_len) {
		memcpy(t->nonce_secret, c->nonce_secret, c->nonce_secret_len);
		s->nonce_secret_len = c->nonce_secret_len;
	} else if (prev && prev->scfg.nonce_secret_len) {
		memcpy(t->nonce_secret, prev->nonce_secret,
		       prev->scfg.nonce_secret_len);
		s->nonce_secret_len = prev->scfg.nonce_secret_len;
	} else if (rand_bytes(t->nonce_secret, RANDOM_SECRET_LEN)) {
		return EIO;
	} else {
		s->nonce_secret_len = RANDOM_SECRET_LEN;
	}
	return 0;
}

static int fill_template(struct turncfg *t, const struct ternd_config *c,
			 const struct turncfg *prev)
{
	struct turn_server_cfg *s = &t->scfg;

	s->software = c->software;
	s->rfc3489 = c->rfc3489;
	if (!c->turn)
		return 0;
	s->realm = c->realm;
	s->rest = c->rest;
	s->sha256 = c->sha256;
	if (nonce_secret(t, c, prev))
		return EIO;
	/* one secret for every worker: a nonce from a 401 sent by one
	 * worker verifies on the worker the next connection lands on */
	s->nonce_secret = t->nonce_secret;
	s->nonce_lifetime_s = c->nonce_lifetime_s;
	s->lifetime_default_s = c->lifetime_s;
	s->lifetime_max_s = c->max_lifetime_s;
	/* exact over all workers: they share one count */
	s->quota = t->quota;
	s->max_allocs = c->max_allocations;
	s->max_allocs_per_user = c->user_quota;
	s->max_perms_per_alloc = c->max_permissions;
	s->max_chans_per_alloc = c->max_channels;
	s->rfc5766_channels = c->rfc5766_channels;
	s->bandwidth_bps = c->bandwidth;
	s->challenge_rate = c->challenge_rate;
	s->challenge_burst = c->challenge_burst;
	s->peer_allow = &c->peer_allow;
	s->peer_deny = &c->peer_deny;
	s->self = t->self;
	s->nself = t->nself;
	return 0;
}

/* The quota: a new one, or prev's, borrowed (see turncfg_realloc). */
static int quota(struct turncfg *t, const struct turncfg *prev)
{
	if (prev) {
		t->quota = prev->quota;
		return 0;
	}
	t->own_quota = true;
	return turn_quota_alloc(&t->quota);
}

static int build(struct turncfg **tp, const struct ternd_config *cfg,
		 unsigned workers, const struct turncfg *prev, char *err,
		 size_t errlen)
{
	struct turncfg *t;
	int rc = ENOMEM;

	if (!tp || !cfg || !workers)
		return EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return ENOMEM;
	}
	if ((rc = advert_build(t, cfg))) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (cfg->turn && (rc = self_build(t, cfg))) {
		snprintf(err, errlen, "listing the listener addresses: %s",
			 strerror(rc));
		goto out;
	}
	if (cfg->turn && cfg->store == CFG_STORE_CONFIG &&
	    (rc = mem_build(t, cfg, err, errlen)))
		goto out;
	if (cfg->turn && (rc = quota(t, prev))) {
		snprintf(err, errlen, "allocation quota: %s", strerror(rc));
		goto out;
	}
	if ((rc = fill_template(t, cfg, prev))) {
		snprintf(err, errlen, "no randomness for the nonce secret");
		goto out;
	}
	*tp = t;
	t = NULL;
	rc = 0;
out:
	turncfg_free(t);
	return rc;
}

int turncfg_alloc(struct turncfg **tp, const struct ternd_config *cfg,
		  unsigned workers, char *err, size_t errlen)
{
	return build(tp, cfg, workers, NULL, err, errlen);
}

int turncfg_realloc(struct turncfg **tp, const struct ternd_config *cfg,
		    unsigned workers, const struct turncfg *prev, char *err,
		    size_t errlen)
{
	if (!prev)
		return EINVAL;
	return build(tp, cfg, workers, prev, err, errlen);
}

void turncfg_take_quota(struct turncfg *to, struct turncfg *from)
{
	if (!to || !from || to->quota != from->quota)
		return;
	to->own_quota = from->own_quota;
	from->own_quota = false;
}

void turncfg_free(struct turncfg *t)
{
	if (!t)
		return;
	auth_mem_free(t->mem);
	if (t->own_quota)
		turn_quota_free(t->quota);
	free(t->self);
	free(t->advert);
	OPENSSL_cleanse(t->nonce_secret, sizeof(t->nonce_secret));
	free(t);
}
