// The report page of a searched Server run, in chromium at 1280 and 390 px: a real agent runs a Server job
// with a rate search on the MLP fixture, and the page lists every step (target rate, achieved QPS, the
// percentile latency against the bound, VALID/INVALID) as the stored summary has them — the summary the
// API recomputed from the raw queries on upload — and the reported run's own verdict beside the found rate.
// Screenshots go to test-artifacts/screenshots.
import { beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext } from 'playwright-core';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { startTestAgent, waitForJob } from '../helpers/test-agent.js';
import { bearer } from '../helpers/problem.js';
import { fixtureModel, modelForm } from '../helpers/fixtures.js';
import { ensureDashboardBuilt, launchBrowser, screenshotPath } from '../helpers/browser.js';

const DEVICE = 'cpu-server-search';
let t: TestApi;
let browser: BrowserContext;
let reportId: string;
type StoredSearch = {
  steps: { targetQps: number; achievedQps: number; percentileLatencyNs: number; earlyStoppingSatisfied: boolean; latencyBoundSatisfied: boolean; qpsSatisfied: boolean; result: string }[];
  foundQps: number | null;
  finalQps: number;
};
let stored: { result: string; serverSearch: StoredSearch };

beforeAll(async () => {
  await ensureDashboardBuilt();
  t = await startTestApi({ listen: true });
  const admin = await t.createOrgWithKey('ADMIN');
  const vendor = await t.createOrgWithKey('VENDOR', 'search-vendor');
  const dev = await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug: DEVICE, name: 'Host CPU', manufacturer: 'test' } });
  expect(dev.statusCode, dev.body).toBe(201);
  await startTestAgent(t, [DEVICE]);
  const up = await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: modelForm(fixtureModel('mlp-classifier.onnx'), { name: 'mlp-search', visibility: 'PUBLIC', task: 'classification' }) });
  expect(up.statusCode, up.body).toBe(201);
  const suite = { scenario: 'server', targetPercentile: 90, minQueryCount: 64, minDurationMs: 0, targetLatencyMs: 25, dynamicDims: { batch: 1 }, serverSearch: { maxSteps: 3, probeQueries: 16, stepMinDurationMs: 0, reportMarginPct: 10 } };
  const job = await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendor.key), payload: { modelId: (up.json() as { id: string }).id, device: DEVICE, suite } });
  expect(job.statusCode, job.body).toBe(201);
  const done = await waitForJob(t, (job.json() as { id: string }).id, 600_000);
  expect([done.status, done.errorCode]).toEqual(['SUCCEEDED', null]);
  const report = await t.deps.db.report.findFirstOrThrow({ where: { jobId: done.id } });
  reportId = report.id;
  stored = report.summary as unknown as typeof stored;
  browser = await launchBrowser();
}, 700_000);

describe('report page of a searched Server run', { timeout: 300_000 }, () => {
  for (const width of [1280, 390]) {
    it(`lists every search step and the reported run's own verdict at ${width} px`, async () => {
      const page = await browser.newPage();
      page.setDefaultTimeout(90_000);
      await page.setViewportSize({ width, height: 900 });
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console: ${m.text()}`);
      });
      page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
      await page.goto(`${t.url}/reports/${reportId}`);
      const section = page.getByTestId('server-search');
      await section.waitFor();
      const steps = stored.serverSearch.steps;
      expect(await page.locator('[data-testid="server-search-steps"] tbody tr').count()).toBe(steps.length);
      for (const [i, step] of steps.entries()) {
        const row = page.getByTestId(`server-search-step-${i}`);
        expect(await row.getAttribute('data-result')).toBe(step.result);
        const cells = await row.locator('td').allInnerTexts();
        // Formatted here from the stored figures: rate to 1/1000, achieved to 0.1, latency in ms against the bound.
        expect(cells[0]).toBe(String(i + 1));
        expect(cells[1]).toBe(step.targetQps.toFixed(3));
        expect(cells[2]).toBe(step.achievedQps.toFixed(1));
        expect(cells[3]).toMatch(step.percentileLatencyNs <= 25e6 ? /≤ bound$/ : /> bound$/);
        // The causes, from the stored flags: a step under the bound can still fail by falling behind its rate.
        const causes = [!step.latencyBoundSatisfied && 'over the bound', !step.qpsSatisfied && 'rate not sustained', !step.earlyStoppingSatisfied && 'early stopping not met'].filter(Boolean);
        expect(cells[4]).toBe(causes.length ? `${step.result} ${causes.join(', ')}` : step.result);
        if (step.result === 'VALID') expect(causes).toEqual([]);
      }
      const text = await section.innerText();
      const margin = stored.serverSearch.foundQps === null ? '' : ' (10 % below it, for headroom)';
      expect(text).toContain(`The reported run at ${stored.serverSearch.finalQps.toFixed(3)} QPS${margin} is judged on its own: ${stored.result}`);
      expect(text).toContain(stored.serverSearch.foundQps === null ? 'no step met the bound' : `highest passing rate ${stored.serverSearch.foundQps.toFixed(3)} QPS`);
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(width);
      await section.scrollIntoViewIfNeeded();
      await page.screenshot({ path: screenshotPath(`server-search-report-${width}`), fullPage: true });
      expect(problems).toEqual([]);
      await page.close();
    });
  }
});
