#!/usr/bin/env python3
"""notify.py SOCKET LOG - stand in for systemd's notification socket.

Binds a unix datagram socket at SOCKET (mode 0666, so that a ternd running
as the unit's user can send to it, as it can to systemd's), and appends each
assignment of every datagram to LOG as one line "<sender pid> VAR=value".
The sender's pid comes from the kernel (SO_PASSCRED), which is what systemd
compares with the main pid under NotifyAccess=main. Runs until SIGTERM.
"""

import os
import signal
import socket
import struct
import sys


def main():
    path, log = sys.argv[1], sys.argv[2]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    if os.path.exists(path):
        os.unlink(path)
    sock.bind(path)
    os.chmod(path, 0o666)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    ucred = struct.calcsize("3i")
    with open(log, "a", buffering=1) as out:
        while True:
            data, anc, _, _ = sock.recvmsg(
                4096, socket.CMSG_SPACE(ucred) + socket.CMSG_SPACE(16 * 4))
            pid = -1
            for level, typ, val in anc:
                if level != socket.SOL_SOCKET:
                    continue
                if typ == socket.SCM_CREDENTIALS:
                    pid = struct.unpack("3i", val[:ucred])[0]
                elif typ == socket.SCM_RIGHTS:  # FDSTORE=1: not ours to keep
                    for i in range(len(val) // 4):
                        os.close(struct.unpack_from("i", val, 4 * i)[0])
            for line in data.decode("utf-8", "replace").splitlines():
                if line:
                    out.write("%d %s\n" % (pid, line))


if __name__ == "__main__":
    main()
