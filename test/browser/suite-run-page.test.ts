// A suite run started from the dashboard and followed there, in chromium at 1280 and 390 px: /suites links
// to the form, the form queues npubench-edge@1 on the CPU host (the smoke preset) for a real agent, and
// the run page shows progress per workload and scenario until the signed suite report's verdicts appear,
// with a link that downloads the run's condition grid CSV. What the page shows is checked against the
// database and the API. Screenshots go to test-artifacts/screenshots.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { startTestAgent } from '../helpers/test-agent.js';
import { bearer } from '../helpers/problem.js';
import { ensureDashboardBuilt, launchBrowser, screenshotPath } from '../helpers/browser.js';

const WAIT = { timeout: 90_000 };
const DEVICE = 'cpu-host-suite';
let t: TestApi;
let browser: BrowserContext;
let vendor: { key: string };
let runPath: string;

beforeAll(async () => {
  await ensureDashboardBuilt();
  t = await startTestApi({ listen: true });
  const admin = await t.createOrgWithKey('ADMIN');
  vendor = await t.createOrgWithKey('VENDOR', 'suite-vendor');
  const res = await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug: DEVICE, name: 'Host CPU (a long real host name, 64-Core Processor)', manufacturer: 'test' } });
  expect(res.statusCode, res.body).toBe(201);
  await startTestAgent(t, [DEVICE], { harnessTimeoutMs: 600_000 });
  browser = await launchBrowser();
}, 300_000);

async function signedInPage(width: number): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage();
  page.setDefaultTimeout(90_000);
  await page.setViewportSize({ width, height: 900 });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${r.status()} ${new URL(r.url()).pathname}`);
  });
  await page.goto(`${t.url}/login`);
  await page.getByLabel('API key').fill(vendor.key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/vendor\/jobs$/, WAIT);
  return { page, problems };
}

/** The run page against the database: every entry's status, and the report's digest and verdicts. */
async function checkFinishedRun(page: Page, width: number) {
  await page.locator('[data-testid="suite-run"][data-status="FINISHED"]').waitFor({ timeout: 1_200_000 });
  await page.getByTestId('suite-report').waitFor(WAIT);
  const id = runPath.split('/').pop()!;
  const run = await t.deps.db.suiteRun.findUniqueOrThrow({ where: { id }, include: { jobs: true } });
  expect(run.jobs.length).toBe(10);
  for (const job of run.jobs) {
    const [workload, scenario] = job.suiteEntry!.split('/');
    expect(await page.getByTestId(`suite-run-entry-${workload}-${scenario}`).getAttribute('data-status')).toBe(job.status);
  }
  expect(await page.getByTestId('suite-report').innerText()).toContain(`sha256:${run.statementDigest}`);
  for (const w of ['ocr-direction', 'ocr-recognition', 'image-classification', 'slm-mmlu']) expect(await page.getByTestId(`suite-report-${w}`).getAttribute('data-status')).toBe('succeeded');
  expect(await page.getByTestId('suite-report-ocr-recognition').innerText()).toContain('character-accuracy');
  expect(await page.getByTestId('suite-run-deviations').innerText()).toContain('smoke preset');
  await checkGridDownload(page, id, width, run.jobs.map((j) => j.suiteEntry!));
  expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(width);
  await page.screenshot({ path: screenshotPath(`suite-run-${width}`), fullPage: true });
}

/** The condition-grid link: inside the viewport, and what it downloads is the API's CSV, one row per job
 *  (read back by Python's csv module). */
async function checkGridDownload(page: Page, id: string, width: number, entries: string[]) {
  const link = page.getByTestId('suite-condition-grid-link');
  const box = (await link.boundingBox())!;
  expect(box.x + box.width).toBeLessThanOrEqual(width);
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  expect(download.suggestedFilename()).toBe(`suite-condition-grid-${id}.csv`);
  const saved = readFileSync((await download.path())!, 'utf8');
  const api = await t.app.inject({ method: 'GET', url: `/v1/suite-runs/${id}/condition-grid.csv`, headers: bearer(vendor.key) });
  expect(api.statusCode, api.body).toBe(200);
  expect(saved).toBe(api.body);
  const rows = JSON.parse(execFileSync('/usr/bin/python3', ['-c', 'import csv, io, json, sys; print(json.dumps(list(csv.DictReader(io.StringIO(sys.stdin.read(), newline="")))))'], { input: saved, encoding: 'utf8' })) as { workload: string; scenario: string }[];
  expect(rows.map((r) => `${r.workload.split('/')[1]}/${r.scenario}`).sort()).toEqual([...entries].sort());
}

describe('suite run page', { timeout: 1_500_000 }, () => {
  it('starts npubench-edge@1 from /suites and follows it to the signed report at 1280 px', async () => {
    const { page, problems } = await signedInPage(1280);
    // The running page follows its jobs on the job event stream rather than polling.
    const streams: string[] = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/v1/jobs/events') streams.push(r.headers()['accept'] ?? '');
    });
    await page.goto(`${t.url}/suites`);
    await page.getByTestId('run-suite-link').first().click();
    await page.waitForURL(/\/vendor\/suite-runs\/new$/, WAIT);
    await page.locator('select[name="suite"]').selectOption('npubench-edge@1');
    await page.locator('select[name="device"]').selectOption(DEVICE);
    await page.locator('select[name="reducedPreset"]').selectOption('smoke');
    await page.getByRole('button', { name: 'Run the suite' }).click();
    await page.waitForURL(/\/vendor\/suite-runs\/[0-9a-f-]{36}$/, WAIT);
    runPath = new URL(page.url()).pathname;
    // Progress shows while it runs: one bar per workload.
    await page.getByTestId('suite-run-workload-slm-mmlu').waitFor(WAIT);
    expect(await page.locator('[data-testid^="suite-run-workload-"] progress').count()).toBe(4);
    await checkFinishedRun(page, 1280);
    expect(streams.length).toBeGreaterThan(0);
    expect(streams.every((accept) => accept === 'text/event-stream')).toBe(true);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows the same run inside a 390 px viewport', async () => {
    const { page, problems } = await signedInPage(390);
    await page.goto(`${t.url}${runPath}`);
    await checkFinishedRun(page, 390);
    expect(problems).toEqual([]);
    await page.close();
  });
});
