/*
 * conn.c — where Redis is: "HOST:PORT" on tern-admin's command line,
 * and coturn's connection string (redis-userdb); see admin.h. Pure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/admin/admin.h"

/* All of s as a number in [lo, hi]. */
static bool uint_in(const char *s, unsigned long lo, unsigned long hi,
		    unsigned long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return !errno && !*end && *v >= lo && *v <= hi;
}

int admin_conn_parse(struct admin_conn *c, const char *text, char *buf,
		     char *why, size_t whylen)
{
	char *host = buf, *colon, *port = NULL;
	unsigned long p;

	strcpy(buf, text);
	if (buf[0] == '/') {
		c->unix_path = buf;
		return 0;
	}
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');

		if (!close || (close[1] && close[1] != ':'))
			return tools_fail(why, whylen,
					  "--redis '%s': expected [IPV6]:PORT",
					  text);
		*close = '\0';
		host = buf + 1;
		if (close[1])
			port = close + 2;
	} else if ((colon = strchr(buf, ':')) && !strchr(colon + 1, ':')) {
		*colon = '\0';
		port = colon + 1;
	} /* else: a host name, IPv4, or a bare IPv6 address */
	if (!*host)
		return tools_fail(why, whylen, "--redis '%s': no host", text);
	if (port) {
		if (!uint_in(port, 1, 65535, &p))
			return tools_fail(
			    why, whylen,
			    "--redis '%s': '%s' is not a port number", text,
			    port);
		c->port = (uint16_t)p;
	}
	c->host = host;
	c->unix_path = NULL;
	return 0;
}

static bool is_one_of(const char *k, const char *const *names)
{
	for (; *names; names++)
		if (strcmp(k, *names) == 0)
			return true;
	return false;
}

/* One "key=value" of coturn's connection string into c. */
static int conn_kv(struct admin_conn *c, char *k, const char **unknown,
		   char *why, size_t whylen)
{
	static const char *const hosts[] = { "ip",     "host",	   "addr",
					     "ipaddr", "hostaddr", NULL };
	static const char *const dbs[] = { "dbname", "db", "database", NULL };
	static const char *const pws[] = { "password", "pwd", "passwd",
					   "secret", NULL };
	static const char *const ports[] = { "port", "p", NULL };
	char *v = strchr(k, '=');
	unsigned long n;

	if (!v)
		return tools_fail(why, whylen, "'%s' is not KEY=VALUE", k);
	*v++ = '\0';
	if (is_one_of(k, hosts)) {
		c->host = v;
	} else if (is_one_of(k, dbs)) {
		if (!uint_in(v, 0, 65535, &n))
			return tools_fail(why, whylen,
					  "dbname '%s' is not 0-65535", v);
		c->db = (unsigned)n;
	} else if (is_one_of(k, pws)) {
		c->password = v;
	} else if (is_one_of(k, ports)) {
		if (!uint_in(v, 1, 65535, &n))
			return tools_fail(why, whylen,
					  "port '%s' is not 1-65535", v);
		c->port = (uint16_t)n;
	} else if (strcmp(k, "connect_timeout") == 0) {
		if (!uint_in(v, 0, 3600, &n))
			return tools_fail(why, whylen,
					  "connect_timeout '%s' is not 0-3600",
					  v);
		if (n)
			c->timeout_ms = (unsigned)n * 1000;
	} else if (unknown && !*unknown) {
		*unknown = k; /* e.g. user= (a Redis 6 ACL user) */
	}
	return 0;
}

int admin_conn_coturn(struct admin_conn *c, const char *s, char *buf,
		      const char **unknown, char *why, size_t whylen)
{
	char *p = buf;
	int err = 0;

	strcpy(buf, s);
	if (unknown)
		*unknown = NULL;
	/* coturn splits on spaces; a tab is accepted here as well */
	while (!err && *p) {
		char *tok;

		p += strspn(p, " \t");
		if (!*p)
			break;
		tok = p;
		p += strcspn(p, " \t");
		if (*p)
			*p++ = '\0';
		err = conn_kv(c, tok, unknown, why, whylen);
	}
	return err;
}
