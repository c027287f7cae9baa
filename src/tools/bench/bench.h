/*
 * bench.h — tern-bench, a STUN/TURN load generator (see tern-bench(1)).
 *
 * Layout: cli.c reads the command line into a const struct bench_opts;
 * main.c starts one worker thread per core and runs the mode's phases
 * (threads meet at a barrier between phases, so the main thread reads their
 * counters only while they wait); conn.c owns sockets (UDP batches,
 * TCP/TLS framing); turn.c is the TURN client state machine;
 * relay.c, modes.c drive the modes; hist.c is the latency
 * histogram; report.c reads /proc and prints.
 *
 * Relay payload (at least BENCH_HDR bytes, the rest zeros):
 *
 *   0                   1                   2                   3
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                       magic "tBnC"                            |
 *  |                       step id                                 |
 *  |                       sequence number                         |
 *  |                       send time, ns (64 bits) ...             |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
#ifndef TERN_TOOLS_BENCH_BENCH_H
#define TERN_TOOLS_BENCH_BENCH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/uio.h>

#include <openssl/ssl.h>

#include "tools/common/gso.h"
#include "auth/auth.h"
#include "base/sa.h"
#include "stun/stun.h"

#define BENCH_MAGIC	  0x74426e43u /* "tBnC" */
#define BENCH_HDR	  20
#define BENCH_MAX_SIZE	  1400
#define BENCH_MAX_BATCH	  256
#define BENCH_PKT_MAX	  (BENCH_MAX_SIZE + 64) /* payload + TURN framing */
#define BENCH_MAX_THREADS 64
#define BENCH_MAX_CODE	  700

enum bench_mode { BENCH_RELAY, BENCH_ALLOC, BENCH_BINDING, BENCH_HOLD };
enum bench_tp { BENCH_UDP, BENCH_TCP, BENCH_TLS };

/* The command line, read once and never written after. */
struct bench_opts {
	enum bench_mode mode;
	enum bench_tp tp;
	struct sa server;
	const char *host;
	const char *user, *pass, *realm, *secret;
	const char *ca;
	bool insecure;
	unsigned threads, allocs, concurrency, batch, size;
	unsigned lifetime; /* LIFETIME asked for; 0 = none */
	double refresh;	   /* seconds between Refreshes; 0 = lifetime/2 */
	double rate;	   /* total per second; 0 = as fast as possible */
	double duration;   /* measured seconds (each ramp step: step) */
	double warmup, drain, step;
	bool ramp, fail_on_loss, send_ind, c2c, json;
	bool no_gso;	 /* --no-gso: plain sendmmsg only */
	double max_loss; /* percent */
	struct sa peer_bind;
	double drop_peer; /* percent */
	uint64_t seed;
	int server_pid; /* 0 = none */
};

/* Parse argv. Returns 0, or EINVAL after printing why (exit 2); *help is set
 * when --help was given (usage printed, exit 0). */
int bench_cli_parse(struct bench_opts *o, int argc, char **argv, bool *help);
void bench_cli_usage(FILE *f);

/* ---- latency histogram: log buckets, 32 linear steps per power of two
 * (about 3% precision), values in nanoseconds up to 2^47. */
#define BENCH_HSUB  5
#define BENCH_HBINS ((47 - BENCH_HSUB + 2) << BENCH_HSUB)
struct bench_hist {
	uint64_t n;
	uint64_t max;
	uint64_t c[BENCH_HBINS];
};
void bench_hist_add(struct bench_hist *h, uint64_t v);
void bench_hist_merge(struct bench_hist *dst, const struct bench_hist *src);
/* Value at quantile q (0..1): the middle of its bucket; 0 when empty. */
uint64_t bench_hist_quantile(const struct bench_hist *h, double q);

/* ---- connections to the server */
struct bench_conn {
	int fd;
	enum bench_tp tp;
	SSL *ssl;
	uint8_t *rbuf, *wbuf; /* streams only */
	size_t rlen, wlen;
};
#define BENCH_STREAM_BUF 65536

/* Open a connection to o->server (connected UDP socket, or TCP/TLS with the
 * handshake done), non-blocking. Returns 0 or an errno. */
int bench_conn_open(struct bench_conn *c, const struct bench_opts *o,
		    SSL_CTX *tls);
void bench_conn_close(struct bench_conn *c);
/* Queue or send one message. A stream whose buffer is full drops it:
 * returns EAGAIN (the caller does not count it as sent). */
int bench_conn_send(struct bench_conn *c, const uint8_t *buf, size_t len);
/* Push queued stream bytes out. */
int bench_conn_flush(struct bench_conn *c);
/* Read what is there and call fn once per datagram or stream frame.
 * Returns 0, or an errno when the connection is gone. */
typedef void (*bench_rx_fn)(void *arg, const uint8_t *buf, size_t len);
int bench_conn_read(struct bench_conn *c, bench_rx_fn fn, void *arg);
/* UDP: send n datagrams in one sendmmsg. Returns how many left. */
unsigned bench_udp_sendv(int fd, struct iovec *iov, unsigned n, bool *gso);
int bench_tls_ctx(SSL_CTX **ctxp, const struct bench_opts *o);
/* Raise RLIMIT_NOFILE to the hard limit; returns the new soft limit. */
unsigned long bench_raise_nofile(void);

/* ---- counters one thread keeps for one step */
struct bench_stats {
	uint64_t sent, recv, bytes, late, dropped_peer, blocked;
	uint64_t ok, fail, timeouts, held;
	uint64_t errs[BENCH_MAX_CODE];
	struct bench_hist hist;
};

/* ---- TURN client state machine (turn.c) */
enum bench_cstate {
	BC_IDLE,
	BC_ALLOC,
	BC_ALLOCATED, /* waiting for a peer address (c2c) */
	BC_PERM,
	BC_CHBIND,
	BC_READY,
	BC_REFRESH,
	BC_RELEASE,
	BC_DONE,
	BC_FAILED,
};

struct bench_thread;

struct bench_client {
	struct bench_conn conn;
	enum bench_cstate st;
	bool need_perm, need_chan, release; /* goals set by the mode */
	bool up; /* set up once: later cycles are refreshes */
	uint8_t tid[STUN_TID_SIZE];
	uint8_t req[512];
	size_t reqlen;
	uint64_t tx_ns, rto_ns, start_ns, refresh_ns;
	unsigned tries, stale;
	bool have_nonce;
	char realm[128], nonce[256];
	struct auth_key key;
	struct sa relayed, peer;
	uint16_t ch;
	uint32_t lifetime;
	uint16_t err; /* last error code, 0 = timeout */
};

/* Open the connection and send the first Allocate. */
int bench_client_start(struct bench_client *c, struct bench_thread *t,
		       uint64_t now);
/* A STUN message arrived on c's connection. */
void bench_client_on_stun(struct bench_client *c, struct bench_thread *t,
			  const uint8_t *buf, size_t len, uint64_t now);
/* Retransmit, time out, refresh when due. */
void bench_client_tick(struct bench_client *c, struct bench_thread *t,
		       uint64_t now);
/* Move on from BC_ALLOCATED once c->peer is set. */
int bench_client_next(struct bench_client *c, struct bench_thread *t,
		      uint64_t now);
/* Send Refresh(0) and go to BC_RELEASE. */
int bench_client_release(struct bench_client *c, struct bench_thread *t,
			 uint64_t now);
void bench_client_free(struct bench_client *c);

/* What the threads do between two barriers, set by the main thread. */
enum bench_phase {
	PH_RELAY_SETUP,
	PH_RELAY_STEP,
	PH_ALLOC,
	PH_BINDING,
	PH_HOLD_OPEN,
	PH_HOLD_KEEP,
	PH_RELEASE,
	PH_QUIT,
};

/* ---- one step of the relay mode, planned by the main thread */
struct bench_sched {
	uint32_t step;	    /* measured packets carry step, warm-up step^1 */
	double rate;	    /* per thread */
	uint64_t t_measure; /* ns: warm-up ends, counting starts */
	uint64_t t_stop;    /* ns: sending stops */
	uint64_t t_end;	    /* ns: drain ends */
	bool quit;	    /* no more steps */
};

/* Run state shared by all threads; written by main only while the threads
 * wait at the barrier. */
struct bench_run {
	const struct bench_opts *o;
	SSL_CTX *tls;
	char user[600];
	char pass[256];
	struct sa peer; /* the built-in echo peer, as bound */
	pthread_barrier_t bar;
	enum bench_phase phase;
	struct bench_sched sched;
	uint64_t deadline; /* ns: end of a timed mode */
	struct bench_thread *th;
	unsigned nth;
};

struct bench_thread {
	struct bench_run *run;
	unsigned idx;
	pthread_t tid;
	int ep;
	int peer_fd; /* -1 when none */
	struct bench_client *cl;
	unsigned ncl, next; /* clients, round-robin cursor */
	uint64_t rng;
	uint32_t seq;
	bool auth_failed;
	bool gso; /* UDP GSO for runs to one address (common/gso.h) */
	struct bench_stats st;
	uint8_t *txbuf; /* batch * packet */
};

/* relay.c */
int bench_peer_open(struct bench_run *r, int *fdp);
void bench_peer_echo(struct bench_thread *t);
int bench_relay_setup(struct bench_thread *t);
void bench_relay_step(struct bench_thread *t);
void bench_thread_rx(struct bench_thread *t, struct bench_client *c,
		     uint64_t now);
/* Wait up to ms for input on the thread's sockets and handle it. */
void bench_thread_poll(struct bench_thread *t, int ms);
/* Start client i (open, first Allocate) and watch its socket. */
int bench_thread_start_client(struct bench_thread *t, unsigned i, uint64_t now);
/* Retransmit, refresh and flush every client. */
void bench_thread_tick(struct bench_thread *t, uint64_t now);
uint64_t bench_now_ns(void);
uint64_t bench_rand(uint64_t *s);

/* modes.c */
void bench_alloc_run(struct bench_thread *t);
void bench_binding_run(struct bench_thread *t);
/* Open the thread's allocations (no permission), then keep them until
 * run->deadline; Refresh(0) every held allocation and close. */
void bench_hold_open(struct bench_thread *t);
void bench_hold_keep(struct bench_thread *t);
void bench_release_all(struct bench_thread *t);

/* report.c */
struct bench_result {
	struct bench_stats st;
	double secs;  /* measured window */
	double rate;  /* offered, total */
	double cpu_s; /* server CPU over the window, -1 unknown */
	/* the server's context switches over the window (every thread's,
	 * voluntary or not: its sleeps and wake-ups), -1 unknown */
	double switches;
	long rss_before_kb, rss_after_kb;
	unsigned ramp_steps;
	/* what ended the ramp: the first failing step above the result had
	 * too much loss ("loss"), or tern-bench could not send 95 % of the
	 * offered rate ("generator": the result is a lower bound of the
	 * server's), or no step failed ("none") */
	const char *ramp_limit;
};
int bench_proc_cpu(int pid, double *secs);
int bench_proc_switches(int pid, double *n);
int bench_proc_rss(int pid, long *kb);
double bench_loss_pct(const struct bench_stats *s);
void bench_report(const struct bench_opts *o, const struct bench_result *r,
		  FILE *f);

#endif
