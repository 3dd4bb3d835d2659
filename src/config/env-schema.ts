// Helpers shared by the per-area env schemas: env values are strings, so booleans and byte sizes
// need explicit parsing that rejects typos instead of silently reading them as false/NaN.
import { z } from 'zod';

const booleanWords = z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off']);
const isTrueWord = (v: string) => ['true', '1', 'yes', 'on'].includes(v);

export const envBoolean = (fallback: boolean) =>
  booleanWords.optional().transform((v) => (v === undefined ? fallback : isTrueWord(v)));

/** For a boolean whose default depends on other variables: undefined when unset. */
export const envOptionalBoolean = () => booleanWords.optional().transform((v) => (v === undefined ? undefined : isTrueWord(v)));

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };

/** Accepts "1048576", "512MiB", "2GB" (binary multiples). */
export const envByteSize = (fallback: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return fallback;
      const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(v);
      const unit = SIZE_UNITS[(m?.[2] ?? '').toLowerCase()];
      if (!m || unit === undefined) {
        ctx.addIssue({ code: 'custom', message: 'expected a byte size such as 1048576, 512MiB or 2GiB' });
        return z.NEVER;
      }
      return Math.floor(Number(m[1]) * unit);
    });

export const envInt = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).optional().transform((v) => v ?? fallback);
