/* jbuf.c — VP8 jitter buffer: a ring of packet slots indexed by sequence
 * number, frames assembled from a start packet (S=1, PID 0) to the marker,
 * a NACK list for the gaps, and a keyframe request after a skipped frame. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "peer/jbuf.h"

#define SLOTS	     1024 /* a power of two; 1 s of 8 Mbit/s video */
#define NACK_MAX     256
#define LATE_RUN_MAX 64

struct slot {
	bool used;
	bool filler; /* padding only: a sequence number, no frame data */
	bool start;  /* S=1 and PID 0: first packet of a frame */
	bool marker;
	bool keyframe;
	uint16_t seq;
	uint32_t ts;
	uint8_t *data; /* VP8 payload, descriptor stripped */
	size_t len;
};

struct nack {
	uint16_t seq;
	uint8_t tries;
	uint64_t first_us, last_us;
};

struct jbuf {
	struct jbuf_opts o;
	struct slot s[SLOTS];
	bool started;	   /* next_seq valid */
	uint16_t next_seq; /* first seq of the next frame to release */
	bool have_hi;
	uint16_t hi; /* highest seq seen */
	uint64_t
	    wait_since; /* when the frame at next_seq was first waited on */
	bool waiting;
	unsigned late_run; /* late packets in a row */
	bool need_key;	   /* release keyframes only */
	bool want_key;	   /* the caller should send a PLI */
	uint64_t key_asked_us;
	uint64_t rtt_us;
	struct nack nk[NACK_MAX];
	size_t n_nack;
	struct jbuf_stats st;
};

int jbuf_new(struct jbuf **jp, const struct jbuf_opts *opts)
{
	struct jbuf *j = calloc(1, sizeof(*j));

	if (!j)
		return ENOMEM;
	if (opts)
		j->o = *opts;
	if (!j->o.max_wait_us)
		j->o.max_wait_us = 300000;
	if (!j->o.nack_max_tries)
		j->o.nack_max_tries = 8;
	/* Until the first keyframe nothing can be decoded. */
	j->need_key = true;
	*jp = j;
	return 0;
}

static void slot_clear(struct slot *s)
{
	free(s->data);
	memset(s, 0, sizeof(*s));
}

void jbuf_free(struct jbuf *j)
{
	size_t i;

	if (!j)
		return;
	for (i = 0; i < SLOTS; i++)
		free(j->s[i].data);
	free(j);
}

static void nack_drop(struct jbuf *j, size_t i)
{
	j->nk[i] = j->nk[--j->n_nack];
}

static void nack_remove(struct jbuf *j, uint16_t seq, bool recovered)
{
	size_t i;

	for (i = 0; i < j->n_nack; i++) {
		if (j->nk[i].seq == seq) {
			if (recovered && j->nk[i].tries)
				j->st.recovered++;
			nack_drop(j, i);
			return;
		}
	}
}

/* Record the gap between hi and seq as missing. */
static void track_seq(struct jbuf *j, uint16_t seq, uint64_t now)
{
	int16_t d;
	uint16_t s;

	if (!j->have_hi) {
		j->have_hi = true;
		j->hi = seq;
		return;
	}
	d = rtp_seq_diff(seq, j->hi);
	if (d <= 0) {
		nack_remove(j, seq, true);
		return;
	}
	if (d > 1 && d < SLOTS / 2) {
		for (s = (uint16_t)(j->hi + 1); s != seq; s++) {
			if (j->n_nack == NACK_MAX)
				break;
			j->nk[j->n_nack++] =
			    (struct nack){ .seq = s, .first_us = now };
		}
	}
	j->hi = seq;
}

/* Drop every slot and start over at seq: the sender restarted (a new
 * random sequence base) or we fell more than the ring behind. Frames
 * from seq on are released once a keyframe comes. */
static void resync(struct jbuf *j, uint16_t seq)
{
	size_t i;

	for (i = 0; i < SLOTS; i++)
		if (j->s[i].used)
			slot_clear(&j->s[i]);
	j->started = true;
	j->next_seq = seq;
	j->have_hi = true;
	j->hi = seq;
	j->waiting = false;
	j->n_nack = 0;
	j->late_run = 0;
	j->need_key = true;
	j->want_key = true;
	j->st.resyncs++;
}

/* Late packets are dropped, unless so many come in a row that the
 * sequence must have jumped back (RFC 3550 A.1's MAX_MISORDER idea). */
static bool too_late(struct jbuf *j, uint16_t seq)
{
	int16_t d;

	if (!j->started)
		return false;
	d = rtp_seq_diff(seq, j->next_seq);
	if (d >= 0) {
		j->late_run = 0;
		if (d >= SLOTS)
			resync(j, seq);
		return false;
	}
	if (++j->late_run > LATE_RUN_MAX) {
		resync(j, seq);
		return false;
	}
	j->st.packets_late++;
	nack_remove(j, seq, false);
	return true;
}

int jbuf_put(struct jbuf *j, const struct rtp_hdr *h, uint64_t now_us)
{
	struct vp8_desc d = { 0 };
	struct slot *s;

	if (h->plen && vp8_desc_parse(&d, h->payload, h->plen))
		return EBADMSG;
	if (too_late(j, h->seq))
		return ESTALE;
	s = &j->s[h->seq & (SLOTS - 1)];
	if (s->used) {
		if (s->seq == h->seq) {
			j->st.packets_dup++;
			return EEXIST;
		}
		slot_clear(s);
	}
	if (h->plen) {
		s->data = malloc(d.len);
		if (!s->data)
			return ENOMEM;
		memcpy(s->data, d.data, d.len);
	}
	s->len = d.len;
	s->used = true;
	s->filler = h->plen == 0;
	s->seq = h->seq;
	s->ts = h->ts;
	s->marker = h->marker;
	s->start = d.start && d.pid == 0;
	s->keyframe = d.keyframe;
	track_seq(j, h->seq, now_us);
	if (!j->started && s->start) {
		int16_t ahead = rtp_seq_diff(j->hi, h->seq);

		/* a stray packet from far away is no measure of what is missing
		 */
		if (ahead < 0 || ahead >= SLOTS)
			j->hi = h->seq;
		j->started = true;
		j->next_seq = h->seq;
	}
	return 0;
}

/* Is the frame at next_seq complete? *last gets its last seq. */
static bool frame_complete(struct jbuf *j, uint16_t *last)
{
	uint16_t seq = j->next_seq;
	struct slot *first = &j->s[seq & (SLOTS - 1)];
	unsigned n;

	if (!first->used || first->seq != seq || !first->start)
		return false;
	for (n = 0; n < SLOTS; n++, seq++) {
		struct slot *s = &j->s[seq & (SLOTS - 1)];

		if (!s->used || s->seq != seq || s->ts != first->ts ||
		    s->filler)
			return false;
		if (n > 0 && s->start)
			return false; /* next frame began without a marker */
		if (s->marker) {
			*last = seq;
			return true;
		}
	}
	return false;
}

/* Copy the frame next_seq..last out, free its slots. */
static int take(struct jbuf *j, uint16_t last, uint8_t *buf, size_t cap,
		struct jbuf_frame *f)
{
	uint16_t seq = j->next_seq;
	bool fits = true;

	f->first_seq = seq;
	f->last_seq = last;
	f->ts = j->s[seq & (SLOTS - 1)].ts;
	f->keyframe = j->s[seq & (SLOTS - 1)].keyframe;
	f->len = 0;
	for (;; seq++) {
		struct slot *s = &j->s[seq & (SLOTS - 1)];

		if (fits && cap - f->len >= s->len) {
			if (s->len)
				memcpy(buf + f->len, s->data, s->len);
			f->len += s->len;
		} else {
			fits = false;
		}
		slot_clear(s);
		if (seq == last)
			break;
	}
	j->next_seq = (uint16_t)(last + 1);
	j->waiting = false;
	return fits ? 0 : ENOSPC;
}

/* Give up on the frame at next_seq: skip to the next start packet seen.
 * false when there is none yet (keep waiting). Only the ring can hold
 * one, so the search stops at the highest seq seen or a ring ahead,
 * whichever is nearer: a packet seen before the first start packet may
 * lie anywhere in the sequence space. */
static bool skip_frame(struct jbuf *j)
{
	uint16_t seq = 0;
	int16_t span;
	unsigned n;
	size_t i;

	if (!j->have_hi)
		return false;
	span = rtp_seq_diff(j->hi, j->next_seq);
	if (span >= SLOTS)
		span = SLOTS - 1;
	for (n = 1; (int)n <= span; n++) {
		struct slot *s;

		seq = (uint16_t)(j->next_seq + n);
		s = &j->s[seq & (SLOTS - 1)];
		if (s->used && s->seq == seq && s->start)
			break;
	}
	if ((int)n > span)
		return false;
	for (; j->next_seq != seq; j->next_seq++)
		if (j->s[j->next_seq & (SLOTS - 1)].used)
			slot_clear(&j->s[j->next_seq & (SLOTS - 1)]);
	/* gaps behind the new start are no longer worth a NACK */
	for (i = 0; i < j->n_nack;) {
		if (rtp_seq_diff(j->nk[i].seq, seq) < 0)
			nack_drop(j, i);
		else
			i++;
	}
	j->st.frames_skipped++;
	j->need_key = true;
	j->want_key = true;
	j->waiting = false;
	return true;
}

int jbuf_pop(struct jbuf *j, uint64_t now_us, uint8_t *buf, size_t cap,
	     struct jbuf_frame *f)
{
	uint16_t last;
	int err;

	while (j->started) {
		struct slot *s = &j->s[j->next_seq & (SLOTS - 1)];

		/* padding between frames: step over its sequence number */
		if (s->used && s->seq == j->next_seq && s->filler) {
			slot_clear(s);
			j->next_seq++;
			j->waiting = false;
			continue;
		}
		if (!frame_complete(j, &last)) {
			if (!j->waiting) {
				j->waiting = true;
				j->wait_since = now_us;
			}
			if (now_us - j->wait_since < j->o.max_wait_us ||
			    !skip_frame(j))
				return ENOENT;
			continue;
		}
		if (j->need_key && !j->s[j->next_seq & (SLOTS - 1)].keyframe) {
			/* undecodable without its references: drop it */
			take(j, last, buf, 0, f);
			j->st.frames_skipped++;
			j->want_key = true;
			continue;
		}
		err = take(j, last, buf, cap, f);
		if (err)
			return err;
		if (f->keyframe) {
			j->need_key = false;
			j->want_key = false;
		}
		j->st.frames_out++;
		return 0;
	}
	return ENOENT;
}

size_t jbuf_nacks(struct jbuf *j, uint64_t now_us, uint16_t *out, size_t max)
{
	uint64_t retry = j->o.nack_retry_us ? j->o.nack_retry_us : j->rtt_us;
	size_t n = 0, i;

	if (retry < 30000)
		retry = 30000;
	for (i = 0; i < j->n_nack;) {
		struct nack *k = &j->nk[i];

		if (k->tries >= j->o.nack_max_tries ||
		    now_us - k->first_us > 2 * j->o.max_wait_us) {
			nack_drop(j, i);
			continue;
		}
		if (n < max &&
		    (k->tries == 0 || now_us - k->last_us >= retry)) {
			out[n++] = k->seq;
			k->tries++;
			k->last_us = now_us;
			j->st.nacked++;
		}
		i++;
	}
	return n;
}

bool jbuf_want_keyframe(struct jbuf *j, uint64_t now_us)
{
	uint64_t again = j->rtt_us > 100000 ? 2 * j->rtt_us : 200000;

	/* before any start packet: the stream may have begun mid-frame */
	if (!j->want_key && !(j->need_key && j->have_hi && !j->started))
		return false;
	if (j->key_asked_us && now_us - j->key_asked_us < again)
		return false;
	j->key_asked_us = now_us;
	return true;
}

void jbuf_set_rtt(struct jbuf *j, uint64_t rtt_us)
{
	j->rtt_us = rtt_us;
}

void jbuf_stats(const struct jbuf *j, struct jbuf_stats *st)
{
	*st = j->st;
}
