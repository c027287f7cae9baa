/* The client over TCP and TLS against scripted stream servers: framing,
 * single sends, connection errors in words, certificate checks, ALPN. */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <openssl/x509.h>

#include "script.h"
#include "tern/tern.h"

struct sfix {
	struct event_base *base;
	struct script *s;
	struct tern_client *c;
	bool conn_done;
	int conn_err;
	char conn_reason[256];
	bool bind_done;
	int bind_err;
	unsigned bind_sends;
	struct sockaddr_storage mapped;
	bool alloc_done;
	int alloc_err;
	bool chan_done;
	bool recv_done;
	size_t recv_len;
	char certdir[64];
};

static void on_connect(void *arg, int err, const char *reason)
{
	struct sfix *f = arg;

	f->conn_done = true;
	f->conn_err = err;
	snprintf(f->conn_reason, sizeof(f->conn_reason), "%s", reason);
}

static void on_binding(void *arg, int err, const struct tern_binding_result *r)
{
	struct sfix *f = arg;

	f->bind_done = true;
	f->bind_err = err;
	f->bind_sends = r->sends;
	f->mapped = r->mapped;
}

/* Drops every request: to see a stream request is sent once. */
static void silent(struct script *s, const struct stun_msg *m,
		   const struct sa *from)
{
	(void)s;
	(void)m;
	(void)from;
}

static void make_certs(struct sfix *f)
{
	char cmd[512];

	snprintf(f->certdir, sizeof(f->certdir), "/tmp/tern-client-XXXXXX");
	cr_assert_not_null(mkdtemp(f->certdir));
	snprintf(cmd, sizeof(cmd), "%s/scripts/gen-cert %s >/dev/null",
		 TEST_SRCDIR, f->certdir);
	cr_assert_eq(system(cmd), 0, "gen-cert failed");
}

static void remove_certs(struct sfix *f)
{
	char cmd[512];

	if (!f->certdir[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->certdir);
	(void)!system(cmd);
}

static void sfix_up(struct sfix *f, bool tls, script_fn fn,
		    struct tern_server *srv, const struct tern_client_opts *o0)
{
	struct tern_client_opts o = { 0 };

	if (o0)
		o = *o0;
	o.on_connect = on_connect;
	o.on_connect_arg = f;
	f->base = event_base_new();
	if (tls)
		make_certs(f);
	cr_assert_eq(
	    script_stream(&f->s, f->base, tls ? f->certdir : NULL, fn, NULL),
	    0);
	srv->host_or_ip = srv->host_or_ip ? srv->host_or_ip : "127.0.0.1";
	srv->port = sa_port(&f->s->addr);
	srv->tp = tls ? TERN_TLS : TERN_TCP;
	cr_assert_eq(tern_client_alloc(&f->c, f->base, srv, &o), 0);
}

static void sfix_down(struct sfix *f)
{
	tern_client_free(f->c);
	script_free(f->s);
	event_base_free(f->base);
	remove_certs(f);
}

Test(stream, tcp_binding_queued_before_connect)
{
	struct tern_server srv = { 0 };
	struct sfix f = { 0 };

	sfix_up(&f, false, script_turn, &srv, NULL);
	cr_assert_not(tern_client_connected(f.c));
	cr_assert_eq(tern_binding(f.c, 0, on_binding, &f), 0);
	cr_assert(script_run_until(f.base, &f.bind_done, 20000));
	cr_assert(f.conn_done);
	cr_assert_eq(f.conn_err, 0);
	cr_assert_eq(f.bind_err, 0);
	cr_assert_eq(f.mapped.ss_family, AF_INET);
	sfix_down(&f);
}

Test(stream, tcp_request_is_sent_once)
{
	struct tern_client_opts o = { .rto_ms = 5, .timeout_ms = 300 };
	struct tern_server srv = { 0 };
	struct sfix f = { 0 };

	sfix_up(&f, false, silent, &srv, &o);
	cr_assert_eq(tern_binding(f.c, 0, on_binding, &f), 0);
	cr_assert(script_run_until(f.base, &f.bind_done, 20000));
	cr_assert_eq(f.bind_err, ETIMEDOUT);
	cr_assert_eq(f.s->nreq[STUN_METHOD_BINDING], 1);
	cr_assert_eq(f.bind_sends, 1);
	sfix_down(&f);
}

Test(stream, tcp_connection_refused)
{
	struct tern_server srv = { .host_or_ip = "127.0.0.1", .tp = TERN_TCP };
	struct tern_client_opts o = { .on_connect = on_connect };
	struct event_base *base = event_base_new();
	struct tern_client *c = NULL;
	struct sfix f = { 0 };
	struct sa a;
	int fd, err;

	/* A port nobody listens on: bind one and close it. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	sa_set_str(&a, "127.0.0.1", 0);
	cr_assert_eq(bind(fd, &a.u.sa, a.len), 0);
	a.len = sizeof(a.u);
	getsockname(fd, &a.u.sa, &a.len);
	close(fd);
	srv.port = sa_port(&a);
	o.on_connect_arg = &f;
	err = tern_client_alloc(&c, base, &srv, &o);
	if (err == 0) {
		cr_assert_eq(tern_binding(c, 0, on_binding, &f), 0);
		cr_assert(script_run_until(base, &f.bind_done, 20000));
		cr_assert_eq(f.bind_err, ECONNREFUSED);
		cr_assert(f.conn_done);
		cr_assert_eq(f.conn_err, ECONNREFUSED);
		cr_assert_str_eq(f.conn_reason, "Connection refused");
		cr_assert_eq(tern_binding(c, 0, on_binding, &f), ECONNREFUSED);
	} else {
		cr_assert_eq(err, ECONNREFUSED);
	}
	tern_client_free(c);
	event_base_free(base);
}

Test(stream, tls_verified_with_ca_file_and_alpn)
{
	struct tern_server srv = { .sni = "localhost", .alpn = "stun.turn" };
	char ca[128];
	struct sfix f = { 0 };
	X509 *cert;

	/* ca_file must be set before the client starts: build it by hand. */
	f.base = event_base_new();
	make_certs(&f);
	snprintf(ca, sizeof(ca), "%s/ternd.crt", f.certdir);
	srv.ca_file = ca;
	cr_assert_eq(script_stream(&f.s, f.base, f.certdir, script_turn, NULL),
		     0);
	srv.host_or_ip = "127.0.0.1";
	srv.port = sa_port(&f.s->addr);
	srv.tp = TERN_TLS;
	struct tern_client_opts o = { .on_connect = on_connect,
				      .on_connect_arg = &f };
	cr_assert_eq(tern_client_alloc(&f.c, f.base, &srv, &o), 0);
	cr_assert_eq(tern_binding(f.c, 0, on_binding, &f), 0);
	cr_assert(script_run_until(f.base, &f.bind_done, 20000));
	cr_assert_eq(f.conn_err, 0, "%s", f.conn_reason);
	cr_assert_eq(f.bind_err, 0);
	cert = tern_client_peer_cert(f.c);
	cr_assert_not_null(cert);
	cr_assert_eq(tern_client_verify_result(f.c), X509_V_OK);
	cr_assert_str_eq(tern_client_alpn(f.c), "stun.turn");
	cr_assert_not_null(tern_client_ssl(f.c));
	sfix_down(&f);
}

Test(stream, tls_ip_address_checked_against_san)
{
	struct tern_server srv = { 0 };
	char ca[128];
	struct sfix f = { 0 };

	f.base = event_base_new();
	make_certs(&f);
	snprintf(ca, sizeof(ca), "%s/ternd.crt", f.certdir);
	srv.ca_file = ca;
	cr_assert_eq(script_stream(&f.s, f.base, f.certdir, script_turn, NULL),
		     0);
	srv.host_or_ip = "127.0.0.1";
	srv.port = sa_port(&f.s->addr);
	srv.tp = TERN_TLS;
	struct tern_client_opts o = { .on_connect = on_connect,
				      .on_connect_arg = &f };
	cr_assert_eq(tern_client_alloc(&f.c, f.base, &srv, &o), 0);
	cr_assert(script_run_until(f.base, &f.conn_done, 20000));
	cr_assert_eq(f.conn_err, 0, "%s", f.conn_reason);
	cr_assert_null(tern_client_alpn(f.c));
	sfix_down(&f);
}

Test(stream, tls_untrusted_certificate_fails_with_reason)
{
	struct tern_server srv = { .sni = "localhost" };
	struct sfix f = { 0 };

	/* The system's trust store does not hold the self-signed cert. */
	sfix_up(&f, true, script_turn, &srv, NULL);
	cr_assert_eq(tern_binding(f.c, 0, on_binding, &f), 0);
	cr_assert(script_run_until(f.base, &f.bind_done, 20000));
	cr_assert(f.conn_done);
	cr_assert_eq(f.conn_err, EPROTO, "%d %s", f.conn_err, f.conn_reason);
	cr_assert_not_null(strstr(f.conn_reason, "certificate verify failed"),
			   "%s", f.conn_reason);
	cr_assert_eq(f.bind_err, EPROTO);
	cr_assert_null(tern_client_peer_cert(f.c));
	sfix_down(&f);
}

Test(stream, tls_wrong_name_fails)
{
	struct tern_server srv = { .sni = "wrong.example" };
	char ca[128];
	struct sfix f = { 0 };

	f.base = event_base_new();
	make_certs(&f);
	snprintf(ca, sizeof(ca), "%s/ternd.crt", f.certdir);
	srv.ca_file = ca;
	cr_assert_eq(script_stream(&f.s, f.base, f.certdir, script_turn, NULL),
		     0);
	srv.host_or_ip = "127.0.0.1";
	srv.port = sa_port(&f.s->addr);
	srv.tp = TERN_TLS;
	struct tern_client_opts o = { .on_connect = on_connect,
				      .on_connect_arg = &f };
	cr_assert_eq(tern_client_alloc(&f.c, f.base, &srv, &o), 0);
	cr_assert(script_run_until(f.base, &f.conn_done, 20000));
	cr_assert_eq(f.conn_err, EPROTO);
	cr_assert_not_null(strstr(f.conn_reason, "hostname mismatch"), "%s",
			   f.conn_reason);
	sfix_down(&f);
}

Test(stream, tls_insecure_connects_and_reports_verify_result)
{
	struct tern_server srv = { .sni = "localhost", .insecure = true };
	struct sfix f = { 0 };

	sfix_up(&f, true, script_turn, &srv, NULL);
	cr_assert(script_run_until(f.base, &f.conn_done, 20000));
	cr_assert_eq(f.conn_err, 0, "%s", f.conn_reason);
	cr_assert_neq(tern_client_verify_result(f.c), X509_V_OK);
	cr_assert_not_null(tern_client_peer_cert(f.c));
	sfix_down(&f);
}

static void on_alloc(void *arg, int err, const struct tern_alloc_info *info)
{
	struct sfix *f = arg;

	(void)info;
	f->alloc_done = true;
	f->alloc_err = err;
}

static void on_chan(void *arg, int err, uint16_t code, const char *reason)
{
	struct sfix *f = arg;

	(void)code;
	(void)reason;
	cr_assert_eq(err, 0);
	f->chan_done = true;
}

static void on_recv(void *arg, const struct sockaddr *peer, const uint8_t *data,
		    size_t len)
{
	struct sfix *f = arg;

	(void)peer;
	(void)data;
	f->recv_done = true;
	f->recv_len = len;
}

/* RFC 8656 §12.5: ChannelData on a stream is padded to 4 bytes, both
 * ways; the 401 dance works on a stream too. */
Test(stream, turn_over_tcp_pads_channel_data)
{
	struct tern_server srv = { 0 };
	struct tern_creds cr = { "alice", "s3cret", NULL };
	struct tern_alloc *a = NULL;
	struct sockaddr_in peer = { .sin_family = AF_INET,
				    .sin_port = htons(7000) };
	uint8_t buf[16] = { 0 };
	struct sfix f = { 0 };
	unsigned i;

	sfix_up(&f, false, script_turn, &srv, NULL);
	f.s->plan.user = "alice";
	f.s->plan.pass = "s3cret";
	inet_pton(AF_INET, "192.0.2.1", &peer.sin_addr);
	cr_assert_eq(tern_allocate(&a, f.c, &cr, NULL, on_alloc, on_recv, &f),
		     0);
	cr_assert(script_run_until(f.base, &f.alloc_done, 20000));
	cr_assert_eq(f.alloc_err, 0);
	cr_assert_eq(tern_alloc_bind(a, (void *)&peer, on_chan, &f), 0);
	cr_assert(script_run_until(f.base, &f.chan_done, 20000));
	cr_assert_eq(tern_alloc_send(a, (void *)&peer, "12345", 5), 0);
	for (i = 0; i < 100 && f.s->chdata_in == 0; i++)
		script_run_for(f.base, 20);
	cr_assert_eq(f.s->data_len, 5);
	cr_assert_eq(f.s->last_frame_len, 12, "4 + 5 + 3 bytes of padding");
	/* From the server: 3 bytes + 1 of padding, then a Binding answer
	 * right behind it in the same stream. */
	stun_chdata_header(buf, 0x4000, 3);
	memcpy(buf + 4, "xyz", 3);
	script_send(f.s, buf, 8, NULL);
	cr_assert(script_run_until(f.base, &f.recv_done, 20000));
	cr_assert_eq(f.recv_len, 3);
	cr_assert_eq(tern_binding(f.c, 0, on_binding, &f), 0);
	cr_assert(script_run_until(f.base, &f.bind_done, 20000));
	cr_assert_eq(f.bind_err, 0);
	tern_alloc_release(a);
	sfix_down(&f);
}

static void hang_up(struct script *s, const struct stun_msg *m,
		    const struct sa *from)
{
	(void)m;
	(void)from;
	if (s->bev) {
		bufferevent_free(s->bev);
		s->bev = NULL;
	}
}

Test(stream, server_closing_fails_pending_requests)
{
	struct tern_server srv = { 0 };
	struct sfix f = { 0 };

	sfix_up(&f, false, hang_up, &srv, NULL);
	cr_assert_eq(tern_binding(f.c, 0, on_binding, &f), 0);
	cr_assert(script_run_until(f.base, &f.bind_done, 20000));
	cr_assert_eq(f.bind_err, ECONNRESET);
	cr_assert_not(tern_client_connected(f.c));
	sfix_down(&f);
}
