/** dbt support of the generator: manifest reading and the dbt assets of a tenant. */
export * from "./assets.js";
export * from "./manifest.js";
