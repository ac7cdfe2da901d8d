/**
 * A Python virtualenv with the reference clients the tests check our output with: Prometheus'
 * own Python client (its text-format parser) and the official OpenLineage Python client (its
 * event model, generated from the published schema). Installed from PyPI once, cached next to the
 * stack's downloads (ETL_STACK_HOME, default ~/.cache/etl-stack) like the dbt virtualenv.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Pinned: the tests' verdicts must not move with a release of either client. */
export const PY_TOOLS_REQUIREMENTS = ["prometheus-client==0.26.0", "openlineage-python==1.54.0"];

function home(): string {
  return process.env.ETL_STACK_HOME ?? path.join(homedir(), ".cache", "etl-stack");
}

/** The venv's python, installing the requirements first when the cached venv lacks them. */
export async function pyToolsPython(): Promise<string> {
  const dir = path.join(home(), "py-tools");
  const python = path.join(dir, "bin", "python");
  const marker = path.join(dir, ".requirements");
  const wanted = PY_TOOLS_REQUIREMENTS.join(" ");
  if (existsSync(python) && existsSync(marker) && (await readFile(marker, "utf8")) === wanted) {
    return python;
  }
  // Built beside and renamed into place: a test run that dies half way leaves no broken venv,
  // and two runs installing at once both end with a complete one.
  await mkdir(home(), { recursive: true });
  const building = `${dir}.${process.pid}.tmp`;
  await rm(building, { recursive: true, force: true });
  await run("python3", ["-m", "venv", building]);
  await run(
    path.join(building, "bin", "python"),
    ["-m", "pip", "install", "-q", "--disable-pip-version-check", ...PY_TOOLS_REQUIREMENTS],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  await writeFile(path.join(building, ".requirements"), wanted);
  // Only bin/python is used, which finds the venv's packages from where it lies, so the renamed
  // venv works although its pip scripts name the build folder.
  await rm(dir, { recursive: true, force: true });
  await rename(building, dir);
  return python;
}

/** Runs one of the checkers in test/integration/operations/py with `input` on its stdin. */
export async function pyCheck(script: string, input: string): Promise<string> {
  const python = await pyToolsPython();
  return new Promise((resolve, reject) => {
    const child = execFile(
      python,
      [script],
      { maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error !== null) {
          reject(new Error(`${path.basename(script)} failed: ${stderr || error.message}`));
        } else {
          resolve(stdout);
        }
      },
    );
    child.stdin?.end(input);
  });
}
