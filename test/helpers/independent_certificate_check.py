#!/usr/bin/env python3
"""An outside verifier of npubench certificates (cert.json), sharing no code with npubench: written from
docs/certification.md and the specs (DSSE v1 protocol, in-toto Statement v1, RFC 7638, c2sp.org
signed-note and tlog-checkpoint, RFC 6962). Ed25519 over DSSE's PAE is checked with Debian's
python3-securesystemslib (SSlibKey.verify_signature; its 0.26 has no DSSE envelope class, so the PAE is
the one line of the DSSE protocol below); the log checkpoint and the inclusion proof with
independent_checkpoint_check.py's functions. Trust comes only from the pinned key set, log key and
issuer URL given here, never from URLs in the document.

usage: independent_certificate_check.py CERT_JSON JWKS_JSON VKEY ISSUER_URL [NOW_ISO] [MAX_STATUS_AGE_MS]
       independent_certificate_check.py --batch  < [{name, bundle, jwks, vkey, issuer, now, maxStatusAgeMs?}, ...]
Prints {"status": valid|revoked|expired|invalid, "why": ...} (a list of them with --batch); exit 0.
"""
import base64
import hashlib
import json
import os
import re
import sys
import uuid
from datetime import datetime, timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from independent_checkpoint_check import CheckFailed, inclusion_root, open_checkpoint, parse_vkey  # noqa: E402
from securesystemslib.exceptions import UnverifiedSignatureError, VerificationError  # noqa: E402
from securesystemslib.signer import Signature, SSlibKey  # noqa: E402

BUNDLE_FORMAT = "npubench.certificate-bundle/v2"
CERTIFICATE_V3 = "https://npubench.dev/attestations/certificate/v3"
CERTIFICATE_V2 = "https://npubench.dev/attestations/certificate/v2"
CERTIFICATE_V1 = "https://npubench.dev/attestations/certificate/v1"
STATUS_TYPE = "https://npubench.dev/attestations/certificate-status/v1"
IN_TOTO_PAYLOAD = "application/vnd.in-toto+json"
IN_TOTO_STATEMENT = "https://in-toto.io/Statement/v1"
BUNDLE_MEMBERS = {"format", "certificateId", "envelope", "issuance", "revocation", "status", "verificationUrl", "jwksUrl"}
REQUIRED_MEMBERS = BUNDLE_MEMBERS - {"revocation", "status"}
SKEW = timedelta(minutes=5)


class Invalid(Exception):
    pass


def when(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text):
    """DSSE's base64, standard or URL-safe."""
    return base64.b64decode(text.replace("-", "+").replace("_", "/") + "=" * (-len(text) % 4), validate=True)


def trusted_keys(jwks):
    """kid -> (securesystemslib key, lifetime); a kid must be the RFC 7638 thumbprint of its key."""
    keys = {}
    for jwk in jwks["keys"]:
        if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
            raise CheckFailed("not an Ed25519 JWK")
        raw = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
        thumbprint = b64url(hashlib.sha256(('{"crv":"Ed25519","kty":"OKP","x":"%s"}' % jwk["x"]).encode()).digest())
        if len(raw) != 32 or jwk.get("kid") != thumbprint:
            raise CheckFailed("JWK kid is not its thumbprint")
        # securesystemslib key ids are hex: the thumbprint's bytes.
        key = SSlibKey(unb64(thumbprint).hex(), "ed25519", "ed25519", {"public": raw.hex()})
        keys[thumbprint] = (key, {m: when(jwk[m]) for m in ("notBefore", "notAfter", "compromisedAt") if m in jwk})
    return keys


def pae(payload_type, payload):
    """DSSE v1 pre-authentication encoding."""
    t = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def open_envelope(envelope, keys):
    """(signing kid, payload bytes, statement) of a DSSE envelope one trusted key signed."""
    if envelope.get("payloadType") != IN_TOTO_PAYLOAD:
        raise Invalid("wrong payload type")
    payload = unb64(envelope["payload"])
    message = pae(envelope["payloadType"], payload)
    for sig in envelope["signatures"][:16]:
        if sig.get("keyid") not in keys:
            continue
        try:
            key = keys[sig["keyid"]][0]
            key.verify_signature(Signature(key.keyid, unb64(sig["sig"]).hex()), message)
        except (UnverifiedSignatureError, VerificationError):
            continue
        statement = json.loads(payload)
        subjects = statement.get("subject")
        if statement.get("_type") != IN_TOTO_STATEMENT or not isinstance(statement.get("predicate"), dict) or not subjects:
            raise Invalid("not an in-toto statement")
        if not all(re.fullmatch("[0-9a-f]{64}", str(s.get("digest", {}).get("sha256"))) for s in subjects):
            raise Invalid("an in-toto subject without a sha256 digest")
        return sig["keyid"], payload, statement
    raise Invalid("no signature by a trusted key")


def check_key_window(lifetime, signed_at):
    if "compromisedAt" in lifetime and signed_at >= lifetime["compromisedAt"]:
        raise Invalid("signed at or after its key's compromise")
    if ("notBefore" in lifetime and signed_at < lifetime["notBefore"]) or ("notAfter" in lifetime and signed_at >= lifetime["notAfter"]):
        raise Invalid("signed outside its key's window")


def normalise_url(url):
    scheme, rest = url.split("://", 1)
    host, _, path = rest.partition("/")
    return f"{scheme.lower()}://{host.lower()}" + ("/" + path if path else "").rstrip("/")


def logged_entry(proof_bundle, log_key):
    """The log entry (parsed) of a proof that leads to the root of a checkpoint the pinned log key signed."""
    if set(proof_bundle) != {"inclusionProof", "checkpoint"}:
        raise Invalid("not a log proof")
    proof = proof_bundle["inclusionProof"]
    _, size, root = open_checkpoint(proof_bundle["checkpoint"], *log_key)
    if proof["treeSize"] != size:
        raise Invalid("proof is for another tree size")
    leaf = base64.b64decode(proof["leaf"], validate=True)
    if inclusion_root(leaf, proof["index"], size, [base64.b64decode(h, validate=True) for h in proof["hashes"]]) != root:
        raise Invalid("the proof does not lead to the checkpoint's root")
    return json.loads(leaf)


# ---- the profile rules, re-evaluated from the facts a v3 statement carries (docs/certification.md) ----
# Only pass or fail per rule, written from the rule definitions in the docs; the wording of the lines is
# the service's. A verifier that trusted the signed "passed" flags would accept a lab's PASS over failing facts.
LATENCY_FIELDS = {50: "p50Ns", 90: "p90Ns", 95: "p95Ns", 97: "p97Ns", 99: "p99Ns", 99.9: "p999Ns"}
MAX_THERMAL_SLOWDOWN_PCT = 10
MIB = 1024 * 1024


def rule_passes(name, rule, f):
    lat = f["latency"]
    runs = lat["runs"]
    if name == "scenario":
        return lat["scenario"] == rule
    if name == "minQueryCount":
        return min(r["queryCount"] for r in runs) >= rule
    if name == "minDurationMs":
        return min(r["durationNs"] for r in runs) >= rule * 1e6
    if name == "requireValidResult":
        return lat["result"] == "VALID"
    if name == "requireEarlyStopping":
        return lat["earlyStopping"]["satisfied"]
    if name == "latency":
        if rule["percentile"] == "target":
            estimate = lat["earlyStopping"]["estimateNs"]
            value = lat["targetLatencyNs"] if estimate is None else estimate
        else:
            value = lat["percentiles"][LATENCY_FIELDS[rule["percentile"]]]
        return value <= rule["maxMs"] * 1e6
    if name == "minThroughputQps":
        return lat["qps"] >= rule
    if name == "maxPeakRssMb":
        return f["peakRssBytes"] is not None and f["peakRssBytes"] <= rule * MIB
    if name == "noThermalDrift":
        return not lat["thermalDriftDetected"] and max(r["slowdownPct"] for r in runs) <= MAX_THERMAL_SLOWDOWN_PCT
    if name == "sustained":
        return min(r["durationNs"] for r in runs) >= rule["minDurationMs"] * 1e6 and max(r["slowdownPct"] for r in runs) <= rule["maxSlowdownPct"]
    if name == "llm":
        llm = f["llm"]
        if llm is None:
            return False
        field = {50: "p50Ns", 90: "p90Ns", 99: "p99Ns"}[rule["percentile"]]
        ok = True
        if "maxTtftMs" in rule:
            ok &= llm["ttft"][field] <= rule["maxTtftMs"] * 1e6
        if "maxTpotMs" in rule:
            ok &= llm["tpot"] is not None and llm["tpot"][field] <= rule["maxTpotMs"] * 1e6
        if "minOutputTokensPerSecond" in rule:
            ok &= llm["outputTokensPerSecond"] >= rule["minOutputTokensPerSecond"]
        return ok
    if name == "power":
        power = f["power"]
        if not power["measured"]:
            return False
        ok = power["result"] == "VALID"
        if "meterClass" in rule:
            ok &= power["meterClass"] == rule["meterClass"]
        if "maxUncertaintyPct" in rule:
            ok &= power["uncertaintyPct"] is not None and power["uncertaintyPct"] <= rule["maxUncertaintyPct"]
        if "maxEnergyPerQueryMj" in rule:
            ok &= power["energyPerQueryMj"] <= rule["maxEnergyPerQueryMj"]
        if "maxEnergyPerTokenMj" in rule:
            # Over the LLM run's own window: measured, VALID, from the rule's meter class.
            energy = (f["llm"] or {}).get("energy")
            ok &= bool(energy) and energy["measured"] and energy["result"] == "VALID" and energy["energyPerTokenMj"] <= rule["maxEnergyPerTokenMj"]
            if "meterClass" in rule and ok:
                ok &= energy["meterClass"] == rule["meterClass"]
        return ok
    if name == "accuracy":
        acc = f["accuracy"]
        if acc is None or acc["reference"] == 0:
            return False
        ok = acc["candidate"] / acc["reference"] >= rule["minRelativeToReference"]
        if "minSamples" in rule:
            ok &= acc["samples"] >= rule["minSamples"]
        return ok
    if name == "fidelity":
        fid = f["fidelity"]
        if fid is None:
            return False
        outputs = fid["outputs"]
        ok = True
        for bound, values in (
            ("minCosine", [o["minCosine"] for o in outputs]),
            ("minTop1Agreement", [o["top1Agreement"] for o in outputs if o["top1Agreement"] is not None]),
            ("minTop5Agreement", [o["top5Agreement"] for o in outputs if o["top5Agreement"] is not None]),
            ("minAnswerAgreement", [fid["answerAgreement"]["share"]] if fid["answerAgreement"] else []),
            ("minTokenAgreement", [fid["tokenAgreement"]["share"]] if fid.get("tokenAgreement") else []),
        ):
            if bound in rule:
                ok &= bool(values) and min(values) >= rule[bound]
        if "minSamples" in rule:
            counts = [o["samples"] for o in outputs] + ([fid["answerAgreement"]["questions"]] if fid["answerAgreement"] else [])
            ok &= (min(counts) if counts else 0) >= rule["minSamples"]
        return ok
    if name == "acceleratorShare":
        ops = f["operators"]
        if ops is None:
            return False
        row = next((p for p in ops["providers"] if p["provider"] == rule["provider"]), None)
        ok = True
        if "minNodeShare" in rule:
            ok &= (row["nodeShare"] if row else 0) >= rule["minNodeShare"]
        if "minTimeShare" in rule:
            ok &= (row["timeShare"] if row else 0) >= rule["minTimeShare"]
        return ok
    raise Invalid(f"unknown rule {name}")


def check_rules(cert):
    """The signed verdict and lines must be what the rules give over the facts."""
    rules, facts = cert["ruleSet"]["rules"], cert["facts"]
    if facts.get("format") != "npubench.rule-facts/v1":
        raise Invalid("facts of an unknown format")
    outcome = {name: rule_passes(name, rule, facts) for name, rule in rules.items()}
    signed = {line["rule"]: line["passed"] for line in cert["evaluation"]}
    if not outcome or not all(outcome.values()):
        failed = ", ".join(n for n, ok in outcome.items() if not ok)
        raise Invalid(f"the rules give FAIL over the facts ({failed}), the certificate says PASS")
    if signed != outcome:
        raise Invalid("the signed evaluation lines are not the rules' outcome")


def verify(bundle, jwks, vkey, issuer, now, max_status_age_ms=None):
    if not isinstance(bundle, dict) or not REQUIRED_MEMBERS <= set(bundle) <= BUNDLE_MEMBERS or bundle["format"] != BUNDLE_FORMAT:
        raise Invalid("not a v2 certificate bundle")
    cert_id = bundle["certificateId"]
    uuid.UUID(cert_id)
    keys = trusted_keys(jwks)

    kid, payload, statement = open_envelope(bundle["envelope"], keys)
    legacy = statement["predicateType"] == CERTIFICATE_V1
    # v3 adds the profile's rules and the facts they read, which this verifier re-evaluates (check_rules).
    if statement["predicateType"] not in (CERTIFICATE_V1, CERTIFICATE_V2, CERTIFICATE_V3):
        raise Invalid("not a certificate statement")
    cert = statement["predicate"]
    if cert.get("certificateId") != cert_id or cert.get("verdict") != "PASS":
        raise Invalid("the signed statement is not this certificate")
    issued_at = when(cert["issuedAt"])
    check_key_window(keys[kid][1], issued_at)
    if not legacy:
        if not {"issuer", "certifier", "statusMaxAgeDays"} <= set(cert):
            raise Invalid("a v2 statement names its issuer, certifier and status age")
        if statement["predicateType"] == CERTIFICATE_V3:
            if not {"ruleSet", "facts"} <= set(cert):
                raise Invalid("a v3 statement carries its rules and facts")
            # The digest over RFC 8785: for rules (strings, integers, short decimals) sorted keys and no
            # spaces give the same bytes.
            canonical = json.dumps(cert["ruleSet"]["rules"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            if hashlib.sha256(canonical.encode("utf-8")).hexdigest() != cert["ruleSet"]["digest"]:
                raise Invalid("the embedded rules do not hash to their digest")
            check_rules(cert)
        if cert["issuer"]["keyId"] != kid:
            raise Invalid("the issuer key is not the signing key")
        if normalise_url(cert["issuer"]["url"]) != normalise_url(issuer):
            raise Invalid("issued by another issuer than the trusted one")
    expired = when(cert["expiresAt"]) <= now

    if vkey is None:
        raise Invalid("no pinned log key")
    log_key = parse_vkey(vkey)
    digest = hashlib.sha256(payload).hexdigest()
    entry = logged_entry(bundle["issuance"], log_key)
    if entry.get("kind") != "certificate.issued" or entry.get("certificateId") != cert_id or entry.get("entry", {}).get("statementDigest") != digest:
        raise Invalid("the logged entry is not this certificate")

    status_revoked = False
    if "status" in bundle:
        skid, _, status_statement = open_envelope(bundle["status"], keys)
        status = status_statement["predicate"]
        if status_statement["predicateType"] != STATUS_TYPE or "statusAt" not in status:
            raise Invalid("not a status statement")
        if status.get("certificateId") != cert_id or status.get("certificateStatementDigest") != digest:
            raise Invalid("a status of another certificate")
        status_at = when(status["statusAt"])
        check_key_window(keys[skid][1], status_at)
        if status_at > now + SKEW:
            raise Invalid("status from the future")
        if status["status"] == "revoked":
            status_revoked = True
        else:
            max_age = timedelta(milliseconds=max_status_age_ms) if max_status_age_ms is not None else timedelta(days=30 if legacy else cert["statusMaxAgeDays"])
            if now - status_at > max_age and not expired:
                raise Invalid("status older than the maximum age")
    elif not legacy:
        raise Invalid("no signed status")

    if "revocation" in bundle:
        revoked = logged_entry(bundle["revocation"], log_key)
        if revoked.get("kind") != "certificate.revoked" or revoked.get("certificateId") != cert_id:
            raise Invalid("a revocation of another certificate")
        return "revoked", "revocation logged"
    if status_revoked:
        return "revoked", "the signed status says revoked"
    return ("expired", "past its expiry") if expired else ("valid", "all checks passed")


def run(case):
    try:
        now = when(case["now"]) if case.get("now") else datetime.now().astimezone()
        status, why = verify(case["bundle"], case["jwks"], case.get("vkey"), case["issuer"], now, case.get("maxStatusAgeMs"))
    except (Invalid, CheckFailed) as err:
        status, why = "invalid", str(err)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as err:
        # A member missing or of the wrong shape: not a certificate this verifier can accept.
        status, why = "invalid", f"malformed: {type(err).__name__}: {err}"
    return {"name": case.get("name"), "status": status, "why": why}


if __name__ == "__main__":
    if sys.argv[1:] == ["--batch"]:
        print(json.dumps([run(c) for c in json.load(sys.stdin)]))
    else:
        cert_file, jwks_file, vkey, issuer = sys.argv[1:5]
        with open(cert_file) as f, open(jwks_file) as g:
            case = {"bundle": json.load(f), "jwks": json.load(g), "vkey": vkey, "issuer": issuer}
        if len(sys.argv) > 5:
            case["now"] = sys.argv[5]
        if len(sys.argv) > 6:
            case["maxStatusAgeMs"] = int(sys.argv[6])
        print(json.dumps(run(case)))
