// Lab administration as the API accepts and answers it: organizations, API keys, agents, the audit
// log. The creation answers of keys and agents carry their secret, once. Zod only.
import { z } from 'zod';
import { ORG_KINDS } from './account.js';
import { pageOf, ROLES, rowId, timestamp } from './common.js';

export const organizationInput = z.strictObject({
  slug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/),
  name: z.string().min(1).max(200),
  kind: z.enum(ORG_KINDS),
});

export const organizationSchema = z
  .object({ id: rowId, slug: z.string(), name: z.string(), kind: z.enum(ORG_KINDS), createdAt: timestamp })
  .meta({ id: 'Organization' });
export type Organization = z.infer<typeof organizationSchema>;
export const organizationListSchema = z.object({ items: z.array(organizationSchema) }).meta({ id: 'OrganizationList' });

export const apiKeyInput = z.strictObject({ name: z.string().min(1).max(200), role: z.enum(ROLES) });

export const apiKeySchema = z
  .object({
    id: rowId,
    orgId: rowId,
    name: z.string(),
    prefix: z.string().describe('Identifies the key in lists and logs; the secret is never shown again'),
    role: z.enum(ROLES),
    createdAt: timestamp,
    revokedAt: timestamp.nullable(),
  })
  .meta({ id: 'ApiKey' });
export type ApiKey = z.infer<typeof apiKeySchema>;
export const apiKeyListSchema = z.object({ items: z.array(apiKeySchema) }).meta({ id: 'ApiKeyList' });

export const createdApiKeySchema = z
  .object({
    id: rowId,
    prefix: z.string(),
    role: z.enum(ROLES),
    token: z.string().describe('The key (npb_…): shown only in this answer, only its hash is stored'),
  })
  .meta({ id: 'CreatedApiKey' });
export type CreatedApiKey = z.infer<typeof createdApiKeySchema>;

export const agentSchema = z
  .object({
    id: rowId,
    name: z.string(),
    version: z.string().nullable(),
    hostname: z.string().nullable(),
    lastHeartbeatAt: timestamp.nullable(),
    createdAt: timestamp,
    revokedAt: timestamp.nullable(),
    devices: z.array(z.object({ device: z.object({ slug: z.string() }) })).describe('The devices the agent may serve'),
  })
  .meta({ id: 'Agent' });
export type Agent = z.infer<typeof agentSchema>;
export const agentListSchema = z.object({ items: z.array(agentSchema) }).meta({ id: 'AgentList' });

export const createdAgentSchema = z
  .object({ id: rowId, name: z.string(), token: z.string().describe('The agent token (npba_…): shown only in this answer') })
  .meta({ id: 'CreatedAgent' });
export type CreatedAgent = z.infer<typeof createdAgentSchema>;

/** Who acted: a user's API key, an agent, or the service itself (automatic certification). */
export const AUDIT_ACTOR_TYPES = ['api_key', 'agent', 'system'] as const;

export const auditEventSchema = z
  .object({
    id: rowId,
    createdAt: timestamp,
    actorType: z.enum(AUDIT_ACTOR_TYPES),
    actorId: z.string().nullable().describe("The acting key's or agent's id; null for the service itself"),
    orgId: rowId.nullable(),
    action: z.string(),
    subjectType: z.string(),
    subjectId: z.string(),
    details: z.record(z.string(), z.unknown()),
    requestId: z.string().nullable(),
  })
  .meta({ id: 'AuditEvent' });
export type AuditEvent = z.infer<typeof auditEventSchema>;
export const auditEventPageSchema = pageOf(auditEventSchema, 'AuditEventPage');
export type AuditEventPage = z.infer<typeof auditEventPageSchema>;
