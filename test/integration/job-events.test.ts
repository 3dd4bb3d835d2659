// Live job progress over server-sent events, across API replicas: the stream is read from one replica
// while the job is submitted to, and reported to, another; Redis carries the events between them.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { JobEventHub, jobEventsChannel, publishJobChange } from '../../src/services/jobs/job-events.js';
import { startReplica, startTestApi, type TestApi } from '../helpers/test-service.js';
import { startTestAgent } from '../helpers/test-agent.js';
import { bearer, expectProblem } from '../helpers/problem.js';
import { fixtureModel, modelForm } from '../helpers/fixtures.js';

let primary: TestApi;
let replica: TestApi;
let vendor: { key: string };
let otherVendor: { key: string };
let modelId: string;

interface JobEvent {
  id: string;
  status: string;
  progress: number;
  phase: string | null;
  reportId: string | null;
}

/** Reads an SSE stream with fetch, as the dashboard does, collecting events until `until` says stop. */
async function readEvents(url: string, key: string, until: (events: { event: string; data: unknown }[]) => boolean, timeoutMs = 90_000) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const events: { event: string; data: unknown }[] = [];
  const res = await fetch(url, { headers: bearer(key), signal: controller.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  // The stream writes its own head, with the security headers every answer carries.
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  expect(res.headers.get('x-request-id')).toBeTruthy();
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    while (!until(events)) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data) });
      }
    }
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return events;
}

beforeAll(async () => {
  primary = await startTestApi({ listen: true });
  replica = await startReplica(primary);
  const admin = await primary.createOrgWithKey('ADMIN');
  vendor = await primary.createOrgWithKey('VENDOR');
  otherVendor = await primary.createOrgWithKey('VENDOR');
  await primary.app.inject({ method: 'POST', url: '/v1/devices', headers: bearer(admin.key), payload: { slug: 'npu-live', name: 'Live NPU', manufacturer: 'Acme' } });
  await startTestAgent(primary, ['npu-live']);
  const up = await primary.app.inject({ method: 'POST', url: '/v1/models', headers: bearer(vendor.key), payload: modelForm(fixtureModel('mlp-classifier.onnx'), { name: 'mlp-live' }) });
  modelId = (up.json() as { id: string }).id;
});

describe('job progress over server-sent events', () => {
  it('streams a job submitted on one replica from another, through RUNNING to SUCCEEDED with its report', async () => {
    let jobId = '';
    const isDone = (events: { event: string; data: unknown }[]) => events.some((e) => e.event === 'job' && (e.data as JobEvent).id === jobId && (e.data as JobEvent).status === 'SUCCEEDED');
    const otherEvents: { event: string; data: unknown }[] = [];
    // The other vendor listens on the primary the whole time and must see nothing of this job.
    const otherStream = readEvents(`${primary.url}/v1/jobs/events`, otherVendor.key, (events) => {
      otherEvents.splice(0, otherEvents.length, ...events);
      return jobId !== '' && primaryDone;
    }, 120_000).catch(() => otherEvents);
    let primaryDone = false;
    const stream = readEvents(`${replica.url}/v1/jobs/events`, vendor.key, (events) => {
      if (events.length === 1 && jobId === '') {
        // Subscribed and snapshot received: now submit, on the other replica.
        void primary.app
          .inject({ method: 'POST', url: '/v1/jobs', headers: bearer(vendor.key), payload: { modelId, device: 'npu-live', suite: { preset: 'smoke', minQueryCount: 64 } } })
          .then((res) => {
            jobId = (res.json() as { id: string }).id;
          });
      }
      return jobId !== '' && isDone(events);
    });
    const events = await stream;
    primaryDone = true;
    expect(events[0]).toMatchObject({ event: 'snapshot', data: { items: [] } });
    const mine = events.filter((e) => e.event === 'job').map((e) => e.data as JobEvent).filter((e) => e.id === jobId);
    const statuses = mine.map((e) => e.status);
    expect(statuses[0]).toBe('QUEUED');
    expect(statuses).toContain('RUNNING');
    expect(statuses.at(-1)).toBe('SUCCEEDED');
    expect(mine.some((e) => e.status === 'RUNNING' && e.progress > 0 && e.progress < 1)).toBe(true);
    expect(mine.at(-1)).toMatchObject({ progress: 1, reportId: expect.any(String) });

    // Wake the other stream (its reader waits for a chunk): submitting again makes the vendor's own events flow only to the vendor.
    await primary.app.inject({ method: 'POST', url: '/v1/jobs', headers: bearer(otherVendor.key), payload: { modelId, device: 'npu-live' } });
    const seenByOther = await otherStream;
    expect(seenByOther.filter((e) => e.event === 'job' && (e.data as JobEvent).id === jobId)).toEqual([]);
  });

  it('needs an API key in the header and answers 404 for a job the caller may not see', async () => {
    const anonymous = await fetch(`${replica.url}/v1/jobs/events`);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { code: string }).code).toBe('auth.missing_credentials');
    const job = await primary.deps.db.job.findFirstOrThrow({ where: { modelId } });
    expectProblem(await replica.app.inject({ method: 'GET', url: `/v1/jobs/events?jobId=${job.id}`, headers: bearer(otherVendor.key) }), 404, 'job.not_found');
    const one = await readEvents(`${replica.url}/v1/jobs/events?jobId=${job.id}`, vendor.key, (events) => events.length >= 1);
    expect(one[0]).toMatchObject({ event: 'snapshot', data: { items: [{ id: job.id, status: 'SUCCEEDED', reportId: expect.any(String) }] } });
  });

  it('drops a message on the channel that is off the job-event contract instead of fanning it out', async () => {
    // Another replica (or anything that can write to Redis) publishes: garbage, a job missing members, then a real change.
    const hub = new JobEventHub({ db: primary.deps.db, redis: primary.deps.redis, log: primary.deps.log, config: { env: { NPUBENCH_QUEUE_PREFIX: primary.queuePrefix } } });
    const received: unknown[] = [];
    await hub.subscribe((event) => received.push(event));
    try {
      const job = await primary.deps.db.job.findFirstOrThrow({ where: { modelId } });
      const channel = jobEventsChannel(primary.queuePrefix);
      await primary.deps.redis.publish(channel, 'not json');
      await primary.deps.redis.publish(channel, JSON.stringify({ id: job.id, status: 'SUCCEEDED', reportId: null }));
      await primary.deps.redis.publish(channel, JSON.stringify({ id: job.id, status: 'HACKED', progress: 7 }));
      await publishJobChange({ db: primary.deps.db, redis: primary.deps.redis, log: primary.deps.log, config: { env: { NPUBENCH_QUEUE_PREFIX: primary.queuePrefix } } }, job.id);
      // Redis delivers in publish order on one connection: once the real change is here, the others were seen.
      await vi.waitFor(() => expect(received.length).toBeGreaterThan(0), { timeout: 30_000 });
      expect(received).toHaveLength(1);
      expect(received[0]).toMatchObject({ id: job.id, status: 'SUCCEEDED', orgId: expect.any(String), reportId: expect.any(String) });
    } finally {
      await hub.close();
    }
  });
});
