import type { Role } from '@prisma/client';
import type { Db } from '../../lib/database.js';
import { issueCredential } from '../../lib/secrets.js';
import { notFound, unprocessable } from '../../lib/errors.js';
import type { ApiKey } from '../../contracts/admin.js';

export interface CreatedApiKey {
  id: string;
  prefix: string;
  role: Role;
  /** Shown once; only its hash is stored. */
  token: string;
}

/** Roles that act for the lab (certify, revoke, publish profiles, administer): only lab organizations hold them. */
export const LAB_ROLES: readonly Role[] = ['ADMIN', 'CERTIFIER'];

/**
 * A new key; a certifier or admin key only in a lab organization, so a vendor can never certify (the
 * database refuses such a key too, whatever writes it: migration 20261203000000).
 */
export async function createApiKey(db: Db, input: { orgId: string; role: Role; name: string }): Promise<CreatedApiKey> {
  const org = await db.organization.findUnique({ where: { id: input.orgId } });
  if (!org) throw notFound('organization.not_found', 'No such organization.');
  if (LAB_ROLES.includes(input.role) && org.kind !== 'LAB') {
    throw unprocessable('api_key.role_requires_lab_org', `A ${input.role.toLowerCase()} key can only belong to a lab organization; ${org.slug} is a vendor organization.`);
  }
  const cred = issueCredential('npb');
  const key = await db.apiKey.create({
    data: { orgId: input.orgId, role: input.role, name: input.name, prefix: cred.prefix, secretHash: cred.hash },
  });
  return { id: key.id, prefix: key.prefix, role: key.role, token: cred.token };
}

export async function revokeApiKey(db: Db, keyId: string): Promise<void> {
  const res = await db.apiKey.updateMany({ where: { id: keyId, revokedAt: null }, data: { revokedAt: new Date() } });
  if (res.count === 0 && !(await db.apiKey.findUnique({ where: { id: keyId } }))) throw notFound('api_key.not_found', 'No such API key.');
}

export async function listApiKeys(db: Db, orgId?: string): Promise<ApiKey[]> {
  const keys = await db.apiKey.findMany({
    where: orgId ? { orgId } : {},
    orderBy: { createdAt: 'asc' },
    select: { id: true, orgId: true, name: true, prefix: true, role: true, createdAt: true, revokedAt: true },
  });
  return keys.map((key) => ({ ...key, createdAt: key.createdAt.toISOString(), revokedAt: key.revokedAt?.toISOString() ?? null }));
}
