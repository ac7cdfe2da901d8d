export * from "./logger.js";
export * from "./plan.js";
export * from "./types/pg.js";
export * from "./values.js";
