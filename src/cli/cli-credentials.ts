// Where the CLI finds the API and a key: flags, then environment, then the credentials file that the
// first `npm start` writes for the demo vendor (mode 0600, like `gh` or `aws` CLI logins).
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

export interface CliCredentials {
  apiUrl: string;
  apiKey: string | undefined;
}

export const credentialsFile = (dataDir = process.env.NPUBENCH_DATA_DIR ?? './data') => resolve(join(dataDir, 'cli-credentials.json'));

/** One spelling per server: "http://host:3000/" and "http://host:3000" are the same API. */
export function normalizeApiUrl(url: string): string {
  let spelled = url.trim();
  try {
    spelled = new URL(spelled).href;
  } catch {
    // not a URL; the request will say so
  }
  return spelled.replace(/\/+$/, '');
}

export function resolveCliCredentials(flags: { apiUrl?: string | undefined; apiKey?: string | undefined }): CliCredentials {
  let stored: Partial<CliCredentials> = {};
  try {
    stored = JSON.parse(readFileSync(credentialsFile(), 'utf8')) as Partial<CliCredentials>;
  } catch {
    // no stored login
  }
  const apiUrl = normalizeApiUrl(flags.apiUrl ?? process.env.NPUBENCH_API_URL ?? stored.apiUrl ?? 'http://127.0.0.1:3000');
  // A stored key belongs to the server that issued it; do not send it elsewhere.
  const storedKey = stored.apiUrl === undefined || normalizeApiUrl(stored.apiUrl) === apiUrl ? stored.apiKey : undefined;
  return { apiUrl, apiKey: flags.apiKey ?? process.env.NPUBENCH_API_KEY ?? storedKey };
}

export async function saveCliCredentials(dataDir: string, creds: CliCredentials): Promise<string> {
  const file = credentialsFile(dataDir);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(creds, null, 2) + '\n', { mode: 0o600 });
  return file;
}
