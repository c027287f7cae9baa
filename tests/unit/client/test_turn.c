/* The TURN client over UDP against the scripted TURN server: the 401
 * dance, 438, errors, refreshes, permissions, channels and data. */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "script.h"
#include "tern/tern.h"

struct tfix {
	struct event_base *base;
	struct script *s;
	struct tern_client *c;
	struct tern_alloc *a;
	/* on_allocated */
	bool alloc_done;
	unsigned alloc_calls;
	int alloc_err;
	uint16_t alloc_code;
	struct tern_alloc_info info;
	char realm[64];
	/* permissions / channels */
	bool perm_done, chan_done;
	int perm_err, chan_err;
	/* on_recv */
	bool recv_done;
	struct sockaddr_storage recv_peer;
	uint8_t recv[256];
	size_t recv_len;
};

static void on_alloc(void *arg, int err, const struct tern_alloc_info *info)
{
	struct tfix *f = arg;

	f->alloc_done = true;
	f->alloc_calls++;
	f->alloc_err = err;
	f->alloc_code = info->code;
	f->info = *info;
	snprintf(f->realm, sizeof(f->realm), "%s", info->realm);
	f->info.realm = f->realm;
	f->info.reason = "";
	f->info.software = NULL;
}

static void on_recv(void *arg, const struct sockaddr *peer, const uint8_t *data,
		    size_t len)
{
	struct tfix *f = arg;

	f->recv_done = true;
	memcpy(&f->recv_peer, peer,
	       peer->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					   : sizeof(struct sockaddr_in));
	f->recv_len = len < sizeof(f->recv) ? len : sizeof(f->recv);
	memcpy(f->recv, data, f->recv_len);
}

static void on_perm(void *arg, int err, uint16_t code, const char *reason)
{
	struct tfix *f = arg;

	(void)code;
	(void)reason;
	f->perm_done = true;
	f->perm_err = err;
}

static void on_chan(void *arg, int err, uint16_t code, const char *reason)
{
	struct tfix *f = arg;

	(void)code;
	(void)reason;
	f->chan_done = true;
	f->chan_err = err;
}

static const struct tern_creds creds = { "alice", "s3cret", NULL };

static void tfix_up(struct tfix *f, const struct turn_plan *plan,
		    const struct tern_alloc_opts *ao)
{
	struct tern_server srv = { .host_or_ip = "127.0.0.1", .tp = TERN_UDP };
	struct tern_client_opts o = { .rto_ms = 100 };

	memset(f, 0, sizeof(*f));
	f->base = event_base_new();
	cr_assert_eq(script_udp(&f->s, f->base, script_turn, NULL), 0);
	f->s->plan = *plan;
	if (!f->s->plan.user)
		f->s->plan.user = "alice";
	if (!f->s->plan.pass)
		f->s->plan.pass = "s3cret";
	srv.port = sa_port(&f->s->addr);
	cr_assert_eq(tern_client_alloc(&f->c, f->base, &srv, &o), 0);
	cr_assert_eq(
	    tern_allocate(&f->a, f->c, &creds, ao, on_alloc, on_recv, f), 0);
}

static void tfix_down(struct tfix *f)
{
	tern_alloc_free(f->a);
	tern_client_free(f->c);
	script_free(f->s);
	event_base_free(f->base);
}

static void peer_addr(struct sockaddr_in *p, const char *ip, uint16_t port)
{
	memset(p, 0, sizeof(*p));
	p->sin_family = AF_INET;
	p->sin_port = htons(port);
	inet_pton(AF_INET, ip, &p->sin_addr);
}

static void client_addr(struct tfix *f, struct sa *out)
{
	struct sockaddr_storage ss;

	cr_assert_eq(tern_client_local_addr(f->c, &ss), 0);
	sa_set_str(out, "127.0.0.1",
		   ntohs(((struct sockaddr_in *)&ss)->sin_port));
}

Test(turn, allocate_after_401)
{
	struct turn_plan plan = { .lifetime = 600 };
	struct sockaddr_storage rel, map;
	char buf[TERN_ADDRSTRLEN];
	struct tfix f;

	tfix_up(&f, &plan, NULL);
	cr_assert(script_run_until(f.base, &f.alloc_done, 20000));
	cr_assert_eq(f.alloc_err, 0, "err %d code %u", f.alloc_err,
		     f.alloc_code);
	cr_assert_eq(f.s->nreq[STUN_METHOD_ALLOCATE], 2, "401, then success");
	cr_assert_eq(f.info.lifetime, 600);
	cr_assert_str_eq(f.realm, "script.test");
	tern_addr_print((struct sockaddr *)&f.info.relayed, buf, sizeof(buf));
	cr_assert_str_eq(buf, "127.0.0.1:50000");
	cr_assert_eq(tern_alloc_addrs(f.a, &rel, &map), 0);
	cr_assert_eq(map.ss_family, AF_INET);
	cr_assert_eq(f.s->last_pwalg, STUN_PWALG_MD5);
	tfix_down(&f);
}

Test(turn, stale_nonce_438_is_retried)
{
	struct turn_plan plan = { .stale_once = true };
	struct tfix f;

	tfix_up(&f, &plan, NULL);
	cr_assert(script_run_until(f.base, &f.alloc_done, 20000));
	cr_assert_eq(f.alloc_err, 0);
	cr_assert_eq(f.s->nreq[STUN_METHOD_ALLOCATE], 3, "401, 438, success");
	tfix_down(&f);
}

Test(turn, second_401_fails_with_eacces)
{
	struct turn_plan plan = { .extra_401 = 5 };
	struct tfix f;

	tfix_up(&f, &plan, NULL);
	cr_assert(script_run_until(f.base, &f.alloc_done, 20000));
	cr_assert_eq(f.alloc_err, EACCES);
	cr_assert_eq(f.alloc_code, 401);
	cr_assert_eq(f.s->nreq[STUN_METHOD_ALLOCATE], 2);
	tfix_down(&f);
}

Test(turn, wrong_password_fails_with_401)
{
	struct turn_plan plan = { .pass = "other" };
	struct tfix f;

	tfix_up(&f, &plan, NULL);
	cr_assert(script_run_until(f.base, &f.alloc_done, 20000));
	cr_assert_eq(f.alloc_err, EACCES);
	cr_assert_eq(f.alloc_code, 401);
	tfix_down(&f);
}

Test(turn, error_437_is_reported)
{
	struct turn_plan plan = { .alloc_error = 437 };
	struct tfix f;

	tfix_up(&f, &plan, NULL);
	cr_assert(script_run_until(f.base, &f.alloc_done, 20000));
	cr_assert_eq(f.alloc_err, EPROTO);
	cr_assert_eq(f.alloc_code, 437);
	tfix_down(&f);
}

/* A success signed with the wrong key is dropped; the retransmission's
 * answer is taken. */
Test(turn, success_with_bad_integrity_is_ignored)
{
	struct turn_plan plan = { .bad_mi_once = true };
	struct tfix f;

	tfix_up(&f, &plan, NULL);
	cr_assert(script_run_until(f.base, &f.alloc_done, 20000));
	cr_assert_eq(f.alloc_err, 0);
	cr_assert_eq(f.s->nreq[STUN_METHOD_ALLOCATE], 3);
	tfix_down(&f);
}

Test(turn, sha256_when_offered_and_preferred)
{
	struct turn_plan plan = { .offer_sha256 = true };
	struct tern_alloc_opts ao = { .prefer_sha256 = true };
	struct tfix f;

	tfix_up(&f, &plan, &ao);
	cr_assert(script_run_until(f.base, &f.alloc_done, 20000));
	cr_assert_eq(f.alloc_err, 0);
	cr_assert_eq(f.s->last_pwalg, STUN_PWALG_SHA256);
	tfix_down(&f);
}

Test(turn, allocate_sends_lifetime_family_dont_fragment)
{
	struct turn_plan plan = { 0 };
	struct tern_alloc_opts ao = { .lifetime = 1200, .dont_fragment = true };
	struct tfix f;

	tfix_up(&f, &plan, &ao);
	cr_assert(script_run_until(f.base, &f.alloc_done, 20000));
	cr_assert_eq(f.alloc_err, 0);
	cr_assert_eq(f.info.lifetime, 1200);
	tfix_down(&f);
}

Test(turn, one_allocation_per_client)
{
	struct turn_plan plan = { 0 };
	struct tern_alloc *b = NULL;
	struct tfix f;

	tfix_up(&f, &plan, NULL);
	cr_assert_eq(tern_allocate(&b, f.c, &creds, NULL, on_alloc, NULL, &f),
		     EBUSY);
	tfix_down(&f);
}

/* Lifetime 1 s: refreshed at half time, again and again. */
Test(turn, refresh_timer_fires)
{
	struct turn_plan plan = { .lifetime = 1 };
	struct tern_alloc_stats st;
	struct tfix f;
	unsigned i;

	tfix_up(&f, &plan, NULL);
	cr_assert(script_run_until(f.base, &f.alloc_done, 20000));
	cr_assert_eq(f.alloc_err, 0);
	for (i = 0; i < 400 && f.s->nreq[STUN_METHOD_REFRESH] < 2; i++)
		script_run_for(f.base, 50);
	cr_assert_geq(f.s->nreq[STUN_METHOD_REFRESH], 2);
	tern_alloc_stats(f.a, &st);
	cr_assert_geq(st.refreshes, 1);
	cr_assert_eq(f.alloc_calls, 1, "a good refresh calls nobody");
	tfix_down(&f);
}

Test(turn, failed_refresh_is_reported)
{
	struct turn_plan plan = { .lifetime = 1, .refresh_error = true };
	struct tfix f;

	tfix_up(&f, &plan, NULL);
	cr_assert(script_run_until(f.base, &f.alloc_done, 20000));
	cr_assert_eq(f.alloc_err, 0);
	f.alloc_done = false;
	cr_assert(script_run_until(f.base, &f.alloc_done, 20000));
	cr_assert_eq(f.alloc_err, EPROTO);
	cr_assert_eq(f.alloc_code, 437);
	tfix_down(&f);
}

Test(turn, no_refresh_option)
{
	struct turn_plan plan = { .lifetime = 1 };
	struct tern_alloc_opts ao = { .no_refresh = true };
	struct tfix f;

	tfix_up(&f, &plan, &ao);
	cr_assert(script_run_until(f.base, &f.alloc_done, 20000));
	script_run_for(f.base, 1200);
	cr_assert_eq(f.s->nreq[STUN_METHOD_REFRESH], 0);
	tfix_down(&f);
}

Test(turn, release_sends_lifetime_zero)
{
	struct turn_plan plan = { 0 };
	struct tfix f;
	unsigned i;

	tfix_up(&f, &plan, NULL);
	cr_assert(script_run_until(f.base, &f.alloc_done, 20000));
	tern_alloc_release(f.a);
	f.a = NULL;
	for (i = 0; i < 100 && !f.s->saw_release; i++)
		script_run_for(f.base, 20);
	cr_assert(f.s->saw_release);
	cr_assert_eq(f.s->last_lifetime, 0);
	tfix_down(&f);
}

/* Permission asked before the allocation is up: sent once it is, then
 * Send indications out and Data indications in. */
Test(turn, permission_send_and_data_indications)
{
	struct turn_plan plan = { 0 };
	struct sockaddr_in peer;
	struct tern_alloc_stats st;
	uint8_t buf[256];
	struct stun_enc e;
	uint8_t tid[12] = { 1, 2, 3 };
	struct sa p, client;
	size_t len;
	struct tfix f;
	unsigned i;

	tfix_up(&f, &plan, NULL);
	peer_addr(&peer, "192.0.2.7", 4000);
	cr_assert_eq(tern_alloc_send(f.a, (struct sockaddr *)&peer, "x", 1),
		     ENOTCONN);
	cr_assert_eq(
	    tern_alloc_permit(f.a, (struct sockaddr *)&peer, on_perm, &f), 0);
	cr_assert(script_run_until(f.base, &f.perm_done, 20000));
	cr_assert_eq(f.perm_err, 0);
	cr_assert_eq(f.s->nreq[STUN_METHOD_CREATE_PERMISSION], 1);
	cr_assert_eq(tern_alloc_send(f.a, (struct sockaddr *)&peer, "hello", 5),
		     0);
	for (i = 0; i < 100 && f.s->sendind_in == 0; i++)
		script_run_for(f.base, 20);
	cr_assert_eq(f.s->sendind_in, 1);
	cr_assert_eq(f.s->data_len, 5);
	cr_assert_eq(memcmp(f.s->data, "hello", 5), 0);
	cr_assert_eq(sa_port(&f.s->data_peer), 4000);

	/* Data indication from the server. */
	sa_set_str(&p, "192.0.2.7", 4000);
	stun_enc_init(&e, buf, sizeof(buf), STUN_METHOD_DATA,
		      STUN_CLASS_INDICATION, tid);
	stun_enc_xaddr(&e, STUN_ATTR_XOR_PEER_ADDRESS, &p);
	stun_enc_attr(&e, STUN_ATTR_DATA, "world", 5);
	cr_assert_eq(stun_enc_finish(&e, &len), 0);
	client_addr(&f, &client);
	script_send(f.s, buf, len, &client);
	cr_assert(script_run_until(f.base, &f.recv_done, 20000));
	cr_assert_eq(f.recv_len, 5);
	cr_assert_eq(memcmp(f.recv, "world", 5), 0);
	cr_assert_eq(ntohs(((struct sockaddr_in *)&f.recv_peer)->sin_port),
		     4000);
	tern_alloc_stats(f.a, &st);
	cr_assert_eq(st.tx_send_ind, 1);
	cr_assert_eq(st.rx_data_ind, 1);
	tfix_down(&f);
}

Test(turn, channel_bind_then_channel_data_both_ways)
{
	struct turn_plan plan = { 0 };
	struct sockaddr_in peer;
	struct tern_alloc_stats st;
	uint8_t buf[64];
	struct sa client;
	struct tfix f;
	unsigned i;

	tfix_up(&f, &plan, NULL);
	cr_assert(script_run_until(f.base, &f.alloc_done, 20000));
	peer_addr(&peer, "192.0.2.8", 5000);
	cr_assert_eq(
	    tern_alloc_bind(f.a, (struct sockaddr *)&peer, on_chan, &f), 0);
	cr_assert(script_run_until(f.base, &f.chan_done, 20000));
	cr_assert_eq(f.chan_err, 0);
	cr_assert_eq(f.s->chan, 0x4000);
	cr_assert_eq(sa_port(&f.s->chan_peer), 5000);

	cr_assert_eq(tern_alloc_send(f.a, (struct sockaddr *)&peer, "abc", 3),
		     0);
	for (i = 0; i < 100 && f.s->chdata_in == 0; i++)
		script_run_for(f.base, 20);
	cr_assert_eq(f.s->chdata_in, 1);
	cr_assert_eq(f.s->data_chan, 0x4000);
	cr_assert_eq(f.s->data_len, 3);
	cr_assert_eq(f.s->last_frame_len, 7, "no padding on UDP");

	stun_chdata_header(buf, 0x4000, 4);
	memcpy(buf + 4, "pong", 4);
	client_addr(&f, &client);
	script_send(f.s, buf, 8, &client);
	cr_assert(script_run_until(f.base, &f.recv_done, 20000));
	cr_assert_eq(f.recv_len, 4);
	cr_assert_eq(ntohs(((struct sockaddr_in *)&f.recv_peer)->sin_port),
		     5000);
	/* An unbound channel is dropped. */
	stun_chdata_header(buf, 0x4001, 4);
	script_send(f.s, buf, 8, &client);
	script_run_for(f.base, 100);
	tern_alloc_stats(f.a, &st);
	cr_assert_eq(st.tx_chdata, 1);
	cr_assert_eq(st.rx_chdata, 1);
	cr_assert_eq(st.rx_dropped, 1);
	tfix_down(&f);
}

/* Short refresh intervals: permissions and channels are re-sent by the
 * allocation's timer; the channel's permission is refreshed too. */
Test(turn, permission_and_channel_refresh)
{
	struct turn_plan plan = { 0 };
	struct tern_alloc_opts ao = { .perm_refresh_ms = 100,
				      .chan_refresh_ms = 150 };
	struct sockaddr_in p1, p2;
	struct tfix f;
	unsigned i;

	tfix_up(&f, &plan, &ao);
	cr_assert(script_run_until(f.base, &f.alloc_done, 20000));
	peer_addr(&p1, "192.0.2.9", 1);
	peer_addr(&p2, "192.0.2.10", 2);
	cr_assert_eq(tern_alloc_permit(f.a, (void *)&p1, on_perm, &f), 0);
	cr_assert_eq(tern_alloc_bind(f.a, (void *)&p2, on_chan, &f), 0);
	for (i = 0; i < 400 && (f.s->nreq[STUN_METHOD_CREATE_PERMISSION] < 4 ||
				f.s->nreq[STUN_METHOD_CHANNEL_BIND] < 3);
	     i++)
		script_run_for(f.base, 25);
	cr_assert_geq(f.s->nreq[STUN_METHOD_CREATE_PERMISSION], 4);
	cr_assert_geq(f.s->nreq[STUN_METHOD_CHANNEL_BIND], 3);
	tfix_down(&f);
}

static void free_alloc_in_cb(void *arg, int err,
			     const struct tern_alloc_info *info)
{
	struct tfix *f = arg;

	(void)err;
	(void)info;
	f->alloc_done = true;
	tern_alloc_release(f->a);
	f->a = NULL;
}

Test(turn, release_from_callback)
{
	struct tern_server srv = { .host_or_ip = "127.0.0.1" };
	struct turn_plan plan = { .user = "alice", .pass = "s3cret" };
	struct tfix f;

	memset(&f, 0, sizeof(f));
	f.base = event_base_new();
	cr_assert_eq(script_udp(&f.s, f.base, script_turn, NULL), 0);
	f.s->plan = plan;
	srv.port = sa_port(&f.s->addr);
	cr_assert_eq(tern_client_alloc(&f.c, f.base, &srv, NULL), 0);
	cr_assert_eq(
	    tern_allocate(&f.a, f.c, &creds, NULL, free_alloc_in_cb, NULL, &f),
	    0);
	cr_assert(script_run_until(f.base, &f.alloc_done, 20000));
	cr_assert_null(f.a);
	script_run_for(f.base, 50);
	cr_assert(f.s->saw_release);
	tfix_down(&f);
}
