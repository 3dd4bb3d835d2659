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
