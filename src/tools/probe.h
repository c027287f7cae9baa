/*
 * probe.h — turn-probe, the operator's STUN/TURN diagnostics (turn-probe(1)).
 *
 * Layout:
 *   probe_main.c    main: read the command line, probe every target, report
 *   probe_cli.c     command line into a const struct probe_opts
 *   probe_uri.c     RFC 7064 / RFC 7065 URIs (pure)
 *   probe_ice.c     the iceServers JSON browsers take (pure, jansson)
 *   probe_cred.c    TURN REST API credentials (pure)
 *   probe_net.c     name resolution and TCP reachability
 *   probe_stun.c    Binding, mapped address, RFC 5780 NAT behaviour
 *   probe_turn.c    authentication, allocation, relay round trip (libtern)
 *   probe_tls.c     certificate chain, expiry, name and ALPN (OpenSSL)
 *   probe_report.c  the checks as text or one JSON object
 *
 * Every check ends as one struct probe_check in a struct probe_report; the
 * report owns nothing but fixed-size text, so a failing check cannot leak.
 */
#ifndef TERN_TOOLS_PROBE_H
#define TERN_TOOLS_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/sa.h"

/* ---- URIs (RFC 7064, RFC 7065) ---------------------------------------- */

enum probe_scheme { PROBE_STUN, PROBE_STUNS, PROBE_TURN, PROBE_TURNS };
enum probe_transport { PROBE_UDP, PROBE_TCP, PROBE_TLS };

#define PROBE_PORT     3478 /* RFC 8489 §18.6 */
#define PROBE_TLS_PORT 5349
#define PROBE_HOST_MAX 256

struct probe_uri {
	enum probe_scheme scheme;
	enum probe_transport transport;
	char host[PROBE_HOST_MAX]; /* IPv6 literals without the brackets */
	uint16_t port;
	bool ipv6_literal;
};

/*
 * Parse one URI:
 *   stun:host[:port]        stuns:host[:port]
 *   turn:host[:port][?transport=udp|tcp]
 *   turns:host[:port][?transport=tcp]
 * Schemes are case-insensitive (RFC 3986 §3.1); default ports 3478 and 5349;
 * IPv6 literals in brackets. Returns 0 or EINVAL; on EINVAL a sentence for
 * the operator goes into why (why may be NULL) and *u is undefined.
 */
/* Write a reason into why (when given) and return EINVAL: the parsers'
 * one way to refuse input. */
int probe_fail(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

int probe_uri_parse(struct probe_uri *u, const char *text, char *why,
		    size_t whylen);

/* The URI back as text, with its transport spelled out:
 * "turn:[::1]:3478?transport=tcp". Returns buf. */
const char *probe_uri_print(const struct probe_uri *u, char *buf, size_t size);

static inline bool probe_uri_is_turn(const struct probe_uri *u)
{
	return u->scheme == PROBE_TURN || u->scheme == PROBE_TURNS;
}

static inline bool probe_uri_is_tls(const struct probe_uri *u)
{
	return u->transport == PROBE_TLS;
}

/* ---- targets: a URI and the credentials to use with it ----------------- */

#define PROBE_CRED_MAX 514 /* USERNAME is < 513 bytes (RFC 8489 §14.3) */

struct probe_target {
	struct probe_uri uri;
	char user[PROBE_CRED_MAX]; /* "" when none */
	char pass[PROBE_CRED_MAX];
};

/* A growable list of targets; free with probe_targets_free. */
struct probe_targets {
	struct probe_target *v;
	size_t n, cap;
};

/* Append a copy of t. Returns 0 or ENOMEM. */
int probe_targets_add(struct probe_targets *l, const struct probe_target *t);
/* Free the array (not l itself); l is empty afterwards. Accepts NULL. */
void probe_targets_free(struct probe_targets *l);

/*
 * Parse the iceServers JSON a browser's RTCPeerConnection takes:
 *   [ { "urls": "turn:..." | ["turn:...", ...], "username": "...",
 *       "credential": "..." }, ... ]
 * or the same array under { "iceServers": [...] } (an RTCConfiguration),
 * and append one target per URL to out. "url" (the pre-2013 spelling) is
 * accepted like "urls". As in browsers (WebRTC §4.2.1), a turn:/turns: URL
 * without username and credential is an error, and credentialType other than
 * "password" is refused. Returns 0, EINVAL (with a sentence in why) or
 * ENOMEM; on error out holds what it held before.
 */
int probe_ice_parse(struct probe_targets *out, const char *json, size_t len,
		    char *why, size_t whylen);

/*
 * TURN REST API credential (draft-uberti-behave-turn-rest-00 §2.2): username
 * "<expiry>:<name>" (just "<expiry>" for an empty name), password
 * base64(HMAC-SHA1(secret, username)). user and pass are PROBE_CRED_MAX
 * bytes. Returns 0, EINVAL (name too long) or ENOMEM.
 */
int probe_rest_cred(const char *secret, const char *name, int64_t expiry,
		    char *user, char *pass);

/* If user is a REST username ("<expiry>[:name]"), its expiry in *expiry and
 * true; false otherwise. */
bool probe_rest_expiry(const char *user, int64_t *expiry);

/* ---- options ----------------------------------------------------------- */

struct probe_opts {
	struct probe_targets targets;
	const char *realm; /* NULL: take the server's */
	const char *ca;	   /* NULL: the system store */
	double timeout;	   /* seconds per transaction */
	unsigned count;	   /* relay packets; 0: rate * duration */
	unsigned rate;	   /* packets per second */
	double duration;   /* seconds */
	unsigned size;	   /* relay payload bytes */
	bool json;
};

/*
 * Read argv into *o (its targets list owned by *o, free with
 * probe_opts_free). Returns 0, EINVAL on a usage error (message printed to
 * err), ECANCELED when --help was printed, or ENOMEM.
 */
int probe_cli_parse(struct probe_opts *o, int argc, char **argv, FILE *err);
void probe_cli_usage(FILE *f);
void probe_opts_free(struct probe_opts *o);

/* ---- the report -------------------------------------------------------- */

enum probe_status {
	PROBE_OK,
	PROBE_FAIL,
	PROBE_WARN, /* passed, with something the operator should know */
	PROBE_SKIP, /* not applicable or not supported; not a failure */
};

#define PROBE_TEXT 384

struct probe_check {
	char name[32];
	enum probe_status status;
	char detail[PROBE_TEXT];
	char hint[PROBE_TEXT]; /* what to do about it; "" when nothing */
};

/* The relay round trip's figures (check 7). */
struct probe_relay_stats {
	bool valid;
	unsigned sent, received, size;
	double seconds;
	double rtt_p50_ms, rtt_p99_ms, rtt_min_ms, rtt_max_ms;
	double jitter_ms; /* mean |RTT(i) - RTT(i-1)|, RFC 3550 §6.4.1 style */
	double loss_pct;
	double kbps; /* relayed payload, both directions */
};

#define PROBE_MAX_CHECKS 24

/* Everything found about one target. */
struct probe_result {
	char uri[PROBE_HOST_MAX + 64];
	struct probe_check checks[PROBE_MAX_CHECKS];
	size_t nchecks;
	/* figures for --json, "" / 0 when not found */
	char addrs[PROBE_TEXT];
	char mapped[SA_STRLEN];
	char relayed[SA_STRLEN];
	char realm[PROBE_CRED_MAX];
	uint32_t lifetime;
	char nat_mapping[64], nat_filtering[64];
	bool has_tls; /* tls_days_left is meaningful */
	int tls_days_left;
	char alpn[32];
	struct probe_relay_stats relay;
};

/* Add a check; detail and hint are printf formats (hint may be NULL).
 * Beyond PROBE_MAX_CHECKS the last slot is overwritten with a failure, so
 * a bug cannot hide a failure. Returns the check. */
struct probe_check *probe_add(struct probe_result *r, const char *name,
			      enum probe_status st, const char *hint,
			      const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Set the hint of a check already added (printf format). */
void probe_hint(struct probe_check *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

bool probe_result_ok(const struct probe_result *r);

/* Print results as text (one line per check, hints indented below). */
void probe_report_text(FILE *f, const struct probe_result *r, size_t n);
/* Print one JSON object {"ok", "targets": [...]}. Returns 0 or ENOMEM. */
int probe_report_json(FILE *f, const struct probe_result *r, size_t n);

/* ---- the checks -------------------------------------------------------- */

/* Checks 1 and 2 for TCP and TLS: resolve the host (every address into
 * r->addrs, the first usable one into *server), then connect over TCP.
 * Returns 0 when the later checks can go on, EHOSTUNREACH otherwise (the
 * failure is already in r). */
int probe_resolve(const struct probe_opts *o, const struct probe_uri *u,
		  struct probe_result *r, struct sa *server);
int probe_tcp_reach(const struct probe_opts *o, const struct probe_uri *u,
		    const struct sa *server, struct probe_result *r);

/* Check 8: one TLS handshake on its own connection; certificate chain,
 * expiry, name and ALPN become four checks. */
void probe_tls(const struct probe_opts *o, const struct probe_uri *u,
	       const struct sa *server, struct probe_result *r);

/* Checks 2 (UDP), 3 and 4: a Binding, the mapped address, RFC 5780. */
void probe_stun(const struct probe_opts *o, const struct probe_target *t,
		const struct sa *server, struct probe_result *r);

/* Check 4 over UDP: RFC 5780 mapping and filtering behaviour. */
void probe_nat(const struct probe_opts *o, const struct sa *server,
	       struct probe_result *r);

/* Checks 5, 6 and 7 for turn:/turns: targets. */
void probe_turn(const struct probe_opts *o, const struct probe_target *t,
		const struct sa *server, struct probe_result *r);

/* Monotonic seconds, for timeouts and the relay's pacing. */
double probe_now(void);

#endif
