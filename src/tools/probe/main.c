/*
 * main.c — turn-probe: probe every URI, print what was found, exit 0
 * when every check passed, 1 when one failed, 2 on a usage error.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tools/probe/probe.h"

/* The checks in the order a connection meets them; a check that cannot
 * work without the one before it is not run (its absence is the hint). */
static void probe_target(const struct probe_opts *o,
			 const struct probe_target *t, struct probe_result *r)
{
	const struct probe_uri *u = &t->uri;
	struct sa server;

	probe_uri_print(u, r->uri, sizeof(r->uri));
	if (probe_resolve(o, u, r, &server))
		return;
	if (u->transport != PROBE_UDP && probe_tcp_reach(o, u, &server, r))
		return;
	if (u->transport == PROBE_TLS)
		probe_tls(o, u, &server, r);
	probe_stun(o, t, &server, r);
	if (!probe_result_ok(r) && r->mapped[0] == '\0')
		return; /* no Binding answer: nothing else will get one */
	if (u->transport == PROBE_UDP)
		probe_nat(o, &server, r);
	else
		probe_add(r, "nat", PROBE_SKIP, NULL,
			  "RFC 5780 tests run over UDP (probe stun:%s%s%s)",
			  u->ipv6_literal ? "[" : "", u->host,
			  u->ipv6_literal ? "]" : "");
	if (probe_uri_is_turn(u))
		probe_turn(o, t, &server, r);
}

int main(int argc, char **argv)
{
	struct probe_opts o;
	struct probe_result *res;
	bool ok = true;
	int err = probe_cli_parse(&o, argc, argv, stderr);

	if (err == ECANCELED)
		return 0;
	if (err) {
		if (err == EINVAL)
			fputs("Try 'turn-probe --help'.\n", stderr);
		else
			fprintf(stderr, "turn-probe: %s\n", strerror(err));
		return 2;
	}
	res = calloc(o.targets.n, sizeof(*res));
	if (!res) {
		probe_opts_free(&o);
		return 2;
	}
	for (size_t i = 0; i < o.targets.n; i++) {
		probe_target(&o, &o.targets.v[i], &res[i]);
		ok = ok && probe_result_ok(&res[i]);
	}
	if (o.json)
		probe_report_json(stdout, res, o.targets.n);
	else
		probe_report_text(stdout, res, o.targets.n);
	free(res);
	probe_opts_free(&o);
	return ok ? 0 : 1;
}
