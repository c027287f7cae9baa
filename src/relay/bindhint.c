/*
 * bindhint.c — see bindhint.h.
 *
 * The holder of a port: /proc/net/{udp,tcp}{,6} list every socket of this
 * network namespace with its local address and inode; /proc/PID/fd/N of
 * the owner links to "socket:[INODE]". Another user's processes are
 * unreadable without privilege; then the hint names the ss command.
 */
#include "relay/bindhint.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* TCP_LISTEN in /proc/net/tcp's st column */
#define ST_LISTEN 0x0A

/* /proc/net's "0100007F:0D96": 32-bit words printed in host order. */
static bool parse_local(const char *s, uint8_t addr[16], size_t *alen,
			unsigned *port)
{
	size_t n = strcspn(s, ":"), i;

	if ((n != 8 && n != 32) || s[n] != ':')
		return false;
	for (i = 0; i < n / 8; i++) {
		char word[9];
		uint32_t w;

		memcpy(word, s + 8 * i, 8);
		word[8] = 0;
		w = (uint32_t)strtoul(word, NULL, 16);
		memcpy(addr + 4 * i, &w, 4);
	}
	*alen = n / 2;
	*port = (unsigned)strtoul(s + n + 1, NULL, 16);
	return true;
}

static bool all_zero(const uint8_t *b, size_t n)
{
	while (n--)
		if (*b++)
			return false;
	return true;
}

/* Would a socket bound to (b, blen) block a bind of a? Same address, or
 * either side a wildcard (an IPv6 wildcard also takes IPv4). */
static bool blocks(const struct sa *a, const uint8_t *b, size_t blen)
{
	size_t alen;
	const uint8_t *ab = sa_addr_bytes(a, &alen);

	if (all_zero(b, blen))
		return blen == 16 || alen == 4;
	if (all_zero(ab, alen))
		return blen == alen;
	return blen == alen && !memcmp(ab, b, alen);
}

/* The inode of a socket in file f that holds a's port, or 0. */
static unsigned long holder_inode(const char *f, bool tcp, const struct sa *a)
{
	FILE *fp = fopen(f, "r");
	char line[512], local[80];
	unsigned long ino = 0, cand;
	unsigned port, st;
	uint8_t b[16];
	size_t blen;

	if (!fp)
		return 0;
	while (!ino && fgets(line, sizeof(line), fp))
		if (sscanf(line, " %*s %79s %*s %x %*s %*s %*s %*s %*s %lu",
			   local, &st, &cand) == 3 &&
		    parse_local(local, b, &blen, &port) && port == sa_port(a) &&
		    (!tcp || st == ST_LISTEN) && blocks(a, b, blen))
			ino = cand;
	fclose(fp);
	return ino;
}

/* Does process pid have socket inode ino open? */
static bool has_socket(const char *pid, unsigned long ino)
{
	char dir[64], path[384], link[64], want[40];
	struct dirent *e;
	bool found = false;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%.32s/fd", pid);
	snprintf(want, sizeof(want), "socket:[%lu]", ino);
	if (!(d = opendir(dir)))
		return false;
	while (!found && (e = readdir(d))) {
		ssize_t n;

		if (snprintf(path, sizeof(path), "%s/%.255s", dir, e->d_name) >=
		    (int)sizeof(path))
			continue;
		n = readlink(path, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = 0;
			found = !strcmp(link, want);
		}
	}
	closedir(d);
	return found;
}

/* "PID (COMM)" of the process holding socket ino, into buf; false when
 * none is readable. */
static bool owner(unsigned long ino, char *buf, size_t size)
{
	char comm[64] = "?", path[300];
	struct dirent *e;
	DIR *d = opendir("/proc");
	bool found = false;

	if (!d)
		return false;
	while (!found && (e = readdir(d)))
		if (e->d_name[0] >= '1' && e->d_name[0] <= '9' &&
		    atoi(e->d_name) != getpid() && has_socket(e->d_name, ino))
			found = true;
	if (found) {
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%.32s/comm", e->d_name);
		if ((f = fopen(path, "r"))) {
			if (fgets(comm, sizeof(comm), f))
				comm[strcspn(comm, "\n")] = 0;
			fclose(f);
		}
		snprintf(buf, size, "%.32s (%s)", e->d_name, comm);
	}
	closedir(d);
	return found;
}

static void in_use(char *buf, size_t size, int type, const struct sa *a)
{
	static const char *const udp[] = { "/proc/net/udp", "/proc/net/udp6" };
	static const char *const tcp[] = { "/proc/net/tcp", "/proc/net/tcp6" };
	bool is_tcp = type == SOCK_STREAM;
	const char *const *f = is_tcp ? tcp : udp;
	unsigned long ino = 0;
	char who[128];

	for (int i = 0; i < 2 && !ino; i++)
		ino = holder_inode(f[i], is_tcp, a);
	if (ino && owner(ino, who, sizeof(who))) {
		snprintf(buf, size,
			 "; process %s holds that port: stop it, or move "
			 "ternd to another port",
			 who);
		return;
	}
	snprintf(buf, size,
		 "; another process holds that port (find it with: ss -%s "
		 "'sport = :%u')",
		 is_tcp ? "ltnp" : "lunp", sa_port(a));
}

void bind_hint(char *buf, size_t size, int rc, int type, const struct sa *a)
{
	if (!size)
		return;
	buf[0] = 0;
	if (rc == EADDRINUSE)
		in_use(buf, size, type, a);
	else if ((rc == EACCES || rc == EPERM) && sa_port(a) < 1024)
		snprintf(buf, size,
			 "; ports below 1024 need root or "
			 "CAP_NET_BIND_SERVICE (setcap "
			 "cap_net_bind_service=+ep ternd, or "
			 "AmbientCapabilities=CAP_NET_BIND_SERVICE in the "
			 "systemd unit); or use a port of 1024 or above");
	else if (rc == EADDRNOTAVAIL)
		snprintf(buf, size,
			 "; that address is not on this host: behind 1:1 "
			 "NAT (AWS, GCP, Azure), bind the private address "
			 "and advertise the public one (relay.advertise = [ "
			 "\"PUBLIC/PRIVATE\" ])");
}

int bind_check_relay(const struct sa *addrs, size_t n, char *err, size_t errlen)
{
	char as[SA_STRLEN], hint[256];

	for (size_t i = 0; i < n; i++) {
		struct sa a = addrs[i];
		int fd, rc = 0;

		sa_set_port(&a, 0);
		fd = socket(sa_family(&a), SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			rc = errno;
		else if (bind(fd, &a.u.sa, a.len) < 0)
			rc = errno;
		if (fd >= 0)
			close(fd);
		if (!rc)
			continue;
		bind_hint(hint, sizeof(hint), rc, SOCK_DGRAM, &a);
		snprintf(err, errlen, "cannot bind relay address %s: %s%s",
			 sa_print_addr(&a, as, sizeof(as)), strerror(rc), hint);
		return rc;
	}
	return 0;
}
