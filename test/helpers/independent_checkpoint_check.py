#!/usr/bin/env python3
"""An outside check of the transparency log, sharing no code with npubench: fetches the log key, the
latest checkpoint and one inclusion proof from a live API and verifies them from the specs alone
(c2sp.org/signed-note, c2sp.org/tlog-checkpoint, RFC 6962 / RFC 9162 section 2.1.3.2), with Python's
hashlib and the cryptography package's Ed25519. Prints one JSON line; exits 1 on any failure.
independent_certificate_check.py imports the functions below for a certificate's log proofs.

usage: independent_checkpoint_check.py BASE_URL LEAF_INDEX
"""
import base64
import hashlib
import json
import sys
import urllib.request

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class CheckFailed(Exception):
    pass


def parse_vkey(vkey):
    """<name>+<hex id>+<base64(0x01 || key)> -> (name, key id, raw key); the base64 may itself hold '+'."""
    name, key_id_hex, material_b64 = vkey.strip().split("+", 2)
    material = base64.b64decode(material_b64, validate=True)
    if len(material) != 33 or material[0] != 0x01:
        raise CheckFailed("not an Ed25519 note key")
    raw = material[1:]
    key_id = hashlib.sha256(name.encode() + b"\n" + b"\x01" + raw).digest()[:4]
    if key_id.hex() != key_id_hex:
        raise CheckFailed("vkey id is not SHA-256(name || 0x0A || 0x01 || key)[:4]")
    return name, key_id, raw


def open_checkpoint(note, name, key_id, raw):
    """The checkpoint's (origin, size, root) once the log key's signature verifies and the origin is its name."""
    text, sep, sigs = note.rpartition("\n\n")
    if not sep:
        raise CheckFailed("not a signed note")
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
            raise CheckFailed("checkpoint signature does not verify")
    if not verified:
        raise CheckFailed("no signature by the log key")
    lines = text.rstrip("\n").split("\n")
    if len(lines) != 3:
        raise CheckFailed("not a checkpoint (origin, size, root hash)")
    origin, size_line, root_b64 = lines
    if origin != name:
        raise CheckFailed("checkpoint origin is not the log key's name")
    root = base64.b64decode(root_b64, validate=True)
    if len(root) != 32:
        raise CheckFailed("checkpoint root is not a SHA-256 hash")
    return origin, int(size_line), root


def inclusion_root(leaf, index, size, hashes):
    """RFC 9162 2.1.3.2: the root the proof leads to from `leaf` (the entry bytes, hashed here)."""
    if not 0 <= index < size:
        raise CheckFailed("index outside the tree")
    r = hashlib.sha256(b"\x00" + leaf).digest()
    fn, sn = index, size - 1
    for p in hashes:
        if sn == 0:
            raise CheckFailed("proof too long")
        if fn % 2 == 1 or fn == sn:
            r = hashlib.sha256(b"\x01" + p + r).digest()
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn // 2, sn // 2
        else:
            r = hashlib.sha256(b"\x01" + r + p).digest()
        fn, sn = fn // 2, sn // 2
    if sn != 0:
        raise CheckFailed("proof too short")
    return r


def get(url):
    with urllib.request.urlopen(url, timeout=30) as res:
        return res.read()


def main(base, index):
    name, key_id, raw = parse_vkey(json.loads(get(base + "/v1/transparency/log-key"))["vkey"])
    origin, size, root = open_checkpoint(get(base + "/v1/transparency/checkpoint").decode("utf-8"), name, key_id, raw)
    proof = json.loads(get(f"{base}/v1/transparency/proofs/inclusion?index={index}&treeSize={size}"))
    leaf = base64.b64decode(proof["leaf"], validate=True)
    if inclusion_root(leaf, index, size, [base64.b64decode(h, validate=True) for h in proof["hashes"]]) != root:
        raise CheckFailed("inclusion proof does not lead to the checkpoint's root")
    return {"ok": True, "origin": origin, "treeSize": size, "index": index, "leaf": proof["leaf"]}


if __name__ == "__main__":
    try:
        print(json.dumps(main(sys.argv[1], int(sys.argv[2]))))
    except CheckFailed as err:
        print(json.dumps({"ok": False, "why": str(err)}))
        sys.exit(1)
