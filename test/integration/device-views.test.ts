// What each caller learns about a device: anonymous and vendor callers get the public view (no meter
// host or port, no sysfs path, no EP options, no agent internals); the lab's admin and certifier get the
// full record. Every other answer that names a device (jobs, report, certificate, leaderboard) is
// searched for the same lab configuration after a real PTDaemon-measured run on that device.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/test-service.js';
import { certifyUnderLenientProfile, startTestAgent, waitForJob } from '../helpers/test-agent.js';
import { bearer } from '../helpers/problem.js';
import { fixtureModel, modelForm } from '../helpers/fixtures.js';
import { PtdaemonSimulator } from '../helpers/ptdaemon-simulator.js';

const ROLES = ['anonymous', 'vendor', 'certifier', 'admin'] as const;
type Role = (typeof ROLES)[number];
const LAB: Role[] = ['certifier', 'admin'];

const PUBLIC_KEYS = ['backendKind', 'executionProvider', 'manufacturer', 'measuresPower', 'name', 'npu', 'online', 'slug', 'soc'];
const LAB_KEYS = [...PUBLIC_KEYS, 'agents', 'backendOptions', 'createdAt', 'driverVersion', 'firmwareVersion', 'isPublic', 'powerMeter', 'serialNumber', 'updatedAt'].sort();

// Lab configuration that must never reach a public answer.
const FAKE_PTD = { host: 'ptd.lab-internal.example', port: 18_873 };
const SYSFS_ROOT = '/srv/lab-secret/sysfs';
const EP_LIBRARY = '/opt/lab-secret/libQnnHtp.so';
const LOAD_OPTION = 'lab-secret-load-option';

let t: TestApi;
let simulator: PtdaemonSimulator;
const tokens = {} as Record<Role, string | null>;
let closedPort: number;
const ids = {} as { jobQueued: string; jobMeasured: string; jobMeterDown: string; reportId: string; certificateId: string };

/** Every lab secret (or its telltale key) found anywhere in a JSON answer. */
function leaks(body: string): string[] {
  const secrets = [FAKE_PTD.host, SYSFS_ROOT, EP_LIBRARY, LOAD_OPTION, `127.0.0.1:${simulator.port}`, `127.0.0.1:${closedPort}`, '"powerMeter"', '"backendOptions"', '"epOptions"', '"loadOptions"', '"lastHeartbeatAt"'];
  const found = secrets.filter((s) => body.includes(s));
  for (const port of [FAKE_PTD.port, simulator.port, closedPort]) if (new RegExp(`(?<![0-9])${port}(?![0-9])`).test(body)) found.push(`port ${port}`);
  return found;
}

const get = async (role: Role, url: string) => {
  const token = tokens[role];
  const res = await t.app.inject({ method: 'GET', url, ...(token && { headers: bearer(token) }) });
  expect(res.statusCode, `${role} GET ${url}: ${res.body.slice(0, 200)}`).toBe(200);
  return res;
};

beforeAll(async () => {
  simulator = await PtdaemonSimulator.start({ power: () => 12, uncertaintyPct: 0.4 });
  // A PTDaemon that is down: the port of a simulator that has gone.
  const gone = await PtdaemonSimulator.start();
  closedPort = gone.port;
  await gone.close();
  t = await startTestApi({ listen: true });
  const admin = await t.createOrgWithKey('ADMIN');
  const certifier = await t.createOrgWithKey('CERTIFIER');
  const vendor = await t.createOrgWithKey('VENDOR');
  Object.assign(tokens, { anonymous: null, vendor: vendor.key, certifier: certifier.key, admin: admin.key });

  const devices = [
    { slug: 'npu-ptd-fake', name: 'PTD NPU', manufacturer: 'Acme', soc: 'A1', npu: 'N1', executionProvider: 'qnn', backendOptions: { epOptions: { backendPath: EP_LIBRARY } }, powerMeter: { kind: 'ptdaemon', ...FAKE_PTD } },
    { slug: 'npu-sysfs', name: 'Rail NPU', manufacturer: 'Acme', backendKind: 'runner', backendOptions: { loadOptions: { profile: LOAD_OPTION } }, powerMeter: { kind: 'hwmon', chip: 'npu_rail', root: SYSFS_ROOT } },
    { slug: 'npu-measured', name: 'Measured NPU', manufacturer: 'Acme', powerMeter: { kind: 'ptdaemon', host: '127.0.0.1', port: simulator.port, intervalMs: 20, rangeSettleMs: 0, timeoutMs: 2_000 } },
    { slug: 'npu-meter-down', name: 'Meter down NPU', manufacturer: 'Acme', powerMeter: { kind: 'ptdaemon', host: '127.0.0.1', port: closedPort, intervalMs: 20, rangeSettleMs: 0, timeoutMs: 2_000 } },
  ];
  for (const device of devices) {
    const res = await t.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: device });
    expect(res.statusCode, res.body).toBe(201);
  }

  const model = (await t.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: modelForm(fixtureModel('mlp-classifier.onnx'), { name: 'views' }) })).json() as { id: string };
  const submit = async (device: string) => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendor.key), payload: { modelId: model.id, device, suite: { preset: 'smoke' } } });
    expect(res.statusCode, res.body).toBe(201);
    return (res.json() as { id: string }).id;
  };
  ids.jobQueued = await submit('npu-ptd-fake');
  await startTestAgent(t, ['npu-measured', 'npu-meter-down']);
  ids.jobMeasured = await submit('npu-measured');
  ids.jobMeterDown = await submit('npu-meter-down');
  const done = await waitForJob(t, ids.jobMeasured, 120_000);
  expect(done.status, done.errorMessage ?? '').toBe('SUCCEEDED');
  await waitForJob(t, ids.jobMeterDown, 120_000);
  ids.reportId = (await t.deps.db.report.findUniqueOrThrow({ where: { jobId: ids.jobMeasured } })).id;

  ids.certificateId = await certifyUnderLenientProfile(t, admin.key, ids.reportId, 'views-lenient');
}, 180_000);
afterAll(async () => simulator?.close());

describe('device views', () => {
  it('lists devices with the public field set for anonymous and vendor callers, the lab set for the lab', async () => {
    for (const role of ROLES) {
      const res = await get(role, '/v1/devices');
      const { items } = res.json() as { items: Record<string, unknown>[] };
      expect(items.map((d) => d.slug), role).toEqual(['npu-measured', 'npu-meter-down', 'npu-ptd-fake', 'npu-sysfs']);
      for (const item of items) expect(Object.keys(item).sort(), `${role} ${String(item.slug)}`).toEqual(LAB.includes(role) ? LAB_KEYS : PUBLIC_KEYS);
      if (!LAB.includes(role)) expect(leaks(res.body), role).toEqual([]);
    }
  });

  it('shows one device with the public field set for anonymous and vendor callers, the full record for the lab', async () => {
    for (const slug of ['npu-ptd-fake', 'npu-sysfs', 'npu-measured']) {
      for (const role of ROLES) {
        const res = await get(role, `/v1/devices/${slug}`);
        const device = res.json() as Record<string, unknown>;
        expect(Object.keys(device).sort(), `${role} ${slug}`).toEqual(LAB.includes(role) ? LAB_KEYS : PUBLIC_KEYS);
        if (!LAB.includes(role)) expect(leaks(res.body), `${role} ${slug}`).toEqual([]);
      }
    }
    // The public view says what a visitor needs: what the device is, whether it measures energy, whether it is up.
    expect((await get('anonymous', '/v1/devices/npu-ptd-fake')).json()).toEqual({
      slug: 'npu-ptd-fake', name: 'PTD NPU', manufacturer: 'Acme', soc: 'A1', npu: 'N1', backendKind: 'onnxruntime', executionProvider: 'qnn', measuresPower: true, online: false,
    });
    expect((await get('vendor', '/v1/devices/npu-sysfs')).json()).toMatchObject({ backendKind: 'runner', measuresPower: true, online: false });
    expect((await get('anonymous', '/v1/devices/npu-measured')).json()).toMatchObject({ online: true });
    // The lab sees the configuration it set.
    expect((await get('certifier', '/v1/devices/npu-ptd-fake')).json()).toMatchObject({ powerMeter: { kind: 'ptdaemon', ...FAKE_PTD }, backendOptions: { epOptions: { backendPath: EP_LIBRARY } }, isPublic: true });
    const lab = (await get('admin', '/v1/devices/npu-measured')).json() as { agents: { name: string; online: boolean }[] };
    expect(lab.agents).toEqual([expect.objectContaining({ online: true, name: expect.any(String) })]);
  });

  it('leaks no lab configuration through the jobs, report, certificate and leaderboard that name the device', async () => {
    const answers: [Role, string][] = [
      ['vendor', '/v1/jobs'],
      ['vendor', `/v1/jobs/${ids.jobQueued}`],
      ['vendor', `/v1/jobs/${ids.jobMeasured}`],
      // The meter's failure is told to the vendor without saying where the meter listens.
      ['vendor', `/v1/jobs/${ids.jobMeterDown}`],
      ['vendor', `/v1/reports/${ids.reportId}`],
      ['anonymous', `/v1/certificates/${ids.certificateId}`],
      ['anonymous', '/v1/certificates'],
      ['anonymous', '/v1/leaderboard?demo=show'],
      ['anonymous', '/v1/devices/npu-measured/status'],
    ];
    for (const [role, url] of answers) expect(leaks((await get(role, url)).body), `${role} ${url}`).toEqual([]);
    // The searches looked at answers that do name the devices.
    expect((await get('anonymous', '/v1/leaderboard?demo=show')).body).toContain('npu-measured');
    expect((await get('vendor', `/v1/reports/${ids.reportId}`)).body).toContain('ptdaemon');
  });

  it('tells the vendor that the PTDaemon was unreachable without saying where it listens', async () => {
    const job = (await get('vendor', `/v1/jobs/${ids.jobMeterDown}`)).json() as { status: string; error: { code: string; message: string } | null };
    const report = await t.deps.db.report.findUnique({ where: { jobId: ids.jobMeterDown } });
    const told = report ? (await get('vendor', `/v1/reports/${report.id}`)).body : JSON.stringify(job);
    expect(told).toMatch(/PTDaemon/);
    expect(leaks(told)).toEqual([]);
  });
});
