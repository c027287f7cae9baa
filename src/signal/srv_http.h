/*
 * srv_http.h — the pure HTTP helpers of tern-signal's listener: header
 * lookup in a request head, the request target split and decoded into a
 * file path that cannot leave the web root, query parameters, the
 * Content-Type of a file name, and the Origin policy. Bytes in, answer
 * out: no socket, no clock, no log (a fuzz target feeds them:
 * tests/fuzz/sig_http.c).
 */
#ifndef TERN_SIGNAL_SRV_HTTP_H
#define TERN_SIGNAL_SRV_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The value of the first header field called name (ASCII case-insensitive)
 * in the request head buf[0..len) (request line, fields, CRLF CRLF), with
 * surrounding blanks removed, NUL-terminated in out. Returns 0, ENOENT (no
 * such field), ENOSPC (the value does not fit in cap bytes with its NUL)
 * or EINVAL.
 */
int sig_http_header(const uint8_t *buf, size_t len, const char *name, char *out,
		    size_t cap);

/* Length of the request target of the request line at buf (0 when the
 * line is incomplete or malformed), to answer 414 before anything else. */
size_t sig_http_target_len(const uint8_t *buf, size_t len);

/*
 * A request target ("/a/b.js?x=1") as a relative file path under the web
 * root: the query cut off (copied to query when not NULL, qcap bytes),
 * %XX decoded, "/" mapped to "index.html", a trailing "/" refused (no
 * directory listing). Refused with EBADMSG: a target not starting with
 * "/", a bad %-escape, a decoded NUL, backslash or control byte, an empty,
 * "." or ".." segment (also when spelt %2e%2e), a segment starting with
 * "." (hidden files). ENOSPC when the path does not fit in cap bytes.
 * Returns 0 with a NUL-terminated relative path ("css/x.css") in path.
 */
int sig_http_path(const char *target, char *path, size_t cap, char *query,
		  size_t qcap);

/* The value of parameter key in a query string ("a=1&token=x"),
 * %-decoded, NUL-terminated in out. Returns 0, ENOENT, ENOSPC or EBADMSG
 * (bad escape, decoded NUL). */
int sig_http_query(const char *query, const char *key, char *out, size_t cap);

/* The Content-Type for a file name by its extension (html, js, css, png,
 * svg, ico, json, webp, wasm, txt, jpg, mp4, webm...);
 * "application/octet-stream" for any other. */
const char *sig_http_type(const char *path);

/*
 * May a page of origin (the Origin header's value) open a WebSocket?
 * origin "" (no Origin header: not a browser) is allowed. With a list of
 * allowed origins (n > 0) an exact, ASCII-case-insensitive match is
 * needed ("*" in the list allows any origin). With none, allowed are: the same
 * origin (the Origin's host[:port] equals the Host header, http or https), and
 * http(s)://localhost, http(s)://127.0.0.1 and http(s)://[::1] on any port.
 */
bool sig_http_origin_ok(const char *origin, const char *host,
			const char *const *list, size_t n);

#endif
