import { compareText } from "./order.js";
import { showText } from "./text.js";

/** A problem found in the tenants' inputs, reported to a person who can fix it. */
export interface Problem {
  /** Path relative to the repository root, POSIX separators. */
  file: string;
  /** 1-based line and column, 0 when unknown. */
  line: number;
  col: number;
  /** Dotted path inside the YAML (e.g. `tenant.assets.pipelines.lot_history.date_colum`), or "". */
  path: string;
  message: string;
  /** What to do about it, when we can tell. */
  hint?: string;
  /** Printed only with --debug: the stack of an internal error. */
  detail?: string;
}

/**
 * A problem of a file where no line is known (a JSON input, a missing or refused file, a check
 * over the whole plan): line and column 0, shown as the file alone.
 */
export function fileProblem(problem: Omit<Problem, "line" | "col">): Problem {
  return { ...problem, line: 0, col: 0 };
}

/** Sorts problems by file, position, path and message so output is stable. */
export function sortProblems(problems: readonly Problem[]): Problem[] {
  return [...problems].sort(
    (a, b) =>
      compareText(a.file, b.file) ||
      a.line - b.line ||
      a.col - b.col ||
      compareText(a.path, b.path) ||
      compareText(a.message, b.message),
  );
}

/**
 * `file:line:col path: message (hint)` — one line per problem. User text inside (a file name, a
 * key, a value) is shown with its line breaks and control characters escaped, so a hostile name
 * can neither split a report line nor forge another.
 */
export function formatProblem(p: Problem): string {
  const where = p.line > 0 ? `${showText(p.file)}:${p.line}:${p.col}` : showText(p.file);
  const at = p.path === "" ? "" : ` ${showText(p.path)}:`;
  const hint = p.hint === undefined ? "" : `\n    fix: ${showText(p.hint)}`;
  const detail = p.detail === undefined ? "" : `\n${p.detail}`;
  return `${where}${at} ${showText(p.message)}${hint}${detail}`;
}

/** Every problem, then a count line; `debug` adds the details (stacks) of internal errors. */
export function formatProblems(problems: readonly Problem[], debug = false): string {
  const sorted = sortProblems(problems).map((p) => {
    if (debug || p.detail === undefined) {
      return p;
    }
    const { detail: _detail, ...rest } = p;
    return rest;
  });
  const n = sorted.length;
  return `${sorted.map(formatProblem).join("\n")}\n\n${n} problem${n === 1 ? "" : "s"} found; nothing was written.\n`;
}

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] ?? 0;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] ?? 0;
      const left = prev[j - 1] ?? 0;
      prev[j] = Math.min(up + 1, left + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length] ?? 0;
}

/** The closest candidate within a small edit distance, if any. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const c of [...candidates].sort()) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  const limit = Math.max(2, Math.floor(word.length / 3));
  return bestD <= limit ? best : undefined;
}
