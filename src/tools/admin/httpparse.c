/*
 * httpparse.c — the two things tern-admin reads of HTTP (pure): the
 * admin listener's URL, and the status and body of its answer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tools/admin/admin.h"

int admin_url_split(const char *url, char host[256], char port[8], char *why,
		    size_t whylen)
{
	const char *h, *end, *colon;
	size_t n;
	long v;

	if (strncmp(url, "http://", 7) != 0)
		goto bad;
	h = url + 7;
	if (*h == '[') {
		end = strchr(++h, ']');
		colon = end && end[1] == ':' ? end + 1 : NULL;
	} else {
		colon = strchr(h, ':');
		end = colon;
	}
	if (!end || !colon || end == h || (size_t)(end - h) > 255)
		goto bad;
	n = strspn(colon + 1, "0123456789");
	v = n && n <= 5 ? strtol(colon + 1, NULL, 10) : 0;
	if (v < 1 || v > 65535 ||
	    (colon[1 + n] && strcmp(colon + 1 + n, "/") != 0))
		goto bad;
	memcpy(host, h, (size_t)(end - h));
	host[end - h] = '\0';
	memcpy(port, colon + 1, n);
	port[n] = '\0';
	return 0;
bad:
	return tools_fail(
	    why, whylen,
	    "--admin '%.100s' is not http://HOST:PORT (for example "
	    "http://127.0.0.1:9641)",
	    url);
}

/* RFC 9112 §4: status-line = HTTP-version SP status-code SP
 * [ reason-phrase ]; the body follows the first empty line. */
int admin_http_parse(const char *ans, size_t len, int *status, size_t *body)
{
	const char *end = ans + len, *p = ans, *q;

	if (len < 12 || memcmp(p, "HTTP/1.", 7) != 0 || p[8] != ' ')
		return EBADMSG;
	p += 9;
	if (p + 3 > end || p[0] < '1' || p[0] > '5' || p[1] < '0' ||
	    p[1] > '9' || p[2] < '0' || p[2] > '9')
		return EBADMSG;
	*status = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
	q = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
	if (!q)
		return EBADMSG;
	*body = (size_t)(q + 4 - ans);
	return 0;
}
