/**
 * Hostile but valid text reaches generated files only as text: a tenant whose name, job
 * description, tags, variable defaults and snapshot (enum labels, type names) hold comment closers,
 * Markdown and Mermaid syntax, HTML and quotes generates, and every file still has exactly the
 * structure the emitter meant (TypeScript parses and the plan evaluates to the same values, README
 * tables keep their columns, Mermaid labels stay labels, the Dockerfile holds only instructions, the
 * Kubernetes YAML parses to the same objects).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { generate } from "../../src/generate.js";

const BASE = path.join(import.meta.dirname, "fixtures", "base");
const NAME = "Acme */ `tick` *bold* | pipe <b>x</b> [link](http://e) --> end \\";
const DESCRIPTION = "a|b `c` *d* <script>alert(1)</script> --> <!-- \\ end";
const TAGS = { 'te"am': "x */ y", "k`": "<!-- | -->" };
const LABELS = ["a */ b", "line\nbreak", "@param x", "pipe|`tick`"];
const DEFAULT = "db|x`y*z";

let root = "";
let files = new Map<string, string>();

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), "gen-escaping-"));
  cpSync(BASE, root, { recursive: true });
  const configFile = path.join(root, "tenants/acme/config.yaml");
  let config = readFileSync(configFile, "utf8");
  config = config
    .replace('name: "Acme"', `name: ${JSON.stringify(NAME)}\n  tags: ${JSON.stringify(TAGS)}`)
    .replace(`"\${ACME_DB_HOST:127.0.0.1}"`, JSON.stringify(`\${ACME_DB_HOST:${DEFAULT}}`))
    .replace(
      "  jobs:\n",
      `  jobs:\n    hostile:\n      selection: ["acme/extract/*"]\n      description: ${JSON.stringify(DESCRIPTION)}\n`,
    );
  writeFileSync(configFile, config);
  const column = (name: string, extra: Record<string, unknown>) => ({
    name,
    pgType: "text",
    domainBase: null,
    arrayElement: null,
    enumLabels: null,
    nullable: true,
    ...extra,
  });
  writeFileSync(
    path.join(root, "tenants/acme/introspection.json"),
    `${JSON.stringify(
      {
        version: 1,
        pipelines: {
          items: {
            source: "table items",
            columns: [
              column("item_id", { nullable: false }),
              column("mood", { pgType: '"mo*/od"', enumLabels: LABELS }),
              column("code", { pgType: '"we*/ird"', domainBase: "text" }),
            ],
          },
        },
      },
      null,
      2,
    )}\n`,
  );
  const result = generate({ root });
  expect(result.ok ? [] : result.problems).toEqual([]);
  if (result.ok) {
    files = result.files;
  }
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function file(rel: string): string {
  const text = files.get(`generated/acme/${rel}`);
  if (text === undefined) {
    throw new Error(`generated/acme/${rel} was not generated`);
  }
  return text;
}

describe("hostile text lands as text", () => {
  it("every TypeScript file parses, and the plan evaluates to the config's values", async () => {
    for (const [p, text] of files) {
      if (!p.endsWith(".ts")) continue;
      const out = ts.transpileModule(text, {
        reportDiagnostics: true,
        fileName: p,
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      });
      expect(
        (out.diagnostics ?? []).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")),
        p,
      ).toEqual([]);
    }
    const js = ts.transpileModule(file("src/plan.ts"), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    const mod = (await import(`data:text/javascript,${encodeURIComponent(js)}`)) as {
      plan: { tenant: { name: string; tags: Record<string, string> }; environments: unknown };
    };
    expect(mod.plan.tenant.name).toBe(NAME);
    expect(mod.plan.tenant.tags).toEqual(TAGS);
  });

  it("rows.ts: a doc comment cannot be closed by a label or a type name", () => {
    const source = ts.createSourceFile(
      "rows.ts",
      file("src/rows.ts"),
      ts.ScriptTarget.Latest,
      true,
    );
    const row = source.statements.find(
      (s): s is ts.InterfaceDeclaration =>
        ts.isInterfaceDeclaration(s) && s.name.text === "ItemsRow",
    );
    expect(row?.members.map((m) => m.name?.getText(source))).toEqual(["item_id", "mood", "code"]);
    const docs = (row?.members ?? []).map((m) =>
      ts
        .getJSDocCommentsAndTags(m)
        .map((d) => d.getText(source))
        .join(""),
    );
    expect(docs[1]).toContain("a *\\/ b");
    expect(docs[1]).toContain('"mo*\\/od"');
    expect(docs[2]).toContain('"we*\\/ird"');
  });

  it("README: tables keep their columns, labels stay labels, the header comment stays closed", () => {
    const readme = file("README.md");
    const cells = (line: string) => line.split(/(?<!\\)\|/).length - 2;
    const jobRow = readme.split("\n").find((l) => l.startsWith("| `hostile`"));
    expect(jobRow).toBeDefined();
    expect(cells(jobRow ?? "")).toBe(8);
    const varRow = readme.split("\n").find((l) => l.startsWith("| `ACME_DB_HOST`"));
    expect(cells(varRow ?? "")).toBe(2);
    expect(varRow).toContain("`db\\|x`");
    expect(readme).not.toContain("<script>");
    expect(readme).not.toContain("<b>");
    expect(readme.split("\n")[0]).toBe("<!--");
    expect(readme.indexOf("-->")).toBe(readme.indexOf("\n-->\n") + 1);
    expect(readme.split("\n").find((l) => l.startsWith("# "))).toBe(
      "# Acme \\*/ \\`tick\\` \\*bold\\* \\| pipe \\<b\\>x\\</b\\> \\[link\\](http://e) --\\> end \\\\ (`acme`)",
    );
    const mermaid = readme.slice(
      readme.indexOf("```mermaid"),
      readme.indexOf("```", readme.indexOf("```mermaid") + 3),
    );
    for (const line of mermaid.split("\n").slice(2, -1)) {
      expect(line).toMatch(/^ {2}(\w+\["[^"`]*"\]|\w+ --> \w+)$/);
    }
  });

  it("deploy: the Dockerfile holds only instructions, the Kubernetes YAML the same objects", () => {
    const instruction =
      /^(#.*|FROM .+|WORKDIR .+|RUN .+|COPY .+|ENV .+|USER .+|ENTRYPOINT \[.+\]|CMD \[.+\])?$/;
    for (const line of file("deploy/Dockerfile").split("\n")) {
      expect(line).toMatch(instruction);
    }
    for (const [p, text] of files) {
      if (!p.endsWith(".yaml")) continue;
      const docs = parseAllDocuments(text);
      expect(docs).toHaveLength(1);
      const doc = docs[0]?.toJS() as { metadata: { labels: Record<string, string> } };
      expect(doc.metadata.labels["etl/tenant"]).toBe("acme");
    }
  });
});
