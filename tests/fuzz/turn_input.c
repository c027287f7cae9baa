/*
 * turn_input.c — libFuzzer: sequences of datagrams from several clients
 * into turn_server_input, with a fake clock, relays and the in-memory
 * store, plus auth_rest_parse on the raw bytes.
 *
 * Input: records of [client index (1 byte)] [clock step (1 byte, seconds)]
 * [length (2 bytes)] [datagram]. Record kind by the index's top bits: a
 * client packet, a peer datagram on the client's relay, or a tick.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "auth/auth.h"
#include "auth/store.h"
#include "turn/server.h"

static void *relays[64];
static unsigned nopen;

static void f_send(void *arg, void *conn, unsigned via, const struct sa *to,
		   const uint8_t *buf, size_t len)
{
	(void)arg, (void)conn, (void)via, (void)to, (void)buf, (void)len;
}

static void f_client(void *arg, void *conn, const struct sa *local,
		     const struct sa *to, const uint8_t *buf, size_t len)
{
	(void)arg, (void)conn, (void)local, (void)to, (void)buf, (void)len;
}

static int f_open(void *arg, int family, unsigned flags, void *ctx,
		  void **handle, struct sa *bound)
{
	static int dummy[64];
	uint16_t port = (uint16_t)(40000 + 2 * nopen);

	(void)arg;
	if (nopen >= 64)
		return EADDRINUSE;
	if (flags & TURN_RELAY_EXACT)
		port = sa_port(bound);
	relays[nopen % 64] = ctx;
	*handle = &dummy[nopen % 64];
	nopen++;
	return sa_set_str(
	    bound, family == AF_INET ? "203.0.113.1" : "2001:db8::1", port);
}

static void f_close(void *arg, void *handle)
{
	(void)arg, (void)handle;
}

static void f_relay_send(void *arg, void *handle, const struct sa *peer,
			 const uint8_t *buf, size_t len)
{
	(void)arg, (void)handle, (void)peer, (void)buf, (void)len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t secret[] = "fuzz-nonce-secret-0123456789";
	static const struct turn_out out = { f_send, NULL };
	static const struct turn_relay_out rout = { f_client, f_open, f_close,
						    f_relay_send, NULL };
	static uint8_t pkt[TURN_HEADROOM + 65536 + TURN_TAILROOM];
	struct turn_server_cfg cfg = { .realm = "fuzz", .sha256 = true };
	struct turn_local local;
	struct turn_server *srv;
	struct auth_mem *mem;
	struct auth_store store;
	uint64_t now = 1000, exp;
	const char *u;
	size_t ul;

	auth_rest_parse((const char *)data, size, &exp, &u, &ul);
	if (auth_mem_alloc(&mem))
		return 0;
	auth_mem_add_user(mem, "fuzz", "user", "pass");
	auth_mem_add_secret(mem, "fuzz", (const uint8_t *)"s", 1);
	store = auth_mem_store(mem);
	cfg.store = &store;
	cfg.nonce_secret = secret;
	cfg.nonce_secret_len = sizeof(secret) - 1;
	cfg.max_allocs = 8;
	memset(&local, 0, sizeof(local));
	sa_set_str(&local.addr[0], "192.0.2.1", 3478);
	nopen = 0;
	if (turn_server_alloc(&srv, &cfg, &out)) {
		auth_mem_free(mem);
		return 0;
	}
	turn_server_set_relay_out(srv, &rout);
	while (size >= 4) {
		uint8_t who = data[0];
		size_t len = (size_t)data[2] << 8 | data[3];
		struct turn_in in = { .local = &local };
		char ip[32];

		now += (uint64_t)data[1] * 1000;
		data += 4;
		size -= 4;
		if (len > size)
			len = size;
		snprintf(ip, sizeof(ip), "198.51.100.%u", who & 7);
		sa_set_str(&in.from, ip, (uint16_t)(1000 + (who >> 3 & 3)));
		if ((who & 0xC0) == 0x40 && nopen) {
			struct sa peer;

			memcpy(pkt + TURN_HEADROOM, data, len);
			sa_set_str(&peer, "192.0.2.99", 5000);
			turn_server_relay_input(srv, relays[(who & 63) % nopen],
						&peer, pkt + TURN_HEADROOM, len,
						now);
		} else if ((who & 0xC0) == 0x80) {
			turn_server_tick(srv, now);
		} else {
			in.buf = data;
			in.len = len;
			in.tp = who & 0x20 ? TURN_TP_TCP : TURN_TP_UDP;
			in.conn = who & 0x20 ? (void *)&relays[who & 7] : NULL;
			turn_server_input(srv, &in, now);
		}
		data += len;
		size -= len;
	}
	turn_server_free(srv);
	auth_mem_free(mem);
	return 0;
}
