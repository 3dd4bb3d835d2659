#!/usr/bin/env python3
"""Fetch an npubench report and recompute its latency percentiles from the raw samples.

Standard library only, so it runs anywhere Python 3.8+ does:

    NPUBENCH_API_URL=http://127.0.0.1:3000 NPUBENCH_API_KEY=npb_... python3 check_report.py <report-id>

It prints the report's figures next to the ones recomputed here and exits 1 if any differs. A client
generated from /openapi.json (see docs/python-client.md) works the same way; this one shows the
bare HTTP so nothing is hidden.
"""
import json
import math
import os
import sys
import urllib.request

API = os.environ.get("NPUBENCH_API_URL", "http://127.0.0.1:3000").rstrip("/")
KEY = os.environ.get("NPUBENCH_API_KEY")


def get(path):
    request = urllib.request.Request(API + path)
    if KEY:
        request.add_header("Authorization", "Bearer " + KEY)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def loadgen_percentile(latencies, percent):
    """MLPerf LoadGen's rule: sorted[floor(n * p)], clamped to the last sample."""
    ordered = sorted(latencies)
    return ordered[min(math.floor(len(ordered) * percent / 100), len(ordered) - 1)]


def query_latency(scenario, query):
    """A query's latency, in ns, as LoadGen counts it for the scenario (docs/report-format.md)."""
    if scenario == "server":
        scheduled_ns, _start_ns, end_ns = query  # from the scheduled time, so a late issue counts
        return end_ns - scheduled_ns
    start_ns, end_ns = query
    if scenario == "offline":
        # One query holds every sample and is issued at 0: each sample's latency is its end time. Its own
        # end - start is only its service time (what the per-run p50 and drift use).
        return end_ns
    return end_ns - start_ns  # single-stream; multi-stream, where end is the slowest sample's end


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: check_report.py <report-id>")
    report_id = sys.argv[1]
    report = get("/v1/reports/" + report_id)
    raw = get("/v1/reports/%s/raw-samples" % report_id)
    latencies = [query_latency(raw["scenario"], q) for run in raw["runs"] for q in run["queries"]]
    summary = report["summary"]
    print("report %s: %s on %s, %d queries" % (report_id, summary["scenario"], report["device"]["slug"], summary["queryCount"]))
    mismatches = 0 if summary["queryCount"] == len(latencies) else 1
    if mismatches:
        print("  queries stored %d, raw samples %d  MISMATCH" % (summary["queryCount"], len(latencies)))
    for percent in (50, 90, 99):
        stored = summary["latency"]["p%dNs" % percent]
        recomputed = loadgen_percentile(latencies, percent)
        ok = stored == recomputed
        mismatches += 0 if ok else 1
        print("  p%-3d stored %10d ns  recomputed %10d ns  %s" % (percent, stored, recomputed, "ok" if ok else "MISMATCH"))
    sys.exit(1 if mismatches else 0)


if __name__ == "__main__":
    main()
