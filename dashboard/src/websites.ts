// The website list, fetched once per page load and shared by the header's picker, the
// dashboard pages (they need the website's time zone to resolve "today") and settings.
import { useEffect, useState } from "preact/hooks";
import { ApiError, get, type Website } from "./api";

interface ListBody {
  data: Website[];
  pagination: { total: number; limit: number; cursor: string | null; has_more: boolean };
}

let cache: Website[] | null = null;
let inflight: Promise<Website[]> | null = null;
const listeners = new Set<() => void>();

async function fetchAll(): Promise<Website[]> {
  const all: Website[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 50; page++) {
    const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
    const body: ListBody = await get<ListBody>(`/api/websites?limit=100${q}`);
    all.push(...body.data);
    if (!body.pagination?.has_more || !body.pagination.cursor) break;
    cursor = body.pagination.cursor;
  }
  return all;
}

/** True while the list is being (re)loaded. */
export function refreshing(): boolean {
  return inflight !== null;
}

export function loadWebsites(force = false): Promise<Website[]> {
  if (cache && !force) return Promise.resolve(cache);
  if (!inflight || force) {
    const done = () => {
      inflight = null;
      listeners.forEach((fn) => fn());
    };
    inflight = fetchAll().then(
      (list) => {
        cache = list;
        done();
        return list;
      },
      (err) => {
        done();
        throw err;
      },
    );
  }
  return inflight;
}

/** Forget the cached list (after create, rename or delete) and refetch. */
export function invalidateWebsites(): Promise<Website[]> {
  return loadWebsites(true);
}

export function useWebsites(): { websites: Website[] | null; error: ApiError | null; retry: () => void } {
  const [, setTick] = useState(0);
  const [error, setError] = useState<ApiError | null>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    const fn = () => setTick((n) => n + 1);
    listeners.add(fn);
    if (!cache || attempt > 0) {
      loadWebsites(attempt > 0)
        .then(() => setError(null))
        .catch((err) => setError(err instanceof ApiError ? err : new ApiError(0, "error", String(err))));
    }
    return () => {
      listeners.delete(fn);
    };
  }, [attempt]);
  return { websites: cache, error, retry: () => setAttempt((n) => n + 1) };
}
