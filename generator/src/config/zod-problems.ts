/** Turns zod issues into problems a person can act on (position, expectation, suggestion). */
import { z } from "zod";
import { type Problem, suggest } from "../problems.js";
import { REMOVED_KEYS } from "./schema.js";
import type { Position, YamlPath } from "./yaml-locate.js";

export type Locator = (path: YamlPath, key?: boolean) => Position;

/** Unwraps optional/default/nullable/pipe wrappers down to the schema that holds the shape. */
function unwrap(schema: z.ZodType): z.ZodType {
  let s: z.ZodType = schema;
  for (let i = 0; i < 20; i++) {
    if (s instanceof z.ZodOptional || s instanceof z.ZodNullable || s instanceof z.ZodDefault) {
      s = s.unwrap() as z.ZodType;
    } else if (s instanceof z.ZodPipe) {
      s = s.in as z.ZodType;
    } else {
      return s;
    }
  }
  return s;
}

/** The object schemas that may sit at `path` (several for unions). */
function objectsAt(root: z.ZodType, path: YamlPath): z.ZodObject[] {
  let current: z.ZodType[] = [root];
  for (const seg of path) {
    const next: z.ZodType[] = [];
    for (const c of current.map(unwrap)) {
      if (c instanceof z.ZodObject) {
        const child = (c.shape as Record<string, z.ZodType>)[String(seg)];
        if (child !== undefined) {
          next.push(child);
        }
      } else if (c instanceof z.ZodRecord) {
        next.push(c.valueType as z.ZodType);
      } else if (c instanceof z.ZodArray) {
        next.push(c.element as z.ZodType);
      } else if (c instanceof z.ZodUnion) {
        for (const o of c.options as z.ZodType[]) {
          const u = unwrap(o);
          if (u instanceof z.ZodObject) {
            const child = (u.shape as Record<string, z.ZodType>)[String(seg)];
            if (child !== undefined) {
              next.push(child);
            }
          }
        }
      }
    }
    current = next;
  }
  const out: z.ZodObject[] = [];
  for (const c of current.map(unwrap)) {
    if (c instanceof z.ZodObject) {
      out.push(c);
    } else if (c instanceof z.ZodUnion) {
      for (const o of c.options as z.ZodType[]) {
        const u = unwrap(o);
        if (u instanceof z.ZodObject) {
          out.push(u);
        }
      }
    }
  }
  return out;
}

/** Keys allowed at `path` by the schema. */
export function knownKeys(root: z.ZodType, path: YamlPath): string[] {
  const keys = new Set<string>(enumRecordKeys(root, path));
  for (const o of objectsAt(root, path)) {
    for (const k of Object.keys(o.shape as Record<string, unknown>)) {
      keys.add(k);
    }
  }
  return [...keys].sort();
}

/** Allowed keys of a record keyed by an enum (e.g. environments: dev, staging, prod). */
function enumRecordKeys(root: z.ZodType, path: YamlPath): string[] {
  if (path.length === 0) {
    return [];
  }
  const parentObjects = objectsAt(root, path.slice(0, -1));
  const last = String(path[path.length - 1]);
  const out: string[] = [];
  for (const o of parentObjects) {
    const child = (o.shape as Record<string, z.ZodType>)[last];
    const rec = child === undefined ? undefined : unwrap(child);
    if (rec instanceof z.ZodRecord && rec.keyType instanceof z.ZodEnum) {
      out.push(...(rec.keyType.options as string[]));
    }
  }
  return out;
}

function describeInput(input: unknown): string {
  if (input === null) {
    return "null";
  }
  if (Array.isArray(input)) {
    return "a list";
  }
  switch (typeof input) {
    case "string":
      return `the string ${JSON.stringify(input)}`;
    case "number":
    case "boolean":
      return `${typeof input} ${String(input)}`;
    case "object":
      return "a mapping";
    default:
      return typeof input;
  }
}

const EXPECTED_WORDS: Readonly<Record<string, string>> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "true or false",
  object: "a mapping (key: value lines)",
  array: "a list",
  record: "a mapping (key: value lines)",
};

function joinPath(path: YamlPath): string {
  return path.map(String).join(".");
}

/** Converts every zod issue of one file into problems. */
export function zodProblems(
  root: z.ZodType,
  file: string,
  issues: readonly z.core.$ZodIssue[],
  locate: Locator,
): Problem[] {
  const out: Problem[] = [];
  for (const issue of issues) {
    const path = issue.path.map((p) => (typeof p === "symbol" ? String(p) : p));
    const at = (p: YamlPath, key = false) => ({ file, ...locate(p, key), path: joinPath(p) });
    switch (issue.code) {
      case "unrecognized_keys": {
        const known = knownKeys(root, path);
        for (const k of issue.keys) {
          const removed = REMOVED_KEYS[k];
          const guess = suggest(k, known);
          out.push({
            ...at([...path, k], true),
            message: `unknown key "${k}"; expected one of: ${known.join(", ")}`,
            hint:
              removed ??
              (guess === undefined ? `remove "${k}"` : `did you mean "${guess}"? rename the key`),
          });
        }
        break;
      }
      case "invalid_type": {
        const expected = EXPECTED_WORDS[issue.expected] ?? issue.expected;
        if (issue.input === undefined) {
          const last = path[path.length - 1];
          out.push({
            ...at(path.slice(0, -1)),
            path: joinPath(path),
            message: `missing required key "${String(last)}" (${expected})`,
            hint: `add ${String(last)}: under ${joinPath(path.slice(0, -1)) || "the top level"}`,
          });
        } else {
          out.push({
            ...at(path),
            message: `expected ${expected}, got ${describeInput(issue.input)}`,
            hint: hintForType(issue.expected, issue.input),
          });
        }
        break;
      }
      case "invalid_value": {
        const allowed = issue.values.map((v) => JSON.stringify(v));
        const guess =
          typeof issue.input === "string"
            ? suggest(
                issue.input,
                issue.values.map((v) => String(v)),
              )
            : undefined;
        out.push({
          ...at(path),
          message: `expected ${allowed.length === 1 ? allowed[0] : `one of ${allowed.join(", ")}`}, got ${describeInput(issue.input)}`,
          hint:
            guess === undefined ? `use one of ${allowed.join(", ")}` : `did you mean "${guess}"?`,
        });
        break;
      }
      case "invalid_union": {
        if (issue.input === undefined) {
          const last = path[path.length - 1];
          out.push({
            ...at(path.slice(0, -1)),
            path: joinPath(path),
            message: `missing required key "${String(last)}"`,
            hint: `add ${String(last)}: under ${joinPath(path.slice(0, -1)) || "the top level"}`,
          });
          break;
        }
        const disc = "note" in issue && issue.note === "No matching discriminator";
        const keys = knownKeys(root, path);
        const typePath = path[path.length - 1] === "type" ? path : [...path, "type"];
        out.push({
          ...at(disc ? typePath : path),
          path: joinPath(disc ? typePath : path),
          message: disc
            ? `unknown or missing check type, got ${describeInput(typeof issue.input === "object" && issue.input !== null && "type" in issue.input ? issue.input.type : issue.input)}`
            : `got ${describeInput(issue.input)}, which matches none of the accepted forms`,
          hint: disc
            ? "use type: not_null | unique | accepted_values | range | regex | row_count"
            : `see docs/config-reference.md for ${joinPath(path)}${keys.length > 0 ? ` (keys: ${keys.join(", ")})` : ""}`,
        });
        break;
      }
      case "too_small": {
        const what =
          issue.origin === "array"
            ? `a list with at least ${String(issue.minimum)} item${issue.minimum === 1 ? "" : "s"}`
            : issue.origin === "string"
              ? `a string of at least ${String(issue.minimum)} characters`
              : `a value ${issue.inclusive ? ">=" : ">"} ${String(issue.minimum)}`;
        out.push({ ...at(path), message: `expected ${what}`, hint: "fix the value" });
        break;
      }
      case "too_big": {
        out.push({
          ...at(path),
          message: `expected a value ${issue.inclusive ? "<=" : "<"} ${String(issue.maximum)}`,
          hint: "fix the value",
        });
        break;
      }
      case "invalid_key": {
        const known = knownKeys(root, path);
        out.push({
          ...at(path, true),
          message: `invalid key: ${issue.issues.map((i) => i.message).join("; ")}`,
          hint: known.length > 0 ? `use one of ${known.join(", ")}` : "fix the key",
        });
        break;
      }
      default: {
        out.push({ ...at(path), message: issue.message, hint: "fix the value" });
      }
    }
  }
  return out;
}

function hintForType(expected: string, input: unknown): string {
  if (expected === "boolean" && typeof input === "string") {
    return `write true or false without quotes`;
  }
  if ((expected === "number" || expected === "int") && typeof input === "string") {
    return "write the number without quotes";
  }
  if (expected === "array") {
    return 'write a YAML list, e.g. ["a", "b"]';
  }
  if (expected === "object" || expected === "record") {
    return "indent the keys under this one";
  }
  return `write ${EXPECTED_WORDS[expected] ?? expected}`;
}
