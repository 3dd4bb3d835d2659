// Health of the testbed: which agents are alive (last heartbeat) and how much work waits per device.
// The public view gives counts only; the lab view names agents and hosts.
import type { ServiceDeps } from '../deps.js';
import { notFound } from '../../lib/errors.js';

/** An agent heartbeats every few seconds; one silent for longer than this is shown as offline. */
export const AGENT_ONLINE_WITHIN_MS = 30_000;

const ageSeconds = (at: Date | null, now: Date) => (at ? Math.max(0, (now.getTime() - at.getTime()) / 1000) : null);

async function jobCountsByDevice(deps: ServiceDeps, deviceIds: string[]) {
  const grouped = await deps.db.job.groupBy({ by: ['deviceId', 'status'], where: { deviceId: { in: deviceIds }, status: { in: ['QUEUED', 'RUNNING'] } }, _count: { _all: true } });
  const counts = new Map<string, { queued: number; running: number }>();
  for (const g of grouped) {
    const c = counts.get(g.deviceId) ?? { queued: 0, running: 0 };
    if (g.status === 'QUEUED') c.queued = g._count._all;
    else c.running = g._count._all;
    counts.set(g.deviceId, c);
  }
  return counts;
}

/** Public: agents online and jobs waiting for one device. */
export async function deviceStatus(deps: ServiceDeps, slug: string, includePrivate: boolean, now = new Date()) {
  const device = await deps.db.device.findUnique({ where: { slug }, include: { agents: { include: { agent: { select: { lastHeartbeatAt: true, revokedAt: true } } } } } });
  if (!device || (!device.isPublic && !includePrivate)) throw notFound('device.not_found', `No device ${slug}.`);
  const agents = device.agents.map((a) => a.agent).filter((a) => !a.revokedAt);
  const online = agents.filter((a) => a.lastHeartbeatAt && now.getTime() - a.lastHeartbeatAt.getTime() <= AGENT_ONLINE_WITHIN_MS);
  const lastHeartbeat = agents.map((a) => a.lastHeartbeatAt).filter((d): d is Date => d !== null).sort((a, b) => b.getTime() - a.getTime())[0] ?? null;
  const counts = (await jobCountsByDevice(deps, [device.id])).get(device.id) ?? { queued: 0, running: 0 };
  return { device: slug, agents: agents.length, agentsOnline: online.length, lastHeartbeatAgeSeconds: ageSeconds(lastHeartbeat, now), ...counts };
}

/** Lab: every device with its agents' heartbeat ages, the jobs Postgres holds and the depth of its queue. */
export async function testbedHealth(deps: ServiceDeps, now = new Date()) {
  const devices = await deps.db.device.findMany({
    orderBy: { slug: 'asc' },
    include: { agents: { include: { agent: { select: { id: true, name: true, hostname: true, version: true, lastHeartbeatAt: true, revokedAt: true } } } } },
  });
  const counts = await jobCountsByDevice(deps, devices.map((d) => d.id));
  return {
    onlineWithinSeconds: AGENT_ONLINE_WITHIN_MS / 1000,
    devices: await Promise.all(
      devices.map(async (d) => {
        // Redis may be down while Postgres answers: the page still shows what it knows.
        const queue = await deps.queues.jobCounts(d.slug).catch(() => null);
        return {
          slug: d.slug,
          name: d.name,
          isPublic: d.isPublic,
          jobs: counts.get(d.id) ?? { queued: 0, running: 0 },
          queue,
          agents: d.agents
            .map((a) => a.agent)
            .map((a) => {
              const age = ageSeconds(a.lastHeartbeatAt, now);
              return { id: a.id, name: a.name, hostname: a.hostname, version: a.version, revoked: a.revokedAt !== null, heartbeatAgeSeconds: age, online: !a.revokedAt && age !== null && age * 1000 <= AGENT_ONLINE_WITHIN_MS };
            }),
        };
      }),
    ),
  };
}
