export * from "./cli/index.js";
export * from "./logger.js";
export * from "./plan.js";
export * from "./resources.js";
export * from "./transfer/types.js";
export * from "./types/pg.js";
export * from "./values.js";
