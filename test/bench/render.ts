/** Re-renders test/bench/results/latest.md from latest.json (after a change to the report format). */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../src/paths.js";
import { parseResults, renderMarkdown } from "./lib/report.js";
import { SECTIONS } from "./sections/index.js";

const dir = path.join(repoRoot, "test/bench/results");
const file = path.join(dir, "latest.json");
const results = parseResults(JSON.parse(readFileSync(file, "utf8")), SECTIONS, file);
writeFileSync(path.join(dir, "latest.md"), renderMarkdown(results, SECTIONS));
