/* log.c — see log.h. */
#include "base/log.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/* Set once before worker threads start (and on reload, which the main thread
 * does while the workers only read); the one sanctioned global in tern.
 * level and json change while workers log: atomics, read and written
 * relaxed (a worker may log a line or two under the old level, nothing
 * else is published with them). target is set before any thread starts. */
static struct {
	enum log_target target;
	_Atomic int level;
	_Atomic bool json;
} sink = { LOG_TO_STDERR, LOG_LVL_INFO, false };

static const char *const level_names[] = { "error", "warn", "info", "debug" };

int log_level_parse(const char *name, enum log_level *lvl)
{
	for (int i = 0; i <= LOG_LVL_DEBUG; i++) {
		if (name && strcmp(name, level_names[i]) == 0) {
			*lvl = (enum log_level)i;
			return 0;
		}
	}
	return EINVAL;
}

const char *log_level_name(enum log_level lvl)
{
	return lvl <= LOG_LVL_DEBUG ? level_names[lvl] : "?";
}

void log_open(enum log_target target, enum log_level lvl, const char *ident)
{
	if (sink.target == LOG_TO_SYSLOG && target != LOG_TO_SYSLOG)
		closelog();
	sink.target = target;
	atomic_store_explicit(&sink.level, (int)lvl, memory_order_relaxed);
	if (target == LOG_TO_SYSLOG)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_set_level(enum log_level lvl)
{
	atomic_store_explicit(&sink.level, (int)lvl, memory_order_relaxed);
}

void log_set_json(bool json)
{
	atomic_store_explicit(&sink.json, json, memory_order_relaxed);
}

bool log_enabled(enum log_level lvl)
{
	return (int)lvl <=
	       atomic_load_explicit(&sink.level, memory_order_relaxed);
}

/* s as the inside of a JSON string (RFC 8259 §7): quote, backslash and
 * control characters escaped; other bytes as they are (log text is ASCII
 * or UTF-8 from the code; a client's bytes are printed escaped by the
 * caller). Truncates to fit. */
size_t log_json_escape(char *out, size_t size, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	for (; *s && size; s++) {
		unsigned char c = (unsigned char)*s;
		char esc = c == '"'    ? '"'
			   : c == '\\' ? '\\'
			   : c == '\n' ? 'n'
			   : c == '\r' ? 'r'
			   : c == '\t' ? 't'
				       : 0;

		if (esc || c < 0x20) {
			if (n + (esc ? 2 : 6) >= size)
				break;
			out[n++] = '\\';
			if (esc) {
				out[n++] = esc;
				continue;
			}
			memcpy(out + n, "u00", 3);
			out[n + 3] = hex[c >> 4];
			out[n + 4] = hex[c & 15];
			n += 5;
			continue;
		}
		if (n + 1 >= size)
			break;
		out[n++] = (char)c;
	}
	if (size)
		out[n < size ? n : size - 1] = '\0';
	return n;
}

/* c as \xNN at out (4 bytes). */
static size_t put_x(char *out, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";

	out[0] = '\\';
	out[1] = 'x';
	out[2] = hex[c >> 4];
	out[3] = hex[c & 15];
	return 4;
}

static bool is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

size_t log_escape(char *out, size_t size, const void *s, size_t len)
{
	const unsigned char *p = s;
	size_t n = 0, i;

	if (!size)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = p[i];
		bool quote = c == '"' || c == '\\';
		size_t need = quote ? 2 : (is_ctl(c) || c >= 0x80) ? 4 : 1;

		if (n + need >= size)
			break;
		if (need == 4) {
			n += put_x(out + n, c);
			continue;
		}
		if (quote)
			out[n++] = '\\';
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return n;
}

/* The last line of defence for text lines: a control character some
 * caller let through (a client's bytes printed unescaped) becomes \xNN,
 * so it can never start a forged line. In place when there is none. */
static const char *plain_safe(const char *line, char *buf, size_t size)
{
	const char *p;
	size_t n = 0;

	for (p = line; *p && !is_ctl((unsigned char)*p); p++)
		;
	if (!*p)
		return line;
	for (p = line; *p && n + 4 < size; p++) {
		if (is_ctl((unsigned char)*p))
			n += put_x(buf + n, (unsigned char)*p);
		else
			buf[n++] = *p;
	}
	buf[n] = '\0';
	return buf;
}

int log_file_open(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	int err = 0;

	if (fd < 0)
		return errno;
	if (fd != STDERR_FILENO) {
		if (dup2(fd, STDERR_FILENO) < 0)
			err = errno;
		close(fd);
	}
	return err;
}

/* A line starting "session=HEX " also gets a "session" member, so a log
 * shipper can group an allocation's lines without parsing msg. */
static void print_json(const char *stamp, long ms, enum log_level lvl,
		       const char *line)
{
	char esc[2200], sess[24] = "";
	size_t k = 0;

	if (!strncmp(line, "session=", 8)) {
		while (k < sizeof(sess) - 1 &&
		       isxdigit((unsigned char)line[8 + k]))
			k++;
		memcpy(sess, line + 8, k);
		sess[k] = '\0';
	}
	log_json_escape(esc, sizeof(esc), line);
	if (k)
		fprintf(stderr,
			"{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\",\"session\":"
			"\"%s\",\"msg\":\"%s\"}\n",
			stamp, ms, level_names[lvl], sess, esc);
	else
		fprintf(
		    stderr,
		    "{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\",\"msg\":\"%s\"}\n",
		    stamp, ms, level_names[lvl], esc);
}

static void log_va(enum log_level lvl, const char *fmt, va_list ap)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char line[1024], safe[4096];
	const char *text;
	struct timespec ts;
	struct tm tm;
	char stamp[32];

	vsnprintf(line, sizeof(line), fmt, ap);
	text = plain_safe(line, safe, sizeof(safe));
	if (sink.target == LOG_TO_SYSLOG) {
		syslog(prio[lvl], "%s", text);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	if (atomic_load_explicit(&sink.json, memory_order_relaxed))
		print_json(stamp, ts.tv_nsec / 1000000L, lvl, line);
	else
		fprintf(stderr, "%s.%03ldZ %-5s %s\n", stamp,
			ts.tv_nsec / 1000000L, level_names[lvl], text);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(lvl))
		return;
	va_start(ap, fmt);
	log_va(lvl, fmt, ap);
	va_end(ap);
}

void log_limit_init(struct log_limit *l, uint32_t interval_ms, uint32_t burst)
{
	memset(l, 0, sizeof(*l));
	l->interval_ms = interval_ms;
	l->burst = burst;
}

void log_limited(struct log_limit *l, uint64_t now_ms, enum log_level lvl,
		 const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(lvl))
		return;
	if (now_ms - l->window_start >= l->interval_ms) {
		if (l->suppressed)
			log_msg(lvl, "(%llu similar messages suppressed)",
				(unsigned long long)l->suppressed);
		l->window_start = now_ms;
		l->sent = 0;
		l->suppressed = 0;
	}
	if (l->sent >= l->burst) {
		l->suppressed++;
		return;
	}
	l->sent++;
	va_start(ap, fmt);
	log_va(lvl, fmt, ap);
	va_end(ap);
}
