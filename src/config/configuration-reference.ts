// Renders docs/configuration.md from the env schema: each variable's default comes from parsing an
// unset value (so derived defaults cannot drift from the code) and its text from the zod `.describe()`.
import type { z } from 'zod';
import { envSchema } from './index.js';
import { serverEnv } from './server.js';
import { storageEnv } from './storage.js';
import { databaseEnv } from './database.js';
import { redisEnv } from './redis.js';
import { bootstrapEnv } from './bootstrap.js';
import { agentEnv } from './agent.js';
import { logSigningEnv, signingEnv } from './signing.js';
import { retentionEnv } from './retention.js';

const AREAS: { title: string; schema: z.ZodObject }[] = [
  { title: 'Server', schema: serverEnv },
  { title: 'Storage', schema: storageEnv },
  { title: 'Database', schema: databaseEnv },
  { title: 'Redis and queues', schema: redisEnv },
  { title: 'First start (`npm start`)', schema: bootstrapEnv },
  { title: 'Agents', schema: agentEnv },
  { title: 'Signing', schema: signingEnv },
  { title: 'Transparency log', schema: logSigningEnv },
  { title: 'Retention', schema: retentionEnv },
];

const BINARY_UNITS = ['GiB', 'MiB', 'KiB'] as const;

function formatDefault(variable: string, value: unknown): string {
  if (value === undefined) return 'unset';
  if (variable.endsWith('_BYTES') && typeof value === 'number') {
    for (const [i, unit] of BINARY_UNITS.entries()) {
      const size = 1024 ** (BINARY_UNITS.length - i);
      if (value % size === 0) return `\`${value / size}${unit}\``;
    }
  }
  return `\`${typeof value === 'string' ? value : JSON.stringify(value)}\``;
}

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

export function renderConfigurationReference(): string {
  const listed = new Set(AREAS.flatMap((area) => Object.keys(area.schema.shape)));
  const unlisted = Object.keys(envSchema.shape).filter((variable) => !listed.has(variable));
  if (unlisted.length > 0) throw new Error(`env variables missing from the configuration reference areas: ${unlisted.join(', ')}`);

  const lines = [
    '# Configuration',
    '',
    '<!-- Generated from src/config/*.ts by `npm run docs:generate`; do not edit by hand. -->',
    '',
    'All settings are environment variables. They are validated once at start-up; a bad value stops the',
    "process with the variable's name. An empty value (`VAR=`) counts as unset.",
  ];
  for (const area of AREAS) {
    lines.push('', `## ${area.title}`, '', '| variable | default | description |', '|---|---|---|');
    for (const [variable, field] of Object.entries(area.schema.shape) as [string, z.ZodType][]) {
      const unset = field.safeParse(undefined);
      const fallback = unset.success ? formatDefault(variable, unset.data) : 'required';
      lines.push(`| \`${variable}\` | ${fallback} | ${cell(field.description ?? '')} |`);
    }
  }
  lines.push(
    '',
    '## Command line only',
    '',
    '`npubench submit` reads `NPUBENCH_API_KEY` (an API key) and `NPUBENCH_API_URL`; without them it uses',
    'the login that `npm start` saves in `<data dir>/cli-credentials.json`.',
  );
  return lines.join('\n') + '\n';
}
