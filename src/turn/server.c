/*
 * server.c — the input seam: demultiplex, decode, dispatch, answer errors.
 */
#include "turn/priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/rand.h"

static const char *const tp_names[TURN_TP_COUNT] = { "udp", "tcp", "tls",
						     "dtls" };

const char *turn_transport_name(enum turn_transport tp)
{
	return tp < TURN_TP_COUNT ? tp_names[tp] : "?";
}

const char *turn_verdict_name(enum turn_verdict v)
{
	static const char *const names[TURN_VERDICT_COUNT] = {
		"answered", "consumed", "malformed", "unexpected", "policy"
	};

	return v < TURN_VERDICT_COUNT ? names[v] : "?";
}

int turn_server_alloc(struct turn_server **sp,
		      const struct turn_server_cfg *cfg,
		      const struct turn_out *out)
{
	struct turn_server *s;

	if (!sp || !cfg || !out || !out->send)
		return EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return ENOMEM;
	s->cfg = cfg;
	s->out = *out;
	/* Table seed and the fallback nonce key from the CSPRNG: neither may
	 * be guessable from outside. */
	if (rand_bytes(&s->seed, sizeof(s->seed)) ||
	    rand_bytes(s->nonce_secret, sizeof(s->nonce_secret)) ||
	    rand_bytes(s->ind_tid, sizeof(s->ind_tid)) || turn_tables_init(s) ||
	    turn_challenge_init(s) ||
	    (!cfg->quota && turn_quota_alloc(&s->own_quota))) {
		turn_tables_release(s);
		turn_challenge_free(s);
		free(s);
		return ENOMEM;
	}
	s->quota = cfg->quota ? cfg->quota : s->own_quota;
	*sp = s;
	return 0;
}

void turn_server_free(struct turn_server *s)
{
	if (!s)
		return;
	turn_pending_release(s, NULL, true);
	turn_tables_release(s); /* puts every unit back */
	turn_challenge_free(s);
	turn_quota_free(s->own_quota);
	free(s);
}

int turn_server_set_relay_out(struct turn_server *s,
			      const struct turn_relay_out *ro)
{
	if (!s || !ro || !ro->send_client || !ro->relay_open ||
	    !ro->relay_close || !ro->relay_send)
		return EINVAL;
	s->rout = *ro;
	return 0;
}

void turn_server_set_wallclock(struct turn_server *s, uint64_t now_ms,
			       uint64_t unix_ms)
{
	if (s)
		s->wall_off_ms = (int64_t)(unix_ms - now_ms);
}

uint64_t turn_unix_s(const struct turn_server *s)
{
	return (uint64_t)((int64_t)s->now_ms + s->wall_off_ms) / 1000u;
}

const char *turn_err_name(enum turn_err e)
{
	static const char *const names[TURN_E_COUNT] = {
		"300", "400", "401", "403", "420", "437", "438",  "440",
		"441", "442", "443", "486", "500", "508", "other"
	};

	return e < TURN_E_COUNT ? names[e] : "?";
}

void turn_count_error(struct turn_server *s, uint16_t code)
{
	static const uint16_t codes[TURN_E_OTHER] = { 300, 400, 401, 403, 420,
						      437, 438, 440, 441, 442,
						      443, 486, 500, 508 };
	unsigned i;

	if (code / 100 < 7)
		s->st.err_resp[code / 100]++;
	for (i = 0; i < TURN_E_OTHER; i++)
		if (codes[i] == code)
			break;
	s->st.err_code[i]++;
}

const char *turn_authf_name(enum turn_auth_fail f)
{
	static const char *const names[TURN_AUTHF_COUNT] = {
		"challenge",	"bad_nonce",	 "stale_nonce",	 "bad_realm",
		"unknown_user", "bad_integrity", "rest_expired", "wrong_user",
		"store_down",	"busy",		 "rate_limited",
	};

	return f < TURN_AUTHF_COUNT ? names[f] : "?";
}

void turn_report_refusal(struct turn_server *s, const struct turn_in *in,
			 enum turn_refusal kind, const char *reason,
			 const char *user, size_t ulen)
{
	struct turn_auth_failure f = {
		.kind = kind,
		.reason = reason,
		.user = user ? user : "",
		.ulen = user ? ulen : 0,
		.tp = in->tp,
		.client = &in->from,
	};

	if (s->ev.auth_fail)
		s->ev.auth_fail(s->ev.arg, &f);
}

const char *turn_alloc_end_name(enum turn_alloc_end why)
{
	static const char *const names[] = { "expired", "deleted", "closed",
					     "killed" };

	return why <= TURN_END_KILLED ? names[why] : "?";
}

/* Seconds: 10 s to 6 h covers a test call, a meeting and a day-long
 * session; bytes: decades from 1 kB (a failed ICE check) to 10 GB. */
const uint64_t turn_hist_life_le_s[TURN_HIST_N - 1] = {
	10, 60, 300, 600, 1800, 3600, 7200, 21600
};
const uint64_t turn_hist_bytes_le[TURN_HIST_N - 1] = {
	1000,	  10000,     100000,	 1000000,
	10000000, 100000000, 1000000000, 10000000000ull
};

void turn_server_set_events(struct turn_server *s, const struct turn_events *ev)
{
	if (!s)
		return;
	if (ev)
		s->ev = *ev;
	else
		memset(&s->ev, 0, sizeof(s->ev));
}

void turn_server_set_session_base(struct turn_server *s, uint64_t base)
{
	if (s)
		s->next_session = base;
}

void turn_server_set_draining(struct turn_server *s, bool on,
			      const struct sa *alternate)
{
	if (!s)
		return;
	s->draining = on;
	sa_init(&s->alternate);
	if (alternate && sa_is_set(alternate))
		s->alternate = *alternate;
}

uint64_t turn_server_allocs(const struct turn_server *s)
{
	return s ? s->st.allocs_active : 0;
}

void turn_server_set_cfg(struct turn_server *s,
			 const struct turn_server_cfg *cfg)
{
	if (s && cfg)
		s->cfg = cfg;
}

const struct turn_stats *turn_server_stats(const struct turn_server *s)
{
	return &s->st;
}

void turn_send(struct turn_server *s, const struct turn_in *in, unsigned via,
	       const struct sa *to, size_t len)
{
	if (s->deferred && s->rout.send_client)
		s->rout.send_client(s->rout.arg, in->conn,
				    &in->local->addr[via], to, s->tx, len, 0);
	else if (!s->deferred)
		s->out.send(s->out.arg, in, via, to, s->tx, len);
}

/*
 * RFC 3489 (§11.1) has no attribute padding: every attribute must be a
 * multiple of four bytes long. Its text was padded with spaces (the reason
 * phrase, §11.2.9), and an odd UNKNOWN-ATTRIBUTES list repeated one entry
 * (§11.2.10). Zero padding, as RFC 8489 does it, makes a classic client
 * misread everything after the attribute.
 */
#define TEXT_3489_MAX 128

static void enc_text_3489(struct stun_enc *e, uint16_t type, const uint8_t *hdr,
			  size_t hlen, const char *s, size_t n)
{
	uint8_t buf[4 + TEXT_3489_MAX];

	if (n > TEXT_3489_MAX)
		n = TEXT_3489_MAX;
	if (hlen)
		memcpy(buf, hdr, hlen);
	memcpy(buf + hlen, s, n);
	while ((hlen + n) % 4)
		buf[hlen + n++] = ' ';
	stun_enc_attr(e, type, buf, hlen + n);
}

static void enc_errcode_3489(struct stun_enc *e, uint16_t code,
			     const char *reason)
{
	const uint8_t hdr[4] = { 0, 0, (uint8_t)(code / 100),
				 (uint8_t)(code % 100) };

	if (!reason)
		reason = stun_reason(code);
	enc_text_3489(e, STUN_ATTR_ERROR_CODE, hdr, sizeof(hdr), reason,
		      strlen(reason));
}

static void enc_unknown_3489(struct stun_enc *e, const uint16_t *types,
			     size_t n)
{
	uint16_t list[STUN_MAX_UNKNOWN + 1];

	if (n > STUN_MAX_UNKNOWN)
		n = STUN_MAX_UNKNOWN;
	memcpy(list, types, n * sizeof(*list));
	if (n % 2) {
		list[n] = list[n - 1];
		n++;
	}
	stun_enc_unknown(e, list, n);
}

void turn_reply_init(struct turn_server *s, struct stun_enc *e,
		     const struct stun_msg *req, enum stun_class cls)
{
	const char *sw = s->cfg->software;

	stun_enc_reply(e, s->tx, sizeof(s->tx), req, cls);
	if (!sw || !sw[0])
		return;
	if (req->rfc3489)
		enc_text_3489(e, STUN_ATTR_SOFTWARE, NULL, 0, sw, strlen(sw));
	else
		stun_enc_text(e, STUN_ATTR_SOFTWARE, sw, strlen(sw));
}

enum turn_verdict turn_reply_send(struct turn_server *s, struct stun_enc *e,
				  const struct turn_in *in,
				  const struct stun_msg *req)
{
	size_t len;

	/* A client that protects its request with FINGERPRINT (RFC 8489
	 * §14.7: multiplexed with other protocols) gets one back. */
	if (req->fp >= 0)
		stun_enc_fingerprint(e);
	if (stun_enc_finish(e, &len))
		return TURN_DROP_MALFORMED; /* cannot happen within STUN_MAX_MSG
					       for what we build */
	turn_send(s, in, in->local->self, &in->from, len);
	return TURN_ANSWERED;
}

enum turn_verdict turn_reply_error(struct turn_server *s,
				   const struct turn_in *in,
				   const struct stun_msg *req, uint16_t code,
				   const char *reason, const uint16_t *unknown,
				   size_t nunknown)
{
	struct stun_enc e;

	turn_reply_init(s, &e, req, STUN_CLASS_ERROR);
	if (req->rfc3489) {
		enc_errcode_3489(&e, code, reason);
		if (nunknown)
			enc_unknown_3489(&e, unknown, nunknown);
	} else {
		stun_enc_errcode(&e, code, reason);
		if (nunknown)
			stun_enc_unknown(&e, unknown, nunknown);
	}
	turn_count_error(s, code);
	return turn_reply_send(s, &e, in, req);
}

enum turn_verdict turn_reply_send_auth(struct turn_server *s,
				       struct stun_enc *e,
				       const struct turn_in *in,
				       const struct stun_msg *req,
				       const struct turn_auth *auth)
{
	if (auth && auth->mi256)
		stun_enc_mi256(e, auth->key.k, auth->key.len);
	else if (auth)
		stun_enc_mi(e, auth->key.k, auth->key.len);
	return turn_reply_send(s, e, in, req);
}

enum turn_verdict turn_reply_error_auth(struct turn_server *s,
					const struct turn_in *in,
					const struct stun_msg *req,
					const struct turn_auth *auth,
					uint16_t code, const char *reason)
{
	struct stun_enc e;

	turn_reply_init(s, &e, req, STUN_CLASS_ERROR);
	stun_enc_errcode(&e, code, reason);
	turn_count_error(s, code);
	return turn_reply_send_auth(s, &e, in, req, auth);
}

static enum turn_verdict on_request(struct turn_server *s,
				    const struct turn_in *in,
				    const struct stun_msg *req)
{
	/* RFC 8489 §6.3.1: unknown comprehension-required attributes in a
	 * request are answered with 420 listing them. */
	if (req->nunknown)
		return turn_reply_error(s, in, req, 420, NULL, req->unknown,
					req->nunknown);
	switch (req->method) {
	case STUN_METHOD_BINDING:
		return turn_binding_request(s, in, req);
	case STUN_METHOD_ALLOCATE:
	case STUN_METHOD_REFRESH:
	case STUN_METHOD_CREATE_PERMISSION:
	case STUN_METHOD_CHANNEL_BIND:
		if (s->cfg->store && s->cfg->store->lookup && s->cfg->realm)
			return turn_auth_request(s, in, req);
		return turn_reply_error(s, in, req, 400, "TURN not enabled",
					NULL, 0);
	default:
		/* RFC 8489 §6.3.1 leaves an unsupported method to the usage;
		 * 400 tells the client plainly that it will not work here. */
		return turn_reply_error(s, in, req, 400, "Unsupported method",
					NULL, 0);
	}
}

static enum turn_verdict on_stun(struct turn_server *s,
				 const struct turn_in *in)
{
	struct stun_msg msg;
	unsigned flags = s->cfg->rfc3489 ? STUN_DECODE_ALLOW_RFC3489 : 0;

	if (stun_msg_decode(&msg, in->buf, in->len, flags))
		return TURN_DROP_MALFORMED;
	switch (msg.cls) {
	case STUN_CLASS_REQUEST:
		return on_request(s, in, &msg);
	case STUN_CLASS_INDICATION:
		/* A Binding indication is a keepalive (RFC 8489 §6.3.2): no
		 * answer. A Send indication carries data to a peer (RFC 8656
		 * §11.2); anything else is not for a server. */
		if (msg.method == STUN_METHOD_BINDING)
			return TURN_CONSUMED;
		if (msg.method == STUN_METHOD_SEND)
			return turn_send_indication(s, in, &msg);
		return TURN_DROP_UNEXPECTED;
	default:
		/* A server sends no requests, so it expects no responses. */
		return TURN_DROP_UNEXPECTED;
	}
}

/*
 * What the first byte says. RFC 9443 §3 gives 0x50-0x7F to QUIC, but no QUIC
 * arrives on a TURN server's client-facing ports (ternd speaks none there,
 * and a relay's peer traffic comes in on relay sockets, never through this
 * door), so with rfc5766_channels those bytes are the upper RFC 5766 §11
 * channels, as coturn reads them.
 */
static enum stun_demux demux(const struct turn_server *s, uint8_t first)
{
	enum stun_demux d = stun_demux(first);

	if (d == STUN_DEMUX_QUIC && s->cfg->rfc5766_channels && first >= 0x50 &&
	    first <= 0x7F)
		return STUN_DEMUX_CHANNEL;
	return d;
}

enum turn_verdict turn_server_input(struct turn_server *s,
				    const struct turn_in *in, uint64_t now_ms)
{
	enum turn_verdict v;

	s->now_ms = now_ms;
	turn_expire(s, now_ms);
	s->st.rx++;
	if (!in->buf || in->len == 0) {
		v = TURN_DROP_MALFORMED;
	} else {
		switch (demux(s, in->buf[0])) {
		case STUN_DEMUX_STUN:
			v = on_stun(s, in);
			break;
		case STUN_DEMUX_CHANNEL:
			v = turn_channel_data(s, in);
			break;
		default:
			v = TURN_DROP_MALFORMED;
			break;
		}
	}
	s->st.verdict[v]++;
	return v;
}

uint64_t turn_server_tick(struct turn_server *s, uint64_t now_ms)
{
	s->now_ms = now_ms;
	turn_expire(s, now_ms);
	return s->nheap ? s->heap[0]->when : UINT64_MAX;
}

void turn_server_conn_closed(struct turn_server *s, void *conn)
{
	if (!s || !conn)
		return;
	turn_pending_release(s, conn, false);
	turn_allocs_conn_closed(s, conn);
}
