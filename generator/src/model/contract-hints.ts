/**
 * What the generator adds to a verdict of the shared rules (@etl/runtime/contract): the `fix:`
 * hint of each kind of problem, in the words of the tenant's YAML. The verdicts themselves (and
 * their messages) are the contract's, so the generator and the runtime refuse the same values.
 */
import { type BasePathProblemKind, type CronProblemKind, knownZones } from "@etl/runtime/contract";
import type { ConfigValue } from "@etl/runtime/plan";
import { suggest } from "../problems.js";

/** The text a value has without the environment: the literal, or a lone reference's default. */
export function literalOf(value: ConfigValue): string | undefined {
  return typeof value === "string" ? value : "env" in value ? value.default : undefined;
}

/** How to fix a refused cron expression. */
export function cronHint(kind: CronProblemKind): string {
  return kind === "syntax"
    ? 'write five fields, e.g. "0 2 * * *" (02:00 every day)'
    : "name days of month that exist in the months named (February has 29 at most; April, June, September and November 30)";
}

/** How to fix a refused storage.base_path. */
export function basePathHint(kind: BasePathProblemKind, tenant: string): string {
  switch (kind) {
    case "characters":
      return "use letters, digits, _ = . - and /";
    case "empty-segment":
      return 'remove the empty segment between the two "/"';
    case "empty":
    case "escapes":
      return `use a plain prefix such as "project_id=${tenant}"`;
  }
}

/** What to write instead of an unknown zone: the nearest known name, when one is near. */
export function zoneHint(text: string): string {
  const example = 'an IANA zone name such as "Asia/Seoul" or "UTC"';
  const offset = /^(?:UTC|GMT)?([+-])(\d{1,2})(?::?00)?$/i.exec(text.trim());
  const east = offset?.[1] === "+";
  const hours = Number(offset?.[2]);
  // Etc/GMT-14 to Etc/GMT+12 exist; POSIX counts west of Greenwich as positive.
  if (offset !== null && hours >= 1 && hours <= (east ? 14 : 12)) {
    const etc = `Etc/GMT${east ? "-" : "+"}${hours}`;
    return `for a fixed offset write "${etc}" (POSIX inverts the sign); for a place, ${example}`;
  }
  const near = suggest(text, knownZones());
  return near === undefined ? `use ${example}` : `did you mean "${near}"? (${example})`;
}
