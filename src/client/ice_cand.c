/*
 * ice_cand.c — SDP candidate lines (RFC 8839 §5.1, RFC 6544 §4.5) parsed
 * into struct ice_cand and written back. Pure: a bounded cursor over the
 * caller's bytes, no allocation, no log.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/why.h"
#include "client/ice.h"

/* A token: [p, p + n) inside the line. */
struct tok {
	const char *p;
	size_t n;
};

struct lex {
	const char *pos, *end;
	char *why;
	size_t why_size;
};

static int fail(struct lex *lx, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = why_vfail(EBADMSG, lx->why, lx->why_size, fmt, ap);
	va_end(ap);
	return err;
}

/* Next token separated by one or more SP; false at the end of the line. */
static bool next(struct lex *lx, struct tok *t)
{
	while (lx->pos < lx->end && *lx->pos == ' ')
		lx->pos++;
	if (lx->pos == lx->end)
		return false;
	t->p = lx->pos;
	while (lx->pos < lx->end && *lx->pos != ' ')
		lx->pos++;
	t->n = (size_t)(lx->pos - t->p);
	return true;
}

static bool tok_is(const struct tok *t, const char *s)
{
	size_t n = strlen(s);

	if (t->n != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char a = t->p[i];
		if (a >= 'A' && a <= 'Z')
			a = (char)(a - 'A' + 'a');
		if (a != s[i])
			return false;
	}
	return true;
}

/* ice-char = ALPHA / DIGIT / "+" / "/" (RFC 8839 §5.1) */
static bool is_ice_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '+' || c == '/';
}

static bool all_ice_chars(const struct tok *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (!is_ice_char(t->p[i]))
			return false;
	return true;
}

/* Visible ASCII without SP: what an unknown extension may carry. */
static bool all_visible(const struct tok *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->p[i] < 0x21 || t->p[i] > 0x7e)
			return false;
	return true;
}

/* Decimal, 1 to 10 digits, at most max. */
static bool tok_u32(const struct tok *t, uint64_t max, uint32_t *out)
{
	uint64_t v = 0;

	if (t->n == 0 || t->n > 10)
		return false;
	for (size_t i = 0; i < t->n; i++) {
		if (t->p[i] < '0' || t->p[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(t->p[i] - '0');
	}
	if (v > max)
		return false;
	*out = (uint32_t)v;
	return true;
}

static void tok_copy(char *dst, const struct tok *t)
{
	memcpy(dst, t->p, t->n);
	dst[t->n] = '\0';
}

/* An mDNS host name (RFC 6762): labels of letters, digits and '-',
 * ending in ".local". */
static bool is_mdns_name(const struct tok *t)
{
	static const char sfx[] = ".local";
	size_t ns = sizeof(sfx) - 1;
	struct tok tail;

	if (t->n <= ns || t->n > ICE_NAME_MAX)
		return false;
	tail.p = t->p + t->n - ns;
	tail.n = ns;
	if (!tok_is(&tail, sfx))
		return false;
	for (size_t i = 0; i < t->n - ns; i++) {
		char c = t->p[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '-' || c == '.';
		if (!ok || (c == '.' && (i == 0 || t->p[i - 1] == '.')))
			return false;
	}
	return t->p[t->n - ns - 1] != '.';
}

/* A numeric address; the port is set later. */
static bool tok_ip(const struct tok *t, struct sa *a)
{
	char buf[64];

	if (t->n == 0 || t->n >= sizeof(buf))
		return false;
	tok_copy(buf, t);
	return sa_set_str(a, buf, 0) == 0;
}

static bool tok_port(const struct tok *t, bool zero_ok, uint16_t *port)
{
	uint32_t v;

	if (!tok_u32(t, 65535, &v) || (v == 0 && !zero_ok))
		return false;
	*port = (uint16_t)v;
	return true;
}

/* Strip "a=", "candidate:" and a trailing CR LF from [pos, end). */
static void strip(struct lex *lx)
{
	static const char a[] = "a=", cand[] = "candidate:";
	struct tok t;

	while (lx->end > lx->pos &&
	       (lx->end[-1] == '\n' || lx->end[-1] == '\r'))
		lx->end--;
	t.p = lx->pos;
	t.n = (size_t)(lx->end - lx->pos) < 2 ? 0 : 2;
	if (t.n && tok_is(&t, a))
		lx->pos += 2;
	t.p = lx->pos;
	t.n = (size_t)(lx->end - lx->pos) < 10 ? 0 : 10;
	if (t.n && tok_is(&t, cand))
		lx->pos += 10;
}

static int parse_head(struct lex *lx, struct ice_cand *c)
{
	struct tok t;
	uint32_t v;

	if (!next(lx, &t))
		return fail(lx, "empty candidate");
	if (t.n > ICE_FOUNDATION_MAX || !all_ice_chars(&t))
		return fail(lx,
			    "foundation must be 1 to 32 of A-Z a-z 0-9 + /");
	tok_copy(c->foundation, &t);
	if (!next(lx, &t))
		return fail(lx, "truncated after the foundation");
	if (!tok_u32(&t, 256, &v) || v == 0)
		return fail(lx, "component must be 1 to 256");
	c->component = (uint16_t)v;
	if (!next(lx, &t))
		return fail(lx, "truncated after the component");
	if (tok_is(&t, "udp"))
		c->transport = ICE_UDP;
	else if (tok_is(&t, "tcp"))
		c->transport = ICE_TCP;
	else
		return fail(lx, "transport must be udp or tcp");
	if (!next(lx, &t))
		return fail(lx, "truncated after the transport");
	if (!tok_u32(&t, UINT32_MAX, &c->priority))
		return fail(lx, "priority must be a number below 2^32");
	return 0;
}

static int parse_addr(struct lex *lx, struct ice_cand *c)
{
	struct tok t;

	if (!next(lx, &t))
		return fail(lx, "truncated after the priority");
	if (tok_ip(&t, &c->addr)) {
		c->mdns = false;
	} else if (is_mdns_name(&t)) {
		c->mdns = true;
		tok_copy(c->name, &t);
	} else {
		return fail(lx, "address is neither IPv4, IPv6 nor a "
				"<name>.local mDNS name");
	}
	if (!next(lx, &t))
		return fail(lx, "truncated after the address");
	if (!tok_port(&t, false, &c->port))
		return fail(lx, "port must be 1 to 65535");
	if (!c->mdns)
		sa_set_port(&c->addr, c->port);
	if (!next(lx, &t) || !tok_is(&t, "typ"))
		return fail(lx, "\"typ\" expected after the port");
	if (!next(lx, &t))
		return fail(lx, "truncated after \"typ\"");
	if (tok_is(&t, "host"))
		c->type = ICE_HOST;
	else if (tok_is(&t, "srflx"))
		c->type = ICE_SRFLX;
	else if (tok_is(&t, "prflx"))
		c->type = ICE_PRFLX;
	else if (tok_is(&t, "relay"))
		c->type = ICE_RELAY;
	else
		return fail(lx, "typ must be host, srflx, prflx or relay");
	return 0;
}

/* Which known extensions were seen, to refuse duplicates. */
enum {
	S_RADDR = 1,
	S_RPORT = 2,
	S_TCPTYPE = 4,
	S_GEN = 8,
	S_UFRAG = 16,
	S_NETID = 32,
	S_NETCOST = 64
};

static int set_seen(struct lex *lx, unsigned *seen, unsigned bit,
		    const struct tok *k)
{
	if (*seen & bit)
		return fail(lx, "%.*s given twice", (int)k->n, k->p);
	*seen |= bit;
	return 0;
}

static int parse_tcptype(struct lex *lx, struct ice_cand *c,
			 const struct tok *v)
{
	if (tok_is(v, "active"))
		c->tcptype = ICE_TCP_ACTIVE;
	else if (tok_is(v, "passive"))
		c->tcptype = ICE_TCP_PASSIVE;
	else if (tok_is(v, "so"))
		c->tcptype = ICE_TCP_SO;
	else
		return fail(lx, "tcptype must be active, passive or so");
	return 0;
}

/* A key as the reason quotes it: at most 32 bytes, anything but visible
 * ASCII as '?', so a reason is safe to log. */
static const char *quote(const struct tok *k, char out[33])
{
	size_t n = k->n > 32 ? 32 : k->n;

	for (size_t i = 0; i < n; i++)
		out[i] = k->p[i] < 0x21 || k->p[i] > 0x7e ? '?' : k->p[i];
	out[n] = '\0';
	return out;
}

static int parse_unknown(struct lex *lx, struct ice_cand *c,
			 const struct tok *k, const struct tok *v)
{
	struct ice_ext *e;
	char q[33];

	if (c->n_ext == ICE_EXT_MAX)
		return fail(lx, "more than %d unknown extensions", ICE_EXT_MAX);
	if (k->n > ICE_EXT_KEY_MAX || v->n > ICE_EXT_VAL_MAX)
		return fail(lx, "extension %s longer than %d/%d bytes",
			    quote(k, q), ICE_EXT_KEY_MAX, ICE_EXT_VAL_MAX);
	if (!all_visible(k) || !all_visible(v))
		return fail(lx, "extension with a control or non-ASCII byte");
	e = &c->ext[c->n_ext++];
	tok_copy(e->key, k);
	tok_copy(e->val, v);
	return 0;
}

/* generation, network-id, network-cost: a 32-bit decimal (Chromium's
 * extensions, no RFC). */
static int parse_num(struct lex *lx, unsigned *seen, unsigned bit,
		     const struct tok *k, const struct tok *v, uint32_t *out,
		     bool *has)
{
	if (!tok_u32(v, UINT32_MAX, out))
		return fail(lx, "%.*s must be a number below 2^32", (int)k->n,
			    k->p);
	*has = true;
	return set_seen(lx, seen, bit, k);
}

/* One extension: raddr/rport (RFC 8839) or an extension-att pair. */
static int parse_ext(struct lex *lx, struct ice_cand *c, unsigned *seen,
		     uint16_t *rport, const struct tok *k, const struct tok *v)
{
	if (tok_is(k, "raddr")) {
		if (!tok_ip(v, &c->raddr))
			return fail(lx,
				    "raddr must be an IPv4 or IPv6 address");
		return set_seen(lx, seen, S_RADDR, k);
	}
	if (tok_is(k, "rport")) {
		if (!tok_port(v, true, rport))
			return fail(lx, "rport must be 0 to 65535");
		return set_seen(lx, seen, S_RPORT, k);
	}
	if (tok_is(k, "tcptype")) {
		if (parse_tcptype(lx, c, v))
			return EBADMSG;
		return set_seen(lx, seen, S_TCPTYPE, k);
	}
	if (tok_is(k, "ufrag")) {
		if (v->n > ICE_UFRAG_MAX || !all_ice_chars(v))
			return fail(lx, "ufrag must be up to 256 ice-chars");
		tok_copy(c->ufrag, v);
		return set_seen(lx, seen, S_UFRAG, k);
	}
	if (tok_is(k, "generation"))
		return parse_num(lx, seen, S_GEN, k, v, &c->generation,
				 &c->has_generation);
	if (tok_is(k, "network-id"))
		return parse_num(lx, seen, S_NETID, k, v, &c->network_id,
				 &c->has_network_id);
	if (tok_is(k, "network-cost"))
		return parse_num(lx, seen, S_NETCOST, k, v, &c->network_cost,
				 &c->has_network_cost);
	return parse_unknown(lx, c, k, v);
}

static int parse_tail(struct lex *lx, struct ice_cand *c)
{
	struct tok k, v;
	char q[33];
	unsigned seen = 0;
	uint16_t rport = 0;

	while (next(lx, &k)) {
		if (!next(lx, &v))
			return fail(lx, "extension %s has no value",
				    quote(&k, q));
		if (parse_ext(lx, c, &seen, &rport, &k, &v))
			return EBADMSG;
	}
	if ((seen & (S_RADDR | S_RPORT)) == S_RADDR)
		return fail(lx, "raddr without rport");
	if ((seen & (S_RADDR | S_RPORT)) == S_RPORT)
		return fail(lx, "rport without raddr");
	c->has_raddr = (seen & S_RADDR) != 0;
	if (c->has_raddr)
		sa_set_port(&c->raddr, rport);
	if (c->tcptype != ICE_TCP_NONE && c->transport != ICE_TCP)
		return fail(lx, "tcptype on a udp candidate");
	return 0;
}

void ice_cand_init(struct ice_cand *c)
{
	memset(c, 0, sizeof(*c));
	c->component = 1;
	c->transport = ICE_UDP;
	c->type = ICE_HOST;
	sa_init(&c->addr);
	sa_init(&c->raddr);
}

int ice_cand_parse(struct ice_cand *c, const char *line, size_t len, char *why,
		   size_t why_size)
{
	struct lex lx = { NULL, NULL, why, why_size };
	struct ice_cand t;
	int err;

	if (!c || (!line && len))
		return EINVAL;
	if (!line) /* an empty line: no arithmetic on NULL */
		line = "";
	lx.pos = line;
	lx.end = line + len;
	if (why && why_size)
		why[0] = '\0';
	if (len > ICE_LINE_MAX)
		return fail(&lx, "line longer than %d bytes", ICE_LINE_MAX);
	if (memchr(line, '\0', len) || memchr(line, '\t', len))
		return fail(&lx, "NUL or TAB inside the line");
	strip(&lx);
	ice_cand_init(&t);
	err = parse_head(&lx, &t);
	if (!err)
		err = parse_addr(&lx, &t);
	if (!err)
		err = parse_tail(&lx, &t);
	if (err)
		return err;
	*c = t;
	return 0;
}

bool ice_cand_is_end(const char *line, size_t len)
{
	struct lex lx = { line, NULL, NULL, 0 };
	struct tok t;

	if (!line)
		return len == 0;
	lx.end = line + len;
	while (lx.end > lx.pos && (lx.end[-1] == '\n' || lx.end[-1] == '\r'))
		lx.end--;
	if (!next(&lx, &t))
		return true; /* the empty candidate of a trickle end */
	if (t.n > 2 && t.p[0] == 'a' && t.p[1] == '=') {
		t.p += 2;
		t.n -= 2;
	}
	return tok_is(&t, "end-of-candidates") && !next(&lx, &t);
}

/* Names by enum value: enum ice_type and enum ice_tcptype in ice.h. */
static const char *const type_names[] = { "host", "srflx", "prflx", "relay" };
static const char *const tcptype_names[] = { NULL, "active", "passive", "so" };

static const char *type_name(enum ice_type t)
{
	return (unsigned)t < 4 ? type_names[t] : NULL;
}

static const char *tcptype_name(enum ice_tcptype t)
{
	return (unsigned)t < 4 ? tcptype_names[t] : NULL;
}

/* Append to buf at *off; false (and the sticky overflow) when full. */
static bool put(char *buf, size_t size, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= size)
		return false;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, size - *off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size - *off) {
		*off = size;
		return false;
	}
	*off += (size_t)n;
	return true;
}

static void put_ext(const struct ice_cand *c, char *buf, size_t size,
		    size_t *off)
{
	char a[SA_STRLEN];

	if (c->has_raddr)
		put(buf, size, off, " raddr %s rport %u",
		    sa_print_addr(&c->raddr, a, sizeof(a)),
		    (unsigned)sa_port(&c->raddr));
	if (c->tcptype != ICE_TCP_NONE)
		put(buf, size, off, " tcptype %s", tcptype_name(c->tcptype));
	if (c->has_generation)
		put(buf, size, off, " generation %u", (unsigned)c->generation);
	if (c->ufrag[0])
		put(buf, size, off, " ufrag %s", c->ufrag);
	if (c->has_network_id)
		put(buf, size, off, " network-id %u", (unsigned)c->network_id);
	if (c->has_network_cost)
		put(buf, size, off, " network-cost %u",
		    (unsigned)c->network_cost);
	for (size_t i = 0; i < c->n_ext && i < ICE_EXT_MAX; i++)
		put(buf, size, off, " %s %s", c->ext[i].key, c->ext[i].val);
}

int ice_cand_format(const struct ice_cand *c, char *buf, size_t size)
{
	char a[SA_STRLEN];
	const char *host;
	size_t off = 0;

	if (!c || !buf || !size)
		return EINVAL;
	buf[0] = '\0';
	if (!type_name(c->type) || c->component < 1 || c->component > 256 ||
	    (!c->mdns && !sa_is_set(&c->addr)))
		return EINVAL;
	host = c->mdns ? c->name : sa_print_addr(&c->addr, a, sizeof(a));
	put(buf, size, &off, "candidate:%s %u %s %u %s %u typ %s",
	    c->foundation, (unsigned)c->component,
	    c->transport == ICE_TCP ? "tcp" : "udp", (unsigned)c->priority,
	    host, (unsigned)c->port, type_name(c->type));
	put_ext(c, buf, size, &off);
	if (off >= size) {
		buf[0] = '\0';
		return ENOSPC;
	}
	return 0;
}

bool ice_cand_equal(const struct ice_cand *a, const struct ice_cand *b)
{
	if (strcmp(a->foundation, b->foundation) ||
	    a->component != b->component || a->transport != b->transport ||
	    a->priority != b->priority || a->mdns != b->mdns ||
	    a->port != b->port || a->type != b->type ||
	    a->has_raddr != b->has_raddr || a->tcptype != b->tcptype)
		return false;
	if (a->mdns ? strcmp(a->name, b->name) != 0
		    : !sa_equal(&a->addr, &b->addr))
		return false;
	if (a->has_raddr && !sa_equal(&a->raddr, &b->raddr))
		return false;
	if (a->has_generation != b->has_generation ||
	    (a->has_generation && a->generation != b->generation) ||
	    a->has_network_id != b->has_network_id ||
	    (a->has_network_id && a->network_id != b->network_id) ||
	    a->has_network_cost != b->has_network_cost ||
	    (a->has_network_cost && a->network_cost != b->network_cost) ||
	    strcmp(a->ufrag, b->ufrag) || a->n_ext != b->n_ext)
		return false;
	for (size_t i = 0; i < a->n_ext && i < ICE_EXT_MAX; i++)
		if (strcmp(a->ext[i].key, b->ext[i].key) ||
		    strcmp(a->ext[i].val, b->ext[i].val))
			return false;
	return true;
}
