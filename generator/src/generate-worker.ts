/** A worker thread of `generateParallel`: compiles tenants until the shared counter runs out. */
import { parentPort, workerData } from "node:worker_threads";
import { compileTenant } from "./generate.js";
import { WorkerInputSchema, type WorkerMessage } from "./generate-worker-protocol.js";

const port = parentPort;
if (port === null) {
  throw new Error("generate-worker.ts runs only as a worker thread of generateParallel");
}
const input = WorkerInputSchema.parse(workerData);
const send = (m: WorkerMessage) => port.postMessage(m);
for (
  let i = Atomics.add(input.next, 0, 1);
  i < input.dirs.length;
  i = Atomics.add(input.next, 0, 1)
) {
  const dir = input.dirs[i];
  if (dir !== undefined) {
    send({ kind: "tenant", index: i, tenant: compileTenant(input.root, dir) });
  }
}
send({ kind: "done" });
