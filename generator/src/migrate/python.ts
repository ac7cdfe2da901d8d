/**
 * Static reading of the old tenants' Python modules, without running Python: top-level functions
 * (with the `input_dfs` keys they read), imports, and the `CUSTOM_*` assignments the old
 * TenantLoader looked at. It reads what those modules were written as (literal dicts of names and
 * strings); anything computed is reported as unreadable instead of guessed.
 */

/** One lexical token of Python source (comments and layout dropped). */
export interface PyToken {
  kind: "name" | "string" | "number" | "op";
  text: string;
  /** Decoded value of a string literal; null for f-strings (their value is computed). */
  value: string | null;
  line: number;
  col: number;
}

/** A logical line: the tokens of one statement line (brackets may span physical lines). */
export interface PyLine {
  tokens: PyToken[];
  line: number;
  /** Column of its first token: 0 for module-level statements. */
  indent: number;
}

const TWO_CHAR_OPS = new Set([
  "==",
  "!=",
  "<=",
  ">=",
  "+=",
  "-=",
  "*=",
  "/=",
  "%=",
  "&=",
  "|=",
  "^=",
  "->",
  ":=",
  "**",
  "//",
  "<<",
  ">>",
]);
const STRING_PREFIX = /^(?:r|u|b|f|br|rb|fr|rf)$/i;
const NAME_START = /[\p{L}_]/u;
const NAME_PART = /[\p{L}\p{N}_]/u;

/** Splits Python source into logical lines of tokens. */
export function tokenize(source: string): PyLine[] {
  const lines: PyLine[] = [];
  let current: PyToken[] = [];
  let depth = 0;
  let line = 1;
  let lineStart = 0;
  let i = 0;
  const flush = () => {
    const first = current[0];
    if (first !== undefined) {
      lines.push({ tokens: current, line: first.line, indent: first.col });
    }
    current = [];
  };
  const push = (
    kind: PyToken["kind"],
    text: string,
    value: string | null,
    at: number,
    l: number,
  ) => {
    current.push({ kind, text, value, line: l, col: at - lineStart });
  };
  while (i < source.length) {
    const c = source[i] ?? "";
    if (c === "\n") {
      line += 1;
      i += 1;
      lineStart = i;
      if (depth === 0) {
        flush();
      }
      continue;
    }
    if (c === "\\" && source[i + 1] === "\n") {
      // An explicit line continuation joins the next physical line to this logical line.
      i += 2;
      line += 1;
      lineStart = i;
      continue;
    }
    if (c === " " || c === "\t" || c === "\r" || c === "\f") {
      i += 1;
      continue;
    }
    if (c === "#") {
      while (i < source.length && source[i] !== "\n") {
        i += 1;
      }
      continue;
    }
    if (NAME_START.test(c)) {
      const start = i;
      while (i < source.length && NAME_PART.test(source[i] ?? "")) {
        i += 1;
      }
      const word = source.slice(start, i);
      const q = source[i];
      if ((q === '"' || q === "'") && STRING_PREFIX.test(word)) {
        const s = readString(source, i, word.toLowerCase());
        push("string", source.slice(start, s.end), s.value, start, line);
        line += s.newlines;
        if (s.newlines > 0) {
          lineStart = source.lastIndexOf("\n", s.end - 1) + 1;
        }
        i = s.end;
        continue;
      }
      push("name", word, null, start, line);
      continue;
    }
    if (c === '"' || c === "'") {
      const s = readString(source, i, "");
      push("string", source.slice(i, s.end), s.value, i, line);
      line += s.newlines;
      if (s.newlines > 0) {
        lineStart = source.lastIndexOf("\n", s.end - 1) + 1;
      }
      i = s.end;
      continue;
    }
    if (/[0-9]/.test(c)) {
      const start = i;
      while (i < source.length && /[0-9A-Za-z_.]/.test(source[i] ?? "")) {
        i += 1;
      }
      push("number", source.slice(start, i), null, start, line);
      continue;
    }
    const two = source.slice(i, i + 2);
    if (TWO_CHAR_OPS.has(two)) {
      push("op", two, null, i, line);
      i += 2;
      continue;
    }
    if (c === "(" || c === "[" || c === "{") {
      depth += 1;
    } else if ((c === ")" || c === "]" || c === "}") && depth > 0) {
      depth -= 1;
    }
    push("op", c, null, i, line);
    i += 1;
  }
  flush();
  return lines;
}

function readString(
  source: string,
  at: number,
  prefix: string,
): { end: number; value: string | null; newlines: number } {
  const quote = source[at] ?? '"';
  const triple = source.slice(at, at + 3) === quote.repeat(3);
  const close = triple ? quote.repeat(3) : quote;
  const raw = prefix.includes("r");
  let i = at + close.length;
  let value = "";
  let newlines = 0;
  while (i < source.length) {
    const c = source[i] ?? "";
    if (source.startsWith(close, i)) {
      i += close.length;
      break;
    }
    if (c === "\n") {
      newlines += 1;
      if (!triple) {
        // An unterminated single-quoted string: Python refuses it; stop at the line end.
        break;
      }
    }
    if (c === "\\" && i + 1 < source.length) {
      const next = source[i + 1] ?? "";
      if (next === "\n") {
        newlines += 1;
      }
      value += raw ? c + next : unescapeChar(next);
      i += 2;
      continue;
    }
    value += c;
    i += 1;
  }
  return { end: i, value: prefix.includes("f") ? null : value, newlines };
}

function unescapeChar(c: string): string {
  switch (c) {
    case "n":
      return "\n";
    case "t":
      return "\t";
    case "r":
      return "\r";
    case "\n":
      return "";
    case "\\":
    case "'":
    case '"':
      return c;
    default:
      // Python keeps unknown escapes (e.g. "\d") as written.
      return `\\${c}`;
  }
}

/** A value the old loader could have read from a module variable. */
export type PyValue =
  | { kind: "none" }
  | { kind: "name"; path: string[] }
  | { kind: "string"; value: string }
  | { kind: "dict"; entries: PyDictEntry[]; unreadable: string[] }
  | { kind: "other"; text: string };

export interface PyDictEntry {
  key: string;
  value: PyValue;
  line: number;
}

export interface PyFunction {
  name: string;
  line: number;
  params: string[];
  /** Keys read from the first parameter (`input_dfs["lot_history"]`, `.get("x")`), in order. */
  reads: string[];
}

export interface PyImport {
  /** The module as written, relative dots included (`.assets.transfer`, `etl.common.assets`). */
  module: string;
  /** The imported name for `from m import name`; null for `import m [as alias]`. */
  name: string | null;
  /** The name it is bound to in this module. */
  alias: string;
  line: number;
}

export interface PyAssignment {
  value: PyValue;
  line: number;
}

export interface PyModule {
  functions: PyFunction[];
  imports: PyImport[];
  /** Module-level variables as the last assignment (and item assignments) left them. */
  assignments: Map<string, PyAssignment>;
  /** Statements touching one of `watched` that this reader cannot follow. */
  unreadable: { name: string; line: number; text: string }[];
}

/** Reads one module; `watched` are the variable names whose every use must be understood. */
export function readPythonModule(source: string, watched: readonly string[]): PyModule {
  const lines = tokenize(source);
  const module: PyModule = { functions: [], imports: [], assignments: new Map(), unreadable: [] };
  for (const [index, logical] of lines.entries()) {
    const t = logical.tokens;
    const first = t[0];
    if (first === undefined) {
      continue;
    }
    const handled = logical.indent === 0 && readStatement(logical, lines, index, module);
    if (!handled) {
      for (const name of watched) {
        if (t.some((tok) => tok.kind === "name" && tok.text === name)) {
          module.unreadable.push({ name, line: logical.line, text: textOf(t) });
        }
      }
    }
  }
  return module;
}

function readStatement(
  logical: PyLine,
  lines: readonly PyLine[],
  index: number,
  module: PyModule,
): boolean {
  const t = logical.tokens;
  const head = t[0]?.text;
  if (head === "def" || (head === "async" && t[1]?.text === "def")) {
    const at = head === "def" ? 1 : 2;
    const name = t[at];
    if (name === undefined || name.kind !== "name") {
      return false;
    }
    const params = paramsOf(t, at + 1);
    const body: PyToken[] = [...t];
    for (const next of lines.slice(index + 1)) {
      if (next.indent === 0) {
        break;
      }
      body.push(...next.tokens);
    }
    const firstParam = params[0];
    module.functions.push({
      name: name.text,
      line: name.line,
      params,
      reads: firstParam === undefined ? [] : readsOf(body, firstParam),
    });
    return true;
  }
  if (head === "import") {
    for (const part of splitTop(t.slice(1), ",")) {
      const asAt = part.findIndex((tok) => tok.text === "as");
      const dotted = textOf(asAt === -1 ? part : part.slice(0, asAt)).replace(/\s+/g, "");
      const alias = asAt === -1 ? (dotted.split(".")[0] ?? dotted) : (part[asAt + 1]?.text ?? "");
      module.imports.push({ module: dotted, name: null, alias, line: logical.line });
    }
    return true;
  }
  if (head === "from") {
    const importAt = t.findIndex((tok) => tok.text === "import");
    if (importAt === -1) {
      return false;
    }
    const from = textOf(t.slice(1, importAt)).replace(/\s+/g, "");
    const names = t.slice(importAt + 1).filter((tok) => tok.text !== "(" && tok.text !== ")");
    for (const part of splitTop(names, ",")) {
      const name = part[0]?.text;
      if (name === undefined) {
        continue;
      }
      const alias = part[1]?.text === "as" ? (part[2]?.text ?? name) : name;
      module.imports.push({ module: from, name, alias, line: logical.line });
    }
    return true;
  }
  const target = t[0];
  if (target?.kind !== "name") {
    return false;
  }
  // NAME = value  |  NAME: annotation = value
  let eq = 1;
  if (t[1]?.text === ":") {
    eq = t.findIndex((tok, i) => i > 1 && tok.text === "=");
  }
  if (eq > 0 && t[eq]?.text === "=" && !t.slice(eq + 1).some((tok) => tok.text === "=")) {
    const parsed = parseValue(t, eq + 1);
    if (parsed.end === t.length) {
      module.assignments.set(target.text, { value: parsed.value, line: logical.line });
      return true;
    }
    module.assignments.set(target.text, {
      value: { kind: "other", text: textOf(t.slice(eq + 1)) },
      line: logical.line,
    });
    return true;
  }
  // NAME["key"] = value: one entry of a dict assigned before.
  if (t[1]?.text === "[" && t[2]?.kind === "string" && t[3]?.text === "]" && t[4]?.text === "=") {
    const key = t[2].value;
    const before = module.assignments.get(target.text);
    const parsed = parseValue(t, 5);
    if (key === null || before?.value.kind !== "dict" || parsed.end !== t.length) {
      return false;
    }
    const entries = before.value.entries.filter((e) => e.key !== key);
    entries.push({ key, value: parsed.value, line: logical.line });
    module.assignments.set(target.text, {
      value: { ...before.value, entries },
      line: before.line,
    });
    return true;
  }
  return false;
}

/** Parameter names of `def f(a, b: int = 1, *args, **kw)` starting at the `(`. */
function paramsOf(t: readonly PyToken[], open: number): string[] {
  if (t[open]?.text !== "(") {
    return [];
  }
  let depth = 0;
  let close = t.length;
  for (let i = open; i < t.length; i++) {
    const text = t[i]?.text;
    if (text === "(" || text === "[" || text === "{") depth += 1;
    if (text === ")" || text === "]" || text === "}") depth -= 1;
    if (depth === 0) {
      close = i;
      break;
    }
  }
  const out: string[] = [];
  for (const part of splitTop(t.slice(open + 1, close), ",")) {
    const name = part.find((tok) => tok.kind === "name");
    if (name !== undefined && part[0]?.text !== "*" && part[0]?.text !== "**") {
      out.push(name.text);
    }
  }
  return out;
}

/** Keys read from `param`: `param["k"]`, `param['k']`, `param.get("k")`, `"k" in param`. */
function readsOf(body: readonly PyToken[], param: string): string[] {
  const keys: string[] = [];
  const add = (key: string | null) => {
    if (key !== null && !keys.includes(key)) {
      keys.push(key);
    }
  };
  for (let i = 0; i < body.length; i++) {
    const tok = body[i];
    if (tok?.kind !== "name" || tok.text !== param) {
      continue;
    }
    const next = body[i + 1];
    if (next?.text === "[" && body[i + 2]?.kind === "string" && body[i + 3]?.text === "]") {
      add(body[i + 2]?.value ?? null);
    } else if (
      next?.text === "." &&
      body[i + 2]?.text === "get" &&
      body[i + 3]?.text === "(" &&
      body[i + 4]?.kind === "string"
    ) {
      add(body[i + 4]?.value ?? null);
    }
  }
  return keys;
}

/** Splits tokens on a separator at bracket depth 0, dropping empty parts. */
function splitTop(t: readonly PyToken[], sep: string): PyToken[][] {
  const parts: PyToken[][] = [];
  let part: PyToken[] = [];
  let depth = 0;
  for (const tok of t) {
    if (tok.text === "(" || tok.text === "[" || tok.text === "{") depth += 1;
    if (tok.text === ")" || tok.text === "]" || tok.text === "}") depth -= 1;
    if (depth === 0 && tok.text === sep) {
      if (part.length > 0) parts.push(part);
      part = [];
      continue;
    }
    part.push(tok);
  }
  if (part.length > 0) parts.push(part);
  return parts;
}

function textOf(t: readonly PyToken[]): string {
  return t.map((tok) => tok.text).join(" ");
}

/** Parses a value starting at `at`; `end` is the index after it. */
function parseValue(t: readonly PyToken[], at: number): { value: PyValue; end: number } {
  const tok = t[at];
  if (tok === undefined) {
    return { value: { kind: "other", text: "" }, end: at };
  }
  if (tok.kind === "name" && tok.text === "None") {
    return { value: { kind: "none" }, end: at + 1 };
  }
  if (tok.kind === "string") {
    let i = at;
    let value: string | null = "";
    while (t[i]?.kind === "string") {
      const v = t[i]?.value ?? null;
      value = value === null || v === null ? null : value + v;
      i += 1;
    }
    if (value === null) {
      return { value: { kind: "other", text: textOf(t.slice(at, i)) }, end: i };
    }
    return { value: { kind: "string", value }, end: i };
  }
  if (tok.kind === "name") {
    const path = [tok.text];
    let i = at + 1;
    while (t[i]?.text === "." && t[i + 1]?.kind === "name") {
      path.push(t[i + 1]?.text ?? "");
      i += 2;
    }
    const after = t[i]?.text;
    if (after === undefined || after === "," || after === "}" || after === ")") {
      return { value: { kind: "name", path }, end: i };
    }
  }
  if (tok.text === "{") {
    return parseDict(t, at);
  }
  const end = skipValue(t, at);
  return { value: { kind: "other", text: textOf(t.slice(at, end)) }, end };
}

function parseDict(t: readonly PyToken[], open: number): { value: PyValue; end: number } {
  const entries: PyDictEntry[] = [];
  const unreadable: string[] = [];
  let i = open + 1;
  while (i < t.length && t[i]?.text !== "}") {
    const key = t[i];
    if (key?.kind === "string" && key.value !== null && t[i + 1]?.text === ":") {
      const parsed = parseValue(t, i + 2);
      entries.push({ key: key.value, value: parsed.value, line: key.line });
      i = parsed.end;
    } else {
      const end = skipValue(t, i);
      unreadable.push(textOf(t.slice(i, end)));
      i = end;
    }
    if (t[i]?.text === ",") {
      i += 1;
    } else if (t[i]?.text !== "}") {
      const end = skipValue(t, i);
      unreadable.push(textOf(t.slice(i, end)));
      i = end;
      if (t[i]?.text === ",") i += 1;
    }
  }
  return { value: { kind: "dict", entries, unreadable }, end: i + 1 };
}

/** Index after the value starting at `at`: up to a `,` or closing bracket at its own depth. */
function skipValue(t: readonly PyToken[], at: number): number {
  let depth = 0;
  for (let i = at; i < t.length; i++) {
    const text = t[i]?.text;
    if (depth === 0 && (text === "," || text === "}" || text === ")" || text === "]")) {
      return i;
    }
    if (text === "(" || text === "[" || text === "{") depth += 1;
    if (text === ")" || text === "]" || text === "}") depth -= 1;
  }
  return t.length;
}
