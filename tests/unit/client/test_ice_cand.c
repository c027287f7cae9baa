/*
 * The candidate line parser and writer of the ICE pure layer
 * (src/client/ice_cand.c), with lines as Chromium, Firefox and aiortc
 * write them (documentation addresses: 192.0.2.0/24, 198.51.100.0/24,
 * 203.0.113.0/24, 2001:db8::/32), and one test per error path.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <string.h>

#include "client/ice.h"

static struct ice_cand parse_ok(const char *line)
{
	struct ice_cand c;
	char why[128];
	int err = ice_cand_parse(&c, line, strlen(line), why, sizeof(why));

	cr_assert_eq(err, 0, "%s: %s", line, why);
	return c;
}

/* parse(format(c)) == c, and the text is stable after one round. */
static void round_trip(const struct ice_cand *c)
{
	char a[ICE_LINE_MAX], b[ICE_LINE_MAX];
	struct ice_cand d;

	cr_assert_eq(ice_cand_format(c, a, sizeof(a)), 0);
	d = parse_ok(a);
	cr_assert(ice_cand_equal(c, &d), "%s", a);
	cr_assert_eq(ice_cand_format(&d, b, sizeof(b)), 0);
	cr_assert_str_eq(a, b);
}

static void assert_addr(const struct sa *a, const char *text)
{
	char buf[SA_STRLEN];

	cr_assert_str_eq(sa_print(a, buf, sizeof(buf)), text);
}

Test(ice_cand, chromium_srflx)
{
	const char *l = "candidate:842163049 1 udp 1677729535 203.0.113.7 "
			"47930 typ srflx raddr 192.0.2.3 rport 47930 "
			"generation 0 ufrag EEtu network-id 3 network-cost 10";
	struct ice_cand c = parse_ok(l);
	char out[ICE_LINE_MAX];

	cr_assert_str_eq(c.foundation, "842163049");
	cr_assert_eq(c.component, 1);
	cr_assert_eq(c.transport, ICE_UDP);
	cr_assert_eq(c.priority, 1677729535u);
	assert_addr(&c.addr, "203.0.113.7:47930");
	cr_assert_eq(c.port, 47930);
	cr_assert_eq(c.type, ICE_SRFLX);
	cr_assert(c.has_raddr);
	assert_addr(&c.raddr, "192.0.2.3:47930");
	cr_assert(c.has_generation && c.generation == 0);
	cr_assert_str_eq(c.ufrag, "EEtu");
	cr_assert(c.has_network_id && c.network_id == 3);
	cr_assert(c.has_network_cost && c.network_cost == 10);
	cr_assert_eq(c.n_ext, 0);
	cr_assert_eq(ice_cand_format(&c, out, sizeof(out)), 0);
	cr_assert_str_eq(out, l); /* Chromium's own order is ours */
	round_trip(&c);
}

Test(ice_cand, chromium_host_tcp_v6_relay)
{
	struct ice_cand c;

	c = parse_ok("a=candidate:1467250027 1 udp 2122260223 192.0.2.3 46243 "
		     "typ host generation 0 ufrag EEtu network-id 3 "
		     "network-cost 10\r\n");
	cr_assert_eq(c.type, ICE_HOST);
	cr_assert_not(c.has_raddr);
	round_trip(&c);
	c = parse_ok("candidate:1853887674 1 tcp 1518280447 192.0.2.3 9 typ "
		     "host tcptype active generation 0 ufrag EEtu network-id 3 "
		     "network-cost 10");
	cr_assert_eq(c.transport, ICE_TCP);
	cr_assert_eq(c.tcptype, ICE_TCP_ACTIVE);
	cr_assert_eq(c.port, 9);
	round_trip(&c);
	c = parse_ok("candidate:2999745851 1 udp 2122265343 2001:db8::5 56143 "
		     "typ host generation 0 ufrag EEtu network-id 2 "
		     "network-cost 10");
	assert_addr(&c.addr, "[2001:db8::5]:56143");
	round_trip(&c);
	c = parse_ok("candidate:3745646218 1 udp 41885439 198.51.100.20 61256 "
		     "typ relay raddr 203.0.113.7 rport 47930 generation 0 "
		     "ufrag EEtu network-id 3 network-cost 10");
	cr_assert_eq(c.type, ICE_RELAY);
	assert_addr(&c.raddr, "203.0.113.7:47930");
	round_trip(&c);
	/* Chromium hides the host address behind 0.0.0.0 port 0 */
	c = parse_ok("candidate:842163049 1 udp 1677729535 203.0.113.7 47930 "
		     "typ srflx raddr 0.0.0.0 rport 0 generation 0 ufrag EEtu "
		     "network-cost 999");
	assert_addr(&c.raddr, "0.0.0.0:0");
	cr_assert_not(c.has_network_id);
	round_trip(&c);
}

Test(ice_cand, chromium_mdns)
{
	struct ice_cand c = parse_ok(
	    "candidate:3253409116 1 udp 2113937151 "
	    "2a1c2b3e-4f5a-4b6c-8d9e-0f1a2b3c4d5e.local 54608 typ host "
	    "generation 0 ufrag EEtu network-cost 999");

	cr_assert(c.mdns);
	cr_assert_str_eq(c.name, "2a1c2b3e-4f5a-4b6c-8d9e-0f1a2b3c4d5e.local");
	cr_assert_not(sa_is_set(&c.addr));
	cr_assert_eq(c.port, 54608);
	round_trip(&c);
}

Test(ice_cand, firefox)
{
	struct ice_cand c;

	c = parse_ok(
	    "candidate:0 1 UDP 2122252543 198.51.100.4 53413 typ host");
	cr_assert_eq(c.transport, ICE_UDP);
	cr_assert_eq(c.priority, 2122252543u);
	cr_assert_not(c.has_generation);
	cr_assert_str_eq(c.ufrag, "");
	round_trip(&c);
	c = parse_ok("a=candidate:1 1 TCP 2105524479 198.51.100.4 9 typ host "
		     "tcptype active");
	cr_assert_eq(c.tcptype, ICE_TCP_ACTIVE);
	round_trip(&c);
	c = parse_ok("candidate:2 1 TCP 2105458943 198.51.100.4 51206 typ host "
		     "tcptype passive");
	cr_assert_eq(c.tcptype, ICE_TCP_PASSIVE);
	round_trip(&c);
	c = parse_ok("candidate:3 1 UDP 1686052863 203.0.113.9 53413 typ srflx "
		     "raddr 198.51.100.4 rport 53413");
	round_trip(&c);
	c = parse_ok("candidate:5 2 UDP 92217086 198.51.100.20 59863 typ relay "
		     "raddr 198.51.100.20 rport 59863");
	cr_assert_eq(c.component, 2);
	round_trip(&c);
}

Test(ice_cand, aiortc)
{
	struct ice_cand c;

	c = parse_ok("candidate:ce2e5a6b1b8c9f9cd2a8a3a1e6b6d1a2 1 udp "
		     "2130706431 192.0.2.1 53705 typ host");
	cr_assert_str_eq(c.foundation, "ce2e5a6b1b8c9f9cd2a8a3a1e6b6d1a2");
	cr_assert_eq(c.priority, ice_priority(ICE_HOST, 65535, 1));
	round_trip(&c);
	c = parse_ok("candidate:9f4ab3e2c1d0e7f6a5b4c3d2e1f0a9b8 1 udp "
		     "1694498815 203.0.113.7 53705 typ srflx raddr 192.0.2.1 "
		     "rport 53705");
	cr_assert_eq(c.priority, ice_priority(ICE_SRFLX, 65535, 1));
	round_trip(&c);
}

Test(ice_cand, bare_and_unknown_extensions)
{
	struct ice_cand c = parse_ok("1 1 udp 1 192.0.2.1 1 typ prflx "
				     "foo bar rport 7 x-y z generation 4 "
				     "raddr 192.0.2.2");

	cr_assert_eq(c.type, ICE_PRFLX);
	cr_assert_eq(c.n_ext, 2);
	cr_assert_str_eq(c.ext[0].key, "foo");
	cr_assert_str_eq(c.ext[0].val, "bar");
	cr_assert_str_eq(c.ext[1].key, "x-y");
	cr_assert_str_eq(c.ext[1].val, "z");
	assert_addr(&c.raddr, "192.0.2.2:7");
	round_trip(&c);
}

Test(ice_cand, end_of_candidates)
{
	cr_assert(ice_cand_is_end("", 0));
	cr_assert(ice_cand_is_end(NULL, 0));
	cr_assert(ice_cand_is_end("a=end-of-candidates\r\n", 21));
	cr_assert(ice_cand_is_end("end-of-candidates", 17));
	cr_assert_not(
	    ice_cand_is_end("candidate:0 1 UDP 1 192.0.2.1 1 typ host", 40));
	cr_assert_not(ice_cand_is_end("end-of-candidates x", 19));
	cr_assert_not(ice_cand_is_end("a=", 2));
	cr_assert(ice_cand_is_end(" \r\n", 3));
}

/* Every error: EBADMSG, a reason, and the output left as it was. */
static void bad(const char *line, const char *reason)
{
	struct ice_cand c, before;
	char why[128] = "unset";

	memset(&c, 0x5a, sizeof(c));
	before = c;
	cr_assert_eq(ice_cand_parse(&c, line, strlen(line), why, sizeof(why)),
		     EBADMSG, "%s", line);
	cr_assert(strstr(why, reason), "%s: got \"%s\"", line, why);
	cr_assert_eq(memcmp(&c, &before, sizeof(c)), 0);
}

#define L "candidate:1 1 udp 2122252543 192.0.2.1 5000 typ host"

Test(ice_cand, errors)
{
	bad("", "empty");
	bad("a=candidate:", "empty");
	bad("candidate:1", "truncated after the foundation");
	bad("candidate:1 1", "truncated after the component");
	bad("candidate:1 1 udp", "truncated after the transport");
	bad("candidate:1 1 udp 1", "truncated after the priority");
	bad("candidate:1 1 udp 1 192.0.2.1", "truncated after the address");
	bad("candidate:1 1 udp 1 192.0.2.1 5000", "\"typ\" expected");
	bad("candidate:1 1 udp 1 192.0.2.1 5000 typ",
	    "truncated after \"typ\"");
	bad("candidate:1 0 udp 1 192.0.2.1 5000 typ host", "component");
	bad("candidate:1 257 udp 1 192.0.2.1 5000 typ host", "component");
	bad("candidate:1 x udp 1 192.0.2.1 5000 typ host", "component");
	bad("candidate:1 1 sctp 1 192.0.2.1 5000 typ host", "transport");
	bad("candidate:1 1 udp 4294967296 192.0.2.1 5000 typ host", "priority");
	bad("candidate:1 1 udp 99999999999 192.0.2.1 5000 typ host",
	    "priority");
	bad("candidate:1 1 udp -1 192.0.2.1 5000 typ host", "priority");
	bad("candidate:1 1 udp 1 192.0.2.1 0 typ host", "port");
	bad("candidate:1 1 udp 1 192.0.2.1 65536 typ host", "port");
	bad("candidate:1 1 udp 1 192.0.2.256 5000 typ host", "address");
	bad("candidate:1 1 udp 1 example.com 5000 typ host", "address");
	bad("candidate:1 1 udp 1 .local 5000 typ host", "address");
	bad("candidate:1 1 udp 1 192.0.2.1 5000 type host", "\"typ\"");
	bad("candidate:1 1 udp 1 192.0.2.1 5000 typ nat", "typ must be");
	bad(L " raddr", "has no value");
	bad(L " raddr 192.0.2.2", "raddr without rport");
	bad(L " raddr 192.0.2.2 generation 0", "raddr without rport");
	bad(L " rport 5", "rport without raddr");
	bad(L " raddr x rport 5", "raddr must be");
	bad(L " raddr 192.0.2.2 rport 65536", "rport");
	bad(L " generation 1 generation 2", "given twice");
	bad(L " generation x", "generation");
	bad(L " network-id -3", "network-id");
	bad(L " network-cost 4294967296", "network-cost");
	bad(L " ufrag a-b", "ufrag");
	bad(L " tcptype passive", "tcptype on a udp");
	bad("candidate:1 1 tcp 1 192.0.2.1 9 typ host tcptype both", "tcptype");
	bad("candidate:123456789012345678901234567890123 1 udp 1 192.0.2.1 1 "
	    "typ host",
	    "foundation");
	bad("candidate:a-b 1 udp 1 192.0.2.1 1 typ host", "foundation");
	bad(L " a 1 b 2 c 3 d 4 e 5 f 6 g 7 h 8 i 9", "more than 8");
	bad(L " k 0123456789012345678901234567890123456789012345678901234567890"
	      "1234",
	    "longer than");
	bad(L " k\x7f v", "control");
	bad(L " k\x01\x1b", "extension k?? has no value"); /* safe to log */
}

Test(ice_cand, oversized_nul_and_args)
{
	char line[ICE_LINE_MAX + 2];
	struct ice_cand c;
	char why[64];

	memset(line, 'a', sizeof(line));
	memcpy(line, L, strlen(L));
	line[strlen(L)] = ' ';
	line[sizeof(line) - 1] = '\0';
	cr_assert_eq(
	    ice_cand_parse(&c, line, ICE_LINE_MAX + 1, why, sizeof(why)),
	    EBADMSG);
	cr_assert(strstr(why, "longer than"));
	cr_assert_eq(
	    ice_cand_parse(&c, L "\0 x", strlen(L) + 3, why, sizeof(why)),
	    EBADMSG);
	cr_assert_eq(ice_cand_parse(NULL, L, strlen(L), NULL, 0), EINVAL);
	cr_assert_eq(ice_cand_parse(&c, NULL, 3, NULL, 0), EINVAL);
	cr_assert_eq(ice_cand_parse(&c, NULL, 0, why, sizeof(why)), EBADMSG);
	/* no why buffer: still the same answer */
	cr_assert_eq(ice_cand_parse(&c, "x", 1, NULL, 0), EBADMSG);
	/* the length bounds the read: the bytes after it are not looked at */
	cr_assert_eq(
	    ice_cand_parse(&c, L " generation 7", strlen(L), why, sizeof(why)),
	    0);
	cr_assert_not(c.has_generation);
}

Test(ice_cand, format_limits)
{
	struct ice_cand c = parse_ok(L " generation 3");
	char small[20];

	cr_assert_eq(ice_cand_format(&c, small, sizeof(small)), ENOSPC);
	cr_assert_str_eq(small, "");
	c.component = 0;
	cr_assert_eq(ice_cand_format(&c, small, sizeof(small)), EINVAL);
}
