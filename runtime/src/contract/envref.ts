/**
 * `${VAR}` and `${VAR:default}` references in configuration strings. The generator parses every
 * connection value of a tenant's YAML into a literal, a reference or a template of both, and never
 * resolves it; the runtime resolves the references when the package runs (`values.ts`).
 *
 * Syntax: `${` opens a reference and the next `}` closes it; the name before the first `:` matches
 * ENV_VAR_NAME, and what follows that `:` (possibly nothing, possibly more `:`) is the default. A
 * `$` not followed by `{` is literal text. There is no escape for a literal `${`.
 */
import type { ConfigValue, EnvRef } from "../plan.js";

/** Names a reference may use. */
export const ENV_VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export type ParsedValue = { ok: true; value: ConfigValue } | { ok: false; message: string };

/** Parses one configuration string into a literal, a reference or a template. */
export function parseConfigValue(raw: string): ParsedValue {
  const parts: (string | EnvRef)[] = [];
  let i = 0;
  let literal = "";
  while (i < raw.length) {
    const start = raw.indexOf("${", i);
    if (start === -1) {
      literal += raw.slice(i);
      break;
    }
    literal += raw.slice(i, start);
    const end = raw.indexOf("}", start);
    if (end === -1) {
      return {
        ok: false,
        message: `unterminated "\${" in "${raw}": write \${NAME} or \${NAME:default}`,
      };
    }
    const body = raw.slice(start + 2, end);
    const colon = body.indexOf(":");
    const name = colon === -1 ? body : body.slice(0, colon);
    if (!ENV_VAR_NAME.test(name)) {
      return {
        ok: false,
        message: `"\${${body}}" is not a valid environment reference: variable names match [A-Za-z_][A-Za-z0-9_]*`,
      };
    }
    if (literal !== "") {
      parts.push(literal);
      literal = "";
    }
    parts.push(colon === -1 ? { env: name } : { env: name, default: body.slice(colon + 1) });
    i = end + 1;
  }
  if (literal !== "") {
    parts.push(literal);
  }
  const only = parts[0];
  if (only === undefined) {
    return { ok: true, value: "" };
  }
  if (parts.length === 1) {
    return { ok: true, value: only };
  }
  return { ok: true, value: { template: parts } };
}

/** Names of the environment variables a value references, in order of appearance. */
export function referencedVars(value: ConfigValue): string[] {
  if (typeof value === "string") {
    return [];
  }
  if ("env" in value) {
    return [value.env];
  }
  return value.template.flatMap((p) => (typeof p === "string" ? [] : [p.env]));
}

/** The value written back as configuration text (what parseConfigValue read), never resolved. */
export function describeValue(value: ConfigValue): string {
  if (typeof value === "string") {
    return value;
  }
  const ref = (r: EnvRef) =>
    r.default === undefined ? `\${${r.env}}` : `\${${r.env}:${r.default}}`;
  if ("env" in value) {
    return ref(value);
  }
  return value.template.map((p) => (typeof p === "string" ? p : ref(p))).join("");
}
