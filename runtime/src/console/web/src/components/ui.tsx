/** Small shared pieces: badges, links, loading and error states, and polling. */
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { AssetRef, Health } from "../../../dto.js";
import { ApiError, assetPath } from "../api.js";
import { shortKey } from "../format.js";

export const HEALTH_LABEL: Record<Health, string> = {
  fresh: "fresh",
  stale: "stale",
  failed: "failed",
  never: "never materialised",
};

export function HealthBadge({ health }: { health: Health }) {
  return <span class={`badge health-${health}`}>{HEALTH_LABEL[health]}</span>;
}

export function StatusPill({ status }: { status: string }) {
  return <span class={`pill status-${status}`}>{status}</span>;
}

export function Dot({ health, running }: { health: Health; running?: boolean }) {
  return (
    <span class={`dot health-${health}${running === true ? " running" : ""}`} aria-hidden="true" />
  );
}

export function AssetLink({
  tenant,
  asset,
}: {
  tenant: string;
  asset: Pick<AssetRef, "key"> & Partial<AssetRef>;
}) {
  return (
    <a
      class="asset-link"
      href={`/t/${encodeURIComponent(tenant)}/assets/${assetPath(asset.key)}`}
      title={asset.key}
    >
      {asset.health !== undefined && <Dot health={asset.health} running={asset.running} />}
      <span class="stage">{asset.key.split("/")[1]}</span> {shortKey(asset.key)}
    </a>
  );
}

export function RunLink({ tenant, runId }: { tenant: string; runId: string }) {
  return (
    <a class="mono" href={`/t/${encodeURIComponent(tenant)}/runs/${encodeURIComponent(runId)}`}>
      {runId}
    </a>
  );
}

export function Card({
  title,
  actions,
  children,
  class: cls,
}: {
  title?: ComponentChildren;
  actions?: ComponentChildren;
  children: ComponentChildren;
  class?: string;
}) {
  return (
    <section class={`card${cls === undefined ? "" : ` ${cls}`}`}>
      {(title !== undefined || actions !== undefined) && (
        <header class="card-head">
          <h2>{title}</h2>
          {actions}
        </header>
      )}
      {children}
    </section>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

export function ErrorBox({ error }: { error: unknown }) {
  const message = error instanceof Error ? error.message : String(error);
  const status = error instanceof ApiError ? error.status : null;
  return (
    <div class="error-box" role="alert">
      <strong>
        {status === 404 ? "Not found" : status === 401 ? "Sign-in needed" : "Something went wrong"}
      </strong>
      <span>{message}</span>
    </div>
  );
}

export function Loading() {
  return <div class="loading">Loading…</div>;
}

export interface Polled<T> {
  data: T | null;
  error: unknown;
  reload: () => void;
}

/**
 * Loads `fetcher` now and again every `intervalMs` (0: once) while the page shows; the previous
 * data stays on screen while a reload is under way.
 */
export function usePoll<T>(
  fetcher: () => Promise<T>,
  deps: readonly unknown[],
  intervalMs = 0,
): Polled<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const generation = useRef(0);
  const load = useCallback(() => {
    const mine = ++generation.current;
    fetcher().then(
      (d) => {
        if (mine !== generation.current) return;
        setData(d);
        setError(null);
      },
      (e: unknown) => {
        if (mine !== generation.current) return;
        setError(e);
      },
    );
  }, deps);
  useEffect(() => {
    setData(null);
    setError(null);
    load();
    if (intervalMs <= 0) return;
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") load();
    }, intervalMs);
    return () => clearInterval(timer);
  }, [load, intervalMs]);
  return { data, error, reload: load };
}

/** Page state for polled data: loading, error (keeping stale data visible), or the content. */
export function Loaded<T>({
  polled,
  children,
}: {
  polled: Polled<T>;
  children: (data: T) => ComponentChildren;
}) {
  if (polled.data === null)
    return polled.error === null ? <Loading /> : <ErrorBox error={polled.error} />;
  return (
    <>
      {polled.error !== null && <ErrorBox error={polled.error} />}
      {children(polled.data)}
    </>
  );
}
