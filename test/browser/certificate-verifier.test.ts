// The certificate verifier in real Chromium (Debian's, through playwright-core): the module
// `npubench verify` runs on Node is bundled for the browser as it is (esbuild, platform browser, so a
// Node import would fail the build) and run in a page over the whole corpus of genuine and tampered
// bundles; each verdict and every check line must equal Node's. Then the dashboard's /verify page, at
// phone and desktop widths, verifies a genuine bundle against a pasted key set and refuses a forgery.
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { ensureDashboardBuilt, launchBrowser, screenshotPath } from '../helpers/browser.js';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { startJsonServer, type JsonServer } from '../helpers/certificate-corpus.js';
import { certificateCases, labJwks, labLog, verifyCase, type CaseInput } from '../helpers/certificate-cases.js';

const WAIT = { timeout: 90_000 };
const GLOBAL = 'npubenchVerifier';

/** test/helpers/verify-case.ts and everything it imports, as one browser script defining window.npubenchVerifier. */
async function browserBundle(): Promise<string> {
  const out = await build({
    entryPoints: [fileURLToPath(new URL('../helpers/verify-case.ts', import.meta.url))],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    globalName: GLOBAL,
    target: 'chrome120',
    write: false,
    logLevel: 'silent',
  });
  return out.outputFiles[0]!.text;
}

let browser: BrowserContext;
let page: Page;
let origin: JsonServer;
beforeAll(async () => {
  const [script, context] = await Promise.all([browserBundle(), launchBrowser()]);
  browser = context;
  // A page on http://127.0.0.1, a secure context (WebCrypto needs one), with the verifier loaded.
  origin = await startJsonServer({ '/': {} });
  page = await browser.newPage();
  await page.goto(origin.url);
  await page.addScriptTag({ content: script });
});
afterAll(() => origin?.close());

describe('the certificate verifier in Chromium', () => {
  const cases = certificateCases();

  it('runs in a secure context with Ed25519 in WebCrypto', async () => {
    expect(await page.evaluate('isSecureContext')).toBe(true);
    expect(await page.evaluate(`typeof ${GLOBAL}.verifyCase`)).toBe('function');
    expect(await page.evaluate('navigator.userAgent')).toMatch(/Chrome\/\d+/);
  });

  it.each(cases)('$name → $expected, as on Node', async (c) => {
    const input: CaseInput = { bundle: c.bundle, jwks: c.jwks, vkey: c.vkey, issuer: c.issuer, now: c.now, ...(c.maxStatusAgeMs !== undefined && { maxStatusAgeMs: c.maxStatusAgeMs }) };
    const [inChromium, onNode] = await Promise.all([
      // Runs in the page (a string: the test project has no DOM types); the input is JSON, a JS expression.
      page.evaluate(`${GLOBAL}.verifyCase(${JSON.stringify(input)})`),
      verifyCase(input),
    ]);
    expect(onNode.status).toBe(c.expected);
    // JSON both ways: what the page returns went through structured cloning.
    expect(inChromium).toEqual(JSON.parse(JSON.stringify(onNode)));
  });
});

describe('the /verify page', () => {
  let t: TestApi;
  beforeAll(async () => {
    await ensureDashboardBuilt();
    t = await startTestApi({ listen: true });
  });

  const find = (name: string) => certificateCases().find((c) => c.name === name)!;

  for (const width of [1280, 390]) {
    it(`verifies a pasted certificate against a pasted key set at ${width} px, and refuses a forgery`, async () => {
      const p = await browser.newPage();
      try {
        await p.setViewportSize({ width, height: 900 });
        await p.goto(`${t.url}/verify`);
        const verify = async (bundle: unknown) => {
          await p.getByTestId('verify-input').fill(JSON.stringify(bundle));
          await p.getByText('Use a key set you obtained yourself').click();
          await p.getByLabel(/JWKS JSON/).fill(JSON.stringify(labJwks));
          await p.getByLabel(/Transparency log key/).fill(labLog.vkey);
          await p.getByRole('button', { name: 'Verify' }).click();
          await p.getByTestId('verification-badge').waitFor(WAIT);
          return p.getByTestId('verification').innerText();
        };
        const genuine = await verify(find('genuine').bundle);
        expect(genuine).toMatch(/✔ Valid/);
        expect(genuine).toMatch(/the key set you pasted/);
        expect(genuine).toMatch(/log inclusion: passed/);
        await p.screenshot({ path: screenshotPath(`verify-pasted-valid-${width}`), fullPage: true });
        await p.reload();
        const forged = await verify(find('forged: re-signed by another key').bundle);
        expect(forged).toMatch(/✖ Invalid/);
        expect(forged).toMatch(/not from this issuer \(unknown_key\)/);
        // Nothing wider than the screen: no sideways scrolling on a phone.
        expect(await p.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(width);
        await p.screenshot({ path: screenshotPath(`verify-pasted-forged-${width}`), fullPage: true });
        // A lab's PASS over facts that fail its rules: every rule re-evaluated in the page, the lie named.
        await p.reload();
        const lying = await verify(find('v3: the lab signs a PASS over facts that fail its own rules').bundle);
        expect(lying).toMatch(/✖ Invalid/);
        expect(lying).toMatch(/rules: failed — verdict_mismatch/);
        const rules = await p.getByTestId('rule-recheck').innerText();
        expect(rules).toMatch(/PASS minQueryCount — expected queries ≥ 1024; measured queries = 1024/);
        expect(rules).toMatch(/FAIL latency — expected p90 ≤ 5 ms; measured p90 = 7\.500 ms \(latency above the bound\) — signed as PASS/);
        expect(await p.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(width);
        await p.screenshot({ path: screenshotPath(`verify-pasted-rules-${width}`), fullPage: true });
      } finally {
        await p.close();
      }
    });
  }
});
