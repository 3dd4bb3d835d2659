// The one HTTP client for talking to the npubench API (agents and the CLI). Every answer is parsed with
// its contract schema (src/contracts), the one the route serialises through, so an answer the caller
// cannot use is an ApiRequestError ('api.unexpected_answer') at the boundary, not a crash later.
// Problem+json answers become ApiRequestError with the server's stable code, so callers branch on
// codes, not on text.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { z } from 'zod';
import { problemSchema } from '../contracts/problem.js';

/** The code of an answer that does not match the contract the caller holds it to. */
export const UNEXPECTED_ANSWER = 'api.unexpected_answer';

type RequestOptions = { json?: unknown; form?: FormData; headers?: Record<string, string>; timeoutMs?: number };

export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'ApiRequestError';
  }
  /** Network trouble and 5xx are worth retrying; 4xx are not. */
  get transient(): boolean {
    return this.status === 0 || this.status >= 500 || this.status === 429;
  }
}

/** Why a fetch got no answer, in words: undici says only "fetch failed" and keeps the reason in `cause`. */
export function networkFailure(err: unknown, timeoutMs?: number): string {
  const error = err as Error & { cause?: { code?: string; message?: string } };
  if (error.name === 'TimeoutError') return timeoutMs === undefined ? 'no answer in time' : `no answer within ${Math.round(timeoutMs / 1000)} s`;
  const cause = error.cause;
  if (cause?.code === 'ECONNREFUSED') return 'connection refused: nothing listens there';
  if (cause?.code === 'ENOTFOUND' || cause?.code === 'EAI_AGAIN') return 'the host name does not resolve';
  return cause?.code ?? cause?.message ?? error.message;
}

export class ApiHttpClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string | undefined,
    private readonly timeoutMs = 30_000,
  ) {}

  private headers(extra?: Record<string, string>): Record<string, string> {
    return { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...extra };
  }

  /** Sends a request and parses its answer with `answer` (`z.undefined()` for 204 No Content). */
  async request<S extends z.ZodType>(answer: S, method: string, path: string, opts: RequestOptions = {}): Promise<z.output<S>> {
    const res = await this.send(method, path, opts);
    const text = await res.text();
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new ApiRequestError(res.status, UNEXPECTED_ANSWER, `${method} ${path} answered ${res.status} with a body that is not JSON`, text.slice(0, 200));
    }
    const parsed = answer.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue ? `${issue.path.join('.') || 'the body'}: ${issue.message}` : 'no issue reported';
      throw new ApiRequestError(res.status, UNEXPECTED_ANSWER, `${method} ${path} answered ${res.status} with a body this client cannot use (${where})`, body);
    }
    return parsed.data;
  }

  async requestText(method: string, path: string): Promise<string> {
    return (await this.send(method, path, {})).text();
  }

  private async send(method: string, path: string, opts: RequestOptions): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(new URL(path, this.baseUrl), {
        method,
        headers: this.headers({ ...(opts.json !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers }),
        body: opts.form ?? (opts.json !== undefined ? JSON.stringify(opts.json) : undefined),
        signal: AbortSignal.timeout(opts.timeoutMs ?? this.timeoutMs),
      });
    } catch (err) {
      throw new ApiRequestError(0, 'network.unreachable', `Cannot reach the npubench API at ${this.baseUrl} (${networkFailure(err, opts.timeoutMs ?? this.timeoutMs)})`);
    }
    if (!res.ok) {
      const body: unknown = await res.json().catch(() => undefined);
      // A proxy's HTML error page or an empty 502 is not a problem: its status still tells what happened.
      const problem = problemSchema.safeParse(body);
      if (!problem.success) throw new ApiRequestError(res.status, `http.${res.status}`, `${method} ${path} answered ${res.status}`, body);
      throw new ApiRequestError(res.status, problem.data.code, problem.data.detail, body);
    }
    return res;
  }

  /** Streams a download to `dest`, checking its sha256 on the way; the file appears only if it matches. */
  async download(path: string, dest: string, expectedSha256: string, timeoutMs = 10 * 60_000): Promise<void> {
    const res = await this.send('GET', path, { timeoutMs });
    if (!res.body) throw new ApiRequestError(res.status, 'download.empty', `${path} returned no body`);
    const hash = createHash('sha256');
    const tmp = `${dest}.${process.pid}.partial`;
    try {
      await pipeline(
        Readable.fromWeb(res.body as WebReadableStream<Uint8Array>),
        new Transform({
          transform(chunk: Buffer, _enc, done) {
            hash.update(chunk);
            done(null, chunk);
          },
        }),
        createWriteStream(tmp),
      );
      const actual = hash.digest('hex');
      if (actual !== expectedSha256) throw new ApiRequestError(0, 'download.digest_mismatch', `Downloaded ${path} has sha256 ${actual}, expected ${expectedSha256}`);
      await rename(tmp, dest);
    } finally {
      await rm(tmp, { force: true });
    }
  }
}
