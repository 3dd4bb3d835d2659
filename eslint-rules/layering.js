// The layering of docs/architecture.md as a lint rule. no-restricted-imports matches the specifier as
// written ('../../services/x.js'), whose spelling depends on how deep the importing file sits; this rule
// resolves each relative import against the importing file and checks folder against folder, so the
// table below is the whole policy. Type-only imports count: a type import is still a dependency.
import { builtinModules } from 'node:module';
import path from 'node:path';

const SRC = path.join(import.meta.dirname, '..', 'src');

/** Which src/ folders each layer may import (besides itself and src/contracts, which everyone may). */
const MAY_IMPORT = {
  config: [],
  // The certificate formats are declared once in lib (zod only, no Node imports) and shared by the verifiers.
  contracts: ['lib/certificates/certificate-schema', 'lib/certificates/rule-facts'],
  lib: ['config'],
  queue: ['lib', 'harness/schemas'],
  services: ['lib', 'queue', 'config', 'harness/schemas'],
  api: ['services', 'lib', 'queue', 'config', 'harness/schemas'],
  workers: ['harness', 'queue', 'lib', 'config'],
  // Its own errors are the harness's only tie to the service, so a vendor laptop runs the same code.
  harness: ['lib/errors'],
  // Browser code: besides the contracts, only the Node-free certificate verifier `npubench verify` runs
  // too (on WebCrypto) and what it is made of (zod schemas, the issuer, key-lifetime and status checks,
  // the rule engine and its facts, RFC 8785 canonical JSON).
  dashboard: [
    'lib/certificates/certificate-verifier',
    'lib/certificates/certificate-schema',
    'lib/certificates/certificate-issuer',
    'lib/certificates/certificate-status',
    'lib/certificates/rule-facts',
    'lib/certificates/profile-rules',
    'lib/certificates/certificate-rules-check',
    'lib/crypto/web-verify',
    'lib/crypto/key-lifetime',
    'lib/crypto/canonical-json',
  ],
  cli: ['*'],
};

/** Single files allowed one import their layer is not: each with the reason. */
const FILE_EXCEPTIONS = {
  // A suite run registers the catalog's generated datasets on first use: the generator (and, for the image
  // set's labels, the FP32 reference on the CPU EP) is the harness's, and every file's sha256 is checked
  // against the catalog before it is stored.
  'services/suites/suite-references': ['harness/index'],
};

/** The lib modules the browser runs (the certificate verifier and its parts): they import nothing of
 *  Node's and, of ours, only each other, so the one verifier stays runnable on both. */
const NODE_FREE = MAY_IMPORT.dashboard;
const isNodeBuiltin = (spec) => spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0]);

/** Harness files the runtime-free schemas.ts must not re-export from: they run models, meters, children. */
const HARNESS_RUNTIME = ['run-benchmark', 'scenarios', 'runner', 'inputs', 'backends/onnxruntime', 'backends/runner-process', 'power/create-power-meter', 'power/power-sampler', 'power/sampled-meter', 'power/ptdaemon-meter', 'power/ptdaemon-client', 'power/sysfs-files'];

/** Packages a layer may not import: routes reach the database through services; the harness has none. */
const FORBIDDEN_PACKAGES = { 'api/routes': /^@prisma\//, harness: /^@prisma\// };

const withoutExtension = (p) => p.replace(/\.(js|ts|tsx)$/, '');
const within = (rel, folder) => rel === folder || rel.startsWith(`${folder}/`);
/** src-relative path without extension ('services/devices/devices'), or null outside src. */
function srcPath(abs) {
  const rel = path.relative(SRC, abs).split(path.sep).join('/');
  return rel.startsWith('..') || path.isAbsolute(rel) ? null : withoutExtension(rel);
}
const layerOf = (rel) => rel.split('/')[0];

function nodeFreeViolation(from, spec, fileAbs) {
  if (isNodeBuiltin(spec)) return `${from} runs in the browser too (the one certificate verifier); it may not import ${spec}`;
  if (!spec.startsWith('.')) return null;
  const to = srcPath(path.resolve(path.dirname(fileAbs), spec));
  // The contracts are zod declarations every layer shares, the browser included.
  if (to !== null && (NODE_FREE.includes(to) || layerOf(to) === 'contracts')) return null;
  return `${from} runs in the browser too (the one certificate verifier); of ours it may import only the contracts and ${NODE_FREE.join(', ')}, not ${to ?? spec}`;
}

function violation(from, spec, fileAbs) {
  if (NODE_FREE.includes(from)) {
    const why = nodeFreeViolation(from, spec, fileAbs);
    if (why) return why;
  }
  const layer = layerOf(from);
  if (!spec.startsWith('.')) {
    for (const [folder, pattern] of Object.entries(FORBIDDEN_PACKAGES)) {
      if (within(from, folder) && pattern.test(spec)) return `src/${folder} may not import ${spec}; the database is reached through services`;
    }
    return null;
  }
  const to = srcPath(path.resolve(path.dirname(fileAbs), spec));
  if (to === null) return `src/${layer} may not import outside src/ (${spec})`;
  const toLayer = layerOf(to);
  if (from === 'harness/schemas' && HARNESS_RUNTIME.some((f) => within(to, `harness/${f}`))) {
    return `harness/schemas.ts is the runtime-free share of the harness; ${to} runs things (export it from harness/index.ts)`;
  }
  if (toLayer === layer || toLayer === 'contracts') return null;
  if (FILE_EXCEPTIONS[from]?.includes(to)) return null;
  // Outside the harness, its public entry points only: index.ts, or schemas.ts where only schemas may go.
  if (toLayer === 'harness' && to !== 'harness/index' && to !== 'harness/schemas') {
    return `import the harness through src/harness/index.ts (or schemas.ts), not its internals (${to})`;
  }
  const allowed = MAY_IMPORT[layer];
  if (allowed === undefined || allowed.includes('*')) return null;
  if (allowed.some((a) => within(to, a))) return null;
  if (toLayer === 'harness' && allowed.includes('harness/schemas')) return `src/${layer} may import only the harness's schemas (src/harness/schemas.ts), not ${to}`;
  return `src/${layer} may not import src/${toLayer} (${to}); see docs/architecture.md, Layout`;
}

const layeringRule = {
  meta: { type: 'problem', docs: { description: 'the layering of docs/architecture.md' }, schema: [], messages: { layer: '{{why}}' } },
  create(context) {
    const from = srcPath(context.filename);
    if (from === null) return {};
    const check = (node) => {
      if (node?.type !== 'Literal' || typeof node.value !== 'string') return;
      const why = violation(from, node.value, context.filename);
      if (why) context.report({ node, messageId: 'layer', data: { why } });
    };
    return {
      ImportDeclaration: (n) => check(n.source),
      ExportNamedDeclaration: (n) => check(n.source),
      ExportAllDeclaration: (n) => check(n.source),
      ImportExpression: (n) => check(n.source),
      TSImportType: (n) => check(n.argument?.literal ?? n.argument),
    };
  },
};

export const LAYERING_RULE = 'npubench/layering';

/** The flat-config block that turns the rule on for src/ (tests and benches may import anything). */
export const layeringConfig = {
  files: ['src/**/*.ts', 'src/**/*.tsx'],
  plugins: { npubench: { rules: { layering: layeringRule } } },
  rules: { [LAYERING_RULE]: 'error' },
};
