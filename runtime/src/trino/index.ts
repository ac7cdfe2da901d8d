export * from "./client.js";
export * from "./ensure.js";
export * from "./sql.js";
