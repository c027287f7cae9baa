/* tern-stun — ask a STUN server for our mapped address with libtern.
 *
 *   cc -o tern-stun tern-stun.c $(pkg-config --cflags --libs tern libevent)
 *   ./tern-stun stun.example.org 3478
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <tern/tern.h>

struct run {
	struct event_base *base;
	int err;
};

static void on_binding(void *arg, int err, const struct tern_binding_result *r)
{
	struct run *run = arg;
	char addr[TERN_ADDRSTRLEN];

	run->err = err;
	if (err)
		fprintf(stderr, "binding failed: %s\n", r->reason);
	else
		printf("mapped address %s (rtt %u ms)\n",
		       tern_addr_print((const struct sockaddr *)&r->mapped,
				       addr, sizeof(addr)),
		       r->rtt_ms);
	event_base_loopexit(run->base, NULL);
}

int main(int argc, char **argv)
{
	struct tern_server srv = { .tp = TERN_UDP };
	struct tern_client_opts opts = { .timeout_ms = 5000 };
	struct tern_client *c = NULL;
	struct run run = { 0 };
	int err;

	if (argc < 2) {
		fprintf(stderr, "usage: %s HOST [PORT]\n", argv[0]);
		return 2;
	}
	srv.host_or_ip = argv[1];
	srv.port = argc > 2 ? (uint16_t)atoi(argv[2]) : 3478;
	run.base = event_base_new();
	if (!run.base)
		return 1;
	err = tern_client_alloc(&c, run.base, &srv, &opts);
	if (!err)
		err = tern_binding(c, 0, on_binding, &run);
	if (!err)
		event_base_dispatch(run.base);
	else
		fprintf(stderr, "tern: %s\n", strerror(err));
	tern_client_free(c);
	event_base_free(run.base);
	return err || run.err ? 1 : 0;
}
