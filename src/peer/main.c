/*
 * main.c — tern-peer(1): the reference media peer. Camera, Y4M file or
 * test pattern to VP8 and Opus over DTLS-SRTP through libtern's ICE agent
 * (and TURN), answering or calling a browser or another peer.
 *
 * This file is the command line and the exchange of descriptions through
 * files or stdin/stdout; the call itself is call.c.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <jansson.h>
#include <tern/ice_servers.h>

#include "peer/call.h"
#include "peer/codec.h"
#include "peer/sig.h"

#define SERVERS_MAX 8

struct app {
	struct event_base *base;
	struct peer_call *call;
	struct peer_cert *cert;
	struct peer_call_opts co;
	struct tern_ice_server servers[SERVERS_MAX];
	size_t n_servers;
	bool offer, verbose, tty;
	const char *sdp_in, *sdp_out, *stats_path;
	FILE *stats;
	unsigned duration, timeout;
	struct event *tick, *poll_in, *sigint, *sigterm;
	struct bufferevent *in_bev;
	struct evbuffer *in_text;
	uint64_t t0_us, secure_us;
	int status;
	bool got_remote;
	/* signaling mode */
	const char *signal_url, *name, *call_user;
	bool signal_turn, called;
	struct peer_sig *sig;
	json_t *my_id;
	char me[128], peer[128], token[256];
};

static void usage(FILE *f)
{
	fputs(
	    "Usage: tern-peer [OPTION]... (--offer | --answer | --signal URL)\n"
	    "A media peer: VP8 and Opus over DTLS-SRTP through ICE and TURN.\n"
	    "\n"
	    "Exchange of descriptions (no signaling server):\n"
	    "  --offer                 make the offer (ICE controlling)\n"
	    "  --answer                wait for an offer and answer it\n"
	    "  --sdp-out FILE          write our description to FILE ('-':\n"
	    "                          stdout, followed by an empty line)\n"
	    "  --sdp-in FILE           read the peer's from FILE once it "
	    "exists\n"
	    "                          (write it elsewhere and rename it in),\n"
	    "                          or '-': stdin up to an empty line\n"
	    "\n"
	    "Signaling (tern-signal, the WebRTC chat sample's protocol):\n"
	    "  --signal URL            ws://host:port/ws; trickles candidates\n"
	    "  --name NAME             join the user list under NAME\n"
	    "  --call USER             call USER once listed (else wait to be\n"
	    "                          called; re-offers are answered in the "
	    "call)\n"
	    "  --signal-turn           TURN servers from the server's\n"
	    "                          /turn-credentials (with the session "
	    "token)\n"
	    "\n"
	    "Media:\n"
	    "  --video SRC             pattern (default), y4m:FILE, "
	    "v4l2:DEVICE,\n"
	    "                          none\n"
	    "  --audio SRC             tone (default), wav:FILE, alsa:DEVICE, "
	    "none\n"
	    "  --size WxH              capture size (default 640x480)\n"
	    "  --fps N                 frames per second (default 30)\n"
	    "  --bitrate KBPS          video bitrate ceiling (default 1000)\n"
	    "  --vp8-speed N           VP8 encoder speed, 1 (best picture) to "
	    "16 (least CPU)\n"
	    "                          (default 6)\n"
	    "  --video-out FILE        received video: .y4m decoded, .ivf as "
	    "sent\n"
	    "  --audio-out FILE        received audio: .wav decoded, .ogg as "
	    "sent\n"
	    "\n"
	    "ICE:\n"
	    "  --ice-servers JSON      iceServers as a browser writes them\n"
	    "  --stun URL              a STUN server (stun:host:port)\n"
	    "  --turn URL              a TURN server "
	    "(turn:host:port?transport=\n"
	    "                          udp|tcp, turns:host:port)\n"
	    "  --user NAME, --pass PASSWORD   credentials for --turn\n"
	    "  --relay-only            only relayed candidates "
	    "(iceTransportPolicy\n"
	    "                          relay)\n"
	    "  --interface IF          host candidates on IF only\n"
	    "  --loopback              host candidates on loopback too\n"
	    "  --ipv4                  no IPv6 candidates\n"
	    "  --ca FILE               CAs for turns: servers\n"
	    "\n"
	    "Running:\n"
	    "  --duration SECONDS      end the call this long after media "
	    "starts\n"
	    "  --timeout SECONDS       give up when media has not started by "
	    "then\n"
	    "                          (default 30)\n"
	    "  --consent-timeout SECONDS  end the call when the peer has "
	    "answered\n"
	    "                          no consent check for this long "
	    "(default 30)\n"
	    "  --stats FILE            one JSON line a second (and a last "
	    "one)\n"
	    "  -v, --verbose           log ICE, DTLS and SDP steps to stderr\n"
	    "  -h, --help              this help\n"
	    "  -V, --version           print the version and exit\n"
	    "\n"
	    "A one-line status (state, pair, fps, bitrates, loss, RTT) is "
	    "shown\n"
	    "on stderr when it is a terminal. Exit status: 0 the call ran "
	    "(and\n"
	    "ended by --duration or a signal), 1 it failed (the reason on\n"
	    "stderr), 2 usage.\n",
	    f);
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	fputs("tern-peer: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- status and stats ------------------------------------------------ */

static double loss_pct(const struct peer_media_stats *m)
{
	uint64_t exp = m->video_packets_received + m->audio_packets_received +
		       m->packets_lost;

	return exp ? 100.0 * (double)m->packets_lost / (double)exp : 0.0;
}

static void stats_line(struct app *a, const struct peer_call_status *st,
		       bool last)
{
	const struct peer_media_stats *m = &st->media;

	fprintf(
	    a->stats,
	    "{\"t\":%.3f,\"last\":%s,\"state\":\"%s\",\"secure\":%s,"
	    "\"pair\":\"%s\",\"rtt_ms\":%u,\"frames_encoded\":%llu,"
	    "\"keyframes_sent\":%llu,\"video_packets_sent\":%llu,"
	    "\"audio_packets_sent\":%llu,\"frames_decoded\":%llu,"
	    "\"keyframes_received\":%llu,\"width\":%u,\"height\":%u,"
	    "\"audio_frames_decoded\":%llu,\"video_packets_received\":%llu,"
	    "\"audio_packets_received\":%llu,\"packets_lost\":%llu,"
	    "\"nacks_sent\":%llu,\"nacks_received\":%llu,"
	    "\"plis_sent\":%llu,\"plis_received\":%llu,"
	    "\"packets_retransmitted\":%llu,"
	    "\"pattern_frames\":%llu,\"pattern_order_errors\":%llu,"
	    "\"pattern_gaps\":%llu,\"latency_ms\":%.1f,"
	    "\"bitrate_out\":%.0f,\"bitrate_in\":%.0f,"
	    "\"target_bitrate\":%u,\"remb_received\":%u,\"remb_sent\":%u,"
	    "\"opus_fec_loss_pct\":%u,"
	    "\"srtp_dropped\":%llu,\"srtp_replayed\":%llu,\"rx_malformed\":%"
	    "llu}\n",
	    (double)(peer_clock_us() - a->t0_us) / 1e6, last ? "true" : "false",
	    st->state, st->secure ? "true" : "false", st->pair, st->rtt_ms,
	    (unsigned long long)m->frames_encoded,
	    (unsigned long long)m->keyframes_sent,
	    (unsigned long long)m->video_packets_sent,
	    (unsigned long long)m->audio_packets_sent,
	    (unsigned long long)m->frames_decoded,
	    (unsigned long long)m->keyframes_received, m->width_received,
	    m->height_received, (unsigned long long)m->audio_frames_decoded,
	    (unsigned long long)m->video_packets_received,
	    (unsigned long long)m->audio_packets_received,
	    (unsigned long long)m->packets_lost,
	    (unsigned long long)m->nacks_sent,
	    (unsigned long long)m->nacks_received,
	    (unsigned long long)m->plis_sent,
	    (unsigned long long)m->plis_received,
	    (unsigned long long)m->packets_retransmitted,
	    (unsigned long long)m->pattern_frames,
	    (unsigned long long)m->pattern_order_errors,
	    (unsigned long long)m->pattern_gaps, m->pattern_latency_avg_ms,
	    m->bitrate_out, m->bitrate_in, m->target_bitrate, m->remb_bitrate,
	    m->remb_sent, m->opus_loss_pct,
	    (unsigned long long)st->srtp_dropped,
	    (unsigned long long)st->srtp_replayed,
	    (unsigned long long)m->rx_malformed);
	fflush(a->stats);
}

static void status_line(const struct peer_call_status *st)
{
	const struct peer_media_stats *m = &st->media;

	fprintf(stderr,
		"\r%-10s %-16s in %llu fr %ux%u  out %.0f kbit/s in %.0f "
		"kbit/s  loss %.1f%%  rtt %u ms   ",
		st->state, st->pair[0] ? st->pair : "-",
		(unsigned long long)m->frames_decoded, m->width_received,
		m->height_received, m->bitrate_out / 1000, m->bitrate_in / 1000,
		loss_pct(m), st->rtt_ms);
}

static void hang_up(struct app *a);

static void finish(struct app *a, int status)
{
	struct peer_call_status st;

	if (a->call) {
		peer_call_status(a->call, &st);
		if (a->stats)
			stats_line(a, &st, true);
		if (a->tty)
			fputc('\n', stderr);
		say("sent %llu video frames, %llu audio packets; received "
		    "%llu video frames decoded (%ux%u), %llu audio frames "
		    "decoded",
		    (unsigned long long)st.media.frames_encoded,
		    (unsigned long long)st.media.audio_packets_sent,
		    (unsigned long long)st.media.frames_decoded,
		    st.media.width_received, st.media.height_received,
		    (unsigned long long)st.media.audio_frames_decoded);
	}
	a->status = status;
	if (a->sig) {
		/* let the hang-up reach the server before we close */
		struct timeval tv = { 0, 300000 };

		event_base_loopexit(a->base, &tv);
		return;
	}
	event_base_loopbreak(a->base);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct app *a = arg;
	struct peer_call_status st;
	uint64_t now = peer_clock_us();

	(void)fd;
	(void)what;
	if (!a->call)
		return;
	peer_call_status(a->call, &st);
	if (st.secure && !a->secure_us)
		a->secure_us = now;
	if (a->stats)
		stats_line(a, &st, false);
	if (a->tty)
		status_line(&st);
	if (a->duration && a->secure_us &&
	    now - a->secure_us >= (uint64_t)a->duration * 1000000) {
		hang_up(a);
		finish(a, 0);
		return;
	}
	if (!a->secure_us && !a->sig &&
	    now - a->t0_us >= (uint64_t)a->timeout * 1000000) {
		say("no media after %u s (ICE %s): giving up", a->timeout,
		    st.state);
		finish(a, 1);
	}
}

/* ---- the call's callbacks -------------------------------------------- */

static void write_file(const char *path, const char *text)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0 ||
	    rename(tmp, path) != 0)
		say("cannot write %s: %s", path, strerror(errno));
}

static void on_description(void *arg, const char *type, const char *sdp)
{
	struct app *a = arg;

	if (a->verbose)
		say("local %s:\n%s", type, sdp);
	if (a->sig) {
		json_t *m = json_pack(
		    "{s:s, s:s, s:s, s:{s:s, s:s}}", "type",
		    strcmp(type, "offer") == 0 ? "video-offer" : "video-answer",
		    "name", a->me, "target", a->peer, "sdp", "type", type,
		    "sdp", sdp);

		peer_sig_send(a->sig, m);
		json_decref(m);
		return;
	}
	if (strcmp(a->sdp_out, "-") == 0) {
		fputs(sdp, stdout);
		fputs("\n", stdout);
		fflush(stdout);
	} else {
		write_file(a->sdp_out, sdp);
	}
}

static void on_candidate(void *arg, const char *line)
{
	struct app *a = arg;
	json_t *m;

	if (!a->sig || !a->call)
		return;
	/* "" is end-of-candidates: the chat sample has no message of its
	 * own for it, but a browser's last icecandidate of a section carries
	 * candidate "" too, and addIceCandidate takes it as the end (so the
	 * peer's ICE can complete instead of waiting for more). */
	m = json_pack("{s:s, s:s, s:{s:s, s:s, s:i}}", "type",
		      "new-ice-candidate", "target", a->peer, "candidate",
		      "candidate", line, "sdpMid", peer_call_mid(a->call),
		      "sdpMLineIndex", 0);
	peer_sig_send(a->sig, m);
	json_decref(m);
}

static void hang_up(struct app *a)
{
	json_t *m;

	if (!a->sig || !a->peer[0])
		return;
	m = json_pack("{s:s, s:s, s:s}", "type", "hang-up", "name", a->me,
		      "target", a->peer);
	peer_sig_send(a->sig, m);
	json_decref(m);
}

static void free_call(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	peer_call_free(arg);
}

/* A call over signaling ended: free it outside its callback, and wait
 * for the next one (or stop: --duration asks for one call). */
static void call_over(struct app *a, bool hangup, const char *why)
{
	struct peer_call *c = a->call;

	say("call with %s: %s", a->peer, why);
	if (a->duration) {
		finish(a, hangup ? 0 : 1);
		return;
	}
	a->call = NULL;
	a->secure_us = 0;
	a->peer[0] = '\0';
	event_base_once(a->base, -1, EV_TIMEOUT, free_call, c, NULL);
}

static void on_end(void *arg, bool hangup, const char *why)
{
	struct app *a = arg;

	if (a->tty)
		fputc('\n', stderr);
	if (a->sig) {
		if (!hangup)
			hang_up(a);
		call_over(a, hangup, why);
		return;
	}
	say("%s", why);
	finish(a, hangup ? 0 : 1);
}

static void on_log(void *arg, const char *line)
{
	struct app *a = arg;

	if (a->verbose)
		say("%s", line);
}

/* ---- the peer's description ------------------------------------------ */

static void remote_text(struct app *a, const char *text)
{
	char why[400];
	int err;

	a->got_remote = true;
	if (a->verbose)
		say("remote %s:\n%s", a->offer ? "answer" : "offer", text);
	err = peer_call_remote(a->call, a->offer ? "answer" : "offer", text,
			       why, sizeof(why));
	if (err) {
		say("the peer's description: %s", why);
		finish(a, 1);
	}
}

/* --sdp-in FILE: poll until the file appears (its writer renames it in). */
static void on_poll_in(evutil_socket_t fd, short what, void *arg)
{
	struct app *a = arg;
	static char text[65536];
	FILE *f;
	size_t n;

	(void)fd;
	(void)what;
	if (a->got_remote || !(f = fopen(a->sdp_in, "r")))
		return;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	if (!n)
		return;
	event_del(a->poll_in);
	remote_text(a, text);
}

/* --sdp-in -: stdin up to an empty line or EOF. */
/* --sdp-in -: stdin up to an empty line or EOF. An answerer reads on:
 * each further description is a re-offer in the same call, answered on
 * --sdp-out without restarting ICE or DTLS. */
static void on_stdin(struct bufferevent *bev, void *arg)
{
	struct app *a = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t n;
	char *line;

	while ((!a->got_remote || !a->offer) &&
	       (line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF))) {
		if (n == 0 && evbuffer_get_length(a->in_text)) {
			evbuffer_add(a->in_text, "", 1);
			remote_text(
			    a, (const char *)evbuffer_pullup(a->in_text, -1));
			evbuffer_drain(a->in_text,
				       evbuffer_get_length(a->in_text));
		} else if (n) {
			evbuffer_add_printf(a->in_text, "%s\r\n", line);
		}
		free(line);
	}
}

static void on_stdin_event(struct bufferevent *bev, short what, void *arg)
{
	struct app *a = arg;

	(void)bev;
	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	bufferevent_disable(bev, EV_READ);
	if (a->got_remote && !evbuffer_get_length(a->in_text))
		return; /* the peer is done writing: the call goes on */
	if (evbuffer_get_length(a->in_text)) {
		evbuffer_add(a->in_text, "", 1);
		remote_text(a, (const char *)evbuffer_pullup(a->in_text, -1));
	} else {
		say("stdin ended before the peer's description");
		finish(a, 1);
	}
}

/* ---- signaling (tern-signal, the chat sample's protocol) --------------- */

static const char *jget(json_t *m, const char *k)
{
	json_t *v = json_object_get(m, k);

	return json_is_string(v) ? json_string_value(v) : "";
}

static int new_call(struct app *a, const char *peer);
static int add_server(struct app *a, const char *url, const char *user,
		      const char *pass);

/* {"type":"id","id":N,"token":T}: our name, then TURN credentials. */
static void sig_id(struct app *a, json_t *m)
{
	json_t *u;

	json_decref(a->my_id);
	a->my_id = json_incref(json_object_get(m, "id"));
	snprintf(a->token, sizeof(a->token), "%s", jget(m, "token"));
	u = json_pack("{s:s, s:s, s:O, s:I}", "type", "username", "name",
		      a->name, "id", a->my_id ? a->my_id : json_null(), "date",
		      (json_int_t)(peer_clock_us() / 1000));
	peer_sig_send(a->sig, u);
	json_decref(u);
	snprintf(a->me, sizeof(a->me), "%s", a->name);
	if (a->signal_turn && a->token[0]) {
		char why[200];
		json_t *c = peer_sig_turn_credentials(a->signal_url, a->token,
						      why, sizeof(why));
		json_t *urls = json_object_get(c, "urls"), *x;
		size_t i;

		if (!c)
			say("%s", why);
		json_array_foreach(urls, i, x)
		{
			if (json_is_string(x) && a->n_servers < SERVERS_MAX)
				add_server(a, strdup(json_string_value(x)),
					   strdup(jget(c, "username")),
					   strdup(jget(c, "credential")));
		}
		a->co.ice.n_servers = a->n_servers;
		if (c && a->verbose)
			say("TURN credentials for %zu URLs from the server",
			    json_array_size(urls));
		json_decref(c);
	}
}

/* {"type":"userlist","users":[...]}: call --call USER once listed. */
static void sig_userlist(struct app *a, json_t *m)
{
	json_t *users = json_object_get(m, "users"), *u;
	size_t i;

	if (!a->call_user || a->called || a->call)
		return;
	json_array_foreach(users, i, u)
	{
		if (json_is_string(u) &&
		    strcmp(json_string_value(u), a->call_user) == 0) {
			a->called = true;
			if (new_call(a, a->call_user) == 0 &&
			    peer_call_offer(a->call) != 0)
				say("cannot start ICE");
			return;
		}
	}
}

static void sig_description(struct app *a, json_t *m, const char *type)
{
	const char *from = jget(m, "name");
	json_t *sdp = json_object_get(m, "sdp");
	char why[400];

	if (!a->call && strcmp(type, "offer") == 0 && new_call(a, from))
		return;
	if (!a->call || strcmp(from, a->peer) != 0) {
		say("%s from %s while in a call with %s: ignored", type, from,
		    a->peer);
		return;
	}
	if (peer_call_remote(a->call, type, jget(sdp, "sdp"), why,
			     sizeof(why))) {
		hang_up(a);
		call_over(a, false, why);
	}
}

static void on_sig_message(void *arg, json_t *m)
{
	struct app *a = arg;
	const char *type = jget(m, "type");
	json_t *cand;
	char why[300];

	if (a->verbose)
		say("signaling: %s", type);
	if (strcmp(type, "id") == 0)
		sig_id(a, m);
	else if (strcmp(type, "rejectusername") == 0)
		snprintf(a->me, sizeof(a->me), "%s", jget(m, "name"));
	else if (strcmp(type, "userlist") == 0)
		sig_userlist(a, m);
	else if (strcmp(type, "video-offer") == 0)
		sig_description(a, m, "offer");
	else if (strcmp(type, "video-answer") == 0)
		sig_description(a, m, "answer");
	else if (strcmp(type, "new-ice-candidate") == 0 && a->call) {
		cand = json_object_get(m, "candidate");
		if (peer_call_candidate(a->call, jget(cand, "candidate"), why,
					sizeof(why)) &&
		    a->verbose)
			say("candidate skipped: %s", why);
	} else if (strcmp(type, "hang-up") == 0 && a->call)
		call_over(a, true, "the peer hung up");
}

static void on_sig_close(void *arg, const char *why)
{
	say("%s", why);
	finish(arg, 1);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	finish(arg, 0);
}

/* ---- options --------------------------------------------------------- */

static int add_server(struct app *a, const char *url, const char *user,
		      const char *pass)
{
	if (a->n_servers == SERVERS_MAX) {
		say("at most %d ICE servers", SERVERS_MAX);
		return -1;
	}
	a->servers[a->n_servers].url = url;
	a->servers[a->n_servers].username = user;
	a->servers[a->n_servers].credential = pass;
	a->n_servers++;
	return 0;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* [{urls, username, credential}] or {"iceServers": [...]}, read by
 * libtern; the copies live as long as the process. */
static int parse_ice_servers(struct app *a, const char *text)
{
	struct tern_ice_servers l = { 0 };
	char why[256];
	int err = 0;

	if (tern_ice_servers_parse(&l, text, strlen(text), why, sizeof(why))) {
		say("--ice-servers: %s", why);
		return -1;
	}
	for (size_t i = 0; !err && i < l.n; i++)
		err = add_server(a, strdup(l.v[i].url),
				 dup_or_null(l.v[i].username),
				 dup_or_null(l.v[i].credential));
	tern_ice_servers_free(&l);
	return err;
}

static int media_source(struct app *a, const char *v, bool video)
{
	struct peer_media_opts *m = &a->co.media;
	const char *colon = strchr(v, ':');
	const char *path = colon ? colon + 1 : NULL;

	if (video) {
		a->co.video = strcmp(v, "none") != 0;
		m->video_path = path;
		if (strcmp(v, "pattern") == 0)
			m->video_src = PEER_VSRC_PATTERN;
		else if (strncmp(v, "y4m:", 4) == 0)
			m->video_src = PEER_VSRC_Y4M;
		else if (strncmp(v, "v4l2:", 5) == 0)
			m->video_src = PEER_VSRC_V4L2;
		else if (strcmp(v, "none") == 0)
			m->video_src = PEER_VSRC_NONE;
		else
			return -1;
		return 0;
	}
	a->co.audio = strcmp(v, "none") != 0;
	m->audio_path = path;
	if (strcmp(v, "tone") == 0)
		m->audio_src = PEER_ASRC_TONE;
	else if (strncmp(v, "wav:", 4) == 0)
		m->audio_src = PEER_ASRC_WAV;
	else if (strncmp(v, "alsa:", 5) == 0)
		m->audio_src = PEER_ASRC_ALSA;
	else if (strcmp(v, "none") == 0)
		m->audio_src = PEER_ASRC_NONE;
	else
		return -1;
	return 0;
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), k = strlen(tail);

	return n >= k && strcmp(s + n - k, tail) == 0;
}

static void media_sinks(struct app *a, const char *vout, const char *aout)
{
	struct peer_media_opts *m = &a->co.media;

	if (vout) {
		m->video_out = vout;
		m->video_sink =
		    ends_with(vout, ".ivf") ? PEER_VSINK_IVF : PEER_VSINK_Y4M;
	}
	if (aout) {
		m->audio_out = aout;
		m->audio_sink =
		    ends_with(aout, ".ogg") ? PEER_ASINK_OGG : PEER_ASINK_WAV;
	}
}

enum {
	O_OFFER = 256,
	O_ANSWER,
	O_SDP_IN,
	O_SDP_OUT,
	O_VIDEO,
	O_AUDIO,
	O_SIZE,
	O_FPS,
	O_BITRATE,
	O_SPEED,
	O_VOUT,
	O_AOUT,
	O_ICE,
	O_STUN,
	O_TURN,
	O_USER,
	O_PASS,
	O_RELAY,
	O_IF,
	O_LOOP,
	O_IPV4,
	O_CA,
	O_DURATION,
	O_TIMEOUT,
	O_CONSENT,
	O_STATS,
	O_SIGNAL,
	O_NAME,
	O_CALL,
	O_SIGNAL_TURN,
};

static const struct option longopts[] = {
	{ "offer", no_argument, NULL, O_OFFER },
	{ "answer", no_argument, NULL, O_ANSWER },
	{ "sdp-in", required_argument, NULL, O_SDP_IN },
	{ "sdp-out", required_argument, NULL, O_SDP_OUT },
	{ "video", required_argument, NULL, O_VIDEO },
	{ "audio", required_argument, NULL, O_AUDIO },
	{ "size", required_argument, NULL, O_SIZE },
	{ "fps", required_argument, NULL, O_FPS },
	{ "bitrate", required_argument, NULL, O_BITRATE },
	{ "vp8-speed", required_argument, NULL, O_SPEED },
	{ "video-out", required_argument, NULL, O_VOUT },
	{ "audio-out", required_argument, NULL, O_AOUT },
	{ "ice-servers", required_argument, NULL, O_ICE },
	{ "stun", required_argument, NULL, O_STUN },
	{ "turn", required_argument, NULL, O_TURN },
	{ "user", required_argument, NULL, O_USER },
	{ "pass", required_argument, NULL, O_PASS },
	{ "relay-only", no_argument, NULL, O_RELAY },
	{ "interface", required_argument, NULL, O_IF },
	{ "loopback", no_argument, NULL, O_LOOP },
	{ "ipv4", no_argument, NULL, O_IPV4 },
	{ "ca", required_argument, NULL, O_CA },
	{ "duration", required_argument, NULL, O_DURATION },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "consent-timeout", required_argument, NULL, O_CONSENT },
	{ "stats", required_argument, NULL, O_STATS },
	{ "signal", required_argument, NULL, O_SIGNAL },
	{ "name", required_argument, NULL, O_NAME },
	{ "call", required_argument, NULL, O_CALL },
	{ "signal-turn", no_argument, NULL, O_SIGNAL_TURN },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static bool number(const char *s, unsigned long max, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (!*s || *end || v > max)
		return false;
	*out = (unsigned)v;
	return true;
}

/* One option; -1 on a bad value (said), 1 for --help. */
static int option(struct app *a, int c, const char *v, const char **turn,
		  const char **user, const char **pass, const char **vout,
		  const char **aout)
{
	struct peer_media_opts *m = &a->co.media;
	unsigned kbps, secs;

	switch (c) {
	case O_OFFER:
		a->offer = true;
		break;
	case O_ANSWER:
		a->offer = false;
		break;
	case O_SDP_IN:
		a->sdp_in = v;
		break;
	case O_SDP_OUT:
		a->sdp_out = v;
		break;
	case O_VIDEO:
	case O_AUDIO:
		if (media_source(a, v, c == O_VIDEO)) {
			say("--%s %s: not a source I know (see --help)",
			    c == O_VIDEO ? "video" : "audio", v);
			return -1;
		}
		break;
	case O_SIZE:
		if (sscanf(v, "%ux%u", &m->width, &m->height) != 2 ||
		    !m->width || !m->height || m->width > 4096 ||
		    m->height > 4096 || (m->width | m->height) & 1) {
			say("--size %s: WxH, even, at most 4096x4096", v);
			return -1;
		}
		break;
	case O_FPS:
		if (!number(v, 120, &m->fps) || !m->fps) {
			say("--fps %s: 1 to 120", v);
			return -1;
		}
		break;
	case O_BITRATE:
		if (!number(v, 50000, &kbps) || kbps < 30) {
			say("--bitrate %s: 30 to 50000 kbit/s", v);
			return -1;
		}
		m->video_bitrate = kbps * 1000;
		break;
	case O_SPEED:
		if (!number(v, VP8_SPEED_MAX, &m->vp8_speed) || !m->vp8_speed) {
			say("--vp8-speed %s: 1 to %d", v, VP8_SPEED_MAX);
			return -1;
		}
		break;
	case O_VOUT:
		*vout = v;
		break;
	case O_AOUT:
		*aout = v;
		break;
	case O_ICE:
		return parse_ice_servers(a, v);
	case O_STUN:
		return add_server(a, v, NULL, NULL);
	case O_TURN:
		*turn = v;
		break;
	case O_USER:
		*user = v;
		break;
	case O_PASS:
		*pass = v;
		break;
	case O_RELAY:
		a->co.ice.policy = TERN_ICE_POLICY_RELAY;
		break;
	case O_IF:
		a->co.ice.interface = v;
		break;
	case O_LOOP:
		a->co.ice.loopback = true;
		break;
	case O_IPV4:
		a->co.ice.no_ipv6 = true;
		break;
	case O_CA:
		a->co.ice.ca_file = v;
		break;
	case O_DURATION:
		if (!number(v, 86400, &a->duration)) {
			say("--duration %s: seconds", v);
			return -1;
		}
		break;
	case O_TIMEOUT:
		if (!number(v, 86400, &a->timeout) || !a->timeout) {
			say("--timeout %s: seconds, at least 1", v);
			return -1;
		}
		break;
	case O_CONSENT:
		if (!number(v, 3600, &secs) || !secs) {
			say("--consent-timeout %s: seconds, at least 1", v);
			return -1;
		}
		/* disconnected (shown, not fatal) at half of it when that
		 * comes before libtern's 5 s */
		a->co.ice.consent_fail_ms = secs * 1000;
		if (secs * 1000 / 2 < 5000)
			a->co.ice.disconnect_ms = secs * 1000 / 2;
		break;
	case O_STATS:
		a->stats_path = v;
		break;
	case O_SIGNAL:
		a->signal_url = v;
		break;
	case O_NAME:
		a->name = v;
		break;
	case O_CALL:
		a->call_user = v;
		break;
	case O_SIGNAL_TURN:
		a->signal_turn = true;
		break;
	case 'v':
		a->verbose = true;
		break;
	case 'h':
		return 1;
	case 'V':
		printf("tern-peer %s\n", PACKAGE_VERSION);
		exit(0);
	default:
		return -1;
	}
	return 0;
}

static int parse_args(struct app *a, int argc, char **argv)
{
	const char *turn = NULL, *user = NULL, *pass = NULL, *vout = NULL,
		   *aout = NULL;
	bool role = false;
	int c, r;

	a->co.audio = a->co.video = true;
	a->co.media.video_src = PEER_VSRC_PATTERN;
	a->co.media.audio_src = PEER_ASRC_TONE;
	a->timeout = 30;
	while ((c = getopt_long(argc, argv, "vhV", longopts, NULL)) != -1) {
		role |= c == O_OFFER || c == O_ANSWER;
		r = option(a, c, optarg, &turn, &user, &pass, &vout, &aout);
		if (r > 0) {
			usage(stdout);
			exit(0);
		}
		if (r < 0)
			return -1;
	}
	if (optind < argc || (!role && !a->signal_url)) {
		say("say --signal URL, or --offer or --answer (see --help)");
		return -1;
	}
	if (a->signal_url && !a->name) {
		say("--signal needs --name: the name others call");
		return -1;
	}
	if (turn && add_server(a, turn, user, pass))
		return -1;
	if (!a->sdp_in)
		a->sdp_in = "-";
	if (!a->sdp_out)
		a->sdp_out = "-";
	media_sinks(a, vout, aout);
	a->co.ice.servers = a->servers;
	a->co.ice.n_servers = a->n_servers;
	return 0;
}

/* A call with peer (signaling mode), or the one call (exchange mode). */
static int new_call(struct app *a, const char *peer)
{
	char why[300] = "";
	int err;

	snprintf(a->peer, sizeof(a->peer), "%s", peer ? peer : "");
	a->t0_us = peer_clock_us();
	if ((err = peer_call_new(&a->call, a->base, &a->co, a->cert, why,
				 sizeof(why)))) {
		say("%s", why[0] ? why : strerror(err));
		a->call = NULL;
		if (a->sig)
			hang_up(a);
		a->peer[0] = '\0';
		return -1;
	}
	if (peer)
		say("call with %s", peer);
	return 0;
}

static int start_signal(struct app *a)
{
	struct peer_sig_opts so = {
		.url = a->signal_url,
		.on_message = on_sig_message,
		.on_close = on_sig_close,
		.arg = a,
	};
	char why[300] = "";

	a->co.trickle = true;
	a->co.on_candidate = on_candidate;
	if (peer_sig_new(&a->sig, a->base, &so, why, sizeof(why))) {
		say("%s", why);
		return -1;
	}
	return 0;
}

static int start(struct app *a)
{
	struct timeval sec = { 1, 0 }, poll = { 0, 100000 };
	int err;

	a->co.on_description = on_description;
	a->co.on_end = on_end;
	a->co.on_log = on_log;
	a->co.arg = a;
	if ((err = peer_cert_new(&a->cert))) {
		say("cannot make a certificate: %s", strerror(err));
		return -1;
	}
	a->tick = event_new(a->base, -1, EV_PERSIST, on_tick, a);
	event_add(a->tick, &sec);
	if (a->signal_url)
		return start_signal(a);
	if (new_call(a, NULL))
		return -1;
	if (strcmp(a->sdp_in, "-") == 0) {
		a->in_text = evbuffer_new();
		a->in_bev = bufferevent_socket_new(a->base, 0, 0);
		bufferevent_setcb(a->in_bev, on_stdin, NULL, on_stdin_event, a);
		bufferevent_enable(a->in_bev, EV_READ);
	} else {
		a->poll_in = event_new(a->base, -1, EV_PERSIST, on_poll_in, a);
		event_add(a->poll_in, &poll);
	}
	if (a->offer && (err = peer_call_offer(a->call))) {
		say("cannot start ICE: %s", strerror(err));
		return -1;
	}
	return 0; /* an answerer's ICE starts with the offer */
}

static void cleanup(struct app *a)
{
	peer_call_free(a->call);
	peer_sig_free(a->sig);
	json_decref(a->my_id);
	peer_cert_free(a->cert);
	if (a->in_bev)
		bufferevent_free(a->in_bev);
	if (a->in_text)
		evbuffer_free(a->in_text);
	if (a->tick)
		event_free(a->tick);
	if (a->poll_in)
		event_free(a->poll_in);
	if (a->sigint)
		event_free(a->sigint);
	if (a->sigterm)
		event_free(a->sigterm);
	if (a->stats)
		fclose(a->stats);
	/* libtern frees a TURN-over-TCP connection from a deferred callback
	 * (tern/tern.h, tern_client_free): let those the frees above queued
	 * run (LeakSanitizer saw 2,992 bytes at exit in 1 of 4 Firefox TCP
	 * calls without this) */
	event_base_loop(a->base, EVLOOP_NONBLOCK);
	event_base_free(a->base);
}

int main(int argc, char **argv)
{
	static struct app a;

	if (parse_args(&a, argc, argv))
		return 2;
	signal(SIGPIPE, SIG_IGN);
	a.tty = isatty(2);
	a.base = event_base_new();
	a.t0_us = peer_clock_us();
	if (a.stats_path && !(a.stats = fopen(a.stats_path, "w"))) {
		say("--stats %s: %s", a.stats_path, strerror(errno));
		return 2;
	}
	a.sigint = evsignal_new(a.base, SIGINT, on_signal, &a);
	a.sigterm = evsignal_new(a.base, SIGTERM, on_signal, &a);
	event_add(a.sigint, NULL);
	event_add(a.sigterm, NULL);
	if (start(&a) == 0)
		event_base_dispatch(a.base);
	else
		a.status = 1;
	cleanup(&a);
	return a.status;
}
