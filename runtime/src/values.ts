/**
 * Resolution of `${VAR}` references at run time, never at generate time (their syntax is the
 * contract's: runtime/src/contract/envref.ts). A variable that is set wins, even when set to the
 * empty string; an unset one takes its default; an unset one without default is missing.
 */
import type { ConfigValue, EnvRef } from "./plan.js";

export type EnvSource = Readonly<Record<string, string | undefined>>;

export type Resolved = { ok: true; value: string } | { ok: false; missing: string[] };

function resolveRef(ref: EnvRef, env: EnvSource): Resolved {
  const value = env[ref.env];
  if (value !== undefined) {
    return { ok: true, value };
  }
  if (ref.default !== undefined) {
    return { ok: true, value: ref.default };
  }
  return { ok: false, missing: [ref.env] };
}

/** Resolves a config value against an environment; reports every missing variable. */
export function resolveValue(value: ConfigValue, env: EnvSource): Resolved {
  if (typeof value === "string") {
    return { ok: true, value };
  }
  if ("env" in value) {
    return resolveRef(value, env);
  }
  const parts: string[] = [];
  const missing: string[] = [];
  for (const part of value.template) {
    if (typeof part === "string") {
      parts.push(part);
      continue;
    }
    const r = resolveRef(part, env);
    if (r.ok) {
      parts.push(r.value);
    } else {
      missing.push(...r.missing);
    }
  }
  return missing.length > 0 ? { ok: false, missing } : { ok: true, value: parts.join("") };
}
