/*
 * probe.h — turn-probe, the operator's STUN/TURN diagnostics (turn-probe(1)).
 *
 * Layout (src/tools/probe/):
 *   main.c      main: read the command line, probe every target, report
 *   cli.c       command line into a const struct probe_opts
 *   targets.c   the list of targets to probe
 *   ice.c       the iceServers JSON browsers take, through libtern (pure)
 *   net.c       name resolution and TCP reachability
 *   stun.c      Binding, mapped address, RFC 5780 NAT behaviour
 *   nat.c       RFC 5780 mapping and filtering behaviour
 *   turn.c      authentication, allocation, relay round trip (libtern)
 *   relay.c     the relay round trip's packets and figures (libtern)
 *   session.h   what stun.c, turn.c and relay.c share: one libtern client
 *   tls.c       certificate chain, expiry, name and ALPN (OpenSSL)
 *   report.c    the checks as text or one JSON object
 * and from src/tools/common/, shared with tern-admin:
 *   uri.c       RFC 7064 / RFC 7065 URIs (pure)
 *   cred.c      TURN REST API credentials (pure)
 *
 * Every check ends as one struct probe_check in a struct probe_report; the
 * report owns nothing but fixed-size text, so a failing check cannot leak.
 */
#ifndef TERN_TOOLS_PROBE_PROBE_H
#define TERN_TOOLS_PROBE_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/cidr.h"
#include "base/sa.h"

#include "tools/common/cred.h"
#include "tools/common/uri.h"

/* ---- targets: a URI and the credentials to use with it ----------------- */

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
 * and append one target per URL to out. libtern's tern_ice_servers_parse
 * (tern/ice_servers.h) reads the JSON and checks what a browser checks
 * (WebRTC §4.4.1.1: "url" accepted like "urls", a turn:/turns: URL needs
 * username and credential, credentialType only "password"); here each URL
 * must also parse as a probe_uri, the credentials must fit a target, and
 * the list must not be empty. Returns 0, EINVAL (with a sentence in why)
 * or ENOMEM; on error out holds what it held before.
 */
int probe_ice_parse(struct probe_targets *out, const char *json, size_t len,
		    char *why, size_t whylen);

/* ---- options ----------------------------------------------------------- */

#define PROBE_MAX_PRIVATE 8

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
	/* --private: more ranges counted as private when judging the
	 * relayed address (a network that uses public space inside) */
	struct cidr private_nets[PROBE_MAX_PRIVATE];
	unsigned nprivate;
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
