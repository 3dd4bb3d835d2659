// A line-based TCP client for SPEC PTDaemon, speaking the commands MLPerf Power's server
// (mlcommons/power-dev, ptd_client_server/lib/server.py) sends: Hello, Identify, RR, SR, Go, Stop,
// RL,*,* / RL / DC-RL, Uncertainty and Watts. Lines end in CRLF both ways (power-dev's Proto._EOL);
// we accept a bare LF on input too. One command is in flight at a time: PTDaemon answers in order and
// has no request ids, so commands are queued.
//
// Failure classes: `power.ptd_unreachable` when there is no connection, it drops, or PTDaemon stops
// answering (the socket is then closed, since a late answer would desynchronise every later one);
// `power.ptd_protocol_error` when PTDaemon answers something other than what the command expects,
// including its own refusals ("Error: ...", "Invalid number of parameters", "Unknown command").

import net from 'node:net';
import { HarnessError } from '../../lib/errors.js';

const EOL = '\r\n';
/** A reply line longer than this is not PTDaemon talking. */
const MAX_LINE_CHARS = 64 * 1024;

const PTD_GREETING = 'Hello, PTDaemon here!';

export interface PtdaemonEndpoint {
  host: string;
  port: number;
  /** Limit for connecting and for each reply line. */
  timeoutMs: number;
}

export type PtdRange = 'Auto' | number;

/** PTDaemon's `Identify` answer: driver+IDN, interval, capability flags, `version=...`, `OS=...`, ... */
export interface PtdIdentity {
  raw: string;
  /** First field, e.g. "YokogawaWT310" (what MLPerf's checker compares with its supported list). */
  model: string;
  /** From `version=1.10.0-<crc>-<date>`: "1.10.0"; null when absent. */
  version: string | null;
}

/** `RR` → `Ranges,{amps auto},{amps range},{volts auto},{volts range}`; auto: 1 on, 0 off, -1 unknown. */
export interface PtdRanges {
  ampsAuto: number;
  amps: number;
  voltsAuto: number;
  volts: number;
}

/** One `RL` line: `Time,MM-DD-YYYY HH:MM:SS.mmm,Watts,w,Volts,v,Amps,a,PF,pf` (multichannel: more groups). */
export interface PtdLogSample {
  /** PTDaemon host wall time read as if UTC, ms: only differences between samples are used. */
  ptdTimeMs: number;
  /** Average over the interval ending at `ptdTimeMs`; negative values are PTDaemon's "invalid" marker. */
  watts: number;
  volts: number;
  amps: number;
  /** null where the meter reports no power factor (DC meters). */
  pf: number | null;
}

/** `Uncertainty` → `Uncertainty,avg,min,max,total,invalid,valid,unknown`, uncertainties as fractions. */
export interface PtdUncertainty {
  /** Average uncertainty of the measurement's samples, percent; null when PTDaemon reports none (< 0). */
  avgPct: number | null;
  minPct: number | null;
  maxPct: number | null;
  totalSamples: number;
  /** Samples above PTDaemon's uncertainty limit (1% for SPEC-accepted setups). */
  invalidSamples: number;
  validSamples: number;
  unknownSamples: number;
}

/** `Watts` → `Watts,avg,min,max,samples,errors,valid`: PTDaemon's own aggregate of the measurement. */
export interface PtdWattsSummary {
  avg: number;
  min: number;
  max: number;
  samples: number;
  errors: number;
  validSamples: number;
}

/**
 * Messages never say where PTDaemon listens: they reach job errors and the power section of reports,
 * which vendors and the public read, and PTDaemon's port controls the lab's analyzer without any
 * authentication. The lab finds the host and port in its view of the device. Node's own socket
 * messages name the address, so only their code is kept.
 */
const socketErrorCode = (err: Error) => (err as NodeJS.ErrnoException).code ?? 'socket error';

function ptdUnreachable(message: string, cause?: unknown): HarnessError {
  return new HarnessError('power.ptd_unreachable', message, { cause });
}

function ptdProtocolError(message: string): HarnessError {
  return new HarnessError('power.ptd_protocol_error', message);
}

export class PtdaemonClient {
  private readonly socket: net.Socket;
  private readonly endpoint: PtdaemonEndpoint;
  private partial = '';
  private readonly lines: string[] = [];
  private waiter: { resolve: (line: string) => void; reject: (err: HarnessError) => void } | null = null;
  private failure: HarnessError | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(socket: net.Socket, endpoint: PtdaemonEndpoint) {
    this.socket = socket;
    this.endpoint = endpoint;
    socket.setEncoding('latin1');
    socket.setNoDelay(true);
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (err) => this.fail(ptdUnreachable(`PTDaemon connection failed: ${socketErrorCode(err)}`, err)));
    socket.on('close', () => this.fail(ptdUnreachable('PTDaemon closed the connection')));
  }

  static connect(endpoint: PtdaemonEndpoint): Promise<PtdaemonClient> {
    return new Promise((resolve, reject) => {
      const socket = net.createConnection({ host: endpoint.host, port: endpoint.port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(ptdUnreachable(`no connection to PTDaemon within ${endpoint.timeoutMs} ms`));
      }, endpoint.timeoutMs);
      const onError = (err: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(ptdUnreachable(`cannot connect to PTDaemon: ${socketErrorCode(err)}`, err));
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        resolve(new PtdaemonClient(socket, endpoint));
      });
    });
  }

  /** Set once the connection is unusable; every later command fails with it. */
  get broken(): HarnessError | null {
    return this.failure;
  }

  close(): void {
    this.fail(ptdUnreachable('connection to PTDaemon was closed by us'));
  }

  /** Sends one command and returns its one-line reply. */
  command(command: string, timeoutMs = this.endpoint.timeoutMs): Promise<string> {
    return this.serialized(async () => {
      this.send(command);
      return this.nextLine(command, timeoutMs);
    });
  }

  async hello(): Promise<void> {
    const reply = await this.command('Hello');
    if (reply !== PTD_GREETING) throw ptdProtocolError(`not a PTDaemon: 'Hello' answered ${JSON.stringify(reply)}`);
  }

  async identify(): Promise<PtdIdentity> {
    const reply = expectReply('Identify', await this.command('Identify'), /^[^,]+,/);
    const version = /(?:^|,)version=([^-,]+)/.exec(reply)?.[1] ?? null;
    return { raw: reply, model: reply.split(',')[0] ?? '', version };
  }

  async readRanges(): Promise<PtdRanges> {
    const reply = expectReply('RR', await this.command('RR'), /^Ranges,/);
    const [ampsAuto, amps, voltsAuto, volts] = parseNumbers('RR', reply.split(',').slice(1, 5), 4);
    return { ampsAuto: ampsAuto!, amps: amps!, voltsAuto: voltsAuto!, volts: volts! };
  }

  /** `SR,V,<range>` / `SR,A,<range>`; PTDaemon answers `Range V changed` / `Range A changed`. */
  async setRange(quantity: 'V' | 'A', range: PtdRange): Promise<void> {
    const command = `SR,${quantity},${formatRange(range)}`;
    expectReply(command, await this.command(command), new RegExp(`^Range ${quantity} changed`, 'i'));
  }

  /**
   * `Go,<interval ms>,<duration: 0 = untimed>,<mark>`; PTDaemon answers "Starting untimed measurement,
   * maximum 500000 samples at 1000ms with 0 rampup samples".
   */
  async go(intervalMs: number, mark: string): Promise<void> {
    const command = `Go,${intervalMs},0,${mark}`;
    expectReply(command, await this.command(command), /^Starting untimed measurement/);
  }

  /** PTDaemon answers "Stopping untimed measurement" (or "Error: no measurement to stop"). */
  async stop(): Promise<void> {
    expectReply('Stop', await this.command('Stop'), /^Stopping untimed measurement/);
  }

  /**
   * Reads the measurement's unread samples the way power-dev does: `RL,*,*` (sum channel and every
   * channel), falling back to `RL` when a single-channel PTDaemon answers "Invalid number of
   * parameters" and to `DC-RL` when a DC PTDaemon answers "Unknown command". The answer is a
   * "Last N samples" line followed by N sample lines. RL may wait up to one interval for a sample,
   * hence `waitMs` on top of the reply timeout.
   */
  async readLog(waitMs: number): Promise<string[]> {
    return this.serialized(async () => {
      let command = 'RL,*,*';
      let head = await this.exchange(command, waitMs);
      if (/Invalid number of parameters/i.test(head)) {
        command = 'RL';
        head = await this.exchange(command, waitMs);
      } else if (/Unknown command/i.test(head)) {
        command = 'DC-RL';
        head = await this.exchange(command, waitMs);
      }
      if (/^(?:No|Insufficient) unread/i.test(head)) return [];
      const count = /^Last (\d+) samples?\b/.exec(head)?.[1];
      if (count === undefined) {
        // We cannot tell how many lines belong to this answer, so later replies would be misread.
        const err = ptdProtocolError(`unexpected reply to '${command}': ${JSON.stringify(head)}`);
        this.fail(err);
        throw err;
      }
      const body: string[] = [];
      for (let i = 0; i < Number(count); i++) body.push(await this.nextLine(command, this.endpoint.timeoutMs));
      return body;
    });
  }

  async uncertainty(): Promise<PtdUncertainty> {
    const reply = expectReply('Uncertainty', await this.command('Uncertainty'), /^Uncertainty,/);
    const [avg, min, max, total, invalid, valid, unknown] = parseNumbers('Uncertainty', reply.split(',').slice(1, 8), 7);
    const pct = (fraction: number) => (fraction < 0 ? null : fraction * 100);
    return {
      avgPct: pct(avg!),
      minPct: pct(min!),
      maxPct: pct(max!),
      totalSamples: total!,
      invalidSamples: invalid!,
      validSamples: valid!,
      unknownSamples: unknown!,
    };
  }

  async watts(): Promise<PtdWattsSummary> {
    const reply = expectReply('Watts', await this.command('Watts'), /^Watts,/);
    const [avg, min, max, samples, errors, validSamples] = parseNumbers('Watts', reply.split(',').slice(1, 7), 6);
    return { avg: avg!, min: min!, max: max!, samples: samples!, errors: errors!, validSamples: validSamples! };
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async exchange(command: string, extraWaitMs: number): Promise<string> {
    this.send(command);
    return this.nextLine(command, this.endpoint.timeoutMs + extraWaitMs);
  }

  private send(command: string): void {
    if (this.failure) throw this.failure;
    this.socket.write(command + EOL);
  }

  private nextLine(command: string, timeoutMs: number): Promise<string> {
    const ready = this.lines.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(ptdUnreachable(`PTDaemon did not answer '${command}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = {
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
    });
  }

  private onData(chunk: string): void {
    this.partial += chunk;
    let newline = this.partial.indexOf('\n');
    while (newline >= 0) {
      const line = this.partial.slice(0, newline).replace(/\r$/, '');
      this.partial = this.partial.slice(newline + 1);
      this.deliver(line);
      newline = this.partial.indexOf('\n');
    }
    if (this.partial.length > MAX_LINE_CHARS) {
      const err = ptdProtocolError(`PTDaemon sent a line over ${MAX_LINE_CHARS} characters`);
      this.fail(err);
    }
  }

  private deliver(line: string): void {
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = null;
      waiter.resolve(line);
    } else {
      this.lines.push(line);
    }
  }

  private fail(err: HarnessError): void {
    if (this.failure) return;
    this.failure = err;
    this.socket.destroy();
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.reject(err);
  }
}

function expectReply(command: string, reply: string, expected: RegExp): string {
  if (!expected.test(reply)) throw ptdProtocolError(`unexpected reply to '${command}': ${JSON.stringify(reply)}`);
  return reply;
}

function parseNumbers(command: string, fields: string[], count: number): number[] {
  const values = fields.map((field) => (field.trim() === '' ? Number.NaN : Number(field)));
  if (values.length < count || values.some((value) => !Number.isFinite(value))) {
    throw ptdProtocolError(`unexpected numbers in reply to '${command}': ${JSON.stringify(fields.join(','))}`);
  }
  return values;
}

/** PTDaemon takes plain decimals ("Auto" or e.g. "0.41"); never exponent notation. */
export function formatRange(range: PtdRange): string {
  if (range === 'Auto') return 'Auto';
  if (!(range > 0) || !Number.isFinite(range)) throw new RangeError(`invalid PTDaemon range ${range}`);
  return range.toFixed(6).replace(/\.?0+$/, '');
}

/** MLPerf's reading of `RR` (server.py _get_initial_range): a fixed range when auto is off and the range is known. */
export function fixedRangeOrAuto(auto: number, range: number): PtdRange {
  return auto === 0 && range > 0 ? range : 'Auto';
}

const PTD_TIME = /^(\d{2})-(\d{2})-(\d{4}) (\d{2}):(\d{2}):(\d{2})\.(\d{1,6})$/;

/** PTDaemon's "MM-DD-YYYY HH:MM:SS.mmm" (the format compliance/check.py parses), as ms if it were UTC. */
function parsePtdTime(text: string): number {
  const m = PTD_TIME.exec(text);
  if (!m) throw ptdProtocolError(`unexpected PTDaemon timestamp ${JSON.stringify(text)}`);
  const [month, day, year, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = Number(m[7]!.padEnd(6, '0')) / 1000;
  return Date.UTC(year, month - 1, day, hour, minute, second) + ms;
}

/**
 * Parses one `RL` line. Groups start at each `Watts` field: the first is the sum channel (or the only
 * channel); with `RL,*,*` on a multichannel meter, group n (1-based) after it is channel n. Unknown
 * fields (a `Mark`, say) are skipped.
 */
export function parseLogLine(line: string, channel: number | undefined): PtdLogSample {
  const fields = line.split(',');
  if (fields[0] !== 'Time' || fields[1] === undefined) throw ptdProtocolError(`unexpected RL line ${JSON.stringify(line)}`);
  const ptdTimeMs = parsePtdTime(fields[1]);
  const groups: Array<Record<string, number>> = [];
  for (let i = 2; i + 1 < fields.length; i += 2) {
    const name = fields[i]!;
    if (name === 'Watts') groups.push({});
    if (!['Watts', 'Volts', 'Amps', 'PF'].includes(name)) continue;
    const value = Number(fields[i + 1]);
    const group = groups[groups.length - 1];
    if (!group || fields[i + 1]!.trim() === '' || !Number.isFinite(value)) {
      throw ptdProtocolError(`unexpected RL line ${JSON.stringify(line)}`);
    }
    group[name] = value;
  }
  const group = groups[channel ?? 0];
  if (!group || group.Watts === undefined || group.Volts === undefined || group.Amps === undefined) {
    const which = channel === undefined ? 'power' : `channel ${channel}`;
    throw ptdProtocolError(`RL line has no ${which} reading: ${JSON.stringify(line)}`);
  }
  return { ptdTimeMs, watts: group.Watts, volts: group.Volts, amps: group.Amps, pf: group.PF ?? null };
}
