/** The launch form: a job, its partition (for partitioned jobs) and an optional asset selection. */
import { useState } from "preact/hooks";
import type { Job } from "../../../dto.js";
import { api } from "../api.js";
import { navigate } from "../router.js";

export function LaunchForm({
  tenant,
  jobs,
  defaultPartition,
  initialJob,
  initialPartition,
  select,
}: {
  tenant: string;
  jobs: readonly Job[];
  defaultPartition: string;
  initialJob?: string;
  initialPartition?: string;
  select?: string;
}) {
  const [job, setJob] = useState(initialJob ?? jobs[0]?.name ?? "");
  const [partition, setPartition] = useState(initialPartition ?? defaultPartition);
  const [selection, setSelection] = useState(select ?? "");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const chosen = jobs.find((j) => j.name === job);
  return (
    <form
      class="launch"
      onSubmit={(e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        api
          .launch(tenant, {
            job,
            partition: chosen?.partitioned === true ? partition : null,
            select: selection.trim() === "" ? null : selection.trim(),
          })
          .then(
            (r) => navigate(`/t/${encodeURIComponent(tenant)}/runs/${encodeURIComponent(r.runId)}`),
            (err: unknown) => {
              setBusy(false);
              setError(err instanceof Error ? err.message : String(err));
            },
          );
      }}
    >
      <label>
        Job
        <select
          name="job"
          value={job}
          onChange={(e) => setJob((e.target as HTMLSelectElement).value)}
        >
          {jobs.map((j) => (
            <option key={j.name} value={j.name}>
              {j.name} ({j.assets.length} assets{j.partitioned ? ", daily" : ""})
            </option>
          ))}
        </select>
      </label>
      {chosen?.partitioned === true && (
        <label>
          Partition
          <input
            name="partition"
            type="date"
            value={partition}
            onInput={(e) => setPartition((e.target as HTMLInputElement).value)}
            required
          />
        </label>
      )}
      <label class="grow">
        Select <span class="muted">(optional asset key globs, comma-separated)</span>
        <input
          name="select"
          type="text"
          placeholder={`${tenant}/extract/*`}
          value={selection}
          onInput={(e) => setSelection((e.target as HTMLInputElement).value)}
        />
      </label>
      <button type="submit" class="primary" disabled={busy || job === ""}>
        {busy ? "Launching…" : "Launch run"}
      </button>
      {error !== null && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
