/*
 * turn.c — checks 5 and 6 through libtern: authentication (the realm
 * from the 401, the credentials accepted, a REST username's expiry) and
 * the allocation (relayed address, lifetime); then check 7 (relay.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <tern/tern.h>

#include "tools/probe/probe.h"
#include "tools/probe/session.h"

#define PKT_MAGIC 0x74507262u /* "tPrb" */
#define PKT_HDR	  16

static void on_alloc(void *arg, int err, const struct tern_alloc_info *in)
{
	struct probe_side *sd = arg;

	if (sd->done)
		return; /* a later refresh failure: the run is over anyway */
	sd->done = true;
	sd->err = err;
	sd->code = in->code;
	snprintf(sd->reason, sizeof(sd->reason), "%s", in->reason);
	snprintf(sd->realm, sizeof(sd->realm), "%s", in->realm);
	sd->info = *in;
	sd->info.reason = sd->info.realm = sd->info.software = NULL;
}

/* Allocate on a fresh client; sd->err says how it went. */
static void allocate(struct probe_side *sd, struct event_base *base,
		     const struct probe_opts *o, const struct probe_target *t,
		     const struct sa *server)
{
	struct tern_creds cr = { .username = t->user,
				 .password = t->pass,
				 .realm = o->realm };
	struct tern_alloc_opts ao = { .no_refresh = true };
	int err;

	sd->s.base = base;
	err = probe_client(&sd->s, o, &t->uri, server);
	if (!err)
		err = tern_allocate(&sd->a, sd->s.c, &cr, &ao, on_alloc,
				    probe_relay_recv, sd);
	if (!err)
		err = probe_loop(sd->s.base, &sd->done, 2 * o->timeout + 1);
	if (err && !sd->done) {
		sd->done = true;
		sd->err = err;
		snprintf(sd->reason, sizeof(sd->reason), "%s", strerror(err));
	}
}

static void side_free(struct probe_side *sd)
{
	tern_alloc_release(sd->a);
	tern_client_free(sd->s.c);
	free(sd->rtt);
	free(sd->seen);
}

/* "REST username, expires 2030-01-01 00:00:00 UTC (in 3599 s)", or "". */
static void rest_note(const char *user, char *buf, size_t size)
{
	int64_t e;
	time_t te;
	struct tm tm;
	char when[32];

	buf[0] = '\0';
	if (!probe_rest_expiry(user, &e))
		return;
	te = (time_t)e;
	gmtime_r(&te, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	snprintf(buf, size, "REST username, %s %s (%+" PRId64 " s)",
		 e < (int64_t)time(NULL) ? "expired at" : "expires", when,
		 e - (int64_t)time(NULL));
}

/* Codes an Allocate gets only after the server authenticated it (RFC 8656
 * §7.2 checks credentials first). */
static bool after_auth(uint16_t code)
{
	return code == 403 || code == 437 || code == 440 || code == 442 ||
	       code == 486 || code == 508;
}

/* Check 5. Returns true when the credentials were accepted. */
static bool report_auth(const struct probe_opts *o,
			const struct probe_target *t,
			const struct probe_side *sd, struct probe_result *r)
{
	char rest[160], *realm = r->realm;

	rest_note(t->user, rest, sizeof(rest));
	snprintf(r->realm, sizeof(r->realm), "%s",
		 sd->realm[0] ? sd->realm
		 : o->realm   ? o->realm
			      : "");
	if (!sd->err || (sd->err == EPROTO && after_auth(sd->code))) {
		probe_add(r, "auth", PROBE_OK, NULL,
			  "realm \"%s\" in the 401; credentials for %s "
			  "accepted%s%s",
			  realm, t->user, rest[0] ? "; " : "", rest);
		return true;
	}
	if (sd->err == EACCES && sd->code == 401 && strstr(rest, "expired"))
		probe_add(r, "auth", PROBE_FAIL,
			  "mint a fresh credential (and check the clocks of "
			  "the credential service and this host)",
			  "401 after credentials: %s", rest);
	else if (sd->err == EACCES && sd->code == 401)
		probe_add(r, "auth", PROBE_FAIL,
			  "check user and password (for REST: the shared "
			  "secret) against the server's, and --realm",
			  "401 after credentials: wrong password or user not "
			  "in realm \"%s\"",
			  realm);
	else if (sd->err == EACCES)
		probe_add(r, "auth", PROBE_FAIL, NULL,
			  "authentication failed: %u %s", sd->code, sd->reason);
	else if (sd->err == EPROTO)
		probe_add(r, "auth", PROBE_FAIL, NULL,
			  "Allocate refused before authentication: %u %s",
			  sd->code, sd->reason);
	else
		probe_add(r, "auth", PROBE_FAIL,
			  "is this a TURN server, and is TURN enabled on this "
			  "listener?",
			  "no answer to Allocate: %s", sd->reason);
	return false;
}

static const char *alloc_hint(uint16_t code)
{
	switch (code) {
	case 486:
		return "this user has as many allocations as the server "
		       "allows (user quota)";
	case 508:
		return "the server is out of relay ports or allocations";
	case 437:
		return "an allocation from this address and port already "
		       "exists";
	case 403:
		return "the server forbids this client or relay";
	default:
		return NULL;
	}
}

/* A private relayed address from a server reached on a public one: the
 * server sits behind 1:1 NAT and announces the address it binds, which
 * no peer outside can reach. */
static bool is_private(const struct probe_opts *o, const struct sa *a)
{
	for (unsigned i = 0; i < o->nprivate; i++)
		if (cidr_match(&o->private_nets[i], a))
			return true;
	return cidr_is_non_public(a);
}

static void report_private_relay(const struct probe_opts *o,
				 const struct probe_side *sd,
				 const struct sa *server,
				 struct probe_result *r)
{
	struct sa rel;

	if (sa_set_sockaddr(&rel, (const struct sockaddr *)&sd->info.relayed,
			    sizeof(sd->info.relayed)) ||
	    !is_private(o, &rel) || is_private(o, server))
		return;
	probe_add(r, "relayed-address", PROBE_WARN,
		  "the server is probably behind 1:1 NAT and announces the "
		  "address it binds; ternd: relay.advertise = [ "
		  "\"PUBLIC/PRIVATE\" ], coturn: external-ip=PUBLIC/PRIVATE",
		  "relayed address %s is private, but the server was reached "
		  "on a public address: peers outside its network cannot "
		  "reach the relay",
		  r->relayed);
}

/* Check 6. Returns true when allocated. */
static bool report_alloc(const struct probe_opts *o,
			 const struct probe_side *sd, const struct sa *server,
			 struct probe_result *r)
{
	if (sd->err) {
		probe_add(r, "allocate", PROBE_FAIL, alloc_hint(sd->code),
			  "Allocate refused: %u %s", sd->code, sd->reason);
		return false;
	}
	tern_addr_print((const struct sockaddr *)&sd->info.relayed, r->relayed,
			sizeof(r->relayed));
	r->lifetime = sd->info.lifetime;
	probe_add(r, "allocate", PROBE_OK, NULL,
		  "relayed address %s, lifetime %" PRIu32 " s", r->relayed,
		  r->lifetime);
	report_private_relay(o, sd, server, r);
	return true;
}

void probe_turn(const struct probe_opts *o, const struct probe_target *t,
		const struct sa *server, struct probe_result *r)
{
	struct probe_side a = { 0 }, b = { 0 };
	struct event_base *base;

	if (!t->user[0]) {
		probe_add(r, "auth", PROBE_FAIL,
			  "give --user and --password, --secret and --user, "
			  "or --ice-servers FILE",
			  "no credentials to authenticate with");
		return;
	}
	base = event_base_new();
	if (!base) {
		probe_add(r, "auth", PROBE_FAIL, NULL, "out of memory");
		return;
	}
	allocate(&a, base, o, t, server);
	if (report_auth(o, t, &a, r) && report_alloc(o, &a, server, r)) {
		b.echo = true;
		allocate(&b, base, o, t, server);
		if (b.err)
			probe_add(r, "relay", PROBE_FAIL, alloc_hint(b.code),
				  "second allocation for the round trip "
				  "refused: %u %s",
				  b.code, b.reason);
		else
			probe_relay(o, &a, &b, r);
	}
	side_free(&b);
	side_free(&a);
	event_base_free(base);
}
