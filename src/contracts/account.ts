// Who a key belongs to (GET /v1/me): the dashboard's login checks a key with it. Zod only.
import { z } from 'zod';
import { ROLES, rowId } from './common.js';

export const ORG_KINDS = ['VENDOR', 'LAB'] as const;

export const meSchema = z
  .object({
    role: z.enum(ROLES),
    keyId: rowId,
    org: z.object({ id: rowId, slug: z.string(), name: z.string(), kind: z.enum(ORG_KINDS) }),
  })
  .describe("The calling key's role and organization")
  .meta({ id: 'Me' });
export type Me = z.infer<typeof meSchema>;
