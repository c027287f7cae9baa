/*
 * nat.c — check 4: NAT mapping and filtering behaviour (RFC 5780
 * §4.3, §4.4), over UDP.
 *
 * The tests compare mapped addresses of Bindings sent from ONE local socket
 * to several server addresses, which a client bound to one server cannot
 * do; so this file drives its own unconnected socket with the codec.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include <openssl/rand.h>

#include "stun/stun.h"
#include "tools/probe/probe.h"

#define RTO_FIRST 0.25 /* seconds; doubled on each retransmission */

/* What one Binding transaction found. */
struct bind_ans {
	struct sa mapped, other;
};

static int send_req(int fd, const struct sa *dst, uint32_t change,
		    const uint8_t tid[STUN_TID_SIZE])
{
	uint8_t buf[64];
	struct stun_enc e;
	size_t len;
	int err;

	stun_enc_init(&e, buf, sizeof(buf), STUN_METHOD_BINDING,
		      STUN_CLASS_REQUEST, tid);
	if (change)
		stun_enc_change_request(&e, change);
	stun_enc_fingerprint(&e);
	err = stun_enc_finish(&e, &len);
	if (err)
		return err;
	if (sendto(fd, buf, len, 0, &dst->u.sa, dst->len) < 0)
		return errno;
	return 0;
}

/* A datagram: 0 when it is the success response to tid. */
static int read_ans(const uint8_t *buf, size_t n,
		    const uint8_t tid[STUN_TID_SIZE], struct bind_ans *a)
{
	const struct stun_attr *x;
	struct stun_msg m;

	if (stun_msg_decode(&m, buf, n, 0) || m.method != STUN_METHOD_BINDING ||
	    m.cls != STUN_CLASS_SUCCESS || memcmp(m.tid, tid, STUN_TID_SIZE))
		return EAGAIN;
	sa_init(&a->mapped);
	sa_init(&a->other);
	x = stun_msg_attr(&m, STUN_ATTR_XOR_MAPPED_ADDRESS);
	if (x ? stun_attr_xaddr(x, &m, &a->mapped)
	      : (x = stun_msg_attr(&m, STUN_ATTR_MAPPED_ADDRESS)) == NULL ||
		    stun_attr_addr(x, &a->mapped))
		return EBADMSG;
	x = stun_msg_attr(&m, STUN_ATTR_OTHER_ADDRESS);
	if (x && stun_attr_addr(x, &a->other))
		sa_init(&a->other);
	sa_unmap(&a->mapped);
	return 0;
}

/* One Binding to dst, retransmitted (RFC 8489 §6.2.1, with a shorter first
 * RTO: the probe waits for a person) until timeout seconds have passed.
 * Returns 0, ETIMEDOUT or a socket error. */
static int binding(int fd, const struct sa *dst, uint32_t change,
		   double timeout, struct bind_ans *a)
{
	uint8_t tid[STUN_TID_SIZE], buf[1500];
	double end = probe_now() + timeout, rto = RTO_FIRST, next = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int err;

	if (RAND_bytes(tid, sizeof(tid)) != 1)
		return EIO;
	for (double now = probe_now(); now < end; now = probe_now()) {
		if (now >= next) {
			err = send_req(fd, dst, change, tid);
			if (err)
				return err;
			next = now + rto;
			rto *= 2;
		}
		double wait = (next < end ? next : end) - now;

		if (poll(&p, 1, (int)(wait * 1000) + 1) <= 0)
			continue;
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n > 0 && read_ans(buf, (size_t)n, tid, a) == 0)
			return 0;
	}
	return ETIMEDOUT;
}

static const char *const kind[] = {
	"endpoint-independent",
	"address-dependent",
	"address-and-port-dependent",
};

/* RFC 5780 §4.3: tests II and III of mapping behaviour. */
static void mapping(const struct probe_opts *o, int fd, const struct sa *srv,
		    const struct bind_ans *t1, struct probe_result *r)
{
	struct sa alt_ip = t1->other; /* alternate IP, primary port */
	struct bind_ans t2, t3;
	char buf[SA_STRLEN];

	sa_set_port(&alt_ip, sa_port(srv));
	if (binding(fd, &alt_ip, 0, o->timeout, &t2)) {
		probe_add(r, "nat-mapping", PROBE_FAIL,
			  "the server advertises OTHER-ADDRESS but does not "
			  "answer there: check its alternate address and "
			  "firewall",
			  "no answer from the alternate address %s",
			  sa_print(&alt_ip, buf, sizeof(buf)));
		return;
	}
	int k = 0;

	if (!sa_equal(&t2.mapped, &t1->mapped)) {
		k = binding(fd, &t1->other, 0, o->timeout, &t3) == 0 &&
			    sa_equal(&t3.mapped, &t2.mapped)
			? 1
			: 2;
	}
	snprintf(r->nat_mapping, sizeof(r->nat_mapping), "%s", kind[k]);
	probe_add(r, "nat-mapping", PROBE_OK, NULL,
		  "%s mapping (RFC 5780 §4.3)%s", kind[k],
		  k ? "; peers see a different address per destination, "
		      "so ICE needs TURN more often"
		    : "");
}

/* RFC 5780 §4.4: tests II and III of filtering behaviour. */
static void filtering(const struct probe_opts *o, int fd, const struct sa *srv,
		      struct probe_result *r)
{
	struct bind_ans t;
	int k = 2;

	if (binding(fd, srv, STUN_CHANGE_IP | STUN_CHANGE_PORT, o->timeout,
		    &t) == 0)
		k = 0;
	else if (binding(fd, srv, STUN_CHANGE_PORT, o->timeout, &t) == 0)
		k = 1;
	snprintf(r->nat_filtering, sizeof(r->nat_filtering), "%s", kind[k]);
	probe_add(r, "nat-filtering", PROBE_OK, NULL,
		  "%s filtering (RFC 5780 §4.4)%s", kind[k],
		  k == 2 ? "; or the server's CHANGE-REQUEST answers are lost"
			 : "");
}

void probe_nat(const struct probe_opts *o, const struct sa *server,
	       struct probe_result *r)
{
	struct bind_ans t1;
	int fd = socket(sa_family(server), SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || binding(fd, server, 0, o->timeout, &t1)) {
		probe_add(r, "nat", PROBE_FAIL, NULL,
			  "no answer to the RFC 5780 test I Binding");
		goto out;
	}
	if (!sa_is_set(&t1.other)) {
		probe_add(r, "nat", PROBE_SKIP, NULL,
			  "not supported by this server (no OTHER-ADDRESS in "
			  "the Binding response)");
		goto out;
	}
	if (sa_equal_addr(&t1.other, server) ||
	    sa_port(&t1.other) == sa_port(server)) {
		probe_add(r, "nat", PROBE_SKIP, NULL,
			  "OTHER-ADDRESS does not differ in both address "
			  "and port; RFC 5780 tests need both");
		goto out;
	}
	mapping(o, fd, server, &t1, r);
	/* The filtering tests need a binding that has only ever talked to
	 * the primary address: the mapping tests sent from fd to the
	 * alternate address, which opens an address-dependent filter to
	 * it, and test II would then pass and read as endpoint-independent
	 * (RFC 5780 §4.4 starts from its own test I). */
	close(fd);
	fd = socket(sa_family(server), SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || binding(fd, server, 0, o->timeout, &t1)) {
		probe_add(r, "nat-filtering", PROBE_FAIL, NULL,
			  "no answer to test I from a second socket");
		goto out;
	}
	filtering(o, fd, server, r);
out:
	if (fd >= 0)
		close(fd);
}
