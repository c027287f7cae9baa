/*
 * sig_http.c — libFuzzer target for tern-signal's pure HTTP helpers
 * (src/signal/srv_http.h): the input as a request head (header lookup,
 * target length), as a request target (the file path under the web root,
 * the query and its parameters) and as an Origin with a Host.
 *
 * Promises checked: a header value found is NUL-terminated, shorter than
 * the buffer and within the input; a path accepted is relative, has no
 * "." or ".." segment, no empty segment, no NUL, backslash or control
 * byte, and fits its buffer; a type is never NULL; the Origin check never
 * reads past its strings (ASan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "signal/srv_http.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void head(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "host", "authorization",
					     "x-api-key", "origin", "" };
	char out[64];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (sig_http_header(data, size, names[i], out, sizeof(out)) ==
		    0)
			CHECK(strlen(out) < sizeof(out) && strlen(out) <= size);
	CHECK(sig_http_target_len(data, size) <= size);
}

static void path_ok(const char *p)
{
	const char *s = p;

	CHECK(p[0] && p[0] != '/');
	for (;;) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);

		CHECK(n > 0 && s[0] != '.');
		for (size_t i = 0; i < n; i++)
			CHECK((unsigned char)s[i] >= 0x20 && s[i] != 0x7f &&
			      s[i] != '\\');
		if (!e)
			break;
		s = e + 1;
	}
}

static void target(const char *t)
{
	char path[128], query[128], v[32];

	if (sig_http_path(t, path, sizeof(path), query, sizeof(query)) == 0) {
		CHECK(strlen(path) < sizeof(path));
		path_ok(path);
		CHECK(sig_http_type(path) != NULL);
		if (sig_http_query(query, "token", v, sizeof(v)) == 0)
			CHECK(strlen(v) < sizeof(v));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *list[] = { "https://a.example", "http://localhost:8080" };
	char *s = malloc(size + 1), *host;

	if (!s)
		return 0;
	head(data, size);
	memcpy(s, data, size);
	s[size] = '\0';
	target(s);
	host = strchr(s, '\n');
	if (host)
		*host++ = '\0';
	sig_http_origin_ok(s, host ? host : "", NULL, 0);
	sig_http_origin_ok(s, host ? host : "", list, 2);
	free(s);
	return 0;
}
