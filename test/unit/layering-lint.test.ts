// The layering of docs/architecture.md is a lint rule (eslint-rules/layering.js). Each case below is a
// deliberate import placed at a path in one layer, with the verdict the architecture table gives it
// written out by hand; the rule must agree.
import path from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import { LAYERING_RULE, layeringConfig } from '../../eslint-rules/layering.js';

const root = path.resolve(import.meta.dirname, '../..');

// Only the layering rule, with the TypeScript parser: the full config's type-aware rules would need every
// probe file to exist in a tsconfig. That the full config turns the rule on is checked separately below.
const eslint = new ESLint({
  cwd: root,
  overrideConfigFile: true,
  overrideConfig: [{ files: ['**/*.ts', '**/*.tsx'], languageOptions: { parser: tseslint.parser } }, layeringConfig],
});

async function layeringErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, filePath) });
  expect(result!.messages.filter((m) => m.ruleId !== LAYERING_RULE)).toEqual([]);
  return result!.messages.map((m) => m.message);
}

const violations: [what: string, filePath: string, code: string][] = [
  ['the harness importing a service', 'src/harness/accuracy/probe.ts', "import { listDevices } from '../../services/devices/devices.js';"],
  ['the harness importing lib beyond errors', 'src/harness/probe.ts', "import { logger } from '../lib/logger.js';"],
  ['the harness importing the database client', 'src/harness/power/probe.ts', "import { PrismaClient } from '@prisma/client';"],
  ['the agent importing a service (type-only counts)', 'src/workers/agent/probe.ts', "import type { DeviceBackendOptions } from '../../services/devices/devices.js';"],
  ['the agent importing the API', 'src/workers/agent/probe.ts', "import { build } from '../../api/app.js';"],
  ['a route importing Prisma', 'src/api/routes/probe.ts', "import { Prisma } from '@prisma/client';"],
  ['a route importing a Prisma subpath', 'src/api/routes/probe.ts', "import type { PrismaClient } from '@prisma/client/runtime/library';"],
  ['the dashboard importing a service', 'src/dashboard/src/pages/probe.tsx', "import { listDevices } from '../../../services/devices/devices.js';"],
  ['the dashboard importing Node-side lib code', 'src/dashboard/src/probe.ts', "import { logger } from '../../lib/logger.js';"],
  ['the CLI importing harness internals', 'src/cli/commands/probe.ts', "import { runServer } from '../../harness/scenarios/server.js';"],
  ['a service re-exporting harness internals', 'src/services/jobs/probe.ts', "export { resolveSuiteSpec } from '../../harness/suite-spec.js';"],
  ['a service importing the harness runtime', 'src/services/reports/probe.ts', "import { runBenchmark } from '../../harness/index.js';"],
  ['the queue importing the harness runtime', 'src/queue/probe.ts', "import { resolvedSuiteSpecSchema } from '../harness/index.js';"],
  ['a service loading harness internals lazily', 'src/services/models/probe.ts', "export const load = () => import('../../harness/accuracy/tokenizer.js');"],
  ['schemas.ts re-exporting runtime code', 'src/harness/schemas.ts', "export { runBenchmark } from './run-benchmark.js';"],
  ['contracts importing a service', 'src/contracts/probe.ts', "import { listDevices } from '../services/devices/devices.js';"],
  ['lib importing a service', 'src/lib/probe.ts', "import { listDevices } from '../services/devices/devices.js';"],
  ['the browser-run certificate verifier importing node:crypto', 'src/lib/certificates/certificate-verifier.ts', "import { createHash } from 'node:crypto';"],
  ['the browser-run WebCrypto primitives importing a Node builtin without the node: prefix', 'src/lib/crypto/web-verify.ts', "import { Buffer } from 'buffer';"],
  ['the browser-run certificate verifier importing Node-side lib code', 'src/lib/certificates/certificate-verifier.ts', "import { verifyStatement } from '../crypto/dsse.js';"],
  ['the dashboard importing the Node-side certificate bundle module', 'src/dashboard/src/pages/probe.tsx', "import { statementDigestOf } from '../../../lib/certificates/certificate-bundle.js';"],
];

const legal: [what: string, filePath: string, code: string][] = [
  ['the harness importing lib/errors', 'src/harness/backends/probe.ts', "import { HarnessError } from '../../lib/errors.js';"],
  ['the harness importing its own internals', 'src/harness/scenarios/probe.ts', "import { percentileOfSorted } from '../stats/latency-percentiles.js';"],
  ['the agent importing the harness entry point and contracts', 'src/workers/agent/probe.ts', "import { runBenchmark } from '../../harness/index.js';\nimport type { DeviceBackendOptions } from '../../contracts/devices.js';"],
  ['a route importing a service and contracts', 'src/api/routes/probe.ts', "import { listDevices } from '../../services/devices/devices.js';\nimport { labDeviceSchema } from '../../contracts/devices.js';"],
  ['a service importing the harness schemas', 'src/services/reports/probe.ts', "import { latencySummaryReportSchema } from '../../harness/schemas.js';"],
  ['a service importing Prisma', 'src/services/jobs/probe.ts', "import { Prisma } from '@prisma/client';"],
  ['the dashboard importing contracts, its own code and the shared certificate schema', 'src/dashboard/src/pages/probe.tsx', "import type { DeviceView } from '../../../contracts/devices';\nimport { session } from '../api';\nimport { certificateBundleSchema } from '../../../lib/certificates/certificate-schema.js';"],
  ['the dashboard importing the one certificate verifier', 'src/dashboard/src/pages/probe.tsx', "import { verifyCertificateBundle } from '../../../lib/certificates/certificate-verifier';"],
  ['the certificate verifier importing its Node-free parts', 'src/lib/certificates/certificate-verifier.ts', "import { verifyLogInclusion } from '../crypto/web-verify.js';\nimport { checkIssuer } from './certificate-issuer.js';\nimport { z } from 'zod';"],
  ['the CLI importing anything of ours', 'src/cli/commands/probe.ts', "import { build } from '../../api/app.js';\nimport { runBenchmark } from '../../harness/index.js';"],
];

describe('layering lint rule', () => {
  it.each(violations)('rejects %s', async (_what, filePath, code) => {
    const errors = await layeringErrors(filePath, code);
    expect(errors).toHaveLength(1);
  });

  it.each(legal)('accepts %s', async (_what, filePath, code) => {
    expect(await layeringErrors(filePath, code)).toEqual([]);
  });

  it('says why, naming the layer and what it may not import', async () => {
    expect(await layeringErrors('src/workers/agent/probe.ts', "import type { DeviceBackendOptions } from '../../services/devices/devices.js';")).toEqual([
      'src/workers may not import src/services (services/devices/devices); see docs/architecture.md, Layout',
    ]);
  });

  it('is on, as an error, in the project configuration for every layer', async () => {
    const project = new ESLint({ cwd: root });
    for (const file of ['src/harness/probe.ts', 'src/workers/agent/probe.ts', 'src/api/routes/probe.ts', 'src/services/jobs/probe.ts', 'src/dashboard/src/probe.tsx', 'src/cli/probe.ts']) {
      const config = (await project.calculateConfigForFile(path.join(root, file))) as { rules: Record<string, unknown[]> };
      expect(config.rules[LAYERING_RULE]?.[0], file).toBe(2);
    }
    // Tests and benches import internals on purpose.
    const testConfig = (await project.calculateConfigForFile(path.join(root, 'test/unit/probe.test.ts'))) as { rules: Record<string, unknown> };
    expect(testConfig.rules[LAYERING_RULE]).toBeUndefined();
  });
});
