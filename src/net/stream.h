/*
 * stream.h — TCP and TLS listeners and their connections, with STUN /
 * ChannelData framing (RFC 8489 §6.2.2, RFC 8656 §12.5).
 *
 * A worker owns one listener per address and stream transport. Each
 * accepted connection is a bufferevent (plain, or OpenSSL for TLS); its
 * input is cut into frames with stun_frame_len():
 *
 *   evbuffer: | STUN 20+len | ChannelData 4+len+pad | STUN 20+l... |
 *              `-- frame --' `------- frame -------' `- partial: wait
 *
 * Every complete frame goes up through the listener's net_input_fn with
 * pkt->conn set; replies come back through net_conn_send(pkt->conn, ...),
 * which appends to the connection's output (dropped, and counted, once
 * NET_STREAM_OUT_MAX bytes wait there).
 *
 * A connection is closed when its bytes cannot be framed or the input
 * function returns EBADMSG (garbage), when nothing arrives for
 * idle_ms, when a started frame stays incomplete for frame_ms (a client
 * trickling a byte a second holds no connection for long), and when a TLS
 * handshake takes longer than handshake_ms, and when it has not been
 * marked authed (net_conn.authed) alloc_ms after it was accepted.
 * Connections over env->limits->max_conns (whole server) or its
 * max_per_addr (one client address) are accepted and closed at once.
 */
#ifndef TERN_NET_STREAM_H
#define TERN_NET_STREAM_H

#include <stdbool.h>

#include <openssl/ssl.h>

#include "base/sa.h"
#include "net/net.h"

struct net_stream_listener;

/*
 * Listen on addr (SO_REUSEPORT; IPV6_V6ONLY) on env's event_base: plain
 * TCP when tls is NULL, else TLS with that server context (borrowed; it
 * must outlive the listener). probe: as for net_udp_sock_alloc. Frames go
 * to fn(arg, pkt); every connection's end is reported to closed(arg, c)
 * (may be NULL). env, fn, closed and arg are kept. Returns 0, or the errno
 * of socket/bind/listen, or ENOMEM.
 */
int net_stream_listener_alloc(struct net_stream_listener **lp,
			      struct net_env *env, const struct sa *addr,
			      SSL_CTX *tls, bool probe, net_input_fn fn,
			      net_closed_fn closed, void *arg);

/* Stop listening and close every connection the listener accepted (not
 * counted as closes, but reported to `closed`). Accepts NULL. */
void net_stream_listener_free(struct net_stream_listener *l);

/*
 * A reload's new TLS server context for a TLS listener (ignored for a
 * plain TCP one, or when tls is NULL): connections accepted from now on
 * use it; those already accepted keep the context they started with (an
 * SSL holds a reference to its SSL_CTX). tls is borrowed as in alloc. Call
 * on the listener's own thread.
 */
void net_stream_listener_set_tls(struct net_stream_listener *l, SSL_CTX *tls);

/* Steer the SO_REUSEPORT group of l (n listeners, listening in worker
 * order) by client address: the program runs on each SYN
 * (net_steer_attach, steer.h). Returns 0 or its errno. */
int net_stream_listener_steer(struct net_stream_listener *l, unsigned n);

#endif
