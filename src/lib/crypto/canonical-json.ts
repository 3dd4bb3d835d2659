// RFC 8785 JSON Canonicalization Scheme (JCS). Signatures and digests are computed over these bytes, so
// anything JSON.stringify would silently drop or coerce (undefined, NaN, Dates, Maps) is an error here:
// a signer must never sign something other than what the caller thought it passed.

export class CanonicalJsonError extends TypeError {
  /** JSONPath-like location of the offending value, e.g. `$.results[3].latency`. */
  readonly path: string;

  constructor(path: string, problem: string) {
    super(`cannot canonicalize ${path}: ${problem}`);
    this.name = 'CanonicalJsonError';
    this.path = path;
  }
}

// In unicode mode a well-formed surrogate pair is one code point, so this matches only lone surrogates,
// which I-JSON (RFC 7493, required by RFC 8785 §3.1) forbids and UTF-8 cannot encode.
const LONE_SURROGATE = /\p{Surrogate}/u;

export function canonicalize(value: unknown): string {
  return serialize(value, '$', new Set());
}

/** The UTF-8 bytes of the canonical form: what gets hashed and signed. */
export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalize(value), 'utf8');
}

function serialize(value: unknown, path: string, ancestors: Set<object>): string {
  switch (typeof value) {
    case 'string':
      return serializeString(value, path);
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(path, `${value} is not a JSON number`);
      // ECMAScript Number::toString is exactly the RFC 8785 §3.2.2.3 number format (and prints -0 as "0").
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      return serializeContainer(value, path, ancestors);
    default:
      // undefined, bigint, symbol, function: none has a JSON form that round-trips.
      throw new CanonicalJsonError(path, `${typeof value} is not a JSON value`);
  }
}

function serializeString(value: string, path: string): string {
  if (LONE_SURROGATE.test(value)) throw new CanonicalJsonError(path, 'string contains a lone UTF-16 surrogate');
  // JSON.stringify's string escaping is the one RFC 8785 §3.2.2.2 specifies.
  return JSON.stringify(value);
}

function serializeContainer(value: object, path: string, ancestors: Set<object>): string {
  if (ancestors.has(value)) throw new CanonicalJsonError(path, 'cyclic reference');
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      const items: string[] = [];
      // Index loop, not map(): map skips holes, and a hole is an undefined we must reject.
      for (let i = 0; i < value.length; i++) items.push(serialize(value[i] as unknown, `${path}[${i}]`, ancestors));
      return `[${items.join(',')}]`;
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const kind = (value.constructor as { name?: string } | undefined)?.name ?? 'object';
      throw new CanonicalJsonError(path, `${kind} is not a plain object; convert it to JSON data first`);
    }
    const record = value as Record<string, unknown>;
    // Default sort compares UTF-16 code units, which is the order RFC 8785 §3.2.3 requires.
    const members = Object.keys(record)
      .sort()
      .map((key) => {
        const memberPath = /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
        return `${serializeString(key, memberPath)}:${serialize(record[key], memberPath, ancestors)}`;
      });
    return `{${members.join(',')}}`;
  } finally {
    ancestors.delete(value);
  }
}

/** Parses bytes that must already be in canonical form, or returns undefined. Signed documents of ours are
 *  always canonical, so demanding it here rules out duplicate keys and other inputs that different JSON
 *  parsers could read differently from what was signed. */
export function parseCanonicalJson(bytes: Uint8Array): unknown {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
    return canonicalBytes(value).equals(bytes) ? value : undefined;
  } catch {
    return undefined;
  }
}
