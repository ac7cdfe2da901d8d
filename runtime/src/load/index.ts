export * from "./batch.js";
export * from "./columns.js";
export * from "./committed.js";
export * from "./ensured.js";
export * from "./load.js";
export * from "./staging.js";
export * from "./target.js";
