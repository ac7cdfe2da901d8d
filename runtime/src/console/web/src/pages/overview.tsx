/** A tenant at a glance: assets by health, failing checks, the latest runs, the next schedules. */
import { useState } from "preact/hooks";
import type { AssetRef, Health, Me } from "../../../dto.js";
import { api } from "../api.js";
import { LaunchForm } from "../components/launch.js";
import {
  AssetLink,
  Card,
  Empty,
  HEALTH_LABEL,
  Loaded,
  RunLink,
  StatusPill,
  usePoll,
} from "../components/ui.js";
import { ago, span, time } from "../format.js";

const ORDER: Health[] = ["failed", "stale", "never", "fresh"];

export function RunsTable({
  tenant,
  runs,
}: {
  tenant: string;
  runs: import("../../../dto.js").Overview["latestRuns"];
}) {
  if (runs.length === 0) return <Empty>No run yet.</Empty>;
  return (
    <table class="table">
      <thead>
        <tr>
          <th>Run</th>
          <th>Job</th>
          <th>Partition</th>
          <th>Status</th>
          <th>Trigger</th>
          <th>Started</th>
          <th>Duration</th>
          <th class="num">Assets ok / failed / skipped</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((r) => (
          <tr key={r.runId}>
            <td>
              <RunLink tenant={tenant} runId={r.runId} />
            </td>
            <td>{r.job}</td>
            <td class="mono">{r.partition ?? "—"}</td>
            <td>
              <StatusPill status={r.status} />
            </td>
            <td>{r.trigger}</td>
            <td title={r.startedAt}>{time(r.startedAt)}</td>
            <td>{span(r.startedAt, r.finishedAt)}</td>
            <td class="num">
              {r.succeeded} / <span class={r.failed > 0 ? "bad" : ""}>{r.failed}</span> /{" "}
              {r.skipped}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function AssetGroups({ tenant, assets }: { tenant: string; assets: AssetRef[] }) {
  const [only, setOnly] = useState<Health | null>(null);
  const groups = ORDER.map((h) => ({ health: h, list: assets.filter((a) => a.health === h) }));
  return (
    <>
      <div class="tiles">
        {groups.map((g) => (
          <button
            type="button"
            key={g.health}
            class={`tile health-${g.health}${only === g.health ? " selected" : ""}`}
            onClick={() => setOnly(only === g.health ? null : g.health)}
            data-health={g.health}
          >
            <span class="tile-n">{g.list.length}</span>
            <span class="tile-label">{HEALTH_LABEL[g.health]}</span>
          </button>
        ))}
      </div>
      <div class="asset-groups">
        {groups
          .filter((g) => g.list.length > 0 && (only === null || only === g.health))
          .map((g) => (
            <div key={g.health} class="asset-group">
              <h3 class={`group-title health-${g.health}`}>
                {HEALTH_LABEL[g.health]} <span class="muted">{g.list.length}</span>
              </h3>
              <ul class="asset-list">
                {g.list.slice(0, only === null ? 12 : 500).map((a) => (
                  <li key={a.key}>
                    <AssetLink tenant={tenant} asset={a} />
                    <span class="muted small">
                      {a.running ? "running now · " : ""}
                      {a.lastMaterialization === null
                        ? "no materialisation"
                        : `${a.lastMaterialization.status} ${ago(a.lastMaterialization.finishedAt)}${a.lastMaterialization.partition === null ? "" : ` · ${a.lastMaterialization.partition}`}`}
                      {a.counts !== null && a.counts.failed > 0
                        ? ` · ${a.counts.failed} failed partitions`
                        : ""}
                    </span>
                  </li>
                ))}
                {only === null && g.list.length > 12 && (
                  <li>
                    <button type="button" class="link" onClick={() => setOnly(g.health)}>
                      all {g.list.length} {HEALTH_LABEL[g.health]} assets…
                    </button>
                  </li>
                )}
              </ul>
            </div>
          ))}
      </div>
    </>
  );
}

export function OverviewPage({ me, tenant }: { me: Me; tenant: string }) {
  const polled = usePoll(() => api.overview(tenant), [tenant], 5000);
  return (
    <Loaded polled={polled}>
      {(o) => (
        <>
          <header class="page-head">
            <div>
              <h1>{o.tenant.name}</h1>
              <p class="sub">
                <span class="mono">{o.tenant.id}</span> · environment {o.tenant.environment} · daily
                partitions {o.tenant.partitions.start} → {o.tenant.partitions.end} (
                {o.tenant.partitions.timezone}) · {o.tenant.ledger}
              </p>
            </div>
          </header>
          <AssetGroups tenant={tenant} assets={o.assets} />
          {me.role === "operator" && (
            <Card title="Launch a run">
              {o.tenant.actions.available ? (
                <LaunchForm
                  tenant={tenant}
                  jobs={o.jobs}
                  defaultPartition={o.tenant.partitions.end}
                />
              ) : (
                <p class="muted">
                  Runs cannot be launched from this console: {o.tenant.actions.reason}
                </p>
              )}
            </Card>
          )}
          <div class="two-col">
            <Card title={`Failing checks (${o.failingChecks.length})`}>
              {o.failingChecks.length === 0 ? (
                <Empty>Every check passed at its latest run.</Empty>
              ) : (
                <table class="table">
                  <thead>
                    <tr>
                      <th>Asset</th>
                      <th>Check</th>
                      <th>Severity</th>
                      <th>Partition</th>
                      <th>When</th>
                    </tr>
                  </thead>
                  <tbody>
                    {o.failingChecks.map((c) => (
                      <tr key={`${c.assetKey}|${c.checkName}`}>
                        <td>
                          <AssetLink tenant={tenant} asset={{ key: c.assetKey }} />
                        </td>
                        <td>{c.checkName}</td>
                        <td>
                          <span class={`sev sev-${c.severity}`}>{c.severity}</span>
                        </td>
                        <td class="mono">{c.partition ?? "—"}</td>
                        <td>
                          <RunLink tenant={tenant} runId={c.runId} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </Card>
            <Card title="Next scheduled runs">
              {o.nextRuns.length === 0 ? (
                <Empty>No job has a schedule.</Empty>
              ) : (
                <table class="table">
                  <thead>
                    <tr>
                      <th>Job</th>
                      <th>Next fire</th>
                      <th>Partition</th>
                      <th>Schedule</th>
                    </tr>
                  </thead>
                  <tbody>
                    {o.nextRuns.map((n) => (
                      <tr key={n.job}>
                        <td>{n.job}</td>
                        <td title={n.at ?? ""}>
                          {time(n.at)}{" "}
                          <span class="muted small">{n.at === null ? "" : ago(n.at)}</span>
                        </td>
                        <td class="mono">{n.partition ?? "—"}</td>
                        <td>
                          <span class="mono">{n.cron}</span> {n.timezone}
                          {!n.autoStart && (
                            <span class="muted small"> · only under serve --all</span>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </Card>
          </div>
          <Card
            title="Latest runs"
            actions={
              <a class="small" href={`/t/${encodeURIComponent(tenant)}/runs`}>
                all runs →
              </a>
            }
          >
            <RunsTable tenant={tenant} runs={o.latestRuns} />
          </Card>
        </>
      )}
    </Loaded>
  );
}
