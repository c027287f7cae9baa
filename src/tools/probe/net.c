/*
 * net.c — checks 1 and 2: name resolution, and TCP reachability.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include "tools/probe/probe.h"

double probe_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Every address getaddrinfo gave, "a, b, c", into r->addrs; the first one
 * into *server. */
static void list_addrs(const struct addrinfo *ai, uint16_t port,
		       struct probe_result *r, struct sa *server)
{
	char buf[SA_STRLEN];
	size_t used = 0;
	struct sa a;

	sa_init(server);
	r->addrs[0] = '\0';
	for (; ai; ai = ai->ai_next) {
		if (sa_set_sockaddr(&a, ai->ai_addr, ai->ai_addrlen))
			continue;
		sa_set_port(&a, port);
		if (!sa_is_set(server))
			*server = a;
		sa_print_addr(&a, buf, sizeof(buf));
		if (strstr(r->addrs, buf))
			continue; /* one line per address, not per socktype */
		used +=
		    (size_t)snprintf(r->addrs + used, sizeof(r->addrs) - used,
				     "%s%s", used ? ", " : "", buf);
		if (used >= sizeof(r->addrs))
			break;
	}
}

int probe_resolve(const struct probe_opts *o, const struct probe_uri *u,
		  struct probe_result *r, struct sa *server)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_DGRAM,
				  .ai_flags = AI_ADDRCONFIG };
	struct addrinfo *ai = NULL;
	int rc;

	(void)o;
	if (u->ipv6_literal)
		hints.ai_flags |= AI_NUMERICHOST;
	rc = getaddrinfo(u->host, NULL, &hints, &ai);
	if (rc == EAI_ADDRFAMILY || rc == EAI_NONAME) {
		/* AI_ADDRCONFIG hides ::1 on a host with only loopback v6. */
		hints.ai_flags &= ~AI_ADDRCONFIG;
		rc = getaddrinfo(u->host, NULL, &hints, &ai);
	}
	if (rc) {
		probe_add(r, "resolve", PROBE_FAIL,
			  "check the name in the URI and the DNS records "
			  "(A/AAAA) of the server",
			  "%s: %s", u->host, gai_strerror(rc));
		return EHOSTUNREACH;
	}
	list_addrs(ai, u->port, r, server);
	freeaddrinfo(ai);
	if (!sa_is_set(server)) {
		probe_add(r, "resolve", PROBE_FAIL, "give an IPv4 or IPv6 host",
			  "%s: no IPv4 or IPv6 address", u->host);
		return EHOSTUNREACH;
	}
	probe_add(r, "resolve", PROBE_OK, NULL, "%s -> %s", u->host, r->addrs);
	return 0;
}

/* Non-blocking connect bounded by timeout seconds. */
static int connect_within(const struct sa *server, double timeout)
{
	struct pollfd p;
	socklen_t len = sizeof(int);
	int fd, err = 0;

	fd = socket(sa_family(server),
		    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (connect(fd, &server->u.sa, server->len) < 0 && errno != EINPROGRESS)
		err = errno;
	if (!err) {
		p = (struct pollfd){ .fd = fd, .events = POLLOUT };
		int n = poll(&p, 1, (int)(timeout * 1000));

		if (n == 0)
			err = ETIMEDOUT;
		else if (n < 0 ||
			 getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
	}
	close(fd);
	return err;
}

int probe_tcp_reach(const struct probe_opts *o, const struct probe_uri *u,
		    const struct sa *server, struct probe_result *r)
{
	const char *what = u->transport == PROBE_TLS ? "TLS" : "TCP";
	char buf[SA_STRLEN];
	int err = connect_within(server, o->timeout);

	sa_print(server, buf, sizeof(buf));
	if (!err) {
		probe_add(r, "reach", PROBE_OK, NULL, "%s connect to %s", what,
			  buf);
		return 0;
	}
	if (err == ECONNREFUSED)
		probe_add(r, "reach", PROBE_FAIL, NULL,
			  "connection refused: nothing listens on %s port %u",
			  what, u->port);
	else
		probe_add(r, "reach", PROBE_FAIL, NULL, "%s connect to %s: %s",
			  what, buf, strerror(err));
	probe_hint(&r->checks[r->nchecks - 1],
		   "is the %s listener enabled on port %u, and does a firewall "
		   "let TCP %u through?",
		   what, u->port, u->port);
	return EHOSTUNREACH;
}
