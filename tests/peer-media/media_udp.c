/* media_udp.c — tern-peer's media pipeline against ffmpeg over plain RTP
 * on loopback (no SRTP: ffmpeg's RTP stack is the independent peer):
 *
 *   media-udp --send PORT [--seconds N] [--size WxH]
 *       send the test pattern as VP8 to 127.0.0.1:PORT and a tone as Opus
 *       to PORT+2 (RTCP is not sent: ffmpeg expects it on PORT+1/+3)
 *   media-udp --recv PORT [--seconds N] [--ivf OUT] [--ogg OUT]
 *       receive VP8 (PT 96) on PORT and Opus (PT 111) on PORT+2, SSRCs
 *       learned, decode, print the figures as one JSON line
 *   media-udp --check-y4m FILE N
 *       read N frames of a Y4M file (e.g. what ffmpeg decoded from us) and
 *       print how many test-pattern counters they hold, in order or not
 */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "peer/media.h"
#include "peer/src.h"

struct udp {
	int vfd, afd;
	struct sockaddr_in vdst, adst;
	struct peer_media *m;
};

static const struct peer_media_params params = { .video_on = true,
						 .vp8_pt = 96,
						 .video_ssrc = 0x7e41,
						 .video_fb =
						     PEER_FB_NACK | PEER_FB_PLI,
						 .audio_on = true,
						 .opus_pt = 111,
						 .audio_ssrc = 0x7e42,
						 .opus_fec = true,
						 .cname = "media-udp" };

static void on_send(void *arg, const uint8_t *pkt, size_t len, bool rtcp)
{
	struct udp *u = arg;
	bool video = len >= 12 && (pkt[1] & 0x7f) == 96;

	if (rtcp || u->vfd < 0)
		return;
	sendto(video ? u->vfd : u->afd, pkt, len, 0,
	       (const struct sockaddr *)(video ? &u->vdst : &u->adst),
	       sizeof(u->vdst));
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct udp *u = arg;
	uint8_t buf[2048];
	ssize_t n;

	(void)what;
	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		peer_media_input(u->m, buf, (size_t)n, peer_clock_us());
}

static int udp_socket(unsigned port, bool bind_it, struct sockaddr_in *sa)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind_it &&
	    bind(fd, (const struct sockaddr *)sa, sizeof(*sa))) {
		perror("media-udp: bind");
		close(fd);
		return -1;
	}
	return fd;
}

/* Read the first n frames of a Y4M file (ffprobe counted them) and the
 * test-pattern counters in them. */
static int check_y4m(const char *path, unsigned long n)
{
	struct vsrc *s;
	struct vimage img;
	char why[300] = "";
	unsigned long i, read = 0, order = 0;
	uint32_t c, t, last = 0;

	if (vsrc_y4m_open(&s, path, why, sizeof(why))) {
		fprintf(stderr, "media-udp: %s\n", why);
		return 1;
	}
	for (i = 0; i < n && s->read(s, &img, 0) == 0; i++) {
		if (!pattern_read(&img, &c, &t))
			continue;
		if (read && c <= last)
			order++;
		read++;
		last = c;
	}
	printf("{\"frames\":%lu,\"pattern_frames\":%lu,"
	       "\"order_errors\":%lu,\"width\":%u,\"height\":%u}\n",
	       i, read, order, s->w, s->h);
	s->close(s);
	return 0;
}

static void print(const struct peer_media_stats *st)
{
	printf("{\"frames_encoded\":%llu,\"video_packets_received\":%llu,"
	       "\"frames_decoded\":%llu,\"keyframes_received\":%llu,"
	       "\"decode_errors\":%llu,\"width\":%u,\"height\":%u,"
	       "\"audio_received\":%llu,\"audio_decoded\":%llu,"
	       "\"rx_malformed\":%llu}\n",
	       (unsigned long long)st->frames_encoded,
	       (unsigned long long)st->video_packets_received,
	       (unsigned long long)st->frames_decoded,
	       (unsigned long long)st->keyframes_received,
	       (unsigned long long)st->decode_errors, st->width_received,
	       st->height_received,
	       (unsigned long long)st->audio_packets_received,
	       (unsigned long long)st->audio_frames_decoded,
	       (unsigned long long)st->rx_malformed);
}

int main(int argc, char **argv)
{
	struct peer_media_opts o = {
		.width = 320, .height = 240, .fps = 30, .send = on_send
	};
	struct udp u = { .vfd = -1, .afd = -1 };
	struct timeval tv = { 3, 0 };
	struct event_base *base = event_base_new();
	struct event *ve = NULL, *ae = NULL;
	struct peer_media_stats st;
	struct sockaddr_in sa;
	unsigned port = 0;
	bool send = false;

	for (int i = 1; i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];

		if (!strcmp(k, "--check-y4m") && i + 2 < argc)
			return check_y4m(v, strtoul(argv[i + 2], NULL, 10));
		if (!strcmp(k, "--send") || !strcmp(k, "--recv")) {
			send = k[2] == 's';
			port = (unsigned)atoi(v);
		} else if (!strcmp(k, "--seconds"))
			tv.tv_sec = atol(v);
		else if (!strcmp(k, "--size"))
			sscanf(v, "%ux%u", &o.width, &o.height);
		else if (!strcmp(k, "--ivf")) {
			o.video_sink = PEER_VSINK_IVF;
			o.video_out = v;
		} else if (!strcmp(k, "--ogg")) {
			o.audio_sink = PEER_ASINK_OGG;
			o.audio_out = v;
		}
	}
	if (!port || port > 65533 || !base) {
		fprintf(stderr, "usage: media-udp --send PORT | --recv PORT "
				"[--seconds N] | --check-y4m FILE N\n");
		return 2;
	}
	if (send) {
		o.video_src = PEER_VSRC_PATTERN;
		o.audio_src = PEER_ASRC_TONE;
	}
	o.send_arg = &u;
	u.vfd = udp_socket(port, !send, send ? &u.vdst : &sa);
	u.afd = udp_socket(port + 2, !send, send ? &u.adst : &sa);
	if (u.vfd < 0 || u.afd < 0 || peer_media_new(&u.m, base, &o))
		return 1;
	{
		struct peer_media_params r = params;

		r.video_ssrc = r.audio_ssrc = 0; /* ffmpeg's: learned */
		if (peer_media_set_send(u.m, &params) ||
		    peer_media_set_recv(u.m, &r))
			return 1;
	}
	if (!send) {
		ve = event_new(base, u.vfd, EV_READ | EV_PERSIST, on_read, &u);
		ae = event_new(base, u.afd, EV_READ | EV_PERSIST, on_read, &u);
		event_add(ve, NULL);
		event_add(ae, NULL);
	}
	peer_media_start(u.m);
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	peer_media_stats(u.m, &st, peer_clock_us());
	print(&st);
	peer_media_free(u.m);
	if (ve)
		event_free(ve);
	if (ae)
		event_free(ae);
	close(u.vfd);
	close(u.afd);
	event_base_free(base);
	return 0;
}
