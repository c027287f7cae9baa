/*
 * tern/ice_servers.h — a browser's iceServers JSON (WebRTC 1.0 §4.2.1,
 * RTCIceServer) into the list tern_ice_opts.servers takes: one
 * struct tern_ice_server per URL, each with its entry's credentials.
 *
 *   [ { "urls": "turn:..." | ["turn:...", ...],
 *       "username": "...", "credential": "..." }, ... ]
 *   { "iceServers": [ ... ] }             (an RTCConfiguration)
 *
 * Part of libtern only when it was built with jansson (configure
 * --with-jansson); the header is installed only then.
 *
 *   struct tern_ice_servers l = { 0 };
 *   if (tern_ice_servers_parse(&l, text, strlen(text), why, sizeof(why)))
 *           fprintf(stderr, "--ice-servers: %s\n", why);
 *   opts.servers = l.v;
 *   opts.n_servers = l.n;
 *   tern_ice_new(&ice, base, &opts, ...);    (copies the strings)
 *   tern_ice_servers_free(&l);
 */
#ifndef TERN_ICE_SERVERS_H
#define TERN_ICE_SERVERS_H

#include <stddef.h>

#include <tern/ice.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A parsed list; the strings v points to belong to the list. */
struct tern_ice_servers {
	struct tern_ice_server *v; /* n entries, for tern_ice_opts.servers */
	size_t n;
	char **mem; /* private: the block holding v[i]'s strings */
};

/*
 * Parse len bytes of JSON into *out, which must be empty ({ 0 } or
 * freed). Checks what a browser's RTCPeerConnection checks (WebRTC 1.0
 * §4.4.1.1, "validate an ICE server"): every entry is an object; "urls"
 * (or "url", the pre-2013 spelling) is a URL or a non-empty array of
 * them, each stun:, stuns:, turn: or turns:; "username" and "credential"
 * are strings (null and absent alike: NULL in the result); a turn: or
 * turns: URL needs both; "credentialType", when present, is "password".
 * Duplicate keys are refused. The URLs' syntax beyond the scheme is the
 * consumer's to check (the agent's in tern_ice_new). An empty list is
 * valid, as for a browser.
 *
 * Returns 0, EINVAL with a sentence in why (no prefix, e.g. "entry 2:
 * \"urls\" must be a string or an array of strings"; entries count from
 * 1) or ENOMEM; on error *out stays empty. why may be NULL.
 */
int tern_ice_servers_parse(struct tern_ice_servers *out, const char *json,
			   size_t len, char *why, size_t why_size);

/* Free what the list holds (not l itself); l is empty afterwards and may
 * be parsed into again. Accepts NULL. */
void tern_ice_servers_free(struct tern_ice_servers *l);

#ifdef __cplusplus
}
#endif

#endif
