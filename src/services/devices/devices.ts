import { z } from 'zod';
import { Prisma } from '@prisma/client';
import { powerMeterConfigSchema } from '../../harness/schemas.js';
import type { Db } from '../../lib/database.js';
import { conflict, notFound } from '../../lib/errors.js';
import { isUniqueViolation } from '../prisma-errors.js';
import { BACKEND_KINDS, EXECUTION_PROVIDERS, deviceBackendOptionsSchema, labDeviceSchema, publicDeviceSchema, type DeviceView, type LabDevice } from '../../contracts/devices.js';
import { AGENT_ONLINE_WITHIN_MS } from './device-health.js';

export { EXECUTION_PROVIDERS, type DeviceBackendOptions } from '../../contracts/devices.js';

export const deviceSlug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes, starting with a letter or digit (max 63)');

/** The fields a lab sets on a device, without defaults: creation adds them, updates must not. */
const deviceFields = {
  name: z.string().min(1).max(200),
  manufacturer: z.string().min(1).max(200),
  soc: z.string().max(200).nullish(),
  npu: z.string().max(200).nullish(),
  /** Lab-asserted identity of the unit; each report compares it with what its agent observed. */
  serialNumber: z.string().min(1).max(200).nullish(),
  firmwareVersion: z.string().min(1).max(200).nullish(),
  driverVersion: z.string().min(1).max(200).nullish(),
  /**
   * 'runner' devices: the agent host decides which command the runner is
   * (`npubench agent --runner <device>=<command>`), so a device record can never make an agent run a
   * command of the API's choosing.
   */
  backendKind: z.enum(BACKEND_KINDS),
  executionProvider: z.enum(EXECUTION_PROVIDERS),
  backendOptions: deviceBackendOptionsSchema,
  isPublic: z.boolean(),
  /**
   * How the agent measures power beside each run (src/harness/power). Command meters run a program,
   * so they are configured on the agent host instead (`npubench agent --power-meter`).
   */
  powerMeter: powerMeterConfigSchema
    .refine((meter) => meter.kind !== 'command', { message: 'command meters are configured on the agent host (npubench agent --power-meter <device>=<json>)' })
    .nullish(),
};

export const deviceInput = z.strictObject({
  ...deviceFields,
  slug: deviceSlug,
  backendKind: deviceFields.backendKind.default('onnxruntime'),
  executionProvider: deviceFields.executionProvider.default('cpu'),
  backendOptions: deviceFields.backendOptions.default({}),
  isPublic: deviceFields.isPublic.default(true),
});
export type DeviceInput = z.infer<typeof deviceInput>;
/** A PATCH changes only the fields it names (no defaults: an absent field stays as it is). */
export const deviceUpdate = z.strictObject(deviceFields).partial();

export async function createDevice(db: Db, input: DeviceInput) {
  try {
    return presentDevice(await db.device.create({ data: { ...input, powerMeter: input.powerMeter ?? Prisma.DbNull }, include: withAgents }), 'lab');
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict('device.exists', `Device ${input.slug} already exists.`);
    throw err;
  }
}

/** Who is asking: the lab sees private devices and the whole record; everyone else the public view. */
export type DeviceAudience = 'public' | 'lab';

const withAgents = { agents: { include: { agent: { select: { id: true, name: true, version: true, lastHeartbeatAt: true, revokedAt: true } } } } } as const;
type DeviceRow = Prisma.DeviceGetPayload<{ include: typeof withAgents }>;

/**
 * The answer for one device, cut to the audience's view by its schema: parsing strips every field the
 * view does not declare, so a column added to the table stays private until a view names it.
 */
export function presentDevice(device: DeviceRow, audience: 'lab', now?: Date): LabDevice;
export function presentDevice(device: DeviceRow, audience: DeviceAudience, now?: Date): DeviceView;
export function presentDevice(device: DeviceRow, audience: DeviceAudience, now = new Date()): DeviceView {
  const agents = device.agents
    .map((a) => a.agent)
    .filter((a) => !a.revokedAt)
    .map((a) => ({ ...a, online: a.lastHeartbeatAt !== null && now.getTime() - a.lastHeartbeatAt.getTime() <= AGENT_ONLINE_WITHIN_MS }));
  const common = { ...device, online: agents.some((a) => a.online), measuresPower: device.powerMeter !== null };
  if (audience === 'public') return publicDeviceSchema.parse(common);
  return labDeviceSchema.parse({
    ...common,
    agents: agents.map((a) => ({ ...a, lastHeartbeatAt: a.lastHeartbeatAt?.toISOString() ?? null })),
    createdAt: device.createdAt.toISOString(),
    updatedAt: device.updatedAt.toISOString(),
  });
}

export async function updateDevice(db: Db, slug: string, patch: z.infer<typeof deviceUpdate>) {
  const { backendOptions, powerMeter, ...rest } = patch;
  const res = await db.device.updateMany({
    where: { slug },
    data: { ...rest, ...(backendOptions ? { backendOptions } : {}), ...(powerMeter !== undefined && { powerMeter: powerMeter ?? Prisma.DbNull }) },
  });
  if (res.count === 0) throw notFound('device.not_found', `No device ${slug}.`);
  return presentDevice(await db.device.findUniqueOrThrow({ where: { slug }, include: withAgents }), 'lab');
}

/** Private devices are visible to the lab only. */
export async function getDevice(db: Db, slug: string, audience: DeviceAudience) {
  const device = await db.device.findUnique({ where: { slug }, include: withAgents });
  if (!device || (!device.isPublic && audience !== 'lab')) throw notFound('device.not_found', `No device ${slug}.`);
  return presentDevice(device, audience);
}

export async function listDevices(db: Db, audience: DeviceAudience) {
  const devices = await db.device.findMany({ where: audience === 'lab' ? {} : { isPublic: true }, orderBy: { slug: 'asc' }, include: withAgents });
  const now = new Date();
  return devices.map((d) => presentDevice(d, audience, now));
}
