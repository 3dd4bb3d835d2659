// What a runner device's report says about the runner: the digest of the executable the host's
// configuration starts (resolved as spawn resolves it: a path with '/' against the working folder,
// otherwise the first executable file on the PATH the runner gets) and of the script an interpreter
// is given (`python3 runner.py`: the first argument that is not an option and names a file), beside
// what the runner says about itself in `hello`, which is a claim: nothing checks it.
import { createHash } from 'node:crypto';
import { accessSync, constants, createReadStream, realpathSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { HarnessError } from '../lib/errors.js';
import { deviceInfoSchema } from './backends/backend.js';

const fileDigestSchema = z.strictObject({
  /** As configured, resolved to an absolute path. */
  path: z.string(),
  /** With symbolic links resolved: the file whose bytes were hashed. */
  realPath: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().min(0),
});

const claimedDeviceSchema = deviceInfoSchema.omit({ properties: true });

export const runnerIdentitySchema = z.strictObject({
  /** Measured by the host that ran the job, from the command it configured. */
  executable: fileDigestSchema,
  script: fileDigestSchema.nullable(),
  /** What the runner's `hello` said (name, version, device identity): claimed, not verified. Its free-form
   *  device properties stay in the summary's backend description. */
  claimed: z.strictObject({ runner: z.strictObject({ name: z.string(), version: z.string() }), device: claimedDeviceSchema.nullable() }).nullable(),
});
export type RunnerIdentity = z.infer<typeof runnerIdentitySchema>;
export type RunnerFileDigest = z.infer<typeof fileDigestSchema>;

export interface RunnerCommandLike {
  command: string;
  args?: string[] | undefined;
  env?: Record<string, string> | undefined;
  cwd?: string | undefined;
}

const isExecutableFile = (path: string) => {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
};

/** The file `spawn(command, { cwd, env })` would run, or null when there is none. */
export function resolveRunnerProgram(cmd: RunnerCommandLike): string | null {
  const cwd = cmd.cwd ?? process.cwd();
  if (cmd.command.includes('/')) {
    const path = resolve(cwd, cmd.command);
    return isExecutableFile(path) ? path : null;
  }
  const pathVar = cmd.env?.PATH ?? process.env.PATH ?? '';
  for (const dir of pathVar.split(delimiter)) {
    if (dir === '') continue;
    const candidate = resolve(isAbsolute(dir) ? dir : resolve(cwd, dir), cmd.command);
    if (isExecutableFile(candidate)) return candidate;
  }
  return null;
}

async function digestFile(path: string): Promise<RunnerFileDigest> {
  const realPath = realpathSync(path);
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(realPath)) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += bytes.length;
    hash.update(bytes);
  }
  return { path, realPath, sha256: hash.digest('hex'), size };
}

/** The script an interpreter runs: the first argument that is not an option and names a regular file. */
function scriptArgument(cmd: RunnerCommandLike): string | null {
  const cwd = cmd.cwd ?? process.cwd();
  for (const arg of cmd.args ?? []) {
    if (arg.startsWith('-')) continue;
    const path = resolve(cwd, arg);
    try {
      if (statSync(path).isFile()) return path;
    } catch {
      // not a file: an option's value or a module name
    }
  }
  return null;
}

/** Digests of the configured runner program and script; throws when the program cannot be found. */
export async function measureRunnerFiles(cmd: RunnerCommandLike): Promise<Pick<RunnerIdentity, 'executable' | 'script'>> {
  const program = resolveRunnerProgram(cmd);
  if (program === null) throw new HarnessError('runner.spawn_failed', `The runner command '${cmd.command}' is not an executable file here (looked on the runner's PATH).`);
  const script = scriptArgument(cmd);
  return { executable: await digestFile(program), script: script === null ? null : await digestFile(script) };
}
