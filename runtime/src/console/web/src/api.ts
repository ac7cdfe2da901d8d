/** The console's API client: same-origin fetches, the action header on every change. */
import type {
  AssetDetail,
  BackfillRequest,
  BackfillResponse,
  JobsResponse,
  LaunchRequest,
  Lineage,
  Matrix,
  Me,
  Overview,
  RunDetail,
  RunLogsResponse,
  RunsResponse,
  TenantSummary,
} from "../../dto.js";

/** An API answer other than 2xx, with the server's message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function request<T>(
  method: "GET" | "POST" | "DELETE",
  path: string,
  body?: unknown,
): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (method !== "GET") {
    headers["x-console-action"] = "1";
    headers["content-type"] = "application/json";
  }
  const response = await fetch(`/api/v1${path}`, {
    method,
    headers,
    credentials: "same-origin",
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let json: unknown = null;
  if (text !== "") {
    try {
      json = JSON.parse(text);
    } catch {
      throw new ApiError(
        response.status,
        `the console answered ${response.status} with text that is not JSON`,
      );
    }
  }
  if (!response.ok) {
    const message =
      typeof json === "object" && json !== null && "error" in json && typeof json.error === "string"
        ? json.error
        : `HTTP ${response.status}`;
    throw new ApiError(response.status, message);
  }
  return json as T;
}

const enc = encodeURIComponent;

function query(params: Record<string, string | number | null | undefined>): string {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) => `${enc(k)}=${enc(String(v))}`);
  return parts.length === 0 ? "" : `?${parts.join("&")}`;
}

/** `<tenant>/<stage>/<name>` → the asset's path under a tenant. */
export function assetPath(key: string): string {
  const [, stage = "", ...name] = key.split("/");
  return `${enc(stage)}/${enc(name.join("/"))}`;
}

export const api = {
  me: () => request<Me>("GET", "/me"),
  signIn: (token: string) => request<Me>("POST", "/session", { token }),
  signOut: () => request<{ ok: boolean }>("DELETE", "/session"),
  tenants: () => request<{ tenants: TenantSummary[] }>("GET", "/tenants"),
  overview: (t: string) => request<Overview>("GET", `/tenants/${enc(t)}/overview`),
  jobs: (t: string) => request<JobsResponse>("GET", `/tenants/${enc(t)}/jobs`),
  lineage: (t: string) => request<Lineage>("GET", `/tenants/${enc(t)}/lineage`),
  asset: (t: string, key: string) =>
    request<AssetDetail>("GET", `/tenants/${enc(t)}/assets/${assetPath(key)}`),
  partitions: (
    t: string,
    q: {
      from?: string;
      to?: string;
      status?: string;
      assets?: string;
      offset?: number;
      limit?: number;
    },
  ) => request<Matrix>("GET", `/tenants/${enc(t)}/partitions${query(q)}`),
  runs: (
    t: string,
    q: {
      job?: string;
      status?: string;
      partition?: string;
      trigger?: string;
      before?: string;
      limit?: number;
    },
  ) => request<RunsResponse>("GET", `/tenants/${enc(t)}/runs${query(q)}`),
  run: (t: string, runId: string) =>
    request<RunDetail>("GET", `/tenants/${enc(t)}/runs/${enc(runId)}`),
  logs: (t: string, runId: string, after: number) =>
    request<RunLogsResponse>(
      "GET",
      `/tenants/${enc(t)}/runs/${enc(runId)}/logs${query({ after })}`,
    ),
  launch: (t: string, body: LaunchRequest) =>
    request<{ runId: string }>("POST", `/tenants/${enc(t)}/runs`, body),
  reexecute: (t: string, runId: string) =>
    request<{ runId: string }>("POST", `/tenants/${enc(t)}/runs/${enc(runId)}/reexecute`),
  backfill: (t: string, body: BackfillRequest) =>
    request<BackfillResponse>("POST", `/tenants/${enc(t)}/backfills`, body),
};
