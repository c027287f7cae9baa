/*
 * test_metrics.c — metrics_render(): the exposition is well formed (HELP and
 * TYPE before every family's samples, one family once, counters ending in
 * _total, label values from fixed tables only), each figure of pool_stats
 * lands on its line, histograms are cumulative with +Inf = _count and the
 * sum in seconds; metrics_healthy() and metrics_ready() verdicts.
 * promtool's own check runs in tests/ops/t-admin-metrics.py.
 */
#include "relay/metrics.h"

#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

static struct pool_stats total, worker[3];

static struct metrics_in input(void)
{
	struct metrics_in in = {
		.version = "1.2.3",
		.start_time_s = 1700000000,
		.total = &total,
		.worker = worker,
		.nworkers = 3,
	};

	return in;
}

/* The exposition as a NUL-terminated string (caller frees). */
static char *render(const struct metrics_in *in)
{
	struct evbuffer *b = evbuffer_new();
	size_t n;
	char *s;

	cr_assert_not_null(b);
	cr_assert_eq(metrics_render(b, in), 0);
	n = evbuffer_get_length(b);
	s = malloc(n + 1);
	cr_assert_not_null(s);
	evbuffer_copyout(b, s, n);
	s[n] = '\0';
	evbuffer_free(b);
	return s;
}

/* Does the text hold this exact line? */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line))) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
		p++;
	}
	return false;
}

#define assert_line(text, line)                                                \
	cr_assert(has_line(text, line), "no line '%s' in:\n%s", line, text)

/* Does the sample name len belong to family fam of type type? A
 * histogram's samples are fam_bucket, fam_sum and fam_count. */
static bool in_family(const char *name, size_t len, const char *fam,
		      const char *type)
{
	size_t fl = strlen(fam);

	if (len == fl)
		return strncmp(name, fam, len) == 0;
	if (strcmp(type, "histogram") || len < fl || strncmp(name, fam, fl))
		return false;
	name += fl;
	len -= fl;
	return (len == 7 && !strncmp(name, "_bucket", 7)) ||
	       (len == 4 && !strncmp(name, "_sum", 4)) ||
	       (len == 6 && !strncmp(name, "_count", 6));
}

/* Label values: lower-case words, digits, '_', '.', '+' (le="+Inf"). */
static void check_labels(const char *l, const char *line)
{
	for (; *l && *l != '}'; l++) {
		if (*l != '"')
			continue;
		for (l++; *l && *l != '"'; l++)
			cr_assert(islower((unsigned char)*l) ||
				      isdigit((unsigned char)*l) ||
				      strchr("_.+I", *l),
				  "label value character '%c' in %s", *l, line);
	}
}

Test(metrics, every_family_is_declared_once_before_its_samples)
{
	struct metrics_in in = input();
	char *text = render(&in), *save = NULL, *line;
	char fams[256][96], cur[96] = "", type[16] = "";
	size_t nf = 0, samples = 0;

	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[96];

		if (sscanf(line, "# HELP %95s", name) == 1) {
			for (size_t i = 0; i < nf; i++)
				cr_assert_str_neq(fams[i], name,
						  "%s declared twice", name);
			cr_assert_lt(nf, 256);
			strcpy(fams[nf++], name);
			strcpy(cur, name);
			continue;
		}
		if (sscanf(line, "# TYPE %95s %15s", name, type) == 2) {
			cr_assert_str_eq(name, cur, "TYPE without HELP");
			if (strcmp(type, "counter") == 0)
				cr_assert(strstr(name, "_total") ==
					      name + strlen(name) - 6,
					  "counter %s lacks _total", name);
			else
				cr_assert(strcmp(type, "gauge") == 0 ||
					      strcmp(type, "histogram") == 0,
					  "type %s", type);
			continue;
		}
		size_t len = strcspn(line, "{ ");
		cr_assert(in_family(line, len, cur, type),
			  "sample '%s' outside family %s", line, cur);
		cr_assert(strncmp(line, "ternd_", 6) == 0 ||
			      strncmp(line, "process_", 8) == 0,
			  "%s", line);
		if (line[len] == '{' && strncmp(line, "ternd_build_info", 16))
			check_labels(line + len, line);
		samples++;
	}
	cr_assert_gt(nf, 40, "only %zu families", nf);
	cr_assert_gt(samples, nf);
	free(text);
}

Test(metrics, figures_land_on_their_lines)
{
	struct metrics_in in = input();
	char *text;

	memset(&total, 0, sizeof(total));
	memset(worker, 0, sizeof(worker));
	total.workers = 3;
	total.conns = 7;
	total.draining = true;
	total.net.udp_rx = 41;
	total.net.tls_handshake_fail = 2;
	total.turn.to_peer_pkts = 10;
	total.turn.to_peer_bytes = 1200;
	total.turn.to_client_bytes = 1300;
	total.turn.auth_ok = 5;
	total.turn.auth_fail[TURN_AUTHF_BAD_MI] = 3;
	total.turn.err_code[TURN_E401] = 4;
	total.turn.err_code[TURN_E_OTHER] = 1;
	total.turn.allocs_active = 2;
	total.turn.allocs_by_tp[TURN_TP_TCP][1] = 1;
	total.turn.allocs_deleted = 6;
	total.turn.quota_user = 8;
	total.turn.verdict[TURN_DROP_MALFORMED] = 9;
	total.redis_workers = 3;
	total.redis_up = 2;
	total.redis.errors = 11;
	worker[1].loop_lag_ms = 1250;
	worker[2].turn.allocs_active = 2;
	text = render(&in);
	assert_line(text, "ternd_build_info{version=\"1.2.3\"} 1");
	assert_line(text, "process_start_time_seconds 1700000000");
	assert_line(text, "ternd_workers 3");
	assert_line(text, "ternd_draining 1");
	assert_line(text, "ternd_connections_open 7");
	assert_line(text, "ternd_udp_rx_total 41");
	assert_line(text, "# HELP ternd_udp_rx_total datagrams received");
	assert_line(text, "ternd_tls_handshake_fail_total 2");
	assert_line(text,
		    "ternd_relayed_packets_total{direction=\"to_peer\"} 10");
	assert_line(text,
		    "ternd_relayed_bytes_total{direction=\"to_peer\"} 1200");
	assert_line(text,
		    "ternd_relayed_bytes_total{direction=\"to_client\"} 1300");
	assert_line(text, "ternd_auth_success_total 5");
	assert_line(text,
		    "ternd_auth_failures_total{reason=\"bad_integrity\"} 3");
	assert_line(text, "ternd_auth_failures_total{reason=\"challenge\"} 0");
	assert_line(text, "ternd_error_responses_total{code=\"401\"} 4");
	assert_line(text, "ternd_error_responses_total{code=\"other\"} 1");
	assert_line(text, "ternd_allocations_active 2");
	assert_line(text,
		    "ternd_allocations{transport=\"tcp\",family=\"ipv6\"} 1");
	assert_line(text,
		    "ternd_allocations{transport=\"udp\",family=\"ipv4\"} 0");
	assert_line(text,
		    "ternd_allocations_ended_total{reason=\"deleted\"} 6");
	assert_line(text, "ternd_quota_refusals_total{reason=\"user\"} 8");
	assert_line(text,
		    "ternd_message_verdicts_total{verdict=\"malformed\"} 9");
	assert_line(text, "ternd_redis_configured_workers 3");
	assert_line(text, "ternd_redis_up 2");
	assert_line(text, "ternd_redis_errors_total 11");
	assert_line(text, "ternd_event_loop_lag_seconds{worker=\"0\"} 0.000");
	assert_line(text, "ternd_event_loop_lag_seconds{worker=\"1\"} 1.250");
	assert_line(text, "ternd_worker_allocations{worker=\"2\"} 2");
	cr_assert_null(strstr(text, "worker=\"3\""));
	free(text);
}

Test(metrics, histograms_are_cumulative_with_sum_in_seconds)
{
	struct metrics_in in = input();
	char *text;

	memset(&total, 0, sizeof(total));
	/* per bucket: 1 at <= 10 s, 2 at <= 300 s, 3 above 6 h */
	total.turn.alloc_life_hist[0] = 1;
	total.turn.alloc_life_hist[2] = 2;
	total.turn.alloc_life_hist[TURN_HIST_N - 1] = 3;
	total.turn.alloc_life_sum_ms = 12345;
	total.turn.alloc_bytes_hist[1] = 4;
	total.turn.alloc_bytes_sum = 40000;
	text = render(&in);
	assert_line(text, "# TYPE ternd_allocation_lifetime_seconds histogram");
	assert_line(text,
		    "ternd_allocation_lifetime_seconds_bucket{le=\"10\"} 1");
	assert_line(text,
		    "ternd_allocation_lifetime_seconds_bucket{le=\"60\"} 1");
	assert_line(text,
		    "ternd_allocation_lifetime_seconds_bucket{le=\"300\"} 3");
	assert_line(text,
		    "ternd_allocation_lifetime_seconds_bucket{le=\"21600\"} 3");
	assert_line(text,
		    "ternd_allocation_lifetime_seconds_bucket{le=\"+Inf\"} 6");
	assert_line(text, "ternd_allocation_lifetime_seconds_count 6");
	assert_line(text, "ternd_allocation_lifetime_seconds_sum 12.345");
	assert_line(text,
		    "ternd_allocation_relayed_bytes_bucket{le=\"1000\"} 0");
	assert_line(text,
		    "ternd_allocation_relayed_bytes_bucket{le=\"10000\"} 4");
	assert_line(text, "ternd_allocation_relayed_bytes_bucket{le="
			  "\"10000000000\"} 4");
	assert_line(text, "ternd_allocation_relayed_bytes_count 4");
	assert_line(text, "ternd_allocation_relayed_bytes_sum 40000");
	free(text);
}

Test(metrics, version_label_is_escaped)
{
	struct metrics_in in = input();
	char *text;

	in.version = "1.0\"x\\y\nz";
	text = render(&in);
	assert_line(text, "ternd_build_info{version=\"1.0\\\"x\\\\y\\nz\"} 1");
	free(text);
}

Test(metrics, table_names_are_label_safe)
{
	const char *names[64];
	size_t n = 0;

	for (unsigned i = 0; i < TURN_AUTHF_COUNT; i++)
		names[n++] = turn_authf_name(i);
	for (unsigned i = 0; i < TURN_E_COUNT; i++)
		names[n++] = turn_err_name(i);
	for (unsigned i = 0; i < TURN_TP_COUNT; i++)
		names[n++] = turn_transport_name(i);
	for (unsigned i = 0; i < TURN_VERDICT_COUNT; i++)
		names[n++] = turn_verdict_name(i);
	for (unsigned i = 0; i <= TURN_END_CLOSED; i++)
		names[n++] = turn_alloc_end_name(i);
	for (size_t i = 0; i < n; i++) {
		cr_assert(names[i][0] && strcmp(names[i], "?"));
		for (const char *p = names[i]; *p; p++)
			cr_assert(islower((unsigned char)*p) ||
				      isdigit((unsigned char)*p) || *p == '_',
				  "'%s'", names[i]);
	}
}

Test(metrics, healthy_until_a_worker_lags_past_the_bound)
{
	struct metrics_in in = input();
	char why[128] = "";

	memset(worker, 0, sizeof(worker));
	worker[2].loop_lag_ms = 5000;
	cr_assert(metrics_healthy(&in, 5000, why, sizeof(why)));
	worker[2].loop_lag_ms = 5001;
	cr_assert_not(metrics_healthy(&in, 5000, why, sizeof(why)));
	cr_assert_str_eq(why,
			 "worker 2: event loop 5001 ms behind (limit 5000 ms)");
}

Test(metrics, ready_unless_draining_or_redis_down)
{
	struct pool_stats t = { 0 };
	char why[128] = "";

	cr_assert(metrics_ready(&t, why, sizeof(why)));
	t.redis_workers = 2;
	t.redis_up = 2;
	cr_assert(metrics_ready(&t, why, sizeof(why)));
	t.redis_up = 1;
	cr_assert_not(metrics_ready(&t, why, sizeof(why)));
	cr_assert_str_eq(why, "redis unreachable from 1 of 2 workers");
	t.draining = true;
	cr_assert_not(metrics_ready(&t, why, sizeof(why)));
	cr_assert_str_eq(why, "draining");
}
