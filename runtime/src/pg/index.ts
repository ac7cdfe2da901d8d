export * from "./copy-binary.js";
export * from "./copy-out.js";
export * from "./describe.js";
export * from "./introspect.js";
export * from "./sql.js";
