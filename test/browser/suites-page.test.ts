// /suites in chromium at 1280 and 390 px: every published suite (npubench-edge@1–3 and the sector suites)
// renders with its digest and workloads as GET /v1/suites serves them, no page is wider than the screen,
// and nothing errors. Screenshots go to test-artifacts/screenshots.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext } from 'playwright-core';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { ensureDashboardBuilt, launchBrowser, screenshotPath } from '../helpers/browser.js';
import type { SuiteDocument, SuiteList } from '../../src/contracts/suites.js';

let t: TestApi;
let browser: BrowserContext;

beforeAll(async () => {
  await ensureDashboardBuilt();
  t = await startTestApi({ listen: true });
  browser = await launchBrowser();
}, 300_000);
afterAll(async () => browser?.close());

describe('suites page', { timeout: 300_000 }, () => {
  it.each([1280, 390])('shows every published suite and its workloads at %i px', async (width) => {
    const { items } = (await t.app.inject({ method: 'GET', url: '/v1/suites' })).json() as SuiteList;
    expect(items.map((s) => s.id)).toEqual(expect.arrayContaining(['npubench-edge@3', 'npubench-vision-robotics@1', 'npubench-smartphone-slm@1', 'npubench-home-speech@1']));
    const page = await browser.newPage();
    await page.setViewportSize({ width, height: width > 400 ? 900 : 844 });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    await page.goto(`${t.url}/suites`);
    for (const summary of items) {
      const section = page.getByTestId(`suite-${summary.id}`);
      await section.waitFor({ timeout: 90_000 });
      const text = await section.innerText();
      expect(text).toContain(summary.digest);
      const suite = (await t.app.inject({ method: 'GET', url: `/v1/suites/${summary.id}` })).json() as SuiteDocument;
      const cards = section.locator('[data-testid^="suite-workload-"]');
      const shown: (string | null)[] = [];
      for (let i = 0; i < (await cards.count()); i++) shown.push(await cards.nth(i).getAttribute('data-testid'));
      expect(shown).toEqual(suite.workloads.map((w) => `suite-workload-${w.id}`));
    }
    const squeezenet = page.getByTestId('suite-npubench-vision-robotics@1').getByTestId('suite-workload-image-classification-224');
    expect(await squeezenet.innerText()).toContain('scenes-224@1');
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(width);
    expect(problems).toEqual([]);
    await page.screenshot({ path: screenshotPath(`suites-${width}`), fullPage: true });
    await squeezenet.screenshot({ path: screenshotPath(`suites-image-classification-224-${width}`) });
    await page.close();
  });
});
