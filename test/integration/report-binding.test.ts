// What a signed report binds, checked on reports a real agent produced: the model's every file and its
// canonical bundle digest as statement subjects. Expected digests are computed here independently
// (Python hashlib over the fixture files), never read back from the code under test.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { startTestAgent, waitForJob } from '../helpers/test-agent.js';
import { bearer } from '../helpers/problem.js';
import { fixtureModel, modelForm } from '../helpers/fixtures.js';
import { pythonHarnessDigest, pythonSha256 } from '../helpers/independent-digests.js';

const sha256Of = pythonSha256;
const sha256OfText = (text: string) => execFileSync('python3', ['-c', 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())'], { input: text, encoding: 'utf8' }).trim();

interface Statement {
  subject: { name: string; digest: Record<string, string> }[];
  predicate: {
    environment: { harness?: { version: string; sourceDigest: string; gitCommit: string | null } };
    agent: { version: string | null };
    model: { digest: { sha256: string }; contentDigest: { sha256: string } | null; files: { path: string; size: number; sha256: string }[] | null };
  };
}

let t: TestApi;
let vendor: { key: string };
let admin: { key: string };

beforeAll(async () => {
  t = await startTestApi({ listen: true });
  admin = await t.createOrgWithKey('ADMIN');
  vendor = await t.createOrgWithKey('VENDOR');
  await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug: 'cpu-bind', name: 'CPU', manufacturer: 'test' } });
  await startTestAgent(t, ['cpu-bind']);
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
});
