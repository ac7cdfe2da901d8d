/**
 * CPU time of the PostgreSQL backends serving one application name, sampled from /proc while they
 * run (the bench's server runs on this machine). A backend's utime+stime only grows, so the last
 * sample of each is its CPU time to within one sampling interval.
 */
import { readFileSync } from "node:fs";
import pg from "pg";

const TICKS_PER_SECOND = 100;

/** utime + stime (clock ticks) from the text of /proc/<pid>/stat, or null. */
export function parseStatCpuTicks(stat: string): number | null {
  const close = stat.lastIndexOf(")");
  if (close < 0) return null;
  // After "(comm)": state is field 3, utime field 14, stime field 15.
  const fields = stat
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? utime + stime : null;
}

function ticksOf(pid: number): number | null {
  try {
    return parseStatCpuTicks(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch (error) {
    // The backend may exit between the listing and the read: its last sample stands.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ESRCH") return null;
    throw new Error(`reading /proc/${pid}/stat failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Samples the backends whose application_name starts with `applicationName`. */
export class BackendCpu {
  private readonly last = new Map<number, number>();
  private timer: NodeJS.Timeout | null = null;
  private sampling: Promise<void> = Promise.resolve();

  private constructor(
    private readonly client: pg.Client,
    private readonly applicationName: string,
  ) {}

  static async start(
    settings: pg.ClientConfig,
    applicationName: string,
    intervalMs = 50,
  ): Promise<BackendCpu> {
    const client = new pg.Client({ ...settings, application_name: "etl-bench-cpu-sampler" });
    await client.connect();
    const sampler = new BackendCpu(client, applicationName);
    sampler.timer = setInterval(() => {
      sampler.sampling = sampler.sampling.then(() => sampler.sample());
    }, intervalMs);
    return sampler;
  }

  private async sample(): Promise<void> {
    const r = await this.client.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE starts_with(application_name, $1)",
      [this.applicationName],
    );
    for (const { pid } of r.rows) {
      const ticks = ticksOf(pid);
      if (ticks === null) continue;
      this.last.set(pid, Math.max(ticks, this.last.get(pid) ?? 0));
    }
  }

  /** Stops sampling; the backends' CPU seconds, or null when none could be read. */
  async stop(): Promise<number | null> {
    if (this.timer !== null) clearInterval(this.timer);
    await this.sampling;
    await this.client.end();
    if (this.last.size === 0) return null;
    let ticks = 0;
    for (const t of this.last.values()) ticks += t;
    return ticks / TICKS_PER_SECOND;
  }
}
