/*
 * admin_http.c — libFuzzer target for what tern-admin reads of HTTP: the
 * admin listener's answer (status and body offset) and the --admin URL.
 *
 * The input is an answer as it came off the socket (any bytes), and, cut
 * at its first NUL, a URL. A parsed answer has a status 100-599 and a
 * body inside the input, right after an empty line; a split URL gives a
 * host and a port 1-65535 that fit their buffers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tools/admin/admin.h"
#include "fuzz.h"

#define MAX_INPUT 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char host[256], port[8], why[300];
	char *s;
	size_t off = 0;
	int st = 0;

	if (size > MAX_INPUT)
		return 0;
	/* exactly size bytes: a read past the end is ASan's to see */
	s = malloc(size ? size : 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	if (admin_http_parse(s, size, &st, &off) == 0) {
		CHECK(st >= 100 && st <= 599);
		CHECK(off >= 4 && off <= size);
		CHECK(memcmp(s + off - 4, "\r\n\r\n", 4) == 0);
	}
	free(s);
	s = strndup((const char *)data, size);
	if (!s)
		return 0;
	if (admin_url_split(s, host, port, why, sizeof(why)) == 0) {
		CHECK(strlen(host) > 0 && strlen(host) < sizeof(host));
		CHECK(atoi(port) >= 1 && atoi(port) <= 65535);
	} else {
		CHECK(strstr(why, "is not http://HOST:PORT") != NULL);
	}
	free(s);
	return 0;
}
