// The runner protocol's hand-written fast paths (protocol.ts) may only accept what the zod schemas accept:
// each is held against its schema on the timed loop's real messages, on hand-made near misses, and on
// 5,000 seeded mutations. Where a fast path answers, the schema must accept the same message and parse it
// to an equal value; where it declines, the schema decides (that is the fallback both sides use).
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  fastOkResponse,
  fastRunSamplesRequest,
  fastRunSamplesResult,
  requestSchema,
  responseSchema,
  runSamplesRequestSchema,
  runSamplesResultSchema,
} from '../../src/harness/runner/protocol.js';
import { LineSplitter } from '../../src/harness/runner/json-lines.js';
import { mutateValue, seededRandom } from '../helpers/seeded-fuzz.js';

const digest = (text: string) => createHash('sha256').update(text).digest('hex');
const RUN_REQUEST = { id: 4, op: 'run', samples: [17, 0, 3], returnOutputs: false };
const RUN_RESULT = { results: [{ digests: [digest('a'), digest('b')] }, { digests: [digest('c'), digest('d')] }], deviceTimesNs: [181250, 0.5] };
const OK_RESPONSE = { id: 4, ok: true, result: RUN_RESULT };

/** Through JSON, as the messages arrive (and so that __proto__ keys become own properties). */
const wire = (value: unknown): unknown => JSON.parse(JSON.stringify(value) ?? 'null');

/** As wire, or undefined for a mutation too large for one JSON string (no runner line could carry it). */
function wireOrSkip(value: unknown): unknown {
  try {
    return wire(value);
  } catch (err) {
    if (err instanceof RangeError) return undefined;
    throw err;
  }
}

function agrees<T>(fast: (value: never) => T | undefined, schema: { safeParse: (value: unknown) => { success: boolean; data?: unknown } }, value: unknown): T | undefined {
  const answer = fast(value as never);
  if (answer !== undefined) {
    const parsed = schema.safeParse(value);
    expect(parsed.success, JSON.stringify(value)).toBe(true);
    expect(answer).toEqual(parsed.data);
  }
  return answer;
}

const resultOf = (value: unknown) => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined);

describe('runner protocol fast paths', () => {
  it('take the timed loop’s real messages', () => {
    expect(agrees(fastRunSamplesRequest, runSamplesRequestSchema, wire(RUN_REQUEST))).toEqual(RUN_REQUEST);
    expect(agrees(fastRunSamplesRequest, requestSchema, wire(RUN_REQUEST))).toEqual(RUN_REQUEST);
    expect(agrees(fastOkResponse, responseSchema, wire(OK_RESPONSE))).toEqual(OK_RESPONSE);
    expect(agrees(fastRunSamplesResult, runSamplesResultSchema, wire(RUN_RESULT))).toEqual(RUN_RESULT);
    const noTimes = { results: [{ digests: [digest('a')] }] };
    expect(agrees(fastRunSamplesResult, runSamplesResultSchema, wire(noTimes))).toEqual(noTimes);
  });

  it.each([
    ['an extra member', { ...RUN_REQUEST, iterations: 1 }],
    ['a missing member', { id: 4, op: 'run', samples: [1] }],
    ['id 0', { ...RUN_REQUEST, id: 0 }],
    ['a fractional id', { ...RUN_REQUEST, id: 1.5 }],
    ['an id as text', { ...RUN_REQUEST, id: '4' }],
    ['an unsafe id', { ...RUN_REQUEST, id: 2 ** 53 }],
    ['a negative sample', { ...RUN_REQUEST, samples: [-1] }],
    ['a fractional sample', { ...RUN_REQUEST, samples: [1.5] }],
    ['no samples', { ...RUN_REQUEST, samples: [] }],
    ['1,025 samples', { ...RUN_REQUEST, samples: Array(1025).fill(0) }],
    ['returnOutputs as text', { ...RUN_REQUEST, returnOutputs: 'true' }],
    ['a v1 run', { id: 4, op: 'run', iterations: 1, returnOutputs: false, inputs: [] }],
    ['another op', { id: 4, op: 'close' }],
    ['a __proto__ member', JSON.parse('{"id":4,"op":"run","samples":[1],"returnOutputs":false,"__proto__":{"x":1}}')],
  ])('decline a run request with %s', (_why, message) => {
    expect(fastRunSamplesRequest(wire(message))).toBeUndefined();
  });

  it.each([
    ['an upper-case digest', { results: [{ digests: [digest('a').toUpperCase()] }] }],
    ['a short digest', { results: [{ digests: ['abc'] }] }],
    ['outputs (the accuracy pass: the schema checks them)', { results: [{ digests: [digest('a')], outputs: [] }] }],
    ['an extra member', { results: [], extra: 1 }],
    ['a negative device time', { results: [], deviceTimesNs: [-1] }],
    ['a device time as text', { results: [], deviceTimesNs: ['1'] }],
    ['results not a list', { results: {} }],
    ['no results', { deviceTimesNs: [] }],
  ])('decline a run result with %s', (_why, result) => {
    expect(fastRunSamplesResult(resultOf(wire(result))!)).toBeUndefined();
  });

  it.each([
    ['an error', { id: 4, ok: false, error: { code: 'run_failed', message: 'x' } }],
    ['ok false', { id: 4, ok: false, result: {} }],
    ['an id null', { id: null, ok: true, result: {} }],
    ['a result list', { id: 4, ok: true, result: [] }],
    ['an extra member', { ...OK_RESPONSE, note: 1 }],
  ])('decline a response with %s', (_why, message) => {
    expect(fastOkResponse(wire(message))).toBeUndefined();
  });

  it('never accept what the schemas refuse, over 5,000 seeded mutations', () => {
    const rng = seededRandom(16);
    let fastTaken = 0;
    for (let i = 0; i < 5_000; i++) {
      const request = wireOrSkip(mutateValue(RUN_REQUEST, rng));
      if (agrees(fastRunSamplesRequest, requestSchema, request) !== undefined) fastTaken++;
      const response = wireOrSkip(mutateValue(OK_RESPONSE, rng));
      agrees(fastOkResponse, responseSchema, response);
      const result = resultOf(wireOrSkip(mutateValue(RUN_RESULT, rng)));
      if (result !== undefined && agrees(fastRunSamplesResult, runSamplesResultSchema, result) !== undefined) fastTaken++;
    }
    // The mutations must leave some messages valid, or this would test only the declines.
    expect(fastTaken).toBeGreaterThan(25);
  });
});

describe('LineSplitter', () => {
  it('gives the same lines whatever the chunk boundaries, whole lines in a chunk or split across several', () => {
    const MAX = 32;
    const text = ['{"id":1}', '', 'x'.repeat(40), '{"id":2,"ok":true}\r', 'y'.repeat(31), 'z'.repeat(32), '', '', '{"id":3}', 'tail'].join('\n') + '\n';
    // Independently: split on newlines, drop blank lines, and mark each line whose bytes with its newline exceed MAX.
    const expected = text
      .split('\n')
      .slice(0, -1)
      .filter((line) => line.length > 0)
      .map((line) => (line.length + 1 > MAX ? null : line));
    const rng = seededRandom(7);
    for (let trial = 0; trial < 200; trial++) {
      const lines: (string | null)[] = [];
      const splitter = new LineSplitter(MAX, { onLine: (line) => lines.push(line), onOversizedLine: () => lines.push(null) });
      const bytes = Buffer.from(text);
      for (let at = 0; at < bytes.length; ) {
        const size = trial === 0 ? bytes.length : rng.int(1, 24);
        splitter.push(bytes.subarray(at, at + size));
        at += size;
      }
      expect(lines).toEqual(expected);
    }
  });
});
