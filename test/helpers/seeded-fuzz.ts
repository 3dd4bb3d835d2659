// Request generation for the API fuzz test: values derived from the OpenAPI document's JSON schemas,
// then broken in the ways clients break them (wrong types, missing and extra fields, huge numbers and
// strings, unicode, malformed JSON). Everything comes from one seeded PRNG so a failure reproduces.

/** mulberry32: small, fast and good enough to drive a fuzzer; the same seed gives the same run. */
export function seededRandom(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const chance = (p: number) => next() < p;
  return { next, int, pick, chance };
}
export type Rng = ReturnType<typeof seededRandom>;

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  default?: unknown;
  additionalProperties?: boolean | JsonSchema;
}

const UNICODE = ['é', 'ß', '中文', '🙂', '\u202e', '\u0000', '\ud800', 'Ω', '\u200b', 'ﬁ', '𝔘', '\n', '"', '\\', "'", '<script>', '%00', '../'];

export function weirdString(rng: Rng): string {
  switch (rng.int(0, 9)) {
    case 0:
      return '';
    case 1:
      return 'x'.repeat(rng.pick([256, 4096, 70_000]));
    case 2:
      return Array.from({ length: rng.int(1, 40) }, () => rng.pick(UNICODE)).join('');
    case 3:
      return rng.pick(['../../etc/passwd', '..%2F..%2Fetc%2Fpasswd', '/etc/shadow', 'C:\\Windows\\win.ini', 'file:///etc/passwd']);
    case 4:
      return rng.pick(["' OR 1=1 --", '"; DROP TABLE "Job"; --', '$(id)', '`id`', '{{7*7}}', '${jndi:ldap://x}']);
    case 5:
      return rng.pick(['00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', crypto.randomUUID(), crypto.randomUUID().toUpperCase()]);
    case 6:
      return rng.pick(['NaN', 'Infinity', '-1', '1e309', '9'.repeat(400), '0x1f', '1.5', 'true', 'null']);
    case 7:
      return rng.pick(['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString']);
    default:
      return Array.from({ length: rng.int(1, 30) }, () => String.fromCharCode(rng.int(32, 126))).join('');
  }
}

export function weirdNumber(rng: Rng): number {
  return rng.pick([0, -1, 1, -0, 2 ** 31, 2 ** 53 + 1, -(2 ** 63), 1e308, -1e308, Number.MAX_SAFE_INTEGER, Number.MIN_VALUE, 0.5, 1e-320, 123456789012]);
}

/** A value of any JSON type, for wrong-type mutations. */
export function anyValue(rng: Rng, depth = 0): unknown {
  switch (rng.int(0, depth > 2 ? 4 : 6)) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return weirdNumber(rng);
    case 3:
    case 4:
      return weirdString(rng);
    case 5:
      return Array.from({ length: rng.int(0, 4) }, () => anyValue(rng, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: rng.int(0, 4) }, () => [weirdString(rng).slice(0, 20), anyValue(rng, depth + 1)]));
  }
}

function stringFor(schema: JsonSchema, rng: Rng): string {
  if (schema.format === 'uuid') return crypto.randomUUID();
  if (schema.format === 'uri') return rng.pick(['https://example.org/x', 'http://127.0.0.1:1/']);
  if (schema.format === 'date-time') return new Date(rng.int(0, 2 ** 41)).toISOString();
  if (schema.pattern === '^[0-9a-f]{64}$') return Array.from({ length: 64 }, () => rng.pick('0123456789abcdef'.split(''))).join('');
  if (schema.pattern) return rng.pick(['abc', 'npu-1', 'a.b_c', 'x-1']);
  const min = schema.minLength ?? 1;
  const max = Math.min(schema.maxLength ?? 16, min + 16);
  return 'v'.repeat(rng.int(min, Math.max(min, max)));
}

/** A value that (mostly) satisfies `schema`. */
export function sampleValue(schema: JsonSchema | undefined, rng: Rng, depth = 0): unknown {
  if (!schema || depth > 6) return anyValue(rng, 3);
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return rng.pick(schema.enum);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return sampleValue(rng.pick(alternatives), rng, depth + 1);
  if (schema.allOf?.[0]) return sampleValue(schema.allOf[0], rng, depth + 1);
  const type = Array.isArray(schema.type) ? rng.pick(schema.type) : schema.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [name, prop] of Object.entries(schema.properties ?? {})) {
        if (schema.required?.includes(name) || rng.chance(0.5)) out[name] = sampleValue(prop, rng, depth + 1);
      }
      return out;
    }
    case 'array':
      return Array.from({ length: rng.int(0, 3) }, () => sampleValue(schema.items, rng, depth + 1));
    case 'string':
      return stringFor(schema, rng);
    case 'integer':
      return rng.int(schema.minimum ?? 0, Math.min(schema.maximum ?? 100, (schema.minimum ?? 0) + 100));
    case 'number':
      return (schema.minimum ?? 0) + rng.next() * 10;
    case 'boolean':
      return rng.chance(0.5);
    case 'null':
      return null;
    default:
      return anyValue(rng, 3);
  }
}

/** Breaks a valid value: a wrong type somewhere, a field dropped or added, an extreme value. */
export function mutateValue(value: unknown, rng: Rng, depth = 0): unknown {
  if (depth > 6 || rng.chance(0.15)) return anyValue(rng, depth);
  if (Array.isArray(value)) {
    const copy = (value as unknown[]).map((v) => (rng.chance(0.3) ? mutateValue(v, rng, depth + 1) : v));
    if (rng.chance(0.2)) copy.push(anyValue(rng, depth + 1));
    if (rng.chance(0.05)) return Array.from({ length: 5_000 }, () => copy[0] ?? 1);
    return copy;
  }
  if (value !== null && typeof value === 'object') {
    const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const key of Object.keys(copy)) {
      if (rng.chance(0.15)) delete copy[key];
      else if (rng.chance(0.35)) copy[key] = mutateValue(copy[key], rng, depth + 1);
    }
    if (rng.chance(0.25)) copy[weirdString(rng).slice(0, 40) || 'extra'] = anyValue(rng, depth + 1);
    return copy;
  }
  if (typeof value === 'number') return rng.chance(0.5) ? weirdNumber(rng) : String(value);
  if (typeof value === 'string') return rng.chance(0.7) ? weirdString(rng) : rng.pick([1, true, null, [value], { value }]);
  return anyValue(rng, depth);
}

/** Deeply nested JSON (arrays or objects), which some parsers and validators recurse on. */
export function deeplyNested(depth: number, rng: Rng): string {
  return rng.chance(0.5) ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

export function malformedJson(rng: Rng, valid: unknown): string {
  const text = JSON.stringify(valid) ?? 'null';
  return rng.pick([
    text.slice(0, Math.max(0, text.length - 1 - rng.int(0, 5))),
    text + '}',
    `{"a":1,}`,
    `{'single': 'quotes'}`,
    '\ufeff' + text,
    'nul',
    '{"__proto__": {"polluted": true}}',
    '{"constructor": {"prototype": {"polluted": true}}}',
    `{"n": ${'9'.repeat(500)}}`,
    '\u0000\u0001\u0002',
    text.replace(/"/g, ''),
  ]);
}

/** A multipart body built by hand, so it can also be broken (missing boundary end, wrong fields). */
export function multipartBody(rng: Rng, fields: Record<string, string>, file: { name: string; field: string; bytes: Buffer } | null) {
  const boundary = `----fuzz${rng.int(0, 1e9)}`;
  const chunks: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    chunks.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  if (file) {
    chunks.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${file.field}"; filename="${file.name}"\r\ncontent-type: application/octet-stream\r\n\r\n`));
    chunks.push(file.bytes, Buffer.from('\r\n'));
  }
  if (!rng.chance(0.15)) chunks.push(Buffer.from(`--${boundary}--\r\n`));
  const contentType = rng.chance(0.05) ? 'multipart/form-data' : `multipart/form-data; boundary=${boundary}`;
  return { payload: Buffer.concat(chunks), contentType };
}
