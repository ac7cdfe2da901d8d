/**
 * Parsing of `${VAR}` / `${VAR:default}` in YAML strings into plan references. References are
 * never resolved here: the generated package reads them at run time.
 */
import type { ConfigValue, EnvRef } from "@etl/runtime/plan";

export type ParsedValue = { ok: true; value: ConfigValue } | { ok: false; message: string };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Parses one YAML scalar into a literal, a reference or a template. */
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
    if (!NAME.test(name)) {
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
  if (parts.length === 0) {
    return { ok: true, value: "" };
  }
  const only = parts[0];
  if (parts.length === 1 && only !== undefined) {
    return { ok: true, value: only };
  }
  return { ok: true, value: { template: parts } };
}
