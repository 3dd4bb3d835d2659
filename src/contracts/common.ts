// Building blocks every contract uses, so a timestamp or a page has one wire shape across the API.
import { z } from 'zod';

/**
 * A point in time on the wire: ISO 8601 UTC (`Date.toISOString()`). Services hand the serializer
 * strings, not Date objects: zod's encoder cannot turn a Date into a string through a schema that
 * JSON Schema can describe.
 */
export const timestamp = z.iso.datetime();

/** A cursor-paginated list: `nextCursor` is null on the last page; pass it as `?cursor=` for the next. */
export const pageOf = <T extends z.ZodType>(item: T, id: string) =>
  z
    .object({
      items: z.array(item),
      nextCursor: z.string().nullable().describe('Pass as `cursor` to get the next page; null on the last page'),
    })
    .meta({ id });

/**
 * A row id on the wire. Postgres takes any 8-4-4-4-12 hex as a uuid (rows seeded or migrated with
 * md5(...)::uuid are not RFC 9562 ones), so an answer accepts them all; z.uuid() would fail to
 * serialise such a row.
 */
export const rowId = z.guid();

/** An API key's role: lab administrators, lab certifiers, vendors. */
export const ROLES = ['ADMIN', 'CERTIFIER', 'VENDOR'] as const;

/** A DSSE envelope (signed reports and certificates, signed tree heads): base64 payload and signatures. */
export const dsseEnvelopeSchema = z
  .object({
    payloadType: z.string(),
    payload: z.string().describe('Standard base64 of the signed bytes (an in-toto statement, a tree head)'),
    signatures: z.array(z.object({ keyid: z.string(), sig: z.string() })),
  })
  .meta({ id: 'DsseEnvelope' });
