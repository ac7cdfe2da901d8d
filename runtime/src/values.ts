/** Resolution of `${VAR}` references at run time, never at generate time. */
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

/** Names of the environment variables a value references. */
export function referencedVars(value: ConfigValue): string[] {
  if (typeof value === "string") {
    return [];
  }
  if ("env" in value) {
    return [value.env];
  }
  return value.template.flatMap((p) => (typeof p === "string" ? [] : [p.env]));
}

/** Describes a value for humans without revealing what the environment holds. */
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
