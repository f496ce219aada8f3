import { describe, expect, it } from 'vitest';
import { collectCursorPages, collectOffsetPages } from './pagination.js';
import type { CursorPaging, Paging } from './types.js';

function offsetSource(total: number) {
  const data = Array.from({ length: total }, (_, i) => i);
  let inFlight = 0;
  let maxInFlight = 0;
  const requests: number[] = [];
  const fetchPage = async (offset: number, limit: number): Promise<Paging<number>> => {
    requests.push(offset);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    // Finish later pages first to prove the result keeps page order.
    await new Promise((r) => setTimeout(r, offset === 0 ? 0 : Math.max(0, 10 - offset / limit)));
    inFlight--;
    const items = data.slice(offset, offset + limit);
    return {
      href: '',
      items,
      limit,
      next: offset + limit < total ? 'next' : null,
      offset,
      previous: null,
      total,
    };
  };
  return { fetchPage, requests, maxInFlight: () => maxInFlight };
}

describe('collectOffsetPages', () => {
  it('collects every item in order, fetching each page once', async () => {
    const src = offsetSource(237);
    const items = await collectOffsetPages(src.fetchPage, { limit: 50, concurrency: 3 });
    expect(items).toEqual(Array.from({ length: 237 }, (_, i) => i));
    expect([...src.requests].sort((a, b) => a - b)).toEqual([0, 50, 100, 150, 200]);
  });

  it('never has more pages in flight than the concurrency bound', async () => {
    const src = offsetSource(1000);
    await collectOffsetPages(src.fetchPage, { limit: 10, concurrency: 4 });
    expect(src.maxInFlight()).toBe(4);
  });

  it('makes a single request when everything fits in the first page', async () => {
    const src = offsetSource(12);
    expect(await collectOffsetPages(src.fetchPage)).toHaveLength(12);
    expect(src.requests).toEqual([0]);
  });

  it('stops at maxItems even when total is larger', async () => {
    const src = offsetSource(500);
    const items = await collectOffsetPages(src.fetchPage, { limit: 50, maxItems: 120 });
    expect(items).toHaveLength(120);
    expect(Math.max(...src.requests)).toBe(100);
  });

  it('steps by the page size the server reports when it serves fewer items than asked', async () => {
    const data = Array.from({ length: 45 }, (_, i) => i);
    const requests: [number, number][] = [];
    const items = await collectOffsetPages(
      async (offset, limit) => {
        requests.push([offset, limit]);
        const served = Math.min(limit, 10);
        return {
          href: '',
          items: data.slice(offset, offset + served),
          limit: served,
          next: null,
          offset,
          previous: null,
          total: data.length,
        };
      },
      { limit: 50, concurrency: 2 },
    );
    expect(items).toEqual(data);
    expect(requests.map(([offset]) => offset).sort((a, b) => a - b)).toEqual([0, 10, 20, 30, 40]);
  });

  it('fetches no further pages once one has failed', async () => {
    const requested: number[] = [];
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    await expect(
      collectOffsetPages(
        async (offset) => {
          requested.push(offset);
          if (offset === 1) throw new Error('page failed');
          if (offset > 0) await gate;
          return { href: '', items: [offset], limit: 1, next: 'n', offset, previous: null, total: 40 };
        },
        { limit: 1, concurrency: 2 },
      ),
    ).rejects.toThrow('page failed');
    // Let the other worker's page finish, then give it every chance to ask for more.
    release();
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(requested).toEqual([0, 1, 2]);
  });

  it('passes a failing page on to the caller', async () => {
    await expect(
      collectOffsetPages(
        async (offset) => {
          if (offset > 0) throw new Error('page failed');
          return { href: '', items: [1], limit: 1, next: 'n', offset: 0, previous: null, total: 3 };
        },
        { limit: 1 },
      ),
    ).rejects.toThrow('page failed');
  });
});

describe('collectCursorPages', () => {
  const ids = Array.from({ length: 27 }, (_, i) => `id${String(i).padStart(2, '0')}`);
  const fetchPage = async (after: string | undefined, limit: number): Promise<CursorPaging<string>> => {
    const start = after ? ids.indexOf(after) + 1 : 0;
    const items = ids.slice(start, start + limit);
    const more = start + limit < ids.length;
    return {
      href: '',
      items,
      limit,
      next: more ? 'n' : null,
      cursors: { after: more ? items.at(-1)! : null },
    };
  };

  it('follows cursors to the end', async () => {
    expect(await collectCursorPages(fetchPage, { limit: 10 })).toEqual(ids);
  });

  it('stops when a server repeats a cursor instead of looping forever', async () => {
    let calls = 0;
    const items = await collectCursorPages(async () => {
      calls++;
      return { href: '', items: ['x'], limit: 1, next: 'n', cursors: { after: 'same' } };
    });
    expect(items).toEqual(['x', 'x']);
    expect(calls).toBe(2);
  });
});
