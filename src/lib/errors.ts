// One error family for the whole service. Each error has a stable machine-readable `code`, declared with
// its HTTP status and meaning in ./error-catalog.ts (docs/architecture.md's tables are generated from it).
// The status always comes from the catalog. The API's error handler turns these into RFC 9457
// problem+json; anything else becomes a 500 with no internals.
import { ERROR_CATALOG, isErrorCode, type ErrorCode, type ErrorCodeWithStatus } from './error-catalog.js';

export { ERROR_CATALOG, ERROR_CODES, isErrorCode, errorStatus, type ErrorCode } from './error-catalog.js';

export interface ProblemDetailsExtra {
  [key: string]: unknown;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly extra: ProblemDetailsExtra | undefined;

  constructor(code: ErrorCode, message: string, extra?: ProblemDetailsExtra, options?: { cause?: unknown }) {
    // The type already refuses an undeclared code; this catches one smuggled past it with a cast.
    if (!isErrorCode(code)) throw new TypeError(`Undeclared error code '${String(code)}': declare it in src/lib/error-catalog.ts`);
    super(message, options);
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_CATALOG[code].status;
    this.extra = extra;
  }
}

// Each helper accepts only the codes the catalog answers with its status, so they cannot disagree.
export const badRequest = (code: ErrorCodeWithStatus<400>, message: string, extra?: ProblemDetailsExtra) => new AppError(code, message, extra);
export const unauthorized = (code: ErrorCodeWithStatus<401>, message: string) => new AppError(code, message);
export const forbidden = (code: ErrorCodeWithStatus<403>, message: string) => new AppError(code, message);
export const notFound = (code: ErrorCodeWithStatus<404>, message: string) => new AppError(code, message);
export const conflict = (code: ErrorCodeWithStatus<409>, message: string, extra?: ProblemDetailsExtra) => new AppError(code, message, extra);
export const gone = (code: ErrorCodeWithStatus<410>, message: string) => new AppError(code, message);
export const payloadTooLarge = (code: ErrorCodeWithStatus<413>, message: string, extra?: ProblemDetailsExtra) => new AppError(code, message, extra);
export const unsupportedMediaType = (code: ErrorCodeWithStatus<415>, message: string) => new AppError(code, message);
export const unprocessable = (code: ErrorCodeWithStatus<422>, message: string, extra?: ProblemDetailsExtra) => new AppError(code, message, extra);
export const serviceUnavailable = (code: ErrorCodeWithStatus<503>, message: string) => new AppError(code, message);

/** Failures of a benchmark run. `code` is stored on the job so vendors can tell a crash from a bad model. */
export class HarnessError extends AppError {
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, undefined, options);
    this.name = 'HarnessError';
  }
}

/**
 * A code that arrived as a plain string from another process (the harness child, an agent, maybe of
 * another version): kept if declared, otherwise `fallback`, with the original code leading the message.
 */
export function declaredFailure(code: string, message: string, fallback: ErrorCode): { code: ErrorCode; message: string } {
  return isErrorCode(code) ? { code, message } : { code: fallback, message: `${code}: ${message}` };
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
