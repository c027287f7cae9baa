/*
 * discover.c — see discover.h. A blocking socket with a receive timeout:
 * this runs once, before the workers start, so there is no loop to share.
 */
#include "relay/discover.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/rand.h"
#include "stun/stun.h"

#define DISCOVER_TRIES	 3
#define DISCOVER_WAIT_MS 500

/* The XOR-MAPPED-ADDRESS (or MAPPED-ADDRESS) of a Binding success with
 * tid in buf; EBADMSG when it is not that. */
static int mapped_of(const uint8_t *buf, size_t len, const uint8_t *tid,
		     struct sa *out)
{
	const struct stun_attr *a;
	struct stun_msg m;

	if (stun_msg_decode(&m, buf, len, 0) ||
	    m.method != STUN_METHOD_BINDING || m.cls != STUN_CLASS_SUCCESS ||
	    memcmp(m.tid, tid, STUN_TID_SIZE))
		return EBADMSG;
	if ((a = stun_msg_attr(&m, STUN_ATTR_XOR_MAPPED_ADDRESS)))
		return stun_attr_xaddr(a, &m, out) ? EBADMSG : 0;
	if ((a = stun_msg_attr(&m, STUN_ATTR_MAPPED_ADDRESS)))
		return stun_attr_addr(a, out) ? EBADMSG : 0;
	return EBADMSG;
}

/* One Binding from `from` (port 0) to server, retransmitted. */
static int binding(const struct sa *from, const struct sa *server,
		   struct sa *mapped)
{
	struct timeval tv = { 0, DISCOVER_WAIT_MS * 1000 };
	uint8_t req[64], resp[STUN_MAX_MSG], tid[STUN_TID_SIZE];
	struct stun_enc e;
	struct sa src = *from;
	size_t len;
	int fd, rc = ETIMEDOUT;

	sa_set_port(&src, 0);
	if (rand_bytes(tid, sizeof(tid)))
		return EIO;
	stun_enc_init(&e, req, sizeof(req), STUN_METHOD_BINDING,
		      STUN_CLASS_REQUEST, tid);
	if (stun_enc_finish(&e, &len))
		return EIO;
	fd = socket(sa_family(&src), SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (bind(fd, &src.u.sa, src.len) < 0 ||
	    connect(fd, &server->u.sa, server->len) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		rc = errno;
	for (int i = 0; i < DISCOVER_TRIES && rc == ETIMEDOUT; i++) {
		ssize_t n;

		if (send(fd, req, len, 0) < 0) {
			rc = errno;
			break;
		}
		while ((n = recv(fd, resp, sizeof(resp), 0)) > 0 &&
		       mapped_of(resp, (size_t)n, tid, mapped))
			;
		if (n > 0)
			rc = 0;
		else if (errno != EAGAIN && errno != EWOULDBLOCK)
			rc = errno;
	}
	close(fd);
	return rc;
}

/* Does relay.advertise already say what to announce for a? */
static bool advertised(const struct ternd_config *cfg, const struct sa *a)
{
	for (size_t i = 0; i < cfg->nadvertise; i++) {
		const struct cfg_advert *m = &cfg->advertise[i];

		if (sa_is_set(&m->bound) ? sa_equal_addr(&m->bound, a)
					 : sa_family(&m->pub) == sa_family(a))
			return true;
	}
	return false;
}

static int add(struct ternd_config *cfg, const struct sa *bound,
	       const struct sa *pub)
{
	struct cfg_advert *v =
	    realloc(cfg->advertise, (cfg->nadvertise + 1) * sizeof(*v));

	if (!v)
		return ENOMEM;
	cfg->advertise = v;
	v[cfg->nadvertise].bound = *bound;
	v[cfg->nadvertise].pub = *pub;
	sa_set_port(&v[cfg->nadvertise].pub, 0);
	v[cfg->nadvertise].discovered = true;
	cfg->nadvertise++;
	return 0;
}

int discover_run(struct ternd_config *cfg)
{
	char b[SA_STRLEN], p[SA_STRLEN];
	struct sa mapped;
	int rc = 0;

	for (size_t i = 0; i < cfg->nrelay_addrs && !rc; i++) {
		const struct sa *a = &cfg->relay_addrs[i];
		int e;

		if (sa_family(a) != sa_family(&cfg->discover_server) ||
		    advertised(cfg, a))
			continue;
		sa_print_addr(a, b, sizeof(b));
		e = binding(a, &cfg->discover_server, &mapped);
		if (e) {
			log_warn("relay.discover: no answer from %s for %s "
				 "(%s); advertising %s as it is",
				 cfg->discover, b, strerror(e), b);
			continue;
		}
		sa_unmap(&mapped);
		sa_print_addr(&mapped, p, sizeof(p));
		if (sa_equal_addr(&mapped, a)) {
			log_info("relay.discover: %s is its own public "
				 "address (discovered from %s)",
				 b, cfg->discover);
			continue;
		}
		log_info("advertising %s for %s, discovered from %s", p, b,
			 cfg->discover);
		rc = add(cfg, a, &mapped);
	}
	return rc;
}
