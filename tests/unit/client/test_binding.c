/* Binding transactions over UDP against a scripted server: answers,
 * retransmission counts (RFC 8489 §6.2.1), ignored responses. */
#include <criterion/criterion.h>

#include <errno.h>
#include <string.h>

#include "script.h"
#include "tern/tern.h"

struct got {
	bool done;
	int err;
	uint16_t code;
	unsigned sends;
	struct sockaddr_storage mapped, other, origin, source;
	bool xor_mapped;
	char software[64];
	char reason[128];
};

static void on_binding(void *arg, int err, const struct tern_binding_result *r)
{
	struct got *g = arg;

	g->done = true;
	g->err = err;
	g->code = r->code;
	g->sends = r->sends;
	g->mapped = r->mapped;
	g->other = r->other;
	g->origin = r->origin;
	g->source = r->source;
	g->xor_mapped = r->xor_mapped;
	snprintf(g->software, sizeof(g->software), "%s",
		 r->software ? r->software : "");
	snprintf(g->reason, sizeof(g->reason), "%s", r->reason);
}

/* What each test's handler does, set before the run. */
struct plan {
	unsigned drop;	   /* requests to ignore first */
	bool wrong_tid;	   /* answer first with another transaction id */
	bool bad_fp;	   /* answer first with a broken FINGERPRINT */
	uint16_t error;	   /* answer with this error code */
	bool from_other;   /* answer from the second socket */
	uint32_t change;   /* CHANGE-REQUEST seen */
	bool saw_fp;	   /* FINGERPRINT seen */
	bool saw_software; /* SOFTWARE seen */
};

static void handler(struct script *s, const struct stun_msg *m,
		    const struct sa *from)
{
	struct plan *p = s->user;
	const struct stun_attr *a;
	uint8_t buf[512];
	size_t len;

	p->saw_fp = m->fp >= 0;
	p->saw_software = stun_msg_attr(m, STUN_ATTR_SOFTWARE) != NULL;
	a = stun_msg_attr(m, STUN_ATTR_CHANGE_REQUEST);
	if (a)
		stun_attr_change_request(a, &p->change);
	if (p->drop) {
		p->drop--;
		return;
	}
	if (p->error) {
		script_error(s, m, from, p->error);
		return;
	}
	if (p->wrong_tid) {
		struct sa other;

		/* A mapped address the right answer will not carry. */
		sa_set_str(&other, "192.0.2.99", 9);
		len = script_binding_resp(s, m, &other, buf, sizeof(buf), 0x5A,
					  false);
		script_send(s, buf, len, from);
	}
	if (p->bad_fp) {
		struct sa other;

		sa_set_str(&other, "192.0.2.98", 9);
		len = script_binding_resp(s, m, &other, buf, sizeof(buf), 0,
					  true);
		script_send(s, buf, len, from);
	}
	len = script_binding_resp(s, m, from, buf, sizeof(buf), 0, false);
	if (p->from_other)
		script_send2(s, buf, len, from);
	else
		script_send(s, buf, len, from);
}

struct fix {
	struct event_base *base;
	struct script *s;
	struct tern_client *c;
	struct plan plan;
	struct got got;
};

static void fix_up(struct fix *f, const struct tern_client_opts *o)
{
	struct tern_server srv = { .host_or_ip = "127.0.0.1", .tp = TERN_UDP };

	memset(f, 0, sizeof(*f));
	f->base = event_base_new();
	cr_assert_not_null(f->base);
	cr_assert_eq(script_udp(&f->s, f->base, handler, &f->plan), 0);
	srv.port = sa_port(&f->s->addr);
	cr_assert_eq(tern_client_alloc(&f->c, f->base, &srv, o), 0);
}

static void fix_down(struct fix *f)
{
	tern_client_free(f->c);
	script_free(f->s);
	event_base_free(f->base);
}

static bool is_addr(const struct sockaddr_storage *ss, const char *ip,
		    uint16_t port)
{
	struct sa a;

	if (sa_set_sockaddr(&a, (const struct sockaddr *)ss,
			    sizeof(struct sockaddr_in)) != 0)
		return false;
	char buf[SA_STRLEN];
	sa_print_addr(&a, buf, sizeof(buf));
	return strcmp(buf, ip) == 0 && (port == 0 || sa_port(&a) == port);
}

Test(binding, answers_with_mapped_other_origin_software)
{
	struct tern_client_opts o = { .rto_ms = 50, .software = "tern-test" };
	struct sockaddr_storage local;
	struct fix f;

	fix_up(&f, &o);
	cr_assert_eq(tern_binding(f.c, 0, on_binding, &f.got), 0);
	cr_assert(script_run_until(f.base, &f.got.done, 20000));
	cr_assert_eq(f.got.err, 0, "%s", f.got.reason);
	cr_assert(f.got.xor_mapped);
	cr_assert_eq(tern_client_local_addr(f.c, &local), 0);
	cr_assert(is_addr(&f.got.mapped, "127.0.0.1",
			  ntohs(((struct sockaddr_in *)&local)->sin_port)));
	cr_assert(is_addr(&f.got.other, "127.0.0.1", sa_port(&f.s->addr2)));
	cr_assert(is_addr(&f.got.origin, "127.0.0.1", sa_port(&f.s->addr)));
	cr_assert(is_addr(&f.got.source, "127.0.0.1", sa_port(&f.s->addr)));
	cr_assert_str_eq(f.got.software, "script");
	cr_assert(f.plan.saw_fp, "FINGERPRINT is sent by default");
	cr_assert(f.plan.saw_software);
	fix_down(&f);
}

Test(binding, retransmits_until_answered)
{
	struct tern_client_opts o = { .rto_ms = 20 };
	struct fix f;

	fix_up(&f, &o);
	f.plan.drop = 2;
	cr_assert_eq(tern_binding(f.c, 0, on_binding, &f.got), 0);
	cr_assert(script_run_until(f.base, &f.got.done, 20000));
	cr_assert_eq(f.got.err, 0);
	cr_assert_eq(f.s->nreq[STUN_METHOD_BINDING], 3);
	cr_assert_eq(f.got.sends, 3);
	fix_down(&f);
}

/* RFC 8489 §6.2.1: Rc = 7 requests, then Rm * RTO of silence. */
Test(binding, gives_up_after_rc_requests)
{
	struct tern_client_opts o = { .rto_ms = 5, .rc = 7, .rm = 16 };
	struct fix f;

	fix_up(&f, &o);
	f.plan.drop = 1000;
	cr_assert_eq(tern_binding(f.c, 0, on_binding, &f.got), 0);
	cr_assert(script_run_until(f.base, &f.got.done, 60000));
	cr_assert_eq(f.got.err, ETIMEDOUT);
	cr_assert_eq(f.s->nreq[STUN_METHOD_BINDING], 7);
	cr_assert_eq(f.got.sends, 7);
	fix_down(&f);
}

Test(binding, rc_is_configurable)
{
	struct tern_client_opts o = { .rto_ms = 5, .rc = 3, .rm = 2 };
	struct fix f;

	fix_up(&f, &o);
	f.plan.drop = 1000;
	cr_assert_eq(tern_binding(f.c, 0, on_binding, &f.got), 0);
	cr_assert(script_run_until(f.base, &f.got.done, 60000));
	cr_assert_eq(f.got.err, ETIMEDOUT);
	cr_assert_eq(f.s->nreq[STUN_METHOD_BINDING], 3);
	fix_down(&f);
}

/* A total timeout shorter than the RTO schedule ends the transaction
 * early: fewer than Rc requests go out. */
Test(binding, total_timeout_caps_the_schedule)
{
	struct tern_client_opts o = { .rto_ms = 200, .timeout_ms = 250 };
	struct fix f;

	fix_up(&f, &o);
	f.plan.drop = 1000;
	cr_assert_eq(tern_binding(f.c, 0, on_binding, &f.got), 0);
	cr_assert(script_run_until(f.base, &f.got.done, 60000));
	cr_assert_eq(f.got.err, ETIMEDOUT);
	/* On an idle machine 2 go out (at 0 and 200 ms); a loaded one may fire
	 * timers late, so assert what the option promises, not when timers
	 * ran: without the cap all Rc = 7 would be sent. */
	cr_assert_lt(f.s->nreq[STUN_METHOD_BINDING], 7);
	cr_assert_geq(f.s->nreq[STUN_METHOD_BINDING], 1);
	fix_down(&f);
}

Test(binding, response_with_wrong_tid_is_ignored)
{
	struct tern_client_opts o = { .rto_ms = 1000 };
	struct fix f;

	fix_up(&f, &o);
	f.plan.wrong_tid = true;
	cr_assert_eq(tern_binding(f.c, 0, on_binding, &f.got), 0);
	cr_assert(script_run_until(f.base, &f.got.done, 20000));
	cr_assert_eq(f.got.err, 0);
	cr_assert(is_addr(&f.got.mapped, "127.0.0.1", 0),
		  "the answer with the wrong id was taken");
	fix_down(&f);
}

Test(binding, response_with_bad_fingerprint_is_ignored)
{
	struct tern_client_opts o = { .rto_ms = 1000 };
	struct fix f;

	fix_up(&f, &o);
	f.plan.bad_fp = true;
	cr_assert_eq(tern_binding(f.c, 0, on_binding, &f.got), 0);
	cr_assert(script_run_until(f.base, &f.got.done, 20000));
	cr_assert_eq(f.got.err, 0);
	cr_assert(is_addr(&f.got.mapped, "127.0.0.1", 0),
		  "the answer with the bad FINGERPRINT was taken");
	fix_down(&f);
}

Test(binding, error_response_gives_code_and_reason)
{
	struct tern_client_opts o = { .rto_ms = 50 };
	struct fix f;

	fix_up(&f, &o);
	f.plan.error = 420;
	cr_assert_eq(tern_binding(f.c, 0, on_binding, &f.got), 0);
	cr_assert(script_run_until(f.base, &f.got.done, 20000));
	cr_assert_eq(f.got.err, EPROTO);
	cr_assert_eq(f.got.code, 420);
	cr_assert_str_eq(f.got.reason, "Unknown Attribute");
	cr_assert_eq(f.got.sends, 1);
	fix_down(&f);
}

/* RFC 5780: with CHANGE-REQUEST the answer comes from another address;
 * it is matched by transaction id, and its source is reported. */
Test(binding, change_request_answer_from_other_address)
{
	struct tern_client_opts o = { .rto_ms = 50 };
	struct fix f;

	fix_up(&f, &o);
	f.plan.from_other = true;
	cr_assert_eq(tern_binding(f.c, TERN_CHANGE_IP | TERN_CHANGE_PORT,
				  on_binding, &f.got),
		     0);
	cr_assert(script_run_until(f.base, &f.got.done, 20000));
	cr_assert_eq(f.got.err, 0);
	cr_assert_eq(f.plan.change, STUN_CHANGE_IP | STUN_CHANGE_PORT);
	cr_assert(is_addr(&f.got.source, "127.0.0.1", sa_port(&f.s->addr2)));
	fix_down(&f);
}

Test(binding, no_fingerprint_option)
{
	struct tern_client_opts o = { .rto_ms = 50, .no_fingerprint = true };
	struct fix f;

	fix_up(&f, &o);
	cr_assert_eq(tern_binding(f.c, 0, on_binding, &f.got), 0);
	cr_assert(script_run_until(f.base, &f.got.done, 20000));
	cr_assert_eq(f.got.err, 0);
	cr_assert_not(f.plan.saw_fp);
	fix_down(&f);
}

static void free_in_cb(void *arg, int err, const struct tern_binding_result *r)
{
	struct fix *f = arg;

	(void)err;
	(void)r;
	f->got.done = true;
	tern_client_free(f->c);
	f->c = NULL;
}

static void never(void *arg, int err, const struct tern_binding_result *r)
{
	(void)err;
	(void)r;
	cr_assert_fail("callback after the client was freed (%p)", arg);
}

/* Freeing the client from a callback drops the other transactions
 * without calling them (ASan checks the memory side). */
Test(binding, free_from_callback_drops_the_rest)
{
	struct tern_client_opts o = { .rto_ms = 20 };
	struct fix f;

	fix_up(&f, &o);
	cr_assert_eq(tern_binding(f.c, 0, never, NULL), 0);
	cr_assert_eq(tern_binding(f.c, 0, free_in_cb, &f), 0);
	f.plan.drop = 1; /* the first request sent (the `never` one) */
	cr_assert(script_run_until(f.base, &f.got.done, 20000));
	script_run_for(f.base, 100);
	fix_down(&f);
}
