// Configuration of every power meter kind, one zod schema per kind joined in a discriminated union.
// New kinds (the PTDaemon meter) add their member to `powerMeterConfigSchema` and a case to
// createPowerMeter (create-power-meter.ts).
import { z } from 'zod';
import { ptdaemonMeterConfigSchema } from './ptdaemon-meter.js';
import { DEFAULT_INTERVAL_MS, MIN_INTERVAL_MS } from './power-sampler.js';

const intervalMs = z.number().int().min(MIN_INTERVAL_MS).max(60_000).default(DEFAULT_INTERVAL_MS).describe('Sampling interval, ms');
const root = z.string().min(1).default('/sys').describe('sysfs mount point; tests point it at a fake tree');

export const raplMeterConfigSchema = z.object({
  kind: z.literal('rapl'),
  domains: z.array(z.string().min(1)).min(1).optional().describe('RAPL domain names to sum (package-0, dram, psys); default every top-level package'),
  root,
  intervalMs,
});

export const hwmonMeterConfigSchema = z.object({
  kind: z.literal('hwmon'),
  chip: z.string().min(1).optional().describe('hwmon `name`, e.g. ina3221, amdgpu'),
  channel: z.string().min(1).optional().describe('channel label or id (power1, in1)'),
  root,
  intervalMs,
});

export const powerSupplyMeterConfigSchema = z.object({
  kind: z.literal('power-supply'),
  supply: z.string().min(1).optional().describe('class/power_supply entry, e.g. BAT0; default the first battery'),
  root,
  intervalMs,
});

export const ina3221MeterConfigSchema = z.object({
  kind: z.literal('ina3221'),
  rails: z.array(z.string().min(1)).min(1).optional().describe('rail labels to sum; default VDD_IN, else the first channel'),
  root,
  intervalMs,
});

export const commandMeterConfigSchema = z.object({
  kind: z.literal('command'),
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  pattern: z
    .string()
    .min(1)
    .refine((source) => {
      try {
        new RegExp(source);
        return true;
      } catch {
        return false;
      }
    }, 'not a valid regular expression')
    .optional()
    .describe('line regex; watts from the `watts` group, else the first group'),
  meterClass: z.enum(['onboard', 'informative']).default('informative'),
  intervalMs,
});

export const nvmlMeterConfigSchema = z.object({
  kind: z.literal('nvml'),
  gpu: z.number().int().min(0).default(0),
  intervalMs,
});

export const powerMeterConfigSchema = z.discriminatedUnion('kind', [
  raplMeterConfigSchema,
  hwmonMeterConfigSchema,
  powerSupplyMeterConfigSchema,
  ina3221MeterConfigSchema,
  commandMeterConfigSchema,
  nvmlMeterConfigSchema,
  ptdaemonMeterConfigSchema,
]);

export type PowerMeterConfig = z.infer<typeof powerMeterConfigSchema>;
export type PowerMeterConfigInput = z.input<typeof powerMeterConfigSchema>;
