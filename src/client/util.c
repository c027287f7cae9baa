/* util.c — helpers of the public API: REST credentials, printing. */
#include "client/priv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config.h"

const char *tern_version(void)
{
	return PACKAGE_VERSION;
}

int tern_rest_credentials(const char *secret, const char *user, uint64_t ttl,
			  uint64_t now, char *ubuf, size_t ulen, char *pbuf,
			  size_t plen)
{
	char pass[AUTH_REST_PASS_LEN + 1];
	int n, err;

	if (!secret || !ubuf || !pbuf || ulen == 0)
		return EINVAL;
	if (user && *user)
		n = snprintf(ubuf, ulen, "%llu:%s",
			     (unsigned long long)(now + ttl), user);
	else
		n = snprintf(ubuf, ulen, "%llu",
			     (unsigned long long)(now + ttl));
	if (n < 0 || (size_t)n >= ulen)
		return ENOSPC;
	if (plen < sizeof(pass))
		return ENOSPC;
	err = auth_rest_password((const uint8_t *)secret, strlen(secret), ubuf,
				 (size_t)n, pass);
	if (err)
		return err;
	memcpy(pbuf, pass, sizeof(pass));
	return 0;
}

const char *tern_addr_print(const struct sockaddr *s, char *buf, size_t size)
{
	struct sa a;
	socklen_t len;

	if (!buf || size == 0)
		return buf;
	len = s && s->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					    : sizeof(struct sockaddr_in);
	if (!s || sa_set_sockaddr(&a, s, len) != 0) {
		snprintf(buf, size, "-");
		return buf;
	}
	return sa_print(&a, buf, size);
}

const char *tern_stun_reason(uint16_t code)
{
	return stun_reason(code);
}
