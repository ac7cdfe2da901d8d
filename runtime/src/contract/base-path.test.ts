// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the cases are literal `${VAR}` configuration text
import { describe, expect, it } from "vitest";
import { parseBasePath } from "./base-path.js";

describe("parseBasePath", () => {
  it.each([
    ["project_id=project_01", "project_id=project_01"],
    ["lake/project_id=acme", "lake/project_id=acme"],
    ["lake/project_id=acme/", "lake/project_id=acme"],
    ["a.b-c_d", "a.b-c_d"],
    ["...", "..."],
  ])("%j is %j", (given, basePath) => {
    expect(parseBasePath(given)).toEqual({ ok: true, basePath });
  });

  it.each([
    ["", "empty", "storage.base_path is empty: every tenant writes under a prefix of its own"],
    ["a b", "characters", 'storage.base_path "a b" has characters unsafe in object keys'],
    ["a\nb", "characters", 'storage.base_path "a\nb" has characters unsafe in object keys'],
    [
      "prefix/${X}",
      "characters",
      'storage.base_path "prefix/${X}" has characters unsafe in object keys',
    ],
    [
      "../other",
      "escapes",
      `storage.base_path "../other" leaves the tenant's own prefix (".", ".." or a leading "/")`,
    ],
    [
      "a/../b",
      "escapes",
      `storage.base_path "a/../b" leaves the tenant's own prefix (".", ".." or a leading "/")`,
    ],
    [
      "./a",
      "escapes",
      `storage.base_path "./a" leaves the tenant's own prefix (".", ".." or a leading "/")`,
    ],
    [
      "/a",
      "escapes",
      `storage.base_path "/a" leaves the tenant's own prefix (".", ".." or a leading "/")`,
    ],
    [
      "/",
      "escapes",
      `storage.base_path "/" leaves the tenant's own prefix (".", ".." or a leading "/")`,
    ],
    [
      "a/..",
      "escapes",
      `storage.base_path "a/.." leaves the tenant's own prefix (".", ".." or a leading "/")`,
    ],
    ["a//b", "empty-segment", 'storage.base_path "a//b" has an empty segment ("//")'],
  ])("%j is refused (%s)", (given, kind, message) => {
    expect(parseBasePath(given)).toEqual({ ok: false, kind, message });
  });
});
