export * from "./columns.js";
export * from "./writer.js";
