import { z } from 'zod';
import { Prisma } from '@prisma/client';
import { powerMeterConfigSchema } from '../../harness/power/power-meter-config.js';
import type { Db } from '../../lib/database.js';
import { conflict, notFound } from '../../lib/errors.js';
import { isUniqueViolation } from '../prisma-errors.js';

export const EXECUTION_PROVIDERS = ['cpu', 'cuda', 'tensorrt', 'webgpu', 'coreml', 'dml', 'qnn', 'openvino', 'xnnpack', 'rocm', 'migraphx', 'nnapi', 'vitisai'] as const;

export const deviceSlug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes, starting with a letter or digit (max 63)');

/** The fields a lab sets on a device, without defaults: creation adds them, updates must not. */
const deviceFields = {
  name: z.string().min(1).max(200),
  manufacturer: z.string().min(1).max(200),
  soc: z.string().max(200).nullish(),
  npu: z.string().max(200).nullish(),
  /**
   * 'onnxruntime': the agent runs onnxruntime-node with `executionProvider`. 'runner': a vendor runtime
   * speaking the runner protocol (docs/runner-protocol.md); the agent host decides which command that is
   * (`npubench agent --runner <device>=<command>`), so a device record can never make an agent run a
   * command of the API's choosing.
   */
  backendKind: z.enum(['onnxruntime', 'runner']),
  executionProvider: z.enum(EXECUTION_PROVIDERS),
  backendOptions: z.strictObject({
    epOptions: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    intraOpNumThreads: z.number().int().min(1).max(1024).optional(),
    interOpNumThreads: z.number().int().min(1).max(1024).optional(),
    graphOptimizationLevel: z.enum(['disabled', 'basic', 'extended', 'all']).optional(),
    /** runner devices: passed untouched as the runner's `load` options. */
    loadOptions: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  }),
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
export type DeviceBackendOptions = DeviceInput['backendOptions'];

export async function createDevice(db: Db, input: DeviceInput) {
  try {
    return await db.device.create({ data: { ...input, powerMeter: input.powerMeter ?? Prisma.DbNull } });
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict('device.exists', `Device ${input.slug} already exists.`);
    throw err;
  }
}

export async function updateDevice(db: Db, slug: string, patch: z.infer<typeof deviceUpdate>) {
  const { backendOptions, powerMeter, ...rest } = patch;
  const res = await db.device.updateMany({
    where: { slug },
    data: { ...rest, ...(backendOptions ? { backendOptions } : {}), ...(powerMeter !== undefined && { powerMeter: powerMeter ?? Prisma.DbNull }) },
  });
  if (res.count === 0) throw notFound('device.not_found', `No device ${slug}.`);
  return getDevice(db, slug, true);
}

/** Private devices are visible to the lab only. */
export async function getDevice(db: Db, slug: string, includePrivate: boolean) {
  const device = await db.device.findUnique({
    where: { slug },
    include: { agents: { include: { agent: { select: { id: true, name: true, lastHeartbeatAt: true, version: true } } } } },
  });
  if (!device || (!device.isPublic && !includePrivate)) throw notFound('device.not_found', `No device ${slug}.`);
  return device;
}

export async function listDevices(db: Db, includePrivate: boolean) {
  return db.device.findMany({ where: includePrivate ? {} : { isPublic: true }, orderBy: { slug: 'asc' } });
}
