/**
 * Assets x daily partitions. The window (30 days to every partition) and the page of assets are
 * fetched from the API, which answers one string of codes per asset; the canvas draws only that.
 * Drag across days to select a range for a backfill; click a cell for that day's run.
 */
import { useState } from "preact/hooks";
import type { Job, Me } from "../../../dto.js";
import { api } from "../api.js";
import { LaunchForm } from "../components/launch.js";
import {
  type DayRange,
  dateOfDay,
  dayNumber,
  Matrix,
  StatusLegend,
} from "../components/statuses.js";
import { AssetLink, Card, Empty, Loaded, usePoll } from "../components/ui.js";
import { count } from "../format.js";
import { setSearch, useLocation } from "../router.js";

const WINDOWS: { label: string; days: number | null }[] = [
  { label: "30 days", days: 30 },
  { label: "90 days", days: 90 },
  { label: "1 year", days: 365 },
  { label: "3 years", days: 1095 },
  { label: "all", days: null },
];
const PAGE = 50;

function Backfill({
  tenant,
  jobs,
  range,
  onDone,
}: {
  tenant: string;
  jobs: readonly Job[];
  range: DayRange;
  onDone: () => void;
}) {
  const partitioned = jobs.filter((j) => j.partitioned);
  const [job, setJob] = useState(partitioned[0]?.name ?? "");
  const [concurrency, setConcurrency] = useState(1);
  const [force, setForce] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const days = dayNumber(range.to) - dayNumber(range.from) + 1;
  return (
    <form
      class="launch"
      data-testid="backfill-form"
      onSubmit={(e) => {
        e.preventDefault();
        setBusy(true);
        api.backfill(tenant, { job, from: range.from, to: range.to, concurrency, force }).then(
          (r) => {
            setBusy(false);
            setMessage({
              ok: true,
              text: `Backfill started: ${r.toRun} of ${r.partitions} partitions to run (${r.alreadyMaterialized} already materialised). Its runs appear under Runs with trigger backfill.`,
            });
            onDone();
          },
          (err: unknown) => {
            setBusy(false);
            setMessage({ ok: false, text: err instanceof Error ? err.message : String(err) });
          },
        );
      }}
    >
      <span class="range-label">
        <strong>
          {range.from} → {range.to}
        </strong>{" "}
        ({count(days)} {days === 1 ? "day" : "days"})
      </span>
      <label>
        Job
        <select value={job} onChange={(e) => setJob((e.target as HTMLSelectElement).value)}>
          {partitioned.map((j) => (
            <option key={j.name} value={j.name}>
              {j.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        At once
        <input
          type="number"
          min={1}
          max={16}
          value={concurrency}
          onInput={(e) => setConcurrency(Number((e.target as HTMLInputElement).value) || 1)}
        />
      </label>
      <label class="check">
        <input
          type="checkbox"
          checked={force}
          onChange={(e) => setForce((e.target as HTMLInputElement).checked)}
        />{" "}
        redo materialised days
      </label>
      <button type="submit" class="primary" disabled={busy || job === ""}>
        Start backfill
      </button>
      {message !== null && <p class={message.ok ? "form-ok" : "form-error"}>{message.text}</p>}
    </form>
  );
}

export function PartitionsPage({ me, tenant }: { me: Me; tenant: string }) {
  const loc = useLocation();
  const q = loc.search;
  const status = q.get("status") ?? "";
  const assets = q.get("assets") ?? "";
  const offset = Number(q.get("offset") ?? 0) || 0;
  const windowDays = q.get("window") === "all" ? null : Number(q.get("window") ?? 1095) || 1095;
  const to = q.get("to") ?? "";
  const tenantJobs = usePoll(() => api.jobs(tenant), [tenant]);
  const range = tenantJobs.data?.partitions;
  const end = to !== "" ? to : (range?.end ?? "");
  const from =
    range === undefined
      ? ""
      : windowDays === null
        ? range.start
        : dateOfDay(Math.max(dayNumber(range.start), dayNumber(end) - windowDays + 1));
  const matrix = usePoll(
    () =>
      range === undefined || range.start > range.end
        ? Promise.resolve(null)
        : api.partitions(tenant, {
            from,
            to: end,
            status,
            assets: assets === "" ? "" : assets.includes("*") ? assets : `**${assets}**`,
            offset,
            limit: PAGE,
          }),
    [tenant, from, end, status, assets, offset],
    15_000,
  );
  const [selection, setSelection] = useState<DayRange | null>(null);
  const [cell, setCell] = useState<{ key: string; date: string; status: string } | null>(null);
  const shift = (direction: -1 | 1) => {
    if (range === undefined || windowDays === null) return;
    const next = Math.min(
      dayNumber(range.end),
      Math.max(dayNumber(range.start) + windowDays - 1, dayNumber(end) + direction * windowDays),
    );
    setSearch({ to: dateOfDay(next) });
  };
  return (
    <>
      <header class="page-head">
        <div>
          <h1>Partitions</h1>
          <p class="sub">
            Daily partitions of {tenant}
            {range !== undefined &&
              ` from ${range.start} to ${range.end} (${count(dayNumber(range.end) - dayNumber(range.start) + 1)} days, ${range.timezone})`}
            . Drag across days to select a range to backfill.
          </p>
        </div>
      </header>
      <div class="toolbar">
        <div class="segmented">
          {WINDOWS.map((w) => (
            <button
              type="button"
              key={w.label}
              class={(w.days ?? null) === windowDays ? "active" : ""}
              onClick={() =>
                setSearch({ window: w.days === null ? "all" : String(w.days), to: null })
              }
            >
              {w.label}
            </button>
          ))}
        </div>
        <button
          type="button"
          onClick={() => shift(-1)}
          disabled={windowDays === null || from === range?.start}
          aria-label="earlier"
        >
          ←
        </button>
        <span class="mono small">
          {from} → {end}
        </span>
        <button
          type="button"
          onClick={() => shift(1)}
          disabled={windowDays === null || end === range?.end}
          aria-label="later"
        >
          →
        </button>
        <label>
          Status{" "}
          <select
            name="status"
            value={status}
            onChange={(e) =>
              setSearch({ status: (e.target as HTMLSelectElement).value, offset: null })
            }
          >
            <option value="">any</option>
            <option value="failed">failed</option>
            <option value="missing">missing</option>
            <option value="skipped">skipped</option>
            <option value="running">running</option>
            <option value="succeeded">succeeded</option>
          </select>
        </label>
        <input
          type="search"
          name="assets"
          placeholder="Filter assets…"
          value={assets}
          onChange={(e) =>
            setSearch({ assets: (e.target as HTMLInputElement).value, offset: null })
          }
        />
        <span class="spacer" />
        <StatusLegend />
      </div>
      <Loaded polled={matrix}>
        {(m) =>
          m === null ? (
            <Empty>No partition has ended yet: the first is {range?.start}.</Empty>
          ) : m.rows.length === 0 ? (
            <Empty>No asset matches these filters.</Empty>
          ) : (
            <Card
              title={`${count(m.totalAssets)} partitioned assets × ${count(m.days)} days`}
              actions={
                m.totalAssets > PAGE && (
                  <span class="pager">
                    <button
                      type="button"
                      disabled={offset === 0}
                      onClick={() => setSearch({ offset: String(Math.max(0, offset - PAGE)) })}
                    >
                      ← previous
                    </button>
                    <span class="small muted">
                      {offset + 1}–{Math.min(m.totalAssets, offset + PAGE)} of {m.totalAssets}
                    </span>
                    <button
                      type="button"
                      disabled={offset + PAGE >= m.totalAssets}
                      onClick={() => setSearch({ offset: String(offset + PAGE) })}
                    >
                      next →
                    </button>
                  </span>
                )
              }
            >
              <Matrix
                rows={m.rows.map((r) => ({
                  key: r.key,
                  statuses: r.statuses,
                  label: (
                    <>
                      <AssetLink tenant={tenant} asset={{ key: r.key }} />
                      <span class="counts">
                        {r.counts.failed > 0 && (
                          <span class="bad">{count(r.counts.failed)} failed</span>
                        )}
                        {r.counts.missing > 0 && (
                          <span class="muted">{count(r.counts.missing)} missing</span>
                        )}
                      </span>
                    </>
                  ),
                }))}
                from={m.from}
                only={
                  status === ""
                    ? null
                    : ((
                        {
                          succeeded: "s",
                          failed: "f",
                          skipped: "k",
                          running: "r",
                          missing: "-",
                        } as Record<string, string>
                      )[status] ?? null)
                }
                selection={selection}
                onSelect={(r) => {
                  setSelection(r);
                  setCell(null);
                }}
                onCell={(key, date, st) => {
                  setCell({ key, date, status: st });
                  setSelection(null);
                }}
              />
            </Card>
          )
        }
      </Loaded>
      {selection !== null && tenantJobs.data !== null && (
        <Card
          title="Backfill the selected range"
          actions={
            <button type="button" class="link" onClick={() => setSelection(null)}>
              clear
            </button>
          }
        >
          {me.role !== "operator" ? (
            <p class="muted">Backfills need the operator role.</p>
          ) : tenantJobs.data.actions.available ? (
            <Backfill
              tenant={tenant}
              jobs={tenantJobs.data.jobs}
              range={selection}
              onDone={() => matrix.reload()}
            />
          ) : (
            <p class="muted">
              Runs cannot be launched from this console: {tenantJobs.data.actions.reason}
            </p>
          )}
        </Card>
      )}
      {cell !== null && tenantJobs.data !== null && (
        <Card
          title={
            <>
              {cell.date} · <span class="mono">{cell.key}</span> · {cell.status}
            </>
          }
          actions={
            <a class="small" href={`/t/${encodeURIComponent(tenant)}/runs?partition=${cell.date}`}>
              runs of this day →
            </a>
          }
        >
          {me.role === "operator" && tenantJobs.data.actions.available ? (
            <LaunchForm
              key={`${cell.key}|${cell.date}`}
              tenant={tenant}
              jobs={tenantJobs.data.jobs.filter(
                (j) => j.partitioned && j.assets.includes(cell.key),
              )}
              defaultPartition={cell.date}
              initialPartition={cell.date}
            />
          ) : (
            <p class="muted">Launching runs needs the operator role.</p>
          )}
        </Card>
      )}
    </>
  );
}
