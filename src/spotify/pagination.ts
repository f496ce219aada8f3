import type { CursorPaging, Paging } from './types.js';

export interface OffsetPagingOptions {
  /** Page size (Spotify caps most endpoints at 50). */
  limit?: number;
  /** How many pages may be in flight at once after the first; default 4. */
  concurrency?: number;
  /** Stop after this many items (safety bound); default 10,000. */
  maxItems?: number;
}

/**
 * Collects every item of an offset-paged endpoint. The first page's `total` tells how many
 * pages remain; those are fetched with bounded concurrency and returned in order.
 */
export async function collectOffsetPages<T>(
  fetchPage: (offset: number, limit: number) => Promise<Paging<T>>,
  options: OffsetPagingOptions = {},
): Promise<T[]> {
  const limit = options.limit ?? 50;
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const maxItems = options.maxItems ?? 10_000;

  const first = await fetchPage(0, limit);
  const total = Math.min(first.total, maxItems);
  // A server may serve fewer than asked (its own cap): step by the page size it reports.
  const step = Number.isInteger(first.limit) && first.limit > 0 && first.limit < limit ? first.limit : limit;
  const pages: T[][] = [first.items];
  const offsets: number[] = [];
  for (let offset = first.items.length > 0 ? step : total; offset < total; offset += step)
    offsets.push(offset);

  let cursor = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    // After one page fails the result is lost anyway: fetch no further pages.
    while (cursor < offsets.length && !failed) {
      const index = cursor++;
      try {
        pages[index + 1] = (await fetchPage(offsets[index]!, step)).items;
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, offsets.length) }, worker));
  return pages.flat().slice(0, maxItems);
}

export interface CursorPagingOptions {
  limit?: number;
  /** Stop after this many items (safety bound); default 10,000. */
  maxItems?: number;
}

/** Collects every item of a cursor-paged endpoint, following `cursors.after` one page at a time. */
export async function collectCursorPages<T>(
  fetchPage: (after: string | undefined, limit: number) => Promise<CursorPaging<T>>,
  options: CursorPagingOptions = {},
): Promise<T[]> {
  const limit = options.limit ?? 50;
  const maxItems = options.maxItems ?? 10_000;
  const items: T[] = [];
  const seen = new Set<string>();
  let after: string | undefined;
  for (;;) {
    const page = await fetchPage(after, limit);
    items.push(...page.items);
    const next = page.cursors?.after ?? null;
    // A repeated cursor would loop forever; an empty page means the end.
    if (!page.next || !next || page.items.length === 0 || seen.has(next) || items.length >= maxItems) break;
    seen.add(next);
    after = next;
  }
  return items.slice(0, maxItems);
}
