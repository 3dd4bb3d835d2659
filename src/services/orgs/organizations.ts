import type { OrgKind } from '@prisma/client';
import type { Db } from '../../lib/database.js';
import { conflict } from '../../lib/errors.js';
import { isUniqueViolation } from '../prisma-errors.js';
import type { UserPrincipal } from '../auth/principal.js';

export async function createOrganization(db: Db, input: { slug: string; name: string; kind: OrgKind }) {
  try {
    return await db.organization.create({ data: input });
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict('organization.exists', `Organization ${input.slug} already exists.`);
    throw err;
  }
}

export async function listOrganizations(db: Db) {
  return db.organization.findMany({ orderBy: { createdAt: 'asc' } });
}

/** Who a key belongs to, as the dashboard shows it after login. */
export async function describeCaller(db: Db, principal: UserPrincipal) {
  const org = await db.organization.findUniqueOrThrow({ where: { id: principal.orgId } });
  return { role: principal.role, keyId: principal.keyId, org: { id: org.id, slug: org.slug, name: org.name, kind: org.kind } };
}
