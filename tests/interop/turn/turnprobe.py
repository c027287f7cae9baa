#!/usr/bin/env python3
"""One TURN Allocate (then release) over UDP with t-policy.py's own client.

  turnprobe.py PORT USER PASSWORD [--rest-secret SECRET] [--count N]

Prints "ok" and exits 0 when the Allocate succeeded (with --count, N Allocates,
each from a fresh 5-tuple so they spread over the server's workers, all
succeeded); otherwise prints
"error CODE REASON" or "no answer" and exits 1. With --rest-secret, USER is the
REST user: the username becomes "<now+600>:USER" and the password
base64(HMAC-SHA1(secret, username)). Loopback (127.0.0.1) only.
"""
import base64
import hashlib
import hmac
import os
import runpy
import struct
import sys
import time

P = runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "t-policy.py"), run_name="turnprobe")


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    count = int(argv[argv.index("--count") + 1]) if "--count" in argv else 1
    for i in range(count):
        rc = once(argv)
        if rc:
            if count > 1:
                print("(Allocate %d of %d)" % (i + 1, count))
            return rc
    return 0


def once(argv):
    port, user, password = int(argv[0]), argv[1], argv[2]
    if "--rest-secret" in argv:
        secret = argv[argv.index("--rest-secret") + 1]
        user = "%d:%s" % (int(time.time()) + 600, user)
        password = base64.b64encode(hmac.new(secret.encode(), user.encode(), hashlib.sha1).digest()).decode()
    c = P["Client"](("127.0.0.1", port))
    try:
        attrs = [(P["REQUESTED_TRANSPORT"], bytes([17, 0, 0, 0]))]
        r = c.request(P["ALLOCATE"], attrs, user=user, password=password)
        if P["is_success"](r, P["ALLOCATE"]):
            c.request(P["REFRESH"], [(P["LIFETIME"], struct.pack("!I", 0))], user=user, password=password)
            return 0
        if r is None:
            print("no answer")
        elif r.error():
            print("error %d %s" % r.error())
        else:
            print(r.describe())
        return 1
    finally:
        c.close()


if __name__ == "__main__":
    rc = main(sys.argv[1:])
    if rc == 0:
        print("ok")
    sys.exit(rc)
