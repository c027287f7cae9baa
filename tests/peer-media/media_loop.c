/* media_loop.c — two tern-peer media pipelines in one process, A sending
 * to B over an in-process link that drops every n-th RTP packet, B
 * recording what it receives. Prints B's and A's figures as one JSON
 * line; tests/peer-media/run checks the files with ffprobe and the
 * figures (order, NACK, frames decoded against frames sent).
 *
 *   media-loop [--seconds N] [--size WxH] [--fps F] [--drop-every N]
 *              [--y4m OUT | --ivf OUT] [--wav OUT | --ogg OUT]
 *              [--source-y4m FILE] [--source-wav FILE]
 */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "link.h"
#include "peer/media.h"

#define pa link_params_a

static void on_error(void *arg, const char *why)
{
	fprintf(stderr, "media-loop %s: %s\n", (const char *)arg, why);
}

static int args(int argc, char **argv, struct peer_media_opts *a,
		struct peer_media_opts *b, long *secs, unsigned *drop)
{
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			return -1;
		i++;
		if (!strcmp(o, "--seconds"))
			*secs = atol(v);
		else if (!strcmp(o, "--size")) {
			if (sscanf(v, "%ux%u", &a->width, &a->height) != 2)
				return -1;
		} else if (!strcmp(o, "--fps"))
			a->fps = (unsigned)atoi(v);
		else if (!strcmp(o, "--drop-every"))
			*drop = (unsigned)atoi(v);
		else if (!strcmp(o, "--y4m") || !strcmp(o, "--ivf")) {
			b->video_sink =
			    o[2] == 'y' ? PEER_VSINK_Y4M : PEER_VSINK_IVF;
			b->video_out = v;
		} else if (!strcmp(o, "--wav") || !strcmp(o, "--ogg")) {
			b->audio_sink =
			    o[2] == 'w' ? PEER_ASINK_WAV : PEER_ASINK_OGG;
			b->audio_out = v;
		} else if (!strcmp(o, "--source-y4m")) {
			a->video_src = PEER_VSRC_Y4M;
			a->video_path = v;
		} else if (!strcmp(o, "--source-wav")) {
			a->audio_src = PEER_ASRC_WAV;
			a->audio_path = v;
		} else
			return -1;
	}
	return *secs > 0 ? 0 : -1;
}

static void print(const struct peer_media_stats *sa,
		  const struct peer_media_stats *sb, const struct link *l)
{
	printf("{\"frames_encoded\":%llu,\"frames_decoded\":%llu,"
	       "\"width\":%u,\"height\":%u,\"pattern_frames\":%llu,"
	       "\"pattern_order_errors\":%llu,\"pattern_gaps\":%llu,"
	       "\"latency_ms\":%.1f,\"dropped\":%u,\"nacks_sent\":%llu,"
	       "\"retransmitted\":%llu,\"plis_sent\":%llu,"
	       "\"audio_sent\":%llu,\"audio_received\":%llu,"
	       "\"audio_decoded\":%llu,\"rtt_ms\":%.2f,"
	       "\"bad_rtcp\":%s}\n",
	       (unsigned long long)sa->frames_encoded,
	       (unsigned long long)sb->frames_decoded, sb->width_received,
	       sb->height_received, (unsigned long long)sb->pattern_frames,
	       (unsigned long long)sb->pattern_order_errors,
	       (unsigned long long)sb->pattern_gaps, sb->pattern_latency_avg_ms,
	       l->dropped, (unsigned long long)sb->nacks_sent,
	       (unsigned long long)sa->packets_retransmitted,
	       (unsigned long long)sb->plis_sent,
	       (unsigned long long)sa->audio_packets_sent,
	       (unsigned long long)sb->audio_packets_received,
	       (unsigned long long)sb->audio_frames_decoded, sa->rtt_ms,
	       l->bad_rtcp ? "true" : "false");
}

int main(int argc, char **argv)
{
	struct peer_media_opts oa = { .video_src = PEER_VSRC_PATTERN,
				      .audio_src = PEER_ASRC_TONE,
				      .width = 320,
				      .height = 240,
				      .fps = 30,
				      .on_error = on_error,
				      .error_arg = "A" };
	struct peer_media_opts ob = { .on_error = on_error, .error_arg = "B" };
	struct peer_media_params pb = pa;
	struct peer_media_stats sa, sb;
	struct event_base *base = event_base_new();
	struct peer_media *a = NULL, *b = NULL;
	struct link ab, ba;
	struct timeval tv = { 0, 0 };
	unsigned drop = 0;
	long secs = 3;

	if (args(argc, argv, &oa, &ob, &secs, &drop)) {
		fprintf(stderr, "usage: media-loop [--seconds N] [--size WxH] "
				"[--fps F] [--drop-every N] [--y4m|--ivf OUT] "
				"[--wav|--ogg OUT] [--source-y4m F] "
				"[--source-wav F]\n");
		return 2;
	}
	ob.fps = oa.fps;
	if (!base || link_init(&ab, base, drop) || link_init(&ba, base, 0))
		return 1;
	oa.send = link_send;
	oa.send_arg = &ab;
	ob.send = link_send;
	ob.send_arg = &ba;
	pb.video_on = pb.audio_on = false; /* B only receives */
	strcpy(pb.cname, "b");
	if (peer_media_new(&a, base, &oa) || peer_media_new(&b, base, &ob))
		return 1;
	ab.to = b;
	ba.to = a;
	if (peer_media_set_send(a, &pa) || peer_media_set_recv(a, &pb) ||
	    peer_media_set_send(b, &pb) || peer_media_set_recv(b, &pa) ||
	    peer_media_start(a) || peer_media_start(b))
		return 1;
	tv.tv_sec = secs;
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	peer_media_stats(a, &sa, peer_clock_us());
	peer_media_stats(b, &sb, peer_clock_us());
	print(&sa, &sb, &ab);
	peer_media_free(a);
	peer_media_free(b); /* closes the files: headers patched */
	link_free(&ab);
	link_free(&ba);
	event_base_free(base);
	return 0;
}
