// The audit log of security-relevant actions, recorded with the acting key or agent and the request id,
// so an operator can answer "who revoked this, when, from which request" from Postgres alone. Routes
// record an event after the action succeeded; a change that also happens without a request (a
// certificate issued automatically) is recorded by its service, in the change's own transaction.
import type { FastifyRequest } from 'fastify';
import type { Prisma } from '@prisma/client';
import type { Db } from '../../lib/database.js';
import { auditEventSchema, type AUDIT_ACTOR_TYPES, type AuditEventPage } from '../../contracts/admin.js';
import { cursorPage, cursorPageArgs } from '../cursor-page.js';

export type AuditAction =
  | 'organization.created'
  | 'api_key.created'
  | 'api_key.revoked'
  | 'agent.created'
  | 'device.created'
  | 'device.updated'
  | 'profile.created'
  | 'certificate.issued'
  | 'certificate.revoked';

export interface AuditEventInput {
  action: AuditAction;
  subjectType: string;
  subjectId: string;
  details?: Prisma.InputJsonObject;
}

/** Who did it: a user's API key, an agent, or the service itself (automatic certification). */
export interface AuditActor {
  actorType: (typeof AUDIT_ACTOR_TYPES)[number];
  actorId: string | null;
  orgId: string | null;
  requestId: string | null;
}

export const SYSTEM_ACTOR: AuditActor = { actorType: 'system', actorId: null, orgId: null, requestId: null };

export function auditActorOf(request: FastifyRequest): AuditActor {
  const principal = request.principal;
  return {
    actorType: principal?.kind === 'user' ? 'api_key' : principal?.kind === 'agent' ? 'agent' : 'system',
    actorId: principal?.kind === 'user' ? principal.keyId : principal?.kind === 'agent' ? principal.agentId : null,
    orgId: principal?.kind === 'user' ? principal.orgId : null,
    requestId: request.id,
  };
}

/** Records `event` as done by `actor`; pass the transaction that made the change, so both or neither stay. */
export async function recordAuditEvent(db: Db | Prisma.TransactionClient, actor: AuditActor, event: AuditEventInput): Promise<void> {
  await db.auditEvent.create({
    data: { ...actor, action: event.action, subjectType: event.subjectType, subjectId: event.subjectId, details: event.details ?? {} },
  });
}

/** Records `event` as done by the request's principal. */
export async function recordAudit(db: Db, request: FastifyRequest, event: AuditEventInput): Promise<void> {
  await recordAuditEvent(db, auditActorOf(request), event);
}

// The JSON and free-text columns of a row, parsed at read against the contract.
const actorTypeSchema = auditEventSchema.shape.actorType;
const detailsSchema = auditEventSchema.shape.details;

export async function listAuditEvents(db: Db, page: { limit: number; cursor?: string | undefined; action?: string | undefined; subjectId?: string | undefined }): Promise<AuditEventPage> {
  const rows = await db.auditEvent.findMany({
    where: { ...(page.action && { action: page.action }), ...(page.subjectId && { subjectId: page.subjectId }) },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    ...cursorPageArgs(page),
  });
  return cursorPage(rows, page, (row) => ({ ...row, actorType: actorTypeSchema.parse(row.actorType), details: detailsSchema.parse(row.details), createdAt: row.createdAt.toISOString() }));
}
