/*
 * call.h — one call of tern-peer: the ICE agent, DTLS-SRTP and the media
 * pipeline tied together by offer and answer (JSEP, RFC 8829).
 *
 *   offerer                                answerer
 *   peer_call_offer --> on_description("offer")  ~~signaling~~>
 *                                          peer_call_remote("offer")
 *                   <~~signaling~~  on_description("answer")
 *   peer_call_remote("answer")
 *   candidates both ways: inline, or on_candidate / peer_call_candidate
 *   ICE connected -> DTLS handshake (a=setup:active is the client)
 *     -> keys -> SRTP -> media starts
 *
 *   a datagram from the ICE pair (RFC 7983):
 *     20..63   -> DTLS
 *     128..191 -> SRTP unprotect -> peer_media_input
 *   peer_media send -> SRTP protect -> tern_ice_send
 *
 * A second offer in the same call (renegotiation) is answered with the
 * same ICE credentials and DTLS role; nothing restarts.
 */
#ifndef TERN_PEER_CALL_H
#define TERN_PEER_CALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tern/ice.h>

#include "peer/dtls.h"
#include "peer/media.h"

struct event_base;
struct peer_call;

struct peer_call_opts {
	/* The ICE agent's options: servers, policy, interface, loopback...
	 * Its callbacks, role and trickle are the call's own. */
	struct tern_ice_opts ice;
	/* The media pipeline's; send is the call's own. */
	struct peer_media_opts media;
	/* Candidates trickled through on_candidate once the description
	 * is out (signaling); false: the description waits for gathering to
	 * end and carries them all (file exchange). */
	bool trickle;
	/* Something to send: false answers recvonly. */
	bool audio, video;
	void (*on_description)(void *arg, const char *type, const char *sdp);
	void (*on_candidate)(void *arg, const char *line); /* "" at the end */
	/* The call ended: the peer hung up (DTLS close_notify: hangup
	 * true), or ICE failed, DTLS failed, the fingerprint did not match
	 * (why is a sentence). No callback follows; free the call. */
	void (*on_end)(void *arg, bool hangup, const char *why);
	/* One line for the log. */
	void (*on_log)(void *arg, const char *line);
	void *arg;
};

/*
 * A call on base with our certificate cert (borrowed). Opens the media
 * sources now (a missing camera fails here, with a sentence in why).
 * Returns 0, EINVAL, ENOMEM, or the media's errno.
 */
int peer_call_new(struct peer_call **cp, struct event_base *base,
		  const struct peer_call_opts *opts,
		  const struct peer_cert *cert, char *why, size_t why_size);

/* Gather and send an offer (on_description). Returns 0 or an errno. */
int peer_call_offer(struct peer_call *c);

/*
 * The peer's description, type "offer" or "answer". An offer is answered
 * (on_description). Returns 0, or EBADMSG / EPROTO with a sentence in why
 * (the call is not usable then: end it).
 */
int peer_call_remote(struct peer_call *c, const char *type, const char *sdp,
		     char *why, size_t why_size);

/* One trickled remote candidate line; "" or end-of-candidates ends them.
 * Returns 0 or EBADMSG (why). */
int peer_call_candidate(struct peer_call *c, const char *line, char *why,
			size_t why_size);

struct peer_call_status {
	const char *state; /* "new", "checking", "connected", ... */
	bool secure;	   /* DTLS done, SRTP keyed */
	char pair[64];	   /* "relay/host udp" */
	unsigned rtt_ms;
	uint64_t srtp_dropped;	/* did not authenticate */
	uint64_t srtp_replayed; /* refused by the replay check */
	struct peer_media_stats media;
};
void peer_call_status(const struct peer_call *c, struct peer_call_status *st);

/* The mid of the bundled m-line ("0" before any exchange): the sdpMid
 * of trickled candidates. */
const char *peer_call_mid(const struct peer_call *c);

/* Close: RTCP BYE, DTLS close_notify, ICE closed. Accepts NULL. */
void peer_call_free(struct peer_call *c);

#endif
