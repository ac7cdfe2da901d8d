import { describe, expect, it } from "vitest";
import { readCustomCode } from "./custom-code.js";
import { readPythonModule, tokenize } from "./python.js";

const WATCHED = ["CUSTOM_TRANSFER_FUNCTIONS", "CUSTOM_EXTRACT_QUERIES"];

describe("tokenize", () => {
  it("joins bracketed lines, drops comments and keeps strings whole", () => {
    const lines = tokenize(
      [
        "X = {  # a comment with def f(",
        '    "a": """multi',
        'line "quoted" text""",',
        "}",
        "def f(x):",
        '    return x["k"]',
      ].join("\n"),
    );
    expect(lines.map((l) => [l.line, l.indent, l.tokens.map((t) => t.text).join(" ")])).toEqual([
      [1, 0, 'X = { "a" : """multi\nline "quoted" text""" , }'],
      [5, 0, "def f ( x ) :"],
      [6, 4, 'return x [ "k" ]'],
    ]);
    expect(lines[0]?.tokens[5]?.value).toBe('multi\nline "quoted" text');
  });

  it("decodes escapes, keeps raw strings raw and marks f-strings as computed", () => {
    const [line] = tokenize(String.raw`X = ("a\tb", r"a\tb", f"{y}", "\d")`);
    const strings = line?.tokens.filter((t) => t.kind === "string").map((t) => t.value);
    expect(strings).toEqual(["a\tb", "a\\tb", null, "\\d"]);
  });
});

describe("readPythonModule", () => {
  const cases: {
    name: string;
    source: string;
    want: Partial<ReturnType<typeof readPythonModule>>;
  }[] = [
    {
      name: "a dict of names and None, last assignment wins, item assignment adds",
      source: [
        "CUSTOM_TRANSFER_FUNCTIONS = None",
        "CUSTOM_TRANSFER_FUNCTIONS = {",
        '    "aps_wip": wip_fn,  # used',
        '    # "cycle_time": None,',
        '    "other": mod.fn,',
        '    "off": None,',
        "}",
        'CUSTOM_TRANSFER_FUNCTIONS["late"] = late_fn',
      ].join("\n"),
      want: {
        assignments: new Map([
          [
            "CUSTOM_TRANSFER_FUNCTIONS",
            {
              line: 2,
              value: {
                kind: "dict",
                unreadable: [],
                entries: [
                  { key: "aps_wip", line: 3, value: { kind: "name", path: ["wip_fn"] } },
                  { key: "other", line: 5, value: { kind: "name", path: ["mod", "fn"] } },
                  { key: "off", line: 6, value: { kind: "none" } },
                  { key: "late", line: 8, value: { kind: "name", path: ["late_fn"] } },
                ],
              },
            },
          ],
        ]),
        unreadable: [],
      },
    },
    {
      name: "implicitly concatenated strings, annotated assignment, computed values",
      source: [
        "CUSTOM_EXTRACT_QUERIES: dict[str, str] = {",
        '    "a": "SELECT 1 "',
        '    "FROM t",',
        '    "b": f"SELECT {x}",',
        '    "c": build("x"),',
        "}",
      ].join("\n"),
      want: {
        assignments: new Map([
          [
            "CUSTOM_EXTRACT_QUERIES",
            {
              line: 1,
              value: {
                kind: "dict",
                unreadable: [],
                entries: [
                  { key: "a", line: 2, value: { kind: "string", value: "SELECT 1 FROM t" } },
                  { key: "b", line: 4, value: { kind: "other", text: 'f"SELECT {x}"' } },
                  { key: "c", line: 5, value: { kind: "other", text: 'build ( "x" )' } },
                ],
              },
            },
          ],
        ]),
      },
    },
    {
      name: "statements it cannot follow are named, not guessed",
      source: [
        "CUSTOM_TRANSFER_FUNCTIONS = {}",
        'CUSTOM_TRANSFER_FUNCTIONS.update({"x": f})',
        "if True:",
        "    CUSTOM_EXTRACT_QUERIES = None",
      ].join("\n"),
      want: {
        unreadable: [
          {
            name: "CUSTOM_TRANSFER_FUNCTIONS",
            line: 2,
            text: 'CUSTOM_TRANSFER_FUNCTIONS . update ( { "x" : f } )',
          },
          { name: "CUSTOM_EXTRACT_QUERIES", line: 4, text: "CUSTOM_EXTRACT_QUERIES = None" },
        ],
      },
    },
    {
      name: "imports in every form",
      source: [
        "import pandas as pd",
        "import etl.tenants.t.assets.cycle",
        "from etl.tenants.t.assets.transfer import (",
        "    transform_aps_wip_logic as t_wip,",
        "    helper,",
        ")",
        "from .assets import orders",
      ].join("\n"),
      want: {
        imports: [
          { module: "pandas", name: null, alias: "pd", line: 1 },
          { module: "etl.tenants.t.assets.cycle", name: null, alias: "etl", line: 2 },
          {
            module: "etl.tenants.t.assets.transfer",
            name: "transform_aps_wip_logic",
            alias: "t_wip",
            line: 3,
          },
          { module: "etl.tenants.t.assets.transfer", name: "helper", alias: "helper", line: 3 },
          { module: ".assets", name: "orders", alias: "orders", line: 7 },
        ],
      },
    },
    {
      name: "top-level functions with their parameters and the input keys they read",
      source: [
        "def transform(input_dfs: dict[str, pd.DataFrame], partition_date: str, tenant_id: str = 'x') -> pd.DataFrame:",
        '    """Uses input_dfs["in_docstring"] in prose only."""',
        '    lots = input_dfs["lot_history"]',
        "    res = input_dfs.get('process_result')",
        '    again = input_dfs["lot_history"]',
        "    def inner(input_dfs):",
        '        return input_dfs["nested"]',
        "    return lots",
        "",
        "# def commented(input_dfs): ...",
        "async def other(*args, **kwargs):",
        "    pass",
      ].join("\n"),
      want: {
        functions: [
          {
            name: "transform",
            line: 1,
            params: ["input_dfs", "partition_date", "tenant_id"],
            reads: ["lot_history", "process_result", "nested"],
          },
          { name: "other", line: 11, params: [], reads: [] },
        ],
      },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = readPythonModule(c.source, WATCHED);
      for (const [key, value] of Object.entries(c.want)) {
        expect(got[key as keyof typeof got], key).toEqual(value);
      }
    });
  }
});

describe("readCustomCode", () => {
  const own = ["etl.tenants.t", "tenants.t"];

  it("follows registrations through aliases, submodules and local definitions", () => {
    const code = readCustomCode(
      new Map([
        [
          "__init__.py",
          [
            "import etl.tenants.t.assets.cycle as cycle",
            "from etl.tenants.t.assets.transfer import transform_aps_wip_logic as wip",
            "from .assets import orders",
            "from etl.common.assets.transfer import transform_equipment_utilization_logic",
            "def local(input_dfs, partition_date, tenant_id='t'):",
            '    return input_dfs["x"]',
            "CUSTOM_TRANSFER_FUNCTIONS = {",
            '    "aps_wip": wip,',
            '    "cycle_time": cycle.by_step,',
            '    "orders": orders.daily,',
            '    "equipment_utilization": transform_equipment_utilization_logic,',
            '    "local": local,',
            '    "nowhere": missing_name,',
            '    "off": None,',
            "}",
          ].join("\n"),
        ],
        ["assets/transfer.py", "def transform_aps_wip_logic(input_dfs, p, t=''):\n    return 1\n"],
        [
          "assets/cycle.py",
          "\n\ndef by_step(input_dfs, p, t=''):\n    return input_dfs['lot_history']\n",
        ],
        ["assets/orders.py", "def daily(input_dfs, p, t=''):\n    return 1\n"],
      ]),
      own,
    );
    const reg = Object.fromEntries(
      code.registrations.map((r) => [
        r.key,
        r.fn === null ? r.unresolved : `${r.fn.name}@${r.fn.file}:${r.fn.line}`,
      ]),
    );
    expect(reg).toEqual({
      aps_wip: "transform_aps_wip_logic@assets/transfer.py:1",
      cycle_time: "by_step@assets/cycle.py:3",
      orders: "daily@assets/orders.py:1",
      equipment_utilization:
        "transform_equipment_utilization_logic@etl/common/assets/transfer.py:129",
      local: "local@__init__.py:5",
      nowhere: "missing_name",
      off: null,
    });
    expect(code.transforms.map((f) => `${f.file}:${f.name}:${f.reads.join(",")}`)).toEqual([
      "__init__.py:local:x",
      "assets/cycle.py:by_step:lot_history",
      "assets/orders.py:daily:",
      "assets/transfer.py:transform_aps_wip_logic:",
    ]);
  });

  it("names a dict it cannot read instead of guessing it empty", () => {
    const code = readCustomCode(
      new Map([["__init__.py", "CUSTOM_TRANSFER_FUNCTIONS = build_registry()\n"]]),
      own,
    );
    expect(code.registrations).toEqual([]);
    expect(code.notes).toEqual([
      {
        file: "__init__.py",
        line: 1,
        text: "CUSTOM_TRANSFER_FUNCTIONS is not a literal dict (`build_registry ( )`): check by hand what the old loader saw",
      },
    ]);
  });
});
