import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jsQRModule from 'jsqr';
import { PDFDocument } from 'pdf-lib';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderCertificatePdf, type CertificatePdfView } from '../../src/services/certificates/certificate-pdf.js';

function sampleView(overrides: Partial<CertificatePdfView> = {}): CertificatePdfView {
  return {
    certificateId: 'cert_01JD8Z6Q3K4M7N2P5R8T0V3X6Y',
    profileId: 'vision-edge-v1',
    profileTitle: 'Edge vision, single stream (v1)',
    verdict: 'PASS',
    issuer: { name: 'Acme Test Laboratory', url: 'https://npubench.example.org' },
    statusMaxAgeDays: 30,
    serviceUrl: 'https://npubench.example.org',
    certifiedBy: 'Jane Doe of Acme Test Laboratory (API key 0b9f2c1e-4d7a-4c55-9f0e-5a1b2c3d4e5f)',
    reportId: '6f1c2d3e-4a5b-4c6d-8e7f-901a2b3c4d5e',
    device: {
      name: 'Orion Edge Dev Kit',
      slug: 'orion-edge-devkit',
      manufacturer: 'Acme Silicon',
      soc: 'Acme A7',
      npu: 'Acme NPU Gen3, 24 TOPS INT8',
    },
    vendor: { name: 'Acme Silicon Ltd.' },
    model: { name: 'resnet50', version: 'v1.7-int8', sha256: 'ab'.repeat(32) },
    workload: 'Image classification, fidelity to FP32 (tiny CNN, fixed weights), closed division',
    runtime: 'onnxruntime-node 1.30.0, EP cpu',
    keyFigures: [
      { label: 'Scenario', value: 'SingleStream, 1024 queries' },
      { label: 'p90 latency', value: '7.84 ms (limit 10 ms)' },
      { label: 'Throughput', value: '131.6 inferences/s' },
      { label: 'Result', value: 'all 4 requirements met' },
    ],
    issuedAt: new Date('2025-03-14T09:26:53Z'),
    expiresAt: new Date('2026-03-14T09:26:53Z'),
    signingKeyId: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs',
    verificationUrl: 'https://npubench.example.org/certificates/cert_01JD8Z6Q3K4M7N2P5R8T0V3X6Y',
    logIndex: 4182,
    ...overrides,
  };
}

// jsqr is CommonJS typed with `export default`; under NodeNext the default import is module.exports,
// which carries the decoder as `.default`.
const jsQR = jsQRModule.default;

const CJK_AND_EMOJI_VENDOR = '株式会社 NPU 🚀 Ünïcödé';

describe('renderCertificatePdf', () => {
  it('renders one A4 page', async () => {
    const doc = await PDFDocument.load(await renderCertificatePdf(sampleView()));
    expect(doc.getPageCount()).toBe(1);
    const { width, height } = doc.getPage(0).getSize();
    expect(width).toBeCloseTo(595.28, 1);
    expect(height).toBeCloseTo(841.89, 1);
  });

  it('gives identical bytes for the same input', async () => {
    const first = await renderCertificatePdf(sampleView());
    const second = await renderCertificatePdf(sampleView());
    expect(first.equals(second)).toBe(true);
  });

  it('renders a vendor name that WinAnsi cannot encode instead of throwing', async () => {
    const pdf = await renderCertificatePdf(sampleView({ vendor: { name: CJK_AND_EMOJI_VENDOR } }));
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });
});

const popplerMissing = ['pdftoppm', 'pdftotext'].some((tool) => spawnSync(tool, ['-v']).error !== undefined);

describe.skipIf(popplerMissing)(
  `renderCertificatePdf through poppler${popplerMissing ? ' (skipped: pdftoppm/pdftotext not found; install poppler-utils, as .ci/run does)' : ''}`,
  () => {
    const view = sampleView();
    let workDir = '';
    let pdfPath = '';
    let page: PNG;

    beforeAll(async () => {
      workDir = mkdtempSync(join(tmpdir(), 'npubench-cert-pdf-'));
      pdfPath = join(workDir, 'cert.pdf');
      writeFileSync(pdfPath, await renderCertificatePdf(view));
      page = renderPage(pdfPath, 100);
    });

    afterAll(() => {
      if (workDir) rmSync(workDir, { recursive: true, force: true });
    });

    function pdfText(path: string): string {
      return execFileSync('pdftotext', ['-enc', 'UTF-8', path, '-'], { encoding: 'utf8' });
    }

    function renderPage(path: string, dpi: number): PNG {
      const prefix = join(workDir, `page-${dpi}`);
      execFileSync('pdftoppm', ['-png', '-r', String(dpi), '-singlefile', path, prefix]);
      return PNG.sync.read(readFileSync(`${prefix}.png`));
    }

    function inkedFraction(png: PNG, fromRow: number, toRow: number): number {
      let inked = 0;
      for (let i = fromRow * png.width * 4; i < toRow * png.width * 4; i += 4) {
        if ((png.data[i] ?? 255) < 200 || (png.data[i + 1] ?? 255) < 200 || (png.data[i + 2] ?? 255) < 200) inked++;
      }
      return inked / (png.width * (toRow - fromRow));
    }

    it('carries the identifying text', () => {
      const text = pdfText(pdfPath);
      expect(text).toContain(view.certificateId);
      expect(text).toContain(view.profileTitle);
      expect(text).toContain(view.profileId);
      expect(text).toContain(view.device.name);
      for (const figure of view.keyFigures) expect(text).toContain(figure.value);
      expect(text.replace(/\s+/g, ' ')).toContain(view.workload);
      expect(text).toContain(view.signingKeyId);
      expect(text).toContain('npubench verify cert.json');
      expect(text).toContain('npubench trust add https://npubench.example.org');
    });

    it('names the issuing lab, the certifier and the signed report, and claims no benchmarking the statement does not state', () => {
      const text = pdfText(pdfPath).replace(/\s+/g, ' ');
      expect(text).toContain('Acme Test Laboratory (https://npubench.example.org) certifies');
      expect(text).toContain('Certified by Jane Doe of Acme Test Laboratory');
      expect(text).toContain('6f1c2d3e-4a5b-4c6d-8e7f-901a2b3c4d5e');
      expect(text).not.toMatch(/benchmarked by/i);
    });

    it('renders a non-blank, A4-proportioned page at 100 dpi', () => {
      expect(page.height / page.width).toBeCloseTo(297 / 210, 2);
      // The header band alone inks ~10% of the page, so the body (text, table, QR code) is checked apart
      // from it: a render that lost its content would leave the body nearly white.
      const bodyTop = Math.floor(page.height * 0.15);
      expect(inkedFraction(page, 0, page.height)).toBeGreaterThan(0.1);
      expect(inkedFraction(page, bodyTop, page.height)).toBeGreaterThan(0.03);
    });

    it('carries a QR code that decodes to the verification URL', () => {
      // At 100 dpi a module is ~4 px, enough for jsQR to find the code on the whole page.
      const qr = jsQR(new Uint8ClampedArray(page.data), page.width, page.height, { inversionAttempts: 'dontInvert' });
      expect(qr?.data).toBe(view.verificationUrl);
    });

    it('replaces characters WinAnsi cannot encode with "?"', async () => {
      const path = join(workDir, 'cjk.pdf');
      writeFileSync(path, await renderCertificatePdf(sampleView({ vendor: { name: CJK_AND_EMOJI_VENDOR } })));
      expect(pdfText(path)).toContain('???? NPU ? Ünïcödé');
    });
  },
);
