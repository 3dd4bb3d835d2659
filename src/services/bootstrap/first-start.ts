// What `npm start` sets up on an empty database so a newcomer can use the service at once: a lab
// organization with an admin key, a demo vendor with a vendor key (both printed once, stored only as
// hashes), and the host CPU as device `host-cpu`.
import type { Db } from '../../lib/database.js';
import { createApiKey } from '../orgs/api-keys.js';
import { rotateAgentToken } from '../agents/agents.js';
import { issueCredential } from '../../lib/secrets.js';
import { cpus } from 'node:os';

export const HOST_CPU_DEVICE = 'host-cpu';
export const LOCAL_AGENT_NAME = 'local-host-cpu';

export interface FirstStartKeys {
  adminKey: string;
  vendorKey: string;
  vendorOrgId: string;
}

/** Returns the new keys on the very first start, null when the database was already initialised. */
export async function initialiseIfEmpty(db: Db): Promise<FirstStartKeys | null> {
  if ((await db.organization.count()) > 0) return null;
  const lab = await db.organization.create({ data: { slug: 'npubench-lab', name: 'npubench lab', kind: 'LAB' } });
  const vendor = await db.organization.create({ data: { slug: 'demo-vendor', name: 'Demo vendor', kind: 'VENDOR' } });
  const admin = await createApiKey(db, { orgId: lab.id, role: 'ADMIN', name: 'first-start admin key' });
  const vendorKey = await createApiKey(db, { orgId: vendor.id, role: 'VENDOR', name: 'first-start vendor key' });
  return { adminKey: admin.token, vendorKey: vendorKey.token, vendorOrgId: vendor.id };
}

/** The host's CPU as a device, served by the in-process agent through onnxruntime's CPU EP. */
export async function ensureHostCpuDevice(db: Db) {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return db.device.upsert({
    where: { slug: HOST_CPU_DEVICE },
    update: {},
    create: {
      slug: HOST_CPU_DEVICE,
      name: `Host CPU (${cpu})`,
      manufacturer: cpu.split(' ')[0] ?? 'unknown',
      soc: cpu,
      npu: null,
      backendKind: 'onnxruntime',
      executionProvider: 'cpu',
      backendOptions: {},
      isPublic: true,
    },
  });
}

/**
 * The in-process agent's credentials. Its token is never printed or stored in clear, so each start
 * issues a fresh one (the previous process's token stops working).
 */
export async function localAgentToken(db: Db, deviceId: string): Promise<string> {
  const existing = await db.agent.findUnique({ where: { name: LOCAL_AGENT_NAME } });
  if (existing) return rotateAgentToken(db, existing.id);
  const cred = issueCredential('npba');
  await db.agent.create({
    data: { name: LOCAL_AGENT_NAME, tokenPrefix: cred.prefix, tokenHash: cred.hash, devices: { create: [{ deviceId }] } },
  });
  return cred.token;
}
