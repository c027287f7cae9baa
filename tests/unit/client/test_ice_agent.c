/*
 * The ICE agent (tern/ice.h) with an injected clock: two agents in this
 * process, each on its own event_base, host candidates on 127.0.0.1, the
 * clock moved by hand. Each agent's base is run only when the test says,
 * so "the peer stops answering" is the peer's loop not running (its
 * socket fills, nothing is answered) and "answers return" is running it
 * again: no packet is faked.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include <event2/event.h>

#include "client/ice_agent.h"
#include "stun/stun.h"
#include "tern/ice.h"

static uint64_t fake_now = 1000000;

static uint64_t fake_clock(void *arg)
{
	(void)arg;
	return fake_now;
}

struct side {
	struct event_base *base;
	struct tern_ice *ag;
	struct side *peer;
	enum tern_ice_state states[32];
	size_t n_states;
	unsigned recv, selected, gathered;
	char last[64];
	char logs[2048];
	bool muted; /* the loop is not run: nothing read, nothing answered */
	bool queue; /* keep announcements (signaling is slow) */
	char q[8][ICE_LINE_MAX];
	size_t n_q;
};

static void on_candidate(void *arg, const char *line)
{
	struct side *s = arg;
	char why[128];

	if (s->queue && s->n_q < 8) {
		snprintf(s->q[s->n_q++], ICE_LINE_MAX, "%s", line);
		return;
	}
	if (!s->peer || !s->peer->ag)
		return;
	cr_assert_eq(tern_ice_add_remote(s->peer->ag, line, why, sizeof(why)),
		     0, "%s: %s", line, why);
}

static void on_gathered(void *arg)
{
	struct side *s = arg;

	s->gathered++;
	if (s->queue && s->n_q < 8) {
		snprintf(s->q[s->n_q++], ICE_LINE_MAX, "end-of-candidates");
		return;
	}
	if (s->peer && s->peer->ag)
		tern_ice_end_of_candidates(s->peer->ag);
}

static void on_state(void *arg, enum tern_ice_state st)
{
	struct side *s = arg;

	if (s->n_states < 32)
		s->states[s->n_states++] = st;
}

static void on_recv(void *arg, const uint8_t *d, size_t n)
{
	struct side *s = arg;

	s->recv++;
	snprintf(s->last, sizeof(s->last), "%.*s", (int)n, (const char *)d);
}

static void on_selected(void *arg, const struct tern_ice_pair_info *in)
{
	struct side *s = arg;

	(void)in;
	s->selected++;
}

static void on_log(void *arg, const char *line)
{
	struct side *s = arg;
	size_t l = strlen(s->logs);

	snprintf(s->logs + l, sizeof(s->logs) - l, "%s\n", line);
}

static void side_new(struct side *s, struct side *peer, bool controlling)
{
	struct tern_ice_opts o = {
		.controlling = controlling,
		.trickle = true,
		.loopback = true,
		.no_ipv6 = true,
		.interface = "lo",
		.clock = fake_clock,
		.on_candidate = on_candidate,
		.on_gathered = on_gathered,
		.on_state = on_state,
		.on_recv = on_recv,
		.on_selected = on_selected,
		.on_log = on_log,
		.arg = s,
	};

	memset(s, 0, sizeof(*s));
	s->peer = peer;
	s->base = event_base_new();
	cr_assert(s->base);
	cr_assert_eq(tern_ice_new(&s->ag, s->base, &o, NULL, 0), 0);
	cr_assert_eq(tern_ice_state(s->ag), TERN_ICE_NEW);
}

/* Both sides know each other's credentials, then gather: the candidates
 * go straight into the peer (trickle). */
static void exchange(struct side *a, struct side *b)
{
	cr_assert_eq(tern_ice_set_remote(a->ag, tern_ice_ufrag(b->ag),
					 tern_ice_pwd(b->ag)),
		     0);
	cr_assert_eq(tern_ice_set_remote(b->ag, tern_ice_ufrag(a->ag),
					 tern_ice_pwd(a->ag)),
		     0);
}

/* Move the clock by ms in 5 ms steps, running both agents and (unless
 * muted) their loops. */
static void advance(struct side *a, struct side *b, unsigned ms)
{
	for (unsigned t = 0; t < ms; t += 5) {
		fake_now += 5;
		for (int i = 0; i < 2; i++) {
			struct side *s = i ? b : a;
			if (s->muted || !s->ag)
				continue;
			event_base_loop(s->base, EVLOOP_NONBLOCK);
			tern_ice_tick(s->ag);
			event_base_loop(s->base, EVLOOP_NONBLOCK);
		}
	}
}

static bool saw(const struct side *s, enum tern_ice_state st)
{
	for (size_t i = 0; i < s->n_states; i++)
		if (s->states[i] == st)
			return true;
	return false;
}

static void connect_pair(struct side *a, struct side *b, bool ca, bool cb)
{
	side_new(a, b, ca);
	side_new(b, a, cb);
	exchange(a, b);
	cr_assert_eq(tern_ice_gather(a->ag), 0);
	cr_assert_eq(tern_ice_gather(b->ag), 0);
	advance(a, b, 2000);
}

static void side_free(struct side *s)
{
	tern_ice_free(s->ag);
	s->ag = NULL;
	event_base_free(s->base);
}

static void data_both_ways(struct side *a, struct side *b)
{
	unsigned ra = a->recv, rb = b->recv;

	cr_assert_eq(tern_ice_send(a->ag, "from a", 6), 0);
	cr_assert_eq(tern_ice_send(b->ag, "from b", 6), 0);
	advance(a, b, 20);
	cr_assert_eq(b->recv, rb + 1);
	cr_assert_str_eq(b->last, "from a");
	cr_assert_eq(a->recv, ra + 1);
	cr_assert_str_eq(a->last, "from b");
}

Test(ice_agent, connects_and_completes)
{
	struct side a, b;
	struct tern_ice_pair_info ia, ib;

	connect_pair(&a, &b, true, false);
	/* new -> checking -> connected -> completed, in that order */
	cr_assert_geq(a.n_states, 3);
	cr_assert_eq(a.states[0], TERN_ICE_CHECKING);
	cr_assert_eq(a.states[1], TERN_ICE_CONNECTED);
	cr_assert_eq(a.states[a.n_states - 1], TERN_ICE_COMPLETED);
	cr_assert_eq(b.states[0], TERN_ICE_CHECKING);
	cr_assert_eq(tern_ice_state(b.ag), TERN_ICE_COMPLETED);
	cr_assert_eq(a.gathered, 1);
	/* regular nomination: the controlling side nominated, the
	 * controlled one took that pair */
	cr_assert_eq(tern_ice_selected(a.ag, &ia), 0);
	cr_assert_eq(tern_ice_selected(b.ag, &ib), 0);
	cr_assert(ia.nominated);
	cr_assert(ib.nominated);
	cr_assert_str_eq(ia.local_type, "host");
	cr_assert_str_eq(ia.remote_type, "host");
	cr_assert_eq(
	    memcmp(&ia.local_addr, &ib.remote_addr, sizeof(struct sockaddr_in)),
	    0);
	cr_assert(tern_ice_controlling(a.ag));
	cr_assert(!tern_ice_controlling(b.ag));
	data_both_ways(&a, &b);
	/* closed: reported once, send refused */
	tern_ice_close(a.ag);
	cr_assert_eq(a.states[a.n_states - 1], TERN_ICE_CLOSED);
	cr_assert_eq(tern_ice_send(a.ag, "x", 1), ENOTCONN);
	side_free(&a);
	side_free(&b);
}

static void role_conflict(bool both_controlling)
{
	struct side a, b;

	connect_pair(&a, &b, both_controlling, both_controlling);
	cr_assert_eq(tern_ice_state(a.ag), TERN_ICE_COMPLETED, "%s", a.logs);
	cr_assert_eq(tern_ice_state(b.ag), TERN_ICE_COMPLETED, "%s", b.logs);
	/* the tie-breakers settled it: exactly one controls */
	cr_assert_neq(tern_ice_controlling(a.ag), tern_ice_controlling(b.ag));
	cr_assert(strstr(a.logs, "role conflict") ||
		      strstr(b.logs, "role conflict") ||
		      strstr(a.logs, "487") || strstr(b.logs, "487"),
		  "%s | %s", a.logs, b.logs);
	data_both_ways(&a, &b);
	side_free(&a);
	side_free(&b);
}

Test(ice_agent, role_conflict_both_controlling)
{
	role_conflict(true);
}

Test(ice_agent, role_conflict_both_controlled)
{
	role_conflict(false);
}

Test(ice_agent, consent_loss_and_return)
{
	struct side a, b;

	connect_pair(&a, &b, true, false);
	cr_assert_eq(tern_ice_state(a.ag), TERN_ICE_COMPLETED);
	/* b stops answering: disconnected 5 s after the last answer, which
	 * came at most one consent interval (1.2 s) before b stopped */
	b.muted = true;
	advance(&a, &b, 3500);
	cr_assert_eq(tern_ice_state(a.ag), TERN_ICE_COMPLETED);
	advance(&a, &b, 2000);
	cr_assert_eq(tern_ice_state(a.ag), TERN_ICE_DISCONNECTED);
	/* answers return: connected again */
	b.muted = false;
	advance(&a, &b, 1500);
	cr_assert(tern_ice_state(a.ag) == TERN_ICE_CONNECTED ||
		  tern_ice_state(a.ag) == TERN_ICE_COMPLETED);
	cr_assert(saw(&a, TERN_ICE_CONNECTED));
	data_both_ways(&a, &b);
	/* b gone for good: disconnected, then failed at 30 s */
	b.muted = true;
	a.n_states = 0;
	advance(&a, &b, 28000);
	cr_assert_eq(tern_ice_state(a.ag), TERN_ICE_DISCONNECTED);
	advance(&a, &b, 2500);
	cr_assert_eq(tern_ice_state(a.ag), TERN_ICE_FAILED);
	cr_assert_eq(a.states[0], TERN_ICE_DISCONNECTED);
	cr_assert_eq(tern_ice_send(a.ag, "x", 1), ENOTCONN);
	side_free(&a);
	side_free(&b);
}

Test(ice_agent, restart_keeps_data_on_the_old_pair)
{
	struct side a, b;
	char ua[64];
	unsigned sel;

	connect_pair(&a, &b, true, false);
	snprintf(ua, sizeof(ua), "%s", tern_ice_ufrag(a.ag));
	sel = a.selected;
	/* both restart (offer and answer); the new candidates reach the
	 * peer through signaling, later */
	a.queue = b.queue = true;
	cr_assert_eq(tern_ice_restart(a.ag), 0);
	cr_assert_eq(tern_ice_restart(b.ag), 0);
	cr_assert_str_neq(tern_ice_ufrag(a.ag), ua);
	cr_assert_eq(a.n_q, 2); /* the host candidate, end-of-candidates */
	/* no new credentials yet: data still flows on the old pair */
	data_both_ways(&a, &b);
	advance(&a, &b, 500);
	data_both_ways(&a, &b);
	exchange(&a, &b);
	a.queue = b.queue = false;
	for (size_t i = 0; i < a.n_q; i++)
		on_candidate(&a, a.q[i]);
	for (size_t i = 0; i < b.n_q; i++)
		on_candidate(&b, b.q[i]);
	advance(&a, &b, 2000);
	cr_assert_gt(a.selected, sel, "%s", a.logs);
	cr_assert_eq(tern_ice_state(a.ag), TERN_ICE_COMPLETED, "%s", a.logs);
	data_both_ways(&a, &b);
	side_free(&a);
	side_free(&b);
}

Test(ice_agent, fails_when_no_pair_answers)
{
	struct side a, none = { 0 };
	char why[128];

	side_new(&a, &none, true);
	cr_assert_eq(tern_ice_gather(a.ag), 0);
	cr_assert_eq(
	    tern_ice_set_remote(a.ag, "abcd", "0123456789abcdefghijkl"), 0);
	/* a port nobody answers STUN on (discard) */
	cr_assert_eq(tern_ice_add_remote(a.ag,
					 "candidate:1 1 udp 2130706431 "
					 "127.0.0.1 9 typ host",
					 why, sizeof(why)),
		     0);
	advance(&a, &none, 3000);
	cr_assert_eq(tern_ice_state(a.ag), TERN_ICE_CHECKING);
	/* the check gives up after Rc requests (about 6.3 s), but failed
	 * waits for the end of the remote candidates */
	advance(&a, &none, 5000);
	cr_assert_eq(tern_ice_state(a.ag), TERN_ICE_CHECKING);
	tern_ice_end_of_candidates(a.ag);
	advance(&a, &none, 10);
	cr_assert_eq(tern_ice_state(a.ag), TERN_ICE_FAILED);
	cr_assert_eq(a.states[0], TERN_ICE_CHECKING);
	cr_assert_eq(a.states[1], TERN_ICE_FAILED);
	side_free(&a);
}

Test(ice_agent, remote_lines)
{
	struct side a;
	char why[128] = "";
	struct tern_ice *ag;
	struct tern_ice_server bad = { .url = "http://x" };
	struct tern_ice_opts o = { .servers = &bad, .n_servers = 1 };

	side_new(&a, NULL, true);
	/* malformed: a clear error, nothing changes */
	cr_assert_eq(
	    tern_ice_add_remote(a.ag, "candidate:1 1 udp x", why, sizeof(why)),
	    EBADMSG);
	cr_assert_neq(why[0], '\0');
	cr_assert_eq(a.ag->cl.n_remote, 0);
	/* Chromium's mDNS host candidate: dropped with a log line */
	cr_assert_eq(tern_ice_add_remote(
			 a.ag,
			 "a=candidate:2395300328 1 udp 2113937151 "
			 "2c6b5a3e-54b1-4e42-9f1d-6b3a0d1f6f2e.local 52945 "
			 "typ host generation 0 network-cost 999",
			 why, sizeof(why)),
		     0);
	cr_assert_eq(a.ag->cl.n_remote, 0);
	cr_assert(strstr(a.logs, "mDNS"));
	/* a TCP candidate is not for this UDP agent */
	cr_assert_eq(tern_ice_add_remote(a.ag,
					 "candidate:3 1 tcp 1518280447 "
					 "192.0.2.1 9 typ host tcptype active",
					 why, sizeof(why)),
		     0);
	cr_assert_eq(a.ag->cl.n_remote, 0);
	cr_assert_eq(tern_ice_add_remote(a.ag,
					 "candidate:4 1 udp 2130706431 "
					 "192.0.2.1 5000 typ host",
					 why, sizeof(why)),
		     0);
	cr_assert_eq(a.ag->cl.n_remote, 1);
	tern_ice_end_of_candidates(a.ag);
	cr_assert_eq(tern_ice_add_remote(a.ag,
					 "candidate:5 1 udp 2130706431 "
					 "192.0.2.1 5001 typ host",
					 why, sizeof(why)),
		     EALREADY);
	cr_assert_eq(tern_ice_send(a.ag, "x", 1), ENOTCONN);
	/* a bad server URL: refused with the reason */
	cr_assert_eq(tern_ice_new(&ag, a.base, &o, why, sizeof(why)), EINVAL);
	cr_assert(strstr(why, "http://x"), "%s", why);
	side_free(&a);
}

/* A third party that speaks for the controlling side (it knows its
 * credentials) from another address, nominating its own pair: the
 * controlled agent must accept the later nomination (renomination) and
 * move the selected pair there. */
Test(ice_agent, controlled_accepts_renomination)
{
	struct side a, b;
	struct tern_ice_pair_info ib;
	struct sockaddr_in bt = { 0 }, me = { 0 };
	socklen_t sl = sizeof(me);
	uint8_t msg[512], tid[STUN_TID_SIZE] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	uint8_t tb[8] = { 0 };
	char user[128];
	struct stun_enc e;
	struct stun_msg m;
	size_t len;
	ssize_t n;
	int fd, got = 0;

	connect_pair(&a, &b, true, false);
	cr_assert_eq(tern_ice_selected(b.ag, &ib), 0);
	memcpy(&bt, &ib.local_addr, sizeof(bt));
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	me.sin_family = AF_INET;
	me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&me, sizeof(me)), 0);
	getsockname(fd, (struct sockaddr *)&me, &sl);
	/* a check with USE-CANDIDATE, signed as the controlling side */
	snprintf(user, sizeof(user), "%s:%s", tern_ice_ufrag(b.ag),
		 tern_ice_ufrag(a.ag));
	stun_enc_init(&e, msg, sizeof(msg), STUN_METHOD_BINDING,
		      STUN_CLASS_REQUEST, tid);
	stun_enc_text(&e, STUN_ATTR_USERNAME, user, strlen(user));
	stun_enc_u32(&e, STUN_ATTR_PRIORITY, 1853824767);
	stun_enc_attr(&e, STUN_ATTR_ICE_CONTROLLING, tb, 8);
	stun_enc_attr(&e, STUN_ATTR_USE_CANDIDATE, NULL, 0);
	stun_enc_mi(&e, (const uint8_t *)tern_ice_pwd(b.ag),
		    strlen(tern_ice_pwd(b.ag)));
	stun_enc_fingerprint(&e);
	cr_assert_eq(stun_enc_finish(&e, &len), 0);
	cr_assert_eq(
	    sendto(fd, msg, len, 0, (struct sockaddr *)&bt, sizeof(bt)),
	    (ssize_t)len);
	/* answer b's checks to us, signed with a's password */
	for (int i = 0; i < 200 && got < 2; i++) {
		advance(&a, &b, 5);
		while ((n = recv(fd, msg, sizeof(msg), 0)) > 0) {
			uint8_t rsp[256];
			struct sa src;
			cr_assert_eq(stun_msg_decode(&m, msg, (size_t)n, 0), 0);
			if (m.cls == STUN_CLASS_SUCCESS) {
				got++; /* b answered our check */
				continue;
			}
			if (m.cls != STUN_CLASS_REQUEST)
				continue;
			sa_set_sockaddr(&src, (struct sockaddr *)&bt,
					sizeof(bt));
			stun_enc_reply(&e, rsp, sizeof(rsp), &m,
				       STUN_CLASS_SUCCESS);
			stun_enc_xaddr(&e, STUN_ATTR_XOR_MAPPED_ADDRESS, &src);
			stun_enc_mi(&e, (const uint8_t *)tern_ice_pwd(a.ag),
				    strlen(tern_ice_pwd(a.ag)));
			stun_enc_fingerprint(&e);
			cr_assert_eq(stun_enc_finish(&e, &len), 0);
			sendto(fd, rsp, len, 0, (struct sockaddr *)&bt,
			       sizeof(bt));
			got++;
		}
	}
	cr_assert_eq(got, 2, "%s", b.logs);
	advance(&a, &b, 20);
	cr_assert_eq(tern_ice_selected(b.ag, &ib), 0);
	cr_assert_eq(((struct sockaddr_in *)&ib.remote_addr)->sin_port,
		     me.sin_port, "%s", b.logs);
	cr_assert(ib.nominated);
	cr_assert_str_eq(ib.remote_type, "prflx");
	cr_assert(strstr(b.logs, "peer-reflexive"));
	close(fd);
	side_free(&a);
	side_free(&b);
}
