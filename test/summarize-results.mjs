// Sums vitest JSON reports into the closing line "N passed, N failed" and fails on any failed step.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

const [dir, ...failedSteps] = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of readdirSync(dir)
  .filter((f) => f.endsWith(".json"))
  .sort()) {
  const report = JSON.parse(readFileSync(path.join(dir, file), "utf8"));
  const p = report.numPassedTests ?? 0;
  const f = report.numFailedTests ?? 0;
  const s = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  process.stdout.write(
    `  ${file.replace(/\.json$/, "")}: ${p} passed, ${f} failed, ${s} skipped\n`,
  );
  passed += p;
  failed += f;
  skipped += s;
}
if (failedSteps.length > 0) {
  process.stdout.write(`failed steps: ${failedSteps.join(", ")}\n`);
}
process.stdout.write(`${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(failed > 0 || failedSteps.length > 0 || passed === 0 ? 1 : 0);
