/**
 * `npm run bench`: the sections listed in sections/index.ts (the extract against the COPY floor
 * and a peer, memory at scale, generation at scale, the Trino load against Trino's own CTAS, the
 * console), every time reported against something measured in the same run on the same machine.
 *
 *   npm run bench [-- --quick] [--only <section> (repeatable or comma-separated)] [--merge]
 *                 [--out DIR] [each section's options, e.g. --rows N --big-rows N --tenants N]
 *
 * Results: test/bench/results/latest.json and latest.md, and a summary on stdout. Every output is
 * verified before a number is reported. --merge keeps the previous results of sections not run.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { type ParseArgsConfig, parseArgs } from "node:util";
import { repoRoot } from "../src/paths.js";
import { type BenchContext, createContext, round, stackEnv } from "./lib/context.js";
import { parseResults, type Results, renderMarkdown, summaryLines } from "./lib/report.js";
import { SECTIONS } from "./sections/index.js";

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

/** The command line: the bench's own options and every section's, merged. */
function commandLine() {
  const options: NonNullable<ParseArgsConfig["options"]> = {
    quick: { type: "boolean", default: false },
    only: { type: "string", multiple: true },
    merge: { type: "boolean", default: false },
    out: { type: "string", default: path.join(repoRoot, "test/bench/results") },
  };
  const own = new Set(Object.keys(options));
  for (const section of SECTIONS) {
    for (const [name, option] of Object.entries(section.options)) {
      const declared = options[name];
      if (own.has(name) || (declared !== undefined && declared.type !== option.type)) {
        throw new Error(
          `internal: bench section ${section.name} declares option --${name} that another section or the bench declares differently`,
        );
      }
      options[name] = { type: option.type };
    }
  }
  const { values } = parseArgs({ options, strict: true });
  const onlyValues: unknown[] = Array.isArray(values.only) ? values.only : [];
  const only = onlyValues.flatMap((o) => String(o).split(",")).map((o) => o.trim());
  const names = SECTIONS.map((s) => s.name);
  const unknown = only.filter((o) => !names.includes(o));
  if (unknown.length > 0) {
    throw new Error(`--only ${unknown.join(", ")}: expected one of ${names.join(", ")}`);
  }
  const given: Record<string, string | boolean> = {};
  const sectionValues: Record<string, string | boolean | undefined> = {};
  for (const [name, value] of Object.entries(values)) {
    if (own.has(name)) continue;
    if (typeof value === "string" || typeof value === "boolean") {
      given[name] = value;
      sectionValues[name] = value;
    }
  }
  return {
    quick: values.quick === true,
    merge: values.merge === true,
    out: String(values.out),
    only,
    given,
    sectionValues,
  };
}

function machine(ctx: BenchContext): Results["machine"] {
  const pgVersion = execFileSync(
    "psql",
    [
      "-X",
      "-At",
      "-h",
      ctx.pg.host,
      "-p",
      String(ctx.pg.port),
      "-U",
      ctx.pg.user,
      "-d",
      "postgres",
      "-c",
      "SHOW server_version",
    ],
    { env: ctx.env, encoding: "utf8" },
  ).trim();
  return {
    cpu: os.cpus()[0]?.model ?? "unknown",
    cores: os.cpus().length,
    memoryGiB: round(os.totalmem() / 1024 ** 3, 1),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    postgres: pgVersion,
    loadAverageAtStart: os.loadavg().map((l) => round(l)),
    loadAverageAtEnd: [],
  };
}

const args = commandLine();
// The sections run the built packages (the console serves runtime/dist/console-web, the extract
// runs the built runtime): build them first, so a fresh checkout benches what it holds (turbo
// replays its cache when nothing changed).
log("building every package (turbo)");
execFileSync("npx", ["turbo", "run", "build", "--output-logs=errors-only"], {
  cwd: repoRoot,
  stdio: ["ignore", "inherit", "inherit"],
});
const wants = (name: string) => args.only.length === 0 || args.only.includes(name);
const started = performance.now();
const results: Results = {
  command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`,
  date: new Date().toISOString(),
  options: args.given,
  quick: args.quick,
  only: args.only,
  machine: {
    cpu: "",
    cores: 0,
    memoryGiB: 0,
    os: "",
    node: "",
    postgres: "",
    loadAverageAtStart: [],
    loadAverageAtEnd: [],
  },
  sections: {},
  totalSeconds: 0,
};
const ctx = createContext({
  env: stackEnv(log),
  values: args.sectionValues,
  quick: args.quick,
  log,
  earlier: (name) => results.sections[name],
});
results.machine = machine(ctx);

/** Writes the results so far: a long run stopped in a later section keeps the earlier ones. */
function save(): Results {
  results.machine.loadAverageAtEnd = os.loadavg().map((l) => round(l));
  results.totalSeconds = round((performance.now() - started) / 1000, 1);
  const checked = parseResults(results, SECTIONS, "the results of this run");
  mkdirSync(args.out, { recursive: true });
  writeFileSync(path.join(args.out, "latest.json"), `${JSON.stringify(checked, null, 2)}\n`);
  writeFileSync(path.join(args.out, "latest.md"), renderMarkdown(checked, SECTIONS));
  return checked;
}

const previous = path.join(args.out, "latest.json");
if (args.merge && existsSync(previous)) {
  // The sections run now replace their earlier results, so those are not checked (an earlier
  // run may hold a section's previous shape).
  const raw: unknown = JSON.parse(readFileSync(previous, "utf8"));
  if (typeof raw === "object" && raw !== null && "sections" in raw) {
    const earlier = raw.sections;
    if (typeof earlier === "object" && earlier !== null) {
      for (const s of SECTIONS) if (wants(s.name)) Reflect.deleteProperty(earlier, s.name);
    }
  }
  const prior = parseResults(raw, SECTIONS, previous);
  const kept = SECTIONS.filter((s) => !wants(s.name) && prior.sections[s.name] !== undefined);
  for (const s of kept) results.sections[s.name] = prior.sections[s.name];
  if (kept.length > 0) results.command = `${prior.command}; then ${results.command}`;
}

for (const section of SECTIONS) {
  if (!wants(section.name)) continue;
  results.sections[section.name] = await section.run(ctx);
  save();
}
process.stdout.write(`${summaryLines(save(), SECTIONS).join("\n")}\n`);
