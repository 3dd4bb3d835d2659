// `npm start` on a fresh clone (after `npm ci`, before any `npm run build`): build the dashboard once
// so the API has something to serve at `/`. An existing build is left alone; `npm run build` refreshes it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { DEFAULT_DASHBOARD_DIR } from '../src/api/plugins/dashboard.js';

if (!existsSync(join(DEFAULT_DASHBOARD_DIR, 'index.html'))) {
  console.log('Building the dashboard (first start)…');
  const res = spawnSync('npm', ['run', '--silent', 'build:dashboard'], { stdio: 'inherit' });
  if (res.status !== 0) {
    console.error('The dashboard build failed; the API will start and show how to build it at /.');
  }
}
