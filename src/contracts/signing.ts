// The service's published signing keys (RFC 7517 JWK Set of Ed25519 keys). Zod only: the dashboard's
// verifier and the CLI read it.
import { z } from 'zod';

export const KEY_STATUSES = ['active', 'retired', 'compromised'] as const;

const utcTime = (what: string) => z.iso.datetime().optional().describe(what);

export const jwkSchema = z
  .object({
    kty: z.literal('OKP'),
    crv: z.literal('Ed25519'),
    x: z.string().describe('The public key, base64url'),
    kid: z.string().describe('RFC 7638 thumbprint of the key'),
    alg: z.literal('EdDSA'),
    use: z.literal('sig'),
    status: z.enum(KEY_STATUSES).optional().describe('Retired keys sign nothing new but stay published so that what they signed still verifies; verifiers go by the lifetime members'),
    notBefore: utcTime('Start of the key\'s signing window (RFC 3339 UTC): a statement dated earlier fails (key_not_valid_at_signing_time)'),
    notAfter: utcTime('Retirement, exclusive: a statement dated at or after it fails (key_not_valid_at_signing_time); absent while active'),
    compromisedAt: utcTime('What the key signed dated at or after this fails (key_compromised); absent unless compromised'),
  })
  .meta({ id: 'Jwk' });

export const jwksSchema = z.object({ keys: z.array(jwkSchema) }).meta({ id: 'Jwks' });
export type Jwks = z.infer<typeof jwksSchema>;
