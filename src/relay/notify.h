/*
 * notify.h — telling the service manager how ternd is doing (systemd's
 * sd_notify protocol, sd_notify(3)), when ternd is built with libsystemd
 * (configure --with-systemd). Built without it, or started without
 * NOTIFY_SOCKET, every call does nothing.
 *
 *   start:  bound, privileges dropped  -> READY=1, STATUS=...
 *   SIGHUP: RELOADING=1 ... READY=1 (after a refused reload too)
 *   drain:  STATUS=draining: N allocations left
 *   stop:   STOPPING=1
 *   WATCHDOG=1 every half WATCHDOG_USEC while every worker's loop turns
 *
 * Main thread only.
 */
#ifndef TERN_RELAY_NOTIFY_H
#define TERN_RELAY_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

/* Was ternd built with libsystemd? */
bool notify_available(void);

/* READY=1 with a STATUS= line (printf format). */
void notify_ready(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* RELOADING=1 with MONOTONIC_USEC= (which Type=notify-reload wants). */
void notify_reloading(void);

/* STOPPING=1. */
void notify_stopping(void);

/* STATUS= alone (printf format). */
void notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The service manager's watchdog interval in microseconds, or 0 when it
 * expects no WATCHDOG=1 (sd_watchdog_enabled(3): WATCHDOG_USEC set, and
 * WATCHDOG_PID, when set, naming this process). */
uint64_t notify_watchdog_usec(void);

/* WATCHDOG=1. */
void notify_watchdog(void);

#endif
