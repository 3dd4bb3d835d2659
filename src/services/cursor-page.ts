// Keyset pagination by id, for every list the API answers with `{ items, nextCursor }` (contracts/common
// `pageOf`): the caller orders by a stable key ending in id; fetching one row past the page tells whether
// another page follows without a COUNT.
export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
}

/** The findMany arguments for one page after `cursor` (spread next to `where` and `orderBy`). */
export const cursorPageArgs = (page: PageRequest) => ({ take: page.limit + 1, ...(page.cursor ? { cursor: { id: page.cursor }, skip: 1 } : {}) });

/** The page answer for rows fetched with cursorPageArgs: `present` maps a row to the item sent. */
export function cursorPage<Row, Item extends { id: string }>(rows: Row[], page: PageRequest, present: (row: Row) => Item): { items: Item[]; nextCursor: string | null } {
  const items = rows.slice(0, page.limit).map(present);
  return { items, nextCursor: rows.length > page.limit ? (items.at(-1)?.id ?? null) : null };
}
