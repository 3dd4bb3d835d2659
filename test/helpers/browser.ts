// A real browser for the dashboard tests: Debian's chromium driven by playwright-core, with a fresh
// profile per launch and the flags that keep it from calling home (it hangs on a closed network
// otherwise). The dashboard is built first when its build is missing or older than its sources.
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { chromium, type BrowserContext } from 'playwright-core';
import { build } from 'vite';
import { DEFAULT_DASHBOARD_DIR } from '../../src/api/plugins/dashboard.js';
import { createTempDir } from './isolated-resources.js';

const DASHBOARD_SOURCES = fileURLToPath(new URL('../../src/dashboard', import.meta.url));
export const SCREENSHOT_DIR = fileURLToPath(new URL('../../test-artifacts/screenshots', import.meta.url));
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

export async function ensureDashboardBuilt(): Promise<void> {
  const index = join(DEFAULT_DASHBOARD_DIR, 'index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= newestMtime(DASHBOARD_SOURCES)) return;
  await build({ configFile: join(DASHBOARD_SOURCES, 'vite.config.ts'), logLevel: 'warn' });
}

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A browser context on a fresh profile, closed after the file's tests. */
export async function launchBrowser(): Promise<BrowserContext> {
  const profile = await createTempDir('npubench-chromium');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
    timeout: 120_000,
  });
  afterAll(() => context.close());
  return context;
}

export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return join(SCREENSHOT_DIR, `${name}.png`);
}
