// The dashboard in a real browser (Debian chromium through playwright-core) against a real API, agent,
// Postgres and Redis: the leaderboard, a report's charts, a vendor signing in, submitting a job and
// watching it reach SUCCEEDED live, a certificate verified in the browser (and a tampered one refused),
// the empty, error and forbidden states, and a phone-sized layout; then a tour of every page at 1280 and
// 390 px that a customer would notice going wrong (console errors, sideways scroll, numbers off-screen,
// clipped or mislabelled charts). Screenshots go to test-artifacts/screenshots (gitignored). Every wait
// is for a condition, with generous timeouts.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { startTestAgent, waitForJob } from '../helpers/test-agent.js';
import { bearer } from '../helpers/problem.js';
import { fixtureModel, modelForm } from '../helpers/fixtures.js';
import { ensureDashboardBuilt, launchBrowser, screenshotPath } from '../helpers/browser.js';
import { seedCertifiedResults, seededWorkloadDigest } from '../helpers/certified-results-seed.js';
import type { CertificateBundle } from '../../src/lib/certificates/certificate-bundle.js';
import { logKeyFromVkey, trustedKeysFromJwks, verifyCertificateBundle } from '../../src/lib/certificates/certificate-verifier.js';
import { createTempDir } from '../helpers/isolated-resources.js';
import { jwksOf, logKeyAnswer, makeBundle, newIssuerKey, newLogKey, startJsonServer } from '../helpers/certificate-corpus.js';

const WAIT = { timeout: 90_000 };
let t: TestApi;
let browser: BrowserContext;
let page: Page;
let admin: { key: string };
let certifier: { key: string };
let vendor: { key: string };
let modelId: string;
let firstReportId: string;
let firstCertificateId: string;
let meteredReportId: string;
let sysfs: string;
let powerWriter: NodeJS.Timeout | undefined;
afterAll(() => clearInterval(powerWriter));

// A device name as long as a real host's ("Host CPU (AMD EPYC 7B13 64-Core Processor)"), so the layout
// is tried with realistic text rather than a short placeholder.
const DEVICE_NAME = 'Browser NPU (Acme S1 reference board, 8-core A78AE @ 2.2 GHz)';

const api = async (method: 'GET' | 'POST', url: string, key?: string, payload?: unknown) => {
  const res = await t.app.inject({ method, url, ...(key && { headers: bearer(key) }), ...(payload !== undefined && { payload: payload as Record<string, unknown> }) });
  expect(res.statusCode, res.body).toBeLessThan(300);
  return res.json() as Record<string, unknown>;
};

async function runJob(device = 'npu-browser', suite: Record<string, unknown> = { preset: 'smoke', minQueryCount: 64 }): Promise<string> {
  const job = await api('POST', '/v1/jobs', vendor.key, { modelId, device, suite });
  expect((await waitForJob(t, job.id as string, 120_000)).status).toBe('SUCCEEDED');
  return (await t.deps.db.report.findUniqueOrThrow({ where: { jobId: job.id as string } })).id;
}

async function certify(reportId: string): Promise<string> {
  return (await api('POST', '/v1/certificates', certifier.key, { reportId, profileId: 'smoke-latency@1' })).certificateId as string;
}

// Runs in the page (a string: the test project has no DOM types). Records, per job card, every status
// and progress value shown, so the test knows progress arrived live rather than on a reload.
const RECORD_STATUSES = `(() => {
  const seen = {};
  window.seenStatuses = seen;
  const record = () => document.querySelectorAll('[data-status]').forEach((el) => {
    const list = (seen[el.getAttribute('data-testid')] ??= []);
    const s = el.getAttribute('data-status') + ':' + (el.querySelector('progress')?.value ?? '');
    if (list.at(-1) !== s) list.push(s);
  });
  record();
  new MutationObserver(record).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
})()`;

/** On a failure, what the page showed and whether the API still answers, so a flaky run explains itself. */
afterEach(async (ctx) => {
  if (ctx.task.result?.state !== 'fail' || !page) return;
  const probe = async (url: string) => {
    const start = Date.now();
    try {
      const res = await fetch(`${t.url}${url}`, { signal: AbortSignal.timeout(5_000) });
      return `${url}: ${res.status} in ${Date.now() - start} ms`;
    } catch (err) {
      return `${url}: ${(err as Error).message} after ${Date.now() - start} ms`;
    }
  };
  const probes = await Promise.all(['/', '/v1/leaderboard', '/v1/devices', '/health/ready'].map(probe));
  const shown = await page.locator('body').innerText({ timeout: 5_000 }).catch((err: Error) => `(no text: ${err.message})`);
  await page.screenshot({ path: screenshotPath(`failed-${ctx.task.name.slice(0, 40).replace(/\W+/g, '-')}`) }).catch(() => undefined);
  console.error(`[diagnosis] ${ctx.task.name}\n  url: ${page.url()}\n  ${probes.join('\n  ')}\n  page text: ${shown.slice(0, 600)}`);
});

/** Every console error, uncaught exception, failed request and error response a page causes. */
function watchProblems(p: Page): string[] {
  const problems: string[] = [];
  p.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()} ${m.location().url}`);
  });
  p.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  p.on('response', (res) => {
    if (res.status() >= 400) problems.push(`${res.status()} ${res.request().method()} ${new URL(res.url()).pathname}`);
  });
  // Leaving a page aborts its live-updates stream: that is not a failure.
  p.on('requestfailed', (req) => {
    if (req.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`failed: ${req.url()} ${req.failure()?.errorText}`);
  });
  return problems;
}

/** Waits until the page has nothing left loading and every chart on it is drawn. */
async function settle(p: Page) {
  // Polled from the test: the page's CSP forbids waitForFunction's string evaluation.
  const ready = `(() => { const main = document.querySelector('main'); return !!main && !/Loading/.test(main.innerText) && [...document.querySelectorAll('.chart')].every((c) => c.querySelector('svg text')); })()`;
  await expect.poll(() => p.evaluate(ready), WAIT).toBe(true);
  await p.waitForTimeout(250);
}

interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
}
/** The chart's box and every text it drew, with its box on screen (unclipped: what overflows shows). */
const chartTexts = (p: Page, testId: string) =>
  p.evaluate(`(() => {
    const el = document.querySelector('[data-testid="${testId}"]');
    const box = ({ left, right, top, bottom }) => ({ left, right, top, bottom });
    const items = (selector) => [...el.querySelectorAll(selector)].map((n) => ({ text: n.textContent, ...box(n.getBoundingClientRect()) }));
    return { box: box(el.getBoundingClientRect()), texts: items('svg text'), shapes: items('svg path') };
  })()`) as Promise<{ box: Box; texts: (Box & { text: string })[]; shapes: (Box & { text: string })[] }>;

/** The option an ECharts chart was drawn with, read back from its instance (functions as "function"). */
const chartOption = (p: Page, testId: string) =>
  p.evaluate(`(() => {
    const el = document.querySelector('[data-testid="${testId}"]');
    const chart = el && window.npubenchEcharts && window.npubenchEcharts.getInstanceByDom(el);
    return chart ? JSON.parse(JSON.stringify(chart.getOption(), (k, v) => (typeof v === 'function' ? 'function' : v))) : null;
  })()`) as Promise<Record<string, Record<string, unknown>[]> | null>;

const inside = (inner: Box, outer: Box) => inner.left >= outer.left - 0.5 && inner.right <= outer.right + 0.5 && inner.top >= outer.top - 0.5 && inner.bottom <= outer.bottom + 0.5;
const overlap = (a: Box, b: Box) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 0.5 && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0.5;

/** The box of the cell under the column whose header matches `header`, in the table's first body row. */
const cellBox = (p: Page, testId: string, header: string) =>
  p.evaluate(`(() => {
    const table = document.querySelector('[data-testid="${testId}"]');
    const index = [...table.querySelectorAll('thead th')].findIndex((th) => new RegExp(${JSON.stringify(header)}).test(th.textContent.trim()));
    const cell = table.querySelectorAll('tbody tr')[0].children[index];
    const { left, right, top, bottom } = cell.getBoundingClientRect();
    const wrap = table.parentElement.getBoundingClientRect();
    return { cell: { left, right, top, bottom }, wrap: { left: wrap.left, right: wrap.right, top: wrap.top, bottom: wrap.bottom }, text: cell.innerText, width: innerWidth };
  })()`) as Promise<{ cell: Box; wrap: Box; text: string; width: number }>;

/** Paths and rects an ECharts SVG drew: more than the axes means data was plotted. */
const svgShapes = (p: Page, testId: string) => p.locator(`[data-testid="${testId}"] svg path, [data-testid="${testId}"] svg rect`).count();

beforeAll(async () => {
  await ensureDashboardBuilt();
  t = await startTestApi({ listen: true });
  admin = await t.createOrgWithKey('ADMIN');
  certifier = await t.createOrgWithKey('CERTIFIER', 'browser-lab');
  vendor = await t.createOrgWithKey('VENDOR', 'browser-vendor');
  // A lab-asserted firmware nothing on a CPU host can confirm: the report page says 'unverified'.
  await api('POST', '/v1/devices', admin.key, { slug: 'npu-browser', name: DEVICE_NAME, manufacturer: 'Acme', soc: 'Acme S1', firmwareVersion: 'acme-fw-1' });
  // A metered device: its power meter is a fake hwmon sysfs tree the test keeps refreshing, as the kernel would.
  sysfs = await createTempDir('npubench-browser-sysfs');
  const hwmon = join(sysfs, 'class', 'hwmon', 'hwmon0');
  mkdirSync(hwmon, { recursive: true });
  writeFileSync(join(hwmon, 'name'), 'npu_rail\n');
  writeFileSync(join(hwmon, 'power1_label'), 'VDD_NPU\n');
  const writePower = () => {
    writeFileSync(join(hwmon, 'power1_input.tmp'), `${Math.round((5 + Math.random()) * 1e6)}\n`);
    renameSync(join(hwmon, 'power1_input.tmp'), join(hwmon, 'power1_input'));
  };
  writePower();
  powerWriter = setInterval(writePower, 5);
  await api('POST', '/v1/devices', admin.key, { slug: 'npu-metered', name: 'Metered NPU', manufacturer: 'Acme', powerMeter: { kind: 'hwmon', chip: 'npu_rail', channel: 'VDD_NPU', root: sysfs, intervalMs: 10 } });
  await startTestAgent(t, ['npu-browser', 'npu-metered']);
  const up = await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: modelForm(fixtureModel('mlp-classifier.onnx'), { name: 'mlp-web', visibility: 'PUBLIC', task: 'classification' }) });
  expect(up.statusCode, up.body).toBe(201);
  modelId = (up.json() as { id: string }).id;
  browser = await launchBrowser();
  page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(90_000);
}, 240_000);

// Generous: a loaded 2-core CI machine runs agents, chromium and the API side by side.
describe('dashboard in chromium', { timeout: 300_000 }, () => {
  it('shows an empty leaderboard with an explanation, then the certified result', async () => {
    await page.goto(`${t.url}/`);
    await page.getByTestId('empty-state').waitFor(WAIT);
    expect(await page.getByTestId('empty-state').innerText()).toMatch(/No certified results yet/);

    firstReportId = await runJob();
    firstCertificateId = await certify(firstReportId);
    // A smoke-test certificate proves the pipeline, not the device: hidden from the public board by
    // default, behind a visible switch, and marked when shown.
    await page.reload();
    const showDemo = page.getByLabel(/Show demo and smoke-test results/);
    await showDemo.waitFor(WAIT);
    expect(await page.getByTestId('leaderboard-table').count()).toBe(0);
    // The count comes from the facets, a request of its own that may answer after the rows.
    await expect.poll(() => page.getByTestId('empty-state').innerText(), WAIT).toMatch(/1 demo or smoke-test result is hidden/);
    await showDemo.check();
    await page.waitForURL(/demo=show/, WAIT);
    const row = page.getByTestId('leaderboard-table').locator('tbody tr');
    await row.first().waitFor(WAIT);
    expect(await row.count()).toBe(1);
    expect(await row.first().innerText()).toMatch(/mlp-web@.*Browser NPU.*browser-vendor/s);
    expect(await row.first().getByTestId('demo-badge').innerText()).toMatch(/smoke test/i);
    await page.screenshot({ path: screenshotPath('leaderboard'), fullPage: true });

    // Sorting by p99 from the header is a keyboard-reachable button.
    await page.getByRole('button', { name: /^p99/ }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/sort=p99Ns/, WAIT);
    await row.first().waitFor(WAIT);
  });

  it('opens the report from the leaderboard and draws its charts', async () => {
    await page.getByRole('link', { name: /^mlp-web@/ }).first().click();
    await page.waitForURL(new RegExp(`/reports/${firstReportId}$`), WAIT);
    for (const chart of ['chart-latency-histogram', 'chart-latency-over-time', 'chart-profile']) {
      await page.getByTestId(chart).locator('svg').waitFor(WAIT);
      await expect.poll(() => svgShapes(page, chart), WAIT).toBeGreaterThan(5);
    }
    // The CPU device has no power meter: the page says so instead of drawing nothing.
    await page.getByRole('heading', { name: 'Power was not measured' }).waitFor(WAIT);
    // A run that got faster is not a "-50 % slowdown".
    const drift = await page.locator('.kv div').filter({ hasText: 'Thermal drift' }).locator('dd').innerText();
    expect(drift).not.toMatch(/-\d/);
    expect(drift).toMatch(/^(none|detected) \(.*(faster|slower|no change)/);
    // What the report binds: the harness build that measured and the device identity check.
    expect(await page.getByTestId('identity-badge').innerText()).toBe('identity unverified');
    expect(await page.locator('.kv div').filter({ hasText: 'Device identity' }).locator('dd').innerText()).toMatch(/firmwareVersion: lab acme-fw-1, observed not observable/);
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(await page.locator('.kv div').filter({ hasText: 'Harness build' }).locator('dd').innerText()).toMatch(new RegExp(`^${pkg.version.replaceAll('.', '\\.')} [0-9a-f]{12}`));
    await page.screenshot({ path: screenshotPath('report'), fullPage: true });
  });

  it('signs a vendor in, submits a job from the UI and watches it reach SUCCEEDED live', async () => {
    await page.goto(`${t.url}/login`);
    await page.getByLabel('API key').fill(vendor.key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/vendor\/jobs$/, WAIT);
    expect(page.url()).not.toContain(vendor.key);
    expect(await page.evaluate("sessionStorage.getItem('npubench.apiKey')")).toBe(vendor.key);
    await page.getByTestId('sse-state').filter({ hasText: 'connected' }).waitFor(WAIT);

    await page.getByRole('link', { name: 'Submit a job' }).click();
    await page.waitForURL(/\/vendor\/submit$/, WAIT);
    await page.getByLabel('Model').selectOption(modelId);
    await page.getByLabel('Device').selectOption('npu-browser');
    await page.getByLabel('Suite preset').selectOption('smoke');
    await page.getByLabel('Extra suite fields (JSON, optional)').fill('{"minQueryCount": 64, "minDurationMs": 1500, "repeatCount": 2}');
    // Installed before submitting: the app navigates client-side, so the recorder sees the new card from its first render.
    await page.evaluate(RECORD_STATUSES);
    await page.getByRole('button', { name: 'Submit' }).click();
    await page.waitForURL(/\/vendor\/jobs$/, WAIT);

    // The job the form created (the list also holds the earlier, finished one).
    const submitted = await t.deps.db.job.findFirstOrThrow({ where: { modelId }, orderBy: { createdAt: 'desc' } });
    const card = page.getByTestId(`job-${submitted.id}`);
    try {
      await page.locator(`[data-testid="job-${submitted.id}"][data-status="SUCCEEDED"]`).waitFor({ timeout: 180_000 });
    } catch (err) {
      const job = await t.deps.db.job.findUniqueOrThrow({ where: { id: submitted.id }, select: { status: true, progress: true, phase: true, errorCode: true } });
      throw new Error(`${(err as Error).message}\njob in the DB: ${JSON.stringify(job)}\nseen: ${JSON.stringify(await page.evaluate('window.seenStatuses'))}\ntext: ${await page.locator('main').innerText()}`);
    }
    const seen = ((await page.evaluate('window.seenStatuses')) as Record<string, string[]>)[`job-${submitted.id}`]!;
    expect(seen.some((s) => /^RUNNING:0\.\d+$/.test(s)), seen.join(' ')).toBe(true);
    expect(seen.at(-1)).toBe('SUCCEEDED:1');
    await card.getByTestId('job-report-link').waitFor(WAIT);
    // The card says what ran: the model and the preset, not only the device.
    expect(await card.innerText()).toMatch(/mlp-web@1/);
    expect(await card.innerText()).toMatch(/smoke preset/);
    await page.screenshot({ path: screenshotPath('vendor-jobs'), fullPage: true });
  });

  it('lists the vendor\'s models and compares two reports side by side with deltas', async () => {
    await page.goto(`${t.url}/vendor/models`);
    await page.getByRole('cell', { name: /^mlp-web@/ }).waitFor(WAIT);
    const job = await t.deps.db.job.findFirstOrThrow({ where: { modelId, status: 'SUCCEEDED' }, orderBy: { createdAt: 'desc' }, include: { report: true } });
    await page.goto(`${t.url}/compare?a=${firstReportId}&b=${job.report!.id}`);
    const table = page.getByTestId('compare-table');
    await table.waitFor(WAIT);
    expect(await table.getByRole('row').count()).toBe(8);
    expect(await table.getByRole('row', { name: /^p99 \(ms\)/ }).innerText()).toMatch(/[+-]\d+\.\d %|—/);
    expect(await table.getByRole('row', { name: /Energy/ }).innerText()).toMatch(/not measured/);
    // At 1280 px the deltas are on screen, not behind a sideways scroll (the device name is a long one).
    const delta = await cellBox(page, 'compare-table', '^Δ');
    expect(delta.text).toMatch(/[+-]\d+\.\d %|—/);
    expect(inside(delta.cell, { ...delta.wrap, left: 0, right: Math.min(delta.wrap.right, delta.width) })).toBe(true);
    await page.screenshot({ path: screenshotPath('compare'), fullPage: true });
  });

  it('verifies the certificate in the browser, shows a tampered one as invalid, and agrees with the Node verifier', async () => {
    const job = await t.deps.db.job.findFirstOrThrow({ where: { modelId, status: 'SUCCEEDED' }, orderBy: { createdAt: 'desc' }, include: { report: true } });
    const certificateId = await certify(job.report!.id);
    await page.goto(`${t.url}/certificates/${certificateId}`);
    await page.getByTestId('verification-badge').waitFor(WAIT);
    expect(await page.getByTestId('verification-badge').innerText()).toMatch(/Valid/);
    expect(await page.getByRole('link', { name: 'Download PDF' }).getAttribute('href')).toBe(`/v1/certificates/${certificateId}/pdf`);
    await page.screenshot({ path: screenshotPath('certificate'), fullPage: true });

    const bundle = (await api('GET', `/v1/certificates/${certificateId}`)) as unknown as CertificateBundle;
    const keys = await trustedKeysFromJwks(await api('GET', '/.well-known/jwks.json'));
    const logKey = await logKeyFromVkey(((await api('GET', '/v1/transparency/log-key')) as unknown as { vkey: string }).vkey);
    const payload = Buffer.from(bundle.envelope.payload, 'base64');
    // A changed figure inside the signed statement: same length, one byte different.
    const text = payload.toString('utf8').replace('"verdict":"PASS"', '"verdict":"PASs"');
    const tampered = { ...bundle, envelope: { ...bundle.envelope, payload: Buffer.from(text, 'utf8').toString('base64') } };
    expect((await verifyCertificateBundle(bundle, keys, logKey)).status).toBe('valid');
    expect((await verifyCertificateBundle(tampered, keys, logKey)).status).toBe('invalid');

    await page.goto(`${t.url}/verify`);
    const verifyText = async (doc: unknown) => {
      await page.getByTestId('verify-input').fill(JSON.stringify(doc));
      await page.getByRole('button', { name: 'Verify' }).click();
      await page.getByTestId('verification-badge').waitFor(WAIT);
      return page.getByTestId('verification').innerText();
    };
    expect(await verifyText(bundle)).toMatch(/Valid/);
    const result = await verifyText(tampered);
    expect(result).toMatch(/Invalid/);
    expect(result).toMatch(/signature: failed — signature check failed: bad_signature/);
    await page.screenshot({ path: screenshotPath('verify-tampered'), fullPage: true });

    // Revoked: the downloaded bundle now carries the revocation, and the browser says so.
    await api('POST', `/v1/certificates/${certificateId}/revoke`, certifier.key, { reason: 'browser test' });
    await page.goto(`${t.url}/certificates/${certificateId}`);
    await page.getByTestId('verification-badge').filter({ hasText: 'Revoked' }).waitFor(WAIT);
  });

  it('refuses a forged certificate pasted in /verify: re-signed by another key whose jwksUrl serves that key, it is not from this issuer', async () => {
    const attackerKey = newIssuerKey();
    const attackerLog = newLogKey(t.deps.logSigner.name);
    const attacker = await startJsonServer({ '/.well-known/jwks.json': jwksOf(attackerKey), '/v1/transparency/log-key': logKeyAnswer(attackerLog) });
    try {
      const forged = makeBundle({ issuerUrl: t.url, key: attackerKey, log: attackerLog, vendor: 'Forged Vendor Inc', p90: '0.001 ms', jwksUrl: `${attacker.url}/.well-known/jwks.json`, verificationUrl: `${attacker.url}/v1/certificates/x/verify` });
      await page.goto(`${t.url}/verify`);
      await page.getByTestId('verify-input').fill(JSON.stringify(forged));
      await page.getByRole('button', { name: 'Verify' }).click();
      await page.getByTestId('verification-badge').waitFor(WAIT);
      const result = await page.getByTestId('verification').innerText();
      expect(result).toMatch(/Invalid/);
      expect(result).not.toMatch(/✔ Valid/);
      expect(result).toContain(attackerKey.keyId);
      expect(result).toMatch(/not from this issuer/);
      expect(result).toContain(new URL(t.url).origin);
      expect(attacker.requests).toEqual([]);
    } finally {
      await attacker.close();
    }
  });

  it('shows the transparency log, a device page and the lab view to a certifier, and refuses the lab view to a vendor', async () => {
    await page.goto(`${t.url}/lab`);
    await page.getByText('Not allowed').waitFor(WAIT);

    await page.goto(`${t.url}/transparency`);
    await page.getByTestId('log-table').locator('tbody tr').nth(2).waitFor(WAIT);
    await page.screenshot({ path: screenshotPath('transparency'), fullPage: true });

    await page.goto(`${t.url}/devices/npu-browser?demo=show`);
    await page.getByTestId('agents-online').filter({ hasText: '1 of 1' }).waitFor(WAIT);
    await expect.poll(() => svgShapes(page, 'chart-device-history'), WAIT).toBeGreaterThan(3);
    await page.screenshot({ path: screenshotPath('device'), fullPage: true });

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.goto(`${t.url}/login`);
    await page.getByLabel('API key').fill(certifier.key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/lab$/, WAIT);
    await page.getByTestId('lab-health').getByText('online').first().waitFor(WAIT);
    await page.screenshot({ path: screenshotPath('lab'), fullPage: true });

    await page.getByText('Publish a new profile or profile version').click();
    await page.getByLabel('Name', { exact: true }).fill('browser-profile');
    await page.getByLabel('Title').fill('Published from the browser');
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByRole('status').filter({ hasText: 'Published browser-profile@1.' }).waitFor(WAIT);
    expect((await t.deps.db.certificationProfile.findUniqueOrThrow({ where: { id: 'browser-profile@1' } })).rules).toEqual({ minQueryCount: 1024, requireValidResult: true });
  });

  it('says so when the API is down or the key is wrong, instead of a blank page', async () => {
    await page.evaluate('sessionStorage.clear()');
    await page.goto(`${t.url}/login`);
    await page.getByLabel('API key').fill('npb_not_a_real_key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('error-state').waitFor(WAIT);
    expect(await page.getByTestId('error-state').innerText()).toMatch(/Sign in needed/);

    await page.route('**/v1/leaderboard?**', (route) => route.abort('connectionrefused'));
    await page.goto(`${t.url}/`);
    await page.getByTestId('error-state').waitFor(WAIT);
    expect(await page.getByTestId('error-state').innerText()).toMatch(/The API is not reachable/);
    await page.screenshot({ path: screenshotPath('api-down') });
    await page.unroute('**/v1/leaderboard?**');
  });

  it('draws the Pareto view of latency against energy and highlights the frontier', async () => {
    // Synthetic certified results with energy figures (the CPU device has no power meter).
    await seedCertifiedResults(t.databaseUrl, { count: 40, devices: 4, vendors: 2, energyEvery: 1 });
    await page.goto(`${t.url}/?profile=seed-latency@1`);
    await page.getByTestId('chart-pareto').locator('svg').waitFor(WAIT);
    await expect.poll(() => svgShapes(page, 'chart-pareto'), WAIT).toBeGreaterThan(40);
    const label = await page.getByTestId('chart-pareto').getAttribute('aria-label');
    expect(label).toMatch(/latency against energy per inference, [1-9]\d* results on the frontier/);
    await page.screenshot({ path: screenshotPath('leaderboard-seeded'), fullPage: true });
    await page.getByTestId('chart-pareto').screenshot({ path: screenshotPath('pareto') });

    // The key numbers fit a 1280 px screen without scrolling the table sideways.
    for (const header of ['^p99', '^Throughput', '^Energy', '^Accuracy']) {
      const { cell, wrap, width } = await cellBox(page, 'leaderboard-table', header);
      expect(cell.right, header).toBeLessThanOrEqual(Math.min(wrap.right, width) + 0.5);
    }

    const { box, texts, shapes } = await chartTexts(page, 'chart-pareto');
    // The y-axis name is whole, inside the chart.
    const yName = texts.find((x) => x.text === 'energy / inference (mJ)');
    expect(yName && inside(yName, box), JSON.stringify(yName)).toBe(true);
    // Legend: every entry inside the chart, no text running into another entry's icon or text.
    const legendTexts = texts.filter((x) => ['certified results', 'Pareto frontier', 'frontier'].includes(x.text));
    expect(legendTexts.length).toBeGreaterThanOrEqual(2);
    const band = { top: Math.min(...legendTexts.map((x) => x.top)) - 2, bottom: Math.max(...legendTexts.map((x) => x.bottom)) + 2 };
    const legend = [...legendTexts, ...shapes.filter((x) => x.top >= band.top && x.bottom <= band.bottom && x.right - x.left < 40)];
    for (const item of legend) expect(inside(item, box), JSON.stringify(item)).toBe(true);
    for (const [i, a] of legend.entries()) for (const b of legend.slice(i + 1)) expect(overlap(a, b), `${JSON.stringify(a)} overlaps ${JSON.stringify(b)}`).toBe(false);
    // The frontier's points say which result they are.
    const pointLabels = texts.filter((x) => /seed-model@1 on Seed NPU \d/.test(x.text) && x.right > x.left);
    expect(pointLabels.length).toBeGreaterThan(0);
    for (const l of pointLabels) expect(inside(l, box), JSON.stringify(l)).toBe(true);
    for (const [i, a] of pointLabels.entries()) for (const b of pointLabels.slice(i + 1)) expect(overlap(a, b), `${a.text} overlaps ${b.text}`).toBe(false);
  });

  it('draws the power trace with legend colours matching its lines, and names every operator whole', async () => {
    meteredReportId = await runJob('npu-metered', { preset: 'smoke', minDurationMs: 500 });
    const tour = await browser.newPage();
    const problems = watchProblems(tour);
    await tour.goto(`${t.url}/reports/${meteredReportId}`);
    await tour.getByTestId('chart-power').locator('svg text').first().waitFor(WAIT);
    const option = await chartOption(tour, 'chart-power');
    const lines = (option?.series ?? []).filter((x) => x.type === 'line');
    expect(lines.length).toBe(3);
    for (const line of lines) {
      const lineColour = (line.lineStyle as { color?: string }).color;
      // The legend draws a series' item colour; it must be the colour of its line.
      expect(lineColour, String(line.name)).toBeTruthy();
      expect((line.itemStyle as { color?: string } | undefined)?.color ?? line.color, String(line.name)).toBe(lineColour);
    }
    await settle(tour);
    expect(problems).toEqual([]);
    await tour.screenshot({ path: screenshotPath('report-metered'), fullPage: true });

    // Real models have operator types far longer than the fixture's: the names must not be cut off.
    await tour.route(`**/v1/reports/${meteredReportId}`, async (route) => {
      const body = (await (await route.fetch()).json()) as { profile: { byOpType: { opType: string }[] } };
      body.profile.byOpType.push({ opType: 'com.microsoft.SkipSimplifiedLayerNormalization', nodes: 24, meanUsPerIteration: 3.5, share: 0.1 } as never);
      await route.fulfill({ json: body });
    });
    await tour.reload();
    await tour.getByTestId('chart-profile').locator('svg text').first().waitFor(WAIT);
    const { box, texts } = await chartTexts(tour, 'chart-profile');
    const names = texts.filter((x) => /\(\d+\)$/.test(x.text));
    expect(names.map((x) => x.text)).toContain('com.microsoft.SkipSimplifiedLayerNormalization (24)');
    for (const n of names) expect(inside(n, box), JSON.stringify(n)).toBe(true);
    await tour.getByTestId('chart-profile').screenshot({ path: screenshotPath('profile-long-names') });
    await tour.close();
  });

  it('shows the device history on a date axis', async () => {
    await page.goto(`${t.url}/devices/npu-browser?demo=show`);
    await page.getByTestId('chart-device-history').locator('svg text').first().waitFor(WAIT);
    const { box, texts } = await chartTexts(page, 'chart-device-history');
    // The x-axis labels: the lowest row of texts.
    const lowest = Math.max(...texts.map((x) => x.top));
    const ticks = texts.filter((x) => x.top > lowest - 3).map((x) => x.text);
    expect(ticks.length).toBeGreaterThan(0);
    for (const tick of ticks) expect(tick).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const yName = texts.find((x) => x.text === 'target latency (ms)');
    expect(yName && inside(yName, box), JSON.stringify(yName)).toBe(true);
  });

  it('on a normal visit to every page, at 1280 and 390 px: no console errors, no sideways scroll', async () => {
    const compareB = (await t.deps.db.job.findFirstOrThrow({ where: { modelId, status: 'SUCCEEDED', device: { slug: 'npu-browser' } }, orderBy: { createdAt: 'desc' }, include: { report: true } })).report!.id;
    const visits: { who: 'public' | 'vendor' | 'certifier'; name: string; url: string }[] = [
      { who: 'public', name: 'leaderboard', url: '/' },
      { who: 'public', name: 'leaderboard-demo', url: '/?demo=show' },
      { who: 'public', name: 'leaderboard-seeded', url: '/?profile=seed-latency@1' },
      { who: 'public', name: 'devices', url: '/devices' },
      { who: 'public', name: 'device', url: '/devices/npu-browser' },
      { who: 'public', name: 'device-demo', url: '/devices/npu-browser?demo=show' },
      { who: 'public', name: 'report', url: `/reports/${firstReportId}` },
      { who: 'public', name: 'report-metered', url: `/reports/${meteredReportId}` },
      { who: 'public', name: 'certificate', url: `/certificates/${firstCertificateId}` },
      { who: 'public', name: 'verify', url: '/verify' },
      { who: 'public', name: 'transparency', url: '/transparency' },
      { who: 'public', name: 'suites', url: '/suites' },
      { who: 'public', name: 'compare', url: `/compare?a=${firstReportId}&b=${compareB}` },
      { who: 'public', name: 'login', url: '/login' },
      { who: 'vendor', name: 'vendor-jobs', url: '/vendor/jobs' },
      { who: 'vendor', name: 'vendor-models', url: '/vendor/models' },
      { who: 'vendor', name: 'vendor-submit', url: '/vendor/submit' },
      { who: 'certifier', name: 'lab', url: '/lab' },
    ];
    const failures: string[] = [];
    for (const width of [1280, 390]) {
      for (const who of ['public', 'vendor', 'certifier'] as const) {
        const tab = await browser.newPage();
        await tab.setViewportSize({ width, height: width > 400 ? 900 : 844 });
        if (who !== 'public') await tab.addInitScript(`sessionStorage.setItem('npubench.apiKey', ${JSON.stringify(who === 'vendor' ? vendor.key : certifier.key)})`);
        const problems = watchProblems(tab);
        for (const visit of visits.filter((v) => v.who === who)) {
          problems.length = 0;
          await tab.goto(`${t.url}${visit.url}`);
          await settle(tab);
          const scroll = (await tab.evaluate('[document.documentElement.scrollWidth, innerWidth]')) as [number, number];
          if (scroll[0] > scroll[1]) failures.push(`${visit.name} at ${width} px is ${scroll[0]} px wide`);
          if (problems.length) failures.push(`${visit.name} at ${width} px: ${problems.join('; ')}`);
          await tab.screenshot({ path: screenshotPath(`tour-${visit.name}-${width}`), fullPage: true });
        }
        await tab.close();
      }
    }
    expect(failures).toEqual([]);
  });

  it('fits a phone-sized screen', async () => {
    const phone = await browser.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(`${t.url}/`);
    await phone.getByTestId('leaderboard-table').waitFor(WAIT);
    // The page itself never scrolls sideways; the wide table scrolls inside its own box.
    expect(await phone.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    // A phone shows the numbers themselves, not the first columns of a table to scroll through.
    for (const header of ['^Target latency', '^p99', '^Throughput', '^Energy']) {
      const { cell, text } = await cellBox(phone, 'leaderboard-table', header);
      expect(text, header).toMatch(/\d|—/);
      expect(inside(cell, { left: 0, right: 390, top: -1e6, bottom: 1e6 }), `${header}: ${JSON.stringify(cell)}`).toBe(true);
    }
    await phone.screenshot({ path: screenshotPath('leaderboard-phone'), fullPage: true });
    // The compare page's deltas too.
    const other = (await t.deps.db.job.findFirstOrThrow({ where: { modelId, status: 'SUCCEEDED', device: { slug: 'npu-browser' } }, orderBy: { createdAt: 'desc' }, include: { report: true } })).report!.id;
    await phone.goto(`${t.url}/compare?a=${firstReportId}&b=${other}`);
    await phone.getByTestId('compare-table').waitFor(WAIT);
    const delta = await cellBox(phone, 'compare-table', '^Δ');
    expect(delta.text).toMatch(/[+-]\d+\.\d %|—/);
    expect(inside(delta.cell, { left: 0, right: 390, top: -1e6, bottom: 1e6 }), JSON.stringify(delta.cell)).toBe(true);
    await phone.goto(`${t.url}/reports/${firstReportId}`);
    await phone.getByTestId('chart-latency-histogram').locator('svg').waitFor(WAIT);
    expect(await phone.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await phone.screenshot({ path: screenshotPath('report-phone'), fullPage: true });
    await phone.close();
  });

  it('draws one ranking per workload, rank numbers restarting, and a Pareto view only for one workload', async () => {
    // 30 more seeded results over three workloads (seed workload 0 already has the Pareto test's 40).
    await seedCertifiedResults(t.databaseUrl, { count: 30, devices: 4, vendors: 2, energyEvery: 1, workloads: 3 });
    // One device: few enough rows that all three workloads are on the first page.
    await page.goto(`${t.url}/?profile=seed-latency@1&device=seed-npu-2`);
    const table = page.getByTestId('leaderboard-table');
    await table.locator('tr.workload-heading').first().waitFor(WAIT);
    const groups = (await page.evaluate(`[...document.querySelectorAll('[data-testid="leaderboard-table"] tbody')].map((b) => ({
      heading: b.querySelector('tr.workload-heading')?.textContent ?? '',
      ranks: [...b.querySelectorAll('td.rank')].map((c) => c.textContent),
    }))`)) as { heading: string; ranks: string[] }[];
    // In workload id order: the digests sorted.
    const labels = [0, 1, 2].map((k) => seededWorkloadDigest(k)).sort().map((d) => `Unlisted model sha256:${d.slice(0, 12)}`);
    expect(groups.map((g) => labels.find((l) => g.heading.includes(l)))).toEqual(labels);
    for (const g of groups) expect(g.ranks).toEqual(g.ranks.map((_, i) => String(i + 1)));
    expect(await page.getByTestId('empty-state').last().innerText()).toMatch(/Pick a workload/);
    await page.screenshot({ path: screenshotPath('leaderboard-workloads'), fullPage: true });
    // One workload chosen: its ranking alone, with its Pareto view.
    await page.getByLabel('Workload').selectOption({ label: labels[1]! });
    await page.waitForURL(/workload=/, WAIT);
    await page.getByTestId('leaderboard-workload').waitFor(WAIT);
    expect(await page.getByTestId('leaderboard-workload').innerText()).toContain(labels[1]);
    expect(await table.locator('tr.workload-heading').count()).toBe(0);
    await page.getByTestId('chart-pareto').locator('svg').waitFor(WAIT);
  });
});
