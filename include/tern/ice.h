/*
 * tern/ice.h — libtern's ICE agent (RFC 8445, trickle RFC 8838, consent
 * freshness RFC 7675), one data stream with one component, on the
 * caller's libevent base. No thread is started.
 *
 *   #include <tern/ice.h>         cc ... $(pkg-config --cflags --libs tern)
 *
 *   caller                         agent                      peer
 *   tern_ice_new(base, opts)       ufrag/pwd from the CSPRNG
 *   tern_ice_gather           ---> host sockets, STUN Binding (srflx),
 *                                  TURN Allocate (relay, UDP/TCP/TLS)
 *     on_candidate(line)      <--- "candidate:... typ host" (one by one)
 *     on_gathered()           <--- no more local candidates
 *   tern_ice_set_remote(ufrag, pwd)
 *   tern_ice_add_remote(line) ---> pairs, checks paced every Ta ---->
 *   tern_ice_end_of_candidates
 *     on_state(CONNECTED)     <--- a pair succeeded                <----
 *     on_selected(info)       <--- the pair data goes over
 *   tern_ice_send(data)       ---> the selected pair ---------------->
 *     on_recv(data)           <--- data (RFC 7983: not STUN)      <----
 *                                  consent checks every ~1 s
 *   tern_ice_free
 *
 * Conventions as in tern/tern.h: functions return 0 or a positive errno
 * value; strings given in opts are copied; callbacks may call any function
 * of the agent, tern_ice_free included. After tern_ice_free, run the base
 * once before freeing it, as tern_client_free says (TURN over TCP/TLS).
 */
#ifndef TERN_ICE_H
#define TERN_ICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

struct event_base;
struct tern_ice;

/* As a browser's RTCPeerConnection.iceConnectionState. */
enum tern_ice_state {
	TERN_ICE_NEW,
	TERN_ICE_CHECKING,
	TERN_ICE_CONNECTED,
	TERN_ICE_COMPLETED,
	TERN_ICE_FAILED,
	TERN_ICE_DISCONNECTED,
	TERN_ICE_CLOSED,
};

/* "new", "checking", ... as the browser spells them. */
const char *tern_ice_state_name(enum tern_ice_state s);

/* iceTransportPolicy. */
enum tern_ice_policy {
	TERN_ICE_POLICY_ALL = 0,
	TERN_ICE_POLICY_RELAY = 1, /* only relayed local candidates */
};

/* One URL of an RTCIceServer (a host name is resolved with getaddrinfo
 * when gathering starts, which blocks like tern_client_alloc):
 * "stun:host[:port]", "turn:host[:port][?transport=udp|tcp]",
 * "turns:host[:port]". username and credential are for turn: and turns:
 * (ignored for stun:). */
struct tern_ice_server {
	const char *url;
	const char *username;
	const char *credential;
};

/* Longest candidate line the agent writes or reads, NUL included. */
#define TERN_ICE_LINE_MAX 1024

/* The selected pair. */
struct tern_ice_pair_info {
	char local[TERN_ICE_LINE_MAX]; /* candidate lines, without "a=" */
	char remote[TERN_ICE_LINE_MAX];
	const char *local_type; /* "host", "srflx", "prflx", "relay" */
	const char *remote_type;
	/* Where the agent sends from (for a relay: the relayed address)
	 * and to. */
	struct sockaddr_storage local_addr, remote_addr;
	/* The address the peer saw us at (XOR-MAPPED-ADDRESS of the last
	 * successful check): differs from local_addr when the local side is
	 * peer-reflexive. */
	struct sockaddr_storage mapped;
	/* For a relay: "udp", "tcp" or "tls" (the transport to the TURN
	 * server); "" otherwise. */
	const char *relay_proto;
	unsigned rtt_ms; /* of the last successful check or consent check */
	bool nominated;
};

struct tern_ice_opts {
	/* Role at start (a 487 or a peer's tie-breaker may change it). */
	bool controlling;
	/* STUN and TURN servers, as a browser's iceServers with one URL
	 * each. */
	const struct tern_ice_server *servers;
	size_t n_servers;
	enum tern_ice_policy policy;
	/* Trickle (RFC 8838): local candidates are announced as they are
	 * found. Without it they are announced all at once when gathering
	 * ends, just before on_gathered. */
	bool trickle;
	/* Host candidates on loopback (127.0.0.0/8, ::1) and on IPv6
	 * link-local addresses are skipped unless asked for. */
	bool loopback;
	bool link_local;
	/* Host candidates only on this interface ("lo", "eth0"); NULL: every
	 * interface that is up. */
	const char *interface;
	/* No IPv4 / no IPv6 candidates. */
	bool no_ipv4, no_ipv6;
	/* turns: servers: the trusted CAs (NULL: the system's), or no
	 * verification at all (tests). */
	const char *ca_file;
	bool insecure;
	/* Consent (RFC 7675): disconnected after this long without an
	 * answer, 0: 5000 ms; failed after consent_fail_ms, 0: 30000 ms.
	 * A consent check goes out about every consent_interval_ms, 0:
	 * 1000 ms (randomised ±20 %). */
	unsigned disconnect_ms, consent_fail_ms, consent_interval_ms;
	/* Give up gathering from a server after this long, 0: 5000 ms. */
	unsigned gather_timeout_ms;
	/* Injectable clock for tests: milliseconds on a monotonic scale.
	 * When set the agent arms no timer of its own: the caller calls
	 * tern_ice_tick after moving the clock. NULL: CLOCK_MONOTONIC and
	 * a libevent timer. */
	uint64_t (*clock)(void *arg);
	void *clock_arg;

	/* Callbacks (any may be NULL); arg is passed to each. */
	void (*on_candidate)(void *arg, const char *line);
	void (*on_gathered)(void *arg);
	void (*on_state)(void *arg, enum tern_ice_state state);
	void (*on_recv)(void *arg, const uint8_t *data, size_t len);
	void (*on_selected)(void *arg, const struct tern_ice_pair_info *info);
	/* A line for the log (one sentence, no newline), e.g. why a remote
	 * mDNS candidate was dropped. */
	void (*on_log)(void *arg, const char *line);
	void *arg;
};

/*
 * Create an agent on base (borrowed, must outlive it); opts is copied.
 * Draws the local ufrag, password and tie-breaker. Nothing is sent yet.
 * Returns 0, EINVAL (a bad URL: *why says which when why is given),
 * ENOMEM, EIO (no randomness).
 */
int tern_ice_new(struct tern_ice **ap, struct event_base *base,
		 const struct tern_ice_opts *opts, char *why, size_t why_size);

/* Start gathering (host sockets now, servers asynchronously). Once only.
 * Returns 0, EALREADY, or a socket errno when no host socket opened. */
int tern_ice_gather(struct tern_ice *a);

/* The local ufrag and password (NUL-terminated, valid until the next
 * restart or free). */
const char *tern_ice_ufrag(const struct tern_ice *a);
const char *tern_ice_pwd(const struct tern_ice *a);

/* The remote ufrag and password (copied). Checks start once these and a
 * remote candidate are known. Returns 0 or EINVAL. */
int tern_ice_set_remote(struct tern_ice *a, const char *ufrag, const char *pwd);

/*
 * One remote candidate line ("a=candidate:...", "candidate:..."), or an
 * end-of-candidates line (then as tern_ice_end_of_candidates). Returns 0,
 * EBADMSG (malformed: a sentence in why), ENOSPC (too many remote
 * candidates), EALREADY (after end-of-candidates). On error nothing
 * changes. A remote mDNS (.local) candidate is dropped with a log line and
 * returns 0: the pair forms through the peer-reflexive path.
 */
int tern_ice_add_remote(struct tern_ice *a, const char *line, char *why,
			size_t why_size);
void tern_ice_end_of_candidates(struct tern_ice *a);

/* Send a datagram on the selected pair. Returns 0, ENOTCONN (no pair
 * yet, or failed/closed), EMSGSIZE, or a socket errno. */
int tern_ice_send(struct tern_ice *a, const void *data, size_t len);

enum tern_ice_state tern_ice_state(const struct tern_ice *a);
bool tern_ice_controlling(const struct tern_ice *a);

/* The selected pair into *info. Returns 0 or ENOTCONN when none. */
int tern_ice_selected(const struct tern_ice *a,
		      struct tern_ice_pair_info *info);

/*
 * ICE restart (RFC 8445 §9): new local ufrag and password, the remote
 * credentials and candidates forgotten (set them again from the peer's
 * new description); local candidates are announced again (with
 * on_gathered). Data keeps flowing on the selected pair until checks
 * with the new credentials select one. Returns 0, EIO, ENOTCONN (closed).
 */
int tern_ice_restart(struct tern_ice *a);

/* With opts.clock: run what is due now. Returns the milliseconds until
 * the next thing due (for the caller's timer). Without opts.clock the
 * agent does this itself. */
unsigned tern_ice_tick(struct tern_ice *a);

/* Stop: state closed (reported), sockets and allocations released, no
 * further callback. The agent must still be freed. */
void tern_ice_close(struct tern_ice *a);

/* Close and free. Accepts NULL. Safe from a callback of this agent. */
void tern_ice_free(struct tern_ice *a);

#ifdef __cplusplus
}
#endif

#endif
