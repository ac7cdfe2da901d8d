/**
 * The TypeScript printer (src/emit/ts-print.ts) against the tool it replaced: ts-morph's structure
 * printers followed by the TypeScript formatter, with the settings the emitters used. Each
 * statement shape the emitters use is printed both ways, edge cases included; and every
 * TypeScript file the generator emits for the golden scenarios and the real tenants must come out
 * of the formatter unchanged (it is already in its final layout).
 */
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import {
  IndentationText,
  Project,
  QuoteKind,
  type SourceFile,
  StructureKind,
  ts,
  VariableDeclarationKind,
} from "ts-morph";
import { describe, expect, it } from "vitest";
import {
  constDecl,
  exportDecl,
  exportDefault,
  importDecl,
  interfaceDecl,
  printStatements,
  rawStatements,
  typeAlias,
} from "../src/emit/ts-print.js";
import { generate } from "../src/generate.js";

const project = new Project({
  useInMemoryFileSystem: true,
  manipulationSettings: {
    indentationText: IndentationText.TwoSpaces,
    quoteKind: QuoteKind.Double,
    useTrailingCommas: true,
  },
});

/** The text of a file built with ts-morph and formatted as the emitters did before. */
function viaTsMorph(build: (sf: SourceFile) => void): string {
  const sf = project.createSourceFile("f.ts", "", { overwrite: true });
  build(sf);
  return format(sf);
}

function format(sf: SourceFile): string {
  sf.formatText({
    indentSize: 2,
    tabSize: 2,
    convertTabsToSpaces: true,
    semicolons: ts.SemicolonPreference.Insert,
  });
  return sf.getFullText().replace(/\n+$/, "");
}

const DOCS = [
  "one line",
  "two\nlines",
  "\nleading empty line",
  "trailing space ",
  "an empty\n\nline between",
];

describe("statement printers match ts-morph + the formatter", () => {
  it.each(DOCS)("interface with property docs %j", (doc) => {
    const props = [
      { name: "plain", type: "string", docs: [doc] },
      { name: '"needs-quotes"', type: "number | null" },
      { name: "ro", type: "Date", readonly: true, docs: [doc, "second doc"] },
    ];
    const ours = printStatements([
      interfaceDecl({ exported: true, name: "Row", docs: [doc], properties: props }),
    ]);
    const theirs = viaTsMorph((sf) =>
      sf.addInterface({
        isExported: true,
        name: "Row",
        docs: [doc],
        properties: props.map((p) => ({
          kind: StructureKind.PropertySignature,
          name: p.name,
          type: p.type,
          isReadonly: p.readonly === true,
          ...(p.docs === undefined ? {} : { docs: p.docs }),
        })),
      }),
    );
    expect(ours).toBe(theirs);
  });

  it("an interface without properties", () => {
    const ours = printStatements([interfaceDecl({ name: "Empty", properties: [] })]);
    expect(ours).toBe(viaTsMorph((sf) => sf.addInterface({ name: "Empty" })));
  });

  it("blank lines between every pair of statement kinds, in emitter order", () => {
    const literal = '{\n  a: 1,\n  "b-c": ["x", "y"],\n  d: {\n    e: null,\n  },\n}';
    const ours = printStatements([
      importDecl({ typeOnly: true, named: ["A", "B"], module: "@etl/runtime" }),
      importDecl({ namespace: "ns", module: "@etl/tenant-x" }),
      importDecl({ named: [{ name: "f", alias: "m_f" }, "g"], module: "./m.js" }),
      interfaceDecl({ name: "I", properties: [{ name: "a", type: "A" }] }),
      interfaceDecl({ exported: true, name: "J", properties: [{ name: "b", type: "B" }] }),
      typeAlias({ exported: true, name: "T", type: "Transform<I, J>", docs: ["a type"] }),
      typeAlias({ name: "U", type: "T" }),
      interfaceDecl({ name: "K", properties: [] }),
      constDecl({ name: "c", type: "T", initializer: "m_f", docs: ["doc"] }),
      constDecl({ exported: true, name: "d", initializer: `${literal} as const` }),
      exportDecl({ named: ["c"], module: "./c.js" }),
      exportDecl({ typeOnly: true, module: "./rows.js" }),
      exportDecl({ typeOnly: true, named: ["I", "J"], module: "./i.js" }),
      exportDefault("defineConfig({\n  test: {},\n})"),
      rawStatements('if (d.a === 1) {\n  process.stdout.write("x");\n}'),
    ]);
    const theirs = viaTsMorph((sf) => {
      sf.addImportDeclaration({
        isTypeOnly: true,
        namedImports: ["A", "B"],
        moduleSpecifier: "@etl/runtime",
      });
      sf.addImportDeclaration({ namespaceImport: "ns", moduleSpecifier: "@etl/tenant-x" });
      sf.addImportDeclaration({
        namedImports: [{ name: "f", alias: "m_f" }, "g"],
        moduleSpecifier: "./m.js",
      });
      sf.addInterface({ name: "I", properties: [{ name: "a", type: "A" }] });
      sf.addInterface({ isExported: true, name: "J", properties: [{ name: "b", type: "B" }] });
      sf.addTypeAlias({ isExported: true, name: "T", type: "Transform<I, J>", docs: ["a type"] });
      sf.addTypeAlias({ name: "U", type: "T" });
      sf.addInterface({ name: "K" });
      sf.addVariableStatement({
        declarationKind: VariableDeclarationKind.Const,
        docs: ["doc"],
        declarations: [{ name: "c", type: "T", initializer: "m_f" }],
      });
      sf.addVariableStatement({
        isExported: true,
        declarationKind: VariableDeclarationKind.Const,
        declarations: [{ name: "d", initializer: `${literal} as const` }],
      });
      sf.addExportDeclaration({ namedExports: ["c"], moduleSpecifier: "./c.js" });
      sf.addExportDeclaration({ isTypeOnly: true, moduleSpecifier: "./rows.js" });
      sf.addExportDeclaration({
        isTypeOnly: true,
        namedExports: ["I", "J"],
        moduleSpecifier: "./i.js",
      });
      sf.addExportAssignment({
        isExportEquals: false,
        expression: "defineConfig({\n  test: {},\n})",
      });
      sf.addStatements('if (d.a === 1) {\n  process.stdout.write("x");\n}');
    });
    expect(ours).toBe(theirs);
  });
});

const REPO = path.resolve(import.meta.dirname, "..", "..");
const GOLDEN = path.join(import.meta.dirname, "golden");
const roots = [
  REPO,
  ...readdirSync(GOLDEN)
    .map((n) => path.join(GOLDEN, n))
    .filter((d) => statSync(d).isDirectory()),
];

describe("every emitted TypeScript file is already formatted", () => {
  it.each(roots.map((r) => [path.relative(REPO, r) || ".", r]))("%s", (_name, root) => {
    const result = generate({ root });
    expect(result.ok).toBe(true);
    if (!result.ok) {
      return;
    }
    let checked = 0;
    for (const [file, text] of result.files) {
      // Tenant transforms are copied verbatim: their layout is the tenant's.
      const copied = /\/src\/transforms\/(?!index\.ts$)/.test(file);
      if (!file.endsWith(".ts") || copied) {
        continue;
      }
      const sf = project.createSourceFile("emitted.ts", text, { overwrite: true });
      expect(`${format(sf)}\n`, file).toBe(text);
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
  });
});
