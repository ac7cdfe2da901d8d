/** One run: its assets on a timeline, attempts, errors, check results and its own log lines. */
import { useEffect, useRef, useState } from "preact/hooks";
import type { Me, RunDetail, RunLogsResponse } from "../../../dto.js";
import { api } from "../api.js";
import { AssetLink, Card, Empty, Loaded, StatusPill, usePoll } from "../components/ui.js";
import { duration, span, time } from "../format.js";
import { navigate } from "../router.js";

type Line = RunLogsResponse["lines"][number];

function Timeline({ tenant, detail }: { tenant: string; detail: RunDetail }) {
  const start = Date.parse(detail.run.startedAt);
  const ends = detail.steps.map((s) => (s.finishedAt === null ? 0 : Date.parse(s.finishedAt)));
  const end = Math.max(
    detail.run.finishedAt === null ? Date.now() : Date.parse(detail.run.finishedAt),
    ...ends,
    start + 1,
  );
  const total = end - start;
  return (
    <div class="timeline">
      <div class="timeline-scale">
        <span>{time(detail.run.startedAt)}</span>
        <span>{duration(total)}</span>
      </div>
      {detail.steps.map((s) => {
        const a = s.startedAt === null ? null : Date.parse(s.startedAt);
        const b =
          s.finishedAt === null ? (a === null ? null : Date.now()) : Date.parse(s.finishedAt);
        const left = a === null ? 0 : ((a - start) / total) * 100;
        const width = a === null || b === null ? 0 : Math.max(0.6, ((b - a) / total) * 100);
        return (
          <div class="timeline-row" key={s.key} data-step={s.key} data-status={s.status}>
            <div class="timeline-label">
              <AssetLink tenant={tenant} asset={{ key: s.key }} />
            </div>
            <div class="timeline-track">
              {a !== null && (
                <div
                  class={`timeline-bar status-${s.status}`}
                  style={{
                    left: `${Math.min(99.4, left)}%`,
                    width: `${Math.min(100 - Math.min(99.4, left), width)}%`,
                  }}
                  title={`${s.status} · ${span(s.startedAt, s.finishedAt)}${s.attempts > 1 ? ` · ${s.attempts} tries` : ""}`}
                />
              )}
              {a === null && (
                <span class="muted small pending-label">
                  {s.status === "pending" ? "pending" : s.status}
                </span>
              )}
            </div>
            <div class="timeline-status">
              <StatusPill status={s.status} />
            </div>
          </div>
        );
      })}
    </div>
  );
}

function Logs({ tenant, runId, live }: { tenant: string; runId: string; live: boolean }) {
  const [lines, setLines] = useState<Line[]>([]);
  const [error, setError] = useState<string | null>(null);
  const last = useRef(-1);
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    setLines([]);
    last.current = -1;
  }, [runId]);
  useEffect(() => {
    let stopped = false;
    const pull = () => {
      api.logs(tenant, runId, last.current).then(
        (r) => {
          if (stopped || r.lines.length === 0) return;
          last.current = r.last;
          setLines((l) => [...l, ...r.lines]);
          setError(null);
        },
        (e: unknown) => setError(e instanceof Error ? e.message : String(e)),
      );
    };
    pull();
    const timer = live ? setInterval(pull, 1500) : null;
    return () => {
      stopped = true;
      if (timer !== null) clearInterval(timer);
    };
  }, [tenant, runId, live]);
  useEffect(() => {
    const el = box.current;
    if (el !== null && live) el.scrollTop = el.scrollHeight;
  }, [lines.length]);
  return (
    <div class="logs" ref={box} data-testid="run-logs">
      {error !== null && <p class="form-error">{error}</p>}
      {lines.length === 0 ? (
        <p class="muted">No log lines recorded for this run{live ? " yet" : ""}.</p>
      ) : (
        lines.map((l) => {
          const {
            asset,
            attempt,
            job: _job,
            partition: _partition,
            environment: _env,
            ...rest
          } = l.fields as Record<string, unknown>;
          return (
            <div key={l.seq} class={`log-line level-${l.level}`}>
              <span class="log-ts">{l.ts.slice(11, 23)}</span>
              <span class="log-level">{l.level}</span>
              {typeof asset === "string" && (
                <span class="log-asset">{asset.split("/").slice(1).join("/")}</span>
              )}
              <span class="log-msg">{l.msg}</span>
              {typeof attempt === "number" && attempt > 1 && (
                <span class="log-field">attempt={attempt}</span>
              )}
              {Object.entries(rest).map(([k, v]) => (
                <span key={k} class="log-field">
                  {k}={typeof v === "string" ? v : JSON.stringify(v)}
                </span>
              ))}
            </div>
          );
        })
      )}
    </div>
  );
}

export function RunPage({ me, tenant, runId }: { me: Me; tenant: string; runId: string }) {
  const [live, setLive] = useState(true);
  const polled = usePoll(() => api.run(tenant, runId), [tenant, runId], live ? 1500 : 0);
  const [action, setAction] = useState<string | null>(null);
  useEffect(() => {
    if (polled.data !== null) setLive(polled.data.run.status === "running");
  }, [polled.data?.run.status]);
  return (
    <Loaded polled={polled}>
      {(d) => (
        <>
          <header class="page-head">
            <div>
              <p class="crumbs">
                <a href={`/t/${encodeURIComponent(tenant)}/runs`}>Runs</a> / {d.run.job}
              </p>
              <h1 class="mono">{d.run.runId}</h1>
              <p class="sub">
                job <strong>{d.run.job}</strong>
                {d.run.partition !== null && (
                  <>
                    {" "}
                    · partition <span class="mono">{d.run.partition}</span>
                  </>
                )}
                {d.run.select !== null && (
                  <>
                    {" "}
                    · select <span class="mono">{d.run.select}</span>
                  </>
                )}{" "}
                · trigger {d.run.trigger} · pid {d.run.pid} on {d.run.host} · environment{" "}
                {d.run.environment}
              </p>
            </div>
            <div class="head-side">
              <StatusPill status={d.run.status} />
              <span class="muted small">
                {time(d.run.startedAt)} · {span(d.run.startedAt, d.run.finishedAt)}
              </span>
              {me.role === "operator" &&
                d.failedAssets.length > 0 &&
                d.run.status !== "running" && (
                  <button
                    type="button"
                    class="primary"
                    data-testid="reexecute"
                    onClick={() => {
                      setAction(null);
                      api.reexecute(tenant, runId).then(
                        (r) =>
                          navigate(
                            `/t/${encodeURIComponent(tenant)}/runs/${encodeURIComponent(r.runId)}`,
                          ),
                        (e: unknown) => setAction(e instanceof Error ? e.message : String(e)),
                      );
                    }}
                  >
                    Re-execute {d.failedAssets.length} failed
                  </button>
                )}
            </div>
          </header>
          {action !== null && <p class="form-error">{action}</p>}
          {d.run.error !== null && (
            <div class="error-box">
              <strong>Run error</strong>
              <span>{d.run.error}</span>
            </div>
          )}
          <Card
            title={`Assets (${d.run.succeeded} succeeded, ${d.run.failed} failed, ${d.run.skipped} skipped)`}
          >
            <Timeline tenant={tenant} detail={d} />
          </Card>
          {d.steps.some((s) => s.error !== null || s.attempts > 1) && (
            <Card title="Attempts and errors">
              <table class="table compact">
                <thead>
                  <tr>
                    <th>Asset</th>
                    <th>Status</th>
                    <th class="num">Tries</th>
                    <th>Error</th>
                  </tr>
                </thead>
                <tbody>
                  {d.steps
                    .filter((s) => s.error !== null || s.attempts > 1)
                    .map((s) => (
                      <tr key={s.key}>
                        <td>
                          <AssetLink tenant={tenant} asset={{ key: s.key }} />
                        </td>
                        <td>
                          <StatusPill status={s.status} />
                        </td>
                        <td class="num">{s.attempts}</td>
                        <td class="error-text">{s.error ?? ""}</td>
                      </tr>
                    ))}
                </tbody>
              </table>
            </Card>
          )}
          <Card title={`Checks (${d.checks.length})`}>
            {d.checks.length === 0 ? (
              <Empty>No check ran in this run.</Empty>
            ) : (
              <table class="table compact">
                <thead>
                  <tr>
                    <th>Asset</th>
                    <th>Check</th>
                    <th>Result</th>
                    <th>Details</th>
                  </tr>
                </thead>
                <tbody>
                  {d.checks.map((c) => (
                    <tr key={`${c.assetKey}|${c.checkName}`}>
                      <td>
                        <AssetLink tenant={tenant} asset={{ key: c.assetKey }} />
                      </td>
                      <td>{c.checkName}</td>
                      <td>
                        <StatusPill
                          status={
                            c.passed ? "passed" : c.severity === "error" ? "failed" : "warned"
                          }
                        />
                      </td>
                      <td class="mono small">{JSON.stringify(c.metadata)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Card>
          <Card
            title="Log"
            actions={live ? <span class="pill status-running">live</span> : undefined}
          >
            <Logs tenant={tenant} runId={runId} live={live} />
          </Card>
        </>
      )}
    </Loaded>
  );
}
