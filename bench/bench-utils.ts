// Small helpers shared by the benchmarks: exact medians/percentiles and a plain table printer.

export function percentile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(Math.floor(sorted.length * fraction), sorted.length - 1)]!;
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
