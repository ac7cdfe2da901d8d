/**
 * The package files of a generated package (package.json, tsconfig.json, tsconfig.test.json and
 * the writer's marker), built as values and printed with JSON.stringify: no hand-placed commas,
 * and every user text escaped by the JSON printer.
 */
import { headerLines } from "./common.js";

export interface PackageJsonInput {
  /** The package's input files, named in its `//` header. */
  inputs: readonly string[];
  name: string;
  version: string;
  description: string;
  binName: string;
  /** Workspace packages it depends on. */
  dependencies: readonly string[];
}

/** JSON as the repository writes it: two spaces, a final newline. */
function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** A JSON-with-comments file (tsconfig): the header as `//` lines, then the value. */
function jsonc(inputs: readonly string[], value: unknown): string {
  return `${headerLines(inputs)
    .map((line) => `// ${line}`)
    .join("\n")}\n${json(value)}`;
}

/** package.json; JSON has no comments, so the header is the `//` key. */
export function packageJson(input: PackageJsonInput): string {
  return json({
    "//": headerLines(input.inputs).join(" "),
    name: input.name,
    version: input.version,
    private: true,
    type: "module",
    description: input.description,
    bin: { [input.binName]: "./dist/main.js" },
    exports: {
      ".": { source: "./src/index.ts", types: "./dist/index.d.ts", default: "./dist/index.js" },
    },
    files: ["dist"],
    scripts: {
      build: "tsc -p tsconfig.json",
      typecheck: "tsc -p tsconfig.test.json",
      test: "vitest run",
    },
    dependencies: Object.fromEntries(input.dependencies.map((name) => [name, "*"])),
  });
}

/** tsconfig.json: builds src/ (tests excluded) into dist/. */
export function tsconfigJson(inputs: readonly string[]): string {
  return jsonc(inputs, {
    extends: "../../tsconfig.base.json",
    compilerOptions: { rootDir: "src", outDir: "dist" },
    include: ["src/**/*.ts"],
    exclude: ["src/**/*.test.ts"],
  });
}

/** tsconfig.test.json: type-checks sources, tests and the vitest config without emitting. */
export function tsconfigTestJson(inputs: readonly string[]): string {
  return jsonc(inputs, {
    extends: "./tsconfig.json",
    compilerOptions: { rootDir: ".", noEmit: true },
    include: ["src/**/*.ts", "test/**/*.ts", "vitest.config.ts"],
    exclude: [],
  });
}

/** The marker that tells the writer a folder is generated (and may be cleaned). */
export function markerFile(inputs: readonly string[]): string {
  const lines = [
    ...headerLines(inputs),
    "This folder is owned by the generator: it rewrites it and deletes files it no longer emits.",
  ];
  return lines.map((line) => `# ${line}\n`).join("");
}
