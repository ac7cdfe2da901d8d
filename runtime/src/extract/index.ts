export * from "./columns.js";
export * from "./extract.js";
export * from "./query.js";
export * from "./watermark.js";
