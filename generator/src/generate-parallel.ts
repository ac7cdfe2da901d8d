/**
 * `generate` on worker threads: tenants compile independently (reading a dbt manifest and its
 * garbage dominate), so with many tenants the main thread and `workers` worker threads take the
 * next tenant from one shared counter until none is left. The result is assembled in tenant
 * order, so it is byte-identical to the single-threaded `generate`.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { selectTenants } from "./config/load.js";
import {
  assemble,
  type CompiledTenant,
  compileTenant,
  type GenerateOptions,
  type GenerateResult,
} from "./generate.js";
import { type WorkerInput, WorkerMessageSchema } from "./generate-worker-protocol.js";

/** Below this many tenants a worker's start-up (~0.3 s) costs more than it saves. */
export const PARALLEL_MIN_TENANTS = 8;

/**
 * Extra worker threads for `tenants` tenants: ETL_GENERATE_WORKERS when set (0 = none), else one
 * per spare core (at most 7) when there are at least PARALLEL_MIN_TENANTS tenants.
 */
export function workerCount(tenants: number, env: NodeJS.ProcessEnv = process.env): number {
  const forced = env.ETL_GENERATE_WORKERS;
  if (forced !== undefined && forced !== "") {
    const n = Number(forced);
    if (!Number.isInteger(n) || n < 0) {
      throw new Error(`ETL_GENERATE_WORKERS must be a whole number >= 0, got "${forced}"`);
    }
    return Math.min(n, Math.max(0, tenants - 1));
  }
  if (tenants < PARALLEL_MIN_TENANTS) {
    return 0;
  }
  return Math.min(availableParallelism() - 1, 7, tenants - 1);
}

/**
 * A worker running generate-worker: the compiled JS next to this file, or, when this file runs
 * from its TypeScript source under tsx, the .ts worker after registering tsx in the worker (a
 * worker thread does not inherit the main thread's tsx loader).
 */
function startWorker(input: WorkerInput): Worker {
  if (!import.meta.url.endsWith(".ts")) {
    return new Worker(new URL("./generate-worker.js", import.meta.url), { workerData: input });
  }
  const worker = new URL("./generate-worker.ts", import.meta.url).href;
  const tsx = import.meta.resolve("tsx/esm/api");
  const boot = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(worker)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), {
    workerData: input,
  });
}

/**
 * `generate` with `workers` extra threads (default: workerCount of the tenants to compile). With a
 * `reuse` lookup (the incremental cache, incremental.ts), a tenant it returns is taken as it is and
 * only the others are compiled; the result is assembled over all of them in tenant order.
 */
export async function generateParallel(
  options: GenerateOptions,
  workers?: number,
  reuse?: (dir: string) => CompiledTenant | null,
): Promise<GenerateResult> {
  const selected = selectTenants(options.root, options.tenants);
  const reused = selected.dirs.map((dir) => reuse?.(dir) ?? null);
  const dirs = selected.dirs.filter((_, i) => reused[i] === null);
  const compiled = await compileAll(options.root, dirs, workers ?? workerCount(dirs.length));
  const byDir = new Map(compiled.map((c) => [c.dir, c]));
  const all = selected.dirs.map((dir, i) => reused[i] ?? byDir.get(dir));
  const missing = selected.dirs.filter((_, i) => all[i] === undefined);
  if (missing.length > 0) {
    throw new Error(`internal: no thread compiled tenant(s) ${missing.join(", ")}`);
  }
  return assemble(options, selected.problems, all as CompiledTenant[]);
}

/** Compiles `dirs` on this thread and `threads` worker threads; results in `dirs` order. */
async function compileAll(
  root: string,
  dirs: readonly string[],
  threads: number,
): Promise<CompiledTenant[]> {
  if (threads === 0) {
    return dirs.map((dir) => compileTenant(root, dir));
  }
  const next = new Int32Array(new SharedArrayBuffer(4));
  const compiled: (CompiledTenant | undefined)[] = new Array(dirs.length);
  const input: WorkerInput = { root, dirs: [...dirs], next };
  const running = Array.from({ length: threads }, (_, n) => runWorker(n, input, compiled));
  // The main thread takes tenants too; workers' messages queue until it is done.
  for (let i = Atomics.add(next, 0, 1); i < dirs.length; i = Atomics.add(next, 0, 1)) {
    const dir = dirs[i];
    if (dir !== undefined) {
      compiled[i] = compileTenant(root, dir);
    }
  }
  await Promise.all(running);
  return compiled.filter((c): c is CompiledTenant => c !== undefined);
}

function runWorker(
  n: number,
  input: WorkerInput,
  compiled: (CompiledTenant | undefined)[],
): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = startWorker(input);
    let done = false;
    worker.on("message", (raw: unknown) => {
      const msg = WorkerMessageSchema.safeParse(raw);
      if (!msg.success) {
        reject(new Error(`generator worker ${n} sent an unexpected message`));
        return;
      }
      if (msg.data.kind === "done") {
        done = true;
        return;
      }
      compiled[msg.data.index] = msg.data.tenant;
    });
    worker.on("error", (error) => {
      reject(new Error(`generator worker ${n} failed: ${error.message}`, { cause: error }));
    });
    worker.on("exit", (code) => {
      if (done && code === 0) {
        resolve();
      } else {
        reject(new Error(`generator worker ${n} exited with code ${code} before finishing`));
      }
    });
  });
}
