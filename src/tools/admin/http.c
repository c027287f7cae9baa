/*
 * http.c — the only file of tern-admin that talks HTTP: one request to
 * ternd's admin listener (sessions, kill), HTTP/1.0, blocking, bounded in
 * time and size.
 */
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "tools/admin/admin.h"

/* An answer larger than this is not ternd's (1000 sessions fit well). */
#define HTTP_MAX_ANSWER (8u << 20)

static int dial(const char *url, unsigned timeout_ms, int *fdp, char *why,
		size_t whylen)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	char host[256], port[8];
	int fd = -1, rc;

	if (admin_url_split(url, host, port, why, whylen))
		return EINVAL;
	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc)
		return tools_fail(why, whylen, "%s: %s", url, gai_strerror(rc));
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	/* SO_SNDTIMEO bounds connect too (Linux) */
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    connect(fd, ai->ai_addr, ai->ai_addrlen)) {
		rc = errno;
		tools_fail(why, whylen,
			   "cannot reach ternd's admin listener "
			   "at %s: %s",
			   url, strerror(rc));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return rc ? rc : EIO;
	}
	freeaddrinfo(ai);
	*fdp = fd;
	return 0;
}

static int send_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	for (; n; p += w, n -= (size_t)w)
		if ((w = send(fd, p, n, MSG_NOSIGNAL)) <= 0)
			return errno ? errno : EIO;
	return 0;
}

/* Read to the end into a malloc'd, terminated buffer. */
static int read_all(int fd, char **out, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *b = malloc(cap), *nb;
	ssize_t r;

	while (b) {
		if (n + 1 == cap) {
			if (cap >= HTTP_MAX_ANSWER)
				break;
			nb = realloc(b, cap *= 2);
			if (!nb)
				break;
			b = nb;
		}
		r = recv(fd, b + n, cap - 1 - n, 0);
		if (r == 0) {
			b[n] = '\0';
			*out = b;
			*len = n;
			return 0;
		}
		if (r < 0 && errno != EINTR) {
			free(b);
			return errno == EAGAIN ? ETIMEDOUT : errno;
		}
		n += r > 0 ? (size_t)r : 0;
	}
	free(b);
	return ENOMEM;
}

int admin_http(const char *url, const char *method, const char *path,
	       const char *token, unsigned timeout_ms, int *status, char **body,
	       char *why, size_t whylen)
{
	char *req = NULL, *ans = NULL;
	size_t len = 0, off = 0;
	int fd = -1, rc, n;

	*body = NULL;
	if ((rc = dial(url, timeout_ms, &fd, why, whylen)))
		return rc;
	n = asprintf(&req,
		     "%s %s HTTP/1.0\r\nHost: ternd\r\n%s%s%sConnection: "
		     "close\r\n\r\n",
		     method, path, token ? "Authorization: Bearer " : "",
		     token ? token : "", token ? "\r\n" : "");
	rc = n < 0 ? ENOMEM : send_all(fd, req, (size_t)n);
	if (req) {
		explicit_bzero(req, strlen(req));
		free(req);
	}
	if (!rc)
		rc = read_all(fd, &ans, &len);
	close(fd);
	if (rc)
		return tools_fail(why, whylen, "%s: %s", url, strerror(rc));
	if (admin_http_parse(ans, len, status, &off)) {
		free(ans);
		return tools_fail(why, whylen,
				  "%s did not answer in HTTP: is it ternd's "
				  "admin listener?",
				  url);
	}
	memmove(ans, ans + off, len - off + 1);
	*body = ans;
	return 0;
}
