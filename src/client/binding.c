/* binding.c — the Binding transaction (RFC 8489 §6, RFC 5780 §7). */
#include "client/priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bind_req {
	tern_binding_cb cb;
	void *arg;
};

/* Encode the common tail of every request we send: SOFTWARE, then
 * FINGERPRINT (RFC 8489 §14.7: last). */
static void binding_tail(const struct tern_client *c, struct stun_enc *e)
{
	if (c->opts.software)
		stun_enc_text(e, STUN_ATTR_SOFTWARE, c->opts.software,
			      strlen(c->opts.software));
	if (!c->opts.no_fingerprint)
		stun_enc_fingerprint(e);
}

static void binding_addrs(const struct stun_msg *m,
			  struct tern_binding_result *out)
{
	const struct stun_attr *a;
	struct sa sa;

	a = stun_msg_attr(m, STUN_ATTR_XOR_MAPPED_ADDRESS);
	if (a && stun_attr_xaddr(a, m, &sa) == 0) {
		client_addr_out(&sa, &out->mapped);
		out->xor_mapped = true;
	} else if ((a = stun_msg_attr(m, STUN_ATTR_MAPPED_ADDRESS)) &&
		   stun_attr_addr(a, &sa) == 0) {
		client_addr_out(&sa, &out->mapped);
	}
	a = stun_msg_attr(m, STUN_ATTR_OTHER_ADDRESS);
	if (a && stun_attr_addr(a, &sa) == 0)
		client_addr_out(&sa, &out->other);
	a = stun_msg_attr(m, STUN_ATTR_RESPONSE_ORIGIN);
	if (a && stun_attr_addr(a, &sa) == 0)
		client_addr_out(&sa, &out->origin);
}

static void binding_done(void *arg, const struct trans_result *r)
{
	struct bind_req br = *(struct bind_req *)arg;
	struct tern_binding_result out = { .reason =
					       r->reason ? r->reason : "" };
	char soft[768];
	const struct stun_attr *a;
	const char *s;
	size_t n;
	int err = r->err;

	free(arg);
	out.code = r->code;
	out.rtt_ms = r->rtt_ms;
	out.sends = r->sends;
	if (r->src)
		client_addr_out(r->src, &out.source);
	if (r->resp) {
		binding_addrs(r->resp, &out);
		a = stun_msg_attr(r->resp, STUN_ATTR_SOFTWARE);
		if (a && stun_attr_text(a, &s, &n) == 0) {
			snprintf(soft, sizeof(soft), "%.*s", (int)n, s);
			out.software = soft;
		}
	}
	if (!err && out.mapped.ss_family == AF_UNSPEC) {
		err = EBADMSG;
		out.reason = "Binding response without a mapped address";
	}
	br.cb(br.arg, err, &out);
}

int tern_binding(struct tern_client *c, uint32_t change_flags,
		 tern_binding_cb cb, void *arg)
{
	uint8_t buf[TERN_REQ_MAX], tid[STUN_TID_SIZE];
	struct stun_enc e;
	struct bind_req *br;
	size_t len;
	int err;

	if (!c || !cb || c->dead)
		return EINVAL;
	err = trans_tid(tid);
	if (err)
		return err;
	stun_enc_init(&e, buf, sizeof(buf), STUN_METHOD_BINDING,
		      STUN_CLASS_REQUEST, tid);
	if (change_flags)
		stun_enc_change_request(&e, change_flags);
	binding_tail(c, &e);
	err = stun_enc_finish(&e, &len);
	if (err)
		return err;
	br = malloc(sizeof(*br));
	if (!br)
		return ENOMEM;
	br->cb = cb;
	br->arg = arg;
	err = trans_start(c, buf, len, tid, NULL, NULL, binding_done, br);
	if (err)
		free(br);
	return err;
}
