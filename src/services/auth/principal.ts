// Who is calling. Users act for an organization with one role; agents act only on the jobs of the
// devices they serve. Authorization decisions read these types, never raw headers.
import type { Role } from '@prisma/client';

export interface UserPrincipal {
  kind: 'user';
  keyId: string;
  orgId: string;
  role: Role;
}

export interface AgentPrincipal {
  kind: 'agent';
  agentId: string;
}

export type Principal = UserPrincipal | AgentPrincipal;

/** Admins and certifiers belong to the lab and may read every organization's work. */
export const seesAllOrgs = (p: UserPrincipal) => p.role === 'ADMIN' || p.role === 'CERTIFIER';

/**
 * The Prisma `where` for rows with a visibility (models, reports): public ones for anyone, private ones
 * for their organization and the lab. Anonymous callers (null) see public rows only.
 */
export function visibleWhere(principal: UserPrincipal | null): { visibility?: 'PUBLIC'; OR?: [{ orgId: string }, { visibility: 'PUBLIC' }] } {
  if (!principal) return { visibility: 'PUBLIC' };
  return seesAllOrgs(principal) ? {} : { OR: [{ orgId: principal.orgId }, { visibility: 'PUBLIC' }] };
}
