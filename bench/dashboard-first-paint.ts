// Time to first meaningful paint of the leaderboard with 10,000 certified results in the database
// (served 50 per page): chromium (Debian, through playwright-core) loads `/` from the real API and we
// read, from the page's own clock, when the first content was painted (FCP) and when the first
// leaderboard row was in the DOM and painted (our "first meaningful paint": the page is usable).
// Cold: browser cache disabled; warm: assets cached, as on a second visit.
import { cpus, loadavg } from 'node:os';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { seedCertifiedResults } from '../test/helpers/certified-results-seed.js';
import { CHROMIUM, CHROMIUM_ARGS, ensureDashboardBuilt } from '../test/helpers/browser.js';
import { createBenchDatabase, startBenchApi } from './bench-service.js';
import { machineLine, median, percentile, printTable } from './bench-utils.js';

const RESULTS = 10_000;
const LOADS = 15;

// Runs in the page before its own scripts: marks when the first leaderboard row is in the DOM, then
// waits for the next two animation frames, i.e. until that row has been painted.
const MARK_FIRST_ROW = `(() => {
  const observer = new MutationObserver(() => {
    if (window.__firstRow !== undefined || !document.querySelector('[data-testid="leaderboard-table"] tbody tr')) return;
    window.__firstRow = null;
    observer.disconnect();
    requestAnimationFrame(() => requestAnimationFrame(() => { window.__firstRow = performance.now(); }));
  });
  document.addEventListener('DOMContentLoaded', () => observer.observe(document.body, { childList: true, subtree: true }));
})()`;

await ensureDashboardBuilt();
const database = await createBenchDatabase();
const api = await startBenchApi(database.url);
const profile = await mkdtemp(join(tmpdir(), 'npubench-chromium-'));
const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 900 } });
try {
  await seedCertifiedResults(database.url, { count: RESULTS, devices: 20, vendors: 8 });
  console.log(`${RESULTS} certified results; ${machineLine()}, ${cpus().length} cores, load ${loadavg()[0]!.toFixed(2)}; chromium ${context.browser()?.version() ?? '(persistent context)'}`);
  await context.addInitScript(MARK_FIRST_ROW);
  const page = context.pages()[0] ?? (await context.newPage());
  const cdp = await context.newCDPSession(page);

  const measure = async (cold: boolean) => {
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: cold });
    const fcp: number[] = [];
    const firstRow: number[] = [];
    for (let i = 0; i < LOADS + 2; i++) {
      await page.goto(`${api.url}/`, { waitUntil: 'commit' });
      await page.waitForSelector('[data-testid="leaderboard-table"] tbody tr', { timeout: 60_000 });
      // Polled from here: the page's CSP (no eval) rules out page.waitForFunction with an expression.
      const deadline = Date.now() + 60_000;
      while (typeof (await page.evaluate('window.__firstRow')) !== 'number') {
        if (Date.now() > deadline) throw new Error('the first row was never painted');
        await new Promise((r) => setTimeout(r, 20));
      }
      const t = (await page.evaluate(`({ row: window.__firstRow, fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null })`)) as { row: number; fcp: number | null };
      if (i < 2) continue; // warm-up loads
      firstRow.push(t.row);
      if (t.fcp !== null) fcp.push(t.fcp);
    }
    return { fcp, firstRow };
  };
  const cold = await measure(true);
  const warm = await measure(false);
  const fmt = (v: number[]) => (v.length ? `${median(v).toFixed(0)} / ${percentile(v, 0.9).toFixed(0)}` : 'n/a');
  printTable([
    ['load', 'first contentful paint ms (median / p90)', 'first leaderboard row painted ms (median / p90)'],
    ['cold (cache disabled)', fmt(cold.fcp), fmt(cold.firstRow)],
    ['warm (assets cached)', fmt(warm.fcp), fmt(warm.firstRow)],
  ]);
  console.log(`${LOADS} loads each, times from navigation start on the page's clock; first page = 50 of ${RESULTS} rows`);
} finally {
  await context.close();
  await rm(profile, { recursive: true, force: true });
  await api.stop();
  await database.drop();
}
