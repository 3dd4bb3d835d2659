// What a signed report binds, checked on reports a real agent produced: the model's every file and its
// canonical bundle digest as statement subjects. Expected digests are computed here independently
// (Python hashlib over the fixture files), never read back from the code under test.
import { execFileSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { startTestAgent, waitForJob } from '../helpers/test-agent.js';
import { bearer } from '../helpers/problem.js';
import { fixtureModel, modelForm } from '../helpers/fixtures.js';
import { pythonHarnessDigest, pythonSha256 } from '../helpers/independent-digests.js';
import { createTempDir } from '../helpers/isolated-resources.js';
import { referenceRunnerCommand } from '../../src/harness/index.js';

const sha256Of = pythonSha256;
const sha256OfText = (text: string) => execFileSync('python3', ['-c', 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())'], { input: text, encoding: 'utf8' }).trim();

interface Statement {
  subject: { name: string; digest: Record<string, string> }[];
  predicate: {
    environment: {
      harness?: { version: string; sourceDigest: string; gitCommit: string | null };
      runner?: { executable: { path: string; sha256: string }; script: { path: string; sha256: string } | null; claimed: unknown };
    };
    agent: { version: string | null };
    deviceIdentity: { status: string; asserted: Record<string, string | null>; observed: Record<string, string | null>; checks: { field: string; asserted: string; observed: string | null; result: string }[] };
    model: { digest: { sha256: string }; contentDigest: { sha256: string } | null; files: { path: string; size: number; sha256: string }[] | null };
  };
}

const CLAIMING_RUNNER = fileURLToPath(new URL('../fixtures/runners/claiming-runner.mjs', import.meta.url));

let t: TestApi;
let vendor: { key: string };
let admin: { key: string };
let binDir: string;
let mlpId: string;
const wrapperText = (version: string) => `#!/bin/sh\n# wrapper ${version}\nexec "${process.execPath}" "${CLAIMING_RUNNER}" "$@"\n`;

beforeAll(async () => {
  t = await startTestApi({ listen: true });
  admin = await t.createOrgWithKey('ADMIN');
  vendor = await t.createOrgWithKey('VENDOR');
  await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug: 'cpu-bind', name: 'CPU', manufacturer: 'test' } });
  for (const slug of ['npu-script', 'npu-path']) {
    const res = await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug, name: slug, manufacturer: 'test', backendKind: 'runner' } });
    expect(res.statusCode, res.body).toBe(201);
  }
  binDir = await createTempDir('npubench-runner-bin');
  await writeFile(join(binDir, 'npu-runner'), wrapperText('1'), { mode: 0o755 });
  const claims = { REFERENCE_RUNNER: JSON.stringify(referenceRunnerCommand()), CLAIM_FIRMWARE: 'fw-2.0.1', CLAIM_DRIVER: 'drv-9' };
  await startTestAgent(t, ['cpu-bind', 'npu-script', 'npu-path'], {
    runners: {
      'npu-script': { command: process.execPath, args: [CLAIMING_RUNNER], env: claims },
      // Found on the runner's PATH, as spawn finds it.
      'npu-path': { command: 'npu-runner', env: { ...claims, PATH: `${binDir}:${process.env.PATH ?? ''}` } },
    },
  });
  const up = await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: modelForm(fixtureModel('mlp-classifier.onnx'), { name: 'mlp-runner' }) });
  mlpId = (up.json() as { id: string }).id;
});

async function runJob(modelId: string, device: string): Promise<{ statement: Statement; reportId: string }> {
  const job = (await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendor.key), payload: { modelId, device, suite: { preset: 'smoke', dynamicDims: { batch: 1 } } } })).json() as { id: string };
  const done = await waitForJob(t, job.id, 120_000);
  expect(done.status, `${done.errorCode}: ${done.errorMessage}`).toBe('SUCCEEDED');
  const report = await t.deps.db.report.findUniqueOrThrow({ where: { jobId: job.id } });
  const envelope = report.envelope as { payload: string };
  return { statement: JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as Statement, reportId: report.id };
}

describe('a signed report binds what was measured', () => {
  it('names the model file and the canonical bundle digest among its subjects', async () => {
    const path = fixtureModel('mlp-classifier.onnx');
    const up = await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: modelForm(path, { name: 'mlp-bound' }) });
    const model = up.json() as { id: string };
    const { statement } = await runJob(model.id, 'cpu-bind');
    const fileSha = sha256Of(path);
    const size = (await import('node:fs')).statSync(path).size;
    const bundleDigest = sha256OfText(`npubench-bundle-manifest/v1\n${fileSha} ${size} model.onnx\n`);
    expect(statement.subject.slice(0, 3)).toEqual([
      { name: 'mlp-bound@1', digest: { sha256: fileSha } },
      { name: 'npubench-bundle:mlp-bound@1', digest: { sha256: bundleDigest } },
      { name: 'model-file:model.onnx', digest: { sha256: fileSha } },
    ]);
    expect(statement.predicate.model.contentDigest).toEqual({ sha256: bundleDigest });
    expect(statement.predicate.model.files).toEqual([{ path: 'model.onnx', size, sha256: fileSha }]);
  });

  it('names the harness build that measured: package version, digest of its files, git commit', async () => {
    const up = await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: modelForm(fixtureModel('mlp-classifier.onnx'), { name: 'mlp-harness' }) });
    const { statement } = await runJob((up.json() as { id: string }).id, 'cpu-bind');
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const digest = pythonHarnessDigest(fileURLToPath(new URL('../../src/harness/', import.meta.url)));
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    expect(statement.predicate.environment.harness).toMatchObject({ version: pkg.version, sourceDigest: digest, gitCommit: commit });
    expect(statement.subject).toContainEqual({ name: `npubench-harness@${pkg.version}`, digest: { sha256: digest, gitCommit: commit } });
    expect(statement.predicate.agent.version).toBe(`${pkg.version}+${digest.slice(0, 12)}`);
  });

  it('names the runner executable and script the host configured, by digest, and the runner\'s hello as a claim', async () => {
    const { statement } = await runJob(mlpId, 'npu-script');
    const runner = statement.predicate.environment.runner;
    expect(runner?.executable).toMatchObject({ path: process.execPath, sha256: sha256Of(realpathSync(process.execPath)) });
    expect(runner?.script).toMatchObject({ path: CLAIMING_RUNNER, sha256: sha256Of(CLAIMING_RUNNER) });
    expect(runner?.claimed).toMatchObject({ runner: { name: 'npubench-reference-runner', version: '2.0.0' }, device: { vendor: 'host-cpu', firmwareVersion: 'fw-2.0.1', driverVersion: 'drv-9' } });
    expect(statement.subject).toContainEqual({ name: `runner-executable:${process.execPath}`, digest: { sha256: sha256Of(realpathSync(process.execPath)) } });
    expect(statement.subject).toContainEqual({ name: `runner-script:${CLAIMING_RUNNER}`, digest: { sha256: sha256Of(CLAIMING_RUNNER) } });
  });

  it('resolves a bare runner command on the runner\'s PATH, and a replaced runner gets a new digest', async () => {
    const wrapper = join(binDir, 'npu-runner');
    const first = (await runJob(mlpId, 'npu-path')).statement.predicate.environment.runner;
    expect(first?.executable).toMatchObject({ path: wrapper, sha256: sha256Of(wrapper) });
    expect(first?.script).toBeNull();
    const before = sha256Of(wrapper);
    await writeFile(wrapper, wrapperText('2'), { mode: 0o755 });
    const second = (await runJob(mlpId, 'npu-path')).statement.predicate.environment.runner;
    expect(second?.executable.sha256).toBe(sha256Of(wrapper));
    expect(second?.executable.sha256).not.toBe(before);
  });

  it('carries the lab-asserted device identity beside what the agent observed, and flags a mismatch', async () => {
    const patch = (slug: string, payload: Record<string, unknown>) => t.app.inject({ method: 'PATCH', url: `/v1/devices/${slug}`, headers: bearer(admin.key), payload });
    // Not asserted yet: nothing to compare.
    expect((await runJob(mlpId, 'npu-script')).statement.predicate.deviceIdentity.status).toBe('not-asserted');

    const asserted = await patch('npu-script', { serialNumber: 'SN-0042', firmwareVersion: 'fw-2.0.1', driverVersion: 'drv-9' });
    expect(asserted.statusCode, asserted.body).toBe(200);
    expect(asserted.json()).toMatchObject({ serialNumber: 'SN-0042', firmwareVersion: 'fw-2.0.1', driverVersion: 'drv-9' });
    // Lab roles only: the public view of the same device names none of it.
    const publicView = (await t.app.inject({ method: 'GET', url: '/v1/devices/npu-script', headers: bearer(vendor.key) })).json() as Record<string, unknown>;
    expect(Object.keys(publicView)).not.toEqual(expect.arrayContaining(['serialNumber']));
    expect(Object.keys(publicView).filter((k) => /serial|firmware|driver/i.test(k))).toEqual([]);

    const matching = await runJob(mlpId, 'npu-script');
    expect(matching.statement.predicate.deviceIdentity).toMatchObject({
      status: 'match',
      asserted: { serialNumber: 'SN-0042', firmwareVersion: 'fw-2.0.1', driverVersion: 'drv-9' },
      observed: { runnerClaimedFirmwareVersion: 'fw-2.0.1', runnerClaimedDriverVersion: 'drv-9', cpuModel: cpus()[0]!.model.trim(), executionProvider: expect.stringMatching(/^runner:/) },
      checks: [
        { field: 'serialNumber', asserted: 'SN-0042', observed: null, result: 'not-observed' },
        { field: 'firmwareVersion', asserted: 'fw-2.0.1', observed: 'fw-2.0.1', result: 'match' },
        { field: 'driverVersion', asserted: 'drv-9', observed: 'drv-9', result: 'match' },
      ],
    });

    // The lab says the bench unit runs firmware 1.9; the runner says 2.0.1: flagged, in the signed report and the view.
    await patch('npu-script', { firmwareVersion: 'fw-1.9' });
    const mismatched = await runJob(mlpId, 'npu-script');
    expect(mismatched.statement.predicate.deviceIdentity.status).toBe('mismatch');
    expect(mismatched.statement.predicate.deviceIdentity.checks).toContainEqual({ field: 'firmwareVersion', asserted: 'fw-1.9', observed: 'fw-2.0.1', result: 'mismatch' });
    const view = (await t.app.inject({ method: 'GET', url: `/v1/reports/${mismatched.reportId}`, headers: bearer(vendor.key) })).json() as { deviceIdentity: { status: string } };
    expect(view.deviceIdentity.status).toBe('mismatch');

    // An onnxruntime device: a serial and firmware asserted, nothing the agent reads can confirm them.
    await patch('cpu-bind', { serialNumber: 'HOST-1', firmwareVersion: 'bios-7' });
    const unverified = (await runJob(mlpId, 'cpu-bind')).statement.predicate.deviceIdentity;
    expect(unverified.status).toBe('unverified');
    expect(unverified.checks.map((c) => c.result)).toEqual(['not-observed', 'not-observed']);
  });
});
