import { describe, expect, it } from 'vitest';
import { CanonicalJsonError, canonicalBytes, canonicalize, parseCanonicalJson } from '../../src/lib/crypto/canonical-json.js';

function fromBits(hex: string): number {
  return Buffer.from(hex, 'hex').readDoubleBE(0);
}

describe('canonicalize (RFC 8785)', () => {
  // RFC 8785 Appendix B: IEEE-754 binary64 bit patterns and their required serialization.
  const APPENDIX_B: Array<[string, string]> = [
    ['0000000000000000', '0'],
    ['8000000000000000', '0'],
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'],
  ];

  it.each(APPENDIX_B)('serializes binary64 %s as %s', (bits, expected) => {
    expect(canonicalize(fromBits(bits))).toBe(expected);
  });

  it('switches to exponent form exactly at 1e21 and below 1e-6', () => {
    expect(canonicalize([1e21, 1e20, 1e-7, 1e-6, 0.000001, -0, 4.5, 2e-3, 1e30, 1e-27])).toBe(
      '[1e+21,100000000000000000000,1e-7,0.000001,0.000001,0,4.5,0.002,1e+30,1e-27]',
    );
  });

  it('reproduces the RFC 8785 §3.2.2 example byte for byte', () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",' +
        ' "literals": [null, true, false]}',
    );
    const expected = '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}';
    expect(canonicalize(input)).toBe(expected);
    // RFC 8785 §3.2.4 lists the UTF-8 bytes of the same result.
    const rfcBytes = `
      7b 22 6c 69 74 65 72 61 6c 73 22 3a 5b 6e 75 6c 6c 2c 74 72
      75 65 2c 66 61 6c 73 65 5d 2c 22 6e 75 6d 62 65 72 73 22 3a
      5b 33 33 33 33 33 33 33 33 33 2e 33 33 33 33 33 33 33 2c 31
      65 2b 33 30 2c 34 2e 35 2c 30 2e 30 30 32 2c 31 65 2d 32 37
      5d 2c 22 73 74 72 69 6e 67 22 3a 22 e2 82 ac 24 5c 75 30 30
      30 66 5c 6e 41 27 42 5c 22 5c 5c 5c 5c 5c 22 2f 22 7d`;
    expect(canonicalBytes(input).toString('hex')).toBe(rfcBytes.replace(/\s+/g, ''));
  });

  it('sorts keys by UTF-16 code units, so an astral key sorts before U+FB33 (RFC 8785 §3.2.3)', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    // Read the order off the text: parsing it back would move the integer-like key "1" to the front.
    const valuesInOrder = [...canonicalize(input).matchAll(/":"([^"]+)"/g)].map((m) => m[1]);
    expect(valuesInOrder).toEqual([
      'Carriage Return',
      'One',
      'Control',
      'Latin Small Letter O With Diaeresis',
      'Euro Sign',
      'Emoji: Grinning Face',
      'Hebrew Letter Dalet With Dagesh',
    ]);
  });

  it('writes no whitespace and sorts nested objects while keeping array order', () => {
    expect(canonicalize({ b: [3, { z: 1, a: 2 }, 1], a: { y: null, x: 'x' } })).toBe('{"a":{"x":"x","y":null},"b":[3,{"a":2,"z":1},1]}');
  });

  it('escapes control characters with lowercase hex and leaves other characters literal', () => {
    expect(canonicalize('\u0000\u001f\b\t\n\f\r"\\/\u007f\u00e9\ud83d\ude00')).toBe('"\\u0000\\u001f\\b\\t\\n\\f\\r\\"\\\\/\u007f\u00e9\ud83d\ude00"');
  });

  it('lets a shared (non-cyclic) object appear twice', () => {
    const shared = { v: 1 };
    expect(canonicalize({ a: shared, b: [shared] })).toBe('{"a":{"v":1},"b":[{"v":1}]}');
  });

  it.each<[string, unknown, string]>([
    ['NaN', { a: [1, NaN] }, '$.a[1]'],
    ['Infinity', { a: Infinity }, '$.a'],
    ['-Infinity', [-Infinity], '$[0]'],
    ['undefined member', { ok: 1, missing: undefined }, '$.missing'],
    ['undefined at top level', undefined, '$'],
    ['array hole', Object.assign(new Array<number>(3), { 0: 1, 2: 3 }), '$[1]'],
    ['BigInt', { n: 10n }, '$.n'],
    ['function', { f: () => 1 }, '$.f'],
    ['symbol', [Symbol('s')], '$[0]'],
    ['Date', { when: new Date(0) }, '$.when'],
    ['Map', { m: new Map() }, '$.m'],
    ['lone surrogate in a value', { s: 'a\ud800b' }, '$.s'],
    ['lone surrogate in a key', { 'k\udc00': 1 }, '$["k\\udc00"]'],
  ])('rejects %s with the path of the offending value', (_label, value, path) => {
    let caught: unknown;
    try {
      canonicalize(value);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CanonicalJsonError);
    expect((caught as CanonicalJsonError).path).toBe(path);
  });

  it('rejects cycles with a clear error instead of overflowing the stack', () => {
    const node: Record<string, unknown> = { name: 'root' };
    node.children = [{ parent: node }];
    expect(() => canonicalize(node)).toThrow(/\$\.children\[0\]\.parent: cyclic reference/);
  });

  it('accepts objects without a prototype', () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { b: 1, a: 2 });
    expect(canonicalize(bare)).toBe('{"a":2,"b":1}');
  });
});

describe('parseCanonicalJson', () => {
  it('returns the value of canonical bytes', () => {
    expect(parseCanonicalJson(canonicalBytes({ b: 1, a: [true] }))).toEqual({ a: [true], b: 1 });
  });

  it.each([
    ['unsorted keys', '{"b":1,"a":2}'],
    ['whitespace', '{"a": 1}'],
    ['duplicate keys', '{"a":1,"a":2}'],
    ['non-canonical number', '{"a":1.0}'],
    ['not JSON', '{"a":'],
    ['byte order mark', '\ufeff{"a":1}'],
  ])('refuses %s', (_label, text) => {
    expect(parseCanonicalJson(Buffer.from(text, 'utf8'))).toBeUndefined();
  });

  it('refuses invalid UTF-8 even when the replacement character would round-trip', () => {
    expect(parseCanonicalJson(Buffer.from([0x22, 0xff, 0x22]))).toBeUndefined();
  });
});
