/** One asset: materialisations over time, its partitions, checks, columns, upstream and downstream. */
import type { Me } from "../../../dto.js";
import { api } from "../api.js";
import { TimeChart } from "../components/chart.js";
import { LaunchForm } from "../components/launch.js";
import { StatusLegend, Strip } from "../components/statuses.js";
import {
  AssetLink,
  Card,
  Empty,
  HealthBadge,
  Loaded,
  RunLink,
  StatusPill,
  usePoll,
} from "../components/ui.js";
import { ago, bytes, count, duration, time } from "../format.js";

export function AssetPage({ me, tenant, assetKey }: { me: Me; tenant: string; assetKey: string }) {
  const polled = usePoll(() => api.asset(tenant, assetKey), [tenant, assetKey], 10_000);
  const tenantJobs = usePoll(() => api.jobs(tenant), [tenant]);
  return (
    <Loaded polled={polled}>
      {(a) => {
        const points = a.materializations;
        const times = points.map((p) => Date.parse(p.finishedAt) / 1000);
        const last = a.asset.lastMaterialization;
        return (
          <>
            <header class="page-head">
              <div>
                <p class="crumbs">
                  <a
                    href={`/t/${encodeURIComponent(tenant)}/lineage?focus=${encodeURIComponent(a.asset.key)}`}
                  >
                    Lineage
                  </a>{" "}
                  / {a.asset.stage}
                </p>
                <h1 class="mono">{a.asset.key}</h1>
                <p class="sub">{a.description}</p>
              </div>
              <div class="head-side">
                <HealthBadge health={a.asset.health} />
                {a.asset.running && <span class="pill status-running">running</span>}
              </div>
            </header>
            <div class="facts-row">
              <div>
                <span class="fact-label">Kind</span>
                {a.asset.kind}
                {a.asset.partitioned ? ", daily partitions" : ", unpartitioned"}
              </div>
              <div>
                <span class="fact-label">Last materialisation</span>
                {last === null ? (
                  "never"
                ) : (
                  <>
                    <StatusPill status={last.status} /> {ago(last.finishedAt)}
                    {last.partition !== null && <span class="mono"> · {last.partition}</span>} ·{" "}
                    <RunLink tenant={tenant} runId={last.runId} />
                  </>
                )}
              </div>
              {a.source !== null && (
                <div>
                  <span class="fact-label">Source</span>
                  {a.source}
                </div>
              )}
              {a.target !== null && (
                <div>
                  <span class="fact-label">Target</span>
                  <span class="mono">{a.target}</span> ({a.writeMode})
                </div>
              )}
              {a.dbt !== null && (
                <div>
                  <span class="fact-label">dbt</span>
                  <span class="mono">{a.dbt.uniqueId}</span>
                </div>
              )}
              <div>
                <span class="fact-label">Jobs</span>
                {a.jobs.join(", ") || "none"}
              </div>
            </div>
            {a.asset.counts !== null && a.strip !== null && (
              <Card
                title="Partitions"
                actions={
                  <span class="small">
                    {count(a.asset.counts.succeeded)} succeeded ·{" "}
                    <span class={a.asset.counts.failed > 0 ? "bad" : ""}>
                      {count(a.asset.counts.failed)} failed
                    </span>{" "}
                    · {count(a.asset.counts.missing)} missing ·{" "}
                    <a
                      href={`/t/${encodeURIComponent(tenant)}/partitions?assets=${encodeURIComponent(a.asset.key)}`}
                    >
                      matrix →
                    </a>
                  </span>
                }
              >
                <Strip statuses={a.strip.statuses} from={a.strip.from} />
                <div class="strip-foot">
                  <span class="muted small">
                    last {count(a.strip.statuses.length)} days, {a.strip.from} → {a.strip.to}
                  </span>
                  <StatusLegend />
                </div>
              </Card>
            )}
            <Card
              title={`Materialisations (${points.length === 300 ? "latest 300" : points.length})`}
            >
              {points.length === 0 ? (
                <Empty>No materialisation yet.</Empty>
              ) : (
                <div class="charts">
                  <TimeChart
                    title="Rows"
                    times={times}
                    values={points.map((p) => p.rows)}
                    colour="#2563eb"
                    format={(v) => count(v)}
                  />
                  <TimeChart
                    title="Bytes"
                    times={times}
                    values={points.map((p) => p.bytes)}
                    colour="#7c3aed"
                    format={(v) => bytes(v)}
                  />
                  <TimeChart
                    title="Duration"
                    times={times}
                    values={points.map((p) => p.durationMs)}
                    colour="#0d9488"
                    format={(v) => duration(v)}
                  />
                </div>
              )}
              {points.length > 0 && (
                <table class="table compact">
                  <thead>
                    <tr>
                      <th>Finished</th>
                      <th>Partition</th>
                      <th>Status</th>
                      <th class="num">Rows</th>
                      <th class="num">Bytes</th>
                      <th class="num">Duration</th>
                      <th class="num">Tries</th>
                      <th>Run</th>
                    </tr>
                  </thead>
                  <tbody>
                    {points
                      .slice(-10)
                      .reverse()
                      .map((p) => (
                        <tr key={`${p.runId}|${p.partition}`}>
                          <td title={p.finishedAt}>{time(p.finishedAt)}</td>
                          <td class="mono">{p.partition ?? "—"}</td>
                          <td>
                            <StatusPill status={p.status} />
                          </td>
                          <td class="num">{count(p.rows)}</td>
                          <td class="num">{bytes(p.bytes)}</td>
                          <td class="num">{duration(p.durationMs)}</td>
                          <td class="num">{p.attempts}</td>
                          <td>
                            <RunLink tenant={tenant} runId={p.runId} />
                          </td>
                        </tr>
                      ))}
                  </tbody>
                </table>
              )}
            </Card>
            <div class="two-col">
              <Card
                title="Upstream"
                actions={
                  <a
                    class="small"
                    href={`/t/${encodeURIComponent(tenant)}/lineage?focus=${encodeURIComponent(a.asset.key)}`}
                  >
                    its lineage graph →
                  </a>
                }
              >
                {a.upstream.length === 0 ? (
                  <Empty>None: a source.</Empty>
                ) : (
                  <ul class="asset-list">
                    {a.upstream.map((u) => (
                      <li key={u.key}>
                        <AssetLink tenant={tenant} asset={u} />
                      </li>
                    ))}
                  </ul>
                )}
              </Card>
              <Card title="Downstream">
                {a.downstream.length === 0 ? (
                  <Empty>Nothing depends on it.</Empty>
                ) : (
                  <ul class="asset-list">
                    {a.downstream.map((u) => (
                      <li key={u.key}>
                        <AssetLink tenant={tenant} asset={u} />
                      </li>
                    ))}
                  </ul>
                )}
              </Card>
            </div>
            <div class="two-col">
              <Card title={a.columns === null ? "Columns" : `Columns (${a.columns.list.length})`}>
                {a.columns === null ? (
                  <Empty>No schema snapshot for this asset.</Empty>
                ) : (
                  <>
                    <p class="muted small">From the {a.columns.origin}.</p>
                    <table class="table compact">
                      <thead>
                        <tr>
                          <th>Column</th>
                          <th>Type</th>
                          <th>Nullable</th>
                        </tr>
                      </thead>
                      <tbody>
                        {a.columns.list.map((c) => (
                          <tr key={c.name}>
                            <td class="mono">{c.name}</td>
                            <td class="mono">{c.type}</td>
                            <td>{c.nullable ? "yes" : "no"}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </>
                )}
              </Card>
              <Card title="Checks">
                {a.checks.length === 0 &&
                a.checkHistory.length === 0 &&
                (a.dbt?.tests.length ?? 0) === 0 ? (
                  <Empty>No checks on this asset.</Empty>
                ) : (
                  <>
                    {a.checks.length > 0 && (
                      <p class="small">
                        Configured:{" "}
                        {a.checks.map((c) => (
                          <span key={c.name} class="chip">
                            {c.name}{" "}
                            <span class="muted">
                              ({c.type}, {c.severity})
                            </span>
                          </span>
                        ))}
                      </p>
                    )}
                    {a.dbt !== null && a.dbt.tests.length > 0 && (
                      <p class="small">dbt tests: {a.dbt.tests.join(", ")}</p>
                    )}
                    {a.checkHistory.length > 0 && (
                      <table class="table compact">
                        <thead>
                          <tr>
                            <th>When</th>
                            <th>Check</th>
                            <th>Result</th>
                            <th>Partition</th>
                            <th>Run</th>
                          </tr>
                        </thead>
                        <tbody>
                          {a.checkHistory.slice(0, 30).map((c) => (
                            <tr key={`${c.runId}|${c.checkName}|${c.partition}`}>
                              <td title={c.checkedAt}>{time(c.checkedAt)}</td>
                              <td>{c.checkName}</td>
                              <td>
                                <StatusPill
                                  status={
                                    c.passed
                                      ? "passed"
                                      : c.severity === "error"
                                        ? "failed"
                                        : "warned"
                                  }
                                />
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
                  </>
                )}
              </Card>
            </div>
            {me.role === "operator" &&
              tenantJobs.data !== null &&
              tenantJobs.data.actions.available &&
              a.jobs.length > 0 && (
                <Card title="Materialise this asset">
                  <LaunchForm
                    tenant={tenant}
                    jobs={tenantJobs.data.jobs.filter((j) => a.jobs.includes(j.name))}
                    defaultPartition={tenantJobs.data.partitions.end}
                    select={a.asset.key}
                  />
                </Card>
              )}
          </>
        );
      }}
    </Loaded>
  );
}
