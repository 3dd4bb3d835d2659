import type { Role } from '@prisma/client';
import type { Db } from '../../lib/database.js';
import { issueCredential } from '../../lib/secrets.js';
import { notFound } from '../../lib/errors.js';

export interface CreatedApiKey {
  id: string;
  prefix: string;
  role: Role;
  /** Shown once; only its hash is stored. */
  token: string;
}

export async function createApiKey(db: Db, input: { orgId: string; role: Role; name: string }): Promise<CreatedApiKey> {
  if (!(await db.organization.findUnique({ where: { id: input.orgId } }))) throw notFound('organization.not_found', 'No such organization.');
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

export async function listApiKeys(db: Db, orgId?: string) {
  return db.apiKey.findMany({
    where: orgId ? { orgId } : {},
    orderBy: { createdAt: 'asc' },
    select: { id: true, orgId: true, name: true, prefix: true, role: true, createdAt: true, revokedAt: true },
  });
}
