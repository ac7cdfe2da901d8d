/** Transfer stage: the transform contract (types.ts, also exported on its own) and runTransfer. */
export * from "./rows.js";
export * from "./run.js";
