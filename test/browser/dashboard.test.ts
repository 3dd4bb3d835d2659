// The dashboard in a real browser (Debian chromium through playwright-core) against a real API, agent,
// Postgres and Redis: the leaderboard, a report's charts, a vendor signing in, submitting a job and
// watching it reach SUCCEEDED live, a certificate verified in the browser (and a tampered one refused),
// the empty, error and forbidden states, and a phone-sized layout. Screenshots go to
// test-artifacts/screenshots (gitignored). Every wait is for a condition, with generous timeouts.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { startTestAgent, waitForJob } from '../helpers/test-agent.js';
import { bearer } from '../helpers/problem.js';
import { fixtureModel, modelForm } from '../helpers/fixtures.js';
import { ensureDashboardBuilt, launchBrowser, screenshotPath } from '../helpers/browser.js';
import { seedCertifiedResults } from '../helpers/certified-results-seed.js';
import { verifyCertificateBundle, type CertificateBundle } from '../../src/lib/certificates/certificate-bundle.js';
import { keyResolverFromJwks, type Jwks } from '../../src/lib/crypto/signing-keys.js';

const WAIT = { timeout: 90_000 };
let t: TestApi;
let browser: BrowserContext;
let page: Page;
let admin: { key: string };
let certifier: { key: string };
let vendor: { key: string };
let modelId: string;
let firstReportId: string;

const api = async (method: 'GET' | 'POST', url: string, key?: string, payload?: unknown) => {
  const res = await t.app.inject({ method, url, ...(key && { headers: bearer(key) }), ...(payload !== undefined && { payload: payload as Record<string, unknown> }) });
  expect(res.statusCode, res.body).toBeLessThan(300);
  return res.json() as Record<string, unknown>;
};

async function runJob(): Promise<string> {
  const job = await api('POST', '/v1/jobs', vendor.key, { modelId, device: 'npu-browser', suite: { preset: 'smoke', minQueryCount: 64 } });
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

/** Paths and rects an ECharts SVG drew: more than the axes means data was plotted. */
const svgShapes = (p: Page, testId: string) => p.locator(`[data-testid="${testId}"] svg path, [data-testid="${testId}"] svg rect`).count();

beforeAll(async () => {
  await ensureDashboardBuilt();
  t = await startTestApi({ listen: true });
  admin = await t.createOrgWithKey('ADMIN');
  certifier = await t.createOrgWithKey('CERTIFIER', 'browser-lab');
  vendor = await t.createOrgWithKey('VENDOR', 'browser-vendor');
  await api('POST', '/v1/devices', admin.key, { slug: 'npu-browser', name: 'Browser NPU', manufacturer: 'Acme', soc: 'Acme S1' });
  await startTestAgent(t, ['npu-browser']);
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
    await certify(firstReportId);
    await page.reload();
    const row = page.getByTestId('leaderboard-table').locator('tbody tr');
    await row.first().waitFor(WAIT);
    expect(await row.count()).toBe(1);
    expect(await row.first().innerText()).toMatch(/mlp-web@.*Browser NPU.*browser-vendor/s);
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
    const jwks = (await api('GET', '/.well-known/jwks.json')) as unknown as Jwks;
    const payload = Buffer.from(bundle.envelope.payload, 'base64');
    // A changed figure inside the signed statement: same length, one byte different.
    const text = payload.toString('utf8').replace('"verdict":"PASS"', '"verdict":"PASs"');
    const tampered = { ...bundle, envelope: { ...bundle.envelope, payload: Buffer.from(text, 'utf8').toString('base64') } };
    expect(verifyCertificateBundle(tampered, keyResolverFromJwks(jwks)).status).toBe('invalid');

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

  it('shows the transparency log, a device page and the lab view to a certifier, and refuses the lab view to a vendor', async () => {
    await page.goto(`${t.url}/lab`);
    await page.getByText('Not allowed').waitFor(WAIT);

    await page.goto(`${t.url}/transparency`);
    await page.getByTestId('log-table').locator('tbody tr').nth(2).waitFor(WAIT);
    await page.screenshot({ path: screenshotPath('transparency'), fullPage: true });

    await page.goto(`${t.url}/devices/npu-browser`);
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
  });

  it('fits a phone-sized screen', async () => {
    const phone = await browser.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(`${t.url}/`);
    await phone.getByTestId('leaderboard-table').waitFor(WAIT);
    // The page itself never scrolls sideways; the wide table scrolls inside its own box.
    expect(await phone.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await phone.screenshot({ path: screenshotPath('leaderboard-phone'), fullPage: true });
    await phone.goto(`${t.url}/reports/${firstReportId}`);
    await phone.getByTestId('chart-latency-histogram').locator('svg').waitFor(WAIT);
    expect(await phone.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await phone.screenshot({ path: screenshotPath('report-phone'), fullPage: true });
    await phone.close();
  });
});
