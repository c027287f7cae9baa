/* media_bench.c — the CPU cost of tern-peer's sending pipeline: the test
 * pattern at WxH@FPS through VP8 plus a tone through Opus into RTP, for N
 * seconds of real time on a libevent loop, packets counted and dropped.
 * Prints one line of figures (and JSON with --json) for
 * docs/BENCHMARKS.md; the goal compares it with aiortc.
 *
 *   media-bench [--seconds N] [--size WxH] [--fps F] [--bitrate BPS]
 *               [--vp8-speed N] [--y4m FILE] [--json]
 */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "peer/media.h"

struct count {
	uint64_t rtp, rtcp, bytes;
};

static void on_send(void *arg, const uint8_t *pkt, size_t len, bool is_rtcp)
{
	struct count *c = arg;

	(void)pkt;
	if (is_rtcp)
		c->rtcp++;
	else
		c->rtp++;
	c->bytes += len;
}

static void on_error(void *arg, const char *why)
{
	(void)arg;
	fprintf(stderr, "media-bench: %s\n", why);
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: media-bench [--seconds N] [--size WxH] "
		"[--fps F] [--bitrate BPS] [--vp8-speed N] [--y4m FILE] "
		"[--json]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct peer_media_opts o = { .video_src = PEER_VSRC_PATTERN,
				     .audio_src = PEER_ASRC_TONE };
	struct peer_media_params p = { .video_on = true,
				       .vp8_pt = 96,
				       .video_ssrc = 0x1111,
				       .audio_on = true,
				       .opus_pt = 111,
				       .audio_ssrc = 0x2222,
				       .opus_fec = true,
				       .cname = "bench" };
	struct peer_media_stats st;
	struct timeval tv = { 10, 0 };
	struct event_base *base;
	struct peer_media *m;
	struct count c = { 0 };
	bool json = false;
	double cpu0, cpu;
	int i;

	o.width = 640;
	o.height = 480;
	o.fps = 30;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			tv.tv_sec = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--size") && i + 1 < argc &&
			 sscanf(argv[++i], "%ux%u", &o.width, &o.height) == 2)
			;
		else if (!strcmp(argv[i], "--fps") && i + 1 < argc)
			o.fps = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--bitrate") && i + 1 < argc)
			o.video_bitrate = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--vp8-speed") && i + 1 < argc)
			o.vp8_speed = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--y4m") && i + 1 < argc) {
			o.video_src = PEER_VSRC_Y4M;
			o.video_path = argv[++i];
		} else if (!strcmp(argv[i], "--json"))
			json = true;
		else
			return usage();
	}
	if (tv.tv_sec <= 0)
		return usage();
	o.send = on_send;
	o.send_arg = &c;
	o.on_error = on_error;
	base = event_base_new();
	if (!base || peer_media_new(&m, base, &o) ||
	    peer_media_set_send(m, &p) || peer_media_set_recv(m, &p)) {
		fprintf(stderr, "media-bench: cannot set up the pipeline\n");
		return 1;
	}
	cpu0 = cpu_s();
	peer_media_start(m);
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	cpu = cpu_s() - cpu0;
	peer_media_stats(m, &st, peer_clock_us());
	if (json)
		printf("{\"seconds\":%ld,\"width\":%u,\"height\":%u,\"fps\":%u,"
		       "\"frames_encoded\":%llu,\"rtp_packets\":%llu,"
		       "\"kbit_s\":%.0f,\"cpu_s\":%.3f,\"cpu_pct\":%.1f}\n",
		       (long)tv.tv_sec, o.width, o.height, o.fps,
		       (unsigned long long)st.frames_encoded,
		       (unsigned long long)c.rtp,
		       c.bytes * 8.0 / 1000 / (double)tv.tv_sec, cpu,
		       100.0 * cpu / (double)tv.tv_sec);
	else
		printf("%ux%u@%u VP8 + Opus for %ld s: %llu frames encoded, "
		       "%llu RTP packets, %.0f kbit/s, CPU %.3f s (%.1f%% of "
		       "one core)\n",
		       o.width, o.height, o.fps, (long)tv.tv_sec,
		       (unsigned long long)st.frames_encoded,
		       (unsigned long long)c.rtp,
		       c.bytes * 8.0 / 1000 / (double)tv.tv_sec, cpu,
		       100.0 * cpu / (double)tv.tv_sec);
	peer_media_free(m);
	event_base_free(base);
	return 0;
}
