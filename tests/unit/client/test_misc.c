/* Helpers of the public API, argument checks, and one run against the
 * real ternd when it has been built next to the tests. */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <event2/event.h>

#include "config.h"
#include "tern/tern.h"

/* Expected values computed independently:
 * base64(HMAC-SHA1("north", "87400:alice")). */
Test(misc, rest_credentials)
{
	char u[64], p[64];

	cr_assert_eq(tern_rest_credentials("north", "alice", 86400, 1000, u,
					   sizeof(u), p, sizeof(p)),
		     0);
	cr_assert_str_eq(u, "87400:alice");
	cr_assert_str_eq(p, "Zwdxk2HCh/rwZv1ktOGIwbin5l4=");
	cr_assert_eq(tern_rest_credentials("north", NULL, 86400, 1000, u,
					   sizeof(u), p, sizeof(p)),
		     0);
	cr_assert_str_eq(u, "87400");
	cr_assert_str_eq(p, "+CO553u8Ca8VCVj9ABuNC8xzZMA=");
}

Test(misc, rest_credentials_small_buffers)
{
	char u[64], p[64];

	cr_assert_eq(
	    tern_rest_credentials("s", "alice", 1, 1, u, 5, p, sizeof(p)),
	    ENOSPC);
	cr_assert_eq(
	    tern_rest_credentials("s", "alice", 1, 1, u, sizeof(u), p, 28),
	    ENOSPC);
	cr_assert_eq(
	    tern_rest_credentials(NULL, "a", 1, 1, u, sizeof(u), p, sizeof(p)),
	    EINVAL);
}

Test(misc, addr_print)
{
	struct sockaddr_in in = { .sin_family = AF_INET,
				  .sin_port = htons(3478) };
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6,
				    .sin6_port = htons(5349) };
	struct sockaddr_storage none = { 0 };
	char buf[TERN_ADDRSTRLEN];

	inet_pton(AF_INET, "192.0.2.1", &in.sin_addr);
	inet_pton(AF_INET6, "2001:db8::1", &in6.sin6_addr);
	cr_assert_str_eq(tern_addr_print((void *)&in, buf, sizeof(buf)),
			 "192.0.2.1:3478");
	cr_assert_str_eq(tern_addr_print((void *)&in6, buf, sizeof(buf)),
			 "[2001:db8::1]:5349");
	cr_assert_str_eq(tern_addr_print((void *)&none, buf, sizeof(buf)), "-");
	cr_assert_str_eq(tern_addr_print(NULL, buf, sizeof(buf)), "-");
}

Test(misc, version_and_reason)
{
	cr_assert_str_eq(tern_version(), PACKAGE_VERSION);
	cr_assert_str_eq(tern_stun_reason(401), "Unauthenticated");
	cr_assert_str_eq(tern_stun_reason(438), "Stale Nonce");
}

Test(misc, bad_arguments)
{
	struct event_base *base = event_base_new();
	struct tern_server srv = { .host_or_ip = "127.0.0.1", .port = 9 };
	struct tern_client *c = NULL;
	struct tern_alloc *a = NULL;
	struct tern_creds cr = { 0 };

	cr_assert_eq(tern_client_alloc(&c, base, NULL, NULL), EINVAL);
	cr_assert_eq(tern_client_alloc(NULL, base, &srv, NULL), EINVAL);
	srv.tp = 7;
	cr_assert_eq(tern_client_alloc(&c, base, &srv, NULL), EINVAL);
	srv.tp = TERN_UDP;
	srv.host_or_ip = "no-such-host.invalid";
	cr_assert_eq(tern_client_alloc(&c, base, &srv, NULL), ENOENT);
	cr_assert_null(c);
	srv.host_or_ip = "127.0.0.1";
	cr_assert_eq(tern_client_alloc(&c, base, &srv, NULL), 0);
	cr_assert(tern_client_connected(c));
	cr_assert_eq(tern_binding(c, 0, NULL, NULL), EINVAL);
	cr_assert_eq(tern_allocate(&a, c, &cr, NULL, NULL, NULL, NULL), EINVAL);
	cr_assert_null(tern_client_peer_cert(c));
	cr_assert_null(tern_client_alpn(c));
	cr_assert_eq(tern_client_verify_result(c), -1);
	tern_alloc_free(NULL);
	tern_alloc_release(NULL);
	tern_client_free(c);
	tern_client_free(NULL);
	event_base_free(base);
}
