import { expect } from 'vitest';

interface InjectResponse {
  statusCode: number;
  headers: Record<string, unknown>;
  json(): unknown;
}

/** Asserts an RFC 9457 problem+json answer with the given status and stable code. */
export function expectProblem(res: InjectResponse, status: number, code: string): Record<string, unknown> {
  expect(res.statusCode, JSON.stringify(res.json())).toBe(status);
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  const body = res.json() as Record<string, unknown>;
  expect(body).toMatchObject({ status, code, title: expect.any(String), detail: expect.any(String), requestId: expect.any(String) });
  return body;
}

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
