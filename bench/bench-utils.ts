// Small helpers shared by the benchmarks: exact medians/percentiles, a plain table printer, and the
// bare reference servers' start-up.
import { spawn } from 'node:child_process';

/**
 * The `fraction` quantile of `values` by linear interpolation between the two nearest ranks
 * (Hyndman & Fan type 7, numpy's default): for an even count the median is the mean of the two middle
 * values, not the upper one, which with two rounds would be their maximum. Report figures use the
 * harness's LoadGen nearest rank (src/harness/stats/latency-percentiles.ts); this one summarises
 * benchmark rounds and samples.
 */
export function percentile(values: readonly number[], fraction: number): number {
  if (values.length === 0) throw new RangeError('percentile needs at least one value');
  if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`percentile fraction ${fraction} is outside [0, 1]`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (sorted.length - 1) * fraction;
  const below = Math.floor(rank);
  const lower = sorted[below]!;
  return below + 1 < sorted.length ? lower + (sorted[below + 1]! - lower) * (rank - below) : lower;
}

export const median = (values: readonly number[]) => percentile(values, 0.5);

export function printTable(rows: (string | number)[][]): void {
  const cells = rows.map((r) => r.map(String));
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  for (const r of cells) console.log('  ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
}

export function machineLine(): string {
  return `node ${process.version}, ${process.platform} ${process.arch}`;
}

/**
 * Starts a bare reference server (a file under bench/support that prints "listening on <port>") in its
 * own process; resolves once it listens. A `.mjs` file runs on plain node, a TypeScript one through tsx.
 */
export async function startSupportServer(script: string, args: string[]): Promise<{ url: string; pid: number; stop(): void }> {
  const nodeArgs = script.endsWith('.mjs') ? [script] : ['--import', import.meta.resolve('tsx'), script];
  const child = spawn(process.execPath, [...nodeArgs, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`${script} exited (${code})`)));
  });
  return { url: `http://127.0.0.1:${port}`, pid: child.pid!, stop: () => void child.kill('SIGTERM') };
}
