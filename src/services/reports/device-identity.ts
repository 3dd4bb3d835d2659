// The device a report was measured on, two ways: what the lab asserts in the device record (serial,
// firmware, driver) and what the agent observed (the host and runtime it read, and for runner devices
// what the runner claimed in hello). A difference is flagged on the report, never corrected.
import type { DeviceIdentity } from '../../contracts/reports.js';
import type { EnvironmentInfo } from '../../harness/schemas.js';

export interface AssertedIdentity {
  serialNumber: string | null;
  firmwareVersion: string | null;
  driverVersion: string | null;
}

export function compareDeviceIdentity(asserted: AssertedIdentity, environment: EnvironmentInfo): DeviceIdentity {
  const claimed = environment.runner?.claimed?.device;
  const observed = {
    cpuModel: environment.cpu.model,
    os: `${environment.os.type} ${environment.os.release}`,
    executionProvider: environment.runtime.executionProvider,
    runnerClaimedFirmwareVersion: claimed?.firmwareVersion ?? null,
    runnerClaimedDriverVersion: claimed?.driverVersion ?? null,
  };
  const observedOf = { serialNumber: null, firmwareVersion: observed.runnerClaimedFirmwareVersion, driverVersion: observed.runnerClaimedDriverVersion };
  const checks: DeviceIdentity['checks'] = [];
  for (const field of ['serialNumber', 'firmwareVersion', 'driverVersion'] as const) {
    const value = asserted[field];
    if (value === null) continue;
    const seen = observedOf[field];
    checks.push({ field, asserted: value, observed: seen, result: seen === null ? 'not-observed' : seen === value ? 'match' : 'mismatch' });
  }
  const status: DeviceIdentity['status'] =
    checks.length === 0 ? 'not-asserted' : checks.some((c) => c.result === 'mismatch') ? 'mismatch' : checks.some((c) => c.result === 'match') ? 'match' : 'unverified';
  return { asserted, observed, checks, status };
}
