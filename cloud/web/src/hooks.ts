/** Shared hooks: debounced values and cursor pagination over a list endpoint. */
import { useEffect, useState } from 'preact/hooks';
import { api, describe, withQuery, type Page } from './api.js';

export function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

export interface Paged<T> {
  items: T[];
  loading: boolean;
  error: string | null;
  hasPrev: boolean;
  hasNext: boolean;
  next(): void;
  prev(): void;
  reload(): void;
}

/**
 * One page of `path` at a time; `query` changes start again at the first page. Older answers
 * that arrive late (fast typing in a search box) are dropped.
 */
export function usePaged<T>(path: string, query: Record<string, string | number | undefined>): Paged<T> {
  const key = JSON.stringify([path, query]);
  // The cursors of the pages before, tied to the query they belong to: a new query starts at the
  // first page in the same render, so no request goes out with a stale cursor.
  const [nav, setNav] = useState<{ key: string; stack: Array<string | null> }>({ key, stack: [null] });
  const stack = nav.key === key ? nav.stack : [null];
  const setStack = (s: Array<string | null>) => setNav({ key, stack: s });
  const [page, setPage] = useState<Page<T>>({ items: [], nextCursor: null });
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const cursor = stack[stack.length - 1] ?? null;
  useEffect(() => {
    let live = true;
    setLoading(true);
    api<Page<T>>('GET', withQuery(path, { ...query, cursor }))
      .then((p) => live && (setPage(p), setError(null)))
      .catch((e: unknown) => live && setError(describe(e)))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [key, cursor, tick]);
  return {
    items: page.items,
    loading,
    error,
    hasPrev: stack.length > 1,
    hasNext: page.nextCursor !== null,
    next: () => page.nextCursor && setStack([...stack, page.nextCursor]),
    prev: () => setStack(stack.slice(0, -1)),
    reload: () => setTick(tick + 1),
  };
}
