/*
 * log.h — levelled logging to stderr or syslog, and a rate limiter for
 * messages caused by network input.
 *
 * The sink is chosen once at start (log_open) before threads start, and
 * changed only by a reload under the same rule; the protocol layers never log,
 * their callers do.
 */
#ifndef TERN_BASE_LOG_H
#define TERN_BASE_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

enum log_target { LOG_TO_STDERR = 0, LOG_TO_SYSLOG };

/* Parse "error", "warn", "info", "debug". Returns 0 or EINVAL. */
int log_level_parse(const char *name, enum log_level *lvl);
const char *log_level_name(enum log_level lvl);

/* Choose the sink and the threshold; ident names the program in syslog. */
void log_open(enum log_target target, enum log_level lvl, const char *ident);
void log_set_level(enum log_level lvl);
/* Lines to stderr as JSON objects {"ts","level"[,"session"],"msg"}
 * (log.format = "json"); syslog lines stay text. */
void log_set_json(bool json);
/* s escaped for the inside of a JSON string into out (terminated,
 * truncated to size); returns the length written. */
size_t log_json_escape(char *out, size_t size, const char *s);
bool log_enabled(enum log_level lvl);

/*
 * A client's bytes (USERNAME, REALM, SOFTWARE, ...) made safe for any log
 * line: printable ASCII stays, '"' and '\\' get a backslash, every other
 * byte (control characters, DEL, non-ASCII) is written \xNN. So a value
 * printed between quotes can neither end the line nor the quotes, and a
 * log reader (fail2ban) can match user="..." exactly. len bytes of s (no
 * terminator needed) into out, terminated, truncated to size on a whole
 * escape. Returns the length written.
 */
size_t log_escape(char *out, size_t size, const void *s, size_t len);
/* Room for log_escape of n bytes. */
#define LOG_ESC_SIZE(n) (4 * (n) + 1)

/*
 * Lines to the file at path (log.file) rather than stderr: opened for
 * appending (created 0640) and put in place of file descriptor 2 with
 * dup2, so a thread writing a line meanwhile writes it whole to the old
 * file or the new one. Called again to reopen after the file was rotated
 * (SIGHUP). Returns 0 or an errno; on error the old target stays.
 */
int log_file_open(const char *path);

void log_msg(enum log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)                                                         \
	do {                                                                   \
		if (log_enabled(LOG_LVL_DEBUG))                                \
			log_msg(LOG_LVL_DEBUG, __VA_ARGS__);                   \
	} while (0)

/*
 * A limiter lets `burst` messages through per `interval_ms`, then counts what
 * it holds back and reports the count with the next message it lets through.
 * One limiter per message kind per thread; not shared between threads.
 */
struct log_limit {
	uint64_t window_start;
	uint32_t interval_ms;
	uint32_t burst;
	uint32_t sent;
	uint64_t suppressed;
};

void log_limit_init(struct log_limit *l, uint32_t interval_ms, uint32_t burst);

void log_limited(struct log_limit *l, uint64_t now_ms, enum log_level lvl,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
