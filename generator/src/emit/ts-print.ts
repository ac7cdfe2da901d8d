/**
 * A small printer for the TypeScript the emitters produce: import/export declarations,
 * interfaces, type aliases and `const` statements, each with its JSDoc. It writes the final layout
 * directly (two-space indent, double quotes, semicolons, ts-morph's blank-line rules between
 * statements), so no source file, AST or formatter pass is needed: the TypeScript compiler that
 * ts-morph loads cost about a second at start-up and ts-morph's formatting most of the generation
 * time. test/ts-print.test.ts checks that every emitted file is a fixpoint of the TypeScript
 * language service's formatter (with the settings that test names), so the layout stays the
 * formatter's.
 */

/** Statement kinds; the kind decides the blank lines around a statement. */
export type StatementKind =
  | "import"
  | "export"
  | "exportAssignment"
  | "interface"
  | "typeAlias"
  | "variable"
  | "text";

/** One top-level statement, printed (docs included, no final newline). */
export interface Statement {
  kind: StatementKind;
  text: string;
}

/**
 * Whether `next` follows `prev` on the next line (true) or after a blank line (false): statements
 * of one kind stay together, interfaces always stand apart, raw statement text never adds one.
 */
function tight(prev: StatementKind, next: StatementKind): boolean {
  switch (next) {
    case "text":
      return true;
    case "interface":
      return false;
    default:
      return prev === next;
  }
}

/** The body of a file: statements joined by ts-morph's blank-line rules, no final newline. */
export function printStatements(statements: readonly Statement[]): string {
  let out = "";
  let prev: StatementKind | null = null;
  for (const s of statements) {
    if (prev !== null) {
      out += tight(prev, s.kind) ? "\n" : "\n\n";
    }
    out += s.text;
    prev = s.kind;
  }
  return out;
}

/**
 * A JSDoc block at `indent` followed by a newline: `/** text *\/` for one line, a starred block for
 * several (a leading empty line is dropped, empty lines keep a bare star). Every line terminator
 * JavaScript knows starts a starred line, and a star-slash in the text gets a backslash between.
 */
export function jsDoc(text: string, indent = ""): string {
  // A "*/" inside the text (an enum label, a type name from a snapshot) would end the comment and
  // turn the rest into code; "*\/" reads the same and cannot.
  const lines = text.replace(/\*\//g, "*\\/").split(/\r\n|[\n\r\u2028\u2029]/);
  if (lines.length <= 1) {
    const open = `${indent}/** ${lines[0] ?? ""}`;
    return `${open}${open.endsWith(" ") ? "" : " "}*/\n`;
  }
  const start = lines[0] === "" ? 1 : 0;
  let out = `${indent}/**\n`;
  for (let i = start; i < lines.length; i++) {
    const line = lines[i] ?? "";
    out += line.length > 0 ? `${indent} * ${line}\n` : `${indent} *\n`;
  }
  return `${out}${indent} */\n`;
}

function docsOf(docs: readonly string[] | undefined, indent = ""): string {
  return docs === undefined ? "" : docs.map((d) => jsDoc(d, indent)).join("");
}

/** A named import, possibly renamed. */
export type NamedImport = string | { name: string; alias: string };

/** `import [type] { a, b as c } from "m";` or `import * as ns from "m";`. */
export function importDecl(opts: {
  typeOnly?: boolean;
  named?: readonly NamedImport[];
  namespace?: string;
  module: string;
}): Statement {
  const type = opts.typeOnly === true ? "type " : "";
  const what =
    opts.namespace !== undefined
      ? `* as ${opts.namespace}`
      : `{ ${(opts.named ?? [])
          .map((n) => (typeof n === "string" ? n : `${n.name} as ${n.alias}`))
          .join(", ")} }`;
  return { kind: "import", text: `import ${type}${what} from ${JSON.stringify(opts.module)};` };
}

/** `export [type] { a } from "m";`, or `export type * from "m";` without names. */
export function exportDecl(opts: {
  typeOnly?: boolean;
  named?: readonly string[];
  module: string;
}): Statement {
  const type = opts.typeOnly === true ? "type " : "";
  const what = opts.named === undefined ? "*" : `{ ${opts.named.join(", ")} }`;
  return { kind: "export", text: `export ${type}${what} from ${JSON.stringify(opts.module)};` };
}

/** `export default <expression>;` */
export function exportDefault(expression: string): Statement {
  return { kind: "exportAssignment", text: `export default ${expression};` };
}

/** One property of an interface. */
export interface PropertySignature {
  name: string;
  type: string;
  readonly?: boolean;
  docs?: readonly string[];
}

/** `export interface Name { ... }` with one property per line. */
export function interfaceDecl(opts: {
  exported?: boolean;
  name: string;
  docs?: readonly string[];
  properties: readonly PropertySignature[];
}): Statement {
  let text = `${docsOf(opts.docs)}${opts.exported === true ? "export " : ""}interface ${opts.name} {\n`;
  for (const p of opts.properties) {
    text += `${docsOf(p.docs, "  ")}  ${p.readonly === true ? "readonly " : ""}${p.name}: ${p.type};\n`;
  }
  return { kind: "interface", text: `${text}}` };
}

/** `export type Name = Type;` */
export function typeAlias(opts: {
  exported?: boolean;
  name: string;
  type: string;
  docs?: readonly string[];
}): Statement {
  return {
    kind: "typeAlias",
    text: `${docsOf(opts.docs)}${opts.exported === true ? "export " : ""}type ${opts.name} = ${opts.type};`,
  };
}

/** `export const name: Type = initializer;` (the initializer already laid out at indent 0). */
export function constDecl(opts: {
  exported?: boolean;
  name: string;
  type?: string;
  initializer: string;
  docs?: readonly string[];
}): Statement {
  const type = opts.type === undefined ? "" : `: ${opts.type}`;
  return {
    kind: "variable",
    text: `${docsOf(opts.docs)}${opts.exported === true ? "export " : ""}const ${opts.name}${type} = ${opts.initializer};`,
  };
}

/** Statements written as text, already laid out. */
export function rawStatements(text: string): Statement {
  return { kind: "text", text };
}
