/*
 * dispatch.c — an authenticated TURN request to its method's handler
 * (RFC 8656 §7-§12). server.c sorts what arrives (STUN or ChannelData,
 * request or indication), reqauth.c authenticates a request, and this
 * picks the handler: Allocate and Refresh in alloc.c, CreatePermission
 * and ChannelBind in perm.c.
 */
#include "turn/priv.h"

enum turn_verdict turn_dispatch(struct turn_server *s, const struct turn_in *in,
				const struct stun_msg *req,
				const struct turn_auth *auth)
{
	switch (req->method) {
	case STUN_METHOD_ALLOCATE:
		return turn_allocate(s, in, req, auth);
	case STUN_METHOD_REFRESH:
		return turn_refresh(s, in, req, auth);
	case STUN_METHOD_CREATE_PERMISSION:
		return turn_create_permission(s, in, req, auth);
	case STUN_METHOD_CHANNEL_BIND:
		return turn_channel_bind(s, in, req, auth);
	default:
		return turn_reply_error_auth(s, in, req, auth, 400, NULL);
	}
}
