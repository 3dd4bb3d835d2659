// Small helpers for resolving sysfs paths at meter construction. Failures here are configuration
// problems (no such sensor, not readable), reported as power.meter_unavailable with the path.
import { readdirSync, readFileSync } from 'node:fs';
import { HarnessError, errorMessage } from '../../lib/errors.js';

export function meterUnavailable(message: string, cause?: unknown): HarnessError {
  return new HarnessError('power.meter_unavailable', message, cause === undefined ? undefined : { cause });
}

export function meterConfigInvalid(message: string): HarnessError {
  return new HarnessError('power.meter_config_invalid', message);
}

/** Entries of a directory, [] when it does not exist. */
export function listDir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

/** Trimmed text of a file, null when it cannot be read. */
export function readTextOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'latin1').trim();
  } catch {
    return null;
  }
}

/**
 * Reads the file once so a meter fails at construction, not mid-run, when a value file is missing or
 * unreadable (RAPL energy_uj is root-only on kernels patched for CVE-2020-8694).
 */
export function requireReadableNumber(path: string, hint = ''): number {
  let text: string;
  try {
    text = readFileSync(path, 'latin1').trim();
  } catch (err) {
    throw meterUnavailable(`Power meter file ${path} cannot be read: ${errorMessage(err)}${hint}`, err);
  }
  const value = Number(text);
  if (text === '' || !Number.isFinite(value)) throw meterUnavailable(`Power meter file ${path} does not hold a number: ${JSON.stringify(text.slice(0, 80))}`);
  return value;
}

/** Directory entries matching `pattern`, ordered by the numbers in their names (hwmon2 before hwmon10). */
export function numberedEntries(dir: string, pattern: RegExp): string[] {
  return listDir(dir)
    .filter((name) => pattern.test(name))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}
