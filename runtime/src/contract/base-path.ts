/**
 * `storage.base_path`: the prefix inside the bucket under which one tenant writes everything. The
 * generator checks a literal base path; the runtime checks the resolved one (it may come from the
 * environment), with the same rule: one or more `/`-separated segments of letters, digits and
 * `_ = . -`, none of them empty, `.` or `..`, and no leading `/`. A trailing `/` is dropped.
 */

/** `characters`: unsafe in object keys; `escapes`: would leave the prefix; the rest: empty parts. */
export type BasePathProblemKind = "empty" | "characters" | "escapes" | "empty-segment";

export type BasePathParse =
  | { ok: true; basePath: string }
  | { ok: false; kind: BasePathProblemKind; message: string };

/** Parses a base path into its normal form (no trailing `/`). */
export function parseBasePath(text: string): BasePathParse {
  const what = `storage.base_path "${text}"`;
  if (text === "") {
    return {
      ok: false,
      kind: "empty",
      message: "storage.base_path is empty: every tenant writes under a prefix of its own",
    };
  }
  if (!/^[A-Za-z0-9_=.\-/]+$/.test(text)) {
    return {
      ok: false,
      kind: "characters",
      message: `${what} has characters unsafe in object keys`,
    };
  }
  const basePath = text.replace(/\/+$/, "");
  const segments = basePath.split("/");
  // A relative segment would let one tenant write under another tenant's prefix.
  if (text.startsWith("/") || segments.some((s) => s === "." || s === "..")) {
    return {
      ok: false,
      kind: "escapes",
      message: `${what} leaves the tenant's own prefix (".", ".." or a leading "/")`,
    };
  }
  if (segments.some((s) => s === "")) {
    return { ok: false, kind: "empty-segment", message: `${what} has an empty segment ("//")` };
  }
  return { ok: true, basePath };
}
