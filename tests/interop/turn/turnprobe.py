#!/usr/bin/env python3
"""One TURN Allocate (then release) over UDP with the kit's own client
(tests/lib/ternkit).

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
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lib"))
import ternkit as K  # noqa: E402


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
    c = K.TurnClient(("127.0.0.1", port), user=user, password=password)
    try:
        r = c.allocate()
        if K.is_success(r, K.ALLOCATE):
            c.release()
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
