import type { Organization as OrganizationRow, OrgKind } from '@prisma/client';
import type { Organization } from '../../contracts/admin.js';
import type { Db } from '../../lib/database.js';
import { conflict } from '../../lib/errors.js';
import { isUniqueViolation } from '../prisma-errors.js';
import type { UserPrincipal } from '../auth/principal.js';

const organizationView = (org: OrganizationRow): Organization => ({ ...org, createdAt: org.createdAt.toISOString() });

export async function createOrganization(db: Db, input: { slug: string; name: string; kind: OrgKind }): Promise<Organization> {
  try {
    return organizationView(await db.organization.create({ data: input }));
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict('organization.exists', `Organization ${input.slug} already exists.`);
    throw err;
  }
}

export async function listOrganizations(db: Db): Promise<Organization[]> {
  return (await db.organization.findMany({ orderBy: { createdAt: 'asc' } })).map(organizationView);
}

/** Who a key belongs to, as the dashboard shows it after login. */
export async function describeCaller(db: Db, principal: UserPrincipal) {
  const org = await db.organization.findUniqueOrThrow({ where: { id: principal.orgId } });
  return { role: principal.role, keyId: principal.keyId, org: { id: org.id, slug: org.slug, name: org.name, kind: org.kind } };
}
