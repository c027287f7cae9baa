/*
 * sig.h — tern-peer's signaling client: JSON messages over a WebSocket
 * (subprotocol "json") to tern-signal, the classic WebRTC chat sample's
 * protocol (see src/signal/room.h for the server's side), on libevent.
 * Plus the one HTTP request beside it: GET /turn-credentials with the
 * session's token.
 */
#ifndef TERN_PEER_SIG_H
#define TERN_PEER_SIG_H

#include <stddef.h>

#include <jansson.h>

struct event_base;
struct peer_sig;

struct peer_sig_opts {
	const char *url;			    /* ws://host:port/path */
	void (*on_message)(void *arg, json_t *msg); /* borrowed */
	/* The connection ended (why: a sentence). No callback follows. */
	void (*on_close)(void *arg, const char *why);
	void *arg;
};

/* Connect (the host is resolved now, blocking). Returns 0, EINVAL (a URL
 * that is not ws://host:port/path: why says so), ENOMEM, or an errno. */
int peer_sig_new(struct peer_sig **sp, struct event_base *base,
		 const struct peer_sig_opts *opts, char *why, size_t why_size);

/* Send one message (not stolen). Queued until the handshake is done. */
void peer_sig_send(struct peer_sig *s, json_t *msg);

void peer_sig_free(struct peer_sig *s);

/*
 * GET /turn-credentials from the server of url with "Authorization:
 * Bearer token" (blocking, 5 s at most). Returns the parsed JSON body
 * ({username, credential, ttl, urls}; the caller decrefs) or NULL with a
 * sentence in why.
 */
json_t *peer_sig_turn_credentials(const char *url, const char *token, char *why,
				  size_t why_size);

#endif
