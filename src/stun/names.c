/*
 * names.c — reason phrases and names for logs (RFC 8489 §14.8, §18.3,
 * RFC 8656 §17, §18, §19, RFC 5780 §7, RFC 6062 §6, RFC 8445 §16).
 */
#include "stun/stun.h"

#include <stddef.h>

const char *stun_reason(uint16_t code)
{
	switch (code) {
	/* RFC 8489 §14.8 */
	case 300:
		return "Try Alternate";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthenticated";
	case 420:
		return "Unknown Attribute";
	case 438:
		return "Stale Nonce";
	case 500:
		return "Server Error";
	/* RFC 8656 §19 */
	case 403:
		return "Forbidden";
	case 437:
		return "Allocation Mismatch";
	case 440:
		return "Address Family not Supported";
	case 441:
		return "Wrong Credentials";
	case 442:
		return "Unsupported Transport Protocol";
	case 443:
		return "Peer Address Family Mismatch";
	case 486:
		return "Allocation Quota Reached";
	case 508:
		return "Insufficient Capacity";
	/* RFC 8016 §3.3 (mobility ticket) */
	case 405:
		return "Mobility Forbidden";
	/* RFC 6062 §6.3 */
	case 446:
		return "Connection Already Exists";
	case 447:
		return "Connection Timeout or Failure";
	/* RFC 8445 §16.2 */
	case 487:
		return "Role Conflict";
	default:
		return "Error";
	}
}

const char *stun_method_name(uint16_t method)
{
	switch (method) {
	case STUN_METHOD_BINDING:
		return "Binding";
	case STUN_METHOD_ALLOCATE:
		return "Allocate";
	case STUN_METHOD_REFRESH:
		return "Refresh";
	case STUN_METHOD_SEND:
		return "Send";
	case STUN_METHOD_DATA:
		return "Data";
	case STUN_METHOD_CREATE_PERMISSION:
		return "CreatePermission";
	case STUN_METHOD_CHANNEL_BIND:
		return "ChannelBind";
	case STUN_METHOD_CONNECT:
		return "Connect";
	case STUN_METHOD_CONNECTION_BIND:
		return "ConnectionBind";
	case STUN_METHOD_CONNECTION_ATTEMPT:
		return "ConnectionAttempt";
	default:
		return NULL;
	}
}

/* A flat switch keeps the names beside the enum constants they spell. */
const char *stun_attr_name(uint16_t type)
{
	switch (type) {
	case STUN_ATTR_MAPPED_ADDRESS:
		return "MAPPED-ADDRESS";
	case STUN_ATTR_RESPONSE_ADDRESS:
		return "RESPONSE-ADDRESS";
	case STUN_ATTR_CHANGE_REQUEST:
		return "CHANGE-REQUEST";
	case STUN_ATTR_SOURCE_ADDRESS:
		return "SOURCE-ADDRESS";
	case STUN_ATTR_CHANGED_ADDRESS:
		return "CHANGED-ADDRESS";
	case STUN_ATTR_USERNAME:
		return "USERNAME";
	case STUN_ATTR_MESSAGE_INTEGRITY:
		return "MESSAGE-INTEGRITY";
	case STUN_ATTR_ERROR_CODE:
		return "ERROR-CODE";
	case STUN_ATTR_UNKNOWN_ATTRIBUTES:
		return "UNKNOWN-ATTRIBUTES";
	case STUN_ATTR_CHANNEL_NUMBER:
		return "CHANNEL-NUMBER";
	case STUN_ATTR_LIFETIME:
		return "LIFETIME";
	case STUN_ATTR_XOR_PEER_ADDRESS:
		return "XOR-PEER-ADDRESS";
	case STUN_ATTR_DATA:
		return "DATA";
	case STUN_ATTR_REALM:
		return "REALM";
	case STUN_ATTR_NONCE:
		return "NONCE";
	case STUN_ATTR_XOR_RELAYED_ADDRESS:
		return "XOR-RELAYED-ADDRESS";
	case STUN_ATTR_REQUESTED_ADDRESS_FAMILY:
		return "REQUESTED-ADDRESS-FAMILY";
	case STUN_ATTR_EVEN_PORT:
		return "EVEN-PORT";
	case STUN_ATTR_REQUESTED_TRANSPORT:
		return "REQUESTED-TRANSPORT";
	case STUN_ATTR_DONT_FRAGMENT:
		return "DONT-FRAGMENT";
	case STUN_ATTR_MESSAGE_INTEGRITY_SHA256:
		return "MESSAGE-INTEGRITY-SHA256";
	case STUN_ATTR_PASSWORD_ALGORITHM:
		return "PASSWORD-ALGORITHM";
	case STUN_ATTR_USERHASH:
		return "USERHASH";
	case STUN_ATTR_XOR_MAPPED_ADDRESS:
		return "XOR-MAPPED-ADDRESS";
	case STUN_ATTR_RESERVATION_TOKEN:
		return "RESERVATION-TOKEN";
	case STUN_ATTR_PRIORITY:
		return "PRIORITY";
	case STUN_ATTR_USE_CANDIDATE:
		return "USE-CANDIDATE";
	case STUN_ATTR_PADDING:
		return "PADDING";
	case STUN_ATTR_RESPONSE_PORT:
		return "RESPONSE-PORT";
	case STUN_ATTR_CONNECTION_ID:
		return "CONNECTION-ID";
	case STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY:
		return "ADDITIONAL-ADDRESS-FAMILY";
	case STUN_ATTR_ADDRESS_ERROR_CODE:
		return "ADDRESS-ERROR-CODE";
	case STUN_ATTR_PASSWORD_ALGORITHMS:
		return "PASSWORD-ALGORITHMS";
	case STUN_ATTR_ALTERNATE_DOMAIN:
		return "ALTERNATE-DOMAIN";
	case STUN_ATTR_ICMP:
		return "ICMP";
	case STUN_ATTR_SOFTWARE:
		return "SOFTWARE";
	case STUN_ATTR_ALTERNATE_SERVER:
		return "ALTERNATE-SERVER";
	case STUN_ATTR_FINGERPRINT:
		return "FINGERPRINT";
	case STUN_ATTR_ICE_CONTROLLED:
		return "ICE-CONTROLLED";
	case STUN_ATTR_ICE_CONTROLLING:
		return "ICE-CONTROLLING";
	case STUN_ATTR_RESPONSE_ORIGIN:
		return "RESPONSE-ORIGIN";
	case STUN_ATTR_OTHER_ADDRESS:
		return "OTHER-ADDRESS";
	default:
		return NULL;
	}
}
