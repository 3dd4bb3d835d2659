// Child processes for end-to-end tests: the real `npubench` CLI, as users run it.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const NPUBENCH_BIN = fileURLToPath(new URL('../../bin/npubench.js', import.meta.url));

export interface RunningProcess {
  child: ChildProcess;
  output: () => string;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function startNpubench(args: string[], env: Record<string, string>): RunningProcess {
  const child = spawn(process.execPath, [NPUBENCH_BIN, ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const proc: RunningProcess = {
    child,
    output: () => out,
    async waitForOutput(pattern, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = out.match(pattern);
        if (m) return m;
        if (child.exitCode !== null) throw new Error(`process exited (${child.exitCode}) before printing ${pattern}:\n${out}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
  afterAll(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return proc;
}

/** Runs the CLI to completion and returns its exit code and output. */
export async function runNpubench(args: string[], env: Record<string, string>, timeoutMs = 120_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [NPUBENCH_BIN, ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

export { freePort } from '../../src/lib/free-port.js';

/** Polls `probe` until it gives a value other than null. */
export async function waitUntil<T>(what: string, probe: () => Promise<T | null> | T | null, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A harness process of an agent process (found through /proc), or null when it has none. */
export function harnessChildPid(agentPid: number): number | null {
  try {
    for (const pid of readFileSync(`/proc/${agentPid}/task/${agentPid}/children`, 'utf8').split(' ').filter(Boolean)) {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('harness-child')) return Number(pid);
    }
  } catch {
    // the agent or the child is gone
  }
  return null;
}

/**
 * The harness process running `jobId`. Waits for the claim first: an idle agent keeps a spare harness
 * process loaded, so a harness child alone does not mean the job runs. Once the job is claimed the agent
 * has exactly one harness process, the job's (the spare is refilled only after the job).
 */
export async function harnessOfRunningJob(agentPid: number, jobStatus: () => Promise<string>): Promise<number> {
  await waitUntil('the job to be claimed', async () => ((await jobStatus()) === 'QUEUED' ? null : true));
  return waitUntil('the harness process of the running job', () => harnessChildPid(agentPid));
}
