/*
 * ice_agent_input.c — libFuzzer target for what the ICE agent does with a
 * datagram from the network (src/client/ice_agent.c: ice_input, the
 * connectivity-check requests and responses, consent, role conflicts,
 * peer-reflexive learning, nomination), the part of libtern a remote
 * party reaches without any signaling.
 *
 * Each input gets a fresh agent on a fake clock: remote credentials set,
 * one host candidate (no socket: what it sends goes nowhere), one remote
 * candidate, its check started. Input: byte 0 chooses how to present the
 * rest, a STUN message or data: bit 0 signs it with the local password (a
 * request from the peer) or the remote one (a response to us), bit 1 puts
 * the pair's check transaction id into it (so a response matches), bit 2
 * sends it from the remote candidate or from another address (and, with
 * bit 0, a USERNAME gets the agent's random ufrag), bit 3 lets
 * 6 s pass after it (retransmissions, failure, consent ages). Messages are
 * signed with tests/fuzz/sign.c, or nothing behind MESSAGE-INTEGRITY would
 * ever run.
 *
 * Checked: no crash, no sanitizer report, no leak; the state is one of the
 * seven; a selected pair, when there is one, names candidates the agent
 * has.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <event2/event.h>

#include "client/ice_agent.h"
#include "fuzz.h"
#include "sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t fz_now;

static uint64_t fz_clock(void *arg)
{
	(void)arg;
	return fz_now;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct event_base *base;
	struct tern_ice_opts o = { .controlling = true,
				   .clock = fz_clock,
				   .trickle = true };
	struct tern_ice *ag;
	struct tern_ice_pair_info in;
	struct fz_layout l;
	struct sa host, src;
	uint8_t msg[2048];
	size_t len;
	uint8_t mode;

	if (size < 1 || size > sizeof(msg) + 1)
		return 0;
	if (!base)
		base = event_base_new();
	fz_now = 1000000;
	mode = data[0];
	o.controlling = mode & 16;
	if (tern_ice_new(&ag, base, &o, NULL, 0))
		return 0;
	tern_ice_set_remote(ag, "rUfr", "remote-password-0123456789");
	sa_set_str(&host, "192.0.2.1", 4000);
	ice_add_local(ag, ICE_HOST, &host, &host, NULL, -1, -1, 0,
		      ICE_RELAY_UDP, NULL);
	tern_ice_add_remote(ag,
			    "candidate:1 1 udp 2130706431 198.51.100.7 5000 "
			    "typ host",
			    NULL, 0);
	tern_ice_tick(ag); /* the first check: a tid to answer */

	len = size - 1;
	memcpy(msg, data + 1, len);
	if (mode & 2 && len >= 20 && ag->cl.n_pairs)
		memcpy(msg + 8, ag->cl.pairs[0].tid, ICE_TID_SIZE);
	if (fz_scan(msg, len, &l)) {
		/* our ufrag is random: a USERNAME of 8 bytes or more starts
		 * with it, so requests get past the USERNAME check */
		if (mode & 1 && l.user >= 0 && l.user_len >= 8 &&
		    (size_t)l.user + 4 + 8 <= len)
			memcpy(msg + l.user + 4, tern_ice_ufrag(ag), 8);
		const char *key =
		    mode & 1 ? tern_ice_pwd(ag) : "remote-password-0123456789";
		fz_sign(msg, len, &l, (const uint8_t *)key, strlen(key));
	}
	if (mode & 4)
		sa_set_str(&src, "198.51.100.7", 5000);
	else
		sa_set_str(&src, "203.0.113.9", 6000);
	ice_input(ag, 0, &src, msg, len);
	fz_now += 5;
	tern_ice_tick(ag);
	if (mode & 8) {
		for (int i = 0; i < 60; i++) {
			fz_now += 100;
			tern_ice_tick(ag);
		}
	}
	CHECK((unsigned)tern_ice_state(ag) <= TERN_ICE_CLOSED);
	if (tern_ice_selected(ag, &in) == 0)
		CHECK(in.local_type && in.remote_type);
	CHECK(ag->cl.n_remote <= ICE_REMOTE_MAX);
	tern_ice_free(ag);
	return 0;
}
