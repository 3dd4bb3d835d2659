// `npm run bench`: runs every benchmark under bench/ in its own process, one after another (so they
// do not disturb each other), or only those named on the command line.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const NOT_BENCHMARKS = new Set(['run-all.ts', 'bench-utils.ts', 'bench-service.ts']);
const wanted = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !NOT_BENCHMARKS.has(f))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
  .sort();

let failed = 0;
for (const file of files) {
  console.log(`\n=== ${file}`);
  const res = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), `${dir}${file}`], { stdio: 'inherit' });
  if (res.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
