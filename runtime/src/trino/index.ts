export * from "./client.js";
export * from "./sql.js";
