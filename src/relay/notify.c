/*
 * notify.c — sd_notify(3) messages; see notify.h. The one file that
 * includes libsystemd's header.
 */
#include <config.h> /* HAVE_SYSTEMD */

#include "relay/notify.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#if HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

/* STATUS= lines are short: what ternd does now, in words. */
#define STATUS_MAX 256

#if HAVE_SYSTEMD

bool notify_available(void)
{
	return true;
}

static void send_state(const char *state)
{
	/* 0: keep NOTIFY_SOCKET, later messages need it. A failure is not
	 * ternd's to act on: the service manager times the unit out. */
	(void)sd_notify(0, state);
}

uint64_t notify_watchdog_usec(void)
{
	uint64_t usec = 0;

	return sd_watchdog_enabled(0, &usec) > 0 ? usec : 0;
}

#else

bool notify_available(void)
{
	return false;
}

static void send_state(const char *state)
{
	(void)state;
}

uint64_t notify_watchdog_usec(void)
{
	return 0;
}

#endif

static void send_with_status(const char *head, const char *fmt, va_list ap)
{
	char status[STATUS_MAX], msg[STATUS_MAX + 64];

	vsnprintf(status, sizeof(status), fmt, ap);
	snprintf(msg, sizeof(msg), "%sSTATUS=%s", head, status);
	send_state(msg);
}

void notify_ready(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	send_with_status("READY=1\n", fmt, ap);
	va_end(ap);
}

void notify_status(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	send_with_status("", fmt, ap);
	va_end(ap);
}

void notify_reloading(void)
{
	struct timespec ts;
	char msg[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ull +
		     (unsigned long long)ts.tv_nsec / 1000ull);
	send_state(msg);
}

void notify_stopping(void)
{
	send_state("STOPPING=1");
}

void notify_watchdog(void)
{
	send_state("WATCHDOG=1");
}
