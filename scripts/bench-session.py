#!/usr/bin/env python3
"""Signs in an account that a benchmark made with `jixiao user add` and does what its first
sign-in asks (a new password of its own, the second factor for finance), then prints a session
token that may do everything the role may:
    scripts/bench-session.py BASE USERNAME PASSWORD"""
import base64, hashlib, hmac, json, struct, sys, time, urllib.request

base, user, password = sys.argv[1:4]


def call(method, path, body=None, token=None):
    req = urllib.request.Request(base + path, method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"content-type": "application/json"})
    if token:
        req.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def totp(secret, at):
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    mac = hmac.new(key, struct.pack(">Q", int(at) // 30), hashlib.sha1).digest()
    o = mac[-1] & 15
    return "%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7FFFFFFF) % 1_000_000)


token = call("POST", "/api/session", {"username": user, "password": password})["token"]
new = password + "-own"
call("POST", "/api/session/password", {"current": password, "new": new}, token)
token = call("POST", "/api/session", {"username": user, "password": new})["token"]
# The second factor (finance, administrators and auditors must have one; others may).
t = call("GET", "/api/session/totp", token=token)
call("POST", "/api/session/totp", {"secret": t["secret"], "code": totp(t["secret"], time.time())}, token)
print(token)
