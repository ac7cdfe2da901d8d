/**
 * A Dockerfile printed from instruction objects. A value can never become an instruction of its
 * own: the printer refuses any line break or other control character in any field and a backslash
 * at the end of a line (a line continuation), and every value taken from a tenant's inputs goes
 * through `word`, which accepts only characters that mean nothing to the Dockerfile parser or the
 * shell (no spaces, quotes, `$`, `\`, `;`, `&`, `|`).
 */
import { hasUnsafeChar } from "../text.js";

export type Instruction =
  | { kind: "comment"; text: string }
  | { kind: "blank" }
  | { kind: "FROM"; image: string; as?: string }
  | { kind: "WORKDIR"; path: string }
  /** Shell form; interpolated values must come from `word`. */
  | { kind: "RUN"; command: string }
  | { kind: "COPY"; from?: string; sources: readonly string[]; dest: string }
  | { kind: "ENV"; vars: readonly (readonly [string, string])[] }
  | { kind: "USER"; user: string }
  /** Exec form (a JSON array). */
  | { kind: "ENTRYPOINT" | "CMD"; args: readonly string[] };

const WORD = /^[A-Za-z0-9_./@:=+-]+$/;

/** A value from a tenant's inputs, checked to be one plain word in a Dockerfile and in a shell. */
export function word(value: string, what: string): string {
  if (!WORD.test(value)) {
    throw new Error(
      `internal: refusing to write ${what} ${JSON.stringify(value)} into a Dockerfile (only letters, digits and _ . / @ : = + - are safe there; the model step should have refused it)`,
    );
  }
  return value;
}

function line(text: string): string {
  if (hasUnsafeChar(text) || text.endsWith("\\")) {
    throw new Error(
      `internal: refusing a Dockerfile line holding a line break, a control character or a trailing backslash: ${JSON.stringify(text)}`,
    );
  }
  return text;
}

function print(i: Instruction): string {
  switch (i.kind) {
    case "comment":
      return `# ${i.text}`;
    case "blank":
      return "";
    case "FROM":
      return `FROM ${i.image}${i.as === undefined ? "" : ` AS ${i.as}`}`;
    case "WORKDIR":
      return `WORKDIR ${i.path}`;
    case "RUN":
      return `RUN ${i.command}`;
    case "COPY":
      return `COPY ${i.from === undefined ? "" : `--from=${i.from} `}${[...i.sources, i.dest].join(" ")}`;
    case "ENV":
      return `ENV ${i.vars.map(([k, v]) => `${k}=${v}`).join(" ")}`;
    case "USER":
      return `USER ${i.user}`;
    case "ENTRYPOINT":
    case "CMD":
      return `${i.kind} [${i.args.map((a) => JSON.stringify(a)).join(", ")}]`;
  }
}

/** The Dockerfile text: one line per instruction, LF, one final newline. */
export function printDockerfile(instructions: readonly Instruction[]): string {
  return `${instructions.map((i) => line(print(i))).join("\n")}\n`;
}
