// How the CLI tells a person what went wrong: the API's stable code and detail (with the paths of
// invalid fields), or zod's readable list for a bad local spec.
import { z } from 'zod';
import { ApiRequestError } from '../lib/http-client.js';

export function describeCliError(err: unknown): string {
  if (err instanceof ApiRequestError) {
    const fieldErrors = (err.body as { errors?: { path: string; message: string }[] } | undefined)?.errors ?? [];
    return [`${err.code}: ${err.message}`, ...fieldErrors.map((e) => `  ${e.path}: ${e.message}`)].join('\n');
  }
  if (err instanceof z.ZodError) return `invalid suite spec:\n${z.prettifyError(err)}`;
  return err instanceof Error ? err.message : String(err);
}
