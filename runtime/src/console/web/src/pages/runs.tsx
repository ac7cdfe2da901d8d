/** Every run of a tenant, newest first, filterable by job, status, partition and trigger. */
import { useEffect, useState } from "preact/hooks";
import type { RunsResponse } from "../../../dto.js";
import { api } from "../api.js";
import { Card, ErrorBox, Loading, usePoll } from "../components/ui.js";
import { setSearch, useLocation } from "../router.js";
import { RunsTable } from "./overview.js";

export function RunsPage({ tenant }: { tenant: string }) {
  const q = useLocation().search;
  const filters = {
    job: q.get("job") ?? "",
    status: q.get("status") ?? "",
    partition: q.get("partition") ?? "",
    trigger: q.get("trigger") ?? "",
  };
  const tenantJobs = usePoll(() => api.jobs(tenant), [tenant]);
  const first = usePoll(
    () => api.runs(tenant, { ...filters, limit: 50 }),
    [tenant, filters.job, filters.status, filters.partition, filters.trigger],
    5000,
  );
  const [more, setMore] = useState<RunsResponse["runs"]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [moreError, setMoreError] = useState<unknown>(null);
  useEffect(() => {
    setMore([]);
    setNext(first.data?.next ?? null);
  }, [first.data]);
  const jobs = tenantJobs.data?.jobs.map((j) => j.name) ?? [];
  return (
    <>
      <header class="page-head">
        <div>
          <h1>Runs</h1>
          <p class="sub">Runs of {tenant} from every process that writes to its ledger.</p>
        </div>
      </header>
      <div class="toolbar">
        <label>
          Job{" "}
          <select
            name="job"
            value={filters.job}
            onChange={(e) => setSearch({ job: (e.target as HTMLSelectElement).value })}
          >
            <option value="">any</option>
            {jobs.map((j) => (
              <option key={j} value={j}>
                {j}
              </option>
            ))}
          </select>
        </label>
        <label>
          Status{" "}
          <select
            name="status"
            value={filters.status}
            onChange={(e) => setSearch({ status: (e.target as HTMLSelectElement).value })}
          >
            <option value="">any</option>
            <option value="running">running</option>
            <option value="succeeded">succeeded</option>
            <option value="failed">failed</option>
            <option value="cancelled">cancelled</option>
          </select>
        </label>
        <label>
          Partition{" "}
          <input
            name="partition"
            type="date"
            value={filters.partition}
            onChange={(e) => setSearch({ partition: (e.target as HTMLInputElement).value })}
          />
        </label>
        <label>
          Trigger{" "}
          <select
            name="trigger"
            value={filters.trigger}
            onChange={(e) => setSearch({ trigger: (e.target as HTMLSelectElement).value })}
          >
            <option value="">any</option>
            <option value="cli">cli</option>
            <option value="console">console</option>
            <option value="backfill">backfill</option>
            <option value="schedule">schedule</option>
          </select>
        </label>
        {Object.values(filters).some((v) => v !== "") && (
          <button
            type="button"
            class="link"
            onClick={() => setSearch({ job: null, status: null, partition: null, trigger: null })}
          >
            clear filters
          </button>
        )}
      </div>
      <Card>
        {first.data === null ? (
          first.error === null ? (
            <Loading />
          ) : (
            <ErrorBox error={first.error} />
          )
        ) : (
          <>
            <RunsTable tenant={tenant} runs={[...first.data.runs, ...more]} />
            {moreError !== null && <ErrorBox error={moreError} />}
            {next !== null && (
              <button
                type="button"
                class="more"
                onClick={() => {
                  api.runs(tenant, { ...filters, before: next, limit: 50 }).then(
                    (r) => {
                      setMore((m) => [...m, ...r.runs]);
                      setNext(r.next);
                    },
                    (e: unknown) => setMoreError(e),
                  );
                }}
              >
                older runs
              </button>
            )}
          </>
        )}
      </Card>
    </>
  );
}
