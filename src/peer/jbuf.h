/* jbuf.h — the video jitter buffer: VP8 RTP packets in any order in,
 * complete frames out in sequence order, the lost sequence numbers to NACK
 * (RFC 4585 6.2.1) and when to ask for a keyframe (PLI, RFC 4585 6.3.1).
 * Pure: time is a parameter (microseconds), no timers of its own. */
#ifndef TERN_PEER_JBUF_H
#define TERN_PEER_JBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peer/rtp.h"

struct jbuf;

struct jbuf_frame {
	uint32_t ts;
	bool keyframe;
	uint16_t first_seq, last_seq;
	size_t len; /* bytes written to the caller's buffer */
};

struct jbuf_opts {
	uint64_t max_wait_us;	 /* give up on a frame after [300 ms] */
	uint64_t nack_retry_us;	 /* resend a NACK after [rtt, min 30 ms] */
	unsigned nack_max_tries; /* [8] */
};

/* New buffer; opts may be NULL for the defaults. 0 or ENOMEM. */
int jbuf_new(struct jbuf **jp, const struct jbuf_opts *opts);
void jbuf_free(struct jbuf *j);

/* Insert one VP8 RTP packet (h->payload still has the descriptor), or a
 * padding-only one (plen 0: it fills its sequence number). The buffer
 * copies what it keeps. 0; EEXIST a duplicate; ESTALE older than
 * the frame being assembled; EBADMSG a bad VP8 descriptor. */
int jbuf_put(struct jbuf *j, const struct rtp_hdr *h, uint64_t now_us);

/* Take the next complete, decodable frame (VP8 data, descriptors
 * stripped) into buf. 0 with *f, ENOENT when nothing is ready, ENOSPC
 * when cap is too small (the frame is dropped). A frame whose packets
 * did not all arrive within max_wait is skipped; from then on only a
 * keyframe is released, and jbuf_want_keyframe() says so until one
 * arrives. */
int jbuf_pop(struct jbuf *j, uint64_t now_us, uint8_t *buf, size_t cap,
	     struct jbuf_frame *f);

/* Sequence numbers to NACK now (missing, not yet given up, retry due),
 * at most max. Each returned one counts as a try. */
size_t jbuf_nacks(struct jbuf *j, uint64_t now_us, uint16_t *out, size_t max);

/* True once after frames were lost and no keyframe has come since: the
 * caller sends a PLI (or FIR) and asks again after a while. */
bool jbuf_want_keyframe(struct jbuf *j, uint64_t now_us);

/* Round-trip time estimate for the NACK retry interval. */
void jbuf_set_rtt(struct jbuf *j, uint64_t rtt_us);

struct jbuf_stats {
	uint64_t frames_out, frames_skipped, packets_late, packets_dup;
	uint64_t nacked, recovered;
	uint64_t resyncs; /* sequence jumped: started over */
};
void jbuf_stats(const struct jbuf *j, struct jbuf_stats *st);

#endif
