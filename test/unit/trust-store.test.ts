// The trust store's refresh (#15 item 2): a re-fetched key set brings retirements, compromises and new
// keys to an offline verifier, but never widens a stored key's window, so a refresh through a hostile
// network cannot bring a retired or compromised key back.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findTrustedIssuer, mergeKeySets, refreshTrustedIssuer, saveTrustedIssuer } from '../../src/lib/certificates/trust-store.js';
import { keyResolverFromJwks } from '../../src/lib/crypto/signing-keys.js';
import { jwksWithLifetimes, newIssuerKey, newLogKey } from '../helpers/certificate-corpus.js';

const a = newIssuerKey();
const b = newIssuerKey();
const log = newLogKey();
const t0 = new Date('2026-01-01T00:00:00.000Z');
const t1 = new Date('2026-06-01T00:00:00.000Z');
const t2 = new Date('2026-09-01T00:00:00.000Z');
const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe('trust store refresh', () => {
  it('takes over a retirement and a compromise, and adds a new key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'npubench-trust-'));
    dirs.push(dir);
    const entry = await saveTrustedIssuer('https://lab.example', jwksWithLifetimes({ key: a, notBefore: t0 }), log.vkey, dir);
    const later = jwksWithLifetimes({ key: a, notBefore: t0, notAfter: t2, compromisedAt: t1 }, { key: b, notBefore: t2 });
    const { changes } = await refreshTrustedIssuer(entry, later, dir);
    expect(changes).toEqual([
      { kid: a.keyId, change: 'narrowed', lifetime: { notBefore: t0.toISOString(), notAfter: t2.toISOString(), compromisedAt: t1.toISOString() } },
      { kid: b.keyId, change: 'added', lifetime: { notBefore: t2.toISOString() } },
    ]);
    const stored = (await findTrustedIssuer('https://lab.example', dir))!;
    const resolver = keyResolverFromJwks(stored.jwks);
    expect(resolver.lifetimeOf?.(a.keyId)).toEqual({ notBefore: t0.toISOString(), notAfter: t2.toISOString(), compromisedAt: t1.toISOString() });
    expect(stored.jwks.keys.find((k) => k.kid === a.keyId)?.status).toBe('compromised');
    expect(stored.addedAt).toBe(entry.addedAt);
    // The pinned log key is not something a key-set refresh touches.
    expect(stored.logKey).toBe(log.vkey);
  });

  it('never widens a stored window: a key set that drops a retirement, a compromise or a key changes nothing', () => {
    const stored = jwksWithLifetimes({ key: a, notBefore: t0, notAfter: t2, compromisedAt: t1 }, { key: b, notBefore: t2 });
    const hostile = jwksWithLifetimes({ key: a, notBefore: new Date('2025-01-01T00:00:00.000Z') });
    const { jwks, changes } = mergeKeySets(stored, hostile);
    expect(changes).toEqual([]);
    expect(jwks).toEqual(stored);
    // An earlier compromise time than the stored one is taken over (the earliest stands).
    const earlier = mergeKeySets(stored, jwksWithLifetimes({ key: a, notBefore: t0, notAfter: t2, compromisedAt: t0 }));
    expect(keyResolverFromJwks(earlier.jwks).lifetimeOf?.(a.keyId)?.compromisedAt).toBe(t0.toISOString());
  });

  it('refuses a key set whose lifetime members are not UTC timestamps', () => {
    const bad = { keys: [{ ...jwksWithLifetimes({ key: a }).keys[0]!, notAfter: 'next tuesday' }] };
    expect(() => keyResolverFromJwks(bad)).toThrow(/notAfter must be a UTC timestamp/);
  });
});
