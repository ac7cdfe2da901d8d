/** Re-renders test/bench/results/latest.md from latest.json (after a change to the report format). */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../src/paths.js";
import { ResultsSchema, renderMarkdown } from "./lib/report.js";

const dir = path.join(repoRoot, "test/bench/results");
const results = ResultsSchema.parse(
  JSON.parse(readFileSync(path.join(dir, "latest.json"), "utf8")),
);
writeFileSync(path.join(dir, "latest.md"), renderMarkdown(results));
