// `npm run bench`: runs every benchmark under bench/ in its own process, one after another (so they
// do not disturb each other), or only those named on the command line (`npm run bench -- dispatch
// api-throughput`; a name matches a file containing it). `npm run bench -- --list` lists them. Each
// benchmark's start and end print the load average, the conditions its figures were measured under.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const NOT_BENCHMARKS = new Set(['run-all.ts', 'bench-utils.ts', 'bench-service.ts']);
const all = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !NOT_BENCHMARKS.has(f))
  .sort();
const args = process.argv.slice(2);
if (args.includes('--list')) {
  console.log(all.map((f) => f.replace(/\.ts$/, '')).join('\n'));
  process.exit(0);
}
const unknown = args.filter((w) => !all.some((f) => f.includes(w)));
if (unknown.length > 0) {
  console.error(`No benchmark matches ${unknown.join(', ')}. Benchmarks: ${all.map((f) => f.replace(/\.ts$/, '')).join(', ')}`);
  process.exit(2);
}
const files = all.filter((f) => args.length === 0 || args.some((w) => f.includes(w)));

const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
const failed: string[] = [];
for (const file of files) {
  console.log(`\n=== ${file} (load average ${load()}, ${new Date().toISOString()})`);
  const started = Date.now();
  const res = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), `${dir}${file}`], { stdio: 'inherit' });
  console.log(`=== ${file}: ${res.status === 0 ? 'finished' : `FAILED (exit ${res.status ?? res.signal})`} in ${((Date.now() - started) / 1000).toFixed(0)} s (load average ${load()})`);
  if (res.status !== 0) failed.push(file);
}
if (failed.length > 0) console.log(`\nfailed: ${failed.join(', ')}`);
process.exit(failed.length === 0 ? 0 : 1);
