import { z } from 'zod';
import type { Db } from '../../lib/database.js';
import { issueCredential } from '../../lib/secrets.js';
import { badRequest, conflict, forbidden, notFound } from '../../lib/errors.js';
import { isUniqueViolation } from '../prisma-errors.js';
import { deviceSlug } from '../devices/devices.js';
import type { Agent } from '../../contracts/admin.js';
import type { AgentRegistered, AgentRegistration } from '../../contracts/agent-protocol.js';

export const agentInput = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/),
  devices: z.array(deviceSlug).min(1).max(64),
});

async function deviceIds(db: Db, slugs: string[]): Promise<string[]> {
  const devices = await db.device.findMany({ where: { slug: { in: slugs } }, select: { id: true, slug: true } });
  const missing = slugs.filter((s) => !devices.some((d) => d.slug === s));
  if (missing.length > 0) throw badRequest('device.unknown', `Unknown device(s): ${missing.join(', ')}.`, { devices: missing });
  return devices.map((d) => d.id);
}

/** Creates an agent allowed to serve `devices`; returns its token once. */
export async function createAgent(db: Db, input: z.infer<typeof agentInput>) {
  const ids = await deviceIds(db, input.devices);
  const cred = issueCredential('npba');
  try {
    const agent = await db.agent.create({
      data: { name: input.name, tokenPrefix: cred.prefix, tokenHash: cred.hash, devices: { create: ids.map((deviceId) => ({ deviceId })) } },
    });
    return { id: agent.id, name: agent.name, token: cred.token };
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict('agent.exists', `Agent ${input.name} already exists.`);
    throw err;
  }
}

/** Issues a new token for an existing agent (the old one stops working). */
export async function rotateAgentToken(db: Db, agentId: string): Promise<string> {
  const cred = issueCredential('npba');
  await db.agent.update({ where: { id: agentId }, data: { tokenPrefix: cred.prefix, tokenHash: cred.hash, revokedAt: null } });
  return cred.token;
}

/**
 * An agent announces the devices it is about to serve. It may only serve devices the lab assigned it,
 * so a stolen agent token cannot pull another device's jobs.
 */
export async function registerAgent(db: Db, agentId: string, input: AgentRegistration): Promise<AgentRegistered> {
  const ids = await deviceIds(db, input.devices);
  const allowed = await db.agentDevice.findMany({ where: { agentId, deviceId: { in: ids } } });
  if (allowed.length !== ids.length) {
    throw forbidden('agent.device_not_assigned', 'The agent is not assigned to every device it asked to serve.');
  }
  await db.agent.update({ where: { id: agentId }, data: { version: input.version, hostname: input.hostname, lastHeartbeatAt: new Date() } });
  return { agentId, devices: input.devices };
}

export async function heartbeat(db: Db, agentId: string): Promise<void> {
  await db.agent.update({ where: { id: agentId }, data: { lastHeartbeatAt: new Date() } });
}

export async function listAgents(db: Db) {
  return db.agent.findMany({
    orderBy: { name: 'asc' },
    select: { id: true, name: true, version: true, hostname: true, lastHeartbeatAt: true, createdAt: true, revokedAt: true, devices: { select: { device: { select: { slug: true } } } } },
  });
}

/** A listed agent as the API answers it: dates as ISO strings. */
export function agentView(agent: Awaited<ReturnType<typeof listAgents>>[number]): Agent {
  return {
    ...agent,
    lastHeartbeatAt: agent.lastHeartbeatAt?.toISOString() ?? null,
    createdAt: agent.createdAt.toISOString(),
    revokedAt: agent.revokedAt?.toISOString() ?? null,
  };
}

export async function agentServesDevice(db: Db, agentId: string, deviceId: string): Promise<boolean> {
  return (await db.agentDevice.findUnique({ where: { agentId_deviceId: { agentId, deviceId } } })) !== null;
}

export async function requireAgent(db: Db, agentId: string) {
  const agent = await db.agent.findUnique({ where: { id: agentId } });
  if (!agent) throw notFound('agent.not_found', 'No such agent.');
  return agent;
}
