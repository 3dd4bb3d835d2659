// Signals to the command a person started reach the real process: `npx npubench agent` stopped with
// SIGTERM (npm forwards it to its `sh -c` only), and `node bin/npubench.js agent` stopped with SIGTERM
// or SIGINT, leave no process behind (no agent re-parented to init, no harness child). Every process of a run carries a unique marker in its
// environment, so the check finds them wherever they were re-parented to.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { agentProcessFixture } from '../helpers/test-agent.js';
import { NPUBENCH_BIN, REPO_ROOT, waitUntil } from '../helpers/processes.js';

const DEVICE = 'npu-signal';
const MARKER_VAR = 'NPUBENCH_TEST_SIGNAL_MARKER';

/** Pids of live processes whose environment carries MARKER_VAR=marker (zombies have no environment). */
function processesMarked(marker: string): number[] {
  const needle = `${MARKER_VAR}=${marker}\0`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').includes(needle)) pids.push(Number(entry));
    } catch {
      // gone, or not ours
    }
  }
  return pids;
}

const describeProcess = (pid: number) => {
  try {
    const ppid = /^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return `${pid} (ppid ${ppid}): ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')}`;
  } catch {
    return `${pid} (gone)`;
  }
};

describe.skipIf(process.platform !== 'linux')('signals to the npubench command', () => {
  let env: Record<string, string>;
  const leftovers: number[] = [];

  beforeAll(async () => {
    ({ env } = await agentProcessFixture(DEVICE, 'signal-agent'));
    return () => {
      for (const pid of leftovers) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    };
  });

  async function startAgent(command: string, args: string[], marker: string): Promise<{ child: ChildProcess; output: () => string }> {
    const child = spawn(command, [...args, 'agent', '--device', DEVICE], { cwd: REPO_ROOT, env: { ...process.env, ...env, [MARKER_VAR]: marker }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    await waitUntil('the agent to start', () => {
      if (child.exitCode !== null) throw new Error(`exited (${child.exitCode}) before serving:\n${out}`);
      return /npubench agent serving/.test(out) ? true : null;
    }, 180_000);
    return { child, output: () => out };
  }

  const cases: { name: string; command: string; args: string[]; signal: NodeJS.Signals }[] = [
    { name: 'npx npubench agent', command: 'npx', args: ['npubench'], signal: 'SIGTERM' },
    { name: 'node bin/npubench.js agent', command: process.execPath, args: [NPUBENCH_BIN], signal: 'SIGTERM' },
    { name: 'node bin/npubench.js agent', command: process.execPath, args: [NPUBENCH_BIN], signal: 'SIGINT' },
  ];

  it.each(cases)('$name stopped with $signal leaves no process running', { timeout: 300_000 }, async ({ command, args, signal }) => {
    const marker = randomBytes(8).toString('hex');
    const { child, output } = await startAgent(command, args, marker);
    // The agent keeps a spare harness process loaded: wait for it, so the check covers grandchildren too.
    await waitUntil('the agent and its harness process', () => (processesMarked(marker).some((pid) => describeProcess(pid).includes('harness-child')) ? true : null), 180_000);
    const before = processesMarked(marker);
    expect(before).toContain(child.pid);

    const exited = new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));
    child.kill(signal);
    await exited;
    let survivors: number[] = [];
    try {
      await waitUntil('every process of the run to exit', () => ((survivors = processesMarked(marker)).length === 0 ? true : null), 120_000);
    } catch {
      leftovers.push(...survivors);
    }
    expect(survivors.map(describeProcess), output()).toEqual([]);
    expect(output()).toMatch(/agent stopped/);
  });
});
