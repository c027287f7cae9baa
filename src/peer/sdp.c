/*
 * sdp.c — the SDP parser (see sdp.h). Reads line by line through a bounded
 * position; every value is copied truncated into its fixed field, so no
 * input makes it write past a field or read past len.
 */
#include "base/why.h"
#include "peer/sdp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Copy n bytes of p into dst (size bytes), truncated, NUL-terminated. */
static void put(char *dst, size_t size, const char *p, size_t n)
{
	const char *nul = memchr(p, '\0', n);

	if (nul)
		n = (size_t)(nul - p);
	if (n >= size)
		n = size - 1;
	memcpy(dst, p, n);
	dst[n] = '\0';
}

/* The value after "name" at the start of line (n bytes), or NULL. */
static const char *after(const char *line, size_t n, const char *name,
			 size_t *vn)
{
	size_t k = strlen(name);

	if (n < k || memcmp(line, name, k) != 0)
		return NULL;
	*vn = n - k;
	return line + k;
}

/* A decimal number of at most max from p (n bytes); the bytes used in
 * *used. Returns false when there is no digit or it exceeds max. */
static bool num(const char *p, size_t n, uint64_t max, uint64_t *v,
		size_t *used)
{
	uint64_t x = 0;
	size_t i = 0;

	while (i < n && p[i] >= '0' && p[i] <= '9') {
		uint64_t d = (uint64_t)(p[i] - '0');

		if (x > (max - d) / 10)
			return false;
		x = x * 10 + d;
		i++;
	}
	if (i == 0)
		return false;
	*v = x;
	if (used)
		*used = i;
	return true;
}

static enum sdp_kind kind_of(const char *name)
{
	if (strcmp(name, "audio") == 0)
		return SDP_KIND_AUDIO;
	if (strcmp(name, "video") == 0)
		return SDP_KIND_VIDEO;
	if (strcmp(name, "application") == 0)
		return SDP_KIND_APPLICATION;
	return SDP_KIND_OTHER;
}

/* "m=<media> <port>[/<n>] <proto> <fmt> ..." (RFC 8866 §5.14). */
static bool parse_mline(struct sdp_media *m, const char *p, size_t n)
{
	const char *sp = memchr(p, ' ', n);
	uint64_t port;
	size_t used;

	/* We write kind, proto and formats back when we refuse the m-line:
	 * control bytes would not read back the same. */
	for (used = 0; used < n; used++)
		if ((unsigned char)p[used] < 0x20)
			return false;
	if (!sp || sp == p)
		return false;
	put(m->kind_name, sizeof(m->kind_name), p, (size_t)(sp - p));
	m->kind = kind_of(m->kind_name);
	n -= (size_t)(sp - p) + 1;
	p = sp + 1;
	if (!num(p, n, 65535, &port, &used))
		return false;
	m->port = (uint16_t)port;
	p += used;
	n -= used;
	if (n && *p == '/') { /* a port count: skip it */
		while (n && *p != ' ') {
			p++;
			n--;
		}
	}
	if (!n || *p != ' ')
		return false;
	p++;
	n--;
	sp = memchr(p, ' ', n);
	if (!sp || sp == p)
		return false;
	put(m->proto, sizeof(m->proto), p, (size_t)(sp - p));
	n -= (size_t)(sp - p) + 1;
	put(m->fmts, sizeof(m->fmts), sp + 1, n);
	/* RFC 8866 §5.14: at least one format; we write the list back
	 * when we refuse the m-line, so it must read back the same. */
	return m->fmts[0] != '\0' && m->fmts[0] != ' ' && m->proto[0] != '\0';
}

/* The refusal quotes the line, made printable (a caller logs it). */
static int bad_mline(size_t index, const char *p, size_t n, char *why,
		     size_t why_size)
{
	char q[61];
	size_t i;

	if (n > 60)
		n = 60;
	for (i = 0; i < n; i++)
		q[i] = p[i] >= 0x20 && p[i] <= 0x7e ? p[i] : '?';
	q[n] = '\0';
	return why_fail(EBADMSG, why, why_size,
			"m-line %zu does not parse: \"%s\".", index, q);
}

static struct sdp_codec *codec_get(struct sdp_media *m, uint64_t pt)
{
	size_t i;

	for (i = 0; i < m->n_codecs; i++)
		if (m->codecs[i].pt == pt)
			return &m->codecs[i];
	if (m->n_codecs == SDP_CODEC_MAX)
		return NULL;
	m->codecs[m->n_codecs].pt = (uint8_t)pt;
	return &m->codecs[m->n_codecs++];
}

/* "<pt> <rest>": the codec of pt (created on first use), rest in *rest. */
static struct sdp_codec *pt_attr(struct sdp_media *m, const char *p, size_t n,
				 const char **rest, size_t *rn)
{
	uint64_t pt;
	size_t used;

	if (!num(p, n, 127, &pt, &used) || used >= n || p[used] != ' ')
		return NULL;
	*rest = p + used + 1;
	*rn = n - used - 1;
	return codec_get(m, pt);
}

/* "opus/48000/2" */
static void parse_rtpmap(struct sdp_media *m, const char *p, size_t n)
{
	const char *r, *sl;
	size_t rn, used;
	uint64_t v;
	struct sdp_codec *c = pt_attr(m, p, n, &r, &rn);

	if (!c)
		return;
	sl = memchr(r, '/', rn);
	if (!sl)
		return;
	put(c->name, sizeof(c->name), r, (size_t)(sl - r));
	rn -= (size_t)(sl - r) + 1;
	r = sl + 1;
	if (!num(r, rn, UINT32_MAX, &v, &used))
		return;
	c->clock = (uint32_t)v;
	if (used + 1 < rn && r[used] == '/' &&
	    num(r + used + 1, rn - used - 1, 255, &v, NULL))
		c->channels = (uint8_t)v;
}

static void parse_fmtp(struct sdp_media *m, const char *p, size_t n)
{
	const char *r;
	size_t rn;
	struct sdp_codec *c = pt_attr(m, p, n, &r, &rn);

	if (c)
		put(c->fmtp, sizeof(c->fmtp), r, rn);
}

/* "<pt> nack pli", or "* nack" for every payload type. */
static void parse_rtcp_fb(struct sdp_media *m, const char *p, size_t n)
{
	const char *r;
	size_t rn, i;
	struct sdp_codec *c;

	if (n > 2 && p[0] == '*' && p[1] == ' ') {
		for (i = 0; i < m->n_codecs; i++) {
			c = &m->codecs[i];
			if (c->n_fb < SDP_FB_MAX)
				put(c->fb[c->n_fb++], sizeof(c->fb[0]), p + 2,
				    n - 2);
		}
		return;
	}
	c = pt_attr(m, p, n, &r, &rn);
	if (c && c->n_fb < SDP_FB_MAX)
		put(c->fb[c->n_fb++], sizeof(c->fb[0]), r, rn);
}

/* "1234 cname:xyz" (RFC 5576); other ssrc attributes are ignored. */
static void parse_ssrc(struct sdp_media *m, const char *p, size_t n)
{
	uint64_t v;
	size_t used, i, vn;
	const char *val;

	if (!num(p, n, UINT32_MAX, &v, &used) || used >= n || p[used] != ' ')
		return;
	val = after(p + used + 1, n - used - 1, "cname:", &vn);
	for (i = 0; i < m->n_ssrcs; i++)
		if (m->ssrcs[i].ssrc == v)
			break;
	if (i == m->n_ssrcs) {
		if (i == SDP_SSRC_MAX)
			return;
		m->ssrcs[m->n_ssrcs++].ssrc = (uint32_t)v;
	}
	if (val)
		put(m->ssrcs[i].cname, sizeof(m->ssrcs[i].cname), val, vn);
}

static enum sdp_setup setup_of(const char *p, size_t n)
{
	if (n == 7 && memcmp(p, "actpass", 7) == 0)
		return SDP_SETUP_ACTPASS;
	if (n == 6 && memcmp(p, "active", 6) == 0)
		return SDP_SETUP_ACTIVE;
	if (n == 7 && memcmp(p, "passive", 7) == 0)
		return SDP_SETUP_PASSIVE;
	return SDP_SETUP_NONE;
}

/* "sha-256 AB:CD:..." */
static void parse_fp(char *alg, size_t alg_size, char *fp, size_t fp_size,
		     const char *p, size_t n)
{
	const char *sp = memchr(p, ' ', n);

	if (!sp)
		return;
	put(alg, alg_size, p, (size_t)(sp - p));
	put(fp, fp_size, sp + 1, n - (size_t)(sp - p) - 1);
}

/* "BUNDLE 0 1 2" */
static void parse_group(struct sdp *s, const char *p, size_t n)
{
	size_t vn;
	const char *v = after(p, n, "BUNDLE", &vn), *sp;

	if (!v || s->n_bundle)
		return; /* only the first BUNDLE group is used */
	while (vn && s->n_bundle < SDP_MEDIA_MAX) {
		while (vn && *v == ' ') {
			v++;
			vn--;
		}
		if (!vn)
			break;
		sp = memchr(v, ' ', vn);
		size_t k = sp ? (size_t)(sp - v) : vn;
		put(s->bundle[s->n_bundle++], SDP_TOKEN_MAX, v, k);
		v += k;
		vn -= k;
	}
}

/* The session-level values that m-lines inherit. */
struct sess {
	char ufrag[SDP_TOKEN_MAX], pwd[SDP_TOKEN_MAX];
	char fp_alg[16], fp[SDP_FP_MAX];
	enum sdp_setup setup;
	bool trickle;
};

/* Attributes allowed at both levels; m is NULL at the session level. */
static bool common_attr(struct sess *ss, struct sdp_media *m, const char *p,
			size_t n)
{
	const char *v;
	size_t vn;

	if ((v = after(p, n, "ice-ufrag:", &vn)))
		put(m ? m->ufrag : ss->ufrag, SDP_TOKEN_MAX, v, vn);
	else if ((v = after(p, n, "ice-pwd:", &vn)))
		put(m ? m->pwd : ss->pwd, SDP_TOKEN_MAX, v, vn);
	else if ((v = after(p, n, "fingerprint:", &vn)))
		parse_fp(m ? m->fp_alg : ss->fp_alg, sizeof(ss->fp_alg),
			 m ? m->fp : ss->fp, SDP_FP_MAX, v, vn);
	else if ((v = after(p, n, "setup:", &vn)))
		*(m ? &m->setup : &ss->setup) = setup_of(v, vn);
	else if ((v = after(p, n, "ice-options:", &vn)))
		*(m ? &m->trickle : &ss->trickle) =
		    memmem(v, vn, "trickle", 7) != NULL;
	else
		return false;
	return true;
}

static void media_attr(struct sdp_media *m, const char *p, size_t n)
{
	const char *v;
	size_t vn;

	if ((v = after(p, n, "mid:", &vn)))
		put(m->mid, sizeof(m->mid), v, vn);
	else if ((v = after(p, n, "rtpmap:", &vn)))
		parse_rtpmap(m, v, vn);
	else if ((v = after(p, n, "fmtp:", &vn)))
		parse_fmtp(m, v, vn);
	else if ((v = after(p, n, "rtcp-fb:", &vn)))
		parse_rtcp_fb(m, v, vn);
	else if ((v = after(p, n, "ssrc:", &vn)))
		parse_ssrc(m, v, vn);
	else if ((v = after(p, n, "msid:", &vn)))
		put(m->msid, sizeof(m->msid), v, vn);
	else if (n == 8 && memcmp(p, "rtcp-mux", 8) == 0)
		m->rtcp_mux = true;
	else if (n == 17 && memcmp(p, "end-of-candidates", 17) == 0)
		m->end_of_candidates = true;
	else if (n == 8 && memcmp(p, "sendrecv", 8) == 0)
		m->dir = SDP_DIR_SENDRECV;
	else if (n == 8 && memcmp(p, "sendonly", 8) == 0)
		m->dir = SDP_DIR_SENDONLY;
	else if (n == 8 && memcmp(p, "recvonly", 8) == 0)
		m->dir = SDP_DIR_RECVONLY;
	else if (n == 8 && memcmp(p, "inactive", 8) == 0)
		m->dir = SDP_DIR_INACTIVE;
	else if (n > 10 && memcmp(p, "candidate:", 10) == 0) {
		if (m->n_cands < SDP_CAND_MAX)
			put(m->cands[m->n_cands++], SDP_LINE_MAX, p, n);
	}
}

/* "o=- <sess-id> <sess-version> IN IP4 ..." */
static void parse_origin(struct sdp *s, const char *p, size_t n)
{
	const char *sp = memchr(p, ' ', n);
	size_t used;
	uint64_t v;

	if (!sp)
		return;
	n -= (size_t)(sp - p) + 1;
	p = sp + 1;
	if (!num(p, n, UINT64_MAX, &v, &used))
		return;
	s->sess_id = v;
	if (used + 1 < n &&
	    num(p + used + 1, n - used - 1, UINT64_MAX, &v, NULL))
		s->sess_version = v;
}

static void inherit(struct sdp_media *m, const struct sess *ss)
{
	if (!m->ufrag[0])
		memcpy(m->ufrag, ss->ufrag, sizeof(m->ufrag));
	if (!m->pwd[0])
		memcpy(m->pwd, ss->pwd, sizeof(m->pwd));
	if (!m->fp[0]) {
		memcpy(m->fp_alg, ss->fp_alg, sizeof(m->fp_alg));
		memcpy(m->fp, ss->fp, sizeof(m->fp));
	}
	if (m->setup == SDP_SETUP_NONE)
		m->setup = ss->setup;
	if (ss->trickle)
		m->trickle = true;
}

static int parse_line(struct sdp *s, struct sess *ss, const char *p, size_t n,
		      char *why, size_t why_size)
{
	struct sdp_media *m = s->n_m ? &s->m[s->n_m - 1] : NULL;

	if (n < 2 || p[1] != '=')
		return 0; /* tolerated: blank or odd lines */
	switch (p[0]) {
	case 'o':
		parse_origin(s, p + 2, n - 2);
		break;
	case 'm':
		if (s->n_m == SDP_MEDIA_MAX)
			return why_fail(
			    EBADMSG, why, why_size,
			    "The description has more than %d m-lines.",
			    SDP_MEDIA_MAX);
		m = &s->m[s->n_m++];
		if (!parse_mline(m, p + 2, n - 2))
			return bad_mline(s->n_m, p, n, why, why_size);
		break;
	case 'a':
		p += 2;
		n -= 2;
		if (common_attr(ss, m, p, n))
			break;
		if (m)
			media_attr(m, p, n);
		else if (n > 6 && memcmp(p, "group:", 6) == 0)
			parse_group(s, p + 6, n - 6);
		break;
	default:
		break;
	}
	return 0;
}

int sdp_parse(struct sdp *s, const char *text, size_t len, char *why,
	      size_t why_size)
{
	struct sess ss;
	const char *p = text, *end = text + len, *nl;
	size_t n, i;
	int err;

	memset(s, 0, sizeof(*s));
	memset(&ss, 0, sizeof(ss));
	if (len < 3 || memcmp(text, "v=0", 3) != 0)
		return why_fail(EBADMSG, why, why_size,
				"The description does not start with v=0.");
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		while (n && (p[n - 1] == '\r' || p[n - 1] == ' ' ||
			     p[n - 1] == '\t'))
			n--;
		if ((err = parse_line(s, &ss, p, n, why, why_size)))
			return err;
		p = nl ? nl + 1 : end;
	}
	for (i = 0; i < s->n_m; i++)
		inherit(&s->m[i], &ss);
	return 0;
}

const struct sdp_codec *sdp_codec_find(const struct sdp_media *m,
				       const char *name, uint32_t clock)
{
	size_t i;

	for (i = 0; i < m->n_codecs; i++)
		if (strcasecmp(m->codecs[i].name, name) == 0 &&
		    m->codecs[i].clock == clock)
			return &m->codecs[i];
	return NULL;
}

bool sdp_codec_has_fb(const struct sdp_codec *c, const char *fb)
{
	size_t i;

	for (i = 0; i < c->n_fb; i++)
		if (strcmp(c->fb[i], fb) == 0)
			return true;
	return false;
}

const char *sdp_setup_name(enum sdp_setup s)
{
	switch (s) {
	case SDP_SETUP_ACTPASS:
		return "actpass";
	case SDP_SETUP_ACTIVE:
		return "active";
	case SDP_SETUP_PASSIVE:
		return "passive";
	default:
		return "";
	}
}
