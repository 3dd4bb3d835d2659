// Builds small tar archives in memory for tests (datasets of CSV files, bundles made on the fly).
import tarStream from 'tar-stream';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const FIXTURE_BUNDLES = fileURLToPath(new URL('../fixtures/bundles/', import.meta.url));
export const FIXTURE_LLMS = fileURLToPath(new URL('../fixtures/llm/', import.meta.url));
export const fixtureBundle = (name: string) => join(FIXTURE_BUNDLES, name);
export const fixtureLlm = (name: string) => join(FIXTURE_LLMS, name);

export async function tarOf(files: Record<string, string | Uint8Array>): Promise<Buffer> {
  const pack = tarStream.pack();
  for (const [name, content] of Object.entries(files)) pack.entry({ name }, typeof content === 'string' ? content : Buffer.from(content));
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
