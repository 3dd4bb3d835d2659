#!/usr/bin/env python3
"""An outside check of the transparency log, sharing no code with npubench: fetches the log key, the
latest checkpoint and one inclusion proof from a live API and verifies them from the specs alone
(c2sp.org/signed-note, c2sp.org/tlog-checkpoint, RFC 6962 / RFC 9162 section 2.1.3.2), with Python's
hashlib and the cryptography package's Ed25519. Prints one JSON line; exits 1 on any failure.

usage: independent_checkpoint_check.py BASE_URL LEAF_INDEX
"""
import base64
import hashlib
import json
import sys
import urllib.request

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def get(url):
    with urllib.request.urlopen(url, timeout=30) as res:
        return res.read()


def fail(why):
    print(json.dumps({"ok": False, "why": why}))
    sys.exit(1)


base, index = sys.argv[1], int(sys.argv[2])
vkey = json.loads(get(base + "/v1/transparency/log-key"))["vkey"]
# <name>+<hex id>+<base64(0x01 || key)>; the base64 may itself hold '+'.
name, key_id_hex, material_b64 = vkey.split("+", 2)
material = base64.b64decode(material_b64, validate=True)
if len(material) != 33 or material[0] != 0x01:
    fail("not an Ed25519 note key")
raw = material[1:]
key_id = hashlib.sha256(name.encode() + b"\n" + b"\x01" + raw).digest()[:4]
if key_id.hex() != key_id_hex:
    fail("vkey id is not SHA-256(name || 0x0A || 0x01 || key)[:4]")

note = get(base + "/v1/transparency/checkpoint").decode("utf-8")
text, _, sigs = note.rpartition("\n\n")
text += "\n"
verified = False
for line in sigs.rstrip("\n").split("\n"):
    prefix = "\u2014 " + name + " "
    if not line.startswith(prefix):
        continue
    blob = base64.b64decode(line[len(prefix):], validate=True)
    if blob[:4] != key_id:
        continue
    try:
        Ed25519PublicKey.from_public_bytes(raw).verify(blob[4:], text.encode())
        verified = True
    except InvalidSignature:
        fail("checkpoint signature does not verify")
if not verified:
    fail("no signature by the log key")

origin, size_line, root_b64 = text.rstrip("\n").split("\n")
if origin != name:
    fail("checkpoint origin is not the log key's name")
size, root = int(size_line), base64.b64decode(root_b64, validate=True)

proof = json.loads(get(f"{base}/v1/transparency/proofs/inclusion?index={index}&treeSize={size}"))
leaf = base64.b64decode(proof["leaf"], validate=True)
r = hashlib.sha256(b"\x00" + leaf).digest()
fn, sn = index, size - 1
for p in (base64.b64decode(h, validate=True) for h in proof["hashes"]):
    if sn == 0:
        fail("proof too long")
    if fn % 2 == 1 or fn == sn:
        r = hashlib.sha256(b"\x01" + p + r).digest()
        while fn % 2 == 0 and fn != 0:
            fn, sn = fn // 2, sn // 2
    else:
        r = hashlib.sha256(b"\x01" + r + p).digest()
    fn, sn = fn // 2, sn // 2
if sn != 0 or r != root:
    fail("inclusion proof does not lead to the checkpoint's root")
print(json.dumps({"ok": True, "origin": origin, "treeSize": size, "index": index, "leaf": proof["leaf"]}))
