/**
 * The rules the generator and the runtime both apply (`@etl/runtime/contract`), next to the plan
 * contract: each lives here once and both sides import it, so a config the generator accepts is
 * one the runtime runs as the generator meant it.
 */

// The generated Argo templates retry as the executor does (retry/index.ts owns the policy).
export { DEFAULT_RETRY, type RetryPolicy } from "../retry/index.js";
export * from "./asset-key.js";
export * from "./base-path.js";
export * from "./calendar.js";
export * from "./cron.js";
export * from "./duration.js";
export * from "./envref.js";
export * from "./glob.js";
export * from "./naming.js";
export * from "./port.js";
export * from "./tenancy.js";
export * from "./zone.js";
