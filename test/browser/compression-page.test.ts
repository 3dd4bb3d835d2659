// The compression page in chromium at 1280 and 390 px, over real runs: the FP32 image-classification
// reference and its INT8 QDQ variant benchmarked on the CPU host by a real agent (no power meter, so
// energy shows "not measured"). Screenshots go to test-artifacts/screenshots (gitignored).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { startTestAgent, waitForJob } from '../helpers/test-agent.js';
import { bearer } from '../helpers/problem.js';
import { fixtureModel, modelForm } from '../helpers/fixtures.js';
import { ensureDashboardBuilt, launchBrowser, screenshotPath } from '../helpers/browser.js';
import type { CompressionView } from '../../src/contracts/compression.js';

const WAIT = { timeout: 90_000 };
const DEVICE = 'cpu-host-compression';
let t: TestApi;
let browser: BrowserContext;
let vendor: { key: string };
let referenceId: string;

async function upload(file: string, lineage: Record<string, string> = {}): Promise<string> {
  const up = await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: modelForm(fixtureModel(file), { name: file.replace('.onnx', ''), ...lineage }) });
  expect(up.statusCode, up.body).toBe(201);
  return (up.json() as { id: string }).id;
}

async function run(modelId: string, reference?: string): Promise<void> {
  const payload = { modelId, device: DEVICE, suite: { preset: 'smoke', minQueryCount: 64, ...(reference && { accuracy: { fidelitySamples: 8 } }) }, ...(reference && { referenceModelId: reference }) };
  const res = await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendor.key), payload });
  expect(res.statusCode, res.body).toBe(201);
  const job = await waitForJob(t, (res.json() as { id: string }).id, 180_000);
  expect(job.status, `${job.errorCode}: ${job.errorMessage}`).toBe('SUCCEEDED');
}

beforeAll(async () => {
  await ensureDashboardBuilt();
  t = await startTestApi({ listen: true });
  const admin = await t.createOrgWithKey('ADMIN');
  vendor = await t.createOrgWithKey('VENDOR', 'compression-vendor');
  const res = await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug: DEVICE, name: 'Host CPU (a long real host name, 64-Core Processor)', manufacturer: 'test' } });
  expect(res.statusCode, res.body).toBe(201);
  await startTestAgent(t, [DEVICE]);
  referenceId = await upload('tiny-cnn.onnx');
  const int8 = await upload('tiny-cnn-int8-qdq.onnx', { variantOf: createHash('sha256').update(readFileSync(fixtureModel('tiny-cnn.onnx'))).digest('hex'), variantTechnique: 'quantization' });
  await run(referenceId);
  await run(int8, referenceId);
  browser = await launchBrowser();
}, 600_000);

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

describe('compression page', { timeout: 300_000 }, () => {
  for (const width of [1280, 390]) {
    it(`shows the INT8 variant beside FP32 at ${width} px, inside the viewport`, async () => {
      const view = (await t.app.inject({ method: 'GET', url: `/v1/compression?device=${DEVICE}&referenceModelId=${referenceId}`, headers: bearer(vendor.key) })).json() as CompressionView;
      const { page, problems } = await signedInPage(width);
      await page.getByRole('link', { name: 'Compression' }).click();
      await page.getByLabel('Device slug').fill(DEVICE);
      await page.getByLabel('Reference model id').fill(referenceId);
      await page.getByRole('button', { name: 'Show' }).click();
      await page.getByTestId('compression-table').waitFor(WAIT);
      const row = page.getByTestId('compression-variant');
      expect(await row.count()).toBe(1);
      const text = await row.innerText();
      const variant = view.variants[0]!;
      expect(text).toContain('tiny-cnn-int8-qdq');
      expect(text).toContain(`${variant.speedup.toFixed(2)}×`);
      expect(text).toContain(`${variant.sizeRatio.toFixed(2)}×`);
      expect(text).toContain(`${(variant.quality!.retained * 100).toFixed(2)} %`);
      expect(text).toContain('not measured');
      expect(text).toContain('closed division');
      expect(text).toContain('quantization');
      expect(text.includes('indistinguishable')).toBe(variant.indistinguishable === true);
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(width);
      await page.screenshot({ path: screenshotPath(`compression-${width}`), fullPage: true });
      expect(problems).toEqual([]);
      await page.close();
    });
  }
});
