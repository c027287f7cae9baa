/* link.h — a one-way in-process "network" between two media pipelines on
 * one event_base: packets are queued and delivered 5 ms later, every n-th
 * RTP packet dropped on request. Used by the unit tests and media-loop. */
#ifndef TERN_TESTS_PEER_MEDIA_LINK_H
#define TERN_TESTS_PEER_MEDIA_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peer/media.h"

struct event_base;
struct link_pkt;

/* What A sends in the tests: VP8 PT 96 SSRC 0xa1, Opus PT 111 SSRC 0xa2,
 * all feedback, FEC; CNAME "a". */
extern const struct peer_media_params link_params_a;

struct link {
	struct peer_media *to;
	struct link_pkt *head, **tail;
	struct event *ev;
	unsigned n, drop_every; /* drop every n-th RTP packet, 0 none */
	unsigned rtcp_seen, dropped;
	bool bad_rtcp; /* a packet's is_rtcp disagreed with peer_is_rtcp */
};

/* 0 or ENOMEM. */
int link_init(struct link *l, struct event_base *base, unsigned drop_every);
/* The peer_media_opts.send callback; arg is the struct link. */
void link_send(void *arg, const uint8_t *pkt, size_t len, bool is_rtcp);
/* Drop what is queued, free the timer. */
void link_free(struct link *l);

#endif
