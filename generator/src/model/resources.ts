/**
 * The tenant's connections (PostgreSQL source, storage, Trino): every string becomes a literal or
 * a `${VAR}` reference, never a resolved value; what can be checked without the environment (a
 * literal port, a base path and the defaults of their references, schema names) is checked here.
 */
import { parseBasePath, parseConfigValue, parsePort } from "@etl/runtime/contract";
import type { ConfigValue, EnvironmentPlan } from "@etl/runtime/plan";
import type { YamlPath } from "../config/yaml-locate.js";
import { type ModelContext, tenantPath } from "./context.js";
import { basePathHint, literalOf } from "./contract-hints.js";
import { checkSourceName, checkTrinoName } from "./translate.js";

export type Resources = EnvironmentPlan["resources"];

/** The resources of the plan, with every problem of their values reported. */
export function buildResources(ctx: ModelContext): Resources {
  const { config } = ctx;
  const value = (path: YamlPath, raw: string): ConfigValue => configValue(ctx, path, raw);

  const db = config.source_database;
  const sourceAt = (key: string) => tenantPath("source_database", key);
  const source = {
    host: value(sourceAt("host"), db.host),
    port: value(sourceAt("port"), db.port),
    database: value(sourceAt("database"), db.database),
    user: value(sourceAt("username"), db.username),
    password: value(sourceAt("password"), db.password),
    schema: value(sourceAt("schema"), db.schema),
  };
  checkPort(ctx, sourceAt("port"), source.port);
  if (typeof source.schema === "string") {
    ctx.checkName(sourceAt("schema"), checkSourceName("source_database.schema", source.schema));
  }

  const storageAt = (key: string) => tenantPath("storage", key);
  const storage = {
    bucket: value(storageAt("bucket"), config.storage.bucket),
    basePath: value(storageAt("base_path"), config.storage.base_path),
  };
  const basePathText = literalOf(storage.basePath);
  const basePath = basePathText === undefined ? null : parseBasePath(basePathText);
  if (basePath !== null && !basePath.ok) {
    ctx.report(storageAt("base_path"), basePath.message, basePathHint(basePath.kind, config.id));
  }

  const target = config.target_database;
  const trinoAt = (key: string) => tenantPath("target_database", key);
  const trino = {
    host: value(trinoAt("trino_host"), target.trino_host),
    port: value(trinoAt("trino_port"), target.trino_port),
    user: value(trinoAt("trino_user"), target.trino_user),
    password: value(trinoAt("trino_password"), target.trino_password),
    httpScheme: value(trinoAt("trino_http_scheme"), target.trino_http_scheme),
    catalog: value(trinoAt("target_catalog"), target.target_catalog),
    schema: value(trinoAt("target_schema"), target.target_schema),
  };
  checkPort(ctx, trinoAt("trino_port"), trino.port);
  if (typeof trino.schema === "string") {
    ctx.checkName(trinoAt("target_schema"), checkTrinoName("target_schema", trino.schema));
  }
  return { source, storage, trino };
}

/** A config string as a literal or reference; a malformed reference is reported and kept as text. */
export function configValue(ctx: ModelContext, path: YamlPath, raw: string): ConfigValue {
  const parsed = parseConfigValue(raw);
  if (!parsed.ok) {
    ctx.report(path, parsed.message, "write $" + "{NAME} or $" + "{NAME:default}");
    return raw;
  }
  return parsed.value;
}

/** A literal port (or a reference's default) must be a TCP port: caught now, not at run time. */
function checkPort(ctx: ModelContext, path: YamlPath, value: ConfigValue): void {
  const literal = literalOf(value);
  const port = literal === undefined ? null : parsePort(literal);
  if (port !== null && !port.ok) {
    ctx.report(path, port.message, "write a number such as 5432");
  }
}
