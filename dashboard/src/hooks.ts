// Data fetching for widgets: each widget asks for its own URL, shows a skeleton until the
// first answer, keeps showing the last good data while a refresh (poll or new filters) is
// in flight, and polls while the tab is visible.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ApiError, get } from "./api";

export const POLL_REPORTS = 60_000; // stats, pageviews, metrics
export const POLL_REALTIME_HEADER = 30_000;
export const POLL_REALTIME_PAGE = 10_000;

export interface Resource<T> {
  /** The newest data (possibly for a previous URL while `stale`). */
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  /** data belongs to an older URL; a fetch for the current one is running. */
  stale: boolean;
  reload: () => void;
}

interface State<T> {
  url: string | null;
  data: T | undefined;
  dataUrl: string | null;
  error: ApiError | undefined;
  loading: boolean;
}

function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError(0, "client_error", err instanceof Error ? err.message : String(err));
}

/** GETs `url` (null = not yet), refetching every `interval` ms while the page is visible. */
export function useApi<T>(url: string | null, interval?: number): Resource<T> {
  const [state, setState] = useState<State<T>>({ url, data: undefined, dataUrl: null, error: undefined, loading: !!url });
  const [nonce, setNonce] = useState(0);
  const lastFetch = useRef(0);

  useEffect(() => {
    if (!url) return;
    let alive = true;
    let controller: AbortController | null = null;
    let timer: number | undefined;

    const run = async () => {
      window.clearTimeout(timer);
      controller?.abort();
      controller = new AbortController();
      lastFetch.current = Date.now();
      setState((s) => ({ ...s, url, loading: true }));
      try {
        const data = await get<T>(url, { signal: controller.signal });
        if (!alive) return;
        setState({ url, data, dataUrl: url, error: undefined, loading: false });
      } catch (err) {
        if (!alive || (err instanceof DOMException && err.name === "AbortError")) return;
        setState((s) => ({ ...s, url, error: asApiError(err), loading: false }));
      }
      if (alive && interval) timer = window.setTimeout(tick, interval);
    };
    const tick = () => {
      if (document.hidden) timer = window.setTimeout(tick, 1000);
      else void run();
    };
    const onVisible = () => {
      if (!document.hidden && interval && Date.now() - lastFetch.current >= interval) void run();
    };
    document.addEventListener("visibilitychange", onVisible);
    void run();
    return () => {
      alive = false;
      window.clearTimeout(timer);
      controller?.abort();
      document.removeEventListener("visibilitychange", onVisible);
    };
  }, [url, interval, nonce]);

  const reload = useCallback(() => setNonce((n) => n + 1), []);
  const current = state.url === url;
  return {
    data: state.data,
    error: current ? state.error : undefined,
    loading: !current || state.loading,
    stale: state.dataUrl !== url,
    reload,
  };
}

/** Runs an async action from a form or button: busy flag, error to show, no double submits. */
export function useAction<A extends unknown[], R>(fn: (...args: A) => Promise<R>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const run = useCallback(
    async (...args: A): Promise<R | undefined> => {
      setBusy(true);
      setError(undefined);
      try {
        return await fn(...args);
      } catch (err) {
        setError(asApiError(err));
        return undefined;
      } finally {
        setBusy(false);
      }
    },
    [fn],
  );
  return { run, busy, error, setError };
}
