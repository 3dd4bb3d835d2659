// Worker-thread body of the power sampler. It runs on its own event loop so a busy inference loop on the
// main thread cannot delay a read or a timestamp. Deliberately self-contained (node builtins only): it is
// loaded as a file by power-sampler.ts, from the .ts source through tsx or from the compiled .js.
//
// Two sources: 'files' reads a set of sysfs files every intervalMs; 'command' runs a vendor tool and
// timestamps each stdout line as it arrives. Either way every sample carries process.hrtime.bigint(),
// which is CLOCK_MONOTONIC and the same clock in every thread of the process.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hrtime } from 'node:process';
import { createInterface } from 'node:readline';
import { parentPort, workerData } from 'node:worker_threads';

export type SamplerSource =
  | { kind: 'files'; paths: string[] }
  | { kind: 'command'; command: string; args: string[]; pattern: string };

export interface SamplerWorkerData {
  source: SamplerSource;
  intervalMs: number;
}

/** One read of every file (NaN where a read failed), or one parsed command line. */
export interface RawTick {
  tNs: number;
  values: number[];
}

export interface RawWindow {
  ticks: RawTick[];
  /** Distinct failures seen during the window, capped so a failing file cannot flood memory. */
  errors: string[];
}

export type SamplerRequest = { type: 'start' } | { type: 'stop' } | { type: 'close' };
export type SamplerResponse = { type: 'started' } | { type: 'stopped'; window: RawWindow } | { type: 'closed' };

const MAX_ERRORS = 5;
const STDERR_TAIL_CHARS = 2000;
const KILL_GRACE_MS = 1000;

const port = parentPort;
if (port === null) throw new Error('power-sampler-worker must run in a worker thread');
const { source, intervalMs } = workerData as SamplerWorkerData;

let ticks: RawTick[] = [];
let errors: string[] = [];
let recording = false;

function noteError(message: string): void {
  if (errors.length < MAX_ERRORS && !errors.includes(message)) errors.push(message);
}

function nowNs(): bigint {
  return hrtime.bigint();
}

// ---- files ----

let timer: NodeJS.Timeout | null = null;
let windowStartNs = 0n;
let tickIndex = 0;

function readValue(path: string): number {
  try {
    const value = Number(readFileSync(path, 'latin1').trim());
    if (!Number.isFinite(value)) throw new Error('not a number');
    return value;
  } catch (err) {
    noteError(`read ${path}: ${err instanceof Error ? err.message : String(err)}`);
    return NaN;
  }
}

function readFiles(paths: string[]): void {
  const before = nowNs();
  const values = paths.map(readValue);
  // The midpoint of the batch is the best single time for reads that took a few microseconds each.
  ticks.push({ tNs: Number((before + nowNs()) / 2n), values });
}

// Targets are absolute (start + k·interval) so timer jitter does not accumulate into drift; targets
// missed while the OS starved this thread are skipped rather than read in a burst.
function scheduleNextRead(paths: string[]): void {
  const intervalNs = BigInt(intervalMs) * 1_000_000n;
  const elapsedNs = nowNs() - windowStartNs;
  tickIndex = Math.max(tickIndex + 1, Number(elapsedNs / intervalNs) + 1);
  const delayMs = Number(windowStartNs + BigInt(tickIndex) * intervalNs - nowNs()) / 1e6;
  timer = setTimeout(() => {
    readFiles(paths);
    scheduleNextRead(paths);
  }, Math.max(0, delayMs));
}

// ---- command ----

let child: ChildProcess | null = null;
let stderrTail = '';

function startCommand(spec: Extract<SamplerSource, { kind: 'command' }>): void {
  const pattern = new RegExp(spec.pattern);
  stderrTail = '';
  // Its own process group, so stop kills a shell wrapper's children too.
  const proc = spawn(spec.command, spec.args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child = proc;
  createInterface({ input: proc.stdout }).on('line', (line) => {
    const tNs = Number(nowNs());
    if (!recording) return;
    const match = pattern.exec(line);
    const watts = Number(match?.groups?.watts ?? match?.[1]);
    if (match === null || !Number.isFinite(watts)) {
      noteError(`unparsed line from ${spec.command}: ${JSON.stringify(line.slice(0, 200))}`);
      return;
    }
    ticks.push({ tNs, values: [watts] });
  });
  proc.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
  });
  proc.on('error', (err) => noteError(`${spec.command}: ${err.message}`));
  proc.on('exit', (code, signal) => {
    if (child === proc) child = null;
    const detail = stderrTail.trim() === '' ? '' : `: ${stderrTail.trim()}`;
    noteError(`${spec.command} exited (${signal ?? `code ${code}`})${detail}`);
  });
}

async function killCommand(): Promise<void> {
  const proc = child;
  if (proc === null || proc.pid === undefined) return;
  child = null;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-proc.pid!, signal);
    } catch {
      // The group is already gone.
    }
  };
  killGroup('SIGTERM');
  const grace = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
  await exited;
  clearTimeout(grace);
}

// ---- protocol ----

function reply(message: SamplerResponse): void {
  port!.postMessage(message);
}

port.on('message', (request: SamplerRequest) => {
  switch (request.type) {
    case 'start':
      ticks = [];
      errors = [];
      recording = true;
      if (source.kind === 'files') {
        windowStartNs = nowNs();
        tickIndex = 0;
        readFiles(source.paths);
        scheduleNextRead(source.paths);
      } else if (child === null) {
        startCommand(source);
      }
      reply({ type: 'started' });
      return;
    case 'stop':
      recording = false;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      if (source.kind === 'files') readFiles(source.paths);
      reply({ type: 'stopped', window: { ticks, errors } });
      ticks = [];
      return;
    case 'close':
      recording = false;
      if (timer !== null) clearTimeout(timer);
      void killCommand().then(() => reply({ type: 'closed' }));
      return;
  }
});
