"""A minimal TURN client (RFC 8656) over UDP or TCP, on the codec of
ternkit.stun: long-term credentials with the 401 dance (and one retry on a
438 stale nonce), Allocate, Refresh, CreatePermission, ChannelBind, Send
indications, ChannelData. Standard library only; loopback by default.
"""

import os
import socket
import struct
import time

from .stun import (ALLOCATE, CHANNEL_BIND, CHANNEL_NUMBER, CREATE_PERMISSION, DATA, DATA_ATTR,
                   INDICATION, LIFETIME, NONCE, REALM, REFRESH, REQUEST, REQUESTED_ADDRESS_FAMILY,
                   SEND, UDP_TRANSPORT, USERNAME, XOR_PEER_ADDRESS, XOR_RELAYED_ADDRESS, Resp,
                   StunError, fmt, long_term_key, message, unxor_addr, xor_addr)

USER, PASSWORD = "alice", "wonderland"


class TurnClient:
    """One UDP 5-tuple talking to a TURN server at server=(host, port).

    user/password: the default credentials of request(). After a request,
    realm/nonce hold what the server's 401 gave, key the long-term key."""

    def __init__(self, server, family=socket.AF_INET, bind_host=None, user=USER, password=PASSWORD):
        self.server = server
        self.user, self.password = user, password
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.bind((bind_host or ("127.0.0.1" if family == socket.AF_INET else "::1"), 0))
        self.realm = self.nonce = None
        self.key = None

    def local(self):
        """Our (ip, port)."""
        return self.sock.getsockname()[:2]

    def close(self):
        """Close the socket (the allocation, if any, is left to time out)."""
        self.sock.close()

    def send_raw(self, data):
        """Send bytes to the server as they are."""
        self.sock.sendto(data, self.server)

    def recv_raw(self, timeout):
        """One datagram from anywhere, or None after timeout seconds."""
        self.sock.settimeout(timeout)
        try:
            return self.sock.recvfrom(65535)[0]
        except socket.timeout:
            return None

    def transact(self, tid, data, timeout=0.5, tries=4):
        """Send data (retransmitted up to tries times) until a response with
        this tid comes back; returns it (a Msg) or None."""
        for _ in range(tries):
            self.sock.sendto(data, self.server)
            end = time.monotonic() + timeout
            while True:
                left = end - time.monotonic()
                if left <= 0:
                    break
                self.sock.settimeout(left)
                try:
                    raw, _ = self.sock.recvfrom(65535)
                except socket.timeout:
                    break
                try:
                    r = Resp(raw)
                except (StunError, struct.error):
                    continue
                if r.tid == tid:
                    return r
        return None

    def request(self, method, attrs, auth=True, password=None, user=None, tid=None):
        """One request; returns the response Msg or None. With auth it carries
        USERNAME/REALM/NONCE/MESSAGE-INTEGRITY, learning REALM and NONCE from
        a 401 first (unless already known), and retries on a 438 with the new
        NONCE. Pass tid when attrs depend on it (XOR-PEER-ADDRESS over IPv6)."""
        user = self.user if user is None else user
        password = self.password if password is None else password
        if not auth:
            tid, data = message(method, REQUEST, attrs, tid=tid)
            return self.transact(tid, data)
        r = None
        for _ in range(3):
            if self.nonce is None:
                tid0, data = message(method, REQUEST, attrs)
                r = self.transact(tid0, data)
                if r is None or r.error() is None or r.error()[0] != 401:
                    return r
                self.realm, self.nonce = r.get(REALM), r.get(NONCE)
                if self.realm is None or self.nonce is None:
                    return r
            key = long_term_key(user, self.realm.decode(), password)
            tid1, data = message(method, REQUEST, list(attrs) + [
                (USERNAME, user.encode()), (REALM, self.realm), (NONCE, self.nonce)], tid=tid, key=key)
            r = self.transact(tid1, data)
            if r is not None and r.error() and r.error()[0] == 438 and r.get(NONCE):
                self.nonce = r.get(NONCE)
                tid = None
                continue
            self.key = key
            return r
        return r

    def allocate(self, family=None, password=None, extra=(), user=None):
        """Allocate a UDP relay (family 1 = IPv4, 2 = IPv6 via
        REQUESTED-ADDRESS-FAMILY); extra: more attributes."""
        attrs = [UDP_TRANSPORT]
        if family is not None:
            attrs.append((REQUESTED_ADDRESS_FAMILY, bytes([family, 0, 0, 0])))
        return self.request(ALLOCATE, attrs + list(extra), password=password, user=user)

    def refresh(self, lifetime, user=None, password=None):
        """Refresh with LIFETIME lifetime (0 releases the allocation)."""
        return self.request(REFRESH, [(LIFETIME, struct.pack("!I", lifetime))], user=user, password=password)

    def release(self, user=None, password=None):
        """Refresh LIFETIME 0."""
        return self.refresh(0, user=user, password=password)

    def permission(self, ip, extra=(), user=None, password=None, port=9):
        """CreatePermission for ip (extra: more attributes). The port is
        ignored by the permission (RFC 8656 §9) but port 0 is refused."""
        tid = os.urandom(12)
        return self.request(CREATE_PERMISSION, [(XOR_PEER_ADDRESS, xor_addr(ip, port, tid))] + list(extra),
                            tid=tid, user=user, password=password)

    def channel_bind(self, num, peer, user=None, password=None):
        """ChannelBind channel num to peer (ip, port)."""
        tid = os.urandom(12)
        return self.request(CHANNEL_BIND, [(CHANNEL_NUMBER, struct.pack("!HH", num, 0)),
                                           (XOR_PEER_ADDRESS, xor_addr(peer[0], peer[1], tid))],
                            tid=tid, user=user, password=password)

    def send(self, peer, payload):
        """A Send indication of payload to peer (ip, port): no answer."""
        self.send_raw(send_indication(peer, payload))

    def send_channel(self, num, payload):
        """ChannelData of payload on channel num."""
        self.send_raw(channel_data(num, payload))


Client = TurnClient


class TcpTurnClient(TurnClient):
    """TurnClient over one TCP connection (RFC 8489 framing: STUN messages
    and ChannelData frames padded to 4)."""

    def __init__(self, server, bind_host="127.0.0.1", timeout=3.0, user=USER, password=PASSWORD):  # noqa: super not called on purpose
        self.server = server
        self.user, self.password = user, password
        self.sock = socket.create_connection(server, timeout=timeout, source_address=(bind_host, 0))
        self.realm = self.nonce = None
        self.key = None
        self.buf = b""

    def send_raw(self, data):
        """Send bytes on the connection as they are."""
        self.sock.sendall(data)

    def recv_raw(self, timeout):
        """One frame, or None after timeout."""
        return self.read_frame(timeout)

    def read_frame(self, timeout):
        """One STUN message or ChannelData frame (raw bytes), or None on timeout."""
        end = time.monotonic() + timeout
        while True:
            if len(self.buf) >= 4:
                if self.buf[0] & 0xC0 == 0:
                    need = 20 + struct.unpack("!H", self.buf[2:4])[0]
                else:
                    n = struct.unpack("!H", self.buf[2:4])[0]
                    need = 4 + n + (-n % 4)
                if len(self.buf) >= need:
                    frame, self.buf = self.buf[:need], self.buf[need:]
                    return frame
            left = end - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not chunk:
                raise ConnectionError("connection closed by the server")
            self.buf += chunk

    def transact(self, tid, data, timeout=2.0, tries=1):
        """Send once (TCP is reliable) and wait for the response with tid."""
        self.sock.sendall(data)
        end = time.monotonic() + timeout * tries
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            raw = self.read_frame(left)
            if raw is None:
                return None
            try:
                r = Resp(raw)
            except (StunError, struct.error):
                continue
            if r.tid == tid:
                return r


TcpClient = TcpTurnClient


def challenge(server, bind_ip="127.0.0.1"):
    """(realm, nonce) from the 401 to an unauthenticated Allocate from bind_ip
    (nonces are bound to the client's address, not its port)."""
    c = TurnClient(server, bind_host=bind_ip)
    try:
        tid, data = message(ALLOCATE, REQUEST, [UDP_TRANSPORT])
        r = c.transact(tid, data)
        if r is None or r.get(NONCE) is None:
            raise RuntimeError("no 401 with a NONCE from %s:%d (%s)" % (server + (fmt(r),)))
        return r.get(REALM), r.get(NONCE)
    finally:
        c.close()


def client(server, nonce=None, family=socket.AF_INET, bind_ip=None):
    """A UDP TurnClient; with nonce=(realm, nonce) it skips the 401 round trip."""
    c = TurnClient(server, family=family, bind_host=bind_ip)
    if nonce:
        c.realm, c.nonce = nonce
    return c


def relayed(r):
    """(ip, port) of the XOR-RELAYED-ADDRESS in an Allocate response, or None."""
    v = r.get(XOR_RELAYED_ADDRESS) if r is not None else None
    return unxor_addr(v, r.tid) if v is not None else None


def send_indication(peer, payload, fingerprint=False):
    """The bytes of a Send indication of payload to peer (ip, port)."""
    tid = os.urandom(12)
    return message(SEND, INDICATION, [(XOR_PEER_ADDRESS, xor_addr(peer[0], peer[1], tid)),
                                      (DATA_ATTR, payload)], tid=tid, fingerprint=fingerprint)[1]


def channel_data(num, payload):
    """A ChannelData message (unpadded, as over UDP)."""
    return struct.pack("!HH", num, len(payload)) + payload


def parse_data_indication(raw):
    """The DATA of a Data indication, or None for anything else."""
    try:
        r = Resp(raw)
    except (StunError, struct.error):
        return None
    if r.method != DATA or r.cls != INDICATION:
        return None
    return r.get(DATA_ATTR)


def data_indication_peer(raw):
    """(peer, payload) of a Data indication, or None for anything else."""
    try:
        r = Resp(raw)
    except (StunError, struct.error):
        return None
    if r.method != DATA or r.cls != INDICATION or r.get(XOR_PEER_ADDRESS) is None:
        return None
    return unxor_addr(r.get(XOR_PEER_ADDRESS), r.tid), r.get(DATA_ATTR)
