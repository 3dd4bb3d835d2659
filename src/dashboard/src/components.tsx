// Shared building blocks: data loading with explicit loading / error / empty states (never a blank
// screen), formatting, badges.
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { ApiError } from './api';
import { Link } from './router';
import { formatNsAsMs } from '../../contracts/durations';

export type Async<T> = { state: 'loading' } | { state: 'error'; error: ApiError } | { state: 'ready'; data: T };

export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): [Async<T>, () => void] {
  const [value, setValue] = useState<Async<T>>({ state: 'loading' });
  const [tick, setTick] = useState(0);
  const loadedTick = useRef(tick);
  useEffect(() => {
    let live = true;
    // New deps show "loading"; a reload keeps what is shown until its answer arrives (a live page re-reads
    // often, and should not flash).
    if (loadedTick.current === tick) setValue({ state: 'loading' });
    loadedTick.current = tick;
    load().then(
      (data) => live && setValue({ state: 'ready', data }),
      (err: unknown) => live && setValue({ state: 'error', error: err instanceof ApiError ? err : new ApiError(0, 'client', (err as Error).message) }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return [value, reload];
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="state loading" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function ErrorState({ error, retry }: { error: ApiError; retry?: () => void }) {
  const title =
    error.status === 0
      ? 'The API is not reachable'
      : error.status === 401
        ? 'Sign in needed'
        : error.status === 403
          ? 'Not allowed'
          : error.status === 404
            ? 'Not found'
            : error.status >= 500
              ? 'The server had a problem'
              : 'Request refused';
  return (
    <div className="state error" role="alert" data-testid="error-state">
      <h2>{title}</h2>
      <p>{error.message}</p>
      {error.code && error.status !== 0 && <p className="muted">Code: {error.code}</p>}
      <p>
        {error.status === 401 || error.status === 403 ? <Link to="/login">Sign in with an API key</Link> : null}
        {retry && (
          <button type="button" onClick={retry}>
            Retry
          </button>
        )}
      </p>
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state empty" data-testid="empty-state">
      <h2>{title}</h2>
      {children}
    </div>
  );
}

/** Renders the three states of an Async and hands the data to `children` when ready. */
export function Loaded<T>({ value, what, retry, children }: { value: Async<T>; what: string; retry?: () => void; children: (data: T) => ReactNode }) {
  if (value.state === 'loading') return <Loading what={what} />;
  if (value.state === 'error') return <ErrorState error={value.error} {...(retry && { retry })} />;
  return <>{children(value.data)}</>;
}

export const ms = (ns: number | null | undefined, digits = 3) => (ns === null || ns === undefined ? '—' : formatNsAsMs(ns, digits));
export const num = (v: number | null | undefined, digits = 1, unit = '') => (v === null || v === undefined ? '—' : `${v.toFixed(digits)}${unit ? ` ${unit}` : ''}`);
export const date = (iso: string | null | undefined) => (iso ? new Date(iso).toISOString().replace('T', ' ').slice(0, 16) + ' UTC' : '—');

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${status.toLowerCase()}`}>{status}</span>;
}

export function PageTitle({ children, sub }: { children: ReactNode; sub?: ReactNode }) {
  return (
    <header className="page-title">
      <h1>{children}</h1>
      {sub && <p className="muted">{sub}</p>}
    </header>
  );
}

export function KeyValues({ rows }: { rows: [string, ReactNode][] }) {
  return (
    <dl className="kv">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
