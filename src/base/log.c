/* log.c — see log.h. */
#include "base/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

/* Set once before worker threads start (and on reload, which the main thread
 * does while the workers only read); the one sanctioned global in tern. */
static struct {
	enum log_target target;
	volatile int level;
} sink = { LOG_TO_STDERR, LOG_LVL_INFO };

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
	sink.level = (int)lvl;
	if (target == LOG_TO_SYSLOG)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_set_level(enum log_level lvl)
{
	sink.level = (int)lvl;
}

bool log_enabled(enum log_level lvl)
{
	return (int)lvl <= sink.level;
}

static void log_va(enum log_level lvl, const char *fmt, va_list ap)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char line[1024];
	struct timespec ts;
	struct tm tm;
	char stamp[32];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (sink.target == LOG_TO_SYSLOG) {
		syslog(prio[lvl], "%s", line);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ %-5s %s\n", stamp, ts.tv_nsec / 1000000L,
		level_names[lvl], line);
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
