/* link.c — see link.h. */
#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "link.h"
#include "peer/media.h"

const struct peer_media_params link_params_a = {
	.video_on = true,
	.vp8_pt = 96,
	.video_ssrc = 0xa1,
	.video_fb = PEER_FB_NACK | PEER_FB_PLI | PEER_FB_FIR | PEER_FB_REMB,
	.audio_on = true,
	.opus_pt = 111,
	.audio_ssrc = 0xa2,
	.opus_fec = true,
	.cname = "a"
};

struct link_pkt {
	struct link_pkt *next;
	size_t len;
	uint8_t data[1500];
};

static void deliver(evutil_socket_t fd, short what, void *arg)
{
	struct link *l = arg;
	struct link_pkt *p;

	(void)fd;
	(void)what;
	while ((p = l->head)) {
		l->head = p->next;
		if (!l->head)
			l->tail = &l->head;
		peer_media_input(l->to, p->data, p->len, peer_clock_us());
		free(p);
	}
}

int link_init(struct link *l, struct event_base *base, unsigned drop_every)
{
	memset(l, 0, sizeof(*l));
	l->drop_every = drop_every;
	l->tail = &l->head;
	l->ev = evtimer_new(base, deliver, l);
	return l->ev ? 0 : ENOMEM;
}

void link_send(void *arg, const uint8_t *data, size_t len, bool rtcp)
{
	struct link *l = arg;
	struct timeval tv = { 0, 5000 };
	struct link_pkt *p;

	if (rtcp != peer_is_rtcp(data, len))
		l->bad_rtcp = true;
	if (rtcp)
		l->rtcp_seen++;
	else if (l->drop_every && ++l->n % l->drop_every == 0) {
		l->dropped++;
		return;
	}
	if (len > sizeof(p->data) || !(p = calloc(1, sizeof(*p))))
		return;
	memcpy(p->data, data, len);
	p->len = len;
	*l->tail = p;
	l->tail = &p->next;
	if (!evtimer_pending(l->ev, NULL))
		evtimer_add(l->ev, &tv);
}

void link_free(struct link *l)
{
	struct link_pkt *p;

	while ((p = l->head)) {
		l->head = p->next;
		free(p);
	}
	l->tail = &l->head;
	if (l->ev)
		event_free(l->ev);
	l->ev = NULL;
}
