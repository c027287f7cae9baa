/*
 * report.c — the checks as lines for a person, or one JSON object for
 * a monitoring system.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include <jansson.h>

#include "tools/probe/probe.h"

struct probe_check *probe_add(struct probe_result *r, const char *name,
			      enum probe_status st, const char *hint,
			      const char *fmt, ...)
{
	struct probe_check *c;
	va_list ap;

	if (r->nchecks == PROBE_MAX_CHECKS) {
		/* A bug, not a server problem; keep it visible as a failure. */
		c = &r->checks[PROBE_MAX_CHECKS - 1];
		st = PROBE_FAIL;
	} else {
		c = &r->checks[r->nchecks++];
	}
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->status = st;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
	snprintf(c->hint, sizeof(c->hint), "%s", hint ? hint : "");
	return c;
}

void probe_hint(struct probe_check *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->hint, sizeof(c->hint), fmt, ap);
	va_end(ap);
}

bool probe_result_ok(const struct probe_result *r)
{
	for (size_t i = 0; i < r->nchecks; i++)
		if (r->checks[i].status == PROBE_FAIL)
			return false;
	return true;
}

static const char *mark(enum probe_status st)
{
	switch (st) {
	case PROBE_OK:
		return "ok  ";
	case PROBE_FAIL:
		return "FAIL";
	case PROBE_WARN:
		return "warn";
	case PROBE_SKIP:
		return "--  ";
	}
	return "?   ";
}

static const char *status_name(enum probe_status st)
{
	static const char *const names[] = { "ok", "fail", "warn", "skip" };

	return names[st];
}

void probe_report_text(FILE *f, const struct probe_result *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%s%s\n", i ? "\n" : "", r[i].uri);
		for (size_t j = 0; j < r[i].nchecks; j++) {
			const struct probe_check *c = &r[i].checks[j];

			fprintf(f, "  %s %s: %s\n", mark(c->status), c->name,
				c->detail);
			if (c->hint[0])
				fprintf(f, "       -> %s\n", c->hint);
		}
	}
}

/* Set key to a string unless it is empty. */
static void set_str(json_t *o, const char *key, const char *s)
{
	if (s && *s)
		json_object_set_new(o, key, json_string(s));
}

static json_t *relay_json(const struct probe_relay_stats *s)
{
	return json_pack(
	    "{s:i, s:i, s:i, s:f, s:f, s:f, s:f, s:f, s:f, s:f, "
	    "s:f}",
	    "sent", (json_int_t)s->sent, "received", (json_int_t)s->received,
	    "size", (json_int_t)s->size, "seconds", s->seconds, "rtt_p50_ms",
	    s->rtt_p50_ms, "rtt_p99_ms", s->rtt_p99_ms, "rtt_min_ms",
	    s->rtt_min_ms, "rtt_max_ms", s->rtt_max_ms, "jitter_ms",
	    s->jitter_ms, "loss_pct", s->loss_pct, "kbps", s->kbps);
}

static json_t *checks_json(const struct probe_result *r)
{
	json_t *a = json_array();

	for (size_t j = 0; a && j < r->nchecks; j++) {
		const struct probe_check *c = &r->checks[j];

		json_array_append_new(
		    a, json_pack("{s:s, s:b, s:s, s:s, s:s}", "name", c->name,
				 "ok", c->status != PROBE_FAIL, "status",
				 status_name(c->status), "detail", c->detail,
				 "hint", c->hint));
	}
	return a;
}

static json_t *target_json(const struct probe_result *r)
{
	json_t *o = json_object(), *fig = json_object();

	if (!o || !fig) {
		json_decref(o);
		json_decref(fig);
		return NULL;
	}
	json_object_set_new(o, "uri", json_string(r->uri));
	json_object_set_new(o, "ok", json_boolean(probe_result_ok(r)));
	json_object_set_new(o, "checks", checks_json(r));
	set_str(fig, "addresses", r->addrs);
	set_str(fig, "mapped", r->mapped);
	set_str(fig, "relayed", r->relayed);
	set_str(fig, "realm", r->realm);
	set_str(fig, "nat_mapping", r->nat_mapping);
	set_str(fig, "nat_filtering", r->nat_filtering);
	set_str(fig, "alpn", r->alpn);
	if (r->lifetime)
		json_object_set_new(fig, "lifetime", json_integer(r->lifetime));
	if (r->has_tls)
		json_object_set_new(fig, "tls_days_left",
				    json_integer(r->tls_days_left));
	if (r->relay.valid)
		json_object_set_new(fig, "relay", relay_json(&r->relay));
	json_object_set_new(o, "figures", fig);
	return o;
}

int probe_report_json(FILE *f, const struct probe_result *r, size_t n)
{
	json_t *root = json_object(), *list = json_array();
	bool ok = true;
	int err = 0;

	for (size_t i = 0; root && list && i < n; i++) {
		ok = ok && probe_result_ok(&r[i]);
		if (json_array_append_new(list, target_json(&r[i])))
			err = ENOMEM;
	}
	if (!root || !list || err) {
		json_decref(root);
		json_decref(list);
		return ENOMEM;
	}
	json_object_set_new(root, "ok", json_boolean(ok));
	json_object_set_new(root, "targets", list);
	if (json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER))
		err = EIO;
	fputc('\n', f);
	json_decref(root);
	return err;
}
