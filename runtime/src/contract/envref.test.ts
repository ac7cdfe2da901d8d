// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the cases are literal `${VAR}` configuration text
import { describe, expect, it } from "vitest";
import type { ConfigValue } from "../plan.js";
import { describeValue, parseConfigValue, referencedVars } from "./envref.js";

describe("parseConfigValue", () => {
  it.each<[string, ConfigValue, string[]]>([
    ["localhost", "localhost", []],
    ["", "", []],
    ["${HOST}", { env: "HOST" }, ["HOST"]],
    ["${PORT:5432}", { env: "PORT", default: "5432" }, ["PORT"]],
    ["${PASSWORD:}", { env: "PASSWORD", default: "" }, ["PASSWORD"]],
    ["${URL:http://x:8080}", { env: "URL", default: "http://x:8080" }, ["URL"]],
    ["$HOME", "$HOME", []],
    ["cost $5", "cost $5", []],
    [
      "project_id=${TENANT}/raw",
      { template: ["project_id=", { env: "TENANT" }, "/raw"] },
      ["TENANT"],
    ],
    ["${A}${B:b}", { template: [{ env: "A" }, { env: "B", default: "b" }] }, ["A", "B"]],
    ["${A}}", { template: [{ env: "A" }, "}"] }, ["A"]],
    ["$${A}", { template: ["$", { env: "A" }] }, ["A"]],
  ])("%j", (given, value, vars) => {
    expect(parseConfigValue(given)).toEqual({ ok: true, value });
    expect(referencedVars(value)).toEqual(vars);
    expect(describeValue(value)).toBe(given);
  });

  it.each([
    ["${HOST", 'unterminated "${" in "${HOST": write ${NAME} or ${NAME:default}'],
    [
      "${ACME-DB-HOST}",
      '"${ACME-DB-HOST}" is not a valid environment reference: variable names match [A-Za-z_][A-Za-z0-9_]*',
    ],
    [
      "${}",
      '"${}" is not a valid environment reference: variable names match [A-Za-z_][A-Za-z0-9_]*',
    ],
    [
      "${1HOST}",
      '"${1HOST}" is not a valid environment reference: variable names match [A-Za-z_][A-Za-z0-9_]*',
    ],
    [
      "${ HOST }",
      '"${ HOST }" is not a valid environment reference: variable names match [A-Za-z_][A-Za-z0-9_]*',
    ],
  ])("refuses %j", (given, message) => {
    expect(parseConfigValue(given)).toEqual({ ok: false, message });
  });
});
