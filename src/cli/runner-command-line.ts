import type { RunnerCommand } from '../workers/agent/agent.js';

/** A runner command line split on white space (no shell quoting: wrap complex ones in a script). */
export function runnerCommandLine(line: string): RunnerCommand & { args: string[] } {
  const [command, ...args] = line.trim().split(/\s+/);
  if (!command) throw new Error('the runner command is empty');
  return { command, args };
}
