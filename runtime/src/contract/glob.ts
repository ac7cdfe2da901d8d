/**
 * Asset key globs: `*` matches within one path segment, `**` across segments, `?` one character
 * other than `/`; everything else matches itself. The generator selects a user job's assets with
 * them (`jobs.<name>.selection`) and the runtime filters a run with them (`run --select`), so one
 * glob picks the same assets on both sides.
 */

/** The regular expression a glob stands for, anchored at both ends. */
export function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i += 1) {
    const ch = glob.charAt(i);
    if (ch === "*" && glob.charAt(i + 1) === "*") {
      re += ".*";
      i += 1;
    } else if (ch === "*") {
      re += "[^/]*";
    } else if (ch === "?") {
      re += "[^/]";
    } else {
      re += ch.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    }
  }
  return new RegExp(`^${re}$`);
}

/** The keys (in their order) that match at least one of the globs. */
export function selectKeys(keys: readonly string[], globs: readonly string[]): string[] {
  const patterns = globs.map(globToRegExp);
  return keys.filter((key) => patterns.some((p) => p.test(key)));
}

export type GlobListParse = { ok: true; globs: string[] } | { ok: false; error: string };

/** Parses a comma-separated list of globs (`--select a/*,b/**`); an empty item is refused. */
export function parseGlobList(text: string): GlobListParse {
  const globs = text.split(",").map((g) => g.trim());
  if (globs.some((g) => g === "")) {
    return { ok: false, error: `"${text}" has an empty glob: write globs separated by commas` };
  }
  return { ok: true, globs };
}
