// What the API says about a device, declared once for the routes (which serialise through these
// schemas, so a field not named here never leaves the server) and for the dashboard (z.infer).
// Two views: the public one names the hardware and whether it is up; the lab one adds how the lab
// drives it (EP options, the power meter's host, port or sysfs paths) and its agents. Zod only: the
// dashboard imports this file.
import { z } from 'zod';

export const EXECUTION_PROVIDERS = ['cpu', 'cuda', 'tensorrt', 'webgpu', 'coreml', 'dml', 'qnn', 'openvino', 'xnnpack', 'rocm', 'migraphx', 'nnapi', 'vitisai'] as const;
/**
 * 'onnxruntime': the agent runs onnxruntime-node with `executionProvider`. 'runner': a vendor runtime
 * speaking the runner protocol (docs/runner-protocol.md), chosen by the agent host.
 */
export const BACKEND_KINDS = ['onnxruntime', 'runner'] as const;

const optionValue = z.union([z.string(), z.number(), z.boolean()]);

/** How the agent sets the backend up: lab configuration (library paths, thread counts, runner options). */
export const deviceBackendOptionsSchema = z.strictObject({
  epOptions: z.record(z.string(), optionValue).optional(),
  intraOpNumThreads: z.number().int().min(1).max(1024).optional(),
  interOpNumThreads: z.number().int().min(1).max(1024).optional(),
  graphOptimizationLevel: z.enum(['disabled', 'basic', 'extended', 'all']).optional(),
  /** runner devices: passed untouched as the runner's `load` options. */
  loadOptions: z.record(z.string(), optionValue).optional(),
});
export type DeviceBackendOptions = z.infer<typeof deviceBackendOptionsSchema>;

/** Anyone's view, and a vendor's: what the hardware is and whether an agent serves it now. */
export const publicDeviceSchema = z
  .object({
    slug: z.string(),
    name: z.string(),
    manufacturer: z.string(),
    soc: z.string().nullable(),
    npu: z.string().nullable(),
    backendKind: z.enum(BACKEND_KINDS),
    executionProvider: z.enum(EXECUTION_PROVIDERS),
    online: z.boolean().describe('An agent serving the device has sent a heartbeat recently'),
    measuresPower: z.boolean().describe('A power meter is configured, so reports of this device carry energy'),
  })
  .describe('A device as the public and vendors see it')
  .meta({ id: 'PublicDevice' });
export type PublicDevice = z.infer<typeof publicDeviceSchema>;

export const labDeviceAgentSchema = z.object({
  id: z.string(),
  name: z.string(),
  version: z.string().nullable(),
  lastHeartbeatAt: z.iso.datetime().nullable(),
  online: z.boolean(),
});

/** The lab's view (admin, certifier): the whole record as the lab configured it. */
export const labDeviceSchema = publicDeviceSchema
  .extend({
    isPublic: z.boolean(),
    serialNumber: z.string().nullable().describe('Lab-asserted serial number of the unit'),
    firmwareVersion: z.string().nullable().describe('Lab-asserted firmware version; reports compare it with what the runner claims'),
    driverVersion: z.string().nullable().describe('Lab-asserted driver version; reports compare it with what the runner claims'),
    backendOptions: deviceBackendOptionsSchema,
    // The meter kinds are declared by the harness (src/harness/power); the lab sees its record whole.
    powerMeter: z.looseObject({ kind: z.string() }).nullable().describe('How the agent measures power: a PTDaemon host and port, or sysfs paths'),
    agents: z.array(labDeviceAgentSchema).describe('Agents registered for the device, revoked ones excluded'),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .describe('A device as the lab sees it')
  .meta({ id: 'LabDevice' });
export type LabDevice = z.infer<typeof labDeviceSchema>;

/** One answer for both callers: the service has already cut the record to the caller's view. */
export const deviceViewSchema = z.union([labDeviceSchema, publicDeviceSchema]).meta({ id: 'DeviceView' });
export type DeviceView = z.infer<typeof deviceViewSchema>;

export const deviceListSchema = z.object({ items: z.array(deviceViewSchema) }).meta({ id: 'DeviceList' });

/** Public: agents online and jobs waiting or running for one device, counts only. */
export const deviceStatusSchema = z.object({
  device: z.string(),
  agents: z.number().int(),
  agentsOnline: z.number().int(),
  lastHeartbeatAgeSeconds: z.number().nullable(),
  queued: z.number().int(),
  running: z.number().int(),
}).meta({ id: 'DeviceStatus' });
export type DeviceStatus = z.infer<typeof deviceStatusSchema>;

/** Lab only: every device with its agents' heartbeat ages, the jobs Postgres holds and its queue depth. */
export const testbedHealthSchema = z.object({
  onlineWithinSeconds: z.number(),
  devices: z.array(
    z.object({
      slug: z.string(),
      name: z.string(),
      isPublic: z.boolean(),
      jobs: z.object({ queued: z.number().int(), running: z.number().int() }),
      queue: z.object({ waiting: z.number().int(), active: z.number().int(), delayed: z.number().int() }).nullable().describe('null: Redis did not answer'),
      agents: z.array(
        z.object({
          id: z.string(),
          name: z.string(),
          hostname: z.string().nullable(),
          version: z.string().nullable(),
          revoked: z.boolean(),
          heartbeatAgeSeconds: z.number().nullable(),
          online: z.boolean(),
        }),
      ),
    }),
  ),
}).meta({ id: 'TestbedHealth' });
export type TestbedHealth = z.infer<typeof testbedHealthSchema>;
