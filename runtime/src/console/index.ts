/** The web console (`@etl/runtime/console`): `etl-all ui`, and the server for embedding and tests. */
export * from "./auth.js";
export * from "./command.js";
export * from "./dto.js";
export * from "./model.js";
export * from "./server.js";
