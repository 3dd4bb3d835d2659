// One error family for the whole service. Each error has a stable machine-readable `code` (part of the
// API contract, listed in docs/architecture.md) and the HTTP status it maps to. The API's error handler turns
// these into RFC 9457 problem+json; anything else becomes a 500 with no internals.

export interface ProblemDetailsExtra {
  [key: string]: unknown;
}

export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly extra: ProblemDetailsExtra | undefined;

  constructor(code: string, status: number, message: string, extra?: ProblemDetailsExtra, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AppError';
    this.code = code;
    this.status = status;
    this.extra = extra;
  }
}

export const badRequest = (code: string, message: string, extra?: ProblemDetailsExtra) => new AppError(code, 400, message, extra);
export const unauthorized = (code: string, message: string) => new AppError(code, 401, message);
export const forbidden = (code: string, message: string) => new AppError(code, 403, message);
export const notFound = (code: string, message: string) => new AppError(code, 404, message);
export const conflict = (code: string, message: string, extra?: ProblemDetailsExtra) => new AppError(code, 409, message, extra);
export const gone = (code: string, message: string) => new AppError(code, 410, message);
export const payloadTooLarge = (code: string, message: string, extra?: ProblemDetailsExtra) => new AppError(code, 413, message, extra);
export const unsupportedMediaType = (code: string, message: string) => new AppError(code, 415, message);
export const unprocessable = (code: string, message: string, extra?: ProblemDetailsExtra) => new AppError(code, 422, message, extra);
export const serviceUnavailable = (code: string, message: string) => new AppError(code, 503, message);

/** Failures of a benchmark run. `code` is stored on the job so vendors can tell a crash from a bad model. */
export class HarnessError extends AppError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, 422, message, undefined, options);
    this.name = 'HarnessError';
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
