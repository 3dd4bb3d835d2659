// How a nanosecond figure is written for people — the certificate PDF, profile verdicts, the CLI's
// summary table, the dashboard — so one latency reads the same everywhere it is shown.
export const formatNsAsMs = (ns: number, digits = 3) => `${(ns / 1e6).toFixed(digits)} ms`;
