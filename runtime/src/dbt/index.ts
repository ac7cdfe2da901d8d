/** Running a tenant's dbt project with the real dbt CLI on Trino. */
export * from "./profile.js";
export * from "./results.js";
export * from "./run.js";
export * from "./sources.js";
export * from "./stage.js";
