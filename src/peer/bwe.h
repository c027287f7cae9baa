/* bwe.h — the receive side's bandwidth estimate, sent back as REMB.
 *
 * Loss-based, as the loss controller of Google Congestion Control
 * (draft-ietf-rmcat-gcc-02 section 6) but run where the loss is seen: at
 * each RTCP interval, with the bits/s received in it and the fraction lost
 * (RFC 3550's 8-bit fraction). It starts at what the first interval
 * carried, then:
 *   - more than 10 % lost: it falls to rate * (1 - loss / 2);
 *   - under 2 %: it grows 5 % an interval;
 *   - in between: it is held;
 * and it never exceeds 1.5 times the rate received plus BWE_HEADROOM (so
 * it stays near what the path really carried, and a sender held back by
 * its own ceiling or its picture does not make it run away), nor falls
 * below BWE_MIN. An interval that carried nothing changes nothing.
 * No delay-based part: that needs the send times of transport-cc or
 * abs-send-time; docs/ARCHITECTURE.md says why not. */
#ifndef TERN_PEER_BWE_H
#define TERN_PEER_BWE_H

#include <stdbool.h>
#include <stdint.h>

#define BWE_MIN	     50000u  /* bits/s */
#define BWE_HEADROOM 100000u /* bits/s over 1.5 times the rate received */

struct bwe {
	uint64_t est; /* bits/s, 0 before the first update */
};

/* One interval: rate_bps received, lost the RFC 3550 fraction (0-255).
 * Returns the estimate (bits/s), 0 while nothing has been received. */
uint64_t bwe_update(struct bwe *b, uint64_t rate_bps, uint8_t lost);

#endif
