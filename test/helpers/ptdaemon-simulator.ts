// A stand-in for SPEC PTDaemon on 127.0.0.1, answering with the texts MLPerf Power's tools expect
// (mlcommons/power-dev server.py and compliance/check.py, SPEC's PTD client in the CPU tools):
//   Hello        → "Hello, PTDaemon here!"
//   Identify     → "<model>,<interval>,<can watts,volts,amps,pf,energy,freq>,<accepted>,version=...,OS=...,mode=power,..."
//   RR           → "Ranges,<amps auto>,<amps range>,<volts auto>,<volts range>"
//   SR,V|A,<r>   → "Range V changed" / "Range A changed"
//   Go,<ms>,0,<mark> → "Starting untimed measurement, maximum 500000 samples at <ms>ms with 0 rampup samples"
//   Stop         → "Stopping untimed measurement" | "Error: no measurement to stop"
//   RL,*,*       → single channel: "Invalid number of parameters"; multichannel: sum + per-channel groups
//   RL           → "Last N samples" then N lines "Time,MM-DD-YYYY HH:MM:SS.mmm,Watts,..,Volts,..,Amps,..,PF,.."
//   Uncertainty  → "Uncertainty,<avg>,<min>,<max>,<total>,<invalid>,<valid>,<unknown>" (fractions)
//   Watts        → "Watts,<avg>,<min>,<max>,<samples>,<errors>,<valid>"
// Each sample is the exact average of the test's power profile over the interval it closes, like a
// real analyzer's update interval; energyJoules() gives the ground truth for any stretch of PTD time.
// Not confirmed from sources: the reply when RL has no unread samples, and to Go while measuring.

import net from 'node:net';

export interface PtdaemonSimulatorOptions {
  /** The Identify model field, e.g. "YokogawaWT310". */
  model?: string;
  /** Watts as a function of ms since Go (PTDaemon time). */
  power?: (msSinceGo: number) => number;
  volts?: number;
  powerFactor?: number;
  /** What `Uncertainty` reports as the average, percent. */
  uncertaintyPct?: number;
  /** Channels of the analyzer; above 1, `RL,*,*` answers sum + channels, the power split evenly. */
  channels?: number;
  /** PTDaemon host wall clock minus ours: the client must not rely on the two agreeing. */
  clockOffsetMs?: number;
}

interface SimSample {
  ptdTimeMs: number;
  watts: number;
  volts: number;
  amps: number;
  pf: number;
}

const GREETING = 'Hello, PTDaemon here!';

export class PtdaemonSimulator {
  power: (msSinceGo: number) => number;
  uncertaintyPct: number;
  /** Every command received, in order, as sent. */
  readonly commands: string[] = [];
  ranges = { voltage: 'Auto', current: 'Auto' };

  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly model: string;
  private readonly volts: number;
  private readonly powerFactor: number;
  private readonly channels: number;
  private readonly clockOffsetMs: number;
  private garbled: string | null = null;
  private readonly goTimesPtdMs: number[] = [];
  private measurement: { goPtdMs: number; intervalMs: number; timer: NodeJS.Timeout | null; samples: SimSample[]; unread: number } | null = null;

  private constructor(server: net.Server, options: PtdaemonSimulatorOptions) {
    this.server = server;
    this.model = options.model ?? 'YokogawaWT310';
    this.power = options.power ?? (() => 40);
    this.volts = options.volts ?? 230;
    this.powerFactor = options.powerFactor ?? 0.9;
    this.uncertaintyPct = options.uncertaintyPct ?? 0.5;
    this.channels = options.channels ?? 1;
    this.clockOffsetMs = options.clockOffsetMs ?? 0;
    server.on('connection', (socket) => this.accept(socket));
  }

  static async start(options: PtdaemonSimulatorOptions = {}): Promise<PtdaemonSimulator> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return new PtdaemonSimulator(server, options);
  }

  get port(): number {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('simulator is not listening');
    return address.port;
  }

  /** Answers `command` (or every command, '*') with a line that is not PTDaemon's. */
  garbleRepliesTo(command: string): void {
    this.garbled = command;
  }

  /** Cuts every client connection, as a crashed PTDaemon or a pulled cable would. */
  dropConnections(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  /** Ground truth: energy of the power profile between two PTDaemon times, joules. */
  energyJoules(fromPtdMs: number, toPtdMs: number): number {
    // The profile restarts at every Go: use the measurement that was running at `fromPtdMs`.
    const goPtdMs = this.goTimesPtdMs.findLast((go) => go <= fromPtdMs);
    if (goPtdMs === undefined) throw new Error(`no measurement was running at PTDaemon time ${fromPtdMs}`);
    return this.averageWatts(goPtdMs, fromPtdMs, toPtdMs) * ((toPtdMs - fromPtdMs) / 1000);
  }

  async close(): Promise<void> {
    this.stopSampling();
    this.dropConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.setEncoding('latin1');
    let partial = '';
    socket.on('data', (chunk: string) => {
      partial += chunk;
      let newline = partial.indexOf('\n');
      while (newline >= 0) {
        const command = partial.slice(0, newline).replace(/\r$/, '');
        partial = partial.slice(newline + 1);
        this.commands.push(command);
        const reply = this.garbled === '*' || this.garbled === command ? ['\u0007#?garbled?#'] : this.answer(command);
        socket.write(reply.map((line) => line + '\r\n').join(''));
        newline = partial.indexOf('\n');
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
  }

  private answer(command: string): string[] {
    const [verb, ...args] = command.split(',');
    switch (verb) {
      case 'Hello':
        return [GREETING];
      case 'Identify':
        return [
          `${this.model},1000,1,1,1,1,0,0,1,version=1.10.0-a1b2c3d4-20210401,OS=Linux,mode=power,1,1,${this.channels}`,
        ];
      case 'RR':
        return [`Ranges,${rangeFields(this.ranges.current)},${rangeFields(this.ranges.voltage)}`];
      case 'SR':
        return [this.setRange(args)];
      case 'Go':
        return [this.go(args)];
      case 'Stop':
        if (!this.measurement?.timer) return ['Error: no measurement to stop'];
        this.stopSampling();
        return ['Stopping untimed measurement'];
      case 'RL':
        return this.readLog(args);
      case 'Uncertainty':
        return [this.uncertainty()];
      case 'Watts':
        return [this.wattsSummary()];
      default:
        return ['Unknown command'];
    }
  }

  private setRange(args: string[]): string {
    const [quantity, value] = args;
    const valid = value === 'Auto' || (value !== undefined && Number(value) > 0);
    if ((quantity !== 'V' && quantity !== 'A') || !valid) return 'Error in parameter';
    if (quantity === 'V') this.ranges.voltage = value;
    else this.ranges.current = value;
    return `Range ${quantity} changed`;
  }

  private go(args: string[]): string {
    const intervalMs = Number(args[0]);
    if (!(intervalMs > 0) || args.length < 2) return 'Invalid number of parameters';
    if (this.measurement?.timer) return 'Error: measurement already running';
    const goPtdMs = this.ptdNow();
    this.goTimesPtdMs.push(goPtdMs);
    const measurement = { goPtdMs, intervalMs, timer: null as NodeJS.Timeout | null, samples: [] as SimSample[], unread: 0 };
    this.measurement = measurement;
    const goWall = Date.now();
    let previousPtdMs = goPtdMs;
    // Ticks aim at Go + k·interval so timer lateness does not accumulate.
    const tick = (k: number) => {
      measurement.timer = setTimeout(() => {
        const ptdTimeMs = this.ptdNow();
        const watts = this.averageWatts(goPtdMs, previousPtdMs, ptdTimeMs);
        previousPtdMs = ptdTimeMs;
        const amps = watts / (this.volts * this.powerFactor);
        measurement.samples.push({ ptdTimeMs, watts, volts: this.volts, amps, pf: this.powerFactor });
        measurement.unread++;
        tick(k + 1);
      }, Math.max(0, goWall + k * intervalMs - Date.now()));
    };
    tick(1);
    return `Starting untimed measurement, maximum 500000 samples at ${intervalMs}ms with 0 rampup samples`;
  }

  private readLog(args: string[]): string[] {
    const multichannel = args.length === 2 && args[0] === '*' && args[1] === '*';
    if (args.length > 0 && !(multichannel && this.channels > 1)) return ['Invalid number of parameters'];
    const measurement = this.measurement;
    const unread = measurement ? measurement.samples.slice(measurement.samples.length - measurement.unread) : [];
    if (unread.length === 0) return ['No unread samples'];
    measurement!.unread = 0;
    const header = `Last ${unread.length} sample${unread.length === 1 ? '' : 's'}`;
    return [header, ...unread.map((sample) => this.logLine(sample, multichannel))];
  }

  private logLine(sample: SimSample, multichannel: boolean): string {
    const group = (watts: number, amps: number) =>
      `Watts,${watts.toFixed(6)},Volts,${sample.volts.toFixed(6)},Amps,${amps.toFixed(6)},PF,${sample.pf.toFixed(6)}`;
    const groups = [group(sample.watts, sample.amps)];
    if (multichannel) {
      for (let c = 0; c < this.channels; c++) groups.push(group(sample.watts / this.channels, sample.amps / this.channels));
    }
    return `Time,${formatPtdTime(sample.ptdTimeMs)},${groups.join(',')}`;
  }

  private uncertainty(): string {
    const total = this.measurement?.samples.length ?? 0;
    if (total === 0) return 'Uncertainty,-1.000000,-1.000000,-1.000000,0,0,0,0';
    const fraction = (this.uncertaintyPct / 100).toFixed(6);
    const invalid = this.uncertaintyPct > 1 ? total : 0;
    return `Uncertainty,${fraction},${fraction},${fraction},${total},${invalid},${total - invalid},0`;
  }

  private wattsSummary(): string {
    const watts = (this.measurement?.samples ?? []).map((sample) => sample.watts);
    if (watts.length === 0) return 'Watts,-1.000000,-1.000000,-1.000000,0,0,0';
    const avg = watts.reduce((a, b) => a + b, 0) / watts.length;
    return `Watts,${avg.toFixed(6)},${Math.min(...watts).toFixed(6)},${Math.max(...watts).toFixed(6)},${watts.length},0,${watts.length}`;
  }

  /** Mean of the profile over [from, to] (PTDaemon ms), by the midpoint rule on 0.25 ms steps. */
  private averageWatts(goPtdMs: number, fromMs: number, toMs: number): number {
    const steps = Math.max(1, Math.ceil((toMs - fromMs) * 4));
    const step = (toMs - fromMs) / steps;
    let sum = 0;
    for (let i = 0; i < steps; i++) sum += this.power(fromMs + (i + 0.5) * step - goPtdMs);
    return sum / steps;
  }

  private ptdNow(): number {
    return Date.now() + this.clockOffsetMs;
  }

  private stopSampling(): void {
    if (this.measurement?.timer) {
      clearTimeout(this.measurement.timer);
      this.measurement.timer = null;
    }
  }
}

function rangeFields(range: string): string {
  return range === 'Auto' ? '1,-1.000000' : `0,${Number(range).toFixed(6)}`;
}

/** "MM-DD-YYYY HH:MM:SS.mmm"; the simulated PTDaemon host runs on UTC, as power-dev starts it (TZ=UTC). */
export function formatPtdTime(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return (
    `${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}-${d.getUTCFullYear()} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`
  );
}
