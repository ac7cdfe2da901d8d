/** A small, strict argument parser: unknown options and missing values are usage errors. */

export type OptionKind = "string" | "boolean";
export type OptionSpec = Readonly<Record<string, OptionKind>>;

export interface ParsedArgs {
  positionals: string[];
  strings: Map<string, string>;
  flags: Set<string>;
}

export type ParseResult = { ok: true; args: ParsedArgs } | { ok: false; error: string };

/** Parses `--name value`, `--name=value` and `--flag`; `--` ends options. */
export function parseArgs(argv: readonly string[], spec: OptionSpec): ParseResult {
  const positionals: string[] = [];
  const strings = new Map<string, string>();
  const flags = new Set<string>();
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i] ?? "";
    i += 1;
    if (arg === "--") {
      positionals.push(...argv.slice(i));
      break;
    }
    if (!arg.startsWith("--") || arg === "-") {
      if (arg.startsWith("-") && arg !== "-") {
        return { ok: false, error: `unknown option "${arg}" (options are spelled --name)` };
      }
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const kind = spec[name];
    if (kind === undefined) {
      const known = Object.keys(spec)
        .map((k) => `--${k}`)
        .join(", ");
      return {
        ok: false,
        error: `unknown option "--${name}"${known === "" ? "" : ` (known: ${known})`}`,
      };
    }
    if (kind === "boolean") {
      if (eq !== -1) {
        return { ok: false, error: `option "--${name}" takes no value` };
      }
      flags.add(name);
      continue;
    }
    let value: string | undefined;
    if (eq !== -1) {
      value = arg.slice(eq + 1);
    } else {
      value = argv[i];
      i += 1;
    }
    if (value === undefined || value === "" || (eq === -1 && value.startsWith("--"))) {
      return { ok: false, error: `option "--${name}" needs a value` };
    }
    if (strings.has(name)) {
      return { ok: false, error: `option "--${name}" given twice` };
    }
    strings.set(name, value);
  }
  return { ok: true, args: { positionals, strings, flags } };
}

/** Parses a positive integer option value. */
export function parsePositiveInt(
  text: string,
  name: string,
): { ok: true; value: number } | { ok: false; error: string } {
  if (!/^[1-9][0-9]*$/.test(text)) {
    return { ok: false, error: `option "--${name}" must be a positive integer, got "${text}"` };
  }
  return { ok: true, value: Number(text) };
}
