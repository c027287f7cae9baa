/*
 * test_steer.c — a worker pool of two really steers by client address:
 * Binding requests from 20 source ports of 127.0.0.1 are all answered by
 * one worker, and those from 127.0.0.2 by the other (the program's index is
 * the source address mod 2, net/steer.h; worker i owns index i because the
 * workers bind in order). This is what lets a RESERVATION-TOKEN allocation
 * from a client's second socket find the worker that holds the port.
 */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/sa.h"
#include "relay/conf.h"
#include "relay/worker.h"

#define NSRC 20

static uint16_t free_udp_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	uint16_t port;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static struct ternd_config *load(uint16_t port)
{
	char path[] = "/tmp/tern-steer-XXXXXX";
	char err[512];
	struct ternd_config *cfg = NULL;
	int fd = mkstemp(path);
	FILE *f;

	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	fprintf(f,
		"workers = 2;\n"
		"listen = ( { address = \"127.0.0.1\"; } );\n"
		"ports = { udp = %u; tcp = 0; tls = 0; dtls = 0; };\n",
		port);
	fclose(f);
	cr_assert_eq(config_load(&cfg, path, err, sizeof(err)), 0, "%s", err);
	unlink(path);
	return cfg;
}

/* NSRC Binding requests from NSRC sockets of src, each answered. */
static void bindings_from(const char *src, uint16_t port)
{
	uint8_t req[20] = { 0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42 };
	uint8_t resp[512];
	struct sa to, from;
	int fds[NSRC];
	unsigned i;

	cr_assert_eq(sa_set_str(&to, "127.0.0.1", port), 0);
	cr_assert_eq(sa_set_str(&from, src, 0), 0);
	for (i = 0; i < NSRC; i++) {
		fds[i] = socket(AF_INET, SOCK_DGRAM, 0);
		cr_assert_eq(bind(fds[i], &from.u.sa, from.len), 0);
		req[19] = (uint8_t)i;
		cr_assert_eq(
		    sendto(fds[i], req, sizeof(req), 0, &to.u.sa, to.len),
		    (ssize_t)sizeof(req));
	}
	for (i = 0; i < NSRC; i++) {
		struct pollfd p = { fds[i], POLLIN, 0 };

		cr_assert_eq(poll(&p, 1, 2000), 1, "no answer to %s #%u", src,
			     i);
		cr_assert_gt(recv(fds[i], resp, sizeof(resp), 0), 20);
		cr_assert_eq(resp[0], 0x01, "a Binding success");
		close(fds[i]);
	}
}

Test(steer_pool, one_address_one_worker)
{
	uint16_t port = free_udp_port();
	struct ternd_config *cfg = load(port);
	struct worker_pool *p = NULL;
	struct pool_stats w0, w1;
	char err[512];

	cr_assert_eq(worker_pool_start(&p, cfg, err, sizeof(err)), 0, "%s",
		     err);
	bindings_from("127.0.0.1", port);
	bindings_from("127.0.0.2", port);
	/* workers publish their counters once a second */
	usleep(1500 * 1000);
	cr_assert_eq(worker_pool_worker_stats(p, 0, &w0), 0);
	cr_assert_eq(worker_pool_worker_stats(p, 1, &w1), 0);
	cr_assert_eq(worker_pool_worker_stats(p, 2, &w1), EINVAL);
	cr_assert_eq(worker_pool_worker_stats(p, 1, &w1), 0);
	cr_assert_eq(w1.turn.binding, NSRC, "127.0.0.1 -> worker 1 (got %llu)",
		     (unsigned long long)w1.turn.binding);
	cr_assert_eq(w0.turn.binding, NSRC, "127.0.0.2 -> worker 0 (got %llu)",
		     (unsigned long long)w0.turn.binding);
	worker_pool_stop(p);
	config_free(cfg);
}
