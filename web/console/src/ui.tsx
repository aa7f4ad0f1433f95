import { useCallback, useEffect, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { ApiError } from './api';

export interface Loaded<T> { data: T | undefined; error: string | null; loading: boolean; reload: () => void }

/** Loads once per change of deps; reload() asks again. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setLoading(true);
    load().then(
      d => { if (live) { setData(d); setError(null); setLoading(false); } },
      (e: unknown) => { if (live) { setError(message(e)); setLoading(false); } });
    return () => { live = false; };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick(t => t + 1), []);
  return { data, error, loading, reload };
}

export const message = (e: unknown) => (e instanceof ApiError ? e.detail : e instanceof Error ? e.message : String(e));

export function Status({ status }: { status: string }) {
  return <span class={`badge status-${status}`} data-status={status}>{status}</span>;
}

export function Alert({ children, kind = 'error' }: { children: ComponentChildren; kind?: 'error' | 'info' | 'ok' }) {
  return <div class={`alert ${kind}`} role={kind === 'error' ? 'alert' : 'status'}>{children}</div>;
}

export function Loading({ what }: { what: string }) {
  return <p class="muted" role="status">Loading {what}…</p>;
}

export function Title({ children }: { children: string }) {
  useEffect(() => { document.title = `${children} · Flowkit`; }, [children]);
  return <h1 tabIndex={-1} id="page-title">{children}</h1>;
}
