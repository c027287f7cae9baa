/*
 * srtp.h — SRTP and SRTCP (RFC 3711, AES-GCM RFC 7714) through libsrtp2,
 * keyed by the DTLS handshake (dtls.h). One session for what we send (any
 * of our SSRCs) and one for what we receive (any of the peer's), each
 * with libsrtp2's replay window.
 *
 * RTP or RTCP on one port (RFC 5761 §4): the second byte of an RTCP
 * packet is its packet type, 192..223 (SR 200, RR 201, SDES 202, BYE 203,
 * RTPFB 205, PSFB 206...); in RTP that byte is the marker bit and the
 * payload type, which WebRTC keeps out of that range.
 */
#ifndef TERN_PEER_SRTP_H
#define TERN_PEER_SRTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peer/dtls.h"

struct peer_srtp;

/* Room protect needs after the packet (tag and MKI). */
#define PEER_SRTP_TRAILER 144

/* Whether a muxed packet is RTCP (RFC 5761 §4). */
bool peer_srtp_is_rtcp(const uint8_t *data, size_t len);

/* Sessions from the exported keys. Returns 0, ENOMEM or EIO. */
int peer_srtp_new(struct peer_srtp **sp, const struct peer_srtp_keys *keys);
void peer_srtp_free(struct peer_srtp *s);

/*
 * Protect the RTP or RTCP packet in buf (*len bytes, cap bytes of room:
 * at least *len + PEER_SRTP_TRAILER) in place. Returns 0, EMSGSIZE, or
 * EBADMSG (libsrtp2 refused it: not RTP).
 */
int peer_srtp_protect(struct peer_srtp *s, uint8_t *buf, size_t *len,
		      size_t cap);

/*
 * Unprotect an SRTP or SRTCP packet in place. Returns 0, EBADMSG (does
 * not authenticate, or malformed), or EALREADY (a replay: already
 * received, or older than the window).
 */
int peer_srtp_unprotect(struct peer_srtp *s, uint8_t *buf, size_t *len);

#endif
