// Proof that the OpenAPI document is usable by a standard generator: openapi-typescript turns the live
// /openapi.json into types, a strict client program (test/fixtures/generated-client/client.ts, no type
// assertions) compiles against them with 0 errors, and then drives upload → job → report → MLPerf
// summary → certificate → PDF against a real API with a real agent. What it prints is checked against
// the database, not against the client's own reading.
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { startTestAgent } from '../helpers/test-agent.js';
import { bearer } from '../helpers/problem.js';
import { fixtureModel } from '../helpers/fixtures.js';
import type { Agent } from '../../src/workers/agent/agent.js';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURE = join(REPO, 'test/fixtures/generated-client');
const DEVICE = 'npu-generated-client';

let t: TestApi;
let agent: Agent;
let dir: string;
let lab: { key: string };
let vendor: { key: string };

beforeAll(async () => {
  t = await startTestApi({ listen: true });
  lab = await t.createOrgWithKey('ADMIN');
  vendor = await t.createOrgWithKey('VENDOR');
  const device = await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(lab.key), payload: { slug: DEVICE, name: 'NPU', manufacturer: 'test' } });
  expect(device.statusCode, device.body).toBe(201);
  agent = await startTestAgent(t, [DEVICE]);
  dir = await mkdtemp(join(tmpdir(), 'npubench-generated-client-'));
  // The program resolves openapi-fetch from the repository's node_modules, as an installed client would.
  await symlink(join(REPO, 'node_modules'), join(dir, 'node_modules'));
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** `format: binary` is a file: Blob in TypeScript (openapi-typescript's documented transform hook). */
const binaryAsBlob = (schema: { format?: string }) => (schema.format === 'binary' ? ts.factory.createTypeReferenceNode('Blob') : undefined);

describe('a client generated from /openapi.json', () => {
  it('compiles in strict TypeScript with no type assertions and runs the certification flow', async () => {
    const types = astToString(await openapiTS(new URL(`${t.url}/openapi.json`), { transform: binaryAsBlob }));
    await writeFile(join(dir, 'api.d.ts'), types);
    for (const file of ['client.ts', 'tsconfig.json', 'package.json']) await copyFile(join(FIXTURE, file), join(dir, file));

    const source = await readFile(join(dir, 'client.ts'), 'utf8');
    const code = source.replace(/\/\/.*$/gm, '');
    expect(code.match(/\bas\s+(unknown|any|[A-Z{[(]|const\b)/g) ?? [], 'type assertions in the client').toEqual([]);
    expect(code.match(/<[A-Za-z]+>\s*\w+\s*[;)]/g) ?? [], 'angle-bracket assertions').toEqual([]);
    expect(code.match(/\bany\b/g) ?? [], 'any in the client').toEqual([]);

    const tsc = await run(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json')], { cwd: dir }).catch((e: { stdout: string; stderr: string }) => e);
    expect(`${tsc.stdout}${tsc.stderr}`.trim(), 'tsc errors').toBe('');

    const { stdout } = await run(process.execPath, [join(REPO, 'node_modules/tsx/dist/cli.mjs'), join(dir, 'client.ts')], {
      cwd: dir,
      env: { ...process.env, NPUBENCH_API_URL: t.url, VENDOR_KEY: vendor.key, LAB_KEY: lab.key, DEVICE, MODEL_PATH: fixtureModel('mlp-classifier.onnx') },
      timeout: 240_000,
    });
    const out = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, string | number>;

    const job = await t.deps.db.job.findUniqueOrThrow({ where: { id: String(out.jobId) }, include: { report: true } });
    expect(job.modelId).toBe(out.modelId);
    expect(job.status).toBe('SUCCEEDED');
    expect(out.jobStatus).toBe('SUCCEEDED');
    expect(out.reportId).toBe(job.report?.id);
    expect(out.reportJobId).toBe(job.id);
    const cert = await t.deps.db.certificate.findUniqueOrThrow({ where: { id: String(out.certificateId) } });
    expect(cert.reportId).toBe(job.report?.id);
    expect(out.bundleCertificateId).toBe(cert.id);
    expect(out.summaryHead).toMatch(/^=+\nMLPerf Results Summary\n/);
    expect(out.pdfMagic).toBe('%PDF-');
    expect(typeof out.p90Ns).toBe('number');
  }, 300_000);
});
